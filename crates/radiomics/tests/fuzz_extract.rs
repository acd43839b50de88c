//! Property-based fuzzing of the handcrafted extraction on the images and
//! masks a user can hand it: small frames (4–48 px a side, 1-px wide strips
//! included), grey levels constant, random or a ramp, and masks of random
//! bits, rectangles (touching the border or the whole frame), single pixels
//! and 1-px lines. The property: `Prepared::new` returns `Ok` or a typed
//! `RadiomicsError`, never panics, and a prepared lesion yields all 544
//! values (NaN allowed where a feature is undefined). Cases: 64 by default;
//! `PROPTEST_CASES=N` runs N.

use dlrn_radiomics::{COLUMNS, Prepared, extract_prepared};
use proptest::prelude::*;
use proptest::test_runner::Config;

fn config() -> Config {
    dlrn_testdata::fuzz_config(64)
}

/// How the mask is drawn on a `w` × `h` frame.
#[derive(Debug, Clone)]
enum MaskShape {
    /// Each pixel lesion with probability `p` (from a seed).
    Bits { p: f64, seed: u64 },
    /// The rectangle of rows r0..r1, columns c0..c1 (fractions of the frame).
    Rect { r0: f64, r1: f64, c0: f64, c1: f64 },
    /// One pixel.
    Pixel { r: f64, c: f64 },
    /// A 1-px line across the frame: a row (`true`) or a column.
    Line { row: bool, at: f64 },
}

fn mask_shape() -> impl Strategy<Value = MaskShape> {
    let frac = || 0.0f64..=1.0;
    prop_oneof![
        (0.0f64..=1.0, any::<u64>()).prop_map(|(p, seed)| MaskShape::Bits { p, seed }),
        (frac(), frac(), frac(), frac()).prop_map(|(a, b, c, d)| MaskShape::Rect {
            r0: a.min(b),
            r1: a.max(b),
            c0: c.min(d),
            c1: c.max(d),
        }),
        (frac(), frac()).prop_map(|(r, c)| MaskShape::Pixel { r, c }),
        (any::<bool>(), frac()).prop_map(|(row, at)| MaskShape::Line { row, at }),
    ]
}

/// Grey levels: constant, a seeded random field or a ramp.
#[derive(Debug, Clone)]
enum GreyShape {
    Constant(u8),
    Random(u64),
    Ramp,
}

fn grey_shape() -> impl Strategy<Value = GreyShape> {
    prop_oneof![
        any::<u8>().prop_map(GreyShape::Constant),
        any::<u64>().prop_map(GreyShape::Random),
        Just(GreyShape::Ramp),
    ]
}

/// A 64-bit LCG step (Knuth's MMIX constants): the fields' pseudo-random bits.
fn lcg(state: &mut u64) -> u64 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *state >> 11
}

fn draw_grey(w: usize, h: usize, g: &GreyShape) -> Vec<u8> {
    match *g {
        GreyShape::Constant(v) => vec![v; w * h],
        GreyShape::Random(seed) => {
            let mut s = seed;
            (0..w * h).map(|_| (lcg(&mut s) >> 8) as u8).collect()
        }
        GreyShape::Ramp => (0..w * h)
            .map(|i| ((i % w) * 255 / w.max(1)) as u8)
            .collect(),
    }
}

fn draw_mask(w: usize, h: usize, m: &MaskShape) -> Vec<bool> {
    let at = |f: f64, n: usize| ((f * n as f64) as usize).min(n - 1);
    let mut mask = vec![false; w * h];
    match *m {
        MaskShape::Bits { p, seed } => {
            let mut s = seed;
            for v in &mut mask {
                *v = (lcg(&mut s) as f64 / (1u64 << 53) as f64) < p;
            }
        }
        MaskShape::Rect { r0, r1, c0, c1 } => {
            for r in at(r0, h)..=at(r1, h) {
                for c in at(c0, w)..=at(c1, w) {
                    mask[r * w + c] = true;
                }
            }
        }
        MaskShape::Pixel { r, c } => mask[at(r, h) * w + at(c, w)] = true,
        MaskShape::Line { row: true, at: f } => {
            let r = at(f, h);
            mask[r * w..(r + 1) * w].fill(true);
        }
        MaskShape::Line { row: false, at: f } => {
            let c = at(f, w);
            for r in 0..h {
                mask[r * w + c] = true;
            }
        }
    }
    mask
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn extraction_returns_544_values_or_a_typed_error(
        w in prop_oneof![1 => 1usize..=3, 4 => 4usize..=48],
        h in prop_oneof![1 => 1usize..=3, 4 => 4usize..=48],
        g in grey_shape(),
        m in mask_shape(),
    ) {
        let grey = draw_grey(w, h, &g);
        let mask = draw_mask(w, h, &m);
        match Prepared::new(w, h, &grey, &mask) {
            Ok(p) => {
                let f = extract_prepared(&p);
                prop_assert_eq!(f.values.len(), COLUMNS.len());
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}
