//! The one error type of dlrn-lasso.

/// Everything that can go wrong fitting or cross-validating a lasso path.
#[derive(Debug, thiserror::Error)]
pub enum LassoError {
    /// The design matrix slice does not hold `n_rows * n_cols` values.
    #[error(
        "design matrix has {found} values, expected {n_rows} rows x {n_cols} columns = {expected}"
    )]
    Shape {
        /// Values found in the slice.
        found: usize,
        /// Rows declared.
        n_rows: usize,
        /// Columns declared.
        n_cols: usize,
        /// `n_rows * n_cols`.
        expected: usize,
    },
    /// A vector (labels, fold ids, feature names) has the wrong length.
    #[error("{what} has {found} entries, expected {expected} (one per {per})")]
    Length {
        /// Which input.
        what: &'static str,
        /// Entries found.
        found: usize,
        /// Entries expected.
        expected: usize,
        /// What each entry corresponds to.
        per: &'static str,
    },
    /// A matrix cell is NaN or infinite.
    #[error("row {row}, column {column} (`{name}`): {value} is not a finite number")]
    NotFinite {
        /// 1-based row.
        row: usize,
        /// 1-based column.
        column: usize,
        /// Column name where known.
        name: String,
        /// The value found.
        value: f64,
    },
    /// A label is not 0 or 1.
    #[error("row {row}: label {value} is not 0 or 1")]
    BadLabel {
        /// 1-based row.
        row: usize,
        /// The label found.
        value: u8,
    },
    /// All labels are equal (glmnet's errors 8001/9001).
    #[error("all {n} labels are {value}: a logistic fit needs both classes")]
    OneClass {
        /// Rows.
        n: usize,
        /// The only label present.
        value: u8,
    },
    /// An option is out of range.
    #[error("option `{name}` = {value}: expected {expected}")]
    BadOption {
        /// Option name.
        name: &'static str,
        /// Value given.
        value: String,
        /// What is allowed.
        expected: &'static str,
    },
    /// Fold ids do not form usable folds.
    #[error("fold ids: {message}")]
    Folds {
        /// What is wrong.
        message: String,
    },
    /// Coordinate descent hit the iteration cap (glmnet's jerr < 0, `maxit`).
    #[error(
        "no convergence at lambda #{lambda_index} after {passes} passes (maxit); raise maxit or loosen thresh"
    )]
    NoConvergence {
        /// 1-based lambda index.
        lambda_index: usize,
        /// Passes over the data made.
        passes: usize,
    },
    /// An error raised by linfa (dataset handling).
    #[error("linfa: {0}")]
    Linfa(#[from] linfa::Error),
    /// Writing a figure failed.
    #[error("figure {path}: {message}")]
    Plot {
        /// Output path.
        path: std::path::PathBuf,
        /// Backend message.
        message: String,
    },
}
