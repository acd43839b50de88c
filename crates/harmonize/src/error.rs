//! The one error type of dlrn-harmonize: every message names the row, the
//! feature, the batch or the covariate concerned and says what was expected.

/// Errors from fitting or applying ComBat (bad input, or data ComBat cannot estimate).
#[derive(Debug, thiserror::Error)]
pub enum HarmonizeError {
    /// The value matrix, batch labels or a covariate do not have matching sizes.
    #[error("{what} has {found} values; expected {expected}")]
    Shape {
        /// Which input.
        what: String,
        /// Values found.
        found: usize,
        /// Values expected.
        expected: usize,
    },
    /// A feature value or covariate is NaN or infinite.
    #[error(
        "row {row}, column `{column}`: {value} is not a finite number (ComBat needs every value)"
    )]
    NonFinite {
        /// 1-based row.
        row: usize,
        /// Feature or covariate name.
        column: String,
        /// Value found.
        value: f64,
    },
    /// A feature or covariate name appears twice.
    #[error("column `{name}` is given twice")]
    DuplicateName {
        /// The repeated name.
        name: String,
    },
    /// The fit has fewer than two batches.
    #[error("found {found} batch level(s) ({levels}); ComBat needs at least 2 batches to fit")]
    TooFewBatches {
        /// Levels found.
        found: usize,
        /// The levels, comma-separated.
        levels: String,
    },
    /// A batch has too few rows to estimate its location and scale.
    #[error(
        "batch `{level}` has {rows} row(s); ComBat needs at least {min} rows per batch: its scale \
         (δ̂) is a sample variance, which needs 2 values (sva::ComBat would silently switch every \
         batch to mean-only)"
    )]
    TooSmallBatch {
        /// Batch level.
        level: String,
        /// Rows found.
        rows: usize,
        /// Minimum rows.
        min: usize,
    },
    /// The reference batch is not one of the levels.
    #[error("reference batch `{level}` is not one of the batch levels ({levels})")]
    UnknownReference {
        /// The level asked for.
        level: String,
        /// The levels found, comma-separated.
        levels: String,
    },
    /// A feature is constant within a batch and the options refuse such features.
    #[error(
        "feature `{feature}` is constant within batch `{batch}` (every one of its {rows} rows is \
         {value}): its batch scale cannot be estimated; drop the feature, or leave such features \
         unadjusted as sva::ComBat does"
    )]
    ConstantFeature {
        /// Feature name.
        feature: String,
        /// Batch level.
        batch: String,
        /// Rows in the batch.
        rows: usize,
        /// The constant value.
        value: f64,
    },
    /// A feature's pooled (or reference) residual variance is zero, so it cannot be standardised.
    #[error(
        "feature `{feature}`: the {which} residual variance is 0 (the covariates fit it exactly), \
         so ComBat cannot standardise it"
    )]
    ZeroVariance {
        /// Feature name.
        feature: String,
        /// "pooled" or "reference batch".
        which: &'static str,
    },
    /// Fewer than two features are left to pool the empirical Bayes priors over.
    #[error(
        "{context}: {found} feature(s) left to adjust; ComBat's empirical Bayes priors pool over \
         features and need at least 2"
    )]
    TooFewFeatures {
        /// Where (the fit, or a batch at apply).
        context: String,
        /// Features left.
        found: usize,
    },
    /// A covariate takes one value on every row.
    #[error(
        "covariate `{name}` is constant ({value} on every row): it carries no information to preserve"
    )]
    ConstantCovariate {
        /// Covariate name.
        name: String,
        /// Its value.
        value: f64,
    },
    /// The design (batch indicators and covariates) is rank deficient, as sva::ComBat refuses it.
    #[error("{0}")]
    Confounded(String),
    /// The empirical Bayes priors of a batch cannot be formed (every feature's δ̂ or γ̂ equal).
    #[error(
        "batch `{batch}`: the {what} is not finite; the features' batch estimates are all equal, \
         so there is no spread to form the prior from"
    )]
    DegeneratePrior {
        /// Batch level.
        batch: String,
        /// Which hyperparameter.
        what: &'static str,
    },
    /// The parametric solver did not meet sva's criterion.
    #[error("batch `{batch}`: the parametric empirical Bayes solver (sva's it.sol) {reason}")]
    NoConvergence {
        /// Batch level.
        batch: String,
        /// What happened.
        reason: String,
    },
    /// The data given to `apply` lack features or covariates of the model, or order them otherwise.
    #[error("{0}")]
    ModelMismatch(String),
    /// A stored model is inconsistent (edited, or from another version).
    #[error("the ComBat model is inconsistent: {0}")]
    BadModel(String),
}
