//! `dlrn extract handcrafted`: the 544 BUSAT features of every image.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use dlrn_cohort::GreyMapping;
use rayon::prelude::*;

use super::extract::{GreyRecord, finish, partial_path, plan, write_rows};
use super::util::progress_bar;

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
/// the end and do not stop the others unless --strict. With the environment
/// variable DLRN_TIMINGS=1, where the time went is printed on stderr (decode,
/// despeckle, each feature family, planning with SHA-256, table writing).
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
    let t_plan = Instant::now();
    let mut plan = plan(&args.cohort, &args.masks, &args.out, &names, args.shard)?;
    let mut timings = Timings::default();
    timings.add_serial("plan (scan, SHA-256 of inputs, resume)", t_plan.elapsed());
    let mut rows = std::mem::take(&mut plan.done);
    // How each row's image reached 8-bit grey (`<out>.grey.json`): resumed
    // rows keep what was recorded for them.
    let mut grey = GreyRecord::open(&args.out, &rows);
    let partial = partial_path(&args.out);
    let mut failures = Vec::new();
    let t_all = Instant::now();
    if !plan.todo.is_empty() {
        let bar = progress_bar(plan.todo.len() as u64, "handcrafted");
        for chunk in plan.todo.chunks(64) {
            let t_par = Instant::now();
            let results: Vec<(String, RowResult, Timings)> = chunk
                .par_iter()
                .map(|case| {
                    let mut t = Timings::default();
                    let r = extract_one(&case.image, &case.mask, &args.inputs, &mut t);
                    bar.inc(1);
                    (case.id.clone(), r, t)
                })
                .collect();
            timings.add_serial("parallel extraction (wall)", t_par.elapsed());
            let mut finished = Vec::with_capacity(results.len());
            for (id, r, t) in results {
                timings.merge(&t);
                match r {
                    Ok((values, mapping)) => {
                        grey.insert(id.clone(), &mapping)?;
                        rows.insert(id.clone(), values);
                        finished.push(id);
                    }
                    Err(msg) => failures.push((id, msg)),
                }
            }
            // Progress goes to the partial table, never to --out: a killed
            // run resumes from there. The grey levels are written first, so
            // every row the partial table holds has its entry; the rows'
            // input fingerprints last, so a row is reused only once on disk.
            let t_write = Instant::now();
            grey.save()?;
            write_rows(&partial, &names, plan.labels.as_ref(), &rows)?;
            plan.inputs.add(&finished)?;
            timings.add_serial("write table", t_write.elapsed());
        }
        bar.finish_and_clear();
    }
    // DLRN_TIMINGS=1: where the time went, on stderr (each stage summed over
    // the worker threads; the serial stages in wall time).
    if std::env::var_os("DLRN_TIMINGS").is_some_and(|v| v != "0") {
        timings.print(plan.todo.len(), t_plan.elapsed(), t_all.elapsed());
    }
    grey.save()?;
    if failures.is_empty() || !args.strict {
        // Complete: the table appears at --out, the partial one goes.
        write_rows(&args.out, &names, plan.labels.as_ref(), &rows)?;
        plan.inputs.complete()?;
        if partial.exists() {
            std::fs::remove_file(&partial)
                .map_err(|e| anyhow::anyhow!("removing {}: {e}", partial.display()))?;
        }
    } else if partial.exists() {
        // The partial table holds every finished row, an earlier --out's too:
        // no table that looks complete stays at --out.
        if args.out.exists() {
            std::fs::remove_file(&args.out)
                .map_err(|e| anyhow::anyhow!("removing {}: {e}", args.out.display()))?;
        }
        eprintln!(
            "the {} finished row(s) are kept in {}; a rerun after fixing the inputs resumes from there",
            rows.len(),
            partial.display()
        );
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

/// One image's 544 values and how its grey levels were obtained, or why not.
type RowResult = Result<(Vec<f64>, GreyMapping), String>;

fn extract_one(
    image: &Path,
    mask: &Path,
    inputs: &super::inputs::InputArgs,
    t: &mut Timings,
) -> RowResult {
    let t0 = Instant::now();
    let (img, m, grey) = inputs
        .load_recorded(image, mask)
        .map_err(|e| e.to_string())?;
    t.add("decode image and mask", t0.elapsed());
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
    // As `dlrn validate`: a mask with no background pixel is no outline.
    if m.area() == m.width * m.height {
        return Err(format!(
            "{}: mask covers the whole frame (no background pixel)",
            mask.display()
        ));
    }
    let t0 = Instant::now();
    let p = dlrn_radiomics::Prepared::new(img.width, img.height, &img.pixels, &m.pixels)
        .map_err(|e| format!("{}: {e}", mask.display()))?;
    t.add("prepare (mask clean-up, ISF despeckle)", t0.elapsed());
    let f = dlrn_radiomics::extract_prepared_timed(&p, |name, d| t.add(name, d));
    Ok((f.values, grey))
}

/// Time per stage: `parallel` stages summed over the worker threads (CPU
/// time of the images), `serial` ones in wall time of the main thread.
#[derive(Default)]
struct Timings {
    parallel: Vec<(&'static str, Duration)>,
    serial: Vec<(&'static str, Duration, usize)>,
}

impl Timings {
    fn add(&mut self, stage: &'static str, d: Duration) {
        match self.parallel.iter_mut().find(|(s, _)| *s == stage) {
            Some((_, t)) => *t += d,
            None => self.parallel.push((stage, d)),
        }
    }

    fn add_serial(&mut self, stage: &'static str, d: Duration) {
        match self.serial.iter_mut().find(|(s, _, _)| *s == stage) {
            Some((_, t, n)) => {
                *t += d;
                *n += 1;
            }
            None => self.serial.push((stage, d, 1)),
        }
    }

    fn merge(&mut self, other: &Timings) {
        for &(s, d) in &other.parallel {
            self.add(s, d);
        }
    }

    fn print(&self, images: usize, total: Duration, extraction: Duration) {
        let per = |d: Duration| d.as_secs_f64() * 1e3 / images.max(1) as f64;
        let busy: Duration = self.parallel.iter().map(|(_, d)| *d).sum();
        eprintln!(
            "timings: {images} images in {:.2} s ({:.1} images/s), {} worker threads",
            total.as_secs_f64(),
            images as f64 / total.as_secs_f64(),
            rayon::current_num_threads()
        );
        eprintln!("  per image, summed over workers (ms/image):");
        for (s, d) in &self.parallel {
            eprintln!(
                "    {:>8.2}  {:>5.1}%  {s}",
                per(*d),
                100.0 * d.as_secs_f64() / busy.as_secs_f64().max(1e-12)
            );
        }
        eprintln!("    {:>8.2}          all of the above", per(busy));
        eprintln!("  serial, wall (s):");
        for (s, d, n) in &self.serial {
            eprintln!("    {:>8.3}  {s} ({n}×)", d.as_secs_f64());
        }
        let threads = rayon::current_num_threads() as f64;
        let par: f64 = self
            .serial
            .iter()
            .filter(|(s, _, _)| s.starts_with("parallel"))
            .map(|(_, d, _)| d.as_secs_f64())
            .sum();
        eprintln!(
            "  worker utilisation in the parallel sections: {:.0}% of {threads} threads; \
             extraction loop {:.3} s",
            100.0 * busy.as_secs_f64() / (par * threads).max(1e-12),
            extraction.as_secs_f64()
        );
    }
}
