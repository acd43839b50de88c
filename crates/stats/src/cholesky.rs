//! Cholesky factorisation A = L Lᵀ of a small symmetric positive-definite
//! matrix (the information matrix of a logistic fit: p ≤ a few dozen
//! predictors), with the solve of A x = b and the inverse of A by forward
//! and back substitution on L (Golub & Van Loan, *Matrix Computations*,
//! 4th ed., algorithm 4.2.2; R's `chol` / `chol2inv` compute the same).
//! Hand-written: the workspace has no dense linear-algebra crate over plain
//! slices, and p is tiny.
//!
//! The callers differ only in when a pivot counts as singular, so that is
//! passed in: the relative tolerance (a pivot `s` of row `i` fails when
//! `s <= tol · max(|aᵢᵢ|, 1e-300)`) and what a NaN pivot means
//! ([`NanPivot`]).

#![allow(clippy::needless_range_loop)] // dense p × p matrix code reads clearest with indices

/// What a NaN pivot means: a NaN compares false with everything, so
/// `s <= tol` lets it through while "`s` is above `tol`" does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NanPivot {
    /// Carried on (its square root is NaN and so is the result): glm's IRLS
    /// (`logistic_fit`) and lrm's Newton steps, whose callers test the result.
    Accept,
    /// A failure, as a pivot at or below the tolerance (Firth's fit, where a
    /// NaN information is a step too far into separation).
    Fail,
}

/// The lower-triangular factor L of A = L Lᵀ.
#[derive(Debug, Clone)]
pub(crate) struct Cholesky {
    l: Vec<Vec<f64>>,
}

impl Cholesky {
    /// Factors the symmetric `a` (only its lower triangle is read); `None`
    /// when a pivot is at or below `tol` times its diagonal entry (rank
    /// deficiency), or NaN under [`NanPivot::Fail`].
    pub(crate) fn factor(a: &[Vec<f64>], tol: f64, nan: NanPivot) -> Option<Self> {
        let p = a.len();
        let mut l = vec![vec![0.0; p]; p];
        for i in 0..p {
            for j in 0..=i {
                let mut s = a[i][j];
                for k in 0..j {
                    s -= l[i][k] * l[j][k];
                }
                if i == j {
                    let floor = tol * a[i][i].abs().max(1e-300);
                    let singular = match nan {
                        NanPivot::Accept => s <= floor,
                        NanPivot::Fail => {
                            s.partial_cmp(&floor) != Some(std::cmp::Ordering::Greater)
                        }
                    };
                    if singular {
                        return None;
                    }
                    l[i][i] = s.sqrt();
                } else {
                    l[i][j] = s / l[j][j];
                }
            }
        }
        Some(Cholesky { l })
    }

    /// The diagonal entry Lᵢᵢ (log |A| = 2 Σ log Lᵢᵢ).
    pub(crate) fn diagonal(&self, i: usize) -> f64 {
        self.l[i][i]
    }

    /// x with A x = b: L y = b forward, then Lᵀ x = y back.
    pub(crate) fn solve(&self, b: &[f64]) -> Vec<f64> {
        let (l, p) = (&self.l, self.l.len());
        let mut y = vec![0.0; p];
        for i in 0..p {
            let mut s = b[i];
            for k in 0..i {
                s -= l[i][k] * y[k];
            }
            y[i] = s / l[i][i];
        }
        let mut x = vec![0.0; p];
        for i in (0..p).rev() {
            let mut s = y[i];
            for k in i + 1..p {
                s -= l[k][i] * x[k];
            }
            x[i] = s / l[i][i];
        }
        x
    }

    /// A⁻¹, column j the solve of A x = eⱼ.
    pub(crate) fn inverse(&self) -> Vec<Vec<f64>> {
        let p = self.l.len();
        let mut inv = vec![vec![0.0; p]; p];
        let mut e = vec![0.0; p];
        for j in 0..p {
            e[j] = 1.0;
            let col = self.solve(&e);
            e[j] = 0.0;
            for i in 0..p {
                inv[i][j] = col[i];
            }
        }
        inv
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A = [[4, 2], [2, 3]]: L = [[2, 0], [1, √2]], A⁻¹ = [[3, −2], [−2, 4]] / 8
    /// and A x = (2, 1) at x = (1/2, 0), by hand.
    #[test]
    fn two_by_two_by_hand() {
        let a = vec![vec![4.0, 2.0], vec![2.0, 3.0]];
        let c = Cholesky::factor(&a, 1e-12, NanPivot::Accept).unwrap();
        assert_eq!(c.diagonal(0), 2.0);
        assert_eq!(c.diagonal(1), 2f64.sqrt());
        let x = c.solve(&[2.0, 1.0]);
        assert!((x[0] - 0.5).abs() < 1e-15 && x[1].abs() < 1e-15, "{x:?}");
        let inv = c.inverse();
        let want = [[0.375, -0.25], [-0.25, 0.5]];
        for i in 0..2 {
            for j in 0..2 {
                assert!((inv[i][j] - want[i][j]).abs() < 1e-15, "{inv:?}");
            }
        }
    }

    /// A singular matrix fails under either rule; a NaN pivot fails only
    /// under `Fail`.
    #[test]
    fn singular_and_nan_pivots() {
        let singular = vec![vec![1.0, 1.0], vec![1.0, 1.0]];
        for nan in [NanPivot::Accept, NanPivot::Fail] {
            assert!(Cholesky::factor(&singular, 1e-14, nan).is_none());
        }
        let with_nan = vec![vec![f64::NAN, 0.0], vec![0.0, 1.0]];
        assert!(Cholesky::factor(&with_nan, 1e-12, NanPivot::Fail).is_none());
        let c = Cholesky::factor(&with_nan, 1e-12, NanPivot::Accept).unwrap();
        assert!(c.diagonal(0).is_nan());
    }
}
