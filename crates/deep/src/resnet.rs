//! ResNet with torchvision's exact topology (`torchvision.models.resnet50`):
//! 7×7/2 stem, 3×3/2 max-pool, Bottleneck blocks with the stride on the 3×3
//! convolution ("ResNet v1.5"), layers 3-4-6-3, BatchNorm eps 1e-5, global
//! average pool. Field names follow torchvision's state-dict keys
//! (`layer1.0.conv1.weight`, ...) except `downsample.0/.1`, which are named
//! `downsample.conv/.bn` here and remapped on import ([`crate::weights`]).
//!
//! Reference: He et al. 2016, "Deep residual learning for image recognition";
//! torchvision 0.26 `torchvision/models/resnet.py` (`Bottleneck`, `ResNet`).

use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Initializer, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::backend::Backend;
use burn::tensor::module::max_pool2d;
use burn::tensor::{Tensor, TensorData};
use rand::{Rng, SeedableRng};

use crate::batchnorm::{batch_norm, batch_norm_add_relu, batch_norm_relu};
use crate::conv::conv2d;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

/// Bottleneck expansion: the block's output has 4× its inner width.
pub const EXPANSION: usize = 4;

/// Architecture of a torchvision-style ResNet with Bottleneck blocks.
///
/// `resnet50()` is torchvision's ResNet50; smaller widths and block counts keep
/// the topology for fast tests and small oracle fixtures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResNetConfig {
    /// Channels of the stem and inner width of layer1 (64 in ResNet50).
    pub base_width: usize,
    /// Bottleneck blocks per stage (3, 4, 6, 3 in ResNet50).
    pub blocks: [usize; 4],
    /// Classes of the linear head on the pooled features; `None` = no head.
    pub num_classes: Option<usize>,
}

impl ResNetConfig {
    /// torchvision's ResNet50 without the classification head.
    pub fn resnet50() -> Self {
        Self {
            base_width: 64,
            blocks: [3, 4, 6, 3],
            num_classes: None,
        }
    }

    /// The same architecture with a linear head of `num_classes` outputs.
    pub fn with_classes(mut self, num_classes: Option<usize>) -> Self {
        self.num_classes = num_classes;
        self
    }

    /// Length of the global-average-pool feature vector (2048 for ResNet50).
    pub fn feature_dim(&self) -> usize {
        self.base_width * 8 * EXPANSION
    }

    /// Builds the network with torchvision's initialisation drawn from a
    /// ChaCha8 stream seeded by `seed`: convolutions Kaiming-normal
    /// (mode "fan_out", ReLU gain, `std = sqrt(2 / (out·k·k))`), BatchNorm
    /// weight 1 / bias 0 / running mean 0 / running var 1, and the head as
    /// `nn.Linear`'s default, U(−1/√fan_in, 1/√fan_in). Values are drawn on the
    /// host, so the same seed gives the same network on every backend.
    pub fn init<B: Backend>(&self, seed: u64, device: &B::Device) -> ResNet<B> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let w = self.base_width;
        let conv1 = conv(&mut rng, 3, w, 7, 2, 3, device);
        let bn1 = bn(w, device);
        let mut inplanes = w;
        let mut layer = |planes: usize, blocks: usize, stride: usize, rng: &mut ChaCha8Rng| {
            let mut out = Vec::with_capacity(blocks);
            for i in 0..blocks {
                let s = if i == 0 { stride } else { 1 };
                out.push(Bottleneck::init(rng, inplanes, planes, s, device));
                inplanes = planes * EXPANSION;
            }
            out
        };
        let layer1 = layer(w, self.blocks[0], 1, &mut rng);
        let layer2 = layer(w * 2, self.blocks[1], 2, &mut rng);
        let layer3 = layer(w * 4, self.blocks[2], 2, &mut rng);
        let layer4 = layer(w * 8, self.blocks[3], 2, &mut rng);
        let fc = self
            .num_classes
            .map(|n| linear(&mut rng, self.feature_dim(), n, device));
        ResNet {
            conv1,
            bn1,
            layer1,
            layer2,
            layer3,
            layer4,
            fc,
        }
    }
}

/// Torchvision's `Bottleneck`: 1×1 → 3×3 (stride here) → 1×1 convolutions,
/// each followed by BatchNorm, ReLU after the first two and after the sum with
/// the (possibly down-sampled) identity.
#[derive(Module, Debug)]
pub struct Bottleneck<B: Backend> {
    /// 1×1 reduction.
    pub conv1: Conv2d<B>,
    /// BatchNorm after `conv1`.
    pub bn1: BatchNorm<B>,
    /// 3×3 convolution carrying the block's stride.
    pub conv2: Conv2d<B>,
    /// BatchNorm after `conv2`.
    pub bn2: BatchNorm<B>,
    /// 1×1 expansion to 4× the inner width.
    pub conv3: Conv2d<B>,
    /// BatchNorm after `conv3`.
    pub bn3: BatchNorm<B>,
    /// Projection of the identity when stride or width change
    /// (torchvision's `downsample = Sequential(conv1x1, BatchNorm2d)`).
    pub downsample: Option<Downsample<B>>,
}

/// The identity projection of a Bottleneck: 1×1 strided convolution + BatchNorm.
#[derive(Module, Debug)]
pub struct Downsample<B: Backend> {
    /// 1×1 convolution with the block's stride (torchvision `downsample.0`).
    pub conv: Conv2d<B>,
    /// BatchNorm (torchvision `downsample.1`).
    pub bn: BatchNorm<B>,
}

/// ResNet trunk (+ optional linear head) in torchvision's layout.
#[derive(Module, Debug)]
pub struct ResNet<B: Backend> {
    /// 7×7 stride-2 stem convolution.
    pub conv1: Conv2d<B>,
    /// Stem BatchNorm.
    pub bn1: BatchNorm<B>,
    /// Stage 1 (stride 1).
    pub layer1: Vec<Bottleneck<B>>,
    /// Stage 2 (stride 2).
    pub layer2: Vec<Bottleneck<B>>,
    /// Stage 3 (stride 2).
    pub layer3: Vec<Bottleneck<B>>,
    /// Stage 4 (stride 2).
    pub layer4: Vec<Bottleneck<B>>,
    /// Linear head on the pooled features (`fc`), absent for feature extraction.
    pub fc: Option<Linear<B>>,
}

impl<B: Backend> Bottleneck<B> {
    fn init(
        rng: &mut ChaCha8Rng,
        inplanes: usize,
        planes: usize,
        stride: usize,
        device: &B::Device,
    ) -> Self {
        let out = planes * EXPANSION;
        // torchvision's module order: conv1, bn1, conv2, bn2, conv3, bn3, downsample.
        let conv1 = conv(rng, inplanes, planes, 1, 1, 0, device);
        let conv2 = conv(rng, planes, planes, 3, stride, 1, device);
        let conv3 = conv(rng, planes, out, 1, 1, 0, device);
        let downsample = (stride != 1 || inplanes != out).then(|| Downsample {
            conv: conv(rng, inplanes, out, 1, stride, 0, device),
            bn: bn(out, device),
        });
        Self {
            conv1,
            bn1: bn(planes, device),
            conv2,
            bn2: bn(planes, device),
            conv3,
            bn3: bn(out, device),
            downsample,
        }
    }

    /// Forward pass of one block, `[N, C, H, W]` in and out.
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let identity = match &self.downsample {
            Some(d) => batch_norm(&d.bn, conv2d(&d.conv, x.clone())),
            None => x.clone(),
        };
        let out = batch_norm_relu(&self.bn1, conv2d(&self.conv1, x));
        let out = batch_norm_relu(&self.bn2, conv2d(&self.conv2, out));
        batch_norm_add_relu(&self.bn3, conv2d(&self.conv3, out), identity)
    }
}

impl<B: Backend> ResNet<B> {
    /// Global-average-pool features `[N, feature_dim]` of a batch `[N, 3, H, W]`
    /// (torchvision: everything up to and including `avgpool` + `flatten`).
    pub fn features(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        let x = batch_norm_relu(&self.bn1, conv2d(&self.conv1, x));
        let x = max_pool2d(x, [3, 3], [2, 2], [1, 1], [1, 1], false);
        let mut x = x;
        for block in self
            .layer1
            .iter()
            .chain(&self.layer2)
            .chain(&self.layer3)
            .chain(&self.layer4)
        {
            x = block.forward(x);
        }
        global_avg_pool(x)
    }

    /// Logits of the linear head, or the pooled features when there is no head.
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        let f = self.features(x);
        match &self.fc {
            Some(fc) => fc.forward(f),
            None => f,
        }
    }

    /// Replaces the head with a fresh `nn.Linear(feature_dim, num_classes)`
    /// initialised as torchvision does, from a ChaCha8 stream seeded by `seed`.
    pub fn with_new_head(mut self, num_classes: usize, seed: u64, device: &B::Device) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let dim = self.bn1.gamma.dims()[0] * 8 * EXPANSION;
        self.fc = Some(linear(&mut rng, dim, num_classes, device));
        self
    }

    /// The architecture of this network (widths and block counts read off its
    /// parameters).
    pub fn config(&self) -> ResNetConfig {
        ResNetConfig {
            base_width: self.bn1.gamma.dims()[0],
            blocks: [
                self.layer1.len(),
                self.layer2.len(),
                self.layer3.len(),
                self.layer4.len(),
            ],
            num_classes: self.fc.as_ref().map(|fc| fc.weight.dims()[1]),
        }
    }
}

/// Mean over the spatial dimensions, `[N, C, H, W]` → `[N, C]`
/// (torchvision `AdaptiveAvgPool2d((1, 1))` + `flatten(1)`).
pub fn global_avg_pool<B: Backend>(x: Tensor<B, 4>) -> Tensor<B, 2> {
    let [n, c, h, w] = x.dims();
    x.reshape([n, c, h * w]).mean_dim(2).reshape([n, c])
}

fn conv<B: Backend>(
    rng: &mut ChaCha8Rng,
    cin: usize,
    cout: usize,
    k: usize,
    stride: usize,
    pad: usize,
    device: &B::Device,
) -> Conv2d<B> {
    let mut conv = Conv2dConfig::new([cin, cout], [k, k])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(pad, pad, pad, pad))
        .with_bias(false)
        .with_initializer(Initializer::Zeros)
        .init(device);
    // kaiming_normal_(mode="fan_out", nonlinearity="relu"): std = sqrt(2 / fan_out).
    let std = (2.0 / (cout * k * k) as f64).sqrt() as f32;
    // Invariant: cout, k >= 1 in every layer built here, so std is finite and positive.
    let normal = Normal::new(0.0f32, std).expect("finite positive std");
    let values: Vec<f32> = (0..cout * cin * k * k)
        .map(|_| normal.sample(rng))
        .collect();
    conv.weight = Param::from_tensor(Tensor::from_data(
        TensorData::new(values, [cout, cin, k, k]),
        device,
    ));
    conv
}

fn bn<B: Backend>(channels: usize, device: &B::Device) -> BatchNorm<B> {
    BatchNormConfig::new(channels)
        .with_epsilon(1e-5)
        .init(device)
}

fn linear<B: Backend>(
    rng: &mut ChaCha8Rng,
    d_in: usize,
    d_out: usize,
    device: &B::Device,
) -> Linear<B> {
    let mut lin = LinearConfig::new(d_in, d_out)
        .with_initializer(Initializer::Zeros)
        .init(device);
    let bound = 1.0 / (d_in as f32).sqrt();
    // Burn stores the weight as [d_in, d_out] (transposed from torch).
    let w: Vec<f32> = (0..d_in * d_out)
        .map(|_| rng.random_range(-bound..bound))
        .collect();
    let b: Vec<f32> = (0..d_out)
        .map(|_| rng.random_range(-bound..bound))
        .collect();
    lin.weight = Param::from_tensor(Tensor::from_data(TensorData::new(w, [d_in, d_out]), device));
    lin.bias = Some(Param::from_tensor(Tensor::from_data(
        TensorData::new(b, [d_out]),
        device,
    )));
    lin
}
