//! Boundary family, columns 28–32, and the normalised radial gradient,
//! column 546 (handcrafted-features.md §5.4; Shen et al. 2007; Horsch et
//! al. 2002): bLB10px, bLB25., bLB50., bLB100., bNRG and nrg.

use crate::Prepared;
use crate::blocks::{Window, distance_inside, distance_outside, perimeter_pixels};

/// Column names of this family, in released order (`nrg`, column 546, is
/// the same number as bNRG and is filled from here too).
pub const COLUMNS: [&str; 6] = ["bLB10px", "bLB25.", "bLB50.", "bLB100.", "bNRG", "nrg"];

/// bLB10px, bLB25., bLB50., bLB100., bNRG, nrg (§5.4).
///
/// The distance maps are computed on windows, not the whole image: `Din` on
/// the lesion box plus one pixel (its frame is background, so no nearer
/// background pixel lies beyond it), `Dout` on the box grown by the widest
/// band needed, `K = max(10, ⌈max Din⌉)` (at `K` the inside band already
/// holds all of `A`), plus one. Both windows hold every lesion pixel, so
/// the distances inside them are exact; pixels farther out are in no band.
pub fn compute(p: &Prepared) -> Vec<f64> {
    let b = p.bbox;
    let grow = |k: usize| Window {
        row0: b.row0.saturating_sub(k),
        col0: b.col0.saturating_sub(k),
        rows: (b.row1 + k).min(p.height - 1) + 1 - b.row0.saturating_sub(k),
        cols: (b.col1 + k).min(p.width - 1) + 1 - b.col0.saturating_sub(k),
    };
    let win_in = grow(1);
    let din = distance_inside(&win_in.crop(p.width, &p.mask));
    let max_din = din
        .iter()
        .copied()
        .filter(|d| d.is_finite())
        .fold(0.0f64, f64::max);
    let reach = (max_din.ceil() as usize).max(10);
    let win_out = grow(reach + 1);
    let dout = distance_outside(&win_out.crop(p.width, &p.mask));
    let bands = Bands::new(p, reach, (win_in, &din), (win_out, &dout));
    let area = p.area() as f64;
    let mut out = vec![bands.difference(10)];
    for f in [0.25, 0.5, 1.0] {
        out.push(bands.difference(bands.width_for(f * area)));
    }
    let nrg = radial_gradient(p, win_in);
    out.extend([nrg, nrg]);
    out
}

/// Per-integer-width sums of `U` and pixel counts in the inside and outside
/// bands: `band[k]` holds pixels with `k − 1 < D ≤ k`, for `k ≤ reach`.
struct Bands {
    in_sum: Vec<f64>,
    in_n: Vec<usize>,
    out_sum: Vec<f64>,
    out_n: Vec<usize>,
}

impl Bands {
    /// Bins lesion pixels of the `Din` window and non-lesion pixels of the
    /// `Dout` window by `⌈D⌉` up to `reach` (sums of 8-bit values are exact).
    fn new(p: &Prepared, reach: usize, din: (Window, &[f64]), dout: (Window, &[f64])) -> Self {
        let cap = reach + 1;
        let mut s = Self {
            in_sum: vec![0.0; cap],
            in_n: vec![0; cap],
            out_sum: vec![0.0; cap],
            out_n: vec![0; cap],
        };
        for (lesion, (win, d), sum, n) in [
            (true, din, &mut s.in_sum, &mut s.in_n),
            (false, dout, &mut s.out_sum, &mut s.out_n),
        ] {
            for r in 0..win.rows {
                for c in 0..win.cols {
                    let i = (win.row0 + r) * p.width + win.col0 + c;
                    let dv = d[r * win.cols + c];
                    if p.mask[i] == lesion && dv > 0.0 && dv <= reach as f64 {
                        let k = dv.ceil() as usize;
                        sum[k] += p.image[i] as f64;
                        n[k] += 1;
                    }
                }
            }
        }
        s
    }

    /// Mean of `U` over `0 < Dout ≤ k` minus the mean over `0 < Din ≤ k`.
    fn difference(&self, k: usize) -> f64 {
        let k = k.min(self.in_n.len() - 1);
        let m = |sum: &[f64], n: &[usize]| {
            sum[..=k].iter().sum::<f64>() / n[..=k].iter().sum::<usize>() as f64
        };
        m(&self.out_sum, &self.out_n) - m(&self.in_sum, &self.in_n)
    }

    /// Smallest `k ≥ 1` whose inside or outside band holds at least `target` pixels.
    fn width_for(&self, target: f64) -> usize {
        let (mut ni, mut no) = (0usize, 0usize);
        for k in 1..self.in_n.len() {
            ni += self.in_n[k];
            no += self.out_n[k];
            if ni as f64 >= target || no as f64 >= target {
                return k;
            }
        }
        self.in_n.len() - 1
    }
}

/// Normalised radial gradient (§5.4; Horsch et al. 2002): gradients of `U`
/// by correlation with the 5×5 kernel `Kx` and its transpose (edge pixels
/// replicated), projected on the unit vector from the centroid, summed over
/// the lesion's perimeter pixels and divided by the summed magnitudes.
fn radial_gradient(p: &Prepared, win: Window) -> f64 {
    const KX: [[f64; 5]; 5] = [
        [-1.0, -2.0, 0.0, 2.0, 1.0],
        [-4.0, -8.0, 0.0, 8.0, 4.0],
        [-6.0, -12.0, 0.0, 12.0, 6.0],
        [-4.0, -8.0, 0.0, 8.0, 4.0],
        [-1.0, -2.0, 0.0, 2.0, 1.0],
    ];
    let (w, h) = (p.width as isize, p.height as isize);
    let px =
        |r: isize, c: isize| p.image[(r.clamp(0, h - 1) * w + c.clamp(0, w - 1)) as usize] as f64;
    // Perimeter pixels on the box plus one pixel: the same set as on the
    // whole image, since the window's edges are background or image edges.
    let per = perimeter_pixels(&win.crop(p.width, &p.mask));
    let (mut num, mut den) = (0.0, 0.0);
    for (r, c) in per.pixels() {
        let (r, c) = ((r + win.row0) as isize, (c + win.col0) as isize);
        let (mut gx, mut gy) = (0.0, 0.0);
        for (i, krow) in KX.iter().enumerate() {
            for (j, &k) in krow.iter().enumerate() {
                // gx correlates with Kx; gy with its transpose (Kx[j][i] at (i, j)).
                gx += k * px(r + i as isize - 2, c + j as isize - 2);
                gy += k * px(r + j as isize - 2, c + i as isize - 2);
            }
        }
        let dx = c as f64 - p.centroid.1;
        let dy = r as f64 - p.centroid.0;
        let norm = (dx * dx + dy * dy).sqrt();
        num += (gx * dx + gy * dy) / norm;
        den += (gx * gx + gy * gy).sqrt();
    }
    num / den
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn band_widths_and_means_by_hand() {
        // 5×5 lesion in a 15×15 image. Inside: Din = 1 on the 16-pixel ring
        // (U = 10), more inside (U = 0). Outside: Dout = 1 on 20 edge-adjacent
        // pixels (U = 50), √2 at the 4 corners (U = 60), the rest U = 90.
        let w = 15;
        let inside = |r: usize, c: usize| (5..10).contains(&r) && (5..10).contains(&c);
        let mask: Vec<bool> = (0..w * w).map(|i| inside(i / w, i % w)).collect();
        let mut p = Prepared::new(w, w, &vec![0; w * w], &mask).expect("valid");
        p.image = (0..w * w)
            .map(|i| {
                let (r, c) = (i / w, i % w);
                let dr = 5usize.saturating_sub(r).max(r.saturating_sub(9));
                let dc = 5usize.saturating_sub(c).max(c.saturating_sub(9));
                match (inside(r, c), dr, dc) {
                    (true, _, _) if r == 5 || r == 9 || c == 5 || c == 9 => 10,
                    (true, _, _) => 0,
                    (false, 1, 0) | (false, 0, 1) => 50,
                    (false, 1, 1) => 60,
                    _ => 90,
                }
            })
            .collect();
        let v = compute(&p);
        // bLB10px: every pixel is within 10 → outside (20·50 + 4·60 + 176·90)/200
        // = 85.4, inside (16·10)/25 = 6.4.
        assert!((v[0] - (85.4 - 6.4)).abs() < 1e-12);
        // 25% and 50% of A = 25: the 16-pixel inside ring at k = 1 suffices:
        // 50 − 10.
        assert!((v[1] - 40.0).abs() < 1e-12);
        assert!((v[2] - 40.0).abs() < 1e-12);
        // 100%: inside holds 16, 24, 25 at k = 1, 2, 3; outside 20 at k = 1 and
        // 44 at k = 2 (adds the 4 corners at √2 and 20 pixels at distance 2;
        // √5 > 2 stays out) → k = 2: outside (20·50 + 4·60 + 20·90)/44,
        // inside (16·10 + 8·0)/24.
        let want = (1000.0 + 240.0 + 1800.0) / 44.0 - 160.0 / 24.0;
        assert!((v[3] - want).abs() < 1e-12);
    }

    #[test]
    fn radial_gradient_is_one_for_a_bright_ring_edge() {
        // A dark disk on a bright field: at every perimeter pixel the gradient
        // points away from the centre, so nrg is close to 1; inverted
        // contrast gives close to −1, and bNRG equals nrg.
        let w = 41;
        let mask: Vec<bool> = (0..w * w)
            .map(|i| {
                let (r, c) = ((i / w) as f64 - 20.0, (i % w) as f64 - 20.0);
                r * r + c * c <= 100.0
            })
            .collect();
        let mut p = Prepared::new(w, w, &vec![0; w * w], &mask).expect("valid");
        p.image = mask.iter().map(|&m| if m { 20 } else { 200 }).collect();
        let v = compute(&p);
        assert!(v[4] > 0.9 && v[4] <= 1.0, "{}", v[4]);
        assert_eq!(v[4], v[5]);
        p.image = mask.iter().map(|&m| if m { 200 } else { 20 }).collect();
        assert!(compute(&p)[5] < -0.9);
    }
}
