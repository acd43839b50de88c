//! The arguments both extractions share (`#[command(flatten)]` into `extract
//! handcrafted` and `extract deep`): cohort, output, reading options, shard
//! and what a failed case does.

use std::path::PathBuf;

use dlrn_cohort::Shard;

use crate::extraction::{InputArgs, Job, OnFailure};

/// Where to extract from and to, and how.
#[derive(Debug, clap::Args)]
pub struct ExtractArgs {
    /// The cohort folder (images/ and the masks folder; clinical.csv optional:
    /// its ALN_status is carried into the output).
    #[arg(long)]
    pub cohort: PathBuf,
    /// Sub-folder of the cohort holding the lesion masks (e.g. icc/reader2).
    #[arg(long, default_value = "masks")]
    pub masks: String,
    /// Output table, .csv or .parquet.
    #[arg(long)]
    pub out: PathBuf,
    /// A failed case is an error (exit status 2), not a partial run (3).
    #[arg(long, conflicts_with = "keep_going")]
    pub strict: bool,
    /// Accept a table without the cases that failed (exit status 0; the
    /// failures are still listed in `<out>.failures.csv`).
    #[arg(long)]
    pub keep_going: bool,
    /// How images and masks are read (DICOM frame, mask label, RoiSet entry).
    #[command(flatten)]
    pub inputs: InputArgs,
    /// Extract only shard I of N (0-based; contiguous runs of the cases
    /// sorted by id) and record it in `<out>.shard.json` for `dlrn merge`.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
}

impl ExtractArgs {
    /// The job these arguments describe.
    pub fn job(&self) -> Job {
        Job {
            cohort: self.cohort.clone(),
            masks: self.masks.clone(),
            out: self.out.clone(),
            inputs: self.inputs.clone(),
            shard: self.shard,
            on_failure: if self.strict {
                OnFailure::Strict
            } else if self.keep_going {
                OnFailure::KeepGoing
            } else {
                OnFailure::Partial
            },
        }
    }
}

/// The exit statuses of `dlrn extract`, for `--help`.
pub const EXIT_STATUS_HELP: &str = "Exit status: 0 when every case has its row (or, with \
--keep-going, the table without the failed ones was accepted); 3 when some cases failed: the \
good rows are kept in the partial table for a rerun, no table is written at --out, and \
<out>.failures.csv lists id, file and reason; 2 for any other error (and for a failed case \
with --strict).";
