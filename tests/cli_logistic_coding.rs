//! `dlrn logistic` codes clinical columns as the study does and gives R's
//! glm coefficients on the study's oracle table
//! (crates/study/tests/fixtures/make_clinical_glm.R): nominal factors
//! against the declared reference level (location UOQ, subtype luminal_a —
//! R's alphabetical default would take `central` and `her2`), ordinal scores,
//! binary 0/1, missing BMI dropped as na.omit. The same R numbers are checked
//! against the study library in crates/study/tests/glm_oracle.rs, so the two
//! give the same Table 3 on the same table.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// Iterative fits (IRLS): R's glm with epsilon 1e-14, to 1e-6.
const ITERATIVE: f64 = 1e-6;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/study/tests/fixtures")
        .join(name)
}

fn dlrn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dlrn"))
        .args(args)
        .output()
        .expect("running dlrn")
}

fn expected() -> Vec<(String, f64, f64)> {
    std::fs::read_to_string(fixture("clinical_glm_expected.csv"))
        .expect("clinical_glm_expected.csv")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[0].to_string(),
                f[1].parse().expect("estimate"),
                f[2].parse().expect("se"),
            )
        })
        .collect()
}

#[test]
fn logistic_uses_the_study_coding_and_matches_glm() {
    let data = fixture("clinical_glm.csv");
    let out = dlrn(&[
        "logistic",
        "--data",
        data.to_str().unwrap(),
        "--predictors",
        "age,bmi,birads,location,nuclear_grade,subtype,us_aln,us_size_cm",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON value");
    let coefs = v["fit"]["coefficients"].as_array().unwrap();
    let want = expected();
    assert_eq!(coefs.len(), want.len());
    for (c, (name, est, se)) in coefs.iter().zip(&want) {
        assert_eq!(c["name"], name.as_str());
        let got = c["estimate"].as_f64().unwrap();
        assert!((got - est).abs() < ITERATIVE, "{name}: {got} vs R {est}");
        let got = c["std_error"].as_f64().unwrap();
        assert!((got - se).abs() < ITERATIVE, "{name} SE: {got} vs R {se}");
    }
    assert_eq!(v["fit"]["n_dropped"], 15);
    let coding = v["coding"].as_array().unwrap();
    assert_eq!(coding[3]["coding"], "nominal, reference UOQ");
    assert_eq!(coding[5]["coding"], "nominal, reference luminal_a");
    assert_eq!(coding[6]["coding"], "binary suspicious=1, non-suspicious=0");
}

#[test]
fn reference_of_a_declared_variable_comes_from_the_schema() {
    let data = fixture("clinical_glm.csv");
    let out = dlrn(&[
        "logistic",
        "--data",
        data.to_str().unwrap(),
        "--predictors",
        "location",
        "--reference",
        "location=central",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("declared in the schema"), "{err}");

    // A schema file that declares central as the reference is honoured.
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("schema.toml");
    std::fs::write(
        &schema,
        "[[variable]]\nname = \"location\"\nlabel = \"Location\"\nkind = \"nominal\"\n\
         levels = [\"UOQ\", \"LOQ\", \"UIQ\", \"LIQ\", \"central\"]\nreference = \"central\"\n",
    )
    .unwrap();
    let out = dlrn(&[
        "logistic",
        "--data",
        data.to_str().unwrap(),
        "--predictors",
        "location",
        "--schema",
        schema.to_str().unwrap(),
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = v["fit"]["coefficients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "(Intercept)",
            "location=UOQ",
            "location=LOQ",
            "location=UIQ",
            "location=LIQ"
        ]
    );
}

#[test]
fn undeclared_level_is_an_error_naming_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.csv");
    std::fs::write(&p, "id,ALN_status,birads\nA,0,4A\nB,1,4D\nC,1,5\nD,0,4B\n").unwrap();
    let out = dlrn(&[
        "logistic",
        "--data",
        p.to_str().unwrap(),
        "--predictors",
        "birads",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("row 2, column `birads`: \"4D\" is not one of 4A|4B|4C|5"),
        "{err}"
    );
}
