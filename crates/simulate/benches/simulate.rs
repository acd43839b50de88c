//! Simulation throughput, images/s (render + PNG write of image, mask and
//! re-outlines), on all threads and on one thread (the ratio is the parallel
//! speed-up). `cargo bench -p dlrn-simulate --bench simulate -- [SCALE]`,
//! default scale 0.2 (176 images); scale 1 is the whole study (883 images).

use std::time::Instant;

use dlrn_simulate::{SimParams, simulate};

fn run(scale: f64, threads: Option<usize>) -> (usize, f64) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let params = SimParams::default();
    let t = Instant::now();
    let s = match threads {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .expect("thread pool")
            .install(|| simulate(dir.path(), &params, 1, scale, &|_| {})),
        None => simulate(dir.path(), &params, 1, scale, &|_| {}),
    }
    .expect("simulation");
    (s.images, t.elapsed().as_secs_f64())
}

fn main() {
    let scale: f64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(0.2);
    let threads = rayon::current_num_threads();
    let (n, all) = run(scale, None);
    let (_, one) = run(scale, Some(1));
    println!("simulate scale {scale}: {n} images");
    println!(
        "  {threads} threads: {all:.2} s, {:.1} images/s",
        n as f64 / all
    );
    println!("  1 thread:  {one:.2} s, {:.1} images/s", n as f64 / one);
    println!("  speed-up {:.2}x", one / all);
}
