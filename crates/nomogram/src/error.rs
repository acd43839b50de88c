//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong building, scoring or exporting a nomogram.
#[derive(Debug, thiserror::Error)]
pub enum NomogramError {
    /// The model cannot be drawn as a nomogram (e.g. no predictor has an effect).
    #[error("invalid model: predictor `{predictor}`: {reason}")]
    InvalidModel {
        /// The predictor at fault (or `model` for model-wide problems).
        predictor: String,
        /// What is wrong and what was expected.
        reason: String,
    },
    /// A number in the model or options is NaN or infinite.
    #[error("invalid model: `{what}` is {value}, expected a finite number")]
    NonFinite {
        /// Which field.
        what: String,
        /// The value found.
        value: f64,
    },
    /// A patient lacks a value for a predictor of the model.
    #[error("patient {patient}: no value for predictor `{predictor}`")]
    MissingValue {
        /// The patient's 1-based row or identifier.
        patient: String,
        /// The predictor without a value.
        predictor: String,
    },
    /// A patient's value is not usable for its predictor.
    #[error("patient {patient}: predictor `{predictor}`: {found} is not {expected}")]
    BadValue {
        /// The patient's 1-based row or identifier.
        patient: String,
        /// The predictor.
        predictor: String,
        /// The value found.
        found: String,
        /// What was expected (e.g. "one of the codes 1, 2, 3, 4").
        expected: String,
    },
    /// A patient names a predictor the model does not have.
    #[error("patient {patient}: unknown predictor `{predictor}` (model has {expected})")]
    UnknownPredictor {
        /// The patient's 1-based row or identifier.
        patient: String,
        /// The unknown name.
        predictor: String,
        /// The model's predictor names.
        expected: String,
    },
    /// Writing an output file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file being written.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Serialising or parsing JSON failed.
    #[error("{context}: {source}")]
    Json {
        /// What was being (de)serialised.
        context: String,
        /// The cause.
        source: serde_json::Error,
    },
    /// Drawing a figure failed.
    #[error("{path}: drawing failed: {message}")]
    Draw {
        /// The figure being drawn.
        path: PathBuf,
        /// The backend's message.
        message: String,
    },
    /// The embedded font could not be registered with plotters.
    #[error("embedded font `{0}` could not be registered")]
    Font(&'static str),
}
