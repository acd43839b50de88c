//! cv.glmnet-equivalent LASSO-logistic (dlrn-lasso), as `dlrn lasso` runs it.

use dlrn_lasso::{Design, Folds, LambdaChoice, Measure, PathOptions, SignatureModel};
use pyo3::prelude::*;

use crate::convert::{check_len, f64s, json, labels};
use crate::errors::{IntoPy, bad_input};

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(lasso_cv, m)?)?;
    Ok(())
}

fn measure(name: &str) -> PyResult<Measure> {
    Ok(match name {
        "deviance" => Measure::Deviance,
        "mse" => Measure::Mse,
        "class" => Measure::Class,
        "auc" => Measure::Auc,
        other => {
            return Err(bad_input(format!(
                "measure {other:?}: expected one of deviance, mse, class, auc (cv.glmnet's type.measure)"
            )));
        }
    })
}

/// Cross-validates the LASSO path on column-major `x` (`rows × names`).
/// Folds: `foldid` (1-based per row), else R's folds after `set.seed(r_seed)`,
/// else dlrn's seeded folds (`seed`, default 1), as `dlrn lasso`. Returns
/// JSON of the `CvResult` and of the models at lambda.min and lambda.1se.
#[pyfunction]
#[pyo3(signature = (x, rows, names, y, folds=10, seed=None, r_seed=None, foldid=None, measure_name="deviance", thresh=1e-7))]
#[allow(clippy::too_many_arguments)]
fn lasso_cv(
    py: Python<'_>,
    x: &[u8],
    rows: usize,
    names: Vec<String>,
    y: &[u8],
    folds: usize,
    seed: Option<u64>,
    r_seed: Option<i32>,
    foldid: Option<Vec<usize>>,
    measure_name: &str,
    thresh: f64,
) -> PyResult<(String, String, String)> {
    let v = f64s("X", x)?;
    check_len("X", v.len(), rows, names.len())?;
    let y = labels("y", y)?;
    if y.len() != rows {
        return Err(bad_input(format!(
            "`y` has {} values but `X` has {rows} rows; they must pair up row by row",
            y.len()
        )));
    }
    for (j, name) in names.iter().enumerate() {
        if let Some(i) = v[j * rows..(j + 1) * rows]
            .iter()
            .position(|x| !x.is_finite())
        {
            return Err(bad_input(format!(
                "`X`, row {}, column `{name}`: {} is not a finite number",
                i + 1,
                v[j * rows + i]
            )));
        }
    }
    let measure = measure(measure_name)?;
    let folds = match (foldid, r_seed) {
        (Some(ids), _) => Folds::Ids(ids),
        (None, Some(seed)) => Folds::R { k: folds, seed },
        (None, None) => Folds::Seeded {
            k: folds,
            seed: seed.unwrap_or(1),
        },
    };
    let opts = PathOptions {
        thresh,
        ..PathOptions::default()
    };
    let cv = py
        .detach(|| {
            let design = Design::column_major(&v, rows, names.len())?;
            dlrn_lasso::cross_validate(&design, &y, &folds, measure, &opts)
        })
        .py_err()?;
    let min = SignatureModel::from_cv(&cv, LambdaChoice::Min, &names, Vec::new());
    let se = SignatureModel::from_cv(&cv, LambdaChoice::OneSe, &names, Vec::new());
    Ok((json(&cv)?, json(&min)?, json(&se)?))
}
