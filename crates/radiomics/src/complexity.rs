//! Complexity curve CC_mv, CC_av, CC_sm, CC_std, CC_ent, columns 307–311
//! (handcrafted-features.md §6.5; Alvarenga, Pereira, Infantosi & Azevedo
//! 2007): the fraction of 0→1 transitions of the box binarised at every
//! threshold.
//!
//! Instead of binarising 256 times, each horizontal pair (left `a`, right `b`)
//! is a 0→1 transition exactly for thresholds `a < t ≤ b` (vertical pairs
//! likewise, top `a`, bottom `b`), so one pass fills a difference array over
//! `t`: the same integer counts, in `O(pixels + 256)`.
//!
//! As in BUSAT, CC_ent is `−Σ C log2 C` on the unnormalised curve. A constant
//! box (`max − min = 0`) gives NaN in all five columns, as §6.5 states; a
//! literal evaluation of the formulas (every `V` NaN, so `C ≡ 0`) would give
//! `[0, 0, NaN, NaN, 0]` instead. No reference value decides between the two;
//! a constant despeckled box does not occur in ultrasound data.

use crate::prepared::Prepared;
use crate::texture_util::BoxCrop;

/// Computes CC_mv, CC_av, CC_sm, CC_std, CC_ent (§6.5) in that order.
pub(crate) fn compute(p: &Prepared) -> Vec<f64> {
    let b = BoxCrop::new(p);
    curve_features(&b.grey, b.rows, b.cols)
}

/// The five complexity-curve statistics of a row-major grey block.
fn curve_features(g: &[u8], rows: usize, cols: usize) -> Vec<f64> {
    let (lo, hi) = g
        .iter()
        .fold((255u8, 0u8), |(l, h), &v| (l.min(v), h.max(v)));
    if lo == hi {
        return vec![f64::NAN; 5];
    }
    // V = fix(255·(U − min)/(max − min)); the exact rational's integer part
    // (the double quotient is never within rounding of an integer it does not
    // equal, as its denominator is ≤ 255).
    let range = (hi - lo) as u32;
    let mut lut = [0u8; 256];
    for (u, l) in lut
        .iter_mut()
        .enumerate()
        .skip(lo as usize)
        .take(range as usize + 1)
    {
        *l = (255 * (u as u32 - lo as u32) / range) as u8;
    }
    let v: Vec<u8> = g.iter().map(|&u| lut[u as usize]).collect();
    // diff[t] accumulates +1 at a+1 and −1 at b+1 for each pair with a < b.
    let mut diff = [0i64; 258];
    let mut add = |a: u8, b: u8| {
        if a < b {
            diff[a as usize + 1] += 1;
            diff[b as usize + 1] -= 1;
        }
    };
    for r in 0..rows {
        let row = &v[r * cols..(r + 1) * cols];
        for c in 0..cols - 1 {
            add(row[c], row[c + 1]);
        }
        if r + 1 < rows {
            let below = &v[(r + 1) * cols..(r + 2) * cols];
            for (&a, &b) in row.iter().zip(below) {
                add(a, b);
            }
        }
    }
    let pairs = (cols * (rows - 1) + rows * (cols - 1)) as f64;
    let mut curve = [0.0f64; 256];
    let mut running = 0i64;
    for (t, c) in curve.iter_mut().enumerate() {
        running += diff[t];
        *c = running as f64 / pairs;
    }
    let mv = curve.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let total: f64 = curve.iter().sum();
    let av = total / 256.0;
    let sm = curve
        .iter()
        .enumerate()
        .map(|(t, c)| t as f64 * c)
        .sum::<f64>()
        / total;
    let var = curve
        .iter()
        .enumerate()
        .map(|(t, c)| (t as f64 - sm).powi(2) * c)
        .sum::<f64>()
        / total;
    let ent = -curve
        .iter()
        .filter(|&&c| c > 0.0)
        .map(|c| c * c.log2())
        .sum::<f64>();
    vec![mv, av, sm, var.sqrt(), ent]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::texture_util::fixtures;

    #[test]
    fn complexity_matches_busat_on_bus01() {
        let p = fixtures::prepared("BUS01");
        fixtures::assert_columns(307, &compute(&p), 1e-9);
    }

    #[test]
    fn difference_array_equals_256_binarisations() {
        // §6.5 literally: rescale, binarise at every t, count 0→1 pairs.
        let mut state = 3u64;
        for (rows, cols) in [(1, 5), (4, 1), (7, 9), (16, 13)] {
            let g: Vec<u8> = (0..rows * cols)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    40 + (state >> 20) as u8 % 90
                })
                .collect();
            let (lo, hi) = (
                *g.iter().min().unwrap() as f64,
                *g.iter().max().unwrap() as f64,
            );
            let v: Vec<f64> = g
                .iter()
                .map(|&u| (255.0 * (u as f64 - lo) / (hi - lo)).trunc())
                .collect();
            let pairs = (cols * (rows - 1) + rows * (cols - 1)) as f64;
            let curve: Vec<f64> = (0..256)
                .map(|t| {
                    let b = |r: usize, c: usize| v[r * cols + c] >= t as f64;
                    let mut n = 0;
                    for r in 0..rows {
                        for c in 0..cols {
                            n += (c + 1 < cols && !b(r, c) && b(r, c + 1)) as usize;
                            n += (r + 1 < rows && !b(r, c) && b(r + 1, c)) as usize;
                        }
                    }
                    n as f64 / pairs
                })
                .collect();
            let total: f64 = curve.iter().sum();
            let sm = curve
                .iter()
                .enumerate()
                .map(|(t, c)| t as f64 * c)
                .sum::<f64>()
                / total;
            let var = curve
                .iter()
                .enumerate()
                .map(|(t, c)| (t as f64 - sm).powi(2) * c)
                .sum::<f64>()
                / total;
            let want = [
                curve.iter().cloned().fold(0.0, f64::max),
                total / 256.0,
                sm,
                var.sqrt(),
                -curve
                    .iter()
                    .filter(|&&c| c > 0.0)
                    .map(|c| c * c.log2())
                    .sum::<f64>(),
            ];
            let got = curve_features(&g, rows, cols);
            for (k, (a, b)) in got.iter().zip(want).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-12 * b.abs().max(1.0),
                    "{rows}×{cols} stat {k}: {a} vs {b}"
                );
            }
        }
    }

    #[test]
    fn complexity_curve_by_hand() {
        // 2×2 block [0 255; 255 0]: V = U. Pairs: (0,255) left→right in row 1,
        // (255,0) in row 2, (0,255) top→bottom in column 1, (255,0) in column 2.
        // Two 0→1 transitions for every t in 1..=255, none at t = 0; 4 pairs.
        // C = 1/2 on t = 1..255: mv = 1/2, av = 255/512, sm = 128,
        // std = sqrt(mean of (t−128)² over 1..255) = sqrt(2·Σ_{k≤127} k²/255)
        // = sqrt(127·128/3),
        // ent = −255·(1/2)·log2(1/2) = 127.5.
        let got = curve_features(&[0, 255, 255, 0], 2, 2);
        let want = [
            0.5,
            255.0 / 512.0,
            128.0,
            (127.0f64 * 128.0 / 3.0).sqrt(),
            127.5,
        ];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-12 * w, "{got:?}");
        }
        assert!(curve_features(&[7, 7, 7, 7], 2, 2)[0].is_nan());
    }
}
