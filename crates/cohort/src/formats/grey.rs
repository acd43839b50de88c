//! Grey levels shared by the image formats: colour → grey with [`LUMA`],
//! rounding onto 0–255, and the VOI mapping of data of more than 8 bits
//! (a window of PS3.3 C.11.2.1.2, else the values' own min–max).

use crate::pixels::{LUMA, Voi};

/// Grey level of an RGB triple with [`LUMA`].
pub(crate) fn luma(r: f64, g: f64, b: f64) -> f64 {
    LUMA[0] * r + LUMA[1] * g + LUMA[2] * b
}

/// Rounds half away from zero and clamps to 0..=255.
pub(crate) fn to_u8(v: f64) -> u8 {
    v.round().clamp(0.0, 255.0) as u8
}

/// The VOI linear function of PS3.3 C.11.2.1.2.1 onto 0–255 (unrounded).
fn window_linear(x: f64, c: f64, w: f64) -> f64 {
    if x <= c - 0.5 - (w - 1.0) / 2.0 {
        0.0
    } else if x > c - 0.5 + (w - 1.0) / 2.0 {
        255.0
    } else {
        ((x - (c - 0.5)) / (w - 1.0) + 0.5) * 255.0
    }
}

/// LINEAR_EXACT (PS3.3 C.11.2.1.3.2) onto 0–255.
fn window_linear_exact(x: f64, c: f64, w: f64) -> f64 {
    if x <= c - w / 2.0 {
        0.0
    } else if x > c + w / 2.0 {
        255.0
    } else {
        ((x - c) / w + 0.5) * 255.0
    }
}

/// SIGMOID (PS3.3 C.11.2.1.3.1) onto 0–255.
fn window_sigmoid(x: f64, c: f64, w: f64) -> f64 {
    255.0 / (1.0 + (-4.0 * (x - c) / w).exp())
}

/// Maps values of more than 8 bits to 0–255: a given window first, else the
/// file's window (`(center, width, VOI LUT Function)`), else the values' own
/// min–max; each rounded half away from zero.
pub(crate) fn map_voi(
    values: &[f64],
    file_window: Option<(f64, f64, String)>,
    given: Option<(f64, f64)>,
) -> (Vec<u8>, Voi) {
    let window = given
        .map(|(c, w)| (c, w, "LINEAR".to_string(), "given"))
        .or(file_window.map(|(c, w, f)| (c, w, f, "file")));
    if let Some((c, w, function, source)) = window {
        let f: fn(f64, f64, f64) -> f64 = match function.as_str() {
            "LINEAR_EXACT" => window_linear_exact,
            "SIGMOID" => window_sigmoid,
            _ => window_linear,
        };
        let function = match function.as_str() {
            "LINEAR_EXACT" | "SIGMOID" => function,
            _ => "LINEAR".to_string(),
        };
        let px = values.iter().map(|&x| to_u8(f(x, c, w))).collect();
        return (
            px,
            Voi::Window {
                center: c,
                width: w,
                function,
                source: source.to_string(),
            },
        );
    }
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let px = if max > min {
        values
            .iter()
            .map(|&x| to_u8((x - min) * 255.0 / (max - min)))
            .collect()
    } else {
        vec![0; values.len()]
    };
    (px, Voi::MinMax { min, max })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_linear_matches_the_standard() {
        // Hand values of PS3.3 C.11.2.1.2.1 for c = 2000, w = 1001 onto 0..255.
        assert_eq!(window_linear(1499.5, 2000.0, 1001.0), 0.0);
        assert!((window_linear(1750.0, 2000.0, 1001.0) - 63.8775).abs() < 1e-9);
        assert_eq!(window_linear(2499.6, 2000.0, 1001.0), 255.0);
        // LINEAR_EXACT: c = 100, w = 50: 110 → (10/50 + 0.5)·255 = 178.5.
        assert!((window_linear_exact(110.0, 100.0, 50.0) - 178.5).abs() < 1e-9);
    }
}
