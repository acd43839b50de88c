//! The 544 handcrafted (BUSAT) features of every case of a cohort, into a
//! feature store: parallel over the cases, saved every 64, resumable.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use dlrn_cohort::{CohortError, Failure, FeatureStore, GreyMapping, Spec};
use rayon::prelude::*;

use super::{InputArgs, Job, OnFailure, Report, conclude};
use crate::cli::util::progress_bar;

/// Cases extracted between two saves of the partial table.
const BATCH: usize = 64;

/// Extracts `job`'s table (see `dlrn extract handcrafted --help`): resumes
/// rows of unchanged inputs, saves every [`BATCH`] cases, reports the table
/// and the failed cases on stderr. With the environment variable
/// DLRN_TIMINGS=1, where the time went is printed on stderr.
pub fn extract(job: &Job) -> anyhow::Result<()> {
    let names: Vec<String> = dlrn_radiomics::COLUMNS
        .iter()
        .map(|s| s.to_string())
        .collect();
    let spec = Spec {
        cohort: &job.cohort,
        masks: &job.masks,
        out: &job.out,
        names: names.clone(),
        shard: job.shard,
        kind: "handcrafted",
    };
    let t_plan = Instant::now();
    let cases = FeatureStore::cases(&spec)?;
    let settings = serde_json::json!({
        "masks": job.masks,
        "reading": {
            "frame": job.inputs.frame,
            "mask_label": job.inputs.mask_label,
            "roi": job.inputs.roi,
        },
        "features": names.len(),
        "version": env!("CARGO_PKG_VERSION"),
    });
    let (mut store, todo) = FeatureStore::open(&spec, cases, None, settings)?;
    let mut timings = Timings::default();
    timings.add_serial("plan (scan, SHA-256 of inputs, resume)", t_plan.elapsed());
    let mut failures = Vec::new();
    let t_all = Instant::now();
    if !todo.is_empty() {
        let bar = progress_bar(todo.len() as u64, "handcrafted");
        for chunk in todo.chunks(BATCH) {
            let t_par = Instant::now();
            let results: Vec<(String, RowResult, Timings)> = chunk
                .par_iter()
                .map(|case| {
                    let mut t = Timings::default();
                    let r = extract_one(&case.image, &case.mask, &job.inputs, &mut t);
                    bar.inc(1);
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
        }
        bar.finish_and_clear();
    }
    // DLRN_TIMINGS=1: where the time went, on stderr (each stage summed over
    // the worker threads; the serial stages in wall time).
    if std::env::var_os("DLRN_TIMINGS").is_some_and(|v| v != "0") {
        timings.print(todo.len(), t_plan.elapsed(), t_all.elapsed());
    }
    let outcome = store.finish(&failures, job.on_failure == OnFailure::KeepGoing)?;
    conclude(
        Report {
            out: &job.out,
            names: Some(&names),
            rows: store.rows(),
        },
        &failures,
        outcome,
        job.on_failure,
    )
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

fn extract_one(image: &Path, mask: &Path, inputs: &InputArgs, t: &mut Timings) -> RowResult {
    let t0 = Instant::now();
    let (img, m, grey) = inputs
        .load_recorded(image, mask)
        .map_err(|e| (error_file(&e, image), e.to_string()))?;
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
