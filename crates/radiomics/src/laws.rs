//! Laws' texture energy `e<K>_<stat>`, columns 404–473
//! (handcrafted-features.md §6.8; Laws 1979; Kriti, Virmani, Dey & Kumar
//! 2016): 14 rotation-averaged energy images from the 5×5 Laws masks,
//! summarised by five statistics over the lesion.
//!
//! Where the code follows BUSAT rather than the textbook:
//! - each filter response is divided pixelwise by the L5L5 response of
//!   `J = U + 1` before the absolute value and the 15×15 window *sum* (not
//!   mean), zeros outside the image;
//! - the statistics sum over the lesion pixels of the box but divide by the
//!   box pixel count `n_box`, not by the lesion area.
//!
//! The filter responses of the integer image `J` are integers below 2^31, held
//! exactly in `f64` (which also keeps the dev profile's overflow checks out of
//! the hot loops); they are correlations, which differ from the toolbox's
//! convolutions only in sign, removed by the absolute value. The two
//! orientations of a pair are averaged before the window sum rather than
//! after, as `(|K_XY| + |K_YX|)·(1/(2·K_L5L5))`, and the 15×15 sums are
//! pairwise-tree (horizontal) and running (vertical) sums: all equal to the
//! toolbox's order of operations up to rounding (largest relative difference
//! from BUSAT on BUS01: 7e-14).
//! Hand-written rather than a general convolution crate: the kernels are
//! separable 5-tap integer vectors and only the box ± 7 pixels is needed.

use crate::prepared::Prepared;

/// L5, E5, S5, W5, R5 (§6.8 step 1).
const VECTORS: [[i32; 5]; 5] = [
    [1, 4, 6, 4, 1],
    [-1, -2, 0, 2, 1],
    [-1, 0, 2, 0, -1],
    [-1, 2, 0, -2, 1],
    [1, -4, 6, -4, 1],
];
/// Half-width of the 15×15 energy window.
const WIN: usize = 7;

/// The 14 pairs (later, earlier) in released name order: eE5L5, eS5L5, eW5L5,
/// eR5L5, eE5E5, eS5E5, eW5E5, eR5E5, eS5S5, eW5S5, eR5S5, eW5W5, eR5W5, eR5R5.
const PAIRS: [(usize, usize); 14] = [
    (1, 0),
    (2, 0),
    (3, 0),
    (4, 0),
    (1, 1),
    (2, 1),
    (3, 1),
    (4, 1),
    (2, 2),
    (3, 2),
    (4, 2),
    (3, 3),
    (4, 3),
    (4, 4),
];

/// Computes the 70 Laws columns (§6.8 step 5): the 14 `_mean` in [`PAIRS`]
/// order, then the 14 `_std`, `_skw`, `_kur` and `_egy`.
pub(crate) fn compute(p: &Prepared) -> Vec<f64> {
    let (w, h) = (p.width, p.height);
    let b = p.bbox;
    // Region whose energies feed the 15×15 sums at box pixels.
    let r0 = b.row0.saturating_sub(WIN);
    let r1 = (b.row1 + WIN).min(h - 1);
    let c0 = b.col0.saturating_sub(WIN);
    let c1 = (b.col1 + WIN).min(w - 1);
    let (rh, rw) = (r1 - r0 + 1, c1 - c0 + 1);
    // Vertical pass over columns c0−2..c1+2 (zeros outside the image).
    let ew = rw + 4;
    let mut vert = vec![vec![0.0f64; rh * ew]; 5];
    for y in 0..rh {
        let gy = (r0 + y) as isize;
        for xe in 0..ew {
            let gx = c0 as isize + xe as isize - 2;
            if gx < 0 || gx >= w as isize {
                continue;
            }
            let mut col = [0.0f64; 5];
            for (k, v) in col.iter_mut().enumerate() {
                let yy = gy + k as isize - 2;
                if yy >= 0 && yy < h as isize {
                    *v = p.image[yy as usize * w + gx as usize] as f64 + 1.0;
                }
            }
            for (vi, vec) in VECTORS.iter().enumerate() {
                vert[vi][y * ew + xe] = (0..5).map(|k| vec[k] as f64 * col[k]).sum();
            }
        }
    }
    // Horizontal pass: response of kernel (vertical vi, horizontal hj), exact.
    let response =
        |vi: usize, hj: usize, out: &mut Vec<f64>| {
            out.clear();
            let v = &vert[vi];
            let hv = VECTORS[hj].map(|v| v as f64);
            for y in 0..rh {
                let row = &v[y * ew..(y + 1) * ew];
                out.extend(row.windows(5).map(|s| {
                    hv[0] * s[0] + hv[1] * s[1] + hv[2] * s[2] + hv[3] * s[3] + hv[4] * s[4]
                }));
            }
        };
    let mut norm = Vec::with_capacity(rh * rw);
    response(0, 0, &mut norm);
    // 1/(2·K_L5L5): the pair average is (|K_XY| + |K_YX|)/(2·K_L5L5), taken as
    // a product with this reciprocal (one division per pixel, not fourteen;
    // it differs from the division by at most one rounding).
    let inv2: Vec<f64> = norm.iter().map(|&v| 0.5 / v).collect();

    let (bh, bw) = (b.rows(), b.cols());
    let n_box = (bh * bw) as f64;
    // Box offsets inside the region.
    let (oy, ox) = (b.row0 - r0, b.col0 - c0);
    let lesion: Vec<bool> = (0..bh)
        .flat_map(|y| {
            p.mask[(b.row0 + y) * w + b.col0..=(b.row0 + y) * w + b.col1]
                .iter()
                .copied()
        })
        .collect();
    let mut out = vec![0.0; 70];
    let mut hsum = vec![0.0; rh * bw];
    // An energy row with WIN zeros on each side, and scratch for the sums.
    let mut padded_row = vec![0.0; rw + 2 * WIN];
    let mut tree = vec![0.0; 3 * (bw + 2 * WIN)];
    let mut colsum = vec![0.0; bw];
    // Window sums at the lesion pixels of the box, in row-major order.
    let mut t = Vec::with_capacity(bh * bw);
    for (pi, &(x, y)) in PAIRS.iter().enumerate() {
        let (hx, hy) = (VECTORS[x].map(|v| v as f64), VECTORS[y].map(|v| v as f64));
        // Energy row by row: (|K_XY| + |K_YX|)/(2·K_L5L5) with K_XY = vertical
        // X then horizontal Y; then horizontal 15-sums by a pairwise tree
        // (independent across columns, so they vectorise).
        for yy in 0..rh {
            let vx = &vert[x][yy * ew..(yy + 1) * ew];
            let vy = &vert[y][yy * ew..(yy + 1) * ew];
            let n2 = &inv2[yy * rw..(yy + 1) * rw];
            let dst = &mut padded_row[WIN..WIN + rw];
            for (((e, a), c), n) in dst.iter_mut().zip(vx.windows(5)).zip(vy.windows(5)).zip(n2) {
                let k1 = hy[0] * a[0] + hy[1] * a[1] + hy[2] * a[2] + hy[3] * a[3] + hy[4] * a[4];
                let k2 = hx[0] * c[0] + hx[1] * c[1] + hx[2] * c[2] + hx[3] * c[3] + hx[4] * c[4];
                *e = (k1.abs() + k2.abs()) * n;
            }
            window_sum_15(
                &padded_row[ox..ox + bw + 2 * WIN],
                &mut hsum[yy * bw..(yy + 1) * bw],
                &mut tree,
            );
        }
        // Running vertical 15-sums (zeros outside the image = outside the
        // region), kept at lesion pixels only.
        t.clear();
        colsum.fill(0.0);
        for yy in oy.saturating_sub(WIN)..=(oy + WIN).min(rh - 1) {
            for (c, h) in colsum.iter_mut().zip(&hsum[yy * bw..(yy + 1) * bw]) {
                *c += h;
            }
        }
        for by in 0..bh {
            let cy = oy + by;
            if by > 0 && cy + WIN < rh {
                for (c, h) in colsum
                    .iter_mut()
                    .zip(&hsum[(cy + WIN) * bw..(cy + WIN + 1) * bw])
                {
                    *c += h;
                }
            }
            if by > 0 && cy > WIN {
                let old = cy - WIN - 1;
                for (c, h) in colsum.iter_mut().zip(&hsum[old * bw..(old + 1) * bw]) {
                    *c -= h;
                }
            }
            let m = &lesion[by * bw..(by + 1) * bw];
            t.extend(colsum.iter().zip(m).filter(|(_, l)| **l).map(|(v, _)| *v));
        }
        let stats = box_normalised_stats(&t, n_box);
        for (s, v) in stats.iter().enumerate() {
            out[s * PAIRS.len() + pi] = *v;
        }
    }
    out
}

/// `out[x] = Σ_{k<15} row[x + k]` for `x < out.len()` (`row.len() = out.len() + 14`),
/// summed as (8 + 4) + (2 + 1) pairwise blocks; `tree` is scratch space.
fn window_sum_15(row: &[f64], out: &mut [f64], tree: &mut [f64]) {
    let n = row.len();
    let (s2, rest) = tree.split_at_mut(n);
    let (s4, s8) = rest.split_at_mut(n);
    for x in 0..n - 1 {
        s2[x] = row[x] + row[x + 1];
    }
    for x in 0..n - 3 {
        s4[x] = s2[x] + s2[x + 2];
    }
    for x in 0..n - 7 {
        s8[x] = s4[x] + s4[x + 4];
    }
    for (x, o) in out.iter_mut().enumerate() {
        *o = (s8[x] + s4[x + 8]) + (s2[x + 12] + row[x + 14]);
    }
}

/// mean, sd, skewness, excess kurtosis and energy of the lesion values `t`,
/// every sum divided by `n_box` (the BUSAT quirk of §6.8 step 4).
fn box_normalised_stats(t: &[f64], n_box: f64) -> [f64; 5] {
    let m = t.iter().sum::<f64>() / n_box;
    let (mut s2, mut s3, mut s4, mut e) = (0.0, 0.0, 0.0, 0.0);
    for &v in t {
        let d = v - m;
        let d2 = d * d;
        s2 += d2;
        s3 += d2 * d;
        s4 += d2 * d2;
        e += v * v;
    }
    let sd = (s2 / n_box).sqrt();
    [
        m,
        sd,
        s3 / (n_box * sd.powi(3)),
        s4 / (n_box * sd.powi(4)) - 3.0,
        e / n_box,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prepared::Prepared;
    use crate::texture_util::fixtures;

    #[test]
    fn laws_matches_busat_on_bus01() {
        let p = fixtures::prepared("BUS01");
        let got = compute(&p);
        assert_eq!(got.len(), 70);
        fixtures::assert_columns(404, &got, 1e-9);
    }

    /// §6.8 evaluated literally: 2-D *convolution* with each of the 25
    /// kernels (zeros outside), division by the L5L5 response, absolute value,
    /// 15×15 sum (zeros outside), crop, average of the two orientations.
    fn brute_force(p: &Prepared) -> Vec<f64> {
        let (w, h) = (p.width as isize, p.height as isize);
        let j = |y: isize, x: isize| -> f64 {
            if y < 0 || x < 0 || y >= h || x >= w {
                0.0
            } else {
                p.image[(y * w + x) as usize] as f64 + 1.0
            }
        };
        let conv = |vi: usize, hj: usize, y: isize, x: isize| -> f64 {
            let mut s = 0.0;
            for a in 0..5isize {
                for b in 0..5isize {
                    let k = (VECTORS[vi][a as usize] * VECTORS[hj][b as usize]) as f64;
                    s += k * j(y - a + 2, x - b + 2);
                }
            }
            s
        };
        let energy = |vi: usize, hj: usize, y: isize, x: isize| -> f64 {
            let mut s = 0.0;
            for yy in (y - 7).max(0)..=(y + 7).min(h - 1) {
                for xx in (x - 7).max(0)..=(x + 7).min(w - 1) {
                    s += (conv(vi, hj, yy, xx) / conv(0, 0, yy, xx)).abs();
                }
            }
            s
        };
        let b = p.bbox;
        let n_box = (b.rows() * b.cols()) as f64;
        let mut out = vec![0.0; 70];
        for (pi, &(x, y)) in PAIRS.iter().enumerate() {
            let mut t = Vec::new();
            for r in b.row0..=b.row1 {
                for c in b.col0..=b.col1 {
                    if p.mask[r * p.width + c] {
                        let (r, c) = (r as isize, c as isize);
                        t.push((energy(x, y, r, c) + energy(y, x, r, c)) / 2.0);
                    }
                }
            }
            let m = t.iter().sum::<f64>() / n_box;
            let moment = |k: i32| t.iter().map(|v| (v - m).powi(k)).sum::<f64>() / n_box;
            let sd = moment(2).sqrt();
            let stats = [
                m,
                sd,
                moment(3) / sd.powi(3),
                moment(4) / sd.powi(4) - 3.0,
                t.iter().map(|v| v * v).sum::<f64>() / n_box,
            ];
            for (s, v) in stats.iter().enumerate() {
                out[s * 14 + pi] = *v;
            }
        }
        out
    }

    #[test]
    fn laws_equals_the_literal_definition_at_image_borders() {
        // Lesions touching the top-left corner and the right border of small
        // random images with many ties.
        for (seed, cy, cx, rad) in [
            (1, 2.0, 1.0, 6.0),
            (2, 10.0, 23.0, 5.0),
            (3, 8.0, 12.0, 4.0),
        ] {
            let p = fixtures::random_case(24, 18, seed, cy, cx, rad);
            let (got, want) = (compute(&p), brute_force(&p));
            for (k, (g, w)) in got.iter().zip(&want).enumerate() {
                assert!(
                    (g - w).abs() <= 1e-10 * w.abs().max(1.0),
                    "seed {seed} column {k}: {g} vs {w}"
                );
            }
        }
    }

    #[test]
    fn window_sum_15_adds_fifteen_neighbours() {
        // Powers of two make every window sum distinct and exact.
        let row: Vec<f64> = (0..20).map(|k| (1u32 << k) as f64).collect();
        let mut out = vec![0.0; 6];
        let mut tree = vec![0.0; 60];
        window_sum_15(&row, &mut out, &mut tree);
        for (x, o) in out.iter().enumerate() {
            assert_eq!(*o, row[x..x + 15].iter().sum::<f64>());
        }
    }

    #[test]
    fn stats_divide_by_the_box_count() {
        // Lesion values 2 and 4 in a box of n_box = 4 pixels:
        // m = 6/4, deviations 0.5, 2.5 → sd = sqrt(6.5/4), egy = 20/4.
        let s = box_normalised_stats(&[2.0, 4.0], 4.0);
        assert_eq!(s[0], 1.5);
        assert!((s[1] - (6.5f64 / 4.0).sqrt()).abs() < 1e-15);
        let sd = (6.5f64 / 4.0).sqrt();
        assert!((s[2] - (0.125 + 15.625) / (4.0 * sd.powi(3))).abs() < 1e-12);
        assert_eq!(s[4], 5.0);
    }
}
