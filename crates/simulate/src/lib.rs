//! dlrn-simulate: the simulated multicentre study (design.md): four cohorts
//! with the paper's sizes and Table 1 marginals, ALN status from a logistic
//! model with Table 3's clinical effects plus a latent tumour aggressiveness
//! that also shapes the B-mode image.
//!
//! Output of [`simulate`] under `out/`:
//! ```text
//! <cohort>/clinical.csv              the design.md cohort contract
//! EVC*/readers.csv                   five radiologists' reads (see `readers`)
//! <cohort>/images/<id>.png           8-bit grey B-mode image
//! <cohort>/masks/<id>.png            true lesion outline, 0/255
//! TC/icc/reader1_repeat/<id>.png     re-outlines of the ICC subset (60 TC patients)
//! TC/icc/reader2/<id>.png
//! truth/<cohort>.csv                 hidden truth per patient: latent aggressiveness,
//!                                    linear predictor, probability, lesion traits
//! <cohort>_preview.png               montage of a few images with outlines
//! simulate.json                      seed, version, every generating parameter
//! ```
//! Ids are `TC001`…`TC621` and `EVC1_001`… (prefix + 1-based number, at
//! least three digits), unique across cohorts.
//!
//! Reproducibility: every patient draws from its own ChaCha8 stream keyed by
//! (seed, cohort, purpose, index), so the same seed and version give
//! byte-identical files whatever the thread count (on one platform: `f64`
//! transcendental functions come from the platform's libm).

#![warn(missing_docs)]

mod clinical;
mod error;
mod field;
mod params;
mod preview;
mod readers;
mod render;
mod rng;
mod shape;

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder};
use rayon::prelude::*;
use serde::Serialize;

pub use clinical::{
    BIRADS, CohortDraw, LOCATION, MIN_COHORT, MIN_PER_CLASS, Patient, SUBTYPE, TUMOUR_TYPE,
    allocate, calibrate_intercept, clinical_csv, draw_exact_labels, patient_id, sample_study,
    scaled_counts, standard_score,
};
pub use error::SimError;
pub use params::{
    AnatomyModel, CohortSpec, LesionModel, OutcomeModel, RadiologistModel, ReadNoise, ReaderModel,
    Scanner, SimParams, Table1, Trait,
};
pub use readers::{ReaderRead, draw_reads, reader_name, readers_csv};
pub use render::{LesionTraits, Rendered, render};
pub use shape::{Outline, dice};

use error::io_err;
use rng::{Purpose, stream};

/// Version of the generator written to simulate.json (same seed + same
/// version = same bytes).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Folder names of the ICC re-outlines inside the ICC cohort.
pub const ICC_READERS: [&str; 2] = ["reader1_repeat", "reader2"];

/// Progress report: images finished out of the total.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Patients rendered and written so far (all cohorts).
    pub done: usize,
    /// Patients in the whole study.
    pub total: usize,
}

/// What one cohort came out as.
#[derive(Debug, Clone, Serialize)]
pub struct CohortSummary {
    /// Cohort name (folder).
    pub name: String,
    /// Patients.
    pub n: usize,
    /// ALN+ patients.
    pub positives: usize,
    /// Image width, px.
    pub width: u32,
    /// Image height, px.
    pub height: u32,
    /// Intercept of the outcome model implied by the ALN+ count.
    pub intercept: f64,
    /// Patients with ICC re-outlines.
    pub icc_patients: usize,
    /// Mean Dice of reader 1's repeat outlines vs the true masks (None without an ICC subset).
    pub icc_dice_reader1: Option<f64>,
    /// Mean Dice of reader 2's outlines vs the true masks.
    pub icc_dice_reader2: Option<f64>,
}

/// What [`simulate`] wrote.
#[derive(Debug, Clone, Serialize)]
pub struct SimSummary {
    /// Output folder.
    pub out: PathBuf,
    /// Seed used.
    pub seed: u64,
    /// Scale used.
    pub scale: f64,
    /// Generator version.
    pub version: String,
    /// Per-cohort results in output order.
    pub cohorts: Vec<CohortSummary>,
    /// Images written (one per patient).
    pub images: usize,
}

/// The simulate.json manifest.
#[derive(Serialize)]
struct Manifest<'a> {
    generator: &'static str,
    note: &'static str,
    version: &'static str,
    seed: u64,
    scale: f64,
    id_format: &'static str,
    label_method: &'static str,
    cohorts: &'a [CohortSummary],
    params: &'a SimParams,
}

/// The scanner ranges `check_params` enforces, as its messages give them.
const SCANNER_RANGES: &str = "a finite number in its range: fov_width_mm (0, 1000], \
     dynamic_range_db (0, 200], gain_db [-200, 200], psf_lateral_mm and psf_axial_mm \
     [0, fov_width_mm], blur_px [0, 50], attenuation_db_per_mm [0, 100], \
     tgc_compensation [0, 1], noise_floor [0, 100]";

/// Checks the scale and the parameters the sampler relies on.
pub(crate) fn check_params(params: &SimParams, scale: f64) -> Result<(), SimError> {
    if !(scale.is_finite() && scale > 0.0) {
        return Err(SimError::BadScale { found: scale });
    }
    let bad = |name: String, found: String, expected: &'static str| {
        Err(SimError::BadParam {
            name,
            found,
            expected,
        })
    };
    if params.cohorts.is_empty() {
        return bad("cohorts".into(), "[]".into(), "at least one cohort");
    }
    if params.icc_cohort >= params.cohorts.len() {
        return bad(
            "icc_cohort".into(),
            params.icc_cohort.to_string(),
            "an index into cohorts",
        );
    }
    readers::check(&params.radiologists)?;
    let pn = params.lesion.phenotype_noise_sd;
    if !(pn.is_finite() && (0.0..=10.0).contains(&pn)) {
        return bad(
            "lesion.phenotype_noise_sd".into(),
            format!("{pn:?}"),
            "a finite number in [0, 10]",
        );
    }
    let rho = params.outcome.clinical_correlation;
    if !(rho.is_finite() && (0.0..=0.95).contains(&rho)) {
        return bad(
            "outcome.clinical_correlation".into(),
            format!("{rho:?}"),
            "a finite number in [0, 0.95]",
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, c) in params.cohorts.iter().enumerate() {
        let name_ok = !c.name.is_empty()
            && c.name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-');
        if !name_ok || !seen.insert(c.name.clone()) {
            return bad(
                format!("cohorts[{i}].name"),
                c.name.clone(),
                "a unique non-empty name of letters, digits, _ or -",
            );
        }
        if !seen.insert(format!("prefix:{}", c.id_prefix)) || c.id_prefix.is_empty() {
            return bad(
                format!("cohorts[{i}].id_prefix"),
                c.id_prefix.clone(),
                "a unique non-empty prefix",
            );
        }
        if c.n == 0 || c.positives > c.n {
            return bad(
                format!("cohorts[{i}].positives"),
                c.positives.to_string(),
                "at most n, with n > 0",
            );
        }
        let t = &c.table1;
        for (name, v) in [
            ("age_sd", t.age_sd),
            ("size_mean", t.size_mean),
            ("size_sd", t.size_sd),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return bad(
                    format!("cohorts[{i}].table1.{name}"),
                    v.to_string(),
                    "a finite number > 0",
                );
            }
        }
        if clinical::age_normal(t).is_none() {
            return bad(
                format!("cohorts[{i}].table1.age_mean"),
                t.age_mean.to_string(),
                "a finite number",
            );
        }
        if clinical::size_gamma(t).is_none() {
            return bad(
                format!("cohorts[{i}].table1.size_sd"),
                format!("{:?} (size_mean {:?})", t.size_sd, t.size_mean),
                "a size SD and mean whose gamma shape (mean/SD)² and scale SD²/mean are finite and > 0",
            );
        }
        let pcts: [(&str, &[f64]); 6] = [
            ("bmi_pct", &t.bmi_pct),
            ("birads_pct", &t.birads_pct),
            ("location_pct", &t.location_pct),
            ("grade_pct", &t.grade_pct),
            ("tumour_type_pct", &t.tumour_type_pct),
            ("subtype_pct", &t.subtype_pct),
        ];
        for (name, v) in pcts {
            if v.iter().any(|p| !(p.is_finite() && *p >= 0.0)) || v.iter().sum::<f64>() <= 0.0 {
                return bad(
                    format!("cohorts[{i}].table1.{name}"),
                    format!("{v:?}"),
                    "percentages >= 0 with a positive sum",
                );
            }
        }
        for (name, v) in [
            ("er_pos_pct", t.er_pos_pct),
            ("pr_pos_pct", t.pr_pos_pct),
            ("her2_pos_pct", t.her2_pos_pct),
            ("ki67_pos_pct", t.ki67_pos_pct),
            ("us_aln_suspicious_pct", t.us_aln_suspicious_pct),
        ] {
            if !(0.0..=100.0).contains(&v) {
                return bad(
                    format!("cohorts[{i}].table1.{name}"),
                    v.to_string(),
                    "a percentage in 0..=100",
                );
            }
        }
        if !(c.clinical_weight.is_finite() && (0.0..=10.0).contains(&c.clinical_weight)) {
            return bad(
                format!("cohorts[{i}].clinical_weight"),
                format!("{:?}", c.clinical_weight),
                "a finite number in [0, 10]",
            );
        }
        let s = &c.scanner;
        if !((64..=4096).contains(&s.width) && (64..=4096).contains(&s.height)) {
            return bad(
                format!("cohorts[{i}].scanner.width/height"),
                format!("{}x{}", s.width, s.height),
                "at least 64x64 and at most 4096x4096",
            );
        }
        if !(s.fov_width_mm > 0.0 && s.dynamic_range_db > 0.0) {
            return bad(
                format!("cohorts[{i}].scanner"),
                format!("{s:?}"),
                "fov_width_mm > 0 and dynamic_range_db > 0",
            );
        }
        // Bounds that keep the renderer's filters and loops finite: a blur
        // or point spread wider than the field of view, or thousands of
        // compounding looks, would only exhaust memory or time.
        let fov = s.fov_width_mm;
        let finite: [(&str, f64, f64, f64); 9] = [
            ("fov_width_mm", fov, f64::MIN_POSITIVE, 1000.0),
            (
                "dynamic_range_db",
                s.dynamic_range_db,
                f64::MIN_POSITIVE,
                200.0,
            ),
            ("gain_db", s.gain_db, -200.0, 200.0),
            ("psf_lateral_mm", s.psf_lateral_mm, 0.0, fov),
            ("psf_axial_mm", s.psf_axial_mm, 0.0, fov),
            ("blur_px", s.blur_px, 0.0, 50.0),
            ("attenuation_db_per_mm", s.attenuation_db_per_mm, 0.0, 100.0),
            ("tgc_compensation", s.tgc_compensation, 0.0, 1.0),
            ("noise_floor", s.noise_floor, 0.0, 100.0),
        ];
        for (name, v, lo, hi) in finite {
            if !(v.is_finite() && (lo..=hi).contains(&v)) {
                return bad(
                    format!("cohorts[{i}].scanner.{name}"),
                    format!("{v:?}"),
                    SCANNER_RANGES,
                );
            }
        }
        if !(1..=64).contains(&s.compounding) {
            return bad(
                format!("cohorts[{i}].scanner.compounding"),
                s.compounding.to_string(),
                "1..=64 looks",
            );
        }
    }
    Ok(())
}

/// Writes an 8-bit grey PNG with fixed encoder settings (fast deflate,
/// adaptive filter), so equal pixels give equal bytes.
fn write_grey_png(path: &Path, width: usize, height: usize, pixels: &[u8]) -> Result<(), SimError> {
    let file = fs::File::create(path).map_err(io_err(path))?;
    let mut buf = BufWriter::new(file);
    PngEncoder::new_with_quality(&mut buf, CompressionType::Fast, FilterType::Adaptive)
        .write_image(pixels, width as u32, height as u32, ExtendedColorType::L8)
        .map_err(|source| SimError::Png {
            path: path.to_path_buf(),
            source,
        })?;
    buf.flush().map_err(io_err(path))
}

fn mask_bytes(mask: &[bool]) -> Vec<u8> {
    mask.iter().map(|&m| if m { 255 } else { 0 }).collect()
}

/// Marks a simulation in progress in its folder: written before anything
/// else, removed once simulate.json is in place. A run killed midway leaves
/// it (and no simulate.json, so the folder never looks finished); the next
/// run may then replace the folder.
const IN_PROGRESS: &str = ".simulate-in-progress";

/// Creates `out`, or clears a previous (finished or interrupted) simulation
/// there; refuses a non-empty folder that is neither.
fn prepare_out(out: &Path, params: &SimParams) -> Result<(), SimError> {
    let marker = out.join(IN_PROGRESS);
    if out.exists() {
        let non_empty = fs::read_dir(out).map_err(io_err(out))?.next().is_some();
        if non_empty {
            let manifest = out.join("simulate.json");
            if !manifest.is_file() && !marker.is_file() {
                return Err(SimError::OutNotEmpty {
                    path: out.to_path_buf(),
                });
            }
            // Marked first: from here on the folder is an unfinished run.
            fs::write(&marker, VERSION).map_err(io_err(&marker))?;
            if manifest.is_file() {
                fs::remove_file(&manifest).map_err(io_err(&manifest))?;
            }
            for c in &params.cohorts {
                let d = out.join(&c.name);
                if d.exists() {
                    fs::remove_dir_all(&d).map_err(io_err(&d))?;
                }
                let p = out.join(format!("{}_preview.png", c.name));
                if p.exists() {
                    fs::remove_file(&p).map_err(io_err(&p))?;
                }
            }
            let t = out.join("truth");
            if t.exists() {
                fs::remove_dir_all(&t).map_err(io_err(&t))?;
            }
        }
    }
    fs::create_dir_all(out.join("truth")).map_err(io_err(out))?;
    fs::write(&marker, VERSION).map_err(io_err(&marker))
}

/// Writes the hidden truth of a cohort: per patient the latent
/// aggressiveness, linear predictor parts, model probability and lesion traits.
fn write_truth(path: &Path, draw: &CohortDraw, traits: &[LesionTraits]) -> Result<(), SimError> {
    let csv_err = |source| SimError::Csv {
        path: path.to_path_buf(),
        source,
    };
    let mut w = csv::Writer::from_path(path).map_err(csv_err)?;
    w.write_record([
        "id",
        "ALN_status",
        "aggressiveness",
        "clinical_lp",
        "probability",
        "irregularity",
        "spiculation",
        "spicules",
        "aspect",
        "echo_db",
        "heterogeneity",
        "halo_mm",
        "margin_mm",
        "posterior",
        "calcifications",
        "mm_per_px",
    ])
    .map_err(csv_err)?;
    for (p, t) in draw.patients.iter().zip(traits) {
        let f = |v: f64| format!("{v:.6}");
        w.write_record([
            p.id.clone(),
            u8::from(p.aln).to_string(),
            f(p.aggressiveness),
            f(p.clinical_lp),
            f(p.probability),
            f(t.irregularity),
            f(t.spiculation),
            t.spicules.to_string(),
            f(t.aspect),
            f(t.echo_db),
            f(t.heterogeneity),
            f(t.halo_mm),
            f(t.margin_mm),
            f(t.posterior),
            t.calcifications.to_string(),
            f(t.mm_per_px),
        ])
        .map_err(csv_err)?;
    }
    w.flush().map_err(io_err(path))
}

struct PatientOut {
    traits: LesionTraits,
    tile: Option<preview::Tile>,
    dice: Option<(f64, f64)>,
}

/// Simulates the whole study into `out` (see the crate docs for the layout):
/// cohort sizes and ALN+ counts multiplied by `scale` and rounded (at least
/// [`MIN_COHORT`] patients and [`MIN_PER_CLASS`] per class), every random draw
/// from `seed`. `progress` is called (from worker threads) after each patient.
/// A non-empty `out` must hold a previous simulation, which is replaced.
pub fn simulate(
    out: &Path,
    params: &SimParams,
    seed: u64,
    scale: f64,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<SimSummary, SimError> {
    check_params(params, scale)?;
    let draws = sample_study(params, seed, scale)?;
    prepare_out(out, params)?;
    let total: usize = draws.iter().map(|d| d.patients.len()).sum();
    let done = AtomicUsize::new(0);
    let mut summaries = Vec::with_capacity(draws.len());

    for draw in &draws {
        let c = draw.index;
        let spec = &params.cohorts[c];
        let dir = out.join(&spec.name);
        for sub in ["images", "masks"] {
            let d = dir.join(sub);
            fs::create_dir_all(&d).map_err(io_err(&d))?;
        }
        if !draw.icc.is_empty() {
            for r in ICC_READERS {
                let d = dir.join("icc").join(r);
                fs::create_dir_all(&d).map_err(io_err(&d))?;
            }
        }
        let csv_path = dir.join("clinical.csv");
        fs::write(&csv_path, clinical_csv(draw)).map_err(io_err(&csv_path))?;
        if params.radiologists.cohorts.contains(&spec.name) {
            let p = dir.join("readers.csv");
            let reads = draw_reads(draw, &params.radiologists, seed);
            fs::write(&p, readers_csv(&reads)).map_err(io_err(&p))?;
        }

        let z: Vec<f64> = draw.patients.iter().map(|p| p.aggressiveness).collect();
        let shown = preview::pick(&z, params.preview_images);

        let results: Vec<Result<PatientOut, SimError>> = draw
            .patients
            .par_iter()
            .enumerate()
            .map(|(i, p)| {
                let mut rng = stream(seed, c, Purpose::Image, i);
                let r = render(p, &spec.scanner, &params.lesion, &params.anatomy, &mut rng);
                let file = format!("{}.png", p.id);
                write_grey_png(
                    &dir.join("images").join(&file),
                    r.width,
                    r.height,
                    &r.pixels,
                )?;
                write_grey_png(
                    &dir.join("masks").join(&file),
                    r.width,
                    r.height,
                    &mask_bytes(&r.mask),
                )?;
                let dice = if draw.icc.binary_search(&i).is_ok() {
                    let mut d = [0.0; 2];
                    for (k, (reader, purpose, bias)) in [
                        (
                            ICC_READERS[0],
                            Purpose::Reader1,
                            params.readers.reader1_bias,
                        ),
                        (
                            ICC_READERS[1],
                            Purpose::Reader2,
                            params.readers.reader2_bias,
                        ),
                    ]
                    .into_iter()
                    .enumerate()
                    {
                        let o = r.outline.reoutline(
                            &params.readers,
                            bias,
                            &mut stream(seed, c, purpose, i),
                        );
                        let m = o.rasterize(r.width, r.height);
                        d[k] = dice(&r.mask, &m);
                        write_grey_png(
                            &dir.join("icc").join(reader).join(&file),
                            r.width,
                            r.height,
                            &mask_bytes(&m),
                        )?;
                    }
                    Some((d[0], d[1]))
                } else {
                    None
                };
                let tile = shown.contains(&i).then(|| preview::Tile {
                    width: r.width,
                    height: r.height,
                    pixels: r.pixels.clone(),
                    mask: r.mask.clone(),
                    aln: p.aln,
                });
                let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                progress(Progress { done: d, total });
                Ok(PatientOut {
                    traits: r.traits,
                    tile,
                    dice,
                })
            })
            .collect();
        let mut outs = Vec::with_capacity(results.len());
        for r in results {
            outs.push(r?);
        }

        let traits: Vec<LesionTraits> = outs.iter().map(|o| o.traits.clone()).collect();
        write_truth(
            &out.join("truth").join(format!("{}.csv", spec.name)),
            draw,
            &traits,
        )?;

        let mut tiles: Vec<(usize, preview::Tile)> = outs
            .iter_mut()
            .enumerate()
            .filter_map(|(i, o)| o.tile.take().map(|t| (i, t)))
            .collect();
        tiles.sort_by_key(|(i, _)| shown.iter().position(|s| s == i));
        let tiles: Vec<preview::Tile> = tiles.into_iter().map(|(_, t)| t).collect();
        let mont = preview::montage(&tiles);
        let mpath = out.join(format!("{}_preview.png", spec.name));
        {
            let file = fs::File::create(&mpath).map_err(io_err(&mpath))?;
            let mut buf = BufWriter::new(file);
            PngEncoder::new_with_quality(&mut buf, CompressionType::Fast, FilterType::Adaptive)
                .write_image(
                    mont.as_raw(),
                    mont.width(),
                    mont.height(),
                    ExtendedColorType::Rgb8,
                )
                .map_err(|source| SimError::Png {
                    path: mpath.clone(),
                    source,
                })?;
            buf.flush().map_err(io_err(&mpath))?;
        }

        let dices: Vec<(f64, f64)> = outs.iter().filter_map(|o| o.dice).collect();
        let mean = |f: fn(&(f64, f64)) -> f64| {
            (!dices.is_empty()).then(|| dices.iter().map(f).sum::<f64>() / dices.len() as f64)
        };
        summaries.push(CohortSummary {
            name: spec.name.clone(),
            n: draw.patients.len(),
            positives: draw.patients.iter().filter(|p| p.aln).count(),
            width: spec.scanner.width,
            height: spec.scanner.height,
            intercept: draw.intercept,
            icc_patients: draw.icc.len(),
            icc_dice_reader1: mean(|d| d.0),
            icc_dice_reader2: mean(|d| d.1),
        });
    }

    let manifest = Manifest {
        generator: "dlrn-simulate",
        note: "Simulated data: no patient data. Cohorts mimic Liu et al. 2024 (npj Breast Cancer 10:22) in size, ALN+ rate and Table 1 marginals.",
        version: VERSION,
        seed,
        scale,
        id_format: "<id_prefix><1-based number, zero-padded to at least 3 digits>",
        label_method: "conditional Bernoulli: independent Bernoulli(p_i) from the outcome model conditioned on exactly the cohort's ALN+ count",
        cohorts: &summaries,
        params,
    };
    let jpath = out.join("simulate.json");
    let text = serde_json::to_string_pretty(&manifest).map_err(|source| SimError::Json {
        path: jpath.clone(),
        source,
    })?;
    // Through a temporary name, then the in-progress mark goes: the folder
    // holds simulate.json only once every file is written.
    let tmp = out.join(".simulate.json.partial");
    fs::write(&tmp, text + "\n").map_err(io_err(&tmp))?;
    fs::rename(&tmp, &jpath).map_err(io_err(&jpath))?;
    let marker = out.join(IN_PROGRESS);
    fs::remove_file(&marker).map_err(io_err(&marker))?;

    Ok(SimSummary {
        out: out.to_path_buf(),
        seed,
        scale,
        version: VERSION.to_string(),
        cohorts: summaries,
        images: total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn walk(dir: &Path, base: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, base, out);
            } else {
                out.insert(
                    p.strip_prefix(base).unwrap().to_path_buf(),
                    fs::read(&p).unwrap(),
                );
            }
        }
    }

    fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut m = BTreeMap::new();
        walk(dir, dir, &mut m);
        m
    }

    fn grey(path: &Path) -> image::GrayImage {
        let img = image::open(path).unwrap();
        assert_eq!(img.color(), image::ColorType::L8, "{}", path.display());
        img.into_luma8()
    }

    #[test]
    fn same_seed_gives_identical_bytes_whatever_the_threads() {
        let params = SimParams::default();
        let (a, b, c) = (
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
        );
        simulate(a.path(), &params, 42, 0.02, &|_| {}).unwrap();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        pool.install(|| simulate(b.path(), &params, 42, 0.02, &|_| {}))
            .unwrap();
        let (fa, fb) = (files(a.path()), files(b.path()));
        assert!(fa.len() > 4 * 2 * MIN_COHORT);
        assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
        for (k, v) in &fa {
            assert!(v == &fb[k], "{} differs", k.display());
        }
        // Another seed changes the data.
        simulate(c.path(), &params, 43, 0.02, &|_| {}).unwrap();
        let fc = files(c.path());
        let tc = Path::new("TC/clinical.csv");
        assert_ne!(fa[tc], fc[tc]);
        assert_ne!(
            fa[Path::new("TC/images/TC001.png")],
            fc[Path::new("TC/images/TC001.png")]
        );
    }

    #[test]
    fn refuses_a_foreign_folder_and_replaces_a_previous_simulation() {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join("notes.txt"), "mine").unwrap();
        let e = simulate(d.path(), &SimParams::default(), 1, 0.01, &|_| {}).unwrap_err();
        assert!(matches!(e, SimError::OutNotEmpty { .. }), "{e}");
        assert!(d.path().join("notes.txt").exists());

        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("sim");
        simulate(&out, &SimParams::default(), 1, 0.02, &|_| {}).unwrap();
        let stale = out.join("TC/images/TC999.png");
        fs::write(&stale, b"x").unwrap();
        simulate(&out, &SimParams::default(), 1, 0.02, &|_| {}).unwrap();
        assert!(!stale.exists());
    }

    /// One run at scale 0.1 (TC 62 patients, so an ICC subset of 60), checked
    /// from the files on disk.
    #[test]
    fn written_study_follows_the_cohort_contract() {
        let d = tempfile::tempdir().unwrap();
        let params = SimParams::default();
        let calls = AtomicUsize::new(0);
        let summary = simulate(d.path(), &params, 7, 0.1, &|p| {
            calls.fetch_add(1, Ordering::Relaxed);
            assert!(p.done <= p.total);
        })
        .unwrap();
        let study = sample_study(&params, 7, 0.1).unwrap();
        assert_eq!(calls.load(Ordering::Relaxed), summary.images);

        for (draw, spec) in study.iter().zip(&params.cohorts) {
            let dir = d.path().join(&spec.name);
            // clinical.csv is exactly the sampled table.
            assert_eq!(
                fs::read(dir.join("clinical.csv")).unwrap(),
                clinical_csv(draw)
            );
            let n_img = fs::read_dir(dir.join("images")).unwrap().count();
            let n_mask = fs::read_dir(dir.join("masks")).unwrap().count();
            assert_eq!((n_img, n_mask), (draw.patients.len(), draw.patients.len()));
            for p in &draw.patients {
                let img = grey(&dir.join("images").join(format!("{}.png", p.id)));
                let mask = grey(&dir.join("masks").join(format!("{}.png", p.id)));
                // Contract: at least 400 × 300, 8-bit grey; mask the same size.
                assert!(img.width() >= 400 && img.height() >= 300);
                assert_eq!(img.dimensions(), mask.dimensions());
                assert!(mask.pixels().all(|v| v.0[0] == 0 || v.0[0] == 255));
                let area = mask.pixels().filter(|v| v.0[0] == 255).count();
                let total = (mask.width() * mask.height()) as usize;
                assert!(
                    area > 50 && area < total / 2,
                    "{}: lesion area {area} of {total}",
                    p.id
                );
                // Hypoechoic lesion: darker inside than in the whole image.
                let inside: f64 = img
                    .pixels()
                    .zip(mask.pixels())
                    .filter(|(_, m)| m.0[0] == 255)
                    .map(|(v, _)| v.0[0] as f64)
                    .sum::<f64>()
                    / area as f64;
                let all: f64 = img.pixels().map(|v| v.0[0] as f64).sum::<f64>() / total as f64;
                assert!(
                    inside < all,
                    "{}: lesion mean {inside} vs image {all}",
                    p.id
                );
            }
            let preview = image::open(d.path().join(format!("{}_preview.png", spec.name))).unwrap();
            assert_eq!(preview.color(), image::ColorType::Rgb8);
        }

        // ICC subset: 60 TC patients, two readers, Dice 0.85–0.95 on average.
        let tc = d.path().join("TC");
        for reader in ICC_READERS {
            let rdir = tc.join("icc").join(reader);
            let names: Vec<String> = fs::read_dir(&rdir)
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            assert_eq!(names.len(), 60, "{reader}");
            let mut dices = Vec::new();
            for name in names {
                let r = grey(&rdir.join(&name));
                let t = grey(&tc.join("masks").join(&name));
                let a: Vec<bool> = r.pixels().map(|v| v.0[0] > 0).collect();
                let b: Vec<bool> = t.pixels().map(|v| v.0[0] > 0).collect();
                let inter = a.iter().zip(&b).filter(|(x, y)| **x && **y).count() as f64;
                let dsc = 2.0 * inter
                    / (a.iter().filter(|x| **x).count() + b.iter().filter(|x| **x).count()) as f64;
                assert!(dsc > 0.7, "{reader}/{name}: Dice {dsc}");
                dices.push(dsc);
            }
            let mean = dices.iter().sum::<f64>() / dices.len() as f64;
            assert!((0.85..=0.95).contains(&mean), "{reader}: mean Dice {mean}");
        }
        assert!(!d.path().join("EVC1/icc").exists());

        // simulate.json: seed, version and every parameter, read back whole.
        let json: serde_json::Value =
            serde_json::from_slice(&fs::read(d.path().join("simulate.json")).unwrap()).unwrap();
        assert_eq!(json["seed"], 7);
        assert_eq!(json["version"], VERSION);
        let back: SimParams = serde_json::from_value(json["params"].clone()).unwrap();
        assert_eq!(back, params);
    }

    /// Each hospital images with its own scanner: the same patients rendered
    /// with each default scanner differ as its parameters say. Glandular
    /// tissue (0 dB) displays at 1 + (gain − mean residual attenuation) /
    /// range of full scale, the residual being attenuation × (1 − TGC) ×
    /// half the depth (0.75 × field of view): TC 1 − (16 + 0.12 × 17) / 46 =
    /// 0.61, EVC1 1 − (12 + 0.18 × 19) / 54 = 0.71, EVC3 1 − (13 + 0.13 × 16)
    /// / 51 = 0.70, so EVC1 and EVC3 are brighter than TC. EVC2 has the
    /// finest speckle (point spread 0.21 × 0.09 mm against TC's 0.25 × 0.11,
    /// display blur 0.4 px against 0.6) and the narrowest dynamic range (42
    /// dB against 46), so neighbouring pixels differ more than in TC.
    #[test]
    fn hospitals_differ_in_acquisition() {
        let params = SimParams::default();
        let study = sample_study(&params, 5, 0.1).unwrap();
        let stats: Vec<(f64, f64)> = params
            .cohorts
            .iter()
            .map(|spec| {
                let (mut grey, mut step) = (0.0, 0.0);
                for (i, p) in study[0].patients.iter().take(6).enumerate() {
                    let mut rng = stream(5, 0, Purpose::Image, i);
                    let r = render(p, &spec.scanner, &params.lesion, &params.anatomy, &mut rng);
                    let px: Vec<f64> = r.pixels.iter().map(|&v| v as f64).collect();
                    grey += px.iter().sum::<f64>() / px.len() as f64;
                    let diffs: Vec<f64> = px
                        .chunks(r.width)
                        .flat_map(|row| row.windows(2).map(|w| (w[1] - w[0]).abs()))
                        .collect();
                    step += diffs.iter().sum::<f64>() / diffs.len() as f64;
                }
                (grey / 6.0, step / 6.0)
            })
            .collect();
        let (tc, e1, e2, e3) = (stats[0], stats[1], stats[2], stats[3]);
        assert!(
            e1.0 > tc.0 && e3.0 > tc.0,
            "mean grey TC {tc:?}, EVC1 {e1:?}, EVC3 {e3:?}"
        );
        assert!(e2.1 > tc.1, "neighbour difference TC {tc:?}, EVC2 {e2:?}");
    }

    #[test]
    fn bad_parameters_name_themselves() {
        let mut p = SimParams::default();
        p.cohorts[2].positives = 1000;
        let e = simulate(Path::new("/nonexistent/never"), &p, 1, 1.0, &|_| {}).unwrap_err();
        assert!(e.to_string().contains("cohorts[2].positives"), "{e}");
        let mut p = SimParams::default();
        p.cohorts[3].table1.birads_pct[1] = -2.0;
        let e = check_params(&p, 1.0).unwrap_err().to_string();
        assert!(e.contains("cohorts[3].table1.birads_pct"), "{e}");
        let p = SimParams {
            icc_cohort: 9,
            ..SimParams::default()
        };
        assert!(
            check_params(&p, 1.0)
                .unwrap_err()
                .to_string()
                .contains("icc_cohort")
        );
        let mut p = SimParams::default();
        p.cohorts[1].clinical_weight = -1.0;
        let e = check_params(&p, 1.0).unwrap_err().to_string();
        assert!(e.contains("cohorts[1].clinical_weight"), "{e}");
        let mut p = SimParams::default();
        p.outcome.clinical_correlation = 1.0;
        let e = check_params(&p, 1.0).unwrap_err().to_string();
        assert!(e.contains("outcome.clinical_correlation"), "{e}");
        let mut p = SimParams::default();
        p.lesion.phenotype_noise_sd = f64::NAN;
        let e = check_params(&p, 1.0).unwrap_err().to_string();
        assert!(e.contains("lesion.phenotype_noise_sd"), "{e}");
    }
}
