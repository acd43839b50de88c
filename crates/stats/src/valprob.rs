//! Validation statistics of predicted probabilities on a labelled cohort:
//! everything `rms::val.prob(p, y)` prints, plus calibration-in-the-large
//! and the calibration slope with the Wald CIs of
//! `CalibrationCurves::val.prob.ci.2`.
//!
//! Two intercepts, not to be confused:
//! - val.prob's **"Intercept"** is fitted *jointly* with the slope,
//!   `glm(y ~ logit(p), binomial)`: the intercept a of a + b·logit(p);
//! - **calibration-in-the-large** fixes the slope at 1,
//!   `glm(y ~ offset(logit(p)), binomial)`: the mean calibration
//!   (val.prob.ci.2 prints *this* one as its "Intercept").

use serde::Serialize;

use crate::calibration::lowess;
use crate::check;
use crate::dist::{pchisq, pnorm, qnorm, quantile_type7};
use crate::error::{Result, StatsError};
use crate::logistic::logistic_fit;
use crate::lrm::{concordance_binned, lrm_fit, nagelkerke, null_deviance, plogis, qlogis};
use crate::roc::placements;

/// How the rank indexes Dxy and C (ROC) treat close probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Concordance {
    /// Exact pairwise concordance (ties ½): rms ≥ 6.8 (`survival::concordancefit`),
    /// `Hmisc::somers2`, pROC's AUC.
    #[default]
    Exact,
    /// rms < 6.8's `lrm.fit`: probabilities binned into 5001 cells of width
    /// 1/5000 first, pairs within a cell tied (what Debian's rms 6.5-0 prints).
    Binned,
}

/// An estimate with its Wald confidence interval.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct WaldEstimate {
    /// Maximum-likelihood estimate.
    pub estimate: f64,
    /// Standard error from the inverse information.
    pub std_error: f64,
    /// Lower limit, estimate − z·se (= `confint.default`).
    pub ci_low: f64,
    /// Upper limit, estimate + z·se.
    pub ci_high: f64,
}

/// Everything `rms::val.prob` prints (serialised under R's names) and the
/// two calibration estimates of `val.prob.ci.2` with their CIs.
#[derive(Debug, Clone, Serialize)]
pub struct ValProb {
    /// Observations.
    pub n: usize,
    /// Somers' Dxy = 2(C − ½).
    #[serde(rename = "Dxy")]
    pub dxy: f64,
    /// C index (ROC area).
    #[serde(rename = "C (ROC)")]
    pub c_roc: f64,
    /// Nagelkerke R² of logit(p) taken as it is (intercept 0, slope 1).
    #[serde(rename = "R2")]
    pub r2: f64,
    /// Discrimination index D = (LR − 1)/n, LR the χ² of logit(p) as it is.
    #[serde(rename = "D")]
    pub d: f64,
    /// D's χ² (1 df): null deviance − deviance of logit(p) as it is.
    #[serde(rename = "D:Chi-sq")]
    pub d_chisq: f64,
    /// `1 − pchisq(D:Chi-sq, 1)` (rms ≥ 6.8; rms 6.5 prints NA).
    #[serde(rename = "D:p")]
    pub d_p: f64,
    /// Unreliability index U = (U:Chi-sq − 2)/n.
    #[serde(rename = "U")]
    pub u: f64,
    /// U's χ² (2 df): deviance of logit(p) as it is − deviance after recalibration.
    #[serde(rename = "U:Chi-sq")]
    pub u_chisq: f64,
    /// `1 − pchisq(U:Chi-sq, 2)`.
    #[serde(rename = "U:p")]
    pub u_p: f64,
    /// Quality index Q = D − U.
    #[serde(rename = "Q")]
    pub q: f64,
    /// Brier score mean((p − y)²).
    #[serde(rename = "Brier")]
    pub brier: f64,
    /// Recalibration intercept a of logit P(y) = a + b·logit(p) (fitted jointly with b).
    #[serde(rename = "Intercept")]
    pub intercept: f64,
    /// Recalibration slope b (the calibration slope).
    #[serde(rename = "Slope")]
    pub slope: f64,
    /// max |p − lowess calibration curve at p|.
    #[serde(rename = "Emax")]
    pub emax: f64,
    /// 0.9 quantile (type 7) of |p − curve|.
    #[serde(rename = "E90")]
    pub e90: f64,
    /// mean |p − curve|.
    #[serde(rename = "Eavg")]
    pub eavg: f64,
    /// Spiegelhalter's z.
    #[serde(rename = "S:z")]
    pub s_z: f64,
    /// Its two-sided p-value.
    #[serde(rename = "S:p")]
    pub s_p: f64,
    /// Calibration-in-the-large: the intercept of `glm(y ~ offset(logit(p)))`
    /// (val.prob.ci.2's "Intercept"), with its Wald CI.
    pub calibration_in_the_large: WaldEstimate,
    /// Calibration slope: the slope of `glm(y ~ logit(p))` (val.prob.ci.2's
    /// "Slope"), fully converged, with its Wald CI.
    pub calibration_slope: WaldEstimate,
    /// Confidence level of the two CIs.
    pub level: f64,
    /// How Dxy and C were computed.
    pub concordance: Concordance,
}

/// The log-likelihood Σ [y(a + o) − log(1 + e^(a + o))] of the offset model.
fn offset_loglik(y: &[u8], lp: &[f64], a: f64) -> f64 {
    y.iter()
        .zip(lp)
        .map(|(&yi, &o)| {
            let e = a + o;
            let softplus = if e > 0.0 {
                e + (-e).exp().ln_1p()
            } else {
                e.exp().ln_1p()
            };
            f64::from(yi) * e - softplus
        })
        .sum()
}

/// Calibration-in-the-large, = `glm(y ~ offset(lp), binomial)`: the
/// intercept a of logit P(y) = a + lp and its standard error. Newton's
/// method from a = 0 with step halving (as glm's IRLS halves a step that
/// lowers the likelihood), so a badly miscalibrated predictor still converges.
pub fn offset_intercept(y: &[u8], lp: &[f64]) -> (f64, f64) {
    let info_at = |a: f64| -> f64 {
        lp.iter()
            .map(|&o| {
                let mu = plogis(a + o);
                mu * (1.0 - mu)
            })
            .sum()
    };
    let mut a = 0.0;
    let mut ll = offset_loglik(y, lp, a);
    for _ in 0..200 {
        let score: f64 = y
            .iter()
            .zip(lp)
            .map(|(&yi, &o)| f64::from(yi) - plogis(a + o))
            .sum();
        let info = info_at(a);
        if info.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            break;
        }
        let mut step = score / info;
        if step.abs() < 1e-15 * (1.0 + a.abs()) {
            a += step;
            break;
        }
        // Halve only a step that clearly lowers the likelihood (not one
        // lost in rounding near the maximum).
        let mut next = a + step;
        let mut ll_next = offset_loglik(y, lp, next);
        let mut halvings = 0;
        let floor = ll - 1e-12 * (1.0 + ll.abs());
        while ll_next
            .partial_cmp(&floor)
            .is_none_or(|o| o == std::cmp::Ordering::Less)
            && halvings < 60
        {
            step /= 2.0;
            next = a + step;
            ll_next = offset_loglik(y, lp, next);
            halvings += 1;
        }
        a = next;
        ll = ll_next;
    }
    (a, 1.0 / info_at(a).sqrt())
}

fn citl(y: &[u8], lp: &[f64]) -> (f64, f64) {
    offset_intercept(y, lp)
}

/// R's `approx(x, y, xout)` (method "linear", rule 1) on x sorted
/// increasing with ties already collapsed: NaN outside [x₁, xₙ]; a knot
/// returns its y exactly (`approx1` in R's `approx.c`).
pub(crate) fn approx_linear(x: &[f64], y: &[f64], v: f64) -> f64 {
    let n = x.len();
    if n == 0 || v.is_nan() || v < x[0] || v > x[n - 1] {
        return f64::NAN;
    }
    let (mut i, mut j) = (0usize, n - 1);
    while i + 1 < j {
        let ij = (i + j) / 2;
        if v < x[ij] {
            j = ij;
        } else {
            i = ij;
        }
    }
    if v == x[j] {
        return y[j];
    }
    if v == x[i] {
        return y[i];
    }
    y[i] + (y[j] - y[i]) * ((v - x[i]) / (x[j] - x[i]))
}

/// `lowess(x, y, iter = 0)` collapsed to unique x (the first y of tied x,
/// as `approx(..., ties = function(x) x[1])`; lowess gives tied x one fit).
pub(crate) fn lowess_knots(x: &[f64], y: &[f64]) -> Result<(Vec<f64>, Vec<f64>)> {
    let sm = lowess(x, y, 2.0 / 3.0, 0, None)?;
    let (mut ux, mut uy) = (
        Vec::with_capacity(sm.x.len()),
        Vec::with_capacity(sm.x.len()),
    );
    for (&a, &b) in sm.x.iter().zip(&sm.y) {
        if ux.last() != Some(&a) {
            ux.push(a);
            uy.push(b);
        }
    }
    Ok((ux, uy))
}

/// Validation statistics of predicted probabilities `p` against 0/1
/// `labels`, = `rms::val.prob(p, y, pl = FALSE)` (Harrell; rms 6.5-0) plus
/// calibration-in-the-large and the calibration slope with `level` Wald CIs
/// as `CalibrationCurves::val.prob.ci.2` defines them (its `confint` on
/// `lrm.fit` objects is `confint.default`: estimate ± z·se).
///
/// As val.prob: Dxy, C and R2 are those of logit(p) taken as it is
/// (`lrm.fit(logit, y, initial = c(0, 1), maxit = 1)`), D = (LR − 1)/n;
/// Intercept and Slope come from `lrm.fit(logit, y)` (its Newton iterates,
/// [`crate::lrm_fit`]), U:Chi-sq = −2 log L(logit as it is) − deviance of
/// that fit, U = (U:Chi-sq − 2)/n, Q = D − U; Emax, E90 and Eavg compare p
/// with the curve `lowess(p, y, iter = 0)` at p; S:z is Spiegelhalter's
/// z-test. Deliberate differences: D:p is `1 − pchisq(LR, 1)` where rms 6.5
/// prints NA (rms ≥ 6.8 prints this value); `concordance` picks exact
/// Dxy/C (rms ≥ 6.8) or rms 6.5's binned ones. The calibration slope and
/// calibration-in-the-large are fully converged (= `glm`), so the slope may
/// differ from val.prob's "Slope" in late digits. Probabilities must lie in
/// (0, 1) and must not all be equal.
pub fn val_prob(labels: &[u8], p: &[f64], level: f64, concordance: Concordance) -> Result<ValProb> {
    check::binary("labels", labels, "predicted probabilities", p, 1)?;
    check::open_probabilities("predicted probabilities", p)?;
    check::level(level)?;
    let n = p.len();
    if p.iter().all(|&v| v == p[0]) {
        return Err(StatsError::TooFew {
            what: "val.prob: distinct predicted probabilities".into(),
            needed: 2,
            found: 1,
        });
    }
    let nf = n as f64;
    let logit: Vec<f64> = p.iter().map(|&v| qlogis(v)).collect();
    let events = labels.iter().filter(|&&l| l == 1).count();
    let null_dev = null_deviance(events, n);
    // f.fixed: the model logit(p) as it is.
    let fixed_dev = crate::lrm::deviance_lp(labels, &logit);
    let lr = null_dev - fixed_dev;
    let r2 = nagelkerke(lr, null_dev, n);
    let (c_roc, dxy) = match concordance {
        Concordance::Exact => {
            let c = placements(labels, p, events, n - events).auc;
            (c, 2.0 * (c - 0.5))
        }
        Concordance::Binned => {
            let fixed_p: Vec<f64> = logit
                .iter()
                .map(|&l| 1.0 / (1.0 + (-l.clamp(-30.0, 30.0)).exp()))
                .collect();
            concordance_binned(labels, &fixed_p)
        }
    };
    // f.recal: lrm.fit(logit, y).
    let recal = lrm_fit(&[&logit], labels)?;
    let d = (lr - 1.0) / nf;
    let l01 = -2.0
        * labels
            .iter()
            .zip(&logit)
            .map(|(&y, &l)| f64::from(y) * l - (1.0 + l.exp()).ln())
            .sum::<f64>();
    let u_chisq = l01 - recal.deviance;
    let u = (u_chisq - 2.0) / nf;
    let brier = p
        .iter()
        .zip(labels)
        .map(|(pi, &y)| (pi - f64::from(y)).powi(2))
        .sum::<f64>()
        / nf;
    let y: Vec<f64> = labels.iter().map(|&l| f64::from(l)).collect();
    let (kx, ky) = lowess_knots(p, &y)?;
    let mut err: Vec<f64> = p
        .iter()
        .map(|&pi| (pi - approx_linear(&kx, &ky, pi)).abs())
        .collect();
    let eavg = err.iter().sum::<f64>() / nf;
    let emax = err.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    err.sort_by(f64::total_cmp);
    let e90 = quantile_type7(&err, 0.9);
    let (num, den) = p.iter().zip(&y).fold((0.0, 0.0), |(a, b), (&pi, &yi)| {
        (
            a + (yi - pi) * (1.0 - 2.0 * pi),
            b + (1.0 - 2.0 * pi).powi(2) * pi * (1.0 - pi),
        )
    });
    let s_z = num / den.sqrt();
    let z = qnorm(0.5 + level / 2.0);
    let (a, se_a) = citl(labels, &logit);
    let slope_fit = logistic_fit(&[&logit], &["logit(p)"], labels)?;
    let b = &slope_fit.coefficients[1];
    Ok(ValProb {
        n,
        dxy,
        c_roc,
        r2,
        d,
        d_chisq: lr,
        d_p: 1.0 - pchisq(lr, 1.0),
        u,
        u_chisq,
        u_p: 1.0 - pchisq(u_chisq, 2.0),
        q: d - u,
        brier,
        intercept: recal.coefficients[0],
        slope: recal.coefficients[1],
        emax,
        e90,
        eavg,
        s_z,
        s_p: 2.0 * pnorm(-s_z.abs()),
        calibration_in_the_large: WaldEstimate {
            estimate: a,
            std_error: se_a,
            ci_low: a - z * se_a,
            ci_high: a + z * se_a,
        },
        calibration_slope: WaldEstimate {
            estimate: b.estimate,
            std_error: b.std_error,
            ci_low: b.estimate - z * b.std_error,
            ci_high: b.estimate + z * b.std_error,
        },
        level,
        concordance,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approx_is_linear_between_knots_and_nan_outside() {
        let x = [0.0, 1.0, 3.0];
        let y = [0.0, 2.0, 4.0];
        assert_eq!(approx_linear(&x, &y, 1.0), 2.0);
        assert_eq!(approx_linear(&x, &y, 2.0), 3.0);
        assert!(approx_linear(&x, &y, 3.5).is_nan());
        assert!(approx_linear(&x, &y, -0.1).is_nan());
    }

    #[test]
    fn val_prob_refuses_constant_and_out_of_range_probabilities() {
        assert!(val_prob(&[0, 1, 0], &[0.3, 0.3, 0.3], 0.95, Concordance::Exact).is_err());
        assert!(val_prob(&[0, 1, 0], &[0.3, 1.0, 0.2], 0.95, Concordance::Exact).is_err());
        assert!(val_prob(&[1, 1, 1], &[0.3, 0.4, 0.2], 0.95, Concordance::Exact).is_err());
    }

    #[test]
    fn offset_intercept_converges_for_a_badly_miscalibrated_predictor() {
        // Every patient predicted at logit −8 while half have the event: the
        // MLE solves Σ y = Σ plogis(a + o), i.e. a = 8 exactly here (a plain
        // Newton step from 0 overshoots to ~1490 and never returns).
        let y = [1u8, 0, 1, 0, 1, 0, 1, 0];
        let lp = [-8.0; 8];
        let (a, se) = offset_intercept(&y, &lp);
        assert!((a - 8.0).abs() < 1e-10, "{a}");
        // se = 1/sqrt(n p (1 − p)) at p = ½.
        assert!((se - 1.0 / (8.0f64 * 0.25).sqrt()).abs() < 1e-10, "{se}");
    }
}
