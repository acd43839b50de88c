//! The one error type of dlrn-deep: every message names the file, the value
//! found and what was expected.

use std::path::PathBuf;

/// Everything that can go wrong in preprocessing, weight import, extraction
/// and fine-tuning.
#[derive(Debug, thiserror::Error)]
pub enum DeepError {
    /// A mask with no lesion pixel has no bounding box to crop.
    #[error("{what}: the mask has no lesion pixel (expected at least one non-zero pixel)")]
    EmptyMask {
        /// The case or file the mask belongs to.
        what: String,
    },
    /// Image and mask differ in size, or a pixel buffer does not match its size.
    #[error("{what}: {found} does not match {expected}")]
    SizeMismatch {
        /// The case or file concerned.
        what: String,
        /// What was found, e.g. "mask 300×200".
        found: String,
        /// What was expected, e.g. "image 320×200".
        expected: String,
    },
    /// A weights file has an extension that is not .pth, .pt, .safetensors or .mpk.
    #[error("{path}: unknown weights format {found:?} (expected .pth, .pt, .safetensors or .mpk)")]
    UnknownWeightsFormat {
        /// The weights file.
        path: PathBuf,
        /// The extension found.
        found: String,
    },
    /// Reading or applying a torchvision state dict failed.
    #[error("{path}: cannot import weights: {message}")]
    Import {
        /// The weights file.
        path: PathBuf,
        /// What the store reported.
        message: String,
    },
    /// A state dict lacks tensors the network needs, or has them in another shape.
    #[error(
        "{path}: weights do not fit a torchvision ResNet (missing: [{missing}]; errors: [{errors}])"
    )]
    WeightsMismatch {
        /// The weights file.
        path: PathBuf,
        /// Parameters of the network absent from the file (first few).
        missing: String,
        /// Shape or dtype mismatches (first few).
        errors: String,
    },
    /// Saving or loading a Burn record failed.
    #[error("{path}: Burn record: {message}")]
    Record {
        /// The record file.
        path: PathBuf,
        /// What the recorder reported.
        message: String,
    },
    /// An I/O error on a named file.
    #[error("{path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A checkpoint's JSON state could not be read or written.
    #[error("{path}: checkpoint state: {message}")]
    Checkpoint {
        /// The state file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A training or validation set unusable for fine-tuning.
    #[error("fine-tuning: {0}")]
    Dataset(String),
    /// A backend not compiled into this build.
    #[error("{0}")]
    Backend(String),
    /// A labels value other than 0/1.
    #[error("{what}: label {found} is not 0 or 1")]
    BadLabel {
        /// The case concerned.
        what: String,
        /// The value found.
        found: u8,
    },
}

/// Result alias of dlrn-deep.
pub type Result<T, E = DeepError> = std::result::Result<T, E>;
