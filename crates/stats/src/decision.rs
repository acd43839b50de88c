//! Decision curve analysis (Vickers & Elkin 2006): net benefit of a model,
//! of treating everyone and of treating no one over threshold probabilities.

use serde::Serialize;

use crate::check;
use crate::error::{Result, StatsError};

/// Net benefit at one threshold probability.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct DecisionPoint {
    /// Threshold probability pt.
    pub threshold: f64,
    /// Net benefit of treating those with p ≥ pt.
    pub net_benefit: f64,
    /// Net benefit of treating everyone.
    pub treat_all: f64,
    /// Net benefit of treating no one (always 0).
    pub treat_none: f64,
    /// True positives at pt.
    pub tp: u64,
    /// False positives at pt.
    pub fp: u64,
}

/// A decision curve.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionCurve {
    /// Rows.
    pub n: usize,
    /// Event rate.
    pub prevalence: f64,
    /// One point per threshold, in the order given.
    pub points: Vec<DecisionPoint>,
}

/// The default threshold grid 0.01, 0.02, …, 0.99 (dcurves' default range).
pub fn default_thresholds() -> Vec<f64> {
    (1..100).map(|i| i as f64 / 100.0).collect()
}

/// Decision curve, = `dcurves::dca(y ~ p, thresholds = …)` /
/// `rmda::decision_curve` without bootstrap: NB(pt) = TP/n − FP/n · pt/(1 − pt)
/// with "p ≥ pt" treated; treat-all NB = prevalence − (1 − prevalence) · pt/(1 − pt).
/// Thresholds must lie in [0, 1).
pub fn decision_curve(labels: &[u8], p: &[f64], thresholds: &[f64]) -> Result<DecisionCurve> {
    check::binary("labels", labels, "predicted probabilities", p, 0)?;
    check::probabilities("predicted probabilities", p)?;
    if p.is_empty() {
        return Err(StatsError::TooFew {
            what: "decision curve".into(),
            needed: 1,
            found: 0,
        });
    }
    if let Some(i) = thresholds.iter().position(|t| !(0.0..1.0).contains(t)) {
        return Err(StatsError::OutOfRange {
            column: "thresholds".into(),
            row: i + 1,
            value: thresholds[i],
            expected: "[0, 1)",
        });
    }
    let n = p.len() as f64;
    let events = labels.iter().filter(|&&l| l == 1).count() as f64;
    let prevalence = events / n;
    let points = thresholds
        .iter()
        .map(|&pt| {
            let (mut tp, mut fp) = (0u64, 0u64);
            for (&l, &pi) in labels.iter().zip(p) {
                if pi >= pt {
                    if l == 1 { tp += 1 } else { fp += 1 }
                }
            }
            let odds = pt / (1.0 - pt);
            DecisionPoint {
                threshold: pt,
                net_benefit: tp as f64 / n - fp as f64 / n * odds,
                treat_all: prevalence - (1.0 - prevalence) * odds,
                treat_none: 0.0,
                tp,
                fp,
            }
        })
        .collect();
    Ok(DecisionCurve {
        n: p.len(),
        prevalence,
        points,
    })
}
