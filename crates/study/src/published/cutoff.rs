//! The signature's cut-offs: each table's own Youden point, the one fixed
//! cut-off, and the search for a single cut-off that reproduces every
//! printed metric of every cohort of the paper's Table 2 present.

use super::paper::PAPER_TABLE2;
use super::{Cohort, LEVEL, during, invalid};
use crate::error::{Result, StudyError};

/// The fixed cut-off of the "signature_fixed" rows and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct FixedCutoff {
    /// The cut-off (a score at or above it is positive).
    pub value: f64,
    /// Where it came from, in words.
    pub rule: String,
}

/// The Youden-optimal cut-off of `scores` (pROC `coords(best.method = "youden")`).
pub fn youden_cutoff(labels: &[u8], scores: &[f64], file: &str) -> Result<f64> {
    let y = dlrn_stats::youden(labels, scores).map_err(during(&format!(
        "Youden cut-off of the signature on {file}"
    )))?;
    if !y.threshold.is_finite() {
        return Err(invalid(format!(
            "the signature on {file} gives no finite Youden cut-off"
        )));
    }
    Ok(y.threshold)
}

/// Tries every distinct cut-off between the pooled signature scores (and
/// below/above all), or the cut-offs `given` when not empty, on every cohort
/// of the paper's Table 2 present here: (candidates tried, those that give
/// all five printed metrics with their CIs in every such cohort).
pub fn single_cutoff_search(
    cohorts: &[Cohort],
    scores: &[Vec<f64>],
    given: &[f64],
) -> Result<(usize, Vec<f64>)> {
    let present: Vec<(usize, [&str; 6])> = PAPER_TABLE2
        .iter()
        .filter_map(|(name, printed)| {
            cohorts
                .iter()
                .position(|c| c.name == *name)
                .map(|i| (i, *printed))
        })
        .collect();
    let mut pooled: Vec<f64> = present
        .iter()
        .flat_map(|(i, _)| scores[*i].iter().copied())
        .collect();
    pooled.sort_by(f64::total_cmp);
    pooled.dedup();
    let mut candidates: Vec<f64> = pooled.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect();
    if let (Some(lo), Some(hi)) = (pooled.first(), pooled.last()) {
        candidates.push(lo - 1.0);
        candidates.push(hi + 1.0);
    }
    if !given.is_empty() {
        candidates = given.to_vec();
    }
    let mut hits = Vec::new();
    for &cut in &candidates {
        let mut all = true;
        for (i, printed) in &present {
            let c = &cohorts[*i];
            let d = dlrn_stats::diagnostic_metrics(&c.labels, &scores[*i], cut, LEVEL)
                .map_err(|e| StudyError::Other(Box::new(e)))?;
            let cells = [Some(d.accuracy), d.sensitivity, d.specificity, d.ppv, d.npv].map(|p| {
                p.map_or_else(
                    || "NA".to_string(),
                    |p| dlrn_report::format::percent_ci(p.value, p.ci_low, p.ci_high),
                )
            });
            if cells.iter().zip(&printed[1..]).any(|(a, b)| a != b) {
                all = false;
                break;
            }
        }
        if all {
            hits.push(cut);
        }
    }
    Ok((candidates.len(), hits))
}
