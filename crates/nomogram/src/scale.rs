//! Points scales as `rms::nomogram` (rms 6.5) computes them.
//!
//! For predictor j with axis values v: Xβ = βⱼ·v (rms `predict(type = "terms",
//! center.terms = FALSE)`); its effect range is max − min of Xβ over the axis.
//! `sc = max_points / max_j range_j`, so the widest predictor spans 0–100 and
//! `points = (Xβ − min_j Xβ) · sc`. Total points map back to the linear
//! predictor through `lp = axis_intercept + total / sc`, where
//! `axis_intercept = β₀ + Σ_j min_j Xβ`.

use serde::{Deserialize, Serialize};

use crate::error::NomogramError;
use crate::model::{LogisticModel, NomogramOptions, PredictorKind};
use crate::pretty::{approx, pretty, seq_length};

/// A nomogram: every axis with its ticks, ready to draw, export or score with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Nomogram {
    /// The model it was built from.
    pub model: LogisticModel,
    /// The options it was built with.
    pub options: NomogramOptions,
    /// One axis per predictor, in model order.
    pub axes: Vec<PredictorAxis>,
    /// Points per unit of linear predictor (rms `info$sc`).
    pub scale: f64,
    /// Linear predictor at zero total points (rms `info$Intercept`).
    pub axis_intercept: f64,
    /// Tick values of the top "Points" axis (0 … max_points).
    pub points_ticks: Vec<f64>,
    /// Tick values of the "Total points" axis (rms `total.points$x`).
    pub total_points_ticks: Vec<f64>,
    /// Linear-predictor axis ticks placed in total points (rms `lp`).
    pub lp_axis: Vec<ScaleTick>,
    /// Probability axis ticks placed in total points (rms `fun`).
    pub probability_axis: Vec<ScaleTick>,
}

/// One predictor's axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictorAxis {
    /// The predictor's key.
    pub name: String,
    /// The predictor's label.
    pub label: String,
    /// Smallest Xβ over the axis values (rms `info$R[1, name]`).
    pub min_xbeta: f64,
    /// Axis ticks in axis order.
    pub ticks: Vec<AxisTick>,
}

/// A tick of a predictor axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AxisTick {
    /// The predictor value (the code for a coded level).
    pub value: f64,
    /// The text printed at the tick.
    pub label: String,
    /// Its points (rms `points`).
    pub points: f64,
}

/// A tick of the linear-predictor or probability axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScaleTick {
    /// The axis value (linear predictor or probability).
    pub value: f64,
    /// Its position in total points (rms `x`).
    pub position: f64,
    /// The text printed at the tick.
    pub label: String,
}

/// The logistic function, `plogis` in R.
pub fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// A tick label: the value rounded to 10 significant digits, printed in the
/// shortest form (so `0.30000000000000004` prints as `0.3`, as R's `format`).
pub fn format_tick(v: f64) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    let digits = 10 - 1 - v.abs().log10().floor() as i32;
    let rounded = if (0..=300).contains(&digits) {
        let f = 10f64.powi(digits);
        (v * f).round() / f
    } else {
        v
    };
    let s = format!("{rounded}");
    if s == "-0" { "0".to_string() } else { s }
}

/// A cut-off probability as printed on the figure and the calculator: three
/// decimals, the precision of a Youden threshold worth reading (0.399, not
/// 0.3987654321).
pub fn format_cutoff(p: f64) -> String {
    format!("{p:.3}")
}

fn check_finite(what: &str, value: f64) -> Result<(), NomogramError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(NomogramError::NonFinite {
            what: what.to_string(),
            value,
        })
    }
}

impl Nomogram {
    /// Builds every axis as `rms::nomogram(fit, fun = plogis, ...)` does; see the
    /// module docs for the arithmetic. The probability-axis positions invert
    /// `plogis` as rms does, by `approx()` on a 1000-point grid of the
    /// linear-predictor axis range (not the exact `qlogis`), so they match rms.
    pub fn new(model: LogisticModel, options: NomogramOptions) -> Result<Self, NomogramError> {
        check_finite("intercept", model.intercept)?;
        check_finite("max_points", options.max_points)?;
        check_finite("lp_range.0", options.lp_range.0)?;
        check_finite("lp_range.1", options.lp_range.1)?;
        if options.max_points <= 0.0 {
            return Err(NomogramError::InvalidModel {
                predictor: "model".into(),
                reason: format!("max_points is {}, expected > 0", options.max_points),
            });
        }
        if model.predictors.is_empty() {
            return Err(NomogramError::InvalidModel {
                predictor: "model".into(),
                reason: "no predictors".into(),
            });
        }
        let nint = options.nint.max(1);
        let mut seen = std::collections::BTreeSet::new();
        let mut raw: Vec<(Vec<(f64, String)>, f64)> = Vec::new();
        for p in &model.predictors {
            if !seen.insert(p.name.as_str()) {
                return Err(NomogramError::InvalidModel {
                    predictor: p.name.clone(),
                    reason: "duplicate predictor name".into(),
                });
            }
            check_finite(&format!("{}.coefficient", p.name), p.coefficient)?;
            let values: Vec<(f64, String)> = match &p.kind {
                PredictorKind::Continuous { low, high, at, .. } => {
                    check_finite(&format!("{}.low", p.name), *low)?;
                    check_finite(&format!("{}.high", p.name), *high)?;
                    let vals = match at {
                        Some(v) => v.clone(),
                        None => pretty(*low, *high, nint),
                    };
                    vals.into_iter().map(|v| (v, format_tick(v))).collect()
                }
                PredictorKind::Levels { levels } => {
                    for (i, l) in levels.iter().enumerate() {
                        if levels[..i].iter().any(|m| m.code == l.code) {
                            return Err(NomogramError::InvalidModel {
                                predictor: p.name.clone(),
                                reason: format!(
                                    "level code {} appears twice, expected distinct codes",
                                    format_tick(l.code)
                                ),
                            });
                        }
                    }
                    levels.iter().map(|l| (l.code, l.label.clone())).collect()
                }
            };
            if values.len() < 2 {
                return Err(NomogramError::InvalidModel {
                    predictor: p.name.clone(),
                    reason: format!("{} axis value(s), expected at least 2", values.len()),
                });
            }
            for (v, _) in &values {
                check_finite(&format!("{} axis value", p.name), *v)?;
            }
            raw.push((values, p.coefficient));
        }
        // R's `R` matrix: per predictor min and max of Xβ over its axis values.
        let ranges: Vec<(f64, f64)> = raw
            .iter()
            .map(|(vals, b)| {
                vals.iter()
                    .map(|(v, _)| b * v)
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
                        (lo.min(x), hi.max(x))
                    })
            })
            .collect();
        let widest = ranges.iter().map(|(lo, hi)| hi - lo).fold(0.0, f64::max);
        if widest <= 0.0 {
            return Err(NomogramError::InvalidModel {
                predictor: "model".into(),
                reason: "every predictor has zero effect range (all coefficients 0?)".into(),
            });
        }
        let sc = options.max_points / widest;
        let axis_intercept = model.intercept + ranges.iter().map(|r| r.0).sum::<f64>();
        let axes = model
            .predictors
            .iter()
            .zip(&raw)
            .zip(&ranges)
            .map(|((p, (vals, b)), (lo, _))| PredictorAxis {
                name: p.name.clone(),
                label: p.label.clone(),
                min_xbeta: *lo,
                ticks: vals
                    .iter()
                    .map(|(v, l)| AxisTick {
                        value: *v,
                        label: l.clone(),
                        points: (b * v - lo) * sc,
                    })
                    .collect(),
            })
            .collect();

        let lp_at = match &options.lp_at {
            Some(v) if v.len() >= 2 => v.clone(),
            Some(v) => {
                return Err(NomogramError::InvalidModel {
                    predictor: "model".into(),
                    reason: format!("lp_at has {} value(s), expected at least 2", v.len()),
                });
            }
            None => pretty(options.lp_range.0, options.lp_range.1, nint),
        };
        let lp_max = lp_at.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let lp_min = lp_at.iter().copied().fold(f64::INFINITY, f64::min);
        let sum_max = if model.predictors.len() == 1 {
            options.max_points
        } else {
            options.max_points.max(sc * (lp_max - axis_intercept))
        };
        let total_points_ticks = pretty(0.0, sum_max, nint);
        let points_ticks = pretty(0.0, options.max_points, nint);
        let lp_axis = lp_at
            .iter()
            .map(|&v| ScaleTick {
                value: v,
                position: (v - axis_intercept) * sc,
                label: format_tick(v),
            })
            .collect();

        // rms: fat <- pretty(plogis(range(lp.at))); xseq <- seq(min, max, length = 1000);
        // w <- approx(plogis(xseq), xseq, fat)$y; NA (outside) ticks dropped.
        let fat = match &options.probability_at {
            Some(v) => v.clone(),
            None => pretty(logistic(lp_min), logistic(lp_max), nint),
        };
        let xseq = seq_length(lp_min, lp_max, 1000);
        let fu: Vec<f64> = xseq.iter().map(|&x| logistic(x)).collect();
        let probability_axis = fat
            .iter()
            .filter_map(|&p| {
                approx(&fu, &xseq, p).map(|w| ScaleTick {
                    value: p,
                    position: (w - axis_intercept) * sc,
                    label: format_tick(p),
                })
            })
            .collect();
        if let Some(c) = options.cutoff
            && !(c > 0.0 && c < 1.0)
        {
            return Err(NomogramError::InvalidModel {
                predictor: "model".into(),
                reason: format!("cutoff is {c}, expected a probability strictly between 0 and 1"),
            });
        }
        Ok(Self {
            model,
            options,
            axes,
            scale: sc,
            axis_intercept,
            points_ticks,
            total_points_ticks,
            lp_axis,
            probability_axis,
        })
    }

    /// The largest value of the total-points axis.
    pub fn total_points_max(&self) -> f64 {
        self.total_points_ticks
            .iter()
            .copied()
            .fold(self.options.max_points, f64::max)
    }

    /// Total points at which the predicted probability equals `p` (exact
    /// inverse, used to mark the cut-off), or `None` if `p` is not in (0, 1).
    pub fn total_points_at_probability(&self, p: f64) -> Option<f64> {
        if !(p > 0.0 && p < 1.0) {
            return None;
        }
        let lp = (p / (1.0 - p)).ln();
        Some((lp - self.axis_intercept) * self.scale)
    }

    /// The nomogram as pretty-printed JSON (model, options, every axis).
    pub fn to_json(&self) -> Result<String, NomogramError> {
        serde_json::to_string_pretty(self).map_err(|source| NomogramError::Json {
            context: "nomogram to JSON".into(),
            source,
        })
    }

    /// Reads a nomogram written by [`Nomogram::to_json`].
    pub fn from_json(text: &str) -> Result<Self, NomogramError> {
        serde_json::from_str(text).map_err(|source| NomogramError::Json {
            context: "nomogram from JSON".into(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cutoff_prints_three_decimals() {
        assert_eq!(format_cutoff(0.3987654321), "0.399");
        assert_eq!(format_cutoff(0.5), "0.500");
    }
}
