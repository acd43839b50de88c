//! The crate's one error type (style.md "Errors"): every message names the
//! value found and what was expected, so the CLI only adds the file name.

/// Why an image and mask cannot be turned into the 544 features.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum RadiomicsError {
    /// The grey buffer does not hold `width × height` pixels.
    #[error(
        "image buffer holds {found} pixels, expected width {width} × height {height} = {expected}"
    )]
    ImageSize {
        /// Image width in pixels.
        width: usize,
        /// Image height in pixels.
        height: usize,
        /// Pixels in the buffer.
        found: usize,
        /// `width × height`.
        expected: usize,
    },
    /// The mask does not have the image's size.
    #[error(
        "mask holds {found} pixels, expected the image's width {width} × height {height} = {expected}"
    )]
    MaskSize {
        /// Image width in pixels.
        width: usize,
        /// Image height in pixels.
        height: usize,
        /// Pixels in the mask.
        found: usize,
        /// `width × height`.
        expected: usize,
    },
    /// No lesion pixel is left once isolated pixels are removed (§2.3).
    #[error(
        "mask has no lesion region ({found} non-zero pixels, none with a non-zero 8-neighbour); expected one 8-connected lesion region"
    )]
    EmptyMask {
        /// Non-zero mask pixels before isolated-pixel removal.
        found: usize,
    },
    /// The mask holds several 8-connected lesion regions (§2.3): BUSAT assumes
    /// one and would silently mix them, so this is an input error.
    #[error(
        "mask has {count} separate 8-connected lesion regions (sizes {sizes:?} pixels), expected exactly one"
    )]
    MultipleRegions {
        /// Number of 8-connected regions after isolated-pixel removal.
        count: usize,
        /// Their pixel counts, largest first.
        sizes: Vec<usize>,
    },
}
