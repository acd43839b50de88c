//! Distribution functions with R's accuracy, on statrs' special functions.
//!
//! statrs gives the regularised incomplete beta and gamma functions and the
//! normal quantile; its generic `inverse_cdf` stops at ~1e-8, too coarse for
//! R's `qbeta`/`qf` to 1e-9, so quantiles here are found by bisection on the
//! CDF to the last bit (hand-written for that reason).

use statrs::distribution::{ContinuousCDF, Normal};
use statrs::function::beta::beta_reg;
use statrs::function::erf::erfc;
use statrs::function::gamma::{gamma_lr, gamma_ur};

/// Standard normal quantile (= `qnorm(p)`).
pub fn qnorm(p: f64) -> f64 {
    Normal::standard().inverse_cdf(p)
}

/// Standard normal CDF (= `pnorm(z)`).
pub fn pnorm(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

/// Two-sided normal p-value `2 * pnorm(-|z|)`.
pub fn p_normal_two_sided(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    erfc(z.abs() / std::f64::consts::SQRT_2)
}

/// Regularised incomplete beta `pbeta(x, a, b)`, guarded at the ends.
pub fn pbeta(x: f64, a: f64, b: f64) -> f64 {
    if x.is_nan() || !(a > 0.0 && a.is_finite() && b > 0.0 && b.is_finite()) {
        f64::NAN
    } else if x <= 0.0 {
        0.0
    } else if x >= 1.0 {
        1.0
    } else {
        beta_reg(a, b, x)
    }
}

/// Beta quantile `qbeta(p, a, b)` by bisection on `pbeta` (monotone, exact to
/// the last representable bit of x).
pub fn qbeta(p: f64, a: f64, b: f64) -> f64 {
    if p.is_nan() || !(a > 0.0 && a.is_finite() && b > 0.0 && b.is_finite()) {
        return f64::NAN;
    }
    if p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return 1.0;
    }
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    for _ in 0..1100 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if pbeta(mid, a, b) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Upper tail of the F distribution, `pf(f, d1, d2, lower.tail = FALSE)`,
/// through the beta relation (no cancellation for tiny p).
pub fn pf_upper(f: f64, d1: f64, d2: f64) -> f64 {
    if f.is_nan() {
        return f64::NAN;
    }
    if f <= 0.0 {
        return 1.0;
    }
    if f.is_infinite() {
        return 0.0;
    }
    pbeta(d2 / (d2 + d1 * f), d2 / 2.0, d1 / 2.0)
}

/// F quantile `qf(p, d1, d2)` from the beta quantile.
pub fn qf(p: f64, d1: f64, d2: f64) -> f64 {
    let b = qbeta(p, d1 / 2.0, d2 / 2.0);
    d2 * b / (d1 * (1.0 - b))
}

/// Two-sided Student t p-value `2 * pt(-|t|, df)`.
pub fn p_t_two_sided(t: f64, df: f64) -> f64 {
    if t.is_nan() {
        return f64::NAN;
    }
    pbeta(df / (df + t * t), df / 2.0, 0.5)
}

/// Student t CDF `pt(t, df)`.
pub fn pt(t: f64, df: f64) -> f64 {
    let tail = 0.5 * pbeta(df / (df + t * t), df / 2.0, 0.5);
    if t < 0.0 { tail } else { 1.0 - tail }
}

/// Student t quantile `qt(p, df)` (for p > 0.5 via the beta quantile).
pub fn qt(p: f64, df: f64) -> f64 {
    if p == 0.5 {
        return 0.0;
    }
    let tail = if p > 0.5 { 1.0 - p } else { p };
    // P(|T| > t) = 2 * tail = I_{df/(df+t^2)}(df/2, 1/2)
    let x = qbeta(2.0 * tail, df / 2.0, 0.5);
    let t = (df * (1.0 - x) / x).sqrt();
    if p > 0.5 { t } else { -t }
}

/// Upper tail of the chi-squared distribution `pchisq(x, df, lower.tail = FALSE)`.
pub fn pchisq_upper(x: f64, df: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if !(df > 0.0 && df.is_finite()) {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 1.0;
    }
    if x.is_infinite() {
        return 0.0;
    }
    gamma_ur(df / 2.0, x / 2.0)
}

/// Chi-squared CDF `pchisq(x, df)`.
pub fn pchisq(x: f64, df: f64) -> f64 {
    if x.is_nan() || !(df > 0.0 && df.is_finite()) {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 0.0;
    }
    gamma_lr(df / 2.0, x / 2.0)
}

/// Sample quantile of type 7 (R's default `quantile(x, p)`) of sorted data.
pub fn quantile_type7(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let index = (n - 1) as f64 * p; // 0-based = R's 1 + (n-1)p minus 1
    let lo = index.floor() as usize;
    let hi = index.ceil() as usize;
    let qs = sorted[lo];
    let h = index - lo as f64;
    if index > lo as f64 && sorted[hi] != qs {
        (1.0 - h) * qs + h * sorted[hi]
    } else {
        qs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference values from R 4.2.2, printed with sprintf("%.17g"):
    // qnorm(0.975); qbeta(0.025, 3, 10); qf(0.975, 4, 20); qt(0.975, 10);
    // 2 * pt(-2, 5); pchisq(3.5, 2, lower.tail = FALSE);
    // pf(2.5, 3, 17, lower.tail = FALSE); quantile(c(5, 1, 3, 2, 9), 0.9).
    #[test]
    #[allow(clippy::excessive_precision)] // R's 17-digit prints, kept verbatim
    fn distribution_functions_match_r() {
        let close =
            |a: f64, b: f64, tol: f64| assert!((a - b).abs() <= tol * b.abs(), "{a} vs {b}");
        close(qnorm(0.975), 1.9599639845400536, 1e-14);
        close(qbeta(0.025, 3.0, 10.0), 0.054860644527992733, 1e-12);
        close(qf(0.975, 4.0, 20.0), 3.5146951622584091, 1e-11);
        close(qt(0.975, 10.0), 2.2281388519862739, 1e-11);
        close(p_t_two_sided(2.0, 5.0), 0.10193947882985828, 1e-12);
        close(pchisq_upper(3.5, 2.0), 0.17377394345044514, 1e-12);
        close(pf_upper(2.5, 3.0, 17.0), 0.094282805078947887, 1e-12);
        close(
            quantile_type7(&[1.0, 2.0, 3.0, 5.0, 9.0], 0.9),
            7.3999999999999986,
            1e-15,
        );
    }
}
