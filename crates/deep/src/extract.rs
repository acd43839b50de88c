//! Deep features of preprocessed inputs: batches of `[3, side, side]` arrays
//! through [`ResNet::features`], returned as plain rows, and the released
//! column names `f_1..f_2048`.

use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};

use crate::fused::FusedResNet;
use crate::resnet::ResNet;

/// A network that maps `[N, 3, H, W]` inputs to pooled features `[N, D]`:
/// the trainable [`ResNet`] or its BatchNorm-folded [`FusedResNet`].
pub trait FeatureNet<B: Backend> {
    /// Pooled features of a batch.
    fn pooled(&self, x: Tensor<B, 4>) -> Tensor<B, 2>;
}

impl<B: Backend> FeatureNet<B> for ResNet<B> {
    fn pooled(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        self.features(x)
    }
}

impl<B: Backend> FeatureNet<B> for FusedResNet<B> {
    fn pooled(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        self.features(x)
    }
}

/// Column names of the deep features as in the released tables:
/// `f_1, …, f_dim` (1-based).
pub fn feature_names(dim: usize) -> Vec<String> {
    (1..=dim).map(|j| format!("f_{j}")).collect()
}

/// Stacks preprocessed inputs (each `[3, side, side]` row-major) into a
/// `[N, 3, side, side]` tensor on `device`.
pub fn batch_tensor<B: Backend>(
    inputs: &[Vec<f32>],
    side: usize,
    device: &B::Device,
) -> Tensor<B, 4> {
    let mut data = Vec::with_capacity(inputs.len() * 3 * side * side);
    for x in inputs {
        assert_eq!(x.len(), 3 * side * side, "input is not [3, {side}, {side}]");
        data.extend_from_slice(x);
    }
    Tensor::from_data(TensorData::new(data, [inputs.len(), 3, side, side]), device)
}

/// Pooled features of a batch of preprocessed inputs, one row per input, in
/// input order (eval mode: BatchNorm uses running statistics).
pub fn features<B: Backend, N: FeatureNet<B>>(
    model: &N,
    inputs: &[Vec<f32>],
    side: usize,
    device: &B::Device,
) -> Vec<Vec<f32>> {
    if inputs.is_empty() {
        return Vec::new();
    }
    let out = model.pooled(batch_tensor(inputs, side, device));
    let [n, d] = out.dims();
    // Invariant: `convert::<f32>` makes the data f32, so `into_vec::<f32>` cannot fail.
    let flat: Vec<f32> = out
        .into_data()
        .convert::<f32>()
        .into_vec()
        .expect("f32 tensor data");
    (0..n).map(|i| flat[i * d..(i + 1) * d].to_vec()).collect()
}
