//! 2-D convolutions on plain f32 NCHW slices as tiled implicit GEMMs: the
//! forward pass with a fused epilogue (bias, residual, ReLU), the input
//! gradient and the weight gradient. Used on flex by inference
//! ([`crate::cpu`]) and training ([`crate::conv`]).
//!
//! Burn's flex backend runs a k×k convolution as one im2col matrix per image
//! (`[C_in·k·k, H·W]`, 7 MiB for layer1's 3×3 convolutions at 224 px)
//! followed by a GEMM and separate passes for the bias, ReLU and residual
//! add; on two cores that matrix streams through memory twice and each
//! elementwise pass once more. Here the output columns of each image are cut
//! into tiles whose im2col block stays in the core's L2 cache: a worker
//! builds the block, multiplies it with one single-threaded call of the
//! `gemm` crate (its AVX-512 or AVX2 micro-kernels, chosen at run time)
//! straight into the output, and finishes the tile while it is in cache
//! (oneDNN's conv "post-ops"; Chellapilla et al. 2006 for convolution as
//! im2col + GEMM). The gradients are the same GEMMs transposed, as in
//! PyTorch's `slow_conv2d_backward`: `dX = col2im(Wᵀ · dY)` and
//! `dW = Σ dY · im2col(X)ᵀ`, tile by tile.
//!
//! Each output element is one dot product accumulated in gemm's blocked
//! order, so results equal `Conv2d::forward` and Burn's autodiff gradients
//! up to f32 summation order. The tiling depends only on the shapes and the
//! thread count, so reruns are bit-for-bit identical.

use std::cell::RefCell;
use std::ops::Range;

use gemm::Parallelism;
use rayon::prelude::*;

/// Bytes of one im2col tile in the forward pass and the input gradient:
/// about half of a core's L2 cache on current x86 servers (ResNet50
/// inference at batch 16 on 2 cores: 192 KiB 37.6, 512 KiB 39.9, 1–2 MiB
/// 39.7–40.1 images/s). (A few hundred bytes in unit tests, so small layers
/// cross many tiles.)
const TILE_BYTES: usize = if cfg!(test) { 600 } else { 512 << 10 };

/// Tiles are multiples of this many output columns: gemm's AVX-512
/// micro-kernel covers 64 of them (rows of the transposed problem it
/// solves), and a ragged tile runs its slower edge kernels (ResNet50 at
/// batch 16, 192 KiB tiles: 30.8 images/s at arbitrary widths, 37.6 at
/// multiples of 64).
const COL_BLOCK: usize = if cfg!(test) { 4 } else { 64 };

/// Blocks of output channels are multiples of this many: the columns of
/// gemm's 64×6 AVX-512 micro-kernel in the transposed problem (ResNet50 at
/// batch 1: blocks of 64 channels ran its 4- and 2-column edge kernels for
/// 7% of the time).
const ROW_BLOCK: usize = 6;

/// Bytes of one im2col tile in the weight gradient, whose GEMM runs along
/// the tile (larger tiles, fewer passes over `dW`).
const WGRAD_TILE_BYTES: usize = if cfg!(test) { 2000 } else { 2 << 20 };

/// Most partial weight gradients summed at the end (independent of the
/// thread count, so the result is too). ResNet50 training on 2 cores,
/// images/s at batch 8 / 16: 1 part (gemm splitting each product) 8.5 /
/// 7.7, 2 parts 9.2 / 9.4, 8 parts 9.3 / 9.9.
const WGRAD_PARTS: usize = 8;

/// The memory the partial weight gradients may take; layers with larger
/// weights use fewer parts, each product split by gemm (zeroing and summing
/// 64 MiB of parts cost more than they saved).
const WGRAD_PARTS_BYTES: usize = 16 << 20;

/// Shape of a 2-D convolution without groups or dilation; its weight is
/// `[C_out, C_in·k₁·k₂]` row-major (torch's and Burn's order, which is also
/// the im2col row order `c·k₁·k₂ + i·k₂ + j`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    /// Input channels.
    pub c_in: usize,
    /// Output channels.
    pub c_out: usize,
    /// Kernel height and width.
    pub kernel: [usize; 2],
    /// Stride along height and width.
    pub stride: [usize; 2],
    /// Zero padding on each side, along height and width.
    pub padding: [usize; 2],
}

/// A batch `[n, C, h, w]` (contiguous) read by a convolution.
#[derive(Debug, Clone, Copy)]
pub struct Images<'a> {
    /// The values, image by image.
    pub data: &'a [f32],
    /// Images.
    pub n: usize,
    /// Height.
    pub h: usize,
    /// Width.
    pub w: usize,
}

/// What is added to the forward output before it leaves the cache: the
/// bias `[C_out]`, a residual shaped as the output, then ReLU.
#[derive(Debug, Clone, Copy, Default)]
pub struct Epilogue<'a> {
    /// Per-channel bias.
    pub bias: Option<&'a [f32]>,
    /// Added elementwise (`[n, C_out, h_out, w_out]`).
    pub residual: Option<&'a [f32]>,
    /// `max(·, 0)` last.
    pub relu: bool,
}

/// A pointer shared by the workers of one operation, each of which touches
/// a disjoint part of what it points to.
#[derive(Clone, Copy)]
struct Shared<T>(T);
// SAFETY: the workers write disjoint blocks (see each use), and the buffer
// outlives the parallel loop that uses the pointer.
unsafe impl<T> Send for Shared<T> {}
// SAFETY: as for Send.
unsafe impl<T> Sync for Shared<T> {}

impl<T: Copy> Shared<T> {
    /// The pointer (a method, so closures capture the wrapper, not the raw
    /// pointer inside it).
    fn get(self) -> T {
        self.0
    }
}

thread_local! {
    /// Per-thread scratch for im2col blocks, kept between calls (rayon's
    /// workers live as long as their pool), so tiles neither allocate nor
    /// page-fault.
    static SCRATCH: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// `f` with this thread's scratch buffer, or a fresh one when the thread is
/// already using it (a task stolen while it waits inside a parallel gemm).
fn with_scratch<R>(f: impl FnOnce(&mut Vec<f32>) -> R) -> R {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buffer) => f(&mut buffer),
        Err(_) => f(&mut Vec::new()),
    })
}

/// A strided matrix operand of [`matmul`]: pointer, row stride, column stride.
type Operand = (*const f32, usize, usize);

/// `dst (m × n, row stride dst_rs) = [dst +] lhs (m × k) · rhs (k × n)`, one
/// call of the gemm crate.
///
/// # Safety
/// The operands hold the elements their strides address; nothing else
/// writes `dst`'s block meanwhile.
#[allow(clippy::too_many_arguments)]
unsafe fn matmul(
    [m, n, k]: [usize; 3],
    dst: *mut f32,
    dst_rs: usize,
    accumulate: bool,
    lhs: Operand,
    rhs: Operand,
    parallelism: Parallelism,
) {
    // SAFETY: the caller's contract.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst,
            1,
            dst_rs as isize,
            accumulate,
            lhs.0,
            lhs.2 as isize,
            lhs.1 as isize,
            rhs.0,
            rhs.2 as isize,
            rhs.1 as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        )
    };
}

impl Geometry {
    /// Output height and width for an input of `h × w`.
    pub fn out_dims(&self, h: usize, w: usize) -> (usize, usize) {
        let [k1, k2] = self.kernel;
        let [s1, s2] = self.stride;
        let [p1, p2] = self.padding;
        ((h + 2 * p1 - k1) / s1 + 1, (w + 2 * p2 - k2) / s2 + 1)
    }

    /// Rows of the im2col matrix, `C_in·k₁·k₂`.
    pub fn depth(&self) -> usize {
        self.c_in * self.kernel[0] * self.kernel[1]
    }

    /// Whether the input itself is the im2col matrix (1×1, stride 1, no padding).
    fn direct(&self) -> bool {
        self.kernel == [1, 1] && self.stride == [1, 1] && self.padding == [0, 0]
    }

    /// Columns per tile for an im2col block of about `bytes`, a multiple of
    /// [`COL_BLOCK`].
    fn tile(&self, bytes: usize) -> usize {
        (bytes / (4 * self.depth())).div_ceil(COL_BLOCK).max(1) * COL_BLOCK
    }

    /// `relu?(conv(x) + bias + residual)` into `out` (cleared; its capacity
    /// is reused), `[n, C_out, h_out, w_out]`.
    ///
    /// With enough output columns over the batch, workers take tiles of one
    /// image, all output channels each; otherwise (late layers at small
    /// batches) each image's im2col matrix is built once and workers take
    /// blocks of output channels.
    pub fn forward(
        &self,
        weight: &[f32],
        x: Images,
        epilogue: Epilogue,
        mut out: Vec<f32>,
    ) -> Vec<f32> {
        let (ho, wo) = self.out_dims(x.h, x.w);
        let (n, l, k) = (x.n, ho * wo, self.depth());
        let len = n * self.c_out * l;
        assert_eq!(weight.len(), self.c_out * k, "weight shape");
        assert_eq!(x.data.len(), n * self.c_in * x.h * x.w, "input shape");
        if let Some(r) = epilogue.residual {
            assert_eq!(r.len(), len, "residual shape");
        }
        out.clear();
        out.reserve_exact(len);
        let dst = Shared(out.as_mut_ptr());
        let plane = self.c_in * x.h * x.w;
        let threads = rayon::current_num_threads().max(1);
        let tile = self.tile(TILE_BYTES);
        let tiles = l.div_ceil(tile);
        let lhs = Shared((weight.as_ptr(), k, 1));
        if n * tiles >= 2 * threads || threads == 1 {
            (0..n * tiles).into_par_iter().for_each(|task| {
                with_scratch(|cols| {
                    let (img, t0) = (task / tiles, (task % tiles) * tile);
                    let tn = tile.min(l - t0);
                    let image = &x.data[img * plane..(img + 1) * plane];
                    let rhs = self.columns(image, x.h, x.w, wo, t0, tn, cols);
                    // SAFETY: `rhs` is a [k, tn] block of `image` or `cols`;
                    // the (img, t0) tiles of the output are disjoint, each
                    // written and then finished by this worker alone.
                    unsafe {
                        let at = dst.get().add(img * self.c_out * l + t0);
                        matmul(
                            [self.c_out, tn, k],
                            at,
                            l,
                            false,
                            lhs.get(),
                            rhs,
                            Parallelism::None,
                        );
                        self.finish(at, l, img, t0, tn, 0..self.c_out, &epilogue, l);
                    }
                })
            });
        } else {
            // About four blocks per worker, each a multiple of ROW_BLOCK
            // channels (only the last one ragged).
            let blocks = (4 * threads).min(self.c_out.div_ceil(ROW_BLOCK)).max(1);
            let per_block = self.c_out.div_ceil(blocks).div_ceil(ROW_BLOCK) * ROW_BLOCK;
            with_scratch(|cols| {
                for img in 0..n {
                    let image = &x.data[img * plane..(img + 1) * plane];
                    let rhs = Shared(self.columns_parallel(image, x.h, x.w, wo, cols));
                    (0..self.c_out.div_ceil(per_block))
                        .into_par_iter()
                        .for_each(|b| {
                            let rows = b * per_block..((b + 1) * per_block).min(self.c_out);
                            let lhs = (weight[rows.start * k..].as_ptr(), k, 1);
                            // SAFETY: `rhs` is this image's [k, l] matrix; the
                            // blocks of output channels are disjoint, each
                            // written and finished by one worker.
                            unsafe {
                                let at = dst.get().add((img * self.c_out + rows.start) * l);
                                matmul(
                                    [rows.len(), l, k],
                                    at,
                                    l,
                                    false,
                                    lhs,
                                    rhs.get(),
                                    Parallelism::None,
                                );
                                self.finish(at, l, img, 0, l, rows, &epilogue, l);
                            }
                        });
                }
            });
        }
        // SAFETY: every one of the `len` elements was written above.
        unsafe { out.set_len(len) };
        out
    }

    /// The epilogue on the block `rows × t0..t0 + tn` of image `img`, whose
    /// first row starts at `at` (row stride `rs`).
    ///
    /// # Safety
    /// The block is written and owned by the caller.
    #[allow(clippy::too_many_arguments)]
    unsafe fn finish(
        &self,
        at: *mut f32,
        rs: usize,
        img: usize,
        t0: usize,
        tn: usize,
        rows: Range<usize>,
        epilogue: &Epilogue,
        l: usize,
    ) {
        if epilogue.bias.is_none() && epilogue.residual.is_none() && !epilogue.relu {
            return;
        }
        for (i, co) in rows.enumerate() {
            // SAFETY: the caller owns these `tn` written elements.
            let out = unsafe { std::slice::from_raw_parts_mut(at.add(i * rs), tn) };
            let b = epilogue.bias.map_or(0.0, |b| b[co]);
            match epilogue.residual {
                Some(r) => {
                    let r0 = (img * self.c_out + co) * l + t0;
                    for (o, &r) in out.iter_mut().zip(&r[r0..r0 + tn]) {
                        *o += b + r;
                    }
                }
                None if b != 0.0 => out.iter_mut().for_each(|o| *o += b),
                None => {}
            }
            if epilogue.relu {
                out.iter_mut().for_each(|o| *o = o.max(0.0));
            }
        }
    }

    /// The `[k, tn]` im2col block of output columns `t0..t0 + tn` of one
    /// image: the image itself for a direct convolution, else built in `cols`.
    #[allow(clippy::too_many_arguments)]
    fn columns(
        &self,
        image: &[f32],
        h: usize,
        w: usize,
        wo: usize,
        t0: usize,
        tn: usize,
        cols: &mut Vec<f32>,
    ) -> Operand {
        if self.direct() {
            return (image[t0..].as_ptr(), h * w, 1);
        }
        // Every element is written below; the buffer only grows.
        if cols.len() < self.depth() * tn {
            cols.resize(self.depth() * tn, 0.0);
        }
        let per_channel = self.kernel[0] * self.kernel[1] * tn;
        for (c, rows) in cols[..self.depth() * tn]
            .chunks_exact_mut(per_channel)
            .enumerate()
        {
            self.im2col_channel(&image[c * h * w..(c + 1) * h * w], w, h, wo, t0, tn, rows);
        }
        (cols.as_ptr(), tn, 1)
    }

    /// [`Geometry::columns`] of a whole image, channels in parallel.
    fn columns_parallel(
        &self,
        image: &[f32],
        h: usize,
        w: usize,
        wo: usize,
        cols: &mut Vec<f32>,
    ) -> Operand {
        let l = self.out_dims(h, w).0 * wo;
        if self.direct() {
            return (image.as_ptr(), l, 1);
        }
        // Every element is written below; the buffer only grows.
        if cols.len() < self.depth() * l {
            cols.resize(self.depth() * l, 0.0);
        }
        let per_channel = self.kernel[0] * self.kernel[1] * l;
        cols[..self.depth() * l]
            .par_chunks_mut(per_channel)
            .enumerate()
            .for_each(|(c, rows)| {
                self.im2col_channel(&image[c * h * w..(c + 1) * h * w], w, h, wo, 0, l, rows)
            });
        (cols.as_ptr(), l, 1)
    }

    /// `dX = col2im(Wᵀ · dY)`, `[n, C_in, h, w]`, for the output gradient
    /// `dy = [n, C_out, h_out, w_out]` of an input of `n × h × w`.
    ///
    /// A direct convolution's `dX` is `Wᵀ · dY` itself, tiles of all images
    /// in parallel. Otherwise images run in parallel, each through its tiles
    /// in order (neighbouring tiles add into the same input pixels), or with
    /// fewer images than threads one image at a time with the GEMM split by
    /// gemm and the scatter by channel.
    pub fn input_grad(&self, weight: &[f32], dy: &[f32], n: usize, h: usize, w: usize) -> Vec<f32> {
        let (ho, wo) = self.out_dims(h, w);
        let (l, k, plane) = (ho * wo, self.depth(), self.c_in * h * w);
        assert_eq!(weight.len(), self.c_out * k, "weight shape");
        assert_eq!(dy.len(), n * self.c_out * l, "output gradient shape");
        // Wᵀ: element (r, co) at weight[co·k + r].
        let wt = Shared((weight.as_ptr(), 1, k));
        let threads = rayon::current_num_threads().max(1);
        let tile = self.tile(TILE_BYTES);
        if self.direct() {
            let mut dx = Vec::<f32>::with_capacity(n * plane);
            let out = Shared(dx.as_mut_ptr());
            let tiles = l.div_ceil(tile);
            (0..n * tiles).into_par_iter().for_each(|task| {
                let (img, t0) = (task / tiles, (task % tiles) * tile);
                let tn = tile.min(l - t0);
                let rhs = (dy[img * self.c_out * l + t0..].as_ptr(), l, 1);
                // SAFETY: dX's (img, t0) tiles ([C_in, tn], row stride l) are
                // disjoint; dY's block lies inside `dy`.
                unsafe {
                    let at = out.get().add(img * plane + t0);
                    matmul(
                        [self.c_in, tn, self.c_out],
                        at,
                        l,
                        false,
                        wt.get(),
                        rhs,
                        Parallelism::None,
                    );
                }
            });
            // SAFETY: every element was written by exactly one tile above.
            unsafe { dx.set_len(n * plane) };
            return dx;
        }
        let mut dx = vec![0.0f32; n * plane];
        if n >= threads {
            dx.par_chunks_mut(plane).enumerate().for_each(|(img, dxi)| {
                with_scratch(|dcols| {
                    self.col2im_image(wt.get(), dy, img, dxi, h, w, tile, dcols, false)
                })
            });
        } else {
            with_scratch(|dcols| {
                for (img, dxi) in dx.chunks_mut(plane).enumerate() {
                    self.col2im_image(wt.get(), dy, img, dxi, h, w, tile, dcols, true);
                }
            });
        }
        dx
    }

    /// `dX` of image `img` into `dxi`: tile by tile, `Wᵀ · dY` into `dcols`
    /// and its scatter onto the input channels; with `parallel`, the GEMM
    /// split by gemm and the scatter by channel (the same sums in the same
    /// order either way).
    #[allow(clippy::too_many_arguments)]
    fn col2im_image(
        &self,
        wt: Operand,
        dy: &[f32],
        img: usize,
        dxi: &mut [f32],
        h: usize,
        w: usize,
        tile: usize,
        dcols: &mut Vec<f32>,
        parallel: bool,
    ) {
        let (ho, wo) = self.out_dims(h, w);
        let (l, k) = (ho * wo, self.depth());
        let per_channel = self.kernel[0] * self.kernel[1];
        for t0 in (0..l).step_by(tile) {
            let tn = tile.min(l - t0);
            // Overwritten by the GEMM; the buffer only grows.
            if dcols.len() < k * tn {
                dcols.resize(k * tn, 0.0);
            }
            let rhs = (dy[img * self.c_out * l + t0..].as_ptr(), l, 1);
            let parallelism = if parallel {
                Parallelism::Rayon(rayon::current_num_threads().max(1))
            } else {
                Parallelism::None
            };
            // SAFETY: `dcols` is this caller's [k, tn] buffer; `wt` is the
            // caller's Wᵀ and dY's block lies inside `dy`.
            unsafe {
                matmul(
                    [k, tn, self.c_out],
                    dcols.as_mut_ptr(),
                    tn,
                    false,
                    wt,
                    rhs,
                    parallelism,
                )
            };
            if parallel {
                dxi.par_chunks_mut(h * w)
                    .zip(dcols.par_chunks(per_channel * tn))
                    .for_each(|(plane, rows)| self.col2im_channel(plane, w, h, wo, t0, tn, rows));
            } else {
                for (plane, rows) in dxi.chunks_mut(h * w).zip(dcols.chunks(per_channel * tn)) {
                    self.col2im_channel(plane, w, h, wo, t0, tn, rows);
                }
            }
        }
    }

    /// `dW = Σₙ dYₙ · im2col(xₙ)ᵀ`, `[C_out, C_in·k₁·k₂]`.
    ///
    /// The (image, tile) products are summed in a fixed number of partial
    /// gradients (each a run of consecutive tiles, in parallel; with fewer
    /// parts than threads gemm splits each product), then the parts in
    /// order: the same sums for every thread count.
    pub fn weight_grad(&self, x: Images, dy: &[f32]) -> Vec<f32> {
        let (ho, wo) = self.out_dims(x.h, x.w);
        let (n, l, k, plane) = (x.n, ho * wo, self.depth(), self.c_in * x.h * x.w);
        assert_eq!(x.data.len(), n * plane, "input shape");
        assert_eq!(dy.len(), n * self.c_out * l, "output gradient shape");
        let size = self.c_out * k;
        let tile = if self.direct() {
            l
        } else {
            self.tile(WGRAD_TILE_BYTES).min(l)
        };
        let tiles = l.div_ceil(tile);
        let tasks = n * tiles;
        let parts = tasks
            .min(WGRAD_PARTS)
            .min((WGRAD_PARTS_BYTES / (4 * size)).max(1));
        let threads = rayon::current_num_threads().max(1);
        let parallelism = if parts >= threads {
            Parallelism::None
        } else {
            Parallelism::Rayon(threads.div_ceil(parts))
        };
        let partial: Vec<Vec<f32>> = (0..parts)
            .into_par_iter()
            .map(|p| {
                let mut dw = Vec::with_capacity(size);
                let run = p * tasks / parts..(p + 1) * tasks / parts;
                let first = run.start;
                with_scratch(|cols| {
                    for task in run {
                        let (img, t0) = (task / tiles, (task % tiles) * tile);
                        let tn = tile.min(l - t0);
                        let image = &x.data[img * plane..(img + 1) * plane];
                        let (c, rs, _) = self.columns(image, x.h, x.w, wo, t0, tn, cols);
                        // im2col block transposed: element (t, r) at c[r·rs + t].
                        let rhs = (c, 1, rs);
                        let lhs = (dy[img * self.c_out * l + t0..].as_ptr(), l, 1);
                        // SAFETY: `dw` is this part's own [C_out, k] sum (its
                        // capacity), written whole by the first product and
                        // accumulated by the others; the operands lie in `dy`
                        // and `image`/`cols`.
                        unsafe {
                            matmul(
                                [self.c_out, k, tn],
                                dw.as_mut_ptr(),
                                k,
                                task != first,
                                lhs,
                                rhs,
                                parallelism,
                            )
                        };
                    }
                });
                // SAFETY: the part's first product wrote all `size` elements
                // (each part has at least one task: parts <= tasks).
                unsafe { dw.set_len(size) };
                dw
            })
            .collect();
        let mut parts = partial.into_iter();
        // Invariant: parts >= 1, since a convolution's output has columns.
        let mut dw = parts.next().expect("one part");
        for part in parts {
            dw.par_iter_mut().zip(&part).for_each(|(a, b)| *a += b);
        }
        dw
    }

    /// Calls `f(row, j, len, Some((start, step)))` for each run of `len`
    /// columns `j..j + len` of im2col row `row` (kernel offset `i·k₂ + j`)
    /// over output columns `t0..t0 + tn` that reads input pixels
    /// `start, start + step, …` of an `h × w` plane, and
    /// `f(row, j, len, None)` for each run that reads the padding.
    #[allow(clippy::too_many_arguments)]
    fn runs(
        &self,
        w: usize,
        h: usize,
        wo: usize,
        t0: usize,
        tn: usize,
        mut f: impl FnMut(usize, usize, usize, Option<(usize, usize)>),
    ) {
        let [k1, k2] = self.kernel;
        let [s1, s2] = self.stride;
        let [p1, p2] = self.padding;
        for ki in 0..k1 {
            for kj in 0..k2 {
                let row = ki * k2 + kj;
                // Output columns ox whose input column ox·s2 + kj − p2 lies
                // in 0..w.
                let lo = p2.saturating_sub(kj).div_ceil(s2);
                let hi = (w + p2).saturating_sub(kj).div_ceil(s2).min(wo);
                let (mut j, mut oy, mut ox0) = (0, t0 / wo, t0 % wo);
                while j < tn {
                    let run = (wo - ox0).min(tn - j);
                    match (oy * s1 + ki).checked_sub(p1).filter(|&iy| iy < h) {
                        None => f(row, j, run, None),
                        Some(iy) => {
                            let a = lo.clamp(ox0, ox0 + run);
                            let b = hi.clamp(a, ox0 + run);
                            if a > ox0 {
                                f(row, j, a - ox0, None);
                            }
                            if b > a {
                                // a ≥ lo, so a·s2 + kj ≥ p2.
                                let start = iy * w + a * s2 + kj - p2;
                                f(row, j + a - ox0, b - a, Some((start, s2)));
                            }
                            if ox0 + run > b {
                                f(row, j + b - ox0, ox0 + run - b, None);
                            }
                        }
                    }
                    j += run;
                    (oy, ox0) = (oy + 1, 0);
                }
            }
        }
    }

    /// The `k₁·k₂` im2col rows (`tn` columns each, from output column `t0`)
    /// of one input channel `plane` (`h × w`), zeros over the padding.
    #[allow(clippy::too_many_arguments)]
    fn im2col_channel(
        &self,
        plane: &[f32],
        w: usize,
        h: usize,
        wo: usize,
        t0: usize,
        tn: usize,
        rows: &mut [f32],
    ) {
        self.runs(w, h, wo, t0, tn, |row, j, len, src| {
            let seg = &mut rows[row * tn + j..row * tn + j + len];
            match src {
                None => seg.fill(0.0),
                Some((start, 1)) => seg.copy_from_slice(&plane[start..start + len]),
                Some((start, step)) => {
                    for (q, v) in seg.iter_mut().enumerate() {
                        *v = plane[start + q * step];
                    }
                }
            }
        });
    }

    /// Adds `k₁·k₂` im2col rows back onto the pixels of one input channel
    /// they were read from (the adjoint of [`Geometry::im2col_channel`]).
    #[allow(clippy::too_many_arguments)]
    fn col2im_channel(
        &self,
        plane: &mut [f32],
        w: usize,
        h: usize,
        wo: usize,
        t0: usize,
        tn: usize,
        rows: &[f32],
    ) {
        self.runs(w, h, wo, t0, tn, |row, j, len, src| {
            if let Some((start, step)) = src {
                let seg = &rows[row * tn + j..row * tn + j + len];
                if step == 1 {
                    for (p, v) in plane[start..start + len].iter_mut().zip(seg) {
                        *p += v;
                    }
                } else {
                    for (q, v) in seg.iter().enumerate() {
                        plane[start + q * step] += v;
                    }
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn random(rng: &mut ChaCha8Rng, n: usize) -> Vec<f32> {
        (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect()
    }

    /// Calls `f(out_index, weight_index, input_index)` for every product of
    /// the definition of a convolution: out[n, o, y, x] =
    /// Σ W[o, c, i, j] · x[n, c, y·s − p + i, x·s − p + j] over the pixels
    /// inside the image.
    fn definition(
        g: &Geometry,
        n: usize,
        h: usize,
        w: usize,
        mut f: impl FnMut(usize, usize, usize),
    ) {
        let (ho, wo) = g.out_dims(h, w);
        let [k1, k2] = g.kernel;
        for b in 0..n {
            for o in 0..g.c_out {
                for y in 0..ho {
                    for xo in 0..wo {
                        for c in 0..g.c_in {
                            for i in 0..k1 {
                                for j in 0..k2 {
                                    let iy = (y * g.stride[0] + i) as isize - g.padding[0] as isize;
                                    let ix =
                                        (xo * g.stride[1] + j) as isize - g.padding[1] as isize;
                                    if iy < 0 || ix < 0 || iy >= h as isize || ix >= w as isize {
                                        continue;
                                    }
                                    f(
                                        ((b * g.c_out + o) * ho + y) * wo + xo,
                                        ((o * g.c_in + c) * k1 + i) * k2 + j,
                                        ((b * g.c_in + c) * h + iy as usize) * w + ix as usize,
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    fn close(got: &[f32], want: &[f64], what: &str) {
        assert_eq!(got.len(), want.len(), "{what}: length");
        for (i, (&g, &v)) in got.iter().zip(want).enumerate() {
            assert!((f64::from(g) - v).abs() < 1e-4, "{what}: [{i}] {g} vs {v}");
        }
    }

    /// Each geometry of the ResNet (7×7/2 stem, 3×3/1, 3×3/2, 1×1/1, 1×1/2),
    /// a 1×3 kernel and a 1×1 output, on odd image sizes whose tiles start
    /// mid-row, on 1 and 3 threads (both paths of each operation): the
    /// forward pass (with bias, residual and ReLU), the input gradient and
    /// the weight gradient of `Σ out ⊙ r` against the definition in f64.
    #[test]
    fn convolution_and_gradients_match_the_definition() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let cases = [
            (3, 5, [7, 7], 2, 3, 2, 23, 19),
            (4, 6, [3, 3], 1, 1, 5, 13, 11),
            (4, 6, [3, 3], 2, 1, 1, 13, 12),
            (6, 9, [1, 1], 1, 0, 3, 9, 7),
            (6, 9, [1, 1], 2, 0, 2, 9, 7),
            (2, 3, [1, 3], 1, 1, 1, 5, 4),
            (3, 4, [3, 3], 2, 1, 4, 1, 1),
        ];
        for (c_in, c_out, kernel, s, p, n, h, w) in cases {
            let g = Geometry {
                c_in,
                c_out,
                kernel,
                stride: [s, s],
                padding: [p, p],
            };
            let weight = random(&mut rng, c_out * g.depth());
            let bias = random(&mut rng, c_out);
            let x = random(&mut rng, n * c_in * h * w);
            let (ho, wo) = g.out_dims(h, w);
            let r = random(&mut rng, n * c_out * ho * wo);
            let res = random(&mut rng, r.len());
            let (mut y, mut dx, mut dw) = (
                vec![0.0; r.len()],
                vec![0.0; x.len()],
                vec![0.0; weight.len()],
            );
            definition(&g, n, h, w, |o, wi, xi| {
                y[o] += f64::from(weight[wi]) * f64::from(x[xi]);
                dx[xi] += f64::from(weight[wi]) * f64::from(r[o]);
                dw[wi] += f64::from(x[xi]) * f64::from(r[o]);
            });
            let fused: Vec<f64> = y
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    (v + f64::from(bias[i / (ho * wo) % c_out]) + f64::from(res[i])).max(0.0)
                })
                .collect();
            let images = Images { data: &x, n, h, w };
            let mut runs = Vec::new();
            for threads in [1, 3] {
                let what = format!("{kernel:?}/{s} p{p} {n}×{h}×{w}, {threads} threads");
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let got = pool.install(|| {
                    let epilogue = Epilogue {
                        bias: Some(&bias),
                        residual: Some(&res),
                        relu: true,
                    };
                    [
                        g.forward(&weight, images, Epilogue::default(), Vec::new()),
                        g.forward(&weight, images, epilogue, Vec::new()),
                        g.input_grad(&weight, &r, n, h, w),
                        g.weight_grad(images, &r),
                    ]
                });
                close(&got[0], &y, &what);
                close(&got[1], &fused, &format!("{what} fused"));
                close(&got[2], &dx, &format!("{what} dX"));
                close(&got[3], &dw, &format!("{what} dW"));
                runs.push(got);
            }
            // The same bits whatever the thread count (module doc).
            for (op, (a, b)) in ["forward", "fused", "dX", "dW"]
                .iter()
                .zip(runs[0].iter().zip(&runs[1]))
            {
                let same = a.iter().zip(b).all(|(u, v)| u.to_bits() == v.to_bits());
                assert!(
                    same,
                    "{kernel:?}/{s} n{n}: {op} differs between 1 and 3 threads"
                );
            }
        }
    }
}
