//! Depth autocorrelation AutoCorr, column 46 (handcrafted-features.md §6.2;
//! Horsch, Giger, Venta & Vyborny 2002): how slowly the echo pattern of the
//! box decorrelates with depth.
//!
//! On the box (unmasked), `R = (U / max U)²` and `c(n) = Σ R(y+n, x)·R(y, x)`
//! for lags `n = 1..rows−1`; AutoCorr = `Σ_n c(n)/c(1)`. The scale `max U`
//! cancels in the ratio, so the code sums the integer products `U²·U²`, which
//! are exact in double precision (no rounding at all), and divides once per
//! lag; this equals the toolbox's value up to its own rounding (~1e-15
//! relative).

use crate::prepared::Prepared;
use crate::texture_util::BoxCrop;

/// Computes `[AutoCorr]` (§6.2). A one-row box has no lag and gives NaN, as
/// does an all-black box (`c(1) = 0`).
pub(crate) fn compute(p: &Prepared) -> Vec<f64> {
    let b = BoxCrop::new(p);
    vec![autocorr(&b.grey, b.rows, b.cols)]
}

/// AutoCorr of a row-major `rows × cols` grey block.
fn autocorr(grey: &[u8], rows: usize, cols: usize) -> f64 {
    if rows < 2 {
        return f64::NAN;
    }
    // Squares as f64: every product (≤ 255⁴) and partial sum is an integer
    // below 2^53 for boxes up to 2·10⁶ pixels, so the sums are exact in any
    // order; four accumulators let
    // the compiler vectorise.
    let sq: Vec<f64> = grey.iter().map(|&v| (v as f64) * (v as f64)).collect();
    let lag = |n: usize| -> f64 {
        let mut acc = [0.0f64; 4];
        for y in 0..rows - n {
            let a = &sq[y * cols..(y + 1) * cols];
            let b = &sq[(y + n) * cols..(y + n + 1) * cols];
            let (ac, ar) = a.split_at(cols - cols % 4);
            let (bc, br) = b.split_at(cols - cols % 4);
            for (x, z) in ac.chunks_exact(4).zip(bc.chunks_exact(4)) {
                for k in 0..4 {
                    acc[k] += x[k] * z[k];
                }
            }
            for (x, z) in ar.iter().zip(br) {
                acc[0] += x * z;
            }
        }
        (acc[0] + acc[1]) + (acc[2] + acc[3])
    };
    let c1 = lag(1);
    (1..rows).map(|n| lag(n) / c1).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::texture_util::fixtures;

    #[test]
    fn autocorr_matches_busat_on_bus01() {
        let p = fixtures::prepared("BUS01");
        fixtures::assert_columns(46, &compute(&p), 1e-9);
    }

    #[test]
    fn integer_sums_equal_the_scaled_definition() {
        // §6.2 literally in f64: R = (U / max U)², c(n), Σ c(n)/c(1).
        let mut state = 17u64;
        for (rows, cols) in [(2, 1), (5, 3), (31, 17)] {
            let g: Vec<u8> = (0..rows * cols)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    (state >> 24) as u8
                })
                .collect();
            let mx = *g.iter().max().unwrap() as f64;
            let r: Vec<f64> = g.iter().map(|&u| (u as f64 / mx).powi(2)).collect();
            let c = |n: usize| -> f64 {
                (0..rows - n)
                    .flat_map(|y| (0..cols).map(move |x| (y, x)))
                    .map(|(y, x)| r[(y + n) * cols + x] * r[y * cols + x])
                    .sum()
            };
            let want: f64 = (1..rows).map(|n| c(n) / c(1)).sum();
            let got = autocorr(&g, rows, cols);
            assert!(
                (got - want).abs() <= 1e-12 * want,
                "{rows}×{cols}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn autocorr_by_hand() {
        // Column of 3 rows with grey 1, 2, 1 (scale cancels): R ∝ 1, 4, 1;
        // c(1) = 1·4 + 4·1 = 8, c(2) = 1·1 = 1, AutoCorr = 1 + 1/8.
        assert_eq!(autocorr(&[1, 2, 1], 3, 1), 1.125);
        // Two columns double every c(n) and leave the ratio unchanged.
        assert_eq!(autocorr(&[1, 1, 2, 2, 1, 1], 3, 2), 1.125);
        assert!(autocorr(&[5, 6], 1, 2).is_nan());
    }
}
