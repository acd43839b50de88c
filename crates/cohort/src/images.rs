//! Reading ultrasound images and lesion masks into plain 8-bit / boolean
//! rasters (the form the feature extractors take).

use std::path::Path;

use image::{DynamicImage, ImageReader};

use crate::CohortError;

/// Image file extensions accepted in `images/` and `masks/` (lower case).
pub const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "tif", "tiff", "bmp"];

/// An 8-bit grey image, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GreyImage {
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// `height × width` grey levels, row-major.
    pub pixels: Vec<u8>,
}

/// A binary lesion mask, row-major; `true` = lesion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mask {
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// `height × width` flags, row-major.
    pub pixels: Vec<bool>,
}

impl Mask {
    /// Number of lesion pixels.
    pub fn area(&self) -> usize {
        self.pixels.iter().filter(|&&p| p).count()
    }
}

/// Luma weights for colour → grey (MATLAB `rgb2gray`, ITU-R BT.601), as the
/// study's toolbox converted colour input (handcrafted-features.md §2.2).
pub const LUMA: [f64; 3] = [0.2989, 0.5870, 0.1140];

fn decode(path: &Path) -> Result<DynamicImage, CohortError> {
    let reader = ImageReader::open(path)
        .map_err(|e| CohortError::io(path, e))?
        .with_guessed_format()
        .map_err(|e| CohortError::io(path, e))?;
    reader.decode().map_err(|e| CohortError::Image {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

fn luma(r: f64, g: f64, b: f64) -> f64 {
    LUMA[0] * r + LUMA[1] * g + LUMA[2] * b
}

/// Rounds half away from zero and clamps to 0..=255.
fn to_u8(v: f64) -> u8 {
    v.round().clamp(0.0, 255.0) as u8
}

/// Loads an ultrasound image as 8-bit grey.
///
/// 8-bit grey is taken as is; RGB(A) is converted with [`LUMA`] and rounded;
/// 16-bit input is converted the same way and then mapped linearly to 0–255
/// (`round(v · 255 / 65535)`), since the features are defined on 8-bit grey
/// levels (handcrafted-features.md §2.2). Alpha is ignored.
pub fn load_grey(path: &Path) -> Result<GreyImage, CohortError> {
    let img = decode(path)?;
    let (width, height) = (img.width() as usize, img.height() as usize);
    let pixels: Vec<u8> = match img {
        DynamicImage::ImageLuma8(b) => b.into_raw(),
        DynamicImage::ImageLumaA8(b) => b.pixels().map(|p| p.0[0]).collect(),
        DynamicImage::ImageRgb8(b) => b
            .pixels()
            .map(|p| to_u8(luma(p.0[0] as f64, p.0[1] as f64, p.0[2] as f64)))
            .collect(),
        DynamicImage::ImageRgba8(b) => b
            .pixels()
            .map(|p| to_u8(luma(p.0[0] as f64, p.0[1] as f64, p.0[2] as f64)))
            .collect(),
        DynamicImage::ImageLuma16(b) => b
            .pixels()
            .map(|p| to_u8(p.0[0] as f64 * 255.0 / 65535.0))
            .collect(),
        DynamicImage::ImageLumaA16(b) => b
            .pixels()
            .map(|p| to_u8(p.0[0] as f64 * 255.0 / 65535.0))
            .collect(),
        DynamicImage::ImageRgb16(b) => b
            .pixels()
            .map(|p| to_u8(luma(p.0[0] as f64, p.0[1] as f64, p.0[2] as f64) * 255.0 / 65535.0))
            .collect(),
        DynamicImage::ImageRgba16(b) => b
            .pixels()
            .map(|p| to_u8(luma(p.0[0] as f64, p.0[1] as f64, p.0[2] as f64) * 255.0 / 65535.0))
            .collect(),
        other => {
            return Err(CohortError::Image {
                path: path.to_path_buf(),
                message: format!(
                    "unsupported pixel type {:?} (expected 8/16-bit grey or RGB)",
                    other.color()
                ),
            });
        }
    };
    Ok(GreyImage {
        width,
        height,
        pixels,
    })
}

/// Loads a lesion mask: any non-zero pixel (in any channel) is lesion.
pub fn load_mask(path: &Path) -> Result<Mask, CohortError> {
    let img = decode(path)?;
    let (width, height) = (img.width() as usize, img.height() as usize);
    let rgba = img.to_rgba16();
    let pixels = rgba
        .pixels()
        .map(|p| p.0[0] != 0 || p.0[1] != 0 || p.0[2] != 0)
        .collect();
    Ok(Mask {
        width,
        height,
        pixels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
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
    fn sixteen_bit_maps_to_eight() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("g16.png");
        let img: ImageBuffer<Luma<u16>, Vec<u16>> =
            ImageBuffer::from_fn(3, 1, |x, _| Luma([[0u16, 32896, 65535][x as usize]]));
        img.save(&p).unwrap();
        // 32896 * 255 / 65535 = 128.0
        assert_eq!(load_grey(&p).unwrap().pixels, vec![0, 128, 255]);
    }

    #[test]
    fn mask_nonzero_is_lesion() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.png");
        ImageBuffer::from_fn(3, 1, |x, _| Luma([[0u8, 1, 255][x as usize]]))
            .save(&p)
            .unwrap();
        let m = load_mask(&p).unwrap();
        assert_eq!(m.pixels, vec![false, true, true]);
        assert_eq!(m.area(), 2);
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
