//! What the oracle tests share: reading a fixture that an R (or Python)
//! script wrote, and comparing a number with R's.

use serde_json::Value;

/// Tolerance of closed forms, relative to max(1, |R|): the only differences
/// are summation order and R printing 17 digits.
pub const CLOSED: f64 = 1e-9;

/// A JSON fixture of tests/fixtures; a missing one fails the test.
pub fn fixture(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("fixture {} missing: {e}", path.display()));
    serde_json::from_str(&text).expect("fixture is JSON")
}

/// A number (JSON null, R's NA, as NaN).
pub fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

/// An array of numbers.
pub fn fv(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(f).collect()
}

/// Asserts `ours` is R's `r` within `tol` relative to max(1, |r|) (an
/// infinite `r` exactly).
#[track_caller]
pub fn close(ours: f64, r: f64, tol: f64, what: &str) {
    let ok = if r.is_infinite() {
        ours == r
    } else {
        (ours - r).abs() <= tol * r.abs().max(1.0)
    };
    assert!(ok, "{what}: ours {ours:.17e} vs R {r:.17e} (tol {tol:e})");
}
