//! The one error type of dlrn-study: every message names the file, the
//! 1-based row, the column or key, the value found and what was expected.

use std::path::PathBuf;

/// Errors from the study library (bad schema, bad table, a model that cannot be fitted).
#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A statistic failed on the study's data.
    #[error("{context}: {source}")]
    Stats {
        /// What was being computed.
        context: String,
        /// The cause.
        source: dlrn_stats::StatsError,
    },
}

/// Result alias of the study library.
pub type Result<T, E = StudyError> = std::result::Result<T, E>;
