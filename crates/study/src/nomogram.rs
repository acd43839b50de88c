//! The nomogram of a fitted model: one axis per variable, drawn from the
//! schema (labels, level order, codes), as `rms::nomogram` draws an `lrm` fit.

use dlrn_cohort::schema::{ClinicalSchema, VariableKind};
use dlrn_nomogram::{Level, LogisticModel, Nomogram, NomogramOptions, Predictor, PredictorKind};

use crate::coding::{Design, level_code, terms};
use crate::error::{Result, StudyError};
use crate::model::FittedModel;

/// Builds the nomogram of `model`. Each clinical variable of the schema gets
/// one axis: a numeric one from the training minimum to maximum (rms's
/// datadist "Low"/"High"), a binary or ordinal one with its levels at their
/// codes, a nominal one with the reference level at 0 and each other level
/// at its dummy's coefficient (coefficient 1), as rms draws a factor. Model
/// columns that are not clinical variables (the signature) are continuous,
/// labelled by `extra_labels` (column, label) or their name. `training` gives
/// the value ranges; `lp_range` the training linear predictors' range.
pub fn build_nomogram(
    schema: &ClinicalSchema,
    model: &FittedModel,
    training: &Design,
    extra_labels: &[(String, String)],
    mut options: NomogramOptions,
    lp_range: (f64, f64),
) -> Result<Nomogram> {
    options.lp_range = lp_range;
    let mut predictors: Vec<Predictor> = Vec::new();
    for (k, col) in model.fit.coefficients[1..].iter().zip(&model.columns) {
        let owner = schema.variables.iter().find_map(|v| {
            terms(v)
                .into_iter()
                .find(|t| t.name == *col)
                .map(|t| (v, t))
        });
        let range = || {
            let values = training.column(col)?;
            let finite = values.iter().copied().filter(|v| v.is_finite());
            let lo = finite.clone().fold(f64::INFINITY, f64::min);
            let hi = finite.fold(f64::NEG_INFINITY, f64::max);
            Ok::<_, StudyError>((lo, hi))
        };
        match owner {
            None => {
                let (low, high) = range()?;
                let label = extra_labels
                    .iter()
                    .find(|(c, _)| c == col)
                    .map_or_else(|| col.clone(), |(_, l)| l.clone());
                predictors.push(Predictor {
                    name: col.clone(),
                    label,
                    coefficient: k.estimate,
                    kind: PredictorKind::Continuous {
                        low,
                        high,
                        at: None,
                        unit: None,
                    },
                });
            }
            Some((v, t)) => match &v.kind {
                VariableKind::Numeric { unit, .. } => {
                    let (low, high) = range()?;
                    predictors.push(Predictor {
                        name: col.clone(),
                        label: v.label.clone(),
                        coefficient: k.estimate,
                        kind: PredictorKind::Continuous {
                            low,
                            high,
                            at: None,
                            unit: unit.clone(),
                        },
                    });
                }
                VariableKind::Binary { levels, .. } | VariableKind::Ordinal { levels } => {
                    predictors.push(Predictor {
                        name: col.clone(),
                        label: v.label.clone(),
                        coefficient: k.estimate,
                        kind: PredictorKind::Levels {
                            levels: levels
                                .iter()
                                .enumerate()
                                .map(|(j, l)| Level {
                                    code: level_code(v, j),
                                    label: v.level_label(l),
                                })
                                .collect(),
                        },
                    });
                }
                VariableKind::Nominal { reference, .. } => {
                    let level = Level {
                        code: k.estimate,
                        label: v.level_label(t.level.as_deref().unwrap_or_default()),
                    };
                    match predictors.iter_mut().find(|p| p.name == v.name) {
                        Some(Predictor {
                            kind: PredictorKind::Levels { levels },
                            ..
                        }) => levels.push(level),
                        _ => predictors.push(Predictor {
                            name: v.name.clone(),
                            label: v.label.clone(),
                            coefficient: 1.0,
                            kind: PredictorKind::Levels {
                                levels: vec![
                                    Level {
                                        code: 0.0,
                                        label: v.level_label(reference),
                                    },
                                    level,
                                ],
                            },
                        }),
                    }
                }
            },
        }
    }
    Nomogram::new(
        LogisticModel {
            intercept: model.fit.coefficients[0].estimate,
            predictors,
        },
        options,
    )
    .map_err(|e| StudyError::Nomogram(Box::new(e)))
}
