//! Grey-level co-occurrence features `glcm_<f>_D<d>_mean`, columns 320–403
//! (handcrafted-features.md §6.7; Haralick, Shanmugam & Dinstein 1973;
//! Haralick & Shapiro 1992; Gómez, Pereira & Infantosi 2012): 21 statistics of
//! the lesion's 64-level co-occurrence matrices at distances 1, 2, 4, 8, each
//! averaged over the directions 0°, 45°, 90°, 135°.
//!
//! Where the code follows BUSAT rather than the textbook:
//! - quantisation is `round(s·U + (1 − s·min))` with `s = 64/(max − min)` over
//!   the whole box, evaluated in exactly that order in double precision and
//!   clipped to 1..64, so the box maximum (level 65) joins level 64;
//! - matrices are neither symmetrised nor pooled: pairs of lesion pixels only;
//! - `sosvh` subtracts the mean matrix entry `1/64²` from the reference level;
//!   `svarh` subtracts the sum *entropy*; `dvarh` is a second moment (equal to
//!   `contr`); `indnc` and `idmnc` are both `Σ P/(1 + (a−b)²/64²)`;
//! - `corrm` adds 0.0001 to the denominator, `corrh` does not.
//!
//! Hand-written (not a radiomics crate): BUSAT's quantisation, missing
//! non-lesion pixels and unsymmetrised matrices are not what general GLCM
//! implementations (e.g. PyRadiomics) compute.
//!
//! Column order is that of the released tables, which put `svarh` before
//! `senth` (the definitions table of §6.7 lists them the other way round).

use crate::prepared::Prepared;
use crate::texture_util::{BoxCrop, DIRECTIONS, EPS, cooccurrence};

/// Grey levels of the quantised box.
pub(crate) const LEVELS: usize = 64;
/// Distances of the released columns.
const DISTANCES: [isize; 4] = [1, 2, 4, 8];
/// Number of statistics per matrix.
const FEATURES: usize = 21;

/// Feature names in column order (each followed by D1, D2, D4, D8).
#[cfg(test)]
pub(crate) const NAMES: [&str; FEATURES] = [
    "autoc", "contr", "corrm", "corrh", "cprom", "cshad", "dissi", "energ", "entro", "homom",
    "maxpr", "sosvh", "savgh", "svarh", "senth", "dvarh", "denth", "inf1h", "inf2h", "indnc",
    "idmnc",
];

/// Computes the 84 columns `glcm_<f>_D<d>_mean` (§6.7): feature-major in the
/// order of the module's table, distances 1, 2, 4, 8 within each feature.
pub(crate) fn compute(p: &Prepared) -> Vec<f64> {
    let b = BoxCrop::new(p);
    let levels = quantise(&b.grey, &b.lesion);
    let mut out = vec![0.0; FEATURES * DISTANCES.len()];
    let mut counts = Vec::with_capacity(LEVELS * LEVELS);
    for (di, &d) in DISTANCES.iter().enumerate() {
        let mut sum = [0.0; FEATURES];
        for &(dr, dc) in &DIRECTIONS {
            let total = cooccurrence(&levels, b.rows, b.cols, LEVELS, dr * d, dc * d, &mut counts);
            let f = haralick(&counts, total);
            for (s, v) in sum.iter_mut().zip(f) {
                *s += v;
            }
        }
        for (fi, s) in sum.iter().enumerate() {
            out[fi * DISTANCES.len() + di] = s / DIRECTIONS.len() as f64;
        }
    }
    out
}

/// BUSAT's 64-level quantisation of the box (§6.7); non-lesion pixels become 0
/// ("missing"). A constant box divides by zero and, as in BUSAT, leaves no
/// valid level (every feature NaN).
fn quantise(grey: &[u8], lesion: &[bool]) -> Vec<u8> {
    let (lo, hi) = grey
        .iter()
        .fold((255u8, 0u8), |(l, h), &v| (l.min(v), h.max(v)));
    let s = LEVELS as f64 / (hi as f64 - lo as f64);
    let offset = 1.0 - s * lo as f64;
    let mut lut = [0u8; 256];
    for (u, l) in lut.iter_mut().enumerate() {
        let q = (s * u as f64 + offset).round();
        *l = if q.is_nan() {
            0
        } else {
            q.clamp(1.0, LEVELS as f64) as u8
        };
    }
    grey.iter()
        .zip(lesion)
        .map(|(&u, &m)| if m { lut[u as usize] } else { 0 })
        .collect()
}

/// The 21 statistics of §6.7 for one matrix of counts (`LEVELS²`, row = reference
/// level) with `total` pairs; all NaN when there is no pair (0/0, as in BUSAT).
fn haralick(counts: &[u32], total: u64) -> [f64; FEATURES] {
    const Q: usize = LEVELS;
    if total == 0 {
        return [f64::NAN; FEATURES];
    }
    let t = total as f64;
    let mut px = [0.0; Q];
    let mut py = [0.0; Q];
    let mut psum = [0.0; 2 * Q + 1];
    let mut pdiff = [0.0; Q];
    let (mut autoc, mut contr, mut dissi, mut energ, mut entro) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut homom, mut maxpr, mut sosvh, mut indnc) = (0.0, 0.0f64, 0.0, 0.0);
    for a in 0..Q {
        for b in 0..Q {
            let c = counts[a * Q + b];
            if c == 0 {
                continue;
            }
            let pr = c as f64 / t;
            let (af, bf) = ((a + 1) as f64, (b + 1) as f64);
            let d = af - bf;
            px[a] += pr;
            py[b] += pr;
            psum[a + b + 2] += pr;
            pdiff[a.abs_diff(b)] += pr;
            autoc += af * bf * pr;
            contr += d * d * pr;
            dissi += d.abs() * pr;
            energ += pr * pr;
            entro -= pr * (pr + EPS).ln();
            homom += pr / (1.0 + d.abs());
            maxpr = maxpr.max(pr);
            let sa = af - 1.0 / (Q * Q) as f64;
            sosvh += sa * sa * pr;
            indnc += pr / (1.0 + d * d / (Q * Q) as f64);
        }
    }
    let (mut mua, mut mub) = (0.0, 0.0);
    for i in 0..Q {
        mua += (i + 1) as f64 * px[i];
        mub += (i + 1) as f64 * py[i];
    }
    let (mut va, mut vb) = (0.0, 0.0);
    for i in 0..Q {
        va += ((i + 1) as f64 - mua).powi(2) * px[i];
        vb += ((i + 1) as f64 - mub).powi(2) * py[i];
    }
    let (sa, sb) = (va.sqrt(), vb.sqrt());
    let (mut cov, mut cprom, mut cshad, mut hxy1) = (0.0, 0.0, 0.0, 0.0);
    for a in 0..Q {
        for b in 0..Q {
            let c = counts[a * Q + b];
            if c == 0 {
                continue;
            }
            let pr = c as f64 / t;
            let (af, bf) = ((a + 1) as f64, (b + 1) as f64);
            cov += (af - mua) * (bf - mub) * pr;
            let s = af + bf - mua - mub;
            cshad += s * s * s * pr;
            cprom += s * s * s * s * pr;
            hxy1 -= pr * (px[a] * py[b] + EPS).ln();
        }
    }
    let mut hxy2 = 0.0;
    for &pa in &px {
        if pa == 0.0 {
            continue;
        }
        for &pb in &py {
            let q = pa * pb;
            hxy2 -= q * (q + EPS).ln();
        }
    }
    let hx: f64 = -px.iter().map(|&v| v * (v + EPS).ln()).sum::<f64>();
    let hy: f64 = -py.iter().map(|&v| v * (v + EPS).ln()).sum::<f64>();
    let savgh: f64 = psum.iter().enumerate().map(|(k, &v)| k as f64 * v).sum();
    let senth: f64 = -psum.iter().map(|&v| v * (v + EPS).ln()).sum::<f64>();
    let svarh: f64 = psum
        .iter()
        .enumerate()
        .map(|(k, &v)| (k as f64 - senth).powi(2) * v)
        .sum();
    let dvarh: f64 = pdiff
        .iter()
        .enumerate()
        .map(|(m, &v)| (m * m) as f64 * v)
        .sum();
    let denth: f64 = -pdiff.iter().map(|&v| v * (v + EPS).ln()).sum::<f64>();
    [
        autoc,
        contr,
        cov / (sa * sb + 0.0001),
        (autoc - mua * mub) / (sa * sb),
        cprom,
        cshad,
        dissi,
        energ,
        entro,
        homom,
        maxpr,
        sosvh,
        savgh,
        svarh,
        senth,
        dvarh,
        denth,
        (entro - hxy1) / hx.max(hy),
        (1.0 - (-2.0 * (hxy2 - entro)).exp()).sqrt(),
        indnc,
        indnc,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::texture_util::fixtures;

    #[test]
    fn glcm_matches_busat_on_bus01() {
        let p = fixtures::prepared("BUS01");
        let got = compute(&p);
        assert_eq!(got.len(), 84);
        fixtures::assert_columns(320, &got, 1e-9);
    }

    #[test]
    fn quantisation_rounds_half_away_and_clips_the_top() {
        // Box range 0..128: s = 1/2, level = round(u/2 + 1). u = 1 gives 1.5 → 2
        // (half away from zero), u = 127 → 64.5 → 65 → clipped 64, u = 128 → 65 → 64.
        let grey = [0u8, 1, 2, 127, 128];
        let q = quantise(&grey, &[true; 5]);
        assert_eq!(q, vec![1, 2, 2, 64, 64]);
        assert_eq!(quantise(&grey, &[false, true, true, true, true])[0], 0);
    }

    #[test]
    fn haralick_by_hand_on_two_pairs() {
        // Pairs (1,1) and (1,2), each P = 1/2. px = (1, 0), py = (1/2, 1/2).
        // autoc = (1 + 2)/2, contr = 1/2, dissi = 1/2, energ = 1/2,
        // entro = ln 2 (up to ε), homom = (1 + 1/2)/2, maxpr = 1/2, savgh = (2+3)/2,
        // σa = 0 so corrh = 0/0 = NaN and corrm = 0/0.0001 = 0.
        let mut counts = vec![0u32; LEVELS * LEVELS];
        counts[0] = 1;
        counts[1] = 1;
        let f = haralick(&counts, 2);
        let at = |name: &str| f[NAMES.iter().position(|n| *n == name).unwrap()];
        assert_eq!(at("autoc"), 1.5);
        assert_eq!(at("contr"), 0.5);
        assert_eq!(at("dvarh"), 0.5);
        assert_eq!(at("dissi"), 0.5);
        assert_eq!(at("energ"), 0.5);
        assert!((at("entro") - 2f64.ln()).abs() < 1e-15);
        assert_eq!(at("homom"), 0.75);
        assert_eq!(at("maxpr"), 0.5);
        assert_eq!(at("savgh"), 2.5);
        assert_eq!(at("corrm"), 0.0);
        assert!(at("corrh").is_nan());
        assert!(haralick(&counts, 0).iter().all(|v| v.is_nan()));
    }
}
