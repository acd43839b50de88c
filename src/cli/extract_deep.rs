//! `dlrn extract deep`: the 2048 ResNet50 features of every case of a cohort.

use std::path::PathBuf;

use crate::extraction::deep::{Backend, DeepJob, extract};

use super::inputs::ExtractArgs;
use super::util::print_json;

/// Extract the 2048 deep features (ResNet50 global-average-pool outputs) of
/// every case of a cohort.
///
/// Each case's lesion is cropped to its mask's bounding box from the whole
/// image, resized (shorter side 256, PIL bilinear), centre-cropped to 224,
/// replicated to 3 channels and ImageNet-normalised, as torchvision does, then
/// passed through ResNet50 in eval mode. The output table has `id`,
/// `ALN_status` (when the cohort's clinical.csv has it) and `f_1..f_2048`.
///
/// Weights: a torchvision state dict (.pth/.pt or .safetensors, e.g. from
/// scripts/export_torchvision_safetensors.py) or a network fine-tuned by
/// `dlrn finetune` (.mpk). Without `--weights` the network is torchvision's
/// random initialisation from `--seed`, and the metadata says so.
/// `<out>.meta.json` records the weights (path + SHA-256, or "random, seed
/// N"), backend and preprocessing, `<out>.inputs.json` the SHA-256 of each
/// case's image and mask, `<out>.grey.json` how each image reached 8-bit grey
/// (DICOM transfer syntax, rescale, VOI window or min–max, frame).
///
/// Finished rows are saved after every batch to `<stem>.partial.<ext>` beside
/// --out (the settings they were computed with in `<out>.partial.json`); the
/// table appears at --out only when the run is complete, so a killed run
/// never leaves a table that looks finished. Running the same command again
/// resumes: rows of the partial table, or of a finished --out, computed with
/// the same weights, backend, preprocessing and reading options from an
/// unchanged image and mask are kept, the others computed. A case whose
/// image or mask cannot be read is listed in `<out>.failures.csv` and makes
/// the run partial (exit status 3) unless --keep-going accepts the table
/// without it.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Cohort, output, reading options, shard, failure policy.
    #[command(flatten)]
    pub common: ExtractArgs,
    /// Weights: .pth/.pt/.safetensors (torchvision state dict) or .mpk (dlrn finetune).
    #[arg(long)]
    pub weights: Option<PathBuf>,
    /// Seed of the random initialisation used when no --weights is given.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Burn backend.
    #[arg(long, value_enum, default_value = "flex")]
    pub backend: Backend,
    /// Images per forward pass.
    #[arg(long, default_value_t = 16)]
    pub batch: usize,
    /// Print a summary as one JSON value on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Runs the extraction and writes the table and its metadata.
pub fn run(args: Args) -> anyhow::Result<()> {
    let summary = extract(&DeepJob {
        job: args.common.job(),
        weights: args.weights,
        seed: args.seed,
        backend: args.backend,
        batch: args.batch,
    })?;
    if args.json {
        print_json(&summary)?;
    } else {
        eprintln!("{}", summary.describe());
    }
    Ok(())
}
