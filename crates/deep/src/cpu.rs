//! CPU inference of the BatchNorm-folded ResNet ([`crate::fused`]) on plain
//! f32 NCHW buffers: every convolution is a tiled implicit GEMM.
//!
//! Burn's flex backend runs a k×k convolution as one im2col matrix per image
//! (`[C_in·k·k, H·W]`, 7 MiB for layer1's 3×3 convolutions) followed by a
//! GEMM and separate passes for the bias, ReLU and residual add. On two cores
//! that matrix streams through memory twice and each elementwise pass once
//! more, and ResNet50 ran at about a third of PyTorch's oneDNN rate although
//! gemm's micro-kernel alone is as fast as oneDNN's (benches/resnet50.rs).
//! Here the output columns of each image are cut into tiles whose im2col
//! block stays in the core's L2 cache; a worker builds the block, multiplies
//! it by the weight with one single-threaded call of the `gemm` crate (its
//! AVX-512 or AVX2 micro-kernels, chosen at run time) straight into the
//! output, and adds bias, residual and ReLU to the tile while it is still in
//! cache (the conv + bias + ReLU fusion of oneDNN / `torch.ao` inference).
//! Where a layer has too few columns to keep every core busy (late layers at
//! batch 1) the GEMM itself is split across threads instead.
//!
//! Results equal `Conv2d::forward` up to f32 summation order: each output
//! element is one dot product of the weight row with the im2col column, as
//! in flex, accumulated in gemm's blocked order. The tiles depend only on the
//! layer's shape, the batch size and the thread count, so reruns are
//! bit-for-bit identical. Reference: Chellapilla et al.
//! 2006 (convolution as im2col + GEMM); oneDNN's "post-ops" (sum, eltwise)
//! for the fused epilogue.

use std::ops::Range;
use std::sync::Mutex;

use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use burn::tensor::backend::Backend;
use gemm::Parallelism;
use rayon::prelude::*;

/// Bytes of one im2col tile: about half of a core's L2 cache on current x86
/// servers (ResNet50 at batch 16 on 2 cores: 192 KiB 31.3, 512 KiB 39.9,
/// 1–2 MiB 39.7–40.1 images/s). (A few hundred bytes in unit tests, so
/// small layers cross many tiles.)
const TILE_BYTES: usize = if cfg!(test) { 600 } else { 512 << 10 };

/// Tiles are multiples of this many output columns: gemm's AVX-512
/// micro-kernel covers 64 of them (the transposed problem's rows), and a
/// ragged tile runs its slower edge kernels (+27% at batch 16 with 64 over
/// arbitrary tile widths).
const COL_BLOCK: usize = if cfg!(test) { 4 } else { 64 };

/// One convolution with its BatchNorm folded in: weight `[C_out, C_in·k·k]`
/// row-major (torch's and Burn's order, which is also the im2col row order)
/// and bias `[C_out]`.
#[derive(Debug, Clone)]
struct Conv {
    weight: Vec<f32>,
    bias: Vec<f32>,
    c_in: usize,
    c_out: usize,
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
}

/// A raw output pointer shared by the workers of one convolution, each of
/// which writes a disjoint set of elements.
#[derive(Clone, Copy)]
struct OutPtr(*mut f32);
// SAFETY: the workers write disjoint tiles (module doc, `Conv::forward`), and
// the buffer outlives the parallel loop that uses the pointer.
unsafe impl Send for OutPtr {}
// SAFETY: as for Send.
unsafe impl Sync for OutPtr {}

impl OutPtr {
    /// The pointer (a method, so closures capture the Send wrapper, not the
    /// raw pointer inside it).
    fn get(self) -> *mut f32 {
        self.0
    }
}

/// A read-only input pointer shared by the workers of one convolution.
#[derive(Clone, Copy)]
struct InPtr(*const f32);
// SAFETY: only read, while the buffer it points into is alive and unchanged.
unsafe impl Send for InPtr {}
// SAFETY: as for Send.
unsafe impl Sync for InPtr {}

impl InPtr {
    /// The pointer (see [`OutPtr::get`]).
    fn get(self) -> *const f32 {
        self.0
    }
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
            weight,
            bias,
            c_in,
            c_out,
            kernel: [k1, k2],
            stride: conv.stride,
            padding,
        }
    }

    /// Output height and width for an input of `h × w`.
    fn out_dims(&self, h: usize, w: usize) -> (usize, usize) {
        let [k1, k2] = self.kernel;
        let [s1, s2] = self.stride;
        let [p1, p2] = self.padding;
        ((h + 2 * p1 - k1) / s1 + 1, (w + 2 * p2 - k2) / s2 + 1)
    }

    /// Rows of the im2col matrix, `C_in·k·k`.
    fn depth(&self) -> usize {
        self.c_in * self.kernel[0] * self.kernel[1]
    }

    /// Whether the input itself is the im2col matrix (1×1, stride 1, no padding).
    fn direct(&self) -> bool {
        self.kernel == [1, 1] && self.stride == [1, 1] && self.padding == [0, 0]
    }

    /// `relu?(conv(x) + bias + residual?)`, the residual shaped as the output.
    ///
    /// With enough output columns over the batch, workers take tiles of
    /// [`COL_BLOCK`]-multiple columns of one image (im2col block within
    /// [`TILE_BYTES`]), all output channels each; otherwise (late layers at
    /// small batches) each image's whole im2col matrix is built once and
    /// workers take blocks of output channels.
    fn forward(&self, x: &Act, residual: Option<&Act>, relu: bool, pool: &mut Pool) -> Act {
        assert_eq!(x.c, self.c_in, "input channels");
        let (ho, wo) = self.out_dims(x.h, x.w);
        let (n, l, k) = (x.n, ho * wo, self.depth());
        let len = n * self.c_out * l;
        if let Some(r) = residual {
            assert_eq!(r.data.len(), len, "residual shape");
        }
        let mut out = pool.take(len);
        let dst = OutPtr(out.as_mut_ptr());
        let epilogue = Epilogue {
            bias: &self.bias,
            residual: residual.map(|r| r.data.as_slice()),
            relu,
            l,
            c_out: self.c_out,
        };
        let plane = self.c_in * x.h * x.w;
        let threads = rayon::current_num_threads().max(1);
        let tile = (TILE_BYTES / (4 * k)).div_ceil(COL_BLOCK).max(1) * COL_BLOCK;
        let tiles = l.div_ceil(tile);
        if n * tiles >= 4 * threads || threads == 1 {
            (0..n * tiles)
                .into_par_iter()
                .for_each_init(Vec::new, |cols, task| {
                    let (img, t0) = (task / tiles, (task % tiles) * tile);
                    let tn = tile.min(l - t0);
                    let image = &x.data[img * plane..(img + 1) * plane];
                    let (rhs, rhs_rs) = if self.direct() {
                        (image[t0..].as_ptr(), l)
                    } else {
                        cols.clear();
                        cols.resize(k * tn, 0.0);
                        for (c, rows) in cols.chunks_exact_mut(k / self.c_in * tn).enumerate() {
                            self.im2col_channel(
                                &image[c * x.h * x.w..],
                                x.h,
                                x.w,
                                wo,
                                t0,
                                tn,
                                rows,
                            );
                        }
                        (cols.as_ptr(), tn)
                    };
                    let rows = 0..self.c_out;
                    // SAFETY: rhs is a [k, tn] block with row stride rhs_rs inside
                    // `image` or `cols`; the (img, t0) tiles of the output are
                    // disjoint and written by this worker alone, then finished.
                    unsafe {
                        self.gemm(rhs, rhs_rs, dst.get(), img, t0, tn, l, rows.clone());
                        epilogue.apply(dst.get(), img, t0, tn, rows);
                    }
                });
        } else {
            let blocks = (4 * threads).min(self.c_out.div_ceil(8));
            let per_block = self.c_out.div_ceil(blocks);
            let mut cols = Vec::new();
            for img in 0..n {
                let image = &x.data[img * plane..(img + 1) * plane];
                let (rhs, rhs_rs) = if self.direct() {
                    (image.as_ptr(), l)
                } else {
                    cols.clear();
                    cols.resize(k * l, 0.0);
                    cols.par_chunks_mut(k / self.c_in * l)
                        .enumerate()
                        .for_each(|(c, rows)| {
                            self.im2col_channel(&image[c * x.h * x.w..], x.h, x.w, wo, 0, l, rows)
                        });
                    (cols.as_ptr(), l)
                };
                let rhs = InPtr(rhs);
                (0..self.c_out.div_ceil(per_block))
                    .into_par_iter()
                    .for_each(|b| {
                        let rows = b * per_block..((b + 1) * per_block).min(self.c_out);
                        // SAFETY: rhs is this image's [k, l] matrix (row stride l);
                        // the blocks of output channels are disjoint, each
                        // written and finished by one worker.
                        unsafe {
                            self.gemm(rhs.get(), rhs_rs, dst.get(), img, 0, l, l, rows.clone());
                            epilogue.apply(dst.get(), img, 0, l, rows);
                        }
                    });
            }
        }
        // SAFETY: every one of the `len` elements was written above.
        unsafe { out.set_len(len) };
        Act {
            data: out,
            n,
            c: self.c_out,
            h: ho,
            w: wo,
        }
    }

    /// Output channels `rows`, columns `t0..t0 + tn` of image `img`: the
    /// weight rows times the `[k, tn]` matrix `rhs` (row stride `rhs_rs`),
    /// one single-threaded gemm call, into `dst` (`[n, C_out, l]`).
    ///
    /// # Safety
    /// `rhs` holds `k` rows of `tn` values at stride `rhs_rs`; `dst` is the
    /// output buffer, and no other thread touches this block meanwhile.
    #[allow(clippy::too_many_arguments)]
    unsafe fn gemm(
        &self,
        rhs: *const f32,
        rhs_rs: usize,
        dst: *mut f32,
        img: usize,
        t0: usize,
        tn: usize,
        l: usize,
        rows: Range<usize>,
    ) {
        let k = self.depth();
        // SAFETY: the caller's contract; the weight block is rows × k.
        unsafe {
            gemm::gemm(
                rows.len(),
                tn,
                k,
                dst.add((img * self.c_out + rows.start) * l + t0),
                1,
                l as isize,
                false,
                self.weight[rows.start * k..].as_ptr(),
                1,
                k as isize,
                rhs,
                1,
                rhs_rs as isize,
                0.0,
                1.0,
                false,
                false,
                false,
                Parallelism::None,
            )
        };
    }

    /// The im2col rows of one input channel (`plane`, `h × w`) for output
    /// columns `t0..t0 + tn`: `k1·k2` rows of `tn` in `rows`, zeros where the
    /// kernel overhangs the padding.
    #[allow(clippy::too_many_arguments)]
    fn im2col_channel(
        &self,
        plane: &[f32],
        h: usize,
        w: usize,
        wo: usize,
        t0: usize,
        tn: usize,
        rows: &mut [f32],
    ) {
        let [k1, k2] = self.kernel;
        let [s1, s2] = self.stride;
        let [p1, p2] = self.padding;
        let mut rows = rows.chunks_exact_mut(tn);
        for ki in 0..k1 {
            for kj in 0..k2 {
                // Invariant: `rows` has k1·k2 rows of `tn`.
                let row = rows.next().expect("im2col row");
                // Output columns ox whose input column ox·s2 + kj − p2 lies
                // in 0..w.
                let lo = p2.saturating_sub(kj).div_ceil(s2);
                let hi = (w + p2 - kj).div_ceil(s2).min(wo);
                let mut j = 0;
                while j < tn {
                    let (oy, ox0) = ((t0 + j) / wo, (t0 + j) % wo);
                    let run = (wo - ox0).min(tn - j);
                    let seg = &mut row[j..j + run];
                    let iy = (oy * s1 + ki).checked_sub(p1).filter(|&iy| iy < h);
                    match iy {
                        None => seg.fill(0.0),
                        Some(iy) => {
                            let src = &plane[iy * w..(iy + 1) * w];
                            let a = lo.clamp(ox0, ox0 + run);
                            let b = hi.clamp(a, ox0 + run);
                            seg[..a - ox0].fill(0.0);
                            seg[b - ox0..].fill(0.0);
                            if b > a {
                                // a ≥ lo, so a·s2 + kj ≥ p2.
                                let start = a * s2 + kj - p2;
                                let valid = &mut seg[a - ox0..b - ox0];
                                if s2 == 1 {
                                    valid.copy_from_slice(&src[start..start + valid.len()]);
                                } else {
                                    for (q, v) in valid.iter_mut().enumerate() {
                                        *v = src[start + q * s2];
                                    }
                                }
                            }
                        }
                    }
                    j += run;
                }
            }
        }
    }
}

/// What is added to a convolution's output before it leaves the cache.
struct Epilogue<'a> {
    bias: &'a [f32],
    residual: Option<&'a [f32]>,
    relu: bool,
    l: usize,
    c_out: usize,
}

impl Epilogue<'_> {
    /// Bias, residual and ReLU on columns `t0..t0 + tn` of channels `rows`
    /// of image `img`.
    ///
    /// # Safety
    /// Those elements of `dst` are written and owned by the caller.
    unsafe fn apply(&self, dst: *mut f32, img: usize, t0: usize, tn: usize, rows: Range<usize>) {
        for co in rows {
            // SAFETY: forwarded from the caller.
            unsafe { self.apply_row(dst, img, co, t0, tn) };
        }
    }

    /// [`Epilogue::apply`] for one channel.
    ///
    /// # Safety
    /// As for [`Epilogue::apply`].
    unsafe fn apply_row(&self, dst: *mut f32, img: usize, co: usize, t0: usize, tn: usize) {
        let at = (img * self.c_out + co) * self.l + t0;
        // SAFETY: the caller owns these `tn` written elements.
        let out = unsafe { std::slice::from_raw_parts_mut(dst.add(at), tn) };
        let b = self.bias[co];
        match self.residual {
            Some(r) => {
                for (o, &r) in out.iter_mut().zip(&r[at..at + tn]) {
                    *o += b + r;
                }
            }
            None => out.iter_mut().for_each(|o| *o += b),
        }
        if self.relu {
            out.iter_mut().for_each(|o| *o = o.max(0.0));
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
            .map_or(self.stem.c_out, |b| b.conv3.c_out)
    }

    /// Pooled features `[n, feature_dim]` (row-major) of `x = [n, 3, h, w]`:
    /// stem + ReLU, 3×3/2 max-pool, the blocks, global average pool, as
    /// [`crate::FusedResNet::features`].
    pub fn features(&self, x: Vec<f32>, n: usize, h: usize, w: usize) -> Vec<f32> {
        assert_eq!(
            x.len(),
            n * self.stem.c_in * h * w,
            "input is not [n, 3, h, w]"
        );
        // A poisoned pool only holds buffers; reuse it.
        let mut pool = std::mem::take(&mut *self.pool.lock().unwrap_or_else(|e| e.into_inner()));
        let input = Act {
            data: x,
            n,
            c: self.stem.c_in,
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
            for used in [
                Some(a),
                Some(c),
                identity,
                Some(std::mem::replace(&mut x, out)),
            ] {
                if let Some(used) = used {
                    pool.give(used.data);
                }
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
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn random(rng: &mut ChaCha8Rng, n: usize) -> Vec<f32> {
        (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect()
    }

    /// The definition of a convolution, in f64: out[n, o, y, x] = b[o] +
    /// Σ W[o, c, i, j] · x[n, c, y·s − p + i, x·s − p + j], zero outside.
    fn naive(conv: &Conv, x: &Act) -> Vec<f64> {
        let (ho, wo) = conv.out_dims(x.h, x.w);
        let [k1, k2] = conv.kernel;
        let mut out = vec![0.0; x.n * conv.c_out * ho * wo];
        for n in 0..x.n {
            for o in 0..conv.c_out {
                for y in 0..ho {
                    for xo in 0..wo {
                        let mut s = f64::from(conv.bias[o]);
                        for c in 0..conv.c_in {
                            for i in 0..k1 {
                                for j in 0..k2 {
                                    let iy = (y * conv.stride[0] + i) as isize
                                        - conv.padding[0] as isize;
                                    let ix = (xo * conv.stride[1] + j) as isize
                                        - conv.padding[1] as isize;
                                    if iy < 0 || ix < 0 || iy >= x.h as isize || ix >= x.w as isize
                                    {
                                        continue;
                                    }
                                    let wv = conv.weight[((o * conv.c_in + c) * k1 + i) * k2 + j];
                                    let xv = x.data
                                        [((n * x.c + c) * x.h + iy as usize) * x.w + ix as usize];
                                    s += f64::from(wv) * f64::from(xv);
                                }
                            }
                        }
                        out[((n * conv.c_out + o) * ho + y) * wo + xo] = s;
                    }
                }
            }
        }
        out
    }

    /// Each geometry of the ResNet (7×7/2 stem, 3×3/1, 3×3/2, 1×1/1, 1×1/2)
    /// and a 1×3 kernel, on odd image sizes whose tiles start mid-row, with
    /// bias, residual and ReLU, on 1 and 3 threads (whole-GEMM and tiled
    /// paths), against the definition.
    #[test]
    fn convolutions_match_the_definition() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let cases = [
            (3, 5, [7, 7], 2, 3, 2, 23, 19),
            (4, 6, [3, 3], 1, 1, 2, 13, 11),
            (4, 6, [3, 3], 2, 1, 1, 13, 12),
            (6, 9, [1, 1], 1, 0, 3, 9, 7),
            (6, 9, [1, 1], 2, 0, 2, 9, 7),
            (2, 3, [1, 3], 1, 1, 1, 5, 4),
            (3, 4, [3, 3], 2, 1, 1, 1, 1),
        ];
        for (c_in, c_out, kernel, s, p, n, h, w) in cases {
            let conv = Conv {
                weight: random(&mut rng, c_out * c_in * kernel[0] * kernel[1]),
                bias: random(&mut rng, c_out),
                c_in,
                c_out,
                kernel,
                stride: [s, s],
                padding: [p, p],
            };
            let x = Act {
                data: random(&mut rng, n * c_in * h * w),
                n,
                c: c_in,
                h,
                w,
            };
            let want = naive(&conv, &x);
            let (ho, wo) = conv.out_dims(h, w);
            let res = Act {
                data: random(&mut rng, want.len()),
                n,
                c: c_out,
                h: ho,
                w: wo,
            };
            for threads in [1, 3] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let (plain, fused) = pool.install(|| {
                    let mut buffers = Pool::default();
                    let plain = conv.forward(&x, None, false, &mut buffers);
                    let fused = conv.forward(&x, Some(&res), true, &mut buffers);
                    (plain, fused)
                });
                assert_eq!((plain.c, plain.h, plain.w), (c_out, ho, wo));
                let what = format!("{kernel:?}/{s} p{p} {n}×{h}×{w}, {threads} threads");
                for (i, &v) in want.iter().enumerate() {
                    assert!((f64::from(plain.data[i]) - v).abs() < 1e-5, "{what}: [{i}]");
                    let f = (v + f64::from(res.data[i])).max(0.0);
                    assert!(
                        (f64::from(fused.data[i]) - f).abs() < 1e-5,
                        "{what}: fused [{i}]"
                    );
                }
            }
        }
    }

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
