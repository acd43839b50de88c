//! The frozen model bundle (dlrn-study's `bundle`): load, verify, predict.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::backend::Flex;
use dlrn_cohort::{ImageOptions, MaskOptions, load_pair};
use dlrn_deep::preprocess::{Grey, PreprocessConfig, lesion_crop, normalise};
use dlrn_deep::{FusedResNet, features, load_weights, resnet50_for};
use dlrn_study::apply::{
    ExtractError, Extraction, HarmonizeMode, Scored, assess, fail_if_unscored, report,
    score_cohort, write_predictions,
};
use dlrn_study::bundle::{
    Bundle as StudyBundle, BundleError as StudyBundleError, Cnn, CnnWeights, PatientInput,
    Prediction, is_deep_feature,
};
use dlrn_study::error::StudyError;
use dlrn_study::extraction::deep::{DeepJob, extract_deep};
use dlrn_study::extraction::{HandcraftedJob, Reading, extract_handcrafted};
use dlrn_study::pipeline::EvaluationSettings;
use pyo3::prelude::*;
use rayon::prelude::*;

use crate::convert::{f64s, json};
use crate::errors::{BundleError, IntoPy, ToPyErr, bad_input};
use crate::extract::PyWatch;

/// Cases per batch (deep features; Ctrl-C is checked between batches).
const BATCH: usize = 16;

/// Feature values by column name.
type Values = BTreeMap<String, f64>;

/// One case's features: its values, or why they could not be computed.
type CaseFeatures = (String, Option<Values>, Option<String>);

/// One case as read: its handcrafted values and its CNN input, or why not.
type Loaded = Result<(Values, Option<Vec<f32>>), String>;

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

    /// Scores a cohort folder as `dlrn predict --cohort` does, through
    /// dlrn-study's `score_cohort` (the same checks, imputation and
    /// warnings): the features the signature needs are extracted into `work`
    /// (resumable), every patient with an image is scored. With `out`, the
    /// predictions table is written there byte for byte as the command line
    /// writes it. Returns the scored patients (JSON) and what `dlrn predict`
    /// prints on stderr (one line per warning, the summary).
    #[pyo3(signature = (cohort, work, out=None, strict=false, progress=None, harmonize="apply"))]
    #[allow(clippy::too_many_arguments)]
    fn predict_cohort(
        &self,
        py: Python<'_>,
        cohort: PathBuf,
        work: PathBuf,
        out: Option<PathBuf>,
        strict: bool,
        progress: Option<Py<PyAny>>,
        harmonize: &str,
    ) -> PyResult<(String, Vec<String>)> {
        let mode = harmonize_mode(harmonize)?;
        let watch = PyWatch::new(progress);
        let scored = py
            .detach(|| score(&self.inner, &cohort, &work, strict, mode, &watch))
            .map_err(ToPyErr::to_py)?;
        let shown = out.clone().unwrap_or_else(|| PathBuf::from("<DataFrame>"));
        if let Some(out) = &out {
            write_predictions(&self.inner, &scored, out).map_err(ToPyErr::to_py)?;
        }
        Ok((json(&scored)?, report(&scored, &shown)))
    }

    /// `dlrn assess --model … --cohort … --out …`: scores the labelled
    /// cohort (features into `<out>/work`), writes `<out>/patients.csv`, then
    /// the study's evaluation at the bundle's cut-offs (dlrn-study
    /// `apply::assess`) into `out`. Returns the scored patients (JSON), the
    /// lines `dlrn assess` prints and the files written.
    #[pyo3(signature = (cohort, out, name=None, level=0.95, hl_groups=10, thresholds=(0.01, 0.99, 0.01), strict=false, progress=None, harmonize="apply"))]
    #[allow(clippy::too_many_arguments)]
    fn assess_cohort(
        &self,
        py: Python<'_>,
        cohort: PathBuf,
        out: PathBuf,
        name: Option<String>,
        level: f64,
        hl_groups: usize,
        thresholds: (f64, f64, f64),
        strict: bool,
        progress: Option<Py<PyAny>>,
        harmonize: &str,
    ) -> PyResult<(String, Vec<String>, Vec<String>)> {
        let mode = harmonize_mode(harmonize)?;
        let settings = evaluation_settings(level, hl_groups, thresholds)?;
        let name = name.unwrap_or_else(|| {
            cohort
                .canonicalize()
                .ok()
                .and_then(|p| p.file_name().map(|s| s.to_string_lossy().to_string()))
                .unwrap_or_else(|| "cohort".into())
        });
        // Outcomes first: a cohort without them is refused before any extraction.
        let labels = dlrn_cohort::read_labels(&cohort).py_err()?.ok_or_else(|| {
            bad_input(format!(
                "{}: no ALN_status column; assess needs outcomes (use predict without them)",
                cohort.join("clinical.csv").display()
            ))
        })?;
        std::fs::create_dir_all(&out)
            .map_err(|e| bad_input(format!("creating {}: {e}", out.display())))?;
        let watch = PyWatch::new(progress);
        let scored = py
            .detach(|| {
                score(
                    &self.inner,
                    &cohort,
                    &out.join("work"),
                    strict,
                    mode,
                    &watch,
                )
            })
            .map_err(ToPyErr::to_py)?;
        let patients = out.join("patients.csv");
        write_predictions(&self.inner, &scored, &patients).map_err(ToPyErr::to_py)?;
        let mut lines = report(&scored, &patients);
        fail_if_unscored(&scored).map_err(ToPyErr::to_py)?;
        let (more, files) = py
            .detach(|| {
                assess_scored(
                    &self.inner,
                    &self.dir,
                    &cohort,
                    &name,
                    &scored,
                    &labels,
                    &settings,
                    &out,
                )
            })
            .map_err(ToPyErr::to_py)?;
        lines.extend(more);
        Ok((json(&scored)?, lines, files))
    }

    /// The assessment of predictions already made (a `predict` table with
    /// the outcomes): `ids`, the signature score and the three probabilities
    /// as float64 bytes, `labels` 0/1 (NaN: no outcome). Writes the same
    /// report as `assess_cohort` (without patients.csv) into `out`; returns
    /// the lines `dlrn assess` prints and the files written.
    #[pyo3(signature = (ids, scores, labels, out, name, level=0.95, hl_groups=10, thresholds=(0.01, 0.99, 0.01)))]
    #[allow(clippy::too_many_arguments)]
    fn assess_predictions(
        &self,
        py: Python<'_>,
        ids: Vec<String>,
        scores: [Vec<u8>; 4],
        labels: Vec<u8>,
        out: PathBuf,
        name: String,
        level: f64,
        hl_groups: usize,
        thresholds: (f64, f64, f64),
    ) -> PyResult<(Vec<String>, Vec<String>)> {
        let settings = evaluation_settings(level, hl_groups, thresholds)?;
        let n = ids.len();
        let cols = ["signature_score", "p_clinical", "p_signature", "p_dlrn"];
        let mut values = Vec::with_capacity(4);
        for (col, bytes) in cols.iter().zip(&scores) {
            let v = f64s(col, bytes)?;
            if v.len() != n {
                return Err(bad_input(format!(
                    "`{col}` has {} values for {n} ids",
                    v.len()
                )));
            }
            values.push(v);
        }
        let y = f64s("ALN_status", &labels)?;
        if y.len() != n {
            return Err(bad_input(format!(
                "`ALN_status` has {} values for {n} ids",
                y.len()
            )));
        }
        let mut outcome = BTreeMap::new();
        let mut scored = Vec::with_capacity(n);
        for (i, id) in ids.iter().enumerate() {
            let label = match y[i] {
                v if v.is_nan() => None,
                0.0 => Some(0),
                1.0 => Some(1),
                v => {
                    return Err(bad_input(format!(
                        "`ALN_status`, row {} (id {id:?}): {v} is not 0 or 1",
                        i + 1
                    )));
                }
            };
            if outcome.insert(id.clone(), label).is_some() {
                return Err(bad_input(format!("id {id:?} appears twice")));
            }
            let [s, pc, ps, pd] = [0, 1, 2, 3].map(|j| values[j][i]);
            let prediction = [s, pc, ps, pd]
                .iter()
                .all(|v| v.is_finite())
                .then(|| Prediction {
                    id: id.clone(),
                    signature_score: s,
                    p_clinical: pc,
                    p_signature: ps,
                    p_dlrn: pd,
                    dlrn_class: u8::from(pd >= self.inner.cutoffs.dlrn),
                    points: Vec::new(),
                    total_points: f64::NAN,
                    warnings: Vec::new(),
                    dlrn_inputs: Vec::new(),
                });
            let error = prediction.is_none().then(|| "not scored".to_string());
            scored.push(Scored {
                id: id.clone(),
                prediction,
                error,
            });
        }
        fail_if_unscored(&scored).map_err(ToPyErr::to_py)?;
        std::fs::create_dir_all(&out)
            .map_err(|e| bad_input(format!("creating {}: {e}", out.display())))?;
        let cohort = PathBuf::from(&name);
        py.detach(|| {
            assess_scored(
                &self.inner,
                &self.dir,
                &cohort,
                &name,
                &scored,
                &outcome,
                &settings,
                &out,
            )
        })
        .map_err(ToPyErr::to_py)
    }
}

/// `dlrn assess`'s checks of its statistics options, and the settings.
fn evaluation_settings(
    level: f64,
    hl_groups: usize,
    (from, to, step): (f64, f64, f64),
) -> PyResult<EvaluationSettings> {
    if !(level > 0.0 && level < 1.0) {
        return Err(bad_input(format!("level {level} is not between 0 and 1")));
    }
    if !(step > 0.0 && from > 0.0 && to < 1.0 && from <= to) {
        return Err(bad_input(format!(
            "thresholds ({from}, {to}, {step}): need 0 < from <= to < 1 and step > 0"
        )));
    }
    // Each threshold is a decision-curve row (as `dlrn assess`: at most 100 000).
    if (to - from) / step > 100_000.0 {
        return Err(bad_input(format!(
            "thresholds ({from}, {to}, {step}): {:.0} steps, at most 100000 (a larger step)",
            ((to - from) / step).ceil()
        )));
    }
    let n_steps = ((to - from) / step).round() as usize;
    Ok(EvaluationSettings {
        thresholds: (0..=n_steps).map(|i| from + step * i as f64).collect(),
        hl_groups,
        level,
        subgroup: None,
    })
}

/// The study's evaluation of scored patients, written into `out` as `dlrn
/// assess` writes it: the lines it prints after the predictions, and the
/// files written.
#[allow(clippy::too_many_arguments)]
fn assess_scored(
    bundle: &StudyBundle,
    model: &Path,
    cohort: &Path,
    name: &str,
    scored: &[Scored],
    labels: &BTreeMap<String, Option<u8>>,
    settings: &EvaluationSettings,
    out: &Path,
) -> Result<(Vec<String>, Vec<String>), StudyError> {
    let assessment = assess(bundle, model, cohort, name, scored, labels, settings)?;
    let mut lines = Vec::new();
    if assessment.unlabelled > 0 {
        lines.push(format!(
            "{} patient(s) without ALN_status left out of the statistics",
            assessment.unlabelled
        ));
    }
    for n in &assessment.notes {
        lines.push(format!("note: {n}"));
    }
    let y = &assessment.labels;
    let manifest = assessment.report.write(out)?;
    lines.push(format!(
        "{}: {} patients ({} ALN+), {} files",
        out.join("index.html").display(),
        y.len(),
        y.iter().filter(|&&l| l == 1).count(),
        manifest.outputs.len()
    ));
    Ok((lines, manifest.outputs))
}

/// `score_cohort` with the extractions run here: the handcrafted table by
/// dlrn-study's loop (`dlrn extract handcrafted`'s), the deep table by
/// [`deep_table`]; a failed case is left without a row (listed as not scored).
fn score(
    bundle: &StudyBundle,
    cohort: &Path,
    work: &Path,
    strict: bool,
    harmonize: HarmonizeMode,
    watch: &PyWatch,
) -> Result<Vec<Scored>, StudyError> {
    let mut run = |request: Extraction<'_>| -> Result<(), ExtractError> {
        match request {
            Extraction::Handcrafted { cohort, out } => {
                let job = HandcraftedJob {
                    cohort,
                    masks: "masks",
                    out,
                    shard: None,
                    reading: Reading::default(),
                    accept_partial: true,
                };
                let run = extract_handcrafted(&job, watch)?;
                match (run.outcome, watch.take_error()) {
                    (None, Some(e)) => Err(Box::new(e)),
                    _ => Ok(()),
                }
            }
            Extraction::Deep {
                cohort,
                out,
                cnn,
                seed,
                weights,
            } => deep_table(cohort, out, cnn, seed, weights, watch),
        }
    };
    score_cohort(bundle, cohort, work, &mut run, strict, harmonize)
}

/// `harmonize=` of `predict`/`assess`: `dlrn predict --harmonize apply|none`.
fn harmonize_mode(text: &str) -> PyResult<HarmonizeMode> {
    match text {
        "apply" => Ok(HarmonizeMode::Apply),
        "none" => Ok(HarmonizeMode::None),
        other => Err(bad_input(format!(
            "harmonize={other:?}: expected \"apply\" (harmonise the cohort as one new hospital) \
             or \"none\" (score unharmonised features, with a warning)"
        ))),
    }
}

/// The deep feature table `dlrn extract deep` writes for a bundle's CNN on
/// the flex backend (the command line's default): dlrn-study's
/// `extract_deep`, the command line's loop, with the default reading and
/// batches of [`BATCH`].
fn deep_table(
    cohort: &Path,
    out: &Path,
    cnn: &Cnn,
    seed: u64,
    weights: Option<&Path>,
    watch: &PyWatch,
) -> Result<(), ExtractError> {
    let pre = &cnn.preprocessing;
    let cfg = PreprocessConfig::default();
    if (pre.resize, pre.crop) != (cfg.resize, cfg.crop) {
        return Err(format!(
            "the model bundle's CNN preprocessing (resize {}, crop {}) is not this dlrn's (resize {}, crop {})",
            pre.resize, pre.crop, cfg.resize, cfg.crop
        )
        .into());
    }
    let job = DeepJob {
        cohort,
        masks: "masks",
        out,
        shard: None,
        reading: Reading::default(),
        weights,
        seed,
        batch: BATCH,
        accept_partial: true,
    };
    let run = extract_deep::<Flex>(&job, "flex", &Default::default(), watch)?;
    match (run.outcome, watch.take_error()) {
        (None, Some(e)) => Err(Box::new(e)),
        (None, None) => Err("stopped".into()),
        _ => Ok(()),
    }
}
