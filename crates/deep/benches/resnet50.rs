//! `cargo bench -p dlrn-deep` (no harness): ResNet50 forward throughput
//! (images/s) on a Burn backend, random seeded weights and input, BatchNorm
//! folded (as `dlrn extract deep` runs it) and unfolded. The PyTorch side is
//! benches/bench_torch.py; `cargo xtask bench deep` runs both on the same
//! machine with the same thread count (all cores unless RAYON_NUM_THREADS /
//! --threads say otherwise).
//!
//! Usage: resnet50 [--backend flex|ndarray|wgpu|cuda] [--batches 1,16]
//!                 [--secs 5] [--side 224] [--variants fused,fused-burn,plain]
//! Prints one JSON object per (variant, batch) on stdout.
//!
//! Variants: `fused` (BatchNorm folded, as `dlrn extract deep` runs it; on
//! flex the [`dlrn_deep::cpu::CpuTrunk`] path), `fused-burn` (the same
//! network through Burn's tensor operations, as on GPUs) and `plain`
//! (BatchNorm unfolded).
//!
//! Where the time goes (2 threads, AMD EPYC with AVX-512, perf): gemm's
//! AVX-512 64×6 micro-kernel 55% of a batch-1 forward and ~50% at batch 16,
//! its packing ~7%, im2col ~10% at batch 1, the fused epilogue ~2%. Three
//! changes brought batch 16 from 13.3 to ~41 images/s and batch 1 from 13.1
//! to ~37 (old and new binaries alternated, same hour):
//! - the workspace profile builds dependencies without debug assertions
//!   and overflow checks (Cargo's dev default had them on in gemm's and
//!   flex's inner loops), with gemm's AVX-512 kernels compiled in
//!   (`x86-v4`): Burn's own ops (`fused-burn`) 22.7 → 31 at batch 1 and
//!   13.3 → 26–28 at batch 16;
//! - tiled implicit GEMM with the bias/residual/ReLU epilogue fused
//!   ([`dlrn_deep::gemm_conv`]): 26 → 40 at batch 16 once tiles are
//!   multiples of the micro-kernel's 64 columns (30.8 at arbitrary widths);
//! - channel blocks in multiples of its 6 columns where a layer has too few
//!   columns to tile (batch 1): 34.5 → 36.5.
//!
//! `fused-burn` runs the same convolution kernels through Burn's tensor
//! operations (bias fused, ReLU and the residual add as flex passes, fresh
//! buffers): 32–33 images/s at batch 1 and 33–34 at batch 16 against
//! `fused`'s 36–37 and 41–42 (2026-12-01, alternated).
//!
//! `cargo xtask bench deep` records the ratios against PyTorch (README).
//! Before these changes (2026-11-30): batch 1 11.7 vs PyTorch 32.3 (0.35),
//! batch 16 11.7 vs 19.7 (0.61).

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
    variants: Vec<String>,
}

fn parse() -> Opts {
    let mut o = Opts {
        backend: BackendKind::Flex,
        batches: vec![1, 16],
        secs: 5.0,
        side: 224,
        variants: vec!["fused".into(), "plain".into()],
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        // `cargo bench` passes `--bench` to harness-free targets.
        if args[i] == "--bench" {
            i += 1;
            continue;
        }
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
            "--variants" => o.variants = v.split(',').map(String::from).collect(),
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

/// The folded network through Burn's tensor operations (as on GPUs), to
/// compare with its flex path, [`dlrn_deep::cpu::CpuTrunk`].
struct BurnOps<'a, B: Backend>(&'a FusedResNet<B>);

impl<B: Backend> FeatureNet<B> for BurnOps<'_, B> {
    fn pooled(&self, x: burn::tensor::Tensor<B, 4>) -> burn::tensor::Tensor<B, 2> {
        self.0.burn_features(x)
    }
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
            for variant in &o.variants {
                let (name, (ips, iters)) = match variant.as_str() {
                    "fused" => (
                        "burn-fused-bn",
                        time(&fused, &inputs, o.side, o.secs, &device),
                    ),
                    "fused-burn" => (
                        "burn-fused-bn-tensor-ops",
                        time(&BurnOps(&fused), &inputs, o.side, o.secs, &device),
                    ),
                    "plain" => ("burn", time(&model, &inputs, o.side, o.secs, &device)),
                    other => panic!("unknown variant {other:?} (fused, fused-burn, plain)"),
                };
                println!(
                    "{{\"impl\":\"{name}\",\"backend\":\"{}\",\"batch\":{batch},\"side\":{},\"threads\":{threads},\"iters\":{iters},\"images_per_s\":{ips:.3}}}",
                    kind.name(),
                    o.side
                );
            }
        }
    }
}

fn main() {
    let o = parse();
    dlrn_deep::retain_freed_memory();
    dlrn_deep::run_inference(o.backend, Job(&o)).expect("backend available");
}
