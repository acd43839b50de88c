//! Training-time augmentation as the study's fine-tuning transforms, applied
//! to the lesion crop after `Resize(256)`:
//! `RandomResizedCrop(224)`, `RandomHorizontalFlip()`, `RandomVerticalFlip()`,
//! `RandomRotation(180)`, `ColorJitter(brightness=0.5, contrast=0.5)`.
//!
//! Parameters are drawn as torchvision 0.26 draws them (`get_params` of each
//! transform) from a caller-seeded ChaCha8 stream, not torch's generator.
//! The resized crop uses PIL's bilinear filter ([`Grey::resize_box_bilinear`]);
//! rotation is nearest-neighbour about the centre with fill 0 (torchvision's
//! default `InterpolationMode.NEAREST`, `expand=False`), sampled at pixel
//! centres, which may differ from PIL's `Image.rotate` at a few edge pixels;
//! the jitter blends as PIL's `ImageEnhance` (brightness with black, contrast
//! with the rounded mean grey) and rounds to 8 bits.

use rand::Rng;
use rand::seq::SliceRandom;

use crate::preprocess::Grey;

/// Probabilities and ranges of the augmentation (the study's defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AugmentConfig {
    /// Output side of the random resized crop.
    pub size: usize,
    /// Area fraction range of the crop (torchvision default 0.08–1).
    pub scale: (f64, f64),
    /// Aspect ratio range of the crop (torchvision default 3/4–4/3).
    pub ratio: (f64, f64),
    /// Maximum rotation in degrees (uniform in ±this).
    pub degrees: f64,
    /// Brightness factor drawn from [1 − b, 1 + b].
    pub brightness: f64,
    /// Contrast factor drawn from [1 − c, 1 + c].
    pub contrast: f64,
}

impl AugmentConfig {
    /// The study's augmentation for `size`-pixel network inputs.
    pub fn study(size: usize) -> Self {
        Self {
            size,
            scale: (0.08, 1.0),
            ratio: (3.0 / 4.0, 4.0 / 3.0),
            degrees: 180.0,
            brightness: 0.5,
            contrast: 0.5,
        }
    }
}

/// One augmented `size`×`size` view of `img`.
pub fn augment<R: Rng>(img: &Grey, cfg: &AugmentConfig, rng: &mut R) -> Grey {
    let mut out = random_resized_crop(img, cfg, rng);
    if rng.random::<f64>() < 0.5 {
        out = flip_horizontal(&out);
    }
    if rng.random::<f64>() < 0.5 {
        out = flip_vertical(&out);
    }
    let angle = rng.random_range(-cfg.degrees..=cfg.degrees);
    out = rotate_nearest(&out, angle);
    // ColorJitter applies its adjustments in a random order.
    let b = rng.random_range(1.0 - cfg.brightness..=1.0 + cfg.brightness);
    let c = rng.random_range(1.0 - cfg.contrast..=1.0 + cfg.contrast);
    let mut order = [0u8, 1];
    order.shuffle(rng);
    for step in order {
        out = if step == 0 {
            adjust_brightness(&out, b)
        } else {
            adjust_contrast(&out, c)
        };
    }
    out
}

/// torchvision `RandomResizedCrop.get_params` then a PIL bilinear resize of
/// the chosen box to `size`×`size`.
pub fn random_resized_crop<R: Rng>(img: &Grey, cfg: &AugmentConfig, rng: &mut R) -> Grey {
    let (w, h) = (img.width as f64, img.height as f64);
    let area = w * h;
    let (lr0, lr1) = (cfg.ratio.0.ln(), cfg.ratio.1.ln());
    for _ in 0..10 {
        let target = area * rng.random_range(cfg.scale.0..=cfg.scale.1);
        let aspect = rng.random_range(lr0..=lr1).exp();
        let cw = (target * aspect).sqrt().round();
        let ch = (target / aspect).sqrt().round();
        if cw > 0.0 && cw <= w && ch > 0.0 && ch <= h {
            let (cw, ch) = (cw as usize, ch as usize);
            let top = rng.random_range(0..=img.height - ch);
            let left = rng.random_range(0..=img.width - cw);
            return crop_resize(img, left, top, cw, ch, cfg.size);
        }
    }
    // Fallback: central crop at the clamped ratio (torchvision's).
    let in_ratio = w / h;
    let (cw, ch) = if in_ratio < cfg.ratio.0 {
        (w, (w / cfg.ratio.0).round())
    } else if in_ratio > cfg.ratio.1 {
        ((h * cfg.ratio.1).round(), h)
    } else {
        (w, h)
    };
    let (cw, ch) = (cw as usize, ch as usize);
    let top = (img.height - ch) / 2;
    let left = (img.width - cw) / 2;
    crop_resize(img, left, top, cw, ch, cfg.size)
}

fn crop_resize(img: &Grey, left: usize, top: usize, cw: usize, ch: usize, size: usize) -> Grey {
    let c = img.crop(crate::preprocess::BBox {
        x0: left,
        y0: top,
        x1: left + cw,
        y1: top + ch,
    });
    c.resize_bilinear(size, size)
}

/// Mirror left–right.
pub fn flip_horizontal(img: &Grey) -> Grey {
    let mut p = img.pixels.clone();
    for row in p.chunks_mut(img.width) {
        row.reverse();
    }
    Grey { pixels: p, ..*img }
}

/// Mirror top–bottom.
pub fn flip_vertical(img: &Grey) -> Grey {
    let mut p = Vec::with_capacity(img.pixels.len());
    for row in img.pixels.chunks(img.width).rev() {
        p.extend_from_slice(row);
    }
    Grey { pixels: p, ..*img }
}

/// Counter-clockwise rotation by `degrees` about the image centre,
/// nearest-neighbour, fill 0, same size.
pub fn rotate_nearest(img: &Grey, degrees: f64) -> Grey {
    let (w, h) = (img.width, img.height);
    let (s, c) = degrees.to_radians().sin_cos();
    let (cx, cy) = (w as f64 / 2.0, h as f64 / 2.0);
    let mut out = vec![0u8; w * h];
    for y in 0..h {
        for x in 0..w {
            // Inverse map of the output pixel centre (image y axis points down).
            let dx = x as f64 + 0.5 - cx;
            let dy = y as f64 + 0.5 - cy;
            let sx = c * dx - s * dy + cx;
            let sy = s * dx + c * dy + cy;
            if sx >= 0.0 && sy >= 0.0 && sx < w as f64 && sy < h as f64 {
                out[y * w + x] = img.pixels[sy as usize * w + sx as usize];
            }
        }
    }
    Grey {
        width: w,
        height: h,
        pixels: out,
    }
}

/// PIL `ImageEnhance.Brightness(img).enhance(f)`: blend with black.
pub fn adjust_brightness(img: &Grey, f: f64) -> Grey {
    let pixels = img
        .pixels
        .iter()
        .map(|&v| (v as f64 * f).round().clamp(0.0, 255.0) as u8)
        .collect();
    Grey { pixels, ..*img }
}

/// PIL `ImageEnhance.Contrast(img).enhance(f)`: blend with the image's mean
/// grey rounded to an integer.
pub fn adjust_contrast(img: &Grey, f: f64) -> Grey {
    let n = img.pixels.len().max(1) as f64;
    let mean = (img.pixels.iter().map(|&v| v as f64).sum::<f64>() / n + 0.5).floor();
    let pixels = img
        .pixels
        .iter()
        .map(|&v| (mean + f * (v as f64 - mean)).round().clamp(0.0, 255.0) as u8)
        .collect();
    Grey { pixels, ..*img }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn ramp(w: usize, h: usize) -> Grey {
        Grey::new(w, h, (0..w * h).map(|i| (i % 251) as u8).collect()).unwrap()
    }

    #[test]
    fn flips_are_involutions_and_move_the_corner() {
        let g = ramp(5, 3);
        assert_eq!(flip_horizontal(&flip_horizontal(&g)), g);
        assert_eq!(flip_vertical(&flip_vertical(&g)), g);
        assert_eq!(flip_horizontal(&g).pixels[0], g.pixels[4]);
        assert_eq!(flip_vertical(&g).pixels[0], g.pixels[10]);
    }

    #[test]
    fn rotation_by_zero_is_identity_and_by_180_is_both_flips() {
        let g = ramp(6, 4);
        assert_eq!(rotate_nearest(&g, 0.0), g);
        assert_eq!(
            rotate_nearest(&g, 180.0),
            flip_vertical(&flip_horizontal(&g))
        );
    }

    #[test]
    fn jitter_factor_one_is_identity() {
        let g = ramp(7, 7);
        assert_eq!(adjust_brightness(&g, 1.0), g);
        assert_eq!(adjust_contrast(&g, 1.0), g);
        // Contrast 0 gives the rounded mean everywhere.
        let flat = adjust_contrast(&Grey::new(2, 1, vec![10, 21]).unwrap(), 0.0);
        assert_eq!(flat.pixels, vec![16, 16]);
    }

    #[test]
    fn augment_gives_the_requested_size_and_is_seeded() {
        let g = ramp(40, 30);
        let cfg = AugmentConfig::study(16);
        let a = augment(&g, &cfg, &mut ChaCha8Rng::seed_from_u64(3));
        let b = augment(&g, &cfg, &mut ChaCha8Rng::seed_from_u64(3));
        assert_eq!((a.width, a.height), (16, 16));
        assert_eq!(a, b);
    }
}
