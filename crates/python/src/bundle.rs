//! The frozen model bundle (dlrn-study's `bundle`): load, verify, predict.

use std::collections::BTreeMap;
use std::path::PathBuf;

use dlrn_study::bundle::{Bundle as StudyBundle, BundleError as StudyBundleError, PatientInput};
use pyo3::prelude::*;

use crate::convert::json;
use crate::errors::{BundleError, ToPyErr, bad_input};

impl ToPyErr for StudyBundleError {
    fn to_py(self) -> PyErr {
        match self {
            StudyBundleError::MissingInput { .. } | StudyBundleError::BadInput { .. } => {
                bad_input(self.to_string())
            }
            other => BundleError::new_err(other.to_string()),
        }
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Bundle>()?;
    Ok(())
}

/// A model bundle (`<study>/model/`), read and checked against its manifest.
#[pyclass(module = "dlrn._dlrn", frozen)]
struct Bundle {
    inner: StudyBundle,
    dir: PathBuf,
}

#[pymethods]
impl Bundle {
    #[new]
    fn new(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let inner = py
            .detach(|| StudyBundle::load(&path))
            .map_err(ToPyErr::to_py)?;
        Ok(Self { inner, dir: path })
    }

    /// The bundle folder.
    #[getter]
    fn path(&self) -> PathBuf {
        self.dir.clone()
    }

    /// Feature columns the signature needs, in its order.
    fn needed_features(&self) -> Vec<String> {
        self.inner
            .needed_features()
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    /// Clinical variables the models need.
    fn clinical_variables(&self) -> Vec<String> {
        self.inner
            .clinical_variables()
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    /// The three cut-offs, the CNN and the signature as JSON.
    fn describe(&self) -> PyResult<(String, String, String, String)> {
        Ok((
            json(&self.inner.cutoffs)?,
            json(&self.inner.cnn)?,
            json(&self.inner.signature)?,
            json(&self.inner.features)?,
        ))
    }

    /// One patient's prediction from feature values and clinical cells (as
    /// written in clinical.csv), as JSON.
    fn predict_features(
        &self,
        id: String,
        features: BTreeMap<String, f64>,
        clinical: BTreeMap<String, String>,
    ) -> PyResult<String> {
        let patient = PatientInput {
            id,
            features,
            clinical,
        };
        json(&self.inner.predict(&patient).map_err(ToPyErr::to_py)?)
    }
}
