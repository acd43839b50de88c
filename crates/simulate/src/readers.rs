//! The radiologists' reads (`<cohort>/readers.csv`): five readers give each
//! patient of the reader cohorts an ALN call, a BI-RADS category and a US-ALN
//! assessment; a subset is read a second time by every reader (intra-observer).
//!
//! Each read is a latent-threshold model (parameters and their reasons in
//! [`RadiologistModel`]): for patient i, reader j, read k
//! ```text
//! perceived = signal_i + u_ij + e_ijk      u ~ N(0, reader_sd²), e ~ N(0, occasion_sd²)
//! ALN call      : signal = aln_separation × [ALN+] + ε_i; call = perceived > aln_threshold + offset_j
//! BI-RADS       : signal = the patient's clinical BI-RADS step (0 = 4A … 3 = 5); read = round, clamped to 0..=3
//! US-ALN        : signal = ±us_aln_separation (clinical suspicious / not); suspicious = perceived > 0
//! ```
//! ε_i ~ N(0, 1) is stratified: within each cohort × ALN class the normal
//! scores Φ⁻¹((k + ½)/m) in random order. u is the reader's lasting view of the patient (shared by the reader's
//! reads), e the occasion's; so two readers differ by both, one reader's two
//! reads by e only, and intra-observer kappa exceeds inter-observer kappa.
//!
//! Every patient draws from its own stream (seed, cohort, readers purpose,
//! patient index) in a fixed order, so the file is byte-identical on rerun.

use rand::Rng;
use rand::seq::SliceRandom;
use rand_distr::StandardNormal;

use crate::clinical::{BIRADS, CohortDraw};
use crate::error::SimError;
use crate::params::RadiologistModel;
use crate::rng::{Purpose, stream};

/// Stream index of the cohort-level draw of the repeat-read subset (beyond
/// any patient index).
const SUBSET_STREAM: usize = 1 << 40;

/// One read of one patient by one reader.
#[derive(Debug, Clone, PartialEq)]
pub struct ReaderRead {
    /// Patient id.
    pub id: String,
    /// Reader name (`R1`…).
    pub reader: String,
    /// 1 = first read, 2 = repeat read.
    pub read: u32,
    /// ALN call: true = metastasis.
    pub aln_call: bool,
    /// BI-RADS step: 0 = 4A … 3 = 5.
    pub birads: usize,
    /// US-ALN suspicious.
    pub us_aln_suspicious: bool,
}

/// Standard normal quantile by Acklam's rational approximation (relative
/// error < 1.2e-9, ample for drawing latents).
fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.38357751867269e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// Reader name of reader `j` (0-based): `R1`, `R2`, ….
pub fn reader_name(j: usize) -> String {
    format!("R{}", j + 1)
}

/// Checks the reader parameters (called from the study's parameter check).
pub(crate) fn check(m: &RadiologistModel) -> Result<(), SimError> {
    let bad = |name: &str, found: String, expected: &'static str| {
        Err(SimError::BadParam {
            name: format!("radiologists.{name}"),
            found,
            expected,
        })
    };
    if m.reader_offsets.is_empty() {
        return bad(
            "reader_offsets",
            "[]".into(),
            "one threshold offset per reader",
        );
    }
    if m.reader_offsets.iter().any(|v| !v.is_finite()) {
        return bad(
            "reader_offsets",
            format!("{:?}", m.reader_offsets),
            "finite numbers",
        );
    }
    if !(0.0..=1.0).contains(&m.repeat_fraction) {
        return bad(
            "repeat_fraction",
            m.repeat_fraction.to_string(),
            "a fraction in 0..=1",
        );
    }
    for (name, v) in [
        ("aln_separation", m.aln_separation),
        ("aln_threshold", m.aln_threshold),
        ("us_aln_separation", m.us_aln_separation),
    ] {
        if !v.is_finite() {
            return bad(name, v.to_string(), "a finite number");
        }
    }
    for (name, n) in [
        ("aln_noise", m.aln_noise),
        ("birads_noise", m.birads_noise),
        ("us_aln_noise", m.us_aln_noise),
    ] {
        if !(n.reader_sd.is_finite()
            && n.reader_sd >= 0.0
            && n.occasion_sd.is_finite()
            && n.occasion_sd >= 0.0)
        {
            return bad(name, format!("{n:?}"), "standard deviations >= 0");
        }
    }
    Ok(())
}

/// Draws every read of one cohort: all readers' first reads of every
/// patient, then (for the repeat subset) second reads; in patient order,
/// reader order, read order.
pub fn draw_reads(draw: &CohortDraw, m: &RadiologistModel, seed: u64) -> Vec<ReaderRead> {
    let n = draw.patients.len();
    let n_repeat = ((n as f64) * m.repeat_fraction).round() as usize;
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut stream(
        seed,
        draw.index,
        Purpose::Readers,
        SUBSET_STREAM,
    ));
    let mut repeat = vec![false; n];
    for &i in &order[..n_repeat.min(n)] {
        repeat[i] = true;
    }
    // Stratified patient latents: within each ALN class the normal scores
    // Φ⁻¹((k + ½)/m) in a random order, so the consensus SENS/SPE are the
    // targets up to the readers' noise rather than a lucky draw (as the
    // study draws exact ALN+ counts and exact Table 1 allocations).
    let mut latent = vec![0.0; n];
    for (class, salt) in [(false, 1), (true, 2)] {
        let mut idx: Vec<usize> = (0..n).filter(|&i| draw.patients[i].aln == class).collect();
        idx.shuffle(&mut stream(
            seed,
            draw.index,
            Purpose::Readers,
            SUBSET_STREAM + salt,
        ));
        let mm = idx.len() as f64;
        for (k, &i) in idx.iter().enumerate() {
            latent[i] = normal_quantile((k as f64 + 0.5) / mm);
        }
    }
    let readers = m.reader_offsets.len();
    let mut out = Vec::with_capacity(readers * (n + n_repeat));
    for (i, p) in draw.patients.iter().enumerate() {
        let mut rng = stream(seed, draw.index, Purpose::Readers, i);
        let mut z = || -> f64 { rng.sample::<f64, _>(StandardNormal) };
        let aln_signal = m.aln_separation * f64::from(u8::from(p.aln)) + latent[i];
        let us_signal = if p.us_aln_suspicious {
            m.us_aln_separation
        } else {
            -m.us_aln_separation
        };
        let reads = if repeat[i] { 2 } else { 1 };
        for (j, offset) in m.reader_offsets.iter().enumerate() {
            let u_aln = m.aln_noise.reader_sd * z();
            let u_bi = m.birads_noise.reader_sd * z();
            let u_us = m.us_aln_noise.reader_sd * z();
            // Both reads' occasion noise is drawn for every reader, so the
            // first reads do not depend on which patients are re-read.
            for k in 1..=2u32 {
                let e_aln = m.aln_noise.occasion_sd * z();
                let e_bi = m.birads_noise.occasion_sd * z();
                let e_us = m.us_aln_noise.occasion_sd * z();
                if k > reads {
                    continue;
                }
                let bi = (p.birads as f64 + u_bi + e_bi).round().clamp(0.0, 3.0) as usize;
                out.push(ReaderRead {
                    id: p.id.clone(),
                    reader: reader_name(j),
                    read: k,
                    aln_call: aln_signal + u_aln + e_aln > m.aln_threshold + offset,
                    birads: bi,
                    us_aln_suspicious: us_signal + u_us + e_us > 0.0,
                });
            }
        }
    }
    out
}

/// readers.csv of the cohort contract (crates/cohort `read_readers`):
/// `id,reader,read,aln_call,birads,us_aln`, rows sorted by read, patient, reader.
pub fn readers_csv(reads: &[ReaderRead]) -> Vec<u8> {
    let mut rows: Vec<&ReaderRead> = reads.iter().collect();
    rows.sort_by_key(|r| r.read);
    let mut text = String::from("id,reader,read,aln_call,birads,us_aln\n");
    for r in rows {
        text.push_str(&format!(
            "{},{},{},{},{},{}\n",
            r.id,
            r.reader,
            r.read,
            u8::from(r.aln_call),
            BIRADS[r.birads],
            if r.us_aln_suspicious {
                "suspicious"
            } else {
                "non-suspicious"
            }
        ));
    }
    text.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SimParams, sample_study};

    #[test]
    fn reads_are_reproducible_and_cover_every_patient() {
        let params = SimParams::default();
        let study = sample_study(&params, 9, 0.2).unwrap();
        let d = &study[1];
        let a = readers_csv(&draw_reads(d, &params.radiologists, 9));
        let b = readers_csv(&draw_reads(d, &params.radiologists, 9));
        assert_eq!(a, b);
        let c = readers_csv(&draw_reads(d, &params.radiologists, 10));
        assert_ne!(a, c);
        let text = String::from_utf8(a).unwrap();
        let n = d.patients.len();
        assert_eq!(
            text.lines()
                .filter(|l| l.split(',').nth(2) == Some("1"))
                .count(),
            5 * n
        );
        let repeats = text
            .lines()
            .filter(|l| l.split(',').nth(2) == Some("2"))
            .count();
        assert_eq!(
            repeats,
            5 * ((n as f64 * params.radiologists.repeat_fraction).round() as usize)
        );
    }

    #[test]
    fn normal_quantile_matches_known_values() {
        // Φ⁻¹ values from R's qnorm.
        for (p, q) in [
            (0.5, 0.0),
            (0.975, 1.959963984540054),
            (0.01, -2.326347874040841),
            (0.77, 0.738846849185213),
        ] {
            assert!((normal_quantile(p) - q).abs() < 1e-8, "{p}");
        }
    }

    #[test]
    fn bad_reader_parameters_name_themselves() {
        let mut m = SimParams::default().radiologists;
        m.repeat_fraction = 1.5;
        assert!(
            check(&m)
                .unwrap_err()
                .to_string()
                .contains("radiologists.repeat_fraction")
        );
        let mut m = SimParams::default().radiologists;
        m.reader_offsets.clear();
        assert!(
            check(&m)
                .unwrap_err()
                .to_string()
                .contains("radiologists.reader_offsets")
        );
    }
}
