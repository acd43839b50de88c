//! ResNet50 forward throughput (images/s) on a Burn backend, random seeded
//! weights and input, BatchNorm folded (as `dlrn extract deep` runs it) and
//! unfolded. The PyTorch side is crates/deep/scripts/bench_torch.py; `cargo
//! xtask bench deep` runs both with the same thread count and prints ratios.
//!
//! Usage: bench_deep [--backend flex|ndarray|wgpu|cuda] [--batches 1,16]
//!                   [--secs 5] [--side 224]
//! Threads: rayon's default (all cores) or RAYON_NUM_THREADS.
//! Prints one JSON object per (variant, batch) on stdout.

use std::time::Instant;

use dlrn_deep::backend::Backend;
use dlrn_deep::{BackendKind, FeatureNet, FusedResNet, InferenceJob, ResNetConfig, features};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

struct Opts {
    backend: BackendKind,
    batches: Vec<usize>,
    secs: f64,
    side: usize,
}

fn parse() -> Opts {
    let mut o = Opts {
        backend: BackendKind::Flex,
        batches: vec![1, 16],
        secs: 5.0,
        side: 224,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let v = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--backend" => {
                o.backend = *BackendKind::ALL
                    .iter()
                    .find(|k| k.name() == v)
                    .unwrap_or_else(|| panic!("unknown backend {v:?}"))
            }
            "--batches" => o.batches = v.split(',').map(|b| b.parse().expect("batch")).collect(),
            "--secs" => o.secs = v.parse().expect("secs"),
            "--side" => o.side = v.parse().expect("side"),
            other => panic!("unknown argument {other:?}"),
        }
        i += 2;
    }
    o
}

fn time<B: Backend, N: FeatureNet<B>>(
    net: &N,
    inputs: &[Vec<f32>],
    side: usize,
    secs: f64,
    device: &B::Device,
) -> (f64, usize) {
    // Two warm-up passes (allocators, kernel compilation and autotune on GPUs).
    for _ in 0..2 {
        features(net, inputs, side, device);
    }
    let start = Instant::now();
    let mut iters = 0;
    while iters < 3 || start.elapsed().as_secs_f64() < secs {
        features(net, inputs, side, device);
        iters += 1;
    }
    let dt = start.elapsed().as_secs_f64();
    ((iters * inputs.len()) as f64 / dt, iters)
}

struct Job<'a>(&'a Opts);

impl InferenceJob for Job<'_> {
    type Output = ();
    fn run<B: Backend>(self, device: B::Device, kind: BackendKind) {
        let o = self.0;
        let model = ResNetConfig::resnet50().init::<B>(0, &device);
        let fused = FusedResNet::new(&model);
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let threads = std::env::var("RAYON_NUM_THREADS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(threads);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for &batch in &o.batches {
            let inputs: Vec<Vec<f32>> = (0..batch)
                .map(|_| {
                    (0..3 * o.side * o.side)
                        .map(|_| rng.random_range(-2.0..2.0))
                        .collect()
                })
                .collect();
            let (fused_ips, it1) = time(&fused, &inputs, o.side, o.secs, &device);
            let (plain_ips, it2) = time(&model, &inputs, o.side, o.secs, &device);
            for (variant, ips, iters) in
                [("burn-fused-bn", fused_ips, it1), ("burn", plain_ips, it2)]
            {
                println!(
                    "{{\"impl\":\"{variant}\",\"backend\":\"{}\",\"batch\":{batch},\"side\":{},\"threads\":{threads},\"iters\":{iters},\"images_per_s\":{ips:.3}}}",
                    kind.name(),
                    o.side
                );
            }
        }
    }
}

fn main() {
    let o = parse();
    dlrn_deep::run_inference(o.backend, Job(&o)).expect("backend available");
}
