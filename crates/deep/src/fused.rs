//! Inference-only ResNet with every BatchNorm folded into the convolution
//! before it: in eval mode `bn(conv(x)) = conv'(x)` with
//! `w' = w · γ/√(σ² + ε)` per output channel and
//! `b' = β − μ · γ/√(σ² + ε)` (Ioffe & Szegedy 2015, eq. for inference; the
//! same folding as `torch.fx` / `torch.ao.nn.intrinsic` conv-bn fusion).
//! Saves one full pass over every activation per BatchNorm; features agree
//! with [`ResNet::features`] to f32 rounding. On burn-flex 0.21 the gain is
//! larger than the saved passes: its binary ops have SIMD paths for
//! contiguous and row-broadcast operands only, so BatchNorm's `[1, C, 1, 1]`
//! operands take the scalar `StridedIter` path (26% of an unfolded batch-16
//! forward under perf; folded is 2.7x faster there).

use std::any::TypeId;
use std::sync::Arc;

use burn::backend::Flex;
use burn::module::Param;
use burn::nn::BatchNorm;
use burn::nn::conv::Conv2d;
use burn::tensor::activation::relu;
use burn::tensor::backend::Backend;
use burn::tensor::module::max_pool2d;
use burn::tensor::{Tensor, TensorData};

use crate::conv::conv2d_infer;
use crate::cpu::CpuTrunk;
use crate::resnet::{Bottleneck, ResNet, global_avg_pool};

/// One Bottleneck with folded BatchNorms.
#[derive(Debug, Clone)]
pub struct FusedBottleneck<B: Backend> {
    conv1: Conv2d<B>,
    conv2: Conv2d<B>,
    conv3: Conv2d<B>,
    downsample: Option<Conv2d<B>>,
}

/// The trunk of a [`ResNet`] with folded BatchNorms, for feature extraction.
#[derive(Debug, Clone)]
pub struct FusedResNet<B: Backend> {
    conv1: Conv2d<B>,
    blocks: Vec<FusedBottleneck<B>>,
    /// The same trunk as plain f32 buffers, on flex ([`crate::cpu`]).
    cpu: Option<Arc<CpuTrunk>>,
}

fn fold<B: Backend>(conv: &Conv2d<B>, bn: &BatchNorm<B>) -> Conv2d<B> {
    let scale = bn.gamma.val() / bn.running_var.value().add_scalar(bn.epsilon).sqrt();
    let [cout, ..] = conv.weight.dims();
    let w = conv.weight.val() * scale.clone().reshape([cout, 1, 1, 1]);
    let b0 = match &conv.bias {
        Some(b) => b.val(),
        None => Tensor::zeros([cout], &w.device()),
    };
    let b = bn.beta.val() + (b0 - bn.running_mean.value()) * scale;
    let mut out = conv.clone();
    out.weight = Param::from_tensor(w);
    out.bias = Some(Param::from_tensor(b));
    out
}

impl<B: Backend> FusedBottleneck<B> {
    fn new(b: &Bottleneck<B>) -> Self {
        Self {
            conv1: fold(&b.conv1, &b.bn1),
            conv2: fold(&b.conv2, &b.bn2),
            conv3: fold(&b.conv3, &b.bn3),
            downsample: b.downsample.as_ref().map(|d| fold(&d.conv, &d.bn)),
        }
    }

    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let identity = match &self.downsample {
            Some(d) => conv2d_infer(d, x.clone()),
            None => x.clone(),
        };
        let out = relu(conv2d_infer(&self.conv1, x));
        let out = relu(conv2d_infer(&self.conv2, out));
        relu(conv2d_infer(&self.conv3, out) + identity)
    }
}

impl<B: Backend> FusedResNet<B> {
    /// Folds the BatchNorms of `model` (its head, if any, is dropped).
    /// On flex the folded trunk is also copied to [`CpuTrunk`], which
    /// [`FusedResNet::features`] then runs.
    pub fn new(model: &ResNet<B>) -> Self {
        let conv1 = fold(&model.conv1, &model.bn1);
        let blocks: Vec<_> = model
            .layer1
            .iter()
            .chain(&model.layer2)
            .chain(&model.layer3)
            .chain(&model.layer4)
            .map(FusedBottleneck::new)
            .collect();
        let cpu = (TypeId::of::<B>() == TypeId::of::<Flex>()).then(|| {
            Arc::new(CpuTrunk::new(
                &conv1,
                blocks.iter().map(|b| {
                    [
                        Some(&b.conv1),
                        Some(&b.conv2),
                        Some(&b.conv3),
                        b.downsample.as_ref(),
                    ]
                }),
            ))
        });
        Self { conv1, blocks, cpu }
    }

    /// Pooled features `[N, feature_dim]`, as [`ResNet::features`] in eval
    /// mode; on flex through [`CpuTrunk`].
    pub fn features(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        match &self.cpu {
            Some(cpu) => {
                let device = x.device();
                let [n, _, h, w] = x.dims();
                // Invariant: `convert::<f32>` makes the data f32.
                let data = x.into_data().convert::<f32>().into_vec().expect("f32 data");
                let out = cpu.features(data, n, h, w);
                Tensor::from_data(TensorData::new(out, [n, cpu.feature_dim()]), &device)
            }
            None => self.burn_features(x),
        }
    }

    /// [`FusedResNet::features`] through Burn's tensor operations on any
    /// backend (the reference for [`CpuTrunk`]).
    pub fn burn_features(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        let x = relu(conv2d_infer(&self.conv1, x));
        let mut x = max_pool2d(x, [3, 3], [2, 2], [1, 1], [1, 1], false);
        for block in &self.blocks {
            x = block.forward(x);
        }
        global_avg_pool(x)
    }
}
