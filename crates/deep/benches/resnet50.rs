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
//! Measured 2026-11-27 on the idle 2-core build machine, torch 2.15.0 with
//! 2 threads in the same run (`cargo xtask bench deep`, four runs), after
//! `retain_freed_memory` (glibc no longer unmaps and re-faults the activation
//! buffers every batch: +10-20% at batch 16): batch 16, BatchNorm folded
//! 12.7-13.1 vs PyTorch 11.9-13.2 images/s, ratio 0.97-1.07; batch 1
//! 8.5-10.1 vs 11.3-16.3, ratio 0.61-0.79. perf, batch 16 folded: 64% gemm's
//! AVX2 2x6 f32 micro-kernel, ~23% im2col tiles and bias. gemm's AVX-512
//! kernels (`burn/x86-v4`) measured no faster here.
//!
//! 2026-11-30: flex's convolution re-lays out the weight and the whole input
//! (NHWC) on one thread at every call, 12% of a batch-1 forward under perf;
//! k×k convolutions now run as `W · im2col(x) + b` (`conv::conv2d_infer`),
//! +18-28% at batch 1 and 16 with old and new binaries alternated. The
//! unfolded network's BatchNorm uses `[N, C, 1]` operands (flex's per-row
//! SIMD broadcast), no longer 6x the folded one. `cargo xtask bench deep`,
//! three repetitions at load average 3.6/5.7/4.4 from concurrent builds
//! (min/median/max images/s): batch 1 Burn 5.37/9.27/10.06 vs PyTorch
//! 1.39/2.62/3.57, ratio 2.82/3.53/3.88; batch 16 Burn 4.62/6.12/6.48 vs
//! PyTorch 4.03/4.10/5.66, ratio 1.12/1.14/1.52. Final run (four
//! repetitions, load average 2.3-4.1): batch 1 Burn 7.37/11.86/12.19 vs
//! PyTorch 1.93/27.37/34.32, batch 16 Burn 6.29/11.66/12.20 vs PyTorch
//! 4.68/16.99/19.61. PyTorch's OpenMP threads collapse when other processes
//! take the cores and are 2-3× faster than here when they do not; against
//! its quiet rates Burn is ~0.35× at batch 1 and ~0.6× at batch 16.
//! Raw GEMM, 2 rayon threads, same hour: the gemm crate alone reaches
//! 192-252 GFLOP/s with its AVX2 kernels and 403-460 with `x86-v4`
//! (AVX-512; 64×576×3136, 256×2304×3136, 1024³, 2048³), PyTorch's 170-224,
//! through flex's matmul 71-147; yet `burn-flex/x86-v4` left this bench and
//! the training one unchanged (batch 1 12.3-12.7 vs 12.3-12.5, training
//! batch 16 3.1-3.4 vs 3.4-3.4 images/s) with its AVX-512 micro-kernel at
//! 72% of samples, so the network's GEMMs (~100 GFLOP/s overall) are
//! bound by memory traffic around the kernel, not by its arithmetic.
//!
//! Strided 1×1 convolutions (the three downsampling shortcuts) took flex's
//! general path with its one-thread NHWC re-layout (`conv3d_f32`, 4.6% of a
//! batch-1 forward); they now run as `W · im2col(x) + b` like the k×k ones.
//! Old and new binaries alternated six times at load average 2.5-5.6
//! (median images/s): batch 1 7.38 -> 7.69 (+4%), batch 16 6.82 -> 7.28
//! (+7%); the new one was faster in 11 of the 12 pairs. perf afterwards,
//! batch 16 folded: gemm's 2x6 micro-kernel 70%, its 1x6 edge kernel 3.5%,
//! its packing ~5%, memset of fresh output/im2col buffers 2.9%, im2col
//! 2.2%, flex's conv 0.9%, ReLU/residual add/bias (flex's in-place SIMD
//! and scalar passes) ~2.5%. So ~80% of the time is inside gemm and the
//! rest offers at most ~1.25×; the gap to PyTorch is the micro-kernel's
//! rate on these shapes. Not measured yet: the dev profile compiles the
//! dependencies with `debug-assertions` and `overflow-checks` on (Cargo's
//! dev default; the workspace sets only `opt-level = 3`), and flex's
//! hottest non-GEMM closure is checked multiplications (`mul`/`jo`);
//! turning them off for `package."*"` rebuilds every dependency.
//! `cargo xtask bench deep` after it, 2026-11-30, three repetitions at
//! load average 2.3/2.7/2.3 (min/median/max images/s): batch 1 Burn
//! 11.38/12.79/13.00 vs PyTorch 18.30/26.73/34.45, ratio 0.38/0.48/0.62;
//! batch 16 Burn 9.71/13.31/13.34 vs PyTorch 16.30/20.12/21.08, ratio
//! 0.60/0.63/0.66 (before, one quiet run: 11.68 vs 32.25 and 11.74 vs
//! 19.68, ratios 0.35 and 0.61).

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
