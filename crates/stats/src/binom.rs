//! Proportions with exact (Clopper–Pearson) confidence intervals.

use serde::Serialize;

use crate::check;
use crate::dist::qbeta;
use crate::error::{Result, StatsError};

/// A proportion `successes / trials` with its exact confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Proportion {
    /// The estimate `successes / trials`.
    pub value: f64,
    /// Lower Clopper–Pearson bound.
    pub ci_low: f64,
    /// Upper Clopper–Pearson bound.
    pub ci_high: f64,
    /// Numerator.
    pub successes: u64,
    /// Denominator.
    pub trials: u64,
}

/// Exact Clopper–Pearson CI (Clopper & Pearson 1934), = `binom.test(x, n,
/// conf.level = level)$conf.int`: lower `qbeta(α/2, x, n − x + 1)` (0 when
/// x = 0), upper `qbeta(1 − α/2, x + 1, n − x)` (1 when x = n).
pub fn binom_ci(successes: u64, trials: u64, level: f64) -> Result<Proportion> {
    check::level(level)?;
    if trials == 0 {
        return Err(StatsError::TooFew {
            what: "binomial proportion".into(),
            needed: 1,
            found: 0,
        });
    }
    if successes > trials {
        return Err(StatsError::OutOfRange {
            column: "successes".into(),
            row: 1,
            value: successes as f64,
            expected: "0..=trials",
        });
    }
    let alpha = 1.0 - level;
    let (x, n) = (successes as f64, trials as f64);
    let ci_low = if successes == 0 {
        0.0
    } else {
        qbeta(alpha / 2.0, x, n - x + 1.0)
    };
    let ci_high = if successes == trials {
        1.0
    } else {
        qbeta(1.0 - alpha / 2.0, x + 1.0, n - x)
    };
    Ok(Proportion {
        value: x / n,
        ci_low,
        ci_high,
        successes,
        trials,
    })
}
