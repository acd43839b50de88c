//! The B-mode image of one patient: anatomy (skin, subcutaneous fat with
//! Cooper's ligaments, glandular layer, retromammary fat, pectoral muscle,
//! chest wall), one hypoechoic lesion shaped by the latent aggressiveness, and
//! the imaging chain of the hospital's scanner.
//!
//! Imaging chain (a standard speckle model, e.g. Wagner et al. 1983, "Statistics
//! of speckle in ultrasound B-scans"): complex Gaussian scatterers weighted by
//! the square root of the local echo power, filtered by an anisotropic Gaussian
//! point-spread function (the speckle grain), whose modulus is Rayleigh
//! distributed in homogeneous tissue (averaged in power over the scanner's
//! compounding looks); then depth attenuation partly undone by
//! time-gain compensation, gain, log compression to the dynamic range, display
//! smoothing, 8-bit quantisation.

use std::f64::consts::{PI, TAU};

use rand::Rng;
use rand_distr::{Distribution, Poisson, StandardNormal};
use serde::Serialize;

use crate::clinical::Patient;
use crate::field::{ValueNoise, gaussian, smoothstep};
use crate::params::{AnatomyModel, LesionModel, Scanner, Trait};
use crate::shape::{N_ANGLES, Outline};

/// The lesion traits drawn for one patient (the image-side truth).
#[derive(Debug, Clone, Serialize)]
pub struct LesionTraits {
    /// Relative RMS radial irregularity.
    pub irregularity: f64,
    /// Spiculation, 0..1.
    pub spiculation: f64,
    /// Number of spicules.
    pub spicules: usize,
    /// Depth/width ratio (> 1 taller-than-wide).
    pub aspect: f64,
    /// Lesion echo level relative to gland, dB.
    pub echo_db: f64,
    /// Internal heterogeneity.
    pub heterogeneity: f64,
    /// Echogenic halo thickness, mm.
    pub halo_mm: f64,
    /// Margin transition width, mm.
    pub margin_mm: f64,
    /// Posterior log power gain (< 0 shadowing).
    pub posterior: f64,
    /// Number of microcalcifications.
    pub calcifications: usize,
    /// Pixel spacing of this image, mm.
    pub mm_per_px: f64,
}

/// One rendered image with its true outline.
pub struct Rendered {
    /// Width, px.
    pub width: usize,
    /// Height, px.
    pub height: usize,
    /// 8-bit grey pixels, row-major.
    pub pixels: Vec<u8>,
    /// True lesion mask, row-major.
    pub mask: Vec<bool>,
    /// True outline (for re-outlines).
    pub outline: Outline,
    /// Drawn lesion traits.
    pub traits: LesionTraits,
}

fn draw<R: Rng>(t: &Trait, z: f64, rng: &mut R, lo: f64, hi: f64) -> f64 {
    let e: f64 = StandardNormal.sample(rng);
    (t.base + t.per_aggressiveness * z + t.noise_sd * e).clamp(lo, hi)
}

/// A smooth lateral wave: Σ of three sinusoids, periods 15–60 mm, unit RMS.
fn wave<R: Rng>(rng: &mut R) -> impl Fn(f64) -> f64 + use<R> {
    let comps: Vec<(f64, f64)> = (0..3)
        .map(|_| {
            (
                TAU / rng.random_range(15.0..60.0),
                rng.random::<f64>() * TAU,
            )
        })
        .collect();
    move |x_mm: f64| {
        comps.iter().map(|(f, p)| (f * x_mm + p).sin()).sum::<f64>() * (2.0_f64 / 3.0).sqrt()
    }
}

/// Renders patient `p` on `scanner` with its own random stream `rng`.
pub fn render<R: Rng>(
    p: &Patient,
    scanner: &Scanner,
    lesion: &LesionModel,
    anatomy: &AnatomyModel,
    rng: &mut R,
) -> Rendered {
    let (w, h) = (scanner.width as usize, scanner.height as usize);
    // The phenotype the image shows: the latent aggressiveness blurred by
    // a patient-level term it does not explain, rescaled to SD 1.
    let sd = lesion.phenotype_noise_sd;
    let z = if sd > 0.0 {
        let u: f64 = StandardNormal.sample(rng);
        (p.aggressiveness + sd * u) / (1.0 + sd * sd).sqrt()
    } else {
        p.aggressiveness
    };

    // Lesion traits.
    let irregularity = draw(&lesion.irregularity, z, rng, 0.0, 0.35);
    let spiculation = draw(&lesion.spiculation, z, rng, 0.0, 1.0);
    let aspect = draw(&lesion.log_aspect, z, rng, -1.2, 0.5).exp();
    let echo_db = draw(&lesion.echo_db, z, rng, -35.0, -18.0);
    let heterogeneity = draw(&lesion.heterogeneity, z, rng, 0.0, 1.5);
    let halo_mm = draw(&lesion.halo_mm, z, rng, 0.0, 3.0);
    let margin_mm = draw(&lesion.margin_mm, z, rng, 0.05, 2.0);
    let posterior = draw(&lesion.posterior, z, rng, -3.0, 1.5);
    let calc_mean = draw(&lesion.calcifications, z, rng, 0.0, 12.0);
    let calcifications = if calc_mean > 0.0 {
        Poisson::new(calc_mean)
            .map(|d| d.sample(rng) as usize)
            .unwrap_or(0)
    } else {
        0
    };
    let tilt: f64 = StandardNormal.sample(rng);
    let tilt = tilt * lesion.tilt_sd_deg.to_radians();

    // Geometry: largest diameter = us_size_cm.
    let size_mm = p.us_size_cm * 10.0;
    let (a_mm, b_mm) = if aspect <= 1.0 {
        (size_mm / 2.0, size_mm / 2.0 * aspect)
    } else {
        (size_mm / 2.0 / aspect, size_mm / 2.0)
    };
    let reach = 1.0 + irregularity + 0.35 * spiculation;
    let s = (scanner.fov_width_mm / w as f64)
        .max(2.0 * a_mm * reach / (0.8 * w as f64))
        .max(2.0 * b_mm * reach / (0.65 * h as f64));
    let depth_mm = h as f64 * s;

    // Anatomy per column (depths in mm).
    let fat_frac = anatomy.fat_bottom * rng.random_range(0.7..1.3);
    let gland_frac = anatomy.gland_bottom * rng.random_range(0.92..1.08);
    let muscle_frac = anatomy.muscle_top.max(gland_frac + 0.03) * rng.random_range(0.97..1.05);
    let (w1, w2, w3) = (wave(rng), wave(rng), wave(rng));
    let fat_b =
        |x_mm: f64| (depth_mm * fat_frac * (1.0 + 0.25 * w1(x_mm))).max(anatomy.skin_mm + 1.0);
    let gland_b = |x_mm: f64| depth_mm * (gland_frac + 0.04 * w2(x_mm));
    let muscle_t =
        |x_mm: f64| (depth_mm * (muscle_frac + 0.025 * w3(x_mm))).max(gland_b(x_mm) + 0.5);
    let muscle_b = |x_mm: f64| muscle_t(x_mm) + depth_mm * anatomy.muscle_thickness;
    let striation_period = rng.random_range(1.2..2.0);
    let striation_slope = rng.random_range(-0.25..0.25);
    let ligaments: Vec<(f64, f64, f64, f64)> = (0..rng.random_range(2..6))
        .map(|_| {
            (
                rng.random::<f64>(),          // start depth within the fat, fraction
                rng.random_range(-0.6..0.6),  // slope
                rng.random::<f64>() * TAU,    // phase
                rng.random_range(0.15..0.35), // thickness, mm
            )
        })
        .collect();
    let gland_tex = ValueNoise::new(rng, w, h, 4.0 / s, 1.2 / s);
    let lobules = ValueNoise::new(rng, w, h, 3.0 / s, 1.8 / s);
    let fat_tex = ValueNoise::new(rng, w, h, 2.5 / s, 1.5 / s);
    let inner_tex = ValueNoise::new(rng, w, h, 1.6 / s, 1.3 / s);

    // Lesion outline.
    let cx = w as f64 * (0.5 + rng.random_range(-0.12..0.12));
    let mid_mm = cx * s;
    let top_ok = fat_b(mid_mm) * 0.7 + b_mm + 0.5;
    let bottom_ok = muscle_t(mid_mm) - b_mm * 0.9;
    let cy_mm = if bottom_ok > top_ok {
        rng.random_range(top_ok..top_ok + 0.4 * (bottom_ok - top_ok))
    } else {
        0.5 * (top_ok + bottom_ok)
    };
    let cy = (cy_mm / s).clamp(b_mm / s + 2.0, h as f64 - b_mm / s - 2.0);
    let harmonics: Vec<(f64, f64)> = (2..=7)
        .map(|k| {
            let a: f64 = StandardNormal.sample(rng);
            (a / k as f64, rng.random::<f64>() * TAU)
        })
        .collect();
    let hrms = (harmonics.iter().map(|(a, _)| a * a).sum::<f64>() / 2.0)
        .sqrt()
        .max(1e-12);
    let spicules = if spiculation > 0.05 {
        (20.0 * spiculation).round() as usize
    } else {
        0
    };
    let spikes: Vec<(f64, f64, f64)> = (0..spicules)
        .map(|_| {
            (
                rng.random::<f64>() * TAU,
                rng.random_range(0.4..1.0),
                rng.random_range(0.012..0.03),
            )
        })
        .collect();
    let spike_len = 0.15 + 0.35 * spiculation;
    let (a_px, b_px) = (a_mm / s, b_mm / s);
    let radius: Vec<f64> = (0..N_ANGLES)
        .map(|i| {
            let th = TAU * i as f64 / N_ANGLES as f64;
            let tp = th - tilt;
            let r_ell =
                a_px * b_px / ((b_px * tp.cos()).powi(2) + (a_px * tp.sin()).powi(2)).sqrt();
            let lob: f64 = harmonics
                .iter()
                .enumerate()
                .map(|(k, (a, ph))| a * ((k + 2) as f64 * th + ph).cos())
                .sum();
            let mut r = r_ell * (1.0 + irregularity * lob / hrms).max(0.5);
            for &(phi, height, width) in &spikes {
                let d = (th - phi + PI).rem_euclid(TAU) - PI;
                r += r_ell * spike_len * height * (-(d / width).powi(2) / 2.0).exp();
            }
            r
        })
        .collect();
    let outline = Outline { cx, cy, radius };
    let mask = outline.rasterize(w, h);

    // Posterior acoustic column: lesion chord per column, smoothed laterally.
    let mut chord = vec![0.0_f64; w];
    let mut bottom = vec![cy; w];
    for x in 0..w {
        let mut n = 0usize;
        for y in 0..h {
            if mask[y * w + x] {
                n += 1;
                bottom[x] = y as f64;
            }
        }
        chord[x] = n as f64;
    }
    let cmax = chord.iter().cloned().fold(1.0, f64::max);
    let mut profile: Vec<f64> = chord.iter().map(|c| c / cmax).collect();
    gaussian(&mut profile, w, 1, 0.8 / s, 0.0);
    let mut bottom_s = bottom.clone();
    gaussian(&mut bottom_s, w, 1, 1.0 / s, 0.0);
    // Lateral edge shadows (refraction at a smooth, circumscribed margin):
    // thin dark columns under the lesion's left and right extremes, fading
    // as the margin gets irregular or spiculated.
    let edge_shadow = (1.0 - 4.0 * irregularity - 1.5 * spiculation).max(0.0) * 1.5;
    let xl = chord.iter().position(|&c| c > 0.0).unwrap_or(0) as f64;
    let xr = chord.iter().rposition(|&c| c > 0.0).unwrap_or(0) as f64;
    let edge_sd = 0.3 / s;

    // Calcifications: bright foci inside the lesion body.
    let calcs: Vec<(f64, f64)> = (0..calcifications)
        .map(|_| {
            let th = rng.random::<f64>() * TAU;
            let rr =
                rng.random::<f64>().sqrt() * 0.75 * outline.radius_at(th).min(a_px.min(b_px) * 1.2);
            (cx + rr * th.cos(), cy + rr * th.sin())
        })
        .collect();
    let calc_r = 0.22 / s;

    // Echo power map: layer depths per column first, lesion terms only
    // inside the lesion's reach.
    let lesion_power = 10f64.powf(echo_db / 10.0);
    let col_mm: Vec<f64> = (0..w).map(|x| (x as f64 + 0.5) * s).collect();
    let fb_col: Vec<f64> = col_mm.iter().map(|&x| fat_b(x)).collect();
    let gb_col: Vec<f64> = col_mm.iter().map(|&x| gland_b(x)).collect();
    let mt_col: Vec<f64> = col_mm.iter().map(|&x| muscle_t(x)).collect();
    let mb_col: Vec<f64> = col_mm.iter().map(|&x| muscle_b(x)).collect();
    let lig_col: Vec<Vec<f64>> = ligaments
        .iter()
        .map(|&(d0, slope, ph, _)| {
            (0..w)
                .map(|x| {
                    let x_mm = col_mm[x];
                    anatomy.skin_mm
                        + d0 * (fb_col[x] - anatomy.skin_mm)
                        + slope * (x_mm - 0.5 * w as f64 * s)
                        + 0.8 * (x_mm / 6.0 + ph).sin()
                })
                .collect()
        })
        .collect();
    let rmax =
        outline.radius.iter().cloned().fold(0.0, f64::max) + (margin_mm + halo_mm + 0.5) / s + 1.0;
    let (lx0, lx1) = (
        (cx - rmax).max(0.0) as usize,
        ((cx + rmax).ceil() as usize).min(w),
    );
    let (ly0, ly1) = (
        (cy - rmax).max(0.0) as usize,
        ((cy + rmax).ceil() as usize).min(h),
    );
    let skin = |y_mm: f64| {
        let e = &anatomy.skin_echo;
        if y_mm < 0.4 {
            0.05
        } else if y_mm < 0.8 {
            *e
        } else if y_mm < anatomy.skin_mm - 0.4 {
            0.25
        } else {
            0.6 * e
        }
    };
    let mut power = vec![0.0_f64; w * h];
    for y in 0..h {
        let y_mm = (y as f64 + 0.5) * s;
        let py = y as f64 + 0.5;
        for x in 0..w {
            let px = x as f64 + 0.5;
            let (fb, gb, mt, mb) = (fb_col[x], gb_col[x], mt_col[x], mb_col[x]);
            let fat = || anatomy.fat_echo * (0.5 * fat_tex.at(px, py)).exp();
            let gland = || {
                let g = (anatomy.gland_texture * gland_tex.at(px, py)).exp();
                let lob = smoothstep(0.5, 0.8, lobules.at(px, py));
                g * (1.0 - lob) + fat() * lob
            };
            let mut e = if y_mm < anatomy.skin_mm {
                skin(y_mm)
            } else if y_mm < fb - 0.3 {
                let mut e = fat();
                for (k, &(_, _, _, thick)) in ligaments.iter().enumerate() {
                    if (y_mm - lig_col[k][x]).abs() < thick {
                        e = anatomy.ligament_echo;
                    }
                }
                e
            } else if y_mm < fb + 0.3 {
                let t = smoothstep(fb - 0.3, fb + 0.3, y_mm);
                fat() * (1.0 - t) + gland() * t
            } else if y_mm < gb {
                gland()
            } else if y_mm < mt {
                fat()
            } else if y_mm < mb {
                let ph = (y_mm + striation_slope * col_mm[x]) / striation_period * TAU;
                anatomy.muscle_echo * (1.0 + 8.0 * ph.sin().max(0.0).powi(6))
            } else {
                anatomy.chest_echo
            };

            // Lesion.
            if (lx0..lx1).contains(&x) && (ly0..ly1).contains(&y) {
                let d_mm = outline.radial_distance(px, py) * s;
                if d_mm < margin_mm + halo_mm + 0.5 {
                    let inner = lesion_power
                        * (heterogeneity * inner_tex.at(px, py) * 3.0
                            - 0.5 * heterogeneity * heterogeneity)
                            .exp();
                    let mut outer = e;
                    if halo_mm > 0.05 && d_mm > 0.0 && d_mm < halo_mm {
                        outer *= 1.0 + 6.0 * (1.0 - d_mm / halo_mm);
                    }
                    let t = smoothstep(-0.5 * margin_mm, 0.5 * margin_mm, d_mm);
                    e = inner * (1.0 - t) + outer * t;
                    for &(qx, qy) in &calcs {
                        if (px - qx).hypot(py - qy) < calc_r {
                            e = 6.0;
                        }
                    }
                }
            }

            // Posterior shadowing / enhancement below the lesion.
            if edge_shadow > 0.0 && py > cy {
                let g = |d: f64| (-(d * d) / (2.0 * edge_sd * edge_sd)).exp();
                let ramp = smoothstep(cy, cy + 0.5 * b_px, py);
                e *= (-edge_shadow * ramp * (g(px - xl) + g(px - xr))).exp();
            }
            let pr = profile[x];
            if pr > 1e-3 {
                let ramp = smoothstep(bottom_s[x] - 0.3 * b_px, bottom_s[x] + 1.5 / s, py);
                e *= (posterior * pr * ramp).exp();
            }
            power[y * w + x] = e;
        }
    }

    // Speckle: complex Gaussian scatterers × sqrt(power), filtered by the PSF;
    // `compounding` independent looks averaged in power (spatial compounding).
    let nf2 = scanner.noise_floor * scanner.noise_floor;
    let (sx, sy) = (scanner.psf_lateral_mm / s, scanner.psf_axial_mm / s);
    let looks = scanner.compounding.max(1);
    let mut speckle = vec![0.0_f64; w * h];
    let mut re = vec![0.0_f64; w * h];
    let mut im = vec![0.0_f64; w * h];
    for _ in 0..looks {
        for i in 0..w * h {
            let amp = (power[i] + nf2).sqrt();
            let (a, b): (f64, f64) = (StandardNormal.sample(rng), StandardNormal.sample(rng));
            re[i] = amp * a * std::f64::consts::FRAC_1_SQRT_2;
            im[i] = amp * b * std::f64::consts::FRAC_1_SQRT_2;
        }
        let gain = gaussian(&mut re, w, h, sx, sy) * looks as f64;
        gaussian(&mut im, w, h, sx, sy);
        for i in 0..w * h {
            speckle[i] += (re[i] * re[i] + im[i] * im[i]) / gain;
        }
    }

    // Log compression with attenuation, TGC and gain, then display smoothing.
    let residual = scanner.attenuation_db_per_mm * (1.0 - scanner.tgc_compensation);
    let mut disp = vec![0.0_f64; w * h];
    for y in 0..h {
        let y_mm = (y as f64 + 0.5) * s;
        let offset = scanner.gain_db - residual * y_mm;
        for x in 0..w {
            let i = y * w + x;
            let pw = speckle[i];
            let db = 10.0 * pw.max(1e-12).log10() + offset;
            disp[i] = (1.0 + db / scanner.dynamic_range_db).clamp(0.0, 1.0) * 255.0;
        }
    }
    gaussian(&mut disp, w, h, scanner.blur_px, scanner.blur_px);
    let pixels = disp
        .iter()
        .map(|v| v.round().clamp(0.0, 255.0) as u8)
        .collect();

    Rendered {
        width: w,
        height: h,
        pixels,
        mask,
        outline,
        traits: LesionTraits {
            irregularity,
            spiculation,
            spicules,
            aspect,
            echo_db,
            heterogeneity,
            halo_mm,
            margin_mm,
            posterior,
            calcifications,
            mm_per_px: s,
        },
    }
}
