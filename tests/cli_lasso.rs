//! End-to-end: `dlrn lasso` on the released EVC1 + EVC2 tables selects the
//! features glmnet 4.1-6 selects (crates/lasso/tests/fixtures/glmnet_evc.json,
//! made by crates/lasso/tests/oracle/make_glmnet_evc.R).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn data_dir() -> PathBuf {
    dlrn_testdata::require_aln_paper()
}

fn fixture() -> Value {
    let path = root().join("crates/lasso/tests/fixtures/glmnet_evc.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("missing fixture {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn names(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = match v {
        Value::Array(a) => a.iter().map(|x| x.as_str().unwrap().to_string()).collect(),
        Value::String(s) => vec![s.clone()],
        _ => panic!("not strings: {v}"),
    };
    out.sort();
    out
}

fn dlrn(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dlrn"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("running dlrn")
}

#[test]
#[ignore = "needs the released tables: see data/README.md"]
fn lasso_selects_glmnets_features_on_released_tables() {
    let fx = fixture();
    let tmp = tempfile::tempdir().unwrap();
    let evc1 = data_dir().join("EVC1.csv");
    let evc2 = data_dir().join("EVC2.csv");
    let (evc1, evc2) = (evc1.to_str().unwrap(), evc2.to_str().unwrap());

    // MSD holds NaN: refused by default, naming the column.
    let out = dlrn(
        &[
            "lasso",
            "--train",
            evc1,
            "--train",
            evc2,
            "--foldid-row-mod",
            "10",
            "--out",
            "m.json",
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`MSD`") && err.contains("--drop-na-columns"),
        "stderr: {err}"
    );
    assert!(!tmp.path().join("m.json").exists());

    for (measure, choice, key) in [("deviance", "min", "min"), ("auc", "1se", "one_se")] {
        let model = tmp.path().join(format!("{measure}_{choice}.json"));
        let plots = tmp.path().join(format!("plots_{measure}"));
        let out = dlrn(
            &[
                "lasso",
                "--train",
                evc1,
                "--train",
                evc2,
                "--drop-na-columns",
                "--foldid-row-mod",
                "10",
                "--measure",
                measure,
                "--lambda",
                choice,
                "--out",
                model.to_str().unwrap(),
                "--json",
                "--plots",
                plots.to_str().unwrap(),
            ],
            tmp.path(),
        );
        for f in [
            "lasso_path.svg",
            "lasso_path.png",
            "lasso_cv.svg",
            "lasso_cv.png",
        ] {
            assert!(plots.join(f).is_file(), "{f} not written");
        }
        assert!(
            out.status.success(),
            "stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let printed: Value =
            serde_json::from_slice(&out.stdout).expect("--json prints one JSON value");
        assert_eq!(printed["dropped_columns"], serde_json::json!(["MSD"]));
        let written: Value =
            serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
        assert_eq!(written, printed["model"]);
        let r = &fx["cv"][measure];
        let got: Vec<String> = {
            let mut v: Vec<String> = written["features"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["feature"].as_str().unwrap().to_string())
                .collect();
            v.sort();
            v
        };
        assert_eq!(
            got,
            names(&r[key]["features"]),
            "{measure} lambda.{choice}: selected set"
        );
        let want_lambda = r[if key == "min" {
            "lambda_min"
        } else {
            "lambda_1se"
        }]
        .as_f64()
        .unwrap();
        let lambda = written["lambda"].as_f64().unwrap();
        assert!(
            ((lambda - want_lambda) / want_lambda).abs() < 1e-10,
            "{lambda} vs {want_lambda}"
        );
        assert_eq!(written["measure"], measure);
        assert_eq!(written["inputs"].as_array().unwrap().len(), 2);
        assert_eq!(written["inputs"][0]["sha256"].as_str().unwrap().len(), 64);
    }
}
