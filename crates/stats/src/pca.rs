//! Principal components of standardised features, as
//! `prcomp(x, center = TRUE, scale. = TRUE)` gives them (`$x` the scores,
//! `$sdev^2` the variances), for the first few components only.
//!
//! The scores are U·S of the standardised matrix Z = U S Vᵀ, found from the
//! n × n Gram matrix Z Zᵀ = U S² Uᵀ by orthogonal (block power) iteration
//! (Golub & Van Loan, Matrix Computations, 4th ed., §8.2.4), so the cost is
//! O(n² p) once plus O(n² k) per iteration, whatever the number of features.
//! A component's sign is arbitrary (as in R); here the score of largest
//! magnitude is made positive, so the output is reproducible.

use serde::Serialize;

use crate::error::{Result, StatsError};

/// The first components of a principal component analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pca {
    /// Scores: `scores[k][i]` is row i on component k (prcomp's `x[i, k]`).
    pub scores: Vec<Vec<f64>>,
    /// Variance of each component's scores (prcomp's `sdev^2`).
    pub variances: Vec<f64>,
    /// Each component's share of the total variance (the number of standardised features used).
    pub explained: Vec<f64>,
    /// Features left out for taking one value on every row (prcomp refuses them).
    pub constant: Vec<usize>,
}

/// Iterations of the block power method at most.
const MAX_ITERATIONS: usize = 20_000;
/// Convergence: the largest change of an element of a wanted (unit) vector.
const TOLERANCE: f64 = 1e-14;

/// The first `k` principal components of `columns` (one vector per feature,
/// each of the n rows), each feature centred and scaled to unit variance
/// (sd with n − 1, as `scale()`); features constant over the rows are left
/// out and listed. Needs n ≥ 3, every value finite, and at least `k`
/// non-constant features.
pub fn principal_components(columns: &[Vec<f64>], k: usize) -> Result<Pca> {
    let n = columns.first().map_or(0, Vec::len);
    if n < 3 {
        return Err(StatsError::TooFew {
            what: "PCA rows".into(),
            needed: 3,
            found: n,
        });
    }
    let mut z: Vec<Vec<f64>> = Vec::new();
    let mut constant = Vec::new();
    for (j, c) in columns.iter().enumerate() {
        if c.len() != n {
            return Err(StatsError::BadShape {
                what: "PCA".into(),
                detail: format!("feature {} has {} rows, the first has {n}", j + 1, c.len()),
            });
        }
        crate::check::finite(&format!("PCA feature {}", j + 1), c)?;
        let mean = c.iter().sum::<f64>() / n as f64;
        let ss: f64 = c.iter().map(|v| (v - mean) * (v - mean)).sum();
        if ss <= 0.0 {
            constant.push(j);
            continue;
        }
        let sd = (ss / (n as f64 - 1.0)).sqrt();
        z.push(c.iter().map(|v| (v - mean) / sd).collect());
    }
    if k > n - 1 {
        return Err(StatsError::TooFew {
            what: "PCA rows (components need n − 1 of them)".into(),
            needed: k + 1,
            found: n,
        });
    }
    if z.len() < k.max(1) {
        return Err(StatsError::TooFew {
            what: "non-constant PCA features".into(),
            needed: k.max(1),
            found: z.len(),
        });
    }
    // Gram matrix G = Z Zᵀ (n × n), accumulated feature by feature in a fixed order.
    let mut g = vec![0.0; n * n];
    for col in &z {
        for i in 0..n {
            let a = col[i];
            if a == 0.0 {
                continue;
            }
            let row = &mut g[i * n..(i + 1) * n];
            for (r, b) in row.iter_mut().zip(col) {
                *r += a * b;
            }
        }
    }
    // Orthogonal iteration on a block of m = k + 2 vectors (the extra two
    // speed convergence of the k wanted), from a fixed start; never more than
    // the rank of G can hold (n − 1 after centring, and the feature count),
    // or the surplus vectors would be orthogonalised noise.
    let m = (k + 2).min(n - 1).min(z.len()).max(k);
    let mut q: Vec<Vec<f64>> = (0..m)
        .map(|c| {
            (0..n)
                .map(|i| 1.0 + ((i * (c + 1) * 7919 + c * 104_729) % 1009) as f64 / 1009.0)
                .collect()
        })
        .collect();
    orthonormalise(&mut q);
    let mut lambda = vec![0.0; m];
    for iteration in 0..MAX_ITERATIONS {
        let mut next: Vec<Vec<f64>> = q.iter().map(|v| mat_vec(&g, v, n)).collect();
        lambda = q.iter().zip(&next).map(|(v, w)| dot(v, w)).collect();
        orthonormalise(&mut next);
        // Converged when each wanted vector stops moving (up to its sign):
        // the eigenvalues settle long before the vectors do.
        let change = q
            .iter()
            .zip(&next)
            .take(k)
            .map(|(a, b)| {
                let s = if dot(a, b) < 0.0 { -1.0 } else { 1.0 };
                a.iter()
                    .zip(b)
                    .map(|(x, y)| (x - s * y).abs())
                    .fold(0.0, f64::max)
            })
            .fold(0.0, f64::max);
        q = next;
        if iteration > 2 && change < TOLERANCE {
            break;
        }
    }
    // Rayleigh–Ritz on the block: order the vectors by eigenvalue.
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| lambda[b].total_cmp(&lambda[a]));
    let total = z.len() as f64;
    let mut scores = Vec::with_capacity(k);
    let mut variances = Vec::with_capacity(k);
    for &c in order.iter().take(k) {
        let l = lambda[c].max(0.0);
        let s = l.sqrt();
        let mut sc: Vec<f64> = q[c].iter().map(|u| u * s).collect();
        let big = sc
            .iter()
            .copied()
            .fold(0.0_f64, |a, v| if v.abs() > a.abs() { v } else { a });
        if big < 0.0 {
            sc.iter_mut().for_each(|v| *v = -*v);
        }
        scores.push(sc);
        variances.push(l / (n as f64 - 1.0));
    }
    let explained = variances.iter().map(|v| v / total).collect();
    Ok(Pca {
        scores,
        variances,
        explained,
        constant,
    })
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn mat_vec(g: &[f64], v: &[f64], n: usize) -> Vec<f64> {
    (0..n).map(|i| dot(&g[i * n..(i + 1) * n], v)).collect()
}

/// Modified Gram–Schmidt applied twice ("twice is enough", Giraud et al.
/// 2005), in place; a vector that collapses (a direction G does not hold)
/// becomes zero rather than normalised noise.
fn orthonormalise(q: &mut [Vec<f64>]) {
    for c in 0..q.len() {
        let before = dot(&q[c], &q[c]).sqrt();
        for _ in 0..2 {
            for prev in 0..c {
                let (head, tail) = q.split_at_mut(c);
                let p = &head[prev];
                let d = dot(p, &tail[0]);
                tail[0].iter_mut().zip(p).for_each(|(x, y)| *x -= d * y);
            }
        }
        let norm = dot(&q[c], &q[c]).sqrt();
        if norm > 1e-10 * before && norm > 0.0 {
            q[c].iter_mut().for_each(|x| *x /= norm);
        } else {
            q[c].iter_mut().for_each(|x| *x = 0.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_features_with_correlation_0_8_by_hand() {
        // x = 1..5, y = (2, 1, 4, 3, 5): deviations (−2, −1, 0, 1, 2) and
        // (−1, −2, 1, 0, 2), Σxy = 8, Σx² = Σy² = 10, so r = 0.8. The
        // correlation matrix [[1, r], [r, 1]] has eigenvalues 1 ± r with
        // vectors (1, ±1)/√2: PC1 = (z_x + z_y)/√2 with variance 1.8, PC2
        // variance 0.2; shares 0.9 and 0.1.
        let x = vec![1.0, 2.0, 3.0, 4.0, 5.0];
        let y = vec![2.0, 1.0, 4.0, 3.0, 5.0];
        let p = principal_components(&[x, y], 2).unwrap();
        assert!((p.variances[0] - 1.8).abs() < 1e-12, "{:?}", p.variances);
        assert!((p.variances[1] - 0.2).abs() < 1e-12, "{:?}", p.variances);
        assert!((p.explained[0] - 0.9).abs() < 1e-12);
        let sd = (10.0_f64 / 4.0).sqrt();
        let dx = [-2.0, -1.0, 0.0, 1.0, 2.0];
        let dy = [-1.0, -2.0, 1.0, 0.0, 2.0];
        for i in 0..5 {
            let want = (dx[i] / sd + dy[i] / sd) / 2f64.sqrt();
            assert!((p.scores[0][i] - want).abs() < 1e-12, "{i}");
            let want2 = (dx[i] / sd - dy[i] / sd) / 2f64.sqrt();
            assert!((p.scores[1][i].abs() - want2.abs()).abs() < 1e-12, "{i}");
        }
    }

    #[test]
    fn constant_features_are_left_out_and_too_few_rows_refused() {
        let p = principal_components(
            &[
                vec![1.0, 2.0, 3.0, 4.0],
                vec![5.0; 4],
                vec![4.0, 3.0, 2.0, 1.0],
            ],
            1,
        )
        .unwrap();
        assert_eq!(p.constant, vec![1]);
        // Two perfectly (anti-)correlated features: one component holds everything.
        assert!((p.explained[0] - 1.0).abs() < 1e-12);
        assert!(principal_components(&[vec![1.0, 2.0]], 1).is_err());
        assert!(principal_components(&[vec![1.0, f64::NAN, 2.0]], 1).is_err());
    }
}
