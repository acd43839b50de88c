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

use burn::nn::BatchNorm;
use burn::tensor::Tensor;
use burn::tensor::backend::Backend;

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
    let y = if B::ad_enabled(&device) {
        let count = (n * h * w) as f64;
        let channel_sum = |t: Tensor<B, 3>| t.sum_dim(2).sum_dim(0).reshape([c]);
        let mean = channel_sum(x.clone()).div_scalar(count);
        let centred = x - per_row(mean.clone());
        let var = channel_sum(centred.clone().square()).div_scalar(count);
        let running_mean = bn
            .running_mean
            .value_sync()
            .to_device(&device)
            .mul_scalar(1.0 - bn.momentum)
            .add(mean.detach().mul_scalar(bn.momentum));
        let running_var = bn
            .running_var
            .value_sync()
            .to_device(&device)
            .mul_scalar(1.0 - bn.momentum)
            .add(var.clone().detach().mul_scalar(bn.momentum));
        bn.running_mean.update(running_mean.detach());
        bn.running_var.update(running_var.detach());
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
