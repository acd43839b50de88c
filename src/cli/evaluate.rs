//! `dlrn evaluate`: discrimination of one score — AUC with DeLong CI and,
//! at a cut-off, the confusion counts and accuracy measures with exact CIs.

use std::path::PathBuf;

use anyhow::Context;
use dlrn_cohort::Table;
use dlrn_stats::{Proportion, auc_delong, diagnostic_metrics, youden};
use serde::Serialize;

use crate::cli::util::print_json;

/// Evaluate a score: AUC with DeLong 95% CI, and accuracy measures at a cut-off.
///
/// Computes the AUC (ties count ½; higher score = ALN+, pROC's
/// `direction = "<"`) with its DeLong 95% CI (= `pROC::ci.auc(roc, method =
/// "delong")`). With --cutoff X, or --youden (the threshold maximising
/// sensitivity + specificity, = `pROC::coords(roc, "best")`), a score ≥ the
/// cut-off is called positive and the confusion counts and accuracy,
/// sensitivity, specificity, PPV and NPV are reported with exact
/// Clopper–Pearson 95% CIs (= `binom.test`), as the study's Table 2.
///
/// JSON keys: n, positives, auc, auc_ci_low, auc_ci_high and, with a cut-off,
/// cutoff, tp, fp, tn, fn, accuracy, sensitivity, specificity, ppv, npv (each
/// {"value", "ci_low", "ci_high", "successes", "trials"}; null when its
/// denominator is 0). Needs two patients per class; NaN scores, labels other
/// than 0/1 and duplicate ids are errors naming the row.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Table with the label and score columns (.csv or .parquet).
    #[arg(long, value_name = "SCORES")]
    pub data: PathBuf,

    /// Outcome column (0/1; 1 = ALN+).
    #[arg(long, default_value = "ALN_status", value_name = "COLUMN")]
    pub label: String,

    /// Score column (higher = more likely ALN+).
    #[arg(long, value_name = "COLUMN")]
    pub score: String,

    /// Cut-off: a score ≥ X is called positive.
    #[arg(
        long,
        value_name = "X",
        conflicts_with = "youden",
        allow_negative_numbers = true
    )]
    pub cutoff: Option<f64>,

    /// Use the Youden-optimal cut-off of this table.
    #[arg(long)]
    pub youden: bool,

    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// The `--json` output of `dlrn evaluate`.
#[derive(Debug, Serialize)]
pub struct Evaluation {
    /// Patients.
    pub n: usize,
    /// ALN+ patients.
    pub positives: usize,
    /// AUC.
    pub auc: f64,
    /// DeLong 95% CI lower bound.
    pub auc_ci_low: f64,
    /// DeLong 95% CI upper bound.
    pub auc_ci_high: f64,
    /// Cut-off used (score ≥ cutoff is positive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cutoff: Option<f64>,
    /// True positives.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tp: Option<u64>,
    /// False positives.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fp: Option<u64>,
    /// True negatives.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tn: Option<u64>,
    /// False negatives.
    #[serde(rename = "fn", skip_serializing_if = "Option::is_none")]
    pub fn_: Option<u64>,
    /// Accuracy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<Proportion>,
    /// Sensitivity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sensitivity: Option<Option<Proportion>>,
    /// Specificity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub specificity: Option<Option<Proportion>>,
    /// Positive predictive value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ppv: Option<Option<Proportion>>,
    /// Negative predictive value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub npv: Option<Option<Proportion>>,
}

/// Reads the label and score columns (checking ids for duplicates when an
/// `id` column exists); NaN scores are left for the statistics to report.
pub fn read_label_scores(
    data: &std::path::Path,
    label: &str,
    scores: &[String],
) -> anyhow::Result<(Vec<u8>, Vec<Vec<f64>>)> {
    let table = Table::read(data)?;
    let mut needed: Vec<&str> = vec![label];
    needed.extend(scores.iter().map(String::as_str));
    table.require_columns(&needed)?;
    if table.has_column("id") {
        table.ids()?;
    }
    let labels = table.labels(label)?;
    let cols = scores
        .iter()
        .map(|s| table.f64_column(s).map_err(anyhow::Error::from))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok((labels, cols))
}

fn pct(p: &Option<Proportion>) -> String {
    match p {
        Some(p) => format!(
            "{:5.1}% ({:.1}–{:.1})  {}/{}",
            100.0 * p.value,
            100.0 * p.ci_low,
            100.0 * p.ci_high,
            p.successes,
            p.trials
        ),
        None => "  n/a (no patients in the denominator)".into(),
    }
}

/// Runs `dlrn evaluate`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let (labels, cols) =
        read_label_scores(&args.data, &args.label, std::slice::from_ref(&args.score))?;
    let scores = &cols[0];
    let ctx = || format!("{}: column `{}`", args.data.display(), args.score);
    let a = auc_delong(&labels, scores, 0.95).with_context(ctx)?;
    let cutoff = match (args.cutoff, args.youden) {
        (Some(c), _) => Some(c),
        (None, true) => Some(youden(&labels, scores).with_context(ctx)?.threshold),
        (None, false) => None,
    };
    let mut out = Evaluation {
        n: labels.len(),
        positives: a.cases,
        auc: a.auc,
        auc_ci_low: a.ci_low,
        auc_ci_high: a.ci_high,
        cutoff,
        tp: None,
        fp: None,
        tn: None,
        fn_: None,
        accuracy: None,
        sensitivity: None,
        specificity: None,
        ppv: None,
        npv: None,
    };
    if let Some(c) = cutoff {
        let d = diagnostic_metrics(&labels, scores, c, 0.95).with_context(ctx)?;
        out.tp = Some(d.confusion.tp);
        out.fp = Some(d.confusion.fp);
        out.tn = Some(d.confusion.tn);
        out.fn_ = Some(d.confusion.fn_);
        out.accuracy = Some(d.accuracy);
        out.sensitivity = Some(d.sensitivity);
        out.specificity = Some(d.specificity);
        out.ppv = Some(d.ppv);
        out.npv = Some(d.npv);
    }
    if args.json {
        return print_json(&out);
    }
    println!("{} (n = {}, ALN+ = {})", args.score, out.n, out.positives);
    println!(
        "AUC {:.3} (95% CI {:.3}–{:.3}, DeLong)",
        out.auc, out.auc_ci_low, out.auc_ci_high
    );
    if let Some(c) = out.cutoff {
        println!(
            "cut-off {c} (score ≥ cut-off is positive): TP {} FP {} TN {} FN {}",
            out.tp.unwrap_or(0),
            out.fp.unwrap_or(0),
            out.tn.unwrap_or(0),
            out.fn_.unwrap_or(0)
        );
        println!("  accuracy    {}", pct(&out.accuracy));
        println!("  sensitivity {}", pct(&out.sensitivity.flatten()));
        println!("  specificity {}", pct(&out.specificity.flatten()));
        println!("  PPV         {}", pct(&out.ppv.flatten()));
        println!("  NPV         {}", pct(&out.npv.flatten()));
        println!("  (exact Clopper–Pearson 95% CIs)");
    }
    Ok(())
}
