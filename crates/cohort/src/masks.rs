//! Lesion masks in the forms outlining tools write, all onto the image grid:
//! raster images with an explicit label value, ImageJ `.roi` and RoiSet
//! `.zip` outlines ([`crate::roi`]), and NIfTI `.nii`/`.nii.gz` label maps
//! ([`crate::nifti`]).
//!
//! The label rule is [`labels`](crate::formats::labels)'s; each format is
//! read by its module under [`crate::formats`], from a file or its bytes. An
//! outline drawn on the image ([`mask_from_polygon`]) is filled by the rule
//! of ImageJ polygons.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::CohortError;
use crate::formats::labels::mask_error;
use crate::formats::raster::{load_raster_mask, raster_mask};
use crate::formats::roi::Outline;
use crate::formats::{ImageOptions, list_files, nifti, read_file, roi, split_name};
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

/// The mask formats, by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MaskFormat {
    Roi,
    RoiSet,
    Nifti,
    Raster,
}

/// The format of a mask file by its extension; an unsupported one is an error.
fn mask_format(path: &Path) -> Result<MaskFormat, CohortError> {
    let ext = split_name(path).map(|(_, e)| e).unwrap_or_default();
    Ok(match ext.as_str() {
        "roi" => MaskFormat::Roi,
        "zip" => MaskFormat::RoiSet,
        "nii" | "nii.gz" => MaskFormat::Nifti,
        e if IMAGE_EXTENSIONS.contains(&e) && e != "dcm" => MaskFormat::Raster,
        _ => {
            return Err(mask_error(
                path,
                format!(
                    "unsupported mask format {ext:?} (expected one of {})",
                    MASK_EXTENSIONS.join(", ")
                ),
            ));
        }
    })
}

/// Decodes a mask file's bytes in `format` and checks it against `size`.
fn decode_mask(
    path: &Path,
    format: MaskFormat,
    bytes: &[u8],
    size: (usize, usize),
    opts: &MaskOptions,
) -> Result<Mask, CohortError> {
    let mask = match format {
        MaskFormat::Roi => roi::roi_mask(path, bytes, size)?,
        MaskFormat::RoiSet => roi::roiset_mask(path, bytes, size, opts.roi.as_deref())?,
        MaskFormat::Nifti => nifti::nifti_mask(path, bytes, size, opts.label, opts.slice)?,
        MaskFormat::Raster => raster_mask(path, bytes, opts.label)?,
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

/// Loads any supported mask onto an image grid of `size` = (width, height):
/// ImageJ `.roi`/`.zip` are rasterised with ImageJ's fill rule, NIfTI and
/// raster masks are checked against the size (NIfTI: its first axis runs
/// along the image's columns, see [`crate::nifti`]).
pub fn load_mask_for(
    path: &Path,
    size: (usize, usize),
    opts: &MaskOptions,
) -> Result<Mask, CohortError> {
    let format = mask_format(path)?;
    decode_mask(path, format, &read_file(path)?, size, opts)
}

/// Loads a mask from its file's bytes, as [`load_mask_for`] loads the file:
/// `name` (the file name) chooses the format by its extension and names the
/// file in messages.
pub fn load_mask_bytes(
    name: &Path,
    bytes: &[u8],
    size: (usize, usize),
    opts: &MaskOptions,
) -> Result<Mask, CohortError> {
    decode_mask(name, mask_format(name)?, bytes, size, opts)
}

/// A mask from an outline drawn on the image: vertices in pixel coordinates
/// (x to the right, y down, pixel corners at integers), closed and filled
/// by ImageJ's polygon rule (a pixel is lesion when its centre is inside,
/// even-odd), as a polygon `.roi` is; `name` names the outline in messages.
/// Refused: unequal or fewer than 3 coordinates, a non-finite one, an
/// outline reaching outside the image, and one that covers no pixel centre.
pub fn mask_from_polygon(
    name: &Path,
    xs: &[f64],
    ys: &[f64],
    size: (usize, usize),
) -> Result<Mask, CohortError> {
    if xs.len() != ys.len() {
        return Err(mask_error(
            name,
            format!(
                "outline has {} x coordinate(s) but {} y coordinate(s)",
                xs.len(),
                ys.len()
            ),
        ));
    }
    if xs.len() < 3 {
        return Err(mask_error(
            name,
            format!(
                "outline has {} vertex(es); a lesion outline needs at least 3",
                xs.len()
            ),
        ));
    }
    if let Some(k) = (0..xs.len()).find(|&k| !xs[k].is_finite() || !ys[k].is_finite()) {
        return Err(mask_error(
            name,
            format!(
                "outline vertex {} is ({}, {}); coordinates must be finite numbers",
                k + 1,
                xs[k],
                ys[k]
            ),
        ));
    }
    let outline = Outline::Polygons(vec![xs.iter().copied().zip(ys.iter().copied()).collect()]);
    roi::fill(name, "outline", &outline, size.0, size.1)
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

#[cfg(test)]
mod tests {
    use std::io::Write;

    use image::{ImageBuffer, Luma};

    use super::*;

    /// An ImageJ polygon `.roi` (type 0, integer coordinates relative to
    /// its bounds), as `ij/io/RoiEncoder.java` writes one.
    fn polygon_roi(xs: &[i16], ys: &[i16]) -> Vec<u8> {
        let (left, top) = (*xs.iter().min().unwrap(), *ys.iter().min().unwrap());
        let (right, bottom) = (*xs.iter().max().unwrap(), *ys.iter().max().unwrap());
        let mut b = vec![0u8; 64];
        b[..4].copy_from_slice(b"Iout");
        b[4..6].copy_from_slice(&227u16.to_be_bytes());
        b[6] = 0;
        for (at, v) in [(8, top), (10, left), (12, bottom), (14, right)] {
            b[at..at + 2].copy_from_slice(&v.to_be_bytes());
        }
        b[16..18].copy_from_slice(&(xs.len() as u16).to_be_bytes());
        for x in xs {
            b.extend((x - left).to_be_bytes());
        }
        for y in ys {
            b.extend((y - top).to_be_bytes());
        }
        b
    }

    /// A 2-D NIfTI-1 label map of 8-bit voxels, gzipped.
    fn nifti_gz(width: usize, height: usize, values: &[u8]) -> Vec<u8> {
        let mut h = vec![0u8; 352];
        h[0..4].copy_from_slice(&348i32.to_le_bytes());
        for (k, d) in [2i16, width as i16, height as i16, 1, 1, 1, 1, 1]
            .iter()
            .enumerate()
        {
            h[40 + 2 * k..42 + 2 * k].copy_from_slice(&d.to_le_bytes());
        }
        h[70..72].copy_from_slice(&2i16.to_le_bytes());
        h[72..74].copy_from_slice(&8i16.to_le_bytes());
        h[108..112].copy_from_slice(&352f32.to_le_bytes());
        h[344..348].copy_from_slice(b"n+1\0");
        h.extend_from_slice(values);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&h).unwrap();
        gz.finish().unwrap()
    }

    /// The mask at `path` loaded from the file and from its bytes under the
    /// same name, which must agree.
    fn both_ways(path: &Path, size: (usize, usize), opts: &MaskOptions) -> Mask {
        let from_file = load_mask_for(path, size, opts).unwrap();
        let bytes = std::fs::read(path).unwrap();
        let from_bytes = load_mask_bytes(path, &bytes, size, opts).unwrap();
        assert_eq!(from_bytes, from_file, "{}", path.display());
        from_bytes
    }

    #[test]
    fn bytes_load_as_the_file_does() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // Raster: labels 0, 1 (lesion) and 2 (another structure).
        let png = d.join("P1.png");
        ImageBuffer::from_fn(6, 4, |x, y| Luma([[0u8, 1, 2][((x + y) % 3) as usize]]))
            .save(&png)
            .unwrap();
        let labelled = MaskOptions {
            label: Some(1),
            ..Default::default()
        };
        let m = both_ways(&png, (6, 4), &labelled);
        assert_eq!(m.area(), 8);
        assert_eq!(m, load_raster_mask(&png, Some(1)).unwrap());
        let two = ImageBuffer::from_fn(6, 4, |x, _| Luma([if x < 2 { 255u8 } else { 0 }]));
        let single = d.join("P2.tif");
        two.save(&single).unwrap();
        assert_eq!(
            both_ways(&single, (6, 4), &MaskOptions::default()).area(),
            8
        );
        // ImageJ .roi.
        let roi = d.join("P3.roi");
        std::fs::write(&roi, polygon_roi(&[1, 5, 5, 1], &[1, 1, 3, 3])).unwrap();
        assert_eq!(both_ways(&roi, (6, 4), &MaskOptions::default()).area(), 8);
        // RoiSet .zip with two ROIs, one picked.
        let zip_path = d.join("P4.zip");
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (name, roi) in [
            ("a.roi", polygon_roi(&[0, 2, 2, 0], &[0, 0, 2, 2])),
            ("b.roi", polygon_roi(&[2, 6, 4], &[0, 0, 4])),
        ] {
            zip.start_file(name, stored).unwrap();
            zip.write_all(&roi).unwrap();
        }
        zip.finish().unwrap();
        let pick = MaskOptions {
            roi: Some("b".into()),
            ..Default::default()
        };
        assert!(both_ways(&zip_path, (6, 4), &pick).area() > 0);
        // NIfTI .nii.gz: voxel (i, j) is pixel (x = i, y = j).
        let values: Vec<u8> = (0..24).map(|k| u8::from(k % 6 == 4)).collect();
        let nii = d.join("P5.nii.gz");
        std::fs::write(&nii, nifti_gz(6, 4, &values)).unwrap();
        let m = both_ways(&nii, (6, 4), &MaskOptions::default());
        assert_eq!(
            (0..24).filter(|&k| m.pixels[k]).collect::<Vec<_>>(),
            [4, 10, 16, 22]
        );
    }

    #[test]
    fn bytes_errors_name_the_given_file() {
        let opts = MaskOptions::default();
        for name in [
            "drawn/P7.roi",
            "drawn/P7.nii.gz",
            "drawn/P7.png",
            "drawn/P7.zip",
        ] {
            let err = load_mask_bytes(Path::new(name), b"junk", (4, 4), &opts)
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(&format!("{name}: ")), "{err}");
        }
        let err = load_mask_bytes(Path::new("drawn/P7.txt"), b"", (4, 4), &opts)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("drawn/P7.txt: unsupported mask format \"txt\""),
            "{err}"
        );
        // A mask of another size than its image.
        let roi = polygon_roi(&[0, 2, 2, 0], &[0, 0, 2, 2]);
        let png = {
            let mut out = std::io::Cursor::new(Vec::new());
            ImageBuffer::from_pixel(3, 3, Luma([255u8]))
                .write_to(&mut out, image::ImageFormat::Png)
                .unwrap();
            out.into_inner()
        };
        let err = load_mask_bytes(Path::new("drawn/P8.png"), &png, (4, 4), &opts)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("drawn/P8.png: mask is 3×3 but its image is 4×4"),
            "{err}"
        );
        assert!(load_mask_bytes(Path::new("drawn/P8.roi"), &roi, (4, 4), &opts).is_ok());
    }

    #[test]
    fn polygon_fills_as_imagej_by_hand() {
        // The diamond (2,0)-(4,2)-(2,4)-(0,2) on a 4×4 grid. A pixel is in
        // when its centre (x + ½, y + ½) lies in a row's span [x_in, x_out):
        //   row 0 (y = ½):   edges cross at x = 1.5 and 2.5 → centre 1.5 only: pixel 1;
        //   row 1 (y = 1½):  x = 0.5 and 3.5 → centres 0.5, 1.5, 2.5: pixels 0, 1, 2;
        //   row 2 (y = 2½):  x = 0.5 and 3.5 → pixels 0, 1, 2;
        //   row 3 (y = 3½):  x = 1.5 and 2.5 → pixel 1.
        // Row-major indices 1; 4, 5, 6; 8, 9, 10; 13: 8 pixels, the
        // diamond's area, the right-hand centres on its edge left out.
        let (xs, ys) = ([2.0, 4.0, 2.0, 0.0], [0.0, 2.0, 4.0, 2.0]);
        let m = mask_from_polygon(Path::new("drawn"), &xs, &ys, (4, 4)).unwrap();
        let on: Vec<usize> = (0..16).filter(|&k| m.pixels[k]).collect();
        assert_eq!(on, [1, 4, 5, 6, 8, 9, 10, 13]);
        // The same outline as an ImageJ polygon .roi gives the same mask.
        let roi = polygon_roi(&[2, 4, 2, 0], &[0, 2, 4, 2]);
        let from_roi =
            load_mask_bytes(Path::new("P1.roi"), &roi, (4, 4), &MaskOptions::default()).unwrap();
        assert_eq!(m, from_roi);
    }

    #[test]
    fn polygon_equals_the_roi_of_the_same_outline() {
        // A concave outline with a notch on a 12×9 grid.
        let xs = [1i16, 10, 10, 6, 5, 2];
        let ys = [1i16, 2, 8, 4, 8, 7];
        let roi = polygon_roi(&xs, &ys);
        let from_roi =
            load_mask_bytes(Path::new("P1.roi"), &roi, (12, 9), &MaskOptions::default()).unwrap();
        let fx: Vec<f64> = xs.iter().map(|&v| v as f64).collect();
        let fy: Vec<f64> = ys.iter().map(|&v| v as f64).collect();
        let drawn = mask_from_polygon(Path::new("drawn"), &fx, &fy, (12, 9)).unwrap();
        assert_eq!(drawn, from_roi);
        assert!(drawn.area() > 20);
    }

    #[test]
    fn polygon_refusals_say_why() {
        let name = Path::new("P9 outline");
        let size = (8, 8);
        let err = |xs: &[f64], ys: &[f64]| {
            mask_from_polygon(name, xs, ys, size)
                .unwrap_err()
                .to_string()
        };
        let e = err(&[1.0, 5.0, 5.0], &[1.0, 1.0]);
        assert!(
            e.starts_with("P9 outline: outline has 3 x coordinate(s) but 2 y"),
            "{e}"
        );
        let e = err(&[1.0, 5.0], &[1.0, 5.0]);
        assert!(
            e.contains("2 vertex(es)") && e.contains("at least 3"),
            "{e}"
        );
        let e = err(&[1.0, f64::NAN, 5.0], &[1.0, 1.0, 5.0]);
        assert!(
            e.contains("vertex 2 is (NaN, 1)") && e.contains("finite"),
            "{e}"
        );
        let e = err(&[1.0, 5.0, 5.0], &[1.0, 1.0, f64::INFINITY]);
        assert!(e.contains("vertex 3") && e.contains("finite"), "{e}");
        // A sliver between pixel centres covers none.
        let e = err(&[1.0, 1.4, 1.4], &[1.0, 1.0, 6.0]);
        assert!(
            e.starts_with("P9 outline: outline covers no pixel centre"),
            "{e}"
        );
        // An outline beyond the image.
        let e = err(&[1.0, 9.0, 5.0], &[1.0, 1.0, 5.0]);
        assert!(
            e.contains("outline spans x 1..9") && e.contains("8×8"),
            "{e}"
        );
    }
}
