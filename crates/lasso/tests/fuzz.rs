//! Property-based fuzzing of dlrn-lasso's entry points on arbitrary inputs:
//! matrices with NaN/Inf/huge values, labels outside 0/1, mismatched lengths,
//! fold settings of any size. The property: `Ok` or a typed [`LassoError`],
//! never a panic, and the two length checks that replaced silent truncation
//! (`auc`, `SignatureModel::try_score`) always fire. Cases per target: 64 by
//! default; `PROPTEST_CASES=N` runs N.

use dlrn_lasso::{
    Design, FeatureCoefficient, Folds, LambdaChoice, Measure, PathOptions, PathSummary,
    SignatureModel, auc, cross_validate, fit_path,
};
use proptest::prelude::*;
use proptest::test_runner::Config;

fn config() -> Config {
    dlrn_testdata::fuzz_config(64)
}

/// Mostly ordinary values, sometimes NaN, ±Inf, huge or tiny.
fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        8 => -3.0f64..3.0,
        1 => prop::sample::select(vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e300, -1e300, 5e-324, 0.0]),
    ]
}

fn model(k: usize) -> SignatureModel {
    SignatureModel {
        lambda: 0.1,
        lambda_choice: LambdaChoice::Min,
        measure: Measure::Deviance,
        intercept: 0.25,
        features: (0..k)
            .map(|j| FeatureCoefficient {
                feature: format!("f{j}"),
                coefficient: j as f64 - 1.0,
            })
            .collect(),
        path: PathSummary {
            lambda: vec![],
            df: vec![],
            cvm: vec![],
            cvsd: vec![],
            lambda_min: 0.1,
            lambda_1se: 0.1,
            index_min: 1,
            index_1se: 1,
            n_folds: 3,
            n_rows: 0,
            n_features: k,
        },
        inputs: vec![],
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn auc_pairs_or_refuses(y in prop::collection::vec(0u8..3, 0..40), s in prop::collection::vec(value(), 0..40)) {
        match auc(&y, &s) {
            Ok(a) => {
                prop_assert_eq!(y.len(), s.len());
                prop_assert!(a.is_nan() || (0.0..=1.0).contains(&a), "auc {}", a);
            }
            Err(_) => prop_assert_ne!(y.len(), s.len()),
        }
    }

    #[test]
    fn score_never_truncates(k in 0usize..6, values in prop::collection::vec(-5.0f64..5.0, 0..8)) {
        let m = model(k);
        match m.try_score(&values) {
            Ok(v) => {
                prop_assert_eq!(values.len(), k);
                let hand: f64 = 0.25 + values.iter().enumerate().map(|(j, x)| (j as f64 - 1.0) * x).sum::<f64>();
                prop_assert!((v - hand).abs() <= 1e-12 * hand.abs().max(1.0));
            }
            Err(_) => {
                prop_assert_ne!(values.len(), k);
                prop_assert!(m.score(&values).is_nan());
            }
        }
    }

    #[test]
    fn folds_assign_or_refuse(k in 0usize..15, n in 0usize..30, seed in any::<u64>(), r in any::<bool>()) {
        let folds = if r { Folds::R { k, seed: seed as i32 } } else { Folds::Seeded { k, seed } };
        if let Ok(ids) = folds.assign(n) {
            prop_assert_eq!(ids.len(), n);
            prop_assert!(k >= 3 && n >= k);
            for f in 1..=k {
                prop_assert!(ids.contains(&f));
            }
        }
    }

    #[test]
    fn fold_ids_checked(ids in prop::collection::vec(0usize..6, 0..20), n in 0usize..20) {
        if let Ok(a) = Folds::Ids(ids.clone()).assign(n) {
            prop_assert_eq!(a, ids);
        }
    }

    #[test]
    fn path_and_cv_on_arbitrary_data(
        n in 0usize..24,
        p in 1usize..4,
        cells in prop::collection::vec(-3.0f64..3.0, 96),
        poison in prop::option::of((any::<usize>(), value())),
        labels in prop::collection::vec(prop_oneof![9 => 0u8..2, 1 => 2u8..4], 26),
        extra in prop::option::weighted(0.1, 0usize..3),
        k in 0usize..8,
        measure in prop::sample::select(vec![Measure::Deviance, Measure::Mse, Measure::Class, Measure::Auc]),
    ) {
        // Mostly finite data (so the fits run); sometimes one odd cell.
        let mut data = cells[..n * p].to_vec();
        if let Some((at, v)) = poison
            && !data.is_empty()
        {
            let len = data.len();
            data[at % len] = v;
        }
        let Ok(x) = Design::column_major(&data, n, p) else { return Ok(()); };
        let opts = PathOptions { nlambda: 8, ..PathOptions::default() };
        // One label per row, or (sometimes) a few too many.
        let labels = &labels[..(n + extra.unwrap_or(0)).min(labels.len())];
        let _ = fit_path(&x, labels, &opts);
        let _ = cross_validate(&x, labels, &Folds::Seeded { k, seed: 1 }, measure, &opts);
    }
}
