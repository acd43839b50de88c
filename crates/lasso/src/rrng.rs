//! cv.glmnet's fold assignment after R's `set.seed`. R's generator itself
//! lives in dlrn-stats ([`dlrn_stats::rrng`]), re-exported here so
//! `dlrn_lasso::RRng` keeps working.

pub use dlrn_stats::rrng::RRng;

/// cv.glmnet's default fold assignment after `set.seed(seed)`:
/// `foldid = sample(rep(seq(nfolds), length = n))` (glmnet 4.1-6,
/// `cv.glmnet`), 1-based fold ids, bit for bit as R draws them.
pub fn cv_glmnet_foldid(seed: i32, n: usize, nfolds: usize) -> Vec<usize> {
    let base: Vec<usize> = (0..n).map(|i| i % nfolds.max(1) + 1).collect();
    RRng::set_seed(seed).permute(&base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_are_balanced() {
        let f = cv_glmnet_foldid(1, 199, 10);
        for k in 1..=10 {
            let c = f.iter().filter(|&&v| v == k).count();
            assert!(c == 19 || c == 20, "fold {k}: {c}");
        }
    }
}
