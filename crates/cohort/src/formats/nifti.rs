//! NIfTI-1 label maps (`.nii`, `.nii.gz`) as lesion masks: a 2-D image or
//! one slice of a 3-D volume.
//!
//! A small reader of the single-file NIfTI-1 format (header of 348 bytes,
//! either byte order; `dim`, `datatype`, `vox_offset`, `scl_slope`/`scl_inter`),
//! rather than the `nifti` crate, which brings nalgebra and ndarray for what is
//! a header and one array here.
//!
//! Axis convention: voxel `(i, j, k)` is image pixel `(x = i, y = j)` of slice
//! `k`, i.e. the first NIfTI axis runs along the image's columns and the
//! second down its rows, with `i` fastest in the file. That is how ITK-based
//! tools (ITK-SNAP, 3D Slicer, SimpleITK) store a segmentation of a DICOM or
//! PNG image (DICOM's column direction is ITK's x); the affine only orients
//! the grid in patient space and is not needed to pair voxels with pixels.
//! A mask whose first two dimensions are the image's height and width
//! (rows × columns, as a numpy array saved without transposing) is refused
//! with a message saying it looks transposed.

use std::borrow::Cow;
use std::io::Read;
use std::path::Path;

use super::labels::{mask_error, select_label};
use super::read_file;
use crate::CohortError;
use crate::pixels::Mask;

/// Reads one voxel from its bytes (`true`: little endian).
type ReadVoxel = fn(&[u8], bool) -> f64;

/// A NIfTI volume's geometry and voxel values (after `scl_slope`/`scl_inter`).
struct Volume {
    nx: usize,
    ny: usize,
    nz: usize,
    values: Vec<f64>,
}

/// Reads a NIfTI-1 file's bytes (gzipped or not); `path` names it.
fn read_volume(path: &Path, raw: &[u8]) -> Result<Volume, CohortError> {
    let data: Cow<[u8]> = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(raw)
            .read_to_end(&mut out)
            .map_err(|e| mask_error(path, format!("cannot gunzip NIfTI file: {e}")))?;
        Cow::Owned(out)
    } else {
        Cow::Borrowed(raw)
    };
    let trunc = || mask_error(path, "NIfTI file is truncated");
    if data.len() < 348 {
        return Err(trunc());
    }
    let le = match (
        i32::from_le_bytes([data[0], data[1], data[2], data[3]]),
        i32::from_be_bytes([data[0], data[1], data[2], data[3]]),
    ) {
        (348, _) => true,
        (_, 348) => false,
        (540, _) | (_, 540) => {
            return Err(mask_error(
                path,
                "NIfTI-2 files are not supported (save as NIfTI-1)",
            ));
        }
        _ => {
            return Err(mask_error(
                path,
                "not a NIfTI-1 file (sizeof_hdr is not 348)",
            ));
        }
    };
    let i16_at = |o: usize| {
        let b = [data[o], data[o + 1]];
        if le {
            i16::from_le_bytes(b)
        } else {
            i16::from_be_bytes(b)
        }
    };
    let f32_at = |o: usize| {
        let b = [data[o], data[o + 1], data[o + 2], data[o + 3]];
        if le {
            f32::from_le_bytes(b)
        } else {
            f32::from_be_bytes(b)
        }
    };
    if &data[344..347] != b"n+1" {
        return Err(mask_error(
            path,
            "NIfTI header is not single-file \"n+1\" (a .hdr/.img pair is not supported)",
        ));
    }
    let dim: Vec<i64> = (0..8).map(|k| i16_at(40 + 2 * k) as i64).collect();
    let ndim = dim[0];
    if !(2..=7).contains(&ndim) || dim[1..=ndim as usize].iter().any(|&d| d < 1) {
        return Err(mask_error(
            path,
            format!("NIfTI dim {:?} is not a valid image", &dim),
        ));
    }
    let extra: i64 = dim[4..=(ndim.max(3) as usize)]
        .iter()
        .product::<i64>()
        .max(1);
    if ndim > 3 && extra > 1 {
        return Err(mask_error(
            path,
            format!(
                "NIfTI mask has {ndim} dimensions {:?}; expected 2-D or 3-D",
                &dim[1..=ndim as usize]
            ),
        ));
    }
    let nx = dim[1] as usize;
    let ny = dim[2] as usize;
    let nz = if ndim >= 3 { dim[3] as usize } else { 1 };
    let datatype = i16_at(70);
    let vox_offset = f32_at(108).max(352.0) as usize;
    let slope = f32_at(112) as f64;
    let inter = f32_at(116) as f64;
    let n = nx * ny * nz;
    let (size, read): (usize, ReadVoxel) = match datatype {
        2 => (1, |b, _| b[0] as f64),
        256 => (1, |b, _| b[0] as i8 as f64),
        4 => (2, |b, le| {
            let a = [b[0], b[1]];
            (if le {
                i16::from_le_bytes(a)
            } else {
                i16::from_be_bytes(a)
            }) as f64
        }),
        512 => (2, |b, le| {
            let a = [b[0], b[1]];
            (if le {
                u16::from_le_bytes(a)
            } else {
                u16::from_be_bytes(a)
            }) as f64
        }),
        8 => (4, |b, le| {
            let a = [b[0], b[1], b[2], b[3]];
            (if le {
                i32::from_le_bytes(a)
            } else {
                i32::from_be_bytes(a)
            }) as f64
        }),
        768 => (4, |b, le| {
            let a = [b[0], b[1], b[2], b[3]];
            (if le {
                u32::from_le_bytes(a)
            } else {
                u32::from_be_bytes(a)
            }) as f64
        }),
        16 => (4, |b, le| {
            let a = [b[0], b[1], b[2], b[3]];
            (if le {
                f32::from_le_bytes(a)
            } else {
                f32::from_be_bytes(a)
            }) as f64
        }),
        64 => (8, |b, le| {
            let a = [b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]];
            if le {
                f64::from_le_bytes(a)
            } else {
                f64::from_be_bytes(a)
            }
        }),
        other => {
            return Err(mask_error(
                path,
                format!(
                    "NIfTI datatype {other} is not supported for masks (expected an integer or float type)"
                ),
            ));
        }
    };
    let body = data
        .get(vox_offset..vox_offset + n * size)
        .ok_or_else(trunc)?;
    let scale = slope != 0.0 && slope.is_finite() && !(slope == 1.0 && inter == 0.0);
    let values = body
        .chunks_exact(size)
        .map(|c| {
            let v = read(c, le);
            if scale { v * slope + inter } else { v }
        })
        .collect();
    Ok(Volume { nx, ny, nz, values })
}

/// Loads a NIfTI mask for an image of `size` = (width, height): 2-D, or the
/// 1-based `slice` of a 3-D volume (default: the one slice holding non-zero
/// voxels; a 2-D mask ignores `slice`), then the label rule of [`labels`](super::labels).
pub fn load_nifti_mask(
    path: &Path,
    size: (usize, usize),
    label: Option<u64>,
    slice: Option<u32>,
) -> Result<Mask, CohortError> {
    nifti_mask(path, &read_file(path)?, size, label, slice)
}

/// A NIfTI mask from the file's bytes (`.nii` or `.nii.gz`, told apart by
/// the gzip magic); `path` names it. The rules of [`load_nifti_mask`].
pub(crate) fn nifti_mask(
    path: &Path,
    bytes: &[u8],
    size: (usize, usize),
    label: Option<u64>,
    slice: Option<u32>,
) -> Result<Mask, CohortError> {
    let v = read_volume(path, bytes)?;
    let (w, h) = size;
    if (v.nx, v.ny) != (w, h) {
        let hint = if (v.nx, v.ny) == (h, w) {
            " — it looks transposed (rows × columns, as a numpy array saved without transposing); \
             this reader takes NIfTI's first axis along the image's columns, as ITK-SNAP and 3D Slicer write"
        } else {
            ""
        };
        return Err(mask_error(
            path,
            format!(
                "NIfTI slice is {}×{} (dim[1]×dim[2]) but its image is {w}×{h} (width×height){hint}",
                v.nx, v.ny
            ),
        ));
    }
    let plane = w * h;
    let k = match slice {
        // A 2-D mask (one slice) ignores the slice asked for.
        _ if v.nz == 1 => 0,
        Some(s) if s == 0 || s as usize > v.nz => {
            return Err(mask_error(
                path,
                format!(
                    "slice {s} is out of range: the NIfTI mask has {} slice(s), numbered from 1",
                    v.nz
                ),
            ));
        }
        Some(s) => s as usize - 1,
        None => {
            let used: Vec<usize> = (0..v.nz)
                .filter(|&k| {
                    v.values[k * plane..(k + 1) * plane]
                        .iter()
                        .any(|&x| x != 0.0)
                })
                .collect();
            match used.as_slice() {
                [one] => *one,
                _ => {
                    return Err(mask_error(
                        path,
                        format!(
                            "3-D NIfTI mask with {} slices, {} of them holding lesion voxels ({}); choose one with --frame",
                            v.nz,
                            used.len(),
                            used.iter()
                                .map(|k| (k + 1).to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
            }
        }
    };
    let slab = &v.values[k * plane..(k + 1) * plane];
    if let Some(bad) = slab.iter().find(|x| x.fract() != 0.0 || !x.is_finite()) {
        return Err(mask_error(
            path,
            format!(
                "NIfTI mask holds the non-integer value {bad}; a label map needs integer labels"
            ),
        ));
    }
    let ints: Vec<i64> = slab.iter().map(|&x| x as i64).collect();
    select_label(path, w, h, &ints, label)
}
