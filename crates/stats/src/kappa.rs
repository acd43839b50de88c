//! Cohen's kappa, unweighted and weighted, = `psych::cohen.kappa`.

use serde::Serialize;

use crate::check;
use crate::dist::qnorm;
use crate::error::{Result, StatsError};

/// Kappa estimates with psych's asymptotic confidence bounds.
#[derive(Debug, Clone, Serialize)]
pub struct Kappa {
    /// Rows rated by both raters.
    pub n: usize,
    /// The category levels (sorted).
    pub levels: Vec<i64>,
    /// Unweighted kappa.
    pub kappa: f64,
    /// Its lower bound.
    pub kappa_ci_low: f64,
    /// Its upper bound.
    pub kappa_ci_high: f64,
    /// Quadratically weighted kappa (psych's default weights 1 − (i − j)²/(k − 1)²).
    pub weighted_kappa: f64,
    /// Its lower bound.
    pub weighted_ci_low: f64,
    /// Its upper bound.
    pub weighted_ci_high: f64,
}

/// Cohen's kappa of two raters' categorical ratings (Cohen 1960; weighted,
/// Cohen 1968), = `psych::cohen.kappa(cbind(a, b), alpha = 1 − level)`:
/// variances of Fleiss, Cohen & Everitt (1969) exactly as psych codes them
/// (including psych's row-weight term), bounds clamped to ±1. Levels are the
/// sorted distinct values of both raters.
pub fn cohen_kappa(a: &[i64], b: &[i64], level: f64) -> Result<Kappa> {
    check::level(level)?;
    check::same_len("rater A", a.len(), "rater B", b.len())?;
    if a.len() < 2 {
        return Err(StatsError::TooFew {
            what: "kappa".into(),
            needed: 2,
            found: a.len(),
        });
    }
    let mut levels: Vec<i64> = a.iter().chain(b).copied().collect();
    levels.sort_unstable();
    levels.dedup();
    let k = levels.len();
    if k < 2 {
        return Err(StatsError::BadShape {
            what: "kappa".into(),
            detail: "both raters used one category only: agreement is not defined".into(),
        });
    }
    let idx = |v: i64| levels.binary_search(&v).unwrap_or(0);
    let tot = a.len() as f64;
    let mut x = vec![vec![0.0; k]; k];
    for (&u, &v) in a.iter().zip(b) {
        x[idx(u)][idx(v)] += 1.0 / tot;
    }
    let rs: Vec<f64> = x.iter().map(|r| r.iter().sum()).collect();
    let cs: Vec<f64> = (0..k).map(|j| x.iter().map(|r| r[j]).sum()).collect();
    let po: f64 = (0..k).map(|i| x[i][i]).sum();
    let pc: f64 = (0..k).map(|i| rs[i] * cs[i]).sum();
    let kappa = (po - pc) / (1.0 - pc);
    let kf = (k - 1) as f64;
    let w: Vec<Vec<f64>> = (0..k)
        .map(|i| {
            (0..k)
                .map(|j| 1.0 - ((i as f64 - j as f64).powi(2)) / (kf * kf))
                .collect()
        })
        .collect();
    let mut wpo = 0.0;
    let mut wpc = 0.0;
    for i in 0..k {
        for j in 0..k {
            wpo += w[i][j] * x[i][j];
            wpc += w[i][j] * rs[i] * cs[j];
        }
    }
    let colw: Vec<f64> = (0..k)
        .map(|j| (0..k).map(|i| w[i][j] * cs[i]).sum())
        .collect();
    let roww: Vec<f64> = (0..k).map(|i| rs[i] * w[i].iter().sum::<f64>()).collect();
    let mut t1 = 0.0;
    let mut t2 = 0.0;
    for i in 0..k {
        t1 += x[i][i] * ((1.0 - pc) - (rs[i] + cs[i]) * (1.0 - po)).powi(2);
        for j in 0..k {
            if i != j {
                t2 += x[i][j] * (cs[i] + rs[j]).powi(2);
            }
        }
    }
    let mut vark = (t1 + (1.0 - po).powi(2) * t2 - (po * pc - 2.0 * pc + po).powi(2))
        / (tot * (1.0 - pc).powi(4));
    let mut sw = 0.0;
    for i in 0..k {
        for j in 0..k {
            sw += x[i][j] * (w[i][j] * (1.0 - wpc) - (colw[i] + roww[j]) * (1.0 - wpo)).powi(2);
        }
    }
    let mut varkw = (sw - (wpo * wpc - 2.0 * wpc + wpo).powi(2)) / (tot * (1.0 - wpc).powi(4));
    if vark.is_nan() || vark < 0.0 {
        vark = 0.0;
    }
    if varkw.is_nan() || varkw < 0.0 {
        varkw = 0.0;
    }
    let wkappa = (wpo - wpc) / (1.0 - wpc);
    let z = qnorm(1.0 - (1.0 - level) / 2.0);
    let clamp = |v: f64| v.clamp(-1.0, 1.0);
    Ok(Kappa {
        n: a.len(),
        levels,
        kappa,
        kappa_ci_low: clamp(kappa - z * vark.sqrt()),
        kappa_ci_high: clamp(kappa + z * vark.sqrt()),
        weighted_kappa: wkappa,
        weighted_ci_low: clamp(wkappa - z * varkw.sqrt()),
        weighted_ci_high: clamp(wkappa + z * varkw.sqrt()),
    })
}
