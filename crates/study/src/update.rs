//! Updating a frozen DLRN for a new hospital (Steyerberg 2019, ch. 20;
//! Janssen et al. 2008): on the new cohort's outcomes `y` and the frozen
//! DLRN's linear predictor `lp`,
//! - **intercept** update (recalibration in the large): `glm(y ~
//!   offset(lp), binomial)`, the intercept shifted by a;
//! - logistic **recalibration**: `glm(y ~ lp, binomial)`, new intercept
//!   a + b·β₀ and every coefficient times b;
//! - model **refit** (revision): the DLRN's coefficients re-estimated on the
//!   new cohort, the signature and the clinical coding kept;
//!
//! and Vergouwe et al. (2017, Stat Med 36:4529)'s closed testing procedure
//! to choose among them at level α: (1) refit vs the original model
//! (likelihood ratio, p + 1 df); if not significant, keep the original;
//! else (2) refit vs the intercept update (p df); if not significant, the
//! intercept update; else (3) refit vs recalibration (p − 1 df); if not
//! significant, recalibration, else the refit. Each update is also tested
//! against the original model (1, 2 and p + 1 df), for the report.
//! The clinical model, the signature and the cut-offs stay as they were.

use dlrn_nomogram::{Nomogram, PredictorKind};
use serde::Serialize;

use crate::bundle::{Bundle, LogisticModel, UpdateTest};
use crate::bundling::LogisticModelFromFit;
use crate::error::{Result, StudyError};

/// An update method of Steyerberg's hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateMethod {
    /// Re-estimate the intercept (the linear predictor as an offset).
    Intercept,
    /// Re-estimate intercept and slope of the linear predictor.
    Recalibrate,
    /// Re-estimate every coefficient of the DLRN.
    Refit,
}

impl UpdateMethod {
    /// The name `dlrn update --method` takes.
    pub fn name(self) -> &'static str {
        match self {
            UpdateMethod::Intercept => "intercept",
            UpdateMethod::Recalibrate => "recalibrate",
            UpdateMethod::Refit => "refit",
        }
    }
}

impl std::str::FromStr for UpdateMethod {
    type Err = StudyError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "intercept" => Ok(UpdateMethod::Intercept),
            "recalibrate" => Ok(UpdateMethod::Recalibrate),
            "refit" => Ok(UpdateMethod::Refit),
            other => Err(StudyError::Invalid {
                message: format!(
                    "update method {other:?}: expected intercept, recalibrate or refit"
                ),
            }),
        }
    }
}

/// The update cohort: outcomes, the frozen DLRN's linear predictor and its
/// inputs (one row per patient, in the DLRN's column order).
#[derive(Debug, Clone)]
pub struct UpdateData {
    /// Outcomes (1 = ALN metastasis).
    pub y: Vec<u8>,
    /// The frozen DLRN's linear predictor.
    pub lp: Vec<f64>,
    /// The DLRN's inputs per patient.
    pub inputs: Vec<Vec<f64>>,
}

impl UpdateData {
    /// Checks the cohort can be used: both classes, equal lengths, finite values.
    pub fn check(&self, columns: usize) -> Result<()> {
        let n = self.y.len();
        let events = self.y.iter().filter(|&&v| v == 1).count();
        if n == 0 || events == 0 || events == n {
            return Err(StudyError::Invalid {
                message: format!(
                    "the update cohort has {n} labelled patients, {events} with ALN metastasis: \
                     updating needs both outcomes"
                ),
            });
        }
        if self.lp.len() != n || self.inputs.len() != n {
            return Err(StudyError::Invalid {
                message: "update cohort: outcomes, predictions and inputs differ in length".into(),
            });
        }
        if let Some(i) = self.inputs.iter().position(|r| r.len() != columns) {
            return Err(StudyError::Invalid {
                message: format!(
                    "update cohort: patient {} has {} DLRN inputs, the DLRN has {columns}",
                    i + 1,
                    self.inputs[i].len()
                ),
            });
        }
        if self.lp.iter().any(|v| !v.is_finite()) {
            return Err(StudyError::Invalid {
                message: "update cohort: a DLRN linear predictor is not finite".into(),
            });
        }
        Ok(())
    }
}

/// One fitted update.
#[derive(Debug, Clone, Serialize)]
pub struct Fitted {
    /// The method.
    pub method: UpdateMethod,
    /// Deviance −2 log L on the update cohort.
    pub deviance: f64,
    /// Parameters estimated (1, 2 or p + 1).
    pub parameters: usize,
    /// The updated DLRN.
    #[serde(skip)]
    pub model: LogisticModel,
    /// Intercept (shift a, or recalibration intercept), where it applies.
    pub intercept: Option<f64>,
    /// Its standard error.
    pub intercept_se: Option<f64>,
    /// Recalibration slope b.
    pub slope: Option<f64>,
    /// Its standard error.
    pub slope_se: Option<f64>,
}

/// −2 Σ [y·η − log(1 + e^η)]: the deviance of linear predictors η.
fn deviance(y: &[u8], eta: &[f64]) -> f64 {
    -2.0 * y
        .iter()
        .zip(eta)
        .map(|(&yi, &e)| {
            // log(1 + e^η) without overflow.
            let softplus = if e > 0.0 {
                e + (-e).exp().ln_1p()
            } else {
                e.exp().ln_1p()
            };
            f64::from(yi) * e - softplus
        })
        .sum::<f64>()
}

/// The original model's deviance on the update cohort (nothing estimated).
pub fn original_deviance(data: &UpdateData) -> f64 {
    deviance(&data.y, &data.lp)
}

/// `glm(y ~ offset(lp), binomial)`: the intercept shift a and its standard
/// error ([`dlrn_stats::offset_intercept`]).
fn offset_intercept(y: &[u8], lp: &[f64]) -> (f64, f64) {
    dlrn_stats::offset_intercept(y, lp)
}

fn stats(what: &str) -> impl FnOnce(dlrn_stats::StatsError) -> StudyError + '_ {
    move |source| StudyError::Stats {
        context: what.to_string(),
        source,
    }
}

/// Fits `method` on the update cohort for the frozen DLRN `dlrn`.
pub fn fit_update(dlrn: &LogisticModel, data: &UpdateData, method: UpdateMethod) -> Result<Fitted> {
    data.check(dlrn.columns.len())?;
    let y = &data.y;
    match method {
        UpdateMethod::Intercept => {
            let (a, se) = offset_intercept(y, &data.lp);
            let eta: Vec<f64> = data.lp.iter().map(|&v| v + a).collect();
            Ok(Fitted {
                method,
                deviance: deviance(y, &eta),
                parameters: 1,
                model: LogisticModel {
                    intercept: dlrn.intercept + a,
                    ..dlrn.clone()
                },
                intercept: Some(a),
                intercept_se: Some(se),
                slope: None,
                slope_se: None,
            })
        }
        UpdateMethod::Recalibrate => {
            let fit = dlrn_stats::logistic_fit(&[&data.lp], &["lp"], y)
                .map_err(stats("logistic recalibration glm(y ~ lp)"))?;
            let (a, b) = (fit.coefficients[0].estimate, fit.coefficients[1].estimate);
            Ok(Fitted {
                method,
                deviance: fit.deviance,
                parameters: 2,
                model: LogisticModel {
                    intercept: a + b * dlrn.intercept,
                    coefficients: dlrn.coefficients.iter().map(|c| b * c).collect(),
                    ..dlrn.clone()
                },
                intercept: Some(a),
                intercept_se: Some(fit.coefficients[0].std_error),
                slope: Some(b),
                slope_se: Some(fit.coefficients[1].std_error),
            })
        }
        UpdateMethod::Refit => {
            let p = dlrn.columns.len();
            if p + 1 >= y.len() {
                return Err(StudyError::Invalid {
                    message: format!(
                        "refitting the DLRN's {} coefficients needs more than {} labelled patients; \
                         the update cohort has {}",
                        p + 1,
                        p + 1,
                        y.len()
                    ),
                });
            }
            let cols: Vec<Vec<f64>> = (0..p)
                .map(|j| data.inputs.iter().map(|r| r[j]).collect())
                .collect();
            let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
            let names: Vec<&str> = dlrn.columns.iter().map(String::as_str).collect();
            let fit = dlrn_stats::logistic_fit(&refs, &names, y)
                .map_err(stats("refitting the DLRN on the update cohort"))?;
            Ok(Fitted {
                method,
                deviance: fit.deviance,
                parameters: p + 1,
                model: LogisticModel::from_fit(&fit, &dlrn.columns),
                intercept: None,
                intercept_se: None,
                slope: None,
                slope_se: None,
            })
        }
    }
}

/// The likelihood-ratio test of `larger` against `smaller` (deviances, df).
pub fn lr_test(comparison: &str, smaller: f64, larger: f64, df: usize) -> UpdateTest {
    let chi_square = (smaller - larger).max(0.0);
    UpdateTest {
        comparison: comparison.to_string(),
        chi_square,
        df,
        p_value: dlrn_stats::dist::pchisq_upper(chi_square, df as f64),
    }
}

/// The closed testing procedure's result.
#[derive(Debug, Clone, Serialize)]
pub struct ClosedTest {
    /// The chosen method (`None`: keep the original model).
    pub chosen: Option<UpdateMethod>,
    /// The procedure's tests, in the order run (each against the refit).
    pub steps: Vec<UpdateTest>,
    /// Each update against the original model (1, 2 and p + 1 df).
    pub against_original: Vec<UpdateTest>,
    /// The three fitted updates.
    pub fits: Vec<Fitted>,
    /// The original model's deviance.
    pub original_deviance: f64,
}

/// Vergouwe et al. (2017)'s closed testing procedure at level `alpha`.
pub fn closed_test(dlrn: &LogisticModel, data: &UpdateData, alpha: f64) -> Result<ClosedTest> {
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(StudyError::Invalid {
            message: format!("alpha {alpha} is not between 0 and 1"),
        });
    }
    let d0 = original_deviance(data);
    let int = fit_update(dlrn, data, UpdateMethod::Intercept)?;
    let rec = fit_update(dlrn, data, UpdateMethod::Recalibrate)?;
    let rev = fit_update(dlrn, data, UpdateMethod::Refit)?;
    let p1 = rev.parameters;
    let against_original = vec![
        lr_test("intercept vs original", d0, int.deviance, 1),
        lr_test("recalibrate vs original", d0, rec.deviance, 2),
        lr_test("refit vs original", d0, rev.deviance, p1),
    ];
    let mut steps = vec![lr_test("refit vs original", d0, rev.deviance, p1)];
    let chosen = if steps[0].p_value >= alpha {
        None
    } else {
        steps.push(lr_test(
            "refit vs intercept",
            int.deviance,
            rev.deviance,
            p1 - 1,
        ));
        if steps[1].p_value >= alpha {
            Some(UpdateMethod::Intercept)
        } else if p1 <= 2 {
            // A one-column DLRN: recalibration is the refit.
            Some(UpdateMethod::Refit)
        } else {
            steps.push(lr_test(
                "refit vs recalibrate",
                rec.deviance,
                rev.deviance,
                p1 - 2,
            ));
            if steps[2].p_value >= alpha {
                Some(UpdateMethod::Recalibrate)
            } else {
                Some(UpdateMethod::Refit)
            }
        }
    };
    Ok(ClosedTest {
        chosen,
        steps,
        against_original,
        fits: vec![int, rec, rev],
        original_deviance: d0,
    })
}

/// The DLRN nomogram redrawn for the updated DLRN `dlrn`: each axis takes
/// its column's new coefficient (a nominal factor's single axis its levels'
/// new effects), over the linear-predictor range `lp_range`.
pub fn updated_nomogram(
    old: &Nomogram,
    dlrn: &LogisticModel,
    lp_range: (f64, f64),
) -> Result<Nomogram> {
    let mut model = old.model.clone();
    model.intercept = dlrn.intercept;
    for p in &mut model.predictors {
        if let Some(j) = dlrn.columns.iter().position(|c| *c == p.name) {
            p.coefficient = dlrn.coefficients[j];
            continue;
        }
        let prefix = format!("{}=", p.name);
        let effects: Vec<f64> = dlrn
            .columns
            .iter()
            .zip(&dlrn.coefficients)
            .filter(|(c, _)| c.starts_with(&prefix))
            .map(|(_, b)| *b)
            .collect();
        match &mut p.kind {
            PredictorKind::Levels { levels } if levels.len() == effects.len() + 1 => {
                for (l, b) in levels[1..].iter_mut().zip(&effects) {
                    l.code = *b;
                }
                p.coefficient = 1.0;
            }
            _ => {
                return Err(StudyError::Invalid {
                    message: format!(
                        "the nomogram axis {:?} matches no column of the DLRN",
                        p.name
                    ),
                });
            }
        }
    }
    let mut options = old.options.clone();
    options.lp_range = lp_range;
    options.lp_at = None;
    Nomogram::new(model, options).map_err(|e| StudyError::Nomogram(Box::new(e)))
}

/// The parent bundle with its DLRN replaced by `fitted`'s (the nomogram
/// redrawn; for an intercept update or recalibration over the parent's
/// linear-predictor range mapped through a + b·lp, for a refit over the
/// update cohort's), recording `record`.
pub fn updated_bundle(
    parent: &Bundle,
    fitted: &Fitted,
    data: &UpdateData,
    record: crate::bundle::UpdateRecord,
    dlrn_version: &str,
    date: &str,
) -> Result<Bundle> {
    let (lo, hi) = parent.nomogram.options.lp_range;
    let lp_range = match fitted.method {
        UpdateMethod::Intercept => {
            let a = fitted.intercept.unwrap_or(0.0);
            (lo + a, hi + a)
        }
        UpdateMethod::Recalibrate => {
            let (a, b) = (fitted.intercept.unwrap_or(0.0), fitted.slope.unwrap_or(1.0));
            let (x, y) = (a + b * lo, a + b * hi);
            (x.min(y), x.max(y))
        }
        UpdateMethod::Refit => {
            let m = &fitted.model;
            let lps = data.inputs.iter().map(|r| {
                m.intercept
                    + m.coefficients
                        .iter()
                        .zip(r)
                        .map(|(b, x)| b * x)
                        .sum::<f64>()
            });
            lps.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
                (l.min(v), h.max(v))
            })
        }
    };
    let mut b = parent.clone();
    b.nomogram = updated_nomogram(&parent.nomogram, &fitted.model, lp_range)?;
    b.dlrn = fitted.model.clone();
    b.update = Some(record);
    b.provenance.dlrn_version = dlrn_version.to_string();
    b.provenance.date = date.to_string();
    b.check(std::path::Path::new("model"))
        .map_err(|e| StudyError::Other(Box::new(e)))?;
    Ok(b)
}
