//! dlrn-deep: ResNet50 (torchvision topology) in Burn; preprocessing, weight
//! import, fine-tuning and the 2048 global-average-pool deep features
//! (study.md stage 4).
//!
//! Generic over Burn's `Backend`: `flex` (CPU) always, `ndarray`, `wgpu` and
//! `cuda` behind cargo features of the same names ([`backend`]).

pub mod augment;
pub mod backend;
pub mod batchnorm;
pub mod conv;
pub mod cpu;
pub mod error;
pub mod extract;
pub mod finetune;
mod flex;
pub mod fused;
pub mod gemm_conv;
pub mod preprocess;
pub mod resnet;
pub mod weights;

pub use backend::{
    BackendKind, InferenceJob, TrainJob, retain_freed_memory, run_inference, run_training,
};
pub use error::{DeepError, Result};
pub use extract::{FeatureNet, feature_names, features};
pub use finetune::{FinetuneConfig, FinetuneState, Sample, finetune};
pub use fused::FusedResNet;
pub use preprocess::{Grey, PreprocessConfig, preprocess};
pub use resnet::{ResNet, ResNetConfig};
pub use weights::{WeightsInfo, load_weights, load_weights_bytes, resnet50_for};
