//! The clinical model refitted in each cohort against R's glm
//! (fixtures/make_clinical_by_cohort.R): the training model's terms (age,
//! BI-RADS, US-ALN) refitted in two cohorts give glm's OR, Wald 95% CI and
//! P; a third cohort where US-ALN separates the outcome is one noted row,
//! not a crash and not a NaN.

use dlrn_study::model::FittedModel;
use dlrn_study::pipeline::clinical_by_cohort;
use dlrn_study::{ClinicalSchema, code};

mod common;
use common::{fixture, labels};

/// IRLS to a relative deviance change of 1e-11 against glm's 1e-14: 1e-6,
/// the tolerance for iterative parts.
const TOL: f64 = 1e-6;

#[test]
fn refits_match_glm_and_separation_is_a_noted_row() {
    let schema = ClinicalSchema::paper();
    let data = schema
        .read(&fixture("clinical_glm.csv"))
        .expect("the paper's schema reads the fixture");
    let y = labels(&data);
    let vars: Vec<String> = ["age", "birads", "us_aln"].map(String::from).to_vec();
    let full = code(&schema, &data, &vars).expect("coding");
    let training = FittedModel::fit(&full, &vars, &y).expect("the training model");
    let us = full.column("us_aln").expect("us_aln");
    // Cohort C: patients whose US-ALN call equals their outcome (separation).
    let sep: Vec<usize> = (0..y.len())
        .filter(|&i| us[i] == f64::from(y[i]))
        .take(40)
        .collect();
    let parts = [
        ("A", (0..150).collect::<Vec<usize>>()),
        ("B", (150..300).collect()),
        ("C", sep),
    ];
    let designs: Vec<_> = parts
        .iter()
        .map(|(_, rows)| code(&schema, &data.select(rows), &vars).expect("coding"))
        .collect();
    let labels: Vec<Vec<u8>> = parts
        .iter()
        .map(|(_, rows)| rows.iter().map(|&i| y[i]).collect())
        .collect();
    let cohorts: Vec<(&str, &dlrn_study::Design, &[u8])> = parts
        .iter()
        .zip(&designs)
        .zip(&labels)
        .map(|(((name, _), d), l)| (*name, d, l.as_slice()))
        .collect();
    let t = clinical_by_cohort(&schema, &training, &cohorts);

    let expected =
        std::fs::read_to_string(fixture("clinical_by_cohort_expected.csv")).expect("the R fixture");
    let expected: Vec<Vec<&str>> = expected
        .lines()
        .filter(|l| !l.starts_with('#'))
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let fitted: Vec<_> = t.rows.iter().filter(|r| r.cohort != "C").collect();
    assert_eq!(fitted.len(), expected.len());
    let labels_of = ["Age", "BI-RADS", "US-ALN"];
    for (r, e) in fitted.iter().zip(&expected) {
        assert_eq!(r.cohort, e[0]);
        let k = ["age", "birads", "us_aln"]
            .iter()
            .position(|t| *t == e[1])
            .expect("a term");
        assert!(r.term.starts_with(labels_of[k]), "{} vs {}", r.term, e[1]);
        assert_eq!(r.n.to_string(), e[2]);
        assert_eq!(r.note, "");
        for (got, want) in [
            (r.odds_ratio, e[3]),
            (r.or_ci_low, e[4]),
            (r.or_ci_high, e[5]),
            (r.p_value, e[6]),
        ] {
            let (got, want) = (got.expect("a value"), want.parse::<f64>().expect("R"));
            assert!(
                (got - want).abs() <= TOL * want.abs().max(1e-3),
                "{} {}: {got} vs R {want}",
                r.cohort,
                r.term
            );
        }
    }
    let c: Vec<_> = t.rows.iter().filter(|r| r.cohort == "C").collect();
    assert_eq!(c.len(), 1, "{c:?}");
    assert!(c[0].odds_ratio.is_none() && c[0].p_value.is_none());
    assert!(c[0].note.contains("separation"), "{}", c[0].note);
    assert!(t.note.contains("not reselected per cohort"), "{}", t.note);
}
