//! Table 1 as the paper's against R (fixtures/make_table1_paper.R): the
//! oracle table split into TC (150), EVC1 (80) and EVC2 (70); for the ALN
//! rate and every variable the test R's own calls choose (shapiro.test, then
//! t.test / oneway.test / wilcox.test / kruskal.test; chisq.test or
//! fisher.test) and its P, across all cohorts and TC against each EVC.

use std::path::Path;

use dlrn_cohort::schema::{ClinicalData, VariableColumn};
use dlrn_report::ReportTable;
use dlrn_study::ClinicalSchema;
use dlrn_study::baseline::{BaselineP, baseline_table};
use dlrn_study::table1::CohortClinical;

mod common;
use common::labels;

/// t, ANOVA, χ², Kruskal–Wallis and the normal-approximation Mann–Whitney are
/// closed forms; Fisher's network sums probabilities as R does: 1e-9.
const CLOSED: f64 = 1e-9;

fn fixture() -> (ClinicalSchema, Vec<ClinicalData>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let schema = ClinicalSchema::paper();
    let all = schema.read(&dir.join("clinical_glm.csv")).unwrap();
    let parts = [(0, 150), (150, 230), (230, 300)]
        .map(|(a, b)| all.select(&(a..b).collect::<Vec<_>>()))
        .to_vec();
    (schema, parts)
}

#[test]
fn tests_and_p_values_are_rs() {
    let (schema, parts) = fixture();
    let ys: Vec<Vec<u8>> = parts.iter().map(labels).collect();
    let names = ["TC", "EVC1", "EVC2"];
    let cohorts: Vec<CohortClinical<'_>> = (0..3)
        .map(|i| CohortClinical {
            name: names[i],
            labels: &ys[i],
            clinical: &parts[i],
        })
        .collect();
    let vars: Vec<String> = schema.variables.iter().map(|v| v.name.clone()).collect();
    let t = baseline_table(&schema, &cohorts, &vars).unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let expected = std::fs::read_to_string(dir.join("table1_paper_expected.csv")).unwrap();
    let mut checked = 0;
    for line in expected.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (var, comparison, test, p) = (f[0], f[1], f[2], f[3].parse::<f64>().unwrap());
        let label = if var == "ALN_status" {
            schema.outcome.label.clone()
        } else {
            schema.variable(var).unwrap().label.clone()
        };
        let ps = t
            .rows
            .iter()
            .find(|r| r.characteristic == label && r.ps.is_some())
            .and_then(|r| r.ps.as_ref())
            .unwrap_or_else(|| panic!("no P row for {var}"));
        let cell = match comparison {
            "all" => &ps.overall,
            "EVC1" => &ps.versus[0],
            "EVC2" => &ps.versus[1],
            other => panic!("{other}"),
        };
        let BaselineP::Tested(c) = cell else {
            panic!("{var} {comparison}: {cell:?}")
        };
        let got_test = serde_json::to_value(c.test).unwrap();
        assert_eq!(got_test, test, "{var} {comparison}: {}", c.reason);
        assert!(
            (c.p_value - p).abs() < CLOSED,
            "{var} {comparison}: {} vs R {p}",
            c.p_value
        );
        checked += 1;
    }
    assert_eq!(checked, 42);
    // The footnote states the rule; the CSV has a P and test per comparison.
    assert!(t.footnote.contains("Shapiro–Wilk"));
    let t = t.to_report();
    let h = t.csv_header();
    assert!(h.contains(&"p_TC_vs_EVC2".to_string()), "{h:?}");
    assert_eq!(t.csv_records()[0].len(), h.len());
}

#[test]
fn an_empty_cohort_level_is_tested_and_an_empty_cohort_is_noted() {
    let (schema, mut parts) = fixture();
    let ys: Vec<Vec<u8>> = parts.iter().map(labels).collect();
    let grade = schema
        .variables
        .iter()
        .position(|v| v.name == "nuclear_grade")
        .unwrap();
    let age = schema
        .variables
        .iter()
        .position(|v| v.name == "age")
        .unwrap();
    // EVC1: no grade I patient (moved to II); EVC2: every age missing.
    if let VariableColumn::Levels(v) = &mut parts[1].columns[grade] {
        for x in v.iter_mut() {
            if *x == Some(0) {
                *x = Some(1);
            }
        }
    }
    if let VariableColumn::Numbers(v) = &mut parts[2].columns[age] {
        v.iter_mut().for_each(|x| *x = None);
    }
    let names = ["TC", "EVC1", "EVC2"];
    let cohorts: Vec<CohortClinical<'_>> = (0..3)
        .map(|i| CohortClinical {
            name: names[i],
            labels: &ys[i],
            clinical: &parts[i],
        })
        .collect();
    let vars = vec!["nuclear_grade".to_string(), "age".to_string()];
    let t = baseline_table(&schema, &cohorts, &vars).unwrap();
    let row = |label: &str| {
        t.rows
            .iter()
            .find(|r| r.characteristic == label && r.ps.is_some())
            .and_then(|r| r.ps.clone())
            .unwrap()
    };
    let g = row("Nuclear grade");
    assert!(g.versus[0].p_value().is_some(), "{g:?}");
    let a = row("Age");
    assert!(a.versus[0].p_value().is_some());
    match &a.versus[1] {
        BaselineP::NotEstimable { reason } => assert!(reason.contains("EVC2"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(a.overall, BaselineP::NotEstimable { .. }));
    // No NaN anywhere in the CSV; the note says why.
    let t = t.to_report();
    let records = t.csv_records();
    assert!(records.iter().flatten().all(|c| !c.contains("NaN")));
    assert!(
        records
            .iter()
            .any(|r| r.last().unwrap().contains("not estimable")),
        "{records:?}"
    );
    let md = t.display().to_markdown();
    assert!(md.contains("n.e."), "{md}");
}
