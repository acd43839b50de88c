//! Raster images and masks (PNG, JPEG, TIFF, BMP) through the `image`
//! crate: 8-bit grey taken as is, RGB(A) to grey with [`LUMA`](crate::LUMA),
//! 16-bit data mapped onto 8 bits by its min–max or a given window; masks by
//! the label rule of [`labels`](super::labels).

use std::io::Cursor;
use std::path::Path;

use image::error::{ImageError, ImageFormatHint};
use image::{DynamicImage, ImageFormat, ImageReader};

use super::grey::{luma, map_voi, to_u8};
use super::labels::select_label;
use super::{ImageOptions, read_file};
use crate::CohortError;
use crate::pixels::{GreyImage, GreyMapping, LoadedImage, Mask, Voi};

/// Decodes a raster file's bytes, whatever its extension says: the format
/// named by the extension of `path`, replaced by the one the first bytes
/// show, as `ImageReader::open(path)?.with_guessed_format()` decides.
fn decode(path: &Path, bytes: &[u8]) -> Result<DynamicImage, CohortError> {
    let ext = path.extension().filter(|e| !e.is_empty());
    let mut reader = ImageReader::new(Cursor::new(bytes));
    if let Some(format) = ext.and_then(ImageFormat::from_extension) {
        reader.set_format(format);
    }
    let reader = reader
        .with_guessed_format()
        .map_err(|e| CohortError::io(path, e))?;
    let image_error = |e: ImageError| CohortError::Image {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    if reader.format().is_none()
        && let Some(ext) = ext
    {
        // What `ImageReader::open` reports for an extension it does not know.
        let hint = ImageFormatHint::PathExtension(ext.into());
        return Err(image_error(ImageError::Unsupported(hint.into())));
    }
    reader.decode().map_err(image_error)
}

/// Loads a raster image as 8-bit grey with its provenance (the rules of
/// [`crate::load_image`]).
pub(crate) fn load_raster_image(
    path: &Path,
    bytes: &[u8],
    opts: &ImageOptions,
) -> Result<LoadedImage, CohortError> {
    let img = decode(path, bytes)?;
    let (width, height) = (img.width() as usize, img.height() as usize);
    let color = img.color();
    let grey8 = |pixels: Vec<u8>, format: &str, colour: bool| LoadedImage {
        image: GreyImage {
            width,
            height,
            pixels,
        },
        mapping: GreyMapping {
            format: format.to_string(),
            transfer_syntax: None,
            colour: colour.then(|| "RGB → grey with luma weights 0.2989/0.5870/0.1140".to_string()),
            rescale: None,
            voi: Voi::AsStored,
            inverted: false,
            frame: None,
        },
        warnings: Vec::new(),
    };
    let wide = |values: Vec<f64>, format: &str, colour: bool| {
        let (pixels, voi) = map_voi(&values, None, opts.window);
        let mut l = grey8(pixels, format, colour);
        l.mapping.voi = voi;
        l
    };
    let rgb8 = |r: u8, g: u8, b: u8| to_u8(luma(r as f64, g as f64, b as f64));
    let rgb16 = |r: u16, g: u16, b: u16| luma(r as f64, g as f64, b as f64);
    Ok(match img {
        DynamicImage::ImageLuma8(b) => grey8(b.into_raw(), "8-bit grey", false),
        DynamicImage::ImageLumaA8(b) => grey8(
            b.pixels().map(|p| p.0[0]).collect(),
            "8-bit grey+alpha",
            false,
        ),
        DynamicImage::ImageRgb8(b) => grey8(
            b.pixels().map(|p| rgb8(p.0[0], p.0[1], p.0[2])).collect(),
            "8-bit RGB",
            true,
        ),
        DynamicImage::ImageRgba8(b) => grey8(
            b.pixels().map(|p| rgb8(p.0[0], p.0[1], p.0[2])).collect(),
            "8-bit RGBA",
            true,
        ),
        DynamicImage::ImageLuma16(b) => wide(
            b.pixels().map(|p| p.0[0] as f64).collect(),
            "16-bit grey",
            false,
        ),
        DynamicImage::ImageLumaA16(b) => wide(
            b.pixels().map(|p| p.0[0] as f64).collect(),
            "16-bit grey+alpha",
            false,
        ),
        DynamicImage::ImageRgb16(b) => wide(
            b.pixels().map(|p| rgb16(p.0[0], p.0[1], p.0[2])).collect(),
            "16-bit RGB",
            true,
        ),
        DynamicImage::ImageRgba16(b) => wide(
            b.pixels().map(|p| rgb16(p.0[0], p.0[1], p.0[2])).collect(),
            "16-bit RGBA",
            true,
        ),
        _ => {
            return Err(CohortError::Image {
                path: path.to_path_buf(),
                message: format!(
                    "unsupported pixel type {color:?} (expected 8/16-bit grey or RGB)"
                ),
            });
        }
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
    raster_mask(path, &read_file(path)?, label)
}

/// A raster mask from the file's bytes by the label rule; `path` names it.
pub(crate) fn raster_mask(
    path: &Path,
    bytes: &[u8],
    label: Option<u64>,
) -> Result<Mask, CohortError> {
    let img = decode(path, bytes)?;
    let (w, h) = (img.width() as usize, img.height() as usize);
    select_label(path, w, h, &raster_values(&img), label)
}
