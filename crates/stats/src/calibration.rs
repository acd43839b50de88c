//! Calibration of predicted probabilities (= `rms::val.prob`), the
//! Hosmer–Lemeshow test (= `ResourceSelection::hoslem.test`) and R's `lowess`.

use serde::Serialize;

use crate::check;
use crate::dist::{pchisq_upper, quantile_type7};
use crate::error::{Result, StatsError};
use crate::logistic::logistic_fit;

/// A lowess smooth: x sorted increasing, y the fitted values.
#[derive(Debug, Clone, Serialize)]
pub struct Lowess {
    /// Sorted x.
    pub x: Vec<f64>,
    /// Smoothed y at each x.
    pub y: Vec<f64>,
}

/// One calibration bin (a decile group of the predicted probabilities).
#[derive(Debug, Clone, Serialize)]
pub struct CalibrationBin {
    /// Rows in the bin.
    pub n: usize,
    /// Mean predicted probability.
    pub predicted: f64,
    /// Observed event rate.
    pub observed: f64,
    /// Events in the bin.
    pub events: usize,
}

/// Hosmer–Lemeshow goodness-of-fit test.
#[derive(Debug, Clone, Serialize)]
pub struct HosmerLemeshow {
    /// χ² statistic.
    pub statistic: f64,
    /// Degrees of freedom (g − 2, as hoslem.test, even when ties merge groups).
    pub df: f64,
    /// Upper-tail p-value.
    pub p_value: f64,
    /// Number of groups requested.
    pub groups: usize,
}

/// Calibration summary and curve data of predicted probabilities.
#[derive(Debug, Clone, Serialize)]
pub struct Calibration {
    /// Rows.
    pub n: usize,
    /// Calibration-in-the-large: intercept of `glm(y ~ offset(logit(p)))`.
    pub citl: f64,
    /// Calibration slope: slope of `glm(y ~ logit(p))` (val.prob "Slope").
    pub slope: f64,
    /// Recalibration intercept of the same fit (val.prob "Intercept").
    pub intercept: f64,
    /// Brier score mean((p − y)²).
    pub brier: f64,
    /// Mean |p − lowess(p)| (val.prob "Eavg").
    pub eavg: f64,
    /// Max |p − lowess(p)| (val.prob "Emax").
    pub emax: f64,
    /// 0.9 quantile of |p − lowess(p)| (val.prob "E90").
    pub e90: f64,
    /// Hosmer–Lemeshow test with g = 10.
    pub hosmer_lemeshow: HosmerLemeshow,
    /// Decile bins (the Hosmer–Lemeshow groups).
    pub bins: Vec<CalibrationBin>,
    /// The nonparametric curve `lowess(p, y, iter = 0)`.
    pub smooth: Lowess,
}

/// Local weighted linear fit at `xs` over rows `nleft..=nright` (0-based),
/// extending right over ties; None when every weight is zero. Port of the
/// `lowest` routine of R's clowess (Cleveland 1979).
#[allow(clippy::too_many_arguments)]
fn lowest(
    x: &[f64],
    y: &[f64],
    xs: f64,
    nleft: usize,
    nright: usize,
    w: &mut [f64],
    rw: Option<&[f64]>,
) -> Option<f64> {
    let n = x.len();
    let range = x[n - 1] - x[0];
    let h = (xs - x[nleft]).max(x[nright] - xs);
    let h9 = 0.999 * h;
    let h1 = 0.001 * h;
    let mut a = 0.0;
    let mut j = nleft;
    while j < n {
        w[j] = 0.0;
        let r = (x[j] - xs).abs();
        if r <= h9 {
            w[j] = if r <= h1 {
                1.0
            } else {
                (1.0 - (r / h).powi(3)).powi(3)
            };
            if let Some(rw) = rw {
                w[j] *= rw[j];
            }
            a += w[j];
        } else if x[j] > xs {
            break;
        }
        j += 1;
    }
    let nrt = j - 1;
    if a <= 0.0 {
        return None;
    }
    for wj in &mut w[nleft..=nrt] {
        *wj /= a;
    }
    if h > 0.0 {
        let center: f64 = (nleft..=nrt).map(|j| w[j] * x[j]).sum();
        let mut b = xs - center;
        let c: f64 = (nleft..=nrt).map(|j| w[j] * (x[j] - center).powi(2)).sum();
        if c.sqrt() > 0.001 * range {
            b /= c;
            for j in nleft..=nrt {
                w[j] *= b * (x[j] - center) + 1.0;
            }
        }
    }
    Some((nleft..=nrt).map(|j| w[j] * y[j]).sum())
}

/// Robust locally weighted regression, = R's `lowess(x, y, f, iter, delta)`
/// (Cleveland 1979; a port of R's clowess, hand-written because no crate
/// reproduces R's span rounding, delta skipping and robustness weights).
/// `delta = None` uses R's default 0.01·range(x). Points are sorted by x
/// first (stable, as R's `order`).
pub fn lowess(x: &[f64], y: &[f64], f: f64, iter: usize, delta: Option<f64>) -> Result<Lowess> {
    check::same_len("x", x.len(), "y", y.len())?;
    check::finite("x", x)?;
    check::finite("y", y)?;
    if x.is_empty() {
        return Err(StatsError::TooFew {
            what: "lowess".into(),
            needed: 1,
            found: 0,
        });
    }
    if !(f > 0.0 && f.is_finite()) {
        return Err(StatsError::OutOfRange {
            column: "lowess span f".into(),
            row: 1,
            value: f,
            expected: "(0, ∞)",
        });
    }
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let xs: Vec<f64> = order.iter().map(|&i| x[i]).collect();
    let ys: Vec<f64> = order.iter().map(|&i| y[i]).collect();
    let n = xs.len();
    let delta = delta.unwrap_or(0.01 * (xs[n - 1] - xs[0]));
    if n < 2 {
        return Ok(Lowess { x: xs, y: ys });
    }
    let ns = ((f * n as f64 + 1e-7) as usize).clamp(2, n);
    let mut fit = vec![0.0; n];
    let mut rw = vec![1.0; n];
    let mut res = vec![0.0; n];
    let mut step = 1;
    while step <= iter + 1 {
        let mut nleft = 0usize;
        let mut nright = ns - 1;
        let mut last: Option<usize> = None;
        let mut i = 0usize;
        loop {
            if nright < n - 1 {
                let d1 = xs[i] - xs[nleft];
                let d2 = xs[nright + 1] - xs[i];
                if d1 > d2 {
                    nleft += 1;
                    nright += 1;
                    continue;
                }
            }
            let robust = if step > 1 { Some(&rw[..]) } else { None };
            fit[i] = lowest(&xs, &ys, xs[i], nleft, nright, &mut res, robust).unwrap_or(ys[i]);
            let prev = last.unwrap_or(0);
            if last.is_some() && prev + 1 < i || last.is_none() && i > 0 {
                let denom = xs[i] - xs[prev];
                for j in prev + 1..i {
                    let alpha = (xs[j] - xs[prev]) / denom;
                    fit[j] = alpha * fit[i] + (1.0 - alpha) * fit[prev];
                }
            }
            let mut l = i;
            let cut = xs[l] + delta;
            let mut k = l + 1;
            while k < n {
                if xs[k] > cut {
                    break;
                }
                if xs[k] == xs[l] {
                    fit[k] = fit[l];
                    l = k;
                }
                k += 1;
            }
            last = Some(l);
            i = (l + 1).max(k - 1);
            if l >= n - 1 {
                break;
            }
        }
        for j in 0..n {
            res[j] = ys[j] - fit[j];
        }
        let sc = res.iter().map(|r| r.abs()).sum::<f64>() / n as f64;
        if step > iter {
            break;
        }
        for j in 0..n {
            rw[j] = res[j].abs();
        }
        let m1 = n / 2;
        let cmad = {
            let mut tmp = rw.clone();
            let (_, v1, _) = tmp.select_nth_unstable_by(m1, f64::total_cmp);
            let v1 = *v1;
            if n.is_multiple_of(2) {
                let m2 = n - m1 - 1;
                let (_, v2, _) = tmp.select_nth_unstable_by(m2, f64::total_cmp);
                3.0 * (v1 + *v2)
            } else {
                6.0 * v1
            }
        };
        if cmad < 1e-7 * sc {
            break;
        }
        let c9 = 0.999 * cmad;
        let c1 = 0.001 * cmad;
        for j in 0..n {
            let r = res[j].abs();
            rw[j] = if r <= c1 {
                1.0
            } else if r <= c9 {
                (1.0 - (r / cmad).powi(2)).powi(2)
            } else {
                0.0
            };
        }
        step += 1;
    }
    Ok(Lowess { x: xs, y: fit })
}

/// Hosmer–Lemeshow test, = `ResourceSelection::hoslem.test(y, p, g)`:
/// groups cut at the type-7 quantiles `quantile(p, seq(0, 1, 1/g))` (ties
/// merged by `unique`, intervals right-closed, the first closed), χ² summed
/// over observed vs expected events and non-events, df = g − 2.
/// Returns the test and the groups (for the binned calibration curve).
pub fn hosmer_lemeshow(
    labels: &[u8],
    p: &[f64],
    g: usize,
) -> Result<(HosmerLemeshow, Vec<CalibrationBin>)> {
    check::binary("labels", labels, "predicted probabilities", p, 1)?;
    check::probabilities("predicted probabilities", p)?;
    if g < 3 {
        return Err(StatsError::TooFew {
            what: "Hosmer–Lemeshow groups".into(),
            needed: 3,
            found: g,
        });
    }
    let mut sorted = p.to_vec();
    sorted.sort_by(f64::total_cmp);
    let step = 1.0 / g as f64;
    let mut breaks: Vec<f64> = (0..=g)
        .map(|i| quantile_type7(&sorted, i as f64 * step))
        .collect();
    breaks.dedup();
    let nb = breaks.len().saturating_sub(1).max(1);
    let mut obs1 = vec![0.0; nb];
    let mut obs0 = vec![0.0; nb];
    let mut exp1 = vec![0.0; nb];
    let mut exp0 = vec![0.0; nb];
    let mut count = vec![0usize; nb];
    for (&l, &pi) in labels.iter().zip(p) {
        // Bin b covers (breaks[b], breaks[b+1]]; bin 0 also holds breaks[0].
        let b = if breaks.len() < 2 {
            0
        } else {
            breaks[1..].partition_point(|&br| br < pi).min(nb - 1)
        };
        count[b] += 1;
        obs1[b] += l as f64;
        obs0[b] += 1.0 - l as f64;
        exp1[b] += pi;
        exp0[b] += 1.0 - pi;
    }
    let mut statistic = 0.0;
    let mut bins = Vec::with_capacity(nb);
    for b in 0..nb {
        if count[b] == 0 {
            continue;
        }
        statistic += (obs1[b] - exp1[b]).powi(2) / exp1[b] + (obs0[b] - exp0[b]).powi(2) / exp0[b];
        bins.push(CalibrationBin {
            n: count[b],
            predicted: exp1[b] / count[b] as f64,
            observed: obs1[b] / count[b] as f64,
            events: obs1[b] as usize,
        });
    }
    let df = g as f64 - 2.0;
    Ok((
        HosmerLemeshow {
            statistic,
            df,
            p_value: pchisq_upper(statistic, df),
            groups: g,
        },
        bins,
    ))
}

/// Calibration-in-the-large: the intercept a of `glm(y ~ offset(logit(p)),
/// family = binomial)`, by Newton's method on the one-parameter likelihood.
fn citl(y: &[u8], lp: &[f64]) -> f64 {
    let mut a = 0.0;
    for _ in 0..200 {
        let (mut score, mut info) = (0.0, 0.0);
        for (&yi, &o) in y.iter().zip(lp) {
            let mu = 1.0 / (1.0 + (-(a + o)).exp());
            score += yi as f64 - mu;
            info += mu * (1.0 - mu);
        }
        let step = score / info;
        a += step;
        if step.abs() < 1e-14 * (1.0 + a.abs()) {
            break;
        }
    }
    a
}

/// Calibration of predicted probabilities against outcomes, = `rms::val.prob(p, y)`:
/// recalibration intercept and slope (logistic fit of y on logit p), Brier
/// score, Eavg/Emax/E90 from the curve `lowess(p, y, iter = 0)` (val.prob's
/// own call: no robustness iterations), calibration-in-the-large (offset
/// model, not in val.prob), Hosmer–Lemeshow with g = 10 and its decile bins.
/// Probabilities must lie strictly inside (0, 1).
pub fn calibration(labels: &[u8], p: &[f64]) -> Result<Calibration> {
    check::binary("labels", labels, "predicted probabilities", p, 1)?;
    check::open_probabilities("predicted probabilities", p)?;
    let n = p.len();
    let lp: Vec<f64> = p.iter().map(|&v| (v / (1.0 - v)).ln()).collect();
    let fit = logistic_fit(&[&lp], &["logit(p)"], labels)?;
    let brier = p
        .iter()
        .zip(labels)
        .map(|(pi, &y)| (pi - y as f64).powi(2))
        .sum::<f64>()
        / n as f64;
    let y: Vec<f64> = labels.iter().map(|&l| l as f64).collect();
    let smooth = lowess(p, &y, 2.0 / 3.0, 0, None)?;
    let mut err: Vec<f64> = smooth
        .x
        .iter()
        .zip(&smooth.y)
        .map(|(a, b)| (a - b).abs())
        .collect();
    let eavg = err.iter().sum::<f64>() / n as f64;
    let emax = err.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    err.sort_by(f64::total_cmp);
    let e90 = quantile_type7(&err, 0.9);
    let (hosmer_lemeshow, bins) = hosmer_lemeshow(labels, p, 10)?;
    Ok(Calibration {
        n,
        citl: citl(labels, &lp),
        slope: fit.coefficients[1].estimate,
        intercept: fit.coefficients[0].estimate,
        brier,
        eavg,
        emax,
        e90,
        hosmer_lemeshow,
        bins,
        smooth,
    })
}
