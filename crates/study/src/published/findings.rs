//! The written finding: which cut-off reproduces the signature rows the
//! paper prints, whether any single cut-off reproduces every printed metric
//! of every cohort whose table is given, and how far the metrics move at the
//! fixed cut-off.

use dlrn_report::Table2;

use super::cutoff::{FixedCutoff, single_cutoff_search};
use super::paper::{METRICS, PAPER_TABLE2};
use super::{Cohort, FIXED_MODEL, SIGNATURE_MODEL};
use crate::error::Result;

/// The written finding: which cut-off reproduces the paper's printed
/// signature rows, whether any single cut-off would, and how far the
/// metrics move at the fixed cut-off. One paragraph per string.
pub fn findings(
    cohorts: &[Cohort],
    scores: &[Vec<f64>],
    own_cutoffs: &[f64],
    table2: &Table2,
    fixed: &FixedCutoff,
    train_given: bool,
) -> Result<Vec<String>> {
    let cells = |cohort: &str, model: &str| -> Option<Vec<String>> {
        table2
            .rows
            .iter()
            .find(|r| r.cohort == cohort && r.model == model)
            .map(dlrn_report::table2_cells)
    };
    let mut paras = Vec::new();
    // Printed estimates (with their CIs) reproduced, per model.
    let mut compared = Vec::new();
    let (mut own_match, mut fixed_match, mut total) = (0, 0, 0);
    let mut own_misses = Vec::new();
    for (cohort, printed) in PAPER_TABLE2 {
        let (Some(own), Some(fix)) = (cells(cohort, SIGNATURE_MODEL), cells(cohort, FIXED_MODEL))
        else {
            continue;
        };
        compared.push(cohort);
        for (j, p) in printed.iter().enumerate() {
            total += 1;
            if own[2 + j] == *p {
                own_match += 1;
            } else {
                let what = if j == 0 { "AUC" } else { METRICS[j - 1] };
                own_misses.push(format!("{cohort} {what} {} (paper {p})", own[2 + j]));
            }
            if fix[2 + j] == *p {
                fixed_match += 1;
            }
        }
    }
    if compared.is_empty() {
        let names: Vec<&str> = PAPER_TABLE2.iter().map(|(name, _)| *name).collect();
        paras.push(format!(
            "None of the tables is named like a cohort of the paper's Table 2 ({}), so the regenerated rows were not compared with the printed ones.",
            names.join(", ")
        ));
    } else {
        let own_list: Vec<String> = cohorts
            .iter()
            .zip(own_cutoffs)
            .map(|(c, cut)| format!("{} {}", c.name, dlrn_report::format::fixed(*cut, 4)))
            .collect();
        let mut p = format!(
            "Which cut-off reproduces the published numbers: each cohort's own Youden-optimal cut-off ({}). At those cut-offs the regenerated signature rows equal {own_match} of the {total} estimates the paper prints for {} (AUC and ACC, SENS, SPE, PPV, NPV, each with its 95% CI, rounded as printed){}. At the one fixed cut-off {} ({}) they equal {fixed_match} of {total}.",
            own_list.join(", "),
            words_list(&compared),
            if own_misses.is_empty() {
                String::new()
            } else {
                format!("; different: {}", own_misses.join(", "))
            },
            dlrn_report::format::fixed(fixed.value, 4),
            fixed.rule,
        );
        // Would any single cut-off give every printed metric of every cohort?
        let (candidates, hits) = single_cutoff_search(cohorts, scores, &[])?;
        let both = words_list(&compared);
        let f4 = |x: f64| dlrn_report::format::fixed(x, 4);
        if hits.is_empty() {
            p.push_str(&format!(
                " None of the {candidates} distinct cut-offs between the pooled scores reproduces every printed metric of {both} at once: the published external-validation metrics were computed at cut-offs optimised on each validation cohort itself, which is optimistic (a cut-off chosen on the data it is tested on)."
            ));
        } else {
            let (lo, hi) = hits
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                    (a.min(x), b.max(x))
                });
            let (_, own_hits) = single_cutoff_search(cohorts, scores, own_cutoffs)?;
            let own_names: Vec<&str> = cohorts
                .iter()
                .zip(own_cutoffs)
                .filter(|(_, c)| own_hits.contains(c))
                .map(|(c, _)| c.name.as_str())
                .collect();
            let range = if hits.len() == 1 {
                format!("at {}", f4(lo))
            } else {
                format!("from {} to {}", f4(lo), f4(hi))
            };
            let verb = if hits.len() == 1 {
                "reproduces"
            } else {
                "reproduce"
            };
            let which = if own_names.is_empty() {
                "none of them is a cohort's own Youden point".to_string()
            } else {
                format!(
                    "among them the own Youden cut-off of {}",
                    words_list(&own_names)
                )
            };
            p.push_str(&format!(
                " {} of the {candidates} distinct cut-offs between the pooled scores ({range}) also {verb} every printed metric of {both} at once; {which}. On these cohorts alone the printed numbers cannot tell one cut-off from one per cohort. Whether such a cut-off is the training cohort's Youden point can only be checked with the training table (--train); if it is not, the published validation metrics were computed at cut-offs chosen on the validation cohorts themselves, which is optimistic.",
                hits.len(),
            ));
        }
        paras.push(p);
    }
    // How much the metrics move at the fixed cut-off.
    let mut moves = Vec::new();
    let mut largest: f64 = 0.0;
    for c in cohorts {
        let own = table2
            .rows
            .iter()
            .find(|r| r.cohort == c.name && r.model == SIGNATURE_MODEL);
        let fix = table2
            .rows
            .iter()
            .find(|r| r.cohort == c.name && r.model == FIXED_MODEL);
        let (Some(own), Some(fix)) = (own, fix) else {
            continue;
        };
        let pairs = [
            (own.accuracy, fix.accuracy),
            (own.sensitivity, fix.sensitivity),
            (own.specificity, fix.specificity),
            (own.ppv, fix.ppv),
            (own.npv, fix.npv),
        ];
        let parts: Vec<String> = pairs
            .iter()
            .zip(METRICS)
            .map(|((a, b), m)| {
                let d = 100.0 * (b.value - a.value);
                if d.is_finite() {
                    largest = largest.max(d.abs());
                }
                format!("{m} {} → {}", percent(a.value), percent(b.value))
            })
            .collect();
        moves.push(format!("{}: {}", c.name, parts.join(", ")));
    }
    paras.push(format!(
        "At the fixed cut-off {} ({}), the metrics move from the own-cut-off values (in %, own → fixed) — {}. The largest change is {} percentage points.",
        dlrn_report::format::fixed(fixed.value, 4),
        fixed.rule,
        moves.join("; "),
        dlrn_report::format::fixed(largest, 1),
    ));
    if !train_given {
        paras.push("The training table (Train.csv of the authors' release, 621 patients) is needed for the honest rows: the cut-off fixed on the training cohort, every Table 2 signature row at that cut-off, and the rerun of the authors' LASSO; pass it with --train (see data/README.md).".to_string());
    }
    Ok(paras)
}

/// A proportion as a whole percentage, `NA` when undefined.
fn percent(v: f64) -> String {
    if v.is_finite() {
        dlrn_report::format::fixed(100.0 * v, 0)
    } else {
        "NA".into()
    }
}

/// Names as prose: `A`, `A and B`, `A, B and C`.
fn words_list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
