//! Preprocessing as the study's extraction code: bounding-box crop of the
//! lesion from the whole image → `Resize(256)` (shorter side, PIL bilinear,
//! 8-bit output) → `CenterCrop(224)` → grey replicated to 3 channels →
//! `ToTensor` + ImageNet `Normalize`.
//!
//! The resize is hand-written because it must match PIL bit for bit
//! (torchvision applies `PIL.Image.resize(size, BILINEAR)` to PIL images, an
//! antialiased separable filter in 22-bit fixed point, `libImaging/Resample.c`);
//! the `image` crate's filters round differently. Checked against torchvision
//! 0.26 / Pillow on BUS01 (tests/fixtures/make_preprocess.py).

use crate::error::{DeepError, Result};

/// ImageNet channel means used by torchvision's `Normalize` (R, G, B).
pub const IMAGENET_MEAN: [f32; 3] = [0.485, 0.456, 0.406];
/// ImageNet channel standard deviations used by torchvision's `Normalize`.
pub const IMAGENET_STD: [f32; 3] = [0.229, 0.224, 0.225];

/// An 8-bit grey image, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grey {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// `width * height` pixels, row-major.
    pub pixels: Vec<u8>,
}

/// Inclusive-exclusive pixel box `[x0, x1) × [y0, y1)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BBox {
    /// First column.
    pub x0: usize,
    /// First row.
    pub y0: usize,
    /// One past the last column.
    pub x1: usize,
    /// One past the last row.
    pub y1: usize,
}

/// Sizes of the two geometric steps (256 and 224 in the study; smaller in
/// fast tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PreprocessConfig {
    /// Target of the shorter side in `Resize`.
    pub resize: usize,
    /// Side of the square `CenterCrop` (the network's input size).
    pub crop: usize,
}

impl Default for PreprocessConfig {
    fn default() -> Self {
        Self {
            resize: 256,
            crop: 224,
        }
    }
}

/// Bounding box of the non-zero mask pixels; error when there is none.
pub fn lesion_bbox(mask: &[bool], width: usize, height: usize, what: &str) -> Result<BBox> {
    if mask.len() != width * height {
        return Err(DeepError::SizeMismatch {
            what: what.to_string(),
            found: format!("{} mask pixels", mask.len()),
            expected: format!("{width}×{height} = {}", width * height),
        });
    }
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    for (i, _) in mask.iter().enumerate().filter(|(_, m)| **m) {
        let (x, y) = (i % width, i / width);
        x0 = x0.min(x);
        y0 = y0.min(y);
        x1 = x1.max(x + 1);
        y1 = y1.max(y + 1);
    }
    if x0 == usize::MAX {
        return Err(DeepError::EmptyMask {
            what: what.to_string(),
        });
    }
    Ok(BBox { x0, y0, x1, y1 })
}

impl Grey {
    /// Wraps a pixel buffer, checking its length.
    pub fn new(width: usize, height: usize, pixels: Vec<u8>) -> Result<Self> {
        if pixels.len() != width * height {
            return Err(DeepError::SizeMismatch {
                what: "grey image".into(),
                found: format!("{} pixels", pixels.len()),
                expected: format!("{width}×{height} = {}", width * height),
            });
        }
        Ok(Self {
            width,
            height,
            pixels,
        })
    }

    /// The sub-image `bbox` (PIL `Image.crop((x0, y0, x1, y1))` inside the image).
    pub fn crop(&self, b: BBox) -> Grey {
        let (w, h) = (b.x1 - b.x0, b.y1 - b.y0);
        let mut pixels = Vec::with_capacity(w * h);
        for y in b.y0..b.y1 {
            pixels.extend_from_slice(&self.pixels[y * self.width + b.x0..y * self.width + b.x1]);
        }
        Grey {
            width: w,
            height: h,
            pixels,
        }
    }

    /// PIL's `Image.resize((new_w, new_h), Image.BILINEAR)` for mode "L".
    pub fn resize_bilinear(&self, new_w: usize, new_h: usize) -> Grey {
        self.resize_box_bilinear(
            [0.0, 0.0, self.width as f32, self.height as f32],
            new_w,
            new_h,
        )
    }

    /// PIL's `Image.resize((new_w, new_h), BILINEAR, box=region)` for mode
    /// "L": resamples the float `region` `[x0, y0, x1, y1]` of the image
    /// (torchvision's `resized_crop` on PIL images crops first, which equals
    /// a box at integer corners).
    pub fn resize_box_bilinear(&self, region: [f32; 4], new_w: usize, new_h: usize) -> Grey {
        // ImagingResampleInner: horizontal pass first (on the rows the vertical
        // pass needs), then vertical; each pass rounds to 8 bits.
        let need_h = new_w != self.width || region[0] != 0.0 || region[2] != new_w as f32;
        let need_v = new_h != self.height || region[1] != 0.0 || region[3] != new_h as f32;
        let (kh, bh) = precompute_coeffs(self.width, region[0], region[2], new_w);
        let (kv, mut bv) = precompute_coeffs(self.height, region[1], region[3], new_h);
        let mut cur = self.clone();
        if need_h {
            let first = bv[0].0;
            let last = bv[new_h - 1].0 + bv[new_h - 1].1;
            for b in bv.iter_mut() {
                b.0 -= first;
            }
            let rows = last - first;
            let ksize = kh.len() / new_w;
            let mut out = vec![0u8; new_w * rows];
            for y in 0..rows {
                let row = &self.pixels[(y + first) * self.width..(y + first + 1) * self.width];
                for (xx, &(xmin, xn)) in bh.iter().enumerate() {
                    let k = &kh[xx * ksize..xx * ksize + xn];
                    let mut ss: i32 = 1 << (PRECISION_BITS - 1);
                    for (&v, &kx) in row[xmin..xmin + xn].iter().zip(k) {
                        ss += v as i32 * kx;
                    }
                    out[y * new_w + xx] = clip8(ss);
                }
            }
            cur = Grey {
                width: new_w,
                height: rows,
                pixels: out,
            };
        }
        if need_v {
            let w = cur.width;
            let ksize = kv.len() / new_h;
            let mut out = vec![0u8; w * new_h];
            for (yy, &(ymin, yn)) in bv.iter().enumerate() {
                let k = &kv[yy * ksize..];
                for xx in 0..w {
                    let mut ss: i32 = 1 << (PRECISION_BITS - 1);
                    for (y, &ky) in k[..yn].iter().enumerate() {
                        ss += cur.pixels[(y + ymin) * w + xx] as i32 * ky;
                    }
                    out[yy * w + xx] = clip8(ss);
                }
            }
            cur = Grey {
                width: w,
                height: new_h,
                pixels: out,
            };
        }
        cur
    }

    /// torchvision `Resize(size)` with an int size: the shorter side becomes
    /// `size`, the longer `int(size * long / short)` (truncated); unchanged
    /// when already that size.
    pub fn resize_shorter(&self, size: usize) -> Grey {
        let (w, h) = (self.width, self.height);
        let (short, long) = if w <= h { (w, h) } else { (h, w) };
        let new_long = (size as f64 * long as f64 / short as f64) as usize;
        let (nw, nh) = if w <= h {
            (size, new_long)
        } else {
            (new_long, size)
        };
        if (nw, nh) == (w, h) {
            return self.clone();
        }
        self.resize_bilinear(nw, nh)
    }

    /// torchvision `CenterCrop(size)`: top = round((h − size) / 2), left =
    /// round((w − size) / 2) with Python's round-half-to-even; zero padding
    /// where the image is smaller (as torchvision pads before cropping).
    pub fn center_crop(&self, size: usize) -> Grey {
        let (w, h) = (self.width, self.height);
        if w < size || h < size {
            // torchvision pads (left, top, right, bottom) = ((size-w)//2,
            // (size-h)//2, (size-w+1)//2, (size-h+1)//2) with 0, then crops.
            let pl = size.saturating_sub(w) / 2;
            let pt = size.saturating_sub(h) / 2;
            let pr = size.saturating_sub(w).div_ceil(2);
            let pb = size.saturating_sub(h).div_ceil(2);
            let (nw, nh) = (w + pl + pr, h + pt + pb);
            let mut p = vec![0u8; nw * nh];
            for y in 0..h {
                p[(y + pt) * nw + pl..(y + pt) * nw + pl + w]
                    .copy_from_slice(&self.pixels[y * w..(y + 1) * w]);
            }
            return Grey {
                width: nw,
                height: nh,
                pixels: p,
            }
            .center_crop(size);
        }
        let top = round_half_even((h - size) as f64 / 2.0);
        let left = round_half_even((w - size) as f64 / 2.0);
        self.crop(BBox {
            x0: left,
            y0: top,
            x1: left + size,
            y1: top + size,
        })
    }
}

fn round_half_even(v: f64) -> usize {
    let f = v.floor();
    let d = v - f;
    let r = if d > 0.5 || (d == 0.5 && (f as i64) % 2 == 1) {
        f + 1.0
    } else {
        f
    };
    r as usize
}

/// `ToTensor` + `Normalize(IMAGENET_MEAN, IMAGENET_STD)` of a grey image
/// replicated to 3 channels: `[3, H, W]` row-major f32, computed in f32 in
/// torchvision's order `((v / 255) − mean) / std`.
pub fn normalise(img: &Grey) -> Vec<f32> {
    let mut out = Vec::with_capacity(3 * img.pixels.len());
    for c in 0..3 {
        out.extend(
            img.pixels
                .iter()
                .map(|&v| (v as f32 / 255.0 - IMAGENET_MEAN[c]) / IMAGENET_STD[c]),
        );
    }
    out
}

/// The whole pipeline for one case: crop the lesion's bounding box from
/// `image`, resize the shorter side to `cfg.resize`, centre-crop `cfg.crop`,
/// replicate and normalise. Returns `[3, crop, crop]` row-major.
pub fn preprocess(
    image: &Grey,
    mask: &[bool],
    cfg: PreprocessConfig,
    what: &str,
) -> Result<Vec<f32>> {
    let lesion = lesion_crop(image, mask, what)?;
    Ok(normalise(
        &lesion.resize_shorter(cfg.resize).center_crop(cfg.crop),
    ))
}

/// The lesion's bounding-box crop of `image` (first step of [`preprocess`]).
pub fn lesion_crop(image: &Grey, mask: &[bool], what: &str) -> Result<Grey> {
    if mask.len() != image.pixels.len() {
        return Err(DeepError::SizeMismatch {
            what: what.to_string(),
            found: format!("mask of {} pixels", mask.len()),
            expected: format!(
                "image {}×{} = {} pixels",
                image.width,
                image.height,
                image.pixels.len()
            ),
        });
    }
    let b = lesion_bbox(mask, image.width, image.height, what)?;
    Ok(image.crop(b))
}

// --- PIL libImaging/Resample.c, bilinear filter, 8 bits per channel --------

const PRECISION_BITS: u32 = 32 - 8 - 2;

fn bilinear(x: f64) -> f64 {
    let x = x.abs();
    if x < 1.0 { 1.0 - x } else { 0.0 }
}

/// PIL's `precompute_coeffs` + `normalize_coeffs_8bpc`: per output pixel the
/// first input index and count, and fixed-point weights (`ksize` per pixel).
fn precompute_coeffs(
    in_size: usize,
    in0: f32,
    in1: f32,
    out_size: usize,
) -> (Vec<i32>, Vec<(usize, usize)>) {
    let scale = (in1 - in0) as f64 / out_size as f64;
    let filterscale = scale.max(1.0);
    let support = 1.0 * filterscale;
    let ksize = support.ceil() as usize * 2 + 1;
    let mut kk = vec![0i32; out_size * ksize];
    let mut bounds = Vec::with_capacity(out_size);
    let mut k = vec![0f64; ksize];
    for xx in 0..out_size {
        let center = in0 as f64 + (xx as f64 + 0.5) * scale;
        let ss = 1.0 / filterscale;
        // C's (int) truncates toward zero.
        let xmin = ((center - support + 0.5) as i64).max(0) as usize;
        let xmax = ((center + support + 0.5) as i64).min(in_size as i64) as usize;
        let n = xmax.saturating_sub(xmin);
        let mut ww = 0.0;
        for (x, kx) in k.iter_mut().enumerate().take(n) {
            let w = bilinear((x as f64 + xmin as f64 - center + 0.5) * ss);
            *kx = w;
            ww += w;
        }
        for (x, kx) in k.iter().enumerate().take(n) {
            let v = if ww != 0.0 { kx / ww } else { *kx };
            let scaled = v * (1u32 << PRECISION_BITS) as f64;
            kk[xx * ksize + x] = if v < 0.0 {
                (-0.5 + scaled) as i32
            } else {
                (0.5 + scaled) as i32
            };
        }
        bounds.push((xmin, n));
    }
    (kk, bounds)
}

fn clip8(v: i32) -> u8 {
    (v >> PRECISION_BITS).clamp(0, 255) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bbox_is_tight_and_empty_mask_is_an_error() {
        let mut m = vec![false; 5 * 4];
        m[6] = true; // (1,1)
        m[13] = true; // (3,2)
        let b = lesion_bbox(&m, 5, 4, "t").unwrap();
        assert_eq!(
            b,
            BBox {
                x0: 1,
                y0: 1,
                x1: 4,
                y1: 3
            }
        );
        let e = lesion_bbox(&[false; 20], 5, 4, "case X").unwrap_err();
        assert!(e.to_string().contains("case X"), "{e}");
    }

    #[test]
    fn resize_to_same_size_is_identity_and_constant_stays_constant() {
        let g = Grey::new(7, 5, (0..35).map(|v| (v * 7) as u8).collect()).unwrap();
        assert_eq!(g.resize_bilinear(7, 5), g);
        let c = Grey::new(9, 13, vec![137; 9 * 13]).unwrap();
        let r = c.resize_bilinear(4, 20);
        assert!(r.pixels.iter().all(|&v| v == 137));
    }

    #[test]
    fn upscale_by_two_matches_hand_derivation() {
        // Row [0, 100] → 4 pixels: centres at 0.25, 0.75, 1.25, 1.75 in input
        // units; support 1, weights (hand): x=0: [1, 0] after clipping at the
        // border → 0; x=1: [0.75, 0.25] → 25; x=2: [0.25, 0.75] → 75; x=3 → 100.
        let g = Grey::new(2, 1, vec![0, 100]).unwrap();
        assert_eq!(g.resize_bilinear(4, 1).pixels, vec![0, 25, 75, 100]);
    }

    #[test]
    fn center_crop_rounds_half_to_even() {
        // w = 5, size 2: (5-2)/2 = 1.5 → round → 2 (Python round(1.5) = 2).
        let g = Grey::new(5, 2, (0..10).collect()).unwrap();
        assert_eq!(g.center_crop(2).pixels, vec![2, 3, 7, 8]);
        // w = 7, size 2: 2.5 → 2.
        let g = Grey::new(7, 2, (0..14).collect()).unwrap();
        assert_eq!(g.center_crop(2).pixels, vec![2, 3, 9, 10]);
    }

    #[test]
    fn resize_shorter_truncates_the_long_side() {
        // 300×200 → shorter 256: long = int(256 * 300 / 200) = 384.
        let g = Grey::new(300, 200, vec![10; 60_000]).unwrap();
        let r = g.resize_shorter(256);
        assert_eq!((r.width, r.height), (384, 256));
        // 100×301 → int(256 * 301 / 100) = int(770.56) = 770.
        let g = Grey::new(100, 301, vec![10; 30_100]).unwrap();
        let r = g.resize_shorter(256);
        assert_eq!((r.width, r.height), (256, 770));
    }
}
