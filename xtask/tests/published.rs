//! `cargo xtask published` on the study's released tables (found by
//! `dlrn_testdata::require_aln_paper`: `$DLRN_ALN_PAPER` or data/aln-paper/).
//!
//! Oracles: the paper's Table 2 (Liu et al., npj Breast Cancer 2024: signature
//! AUC 0.886 (0.815–0.958) on EVC1 and 0.854 (0.778–0.931) on EVC2, DeLong
//! CIs; EVC1's ACC/SENS/SPE/PPV/NPV) and pROC 1.18 / binom.test on the same
//! scores (fixtures/published_signature_pROC.csv, made by
//! fixtures/make_published.R).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

mod common;
use common::{COLUMNS, files, hex_lower, num, read_csv, workspace};

fn tables_dir() -> PathBuf {
    dlrn_testdata::require_aln_paper()
}

/// Runs `xtask published --tables <released> --out <out> <extra>` and returns stderr.
fn run_published(out: &Path, extra: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("published")
        .arg("--tables")
        .arg(tables_dir())
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .expect("running the xtask binary");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "xtask published failed:\n{stderr}");
    stderr
}

fn row<'a>(
    rows: &'a [BTreeMap<String, String>],
    cohort: &str,
    model: &str,
) -> &'a BTreeMap<String, String> {
    rows.iter()
        .find(|r| r["cohort"] == cohort && r["model"] == model)
        .unwrap_or_else(|| panic!("no row for {cohort} / {model}"))
}

/// Rounded as the paper prints: `decimals` places (values here are never at a half).
fn rounded(v: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (v * f).round() / f
}

/// The signature rows against the paper (3-decimal AUCs, whole-percent
/// EVC1 metrics) and pROC (full precision); the header; the manifest's
/// hashes; a byte-identical rerun.
#[test]
#[ignore = "needs the released tables: see data/README.md"]
fn signature_rows_reproduce_the_paper_and_rerun_identically() {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    let stderr = run_published(&a, &["--no-lasso"]);
    assert!(stderr.contains("EVC1"), "summary on stderr: {stderr}");

    let (header, rows) = read_csv(&a.join("table2.csv"));
    assert_eq!(header, COLUMNS);
    assert_eq!(rows.len(), 2, "one signature row per released table");
    assert!(rows.iter().all(|r| r["model"] == "signature"));

    // The paper's Table 2 (DeLong CIs).
    for (cohort, auc, lo, hi) in [("EVC1", 0.886, 0.815, 0.958), ("EVC2", 0.854, 0.778, 0.931)] {
        let r = row(&rows, cohort, "signature");
        assert_eq!(rounded(num(r, "auc"), 3), auc, "{cohort} AUC");
        assert_eq!(rounded(num(r, "auc_ci_low"), 3), lo, "{cohort} CI low");
        assert_eq!(rounded(num(r, "auc_ci_high"), 3), hi, "{cohort} CI high");
        assert_eq!(
            r["delong_p"], "",
            "no DeLong reference for the signature itself"
        );
    }
    // EVC1 at its own Youden cut-off gives the paper's EVC1 percentages.
    let r = row(&rows, "EVC1", "signature");
    for (metric, v, lo, hi) in [
        ("accuracy", 87.0, 79.0, 92.0),
        ("sensitivity", 87.0, 73.0, 95.0),
        ("specificity", 87.0, 76.0, 94.0),
        ("ppv", 81.0, 67.0, 91.0),
        ("npv", 91.0, 81.0, 96.0),
    ] {
        assert_eq!(rounded(100.0 * num(r, metric), 0), v, "EVC1 {metric}");
        let (l, h) = (format!("{metric}_ci_low"), format!("{metric}_ci_high"));
        assert_eq!(rounded(100.0 * num(r, &l), 0), lo, "EVC1 {l}");
        assert_eq!(rounded(100.0 * num(r, &h), 0), hi, "EVC1 {h}");
    }

    // pROC + binom.test on the same scores and cut-off, every digit.
    check_against_oracle(&rows, "published_signature_pROC.csv");

    // Markdown caption, index page, manifest with the inputs' SHA-256.
    let md = std::fs::read_to_string(a.join("table2.md")).expect("table2.md");
    assert!(md.starts_with("Table 2."), "{md}");
    assert!(
        md.contains("| EVC1 | signature | 0.886 (0.815–0.958) |"),
        "{md}"
    );
    assert!(
        md.contains("| EVC2 | signature | 0.854 (0.778–0.931) |"),
        "{md}"
    );
    assert!(a.join("index.html").is_file());
    assert!(a.join("figures/roc_EVC1.svg").is_file());
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(a.join("manifest.json")).expect("manifest.json"),
    )
    .expect("manifest.json is JSON");
    for name in ["EVC1.csv", "EVC2.csv", "published_signature.csv"] {
        let bytes = std::fs::read(tables_dir().join(name)).expect("an input");
        let want = hex_lower(&Sha256::digest(&bytes));
        assert_eq!(manifest["inputs"][name], want.as_str(), "sha256 of {name}");
    }
    assert_eq!(manifest["version"], env!("CARGO_PKG_VERSION"));

    // A second run into another folder writes the same bytes.
    run_published(&b, &["--no-lasso"]);
    let (fa, fb) = (files(&a), files(&b));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (k, v) in &fa {
        assert!(v == &fb[k], "{} differs between runs", k.display());
    }
}

/// Every number of the signature rows against the pROC/binom.test fixture `name`.
fn check_against_oracle(rows: &[BTreeMap<String, String>], name: &str) {
    let fixture = workspace().join("xtask/tests/fixtures").join(name);
    let (_, oracle) = read_csv(&fixture);
    assert_eq!(oracle.len(), 2, "{}", fixture.display());
    for o in &oracle {
        let r = row(rows, &o["cohort"], "signature");
        for c in &COLUMNS[2..20] {
            let (got, want) = (num(r, c), num(o, c));
            assert!(
                (got - want).abs() < 1e-9,
                "{} {c}: {got} vs pROC {want} ({name})",
                o["cohort"]
            );
        }
    }
}

/// --cutoff replaces the Youden cut-off (oracle: the same script with a fixed
/// cut-off of -3; EVC1 then has 35 TP, 9 FP, 58 TN, 10 FN).
#[test]
#[ignore = "needs the released tables: see data/README.md"]
fn cutoff_option_sets_the_threshold() {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    run_published(tmp.path(), &["--no-lasso", "--cutoff", "-3"]);
    let (_, rows) = read_csv(&tmp.path().join("table2.csv"));
    check_against_oracle(&rows, "published_signature_pROC_cutoff-3.csv");
    let r = row(&rows, "EVC1", "signature");
    assert_eq!(num(r, "sensitivity"), 35.0 / 45.0);
    assert_eq!(num(r, "ppv"), 35.0 / 44.0);
}

/// A cut-off below every score leaves NPV without a denominator: the run
/// fails and says which metric, model and cohort.
#[test]
#[ignore = "needs the released tables: see data/README.md"]
fn cutoff_outside_the_scores_is_an_error() {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["published", "--no-lasso", "--cutoff", "-1e9", "--tables"])
        .arg(tables_dir())
        .arg("--out")
        .arg(tmp.path())
        .output()
        .expect("running the xtask binary");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("NPV") && stderr.contains("signature on EVC1"),
        "{stderr}"
    );
}

/// The hold-out LASSO against cv.glmnet given the same folds
/// (`--foldid-row-mod 10`; fixtures/published_lasso_glmnet.csv, made by
/// fixtures/make_published_lasso.R): lambda.min, intercept, the number of
/// selected features, and every number of the held-out row (AUC, DeLong CI,
/// metrics at the training Youden cut-off, paired DeLong P vs the signature).
/// Also: MSD is dropped and said so, the figures exist, and the seeded
/// default run is byte-identical on a rerun.
#[test]
#[ignore = "needs the released tables: see data/README.md"]
fn lasso_holdout_matches_cv_glmnet_and_reruns_identically() {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let dir = tmp.path().join("rowmod");
    let stderr = run_published(&dir, &["--foldid-row-mod", "10"]);
    assert!(stderr.contains("MSD"), "dropped column reported: {stderr}");
    let (header, rows) = read_csv(&dir.join("table2.csv"));
    assert_eq!(header, COLUMNS);
    assert_eq!(rows.len(), 4, "a signature and a hold-out row per table");
    let fixture = workspace().join("xtask/tests/fixtures/published_lasso_glmnet.csv");
    let (_, oracle) = read_csv(&fixture);
    assert_eq!(oracle.len(), 2, "{}", fixture.display());
    for o in &oracle {
        let cohort = &o["cohort"];
        assert_eq!(o["dropped"], "MSD");
        let model: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("lasso_heldout_{cohort}.json")))
                .expect("the hold-out model"),
        )
        .expect("model JSON");
        let close = |what: &str, got: f64, want: f64| {
            assert!(
                (got - want).abs() <= 1e-9 * want.abs().max(1.0),
                "{cohort} {what}: {got} vs glmnet/pROC {want}"
            );
        };
        close(
            "lambda.min",
            model["lambda"].as_f64().expect("lambda"),
            num(o, "lambda_min"),
        );
        close(
            "intercept",
            model["intercept"].as_f64().expect("intercept"),
            num(o, "intercept"),
        );
        assert_eq!(
            model["path"]["index_min"].as_f64(),
            Some(num(o, "index_min")),
            "{cohort} index of lambda.min"
        );
        assert_eq!(
            model["features"].as_array().map(|f| f.len() as f64),
            Some(num(o, "n_selected")),
            "{cohort} features selected"
        );
        let r = row(&rows, cohort, "lasso_heldout");
        for c in &COLUMNS[2..] {
            close(c, num(r, c), num(o, c));
        }
    }
    let md = std::fs::read_to_string(dir.join("table2.md")).expect("table2.md");
    assert!(
        md.contains("lasso_heldout") && md.contains("MSD (EVC1 rows 1, 40, 47, 65)"),
        "{md}"
    );
    for c in ["EVC1", "EVC2"] {
        for f in ["lasso_path", "lasso_cv", "roc"] {
            for ext in ["svg", "png"] {
                let p = dir.join(format!("figures/{f}_{c}.{ext}"));
                assert!(p.is_file(), "{} missing", p.display());
            }
        }
    }

    // The default (seeded folds) run, twice: the same bytes.
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    run_published(&a, &[]);
    run_published(&b, &[]);
    let (_, rows) = read_csv(&a.join("table2.csv"));
    assert_eq!(rows.len(), 4);
    let (fa, fb) = (files(&a), files(&b));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (k, v) in &fa {
        assert!(v == &fb[k], "{} differs between runs", k.display());
    }
}
