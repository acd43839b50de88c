//! The one error type of dlrn-simulate.

use std::path::PathBuf;

/// Everything that can go wrong while simulating and writing the study.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// `scale` must be a finite positive number.
    #[error(
        "scale {found} is not a finite number > 0 (expected e.g. 1 for the paper's sizes, 0.2 for a fifth)"
    )]
    BadScale {
        /// The value given.
        found: f64,
    },
    /// A generating parameter is out of its documented range.
    #[error("parameter `{name}` is {found}, expected {expected}")]
    BadParam {
        /// Dotted path of the parameter, e.g. `cohorts[1].positives`.
        name: String,
        /// The value found, as text.
        found: String,
        /// What was expected.
        expected: &'static str,
    },
    /// The output folder holds files that a previous simulation did not write.
    #[error(
        "{path}: folder is not empty and holds no simulate.json (expected an empty or new folder, or a previous simulation to replace)"
    )]
    OutNotEmpty {
        /// The output folder.
        path: PathBuf,
    },
    /// Creating, removing or writing a file or folder failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Encoding a PNG failed.
    #[error("{path}: writing PNG: {source}")]
    Png {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: image::ImageError,
    },
    /// Writing a CSV failed.
    #[error("{path}: writing CSV: {source}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: csv::Error,
    },
    /// Serialising simulate.json failed.
    #[error("{path}: writing JSON: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
}

/// Adds the path to an I/O error.
pub(crate) fn io_err(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> SimError + '_ {
    move |source| SimError::Io {
        path: path.to_path_buf(),
        source,
    }
}
