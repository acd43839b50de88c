//! The one error type of dlrn-stats: every message names the input, the
//! 1-based row and the value found, and says what was expected.

/// Errors from the statistics functions (bad input or a model that has no estimate).
#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    /// Two inputs that pair up row by row have different lengths.
    #[error(
        "`{left}` has {left_len} values but `{right}` has {right_len}; they must pair up row by row"
    )]
    LengthMismatch {
        /// Name of the first input.
        left: String,
        /// Its length.
        left_len: usize,
        /// Name of the second input.
        right: String,
        /// Its length.
        right_len: usize,
    },
    /// A value is NaN or infinite where a finite number is needed.
    #[error("`{column}`, row {row}: {value} is not a finite number")]
    NonFinite {
        /// Input (column) name.
        column: String,
        /// 1-based row.
        row: usize,
        /// Value found.
        value: f64,
    },
    /// A label is not 0 or 1.
    #[error("labels, row {row}: {value} is not 0 or 1")]
    BadLabel {
        /// 1-based row.
        row: usize,
        /// Value found.
        value: u8,
    },
    /// Too few cases (label 1) or controls (label 0) for the statistic.
    #[error(
        "need at least {needed} cases (label 1) and {needed} controls (label 0); found {cases} cases and {controls} controls"
    )]
    TooFewPerClass {
        /// Minimum per class.
        needed: usize,
        /// Cases found.
        cases: usize,
        /// Controls found.
        controls: usize,
    },
    /// Too few values overall.
    #[error("{what}: needs at least {needed} values, found {found}")]
    TooFew {
        /// What was being computed.
        what: String,
        /// Minimum needed.
        needed: usize,
        /// Number found.
        found: usize,
    },
    /// A value outside its allowed range (probability outside (0, 1), level outside (0, 1), …).
    #[error("`{column}`, row {row}: {value} is outside {expected}")]
    OutOfRange {
        /// Input name.
        column: String,
        /// 1-based row (1 for scalar arguments).
        row: usize,
        /// Value found.
        value: f64,
        /// The allowed range, in words.
        expected: &'static str,
    },
    /// A categorical value that is not one of the documented levels.
    #[error("`{column}`, row {row}: {found:?} is not one of {expected}")]
    BadLevel {
        /// Column name.
        column: String,
        /// 1-based row.
        row: usize,
        /// Value found.
        found: String,
        /// The allowed levels.
        expected: String,
    },
    /// Complete or quasi-complete separation: the logistic MLE does not exist.
    #[error(
        "logistic regression: {kind} separation by {predictors}: the outcome is (almost) perfectly predicted, so the maximum-likelihood estimates do not exist (R's glm warns 'fitted probabilities numerically 0 or 1 occurred')"
    )]
    Separation {
        /// "complete" or "quasi-complete".
        kind: &'static str,
        /// The predictor(s) involved.
        predictors: String,
    },
    /// IRLS did not converge.
    #[error(
        "logistic regression did not converge in {iterations} IRLS iterations (last relative deviance change {change:e})"
    )]
    NotConverged {
        /// Iterations run.
        iterations: usize,
        /// Last relative change in deviance.
        change: f64,
    },
    /// A singular information matrix (collinear or constant predictors).
    #[error(
        "{what}: the information matrix is singular; check for constant or collinear predictors ({detail})"
    )]
    Singular {
        /// What was being fitted.
        what: String,
        /// Detail (pivot, predictor names).
        detail: String,
    },
    /// A table or matrix with an impossible shape.
    #[error("{what}: {detail}")]
    BadShape {
        /// What was being computed.
        what: String,
        /// What is wrong.
        detail: String,
    },
}

/// Result alias of this crate.
pub type Result<T, E = StatsError> = std::result::Result<T, E>;
