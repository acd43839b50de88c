//! ImageJ outlines: `.roi` files and RoiSet `.zip` archives, rasterised onto
//! the image grid with ImageJ's fill rule.
//!
//! The format is ImageJ's `ij/io/RoiDecoder.java`: a 64-byte big-endian
//! header ("Iout", version, type, top/left/bottom/right, point count,
//! options, composite-shape size, header-2 offset), integer coordinates
//! relative to the bounds, and with `SUB_PIXEL_RESOLUTION` (version ≥ 222)
//! absolute float coordinates after them. Area types are read: polygon,
//! freehand, traced, rectangle, oval, and composite (ShapeRoi) paths; lines
//! and points are refused, as they enclose no lesion.
//!
//! Fill rule (ImageJ `PolygonFiller`, `OvalRoi.getMask`): a pixel is inside
//! when its centre `(x + 0.5, y + 0.5)` is inside the outline, even-odd for
//! polygons and composite paths; rectangles cover `[left, right) × [top,
//! bottom)`; an oval of bounds `w × h` covers the pixels whose centre
//! satisfies `((x+0.5−cx)/(w/2))² + ((y+0.5−cy)/(h/2))² ≤ 1`.

use std::io::{Cursor, Read};
use std::path::Path;

use super::labels::mask_error;
use super::read_file;
use crate::CohortError;
use crate::pixels::Mask;

const SUB_PIXEL_RESOLUTION: u16 = 128;

/// An outline in image pixel coordinates (corners at integers).
#[derive(Debug, Clone, PartialEq)]
pub enum Outline {
    /// Closed polygons filled even-odd (one for polygon/freehand/traced
    /// ROIs, several for composite ones).
    Polygons(Vec<Vec<(f64, f64)>>),
    /// `[left, right) × [top, bottom)`.
    Rect {
        /// Left edge.
        left: f64,
        /// Top edge.
        top: f64,
        /// Right edge (exclusive).
        right: f64,
        /// Bottom edge (exclusive).
        bottom: f64,
    },
    /// Ellipse inscribed in the bounds.
    Oval {
        /// Left edge.
        left: f64,
        /// Top edge.
        top: f64,
        /// Right edge.
        right: f64,
        /// Bottom edge.
        bottom: f64,
    },
}

/// A decoded ImageJ ROI.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageJRoi {
    /// The ROI's own name (header 2), if stored.
    pub name: Option<String>,
    /// ImageJ type code (0 polygon, 1 rect, 2 oval, 7 freehand, 8 traced; composite is 1 with a shape).
    pub kind: u8,
    /// The outline.
    pub outline: Outline,
}

struct Bytes<'a> {
    data: &'a [u8],
}

impl Bytes<'_> {
    fn u8(&self, at: usize) -> Option<u8> {
        self.data.get(at).copied()
    }
    fn u16(&self, at: usize) -> Option<u16> {
        Some(u16::from_be_bytes([
            *self.data.get(at)?,
            *self.data.get(at + 1)?,
        ]))
    }
    /// ImageJ's `getShort`: signed, but values below −5000 are read unsigned.
    fn short(&self, at: usize) -> Option<i32> {
        let u = self.u16(at)?;
        let n = u as i16 as i32;
        Some(if n < -5000 { u as i32 } else { n })
    }
    fn i32(&self, at: usize) -> Option<i32> {
        Some(i32::from_be_bytes(
            self.data.get(at..at + 4)?.try_into().ok()?,
        ))
    }
    fn f32(&self, at: usize) -> Option<f32> {
        Some(f32::from_bits(self.i32(at)? as u32))
    }
}

/// Decodes an ImageJ ROI from its bytes (`name` is used in messages).
pub fn decode_roi(path: &Path, data: &[u8]) -> Result<ImageJRoi, CohortError> {
    let b = Bytes { data };
    let trunc = || mask_error(path, "ImageJ ROI is truncated");
    if data.get(0..4) != Some(b"Iout") {
        return Err(mask_error(path, "not an ImageJ ROI (no \"Iout\" header)"));
    }
    let version = b.u16(4).ok_or_else(trunc)?;
    let kind = b.u8(6).ok_or_else(trunc)?;
    let top = b.short(8).ok_or_else(trunc)? as f64;
    let left = b.short(10).ok_or_else(trunc)? as f64;
    let bottom = b.short(12).ok_or_else(trunc)? as f64;
    let right = b.short(14).ok_or_else(trunc)? as f64;
    let n = b.u16(16).ok_or_else(trunc)? as usize;
    let shape_size = b.i32(36).ok_or_else(trunc)?;
    let options = b.u16(50).ok_or_else(trunc)?;
    let header2 = b.i32(60).unwrap_or(0);
    let name = roi_name(&b, header2);

    if shape_size > 0 {
        if kind != 1 {
            return Err(mask_error(
                path,
                format!("invalid composite ImageJ ROI type {kind}"),
            ));
        }
        if 64 + 4 * shape_size as usize > data.len() {
            return Err(trunc());
        }
        let floats: Vec<f32> = (0..shape_size as usize)
            .map(|i| b.f32(64 + 4 * i))
            .collect::<Option<_>>()
            .ok_or_else(trunc)?;
        let polygons = shape_polygons(path, &floats)?;
        return Ok(ImageJRoi {
            name,
            kind,
            outline: Outline::Polygons(polygons),
        });
    }
    let outline = match kind {
        1 => {
            if b.u16(54).unwrap_or(0) > 0 {
                return Err(mask_error(
                    path,
                    "rounded-rectangle ImageJ ROIs are not supported (draw a polygon or composite)",
                ));
            }
            Outline::Rect {
                left,
                top,
                right,
                bottom,
            }
        }
        2 => Outline::Oval {
            left,
            top,
            right,
            bottom,
        },
        0 | 7 | 8 => {
            if n < 3 {
                return Err(mask_error(
                    path,
                    format!("ImageJ polygon ROI with {n} point(s) encloses no area"),
                ));
            }
            let sub = version >= 222 && options & SUB_PIXEL_RESOLUTION != 0;
            let pts: Option<Vec<(f64, f64)>> = if sub {
                let base = 64 + 4 * n;
                (0..n)
                    .map(|i| {
                        Some((
                            b.f32(base + 4 * i)? as f64,
                            b.f32(base + 4 * n + 4 * i)? as f64,
                        ))
                    })
                    .collect()
            } else {
                (0..n)
                    .map(|i| {
                        let x = b.short(64 + 2 * i)?.max(0) as f64;
                        let y = b.short(64 + 2 * n + 2 * i)?.max(0) as f64;
                        Some((left + x, top + y))
                    })
                    .collect()
            };
            Outline::Polygons(vec![pts.ok_or_else(trunc)?])
        }
        3 | 4 | 5 | 9 | 10 => {
            let what = match kind {
                3 => "straight line",
                4 => "freehand line",
                5 => "segmented line",
                9 => "angle",
                _ => "point",
            };
            return Err(mask_error(
                path,
                format!(
                    "ImageJ {what} ROI encloses no area (expected polygon, freehand, traced, rectangle, oval or composite)"
                ),
            ));
        }
        other => return Err(mask_error(path, format!("unknown ImageJ ROI type {other}"))),
    };
    Ok(ImageJRoi {
        name,
        kind,
        outline,
    })
}

/// The name stored in header 2 (NAME_OFFSET 16, NAME_LENGTH 20; UTF-16BE).
fn roi_name(b: &Bytes, header2: i32) -> Option<String> {
    if header2 <= 0 {
        return None;
    }
    let h = header2 as usize;
    let off = b.i32(h + 16)?;
    let len = b.i32(h + 20)?;
    if off <= 0 || len <= 0 || off as usize + 2 * len as usize > b.data.len() {
        return None;
    }
    let units: Option<Vec<u16>> = (0..len as usize)
        .map(|i| b.u16(off as usize + 2 * i))
        .collect();
    String::from_utf16(&units?).ok()
}

/// Flattens a ShapeRoi path (java.awt.geom.PathIterator segments:
/// 0 moveto, 1 lineto, 2 quadto, 3 cubicto, 4 close) into polygons; curves
/// are split into 16 straight pieces.
fn shape_polygons(path: &Path, f: &[f32]) -> Result<Vec<Vec<(f64, f64)>>, CohortError> {
    let bad = || mask_error(path, "composite ImageJ ROI has a malformed shape path");
    let mut polys: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut cur: Vec<(f64, f64)> = Vec::new();
    let mut i = 0;
    let at = |k: usize| -> Option<f64> { f.get(k).map(|v| *v as f64) };
    while i < f.len() {
        let seg = f[i] as i32;
        let last = cur.last().copied();
        match seg {
            0 => {
                if cur.len() >= 3 {
                    polys.push(std::mem::take(&mut cur));
                }
                cur.clear();
                cur.push((at(i + 1).ok_or_else(bad)?, at(i + 2).ok_or_else(bad)?));
                i += 3;
            }
            1 => {
                cur.push((at(i + 1).ok_or_else(bad)?, at(i + 2).ok_or_else(bad)?));
                i += 3;
            }
            2 => {
                let p0 = last.ok_or_else(bad)?;
                let c = (at(i + 1).ok_or_else(bad)?, at(i + 2).ok_or_else(bad)?);
                let p1 = (at(i + 3).ok_or_else(bad)?, at(i + 4).ok_or_else(bad)?);
                for s in 1..=16 {
                    let t = s as f64 / 16.0;
                    let u = 1.0 - t;
                    cur.push((
                        u * u * p0.0 + 2.0 * u * t * c.0 + t * t * p1.0,
                        u * u * p0.1 + 2.0 * u * t * c.1 + t * t * p1.1,
                    ));
                }
                i += 5;
            }
            3 => {
                let p0 = last.ok_or_else(bad)?;
                let c1 = (at(i + 1).ok_or_else(bad)?, at(i + 2).ok_or_else(bad)?);
                let c2 = (at(i + 3).ok_or_else(bad)?, at(i + 4).ok_or_else(bad)?);
                let p1 = (at(i + 5).ok_or_else(bad)?, at(i + 6).ok_or_else(bad)?);
                for s in 1..=16 {
                    let t = s as f64 / 16.0;
                    let u = 1.0 - t;
                    let (a, bb, c, d) = (u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t);
                    cur.push((
                        a * p0.0 + bb * c1.0 + c * c2.0 + d * p1.0,
                        a * p0.1 + bb * c1.1 + c * c2.1 + d * p1.1,
                    ));
                }
                i += 7;
            }
            4 => {
                if cur.len() >= 3 {
                    polys.push(std::mem::take(&mut cur));
                }
                cur.clear();
                i += 1;
            }
            _ => return Err(bad()),
        }
    }
    if cur.len() >= 3 {
        polys.push(cur);
    }
    if polys.is_empty() {
        return Err(mask_error(path, "composite ImageJ ROI encloses no area"));
    }
    Ok(polys)
}

/// The outline's bounds (left, top, right, bottom).
fn bounds(o: &Outline) -> (f64, f64, f64, f64) {
    match o {
        Outline::Rect {
            left,
            top,
            right,
            bottom,
        }
        | Outline::Oval {
            left,
            top,
            right,
            bottom,
        } => (*left, *top, *right, *bottom),
        Outline::Polygons(ps) => ps.iter().flatten().fold(
            (
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ),
            |(l, t, r, b), &(x, y)| (l.min(x), t.min(y), r.max(x), b.max(y)),
        ),
    }
}

/// Rasterises an outline onto a `width × height` grid by ImageJ's rule
/// (module docs). An outline reaching outside the image is an error.
pub fn rasterise(
    path: &Path,
    o: &Outline,
    width: usize,
    height: usize,
) -> Result<Mask, CohortError> {
    fill(path, "ImageJ ROI", o, width, height)
}

/// [`rasterise`], with `what` naming the outline in messages ("ImageJ ROI",
/// "outline").
pub(crate) fn fill(
    path: &Path,
    what: &str,
    o: &Outline,
    width: usize,
    height: usize,
) -> Result<Mask, CohortError> {
    let (l, t, r, b) = bounds(o);
    if l < 0.0 || t < 0.0 || r > width as f64 || b > height as f64 {
        return Err(mask_error(
            path,
            format!(
                "{what} spans x {l}..{r}, y {t}..{b}, outside the {width}×{height} image (was it drawn on another image?)"
            ),
        ));
    }
    let mut px = vec![false; width * height];
    match o {
        Outline::Rect {
            left,
            top,
            right,
            bottom,
        } => {
            for y in (*top as usize)..(*bottom as usize) {
                for x in (*left as usize)..(*right as usize) {
                    px[y * width + x] = true;
                }
            }
        }
        Outline::Oval {
            left,
            top,
            right,
            bottom,
        } => {
            let (a, bb) = ((right - left) / 2.0, (bottom - top) / 2.0);
            let (cx, cy) = (left + a, top + bb);
            if a > 0.0 && bb > 0.0 {
                for y in (*top as usize)..(*bottom as usize) {
                    for x in (*left as usize)..(*right as usize) {
                        let dx = (x as f64 + 0.5 - cx) / a;
                        let dy = (y as f64 + 0.5 - cy) / bb;
                        if dx * dx + dy * dy <= 1.0 {
                            px[y * width + x] = true;
                        }
                    }
                }
            }
        }
        Outline::Polygons(polys) => {
            let mut xs: Vec<f64> = Vec::new();
            for y in 0..height {
                let yc = y as f64 + 0.5;
                xs.clear();
                for poly in polys {
                    let m = poly.len();
                    for k in 0..m {
                        let (x0, y0) = poly[k];
                        let (x1, y1) = poly[(k + 1) % m];
                        if (y0 <= yc && yc < y1) || (y1 <= yc && yc < y0) {
                            xs.push(x0 + (yc - y0) * (x1 - x0) / (y1 - y0));
                        }
                    }
                }
                xs.sort_by(f64::total_cmp);
                for pair in xs.chunks_exact(2) {
                    // pixel x is inside when pair[0] <= x + 0.5 < pair[1]
                    let from = (pair[0] - 0.5).ceil().max(0.0) as usize;
                    let to = ((pair[1] - 0.5).ceil().max(0.0) as usize).min(width);
                    for x in from..to {
                        px[y * width + x] = !px[y * width + x];
                    }
                }
            }
        }
    }
    if !px.iter().any(|&p| p) {
        return Err(mask_error(
            path,
            format!("{what} covers no pixel centre of the image"),
        ));
    }
    Ok(Mask {
        width,
        height,
        pixels: px,
    })
}

/// Loads an ImageJ `.roi` file as a mask on a `size` = (width, height) grid.
pub fn load_roi_mask(path: &Path, size: (usize, usize)) -> Result<Mask, CohortError> {
    roi_mask(path, &read_file(path)?, size)
}

/// An ImageJ `.roi` file's bytes as a mask on a `size` = (width, height)
/// grid; `path` names it.
pub(crate) fn roi_mask(
    path: &Path,
    bytes: &[u8],
    size: (usize, usize),
) -> Result<Mask, CohortError> {
    let roi = decode_roi(path, bytes)?;
    rasterise(path, &roi.outline, size.0, size.1)
}

/// Loads one ROI of an ImageJ RoiSet `.zip`: the one named `pick` (entry
/// name without `.roi`, or the ROI's own name), or the only one.
pub fn load_roiset_mask(
    path: &Path,
    size: (usize, usize),
    pick: Option<&str>,
) -> Result<Mask, CohortError> {
    roiset_mask(path, &read_file(path)?, size, pick)
}

/// One ROI of a RoiSet `.zip` from the archive's bytes (the rules of
/// [`load_roiset_mask`]); `path` names it.
pub(crate) fn roiset_mask(
    path: &Path,
    bytes: &[u8],
    size: (usize, usize),
    pick: Option<&str>,
) -> Result<Mask, CohortError> {
    let zerr = |e: zip::result::ZipError| mask_error(path, format!("cannot read RoiSet zip: {e}"));
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(zerr)?;
    let mut rois: Vec<(String, ImageJRoi)> = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(zerr)?;
        let entry_name = entry.name().to_string();
        if !entry_name.to_ascii_lowercase().ends_with(".roi") {
            continue;
        }
        let mut data = Vec::new();
        entry
            .read_to_end(&mut data)
            .map_err(|e| mask_error(path, format!("{entry_name}: {e}")))?;
        let inner = path.join(&entry_name);
        let roi = decode_roi(&inner, &data)?;
        let stem = entry_name[..entry_name.len() - 4].to_string();
        rois.push((stem, roi));
    }
    let names: Vec<String> = rois.iter().map(|(n, _)| n.clone()).collect();
    let chosen = match pick {
        Some(p) => rois
            .into_iter()
            .find(|(n, r)| n == p || r.name.as_deref() == Some(p))
            .ok_or_else(|| {
                mask_error(
                    path,
                    format!(
                        "RoiSet has no ROI named {p:?} (it holds: {})",
                        names.join(", ")
                    ),
                )
            })?,
        None => {
            if rois.len() != 1 {
                return Err(mask_error(
                    path,
                    format!(
                        "RoiSet holds {} ROIs ({}); choose the lesion's with --roi NAME",
                        rois.len(),
                        names.join(", ")
                    ),
                ));
            }
            rois.remove(0)
        }
    };
    let inner = path.join(format!("{}.roi", chosen.0));
    rasterise(&inner, &chosen.1.outline, size.0, size.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn square_polygon_fills_pixel_centres() {
        // Corners at (1,1)-(3,1)-(3,3)-(1,3): the 2×2 pixels (1..3)×(1..3).
        let o = Outline::Polygons(vec![vec![(1.0, 1.0), (3.0, 1.0), (3.0, 3.0), (1.0, 3.0)]]);
        let m = rasterise(Path::new("s.roi"), &o, 4, 4).unwrap();
        let on: Vec<usize> = (0..16).filter(|&i| m.pixels[i]).collect();
        assert_eq!(on, vec![5, 6, 9, 10]);
        // A triangle (0,0)-(4,0)-(0,4): centres with x + y + 1 < 4 → 6 pixels.
        let t = Outline::Polygons(vec![vec![(0.0, 0.0), (4.0, 0.0), (0.0, 4.0)]]);
        assert_eq!(rasterise(Path::new("t.roi"), &t, 4, 4).unwrap().area(), 6);
    }

    #[test]
    fn truncated_or_foreign_bytes_are_errors_not_panics() {
        let p = Path::new("x.roi");
        assert!(
            decode_roi(p, b"PK\x03\x04")
                .unwrap_err()
                .to_string()
                .contains("not an ImageJ ROI")
        );
        // A composite header claiming 2^31 - 1 floats in a 64-byte file.
        let mut h = vec![0u8; 64];
        h[..4].copy_from_slice(b"Iout");
        h[6] = 1;
        h[36..40].copy_from_slice(&i32::MAX.to_be_bytes());
        assert!(
            decode_roi(p, &h)
                .unwrap_err()
                .to_string()
                .contains("truncated")
        );
    }

    #[test]
    fn outside_the_image_is_an_error() {
        let o = Outline::Rect {
            left: 2.0,
            top: 2.0,
            right: 12.0,
            bottom: 5.0,
        };
        let e = rasterise(Path::new("r.roi"), &o, 10, 10)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("r.roi") && e.contains("outside the 10×10 image"),
            "{e}"
        );
    }
}
