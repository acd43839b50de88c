//! Fitted logistic models over named design columns, their prediction, the
//! univariate screen and backward elimination of the clinical model.

use dlrn_cohort::schema::ClinicalSchema;
use dlrn_stats::LogisticFit;
use serde::Serialize;

use crate::coding::{Design, terms};
use crate::error::{Result, StudyError};

/// Inverse logit 1 / (1 + e^−x) (R's `plogis`).
pub fn plogis(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

pub use dlrn_bundle::FitMethod;

/// A logistic model fitted on named design columns (= `glm(y ~ …, binomial)`,
/// or `logistf(y ~ …)` with [`FitMethod::Firth`]).
#[derive(Debug, Clone, Serialize)]
pub struct FittedModel {
    /// Design columns, in coefficient order (after the intercept).
    pub columns: Vec<String>,
    /// The fit (coefficients, covariance, deviance, rows dropped as `na.omit`).
    pub fit: LogisticFit,
    /// How it was estimated.
    #[serde(skip_serializing_if = "FitMethod::is_glm")]
    pub method: FitMethod,
}

impl FittedModel {
    /// Fits `y` on `columns` of `design` (rows with a NaN are dropped, as `na.omit`).
    pub fn fit(design: &Design, columns: &[String], y: &[u8]) -> Result<FittedModel> {
        Self::fit_with(design, columns, y, FitMethod::Glm)
    }

    /// As [`FittedModel::fit`], estimated by `method`.
    pub fn fit_with(
        design: &Design,
        columns: &[String],
        y: &[u8],
        method: FitMethod,
    ) -> Result<FittedModel> {
        let cols: Vec<&[f64]> = columns
            .iter()
            .map(|c| design.column(c))
            .collect::<Result<_>>()?;
        let names: Vec<&str> = columns.iter().map(String::as_str).collect();
        let fit = match method {
            FitMethod::Glm => dlrn_stats::logistic_fit(&cols, &names, y),
            FitMethod::Firth => {
                dlrn_stats::firth_fit(&cols, &names, y, &dlrn_stats::FirthControl::default())
            }
        }
        .map_err(|source| StudyError::Fit {
            model: names.join(" + "),
            cause: Box::new(source),
        })?;
        Ok(FittedModel {
            columns: columns.to_vec(),
            fit,
            method,
        })
    }

    /// Linear predictor per row (NaN where a column is missing), = `predict(fit, newdata)`.
    pub fn linear_predictor(&self, design: &Design) -> Result<Vec<f64>> {
        let cols: Vec<&[f64]> = self
            .columns
            .iter()
            .map(|c| design.column(c))
            .collect::<Result<_>>()?;
        Ok((0..design.n)
            .map(|i| {
                let x: Vec<f64> = cols.iter().map(|c| c[i]).collect();
                self.fit.linear_predictor(&x)
            })
            .collect())
    }

    /// Predicted probability per row, = `predict(fit, newdata, type = "response")`.
    pub fn probabilities(&self, design: &Design) -> Result<Vec<f64>> {
        Ok(self
            .linear_predictor(design)?
            .into_iter()
            .map(plogis)
            .collect())
    }
}

/// One variable's univariate logistic fit (Supplementary Table 2).
#[derive(Debug, Clone, Serialize)]
pub struct ScreenRow {
    /// Variable name.
    pub variable: String,
    /// Its display label.
    pub label: String,
    /// Rows used (complete cases).
    pub n: usize,
    /// Rows dropped for a missing value.
    pub n_dropped: usize,
    /// Per design column: (term, coefficient, OR, OR CI low, OR CI high, Wald p).
    pub terms: Vec<dlrn_stats::Coefficient>,
    /// The smallest Wald p over its terms (`None` when not fitted).
    pub p_value: Option<f64>,
    /// Whether it passed (p below the screen threshold).
    pub passed: bool,
    /// Why it could not be fitted (separation, a constant column), if so.
    pub error: Option<String>,
}

/// The univariate screen: one logistic fit per candidate variable on the training cohort.
#[derive(Debug, Clone, Serialize)]
pub struct Screen {
    /// The threshold (Wald p).
    pub threshold: f64,
    /// One row per candidate, in candidate order.
    pub rows: Vec<ScreenRow>,
}

impl Screen {
    /// The variables that passed.
    pub fn passed(&self) -> Vec<String> {
        self.rows
            .iter()
            .filter(|r| r.passed)
            .map(|r| r.variable.clone())
            .collect()
    }
}

fn variable_terms(schema: &ClinicalSchema, name: &str) -> Result<Vec<String>> {
    let (_, v) = crate::coding::declared_variable(schema, name)?;
    Ok(terms(v).into_iter().map(|t| t.name).collect())
}

/// Univariate screen as the study does it: each candidate alone (all its
/// dummies together), = `glm(y ~ x, binomial)` per variable on its complete
/// cases; it passes when its smallest Wald p is below `threshold`. A variable
/// whose fit does not exist (separation in a small level) fails with the reason.
pub fn univariate_screen(
    schema: &ClinicalSchema,
    design: &Design,
    candidates: &[String],
    y: &[u8],
    threshold: f64,
) -> Result<Screen> {
    univariate_screen_with(schema, design, candidates, y, threshold, FitMethod::Glm)
}

/// [`univariate_screen`] with each fit estimated by `method`.
pub fn univariate_screen_with(
    schema: &ClinicalSchema,
    design: &Design,
    candidates: &[String],
    y: &[u8],
    threshold: f64,
    method: FitMethod,
) -> Result<Screen> {
    let mut rows = Vec::with_capacity(candidates.len());
    for name in candidates {
        let cols = variable_terms(schema, name)?;
        let label = schema
            .variable(name)
            .map(|v| v.label.clone())
            .unwrap_or_default();
        match FittedModel::fit_with(design, &cols, y, method) {
            Ok(m) => {
                let p = m.fit.coefficients[1..]
                    .iter()
                    .map(|c| c.p_value)
                    .fold(f64::INFINITY, f64::min);
                rows.push(ScreenRow {
                    variable: name.clone(),
                    label,
                    n: m.fit.n,
                    n_dropped: m.fit.n_dropped,
                    terms: m.fit.coefficients[1..].to_vec(),
                    p_value: Some(p),
                    passed: p < threshold,
                    error: None,
                });
            }
            Err(StudyError::Fit { cause: source, .. }) => rows.push(ScreenRow {
                variable: name.clone(),
                label,
                n: 0,
                n_dropped: 0,
                terms: Vec::new(),
                p_value: None,
                passed: false,
                error: Some(source.to_string()),
            }),
            Err(e) => return Err(e),
        }
    }
    Ok(Screen { threshold, rows })
}

/// A variable dropped by backward elimination.
#[derive(Debug, Clone, Serialize)]
pub struct Dropped {
    /// Variable name.
    pub variable: String,
    /// Its smallest Wald p in the model it was dropped from.
    pub p_value: f64,
}

/// The multivariable clinical model after backward elimination.
#[derive(Debug, Clone, Serialize)]
pub struct Elimination {
    /// Variables kept, in candidate order.
    pub kept: Vec<String>,
    /// Variables dropped, in the order they were dropped.
    pub dropped: Vec<Dropped>,
    /// The final model.
    pub model: FittedModel,
}

/// Backward elimination on Wald p, as the study does: fit all `variables`,
/// drop the one whose smallest term p is largest while that p ≥ `keep_p` and
/// more than one variable is left (a variable with a term missing from the
/// fit counts as p = 1).
pub fn backward_elimination(
    schema: &ClinicalSchema,
    design: &Design,
    variables: &[String],
    y: &[u8],
    keep_p: f64,
) -> Result<Elimination> {
    backward_elimination_with(schema, design, variables, y, keep_p, FitMethod::Glm)
}

/// [`backward_elimination`] with each fit estimated by `method`.
pub fn backward_elimination_with(
    schema: &ClinicalSchema,
    design: &Design,
    variables: &[String],
    y: &[u8],
    keep_p: f64,
    method: FitMethod,
) -> Result<Elimination> {
    if variables.is_empty() {
        return Err(StudyError::NoVariables);
    }
    let mut kept: Vec<(String, Vec<String>)> = variables
        .iter()
        .map(|v| Ok((v.clone(), variable_terms(schema, v)?)))
        .collect::<Result<_>>()?;
    let mut dropped = Vec::new();
    loop {
        let cols: Vec<String> = kept.iter().flat_map(|(_, c)| c.clone()).collect();
        let m = FittedModel::fit_with(design, &cols, y, method)?;
        let worst = kept
            .iter()
            .enumerate()
            .map(|(i, (_, cs))| {
                let p = cs
                    .iter()
                    .map(|c| m.fit.coefficient(c).map(|k| k.p_value).unwrap_or(1.0))
                    .fold(f64::INFINITY, f64::min);
                (i, p)
            })
            .max_by(|a, b| a.1.total_cmp(&b.1));
        match worst {
            Some((i, p)) if p >= keep_p && kept.len() > 1 => {
                let (v, _) = kept.remove(i);
                dropped.push(Dropped {
                    variable: v,
                    p_value: p,
                });
            }
            _ => {
                return Ok(Elimination {
                    kept: kept.into_iter().map(|(v, _)| v).collect(),
                    dropped,
                    model: m,
                });
            }
        }
    }
}
