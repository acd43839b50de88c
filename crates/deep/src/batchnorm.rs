//! BatchNorm2d forward written so every full-size operation is contiguous or
//! a per-row broadcast, the shapes burn-flex 0.21 runs with SIMD.
//!
//! Same arithmetic and running-statistics update as `burn::nn::BatchNorm`
//! (`BatchNorm::forward`): in training, per-channel batch mean and biased
//! variance over (N, H, W), `y = (x − μ) · γ/√(σ² + ε) + β`, and
//! `running ← (1 − momentum) · running + momentum · batch` with the biased
//! variance (PyTorch's `nn.BatchNorm2d` keeps the unbiased one in
//! `running_var`; Burn and dlrn keep the biased one); in eval mode the running
//! statistics. What differs is the tensor layout of the per-channel operands.
//! Burn broadcasts `[1, C, 1, 1]` against `[N, C, H, W]`, which flex's binary
//! ops only accelerate for `N = 1`; for a batch they walk both tensors with a
//! scalar strided iterator, in the forward pass and again in every gradient
//! of the backward pass (57% of a batch-8 ResNet50 training step, with the
//! swapped-dims copies of its statistics, under perf). Here the activation
//! is viewed as `[N, C, H·W]` and the per-channel operands are materialised
//! as `[N, C, 1]` (`repeat_dim`, N·C values), so each broadcast is flex's
//! per-row-scalar kernel, the statistics are last-axis sums, and autodiff's
//! gradients of these operations keep the same shapes.
//!
//! On `Autodiff<Flex>` itself, training goes further: one operation with its
//! own backward, two passes over the activation forward (statistics, then
//! `y = x·a + b`) and two backward (`Σ dy`, `Σ dy·(x − μ)`, then
//! `dx = γ/σ · (dy − Σdy/M − (x − μ)/σ² · Σdy(x − μ)/M)`, the gradient of
//! PyTorch's `batch_norm_backward` / Ioffe & Szegedy 2015 §3), per-channel
//! sums accumulated in f64, channels and planes split over rayon's threads.

use std::any::{Any, TypeId};
use std::sync::Arc;

use burn::backend::Flex;
use burn::backend::autodiff::Autodiff;
use burn::backend::autodiff::NodeId;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::nn::BatchNorm;
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData, TensorPrimitive};
use burn_flex::FlexTensor;
use rayon::prelude::*;

/// The training backend with the fused BatchNorm.
type FlexAd = Autodiff<Flex>;

/// `bn(x)` for `x = [N, C, H, W]`, training (batch statistics, running
/// statistics updated) when `B` records gradients, eval otherwise; equal to
/// `bn.forward(x)` up to f32 rounding.
pub fn batch_norm<B: Backend>(bn: &BatchNorm<B>, x: Tensor<B, 4>) -> Tensor<B, 4> {
    let [n, c, h, w] = x.dims();
    let device = x.device();
    let per_row = |t: Tensor<B, 1>| t.reshape([1, c, 1]).repeat_dim(0, n);
    let x = x.reshape([n, c, h * w]);
    let gamma = bn.gamma.val();
    let beta = bn.beta.val();
    if B::ad_enabled(&device) && TypeId::of::<B>() == TypeId::of::<FlexAd>() {
        let (y, mean, var) = flex_train(
            cast::<B, FlexAd, 3>(x),
            cast::<B, FlexAd, 1>(gamma),
            cast::<B, FlexAd, 1>(beta),
            bn.epsilon,
        );
        let stat = |v: Vec<f32>| Tensor::<B, 1>::from_data(TensorData::new(v, [c]), &device);
        update_running(bn, stat(mean), stat(var));
        return cast::<FlexAd, B, 3>(y).reshape([n, c, h, w]);
    }
    let y = if B::ad_enabled(&device) {
        let count = (n * h * w) as f64;
        let channel_sum = |t: Tensor<B, 3>| t.sum_dim(2).sum_dim(0).reshape([c]);
        let mean = channel_sum(x.clone()).div_scalar(count);
        let centred = x - per_row(mean.clone());
        let var = channel_sum(centred.clone().square()).div_scalar(count);
        update_running(bn, mean.detach(), var.clone().detach());
        let scale = gamma / var.add_scalar(bn.epsilon).sqrt();
        centred * per_row(scale) + per_row(beta)
    } else {
        let mean = bn.running_mean.value().to_device(&device);
        let var = bn.running_var.value().to_device(&device);
        let scale = gamma / var.add_scalar(bn.epsilon).sqrt();
        let shift = beta - mean * scale.clone();
        x * per_row(scale) + per_row(shift)
    };
    y.reshape([n, c, h, w])
}

/// `running ← (1 − momentum) · running + momentum · batch`, as Burn's
/// `BatchNorm::forward_train` (biased batch variance).
fn update_running<B: Backend>(bn: &BatchNorm<B>, mean: Tensor<B, 1>, var: Tensor<B, 1>) {
    let device = mean.device();
    let blend = |running: Tensor<B, 1>, batch: Tensor<B, 1>| {
        running
            .to_device(&device)
            .mul_scalar(1.0 - bn.momentum)
            .add(batch.mul_scalar(bn.momentum))
            .detach()
    };
    bn.running_mean
        .update(blend(bn.running_mean.value_sync(), mean));
    bn.running_var
        .update(blend(bn.running_var.value_sync(), var));
}

/// `t` as a tensor of backend `To`, which the caller has checked is `From`.
fn cast<From: Backend, To: Backend, const D: usize>(t: Tensor<From, D>) -> Tensor<To, D> {
    // Invariant: callers compare the TypeIds of From and To first.
    *(Box::new(t) as Box<dyn Any>)
        .downcast::<Tensor<To, D>>()
        .expect("same backend")
}

/// What the backward pass needs besides `x`.
#[derive(Debug)]
struct Saved {
    gamma: Vec<f32>,
    mean: Vec<f32>,
    inv_std: Vec<f32>,
}

#[derive(Debug)]
struct BatchNormBackward;

impl Backward<Flex, 3> for BatchNormBackward {
    type State = (NodeId, Arc<Saved>);

    fn backward(
        self,
        ops: Ops<Self::State, 3>,
        grads: &mut Gradients,
        checkpointer: &mut Checkpointer,
    ) {
        let [node_x, node_gamma, node_beta] = ops.parents;
        let dy = grads.consume::<Flex>(&ops.node).to_contiguous();
        let (x_state, saved) = ops.state;
        let x = checkpointer
            .retrieve_node_output::<FlexTensor>(x_state)
            .to_contiguous();
        let shape = x.layout().shape().clone();
        let [n, c, hw] = [shape[0], shape[1], shape[2]];
        // Invariant: the activations are f32 and made contiguous above.
        let xs = x.as_slice::<f32>().expect("contiguous f32");
        let dys = dy.as_slice::<f32>().expect("contiguous f32");
        let m = (n * hw) as f64;
        // Per channel: Σ dy and Σ dy·(x − μ).
        let sums: Vec<(f64, f64)> = (0..c)
            .into_par_iter()
            .map(|ch| {
                let mu = saved.mean[ch];
                let (mut s, mut sx) = (0.0f64, 0.0f64);
                for i in 0..n {
                    let at = (i * c + ch) * hw;
                    let (a, b) = dot_sums(&dys[at..at + hw], &xs[at..at + hw], mu);
                    s += a;
                    sx += b;
                }
                (s, sx)
            })
            .collect();
        if let Some(node) = node_gamma {
            let g: Vec<f32> = sums
                .iter()
                .zip(&saved.inv_std)
                .map(|((_, sx), is)| (sx * *is as f64) as f32)
                .collect();
            grads.register::<Flex>(node.id, flex_tensor(g, &[c]));
        }
        if let Some(node) = node_beta {
            let g: Vec<f32> = sums.iter().map(|(s, _)| *s as f32).collect();
            grads.register::<Flex>(node.id, flex_tensor(g, &[c]));
        }
        if let Some(node) = node_x {
            // dx = a·dy − k·x + b0 per channel, from
            // dx = γσ⁻¹ (dy − Σdy/M − (x − μ) σ⁻² Σdy(x − μ)/M).
            let coef: Vec<[f32; 3]> = (0..c)
                .map(|ch| {
                    let (s, sx) = sums[ch];
                    let is = saved.inv_std[ch] as f64;
                    let a = saved.gamma[ch] as f64 * is;
                    let k = a * is * is * sx / m;
                    let b0 = -a * s / m + k * saved.mean[ch] as f64;
                    [a as f32, k as f32, b0 as f32]
                })
                .collect();
            let mut dx = vec![0.0f32; n * c * hw];
            dx.par_chunks_mut(hw).enumerate().for_each(|(p, out)| {
                let [a, k, b0] = coef[p % c];
                let at = p * hw;
                for ((o, &g), &v) in out.iter_mut().zip(&dys[at..at + hw]).zip(&xs[at..at + hw]) {
                    *o = a * g - k * v + b0;
                }
            });
            grads.register::<Flex>(node.id, flex_tensor(dx, &[n, c, hw]));
        }
    }
}

/// `(Σ a, Σ a·(b − mu))`, eight f32 lanes summed into f64 at the end.
fn dot_sums(a: &[f32], b: &[f32], mu: f32) -> (f64, f64) {
    let (mut s, mut sx) = ([0.0f32; 8], [0.0f32; 8]);
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for l in 0..8 {
            s[l] += x[l];
            sx[l] += x[l] * (y[l] - mu);
        }
    }
    let mut s: f64 = s.iter().map(|v| *v as f64).sum();
    let mut sx: f64 = sx.iter().map(|v| *v as f64).sum();
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        s += *x as f64;
        sx += (*x as f64) * (*y as f64 - mu as f64);
    }
    (s, sx)
}

/// `(Σ a, Σ (a − mu)²)` as [`dot_sums`].
fn moment_sums(a: &[f32], mu: f32) -> (f64, f64) {
    let (mut s, mut sq) = ([0.0f32; 8], [0.0f32; 8]);
    let mut ca = a.chunks_exact(8);
    for x in &mut ca {
        for l in 0..8 {
            s[l] += x[l];
            let d = x[l] - mu;
            sq[l] += d * d;
        }
    }
    let mut s: f64 = s.iter().map(|v| *v as f64).sum();
    let mut sq: f64 = sq.iter().map(|v| *v as f64).sum();
    for x in ca.remainder() {
        s += *x as f64;
        sq += (*x as f64 - mu as f64).powi(2);
    }
    (s, sq)
}

fn flex_tensor(values: Vec<f32>, shape: &[usize]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape.to_vec()))
}

/// Training-mode BatchNorm of `x = [N, C, L]` on `Autodiff<Flex>` as one
/// operation; returns `y` and the batch mean and biased variance.
fn flex_train(
    x: Tensor<FlexAd, 3>,
    gamma: Tensor<FlexAd, 1>,
    beta: Tensor<FlexAd, 1>,
    epsilon: f64,
) -> (Tensor<FlexAd, 3>, Vec<f32>, Vec<f32>) {
    let [n, c, hw] = x.dims();
    let x = x.into_primitive().tensor();
    let gamma = gamma.into_primitive().tensor();
    let beta = beta.into_primitive().tensor();
    let xc = x.primitive.to_contiguous();
    // Invariant: the model is f32 (every parameter and activation).
    let xs = xc.as_slice::<f32>().expect("contiguous f32");
    let gamma_v: Vec<f32> = gamma
        .primitive
        .to_contiguous()
        .as_slice::<f32>()
        .expect("f32")
        .to_vec();
    // Invariant: BatchNorm's parameters are f32 tensors, as gamma's above.
    let beta_v: Vec<f32> = beta
        .primitive
        .to_contiguous()
        .as_slice::<f32>()
        .expect("f32")
        .to_vec();
    let m = (n * hw) as f64;
    // Two passes: the mean, then the biased variance about it.
    let stats: Vec<(f32, f32)> = (0..c)
        .into_par_iter()
        .map(|ch| {
            let mut s = 0.0f64;
            for i in 0..n {
                let at = (i * c + ch) * hw;
                s += moment_sums(&xs[at..at + hw], 0.0).0;
            }
            let mu = (s / m) as f32;
            let mut sq = 0.0f64;
            for i in 0..n {
                let at = (i * c + ch) * hw;
                sq += moment_sums(&xs[at..at + hw], mu).1;
            }
            (mu, (sq / m) as f32)
        })
        .collect();
    let mean: Vec<f32> = stats.iter().map(|s| s.0).collect();
    let var: Vec<f32> = stats.iter().map(|s| s.1).collect();
    let inv_std: Vec<f32> = var
        .iter()
        .map(|v| (1.0 / (*v as f64 + epsilon).sqrt()) as f32)
        .collect();
    let mut y = vec![0.0f32; n * c * hw];
    y.par_chunks_mut(hw).enumerate().for_each(|(p, out)| {
        let ch = p % c;
        let a = gamma_v[ch] * inv_std[ch];
        let b = beta_v[ch] - mean[ch] * a;
        for (o, &v) in out.iter_mut().zip(&xs[p * hw..(p + 1) * hw]) {
            *o = v * a + b;
        }
    });
    let y = flex_tensor(y, &[n, c, hw]);
    let out = match BatchNormBackward
        .prepare::<NoCheckpointing>([x.node.clone(), gamma.node.clone(), beta.node.clone()])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(mut prep) => {
            let x_state = prep.checkpoint(&x);
            let saved = Saved {
                gamma: gamma_v,
                mean: mean.clone(),
                inv_std,
            };
            prep.finish((x_state, Arc::new(saved)), y)
        }
        OpsKind::UnTracked(prep) => prep.finish(y),
    };
    (
        Tensor::from_primitive(TensorPrimitive::Float(out)),
        mean,
        var,
    )
}
