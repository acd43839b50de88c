//! The study plan that `cargo xtask paper` runs and `paper --slurm` turns
//! into jobs: the config and output folders, the cohorts, and each image
//! stage (simulate, fine-tune, the extractions) with its `dlrn` command,
//! its stage-cache key and its outputs. Both resolve the same plan, so a
//! Slurm merge job stamps exactly the key the local run checks.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, ensure};

use crate::cache::{keys, sha256_file};
use crate::config::{Config, FinetuneVal};
use crate::workspace_root;

/// The study's config, folders and cohorts.
pub struct Plan {
    /// The workspace root (relative config paths and cohort folders start here).
    pub root: PathBuf,
    /// The config file.
    pub config_path: PathBuf,
    /// The config.
    pub cfg: Config,
    /// The config's name (its file stem).
    pub config_name: String,
    /// The output folder.
    pub out: PathBuf,
    /// `<out>/work`.
    pub work: PathBuf,
    /// The folder of the cohort folders.
    pub cohorts_dir: PathBuf,
    /// The training cohort's name.
    pub training: String,
    /// Every cohort, the training cohort first.
    pub all: Vec<String>,
    /// dlrn's version (every key takes it).
    pub version: &'static str,
}

/// A stage run as one `dlrn` command.
pub struct CommandStage {
    /// The stage cache's key.
    pub key: String,
    /// `dlrn`'s arguments.
    pub args: Vec<String>,
}

/// The fine-tuning stage.
pub struct Finetune {
    /// The stage cache's key.
    pub key: String,
    /// The fine-tuned weights.
    pub mpk: PathBuf,
    /// Its checkpoint folder.
    pub checkpoint: PathBuf,
    /// The training cohort's folder.
    pub cohort: PathBuf,
    /// `--val DIR` or `--val-fraction F`.
    pub val_args: Vec<String>,
    /// The initial weights (`--init`), if any.
    pub init: Option<PathBuf>,
    /// `dlrn`'s arguments.
    pub args: Vec<String>,
}

/// The CNN weights of the deep features.
pub struct Weights {
    /// The weights file (`None`: a random initialisation).
    pub path: Option<PathBuf>,
    /// How the report and the keys name them.
    pub desc: String,
    /// The file's SHA-256.
    pub hash: Option<String>,
}

/// One extraction stage: a cohort with one set of outlines, one feature kind.
pub struct Extraction {
    /// The stage cache's name: `handcrafted/<tag>` or `deep/<tag>`.
    pub name: String,
    /// `handcrafted` or `deep`.
    pub kind: &'static str,
    /// The stage cache's key.
    pub key: String,
    /// The feature table.
    pub output: PathBuf,
    /// The cohort folder.
    pub cohort: PathBuf,
    /// The outlines' folder inside it (`masks`, or `icc/<reader>`).
    pub masks: String,
    /// What a failed case does: `--strict`, or `--keep-going` with
    /// `[extract] allow_partial`.
    pub failure_flag: &'static str,
    /// Further `dlrn extract` arguments (deep: seed, batch, backend, weights).
    pub extra: Vec<String>,
}

impl Extraction {
    /// `dlrn`'s arguments for the whole table (with the failure flag).
    pub fn args(&self) -> Vec<String> {
        let mut a: Vec<String> = vec![
            "extract".into(),
            self.kind.into(),
            "--cohort".into(),
            self.cohort.display().to_string(),
            "--masks".into(),
            self.masks.clone(),
            "--out".into(),
            self.output.display().to_string(),
        ];
        a.push(self.failure_flag.into());
        a.extend(self.extra.iter().cloned());
        a
    }
}

impl Plan {
    /// The plan of `config` (relative to the workspace root) writing to
    /// `out` (default `reports/<config name>`); creates nothing.
    pub fn resolve(config: &Path, out: Option<&Path>) -> anyhow::Result<Plan> {
        let root = workspace_root();
        let config_path = if config.is_absolute() {
            config.to_path_buf()
        } else {
            root.join(config)
        };
        let cfg = Config::read(&config_path)?;
        let config_name = config_path
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let out = match out {
            Some(o) if o.is_absolute() => o.to_path_buf(),
            Some(o) => std::env::current_dir()?.join(o),
            None => root.join("reports").join(&config_name),
        };
        let work = out.join("work");
        let cohorts_dir = root.join(&cfg.cohorts.dir);
        let training = cfg.cohorts.training.clone();
        let all: Vec<String> = std::iter::once(training.clone())
            .chain(cfg.cohorts.validation.iter().cloned())
            .collect();
        Ok(Plan {
            root,
            config_path,
            cfg,
            config_name,
            out,
            work,
            cohorts_dir,
            training,
            all,
            version: env!("CARGO_PKG_VERSION"),
        })
    }

    /// The simulation stage, when the config's cohorts are simulated.
    pub fn simulate(&self) -> anyhow::Result<Option<CommandStage>> {
        let cfg = &self.cfg;
        if !cfg.cohorts.simulated {
            return Ok(None);
        }
        let key = keys::simulate(cfg, &self.root, self.version)?;
        let mut args: Vec<String> = vec![
            "simulate".into(),
            "--out".into(),
            self.cohorts_dir.display().to_string(),
            "--seed".into(),
            cfg.simulate.seed.to_string(),
            "--scale".into(),
            cfg.simulate.scale.to_string(),
        ];
        if let Some(p) = &cfg.simulate.params {
            args.extend(["--params".into(), self.root.join(p).display().to_string()]);
        }
        Ok(Some(CommandStage { key, args }))
    }

    /// Each cohort's key (its files' hash); a missing cohort folder is an error.
    pub fn cohort_keys(&self) -> anyhow::Result<BTreeMap<String, String>> {
        let mut keys = BTreeMap::new();
        for c in &self.all {
            let d = self.cohorts_dir.join(c);
            ensure!(d.is_dir(), "cohort folder {} is missing", d.display());
            keys.insert(c.clone(), keys::cohort(&d)?);
        }
        Ok(keys)
    }

    /// The config's weights file (`cnn.weights`), `None` for `random`.
    pub fn initial_weights(&self) -> Option<PathBuf> {
        match self.cfg.cnn.weights.as_str() {
            "random" => None,
            w => Some(self.root.join(w)),
        }
    }

    /// The fine-tuning stage, when the config asks for it, from `init`.
    pub fn finetune(
        &self,
        cohort_keys: &BTreeMap<String, String>,
        init: Option<&Path>,
    ) -> anyhow::Result<Option<Finetune>> {
        let cfg = &self.cfg;
        // No CNN runs when the study reads external feature tables alone.
        if cfg.cnn.finetune_epochs == 0 || !cfg.features.own {
            return Ok(None);
        }
        let (val_args, val_key) = finetune_val_args(cfg, &self.cohorts_dir, cohort_keys)?;
        let mpk = self.work.join("cnn").join("finetuned.mpk");
        let checkpoint = self.work.join("cnn").join("checkpoint");
        let key = keys::finetune(cfg, &cohort_keys[&self.training], &val_key)?;
        let cohort = self.cohorts_dir.join(&self.training);
        let mut args: Vec<String> = vec![
            "finetune".into(),
            "--cohort".into(),
            cohort.display().to_string(),
        ];
        args.extend(val_args.iter().cloned());
        args.extend([
            "--out".into(),
            mpk.display().to_string(),
            "--epochs".into(),
            cfg.cnn.finetune_epochs.to_string(),
            "--batch".into(),
            cfg.cnn.finetune_batch.to_string(),
            "--seed".into(),
            cfg.cnn.seed.to_string(),
            "--checkpoint".into(),
            checkpoint.display().to_string(),
            "--backend".into(),
            cfg.cnn.backend.as_str().to_string(),
        ]);
        if let Some(w) = init {
            args.push("--init".into());
            args.push(w.display().to_string());
        }
        Ok(Some(Finetune {
            key,
            mpk,
            checkpoint,
            cohort,
            val_args,
            init: init.map(Path::to_path_buf),
            args,
        }))
    }

    /// The deep features' weights: `path` (or a random initialisation), named and hashed.
    pub fn weights(&self, path: Option<PathBuf>) -> anyhow::Result<Weights> {
        let desc = match &path {
            None => format!("random initialisation, seed {}", self.cfg.cnn.seed),
            Some(p) => p
                .strip_prefix(&self.root)
                .unwrap_or(p)
                .display()
                .to_string(),
        };
        let hash = match &path {
            Some(p) => Some(sha256_file(p)?),
            None => None,
        };
        Ok(Weights { path, desc, hash })
    }

    /// The re-outline folders the ICC filter uses (see [`icc_readers`]);
    /// with external tables alone (`[features] own = false`), the readers
    /// of `[icc]` when every table gives their re-outline tables, else none.
    pub fn icc_readers(&self) -> anyhow::Result<Vec<String>> {
        let f = &self.cfg.features;
        if f.own {
            return icc_readers(&self.cfg, &self.cohorts_dir);
        }
        let readers = self.cfg.icc.readers();
        Ok(
            if f.tables
                .iter()
                .all(|t| readers.iter().all(|r| t.reoutlines.contains_key(r)))
            {
                readers
            } else {
                Vec::new()
            },
        )
    }

    /// The feature tables' folder.
    pub fn features_dir(&self) -> PathBuf {
        self.work.join("features")
    }

    /// The study's extractions, in order: every cohort with its `masks`, then
    /// the training cohort with each re-outline folder of `readers`; per
    /// cohort and outlines the handcrafted stage, then the deep one.
    pub fn extractions(
        &self,
        cohort_keys: &BTreeMap<String, String>,
        readers: &[String],
        weights: &Weights,
    ) -> Vec<Extraction> {
        let feat_dir = self.features_dir();
        let deep_extra = deep_extract_args(&self.cfg, weights.path.as_deref());
        let mut stages = Vec::new();
        // `[features] own = false`: the external tables alone, no image read.
        if !self.cfg.features.own {
            return stages;
        }
        for job in extraction_jobs(&self.all, &self.training, readers) {
            let ExtractionJob { cohort, masks, tag } = &job;
            stages.push(Extraction {
                name: format!("handcrafted/{tag}"),
                kind: "handcrafted",
                key: keys::handcrafted(
                    &cohort_keys[cohort],
                    masks,
                    self.version,
                    self.cfg.extract.allow_partial,
                ),
                output: job.handcrafted_output(&feat_dir),
                cohort: self.cohorts_dir.join(cohort),
                masks: masks.clone(),
                failure_flag: self.cfg.extract.failure_flag(),
                extra: Vec::new(),
            });
            stages.push(Extraction {
                name: format!("deep/{tag}"),
                kind: "deep",
                key: keys::deep(
                    &cohort_keys[cohort],
                    masks,
                    self.version,
                    &weights.desc,
                    weights.hash.as_deref(),
                    self.cfg.extract.allow_partial,
                ),
                output: job.deep_output(&feat_dir),
                cohort: self.cohorts_dir.join(cohort),
                masks: masks.clone(),
                failure_flag: self.cfg.extract.failure_flag(),
                extra: deep_extra.clone(),
            });
        }
        stages
    }
}

/// The re-outline folders the ICC filter uses (`icc.intra` then
/// `icc.inter`): all of them when the training cohort has them all under
/// `icc/`, none when it has none of them (a cohort without re-outlines: the
/// filter is skipped and the report says so); an error naming the missing
/// folder when it has only some.
pub fn icc_readers(cfg: &Config, cohorts_dir: &Path) -> anyhow::Result<Vec<String>> {
    let icc = cohorts_dir.join(&cfg.cohorts.training).join("icc");
    let readers = cfg.icc.readers();
    let (present, missing): (Vec<&String>, Vec<&String>) =
        readers.iter().partition(|r| icc.join(r).is_dir());
    if present.is_empty() {
        return Ok(Vec::new());
    }
    ensure!(
        missing.is_empty(),
        "icc.intra/icc.inter: {} is missing (the other re-outline folders are there)",
        icc.join(missing[0]).display()
    );
    Ok(readers)
}

/// One feature extraction of the study: a cohort with one set of outlines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractionJob {
    /// The cohort folder's name.
    pub cohort: String,
    /// The outlines' folder inside it (`masks`, or `icc/<reader>`).
    pub masks: String,
    /// The outputs' and stages' name: the cohort, or `<training>_<reader>`.
    pub tag: String,
}

impl ExtractionJob {
    /// The handcrafted feature table in `feat_dir`.
    pub fn handcrafted_output(&self, feat_dir: &Path) -> PathBuf {
        feat_dir.join(format!("{}_handcrafted.parquet", self.tag))
    }

    /// The deep feature table in `feat_dir`.
    pub fn deep_output(&self, feat_dir: &Path) -> PathBuf {
        feat_dir.join(format!("{}_deep.parquet", self.tag))
    }
}

/// The study's extractions, in order: every cohort of `all` with its
/// `masks`, then the training cohort with each re-outline folder of
/// `readers` (see [`icc_readers`]).
pub fn extraction_jobs(all: &[String], training: &str, readers: &[String]) -> Vec<ExtractionJob> {
    all.iter()
        .map(|c| ExtractionJob {
            cohort: c.clone(),
            masks: "masks".to_string(),
            tag: c.clone(),
        })
        .chain(readers.iter().map(|r| ExtractionJob {
            cohort: training.to_string(),
            masks: format!("icc/{r}"),
            tag: format!("{training}_{r}"),
        }))
        .collect()
}

/// `dlrn extract deep`'s arguments after the cohort, masks and output:
/// seed, batch, backend and, when given, the weights.
pub fn deep_extract_args(cfg: &Config, weights: Option<&Path>) -> Vec<String> {
    let mut a: Vec<String> = vec![
        "--seed".into(),
        cfg.cnn.seed.to_string(),
        "--batch".into(),
        cfg.cnn.batch.to_string(),
        "--backend".into(),
        cfg.cnn.backend.as_str().to_string(),
    ];
    if let Some(w) = weights {
        a.extend(["--weights".into(), w.display().to_string()]);
    }
    a
}

/// `dlrn finetune`'s validation arguments (`--val DIR` for a validation
/// cohort, `--val-fraction F` for the internal split of the training
/// cohort) and what the fine-tuning stage's cache key takes for them (the
/// cohort's key, or the split's fraction).
pub fn finetune_val_args(
    cfg: &Config,
    cohorts_dir: &Path,
    cohort_keys: &BTreeMap<String, String>,
) -> anyhow::Result<(Vec<String>, String)> {
    match cfg
        .cnn
        .finetune_validation()
        .context("cnn.finetune_val is needed when fine-tuning")?
    {
        FinetuneVal::Cohort(v) => Ok((
            vec!["--val".into(), cohorts_dir.join(v).display().to_string()],
            cohort_keys
                .get(v)
                .with_context(|| format!("cnn.finetune_val: {v:?} is not a study cohort"))?
                .clone(),
        )),
        FinetuneVal::Internal(f) => Ok((
            vec!["--val-fraction".into(), f.to_string()],
            format!("internal split, fraction {f}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extraction_jobs_are_the_cohorts_then_the_training_reoutlines() {
        let all = ["TC", "EVC1"].map(String::from);
        let readers = ["reader1_repeat", "reader2"].map(String::from);
        let jobs = extraction_jobs(&all, "TC", &readers);
        let got: Vec<(&str, &str, &str)> = jobs
            .iter()
            .map(|j| (j.cohort.as_str(), j.masks.as_str(), j.tag.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("TC", "masks", "TC"),
                ("EVC1", "masks", "EVC1"),
                ("TC", "icc/reader1_repeat", "TC_reader1_repeat"),
                ("TC", "icc/reader2", "TC_reader2"),
            ]
        );
        assert_eq!(
            jobs[2].deep_output(Path::new("w")),
            Path::new("w/TC_reader1_repeat_deep.parquet")
        );
        assert!(
            extraction_jobs(&all, "TC", &[])
                .iter()
                .all(|j| j.masks == "masks")
        );
    }

    fn config_with(extra: &str) -> Config {
        let text = std::fs::read_to_string(workspace_root().join("configs/paper.toml"))
            .expect("paper.toml");
        let text = text.replacen(
            "finetune_epochs = 0",
            &format!("finetune_epochs = 2\n{extra}"),
            1,
        );
        toml::from_str(&text).expect("a valid config")
    }

    /// `dlrn finetune` gets `--val DIR` for a cohort and `--val-fraction F`
    /// for the internal split, and the stage key changes with the fraction.
    #[test]
    fn finetune_validates_on_a_cohort_or_the_internal_split() {
        let dir = Path::new("/cohorts");
        let keys: BTreeMap<String, String> = [("EVC1".to_string(), "k1".to_string())].into();
        let (a, k) =
            finetune_val_args(&config_with("finetune_val = \"EVC1\""), dir, &keys).unwrap();
        assert_eq!(a, ["--val", "/cohorts/EVC1"]);
        assert_eq!(k, "k1");
        let (a, k) =
            finetune_val_args(&config_with("finetune_val = \"internal\""), dir, &keys).unwrap();
        assert_eq!(a, ["--val-fraction", "0.2"]);
        let cfg = config_with("finetune_val = \"internal\"\nfinetune_val_fraction = 0.3");
        let (a, k3) = finetune_val_args(&cfg, dir, &keys).unwrap();
        assert_eq!(a, ["--val-fraction", "0.3"]);
        assert_ne!(
            keys::finetune(&config_with("finetune_val = \"internal\""), "t", &k).unwrap(),
            keys::finetune(&cfg, "t", &k3).unwrap()
        );
    }
}
