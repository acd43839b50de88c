//! The empirical Bayes steps of ComBat (Johnson, Li & Rabinovic 2007,
//! Biostatistics 8:118–127, §3.2–3.3), each after the helper of sva's
//! `R/helper.R` that it follows (sva 3.46.0).

use serde::{Deserialize, Serialize};

use crate::HarmonizeError;

/// sva's convergence criterion of `it.sol` (`conv = .0001`).
pub const CONVERGENCE: f64 = 1e-4;

/// Iterations after which the parametric solver gives up (sva's loop has no
/// bound; on real data it stops within a few dozen).
pub const MAX_ITERATIONS: usize = 10_000;

/// The empirical Bayes hyperparameters of one batch, pooled over its features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Priors {
    /// γ̄: mean of the batch's location estimates γ̂ over features (`gamma.bar`).
    pub gamma_bar: f64,
    /// τ²: their sample variance (`t2`).
    pub t2: f64,
    /// Inverse-gamma shape λ of the scale prior (`aprior`); absent when only the mean is adjusted.
    pub a: Option<f64>,
    /// Inverse-gamma scale θ of the scale prior (`bprior`); absent when only the mean is adjusted.
    pub b: Option<f64>,
}

/// Mean, as R's `mean` (a second pass corrects the first).
pub(crate) fn mean(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    m + x.iter().map(|v| v - m).sum::<f64>() / n
}

/// Sample variance (n − 1), as R's `var` and matrixStats' `rowVars`.
pub(crate) fn var(x: &[f64]) -> f64 {
    let m = mean(x);
    x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() as f64 - 1.0)
}

/// Method-of-moments shape of the inverse-gamma prior of δ (sva `aprior`):
/// (2 s² + m²) / s², with m and s² the mean and variance of the δ̂s.
pub fn aprior(delta_hat: &[f64]) -> f64 {
    let m = mean(delta_hat);
    let s2 = var(delta_hat);
    (2.0 * s2 + m * m) / s2
}

/// Method-of-moments scale of the inverse-gamma prior of δ (sva `bprior`): (m s² + m³) / s².
pub fn bprior(delta_hat: &[f64]) -> f64 {
    let m = mean(delta_hat);
    let s2 = var(delta_hat);
    (m * s2 + m * m * m) / s2
}

/// Posterior mean of γ (sva `postmean`, Johnson et al. eq. 3.1's γ*):
/// (τ² n γ̂ + δ γ̄) / (τ² n + δ).
pub fn postmean(g_hat: f64, g_bar: f64, n: f64, d_star: f64, t2: f64) -> f64 {
    (t2 * n * g_hat + d_star * g_bar) / (t2 * n + d_star)
}

/// Posterior mean of δ (sva `postvar`): (½ Σ(x − γ*)² + θ) / (n/2 + λ − 1).
pub fn postvar(sum2: f64, n: f64, a: f64, b: f64) -> f64 {
    (0.5 * sum2 + b) / (n / 2.0 + a - 1.0)
}

/// The priors of one batch from its γ̂ and δ̂ over features (sva: `gamma.bar <-
/// rowMeans(gamma.hat)`, `t2 <- rowVars(gamma.hat)`, `apply(delta.hat, 1, aprior)`).
/// `with_scale` false (mean-only) leaves λ and θ out, as sva never uses them then.
pub(crate) fn priors(
    batch: &str,
    gamma_hat: &[f64],
    delta_hat: &[f64],
    with_scale: bool,
) -> Result<Priors, HarmonizeError> {
    let gamma_bar = mean(gamma_hat);
    let t2 = var(gamma_hat);
    let check = |v: f64, what: &'static str| {
        if v.is_finite() {
            Ok(v)
        } else {
            Err(HarmonizeError::DegeneratePrior {
                batch: batch.to_string(),
                what,
            })
        }
    };
    check(gamma_bar, "prior mean γ̄")?;
    check(t2, "prior variance τ²")?;
    let (a, b) = if with_scale {
        (
            Some(check(aprior(delta_hat), "inverse-gamma shape λ")?),
            Some(check(bprior(delta_hat), "inverse-gamma scale θ")?),
        )
    } else {
        (None, None)
    };
    Ok(Priors {
        gamma_bar,
        t2,
        a,
        b,
    })
}

/// The parametric posterior (γ*, δ*) of every feature of one batch, by sva's
/// fixed-point iteration `it.sol` (Johnson et al. §3.2): γ* from the current δ,
/// δ* from the squared residuals about γ*, until sva's criterion
/// `max(|γ_new − γ_old| / γ_old, |δ_new − δ_old| / δ_old) <= 1e-4` holds —
/// with sva's signed denominators, so a feature whose γ is negative never holds
/// the loop up. `columns[j]` are the standardised values of feature j in the batch.
pub(crate) fn it_sol(
    batch: &str,
    columns: &[Vec<f64>],
    g_hat: &[f64],
    d_hat: &[f64],
    pri: &Priors,
) -> Result<(Vec<f64>, Vec<f64>), HarmonizeError> {
    let (a, b) = match (pri.a, pri.b) {
        (Some(a), Some(b)) => (a, b),
        _ => {
            return Err(HarmonizeError::BadModel(
                "the parametric scale prior is missing".into(),
            ));
        }
    };
    let p = g_hat.len();
    let mut g_old = g_hat.to_vec();
    let mut d_old = d_hat.to_vec();
    let mut g_new = vec![0.0; p];
    let mut d_new = vec![0.0; p];
    for _ in 0..MAX_ITERATIONS {
        let mut change = f64::NEG_INFINITY;
        let mut nan = false;
        for j in 0..p {
            let x = &columns[j];
            let n = x.len() as f64;
            g_new[j] = postmean(g_hat[j], pri.gamma_bar, n, d_old[j], pri.t2);
            let sum2: f64 = x.iter().map(|v| (v - g_new[j]) * (v - g_new[j])).sum();
            d_new[j] = postvar(sum2, n, a, b);
            for c in [
                (g_new[j] - g_old[j]).abs() / g_old[j],
                (d_new[j] - d_old[j]).abs() / d_old[j],
            ] {
                if c.is_nan() {
                    nan = true;
                } else if c > change {
                    change = c;
                }
            }
        }
        if nan {
            return Err(HarmonizeError::NoConvergence {
                batch: batch.to_string(),
                reason: "met 0/0 in its convergence criterion (a feature's γ is exactly 0; \
                         sva::ComBat stops with an error here too)"
                    .into(),
            });
        }
        std::mem::swap(&mut g_old, &mut g_new);
        std::mem::swap(&mut d_old, &mut d_new);
        if change <= CONVERGENCE {
            return Ok((g_old, d_old));
        }
    }
    Err(HarmonizeError::NoConvergence {
        batch: batch.to_string(),
        reason: format!("did not converge in {MAX_ITERATIONS} iterations"),
    })
}

/// The non-parametric posterior (γ*, δ*) of every feature of one batch (sva
/// `int.eprior`; Johnson et al. §3.3): the empirical prior is the batch's
/// (γ̂, δ̂) over the *other* features, and each feature's posterior mean is the
/// average of those, weighted by the normal likelihood of its own values,
/// ∏ φ(x; γ̂_j, δ̂_j). Computed as sva does but in log space — the weights are
/// normalised by their largest, and Σ(x − γ̂_j)² as Σ(x − x̄)² + n(x̄ − γ̂_j)² —
/// so a batch whose likelihoods all underflow (sva then returns NaN) still gets
/// the limit of the same formula.
pub(crate) fn int_eprior(
    columns: &[Vec<f64>],
    g_hat: &[f64],
    d_hat: &[f64],
) -> (Vec<f64>, Vec<f64>) {
    let p = g_hat.len();
    let half_log_2pi_d: Vec<f64> = d_hat
        .iter()
        .map(|d| (2.0 * std::f64::consts::PI * d).ln())
        .collect();
    let mut g_star = Vec::with_capacity(p);
    let mut d_star = Vec::with_capacity(p);
    let mut log_lh = vec![0.0; p];
    for (i, x) in columns.iter().enumerate() {
        let n = x.len() as f64;
        let xbar = x.iter().sum::<f64>() / n;
        let ss: f64 = x.iter().map(|v| (v - xbar) * (v - xbar)).sum();
        let mut top = f64::NEG_INFINITY;
        for j in (0..p).filter(|&j| j != i) {
            let sum2 = ss + n * (xbar - g_hat[j]) * (xbar - g_hat[j]);
            log_lh[j] = -0.5 * n * half_log_2pi_d[j] - sum2 / (2.0 * d_hat[j]);
            top = top.max(log_lh[j]);
        }
        let (mut w_sum, mut wg, mut wd) = (0.0, 0.0, 0.0);
        for j in (0..p).filter(|&j| j != i) {
            let w = (log_lh[j] - top).exp();
            w_sum += w;
            wg += w * g_hat[j];
            wd += w * d_hat[j];
        }
        g_star.push(wg / w_sum);
        d_star.push(wd / w_sum);
    }
    (g_star, d_star)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moment_priors_by_hand() {
        // δ̂ = 1, 2, 3: m = 2, s² = 1, so λ = (2 + 4) / 1 = 6 and θ = (2 + 8) / 1 = 10;
        // the inverse gamma(6, 10) has mean θ/(λ − 1) = 2 = m and variance
        // θ²/((λ−1)²(λ−2)) = 100/(25·4) = 1 = s².
        assert_eq!(aprior(&[1.0, 2.0, 3.0]), 6.0);
        assert_eq!(bprior(&[1.0, 2.0, 3.0]), 10.0);
    }

    #[test]
    fn posterior_mean_shrinks_by_precision() {
        // τ² n = 2·3 = 6 against δ = 2: weights 6/8 on γ̂ and 2/8 on γ̄.
        assert_eq!(postmean(1.0, 5.0, 3.0, 2.0, 2.0), 0.75 + 1.25);
        // (½·4 + 1) / (3/2 + 2 − 1) = 3 / 2.5
        assert_eq!(postvar(4.0, 3.0, 2.0, 1.0), 1.2);
    }

    #[test]
    fn it_sol_fixed_point_satisfies_both_equations() {
        let cols = vec![
            vec![0.1, 0.5, -0.2, 0.9],
            vec![1.2, 0.7, 1.9, 1.1],
            vec![-0.8, -0.3, -1.4, -0.5],
        ];
        let g: Vec<f64> = cols.iter().map(|c| mean(c)).collect();
        let d: Vec<f64> = cols.iter().map(|c| var(c)).collect();
        let pri = priors("b", &g, &d, true).unwrap();
        let (gs, ds) = it_sol("b", &cols, &g, &d, &pri).unwrap();
        for j in 0..3 {
            let n = 4.0;
            let g_fix = postmean(g[j], pri.gamma_bar, n, ds[j], pri.t2);
            let s2: f64 = cols[j].iter().map(|v| (v - gs[j]).powi(2)).sum();
            let d_fix = postvar(s2, n, pri.a.unwrap(), pri.b.unwrap());
            // One more step moves each by less than sva's relative criterion.
            assert!(
                (g_fix - gs[j]).abs() <= 1e-4 * gs[j].abs(),
                "{g_fix} {}",
                gs[j]
            );
            assert!((d_fix - ds[j]).abs() <= 1e-4 * ds[j], "{d_fix} {}", ds[j]);
        }
    }

    #[test]
    fn int_eprior_equal_priors_give_that_prior() {
        // With every other feature at (γ̂, δ̂) = (0.3, 2), any weights average to it.
        let cols = vec![vec![0.0, 1.0], vec![5.0, 6.0], vec![-3.0, 2.0]];
        let (g, d) = int_eprior(&cols, &[0.3, 0.3, 0.3], &[2.0, 2.0, 2.0]);
        for j in 0..3 {
            assert!((g[j] - 0.3).abs() < 1e-15 && (d[j] - 2.0).abs() < 1e-15);
        }
    }

    #[test]
    fn int_eprior_survives_underflow() {
        // sva's likelihoods 1/(2πd)^(n/2)·exp(−Σ/2d) all underflow to 0 here (NaN there);
        // the nearer prior feature (γ̂ = 100 vs −100) takes all the weight.
        let far = vec![100.0; 400];
        let cols = vec![far.clone(), far.clone(), far];
        let (g, _) = int_eprior(&cols, &[0.0, 99.0, -100.0], &[1.0, 1.0, 1.0]);
        assert_eq!(g[0], 99.0);
        assert!(g.iter().all(|v| v.is_finite()));
    }
}
