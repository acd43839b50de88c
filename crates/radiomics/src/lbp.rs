//! Local binary pattern histogram LBP_0 … LBP_255, columns 51–306
//! (handcrafted-features.md §6.4), as computed by BUSAT's binary gradient
//! contour module (Fernández, Álvarez & Bianconi 2011).
//!
//! Where the code follows BUSAT rather than the textbook LBP (Ojala et al.):
//! the eight neighbour bits carry weights 2…256 instead of 1…128, so codes are
//! even numbers in 0…510; the histogram has 256 unit bins centred on 0…255,
//! so every odd bin is always 0 and every code ≥ 256 (down-right neighbour ≥
//! centre) lands in the last bin, LBP_255. Radius 1, no interpolation, box
//! unmasked, outer ring of the box not counted, counts divided by
//! `(rows−2)(cols−2)`. Not rotation-invariant, not "uniform".

use crate::prepared::Prepared;
use crate::texture_util::BoxCrop;

/// Neighbour offsets (row, column) for bits n = 1..8 (weights 2^1..2^8):
/// right, up-right, up, up-left, left, down-left, down, down-right.
const NEIGHBOURS: [(isize, isize); 8] = [
    (0, 1),
    (-1, 1),
    (-1, 0),
    (-1, -1),
    (0, -1),
    (1, -1),
    (1, 0),
    (1, 1),
];

/// Computes LBP_0 … LBP_255 (§6.4), 256 values in bin order. A box less than
/// 3 pixels high or wide has no counted pixel and gives 256 NaN (0/0).
pub(crate) fn compute(p: &Prepared) -> Vec<f64> {
    let b = BoxCrop::new(p);
    histogram(&b.grey, b.rows, b.cols)
}

/// The normalised 256-bin histogram of BUSAT's LBP codes of a row-major block.
fn histogram(g: &[u8], rows: usize, cols: usize) -> Vec<f64> {
    let mut counts = [0u64; 256];
    for r in 1..rows.saturating_sub(1) {
        for c in 1..cols - 1 {
            let centre = g[r * cols + c];
            let mut code = 0usize;
            for (k, &(dr, dc)) in NEIGHBOURS.iter().enumerate() {
                let v = g[(r as isize + dr) as usize * cols + (c as isize + dc) as usize];
                code |= ((v >= centre) as usize) << (k + 1);
            }
            counts[code.min(255)] += 1;
        }
    }
    let n = (rows.saturating_sub(2) * cols.saturating_sub(2)) as f64;
    counts.iter().map(|&c| c as f64 / n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::texture_util::fixtures;

    #[test]
    fn lbp_matches_busat_on_bus01() {
        let p = fixtures::prepared("BUS01");
        let got = compute(&p);
        assert_eq!(got.len(), 256);
        fixtures::assert_columns(51, &got, 1e-9);
    }

    #[test]
    fn lbp_codes_by_hand() {
        // 3×3 block, one counted pixel (centre 5). Neighbours ≥ 5: right (7),
        // up (9), left (5): bits 1, 3, 5 → code 2 + 8 + 32 = 42.
        #[rustfmt::skip]
        let g = [1, 9, 0,
                 5, 5, 7,
                 0, 4, 1];
        let h = histogram(&g, 3, 3);
        assert_eq!(h[42], 1.0);
        assert_eq!(h.iter().sum::<f64>(), 1.0);
        // Down-right neighbour ≥ centre puts the code (≥ 256) in the last bin.
        let g = [0, 0, 0, 0, 5, 0, 0, 0, 6];
        assert_eq!(histogram(&g, 3, 3)[255], 1.0);
    }
}
