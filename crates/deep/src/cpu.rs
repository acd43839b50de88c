//! CPU inference of the BatchNorm-folded ResNet ([`crate::fused`]) on plain
//! f32 NCHW buffers: every convolution a tiled implicit GEMM with its bias,
//! residual add and ReLU fused ([`crate::gemm_conv`]), activations in
//! buffers reused from layer to layer and batch to batch.

use std::sync::Mutex;

use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use burn::tensor::backend::Backend;
use rayon::prelude::*;

use crate::gemm_conv::{Epilogue, Geometry, Images};

/// One convolution with its BatchNorm folded in: weight `[C_out, C_in·k·k]`
/// and bias `[C_out]`.
#[derive(Debug, Clone)]
struct Conv {
    geometry: Geometry,
    weight: Vec<f32>,
    bias: Vec<f32>,
}

/// An activation `[n, c, h, w]`, contiguous.
struct Act {
    data: Vec<f32>,
    n: usize,
    c: usize,
    h: usize,
    w: usize,
}

/// Reused activation buffers: the batch-16 activations of layer1 (51 MiB)
/// exceed glibc's largest mmap threshold, so fresh ones would be mapped and
/// page-faulted on every layer of every batch.
#[derive(Debug, Default)]
struct Pool(Vec<Vec<f32>>);

impl Pool {
    /// An empty buffer with room for `len` values (the smallest that fits).
    fn take(&mut self, len: usize) -> Vec<f32> {
        let best = (0..self.0.len())
            .filter(|&i| self.0[i].capacity() >= len)
            .min_by_key(|&i| self.0[i].capacity());
        let mut v = match best {
            Some(i) => self.0.swap_remove(i),
            None => Vec::new(),
        };
        v.clear();
        v.reserve_exact(len);
        v
    }

    fn give(&mut self, v: Vec<f32>) {
        self.0.push(v);
    }
}

impl Conv {
    /// Reads a folded `Conv2d` (weight and bias; symmetric explicit padding,
    /// no groups or dilation, as every convolution of the ResNet).
    fn new<B: Backend>(conv: &Conv2d<B>) -> Self {
        let [c_out, c_in, k1, k2] = conv.weight.dims();
        let padding = match conv.padding {
            PaddingConfig2d::Explicit(top, left, _, _) => [top, left],
            _ => [0, 0],
        };
        let weight = to_vec(conv.weight.val().into_data());
        let bias = match &conv.bias {
            Some(b) => to_vec(b.val().into_data()),
            None => vec![0.0; c_out],
        };
        Self {
            geometry: Geometry {
                c_in,
                c_out,
                kernel: [k1, k2],
                stride: conv.stride,
                padding,
            },
            weight,
            bias,
        }
    }

    /// `relu?(conv(x) + bias + residual?)` in a buffer from `pool`.
    fn forward(&self, x: &Act, residual: Option<&Act>, relu: bool, pool: &mut Pool) -> Act {
        let g = &self.geometry;
        assert_eq!(x.c, g.c_in, "input channels");
        let (h, w) = g.out_dims(x.h, x.w);
        let images = Images {
            data: &x.data,
            n: x.n,
            h: x.h,
            w: x.w,
        };
        let epilogue = Epilogue {
            bias: Some(&self.bias),
            residual: residual.map(|r| r.data.as_slice()),
            relu,
        };
        let out = pool.take(x.n * g.c_out * h * w);
        Act {
            data: g.forward(&self.weight, images, epilogue, out),
            n: x.n,
            c: g.c_out,
            h,
            w,
        }
    }
}

/// One Bottleneck block of folded convolutions.
#[derive(Debug, Clone)]
struct Block {
    conv1: Conv,
    conv2: Conv,
    conv3: Conv,
    downsample: Option<Conv>,
}

/// The BatchNorm-folded ResNet trunk as plain f32 weights, for inference on
/// the CPU (module doc). Built by [`crate::FusedResNet`] on flex.
#[derive(Debug)]
pub struct CpuTrunk {
    stem: Conv,
    blocks: Vec<Block>,
    pool: Mutex<Pool>,
}

impl Clone for CpuTrunk {
    fn clone(&self) -> Self {
        Self {
            stem: self.stem.clone(),
            blocks: self.blocks.clone(),
            pool: Mutex::default(),
        }
    }
}

impl CpuTrunk {
    /// Reads the folded stem and blocks `(conv1, conv2, conv3, downsample)`.
    pub(crate) fn new<'a, B: Backend + 'a>(
        stem: &Conv2d<B>,
        blocks: impl Iterator<Item = [Option<&'a Conv2d<B>>; 4]>,
    ) -> Self {
        let blocks = blocks
            .map(|[c1, c2, c3, d]| Block {
                // Invariant: callers pass Some for the three main convolutions.
                conv1: Conv::new(c1.expect("conv1")),
                conv2: Conv::new(c2.expect("conv2")),
                conv3: Conv::new(c3.expect("conv3")),
                downsample: d.map(Conv::new),
            })
            .collect();
        Self {
            stem: Conv::new(stem),
            blocks,
            pool: Mutex::default(),
        }
    }

    /// Length of the pooled feature vector.
    pub fn feature_dim(&self) -> usize {
        self.blocks
            .last()
            .map_or(self.stem.geometry.c_out, |b| b.conv3.geometry.c_out)
    }

    /// Pooled features `[n, feature_dim]` (row-major) of `x = [n, 3, h, w]`:
    /// stem + ReLU, 3×3/2 max-pool, the blocks, global average pool, as
    /// [`crate::FusedResNet::features`].
    pub fn features(&self, x: Vec<f32>, n: usize, h: usize, w: usize) -> Vec<f32> {
        assert_eq!(
            x.len(),
            n * self.stem.geometry.c_in * h * w,
            "input is not [n, 3, h, w]"
        );
        // A poisoned pool only holds buffers; reuse it.
        let mut pool = std::mem::take(&mut *self.pool.lock().unwrap_or_else(|e| e.into_inner()));
        let input = Act {
            data: x,
            n,
            c: self.stem.geometry.c_in,
            h,
            w,
        };
        let stem = self.stem.forward(&input, None, true, &mut pool);
        let mut x = max_pool_3x3s2(&stem, &mut pool);
        pool.give(stem.data);
        for b in &self.blocks {
            let identity = b
                .downsample
                .as_ref()
                .map(|d| d.forward(&x, None, false, &mut pool));
            let a = b.conv1.forward(&x, None, true, &mut pool);
            let c = b.conv2.forward(&a, None, true, &mut pool);
            let out = b
                .conv3
                .forward(&c, Some(identity.as_ref().unwrap_or(&x)), true, &mut pool);
            let input = std::mem::replace(&mut x, out);
            for used in [Some(a), Some(c), identity, Some(input)]
                .into_iter()
                .flatten()
            {
                pool.give(used.data);
            }
        }
        let features = global_avg_pool(&x);
        pool.give(x.data);
        *self.pool.lock().unwrap_or_else(|e| e.into_inner()) = pool;
        features
    }
}

/// 3×3 max-pool, stride 2, padding 1 (torchvision's `maxpool`; padding never
/// wins, as in `F.max_pool2d`).
fn max_pool_3x3s2(x: &Act, pool: &mut Pool) -> Act {
    let (ho, wo) = ((x.h + 2 - 3) / 2 + 1, (x.w + 2 - 3) / 2 + 1);
    let mut out = pool.take(x.n * x.c * ho * wo);
    out.resize(x.n * x.c * ho * wo, 0.0);
    out.par_chunks_mut(ho * wo)
        .zip(x.data.par_chunks(x.h * x.w))
        .for_each(|(o, p)| {
            for oy in 0..ho {
                let rows = (2 * oy).saturating_sub(1)..(2 * oy + 2).min(x.h);
                for ox in 0..wo {
                    let cols = (2 * ox).saturating_sub(1)..(2 * ox + 2).min(x.w);
                    let mut m = f32::NEG_INFINITY;
                    for iy in rows.clone() {
                        for v in &p[iy * x.w + cols.start..iy * x.w + cols.end] {
                            m = m.max(*v);
                        }
                    }
                    o[oy * wo + ox] = m;
                }
            }
        });
    Act {
        data: out,
        n: x.n,
        c: x.c,
        h: ho,
        w: wo,
    }
}

/// Mean of each channel plane, `[n, c, h, w]` → `[n, c]`, accumulated in f64.
fn global_avg_pool(x: &Act) -> Vec<f32> {
    let plane = x.h * x.w;
    x.data
        .par_chunks(plane)
        .map(|p| (p.iter().map(|&v| f64::from(v)).sum::<f64>() / plane as f64) as f32)
        .collect()
}

/// A tensor's values as f32.
fn to_vec(data: burn::tensor::TensorData) -> Vec<f32> {
    // Invariant: `convert::<f32>` makes the data f32, so `into_vec` cannot fail.
    data.convert::<f32>().into_vec().expect("f32 tensor data")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_pool_takes_the_window_maximum_without_padding() {
        // 1×1×3×4 plane 0..12: windows rows {0,1},{1,2} × cols {0,1},{1,2,3}.
        let x = Act {
            data: (0..12).map(|v| v as f32 - 20.0).collect(),
            n: 1,
            c: 1,
            h: 3,
            w: 4,
        };
        let out = max_pool_3x3s2(&x, &mut Pool::default());
        assert_eq!((out.h, out.w), (2, 2));
        assert_eq!(
            out.data,
            vec![5.0 - 20.0, 7.0 - 20.0, 9.0 - 20.0, 11.0 - 20.0]
        );
    }
}
