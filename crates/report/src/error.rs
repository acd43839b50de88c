//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong writing the report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Writing or creating an output failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Writing a CSV file failed.
    #[error("{path}: {source}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: csv::Error,
    },
    /// Writing a table's CSV text in memory failed.
    #[error("{table}: {source}")]
    CsvText {
        /// The table.
        table: String,
        /// The cause.
        source: csv::Error,
    },
    /// Serialising JSON failed.
    #[error("{path}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
    /// An input value cannot be shown (row is 1-based within the table).
    #[error("{table}: row {row}, column `{column}`: {found} is not {expected}")]
    BadValue {
        /// The table or figure.
        table: String,
        /// 1-based row (or series) number.
        row: usize,
        /// The column or field.
        column: String,
        /// The value found.
        found: String,
        /// What was expected.
        expected: String,
    },
    /// Drawing a figure failed.
    #[error("{path}: drawing failed: {message}")]
    Draw {
        /// The figure file.
        path: PathBuf,
        /// The backend's message.
        message: String,
    },
    /// The nomogram crate's font registration or drawing failed.
    #[error(transparent)]
    Nomogram(#[from] dlrn_nomogram::NomogramError),
}
