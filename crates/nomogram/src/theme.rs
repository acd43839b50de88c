//! The look shared by the nomogram and the report's figures: an embedded font
//! registered once with plotters, and a colour-blind-safe palette.
//!
//! The font is DejaVu Sans (Bitstream Vera licence, DejaVu changes public
//! domain; assets/DejaVu-LICENSE.txt), embedded so figures render the same on
//! every machine: plotters' ab_glyph backend has no system font lookup.

#[cfg(not(target_arch = "wasm32"))]
use std::sync::OnceLock;

use plotters::style::RGBColor;
#[cfg(not(target_arch = "wasm32"))]
use plotters::style::{FontStyle, register_font};

use crate::error::NomogramError;

/// Family name the embedded font is registered under (also written into SVG text).
pub const FONT_FAMILY: &str = "sans-serif";

#[cfg(not(target_arch = "wasm32"))]
static DEJAVU_SANS: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
#[cfg(not(target_arch = "wasm32"))]
static DEJAVU_SANS_BOLD: &[u8] = include_bytes!("../assets/DejaVuSans-Bold.ttf");
#[cfg(not(target_arch = "wasm32"))]
static REGISTERED: OnceLock<bool> = OnceLock::new();

/// Nothing to register on wasm32: plotters measures text with the browser's fonts: nothing to register.
#[cfg(target_arch = "wasm32")]
pub fn register_fonts() -> Result<(), NomogramError> {
    Ok(())
}

/// Registers the embedded fonts with plotters (once per process; later calls
/// are free). Every drawing function of this crate and of dlrn-report calls it.
#[cfg(not(target_arch = "wasm32"))]
pub fn register_fonts() -> Result<(), NomogramError> {
    let ok = *REGISTERED.get_or_init(|| {
        register_font(FONT_FAMILY, FontStyle::Normal, DEJAVU_SANS).is_ok()
            && register_font(FONT_FAMILY, FontStyle::Bold, DEJAVU_SANS_BOLD).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(NomogramError::Font("DejaVu Sans"))
    }
}

/// Okabe & Ito (2008) colour-blind-safe palette, in the order series take it:
/// blue, vermillion, bluish green, orange, reddish purple, sky blue, yellow, black.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0xF0, 0xE4, 0x42),
    RGBColor(0x00, 0x00, 0x00),
];

/// Text and axis colour (near-black, softer than pure black).
pub const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Secondary text (tick labels, notes).
pub const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);
/// Gridlines.
pub const GRID: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);
/// Alternate-row and panel background.
pub const SHADE: RGBColor = RGBColor(0xF4, 0xF6, 0xF8);

/// `#rrggbb` of a colour, for HTML and CSS.
pub fn hex(c: RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}
