//! Shape family, columns 3–19 (handcrafted-features.md §5.1): sNRV … Spicul.
//! FD (column 20) is the fractal family's slope (§6.6) and is filled there.
//!
//! Everything here reads the mask geometry only (§7). Where BUSAT differs
//! from the textbook definitions the code follows BUSAT: the equivalent
//! ellipse's denominator (§3), the swapped centroid in the normalised radial
//! length, and the skeleton's 102-iteration cap.

use crate::Prepared;
use crate::blocks::{
    Binary, chain_perimeter, convex_hull_mask, ellipse_axes, equivalent_ellipse_in,
    keep_components_at_least, pattern_area, perimeter_pixels, shape_window, trace_boundary,
};
use crate::prepared::{lesion_in_frame, lesion_pixels};

/// Column names of this family, in released order.
pub const COLUMNS: [&str; 17] = [
    "sNRV",
    "sOR",
    "sENC",
    "sENS",
    "sLS",
    "sAX_MX",
    "sAX_MN",
    "sROUND",
    "sSC",
    "sPD",
    "sNRL_mean",
    "sNRL_sd",
    "sNRL_ar",
    "sNRL_rg",
    "sNRL_ent",
    "sNRL_zc",
    "Spicul",
];

/// `ε = 2^-52`, MATLAB's `eps`.
const EPS: f64 = f64::EPSILON;

/// The 17 shape values of §5.1 in [`COLUMNS`] order.
///
/// Computed on a window holding the lesion and `E` with a background margin
/// ([`shape_window`]); every step is translation-invariant except the
/// swapped-centroid NRL, which gets image coordinates back.
pub fn compute(p: &Prepared) -> Vec<f64> {
    let pix = lesion_pixels(p);
    let area = pix.len() as f64;
    let win = shape_window(p.width, p.height, &pix, p.centroid, p.bbox);
    let omega = win.crop(p.width, &p.mask);
    let e = equivalent_ellipse_in(win, &pix, p.centroid);
    // Centroid in window coordinates.
    let cw = (
        p.centroid.0 - win.row0 as f64,
        p.centroid.1 - win.col0 as f64,
    );

    let chain_o = trace_boundary(&omega);
    let chain_e = trace_boundary(&e);
    let p_o = chain_perimeter(&chain_o);
    let p_e = chain_perimeter(&chain_e);

    let s_nrv = nrv(p);
    let inter = Binary {
        width: win.cols,
        height: win.rows,
        data: omega
            .data
            .iter()
            .zip(&e.data)
            .map(|(&a, &b)| a && b)
            .collect(),
    };
    let union = Binary {
        width: win.cols,
        height: win.rows,
        data: omega
            .data
            .iter()
            .zip(&e.data)
            .map(|(&a, &b)| a || b)
            .collect(),
    };
    let s_or = pattern_area(&inter) / pattern_area(&union);
    let s_enc = p_e / p_o;
    // Component removal and counting do not depend on the frame: the
    // skeleton on B serves (shared with margin).
    let skel = keep_components_at_least(p.skeleton(), 5);
    let s_ens = skel.count() as f64 / p_e;
    let (ax_mx, ax_mn) = ellipse_axes(&e.pixels());
    let s_ls = ax_mx / ax_mn;
    let s_round = 1.0 - 4.0 * std::f64::consts::PI * area / (p_o * p_o);
    let s_sc = shape_class(&chain_o, &chain_e, cw) / p_o;
    let s_pd = proportional_distance(&omega, &e);
    let chain_img: Vec<(usize, usize)> = chain_o
        .iter()
        .map(|&(r, c)| (r + win.row0, c + win.col0))
        .collect();
    let nrl = normalised_radial_length(&chain_img, p.centroid);
    let spicul = spiculation(&chain_img, p.centroid);
    let mut out = vec![
        s_nrv, s_or, s_enc, s_ens, s_ls, ax_mx, ax_mn, s_round, s_sc, s_pd,
    ];
    out.extend(nrl);
    out.push(spicul);
    out
}

/// sNRV: pattern area of `Ω XOR H` over the pattern area of the convex hull
/// mask `H`, both on the box enlarged by one pixel (§5.1).
fn nrv(p: &Prepared) -> f64 {
    let local = lesion_in_frame(p);
    let (rows, cols) = (local.height, local.width);
    let hull = convex_hull_mask(&local);
    let xor = Binary {
        width: cols,
        height: rows,
        data: local
            .data
            .iter()
            .zip(&hull.data)
            .map(|(&a, &b)| a != b)
            .collect(),
    };
    pattern_area(&xor) / pattern_area(&hull)
}

/// Unit vector from the centroid to a chain point, `u = d / (|d| + ε)`.
fn unit(pt: (usize, usize), centroid: (f64, f64)) -> (f64, f64) {
    let dx = pt.1 as f64 - centroid.1;
    let dy = pt.0 as f64 - centroid.0;
    let n = (dx * dx + dy * dy).sqrt() + EPS;
    (dx / n, dy / n)
}

/// Sum, over lesion chain points, of the distance to the first ellipse
/// chain point whose centroid unit vector is nearest (§5.1 sSC, before the
/// division by `P(Ω)`).
fn shape_class(chain_o: &[(usize, usize)], chain_e: &[(usize, usize)], c: (f64, f64)) -> f64 {
    if chain_e.is_empty() {
        // No ellipse pixel (degenerate moments): BUSAT's search has nothing
        // to match, so the value is undefined.
        return f64::NAN;
    }
    let ue: Vec<(f64, f64)> = chain_e.iter().map(|&q| unit(q, c)).collect();
    let mut sum = 0.0;
    for &po in chain_o {
        let u = unit(po, c);
        // First index of the smallest Euclidean distance (MATLAB `min`). The
        // square root is taken only for candidates whose squared distance is
        // within rounding of the best so far, so ties resolve exactly as on
        // the square-rooted values.
        let (mut best, mut best_sq) = (f64::INFINITY, f64::INFINITY);
        let mut at = 0;
        for (j, v) in ue.iter().enumerate() {
            let sq = (u.0 - v.0).powi(2) + (u.1 - v.1).powi(2);
            if sq > best_sq * (1.0 + 1e-12) {
                continue;
            }
            let d = sq.sqrt();
            if d < best {
                best = d;
                at = j;
            }
            best_sq = best_sq.min(sq);
        }
        let q = chain_e[at];
        let dx = po.1 as f64 - q.1 as f64;
        let dy = po.0 as f64 - q.0 as f64;
        sum += (dx * dx + dy * dy).sqrt();
    }
    sum
}

/// sPD (§5.1): mean nearest-neighbour distances between the perimeter pixels
/// of `Ω` and of `E`, both ways, over the equivalent-circle radius of `a(E)`.
fn proportional_distance(omega: &Binary, e: &Binary) -> f64 {
    // Coordinates as f64 once (exact), in two arrays so the inner loop vectorises.
    let split = |b: &Binary| -> (Vec<f64>, Vec<f64>) {
        b.pixels()
            .into_iter()
            .map(|(r, c)| (r as f64, c as f64))
            .unzip()
    };
    let s1 = split(&perimeter_pixels(omega));
    let s2 = split(&perimeter_pixels(e));
    let mean_nearest = |a: &(Vec<f64>, Vec<f64>), b: &(Vec<f64>, Vec<f64>)| {
        let total: f64 =
            a.0.iter()
                .zip(&a.1)
                .map(|(&r, &c)| {
                    // The minimum of non-NaN squared distances: the same value
                    // whatever the order it is taken in.
                    let mut best = f64::INFINITY;
                    for (&r2, &c2) in b.0.iter().zip(&b.1) {
                        let (dr, dc) = (r - r2, c - c2);
                        let d = dr * dr + dc * dc;
                        best = if d < best { d } else { best };
                    }
                    best.sqrt()
                })
                .sum();
        total / a.0.len() as f64
    };
    let d1 = mean_nearest(&s1, &s2);
    let d2 = mean_nearest(&s2, &s1);
    100.0 * (d1 + d2) / (2.0 * (pattern_area(e) / std::f64::consts::PI).sqrt())
}

/// sNRL_mean, _sd, _ar, _rg, _ent, _zc (§5.1; Alvarenga et al. 2010, Chou et
/// al. 2001). Follows BUSAT, not the papers: the distance is measured to
/// the centroid with its coordinates swapped (row `x̄`, column `ȳ`).
fn normalised_radial_length(chain: &[(usize, usize)], c: (f64, f64)) -> [f64; 6] {
    let n = chain.len() as f64;
    // Swapped centroid: row offset from the mean column, column offset from the mean row.
    let d: Vec<f64> = chain
        .iter()
        .map(|&(y, x)| ((y as f64 - c.1).powi(2) + (x as f64 - c.0).powi(2)).sqrt())
        .collect();
    let dmax = d.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let r: Vec<f64> = d.iter().map(|&v| v / dmax).collect();
    let m = r.iter().sum::<f64>() / n;
    let sd = (r.iter().map(|&v| (v - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let ar = r.iter().filter(|&&v| v > m).map(|&v| v - m).sum::<f64>() / (n * m);
    let rg = r.windows(2).map(|w| (w[1] - w[0]).abs()).sum::<f64>() / n;
    // 100 bins with edges k/99: [k/99, (k+1)/99) for k < 99, the last holds r == 1.
    let mut hist = [0usize; 100];
    let edges: Vec<f64> = (0..100).map(|k| k as f64 / 99.0).collect();
    for &v in &r {
        if v == 1.0 {
            hist[99] += 1;
        } else if let Some(k) = (0..99).rev().find(|&k| v >= edges[k])
            && v < edges[k + 1]
        {
            hist[k] += 1;
        }
    }
    let ent = -hist
        .iter()
        .map(|&h| {
            let pk = h as f64 / n;
            pk * (pk + EPS).ln()
        })
        .sum::<f64>();
    let above: Vec<bool> = r.iter().map(|&v| v > m).collect();
    let zc = above.windows(2).filter(|w| w[0] != w[1]).count() as f64;
    [m, sd, ar, rg, ent, zc]
}

/// Spicul (§5.1; Su et al. 2011): ratio of the DFT magnitude of the radial
/// distance signal at `w ≤ π/4` (zero frequency included) to that at
/// `π/4 < w ≤ π/2`. A direct DFT (exact twiddles by `k·n mod N`) replaces
/// MATLAB's FFT; they agree to rounding.
fn spiculation(chain: &[(usize, usize)], c: (f64, f64)) -> f64 {
    let n = chain.len();
    let rho: Vec<f64> = chain
        .iter()
        .map(|&(y, x)| ((x as f64 - c.1).powi(2) + (y as f64 - c.0).powi(2)).sqrt())
        .collect();
    let pi = std::f64::consts::PI;
    let (mut low, mut high) = (0.0, 0.0);
    let tw: Vec<(f64, f64)> = (0..n)
        .map(|j| {
            let a = -2.0 * pi * j as f64 / n as f64;
            (a.cos(), a.sin())
        })
        .collect();
    for k in 0..n {
        let w = 2.0 * pi * k as f64 / n as f64;
        if w > pi / 2.0 {
            break;
        }
        let (mut re, mut im) = (0.0, 0.0);
        // Twiddle index k·j mod n, stepped (no division per term).
        let mut kj = 0usize;
        for &v in &rho {
            let t = tw[kj];
            re += v * t.0;
            im += v * t.1;
            kj += k;
            if kj >= n {
                kj -= n;
            }
        }
        let mag = (re * re + im * im).sqrt();
        if w <= pi / 4.0 {
            low += mag;
        } else {
            high += mag;
        }
    }
    low / high
}
