//! Statistics on arrays (dlrn-stats): results as JSON of its serde structs.

use pyo3::prelude::*;

use crate::convert::{check_len, f64s, json, labels};
use crate::errors::{IntoPy, bad_input};

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(roc_auc, m)?)?;
    m.add_function(wrap_pyfunction!(roc_curve, m)?)?;
    m.add_function(wrap_pyfunction!(delong_test, m)?)?;
    m.add_function(wrap_pyfunction!(youden, m)?)?;
    m.add_function(wrap_pyfunction!(diagnostic_metrics, m)?)?;
    m.add_function(wrap_pyfunction!(icc, m)?)?;
    m.add_function(wrap_pyfunction!(improve_prob, m)?)?;
    m.add_function(wrap_pyfunction!(decision_curve, m)?)?;
    m.add_function(wrap_pyfunction!(calibration, m)?)?;
    m.add_function(wrap_pyfunction!(logistic, m)?)?;
    Ok(())
}

/// AUC with its DeLong CI (`pROC::ci.auc(method = "delong")`).
#[pyfunction]
fn roc_auc(y: &[u8], score: &[u8], level: f64) -> PyResult<String> {
    let (y, s) = (labels("y", y)?, f64s("score", score)?);
    json(&dlrn_stats::auc_delong(&y, &s, level).py_err()?)
}

/// The empirical ROC curve (`pROC::roc(direction = "<")`).
#[pyfunction]
fn roc_curve(y: &[u8], score: &[u8]) -> PyResult<String> {
    let (y, s) = (labels("y", y)?, f64s("score", score)?);
    json(&dlrn_stats::roc(&y, &s).py_err()?)
}

/// Paired DeLong test (`pROC::roc.test(method = "delong", paired = TRUE)`).
#[pyfunction]
fn delong_test(y: &[u8], a: &[u8], b: &[u8], level: f64) -> PyResult<String> {
    let (y, a, b) = (labels("y", y)?, f64s("a", a)?, f64s("b", b)?);
    json(&dlrn_stats::delong_paired(&y, &a, &b, level).py_err()?)
}

/// Youden cut-off (`pROC::coords(x = "best", best.method = "youden")`).
#[pyfunction]
fn youden(y: &[u8], score: &[u8]) -> PyResult<String> {
    let (y, s) = (labels("y", y)?, f64s("score", score)?);
    json(&dlrn_stats::youden(&y, &s).py_err()?)
}

/// Accuracy, sensitivity, specificity, PPV, NPV with exact CIs (`binom.test`).
#[pyfunction]
fn diagnostic_metrics(y: &[u8], score: &[u8], cutoff: f64, level: f64) -> PyResult<String> {
    let (y, s) = (labels("y", y)?, f64s("score", score)?);
    json(&dlrn_stats::diagnostic_metrics(&y, &s, cutoff, level).py_err()?)
}

/// Shrout–Fleiss ICCs of a subjects × raters matrix (`psych::ICC`); `x` is
/// row-major `subjects × raters`.
#[pyfunction]
fn icc(x: &[u8], subjects: usize, raters: usize, level: f64) -> PyResult<String> {
    let v = f64s("x", x)?;
    check_len("x", v.len(), subjects, raters)?;
    let cols: Vec<Vec<f64>> = (0..raters)
        .map(|j| (0..subjects).map(|i| v[i * raters + j]).collect())
        .collect();
    let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
    json(&dlrn_stats::icc(&refs, level).py_err()?)
}

/// IDI and continuous NRI (`Hmisc::improveProb`).
#[pyfunction]
fn improve_prob(y: &[u8], old: &[u8], new: &[u8]) -> PyResult<String> {
    let (y, a, b) = (labels("y", y)?, f64s("old", old)?, f64s("new", new)?);
    json(&dlrn_stats::improve_prob(&y, &a, &b).py_err()?)
}

/// Net benefit of a model and of treating all (decision curve analysis).
#[pyfunction]
#[pyo3(signature = (y, p, thresholds=None))]
fn decision_curve(y: &[u8], p: &[u8], thresholds: Option<&[u8]>) -> PyResult<String> {
    let (y, p) = (labels("y", y)?, f64s("p", p)?);
    let t = match thresholds {
        Some(t) => f64s("thresholds", t)?,
        None => dlrn_stats::default_thresholds(),
    };
    json(&dlrn_stats::decision_curve(&y, &p, &t).py_err()?)
}

/// Calibration: intercept and slope, Hosmer–Lemeshow, binned and lowess curves.
#[pyfunction]
fn calibration(y: &[u8], p: &[u8]) -> PyResult<String> {
    let (y, p) = (labels("y", y)?, f64s("p", p)?);
    json(&dlrn_stats::calibration(&y, &p).py_err()?)
}

/// Binary logistic regression (`glm(family = binomial)` with `rms::lrm`'s
/// extras); `x` is column-major `rows × names.len()`. Returns the fit as
/// JSON and its fitted probabilities and covariance (row-major) beside it.
#[pyfunction]
fn logistic(
    py: Python<'_>,
    x: &[u8],
    rows: usize,
    names: Vec<String>,
    y: &[u8],
) -> PyResult<(String, Vec<f64>, Vec<f64>)> {
    let v = f64s("X", x)?;
    check_len("X", v.len(), rows, names.len())?;
    let y = labels("y", y)?;
    if y.len() != rows {
        return Err(bad_input(format!(
            "`y` has {} values but `X` has {rows} rows; they must pair up row by row",
            y.len()
        )));
    }
    let cols: Vec<&[f64]> = if rows == 0 {
        vec![&[] as &[f64]; names.len()]
    } else {
        v.chunks(rows).collect()
    };
    let n: Vec<&str> = names.iter().map(String::as_str).collect();
    let fit = py
        .detach(|| dlrn_stats::logistic_fit(&cols, &n, &y))
        .py_err()?;
    let cov: Vec<f64> = fit.covariance.iter().flatten().copied().collect();
    Ok((json(&fit)?, fit.fitted.clone(), cov))
}
