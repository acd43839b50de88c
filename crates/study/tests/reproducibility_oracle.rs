//! Supplementary Table 6 against R (fixtures/make_reproducibility.R): the
//! frozen signature and DLRN (fitted here as glm fits it) applied to three
//! outlines of 20 patients give psych::ICC's ICC2 and 95% CI of the
//! signature score and of the DLRN probability; a study without re-outlines
//! says "not computed (no re-outlines)".

use dlrn_study::ClinicalSchema;
use dlrn_study::model::FittedModel;
use dlrn_study::pipeline::{
    Cohort, FeatureTable, SIGNATURE_COLUMN, model_design, reoutline_cohort, signature_scores,
    subset_cohort,
};
use dlrn_study::reproducibility::dlrn_reproducibility;

mod common;
use common::{fixture, labels};

/// The DLRN is an IRLS fit (to a relative deviance change of 1e-11 against
/// glm's 1e-14) and its probabilities feed the ICC: 1e-6, the issue's
/// tolerance for iterative parts; the score ICC has no iteration but shares it.
const TOL: f64 = 1e-6;

/// (first column, numeric columns) of a fixture CSV.
fn table(name: &str) -> (Vec<String>, Vec<Vec<f64>>) {
    let text = std::fs::read_to_string(fixture(name)).expect("the fixture");
    let mut ids = Vec::new();
    let mut cols: Vec<Vec<f64>> = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        ids.push(f[0].to_string());
        cols.resize(f.len() - 1, Vec::new());
        for (c, v) in cols.iter_mut().zip(&f[1..]) {
            c.push(v.parse().expect("a number"));
        }
    }
    (ids, cols)
}

fn signature() -> dlrn_lasso::SignatureModel {
    dlrn_lasso::SignatureModel {
        lambda: 0.01,
        lambda_choice: dlrn_lasso::LambdaChoice::Min,
        measure: dlrn_lasso::Measure::Auc,
        intercept: 0.1,
        features: vec![dlrn_lasso::FeatureCoefficient {
            feature: "sNRV".into(),
            coefficient: 1.5,
        }],
        path: dlrn_lasso::PathSummary {
            lambda: vec![0.01],
            df: vec![1],
            cvm: vec![0.7],
            cvsd: vec![0.01],
            lambda_min: 0.01,
            lambda_1se: 0.01,
            index_min: 1,
            index_1se: 1,
            n_folds: 5,
            n_rows: 300,
            n_features: 1,
        },
        inputs: vec![],
    }
}

#[test]
fn table6_matches_psych_icc_over_the_outlines() {
    let schema = ClinicalSchema::paper();
    let clinical = schema
        .read(&fixture("clinical_glm.csv"))
        .expect("the paper's schema reads the fixture");
    let labels = labels(&clinical);
    let (ids, cols) = table("reproducibility_features.csv");
    assert_eq!(ids, clinical.ids);
    let training = Cohort {
        name: "TC".into(),
        labels: labels.clone(),
        features: FeatureTable {
            ids: ids.clone(),
            labels: Some(labels.clone()),
            names: vec!["sNRV".into()],
            columns: cols,
        },
        clinical,
    };
    let sig = signature();
    let candidates = vec!["age".to_string(), "us_aln".to_string()];
    let scores = signature_scores(&sig, &training).expect("scores");
    let design = model_design(&schema, &training, &candidates, &scores).expect("design");
    let cols = vec![
        SIGNATURE_COLUMN.to_string(),
        "age".to_string(),
        "us_aln".to_string(),
    ];
    let dlrn = FittedModel::fit(&design, &cols, &labels).expect("the DLRN fit");

    let (sub_ids, re) = table("reproducibility_reoutlines.csv");
    let mut outlines = vec![subset_cohort(&training, &sub_ids, "masks").expect("subset")];
    for (name, col) in ["reader1_repeat", "reader2"].iter().zip(re) {
        let t = FeatureTable {
            ids: sub_ids.clone(),
            labels: None,
            names: vec!["sNRV".into()],
            columns: vec![col],
        };
        outlines.push(reoutline_cohort(&training, name, t).expect("re-outline"));
    }
    let t6 = dlrn_reproducibility(&schema, &sig, &candidates, &dlrn, &outlines, "ICC2", 0.95)
        .expect("Table 6");
    let expected = std::fs::read_to_string(fixture("reproducibility_expected.csv")).expect("R");
    let expected: Vec<Vec<&str>> = expected
        .lines()
        .filter(|l| !l.starts_with('#'))
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(t6.rows.len(), expected.len());
    for (r, e) in t6.rows.iter().zip(&expected) {
        assert_eq!(r.quantity, e[0]);
        assert_eq!(r.outlines, "masks+reader1_repeat+reader2");
        assert_eq!(r.n, 20);
        assert_eq!(r.note, "");
        for (got, want) in [(r.icc, e[1]), (r.ci_low, e[2]), (r.ci_high, e[3])] {
            let (got, want) = (got.expect("a value"), want.parse::<f64>().expect("R"));
            assert!(
                (got - want).abs() < TOL,
                "{}: {got} vs R {want}",
                r.quantity
            );
        }
    }

    // One outline only: nothing to compare, a noted row and no number.
    let t = dlrn_reproducibility(
        &schema,
        &sig,
        &candidates,
        &dlrn,
        &outlines[..1],
        "ICC2",
        0.95,
    )
    .expect("a noted table");
    assert!(
        t.rows
            .iter()
            .all(|r| r.icc.is_none() && r.note == "not computed (no re-outlines)")
    );
}
