//! The convolutions of [`crate::resnet`] on flex through
//! [`crate::gemm_conv`]'s tiled implicit GEMMs, forward and backward.
//!
//! Burn 0.21 (burn-backend `conv2d_weight_grad_no_groups`) computes a
//! convolution's weight gradient as another convolution: input and output
//! gradient with batch and channel axes swapped, the output gradient as the
//! kernel. On flex that runs one thin GEMM (9 or 1 output columns) per input
//! channel over the whole batch, re-reading the output gradient `C_in` times:
//! 3–10× the time of the forward convolution (batch 8: 97 ms against 33 ms
//! for layer1's 3×3, 116–136 ms against 19 ms for its 1×1s). flex's forward
//! convolution re-lays out the weight and the whole input to NHWC on one
//! thread at every call. Here, on `Autodiff<Flex>`, the forward pass is
//! [`Geometry::forward`], the input gradient [`Geometry::input_grad`]
//! (`col2im(Wᵀ · dY)`) and the weight gradient [`Geometry::weight_grad`]
//! (`Σ dY · im2col(X)ᵀ`), as PyTorch's `slow_conv2d_backward`; on flex
//! without autodiff, inference runs [`Geometry::forward`] with the bias
//! fused. Other backends use `Conv2d::forward` unchanged.

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
use burn::tensor::ops::{ConvOptions, FloatTensor};
use burn::tensor::{Tensor, TensorPrimitive};
use burn_flex::FlexTensor;

use crate::flex::{tensor, values};
use crate::gemm_conv::{Epilogue, Geometry, Images};

/// The training backend whose weight gradient is replaced.
type FlexAd = Autodiff<Flex>;

/// `conv.forward(x)`; on `Autodiff<Flex>` forward and backward through
/// [`crate::gemm_conv`] (module doc), on flex as [`conv2d_infer`]. Same
/// values and gradients as `Conv2d::forward` up to f32 summation order.
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

/// `conv.forward(x)` for inference; on flex [`Geometry::forward`] with the
/// bias fused (module doc). Same values as `Conv2d::forward` up to f32
/// summation order.
pub fn conv2d_infer<B: Backend>(conv: &Conv2d<B>, x: Tensor<B, 4>) -> Tensor<B, 4> {
    let padding = match conv.padding {
        PaddingConfig2d::Explicit(top, left, bottom, right) if top == bottom && left == right => {
            [top, left]
        }
        _ => return conv.forward(x),
    };
    if conv.groups != 1 || conv.dilation != [1, 1] || TypeId::of::<B>() != TypeId::of::<Flex>() {
        return conv.forward(x);
    }
    let options = ConvOptions::new(conv.stride, padding, [1, 1], 1);
    let x = cast::<B, Flex>(x).into_primitive().tensor();
    let weight = cast::<B, Flex>(conv.weight.val()).into_primitive().tensor();
    let bias = conv
        .bias
        .as_ref()
        .map(|b| cast1::<B, Flex>(b.val()).into_primitive().tensor());
    let y = forward(x, weight, bias, &options);
    cast::<Flex, B>(Tensor::from_primitive(TensorPrimitive::Float(y)))
}

/// A flex tensor's dims and its values in a contiguous copy (or itself).
fn host<const D: usize>(t: FloatTensor<Flex>) -> ([usize; D], FlexTensor) {
    let t = Tensor::<Flex, D>::from_primitive(TensorPrimitive::Float(t));
    (t.dims(), t.into_primitive().tensor().to_contiguous())
}

/// The geometry of a convolution with weight dims `[C_out, C_in, k₁, k₂]`.
fn geometry(w: [usize; 4], options: &ConvOptions<2>) -> Geometry {
    Geometry {
        c_in: w[1],
        c_out: w[0],
        kernel: [w[2], w[3]],
        stride: options.stride,
        padding: options.padding,
    }
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
            let y = forward(x.primitive, weight.primitive, None, &options);
            prep.finish((x_state, weight_state, options), y)
        }
        OpsKind::UnTracked(prep) => {
            prep.finish(forward(x.primitive, weight.primitive, None, &options))
        }
    };
    Tensor::from_primitive(TensorPrimitive::Float(out))
}

/// The forward convolution on flex, [`Geometry::forward`].
fn forward(
    x: FloatTensor<Flex>,
    weight: FloatTensor<Flex>,
    bias: Option<FloatTensor<Flex>>,
    options: &ConvOptions<2>,
) -> FloatTensor<Flex> {
    let ([n, _, h, w], x) = host::<4>(x);
    let (w_dims, weight) = host::<4>(weight);
    let bias = bias.map(|b| host::<1>(b).1);
    let g = geometry(w_dims, options);
    let images = Images {
        data: values(&x),
        n,
        h,
        w,
    };
    let epilogue = Epilogue {
        bias: bias.as_ref().map(values),
        ..Epilogue::default()
    };
    let (ho, wo) = g.out_dims(h, w);
    let y = g.forward(values(&weight), images, epilogue, Vec::new());
    tensor(y, &[n, g.c_out, ho, wo])
}

/// `dX = col2im(Wᵀ · dY)`, [`Geometry::input_grad`].
fn input_grad(
    x: FloatTensor<Flex>,
    weight: FloatTensor<Flex>,
    grad: FloatTensor<Flex>,
    options: &ConvOptions<2>,
) -> FloatTensor<Flex> {
    let [n, c_in, h, w] = Tensor::<Flex, 4>::from_primitive(TensorPrimitive::Float(x)).dims();
    let (w_dims, weight) = host::<4>(weight);
    let (_, dy) = host::<4>(grad);
    let dx = geometry(w_dims, options).input_grad(values(&weight), values(&dy), n, h, w);
    tensor(dx, &[n, c_in, h, w])
}

/// `dW = Σₙ dYₙ · im2col(xₙ)ᵀ`, `[C_out, C_in, k₁, k₂]`, [`Geometry::weight_grad`].
fn weight_grad(
    x: FloatTensor<Flex>,
    weight: FloatTensor<Flex>,
    grad: FloatTensor<Flex>,
    options: &ConvOptions<2>,
) -> FloatTensor<Flex> {
    let ([n, _, h, w], x) = host::<4>(x);
    let w_dims = Tensor::<Flex, 4>::from_primitive(TensorPrimitive::Float(weight)).dims();
    let (_, dy) = host::<4>(grad);
    let images = Images {
        data: values(&x),
        n,
        h,
        w,
    };
    let dw = geometry(w_dims, options).weight_grad(images, values(&dy));
    tensor(dw, &w_dims)
}

#[cfg(test)]
mod tests {
    //! The flex paths (unit tests shrink the tiles to a few hundred bytes)
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
    fn tiled_forward_and_gradients_match_burn() {
        let device = Default::default();
        for (k, stride, pad) in [(3, 1, 1), (3, 2, 1), (1, 2, 0), (7, 2, 3)] {
            let x = Tensor::<Flex, 4>::random([3, 4, 11, 11], Distribution::Default, &device);
            let conv = Conv2dConfig::new([4, 5], [k, k])
                .with_stride([stride, stride])
                .with_padding(PaddingConfig2d::Explicit(pad, pad, pad, pad))
                .init::<Flex>(&device);
            let bias = conv.bias.as_ref().map(|b| b.val());
            let ours = conv2d_infer(&conv, x.clone());
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
