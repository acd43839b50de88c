//! Small 2-D field helpers for rendering: smooth value noise and a separable
//! Gaussian filter. Hand-written because the `image` crate's blur works on
//! 8-bit/`f32` images with its own kernel truncation and no anisotropy, while
//! speckle needs an anisotropic filter on a complex float field.

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

/// Smooth random field: N(0, 1) values on a coarse grid, interpolated with
/// smoothstep-weighted bilinear interpolation (its SD is about 0.6).
pub(crate) struct ValueNoise {
    grid: Vec<f64>,
    gw: usize,
    gh: usize,
    cell_x: f64,
    cell_y: f64,
}

impl ValueNoise {
    /// A field covering `width` × `height` px with grid spacing `cell_x` px
    /// across and `cell_y` px down (unequal spacings give streaks).
    pub(crate) fn new<R: Rng>(
        rng: &mut R,
        width: usize,
        height: usize,
        cell_x: f64,
        cell_y: f64,
    ) -> Self {
        let (cell_x, cell_y) = (cell_x.max(1.0), cell_y.max(1.0));
        let gw = (width as f64 / cell_x).ceil() as usize + 2;
        let gh = (height as f64 / cell_y).ceil() as usize + 2;
        let grid = (0..gw * gh).map(|_| StandardNormal.sample(rng)).collect();
        ValueNoise {
            grid,
            gw,
            gh,
            cell_x,
            cell_y,
        }
    }

    /// The field at pixel (x, y).
    pub(crate) fn at(&self, x: f64, y: f64) -> f64 {
        let gx = (x / self.cell_x).max(0.0);
        let gy = (y / self.cell_y).max(0.0);
        let (ix, iy) = (
            (gx as usize).min(self.gw - 2),
            (gy as usize).min(self.gh - 2),
        );
        let s = |t: f64| {
            let t = t.clamp(0.0, 1.0);
            t * t * (3.0 - 2.0 * t)
        };
        let (fx, fy) = (s(gx - ix as f64), s(gy - iy as f64));
        let g = |i: usize, j: usize| self.grid[j * self.gw + i];
        let top = g(ix, iy) * (1.0 - fx) + g(ix + 1, iy) * fx;
        let bottom = g(ix, iy + 1) * (1.0 - fx) + g(ix + 1, iy + 1) * fx;
        top * (1.0 - fy) + bottom * fy
    }
}

/// Normalised Gaussian kernel with SD `sigma` (px), truncated at 3 SD.
fn kernel(sigma: f64) -> Vec<f64> {
    if sigma < 0.05 {
        return vec![1.0];
    }
    let r = (3.0 * sigma).ceil() as i64;
    let k: Vec<f64> = (-r..=r)
        .map(|i| (-(i * i) as f64 / (2.0 * sigma * sigma)).exp())
        .collect();
    let s: f64 = k.iter().sum();
    k.into_iter().map(|v| v / s).collect()
}

/// Filters a row-major `width` × `height` field in place with a Gaussian of
/// SD `sx` px horizontally and `sy` px vertically (edges clamped). Returns the
/// factor Σk² of the 2-D kernel, the variance gain for white noise input.
pub(crate) fn gaussian(data: &mut [f64], width: usize, height: usize, sx: f64, sy: f64) -> f64 {
    let kx = kernel(sx);
    let ky = kernel(sy);
    let mut tmp = vec![0.0; data.len()];
    // Each output sums its taps in kernel order, as a per-pixel loop would
    // (same bits); the loops run tap-outer, pixel-inner so they vectorise.
    let rx = kx.len() / 2;
    let mut padded = vec![0.0; width + 2 * rx];
    for y in 0..height {
        let row = &data[y * width..(y + 1) * width];
        // The row extended by clamping at both edges.
        for (i, p) in padded.iter_mut().enumerate() {
            *p = row[(i as i64 - rx as i64).clamp(0, width as i64 - 1) as usize];
        }
        let out = &mut tmp[y * width..(y + 1) * width];
        out.fill(0.0);
        for (t, &kv) in kx.iter().enumerate() {
            for (o, &v) in out.iter_mut().zip(&padded[t..t + width]) {
                *o += kv * v;
            }
        }
    }
    let ry = (ky.len() / 2) as i64;
    for y in 0..height {
        let out = &mut data[y * width..(y + 1) * width];
        out.fill(0.0);
        for (t, &kv) in ky.iter().enumerate() {
            let yi = (y as i64 + t as i64 - ry).clamp(0, height as i64 - 1) as usize;
            for (o, &v) in out.iter_mut().zip(&tmp[yi * width..(yi + 1) * width]) {
                *o += kv * v;
            }
        }
    }
    kx.iter().map(|v| v * v).sum::<f64>() * ky.iter().map(|v| v * v).sum::<f64>()
}

/// Hermite smoothstep from 0 at `e0` to 1 at `e1`.
pub(crate) fn smoothstep(e0: f64, e1: f64, x: f64) -> f64 {
    if e1 <= e0 {
        return if x < e0 { 0.0 } else { 1.0 };
    }
    let t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The filter straight from its definition, one output pixel at a time.
    fn gaussian_by_pixel(data: &mut [f64], width: usize, height: usize, sx: f64, sy: f64) {
        let (kx, ky) = (kernel(sx), kernel(sy));
        let (rx, ry) = ((kx.len() / 2) as i64, (ky.len() / 2) as i64);
        let mut tmp = vec![0.0; data.len()];
        for y in 0..height {
            for x in 0..width {
                let mut acc = 0.0;
                for (t, &kv) in kx.iter().enumerate() {
                    let xi = (x as i64 + t as i64 - rx).clamp(0, width as i64 - 1) as usize;
                    acc += kv * data[y * width + xi];
                }
                tmp[y * width + x] = acc;
            }
        }
        for y in 0..height {
            for x in 0..width {
                let mut acc = 0.0;
                for (t, &kv) in ky.iter().enumerate() {
                    let yi = (y as i64 + t as i64 - ry).clamp(0, height as i64 - 1) as usize;
                    acc += kv * tmp[yi * width + x];
                }
                data[y * width + x] = acc;
            }
        }
    }

    #[test]
    fn gaussian_equals_the_per_pixel_definition_bit_for_bit() {
        // Sizes narrower than the kernel, one row, anisotropic and no-op sigmas.
        let mut x = 7u64;
        for (w, h, sx, sy) in [
            (37, 23, 1.3, 2.7),
            (5, 9, 2.5, 0.01),
            (60, 1, 0.8, 0.0),
            (3, 2, 4.0, 4.0),
        ] {
            let data: Vec<f64> = (0..w * h)
                .map(|_| {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (x >> 11) as f64 / (1u64 << 53) as f64 - 0.5
                })
                .collect();
            let (mut a, mut b) = (data.clone(), data);
            gaussian(&mut a, w, h, sx, sy);
            gaussian_by_pixel(&mut b, w, h, sx, sy);
            let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&a), bits(&b), "{w}×{h} σ=({sx},{sy})");
        }
    }
}
