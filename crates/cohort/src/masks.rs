//! Lesion masks in the forms outlining tools write, all onto the image grid:
//! raster images with an explicit label value, ImageJ `.roi` and RoiSet
//! `.zip` outlines ([`crate::roi`]), and NIfTI `.nii`/`.nii.gz` label maps
//! ([`crate::nifti`]).
//!
//! Label rule (raster and NIfTI): with `label` given, lesion = pixels equal to
//! it; without, the mask must hold exactly one non-zero value. Several
//! non-zero values without a label is an error that counts them, and so is a
//! mask whose values look like lossy compression or anti-aliasing (see
//! [`check_lossy`]), whatever the label.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use image::DynamicImage;

use crate::CohortError;
use crate::images::{IMAGE_EXTENSIONS, ImageOptions, LoadedImage, Mask, load_image};

/// Mask file extensions accepted in `masks/` and `icc/<reader>/` (lower
/// case): raster formats, ImageJ `.roi` / RoiSet `.zip`, NIfTI `.nii` and
/// `.nii.gz`.
pub const MASK_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "tif", "tiff", "bmp", "roi", "zip", "nii", "nii.gz",
];

/// How a mask is read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MaskOptions {
    /// The lesion's value in a raster or NIfTI label map; `None`: the single
    /// non-zero value.
    pub label: Option<u64>,
    /// Which ROI of a RoiSet `.zip` (entry name without `.roi`, or the ROI's
    /// own name); `None`: the zip must hold one ROI.
    pub roi: Option<String>,
    /// 1-based slice of a 3-D NIfTI mask (the DICOM frame); `None`: the one
    /// slice that holds lesion voxels. 2-D masks ignore it.
    pub slice: Option<u32>,
}

/// A mask file's id and lower-case extension: `P1.nii.gz` → (`P1`, `nii.gz`).
pub fn split_name(path: &Path) -> Option<(String, String)> {
    let name = path.file_name()?.to_str()?;
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".nii.gz") && name.len() > 7 {
        return Some((name[..name.len() - 7].to_string(), "nii.gz".to_string()));
    }
    let stem = path.file_stem()?.to_str()?.to_string();
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some((stem, ext))
}

pub(crate) fn mask_error(path: &Path, message: impl Into<String>) -> CohortError {
    CohortError::Mask {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Formats value counts as `v (n px)`, at most 12 of them.
pub(crate) fn describe(counts: &BTreeMap<i64, usize>) -> String {
    let mut parts: Vec<String> = counts
        .iter()
        .take(12)
        .map(|(v, n)| format!("{v} ({n} px)"))
        .collect();
    if counts.len() > 12 {
        parts.push(format!("… {} more", counts.len() - 12));
    }
    parts.join(", ")
}

/// Refuses values that look like lossy compression or anti-aliasing. With
/// the two most frequent values `a < b`, the values strictly between them
/// are the fringe; the mask is refused when the fringe holds 8 or more
/// distinct values (a 0/255 mask saved as JPEG by Pillow at quality 75 has
/// 52, see tests/formats.rs), or 3 or more on under 5 % of the pixels (a thin
/// smoothed outline). A label map has few labels, rarely between its two
/// commonest values.
pub(crate) fn check_lossy(path: &Path, counts: &BTreeMap<i64, usize>) -> Result<(), CohortError> {
    if counts.len() < 5 {
        return Ok(());
    }
    let total: usize = counts.values().sum();
    let mut by_count: Vec<(i64, usize)> = counts.iter().map(|(&v, &n)| (v, n)).collect();
    by_count.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    let (a, b) = {
        let (p, q) = (by_count[0].0, by_count[1].0);
        (p.min(q), p.max(q))
    };
    let between: Vec<(i64, usize)> = counts.range(a + 1..b).map(|(&v, &n)| (v, n)).collect();
    let fringe: usize = between.iter().map(|(_, n)| n).sum();
    if between.len() >= 8 || (between.len() >= 3 && (fringe as f64) < 0.05 * total as f64) {
        return Err(mask_error(
            path,
            format!(
                "mask has {} distinct values, {} of them between the main values {a} and {b} on {fringe} pixel(s): \
                 this looks like lossy compression (e.g. a mask saved as JPEG) or anti-aliasing; \
                 save the mask losslessly (PNG, TIFF, NIfTI) with one value per label",
                counts.len(),
                between.len()
            ),
        ));
    }
    Ok(())
}

/// Turns a label map into a mask by the label rule (module docs).
pub(crate) fn select_label(
    path: &Path,
    width: usize,
    height: usize,
    values: &[i64],
    label: Option<u64>,
) -> Result<Mask, CohortError> {
    let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
    for &v in values {
        *counts.entry(v).or_default() += 1;
    }
    check_lossy(path, &counts)?;
    let nonzero: BTreeMap<i64, usize> = counts
        .iter()
        .filter(|(v, _)| **v != 0)
        .map(|(&v, &n)| (v, n))
        .collect();
    let target: i64 = match label {
        Some(l) => {
            let l = l as i64;
            if !counts.contains_key(&l) {
                return Err(mask_error(
                    path,
                    format!(
                        "label {l} (--mask-label) does not occur in the mask; its values are {}",
                        describe(&counts)
                    ),
                ));
            }
            l
        }
        None => match nonzero.len() {
            0 => {
                // An empty mask: validation reports it; extraction refuses it.
                return Ok(Mask {
                    width,
                    height,
                    pixels: vec![false; values.len()],
                });
            }
            1 => *nonzero.keys().next().unwrap_or(&1),
            n => {
                return Err(mask_error(
                    path,
                    format!(
                        "mask has {n} distinct non-zero values ({}) and no label chosen: say which is the lesion with --mask-label",
                        describe(&nonzero)
                    ),
                ));
            }
        },
    };
    Ok(Mask {
        width,
        height,
        pixels: values.iter().map(|&v| v == target).collect(),
    })
}

/// A raster mask's per-pixel values: grey level, or for colour pixels the
/// grey level when R = G = B and `R·65536 + G·256 + B` otherwise.
fn raster_values(img: &DynamicImage) -> Vec<i64> {
    let pack = |r: u16, g: u16, b: u16, shift: u32| -> i64 {
        if r == g && g == b {
            r as i64
        } else {
            ((r as i64) << (2 * shift)) | ((g as i64) << shift) | b as i64
        }
    };
    match img {
        DynamicImage::ImageLuma8(b) => b.pixels().map(|p| p.0[0] as i64).collect(),
        DynamicImage::ImageLumaA8(b) => b.pixels().map(|p| p.0[0] as i64).collect(),
        DynamicImage::ImageLuma16(b) => b.pixels().map(|p| p.0[0] as i64).collect(),
        DynamicImage::ImageLumaA16(b) => b.pixels().map(|p| p.0[0] as i64).collect(),
        DynamicImage::ImageRgb16(_) | DynamicImage::ImageRgba16(_) => img
            .to_rgb16()
            .pixels()
            .map(|p| pack(p.0[0], p.0[1], p.0[2], 16))
            .collect(),
        _ => img
            .to_rgb8()
            .pixels()
            .map(|p| pack(p.0[0] as u16, p.0[1] as u16, p.0[2] as u16, 8))
            .collect(),
    }
}

/// Loads a raster mask (PNG/JPEG/TIFF/BMP) by the label rule.
pub fn load_raster_mask(path: &Path, label: Option<u64>) -> Result<Mask, CohortError> {
    let img = image::ImageReader::open(path)
        .map_err(|e| CohortError::io(path, e))?
        .with_guessed_format()
        .map_err(|e| CohortError::io(path, e))?
        .decode()
        .map_err(|e| CohortError::Image {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    let (w, h) = (img.width() as usize, img.height() as usize);
    select_label(path, w, h, &raster_values(&img), label)
}

/// Loads a raster mask with the default label rule (the single non-zero
/// value). Outlines (`.roi`, `.zip`) and NIfTI need the image grid: use
/// [`load_mask_for`].
pub fn load_mask(path: &Path) -> Result<Mask, CohortError> {
    load_raster_mask(path, None)
}

/// Loads any supported mask onto an image grid of `size` = (width, height):
/// ImageJ `.roi`/`.zip` are rasterised with ImageJ's fill rule, NIfTI and
/// raster masks are checked against the size (NIfTI: its first axis runs
/// along the image's columns, see [`crate::nifti`]).
pub fn load_mask_for(
    path: &Path,
    size: (usize, usize),
    opts: &MaskOptions,
) -> Result<Mask, CohortError> {
    let ext = split_name(path).map(|(_, e)| e).unwrap_or_default();
    let mask = match ext.as_str() {
        "roi" => crate::roi::load_roi_mask(path, size)?,
        "zip" => crate::roi::load_roiset_mask(path, size, opts.roi.as_deref())?,
        "nii" | "nii.gz" => crate::nifti::load_nifti_mask(path, size, opts.label, opts.slice)?,
        e if IMAGE_EXTENSIONS.contains(&e) && e != "dcm" => load_raster_mask(path, opts.label)?,
        _ => {
            return Err(mask_error(
                path,
                format!(
                    "unsupported mask format {ext:?} (expected one of {})",
                    MASK_EXTENSIONS.join(", ")
                ),
            ));
        }
    };
    if (mask.width, mask.height) != size {
        return Err(mask_error(
            path,
            format!(
                "mask is {}×{} but its image is {}×{} (width×height)",
                mask.width, mask.height, size.0, size.1
            ),
        ));
    }
    Ok(mask)
}

/// Loads a case's image and its lesion mask onto the image's grid. With a
/// frame chosen for the image and no slice for the mask, a 3-D NIfTI mask is
/// read at that frame.
pub fn load_pair(
    image: &Path,
    mask: &Path,
    image_opts: &ImageOptions,
    mask_opts: &MaskOptions,
) -> Result<(LoadedImage, Mask), CohortError> {
    let img = load_image(image, image_opts)?;
    let mut opts = mask_opts.clone();
    if opts.slice.is_none() {
        opts.slice = image_opts.frame;
    }
    let m = load_mask_for(mask, (img.image.width, img.image.height), &opts)?;
    Ok((img, m))
}

/// Lists a folder's mask files by id (`P1.nii.gz` → `P1`), sorted; two files
/// with the same id are an error.
pub fn list_masks(dir: &Path) -> Result<BTreeMap<String, PathBuf>, CohortError> {
    crate::cases::list_files(dir, MASK_EXTENSIONS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_double_extension() {
        assert_eq!(
            split_name(Path::new("m/P1.nii.gz")),
            Some(("P1".into(), "nii.gz".into()))
        );
        assert_eq!(
            split_name(Path::new("m/P.2.ROI")),
            Some(("P.2".into(), "roi".into()))
        );
    }

    #[test]
    fn label_rule_counts_values() {
        let p = Path::new("m.png");
        // One non-zero value: it is the lesion.
        let m = select_label(p, 3, 1, &[0, 7, 7], None).unwrap();
        assert_eq!(m.pixels, vec![false, true, true]);
        // Two non-zero values and no label: an error naming both with counts.
        let e = select_label(p, 4, 1, &[0, 1, 2, 2], None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("m.png")
                && e.contains("2 distinct non-zero values")
                && e.contains("2 (2 px)"),
            "{e}"
        );
        // With a label, that value only.
        let m = select_label(p, 4, 1, &[0, 1, 2, 2], Some(1)).unwrap();
        assert_eq!(m.pixels, vec![false, true, false, false]);
        let e = select_label(p, 4, 1, &[0, 1, 2, 2], Some(5))
            .unwrap_err()
            .to_string();
        assert!(e.contains("label 5") && e.contains("does not occur"), "{e}");
    }

    #[test]
    fn jpeg_like_fringe_is_refused_even_with_a_label() {
        // 0/255 mask with a thin fringe of 5 intermediate levels (1 px each)
        // among 200 pixels, as a JPEG-saved outline has.
        let mut v = vec![0i64; 100];
        v.extend(vec![255i64; 95]);
        v.extend([3, 9, 120, 240, 251]);
        let e = select_label(Path::new("m.jpg"), 200, 1, &v, Some(255))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("lossy compression") && e.contains("7 distinct values"),
            "{e}"
        );
        // A label map with a few large labels is not.
        let mut l = vec![0i64; 50];
        for k in 1..=5 {
            l.extend(vec![k; 30]);
        }
        assert!(select_label(Path::new("l.png"), 200, 1, &l, Some(3)).is_ok());
    }
}
