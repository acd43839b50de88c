//! Bootstrap internal validation: the optimism of a model's apparent
//! performance (= `rms::validate`) and the overfitting-corrected
//! calibration curve (= `rms::calibrate`), both by `rms::predab.resample`'s
//! ordinary bootstrap (Harrell, Lee & Mark 1996; Steyerberg 2019 ch. 17).
//!
//! The modelling procedure is a closure, `refit(rows) -> linear predictor`:
//! given the 0-based rows of a resample (with repeats), it refits the whole
//! procedure on them and returns the refitted model's linear predictor for
//! every row of the original cohort. Each resample is scored on itself
//! ("training") and on the original cohort ("test"); optimism = mean
//! training − mean test; index.corrected = index.orig − optimism. For a
//! fixed logistic model ([`validate_lrm`], [`calibrate_lrm`]) the closure
//! is `lrm.fit` on the resample's rows and the numbers equal
//! `rms::validate(fit, B)` / `rms::calibrate(fit, B)` after `set.seed(seed)`,
//! the resamples being R's ([`crate::rrng::bootstrap_resamples`]).

use rayon::prelude::*;
use serde::Serialize;

use crate::check;
use crate::error::{Result, StatsError};
use crate::lrm::{deviance_lp, gini_md, lrm_fit, nagelkerke, null_deviance, plogis};
use crate::roc::placements;
use crate::rrng::bootstrap_resamples;
use crate::valprob::{approx_linear, lowess_knots};

/// The rows of `rms::validate` for a binary logistic model, in its order.
pub const VALIDATE_INDEXES: [&str; 11] = [
    "Dxy",
    "R2",
    "Intercept",
    "Slope",
    "Emax",
    "D",
    "U",
    "Q",
    "B",
    "g",
    "gp",
];

/// One row of `validate`'s table.
#[derive(Debug, Clone, Serialize)]
pub struct ValidateRow {
    /// Index name as R prints it.
    pub index: String,
    /// Apparent value on the original cohort.
    pub index_orig: f64,
    /// Mean over resamples of the index on the resample.
    pub training: f64,
    /// Mean over resamples of the index on the original cohort.
    pub test: f64,
    /// training − test.
    pub optimism: f64,
    /// index_orig − optimism.
    pub index_corrected: f64,
    /// Resamples that gave the index (R's column `n`).
    pub n: usize,
}

/// `rms::validate`'s table and the resampling it came from.
#[derive(Debug, Clone, Serialize)]
pub struct Validation {
    /// Dxy, R2, Intercept, Slope, Emax, D, U, Q, B, g, gp.
    pub rows: Vec<ValidateRow>,
    /// Resamples drawn (B).
    pub resamples: usize,
    /// Resamples whose refit failed and were skipped (as predab.resample does).
    pub failed: usize,
}

impl Validation {
    /// A row by its R name.
    pub fn row(&self, index: &str) -> Option<&ValidateRow> {
        self.rows.iter().find(|r| r.index == index)
    }
}

/// One grid point of `rms::calibrate`'s table.
#[derive(Debug, Clone, Serialize)]
pub struct CalibratePoint {
    /// Predicted probability (the grid).
    pub predy: f64,
    /// Apparent calibration curve at predy (NaN outside the data's range).
    pub calibrated_orig: f64,
    /// Overfitting-corrected curve: calibrated_orig − optimism.
    pub calibrated_corrected: f64,
    /// calibrated_orig − predy.
    pub index_orig: f64,
    /// Mean over resamples of (curve on the resample − predy).
    pub training: f64,
    /// Mean over resamples of (curve on the original cohort − predy).
    pub test: f64,
    /// training − test.
    pub optimism: f64,
    /// index_orig − optimism.
    pub index_corrected: f64,
    /// Resamples whose curves covered predy in both.
    pub n: usize,
}

/// `rms::calibrate`'s table.
#[derive(Debug, Clone, Serialize)]
pub struct CalibrateCurve {
    /// One point per grid value.
    pub points: Vec<CalibratePoint>,
    /// Resamples drawn (B).
    pub resamples: usize,
    /// Resamples whose refit failed and were skipped.
    pub failed: usize,
}

/// validate.lrm's `discrim` with `evalfit = TRUE` (the fit's own stats):
/// Dxy, R2, Intercept 0, Slope 1, D, U = −2/n, Q, B, g, gp (no Emax).
fn apparent(y: &[u8], lp: &[f64]) -> [f64; 10] {
    let n = y.len();
    let nf = n as f64;
    let events = y.iter().filter(|&&v| v == 1).count();
    if events == 0 || events == n {
        return [f64::NAN; 10];
    }
    let null_dev = null_deviance(events, n);
    let lr = null_dev - deviance_lp(y, lp);
    let d = (lr - 1.0) / nf;
    let u = -2.0 / nf;
    let prob: Vec<f64> = lp.iter().map(|&x| plogis(x)).collect();
    [
        somers_dxy(y, lp, events),
        nagelkerke(lr, null_dev, n),
        0.0,
        1.0,
        d,
        u,
        d - u,
        brier(y, &prob),
        gini_md(lp),
        gini_md(&prob),
    ]
}

/// validate.lrm's `discrim` with `evalfit = FALSE`: the linear predictor
/// recalibrated on the cohort by `lrm.fit(x, y)`.
fn tested(y: &[u8], lp: &[f64]) -> Result<[f64; 10]> {
    let n = y.len();
    let nf = n as f64;
    let events = y.iter().filter(|&&v| v == 1).count();
    let refit = lrm_fit(&[lp], y)?;
    let (a, b) = (refit.coefficients[0], refit.coefficients[1]);
    let d = (refit.lr - 1.0) / nf;
    let l01 = -2.0
        * y.iter()
            .zip(lp)
            .map(|(&yi, &x)| f64::from(yi) * x - (1.0 + x.exp()).ln())
            .sum::<f64>();
    let u = (l01 - refit.deviance - 2.0) / nf;
    let prob: Vec<f64> = lp.iter().map(|&x| plogis(x)).collect();
    let shrunk: Vec<f64> = lp.iter().map(|&x| b * x).collect();
    let recal: Vec<f64> = lp.iter().map(|&x| plogis(a + b * x)).collect();
    Ok([
        somers_dxy(y, lp, events),
        refit.r2,
        a,
        b,
        d,
        u,
        d - u,
        brier(y, &prob),
        gini_md(&shrunk),
        gini_md(&recal),
    ])
}

/// `Hmisc::somers2(x, y)["Dxy"]`: 2(C − ½), ties ½.
fn somers_dxy(y: &[u8], x: &[f64], events: usize) -> f64 {
    2.0 * (placements(y, x, events, y.len() - events).auc - 0.5)
}

fn brier(y: &[u8], p: &[f64]) -> f64 {
    y.iter()
        .zip(p)
        .map(|(&yi, pi)| (f64::from(yi) - pi).powi(2))
        .sum::<f64>()
        / y.len() as f64
}

/// validate.lrm's Emax row (rms 6.5-0): max over p = 0, 0.0005, …, 1 of
/// |p − plogis(a + b·logit(p))| at the corrected intercept a and slope b.
fn emax_line(a: f64, b: f64) -> f64 {
    (0..=2000)
        .map(|i| {
            let p = f64::from(i) * 0.0005;
            (p - plogis(a + b * (p / (1.0 - p)).ln())).abs()
        })
        .filter(|v| !v.is_nan())
        .fold(f64::NEG_INFINITY, f64::max)
}

fn check_inputs(labels: &[u8], lp: &[f64], resamples: &[Vec<usize>]) -> Result<()> {
    check::binary("labels", labels, "linear predictor", lp, 1)?;
    if resamples.is_empty() {
        return Err(StatsError::TooFew {
            what: "bootstrap validation: resamples B".into(),
            needed: 1,
            found: 0,
        });
    }
    let n = labels.len();
    for (b, rows) in resamples.iter().enumerate() {
        if let Some(&bad) = rows.iter().find(|&&r| r >= n) {
            return Err(StatsError::BadShape {
                what: format!("bootstrap resample {}", b + 1),
                detail: format!("row index {bad} is beyond the {n} rows of the cohort"),
            });
        }
    }
    Ok(())
}

/// Runs `refit` on every resample in parallel, in resample order; a
/// failed refit or a linear predictor of the wrong length is `None`.
fn refits<F>(n: usize, resamples: &[Vec<usize>], refit: &F) -> Vec<Option<Vec<f64>>>
where
    F: Fn(&[usize]) -> Result<Vec<f64>> + Sync,
{
    resamples
        .par_iter()
        .map(|rows| {
            refit(rows)
                .ok()
                .filter(|lp| lp.len() == n && lp.iter().all(|v| v.is_finite()))
        })
        .collect()
}

/// predab.resample's averaging: an index counts in a resample only when
/// both its training and test values exist; sums run in resample order.
fn average(per: &[(Vec<f64>, Vec<f64>)], k: usize) -> (Vec<f64>, Vec<f64>, Vec<usize>) {
    let (mut tr, mut te, mut num) = (vec![0.0; k], vec![0.0; k], vec![0usize; k]);
    for (a, b) in per {
        for i in 0..k {
            if !(a[i] + b[i]).is_nan() {
                tr[i] += a[i];
                te[i] += b[i];
                num[i] += 1;
            }
        }
    }
    for i in 0..k {
        tr[i] /= num[i] as f64;
        te[i] /= num[i] as f64;
    }
    (tr, te, num)
}

/// Bootstrap validation of a modelling procedure, = `rms::validate(fit,
/// method = "boot", B)` (rms 6.5-0, `validate.lrm` + `predab.resample`) when
/// `refit` is `lrm.fit` on the resample: `lp` is the original model's linear
/// predictor, `resamples` the bootstrap rows (0-based). Training indexes
/// are the refitted model's own (intercept 0, slope 1, U = −2/n); test
/// indexes recalibrate its linear predictor on the original cohort by
/// `lrm.fit`. Dxy is `somers2` (exact). The Emax row is validate.lrm's:
/// from the corrected Intercept and Slope, index.orig and training 0.
/// Refits run in parallel; results do not depend on the thread count.
/// A refit that fails (or returns a non-finite or wrong-length predictor)
/// is skipped and counted in `failed`, as R skips `fail = TRUE` fits.
pub fn validate<F>(
    labels: &[u8],
    lp: &[f64],
    resamples: &[Vec<usize>],
    refit: F,
) -> Result<Validation>
where
    F: Fn(&[usize]) -> Result<Vec<f64>> + Sync,
{
    check_inputs(labels, lp, resamples)?;
    let fits = refits(labels.len(), resamples, &refit);
    validate_refitted(labels, lp, resamples, &fits)
}

/// Checks the precomputed refits: one per resample; a predictor of the
/// wrong length or with a non-finite value counts as a failed refit.
fn usable_fits(
    n: usize,
    resamples: &[Vec<usize>],
    fits: &[Option<Vec<f64>>],
) -> Result<Vec<Option<Vec<f64>>>> {
    if fits.len() != resamples.len() {
        return Err(StatsError::BadShape {
            what: "bootstrap validation".into(),
            detail: format!("{} refits for {} resamples", fits.len(), resamples.len()),
        });
    }
    Ok(fits
        .iter()
        .map(|f| {
            f.as_ref()
                .filter(|lp| lp.len() == n && lp.iter().all(|v| v.is_finite()))
                .cloned()
        })
        .collect())
}

/// [`validate`] with the refits already made: `fits[b]` is the linear
/// predictor on every original row of the procedure refitted on
/// `resamples[b]`, `None` where that refit failed. Lets one run of an
/// expensive procedure per resample serve several models and
/// [`calibrate_refitted`].
pub fn validate_refitted(
    labels: &[u8],
    lp: &[f64],
    resamples: &[Vec<usize>],
    fits: &[Option<Vec<f64>>],
) -> Result<Validation> {
    check_inputs(labels, lp, resamples)?;
    let orig = apparent(labels, lp);
    let fits = usable_fits(labels.len(), resamples, fits)?;
    let scored: Vec<Option<(Vec<f64>, Vec<f64>)>> = fits
        .par_iter()
        .zip(resamples.par_iter())
        .map(|(fit, rows)| {
            let lp_all = fit.as_ref()?;
            let y_tr: Vec<u8> = rows.iter().map(|&r| labels[r]).collect();
            let lp_tr: Vec<f64> = rows.iter().map(|&r| lp_all[r]).collect();
            let test = tested(labels, lp_all).ok()?;
            Some((apparent(&y_tr, &lp_tr).to_vec(), test.to_vec()))
        })
        .collect();
    let failed = scored.iter().filter(|s| s.is_none()).count();
    let per: Vec<(Vec<f64>, Vec<f64>)> = scored.into_iter().flatten().collect();
    if per.is_empty() {
        return Err(StatsError::BadShape {
            what: "bootstrap validation".into(),
            detail: format!("every one of the {} refits failed", resamples.len()),
        });
    }
    let (tr, te, num) = average(&per, 10);
    let names = [
        "Dxy",
        "R2",
        "Intercept",
        "Slope",
        "D",
        "U",
        "Q",
        "B",
        "g",
        "gp",
    ];
    let mut rows: Vec<ValidateRow> = (0..10)
        .map(|i| {
            let optimism = tr[i] - te[i];
            ValidateRow {
                index: names[i].to_string(),
                index_orig: orig[i],
                training: tr[i],
                test: te[i],
                optimism,
                index_corrected: orig[i] - optimism,
                n: num[i],
            }
        })
        .collect();
    let emax = emax_line(rows[2].index_corrected, rows[3].index_corrected);
    rows.insert(
        4,
        ValidateRow {
            index: "Emax".into(),
            index_orig: 0.0,
            training: 0.0,
            test: emax,
            optimism: emax,
            index_corrected: emax,
            n: rows[0].n,
        },
    );
    Ok(Validation {
        rows,
        resamples: resamples.len(),
        failed,
    })
}

/// `calibrate`'s default grid: 50 points evenly from the 5th smallest to
/// the 5th largest predicted probability (`seq(p[5], p[n - 4], length = 50)`).
pub fn calibrate_grid(p: &[f64]) -> Result<Vec<f64>> {
    let n = p.len();
    if n < 11 {
        return Err(StatsError::TooFew {
            what: "calibrate's default grid (must have n > 10)".into(),
            needed: 11,
            found: n,
        });
    }
    let mut s = p.to_vec();
    s.sort_by(f64::total_cmp);
    let (from, to) = (s[4], s[n - 5]);
    if from == to {
        return Ok(vec![from; 50]);
    }
    let by = (to - from) / 49.0;
    let mut g: Vec<f64> = (0..49).map(|k| from + f64::from(k) * by).collect();
    g.push(to);
    Ok(g)
}

/// calibrate.default's `cal.error`: the curve `lowess(plogis(lp), y,
/// iter = 0)` interpolated at `predy` (NaN outside its range), minus predy.
fn cal_error(y: &[u8], lp: &[f64], predy: &[f64]) -> Result<Vec<f64>> {
    let x: Vec<f64> = lp.iter().map(|&v| plogis(v)).collect();
    let yf: Vec<f64> = y.iter().map(|&v| f64::from(v)).collect();
    let (kx, ky) = lowess_knots(&x, &yf)?;
    Ok(predy
        .iter()
        .map(|&g| approx_linear(&kx, &ky, g) - g)
        .collect())
}

/// Bootstrap overfitting-corrected calibration curve, = `rms::calibrate(fit,
/// method = "boot", B)` (rms 6.5-0, `calibrate.default` with its lowess
/// smoother) when `refit` is `lrm.fit` on the resample: at each `predy` the
/// apparent curve `lowess(p, y, iter = 0)` minus the mean optimism of the
/// resample curves (on the resample vs on the original cohort). `predy`
/// defaults to [`calibrate_grid`] of plogis(lp). Points a resample's curve
/// does not reach are left out of that resample's average (R's NA).
pub fn calibrate<F>(
    labels: &[u8],
    lp: &[f64],
    predy: Option<&[f64]>,
    resamples: &[Vec<usize>],
    refit: F,
) -> Result<CalibrateCurve>
where
    F: Fn(&[usize]) -> Result<Vec<f64>> + Sync,
{
    check_inputs(labels, lp, resamples)?;
    let fits = refits(labels.len(), resamples, &refit);
    calibrate_refitted(labels, lp, predy, resamples, &fits)
}

/// [`calibrate`] with the refits already made (as [`validate_refitted`]).
pub fn calibrate_refitted(
    labels: &[u8],
    lp: &[f64],
    predy: Option<&[f64]>,
    resamples: &[Vec<usize>],
    fits: &[Option<Vec<f64>>],
) -> Result<CalibrateCurve> {
    check_inputs(labels, lp, resamples)?;
    let fits = usable_fits(labels.len(), resamples, fits)?;
    let grid = match predy {
        Some(g) => {
            check::finite("predy", g)?;
            g.to_vec()
        }
        None => calibrate_grid(&lp.iter().map(|&v| plogis(v)).collect::<Vec<_>>())?,
    };
    let orig = cal_error(labels, lp, &grid)?;
    let scored: Vec<Option<(Vec<f64>, Vec<f64>)>> = fits
        .par_iter()
        .zip(resamples.par_iter())
        .map(|(fit, rows)| {
            let lp_all = fit.as_ref()?;
            let y_tr: Vec<u8> = rows.iter().map(|&r| labels[r]).collect();
            let lp_tr: Vec<f64> = rows.iter().map(|&r| lp_all[r]).collect();
            Some((
                cal_error(&y_tr, &lp_tr, &grid).ok()?,
                cal_error(labels, lp_all, &grid).ok()?,
            ))
        })
        .collect();
    let failed = scored.iter().filter(|s| s.is_none()).count();
    let per: Vec<(Vec<f64>, Vec<f64>)> = scored.into_iter().flatten().collect();
    if per.is_empty() {
        return Err(StatsError::BadShape {
            what: "bootstrap calibration".into(),
            detail: format!("every one of the {} refits failed", resamples.len()),
        });
    }
    let (tr, te, num) = average(&per, grid.len());
    let points = (0..grid.len())
        .map(|i| {
            let optimism = tr[i] - te[i];
            let cal = orig[i] + grid[i];
            CalibratePoint {
                predy: grid[i],
                calibrated_orig: cal,
                calibrated_corrected: cal - optimism,
                index_orig: orig[i],
                training: tr[i],
                test: te[i],
                optimism,
                index_corrected: orig[i] - optimism,
                n: num[i],
            }
        })
        .collect();
    Ok(CalibrateCurve {
        points,
        resamples: resamples.len(),
        failed,
    })
}

/// The refit of a fixed-features logistic model: `lrm.fit` on the
/// resample's rows, its linear predictor on every row.
fn lrm_refit<'a>(
    columns: &'a [&'a [f64]],
    labels: &'a [u8],
) -> impl Fn(&[usize]) -> Result<Vec<f64>> + Sync + 'a {
    move |rows: &[usize]| {
        let cols: Vec<Vec<f64>> = columns
            .iter()
            .map(|c| rows.iter().map(|&r| c[r]).collect())
            .collect();
        let refs: Vec<&[f64]> = cols.iter().map(|c| c.as_slice()).collect();
        let y: Vec<u8> = rows.iter().map(|&r| labels[r]).collect();
        let fit = lrm_fit(&refs, &y)?;
        let b = &fit.coefficients;
        Ok((0..labels.len())
            .map(|r| b[0] + (1..b.len()).map(|j| columns[j - 1][r] * b[j]).sum::<f64>())
            .collect())
    }
}

/// `fit <- lrm(y ~ x1 + … + xk, x = TRUE, y = TRUE); set.seed(seed);
/// validate(fit, B = b)` (rms 6.5-0): [`validate`] with the model refitted
/// by `lrm.fit` on each of R's resamples.
pub fn validate_lrm(columns: &[&[f64]], labels: &[u8], b: usize, seed: i32) -> Result<Validation> {
    let fit = lrm_fit(columns, labels)?;
    let resamples = bootstrap_resamples(seed, labels.len(), b);
    validate(
        labels,
        &fit.linear_predictor,
        &resamples,
        lrm_refit(columns, labels),
    )
}

/// `fit <- lrm(y ~ x1 + … + xk, x = TRUE, y = TRUE); set.seed(seed);
/// calibrate(fit, B = b)` (rms 6.5-0): [`calibrate`] on calibrate's default
/// grid with the model refitted by `lrm.fit` on each of R's resamples.
pub fn calibrate_lrm(
    columns: &[&[f64]],
    labels: &[u8],
    b: usize,
    seed: i32,
) -> Result<CalibrateCurve> {
    let fit = lrm_fit(columns, labels)?;
    let resamples = bootstrap_resamples(seed, labels.len(), b);
    calibrate(
        labels,
        &fit.linear_predictor,
        None,
        &resamples,
        lrm_refit(columns, labels),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emax_of_a_perfect_line_is_zero_and_grid_is_even() {
        assert!(emax_line(0.0, 1.0).abs() < 1e-15);
        let p: Vec<f64> = (0..20).map(|i| f64::from(i) / 20.0).collect();
        let g = calibrate_grid(&p).unwrap();
        assert_eq!(g.len(), 50);
        assert_eq!(g[0], 0.2);
        assert_eq!(g[49], 0.75);
        assert!((g[1] - g[0] - 0.55 / 49.0).abs() < 1e-15);
    }

    #[test]
    fn validate_refuses_no_resamples_and_rows_out_of_range() {
        let y = [0u8, 1, 0, 1, 1, 0];
        let lp = [-1.0, 0.5, 0.2, 1.0, -0.3, -0.8];
        let ok = |_: &[usize]| Ok(lp.to_vec());
        assert!(validate(&y, &lp, &[], ok).is_err());
        assert!(validate(&y, &lp, &[vec![0, 9]], ok).is_err());
    }
}
