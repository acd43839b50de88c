//! The 544 handcrafted (BUSAT) features of every case of a cohort, into a
//! feature store: parallel over the cases, saved every [`BATCH`], resumable.
//! The loop of `dlrn extract handcrafted` (and of `dlrn predict`/`assess`,
//! `cargo xtask paper` through them) as a library function, so the command
//! line and the Python package write the same table from the same code; the
//! caller draws the progress, prints the loader's warnings and decides how
//! a run with failed cases ends ([`Watch`]).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use dlrn_cohort::store::StoreError;
use dlrn_cohort::{
    CohortError, Failure, FeatureStore, GreyMapping, ImageOptions, MaskOptions, Outcome, Shard,
    Spec, load_pair,
};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub mod deep;

/// Cases extracted between two saves of the partial table.
pub const BATCH: usize = 64;

/// A handcrafted extraction: the cohort, the output table and how images and
/// masks are read (recorded in the table's provenance as `{"frame",
/// "mask_label", "roi"}`).
#[derive(Debug, Clone)]
pub struct HandcraftedJob<'a> {
    /// The cohort folder.
    pub cohort: &'a Path,
    /// Its masks sub-folder.
    pub masks: &'a str,
    /// The output table (.csv or .parquet).
    pub out: &'a Path,
    /// Only this shard of the cases.
    pub shard: Option<Shard>,
    /// How images and masks are read.
    pub reading: Reading,
    /// Accept the table without the failed cases (`--keep-going`); otherwise
    /// a run with failures keeps the good rows in the partial table and
    /// writes no table at `out`.
    pub accept_partial: bool,
}

/// What the caller sees of a run: progress, warnings, and the chance to stop
/// it between batches. Every method has a do-nothing default.
pub trait Watch: Sync {
    /// Called once before the first batch, when there are cases to compute.
    fn start(&self, _todo: usize) {}
    /// One case computed (from a worker thread).
    fn advance(&self) {}
    /// A loader warning (e.g. an unchosen DICOM frame), from a worker thread.
    fn warning(&self, _text: &str) {}
    /// A batch was saved to the partial table: `done` of `todo` cases
    /// computed so far. Returning false stops the run here (the saved rows
    /// stay in the partial table and a rerun resumes from them).
    fn saved(&self, _done: usize, _todo: usize) -> bool {
        true
    }
    /// Called after the last batch, when there were cases to compute.
    fn finish(&self) {}
}

/// A [`Watch`] that shows nothing and never stops.
pub struct Silent;

impl Watch for Silent {}

/// How a run ended.
pub struct HandcraftedRun {
    /// The store (its rows: resumed and computed).
    pub store: FeatureStore,
    /// The cases that could not be extracted.
    pub failures: Vec<Failure>,
    /// How the table was left; `None` when the watch stopped the run (the
    /// finished rows are in the partial table).
    pub outcome: Option<Outcome>,
    /// Cases computed in this run (not resumed).
    pub computed: usize,
    /// Where the time went.
    pub timings: Timings,
    /// Wall time from the plan to the end of the extraction loop.
    pub total: Duration,
    /// Wall time of the extraction loop.
    pub extraction: Duration,
}

/// The 544 feature names, in the released tables' order.
pub fn handcrafted_names() -> Vec<String> {
    dlrn_radiomics::COLUMNS
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// Extracts `job`'s table (see `dlrn extract handcrafted --help`): resumes
/// rows of unchanged inputs, saves every [`BATCH`] cases, then ends the run
/// with [`FeatureStore::finish`] (unless `watch` stopped it).
pub fn extract_handcrafted(
    job: &HandcraftedJob<'_>,
    watch: &dyn Watch,
) -> Result<HandcraftedRun, StoreError> {
    let names = handcrafted_names();
    let spec = Spec {
        cohort: job.cohort,
        masks: job.masks,
        out: job.out,
        names: names.clone(),
        shard: job.shard,
        kind: "handcrafted",
    };
    let t_plan = Instant::now();
    let cases = FeatureStore::cases(&spec)?;
    let settings = serde_json::json!({
        "masks": job.masks,
        "reading": job.reading,
        "features": names.len(),
        "version": env!("CARGO_PKG_VERSION"),
    });
    let (mut store, todo) = FeatureStore::open(&spec, cases, None, settings)?;
    let mut timings = Timings::default();
    timings.add_serial("plan (scan, SHA-256 of inputs, resume)", t_plan.elapsed());
    let mut failures = Vec::new();
    let mut computed = 0;
    let mut stopped = false;
    let t_all = Instant::now();
    if !todo.is_empty() {
        watch.start(todo.len());
        for chunk in todo.chunks(BATCH) {
            let t_par = Instant::now();
            let results: Vec<(String, RowResult, Timings)> = chunk
                .par_iter()
                .map(|case| {
                    let mut t = Timings::default();
                    let r = extract_one(&case.image, &case.mask, &job.reading, watch, &mut t);
                    watch.advance();
                    (case.id.clone(), r, t)
                })
                .collect();
            timings.add_serial("parallel extraction (wall)", t_par.elapsed());
            let mut finished = Vec::with_capacity(results.len());
            for (id, r, t) in results {
                timings.merge(&t);
                match r {
                    Ok((values, mapping)) => finished.push((id, values, mapping)),
                    Err((file, reason)) => failures.push(Failure { id, file, reason }),
                }
            }
            let t_write = Instant::now();
            store.commit(finished)?;
            timings.add_serial("write table", t_write.elapsed());
            computed += chunk.len();
            if !watch.saved(computed, todo.len()) {
                stopped = true;
                break;
            }
        }
        watch.finish();
    }
    let total = t_plan.elapsed();
    let extraction = t_all.elapsed();
    let outcome = if stopped {
        None
    } else {
        Some(store.finish(&failures, job.accept_partial)?)
    };
    Ok(HandcraftedRun {
        store,
        failures,
        outcome,
        computed,
        timings,
        total,
        extraction,
    })
}

/// How images and masks are read (recorded in the provenance as
/// `{"frame", "mask_label", "roi"}`, the command line's reading flags).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reading {
    /// Frame of multi-frame DICOM images and slice of 3-D NIfTI masks (1-based).
    pub frame: Option<u32>,
    /// The lesion's value in label masks.
    pub mask_label: Option<u64>,
    /// The ROI of an ImageJ RoiSet .zip mask.
    pub roi: Option<String>,
}

impl Reading {
    /// The image-reading options.
    pub fn image_options(&self) -> ImageOptions {
        ImageOptions {
            frame: self.frame,
            window: None,
        }
    }

    /// The mask-reading options (a 3-D NIfTI mask at the image's frame).
    pub fn mask_options(&self) -> MaskOptions {
        MaskOptions {
            label: self.mask_label,
            roi: self.roi.clone(),
            slice: self.frame,
        }
    }
}

/// The file a reading error concerns (the image when it does not say).
fn error_file(e: &CohortError, image: &Path) -> PathBuf {
    match e {
        CohortError::Io { path, .. }
        | CohortError::Image { path, .. }
        | CohortError::Mask { path, .. } => path.clone(),
        _ => image.to_path_buf(),
    }
}

/// One image's 544 values and how its grey levels were obtained, or the
/// file concerned and why not.
type RowResult = Result<(Vec<f64>, GreyMapping), (PathBuf, String)>;

fn extract_one(
    image: &Path,
    mask: &Path,
    reading: &Reading,
    watch: &dyn Watch,
    t: &mut Timings,
) -> RowResult {
    let t0 = Instant::now();
    let (loaded, m) = load_pair(
        image,
        mask,
        &reading.image_options(),
        &reading.mask_options(),
    )
    .map_err(|e| (error_file(&e, image), e.to_string()))?;
    for w in &loaded.warnings {
        watch.warning(w);
    }
    let img = loaded.image;
    let grey = loaded.mapping;
    t.add("decode image and mask", t0.elapsed());
    let at_mask = |message: String| (mask.to_path_buf(), message);
    if (img.width, img.height) != (m.width, m.height) {
        return Err(at_mask(format!(
            "{}: mask is {}×{} but the image is {}×{}",
            mask.display(),
            m.width,
            m.height,
            img.width,
            img.height
        )));
    }
    // As `dlrn validate`: a mask with no background pixel is no outline.
    if m.area() == m.width * m.height {
        return Err(at_mask(format!(
            "{}: mask covers the whole frame (no background pixel)",
            mask.display()
        )));
    }
    let t0 = Instant::now();
    let p = dlrn_radiomics::Prepared::new(img.width, img.height, &img.pixels, &m.pixels)
        .map_err(|e| at_mask(format!("{}: {e}", mask.display())))?;
    t.add("prepare (mask clean-up, ISF despeckle)", t0.elapsed());
    let f = dlrn_radiomics::extract_prepared_timed(&p, |name, d| t.add(name, d));
    Ok((f.values, grey))
}

/// Time per stage: `parallel` stages summed over the worker threads (CPU
/// time of the images), `serial` ones in wall time of the main thread.
#[derive(Debug, Default)]
pub struct Timings {
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

    /// The report `DLRN_TIMINGS=1` prints: `images` computed, `total` from
    /// the plan, `extraction` the loop's wall time.
    pub fn lines(&self, images: usize, total: Duration, extraction: Duration) -> Vec<String> {
        let mut out = Vec::new();
        let per = |d: Duration| d.as_secs_f64() * 1e3 / images.max(1) as f64;
        let busy: Duration = self.parallel.iter().map(|(_, d)| *d).sum();
        out.push(format!(
            "timings: {images} images in {:.2} s ({:.1} images/s), {} worker threads",
            total.as_secs_f64(),
            images as f64 / total.as_secs_f64(),
            rayon::current_num_threads()
        ));
        out.push("  per image, summed over workers (ms/image):".into());
        for (s, d) in &self.parallel {
            out.push(format!(
                "    {:>8.2}  {:>5.1}%  {s}",
                per(*d),
                100.0 * d.as_secs_f64() / busy.as_secs_f64().max(1e-12)
            ));
        }
        out.push(format!("    {:>8.2}          all of the above", per(busy)));
        out.push("  serial, wall (s):".into());
        for (s, d, n) in &self.serial {
            out.push(format!("    {:>8.3}  {s} ({n}×)", d.as_secs_f64()));
        }
        let threads = rayon::current_num_threads() as f64;
        let par: f64 = self
            .serial
            .iter()
            .filter(|(s, _, _)| s.starts_with("parallel"))
            .map(|(_, d, _)| d.as_secs_f64())
            .sum();
        out.push(format!(
            "  worker utilisation in the parallel sections: {:.0}% of {threads} threads; \
             extraction loop {:.3} s",
            100.0 * busy.as_secs_f64() / (par * threads).max(1e-12),
            extraction.as_secs_f64()
        ));
        out
    }
}
