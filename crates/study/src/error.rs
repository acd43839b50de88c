//! The one error type of dlrn-study: every message names the file, the
//! 1-based row, the column or key, the value found and what was expected.

use std::path::PathBuf;

use dlrn_cohort::Problem;

fn problems_text(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

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
    /// A table could not be read.
    #[error("{path}: {source}")]
    Cohort {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: Box<dlrn_cohort::CohortError>,
    },
    /// A clinical table does not match its schema (every problem, one per line).
    #[error("{}", problems_text(.problems))]
    Clinical {
        /// File, row, column and what is wrong, per problem.
        problems: Vec<Problem>,
    },
    /// A schema file is not valid TOML or contradicts itself.
    #[error("{path}: {message}")]
    Schema {
        /// The schema file.
        path: PathBuf,
        /// What is wrong (the key named).
        message: String,
    },
    /// A feature row has no clinical row.
    #[error("{path}: no row for id {id:?}")]
    MissingPatient {
        /// The clinical table.
        path: PathBuf,
        /// The id.
        id: String,
    },
    /// A variable is not declared in the schema.
    #[error("clinical variable `{variable}` is not declared (declared: {declared})")]
    UnknownVariable {
        /// The name asked for.
        variable: String,
        /// The declared names.
        declared: String,
    },
    /// A variable's values cannot be coded.
    #[error("clinical variable `{variable}`: {message}")]
    Coding {
        /// The variable.
        variable: String,
        /// What is wrong.
        message: String,
    },
    /// A model column is missing from the design or a feature table.
    #[error("column `{column}` is missing")]
    MissingColumn {
        /// The column.
        column: String,
    },
    /// Inputs that must line up do not.
    #[error("{what}: {message}")]
    Shape {
        /// What was being matched.
        what: String,
        /// What is wrong.
        message: String,
    },
    /// A config value is invalid.
    #[error("{key}: {message}")]
    Config {
        /// The config key.
        key: String,
        /// What is wrong and what was expected.
        message: String,
    },
    /// A logistic model cannot be fitted.
    #[error("logistic fit on {model}: {source}")]
    Fit {
        /// The model's columns.
        model: String,
        /// The cause (separation, constant column, …).
        source: Box<dlrn_stats::StatsError>,
    },
    /// No clinical variable passed the univariate screen.
    #[error("no clinical factor passed the univariate screen (p < {threshold})")]
    NothingPassed {
        /// The screen threshold.
        threshold: f64,
    },
    /// Backward elimination was given no variable.
    #[error("backward elimination needs at least one variable")]
    NoVariables,
    /// The LASSO kept no feature at the chosen lambda.
    #[error("LASSO selected no feature at the chosen lambda")]
    EmptySignature,
    /// A model has no prediction for a patient (a predictor value is missing).
    #[error(
        "{model} model has no prediction for {cohort} patient {id:?} (a predictor value is missing)"
    )]
    NoPrediction {
        /// Model name.
        model: String,
        /// Cohort.
        cohort: String,
        /// Patient id.
        id: String,
    },
    /// A statistic failed on the study's data.
    #[error("{context}: {source}")]
    Stats {
        /// What was being computed.
        context: String,
        /// The cause.
        source: dlrn_stats::StatsError,
    },
    /// A cohort table could not be read (the message names the file, row and column).
    #[error(transparent)]
    Table(Box<dlrn_cohort::CohortError>),
    /// An input file or folder cannot be used as it is.
    #[error("{path}: {message}")]
    Input {
        /// The file or folder.
        path: PathBuf,
        /// What is wrong, and what was expected.
        message: String,
    },
    /// A step failed (its cause kept as the source).
    #[error("{context}")]
    During {
        /// What was being done.
        context: String,
        /// The cause.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// An error of another crate or of the caller (an extraction it ran for
    /// the study, say), passed on as it is.
    #[error(transparent)]
    Other(Box<dyn std::error::Error + Send + Sync>),
    /// A computation cannot go on with these inputs (the message says why).
    #[error("{message}")]
    Invalid {
        /// What is wrong.
        message: String,
    },
    /// Patients of an applied model could not be scored (the others were).
    #[error("{count} patient(s) could not be scored (the others are written):\n{patients}")]
    Unscored {
        /// How many.
        count: usize,
        /// One line per patient: `  id: reason`.
        patients: String,
    },
    /// The LASSO failed.
    #[error(transparent)]
    Lasso(Box<dlrn_lasso::LassoError>),
    /// Building the nomogram failed.
    #[error(transparent)]
    Nomogram(Box<dlrn_nomogram::NomogramError>),
    /// Building a report row failed.
    #[error(transparent)]
    Report(Box<dlrn_report::ReportError>),
}

impl From<dlrn_lasso::LassoError> for StudyError {
    fn from(e: dlrn_lasso::LassoError) -> Self {
        StudyError::Lasso(Box::new(e))
    }
}

impl From<dlrn_report::ReportError> for StudyError {
    fn from(e: dlrn_report::ReportError) -> Self {
        StudyError::Report(Box::new(e))
    }
}

/// Result alias of the study library.
pub type Result<T, E = StudyError> = std::result::Result<T, E>;
