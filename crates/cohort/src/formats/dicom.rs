//! DICOM images through dicom-rs (`dicom-object`, `dicom-pixeldata`) to 8-bit grey.
//!
//! Pixel data are decoded by dicom-pixeldata's pure-Rust codecs (native little
//! and big endian, RLE Lossless, JPEG baseline/extended via jpeg-decoder,
//! JPEG 2000 via openjp2); everything after decoding is done here so that each
//! step is the standard's:
//! - colour (RGB, YBR_FULL, YBR_FULL_422, PALETTE COLOR) → RGB → grey with
//!   [`LUMA`](crate::LUMA), as PNG input; YBR → RGB is PS3.3 C.7.6.3.1.2 with
//!   the coefficients and `floor(x + 0.5)` rounding pydicom uses;
//! - monochrome: stored value → Modality LUT (Rescale Slope/Intercept,
//!   PS3.3 C.11.1) → VOI (Window Center/Width, C.11.2.1.2) → 8 bits, and
//!   MONOCHROME1 is inverted (255 − y) after the VOI;
//! - an image stored in 8 bits or fewer with an identity rescale is kept as
//!   stored; otherwise the file's first window is used when present, else the
//!   frame's own min–max — never a fixed full-range scaling.

use std::borrow::Cow;
use std::path::Path;

use dicom_dictionary_std::tags;
use dicom_object::file::ReadPreamble;
use dicom_object::{DefaultDicomObject, OpenFileOptions, Tag};
use dicom_pixeldata::PixelDecoder;
use dicom_transfer_syntax_registry::{TransferSyntaxIndex, TransferSyntaxRegistry};

use super::ImageOptions;
use super::grey::{luma, map_voi, to_u8};
use crate::CohortError;
use crate::pixels::{FrameChoice, GreyImage, GreyMapping, LoadedImage, Rescale, Voi};

/// The transfer syntax of an object, as "name (UID)".
fn ts_label(obj: &DefaultDicomObject) -> String {
    let uid = obj
        .meta()
        .transfer_syntax()
        .trim_end_matches('\0')
        .to_string();
    match TransferSyntaxRegistry.get(&uid) {
        Some(ts) => format!("{} ({uid})", ts.name()),
        None => format!("unknown transfer syntax ({uid})"),
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

fn bad(path: &Path, message: impl Into<String>) -> CohortError {
    CohortError::Image {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

fn get_str(obj: &DefaultDicomObject, tag: Tag) -> Option<String> {
    let e = obj.element_opt(tag).ok().flatten()?;
    let s = e.to_str().ok()?;
    Some(
        s.trim_matches(|c: char| c == '\0' || c.is_whitespace())
            .to_string(),
    )
}

fn get_int(obj: &DefaultDicomObject, tag: Tag) -> Option<i64> {
    let e = obj.element_opt(tag).ok().flatten()?;
    e.to_int::<i64>().ok()
}

fn get_floats(obj: &DefaultDicomObject, tag: Tag) -> Vec<f64> {
    obj.element_opt(tag)
        .ok()
        .flatten()
        .and_then(|e| e.to_multi_float64().ok())
        .unwrap_or_default()
}

/// The attributes that say how to read the pixel data.
struct Layout {
    rows: usize,
    cols: usize,
    samples: usize,
    bits_allocated: usize,
    bits_stored: usize,
    signed: bool,
    planar: bool,
    photometric: String,
    frames: usize,
}

fn layout(path: &Path, obj: &DefaultDicomObject) -> Result<Layout, CohortError> {
    let need = |tag: Tag, name: &str| -> Result<i64, CohortError> {
        get_int(obj, tag).ok_or_else(|| bad(path, format!("DICOM attribute {name} is missing")))
    };
    let rows = need(tags::ROWS, "Rows (0028,0010)")?;
    let cols = need(tags::COLUMNS, "Columns (0028,0011)")?;
    let bits_allocated = need(tags::BITS_ALLOCATED, "Bits Allocated (0028,0100)")?;
    let bits_stored = get_int(obj, tags::BITS_STORED).unwrap_or(bits_allocated);
    let samples = get_int(obj, tags::SAMPLES_PER_PIXEL).unwrap_or(1);
    let photometric = get_str(obj, tags::PHOTOMETRIC_INTERPRETATION).ok_or_else(|| {
        bad(
            path,
            "DICOM attribute Photometric Interpretation (0028,0004) is missing",
        )
    })?;
    let frames = get_str(obj, tags::NUMBER_OF_FRAMES)
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or(1);
    if rows <= 0 || cols <= 0 || frames <= 0 {
        return Err(bad(
            path,
            format!(
                "DICOM image is {cols}×{rows} with {frames} frame(s) (expected positive sizes)"
            ),
        ));
    }
    if !matches!(bits_allocated, 8 | 16 | 32) || bits_stored <= 0 || bits_stored > bits_allocated {
        return Err(bad(
            path,
            format!(
                "DICOM Bits Allocated {bits_allocated} / Bits Stored {bits_stored} not supported (expected 8, 16 or 32 allocated)"
            ),
        ));
    }
    if samples != 1 && samples != 3 {
        return Err(bad(
            path,
            format!("DICOM Samples per Pixel {samples} not supported (expected 1 or 3)"),
        ));
    }
    Ok(Layout {
        rows: rows as usize,
        cols: cols as usize,
        samples: samples as usize,
        bits_allocated: bits_allocated as usize,
        bits_stored: bits_stored as usize,
        signed: get_int(obj, tags::PIXEL_REPRESENTATION) == Some(1),
        planar: get_int(obj, tags::PLANAR_CONFIGURATION) == Some(1),
        photometric,
        frames: frames as usize,
    })
}

/// Reads sample `i` (in units of Bits Allocated) from little-endian bytes,
/// keeps the Bits Stored low bits and sign-extends when signed.
fn sample(data: &[u8], i: usize, l: &Layout) -> Option<i64> {
    let raw: u64 = match l.bits_allocated {
        8 => *data.get(i)? as u64,
        16 => u16::from_le_bytes([*data.get(2 * i)?, *data.get(2 * i + 1)?]) as u64,
        _ => u32::from_le_bytes([
            *data.get(4 * i)?,
            *data.get(4 * i + 1)?,
            *data.get(4 * i + 2)?,
            *data.get(4 * i + 3)?,
        ]) as u64,
    };
    let bits = l.bits_stored as u32;
    let v = raw & ((1u64 << bits) - 1);
    Some(if l.signed && (v >> (bits - 1)) & 1 == 1 {
        v as i64 - (1i64 << bits)
    } else {
        v as i64
    })
}

/// YBR_FULL → RGB (PS3.3 C.7.6.3.1.2), rounded as `floor(x + 0.5)` and
/// clipped to 0..=255, as pydicom's `convert_color_space`.
fn ybr_to_rgb(y: f64, cb: f64, cr: f64) -> [f64; 3] {
    let (cb, cr) = (cb - 128.0, cr - 128.0);
    let r = y + 1.402 * cr;
    let g = y - (0.114 * 1.772 / 0.587) * cb - (0.299 * 1.402 / 0.587) * cr;
    let b = y + 1.772 * cb;
    [r, g, b].map(|v| (v + 0.5).floor().clamp(0.0, 255.0))
}

/// One palette lookup table (PS3.3 C.7.6.3.1.5): descriptor and entries.
struct Palette {
    entries: usize,
    first: i64,
    bits: usize,
    data: Vec<u16>,
}

fn palette(
    path: &Path,
    obj: &DefaultDicomObject,
    desc: Tag,
    data: Tag,
    colour: &str,
) -> Result<Palette, CohortError> {
    let d: Vec<i64> = obj
        .element_opt(desc)
        .ok()
        .flatten()
        .and_then(|e| e.to_multi_int::<i64>().ok())
        .unwrap_or_default();
    if d.len() != 3 {
        return Err(bad(
            path,
            format!(
                "PALETTE COLOR without a valid {colour} Palette Color Lookup Table Descriptor (segmented palettes are not supported)"
            ),
        ));
    }
    let entries = if d[0] == 0 { 65536 } else { d[0] as usize };
    let bits = d[2] as usize;
    let bytes: Vec<u8> = obj
        .element_opt(data)
        .ok()
        .flatten()
        .and_then(|e| e.to_bytes().ok().map(Cow::into_owned))
        .ok_or_else(|| {
            bad(
                path,
                format!("PALETTE COLOR without {colour} Palette Color Lookup Table Data"),
            )
        })?;
    let words: Vec<u16> = if bits == 8 && bytes.len() == entries {
        bytes.iter().map(|&b| b as u16).collect()
    } else {
        bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect()
    };
    if words.len() < entries {
        return Err(bad(
            path,
            format!(
                "{colour} palette has {} entries, its descriptor says {entries}",
                words.len()
            ),
        ));
    }
    Ok(Palette {
        entries,
        first: d[1],
        bits,
        data: words,
    })
}

impl Palette {
    /// The entry for a stored index, clamped to the table (PS3.3 C.7.6.3.1.5),
    /// on a 0–255 scale.
    fn lookup(&self, v: i64) -> f64 {
        let i = (v - self.first).clamp(0, self.entries as i64 - 1) as usize;
        let e = self.data[i] as f64;
        if self.bits > 8 {
            e * 255.0 / 65535.0
        } else {
            e
        }
    }
}

/// Whether the codec of this transfer syntax already converts colour to RGB
/// (JPEG and JPEG 2000 decoders do; RLE and native data keep the stored space).
fn codec_outputs_rgb(uid: &str) -> bool {
    uid.starts_with("1.2.840.10008.1.2.4.")
}

/// Parses a DICOM file's bytes as `dicom_object::open_file` parses a file:
/// the 128-byte preamble is skipped when "DICM" follows it, none is assumed
/// when the bytes start with "DICM", and otherwise a preamble is assumed.
fn parse(path: &Path, bytes: &[u8]) -> Result<DefaultDicomObject, CohortError> {
    let preamble = if bytes.get(128..132) == Some(b"DICM") {
        ReadPreamble::Always
    } else if bytes.get(0..4) == Some(b"DICM") {
        ReadPreamble::Never
    } else {
        ReadPreamble::Always
    };
    OpenFileOptions::new()
        .read_preamble(preamble)
        .from_reader(bytes)
        .map_err(|e| {
            bad(
                path,
                format!("not a readable DICOM file: {}", error_chain(&e)),
            )
        })
}

/// One frame of a DICOM file's bytes as 8-bit grey; `path` names the file.
pub(crate) fn dicom_image(
    path: &Path,
    bytes: &[u8],
    opts: &ImageOptions,
) -> Result<LoadedImage, CohortError> {
    let obj = parse(path, bytes)?;
    let ts = ts_label(&obj);
    let uid = obj
        .meta()
        .transfer_syntax()
        .trim_end_matches('\0')
        .to_string();
    let l = layout(path, &obj)?;
    let mut warnings = Vec::new();
    let frame = match opts.frame {
        Some(f) if f == 0 || f as usize > l.frames => {
            return Err(bad(
                path,
                format!(
                    "--frame {f} is out of range: the file has {} frame(s), numbered from 1",
                    l.frames
                ),
            ));
        }
        Some(f) => f as usize,
        None => {
            if l.frames > 1 {
                warnings.push(format!(
                    "{}: multi-frame DICOM ({} frames) and no frame chosen: using frame 1 (choose one with --frame N)",
                    path.display(),
                    l.frames
                ));
            }
            1
        }
    };
    let encapsulated = obj
        .element_opt(tags::PIXEL_DATA)
        .ok()
        .flatten()
        .ok_or_else(|| bad(path, "DICOM file has no Pixel Data (7FE0,0010)"))?
        .value()
        .fragments()
        .is_some();
    let undecodable = |e: &dyn std::error::Error| {
        bad(
            path,
            format!(
                "cannot decode the pixel data of transfer syntax {ts}: {}",
                error_chain(e)
            ),
        )
    };
    // Native data: every frame as stored; encapsulated: the chosen frame only.
    // dicom-transfer-syntax-registry 0.10 panics (index out of bounds) on some
    // truncated RLE fragments instead of returning an error, so the decoder
    // runs under catch_unwind and a panic becomes this file's error.
    let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if encapsulated {
            obj.decode_pixel_data_frame(frame as u32 - 1)
                .map(|d| (d.into_data(), 0))
        } else {
            obj.decode_pixel_data().map(|d| (d.into_data(), frame - 1))
        }
    }));
    let (data, offset_frames): (Vec<u8>, usize) = match decoded {
        Ok(result) => result.map_err(|e| undecodable(&e))?,
        Err(_) => {
            return Err(bad(
                path,
                format!(
                    "cannot decode the pixel data of transfer syntax {ts}: the compressed \
                     data are truncated or corrupt (the decoder failed)"
                ),
            ));
        }
    };
    let pixels_n = l.rows * l.cols;
    let bytes = l.bits_allocated / 8;
    let pi = l.photometric.as_str();
    let native_422 = !encapsulated && pi == "YBR_FULL_422";
    let frame_bytes = if native_422 {
        pixels_n * 2 * bytes
    } else {
        pixels_n * l.samples * bytes
    };
    let start = frame_bytes * offset_frames;
    let fdata = data.get(start..start + frame_bytes).ok_or_else(|| {
        bad(
            path,
            format!(
                "pixel data of transfer syntax {ts} hold {} bytes, frame {frame} needs bytes {start}..{}",
                data.len(),
                start + frame_bytes
            ),
        )
    })?;
    let short = || {
        bad(
            path,
            format!("pixel data of transfer syntax {ts} end early"),
        )
    };
    let frame_choice = (l.frames > 1).then_some(FrameChoice {
        frame: frame as u32,
        frames: l.frames as u32,
    });
    let format = format!(
        "DICOM {pi}, {} bit(s) stored of {}, {}",
        l.bits_stored,
        l.bits_allocated,
        if l.signed { "signed" } else { "unsigned" }
    );

    // Colour: to RGB on a 0–255 scale (16-bit colour is mapped min–max after luma).
    let rgb: Option<(Vec<f64>, &str)> = if l.samples == 3 {
        let mut out = Vec::with_capacity(pixels_n);
        let stored = if encapsulated && codec_outputs_rgb(&uid) {
            "RGB"
        } else {
            pi
        };
        for p in 0..pixels_n {
            let (a, b, c) = if native_422 {
                let pair = p / 2;
                (
                    sample(fdata, pair * 4 + p % 2, &l).ok_or_else(short)?,
                    sample(fdata, pair * 4 + 2, &l).ok_or_else(short)?,
                    sample(fdata, pair * 4 + 3, &l).ok_or_else(short)?,
                )
            } else if l.planar && !encapsulated {
                (
                    sample(fdata, p, &l).ok_or_else(short)?,
                    sample(fdata, pixels_n + p, &l).ok_or_else(short)?,
                    sample(fdata, 2 * pixels_n + p, &l).ok_or_else(short)?,
                )
            } else {
                (
                    sample(fdata, 3 * p, &l).ok_or_else(short)?,
                    sample(fdata, 3 * p + 1, &l).ok_or_else(short)?,
                    sample(fdata, 3 * p + 2, &l).ok_or_else(short)?,
                )
            };
            let [r, g, bl] = match stored {
                "RGB" => [a as f64, b as f64, c as f64],
                "YBR_FULL" | "YBR_FULL_422" if l.bits_allocated == 8 => {
                    ybr_to_rgb(a as f64, b as f64, c as f64)
                }
                other => {
                    return Err(bad(
                        path,
                        format!(
                            "colour DICOM in {other} ({}-bit) with transfer syntax {ts} is not supported (expected RGB, YBR_FULL or YBR_FULL_422)",
                            l.bits_allocated
                        ),
                    ));
                }
            };
            out.push(luma(r, g, bl));
        }
        Some((out, stored))
    } else if pi == "PALETTE COLOR" {
        let red = palette(
            path,
            &obj,
            tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
            tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DATA,
            "Red",
        )?;
        let green = palette(
            path,
            &obj,
            tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
            tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DATA,
            "Green",
        )?;
        let blue = palette(
            path,
            &obj,
            tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
            tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DATA,
            "Blue",
        )?;
        let mut out = Vec::with_capacity(pixels_n);
        for p in 0..pixels_n {
            let v = sample(fdata, p, &l).ok_or_else(short)?;
            out.push(luma(red.lookup(v), green.lookup(v), blue.lookup(v)));
        }
        Some((out, "PALETTE COLOR"))
    } else {
        None
    };
    if let Some((values, stored)) = rgb {
        let colour = Some(format!(
            "{stored} → grey with luma weights 0.2989/0.5870/0.1140"
        ));
        let eight_bit = l.bits_allocated == 8 || stored == "PALETTE COLOR";
        let (pixels, voi) = if eight_bit {
            (values.iter().map(|&v| to_u8(v)).collect(), Voi::AsStored)
        } else {
            map_voi(&values, None, opts.window)
        };
        return Ok(LoadedImage {
            image: GreyImage {
                width: l.cols,
                height: l.rows,
                pixels,
            },
            mapping: GreyMapping {
                format,
                transfer_syntax: Some(ts),
                colour,
                rescale: None,
                voi,
                inverted: false,
                frame: frame_choice,
            },
            warnings,
        });
    }
    if pi != "MONOCHROME1" && pi != "MONOCHROME2" {
        return Err(bad(
            path,
            format!(
                "Photometric Interpretation {pi} with {} sample(s) per pixel is not supported (expected MONOCHROME1/2, PALETTE COLOR, RGB, YBR_FULL, YBR_FULL_422)",
                l.samples
            ),
        ));
    }
    // Monochrome: Modality LUT (rescale), then VOI to 8 bits.
    let slope = get_floats(&obj, tags::RESCALE_SLOPE)
        .first()
        .copied()
        .unwrap_or(1.0);
    let intercept = get_floats(&obj, tags::RESCALE_INTERCEPT)
        .first()
        .copied()
        .unwrap_or(0.0);
    let identity = slope == 1.0 && intercept == 0.0;
    let mut values = Vec::with_capacity(pixels_n);
    for p in 0..pixels_n {
        let v = sample(fdata, p, &l).ok_or_else(short)? as f64;
        values.push(v * slope + intercept);
    }
    let as_stored = l.bits_stored <= 8 && !l.signed && identity;
    let (mut pixels, voi) = if as_stored && opts.window.is_none() {
        (
            values.iter().map(|&v| to_u8(v)).collect::<Vec<u8>>(),
            Voi::AsStored,
        )
    } else {
        let centers = get_floats(&obj, tags::WINDOW_CENTER);
        let widths = get_floats(&obj, tags::WINDOW_WIDTH);
        let function = get_str(&obj, tags::VOILUT_FUNCTION).unwrap_or_else(|| "LINEAR".into());
        let file_window = match (centers.first(), widths.first()) {
            (Some(&c), Some(&w)) if w > 0.0 => Some((c, w, function)),
            _ => None,
        };
        map_voi(&values, file_window, opts.window)
    };
    let inverted = pi == "MONOCHROME1";
    if inverted {
        for p in &mut pixels {
            *p = 255 - *p;
        }
    }
    Ok(LoadedImage {
        image: GreyImage {
            width: l.cols,
            height: l.rows,
            pixels,
        },
        mapping: GreyMapping {
            format,
            transfer_syntax: Some(ts),
            colour: None,
            rescale: (!identity).then_some(Rescale { slope, intercept }),
            voi,
            inverted,
            frame: frame_choice,
        },
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(bits_allocated: usize, bits_stored: usize, signed: bool) -> Layout {
        Layout {
            rows: 1,
            cols: 1,
            samples: 1,
            bits_allocated,
            bits_stored,
            signed,
            planar: false,
            photometric: "MONOCHROME2".into(),
            frames: 1,
        }
    }

    #[test]
    fn stored_bits_are_masked_and_sign_extended() {
        // 12 of 16 bits, signed: 0x0FFF = -1, 0x0800 = -2048; bits above
        // Bits Stored (0xF000 of 0xF123) are ignored: 0x123 = 291.
        let l = layout(16, 12, true);
        let data = [0xFF, 0x0F, 0x00, 0x08, 0x23, 0xF1];
        assert_eq!(sample(&data, 0, &l), Some(-1));
        assert_eq!(sample(&data, 1, &l), Some(-2048));
        assert_eq!(sample(&data, 2, &l), Some(291));
        assert_eq!(sample(&data, 3, &l), None);
        let u = layout(8, 8, false);
        assert_eq!(sample(&[200], 0, &u), Some(200));
    }

    #[test]
    fn ybr_full_to_rgb_by_hand() {
        // Neutral chroma keeps the grey level.
        assert_eq!(ybr_to_rgb(128.0, 128.0, 128.0), [128.0, 128.0, 128.0]);
        // Y 100, Cb 128, Cr 200: R = 100 + 1.402·72 = 200.944 → 201;
        // G = 100 − (0.299·1.402/0.587)·72 = 48.582 → 49; B = 100.
        assert_eq!(ybr_to_rgb(100.0, 128.0, 200.0), [201.0, 49.0, 100.0]);
        // Y 250, Cb = Cr = 255: R = 250 + 1.402·127 = 428.1 → 255 (clipped);
        // G = 250 − 0.344136·127 − 0.714136·127 = 115.6 → 116; B = 475.0 → 255.
        assert_eq!(ybr_to_rgb(250.0, 255.0, 255.0), [255.0, 116.0, 255.0]);
    }
}
