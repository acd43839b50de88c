//! Binary logistic regression as `rms::lrm.fit` computes it (rms 6.5-0's
//! Fortran `lrmfit`: Newton–Raphson from the marginal log-odds, stopped on
//! the −2 log L change `eps = 0.025`, step-halving), and the rank and
//! dispersion indexes `rms` reports with it. `rms::val.prob`,
//! `rms::validate.lrm` and `rms::calibrate` all refit through `lrm.fit`, so
//! reproducing their numbers to 1e-10 needs its exact iterates, not a more
//! tightly converged MLE ([`crate::logistic_fit`] is that, = `glm`).

#![allow(clippy::needless_range_loop)] // dense p × p matrix code reads clearest with indices

use serde::Serialize;

use crate::check;
use crate::cholesky::{Cholesky, NanPivot};
use crate::error::{Result, StatsError};

/// `lrm.fit`'s defaults: `maxit = 12`, `eps = 0.025` (−2 log L change).
const MAXIT: usize = 12;
const DLIKE: f64 = 0.025;

/// A fit of `rms::lrm.fit(x, y)` (binary y, no penalty, no weights).
#[derive(Debug, Clone, Serialize)]
pub struct LrmFit {
    /// Observations ("Obs").
    pub n: usize,
    /// Intercept first, then one slope per column.
    pub coefficients: Vec<f64>,
    /// −2 log L of the intercept-only model (`deviance[1]`).
    pub null_deviance: f64,
    /// −2 log L at the estimate (`deviance[2]`).
    pub deviance: f64,
    /// "Model L.R." = null deviance − deviance.
    pub lr: f64,
    /// Nagelkerke "R2" = (1 − e^(−LR/n)) / (1 − e^(−L₀/n)).
    pub r2: f64,
    /// "Brier" of the fitted probabilities.
    pub brier: f64,
    /// "g": Gini's mean difference of the linear predictor.
    pub g: f64,
    /// "gp": Gini's mean difference of the fitted probabilities.
    pub gp: f64,
    /// Newton iterations run (`LLOGIT` evaluations before the final one).
    pub iterations: usize,
    /// Linear predictor of each row.
    #[serde(skip)]
    pub linear_predictor: Vec<f64>,
}

/// `lprob` of lrmfit.f: the logistic with its argument clamped to ±30.
fn lprob(bx: f64) -> f64 {
    1.0 / (1.0 + (-bx.clamp(-30.0, 30.0)).exp())
}

/// R's `plogis(x)` = 1 / (1 + exp(−x)).
pub(crate) fn plogis(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// R's `qlogis(p)` = log(p / (1 − p)).
pub(crate) fn qlogis(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// −2 log L of the intercept-only model: −2 Σ n_k log(n_k / n).
pub(crate) fn null_deviance(events: usize, n: usize) -> f64 {
    let (e, c, nf) = (events as f64, (n - events) as f64, n as f64);
    -2.0 * (c * (c / nf).ln() + e * (e / nf).ln())
}

/// −2 log L of the linear predictors `lp` as lrmfit.f's `LLOGIT` sums it
/// (`lprob` clamp, row order).
pub(crate) fn deviance_lp(y: &[u8], lp: &[f64]) -> f64 {
    let mut ll = 0.0;
    for (&yi, &x) in y.iter().zip(lp) {
        let p = lprob(x);
        ll += if yi == 1 { p.ln() } else { (1.0 - p).ln() };
    }
    -2.0 * ll
}

/// Nagelkerke R² from a likelihood-ratio χ² (as `lrm.fit`).
pub(crate) fn nagelkerke(lr: f64, null_dev: f64, n: usize) -> f64 {
    let nf = n as f64;
    (1.0 - (-lr / nf).exp()) / (1.0 - (-null_dev / nf).exp())
}

/// Gini's mean difference, = `Hmisc::GiniMd(x)`: Σ wᵢ·sort(x − x̄)ᵢ with
/// wᵢ = 4(i − (n − 1)/2) / (n(n − 1)), i = 1..n. NaN for n < 2.
pub fn gini_md(x: &[f64]) -> f64 {
    let n = x.len();
    if n < 2 {
        return f64::NAN;
    }
    let nf = n as f64;
    let mean = x.iter().sum::<f64>() / nf;
    let mut d: Vec<f64> = x.iter().map(|v| v - mean).collect();
    d.sort_by(f64::total_cmp);
    d.iter()
        .enumerate()
        .map(|(i, v)| 4.0 * ((i + 1) as f64 - (nf - 1.0) / 2.0) / nf / (nf - 1.0) * v)
        .sum()
}

/// Rank concordance of probabilities with a binary outcome as rms < 6.8's
/// `lrm.fit` computes it (lrmfit.f's `gcorr`): probabilities are binned into
/// 5001 cells `INT(5000·p + 1)` and pairs in one cell count as ties (½).
/// Returns (C, Dxy).
pub fn concordance_binned(y: &[u8], p: &[f64]) -> (f64, f64) {
    let mut table = vec![[0.0f64; 2]; 5001];
    for (&yi, &pi) in y.iter().zip(p) {
        let cell = ((5000.0 * pi + 1.0) as usize).clamp(1, 5001) - 1;
        table[cell][yi as usize] += 1.0;
    }
    let n1: f64 = table.iter().map(|c| c[1]).sum();
    let (mut con, mut dis, mut tie) = (0.0, 0.0, 0.0);
    let mut above = n1; // events in cells strictly above j1
    for cell in &table {
        above -= cell[1];
        let k = cell[0];
        if k > 0.0 {
            con += k * above;
            dis += k * (n1 - above - cell[1]);
            tie += k * cell[1];
        }
    }
    let fnn = con + dis + tie;
    ((con + 0.5 * tie) / fnn, (con - dis) / fnn)
}

/// Solves the symmetric positive-definite `a x = b` by [`Cholesky`]; None
/// when a pivot is at or below 1e-13 of its diagonal entry (rank
/// deficiency); a NaN pivot is carried on.
pub(crate) fn spd_solve(a: &[Vec<f64>], b: &[f64]) -> Option<Vec<f64>> {
    Cholesky::factor(a, 1e-13, NanPivot::Accept).map(|c| c.solve(b))
}

/// −2 log L, score and information at `beta` (lrmfit.f `LLOGIT`, kint = 1).
fn llogit(beta: &[f64], x: &[&[f64]], y: &[u8]) -> (f64, Vec<f64>, Vec<Vec<f64>>) {
    let p = beta.len();
    let mut u = vec![0.0; p];
    let mut v = vec![vec![0.0; p]; p];
    let mut ll = 0.0;
    let mut c = vec![1.0; p];
    for (r, &yi) in y.iter().enumerate() {
        let mut bx = 0.0;
        for i in 0..p {
            c[i] = if i == 0 { 1.0 } else { x[i - 1][r] };
            bx += beta[i] * c[i];
        }
        let pr = lprob(bx);
        let w = pr * (1.0 - pr);
        let dy = f64::from(yi);
        ll += if yi == 1 { pr.ln() } else { (1.0 - pr).ln() };
        for i in 0..p {
            u[i] += (dy - pr) * c[i];
            for j in 0..=i {
                v[i][j] += w * c[i] * c[j];
            }
        }
    }
    for i in 0..p {
        for j in 0..i {
            v[j][i] = v[i][j];
        }
    }
    (-2.0 * ll, u, v)
}

/// `rms::lrm.fit(x, y)` for a binary outcome, without penalty or weights,
/// as rms 6.5-0 iterates it: start at (logit ȳ, 0, …), Newton steps,
/// step-halving when −2 log L rises, stop one step after the change falls
/// to `eps = 0.025` or when max |score| < 1e-9, at most `maxit − 1 = 11`
/// steps. A fit that diverges or is singular is an error (R returns
/// `fail = TRUE`). `columns[j]` holds predictor j for every row (no NaN).
pub fn lrm_fit(columns: &[&[f64]], y: &[u8]) -> Result<LrmFit> {
    let (events, controls) = check::labels(y)?;
    let n = y.len();
    for (j, c) in columns.iter().enumerate() {
        check::same_len(&format!("predictor {}", j + 1), c.len(), "labels", n)?;
        check::finite(&format!("predictor {}", j + 1), c)?;
    }
    if events == 0 || controls == 0 {
        return Err(StatsError::TooFewPerClass {
            needed: 1,
            cases: events,
            controls,
        });
    }
    if n < 3 {
        return Err(StatsError::TooFew {
            what: "lrm.fit".into(),
            needed: 3,
            found: n,
        });
    }
    let p = columns.len() + 1;
    let ybar = events as f64 / n as f64;
    let mut beta = vec![0.0; p];
    beta[0] = (ybar / (1.0 - ybar)).ln();
    let mut deltab = vec![0.0; p];
    let mut oldl = 1e30;
    let mut curstp = 1.0;
    let mut converged = false;
    let mut iterations = 0;
    for iter in 1..MAXIT {
        iterations = iter;
        let (loglik, u, v) = llogit(&beta, columns, y);
        let dmax = u.iter().fold(0.0f64, |m, a| m.max(a.abs()));
        if dmax < 1e-9 && (loglik - oldl).abs() < 0.1 * DLIKE {
            converged = true;
            break;
        }
        if loglik > oldl || !loglik.is_finite() {
            if iter == 1 {
                break;
            }
            curstp /= 2.0;
            for j in 0..p {
                beta[j] -= curstp * deltab[j];
            }
            continue;
        }
        curstp = 1.0;
        let Some(step) = spd_solve(&v, &u) else {
            return Err(StatsError::Singular {
                what: "lrm.fit".into(),
                detail: format!("{} predictors", p - 1),
            });
        };
        deltab = step;
        for j in 0..p {
            beta[j] += deltab[j];
        }
        if (oldl - loglik).abs() <= DLIKE {
            converged = true;
            break;
        }
        oldl = loglik;
    }
    if !converged {
        return Err(StatsError::NotConverged {
            iterations,
            change: f64::NAN,
        });
    }
    let lp: Vec<f64> = (0..n)
        .map(|r| beta[0] + (1..p).map(|j| columns[j - 1][r] * beta[j]).sum::<f64>())
        .collect();
    let (deviance, _, _) = llogit(&beta, columns, y);
    let null_dev = null_deviance(events, n);
    let lr = null_dev - deviance;
    let prob: Vec<f64> = lp.iter().map(|&x| plogis(x)).collect();
    let brier = prob
        .iter()
        .zip(y)
        .map(|(pi, &yi)| (pi - f64::from(yi)).powi(2))
        .sum::<f64>()
        / n as f64;
    Ok(LrmFit {
        n,
        coefficients: beta,
        null_deviance: null_dev,
        deviance,
        lr,
        r2: nagelkerke(lr, null_dev, n),
        brier,
        g: gini_md(&lp),
        gp: gini_md(&prob),
        iterations,
        linear_predictor: lp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GiniMd by its definition: mean |xᵢ − xⱼ| over pairs i ≠ j.
    #[test]
    fn gini_md_is_the_mean_pairwise_difference() {
        let x: [f64; 7] = [3.0, -1.0, 4.0, 1.0, 5.0, 9.0, 2.0];
        let n = x.len();
        let mut s = 0.0;
        for i in 0..n {
            for j in 0..n {
                s += (x[i] - x[j]).abs();
            }
        }
        let by_def = s / (n * (n - 1)) as f64;
        assert!((gini_md(&x) - by_def).abs() < 1e-14);
        assert!(gini_md(&[1.0]).is_nan());
    }

    /// Binned concordance by hand: probabilities 0.1 (y=0), 0.10001 (y=1,
    /// same cell), 0.5 (y=1), 0.9 (y=0): pairs (0.1,0.10001) tie,
    /// (0.1,0.5) concordant, (0.9,0.10001) and (0.9,0.5) discordant.
    #[test]
    fn binned_concordance_counts_one_cell_as_a_tie() {
        let (c, dxy) = concordance_binned(&[0, 1, 1, 0], &[0.1, 0.10001, 0.5, 0.9]);
        assert!((c - 1.5 / 4.0).abs() < 1e-15);
        assert!((dxy - (1.0 - 2.0) / 4.0).abs() < 1e-15);
    }
}
