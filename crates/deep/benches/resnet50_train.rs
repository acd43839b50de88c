//! `cargo bench -p dlrn-deep --bench resnet50_train` (no harness): ResNet50
//! training throughput (images/s) on a Burn autodiff backend: one step is
//! forward in training mode + cross-entropy + backward + Adam
//! ([`dlrn_deep::finetune::train_step`], the step `dlrn finetune` runs),
//! random seeded weights, input and labels, no augmentation. The PyTorch
//! side is `bench_torch.py --train`; `cargo xtask bench deep` runs both with
//! the same thread count.
//!
//! Usage: resnet50_train [--backend flex|...] [--batches 8,16] [--runs 3]
//!                       [--steps 2] [--side 224] [--phases]
//! Prints one JSON object per batch on stdout with the images/s of each run
//! (a run = `--steps` timed steps after one warm-up step). `--phases` also
//! times forward, backward and the optimiser step separately (stderr).
//!
//! Where the time goes (batch 8, 2 threads, perf): gemm's micro-kernels
//! and packing ~60% (forward, `col2im(Wᵀ·dY)` and `Σ dY·im2col(X)ᵀ`, all
//! tiled in [`dlrn_deep::gemm_conv`]), BatchNorm's passes ~15% (statistics,
//! `y`, the two backward passes; ReLU and the residual add fused into them,
//! `batchnorm.rs`), im2col/col2im ~10%, Adam ~4%.
//!
//! History of a batch-8 step on 2 threads: 0.65 images/s with Burn's own
//! convolution and BatchNorm (37% in flex's scalar strided iterator, thin
//! per-channel GEMMs for the weight gradient); 3.3 with the fused BatchNorm
//! op and im2col GEMMs (2026-11-30); 7.2 with dependencies built without
//! debug assertions and gemm's AVX-512 kernels; 8.9 with the tiled
//! gradients; ~10 with BatchNorm+ReLU and BatchNorm+add+ReLU as single ops
//! and no zeroing of buffers that are written whole. PyTorch 2.15 on the
//! same cores: 9.5–11.

use std::time::Instant;

use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::tensor::{Int, Tensor, TensorData};
use dlrn_deep::backend::AutodiffBackend;
use dlrn_deep::finetune::train_step;
use dlrn_deep::{BackendKind, ResNet, ResNetConfig, TrainJob};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

struct Opts {
    backend: BackendKind,
    batches: Vec<usize>,
    runs: usize,
    steps: usize,
    side: usize,
    phases: bool,
}

fn parse() -> Opts {
    let mut o = Opts {
        backend: BackendKind::Flex,
        batches: vec![8, 16],
        runs: 3,
        steps: 2,
        side: 224,
        phases: false,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            // `cargo bench` passes `--bench` to harness-free targets.
            "--bench" => {
                i += 1;
                continue;
            }
            "--phases" => {
                o.phases = true;
                i += 1;
                continue;
            }
            _ => {}
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
            "--runs" => o.runs = v.parse().expect("runs"),
            "--steps" => o.steps = v.parse().expect("steps"),
            "--side" => o.side = v.parse().expect("side"),
            other => panic!("unknown argument {other:?}"),
        }
        i += 2;
    }
    o
}

fn input<B: AutodiffBackend>(
    data: &[f32],
    batch: usize,
    side: usize,
    device: &B::Device,
) -> Tensor<B, 4> {
    Tensor::from_data(
        TensorData::new(data.to_vec(), [batch, 3, side, side]),
        device,
    )
}

/// Forward, backward and optimiser step timed apart (seconds), one step.
fn phases<B: AutodiffBackend, O: Optimizer<ResNet<B>, B>>(
    model: ResNet<B>,
    optim: &mut O,
    x: Tensor<B, 4>,
    labels: &[u8],
) -> (ResNet<B>, [f64; 3]) {
    let device = x.device();
    let t0 = Instant::now();
    let logits = model.forward(x);
    let targets = Tensor::<B, 1, Int>::from_data(
        TensorData::new(
            labels.iter().map(|&l| l as i64).collect::<Vec<_>>(),
            [labels.len()],
        ),
        &device,
    );
    let loss = CrossEntropyLossConfig::new()
        .init(&device)
        .forward(logits, targets);
    let _ = loss.clone().into_data();
    let t1 = Instant::now();
    let grads = GradientsParams::from_grads(loss.backward(), &model);
    let t2 = Instant::now();
    let model = optim.step(1e-4, model, grads);
    let t3 = Instant::now();
    (
        model,
        [
            (t1 - t0).as_secs_f64(),
            (t2 - t1).as_secs_f64(),
            (t3 - t2).as_secs_f64(),
        ],
    )
}

struct Job<'a>(&'a Opts);

impl TrainJob for Job<'_> {
    type Output = ();
    fn run<B: AutodiffBackend>(self, device: B::Device, kind: BackendKind) {
        let o = self.0;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let threads = std::env::var("RAYON_NUM_THREADS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(threads);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for &batch in &o.batches {
            let mut model = ResNetConfig::resnet50()
                .with_classes(Some(2))
                .init::<B>(0, &device);
            let mut optim = AdamConfig::new().with_epsilon(1e-8).init::<B, ResNet<B>>();
            let data: Vec<f32> = (0..batch * 3 * o.side * o.side)
                .map(|_| rng.random_range(-2.0..2.0))
                .collect();
            let labels: Vec<u8> = (0..batch).map(|i| (i % 2) as u8).collect();
            // Warm-up: allocator, Adam's moment buffers.
            model = train_step(
                model,
                &mut optim,
                input(&data, batch, o.side, &device),
                &labels,
                1e-4,
            )
            .model;
            if o.phases {
                let (m, [f, b, s]) = phases(
                    model,
                    &mut optim,
                    input(&data, batch, o.side, &device),
                    &labels,
                );
                model = m;
                eprintln!(
                    "batch {batch}: forward {f:.3} s, backward {b:.3} s, optimiser step {s:.3} s"
                );
            }
            let mut rates = Vec::with_capacity(o.runs);
            for _ in 0..o.runs {
                let start = Instant::now();
                for _ in 0..o.steps {
                    model = train_step(
                        model,
                        &mut optim,
                        input(&data, batch, o.side, &device),
                        &labels,
                        1e-4,
                    )
                    .model;
                }
                rates.push((o.steps * batch) as f64 / start.elapsed().as_secs_f64());
            }
            let mut sorted = rates.clone();
            sorted.sort_by(f64::total_cmp);
            let median = sorted[sorted.len() / 2];
            let runs: Vec<String> = rates.iter().map(|r| format!("{r:.3}")).collect();
            println!(
                "{{\"impl\":\"burn-train\",\"backend\":\"{}\",\"batch\":{batch},\"side\":{},\"threads\":{threads},\"steps\":{},\"runs\":[{}],\"images_per_s\":{median:.3}}}",
                kind.name(),
                o.side,
                o.steps,
                runs.join(",")
            );
        }
    }
}

fn main() {
    let o = parse();
    assert!(o.runs > 0 && o.steps > 0, "--runs and --steps must be >= 1");
    dlrn_deep::retain_freed_memory();
    dlrn_deep::run_training(o.backend, Job(&o)).expect("backend available");
}
