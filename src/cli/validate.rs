//! `dlrn validate`: check a cohort folder against the design.md contract.

use std::path::PathBuf;

/// Check a cohort folder (clinical.csv, images/, masks/) and print a summary,
/// or every problem found with its file, row and column.
///
/// Exit status is 2 when any problem is found.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The cohort folder.
    pub dir: PathBuf,
    /// Print the summary or the problems as one JSON value on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("validate: the cohort layer is being written")
}
