//! `cargo xtask published`: the study's published signature (Liu et al.,
//! npj Breast Cancer 2024, 49 LASSO coefficients) scored on every released
//! feature table, as the signature rows of Table 2 twice: as the paper
//! computed them (each cohort's metrics at that cohort's own Youden cut-off)
//! and at one fixed cut-off; a written finding on which cut-off reproduces
//! the published numbers; with the authors' training table, their own LASSO
//! rerun (`set.seed(1)`, cv.glmnet's folds from R's generator); and a LASSO
//! retrained on all tables but one and validated on the held-out one.
//!
//! The analysis and its report folder are dlrn-study's `published` module;
//! this file parses the arguments, calls it and prints the summary. The output is a function of the
//! inputs and the options only: a rerun writes the same bytes.

use std::path::{Path, PathBuf};

use anyhow::ensure;
use dlrn_report::Table2;
use dlrn_study::published::output::{Inputs, write_report};
use dlrn_study::published::{
    Cohort, FixedCutoff, HoldOut, Settings, analyse, default_signature, list_tables, read_signature,
};

use crate::workspace_root;

/// Score the published signature on the released feature tables (Table 2's signature rows).
///
/// Reads every released-format table in --tables (columns id, ALN_status,
/// the 544 handcrafted features and f_1..f_2048; every *.csv except the
/// signature file and the --train table), scores the published signature on
/// each, and writes OUT/table2.csv and OUT/table2.md: AUC with DeLong 95% CI,
/// and accuracy, sensitivity, specificity, PPV and NPV with exact
/// (Clopper–Pearson) 95% CIs, twice per table: model "signature" at that
/// table's own Youden-optimal cut-off (how the paper computed its rows) and
/// model "signature_fixed" at one cut-off for every table (the training
/// table's Youden point with --train, else --cutoff, else the first table's
/// Youden point). OUT/cutoffs.csv lists the cut-offs; OUT/findings.md says
/// which cut-off reproduces the paper's printed numbers and how far the
/// metrics move at the fixed one.
///
/// --signature takes a feature,coefficient CSV (an optional `intercept`
/// row) or the authors' R script (`Deep learning signature
/// acquisition.R`), whose `a$sig <- a$NAME*COEF + ...` assignment holds the
/// coefficients.
///
/// With --train (the authors' Train.csv), the authors' LASSO is rerun as
/// their script does: cv.glmnet(x, y, alpha = 1, family = "binomial",
/// type.measure = "mse") after set.seed(1), folds drawn by R's own
/// generator; the selected features and coefficients are written next to
/// the published ones (OUT/train_lasso_features.csv).
///
/// Unless --no-lasso is given, it also retrains a LASSO (glmnet's cv.glmnet:
/// binomial, type.measure mse, --folds seeded folds, lambda.min) on all
/// tables but one and validates it on the held-out table, each in turn; its
/// rows (model "lasso_heldout", cohort = the held-out table) carry the
/// paired DeLong P against the signature. Columns with missing values are
/// dropped and reported. Figures (ROC per table, LASSO path and CV curve per
/// hold-out) go to OUT/figures/, with OUT/index.html and OUT/manifest.json
/// (SHA-256 of every input). The same inputs and options give the same bytes.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder of released feature tables [default: data/aln-paper in the workspace].
    #[arg(long, value_name = "DIR")]
    pub tables: Option<PathBuf>,

    /// Signature coefficients: a feature,coefficient CSV or the authors' R script (*.R)
    /// [default: DIR/published_signature.csv, else DIR/Deep learning signature acquisition.R].
    #[arg(long, value_name = "FILE")]
    pub signature: Option<PathBuf>,

    /// The authors' training table (Train.csv, released format): reruns their
    /// LASSO (set.seed(1), R's folds) and fixes the cut-off at its Youden point.
    #[arg(long, value_name = "FILE")]
    pub train: Option<PathBuf>,

    /// Output folder [default: reports/published in the workspace].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// The fixed cut-off of the "signature_fixed" rows (a score >= X is positive)
    /// [default: the Youden cut-off of the first table by name].
    #[arg(
        long,
        value_name = "X",
        allow_negative_numbers = true,
        conflicts_with = "train"
    )]
    pub cutoff: Option<f64>,

    /// Seed of the hold-out LASSO's fold assignment (ChaCha8; not R's RNG).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub seed: u64,

    /// Number of cross-validation folds of the hold-out LASSO (cv.glmnet's nfolds).
    #[arg(long, default_value_t = 10, value_name = "K")]
    pub folds: usize,

    /// Deterministic hold-out LASSO folds instead of seeded ones: training row i
    /// (0-based, stacked in name order) goes to fold (i mod K) + 1, R's
    /// `foldid = (seq_len(n) - 1) %% K + 1`, so cv.glmnet can be given the same folds.
    #[arg(long, value_name = "K", conflicts_with_all = ["seed", "folds"])]
    pub foldid_row_mod: Option<usize>,

    /// Skip the hold-out LASSO (signature rows only).
    #[arg(long)]
    pub no_lasso: bool,
}

/// Runs `cargo xtask published`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let root = workspace_root();
    let tables_dir = args
        .tables
        .clone()
        .unwrap_or_else(|| root.join("data").join("aln-paper"));
    let signature_path = match &args.signature {
        Some(p) => p.clone(),
        None => default_signature(&tables_dir),
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| root.join("reports").join("published"));
    if let Some(c) = args.cutoff {
        ensure!(c.is_finite(), "--cutoff {c}: expected a finite number");
    }
    let k = args.foldid_row_mod.unwrap_or(args.folds);
    ensure!(k >= 3, "{k} folds: cv.glmnet needs at least 3");

    let signature = read_signature(&signature_path)?;
    let table_paths = list_tables(&tables_dir, &signature_path, args.train.as_deref())?;
    ensure!(
        args.no_lasso || table_paths.len() >= 2,
        "the hold-out LASSO needs at least two tables in {} (found {}); pass --no-lasso",
        tables_dir.display(),
        table_paths.len()
    );
    let settings = Settings {
        cutoff: args.cutoff,
        lasso: !args.no_lasso,
        seed: args.seed,
        folds: args.folds,
        foldid_row_mod: args.foldid_row_mod,
    };
    let a = analyse(signature, &table_paths, args.train.as_deref(), &settings)?;

    write_report(
        &a,
        &settings,
        &Inputs {
            tables: table_paths,
            signature: signature_path,
            train: args.train.clone(),
        },
        &out,
    )?;
    let (cohorts, fixed, holdouts) = (&a.cohorts, &a.fixed, &a.holdouts);
    print_summary(
        &a.table2,
        fixed,
        &a.findings,
        holdouts,
        cohorts,
        &a.dropped,
        &out,
    );
    Ok(())
}

/// The human summary on stderr.
fn print_summary(
    table2: &Table2,
    fixed: &FixedCutoff,
    finding: &[String],
    holdouts: &[HoldOut],
    cohorts: &[Cohort],
    dropped: &[(String, String)],
    out: &Path,
) {
    eprintln!(
        "fixed signature cut-off {:.6} ({})",
        fixed.value, fixed.rule
    );
    for r in &table2.rows {
        let cells = dlrn_report::table2_cells(r);
        eprintln!(
            "  {:<6} {:<16} AUC {}  ACC {}  SENS {}  SPE {}  PPV {}  NPV {}{}",
            r.cohort,
            r.model,
            cells[2],
            cells[3],
            cells[4],
            cells[5],
            cells[6],
            cells[7],
            r.delong_p
                .map(|p| format!("  P vs signature {}", dlrn_report::format::p_value(p)))
                .unwrap_or_default()
        );
    }
    for h in holdouts {
        let train: Vec<&str> = cohorts
            .iter()
            .enumerate()
            .filter(|(t, _)| *t != h.held_out)
            .map(|(_, c)| c.name.as_str())
            .collect();
        eprintln!(
            "  LASSO trained on {} ({} rows), validated on {}: lambda.min {:.6}, {} feature(s), P vs signature {:.4}",
            train.join("+"),
            h.model.path.n_rows,
            cohorts[h.held_out].name,
            h.model.lambda,
            h.model.features.len(),
            h.p_vs_signature
        );
    }
    for (n, w) in dropped {
        eprintln!("  dropped from the LASSO: {n} (missing in {w})");
    }
    for p in finding {
        eprintln!("{p}");
    }
    eprintln!("wrote {}", out.display());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The options' names, conflicts and defaults are consistent (clap's own check).
    #[test]
    fn args_pass_clap_debug_assert() {
        use clap::CommandFactory;
        #[derive(Debug, clap::Parser)]
        struct Cli {
            #[command(flatten)]
            args: Args,
        }
        Cli::command().debug_assert();
        use clap::Parser;
        let both = Cli::try_parse_from(["published", "--train", "T.csv", "--cutoff", "-3"]);
        assert!(
            both.is_err(),
            "--train fixes the cut-off; --cutoff conflicts"
        );
    }
}
