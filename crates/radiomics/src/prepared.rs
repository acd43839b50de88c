//! The input every feature family reads: the whole despeckled image and the
//! cleaned lesion mask (handcrafted-features.md §2), never a crop.

pub use crate::blocks::BBox;
use crate::blocks::{Binary, label8};
use crate::error::RadiomicsError;
use crate::preprocess::{isf, remove_isolated};

/// The despeckled image and cleaned mask every family reads (whole image, never a crop).
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Image width (columns).
    pub width: usize,
    /// Image height (rows).
    pub height: usize,
    /// The ISF-despeckled image `U` (§2.4), row-major; all 544 features read this.
    pub image: Vec<u8>,
    /// The input grey image, row-major (kept for diagnostics; no feature reads it).
    pub raw: Vec<u8>,
    /// Lesion mask `Ω`, row-major, isolated pixels removed (§2.3).
    pub mask: Vec<bool>,
    /// Bounding box of `Ω`.
    pub bbox: BBox,
    /// Lesion pixel indices (`row * width + col`) in column-major order
    /// (smallest column, then smallest row), the toolbox's scan order.
    pub pixels: Vec<usize>,
    /// Centroid of `Ω` as (mean row, mean column), 0-based.
    pub centroid: (f64, f64),
    /// The lesion's skeleton on its framed box, computed once on first use
    /// (shape's sENS and margin's mMA both need it, §5.1, §5.3).
    skeleton: std::sync::OnceLock<Binary>,
}

impl Prepared {
    /// Validates the inputs, removes isolated mask pixels, checks that one
    /// lesion region remains and despeckles the image with ISF (§2).
    ///
    /// `grey` is row-major 8-bit (convert colour or 16-bit input first, §2.2);
    /// `mask` is row-major, `true` = lesion. Several 8-connected regions are an
    /// error ([`RadiomicsError::MultipleRegions`]) rather than BUSAT's silent
    /// use of the first region in some steps (§2.3).
    pub fn new(
        width: usize,
        height: usize,
        grey: &[u8],
        mask: &[bool],
    ) -> Result<Self, RadiomicsError> {
        let expected = width * height;
        if grey.len() != expected {
            return Err(RadiomicsError::ImageSize {
                width,
                height,
                found: grey.len(),
                expected,
            });
        }
        if mask.len() != expected {
            return Err(RadiomicsError::MaskSize {
                width,
                height,
                found: mask.len(),
                expected,
            });
        }
        let found = mask.iter().filter(|&&m| m).count();
        let mask = remove_isolated(width, height, mask);
        let mut pixels = Vec::new();
        let (mut sr, mut sc) = (0.0f64, 0.0f64);
        let mut bbox = BBox {
            row0: usize::MAX,
            row1: 0,
            col0: usize::MAX,
            col1: 0,
        };
        for c in 0..width {
            for r in 0..height {
                let i = r * width + c;
                if mask[i] {
                    pixels.push(i);
                    sr += r as f64;
                    sc += c as f64;
                    bbox.row0 = bbox.row0.min(r);
                    bbox.row1 = bbox.row1.max(r);
                    bbox.col0 = bbox.col0.min(c);
                    bbox.col1 = bbox.col1.max(c);
                }
            }
        }
        if pixels.is_empty() {
            return Err(RadiomicsError::EmptyMask { found });
        }
        // Regions are counted on the box of all remaining mask pixels.
        let crop = crate::blocks::Window {
            row0: bbox.row0,
            col0: bbox.col0,
            rows: bbox.rows(),
            cols: bbox.cols(),
        }
        .crop(width, &mask);
        let (_, sizes) = label8(crop.width, crop.height, &crop.data);
        if sizes.len() > 1 {
            let count = sizes.len();
            let mut sizes = sizes;
            sizes.sort_unstable_by(|a, b| b.cmp(a));
            return Err(RadiomicsError::MultipleRegions { count, sizes });
        }
        let n = pixels.len() as f64;
        let image = isf(width, height, grey);
        Ok(Self {
            width,
            height,
            image,
            raw: grey.to_vec(),
            mask,
            bbox,
            pixels,
            centroid: (sr / n, sc / n),
            skeleton: std::sync::OnceLock::new(),
        })
    }

    /// Skeleton of the lesion (§3, 102-iteration cap) on `B`, the box
    /// enlarged by one background pixel ([`lesion_in_frame`]).
    /// Computed on first call from the current mask, then kept.
    pub fn skeleton(&self) -> &Binary {
        self.skeleton
            .get_or_init(|| crate::blocks::skeleton(&lesion_in_frame(self)))
    }

    /// Lesion pixel count `A`.
    pub fn area(&self) -> usize {
        self.pixels.len()
    }
}

/// The lesion on `B`, its box enlarged by one background pixel on every
/// side (§5.1, §5.3); the frame may lie outside the image.
pub fn lesion_in_frame(p: &Prepared) -> Binary {
    let bb = p.bbox;
    let (rows, cols) = (bb.rows() + 2, bb.cols() + 2);
    let mut b = Binary::new(cols, rows);
    for r in 0..bb.rows() {
        let src = (bb.row0 + r) * p.width + bb.col0;
        b.data[(r + 1) * cols + 1..(r + 1) * cols + 1 + bb.cols()]
            .copy_from_slice(&p.mask[src..src + bb.cols()]);
    }
    b
}

/// Lesion pixels of `p` as (row, col), column-major order.
pub fn lesion_pixels(p: &Prepared) -> Vec<(usize, usize)> {
    p.pixels
        .iter()
        .map(|&i| (i / p.width, i % p.width))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask(rows: &[&str]) -> Vec<bool> {
        rows.iter()
            .flat_map(|r| r.bytes().map(|b| b == b'#'))
            .collect()
    }

    #[test]
    fn sizes_are_checked() {
        let e = Prepared::new(3, 2, &[0; 5], &[true; 6]).unwrap_err();
        assert_eq!(
            e,
            RadiomicsError::ImageSize {
                width: 3,
                height: 2,
                found: 5,
                expected: 6
            }
        );
        let e = Prepared::new(3, 2, &[0; 6], &[true; 7]).unwrap_err();
        assert_eq!(
            e,
            RadiomicsError::MaskSize {
                width: 3,
                height: 2,
                found: 7,
                expected: 6
            }
        );
        assert!(e.to_string().contains("7 pixels"));
    }

    #[test]
    fn isolated_pixels_only_is_an_empty_mask() {
        let m = mask(&["#....", ".....", "..#..", ".....", "....#"]);
        let e = Prepared::new(5, 5, &[9; 25], &m).unwrap_err();
        assert_eq!(e, RadiomicsError::EmptyMask { found: 3 });
    }

    #[test]
    fn two_regions_are_an_error_naming_the_count() {
        let m = mask(&["##...", "##...", ".....", "...##", "....#"]);
        let e = Prepared::new(5, 5, &[9; 25], &m).unwrap_err();
        assert_eq!(
            e,
            RadiomicsError::MultipleRegions {
                count: 2,
                sizes: vec![4, 3]
            }
        );
        assert!(e.to_string().contains("2 separate"));
    }

    #[test]
    fn box_centroid_and_scan_order() {
        // Isolated (0,4) is dropped; the region is (1,1),(1,2),(2,1).
        let m = mask(&["....#", ".##..", ".#...", "....."]);
        let p = Prepared::new(5, 4, &[7; 20], &m).unwrap();
        assert_eq!(
            p.bbox,
            BBox {
                row0: 1,
                row1: 2,
                col0: 1,
                col1: 2
            }
        );
        assert_eq!(p.pixels, vec![6, 11, 7]);
        assert_eq!(p.centroid, (4.0 / 3.0, 4.0 / 3.0));
        assert!(!p.mask[4]);
        // A flat image is left unchanged by ISF.
        assert!(p.image.iter().all(|&v| v == 7));
    }

    #[test]
    fn shape_window_holds_all_of_the_ellipse_with_a_margin() {
        // Tilted lobulated regions, one clipped by the image border: every
        // pixel of BUSAT's ellipse over the whole image lies in the window,
        // and the window's edges are background unless they are image edges.
        for (w, h, cy, cx, tilt) in [(60, 40, 20.0, 30.0, 0.6), (50, 50, 5.0, 25.0, -1.1)] {
            let mask: Vec<bool> = (0..w * h)
                .map(|i| {
                    let (y, x) = ((i / w) as f64 - cy, (i % w) as f64 - cx);
                    let (u, v) = (
                        x * f64::cos(tilt) + y * f64::sin(tilt),
                        -x * f64::sin(tilt) + y * f64::cos(tilt),
                    );
                    (u / 14.0).powi(2) + (v / 6.0).powi(2) < 1.0 + 0.2 * (5.0 * v.atan2(u)).sin()
                })
                .collect();
            let p = Prepared::new(w, h, &vec![0; w * h], &mask).expect("valid");
            let pix: Vec<(usize, usize)> = p.pixels.iter().map(|&i| (i / w, i % w)).collect();
            let full = crate::blocks::equivalent_ellipse(w, h, &pix, p.centroid);
            let win = crate::blocks::shape_window(w, h, &pix, p.centroid, p.bbox);
            let part = crate::blocks::equivalent_ellipse_in(win, &pix, p.centroid);
            assert_eq!(full.count(), part.count());
            for (r, c) in full.pixels().into_iter().chain(pix.iter().copied()) {
                let inside_r = r > win.row0 || r == 0;
                let inside_c = c > win.col0 || c == 0;
                let below_r = r < win.row0 + win.rows - 1 || r == h - 1;
                let below_c = c < win.col0 + win.cols - 1 || c == w - 1;
                assert!(
                    inside_r && inside_c && below_r && below_c,
                    "({r},{c}) on the window edge"
                );
            }
        }
    }
}
