//! R's default RNG against R itself: `runif` after `set.seed`, `sample.int`
//! beyond 2^16, and cv.glmnet's folds `sample(rep(seq(nfolds), length = N))`
//! (fixtures/rrng.json, made by fixtures/make_rrng.R with R 4.2.2). Every
//! value must be equal bit for bit: R prints the uniforms with 17 significant
//! digits, which round-trips a double exactly.

use dlrn_lasso::{Folds, RRng, cv_glmnet_foldid};
use serde_json::Value;

fn fixture() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rrng.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("missing fixture {}: {e}", path.display()));
    serde_json::from_str(&text).expect("rrng.json is JSON")
}

fn ints(v: &Value) -> Vec<usize> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|x| x.as_u64().expect("an integer") as usize)
        .collect()
}

fn seed(case: &Value) -> i32 {
    case["seed"].as_i64().expect("seed") as i32
}

#[test]
fn runif_equals_r_bit_for_bit() {
    let fx = fixture();
    let cases = fx["runif"].as_array().expect("runif cases");
    assert!(cases.len() >= 5);
    for case in cases {
        let want: Vec<f64> = case["values"]
            .as_array()
            .expect("values")
            .iter()
            .map(|v| v.as_f64().expect("a number"))
            .collect();
        let mut r = RRng::set_seed(seed(case));
        for (i, w) in want.iter().enumerate() {
            let got = r.unif_rand();
            assert_eq!(
                got.to_bits(),
                w.to_bits(),
                "set.seed({}); runif draw {}: {got:e} vs R {w:e}",
                seed(case),
                i + 1
            );
        }
    }
}

#[test]
fn cv_glmnet_folds_equal_r() {
    let fx = fixture();
    let cases = fx["folds"].as_array().expect("fold cases");
    assert!(cases.len() >= 5);
    let mut seen_621 = false;
    for case in cases {
        let n = case["n"].as_u64().expect("n") as usize;
        let k = case["nfolds"].as_u64().expect("nfolds") as usize;
        let want = ints(&case["foldid"]);
        assert_eq!(want.len(), n);
        let got = cv_glmnet_foldid(seed(case), n, k);
        assert_eq!(got, want, "set.seed({}), N = {n}, nfolds = {k}", seed(case));
        // The same through the cross-validation's fold option.
        let via = Folds::R {
            k,
            seed: seed(case),
        }
        .assign(n)
        .expect("valid folds");
        assert_eq!(via, want);
        seen_621 |= seed(case) == 1 && n == 621;
    }
    assert!(seen_621, "the training cohort's size after set.seed(1)");
}

#[test]
fn sample_int_equals_r_beyond_16_bits() {
    let fx = fixture();
    for case in fx["sample_int"].as_array().expect("sample.int cases") {
        let n = case["n"].as_u64().expect("n") as usize;
        let size = case["size"].as_u64().expect("size") as usize;
        let got = RRng::set_seed(seed(case))
            .sample(n, size)
            .expect("size <= n");
        assert_eq!(
            got,
            ints(&case["values"]),
            "set.seed({}); sample.int({n}, {size})",
            seed(case)
        );
    }
}
