//! Orientation family, columns 21–22 (handcrafted-features.md §5.1): oAngle
//! (Moon et al. 2013) and oDWR.

use crate::Prepared;
use crate::blocks::central_moments;
use crate::prepared::lesion_pixels;

/// Column names of this family, in released order.
pub const COLUMNS: [&str; 2] = ["oAngle", "oDWR"];

/// oAngle and oDWR (§5.1).
///
/// oAngle follows BUSAT's case split, not a full orientation: `θ0 =
/// ½·atan(2Sxy/(Sxx − Syy))`; `|θ0|` if `Sxx > Syy`, `π/2 − |θ0|` if
/// `Sxx < Syy`, else (including `θ0 = 0`) `θ0`, so an axis-aligned vertical
/// lesion gives 0, not 90.
/// oDWR is the ratio of pixel index differences, not of extents.
pub fn compute(p: &Prepared) -> Vec<f64> {
    let (sxx, syy, sxy) = central_moments(&lesion_pixels(p), p.centroid);
    let theta0 = 0.5 * (2.0 * sxy / (sxx - syy)).atan();
    // θ0 = 0 falls through to θ0 itself: that is the vertical-lesion quirk.
    let theta = if theta0 != 0.0 && sxx > syy {
        theta0.abs()
    } else if theta0 != 0.0 && sxx < syy {
        std::f64::consts::FRAC_PI_2 - theta0.abs()
    } else {
        theta0
    };
    let b = p.bbox;
    let dwr = (b.row1 - b.row0) as f64 / (b.col1 - b.col0) as f64;
    vec![theta.to_degrees(), dwr]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A prepared `w × h` image whose mask is the rectangle rows `r`, cols `c`.
    fn rect(w: usize, h: usize, r: std::ops::Range<usize>, c: std::ops::Range<usize>) -> Prepared {
        let mask: Vec<bool> = (0..w * h)
            .map(|i| r.contains(&(i / w)) && c.contains(&(i % w)))
            .collect();
        Prepared::new(w, h, &vec![50; w * h], &mask).expect("valid")
    }

    #[test]
    fn axis_aligned_rectangles_give_zero_even_when_vertical() {
        // Vertical 3×7: Sxx < Syy, Sxy = 0, θ0 = −0 → the toolbox's 0 (not 90).
        let v = compute(&rect(12, 12, 2..9, 4..7));
        assert_eq!(v[0], 0.0);
        assert_eq!(v[1], 6.0 / 2.0);
        // Horizontal 7×3: θ0 = 0 → 0; depth/width = 2/6.
        let h = compute(&rect(12, 12, 4..7, 2..9));
        assert_eq!(h, vec![0.0, 2.0 / 6.0]);
        // Square: Sxx = Syy, Sxy = 0 → atan(0/0) = NaN.
        assert!(compute(&rect(12, 12, 3..7, 3..7))[0].is_nan());
    }

    #[test]
    fn diagonal_line_is_45_degrees() {
        // Pixels (k, k): Sxx = Syy = Sxy > 0 → atan(+inf) = π/2 → θ0 = 45°.
        let w = 10;
        let mask: Vec<bool> = (0..w * w)
            .map(|i| i / w == i % w && (2..8).contains(&(i % w)))
            .collect();
        let p = Prepared::new(w, w, &vec![9; w * w], &mask).expect("valid");
        let v = compute(&p);
        assert!((v[0] - 45.0).abs() < 1e-12, "{}", v[0]);
        assert_eq!(v[1], 1.0);
    }

    #[test]
    fn tilted_ellipse_angle_follows_the_case_split() {
        // Hand values from the moments: Sxx > Syy uses |θ0|; Sxx < Syy uses
        // 90 − |θ0|. Pixels of a 2-row "staircase": (0,0),(0,1),(1,1),(1,2),(1,3)
        // shifted into an image: x = [0,1,1,2,3], y = [0,0,1,1,1];
        // x̄ = 1.4, ȳ = 0.6; Sxx = 1.04, Syy = 0.24, Sxy = 0.36.
        // θ0 = ½·atan(0.72/0.8) = 0.36647… rad → 20.9976…°.
        let w = 8;
        let pts = [(2, 2), (2, 3), (3, 3), (3, 4), (3, 5)];
        let mask: Vec<bool> = (0..w * w).map(|i| pts.contains(&(i / w, i % w))).collect();
        let p = Prepared::new(w, w, &vec![9; w * w], &mask).expect("valid");
        let want = (0.5 * (0.72f64 / 0.8).atan()).to_degrees();
        assert!((compute(&p)[0] - want).abs() < 1e-9);
        // Transposed: Sxx < Syy → 90 − |θ0|.
        let mask_t: Vec<bool> = (0..w * w).map(|i| pts.contains(&(i % w, i / w))).collect();
        let p = Prepared::new(w, w, &vec![9; w * w], &mask_t).expect("valid");
        assert!((compute(&p)[0] - (90.0 - want)).abs() < 1e-9);
    }
}
