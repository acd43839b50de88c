//! The schema-driven coding gives, column for column, the design the study
//! built before the schema existed (from dlrn-cohort's `Patient::ordinal`
//! and vocabulary-order dummies against the first level), so the default
//! study's Tables 2 and 3 keep their numbers.

use std::path::Path;

use dlrn_cohort::clinical::levels;
use dlrn_cohort::read_clinical;
use dlrn_study::{ClinicalSchema, code};

#[test]
fn paper_schema_codes_as_the_vocabulary_did() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clinical_glm.csv");
    let schema = ClinicalSchema::paper();
    let data = schema.read(&path).unwrap();
    let old = read_clinical(&path).unwrap().patients;
    let vars: Vec<String> = schema.variables.iter().map(|v| v.name.clone()).collect();
    let d = code(&schema, &data, &vars).unwrap();
    let same = |a: f64, b: f64| (a.is_nan() && b.is_nan()) || a == b;
    for (i, p) in old.iter().enumerate() {
        assert_eq!(data.ids[i], p.id);
        assert!(same(d.column("age").unwrap()[i], p.age));
        assert!(same(d.column("bmi").unwrap()[i], p.bmi.unwrap_or(f64::NAN)));
        assert!(same(d.column("us_size_cm").unwrap()[i], p.us_size_cm));
        for f in [
            "birads",
            "nuclear_grade",
            "er",
            "pr",
            "her2",
            "ki67",
            "us_aln",
        ] {
            assert_eq!(
                d.column(f).unwrap()[i],
                p.ordinal(f).unwrap(),
                "{f} row {i}"
            );
        }
        for f in ["location", "tumour_type", "subtype"] {
            let lv = levels(f).unwrap();
            for l in &lv[1..] {
                let want = f64::from(u8::from(p.category(f) == Some(*l)));
                assert_eq!(
                    d.column(&format!("{f}={l}")).unwrap()[i],
                    want,
                    "{f}={l} row {i}"
                );
            }
            assert!(
                d.column(&format!("{f}={}", lv[0])).is_err(),
                "no dummy for the reference"
            );
        }
    }
}
