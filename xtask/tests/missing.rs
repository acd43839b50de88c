//! The missing-value policy end to end: a tiny simulated study with missing
//! clinical values and undefined features (NaN injected into the extracted
//! tables) runs to its report, the missing-data table counts each value and
//! names the rule, each stored imputation value equals the training median
//! computed here by hand, and the bundle scores the real samples BUS01 and
//! BUS02 (crates/radiomics/tests/fixtures, committed with the BUSAT oracle).
//! A rule naming an unknown input stops the run before any work.
//!
//! Needs the `dlrn` binary next to xtask's (`cargo build -p dlrn`).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

mod common;
use common::study::{TINY_CANDIDATES, dlrn_bin, paper_command, run_paper, tiny_config_with};
use common::workspace;

fn rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(String::from))
                .collect()
        })
        .collect()
}

/// R's `median(x, na.rm = TRUE)`, by hand.
fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn dlrn(args: &[&str]) -> std::process::Output {
    Command::new(dlrn_bin())
        .args(args)
        .output()
        .expect("running dlrn")
}

/// Blanks column `column` of clinical.csv rows `rows` (0-based data rows).
fn blank(clinical: &Path, column: &str, blank_rows: &[usize]) {
    let text = std::fs::read_to_string(clinical).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let j = lines[0].split(',').position(|c| c == column).unwrap();
    for &i in blank_rows {
        let mut cells: Vec<String> = lines[i + 1].split(',').map(String::from).collect();
        cells[j] = String::new();
        lines[i + 1] = cells.join(",");
    }
    std::fs::write(clinical, lines.join("\n") + "\n").unwrap();
}

/// Sets `feature` to NaN at `at` (0-based rows) in the feature table `path`
/// (rewritten in place, as the extraction wrote it).
fn inject(path: &Path, feature: &str, at: &[usize]) -> Vec<f64> {
    let mut t = dlrn_study::pipeline::FeatureTable::read(path, "ALN_status").unwrap();
    let j = t.names.iter().position(|n| n == feature).unwrap();
    for &i in at {
        t.columns[j][i] = f64::NAN;
    }
    let rows: Vec<Vec<f64>> = (0..t.ids.len())
        .map(|i| t.columns.iter().map(|c| c[i]).collect())
        .collect();
    let labels: Option<Vec<Option<u8>>> = t
        .labels
        .as_ref()
        .map(|l| l.iter().map(|&v| Some(v)).collect());
    let mut df = dlrn_cohort::feature_frame(&t.ids, labels.as_deref(), &t.names, &rows).unwrap();
    dlrn_cohort::write_table(&mut df, path).unwrap();
    t.columns[j].clone()
}

fn table_of(feature: &str) -> &'static str {
    if dlrn_study::bundle::is_deep_feature(feature) {
        "deep"
    } else {
        "handcrafted"
    }
}

#[test]
fn a_rule_naming_an_unknown_input_stops_the_run_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tiny_config_with(tmp.path(), &TINY_CANDIDATES, &[]);
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\n[missing]\nrules = { MSDD = \"median\" }\n");
    std::fs::write(&config, text).unwrap();
    let out = paper_command(&config, &tmp.path().join("report"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("missing.rules.MSDD") && err.contains("neither a feature"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(!tmp.path().join("sim").exists(), "nothing was simulated");
}

#[test]
fn a_study_with_undefined_values_reports_them_and_its_bundle_imputes() {
    let tmp = tempfile::tempdir().unwrap();
    // BMI (declared `allow_missing`) joins the tiny study's four factors.
    let config = tiny_config_with(
        tmp.path(),
        &["age", "bmi", "birads", "nuclear_grade", "us_aln"],
        // Firth: with a fifth factor on 62 patients the DLRN may separate.
        &[
            ("simulated", "simulated = false"),
            ("fit", "fit = \"firth\""),
        ],
    );
    // The tiny study's cohorts, with more BMI values missing in TC and EVC1.
    let sim = tmp.path().join("sim");
    let st = dlrn(&[
        "simulate",
        "--out",
        sim.to_str().unwrap(),
        "--seed",
        "2024",
        "--scale",
        "0.1",
        "--params",
        tmp.path().join("params.json").to_str().unwrap(),
    ]);
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    blank(&sim.join("TC/clinical.csv"), "bmi", &[1, 4, 8]);
    blank(&sim.join("EVC1/clinical.csv"), "bmi", &[0]);
    let out = tmp.path().join("report");
    run_paper(&config, &out);

    // Undefined features: the first selected feature in two TC patients and
    // one EVC2 patient; a feature undefined in 20% of TC is dropped.
    let signature: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("signature.json")).unwrap())
            .unwrap();
    let f = signature["features"][0]["feature"]
        .as_str()
        .unwrap()
        .to_string();
    let feat = out.join("work/features");
    let tc_f = inject(
        &feat.join(format!("TC_{}.parquet", table_of(&f))),
        &f,
        &[0, 3],
    );
    inject(
        &feat.join(format!("EVC2_{}.parquet", table_of(&f))),
        &f,
        &[0],
    );
    let tc = dlrn_study::pipeline::FeatureTable::read(
        &feat.join("TC_handcrafted.parquet"),
        "ALN_status",
    )
    .unwrap();
    let n_tc = tc.ids.len();
    // A handcrafted feature the ICC filter kept (only those reach the LASSO).
    let kept: Vec<String> = rows(&out.join("icc.csv"))
        .into_iter()
        .filter(|r| r["kept"] == "1")
        .map(|r| r["feature"].clone())
        .collect();
    let g = tc
        .names
        .iter()
        .find(|n| **n != f && kept.contains(n))
        .unwrap()
        .clone();
    let k = n_tc / 5;
    inject(
        &feat.join("TC_handcrafted.parquet"),
        &g,
        &(0..k).collect::<Vec<_>>(),
    );
    run_paper(&config, &out);

    // The missing-data table: every value counted, with its rule.
    let table = rows(&out.join("missing_data.csv"));
    let find = |cohort: &str, input: &str| {
        table
            .iter()
            .find(|r| r["cohort"] == cohort && r["input"] == input)
            .unwrap_or_else(|| panic!("no {cohort}/{input} row in {table:?}"))
    };
    let median_f = median(&tc_f);
    let r = find("TC", &f);
    assert_eq!(
        (r["missing"].as_str(), r["kind"].as_str()),
        ("2", "feature")
    );
    assert_eq!(
        r["rule"],
        format!("imputed with the training median {median_f}")
    );
    assert_eq!(find("EVC2", &f)["missing"], "1");
    let r = find("TC", &g);
    assert_eq!(r["missing"], k.to_string());
    assert!(r["rule"].starts_with("dropped before the LASSO"), "{r:?}");
    let bmi = |c: &str| -> Vec<f64> {
        rows(&sim.join(c).join("clinical.csv"))
            .iter()
            .map(|r| r["bmi"].parse().unwrap_or(f64::NAN))
            .collect()
    };
    let tc_bmi = bmi("TC");
    let median_bmi = median(&tc_bmi);
    let r = find("TC", "bmi");
    let n_missing = tc_bmi.iter().filter(|v| v.is_nan()).count();
    assert!(n_missing >= 3);
    assert_eq!(r["missing"], n_missing.to_string());
    assert!(r["rule"].starts_with("fits: complete case"), "{r:?}");
    assert!(
        r["rule"].ends_with(&format!("scored with the training value {median_bmi}")),
        "{r:?}"
    );
    let evc1_missing = bmi("EVC1").iter().filter(|v| v.is_nan()).count();
    assert_eq!(find("EVC1", "bmi")["missing"], evc1_missing.to_string());
    let md = std::fs::read_to_string(out.join("missing_data.md")).unwrap();
    eprintln!("missing_data.md:\n{md}");
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(index.contains("Missing data"), "no section in index.html");
    let tripod = std::fs::read_to_string(out.join("tripod_ai.md")).unwrap();
    assert!(
        tripod.contains("dropped when undefined in more than 10% of the training patients"),
        "TRIPOD+AI item 11 does not state the rule"
    );
    // Table 1 counts the missing BMI values.
    let t1 = rows(&out.join("table1.csv"));
    assert!(
        t1.iter().any(|r| r.values().any(|v| v == "missing")),
        "table1.csv has no missing row"
    );
    // Every patient of every cohort has a probability.
    let preds = rows(&out.join("predictions.csv"));
    for c in ["TC", "EVC1", "EVC2", "EVC3"] {
        let n = rows(&sim.join(c).join("clinical.csv")).len();
        let got: Vec<_> = preds.iter().filter(|r| r["cohort"] == c).collect();
        assert_eq!(got.len(), n, "{c}");
        assert!(
            got.iter()
                .all(|r| r["p_dlrn"].parse::<f64>().unwrap().is_finite())
        );
    }

    // The bundle stores the training medians of its inputs.
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("model/missing.json")).unwrap())
            .unwrap();
    assert_eq!(stored["clinical"]["bmi"].as_f64(), Some(median_bmi));
    let tables: BTreeMap<&str, dlrn_study::pipeline::FeatureTable> = ["handcrafted", "deep"]
        .iter()
        .map(|k| {
            (
                *k,
                dlrn_study::pipeline::FeatureTable::read(
                    &feat.join(format!("TC_{k}.parquet")),
                    "ALN_status",
                )
                .unwrap(),
            )
        })
        .collect();
    for (name, v) in stored["features"].as_object().unwrap() {
        let col = tables[table_of(name)].column(name).unwrap();
        assert_eq!(v.as_f64(), Some(median(col)), "{name}");
    }

    // The real samples: BUS01 and BUS02 (NaN MSD) scored by the bundle.
    let fixtures = workspace().join("crates/radiomics/tests/fixtures");
    for id in ["BUS01", "BUS02"] {
        let p = tmp.path().join(format!("{id}.csv"));
        let (model, image, mask) = (
            out.join("model"),
            fixtures.join(format!("{id}.png")),
            fixtures.join(format!("{id}_mask.png")),
        );
        let args = [
            "predict",
            "--model",
            model.to_str().unwrap(),
            "--image",
            image.to_str().unwrap(),
            "--mask",
            mask.to_str().unwrap(),
            "--clinical",
            "age=52,bmi=NA,birads=4C,nuclear_grade=II,us_aln=suspicious",
            "--out",
            p.to_str().unwrap(),
        ];
        let o = dlrn(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        eprintln!("dlrn predict {id}:\n{err}");
        assert!(o.status.success(), "{err}");
        let r = &rows(&p)[0];
        assert!(r["p_dlrn"].parse::<f64>().unwrap().is_finite(), "{r:?}");
        assert!(
            r["warnings"].contains(&format!(
                "bmi is missing: imputed with the training median {median_bmi}"
            )),
            "{r:?}"
        );
        // --strict refuses the same patient.
        let strict: Vec<&str> = args.iter().copied().chain(["--strict"]).collect();
        let o = dlrn(&strict);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

/// The tiny study at the simulation's full strength: 62 training patients
/// are separated by the signature and the clinical factors, so no
/// maximum-likelihood DLRN exists (the clinical model alone fits). The
/// study goes on and says why, with the clinical model's own rows and the
/// TRIPOD+AI / RQS checklist; with `fit = "firth"` the clinical model and
/// the DLRN are fitted, and the bundle records it.
#[test]
fn a_separated_study_reports_without_its_models_and_firth_fits_them() {
    let tmp = tempfile::tempdir().unwrap();
    let full_strength = [("scale", "scale = 0.1")];
    let config = tiny_config_with(tmp.path(), &TINY_CANDIDATES, &full_strength);
    let out = tmp.path().join("report");
    let log = run_paper(&config, &out);
    assert!(log.contains("[skip]   DLRN: "), "{log}");
    assert_eq!(
        log.matches("separation by").count(),
        1,
        "printed once:\n{log}"
    );
    assert!(log.contains("fit = \"firth\""), "{log}");
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(index.contains("Models not fitted"), "index.html");
    assert!(index.contains("The DLRN could not be fitted"), "index.html");
    for f in [
        "table1.csv",
        "table2.csv",
        "table3.csv",
        "missing_data.csv",
        "figures/roc_TC.svg",
        "table1_tests.csv",
        "tripod_ai.md",
        "rqs.md",
        "checklist.html",
    ] {
        assert!(out.join(f).is_file(), "{f} is missing");
    }
    // The signature's rows and the clinical model's own, no DLRN row.
    let t2 = rows(&out.join("table2.csv"));
    let models: std::collections::BTreeSet<&str> = t2.iter().map(|r| r["model"].as_str()).collect();
    assert_eq!(
        models,
        ["Clinical", "Signature"].into_iter().collect(),
        "{t2:?}"
    );
    assert!(!out.join("model").exists(), "no bundle without the models");

    let firth = [("scale", "scale = 0.1"), ("fit", "fit = \"firth\"")];
    let config = tiny_config_with(tmp.path(), &TINY_CANDIDATES, &firth);
    let log = run_paper(&config, &out);
    assert!(!log.contains("[skip]   clinical model"), "{log}");
    let t2 = rows(&out.join("table2.csv"));
    assert!(t2.iter().any(|r| r["model"] == "DLRN"));
    let dl: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("model/dlrn.json")).unwrap())
            .unwrap();
    assert_eq!(dl["fit"], "firth");
    let cl: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("model/clinical.json")).unwrap())
            .unwrap();
    assert_eq!(cl["model"]["fit"], "firth");
}
