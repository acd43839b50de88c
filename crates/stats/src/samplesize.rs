//! Minimum sample size for developing a binary-outcome prediction model,
//! = `pmsampsize(type = "b", …)` (pmsampsize 1.1.3; Riley et al. 2020, BMJ
//! 368:m441; Riley et al. 2019, Stat Med 38:1276).

use serde::Serialize;

use crate::dist::qnorm;
use crate::error::{Result, StatsError};
use crate::logistic::logistic_fit;
use crate::rrng::RRng;

/// pmsampsize's default seed for the C-statistic simulation.
pub const CSTAT_SEED: i32 = 123_456;
/// Patients simulated to convert a C-statistic to R²cs (pmsampsize's `n`).
pub const CSTAT_SIMULATED: usize = 1_000_000;

/// Where the anticipated Cox–Snell R² came from.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum R2Source {
    /// Given directly (`csrsquared`).
    CoxSnell,
    /// Converted from a C-statistic by pmsampsize's simulation (`cstatistic`).
    CStatistic {
        /// The C-statistic given.
        cstatistic: f64,
        /// The seed of the simulation.
        seed: i32,
        /// R²cs of the simulated cohort before pmsampsize rounds it to 4 digits.
        unrounded: f64,
    },
}

/// One criterion of Riley et al. (2020) (a row of pmsampsize's table).
#[derive(Debug, Clone, Serialize)]
pub struct Criterion {
    /// "Criteria 1", "Criteria 2", "Criteria 3" or "Final" as pmsampsize prints.
    pub name: &'static str,
    /// What the criterion ensures.
    pub description: &'static str,
    /// Minimum n it needs (`Samp_size`).
    pub sample_size: usize,
    /// Expected shrinkage at that n (`Shrinkage`, unrounded).
    pub shrinkage: f64,
    /// Events n·φ at that n.
    pub events: f64,
    /// Events per candidate predictor parameter (`EPP`, unrounded; pmsampsize
    /// prints it rounded to 2 digits).
    pub epp: f64,
}

/// pmsampsize's result for a binary outcome.
#[derive(Debug, Clone, Serialize)]
pub struct SampleSize {
    /// Candidate predictor parameters P.
    pub parameters: usize,
    /// Outcome prevalence φ.
    pub prevalence: f64,
    /// Anticipated Cox–Snell R² used (`CS_Rsq`).
    pub r2_cs: f64,
    /// Its source.
    pub r2_source: R2Source,
    /// Maximum possible R²cs at φ (`Max_Rsq`).
    pub max_r2_cs: f64,
    /// Anticipated Nagelkerke R² = R²cs / max (`Nag_Rsq`).
    pub r2_nagelkerke: f64,
    /// Target shrinkage S of criterion 1.
    pub target_shrinkage: f64,
    /// Criteria 1–3 and Final.
    pub criteria: Vec<Criterion>,
    /// The minimum sample size (the largest of the three).
    pub sample_size: usize,
    /// Events at the minimum sample size (n·φ).
    pub events: f64,
    /// Events per candidate predictor parameter at the minimum.
    pub epp: f64,
}

/// `round(x, digits)` as pmsampsize applies it to a simulated R² (an
/// arbitrary double, so never an exact decimal tie in practice).
fn round_digits(x: f64, digits: i32) -> f64 {
    let m = 10f64.powi(digits);
    (x * m).round() / m
}

/// Converts an anticipated C-statistic to a Cox–Snell R² as pmsampsize's
/// `cstat2rsq` does (Riley et al. 2021, Stat Med 40:859, approximation by
/// simulation): after R's `set.seed(seed)`, linear predictors of
/// ⌊φ·10⁶⌋ patients from N(0, 1) and ⌊(1 − φ)·10⁶⌋ from N(√2·Φ⁻¹(C), 1)
/// (R's `rnorm`, Inversion: two uniforms per draw), outcomes 0 and 1
/// respectively (pmsampsize's own labelling; R² is the same either way),
/// `glm(y ~ LP, binomial)`, R²cs = 1 − exp(−LR/10⁶). The draws are R's
/// (R's Mersenne-Twister, [`RRng`]); Φ⁻¹ is statrs', equal to R's `qnorm`
/// to ~1e-15, far inside the 4-digit rounding pmsampsize then applies.
pub fn cstatistic_to_r2cs(cstatistic: f64, prevalence: f64, seed: i32) -> Result<f64> {
    check_prevalence(prevalence)?;
    if !(cstatistic > 0.5 && cstatistic < 1.0) {
        return Err(StatsError::OutOfRange {
            column: "C-statistic".into(),
            row: 1,
            value: cstatistic,
            expected: "(0.5, 1): a model no better than chance needs no sample size",
        });
    }
    const BIG: f64 = 134_217_728.0;
    let n = CSTAT_SIMULATED as f64;
    let n0 = (prevalence * n) as usize;
    let n1 = ((1.0 - prevalence) * n) as usize;
    let mu = std::f64::consts::SQRT_2 * qnorm(cstatistic);
    let mut rng = RRng::set_seed(seed);
    let mut rnorm = |mean: f64| {
        let u = rng.unif_rand();
        let u = (BIG * u).trunc() + rng.unif_rand();
        mean + qnorm(u / BIG)
    };
    let mut lp = Vec::with_capacity(n0 + n1);
    lp.extend((0..n0).map(|_| rnorm(0.0)));
    lp.extend((0..n1).map(|_| rnorm(mu)));
    let y: Vec<u8> = (0..n0).map(|_| 0).chain((0..n1).map(|_| 1)).collect();
    let fit = logistic_fit(&[&lp], &["LP"], &y)?;
    Ok(1.0 - (-(fit.null_deviance - fit.deviance) / n).exp())
}

fn check_prevalence(prevalence: f64) -> Result<()> {
    if prevalence > 0.0 && prevalence < 1.0 {
        Ok(())
    } else {
        Err(StatsError::OutOfRange {
            column: "prevalence".into(),
            row: 1,
            value: prevalence,
            expected: "(0, 1)",
        })
    }
}

/// n at which the expected uniform shrinkage is `s` (Riley et al. 2020,
/// eq. 11): ⌈P / ((S − 1) ln(1 − R²cs/S))⌉.
fn n_for_shrinkage(parameters: f64, r2: f64, s: f64) -> usize {
    (parameters / ((s - 1.0) * (1.0 - r2 / s).ln())).ceil() as usize
}

/// The minimum sample size of a binary-outcome model, = `pmsampsize(type =
/// "b", csrsquared = r2_cs, parameters, prevalence, shrinkage)`: criterion
/// 1, expected shrinkage ≥ S; criterion 2, optimism in Nagelkerke R² ≤ 0.05
/// (shrinkage R²cs / (R²cs + 0.05·max R²cs)); criterion 3, the overall risk
/// within ±0.05 (n = (1.96/0.05)²·φ(1 − φ)); the final n is the largest.
/// With `cstatistic` instead, R²cs comes from [`cstatistic_to_r2cs`],
/// rounded to 4 digits as pmsampsize does.
pub fn sample_size_binary(
    parameters: usize,
    prevalence: f64,
    r2: SampleSizeR2,
    shrinkage: f64,
) -> Result<SampleSize> {
    check_prevalence(prevalence)?;
    if parameters == 0 {
        return Err(StatsError::OutOfRange {
            column: "parameters".into(),
            row: 1,
            value: 0.0,
            expected: "1, 2, … candidate predictor parameters",
        });
    }
    if !(shrinkage > 0.0 && shrinkage < 1.0) {
        return Err(StatsError::OutOfRange {
            column: "shrinkage".into(),
            row: 1,
            value: shrinkage,
            expected: "(0, 1)",
        });
    }
    let (r2_cs, r2_source) = match r2 {
        SampleSizeR2::CoxSnell(v) => (v, R2Source::CoxSnell),
        SampleSizeR2::CStatistic { cstatistic, seed } => {
            let unrounded = cstatistic_to_r2cs(cstatistic, prevalence, seed)?;
            (
                round_digits(unrounded, 4),
                R2Source::CStatistic {
                    cstatistic,
                    seed,
                    unrounded,
                },
            )
        }
    };
    if !(r2_cs > 0.0 && r2_cs < 1.0) {
        return Err(StatsError::OutOfRange {
            column: "Cox–Snell R²".into(),
            row: 1,
            value: r2_cs,
            expected: "(0, 1)",
        });
    }
    if shrinkage < r2_cs {
        return Err(StatsError::OutOfRange {
            column: "shrinkage".into(),
            row: 1,
            value: shrinkage,
            expected: "[R²cs, 1): pmsampsize needs the target shrinkage at least the anticipated Cox–Snell R²",
        });
    }
    let pf = parameters as f64;
    let n1 = n_for_shrinkage(pf, r2_cs, shrinkage);
    let e1 = n1 as f64 * prevalence;
    let nf1 = n1 as f64;
    let ln_null = e1 * (e1 / nf1).ln() + (nf1 - e1) * (1.0 - e1 / nf1).ln();
    let max_r2 = 1.0 - (2.0 * ln_null / nf1).exp();
    if max_r2 < r2_cs {
        return Err(StatsError::OutOfRange {
            column: "Cox–Snell R²".into(),
            row: 1,
            value: r2_cs,
            expected: "at most the maximum possible R²cs at this prevalence (Riley et al. 2018, eq. 23)",
        });
    }
    let s2 = r2_cs / (r2_cs + 0.05 * max_r2);
    let n2 = n_for_shrinkage(pf, r2_cs, s2);
    let n3 = ((1.96f64 / 0.05).powi(2) * (prevalence * (1.0 - prevalence))).ceil() as usize;
    let s3 = if s2 > shrinkage { s2 } else { shrinkage };
    let nfinal = n1.max(n2).max(n3);
    let row = |name, description, n: usize, s: f64| Criterion {
        name,
        description,
        sample_size: n,
        shrinkage: s,
        events: n as f64 * prevalence,
        epp: n as f64 * prevalence / pf,
    };
    let criteria = vec![
        row(
            "Criteria 1",
            "expected shrinkage of predictor effects at least S",
            n1,
            shrinkage,
        ),
        row(
            "Criteria 2",
            "optimism in Nagelkerke R² at most 0.05",
            n2,
            s2,
        ),
        row("Criteria 3", "overall risk estimated within ±0.05", n3, s3),
        row("Final", "the largest of the three", nfinal, s3),
    ];
    Ok(SampleSize {
        parameters,
        prevalence,
        r2_cs,
        r2_source,
        max_r2_cs: max_r2,
        r2_nagelkerke: r2_cs / max_r2,
        target_shrinkage: shrinkage,
        sample_size: nfinal,
        events: nfinal as f64 * prevalence,
        epp: nfinal as f64 * prevalence / pf,
        criteria,
    })
}

/// The anticipated model performance given to [`sample_size_binary`].
#[derive(Debug, Clone, Copy)]
pub enum SampleSizeR2 {
    /// Cox–Snell R² (pmsampsize `csrsquared`).
    CoxSnell(f64),
    /// A C-statistic (pmsampsize `cstatistic`, `seed`).
    CStatistic {
        /// The anticipated C-statistic.
        cstatistic: f64,
        /// The simulation's seed ([`CSTAT_SEED`] by default).
        seed: i32,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_inputs_are_errors() {
        let r = SampleSizeR2::CoxSnell(0.288);
        assert!(sample_size_binary(24, 0.0, r, 0.9).is_err());
        assert!(sample_size_binary(24, 1.0, r, 0.9).is_err());
        assert!(sample_size_binary(0, 0.2, r, 0.9).is_err());
        assert!(sample_size_binary(24, 0.2, r, 1.0).is_err());
        assert!(sample_size_binary(24, 0.2, SampleSizeR2::CoxSnell(0.95), 0.9).is_err());
        let c = SampleSizeR2::CStatistic {
            cstatistic: 0.5,
            seed: CSTAT_SEED,
        };
        assert!(sample_size_binary(24, 0.2, c, 0.9).is_err());
    }
}
