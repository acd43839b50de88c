//! The convolutions of [`crate::resnet`], with a faster weight gradient when
//! training on flex.
//!
//! Burn 0.21 (burn-backend `conv2d_weight_grad_no_groups`) computes a
//! convolution's weight gradient as another convolution: input and output
//! gradient with batch and channel axes swapped, the output gradient as the
//! kernel. On flex that runs one thin GEMM (9 or 1 output columns) per input
//! channel over the whole batch, re-reading the output gradient `C_in` times:
//! 3–10× the time of the forward convolution (batch 8: 97 ms against 33 ms
//! for layer1's 3×3, 116–136 ms against 19 ms for its 1×1s). Here, on
//! `Autodiff<Flex>`, the weight gradient is the im2col GEMM (as PyTorch's
//! `slow_conv2d_backward`): `dW = Σₙ dYₙ · colsₙᵀ` with `dYₙ = [C_out, L]` and
//! `colsₙ = im2col(xₙ) = [C_in·k·k, L]` (for a 1×1 stride-1 convolution,
//! `xₙ` itself), one batched matmul. k×k convolutions (k > 1) and strided 1×1
//! ones run forward as `W · im2col(x)` ([`conv2d_infer`]) and their input
//! gradient as `col2im(Wᵀ · dY)`, its adjoint; stride-1 1×1 convolutions
//! forward are flex's direct GEMM and their input gradient is the 1×1
//! convolution with the transposed weight. Other backends use `Conv2d::forward` unchanged.

use std::any::{Any, TypeId};

use burn::backend::Flex;
use burn::backend::autodiff::Autodiff;
use burn::backend::autodiff::NodeId;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use burn::tensor::backend::Backend;
use burn::tensor::ops::{ConvOptions, FloatTensor, ModuleOps};
use burn::tensor::{Tensor, TensorData, TensorPrimitive};
use burn_flex::FlexTensor;
use rayon::prelude::*;

/// The training backend whose weight gradient is replaced.
type FlexAd = Autodiff<Flex>;

/// `conv.forward(x)`; on `Autodiff<Flex>` with the weight gradient as one
/// batched GEMM (module doc), on flex as [`conv2d_infer`]. Same values and gradients as `Conv2d::forward`
/// up to f32 summation order.
pub fn conv2d<B: Backend>(conv: &Conv2d<B>, x: Tensor<B, 4>) -> Tensor<B, 4> {
    let options = match explicit_options(conv) {
        Some(o) if TypeId::of::<B>() == TypeId::of::<FlexAd>() => o,
        _ => return conv2d_infer(conv, x),
    };
    let weight = conv.weight.val();
    // Invariant: B is FlexAd (checked above), so both downcasts succeed.
    let x = *(Box::new(x) as Box<dyn Any>)
        .downcast::<Tensor<FlexAd, 4>>()
        .expect("B is Autodiff<Flex>");
    // Invariant: as for `x` above.
    let weight = *(Box::new(weight) as Box<dyn Any>)
        .downcast::<Tensor<FlexAd, 4>>()
        .expect("B is Autodiff<Flex>");
    let y = flex_conv(x, weight, options);
    // Invariant: `y` is a Tensor<FlexAd, 4> and B is FlexAd, so this is the identity cast.
    *(Box::new(y) as Box<dyn Any>)
        .downcast::<Tensor<B, 4>>()
        .expect("B is Autodiff<Flex>")
}

/// `conv.forward(x)` for inference; on flex, a k×k convolution (k > 1) is
/// `W · im2col(x) + b` with the weight used in Burn's own layout
/// (`[C_out, C_in·k·k]`, the im2col row order), one GEMM per group of images.
/// flex's convolution re-lays out the weight to `[C_out, k·k·C_in]` and the
/// whole input to NHWC on one thread at every call, 12% of a batch-1 ResNet50
/// forward under perf. Same values as `Conv2d::forward` up to f32 summation
/// order.
pub fn conv2d_infer<B: Backend>(conv: &Conv2d<B>, x: Tensor<B, 4>) -> Tensor<B, 4> {
    let [_, _, k1, k2] = conv.weight.dims();
    let plain = conv.groups != 1 || conv.dilation != [1, 1] || pointwise([k1, k2], conv.stride);
    let padding = match conv.padding {
        PaddingConfig2d::Explicit(top, left, bottom, right) if top == bottom && left == right => {
            [top, left]
        }
        _ => return conv.forward(x),
    };
    if plain || TypeId::of::<B>() != TypeId::of::<Flex>() {
        return conv.forward(x);
    }
    let x = cast::<B, Flex>(x);
    let weight = cast::<B, Flex>(conv.weight.val());
    let bias = conv.bias.as_ref().map(|b| cast1::<B, Flex>(b.val()));
    let y = im2col_conv(x, weight, bias, conv.stride, padding);
    cast::<Flex, B>(y)
}

/// Whether a convolution is 1×1 with stride 1, which flex runs as one GEMM
/// straight on the NCHW input (no im2col). A strided 1×1 convolution (the
/// ResNet's downsampling shortcuts) goes through flex's general path, which
/// re-lays out the whole input to NHWC on one thread, so it runs here as
/// `W · im2col(x) + b`, im2col being the strided subsampling.
fn pointwise(kernel: [usize; 2], stride: [usize; 2]) -> bool {
    kernel == [1, 1] && stride == [1, 1]
}

/// im2col buffers above this many bytes are split by image: glibc serves
/// larger blocks with fresh mappings that page-fault on every call
/// ([`crate::retain_freed_memory`]).
/// (A few kilobytes in unit tests, so they cross the split.)
const COLS_BYTES: usize = if cfg!(test) { 4 << 10 } else { 32 << 20 };

fn im2col_conv(
    x: Tensor<Flex, 4>,
    weight: Tensor<Flex, 4>,
    bias: Option<Tensor<Flex, 1>>,
    stride: [usize; 2],
    padding: [usize; 2],
) -> Tensor<Flex, 4> {
    let device = x.device();
    let [n, c_in, h, w] = x.dims();
    let [c_out, _, k1, k2] = weight.dims();
    let ho = (h + 2 * padding[0] - k1) / stride[0] + 1;
    let wo = (w + 2 * padding[1] - k2) / stride[1] + 1;
    let (rows, l) = (c_in * k1 * k2, ho * wo);
    let geometry = Im2col {
        channels: c_in,
        height: h,
        width: w,
        kernel: [k1, k2],
        stride,
        padding,
        out: [ho, wo],
    };
    let weight = weight.reshape([1, c_out, rows]);
    let x = x.into_primitive().tensor().to_contiguous();
    // Invariant: the model is f32, and `to_contiguous` makes the view a slice.
    let src = x.as_slice::<f32>().expect("contiguous f32");
    let per_image = c_in * h * w;
    let group = (COLS_BYTES / (4 * rows * l).max(1)).clamp(1, n.max(1));
    let mut parts = Vec::with_capacity(n.div_ceil(group));
    for start in (0..n).step_by(group) {
        let nb = group.min(n - start);
        let cols = geometry.run(&src[start * per_image..(start + nb) * per_image], nb);
        let cols = Tensor::<Flex, 3>::from_data(TensorData::new(cols, [nb, rows, l]), &device);
        let mut y = weight.clone().matmul(cols);
        if let Some(b) = &bias {
            // [nb, C_out, 1], so the add is flex's per-row-scalar kernel.
            y = y + b.clone().reshape([1, c_out, 1]).repeat_dim(0, nb);
        }
        parts.push(y);
    }
    Tensor::cat(parts, 0).reshape([n, c_out, ho, wo])
}

/// `t` as a tensor of backend `To`, which the caller has checked is `From`.
fn cast<From: Backend, To: Backend>(t: Tensor<From, 4>) -> Tensor<To, 4> {
    // Invariant: callers compare the TypeIds of From and To first.
    *(Box::new(t) as Box<dyn Any>)
        .downcast::<Tensor<To, 4>>()
        .expect("same backend")
}

/// [`cast`] for a bias vector.
fn cast1<From: Backend, To: Backend>(t: Tensor<From, 1>) -> Tensor<To, 1> {
    // Invariant: callers compare the TypeIds of From and To first.
    *(Box::new(t) as Box<dyn Any>)
        .downcast::<Tensor<To, 1>>()
        .expect("same backend")
}

/// The options of a bias-free, ungrouped convolution with symmetric explicit
/// padding (every convolution of the ResNet); `None` for anything else.
fn explicit_options<B: Backend>(conv: &Conv2d<B>) -> Option<ConvOptions<2>> {
    if conv.bias.is_some() || conv.groups != 1 || conv.dilation != [1, 1] {
        return None;
    }
    match conv.padding {
        PaddingConfig2d::Explicit(top, left, bottom, right) if top == bottom && left == right => {
            Some(ConvOptions::new(conv.stride, [top, left], [1, 1], 1))
        }
        _ => None,
    }
}

#[derive(Debug)]
struct ConvBackward;

impl Backward<Flex, 2> for ConvBackward {
    type State = (NodeId, NodeId, ConvOptions<2>);

    fn backward(
        self,
        ops: Ops<Self::State, 2>,
        grads: &mut Gradients,
        checkpointer: &mut Checkpointer,
    ) {
        let [node_x, node_weight] = ops.parents;
        let grad = grads.consume::<Flex>(&ops.node);
        let (x_state, weight_state, options) = ops.state;
        let x = checkpointer.retrieve_node_output::<FloatTensor<Flex>>(x_state);
        let weight = checkpointer.retrieve_node_output::<FloatTensor<Flex>>(weight_state);
        if let Some(node) = node_x {
            let dx = input_grad(x.clone(), weight.clone(), grad.clone(), &options);
            grads.register::<Flex>(node.id, dx);
        }
        if let Some(node) = node_weight {
            let dw = weight_grad(x, weight, grad, &options);
            grads.register::<Flex>(node.id, dw);
        }
    }
}

fn flex_conv(
    x: Tensor<FlexAd, 4>,
    weight: Tensor<FlexAd, 4>,
    options: ConvOptions<2>,
) -> Tensor<FlexAd, 4> {
    let x = x.into_primitive().tensor();
    let weight = weight.into_primitive().tensor();
    let out = match ConvBackward
        .prepare::<NoCheckpointing>([x.node.clone(), weight.node.clone()])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(mut prep) => {
            let x_state = prep.checkpoint(&x);
            let weight_state = prep.checkpoint(&weight);
            let y = forward(x.primitive, weight.primitive, &options);
            prep.finish((x_state, weight_state, options), y)
        }
        OpsKind::UnTracked(prep) => prep.finish(forward(x.primitive, weight.primitive, &options)),
    };
    Tensor::from_primitive(TensorPrimitive::Float(out))
}

/// The bias-free forward convolution on flex: flex's own (direct GEMM) for
/// 1×1 stride-1 kernels, [`im2col_conv`] for the others.
fn forward(
    x: FloatTensor<Flex>,
    weight: FloatTensor<Flex>,
    options: &ConvOptions<2>,
) -> FloatTensor<Flex> {
    let w = Tensor::<Flex, 4>::from_primitive(TensorPrimitive::Float(weight));
    let [_, _, k1, k2] = w.dims();
    if pointwise([k1, k2], options.stride) && options.padding == [0, 0] {
        return Flex::conv2d(x, w.into_primitive().tensor(), None, options.clone());
    }
    let x = Tensor::<Flex, 4>::from_primitive(TensorPrimitive::Float(x));
    im2col_conv(x, w, None, options.stride, options.padding)
        .into_primitive()
        .tensor()
}

/// `dX`: for a 1×1 stride-1 convolution the 1×1 convolution of `dY` with
/// `Wᵀ` (flex's direct-GEMM path, 1.2–2× faster than the transposed
/// convolution at layer1's sizes); otherwise Burn's transposed convolution.
fn input_grad(
    x: FloatTensor<Flex>,
    weight: FloatTensor<Flex>,
    grad: FloatTensor<Flex>,
    options: &ConvOptions<2>,
) -> FloatTensor<Flex> {
    let pointwise = {
        let w = Tensor::<Flex, 4>::from_primitive(TensorPrimitive::Float(weight.clone()));
        let [_, _, k1, k2] = w.dims();
        k1 == 1 && k2 == 1 && options.stride == [1, 1] && options.padding == [0, 0]
    };
    if pointwise {
        let w = Tensor::<Flex, 4>::from_primitive(TensorPrimitive::Float(weight));
        let wt = w.swap_dims(0, 1).into_primitive().tensor();
        Flex::conv2d(grad, wt, None, options.clone())
    } else {
        col2im_grad(x, weight, grad, options)
    }
}

/// `dX = col2im(Wᵀ · dY)` per group of images: the transpose of
/// [`im2col_conv`]'s GEMM, then each input pixel summed over the columns
/// that read it.
fn col2im_grad(
    x: FloatTensor<Flex>,
    weight: FloatTensor<Flex>,
    grad: FloatTensor<Flex>,
    options: &ConvOptions<2>,
) -> FloatTensor<Flex> {
    let x = Tensor::<Flex, 4>::from_primitive(TensorPrimitive::Float(x));
    let w = Tensor::<Flex, 4>::from_primitive(TensorPrimitive::Float(weight));
    let dy = Tensor::<Flex, 4>::from_primitive(TensorPrimitive::Float(grad));
    let [n, c_in, h, wd] = x.dims();
    let [c_out, _, k1, k2] = w.dims();
    let [_, _, ho, wo] = dy.dims();
    let (rows, l) = (c_in * k1 * k2, ho * wo);
    let geometry = Im2col {
        channels: c_in,
        height: h,
        width: wd,
        kernel: [k1, k2],
        stride: options.stride,
        padding: options.padding,
        out: [ho, wo],
    };
    let wt = w.reshape([1, c_out, rows]).swap_dims(1, 2);
    let dy = dy.reshape([n, c_out, l]);
    let plane = h * wd;
    let mut dx = vec![0.0f32; n * c_in * plane];
    let group = (COLS_BYTES / (4 * rows * l).max(1)).clamp(1, n.max(1));
    for start in (0..n).step_by(group) {
        let nb = group.min(n - start);
        let dcols = wt.clone().matmul(dy.clone().narrow(0, start, nb));
        let dcols = dcols.into_primitive().tensor().to_contiguous();
        // Invariant: f32 model, contiguous after `to_contiguous`.
        let cols = dcols.as_slice::<f32>().expect("contiguous f32");
        let block = k1 * k2 * l;
        dx[start * c_in * plane..(start + nb) * c_in * plane]
            .par_chunks_mut(plane)
            .enumerate()
            .for_each(|(p, out)| geometry.scatter(&cols[p * block..(p + 1) * block], out));
    }
    FlexTensor::from_data(TensorData::new(dx, [n, c_in, h, wd]))
}

/// `dW = Σₙ dYₙ · im2col(xₙ)ᵀ`, `[C_out, C_in, k₁, k₂]`.
fn weight_grad(
    x: FloatTensor<Flex>,
    weight: FloatTensor<Flex>,
    grad: FloatTensor<Flex>,
    options: &ConvOptions<2>,
) -> FloatTensor<Flex> {
    let x = Tensor::<Flex, 4>::from_primitive(TensorPrimitive::Float(x));
    let w_dims = Tensor::<Flex, 4>::from_primitive(TensorPrimitive::Float(weight)).dims();
    let dy = Tensor::<Flex, 4>::from_primitive(TensorPrimitive::Float(grad));
    let [n, c_in, h, w] = x.dims();
    let [_, c_out, ho, wo] = dy.dims();
    let [_, _, k1, k2] = w_dims;
    let dy = dy.reshape([n, c_out, ho * wo]);
    if k1 == 1 && k2 == 1 && options.stride == [1, 1] && options.padding == [0, 0] {
        let cols = x.reshape([n, c_in, h * w]);
        return dy
            .matmul(cols.swap_dims(1, 2))
            .sum_dim(0)
            .reshape(w_dims)
            .into_primitive()
            .tensor();
    }
    let device = x.device();
    let geometry = Im2col {
        channels: c_in,
        height: h,
        width: w,
        kernel: [k1, k2],
        stride: options.stride,
        padding: options.padding,
        out: [ho, wo],
    };
    let (rows, l) = (c_in * k1 * k2, ho * wo);
    let x = x.into_primitive().tensor().to_contiguous();
    // Invariant: the model is f32, and `to_contiguous` makes the view a slice.
    let src = x.as_slice::<f32>().expect("contiguous f32");
    let per_image = c_in * h * w;
    let group = (COLS_BYTES / (4 * rows * l).max(1)).clamp(1, n.max(1));
    let mut dw: Option<Tensor<Flex, 3>> = None;
    for start in (0..n).step_by(group) {
        let nb = group.min(n - start);
        let cols = geometry.run(&src[start * per_image..(start + nb) * per_image], nb);
        let cols = Tensor::<Flex, 3>::from_data(TensorData::new(cols, [nb, rows, l]), &device);
        let part = dy
            .clone()
            .narrow(0, start, nb)
            .matmul(cols.swap_dims(1, 2))
            .sum_dim(0);
        dw = Some(match dw {
            Some(acc) => acc + part,
            None => part,
        });
    }
    // Invariant: n >= 1 (a batch with no images never reaches the backward).
    dw.expect("at least one image")
        .reshape(w_dims)
        .into_primitive()
        .tensor()
}

/// Geometry of one image's im2col: `[C, H, W]` → `[C·k₁·k₂, H_out·W_out]`,
/// row `c·k₁·k₂ + i·k₂ + j` holding input pixel
/// `(oh·s₁ + i − p₁, ow·s₂ + j − p₂)` of channel `c` (0 outside the image).
struct Im2col {
    channels: usize,
    height: usize,
    width: usize,
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
    out: [usize; 2],
}

impl Im2col {
    /// The columns of `n` images stored back to back in `src`.
    fn run(&self, src: &[f32], n: usize) -> Vec<f32> {
        let [k1, k2] = self.kernel;
        let [ho, wo] = self.out;
        let plane = self.height * self.width;
        let block = k1 * k2 * ho * wo;
        let mut cols = vec![0.0f32; n * self.channels * block];
        cols.par_chunks_mut(block)
            .enumerate()
            .for_each(|(nc, dst)| self.channel(&src[nc * plane..(nc + 1) * plane], dst));
        cols
    }

    /// Adds the `k₁·k₂` column rows of one input channel back onto its
    /// plane (the adjoint of [`Im2col::channel`]).
    fn scatter(&self, src: &[f32], plane: &mut [f32]) {
        let [k1, k2] = self.kernel;
        let [s1, s2] = self.stride;
        let [p1, _] = self.padding;
        let [ho, wo] = self.out;
        for i in 0..k1 {
            for j in 0..k2 {
                let row = &src[(i * k2 + j) * ho * wo..(i * k2 + j + 1) * ho * wo];
                let (lo, hi, first) = self.valid_columns(j);
                for oh in 0..ho {
                    let ih = (oh * s1 + i) as isize - p1 as isize;
                    if ih < 0 || ih as usize >= self.height || lo >= hi {
                        continue;
                    }
                    let line = &mut plane[ih as usize * self.width..(ih as usize + 1) * self.width];
                    let vals = &row[oh * wo + lo..oh * wo + hi];
                    for (o, v) in line[first..].iter_mut().step_by(s2).zip(vals) {
                        *o += v;
                    }
                }
            }
        }
    }

    /// The `k₁·k₂` rows of one input channel.
    fn channel(&self, src: &[f32], dst: &mut [f32]) {
        let [k1, k2] = self.kernel;
        let [s1, s2] = self.stride;
        let [p1, _] = self.padding;
        let [ho, wo] = self.out;
        for i in 0..k1 {
            for j in 0..k2 {
                let row = &mut dst[(i * k2 + j) * ho * wo..(i * k2 + j + 1) * ho * wo];
                let (lo, hi, first) = self.valid_columns(j);
                for oh in 0..ho {
                    let ih = (oh * s1 + i) as isize - p1 as isize;
                    if ih < 0 || ih as usize >= self.height || lo >= hi {
                        continue;
                    }
                    let line = &src[ih as usize * self.width..(ih as usize + 1) * self.width];
                    let out = &mut row[oh * wo + lo..oh * wo + hi];
                    if s2 == 1 {
                        out.copy_from_slice(&line[first..first + (hi - lo)]);
                    } else {
                        for (o, v) in out.iter_mut().zip(line[first..].iter().step_by(s2)) {
                            *o = *v;
                        }
                    }
                }
            }
        }
    }

    /// Output columns `lo..hi` whose kernel column `j` reads inside the
    /// image, and the input column `first` that `lo` reads.
    fn valid_columns(&self, j: usize) -> (usize, usize, usize) {
        let [_, s2] = self.stride;
        let [_, p2] = self.padding;
        let [_, wo] = self.out;
        // iw = ow·s₂ + j − p₂ must lie in [0, width).
        let lo = p2.saturating_sub(j).div_ceil(s2).min(wo);
        let hi = if self.width + p2 > j {
            ((self.width + p2 - j - 1) / s2 + 1).min(wo)
        } else {
            0
        };
        let first = (lo * s2 + j).saturating_sub(p2);
        (lo, hi.max(lo), first)
    }
}

#[cfg(test)]
mod tests {
    //! The image-split paths (unit tests shrink the split threshold to 4 KiB)
    //! against Burn's convolution and its autodiff gradients.
    use super::*;
    use burn::backend::autodiff::checkpoint::strategy::BalancedCheckpointing;
    use burn::nn::conv::Conv2dConfig;
    use burn::tensor::Distribution;
    use burn::tensor::module::conv2d as burn_conv2d;

    fn max_rel(a: Vec<f32>, b: Vec<f32>) -> f32 {
        let scale = b.iter().fold(1.0f32, |m, v| m.max(v.abs()));
        a.iter()
            .zip(&b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max)
            / scale
    }

    fn vals<B: Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f32> {
        t.into_data().convert::<f32>().into_vec().unwrap()
    }

    #[test]
    fn split_forward_and_gradients_match_burn() {
        let device = Default::default();
        for (k, stride, pad) in [(3, 1, 1), (3, 2, 1), (1, 2, 0), (7, 2, 3)] {
            let x = Tensor::<Flex, 4>::random([3, 4, 11, 11], Distribution::Default, &device);
            let conv = Conv2dConfig::new([4, 5], [k, k])
                .with_stride([stride, stride])
                .with_padding(PaddingConfig2d::Explicit(pad, pad, pad, pad))
                .init::<Flex>(&device);
            let bias = conv.bias.as_ref().map(|b| b.val());
            let ours = im2col_conv(
                x.clone(),
                conv.weight.val(),
                bias.clone(),
                conv.stride,
                [pad, pad],
            );
            let theirs = burn_conv2d(
                x.clone(),
                conv.weight.val(),
                bias,
                ConvOptions::new([stride, stride], [pad, pad], [1, 1], 1),
            );
            let d = max_rel(vals(ours), vals(theirs));
            assert!(d < 1e-5, "k{k} s{stride}: forward differs by {d:.2e}");

            let mut conv = conv;
            conv.bias = None;
            let r = Tensor::<Flex, 4>::random(
                burn_conv2d(
                    x.clone(),
                    conv.weight.val(),
                    None,
                    ConvOptions::new([stride, stride], [pad, pad], [1, 1], 1),
                )
                .dims(),
                Distribution::Default,
                &device,
            );
            let a = grads::<FlexAd>(&conv, x.clone(), r.clone());
            let b = grads::<Autodiff<Flex, BalancedCheckpointing>>(&conv, x, r);
            for (what, (u, v)) in ["dx", "dw"].iter().zip(a.into_iter().zip(b)) {
                let d = max_rel(u, v);
                assert!(d < 1e-5, "k{k} s{stride}: {what} differs by {d:.2e}");
            }
        }
    }

    #[test]
    fn infer_routes_match_conv2d_forward() {
        let device = Default::default();
        for (k, stride, pad) in [(1, 2, 0), (1, 1, 0), (3, 2, 1)] {
            let x = Tensor::<Flex, 4>::random([2, 6, 9, 9], Distribution::Default, &device);
            let conv = Conv2dConfig::new([6, 7], [k, k])
                .with_stride([stride, stride])
                .with_padding(PaddingConfig2d::Explicit(pad, pad, pad, pad))
                .init::<Flex>(&device);
            let d = max_rel(vals(conv2d_infer(&conv, x.clone())), vals(conv.forward(x)));
            assert!(d < 1e-5, "k{k} s{stride}: conv2d_infer differs by {d:.2e}");
        }
    }

    /// `[dx, dw]` of `sum(conv(x) ⊙ r)` for a fixed `r`, on backend `A`.
    fn grads<A: burn::tensor::backend::AutodiffBackend>(
        conv: &Conv2d<Flex>,
        x: Tensor<Flex, 4>,
        r: Tensor<Flex, 4>,
    ) -> Vec<Vec<f32>> {
        let device = Default::default();
        let x = Tensor::<A, 4>::from_data(x.into_data(), &device).require_grad();
        let w = Tensor::<A, 4>::from_data(conv.weight.val().into_data(), &device).require_grad();
        let mut c = Conv2dConfig::new([4, 5], conv.kernel_size)
            .with_stride(conv.stride)
            .with_padding(conv.padding.clone())
            .with_bias(false)
            .init::<A>(&device);
        c.weight = burn::module::Param::from_tensor(w);
        let y = crate::conv::conv2d(&c, x.clone());
        let r = Tensor::<A, 4>::from_data(r.into_data(), &device);
        let g = (y * r).sum().backward();
        vec![vals(x.grad(&g).unwrap()), vals(c.weight.grad(&g).unwrap())]
    }
}
