//! `cargo xtask paper`: the whole study (study.md stages 1–9) in one command.
//!
//! Image stages run as `dlrn` subcommands (they resume image by image and
//! show progress bars); the modelling stages call the library crates. Each
//! stage is cached under `<out>/work/` keyed by its inputs and its part of
//! the config, so a rerun redoes only what changed.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail, ensure};
use dlrn_cohort::{Clinical, Patient, Table, read_clinical};
use dlrn_lasso::{Design, Folds, LambdaChoice, Measure, PathOptions, SignatureModel};
use dlrn_nomogram::{
    CalculatorOptions, FigureOptions, Level, LogisticModel, Nomogram, NomogramOptions, Predictor,
    PredictorKind,
};
use dlrn_report as report;
use dlrn_stats as stats;

use crate::cache::{Key, Runner, sha256_file};
use crate::config::Config;
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

/// Builds the `dlrn` binary with the same profile as xtask and returns its
/// path; `DLRN_BIN` names an already built binary instead (tests, or a binary
/// built with other features).
fn build_dlrn(root: &Path, backend: &str) -> anyhow::Result<PathBuf> {
    if let Some(bin) = std::env::var_os("DLRN_BIN") {
        let bin = PathBuf::from(bin);
        ensure!(bin.is_file(), "DLRN_BIN={} is not a file", bin.display());
        return Ok(bin);
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(&cargo);
    cmd.current_dir(root)
        .args(["build", "--quiet", "-p", "dlrn"]);
    if backend != "flex" {
        cmd.args(["--features", backend]);
    }
    let st = cmd.status().context("running cargo build -p dlrn")?;
    ensure!(st.success(), "cargo build -p dlrn failed");
    let exe = std::env::current_exe().context("locating xtask")?;
    let dir = exe.parent().context("xtask has no folder")?;
    let dlrn = dir.join(format!("dlrn{}", std::env::consts::EXE_SUFFIX));
    ensure!(dlrn.exists(), "{} was not built", dlrn.display());
    Ok(dlrn)
}

fn run_dlrn(dlrn: &Path, args: &[&str]) -> anyhow::Result<()> {
    let st = Command::new(dlrn)
        .args(args)
        .status()
        .with_context(|| format!("starting {}", dlrn.display()))?;
    ensure!(st.success(), "dlrn {} failed ({st})", args.join(" "));
    Ok(())
}

/// `out` with `.suffix` appended to its file name.
fn sidecar(out: &Path, suffix: &str) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".");
    name.push(suffix);
    out.with_file_name(name)
}

/// Hashes every file of a folder (recursively, sorted) into a key.
fn hash_dir(key: &mut Key, dir: &Path) -> anyhow::Result<()> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).with_context(|| format!("listing {}", d.display()))? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    for f in files {
        key.file(&f)?;
    }
    Ok(())
}

/// One cohort's combined feature table (handcrafted + deep), labels and clinical data.
struct CohortData {
    name: String,
    ids: Vec<String>,
    labels: Vec<u8>,
    names: Vec<String>,
    /// Column-major values, `names.len()` columns of `ids.len()` rows.
    columns: Vec<Vec<f64>>,
    clinical: Vec<Patient>,
}

impl CohortData {
    fn column(&self, name: &str) -> Option<&[f64]> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|j| self.columns[j].as_slice())
    }
}

/// Reads a feature table: ids, optional labels, every feature column.
fn read_features(
    path: &Path,
) -> anyhow::Result<(Vec<String>, Option<Vec<u8>>, Vec<String>, Vec<Vec<f64>>)> {
    let t = Table::read(path)?;
    let ids = t.ids()?;
    let labels = if t.has_column("ALN_status") {
        Some(t.labels("ALN_status")?)
    } else {
        None
    };
    let names = t.feature_names("ALN_status");
    let cols = names
        .iter()
        .map(|n| t.f64_column(n))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((ids, labels, names, cols))
}

fn load_cohort(name: &str, hc: &Path, deep: &Path, clinical: &Path) -> anyhow::Result<CohortData> {
    let (ids, labels, mut names, mut columns) = read_features(hc)?;
    let (ids2, _, names2, cols2) = read_features(deep)?;
    ensure!(
        ids == ids2,
        "{} and {} hold different ids",
        hc.display(),
        deep.display()
    );
    names.extend(names2);
    columns.extend(cols2);
    let labels = labels.with_context(|| format!("{}: no ALN_status column", hc.display()))?;
    let Clinical { patients, .. } = read_clinical(clinical).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        anyhow::anyhow!("{}", lines.join("\n"))
    })?;
    let by_id: HashMap<&str, &Patient> = patients.iter().map(|p| (p.id.as_str(), p)).collect();
    let clinical = ids
        .iter()
        .map(|id| {
            by_id
                .get(id.as_str())
                .map(|p| (*p).clone())
                .with_context(|| format!("{}: no row for id {id:?}", clinical.display()))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(CohortData {
        name: name.to_string(),
        ids,
        labels,
        names,
        columns,
        clinical,
    })
}

/// How a clinical factor enters a logistic model.
#[derive(Debug, Clone)]
enum Coding {
    /// The number itself (age, BMI, size).
    Numeric,
    /// The ordinal/binary code of the vocabulary (BI-RADS 1–4, grade 1–3, neg/pos 0/1).
    Ordinal,
    /// Treatment dummies against the first level (nominal factors).
    Dummies(Vec<&'static str>),
}

fn coding(factor: &str) -> anyhow::Result<Coding> {
    Ok(match factor {
        "age" | "bmi" | "us_size_cm" => Coding::Numeric,
        "birads" | "nuclear_grade" | "er" | "pr" | "her2" | "ki67" | "us_aln" => Coding::Ordinal,
        "location" | "tumour_type" | "subtype" => {
            let levels = dlrn_cohort::clinical::levels(factor).context("vocabulary")?;
            Coding::Dummies(levels[1..].to_vec())
        }
        other => bail!("clinical.candidates: unknown clinical factor {other:?}"),
    })
}

/// The model columns of one factor for a cohort: (column name, values).
fn factor_columns(factor: &str, patients: &[Patient]) -> anyhow::Result<Vec<(String, Vec<f64>)>> {
    Ok(match coding(factor)? {
        Coding::Numeric => vec![(
            factor.to_string(),
            patients
                .iter()
                .map(|p| match factor {
                    "age" => p.age,
                    "bmi" => p.bmi.unwrap_or(f64::NAN),
                    _ => p.us_size_cm,
                })
                .collect(),
        )],
        Coding::Ordinal => vec![(
            factor.to_string(),
            patients
                .iter()
                .map(|p| p.ordinal(factor).unwrap_or(f64::NAN))
                .collect(),
        )],
        Coding::Dummies(levels) => levels
            .iter()
            .map(|l| {
                (
                    format!("{factor}={l}"),
                    patients
                        .iter()
                        .map(|p| f64::from(u8::from(p.category(factor) == Some(*l))))
                        .collect(),
                )
            })
            .collect(),
    })
}

/// A fitted logistic model over named columns.
struct Model {
    fit: stats::LogisticFit,
    columns: Vec<String>,
}

impl Model {
    fn probabilities(
        &self,
        data: &BTreeMap<String, Vec<f64>>,
        n: usize,
    ) -> anyhow::Result<Vec<f64>> {
        let cols: Vec<&Vec<f64>> = self
            .columns
            .iter()
            .map(|c| data.get(c).with_context(|| format!("column {c} missing")))
            .collect::<anyhow::Result<_>>()?;
        Ok((0..n)
            .map(|i| {
                let x: Vec<f64> = cols.iter().map(|c| c[i]).collect();
                logistic(self.fit.linear_predictor(&x))
            })
            .collect())
    }
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn fit(data: &BTreeMap<String, Vec<f64>>, columns: &[String], y: &[u8]) -> anyhow::Result<Model> {
    let cols: Vec<&[f64]> = columns.iter().map(|c| data[c].as_slice()).collect();
    let names: Vec<&str> = columns.iter().map(String::as_str).collect();
    let fit = stats::logistic_fit(&cols, &names, y)
        .with_context(|| format!("logistic fit on {}", names.join(", ")))?;
    Ok(Model {
        fit,
        columns: columns.to_vec(),
    })
}

/// Per-cohort model inputs: every candidate factor's columns plus the signature.
fn model_inputs(
    c: &CohortData,
    factors: &[String],
    signature: &[f64],
) -> anyhow::Result<BTreeMap<String, Vec<f64>>> {
    let mut m = BTreeMap::new();
    for f in factors {
        for (name, v) in factor_columns(f, &c.clinical)? {
            m.insert(name, v);
        }
    }
    m.insert("signature".to_string(), signature.to_vec());
    Ok(m)
}

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

fn estimate(p: &stats::Proportion) -> report::Estimate {
    report::Estimate {
        value: p.value,
        ci_low: p.ci_low,
        ci_high: p.ci_high,
    }
}

fn missing_estimate() -> report::Estimate {
    report::Estimate {
        value: f64::NAN,
        ci_low: f64::NAN,
        ci_high: f64::NAN,
    }
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
    let mut runner = Runner::new(&work)?;
    runner.note(&format!(
        "dlrn study: config {} → {}",
        config_path.display(),
        out.display()
    ));
    let dlrn = build_dlrn(&root, &cfg.cnn.backend)?;
    let version = env!("CARGO_PKG_VERSION");

    // 1. Cohorts: simulate when asked and absent.
    let cohorts_dir = root.join(&cfg.cohorts.dir);
    let training = cfg.cohorts.training.clone();
    let all: Vec<String> = std::iter::once(training.clone())
        .chain(cfg.cohorts.validation.iter().cloned())
        .collect();
    if cfg.cohorts.simulated {
        // The generating parameters are part of the key: new defaults or a
        // new params file make new cohorts.
        let mut key = Key::new("simulate");
        key.text(&serde_json::to_string(&cfg.simulate)?)
            .text(version);
        let params = cfg.simulate.params.as_ref().map(|p| root.join(p));
        match &params {
            Some(p) => key.file(p)?,
            None => key.text(&serde_json::to_string(&dlrn_simulate::SimParams::default())?),
        };
        let k = key.finish();
        let marker = cohorts_dir.join("simulate.json");
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
        runner.stage("simulate", &k, &[marker], &[], || {
            run_dlrn(&dlrn, &a.iter().map(String::as_str).collect::<Vec<_>>())
        })?;
    }
    let mut data_hashes = Vec::new();
    let mut cohort_keys = BTreeMap::new();
    for c in &all {
        let d = cohorts_dir.join(c);
        ensure!(d.is_dir(), "cohort folder {} is missing", d.display());
        let mut key = Key::new("cohort");
        hash_dir(&mut key, &d)?;
        let k = key.finish();
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
        let val = cfg
            .cnn
            .finetune_val
            .clone()
            .context("cnn.finetune_val is needed when fine-tuning")?;
        let mpk = work.join("cnn").join("finetuned.mpk");
        let mut key = Key::new("finetune");
        key.text(&serde_json::to_string(&cfg.cnn)?)
            .text(&cohort_keys[&training])
            .text(&cohort_keys[&val]);
        let (tc, vc) = (cohorts_dir.join(&training), cohorts_dir.join(&val));
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
            "--val".into(),
            vc.display().to_string(),
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
            cfg.cnn.backend.clone(),
        ];
        if let Some(w) = &weights_arg {
            a.push("--init".into());
            a.push(w.display().to_string());
        }
        runner.stage(
            "finetune",
            &key.finish(),
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

    let mut jobs: Vec<(String, String, String)> = all
        .iter()
        .map(|c| (c.clone(), "masks".to_string(), c.clone()))
        .collect();
    for r in &cfg.icc.readers {
        jobs.push((
            training.clone(),
            format!("icc/{r}"),
            format!("{training}_{r}"),
        ));
    }
    for (cohort, masks, tag) in &jobs {
        let cdir = cohorts_dir.join(cohort).display().to_string();
        let hc = feat_dir.join(format!("{tag}_handcrafted.parquet"));
        let mut key = Key::new("handcrafted");
        key.text(&cohort_keys[cohort]).text(masks).text(version);
        let hcs = hc.display().to_string();
        runner.stage(
            &format!("handcrafted/{tag}"),
            &key.finish(),
            std::slice::from_ref(&hc),
            std::slice::from_ref(&hc),
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
                        "--strict",
                    ],
                )
            },
        )?;
        let deep = feat_dir.join(format!("{tag}_deep.parquet"));
        let mut key = Key::new("deep");
        key.text(&cohort_keys[cohort])
            .text(masks)
            .text(version)
            .text(&weights_desc);
        if let Some(h) = &weights_hash {
            key.text(h);
        }
        let deeps = deep.display().to_string();
        let (seed, batch) = (cfg.cnn.seed.to_string(), cfg.cnn.batch.to_string());
        let mut a: Vec<&str> = vec![
            "extract",
            "deep",
            "--cohort",
            &cdir,
            "--masks",
            masks,
            "--out",
            &deeps,
            "--seed",
            &seed,
            "--batch",
            &batch,
            "--backend",
            &cfg.cnn.backend,
        ];
        let wstr = weights_arg.as_ref().map(|w| w.display().to_string());
        if let Some(w) = &wstr {
            a.extend(["--weights", w.as_str()]);
        }
        // `dlrn extract deep` keeps finished rows in <out>.partial (+ .json) to resume from.
        let partial = [
            deep.clone(),
            sidecar(&deep, "partial"),
            sidecar(&deep, "partial.json"),
        ];
        runner.stage(
            &format!("deep/{tag}"),
            &key.finish(),
            std::slice::from_ref(&deep),
            &partial,
            || run_dlrn(&dlrn, &a),
        )?;
    }

    // Load every cohort's combined table.
    let mut cohorts: Vec<CohortData> = Vec::new();
    for c in &all {
        cohorts.push(load_cohort(
            c,
            &feat_dir.join(format!("{c}_handcrafted.parquet")),
            &feat_dir.join(format!("{c}_deep.parquet")),
            &cohorts_dir.join(c).join("clinical.csv"),
        )?);
    }
    let tc = &cohorts[0];
    let level = cfg.evaluation.level;

    // 5. ICC filter on the re-outlined subset.
    runner.note("[run]    icc filter");
    use stats::IccForm::*;
    let form = [Icc1, Icc2, Icc3, Icc1k, Icc2k, Icc3k]
        .into_iter()
        .find(|f| f.name() == cfg.icc.form)
        .with_context(|| {
            format!(
                "icc.form: {:?} is not one of ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k",
                cfg.icc.form
            )
        })?;
    let mut reads: Vec<(Vec<String>, Vec<String>, Vec<Vec<f64>>)> = Vec::new();
    for r in &cfg.icc.readers {
        let (ids, _, mut names, mut cols) =
            read_features(&feat_dir.join(format!("{training}_{r}_handcrafted.parquet")))?;
        let (ids2, _, names2, cols2) =
            read_features(&feat_dir.join(format!("{training}_{r}_deep.parquet")))?;
        ensure!(ids == ids2, "re-outline tables of {r} hold different ids");
        names.extend(names2);
        cols.extend(cols2);
        ensure!(
            names == tc.names,
            "re-outline tables of {r} have other columns than {training}'s"
        );
        reads.push((ids, names, cols));
    }
    let subset: Vec<String> = reads.first().map(|r| r.0.clone()).unwrap_or_default();
    ensure!(
        reads.iter().all(|r| r.0 == subset),
        "the re-outline folders hold different ids"
    );
    let tc_index: HashMap<&str, usize> = tc
        .ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let rows: Vec<usize> = subset
        .iter()
        .map(|id| {
            tc_index
                .get(id.as_str())
                .copied()
                .with_context(|| format!("re-outline id {id:?} not in {training}"))
        })
        .collect::<anyhow::Result<_>>()?;
    let mut icc_values = Vec::with_capacity(tc.names.len());
    for (j, name) in tc.names.iter().enumerate() {
        let first: Vec<f64> = rows.iter().map(|&i| tc.columns[j][i]).collect();
        let mut raters: Vec<&[f64]> = vec![&first];
        for r in &reads {
            raters.push(&r.2[j]);
        }
        let value = stats::icc(&raters, level)
            .map(|t| t.get(form).icc)
            .unwrap_or(f64::NAN);
        icc_values.push((name.clone(), value));
    }
    let threshold = cfg.icc.threshold;
    let kept: Vec<&str> = icc_values
        .iter()
        .filter(|(_, v)| *v > threshold)
        .map(|(n, _)| n.as_str())
        .collect();
    {
        let mut text = String::from("feature,icc,kept\n");
        for (n, v) in &icc_values {
            text.push_str(&format!("{n},{v},{}\n", u8::from(*v > threshold)));
        }
        std::fs::write(out.join("icc.csv"), text)?;
    }
    let mut icc_rows: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (n, v) in &icc_values {
        let e = icc_rows.entry(family_of(n)).or_default();
        e.0 += 1;
        e.1 += u64::from(*v > threshold);
    }
    runner.note(&format!(
        "         {} of {} features have {} > {threshold}",
        kept.len(),
        icc_values.len(),
        cfg.icc.form
    ));

    // 6. LASSO on the training cohort's kept features (NaN columns dropped).
    let mut lasso_names = Vec::new();
    let mut design = Vec::new();
    for name in &kept {
        let col = tc.column(name).context("kept feature")?;
        if col.iter().all(|v| v.is_finite()) {
            lasso_names.push(name.to_string());
            design.extend_from_slice(col);
        }
    }
    let x = Design::column_major(&design, tc.ids.len(), lasso_names.len())?;
    let measure: Measure = serde_json::from_value(serde_json::Value::String(
        cfg.lasso.measure.clone(),
    ))
    .with_context(|| {
        format!(
            "lasso.measure: {:?} is not one of deviance, mse, class, auc",
            cfg.lasso.measure
        )
    })?;
    let choice = if cfg.lasso.lambda == "1se" {
        LambdaChoice::OneSe
    } else {
        LambdaChoice::Min
    };
    let opts = PathOptions {
        alpha: cfg.lasso.alpha,
        ..PathOptions::default()
    };
    runner.note(&format!(
        "[run]    lasso ({} rows × {} features, {}-fold CV)",
        tc.ids.len(),
        lasso_names.len(),
        cfg.lasso.folds
    ));
    let cv = dlrn_lasso::cross_validate(
        &x,
        &tc.labels,
        &Folds::Seeded {
            k: cfg.lasso.folds,
            seed: cfg.lasso.seed,
        },
        measure,
        &opts,
    )?;
    let inputs = vec![dlrn_lasso::InputHash {
        path: format!("{training} features"),
        sha256: cohort_keys[&training].clone(),
    }];
    let signature = SignatureModel::from_cv(&cv, choice, &lasso_names, inputs);
    ensure!(
        !signature.features.is_empty(),
        "LASSO selected no feature at lambda.{}",
        cfg.lasso.lambda
    );
    std::fs::write(
        out.join("signature.json"),
        serde_json::to_string_pretty(&signature)?,
    )?;
    let fig_dir = out.join("figures");
    std::fs::create_dir_all(&fig_dir)?;
    let sds = x.standard_deviations();
    for ext in ["svg", "png"] {
        dlrn_lasso::plot::cv_coefficient_paths(
            &cv,
            Some(&sds),
            choice,
            &fig_dir.join(format!("lasso_path.{ext}")),
        )?;
        dlrn_lasso::plot::cv_curve(&cv, &fig_dir.join(format!("lasso_cv.{ext}")))?;
    }
    runner.note(&format!(
        "         {} features selected at lambda {:.5}",
        signature.features.len(),
        signature.lambda
    ));

    // Signature scores per cohort.
    let scores: Vec<Vec<f64>> = cohorts
        .iter()
        .map(|c| {
            let cols: Vec<&[f64]> = signature
                .features
                .iter()
                .map(|f| {
                    c.column(&f.feature)
                        .with_context(|| format!("{}: feature {} missing", c.name, f.feature))
                })
                .collect::<anyhow::Result<_>>()?;
            Ok((0..c.ids.len())
                .map(|i| signature.score(&cols.iter().map(|col| col[i]).collect::<Vec<_>>()))
                .collect())
        })
        .collect::<anyhow::Result<_>>()?;

    // 7. Clinical model: univariate screening, then backward elimination.
    let factors = &cfg.clinical.candidates;
    let inputs: Vec<BTreeMap<String, Vec<f64>>> = cohorts
        .iter()
        .zip(&scores)
        .map(|(c, s)| model_inputs(c, factors, s))
        .collect::<anyhow::Result<_>>()?;
    let factor_cols: Vec<(String, Vec<String>)> = factors
        .iter()
        .map(|f| {
            Ok((
                f.clone(),
                factor_columns(f, &tc.clinical)?
                    .into_iter()
                    .map(|(n, _)| n)
                    .collect(),
            ))
        })
        .collect::<anyhow::Result<_>>()?;
    let mut screened = Vec::new();
    for (f, cols) in &factor_cols {
        // A factor whose univariate fit does not exist (separation in a small
        // level) cannot pass the screen; say why and go on.
        let m = match fit(&inputs[0], cols, &tc.labels) {
            Ok(m) => m,
            Err(e) => {
                runner.note(&format!("         screen {f:<14} not fitted: {e:#}"));
                continue;
            }
        };
        let p = m.fit.coefficients[1..]
            .iter()
            .map(|c| c.p_value)
            .fold(f64::INFINITY, f64::min);
        runner.note(&format!("         screen {f:<14} p = {p:.4}"));
        if p < cfg.clinical.screen_p {
            screened.push((f.clone(), cols.clone()));
        }
    }
    ensure!(
        !screened.is_empty(),
        "no clinical factor passed the univariate screen (p < {})",
        cfg.clinical.screen_p
    );
    let clinical_model = loop {
        let cols: Vec<String> = screened.iter().flat_map(|(_, c)| c.clone()).collect();
        let m = fit(&inputs[0], &cols, &tc.labels)?;
        let worst = screened
            .iter()
            .enumerate()
            .map(|(i, (_, cs))| {
                let p = cs
                    .iter()
                    .map(|c| m.fit.coefficient(c).map(|k| k.p_value).unwrap_or(1.0))
                    .fold(f64::INFINITY, f64::min);
                (i, p)
            })
            .max_by(|a, b| a.1.total_cmp(&b.1));
        match worst {
            Some((i, p)) if p >= cfg.clinical.keep_p && screened.len() > 1 => {
                runner.note(&format!("         drop   {} (p = {p:.4})", screened[i].0));
                screened.remove(i);
            }
            _ => break m,
        }
    };
    // 8. DLRN: signature + the kept clinical factors.
    let mut dlrn_cols = vec!["signature".to_string()];
    dlrn_cols.extend(clinical_model.columns.iter().cloned());
    let dlrn_model = fit(&inputs[0], &dlrn_cols, &tc.labels)?;

    // Predictions per cohort (probabilities; the signature also as its own logistic link).
    let models = ["Clinical", "Signature", "DLRN"];
    let mut preds: Vec<[Vec<f64>; 3]> = Vec::new();
    for ((c, s), inp) in cohorts.iter().zip(&scores).zip(&inputs) {
        let n = c.ids.len();
        preds.push([
            clinical_model.probabilities(inp, n)?,
            s.iter().map(|&v| logistic(v)).collect(),
            dlrn_model.probabilities(inp, n)?,
        ]);
    }
    for (c, p) in cohorts.iter().zip(&preds) {
        for (m, v) in models.iter().zip(p) {
            if let Some(i) = v.iter().position(|x| !x.is_finite()) {
                bail!(
                    "{} model has no prediction for {} patient {:?} (a predictor value is missing)",
                    m,
                    c.name,
                    c.ids[i]
                );
            }
        }
    }
    let cutoffs: Vec<f64> = (0..3)
        .map(|m| stats::youden(&tc.labels, &preds[0][m]).map(|y| y.threshold))
        .collect::<Result<_, _>>()?;
    runner.note(&format!(
        "         Youden cut-off on {training}: DLRN probability {:.3}",
        cutoffs[2]
    ));

    // 9. Evaluation of every model on every cohort.
    let mut table2 = Vec::new();
    let mut roc_figs = Vec::new();
    let mut dca_figs = Vec::new();
    let mut cal_figs = Vec::new();
    let mut panels = Vec::new();
    let mut confusion = Vec::new();
    let mut comparisons = Vec::new();
    let mut subtype_rows = Vec::new();
    let [from, to, step] = cfg.evaluation.decision_thresholds;
    let n_steps = ((to - from) / step).round() as usize;
    let thresholds: Vec<f64> = (0..=n_steps).map(|i| from + step * i as f64).collect();
    for ((c, p), s) in cohorts.iter().zip(&preds).zip(&scores) {
        let y = &c.labels;
        let mut curves = Vec::new();
        let mut dca_models = Vec::new();
        let mut cal_curves = Vec::new();
        let mut treat_all = Vec::new();
        for (m, name) in models.iter().enumerate() {
            let a = stats::auc_delong(y, &p[m], level)?;
            let d = stats::diagnostic_metrics(y, &p[m], cutoffs[m], level)?;
            let delong_p = if m == 2 {
                None
            } else {
                Some(stats::delong_paired(y, &p[m], &p[2], level)?.p_value)
            };
            let opt = |e: &Option<stats::Proportion>| {
                e.as_ref().map(estimate).unwrap_or_else(missing_estimate)
            };
            table2.push(report::Table2Row {
                cohort: c.name.clone(),
                model: name.to_string(),
                auc: a.auc,
                auc_ci_low: a.ci_low,
                auc_ci_high: a.ci_high,
                accuracy: estimate(&d.accuracy),
                sensitivity: opt(&d.sensitivity),
                specificity: opt(&d.specificity),
                ppv: opt(&d.ppv),
                npv: opt(&d.npv),
                delong_p,
            });
            let r = stats::roc(y, &p[m])?;
            curves.push(report::RocCurve {
                model: name.to_string(),
                points: r
                    .specificities
                    .iter()
                    .zip(&r.sensitivities)
                    .map(|(sp, se)| (1.0 - sp, *se))
                    .collect(),
                auc: a.auc,
                auc_ci_low: a.ci_low,
                auc_ci_high: a.ci_high,
            });
            let dc = stats::decision_curve(y, &p[m], &thresholds)?;
            if m == 0 {
                treat_all = dc.points.iter().map(|q| q.treat_all).collect();
            }
            dca_models.push((
                name.to_string(),
                dc.points.iter().map(|q| q.net_benefit).collect(),
            ));
            // A model whose probabilities reach 0 or 1 in floating point (or
            // separate the outcome) has no logistic recalibration: its curve
            // is left out of this cohort's figure, with a note.
            match stats::calibration(y, &p[m]) {
                Ok(cal) => cal_curves.push(report::CalibrationCurve {
                    model: name.to_string(),
                    bins: cal
                        .bins
                        .iter()
                        .map(|b| {
                            let ci = stats::binom_ci(b.events as u64, b.n as u64, level).ok();
                            report::CalibrationBin {
                                predicted: b.predicted,
                                observed: b.observed,
                                ci_low: ci.as_ref().map(|c| c.ci_low),
                                ci_high: ci.as_ref().map(|c| c.ci_high),
                            }
                        })
                        .collect(),
                    smooth: cal
                        .smooth
                        .x
                        .iter()
                        .copied()
                        .zip(cal.smooth.y.iter().copied())
                        .collect(),
                }),
                Err(e) => runner.note(&format!(
                    "         calibration of {name} on {}: not drawn ({e})",
                    c.name
                )),
            }
            if m == 2 {
                let conf = stats::confusion(y, &p[m], cutoffs[m])?;
                confusion.push(report::ConfusionMatrix {
                    title: c.name.clone(),
                    tp: conf.tp,
                    fn_: conf.fn_,
                    fp: conf.fp,
                    tn: conf.tn,
                });
            }
        }
        roc_figs.push(report::RocFigure {
            title: c.name.clone(),
            curves,
        });
        dca_figs.push(report::DecisionCurveFigure {
            title: c.name.clone(),
            thresholds: thresholds.clone(),
            models: dca_models,
            treat_all,
        });
        cal_figs.push(report::CalibrationFigure {
            title: c.name.clone(),
            curves: cal_curves,
        });
        let neg: Vec<f64> = s
            .iter()
            .zip(y)
            .filter(|(_, l)| **l == 0)
            .map(|(v, _)| *v)
            .collect();
        let pos: Vec<f64> = s
            .iter()
            .zip(y)
            .filter(|(_, l)| **l == 1)
            .map(|(v, _)| *v)
            .collect();
        panels.push(report::BoxPanel {
            title: c.name.clone(),
            p_value: stats::mann_whitney(&pos, &neg).ok().map(|m| m.p_value),
            groups: vec![
                report::ScoreGroup {
                    label: "ALN−".into(),
                    values: neg,
                },
                report::ScoreGroup {
                    label: "ALN+".into(),
                    values: pos,
                },
            ],
        });
        let c_index = stats::auc_delong(y, &p[2], level)?;
        for (reference, r) in [("Clinical", 0usize), ("Signature", 1)] {
            let ip = stats::improve_prob(y, &p[r], &p[2])?;
            comparisons.push(report::ComparisonRow {
                cohort: c.name.clone(),
                model: "DLRN".into(),
                reference: reference.into(),
                idi: ip.idi.value,
                idi_ci_low: Some(ip.idi.ci_low),
                idi_ci_high: Some(ip.idi.ci_high),
                idi_p: Some(ip.idi.p_value),
                nri: ip.nri.value,
                nri_ci_low: Some(ip.nri.ci_low),
                nri_ci_high: Some(ip.nri.ci_high),
                nri_p: Some(ip.nri.p_value),
                c_index: c_index.auc,
                c_index_ci_low: Some(c_index.ci_low),
                c_index_ci_high: Some(c_index.ci_high),
            });
        }
        let mut subtypes: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, pt) in c.clinical.iter().enumerate() {
            subtypes
                .entry(pt.category("subtype").unwrap_or("?"))
                .or_default()
                .push(i);
        }
        for (st, idx) in subtypes {
            let yy: Vec<u8> = idx.iter().map(|&i| y[i]).collect();
            let pp: Vec<f64> = idx.iter().map(|&i| p[2][i]).collect();
            let a = stats::auc_delong(&yy, &pp, level).ok();
            subtype_rows.push(report::SubtypeAucRow {
                cohort: c.name.clone(),
                subtype: st.to_string(),
                model: "DLRN".into(),
                n: yy.len() as u64,
                n_positive: yy.iter().filter(|&&l| l == 1).count() as u64,
                auc: a.as_ref().map(|a| a.auc),
                auc_ci_low: a.as_ref().map(|a| a.ci_low),
                auc_ci_high: a.as_ref().map(|a| a.ci_high),
            });
        }
    }

    // Table 1: characteristics per cohort; p across cohorts (χ² or Welch t of TC vs the EVCs).
    let table1 = table1(&cohorts, factors)?;
    // Table 3: the multivariable clinical model.
    let table3 = report::Table3 {
        rows: clinical_model.fit.coefficients[1..]
            .iter()
            .map(|k| report::Table3Row {
                factor: column_label(&k.name),
                coefficient: k.estimate,
                odds_ratio: k.odds_ratio,
                or_ci_low: k.or_ci_low,
                or_ci_high: k.or_ci_high,
                p_value: k.p_value,
            })
            .collect(),
    };

    // The nomogram of the DLRN.
    let tc_lp: Vec<f64> = preds[0][2].iter().map(|p| (p / (1.0 - p)).ln()).collect();
    let lp_range = (
        tc_lp.iter().copied().fold(f64::INFINITY, f64::min),
        tc_lp.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    let mut predictors: Vec<Predictor> = Vec::new();
    for (k, col) in dlrn_model.fit.coefficients[1..]
        .iter()
        .zip(&dlrn_model.columns)
    {
        if let Some((factor, level)) = col.split_once('=') {
            // A dummy-coded factor gets one axis, as rms draws it: each level
            // at its own effect (the reference level at 0), coefficient 1.
            let code = Level {
                code: k.estimate,
                label: level_label(factor, level),
            };
            match predictors.iter_mut().find(|p| p.name == factor) {
                Some(Predictor {
                    kind: PredictorKind::Levels { levels },
                    ..
                }) => levels.push(code),
                _ => {
                    let reference = dlrn_cohort::clinical::levels(factor).context("vocabulary")?[0];
                    predictors.push(Predictor {
                        name: factor.to_string(),
                        label: factor_label(factor),
                        coefficient: 1.0,
                        kind: PredictorKind::Levels {
                            levels: vec![
                                Level {
                                    code: 0.0,
                                    label: level_label(factor, reference),
                                },
                                code,
                            ],
                        },
                    });
                }
            }
            continue;
        }
        let values = &inputs[0][col];
        let lo = values
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .fold(f64::INFINITY, f64::min);
        let hi = values
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .fold(f64::NEG_INFINITY, f64::max);
        let (label, kind) = nomogram_axis(col, lo, hi);
        predictors.push(Predictor {
            name: col.clone(),
            label,
            coefficient: k.estimate,
            kind,
        });
    }
    let mut nopts = NomogramOptions::new(lp_range);
    nopts.outcome_label = "Probability of ALN metastasis".into();
    nopts.cutoff = Some(cutoffs[2]);
    let nomogram = Nomogram::new(
        LogisticModel {
            intercept: dlrn_model.fit.coefficients[0].estimate,
            predictors,
        },
        nopts,
    )?;

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
        table2: report::Table2::new(table2),
        table3: Some(table3),
        icc: Some(report::IccTable {
            threshold,
            rows: icc_rows
                .into_iter()
                .map(|(family, (total, kept))| report::IccKeptRow {
                    family,
                    total,
                    kept,
                })
                .collect(),
        }),
        selected_features: Some(selected),
        comparisons: Some(report::Comparisons { rows: comparisons }),
        subtype_aucs: Some(report::SubtypeAucs { rows: subtype_rows }),
        roc: roc_figs,
        decision_curves: dca_figs,
        calibration: cal_figs,
        signature_by_class: Some(report::BoxFigure {
            y_label: "Signature score".into(),
            panels,
            seed: cfg.simulate.seed,
        }),
        confusion: Some(report::ConfusionFigure { panels: confusion }),
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
                    cutoffs[2]
                )),
            },
        }),
        external_figures: vec![
            report::ExternalFigure {
                section: "LASSO".into(),
                caption: format!(
                    "Coefficient paths (standardised coefficients) against log(λ); the {} features kept at λ.{} in colour",
                    signature.features.len(),
                    cfg.lasso.lambda
                ),
                svg: "figures/lasso_path.svg".into(),
                png: Some("figures/lasso_path.png".into()),
            },
            report::ExternalFigure {
                section: "LASSO".into(),
                caption: format!(
                    "{}-fold cross-validation curve ({}), λ.min and λ.1se marked",
                    cfg.lasso.folds, cfg.lasso.measure
                ),
                svg: "figures/lasso_cv.svg".into(),
                png: Some("figures/lasso_cv.png".into()),
            },
        ],
        png_scale: 2,
    };
    let manifest = study.write(&out)?;
    runner.note(&format!(
        "[done]   report: {} ({} files)",
        out.join("index.html").display(),
        manifest.outputs.len()
    ));
    Ok(())
}

/// A clinical factor as the tables and the nomogram print it.
fn factor_label(factor: &str) -> String {
    match factor {
        "age" => "Age",
        "bmi" => "BMI",
        "birads" => "BI-RADS",
        "location" => "Location",
        "nuclear_grade" => "Nuclear grade",
        "tumour_type" => "Tumour type",
        "er" => "ER",
        "pr" => "PR",
        "her2" => "HER2",
        "ki67" => "Ki-67",
        "subtype" => "Molecular subtype",
        "us_aln" => "US-ALN",
        "us_size_cm" => "US size",
        "signature" => "Signature",
        other => other,
    }
    .to_string()
}

/// A level of a clinical factor as the tables and the nomogram print it.
fn level_label(factor: &str, level: &str) -> String {
    match (factor, level) {
        ("nuclear_grade", "1") => "I".into(),
        ("nuclear_grade", "2") => "II".into(),
        ("nuclear_grade", "3") => "III".into(),
        (_, "invasive_nst") => "invasive NST".into(),
        (_, "invasive_st") => "invasive ST".into(),
        (_, "luminal_a") => "luminal A".into(),
        (_, "luminal_b") => "luminal B".into(),
        ("subtype", "her2") => "HER2-enriched".into(),
        (_, other) => other.replace('_', " "),
    }
}

/// A model column as Table 3 prints it (`Molecular subtype: luminal B`).
fn column_label(col: &str) -> String {
    match col.split_once('=') {
        Some((f, l)) => format!("{}: {}", factor_label(f), level_label(f, l)),
        None => factor_label(col),
    }
}

/// The nomogram axis of a model column.
fn nomogram_axis(col: &str, lo: f64, hi: f64) -> (String, PredictorKind) {
    let levels = |labels: &[&str], codes: &[f64]| PredictorKind::Levels {
        levels: labels
            .iter()
            .zip(codes)
            .map(|(l, c)| Level {
                code: *c,
                label: l.to_string(),
            })
            .collect(),
    };
    let continuous = |unit: Option<&str>| PredictorKind::Continuous {
        low: lo,
        high: hi,
        at: None,
        unit: unit.map(String::from),
    };
    let kind = match col {
        "signature" => continuous(None),
        "age" => continuous(Some("years")),
        "us_size_cm" => continuous(Some("cm")),
        "bmi" => continuous(Some("kg/m²")),
        "birads" => levels(&["4A", "4B", "4C", "5"], &[1.0, 2.0, 3.0, 4.0]),
        "nuclear_grade" => levels(&["I", "II", "III"], &[1.0, 2.0, 3.0]),
        "us_aln" => levels(&["non-suspicious", "suspicious"], &[0.0, 1.0]),
        "er" | "pr" | "her2" | "ki67" => levels(&["neg", "pos"], &[0.0, 1.0]),
        _ => levels(&["no", "yes"], &[0.0, 1.0]),
    };
    (factor_label(col), kind)
}

/// Table 1: each characteristic per cohort (n (%) or mean ± sd), with a p-value
/// across cohorts (χ² test of the levels × cohorts table; Welch t-test of the
/// training cohort against the pooled validation cohorts for numbers).
fn table1(cohorts: &[CohortData], factors: &[String]) -> anyhow::Result<report::Table1> {
    let mut rows = Vec::new();
    let n_row = report::Table1Row {
        characteristic: "ALN metastasis".into(),
        level: "positive".into(),
        cells: cohorts
            .iter()
            .map(|c| {
                let k = c.labels.iter().filter(|&&l| l == 1).count();
                report::Table1Cell::Count {
                    n: k as u64,
                    percent: 100.0 * k as f64 / c.labels.len() as f64,
                }
            })
            .collect(),
        p_value: None,
        test: String::new(),
    };
    rows.push(n_row);
    for f in factors {
        match coding(f)? {
            Coding::Numeric => {
                let vals: Vec<Vec<f64>> = cohorts
                    .iter()
                    .map(|c| {
                        factor_columns(f, &c.clinical).map(|mut v| {
                            v.remove(0)
                                .1
                                .into_iter()
                                .filter(|x| x.is_finite())
                                .collect()
                        })
                    })
                    .collect::<anyhow::Result<_>>()?;
                let evc: Vec<f64> = vals[1..].iter().flatten().copied().collect();
                let p = stats::t_test(&vals[0], &evc, false).ok().map(|t| t.p_value);
                rows.push(report::Table1Row {
                    characteristic: factor_label(f),
                    level: "mean ± sd".into(),
                    cells: vals
                        .iter()
                        .map(|v| {
                            let n = v.len() as f64;
                            let mean = v.iter().sum::<f64>() / n;
                            let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>()
                                / (n - 1.0))
                                .sqrt();
                            report::Table1Cell::MeanSd { mean, sd }
                        })
                        .collect(),
                    p_value: p,
                    test: "Welch t (TC vs EVCs)".into(),
                });
            }
            _ => {
                let levels = dlrn_cohort::clinical::levels(f).context("vocabulary")?;
                let counts: Vec<Vec<f64>> = levels
                    .iter()
                    .map(|l| {
                        cohorts
                            .iter()
                            .map(|c| {
                                c.clinical
                                    .iter()
                                    .filter(|p| p.category(f) == Some(*l))
                                    .count() as f64
                            })
                            .collect()
                    })
                    .collect();
                let nonzero: Vec<Vec<f64>> = counts
                    .iter()
                    .filter(|r| r.iter().sum::<f64>() > 0.0)
                    .cloned()
                    .collect();
                let p = stats::chi_square(&nonzero, false).ok().map(|c| c.p_value);
                for (i, l) in levels.iter().enumerate() {
                    rows.push(report::Table1Row {
                        characteristic: factor_label(f),
                        level: level_label(f, l),
                        cells: cohorts
                            .iter()
                            .enumerate()
                            .map(|(j, c)| report::Table1Cell::Count {
                                n: counts[i][j] as u64,
                                percent: 100.0 * counts[i][j] / c.clinical.len() as f64,
                            })
                            .collect(),
                        p_value: if i == 0 { p } else { None },
                        test: if i == 0 { "χ²".into() } else { String::new() },
                    });
                }
            }
        }
    }
    Ok(report::Table1 {
        cohorts: cohorts.iter().map(|c| c.name.clone()).collect(),
        rows,
    })
}
