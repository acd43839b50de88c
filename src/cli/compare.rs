//! `dlrn compare`: two scores on the same patients — paired DeLong test,
//! IDI and NRI.

use std::path::PathBuf;

use anyhow::{Context, bail};
use dlrn_stats::{
    AucCi, CategoricalNri, DelongTest, ImproveProb, auc_delong, delong_paired, improve_prob,
    logistic_fit, nri_categorical,
};
use serde::Serialize;

use crate::cli::evaluate::read_label_scores;
use crate::cli::util::print_json;

/// Compare two scores on the same patients: paired DeLong test, IDI and NRI.
///
/// --score A --score B name two columns of the same table. The AUCs are
/// compared by DeLong's test for correlated curves (= `pROC::roc.test(rA, rB,
/// method = "delong", paired = TRUE)`; Z, p and the 95% CI of AUC_A − AUC_B).
/// IDI and the continuous NRI of B over A follow `Hmisc::improveProb(x1 = A,
/// x2 = B, y)`; they need probabilities, so a score outside [0, 1] (a linear
/// predictor such as the signature) is first turned into a probability by a
/// univariate logistic fit on this table (reported as "recalibrated");
/// --recalibrate does so for both scores even when they lie in [0, 1] (for
/// features or scores that are not probabilities).
/// --nri-cutoffs 0.2,0.5 adds the categorical NRI at those risk cut-offs.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Table with the label and both score columns (.csv or .parquet).
    #[arg(long, value_name = "SCORES")]
    pub data: PathBuf,

    /// Outcome column (0/1).
    #[arg(long, default_value = "ALN_status", value_name = "COLUMN")]
    pub label: String,

    /// A score column; give exactly two (A = reference, B = new).
    #[arg(long, value_name = "COLUMN", num_args = 1, required = true)]
    pub score: Vec<String>,

    /// Risk cut-offs for the categorical NRI (increasing, inside (0, 1)).
    #[arg(long, value_name = "P,P,…", value_delimiter = ',')]
    pub nri_cutoffs: Vec<f64>,

    /// Turn both scores into probabilities by univariate logistic fits, even inside [0, 1].
    #[arg(long)]
    pub recalibrate: bool,

    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// The `--json` output of `dlrn compare`.
#[derive(Debug, Serialize)]
pub struct Comparison {
    /// Patients.
    pub n: usize,
    /// ALN+ patients.
    pub positives: usize,
    /// Score A's name.
    pub score_a: String,
    /// Score B's name.
    pub score_b: String,
    /// AUC of A with DeLong CI.
    pub auc_a: AucCi,
    /// AUC of B with DeLong CI.
    pub auc_b: AucCi,
    /// Paired DeLong test of A vs B.
    pub delong: DelongTest,
    /// "as given" or "recalibrated" per score (how probabilities for IDI/NRI were made).
    pub probabilities: [String; 2],
    /// IDI and continuous NRI of B over A.
    pub improve: ImproveProb,
    /// Categorical NRI, when cut-offs were given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nri_categorical: Option<CategoricalNri>,
}

fn as_probability(
    name: &str,
    labels: &[u8],
    s: &[f64],
    force: bool,
) -> anyhow::Result<(Vec<f64>, String)> {
    if !force && s.iter().all(|v| (0.0..=1.0).contains(v)) {
        return Ok((s.to_vec(), "as given".into()));
    }
    let fit = logistic_fit(&[s], &[name], labels)
        .with_context(|| format!("turning `{name}` into a probability"))?;
    Ok((fit.fitted, "recalibrated".into()))
}

/// Runs `dlrn compare`.
pub fn run(args: Args) -> anyhow::Result<()> {
    if args.score.len() != 2 {
        bail!(
            "give exactly two --score columns, found {}",
            args.score.len()
        );
    }
    let (labels, cols) = read_label_scores(&args.data, &args.label, &args.score)?;
    let (a, b) = (&cols[0], &cols[1]);
    let ctx = |s: &str| format!("{}: column `{s}`", args.data.display());
    let auc_a = auc_delong(&labels, a, 0.95).with_context(|| ctx(&args.score[0]))?;
    let auc_b = auc_delong(&labels, b, 0.95).with_context(|| ctx(&args.score[1]))?;
    let delong = delong_paired(&labels, a, b, 0.95).with_context(|| ctx("both scores"))?;
    let (pa, how_a) = as_probability(&args.score[0], &labels, a, args.recalibrate)?;
    let (pb, how_b) = as_probability(&args.score[1], &labels, b, args.recalibrate)?;
    let improve = improve_prob(&labels, &pa, &pb)?;
    let nri_cat = if args.nri_cutoffs.is_empty() {
        None
    } else {
        Some(nri_categorical(&labels, &pa, &pb, &args.nri_cutoffs)?)
    };
    let out = Comparison {
        n: labels.len(),
        positives: auc_a.cases,
        score_a: args.score[0].clone(),
        score_b: args.score[1].clone(),
        auc_a,
        auc_b,
        delong,
        probabilities: [how_a, how_b],
        improve,
        nri_categorical: nri_cat,
    };
    if args.json {
        return print_json(&out);
    }
    println!("n = {}, ALN+ = {}", out.n, out.positives);
    for (name, a) in [(&out.score_a, &out.auc_a), (&out.score_b, &out.auc_b)] {
        println!(
            "AUC {name}: {:.3} (95% CI {:.3}–{:.3})",
            a.auc, a.ci_low, a.ci_high
        );
    }
    let d = &out.delong;
    println!(
        "DeLong paired test: difference {:.4} (95% CI {:.4}–{:.4}), Z = {:.3}, p = {:.3e}",
        d.difference, d.ci_low, d.ci_high, d.z, d.p_value
    );
    let i = &out.improve;
    println!(
        "IDI {:.4} (95% CI {:.4}–{:.4}, p = {:.3e}); continuous NRI {:.4} (95% CI {:.4}–{:.4}, p = {:.3e})",
        i.idi.value,
        i.idi.ci_low,
        i.idi.ci_high,
        i.idi.p_value,
        i.nri.value,
        i.nri.ci_low,
        i.nri.ci_high,
        i.nri.p_value
    );
    println!(
        "(probabilities: {} {}, {} {})",
        out.score_a, out.probabilities[0], out.score_b, out.probabilities[1]
    );
    if let Some(c) = &out.nri_categorical {
        println!(
            "categorical NRI at {:?}: {:.4} (p = {:.3e})",
            c.cutoffs, c.nri.value, c.nri.p_value
        );
    }
    Ok(())
}
