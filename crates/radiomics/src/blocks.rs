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
    // The fill keeps (row, column) pairs: no division per visited pixel.
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for c in 0..width {
        for r in 0..height {
            let i = r * width + c;
            if !mask[i] || labels[i] != 0 {
                continue;
            }
            let id = sizes.len() as u32 + 1;
            labels[i] = id;
            stack.push((r, c));
            let mut n = 0usize;
            while let Some((jr, jc)) = stack.pop() {
                n += 1;
                let (c_lo, c_hi) = (jc.saturating_sub(1), (jc + 1).min(width - 1));
                for rr in jr.saturating_sub(1)..=(jr + 1).min(height - 1) {
                    let row = rr * width;
                    for cc in c_lo..=c_hi {
                        let k = row + cc;
                        if mask[k] && labels[k] == 0 {
                            labels[k] = id;
                            stack.push((rr, cc));
                        }
                    }
                }
            }
            sizes.push(n);
        }
    }
    (labels, sizes)
}

/// A binary image on a rectangular grid, row-major, `true` = set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binary {
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Row-major pixels.
    pub data: Vec<bool>,
}

impl Binary {
    /// An all-background image.
    pub fn new(width: usize, height: usize) -> Self {
        Self {
            width,
            height,
            data: vec![false; width * height],
        }
    }
    /// Pixel at (row, col), 0-based; outside the grid reads as background.
    #[inline]
    pub fn get(&self, r: isize, c: isize) -> bool {
        r >= 0
            && c >= 0
            && (r as usize) < self.height
            && (c as usize) < self.width
            && self.data[r as usize * self.width + c as usize]
    }
    /// Number of set pixels.
    pub fn count(&self) -> usize {
        self.data.iter().filter(|&&b| b).count()
    }
    /// The first set pixel in column-major order (smallest column, then
    /// smallest row), the toolbox's scan order.
    pub fn first_column_major(&self) -> Option<(usize, usize)> {
        (0..self.width)
            .flat_map(|c| (0..self.height).map(move |r| (r, c)))
            .find(|&(r, c)| self.data[r * self.width + c])
    }
    /// Set pixels as (row, col), column-major order.
    pub fn pixels(&self) -> Vec<(usize, usize)> {
        let mut v = Vec::new();
        for c in 0..self.width {
            for r in 0..self.height {
                if self.data[r * self.width + c] {
                    v.push((r, c));
                }
            }
        }
        v
    }
}

/// One-dimensional squared Euclidean distance transform (Felzenszwalb &
/// Huttenlocher 2012) of `f` (0 at features, `INF` elsewhere) into `d`.
fn edt_1d(f: &[f64], d: &mut [f64], v: &mut [usize], z: &mut [f64]) {
    let n = f.len();
    let mut k = 0usize;
    // Skip leading infinite entries: a parabola at +inf never wins.
    let first = match f.iter().position(|x| x.is_finite()) {
        Some(i) => i,
        None => {
            d.iter_mut().for_each(|x| *x = f64::INFINITY);
            return;
        }
    };
    v[0] = first;
    z[0] = f64::NEG_INFINITY;
    z[1] = f64::INFINITY;
    for q in first + 1..n {
        if !f[q].is_finite() {
            continue;
        }
        loop {
            let p = v[k];
            let s =
                ((f[q] + (q * q) as f64) - (f[p] + (p * p) as f64)) / (2.0 * (q as f64 - p as f64));
            if s <= z[k] {
                if k == 0 {
                    v[0] = q;
                    z[1] = f64::INFINITY;
                    break;
                }
                k -= 1;
            } else {
                k += 1;
                v[k] = q;
                z[k] = s;
                z[k + 1] = f64::INFINITY;
                break;
            }
        }
    }
    k = 0;
    for (q, out) in d.iter_mut().enumerate().take(n) {
        while z[k + 1] < q as f64 {
            k += 1;
        }
        let p = v[k];
        let dq = q as f64 - p as f64;
        *out = dq * dq + f[p];
    }
}

/// Exact Euclidean distance from every pixel to the nearest pixel where
/// `feature` is true, restricted to the grid (§3 "Distance maps"; MATLAB
/// `bwdist`). Infinite when there is no feature pixel.
pub fn distance_to(width: usize, height: usize, feature: &[bool]) -> Vec<f64> {
    let n = width.max(height);
    let (mut v, mut z) = (vec![0usize; n + 1], vec![0.0f64; n + 2]);
    let mut f = vec![0.0f64; n];
    let mut d = vec![0.0f64; n];
    // Columns: on a binary input the 1-D transform is the squared distance
    // to the nearest feature pixel of the column, found by a downward and an
    // upward sweep over whole rows (exact small integers, so the same values
    // as the parabola envelope; u32::MAX = no feature yet).
    let mut run = vec![u32::MAX; width * height];
    for r in 0..height {
        let (done, rest) = run.split_at_mut(r * width);
        let above = if r > 0 {
            &done[(r - 1) * width..]
        } else {
            &[][..]
        };
        let row = &mut rest[..width];
        let feat = &feature[r * width..(r + 1) * width];
        for c in 0..width {
            row[c] = if feat[c] {
                0
            } else if r > 0 {
                above[c].saturating_add(1)
            } else {
                u32::MAX
            };
        }
    }
    for r in (0..height.saturating_sub(1)).rev() {
        let (head, below) = run.split_at_mut((r + 1) * width);
        let row = &mut head[r * width..];
        for (x, &b) in row.iter_mut().zip(&below[..width]) {
            *x = (*x).min(b.saturating_add(1));
        }
    }
    let mut g: Vec<f64> = run
        .iter()
        .map(|&k| {
            if k == u32::MAX {
                f64::INFINITY
            } else {
                let k = k as f64;
                k * k
            }
        })
        .collect();
    for r in 0..height {
        f[..width].copy_from_slice(&g[r * width..(r + 1) * width]);
        edt_1d(&f[..width], &mut d[..width], &mut v, &mut z);
        for c in 0..width {
            g[r * width + c] = d[c].sqrt();
        }
    }
    g
}

/// `Din`: for set pixels, the distance to the nearest unset pixel of the
/// grid; 0 for unset pixels (§3).
pub fn distance_inside(b: &Binary) -> Vec<f64> {
    let bg: Vec<bool> = b.data.iter().map(|&x| !x).collect();
    distance_to(b.width, b.height, &bg)
}

/// `Dout`: for unset pixels, the distance to the nearest set pixel; 0 for
/// set pixels (§3).
pub fn distance_outside(b: &Binary) -> Vec<f64> {
    distance_to(b.width, b.height, &b.data)
}

/// Perimeter pixels (§3): set pixels with a 4-neighbour that is unset or
/// outside the grid (MATLAB `bwperim` with 4-connectivity).
pub fn perimeter_pixels(b: &Binary) -> Binary {
    let mut out = Binary::new(b.width, b.height);
    for r in 0..b.height as isize {
        for c in 0..b.width as isize {
            if b.get(r, c)
                && (!b.get(r - 1, c) || !b.get(r + 1, c) || !b.get(r, c - 1) || !b.get(r, c + 1))
            {
                out.data[r as usize * b.width + c as usize] = true;
            }
        }
    }
    out
}

/// Moore-neighbour directions in clockwise order on screen (rows down),
/// starting west: W, NW, N, NE, E, SE, S, SW.
const MOORE: [(isize, isize); 8] = [
    (0, -1),
    (-1, -1),
    (-1, 0),
    (-1, 1),
    (0, 1),
    (1, 1),
    (1, 0),
    (1, -1),
];

/// Outer boundary of the region holding the first set pixel in column-major
/// order, traced as a closed 8-connected chain by Moore-neighbour tracing
/// (§3 "Boundary trace", MATLAB `bwboundaries`): clockwise on screen, ends
/// by repeating the start pixel, keeps repeats where the region is one pixel
/// thick. Tracing stops when the start pixel is left towards the second
/// chain pixel again (Jacob's criterion). Points are (row, col), 0-based;
/// an empty image gives an empty chain, a single pixel `[p, p]`.
pub fn trace_boundary(b: &Binary) -> Vec<(usize, usize)> {
    let Some(start) = b.first_column_major() else {
        return Vec::new();
    };
    let start = (start.0 as isize, start.1 as isize);
    // From pixel `p` whose backtrack (a background neighbour) lies in
    // direction `from`, scan clockwise for the next set neighbour.
    let step = |p: (isize, isize), from: usize| -> Option<((isize, isize), usize)> {
        for k in 1..8 {
            let dir = (from + k) % 8;
            let q = (p.0 + MOORE[dir].0, p.1 + MOORE[dir].1);
            if b.get(q.0, q.1) {
                // The new backtrack is the previous (background) neighbour of p,
                // expressed as a direction from q.
                let back = (from + k + 7) % 8;
                let bk = (p.0 + MOORE[back].0, p.1 + MOORE[back].1);
                let rel = (bk.0 - q.0, bk.1 - q.1);
                let from_q = MOORE.iter().position(|&m| m == rel).unwrap_or(0);
                return Some((q, from_q));
            }
        }
        None
    };
    let to_u = |p: (isize, isize)| (p.0 as usize, p.1 as usize);
    let mut chain = vec![to_u(start)];
    // The start pixel's west neighbour is background (or off the grid).
    let Some((second, mut from)) = step(start, 0) else {
        chain.push(to_u(start));
        return chain;
    };
    let mut p = second;
    chain.push(to_u(p));
    // A closed trace visits each pixel at most four times; the cap only
    // guards against a logic error turning into an endless loop.
    let cap = 4 * b.count() + 8;
    while chain.len() <= cap {
        let Some((q, f)) = step(p, from) else {
            break;
        };
        if p == start && q == second {
            break;
        }
        chain.push(to_u(q));
        p = q;
        from = f;
    }
    chain
}

/// Perimeter length of a traced chain by the Vossepoel & Smeulders (1982)
/// estimator as MATLAB `regionprops(.., 'Perimeter')` applies it (§3):
/// `0.980·n_e + 1.406·n_o − 0.091·n_c`, corners counted cyclically.
pub fn chain_perimeter(chain: &[(usize, usize)]) -> f64 {
    if chain.len() < 2 {
        return 0.0;
    }
    let d: Vec<(i64, i64)> = chain
        .windows(2)
        .map(|w| {
            let dy = w[1].0 as i64 - w[0].0 as i64;
            let dx = w[1].1 as i64 - w[0].1 as i64;
            (dy * dy, dx * dx)
        })
        .collect();
    let n = d.len();
    let mut even = 0usize;
    let mut corners = 0usize;
    for i in 0..n {
        if d[i].0 == 0 || d[i].1 == 0 {
            even += 1;
        }
        if d[i] != d[(i + 1) % n] {
            corners += 1;
        }
    }
    let odd = n - even;
    // A single pixel's chain [p, p] has one zero step: perimeter 0.
    if chain.iter().all(|&p| p == chain[0]) {
        return 0.0;
    }
    0.980 * even as f64 + 1.406 * odd as f64 - 0.091 * corners as f64
}

/// `P(region)`: Vossepoel–Smeulders perimeter of the traced outer boundary.
pub fn perimeter(b: &Binary) -> f64 {
    chain_perimeter(&trace_boundary(b))
}

/// Pattern area `a(S)` (Pratt's estimator, MATLAB `bwarea`, §3): sum over
/// every 2×2 window overlapping the zero-padded grid.
pub fn pattern_area(b: &Binary) -> f64 {
    // Weight of each 2×2 code (bit 0 top-left, 1 top-right, 2 bottom-left,
    // 3 bottom-right): diagonal pairs (0b1001, 0b0110) weigh 3/4.
    const W: [f64; 16] = [
        0.0, 0.25, 0.25, 0.5, 0.25, 0.5, 0.75, 0.875, 0.25, 0.75, 0.5, 0.875, 0.5, 0.875, 0.875,
        1.0,
    ];
    let (w, h) = (b.width + 2, b.height + 2);
    let mut g = vec![0u8; w * h];
    for r in 0..b.height {
        for c in 0..b.width {
            g[(r + 1) * w + c + 1] = u8::from(b.data[r * b.width + c]);
        }
    }
    // Window counts per code, then one weighted sum (exact: the weights are
    // dyadic and the counts small).
    let mut count = [0usize; 16];
    for r in 0..h - 1 {
        let (top, bot) = (&g[r * w..(r + 1) * w], &g[(r + 1) * w..(r + 2) * w]);
        for c in 0..w - 1 {
            let code = top[c] | top[c + 1] << 1 | bot[c] << 2 | bot[c + 1] << 3;
            count[code as usize] += 1;
        }
    }
    count.iter().zip(W).map(|(&n, wt)| n as f64 * wt).sum()
}

/// Major and minor axis lengths of a pixel set (MATLAB `regionprops`
/// MajorAxisLength / MinorAxisLength, §3): second central moments plus 1/12.
pub fn ellipse_axes(pixels: &[(usize, usize)]) -> (f64, f64) {
    let n = pixels.len() as f64;
    let xm = pixels.iter().map(|p| p.1 as f64).sum::<f64>() / n;
    let ym = pixels.iter().map(|p| p.0 as f64).sum::<f64>() / n;
    let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
    for p in pixels {
        let x = p.1 as f64 - xm;
        let y = p.0 as f64 - ym;
        sxx += x * x;
        syy += y * y;
        sxy += x * y;
    }
    let uxx = sxx / n + 1.0 / 12.0;
    let uyy = syy / n + 1.0 / 12.0;
    let uxy = sxy / n;
    let common = ((uxx - uyy).powi(2) + 4.0 * uxy * uxy).sqrt();
    let k = 2.0 * 2.0f64.sqrt();
    (
        k * (uxx + uyy + common).sqrt(),
        k * (uxx + uyy - common).sqrt(),
    )
}

/// Convex hull (monotone chain, collinear points dropped) of integer points,
/// returned counter-clockwise without repeating the first vertex.
fn convex_hull(mut pts: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    pts.sort_unstable();
    pts.dedup();
    if pts.len() < 3 {
        return pts;
    }
    let cross = |o: (i64, i64), a: (i64, i64), b: (i64, i64)| {
        (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0)
    };
    let mut hull: Vec<(i64, i64)> = Vec::with_capacity(2 * pts.len());
    for &p in &pts {
        while hull.len() >= 2 && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0 {
            hull.pop();
        }
        hull.push(p);
    }
    let lower = hull.len() + 1;
    for &p in pts.iter().rev().skip(1) {
        while hull.len() >= lower && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0 {
            hull.pop();
        }
        hull.push(p);
    }
    hull.pop();
    hull
}

/// Integer line between two fine-grid points (MATLAB `intline`): one sample
/// per step along the longer axis, the other coordinate rounded half away
/// from zero, always computed from the endpoint with the smaller coordinate.
fn intline(x1: i64, x2: i64, y1: i64, y2: i64, out: &mut Vec<(i64, i64)>) {
    let (dx, dy) = ((x2 - x1).abs(), (y2 - y1).abs());
    if dx == 0 && dy == 0 {
        out.push((x1, y1));
        return;
    }
    let start = out.len();
    if dx >= dy {
        let (flip, (xa, xb, ya, yb)) = if x1 > x2 {
            (true, (x2, x1, y2, y1))
        } else {
            (false, (x1, x2, y1, y2))
        };
        let m = (yb - ya) as f64 / (xb - xa) as f64;
        for x in xa..=xb {
            out.push((x, (ya as f64 + m * (x - xa) as f64).round() as i64));
        }
        if flip {
            out[start..].reverse();
        }
    } else {
        let (flip, (xa, xb, ya, yb)) = if y1 > y2 {
            (true, (x2, x1, y2, y1))
        } else {
            (false, (x1, x2, y1, y2))
        };
        let m = (xb - xa) as f64 / (yb - ya) as f64;
        for y in ya..=yb {
            out.push(((xa as f64 + m * (y - ya) as f64).round() as i64, y));
        }
        if flip {
            out[start..].reverse();
        }
    }
}

/// Rasterises a closed polygon with vertices `(x, y)` (1-based column, row)
/// on an `rows × cols` grid by MATLAB `poly2mask`'s rule (§3 "Convex hull
/// mask"): pixel centres inside, ties settled on a 5× finer grid.
pub fn poly2mask(xs: &[f64], ys: &[f64], rows: usize, cols: usize) -> Binary {
    const SCALE: i64 = 5;
    let mut vx: Vec<i64> = xs
        .iter()
        .map(|&x| (SCALE as f64 * (x - 0.5) + 1.0).round() as i64)
        .collect();
    let mut vy: Vec<i64> = ys
        .iter()
        .map(|&y| (SCALE as f64 * (y - 0.5) + 1.0).round() as i64)
        .collect();
    if vx.first() != vx.last() || vy.first() != vy.last() {
        vx.push(vx[0]);
        vy.push(vy[0]);
    }
    let mut samples = Vec::new();
    for k in 0..vx.len().saturating_sub(1) {
        intline(vx[k], vx[k + 1], vy[k], vy[k + 1], &mut samples);
    }
    let mut parity = vec![0u32; rows * cols];
    for w in samples.windows(2) {
        let d = w[1].0 - w[0].0;
        if d == 0 {
            continue;
        }
        let xe = if d < 0 { w[0].0 - 1 } else { w[0].0 };
        let ye = w[0].1.min(w[1].1);
        if (xe + 2).rem_euclid(SCALE) != 0 {
            continue;
        }
        let col = (xe + 2) / SCALE;
        // ceil((ye + 2) / 5) for any sign of ye.
        let row = (ye + 2).div_euclid(SCALE) + i64::from((ye + 2).rem_euclid(SCALE) != 0);
        if col < 1 || col > cols as i64 || row > rows as i64 {
            continue;
        }
        let row = row.max(1);
        parity[(row as usize - 1) * cols + col as usize - 1] += 1;
    }
    let mut out = Binary::new(cols, rows);
    for c in 0..cols {
        let mut acc = 0u32;
        for r in 0..rows {
            acc += parity[r * cols + c];
            out.data[r * cols + c] = acc % 2 == 1;
        }
    }
    out
}

/// Convex hull mask of a region (MATLAB `regionprops` ConvexImage, §3): the
/// hull of the four edge midpoints of every set pixel, rasterised by
/// [`poly2mask`] on the same grid.
pub fn convex_hull_mask(b: &Binary) -> Binary {
    // Doubled coordinates keep the half-pixel midpoints integral. Only the
    // first and last pixel of each row can contribute hull vertices: the
    // midpoints of the pixels between lie on segments joining theirs.
    let mut pts = Vec::new();
    for r in 0..b.height {
        let row = &b.data[r * b.width..(r + 1) * b.width];
        let (Some(first), Some(last)) = (row.iter().position(|&x| x), row.iter().rposition(|&x| x))
        else {
            continue;
        };
        for c in [first, last] {
            let (x2, y2) = (2 * (c as i64 + 1), 2 * (r as i64 + 1));
            pts.extend([(x2, y2 - 1), (x2 + 1, y2), (x2, y2 + 1), (x2 - 1, y2)]);
        }
    }
    let hull = convex_hull(pts);
    if hull.is_empty() {
        return Binary::new(b.width, b.height);
    }
    let xs: Vec<f64> = hull.iter().map(|p| p.0 as f64 / 2.0).collect();
    let ys: Vec<f64> = hull.iter().map(|p| p.1 as f64 / 2.0).collect();
    poly2mask(&xs, &ys, b.height, b.width)
}

/// The eight hit-or-miss thinning templates of §3 "Skeleton", row-major,
/// 1 = set, 0 = unset, 2 = either.
const THIN: [[u8; 9]; 8] = [
    [1, 1, 1, 2, 1, 2, 0, 0, 0],
    [2, 1, 2, 0, 1, 1, 0, 0, 2],
    [1, 2, 0, 1, 1, 0, 1, 2, 0],
    [2, 1, 2, 1, 1, 0, 2, 0, 0],
    [0, 2, 1, 0, 1, 1, 0, 2, 1],
    [2, 0, 0, 1, 1, 0, 2, 1, 2],
    [0, 0, 0, 2, 1, 2, 1, 1, 1],
    [0, 0, 2, 0, 1, 1, 2, 1, 2],
];

/// The toolbox's iteration cap for "infinite" skeletonisation (§3): BUSAT
/// passes the text `'inf'`, compared character-wise with the counter, so
/// the loop ends after 102 iterations.
pub const SKELETON_MAX_ITER: usize = 102;

/// Skeleton by hit-or-miss thinning with the eight templates of §3 in order,
/// each pass decided on the image as it was at the start of the pass;
/// iterations of T1…T8 until nothing changes, at most
/// [`SKELETON_MAX_ITER`]. Outside the grid counts as unset.
///
/// Only set pixels with an unset 8-neighbour can match a template, so a
/// candidate list of such pixels is kept instead of rescanning the grid.
pub fn skeleton(b: &Binary) -> Binary {
    let (w, h) = (b.width + 2, b.height + 2);
    let mut g = vec![0u8; w * h];
    for r in 0..b.height {
        for c in 0..b.width {
            g[(r + 1) * w + c + 1] = b.data[r * b.width + c] as u8;
        }
    }
    let nb = |i: usize| {
        [
            i - w - 1,
            i - w,
            i - w + 1,
            i - 1,
            i,
            i + 1,
            i + w - 1,
            i + w,
            i + w + 1,
        ]
    };
    let is_edge = |g: &[u8], i: usize| g[i] == 1 && nb(i).iter().any(|&j| g[j] == 0);
    let mut in_cand = vec![false; w * h];
    let mut cand: Vec<usize> = Vec::new();
    for r in 1..h - 1 {
        for c in 1..w - 1 {
            let i = r * w + c;
            if is_edge(&g, i) {
                in_cand[i] = true;
                cand.push(i);
            }
        }
    }
    // Each template as a lookup table over the 8-neighbour code (bit k =
    // neighbour k of `nb` without the centre), as MATLAB's `applylut` does.
    let luts: Vec<[bool; 256]> = THIN
        .iter()
        .map(|t| {
            let mut lut = [false; 256];
            for (code, hit) in lut.iter_mut().enumerate() {
                *hit = [0, 1, 2, 3, 5, 6, 7, 8]
                    .iter()
                    .enumerate()
                    .all(|(bit, &k)| t[k] == 2 || t[k] == ((code >> bit) & 1) as u8)
                    && t[4] != 0;
            }
            lut
        })
        .collect();
    let code = |g: &[u8], i: usize| {
        let n = nb(i);
        [n[0], n[1], n[2], n[3], n[5], n[6], n[7], n[8]]
            .iter()
            .enumerate()
            .fold(0usize, |acc, (bit, &j)| acc | ((g[j] as usize) << bit))
    };
    let mut del = Vec::new();
    for _ in 0..SKELETON_MAX_ITER {
        let mut changed = false;
        for lut in &luts {
            del.clear();
            for &i in &cand {
                if g[i] == 1 && lut[code(&g, i)] {
                    del.push(i);
                }
            }
            if del.is_empty() {
                continue;
            }
            changed = true;
            for &i in &del {
                g[i] = 0;
            }
            // Set neighbours of deleted pixels become candidates; the frame
            // is never set, so no bounds check is needed.
            for &i in &del {
                for j in nb(i) {
                    if g[j] == 1 && !in_cand[j] {
                        in_cand[j] = true;
                        cand.push(j);
                    }
                }
            }
            cand.retain(|&i| {
                let keep = g[i] == 1;
                if !keep {
                    in_cand[i] = false;
                }
                keep
            });
        }
        if !changed {
            break;
        }
    }
    let mut out = Binary::new(b.width, b.height);
    for r in 0..b.height {
        for c in 0..b.width {
            out.data[r * b.width + c] = g[(r + 1) * w + c + 1] == 1;
        }
    }
    out
}

/// Small-component removal "keep ≥ k" (§3, MATLAB `bwareaopen(.., k, 8)`):
/// deletes 8-connected components with fewer than `k` pixels.
pub fn keep_components_at_least(b: &Binary, k: usize) -> Binary {
    let (labels, sizes) = label8(b.width, b.height, &b.data);
    let data = labels
        .iter()
        .map(|&l| l != 0 && sizes[l as usize - 1] >= k)
        .collect();
    Binary {
        width: b.width,
        height: b.height,
        data,
    }
}

/// Second central moments `(Sxx, Syy, Sxy)` of a pixel set, without the 1/12
/// term, `x` = column, `y` = row (§3 "Equivalent ellipse").
pub fn central_moments(pixels: &[(usize, usize)], centroid: (f64, f64)) -> (f64, f64, f64) {
    let n = pixels.len() as f64;
    let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
    for &(r, c) in pixels {
        let dx = c as f64 - centroid.1;
        let dy = r as f64 - centroid.0;
        sxx += dx * dx;
        syy += dy * dy;
        sxy += dx * dy;
    }
    (sxx / n, syy / n, sxy / n)
}

/// A rectangle of the image: first row and column (0-based) and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// First row.
    pub row0: usize,
    /// First column.
    pub col0: usize,
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
}

impl Window {
    /// The whole `width × height` image.
    pub fn full(width: usize, height: usize) -> Self {
        Self {
            row0: 0,
            col0: 0,
            rows: height,
            cols: width,
        }
    }

    /// The part of `mask` (row-major, image width `width`) inside the window.
    pub fn crop(&self, width: usize, mask: &[bool]) -> Binary {
        let mut out = Binary::new(self.cols, self.rows);
        for r in 0..self.rows {
            let src = (self.row0 + r) * width + self.col0;
            out.data[r * self.cols..(r + 1) * self.cols]
                .copy_from_slice(&mask[src..src + self.cols]);
        }
        out
    }
}

/// BUSAT's equivalent ellipse `E` (§3): image pixels with
/// `(Syy·dx² − 2·Sxy·dx·dy + Sxx·dy²) / (4·Sxx·Syy − Sxy²) < 1`. The
/// denominator follows the toolbox, not the textbook `4(Sxx·Syy − Sxy²)`.
pub fn equivalent_ellipse(
    width: usize,
    height: usize,
    pixels: &[(usize, usize)],
    centroid: (f64, f64),
) -> Binary {
    equivalent_ellipse_in(Window::full(width, height), pixels, centroid)
}

/// [`equivalent_ellipse`] evaluated on the pixels of `win` only (image
/// coordinates in the formula, so the result is bit-identical).
pub fn equivalent_ellipse_in(
    win: Window,
    pixels: &[(usize, usize)],
    centroid: (f64, f64),
) -> Binary {
    let (sxx, syy, sxy) = central_moments(pixels, centroid);
    let den = 4.0 * sxx * syy - sxy * sxy;
    let mut out = Binary::new(win.cols, win.rows);
    for r in 0..win.rows {
        let dy = (win.row0 + r) as f64 - centroid.0;
        for c in 0..win.cols {
            let dx = (win.col0 + c) as f64 - centroid.1;
            let q = (syy * dx * dx - 2.0 * sxy * dx * dy + sxx * dy * dy) / den;
            out.data[r * win.cols + c] = q < 1.0;
        }
    }
    out
}

/// Bounding box of the lesion: 0-based, inclusive rows and columns (§1 "box").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BBox {
    /// First lesion row.
    pub row0: usize,
    /// Last lesion row.
    pub row1: usize,
    /// First lesion column.
    pub col0: usize,
    /// Last lesion column.
    pub col1: usize,
}

impl BBox {
    /// Number of rows of the box.
    pub fn rows(&self) -> usize {
        self.row1 - self.row0 + 1
    }
    /// Number of columns of the box.
    pub fn cols(&self) -> usize {
        self.col1 - self.col0 + 1
    }
}

/// A window of the image holding the lesion box and BUSAT's ellipse `E`
/// with one background pixel to spare on every side (clipped to the
/// image), so that shape computations need not scan the whole image. `E`'s
/// half-extents are `sqrt(den·Sxx/det)` and `sqrt(den·Syy/det)` with
/// `det = Sxx·Syy − Sxy²`; two pixels are added for rounding. A degenerate
/// ellipse (det ≤ 0) gives the whole image.
pub fn shape_window(
    width: usize,
    height: usize,
    pixels: &[(usize, usize)],
    centroid: (f64, f64),
    bbox: BBox,
) -> Window {
    let (sxx, syy, sxy) = central_moments(pixels, centroid);
    let den = 4.0 * sxx * syy - sxy * sxy;
    let det = sxx * syy - sxy * sxy;
    let (hx, hy) = ((den * sxx / det).sqrt(), (den * syy / det).sqrt());
    if !(det > 0.0 && den > 0.0 && hx.is_finite() && hy.is_finite()) {
        return Window::full(width, height);
    }
    let lo = |c: f64, h: f64, b: usize| ((c - h).floor() - 2.0).max(0.0).min(b as f64) as usize;
    let hi = |c: f64, h: f64, b: usize, n: usize| {
        ((c + h).ceil() + 2.0).max(b as f64).min((n - 1) as f64) as usize
    };
    let r0 = lo(centroid.0, hy, bbox.row0).min(bbox.row0.saturating_sub(1));
    let r1 = hi(centroid.0, hy, bbox.row1, height).max((bbox.row1 + 1).min(height - 1));
    let c0 = lo(centroid.1, hx, bbox.col0).min(bbox.col0.saturating_sub(1));
    let c1 = hi(centroid.1, hx, bbox.col1, width).max((bbox.col1 + 1).min(width - 1));
    Window {
        row0: r0,
        col0: c0,
        rows: r1 - r0 + 1,
        cols: c1 - c0 + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A binary image from rows of '#' (set) and '.' (unset).
    fn bin(rows: &[&str]) -> Binary {
        let height = rows.len();
        let width = rows[0].len();
        let data = rows
            .iter()
            .flat_map(|r| r.bytes().map(|b| b == b'#'))
            .collect();
        Binary {
            width,
            height,
            data,
        }
    }

    #[test]
    fn pattern_area_hand_values() {
        // Pratt's weights summed over the 2×2 windows, derived by hand:
        // lone pixel 4×1/4; 2×2 block 4×1/4 + 4×1/2 + 1; horizontal pair
        // 4×1/4 + 2×1/2; diagonal pair 6×1/4 + 3/4 (the window holding both).
        assert_eq!(pattern_area(&bin(&["#"])), 1.0);
        assert_eq!(pattern_area(&bin(&["##", "##"])), 4.0);
        assert_eq!(pattern_area(&bin(&["##"])), 2.0);
        assert_eq!(pattern_area(&bin(&["#.", ".#"])), 2.25);
    }

    #[test]
    fn trace_of_a_square_is_clockwise_and_closed() {
        let chain = trace_boundary(&bin(&["...", ".##", ".##"]));
        assert_eq!(chain, vec![(1, 1), (1, 2), (2, 2), (2, 1), (1, 1)]);
        let chain = trace_boundary(&bin(&["###", "###", "###"]));
        let want = vec![
            (0, 0),
            (0, 1),
            (0, 2),
            (1, 2),
            (2, 2),
            (2, 1),
            (2, 0),
            (1, 0),
            (0, 0),
        ];
        assert_eq!(chain, want);
    }

    #[test]
    fn trace_keeps_repeats_on_thin_parts() {
        // A one-pixel-thick line is walked out and back.
        let chain = trace_boundary(&bin(&["###"]));
        assert_eq!(chain, vec![(0, 0), (0, 1), (0, 2), (0, 1), (0, 0)]);
        // A single pixel: [p, p], perimeter 0.
        let one = trace_boundary(&bin(&["..", ".#"]));
        assert_eq!(one, vec![(1, 1), (1, 1)]);
        assert_eq!(chain_perimeter(&one), 0.0);
    }

    #[test]
    fn vossepoel_smeulders_hand_values() {
        // 3×3 square: 8 axis steps, 4 corners: 0.980·8 − 0.091·4.
        assert!((perimeter(&bin(&["###", "###", "###"])) - 7.476).abs() < 1e-12);
        // Line of 3: 4 axis steps out and back, no corner: 0.980·4.
        assert!((perimeter(&bin(&["###"])) - 3.92).abs() < 1e-12);
        // Diagonal pair: 2 diagonal steps, no corner: 1.406·2.
        assert!((perimeter(&bin(&["#.", ".#"])) - 2.812).abs() < 1e-12);
    }

    #[test]
    fn distance_transform_matches_brute_force_on_random_masks() {
        // Sparse masks leave columns without a feature pixel; thin grids and
        // an empty mask exercise the edges. Exact equality: every value is
        // the square root of the same small integer.
        let mut x = 2024u32;
        for (w, h, per_mille) in [
            (23, 17, 20),
            (23, 17, 400),
            (1, 9, 300),
            (9, 1, 300),
            (6, 5, 0),
        ] {
            let data: Vec<bool> = (0..w * h)
                .map(|_| {
                    x = x.wrapping_mul(1664525).wrapping_add(1013904223);
                    (x >> 16) % 1000 < per_mille
                })
                .collect();
            let b = Binary {
                width: w,
                height: h,
                data,
            };
            let d = distance_outside(&b);
            let set = b.pixels();
            for r in 0..h {
                for c in 0..w {
                    let want = set
                        .iter()
                        .map(|&(r2, c2)| {
                            ((r as f64 - r2 as f64).powi(2) + (c as f64 - c2 as f64).powi(2)).sqrt()
                        })
                        .fold(f64::INFINITY, f64::min);
                    assert_eq!(d[r * w + c], want, "{w}×{h} ({r},{c})");
                }
            }
        }
    }

    #[test]
    fn distance_transform_matches_brute_force() {
        let b = bin(&[
            "........#.",
            ".##......#",
            ".###......",
            "......#...",
            "..........",
            "#.........",
        ]);
        let d = distance_outside(&b);
        let set = b.pixels();
        for r in 0..b.height {
            for c in 0..b.width {
                let want = set
                    .iter()
                    .map(|&(r2, c2)| {
                        ((r as f64 - r2 as f64).powi(2) + (c as f64 - c2 as f64).powi(2)).sqrt()
                    })
                    .fold(f64::INFINITY, f64::min);
                assert_eq!(d[r * b.width + c], want, "({r},{c})");
            }
        }
        // Inside distances are measured to unset pixels of the grid only:
        // an all-set grid has none.
        assert!(
            distance_inside(&bin(&["##", "##"]))
                .iter()
                .all(|v| v.is_infinite())
        );
        assert!(
            distance_inside(&bin(&["###"]))
                .iter()
                .all(|v| v.is_infinite())
        );
        assert_eq!(
            distance_inside(&bin(&["####."])),
            vec![4.0, 3.0, 2.0, 1.0, 0.0]
        );
    }

    #[test]
    fn perimeter_pixels_count_the_image_border() {
        let p = perimeter_pixels(&bin(&["###", "###", "###"]));
        assert_eq!(p, bin(&["###", "#.#", "###"]));
        let p = perimeter_pixels(&bin(&["....", ".###", ".###", ".###"]));
        // (2,3) and row 3 touch the image border: perimeter; (2,2) does not.
        assert_eq!(p, bin(&["....", ".###", ".#.#", ".###"]));
    }

    #[test]
    fn convex_hull_fills_the_concave_corner() {
        // L shape: the hull edge from (x 3.5, y 1) to (x 1, y 3.5) is the line
        // x + y = 4.5; the centre (2, 2) lies inside (4 < 4.5), (3, 2) and
        // (2, 3) outside (5 > 4.5).
        let h = convex_hull_mask(&bin(&["###", "#..", "#.."]));
        assert_eq!(h, bin(&["###", "##.", "#.."]));
        // Diagonal pair: the midpoint hull is a thin rotated rectangle that
        // contains no other pixel centre.
        let h = convex_hull_mask(&bin(&["#.", ".#"]));
        assert_eq!(h, bin(&["#.", ".#"]));
    }

    #[test]
    fn skeleton_of_a_3x3_square_by_hand() {
        // Applying T1…T8 in order (derived by hand from the §3 templates):
        // iteration 1 deletes (2,1) by T1, (0,2) by T6, (0,1) by T7;
        // iteration 2 deletes (1,2) by T6; iteration 3 changes nothing.
        let s = skeleton(&bin(&["###", "###", "###"]));
        assert_eq!(s, bin(&["#..", "##.", "#.#"]));
        // A one-pixel line matches no template: it is its own skeleton.
        let line = bin(&[".....", ".###.", "....."]);
        assert_eq!(skeleton(&line), line);
    }

    #[test]
    fn skeleton_stops_after_102_iterations() {
        // Each iteration peels about one layer from each side, so a 100×100
        // square thins completely, while a 300×300 square keeps a solid core
        // around its centre after the 102-iteration cap (§3).
        let square = |n: usize| Binary {
            width: n,
            height: n,
            data: vec![true; n * n],
        };
        let small = skeleton(&square(100));
        assert!(
            small.count() < 400,
            "100×100 thins to lines: {}",
            small.count()
        );
        let big = skeleton(&square(300));
        for r in 130..170 {
            for c in 130..170 {
                assert!(big.data[r * 300 + c], "core pixel ({r},{c}) removed");
            }
        }
    }

    #[test]
    fn small_components_are_removed() {
        let b = bin(&["##..#", "#...#", "....#", "#...."]);
        let k = keep_components_at_least(&b, 3);
        assert_eq!(k, bin(&["##..#", "#...#", "....#", "....."]));
        assert_eq!(keep_components_at_least(&b, 4), Binary::new(5, 4));
    }

    #[test]
    fn single_pixel_axes_are_2_over_sqrt3() {
        // uxx = uyy = 1/12, uxy = 0: 2√2·sqrt(1/6) = 2/√3 (regionprops gives 1.1547).
        let (mx, mn) = ellipse_axes(&[(4, 7)]);
        assert!((mx - 2.0 / 3.0f64.sqrt()).abs() < 1e-15);
        assert!((mn - 2.0 / 3.0f64.sqrt()).abs() < 1e-15);
    }

    #[test]
    fn equivalent_ellipse_uses_busats_denominator() {
        // Pixels of a 1×3 diagonal: Sxx = Syy = Sxy = 2/3. BUSAT's denominator
        // is 4·(4/9) − 4/9 = 4/3 (textbook: 0, a degenerate ellipse). At the
        // pixel (r 0, c 2), dx = 1, dy = −1: (2/3 + 4/3 + 2/3)/(4/3) = 2 ≥ 1, out;
        // at the centre 0 < 1, in; at (1, 0): dx = −1, dy = 0: (2/3)/(4/3) = ½, in.
        let pix = [(0, 0), (1, 1), (2, 2)];
        let e = equivalent_ellipse(3, 3, &pix, (1.0, 1.0));
        assert!(e.data[4] && e.data[3] && !e.data[2]);
        assert!(e.data[0] && e.data[8]);
    }

    #[test]
    fn labels_follow_column_major_order() {
        let (labels, sizes) = label8(3, 3, &bin(&["..#", "#.#", "..."]).data);
        assert_eq!(sizes, vec![1, 2]);
        assert_eq!(labels[3], 1);
        assert_eq!(labels[2], 2);
    }
}
