//! The three vector kernels of the coordinate descent: dot product, weighted
//! sum of squares and the naive residual update. Written with eight
//! independent accumulators so the compiler vectorises them, and compiled a
//! second time for AVX2 + FMA, chosen at run time on x86-64 (the default
//! target only assumes SSE2). Hand-written because these three loops are the
//! whole cost of the solver; no crate offers them on plain slices without
//! pulling in a BLAS.

macro_rules! kernels {
    ($attr:meta, $dot:ident, $wss:ident, $axpy:ident) => {
        #[$attr]
        fn $dot(a: &[f64], b: &[f64]) -> f64 {
            let n = a.len().min(b.len());
            let (a, b) = (&a[..n], &b[..n]);
            let mut s = [0.0f64; 8];
            let ca = a.chunks_exact(8);
            let cb = b.chunks_exact(8);
            let (ra, rb) = (ca.remainder(), cb.remainder());
            for (x, y) in ca.zip(cb) {
                for l in 0..8 {
                    s[l] += x[l] * y[l];
                }
            }
            let mut tail = 0.0;
            for (x, y) in ra.iter().zip(rb) {
                tail += x * y;
            }
            ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7])) + tail
        }

        #[$attr]
        fn $wss(v: &[f64], x: &[f64]) -> f64 {
            let n = v.len().min(x.len());
            let (v, x) = (&v[..n], &x[..n]);
            let mut s = [0.0f64; 8];
            let cv = v.chunks_exact(8);
            let cx = x.chunks_exact(8);
            let (rv, rx) = (cv.remainder(), cx.remainder());
            for (w, z) in cv.zip(cx) {
                for l in 0..8 {
                    s[l] += w[l] * z[l] * z[l];
                }
            }
            let mut tail = 0.0;
            for (w, z) in rv.iter().zip(rx) {
                tail += w * z * z;
            }
            ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7])) + tail
        }

        #[$attr]
        fn $axpy(r: &mut [f64], d: f64, v: &[f64], x: &[f64]) {
            for ((ri, &vi), &xi) in r.iter_mut().zip(v).zip(x) {
                *ri -= d * vi * xi;
            }
        }
    };
}

kernels!(inline, dot_base, wss_base, axpy_base);

#[cfg(target_arch = "x86_64")]
mod avx {
    kernels!(target_feature(enable = "avx2,fma"), dot, wss, axpy);

    /// Safe wrappers: callers check `available()` first.
    pub(super) fn available() -> bool {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    pub(super) fn dot_checked(a: &[f64], b: &[f64]) -> f64 {
        // SAFETY: only called after `available()` returned true.
        unsafe { dot(a, b) }
    }
    pub(super) fn wss_checked(v: &[f64], x: &[f64]) -> f64 {
        // SAFETY: only called after `available()` returned true.
        unsafe { wss(v, x) }
    }
    pub(super) fn axpy_checked(r: &mut [f64], d: f64, v: &[f64], x: &[f64]) {
        // SAFETY: only called after `available()` returned true.
        unsafe { axpy(r, d, v, x) }
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

    /// `sum_i a_i b_i`.
    #[inline]
    pub(crate) fn dot(self, a: &[f64], b: &[f64]) -> f64 {
        #[cfg(target_arch = "x86_64")]
        if self.avx {
            return avx::dot_checked(a, b);
        }
        dot_base(a, b)
    }

    /// `sum_i v_i x_i^2`.
    #[inline]
    pub(crate) fn weighted_ss(self, v: &[f64], x: &[f64]) -> f64 {
        #[cfg(target_arch = "x86_64")]
        if self.avx {
            return avx::wss_checked(v, x);
        }
        wss_base(v, x)
    }

    /// `r -= d * v * x` (glmnet's naive residual update).
    #[inline]
    pub(crate) fn update_residual(self, r: &mut [f64], d: f64, v: &[f64], x: &[f64]) {
        #[cfg(target_arch = "x86_64")]
        if self.avx {
            return avx::axpy_checked(r, d, v, x);
        }
        axpy_base(r, d, v, x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_agree_with_plain_loops() {
        let a: Vec<f64> = (0..37).map(|i| (i as f64 * 0.37).sin()).collect();
        let b: Vec<f64> = (0..37).map(|i| (i as f64 * 0.11).cos()).collect();
        let k = Kernels::detect();
        let dot: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((k.dot(&a, &b) - dot).abs() < 1e-13);
        let wss: f64 = a.iter().zip(&b).map(|(v, x)| v * x * x).sum();
        assert!((k.weighted_ss(&a, &b) - wss).abs() < 1e-13);
        let mut r = b.clone();
        k.update_residual(&mut r, 0.5, &a, &b);
        for i in 0..37 {
            assert!((r[i] - (b[i] - 0.5 * a[i] * b[i])).abs() < 1e-15);
        }
    }
}
