//! Scoring one patient on a nomogram: points per predictor, total points,
//! linear predictor, probability and risk group.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::NomogramError;
use crate::model::PredictorKind;
use crate::scale::{Nomogram, format_tick, logistic};

/// A patient's predictor values by predictor name (codes for coded levels).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Patient {
    /// Identifier used in error messages and outputs.
    pub id: String,
    /// Value per predictor name.
    pub values: BTreeMap<String, f64>,
}

/// Which side of the cut-off a patient falls on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskGroup {
    /// Probability below the cut-off.
    Low,
    /// Probability at or above the cut-off (the paper's positive call).
    High,
}

impl RiskGroup {
    /// The group of probability `p` at `cutoff`: high when `p >= cutoff`.
    pub fn at(p: f64, cutoff: f64) -> Self {
        if p >= cutoff {
            RiskGroup::High
        } else {
            RiskGroup::Low
        }
    }
}

/// One predictor's contribution to a patient's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictorPoints {
    /// The predictor's key.
    pub name: String,
    /// The patient's value (code for coded levels).
    pub value: f64,
    /// The value as shown (level label, or the number).
    pub label: String,
    /// Points, `(β·value − min Xβ) · sc`.
    pub points: f64,
}

/// A patient's full score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatientScore {
    /// The patient's identifier.
    pub id: String,
    /// Points per predictor in model order.
    pub points: Vec<PredictorPoints>,
    /// Sum of the points.
    pub total_points: f64,
    /// `β₀ + Σ βⱼ xⱼ` (equals `axis_intercept + total / sc`).
    pub linear_predictor: f64,
    /// `plogis(linear_predictor)`.
    pub probability: f64,
    /// Group at the nomogram's cut-off, if it has one.
    pub risk_group: Option<RiskGroup>,
}

impl Nomogram {
    /// Scores one patient. Continuous values outside the drawn axis are
    /// accepted (their points fall outside the axis, as reading the model
    /// directly would give); a coded predictor's value must be one of its codes.
    pub fn score(&self, patient: &Patient) -> Result<PatientScore, NomogramError> {
        for name in patient.values.keys() {
            if !self.model.predictors.iter().any(|p| &p.name == name) {
                return Err(NomogramError::UnknownPredictor {
                    patient: patient.id.clone(),
                    predictor: name.clone(),
                    expected: self
                        .model
                        .predictors
                        .iter()
                        .map(|p| p.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
        let mut points = Vec::with_capacity(self.axes.len());
        let mut lp = self.model.intercept;
        let mut total = 0.0;
        for (p, axis) in self.model.predictors.iter().zip(&self.axes) {
            let value =
                *patient
                    .values
                    .get(&p.name)
                    .ok_or_else(|| NomogramError::MissingValue {
                        patient: patient.id.clone(),
                        predictor: p.name.clone(),
                    })?;
            if !value.is_finite() {
                return Err(NomogramError::BadValue {
                    patient: patient.id.clone(),
                    predictor: p.name.clone(),
                    found: value.to_string(),
                    expected: "a finite number".into(),
                });
            }
            let label = match &p.kind {
                PredictorKind::Continuous { .. } => format_tick(value),
                PredictorKind::Levels { levels } => match levels.iter().find(|l| l.code == value) {
                    Some(l) => l.label.clone(),
                    None => {
                        return Err(NomogramError::BadValue {
                            patient: patient.id.clone(),
                            predictor: p.name.clone(),
                            found: format_tick(value),
                            expected: format!(
                                "one of the codes {}",
                                levels
                                    .iter()
                                    .map(|l| format!("{} ({})", format_tick(l.code), l.label))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        });
                    }
                },
            };
            let xb = p.coefficient * value;
            lp += xb;
            let pts = (xb - axis.min_xbeta) * self.scale;
            total += pts;
            points.push(PredictorPoints {
                name: p.name.clone(),
                value,
                label,
                points: pts,
            });
        }
        let probability = logistic(lp);
        Ok(PatientScore {
            id: patient.id.clone(),
            points,
            total_points: total,
            linear_predictor: lp,
            probability,
            risk_group: self.options.cutoff.map(|c| RiskGroup::at(probability, c)),
        })
    }
}

impl Nomogram {
    /// The code of a coded predictor's level given its label (`birads`, `4B`
    /// → 2), so callers can build patients from tables that store labels.
    pub fn code_of(&self, predictor: &str, label: &str) -> Result<f64, NomogramError> {
        let p = self
            .model
            .predictors
            .iter()
            .find(|p| p.name == predictor)
            .ok_or_else(|| NomogramError::UnknownPredictor {
                patient: "-".into(),
                predictor: predictor.into(),
                expected: self
                    .model
                    .predictors
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        match &p.kind {
            PredictorKind::Levels { levels } => levels
                .iter()
                .find(|l| l.label == label)
                .map(|l| l.code)
                .ok_or_else(|| NomogramError::BadValue {
                    patient: "-".into(),
                    predictor: predictor.into(),
                    found: format!("{label:?}"),
                    expected: format!(
                        "one of the labels {}",
                        levels
                            .iter()
                            .map(|l| format!("{:?}", l.label))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }),
            PredictorKind::Continuous { .. } => Err(NomogramError::BadValue {
                patient: "-".into(),
                predictor: predictor.into(),
                found: format!("{label:?}"),
                expected: "a number (the predictor is continuous)".into(),
            }),
        }
    }

    /// Scores every patient, stopping at the first error.
    pub fn score_all(&self, patients: &[Patient]) -> Result<Vec<PatientScore>, NomogramError> {
        patients.iter().map(|p| self.score(p)).collect()
    }

    /// Writes scores as CSV: `id`, `points_<predictor>` per predictor in model
    /// order, `total_points`, `linear_predictor`, `probability`, `risk_group`
    /// (empty without a cut-off); numbers at full precision.
    pub fn write_scores_csv(
        &self,
        path: &std::path::Path,
        scores: &[PatientScore],
    ) -> Result<(), NomogramError> {
        let io = |source| NomogramError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut out = String::from("id");
        for p in &self.model.predictors {
            out.push_str(&format!(",points_{}", p.name));
        }
        out.push_str(",total_points,linear_predictor,probability,risk_group\n");
        for s in scores {
            out.push_str(&csv_field(&s.id));
            for p in &s.points {
                out.push_str(&format!(",{}", p.points));
            }
            let group = match s.risk_group {
                Some(RiskGroup::High) => "high",
                Some(RiskGroup::Low) => "low",
                None => "",
            };
            out.push_str(&format!(
                ",{},{},{},{group}\n",
                s.total_points, s.linear_predictor, s.probability
            ));
        }
        std::fs::write(path, out).map_err(io)
    }
}

/// A CSV field, quoted when it holds a comma, quote or line break (RFC 4180).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
