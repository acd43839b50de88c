//! `cargo xtask paper`: the whole study (study.md stages 1–9) in one command.
//!
//! Image stages run as `dlrn` subcommands (they resume image by image and
//! show progress bars); the modelling stages call dlrn-study, one function per stage. Each
//! stage is cached under `<out>/work/` keyed by its inputs and its part of
//! the config, so a rerun redoes only what changed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, ensure};
use dlrn_lasso::LambdaChoice;
use dlrn_nomogram::{CalculatorOptions, FigureOptions, NomogramOptions};
use dlrn_report as report;
use dlrn_study::bundle::{Bundle, Cnn, Provenance as BundleProvenance, StudyParts, utc_date};
use dlrn_study::icc::IccFilter;
use dlrn_study::nomogram::build_nomogram;
use dlrn_study::pipeline::{
    ClinicalSettings, Cohort, CohortPredictions, EvaluationSettings, FeatureTable, LassoSettings,
    SIGNATURE_COLUMN, clinical_by_cohort, clinical_stage, dlrn_stage, evaluate, icc_stage,
    lasso_stage, load_cohort, model_design, predict, predictions_table, reoutline_cohort,
    screen_table, signature_scores, subset_cohort, table3, youden_cutoffs,
};
use dlrn_study::reproducibility::{QUANTITIES, dlrn_reproducibility};
use dlrn_study::schema::schema_to_toml;
use dlrn_study::supplement::{SupplementCohort, SupplementInputs, study_outputs, write_supplement};
use dlrn_study::table1::{CohortClinical, table1};
use dlrn_study::{ClinicalSchema, Design, StudyError, read_schema};

use crate::cache::{Runner, StageStatus, keys, sha256_file, simulate_shared};
use crate::config::{Config, FinetuneVal, Lambda};
use crate::workspace_root;

/// Run the whole study as the paper did and write the report.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Study configuration (relative to the workspace root).
    #[arg(long, default_value = "configs/paper.toml")]
    pub config: PathBuf,
    /// Output folder (default reports/<config name>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Run as Slurm jobs (the config's [cluster] section): one array job per
    /// extraction stage, merges, then this command again for the report.
    #[arg(long)]
    pub slurm: bool,
    /// With --slurm: write the sbatch scripts and submit.sh, submit nothing.
    #[arg(long, requires = "slurm")]
    pub dry_run: bool,
}

/// The CNN input preprocessing `dlrn extract deep` applies (dlrn-deep's
/// `PreprocessConfig` default: resize the lesion box's short side to 256, centre
/// crop 224), recorded in the model bundle; xtask does not link dlrn-deep.
const PREPROCESS_RESIZE: usize = 256;
const PREPROCESS_CROP: usize = 224;

/// The run's stage times, beside manifest.json.
pub const TIMINGS: &str = "timings.json";

/// Records the in-process stage that ran since `*since` and restarts the clock.
fn lap(runner: &mut Runner, name: &str, since: &mut Instant) {
    runner.record(name, StageStatus::Run, since.elapsed().as_secs_f64());
    *since = Instant::now();
}

/// Builds the `dlrn` binary with the same profile as xtask and returns its
/// path; `DLRN_BIN` names an already built binary instead (tests, or a binary
/// built with other features).
pub(crate) fn build_dlrn(root: &Path, backend: &str) -> anyhow::Result<PathBuf> {
    if let Some(bin) = std::env::var_os("DLRN_BIN") {
        let bin = PathBuf::from(bin);
        ensure!(bin.is_file(), "DLRN_BIN={} is not a file", bin.display());
        // Absolute, so it also serves scripts that run in other folders (Slurm jobs).
        return Ok(std::path::absolute(&bin)?);
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(&cargo);
    cmd.current_dir(root).args(["build", "-p", "dlrn"]);
    if backend != "flex" {
        cmd.args(["--features", backend]);
    }
    // Not quiet: the first build of a fresh clone, or one with another
    // backend, compiles for many minutes and cargo's progress shows it.
    eprintln!(
        "building dlrn (the first build compiles Burn and polars: about 20 minutes on 2 cores)"
    );
    let st = cmd.status().context("running cargo build -p dlrn")?;
    ensure!(st.success(), "cargo build -p dlrn failed");
    let exe = std::env::current_exe().context("locating xtask")?;
    let dir = exe.parent().context("xtask has no folder")?;
    let dlrn = dir.join(format!("dlrn{}", std::env::consts::EXE_SUFFIX));
    ensure!(dlrn.exists(), "{} was not built", dlrn.display());
    Ok(dlrn)
}

/// The re-outline folders the ICC filter uses (`icc.intra` then
/// `icc.inter`): all of them when the training cohort has them all under
/// `icc/`, none when it has none of them (a cohort without re-outlines: the
/// filter is skipped and the report says so); an error naming the missing
/// folder when it has only some.
pub(crate) fn icc_readers(cfg: &Config, cohorts_dir: &Path) -> anyhow::Result<Vec<String>> {
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
pub(crate) struct ExtractionJob {
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
pub(crate) fn extraction_jobs(
    all: &[String],
    training: &str,
    readers: &[String],
) -> Vec<ExtractionJob> {
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
pub(crate) fn deep_extract_args(cfg: &Config, weights: Option<&Path>) -> Vec<String> {
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
pub(crate) fn finetune_val_args(
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

/// Runs `dlrn` with `args`, failing with the command line when it fails.
pub(crate) fn run_dlrn<S: AsRef<std::ffi::OsStr>>(dlrn: &Path, args: &[S]) -> anyhow::Result<()> {
    let st = Command::new(dlrn)
        .args(args)
        .status()
        .with_context(|| format!("starting {}", dlrn.display()))?;
    let line: Vec<_> = args.iter().map(|a| a.as_ref().to_string_lossy()).collect();
    ensure!(st.success(), "dlrn {} failed ({st})", line.join(" "));
    Ok(())
}

/// Runs the study.
pub fn run(args: Args) -> anyhow::Result<()> {
    if args.slurm {
        return crate::slurm::run(&args.config, args.out.as_deref(), args.dry_run);
    }
    let root = workspace_root();
    let config_path = if args.config.is_absolute() {
        args.config.clone()
    } else {
        root.join(&args.config)
    };
    let cfg = Config::read(&config_path)?;
    let config_text = std::fs::read_to_string(&config_path)?;
    let config_name = config_path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let out = match &args.out {
        Some(o) if o.is_absolute() => o.clone(),
        Some(o) => std::env::current_dir()?.join(o),
        None => root.join("reports").join(&config_name),
    };
    let work = out.join("work");
    std::fs::create_dir_all(&work)?;
    // manifest.json marks a finished report and is written last: remove the
    // previous run's first, so a run killed part-way (its new icc.csv beside
    // the old index.html) never looks finished.
    let manifest_path = out.join("manifest.json");
    match std::fs::remove_file(&manifest_path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(e).with_context(|| format!("removing {}", manifest_path.display()));
        }
        _ => {}
    }
    let mut runner = Runner::new(&work)?;
    runner.note(&format!(
        "dlrn study: config {} → {}",
        config_path.display(),
        out.display()
    ));
    let dlrn = build_dlrn(&root, cfg.cnn.backend.as_str())?;
    let version = env!("CARGO_PKG_VERSION");

    // 1. Cohorts: simulate when asked and absent.
    let cohorts_dir = root.join(&cfg.cohorts.dir);
    let training = cfg.cohorts.training.clone();
    let all: Vec<String> = std::iter::once(training.clone())
        .chain(cfg.cohorts.validation.iter().cloned())
        .collect();
    // Held while this run reads the simulated cohorts (a simulation into
    // the folder by another run is refused meanwhile).
    let mut _cohort_lock = None;
    if cfg.cohorts.simulated {
        let k = keys::simulate(&cfg, &root, version)?;
        let params = cfg.simulate.params.as_ref().map(|p| root.join(p));
        let dir = cohorts_dir.display().to_string();
        let (seed, scale) = (
            cfg.simulate.seed.to_string(),
            cfg.simulate.scale.to_string(),
        );
        let mut a = vec![
            "simulate".to_string(),
            "--out".into(),
            dir,
            "--seed".into(),
            seed,
            "--scale".into(),
            scale,
        ];
        if let Some(p) = &params {
            a.extend(["--params".into(), p.display().to_string()]);
        }
        let holder = format!("cargo xtask paper --out {}", out.display());
        _cohort_lock = Some(simulate_shared(
            &mut runner,
            &cohorts_dir,
            &k,
            &holder,
            || run_dlrn(&dlrn, &a.iter().map(String::as_str).collect::<Vec<_>>()),
        )?);
    }
    let mut data_hashes = Vec::new();
    let mut cohort_keys = BTreeMap::new();
    for c in &all {
        let d = cohorts_dir.join(c);
        ensure!(d.is_dir(), "cohort folder {} is missing", d.display());
        let k = keys::cohort(&d)?;
        data_hashes.push((c.clone(), k.clone()));
        cohort_keys.insert(c.clone(), k);
    }

    // 2–4. Features: handcrafted + deep for every cohort and every re-outline.
    let feat_dir = work.join("features");
    std::fs::create_dir_all(&feat_dir)?;
    let mut weights_arg: Option<PathBuf> = match cfg.cnn.weights.as_str() {
        "random" => None,
        w => Some(root.join(w)),
    };
    if cfg.cnn.finetune_epochs > 0 {
        let (val_args, val_key) = finetune_val_args(&cfg, &cohorts_dir, &cohort_keys)?;
        let mpk = work.join("cnn").join("finetuned.mpk");
        let key = keys::finetune(&cfg, &cohort_keys[&training], &val_key)?;
        let tc = cohorts_dir.join(&training);
        let (epochs, batch, seed) = (
            cfg.cnn.finetune_epochs.to_string(),
            cfg.cnn.finetune_batch.to_string(),
            cfg.cnn.seed.to_string(),
        );
        let ckpt = work.join("cnn").join("checkpoint");
        let mut a: Vec<String> = vec![
            "finetune".into(),
            "--cohort".into(),
            tc.display().to_string(),
        ];
        a.extend(val_args);
        a.extend([
            "--out".into(),
            mpk.display().to_string(),
            "--epochs".into(),
            epochs,
            "--batch".into(),
            batch,
            "--seed".into(),
            seed,
            "--checkpoint".into(),
            ckpt.display().to_string(),
            "--backend".into(),
            cfg.cnn.backend.as_str().to_string(),
        ]);
        if let Some(w) = &weights_arg {
            a.push("--init".into());
            a.push(w.display().to_string());
        }
        runner.stage(
            "finetune",
            &key,
            std::slice::from_ref(&mpk),
            &[mpk.clone(), ckpt.clone()],
            || {
                std::fs::create_dir_all(work.join("cnn"))?;
                run_dlrn(&dlrn, &a.iter().map(String::as_str).collect::<Vec<_>>())
            },
        )?;
        weights_arg = Some(mpk);
    }
    let weights_desc = match &weights_arg {
        None => format!("random initialisation, seed {}", cfg.cnn.seed),
        Some(p) => p.strip_prefix(&root).unwrap_or(p).display().to_string(),
    };
    let weights_hash = match &weights_arg {
        Some(p) => Some(sha256_file(p)?),
        None => None,
    };

    let readers = icc_readers(&cfg, &cohorts_dir)?;
    let jobs = extraction_jobs(&all, &training, &readers);
    for job in &jobs {
        let ExtractionJob { cohort, masks, tag } = job;
        let cdir = cohorts_dir.join(cohort).display().to_string();
        let hc = job.handcrafted_output(&feat_dir);
        let key = keys::handcrafted(&cohort_keys[cohort], masks, version);
        let hcs = hc.display().to_string();
        runner.stage(
            &format!("handcrafted/{tag}"),
            &key,
            std::slice::from_ref(&hc),
            &[
                [hc.clone()].as_slice(),
                dlrn_cohort::store::partial_files(&hc).as_slice(),
            ]
            .concat(),
            || {
                run_dlrn(
                    &dlrn,
                    &[
                        "extract",
                        "handcrafted",
                        "--cohort",
                        &cdir,
                        "--masks",
                        masks,
                        "--out",
                        &hcs,
                        cfg.extract.failure_flag(),
                    ],
                )
            },
        )?;
        let deep = job.deep_output(&feat_dir);
        let key = keys::deep(
            &cohort_keys[cohort],
            masks,
            version,
            &weights_desc,
            weights_hash.as_deref(),
        );
        let deeps = deep.display().to_string();
        let extra = deep_extract_args(&cfg, weights_arg.as_deref());
        let mut a: Vec<&str> = vec![
            "extract",
            "deep",
            "--cohort",
            &cdir,
            "--masks",
            masks,
            "--out",
            &deeps,
            cfg.extract.failure_flag(),
        ];
        a.extend(extra.iter().map(String::as_str));
        let partial = [
            [deep.clone()].as_slice(),
            dlrn_cohort::store::partial_files(&deep).as_slice(),
        ]
        .concat();
        runner.stage(
            &format!("deep/{tag}"),
            &key,
            std::slice::from_ref(&deep),
            &partial,
            || run_dlrn(&dlrn, &a),
        )?;
    }

    // The clinical schema: the config's, else schema.toml beside the training
    // cohort's clinical.csv, else the paper's 13 variables.
    let (schema, schema_source) = match &cfg.clinical.schema {
        Some(p) => (read_schema(&root.join(p))?, p.display().to_string()),
        None => {
            let beside = cohorts_dir.join(&training).join("schema.toml");
            if beside.is_file() {
                (read_schema(&beside)?, beside.display().to_string())
            } else {
                (
                    ClinicalSchema::paper(),
                    "the paper's 13 variables".to_string(),
                )
            }
        }
    };
    for c in &cfg.clinical.candidates {
        ensure!(
            schema.variable(c).is_some(),
            "clinical.candidates: {c:?} is not declared in the clinical schema ({schema_source})"
        );
    }
    std::fs::write(out.join("schema.toml"), schema_to_toml(&schema)?)?;

    // Load every cohort's combined table.
    let mut cohorts: Vec<Cohort> = Vec::new();
    for c in &all {
        let features = feature_table(&feat_dir, c, &schema.outcome.column)?;
        cohorts.push(load_cohort(
            c,
            features,
            &cohorts_dir.join(c).join("clinical.csv"),
            &schema,
        )?);
    }
    let level = cfg.evaluation.level;

    let mut clock = Instant::now();
    // 5. ICC filter on the re-outlined subset (skipped without re-outlines).
    if readers.is_empty() {
        runner.note(&format!(
            "[skip]   icc filter: no re-outlines under {training}/icc/; every feature goes to the LASSO"
        ));
    } else {
        runner.note("[run]    icc filter");
    }
    let reads = |role: &[String]| -> anyhow::Result<Vec<(String, FeatureTable)>> {
        role.iter()
            .map(|r| {
                Ok((
                    r.clone(),
                    feature_table(
                        &feat_dir,
                        &format!("{training}_{r}"),
                        &schema.outcome.column,
                    )?,
                ))
            })
            .collect()
    };
    let (intra_reads, inter_reads) = if readers.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        (reads(&cfg.icc.intra)?, reads(&cfg.icc.inter)?)
    };
    let icc = if readers.is_empty() {
        IccFilter::skipped(
            cfg.icc.form.name(),
            cfg.icc.threshold,
            &cohorts[0].features.names,
        )
    } else {
        icc_stage(
            &cohorts[0],
            &intra_reads,
            &inter_reads,
            cfg.icc.form.name(),
            cfg.icc.threshold,
            level,
        )?
    };
    std::fs::write(out.join("icc.csv"), icc.to_csv()?)?;
    let kept = icc.kept();
    if icc.ran() {
        runner.note(&format!(
            "         {} of {} features have intra- and inter-observer {} > {}",
            kept.len(),
            icc.features.len(),
            cfg.icc.form.name(),
            cfg.icc.threshold
        ));
    }
    let failed = icc.failed();
    if !failed.is_empty() {
        runner.note(&format!(
            "         {} features have no ICC (not kept; reasons in icc.csv), e.g. {}: {}",
            failed.len(),
            failed[0].0,
            failed[0].1
        ));
    }

    lap(&mut runner, "icc filter", &mut clock);

    // 6. LASSO on the training cohort's kept features.
    let settings = LassoSettings {
        alpha: cfg.lasso.alpha,
        measure: cfg.lasso.measure,
        folds: cfg.lasso.folds,
        seed: cfg.lasso.seed,
        lambda: match cfg.lasso.lambda {
            Lambda::Min => LambdaChoice::Min,
            Lambda::OneSe => LambdaChoice::OneSe,
        },
    };
    runner.note(&format!(
        "[run]    lasso ({} rows × {} features, {}-fold CV)",
        cohorts[0].labels.len(),
        kept.len(),
        cfg.lasso.folds
    ));
    let inputs = vec![dlrn_lasso::InputHash {
        path: format!("{training} features"),
        sha256: cohort_keys[&training].clone(),
    }];
    let lasso = lasso_stage(&cohorts[0], &kept, &settings, inputs)?;
    if !lasso.dropped_non_finite.is_empty() {
        runner.note(&format!(
            "         {} kept features left out of the LASSO for a non-finite value",
            lasso.dropped_non_finite.len()
        ));
    }
    let signature = &lasso.signature;
    std::fs::write(
        out.join("signature.json"),
        serde_json::to_string_pretty(signature)?,
    )?;
    let fig_dir = out.join("figures");
    std::fs::create_dir_all(&fig_dir)?;
    for ext in ["svg", "png"] {
        dlrn_lasso::plot::cv_coefficient_paths(
            &lasso.cv,
            Some(&lasso.standard_deviations),
            settings.lambda,
            &fig_dir.join(format!("lasso_path.{ext}")),
        )?;
        dlrn_lasso::plot::cv_curve(&lasso.cv, &fig_dir.join(format!("lasso_cv.{ext}")))?;
    }
    runner.note(&format!(
        "         {} features selected at lambda {:.5}",
        signature.features.len(),
        signature.lambda
    ));

    lap(&mut runner, "lasso", &mut clock);

    // 7. Clinical model: univariate screen, then backward elimination.
    let candidates = &cfg.clinical.candidates;
    let designs: Vec<Design> = cohorts
        .iter()
        .map(|c| {
            let s = signature_scores(signature, c)?;
            model_design(&schema, c, candidates, &s)
        })
        .collect::<Result<_, StudyError>>()?;
    let clinical = clinical_stage(
        &schema,
        &designs[0],
        &cohorts[0].labels,
        &ClinicalSettings {
            candidates: candidates.clone(),
            screen_p: cfg.clinical.screen_p,
            keep_p: cfg.clinical.keep_p,
        },
    )?;
    for r in &clinical.screen.rows {
        match (&r.p_value, &r.error) {
            (Some(p), _) => runner.note(&format!(
                "         screen {:<14} p = {p:.4}{}",
                r.variable,
                if r.n_dropped > 0 {
                    format!(" ({} dropped for a missing value)", r.n_dropped)
                } else {
                    String::new()
                }
            )),
            (None, Some(e)) => runner.note(&format!(
                "         screen {:<14} not fitted: {e}",
                r.variable
            )),
            (None, None) => {}
        }
    }
    for d in &clinical.elimination.dropped {
        runner.note(&format!(
            "         drop   {} (p = {:.4})",
            d.variable, d.p_value
        ));
    }
    let clinical_model = &clinical.elimination.model;
    if clinical_model.fit.n_dropped > 0 {
        runner.note(&format!(
            "         clinical model: {} of {} patients dropped for a missing value (complete case)",
            clinical_model.fit.n_dropped,
            cohorts[0].labels.len()
        ));
    }

    lap(&mut runner, "clinical model", &mut clock);

    // 8. DLRN: signature + the kept clinical variables.
    let dlrn_model = dlrn_stage(&designs[0], &cohorts[0].labels, clinical_model)?;

    // Predictions per cohort and the cut-offs on the training cohort.
    let preds: Vec<CohortPredictions> = cohorts
        .iter()
        .zip(&designs)
        .map(|(c, d)| {
            predict(
                c,
                d,
                d.column(SIGNATURE_COLUMN)?,
                clinical_model,
                &dlrn_model,
            )
        })
        .collect::<Result<_, StudyError>>()?;
    // The clinical model's terms refitted in every cohort (the paper's text
    // on the clinical factors in each validation cohort).
    let by_cohort = clinical_by_cohort(
        &schema,
        clinical_model,
        &cohorts
            .iter()
            .zip(&designs)
            .map(|(c, d)| (c.name.as_str(), d, c.labels.as_slice()))
            .collect::<Vec<_>>(),
    );
    for r in by_cohort.rows.iter().filter(|r| !r.note.is_empty()) {
        runner.note(&format!(
            "         clinical model in {}: {}",
            r.cohort, r.note
        ));
    }

    lap(
        &mut runner,
        "dlrn and the clinical model per cohort",
        &mut clock,
    );

    // Supplementary Table 6: the frozen signature and DLRN on every outline
    // of the re-outlined subset, and their ICC across the outlines.
    let reproducibility = match intra_reads.iter().chain(&inter_reads).next() {
        None => report::Reproducibility::not_computed(cfg.icc.form.name(), level, &QUANTITIES),
        Some((_, first)) => {
            let mut outlines = vec![subset_cohort(&cohorts[0], &first.ids, "masks")?];
            for (r, t) in intra_reads.iter().chain(&inter_reads) {
                outlines.push(reoutline_cohort(&cohorts[0], r, t.clone())?);
            }
            dlrn_reproducibility(
                &schema,
                signature,
                candidates,
                &dlrn_model,
                &outlines,
                cfg.icc.form.name(),
                level,
            )?
        }
    };
    for r in &reproducibility.rows {
        runner.note(&format!(
            "         reproducibility, {}: {} {}",
            r.quantity,
            r.form,
            match r.icc {
                Some(v) => format!("{v:.3} (n = {})", r.n),
                None => r.note.clone(),
            }
        ));
    }
    lap(&mut runner, "dlrn reproducibility", &mut clock);
    let cutoffs = youden_cutoffs(&preds[0])?;
    runner.note(&format!(
        "         Youden cut-off on {training}: DLRN probability {:.3}",
        cutoffs.dlrn
    ));

    // 9. Evaluation of every model on every cohort.
    let [from, to, step] = cfg.evaluation.decision_thresholds;
    let n_steps = ((to - from) / step).round() as usize;
    let eval = evaluate(
        &schema,
        &cohorts.iter().zip(&preds).collect::<Vec<_>>(),
        &cutoffs,
        &EvaluationSettings {
            thresholds: (0..=n_steps).map(|i| from + step * i as f64).collect(),
            hl_groups: cfg.evaluation.hl_groups,
            level,
            subgroup: schema.variable("subtype").map(|v| v.name.clone()),
        },
    )?;
    for n in &eval.notes {
        runner.note(&format!("         {n}"));
    }
    let table1 = table1(
        &schema,
        &cohorts
            .iter()
            .map(|c| CohortClinical {
                name: &c.name,
                labels: &c.labels,
                clinical: &c.clinical,
            })
            .collect::<Vec<_>>(),
        candidates,
    )?;
    let table3 = table3(&schema, clinical_model);

    lap(&mut runner, "evaluation", &mut clock);

    // The nomogram of the DLRN.
    let tc_lp = dlrn_model.linear_predictor(&designs[0])?;
    let lp_range = (
        tc_lp.iter().copied().fold(f64::INFINITY, f64::min),
        tc_lp.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    let mut nopts = NomogramOptions::new(lp_range);
    nopts.outcome_label = "Probability of ALN metastasis".into();
    nopts.cutoff = Some(cutoffs.dlrn);
    let nomogram = build_nomogram(
        &schema,
        &dlrn_model,
        &designs[0],
        &[(SIGNATURE_COLUMN.to_string(), "Signature".to_string())],
        nopts,
        lp_range,
    )?;

    // The frozen model bundle (`dlrn predict` / `dlrn assess` read it).
    let (cnn, cnn_weights) = Cnn::resnet50(
        weights_arg.as_deref(),
        cfg.cnn.seed,
        cfg.cnn.backend.as_str(),
        PREPROCESS_RESIZE,
        PREPROCESS_CROP,
    )?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut bundle = Bundle::from_study(StudyParts {
        provenance: &BundleProvenance {
            dlrn_version: version.to_string(),
            config_sha256: sha256_file(&config_path)?,
            training_cohort: training.clone(),
            training_cohort_sha256: cohort_keys[&training].clone(),
            date: utc_date(now),
        },
        cnn: &cnn,
        cnn_weights_path: cnn_weights.as_deref(),
        icc: &icc,
        signature,
        schema: &schema,
        clinical: clinical_model,
        dlrn: &dlrn_model,
        cutoffs: &cutoffs,
        nomogram: &nomogram,
        training: &cohorts[0],
        training_scores: designs[0].column(SIGNATURE_COLUMN)?,
    })?;
    let model_dir = out.join("model");
    bundle.write_keeping_date(&model_dir)?;
    runner.note(&format!(
        "[done]   model bundle: {} (dlrn predict / dlrn assess --model)",
        model_dir.display()
    ));

    lap(&mut runner, "nomogram and model bundle", &mut clock);

    // Reports.
    let simulated = cfg.cohorts.simulated.then(|| {
        format!(
            "These cohorts are simulated (dlrn simulate, seed {}, scale {}, {}): no patient data. \
             The numbers show the method at work, not clinical performance.",
            cfg.simulate.seed,
            cfg.simulate.scale,
            match &cfg.simulate.params {
                Some(p) => format!("parameters from {}", p.display()),
                None => "default parameters".to_string(),
            }
        )
    });
    let provenance = report::Provenance {
        version: version.to_string(),
        seed: cfg.simulate.seed,
        config_name: config_name.clone(),
        config_text: config_text.clone(),
        config_hash: sha256_file(&config_path)?,
        data_hashes,
        weights: weights_desc.clone(),
        weights_hash: weights_hash.clone(),
    };
    let selected = report::SelectedFeatures {
        rows: signature
            .features
            .iter()
            .map(|f| report::SelectedFeatureRow {
                feature: f.feature.clone(),
                family: family_of(&f.feature),
                coefficient: f.coefficient,
            })
            .collect(),
    };
    let study = report::StudyReport {
        title: format!("DLRN study — {config_name}"),
        simulated,
        provenance,
        table1: Some(table1),
        table2: report::Table2::new(eval.table2),
        table3: Some(table3),
        icc: icc.ran().then(|| icc.by_family(family_of)),
        selected_features: Some(selected),
        comparisons: Some(report::Comparisons {
            rows: eval.comparisons,
        }),
        subtype_aucs: Some(report::SubtypeAucs {
            rows: eval.subgroup_aucs,
        }),
        screen: Some(screen_table(&schema, &clinical.screen)),
        cutoffs: Some(cutoffs.table(&training)),
        calibration_stats: Some(eval.calibration_stats),
        predictions: Some(predictions_table(&preds)),
        roc: eval.roc,
        decision_curves: eval.decision_curves,
        calibration: eval.calibration,
        signature_by_class: Some(report::BoxFigure {
            y_label: "Signature score".into(),
            panels: eval.box_panels,
            seed: cfg.simulate.seed,
        }),
        confusion: Some(report::ConfusionFigure {
            panels: eval.confusion,
        }),
        nomogram: Some(report::NomogramPart {
            nomogram,
            figure: FigureOptions::default(),
            calculator: CalculatorOptions {
                title: "DLRN calculator: probability of axillary lymph node metastasis".into(),
                note: Some(format!(
                    "Model fitted on the {} cohort of configuration {config_name}{}. Risk group at the Youden cut-off {:.3}.",
                    training,
                    if cfg.cohorts.simulated {
                        " (simulated data: for demonstration only)"
                    } else {
                        ""
                    },
                    cutoffs.dlrn
                )),
            },
        }),
        external_figures: vec![
            report::ExternalFigure {
                section: "LASSO".into(),
                caption: format!(
                    "Coefficient paths (standardised coefficients) against log(λ); the {} features kept at λ.{} in colour",
                    signature.features.len(),
                    cfg.lasso.lambda.name()
                ),
                svg: "figures/lasso_path.svg".into(),
                png: Some("figures/lasso_path.png".into()),
            },
            report::ExternalFigure {
                section: "LASSO".into(),
                caption: format!(
                    "{}-fold cross-validation curve ({}), λ.min and λ.1se marked",
                    cfg.lasso.folds,
                    cfg.lasso.measure.name()
                ),
                svg: "figures/lasso_cv.svg".into(),
                png: Some("figures/lasso_cv.png".into()),
            },
        ],
        png_scale: 2,
    };
    // Table 1 with tests, the radiologists, observer agreement and the
    // TRIPOD+AI / RQS checklist (dlrn-study's supplement), linked from index.html.
    let cohort_dirs: Vec<PathBuf> = cohorts.iter().map(|c| cohorts_dir.join(&c.name)).collect();
    let supplement = write_supplement(
        &out,
        &SupplementInputs {
            title: format!("Reporting checklist — {config_name}"),
            simulated: study.simulated.clone(),
            schema: &schema,
            cohorts: cohorts
                .iter()
                .zip(&preds)
                .zip(&cohort_dirs)
                .map(|((c, p), dir)| SupplementCohort {
                    name: &c.name,
                    dir,
                    ids: c.ids(),
                    labels: &c.labels,
                    clinical: &c.clinical,
                    dlrn: &p.dlrn,
                })
                .collect(),
            variables: candidates,
            dlrn_cutoff: cutoffs.dlrn,
            level,
            rqs: report::RqsFacts {
                protocol_documented: cfg.cohorts.simulated,
                protocol_public: cfg.cohorts.simulated,
                multiple_segmentations: icc.n_subjects > 0,
                phantom_study: false,
                multiple_time_points: false,
                feature_reduction: true,
                non_radiomic_features: dlrn_model.fit.coefficients.len() > 2,
                biological_correlates: false,
                cut_off: true,
                discrimination: true,
                discrimination_resampling: true,
                calibration: true,
                calibration_resampling: false,
                prospective_registered: false,
                validation: report::Validation::External {
                    institutes: cfg.cohorts.validation.len(),
                },
                gold_standard: false,
                decision_curve: true,
                cost_effectiveness: false,
                open_scans: false,
                open_segmentations: false,
                open_code: true,
                open_features: false,
            },
            outputs: study_outputs(&study, Some("model/")),
            reproducibility: Some(&reproducibility),
            clinical_by_cohort: Some(&by_cohort),
        },
    )?;
    runner.note(&format!(
        "[done]   supplement: {} files, RQS {} / {}",
        supplement.files.len(),
        supplement.rqs_total,
        report::RQS_MAX
    ));
    let mut sections = supplement.sections.clone();
    let mut extra_files = supplement.files.clone();
    if icc.ran() {
        extra_files.push(out.join("icc.csv"));
        sections.insert(
            0,
            report::Section {
                title: "Feature reproducibility (ICC)".into(),
                items: vec![
                    report::Item::Text {
                        text: format!(
                            "The paper's rule: {}. {} of {} features kept.",
                            icc.rule(),
                            kept.len(),
                            icc.features.len()
                        ),
                    },
                    report::Item::Link {
                        text:
                            "Per feature: intra- and inter-observer ICC, kept, and the reason (CSV)"
                                .into(),
                        href: "icc.csv".into(),
                    },
                ],
            },
        );
    } else {
        sections.insert(
            0,
            report::Section {
                title: "Feature reproducibility (ICC)".into(),
                items: vec![report::Item::Text {
                    text: format!(
                        "Not assessed: the training cohort {training} has no re-outlines \
                         (icc/<reader>/ folders), so the ICC filter was skipped and all {} \
                         features went to the LASSO.",
                        icc.features.len()
                    ),
                }],
            },
        );
    }
    // Stage times go to timings.json, apart from manifest.json (which lists
    // its name only, so a rerun leaves the manifest byte-identical).
    sections.push(report::Section {
        title: "Run provenance".into(),
        items: vec![
            report::Item::Text {
                text: "manifest.json lists every output with the config and input hashes; it is \
                       the same bytes on a rerun. Each stage's name, status (run, cached or \
                       resumed) and seconds are in timings.json, which changes with every run."
                    .into(),
            },
            report::Item::Link {
                text: "Stage times (JSON)".into(),
                href: TIMINGS.into(),
            },
        ],
    });
    extra_files.push(out.join(TIMINGS));
    let manifest = study.write_with(&out, &sections, &extra_files)?;
    lap(&mut runner, "report", &mut clock);
    runner.write_timings(&out.join(TIMINGS))?;
    runner.note(&format!(
        "[done]   report: {} ({} files)",
        out.join("index.html").display(),
        manifest.outputs.len()
    ));
    Ok(())
}

/// The handcrafted and deep feature tables of one extraction tag, joined.
fn feature_table(feat_dir: &Path, tag: &str, label: &str) -> anyhow::Result<FeatureTable> {
    let hc = FeatureTable::read(&feat_dir.join(format!("{tag}_handcrafted.parquet")), label)?;
    let deep = FeatureTable::read(&feat_dir.join(format!("{tag}_deep.parquet")), label)?;
    Ok(hc.join(deep, &format!("{tag} features"))?)
}

/// The feature family a column belongs to (`deep` for f_1..f_2048).
fn family_of(feature: &str) -> String {
    if feature.starts_with("f_") {
        return "deep".into();
    }
    dlrn_radiomics::FAMILIES
        .iter()
        .find(|f| f.columns.contains(&feature))
        .map(|f| f.name.to_string())
        .unwrap_or_else(|| "other".into())
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
