//! Posterior acoustic behaviour, columns 23–24 (handcrafted-features.md
//! §5.2; Shen et al. 2007; Horsch et al. 2002): PS_D and MSD, read from
//! strips of the despeckled image below and beside the lesion.

use crate::Prepared;
use crate::blocks::label8;

/// Column names of this family, in released order.
pub const COLUMNS: [&str; 2] = ["PS_D", "MSD"];

/// MATLAB `round` (half away from zero) of a non-negative ratio.
fn round_half_away(x: f64) -> f64 {
    x.round()
}

/// Median as MATLAB computes it (mean of the two middle values for an even
/// count); NaN for no values.
/// The order statistics come from a 256-bin count (8-bit values), not a sort.
fn median(v: Vec<u8>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut hist = [0usize; 256];
    for &x in &v {
        hist[x as usize] += 1;
    }
    // The k-th smallest value (0-based), k < v.len().
    let kth = |k: usize| {
        let mut seen = 0usize;
        for (level, &h) in hist.iter().enumerate() {
            seen += h;
            if seen > k {
                return level as f64;
            }
        }
        255.0
    };
    let n = v.len();
    if n % 2 == 1 {
        kth(n / 2)
    } else {
        (kth(n / 2 - 1) + kth(n / 2)) / 2.0
    }
}

/// PS_D and MSD (§5.2).
///
/// The central columns drop `g = round((xmax − xmin)/6)` columns on each
/// side. PS_D keeps the non-lesion component (8-connected) of the strip
/// below the lesion's top row that holds the strip's bottom-middle pixel,
/// truncates the strip so that no column keeps more than 100 pixels, and
/// subtracts the lesion mean. MSD is NaN only when both side strips are
/// empty (lesion touching both side borders): MATLAB's `min` ignores one NaN.
pub fn compute(p: &Prepared) -> Vec<f64> {
    let (w, h) = (p.width, p.height);
    let b = p.bbox;
    let g = round_half_away((b.col1 - b.col0) as f64 / 6.0) as usize;
    // Central columns C (0-based, inclusive); empty when g is too large.
    let (c0, c1) = (b.col0 + g, b.col1 as isize - g as isize);
    let lesion_mean =
        p.pixels.iter().map(|&i| p.image[i] as f64).sum::<f64>() / p.pixels.len() as f64;

    let ps_d = if (c0 as isize) > c1 {
        f64::NAN
    } else {
        let c1 = c1 as usize;
        let (sw, sh) = (c1 - c0 + 1, h - b.row0);
        let at = |r: usize, c: usize| (b.row0 + r) * w + c0 + c;
        let seed_c = (round_half_away(sw as f64 / 2.0) as usize).max(1) - 1;
        let seed = at(sh - 1, seed_c);
        let mut kept = vec![false; sw * sh];
        if p.mask[seed] {
            for r in 0..sh {
                for c in 0..sw {
                    kept[r * sw + c] = p.mask[at(r, c)];
                }
            }
        } else {
            let bg: Vec<bool> = (0..sw * sh).map(|i| !p.mask[at(i / sw, i % sw)]).collect();
            let (labels, _) = label8(sw, sh, &bg);
            let id = labels[(sh - 1) * sw + seed_c];
            for (k, &l) in kept.iter_mut().zip(&labels) {
                *k = l == id;
            }
        }
        let max_count = (0..sw)
            .map(|c| (0..sh).filter(|&r| kept[r * sw + c]).count())
            .max()
            .unwrap_or(0);
        let rows = if max_count > 100 {
            sh - (max_count - 100)
        } else {
            sh
        };
        let (mut s, mut n) = (0.0, 0usize);
        for r in 0..rows {
            for c in 0..sw {
                if kept[r * sw + c] {
                    s += p.image[at(r, c)] as f64;
                    n += 1;
                }
            }
        }
        s / n as f64 - lesion_mean
    };

    let strip = |cols: std::ops::Range<usize>| -> Vec<u8> {
        let mut v = Vec::new();
        for r in b.row1..h {
            for c in cols.clone() {
                v.push(p.image[r * w + c]);
            }
        }
        v
    };
    let mp = if (c0 as isize) > c1 {
        f64::NAN
    } else {
        median(strip(c0..c1 as usize + 1))
    };
    let ml = median(strip(0..b.col0));
    let mr = median(strip(b.col1 + 1..w));
    let (a, bb) = (mp - ml, mp - mr);
    let msd = if a.is_nan() {
        bb
    } else if bb.is_nan() {
        a
    } else {
        a.min(bb)
    };
    vec![ps_d, msd]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_by_counting_equals_median_by_sorting() {
        // MATLAB's median straight from its definition, on a sorted copy.
        let by_sorting = |mut v: Vec<u8>| {
            v.sort_unstable();
            let n = v.len();
            if n % 2 == 1 {
                v[n / 2] as f64
            } else {
                (v[n / 2 - 1] as f64 + v[n / 2] as f64) / 2.0
            }
        };
        let mut x = 99u32;
        for n in [1usize, 2, 3, 4, 7, 10, 255, 256, 1001] {
            let v: Vec<u8> = (0..n)
                .map(|_| {
                    x = x.wrapping_mul(1664525).wrapping_add(1013904223);
                    (x >> 24) as u8
                })
                .collect();
            assert_eq!(
                median(v.clone()).to_bits(),
                by_sorting(v).to_bits(),
                "n {n}"
            );
        }
        assert_eq!(median(vec![0, 255]), 127.5);
        assert!(median(Vec::new()).is_nan());
    }

    /// Lesion rows 2..=4, columns `c0..=c1` of a `w × h` image; `U` set by hand
    /// afterwards (the despeckled image is replaced so values are exact).
    fn case(w: usize, h: usize, c0: usize, c1: usize, u: impl Fn(usize, usize) -> u8) -> Prepared {
        let mask: Vec<bool> = (0..w * h)
            .map(|i| (2..=4).contains(&(i / w)) && (c0..=c1).contains(&(i % w)))
            .collect();
        let mut p = Prepared::new(w, h, &vec![0; w * h], &mask).expect("valid");
        p.image = (0..w * h).map(|i| u(i / w, i % w)).collect();
        p
    }

    #[test]
    fn hand_values_below_and_beside() {
        // Lesion cols 6..=13 (8 wide): g = round(7/6) = 1, C = cols 7..=12.
        // Below the lesion in C: 100; lesion 40; left 70, right 80.
        // PS_D = 100 − 40. MSD rows 4..: mp = median(6×40, 42×100) = 100,
        // ml = 70, mr = 80 → min(30, 20) = 20.
        let p = case(20, 12, 6, 13, |r, c| match (r, c) {
            (2..=4, 6..=13) => 40,
            (5.., 6..=13) => 100,
            (_, 0..=5) => 70,
            _ => 80,
        });
        assert_eq!(compute(&p), vec![60.0, 20.0]);
    }

    #[test]
    fn tall_strips_are_cut_to_100_kept_rows() {
        // 145 kept rows (5..=149) per column > 100: the bottom 45 rows of the
        // strip are dropped, leaving rows 5..=104 whose U is the row index:
        // mean 54.5, lesion mean 0.
        let p = case(20, 150, 6, 13, |r, c| {
            if (2..=4).contains(&r) && (6..=13).contains(&c) {
                0
            } else {
                r as u8
            }
        });
        assert_eq!(compute(&p)[0], 54.5);
    }

    #[test]
    fn msd_uses_the_one_side_left() {
        // Lesion touching the left border: no left strip (NaN ignored), so
        // MSD = mp − mr. Even count median: MATLAB averages the middle two.
        let p = case(12, 8, 0, 7, |r, c| match (r, c) {
            (2..=4, 0..=7) => 10,
            (_, 8..) => {
                if r % 2 == 0 {
                    31
                } else {
                    30
                }
            }
            _ => 50,
        });
        // C = cols 1..=6; rows 4..=7: 6 × 10 and 18 × 50 → median 50.
        // Right strip cols 8..=11, rows 4..=7: 8 × 31 and 8 × 30 → 30.5.
        assert_eq!(compute(&p)[1], 50.0 - 30.5);
    }
}
