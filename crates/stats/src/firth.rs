//! Firth's penalised-likelihood logistic regression (Firth 1993; Heinze &
//! Schemper 2002), = R `logistf(y ~ …, pl = FALSE)`: the log-likelihood
//! penalised by ½ log|I(β)| (Jeffreys prior), which has a finite maximum
//! under complete and quasi-complete separation, where ordinary maximum
//! likelihood ([`crate::logistic_fit`]) has none.

#![allow(clippy::needless_range_loop)] // dense p × p matrix code reads clearest with indices

use crate::cholesky::{Cholesky, NanPivot};
use crate::error::{Result, StatsError};
use crate::logistic::{LogisticFit, Prepared, prepare, summarise};

/// Newton–Raphson settings of the penalised fit (R `logistf.control`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FirthControl {
    /// Most iterations (`maxit`; logistf 25, here 100 with the tighter tolerance).
    pub max_iter: usize,
    /// Most step-halvings per iteration (`maxhs`, logistf 5).
    pub max_halvings: usize,
    /// Largest change of any coefficient in one step (`maxstep`, logistf 5).
    pub max_step: f64,
    /// Converged when no coefficient changes by more than this (`xconv`;
    /// logistf 1e-5, here 1e-10 so estimates agree to ~1e-10).
    pub xconv: f64,
}

impl Default for FirthControl {
    fn default() -> Self {
        FirthControl {
            max_iter: 100,
            max_halvings: 5,
            max_step: 5.0,
            xconv: 1e-10,
        }
    }
}

/// Probabilities, Fisher information X'WX, its Cholesky factor, and the
/// penalised log-likelihood l(β) + ½ log|X'WX| at `beta` (`None` where the
/// information is singular: a step too far into separation).
struct State {
    mu: Vec<f64>,
    chol: Cholesky,
    loglik: f64,
}

fn state(data: &Prepared, beta: &[f64]) -> Option<State> {
    let p = beta.len();
    let mut info = vec![vec![0.0; p]; p];
    let mut loglik = 0.0;
    let mut mu = Vec::with_capacity(data.x.len());
    for (row, &y) in data.x.iter().zip(&data.yv) {
        let eta: f64 = row.iter().zip(beta).map(|(a, b)| a * b).sum();
        // log(1 + e^x) without overflow.
        let softplus = |x: f64| {
            if x > 0.0 {
                x + (-x).exp().ln_1p()
            } else {
                x.exp().ln_1p()
            }
        };
        loglik -= if y == 1.0 {
            softplus(-eta)
        } else {
            softplus(eta)
        };
        let m = 1.0 / (1.0 + (-eta).exp());
        let w = m * (1.0 - m);
        for a in 0..p {
            let wa = w * row[a];
            for b in 0..=a {
                info[a][b] += wa * row[b];
            }
        }
        mu.push(m);
    }
    for a in 0..p {
        for b in 0..a {
            info[b][a] = info[a][b];
        }
    }
    let chol = Cholesky::factor(&info, 1e-14, NanPivot::Fail)?;
    let logdet: f64 = 2.0 * (0..p).map(|i| chol.diagonal(i).ln()).sum::<f64>();
    Some(State {
        mu,
        chol,
        loglik: loglik + 0.5 * logdet,
    })
}

/// Firth's logistic regression with logistf's defaults, = `logistf(y ~ x1 +
/// … + xk, pl = FALSE)`: Newton–Raphson on the modified score
/// U*(β)ⱼ = Σᵢ (yᵢ − πᵢ + hᵢ(½ − πᵢ)) xᵢⱼ (hᵢ the diagonal of the weighted
/// hat matrix), each step capped at `max_step` in every coefficient and
/// halved while the penalised log-likelihood falls, from β = 0. Rows with a
/// NaN predictor are dropped (`na.omit`); ±∞ is an error. Standard errors
/// are Wald, from the inverse Fisher information at the penalised estimate
/// (`vcov(logistf)`), with Wald z, p and OR CIs (profile-likelihood CIs are
/// logistf's default; they are not computed here). `deviance` is −2 log L
/// (unpenalised) at the estimate, the other fit statistics as
/// [`crate::logistic_fit`]'s. Separation is no error: the estimates stay finite.
pub fn firth_fit(
    columns: &[&[f64]],
    names: &[&str],
    y: &[u8],
    control: &FirthControl,
) -> Result<LogisticFit> {
    let data = prepare(columns, names, y)?;
    let p = columns.len() + 1;
    let singular = || StatsError::Singular {
        what: "Firth logistic regression".into(),
        detail: format!("predictors {}", names.join(", ")),
    };
    let mut beta = vec![0.0; p];
    let mut current = state(&data, &beta).ok_or_else(singular)?;
    let mut iterations = 0;
    let mut converged = false;
    let mut last_change = f64::NAN;
    while iterations < control.max_iter {
        iterations += 1;
        let inv = current.chol.inverse();
        // Modified score.
        let mut score = vec![0.0; p];
        for (i, row) in data.x.iter().enumerate() {
            let m = current.mu[i];
            let w = m * (1.0 - m);
            let mut quad = 0.0;
            for a in 0..p {
                let mut s = 0.0;
                for b in 0..p {
                    s += inv[a][b] * row[b];
                }
                quad += row[a] * s;
            }
            let h = w * quad;
            let r = data.yv[i] - m + h * (0.5 - m);
            for a in 0..p {
                score[a] += r * row[a];
            }
        }
        let mut delta: Vec<f64> = (0..p)
            .map(|a| (0..p).map(|b| inv[a][b] * score[b]).sum())
            .collect();
        let largest = delta.iter().fold(0.0_f64, |m, d| m.max(d.abs()));
        if largest > control.max_step {
            let f = control.max_step / largest;
            delta.iter_mut().for_each(|d| *d *= f);
        }
        let mut halvings = 0;
        let next = loop {
            let candidate: Vec<f64> = beta.iter().zip(&delta).map(|(b, d)| b + d).collect();
            match state(&data, &candidate) {
                Some(s) if s.loglik >= current.loglik || halvings >= control.max_halvings => {
                    break Some((candidate, s));
                }
                None if halvings >= control.max_halvings => break None,
                _ => {
                    halvings += 1;
                    delta.iter_mut().for_each(|d| *d *= 0.5);
                }
            }
        };
        let Some((candidate, s)) = next else {
            return Err(singular());
        };
        last_change = delta.iter().fold(0.0_f64, |m, d| m.max(d.abs()));
        beta = candidate;
        current = s;
        if last_change <= control.xconv {
            converged = true;
            break;
        }
    }
    if !converged || beta.iter().any(|b| !b.is_finite()) {
        return Err(StatsError::NotConverged {
            iterations,
            change: last_change,
        });
    }
    let cov = current.chol.inverse();
    Ok(summarise(names, &data, &beta, current.mu, cov, iterations))
}
