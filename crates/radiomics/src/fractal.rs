//! Fractal texture FD, FD.1, FBM1 … FBM7, columns 20 and 312–319
//! (handcrafted-features.md §6.6; Chen, Chang, Chen et al. 2005): the slope of
//! the log mean absolute grey difference against the log pixel distance of
//! the box of the closed, equalised image (fractional Brownian motion model).
//!
//! [`compute`] returns **nine** values in the order
//! `[FD, FD.1, FBM1, FBM2, …, FBM7]`: FD (column 20, listed with the shape
//! family) and FD.1 (column 312) are the same number, then FBM1…FBM7 fill
//! columns 313–319.
//!
//! Where the code follows BUSAT rather than the paper:
//! - the "ball" closing reduces exactly to a flat 7×7 closing (maximum then
//!   minimum over the in-image part of the window), see §6.6 step 1;
//! - the vertical differences are divided by `M(M−k)` (not `N(M−k)`) and
//!   border pixels are compared with a clamped partner rather than skipped;
//! - the diagonal step is `s = round(k/√2)` pixels on each axis.
//!
//! The filters are hand-written rather than taken from an imaging crate
//! because the toolbox's border rule (windows clipped to the image) and its
//! equalisation formula must be matched exactly; both are a few lines. The
//! equalised levels are integers, so the difference sums of step 3 are exact
//! integer sums.

use crate::prepared::Prepared;

/// Half-width of the 7×7 closing window.
const HALF: usize = 3;

/// Computes `[FD, FD.1, FBM1 … FBM7]` (§6.6); see the module doc for the
/// column of each value.
pub(crate) fn compute(p: &Prepared) -> Vec<f64> {
    let (w, h) = (p.width, p.height);
    let closed = min_filter(&max_filter(&p.image, w, h), w, h);
    let eq = equalise(&closed);
    let b = p.bbox;
    let (m, n) = (b.rows(), b.cols());
    let mut crop = Vec::with_capacity(m * n);
    for r in b.row0..=b.row1 {
        crop.extend(
            closed[r * w + b.col0..=r * w + b.col1]
                .iter()
                .map(|&v| eq[v as usize]),
        );
    }
    let id: Vec<f64> = (1..=8).map(|k| mean_difference(&crop, m, n, k)).collect();
    let y: Vec<f64> = id.iter().map(|v| v.ln() - id[0].ln()).collect();
    let x: Vec<f64> = (1..=8).map(|k| (k as f64).ln()).collect();
    let fd = slope(&x, &y);
    let mut out = vec![fd, fd];
    out.extend_from_slice(&y[1..]);
    out
}

/// Flat separable grey filter over the in-image part of a 7×7 window, `pick`
/// choosing max (dilation) or min (erosion).
fn flat_filter<F: Fn(u8, u8) -> u8 + Copy>(img: &[u8], w: usize, h: usize, pick: F) -> Vec<u8> {
    let mut rows = vec![0u8; w * h];
    for r in 0..h {
        let line = &img[r * w..(r + 1) * w];
        let dst = &mut rows[r * w..(r + 1) * w];
        // Border columns: the window clipped to the image.
        for c in (0..w.min(HALF)).chain(w.saturating_sub(HALF).max(HALF)..w) {
            let (lo, hi) = (c.saturating_sub(HALF), (c + HALF).min(w - 1));
            dst[c] = line[lo..=hi].iter().fold(line[c], |a, &b| pick(a, b));
        }
        // Interior columns: seven shifted slices combined elementwise.
        if w > 2 * HALF {
            let inner = &mut dst[HALF..w - HALF];
            inner.copy_from_slice(&line[..w - 2 * HALF]);
            for s in 1..=2 * HALF {
                for (d, &v) in inner.iter_mut().zip(&line[s..]) {
                    *d = pick(*d, v);
                }
            }
        }
    }
    let mut out = vec![0u8; w * h];
    for r in 0..h {
        let lo = r.saturating_sub(HALF);
        let hi = (r + HALF).min(h - 1);
        let dst = &mut out[r * w..(r + 1) * w];
        dst.copy_from_slice(&rows[lo * w..(lo + 1) * w]);
        for rr in lo + 1..=hi {
            for (d, &s) in dst.iter_mut().zip(&rows[rr * w..(rr + 1) * w]) {
                *d = pick(*d, s);
            }
        }
    }
    out
}

/// Grey dilation with a flat 7×7 square.
fn max_filter(img: &[u8], w: usize, h: usize) -> Vec<u8> {
    flat_filter(img, w, h, u8::max)
}

/// Grey erosion with a flat 7×7 square.
fn min_filter(img: &[u8], w: usize, h: usize) -> Vec<u8> {
    flat_filter(img, w, h, u8::min)
}

/// Histogram-equalisation lookup table of the whole image (§6.6 step 2):
/// `v ↦ round(255·#{pixels ≤ v} / #pixels)` (Gonzalez & Woods 2008).
fn equalise(img: &[u8]) -> [u8; 256] {
    let mut hist = [0u64; 256];
    for &v in img {
        hist[v as usize] += 1;
    }
    let total = img.len() as f64;
    let mut lut = [0u8; 256];
    let mut cdf = 0u64;
    for (v, l) in lut.iter_mut().enumerate() {
        cdf += hist[v];
        *l = (255.0 * cdf as f64 / total).round() as u8;
    }
    lut
}

/// `id(k)` of §6.6 step 3 on the `m × n` crop: a quarter of the sum of the four
/// normalised absolute-difference images, partners clamped to the border.
/// The grey levels are integers, so the sums are exact (`u64`); each is taken
/// over contiguous row slices where the partner is not clamped.
fn mean_difference(g: &[u8], m: usize, n: usize, k: usize) -> f64 {
    let s = (k as f64 / std::f64::consts::SQRT_2).round() as usize;
    /// Σ |a_i − b_i| over two equal-length slices.
    fn sad(a: &[u8], b: &[u8]) -> u64 {
        a.iter()
            .zip(b)
            .fold(0u32, |acc, (&x, &y)| acc.wrapping_add(x.abs_diff(y) as u32)) as u64
    }
    /// Σ |a_i − v| over a slice.
    fn sad1(a: &[u8], v: u8) -> u64 {
        a.iter().map(|&x| x.abs_diff(v) as u64).sum()
    }
    let row = |y: usize| &g[y * n..(y + 1) * n];
    let (mut s1, mut s2, mut s3, mut s4) = (0u64, 0u64, 0u64, 0u64);
    for y in 0..m {
        let cur = row(y);
        // D1: same column, row y − k (row 0 when y ≤ k).
        s1 += sad(cur, row(y.saturating_sub(k)));
        // D2: same row, column x − k (column 0 when x ≤ k).
        let kk = k.min(n);
        s2 += sad1(&cur[..kk], cur[0]) + sad(&cur[kk..], &cur[..n - kk]);
        // D3: row y − s, column x − s (clamped to 0); D4: column x + s
        // (clamped to n − 1).
        let prev = row(y.saturating_sub(s));
        let ss = s.min(n);
        s3 += sad1(&cur[..ss], prev[0]) + sad(&cur[ss..], &prev[..n - ss]);
        s4 += sad(&cur[..n - ss], &prev[ss..]) + sad1(&cur[n - ss..], prev[n - 1]);
    }
    let (mf, nf, sf, kf) = (m as f64, n as f64, s as f64, k as f64);
    let diag = (mf - sf) * (nf - sf);
    0.25 * (s1 as f64 / (mf * (mf - kf))
        + s2 as f64 / (nf * (nf - kf))
        + s3 as f64 / diag
        + s4 as f64 / diag)
}

/// Least-squares slope of `y` on `x`.
fn slope(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    sxy / sxx
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::texture_util::fixtures;

    #[test]
    fn fractal_matches_busat_on_bus01() {
        let p = fixtures::prepared("BUS01");
        let got = compute(&p);
        assert_eq!(got.len(), 9);
        // FD (column 20) and FD.1, FBM1…FBM7 (columns 312–319).
        fixtures::assert_columns(20, &got[..1], 1e-9);
        fixtures::assert_columns(312, &got[1..], 1e-9);
    }

    #[test]
    fn filters_equal_the_clipped_window_definition() {
        // Max/min over the in-image part of the 7×7 window, evaluated
        // literally, for widths below, at and above the 6-column border.
        let mut state = 99u64;
        for (w, h) in [(1, 1), (2, 5), (5, 3), (6, 8), (7, 2), (20, 11)] {
            let img: Vec<u8> = (0..w * h)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    (state >> 11) as u8
                })
                .collect();
            let (mx, mn) = (max_filter(&img, w, h), min_filter(&img, w, h));
            for r in 0..h {
                for c in 0..w {
                    let win = (r.saturating_sub(3)..=(r + 3).min(h - 1)).flat_map(|y| {
                        (c.saturating_sub(3)..=(c + 3).min(w - 1)).map(move |x| (y, x))
                    });
                    let vals: Vec<u8> = win.map(|(y, x)| img[y * w + x]).collect();
                    assert_eq!(
                        mx[r * w + c],
                        *vals.iter().max().unwrap(),
                        "{w}×{h} ({r},{c})"
                    );
                    assert_eq!(
                        mn[r * w + c],
                        *vals.iter().min().unwrap(),
                        "{w}×{h} ({r},{c})"
                    );
                }
            }
        }
    }

    #[test]
    fn closing_fills_a_narrow_dark_gap() {
        // A 1-pixel dark column in a bright 9×9 field is closed to the field
        // value; a bright pixel stays (closing is extensive).
        let (w, h) = (9, 9);
        let mut img = vec![100u8; w * h];
        for r in 0..h {
            img[r * w + 4] = 0;
        }
        img[0] = 200;
        let out = min_filter(&max_filter(&img, w, h), w, h);
        assert!(out.iter().skip(1).all(|&v| v == 100));
        assert_eq!(out[0], 200);
    }

    #[test]
    fn mean_difference_by_hand() {
        // 2×2 block [0 1; 2 3], k = 1 (s = 1), partners clamped to row/column 0
        // (D1–D3) or to the last column (D4):
        // D1: bottom row vs top row 2 + 2, top row vs itself 0 → 4/(2·1) = 2.
        // D2: right column vs left 1 + 1 → 2/(2·1) = 1.
        // D3: (0,1)→(0,0) 1, (1,0)→(0,0) 2, (1,1)→(0,0) 3 → 6/(1·1) = 6.
        // D4: (0,0)→(0,1) 1, (0,1)→itself 0, (1,0)→(0,1) 1, (1,1)→(0,1) 2 → 4.
        // id = (2 + 1 + 6 + 4)/4 = 3.25.
        assert_eq!(mean_difference(&[0, 1, 2, 3], 2, 2, 1), 3.25);
    }
}
