//! The preview montage of a cohort: a few images at half size in a grid of
//! four columns, ordered by latent aggressiveness, each with its true outline
//! drawn (red for ALN+, cyan for ALN−), so a person can see the simulation.

use image::{Rgb, RgbImage};

/// One tile: image, mask and label.
pub(crate) struct Tile {
    pub(crate) width: usize,
    pub(crate) height: usize,
    pub(crate) pixels: Vec<u8>,
    pub(crate) mask: Vec<bool>,
    pub(crate) aln: bool,
}

/// Columns in a montage.
const COLS: usize = 4;
/// Gap between tiles, px.
const GAP: u32 = 4;

/// Picks `m` patients evenly spread over the aggressiveness order
/// (least to most aggressive).
pub(crate) fn pick(aggressiveness: &[f64], m: usize) -> Vec<usize> {
    let n = aggressiveness.len();
    let m = m.min(n);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| {
        aggressiveness[a]
            .total_cmp(&aggressiveness[b])
            .then(a.cmp(&b))
    });
    if m <= 1 {
        return order.into_iter().take(m).collect();
    }
    (0..m)
        .map(|j| order[(j * (n - 1) + (m - 1) / 2) / (m - 1)])
        .collect()
}

/// Builds the montage (tiles must share one size).
pub(crate) fn montage(tiles: &[Tile]) -> RgbImage {
    let (tw, th) = tiles
        .first()
        .map(|t| (t.width / 2, t.height / 2))
        .unwrap_or((1, 1));
    let cols = tiles.len().clamp(1, COLS);
    let rows = tiles.len().div_ceil(COLS).max(1);
    let mw = cols as u32 * (tw as u32 + GAP) + GAP;
    let mh = rows as u32 * (th as u32 + GAP) + GAP;
    let mut img = RgbImage::new(mw, mh);
    for (k, t) in tiles.iter().enumerate() {
        let ox = GAP + (k % COLS) as u32 * (tw as u32 + GAP);
        let oy = GAP + (k / COLS) as u32 * (th as u32 + GAP);
        // 2×2 box average of the image; a half-size pixel is lesion when any of
        // its four source pixels is.
        let inside = |x: usize, y: usize| -> bool {
            if x >= tw || y >= th {
                return false;
            }
            (0..2).any(|dy| (0..2).any(|dx| t.mask[(2 * y + dy) * t.width + 2 * x + dx]))
        };
        let colour = if t.aln {
            Rgb([235, 50, 40])
        } else {
            Rgb([40, 210, 235])
        };
        for y in 0..th {
            for x in 0..tw {
                let s: u32 = (0..2)
                    .flat_map(|dy| (0..2).map(move |dx| (dx, dy)))
                    .map(|(dx, dy)| t.pixels[(2 * y + dy) * t.width + 2 * x + dx] as u32)
                    .sum();
                let v = ((s + 2) / 4) as u8;
                let edge = inside(x, y)
                    && (x == 0
                        || y == 0
                        || !inside(x - 1, y)
                        || !inside(x + 1, y)
                        || !inside(x, y - 1)
                        || !inside(x, y + 1));
                img.put_pixel(
                    ox + x as u32,
                    oy + y as u32,
                    if edge { colour } else { Rgb([v, v, v]) },
                );
            }
        }
    }
    img
}
