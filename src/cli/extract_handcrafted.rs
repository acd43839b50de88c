//! `dlrn extract handcrafted`: the 544 BUSAT features of every image.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rayon::prelude::*;

use super::extract::{finish, plan, write_rows};
use super::util::progress_bar;

/// The 544 handcrafted features (BUSAT, docs/handcrafted-features.md) of
/// every image of a cohort folder, with the released tables' column names.
///
/// Needs only images/ and masks/ (clinical.csv optional: when present its
/// ALN_status is carried into the output). Images are processed in parallel;
/// the run resumes (rows already in --out are kept while their image and mask
/// are unchanged, per `<out>.inputs.json`) and writes partial
/// results every 64 images. Per-image failures (unreadable file, size
/// mismatch, empty mask, several lesion regions) are reported together at
/// the end and do not stop the others unless --strict.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The cohort folder (images/, masks/).
    #[arg(long)]
    pub cohort: PathBuf,
    /// Subfolder of the cohort holding the masks (e.g. icc/reader2).
    #[arg(long, default_value = "masks")]
    pub masks: String,
    /// Output table, .csv or .parquet.
    #[arg(long)]
    pub out: PathBuf,
    /// Stop with an error status if any image fails.
    #[arg(long)]
    pub strict: bool,
    /// How images and masks are read (DICOM frame, mask label, RoiSet entry).
    #[command(flatten)]
    pub inputs: super::inputs::InputArgs,
    /// Extract only shard I of N (0-based; contiguous runs of the cases
    /// sorted by id) and record it in `<out>.shard.json` for `dlrn merge`.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<super::merge::Shard>,
}

/// Runs the extraction.
pub fn run(args: Args) -> anyhow::Result<()> {
    let names: Vec<String> = dlrn_radiomics::COLUMNS
        .iter()
        .map(|s| s.to_string())
        .collect();
    if args.shard.is_some() {
        super::merge::clear_manifest(&args.out)?;
    }
    let plan = plan(&args.cohort, &args.masks, &args.out, &names, args.shard)?;
    let mut rows = plan.done;
    let mut failures = Vec::new();
    if !plan.todo.is_empty() {
        let bar = progress_bar(plan.todo.len() as u64, "handcrafted");
        for chunk in plan.todo.chunks(64) {
            let results: Vec<(String, Result<Vec<f64>, String>)> = chunk
                .par_iter()
                .map(|case| {
                    let r = extract_one(&case.image, &case.mask, &args.inputs);
                    bar.inc(1);
                    (case.id.clone(), r)
                })
                .collect();
            for (id, r) in results {
                match r {
                    Ok(values) => {
                        rows.insert(id, values);
                    }
                    Err(msg) => failures.push((id, msg)),
                }
            }
            write_rows(&args.out, &names, plan.labels.as_ref(), &rows)?;
        }
        bar.finish_and_clear();
    } else if !args.out.exists() {
        write_rows(&args.out, &names, plan.labels.as_ref(), &BTreeMap::new())?;
    }
    finish(&args.out, &names, &rows, &failures, args.strict)?;
    if let Some(shard) = args.shard {
        let settings = serde_json::json!({
            "masks": args.masks,
            "reading": {
                "frame": args.inputs.frame,
                "mask_label": args.inputs.mask_label,
                "roi": args.inputs.roi,
            },
            "features": names.len(),
            "version": env!("CARGO_PKG_VERSION"),
        });
        super::merge::write_manifest(
            &args.out,
            "handcrafted",
            shard,
            &args.cohort,
            &args.masks,
            settings,
        )?;
    }
    Ok(())
}

fn extract_one(
    image: &std::path::Path,
    mask: &std::path::Path,
    inputs: &super::inputs::InputArgs,
) -> Result<Vec<f64>, String> {
    let (img, m) = inputs.load(image, mask).map_err(|e| e.to_string())?;
    if (img.width, img.height) != (m.width, m.height) {
        return Err(format!(
            "{}: mask is {}×{} but the image is {}×{}",
            mask.display(),
            m.width,
            m.height,
            img.width,
            img.height
        ));
    }
    dlrn_radiomics::extract(img.width, img.height, &img.pixels, &m.pixels)
        .map(|f| f.values)
        .map_err(|e| format!("{}: {e}", mask.display()))
}
