//! Images, masks and the 544 handcrafted features (dlrn-cohort, dlrn-radiomics).

use std::path::PathBuf;

use dlrn_cohort::{ImageOptions, MaskOptions, load_image, load_mask_for, load_pair};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use rayon::prelude::*;

use crate::convert::{f64_bytes, json};
use crate::errors::{IntoPy, bad_input};

/// Cases per batch between two checks for Ctrl-C.
const BATCH: usize = 32;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(read_image, m)?)?;
    m.add_function(wrap_pyfunction!(read_mask, m)?)?;
    m.add_function(wrap_pyfunction!(handcrafted_names, m)?)?;
    m.add_function(wrap_pyfunction!(handcrafted, m)?)?;
    m.add_function(wrap_pyfunction!(handcrafted_files, m)?)?;
    m.add_function(wrap_pyfunction!(scan_cases, m)?)?;
    Ok(())
}

fn image_options(frame: Option<u32>, window: Option<(f64, f64)>) -> ImageOptions {
    ImageOptions { frame, window }
}

/// `read_image`'s result: pixels, width, height, grey mapping (JSON), warnings.
type ImageParts<'py> = (Bound<'py, PyBytes>, usize, usize, String, Vec<String>);

/// An image as 8-bit grey: (pixels, width, height, grey mapping as JSON, warnings).
#[pyfunction]
#[pyo3(signature = (path, frame=None, window=None))]
fn read_image<'py>(
    py: Python<'py>,
    path: PathBuf,
    frame: Option<u32>,
    window: Option<(f64, f64)>,
) -> PyResult<ImageParts<'py>> {
    let opts = image_options(frame, window);
    let loaded = py.detach(|| load_image(&path, &opts)).py_err()?;
    let mapping = json(&loaded.mapping)?;
    Ok((
        PyBytes::new(py, &loaded.image.pixels),
        loaded.image.width,
        loaded.image.height,
        mapping,
        loaded.warnings,
    ))
}

/// A lesion mask as 0/1 bytes: (pixels, width, height). Outlines (.roi,
/// RoiSet .zip) and NIfTI need the image's `shape` = (height, width).
#[pyfunction]
#[pyo3(signature = (path, shape=None, label=None, roi=None, slice=None))]
fn read_mask<'py>(
    py: Python<'py>,
    path: PathBuf,
    shape: Option<(usize, usize)>,
    label: Option<u64>,
    roi: Option<String>,
    slice: Option<u32>,
) -> PyResult<(Bound<'py, PyBytes>, usize, usize)> {
    let opts = MaskOptions { label, roi, slice };
    let mask = py
        .detach(|| match shape {
            Some((h, w)) => load_mask_for(&path, (w, h), &opts),
            None => {
                let ext = dlrn_cohort::split_name(&path)
                    .map(|(_, e)| e)
                    .unwrap_or_default();
                if matches!(ext.as_str(), "roi" | "zip" | "nii" | "nii.gz") {
                    Err(dlrn_cohort::CohortError::Mask {
                        path: path.clone(),
                        message: format!(
                            "a .{ext} mask is drawn on its image's grid: pass shape=(height, width)"
                        ),
                    })
                } else {
                    dlrn_cohort::load_raster_mask(&path, label)
                }
            }
        })
        .py_err()?;
    let bytes: Vec<u8> = mask.pixels.iter().map(|&b| u8::from(b)).collect();
    Ok((PyBytes::new(py, &bytes), mask.width, mask.height))
}

/// The 544 column names in released order.
#[pyfunction]
fn handcrafted_names() -> Vec<&'static str> {
    dlrn_radiomics::COLUMNS.to_vec()
}

/// As `dlrn extract handcrafted` for one case: a mask with no background
/// pixel is no outline; otherwise the 544 values of dlrn-radiomics.
pub(crate) fn features_of(
    width: usize,
    height: usize,
    grey: &[u8],
    mask: &[bool],
) -> Result<Vec<f64>, String> {
    if mask.len() == width * height && mask.iter().all(|&m| m) {
        return Err("mask covers the whole frame (no background pixel)".into());
    }
    dlrn_radiomics::extract(width, height, grey, mask)
        .map(|f| f.values)
        .map_err(|e| e.to_string())
}

/// The 544 features of an 8-bit grey image (`height × width` bytes) and its
/// mask (0/1 bytes), as float64 bytes.
#[pyfunction]
fn handcrafted<'py>(
    py: Python<'py>,
    image: &[u8],
    mask: &[u8],
    width: usize,
    height: usize,
) -> PyResult<Bound<'py, PyBytes>> {
    let m: Vec<bool> = mask.iter().map(|&v| v != 0).collect();
    let values = py
        .detach(|| features_of(width, height, image, &m))
        .map_err(bad_input)?;
    Ok(f64_bytes(py, &values))
}

/// The 544 features of each (image file, mask file) pair, read as `dlrn
/// extract handcrafted` reads them; in parallel, the GIL released, Ctrl-C
/// checked between batches. Returns float64 bytes (cases × 544) and each
/// image's grey mapping as JSON.
#[pyfunction]
#[pyo3(signature = (images, masks, frame=None, label=None, roi=None))]
fn handcrafted_files<'py>(
    py: Python<'py>,
    images: Vec<PathBuf>,
    masks: Vec<PathBuf>,
    frame: Option<u32>,
    label: Option<u64>,
    roi: Option<String>,
) -> PyResult<(Bound<'py, PyBytes>, Vec<String>)> {
    if images.len() != masks.len() {
        return Err(bad_input(format!(
            "{} images but {} masks; they must pair up",
            images.len(),
            masks.len()
        )));
    }
    let iopts = image_options(frame, None);
    let mopts = MaskOptions {
        label,
        roi,
        slice: frame,
    };
    let pairs: Vec<(PathBuf, PathBuf)> = images.into_iter().zip(masks).collect();
    let mut values = Vec::with_capacity(pairs.len() * dlrn_radiomics::COLUMNS.len());
    let mut mappings = Vec::with_capacity(pairs.len());
    for chunk in pairs.chunks(BATCH) {
        let rows = py.detach(|| {
            chunk
                .par_iter()
                .map(|(image, mask)| {
                    let (img, m) =
                        load_pair(image, mask, &iopts, &mopts).map_err(|e| e.to_string())?;
                    let f = features_of(
                        img.image.width,
                        img.image.height,
                        &img.image.pixels,
                        &m.pixels,
                    )
                    .map_err(|e| format!("{}: {e}", mask.display()))?;
                    let mapping = serde_json::to_string(&img.mapping).map_err(|e| e.to_string())?;
                    Ok((f, mapping))
                })
                .collect::<Result<Vec<_>, String>>()
        });
        for (f, mapping) in rows.map_err(bad_input)? {
            values.extend(f);
            mappings.push(mapping);
        }
        py.check_signals()?;
    }
    Ok((f64_bytes(py, &values), mappings))
}

/// A cohort folder's cases, sorted by id: (id, image, mask) per case.
#[pyfunction]
#[pyo3(signature = (cohort, masks="masks"))]
fn scan_cases(
    py: Python<'_>,
    cohort: PathBuf,
    masks: &str,
) -> PyResult<Vec<(String, PathBuf, PathBuf)>> {
    let cases = py
        .detach(|| dlrn_cohort::scan_cases(&cohort, masks))
        .py_err()?;
    Ok(cases.into_iter().map(|c| (c.id, c.image, c.mask)).collect())
}
