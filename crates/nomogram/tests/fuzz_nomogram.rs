//! Property-based fuzzing of nomogram construction and scoring on edited
//! models: one coefficient, range or option of the rms-oracle model of
//! tests/common set to an arbitrary or extreme value (0, ±1e308, NaN, ±Inf,
//! tiny), then `Nomogram::new`, `score`, `to_json`/`from_json` and the
//! calculator page. The property: `Ok` or a typed `NomogramError`, never a
//! panic, and a returned score's probability lies in [0, 1]. Cases: 64 by
//! default; `PROPTEST_CASES=N` runs N.

mod common;

use std::collections::BTreeMap;

use common::{fixture, model, options};
use dlrn_nomogram::{CalculatorOptions, Nomogram, Patient, PredictorKind};
use proptest::prelude::*;
use proptest::test_runner::Config;

fn config() -> Config {
    dlrn_testdata::fuzz_config(64)
}

fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => -10.0f64..10.0,
        1 => prop::sample::select(vec![
            0.0, -0.0, 1e308, -1e308, 1e-300, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e15,
        ]),
    ]
}

/// Which part of the model or options an edit changes.
#[derive(Debug, Clone)]
enum Edit {
    Intercept(f64),
    Coefficient(usize, f64),
    Low(usize, f64),
    High(usize, f64),
    LevelCode(usize, usize, f64),
    LpRange(f64, f64),
    Nint(usize),
    MaxPoints(f64),
    Cutoff(f64),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        value().prop_map(Edit::Intercept),
        (0usize..8, value()).prop_map(|(i, v)| Edit::Coefficient(i, v)),
        (0usize..8, value()).prop_map(|(i, v)| Edit::Low(i, v)),
        (0usize..8, value()).prop_map(|(i, v)| Edit::High(i, v)),
        (0usize..8, 0usize..6, value()).prop_map(|(i, j, v)| Edit::LevelCode(i, j, v)),
        (value(), value()).prop_map(|(a, b)| Edit::LpRange(a, b)),
        (0usize..40).prop_map(Edit::Nint),
        value().prop_map(Edit::MaxPoints),
        value().prop_map(Edit::Cutoff),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn edited_model_builds_or_errs(edits in prop::collection::vec(edit(), 1..3), xs in prop::collection::vec(value(), 8)) {
        let f = fixture();
        let mut m = model(&f, false);
        let mut o = options(&f, false);
        let n = m.predictors.len();
        for e in &edits {
            match *e {
                Edit::Intercept(v) => m.intercept = v,
                Edit::Coefficient(i, v) => m.predictors[i % n].coefficient = v,
                Edit::Low(i, v) => {
                    if let PredictorKind::Continuous { low, .. } = &mut m.predictors[i % n].kind {
                        *low = v;
                    }
                }
                Edit::High(i, v) => {
                    if let PredictorKind::Continuous { high, .. } = &mut m.predictors[i % n].kind {
                        *high = v;
                    }
                }
                Edit::LevelCode(i, j, v) => {
                    if let PredictorKind::Levels { levels } = &mut m.predictors[i % n].kind
                        && !levels.is_empty()
                    {
                        let k = levels.len();
                        levels[j % k].code = v;
                    }
                }
                Edit::LpRange(a, b) => o.lp_range = (a, b),
                Edit::Nint(k) => o.nint = k,
                Edit::MaxPoints(v) => o.max_points = v,
                Edit::Cutoff(v) => o.cutoff = Some(v),
            }
        }
        let names: Vec<String> = m.predictors.iter().map(|p| p.name.clone()).collect();
        let Ok(nom) = Nomogram::new(m, o) else { return Ok(()); };
        let patient = Patient {
            id: "P1".into(),
            values: names.into_iter().zip(xs).collect::<BTreeMap<_, _>>(),
        };
        if let Ok(s) = nom.score(&patient) {
            prop_assert!((0.0..=1.0).contains(&s.probability), "{:?}", s.probability);
        }
        if let Ok(json) = nom.to_json() {
            let _ = Nomogram::from_json(&json);
        }
        let _ = nom.calculator_html(&CalculatorOptions::default());
    }

    #[test]
    fn from_json_on_edited_text(k in any::<usize>(), byte in any::<u8>()) {
        let f = fixture();
        let nom = Nomogram::new(model(&f, false), options(&f, false)).unwrap();
        let mut json = nom.to_json().unwrap().into_bytes();
        let n = json.len();
        json[k % n] = byte;
        if let Ok(text) = String::from_utf8(json) {
            let _ = Nomogram::from_json(&text);
        }
    }
}
