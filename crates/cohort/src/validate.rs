//! Whole-folder validation: clinical table ↔ images ↔ masks ↔ re-outlines,
//! image/mask geometry, and a summary of what a valid cohort holds.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::Problem;
use crate::cases::list_images;
use crate::clinical::{Clinical, RANGES, VOCABULARY, read_clinical};
use crate::formats::ImageOptions;
use crate::images::load_image;
use crate::masks::{MaskOptions, list_masks, load_mask_for};
use crate::pixels::Voi;
use crate::schema::{ClinicalData, ClinicalSchema, VariableColumn};

/// Summary statistics of one numeric clinical column.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NumericSummary {
    /// Non-missing values.
    pub n: usize,
    /// Missing values.
    pub missing: usize,
    /// Mean of the non-missing values.
    pub mean: f64,
    /// Sample standard deviation (n − 1).
    pub sd: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

/// What a valid cohort folder holds.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CohortSummary {
    /// The folder.
    pub dir: PathBuf,
    /// Patients (image/mask pairs).
    pub n: usize,
    /// ALN+ patients, when clinical.csv has labels.
    pub positives: Option<usize>,
    /// Whether clinical.csv is present.
    pub has_clinical: bool,
    /// Numeric clinical columns.
    pub numeric: BTreeMap<String, NumericSummary>,
    /// Level counts of each categorical clinical column.
    pub categorical: BTreeMap<String, BTreeMap<String, usize>>,
    /// Smallest and largest image (width, height).
    pub image_size_min: (usize, usize),
    /// Largest image (width, height).
    pub image_size_max: (usize, usize),
    /// Mean fraction of the frame covered by the lesion mask.
    pub mean_mask_fraction: f64,
    /// Re-outline folders under icc/ and how many masks each holds.
    pub icc_readers: BTreeMap<String, usize>,
    /// readers.csv, when present: (radiologists, reads).
    pub readers: Option<(usize, usize)>,
    /// How many images reached 8-bit grey each way (as stored, VOI window,
    /// min-max; MONOCHROME1 inverted), the per-image detail being
    /// [`crate::GreyMapping`].
    pub grey_mappings: BTreeMap<String, usize>,
    /// Warnings from reading the images (e.g. multi-frame DICOM without a frame).
    pub warnings: Vec<String>,
}

/// The outcome of [`validate_cohort`]: a summary when nothing is wrong.
#[derive(Debug, Clone, Serialize)]
pub struct Validation {
    /// Every problem found, in folder order (clinical, pairing, images, re-outlines).
    pub problems: Vec<Problem>,
    /// Present when `problems` is empty.
    pub summary: Option<CohortSummary>,
}

struct Geometry {
    size: (usize, usize),
    mask_fraction: f64,
    /// How the image's grey levels were obtained ([`Voi`] kind, + " inverted").
    grey: String,
    /// The image loader's warnings.
    warnings: Vec<String>,
}

fn check_pair(
    image: &Path,
    mask: &Path,
    opts: &(ImageOptions, MaskOptions),
) -> Result<Geometry, Vec<Problem>> {
    let img = load_image(image, &opts.0).map_err(|e| vec![Problem::from_error(image, &e)])?;
    let mut mask_opts = opts.1.clone();
    if mask_opts.slice.is_none() {
        mask_opts.slice = opts.0.frame;
    }
    let mut g = check_mask(mask, (img.image.width, img.image.height), &mask_opts)?;
    let kind = match img.mapping.voi {
        Voi::AsStored => "as stored (8-bit)",
        Voi::Window { .. } => "VOI window",
        Voi::MinMax { .. } => "min-max",
    };
    g.grey = if img.mapping.inverted {
        format!("{kind}, inverted (MONOCHROME1)")
    } else {
        kind.to_string()
    };
    g.warnings = img.warnings;
    Ok(g)
}

fn check_mask(
    mask: &Path,
    size: (usize, usize),
    opts: &MaskOptions,
) -> Result<Geometry, Vec<Problem>> {
    let m = load_mask_for(mask, size, opts).map_err(|e| vec![Problem::from_error(mask, &e)])?;
    if (m.width, m.height) != size {
        return Err(vec![Problem::new(
            mask,
            None,
            None,
            format!(
                "mask is {}×{} but its image is {}×{} (width×height)",
                m.width, m.height, size.0, size.1
            ),
        )]);
    }
    let area = m.area();
    let total = m.width * m.height;
    if area == 0 {
        return Err(vec![Problem::new(
            mask,
            None,
            None,
            "mask is empty (no lesion pixel)",
        )]);
    }
    if area == total {
        return Err(vec![Problem::new(
            mask,
            None,
            None,
            "mask covers the whole frame (no background pixel)",
        )]);
    }
    Ok(Geometry {
        size,
        mask_fraction: area as f64 / total as f64,
        grey: String::new(),
        warnings: Vec::new(),
    })
}

/// Validates a cohort folder against the design.md contract and collects
/// every problem: clinical.csv (optional) columns, vocabulary, ranges,
/// duplicates; ids ↔ images ↔ masks; undecodable files; image/mask size
/// mismatch; empty or whole-frame masks; icc/<reader>/ outlines without an
/// image or of the wrong size; readers.csv (optional) as [`crate::read_readers`]
/// checks it, its ids against clinical.csv. `tick` is called once per image checked.
pub fn validate_cohort(dir: &Path, tick: &(dyn Fn() + Sync)) -> Validation {
    validate_cohort_with(dir, &ImageOptions::default(), &MaskOptions::default(), tick)
}

/// [`validate_cohort`] reading images and masks with the given options
/// (DICOM frame, mask label, RoiSet entry).
pub fn validate_cohort_with(
    dir: &Path,
    image_opts: &ImageOptions,
    mask_opts: &MaskOptions,
    tick: &(dyn Fn() + Sync),
) -> Validation {
    validate_cohort_schema(dir, image_opts, mask_opts, None, tick)
}

/// What validation takes from clinical.csv, read either by the paper's fixed
/// contract ([`read_clinical`]) or by a declared [`ClinicalSchema`].
struct ClinicalFacts {
    ids: Vec<String>,
    positives: Option<usize>,
    numeric: BTreeMap<String, NumericSummary>,
    categorical: BTreeMap<String, BTreeMap<String, usize>>,
}

impl ClinicalFacts {
    fn paper(c: &Clinical) -> ClinicalFacts {
        let positives = c.has_label.then(|| {
            c.patients
                .iter()
                .filter(|p| p.aln_status == Some(1))
                .count()
        });
        let mut numeric = BTreeMap::new();
        for (col, _, _) in RANGES {
            let values: Vec<Option<f64>> = c
                .patients
                .iter()
                .map(|p| match *col {
                    "age" => Some(p.age),
                    "bmi" => p.bmi,
                    _ => Some(p.us_size_cm),
                })
                .collect();
            numeric.insert(col.to_string(), numeric_summary(&values));
        }
        let mut categorical = BTreeMap::new();
        for (col, levels) in VOCABULARY {
            let mut counts: BTreeMap<String, usize> =
                levels.iter().map(|l| (l.to_string(), 0)).collect();
            for p in &c.patients {
                if let Some(v) = p.category(col) {
                    *counts.entry(v.to_string()).or_default() += 1;
                }
            }
            categorical.insert(col.to_string(), counts);
        }
        ClinicalFacts {
            ids: c.patients.iter().map(|p| p.id.clone()).collect(),
            positives,
            numeric,
            categorical,
        }
    }

    fn schema(schema: &ClinicalSchema, d: &ClinicalData) -> ClinicalFacts {
        let mut numeric = BTreeMap::new();
        let mut categorical = BTreeMap::new();
        for (v, col) in schema.variables.iter().zip(&d.columns) {
            match col {
                VariableColumn::Numbers(values) => {
                    numeric.insert(v.name.clone(), numeric_summary(values));
                }
                VariableColumn::Levels(idx) => {
                    let levels = v.levels();
                    let mut counts: BTreeMap<String, usize> =
                        levels.iter().map(|l| (l.clone(), 0)).collect();
                    for &i in idx.iter().flatten() {
                        if let Some(l) = levels.get(i) {
                            *counts.entry(l.clone()).or_default() += 1;
                        }
                    }
                    categorical.insert(v.name.clone(), counts);
                }
            }
        }
        ClinicalFacts {
            ids: d.ids.clone(),
            positives: d
                .outcome
                .as_ref()
                .map(|o| o.iter().filter(|&&y| y == Some(1)).count()),
            numeric,
            categorical,
        }
    }
}

/// [`validate_cohort_with`] checking clinical.csv against a declared schema
/// (its variables, levels, ranges and outcome) instead of the paper's fixed
/// 13 variables when `schema` is given.
pub fn validate_cohort_schema(
    dir: &Path,
    image_opts: &ImageOptions,
    mask_opts: &MaskOptions,
    schema: Option<&ClinicalSchema>,
    tick: &(dyn Fn() + Sync),
) -> Validation {
    let opts = (image_opts.clone(), mask_opts.clone());
    let mut problems = Vec::new();
    if !dir.is_dir() {
        problems.push(Problem::new(dir, None, None, "not a folder"));
        return Validation {
            problems,
            summary: None,
        };
    }
    let clinical_path = dir.join("clinical.csv");
    let clinical: Option<ClinicalFacts> = if clinical_path.exists() {
        let read = match schema {
            Some(s) => s.read(&clinical_path).map(|d| ClinicalFacts::schema(s, &d)),
            None => read_clinical(&clinical_path).map(|c| ClinicalFacts::paper(&c)),
        };
        match read {
            Ok(c) => Some(c),
            Err(p) => {
                problems.extend(p);
                None
            }
        }
    } else {
        None
    };

    let mut listing = |sub: &str| -> BTreeMap<String, PathBuf> {
        let d = dir.join(sub);
        if !d.is_dir() {
            problems.push(Problem::new(&d, None, None, "folder is missing"));
            return BTreeMap::new();
        }
        let list = if sub == "images" {
            list_images(&d)
        } else {
            list_masks(&d)
        };
        list.unwrap_or_else(|e| {
            problems.push(Problem::from_error(&d, &e));
            BTreeMap::new()
        })
    };
    let images = listing("images");
    let masks = listing("masks");

    for (id, path) in &masks {
        if !images.contains_key(id) {
            problems.push(Problem::new(
                path,
                None,
                None,
                format!("mask {id:?} has no image in images/"),
            ));
        }
    }
    if let Some(c) = &clinical {
        let ids: BTreeSet<&str> = c.ids.iter().map(String::as_str).collect();
        for (row, id) in c.ids.iter().enumerate() {
            if !images.contains_key(id) {
                problems.push(Problem::new(
                    &clinical_path,
                    Some(row + 1),
                    Some("id"),
                    format!("no image for id {id:?} in images/"),
                ));
            }
        }
        for (id, path) in &images {
            if !ids.contains(id.as_str()) {
                problems.push(Problem::new(
                    path,
                    None,
                    None,
                    format!("image {id:?} has no row in clinical.csv"),
                ));
            }
        }
    }
    let pairs: Vec<(&String, &PathBuf, &PathBuf)> = images
        .iter()
        .filter_map(|(id, img)| match masks.get(id) {
            Some(m) => Some((id, img, m)),
            None => {
                problems.push(Problem::new(
                    img,
                    None,
                    None,
                    format!("image {id:?} has no mask in masks/"),
                ));
                None
            }
        })
        .collect();

    let checked: Vec<(String, Result<Geometry, Vec<Problem>>)> = pairs
        .par_iter()
        .map(|(id, img, mask)| {
            let r = check_pair(img, mask, &opts);
            tick();
            ((*id).clone(), r)
        })
        .collect();
    let mut geometry: BTreeMap<String, Geometry> = BTreeMap::new();
    for (id, r) in checked {
        match r {
            Ok(g) => {
                geometry.insert(id, g);
            }
            Err(p) => problems.extend(p),
        }
    }

    // Re-outlines for the reproducibility subset: icc/<reader>/<id>.*
    let mut icc_readers = BTreeMap::new();
    let icc = dir.join("icc");
    if icc.is_dir() {
        let mut readers: Vec<PathBuf> = std::fs::read_dir(&icc)
            .map(|rd| {
                rd.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.is_dir())
                    .collect()
            })
            .unwrap_or_default();
        readers.sort();
        for reader in readers {
            let name = reader
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            let outlines = list_masks(&reader).unwrap_or_else(|e| {
                problems.push(Problem::from_error(&reader, &e));
                BTreeMap::new()
            });
            icc_readers.insert(name, outlines.len());
            let results: Vec<Result<(), Vec<Problem>>> = outlines
                .par_iter()
                .map(|(id, path)| match geometry.get(id) {
                    None => Err(vec![Problem::new(
                        path,
                        None,
                        None,
                        format!("re-outline {id:?} has no valid image in images/"),
                    )]),
                    Some(g) => check_mask(path, g.size, &opts.1).map(|_| ()),
                })
                .collect();
            for r in results {
                if let Err(p) = r {
                    problems.extend(p);
                }
            }
        }
    }

    // Radiologists' reads (optional): readers.csv, ids checked against clinical.csv.
    let readers_path = dir.join(crate::READERS_FILE);
    let mut reads = None;
    if readers_path.exists() {
        let known: Option<Vec<String>> = clinical.as_ref().map(|c| c.ids.clone());
        match crate::read_readers(&readers_path, known.as_deref()) {
            Ok(r) => reads = Some((r.readers.len(), r.reads.len())),
            Err(p) => problems.extend(p),
        }
    }

    if !problems.is_empty() {
        return Validation {
            problems,
            summary: None,
        };
    }
    let sizes: Vec<(usize, usize)> = geometry.values().map(|g| g.size).collect();
    let n = geometry.len();
    let mut summary = CohortSummary {
        dir: dir.to_path_buf(),
        n,
        positives: None,
        has_clinical: clinical.is_some(),
        numeric: BTreeMap::new(),
        categorical: BTreeMap::new(),
        image_size_min: sizes.iter().fold((usize::MAX, usize::MAX), |a, s| {
            (a.0.min(s.0), a.1.min(s.1))
        }),
        image_size_max: sizes
            .iter()
            .fold((0, 0), |a, s| (a.0.max(s.0), a.1.max(s.1))),
        mean_mask_fraction: geometry.values().map(|g| g.mask_fraction).sum::<f64>()
            / n.max(1) as f64,
        icc_readers,
        readers: reads,
        grey_mappings: BTreeMap::new(),
        warnings: Vec::new(),
    };
    for g in geometry.values() {
        *summary.grey_mappings.entry(g.grey.clone()).or_default() += 1;
        summary.warnings.extend(g.warnings.iter().cloned());
    }
    if n == 0 {
        summary.image_size_min = (0, 0);
    }
    if let Some(c) = clinical {
        summary.positives = c.positives;
        summary.numeric = c.numeric;
        summary.categorical = c.categorical;
    }
    Validation {
        problems,
        summary: Some(summary),
    }
}

fn numeric_summary(values: &[Option<f64>]) -> NumericSummary {
    let present: Vec<f64> = values.iter().flatten().copied().collect();
    let n = present.len();
    let mean = present.iter().sum::<f64>() / n.max(1) as f64;
    let var = if n > 1 {
        present.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64
    } else {
        f64::NAN
    };
    NumericSummary {
        n,
        missing: values.len() - n,
        mean,
        sd: var.sqrt(),
        min: present.iter().copied().fold(f64::INFINITY, f64::min),
        max: present.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    }
}
