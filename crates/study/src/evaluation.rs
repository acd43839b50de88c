//! Report rows computed from dlrn-stats results: the Table 2 row, the ROC
//! curve and the proportion estimate that every study-like run (the study,
//! the published-tables check, the assessment of a frozen model) writes.
//! They call the statistic and copy its numbers into dlrn-report's plain
//! types, which only render them.

use dlrn_report::{Estimate, RocCurve, Table2Row};
use dlrn_stats::Proportion;

use crate::error::{Result, StudyError};

fn stats_error(context: String) -> impl FnOnce(dlrn_stats::StatsError) -> StudyError {
    move |source| StudyError::Stats { context, source }
}

/// A proportion with its CI as the report's [`Estimate`].
pub fn estimate(p: &Proportion) -> Estimate {
    Estimate {
        value: p.value,
        ci_low: p.ci_low,
        ci_high: p.ci_high,
    }
}

/// An undefined proportion (no patient in its denominator): NaN, printed `NA`.
pub fn undefined_estimate() -> Estimate {
    Estimate {
        value: f64::NAN,
        ci_low: f64::NAN,
        ci_high: f64::NAN,
    }
}

/// One Table 2 row: AUC with DeLong CI (`pROC::ci.auc(method = "delong")`)
/// and accuracy, sensitivity, specificity, PPV, NPV with Clopper–Pearson CIs
/// (`binom.test`) at `cutoff` (score ≥ cutoff is positive); a metric with an
/// empty denominator is NaN (printed `NA`).
pub fn table2_row(
    cohort: &str,
    model: &str,
    labels: &[u8],
    scores: &[f64],
    cutoff: f64,
    level: f64,
    delong_p: Option<f64>,
) -> Result<Table2Row> {
    let a = dlrn_stats::auc_delong(labels, scores, level)
        .map_err(stats_error(format!("AUC of {model} on {cohort}")))?;
    let d = dlrn_stats::diagnostic_metrics(labels, scores, cutoff, level).map_err(stats_error(
        format!("diagnostic metrics of {model} on {cohort}"),
    ))?;
    let opt = |e: &Option<Proportion>| e.as_ref().map_or_else(undefined_estimate, estimate);
    Ok(Table2Row {
        cohort: cohort.into(),
        model: model.into(),
        auc: a.auc,
        auc_ci_low: a.ci_low,
        auc_ci_high: a.ci_high,
        accuracy: estimate(&d.accuracy),
        sensitivity: opt(&d.sensitivity),
        specificity: opt(&d.specificity),
        ppv: opt(&d.ppv),
        npv: opt(&d.npv),
        delong_p,
    })
}

/// A ROC curve for the figure (`pROC::roc(direction = "<")`): points
/// (1 − specificity, sensitivity) from (0, 0) to (1, 1), with the AUC and its DeLong CI.
pub fn roc_curve(model: &str, labels: &[u8], scores: &[f64], level: f64) -> Result<RocCurve> {
    let r =
        dlrn_stats::roc(labels, scores).map_err(stats_error(format!("ROC curve of {model}")))?;
    let ci = dlrn_stats::auc_delong(labels, scores, level)
        .map_err(stats_error(format!("AUC of {model}")))?;
    let mut points: Vec<(f64, f64)> = r
        .specificities
        .iter()
        .zip(&r.sensitivities)
        .map(|(sp, se)| (1.0 - sp, *se))
        .collect();
    if points.first() > points.last() {
        points.reverse();
    }
    Ok(RocCurve {
        model: model.into(),
        points,
        auc: ci.auc,
        auc_ci_low: ci.ci_low,
        auc_ci_high: ci.ci_high,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roc_runs_from_origin_and_row_copies_the_statistics() {
        // 2 cases, 2 controls, one overlap: AUC = 3/4 by hand.
        let y = [0u8, 0, 1, 1];
        let s = [0.1, 0.6, 0.4, 0.9];
        let c = roc_curve("m", &y, &s, 0.95).unwrap();
        assert_eq!(c.points.first(), Some(&(0.0, 0.0)));
        assert_eq!(c.points.last(), Some(&(1.0, 1.0)));
        assert!((c.auc - 0.75).abs() < 1e-15);
        let r = table2_row("TC", "m", &y, &s, 0.5, 0.95, None).unwrap();
        // At 0.5: TP 1 (0.9), FN 1 (0.4), FP 1 (0.6), TN 1 (0.1).
        assert_eq!(r.sensitivity.value, 0.5);
        assert_eq!(r.accuracy.value, 0.5);
        let all_neg = table2_row("TC", "m", &y, &s, 2.0, 0.95, None).unwrap();
        assert!(all_neg.ppv.value.is_nan());
    }
}
