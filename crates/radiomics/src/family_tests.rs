//! Checks that run every texture family over the same degenerate and
//! border-touching lesions (a module of its own: the families all use
//! texture_util, so these tests cannot live there without an import circle).

use crate::prepared::Prepared;
use crate::texture_util;

/// A family's compute function.
type Compute = fn(&Prepared) -> Vec<f64>;

/// The texture families, in column order of their first column.
const FAMILIES: [(&str, Compute, usize); 9] = [
    ("histogram", crate::histogram::compute, 13),
    ("autocorr", crate::autocorr::compute, 1),
    ("average_mass", crate::average_mass::compute, 4),
    ("lbp", crate::lbp::compute, 256),
    ("complexity", crate::complexity::compute, 5),
    ("fractal", crate::fractal::compute, 9),
    ("glcm", crate::glcm::compute, 84),
    ("laws", crate::laws::compute, 70),
    ("ranklet", crate::ranklet::compute, 72),
];

#[test]
fn bus02_texture_families_are_finite() {
    // BUS02's lesion touches the image borders (padding, clamping and
    // clipping paths); its reference values are kept back, so this checks
    // only that every texture column is produced and finite.
    let p = texture_util::fixtures::prepared("BUS02");
    for (name, f, n) in FAMILIES {
        let v = f(&p);
        assert_eq!(v.len(), n, "{name}");
        assert!(v.iter().all(|x| x.is_finite()), "{name}: {v:?}");
    }
}

#[test]
fn degenerate_lesions_give_nan_not_panics() {
    // A 2-pixel lesion in a corner (1×2 box: no LBP interior, no AutoCorr
    // lag), a 2×1 lesion on an edge, and a lesion covering the whole image
    // (no outside band): every family returns its full column count.
    let (w, h) = (6, 5);
    let img: Vec<u8> = (0..w * h).map(|i| (i * 37 % 251) as u8).collect();
    let cases: [Vec<bool>; 3] = [
        (0..w * h).map(|i| i == 0 || i == 1).collect(),
        (0..w * h)
            .map(|i| i == 2 * w + 5 || i == 3 * w + 5)
            .collect(),
        vec![true; w * h],
    ];
    for mask in cases {
        let p = texture_util::fixtures::with_image(w, h, img.clone(), mask);
        for (name, f, n) in FAMILIES {
            assert_eq!(f(&p).len(), n, "{name}");
        }
    }
    let corner =
        texture_util::fixtures::with_image(w, h, img.clone(), (0..w * h).map(|i| i < 2).collect());
    assert!(crate::autocorr::compute(&corner)[0].is_nan());
    assert!(crate::lbp::compute(&corner).iter().all(|v| v.is_nan()));
}
