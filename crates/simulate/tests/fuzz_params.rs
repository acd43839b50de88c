//! Property-based fuzzing of `simulate` on edited parameter files (what
//! `dlrn simulate --params FILE` reads): one number of the default
//! parameters — any of them but the cohort sizes, counts and image sizes,
//! which only make a run long — set to 0, a negative, a tiny or a huge value,
//! then the whole study simulated at the smallest scale on 64×64 images. The
//! property: `Ok`, or a typed `SimError` naming the parameter, never a panic
//! or an endless loop. Cases: 16 by default (each simulates four cohorts);
//! `PROPTEST_CASES=N` runs N.

use dlrn_simulate::{SimParams, simulate};
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::Value;

fn config() -> Config {
    // Each case simulates a study: fewer cases and shrink steps than the other targets.
    Config {
        max_shrink_iters: 16,
        ..dlrn_testdata::fuzz_config(16)
    }
}

/// The default parameters on 64×64 images with a 10-patient ICC subset, as JSON.
fn base() -> Value {
    let mut p = SimParams::default();
    for c in &mut p.cohorts {
        c.scanner.width = 64;
        c.scanner.height = 64;
    }
    p.icc_patients = 10;
    p.preview_images = 4;
    serde_json::to_value(&p).expect("SimParams serialises")
}

/// JSON pointers of every number of `v`, except the sizes and counts.
fn numbers(v: &Value, at: String, out: &mut Vec<String>) {
    const SKIP: [&str; 6] = [
        "n",
        "positives",
        "width",
        "height",
        "icc_patients",
        "preview_images",
    ];
    match v {
        Value::Number(_) => {
            let last = at.rsplit('/').next().unwrap_or("");
            if !SKIP.contains(&last) {
                out.push(at);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                numbers(x, format!("{at}/{i}"), out);
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                numbers(x, format!("{at}/{k}"), out);
            }
        }
        _ => {}
    }
}

fn awkward() -> impl Strategy<Value = f64> {
    prop::sample::select(vec![
        0.0, -1.0, -1e6, 1e-300, 1e6, 1e300, -1e300, 0.5, 2.0, 100.0,
    ])
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn edited_parameters_simulate_or_give_a_typed_error(
        pick in any::<prop::sample::Index>(),
        v in awkward(),
        seed in 0u64..1000,
    ) {
        let mut p = base();
        let mut paths = Vec::new();
        numbers(&p, String::new(), &mut paths);
        let path = pick.get(&paths).clone();
        if let Some(x) = p.pointer_mut(&path) {
            *x = serde_json::json!(v);
        }
        // A value the field's type cannot hold (a fraction or a negative
        // for a count) is refused by serde: a typed error too.
        let Ok(params) = serde_json::from_value::<SimParams>(p) else {
            return Ok(());
        };
        let dir = tempfile::tempdir().expect("temporary folder");
        match simulate(&dir.path().join("sim"), &params, seed, 0.01, &|_| {}) {
            Ok(s) => prop_assert!(!s.cohorts.is_empty()),
            Err(e) => prop_assert!(!e.to_string().is_empty(), "{path} = {v}"),
        }
    }
}
