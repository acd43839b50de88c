//! Benchmark: 10-fold cv.glmnet-equivalent cross-validation (binomial,
//! deviance, foldid = (row mod 10) + 1) on the released EVC1 + EVC2 table
//! (199 x 2591) and on a seeded Gaussian table of the training-cohort size
//! (621 x 2366), against R's cv.glmnet when Rscript is on the PATH
//! (benches/bench_r.R, kept running and asked for one run at a time).
//!
//! Each round times, per table, dlrn-lasso on 1 thread, on all cores, then
//! cv.glmnet, back to back, so that both sides see the same machine load; the
//! ratios (glmnet seconds / dlrn-lasso seconds) are per round, reported as
//! min / median / max with the load average before and after. One untimed
//! warm-up round comes first. It also checks that lambda.min and the columns
//! selected there are glmnet's. Results: benches/README.md.
//!
//! `cargo bench -p dlrn-lasso --bench cv` (env DLRN_ALN_PAPER overrides the
//! data folder, DLRN_BENCH_REPS the rounds, default 5).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
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

/// Seconds of one cross-validation, lambda.min and the 1-based columns selected there.
fn time_cv(t: &Table, pool: &rayon::ThreadPool) -> (f64, f64, Vec<usize>) {
    let x = Design::column_major(&t.x, t.n, t.names.len()).unwrap();
    let folds = Folds::Ids((0..t.n).map(|i| i % 10 + 1).collect());
    let t0 = Instant::now();
    let cv = pool.install(|| {
        cross_validate(&x, &t.y, &folds, Measure::Deviance, &PathOptions::default()).unwrap()
    });
    let secs = t0.elapsed().as_secs_f64();
    let sel = cv
        .fit
        .coefficients(cv.index_min)
        .iter()
        .enumerate()
        .filter(|(_, b)| **b != 0.0)
        .map(|(j, _)| j + 1)
        .collect();
    (secs, cv.lambda_min, sel)
}

/// R's cv.glmnet, kept running by benches/bench_r.R.
struct R {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl R {
    fn start(script: &Path, data: &Path, sim: &Path) -> Option<R> {
        let mut child = Command::new("Rscript")
            .arg(script)
            .arg(data)
            .arg(sim)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .ok()?;
        let stdin = child.stdin.take()?;
        let mut stdout = BufReader::new(child.stdout.take()?);
        let mut line = String::new();
        stdout.read_line(&mut line).ok()?;
        (line.trim() == "ready").then_some(R {
            child,
            stdin,
            stdout,
        })
    }

    /// Seconds, lambda.min and selected columns of one cv.glmnet run.
    fn run(&mut self, case: &str) -> (f64, f64, Vec<usize>) {
        writeln!(self.stdin, "{case}").unwrap();
        self.stdin.flush().unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        let f: Vec<&str> = line.split_whitespace().collect();
        assert!(f.len() >= 3 && f[0] == case, "bench_r.R answered {line:?}");
        let sel = f
            .get(3)
            .map(|s| s.split(',').map(|v| v.parse().unwrap()).collect())
            .unwrap_or_default();
        (f[1].parse().unwrap(), f[2].parse().unwrap(), sel)
    }
}

impl Drop for R {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "quit");
        let _ = self.stdin.flush();
        let _ = self.child.wait();
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// (min, median, max).
fn spread(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[0], v[v.len() / 2], v[v.len() - 1])
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let data = dlrn_testdata::require_aln_paper();
    let reps: usize = std::env::var("DLRN_BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
        .max(1);
    let sim_path = std::env::temp_dir().join("dlrn_lasso_bench_sim_621x2366.csv");
    let evc = load_evc(&data);
    let sim = simulate(621, 2366, 20240601, &sim_path);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut thread_counts = vec![1];
    if cores > 1 {
        thread_counts.push(cores);
    }
    let pools: Vec<rayon::ThreadPool> = thread_counts
        .iter()
        .map(|&t| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(t)
                .build()
                .unwrap()
        })
        .collect();
    let mut r = R::start(&root.join("benches/bench_r.R"), &data, &sim_path);
    if r.is_none() {
        println!("Rscript (with glmnet) not available: dlrn-lasso timings only");
    }
    let load_before = load_average();
    let cases = [("evc", &evc), ("simulated", &sim)];
    // secs[case][pool] and glmnet[case], one entry per timed round.
    let mut secs = vec![vec![Vec::new(); pools.len()]; cases.len()];
    let mut glmnet = vec![Vec::new(); cases.len()];
    let mut selection = vec![Vec::new(); cases.len()];
    for round in 0..=reps {
        for (c, (name, t)) in cases.iter().enumerate() {
            let mut ours = Vec::new();
            for (k, pool) in pools.iter().enumerate() {
                let (s, lmin, sel) = time_cv(t, pool);
                if round > 0 {
                    secs[c][k].push(s);
                }
                ours.push((lmin, sel));
            }
            if let Some(r) = r.as_mut() {
                let (s, lmin, sel) = r.run(name);
                if round > 0 {
                    glmnet[c].push(s);
                }
                let same = ours
                    .iter()
                    .all(|(l, o)| ((l - lmin) / lmin).abs() < 1e-9 && *o == sel);
                selection[c].push((same, lmin, sel.len()));
            }
        }
    }
    let load_after = load_average();
    println!(
        "10-fold CV, {reps} rounds (after one warm-up), load average {load_before} before, {load_after} after"
    );
    println!(
        "case        rows x cols   threads  seconds min/median/max      glmnet / dlrn-lasso min/median/max"
    );
    for (c, (name, t)) in cases.iter().enumerate() {
        for (k, &threads) in thread_counts.iter().enumerate() {
            let (lo, mid, hi) = spread(secs[c][k].clone());
            let ratio = if glmnet[c].is_empty() {
                "(no R)".to_string()
            } else {
                let per_round = glmnet[c]
                    .iter()
                    .zip(&secs[c][k])
                    .map(|(g, o)| g / o)
                    .collect();
                let (a, b, m) = spread(per_round);
                format!("{a:.2}x / {b:.2}x / {m:.2}x")
            };
            println!(
                "{name:<11} {:>4} x {:<6} {threads:>7}  {lo:.3} / {mid:.3} / {hi:.3} s   {ratio}",
                t.n,
                t.names.len()
            );
        }
        if !glmnet[c].is_empty() {
            let (lo, mid, hi) = spread(glmnet[c].clone());
            let all_same = selection[c].iter().all(|s| s.0);
            let (_, lmin, nsel) = selection[c][0];
            println!(
                "{name:<11} cv.glmnet              {lo:.3} / {mid:.3} / {hi:.3} s   lambda.min {lmin:.6}, {nsel} selected: {}",
                if all_same {
                    "same lambda.min and columns"
                } else {
                    "DIFFERENT from dlrn-lasso"
                }
            );
        }
    }
}
