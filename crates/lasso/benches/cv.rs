//! Benchmark: 10-fold cv.glmnet-equivalent cross-validation (binomial,
//! deviance, foldid = (row mod 10) + 1) on the released EVC1 + EVC2 table
//! (199 x 2591) and on a seeded Gaussian table of the training-cohort size
//! (621 x 2366), against R's cv.glmnet timed in the same run when Rscript is
//! on the PATH (benches/bench_r.R).
//!
//! `cargo bench -p dlrn-lasso --bench cv` (env DLRN_ALN_PAPER overrides the
//! data folder, DLRN_BENCH_REPS the repetitions, default 5).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use dlrn_lasso::{Design, Folds, Measure, PathOptions, cross_validate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

struct Table {
    names: Vec<String>,
    /// Column-major.
    x: Vec<f64>,
    y: Vec<u8>,
    n: usize,
}

fn load_evc(dir: &Path) -> Table {
    let mut names = Vec::new();
    let mut rows: Vec<Vec<f64>> = Vec::new();
    let mut y = Vec::new();
    for f in ["EVC1.csv", "EVC2.csv"] {
        let mut rdr = csv::Reader::from_path(dir.join(f)).expect("EVC table");
        let h: Vec<String> = rdr.headers().unwrap().iter().map(str::to_string).collect();
        let keep: Vec<usize> = (0..h.len())
            .filter(|&j| !matches!(h[j].as_str(), "id" | "ALN_status" | "MSD"))
            .collect();
        let lab = h.iter().position(|c| c == "ALN_status").unwrap();
        names = keep.iter().map(|&j| h[j].clone()).collect();
        for rec in rdr.records() {
            let rec = rec.unwrap();
            y.push(rec[lab].parse().unwrap());
            rows.push(keep.iter().map(|&j| rec[j].parse().unwrap()).collect());
        }
    }
    let n = rows.len();
    let mut x = vec![0.0; n * names.len()];
    for (i, r) in rows.iter().enumerate() {
        for (j, v) in r.iter().enumerate() {
            x[j * n + i] = *v;
        }
    }
    Table { names, x, y, n }
}

/// Seeded Gaussian features (Box-Muller on ChaCha8) with a logistic outcome
/// driven by the first 10 columns; written to `out` for R.
fn simulate(n: usize, p: usize, seed: u64, out: &Path) -> Table {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut normal = || {
        let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
        let u2: f64 = rng.random();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    };
    let x: Vec<f64> = (0..n * p).map(|_| normal()).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
    let y: Vec<u8> = (0..n)
        .map(|i| {
            let eta: f64 = -0.7 + (0..10).map(|j| 0.6 * x[j * n + i]).sum::<f64>();
            u8::from(rng.random::<f64>() < 1.0 / (1.0 + (-eta).exp()))
        })
        .collect();
    let names: Vec<String> = (1..=p).map(|j| format!("g_{j}")).collect();
    let mut w = csv::Writer::from_path(out).expect("writing the simulated table");
    let mut header = vec!["id".to_string(), "ALN_status".to_string()];
    header.extend(names.iter().cloned());
    w.write_record(&header).unwrap();
    for i in 0..n {
        let mut rec = vec![format!("s{i}"), y[i].to_string()];
        // 17 significant digits: R reads back the same doubles.
        rec.extend((0..p).map(|j| format!("{:.17e}", x[j * n + i])));
        w.write_record(&rec).unwrap();
    }
    w.flush().unwrap();
    Table { names, x, y, n }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Median seconds of `reps` cross-validations on `threads` threads, with lambda.min and df.
fn time_cv(t: &Table, reps: usize, threads: usize) -> (f64, f64, usize) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let x = Design::column_major(&t.x, t.n, t.names.len()).unwrap();
    let folds = Folds::Ids((0..t.n).map(|i| i % 10 + 1).collect());
    let mut secs = Vec::with_capacity(reps);
    let mut last = None;
    for _ in 0..reps {
        let t0 = Instant::now();
        let cv = pool.install(|| {
            cross_validate(&x, &t.y, &folds, Measure::Deviance, &PathOptions::default()).unwrap()
        });
        secs.push(t0.elapsed().as_secs_f64());
        last = Some(cv);
    }
    let cv = last.unwrap();
    (median(secs), cv.lambda_min, cv.fit.df[cv.index_min])
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let data = dlrn_testdata::require_aln_paper();
    let reps: usize = std::env::var("DLRN_BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let sim_path = std::env::temp_dir().join("dlrn_lasso_bench_sim_621x2366.csv");
    let evc = load_evc(&data);
    let sim = simulate(621, 2366, 20240601, &sim_path);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("case        rows x cols   threads  median s   lambda.min   df");
    let mut ours = Vec::new();
    for (name, t) in [("evc", &evc), ("simulated", &sim)] {
        for threads in [1, cores] {
            let (s, lmin, df) = time_cv(t, reps, threads);
            println!(
                "{name:<11} {:>4} x {:<6} {threads:>7}  {s:>9.4}  {lmin:>11.6}  {df:>4}",
                t.n,
                t.names.len()
            );
            ours.push((name, threads, s));
        }
    }
    let script = root.join("benches/bench_r.R");
    match Command::new("Rscript")
        .arg(&script)
        .arg(&data)
        .arg(&sim_path)
        .arg(reps.to_string())
        .output()
    {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            println!("\nR cv.glmnet, same folds, same data:");
            for line in text.lines() {
                let f: Vec<&str> = line.split_whitespace().collect();
                if f.len() < 4 {
                    continue;
                }
                let r: f64 = f[1].parse().unwrap_or(f64::NAN);
                println!(
                    "{:<11} median {r:.4} s, lambda.min {}, {} selected",
                    f[0], f[2], f[3]
                );
                for &(_, threads, s) in ours.iter().filter(|o| o.0 == f[0]) {
                    println!(
                        "  dlrn-lasso {threads} thread(s): {s:.4} s = {:.2}x faster than glmnet",
                        r / s
                    );
                }
            }
        }
        Ok(out) => println!("\nRscript failed: {}", String::from_utf8_lossy(&out.stderr)),
        Err(_) => println!("\nRscript not found: R timing skipped"),
    }
}
