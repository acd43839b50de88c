//! Lesion masks in the forms outlining tools write, all onto the image grid:
//! raster images with an explicit label value, ImageJ `.roi` and RoiSet
//! `.zip` outlines ([`crate::roi`]), and NIfTI `.nii`/`.nii.gz` label maps
//! ([`crate::nifti`]).
//!
//! The label rule is [`labels`](crate::formats::labels)'s; each format is
//! read by its module under [`crate::formats`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::CohortError;
use crate::formats::labels::mask_error;
use crate::formats::raster::load_raster_mask;
use crate::formats::{ImageOptions, list_files, nifti, roi, split_name};
use crate::images::{IMAGE_EXTENSIONS, load_image};
use crate::pixels::{LoadedImage, Mask};

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
        "roi" => roi::load_roi_mask(path, size)?,
        "zip" => roi::load_roiset_mask(path, size, opts.roi.as_deref())?,
        "nii" | "nii.gz" => nifti::load_nifti_mask(path, size, opts.label, opts.slice)?,
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
    list_files(dir, MASK_EXTENSIONS)
}
