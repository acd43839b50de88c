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
//! own backward, two passes over the activation forward (statistics about a
//! per-channel pivot, then `y = x·a + b`) and two backward (`Σ dy`,
//! `Σ dy·(x − μ)`, then
//! `dx = γ/σ · (dy − Σdy/M − (x − μ)/σ² · Σdy(x − μ)/M)`, the gradient of
//! PyTorch's `batch_norm_backward` / Ioffe & Szegedy 2015 §3), per-channel
//! sums accumulated in f64, channels and planes split over rayon's threads.
//! [`batch_norm_relu`] folds the ReLU that follows into the same passes.

use std::any::{Any, TypeId};
use std::mem::MaybeUninit;
use std::sync::Arc;

use burn::backend::Flex;
use burn::backend::autodiff::Autodiff;
use burn::backend::autodiff::NodeId;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::nn::BatchNorm;
use burn::tensor::activation::relu;
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData, TensorPrimitive};
use burn_flex::FlexTensor;
use rayon::prelude::*;

use crate::flex::{tensor, values};

/// The training backend with the fused BatchNorm.
type FlexAd = Autodiff<Flex>;

/// `bn(x)` for `x = [N, C, H, W]`, training (batch statistics, running
/// statistics updated) when `B` records gradients, eval otherwise; equal to
/// `bn.forward(x)` up to f32 rounding.
pub fn batch_norm<B: Backend>(bn: &BatchNorm<B>, x: Tensor<B, 4>) -> Tensor<B, 4> {
    normalise(bn, x, None, false)
}

/// `relu(bn(x))` as [`batch_norm`]; on `Autodiff<Flex>` in training one
/// operation (the ReLU applied as `y` is written, its mask recomputed from
/// `x` in the backward pass), saving the ReLU's own passes over the
/// activation and its gradient.
pub fn batch_norm_relu<B: Backend>(bn: &BatchNorm<B>, x: Tensor<B, 4>) -> Tensor<B, 4> {
    normalise(bn, x, None, true)
}

/// `relu(bn(x) + r)`, the end of a Bottleneck, as [`batch_norm_relu`]; on
/// `Autodiff<Flex>` in training one operation (the sum never stored, the
/// mask recomputed from `x` and `r`).
pub fn batch_norm_add_relu<B: Backend>(
    bn: &BatchNorm<B>,
    x: Tensor<B, 4>,
    r: Tensor<B, 4>,
) -> Tensor<B, 4> {
    normalise(bn, x, Some(r), true)
}

fn normalise<B: Backend>(
    bn: &BatchNorm<B>,
    x: Tensor<B, 4>,
    residual: Option<Tensor<B, 4>>,
    with_relu: bool,
) -> Tensor<B, 4> {
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
            with_relu,
            residual.map(|r| cast::<B, FlexAd, 3>(r.reshape([n, c, h * w]))),
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
    let y = y.reshape([n, c, h, w]);
    let y = match residual {
        Some(r) => y + r,
        None => y,
    };
    if with_relu { relu(y) } else { y }
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
    /// With a fused ReLU, the per-channel `(a, β)` of `y = (x − μ)·a + β`,
    /// from which the ReLU's mask `y > 0` is recomputed.
    relu: Option<Vec<(f32, f32)>>,
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
        let [node_x, node_gamma, node_beta] = ops.parents.map(|p| p.map(|node| node.id));
        let dy = grads.consume::<Flex>(&ops.node).to_contiguous();
        let (x_state, saved) = ops.state;
        let x = checkpointer
            .retrieve_node_output::<FlexTensor>(x_state)
            .to_contiguous();
        let relu = saved.relu.as_deref();
        bn_backward(
            &x,
            &dy,
            &saved,
            relu,
            [node_x, node_gamma, node_beta],
            grads,
        );
    }
}

/// The backward of `relu(bn(x) + r)` ([`batch_norm_add_relu`]).
#[derive(Debug)]
struct BatchNormAddReluBackward;

impl Backward<Flex, 4> for BatchNormAddReluBackward {
    type State = (NodeId, NodeId, Arc<Saved>);

    fn backward(
        self,
        ops: Ops<Self::State, 4>,
        grads: &mut Gradients,
        checkpointer: &mut Checkpointer,
    ) {
        let [node_x, node_gamma, node_beta, node_r] = ops.parents.map(|p| p.map(|node| node.id));
        let dy = grads.consume::<Flex>(&ops.node).to_contiguous();
        let (x_state, r_state, saved) = ops.state;
        let x = checkpointer
            .retrieve_node_output::<FlexTensor>(x_state)
            .to_contiguous();
        let r = checkpointer
            .retrieve_node_output::<FlexTensor>(r_state)
            .to_contiguous();
        let shape = x.layout().shape().clone();
        let [n, c, hw] = [shape[0], shape[1], shape[2]];
        let [xs, rs, dys] = [&x, &r, &dy].map(values);
        // Invariant: this operation is only built with the ReLU's (a, b).
        let ab = saved.relu.as_deref().expect("fused ReLU");
        // The gradient past the ReLU, dy where (x − μ)·a + β + r > 0: the
        // residual's gradient, and the BatchNorm's output gradient.
        let g = planes(n * c * hw, hw, |p, out| {
            let (a, b) = ab[p % c];
            let mu = saved.mean[p % c];
            let at = p * hw..(p + 1) * hw;
            for (((o, &d), &v), &r) in out
                .iter_mut()
                .zip(&dys[at.clone()])
                .zip(&xs[at.clone()])
                .zip(&rs[at])
            {
                o.write(if (v - mu) * a + b + r > 0.0 { d } else { 0.0 });
            }
        });
        let g = tensor(g, &[n, c, hw]);
        bn_backward(&x, &g, &saved, None, [node_x, node_gamma, node_beta], grads);
        if let Some(node) = node_r {
            grads.register::<Flex>(node, g);
        }
    }
}

/// The gradients of a training BatchNorm `y = bn(x)` (with the ReLU mask of
/// `relu`'s `(a, b)` applied to `dy` first) for the nodes present among
/// `[x, γ, β]`.
fn bn_backward(
    x: &FlexTensor,
    dy: &FlexTensor,
    saved: &Saved,
    relu: Option<&[(f32, f32)]>,
    [node_x, node_gamma, node_beta]: [Option<NodeId>; 3],
    grads: &mut Gradients,
) {
    let shape = x.layout().shape().clone();
    let [n, c, hw] = [shape[0], shape[1], shape[2]];
    let (xs, dys) = (values(x), values(dy));
    let m = (n * hw) as f64;
    // Per channel: Σ g and Σ g·(x − μ), g = dy, or with the fused ReLU
    // dy where its output x·a + b was positive (recomputed, not stored).
    let sums: Vec<(f64, f64)> = (0..c)
        .into_par_iter()
        .map(|ch| {
            let mu = saved.mean[ch];
            let (mut s, mut sx) = (0.0f64, 0.0f64);
            for i in 0..n {
                let at = (i * c + ch) * hw;
                let (dy, x) = (&dys[at..at + hw], &xs[at..at + hw]);
                let (a, b) = match relu {
                    Some(ab) => dot_sums(dy, x, mu, relu_gate(mu, ab[ch])),
                    None => dot_sums(dy, x, mu, |d, _| d),
                };
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
        grads.register::<Flex>(node, tensor(g, &[c]));
    }
    if let Some(node) = node_beta {
        let g: Vec<f32> = sums.iter().map(|(s, _)| *s as f32).collect();
        grads.register::<Flex>(node, tensor(g, &[c]));
    }
    if let Some(node) = node_x {
        // dx = a·dy − k·(x − μ) + b0 per channel, from
        // dx = γσ⁻¹ (dy − Σdy/M − (x − μ) σ⁻² Σdy(x − μ)/M) (Ioffe & Szegedy
        // 2015, §3). Centred before scaling: folding −k·μ into b0 would
        // cancel catastrophically in f32 where |μ| ≫ σ.
        let coef: Vec<[f32; 4]> = (0..c)
            .map(|ch| {
                let (s, sx) = sums[ch];
                let is = saved.inv_std[ch] as f64;
                let a = saved.gamma[ch] as f64 * is;
                let k = a * is * is * sx / m;
                let b0 = -a * s / m;
                [a as f32, k as f32, b0 as f32, saved.mean[ch]]
            })
            .collect();
        let dx = planes(n * c * hw, hw, |p, out| {
            let ch = p % c;
            let (dy, x) = (&dys[p * hw..(p + 1) * hw], &xs[p * hw..(p + 1) * hw]);
            match relu {
                Some(ab) => input_grad(out, dy, x, coef[ch], relu_gate(coef[ch][3], ab[ch])),
                None => input_grad(out, dy, x, coef[ch], |d, _| d),
            }
        });
        grads.register::<Flex>(node, tensor(dx, &[n, c, hw]));
    }
}

/// The gradient that reaches a BatchNorm through its fused ReLU: `dy` where
/// the output `(x − μ)·a + β` was positive, else 0 (the same f32 expression
/// as the forward pass, so the same mask).
fn relu_gate(mu: f32, (a, b): (f32, f32)) -> impl Fn(f32, f32) -> f32 + Copy {
    move |dy, x| if (x - mu) * a + b > 0.0 { dy } else { 0.0 }
}

/// `(Σ g, Σ g·(x − mu))` with `g = gate(dy, x)`, eight f32 lanes summed
/// into f64 at the end.
fn dot_sums(dy: &[f32], x: &[f32], mu: f32, gate: impl Fn(f32, f32) -> f32) -> (f64, f64) {
    let (mut s, mut sx) = ([0.0f32; 8], [0.0f32; 8]);
    let mut cd = dy.chunks_exact(8);
    let mut cx = x.chunks_exact(8);
    for (d, v) in (&mut cd).zip(&mut cx) {
        for l in 0..8 {
            let g = gate(d[l], v[l]);
            s[l] += g;
            sx[l] += g * (v[l] - mu);
        }
    }
    let mut s: f64 = s.iter().map(|v| *v as f64).sum();
    let mut sx: f64 = sx.iter().map(|v| *v as f64).sum();
    for (d, v) in cd.remainder().iter().zip(cx.remainder()) {
        let g = gate(*d, *v) as f64;
        s += g;
        sx += g * (*v as f64 - mu as f64);
    }
    (s, sx)
}

/// `dx = a·g − k·(x − μ) + b0` with `g = gate(dy, x)`, into one plane.
fn input_grad(
    out: &mut [MaybeUninit<f32>],
    dy: &[f32],
    x: &[f32],
    [a, k, b0, mu]: [f32; 4],
    gate: impl Fn(f32, f32) -> f32,
) {
    for ((o, &d), &v) in out.iter_mut().zip(dy).zip(x) {
        o.write(a * gate(d, v) - k * (v - mu) + b0);
    }
}

/// `(Σ (x − p), Σ (x − p)²)` about a pivot `p` from the same channel (so
/// the variance `Σ(x − p)²/M − (Σ(x − p)/M)²` does not cancel), eight f32
/// lanes summed into f64 at the end.
fn moment_sums(x: &[f32], p: f32) -> (f64, f64) {
    let (mut s, mut sq) = ([0.0f32; 8], [0.0f32; 8]);
    let mut cx = x.chunks_exact(8);
    for v in &mut cx {
        for l in 0..8 {
            let d = v[l] - p;
            s[l] += d;
            sq[l] += d * d;
        }
    }
    let mut s: f64 = s.iter().map(|v| *v as f64).sum();
    let mut sq: f64 = sq.iter().map(|v| *v as f64).sum();
    for v in cx.remainder() {
        let d = *v as f64 - p as f64;
        s += d;
        sq += d * d;
    }
    (s, sq)
}

/// A vector of `len` values, each plane of `hw` written by `fill(plane
/// index, plane)` in parallel (no zeroing pass first).
fn planes(len: usize, hw: usize, fill: impl Fn(usize, &mut [MaybeUninit<f32>]) + Sync) -> Vec<f32> {
    let mut v = Vec::with_capacity(len);
    v.spare_capacity_mut()[..len]
        .par_chunks_mut(hw)
        .enumerate()
        .for_each(|(p, out)| fill(p, out));
    // SAFETY: `fill` wrote every element of every plane (each caller writes
    // its whole plane).
    unsafe { v.set_len(len) };
    v
}

/// Training-mode BatchNorm of `x = [N, C, L]` on `Autodiff<Flex>` as one
/// operation; returns `y` and the batch mean and biased variance.
fn flex_train(
    x: Tensor<FlexAd, 3>,
    gamma: Tensor<FlexAd, 1>,
    beta: Tensor<FlexAd, 1>,
    epsilon: f64,
    with_relu: bool,
    residual: Option<Tensor<FlexAd, 3>>,
) -> (Tensor<FlexAd, 3>, Vec<f32>, Vec<f32>) {
    let [n, c, hw] = x.dims();
    let x = x.into_primitive().tensor();
    let gamma = gamma.into_primitive().tensor();
    let beta = beta.into_primitive().tensor();
    let xc = x.primitive.to_contiguous();
    let xs = values(&xc);
    let gamma_v = values(&gamma.primitive.to_contiguous()).to_vec();
    let beta_v = values(&beta.primitive.to_contiguous()).to_vec();
    let m = (n * hw) as f64;
    // One pass: sums about the channel's first value, then the mean and the
    // biased variance in f64.
    let stats: Vec<(f32, f32)> = (0..c)
        .into_par_iter()
        .map(|ch| {
            let p = xs[ch * hw];
            let (mut s, mut sq) = (0.0f64, 0.0f64);
            for i in 0..n {
                let at = (i * c + ch) * hw;
                let (a, b) = moment_sums(&xs[at..at + hw], p);
                s += a;
                sq += b;
            }
            let shift = s / m;
            (
                (p as f64 + shift) as f32,
                (sq / m - shift * shift).max(0.0) as f32,
            )
        })
        .collect();
    let mean: Vec<f32> = stats.iter().map(|s| s.0).collect();
    let var: Vec<f32> = stats.iter().map(|s| s.1).collect();
    let inv_std: Vec<f32> = var
        .iter()
        .map(|v| (1.0 / (*v as f64 + epsilon).sqrt()) as f32)
        .collect();
    // y = (x − μ)·a + β: centred first, as Burn's `BatchNorm` and PyTorch
    // do; the folded x·a + (β − μ·a) loses |μ|/σ ulps of y to cancellation
    // (channels of late layers at small batches have |μ| ≫ σ).
    let ab: Vec<(f32, f32)> = (0..c)
        .map(|ch| (gamma_v[ch] * inv_std[ch], beta_v[ch]))
        .collect();
    let residual = residual.map(|r| r.into_primitive().tensor());
    let rc = residual.as_ref().map(|r| r.primitive.to_contiguous());
    let rs = rc.as_ref().map(values);
    let y = planes(n * c * hw, hw, |p, out| {
        let (a, b) = ab[p % c];
        let mu = mean[p % c];
        let src = &xs[p * hw..(p + 1) * hw];
        if let Some(rs) = rs {
            let r = &rs[p * hw..(p + 1) * hw];
            for ((o, &v), &r) in out.iter_mut().zip(src).zip(r) {
                o.write(((v - mu) * a + b + r).max(0.0));
            }
        } else if with_relu {
            for (o, &v) in out.iter_mut().zip(src) {
                o.write(((v - mu) * a + b).max(0.0));
            }
        } else {
            for (o, &v) in out.iter_mut().zip(src) {
                o.write((v - mu) * a + b);
            }
        }
    });
    let y = tensor(y, &[n, c, hw]);
    let saved = |relu: bool| Saved {
        gamma: gamma_v,
        mean: mean.clone(),
        inv_std,
        relu: relu.then_some(ab),
    };
    let out = match residual {
        Some(r) => match BatchNormAddReluBackward
            .prepare::<NoCheckpointing>([
                x.node.clone(),
                gamma.node.clone(),
                beta.node.clone(),
                r.node.clone(),
            ])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(mut prep) => {
                let state = (
                    prep.checkpoint(&x),
                    prep.checkpoint(&r),
                    Arc::new(saved(true)),
                );
                prep.finish(state, y)
            }
            OpsKind::UnTracked(prep) => prep.finish(y),
        },
        None => match BatchNormBackward
            .prepare::<NoCheckpointing>([x.node.clone(), gamma.node.clone(), beta.node.clone()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(mut prep) => {
                let x_state = prep.checkpoint(&x);
                prep.finish((x_state, Arc::new(saved(with_relu))), y)
            }
            OpsKind::UnTracked(prep) => prep.finish(y),
        },
    };
    (
        Tensor::from_primitive(TensorPrimitive::Float(out)),
        mean,
        var,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::BatchNormConfig;

    /// Channels whose batch mean is 1.4·10⁴ of their standard deviation
    /// (each plane holds 100 + (k − 12)/1024 for k = 0..25, so μ = 100 and
    /// x − μ are exact in f32; late layers at small batches come close): `relu(bn(x))` and its input
    /// gradient for the output gradient `r`, against the textbook formulas
    /// (Ioffe & Szegedy 2015, §3) evaluated in f64 here. Folding the mean
    /// into the shift, `x·a + (β − μ·a)`, missed both by over 1e-3.
    #[test]
    fn off_centre_channels_match_the_f64_definition() {
        let (n, c, hw) = (2usize, 3usize, 25usize);
        let x: Vec<f32> = (0..n * c * hw)
            .map(|i| 100.0 + (((i * 37) % 25) as f32 - 12.0) / 1024.0)
            .collect();
        let r: Vec<f32> = (0..x.len())
            .map(|i| ((i * 53) % 19) as f32 / 9.0 - 1.0)
            .collect();
        let device = Default::default();
        let bn = BatchNormConfig::new(c).init::<FlexAd>(&device);
        let xt = Tensor::<FlexAd, 4>::from_data(TensorData::new(x.clone(), [n, c, 5, 5]), &device)
            .require_grad();
        let y = batch_norm_relu(&bn, xt.clone());
        let rt = Tensor::<FlexAd, 4>::from_data(TensorData::new(r.clone(), [n, c, 5, 5]), &device);
        let grads = (y.clone() * rt).sum().backward();
        let y: Vec<f32> = y.into_data().convert::<f32>().into_vec().unwrap();
        let dx: Vec<f32> = xt
            .grad(&grads)
            .unwrap()
            .into_data()
            .convert::<f32>()
            .into_vec()
            .unwrap();
        let m = (n * hw) as f64;
        for ch in 0..c {
            let at: Vec<usize> = (0..n)
                .flat_map(|i| (i * c + ch) * hw..(i * c + ch + 1) * hw)
                .collect();
            let mu = at.iter().map(|&i| f64::from(x[i])).sum::<f64>() / m;
            let var = at
                .iter()
                .map(|&i| (f64::from(x[i]) - mu).powi(2))
                .sum::<f64>()
                / m;
            let is = 1.0 / (var + 1e-5).sqrt();
            let xhat = |i: usize| (f64::from(x[i]) - mu) * is;
            // γ = 1, β = 0: y = relu(x̂); g = r where y > 0.
            let g = |i: usize| if xhat(i) > 0.0 { f64::from(r[i]) } else { 0.0 };
            let mg = at.iter().map(|&i| g(i)).sum::<f64>() / m;
            let mgx = at.iter().map(|&i| g(i) * xhat(i)).sum::<f64>() / m;
            for &i in &at {
                let want_y = xhat(i).max(0.0);
                let want_dx = is * (g(i) - mg - xhat(i) * mgx);
                assert!(
                    (f64::from(y[i]) - want_y).abs() < 1e-4,
                    "y[{i}] {} vs {want_y}",
                    y[i]
                );
                assert!(
                    (f64::from(dx[i]) - want_dx).abs() < 1e-4 * is,
                    "dx[{i}] {} vs {want_dx}",
                    dx[i]
                );
            }
        }
    }
}
