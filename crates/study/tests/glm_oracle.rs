//! The study's clinical coding and model fit against R's glm
//! (fixtures/make_clinical_glm.R): the paper's schema reads the table,
//! codes location and subtype against their vocabulary's first level (UOQ,
//! luminal_a — not R's alphabetical first), BI-RADS and grade as scores,
//! US-ALN as suspicious = 1, drops the rows with a missing BMI, and the fit
//! gives glm's coefficients and standard errors.

use dlrn_study::model::backward_elimination;
use dlrn_study::{ClinicalSchema, code};

mod common;
use common::{fixture, labels};

/// IRLS to a relative deviance change of 1e-11 against glm's 1e-14: the
/// estimates agree far below this; 1e-6 is the requirement.
const TOL: f64 = 1e-6;

/// (name, estimate, std_error, p_value) rows of the R fixture.
fn expected() -> Vec<(String, f64, f64, f64)> {
    let text = std::fs::read_to_string(fixture("clinical_glm_expected.csv"))
        .expect("fixtures/clinical_glm_expected.csv (make_clinical_glm.R)");
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let num = |s: &str| s.parse::<f64>().expect("a number");
            (f[0].to_string(), num(f[1]), num(f[2]), num(f[3]))
        })
        .collect()
}

const PREDICTORS: [&str; 8] = [
    "age",
    "bmi",
    "birads",
    "location",
    "nuclear_grade",
    "subtype",
    "us_aln",
    "us_size_cm",
];

#[test]
fn study_coding_and_fit_give_glms_coefficients() {
    let schema = ClinicalSchema::paper();
    let data = schema
        .read(&fixture("clinical_glm.csv"))
        .expect("the fixture matches the paper's schema");
    let y = labels(&data);
    let vars: Vec<String> = PREDICTORS.iter().map(|s| s.to_string()).collect();
    let design = code(&schema, &data, &vars).unwrap();
    // keep_p = 1: elimination keeps every variable, the full model.
    let e = backward_elimination(&schema, &design, &vars, &y, 1.0).unwrap();
    assert!(e.dropped.is_empty());
    let fit = &e.model.fit;
    assert_eq!(fit.n, 285);
    assert_eq!(
        fit.n_dropped, 15,
        "rows with a missing BMI dropped as na.omit"
    );
    let want = expected();
    assert_eq!(fit.coefficients.len(), want.len());
    for (c, (name, est, se, p)) in fit.coefficients.iter().zip(&want) {
        assert_eq!(&c.name, name);
        assert!(
            (c.estimate - est).abs() < TOL,
            "{name}: {} vs R {est}",
            c.estimate
        );
        assert!(
            (c.std_error - se).abs() < TOL,
            "{name} SE: {} vs R {se}",
            c.std_error
        );
        assert!(
            (c.p_value - p).abs() < TOL,
            "{name} p: {} vs R {p}",
            c.p_value
        );
    }
    // Table 3 labels come from the schema.
    let t3 = dlrn_study::pipeline::table3(&schema, &e.model);
    let labels: Vec<&str> = t3.rows.iter().map(|r| r.factor.as_str()).collect();
    assert_eq!(labels[3], "Location: LOQ");
    assert_eq!(labels[9], "Molecular subtype: HER2-enriched");
}

#[test]
fn elimination_drops_the_weakest_until_all_pass() {
    let schema = ClinicalSchema::paper();
    let data = schema.read(&fixture("clinical_glm.csv")).unwrap();
    let y: Vec<u8> = data
        .outcome
        .as_ref()
        .unwrap()
        .iter()
        .map(|v| v.unwrap())
        .collect();
    let vars: Vec<String> = PREDICTORS.iter().map(|s| s.to_string()).collect();
    let design = code(&schema, &data, &vars).unwrap();
    let e = backward_elimination(&schema, &design, &vars, &y, 0.05).unwrap();
    // In the full model (fixture) the largest smallest-p is bmi's 0.60 → dropped first.
    assert_eq!(e.dropped[0].variable, "bmi");
    for d in &e.dropped {
        assert!(
            d.p_value >= 0.05,
            "{} dropped at p {}",
            d.variable,
            d.p_value
        );
    }
    for v in ["birads", "nuclear_grade", "us_aln"] {
        assert!(
            e.kept.iter().any(|k| k == v),
            "{v} kept (p < 0.005 in the full model)"
        );
    }
}
