//! The nomogram built from a fitted model and the schema: one axis per
//! variable, the levels and codes the coding uses, a nominal factor drawn as
//! rms draws one (the reference level at 0, each other level at its dummy's
//! coefficient, coefficient 1), and the model's linear predictor recovered
//! from the axes (hand check: Σ coefficient × code + intercept).

use dlrn_nomogram::{NomogramOptions, PredictorKind};
use dlrn_study::nomogram::build_nomogram;
use dlrn_study::{ClinicalSchema, FittedModel, code};

mod common;
use common::{fixture, labels};

#[test]
fn axes_follow_the_schema_and_the_fit() {
    let schema = ClinicalSchema::paper();
    let data = schema.read(&fixture("clinical_glm.csv")).unwrap();
    let y = labels(&data);
    let vars: Vec<String> = ["age", "birads", "subtype", "us_aln"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let design = code(&schema, &data, &vars).unwrap();
    let cols: Vec<String> = vars
        .iter()
        .flat_map(|v| dlrn_study::terms(schema.variable(v).unwrap()))
        .map(|t| t.name)
        .collect();
    let m = FittedModel::fit(&design, &cols, &y).unwrap();
    let lp = m.linear_predictor(&design).unwrap();
    let range = (
        lp.iter().copied().fold(f64::INFINITY, f64::min),
        lp.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    let n = build_nomogram(
        &schema,
        &m,
        &design,
        &[],
        NomogramOptions::new(range),
        range,
    )
    .unwrap();
    let model = &n.model;
    let names: Vec<&str> = model.predictors.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["age", "birads", "subtype", "us_aln"]);
    let coef = |name: &str| m.fit.coefficient(name).unwrap().estimate;
    // Age: continuous over the training range, unit from the schema.
    match &model.predictors[0].kind {
        PredictorKind::Continuous {
            low, high, unit, ..
        } => {
            let ages = match &data.columns[0] {
                dlrn_cohort::schema::VariableColumn::Numbers(v) => v.clone(),
                other => panic!("age column {other:?}"),
            };
            let lo = ages.iter().flatten().copied().fold(f64::INFINITY, f64::min);
            let hi = ages
                .iter()
                .flatten()
                .copied()
                .fold(f64::NEG_INFINITY, f64::max);
            assert_eq!((*low, *high), (lo, hi));
            assert_eq!(unit.as_deref(), Some("years"));
        }
        k => panic!("age axis {k:?}"),
    }
    // BI-RADS: levels 4A..5 at codes 1..4 with the score's coefficient.
    assert_eq!(model.predictors[1].coefficient, coef("birads"));
    match &model.predictors[1].kind {
        PredictorKind::Levels { levels } => {
            let l: Vec<(f64, &str)> = levels.iter().map(|l| (l.code, l.label.as_str())).collect();
            assert_eq!(l, [(1.0, "4A"), (2.0, "4B"), (3.0, "4C"), (4.0, "5")]);
        }
        k => panic!("birads axis {k:?}"),
    }
    // Subtype: reference luminal A at 0, the others at their coefficients.
    assert_eq!(model.predictors[2].coefficient, 1.0);
    match &model.predictors[2].kind {
        PredictorKind::Levels { levels } => {
            let l: Vec<(f64, &str)> = levels.iter().map(|l| (l.code, l.label.as_str())).collect();
            assert_eq!(
                l,
                [
                    (0.0, "luminal A"),
                    (coef("subtype=luminal_b"), "luminal B"),
                    (coef("subtype=her2"), "HER2-enriched"),
                    (coef("subtype=triple_negative"), "triple negative"),
                ]
            );
        }
        k => panic!("subtype axis {k:?}"),
    }
    // US-ALN: non-suspicious 0, suspicious 1.
    match &model.predictors[3].kind {
        PredictorKind::Levels { levels } => {
            assert_eq!(levels[0].code, 0.0);
            assert_eq!(levels[1].code, 1.0);
            assert_eq!(levels[1].label, "suspicious");
        }
        k => panic!("us_aln axis {k:?}"),
    }
    assert_eq!(model.intercept, m.fit.coefficients[0].estimate);
}
