//! Cohen's kappa, unweighted and weighted, = `psych::cohen.kappa` (estimate,
//! standard error, confidence bounds) and `irr::kappa2` (z and p under the
//! null of chance agreement), with the Landis–Koch (1977) labels.

use serde::Serialize;

use crate::check;
use crate::dist::{p_normal_two_sided, qnorm};
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
    /// Its standard error (psych's `sqrt(var.kappa)`).
    pub kappa_se: f64,
    /// Its lower bound.
    pub kappa_ci_low: f64,
    /// Its upper bound.
    pub kappa_ci_high: f64,
    /// Quadratically weighted kappa (psych's default weights 1 − (i − j)²/(k − 1)²).
    pub weighted_kappa: f64,
    /// Its standard error (psych's `sqrt(var.weighted)`).
    pub weighted_se: f64,
    /// Its lower bound.
    pub weighted_ci_low: f64,
    /// Its upper bound.
    pub weighted_ci_high: f64,
}

/// Agreement weights of a weighted kappa over k ordered levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KappaWeights {
    /// Identity weights (Cohen 1960): only exact agreement counts.
    Unweighted,
    /// 1 − |i − j|/(k − 1): psych with this `w` matrix, irr `weight = "equal"`.
    Linear,
    /// 1 − (i − j)²/(k − 1)²: psych's default weights, irr `weight = "squared"`.
    Quadratic,
}

impl KappaWeights {
    /// The k × k agreement weight matrix.
    fn matrix(self, k: usize) -> Vec<Vec<f64>> {
        let kf = (k - 1) as f64;
        (0..k)
            .map(|i| {
                (0..k)
                    .map(|j| {
                        let d = (i as f64 - j as f64).abs();
                        match self {
                            KappaWeights::Unweighted => f64::from(u8::from(i == j)),
                            KappaWeights::Linear => 1.0 - d / kf,
                            KappaWeights::Quadratic => 1.0 - d * d / (kf * kf),
                        }
                    })
                    .collect()
            })
            .collect()
    }
}

/// One kappa (for one weighting) with its standard error, confidence bounds
/// and test of no agreement beyond chance.
#[derive(Debug, Clone, Serialize)]
pub struct KappaEstimate {
    /// The weighting.
    pub weights: KappaWeights,
    /// Rows rated by both raters.
    pub n: usize,
    /// The category levels (sorted distinct values of both raters).
    pub levels: Vec<i64>,
    /// Observed (weighted) agreement.
    pub observed: f64,
    /// Agreement expected by chance from the margins.
    pub expected: f64,
    /// Kappa.
    pub kappa: f64,
    /// Standard error (Fleiss, Cohen & Everitt 1969, as psych codes it).
    pub se: f64,
    /// Lower confidence bound (clamped to −1).
    pub ci_low: f64,
    /// Upper confidence bound (clamped to 1).
    pub ci_high: f64,
    /// z = kappa / SE₀, with SE₀ the standard error under chance agreement (irr::kappa2).
    pub z: f64,
    /// Two-sided p-value of z.
    pub p_value: f64,
    /// The Landis–Koch label of `kappa`.
    pub label: LandisKoch,
}

/// A kappa, or why none can be computed.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum KappaOutcome {
    /// The estimate.
    Estimated(KappaEstimate),
    /// Chance agreement is already perfect (both raters gave every row the
    /// same single category), so kappa is 0/0; R returns NaN here.
    NotEstimable {
        /// Rows rated by both raters.
        n: usize,
        /// Why, in words.
        reason: String,
    },
}

impl KappaOutcome {
    /// The estimate, if there is one.
    pub fn estimate(&self) -> Option<&KappaEstimate> {
        match self {
            KappaOutcome::Estimated(e) => Some(e),
            KappaOutcome::NotEstimable { .. } => None,
        }
    }
}

/// Strength of agreement, Landis & Koch (1977), Biometrics 33:159–174.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LandisKoch {
    /// kappa < 0.
    Poor,
    /// 0 ≤ kappa ≤ 0.20.
    Slight,
    /// 0.20 < kappa ≤ 0.40.
    Fair,
    /// 0.40 < kappa ≤ 0.60.
    Moderate,
    /// 0.60 < kappa ≤ 0.80.
    Substantial,
    /// kappa > 0.80.
    AlmostPerfect,
}

impl LandisKoch {
    /// The label as printed in papers ("substantial", "almost perfect", …).
    pub fn as_str(self) -> &'static str {
        match self {
            LandisKoch::Poor => "poor",
            LandisKoch::Slight => "slight",
            LandisKoch::Fair => "fair",
            LandisKoch::Moderate => "moderate",
            LandisKoch::Substantial => "substantial",
            LandisKoch::AlmostPerfect => "almost perfect",
        }
    }
}

impl std::fmt::Display for LandisKoch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The Landis–Koch label of a kappa: < 0 poor, 0–0.20 slight, 0.21–0.40
/// fair, 0.41–0.60 moderate, 0.61–0.80 substantial, 0.81–1 almost perfect
/// (upper bounds inclusive), applied to the kappa rounded to two decimals
/// as tables print it (so 0.6000000000000001 is "moderate", 0.805
/// "almost perfect"). `None` for NaN.
pub fn landis_koch(kappa: f64) -> Option<LandisKoch> {
    if kappa.is_nan() {
        return None;
    }
    let kappa = (kappa * 100.0).round() / 100.0;
    Some(if kappa < 0.0 {
        LandisKoch::Poor
    } else if kappa <= 0.20 {
        LandisKoch::Slight
    } else if kappa <= 0.40 {
        LandisKoch::Fair
    } else if kappa <= 0.60 {
        LandisKoch::Moderate
    } else if kappa <= 0.80 {
        LandisKoch::Substantial
    } else {
        LandisKoch::AlmostPerfect
    })
}

/// The two raters' joint proportions over the sorted levels.
struct Crosstab {
    levels: Vec<i64>,
    /// x[i][j]: proportion of rows with rater A at level i and rater B at level j.
    x: Vec<Vec<f64>>,
    rs: Vec<f64>,
    cs: Vec<f64>,
    n: usize,
}

fn crosstab(a: &[i64], b: &[i64], given: Option<&[i64]>) -> Result<Crosstab> {
    check::same_len("rater A", a.len(), "rater B", b.len())?;
    if a.len() < 2 {
        return Err(StatsError::TooFew {
            what: "kappa".into(),
            needed: 2,
            found: a.len(),
        });
    }
    let mut levels: Vec<i64> = match given {
        Some(l) => l.to_vec(),
        None => a.iter().chain(b).copied().collect(),
    };
    levels.sort_unstable();
    levels.dedup();
    if let Some(l) = given {
        let expected = l
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join("|");
        for (name, v) in [("rater A", a), ("rater B", b)] {
            if let Some(i) = v.iter().position(|x| levels.binary_search(x).is_err()) {
                return Err(StatsError::BadLevel {
                    column: name.into(),
                    row: i + 1,
                    found: v[i].to_string(),
                    expected,
                });
            }
        }
    }
    let k = levels.len();
    let idx = |v: i64| levels.binary_search(&v).unwrap_or(0);
    let tot = a.len() as f64;
    let mut x = vec![vec![0.0; k]; k];
    for (&u, &v) in a.iter().zip(b) {
        x[idx(u)][idx(v)] += 1.0 / tot;
    }
    let rs: Vec<f64> = x.iter().map(|r| r.iter().sum()).collect();
    let cs: Vec<f64> = (0..k).map(|j| x.iter().map(|r| r[j]).sum()).collect();
    Ok(Crosstab {
        levels,
        x,
        rs,
        cs,
        n: a.len(),
    })
}

/// psych's variances: (kappa, var) for identity weights by its unweighted
/// formula, otherwise by its weighted one; plus irr's null variance.
struct Core {
    po: f64,
    pc: f64,
    kappa: f64,
    var: f64,
    var0: f64,
}

fn core(t: &Crosstab, weights: KappaWeights) -> Core {
    let k = t.levels.len();
    let (x, rs, cs) = (&t.x, &t.rs, &t.cs);
    let tot = t.n as f64;
    let w = weights.matrix(k);
    let mut po = 0.0;
    let mut pc = 0.0;
    for i in 0..k {
        for j in 0..k {
            po += w[i][j] * x[i][j];
            pc += w[i][j] * rs[i] * cs[j];
        }
    }
    let kappa = (po - pc) / (1.0 - pc);
    let var = if weights == KappaWeights::Unweighted {
        // psych: tr(x (I(1 − pc) − (rs + cs)(1 − po))²) + (1 − po)² Σ_{i≠j} x (cs_i + rs_j)².
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
        (t1 + (1.0 - po).powi(2) * t2 - (po * pc - 2.0 * pc + po).powi(2))
            / (tot * (1.0 - pc).powi(4))
    } else {
        // psych: colw = colSums(w * cs), roww = rowSums(w * rs) (R recycling).
        let colw: Vec<f64> = (0..k)
            .map(|j| (0..k).map(|i| w[i][j] * cs[i]).sum())
            .collect();
        let roww: Vec<f64> = (0..k).map(|i| rs[i] * w[i].iter().sum::<f64>()).collect();
        let mut s = 0.0;
        for i in 0..k {
            for j in 0..k {
                s += x[i][j] * (w[i][j] * (1.0 - pc) - (colw[i] + roww[j]) * (1.0 - po)).powi(2);
            }
        }
        (s - (po * pc - 2.0 * pc + po).powi(2)) / (tot * (1.0 - pc).powi(4))
    };
    // irr::kappa2: Σ p_i. p_.j (w_ij − (w̄_i. + w̄_.j))² − pc², over n (1 − pc)²,
    // with w̄_i. = Σ_j p_.j w_ij and w̄_.j = Σ_i p_i. w_ij.
    let wi: Vec<f64> = (0..k)
        .map(|i| (0..k).map(|j| cs[j] * w[i][j]).sum())
        .collect();
    let wj: Vec<f64> = (0..k)
        .map(|j| (0..k).map(|i| rs[i] * w[i][j]).sum())
        .collect();
    let mut s0 = 0.0;
    for i in 0..k {
        for j in 0..k {
            s0 += rs[i] * cs[j] * (w[i][j] - (wi[i] + wj[j])).powi(2);
        }
    }
    let var0 = (s0 - pc * pc) / (tot * (1.0 - pc).powi(2));
    let clean = |v: f64| if v.is_nan() || v < 0.0 { 0.0 } else { v };
    Core {
        po,
        pc,
        kappa,
        var: clean(var),
        var0: clean(var0),
    }
}

/// Cohen's kappa of two raters' categorical ratings (Cohen 1960; weighted,
/// Cohen 1968), = `psych::cohen.kappa(cbind(a, b), alpha = 1 − level)`:
/// variances of Fleiss, Cohen & Everitt (1969) exactly as psych codes them
/// (including psych's row-weight term), bounds clamped to ±1. Levels are the
/// sorted distinct values of both raters. Fails when both raters used one
/// and the same category only (use [`kappa_agreement`] for a typed
/// "not estimable" outcome).
pub fn cohen_kappa(a: &[i64], b: &[i64], level: f64) -> Result<Kappa> {
    check::level(level)?;
    let t = crosstab(a, b, None)?;
    if t.levels.len() < 2 {
        return Err(StatsError::BadShape {
            what: "kappa".into(),
            detail: "both raters used one category only: agreement is not defined".into(),
        });
    }
    let u = core(&t, KappaWeights::Unweighted);
    let q = core(&t, KappaWeights::Quadratic);
    let z = qnorm(1.0 - (1.0 - level) / 2.0);
    let clamp = |v: f64| v.clamp(-1.0, 1.0);
    Ok(Kappa {
        n: t.n,
        levels: t.levels,
        kappa: u.kappa,
        kappa_se: u.var.sqrt(),
        kappa_ci_low: clamp(u.kappa - z * u.var.sqrt()),
        kappa_ci_high: clamp(u.kappa + z * u.var.sqrt()),
        weighted_kappa: q.kappa,
        weighted_se: q.var.sqrt(),
        weighted_ci_low: clamp(q.kappa - z * q.var.sqrt()),
        weighted_ci_high: clamp(q.kappa + z * q.var.sqrt()),
    })
}

/// Cohen's kappa of two raters with one weighting: the estimate, standard
/// error and bounds of `psych::cohen.kappa(cbind(a, b), alpha = 1 − level)`
/// (unweighted: its `kappa` row; quadratic: its default weighted row; linear:
/// the weighted row with `w = 1 − abs(outer(1:k, 1:k, "-"))/(k − 1)`), and z
/// and p of `irr::kappa2(cbind(a, b), weight = "unweighted"|"equal"|"squared")`
/// (z = kappa / SE under chance agreement). Levels are the sorted distinct
/// values of both raters, as both packages take them (psych sorts them as
/// text, the same for one-digit codes), so weights depend on the levels
/// observed. Both raters using one and the same category gives
/// [`KappaOutcome::NotEstimable`] (R: NaN); bad input (unequal lengths, fewer
/// than two rows, `level` outside (0, 1)) is an error.
pub fn kappa_agreement(
    a: &[i64],
    b: &[i64],
    weights: KappaWeights,
    level: f64,
) -> Result<KappaOutcome> {
    kappa_outcome(a, b, None, weights, level)
}

/// [`kappa_agreement`] over a fixed, sorted set of levels (e.g. BI-RADS
/// 1..=4 even where a subset lacks one), = `psych::cohen.kappa(cbind(a, b),
/// levels = levels)`: the weights use k = the number of levels given. A
/// rating outside `levels` is an error naming the rater and row.
pub fn kappa_agreement_levels(
    a: &[i64],
    b: &[i64],
    levels: &[i64],
    weights: KappaWeights,
    level: f64,
) -> Result<KappaOutcome> {
    kappa_outcome(a, b, Some(levels), weights, level)
}

fn kappa_outcome(
    a: &[i64],
    b: &[i64],
    given: Option<&[i64]>,
    weights: KappaWeights,
    level: f64,
) -> Result<KappaOutcome> {
    check::level(level)?;
    let t = crosstab(a, b, given)?;
    let used: Vec<i64> = {
        let mut u: Vec<i64> = a.iter().chain(b).copied().collect();
        u.sort_unstable();
        u.dedup();
        u
    };
    if used.len() < 2 || t.levels.len() < 2 {
        return Ok(KappaOutcome::NotEstimable {
            n: t.n,
            reason: format!(
                "both raters gave all {} rows the same category ({}), so chance agreement is 1 and kappa is 0/0",
                t.n, used[0]
            ),
        });
    }
    let c = core(&t, weights);
    let zq = qnorm(1.0 - (1.0 - level) / 2.0);
    let se = c.var.sqrt();
    let se0 = c.var0.sqrt();
    let z = if se0 > 0.0 { c.kappa / se0 } else { f64::NAN };
    let label = landis_koch(c.kappa).ok_or_else(|| StatsError::BadShape {
        what: "kappa".into(),
        detail: "the estimate is not a number".into(),
    })?;
    Ok(KappaOutcome::Estimated(KappaEstimate {
        weights,
        n: t.n,
        levels: t.levels,
        observed: c.po,
        expected: c.pc,
        kappa: c.kappa,
        se,
        ci_low: (c.kappa - zq * se).clamp(-1.0, 1.0),
        ci_high: (c.kappa + zq * se).clamp(-1.0, 1.0),
        z,
        p_value: if z.is_nan() {
            1.0
        } else {
            p_normal_two_sided(z)
        },
        label,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn landis_koch_boundaries() {
        assert_eq!(landis_koch(-0.01), Some(LandisKoch::Poor));
        assert_eq!(landis_koch(0.0), Some(LandisKoch::Slight));
        assert_eq!(landis_koch(0.20), Some(LandisKoch::Slight));
        assert_eq!(landis_koch(0.21), Some(LandisKoch::Fair));
        assert_eq!(landis_koch(0.60), Some(LandisKoch::Moderate));
        assert_eq!(landis_koch(0.61), Some(LandisKoch::Substantial));
        assert_eq!(landis_koch(0.80), Some(LandisKoch::Substantial));
        assert_eq!(landis_koch(0.81), Some(LandisKoch::AlmostPerfect));
        assert_eq!(landis_koch(0.804), Some(LandisKoch::Substantial));
        assert_eq!(landis_koch(0.806), Some(LandisKoch::AlmostPerfect));
        assert_eq!(landis_koch(f64::NAN), None);
        assert_eq!(LandisKoch::AlmostPerfect.to_string(), "almost perfect");
    }

    #[test]
    fn constant_ratings_are_not_estimable_not_nan() {
        let a = [2, 2, 2, 2];
        let out = kappa_agreement(&a, &a, KappaWeights::Unweighted, 0.95).unwrap();
        assert!(
            matches!(out, KappaOutcome::NotEstimable { n: 4, .. }),
            "{out:?}"
        );
        assert!(cohen_kappa(&a, &a, 0.95).is_err());
        // One rater constant, the other not: chance agreement equals observed, kappa 0.
        let e = kappa_agreement(&a, &[2, 3, 2, 3], KappaWeights::Unweighted, 0.95).unwrap();
        assert_eq!(e.estimate().unwrap().kappa, 0.0);
    }

    #[test]
    fn hand_worked_two_by_two() {
        // 10 rows: 4 (1,1), 1 (1,0), 1 (0,1), 4 (0,0): po = 0.8, pc = 0.5, kappa = 0.6.
        let a = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0];
        let b = [1, 1, 1, 1, 0, 1, 0, 0, 0, 0];
        let e = kappa_agreement(&a, &b, KappaWeights::Unweighted, 0.95).unwrap();
        let e = e.estimate().unwrap();
        assert!((e.kappa - 0.6).abs() < 1e-15);
        // Null variance by hand: Σ p_i p_j (w_ij − (w̄_i + w̄_j))² − pc² with all
        // margins ½: diagonal (1 − 1)² = 0, off-diagonal (0 − 1)² = 1 → 0.5 − 0.25 = 0.25;
        // over n (1 − pc)² = 2.5 → 0.1; z = 0.6 / sqrt(0.1).
        assert!((e.z - 0.6 / 0.1f64.sqrt()).abs() < 1e-12, "{}", e.z);
        assert_eq!(e.label, LandisKoch::Moderate);
        // With two levels every weighting is the identity.
        let l = kappa_agreement(&a, &b, KappaWeights::Linear, 0.95).unwrap();
        assert!((l.estimate().unwrap().kappa - 0.6).abs() < 1e-15);
    }

    #[test]
    fn fixed_levels() {
        let a = [2, 2, 3, 3, 4, 4, 2, 3];
        let b = [2, 3, 3, 3, 4, 3, 2, 4];
        // With levels as observed the two calls agree.
        let x = kappa_agreement(&a, &b, KappaWeights::Linear, 0.95).unwrap();
        let y = kappa_agreement_levels(&a, &b, &[2, 3, 4], KappaWeights::Linear, 0.95).unwrap();
        assert_eq!(x.estimate().unwrap().kappa, y.estimate().unwrap().kappa);
        // An unused level changes the linear weights (k − 1 = 3, not 2).
        let z = kappa_agreement_levels(&a, &b, &[1, 2, 3, 4], KappaWeights::Linear, 0.95).unwrap();
        assert_ne!(x.estimate().unwrap().kappa, z.estimate().unwrap().kappa);
        let e = kappa_agreement_levels(&a, &b, &[1, 2, 3], KappaWeights::Linear, 0.95)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("rater A") && e.contains("row 5") && e.contains("\"4\""),
            "{e}"
        );
        let c = [4, 4, 4];
        let n =
            kappa_agreement_levels(&c, &c, &[1, 2, 3, 4], KappaWeights::Quadratic, 0.95).unwrap();
        assert!(matches!(n, KappaOutcome::NotEstimable { .. }));
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(kappa_agreement(&[1, 2], &[1], KappaWeights::Linear, 0.95).is_err());
        assert!(kappa_agreement(&[1], &[1], KappaWeights::Linear, 0.95).is_err());
        assert!(kappa_agreement(&[1, 2], &[1, 2], KappaWeights::Linear, 1.5).is_err());
    }
}
