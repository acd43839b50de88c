//! Ultrasound images: the extensions accepted and which format reads a file
//! (DICOM by its `.dcm` extension, else a raster file, see
//! [`crate::formats`]), into an 8-bit [`GreyImage`] with its provenance.

use std::path::Path;

use crate::CohortError;
use crate::formats::{ImageOptions, dicom, raster};
use crate::pixels::{GreyImage, LoadedImage};

/// Image file extensions accepted in `images/` (lower case): raster formats
/// and DICOM (`.dcm`).
pub const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "tif", "tiff", "bmp", "dcm"];

fn is_dicom(path: &Path) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase());
    ext.as_deref() == Some("dcm")
}

/// Loads an ultrasound image as 8-bit grey with its provenance.
///
/// DICOM (`.dcm`) follows the DICOM module's rules. Raster files: 8-bit grey
/// is taken as is; RGB(A) is converted with [`LUMA`](crate::LUMA) and rounded; 16-bit data
/// (grey, or RGB after luma) is mapped linearly from its own min–max (or
/// `opts.window`) to 0–255, since the features are defined on 8-bit grey
/// levels (handcrafted-features.md §2.2). Alpha is ignored.
pub fn load_image(path: &Path, opts: &ImageOptions) -> Result<LoadedImage, CohortError> {
    if is_dicom(path) {
        return dicom::load_dicom(path, opts);
    }
    raster::load_raster_image(path, opts)
}

/// Loads an ultrasound image as 8-bit grey with default options (frame 1 of a
/// multi-frame DICOM, file window or min–max for >8-bit data); see [`load_image`].
pub fn load_grey(path: &Path) -> Result<GreyImage, CohortError> {
    load_image(path, &ImageOptions::default()).map(|l| l.image)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pixels::Voi;
    use image::{ImageBuffer, Luma, Rgb};

    #[test]
    fn rgb_uses_luma_weights_rounded() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.png");
        // 0.2989*200 + 0.5870*100 + 0.1140*50 = 59.78 + 58.7 + 5.7 = 124.18 -> 124
        ImageBuffer::from_pixel(2, 1, Rgb([200u8, 100, 50]))
            .save(&p)
            .unwrap();
        let g = load_grey(&p).unwrap();
        assert_eq!((g.width, g.height), (2, 1));
        assert_eq!(g.pixels, vec![124, 124]);
    }

    #[test]
    fn sixteen_bit_maps_min_max_not_full_range() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("g16.png");
        // 12-bit data in a 16-bit PNG: min 1000 → 0, max 3000 → 255,
        // 1500 → 500·255/2000 = 63.75 → 64 (a fixed 255/65535 scale would give 6).
        let img: ImageBuffer<Luma<u16>, Vec<u16>> =
            ImageBuffer::from_fn(3, 1, |x, _| Luma([[1000u16, 1500, 3000][x as usize]]));
        img.save(&p).unwrap();
        let l = load_image(&p, &ImageOptions::default()).unwrap();
        assert_eq!(l.image.pixels, vec![0, 64, 255]);
        assert_eq!(
            l.mapping.voi,
            Voi::MinMax {
                min: 1000.0,
                max: 3000.0
            }
        );
        // A declared window (PS3.3 C.11.2.1.2.1, center 2000, width 1001):
        // 1500 ≤ 1499.5? no → ((1500 − 1999.5)/1000 + 0.5)·255 = 0.1275 → 0;
        // 3000 > 2499.5 → 255; 1000 → 0.
        let w = ImageOptions {
            window: Some((2000.0, 1001.0)),
            ..Default::default()
        };
        assert_eq!(load_image(&p, &w).unwrap().image.pixels, vec![0, 0, 255]);
        // The same data as a 16-bit TIFF maps the same way.
        let t = dir.path().join("g16.tif");
        img.save(&t).unwrap();
        assert_eq!(load_grey(&t).unwrap().pixels, vec![0, 64, 255]);
    }

    #[test]
    fn truncated_png_is_a_decode_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.png");
        ImageBuffer::from_pixel(40, 40, Luma([7u8]))
            .save(&p)
            .unwrap();
        let bytes = std::fs::read(&p).unwrap();
        std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
        let err = load_grey(&p).unwrap_err().to_string();
        assert!(
            err.contains("t.png") && err.contains("cannot decode"),
            "{err}"
        );
    }
}
