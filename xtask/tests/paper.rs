//! `cargo xtask paper` end to end on a tiny simulated study: every output of
//! issue 7 is written, the tables have the documented columns and sane
//! values, the provenance is right, and a second run reuses every cached
//! stage and writes byte-identical tables.
//!
//! Needs the `dlrn` binary next to xtask's (`cargo test --workspace` builds
//! it; `cargo build -p dlrn` otherwise).

use std::path::Path;
use std::process::Command;

use sha2::{Digest, Sha256};

mod common;
use common::study::{TINY_CANDIDATES, dlrn_bin, run_paper, tiny_config, tiny_config_with};
use common::{COLUMNS, files, hex_lower, num, read_csv};

#[test]
fn tiny_study_writes_every_output_and_reruns_from_cache() {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let config = tiny_config(tmp.path());
    let out = tmp.path().join("report");
    let log = run_paper(&config, &out);
    assert!(log.contains("[run]    simulate"), "{log}");

    for name in [
        "index.html",
        "table1.csv",
        "table2.csv",
        "table3.csv",
        "nomogram.svg",
        "calculator.html",
        "manifest.json",
        "signature.json",
        "figures/roc_TC.svg",
        "figures/roc_EVC3.png",
        "figures/decision_EVC1.svg",
        "figures/calibration_EVC2.svg",
        "figures/lasso_path.svg",
        "figures/lasso_cv.png",
        "figures/signature_by_class.svg",
        "figures/confusion.svg",
        "figures/nomogram.png",
    ] {
        let p = out.join(name);
        let len = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
        assert!(len > 0, "{} is missing or empty", p.display());
    }

    // Table 2: the issue's columns, every model on every cohort, sane values.
    let (header, rows) = read_csv(&out.join("table2.csv"));
    assert_eq!(header, COLUMNS);
    for cohort in ["TC", "EVC1", "EVC2", "EVC3"] {
        for model in ["Clinical", "Signature", "DLRN"] {
            let r = rows
                .iter()
                .find(|r| r["cohort"] == cohort && r["model"] == model)
                .unwrap_or_else(|| panic!("table2.csv has no {cohort} / {model} row"));
            let (auc, lo, hi) = (num(r, "auc"), num(r, "auc_ci_low"), num(r, "auc_ci_high"));
            assert!(
                (0.0..=1.0).contains(&auc) && lo <= auc && auc <= hi,
                "{cohort} {model}: {auc} ({lo}, {hi})"
            );
            let acc = num(r, "accuracy");
            assert!(
                (0.0..=1.0).contains(&acc),
                "{cohort} {model}: accuracy {acc}"
            );
            if model == "DLRN" {
                assert_eq!(
                    r["delong_p"], "",
                    "DLRN is the reference of the DeLong tests"
                );
            } else {
                let p = num(r, "delong_p");
                assert!((0.0..=1.0).contains(&p), "{cohort} {model}: p {p}");
            }
        }
    }
    assert_eq!(rows.len(), 12);

    // Table 3 holds exactly the four factors the config keeps.
    let (_, t3) = read_csv(&out.join("table3.csv"));
    let factors: Vec<&str> = t3.iter().map(|r| r["factor"].as_str()).collect();
    assert_eq!(factors, ["Age", "BI-RADS", "Nuclear grade", "US-ALN"]);

    // The ICC filter with the paper's rule: an intra- and an inter-observer
    // ICC per feature, kept exactly when both exceed icc.threshold (0.80).
    let icc = quoted_csv(&out.join("icc.csv"));
    assert_eq!(
        icc[0],
        ["feature", "icc_intra", "icc_inter", "kept", "reason"]
    );
    assert_eq!(icc.len() - 1, 544 + 2048, "one row per feature");
    let above = |v: &str| v.parse::<f64>().is_ok_and(|x| x > 0.80);
    let mut n_kept = 0;
    for r in &icc[1..] {
        let kept = r[3] == "1";
        n_kept += usize::from(kept);
        assert_eq!(kept, above(&r[1]) && above(&r[2]), "{r:?}");
        assert!(
            r[4].starts_with(if kept { "kept: " } else { "dropped: " }),
            "{r:?}"
        );
    }
    assert!(n_kept > 0, "no feature kept");
    let index = std::fs::read_to_string(out.join("index.html")).expect("index.html");
    assert!(index.contains("both its intra-observer and its inter-observer ICC2 exceed 0.8"));

    // Supplementary Table 6: the signature score and the DLRN probability
    // from each outline of the re-outlined subset, with their ICC and CI.
    let t6 = quoted_csv(&out.join("supp_table6_reproducibility.csv"));
    assert_eq!(
        t6[0],
        [
            "quantity", "outlines", "n", "form", "icc", "ci_low", "ci_high", "level", "note"
        ]
    );
    assert_eq!(t6.len(), 3, "{t6:?}");
    for r in &t6[1..] {
        assert_eq!(r[1], "masks+reader1_repeat+reader2", "{r:?}");
        let n: usize = r[2].parse().expect("n");
        assert!(n >= 2, "{r:?}");
        let (icc, lo, hi) = (num_of(&r[4]), num_of(&r[5]), num_of(&r[6]));
        assert!(lo <= icc && icc <= hi && icc <= 1.0, "{r:?}");
    }

    // The clinical model refitted in each cohort: the training row equals
    // Table 3's; every cohort has its four factors or a noted row.
    let by = quoted_csv(&out.join("table_clinical_by_cohort.csv"));
    assert_eq!(
        by[0],
        [
            "cohort",
            "term",
            "n",
            "odds_ratio",
            "or_ci_low",
            "or_ci_high",
            "p_value",
            "note"
        ]
    );
    for cohort in ["TC", "EVC1", "EVC2", "EVC3"] {
        let rows: Vec<&Vec<String>> = by[1..].iter().filter(|r| r[0] == cohort).collect();
        assert!(
            rows.len() == 4 || (rows.len() == 1 && !rows[0][7].is_empty()),
            "{cohort}: {rows:?}"
        );
    }
    for (r, t) in by[1..].iter().filter(|r| r[0] == "TC").zip(&t3) {
        assert_eq!(r[1], t["factor"]);
        let (a, b) = (num_of(&r[3]), num(t, "odds_ratio"));
        assert!((a - b).abs() <= 1e-12 * b.abs(), "{}: {a} vs {b}", r[1]);
    }

    // Stage times beside the manifest: every stage with its status and seconds.
    let timings: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("timings.json")).expect("timings.json"),
    )
    .expect("timings.json is JSON");
    let stages = timings["stages"].as_array().expect("stages");
    for name in ["simulate", "deep/TC_reader2", "lasso", "report"] {
        let st = stages
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("timings.json has no {name}: {timings}"));
        assert_eq!(st["status"], "run", "{st}");
        assert!(st["seconds"].as_f64().is_some_and(|s| s >= 0.0), "{st}");
    }

    // Per-patient predictions of every cohort, cut-offs, calibration with the
    // configured Hosmer–Lemeshow groups, the univariate screen, the schema used.
    let (header, preds) = read_csv(&out.join("predictions.csv"));
    assert_eq!(
        header,
        [
            "id",
            "cohort",
            "label",
            "signature_score",
            "p_clinical",
            "p_signature",
            "p_dlrn"
        ]
    );
    let sizes: Vec<usize> = ["TC", "EVC1", "EVC2", "EVC3"]
        .iter()
        .map(|c| preds.iter().filter(|r| r["cohort"] == *c).count())
        .collect();
    assert!(sizes.iter().all(|&n| n > 0), "{sizes:?}");
    for r in &preds {
        // The signature probability is the inverse logit of the score.
        let (s, p) = (num(r, "signature_score"), num(r, "p_signature"));
        assert!((p - 1.0 / (1.0 + (-s).exp())).abs() < 1e-12, "{r:?}");
        for k in ["p_clinical", "p_dlrn"] {
            assert!((0.0..=1.0).contains(&num(r, k)), "{r:?}");
        }
    }
    let (_, cal) = read_csv(&out.join("calibration.csv"));
    assert_eq!(cal.len(), 12);
    for r in &cal {
        assert_eq!(r["hl_groups"], "8", "evaluation.hl_groups is honoured");
        if !r["hl_df"].is_empty() && r["hl_df"] != "NA" {
            assert_eq!(num(r, "hl_df"), 6.0);
        }
    }
    let (_, cut) = read_csv(&out.join("cutoffs.csv"));
    let models: Vec<&str> = cut.iter().map(|r| r["model"].as_str()).collect();
    assert_eq!(models, ["Clinical", "Signature", "DLRN"]);
    let (_, screen) = read_csv(&out.join("supp_univariate.csv"));
    let vars: Vec<&str> = screen.iter().map(|r| r["variable"].as_str()).collect();
    assert_eq!(vars, ["Age", "BI-RADS", "Nuclear grade", "US-ALN"]);
    assert!(out.join("schema.toml").is_file());

    // `dlrn logistic` on the training cohort's clinical table with the kept
    // factors gives the study's Table 3 (one coding, one fit).
    let logistic = Command::new(dlrn_bin())
        .args(["logistic", "--data"])
        .arg(tmp.path().join("sim/TC/clinical.csv"))
        .args(["--predictors", "age,birads,nuclear_grade,us_aln", "--json"])
        .output()
        .expect("running dlrn logistic");
    assert!(
        logistic.status.success(),
        "{}",
        String::from_utf8_lossy(&logistic.stderr)
    );
    let fit: serde_json::Value = serde_json::from_slice(&logistic.stdout).expect("JSON");
    let coefs = fit["fit"]["coefficients"].as_array().expect("coefficients");
    assert_eq!(coefs.len(), t3.len() + 1);
    for (c, r) in coefs[1..].iter().zip(&t3) {
        let (a, b) = (
            c["estimate"].as_f64().expect("estimate"),
            num(r, "coefficient"),
        );
        assert!(
            (a - b).abs() <= 1e-12 * b.abs().max(1.0),
            "{}: {a} vs {b}",
            r["factor"]
        );
    }

    // Provenance: the config's own hash, the weights, the simulated-data statement.
    let want = hex_lower(&Sha256::digest(std::fs::read(&config).expect("config")));
    let index = std::fs::read_to_string(out.join("index.html")).expect("index.html");
    assert!(
        index.contains(&want),
        "index.html lacks the config hash {want}"
    );
    assert!(
        index.contains("random initialisation, seed 1"),
        "index.html does not say which weights"
    );
    assert!(
        index.contains("These cohorts are simulated"),
        "index.html does not say the data are simulated"
    );
    assert!(
        index.contains("parameters from "),
        "index.html does not name the simulation parameters"
    );
    let manifest = std::fs::read_to_string(out.join("manifest.json")).expect("manifest.json");
    assert!(
        manifest.contains(&want),
        "manifest.json lacks the config hash"
    );

    // The frozen model bundle carries the study to new patients with nothing
    // refitted: `dlrn predict` reproduces every cohort's probabilities and
    // `dlrn assess` an external cohort's Table 2 rows.
    check_bundle(tmp.path(), &out, &preds, &rows);

    // Second run: every expensive stage cached, the same bytes.
    let before = files(&out);
    let log = run_paper(&config, &out);
    for stage in [
        "simulate",
        "handcrafted/TC",
        "deep/TC",
        "deep/EVC3",
        "deep/TC_reader2",
    ] {
        assert!(
            log.contains(&format!("[cached] {stage}\n")),
            "{stage} was not reused:\n{log}"
        );
    }
    assert!(
        !log.contains("[run]    deep"),
        "a deep stage ran again:\n{log}"
    );
    let timings = std::fs::read_to_string(out.join("timings.json")).expect("timings.json");
    assert!(
        timings.contains("\"status\": \"cached\""),
        "the rerun's timings.json has no cached stage:\n{timings}"
    );
    let after = files(&out);
    for (path, bytes) in &before {
        let name = path.to_string_lossy();
        // work/ holds stamps and logs; timings.json holds this run's stage
        // times, which differ on every run by design (manifest.json lists its
        // name only, so the manifest itself stays the same bytes).
        if name.starts_with("work") || name == "timings.json" {
            continue;
        }
        assert!(after.get(path) == Some(bytes), "{name} changed on rerun");
    }
}

/// A CSV file as rows of cells, honouring double-quoted cells (the
/// reasons and notes may hold commas); the header is row 0.
fn quoted_csv(path: &Path) -> Vec<Vec<String>> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    text.lines()
        .map(|l| {
            let (mut cells, mut cell, mut quoted) = (Vec::new(), String::new(), false);
            let mut chars = l.chars().peekable();
            while let Some(c) = chars.next() {
                match (c, quoted) {
                    ('"', true) if chars.peek() == Some(&'"') => {
                        cell.push('"');
                        chars.next();
                    }
                    ('"', _) => quoted = !quoted,
                    (',', false) => cells.push(std::mem::take(&mut cell)),
                    _ => cell.push(c),
                }
            }
            cells.push(cell);
            cells
        })
        .collect()
}

/// A cell as a number, failing with the cell.
fn num_of(cell: &str) -> f64 {
    cell.parse()
        .unwrap_or_else(|_| panic!("{cell:?} is not a number"))
}

/// Runs `dlrn` with `args`, asserting success.
fn dlrn_ok(args: &[&std::ffi::OsStr]) {
    let output = Command::new(dlrn_bin())
        .args(args)
        .output()
        .expect("running dlrn");
    assert!(
        output.status.success(),
        "dlrn {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `dlrn predict` with the run's `model/` bundle gives every patient of every
/// cohort the probabilities the run wrote to predictions.csv (to 1e-12), and
/// `dlrn assess` on EVC1 writes the run's EVC1 rows of Table 2, cell for cell.
fn check_bundle(
    dir: &Path,
    out: &Path,
    preds: &[std::collections::BTreeMap<String, String>],
    table2: &[std::collections::BTreeMap<String, String>],
) {
    let model = out.join("model");
    assert!(model.join("manifest.json").is_file(), "no model bundle");
    for cohort in ["TC", "EVC1", "EVC2", "EVC3"] {
        let csv = dir.join(format!("predict_{cohort}.csv"));
        dlrn_ok(&[
            "predict".as_ref(),
            "--model".as_ref(),
            model.as_os_str(),
            "--cohort".as_ref(),
            dir.join("sim").join(cohort).as_os_str(),
            "--out".as_ref(),
            csv.as_os_str(),
        ]);
        // Quoted cells (the warnings column), so the csv crate reads it.
        let got: Vec<std::collections::BTreeMap<String, String>> = csv::Reader::from_path(&csv)
            .expect("predictions")
            .deserialize()
            .collect::<Result<_, _>>()
            .expect("predictions rows");
        let want: Vec<_> = preds.iter().filter(|r| r["cohort"] == cohort).collect();
        assert_eq!(got.len(), want.len(), "{cohort}: patients predicted");
        for w in want {
            let g = got
                .iter()
                .find(|g| g["id"] == w["id"])
                .unwrap_or_else(|| panic!("{cohort} {}: not predicted", w["id"]));
            for k in ["signature_score", "p_clinical", "p_signature", "p_dlrn"] {
                let (a, b) = (num(g, k), num(w, k));
                assert!(
                    (a - b).abs() <= 1e-12,
                    "{cohort} {} {k}: predict {a} vs study {b}",
                    w["id"]
                );
            }
        }
    }
    let assessed = dir.join("assess_EVC1");
    dlrn_ok(&[
        "assess".as_ref(),
        "--model".as_ref(),
        model.as_os_str(),
        "--cohort".as_ref(),
        dir.join("sim/EVC1").as_os_str(),
        "--name".as_ref(),
        "EVC1".as_ref(),
        "--hl-groups".as_ref(),
        "8".as_ref(),
        "--out".as_ref(),
        assessed.as_os_str(),
    ]);
    let (_, rows) = read_csv(&assessed.join("table2.csv"));
    let study: Vec<_> = table2.iter().filter(|r| r["cohort"] == "EVC1").collect();
    assert_eq!(rows.len(), study.len(), "assess rows: {rows:?}");
    for r in &rows {
        let s = study
            .iter()
            .find(|s| s["model"] == r["model"])
            .unwrap_or_else(|| panic!("the study has no EVC1 {} row", r["model"]));
        assert_eq!(&r, s, "EVC1 {}: assess differs from the study", r["model"]);
    }
}

/// A training cohort without re-outlines (here: `icc.intra`/`icc.inter` name folders
/// that do not exist) runs the whole study with the ICC filter skipped: every
/// feature goes on to the LASSO, icc.csv and the report say why.
#[test]
fn study_without_reoutlines_skips_the_icc_filter() {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let config = tiny_config_with(
        tmp.path(),
        &TINY_CANDIDATES,
        &[
            ("intra", r#"intra = ["nobody"]"#),
            ("inter", r#"inter = ["nobody2"]"#),
        ],
    );
    let out = tmp.path().join("report");
    let log = run_paper(&config, &out);
    assert!(log.contains("[skip]   icc filter"), "{log}");
    let icc = std::fs::read_to_string(out.join("icc.csv")).expect("icc.csv");
    let rows: Vec<&str> = icc.lines().skip(1).collect();
    assert_eq!(rows.len(), 544 + 2048, "one row per feature");
    assert!(
        rows.iter()
            .all(|r| r.ends_with(",NA,NA,1,not computed (no re-outlines)")),
        "{}",
        rows[0]
    );
    let index = std::fs::read_to_string(out.join("index.html")).expect("index.html");
    assert!(
        index.contains("ICC filter was skipped"),
        "index.html says nothing"
    );
    let (_, t2) = read_csv(&out.join("table2.csv"));
    assert_eq!(t2.len(), 12);
    assert!(out.join("model/manifest.json").is_file());
}

/// `cnn.finetune_val = "internal"`: fine-tuning validates on a seeded,
/// stratified split of the training cohort (no EVC), the split is written
/// beside the weights, and a new `cnn.finetune_val_fraction` re-runs the
/// fine-tuning stage (its cache key holds the fraction).
#[test]
#[ignore = "slow: fine-tunes ResNet50 on CPU twice and re-extracts the deep features (about 6 minutes on 2 cores)"]
fn internal_finetune_validation_keeps_every_evc_external() {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let config = tiny_config(tmp.path());
    let text = std::fs::read_to_string(&config).expect("the config");
    let with = |fraction: &str| {
        text.replacen(
            "finetune_epochs = 0",
            &format!(
                "finetune_epochs = 1\nfinetune_val = \"internal\"\nfinetune_val_fraction = {fraction}"
            ),
            1,
        )
        .replacen("finetune_batch = 64", "finetune_batch = 8", 1)
    };
    std::fs::write(&config, with("0.2")).expect("writing the config");
    let out = tmp.path().join("report");
    let log = run_paper(&config, &out);
    assert!(log.contains("[run]    finetune"), "{log}");
    assert!(log.contains("validation split of the cohort"), "{log}");
    let split = std::fs::read_to_string(out.join("work/cnn/finetuned.mpk.split.csv"))
        .expect("the split beside the weights");
    let rows: Vec<&str> = split.lines().skip(1).collect();
    assert!(rows.iter().all(|r| r.starts_with("TC")), "only TC patients");
    let val = rows.iter().filter(|r| r.ends_with(",val")).count();
    assert!(val > 0 && val * 4 < rows.len(), "{val} of {}", rows.len());

    std::fs::write(&config, with("0.3")).expect("writing the config");
    let log = run_paper(&config, &out);
    assert!(
        log.contains("[run]    finetune"),
        "a new fraction must fine-tune again:\n{log}"
    );
}
