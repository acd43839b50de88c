//! `cargo xtask bench <area>`: each crate's Rust benchmark, then the reference
//! implementation (R or PyTorch) on the same work when it is installed, so
//! the ratio is measured in one run on one machine.

use std::process::Command;

use anyhow::Context;

use crate::workspace_root;

/// Benchmark areas.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Area {
    /// DeLong AUC + CI, bootstrap, logistic fit (vs pROC / glm).
    Stats,
    /// 10-fold cv.glmnet-equivalent LASSO (vs glmnet).
    Lasso,
    /// The 544 handcrafted features per image (vs PyRadiomics where installed).
    Radiomics,
    /// ResNet50 inference and training images/s (vs torchvision CPU).
    Deep,
    /// Simulation images/s.
    Simulate,
    /// The whole study at several sizes: each stage's time, CPU and memory
    /// and its growth exponent (see `--scales`).
    Scale,
}

impl Area {
    fn krate(self) -> &'static str {
        match self {
            Area::Stats => "dlrn-stats",
            Area::Lasso => "dlrn-lasso",
            Area::Radiomics => "dlrn-radiomics",
            Area::Deep => "dlrn-deep",
            Area::Simulate => "dlrn-simulate",
            Area::Scale => "xtask",
        }
    }

    fn dir(self) -> &'static str {
        match self {
            Area::Stats => "crates/stats",
            Area::Lasso => "crates/lasso",
            Area::Radiomics => "crates/radiomics",
            Area::Deep => "crates/deep",
            Area::Simulate => "crates/simulate",
            Area::Scale => "xtask",
        }
    }
}

fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn status(cmd: &mut Command) -> anyhow::Result<()> {
    eprintln!("$ {cmd:?}");
    let st = cmd.status().with_context(|| format!("starting {cmd:?}"))?;
    anyhow::ensure!(st.success(), "{cmd:?} failed with {st}");
    Ok(())
}

/// Runs `cmd`, echoing its stdout, and returns the JSON objects among its lines.
fn json_lines(cmd: &mut Command) -> anyhow::Result<Vec<serde_json::Value>> {
    eprintln!("$ {cmd:?}");
    let out = cmd
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("starting {cmd:?}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    print!("{text}");
    anyhow::ensure!(out.status.success(), "{cmd:?} failed with {}", out.status);
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect())
}

/// Images/s of `implementation` at each batch size in bench output rows.
fn throughput(rows: &[serde_json::Value], implementation: &str) -> Vec<(u64, f64)> {
    rows.iter()
        .filter(|r| r["impl"] == implementation)
        .filter_map(|r| Some((r["batch"].as_u64()?, r["images_per_s"].as_f64()?)))
        .collect()
}

/// Repetitions of `cargo xtask bench deep` (each one runs every Burn and
/// PyTorch measurement once, back to back): `DLRN_BENCH_REPEATS`, default 3.
fn deep_repeats() -> usize {
    std::env::var("DLRN_BENCH_REPEATS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n: &usize| n > 0)
        .unwrap_or(3)
}

/// min / median / max of `v` (not empty).
fn spread(v: &[f64]) -> (f64, f64, f64) {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    (s[0], s[s.len() / 2], s[s.len() - 1])
}

/// One measured quantity of `bench deep`: what, batch size, Burn's and
/// PyTorch's images/s in each repetition.
struct Pair {
    what: &'static str,
    batch: u64,
    burn: Vec<f64>,
    torch: Vec<f64>,
}

/// The machine's one-minute load average (Linux), to print beside the ratios.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(String::from))
        .unwrap_or_else(|| "unknown".into())
}

/// `cargo xtask bench deep`: ResNet50 on flex against torchvision on the
/// same machine, same thread count (`RAYON_NUM_THREADS`, default all cores),
/// in one run: inference (BatchNorm folded, as extraction runs it) at batch
/// 1 and 16, and training (forward + backward + Adam, no augmentation) at
/// batch 8 and 16. Each of `DLRN_BENCH_REPEATS` repetitions runs the four
/// Burn measurements and then the four PyTorch ones, so both sides of a
/// ratio see the same machine load; prints min/median/max of each side and
/// of the per-repetition ratios. `python3` must import torch and torchvision.
fn deep(root: &std::path::Path, cargo: &str) -> anyhow::Result<()> {
    let threads = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let threads_arg = threads.to_string();
    // The dev profile: its dependencies are fully optimised, and it is the
    // build every other command already has (the bench profile would compile
    // Burn a second time).
    let bench = |name: &str, args: &[&str]| {
        let mut cmd = Command::new(cargo);
        cmd.current_dir(root)
            .env("RAYON_NUM_THREADS", &threads_arg)
            .args([
                "bench",
                "-p",
                "dlrn-deep",
                "--profile",
                "dev",
                "--bench",
                name,
                "--",
            ])
            .args(args);
        json_lines(&mut cmd)
    };
    let script = root.join("crates/deep/benches/bench_torch.py");
    let torch = |args: &[&str]| {
        json_lines(
            Command::new("python3")
                .current_dir(root)
                .arg(&script)
                .args(["--threads", &threads_arg])
                .args(args),
        )
    };
    let mut pairs = vec![
        Pair {
            what: "inference",
            batch: 1,
            burn: vec![],
            torch: vec![],
        },
        Pair {
            what: "inference",
            batch: 16,
            burn: vec![],
            torch: vec![],
        },
        Pair {
            what: "training",
            batch: 8,
            burn: vec![],
            torch: vec![],
        },
        Pair {
            what: "training",
            batch: 16,
            burn: vec![],
            torch: vec![],
        },
    ];
    let mut loads = Vec::new();
    let repeats = deep_repeats();
    for rep in 1..=repeats {
        eprintln!(
            "repetition {rep}/{repeats} (load average {})",
            load_average()
        );
        loads.push(load_average());
        let inference = ["--batches", "1,16", "--secs", "4"];
        let training = ["--batches", "8,16", "--runs", "1", "--steps", "2"];
        let burn_inf = bench(
            "resnet50",
            &[&inference[..], &["--variants", "fused"]].concat(),
        )?;
        let burn_train = bench("resnet50_train", &training)?;
        let torch_inf = match torch(&inference) {
            Ok(rows) => rows,
            Err(e) => {
                eprintln!("the PyTorch reference did not run ({e:#}): no ratio");
                return Ok(());
            }
        };
        let torch_train = torch(&[&["--train"][..], &training].concat())?;
        for p in &mut pairs {
            let (ours, theirs) = match p.what {
                "inference" => (
                    throughput(&burn_inf, "burn-fused-bn"),
                    throughput(&torch_inf, "pytorch-eager"),
                ),
                _ => (
                    throughput(&burn_train, "burn-train"),
                    throughput(&torch_train, "pytorch-train"),
                ),
            };
            let find = |v: &[(u64, f64)]| v.iter().find(|(b, _)| *b == p.batch).map(|x| x.1);
            if let (Some(a), Some(b)) = (find(&ours), find(&theirs)) {
                p.burn.push(a);
                p.torch.push(b);
            }
        }
    }
    println!(
        "ResNet50, {threads} threads, {repeats} repetitions, images/s min/median/max (load average per repetition: {})",
        loads.join(", ")
    );
    for p in &pairs {
        if p.burn.is_empty() {
            continue;
        }
        let ratios: Vec<f64> = p.burn.iter().zip(&p.torch).map(|(a, b)| a / b).collect();
        let (a0, a1, a2) = spread(&p.burn);
        let (b0, b1, b2) = spread(&p.torch);
        let (r0, r1, r2) = spread(&ratios);
        println!(
            "{:<9} batch {:>2}: Burn {a0:.2}/{a1:.2}/{a2:.2}, PyTorch {b0:.2}/{b1:.2}/{b2:.2}, ratio {r0:.2}/{r1:.2}/{r2:.2}",
            p.what, p.batch
        );
    }
    Ok(())
}

/// Images of the end-to-end radiomics benchmark: `dlrn simulate --scale`
/// this gives a TC cohort of 75 images of 480×360 px.
const CLI_SCALE: &str = "0.12";
/// Timed repetitions of the end-to-end radiomics benchmark.
const CLI_REPEATS: usize = 3;

/// `cargo xtask bench radiomics`, end to end: the `dlrn` binary as
/// `cargo xtask paper` builds it (dev profile) extracts the handcrafted
/// features of a generated cohort (decode, SHA-256 of the inputs, despeckle,
/// 544 features, table writing, all threads), timed from outside, so the
/// criterion numbers above it and what a user gets are printed together.
fn radiomics_cli(root: &std::path::Path, cargo: &str) -> anyhow::Result<()> {
    status(
        Command::new(cargo)
            .current_dir(root)
            .args(["build", "--quiet", "-p", "dlrn"]),
    )?;
    let exe = std::env::current_exe().context("locating xtask")?;
    let dlrn = exe
        .parent()
        .context("xtask has no folder")?
        .join(format!("dlrn{}", std::env::consts::EXE_SUFFIX));
    anyhow::ensure!(dlrn.is_file(), "{} was not built", dlrn.display());
    let dir = root.join("target").join("bench-radiomics");
    let sim = dir.join("sim");
    if !sim.join("TC").join("images").is_dir() {
        let _ = std::fs::remove_dir_all(&sim);
        status(
            Command::new(&dlrn)
                .args(["simulate", "--seed", "1", "--scale", CLI_SCALE])
                .arg("--out")
                .arg(&sim),
        )?;
    }
    let cohort = sim.join("TC");
    let images = std::fs::read_dir(cohort.join("images"))
        .with_context(|| format!("reading {}", cohort.join("images").display()))?
        .count();
    let out = dir.join("TC_handcrafted.csv");
    let mut secs = Vec::with_capacity(CLI_REPEATS);
    for _ in 0..CLI_REPEATS {
        // A fresh run every time (no resume).
        for f in [out.clone(), dir.join("TC_handcrafted.csv.inputs.json")] {
            let _ = std::fs::remove_file(f);
        }
        let t0 = std::time::Instant::now();
        let st = Command::new(&dlrn)
            .args(["extract", "handcrafted", "--cohort"])
            .arg(&cohort)
            .arg("--out")
            .arg(&out)
            .stderr(std::process::Stdio::null())
            .status()
            .with_context(|| format!("starting {}", dlrn.display()))?;
        anyhow::ensure!(st.success(), "dlrn extract handcrafted failed with {st}");
        secs.push(t0.elapsed().as_secs_f64());
    }
    secs.sort_by(f64::total_cmp);
    let median = secs[secs.len() / 2];
    println!(
        "dlrn extract handcrafted (end to end, {images} images of 480x360, {} threads): \
         best {:.2} s = {:.1} images/s, median {:.2} s = {:.1} images/s",
        std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| {
            std::thread::available_parallelism()
                .map(|n| n.to_string())
                .unwrap_or_else(|_| "?".into())
        }),
        secs[0],
        images as f64 / secs[0],
        median,
        images as f64 / median
    );
    Ok(())
}

/// Runs the area's benchmarks and references.
pub fn run(area: Area, scale: &crate::scale::Args) -> anyhow::Result<()> {
    if matches!(area, Area::Scale) {
        return crate::scale::run(scale);
    }
    let root = workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    if matches!(area, Area::Deep) {
        return deep(&root, &cargo);
    }
    if matches!(area, Area::Radiomics) {
        // First: it needs no extra build profile and prints what a user gets.
        radiomics_cli(&root, &cargo)?;
    }
    // The dev profile, as for `bench deep`: the bench profile would compile
    // Burn and polars a second time.
    status(Command::new(&cargo).current_dir(&root).args([
        "bench",
        "-p",
        area.krate(),
        "--profile",
        "dev",
    ]))?;
    let bench_dir = root.join(area.dir()).join("benches");
    let r_script = bench_dir.join("bench_r.R");
    // The LASSO bench starts its R reference itself, on the same data.
    if r_script.exists() && !matches!(area, Area::Lasso) {
        if have("Rscript") {
            status(Command::new("Rscript").current_dir(&root).arg(&r_script))?;
        } else {
            eprintln!(
                "Rscript not found: the R reference of {} is skipped",
                area.krate()
            );
        }
    }
    for py in ["bench_torch.py", "bench_pyradiomics.py"] {
        let script = bench_dir.join(py);
        if script.exists() {
            status(Command::new("python3").current_dir(&root).arg(&script))?;
        }
    }
    Ok(())
}

/// `cargo xtask verify-torch DIR`: the full-size ResNet50 check against
/// torchvision (needs torch): writes a reference with random torchvision
/// weights into DIR, then compares dlrn-deep's features on the same input.
pub fn verify_torch(dir: &std::path::Path, backend: &str) -> anyhow::Result<()> {
    let root = workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let d = dir.display().to_string();
    status(
        Command::new("python3")
            .current_dir(&root)
            .args(["crates/deep/scripts/make_full_reference.py", &d]),
    )?;
    status(Command::new(&cargo).current_dir(&root).args([
        "run",
        "-p",
        "dlrn-deep",
        "--example",
        "verify_torch",
        "--",
        &d,
        "--backend",
        backend,
    ]))
}
