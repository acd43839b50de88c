//! Host access to flex tensors for the operations written here
//! ([`crate::conv`], [`crate::batchnorm`]): their f32 values as a slice and
//! new tensors from vectors.

use burn::tensor::TensorData;
use burn_flex::FlexTensor;

/// The values of an f32 flex tensor made contiguous (`to_contiguous`).
pub(crate) fn values(t: &FlexTensor) -> &[f32] {
    // Invariant: the model is f32 (every parameter, activation and
    // gradient), and callers pass contiguous tensors.
    t.as_slice::<f32>().expect("contiguous f32")
}

/// A flex tensor of `shape` holding `values`.
pub(crate) fn tensor(values: Vec<f32>, shape: &[usize]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape.to_vec()))
}
