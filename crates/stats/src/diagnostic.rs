//! Confusion counts at a cut-off, diagnostic accuracy with exact CIs, and the
//! Youden-optimal cut-off.

use serde::Serialize;

use crate::binom::{Proportion, binom_ci};
use crate::check;
use crate::error::Result;
use crate::roc::roc;

/// Confusion counts; a score `>= cutoff` is called positive (pROC's rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Confusion {
    /// Cases called positive.
    pub tp: u64,
    /// Controls called positive.
    pub fp: u64,
    /// Controls called negative.
    pub tn: u64,
    /// Cases called negative.
    #[serde(rename = "fn")]
    pub fn_: u64,
}

/// Accuracy, sensitivity, specificity, PPV and NPV at a cut-off, each with a
/// Clopper–Pearson CI (None where the denominator is zero, e.g. PPV with no
/// positive calls).
#[derive(Debug, Clone, Serialize)]
pub struct Diagnostics {
    /// The cut-off used.
    pub cutoff: f64,
    /// Confusion counts.
    #[serde(flatten)]
    pub confusion: Confusion,
    /// (TP + TN) / n.
    pub accuracy: Proportion,
    /// TP / (TP + FN).
    pub sensitivity: Option<Proportion>,
    /// TN / (TN + FP).
    pub specificity: Option<Proportion>,
    /// TP / (TP + FP).
    pub ppv: Option<Proportion>,
    /// TN / (TN + FN).
    pub npv: Option<Proportion>,
}

/// The Youden-optimal threshold of a ROC curve.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct YoudenCut {
    /// Threshold (a midpoint between two observed scores, as pROC reports it).
    pub threshold: f64,
    /// Sensitivity there.
    pub sensitivity: f64,
    /// Specificity there.
    pub specificity: f64,
    /// Youden's J = sensitivity + specificity − 1.
    pub youden_j: f64,
}

/// Confusion counts at `cutoff` (score ≥ cutoff is positive).
pub fn confusion(labels: &[u8], scores: &[f64], cutoff: f64) -> Result<Confusion> {
    check::binary("labels", labels, "scores", scores, 0)?;
    check::finite("cutoff", &[cutoff])?;
    let mut c = Confusion {
        tp: 0,
        fp: 0,
        tn: 0,
        fn_: 0,
    };
    for (&l, &s) in labels.iter().zip(scores) {
        match (l == 1, s >= cutoff) {
            (true, true) => c.tp += 1,
            (true, false) => c.fn_ += 1,
            (false, true) => c.fp += 1,
            (false, false) => c.tn += 1,
        }
    }
    Ok(c)
}

/// Diagnostic accuracy at `cutoff` with exact 95%-type CIs at `level`
/// (= `binom.test` on each count, as the study's Table 2).
pub fn diagnostic_metrics(
    labels: &[u8],
    scores: &[f64],
    cutoff: f64,
    level: f64,
) -> Result<Diagnostics> {
    check::level(level)?;
    let c = confusion(labels, scores, cutoff)?;
    let n = c.tp + c.fp + c.tn + c.fn_;
    let opt = |x: u64, d: u64| {
        if d == 0 {
            Ok(None)
        } else {
            binom_ci(x, d, level).map(Some)
        }
    };
    Ok(Diagnostics {
        cutoff,
        confusion: c,
        accuracy: binom_ci(c.tp + c.tn, n, level)?,
        sensitivity: opt(c.tp, c.tp + c.fn_)?,
        specificity: opt(c.tn, c.tn + c.fp)?,
        ppv: opt(c.tp, c.tp + c.fp)?,
        npv: opt(c.tn, c.tn + c.fn_)?,
    })
}

/// Youden-optimal cut-off, = `pROC::coords(roc, "best", best.method =
/// "youden")` on a `direction = "<"` curve: the threshold maximising
/// sensitivity + specificity. Where several tie, pROC returns them all; this
/// returns the lowest threshold (the first in pROC's order).
pub fn youden(labels: &[u8], scores: &[f64]) -> Result<YoudenCut> {
    let r = roc(labels, scores)?;
    let mut best = 0;
    let mut best_j = f64::NEG_INFINITY;
    for i in 0..r.thresholds.len() {
        let j = r.sensitivities[i] + r.specificities[i];
        if j > best_j {
            best_j = j;
            best = i;
        }
    }
    Ok(YoudenCut {
        threshold: r.thresholds[best],
        sensitivity: r.sensitivities[best],
        specificity: r.specificities[best],
        youden_j: best_j - 1.0,
    })
}
