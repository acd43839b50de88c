//! Arrays as `bytes` (native byte order, C order) and results as JSON.

use pyo3::prelude::*;
use pyo3::types::PyBytes;
use serde::Serialize;

use crate::errors::{IntoPy, bad_input};

/// The f64 values of `bytes` (the Python layer sends `float64` arrays).
pub fn f64s(name: &str, bytes: &[u8]) -> PyResult<Vec<f64>> {
    if !bytes.len().is_multiple_of(8) {
        return Err(bad_input(format!(
            "`{name}`: {} bytes is not a whole number of float64 values",
            bytes.len()
        )));
    }
    Ok(bytes
        .chunks_exact(8)
        .map(|c| {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            f64::from_ne_bytes(b)
        })
        .collect())
}

/// 0/1 labels from float64 values; anything else (NaN included) names its
/// 1-based row.
pub fn labels(name: &str, bytes: &[u8]) -> PyResult<Vec<u8>> {
    f64s(name, bytes)?
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            if v == 0.0 {
                Ok(0)
            } else if v == 1.0 {
                Ok(1)
            } else {
                Err(bad_input(format!(
                    "`{name}`, row {}: {v} is not 0 or 1",
                    i + 1
                )))
            }
        })
        .collect()
}

/// Checks that `n` values fill `rows × cols`.
pub fn check_len(name: &str, n: usize, rows: usize, cols: usize) -> PyResult<()> {
    if rows.checked_mul(cols) != Some(n) {
        return Err(bad_input(format!(
            "`{name}` holds {n} values, expected {rows} × {cols}"
        )));
    }
    Ok(())
}

/// f64 values as bytes for `numpy.frombuffer`.
pub fn f64_bytes<'py>(py: Python<'py>, values: &[f64]) -> Bound<'py, PyBytes> {
    let mut out = Vec::with_capacity(values.len() * 8);
    for v in values {
        out.extend_from_slice(&v.to_ne_bytes());
    }
    PyBytes::new(py, &out)
}

/// f32 values as bytes for `numpy.frombuffer`.
pub fn f32_bytes<'py>(py: Python<'py>, values: &[f32]) -> Bound<'py, PyBytes> {
    let mut out = Vec::with_capacity(values.len() * 4);
    for v in values {
        out.extend_from_slice(&v.to_ne_bytes());
    }
    PyBytes::new(py, &out)
}

/// A result as JSON text (the Python layer parses it).
pub fn json<T: Serialize>(value: &T) -> PyResult<String> {
    serde_json::to_string(value).py_err()
}
