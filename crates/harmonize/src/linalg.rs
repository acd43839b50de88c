//! The small dense linear algebra ComBat's design needs: least squares by the
//! normal equations (sva: `solve(crossprod(design), tcrossprod(t(design), dat))`,
//! i.e. LAPACK's LU with partial pivoting) and a rank check (R's `qr(design)$rank`,
//! tolerance 1e-7 relative to each column's norm).

/// Relative tolerance of the rank check (R's `qr` default `tol = 1e-07`).
const RANK_TOL: f64 = 1e-7;

/// Solves `min ‖X b − y‖` for every response: `columns[k][i]` is design column
/// k at row i, `responses[j][i]` response j at row i (an empty response is
/// skipped and gets zeros). Returns `b[k][j]`.
pub(crate) fn least_squares(
    columns: &[Vec<f64>],
    responses: &[Vec<f64>],
) -> Result<Vec<Vec<f64>>, String> {
    let k = columns.len();
    let n = columns.first().map_or(0, Vec::len);
    // crossprod(design)
    let mut xtx = vec![vec![0.0; k]; k];
    for a in 0..k {
        for b in 0..k {
            xtx[a][b] = (0..n).map(|i| columns[a][i] * columns[b][i]).sum();
        }
    }
    let lu = Lu::new(xtx)?;
    let p = responses.len();
    let mut out = vec![vec![0.0; p]; k];
    for (j, y) in responses.iter().enumerate() {
        if y.is_empty() {
            continue;
        }
        let rhs: Vec<f64> = (0..k)
            .map(|a| (0..n).map(|i| columns[a][i] * y[i]).sum())
            .collect();
        let b = lu.solve(rhs);
        for a in 0..k {
            out[a][j] = b[a];
        }
    }
    Ok(out)
}

/// LU factors with partial pivoting (LAPACK dgetrf) of a small square matrix.
struct Lu {
    a: Vec<Vec<f64>>,
    piv: Vec<usize>,
}

impl Lu {
    fn new(mut a: Vec<Vec<f64>>) -> Result<Lu, String> {
        let k = a.len();
        let mut piv = Vec::with_capacity(k);
        for c in 0..k {
            let (r, max) = (c..k)
                .map(|r| (r, a[r][c].abs()))
                .fold((c, -1.0), |acc, x| if x.1 > acc.1 { x } else { acc });
            if max == 0.0 || !max.is_finite() {
                return Err(format!("exactly singular at column {}", c + 1));
            }
            a.swap(c, r);
            piv.push(r);
            let (top, below) = a.split_at_mut(c + 1);
            let pivot = &top[c];
            for row in below.iter_mut() {
                let f = row[c] / pivot[c];
                row[c] = f;
                for (x, pq) in row.iter_mut().zip(pivot).skip(c + 1) {
                    *x -= f * pq;
                }
            }
        }
        Ok(Lu { a, piv })
    }

    fn solve(&self, mut b: Vec<f64>) -> Vec<f64> {
        let k = self.a.len();
        for c in 0..k {
            b.swap(c, self.piv[c]);
        }
        for r in 0..k {
            for c in 0..r {
                b[r] -= self.a[r][c] * b[c];
            }
        }
        for r in (0..k).rev() {
            for c in r + 1..k {
                b[r] -= self.a[r][c] * b[c];
            }
            b[r] /= self.a[r][r];
        }
        b
    }
}

/// Column rank by modified Gram–Schmidt: a column whose remainder, after
/// removing the accepted columns, is below 1e-7 of its own norm is dependent.
pub(crate) fn rank(columns: &[Vec<f64>]) -> usize {
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let mut basis: Vec<Vec<f64>> = Vec::new();
    for col in columns {
        let original = norm(col);
        let mut v = col.clone();
        for q in &basis {
            let d: f64 = v.iter().zip(q).map(|(a, b)| a * b).sum();
            for (x, qi) in v.iter_mut().zip(q) {
                *x -= d * qi;
            }
        }
        let r = norm(&v);
        if original > 0.0 && r > RANK_TOL * original {
            basis.push(v.iter().map(|x| x / r).collect());
        }
    }
    basis.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn least_squares_line_by_hand() {
        // y = 1 + 2x exactly at x = 0, 1, 2, 3.
        let x = vec![vec![1.0; 4], vec![0.0, 1.0, 2.0, 3.0]];
        let y = vec![vec![1.0, 3.0, 5.0, 7.0], vec![]];
        let b = least_squares(&x, &y).unwrap();
        assert!((b[0][0] - 1.0).abs() < 1e-14 && (b[1][0] - 2.0).abs() < 1e-14);
        assert_eq!((b[0][1], b[1][1]), (0.0, 0.0));
    }

    #[test]
    fn rank_sees_a_dependent_column() {
        let a = vec![1.0, 1.0, 0.0, 0.0];
        let b = vec![0.0, 0.0, 1.0, 1.0];
        let c = vec![1.0, 1.0, 1.0, 1.0];
        assert_eq!(rank(&[a.clone(), b.clone()]), 2);
        assert_eq!(rank(&[a, b, c]), 2);
    }
}
