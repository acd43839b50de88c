//! ROC curves, AUC, DeLong variance and tests, bootstrap CI (pROC conventions).
//!
//! Conventions (pROC 1.18 with `direction = "<"`): label 1 is a case, higher
//! scores mean "more likely a case", a score `>= threshold` is called
//! positive, and a case–control tie counts ½ (the Mann–Whitney AUC).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

use crate::check;
use crate::dist::{p_normal_two_sided, p_t_two_sided, qnorm, quantile_type7};
use crate::error::Result;

/// An empirical ROC curve as `pROC::roc(labels, scores, direction = "<")` returns it.
#[derive(Debug, Clone, Serialize)]
pub struct Roc {
    /// Thresholds, increasing: −∞, midpoints between distinct scores, +∞
    /// (serialised as null at the infinite ends).
    pub thresholds: Vec<f64>,
    /// Sensitivity at each threshold (fraction of cases with score ≥ threshold).
    pub sensitivities: Vec<f64>,
    /// Specificity at each threshold (fraction of controls with score < threshold).
    pub specificities: Vec<f64>,
    /// Area under the curve (ties ½).
    pub auc: f64,
    /// Number of cases (label 1).
    pub cases: usize,
    /// Number of controls (label 0).
    pub controls: usize,
}

/// AUC with its DeLong variance and confidence interval.
#[derive(Debug, Clone, Serialize)]
pub struct AucCi {
    /// Number of cases (label 1).
    pub cases: usize,
    /// Number of controls (label 0).
    pub controls: usize,
    /// Area under the ROC curve (Mann–Whitney, ties ½).
    pub auc: f64,
    /// DeLong variance of the AUC.
    pub variance: f64,
    /// Its square root.
    pub se: f64,
    /// Lower confidence bound, clamped to [0, 1].
    pub ci_low: f64,
    /// Upper confidence bound, clamped to [0, 1].
    pub ci_high: f64,
    /// Confidence level (0.95 by default).
    pub level: f64,
}

/// DeLong test of two paired AUCs (same cases, two scores).
#[derive(Debug, Clone, Serialize)]
pub struct DelongTest {
    /// AUC of the first score.
    pub auc_a: f64,
    /// AUC of the second score.
    pub auc_b: f64,
    /// `auc_a − auc_b`.
    pub difference: f64,
    /// Standard error of the difference.
    pub se: f64,
    /// Z statistic.
    pub z: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// Lower confidence bound of the difference.
    pub ci_low: f64,
    /// Upper confidence bound of the difference.
    pub ci_high: f64,
    /// Confidence level.
    pub level: f64,
}

/// pROC's DeLong test for two unpaired ROC curves (Welch-type t statistic).
#[derive(Debug, Clone, Serialize)]
pub struct UnpairedDelongTest {
    /// AUC of the first curve.
    pub auc_a: f64,
    /// AUC of the second curve.
    pub auc_b: f64,
    /// The statistic pROC prints as D.
    pub statistic: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    /// Two-sided p-value from the t distribution.
    pub p_value: f64,
}

/// Percentile bootstrap CI of the AUC.
#[derive(Debug, Clone, Serialize)]
pub struct BootstrapCi {
    /// AUC on the original sample.
    pub auc: f64,
    /// Lower percentile bound (type-7 quantile, as `quantile()`).
    pub ci_low: f64,
    /// Upper percentile bound.
    pub ci_high: f64,
    /// Standard deviation of the bootstrap AUCs.
    pub boot_sd: f64,
    /// Number of resamples.
    pub n_boot: usize,
    /// Confidence level.
    pub level: f64,
    /// The seed used.
    pub seed: u64,
}

/// DeLong structural components ("placements") of one score.
#[derive(Debug, Clone)]
pub(crate) struct Placements {
    /// AUC (θ).
    pub auc: f64,
    /// V10: per case (in row order), fraction of controls below it (+½ ties).
    pub cases: Vec<f64>,
    /// V01: per control (in row order), fraction of cases above it (+½ ties).
    pub controls: Vec<f64>,
}

/// Order-preserving map of an f64 onto a u64 (−0 and +0 map alike; no NaN here).
fn sort_key(x: f64) -> u64 {
    let bits = (x + 0.0).to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

/// Rows sorted by score (stable ties order does not matter: ties are grouped).
fn sorted_rows(scores: &[f64]) -> Vec<(u64, u32)> {
    let mut keyed: Vec<(u64, u32)> = scores
        .iter()
        .enumerate()
        .map(|(i, &s)| (sort_key(s), i as u32))
        .collect();
    if keyed.len() > 1 << 15 {
        keyed.par_sort_unstable();
    } else {
        keyed.sort_unstable();
    }
    keyed
}

/// DeLong placements in O(n log n) by one sort (Sun & Xu 2014, "Fast
/// implementation of DeLong's algorithm", IEEE SPL 21:1389): within the
/// sorted order, a case's V10 is (controls below + ½ tied controls) / n0 and
/// a control's V01 is (cases above + ½ tied cases) / n1, the midrank identity
/// of Sun & Xu. Inputs must already be validated.
pub(crate) fn placements(
    labels: &[u8],
    scores: &[f64],
    cases: usize,
    controls: usize,
) -> Placements {
    let mut position = vec![0u32; labels.len()];
    let (mut ci, mut ki) = (0u32, 0u32);
    for (i, &l) in labels.iter().enumerate() {
        if l == 1 {
            position[i] = ci;
            ci += 1;
        } else {
            position[i] = ki;
            ki += 1;
        }
    }
    let sorted = sorted_rows(scores);
    let (m, n) = (cases as f64, controls as f64);
    let mut v10 = vec![0.0; cases];
    let mut v01 = vec![0.0; controls];
    let (mut below_controls, mut below_cases) = (0usize, 0usize);
    let mut start = 0;
    while start < sorted.len() {
        let key = sorted[start].0;
        let mut end = start;
        let (mut a, mut b) = (0usize, 0usize);
        while end < sorted.len() && sorted[end].0 == key {
            if labels[sorted[end].1 as usize] == 1 {
                a += 1;
            } else {
                b += 1;
            }
            end += 1;
        }
        let case_value = (below_controls as f64 + 0.5 * b as f64) / n;
        let control_value = ((cases - below_cases - a) as f64 + 0.5 * a as f64) / m;
        for &(_, row) in &sorted[start..end] {
            let row = row as usize;
            if labels[row] == 1 {
                v10[position[row] as usize] = case_value;
            } else {
                v01[position[row] as usize] = control_value;
            }
        }
        below_controls += b;
        below_cases += a;
        start = end;
    }
    let auc = v10.iter().sum::<f64>() / m;
    Placements {
        auc,
        cases: v10,
        controls: v01,
    }
}

/// Sample covariance (denominator k − 1) of two placement vectors around θ.
fn cov(a: &[f64], theta_a: f64, b: &[f64], theta_b: f64) -> f64 {
    let s: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - theta_a) * (y - theta_b))
        .sum();
    s / (a.len() as f64 - 1.0)
}

/// DeLong variance of one AUC: `S10/m + S01/n` (pROC's `ci.auc.delong`).
fn delong_variance(p: &Placements) -> f64 {
    let m = p.cases.len() as f64;
    let n = p.controls.len() as f64;
    cov(&p.cases, p.auc, &p.cases, p.auc) / m + cov(&p.controls, p.auc, &p.controls, p.auc) / n
}

/// Empirical ROC curve, = `pROC::roc(labels, scores, direction = "<")`:
/// thresholds at −∞, the midpoints between consecutive distinct scores and
/// +∞, score ≥ threshold called positive. Needs one case and one control.
pub fn roc(labels: &[u8], scores: &[f64]) -> Result<Roc> {
    let (cases, controls) = check::binary("labels", labels, "scores", scores, 1)?;
    let sorted = sorted_rows(scores);
    let mut thresholds = vec![f64::NEG_INFINITY];
    let mut sensitivities = vec![1.0];
    let mut specificities = vec![0.0];
    let (mut below_cases, mut below_controls) = (0usize, 0usize);
    let mut start = 0;
    while start < sorted.len() {
        let key = sorted[start].0;
        let mut end = start;
        while end < sorted.len() && sorted[end].0 == key {
            if labels[sorted[end].1 as usize] == 1 {
                below_cases += 1;
            } else {
                below_controls += 1;
            }
            end += 1;
        }
        let here = scores[sorted[start].1 as usize] + 0.0;
        let threshold = if end < sorted.len() {
            (here + scores[sorted[end].1 as usize]) / 2.0
        } else {
            f64::INFINITY
        };
        thresholds.push(threshold);
        sensitivities.push((cases - below_cases) as f64 / cases as f64);
        specificities.push(below_controls as f64 / controls as f64);
        start = end;
    }
    let auc = placements(labels, scores, cases, controls).auc;
    Ok(Roc {
        thresholds,
        sensitivities,
        specificities,
        auc,
        cases,
        controls,
    })
}

/// AUC (Mann–Whitney, ties ½) alone; needs one case and one control.
pub fn auc(labels: &[u8], scores: &[f64]) -> Result<f64> {
    let (cases, controls) = check::binary("labels", labels, "scores", scores, 1)?;
    Ok(placements(labels, scores, cases, controls).auc)
}

/// AUC with DeLong's variance and CI (DeLong, DeLong & Clarke-Pearson 1988),
/// computed in O(n log n) (Sun & Xu 2014). Matches `pROC::ci.auc(roc,
/// method = "delong", conf.level = level)` on a curve with `direction = "<"`:
/// `auc ± qnorm(1 − (1 − level)/2)·√var`, clamped to [0, 1].
/// Needs two cases and two controls.
pub fn auc_delong(labels: &[u8], scores: &[f64], level: f64) -> Result<AucCi> {
    check::level(level)?;
    let (cases, controls) = check::binary("labels", labels, "scores", scores, 2)?;
    let p = placements(labels, scores, cases, controls);
    let variance = delong_variance(&p);
    let se = variance.sqrt();
    let q = qnorm(1.0 - (1.0 - level) / 2.0);
    Ok(AucCi {
        cases,
        controls,
        auc: p.auc,
        variance,
        se,
        ci_low: (p.auc - q * se).clamp(0.0, 1.0),
        ci_high: (p.auc + q * se).clamp(0.0, 1.0),
        level,
    })
}

/// DeLong test of two correlated AUCs (two scores on the same cases),
/// = `pROC::roc.test(r1, r2, method = "delong", paired = TRUE)` with both
/// curves `direction = "<"`: Z = (θa − θb)/σ with σ² = L(S10/m + S01/n)Lᵀ,
/// two-sided normal p, CI θa − θb ± z·σ. When both scores rank every pair
/// alike (σ = 0 and no difference) Z = 0 and p = 1.
pub fn delong_paired(labels: &[u8], a: &[f64], b: &[f64], level: f64) -> Result<DelongTest> {
    check::level(level)?;
    check::same_len("score A", a.len(), "score B", b.len())?;
    let (cases, controls) = check::binary("labels", labels, "score A", a, 2)?;
    check::finite("score B", b)?;
    let pa = placements(labels, a, cases, controls);
    let pb = placements(labels, b, cases, controls);
    let (m, n) = (cases as f64, controls as f64);
    let s10 = [
        cov(&pa.cases, pa.auc, &pa.cases, pa.auc),
        cov(&pa.cases, pa.auc, &pb.cases, pb.auc),
        cov(&pb.cases, pb.auc, &pb.cases, pb.auc),
    ];
    let s01 = [
        cov(&pa.controls, pa.auc, &pa.controls, pa.auc),
        cov(&pa.controls, pa.auc, &pb.controls, pb.auc),
        cov(&pb.controls, pb.auc, &pb.controls, pb.auc),
    ];
    let var = (s10[0] - 2.0 * s10[1] + s10[2]) / m + (s01[0] - 2.0 * s01[1] + s01[2]) / n;
    let se = var.max(0.0).sqrt();
    let difference = pa.auc - pb.auc;
    let (z, p_value) = if se > 0.0 {
        let z = difference / se;
        (z, p_normal_two_sided(z))
    } else if difference == 0.0 {
        (0.0, 1.0)
    } else {
        (difference.signum() * f64::INFINITY, 0.0)
    };
    let q = qnorm(1.0 - (1.0 - level) / 2.0);
    Ok(DelongTest {
        auc_a: pa.auc,
        auc_b: pb.auc,
        difference,
        se,
        z,
        p_value,
        ci_low: difference - q * se,
        ci_high: difference + q * se,
        level,
    })
}

/// pROC's DeLong test for two unpaired curves (different patients), =
/// `pROC::roc.test(r1, r2, method = "delong", paired = FALSE)`:
/// D = (θa − θb)/√(Va + Vb) with Welch–Satterthwaite df
/// (Va + Vb)²/(Va²/(Na − 1) + Vb²/(Nb − 1)), p = 2·pt(−|D|, df).
pub fn delong_unpaired(
    labels_a: &[u8],
    scores_a: &[f64],
    labels_b: &[u8],
    scores_b: &[f64],
) -> Result<UnpairedDelongTest> {
    let (ca, ka) = check::binary("labels A", labels_a, "score A", scores_a, 2)?;
    let (cb, kb) = check::binary("labels B", labels_b, "score B", scores_b, 2)?;
    let pa = placements(labels_a, scores_a, ca, ka);
    let pb = placements(labels_b, scores_b, cb, kb);
    let va = delong_variance(&pa);
    let vb = delong_variance(&pb);
    let statistic = (pa.auc - pb.auc) / (va + vb).sqrt();
    let df = (va + vb).powi(2)
        / (va * va / ((ca + ka) as f64 - 1.0) + vb * vb / ((cb + kb) as f64 - 1.0));
    Ok(UnpairedDelongTest {
        auc_a: pa.auc,
        auc_b: pb.auc,
        statistic,
        df,
        p_value: p_t_two_sided(statistic, df),
    })
}

/// Stratified percentile bootstrap CI of the AUC, as `pROC::ci.auc(roc,
/// method = "bootstrap", boot.n = n_boot, boot.stratified = TRUE)`: cases are
/// resampled from cases and controls from controls; the CI is the type-7
/// quantile of the resampled AUCs. Resample r draws from ChaCha8 seeded with
/// `seed` on stream r, so the result is the same for any number of threads
/// (R's RNG differs, so the bounds agree with pROC only statistically).
pub fn auc_bootstrap_ci(
    labels: &[u8],
    scores: &[f64],
    n_boot: usize,
    level: f64,
    seed: u64,
) -> Result<BootstrapCi> {
    check::level(level)?;
    let (cases, controls) = check::binary("labels", labels, "scores", scores, 2)?;
    if n_boot < 2 {
        return Err(crate::StatsError::TooFew {
            what: "bootstrap resamples".into(),
            needed: 2,
            found: n_boot,
        });
    }
    let auc = placements(labels, scores, cases, controls).auc;
    // Tie groups in score order, each as (first, end) into `order`, plus each
    // row's case/control index so a resample is just a count per row.
    let sorted = sorted_rows(scores);
    let mut case_rows = Vec::with_capacity(cases);
    let mut control_rows = Vec::with_capacity(controls);
    for (i, &l) in labels.iter().enumerate() {
        if l == 1 {
            case_rows.push(i);
        } else {
            control_rows.push(i);
        }
    }
    let mut groups = Vec::new();
    let mut start = 0;
    while start < sorted.len() {
        let mut end = start;
        while end < sorted.len() && sorted[end].0 == sorted[start].0 {
            end += 1;
        }
        groups.push((start, end));
        start = end;
    }
    let order: Vec<usize> = sorted.iter().map(|&(_, r)| r as usize).collect();
    let denom = cases as f64 * controls as f64;
    let boot: Vec<f64> = (0..n_boot)
        .into_par_iter()
        .map_init(
            || vec![0u32; labels.len()],
            |weight, r| {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                rng.set_stream(r as u64);
                weight.iter_mut().for_each(|w| *w = 0);
                for _ in 0..cases {
                    weight[case_rows[rng.random_range(0..cases)]] += 1;
                }
                for _ in 0..controls {
                    weight[control_rows[rng.random_range(0..controls)]] += 1;
                }
                let mut below = 0.0;
                let mut total = 0.0;
                for &(s, e) in &groups {
                    let (mut a, mut b) = (0.0, 0.0);
                    for &row in &order[s..e] {
                        let w = weight[row] as f64;
                        if labels[row] == 1 { a += w } else { b += w }
                    }
                    total += a * (below + 0.5 * b);
                    below += b;
                }
                total / denom
            },
        )
        .collect();
    let mean = boot.iter().sum::<f64>() / n_boot as f64;
    let boot_sd =
        (boot.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n_boot as f64 - 1.0)).sqrt();
    let mut sorted_boot = boot;
    sorted_boot.sort_by(f64::total_cmp);
    let alpha = (1.0 - level) / 2.0;
    Ok(BootstrapCi {
        auc,
        ci_low: quantile_type7(&sorted_boot, alpha),
        ci_high: quantile_type7(&sorted_boot, 1.0 - alpha),
        boot_sd,
        n_boot,
        level,
        seed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The AUC by its definition: mean over case–control pairs of
    /// 1[case > control] + ½·1[case = control] (O(n²), no sorting).
    fn brute_auc(labels: &[u8], scores: &[f64]) -> f64 {
        let (mut s, mut k) = (0.0, 0.0);
        for (i, &li) in labels.iter().enumerate() {
            for (j, &lj) in labels.iter().enumerate() {
                if li == 1 && lj == 0 {
                    k += 1.0;
                    s += if scores[i] > scores[j] {
                        1.0
                    } else if scores[i] == scores[j] {
                        0.5
                    } else {
                        0.0
                    };
                }
            }
        }
        s / k
    }

    #[test]
    fn sorted_placements_equal_the_pairwise_definition() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for _ in 0..20 {
            let n = rng.random_range(4..80);
            let labels: Vec<u8> = (0..n).map(|i| (i % 3 == 0) as u8).collect();
            // Few distinct values (many ties), negative values and ±0.
            let scores: Vec<f64> = (0..n)
                .map(|_| [-2.5, -0.0, 0.0, 1.0, 3.0][rng.random_range(0..5)])
                .collect();
            let (c, k) = check::labels(&labels).unwrap();
            let p = placements(&labels, &scores, c, k);
            assert!((p.auc - brute_auc(&labels, &scores)).abs() < 1e-12);
            // Structural components average to the AUC from both sides.
            let from_controls = p.controls.iter().sum::<f64>() / k as f64;
            assert!((p.auc - from_controls).abs() < 1e-12);
        }
    }

    #[test]
    fn direction_is_higher_score_is_case() {
        let labels = [0, 0, 1, 1];
        assert_eq!(auc(&labels, &[1.0, 2.0, 3.0, 4.0]).unwrap(), 1.0);
        assert_eq!(auc(&labels, &[4.0, 3.0, 2.0, 1.0]).unwrap(), 0.0);
    }
}
