//! Orientation family, columns 21–22 (handcrafted-features.md §5.1): oAngle
//! (Moon et al. 2013) and oDWR.

use crate::Prepared;
use crate::blocks::{central_moments, lesion_pixels};

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
