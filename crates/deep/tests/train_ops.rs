//! The training-speed rewrites of BatchNorm ([`dlrn_deep::batchnorm`]) and of
//! the convolutions' weight gradient ([`dlrn_deep::conv`]) against Burn's own
//! modules as the reference: `ResNet::forward` is compared with the same
//! network composed from `Conv2d::forward` and `BatchNorm::forward`, on
//! `Autodiff<Flex>` (outputs, every parameter's gradient, running statistics
//! after the step) and in eval mode.

use burn::backend::autodiff::checkpoint::strategy::BalancedCheckpointing;
use burn::backend::{Autodiff, Flex};
use burn::module::AutodiffModule;
use burn::nn::BatchNorm;
use burn::nn::conv::Conv2d;
use burn::tensor::activation::relu;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::module::max_pool2d;
use burn::tensor::{Tensor, TensorData};
use dlrn_deep::resnet::{Bottleneck, ResNet, ResNetConfig, global_avg_pool};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The training backend with dlrn's fused BatchNorm and conv weight gradient.
type A = Autodiff<Flex>;
/// The same arithmetic under another type: takes the generic tensor-op paths
/// of [`dlrn_deep::batchnorm`] and `Conv2d::forward`.
type Generic = Autodiff<Flex, BalancedCheckpointing>;

/// Burn's modules composed as torchvision's Bottleneck.
fn reference_block<B: Backend>(b: &Bottleneck<B>, x: Tensor<B, 4>) -> Tensor<B, 4> {
    let identity = match &b.downsample {
        Some(d) => d.bn.forward(d.conv.forward(x.clone())),
        None => x.clone(),
    };
    let out = relu(b.bn1.forward(b.conv1.forward(x)));
    let out = relu(b.bn2.forward(b.conv2.forward(out)));
    relu(b.bn3.forward(b.conv3.forward(out)) + identity)
}

/// Burn's modules composed as torchvision's ResNet (with the head).
fn reference<B: Backend>(m: &ResNet<B>, x: Tensor<B, 4>) -> Tensor<B, 2> {
    let x = relu(m.bn1.forward(m.conv1.forward(x)));
    let mut x = max_pool2d(x, [3, 3], [2, 2], [1, 1], [1, 1], false);
    for b in m
        .layer1
        .iter()
        .chain(&m.layer2)
        .chain(&m.layer3)
        .chain(&m.layer4)
    {
        x = reference_block(b, x);
    }
    let f = global_avg_pool(x);
    match &m.fc {
        Some(fc) => fc.forward(f),
        None => f,
    }
}

fn small() -> ResNetConfig {
    ResNetConfig {
        base_width: 8,
        blocks: [2, 1, 1, 1],
        num_classes: Some(3),
    }
}

fn input<B: Backend>(n: usize, side: usize, seed: u64) -> Tensor<B, 4> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let v: Vec<f32> = (0..n * 3 * side * side)
        .map(|_| rng.random_range(-2.0..2.0))
        .collect();
    Tensor::from_data(TensorData::new(v, [n, 3, side, side]), &Default::default())
}

fn values<B: Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f32> {
    t.into_data().convert::<f32>().into_vec().unwrap()
}

/// Largest |a − b| over max(1, max |b|).
fn rel_diff(a: &[f32], b: &[f32]) -> f64 {
    assert_eq!(a.len(), b.len());
    let scale = b.iter().fold(1.0f32, |m, v| m.max(v.abs())) as f64;
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() as f64)
        .fold(0.0, f64::max)
        / scale
}

fn conv_grads<A: AutodiffBackend>(c: &Conv2d<A>, g: &A::Gradients) -> Vec<f32> {
    values(c.weight.grad(g).expect("conv weight gradient"))
}

fn bn_state<A: AutodiffBackend>(b: &BatchNorm<A>, g: &A::Gradients) -> Vec<Vec<f32>> {
    vec![
        values(b.gamma.grad(g).expect("gamma gradient")),
        values(b.beta.grad(g).expect("beta gradient")),
        values(b.running_mean.value()),
        values(b.running_var.value()),
    ]
}

/// Every conv weight gradient, BatchNorm γ/β gradient and running statistic,
/// in module order.
fn collect<A: AutodiffBackend>(m: &ResNet<A>, g: &A::Gradients) -> Vec<(String, Vec<f32>)> {
    let mut out = vec![("conv1".to_string(), conv_grads(&m.conv1, g))];
    for (i, v) in bn_state(&m.bn1, g).into_iter().enumerate() {
        out.push((format!("bn1[{i}]"), v));
    }
    let blocks = m
        .layer1
        .iter()
        .chain(&m.layer2)
        .chain(&m.layer3)
        .chain(&m.layer4);
    for (k, b) in blocks.enumerate() {
        let mut convs = vec![
            ("conv1", &b.conv1),
            ("conv2", &b.conv2),
            ("conv3", &b.conv3),
        ];
        let mut bns = vec![("bn1", &b.bn1), ("bn2", &b.bn2), ("bn3", &b.bn3)];
        if let Some(d) = &b.downsample {
            convs.push(("downsample.conv", &d.conv));
            bns.push(("downsample.bn", &d.bn));
        }
        for (name, c) in convs {
            out.push((format!("block{k}.{name}"), conv_grads(c, g)));
        }
        for (name, bn) in bns {
            for (i, v) in bn_state(bn, g).into_iter().enumerate() {
                out.push((format!("block{k}.{name}[{i}]"), v));
            }
        }
    }
    out
}

#[test]
fn training_forward_and_gradients_match_burns_modules() {
    check_training::<A>();
    check_training::<Generic>();
}

fn check_training<A: AutodiffBackend>() {
    let device = Default::default();
    // Batch 4 so the per-channel statistics span several images; 40 px so
    // layer4 still has a 2×2 map.
    let x = input::<A>(4, 40, 3);
    let labels = Tensor::<A, 1, burn::tensor::Int>::from_data(
        TensorData::new(vec![0i64, 2, 1, 2], [4]),
        &device,
    );
    let loss = burn::nn::loss::CrossEntropyLossConfig::new().init(&device);

    let ours = small().init::<A>(5, &device);
    let logits = ours.forward(x.clone());
    let out_ours = values(logits.clone());
    let grads_ours = loss.forward(logits, labels.clone()).backward();

    let theirs = small().init::<A>(5, &device);
    let logits = reference(&theirs, x);
    let out_theirs = values(logits.clone());
    let grads_theirs = loss.forward(logits, labels).backward();

    let d = rel_diff(&out_ours, &out_theirs);
    assert!(d < 1e-5, "logits differ by {d:.2e}");
    let a = collect(&ours, &grads_ours);
    let b = collect(&theirs, &grads_theirs);
    assert_eq!(a.len(), b.len());
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        let d = rel_diff(x, y);
        assert!(
            d < 1e-4,
            "{name}: differs by {d:.2e} (relative to its largest value)"
        );
    }
}

#[test]
fn eval_forward_matches_burns_modules() {
    let device = Default::default();
    // Train one step first, so the running statistics are not the initial 0/1.
    let model = small().init::<A>(9, &device);
    let _ = model.forward(input::<A>(3, 40, 1));
    let model = model.valid();
    let x = input::<Flex>(2, 40, 2);
    let d = rel_diff(
        &values(model.forward(x.clone())),
        &values(reference(&model, x)),
    );
    assert!(d < 1e-5, "eval logits differ by {d:.2e}");
    // A network without a head, through the no-grad Flex path.
    let plain = small().with_classes(None).init::<Flex>(4, &device);
    let x = input::<Flex>(2, 40, 6);
    let d = rel_diff(
        &values(plain.forward(x.clone())),
        &values(reference(&plain, x)),
    );
    assert!(d < 1e-5, "features differ by {d:.2e}");
}
