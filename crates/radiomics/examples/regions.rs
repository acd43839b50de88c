//! The regions the handcrafted families read, drawn over one case's image:
//! the lesion (mask geometry, histogram, GLCM, Laws), the boundary bands of
//! bLB10px (10 pixels inside and outside the contour, §5.4 of
//! docs/handcrafted-features.md) and the posterior strip of PS_D (rows from
//! the lesion's top down, central columns, non-lesion pixels, §5.2; before
//! its 100-pixel truncation).
//!
//! `cargo run -p dlrn-radiomics --example regions -- IMAGE MASK OUT.png [WIDTH]`
//! writes an RGB PNG downscaled to WIDTH pixels (default 320): lesion
//! outline yellow, inside band green, outside band blue, posterior strip red.
//! docs/guide/figures/regions.png is made this way from a simulated case.

use std::path::Path;

use dlrn_radiomics::Prepared;
use dlrn_radiomics::blocks::distance_to;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        return Err("usage: regions IMAGE MASK OUT.png [WIDTH]".into());
    }
    let width_out: u32 = match args.get(3) {
        Some(w) => w.parse().map_err(|e| format!("WIDTH {w}: {e}"))?,
        None => 320,
    };
    let img = image::open(&args[0])
        .map_err(|e| format!("reading {}: {e}", args[0]))?
        .to_luma8();
    let msk = image::open(&args[1])
        .map_err(|e| format!("reading {}: {e}", args[1]))?
        .to_luma8();
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mask: Vec<bool> = msk.pixels().map(|p| p.0[0] > 0).collect();
    let p = Prepared::new(w, h, img.as_raw(), &mask).map_err(|e| format!("{}: {e}", args[1]))?;

    // Distances to the lesion (outside) and to the background (inside).
    let d_out = distance_to(w, h, &p.mask);
    let background: Vec<bool> = p.mask.iter().map(|m| !m).collect();
    let d_in = distance_to(w, h, &background);
    // Posterior strip: rows from the lesion's top, central columns (§5.2).
    let b = p.bbox;
    let g = ((b.col1 - b.col0) as f64 / 6.0).round() as usize;
    let (c0, c1) = (b.col0 + g, b.col1.saturating_sub(g));

    let mut rgb = image::RgbImage::new(w as u32, h as u32);
    for i in 0..w * h {
        let (r, c) = (i / w, i % w);
        let v = p.raw[i] as f32;
        let tint = |col: [f32; 3]| -> [u8; 3] {
            [0, 1, 2].map(|k| (0.55 * v + 0.45 * col[k]).round() as u8)
        };
        let px = if p.mask[i] && d_in[i] <= 1.0 {
            [255, 220, 0]
        } else if p.mask[i] && d_in[i] <= 10.0 {
            tint([0.0, 200.0, 0.0])
        } else if !p.mask[i] && d_out[i] <= 10.0 {
            tint([40.0, 120.0, 255.0])
        } else if !p.mask[i] && r >= b.row0 && c >= c0 && c <= c1 {
            tint([230.0, 40.0, 40.0])
        } else {
            [p.raw[i]; 3]
        };
        rgb.put_pixel(c as u32, r as u32, image::Rgb(px));
    }
    let height_out = ((h as f64) * f64::from(width_out) / w as f64).round() as u32;
    let small = image::imageops::resize(
        &rgb,
        width_out,
        height_out.max(1),
        image::imageops::FilterType::Triangle,
    );
    small
        .save(Path::new(&args[2]))
        .map_err(|e| format!("writing {}: {e}", args[2]))?;
    println!("{} ({}x{})", args[2], width_out, height_out);
    Ok(())
}
