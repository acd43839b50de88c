//! Shared building blocks of handcrafted-features.md §3: connected
//! components, distance maps, perimeter pixels, boundary trace and perimeter
//! length, pattern area, ellipse axes, convex hull, skeleton and BUSAT's
//! equivalent ellipse. Images are row-major `width × height` slices.

/// Labels 8-connected components of `mask`, scanning in column-major order
/// (smallest column, then smallest row) as the toolbox does, so label 1 is
/// the region holding the first pixel in that order. Returns the label image
/// (0 = background) and the size of each component (index = label − 1).
pub fn label8(width: usize, height: usize, mask: &[bool]) -> (Vec<u32>, Vec<usize>) {
    let mut labels = vec![0u32; width * height];
    let mut sizes = Vec::new();
    let mut stack = Vec::new();
    for c in 0..width {
        for r in 0..height {
            let i = r * width + c;
            if !mask[i] || labels[i] != 0 {
                continue;
            }
            let id = sizes.len() as u32 + 1;
            labels[i] = id;
            stack.push(i);
            let mut n = 0usize;
            while let Some(j) = stack.pop() {
                n += 1;
                let (jr, jc) = (j / width, j % width);
                for rr in jr.saturating_sub(1)..=(jr + 1).min(height - 1) {
                    for cc in jc.saturating_sub(1)..=(jc + 1).min(width - 1) {
                        let k = rr * width + cc;
                        if mask[k] && labels[k] == 0 {
                            labels[k] = id;
                            stack.push(k);
                        }
                    }
                }
            }
            sizes.push(n);
        }
    }
    (labels, sizes)
}
