//! Property-based fuzzing of the statistics' public entry points on the
//! inputs a user's tables can carry into them: short, empty or unequal
//! slices, NaN, ±Inf, ±1e308, ties, labels other than 0/1, one class,
//! probabilities outside [0, 1], out-of-range levels, group and contingency
//! tables with empty groups or zero rows. The property: `Ok` or a typed
//! `StatsError`, never a panic or a hang. Cases: 64 by default;
//! `PROPTEST_CASES=N` runs N.

use dlrn_stats::*;
use proptest::prelude::*;
use proptest::test_runner::Config;

fn config() -> Config {
    dlrn_testdata::fuzz_config(64)
}

/// Mostly ordinary values, with ties and the awkward ones now and then.
fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        24 => -3.0f64..3.0,
        12 => 0.0f64..=1.0,
        8 => prop::sample::select(vec![0.0, 0.5, 1.0]),
        1 => prop::sample::select(vec![
            f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e308, -1e308, 1e-300, -0.0,
        ]),
    ]
}

fn values(max: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(value(), 0..max)
}

/// Mostly 0/1, sometimes another byte.
fn label() -> impl Strategy<Value = u8> {
    prop_oneof![60 => 0u8..=1, 1 => Just(2u8), 1 => Just(255u8)]
}

fn labels(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(label(), 0..max)
}

/// Labels and two value columns, usually of one length (as rows of one
/// table), sometimes not.
fn rows(max: usize) -> impl Strategy<Value = (Vec<u8>, Vec<f64>, Vec<f64>)> {
    prop_oneof![
        6 => (0..max).prop_flat_map(|n| (
            prop::collection::vec(label(), n),
            prop::collection::vec(value(), n),
            prop::collection::vec(value(), n),
        )),
        1 => (labels(max), values(max), values(max)),
    ]
}

/// A level: a proportion or confidence level, ordinary or not.
fn level() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => 0.5f64..0.999,
        1 => prop::sample::select(vec![0.0, 1.0, -0.5, 2.0, f64::NAN]),
    ]
}

fn counts_table() -> impl Strategy<Value = Vec<Vec<u64>>> {
    prop::collection::vec(prop::collection::vec(0u64..12, 0..4), 0..4)
}

fn ints(max: usize) -> impl Strategy<Value = Vec<i64>> {
    prop::collection::vec(
        prop_oneof![8 => 0i64..4, 1 => Just(-1i64), 1 => Just(99)],
        0..max,
    )
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn roc_family((y, a, b) in rows(30), lv in level(), cut in value()) {
        let _ = roc(&y, &a);
        let _ = auc(&y, &a);
        let _ = auc_delong(&y, &a, lv);
        let _ = delong_paired(&y, &a, &b, lv);
        let _ = delong_unpaired(&y, &a, &y, &b);
        let _ = auc_bootstrap_ci(&y, &a, 20, lv, 7);
        let _ = youden(&y, &a);
        let _ = confusion(&y, &a, cut);
    }

    #[test]
    fn calibration_and_decision(
        (y, p, q) in rows(30),
        g in 0usize..12,
        th in values(6),
        f in level(),
        cuts in values(4),
    ) {
        // Mostly probabilities (the logistic of the values), NaN and ±Inf kept.
        let to_p = |v: &[f64]| -> Vec<f64> {
            v.iter()
                .map(|&x| if x.is_finite() && x.abs() < 10.0 { 1.0 / (1.0 + (-x).exp()) } else { x })
                .collect()
        };
        let (p, q, th) = if g % 5 == 0 {
            (p, q, th)
        } else {
            (to_p(&p), to_p(&q), to_p(&th))
        };
        let _ = calibration(&y, &p);
        let _ = hosmer_lemeshow(&y, &p, g);
        let _ = decision_curve(&y, &p, &th);
        let _ = lowess(&p, &q, f, g % 4, None);
        let _ = improve_prob(&y, &p, &q);
        let _ = nri_categorical(&y, &p, &q, &cuts);
    }

    #[test]
    fn regression((y, x1, x2) in rows(25)) {
        let _ = logistic_fit(&[&x1], &["x1"], &y);
        let _ = logistic_fit(&[&x1, &x2], &["x1", "x2"], &y);
        let _ = logistic_fit(&[], &[], &y);
        let _ = univariate_screen(&[&x1, &x2], &["x1", "x2"], &y);
    }

    #[test]
    fn tests_of_groups(
        (_, x, y) in rows(25),
        z in values(10),
        equal in any::<bool>(),
        t in counts_table(),
        two in prop::array::uniform2(prop::array::uniform2(0u64..40)),
        k in 0u64..50,
        n in 0u64..50,
        lv in level(),
    ) {
        let _ = t_test(&x, &y, equal);
        let _ = mann_whitney(&x, &y);
        let _ = shapiro_wilk(&x);
        let groups: [&[f64]; 3] = [&x, &y, &z];
        let _ = welch_anova(&groups);
        let _ = kruskal_wallis(&groups);
        let _ = compare_continuous(&groups);
        let _ = compare_continuous(&[]);
        let as_f: Vec<Vec<f64>> = t.iter().map(|r| r.iter().map(|&v| v as f64).collect()).collect();
        let _ = chi_square(&as_f, equal);
        let _ = fisher_exact(two);
        let _ = fisher_exact_rxc(&t);
        let names: Vec<String> = (0..t.len()).map(|i| format!("L{i}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let _ = compare_categorical(&t, &names);
        let _ = binom_ci(k, n, lv);
    }

    #[test]
    fn agreement(
        (_, a, b) in rows(20),
        extra in values(20),
        ka in ints(20),
        kb in ints(20),
        lv in level(),
    ) {
        // A third rater of the same patients, usually.
        let c: Vec<f64> = if extra.len() % 4 == 0 {
            extra
        } else {
            a.iter().zip(&b).map(|(x, y)| 0.5 * (x + y)).collect()
        };
        let raters: [&[f64]; 3] = [&a, &b, &c];
        let _ = icc(&raters, lv);
        let _ = icc(&raters[..1], lv);
        let _ = cohen_kappa(&ka, &kb, lv);
        for w in [KappaWeights::Unweighted, KappaWeights::Linear, KappaWeights::Quadratic] {
            let _ = kappa_agreement(&ka, &kb, w, lv);
            let _ = kappa_agreement_levels(&ka, &kb, &[0, 1, 2, 3], w, lv);
            let _ = kappa_agreement_levels(&ka, &kb, &[], w, lv);
        }
    }

    #[test]
    fn coding(
        v in prop::collection::vec(
            prop::option::of(prop::sample::select(vec!["4A", "4B", "4C", "5", "x", ""])),
            0..12,
        ),
    ) {
        let v: Vec<Option<String>> = v.into_iter().map(|s| s.map(String::from)).collect();
        let _ = ordinal_code("birads", &v, &BIRADS_LEVELS);
        let _ = dummy_code("birads", &v, &BIRADS_LEVELS, "4A");
        let _ = dummy_code("birads", &v, &BIRADS_LEVELS, "none");
        let _ = ordinal_code("birads", &v, &[]);
    }
}
