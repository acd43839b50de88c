//! Helpers shared by the §6 texture families (handcrafted-features.md): the
//! lesion box cropped out of the despeckled image and the unnormalised,
//! unsymmetrised co-occurrence counts used by GLCM (§6.7) and the ranklet
//! GLCM (§6.9).

use crate::prepared::Prepared;

/// `ε = 2^-52`, MATLAB's `eps`, added inside logarithms as the toolbox does.
pub(crate) const EPS: f64 = f64::EPSILON;

/// The lesion box of `U` (§1 "box"): row-major grey levels and lesion flags.
pub(crate) struct BoxCrop {
    /// Box rows.
    pub rows: usize,
    /// Box columns.
    pub cols: usize,
    /// `U` inside the box, row-major.
    pub grey: Vec<u8>,
    /// `Ω` inside the box, row-major.
    pub lesion: Vec<bool>,
}

impl BoxCrop {
    /// Crops the box of `p`'s lesion out of `U` and the mask.
    pub fn new(p: &Prepared) -> Self {
        let b = p.bbox;
        let (rows, cols) = (b.rows(), b.cols());
        let mut grey = Vec::with_capacity(rows * cols);
        let mut lesion = Vec::with_capacity(rows * cols);
        for r in b.row0..=b.row1 {
            let s = r * p.width + b.col0;
            grey.extend_from_slice(&p.image[s..s + cols]);
            lesion.extend_from_slice(&p.mask[s..s + cols]);
        }
        Self {
            rows,
            cols,
            grey,
            lesion,
        }
    }
}

/// The four GLCM directions 0°, 45°, 90°, 135° as unit displacements
/// (row, column) of the neighbour relative to the reference pixel (§6.7).
pub(crate) const DIRECTIONS: [(isize, isize); 4] = [(0, 1), (-1, 1), (-1, 0), (-1, -1)];

/// Co-occurrence counts `P(a, b)` of levels `1..=q` (§6.7): reference pixel
/// level `a` (row), neighbour at displacement `(dr, dc)` level `b` (column),
/// both inside the box and both non-missing (level 0 = missing). Returns a
/// `q × q` row-major count matrix (index `(a−1)·q + (b−1)`) and the pair
/// count. Not symmetrised, as in the toolbox.
pub(crate) fn cooccurrence(
    levels: &[u8],
    rows: usize,
    cols: usize,
    q: usize,
    dr: isize,
    dc: isize,
    counts: &mut Vec<u32>,
) -> u64 {
    // Counted branch-free into a (q+1)² matrix whose row and column 0 take
    // the pairs with a missing pixel, then compacted; wrapping ops keep the
    // dev profile's overflow checks out of the loop (indices < (q+1)², counts
    // < pixels).
    let q1 = q + 1;
    let mut full = vec![0u32; q1 * q1];
    // Reference rows/columns whose neighbour stays inside the box.
    let r_lo = (-dr).max(0) as usize;
    let r_hi = (rows as isize - dr.max(0)).max(0) as usize;
    let c_lo = (-dc).max(0) as usize;
    let c_hi = (cols as isize - dc.max(0)).max(0) as usize;
    // A box narrower than the displacement has no pair.
    let r_hi = if c_lo < c_hi { r_hi } else { 0 };
    for r in r_lo..r_hi {
        let nr = (r as isize + dr) as usize;
        let row = &levels[r * cols + c_lo..r * cols + c_hi];
        let n0 = (nr * cols + c_lo) as isize + dc;
        let nrow = &levels[n0 as usize..n0 as usize + row.len()];
        for (&a, &b) in row.iter().zip(nrow) {
            let k = (a as usize).wrapping_mul(q1).wrapping_add(b as usize);
            full[k] = full[k].wrapping_add(1);
        }
    }
    counts.clear();
    let mut total = 0u64;
    for a in 1..q1 {
        let src = &full[a * q1 + 1..(a + 1) * q1];
        total += src.iter().map(|&c| c as u64).sum::<u64>();
        counts.extend_from_slice(src);
    }
    total
}

/// Test fixtures: the BUS01 sample and BUSAT's reference values for it.
#[cfg(test)]
pub(crate) mod fixtures {
    use crate::prepared::Prepared;
    use std::path::PathBuf;

    /// Path of a file in `tests/fixtures/`.
    fn fixture(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name)
    }

    /// Loads `<id>.png` and `<id>_mask.png` (non-zero = lesion) and prepares them.
    pub fn prepared(id: &str) -> Prepared {
        let img = image::open(fixture(&format!("{id}.png")))
            .unwrap_or_else(|e| panic!("fixture {id}.png missing or unreadable: {e}"))
            .to_luma8();
        let mask = image::open(fixture(&format!("{id}_mask.png")))
            .unwrap_or_else(|e| panic!("fixture {id}_mask.png missing or unreadable: {e}"))
            .to_luma8();
        let (w, h) = img.dimensions();
        let m: Vec<bool> = mask.as_raw().iter().map(|&v| v != 0).collect();
        Prepared::new(w as usize, h as usize, img.as_raw(), &m).expect("fixture prepares")
    }

    /// BUSAT's reference row for BUS01: (column name, value), in CSV order.
    pub fn reference() -> Vec<(String, f64)> {
        let text = std::fs::read_to_string(fixture("BUS01_reference.csv"))
            .expect("fixture BUS01_reference.csv missing");
        let mut lines = text.lines();
        let names = lines.next().expect("header").split(',');
        let values = lines.next().expect("value row").split(',');
        names
            .zip(values)
            .map(|(n, v)| {
                let x = if v == "NA" {
                    f64::NAN
                } else {
                    v.parse().expect("number")
                };
                (n.trim_matches('"').to_string(), x)
            })
            .collect()
    }

    /// Asserts `got` equals the reference columns `first..first+got.len()`
    /// (1-based CSV columns, counting `id` and `ALN_status` as 1 and 2, as
    /// handcrafted-features.md §4 does) within 1e-6 relative, or `abs_tol`
    /// absolute when the reference is that close to zero.
    pub fn assert_columns(first: usize, got: &[f64], abs_tol: f64) {
        let reference = reference();
        let want = &reference[first - 3..first - 3 + got.len()];
        let mut bad = Vec::new();
        for ((name, w), g) in want.iter().zip(got) {
            let ok = if w.is_nan() {
                g.is_nan()
            } else {
                (g - w).abs() <= 1e-6 * w.abs() || (g - w).abs() <= abs_tol
            };
            if !ok {
                bad.push(format!("{name}: got {g:.17e}, BUSAT {w:.17e}"));
            }
        }
        assert!(
            bad.is_empty(),
            "{} of {} columns differ:\n{}",
            bad.len(),
            got.len(),
            bad.join("\n")
        );
    }

    /// A `w × h` test case whose `U` is pseudo-random (xorshift64 from `seed`)
    /// with many ties (levels 0..12, some 250..255) and whose lesion is the
    /// disk of radius `radius` around (`cy`, `cx`), clipped by the image, so
    /// that it can touch the borders. For checks against brute-force
    /// definitions.
    pub fn random_case(w: usize, h: usize, seed: u64, cy: f64, cx: f64, radius: f64) -> Prepared {
        let mut state = seed.max(1);
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let img: Vec<u8> = (0..w * h)
            .map(|_| {
                let r = next();
                if r % 7 == 0 {
                    250 + (r >> 8) as u8 % 6
                } else {
                    (r >> 8) as u8 % 13
                }
            })
            .collect();
        let mask: Vec<bool> = (0..w * h)
            .map(|i| {
                let (y, x) = ((i / w) as f64, (i % w) as f64);
                (y - cy).powi(2) + (x - cx).powi(2) <= radius * radius
            })
            .collect();
        with_image(w, h, img, mask)
    }

    /// A `Prepared` whose `U` is `img` itself (no despeckling), for hand derivations.
    pub fn with_image(w: usize, h: usize, img: Vec<u8>, mask: Vec<bool>) -> Prepared {
        let mut p = Prepared::new(w, h, &img, &mask).expect("valid test input");
        p.image = img;
        p
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cooccurrence_by_hand() {
        // Levels (0 = missing):   1 2 0
        //                         2 2 1
        // 0° (0, 1): pairs (1,2), (2,2), (2,1); (2,0) is missing → 3 pairs.
        // 135° (−1, −1) from the bottom row: (2 at (1,1)) → (1 at (0,0)),
        // (1 at (1,2)) → (2 at (0,1)) → 2 pairs. Displacement 8 fits no pair.
        let lv = [1u8, 2, 0, 2, 2, 1];
        let mut c = Vec::new();
        assert_eq!(super::cooccurrence(&lv, 2, 3, 2, 0, 1, &mut c), 3);
        assert_eq!(c, vec![0, 1, 1, 1]);
        assert_eq!(super::cooccurrence(&lv, 2, 3, 2, -1, -1, &mut c), 2);
        assert_eq!(c, vec![0, 1, 1, 0]);
        assert_eq!(super::cooccurrence(&lv, 2, 3, 2, -8, -8, &mut c), 0);
        assert_eq!(c, vec![0; 4]);
    }
}
