//! The crate's error type: every message names the file and, where it applies,
//! the 1-based row, the column, the value found and what was expected.

use std::path::PathBuf;

/// Errors from reading tables, images and cohort folders.
#[derive(Debug, thiserror::Error)]
pub enum CohortError {
    /// A file or folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The table could not be parsed at all (malformed CSV/Parquet).
    #[error("{path}: cannot read table: {message}")]
    Table { path: PathBuf, message: String },
    /// A file extension that the table reader or writer does not handle.
    #[error("{path}: unsupported table format (expected .csv or .parquet)")]
    TableFormat { path: PathBuf },
    /// A required column is absent.
    #[error("{path}: missing column `{column}`")]
    MissingColumn { path: PathBuf, column: String },
    /// Several required columns are absent.
    #[error("{path}: missing columns: {}", columns.join(", "))]
    MissingColumns { path: PathBuf, columns: Vec<String> },
    /// One cell holds a value outside the expected vocabulary or type.
    #[error("{path}: row {row}, column `{column}`: {found:?} {expected}")]
    BadValue {
        path: PathBuf,
        row: usize,
        column: String,
        found: String,
        expected: String,
    },
    /// The same id appears twice.
    #[error("{path}: duplicate id {id:?} in rows {first_row} and {row}")]
    DuplicateId {
        path: PathBuf,
        id: String,
        first_row: usize,
        row: usize,
    },
    /// An image or mask file could not be decoded.
    #[error("{path}: cannot decode image: {message}")]
    Image { path: PathBuf, message: String },
    /// A lesion mask (raster, ImageJ ROI, NIfTI) is unusable: ambiguous
    /// labels, lossy values, outside the image, wrong size or orientation.
    #[error("{path}: {message}")]
    Mask { path: PathBuf, message: String },
    /// A cohort folder's images and masks do not pair up.
    #[error("{dir}: {}", problems.join("; "))]
    Unpaired { dir: PathBuf, problems: Vec<String> },
}

impl CohortError {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        CohortError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Errors of the feature store: the cohort's own, or a store file that is
/// not what this extraction expects (the message names the file).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Reading the cohort, a table or a file failed.
    #[error(transparent)]
    Cohort(#[from] CohortError),
    /// A store file or shard does not fit; the message names the file.
    #[error("{0}")]
    Invalid(String),
    /// A sidecar could not be encoded as JSON.
    #[error("{path}: {source}")]
    Json {
        /// The sidecar.
        path: PathBuf,
        /// What serde_json said.
        #[source]
        source: serde_json::Error,
    },
}
