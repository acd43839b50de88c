//! Average-mass echo features LB_d, EP_i, EP_g, EP_c, columns 47–50
//! (handcrafted-features.md §6.3; Shen, Chang, Moon et al. 2007, both papers).
//!
//! Where the code follows BUSAT rather than the papers: EP_c searches the
//! threshold on `J = U + 1` and keeps that +1 offset in the numerator's mean
//! while subtracting the plain mean `EP_i` of `U`.

use crate::prepared::Prepared;

/// Half-width in pixels of the bands of LB_d (bLB10px of §5.4 with width 3).
const BAND: isize = 3;

/// Computes LB_d, EP_i, EP_g, EP_c (§6.3) in that order.
pub(crate) fn compute(p: &Prepared) -> Vec<f64> {
    let mut n = [0u64; 256];
    let mut sum = 0u64;
    for &i in &p.pixels {
        n[p.image[i] as usize] += 1;
        sum += p.image[i] as u64;
    }
    let a = p.pixels.len() as f64;
    let ep_i = sum as f64 / a;
    vec![band_difference(p), ep_i, sobel_mean(p), ep_c(&n, a, ep_i)]
}

/// LB_d: mean of `U` over the outside band `0 < Dout ≤ 3` minus the mean over
/// the inside band `0 < Din ≤ 3`. Exact Euclidean distances within the image
/// grid (§3): a pixel is in a band when a pixel of the other class lies in the
/// radius-3 disk around it, whose rows `dy = −3..3` reach `|dx| ≤ 0, 2, 2, 3,
/// 2, 2, 0`; each row is checked with a prefix count of lesion pixels. This is
/// exact for the small band and avoids a whole-image distance transform.
fn band_difference(p: &Prepared) -> f64 {
    const REACH: [usize; 7] = [0, 2, 2, 3, 2, 2, 0];
    debug_assert!(REACH.iter().enumerate().all(|(i, &k)| {
        let dy = i as isize - BAND;
        let k = k as isize;
        dy * dy + k * k <= BAND * BAND && dy * dy + (k + 1) * (k + 1) > BAND * BAND
    }));
    let (w, h) = (p.width, p.height);
    let b = p.bbox;
    let band = BAND as usize;
    let r0 = b.row0.saturating_sub(band);
    let r1 = (b.row1 + band).min(h - 1);
    let c0 = b.col0.saturating_sub(band);
    let c1 = (b.col1 + band).min(w - 1);
    // prefix[(y − pr0)·(w+1) + x] = lesion pixels in row y, columns < x.
    let pr0 = r0.saturating_sub(band);
    let pr1 = (r1 + band).min(h - 1);
    let mut prefix = vec![0u32; (pr1 - pr0 + 1) * (w + 1)];
    for y in pr0..=pr1 {
        let dst = &mut prefix[(y - pr0) * (w + 1)..(y - pr0 + 1) * (w + 1)];
        for x in 0..w {
            dst[x + 1] = dst[x] + p.mask[y * w + x] as u32;
        }
    }
    let (mut s_in, mut n_in, mut s_out, mut n_out) = (0u64, 0u64, 0u64, 0u64);
    for r in r0..=r1 {
        for c in c0..=c1 {
            let i = r * w + c;
            let inside = p.mask[i];
            let near_other = REACH.iter().enumerate().any(|(k, &reach)| {
                let y = r as isize + k as isize - BAND;
                if y < 0 || y >= h as isize {
                    return false;
                }
                let (lo, hi) = (c.saturating_sub(reach), (c + reach).min(w - 1));
                let row = &prefix[(y as usize - pr0) * (w + 1)..];
                let lesion = row[hi + 1] - row[lo];
                if inside {
                    lesion < (hi - lo + 1) as u32
                } else {
                    lesion > 0
                }
            });
            if near_other {
                let v = p.image[i] as u64;
                if inside {
                    s_in += v;
                    n_in += 1;
                } else {
                    s_out += v;
                    n_out += 1;
                }
            }
        }
    }
    s_out as f64 / n_out as f64 - s_in as f64 / n_in as f64
}

/// EP_g: mean over the lesion of the Sobel gradient magnitude of `U`
/// (correlation with `[1 2 1; 0 0 0; −1 −2 −1]` and its transpose, zeros
/// outside the image). The integer responses are exact.
fn sobel_mean(p: &Prepared) -> f64 {
    let (w, h) = (p.width as isize, p.height as isize);
    let at = |y: isize, x: isize| -> i32 {
        if y < 0 || x < 0 || y >= h || x >= w {
            0
        } else {
            p.image[(y * w + x) as usize] as i32
        }
    };
    let mut s = 0.0;
    for &i in &p.pixels {
        let (y, x) = ((i / p.width) as isize, (i % p.width) as isize);
        let gy = at(y - 1, x - 1) + 2 * at(y - 1, x) + at(y - 1, x + 1)
            - at(y + 1, x - 1)
            - 2 * at(y + 1, x)
            - at(y + 1, x + 1);
        let gx = at(y - 1, x - 1) + 2 * at(y, x - 1) + at(y + 1, x - 1)
            - at(y - 1, x + 1)
            - 2 * at(y, x + 1)
            - at(y + 1, x + 1);
        s += ((gx * gx + gy * gy) as f64).sqrt();
    }
    s / p.pixels.len() as f64
}

/// EP_c from the lesion histogram `n` of `U`: the largest `t` (256 down to 1)
/// with more than `A/4` lesion pixels having `J = U + 1 ≥ t`, then
/// `(mean of J over those pixels − EP_i) / EP_i`.
fn ep_c(n: &[u64; 256], a: f64, ep_i: f64) -> f64 {
    let (mut count, mut sum_j) = (0u64, 0u64);
    // J ≥ t  ⇔  U ≥ t − 1; walk t = 256..1, i.e. U level t − 1 = 255..0.
    for v in (0..256).rev() {
        count += n[v];
        sum_j += n[v] * (v as u64 + 1);
        if count as f64 > 0.25 * a {
            return (sum_j as f64 / count as f64 - ep_i) / ep_i;
        }
    }
    f64::NAN
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::texture_util::fixtures;

    #[test]
    fn average_mass_matches_busat_on_bus01() {
        let p = fixtures::prepared("BUS01");
        fixtures::assert_columns(47, &compute(&p), 1e-9);
    }

    #[test]
    fn lb_d_equals_brute_force_distances_at_image_borders() {
        // Din/Dout by exhaustive search over the image grid (§3), bands 0 < D ≤ 3.
        for (seed, cy, cx, rad) in [
            (11, 0.0, 3.0, 6.0),
            (12, 9.0, 19.0, 4.5),
            (13, 7.0, 9.0, 3.0),
        ] {
            let p = fixtures::random_case(20, 16, seed, cy, cx, rad);
            let (w, n) = (p.width, p.width * p.height);
            let dist = |i: usize| -> f64 {
                (0..n)
                    .filter(|&j| p.mask[j] != p.mask[i])
                    .map(|j| {
                        let (dy, dx) = (
                            (i / w) as f64 - (j / w) as f64,
                            (i % w) as f64 - (j % w) as f64,
                        );
                        (dy * dy + dx * dx).sqrt()
                    })
                    .fold(f64::INFINITY, f64::min)
            };
            let (mut si, mut ni, mut so, mut no) = (0.0, 0.0, 0.0, 0.0);
            for i in 0..n {
                if dist(i) <= 3.0 {
                    if p.mask[i] {
                        si += p.image[i] as f64;
                        ni += 1.0;
                    } else {
                        so += p.image[i] as f64;
                        no += 1.0;
                    }
                }
            }
            let want = so / no - si / ni;
            assert!((band_difference(&p) - want).abs() < 1e-12, "seed {seed}");
        }
    }

    #[test]
    fn ep_g_pads_with_zeros() {
        // 3×3 image of 10s, lesion = whole image, zeros outside. Corner
        // (0,0): gy = 0 − (0 + 2·10 + 10) = −30, gx likewise → 30√2; edge
        // centre (0,1): gy = −(10 + 20 + 10) = −40, gx = 30 − 30 = 0 → 40;
        // centre 0. EP_g = (4·30√2 + 4·40)/9.
        let p = fixtures::with_image(3, 3, vec![10; 9], vec![true; 9]);
        let want = (4.0 * 30.0 * 2f64.sqrt() + 160.0) / 9.0;
        assert!((sobel_mean(&p) - want).abs() < 1e-12, "{}", sobel_mean(&p));
    }

    #[test]
    fn ep_c_keeps_the_plus_one_offset() {
        // Levels 0×6, 9×2 (A = 8): J ≥ 10 holds for 2 > 8/4? No (2 = 2), so t
        // moves down to 1, where all 8 pixels qualify: mean J = (6·1 + 2·10)/8
        // = 3.25; EP_i = 18/8 = 2.25; EP_c = (3.25 − 2.25)/2.25.
        let mut n = [0u64; 256];
        n[0] = 6;
        n[9] = 2;
        assert!((ep_c(&n, 8.0, 2.25) - 1.0 / 2.25).abs() < 1e-15);
        // With 3 of 8 at level 9, J ≥ 10 already exceeds A/4: (10 − 3.375)/3.375.
        n[0] = 5;
        n[9] = 3;
        assert!((ep_c(&n, 8.0, 3.375) - (10.0 - 3.375) / 3.375).abs() < 1e-15);
    }
}
