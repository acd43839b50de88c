//! K-fold cross-validation of the path: `cv.glmnet(x, y, family = "binomial")`
//! of glmnet 4.1-6 (`cv.glmnet.raw`, `buildPredmat.default`, `cv.lognet`,
//! `cvcompute`, `getOptcv.glmnet`).
//!
//! Deliberate difference: for `type.measure = "auc"` glmnet breaks tied
//! predictions at random (`runif` inside `glmnet:::auc`); here a tie counts
//! 1/2 (the Mann-Whitney statistic), so the result needs no RNG. Ties only
//! arise where a fold's fit has no variable yet (the first lambdas).

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::LassoError;
use crate::path::{Design, LassoPath, PathOptions, fit_path, fit_path_rows};

/// The loss `cv.glmnet` averages over held-out rows (`type.measure`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Measure {
    /// Binomial deviance with probabilities clamped to [1e-5, 1 - 1e-5].
    Deviance,
    /// Squared error of the probability, summed over both classes (2 (y - p)^2), as glmnet.
    Mse,
    /// Misclassification rate at p = 0.5 (p >= 0.5 predicts 1).
    Class,
    /// Area under the ROC curve per fold (higher is better).
    Auc,
}

impl Measure {
    /// glmnet's name of the measure.
    pub fn name(self) -> &'static str {
        match self {
            Measure::Deviance => "deviance",
            Measure::Mse => "mse",
            Measure::Class => "class",
            Measure::Auc => "auc",
        }
    }

    /// The axis label `plot.cv.glmnet` uses.
    pub fn label(self) -> &'static str {
        match self {
            Measure::Deviance => "Binomial Deviance",
            Measure::Mse => "Mean-Squared Error",
            Measure::Class => "Misclassification Error",
            Measure::Auc => "AUC",
        }
    }

    /// True where larger values are better (only AUC).
    pub fn maximise(self) -> bool {
        matches!(self, Measure::Auc)
    }
}

/// How rows are assigned to folds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Folds {
    /// Given fold ids, 1..=K, one per row (`foldid`).
    Ids(Vec<usize>),
    /// K folds of sizes as equal as possible, shuffled with a seeded ChaCha8
    /// RNG (the role of `sample(rep(seq(nfolds), length = N))`; R's RNG is not reproduced).
    Seeded {
        /// Number of folds (`nfolds`, at least 3 as in glmnet).
        k: usize,
        /// Seed of the shuffle.
        seed: u64,
    },
    /// cv.glmnet's own folds after R's `set.seed(seed)`:
    /// `sample(rep(seq(k), length = N))` drawn with R's default RNG
    /// ([`crate::rrng`]), bit for bit as R draws them.
    R {
        /// Number of folds (`nfolds`).
        k: usize,
        /// The seed given to R's `set.seed`.
        seed: i32,
    },
}

impl Folds {
    /// The 1-based fold id of each of `n` rows.
    pub fn assign(&self, n: usize) -> Result<Vec<usize>, LassoError> {
        if let Folds::Seeded { k, .. } | Folds::R { k, .. } = self
            && n < *k
        {
            // Otherwise the run would silently fall back to n folds (leave-one-out).
            return Err(LassoError::Folds {
                message: format!("{k} folds asked but only {n} rows: every fold needs a row"),
            });
        }
        let ids = match self {
            Folds::Ids(ids) => {
                if ids.len() != n {
                    return Err(LassoError::Length {
                        what: "fold ids",
                        found: ids.len(),
                        expected: n,
                        per: "row",
                    });
                }
                ids.clone()
            }
            Folds::Seeded { k, seed } => {
                let mut ids: Vec<usize> = (0..n).map(|i| i % k.max(&1) + 1).collect();
                let mut rng = ChaCha8Rng::seed_from_u64(*seed);
                ids.shuffle(&mut rng);
                ids
            }
            Folds::R { k, seed } => crate::rrng::cv_glmnet_foldid(*seed, n, *k),
        };
        let k = ids.iter().copied().max().unwrap_or(0);
        if k < 3 {
            return Err(LassoError::Folds {
                message: format!("{k} folds; cv.glmnet needs at least 3"),
            });
        }
        for f in 1..=k {
            if !ids.contains(&f) {
                return Err(LassoError::Folds {
                    message: format!("fold {f} of 1..={k} has no rows"),
                });
            }
        }
        if ids.contains(&0) {
            return Err(LassoError::Folds {
                message: "fold ids start at 1; found 0".into(),
            });
        }
        Ok(ids)
    }
}

/// Held-out rows of one fold and their probabilities `[lambda][row]`.
type HeldOut = (Vec<usize>, Vec<Vec<f64>>);

/// The result of [`cross_validate`], as the fields of a `cv.glmnet` object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvResult {
    /// The measure used (deviance when AUC was asked with < 10 rows per
    /// fold, as cv.glmnet does).
    pub measure: Measure,
    /// The lambdas (those of the fit on all rows).
    pub lambda: Vec<f64>,
    /// Mean cross-validated measure per lambda (`cvm`).
    pub cvm: Vec<f64>,
    /// Its standard error per lambda (`cvsd`).
    pub cvsd: Vec<f64>,
    /// Non-zero coefficients of the full fit per lambda (`nzero`).
    pub nzero: Vec<usize>,
    /// 0-based index of `lambda.min` (best cvm; the largest lambda on ties).
    pub index_min: usize,
    /// 0-based index of `lambda.1se` (largest lambda within one SE of the best).
    pub index_1se: usize,
    /// `lambda.min`.
    pub lambda_min: f64,
    /// `lambda.1se`.
    pub lambda_1se: f64,
    /// The 1-based fold id of each row (`foldid`).
    pub foldid: Vec<usize>,
    /// The path fitted on all rows (`glmnet.fit`).
    pub fit: LassoPath,
}

/// Cross-validates the binomial path as `cv.glmnet(x, y, family = "binomial",
/// type.measure = measure, foldid = ...)`: the path on all rows fixes the
/// lambdas, each fold's path is refitted on the other rows with its own
/// automatic lambda sequence (as glmnet does unless `lambda` is given; the
/// full fit and the K fold fits run in parallel), held-out rows are predicted at the full lambdas by
/// glmnet's interpolation, and the per-fold mean
/// losses are combined weighted by fold size. Results do not depend on the
/// number of threads (each fold's work is independent; sums run in fold order).
pub fn cross_validate(
    x: &Design,
    y: &[u8],
    folds: &Folds,
    measure: Measure,
    opts: &PathOptions,
) -> Result<CvResult, LassoError> {
    let mut all = cross_validate_measures(x, y, folds, &[measure], opts)?;
    Ok(all.remove(0))
}

/// [`cross_validate`] for several measures from one set of fold fits (what
/// calling `cv.glmnet` once per measure with the same `foldid` gives).
pub fn cross_validate_measures(
    x: &Design,
    y: &[u8],
    folds: &Folds,
    measures: &[Measure],
    opts: &PathOptions,
) -> Result<Vec<CvResult>, LassoError> {
    let n = x.n_rows();
    if y.len() != n {
        return Err(LassoError::Length {
            what: "labels",
            found: y.len(),
            expected: n,
            per: "row of the design",
        });
    }
    let foldid = folds.assign(n)?;
    let k = foldid.iter().copied().max().unwrap_or(0);
    // cv.glmnet.raw passes its own `lambda` argument (NULL by default) to the
    // fold fits, so each fold computes its own sequence; buildPredmat then
    // predicts at the full-data lambdas by interpolation (alignment "lambda").
    // The fits are therefore independent: the full fit (job 0, the largest,
    // first) and the K fold fits run in parallel, each on its own.
    let mut paths = (0..=k)
        .into_par_iter()
        .map(|f| {
            if f == 0 {
                fit_path(x, y, opts)
            } else {
                let train: Vec<usize> = (0..n).filter(|&i| foldid[i] != f).collect();
                fit_path_rows(x, y, &train, opts)
            }
        })
        .collect::<Vec<Result<LassoPath, LassoError>>>()
        .into_iter();
    // The first error in job order, as a sequential run would report it.
    let fit = paths.next().ok_or_else(|| LassoError::Folds {
        message: "no fit on all rows".into(),
    })??;
    let lambda = fit.lambda.clone();
    let nlam = lambda.len();

    // Held-out probabilities per fold: (rows, probs[lambda][row]).
    let mut held_out: Vec<HeldOut> = Vec::with_capacity(k);
    for (f, path) in (1..=k).zip(paths) {
        let path = path?;
        let test: Vec<usize> = (0..n).filter(|&i| foldid[i] == f).collect();
        let link = path.predict_link_at(x, &test, &lambda);
        let prob = link
            .into_iter()
            .map(|l| l.into_iter().map(|e| 1.0 / (1.0 + (-e).exp())).collect())
            .collect();
        held_out.push((test, prob));
    }

    let mut results = Vec::with_capacity(measures.len());
    let per_fold = n as f64 / k as f64;
    for &asked in measures {
        // cv.lognet: AUC needs >= 10 rows per fold, else glmnet warns and uses deviance.
        let measure = if asked == Measure::Auc && per_fold < 10.0 {
            Measure::Deviance
        } else {
            asked
        };
        // cv.glmnet.raw: with < 3 rows per fold the losses are not grouped by fold.
        let grouped = per_fold >= 3.0 || measure == Measure::Auc;
        // Units averaged: folds (grouped) or single held-out rows, with their weights.
        let mut unit_loss: Vec<Vec<f64>> = Vec::new();
        let mut unit_w: Vec<f64> = Vec::new();
        for (test, prob) in &held_out {
            if grouped {
                let yt: Vec<u8> = test.iter().map(|&i| y[i]).collect();
                unit_loss.push(prob.iter().map(|p| fold_loss(measure, &yt, p)).collect());
                unit_w.push(test.len() as f64);
            } else {
                for (r, &i) in test.iter().enumerate() {
                    unit_loss.push(
                        prob.iter()
                            .map(|p| fold_loss(measure, &[y[i]], &[p[r]]))
                            .collect(),
                    );
                    unit_w.push(1.0);
                }
            }
        }
        let mut cvm = vec![0.0; nlam];
        let mut cvsd = vec![0.0; nlam];
        for l in 0..nlam {
            // weighted.mean(..., na.rm = TRUE) over units (NaN: a one-class fold
            // for AUC); the SE divides by N - 1 with N all units, as cvstats does.
            let good = unit_loss.len();
            let (mut s, mut ws) = (0.0, 0.0);
            for (loss, &w) in unit_loss.iter().zip(&unit_w) {
                if loss[l].is_finite() {
                    s += w * loss[l];
                    ws += w;
                }
            }
            let m = s / ws;
            let mut ss = 0.0;
            for (loss, &w) in unit_loss.iter().zip(&unit_w) {
                if loss[l].is_finite() {
                    ss += w * (loss[l] - m).powi(2);
                }
            }
            cvm[l] = m;
            cvsd[l] = (ss / ws / (good as f64 - 1.0)).sqrt();
        }
        let (index_min, index_1se) = optimal_indices(&cvm, &cvsd, measure.maximise());
        results.push(CvResult {
            measure,
            lambda_min: lambda[index_min],
            lambda_1se: lambda[index_1se],
            nzero: fit.df.clone(),
            lambda: lambda.clone(),
            cvm,
            cvsd,
            index_min,
            index_1se,
            foldid: foldid.clone(),
            fit: fit.clone(),
        });
    }
    Ok(results)
}

/// `getOptcv.glmnet`: the largest lambda with the best cvm, then the largest
/// lambda whose cvm is within one cvsd of it (cvm negated for AUC).
fn optimal_indices(cvm: &[f64], cvsd: &[f64], maximise: bool) -> (usize, usize) {
    let sign = if maximise { -1.0 } else { 1.0 };
    let c: Vec<f64> = cvm.iter().map(|v| sign * v).collect();
    let best = c
        .iter()
        .copied()
        .filter(|v| !v.is_nan())
        .fold(f64::INFINITY, f64::min);
    // Lambdas decrease, so the first index attaining a bound is the largest lambda.
    let imin = c.iter().position(|&v| v <= best).unwrap_or(0);
    let semin = c[imin] + cvsd[imin];
    let i1se = c.iter().position(|&v| v <= semin).unwrap_or(imin);
    (imin, i1se)
}

/// Mean loss of one fold at one lambda (`cv.lognet` then `cvcompute`'s
/// per-fold mean with unit weights; AUC is computed per fold directly).
fn fold_loss(measure: Measure, y: &[u8], p: &[f64]) -> f64 {
    let n = y.len() as f64;
    match measure {
        Measure::Deviance => {
            let (lo, hi) = (1e-5, 1.0 - 1e-5);
            y.iter()
                .zip(p)
                .map(|(&yi, &pi)| {
                    let pc = pi.clamp(lo, hi);
                    -2.0 * if yi == 1 { pc.ln() } else { (1.0 - pc).ln() }
                })
                .sum::<f64>()
                / n
        }
        Measure::Mse => {
            y.iter()
                .zip(p)
                .map(|(&yi, &pi)| 2.0 * (f64::from(yi) - pi).powi(2))
                .sum::<f64>()
                / n
        }
        Measure::Class => {
            y.iter()
                .zip(p)
                .map(|(&yi, &pi)| f64::from(u8::from(if yi == 1 { pi < 0.5 } else { pi >= 0.5 })))
                .sum::<f64>()
                / n
        }
        // One fold's labels and predictions have equal length by construction;
        // a mismatch would read as a missing fold value (NaN), never a panic.
        Measure::Auc => auc(y, p).unwrap_or(f64::NAN),
    }
}

/// Mann-Whitney AUC: the fraction of (positive, negative) pairs ranked
/// correctly, ties counting 1/2; NaN when a class is absent. Labels and
/// scores must pair one to one ([`LassoError::Length`] otherwise).
pub fn auc(y: &[u8], score: &[f64]) -> Result<f64, LassoError> {
    if score.len() != y.len() {
        return Err(LassoError::Length {
            what: "scores",
            found: score.len(),
            expected: y.len(),
            per: "label",
        });
    }
    let mut idx: Vec<usize> = (0..y.len()).collect();
    idx.sort_by(|&a, &b| score[a].total_cmp(&score[b]));
    let n1 = y.iter().filter(|&&v| v == 1).count() as f64;
    let n0 = y.len() as f64 - n1;
    if n1 == 0.0 || n0 == 0.0 {
        return Ok(f64::NAN);
    }
    // Sum of mid-ranks of the positives.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && score[idx[j + 1]] == score[idx[i]] {
            j += 1;
        }
        let mid = (i + j) as f64 / 2.0 + 1.0;
        for &t in &idx[i..=j] {
            if y[t] == 1 {
                rank_sum += mid;
            }
        }
        i = j + 1;
    }
    Ok((rank_sum - n1 * (n1 + 1.0) / 2.0) / (n1 * n0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_hand_values() {
        // Pairs (pos, neg): (0.8,0.1) ok, (0.8,0.4) ok, (0.35,0.1) ok, (0.35,0.4) wrong -> 3/4.
        assert_eq!(auc(&[0, 0, 1, 1], &[0.1, 0.4, 0.35, 0.8]).unwrap(), 0.75);
        // All tied: 1/2.
        assert_eq!(auc(&[0, 1, 0, 1], &[0.3; 4]).unwrap(), 0.5);
        assert!(auc(&[1, 1], &[0.1, 0.2]).unwrap().is_nan());
    }

    #[test]
    fn auc_refuses_scores_that_do_not_pair_with_labels() {
        // Fewer scores than labels used to index past the end (panic); more
        // used to be silently ignored.
        let e = auc(&[0, 1, 0, 1], &[0.1, 0.2]).unwrap_err().to_string();
        assert_eq!(e, "scores has 2 entries, expected 4 (one per label)");
        assert!(auc(&[0, 1], &[0.1, 0.2, 0.3]).is_err());
    }

    #[test]
    fn optimal_indices_follow_getoptcv() {
        // cvm minimum 1.0 at index 2 and 3 -> largest lambda (index 2); 1se bound 1.0+0.25.
        let cvm = [1.4, 1.2, 1.0, 1.0, 1.1];
        let cvsd = [0.1, 0.1, 0.25, 0.1, 0.1];
        assert_eq!(optimal_indices(&cvm, &cvsd, false), (2, 1));
        // AUC: maximise.
        let auc = [0.5, 0.7, 0.8, 0.75];
        let sd = [0.05, 0.05, 0.06, 0.05];
        assert_eq!(optimal_indices(&auc, &sd, true), (2, 2));
    }

    #[test]
    fn results_do_not_depend_on_the_number_of_threads() {
        use rand::Rng;
        let (n, p) = (120, 300);
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let x: Vec<f64> = (0..n * p).map(|_| rng.random::<f64>() - 0.5).collect();
        let y: Vec<u8> = (0..n)
            .map(|i| u8::from(x[i] + x[n + i] + 0.3 * (rng.random::<f64>() - 0.5) > 0.0))
            .collect();
        let d = Design::column_major(&x, n, p).unwrap();
        let folds = Folds::Seeded { k: 5, seed: 3 };
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    cross_validate(&d, &y, &folds, Measure::Deviance, &PathOptions::default())
                        .unwrap()
                })
        };
        let one = run(1);
        for threads in [2, 3] {
            let many = run(threads);
            assert_eq!(many, one);
            let bits = |v: &[f64]| v.iter().map(|c| c.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&many.cvm), bits(&one.cvm));
        }
    }

    #[test]
    fn seeded_folds_are_balanced_and_reproducible() {
        let a = Folds::Seeded { k: 10, seed: 7 }.assign(199).unwrap();
        let b = Folds::Seeded { k: 10, seed: 7 }.assign(199).unwrap();
        assert_eq!(a, b);
        for f in 1..=10 {
            let c = a.iter().filter(|&&v| v == f).count();
            assert!(c == 19 || c == 20, "fold {f}: {c}");
        }
        assert!(Folds::Ids(vec![1, 2, 1, 2]).assign(4).is_err());
        // Fewer rows than folds used to run leave-one-out CV under the asked K.
        let e = Folds::Seeded { k: 10, seed: 1 }.assign(6).unwrap_err();
        assert_eq!(
            e.to_string(),
            "fold ids: 10 folds asked but only 6 rows: every fold needs a row"
        );
        assert!(Folds::R { k: 10, seed: 1 }.assign(6).is_err());
        assert_eq!(Folds::Seeded { k: 3, seed: 1 }.assign(3).unwrap().len(), 3);
    }
}
