//! Two-group tests for the baseline table (Table 1): t-test, Mann–Whitney U,
//! χ² and Fisher's exact test, each matching R's default call.

use serde::Serialize;
use statrs::function::gamma::ln_gamma;

use crate::check;
use crate::dist::{p_t_two_sided, pchisq_upper, pnorm, qt};
use crate::error::{Result, StatsError};
use crate::ranks::rank_sums;

/// Two-sample t-test result.
#[derive(Debug, Clone, Serialize)]
pub struct TTest {
    /// Mean of x.
    pub mean_x: f64,
    /// Mean of y.
    pub mean_y: f64,
    /// t statistic.
    pub t: f64,
    /// Degrees of freedom (Welch–Satterthwaite unless `equal_var`).
    pub df: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// Lower 95% bound of mean_x − mean_y.
    pub ci_low: f64,
    /// Upper 95% bound of mean_x − mean_y.
    pub ci_high: f64,
}

/// Two-sample t-test, = `t.test(x, y)` (Welch, the default) or
/// `t.test(x, y, var.equal = TRUE)` (Student) with `equal_var`.
pub fn t_test(x: &[f64], y: &[f64], equal_var: bool) -> Result<TTest> {
    check::finite("x", x)?;
    check::finite("y", y)?;
    for (name, v) in [("x", x), ("y", y)] {
        if v.len() < 2 {
            return Err(StatsError::TooFew {
                what: format!("t-test group {name}"),
                needed: 2,
                found: v.len(),
            });
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let var =
        |v: &[f64], m: f64| v.iter().map(|a| (a - m).powi(2)).sum::<f64>() / (v.len() as f64 - 1.0);
    let (nx, ny) = (x.len() as f64, y.len() as f64);
    let (mx, my) = (mean(x), mean(y));
    let (vx, vy) = (var(x, mx), var(y, my));
    let (se, df) = if equal_var {
        let df = nx + ny - 2.0;
        let v = ((nx - 1.0) * vx + (ny - 1.0) * vy) / df;
        ((v * (1.0 / nx + 1.0 / ny)).sqrt(), df)
    } else {
        let (sx, sy) = (vx / nx, vy / ny);
        (
            (sx + sy).sqrt(),
            (sx + sy).powi(2) / (sx * sx / (nx - 1.0) + sy * sy / (ny - 1.0)),
        )
    };
    let t = (mx - my) / se;
    let q = qt(0.975, df);
    Ok(TTest {
        mean_x: mx,
        mean_y: my,
        t,
        df,
        p_value: p_t_two_sided(t, df),
        ci_low: mx - my - q * se,
        ci_high: mx - my + q * se,
    })
}

/// Mann–Whitney U (Wilcoxon rank-sum) test result.
#[derive(Debug, Clone, Serialize)]
pub struct MannWhitney {
    /// R's W: rank sum of x minus n_x(n_x + 1)/2.
    pub w: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// Whether the exact null distribution was used.
    pub exact: bool,
}

/// Number of ways to reach each U (0..=m·n) for group sizes m and n, by
/// dynamic programming over positions (the distribution behind `pwilcox`).
fn wilcox_counts(m: usize, n: usize) -> Vec<f64> {
    let umax = m * n;
    // dp[j][u]: ways to place j x's among the positions seen so far with U = u.
    let mut dp = vec![vec![0.0f64; umax + 1]; m + 1];
    dp[0][0] = 1.0;
    for i in 0..m + n {
        for j in (0..m.min(i + 1)).rev() {
            // place x number j+1 at position i: it has i − j y's below it.
            let below = i - j;
            if below > n {
                continue;
            }
            let (lo, hi) = dp.split_at_mut(j + 1);
            let src = &lo[j];
            let dst = &mut hi[0];
            for u in (0..=umax - below.min(umax)).rev() {
                if src[u] != 0.0 {
                    dst[u + below] += src[u];
                }
            }
        }
    }
    dp.swap_remove(m)
}

/// Mann–Whitney U test, = `wilcox.test(x, y)` with R's defaults: exact
/// p-value when both groups have fewer than 50 values and there are no ties,
/// otherwise the normal approximation with tie correction and continuity
/// correction.
pub fn mann_whitney(x: &[f64], y: &[f64]) -> Result<MannWhitney> {
    check::finite("x", x)?;
    check::finite("y", y)?;
    if x.is_empty() || y.is_empty() {
        return Err(StatsError::TooFew {
            what: "Mann–Whitney groups".into(),
            needed: 1,
            found: x.len().min(y.len()),
        });
    }
    let (m, n) = (x.len(), y.len());
    let all: Vec<(f64, usize)> = x
        .iter()
        .map(|&v| (v, 0))
        .chain(y.iter().map(|&v| (v, 1)))
        .collect();
    let ranks = rank_sums(all, 2);
    let rank_sum_x = ranks.sums[0];
    let tie_term = ranks.tie_term;
    // t³ − t > 0 exactly when some run has t ≥ 2 tied values.
    let ties = tie_term > 0.0;
    let (mf, nf) = (m as f64, n as f64);
    let w = rank_sum_x - mf * (mf + 1.0) / 2.0;
    if m < 50 && n < 50 && !ties {
        let counts = wilcox_counts(m, n);
        let total: f64 = counts.iter().sum();
        let cdf = |q: f64| -> f64 {
            if q < 0.0 {
                return 0.0;
            }
            counts[..=(q as usize).min(m * n)].iter().sum::<f64>() / total
        };
        let p = if w > mf * nf / 2.0 {
            1.0 - cdf(w - 1.0)
        } else {
            cdf(w)
        };
        return Ok(MannWhitney {
            w,
            p_value: (2.0 * p).min(1.0),
            exact: true,
        });
    }
    let z0 = w - mf * nf / 2.0;
    let sigma =
        ((mf * nf / 12.0) * ((mf + nf + 1.0) - tie_term / ((mf + nf) * (mf + nf - 1.0)))).sqrt();
    let z = (z0 - z0.signum() * 0.5) / sigma;
    let p = 2.0 * pnorm(z).min(pnorm(-z));
    Ok(MannWhitney {
        w,
        p_value: p.min(1.0),
        exact: false,
    })
}

/// Pearson χ² test of independence result.
#[derive(Debug, Clone, Serialize)]
pub struct ChiSquare {
    /// χ² statistic.
    pub statistic: f64,
    /// Degrees of freedom (r − 1)(c − 1).
    pub df: f64,
    /// Upper-tail p-value.
    pub p_value: f64,
    /// Expected counts under independence.
    pub expected: Vec<Vec<f64>>,
}

/// Pearson χ² test of an r × c contingency table, = `chisq.test(table,
/// correct = correct)`: Yates' continuity correction (R's default) applies
/// only to 2 × 2 tables. A zero row or column total is an error.
pub fn chi_square(table: &[Vec<f64>], correct: bool) -> Result<ChiSquare> {
    let r = table.len();
    let c = table.first().map_or(0, |row| row.len());
    if r < 2 || c < 2 || table.iter().any(|row| row.len() != c) {
        return Err(StatsError::BadShape {
            what: "χ² test".into(),
            detail: format!("needs a rectangular table of at least 2 × 2, found {r} rows"),
        });
    }
    for (i, row) in table.iter().enumerate() {
        check::finite(&format!("table row {}", i + 1), row)?;
    }
    let rows: Vec<f64> = table.iter().map(|row| row.iter().sum()).collect();
    let cols: Vec<f64> = (0..c)
        .map(|j| table.iter().map(|row| row[j]).sum())
        .collect();
    let total: f64 = rows.iter().sum();
    if rows.iter().chain(&cols).any(|&s| s <= 0.0) {
        return Err(StatsError::BadShape {
            what: "χ² test".into(),
            detail: "a row or column total is zero".into(),
        });
    }
    let expected: Vec<Vec<f64>> = rows
        .iter()
        .map(|ri| cols.iter().map(|cj| ri * cj / total).collect())
        .collect();
    let yates = correct && r == 2 && c == 2;
    let mut statistic = 0.0;
    for i in 0..r {
        for j in 0..c {
            let d = (table[i][j] - expected[i][j]).abs();
            let d = if yates { d - d.min(0.5) } else { d };
            statistic += d * d / expected[i][j];
        }
    }
    let df = ((r - 1) * (c - 1)) as f64;
    Ok(ChiSquare {
        statistic,
        df,
        p_value: pchisq_upper(statistic, df),
        expected,
    })
}

/// Fisher's exact test result.
#[derive(Debug, Clone, Serialize)]
pub struct FisherExact {
    /// Two-sided p-value.
    pub p_value: f64,
}

fn ln_choose(n: f64, k: f64) -> f64 {
    ln_gamma(n + 1.0) - ln_gamma(k + 1.0) - ln_gamma(n - k + 1.0)
}

/// Fisher's exact test of a 2 × 2 table `[[a, b], [c, d]]`, = `fisher.test(x)$p.value`:
/// hypergeometric probabilities of every table with the same margins, summing
/// those no more likely than the observed (R's relative tolerance 1e-7).
/// Larger tables: [`crate::fisher_exact_rxc`].
pub fn fisher_exact(table: [[u64; 2]; 2]) -> Result<FisherExact> {
    let [[a, b], [c, d]] = table;
    let m = (a + c) as f64; // first column
    let n = (b + d) as f64; // second column
    let k = (a + b) as f64; // first row
    if m + n == 0.0 {
        return Err(StatsError::BadShape {
            what: "Fisher's exact test".into(),
            detail: "the table is empty".into(),
        });
    }
    let lo = (k - n).max(0.0) as u64;
    let hi = k.min(m) as u64;
    let logd: Vec<f64> = (lo..=hi)
        .map(|x| {
            let x = x as f64;
            ln_choose(m, x) + ln_choose(n, k - x) - ln_choose(m + n, k)
        })
        .collect();
    let max = logd.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let dens: Vec<f64> = logd.iter().map(|l| (l - max).exp()).collect();
    let sum: f64 = dens.iter().sum();
    let observed = dens[(a - lo) as usize];
    let p = dens
        .iter()
        .filter(|&&v| v <= observed * (1.0 + 1e-7))
        .sum::<f64>()
        / sum;
    Ok(FisherExact {
        p_value: p.min(1.0),
    })
}
