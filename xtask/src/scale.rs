//! `cargo xtask bench scale`: the whole study at several sizes, each stage's
//! wall time, CPU time and peak memory (timings.json of each run), the growth
//! exponent of each stage against the study's size, and a log–log figure.
//!
//! Each size is a fresh `cargo xtask paper` run with the base config's
//! `[simulate] scale` replaced and its own cohort folder, so nothing is
//! cached between sizes. The exponent is the least-squares slope of
//! ln(seconds) on ln(size): patients for every stage but the LASSO, whose
//! size is training rows × candidate features (the coordinate-descent sweep
//! costs n·p per pass).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, ensure};

use crate::cache::{StageStatus, Timings};
use crate::workspace_root;

/// Options of `cargo xtask bench scale`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// (scale) Study sizes as `dlrn simulate --scale` multipliers (1 = the paper's
    /// 883 patients), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "0.25,0.5,1,2,4")]
    pub scales: Vec<f64>,
    /// (scale) The study config whose `[simulate] scale` each run replaces.
    #[arg(long, default_value = "configs/paper.toml")]
    pub config: PathBuf,
    /// (scale) Output folder: one sub-folder per size, and the tables and figure.
    #[arg(long, default_value = "target/bench/scale")]
    pub out: PathBuf,
}

/// The largest growth exponent the goal allows for every stage.
const GOAL_EXPONENT: f64 = 1.1;
/// The whole study's peak memory goal at scale 4, in MiB.
const GOAL_PEAK_MIB: f64 = 2048.0;

/// The bench group of a study stage (every cohort's extraction together).
fn group(stage: &str) -> &str {
    match stage {
        "simulate" | "finetune" | "lasso" => stage,
        "icc filter" => "icc filter",
        s if s.starts_with("handcrafted/") => "handcrafted",
        s if s.starts_with("deep/") => "deep",
        _ => "modelling and reports",
    }
}

/// The order of the groups in the tables and the figure.
const GROUPS: [&str; 8] = [
    "simulate",
    "finetune",
    "handcrafted",
    "deep",
    "icc filter",
    "lasso",
    "modelling and reports",
    "whole study",
];

/// Least-squares slope of ln(y) on ln(x) over the points with both positive
/// (NaN with fewer than two such points or no spread in x).
pub fn log_log_slope(points: &[(f64, f64)]) -> f64 {
    let p: Vec<(f64, f64)> = points
        .iter()
        .filter(|(x, y)| *x > 0.0 && *y > 0.0 && x.is_finite() && y.is_finite())
        .map(|(x, y)| (x.ln(), y.ln()))
        .collect();
    if p.len() < 2 {
        return f64::NAN;
    }
    let n = p.len() as f64;
    let mx = p.iter().map(|q| q.0).sum::<f64>() / n;
    let my = p.iter().map(|q| q.1).sum::<f64>() / n;
    let sxx: f64 = p.iter().map(|q| (q.0 - mx).powi(2)).sum();
    let sxy: f64 = p.iter().map(|q| (q.0 - mx) * (q.1 - my)).sum();
    if sxx == 0.0 { f64::NAN } else { sxy / sxx }
}

/// The instruction set the kernels run with on this machine.
pub fn instruction_set() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return "x86-64 with AVX-512";
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            return "x86-64 with AVX2 (no AVX-512)";
        }
        "x86-64 without AVX2"
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        std::env::consts::ARCH
    }
}

/// Data rows of a CSV file (lines after the header that are not empty).
fn data_rows(path: &Path) -> anyhow::Result<usize> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .count())
}

/// Features the ICC filter kept (icc.csv's `kept` column): the LASSO's columns.
fn kept_features(icc_csv: &Path) -> anyhow::Result<usize> {
    let mut r = csv::Reader::from_path(icc_csv)
        .with_context(|| format!("reading {}", icc_csv.display()))?;
    let col = r
        .headers()?
        .iter()
        .position(|h| h == "kept")
        .with_context(|| format!("{}: no `kept` column", icc_csv.display()))?;
    let mut kept = 0;
    for rec in r.records() {
        if rec?.get(col) == Some("1") {
            kept += 1;
        }
    }
    Ok(kept)
}

/// One size's run: its config, patients, LASSO size and timings.
struct Run {
    scale: f64,
    patients: usize,
    lasso_size: f64,
    timings: Timings,
}

/// Writes the config of one size: the base with `scale` and its own cohort folder.
fn size_config(base: &str, scale: f64, cohorts: &Path) -> anyhow::Result<String> {
    let mut v: toml::Value = toml::from_str(base)?;
    let table = v.as_table_mut().context("the config is not a TOML table")?;
    let sim = table
        .get_mut("simulate")
        .and_then(|s| s.as_table_mut())
        .context("the config has no [simulate] section: the bench needs simulated cohorts")?;
    sim.insert("scale".into(), toml::Value::Float(scale));
    let cohorts_table = table
        .get_mut("cohorts")
        .and_then(|s| s.as_table_mut())
        .context("the config has no [cohorts] section")?;
    ensure!(
        cohorts_table.get("simulated").and_then(|s| s.as_bool()) == Some(true),
        "the bench simulates its cohorts: the config needs `[cohorts] simulated = true`"
    );
    cohorts_table.insert(
        "dir".into(),
        toml::Value::String(cohorts.display().to_string()),
    );
    Ok(toml::to_string(&v)?)
}

/// Runs the study at one size from nothing and reads what it measured.
fn run_size(exe: &Path, dlrn: &Path, base: &str, scale: f64, dir: &Path) -> anyhow::Result<Run> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir)?;
    let cohorts = dir.join("cohorts");
    let config = dir.join("config.toml");
    let cfg_text = size_config(base, scale, &cohorts)?;
    std::fs::write(&config, &cfg_text)?;
    let out = dir.join("study");
    eprintln!("bench scale: scale {scale} → {}", out.display());
    let st = Command::new(exe)
        .arg("paper")
        .arg("--config")
        .arg(&config)
        .arg("--out")
        .arg(&out)
        .env("DLRN_BIN", dlrn)
        .status()
        .context("starting cargo xtask paper")?;
    ensure!(st.success(), "the study at scale {scale} failed ({st})");
    let timings_path = out.join(crate::paper::TIMINGS);
    let timings: Timings = serde_json::from_str(
        &std::fs::read_to_string(&timings_path)
            .with_context(|| format!("reading {}", timings_path.display()))?,
    )?;
    let v: toml::Value = toml::from_str(&cfg_text)?;
    let name = |k: &str| v["cohorts"][k].clone();
    let training = name("training")
        .as_str()
        .context("cohorts.training")?
        .to_string();
    let mut all = vec![training.clone()];
    if let Some(list) = name("validation").as_array() {
        all.extend(list.iter().filter_map(|c| c.as_str().map(String::from)));
    }
    let mut patients = 0;
    for c in &all {
        patients += data_rows(&cohorts.join(c).join("clinical.csv"))?;
    }
    let n_train = data_rows(&cohorts.join(&training).join("clinical.csv"))?;
    let p = kept_features(&out.join("icc.csv"))?;
    Ok(Run {
        scale,
        patients,
        lasso_size: (n_train * p) as f64,
        timings,
    })
}

/// The rows of one run, one per group that ran.
fn rows_of(run: &Run) -> Vec<dlrn_report::ScalingRow> {
    let mut rows = Vec::new();
    for g in GROUPS {
        let stages: Vec<_> = if g == "whole study" {
            run.timings.stages.iter().collect()
        } else {
            run.timings
                .stages
                .iter()
                .filter(|t| group(&t.name) == g)
                .collect()
        };
        if stages.is_empty() || stages.iter().any(|t| t.status == StageStatus::Cached) {
            continue;
        }
        let sum = |f: &dyn Fn(&crate::cache::StageTiming) -> Option<f64>| {
            stages
                .iter()
                .map(|t| f(t))
                .try_fold(0.0, |a, v| v.map(|v| a + v))
                .unwrap_or(f64::NAN)
        };
        let seconds = if g == "whole study" {
            run.timings.total_seconds
        } else {
            sum(&|t| Some(t.seconds))
        };
        let peak = stages
            .iter()
            .filter_map(|t| t.peak_rss_mib)
            .reduce(f64::max)
            .unwrap_or(f64::NAN);
        rows.push(dlrn_report::ScalingRow {
            stage: g.to_string(),
            scale: run.scale,
            patients: run.patients,
            size: if g == "lasso" {
                run.lasso_size
            } else {
                run.patients as f64
            },
            seconds,
            cpu_seconds: sum(&|t| t.cpu_seconds),
            peak_rss_mib: peak,
        });
    }
    rows
}

/// Runs the benchmark and writes scale.csv/.md, exponents.csv/.md and
/// scale.svg/.png under `args.out`.
pub fn run(args: &Args) -> anyhow::Result<()> {
    ensure!(!args.scales.is_empty(), "--scales: give at least one size");
    for &s in &args.scales {
        ensure!(
            s > 0.0 && s.is_finite(),
            "--scales: {s} is not a positive number"
        );
    }
    let root = workspace_root();
    let config = root.join(&args.config);
    let base = std::fs::read_to_string(&config)
        .with_context(|| format!("reading {}", config.display()))?;
    let out = std::path::absolute(root.join(&args.out))?;
    std::fs::create_dir_all(&out)?;
    let dlrn = crate::paper::build_dlrn(&root, "flex")?;
    let exe = std::env::current_exe().context("locating xtask")?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    eprintln!(
        "bench scale: {} on {threads} threads, sizes {:?}",
        instruction_set(),
        args.scales
    );
    let mut rows = Vec::new();
    for &scale in &args.scales {
        let run = run_size(
            &exe,
            &dlrn,
            &base,
            scale,
            &out.join(format!("scale-{scale}")),
        )?;
        rows.extend(rows_of(&run));
    }
    rows.sort_by(|a, b| {
        let rank = |s: &str| GROUPS.iter().position(|g| *g == s);
        rank(&a.stage)
            .cmp(&rank(&b.stage))
            .then(a.scale.total_cmp(&b.scale))
    });
    let mut exponents = Vec::new();
    let mut series = Vec::new();
    for g in GROUPS {
        let of: Vec<&dlrn_report::ScalingRow> = rows.iter().filter(|r| r.stage == g).collect();
        if of.is_empty() {
            continue;
        }
        let wall: Vec<(f64, f64)> = of.iter().map(|r| (r.size, r.seconds)).collect();
        let cpu: Vec<(f64, f64)> = of.iter().map(|r| (r.size, r.cpu_seconds)).collect();
        exponents.push(dlrn_report::ScalingExponent {
            stage: g.to_string(),
            against: if g == "lasso" {
                "rows x features".into()
            } else {
                "patients".into()
            },
            exponent: log_log_slope(&wall),
            cpu_exponent: log_log_slope(&cpu),
            goal: GOAL_EXPONENT,
        });
        series.push((
            g.to_string(),
            of.iter().map(|r| (r.patients as f64, r.seconds)).collect(),
        ));
    }
    let table = dlrn_report::ScalingTable { rows };
    let exps = dlrn_report::ScalingExponents { rows: exponents };
    dlrn_report::write_table(&table, &out, "scale")?;
    dlrn_report::write_table(&exps, &out, "exponents")?;
    let figure = dlrn_report::ScalingFigure {
        title: format!(
            "Study stages against size ({}, {threads} threads)",
            instruction_set()
        ),
        series,
    };
    dlrn_report::write_figure(&figure, &out, "scale", 2)?;
    println!(
        "{}",
        dlrn_report::ReportTable::display(&table).to_markdown()
    );
    println!("{}", dlrn_report::ReportTable::display(&exps).to_markdown());
    if let Some(r) = table
        .rows
        .iter()
        .find(|r| r.stage == "whole study" && (r.scale - 4.0).abs() < 1e-9)
    {
        let met = if r.peak_rss_mib <= GOAL_PEAK_MIB {
            "met"
        } else {
            "missed"
        };
        println!(
            "peak memory of the whole study at scale 4: {:.0} MiB (goal ≤ {GOAL_PEAK_MIB:.0}: {met})",
            r.peak_rss_mib
        );
    }
    println!("tables and figure: {}", out.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slope_of_a_power_law_is_its_exponent() {
        // y = 3 x^1.5 → ln y = ln 3 + 1.5 ln x exactly.
        let pts: Vec<(f64, f64)> = [100.0, 200.0, 400.0, 800.0]
            .iter()
            .map(|&x: &f64| (x, 3.0 * x.powf(1.5)))
            .collect();
        assert!((log_log_slope(&pts) - 1.5).abs() < 1e-12);
        // Two points (1, 1) and (e, e²): slope 2; zero and NaN points skipped.
        let e = std::f64::consts::E;
        let pts = [(1.0, 1.0), (e, e * e), (0.0, 5.0), (3.0, f64::NAN)];
        assert!((log_log_slope(&pts) - 2.0).abs() < 1e-12);
        assert!(log_log_slope(&[(1.0, 1.0)]).is_nan());
        assert!(log_log_slope(&[(2.0, 1.0), (2.0, 3.0)]).is_nan());
    }

    #[test]
    fn stages_fall_in_their_groups() {
        assert_eq!(group("deep/TC_reader2"), "deep");
        assert_eq!(group("handcrafted/EVC1"), "handcrafted");
        assert_eq!(group("lasso"), "lasso");
        assert_eq!(group("evaluation"), "modelling and reports");
    }

    #[test]
    fn each_size_gets_its_scale_and_its_own_cohort_folder() {
        let base = "[cohorts]\ndir = \"data/sim\"\nsimulated = true\ntraining = \"TC\"\n\
                    [simulate]\nseed = 1\nscale = 1.0\n";
        let text = size_config(base, 0.5, Path::new("/tmp/x/cohorts")).expect("valid");
        let v: toml::Value = toml::from_str(&text).expect("toml");
        assert_eq!(v["simulate"]["scale"].as_float(), Some(0.5));
        assert_eq!(v["cohorts"]["dir"].as_str(), Some("/tmp/x/cohorts"));
        let real = "[cohorts]\ndir = \"mine\"\nsimulated = false\n[simulate]\nscale = 1.0\n";
        let e = size_config(real, 0.5, Path::new("/c")).expect_err("needs simulated cohorts");
        assert!(e.to_string().contains("simulated = true"), "{e}");
    }
}
