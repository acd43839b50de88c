//! The modelling half of the study (stages 5–9 of study.md: ICC filter,
//! LASSO signature, clinical model, DLRN, evaluation, nomogram, model
//! bundle) on feature tables already extracted: dlrn-study's `fit_study`,
//! the call `cargo xtask paper` makes after its image stages. The image
//! stages, the stage cache and the supplement stay with `cargo xtask paper`
//! (a binary).

use std::path::{Path, PathBuf};

use dlrn_deep::preprocess::PreprocessConfig;
use dlrn_report as report;
use dlrn_study::assemble::{StudyContext, simulated_notice, study_report};
use dlrn_study::bundle::{Provenance as BundleProvenance, utc_date};
use dlrn_study::error::StudyError;
use dlrn_study::fit::{BundleSettings, Fit, FitInputs, FitSettings, Progress, fit_study};
use dlrn_study::icc::IccFilter;
use dlrn_study::missing::MissingSettings;
use dlrn_study::model::FitMethod;
use dlrn_study::pipeline::{
    ClinicalSettings, Cohort, EvaluationSettings, FeatureTable, LassoSettings, icc_stage,
    load_cohort,
};
use dlrn_study::{ClinicalSchema, read_schema};
use pyo3::prelude::*;
use serde::Deserialize;

use crate::errors::{ModelError, ToPyErr, bad_input};

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(fit_study_tables, m)?)?;
    Ok(())
}

/// The parts of a study config (configs/*.toml, read by `cargo xtask
/// paper`'s `Config`) the modelling reads; the other sections are ignored.
#[derive(Debug, Deserialize)]
struct StudyConfig {
    cohorts: CohortsPart,
    simulate: SimulatePart,
    cnn: CnnPart,
    icc: IccPart,
    lasso: LassoPart,
    clinical: ClinicalPart,
    evaluation: EvaluationPart,
    #[serde(default)]
    missing: MissingSettings,
    #[serde(default)]
    harmonize: dlrn_study::harmonize::HarmonizeSettings,
    #[serde(default)]
    validation: ValidationPart,
}

/// `[validation]`: the bootstrap of the whole procedure (off when absent).
#[derive(Debug, Deserialize)]
struct ValidationPart {
    #[serde(default)]
    bootstrap: usize,
    #[serde(default = "default_validation_seed")]
    seed: i32,
}

fn default_validation_seed() -> i32 {
    1
}

impl Default for ValidationPart {
    fn default() -> Self {
        ValidationPart {
            bootstrap: 0,
            seed: default_validation_seed(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct CohortsPart {
    dir: PathBuf,
    training: String,
    validation: Vec<String>,
    simulated: bool,
}

#[derive(Debug, Deserialize)]
struct SimulatePart {
    seed: u64,
    scale: f64,
    #[serde(default)]
    params: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
struct CnnPart {
    seed: u64,
    backend: String,
}

#[derive(Debug, Deserialize)]
struct IccPart {
    intra: Vec<String>,
    inter: Vec<String>,
    form: dlrn_stats::IccForm,
    threshold: f64,
}

#[derive(Debug, Clone, Copy, Deserialize)]
enum Lambda {
    #[serde(rename = "min")]
    Min,
    #[serde(rename = "1se")]
    OneSe,
}

#[derive(Debug, Deserialize)]
struct LassoPart {
    alpha: f64,
    measure: dlrn_lasso::Measure,
    folds: usize,
    seed: u64,
    lambda: Lambda,
}

#[derive(Debug, Deserialize)]
struct ClinicalPart {
    #[serde(default)]
    schema: Option<PathBuf>,
    candidates: Vec<String>,
    screen_p: f64,
    keep_p: f64,
    #[serde(default)]
    fit: FitMethod,
}

#[derive(Debug, Deserialize)]
struct EvaluationPart {
    decision_thresholds: [f64; 3],
    hl_groups: usize,
    level: f64,
}

/// The run's notes, as `cargo xtask paper` logs them.
struct Notes(Vec<String>);

impl Progress for Notes {
    fn note(&mut self, line: &str) {
        self.0.push(line.to_string());
    }
    fn done(&mut self, _name: &str) {}
}

/// A cohort's combined feature table (`<tag>_handcrafted.parquet` joined
/// with `<tag>_deep.parquet`), as `cargo xtask paper` reads it.
fn feature_table(dir: &Path, tag: &str, label: &str) -> Result<FeatureTable, StudyError> {
    let hc = FeatureTable::read(&dir.join(format!("{tag}_handcrafted.parquet")), label)?;
    let deep = FeatureTable::read(&dir.join(format!("{tag}_deep.parquet")), label)?;
    hc.join(deep, &format!("{tag} features"))
}

/// What the fit wrote and said: the files written (relative to `out`) and
/// the run's notes.
type Fitted = (Vec<String>, Vec<String>);

/// Stages 5–9 of the study on the feature tables in `features` (named as
/// `cargo xtask paper` names them under `<out>/work/features/`) and the
/// clinical tables under `cohorts` (default: the config's `cohorts.dir`
/// under `root`), with the modelling settings of the study
/// config `config` (relative paths in it against `root`): writes the study's
/// report (Table 1–3, calibration, cut-offs, figures, index.html) and the
/// model bundle (`<out>/model/`) into `out`.
#[pyfunction]
#[pyo3(signature = (config, features, cohorts, root, out, weights=None))]
fn fit_study_tables(
    py: Python<'_>,
    config: PathBuf,
    features: PathBuf,
    cohorts: Option<PathBuf>,
    root: PathBuf,
    out: PathBuf,
    weights: Option<PathBuf>,
) -> PyResult<Fitted> {
    let text = std::fs::read_to_string(&config)
        .map_err(|e| bad_input(format!("{}: {e}", config.display())))?;
    let cfg: StudyConfig =
        toml::from_str(&text).map_err(|e| bad_input(format!("{}: {e}", config.display())))?;
    let cohorts = cohorts.unwrap_or_else(|| root.join(&cfg.cohorts.dir));
    py.detach(|| {
        run(
            &cfg, &text, &config, &features, &cohorts, &root, &out, weights,
        )
    })
}

#[allow(clippy::too_many_arguments)]
fn run(
    cfg: &StudyConfig,
    config_text: &str,
    config: &Path,
    features: &Path,
    cohorts_dir: &Path,
    root: &Path,
    out: &Path,
    weights: Option<PathBuf>,
) -> PyResult<Fitted> {
    let err = ToPyErr::to_py;
    let training = &cfg.cohorts.training;
    // The clinical schema: the config's, else schema.toml beside the
    // training cohort's clinical.csv, else the paper's 13 variables.
    let schema = match &cfg.clinical.schema {
        Some(p) => read_schema(&root.join(p)).map_err(err)?,
        None => {
            let beside = cohorts_dir.join(training).join("schema.toml");
            if beside.is_file() {
                read_schema(&beside).map_err(err)?
            } else {
                ClinicalSchema::paper()
            }
        }
    };
    for c in &cfg.clinical.candidates {
        if schema.variable(c).is_none() {
            return Err(bad_input(format!(
                "{}: clinical.candidates: {c:?} is not declared in the clinical schema",
                config.display()
            )));
        }
    }
    let label = &schema.outcome.column;
    let names: Vec<&String> = std::iter::once(training)
        .chain(&cfg.cohorts.validation)
        .collect();
    let mut cohorts: Vec<Cohort> = Vec::new();
    let mut data_hashes = Vec::new();
    for c in &names {
        let table = feature_table(features, c, label).map_err(err)?;
        let clinical = cohorts_dir.join(c).join("clinical.csv");
        cohorts.push(load_cohort(c, table, &clinical, &schema).map_err(err)?);
        let hc = features.join(format!("{c}_handcrafted.parquet"));
        data_hashes.push((
            format!("{c} handcrafted features"),
            dlrn_study::apply::sha256_file(&hc).map_err(err)?,
        ));
    }
    let level = cfg.evaluation.level;
    cfg.missing
        .check(&cohorts[0].features.names, &schema)
        .map_err(err)?;

    // 5. The ICC filter on the re-outlines (as `cargo xtask paper`: skipped
    // when no re-outline folder of the config is there).
    let icc_dir = cohorts_dir.join(training).join("icc");
    let readers: Vec<&String> = cfg.icc.intra.iter().chain(&cfg.icc.inter).collect();
    let present = readers.iter().any(|r| icc_dir.join(r).is_dir());
    let reads = |role: &[String]| -> PyResult<Vec<(String, FeatureTable)>> {
        role.iter()
            .map(|r| {
                feature_table(features, &format!("{training}_{r}"), label)
                    .map(|t| (r.clone(), t))
                    .map_err(err)
            })
            .collect()
    };
    let (intra_reads, inter_reads) = if present {
        (reads(&cfg.icc.intra)?, reads(&cfg.icc.inter)?)
    } else {
        (Vec::new(), Vec::new())
    };
    let icc = if present {
        icc_stage(
            &cohorts[0],
            &intra_reads,
            &inter_reads,
            cfg.icc.form.name(),
            cfg.icc.threshold,
            level,
        )
        .map_err(err)?
    } else {
        IccFilter::skipped(
            cfg.icc.form.name(),
            cfg.icc.threshold,
            &cohorts[0].features.names,
        )
    };

    // 6–9. The settings `cargo xtask paper` passes (its Config::fit_settings).
    let config_hash = dlrn_study::apply::sha256_file(config).map_err(err)?;
    let training_hash = data_hashes[0].1.clone();
    let [from, to, step] = cfg.evaluation.decision_thresholds;
    let n_steps = ((to - from) / step).round() as usize;
    let pre = PreprocessConfig::default();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let version = env!("CARGO_PKG_VERSION");
    let settings = FitSettings {
        lasso: LassoSettings {
            alpha: cfg.lasso.alpha,
            measure: cfg.lasso.measure,
            folds: cfg.lasso.folds,
            seed: cfg.lasso.seed,
            lambda: match cfg.lasso.lambda {
                Lambda::Min => dlrn_lasso::LambdaChoice::Min,
                Lambda::OneSe => dlrn_lasso::LambdaChoice::OneSe,
            },
        },
        clinical: ClinicalSettings {
            candidates: cfg.clinical.candidates.clone(),
            screen_p: cfg.clinical.screen_p,
            keep_p: cfg.clinical.keep_p,
            fit: cfg.clinical.fit,
        },
        missing: cfg.missing.clone(),
        evaluation: EvaluationSettings {
            thresholds: (0..=n_steps).map(|i| from + step * i as f64).collect(),
            hl_groups: cfg.evaluation.hl_groups,
            level,
            subgroup: schema.variable("subtype").map(|v| v.name.clone()),
        },
        icc_form: cfg.icc.form.name().to_string(),
        harmonize: cfg.harmonize.clone(),
        bootstrap: dlrn_study::bootstrap::BootstrapSettings {
            resamples: cfg.validation.bootstrap,
            seed: cfg.validation.seed,
        },
        bundle: BundleSettings {
            provenance: BundleProvenance {
                dlrn_version: version.to_string(),
                config_sha256: config_hash.clone(),
                training_cohort: training.clone(),
                training_cohort_sha256: training_hash.clone(),
                date: utc_date(now),
            },
            weights: weights.clone(),
            seed: cfg.cnn.seed,
            backend: cfg.cnn.backend.clone(),
            resize: pre.resize,
            crop: pre.crop,
        },
    };
    let mut notes = Notes(Vec::new());
    let fit = fit_study(
        &FitInputs {
            schema: &schema,
            cohorts: &cohorts,
            training_sha256: &training_hash,
            icc: &icc,
            intra_reads: &intra_reads,
            inter_reads: &inter_reads,
        },
        &settings,
        &mut notes,
    )
    .map_err(err)?;
    let fit = match fit {
        Fit::Fitted(f) => *f,
        Fit::Separated(sep) => {
            return Err(ModelError::new_err(format!(
                "the clinical model and the DLRN could not be fitted: {}",
                sep.reason
            )));
        }
    };
    let config_name = config
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let ctx = StudyContext {
        config_name: &config_name,
        simulated: cfg.cohorts.simulated.then(|| {
            simulated_notice(
                cfg.simulate.seed,
                cfg.simulate.scale,
                cfg.simulate.params.as_deref(),
            )
        }),
        simulated_data: cfg.cohorts.simulated,
        provenance: report::Provenance {
            version: version.to_string(),
            seed: cfg.simulate.seed,
            config_name: config_name.clone(),
            config_text: config_text.to_string(),
            config_hash,
            data_hashes,
            weights: match &weights {
                Some(w) => w.display().to_string(),
                None => format!("random initialisation, seed {}", cfg.cnn.seed),
            },
            weights_hash: None,
        },
        box_seed: cfg.simulate.seed,
        lambda: match cfg.lasso.lambda {
            Lambda::Min => "min",
            Lambda::OneSe => "1se",
        },
        folds: cfg.lasso.folds,
        measure: cfg.lasso.measure.name(),
        n_validation: cfg.cohorts.validation.len(),
    };
    std::fs::create_dir_all(out).map_err(|e| bad_input(format!("{}: {e}", out.display())))?;
    let mut bundle = fit.bundle.clone();
    bundle
        .write_keeping_date(&out.join("model"))
        .map_err(ToPyErr::to_py)?;
    let study = study_report(&fit, &schema, &icc, training, &ctx);
    let manifest = study.write(out).map_err(|e| err(StudyError::from(e)))?;
    Ok((manifest.outputs, notes.0))
}
