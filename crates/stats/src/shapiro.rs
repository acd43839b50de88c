//! Shapiro–Wilk normality test, = `shapiro.test(x)`: Royston's (1995)
//! algorithm AS R94 (`swilk.c` in R), W from the approximate normal-score
//! coefficients and the p-value from Royston's normalising transformation.

use serde::Serialize;

use crate::check;
use crate::dist::{pnorm, qnorm};
use crate::error::{Result, StatsError};

/// Shapiro–Wilk test result.
#[derive(Debug, Clone, Serialize)]
pub struct ShapiroWilk {
    /// Sample size.
    pub n: usize,
    /// The W statistic.
    pub w: f64,
    /// p-value (small = evidence against normality).
    pub p_value: f64,
}

/// cc[0] + cc[1] x + … (AS R94's `poly`).
fn poly(cc: &[f64], x: f64) -> f64 {
    cc.iter().rev().fold(0.0, |acc, &c| acc * x + c)
}

/// Shapiro–Wilk test of normality, = `shapiro.test(x)` (Royston 1995, AS R94
/// as coded in R's swilk.c): needs 3 ≤ n ≤ 5000 values, not all identical;
/// n = 3 has an exact p-value.
pub fn shapiro_wilk(x: &[f64]) -> Result<ShapiroWilk> {
    check::finite("x", x)?;
    let n = x.len();
    if !(3..=5000).contains(&n) {
        return Err(StatsError::TooFew {
            what: "Shapiro–Wilk test (R allows 3 to 5000 values)".into(),
            needed: 3,
            found: n,
        });
    }
    let mut x: Vec<f64> = x.to_vec();
    x.sort_by(f64::total_cmp);
    let range = x[n - 1] - x[0];
    if range < 1e-10 {
        return Err(StatsError::BadShape {
            what: "Shapiro–Wilk test".into(),
            detail: "all values are identical".into(),
        });
    }
    const C1: [f64; 6] = [0.0, 0.221157, -0.147981, -2.07119, 4.434685, -2.706056];
    const C2: [f64; 6] = [0.0, 0.042981, -0.293762, -1.752461, 5.682633, -3.582633];
    const C3: [f64; 4] = [0.544, -0.39978, 0.025054, -6.714e-4];
    const C4: [f64; 4] = [1.3822, -0.77857, 0.062767, -0.0020322];
    const C5: [f64; 4] = [-1.5861, -0.31082, -0.083751, 0.0038915];
    const C6: [f64; 3] = [-0.4803, -0.082676, 0.0030302];
    const G: [f64; 2] = [-2.273, 0.459];
    let nn2 = n / 2;
    let an = n as f64;
    // a[1..=nn2], 1-based as in swilk.c.
    let mut a = vec![0.0; nn2 + 1];
    if n == 3 {
        a[1] = std::f64::consts::FRAC_1_SQRT_2;
    } else {
        let an25 = an + 0.25;
        let mut summ2 = 0.0;
        for (i, ai) in a.iter_mut().enumerate().skip(1) {
            *ai = qnorm((i as f64 - 0.375) / an25);
            summ2 += *ai * *ai;
        }
        summ2 *= 2.0;
        let ssumm2 = summ2.sqrt();
        let rsn = 1.0 / an.sqrt();
        let a1 = poly(&C1, rsn) - a[1] / ssumm2;
        let (i1, fac) = if n > 5 {
            let a2 = -a[2] / ssumm2 + poly(&C2, rsn);
            let fac = ((summ2 - 2.0 * a[1] * a[1] - 2.0 * a[2] * a[2])
                / (1.0 - 2.0 * a1 * a1 - 2.0 * a2 * a2))
                .sqrt();
            a[2] = a2;
            (3, fac)
        } else {
            let fac = ((summ2 - 2.0 * a[1] * a[1]) / (1.0 - 2.0 * a1 * a1)).sqrt();
            (2, fac)
        };
        a[1] = a1;
        for ai in a.iter_mut().skip(i1) {
            *ai /= -fac;
        }
    }
    // W as the squared correlation of the data with the coefficients, with
    // everything scaled by the range (as swilk.c).
    let coef = |i: usize| -> f64 {
        // Coefficient of the (0-based) i-th order statistic.
        let j = n - 1 - i;
        match i.cmp(&j) {
            std::cmp::Ordering::Less => -a[1 + i],
            std::cmp::Ordering::Greater => a[1 + j],
            std::cmp::Ordering::Equal => 0.0,
        }
    };
    let sa = (0..n).map(coef).sum::<f64>() / an;
    let sx = x.iter().map(|v| v / range).sum::<f64>() / an;
    let (mut ssa, mut ssx, mut sax) = (0.0, 0.0, 0.0);
    for (i, xi) in x.iter().enumerate() {
        let asa = coef(i) - sa;
        let xsx = xi / range - sx;
        ssa += asa * asa;
        ssx += xsx * xsx;
        sax += asa * xsx;
    }
    let ssassx = (ssa * ssx).sqrt();
    let w1 = (ssassx - sax) * (ssassx + sax) / (ssa * ssx);
    let w = 1.0 - w1;
    let p_value = if n == 3 {
        // swilk.c: pi6 = 6/π, stqr = asin(sqrt(3/4)) = π/3.
        (6.0 / std::f64::consts::PI * (w.sqrt().asin() - std::f64::consts::FRAC_PI_3)).max(0.0)
    } else {
        let mut y = w1.ln();
        let xx = an.ln();
        let (m, s) = if n <= 11 {
            let gamma = poly(&G, an);
            if y >= gamma {
                return Ok(ShapiroWilk {
                    n,
                    w,
                    p_value: 1e-99,
                });
            }
            y = -(gamma - y).ln();
            (poly(&C3, an), poly(&C4, an).exp())
        } else {
            (poly(&C5, xx), poly(&C6, xx).exp())
        };
        pnorm(-(y - m) / s)
    };
    Ok(ShapiroWilk { n, w, p_value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_values_have_the_exact_p() {
        // Equally spaced values are as normal as three points can be: W = 1, p = 1.
        let r = shapiro_wilk(&[1.0, 2.0, 3.0]).unwrap();
        assert!((r.w - 1.0).abs() < 1e-12);
        assert!((r.p_value - 1.0).abs() < 1e-9);
    }

    #[test]
    fn bad_input() {
        assert!(shapiro_wilk(&[1.0, 2.0]).is_err());
        assert!(shapiro_wilk(&[1.0, 1.0, 1.0, 1.0]).is_err());
        assert!(shapiro_wilk(&[1.0, f64::NAN, 3.0]).is_err());
    }
}
