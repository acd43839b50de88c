//! The vector kernels of the coordinate descent: dot product, weighted sum of
//! squares (alone and fused with a dot product), the naive residual update and
//! the 16-bit screening dot product. Hand-written because these loops are the
//! whole cost of the solver; no crate offers them on plain slices without
//! pulling in a BLAS.
//!
//! Each sum runs over 16 lanes (element i of each block of 16 goes to lane
//! i mod 16), the leftover elements are added in order, and the lanes are
//! combined in one fixed tree ([`reduce`]). On x86-64 with AVX2 the lanes are
//! four 256-bit registers written with intrinsics (independent of the
//! optimisation level, which left the earlier portable loops scalar); elsewhere
//! the portable version does the same operations in the same order, without
//! fused multiply-adds, so both give the same bits.

/// Lanes per block.
const L: usize = 16;

/// The fixed combination of the 16 lanes and the tail: lanes `l`, `l + 8`
/// first, then `+4`, then the four partial sums pairwise.
#[inline(always)]
fn reduce(acc: &[f64; L], tail: f64) -> f64 {
    let t0: [f64; 4] = std::array::from_fn(|l| acc[l] + acc[8 + l]);
    let t1: [f64; 4] = std::array::from_fn(|l| acc[4 + l] + acc[12 + l]);
    let u: [f64; 4] = std::array::from_fn(|l| t0[l] + t1[l]);
    finish(u, tail)
}

#[inline(always)]
fn finish(u: [f64; 4], tail: f64) -> f64 {
    ((u[0] + u[2]) + (u[1] + u[3])) + tail
}

mod portable {
    use super::{L, reduce};

    pub(super) fn dot(a: &[f64], b: &[f64]) -> f64 {
        let n = a.len().min(b.len());
        let blocks = n / L * L;
        let mut acc = [0.0f64; L];
        for (x, y) in a[..blocks].chunks_exact(L).zip(b[..blocks].chunks_exact(L)) {
            for l in 0..L {
                acc[l] += x[l] * y[l];
            }
        }
        let mut tail = 0.0;
        for i in blocks..n {
            tail += a[i] * b[i];
        }
        reduce(&acc, tail)
    }

    pub(super) fn dot_wss(r: &[f64], v: &[f64], x: &[f64]) -> (f64, f64) {
        let n = r.len().min(v.len()).min(x.len());
        let blocks = n / L * L;
        let mut g = [0.0f64; L];
        let mut s = [0.0f64; L];
        for c in (0..blocks).step_by(L) {
            for l in 0..L {
                let i = c + l;
                g[l] += r[i] * x[i];
                s[l] += v[i] * x[i] * x[i];
            }
        }
        let (mut tg, mut ts) = (0.0, 0.0);
        for i in blocks..n {
            tg += r[i] * x[i];
            ts += v[i] * x[i] * x[i];
        }
        (reduce(&g, tg), reduce(&s, ts))
    }

    pub(super) fn axpy(r: &mut [f64], d: f64, v: &[f64], x: &[f64]) {
        for ((ri, &vi), &xi) in r.iter_mut().zip(v).zip(x) {
            *ri -= d * vi * xi;
        }
    }

    pub(super) fn add_scaled(e: &mut [f64], b: f64, x: &[f64]) {
        for (ei, &xi) in e.iter_mut().zip(x) {
            *ei += b * xi;
        }
    }

    pub(super) fn center_scale(x: &mut [f64], m: f64, s: f64) {
        for xi in x.iter_mut() {
            *xi = (*xi - m) / s;
        }
    }

    // Lane l of block c is element c + l, as in the AVX2 registers.
    #[allow(clippy::needless_range_loop)]
    pub(super) fn update_dot(r: &mut [f64], d: f64, v: &[f64], xa: &[f64], xb: &[f64]) -> f64 {
        let n = r.len().min(v.len()).min(xa.len()).min(xb.len());
        let blocks = n / L * L;
        let mut acc = [0.0f64; L];
        for c in (0..blocks).step_by(L) {
            for l in 0..L {
                let i = c + l;
                r[i] -= d * v[i] * xa[i];
                acc[l] += r[i] * xb[i];
            }
        }
        let mut tail = 0.0;
        for i in blocks..n {
            r[i] -= d * v[i] * xa[i];
            tail += r[i] * xb[i];
        }
        reduce(&acc, tail)
    }

    pub(super) fn dot_i16(q: &[i16], r: &[f64]) -> (f64, f64) {
        let n = q.len().min(r.len());
        let blocks = n / L * L;
        let mut s = [0.0f64; L];
        let mut a = [0.0f64; L];
        for c in (0..blocks).step_by(L) {
            for l in 0..L {
                s[l] += f64::from(q[c + l]) * r[c + l];
                a[l] += r[c + l].abs();
            }
        }
        let (mut ts, mut ta) = (0.0, 0.0);
        for i in blocks..n {
            ts += f64::from(q[i]) * r[i];
            ta += r[i].abs();
        }
        (reduce(&s, ts), reduce(&a, ta))
    }

    pub(super) fn dot_i16_f32(q: &[i16], r: &[f32]) -> f32 {
        let n = q.len().min(r.len());
        let blocks = n / L * L;
        let mut s = [0.0f32; L];
        for c in (0..blocks).step_by(L) {
            for l in 0..L {
                s[l] += f32::from(q[c + l]) * r[c + l];
            }
        }
        let mut ts = 0.0f32;
        for i in blocks..n {
            ts += f32::from(q[i]) * r[i];
        }
        let u: [f32; 8] = std::array::from_fn(|l| s[l] + s[8 + l]);
        ((u[0] + u[4]) + (u[1] + u[5])) + ((u[2] + u[6]) + (u[3] + u[7])) + ts
    }
}

#[cfg(target_arch = "x86_64")]
mod avx {
    //! Loads and stores go through `as_chunks` and by-value transmutes of
    //! `[f64; 4]` (a `__m256d` has the same size and every bit pattern is a
    //! valid value of both), not through pointer intrinsics, whose debug-build
    //! precondition checks cost more than the arithmetic.
    use std::arch::x86_64::*;
    use std::mem::transmute;

    use super::{L, finish};

    pub(super) fn available() -> bool {
        std::arch::is_x86_feature_detected!("avx2")
    }

    #[inline(always)]
    fn load4(a: [f64; 4]) -> __m256d {
        // SAFETY: same size (32 bytes), every bit pattern valid for both.
        unsafe { transmute::<[f64; 4], __m256d>(a) }
    }

    #[inline(always)]
    fn load16(a: &[f64; L]) -> [__m256d; 4] {
        // SAFETY: same size (128 bytes), every bit pattern valid for both.
        unsafe { transmute::<[f64; L], [__m256d; 4]>(*a) }
    }

    /// The tree of [`super::reduce`] on four registers.
    #[target_feature(enable = "avx2")]
    fn reduce4(a: [__m256d; 4], tail: f64) -> f64 {
        let u = _mm256_add_pd(_mm256_add_pd(a[0], a[2]), _mm256_add_pd(a[1], a[3]));
        // SAFETY: same size (32 bytes), every bit pattern valid for both.
        finish(unsafe { transmute::<__m256d, [f64; 4]>(u) }, tail)
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn dot(a: &[f64], b: &[f64]) -> f64 {
        let n = a.len().min(b.len());
        let (ba, ta) = a[..n].as_chunks::<L>();
        let (bb, tb) = b[..n].as_chunks::<L>();
        let mut acc = [_mm256_setzero_pd(); 4];
        for (x, y) in ba.iter().zip(bb) {
            let (x, y) = (load16(x), load16(y));
            for k in 0..4 {
                acc[k] = _mm256_add_pd(acc[k], _mm256_mul_pd(x[k], y[k]));
            }
        }
        let mut tail = 0.0;
        for (x, y) in ta.iter().zip(tb) {
            tail += x * y;
        }
        reduce4(acc, tail)
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn dot_wss(r: &[f64], v: &[f64], x: &[f64]) -> (f64, f64) {
        let n = r.len().min(v.len()).min(x.len());
        let (br, tr) = r[..n].as_chunks::<L>();
        let (bv, tv) = v[..n].as_chunks::<L>();
        let (bx, tx) = x[..n].as_chunks::<L>();
        let mut g = [_mm256_setzero_pd(); 4];
        let mut s = [_mm256_setzero_pd(); 4];
        for ((e, w), z) in br.iter().zip(bv).zip(bx) {
            let (e, w, z) = (load16(e), load16(w), load16(z));
            for k in 0..4 {
                g[k] = _mm256_add_pd(g[k], _mm256_mul_pd(e[k], z[k]));
                s[k] = _mm256_add_pd(s[k], _mm256_mul_pd(_mm256_mul_pd(w[k], z[k]), z[k]));
            }
        }
        let (mut tg, mut ts) = (0.0, 0.0);
        for ((e, w), z) in tr.iter().zip(tv).zip(tx) {
            tg += e * z;
            ts += w * z * z;
        }
        (reduce4(g, tg), reduce4(s, ts))
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn axpy(r: &mut [f64], d: f64, v: &[f64], x: &[f64]) {
        let n = r.len().min(v.len()).min(x.len());
        let (br, tr) = r[..n].as_chunks_mut::<4>();
        let (bv, tv) = v[..n].as_chunks::<4>();
        let (bx, tx) = x[..n].as_chunks::<4>();
        let dd = _mm256_set1_pd(d);
        for ((e, w), z) in br.iter_mut().zip(bv).zip(bx) {
            let t = _mm256_mul_pd(_mm256_mul_pd(dd, load4(*w)), load4(*z));
            let out = _mm256_sub_pd(load4(*e), t);
            // SAFETY: same size (32 bytes), every bit pattern valid for both.
            *e = unsafe { transmute::<__m256d, [f64; 4]>(out) };
        }
        for ((e, w), z) in tr.iter_mut().zip(tv).zip(tx) {
            *e -= d * w * z;
        }
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn add_scaled(e: &mut [f64], b: f64, x: &[f64]) {
        let n = e.len().min(x.len());
        let (be, te) = e[..n].as_chunks_mut::<4>();
        let (bx, tx) = x[..n].as_chunks::<4>();
        let bb = _mm256_set1_pd(b);
        for (ei, xi) in be.iter_mut().zip(bx) {
            let out = _mm256_add_pd(load4(*ei), _mm256_mul_pd(bb, load4(*xi)));
            // SAFETY: same size (32 bytes), every bit pattern valid for both.
            *ei = unsafe { transmute::<__m256d, [f64; 4]>(out) };
        }
        for (ei, &xi) in te.iter_mut().zip(tx) {
            *ei += b * xi;
        }
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn update_dot(r: &mut [f64], d: f64, v: &[f64], xa: &[f64], xb: &[f64]) -> f64 {
        let n = r.len().min(v.len()).min(xa.len()).min(xb.len());
        let (br, tr) = r[..n].as_chunks_mut::<L>();
        let (bv, tv) = v[..n].as_chunks::<L>();
        let (ba, ta) = xa[..n].as_chunks::<L>();
        let (bb, tb) = xb[..n].as_chunks::<L>();
        let dd = _mm256_set1_pd(d);
        let mut acc = [_mm256_setzero_pd(); 4];
        for (((e, w), a), b) in br.iter_mut().zip(bv).zip(ba).zip(bb) {
            let (ev, wv, av, bv) = (load16(e), load16(w), load16(a), load16(b));
            let mut out = [_mm256_setzero_pd(); 4];
            for k in 0..4 {
                out[k] = _mm256_sub_pd(ev[k], _mm256_mul_pd(_mm256_mul_pd(dd, wv[k]), av[k]));
                acc[k] = _mm256_add_pd(acc[k], _mm256_mul_pd(out[k], bv[k]));
            }
            // SAFETY: same size (128 bytes), every bit pattern valid for both.
            *e = unsafe { transmute::<[__m256d; 4], [f64; L]>(out) };
        }
        let mut tail = 0.0;
        for (((e, w), a), b) in tr.iter_mut().zip(tv).zip(ta).zip(tb) {
            *e -= d * w * a;
            tail += *e * b;
        }
        reduce4(acc, tail)
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn center_scale(x: &mut [f64], m: f64, s: f64) {
        let (bx, tx) = x.as_chunks_mut::<4>();
        let (mm, ss) = (_mm256_set1_pd(m), _mm256_set1_pd(s));
        for xi in bx.iter_mut() {
            let out = _mm256_div_pd(_mm256_sub_pd(load4(*xi), mm), ss);
            // SAFETY: same size (32 bytes), every bit pattern valid for both.
            *xi = unsafe { transmute::<__m256d, [f64; 4]>(out) };
        }
        for xi in tx.iter_mut() {
            *xi = (*xi - m) / s;
        }
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn dot_i16(q: &[i16], r: &[f64]) -> (f64, f64) {
        let n = q.len().min(r.len());
        let (bq, tq) = q[..n].as_chunks::<L>();
        let (br, tr) = r[..n].as_chunks::<L>();
        let mut s = [_mm256_setzero_pd(); 4];
        let mut a = [_mm256_setzero_pd(); 4];
        let mask = _mm256_set1_pd(f64::from_bits(!(1u64 << 63)));
        for (z, e) in bq.iter().zip(br) {
            // SAFETY: same size (32 bytes), every bit pattern valid for both.
            let z = unsafe { transmute::<[i16; L], __m256i>(*z) };
            let lo = _mm256_cvtepi16_epi32(_mm256_castsi256_si128(z));
            let hi = _mm256_cvtepi16_epi32(_mm256_extracti128_si256::<1>(z));
            let z = [
                _mm256_cvtepi32_pd(_mm256_castsi256_si128(lo)),
                _mm256_cvtepi32_pd(_mm256_extracti128_si256::<1>(lo)),
                _mm256_cvtepi32_pd(_mm256_castsi256_si128(hi)),
                _mm256_cvtepi32_pd(_mm256_extracti128_si256::<1>(hi)),
            ];
            let e = load16(e);
            for k in 0..4 {
                s[k] = _mm256_add_pd(s[k], _mm256_mul_pd(z[k], e[k]));
                a[k] = _mm256_add_pd(a[k], _mm256_and_pd(e[k], mask));
            }
        }
        let (mut ts, mut ta) = (0.0, 0.0);
        for (&z, e) in tq.iter().zip(tr) {
            ts += f64::from(z) * e;
            ta += e.abs();
        }
        (reduce4(s, ts), reduce4(a, ta))
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn dot_i16_f32(q: &[i16], r: &[f32]) -> f32 {
        let n = q.len().min(r.len());
        let (bq, tq) = q[..n].as_chunks::<L>();
        let (br, tr) = r[..n].as_chunks::<L>();
        let mut s = [_mm256_setzero_ps(); 2];
        for (z, e) in bq.iter().zip(br) {
            // SAFETY: same sizes (32 and 64 bytes), every bit pattern valid for both.
            let (z, e) = unsafe {
                (
                    transmute::<[i16; L], __m256i>(*z),
                    transmute::<[f32; L], [__m256; 2]>(*e),
                )
            };
            let lo = _mm256_cvtepi32_ps(_mm256_cvtepi16_epi32(_mm256_castsi256_si128(z)));
            let hi = _mm256_cvtepi32_ps(_mm256_cvtepi16_epi32(_mm256_extracti128_si256::<1>(z)));
            s[0] = _mm256_add_ps(s[0], _mm256_mul_ps(lo, e[0]));
            s[1] = _mm256_add_ps(s[1], _mm256_mul_ps(hi, e[1]));
        }
        let mut ts = 0.0f32;
        for (&z, &e) in tq.iter().zip(tr) {
            ts += f32::from(z) * e;
        }
        // SAFETY: same size (32 bytes), every bit pattern valid for both.
        let u = unsafe { transmute::<__m256, [f32; 8]>(_mm256_add_ps(s[0], s[1])) };
        ((u[0] + u[4]) + (u[1] + u[5])) + ((u[2] + u[6]) + (u[3] + u[7])) + ts
    }
}

/// The kernel set chosen once per fit for this CPU.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Kernels {
    #[cfg(target_arch = "x86_64")]
    avx: bool,
}

impl Kernels {
    /// Detects the CPU's vector extensions.
    pub(crate) fn detect() -> Self {
        Kernels {
            #[cfg(target_arch = "x86_64")]
            avx: avx::available(),
        }
    }

    /// The portable kernels whatever the CPU (for tests).
    #[cfg(test)]
    fn portable() -> Self {
        Kernels {
            #[cfg(target_arch = "x86_64")]
            avx: false,
        }
    }

    /// `sum_i a_i b_i`.
    #[inline]
    pub(crate) fn dot(self, a: &[f64], b: &[f64]) -> f64 {
        #[cfg(target_arch = "x86_64")]
        if self.avx {
            // SAFETY: `avx` is set only where the CPU has AVX2.
            return unsafe { avx::dot(a, b) };
        }
        portable::dot(a, b)
    }

    /// `(sum_i r_i x_i, sum_i v_i x_i^2)` in one pass; the first is [`Kernels::dot`]`(r, x)` to the bit.
    #[inline]
    pub(crate) fn dot_wss(self, r: &[f64], v: &[f64], x: &[f64]) -> (f64, f64) {
        #[cfg(target_arch = "x86_64")]
        if self.avx {
            // SAFETY: `avx` is set only where the CPU has AVX2.
            return unsafe { avx::dot_wss(r, v, x) };
        }
        portable::dot_wss(r, v, x)
    }

    /// `r -= d * v * x` (glmnet's naive residual update).
    #[inline]
    pub(crate) fn update_residual(self, r: &mut [f64], d: f64, v: &[f64], x: &[f64]) {
        #[cfg(target_arch = "x86_64")]
        if self.avx {
            // SAFETY: `avx` is set only where the CPU has AVX2.
            return unsafe { avx::axpy(r, d, v, x) };
        }
        portable::axpy(r, d, v, x)
    }

    /// `e += b * x`.
    #[inline]
    pub(crate) fn add_scaled(self, e: &mut [f64], b: f64, x: &[f64]) {
        #[cfg(target_arch = "x86_64")]
        if self.avx {
            // SAFETY: `avx` is set only where the CPU has AVX2.
            return unsafe { avx::add_scaled(e, b, x) };
        }
        portable::add_scaled(e, b, x)
    }

    /// `r -= d * v * xa`, then `sum_i r_i xb_i`: the same bits as
    /// [`Kernels::update_residual`] followed by [`Kernels::dot`], in one pass.
    #[inline]
    pub(crate) fn update_dot(
        self,
        r: &mut [f64],
        d: f64,
        v: &[f64],
        xa: &[f64],
        xb: &[f64],
    ) -> f64 {
        #[cfg(target_arch = "x86_64")]
        if self.avx {
            // SAFETY: `avx` is set only where the CPU has AVX2.
            return unsafe { avx::update_dot(r, d, v, xa, xb) };
        }
        portable::update_dot(r, d, v, xa, xb)
    }

    /// `x = (x - m) / s`, elementwise.
    #[inline]
    pub(crate) fn center_scale(self, x: &mut [f64], m: f64, s: f64) {
        #[cfg(target_arch = "x86_64")]
        if self.avx {
            // SAFETY: `avx` is set only where the CPU has AVX2.
            return unsafe { avx::center_scale(x, m, s) };
        }
        portable::center_scale(x, m, s)
    }

    /// `sum_i q_i r_i` in single precision (16 lanes, at most n / 16 + 20
    /// additions per term).
    #[inline]
    pub(crate) fn dot_i16_f32(self, q: &[i16], r: &[f32]) -> f32 {
        #[cfg(target_arch = "x86_64")]
        if self.avx {
            // SAFETY: `avx` is set only where the CPU has AVX2.
            return unsafe { avx::dot_i16_f32(q, r) };
        }
        portable::dot_i16_f32(q, r)
    }

    /// `(sum_i q_i r_i, sum_i |r_i|)`: a 16-bit column against a residual.
    #[inline]
    pub(crate) fn dot_i16(self, q: &[i16], r: &[f64]) -> (f64, f64) {
        #[cfg(target_arch = "x86_64")]
        if self.avx {
            // SAFETY: `avx` is set only where the CPU has AVX2.
            return unsafe { avx::dot_i16(q, r) };
        }
        portable::dot_i16(q, r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<i16>) {
        let a: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
        let b: Vec<f64> = (0..n).map(|i| (i as f64 * 0.11).cos() * 1e3).collect();
        let v: Vec<f64> = (0..n).map(|i| 0.25 / (1.0 + i as f64)).collect();
        let q: Vec<i16> = (0..n)
            .map(|i| ((i as f64 * 0.7).sin() * 32767.0) as i16)
            .collect();
        (a, b, v, q)
    }

    #[test]
    fn kernels_agree_with_plain_loops() {
        for n in [0, 1, 15, 16, 37, 559] {
            let (a, b, v, q) = data(n);
            for k in [Kernels::detect(), Kernels::portable()] {
                let scale: f64 = a.iter().zip(&b).map(|(x, y)| (x * y).abs()).sum::<f64>() + 1.0;
                let dot: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
                assert!((k.dot(&a, &b) - dot).abs() < 1e-13 * scale, "n {n}");
                let wss: f64 = v.iter().zip(&b).map(|(w, x)| w * x * x).sum();
                let (g, s) = k.dot_wss(&a, &v, &b);
                assert!((s - wss).abs() < 1e-13 * wss.max(1.0));
                assert!((g - dot).abs() < 1e-13 * scale);
                let mut r = b.clone();
                k.update_residual(&mut r, 0.5, &v, &a);
                for i in 0..n {
                    assert_eq!(r[i], b[i] - 0.5 * v[i] * a[i]);
                }
                let (s, l1) = k.dot_i16(&q, &a);
                let want: f64 = q.iter().zip(&a).map(|(&x, y)| f64::from(x) * y).sum();
                assert!((s - want).abs() < 1e-9 * (1.0 + want.abs()));
                let l1_want: f64 = a.iter().map(|x| x.abs()).sum();
                assert!((l1 - l1_want).abs() < 1e-12 * (1.0 + l1_want));
                let a32: Vec<f32> = a.iter().map(|&v| v as f32).collect();
                let s32 = f64::from(k.dot_i16_f32(&q, &a32));
                let abs: f64 = q
                    .iter()
                    .zip(&a)
                    .map(|(&x, y)| (f64::from(x) * y).abs())
                    .sum();
                // The bound Screen::below32 relies on.
                let h = n as f64 / 16.0 + 22.0;
                assert!((s32 - want).abs() <= h * 2f64.powi(-24) * 1.01 * abs + 1e-30);
            }
        }
    }

    #[test]
    fn every_cpu_path_gives_the_same_bits() {
        for n in [3, 16, 100, 559, 621] {
            let (a, b, v, q) = data(n);
            let (k, p) = (Kernels::detect(), Kernels::portable());
            assert_eq!(k.dot(&a, &b).to_bits(), p.dot(&a, &b).to_bits());
            // The fused kernel's dot product is the plain one.
            let (g, s) = k.dot_wss(&a, &v, &b);
            assert_eq!(g.to_bits(), k.dot(&a, &b).to_bits());
            let (pg, ps) = p.dot_wss(&a, &v, &b);
            assert_eq!((g.to_bits(), s.to_bits()), (pg.to_bits(), ps.to_bits()));
            let (mut r1, mut r2) = (b.clone(), b.clone());
            k.update_residual(&mut r1, -1.5, &v, &a);
            p.update_residual(&mut r2, -1.5, &v, &a);
            assert_eq!(r1, r2);
            k.add_scaled(&mut r1, 0.3, &a);
            p.add_scaled(&mut r2, 0.3, &a);
            assert_eq!(r1, r2);
            assert_eq!(
                r1[n - 1],
                b[n - 1] - (-1.5 * v[n - 1]) * a[n - 1] + 0.3 * a[n - 1]
            );
            k.center_scale(&mut r1, 0.7, 3.0);
            p.center_scale(&mut r2, 0.7, 3.0);
            assert_eq!(r1, r2);
            // The fused update and dot product are the two separate calls.
            let mut r3 = r1.clone();
            k.update_residual(&mut r3, 0.9, &v, &a);
            let g3 = k.dot(&r3, &b);
            for kk in [k, p] {
                let mut r4 = r1.clone();
                let g4 = kk.update_dot(&mut r4, 0.9, &v, &a, &b);
                assert_eq!((g4.to_bits(), &r4), (g3.to_bits(), &r3));
            }
            assert_eq!(k.dot_i16(&q, &a), p.dot_i16(&q, &a));
            let a32: Vec<f32> = a.iter().map(|&v| v as f32).collect();
            assert_eq!(
                k.dot_i16_f32(&q, &a32).to_bits(),
                p.dot_i16_f32(&q, &a32).to_bits()
            );
        }
    }
}
