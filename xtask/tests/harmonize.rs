//! `[harmonize] method = "combat"` end to end on the tiny simulated study
//! with a batch effect made in the test: the validation hospitals' images
//! are re-written with another gain and gamma (EVC1 brighter, EVC2 darker,
//! EVC3 compressed), as different scanners would record them, so the
//! features differ by hospital before harmonisation. Checked: the report's
//! batch-effect evidence (Kruskal–Wallis per feature before and after, PCA
//! figure, Table 2 pair), the training hospital left unchanged (its Table 2
//! rows equal with and without harmonisation, since its features, and so the
//! LASSO and the models, are the same), the bundle's harmonize.json, `dlrn
//! predict --cohort` and `dlrn assess` reproducing the study's harmonised
//! probabilities to 1e-12, and the refusals (a single patient, a cohort below
//! the minimum batch, the outcome as a covariate), each with exit 2.
//!
//! Needs the `dlrn` binary next to xtask's (`cargo test --workspace` builds
//! it; `cargo build -p dlrn` otherwise).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

mod common;
use common::study::{TINY_CANDIDATES, dlrn_bin, paper_command, run_paper, tiny_config_with};
use common::{num, read_csv};

/// A 24-bit BMP of grey levels (bottom-up rows padded to 4 bytes; BGR).
fn write_bmp(path: &Path, width: usize, height: usize, grey: &[u8]) {
    let row = (3 * width).div_ceil(4) * 4;
    let size = 54 + row * height;
    let mut b = Vec::with_capacity(size);
    b.extend(b"BM");
    b.extend((size as u32).to_le_bytes());
    b.extend([0u8; 4]);
    b.extend(54u32.to_le_bytes());
    b.extend(40u32.to_le_bytes());
    b.extend((width as i32).to_le_bytes());
    b.extend((height as i32).to_le_bytes());
    b.extend(1u16.to_le_bytes());
    b.extend(24u16.to_le_bytes());
    b.extend([0u8; 4]);
    b.extend(((row * height) as u32).to_le_bytes());
    b.extend(2835u32.to_le_bytes());
    b.extend(2835u32.to_le_bytes());
    b.extend([0u8; 8]);
    for y in (0..height).rev() {
        let start = b.len();
        for x in 0..width {
            let v = grey[y * width + x];
            b.extend([v, v, v]);
        }
        b.resize(start + row, 0);
    }
    std::fs::write(path, b).expect("writing a BMP");
}

/// Re-writes every image of `cohort` through `f` (grey level → grey level) as BMP.
fn reacquire(cohort: &Path, f: impl Fn(f64) -> f64) {
    let images = cohort.join("images");
    let mut paths: Vec<_> = std::fs::read_dir(&images)
        .expect("images/")
        .map(|e| e.expect("an entry").path())
        .collect();
    paths.sort();
    for p in paths {
        let img = dlrn_cohort::load_grey(&p).expect("a simulated image");
        let grey: Vec<u8> = img
            .pixels
            .iter()
            .map(|&v| f(f64::from(v)).round().clamp(0.0, 255.0) as u8)
            .collect();
        std::fs::remove_file(&p).expect("removing the PNG");
        write_bmp(&p.with_extension("bmp"), img.width, img.height, &grey);
    }
}

/// Runs `dlrn` with `args`; returns (exit code, stderr).
fn dlrn(args: &[&std::ffi::OsStr]) -> (i32, String) {
    let out = Command::new(dlrn_bin())
        .args(args)
        .output()
        .expect("running dlrn");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn csv_rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    csv::Reader::from_path(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .deserialize()
        .collect::<Result<_, _>>()
        .expect("CSV rows")
}

#[test]
fn harmonised_study_removes_the_batch_effect_and_its_bundle_harmonises_new_sites() {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let dir = tmp.path();
    // The tiny study's cohorts, simulated here, then "scanned" per hospital.
    let config = tiny_config_with(dir, &TINY_CANDIDATES, &[("simulated", "simulated = false")]);
    let text = std::fs::read_to_string(&config).expect("config");
    let seed = text
        .lines()
        .find_map(|l| l.strip_prefix("seed = "))
        .expect("a seed")
        .to_string();
    let (code, err) = dlrn(&[
        "simulate".as_ref(),
        "--out".as_ref(),
        dir.join("sim").as_os_str(),
        "--seed".as_ref(),
        seed.as_ref(),
        "--scale".as_ref(),
        "0.1".as_ref(),
        "--params".as_ref(),
        dir.join("params.json").as_os_str(),
    ]);
    assert_eq!(code, 0, "{err}");
    reacquire(&dir.join("sim/EVC1"), |v| 1.35 * v + 12.0);
    reacquire(&dir.join("sim/EVC2"), |v| 0.7 * v);
    reacquire(&dir.join("sim/EVC3"), |v| 255.0 * (v / 255.0).powf(0.6));

    let harmonised = dir.join("harmonised.toml");
    std::fs::write(
        &harmonised,
        format!("{text}\n[harmonize]\nmethod = \"combat\"\nmin_batch = 5\n"),
    )
    .expect("writing the config");
    let out = dir.join("report");
    let log = run_paper(&harmonised, &out);
    assert!(
        log.contains("harmonisation (ComBat, reference TC)"),
        "{log}"
    );

    // The batch effect before and after, per feature.
    let kw = csv_rows(&out.join("harmonization_kruskal.csv"));
    assert!(kw.len() > 100, "{} features tested", kw.len());
    let below = |key: &str| {
        kw.iter()
            .filter(|r| r[key].parse::<f64>().is_ok_and(|p| p < 0.05))
            .count()
    };
    let (before, after) = (below("p_before"), below("p_after"));
    eprintln!(
        "Kruskal–Wallis P < 0.05: {before} of {} before, {after} after",
        kw.len()
    );
    assert!(
        before > kw.len() / 4,
        "the re-acquired hospitals should differ: {before}"
    );
    assert!(after * 3 < before, "{before} before vs {after} after");
    for f in [
        "figures/harmonization_pca.svg",
        "figures/harmonization_pca.png",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let index = std::fs::read_to_string(out.join("index.html")).expect("index.html");
    assert!(index.contains("Harmonisation across hospitals (ComBat)"));

    // Table 2's pair: the training hospital's rows equal (same features, so
    // the same LASSO and models); every validation row present.
    let pair = csv_rows(&out.join("table2_harmonization.csv"));
    assert_eq!(pair.len(), 8, "{pair:?}");
    for r in &pair {
        if r["cohort"] == "TC" {
            assert_eq!(r["auc_none"], r["auc_combat"], "{r:?}");
            assert_eq!(r["auc_change"], "0", "{r:?}");
        }
        eprintln!(
            "{} {}: AUC {} → {} ({})",
            r["cohort"], r["model"], r["auc_none"], r["auc_combat"], r["auc_change"]
        );
    }

    // The bundle carries the harmonisation, hash-checked by its manifest.
    let model = out.join("model");
    let manifest = std::fs::read_to_string(model.join("manifest.json")).expect("manifest");
    assert!(manifest.contains("\"harmonize.json\""), "{manifest}");

    // `dlrn predict --cohort EVC1` harmonises EVC1 as one new hospital and
    // gives the study's probabilities (the study mapped the same patients).
    let preds = csv_rows(&out.join("predictions.csv"));
    let csv = dir.join("predict_EVC1.csv");
    let evc1 = dir.join("sim/EVC1");
    let (code, err) = dlrn(&[
        "predict".as_ref(),
        "--model".as_ref(),
        model.as_os_str(),
        "--cohort".as_ref(),
        evc1.as_os_str(),
        "--out".as_ref(),
        csv.as_os_str(),
    ]);
    assert_eq!(code, 0, "{err}");
    let got = csv_rows(&csv);
    let want: Vec<_> = preds.iter().filter(|r| r["cohort"] == "EVC1").collect();
    assert_eq!(got.len(), want.len());
    for w in &want {
        let g = got.iter().find(|g| g["id"] == w["id"]).expect("predicted");
        for k in ["signature_score", "p_clinical", "p_signature", "p_dlrn"] {
            let (a, b) = (num(g, k), num(w, k));
            assert!((a - b).abs() <= 1e-12, "{} {k}: {a} vs {b}", w["id"]);
        }
    }
    // `dlrn assess` on EVC1: the study's EVC1 rows of Table 2.
    let assessed = dir.join("assess_EVC1");
    let (code, err) = dlrn(&[
        "assess".as_ref(),
        "--model".as_ref(),
        model.as_os_str(),
        "--cohort".as_ref(),
        evc1.as_os_str(),
        "--name".as_ref(),
        "EVC1".as_ref(),
        "--hl-groups".as_ref(),
        "8".as_ref(),
        "--out".as_ref(),
        assessed.as_os_str(),
    ]);
    assert_eq!(code, 0, "{err}");
    let (_, rows) = read_csv(&assessed.join("table2.csv"));
    let (_, study) = read_csv(&out.join("table2.csv"));
    for r in &rows {
        let s = study
            .iter()
            .find(|s| s["cohort"] == "EVC1" && s["model"] == r["model"])
            .expect("a study row");
        assert_eq!(r, s, "EVC1 {}", r["model"]);
    }
    // --harmonize none: scored as extracted, each row warned, other numbers.
    let unh = dir.join("predict_EVC1_none.csv");
    let (code, err) = dlrn(&[
        "predict".as_ref(),
        "--model".as_ref(),
        model.as_os_str(),
        "--cohort".as_ref(),
        evc1.as_os_str(),
        "--harmonize".as_ref(),
        "none".as_ref(),
        "--out".as_ref(),
        unh.as_os_str(),
    ]);
    assert_eq!(code, 0, "{err}");
    let plain = csv_rows(&unh);
    assert!(
        plain
            .iter()
            .all(|r| r["warnings"].contains("features not harmonised"))
    );
    assert!(
        plain
            .iter()
            .zip(&got)
            .any(|(a, b)| a["signature_score"] != b["signature_score"])
    );

    // A single patient cannot be harmonised: refused, naming the remedies.
    let id = &want[0]["id"];
    let image = evc1.join("images").join(format!("{id}.bmp"));
    let mask = std::fs::read_dir(evc1.join("masks"))
        .expect("masks/")
        .map(|e| e.expect("entry").path())
        .find(|p| p.file_stem().is_some_and(|s| s == id.as_str()))
        .expect("the patient's mask");
    let (code, err) = dlrn(&[
        "predict".as_ref(),
        "--model".as_ref(),
        model.as_os_str(),
        "--image".as_ref(),
        image.as_os_str(),
        "--mask".as_ref(),
        mask.as_os_str(),
        "--clinical".as_ref(),
        "age=50,birads=4B,nuclear_grade=2,us_aln=1".as_ref(),
        "--out".as_ref(),
        dir.join("one.csv").as_os_str(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("a single patient cannot be harmonised") && err.contains("--harmonize none"),
        "{err}"
    );
    assert!(!dir.join("one.csv").exists());

    // A hospital below the minimum batch (3 patients of EVC1): refused before extraction.
    let small = dir.join("small");
    for sub in ["images", "masks"] {
        std::fs::create_dir_all(small.join(sub)).expect("folders");
    }
    let clinical = std::fs::read_to_string(evc1.join("clinical.csv")).expect("clinical.csv");
    let mut lines = clinical.lines();
    let mut text = format!("{}\n", lines.next().expect("header"));
    for (k, w) in want.iter().take(3).enumerate() {
        let id = &w["id"];
        for sub in ["images", "masks"] {
            for e in std::fs::read_dir(evc1.join(sub)).expect("dir") {
                let p = e.expect("entry").path();
                if p.file_stem().is_some_and(|s| s == id.as_str()) {
                    std::fs::copy(&p, small.join(sub).join(p.file_name().expect("name")))
                        .expect("copy");
                }
            }
        }
        let line = clinical
            .lines()
            .find(|l| l.starts_with(&format!("{id},")) || l.starts_with(&format!("\"{id}\",")))
            .unwrap_or_else(|| panic!("row {k} of clinical.csv"));
        text.push_str(line);
        text.push('\n');
    }
    std::fs::write(small.join("clinical.csv"), text).expect("clinical.csv");
    let (code, err) = dlrn(&[
        "predict".as_ref(),
        "--model".as_ref(),
        model.as_os_str(),
        "--cohort".as_ref(),
        small.as_os_str(),
        "--out".as_ref(),
        dir.join("small.csv").as_os_str(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("3 patient(s) can be harmonised") && err.contains("at least 5"),
        "{err}"
    );
    // Nothing extracted, nothing written.
    assert!(!dir.join("small.csv.work").exists());
    assert!(!dir.join("small.csv").exists());

    // The outcome as a covariate is refused before any stage runs.
    let leaky = dir.join("leaky.toml");
    std::fs::write(
        &leaky,
        format!(
            "{text_cfg}\n[harmonize]\nmethod = \"combat\"\ncovariates = [\"ALN_status\"]\n",
            text_cfg = std::fs::read_to_string(&config).expect("config")
        ),
    )
    .expect("writing the config");
    let output = paper_command(&leaky, &dir.join("leaky"))
        .output()
        .expect("running xtask");
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        err.contains("harmonize.covariates") && err.contains("is the outcome"),
        "{err}"
    );
}
