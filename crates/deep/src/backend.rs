//! Backend choice at run time: `flex` (default CPU), and, when dlrn-deep is
//! built with the matching cargo feature, `ndarray`, `wgpu` or `cuda`.
//! Stages are written once, generic over Burn's `Backend`, as a
//! [`InferenceJob`] or [`TrainJob`], and [`run_inference`] / [`run_training`]
//! instantiate them for the chosen backend.

use burn::backend::Autodiff;
pub use burn::tensor::backend::{AutodiffBackend, Backend};
use serde::{Deserialize, Serialize};

use crate::error::{DeepError, Result};

/// The Burn backends dlrn can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// burn-flex: Burn's default CPU backend (SIMD gemm, rayon threads).
    Flex,
    /// burn-ndarray: the older CPU backend (cargo feature `ndarray`).
    Ndarray,
    /// burn-wgpu: Vulkan/Metal/DX12 GPUs (cargo feature `wgpu`). Checked on
    /// Mesa's lavapipe software Vulkan: features within 5.2e-7 × max|f| of
    /// torchvision's (verify_torch, plain and BatchNorm folded).
    Wgpu,
    /// burn-cuda: NVIDIA GPUs, kernels compiled by nvrtc (cargo feature `cuda`).
    /// Its convolutions run on tensor cores in TF32 (cubek-matmul's
    /// `adjust_dtypes`), so features differ from the f32 CPU ones by about
    /// 2e-3 × max|f| (measured on an H200, BatchNorm folded), as PyTorch's
    /// cuDNN convolutions do with its default `allow_tf32`; the first batch
    /// compiles ~200 kernels (about 2.5 minutes on 16 cores).
    Cuda,
}

impl BackendKind {
    /// All kinds, in the order `--help` lists them.
    pub const ALL: [BackendKind; 4] = [Self::Flex, Self::Ndarray, Self::Wgpu, Self::Cuda];

    /// The lowercase name used on the command line and in metadata.
    pub fn name(self) -> &'static str {
        match self {
            Self::Flex => "flex",
            Self::Ndarray => "ndarray",
            Self::Wgpu => "wgpu",
            Self::Cuda => "cuda",
        }
    }

    /// Whether this build of dlrn-deep includes the backend.
    pub fn compiled(self) -> bool {
        match self {
            Self::Flex => true,
            Self::Ndarray => cfg!(feature = "ndarray"),
            Self::Wgpu => cfg!(feature = "wgpu"),
            Self::Cuda => cfg!(feature = "cuda"),
        }
    }
}

/// A computation generic over an inference backend.
pub trait InferenceJob {
    /// What the job returns.
    type Output;
    /// Runs the job on backend `B`'s default device.
    fn run<B: Backend>(self, device: B::Device, kind: BackendKind) -> Self::Output;
}

/// A computation generic over an autodiff (training) backend.
pub trait TrainJob {
    /// What the job returns.
    type Output;
    /// Runs the job on backend `B`'s default device.
    fn run<B: AutodiffBackend>(self, device: B::Device, kind: BackendKind) -> Self::Output;
}

fn not_compiled(kind: BackendKind) -> DeepError {
    DeepError::Backend(format!(
        "backend {:?} is not in this build (rebuild with `--features {}`)",
        kind.name(),
        kind.name()
    ))
}

/// Runs `job` on the backend `kind` (error if it was not compiled in).
pub fn run_inference<J: InferenceJob>(kind: BackendKind, job: J) -> Result<J::Output> {
    match kind {
        BackendKind::Flex => Ok(job.run::<burn::backend::Flex>(Default::default(), kind)),
        #[cfg(feature = "ndarray")]
        BackendKind::Ndarray => Ok(job.run::<burn::backend::NdArray>(Default::default(), kind)),
        #[cfg(feature = "wgpu")]
        BackendKind::Wgpu => Ok(job.run::<burn::backend::Wgpu>(Default::default(), kind)),
        #[cfg(feature = "cuda")]
        BackendKind::Cuda => Ok(job.run::<burn::backend::Cuda>(Default::default(), kind)),
        #[allow(unreachable_patterns)]
        other => Err(not_compiled(other)),
    }
}

/// Runs `job` on `Autodiff<backend kind>` (error if it was not compiled in).
pub fn run_training<J: TrainJob>(kind: BackendKind, job: J) -> Result<J::Output> {
    match kind {
        BackendKind::Flex => Ok(job.run::<Autodiff<burn::backend::Flex>>(Default::default(), kind)),
        #[cfg(feature = "ndarray")]
        BackendKind::Ndarray => {
            Ok(job.run::<Autodiff<burn::backend::NdArray>>(Default::default(), kind))
        }
        #[cfg(feature = "wgpu")]
        BackendKind::Wgpu => Ok(job.run::<Autodiff<burn::backend::Wgpu>>(Default::default(), kind)),
        #[cfg(feature = "cuda")]
        BackendKind::Cuda => Ok(job.run::<Autodiff<burn::backend::Cuda>>(Default::default(), kind)),
        #[allow(unreachable_patterns)]
        other => Err(not_compiled(other)),
    }
}

/// Keeps freed tensor buffers in the process heap instead of returning them
/// to the OS after every operation. glibc serves blocks above its mmap
/// threshold (128 KiB, rising to at most 32 MiB) with fresh mappings and
/// unmaps them on free, so each ResNet50 batch page-faults and zeroes its
/// ~100 MB of activations and im2col tiles again; raising the threshold to
/// its 32 MiB maximum and never trimming the heap top made batch-16 flex
/// inference 10–20% faster on 2 cores (benches/resnet50.rs, glibc 2.36).
/// Call once at the start of a process that runs the CNN; a no-op off glibc.
pub fn retain_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; it takes the arena
    // locks itself and has no memory-safety preconditions.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
        libc::mallopt(libc::M_TOP_PAD, 256 << 20);
    }
}
