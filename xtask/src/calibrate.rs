//! `cargo xtask calibrate-sim`: the whole study (`cargo xtask paper`) on
//! several seeds of the simulator, and its Table 2 AUCs per seed with their
//! mean ± SD against the paper's (study.md, Table 2 of Liu et al. 2024).
//! Also per seed: how many features the LASSO keeps (the paper: 49, 4
//! handcrafted + 45 deep) and how many features differ by hospital
//! (Kruskal–Wallis across the four cohorts, P < 0.05; R `kruskal.test`).
//!
//! Each seed runs in `<out>/seed-<seed>/` with its own config (the given
//! config with `simulate.seed` and `cohorts.dir` replaced) and its own
//! simulated cohorts under `data/calibrate-sim/`, removed after the run
//! unless `--keep-data`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail, ensure};
use dlrn_study::pipeline::FeatureTable;

use crate::paper;
use crate::plan::Plan;
use crate::workspace_root;

/// Run the study on several simulator seeds and compare Table 2 with the paper.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Study configuration (relative to the workspace root); its seed is the first.
    #[arg(long, default_value = "configs/quick.toml")]
    pub config: PathBuf,
    /// Number of seeds: the config's seed, then the next ones.
    #[arg(long, default_value_t = 3)]
    pub seeds: u64,
    /// First seed instead of the config's.
    #[arg(long)]
    pub first_seed: Option<u64>,
    /// Output folder (default reports/calibrate-sim/<config name>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Fail when the mean AUC of a Table 2 cell is further than this from
    /// the paper's.
    #[arg(long)]
    pub band: Option<f64>,
    /// Keep each seed's simulated cohorts (default: removed after its run).
    #[arg(long)]
    pub keep_data: bool,
}

/// The paper's Table 2 AUCs (study.md): (cohort, model as table2.csv names it, AUC).
pub const PAPER_AUC: [(&str, &str, f64); 9] = [
    ("EVC1", "Clinical", 0.769),
    ("EVC1", "Signature", 0.886),
    ("EVC1", "DLRN", 0.914),
    ("EVC2", "Clinical", 0.783),
    ("EVC2", "Signature", 0.854),
    ("EVC2", "DLRN", 0.929),
    ("EVC3", "Clinical", 0.700),
    ("EVC3", "Signature", 0.917),
    ("EVC3", "DLRN", 0.952),
];

/// Features the paper's LASSO kept: (handcrafted, deep).
pub const PAPER_SELECTED: (usize, usize) = (4, 45);

/// What one seed's study came out as.
#[derive(Debug, Clone)]
struct SeedResult {
    seed: u64,
    /// AUC per [`PAPER_AUC`] cell, in its order.
    auc: Vec<f64>,
    /// LASSO-selected (handcrafted, deep).
    selected: (usize, usize),
    /// Features with Kruskal–Wallis P < 0.05 across hospitals, of those tested:
    /// (handcrafted, of, deep, of).
    kw: (usize, usize, usize, usize),
}

/// Runs every seed, prints the table and writes `<out>/calibration.csv` and
/// `<out>/calibration.md`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let root = workspace_root();
    let config_path = if args.config.is_absolute() {
        args.config.clone()
    } else {
        root.join(&args.config)
    };
    let text = std::fs::read_to_string(&config_path)
        .with_context(|| format!("reading {}", config_path.display()))?;
    let base: toml::Table =
        toml::from_str(&text).with_context(|| format!("parsing {}", config_path.display()))?;
    let name = config_path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let first = match args.first_seed {
        Some(s) => s,
        None => base
            .get("simulate")
            .and_then(|s| s.get("seed"))
            .and_then(toml::Value::as_integer)
            .and_then(|s| u64::try_from(s).ok())
            .with_context(|| format!("{}: no [simulate] seed", config_path.display()))?,
    };
    ensure!(args.seeds > 0, "--seeds must be at least 1");
    let out = match &args.out {
        Some(o) if o.is_absolute() => o.clone(),
        Some(o) => std::env::current_dir()?.join(o),
        None => root.join("reports").join("calibrate-sim").join(&name),
    };
    std::fs::create_dir_all(&out)?;

    let mut results = Vec::new();
    for seed in first..first + args.seeds {
        let dir = out.join(format!("seed-{seed}"));
        std::fs::create_dir_all(&dir)?;
        let data_rel = format!("data/calibrate-sim/{name}-{seed}");
        let mut cfg = base.clone();
        set(
            &mut cfg,
            "simulate",
            "seed",
            toml::Value::Integer(seed as i64),
        )?;
        set(
            &mut cfg,
            "cohorts",
            "dir",
            toml::Value::String(data_rel.clone()),
        )?;
        let seed_config = dir.join(format!("{name}-seed-{seed}.toml"));
        std::fs::write(&seed_config, toml::to_string(&cfg)?)?;
        eprintln!("calibrate-sim: seed {seed} → {}", dir.display());
        paper::run(paper::Args {
            config: seed_config.clone(),
            out: Some(dir.clone()),
            slurm: false,
            dry_run: false,
        })
        .with_context(|| format!("the study of seed {seed}"))?;
        let plan = Plan::resolve(&seed_config, Some(&dir))?;
        let r = read_seed(seed, &plan, &dir)?;
        eprintln!("{}", row(&r));
        results.push(r);
        if !args.keep_data {
            let data = root.join(&data_rel);
            std::fs::remove_dir_all(&data)
                .with_context(|| format!("removing {}", data.display()))?;
        }
    }

    let md = table(&results, &name);
    println!("{md}");
    std::fs::write(out.join("calibration.md"), &md)?;
    std::fs::write(out.join("calibration.csv"), csv(&results))?;
    if let Some(band) = args.band {
        let outside: Vec<String> = PAPER_AUC
            .iter()
            .enumerate()
            .filter_map(|(k, (c, m, p))| {
                let (mean, _) = mean_sd(results.iter().map(|r| r.auc[k]));
                ((mean - p).abs() > band).then(|| format!("{c} {m}: mean {mean:.3}, paper {p:.3}"))
            })
            .collect();
        if !outside.is_empty() {
            bail!(
                "{} of 9 Table 2 cells further than {band} from the paper: {}",
                outside.len(),
                outside.join("; ")
            );
        }
    }
    Ok(())
}

/// Sets `[section] key = value` in a parsed config.
fn set(cfg: &mut toml::Table, section: &str, key: &str, value: toml::Value) -> anyhow::Result<()> {
    let t = cfg
        .get_mut(section)
        .and_then(toml::Value::as_table_mut)
        .with_context(|| format!("the config has no [{section}] table"))?;
    t.insert(key.to_string(), value);
    Ok(())
}

/// Reads one seed's Table 2, selected features and hospital differences.
fn read_seed(seed: u64, plan: &Plan, dir: &Path) -> anyhow::Result<SeedResult> {
    let t2 = read_csv(&dir.join("table2.csv"))?;
    let mut auc = Vec::with_capacity(PAPER_AUC.len());
    for (c, m, _) in PAPER_AUC {
        let v = t2
            .iter()
            .find(|r| {
                r.get("cohort") == Some(&c.to_string()) && r.get("model") == Some(&m.to_string())
            })
            .and_then(|r| r.get("auc"))
            .with_context(|| {
                format!(
                    "{}: no row cohort={c} model={m}",
                    dir.join("table2.csv").display()
                )
            })?;
        auc.push(
            v.parse::<f64>()
                .with_context(|| format!("table2.csv: auc {v:?} of {c} {m}"))?,
        );
    }
    let sel = read_csv(&dir.join("supp_selected_features.csv"))?;
    let deep = sel
        .iter()
        .filter(|r| r.get("family").map(String::as_str) == Some("deep"))
        .count();
    let selected = (sel.len() - deep, deep);

    // Kruskal–Wallis across the cohorts, per feature of the main extractions.
    let feat = plan.features_dir();
    let label = "ALN_status";
    let mut tables = Vec::new();
    for c in &plan.all {
        let hc = FeatureTable::read(&feat.join(format!("{c}_handcrafted.parquet")), label)?;
        let dp = FeatureTable::read(&feat.join(format!("{c}_deep.parquet")), label)?;
        tables.push((hc, dp));
    }
    let count = |pick: &dyn Fn(&(FeatureTable, FeatureTable)) -> &FeatureTable| {
        let first = pick(&tables[0]);
        let (mut differ, mut tested) = (0, 0);
        for name in &first.names {
            let cols: Vec<Vec<f64>> = tables
                .iter()
                .map(|t| {
                    let t = pick(t);
                    t.names
                        .iter()
                        .position(|n| n == name)
                        .map(|k| {
                            t.columns[k]
                                .iter()
                                .copied()
                                .filter(|v| v.is_finite())
                                .collect()
                        })
                        .unwrap_or_default()
                })
                .collect();
            let groups: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
            // Constant or empty features have no test (kruskal.test refuses them too).
            if let Ok(kw) = dlrn_stats::kruskal_wallis(&groups) {
                tested += 1;
                if kw.p_value < 0.05 {
                    differ += 1;
                }
            }
        }
        (differ, tested)
    };
    let (hd, ht) = count(&|t| &t.0);
    let (dd, dt) = count(&|t| &t.1);
    Ok(SeedResult {
        seed,
        auc,
        selected,
        kw: (hd, ht, dd, dt),
    })
}

/// A CSV file as rows of column → value.
fn read_csv(path: &Path) -> anyhow::Result<Vec<std::collections::BTreeMap<String, String>>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .with_context(|| format!("{}: empty", path.display()))?
        .split(',')
        .map(str::to_string)
        .collect();
    Ok(lines
        .filter(|l| !l.is_empty())
        .map(|l| header.iter().cloned().zip(split_csv(l)).collect())
        .collect())
}

/// Splits one CSV line, honouring double quotes.
fn split_csv(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(ch),
        }
    }
    out.push(cur);
    out
}

/// Mean and sample SD (n − 1; 0 for one value).
fn mean_sd(v: impl Iterator<Item = f64>) -> (f64, f64) {
    let v: Vec<f64> = v.collect();
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let sd = if v.len() > 1 {
        (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    (mean, sd)
}

fn row(r: &SeedResult) -> String {
    let mut s = format!("| {} |", r.seed);
    for a in &r.auc {
        let _ = write!(s, " {a:.3} |");
    }
    let _ = write!(
        s,
        " {} ({} + {}) | {}/{} + {}/{} |",
        r.selected.0 + r.selected.1,
        r.selected.0,
        r.selected.1,
        r.kw.0,
        r.kw.1,
        r.kw.2,
        r.kw.3
    );
    s
}

/// The Markdown table: one row per seed, mean ± SD, the paper.
fn table(results: &[SeedResult], name: &str) -> String {
    let mut s = format!(
        "Table 2 AUCs of the simulated study ({name}) per seed, against the paper \
         (Liu et al. 2024, Table 2). LASSO: features kept (handcrafted + deep); \
         KW: features differing by hospital (Kruskal–Wallis P < 0.05, handcrafted + deep, of those tested).\n\n"
    );
    s.push_str("| seed |");
    for (c, m, _) in PAPER_AUC {
        let _ = write!(s, " {c} {m} |");
    }
    s.push_str(" LASSO | KW |\n|---|");
    for _ in 0..PAPER_AUC.len() + 2 {
        s.push_str("---|");
    }
    s.push('\n');
    for r in results {
        s.push_str(&row(r));
        s.push('\n');
    }
    s.push_str("| mean ± SD |");
    for k in 0..PAPER_AUC.len() {
        let (m, sd) = mean_sd(results.iter().map(|r| r.auc[k]));
        let _ = write!(s, " {m:.3} ± {sd:.3} |");
    }
    let (m, sd) = mean_sd(results.iter().map(|r| (r.selected.0 + r.selected.1) as f64));
    let _ = writeln!(s, " {m:.1} ± {sd:.1} | |");
    s.push_str("| paper |");
    for (_, _, p) in PAPER_AUC {
        let _ = write!(s, " {p:.3} |");
    }
    let _ = writeln!(
        s,
        " {} ({} + {}) | |",
        PAPER_SELECTED.0 + PAPER_SELECTED.1,
        PAPER_SELECTED.0,
        PAPER_SELECTED.1
    );
    s
}

/// One row per seed: seed, the nine AUCs, selected features, KW counts.
fn csv(results: &[SeedResult]) -> String {
    let mut s = String::from("seed");
    for (c, m, _) in PAPER_AUC {
        let _ = write!(s, ",{c}_{m}");
    }
    s.push_str(",selected_handcrafted,selected_deep,kw_handcrafted,tested_handcrafted,kw_deep,tested_deep\n");
    for r in results {
        let _ = write!(s, "{}", r.seed);
        for a in &r.auc {
            let _ = write!(s, ",{a}");
        }
        let _ = writeln!(
            s,
            ",{},{},{},{},{},{}",
            r.selected.0, r.selected.1, r.kw.0, r.kw.1, r.kw.2, r.kw.3
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_sd_by_hand() {
        // 1, 2, 3, 4: mean 2.5, var (2.25 + 0.25 + 0.25 + 2.25) / 3 = 5/3.
        let (m, sd) = mean_sd([1.0, 2.0, 3.0, 4.0].into_iter());
        assert_eq!(m, 2.5);
        assert!((sd - (5.0_f64 / 3.0).sqrt()).abs() < 1e-15);
        assert_eq!(mean_sd([7.0].into_iter()), (7.0, 0.0));
    }

    #[test]
    fn quoted_commas_stay_in_their_cell() {
        assert_eq!(split_csv(r#"a,"b, c",d"#), vec!["a", "b, c", "d"]);
        assert_eq!(split_csv(r#""x ""y""",1"#), vec![r#"x "y""#, "1"]);
    }

    #[test]
    fn seed_and_folder_are_replaced_in_the_config() {
        let mut t: toml::Table = toml::from_str(
            "[simulate]\nseed = 2024\nscale = 0.25\n[cohorts]\ndir = \"data/sim\"\n",
        )
        .unwrap();
        set(&mut t, "simulate", "seed", toml::Value::Integer(7)).unwrap();
        set(&mut t, "cohorts", "dir", toml::Value::String("x".into())).unwrap();
        assert_eq!(t["simulate"]["seed"].as_integer(), Some(7));
        assert_eq!(t["simulate"]["scale"].as_float(), Some(0.25));
        assert_eq!(t["cohorts"]["dir"].as_str(), Some("x"));
        assert!(set(&mut t, "lasso", "seed", toml::Value::Integer(1)).is_err());
    }
}
