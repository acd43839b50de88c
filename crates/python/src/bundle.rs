//! The frozen model bundle (dlrn-study's `bundle`): load, verify, predict.

use std::collections::BTreeMap;
use std::path::PathBuf;

use burn::backend::Flex;
use dlrn_cohort::{ImageOptions, MaskOptions, Table, load_pair};
use dlrn_deep::preprocess::{Grey, PreprocessConfig, lesion_crop, normalise};
use dlrn_deep::{FusedResNet, features, load_weights, resnet50_for};
use dlrn_study::bundle::{
    Bundle as StudyBundle, BundleError as StudyBundleError, CnnWeights, PatientInput,
    is_deep_feature,
};
use pyo3::prelude::*;
use rayon::prelude::*;

use crate::convert::json;
use crate::errors::{BundleError, IntoPy, ToPyErr, bad_input};

/// Cases per batch (deep features; Ctrl-C is checked between batches).
const BATCH: usize = 16;

/// One case's outcome: its prediction (JSON) or why it could not be scored.
type Scored = (String, Option<String>, Option<String>);

/// Feature values by column name.
type Values = BTreeMap<String, f64>;

/// One case's features: its values, or why they could not be computed.
type CaseFeatures = (String, Option<Values>, Option<String>);

/// One case as read: its handcrafted values and its CNN input, or why not.
type Loaded = Result<(Values, Option<Vec<f32>>), String>;

/// One patient to score: id, feature values, clinical cells.
type Patient = (String, Values, BTreeMap<String, String>);

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

    /// The nomogram's factor names, in order.
    fn nomogram_factors(&self) -> Vec<String> {
        self.inner
            .nomogram
            .model
            .predictors
            .iter()
            .map(|p| p.name.clone())
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

    /// The features the signature needs for images and masks given as files
    /// (`pairs` = (id, image, mask)), read and computed as `dlrn extract`
    /// does: handcrafted (dlrn-radiomics) and deep (the bundle's CNN and
    /// preprocessing, flex backend). Per case: the values by name, or why
    /// they could not be computed.
    fn features_of_files(
        &self,
        py: Python<'_>,
        pairs: Vec<(String, PathBuf, PathBuf)>,
    ) -> PyResult<Vec<CaseFeatures>> {
        let needed = self.inner.needed_features();
        let handcrafted: Vec<(usize, &str)> = needed
            .iter()
            .filter(|f| !is_deep_feature(f))
            .filter_map(|f| {
                dlrn_radiomics::COLUMNS
                    .iter()
                    .position(|c| c == f)
                    .map(|i| (i, *f))
            })
            .collect();
        let deep: Vec<&str> = needed
            .iter()
            .copied()
            .filter(|f| is_deep_feature(f))
            .collect();
        let pre = &self.inner.cnn.preprocessing;
        let cfg = PreprocessConfig {
            resize: pre.resize,
            crop: pre.crop,
        };
        let net = if deep.is_empty() {
            None
        } else {
            let weights = self.inner.cnn_weights_path.clone();
            let seed = match self.inner.cnn.weights {
                CnnWeights::Random { seed } => seed,
                CnnWeights::File { .. } => 0,
            };
            Some(
                py.detach(|| {
                    let device = Default::default();
                    let config = resnet50_for(weights.as_deref());
                    load_weights::<Flex>(config, weights.as_deref(), seed, &device)
                        .map(|(m, _)| FusedResNet::new(&m))
                })
                .py_err()?,
            )
        };
        let mut out = Vec::with_capacity(pairs.len());
        for chunk in pairs.chunks(BATCH) {
            // Read each case once: its handcrafted values and its CNN input.
            let loaded: Vec<Loaded> = py.detach(|| {
                chunk
                    .par_iter()
                    .map(|(_, image, mask)| {
                        let (img, m) = load_pair(
                            image,
                            mask,
                            &ImageOptions::default(),
                            &MaskOptions::default(),
                        )
                        .map_err(|e| e.to_string())?;
                        let (w, h) = (img.image.width, img.image.height);
                        let mut values = BTreeMap::new();
                        if !handcrafted.is_empty() {
                            let f = crate::images::features_of(w, h, &img.image.pixels, &m.pixels)
                                .map_err(|e| format!("{}: {e}", mask.display()))?;
                            for (i, name) in &handcrafted {
                                values.insert((*name).to_string(), f[*i]);
                            }
                        }
                        let input = if deep.is_empty() {
                            None
                        } else {
                            let grey = Grey::new(w, h, img.image.pixels)
                                .map_err(|e| format!("{}: {e}", image.display()))?;
                            let what = mask.display().to_string();
                            let lesion =
                                lesion_crop(&grey, &m.pixels, &what).map_err(|e| e.to_string())?;
                            Some(normalise(
                                &lesion.resize_shorter(cfg.resize).center_crop(cfg.crop),
                            ))
                        };
                        Ok((values, input))
                    })
                    .collect()
            });
            let inputs: Vec<Vec<f32>> = loaded
                .iter()
                .filter_map(|r| r.as_ref().ok().and_then(|(_, x)| x.clone()))
                .collect();
            let mut rows = match &net {
                Some(net) if !inputs.is_empty() => {
                    let device = Default::default();
                    py.detach(|| features(net, &inputs, cfg.crop, &device))
                }
                _ => Vec::new(),
            }
            .into_iter();
            for ((id, _, _), r) in chunk.iter().zip(loaded) {
                match r {
                    Ok((mut values, input)) => {
                        if input.is_some()
                            && let Some(f) = rows.next()
                        {
                            for name in &deep {
                                if let Some(v) = name
                                    .strip_prefix("f_")
                                    .and_then(|j| j.parse::<usize>().ok())
                                    .and_then(|j| f.get(j.wrapping_sub(1)))
                                {
                                    values.insert((*name).to_string(), f64::from(*v));
                                }
                            }
                        }
                        out.push((id.clone(), Some(values), None));
                    }
                    Err(e) => out.push((id.clone(), None, Some(e))),
                }
            }
            py.check_signals()?;
        }
        Ok(out)
    }

    /// A cohort's clinical cells (clinical.csv read as `dlrn predict` reads
    /// it) for the variables the bundle needs, by id.
    fn clinical_cells(
        &self,
        cohort: PathBuf,
    ) -> PyResult<BTreeMap<String, BTreeMap<String, String>>> {
        let path = cohort.join("clinical.csv");
        let vars = self.inner.clinical_variables();
        if !path.is_file() {
            return Err(bad_input(format!(
                "{}: no clinical.csv; the models need the columns id, {}",
                cohort.display(),
                vars.join(", ")
            )));
        }
        let table = Table::read(&path).py_err()?;
        let missing: Vec<&str> = std::iter::once("id")
            .chain(vars.iter().copied())
            .filter(|c| !table.has_column(c))
            .collect();
        if !missing.is_empty() {
            return Err(bad_input(format!(
                "{}: missing column(s) {} that the model bundle needs (it uses {})",
                path.display(),
                missing.join(", "),
                vars.join(", ")
            )));
        }
        let ids = table.ids().py_err()?;
        let mut out: BTreeMap<String, BTreeMap<String, String>> =
            ids.iter().map(|id| (id.clone(), BTreeMap::new())).collect();
        for var in vars {
            for (id, cell) in ids.iter().zip(table.str_column(var).py_err()?) {
                if let (Some(row), Some(cell)) = (out.get_mut(id), cell) {
                    row.insert(var.to_string(), cell);
                }
            }
        }
        Ok(out)
    }

    /// Scores patients from their features and clinical cells: per id, the
    /// prediction (JSON) or why it could not be made.
    fn predict_many(&self, patients: Vec<Patient>) -> Vec<Scored> {
        patients
            .into_iter()
            .map(|(id, features, clinical)| {
                let patient = PatientInput {
                    id: id.clone(),
                    features,
                    clinical,
                };
                match self.inner.predict(&patient) {
                    Ok(p) => match serde_json::to_string(&p) {
                        Ok(text) => (id, Some(text), None),
                        Err(e) => (id, None, Some(e.to_string())),
                    },
                    Err(e) => (id, None, Some(e.to_string())),
                }
            })
            .collect()
    }
}
