//! The outcome model's population AUCs per cohort, from a large draw of the
//! clinical tables (no images): `cargo run -p dlrn-simulate --example
//! population -- [SCALE] [SEED] [R]` (default scale 10, i.e. 6 210 TC
//! patients; seed 1; R 0.9). Per cohort it prints the AUC (Mann–Whitney, ties
//! counted one half) of
//! - the clinical part of the linear predictor (the best a clinical model can do),
//! - the latent aggressiveness z (the best an image signature can do),
//! - `R × z + √(1 − R²) × noise`: a signature of correlation R with z,
//! - clinical part + aggressiveness × that signature (a DLRN of that signature),
//! - the whole linear predictor (the best any model can do).
//!
//! The first step of calibrating the simulator against the paper's Table 2
//! (the signature's R comes from `cargo xtask calibrate-sim`).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// AUC of `score` for `label`: P(score of a positive > score of a negative)
/// + ½ P(tie), by ranks (Mann–Whitney U / (n₁ n₀)).
fn auc(score: &[f64], label: &[bool]) -> f64 {
    let mut idx: Vec<usize> = (0..score.len()).collect();
    idx.sort_by(|&a, &b| score[a].total_cmp(&score[b]));
    let mut rank = vec![0.0; score.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && score[idx[j + 1]] == score[idx[i]] {
            j += 1;
        }
        for k in i..=j {
            rank[idx[k]] = (i + j) as f64 / 2.0 + 1.0;
        }
        i = j + 1;
    }
    let n1 = label.iter().filter(|&&y| y).count() as f64;
    let n0 = label.len() as f64 - n1;
    let r1: f64 = rank
        .iter()
        .zip(label)
        .filter(|(_, y)| **y)
        .map(|(r, _)| r)
        .sum();
    (r1 - n1 * (n1 + 1.0) / 2.0) / (n1 * n0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let scale: f64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(10.0);
    let seed: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1);
    let r: f64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(0.9);
    let params = dlrn_simulate::SimParams::default();
    let a = params.outcome.aggressiveness;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    println!("cohort      n  clinical  z      signature(R={r})  DLRN   all");
    for draw in dlrn_simulate::sample_study(&params, seed, scale)? {
        let y: Vec<bool> = draw.patients.iter().map(|p| p.aln).collect();
        let clin: Vec<f64> = draw.patients.iter().map(|p| p.clinical_lp).collect();
        let z: Vec<f64> = draw.patients.iter().map(|p| p.aggressiveness).collect();
        let sig: Vec<f64> = z
            .iter()
            .map(|z| {
                let e: f64 = StandardNormal.sample(&mut rng);
                r * z + (1.0 - r * r).sqrt() * e
            })
            .collect();
        let dlrn: Vec<f64> = clin.iter().zip(&sig).map(|(c, s)| c + a * s).collect();
        let all: Vec<f64> = clin.iter().zip(&z).map(|(c, z)| c + a * z).collect();
        println!(
            "{:<6} {:>6}  {:.3}     {:.3}  {:.3}             {:.3}  {:.3}",
            draw.name,
            y.len(),
            auc(&clin, &y),
            auc(&z, &y),
            auc(&sig, &y),
            auc(&dlrn, &y),
            auc(&all, &y)
        );
    }
    Ok(())
}
