//! Margin family, columns 25–27 (handcrafted-features.md §5.3; Moon et al.
//! 2013; Shen et al. 2007): undulations mMU, angularity mMA and their sum.

use crate::Prepared;
use crate::blocks::{Binary, distance_inside, keep_components_at_least, label8};
use crate::prepared::lesion_in_frame;

/// Column names of this family, in released order.
pub const COLUMNS: [&str; 3] = ["mMU", "mMA", "mMUA"];

/// mMU, mMA, mMUA (§5.3), on the box enlarged by one background pixel.
///
/// The inscribed circle is centred on the mean position of the maxima of
/// the inside distance map, with radius `max D + 1`. Undulations are the
/// components of `background XOR (ρ ≥ r)` that survive removing pieces under
/// 2 pixels and pixels within distance < 2 of the set's complement, and
/// whose own maximum inside distance exceeds 3. Angularity counts skeleton
/// components (≥ 5 pixels) outside the circle.
pub fn compute(p: &Prepared) -> Vec<f64> {
    let les = lesion_in_frame(p);
    let (rows, cols) = (les.height, les.width);
    let d = distance_inside(&les);
    let dmax = d.iter().copied().fold(0.0f64, f64::max);
    let (mut sr, mut sc, mut n) = (0.0, 0.0, 0usize);
    for (i, &v) in d.iter().enumerate() {
        if v == dmax {
            sr += (i / cols) as f64;
            sc += (i % cols) as f64;
            n += 1;
        }
    }
    let centre = (sr / n as f64, sc / n as f64);
    let radius = dmax + 1.0;
    let outside_circle: Vec<bool> = (0..rows * cols)
        .map(|i| {
            let dr = (i / cols) as f64 - centre.0;
            let dc = (i % cols) as f64 - centre.1;
            (dr * dr + dc * dc).sqrt() >= radius
        })
        .collect();

    // Undulations: exactly one of "background" and "ρ ≥ r", i.e. lesion == (ρ ≥ r).
    let set = Binary {
        width: cols,
        height: rows,
        data: les
            .data
            .iter()
            .zip(&outside_circle)
            .map(|(&l, &o)| l == o)
            .collect(),
    };
    let set = keep_components_at_least(&set, 2);
    let ds = distance_inside(&set);
    let core = Binary {
        width: cols,
        height: rows,
        data: ds.iter().map(|&v| v >= 2.0).collect(),
    };
    let (labels, sizes) = label8(cols, rows, &core.data);
    // Each component's own inside distance is computed on its bounding box
    // plus one pixel (clipped to B): the frame is outside the component, so
    // no nearer complement pixel can lie beyond it.
    let mut boxes = vec![(usize::MAX, 0usize, usize::MAX, 0usize); sizes.len()];
    for (i, &l) in labels.iter().enumerate() {
        if l != 0 {
            let b = &mut boxes[l as usize - 1];
            let (r, c) = (i / cols, i % cols);
            *b = (b.0.min(r), b.1.max(r), b.2.min(c), b.3.max(c));
        }
    }
    let mut mu = 0usize;
    for (k, &(r0, r1, c0, c1)) in boxes.iter().enumerate() {
        let id = k as u32 + 1;
        let (r0, c0) = (r0.saturating_sub(1), c0.saturating_sub(1));
        let (r1, c1) = ((r1 + 1).min(rows - 1), (c1 + 1).min(cols - 1));
        let (h, w) = (r1 - r0 + 1, c1 - c0 + 1);
        let comp = Binary {
            width: w,
            height: h,
            data: (0..w * h)
                .map(|i| labels[(r0 + i / w) * cols + c0 + i % w] == id)
                .collect(),
        };
        let inner = distance_inside(&comp);
        if inner.iter().copied().fold(0.0f64, f64::max) > 3.0 {
            mu += 1;
        }
    }

    // Angularity.
    let skel = p.skeleton();
    let far = Binary {
        width: cols,
        height: rows,
        data: skel
            .data
            .iter()
            .zip(&outside_circle)
            .map(|(&s, &o)| s && o)
            .collect(),
    };
    let far = keep_components_at_least(&far, 5);
    let ma = label8(cols, rows, &far.data).1.len();
    vec![mu as f64, ma as f64, (mu + ma) as f64]
}
