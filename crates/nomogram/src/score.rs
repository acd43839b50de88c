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
