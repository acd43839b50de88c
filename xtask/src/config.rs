//! The study configuration (configs/*.toml). Every key is documented in the
//! config files themselves; unknown keys are errors.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

/// A whole study configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where the cohorts are and which is which.
    pub cohorts: Cohorts,
    /// The simulated study written when the cohorts are absent.
    pub simulate: Simulate,
    /// The CNN that makes the deep features.
    pub cnn: Cnn,
    /// The reproducibility (ICC) filter.
    pub icc: Icc,
    /// LASSO feature selection.
    pub lasso: Lasso,
    /// Clinical model building.
    pub clinical: Clinical,
    /// Evaluation settings.
    pub evaluation: Evaluation,
    /// Optional: the missing-value policy (dlrn-study's `missing`; defaults when absent).
    #[serde(default)]
    pub missing: dlrn_study::missing::MissingSettings,
    /// Optional: running on a cluster (`cargo xtask paper --slurm`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<crate::cluster::Cluster>,
    /// Optional: what an extraction that left cases without a row does.
    #[serde(default, skip_serializing_if = "Extract::is_default")]
    pub extract: Extract,
    /// Optional: ComBat harmonisation of the features across hospitals
    /// (dlrn-study's `harmonize`; off when absent, as the paper's study was).
    #[serde(
        default,
        skip_serializing_if = "dlrn_study::harmonize::HarmonizeSettings::is_default"
    )]
    pub harmonize: dlrn_study::harmonize::HarmonizeSettings,
    /// Optional: feature tables made by other tools, joining or replacing
    /// dlrn's own extractions (dlrn-study's `external`; own extractions only when absent).
    #[serde(
        default,
        skip_serializing_if = "dlrn_study::external::FeatureSources::is_default"
    )]
    pub features: dlrn_study::external::FeatureSources,
    /// Optional: bootstrap internal validation of the whole procedure (off by default).
    #[serde(default, skip_serializing_if = "Validation::is_default")]
    pub validation: Validation,
}

/// Internal validation settings (optional section `[validation]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Validation {
    /// Bootstrap resamples B of the whole modelling procedure (0 = none, the default).
    #[serde(default)]
    pub bootstrap: usize,
    /// R's `set.seed` value of the resamples (default 1).
    #[serde(default = "default_validation_seed")]
    pub seed: i32,
}

fn default_validation_seed() -> i32 {
    1
}

impl Default for Validation {
    fn default() -> Self {
        Validation {
            bootstrap: 0,
            seed: default_validation_seed(),
        }
    }
}

impl Validation {
    fn is_default(&self) -> bool {
        *self == Validation::default()
    }
}

/// Extraction settings (optional section `[extract]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extract {
    /// Accept a feature table without the cases that failed (`dlrn extract
    /// --keep-going`); by default such a stage stops the study.
    #[serde(default)]
    pub allow_partial: bool,
}

impl Extract {
    fn is_default(&self) -> bool {
        *self == Extract::default()
    }

    /// The `dlrn extract` flag that says what a failed case does.
    pub fn failure_flag(&self) -> &'static str {
        if self.allow_partial {
            "--keep-going"
        } else {
            "--strict"
        }
    }
}

/// Cohort locations.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cohorts {
    /// Folder holding one sub-folder per cohort.
    pub dir: PathBuf,
    /// The training cohort's folder name.
    pub training: String,
    /// The external validation cohorts' folder names.
    pub validation: Vec<String>,
    /// Whether the cohorts are simulated (stated on every report page).
    pub simulated: bool,
}

/// Simulation settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Simulate {
    /// Seed of the simulated study.
    pub seed: u64,
    /// Cohort size multiplier (1 = the paper's sizes).
    pub scale: f64,
    /// Generating parameters instead of the defaults (`dlrn simulate --params`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<PathBuf>,
}

/// CNN settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cnn {
    /// "random" (seeded initialisation) or a weights file (.pth, .safetensors, .mpk).
    pub weights: String,
    /// Seed of the random initialisation and of fine-tuning.
    pub seed: u64,
    /// Fine-tuning epochs on the training cohort (0 = none).
    pub finetune_epochs: usize,
    /// Fine-tuning batch size.
    pub finetune_batch: usize,
    /// What picks the best fine-tuning epoch (needed when fine-tuning): a
    /// validation cohort's name, or "internal" for a seeded split of the
    /// training cohort stratified by the outcome, so every EVC stays external.
    #[serde(default)]
    pub finetune_val: Option<String>,
    /// With `finetune_val = "internal"`: the training cohort's share held out
    /// for validation, in (0, 0.5] (default 0.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finetune_val_fraction: Option<f64>,
    /// Burn backend as `dlrn --backend` takes it.
    pub backend: Backend,
    /// Images per forward batch during extraction.
    pub batch: usize,
}

/// The `cnn.finetune_val` value that asks for an internal split.
pub const INTERNAL_VAL: &str = "internal";

/// The internal split's default validation share.
pub const DEFAULT_VAL_FRACTION: f64 = 0.2;

/// What validates fine-tuning.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FinetuneVal<'a> {
    /// A validation cohort, by folder name (`dlrn finetune --val DIR`).
    Cohort(&'a str),
    /// A seeded, stratified split of the training cohort holding out this
    /// share (`dlrn finetune --val-fraction F`).
    Internal(f64),
}

impl Cnn {
    /// What validates fine-tuning, `None` when `cnn.finetune_val` is unset.
    pub fn finetune_validation(&self) -> Option<FinetuneVal<'_>> {
        match self.finetune_val.as_deref()? {
            INTERNAL_VAL => Some(FinetuneVal::Internal(
                self.finetune_val_fraction.unwrap_or(DEFAULT_VAL_FRACTION),
            )),
            c => Some(FinetuneVal::Cohort(c)),
        }
    }
}

/// The Burn backends `dlrn --backend` takes (the binary is built with the
/// matching cargo feature).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// Burn flex, the default CPU backend.
    Flex,
    /// burn-ndarray CPU backend.
    Ndarray,
    /// burn-wgpu GPU backend.
    Wgpu,
    /// burn-cuda NVIDIA backend.
    Cuda,
}

impl Backend {
    /// The name `dlrn --backend` and the cargo feature use.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Flex => "flex",
            Backend::Ndarray => "ndarray",
            Backend::Wgpu => "wgpu",
            Backend::Cuda => "cuda",
        }
    }
}

/// Which lambda of the cross-validated path makes the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lambda {
    /// cv.glmnet's lambda.min.
    #[serde(rename = "min")]
    Min,
    /// cv.glmnet's lambda.1se.
    #[serde(rename = "1se")]
    OneSe,
}

impl Lambda {
    /// The name the config and the figure captions use.
    pub fn name(self) -> &'static str {
        match self {
            Lambda::Min => "min",
            Lambda::OneSe => "1se",
        }
    }
}

/// ICC filter settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Icc {
    /// Intra-observer re-outline folders under <training>/icc/ (the reader
    /// of masks/ again): ICC against masks/.
    pub intra: Vec<String>,
    /// Inter-observer re-outline folders under <training>/icc/ (other
    /// readers): ICC against masks/.
    pub inter: Vec<String>,
    /// ICC form (psych::ICC naming): ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k.
    pub form: dlrn_stats::IccForm,
    /// Keep features whose ICC is above this.
    pub threshold: f64,
}

/// LASSO settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lasso {
    /// Elastic-net mixing (1 = LASSO).
    pub alpha: f64,
    /// cv.glmnet type.measure: deviance, mse, class, auc.
    pub measure: dlrn_lasso::Measure,
    /// Cross-validation folds.
    pub folds: usize,
    /// Seed of the fold assignment.
    pub seed: u64,
    /// Which lambda: "min" or "1se".
    pub lambda: Lambda,
}

/// Clinical model settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clinical {
    /// The clinical schema (schema.toml) declaring each variable; default:
    /// `schema.toml` beside the training cohort's clinical.csv, else the paper's 13.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<PathBuf>,
    /// Clinical factors screened one by one.
    pub candidates: Vec<String>,
    /// Univariate screening threshold (Wald p).
    pub screen_p: f64,
    /// Multivariable model keeps factors with p below this.
    pub keep_p: f64,
    /// How the clinical model and the DLRN are estimated: "glm" (maximum
    /// likelihood, the default) or "firth" (penalised, finite under separation).
    #[serde(default, skip_serializing_if = "dlrn_study::model::FitMethod::is_glm")]
    pub fit: dlrn_study::model::FitMethod,
}

/// Evaluation settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evaluation {
    /// Decision-curve thresholds: from, to, step.
    pub decision_thresholds: [f64; 3],
    /// Hosmer–Lemeshow groups.
    pub hl_groups: usize,
    /// Confidence level of every interval.
    pub level: f64,
}

impl Icc {
    /// Every re-outline folder, intra first.
    pub fn readers(&self) -> Vec<String> {
        self.intra.iter().chain(&self.inter).cloned().collect()
    }
}

impl Config {
    /// The modelling's settings in dlrn-study's terms: `[lasso]`,
    /// `[clinical]`, `[missing]`, `[evaluation]` (the subgroup table by `subtype` when the
    /// schema declares it), `icc.form` and the CNN the bundle records.
    pub fn fit_settings(
        &self,
        schema: &dlrn_study::ClinicalSchema,
        provenance: dlrn_study::bundle::Provenance,
        weights: Option<PathBuf>,
        resize: usize,
        crop: usize,
    ) -> dlrn_study::fit::FitSettings {
        use dlrn_study::pipeline::{ClinicalSettings, EvaluationSettings, LassoSettings};
        let [from, to, step] = self.evaluation.decision_thresholds;
        let n_steps = ((to - from) / step).round() as usize;
        dlrn_study::fit::FitSettings {
            lasso: LassoSettings {
                alpha: self.lasso.alpha,
                measure: self.lasso.measure,
                folds: self.lasso.folds,
                seed: self.lasso.seed,
                lambda: match self.lasso.lambda {
                    Lambda::Min => dlrn_lasso::LambdaChoice::Min,
                    Lambda::OneSe => dlrn_lasso::LambdaChoice::OneSe,
                },
            },
            clinical: ClinicalSettings {
                candidates: self.clinical.candidates.clone(),
                screen_p: self.clinical.screen_p,
                keep_p: self.clinical.keep_p,
                fit: self.clinical.fit,
            },
            missing: self.missing.clone(),
            evaluation: EvaluationSettings {
                thresholds: (0..=n_steps).map(|i| from + step * i as f64).collect(),
                hl_groups: self.evaluation.hl_groups,
                level: self.evaluation.level,
                subgroup: schema.variable("subtype").map(|v| v.name.clone()),
            },
            icc_form: self.icc.form.name().to_string(),
            harmonize: self.harmonize.clone(),
            bootstrap: dlrn_study::bootstrap::BootstrapSettings {
                resamples: self.validation.bootstrap,
                seed: self.validation.seed,
            },
            bundle: dlrn_study::fit::BundleSettings {
                provenance,
                weights,
                seed: self.cnn.seed,
                backend: self.cnn.backend.as_str().to_string(),
                resize,
                crop,
            },
        }
    }

    /// Reads and checks a config file.
    pub fn read(path: &Path) -> anyhow::Result<Config> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let cfg: Config =
            toml::from_str(&text).with_context(|| format!("{}: invalid config", path.display()))?;
        let problems = cfg.problems();
        if !problems.is_empty() {
            anyhow::bail!(
                "{}: invalid config:\n  {}",
                path.display(),
                problems.join("\n  ")
            );
        }
        Ok(cfg)
    }

    /// Every value outside its range and every contradiction between keys,
    /// each naming its key (checked at load time, before any stage runs).
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut need = |ok: bool, msg: String| {
            if !ok {
                out.push(msg);
            }
        };
        let c = &self.cohorts;
        need(
            !c.training.is_empty(),
            "cohorts.training: empty cohort name".into(),
        );
        need(
            !c.validation.contains(&c.training),
            format!(
                "cohorts.validation: lists the training cohort {:?}, which would not be external",
                c.training
            ),
        );
        for (i, v) in c.validation.iter().enumerate() {
            need(
                !c.validation[..i].contains(v),
                format!("cohorts.validation: {v:?} is listed twice"),
            );
        }
        need(
            self.simulate.scale > 0.0 && self.simulate.scale.is_finite(),
            format!(
                "simulate.scale: {} is not a positive number",
                self.simulate.scale
            ),
        );
        let n = &self.cnn;
        need(n.batch >= 1, "cnn.batch: must be at least 1".into());
        need(
            n.finetune_batch >= 1,
            "cnn.finetune_batch: must be at least 1".into(),
        );
        match &n.finetune_val {
            None => need(
                n.finetune_epochs == 0,
                format!(
                    "cnn.finetune_val: needed when fine-tuning (cnn.finetune_epochs = {}); one of {}",
                    n.finetune_epochs,
                    c.validation.join(", ")
                ),
            ),
            Some(v) if v == INTERNAL_VAL => need(
                !c.validation.iter().any(|x| x == INTERNAL_VAL),
                format!(
                    "cnn.finetune_val: {INTERNAL_VAL:?} is ambiguous: a validation cohort has that name"
                ),
            ),
            Some(v) => need(
                c.validation.contains(v),
                format!(
                    "cnn.finetune_val: {v:?} is not a validation cohort (one of {}) nor {INTERNAL_VAL:?}",
                    c.validation.join(", ")
                ),
            ),
        }
        if let Some(f) = n.finetune_val_fraction {
            need(
                f > 0.0 && f <= 0.5,
                format!("cnn.finetune_val_fraction: {f} is outside (0, 0.5]"),
            );
            need(
                n.finetune_val.as_deref() == Some(INTERNAL_VAL),
                format!(
                    "cnn.finetune_val_fraction: only used with cnn.finetune_val = {INTERNAL_VAL:?} \
                     (found {:?})",
                    n.finetune_val.as_deref().unwrap_or("none")
                ),
            );
        }
        let readers = self.icc.readers();
        for (i, r) in readers.iter().enumerate() {
            need(
                !readers[..i].contains(r),
                format!("icc.intra/icc.inter: {r:?} is listed twice (a folder has one role)"),
            );
            need(
                !r.is_empty() && !r.contains(['/', '\\']) && r != "..",
                format!("icc.intra/icc.inter: {r:?} is not a folder name under <training>/icc/"),
            );
        }
        need(
            (-1.0..=1.0).contains(&self.icc.threshold),
            format!(
                "icc.threshold: {} is outside [-1, 1], the range of an ICC",
                self.icc.threshold
            ),
        );
        let l = &self.lasso;
        need(
            l.alpha > 0.0 && l.alpha <= 1.0,
            format!("lasso.alpha: {} is outside (0, 1]", l.alpha),
        );
        need(
            l.folds >= 3,
            format!("lasso.folds: {} (cv.glmnet needs at least 3)", l.folds),
        );
        let k = &self.clinical;
        for (key, p) in [
            ("clinical.screen_p", k.screen_p),
            ("clinical.keep_p", k.keep_p),
        ] {
            need(p > 0.0 && p <= 1.0, format!("{key}: {p} is outside (0, 1]"));
        }
        need(
            !k.candidates.is_empty(),
            "clinical.candidates: no clinical factor to screen".into(),
        );
        let e = &self.evaluation;
        let [from, to, step] = e.decision_thresholds;
        need(
            (0.0..1.0).contains(&from) && from < to && to < 1.0 && step > 0.0 && step <= to - from,
            format!(
                "evaluation.decision_thresholds: [{from}, {to}, {step}] must be [from, to, step] \
                 with 0 <= from < to < 1 and 0 < step <= to - from"
            ),
        );
        need(
            e.hl_groups >= 3,
            format!(
                "evaluation.hl_groups: {} (Hosmer–Lemeshow needs at least 3)",
                e.hl_groups
            ),
        );
        need(
            e.level > 0.0 && e.level < 1.0,
            format!("evaluation.level: {} is outside (0, 1)", e.level),
        );
        // [harmonize]: the schema-independent checks here (the covariates
        // are checked against the clinical schema when the study loads it).
        let h = &self.harmonize;
        if let Some(r) = &h.reference {
            need(
                *r == c.training,
                format!(
                    "harmonize.reference: {r:?} is not the training cohort {:?}; the model is \
                     fitted on the training hospital and every other hospital is mapped to it",
                    c.training
                ),
            );
        }
        need(
            h.is_on() || h.is_default(),
            "harmonize: options are set but method is \"none\"; set method = \"combat\" or \
             remove them"
                .into(),
        );
        for c in &h.covariates {
            // The default outcome; a schema's own is checked when it is loaded.
            need(
                !c.eq_ignore_ascii_case("ALN_status"),
                format!(
                    "harmonize.covariates: {c:?} is the outcome; it is unknown for a new \
                     hospital's patients, and preserving it would leak the label into the \
                     features (never a covariate)"
                ),
            );
        }
        let all: Vec<String> = std::iter::once(c.training.clone())
            .chain(c.validation.iter().cloned())
            .collect();
        for p in self.features.problems(&all, &self.icc.readers()) {
            need(false, p);
        }
        if let Some(m) = h.min_batch {
            need(
                m >= 2,
                format!(
                    "harmonize.min_batch: {m} is below 2 (a batch's scale is a sample variance)"
                ),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn configs_dir() -> PathBuf {
        crate::workspace_root().join("configs")
    }

    /// configs/paper.toml with `old` replaced by `new`, written to a temporary file and read.
    fn read_with(old: &str, new: &str) -> String {
        let text = std::fs::read_to_string(configs_dir().join("paper.toml")).unwrap();
        assert!(text.contains(old), "paper.toml has no {old:?}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, text.replacen(old, new, 1)).unwrap();
        format!("{:#}", Config::read(&path).unwrap_err())
    }

    #[test]
    fn shipped_configs_are_valid() {
        let mut n = 0;
        for e in std::fs::read_dir(configs_dir()).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "toml") {
                Config::read(&p).unwrap_or_else(|e| panic!("{}: {e:#}", p.display()));
                n += 1;
            }
        }
        assert!(n >= 3, "only {n} configs found");
    }

    #[test]
    fn closed_sets_name_the_key_and_the_allowed_values() {
        for (old, new, needles) in [
            (
                "measure = \"mse\"",
                "measure = \"rmse\"",
                &["measure", "rmse", "deviance", "auc"][..],
            ),
            (
                "lambda = \"min\"",
                "lambda = \"max\"",
                &["lambda", "1se"][..],
            ),
            (
                "backend = \"flex\"",
                "backend = \"metal\"",
                &["backend", "cuda"][..],
            ),
            ("form = \"ICC2\"", "form = \"ICC4\"", &["form", "ICC3k"][..]),
        ] {
            let err = read_with(old, new);
            for n in needles {
                assert!(err.contains(n), "{new}: {err}");
            }
        }
    }

    #[test]
    fn ranges_and_contradictions_name_their_key() {
        for (old, new, needle) in [
            (
                "decision_thresholds = [0.0, 0.99, 0.01]",
                "decision_thresholds = [0.0, 0.99, 0.0]",
                "evaluation.decision_thresholds",
            ),
            (
                "decision_thresholds = [0.0, 0.99, 0.01]",
                "decision_thresholds = [0.0, 0.99, -0.01]",
                "evaluation.decision_thresholds",
            ),
            (
                "decision_thresholds = [0.0, 0.99, 0.01]",
                "decision_thresholds = [0.5, 0.2, 0.01]",
                "evaluation.decision_thresholds",
            ),
            ("threshold = 0.80", "threshold = 1.5", "icc.threshold"),
            (
                "inter = [\"reader2\"]",
                "inter = [\"reader1_repeat\"]",
                "icc.intra/icc.inter: \"reader1_repeat\" is listed twice",
            ),
            (
                "inter = [\"reader2\"]",
                "inter = [\"../reader2\"]",
                "is not a folder name",
            ),
            ("folds = 10", "folds = 2", "lasso.folds"),
            ("alpha = 1.0", "alpha = 0.0", "lasso.alpha"),
            ("hl_groups = 10", "hl_groups = 2", "evaluation.hl_groups"),
            ("level = 0.95", "level = 95", "evaluation.level"),
            ("scale = 1.0", "scale = 0.0", "simulate.scale"),
            ("batch = 16", "batch = 0", "cnn.batch"),
            (
                "validation = [\"EVC1\", \"EVC2\", \"EVC3\"]",
                "validation = [\"TC\", \"EVC2\"]",
                "cohorts.validation",
            ),
            (
                "finetune_epochs = 0",
                "finetune_epochs = 5\nfinetune_val = \"EVC9\"",
                "cnn.finetune_val: \"EVC9\" is not a validation cohort",
            ),
            (
                "finetune_epochs = 0",
                "finetune_epochs = 5",
                "cnn.finetune_val: needed when fine-tuning",
            ),
            (
                "finetune_epochs = 0",
                "finetune_epochs = 5\nfinetune_val = \"internal\"\nfinetune_val_fraction = 0.6",
                "cnn.finetune_val_fraction: 0.6 is outside (0, 0.5]",
            ),
            (
                "finetune_epochs = 0",
                "finetune_epochs = 5\nfinetune_val = \"internal\"\nfinetune_val_fraction = 0.0",
                "cnn.finetune_val_fraction: 0 is outside (0, 0.5]",
            ),
            (
                "finetune_epochs = 0",
                "finetune_epochs = 5\nfinetune_val = \"EVC1\"\nfinetune_val_fraction = 0.2",
                "cnn.finetune_val_fraction: only used with cnn.finetune_val = \"internal\"",
            ),
        ] {
            let err = read_with(old, new);
            assert!(err.contains(needle), "{new}: {err}");
        }
    }

    #[test]
    fn internal_finetune_validation_defaults_to_a_fifth() {
        let dir = tempfile::tempdir().unwrap();
        let text = std::fs::read_to_string(configs_dir().join("paper.toml")).unwrap();
        for (extra, want) in [
            ("finetune_val = \"internal\"", FinetuneVal::Internal(0.2)),
            (
                "finetune_val = \"internal\"\nfinetune_val_fraction = 0.5",
                FinetuneVal::Internal(0.5),
            ),
            ("finetune_val = \"EVC2\"", FinetuneVal::Cohort("EVC2")),
        ] {
            let path = dir.path().join("c.toml");
            let new = format!("finetune_epochs = 3\n{extra}");
            std::fs::write(&path, text.replacen("finetune_epochs = 0", &new, 1)).unwrap();
            let cfg = Config::read(&path).unwrap_or_else(|e| panic!("{extra}: {e:#}"));
            assert_eq!(cfg.cnn.finetune_validation(), Some(want));
        }
    }

    #[test]
    fn the_old_pooled_readers_key_is_refused_by_name() {
        let err = read_with(
            "intra = [\"reader1_repeat\"]",
            "readers = [\"reader1_repeat\"]",
        );
        assert!(err.contains("readers"), "{err}");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = read_with("[lasso]", "[lasso]\nlamda = \"min\"");
        assert!(err.contains("lamda"), "{err}");
    }
}
