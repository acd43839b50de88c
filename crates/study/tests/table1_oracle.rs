//! Table 1 against R (fixtures/make_table1.R): the P of every variable
//! (Welch t-test for numbers, Pearson χ² without correction for
//! categories) on the oracle table split into a 200-patient "TC" and a
//! 100-patient "EVC", and the counts and labels of the categorical rows.

use std::path::Path;

use dlrn_report::Table1Cell;
use dlrn_study::ClinicalSchema;
use dlrn_study::table1::{CohortClinical, table1};

/// t and χ² p-values are closed forms over sums: R to 1e-9.
const CLOSED: f64 = 1e-9;

#[test]
fn table1_p_values_are_rs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let schema = ClinicalSchema::paper();
    let all = schema.read(&dir.join("clinical_glm.csv")).unwrap();
    let tc = all.select(&(0..200).collect::<Vec<_>>());
    let evc = all.select(&(200..300).collect::<Vec<_>>());
    let labels = |d: &dlrn_cohort::schema::ClinicalData| -> Vec<u8> {
        d.outcome
            .as_ref()
            .unwrap()
            .iter()
            .map(|v| v.unwrap())
            .collect()
    };
    let (ytc, yevc) = (labels(&tc), labels(&evc));
    let vars: Vec<String> = schema.variables.iter().map(|v| v.name.clone()).collect();
    let t = table1(
        &schema,
        &[
            CohortClinical {
                name: "TC",
                labels: &ytc,
                clinical: &tc,
            },
            CohortClinical {
                name: "EVC",
                labels: &yevc,
                clinical: &evc,
            },
        ],
        &vars,
    )
    .unwrap();
    let expected = std::fs::read_to_string(dir.join("table1_expected.csv")).unwrap();
    for line in expected.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let (var, p) = line.split_once(',').unwrap();
        let p: f64 = p.parse().unwrap();
        let label = &schema.variable(var).unwrap().label;
        let row = t
            .rows
            .iter()
            .find(|r| r.characteristic == *label && r.p_value.is_some())
            .unwrap_or_else(|| panic!("no P row for {var}"));
        let got = row.p_value.unwrap();
        assert!((got - p).abs() < CLOSED, "{var}: {got} vs R {p}");
    }
    // Every declared level has a row, in declared order, with its label.
    let grade: Vec<&str> = t
        .rows
        .iter()
        .filter(|r| r.characteristic == "Nuclear grade")
        .map(|r| r.level.as_str())
        .collect();
    assert_eq!(grade, ["I", "II", "III"]);
    // Counts add up to the cohort size.
    let birads_tc: u64 = t
        .rows
        .iter()
        .filter(|r| r.characteristic == "BI-RADS")
        .map(|r| match r.cells[0] {
            Table1Cell::Count { n, .. } => n,
            _ => 0,
        })
        .sum();
    assert_eq!(birads_tc, 200);
}
