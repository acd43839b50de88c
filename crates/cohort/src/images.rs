//! Reading ultrasound images and lesion masks into plain 8-bit / boolean
//! rasters (the form the feature extractors take), and how each image's grey
//! levels were obtained ([`GreyMapping`], for provenance).

use std::path::Path;

use image::{DynamicImage, ImageReader};
use serde::Serialize;

use crate::CohortError;

/// Image file extensions accepted in `images/` (lower case): raster formats
/// and DICOM (`.dcm`).
pub const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "tif", "tiff", "bmp", "dcm"];

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

/// Grey level of an RGB triple with [`LUMA`].
pub(crate) fn luma(r: f64, g: f64, b: f64) -> f64 {
    LUMA[0] * r + LUMA[1] * g + LUMA[2] * b
}

/// Rounds half away from zero and clamps to 0..=255.
pub(crate) fn to_u8(v: f64) -> u8 {
    v.round().clamp(0.0, 255.0) as u8
}

/// How an image is read: which frame of a multi-frame DICOM, and an optional
/// VOI window for data of more than 8 bits.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImageOptions {
    /// 1-based frame of a multi-frame DICOM; `None` takes frame 1 and warns
    /// when the file has several.
    pub frame: Option<u32>,
    /// Window (center, width) in modality units for >8-bit data, overriding
    /// the file's window and the min–max mapping.
    pub window: Option<(f64, f64)>,
}

/// Modality LUT applied to monochrome DICOM data (PS3.3 C.11.1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rescale {
    /// Rescale Slope (0028,1053).
    pub slope: f64,
    /// Rescale Intercept (0028,1052).
    pub intercept: f64,
}

/// The frame taken from a multi-frame file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FrameChoice {
    /// 1-based frame used.
    pub frame: u32,
    /// Frames in the file.
    pub frames: u32,
}

/// How values were mapped to the 8-bit grey levels the features use.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Voi {
    /// 8-bit data kept as stored (colour: luma, rounded).
    AsStored,
    /// A VOI window (PS3.3 C.11.2.1.2): `function` is LINEAR, LINEAR_EXACT or
    /// SIGMOID; `source` is "file" (Window Center/Width) or "given".
    Window {
        /// Window Center.
        center: f64,
        /// Window Width.
        width: f64,
        /// VOI LUT Function.
        function: String,
        /// Where the window came from.
        source: String,
    },
    /// Linear from the image's own minimum (→ 0) to its maximum (→ 255).
    MinMax {
        /// Smallest value (after rescale and luma).
        min: f64,
        /// Largest value.
        max: f64,
    },
}

/// Provenance of one image's grey levels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GreyMapping {
    /// The stored form, e.g. "PNG 16-bit grey" or "DICOM MONOCHROME2, 12 bit(s) stored of 16, unsigned".
    pub format: String,
    /// DICOM transfer syntax, "name (UID)".
    pub transfer_syntax: Option<String>,
    /// Colour conversion applied, if any.
    pub colour: Option<String>,
    /// Modality LUT applied (monochrome DICOM with a non-identity rescale).
    pub rescale: Option<Rescale>,
    /// Value → 8-bit mapping.
    pub voi: Voi,
    /// MONOCHROME1: grey levels inverted (255 − y) after the VOI.
    pub inverted: bool,
    /// The frame used, for multi-frame files.
    pub frame: Option<FrameChoice>,
}

/// An image as loaded: 8-bit grey pixels, how they were obtained, and any
/// warnings (e.g. a multi-frame file read without a frame choice).
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedImage {
    /// The grey image.
    pub image: GreyImage,
    /// How its grey levels were obtained.
    pub mapping: GreyMapping,
    /// Warnings for the user (each names the file).
    pub warnings: Vec<String>,
}

/// The VOI linear function of PS3.3 C.11.2.1.2.1 onto 0–255 (unrounded).
fn window_linear(x: f64, c: f64, w: f64) -> f64 {
    if x <= c - 0.5 - (w - 1.0) / 2.0 {
        0.0
    } else if x > c - 0.5 + (w - 1.0) / 2.0 {
        255.0
    } else {
        ((x - (c - 0.5)) / (w - 1.0) + 0.5) * 255.0
    }
}

/// LINEAR_EXACT (PS3.3 C.11.2.1.3.2) onto 0–255.
fn window_linear_exact(x: f64, c: f64, w: f64) -> f64 {
    if x <= c - w / 2.0 {
        0.0
    } else if x > c + w / 2.0 {
        255.0
    } else {
        ((x - c) / w + 0.5) * 255.0
    }
}

/// SIGMOID (PS3.3 C.11.2.1.3.1) onto 0–255.
fn window_sigmoid(x: f64, c: f64, w: f64) -> f64 {
    255.0 / (1.0 + (-4.0 * (x - c) / w).exp())
}

/// Maps values of more than 8 bits to 0–255: a given window first, else the
/// file's window (`(center, width, VOI LUT Function)`), else the values' own
/// min–max; each rounded half away from zero.
pub(crate) fn map_voi(
    values: &[f64],
    file_window: Option<(f64, f64, String)>,
    given: Option<(f64, f64)>,
) -> (Vec<u8>, Voi) {
    let window = given
        .map(|(c, w)| (c, w, "LINEAR".to_string(), "given"))
        .or(file_window.map(|(c, w, f)| (c, w, f, "file")));
    if let Some((c, w, function, source)) = window {
        let f: fn(f64, f64, f64) -> f64 = match function.as_str() {
            "LINEAR_EXACT" => window_linear_exact,
            "SIGMOID" => window_sigmoid,
            _ => window_linear,
        };
        let function = match function.as_str() {
            "LINEAR_EXACT" | "SIGMOID" => function,
            _ => "LINEAR".to_string(),
        };
        let px = values.iter().map(|&x| to_u8(f(x, c, w))).collect();
        return (
            px,
            Voi::Window {
                center: c,
                width: w,
                function,
                source: source.to_string(),
            },
        );
    }
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let px = if max > min {
        values
            .iter()
            .map(|&x| to_u8((x - min) * 255.0 / (max - min)))
            .collect()
    } else {
        vec![0; values.len()]
    };
    (px, Voi::MinMax { min, max })
}

fn is_dicom(path: &Path) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase());
    ext.as_deref() == Some("dcm")
}

/// Loads an ultrasound image as 8-bit grey with its provenance.
///
/// DICOM (`.dcm`) follows [`crate::dicom`]'s rules. Raster files: 8-bit grey
/// is taken as is; RGB(A) is converted with [`LUMA`] and rounded; 16-bit data
/// (grey, or RGB after luma) is mapped linearly from its own min–max (or
/// `opts.window`) to 0–255, since the features are defined on 8-bit grey
/// levels (handcrafted-features.md §2.2). Alpha is ignored.
pub fn load_image(path: &Path, opts: &ImageOptions) -> Result<LoadedImage, CohortError> {
    if is_dicom(path) {
        return crate::dicom::load_dicom(path, opts);
    }
    let img = decode(path)?;
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

/// Loads an ultrasound image as 8-bit grey with default options (frame 1 of a
/// multi-frame DICOM, file window or min–max for >8-bit data); see [`load_image`].
pub fn load_grey(path: &Path) -> Result<GreyImage, CohortError> {
    load_image(path, &ImageOptions::default()).map(|l| l.image)
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
    fn window_linear_matches_the_standard() {
        // Hand values of PS3.3 C.11.2.1.2.1 for c = 2000, w = 1001 onto 0..255.
        assert_eq!(window_linear(1499.5, 2000.0, 1001.0), 0.0);
        assert!((window_linear(1750.0, 2000.0, 1001.0) - 63.8775).abs() < 1e-9);
        assert_eq!(window_linear(2499.6, 2000.0, 1001.0), 255.0);
        // LINEAR_EXACT: c = 100, w = 50: 110 → (10/50 + 0.5)·255 = 178.5.
        assert!((window_linear_exact(110.0, 100.0, 50.0) - 178.5).abs() < 1e-9);
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
