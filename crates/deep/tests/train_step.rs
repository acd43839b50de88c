//! One fine-tuning step against PyTorch (fixture made by
//! tests/fixtures/make_train_step.py): the narrow torchvision ResNet in
//! training mode on a fixed batch, cross-entropy, backward and one Adam step
//! with `dlrn finetune`'s settings, on `Autodiff<Flex>` — the path `dlrn
//! finetune` trains with (dlrn's fused BatchNorm and gemm convolutions).
//!
//! Compared: the loss; the gradients of the first convolution, the stem
//! BatchNorm, a 3×3 bottleneck convolution, a downsample convolution, the
//! last BatchNorm of layer 4 and the head; the same parameters after the
//! Adam step; the running statistics of two BatchNorms after the forward.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::backend::autodiff::checkpoint::strategy::BalancedCheckpointing;
use burn::backend::{Autodiff, Flex};
use burn::module::Param;
use burn::optim::GradientsParams;
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use dlrn_deep::finetune::{loss_gradients, study_optimizer, train_step};
use dlrn_deep::load_weights;
use dlrn_deep::resnet::{ResNet, ResNetConfig};

type A = Autodiff<Flex>;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The f32 tensors of a safetensors file (8-byte header length, JSON header,
/// little-endian data), by name.
fn read_safetensors(path: &Path) -> BTreeMap<String, Vec<f32>> {
    let bytes = std::fs::read(path).expect("fixture");
    let n = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).expect("header");
    let data = &bytes[8 + n..];
    let mut out = BTreeMap::new();
    for (name, info) in header.as_object().expect("object") {
        if name == "__metadata__" {
            continue;
        }
        assert_eq!(info["dtype"], "F32", "{name}");
        let off = &info["data_offsets"];
        let (a, b) = (
            off[0].as_u64().expect("offset") as usize,
            off[1].as_u64().expect("offset") as usize,
        );
        let v = data[a..b]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        out.insert(name.clone(), v);
    }
    out
}

fn values<B: Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f32> {
    t.into_data().convert::<f32>().into_vec().expect("f32")
}

/// Burn's Linear weight is [in, out]; torch's is [out, in].
fn transpose(v: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut t = vec![0.0; v.len()];
    for r in 0..rows {
        for c in 0..cols {
            t[c * rows + r] = v[r * cols + c];
        }
    }
    t
}

/// The checked parameters of the network, under torchvision's names, as
/// flat f32 in torch's layout (through `get` for each tensor).
fn checked<B: Backend>(
    m: &ResNet<B>,
    mut get4: impl FnMut(&Param<Tensor<B, 4>>) -> Vec<f32>,
    mut get1: impl FnMut(&Param<Tensor<B, 1>>) -> Vec<f32>,
    mut get2: impl FnMut(&Param<Tensor<B, 2>>) -> Vec<f32>,
) -> Vec<(&'static str, Vec<f32>)> {
    let fc = m.fc.as_ref().expect("the fixture has a head");
    let [fin, fout] = fc.weight.val().dims();
    let l4 = &m.layer4[2];
    let ds = m.layer2[0]
        .downsample
        .as_ref()
        .expect("layer2.0 downsamples");
    vec![
        ("conv1.weight", get4(&m.conv1.weight)),
        ("bn1.weight", get1(&m.bn1.gamma)),
        ("bn1.bias", get1(&m.bn1.beta)),
        ("layer1.0.conv2.weight", get4(&m.layer1[0].conv2.weight)),
        ("layer2.0.downsample.0.weight", get4(&ds.conv.weight)),
        ("layer4.2.bn3.weight", get1(&l4.bn3.gamma)),
        ("layer4.2.bn3.bias", get1(&l4.bn3.beta)),
        ("fc.weight", transpose(&get2(&fc.weight), fin, fout)),
        (
            "fc.bias",
            get1(fc.bias.as_ref().expect("torchvision's fc has a bias")),
        ),
    ]
}

/// Largest |got − want| over the tensor, against `tol` × max |want|.
fn assert_close(got: &[f32], want: &[f32], tol: f32, what: &str) -> f32 {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
    assert!(scale > 0.0, "{what}: degenerate reference");
    let worst = got
        .iter()
        .zip(want)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(
        worst <= tol * scale,
        "{what}: max |Δ| = {worst:e} > {tol:e} × {scale:e}"
    );
    worst / scale
}

fn setup_on<A: burn::tensor::backend::AutodiffBackend>()
-> (ResNet<A>, Tensor<A, 4>, Vec<u8>, serde_json::Value) {
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("train_step.json")).expect("json"))
            .expect("meta");
    let device: A::Device = Default::default();
    let config = ResNetConfig {
        base_width: 4,
        blocks: [3, 4, 6, 3],
        num_classes: Some(10),
    };
    let (model, _) = load_weights::<A>(
        config,
        Some(&fixture("small_resnet.safetensors")),
        0,
        &device,
    )
    .expect("fixture weights");
    let x = std::fs::read(fixture("small_input.bin")).expect("input");
    let x: Vec<f32> = x
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let input = Tensor::<A, 4>::from_data(TensorData::new(x, [2, 3, 80, 80]), &device);
    let labels = meta["labels"]
        .as_array()
        .expect("labels")
        .iter()
        .map(|l| l.as_u64().expect("label") as u8)
        .collect();
    (model, input, labels, meta)
}

/// On dlrn's fused path, and on Burn's generic tensor ops as a second check
/// of the same arithmetic.
#[test]
fn loss_and_gradients_match_pytorch() {
    grads_on::<A>();
    grads_on::<Autodiff<Flex, BalancedCheckpointing>>();
}

fn grads_on<A: burn::tensor::backend::AutodiffBackend>() {
    let want = read_safetensors(&fixture("train_step.safetensors"));
    let (model, input, labels, meta) = setup_on::<A>();
    let (loss, _, grads): (f64, usize, GradientsParams) = loss_gradients(&model, input, &labels);
    let torch_loss = meta["loss"].as_f64().expect("loss");
    eprintln!("loss {loss} torch {torch_loss}");
    assert!(
        (loss - torch_loss).abs() <= 1e-4 * torch_loss.abs(),
        "loss {loss} vs PyTorch {torch_loss}"
    );
    let got = checked(
        &model,
        |p| values(grads.get::<A::InnerBackend, 4>(p.id).expect("gradient")),
        |p| values(grads.get::<A::InnerBackend, 1>(p.id).expect("gradient")),
        |p| values(grads.get::<A::InnerBackend, 2>(p.id).expect("gradient")),
    );
    // f32 through 50 layers with other summation orders (oneDNN against
    // gemm's tiles, batch statistics in one pass with f64 totals here):
    // PyTorch's own f32 gradients differ from its f64 ones by up to 1.7e-4
    // of each tensor's largest element, these by up to 3.1e-4; each must be
    // within 1e-3.
    for (name, g) in got {
        let rel = assert_close(&g, &want[&format!("grad.{name}")], 1e-3, name);
        eprintln!("grad.{name}: max |Δ| / max |g| = {rel:.2e}");
    }
}

#[test]
fn one_adam_step_matches_pytorch() {
    let want = read_safetensors(&fixture("train_step.safetensors"));
    let (model, input, labels, meta) = setup_on::<A>();
    let before = checked(
        &model,
        |p| values(p.val().inner()),
        |p| values(p.val().inner()),
        |p| values(p.val().inner()),
    );
    let mut optim = study_optimizer::<A>();
    let lr = meta["lr"].as_f64().expect("lr");
    let out = train_step(model, &mut optim, input, &labels, lr);
    let after = checked(
        &out.model,
        |p| values(p.val().inner()),
        |p| values(p.val().inner()),
        |p| values(p.val().inner()),
    );
    // Adam's first step moves each weight by lr · g / (|g| + ε) ≈ ±lr: where
    // |g| is within the gradients' f32 noise of 0 the direction is a coin
    // toss on either side, so those elements are held to 2·lr; everywhere
    // else the new weight must equal PyTorch's within f32 rounding of the
    // weight (2e-7 relative) plus 1e-3 of the step.
    for ((name, w1), (_, w0)) in after.iter().zip(&before) {
        let t_after = &want[&format!("after.{name}")];
        let t_grad = &want[&format!("grad.{name}")];
        let gmax = t_grad.iter().fold(0f32, |m, v| m.max(v.abs()));
        let mut moved = 0;
        for i in 0..w1.len() {
            let d = (w1[i] - t_after[i]).abs();
            let tol = if t_grad[i].abs() > 1e-2 * gmax {
                moved += 1;
                2e-7 * w0[i].abs() + 1e-3 * lr as f32
            } else {
                2.0 * lr as f32 + 2e-7 * w0[i].abs()
            };
            assert!(
                d <= tol,
                "{name}[{i}]: {} vs PyTorch {} (before {}, PyTorch's grad {})",
                w1[i],
                t_after[i],
                w0[i],
                t_grad[i]
            );
        }
        assert!(moved > 0, "{name}: no element with a clear gradient");
    }
}

#[test]
fn batchnorm_running_statistics_after_the_forward_match_pytorch() {
    let want = read_safetensors(&fixture("train_step.safetensors"));
    let (model, input, labels, meta) = setup_on::<A>();
    let m = meta["momentum"].as_f64().expect("momentum") as f32;
    let stem_before = values(model.bn1.running_var.value_sync());
    let l4_before = values(model.layer4[2].bn3.running_var.value_sync());
    let (_, _, _) = loss_gradients(&model, input, &labels);
    // Elements per channel of the batch statistics: stem 2 × 40 × 40, the
    // last block 2 × 3 × 3 (80 → 40 → 20 → 10 → 5 → 3).
    for (bn, name, before, n) in [
        (&model.bn1, "bn1", stem_before, 2.0 * 40.0 * 40.0),
        (
            &model.layer4[2].bn3,
            "layer4.2.bn3",
            l4_before,
            2.0 * 3.0 * 3.0,
        ),
    ] {
        let mean = values(bn.running_mean.value_sync());
        let var = values(bn.running_var.value_sync());
        assert_close(
            &mean,
            &want[&format!("running_mean.{name}")],
            1e-4,
            &format!("{name} running mean"),
        );
        // PyTorch blends in the unbiased batch variance, Burn the biased one
        // (batchnorm.rs): recover PyTorch's batch variance and rescale it.
        let expected: Vec<f32> = want[&format!("running_var.{name}")]
            .iter()
            .zip(&before)
            .map(|(&t, &old)| {
                let unbiased = (t - (1.0 - m) * old) / m;
                (1.0 - m) * old + m * unbiased * (n - 1.0) / n
            })
            .collect();
        assert_close(&var, &expected, 1e-4, &format!("{name} running var"));
    }
}
