//! Ultrasound images: the extensions accepted and which format reads a file
//! (DICOM by its `.dcm` extension, else a raster file, see
//! [`crate::formats`]), into an 8-bit [`GreyImage`] with its provenance.

use std::path::Path;

use crate::CohortError;
use crate::formats::{ImageOptions, dicom, raster, read_file};
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
    load_image_bytes(path, &read_file(path)?, opts)
}

/// Loads an image from its file's bytes, as [`load_image`] loads the file:
/// `name` (the file name) chooses the format by its extension and names the
/// file in messages and warnings.
pub fn load_image_bytes(
    name: &Path,
    bytes: &[u8],
    opts: &ImageOptions,
) -> Result<LoadedImage, CohortError> {
    if is_dicom(name) {
        return dicom::dicom_image(name, bytes, opts);
    }
    raster::load_raster_image(name, bytes, opts)
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

    /// The image at `path` loaded from the file and from its bytes under
    /// the same name, which must agree.
    fn both_ways(path: &Path, opts: &ImageOptions) -> LoadedImage {
        let from_file = load_image(path, opts).unwrap();
        let bytes = std::fs::read(path).unwrap();
        let from_bytes = load_image_bytes(path, &bytes, opts).unwrap();
        assert_eq!(from_bytes, from_file, "{}", path.display());
        from_bytes
    }

    #[test]
    fn bytes_load_as_the_file_does() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let grey = d.join("g.png");
        ImageBuffer::from_fn(5, 3, |x, y| Luma([(x * 40 + y * 7) as u8]))
            .save(&grey)
            .unwrap();
        assert_eq!(
            both_ways(&grey, &ImageOptions::default()).image.pixels[6],
            47
        );
        let rgb = d.join("c.png");
        ImageBuffer::from_fn(4, 2, |x, y| Rgb([(50 * x) as u8, (90 * y) as u8, 200]))
            .save(&rgb)
            .unwrap();
        assert!(
            both_ways(&rgb, &ImageOptions::default())
                .mapping
                .colour
                .is_some()
        );
        let g16 = d.join("g16.png");
        let wide: ImageBuffer<Luma<u16>, Vec<u16>> =
            ImageBuffer::from_fn(3, 2, |x, y| Luma([(1000 + 300 * x + 50 * y) as u16]));
        wide.save(&g16).unwrap();
        both_ways(&g16, &ImageOptions::default());
        let window = ImageOptions {
            window: Some((1400.0, 600.0)),
            ..Default::default()
        };
        both_ways(&g16, &window);
        // A PNG named .jpg is decoded by its content either way.
        let misnamed = d.join("m.jpg");
        std::fs::copy(&grey, &misnamed).unwrap();
        both_ways(&misnamed, &ImageOptions::default());
    }

    #[test]
    fn dicom_bytes_load_as_the_file_does_with_or_without_preamble() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/formats");
        for name in [
            "lesion/BUS02_grey.dcm",
            "dicom/MR_small.dcm",
            "dicom/SC_rgb_rle_2frame.dcm",
        ] {
            let path = fixtures.join(name);
            let opts = ImageOptions::default();
            let loaded = both_ways(&path, &opts);
            // The same data set without the 128-byte preamble and "DICM" at 0.
            let bytes = std::fs::read(&path).unwrap();
            assert_eq!(&bytes[128..132], b"DICM");
            assert_eq!(
                load_image_bytes(&path, &bytes[128..], &opts).unwrap(),
                loaded
            );
        }
    }

    #[test]
    fn bytes_errors_name_the_given_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.png");
        ImageBuffer::from_pixel(40, 40, Luma([7u8]))
            .save(&p)
            .unwrap();
        let bytes = std::fs::read(&p).unwrap();
        let name = Path::new("upload/P3.png");
        let err = load_image_bytes(name, &bytes[..bytes.len() / 2], &ImageOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("upload/P3.png: cannot decode"), "{err}");
        let err = load_image_bytes(
            Path::new("upload/P3.dcm"),
            b"not dicom",
            &ImageOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("upload/P3.dcm: cannot decode image: not a readable DICOM file"),
            "{err}"
        );
        // An extension no decoder knows, with content none recognises: the
        // same message from the file and from its bytes.
        let odd = dir.path().join("P4.dat");
        std::fs::write(&odd, b"plain text, no image").unwrap();
        let from_file = load_image(&odd, &ImageOptions::default())
            .unwrap_err()
            .to_string();
        let from_bytes = load_image_bytes(&odd, b"plain text, no image", &ImageOptions::default())
            .unwrap_err()
            .to_string();
        assert_eq!(from_bytes, from_file);
        assert!(from_file.contains("dat"), "{from_file}");
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
