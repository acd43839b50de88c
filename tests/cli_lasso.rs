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

/// `--r-seed 1` draws cv.glmnet's folds as R does after `set.seed(1)`, so
/// lambda.min and the coefficients are glmnet's own (oracle:
/// crates/lasso/tests/fixtures/rseed_cv_glmnet.csv, made with its table by
/// make_rseed_cv.R).
#[test]
fn r_seed_reproduces_cv_glmnet_after_set_seed() {
    let fixtures = root().join("crates/lasso/tests/fixtures");
    let text = std::fs::read_to_string(fixtures.join("rseed_cv_glmnet.csv"))
        .expect("the rseed_cv_glmnet.csv fixture");
    let oracle: std::collections::BTreeMap<String, String> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .skip(1)
        .filter_map(|l| l.split_once(','))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let num = |k: &str| -> f64 { oracle[k].parse().expect("a number") };
    let tmp = tempfile::tempdir().unwrap();
    let table = fixtures.join("rseed_cv.csv");
    let run = |extra: &[&str], out: &str| -> Value {
        let mut args = vec![
            "lasso",
            "--train",
            table.to_str().unwrap(),
            "--measure",
            "mse",
            "--out",
            out,
            "--json",
        ];
        args.extend_from_slice(extra);
        let o = dlrn(&args, tmp.path());
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice::<Value>(&o.stdout).expect("--json prints JSON")["model"].clone()
    };
    let model = run(&["--r-seed", "1"], "r.json");
    let lambda = model["lambda"].as_f64().unwrap();
    let want = num("lambda_min");
    assert!(
        ((lambda - want) / want).abs() < 1e-10,
        "lambda.min {lambda} vs glmnet {want}"
    );
    let features = model["features"].as_array().unwrap();
    let names: Vec<&str> = features
        .iter()
        .map(|f| f["feature"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["f_1", "f_2", "f_3"]);
    for f in features {
        let name = f["feature"].as_str().unwrap();
        let (got, w) = (f["coefficient"].as_f64().unwrap(), num(name));
        // glmnet's default thresh 1e-7 on both sides.
        assert!((got - w).abs() < 1e-5, "{name}: {got} vs glmnet {w}");
    }
    let intercept = model["intercept"].as_f64().unwrap();
    assert!((intercept - num("(Intercept)")).abs() < 1e-5, "{intercept}");
    // The CV curve itself depends on the folds: glmnet's cvm at every lambda
    // (the fits stop at thresh 1e-7 on both sides).
    let cvm: Vec<f64> = oracle["cvm"]
        .split(';')
        .map(|v| v.parse().unwrap())
        .collect();
    let got = model["path"]["cvm"].as_array().unwrap();
    assert_eq!(got.len(), cvm.len());
    for (g, w) in got.iter().zip(&cvm) {
        let g = g.as_f64().unwrap();
        assert!((g - w).abs() < 1e-6, "cvm {g} vs glmnet {w}");
    }
    // R's folds themselves, as glmnet recorded them.
    let foldid: Vec<usize> = oracle["foldid"]
        .split(';')
        .map(|v| v.parse().unwrap())
        .collect();
    assert_eq!(dlrn_lasso::cv_glmnet_foldid(1, foldid.len(), 10), foldid);

    // --r-seed conflicts with the ChaCha seed.
    let o = dlrn(
        &[
            "lasso",
            "--train",
            table.to_str().unwrap(),
            "--r-seed",
            "1",
            "--seed",
            "1",
            "--out",
            "x.json",
        ],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(2));
}
