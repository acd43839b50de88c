//! The fitted logistic model a nomogram is drawn from, and the nomogram's
//! options: plain serde types so a caller can fill them from any fitter.

use serde::{Deserialize, Serialize};

/// A fitted binary logistic model, `logit P(y = 1) = intercept + Σ βᵢ xᵢ`,
/// one coefficient per predictor (as `rms::lrm` with linear terms).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticModel {
    /// The intercept β₀.
    pub intercept: f64,
    /// The predictors in the order their axes are drawn.
    pub predictors: Vec<Predictor>,
}

/// One predictor with a single linear coefficient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Predictor {
    /// Key used in patient input and the calculator's URL query (`age`).
    pub name: String,
    /// Axis label shown to people (`Age (years)`).
    pub label: String,
    /// The coefficient β (per unit of the value or of the code).
    pub coefficient: f64,
    /// Continuous, or a fixed set of coded levels.
    pub kind: PredictorKind,
}

/// How a predictor's values are laid out on its axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PredictorKind {
    /// A continuous value. The axis carries `at` when given, otherwise
    /// `pretty(c(low, high), nint)` as rms does from datadist's "Low"/"High"
    /// rows (the training data's minimum and maximum).
    Continuous {
        /// Smallest value in the training data.
        low: f64,
        /// Largest value in the training data.
        high: f64,
        /// Explicit axis values (rms: `nomogram(fit, age = seq(...))`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<Vec<f64>>,
        /// Unit shown by the calculator next to the input (`years`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit: Option<String>,
    },
    /// Ordinal or binary levels entering the model through a numeric code
    /// (BI-RADS 4A/4B/4C/5 coded 1–4); the axis shows each level's label.
    Levels {
        /// The levels in axis order.
        levels: Vec<Level>,
    },
}

/// One level of a coded predictor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Level {
    /// The numeric code the model multiplies by its coefficient.
    pub code: f64,
    /// The label people read (`4A`, `suspicious`).
    pub label: String,
}

/// Choices of `rms::nomogram` that are not part of the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NomogramOptions {
    /// Points of the predictor with the widest effect range (rms `maxscale`, 100).
    pub max_points: f64,
    /// Target number of intervals for `pretty()` axes (rms `nint`, 10).
    pub nint: usize,
    /// Range (min, max) of the training linear predictors; rms takes
    /// `pretty(range(fit$linear.predictors), nint)` as the linear-predictor
    /// axis when `lp_at` is absent.
    pub lp_range: (f64, f64),
    /// Explicit linear-predictor axis values (rms `lp.at`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lp_at: Option<Vec<f64>>,
    /// Explicit probability tick values (rms `fun.at`); default
    /// `pretty(plogis(range(lp.at)), nint)` with ticks outside the axis dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability_at: Option<Vec<f64>>,
    /// Label of the probability axis (rms `funlabel`).
    pub outcome_label: String,
    /// Probability cut-off separating the low- and high-risk groups
    /// (the paper's Youden cut-off on TC, 0.407); `None` draws no groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cutoff: Option<f64>,
}

impl NomogramOptions {
    /// rms's defaults (`maxscale = 100`, `nint = 10`) for a model whose training
    /// linear predictors span `lp_range`.
    pub fn new(lp_range: (f64, f64)) -> Self {
        Self {
            max_points: 100.0,
            nint: 10,
            lp_range,
            lp_at: None,
            probability_at: None,
            outcome_label: "Probability".to_string(),
            cutoff: None,
        }
    }
}
