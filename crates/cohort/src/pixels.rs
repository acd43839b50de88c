//! The pixel types every format is read into: an 8-bit grey image and a
//! boolean lesion mask (the form the feature extractors take), and how an
//! image's grey levels were obtained ([`GreyMapping`], for provenance).

use serde::Serialize;

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
