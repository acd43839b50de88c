//! Ranklet texture `<f>_<stat>_D<d>_R<r>`, columns 474–545
//! (handcrafted-features.md §6.9; Masotti 2006; Yang, Moon, Wang et al. 2013):
//! co-occurrence statistics of the orientation-averaged ranklet transform at
//! resolutions 2, 4, 8 and distances 1, 4.
//!
//! The ranklet of a treatment half `T` of a `2r × 2r` window is the
//! Mann–Whitney statistic of `T` against the other half, scaled to [−1, 1]:
//! `(Σ_T rank − (n/2)(n/2+1)/2)/(n²/8) − 1` with average ranks for ties.
//! Ranks come from the window's grey-level histogram, slid along each row, so
//! one window costs `O(range + n)` (range = its grey-level span) instead of a
//! sort, and only lesion pixels are ranked; every intermediate is a
//! half-integer or a division by a power of two, hence exact, and the value
//! equals the toolbox's bit for bit before the `/3` of the orientation mean.
//!
//! Where the code follows BUSAT rather than the papers:
//! - the image is padded with 255 (not mirrored) by 8 pixels;
//! - levels are `floor(32·M + 33)` clipped to 1..64;
//! - across the four directions BUSAT's "mean absolute deviation" is the plain
//!   mean of the deviations (≈ 0, rounding noise only), and the names are
//!   attached out of order: the columns named `*_rng_*` hold those ≈ 0 values
//!   and the columns named `*_mad_*` hold the ranges (max − min). The released
//!   layout is reproduced.

use crate::prepared::Prepared;
use crate::texture_util::{DIRECTIONS, EPS, cooccurrence};

/// Padding of the whole image, in pixels, with value 255.
const PAD: usize = 8;
/// Resolutions (half window sizes).
const RESOLUTIONS: [usize; 3] = [2, 4, 8];
/// Co-occurrence distances.
const DISTANCES: [isize; 2] = [1, 4];
/// Quantisation levels of the ranklet image.
const LEVELS: usize = 64;

/// Computes the 72 ranklet columns (§6.9 step 5): blocks D1_R2, D1_R4, D1_R8,
/// D4_R2, D4_R4, D4_R8, each `entro, corr, dissi, homo` × (`_mean`, `_rng`
/// holding the ≈ 0 mean deviation, `_mad` holding the range).
pub(crate) fn compute(p: &Prepared) -> Vec<f64> {
    let b = p.bbox;
    let (rows, cols) = (b.rows(), b.cols());
    let pw = p.width + 2 * PAD;
    let ph = p.height + 2 * PAD;
    let mut padded = vec![255u8; pw * ph];
    for r in 0..p.height {
        let dst = (r + PAD) * pw + PAD;
        padded[dst..dst + p.width].copy_from_slice(&p.image[r * p.width..(r + 1) * p.width]);
    }
    let lesion: Vec<bool> = (b.row0..=b.row1)
        .flat_map(|r| {
            p.mask[r * p.width + b.col0..=r * p.width + b.col1]
                .iter()
                .copied()
        })
        .collect();
    let levels: Vec<Vec<u8>> = RESOLUTIONS
        .iter()
        .map(|&r| ranklet_levels(&padded, pw, p.bbox, &lesion, r))
        .collect();
    let mut out = Vec::with_capacity(72);
    let mut counts = Vec::with_capacity(LEVELS * LEVELS);
    for &d in &DISTANCES {
        for lv in &levels {
            let mut per_dir = [[0.0; 4]; 4];
            for (k, &(dr, dc)) in DIRECTIONS.iter().enumerate() {
                let total = cooccurrence(lv, rows, cols, LEVELS, dr * d, dc * d, &mut counts);
                let f = four_features(&counts, total);
                for (fi, v) in f.iter().enumerate() {
                    per_dir[fi][k] = *v;
                }
            }
            let mean = |x: &[f64; 4]| (((x[0] + x[1]) + x[2]) + x[3]) / 4.0;
            let means: Vec<f64> = per_dir.iter().map(mean).collect();
            out.extend_from_slice(&means);
            // BUSAT's "mad": mean of (x − mean x), not of |x − mean x|.
            for (x, m) in per_dir.iter().zip(&means) {
                out.push(mean(&x.map(|v| v - m)));
            }
            for x in &per_dir {
                let hi = x.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let lo = x.iter().cloned().fold(f64::INFINITY, f64::min);
                out.push(hi - lo);
            }
        }
    }
    out
}

/// The quantised ranklet image of the box at resolution `r` (§6.9 steps 2–3):
/// row-major box levels 1..64, 0 for non-lesion pixels.
fn ranklet_levels(
    padded: &[u8],
    pw: usize,
    bbox: crate::prepared::BBox,
    lesion: &[bool],
    r: usize,
) -> Vec<u8> {
    let (rows, cols) = (bbox.rows(), bbox.cols());
    let n = 4 * r * r;
    let half = (n / 2) as f64;
    let base = half * (half + 1.0) / 2.0;
    let scale = (n * n) as f64 / 8.0;
    let side = 2 * r;
    let mut out = vec![0u8; rows * cols];
    let mut hist = [0u32; 256];
    // Twice the average rank of each level in the current window.
    let mut rank2 = [0u32; 256];
    for by in 0..rows {
        // Window rows (padded coordinates) for image row bbox.row0 + by.
        let top = bbox.row0 + by + PAD - r;
        let left0 = bbox.col0 + PAD - r;
        // The histogram describes the window at column `at` (None: not built
        // yet); it is slid to the next lesion pixel, or rebuilt when that is
        // cheaper (more than side/2 columns away). All non-empty bins lie in
        // lo..=hi (tightened lazily before use).
        let mut at: Option<usize> = None;
        let (mut lo, mut hi) = (255usize, 0usize);
        for bx in 0..cols {
            if !lesion[by * cols + bx] {
                continue;
            }
            let left = left0 + bx;
            match at {
                Some(prev) if 2 * (bx - prev) <= side => {
                    for l in left0 + prev + 1..=left {
                        // Column l − 1 leaves the window, column l + side − 1
                        // enters (wrapping: a count never leaves 0..=n).
                        for row in padded[top * pw..(top + side) * pw].chunks_exact(pw) {
                            let out = row[l - 1] as usize;
                            hist[out] = hist[out].wrapping_sub(1);
                            let v = row[l + side - 1] as usize;
                            hist[v] = hist[v].wrapping_add(1);
                            lo = lo.min(v);
                            hi = hi.max(v);
                        }
                    }
                }
                _ => {
                    hist.fill(0);
                    (lo, hi) = (255, 0);
                    for y in top..top + side {
                        for &v in &padded[y * pw + left..y * pw + left + side] {
                            hist[v as usize] = hist[v as usize].wrapping_add(1);
                            lo = lo.min(v as usize);
                            hi = hi.max(v as usize);
                        }
                    }
                }
            }
            at = Some(bx);
            while hist[lo] == 0 {
                lo += 1;
            }
            while hist[hi] == 0 {
                hi -= 1;
            }
            // Only levels present in the window are looked up.
            let mut below = 0u32;
            // Wrapping ops: no overflow is possible (n ≤ 256) and they keep the
            // dev profile's overflow checks out of this loop.
            for (h, r2) in hist[lo..=hi].iter().zip(rank2[lo..=hi].iter_mut()) {
                *r2 = below.wrapping_mul(2).wrapping_add(h.wrapping_add(1));
                below = below.wrapping_add(*h);
            }
            // Doubled rank sums of the four r × r quadrants.
            let mut q = [0u32; 4];
            for (dy, y) in (top..top + side).enumerate() {
                let row = &padded[y * pw + left..y * pw + left + side];
                let (l, rt) = row.split_at(r);
                let s_l = l
                    .iter()
                    .fold(0u32, |a, &v| a.wrapping_add(rank2[v as usize]));
                let s_r = rt
                    .iter()
                    .fold(0u32, |a, &v| a.wrapping_add(rank2[v as usize]));
                let k = if dy < r { 0 } else { 2 };
                q[k] = q[k].wrapping_add(s_l);
                q[k + 1] = q[k + 1].wrapping_add(s_r);
            }
            // Treatments: horizontal = left (q0 + q2), vertical = top (q0 + q1),
            // diagonal = top-left + bottom-right (q0 + q3).
            let ranklet = |s2: u32| (s2 as f64 / 2.0 - base) / scale - 1.0;
            let h = ranklet(q[0] + q[2]);
            let v = ranklet(q[0] + q[1]);
            let d = ranklet(q[0] + q[3]);
            let m = (h + v + d) / 3.0;
            let level = (32.0 * m + 33.0).floor().clamp(1.0, LEVELS as f64);
            out[by * cols + bx] = level as u8;
        }
    }
    out
}

/// Entropy `−Σ P ln(P+ε)`, correlation (corrm of §6.7), dissimilarity and
/// homogeneity `Σ P/(1+|a−b|)` of one count matrix; NaN without pairs.
fn four_features(counts: &[u32], total: u64) -> [f64; 4] {
    const Q: usize = LEVELS;
    if total == 0 {
        return [f64::NAN; 4];
    }
    let t = total as f64;
    let mut px = [0.0; Q];
    let mut py = [0.0; Q];
    let (mut ent, mut dis, mut hom) = (0.0, 0.0, 0.0);
    for a in 0..Q {
        for b in 0..Q {
            let c = counts[a * Q + b];
            if c == 0 {
                continue;
            }
            let pr = c as f64 / t;
            px[a] += pr;
            py[b] += pr;
            ent -= pr * (pr + EPS).ln();
            let d = a.abs_diff(b) as f64;
            dis += d * pr;
            hom += pr / (1.0 + d);
        }
    }
    let mua: f64 = px.iter().enumerate().map(|(i, v)| (i + 1) as f64 * v).sum();
    let mub: f64 = py.iter().enumerate().map(|(i, v)| (i + 1) as f64 * v).sum();
    let va: f64 = px
        .iter()
        .enumerate()
        .map(|(i, v)| ((i + 1) as f64 - mua).powi(2) * v)
        .sum();
    let vb: f64 = py
        .iter()
        .enumerate()
        .map(|(i, v)| ((i + 1) as f64 - mub).powi(2) * v)
        .sum();
    let mut cov = 0.0;
    for a in 0..Q {
        for b in 0..Q {
            let c = counts[a * Q + b];
            if c != 0 {
                cov += ((a + 1) as f64 - mua) * ((b + 1) as f64 - mub) * (c as f64 / t);
            }
        }
    }
    [ent, cov / (va.sqrt() * vb.sqrt() + 0.0001), dis, hom]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prepared::Prepared;
    use crate::texture_util::fixtures;

    #[test]
    fn ranklet_matches_busat_on_bus01() {
        let p = fixtures::prepared("BUS01");
        let got = compute(&p);
        assert_eq!(got.len(), 72);
        // The `*_rng_*` columns are BUSAT's rounding noise (|x| ≤ 7e-16 in the
        // reference): compared with 1e-12 absolute, as §6.9 prescribes.
        fixtures::assert_columns(474, &got, 1e-12);
    }

    /// §6.9 steps 1–3 evaluated literally at one pixel: pad with 255, sort the
    /// window, average tied ranks, sum ranks over each treatment.
    fn brute_force_level(p: &Prepared, y: usize, x: usize, r: usize) -> u8 {
        let at = |yy: isize, xx: isize| -> u8 {
            if yy < 0 || xx < 0 || yy >= p.height as isize || xx >= p.width as isize {
                255
            } else {
                p.image[yy as usize * p.width + xx as usize]
            }
        };
        let r = r as isize;
        let mut win = Vec::new(); // (value, row offset, column offset)
        for dy in -r..r {
            for dx in -r..r {
                win.push((at(y as isize + dy, x as isize + dx), dy, dx));
            }
        }
        let mut order: Vec<usize> = (0..win.len()).collect();
        order.sort_by_key(|&i| win[i].0);
        let mut rank = vec![0.0; win.len()];
        let mut i = 0;
        while i < order.len() {
            let mut j = i;
            while j + 1 < order.len() && win[order[j + 1]].0 == win[order[i]].0 {
                j += 1;
            }
            for &k in &order[i..=j] {
                rank[k] = (i + j) as f64 / 2.0 + 1.0;
            }
            i = j + 1;
        }
        let n = win.len() as f64;
        let ranklet = |treat: &dyn Fn(isize, isize) -> bool| {
            let s: f64 = win
                .iter()
                .zip(&rank)
                .filter(|(w, _)| treat(w.1, w.2))
                .map(|(_, r)| r)
                .sum();
            (s - (n / 2.0) * (n / 2.0 + 1.0) / 2.0) / (n * n / 8.0) - 1.0
        };
        let h = ranklet(&|_, dx| dx < 0);
        let v = ranklet(&|dy, _| dy < 0);
        let d = ranklet(&|dy, dx| (dy < 0 && dx < 0) || (dy >= 0 && dx >= 0));
        (32.0 * ((h + v + d) / 3.0) + 33.0).floor().clamp(1.0, 64.0) as u8
    }

    #[test]
    fn ranklet_levels_equal_sorting_at_image_borders() {
        for (seed, cy, cx, rad) in [
            (5, 1.0, 2.0, 7.0),
            (6, 16.0, 20.0, 6.0),
            (7, 9.0, 11.0, 5.0),
        ] {
            let p = fixtures::random_case(22, 18, seed, cy, cx, rad);
            let b = p.bbox;
            let lesion: Vec<bool> = (b.row0..=b.row1)
                .flat_map(|y| (b.col0..=b.col1).map(move |x| (y, x)))
                .map(|(y, x)| p.mask[y * p.width + x])
                .collect();
            let pw = p.width + 2 * PAD;
            let mut padded = vec![255u8; pw * (p.height + 2 * PAD)];
            for y in 0..p.height {
                padded[(y + PAD) * pw + PAD..(y + PAD) * pw + PAD + p.width]
                    .copy_from_slice(&p.image[y * p.width..(y + 1) * p.width]);
            }
            for r in RESOLUTIONS {
                let got = ranklet_levels(&padded, pw, b, &lesion, r);
                for (k, &g) in got.iter().enumerate() {
                    let (y, x) = (b.row0 + k / b.cols(), b.col0 + k % b.cols());
                    let want = if lesion[k] {
                        brute_force_level(&p, y, x, r)
                    } else {
                        0
                    };
                    assert_eq!(g, want, "seed {seed} r {r} pixel ({y}, {x})");
                }
            }
        }
    }

    #[test]
    fn ranklet_of_sorted_windows_by_hand() {
        // A 4×4 window (r = 2) whose left half is darker than its right half:
        // horizontal ranklet +1 (the treatment is the *left* half, but ranks
        // of the left half are the 8 smallest: Σ = 36 = 8·9/2 → (36−36)/32 − 1
        // = −1). Top and bottom halves are alike → vertical 0; diagonal 0.
        // Image 4×4 inside the padding, lesion = the single pixel (2, 2).
        let w = 4;
        let img: Vec<u8> = (0..16).map(|i| if i % 4 < 2 { 10 } else { 20 }).collect();
        let pw = w + 2 * PAD;
        let mut padded = vec![255u8; pw * pw];
        for r in 0..4 {
            padded[(r + PAD) * pw + PAD..(r + PAD) * pw + PAD + 4]
                .copy_from_slice(&img[r * 4..r * 4 + 4]);
        }
        let bbox = crate::prepared::BBox {
            row0: 2,
            row1: 2,
            col0: 2,
            col1: 2,
        };
        let lv = ranklet_levels(&padded, pw, bbox, &[true], 2);
        // Ties: left half all 10 (ranks 4.5 each), right all 20 (12.5):
        // h = (36 − 36)/32 − 1 = −1; v: top = 4·4.5 + 4·12.5 = 68 → (68−36)/32 − 1 = 0;
        // d = 0 likewise. M = −1/3, level = floor(−32/3 + 33) = floor(22.33) = 22.
        assert_eq!(lv, vec![22]);
    }
}
