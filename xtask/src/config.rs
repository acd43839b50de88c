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
    /// Optional: running on a cluster (`cargo xtask paper --slurm`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<crate::cluster::Cluster>,
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
    /// Validation cohort that picks the best fine-tuning epoch (needed when fine-tuning).
    #[serde(default)]
    pub finetune_val: Option<String>,
    /// Burn backend name as `dlrn --backend` takes it (flex, ndarray, wgpu, cuda).
    pub backend: String,
    /// Images per forward batch during extraction.
    pub batch: usize,
}

/// ICC filter settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Icc {
    /// Re-outline folders under <training>/icc/.
    pub readers: Vec<String>,
    /// ICC form (psych::ICC naming): ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k.
    pub form: String,
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
    pub measure: String,
    /// Cross-validation folds.
    pub folds: usize,
    /// Seed of the fold assignment.
    pub seed: u64,
    /// Which lambda: "min" or "1se".
    pub lambda: String,
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

impl Config {
    /// Reads and checks a config file.
    pub fn read(path: &Path) -> anyhow::Result<Config> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let cfg: Config =
            toml::from_str(&text).with_context(|| format!("{}: invalid config", path.display()))?;
        anyhow::ensure!(
            matches!(cfg.lasso.lambda.as_str(), "min" | "1se"),
            "{}: lasso.lambda must be \"min\" or \"1se\", found {:?}",
            path.display(),
            cfg.lasso.lambda
        );
        anyhow::ensure!(
            cfg.simulate.scale > 0.0,
            "{}: simulate.scale must be positive",
            path.display()
        );
        Ok(cfg)
    }
}
