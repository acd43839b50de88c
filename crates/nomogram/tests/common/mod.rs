//! The oracle fixture (tests/fixtures/nomogram.json, from
//! tests/oracle/make_nomogram.R) and the model it describes.
#![allow(dead_code)]

use std::collections::BTreeMap;

use dlrn_nomogram::{Level, LogisticModel, NomogramOptions, Patient, Predictor, PredictorKind};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Fixture {
    pub intercept: f64,
    pub coefficients: BTreeMap<String, f64>,
    pub lp_range: (f64, f64),
    pub full_range: BTreeMap<String, (f64, f64)>,
    pub default: NomFixture,
    pub explicit: NomFixture,
    pub lp_at: NomFixture,
    pub patients: Vec<PatientFixture>,
}

#[derive(Deserialize)]
pub struct Axis {
    pub x: Vec<f64>,
    pub points: Vec<f64>,
}

#[derive(Deserialize)]
pub struct Scale {
    pub x: Vec<f64>,
    pub x_real: Vec<f64>,
}

#[derive(Deserialize)]
pub struct NomFixture {
    pub predictors: BTreeMap<String, Axis>,
    pub total_points: Vec<f64>,
    pub lp: Scale,
    pub probability: Scale,
    pub sc: f64,
    pub axis_intercept: f64,
    pub lp_at: Vec<f64>,
    pub fun_at: Option<Vec<f64>>,
}

#[derive(Deserialize)]
pub struct PatientFixture {
    pub values: BTreeMap<String, f64>,
    pub points: BTreeMap<String, f64>,
    pub total: f64,
    pub lp: f64,
    pub probability: f64,
}

pub fn fixture() -> Fixture {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/nomogram.json");
    let text = std::fs::read_to_string(path)
        .expect("fixture tests/fixtures/nomogram.json (tests/oracle/make_nomogram.R)");
    serde_json::from_str(&text).expect("valid fixture")
}

pub const PREDICTORS: [&str; 5] = ["age", "birads", "grade", "us_aln", "signature"];

fn levels(pairs: &[(f64, &str)]) -> PredictorKind {
    PredictorKind::Levels {
        levels: pairs
            .iter()
            .map(|&(code, label)| Level {
                code,
                label: label.into(),
            })
            .collect(),
    }
}

/// The DLRN-shaped model of the fixture, with the paper's labels.
pub fn model(f: &Fixture, explicit: bool) -> LogisticModel {
    let c = |n: &str| f.coefficients[n];
    let (alo, ahi) = f.full_range["age"];
    let (slo, shi) = f.full_range["signature"];
    LogisticModel {
        intercept: f.intercept,
        predictors: vec![
            Predictor {
                name: "age".into(),
                label: "Age (years)".into(),
                coefficient: c("age"),
                kind: PredictorKind::Continuous {
                    low: alo,
                    high: ahi,
                    at: explicit.then(|| (0..13).map(|i| 25.0 + 5.0 * i as f64).collect()),
                    unit: Some("years".into()),
                },
            },
            Predictor {
                name: "birads".into(),
                label: "BI-RADS category".into(),
                coefficient: c("birads"),
                kind: levels(&[(1.0, "4A"), (2.0, "4B"), (3.0, "4C"), (4.0, "5")]),
            },
            Predictor {
                name: "grade".into(),
                label: "Nuclear grade".into(),
                coefficient: c("grade"),
                kind: levels(&[(1.0, "I"), (2.0, "II"), (3.0, "III")]),
            },
            Predictor {
                name: "us_aln".into(),
                label: "US-reported ALN status".into(),
                coefficient: c("us_aln"),
                kind: levels(&[(0.0, "non-suspicious"), (1.0, "suspicious")]),
            },
            Predictor {
                name: "signature".into(),
                label: "DLR signature".into(),
                coefficient: c("signature"),
                kind: PredictorKind::Continuous {
                    low: slo,
                    high: shi,
                    at: explicit.then(|| (-4..=4).map(f64::from).collect()),
                    unit: None,
                },
            },
        ],
    }
}

pub fn options(f: &Fixture, explicit: bool) -> NomogramOptions {
    let mut o = NomogramOptions::new(f.lp_range);
    o.outcome_label = "Probability of ALN metastasis".into();
    if explicit {
        o.probability_at = f.explicit.fun_at.clone();
    }
    o.cutoff = Some(0.407);
    o
}

pub fn patient(i: usize, p: &PatientFixture) -> Patient {
    Patient {
        id: format!("{}", i + 1),
        values: p.values.clone(),
    }
}
