//! Logistic regression by IRLS with the study's Table 3 output, and
//! univariate screening.

#![allow(clippy::needless_range_loop)] // dense p × p matrix code reads clearest with indices

use rayon::prelude::*;
use serde::Serialize;

use crate::check;
use crate::cholesky::{Cholesky, NanPivot};
use crate::dist::{p_normal_two_sided, pchisq_upper, qnorm};
use crate::error::{Result, StatsError};
use crate::roc::placements;

/// One row of the coefficient table (`summary(glm)` + Wald odds-ratio CI).
#[derive(Debug, Clone, Serialize)]
pub struct Coefficient {
    /// Predictor name; the intercept is `(Intercept)` as in R.
    pub name: String,
    /// Estimate (log odds ratio).
    pub estimate: f64,
    /// Standard error from the inverse Fisher information.
    pub std_error: f64,
    /// Wald z = estimate / se.
    pub z: f64,
    /// Two-sided Wald p-value.
    pub p_value: f64,
    /// exp(estimate).
    pub odds_ratio: f64,
    /// exp(estimate − z₀.₉₇₅·se) (= `exp(confint.default(fit))`).
    pub or_ci_low: f64,
    /// exp(estimate + z₀.₉₇₅·se).
    pub or_ci_high: f64,
}

/// A fitted binary logistic model (= `glm(y ~ ., family = binomial)` plus
/// `rms::lrm`'s LR χ², Nagelkerke R² and C-index).
#[derive(Debug, Clone, Serialize)]
pub struct LogisticFit {
    /// Rows used (complete cases).
    pub n: usize,
    /// Rows dropped for a missing (NaN) predictor, as `na.omit`.
    pub n_dropped: usize,
    /// Events (y = 1) among the rows used.
    pub events: usize,
    /// Intercept first, then the predictors in the order given.
    pub coefficients: Vec<Coefficient>,
    /// Residual deviance −2 log L.
    pub deviance: f64,
    /// Null (intercept-only) deviance.
    pub null_deviance: f64,
    /// Residual degrees of freedom n − p.
    pub df_residual: usize,
    /// AIC = deviance + 2p.
    pub aic: f64,
    /// Likelihood-ratio χ² = null deviance − deviance.
    pub lr_chisq: f64,
    /// Its degrees of freedom (number of predictors).
    pub lr_df: usize,
    /// Its p-value.
    pub lr_p_value: f64,
    /// Nagelkerke R² (= `rms::lrm` "R2").
    pub nagelkerke_r2: f64,
    /// C-index = AUC of the fitted probabilities (ties ½).
    pub c_index: f64,
    /// Brier score mean((p − y)²).
    pub brier: f64,
    /// IRLS iterations run.
    pub iterations: usize,
    /// Fitted probabilities of the rows used (in row order, NaN rows skipped).
    #[serde(skip)]
    pub fitted: Vec<f64>,
    /// Covariance matrix of the estimates (intercept first).
    #[serde(skip)]
    pub covariance: Vec<Vec<f64>>,
}

impl LogisticFit {
    /// The coefficient row of a predictor, by name.
    pub fn coefficient(&self, name: &str) -> Option<&Coefficient> {
        self.coefficients.iter().find(|c| c.name == name)
    }

    /// Linear predictor for one row of predictor values (in the fit's order).
    pub fn linear_predictor(&self, x: &[f64]) -> f64 {
        self.coefficients[0].estimate
            + self.coefficients[1..]
                .iter()
                .zip(x)
                .map(|(c, v)| c.estimate * v)
                .sum::<f64>()
    }
}

/// One univariate screening result.
#[derive(Debug, Clone, Serialize)]
pub struct ScreenRow {
    /// Predictor.
    pub predictor: String,
    /// Rows used.
    pub n: usize,
    /// The predictor's coefficient row.
    #[serde(flatten)]
    pub coefficient: Coefficient,
}

/// The solve of `a x = b` and the inverse of `a` (symmetric positive
/// definite) through [`Cholesky`]: a pivot at or below 1e-12 of its
/// diagonal entry is singular, a NaN one is carried on.
fn cholesky_solve_inverse(a: &[Vec<f64>], b: &[f64]) -> Option<(Vec<f64>, Vec<Vec<f64>>)> {
    let c = Cholesky::factor(a, 1e-12, NanPivot::Accept)?;
    Some((c.solve(b), c.inverse()))
}

fn binomial_deviance(y: &[f64], mu: &[f64]) -> f64 {
    -2.0 * y
        .iter()
        .zip(mu)
        .map(|(&yi, &m)| if yi == 1.0 { m.ln() } else { (1.0 - m).ln() })
        .sum::<f64>()
}

fn inv_logit(eta: f64) -> f64 {
    1.0 / (1.0 + (-eta).exp())
}

/// Single-predictor separation check: the classes' ranges do not overlap
/// (complete) or touch at one value (quasi-complete).
fn separated(x: &[f64], y: &[f64]) -> Option<&'static str> {
    let (mut lo0, mut hi0, mut lo1, mut hi1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for (&v, &yi) in x.iter().zip(y) {
        if yi == 1.0 {
            lo1 = lo1.min(v);
            hi1 = hi1.max(v);
        } else {
            lo0 = lo0.min(v);
            hi0 = hi0.max(v);
        }
    }
    if lo0 == hi0 && lo1 == hi1 && lo0 == lo1 {
        return None; // constant: singular, not separated
    }
    if hi0 < lo1 || hi1 < lo0 {
        Some("complete")
    } else if hi0 == lo1 || hi1 == lo0 {
        Some("quasi-complete")
    } else {
        None
    }
}

/// Complete-case rows of a binary logistic problem, with an intercept column.
pub(crate) struct Prepared {
    /// Row-major design, intercept first.
    pub(crate) x: Vec<Vec<f64>>,
    /// Outcomes of the rows used, as 0.0 / 1.0.
    pub(crate) yv: Vec<f64>,
    /// Rows dropped for a NaN predictor.
    pub(crate) n_dropped: usize,
    /// Events among the rows used.
    pub(crate) events: usize,
}

/// Validates a logistic problem (names, lengths, 0/1 labels, no ±∞, both
/// classes, more rows than coefficients) and keeps the complete cases.
pub(crate) fn prepare(columns: &[&[f64]], names: &[&str], y: &[u8]) -> Result<Prepared> {
    check::same_len(
        "predictor names",
        names.len(),
        "predictor columns",
        columns.len(),
    )?;
    let (_, _) = check::labels(y)?;
    for (c, name) in columns.iter().zip(names) {
        check::same_len(name, c.len(), "labels", y.len())?;
        if let Some(i) = c.iter().position(|v| v.is_infinite()) {
            return Err(StatsError::NonFinite {
                column: name.to_string(),
                row: i + 1,
                value: c[i],
            });
        }
    }
    let rows: Vec<usize> = (0..y.len())
        .filter(|&i| columns.iter().all(|c| !c[i].is_nan()))
        .collect();
    let n = rows.len();
    let n_dropped = y.len() - n;
    let p = columns.len() + 1;
    let yv: Vec<f64> = rows.iter().map(|&i| y[i] as f64).collect();
    let events = yv.iter().filter(|&&v| v == 1.0).count();
    if events == 0 || events == n {
        return Err(StatsError::TooFewPerClass {
            needed: 1,
            cases: events,
            controls: n - events,
        });
    }
    if n <= p {
        return Err(StatsError::TooFew {
            what: format!("logistic regression with {} coefficients", p),
            needed: p + 1,
            found: n,
        });
    }
    // Row-major design with intercept.
    let x: Vec<Vec<f64>> = rows
        .iter()
        .map(|&i| {
            std::iter::once(1.0)
                .chain(columns.iter().map(|c| c[i]))
                .collect()
        })
        .collect();
    Ok(Prepared {
        x,
        yv,
        n_dropped,
        events,
    })
}

/// Binary logistic regression by iteratively reweighted least squares, =
/// `glm(y ~ x1 + … + xk, family = binomial)` (McCullagh & Nelder 1989),
/// started as glm does (μ = (y + ½)/2) and iterated to a relative deviance
/// change below 1e-11 (tighter than glm's default 1e-8; the oracle uses
/// `glm.control(epsilon = 1e-14)`). `columns[j]` holds predictor `names[j]`
/// for every row; rows with NaN in any predictor are dropped (R's `na.omit`);
/// ±∞ is an error. Standard errors come from the inverse information at the
/// estimate; OR CIs are Wald (= `exp(confint.default(fit))`). Separation —
/// a predictor whose class ranges do not overlap, or fitted probabilities
/// running to 0/1 with diverging coefficients — is a `Separation` error.
pub fn logistic_fit(columns: &[&[f64]], names: &[&str], y: &[u8]) -> Result<LogisticFit> {
    let Prepared {
        x,
        yv,
        n_dropped,
        events,
    } = prepare(columns, names, y)?;
    let n = yv.len();
    let p = columns.len() + 1;
    for (j, name) in names.iter().enumerate() {
        let col: Vec<f64> = x.iter().map(|r| r[j + 1]).collect();
        if let Some(kind) = separated(&col, &yv) {
            return Err(StatsError::Separation {
                kind,
                predictors: format!("`{name}`"),
            });
        }
    }
    let mut mu: Vec<f64> = yv.iter().map(|&v| (v + 0.5) / 2.0).collect();
    let mut eta: Vec<f64> = mu.iter().map(|&m| (m / (1.0 - m)).ln()).collect();
    let mut dev_old = binomial_deviance(&yv, &mu);
    let mut beta = vec![0.0; p];
    let mut cov = vec![vec![0.0; p]; p];
    let mut converged = false;
    let mut iterations = 0;
    let mut change = f64::NAN;
    const MAX_IT: usize = 100;
    while iterations < MAX_IT {
        iterations += 1;
        let mut xtwx = vec![vec![0.0; p]; p];
        let mut xtwz = vec![0.0; p];
        for (i, row) in x.iter().enumerate() {
            let w = mu[i] * (1.0 - mu[i]);
            let z = eta[i] + (yv[i] - mu[i]) / w;
            for a in 0..p {
                let wa = w * row[a];
                xtwz[a] += wa * z;
                for b in 0..=a {
                    xtwx[a][b] += wa * row[b];
                }
            }
        }
        for a in 0..p {
            for b in 0..a {
                xtwx[b][a] = xtwx[a][b];
            }
        }
        let Some((new_beta, _)) = cholesky_solve_inverse(&xtwx, &xtwz) else {
            return Err(StatsError::Singular {
                what: "logistic regression".into(),
                detail: format!("predictors {}", names.join(", ")),
            });
        };
        beta = new_beta;
        for (i, row) in x.iter().enumerate() {
            eta[i] = row.iter().zip(&beta).map(|(a, b)| a * b).sum();
            mu[i] = inv_logit(eta[i]).clamp(f64::MIN_POSITIVE, 1.0 - f64::EPSILON / 2.0);
        }
        let dev = binomial_deviance(&yv, &mu);
        change = (dev - dev_old).abs() / (dev.abs() + 0.1);
        dev_old = dev;
        if change < 1e-11 {
            converged = true;
            break;
        }
    }
    let max_eta = eta.iter().fold(0.0_f64, |m, e| m.max(e.abs()));
    if !converged || dev_old < 1e-6 || max_eta > 30.0 {
        // Diverging fit: name the predictors with the largest standardised effect.
        let mut effects: Vec<(f64, &str)> = names
            .iter()
            .enumerate()
            .map(|(j, name)| {
                let col: Vec<f64> = x.iter().map(|r| r[j + 1]).collect();
                let mean = col.iter().sum::<f64>() / n as f64;
                let sd =
                    (col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0)).sqrt();
                ((beta[j + 1] * sd).abs(), *name)
            })
            .collect();
        effects.sort_by(|a, b| b.0.total_cmp(&a.0));
        let named: Vec<String> = effects
            .iter()
            .take(3)
            .map(|(_, n)| format!("`{n}`"))
            .collect();
        if max_eta > 30.0 || dev_old < 1e-6 {
            return Err(StatsError::Separation {
                kind: if dev_old < 1e-6 {
                    "complete"
                } else {
                    "quasi-complete"
                },
                predictors: named.join(", "),
            });
        }
        return Err(StatsError::NotConverged { iterations, change });
    }
    // Information at the estimate.
    let mut info = vec![vec![0.0; p]; p];
    for (i, row) in x.iter().enumerate() {
        let w = mu[i] * (1.0 - mu[i]);
        for a in 0..p {
            for b in 0..p {
                info[a][b] += w * row[a] * row[b];
            }
        }
    }
    if let Some((_, inv)) = cholesky_solve_inverse(&info, &vec![0.0; p]) {
        cov = inv;
    }
    Ok(summarise(
        names,
        &Prepared {
            x,
            yv,
            n_dropped,
            events,
        },
        &beta,
        mu,
        cov,
        iterations,
    ))
}

/// The coefficient table and fit statistics of a logistic model at `beta`
/// (fitted probabilities `mu`, covariance `cov`, intercept first): Wald
/// SEs, z, p and OR CIs; deviance, null deviance (intercept-only ML), LR χ²,
/// Nagelkerke R², C-index and Brier score.
pub(crate) fn summarise(
    names: &[&str],
    data: &Prepared,
    beta: &[f64],
    mu: Vec<f64>,
    cov: Vec<Vec<f64>>,
    iterations: usize,
) -> LogisticFit {
    let (yv, events, n_dropped) = (&data.yv, data.events, data.n_dropped);
    let n = yv.len();
    let p = beta.len();
    let dev_old = binomial_deviance(yv, &mu);
    let q = qnorm(0.975);
    let coefficients: Vec<Coefficient> = (0..p)
        .map(|j| {
            let se = cov[j][j].sqrt();
            let z = beta[j] / se;
            Coefficient {
                name: if j == 0 {
                    "(Intercept)".into()
                } else {
                    names[j - 1].to_string()
                },
                estimate: beta[j],
                std_error: se,
                z,
                p_value: p_normal_two_sided(z),
                odds_ratio: beta[j].exp(),
                or_ci_low: (beta[j] - q * se).exp(),
                or_ci_high: (beta[j] + q * se).exp(),
            }
        })
        .collect();
    let ybar = events as f64 / n as f64;
    let null_deviance = binomial_deviance(yv, &vec![ybar; n]);
    let deviance = dev_old;
    let lr_chisq = null_deviance - deviance;
    let nf = n as f64;
    let nagelkerke_r2 = (1.0 - (-lr_chisq / nf).exp()) / (1.0 - (-null_deviance / nf).exp());
    let labels_used: Vec<u8> = yv.iter().map(|&v| v as u8).collect();
    let c_index = placements(&labels_used, &mu, events, n - events).auc;
    let brier = mu
        .iter()
        .zip(yv.iter())
        .map(|(m, v)| (m - v).powi(2))
        .sum::<f64>()
        / nf;
    LogisticFit {
        n,
        n_dropped,
        events,
        coefficients,
        deviance,
        null_deviance,
        df_residual: n - p,
        aic: deviance + 2.0 * p as f64,
        lr_chisq,
        lr_df: p - 1,
        lr_p_value: pchisq_upper(lr_chisq, (p - 1) as f64),
        nagelkerke_r2,
        c_index,
        brier,
        iterations,
        fitted: mu,
        covariance: cov,
    }
}

/// Univariate logistic screening: one `logistic_fit` per predictor (each on
/// its own complete cases), in the order given, run in parallel (results do
/// not depend on the thread count). A predictor that fails (separation,
/// constant) fails the screen with its error.
pub fn univariate_screen(columns: &[&[f64]], names: &[&str], y: &[u8]) -> Result<Vec<ScreenRow>> {
    check::same_len(
        "predictor names",
        names.len(),
        "predictor columns",
        columns.len(),
    )?;
    columns
        .par_iter()
        .zip(names.par_iter())
        .map(|(c, name)| {
            let fit = logistic_fit(&[c], &[name], y)?;
            Ok(ScreenRow {
                predictor: name.to_string(),
                n: fit.n,
                coefficient: fit.coefficients[1].clone(),
            })
        })
        .collect()
}
