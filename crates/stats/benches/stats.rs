//! Benchmarks of the statistics the pipeline runs most, against the same work
//! in R timed by bench_r.R (`cargo xtask bench stats` runs both):
//! DeLong AUC + CI at n = 1e5 and 1e6, 2000 stratified bootstrap resamples of
//! the AUC at n = 200, and a logistic fit of 621 rows × 6 predictors.
//! Data are simulated with a fixed seed (labels ~ Bernoulli(0.4), scores ~
//! N(label, 1)), as bench_r.R simulates them in R.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    // Box–Muller: enough for benchmark data.
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn binary_data(n: usize, seed: u64) -> (Vec<u8>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let y: Vec<u8> = (0..n).map(|_| rng.random_bool(0.4) as u8).collect();
    let s = y.iter().map(|&l| l as f64 + normal(&mut rng)).collect();
    (y, s)
}

fn bench(c: &mut Criterion) {
    for (n, samples) in [(100_000usize, 20usize), (1_000_000, 10)] {
        let (y, s) = binary_data(n, 1);
        let mut g = c.benchmark_group("delong");
        g.sample_size(samples);
        g.bench_function(format!("auc_ci_n{n}"), |b| {
            b.iter(|| dlrn_stats::auc_delong(black_box(&y), black_box(&s), 0.95).unwrap())
        });
        g.finish();
    }

    let (y, s) = binary_data(200, 2);
    let mut g = c.benchmark_group("bootstrap");
    g.sample_size(20);
    g.bench_function("auc_2000_n200", |b| {
        b.iter(|| {
            dlrn_stats::auc_bootstrap_ci(black_box(&y), black_box(&s), 2000, 0.95, 1).unwrap()
        })
    });
    g.finish();

    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let n = 621;
    let cols: Vec<Vec<f64>> = (0..6)
        .map(|_| (0..n).map(|_| normal(&mut rng)).collect())
        .collect();
    let y: Vec<u8> = (0..n)
        .map(|i| {
            let lp = -0.6 + 0.5 * cols[0][i] - 0.3 * cols[1][i] + 0.2 * cols[2][i];
            rng.random_bool(1.0 / (1.0 + (-lp).exp())) as u8
        })
        .collect();
    let refs: Vec<&[f64]> = cols.iter().map(|c| c.as_slice()).collect();
    let names = ["x1", "x2", "x3", "x4", "x5", "x6"];
    c.bench_function("logistic/fit_621x6", |b| {
        b.iter(|| dlrn_stats::logistic_fit(black_box(&refs), &names, black_box(&y)).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
