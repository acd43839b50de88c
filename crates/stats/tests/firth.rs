//! Firth's logistic regression against independent references: the
//! `firthlogist` package (fixtures/firth_reference.py wrote fixtures/firth.json,
//! converged to ~1e-12) to 1e-6, and R logistf's printed coefficients for its
//! `sex2` and `endometrial` examples (8 significant digits, logistf's default
//! convergence 1e-5) to 1e-6.

use dlrn_stats::{FirthControl, StatsError, firth_fit, logistic_fit};
use serde_json::Value;

const TOL: f64 = 1e-6;

fn fixture() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/firth.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("fixture {} missing: {e}", path.display()));
    serde_json::from_str(&text).expect("fixture is JSON")
}

fn fv(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

struct Case {
    name: String,
    columns: Vec<Vec<f64>>,
    names: Vec<String>,
    y: Vec<u8>,
    coefficients: Vec<f64>,
    std_errors: Vec<f64>,
    logistf: Option<Vec<f64>>,
}

fn cases() -> Vec<Case> {
    fixture()["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| Case {
            name: c["name"].as_str().unwrap().to_string(),
            columns: c["x"].as_array().unwrap().iter().map(fv).collect(),
            names: c["names"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_str().unwrap().to_string())
                .collect(),
            y: c["y"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as u8)
                .collect(),
            coefficients: fv(&c["coefficients"]),
            std_errors: fv(&c["std_errors"]),
            logistf: c.get("logistf").map(fv),
        })
        .collect()
}

fn fit(c: &Case) -> dlrn_stats::LogisticFit {
    let cols: Vec<&[f64]> = c.columns.iter().map(Vec::as_slice).collect();
    let names: Vec<&str> = c.names.iter().map(String::as_str).collect();
    firth_fit(&cols, &names, &c.y, &FirthControl::default())
        .unwrap_or_else(|e| panic!("{}: {e}", c.name))
}

#[test]
fn coefficients_and_standard_errors_equal_firthlogist() {
    let all = cases();
    assert_eq!(all.len(), 4);
    for c in &all {
        let f = fit(c);
        assert_eq!(f.coefficients.len(), c.coefficients.len(), "{}", c.name);
        let mut worst = (0.0_f64, 0.0_f64);
        for (k, (want_b, want_se)) in f
            .coefficients
            .iter()
            .zip(c.coefficients.iter().zip(&c.std_errors))
        {
            let (db, dse) = ((k.estimate - want_b).abs(), (k.std_error - want_se).abs());
            assert!(
                db < TOL,
                "{} {}: {} vs {want_b}",
                c.name,
                k.name,
                k.estimate
            );
            assert!(
                dse < TOL,
                "{} {}: se {} vs {want_se}",
                c.name,
                k.name,
                k.std_error
            );
            worst = (worst.0.max(db), worst.1.max(dse));
        }
        eprintln!(
            "{}: max |Δβ| = {:.2e}, max |ΔSE| = {:.2e}",
            c.name, worst.0, worst.1
        );
    }
}

#[test]
fn coefficients_equal_logistf_printed_values() {
    for c in cases() {
        let Some(want) = &c.logistf else { continue };
        let f = fit(&c);
        for (k, w) in f.coefficients.iter().zip(want) {
            assert!(
                (k.estimate - w).abs() < TOL,
                "{} {}: {} vs logistf {w}",
                c.name,
                k.name,
                k.estimate
            );
        }
    }
}

#[test]
fn separation_stops_maximum_likelihood_but_not_firth() {
    for c in cases()
        .into_iter()
        .filter(|c| c.name == "complete_separation" || c.name == "endometrial")
    {
        let cols: Vec<&[f64]> = c.columns.iter().map(Vec::as_slice).collect();
        let names: Vec<&str> = c.names.iter().map(String::as_str).collect();
        let ml = logistic_fit(&cols, &names, &c.y);
        assert!(
            matches!(ml, Err(StatsError::Separation { .. })),
            "{}: {ml:?}",
            c.name
        );
        let f = fit(&c);
        assert!(
            f.coefficients
                .iter()
                .all(|k| k.estimate.is_finite() && k.std_error.is_finite())
        );
    }
}

#[test]
fn missing_rows_are_dropped_and_infinities_refused() {
    let c = cases().into_iter().find(|c| c.name == "overlap").unwrap();
    let mut cols = c.columns.clone();
    cols[0].push(f64::NAN);
    cols[1].push(1.0);
    cols[2].push(0.5);
    let mut y = c.y.clone();
    y.push(1);
    let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
    let names: Vec<&str> = c.names.iter().map(String::as_str).collect();
    let f = firth_fit(&refs, &names, &y, &FirthControl::default()).unwrap();
    assert_eq!(f.n_dropped, 1);
    assert!((f.coefficients[1].estimate - c.coefficients[1]).abs() < TOL);
    cols[0][0] = f64::INFINITY;
    let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
    let e = firth_fit(&refs, &names, &y, &FirthControl::default()).unwrap_err();
    assert!(e.to_string().contains("age"), "{e}");
}
