//! Lesion outlines as star-shaped radial functions r(θ) about a centre, their
//! rasterisation to masks, the ICC re-outlines and the Dice overlap.

use std::f64::consts::TAU;

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::params::ReaderModel;

/// Samples of r(θ) over a full turn.
pub const N_ANGLES: usize = 720;

/// A star-shaped outline: centre (px) and radius (px) at N_ANGLES equally
/// spaced angles, θ measured from +x towards +y (image down).
#[derive(Debug, Clone)]
pub struct Outline {
    /// Centre column, px.
    pub cx: f64,
    /// Centre row, px.
    pub cy: f64,
    /// r(2π i / N_ANGLES), px.
    pub radius: Vec<f64>,
}

impl Outline {
    /// r(θ) by linear interpolation between samples.
    pub fn radius_at(&self, theta: f64) -> f64 {
        let t = theta.rem_euclid(TAU) / TAU * N_ANGLES as f64;
        let i = (t as usize) % N_ANGLES;
        let f = t - t.floor();
        self.radius[i] * (1.0 - f) + self.radius[(i + 1) % N_ANGLES] * f
    }

    /// Signed radial distance of pixel centre (x, y) from the outline, px
    /// (negative inside), and its angle.
    pub fn radial_distance(&self, x: f64, y: f64) -> f64 {
        let (dx, dy) = (x - self.cx, y - self.cy);
        dx.hypot(dy) - self.radius_at(dy.atan2(dx))
    }

    /// The mask: pixel centres with radial distance ≤ 0.
    pub fn rasterize(&self, width: usize, height: usize) -> Vec<bool> {
        let mut m = vec![false; width * height];
        let rmax = self.radius.iter().cloned().fold(0.0, f64::max) + 1.0;
        let x0 = ((self.cx - rmax).floor().max(0.0)) as usize;
        let x1 = ((self.cx + rmax).ceil().max(0.0) as usize).min(width);
        let y0 = ((self.cy - rmax).floor().max(0.0)) as usize;
        let y1 = ((self.cy + rmax).ceil().max(0.0) as usize).min(height);
        for y in y0..y1 {
            for x in x0..x1 {
                if self.radial_distance(x as f64 + 0.5, y as f64 + 0.5) <= 0.0 {
                    m[y * width + x] = true;
                }
            }
        }
        keep_largest_region(&mut m, width, height);
        m
    }

    /// A reader's re-outline: the outline smoothed over `smoothing_deg`
    /// (readers do not trace every spicule), scaled by (1 + bias), and
    /// perturbed by a smooth radial jitter Σ_{k=1..4} a_k cos(kθ + φ_k),
    /// a_k ~ N(0, 1)/k rescaled to RMS `jitter_rms` (k = 1 shifts the
    /// outline, k = 2 stretches it, k = 3–4 wobble it).
    pub fn reoutline<R: Rng>(&self, model: &ReaderModel, bias: f64, rng: &mut R) -> Outline {
        let half = ((model.smoothing_deg / 360.0 * N_ANGLES as f64) / 2.0).round() as i64;
        let smooth: Vec<f64> = (0..N_ANGLES as i64)
            .map(|i| {
                let s: f64 = (-half..=half)
                    .map(|d| self.radius[(i + d).rem_euclid(N_ANGLES as i64) as usize])
                    .sum();
                s / (2 * half + 1) as f64
            })
            .collect();
        let amps: Vec<(f64, f64)> = (1..=4)
            .map(|k| {
                let a: f64 = StandardNormal.sample(rng);
                (a / k as f64, rng.random::<f64>() * TAU)
            })
            .collect();
        let rms = (amps.iter().map(|(a, _)| a * a).sum::<f64>() / 2.0)
            .sqrt()
            .max(1e-12);
        let radius = smooth
            .iter()
            .enumerate()
            .map(|(i, &r)| {
                let th = TAU * i as f64 / N_ANGLES as f64;
                let j: f64 = amps
                    .iter()
                    .enumerate()
                    .map(|(k, (a, ph))| a * ((k + 1) as f64 * th + ph).cos())
                    .sum();
                r * (1.0 + bias + model.jitter_rms * j / rms).max(0.5)
            })
            .collect();
        Outline {
            cx: self.cx,
            cy: self.cy,
            radius,
        }
    }
}

/// Keeps only the largest 8-connected region of a mask: a thin spicule can
/// leave a few detached pixels after rasterisation, and a manual outline is
/// one region (the feature extractors reject several).
fn keep_largest_region(m: &mut [bool], width: usize, height: usize) {
    let mut label = vec![0u32; m.len()];
    let mut sizes = vec![0usize];
    let mut stack = Vec::new();
    for start in 0..m.len() {
        if !m[start] || label[start] != 0 {
            continue;
        }
        let id = sizes.len() as u32;
        sizes.push(0);
        label[start] = id;
        stack.push(start);
        while let Some(i) = stack.pop() {
            sizes[id as usize] += 1;
            let (y, x) = ((i / width) as isize, (i % width) as isize);
            for dy in -1..=1isize {
                for dx in -1..=1isize {
                    let (ny, nx) = (y + dy, x + dx);
                    if ny < 0 || nx < 0 || ny >= height as isize || nx >= width as isize {
                        continue;
                    }
                    let j = ny as usize * width + nx as usize;
                    if m[j] && label[j] == 0 {
                        label[j] = id;
                        stack.push(j);
                    }
                }
            }
        }
    }
    if sizes.len() <= 2 {
        return;
    }
    let best = (1..sizes.len())
        .max_by_key(|&k| (sizes[k], std::cmp::Reverse(k)))
        .unwrap_or(1) as u32;
    for (v, l) in m.iter_mut().zip(&label) {
        *v = *v && *l == best;
    }
}

/// Dice overlap 2|A∩B| / (|A| + |B|) of two masks (1 when both are empty).
pub fn dice(a: &[bool], b: &[bool]) -> f64 {
    let (mut both, mut na, mut nb) = (0usize, 0usize, 0usize);
    for (&x, &y) in a.iter().zip(b) {
        both += usize::from(x && y);
        na += usize::from(x);
        nb += usize::from(y);
    }
    if na + nb == 0 {
        1.0
    } else {
        2.0 * both as f64 / (na + nb) as f64
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn detached_pixels_are_dropped() {
        // 5×4 mask: a 2×2 block at the top left and a lone pixel at (3, 4)
        // (row, column) that touches nothing, even diagonally.
        #[rustfmt::skip]
        let mut m = vec![
            true,  true,  false, false, false,
            true,  true,  false, false, false,
            false, false, false, false, false,
            false, false, false, false, true,
        ];
        keep_largest_region(&mut m, 5, 4);
        assert_eq!(m.iter().filter(|&&v| v).count(), 4);
        assert!(!m[19]);
        // Diagonal contact is 8-connected: nothing is removed.
        let mut d = vec![true, false, false, true];
        keep_largest_region(&mut d, 2, 2);
        assert_eq!(d, vec![true, false, false, true]);
    }

    use super::*;

    fn circle(r: f64) -> Outline {
        Outline {
            cx: 50.0,
            cy: 50.0,
            radius: vec![r; N_ANGLES],
        }
    }

    #[test]
    fn circle_mask_area_and_dice_by_hand() {
        // Area of a radius-20 disc: π 400 ≈ 1256.6 px; pixel-centre sampling
        // is within 1% at this size.
        let m = circle(20.0).rasterize(100, 100);
        let area = m.iter().filter(|&&b| b).count() as f64;
        assert!((area / (PI_400) - 1.0).abs() < 0.01, "{area}");
        // Concentric discs r = 20 and 18: Dice = 2·18² / (20² + 18²) = 0.8950.
        let m2 = circle(18.0).rasterize(100, 100);
        let d = dice(&m, &m2);
        assert!((d - 2.0 * 324.0 / 724.0).abs() < 0.01, "{d}");
        assert_eq!(dice(&m, &m), 1.0);
        assert_eq!(dice(&[false; 4], &[false; 4]), 1.0);
        assert_eq!(dice(&[true, false], &[false, true]), 0.0);
    }
    const PI_400: f64 = std::f64::consts::PI * 400.0;

    #[test]
    fn reoutline_is_smooth_jitter_not_a_dilation() {
        use rand::SeedableRng;
        let model = ReaderModel {
            smoothing_deg: 10.0,
            jitter_rms: 0.05,
            reader1_bias: 0.0,
            reader2_bias: 0.0,
        };
        let o = circle(30.0);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let r = o.reoutline(&model, 0.0, &mut rng);
        let rel: Vec<f64> = r.radius.iter().map(|x| x / 30.0 - 1.0).collect();
        let rms = (rel.iter().map(|x| x * x).sum::<f64>() / N_ANGLES as f64).sqrt();
        // The jitter is rescaled to the asked RMS exactly (up to sampling the
        // cosines on 720 angles).
        assert!((rms - 0.05).abs() < 1e-3, "{rms}");
        // Not a dilation: the outline moves out in some directions, in in others.
        assert!(rel.iter().any(|&x| x > 0.02) && rel.iter().any(|&x| x < -0.02));
        // Smooth: neighbouring samples (0.5°) differ by well under 1%.
        let step = rel
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f64::max);
        assert!(step < 0.005, "{step}");
    }
}
