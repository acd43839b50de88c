//! One module per stage: each has an `Args` struct (clap derive; the first doc
//! paragraph is `-h`, the rest `--help`) and a `run(Args)` function.

use clap::{Parser, Subcommand};

pub mod assess;
pub mod compare;
pub mod evaluate;
pub mod export_web;
pub mod extract;
pub mod extract_deep;
pub mod extract_handcrafted;
pub mod finetune;
pub mod harmonize;
pub mod icc;
pub mod inputs;
pub mod lasso;
pub mod logistic;
pub mod merge;
pub mod predict;
pub mod samplesize;
pub mod score;
pub mod simulate;
pub mod update;
pub mod util;
pub mod validate;

/// Deep learning radiomics nomogram (DLRN) for axillary lymph node metastasis
/// from breast ultrasound: features, models, evaluation and reports.
#[derive(Debug, Parser)]
#[command(name = "dlrn", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The stages of the study, one subcommand each.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a cohort folder and print a summary or every problem found.
    Validate(validate::Args),
    /// Extract a feature table (handcrafted or deep) from a cohort's images and masks.
    Extract(extract::Args),
    /// Fine-tune ResNet50 (2-class head) on a cohort's lesion crops.
    Finetune(finetune::Args),
    /// Select features with LASSO-logistic regression and cross-validation (glmnet's cv.glmnet).
    Lasso(lasso::Args),
    /// Score patients with a signature: the linear combination of selected features.
    Score(score::Args),
    /// Evaluate a score: AUC with DeLong 95% CI, and accuracy measures at a cut-off.
    Evaluate(evaluate::Args),
    /// Compare two scores on the same patients: paired DeLong test, IDI and NRI.
    Compare(compare::Args),
    /// Fit a logistic regression and print the Table 3-style coefficient table.
    Logistic(logistic::Args),
    /// Per-feature ICC over repeated readings; keep the reproducible features.
    Icc(icc::Args),
    /// Join the shard files of a sharded extraction (`--shard I/N`) into one table.
    Merge(merge::Args),
    /// Write the simulated multicentre study: clinical tables, images, masks, previews.
    Simulate(simulate::Args),
    /// Apply a frozen model bundle to new patients: probabilities, class, nomogram points.
    Predict(predict::Args),
    /// Validate a frozen model bundle on a labelled cohort (Table 2, calibration, curves).
    Assess(assess::Args),
    /// Minimum sample size for a binary prediction model (pmsampsize, Riley et al. 2020).
    Samplesize(samplesize::Args),
    /// Update a frozen bundle's DLRN on a new hospital's labelled cohort (intercept, recalibration, refit, closed test).
    Update(update::Args),
    /// Harmonise features across batches (hospitals, scanners) with ComBat: fit, or apply a model.
    Harmonize(harmonize::Args),
    /// Write the offline web page that runs a model bundle's DLRN in the browser.
    ExportWeb(export_web::Args),
}

/// Runs the chosen stage.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Validate(args) => validate::run(args),
        Command::Extract(args) => extract::run(args),
        Command::Finetune(args) => finetune::run(args),
        Command::Lasso(args) => lasso::run(args),
        Command::Score(args) => score::run(args),
        Command::Evaluate(args) => evaluate::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Logistic(args) => logistic::run(args),
        Command::Icc(args) => icc::run(args),
        Command::Merge(args) => merge::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Predict(args) => predict::run(args),
        Command::Assess(args) => assess::run(args, predict::extract),
        Command::Samplesize(args) => samplesize::run(args),
        Command::Update(args) => update::run(args, predict::extract),
        Command::Harmonize(args) => harmonize::run(args),
        Command::ExportWeb(args) => export_web::run(args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
