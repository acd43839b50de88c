//! `dlrn extract handcrafted|deep`: a short dispatch to the two stages; the
//! extraction itself is `crate::extraction`, the files on disk
//! `dlrn_cohort::store`.

use clap::Subcommand;

use super::inputs::EXIT_STATUS_HELP;
use super::{extract_deep, extract_handcrafted};

/// Extract a feature table from a cohort's images and masks.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub kind: Kind,
}

/// Which features to extract.
#[derive(Debug, Subcommand)]
pub enum Kind {
    /// The 544 handcrafted (BUSAT) features of every image.
    #[command(after_help = EXIT_STATUS_HELP)]
    Handcrafted(extract_handcrafted::Args),
    /// The 2048 ResNet50 global-average-pool features of every lesion crop.
    #[command(after_help = EXIT_STATUS_HELP)]
    Deep(extract_deep::Args),
}

/// Runs the chosen extraction.
pub fn run(args: Args) -> anyhow::Result<()> {
    match args.kind {
        Kind::Handcrafted(a) => extract_handcrafted::run(a),
        Kind::Deep(a) => extract_deep::run(a),
    }
}
