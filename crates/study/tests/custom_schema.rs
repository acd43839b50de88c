//! A cohort whose schema adds a variable the paper did not use and drops
//! paper variables runs through the study stages with no code change: the
//! table is checked against the declared schema, the new variable is coded,
//! screened, fitted, labelled in Tables 1 and 3 and drawn on the nomogram.

use std::path::Path;

use dlrn_nomogram::NomogramOptions;
use dlrn_study::code;
use dlrn_study::nomogram::build_nomogram;
use dlrn_study::pipeline::{ClinicalSettings, clinical_stage, table3};
use dlrn_study::schema::schema_from_toml;
use dlrn_study::table1::{CohortClinical, table1};

const SCHEMA: &str = r#"
[outcome]
column = "ALN_status"
positive = "1"
negative = "0"
label = "ALN metastasis"

[[variable]]
name = "age"
label = "Age"
kind = "numeric"
range = [18, 100]
unit = "years"

[[variable]]
name = "lvi"
label = "Lymphovascular invasion"
kind = "binary"
levels = ["absent", "present"]
positive = "present"

[[variable]]
name = "t_stage"
label = "T stage"
kind = "ordinal"
levels = ["T1", "T2", "T3"]

[[variable]]
name = "location"
label = "Location"
kind = "nominal"
levels = ["UOQ", "LOQ", "UIQ", "LIQ", "central"]
reference = "central"
"#;

#[test]
fn new_variables_need_no_code() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clinical_glm.csv");
    let text = std::fs::read_to_string(fixture).unwrap();
    // Keep id, ALN_status, age, location; add lvi and t_stage derived from
    // the outcome and size so they carry signal (no paper column is needed).
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (id, y, age, loc, size) = (
        col("id"),
        col("ALN_status"),
        col("age"),
        col("location"),
        col("us_size_cm"),
    );
    let mut csv = String::from("id,ALN_status,age,location,lvi,t_stage\n");
    for (i, l) in lines.enumerate() {
        let f: Vec<&str> = l.split(',').collect();
        let s: f64 = f[size].parse().unwrap();
        let lvi = if (f[y] == "1") == (i % 3 != 0) {
            "present"
        } else {
            "absent"
        };
        let t = if s < 2.0 {
            "T1"
        } else if s < 3.5 {
            "T2"
        } else {
            "T3"
        };
        csv.push_str(&format!(
            "{},{},{},{},{lvi},{t}\n",
            f[id], f[y], f[age], f[loc]
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clinical.csv");
    std::fs::write(&path, csv).unwrap();

    let schema = schema_from_toml(SCHEMA, Path::new("schema.toml")).unwrap();
    let data = schema.read(&path).unwrap();
    let y: Vec<u8> = data
        .outcome
        .as_ref()
        .unwrap()
        .iter()
        .map(|v| v.unwrap())
        .collect();
    let vars: Vec<String> = ["age", "lvi", "t_stage", "location"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let design = code(&schema, &data, &vars).unwrap();
    let stage = clinical_stage(
        &schema,
        &design,
        &y,
        &ClinicalSettings {
            candidates: vars.clone(),
            screen_p: 1.0,
            keep_p: 1.0,
            fit: Default::default(),
        },
    )
    .unwrap();
    let t3: Vec<String> = table3(&schema, &stage.elimination.model)
        .rows
        .into_iter()
        .map(|r| r.factor)
        .collect();
    assert_eq!(
        t3,
        [
            "Age",
            "Lymphovascular invasion",
            "T stage",
            "Location: UOQ",
            "Location: LOQ",
            "Location: UIQ",
            "Location: LIQ",
        ]
    );
    let lvi = stage.elimination.model.fit.coefficient("lvi").unwrap();
    assert!(
        lvi.estimate > 0.0,
        "present (= 1) goes with ALN+ by construction"
    );

    let t1 = table1(
        &schema,
        &[CohortClinical {
            name: "TC",
            labels: &y,
            clinical: &data,
        }],
        &vars,
    )
    .unwrap();
    assert!(
        t1.rows
            .iter()
            .any(|r| r.characteristic == "T stage" && r.level == "T3")
    );
    let lp = stage.elimination.model.linear_predictor(&design).unwrap();
    let range = (
        lp.iter().copied().fold(f64::INFINITY, f64::min),
        lp.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    let n = build_nomogram(
        &schema,
        &stage.elimination.model,
        &design,
        &[],
        NomogramOptions::new(range),
        range,
    )
    .unwrap();
    let labels: Vec<&str> = n
        .model
        .predictors
        .iter()
        .map(|p| p.label.as_str())
        .collect();
    assert_eq!(
        labels,
        ["Age", "Lymphovascular invasion", "T stage", "Location"]
    );

    // A value the schema does not declare is an error naming row and column.
    let bad = std::fs::read_to_string(&path)
        .unwrap()
        .replacen(",T1\n", ",T4\n", 1);
    std::fs::write(&path, bad).unwrap();
    let problems = schema.read(&path).unwrap_err();
    let text = problems[0].to_string();
    assert!(
        text.contains("column `t_stage`: \"T4\" is not one of T1|T2|T3"),
        "{text}"
    );
}
