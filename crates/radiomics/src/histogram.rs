//! Histogram features, columns 33–45 (handcrafted-features.md §6.1; Zhang,
//! Verma & Kumar 2005): first-order statistics of the lesion's grey levels in
//! the despeckled image `U`, plus the contrast against a band around the
//! contour.
//!
//! Where the code follows BUSAT rather than the textbook:
//! - the "modified" statistics (hMEgy, hMEtp, hMSD, hMSk) weight every lesion
//!   *pixel* by its level's probability `q_i = p_{v_i}`, i.e. sum over levels
//!   with weight `n_v·p_v`, so they grow with the lesion area;
//! - hMSk divides by hSD³, not hMSD³;
//! - hBAG's band is "3×3 dilation minus 3×3 erosion" with outside-image pixels
//!   counting as background for the dilation and as lesion for the erosion.

use crate::prepared::Prepared;

/// Column order returned by [`compute`] (CSV columns 33–45).
#[cfg(test)]
pub(crate) const NAMES: [&str; 13] = [
    "hBAG", "hAG", "hAHg", "hEgy", "hMEgy", "hEtp", "hMEtp", "hSD", "hMSD", "hSk", "hMSk", "hDiff",
    "hCtr",
];

/// Computes hBAG, hAG, hAHg, hEgy, hMEgy, hEtp, hMEtp, hSD, hMSD, hSk, hMSk,
/// hDiff, hCtr (§6.1) in that order.
pub(crate) fn compute(p: &Prepared) -> Vec<f64> {
    let mut n = [0u64; 256];
    let mut sum = 0u64;
    for &i in &p.pixels {
        let v = p.image[i];
        n[v as usize] += 1;
        sum += v as u64;
    }
    let a = p.pixels.len() as f64;
    let mu = sum as f64 / a;
    let bag = band_mean(p);

    let (mut egy, mut megy, mut etp, mut metp) = (0.0, 0.0, 0.0, 0.0);
    let (mut m2, mut mm2, mut m3, mut mm3) = (0.0, 0.0, 0.0, 0.0);
    for (v, &c) in n.iter().enumerate() {
        if c == 0 {
            continue;
        }
        let nv = c as f64;
        let pv = nv / a;
        let d = v as f64 - mu;
        egy += pv * pv;
        megy += nv * pv * pv;
        let l = pv * pv.log2();
        etp -= l;
        metp -= nv * l;
        m2 += d * d * pv;
        mm2 += nv * d * d * pv;
        m3 += d * d * d * pv;
        mm3 += nv * d * d * d * pv;
    }
    let sd = m2.sqrt();
    let sd3 = sd * sd * sd;
    vec![
        bag,
        mu,
        a / 256.0,
        egy,
        megy,
        etp,
        metp,
        sd,
        mm2.sqrt(),
        m3 / sd3,
        mm3 / sd3,
        mu - bag,
        (mu - bag) / (mu + bag),
    ]
}

/// hBAG: mean of `U` over the pixels of the 3×3 dilation of `Ω` (outside the
/// image = background) that are not in its 3×3 erosion (outside = lesion).
fn band_mean(p: &Prepared) -> f64 {
    let (w, h) = (p.width, p.height);
    let b = p.bbox;
    // The band lies within one pixel of the box.
    let r0 = b.row0.saturating_sub(1);
    let r1 = (b.row1 + 1).min(h - 1);
    let c0 = b.col0.saturating_sub(1);
    let c1 = (b.col1 + 1).min(w - 1);
    let (mut sum, mut count) = (0u64, 0u64);
    for r in r0..=r1 {
        let rr = r.saturating_sub(1)..=(r + 1).min(h - 1);
        // Rows above/below the image count as lesion for the erosion.
        for c in c0..=c1 {
            let cc = c.saturating_sub(1)..=(c + 1).min(w - 1);
            let (mut any, mut all) = (false, true);
            for y in rr.clone() {
                for x in cc.clone() {
                    let m = p.mask[y * w + x];
                    any |= m;
                    all &= m;
                }
            }
            if any && !all {
                sum += p.image[r * w + c] as u64;
                count += 1;
            }
        }
    }
    sum as f64 / count as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::texture_util::fixtures;

    #[test]
    fn histogram_matches_busat_on_bus01() {
        let p = fixtures::prepared("BUS01");
        let got = compute(&p);
        assert_eq!(got.len(), NAMES.len());
        fixtures::assert_columns(33, &got, 1e-9);
    }

    #[test]
    fn hbag_band_at_the_image_border() {
        // 4×4 image, U = 10·column, lesion = columns 0–1 (touching the left,
        // top and bottom borders). Dilation (outside = background) covers
        // columns 0–2; erosion (outside = lesion) keeps column 0 only, so the
        // band is columns 1–2 and hBAG = (10 + 20)/2 = 15. Treating the
        // outside as background in the erosion would add column 0 (hBAG = 10).
        let img: Vec<u8> = (0..16).map(|i| 10 * (i % 4) as u8).collect();
        let mask: Vec<bool> = (0..16).map(|i| i % 4 < 2).collect();
        let p = fixtures::with_image(4, 4, img, mask);
        let got = compute(&p);
        assert_eq!(got[0], 15.0);
        assert_eq!(got[1], 5.0);
        assert_eq!(got[11], -10.0);
    }

    #[test]
    fn histogram_of_a_two_level_lesion_by_hand() {
        // 4×4 image, lesion = the 2×2 centre block with levels 10, 10, 10, 30;
        // everything else 0. Hand derivation: μ = 15, p = {10: 3/4, 30: 1/4},
        // hEgy = 9/16 + 1/16 = 5/8, hMEgy = 3·9/16 + 1/16 = 7/4,
        // hSD = sqrt(25·3/4 + 225/4) = sqrt(75), hSk = (−125·3/4 + 3375/4)/75^1.5.
        // The dilation covers the whole image, the erosion (outside = lesion)
        // keeps no pixel, so hBAG = (10·3 + 30)/16 = 3.75.
        let mut img = vec![0u8; 16];
        let mut mask = vec![false; 16];
        for (i, v) in [(5, 10), (6, 10), (9, 10), (10, 30)] {
            img[i] = v;
            mask[i] = true;
        }
        let p = fixtures::with_image(4, 4, img, mask);
        let got = compute(&p);
        let sd = 75f64.sqrt();
        let want = [
            3.75,
            15.0,
            4.0 / 256.0,
            0.625,
            1.75,
            -(0.75 * 0.75f64.log2() + 0.25 * 0.25f64.log2()),
            -(3.0 * 0.75 * 0.75f64.log2() + 0.25 * 0.25f64.log2()),
            sd,
            (3.0 * 25.0 * 0.75 + 225.0 * 0.25f64).sqrt(),
            (-125.0 * 0.75 + 3375.0 * 0.25) / sd.powi(3),
            (-3.0 * 125.0 * 0.75 + 3375.0 * 0.25) / sd.powi(3),
            15.0 - 3.75,
            11.25 / 18.75,
        ];
        for (k, (g, w)) in got.iter().zip(want).enumerate() {
            assert!(
                (g - w).abs() < 1e-12 * w.abs().max(1.0),
                "{}: {g} vs {w}",
                NAMES[k]
            );
        }
    }
}
