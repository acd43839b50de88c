//! `dlrn extract handcrafted`: the 544 BUSAT features of every image.

use super::inputs::ExtractArgs;

/// The 544 handcrafted features (BUSAT, docs/handcrafted-features.md) of
/// every image of a cohort folder, with the released tables' column names.
///
/// Needs only images/ and masks/ (clinical.csv optional: when present its
/// ALN_status is carried into the output). Images are processed in parallel;
/// the run resumes (rows already in --out are kept while their image and mask
/// are unchanged, per `<out>.inputs.json`). Finished rows are saved every 64
/// images to `<stem>.partial.<ext>` beside --out; the table appears at --out
/// only when the run is complete, so a killed run resumes from the partial
/// table and never leaves one that looks finished. `<out>.grey.json` records, per row, how its image
/// reached 8-bit grey (DICOM transfer syntax, rescale, VOI window or min–max,
/// frame). Per-image failures (unreadable file, size
/// mismatch, empty mask, several lesion regions) are reported together at
/// the end and do not stop the others; they are listed in
/// `<out>.failures.csv` and make the run partial (exit status 3) unless
/// --keep-going accepts the table without them. With the environment
/// variable DLRN_TIMINGS=1, where the time went is printed on stderr (decode,
/// despeckle, each feature family, planning with SHA-256, table writing).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Cohort, output, reading options, shard, failure policy.
    #[command(flatten)]
    pub common: ExtractArgs,
}

/// Runs the extraction.
pub fn run(args: Args) -> anyhow::Result<()> {
    crate::extraction::handcrafted::extract(&args.common.job())
}
