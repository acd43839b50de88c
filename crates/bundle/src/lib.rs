//! dlrn-bundle: the frozen model bundle (`<out>/model/`): everything a
//! prediction on new patients needs, nothing it doesn't, written by a study
//! run and read by `dlrn predict`, `dlrn assess` and the web page. No table
//! or statistics dependencies (it builds for wasm32); dlrn-study builds a
//! bundle from a study's results (`dlrn_study::bundle`, which re-exports this crate).
//!
//! ```text
//! model/
//!   manifest.json    format version, dlrn version, config and training-cohort SHA-256,
//!                    date, and the SHA-256 of every other file
//!   cnn.json         the CNN: architecture, weights (a file in cnn/ or the seed of a
//!                    random initialisation) and preprocessing
//!   cnn/weights.*    the weights actually used (absent for a random initialisation)
//!   features.json    the features kept after the ICC filter (form, threshold, names)
//!   signature.json   the signature: lambda, intercept, coefficients
//!   clinical.json    the clinical coding (one entry per variable a model uses) and
//!                    the clinical model
//!   dlrn.json        the DLRN: coefficients and covariance
//!   cutoffs.json     the three models' cut-offs (Youden points on the training cohort)
//!   nomogram.json    the DLRN nomogram (dlrn-nomogram's JSON)
//!   ranges.json      the training range of every input, for out-of-range warnings
//!   missing.json     optional: the missing-value rule and the training value (median
//!                    or mode) that stands in for each model input a patient lacks
//!   harmonize.json   optional: the ComBat harmonisation fitted on the training hospital
//!   validation.json  optional: the bootstrap internal validation (B, seed, each
//!                    model's optimism-corrected indices)
//!   update.json      optional: how the DLRN was updated on a new cohort (`dlrn update`):
//!                    the parent bundle, the method, the cohort's hash, the tests
//!                    (the harmonize module), applied to a new hospital's cohort
//! ```
//!
//! Every file is pretty JSON with keys in a fixed order and floats in
//! serde_json's shortest round-trip form, so the same models give the same
//! bytes, and reading a bundle back gives bit-identical numbers.
//! [`Bundle::load`] refuses another format version, a missing file and a file
//! whose SHA-256 differs from the manifest's, naming the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dlrn_nomogram::Nomogram;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The bundle format this code writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// The value of the manifest's `format` key.
pub const FORMAT_NAME: &str = "dlrn-model-bundle";
/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";
/// The DLRN's column holding the signature score.
pub const SIGNATURE_COLUMN: &str = "signature";

pub mod harmonize;

use crate::harmonize::HARMONIZE;

/// The CNN's file.
pub const CNN: &str = "cnn.json";
/// The kept features' file.
pub const FEATURES: &str = "features.json";
/// The signature's file.
pub const SIGNATURE: &str = "signature.json";
/// The clinical coding and model's file.
pub const CLINICAL: &str = "clinical.json";
/// The DLRN's file.
pub const DLRN: &str = "dlrn.json";
/// The cut-offs' file.
pub const CUTOFFS: &str = "cutoffs.json";
/// The nomogram's file.
pub const NOMOGRAM: &str = "nomogram.json";
/// The training ranges' file.
pub const RANGES: &str = "ranges.json";
/// The missing-value rule's file (optional).
pub const MISSING: &str = "missing.json";
/// The bootstrap internal validation's file (optional).
pub const VALIDATION: &str = "validation.json";
/// The model update's file (optional).
pub const UPDATE: &str = "update.json";

/// How a logistic model is estimated (the config's `clinical.fit`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FitMethod {
    /// Maximum likelihood (`glm(family = binomial)`); none exists under separation.
    #[default]
    Glm,
    /// Firth's penalised likelihood (`logistf`), finite under separation.
    Firth,
}

impl FitMethod {
    /// As configs and bundles spell it.
    pub fn name(self) -> &'static str {
        match self {
            FitMethod::Glm => "glm",
            FitMethod::Firth => "firth",
        }
    }

    /// Whether this is the default (maximum likelihood), for serde.
    pub fn is_glm(&self) -> bool {
        *self == FitMethod::Glm
    }
}

/// A stored training value of a clinical variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ClinicalValue {
    /// A numeric variable's median.
    Number(f64),
    /// A categorical variable's mode (the level, as clinical.csv writes it).
    Level(String),
}

impl std::fmt::Display for ClinicalValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClinicalValue::Number(v) => write!(f, "{v}"),
            ClinicalValue::Level(l) => f.write_str(l),
        }
    }
}

/// Errors reading, writing or applying a bundle; each names the file, the
/// patient or the input concerned.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file is not the JSON its name promises.
    #[error("{path}: not a valid bundle file: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
    /// The bundle was written in another format version.
    #[error(
        "{path}: bundle format version {found}, this dlrn reads version {expected}; \
         rebuild the bundle with this dlrn or use the dlrn that wrote it"
    )]
    FormatVersion {
        /// The manifest.
        path: PathBuf,
        /// The version found (`None` when the key is absent or not a number).
        found: String,
        /// The version this code reads.
        expected: u32,
    },
    /// A file the bundle needs is absent from the folder or from the manifest.
    #[error("{path}: missing from the bundle ({why})")]
    MissingFile {
        /// The file.
        path: PathBuf,
        /// Not on disk, or not listed in the manifest.
        why: &'static str,
    },
    /// A file's SHA-256 differs from the manifest's: it was altered.
    #[error("{path}: SHA-256 {found} differs from the manifest's {expected}: the file was altered")]
    HashMismatch {
        /// The file.
        path: PathBuf,
        /// SHA-256 in the manifest.
        expected: String,
        /// SHA-256 of the file on disk.
        found: String,
    },
    /// The bundle's parts do not fit together.
    #[error("{path}: {message}")]
    Inconsistent {
        /// The file at fault.
        path: PathBuf,
        /// What does not fit.
        message: String,
    },
    /// A patient lacks an input a model needs.
    #[error("patient {patient:?}: no value for `{input}`, which the {model} needs")]
    MissingInput {
        /// Patient id.
        patient: String,
        /// Feature or clinical variable.
        input: String,
        /// Which model needs it.
        model: String,
    },
    /// A patient's input cannot be coded.
    #[error("patient {patient:?}, `{input}`: {found:?} is not {expected}")]
    BadInput {
        /// Patient id.
        patient: String,
        /// Feature or clinical variable.
        input: String,
        /// The value found.
        found: String,
        /// What was expected.
        expected: String,
    },
    /// The nomogram could not score a patient.
    #[error(transparent)]
    Nomogram(#[from] dlrn_nomogram::NomogramError),
}

/// Result alias of this module.
pub type Result<T, E = BundleError> = std::result::Result<T, E>;

/// `manifest.json`: what the bundle is, where it came from, and the SHA-256
/// of every other file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// The bundle format version ([`FORMAT_VERSION`] when written here).
    pub format_version: u32,
    /// Where the bundle came from.
    #[serde(flatten)]
    pub provenance: Provenance,
    /// SHA-256 (lower-case hex) of every file by its path relative to the bundle, `/`-separated.
    pub files: BTreeMap<String, String>,
}

/// Where a bundle came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// The dlrn version that fitted the models.
    pub dlrn_version: String,
    /// SHA-256 of the study configuration file.
    pub config_sha256: String,
    /// Name of the training cohort (TC).
    pub training_cohort: String,
    /// Hash of the training cohort's files (the study's cohort key).
    pub training_cohort_sha256: String,
    /// Date of the run (ISO 8601, chosen by the caller so reruns can be byte-identical).
    pub date: String,
}

/// `cnn.json`: the network behind the deep features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cnn {
    /// Architecture (`resnet50`, torchvision topology).
    pub architecture: String,
    /// The Burn backend the study's features were computed on (`flex`, `cuda`, …):
    /// another backend gives features that differ in the last bits (CUDA's TF32
    /// matmuls by about 2e-3 of a feature's range).
    pub backend: String,
    /// The weights actually used.
    pub weights: CnnWeights,
    /// Preprocessing of the lesion crop.
    pub preprocessing: Preprocessing,
}

/// The CNN's weights: a file carried in the bundle, or the seed that recreates
/// a random initialisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum CnnWeights {
    /// torchvision-style initialisation from a seeded stream (`dlrn extract deep --seed`).
    Random {
        /// The seed.
        seed: u64,
    },
    /// A weights file inside the bundle.
    File {
        /// Path relative to the bundle (`cnn/weights.mpk`).
        file: String,
        /// Format: "pytorch", "safetensors" or "burn-mpk".
        format: String,
    },
}

/// How a lesion becomes the network's input (dlrn-deep's `PreprocessConfig`
/// and what surrounds it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preprocessing {
    /// Shorter side after resizing (PIL bilinear).
    pub resize: usize,
    /// Side of the centre crop fed to the network.
    pub crop: usize,
    /// The steps in words, for people reading the bundle.
    pub description: String,
}

/// `features.json`: the features kept after the ICC filter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeptFeatures {
    /// ICC form (`ICC3`, …).
    pub icc_form: String,
    /// A feature is kept when its ICC exceeds this.
    pub icc_threshold: f64,
    /// The kept features' names, in table order.
    pub kept: Vec<String>,
}

/// `signature.json`: the radiomics signature, `intercept + Σ coefficient × value`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signature {
    /// The lambda of the LASSO fit.
    pub lambda: f64,
    /// Which cross-validated lambda it is (`min` or `1se`).
    pub lambda_choice: String,
    /// Intercept (log-odds).
    pub intercept: f64,
    /// Feature coefficients on the original scale, in table order.
    pub coefficients: Vec<SignatureTerm>,
}

/// One feature of the signature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignatureTerm {
    /// Feature column (`sNRV`, `f_17`).
    pub feature: String,
    /// Its coefficient.
    pub coefficient: f64,
}

impl Signature {
    /// The score of a patient's features (by name): `intercept + Σ coefficient × value`,
    /// summed as `dlrn_lasso::SignatureModel::score` sums it (same bits).
    fn score(&self, patient: &str, features: &BTreeMap<String, f64>) -> Result<f64> {
        let mut values = Vec::with_capacity(self.coefficients.len());
        for t in &self.coefficients {
            let v = *features
                .get(&t.feature)
                .ok_or_else(|| BundleError::MissingInput {
                    patient: patient.into(),
                    input: t.feature.clone(),
                    model: "signature".into(),
                })?;
            if !v.is_finite() {
                return Err(BundleError::BadInput {
                    patient: patient.into(),
                    input: t.feature.clone(),
                    found: v.to_string(),
                    expected: "a finite number".into(),
                });
            }
            values.push(v);
        }
        Ok(self.intercept
            + self
                .coefficients
                .iter()
                .zip(&values)
                .map(|(t, v)| t.coefficient * v)
                .sum::<f64>())
    }
}

/// Whether `v` lies outside `[min, max]` by more than rounding (1e-9 of the
/// range's scale), so a training value recomputed in another order of
/// summation does not warn.
fn outside(v: f64, min: f64, max: f64) -> bool {
    let slack = 1e-9 * (max - min).abs().max(min.abs()).max(max.abs()).max(1.0);
    v < min - slack || v > max + slack
}

/// How a clinical variable's cell (text of clinical.csv) becomes model input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClinicalVariable {
    /// Column of clinical.csv (`age`, `birads`).
    pub name: String,
    /// As tables print it (`BI-RADS`).
    pub label: String,
    /// Its coding.
    pub coding: Coding,
    /// Display labels of levels (the schema's `level_labels`), accepted as
    /// input like the levels themselves.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub level_labels: BTreeMap<String, String>,
}

impl ClinicalVariable {
    /// The levels of a categorical coding (empty for a numeric one).
    pub fn levels(&self) -> &[String] {
        match &self.coding {
            Coding::Numeric => &[],
            Coding::Coded { levels, .. } | Coding::Nominal { levels, .. } => levels,
        }
    }

    /// The level a cell names, as typed: a level exactly, else
    /// case-insensitively a level or its label (`II` for nuclear grade `2`).
    pub fn level_of(&self, raw: &str) -> Option<&str> {
        let t = category_text(raw);
        let levels = self.levels();
        levels
            .iter()
            .find(|l| *l == t)
            .or_else(|| levels.iter().find(|l| l.eq_ignore_ascii_case(t)))
            .or_else(|| {
                levels.iter().find(|l| {
                    self.level_labels
                        .get(*l)
                        .is_some_and(|label| label.trim().eq_ignore_ascii_case(t))
                })
            })
            .map(String::as_str)
    }

    /// The accepted values as an error lists them: the levels, and their labels where declared.
    pub fn expected(&self) -> String {
        let levels = self.levels();
        let labels: Vec<&str> = levels
            .iter()
            .filter_map(|l| self.level_labels.get(l).map(String::as_str))
            .collect();
        if labels.is_empty() {
            format!("one of {}", levels.join(", "))
        } else {
            format!(
                "one of {} (or their labels {})",
                levels.join(", "),
                labels.join(", ")
            )
        }
    }
}

/// The coding of one clinical variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Coding {
    /// The number itself; the model column is the variable's name.
    Numeric,
    /// A binary or ordinal variable entering through one code per level
    /// (BI-RADS 4A..5 → 1..4, neg/pos → 0/1); the model column is the variable's name.
    Coded {
        /// The levels, in order.
        levels: Vec<String>,
        /// Their codes, one per level.
        codes: Vec<f64>,
    },
    /// A nominal variable in treatment dummies against `reference`; the model
    /// columns are `<name>=<level>` for the other levels.
    Nominal {
        /// The levels, in order.
        levels: Vec<String>,
        /// The reference level (all dummies 0).
        reference: String,
    },
}

/// A fitted logistic model over named columns (`logit p = intercept + Σ β x`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticModel {
    /// Model columns in coefficient order (`signature`, `age`, `subtype=luminal_b`).
    pub columns: Vec<String>,
    /// Intercept.
    pub intercept: f64,
    /// One coefficient per column.
    pub coefficients: Vec<f64>,
    /// Covariance of (intercept, coefficients…), row-major, intercept first.
    pub covariance: Vec<Vec<f64>>,
    /// How it was estimated: absent for maximum likelihood (`glm`), `"firth"`
    /// for Firth's penalised likelihood.
    #[serde(default, skip_serializing_if = "FitMethod::is_glm")]
    pub fit: FitMethod,
}

impl LogisticModel {
    fn linear_predictor(&self, x: &[f64]) -> f64 {
        self.intercept
            + self
                .coefficients
                .iter()
                .zip(x)
                .map(|(b, v)| b * v)
                .sum::<f64>()
    }
}

/// `clinical.json`: the coding of every clinical variable a model uses, and the clinical model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClinicalPart {
    /// The variables, in the order the clinical model and the DLRN first use them.
    pub variables: Vec<ClinicalVariable>,
    /// The multivariable clinical model.
    pub model: LogisticModel,
}

/// `cutoffs.json`: the probability cut-off of each model (a probability `>=`
/// the cut-off is called positive, pROC's rule).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Cutoffs {
    /// Clinical model.
    pub clinical: f64,
    /// Signature (as `plogis(score)`).
    pub signature: f64,
    /// DLRN.
    pub dlrn: f64,
}

/// What the model saw of one input in training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InputRange {
    /// A number's smallest and largest training value.
    Numeric {
        /// Smallest finite value.
        min: f64,
        /// Largest finite value.
        max: f64,
    },
    /// The categories seen in training, sorted.
    Levels {
        /// Categories seen.
        seen: Vec<String>,
    },
}

impl InputRange {
    /// The range of a number's finite training values (`None` when there is none).
    pub fn numeric(values: &[f64]) -> Option<Self> {
        let finite = values.iter().copied().filter(|v| v.is_finite());
        let min = finite.clone().fold(f64::INFINITY, f64::min);
        let max = finite.fold(f64::NEG_INFINITY, f64::max);
        (min <= max).then_some(InputRange::Numeric { min, max })
    }

    /// The categories of the training values (missing ones skipped), sorted.
    pub fn levels<S: AsRef<str>>(values: &[Option<S>]) -> Self {
        let mut seen: Vec<String> = values
            .iter()
            .flatten()
            .map(|s| s.as_ref().to_string())
            .collect();
        seen.sort();
        seen.dedup();
        InputRange::Levels { seen }
    }
}

/// A frozen DLRN: every fitted piece a prediction needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Bundle {
    /// Where the models came from.
    pub provenance: Provenance,
    /// The CNN behind the deep features.
    pub cnn: Cnn,
    /// Where the CNN weights file is read from: its source when writing a
    /// bundle (copied into `cnn/`), its place inside the bundle once loaded;
    /// `None` for a random initialisation.
    pub cnn_weights_path: Option<PathBuf>,
    /// The features kept after the ICC filter.
    pub features: KeptFeatures,
    /// The signature.
    pub signature: Signature,
    /// The clinical coding and model.
    pub clinical: ClinicalPart,
    /// The DLRN (signature + clinical columns).
    pub dlrn: LogisticModel,
    /// The three models' cut-offs.
    pub cutoffs: Cutoffs,
    /// The DLRN nomogram.
    pub nomogram: Nomogram,
    /// Training range of every input (signature features, clinical variables, `signature`).
    pub ranges: BTreeMap<String, InputRange>,
    /// The training values that stand in for a missing input (`None`: a
    /// missing input is an error, as in a bundle written before them).
    pub missing: Option<MissingPart>,
    /// The harmonisation of the features across hospitals (`None`: the study
    /// did not harmonise).
    pub harmonize: Option<crate::harmonize::HarmonizePart>,
    /// The study's bootstrap internal validation, when it ran.
    pub validation: Option<ValidationRecord>,
    /// How the DLRN was updated on a new cohort (`dlrn update`), if it was.
    pub update: Option<UpdateRecord>,
}

/// `validation.json`: the bootstrap internal validation of the whole
/// modelling procedure (the study report has the tables).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationRecord {
    /// The method in words.
    pub method: String,
    /// Resamples B.
    pub resamples: usize,
    /// R's `set.seed` value of the resamples.
    pub seed: i32,
    /// Resamples whose refit failed (left out).
    pub failed: usize,
    /// Optimism-corrected indices (C, Dxy, R2, Intercept, Slope, Emax, B, …) by model.
    pub corrected: BTreeMap<String, BTreeMap<String, f64>>,
}

/// `update.json`: the DLRN updated on a new hospital's cohort (Steyerberg's
/// hierarchy; Vergouwe et al. 2017's closed test when asked).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateRecord {
    /// `intercept`, `recalibrate`, `refit` or `none` (the closed test kept the original).
    pub method: String,
    /// How the method was chosen (`given` or `closed test`).
    pub chosen_by: String,
    /// SHA-256 of the parent bundle's manifest.json.
    pub parent_manifest_sha256: String,
    /// The parent's training cohort.
    pub parent_training_cohort: String,
    /// The update cohort's name.
    pub cohort: String,
    /// SHA-256 of the update cohort's clinical.csv.
    pub cohort_clinical_sha256: String,
    /// Patients in the update.
    pub n: usize,
    /// Events among them.
    pub events: usize,
    /// Intercept shift a (intercept update) or recalibration intercept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intercept: Option<f64>,
    /// Recalibration slope b.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slope: Option<f64>,
    /// The likelihood-ratio tests (name, χ², df, P), in the order run.
    pub tests: Vec<UpdateTest>,
}

/// One likelihood-ratio test of the updating hierarchy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateTest {
    /// What is compared (`refit vs original`).
    pub comparison: String,
    /// Likelihood-ratio χ² (deviance difference).
    pub chi_square: f64,
    /// Degrees of freedom.
    pub df: usize,
    /// `1 − pchisq(χ², df)`.
    pub p_value: f64,
}

/// `missing.json`: the study's missing-value rule and, per model input, the
/// training value a prediction uses when a patient's value is undefined.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MissingPart {
    /// The rule in words, as the report states it.
    pub rule: String,
    /// Training median of each signature feature.
    pub features: BTreeMap<String, f64>,
    /// Training median (numeric) or mode (categorical) of each clinical variable a model uses.
    pub clinical: BTreeMap<String, ClinicalValue>,
}

/// One patient's inputs: feature values and clinical cells (raw text) by name.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PatientInput {
    /// Patient id.
    pub id: String,
    /// Feature values by column name.
    pub features: BTreeMap<String, f64>,
    /// Clinical cells by column name, as written in clinical.csv (missing = absent).
    pub clinical: BTreeMap<String, String>,
}

/// One patient's prediction from a bundle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    /// Patient id.
    pub id: String,
    /// Signature score (log-odds scale).
    pub signature_score: f64,
    /// Clinical model probability.
    pub p_clinical: f64,
    /// Signature probability, `plogis(score)`.
    pub p_signature: f64,
    /// DLRN probability.
    pub p_dlrn: f64,
    /// DLRN class at its cut-off (1 = ALN metastasis predicted).
    pub dlrn_class: u8,
    /// Nomogram points per factor, in the nomogram's order.
    pub points: Vec<(String, f64)>,
    /// Total nomogram points.
    pub total_points: f64,
    /// Inputs outside what the model saw in training.
    pub warnings: Vec<String>,
    /// The DLRN's inputs in its column order (after imputation), for refitting it.
    #[serde(skip)]
    pub dlrn_inputs: Vec<f64>,
}

/// `plogis(x)`, the logistic function.
pub fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn json_bytes<T: Serialize>(value: &T, path: &Path) -> Result<Vec<u8>> {
    let mut text = serde_json::to_string_pretty(value).map_err(|source| BundleError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    text.push('\n');
    Ok(text.into_bytes())
}

fn parse<T: for<'de> Deserialize<'de>>(bytes: &[u8], path: &Path) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|source| BundleError::Json {
        path: path.to_path_buf(),
        source,
    })
}

/// A cell's text as a category: trimmed, and integer-valued numbers written
/// as floats (`1.0`, as a table reader may give them) back to `1`.
fn category_text(raw: &str) -> &str {
    let t = raw.trim();
    match t.strip_suffix(".0") {
        Some(stem) if !stem.is_empty() && stem.chars().all(|c| c.is_ascii_digit()) => stem,
        _ => t,
    }
}

fn is_missing(raw: &str) -> bool {
    let t = raw.trim();
    t.is_empty() || t.eq_ignore_ascii_case("NA")
}

/// Where [`Bundle::load_from`] reads a bundle's files.
enum Source<'a> {
    /// A bundle folder.
    Dir(&'a Path),
    /// The files' bytes by path relative to the bundle.
    Files(&'a BTreeMap<String, Vec<u8>>),
}

impl Source<'_> {
    /// The folder errors name the files in (none for loose bytes).
    fn dir(&self) -> &Path {
        match self {
            Source::Dir(d) => d,
            Source::Files(_) => Path::new(""),
        }
    }

    /// The bytes of `name` (relative to the bundle); an absent file is a
    /// [`BundleError::MissingFile`] saying whether it was the manifest.
    fn read(&self, name: &str, manifest: bool) -> Result<Vec<u8>> {
        let path = self.dir().join(name);
        match self {
            Source::Dir(_) => std::fs::read(&path).map_err(|source| {
                if source.kind() == std::io::ErrorKind::NotFound {
                    BundleError::MissingFile {
                        path,
                        why: if manifest {
                            "no manifest: not a model bundle folder"
                        } else {
                            "listed in the manifest but not on disk"
                        },
                    }
                } else {
                    BundleError::Io { path, source }
                }
            }),
            Source::Files(files) => files.get(name).cloned().ok_or(BundleError::MissingFile {
                path,
                why: if manifest {
                    "no manifest among the files: not a model bundle"
                } else {
                    "listed in the manifest but not among the files given"
                },
            }),
        }
    }
}

impl Bundle {
    /// The files of the bundle in writing order, with their bytes.
    fn files(&self) -> Result<Vec<(String, Vec<u8>)>> {
        let p = Path::new;
        Ok([
            (CNN.into(), json_bytes(&self.cnn, p(CNN))?),
            (FEATURES.into(), json_bytes(&self.features, p(FEATURES))?),
            (SIGNATURE.into(), json_bytes(&self.signature, p(SIGNATURE))?),
            (CLINICAL.into(), json_bytes(&self.clinical, p(CLINICAL))?),
            (DLRN.into(), json_bytes(&self.dlrn, p(DLRN))?),
            (CUTOFFS.into(), json_bytes(&self.cutoffs, p(CUTOFFS))?),
            (NOMOGRAM.into(), json_bytes(&self.nomogram, p(NOMOGRAM))?),
            (RANGES.into(), json_bytes(&self.ranges, p(RANGES))?),
        ]
        .into_iter()
        .chain(
            self.missing
                .as_ref()
                .map(|m| Ok::<_, BundleError>((MISSING.into(), json_bytes(m, p(MISSING))?)))
                .transpose()?,
        )
        .chain(
            self.harmonize
                .as_ref()
                .map(|h| Ok::<_, BundleError>((HARMONIZE.into(), json_bytes(h, p(HARMONIZE))?)))
                .transpose()?,
        )
        .chain(
            self.validation
                .as_ref()
                .map(|m| Ok::<_, BundleError>((VALIDATION.into(), json_bytes(m, p(VALIDATION))?)))
                .transpose()?,
        )
        .chain(
            self.update
                .as_ref()
                .map(|m| Ok::<_, BundleError>((UPDATE.into(), json_bytes(m, p(UPDATE))?)))
                .transpose()?,
        )
        .collect())
    }

    /// Writes the bundle like [`Bundle::write`], but keeps the date of a
    /// bundle already in `dir` that holds the same models: rerunning a study
    /// with nothing changed rewrites identical bytes, and the date stays the
    /// day the models were first fitted.
    pub fn write_keeping_date(&mut self, dir: &Path) -> Result<Manifest> {
        if let Ok(old) = Bundle::load(dir) {
            let mut same = old.clone();
            same.provenance.date.clone_from(&self.provenance.date);
            same.cnn_weights_path.clone_from(&self.cnn_weights_path);
            if same == *self {
                self.provenance.date = old.provenance.date;
            }
        }
        self.write(dir)
    }

    /// Writes the bundle to `dir` (created if needed; files of an earlier
    /// bundle there are replaced) and returns its manifest. Checks first that
    /// the parts fit together ([`Bundle::check`]).
    pub fn write(&self, dir: &Path) -> Result<Manifest> {
        self.check(dir)?;
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| BundleError::Io { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let mut hashes = BTreeMap::new();
        if let CnnWeights::File { file, .. } = &self.cnn.weights {
            let src = self
                .cnn_weights_path
                .as_ref()
                .ok_or_else(|| BundleError::Inconsistent {
                    path: dir.join(CNN),
                    message: format!("the weights file {file} has no source to copy from"),
                })?;
            let bytes = std::fs::read(src).map_err(io(src))?;
            let dest = dir.join(file);
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent).map_err(io(parent))?;
            }
            // Copying a loaded bundle onto itself leaves the file as it is.
            if std::fs::read(&dest).ok().as_deref() != Some(&bytes[..]) {
                std::fs::write(&dest, &bytes).map_err(io(&dest))?;
            }
            hashes.insert(file.clone(), sha256_hex(&bytes));
        }
        for (name, bytes) in self.files()? {
            let path = dir.join(&name);
            std::fs::write(&path, &bytes).map_err(io(&path))?;
            hashes.insert(name, sha256_hex(&bytes));
        }
        let manifest = Manifest {
            format: FORMAT_NAME.into(),
            format_version: FORMAT_VERSION,
            provenance: self.provenance.clone(),
            files: hashes,
        };
        let path = dir.join(MANIFEST);
        std::fs::write(&path, json_bytes(&manifest, &path)?).map_err(io(&path))?;
        Ok(manifest)
    }

    /// Reads and verifies a bundle: the manifest's format and version, then
    /// every file the bundle needs is listed, present and unaltered (SHA-256).
    pub fn load(dir: &Path) -> Result<Bundle> {
        Self::load_from(&Source::Dir(dir))
    }

    /// [`Bundle::load`] from the files' bytes instead of a folder (a browser
    /// has no file system): `files` maps each path relative to the bundle
    /// (`/`-separated, `manifest.json` and `cnn/weights.*` included) to its
    /// bytes. Errors name the files by these paths; the loaded bundle's
    /// `cnn_weights_path` is the weights' relative path.
    pub fn from_files(files: &BTreeMap<String, Vec<u8>>) -> Result<Bundle> {
        Self::load_from(&Source::Files(files))
    }

    fn load_from(source: &Source<'_>) -> Result<Bundle> {
        let dir = source.dir();
        let mpath = dir.join(MANIFEST);
        let bytes = source.read(MANIFEST, true)?;
        // The version first, so a bundle of another format is named as such
        // even when the rest of its manifest differs.
        let raw: serde_json::Value = parse(&bytes, &mpath)?;
        let version = raw.get("format_version").and_then(|v| v.as_u64());
        if raw.get("format").and_then(|v| v.as_str()) != Some(FORMAT_NAME)
            || version != Some(u64::from(FORMAT_VERSION))
        {
            return Err(BundleError::FormatVersion {
                path: mpath,
                found: raw
                    .get("format_version")
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "none".into()),
                expected: FORMAT_VERSION,
            });
        }
        let manifest: Manifest = parse(&bytes, &mpath)?;
        // Every listed file must be unaltered, and every needed file listed.
        let mut contents: BTreeMap<&str, Vec<u8>> = BTreeMap::new();
        for (name, expected) in &manifest.files {
            // Only files inside the bundle folder.
            if !Path::new(name)
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_)))
            {
                return Err(BundleError::Inconsistent {
                    path: mpath,
                    message: format!("{name:?} is not a path inside the bundle folder"),
                });
            }
            let path = dir.join(name);
            let bytes = source.read(name, false)?;
            let found = sha256_hex(&bytes);
            if &found != expected {
                return Err(BundleError::HashMismatch {
                    path,
                    expected: expected.clone(),
                    found,
                });
            }
            contents.insert(name.as_str(), bytes);
        }
        let get = |name: &str| -> Result<&Vec<u8>> {
            contents.get(name).ok_or_else(|| BundleError::MissingFile {
                path: dir.join(name),
                why: "not listed in the manifest",
            })
        };
        let part = |name: &str| -> Result<(&Vec<u8>, PathBuf)> { Ok((get(name)?, dir.join(name))) };
        let (b, p) = part(CNN)?;
        let cnn: Cnn = parse(b, &p)?;
        let cnn_weights_path = match &cnn.weights {
            CnnWeights::Random { .. } => None,
            CnnWeights::File { file, .. } => {
                get(file)?;
                Some(dir.join(file))
            }
        };
        let (b, p) = part(FEATURES)?;
        let features = parse(b, &p)?;
        let (b, p) = part(SIGNATURE)?;
        let signature = parse(b, &p)?;
        let (b, p) = part(CLINICAL)?;
        let clinical = parse(b, &p)?;
        let (b, p) = part(DLRN)?;
        let dlrn = parse(b, &p)?;
        let (b, p) = part(CUTOFFS)?;
        let cutoffs = parse(b, &p)?;
        let (b, p) = part(NOMOGRAM)?;
        let nomogram = parse(b, &p)?;
        let (b, p) = part(RANGES)?;
        let ranges = parse(b, &p)?;
        let missing = if manifest.files.contains_key(MISSING) {
            let (b, p) = part(MISSING)?;
            Some(parse(b, &p)?)
        } else {
            None
        };
        let harmonize = if manifest.files.contains_key(HARMONIZE) {
            let (b, p) = part(HARMONIZE)?;
            Some(parse(b, &p)?)
        } else {
            None
        };
        let validation = if manifest.files.contains_key(VALIDATION) {
            let (b, p) = part(VALIDATION)?;
            Some(parse(b, &p)?)
        } else {
            None
        };
        let update = if manifest.files.contains_key(UPDATE) {
            let (b, p) = part(UPDATE)?;
            Some(parse(b, &p)?)
        } else {
            None
        };
        let bundle = Bundle {
            provenance: manifest.provenance,
            cnn,
            cnn_weights_path,
            features,
            signature,
            clinical,
            dlrn,
            cutoffs,
            nomogram,
            ranges,
            missing,
            harmonize,
            validation,
            update,
        };
        bundle.check(dir)?;
        Ok(bundle)
    }

    /// Checks that the parts fit together: every model column is the
    /// signature or a column of a declared variable, each model has one
    /// coefficient per column and a square covariance, and every nomogram
    /// axis is a DLRN column or a nominal variable of it. `dir` names the files in errors.
    pub fn check(&self, dir: &Path) -> Result<()> {
        for (file, model, signature_ok) in [
            (CLINICAL, &self.clinical.model, false),
            (DLRN, &self.dlrn, true),
        ] {
            let bad = |message: String| BundleError::Inconsistent {
                path: dir.join(file),
                message,
            };
            if model.coefficients.len() != model.columns.len() {
                return Err(bad(format!(
                    "{} coefficients for {} columns",
                    model.coefficients.len(),
                    model.columns.len()
                )));
            }
            let p = model.columns.len() + 1;
            if model.covariance.len() != p || model.covariance.iter().any(|r| r.len() != p) {
                return Err(bad(format!("the covariance is not {p} × {p}")));
            }
            for c in &model.columns {
                if c == SIGNATURE_COLUMN && signature_ok {
                    continue;
                }
                if self.column_variable(c).is_none() {
                    return Err(bad(format!(
                        "column `{c}` is not the coding of any variable in {CLINICAL}"
                    )));
                }
            }
        }
        if let Some(m) = &self.missing {
            let bad = |message: String| BundleError::Inconsistent {
                path: dir.join(MISSING),
                message,
            };
            for f in self.needed_features() {
                match m.features.get(f) {
                    Some(v) if v.is_finite() => {}
                    Some(v) => return Err(bad(format!("the value of feature `{f}` is {v}"))),
                    None => return Err(bad(format!("no value for the signature feature `{f}`"))),
                }
            }
            for (name, value) in &m.clinical {
                let v = self
                    .clinical
                    .variables
                    .iter()
                    .find(|v| v.name == *name)
                    .ok_or_else(|| bad(format!("`{name}` is no variable of {CLINICAL}")))?;
                let fits = match (&v.coding, value) {
                    (Coding::Numeric, ClinicalValue::Number(x)) => x.is_finite(),
                    (Coding::Numeric, _) => false,
                    (_, ClinicalValue::Level(l)) => v.levels().contains(l),
                    (_, _) => false,
                };
                if !fits {
                    return Err(bad(format!("{value} is not a value of `{name}`")));
                }
            }
        }
        if let Some(h) = &self.harmonize {
            h.check().map_err(|e| BundleError::Inconsistent {
                path: dir.join(HARMONIZE),
                message: e.to_string(),
            })?;
        }
        for p in &self.nomogram.model.predictors {
            let known = self.dlrn.columns.contains(&p.name)
                || self
                    .clinical
                    .variables
                    .iter()
                    .any(|v| v.name == p.name && matches!(v.coding, Coding::Nominal { .. }));
            if !known {
                return Err(BundleError::Inconsistent {
                    path: dir.join(NOMOGRAM),
                    message: format!("axis `{}` is not a DLRN column", p.name),
                });
            }
        }
        Ok(())
    }

    /// The variable (and for a nominal one, the level) behind a model column.
    fn column_variable<'a>(
        &'a self,
        column: &'a str,
    ) -> Option<(&'a ClinicalVariable, Option<&'a str>)> {
        let (name, level) = match column.split_once('=') {
            Some((n, l)) => (n, Some(l)),
            None => (column, None),
        };
        let v = self.clinical.variables.iter().find(|v| v.name == name)?;
        match (&v.coding, level) {
            (Coding::Numeric | Coding::Coded { .. }, None) => Some((v, None)),
            (Coding::Nominal { levels, reference }, Some(l))
                if l != reference && levels.iter().any(|x| x == l) =>
            {
                Some((v, Some(l)))
            }
            _ => None,
        }
    }

    /// The clinical variables the models use (the clinical.csv columns a prediction needs).
    pub fn clinical_variables(&self) -> Vec<&str> {
        self.clinical
            .variables
            .iter()
            .map(|v| v.name.as_str())
            .collect()
    }

    /// The feature columns the signature needs, in its order.
    pub fn needed_features(&self) -> Vec<&str> {
        self.signature
            .coefficients
            .iter()
            .map(|t| t.feature.as_str())
            .collect()
    }

    /// The feature columns a cohort's scoring reads: the signature's, and
    /// every harmonised feature (ComBat estimates a new hospital over all of them).
    pub fn input_features(&self) -> Vec<&str> {
        let mut out = self.needed_features();
        if let Some(h) = &self.harmonize {
            for f in h.features() {
                if !out.contains(&f.as_str()) {
                    out.push(f);
                }
            }
        }
        out
    }

    /// Whether scoring needs deep (CNN) features (`f_<k>` columns).
    pub fn needs_deep_features(&self) -> bool {
        self.input_features().iter().any(|f| is_deep_feature(f))
    }

    /// Whether scoring needs handcrafted features.
    pub fn needs_handcrafted_features(&self) -> bool {
        self.input_features().iter().any(|f| !is_deep_feature(f))
    }

    /// The value of one variable's column for a patient: its number, code or dummy.
    fn code(
        &self,
        patient: &PatientInput,
        var: &ClinicalVariable,
        level: Option<&str>,
        model: &str,
    ) -> Result<f64> {
        let raw = patient
            .clinical
            .get(&var.name)
            .filter(|r| !is_missing(r))
            .ok_or_else(|| BundleError::MissingInput {
                patient: patient.id.clone(),
                input: var.name.clone(),
                model: model.into(),
            })?;
        let bad = |expected: String| BundleError::BadInput {
            patient: patient.id.clone(),
            input: var.name.clone(),
            found: raw.clone(),
            expected,
        };
        match &var.coding {
            Coding::Numeric => match raw.trim().parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(v),
                _ => Err(bad("a number".into())),
            },
            Coding::Coded { levels, codes } => var
                .level_of(raw)
                .and_then(|t| levels.iter().position(|l| l == t))
                .and_then(|i| codes.get(i).copied())
                .ok_or_else(|| bad(var.expected())),
            Coding::Nominal { .. } => {
                let t = var.level_of(raw).ok_or_else(|| bad(var.expected()))?;
                Ok(f64::from(u8::from(Some(t) == level)))
            }
        }
    }

    /// The design row of a model for a patient.
    fn design(
        &self,
        model: &LogisticModel,
        name: &str,
        patient: &PatientInput,
        signature: f64,
    ) -> Result<Vec<f64>> {
        model
            .columns
            .iter()
            .map(|c| {
                if c == SIGNATURE_COLUMN {
                    return Ok(signature);
                }
                let (var, level) =
                    self.column_variable(c)
                        .ok_or_else(|| BundleError::Inconsistent {
                            path: PathBuf::from(CLINICAL),
                            message: format!("column `{c}` has no variable"),
                        })?;
                self.code(patient, var, level, name)
            })
            .collect()
    }

    /// Warnings for the patient's inputs outside the training range or unseen in training.
    fn range_warnings(&self, patient: &PatientInput) -> Vec<String> {
        let mut out = Vec::new();
        for f in self.needed_features() {
            if let (Some(v), Some(InputRange::Numeric { min, max })) =
                (patient.features.get(f), self.ranges.get(f))
                && outside(*v, *min, *max)
            {
                out.push(format!(
                    "{f} = {v} outside the training range [{min}, {max}]"
                ));
            }
        }
        for var in &self.clinical.variables {
            let Some(raw) = patient.clinical.get(&var.name).filter(|r| !is_missing(r)) else {
                continue;
            };
            match (&var.coding, self.ranges.get(&var.name)) {
                (Coding::Numeric, Some(InputRange::Numeric { min, max })) => {
                    if let Ok(v) = raw.trim().parse::<f64>()
                        && outside(v, *min, *max)
                    {
                        out.push(format!(
                            "{} = {v} outside the training range [{min}, {max}]",
                            var.name
                        ));
                    }
                }
                (
                    Coding::Coded { .. } | Coding::Nominal { .. },
                    Some(InputRange::Levels { seen }),
                ) => {
                    let t = var.level_of(raw).unwrap_or_else(|| category_text(raw));
                    if !seen.iter().any(|s| s == t) {
                        out.push(format!(
                            "{} = {t:?} not seen in training (seen: {})",
                            var.name,
                            seen.join(", ")
                        ));
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// Scores one patient: signature, clinical model, DLRN, class at the DLRN
    /// cut-off and nomogram points, with a warning per input outside the
    /// training range. A missing or uncodable input is an error naming it.
    pub fn predict(&self, patient: &PatientInput) -> Result<Prediction> {
        self.predict_with(patient, false)
    }

    /// A copy of `patient` with each undefined signature feature (NaN, ±∞)
    /// and each missing clinical value of a model variable replaced by the
    /// bundle's stored training value, and a warning per replacement naming
    /// the input and the value. Without stored values, the patient as given.
    pub fn impute(&self, patient: &PatientInput) -> (PatientInput, Vec<String>) {
        let mut filled = patient.clone();
        let mut warnings = Vec::new();
        let Some(m) = &self.missing else {
            return (filled, warnings);
        };
        for f in self.needed_features() {
            if let (Some(v), Some(value)) = (patient.features.get(f), m.features.get(f))
                && !v.is_finite()
            {
                filled.features.insert(f.to_string(), *value);
                warnings.push(format!(
                    "{f} = {v} is undefined: imputed with the training median {value}"
                ));
            }
        }
        for var in &self.clinical.variables {
            let given = patient.clinical.get(&var.name).filter(|r| !is_missing(r));
            if let (None, Some(value)) = (given, m.clinical.get(&var.name)) {
                filled.clinical.insert(var.name.clone(), value.to_string());
                warnings.push(format!(
                    "{} is missing: imputed with the training {} {value}",
                    var.name,
                    if matches!(var.coding, Coding::Numeric) {
                        "median"
                    } else {
                        "mode"
                    }
                ));
            }
        }
        (filled, warnings)
    }

    /// [`Bundle::predict`], or with `strict` no imputation: an undefined
    /// feature or a missing clinical value is an error naming it, whatever
    /// the bundle stores.
    pub fn predict_with(&self, patient: &PatientInput, strict: bool) -> Result<Prediction> {
        if strict {
            return self.predict_as_given(patient, Vec::new());
        }
        let (filled, warnings) = self.impute(patient);
        self.predict_as_given(&filled, warnings)
    }

    fn predict_as_given(&self, patient: &PatientInput, imputed: Vec<String>) -> Result<Prediction> {
        let mut warnings = imputed;
        warnings.extend(self.range_warnings(patient));
        let score = self.signature.score(&patient.id, &patient.features)?;
        if let Some(InputRange::Numeric { min, max }) = self.ranges.get(SIGNATURE_COLUMN)
            && outside(score, *min, *max)
        {
            warnings.push(format!(
                "signature score {score} outside the training range [{min}, {max}]"
            ));
        }
        let xc = self.design(&self.clinical.model, "clinical model", patient, score)?;
        let xd = self.design(&self.dlrn, "DLRN", patient, score)?;
        let p_clinical = logistic(self.clinical.model.linear_predictor(&xc));
        let p_dlrn = logistic(self.dlrn.linear_predictor(&xd));
        // Nomogram values: a column's own value, or for a nominal factor's
        // single axis the effect of the patient's level (0 at the reference).
        let mut values = BTreeMap::new();
        for p in &self.nomogram.model.predictors {
            let v = match self.dlrn.columns.iter().position(|c| *c == p.name) {
                Some(j) => xd[j],
                None => {
                    let prefix = format!("{}=", p.name);
                    self.dlrn
                        .columns
                        .iter()
                        .zip(&self.dlrn.coefficients)
                        .zip(&xd)
                        .filter(|((c, _), _)| c.starts_with(&prefix))
                        .map(|((_, b), x)| b * x)
                        .sum::<f64>()
                }
            };
            values.insert(p.name.clone(), v);
        }
        let scored = self.nomogram.score(&dlrn_nomogram::Patient {
            id: patient.id.clone(),
            values,
        })?;
        Ok(Prediction {
            id: patient.id.clone(),
            signature_score: score,
            p_clinical,
            p_signature: logistic(score),
            p_dlrn,
            dlrn_class: u8::from(p_dlrn >= self.cutoffs.dlrn),
            points: scored
                .points
                .iter()
                .map(|p| (p.name.clone(), p.points))
                .collect(),
            total_points: scored.total_points,
            warnings,
            dlrn_inputs: xd,
        })
    }
}

/// Whether a feature column is a deep (CNN) feature (`f_1` … `f_2048`).
pub fn is_deep_feature(name: &str) -> bool {
    name.strip_prefix("f_")
        .is_some_and(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_digit()))
}

impl Cnn {
    /// ResNet50 with the given weights file (carried in the bundle as
    /// `cnn/weights.<ext>`; format from the extension) or, without one, the
    /// seeded random initialisation, run on `backend`; `resize`/`crop` are dlrn-deep's
    /// `PreprocessConfig`. Returns the description and the file to copy.
    pub fn resnet50(
        weights: Option<&Path>,
        seed: u64,
        backend: &str,
        resize: usize,
        crop: usize,
    ) -> Result<(Cnn, Option<PathBuf>)> {
        let weights_info = match weights {
            None => CnnWeights::Random { seed },
            Some(p) => {
                let ext = p
                    .extension()
                    .and_then(|e| e.to_str())
                    .map(str::to_ascii_lowercase)
                    .unwrap_or_default();
                let format = match ext.as_str() {
                    "pth" | "pt" => "pytorch",
                    "safetensors" => "safetensors",
                    "mpk" => "burn-mpk",
                    _ => {
                        return Err(BundleError::Inconsistent {
                            path: p.to_path_buf(),
                            message: "not a weights file (.pth, .pt, .safetensors or .mpk)".into(),
                        });
                    }
                };
                CnnWeights::File {
                    file: format!("cnn/weights.{ext}"),
                    format: format.into(),
                }
            }
        };
        Ok((
            Cnn {
                architecture: "resnet50".into(),
                backend: backend.into(),
                weights: weights_info,
                preprocessing: Preprocessing {
                    resize,
                    crop,
                    description: format!(
                        "lesion crop to the mask's bounding box on the whole grey image, resize \
                         (shorter side {resize}, bilinear), centre crop {crop}, grey replicated \
                         to 3 channels, ImageNet mean/std normalisation; features = the \
                         global-average-pool outputs"
                    ),
                },
            },
            weights.map(Path::to_path_buf),
        ))
    }
}

impl Bundle {
    /// The bundle carrying the study's harmonisation (`harmonize.json`).
    pub fn with_harmonize(mut self, part: crate::harmonize::HarmonizePart) -> Result<Bundle> {
        self.harmonize = Some(part);
        self.check(Path::new("model"))?;
        Ok(self)
    }
}

/// The UTC calendar date (`YYYY-MM-DD`) of a Unix time in seconds, for
/// [`Provenance::date`]: a rerun on the same day writes the same bytes.
/// Proleptic Gregorian calendar (H. Hinnant's `civil_from_days`).
pub fn utc_date(unix_seconds: u64) -> String {
    let z = (unix_seconds / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates_match_python_datetime() {
        // datetime.fromtimestamp(s, timezone.utc).date() in Python 3.11.
        for (s, d) in [
            (0, "1970-01-01"),
            (951_782_400, "2000-02-29"),
            (1_000_000_000, "2001-09-09"),
            (1_798_675_199, "2026-12-30"),
            (4_102_444_800, "2100-01-01"),
        ] {
            assert_eq!(utc_date(s), d, "{s}");
        }
    }

    #[test]
    fn deep_feature_names() {
        assert!(is_deep_feature("f_1") && is_deep_feature("f_2048"));
        assert!(!is_deep_feature("f_") && !is_deep_feature("f_x") && !is_deep_feature("sNRV"));
    }
}
