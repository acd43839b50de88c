//! Per-stage cost of the handcrafted features on one thread: decode,
//! preparation (mask clean-up + ISF despeckling) and every family, summed
//! over a cohort folder's images (`images/<id>.png`, `masks/<id>.png`) or,
//! without an argument, over the committed BUS01/BUS02 samples.
//!
//! `cargo run -p dlrn-radiomics --example stages -- [COHORT] [REPEAT]`; also
//! the target for `valgrind --tool=callgrind` (instruction counts per stage
//! that do not depend on the machine's load).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use dlrn_radiomics::{Prepared, extract_prepared_timed};

fn pairs(dir: Option<&Path>) -> Vec<(PathBuf, PathBuf)> {
    match dir {
        Some(d) => {
            let mut ids: Vec<PathBuf> = std::fs::read_dir(d.join("images"))
                .expect("images/ folder")
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            ids.sort();
            ids.into_iter()
                .filter_map(|img| {
                    let m = d.join("masks").join(img.file_name()?);
                    m.exists().then_some((img, m))
                })
                .collect()
        }
        None => {
            let f = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
            ["BUS01", "BUS02"]
                .iter()
                .map(|id| {
                    (
                        f.join(format!("{id}.png")),
                        f.join(format!("{id}_mask.png")),
                    )
                })
                .collect()
        }
    }
}

fn add(stages: &mut Vec<(&'static str, Duration)>, name: &'static str, d: Duration) {
    match stages.iter_mut().find(|(s, _)| *s == name) {
        Some((_, t)) => *t += d,
        None => stages.push((name, d)),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = args.first().filter(|s| !s.is_empty()).map(PathBuf::from);
    let repeat: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1);
    let cases = pairs(dir.as_deref());
    let mut stages = Vec::new();
    let mut n = 0usize;
    for _ in 0..repeat {
        for (img, mask) in &cases {
            let t0 = Instant::now();
            let g = image::open(img).expect("image").into_luma8();
            let m = image::open(mask).expect("mask").into_luma8();
            add(&mut stages, "decode (image crate)", t0.elapsed());
            let (w, h) = (g.width() as usize, g.height() as usize);
            let mask: Vec<bool> = m.into_raw().into_iter().map(|v| v != 0).collect();
            let t0 = Instant::now();
            let p = match Prepared::new(w, h, g.as_raw(), &mask) {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("{}: {e}", img.display());
                    continue;
                }
            };
            add(&mut stages, "prepare (ISF)", t0.elapsed());
            let f = extract_prepared_timed(&p, |name, d| add(&mut stages, name, d));
            std::hint::black_box(f);
            n += 1;
        }
    }
    let total: Duration = stages.iter().map(|(_, d)| *d).sum();
    println!("{n} images, one thread");
    for (s, d) in &stages {
        println!(
            "{:>8.2} ms/image {:>5.1}%  {s}",
            d.as_secs_f64() * 1e3 / n.max(1) as f64,
            100.0 * d.as_secs_f64() / total.as_secs_f64()
        );
    }
    println!(
        "{:>8.2} ms/image         total",
        total.as_secs_f64() * 1e3 / n.max(1) as f64
    );
}
