//! Separation in the clinical model or the DLRN: maximum likelihood refuses
//! once, naming the remedy; `fit = "firth"` fits both by Firth's penalised
//! likelihood, with the coefficients of the firthlogist reference
//! (crates/stats/tests/fixtures/firth.json, case `endometrial`: NV separates
//! quasi-completely), and the bundle records the method.

use dlrn_study::model::{FitMethod, FittedModel};
use dlrn_study::pipeline::dlrn_stage;
use dlrn_study::{Design, StudyError};

fn endometrial() -> (Design, Vec<u8>, Vec<f64>) {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../stats/tests/fixtures/firth.json");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let case = v["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "endometrial")
        .unwrap()
        .clone();
    let x: Vec<Vec<f64>> = case["x"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            c.as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect()
        })
        .collect();
    let y: Vec<u8> = case["y"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as u8)
        .collect();
    let mut d = Design::new(y.len());
    // PI plays the signature, NV and EH two clinical columns.
    d.insert("nv", x[0].clone()).unwrap();
    d.insert("signature", x[1].clone()).unwrap();
    d.insert("eh", x[2].clone()).unwrap();
    let want: Vec<f64> = case["coefficients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    (d, y, want)
}

#[test]
fn separation_names_the_remedy_once_and_firth_fits() {
    let (d, y, want) = endometrial();
    let cols = vec!["nv".to_string(), "eh".to_string()];
    let e = FittedModel::fit(&d, &cols, &y).unwrap_err();
    assert!(matches!(e, StudyError::Fit { .. }));
    let text = e.to_string();
    assert!(text.contains("separation by `nv`"), "{text}");
    assert!(text.contains("fit = \"firth\""), "{text}");
    assert!(
        std::error::Error::source(&e).is_none(),
        "the cause is in the message, not repeated as a source"
    );
    assert_eq!(text.matches("separation").count(), 1, "{text}");

    let clinical = FittedModel::fit_with(&d, &cols, &y, FitMethod::Firth).unwrap();
    assert_eq!(clinical.method, FitMethod::Firth);
    // The DLRN (signature + the clinical columns) is estimated the same way:
    // here signature = PI, so the DLRN is firthlogist's endometrial model.
    let dlrn = dlrn_stage(&d, &y, &clinical).unwrap();
    assert_eq!(dlrn.method, FitMethod::Firth);
    assert_eq!(dlrn.columns, ["signature", "nv", "eh"]);
    let got: Vec<f64> = dlrn.fit.coefficients.iter().map(|c| c.estimate).collect();
    // Reference order: intercept, NV, PI, EH.
    for (g, w) in [got[0], got[2], got[1], got[3]].iter().zip(&want) {
        assert!((g - w).abs() < 1e-6, "{g} vs {w}");
    }
}
