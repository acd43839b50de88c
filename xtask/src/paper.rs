//! `cargo xtask paper`: the whole study (study.md stages 1–9) in one command.
//!
//! Image stages run as `dlrn` subcommands (they resume image by image and
//! show progress bars); the modelling stages call dlrn-study, one function per stage. Each
//! stage is cached under `<out>/work/` keyed by its inputs and its part of
//! the config, so a rerun redoes only what changed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, ensure};
use dlrn_report as report;
use dlrn_study::assemble::{
    StudyContext, icc_section, run_provenance_section, separated_report,
    separated_supplement_inputs, simulated_notice, study_report, supplement_inputs,
};
use dlrn_study::bundle::{Provenance as BundleProvenance, utc_date};
use dlrn_study::fit::{Fit, FitInputs, Progress, fit_study};
use dlrn_study::icc::IccFilter;
use dlrn_study::pipeline::{Cohort, FeatureTable, icc_stage, load_cohort};
use dlrn_study::schema::schema_to_toml;
use dlrn_study::separation::not_fitted_section;
use dlrn_study::supplement::write_supplement;
use dlrn_study::{ClinicalSchema, read_schema};

use crate::cache::{Runner, StageStatus, sha256_file, simulate_shared};
use crate::plan::Plan;

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

/// The modelling's progress: notes to the run log, each finished stage timed.
struct Laps<'a> {
    runner: &'a mut Runner,
    clock: Instant,
}

impl Progress for Laps<'_> {
    fn note(&mut self, line: &str) {
        self.runner.note(line);
    }
    fn done(&mut self, name: &str) {
        lap(self.runner, name, &mut self.clock);
    }
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

/// Runs `dlrn` with `args`, failing with the command line when it fails.
pub(crate) fn run_dlrn<S: AsRef<std::ffi::OsStr>>(dlrn: &Path, args: &[S]) -> anyhow::Result<()> {
    let st = crate::usage::status(Command::new(dlrn).args(args))
        .with_context(|| format!("starting {}", dlrn.display()))?;
    let line: Vec<_> = args.iter().map(|a| a.as_ref().to_string_lossy()).collect();
    ensure!(st.success(), "dlrn {} failed ({st})", line.join(" "));
    Ok(())
}

/// Runs the study on this machine (`--slurm` is dispatched by main to
/// `slurm::run`, which reuses this module's process helpers).
pub fn run(args: Args) -> anyhow::Result<()> {
    let plan = Plan::resolve(&args.config, args.out.as_deref())?;
    let Plan {
        root,
        config_path,
        cfg,
        config_name,
        out,
        work,
        cohorts_dir,
        training,
        version,
        ..
    } = &plan;
    let config_text = std::fs::read_to_string(config_path)?;
    std::fs::create_dir_all(work)?;
    cfg.missing
        .check_names(|n| {
            dlrn_radiomics::COLUMNS.contains(&n)
                || dlrn_study::bundle::is_deep_feature(n)
                || cfg.clinical.candidates.iter().any(|c| c == n)
                || cfg
                    .features
                    .tables
                    .iter()
                    .any(|t| n.starts_with(&t.prefix()))
        })
        .with_context(|| format!("{}", config_path.display()))?;
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
    let mut runner = Runner::new(work)?;
    runner.note(&format!(
        "dlrn study: config {} → {}",
        config_path.display(),
        out.display()
    ));
    let dlrn = build_dlrn(root, cfg.cnn.backend.as_str())?;

    // 1. Cohorts: simulate when asked and absent.
    // Held while this run reads the simulated cohorts (a simulation into
    // the folder by another run is refused meanwhile).
    let mut _cohort_lock = None;
    if let Some(sim) = plan.simulate()? {
        let holder = format!("cargo xtask paper --out {}", out.display());
        _cohort_lock = Some(simulate_shared(
            &mut runner,
            cohorts_dir,
            &sim.key,
            &holder,
            || run_dlrn(&dlrn, &sim.args),
        )?);
    }
    let cohort_keys = plan.cohort_keys()?;
    let data_hashes: Vec<(String, String)> = plan
        .all
        .iter()
        .map(|c| (c.clone(), cohort_keys[c].clone()))
        .collect();

    // 2–4. Features: handcrafted + deep for every cohort and every re-outline.
    let feat_dir = plan.features_dir();
    std::fs::create_dir_all(&feat_dir)?;
    let mut weights_arg = plan.initial_weights();
    if let Some(ft) = plan.finetune(&cohort_keys, weights_arg.as_deref())? {
        runner.stage(
            "finetune",
            &ft.key,
            std::slice::from_ref(&ft.mpk),
            &[ft.mpk.clone(), ft.checkpoint.clone()],
            || {
                std::fs::create_dir_all(work.join("cnn"))?;
                run_dlrn(&dlrn, &ft.args)
            },
        )?;
        weights_arg = Some(ft.mpk);
    }
    let weights = plan.weights(weights_arg.clone())?;
    let (weights_desc, weights_hash) = (&weights.desc, &weights.hash);

    let readers = plan.icc_readers()?;
    for stage in plan.extractions(&cohort_keys, &readers, &weights) {
        let partial = [
            [stage.output.clone()].as_slice(),
            dlrn_cohort::store::partial_files(&stage.output).as_slice(),
        ]
        .concat();
        runner.stage(
            &stage.name,
            &stage.key,
            std::slice::from_ref(&stage.output),
            &partial,
            || run_dlrn(&dlrn, &stage.args()),
        )?;
    }

    // The clinical schema: the config's, else schema.toml beside the training
    // cohort's clinical.csv, else the paper's 13 variables.
    let (schema, schema_source) = match &cfg.clinical.schema {
        Some(p) => (read_schema(&root.join(p))?, p.display().to_string()),
        None => {
            let beside = cohorts_dir.join(training).join("schema.toml");
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
    cfg.harmonize
        .check(training, &schema)
        .with_context(|| format!("{} (schema: {schema_source})", config_path.display()))?;
    std::fs::write(out.join("schema.toml"), schema_to_toml(&schema)?)?;

    // Load every cohort's combined table.
    let mut cohorts: Vec<Cohort> = Vec::new();
    for c in &plan.all {
        let features = study_features(&plan, c, None, &schema.outcome.column)?;
        cohorts.push(load_cohort(
            c,
            features,
            &cohorts_dir.join(c).join("clinical.csv"),
            &schema,
        )?);
    }
    let level = cfg.evaluation.level;
    // The missing-value policy, checked against the study before any stage
    // (dlrn-study applies it after the ICC filter).
    cfg.missing.check(&cohorts[0].features.names, &schema)?;

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
                    study_features(&plan, training, Some(r), &schema.outcome.column)?,
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

    // 6–9. The models, their evaluation, the nomogram and the bundle (dlrn-study).
    let ctx = StudyContext {
        config_name,
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
            config_text: config_text.clone(),
            config_hash: sha256_file(config_path)?,
            data_hashes,
            weights: weights_desc.clone(),
            weights_hash: weights_hash.clone(),
        },
        box_seed: cfg.simulate.seed,
        lambda: cfg.lasso.lambda.name(),
        folds: cfg.lasso.folds,
        measure: cfg.lasso.measure.name(),
        n_validation: cfg.cohorts.validation.len(),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let settings = cfg.fit_settings(
        &schema,
        BundleProvenance {
            dlrn_version: version.to_string(),
            config_sha256: sha256_file(config_path)?,
            training_cohort: training.clone(),
            training_cohort_sha256: cohort_keys[training].clone(),
            date: utc_date(now),
        },
        weights_arg.clone(),
        PREPROCESS_RESIZE,
        PREPROCESS_CROP,
    );
    let mut progress = Laps {
        runner: &mut runner,
        clock,
    };
    let fit = fit_study(
        &FitInputs {
            schema: &schema,
            cohorts: &cohorts,
            training_sha256: &cohort_keys[training],
            icc: &icc,
            intra_reads: &intra_reads,
            inter_reads: &inter_reads,
        },
        &settings,
        &mut progress,
    )?;
    let mut clock = progress.clock;
    let lasso = match &fit {
        Fit::Fitted(f) => &f.lasso,
        Fit::Separated(s) => &s.lasso,
    };
    std::fs::write(
        out.join("signature.json"),
        serde_json::to_string_pretty(&lasso.signature)?,
    )?;
    let fig_dir = out.join("figures");
    std::fs::create_dir_all(&fig_dir)?;
    for ext in ["svg", "png"] {
        dlrn_lasso::plot::cv_coefficient_paths(
            &lasso.cv,
            Some(&lasso.standard_deviations),
            settings.lasso.lambda,
            &fig_dir.join(format!("lasso_path.{ext}")),
        )?;
        dlrn_lasso::plot::cv_curve(&lasso.cv, &fig_dir.join(format!("lasso_cv.{ext}")))?;
    }
    let fit = match fit {
        Fit::Fitted(f) => *f,
        Fit::Separated(sep) => {
            // The study goes on without the separated models: every table and
            // figure that needs only the signature and the clinical data.
            let study = separated_report(&sep, &schema, &icc, &ctx);
            // The supplement as the full study writes it (Table 1 with the
            // tests, the TRIPOD+AI / RQS checklist), less the DLRN's pages.
            let cohort_dirs: Vec<PathBuf> =
                cohorts.iter().map(|c| cohorts_dir.join(&c.name)).collect();
            let supplement = write_supplement(
                out,
                &separated_supplement_inputs(
                    &sep,
                    &study,
                    &schema,
                    &cohorts,
                    &cohort_dirs,
                    &icc,
                    &cfg.clinical.candidates,
                    level,
                    &ctx,
                ),
            )?;
            let mut sections = vec![
                icc_section(&icc, training),
                not_fitted_section(sep.clinical.is_some(), &sep.reason),
            ];
            sections.extend(supplement.sections.iter().cloned());
            let (missing_section, missing_files) = sep.missing.write(out)?;
            sections.push(missing_section);
            let mut files = supplement.files.clone();
            files.extend(missing_files);
            if let Some(h) = &sep.harmonization {
                let (section, more) = h.write(out, study.png_scale)?;
                sections.push(section);
                files.extend(more);
            }
            sections.push(run_provenance_section(TIMINGS));
            let _ = std::fs::remove_dir_all(out.join("model"));
            if icc.ran() {
                files.push(out.join("icc.csv"));
            }
            files.push(out.join(TIMINGS));
            let manifest = study.write_with(out, &sections, &files)?;
            lap(&mut runner, "report", &mut clock);
            runner.write_timings(&out.join(TIMINGS))?;
            runner.note(&format!(
                "[done]   report without the {}: {} ({} files)",
                if sep.clinical.is_some() {
                    "DLRN"
                } else {
                    "clinical model and the DLRN"
                },
                out.join("index.html").display(),
                manifest.outputs.len()
            ));
            return Ok(());
        }
    };
    let mut bundle = fit.bundle.clone();
    let model_dir = out.join("model");
    bundle.write_keeping_date(&model_dir)?;
    runner.note(&format!(
        "[done]   model bundle: {} (dlrn predict / dlrn assess --model)",
        model_dir.display()
    ));

    lap(&mut runner, "nomogram and model bundle", &mut clock);

    // Reports: the study's report and its supplement (Table 1 with tests,
    // the radiologists, observer agreement and the TRIPOD+AI / RQS
    // checklist), linked from index.html.
    let study = study_report(&fit, &schema, &icc, training, &ctx);
    let cohort_dirs: Vec<PathBuf> = cohorts.iter().map(|c| cohorts_dir.join(&c.name)).collect();
    let supplement = write_supplement(
        out,
        &supplement_inputs(
            &fit,
            &study,
            &schema,
            &cohorts,
            &cohort_dirs,
            &icc,
            &cfg.clinical.candidates,
            level,
            &ctx,
        ),
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
    }
    let (missing_section, missing_files) = fit.missing.write(out)?;
    sections.push(missing_section);
    extra_files.extend(missing_files);
    if let Some(h) = &fit.harmonization {
        let (section, files) = h.write(out, study.png_scale)?;
        sections.push(section);
        extra_files.extend(files);
    }
    sections.insert(0, icc_section(&icc, training));
    // Stage times go to timings.json, apart from manifest.json (which lists
    // its name only, so a rerun leaves the manifest byte-identical).
    sections.push(run_provenance_section(TIMINGS));
    extra_files.push(out.join(TIMINGS));
    let manifest = study.write_with(out, &sections, &extra_files)?;
    lap(&mut runner, "report", &mut clock);
    runner.write_timings(&out.join(TIMINGS))?;
    runner.note(&format!(
        "[done]   report: {} ({} files)",
        out.join("index.html").display(),
        manifest.outputs.len()
    ));
    Ok(())
}

/// A cohort's features (`reader`: the training cohort on that re-outline):
/// dlrn's own extractions (unless `[features] own = false`) joined with
/// each external table of `[features]`, its columns prefixed; the external
/// tables checked against the cohort's clinical.csv (or, for a
/// re-outline, the own table's ids, else the first external table's).
fn study_features(
    plan: &Plan,
    cohort: &str,
    reader: Option<&str>,
    label: &str,
) -> anyhow::Result<FeatureTable> {
    use dlrn_study::external::{clinical_ids, join_by_id, read_external};
    let cfg = &plan.cfg;
    let tag = match reader {
        Some(r) => format!("{cohort}_{r}"),
        None => cohort.to_string(),
    };
    let clinical = plan.cohorts_dir.join(cohort).join("clinical.csv");
    let mut table = if cfg.features.own {
        Some(feature_table(&plan.features_dir(), &tag, label)?)
    } else {
        None
    };
    for t in &cfg.features.tables {
        let file = match reader {
            Some(r) => t.reoutlines.get(r),
            None => t.cohorts.get(cohort),
        }
        .with_context(|| {
            format!(
                "[features] table {:?} has no file for {tag} (config checked: a bug)",
                t.name
            )
        })?;
        let path = plan.root.join(file);
        let ids = match (&table, reader) {
            (Some(base), _) => base.ids.clone(),
            (None, None) => {
                // Rows sorted by id, as dlrn's own extractions write them.
                let mut ids = clinical_ids(&clinical)?;
                ids.sort();
                ids
            }
            (None, Some(_)) => {
                // The re-outlined subset: the table's own ids, each a training patient.
                let all = clinical_ids(&clinical)?;
                let mut own = dlrn_cohort::Table::read(&path)?.ids()?;
                own.sort();
                if let Some(id) = own.iter().find(|id| !all.contains(id)) {
                    anyhow::bail!(
                        "{}: id {id:?} is not a patient of {}",
                        path.display(),
                        clinical.display()
                    );
                }
                own
            }
        };
        let ext = read_external(&path, &t.prefix(), label, &ids)?;
        table = Some(match table {
            Some(base) => join_by_id(base, ext, &format!("{tag} features"))?,
            None => ext,
        });
    }
    let mut table = table.context("no feature source (config checked: a bug)")?;
    if table.labels.is_none() && reader.is_none() {
        // External tables alone: the outcome comes from clinical.csv.
        let labels = dlrn_cohort::read_labels(&plan.cohorts_dir.join(cohort))?
            .with_context(|| format!("{}: no outcome column", clinical.display()))?;
        table.labels = Some(
            table
                .ids
                .iter()
                .map(|id| {
                    labels.get(id).copied().flatten().with_context(|| {
                        format!("{}: patient {id:?} has no outcome", clinical.display())
                    })
                })
                .collect::<anyhow::Result<_>>()?,
        );
    }
    Ok(table)
}

/// The handcrafted and deep feature tables of one extraction tag, joined.
fn feature_table(feat_dir: &Path, tag: &str, label: &str) -> anyhow::Result<FeatureTable> {
    let hc = FeatureTable::read(&feat_dir.join(format!("{tag}_handcrafted.parquet")), label)?;
    let deep = FeatureTable::read(&feat_dir.join(format!("{tag}_deep.parquet")), label)?;
    Ok(hc.join(deep, &format!("{tag} features"))?)
}
