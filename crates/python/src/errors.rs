//! The exception hierarchy and the mapping of each library error onto it.

use pyo3::PyErr;
use pyo3::create_exception;
use pyo3::exceptions::PyException;

create_exception!(
    dlrn,
    DlrnError,
    PyException,
    "Base class of every error dlrn raises."
);
create_exception!(
    dlrn,
    BadInputError,
    DlrnError,
    "Bad input: a missing or undecodable file, a wrong shape, dtype or length, a non-finite value or a label other than 0/1. The message names the file, row and column where they apply."
);
create_exception!(
    dlrn,
    ModelError,
    DlrnError,
    "A model has no estimate on valid input (separation, no convergence, a singular design)."
);
create_exception!(
    dlrn,
    BundleError,
    DlrnError,
    "A model bundle that cannot be used: another format version, a missing file or one whose SHA-256 differs from the manifest."
);

/// A `BadInputError` with `message`.
pub fn bad_input(message: impl Into<String>) -> PyErr {
    BadInputError::new_err(message.into())
}

/// Library errors as Python exceptions.
pub trait ToPyErr {
    /// The exception for this error.
    fn to_py(self) -> PyErr;
}

impl ToPyErr for dlrn_cohort::CohortError {
    fn to_py(self) -> PyErr {
        bad_input(self.to_string())
    }
}

impl ToPyErr for dlrn_radiomics::RadiomicsError {
    fn to_py(self) -> PyErr {
        bad_input(self.to_string())
    }
}

impl ToPyErr for dlrn_stats::StatsError {
    fn to_py(self) -> PyErr {
        use dlrn_stats::StatsError as E;
        match self {
            E::Separation { .. } | E::NotConverged { .. } | E::Singular { .. } => {
                ModelError::new_err(self.to_string())
            }
            other => bad_input(other.to_string()),
        }
    }
}

impl ToPyErr for dlrn_lasso::LassoError {
    fn to_py(self) -> PyErr {
        use dlrn_lasso::LassoError as E;
        match self {
            E::NoConvergence { .. } => ModelError::new_err(self.to_string()),
            other => bad_input(other.to_string()),
        }
    }
}

impl ToPyErr for dlrn_deep::DeepError {
    fn to_py(self) -> PyErr {
        use dlrn_deep::DeepError as E;
        match self {
            E::Backend(_) => DlrnError::new_err(self.to_string()),
            other => bad_input(other.to_string()),
        }
    }
}

impl ToPyErr for serde_json::Error {
    fn to_py(self) -> PyErr {
        DlrnError::new_err(format!("serialising a result: {self}"))
    }
}

/// `Result<T, E>` → `PyResult<T>` through [`ToPyErr`].
pub trait IntoPy<T> {
    /// Converts the error.
    fn py_err(self) -> pyo3::PyResult<T>;
}

impl<T, E: ToPyErr> IntoPy<T> for Result<T, E> {
    fn py_err(self) -> pyo3::PyResult<T> {
        self.map_err(ToPyErr::to_py)
    }
}
