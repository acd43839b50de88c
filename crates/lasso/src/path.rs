//! The binomial elastic-net path: glmnet's `lognet` (Friedman, Hastie &
//! Tibshirani 2010, "Regularization paths for generalized linear models via
//! coordinate descent", J. Stat. Softw. 33(1)), transcribed from the Fortran
//! routines `lstandard1`, `lognet2n` and `dev2` of glmnet 4.1-6 with the
//! defaults of `glmnet(x, y, family = "binomial")`: unit weights, no offset,
//! `type.logistic = "Newton"`, penalty factors 1, no box constraints.
//!
//! Written here rather than taken from linfa because no linfa crate fits a
//! binomial L1 path; it is exposed through linfa's traits in [`crate::linfa`].
//!
//! The iterations are glmnet's: the same coordinates in the same order, the
//! same convergence tests, strong rule and KKT checks. What differs is how
//! much is computed. A gradient that only decides a comparison (a KKT check,
//! the strong rule, a zero coefficient staying zero) is first bounded, across
//! KKT checks by Cauchy-Schwarz and then from a 16-bit copy of the standardised
//! matrix, each bound with its rounding accounted for (`Screen`,
//! `Gradients`); the full dot product is computed only where the bound does
//! not decide, so every comparison comes out as in glmnet and the path is the
//! same bit for bit with the screening on or off.

use serde::{Deserialize, Serialize};

use crate::LassoError;
use crate::kernels::Kernels;

/// glmnet's internal constants (`glmnet.control()` defaults).
mod control {
    /// `fdev`: stop when the deviance ratio grows by less than this.
    pub const FDEV: f64 = 1e-5;
    /// `eps`: smallest allowed `lambda.min.ratio`.
    pub const EPS: f64 = 1e-6;
    /// `big`: stands for infinity (the first lambda of an automatic path).
    pub const BIG: f64 = 9.9e35;
    /// `mnlam`: the path stopping rules apply from this many lambdas on.
    pub const MNLAM: usize = 5;
    /// `devmax`: stop when the deviance ratio exceeds this.
    pub const DEVMAX: f64 = 0.999;
    /// `pmin`: fitted probabilities are clamped to `[pmin, 1 - pmin]`.
    pub const PMIN: f64 = 1e-9;
}

/// A borrowed design matrix stored column-major (each feature contiguous), the
/// layout the coordinate updates read.
#[derive(Debug, Clone, Copy)]
pub struct Design<'a> {
    data: &'a [f64],
    n_rows: usize,
    n_cols: usize,
}

impl<'a> Design<'a> {
    /// Wraps `n_rows * n_cols` values stored column after column; every value must be finite.
    pub fn column_major(data: &'a [f64], n_rows: usize, n_cols: usize) -> Result<Self, LassoError> {
        let expected = n_rows.saturating_mul(n_cols);
        if data.len() != expected {
            return Err(LassoError::Shape {
                found: data.len(),
                n_rows,
                n_cols,
                expected,
            });
        }
        if let Some(i) = data.iter().position(|v| !v.is_finite()) {
            return Err(LassoError::NotFinite {
                row: i % n_rows.max(1) + 1,
                column: i / n_rows.max(1) + 1,
                name: String::new(),
                value: data[i],
            });
        }
        Ok(Design {
            data,
            n_rows,
            n_cols,
        })
    }

    /// Rows (observations).
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Columns (features).
    pub fn n_cols(&self) -> usize {
        self.n_cols
    }

    /// Each column's standard deviation with divisor n, the scale glmnet
    /// standardises by; multiply original-scale coefficients by it to compare
    /// features on one scale.
    pub fn standard_deviations(&self) -> Vec<f64> {
        let n = self.n_rows as f64;
        (0..self.n_cols)
            .map(|j| {
                let c = self.column(j);
                let m = c.iter().sum::<f64>() / n;
                (c.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n).sqrt()
            })
            .collect()
    }

    /// Column `j` as a contiguous slice.
    pub fn column(&self, j: usize) -> &'a [f64] {
        &self.data[j * self.n_rows..(j + 1) * self.n_rows]
    }
}

/// Options of [`fit_path`], named after `glmnet()`'s arguments; the default is
/// `glmnet(x, y, family = "binomial")`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathOptions {
    /// Elastic-net mixing: 1 = lasso, 0 = ridge (`alpha`).
    pub alpha: f64,
    /// Number of lambdas of an automatic sequence (`nlambda`).
    pub nlambda: usize,
    /// Smallest lambda as a fraction of lambda_max; `None` = 0.01 when
    /// n < p, else 1e-4 (`lambda.min.ratio`).
    pub lambda_min_ratio: Option<f64>,
    /// A user lambda sequence (sorted decreasing before use); turns off the
    /// path stopping rules, as in glmnet (`lambda`).
    pub lambda: Option<Vec<f64>>,
    /// Convergence threshold on the weighted squared coefficient change relative
    /// to the null deviance (`thresh`, default 1e-7).
    pub thresh: f64,
    /// Cap on passes over the data, all lambdas together (`maxit`).
    pub maxit: usize,
    /// Standardise columns with the 1/n standard deviation (`standardize`);
    /// coefficients are always returned on the original scale.
    pub standardize: bool,
    /// Stop the path when more than this many coefficients are non-zero
    /// (`dfmax`; `None` = p + 1).
    pub dfmax: Option<usize>,
    /// Cap on variables ever active (`pmax`; `None` = min(2 dfmax + 20, p)).
    pub pmax: Option<usize>,
}

impl Default for PathOptions {
    fn default() -> Self {
        PathOptions {
            alpha: 1.0,
            nlambda: 100,
            lambda_min_ratio: None,
            lambda: None,
            thresh: 1e-7,
            maxit: 100_000,
            standardize: true,
            dfmax: None,
            pmax: None,
        }
    }
}

/// A fitted path: one intercept and sparse coefficient vector (original scale)
/// per lambda, as `glmnet`'s `a0`, `beta`, `df`, `dev.ratio`, `nulldev`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LassoPath {
    /// The lambdas fitted, decreasing (`lambda`; the first of an automatic
    /// path is extrapolated as glmnet's `fix.lam` does).
    pub lambda: Vec<f64>,
    /// Intercepts, original scale (`a0`).
    pub intercept: Vec<f64>,
    /// Non-zero coefficients per lambda as (column, value), original scale,
    /// sorted by column (`beta`).
    pub beta: Vec<Vec<(usize, f64)>>,
    /// Non-zero coefficients per lambda (`df`).
    pub df: Vec<usize>,
    /// Fraction of null deviance explained per lambda (`dev.ratio`).
    pub dev_ratio: Vec<f64>,
    /// Null deviance, 2 x the binomial log-likelihood loss of the intercept-only model (`nulldev`).
    pub null_deviance: f64,
    /// Coordinate-descent passes made (`npasses`).
    pub n_passes: usize,
    /// Columns of the design.
    pub n_cols: usize,
}

impl LassoPath {
    /// Dense coefficient vector (length p) at lambda index `k` (0-based).
    pub fn coefficients(&self, k: usize) -> Vec<f64> {
        let mut b = vec![0.0; self.n_cols];
        for &(j, v) in &self.beta[k] {
            b[j] = v;
        }
        b
    }

    /// Where lambda `s` falls on the path, as glmnet's `lambda.interp`:
    /// `(left, right, frac)` with coefficients
    /// `frac * beta[left] + (1 - frac) * beta[right]`, linear in the lambda
    /// fraction; `s` outside the path is clamped to its ends.
    pub fn interpolation(&self, s: f64) -> (usize, usize, f64) {
        let k = self.lambda.len();
        if k == 1 {
            return (0, 0, 1.0);
        }
        let (l1, lk) = (self.lambda[0], self.lambda[k - 1]);
        let lam: Vec<f64> = self.lambda.iter().map(|l| (l1 - l) / (l1 - lk)).collect();
        let lo = lam.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = lam.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let sfrac = ((l1 - s) / (l1 - lk)).clamp(lo, hi);
        // stats::approx(lam, 1..k, sfrac): bisection, then linear interpolation.
        let (mut i, mut j) = (0usize, k - 1);
        while i + 1 < j {
            let ij = (i + j) / 2;
            if sfrac < lam[ij] {
                j = ij;
            } else {
                i = ij;
            }
        }
        let coord = if sfrac == lam[j] {
            (j + 1) as f64
        } else if sfrac == lam[i] {
            (i + 1) as f64
        } else {
            (i + 1) as f64 + (sfrac - lam[i]) / (lam[j] - lam[i])
        };
        let left = coord.floor() as usize - 1;
        let right = coord.ceil() as usize - 1;
        let mut frac = (sfrac - lam[right]) / (lam[left] - lam[right]);
        if left == right || (lam[left] - lam[right]).abs() < f64::EPSILON {
            frac = 1.0;
        }
        (left, right, frac)
    }

    /// Intercept and dense coefficients at any lambda `s` (`coef(fit, s = s)`,
    /// interpolated as glmnet does between the path's lambdas).
    pub fn coefficients_at(&self, s: f64) -> (f64, Vec<f64>) {
        let (l, r, f) = self.interpolation(s);
        let (bl, br) = (self.coefficients(l), self.coefficients(r));
        let a0 = f * self.intercept[l] + (1.0 - f) * self.intercept[r];
        (
            a0,
            bl.iter()
                .zip(&br)
                .map(|(a, b)| f * a + (1.0 - f) * b)
                .collect(),
        )
    }

    /// Linear predictors of `rows` of `x` at lambdas `s` (`predict(fit, x[rows, ],
    /// s = s, type = "link")` transposed: `out[k][i]`).
    pub fn predict_link_at(&self, x: &Design, rows: &[usize], s: &[f64]) -> Vec<Vec<f64>> {
        let at_path = self.predict_link(x, rows);
        s.iter()
            .map(|&sv| {
                let (l, r, f) = self.interpolation(sv);
                at_path[l]
                    .iter()
                    .zip(&at_path[r])
                    .map(|(a, b)| f * a + (1.0 - f) * b)
                    .collect()
            })
            .collect()
    }

    /// Linear predictors (log-odds) of `rows` of `x` at every lambda:
    /// `out[k][i]`, as `predict(fit, x[rows, ], type = "link")` transposed.
    pub fn predict_link(&self, x: &Design, rows: &[usize]) -> Vec<Vec<f64>> {
        self.beta
            .iter()
            .zip(&self.intercept)
            .map(|(beta, &a0)| {
                let mut eta = vec![a0; rows.len()];
                for &(j, b) in beta {
                    let col = x.column(j);
                    for (e, &i) in eta.iter_mut().zip(rows) {
                        *e += b * col[i];
                    }
                }
                eta
            })
            .collect()
    }
}

/// Fits the binomial elastic-net path of `glmnet(x, y, family = "binomial")`
/// on all rows of `x`. `y` holds 0/1 labels.
pub fn fit_path(x: &Design, y: &[u8], opts: &PathOptions) -> Result<LassoPath, LassoError> {
    let rows: Vec<usize> = (0..x.n_rows()).collect();
    fit_path_rows(x, y, &rows, opts)
}

/// [`fit_path`] on a subset of rows (a cross-validation training set) without
/// copying the design first. `y` is indexed like the rows of `x`.
pub fn fit_path_rows(
    x: &Design,
    y: &[u8],
    rows: &[usize],
    opts: &PathOptions,
) -> Result<LassoPath, LassoError> {
    fit_rows(x, y, rows, opts, true).map(|(path, _)| path)
}

/// [`fit_path_rows`], with the 16-bit screening on or off (off computes every
/// gradient in full, as glmnet; the path is the same bit for bit), and the
/// number of full gradients the screening saved.
fn fit_rows(
    x: &Design,
    y: &[u8],
    rows: &[usize],
    opts: &PathOptions,
    screening: bool,
) -> Result<(LassoPath, usize), LassoError> {
    if y.len() != x.n_rows() {
        return Err(LassoError::Length {
            what: "labels",
            found: y.len(),
            expected: x.n_rows(),
            per: "row of the design",
        });
    }
    if let Some(i) = y.iter().position(|&v| v > 1) {
        return Err(LassoError::BadLabel {
            row: i + 1,
            value: y[i],
        });
    }
    check_options(opts)?;
    let n = rows.len();
    let p = x.n_cols();
    if n < 2 {
        return Err(LassoError::BadOption {
            name: "rows",
            value: n.to_string(),
            expected: "at least 2 rows",
        });
    }
    let n_pos = rows.iter().filter(|&&i| y[i] == 1).count();
    if n_pos == 0 || n_pos == n {
        return Err(LassoError::OneClass {
            n,
            value: if n_pos == 0 { 0 } else { 1 },
        });
    }

    // lstandard1 with unit weights normalised to sum 1.
    let w = vec![1.0 / n as f64; n];
    let yv: Vec<f64> = rows.iter().map(|&i| f64::from(y[i])).collect();
    let kern = Kernels::detect();
    let mut xs_mat = vec![0.0; n * p];
    let mut xm = vec![0.0; p];
    let mut xs = vec![1.0; p];
    let mut ju = vec![false; p];
    let mut screen = Screen::new(n, p, screening);
    for j in 0..p {
        let src = x.column(j);
        let col = &mut xs_mat[j * n..(j + 1) * n];
        for (c, &i) in col.iter_mut().zip(rows) {
            *c = src[i];
        }
        let first = col[0];
        ju[j] = col.iter().any(|&v| v != first);
        if !ju[j] {
            continue;
        }
        let mean = kern.dot(&w, col);
        xm[j] = mean;
        kern.center_scale(col, mean, 1.0);
        if opts.standardize {
            let sd = kern.dot_wss(&w, &w, col).1.sqrt();
            xs[j] = sd;
            kern.center_scale(col, 0.0, sd);
        }
        // While the column is in cache.
        screen.add(j, col, kern);
    }

    let ne = opts.dfmax.unwrap_or(p + 1);
    let nx = opts.pmax.unwrap_or_else(|| (2 * ne + 20).min(p));
    let lambda_mode = match &opts.lambda {
        Some(l) => {
            let mut l = l.clone();
            l.sort_by(|a, b| b.total_cmp(a));
            LambdaMode::User(l)
        }
        None => LambdaMode::Auto {
            nlam: opts.nlambda,
            flmin: opts
                .lambda_min_ratio
                .unwrap_or(if n < p { 1e-2 } else { 1e-4 }),
        },
    };
    let raw = lognet2n(
        &Standardised {
            x: &xs_mat,
            n,
            p,
            screen: &screen,
        },
        &yv,
        &w,
        &ju,
        opts,
        &lambda_mode,
        ne,
        nx,
    )?;

    // Back to the original scale (glmnet's lognet, after the Fortran call).
    let n_lam = raw.a0.len();
    let mut lambda = raw.alm;
    if matches!(lambda_mode, LambdaMode::Auto { .. }) && lambda.len() > 2 {
        // fix.lam: the first lambda is "big" inside Fortran.
        lambda[0] = (2.0 * lambda[1].ln() - lambda[2].ln()).exp();
    }
    let mut intercept = Vec::with_capacity(n_lam);
    let mut beta = Vec::with_capacity(n_lam);
    let mut df = Vec::with_capacity(n_lam);
    for k in 0..n_lam {
        let mut coefs: Vec<(usize, f64)> = raw.a[k]
            .iter()
            .filter(|&&(_, v)| v != 0.0)
            .map(|&(j, v)| (j, if opts.standardize { v / xs[j] } else { v }))
            .collect();
        coefs.sort_by_key(|&(j, _)| j);
        let a0 = raw.a0[k] - coefs.iter().map(|&(j, b)| b * xm[j]).sum::<f64>();
        df.push(coefs.len());
        intercept.push(a0);
        beta.push(coefs);
    }
    let path = LassoPath {
        lambda,
        intercept,
        beta,
        df,
        dev_ratio: raw.dev,
        null_deviance: 2.0 * n as f64 * raw.dev0,
        n_passes: raw.nlp,
        n_cols: p,
    };
    Ok((path, raw.screened))
}

fn check_options(opts: &PathOptions) -> Result<(), LassoError> {
    if !(0.0..=1.0).contains(&opts.alpha) {
        return Err(LassoError::BadOption {
            name: "alpha",
            value: opts.alpha.to_string(),
            expected: "a number in [0, 1]",
        });
    }
    if opts.thresh.is_nan() || opts.thresh <= 0.0 {
        return Err(LassoError::BadOption {
            name: "thresh",
            value: opts.thresh.to_string(),
            expected: "a positive number",
        });
    }
    match &opts.lambda {
        Some(l) => {
            if l.is_empty() || l.iter().any(|v| !(v.is_finite() && *v >= 0.0)) {
                return Err(LassoError::BadOption {
                    name: "lambda",
                    value: format!("{l:?}"),
                    expected: "a non-empty list of non-negative numbers",
                });
            }
        }
        None => {
            if opts.nlambda < 1 {
                return Err(LassoError::BadOption {
                    name: "nlambda",
                    value: opts.nlambda.to_string(),
                    expected: "at least 1",
                });
            }
            if let Some(r) = opts.lambda_min_ratio
                && !(r > 0.0 && r < 1.0)
            {
                {
                    return Err(LassoError::BadOption {
                        name: "lambda_min_ratio",
                        value: r.to_string(),
                        expected: "a number in (0, 1)",
                    });
                }
            }
        }
    }
    Ok(())
}

enum LambdaMode {
    Auto { nlam: usize, flmin: f64 },
    User(Vec<f64>),
}

/// The standardised training matrix (column-major, n x p).
struct Standardised<'a> {
    x: &'a [f64],
    n: usize,
    p: usize,
    screen: &'a Screen,
}

impl Standardised<'_> {
    #[inline]
    fn col(&self, j: usize) -> &[f64] {
        &self.x[j * self.n..(j + 1) * self.n]
    }
}

/// A 16-bit copy of the standardised matrix that bounds `|x_j' r|` at a
/// quarter of the memory traffic, so that gradients which cannot cross a
/// threshold are never computed in full.
///
/// Column j is stored as `q_ij = round(x_ij / s_j)` with `s_j = max_i |x_ij| /
/// 32767`, so `|x_ij - s_j q_ij| <= s_j / 2`. For any residual r, the full
/// double-precision dot product `g` (as [`Kernels::dot`] computes it, rounding
/// included) and the approximation `a = s_j sum_i q_ij r_i` differ by at most
/// `e_j |r|_1` with `e_j = max_i |x_ij| (0.5000001 / 32767 + (n + 16) 2^-52)`:
/// the quantisation error plus the rounding of both sums (each at most
/// `(n + 16) 2^-53 max_i |x_ij| |r|_1`). A test `|a| + e_j |r|_1 <= t` therefore
/// proves `|g| <= t` without computing g: every comparison glmnet makes comes
/// out the same, so the path is bit for bit the one without screening.
///
/// Where r is fixed for a whole sweep (KKT checks, strong rule) the sum runs
/// in single precision against a single-precision copy of r ([`Screen::below32`]),
/// which adds `(n / 16 + 22) 2^-24 1.01 max_i |x_ij| |r|_1` to the bound: the
/// rounding of r, of each product and of at most n / 16 + 20 additions per
/// term (16 lanes, their combination and a tail of at most 15), plus
/// `(n + 1) 2^-149 max_i |x_ij|` for single-precision underflow.
struct Screen {
    q: Vec<i16>,
    /// `s_j`, the value of one step of column j.
    scale: Vec<f64>,
    /// `e_j`, the bound on the error per unit of `|r|_1`.
    err: Vec<f64>,
    /// The same for the single-precision sum, and the underflow term.
    err32: Vec<f64>,
    under32: Vec<f64>,
    /// `|x_j|_2 (1 + 1e-6)` for the drift bound of [`Gradients`]; infinite
    /// where no bound is used.
    norm: Vec<f64>,
    /// Per-unit errors common to all columns (see [`Screen::new`]).
    rel: f64,
    rel32: f64,
    /// Whether column j has a copy (non-constant, with a scale far from
    /// under- and overflow); other columns are always computed in full.
    ok: Vec<bool>,
    n: usize,
    /// False when no bound of any kind is used.
    enabled: bool,
}

impl Screen {
    /// An empty copy for n rows and p columns, filled by [`Screen::add`];
    /// with `enabled` false no bound is ever used (every gradient in full).
    fn new(n: usize, p: usize, enabled: bool) -> Self {
        // Quantisation plus rounding of both sums, with a relative margin of 1e-6
        // for the rounding of |r|_1 and of the bound itself.
        let nf = n as f64;
        let rel = (0.5000001 / 32767.0 + (nf + 16.0) * f64::EPSILON) * (1.0 + 1e-6);
        // Single precision: also r, the products and the additions; the
        // factor 1.01 bounds gamma_h = h u / (1 - h u) while h u < 0.0099.
        let h = nf / 16.0 + 22.0;
        let rel32 = if h * 2f64.powi(-24) < 0.0099 {
            rel + h * 2f64.powi(-24) * 1.01 * (1.0 + 1e-6)
        } else {
            f64::INFINITY
        };
        Screen {
            q: if enabled {
                vec![0i16; n * p]
            } else {
                Vec::new()
            },
            scale: vec![0.0; p],
            err: vec![0.0; p],
            err32: vec![0.0; p],
            under32: vec![0.0; p],
            norm: vec![f64::INFINITY; p],
            rel,
            rel32,
            ok: vec![false; p],
            n,
            enabled,
        }
    }

    /// Quantises standardised column j (non-constant).
    fn add(&mut self, j: usize, col: &[f64], kern: Kernels) {
        if !self.enabled {
            return;
        }
        let n = self.n;
        self.norm[j] = kern.dot(col, col).sqrt() * (1.0 + 1e-6);
        let amax = col.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        if !(1e-280..=1e280).contains(&amax) {
            return;
        }
        let s = amax / 32767.0;
        let inv = 32767.0 / amax;
        for (qi, &v) in self.q[j * n..(j + 1) * n].iter_mut().zip(col) {
            // Rounded half away from zero (`as` truncates, and saturates):
            // within 0.5 + 1e-11 of v / s, |v / s| <= 32767.
            *qi = (v * inv + 0.5f64.copysign(v)) as i16;
        }
        self.scale[j] = s;
        self.err[j] = amax * self.rel;
        self.err32[j] = amax * self.rel32;
        self.under32[j] = amax * (n as f64 + 1.0) * 2f64.powi(-149);
        self.ok[j] = true;
    }

    /// True when `|x_j' r| <= t` is proved from the 16-bit copy; false when
    /// it may not hold (the caller then computes it in full). Also returns the
    /// bound found, an upper bound on `|x_j' r|` when the test succeeds.
    #[inline]
    fn below(&self, kern: Kernels, j: usize, r: &[f64], t: f64) -> Option<f64> {
        if !self.ok[j] {
            return None;
        }
        let (a, l1) = kern.dot_i16(&self.q[j * self.n..(j + 1) * self.n], r);
        let bound = (self.scale[j] * a).abs() + self.err[j] * l1;
        (bound <= t).then_some(bound)
    }

    /// [`Screen::below`] against `r32`, the single-precision copy of r, whose
    /// 1-norm (of r, in double precision) is `l1`.
    #[inline]
    fn below32(&self, kern: Kernels, j: usize, r32: &[f32], l1: f64, t: f64) -> Option<f64> {
        if !self.ok[j] {
            return None;
        }
        let a = f64::from(kern.dot_i16_f32(&self.q[j * self.n..(j + 1) * self.n], r32));
        let bound = (self.scale[j] * a).abs() + self.err32[j] * l1 + self.under32[j];
        (bound <= t).then_some(bound)
    }
}

/// The gradients `|x_j' r|` of the variables outside the strong set, as far
/// as glmnet's comparisons need them.
///
/// glmnet recomputes every one at each KKT check and compares it with lambda,
/// then with the next lambda's strong-rule threshold. Here `ga[j]` is an upper
/// bound of `|x_j' r|` at the residual of the KKT check where it was set (the
/// exact value where `exact[j]`), and `drift` sums, over the KKT checks since,
/// the Cauchy-Schwarz bound of the change: `|x_j' r_new| <= |x_j' r_old| +
/// |x_j|_2 |r_new - r_old|_2` (plus the rounding of both dot products,
/// `(n + 16) 2^-53 |x_j|_2 |r|_2` each). A gradient is computed again (16-bit
/// bound first, then in full) only when its bound reaches the threshold, so
/// every comparison has glmnet's outcome.
struct Gradients {
    ga: Vec<f64>,
    exact: Vec<bool>,
    /// `drift` when `ga[j]` was set.
    at: Vec<f64>,
    /// Accumulated bound on `|r_now - r_set|_2` (plus rounding), per unit of `|x_j|_2`.
    drift: f64,
    /// The residual of the last KKT check.
    r_last: Vec<f64>,
    /// It in single precision, when all of it is within 1e30 (else empty), and its 1-norm.
    r32: Vec<f32>,
    l1: f64,
    /// `(n + 16) 2^-53`: rounding of one dot product per unit of `|x|_2 |r|_2`.
    round: f64,
    /// Gradients decided without a full dot product.
    saved: usize,
}

impl Gradients {
    /// Every gradient at the starting residual, in full.
    fn new(x: &Standardised, r: &[f64], ju: &[bool], kern: Kernels) -> Self {
        let p = x.p;
        let mut ga = vec![0.0; p];
        for j in 0..p {
            if ju[j] {
                ga[j] = kern.dot(r, x.col(j)).abs();
            }
        }
        let mut g = Gradients {
            ga,
            exact: vec![true; p],
            at: vec![0.0; p],
            drift: 0.0,
            r_last: r.to_vec(),
            r32: Vec::new(),
            l1: 0.0,
            round: (x.n as f64 + 16.0) * f64::EPSILON / 2.0,
            saved: 0,
        };
        g.single(r);
        g
    }

    /// The single-precision copy of r and its 1-norm.
    fn single(&mut self, r: &[f64]) {
        self.r32.clear();
        if r.iter().all(|v| v.abs() < 1e30) {
            self.r32.extend(r.iter().map(|&v| v as f32));
        }
        self.l1 = r.iter().map(|v| v.abs()).sum::<f64>() * (1.0 + 1e-6);
    }

    /// A KKT check at residual `r` begins: the drift grows by `|r - r_last|_2`.
    fn new_residual(&mut self, r: &[f64], kern: Kernels) {
        let mut d2 = 0.0;
        for (a, b) in r.iter().zip(&self.r_last) {
            d2 += (a - b) * (a - b);
        }
        let r2 = kern.dot(r, r).sqrt();
        let last2 = kern.dot(&self.r_last, &self.r_last).sqrt();
        self.drift += d2.sqrt() * (1.0 + 1e-6) + self.round * (r2 + last2) * (1.0 + 1e-6);
        self.r_last.copy_from_slice(r);
        self.single(r);
    }

    /// `|x_k' r|` in full, stored.
    fn compute(&mut self, k: usize, r: &[f64], x: &Standardised, kern: Kernels) -> f64 {
        self.ga[k] = kern.dot(r, x.col(k)).abs();
        self.exact[k] = true;
        self.at[k] = self.drift;
        self.ga[k]
    }

    /// Whether `|x_k' r| > t` (r the residual of the last KKT check), the same
    /// answer as computing it in full.
    #[inline]
    fn exceeds(&mut self, k: usize, t: f64, r: &[f64], x: &Standardised, kern: Kernels) -> bool {
        let since = self.drift - self.at[k];
        if self.exact[k] && since == 0.0 {
            return self.ga[k] > t;
        }
        if self.ga[k] + x.screen.norm[k] * since <= t {
            self.saved += 1;
            return false;
        }
        self.recompute(k, t, r, x, kern)
    }

    /// [`Gradients::exceeds`] where the drift bound does not decide.
    #[inline(never)]
    fn recompute(&mut self, k: usize, t: f64, r: &[f64], x: &Standardised, kern: Kernels) -> bool {
        let screened = if self.r32.len() == r.len() {
            x.screen.below32(kern, k, &self.r32, self.l1, t)
        } else {
            x.screen.below(kern, k, r, t)
        };
        if let Some(bound) = screened {
            self.ga[k] = bound;
            self.exact[k] = false;
            self.at[k] = self.drift;
            self.saved += 1;
            return false;
        }
        self.compute(k, r, x, kern) > t
    }
}

/// Output of [`lognet2n`] on the standardised scale.
struct RawPath {
    a0: Vec<f64>,
    a: Vec<Vec<(usize, f64)>>,
    alm: Vec<f64>,
    dev: Vec<f64>,
    dev0: f64,
    nlp: usize,
    /// Gradients decided from the 16-bit copy alone.
    screened: usize,
}

/// Soft-thresholded coordinate update of glmnet (no box constraints).
#[inline]
fn cd_update(gk: f64, xv: f64, bk: f64, l1: f64, l2: f64) -> f64 {
    let u = gk + xv * bk;
    let au = u.abs() - l1;
    if au > 0.0 {
        au.copysign(u) / (xv + l2)
    } else {
        0.0
    }
}

/// Applies a pending residual update `r -= d v x_j` (glmnet's naive update
/// of the last coordinate moved).
#[inline]
fn flush(
    kern: Kernels,
    r: &mut [f64],
    v: &[f64],
    x: &Standardised,
    pending: &mut Option<(f64, usize)>,
) {
    if let Some((d, j)) = pending.take() {
        kern.update_residual(r, d, v, x.col(j));
    }
}

/// The gradient `x_k' r` of a coordinate update after the pending residual
/// update (fused with it when `xv[k]` is current), computing `xv[k] = sum_i
/// v_i x_ik^2` alongside when it belongs to an earlier quadratic approximation.
/// The same bits as applying the update, then [`Kernels::dot`].
#[allow(clippy::too_many_arguments)]
#[inline]
fn gradient(
    kern: Kernels,
    r: &mut [f64],
    v: &[f64],
    x: &Standardised,
    k: usize,
    pending: &mut Option<(f64, usize)>,
    quad: usize,
    xv: &mut [f64],
    xv_at: &mut [usize],
) -> f64 {
    let xk = x.col(k);
    if xv_at[k] == quad {
        match pending.take() {
            Some((d, j)) => kern.update_dot(r, d, v, x.col(j), xk),
            None => kern.dot(r, xk),
        }
    } else {
        flush(kern, r, v, x, pending);
        let (g, s) = kern.dot_wss(r, v, xk);
        xv[k] = s;
        xv_at[k] = quad;
        g
    }
}

/// The inputs of glmnet's coordinate-descent passes that stay fixed within
/// one quadratic approximation (Newton weights `v`, their sum `xmz`) and one
/// lambda (`al1`, `al2`).
struct Passes<'a> {
    kern: Kernels,
    x: &'a Standardised<'a>,
    v: &'a [f64],
    /// The number of the quadratic approximation (for `xv_at`).
    quad: usize,
    al1: f64,
    al2: f64,
    xmz: f64,
}

impl Passes<'_> {
    /// One cyclic pass of coordinate descent over `set`, then the intercept
    /// update; returns glmnet's `dlx`, the largest weighted squared change.
    /// With `admit` = (in active set, active set, most variables), a moved
    /// variable joins the active set, and the pass stops with `None` (the
    /// residual updated for the moves made) when that would exceed the most.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn pass(
        &self,
        set: &[usize],
        b: &mut [f64],
        r: &mut [f64],
        xv: &mut [f64],
        xv_at: &mut [usize],
        screened: &mut usize,
        mut admit: Option<(&mut [bool], &mut Vec<usize>, usize)>,
    ) -> Option<f64> {
        let (kern, x, v) = (self.kern, self.x, self.v);
        let mut dlx = 0.0f64;
        // The residual update of the last coordinate moved, applied when
        // r is next read: fused with the next gradient where it can be.
        let mut pending: Option<(f64, usize)> = None;
        for &k in set {
            let bk = b[k + 1];
            // At bk = 0 the update leaves 0 exactly when |gk| <= al1.
            if bk == 0.0 {
                flush(kern, r, v, x, &mut pending);
                if x.screen.below(kern, k, r, self.al1).is_some() {
                    *screened += 1;
                    continue;
                }
            }
            let gk = gradient(kern, r, v, x, k, &mut pending, self.quad, xv, xv_at);
            b[k + 1] = cd_update(gk, xv[k], bk, self.al1, self.al2);
            let d = b[k + 1] - bk;
            if d == 0.0 {
                continue;
            }
            dlx = dlx.max(xv[k] * d * d);
            pending = Some((d, k));
            if let Some((mm, m, nx)) = admit.as_mut()
                && !mm[k]
            {
                if m.len() + 1 > *nx {
                    flush(kern, r, v, x, &mut pending);
                    return None;
                }
                mm[k] = true;
                m.push(k);
            }
        }
        flush(kern, r, v, x, &mut pending);
        let d = r.iter().sum::<f64>() / self.xmz;
        if d != 0.0 {
            b[0] += d;
            dlx = dlx.max(self.xmz * d * d);
            for (ri, vi) in r.iter_mut().zip(v) {
                *ri -= d * vi;
            }
        }
        Some(dlx)
    }
}

/// glmnet's `dev2`: weighted binomial deviance / 2 with clamped probabilities.
fn dev2(w: &[f64], y: &[f64], q: &[f64]) -> f64 {
    let pmax = 1.0 - control::PMIN;
    let mut s = 0.0;
    for ((&wi, &yi), &qi) in w.iter().zip(y).zip(q) {
        let pi = qi.clamp(control::PMIN, pmax);
        s -= wi * (yi * pi.ln() + (1.0 - yi) * (1.0 - pi).ln());
    }
    s
}

/// glmnet's `lognet2n` (two-class, naive updates, Newton weights): the IRLS
/// outer loop around cyclic coordinate descent, with warm starts, the
/// sequential strong rule (Tibshirani et al. 2012) and a KKT check over the
/// variables left out, then glmnet's path stopping rules.
#[allow(clippy::too_many_arguments)]
fn lognet2n(
    x: &Standardised,
    y: &[f64],
    w: &[f64],
    ju: &[bool],
    opts: &PathOptions,
    mode: &LambdaMode,
    ne: usize,
    nx: usize,
) -> Result<RawPath, LassoError> {
    let (n, p) = (x.n, x.p);
    let kern = Kernels::detect();
    let dot = |a: &[f64], b: &[f64]| kern.dot(a, b);
    let pmin = control::PMIN;
    let fmax = (1.0 / pmin - 1.0).ln();
    let fmin = -fmax;
    let vmin = (1.0 + pmin) * pmin * (1.0 - pmin);
    let bta = opts.alpha;
    let omb = 1.0 - bta;
    let q0 = dot(w, y);
    let bz = (q0 / (1.0 - q0)).ln();
    let vi = q0 * (1.0 - q0);
    let mut b = vec![0.0; p + 1];
    let mut bs = vec![0.0; p + 1];
    b[0] = bz;
    let mut v: Vec<f64> = w.iter().map(|wi| vi * wi).collect();
    let mut r: Vec<f64> = w.iter().zip(y).map(|(wi, yi)| wi * (yi - q0)).collect();
    let mut q = vec![q0; n];
    let mut xmz = vi;
    let dev1 = -(bz * q0 + (1.0 - q0).ln());
    let mut dev0 = dev1;
    for (&wi, &yi) in w.iter().zip(y) {
        if yi > 0.0 {
            dev0 += wi * yi * yi.ln();
        }
        if yi < 1.0 {
            dev0 += wi * (1.0 - yi) * (1.0 - yi).ln();
        }
    }
    let (nlam, flmin, ulam) = match mode {
        LambdaMode::Auto { nlam, flmin } => (*nlam, *flmin, None),
        LambdaMode::User(l) => (l.len(), 1.0, Some(l.as_slice())),
    };
    let alf = if flmin < 1.0 {
        let eqs = control::EPS.max(flmin);
        if nlam > 1 {
            eqs.powf(1.0 / (nlam as f64 - 1.0))
        } else {
            1.0
        }
    } else {
        1.0
    };
    let mnl = control::MNLAM.min(nlam);
    let shr = opts.thresh * dev0;
    let mut xv = vec![0.0; p];
    // xv[j] belongs to the quadratic approximation number xv_at[j] (computed
    // when first needed: a strong variable that stays at zero never needs it).
    let mut xv_at = vec![0usize; p];
    let mut quad = 0usize;
    let mut grad = Gradients::new(x, &r, ju, kern);
    // The strong set (glmnet's ixx) in increasing column order, the order of
    // glmnet's passes, and the other non-constant columns.
    let mut strong: Vec<usize> = Vec::new();
    let mut outside: Vec<usize> = (0..p).filter(|&k| ju[k]).collect();
    let mut joined: Vec<usize> = Vec::new();
    let mut mm = vec![false; p];
    let mut m: Vec<usize> = Vec::new();
    let mut al = 0.0f64;
    let mut nlp = 0usize;
    let mut out = RawPath {
        a0: Vec::new(),
        a: Vec::new(),
        alm: Vec::new(),
        dev: Vec::new(),
        dev0,
        nlp: 0,
        screened: 0,
    };
    let mut eta = vec![0.0; n];

    for ilm in 1..=nlam {
        let mut al0 = al;
        if let Some(ulam) = ulam {
            al = ulam[ilm - 1];
        } else if ilm > 2 {
            al *= alf;
        } else if ilm == 1 {
            al = control::BIG;
        } else {
            // Exact: the first lambda's KKT check computes every gradient.
            al0 = 0.0;
            for (&g, _) in grad.ga.iter().zip(ju).filter(|(_, u)| **u) {
                al0 = al0.max(g);
            }
            al0 /= bta.max(1e-3);
            al = alf * al0;
        }
        let al2 = al * omb;
        let al1 = al * bta;
        let tlam = bta * (2.0 * al - al0);
        // Sequential strong rule; r is still the residual of the last KKT check.
        outside.retain(|&k| {
            let over = grad.exceeds(k, tlam, &r, x, kern);
            if over {
                joined.push(k);
            }
            !over
        });
        if !joined.is_empty() {
            strong.append(&mut joined);
            strong.sort_unstable();
        }
        let mut too_many = false;
        // Outer (IRLS) loop.
        'outer: loop {
            bs[0] = b[0];
            for &k in &m {
                bs[k + 1] = b[k + 1];
            }
            quad += 1;
            // Middle loop: a pass over the strong set, then the active set to convergence.
            let passes = Passes {
                kern,
                x,
                v: &v,
                quad,
                al1,
                al2,
                xmz,
            };
            loop {
                nlp += 1;
                let admit = Some((mm.as_mut_slice(), &mut m, nx));
                let Some(dlx) = passes.pass(
                    &strong,
                    &mut b,
                    &mut r,
                    &mut xv,
                    &mut xv_at,
                    &mut out.screened,
                    admit,
                ) else {
                    too_many = true;
                    break 'outer;
                };
                if dlx < shr {
                    break;
                }
                if nlp > opts.maxit {
                    return Err(LassoError::NoConvergence {
                        lambda_index: ilm,
                        passes: nlp,
                    });
                }
                // Inner loop over the active set: no admission, so a pass
                // never stops early.
                loop {
                    nlp += 1;
                    let Some(dlx) = passes.pass(
                        &m,
                        &mut b,
                        &mut r,
                        &mut xv,
                        &mut xv_at,
                        &mut out.screened,
                        None,
                    ) else {
                        too_many = true;
                        break 'outer;
                    };
                    if dlx < shr {
                        break;
                    }
                    if nlp > opts.maxit {
                        return Err(LassoError::NoConvergence {
                            lambda_index: ilm,
                            passes: nlp,
                        });
                    }
                }
            }
            // New quadratic approximation.
            eta.iter_mut().for_each(|e| *e = b[0]);
            for &k in &m {
                let bk = b[k + 1];
                if bk != 0.0 {
                    kern.add_scaled(&mut eta, bk, x.col(k));
                }
            }
            for (qi, &fi) in q.iter_mut().zip(&eta) {
                *qi = if fi < fmin {
                    0.0
                } else if fi > fmax {
                    1.0
                } else {
                    1.0 / (1.0 + (-fi).exp())
                };
            }
            xmz = 0.0;
            for i in 0..n {
                v[i] = w[i] * q[i] * (1.0 - q[i]);
                xmz += v[i];
                r[i] = w[i] * (y[i] - q[i]);
            }
            if xmz <= vmin {
                break;
            }
            if xmz * (b[0] - bs[0]).powi(2) >= shr {
                continue;
            }
            if m.iter()
                .any(|&k| xv[k] * (b[k + 1] - bs[k + 1]).powi(2) >= shr)
            {
                continue;
            }
            // KKT check over the variables outside the strong set. The
            // gradients of the first lambda give the second (lambda_max), so
            // they are all computed in full.
            let full = ulam.is_none() && ilm == 1;
            grad.new_residual(&r, kern);
            outside.retain(|&k| {
                let over = if full {
                    grad.compute(k, &r, x, kern) > al1
                } else {
                    grad.exceeds(k, al1, &r, x, kern)
                };
                if over {
                    joined.push(k);
                }
                !over
            });
            if joined.is_empty() {
                break;
            }
            strong.append(&mut joined);
            strong.sort_unstable();
        }
        if too_many {
            // glmnet: jerr = -10000 - ilm, the path so far is kept.
            break;
        }
        out.a.push(m.iter().map(|&k| (k, b[k + 1])).collect());
        out.a0.push(b[0]);
        out.alm.push(al);
        let devi = dev2(w, y, &q);
        out.dev.push((dev1 - devi) / dev0);
        if xmz <= vmin {
            break;
        }
        if ilm < mnl || flmin >= 1.0 {
            continue;
        }
        let me = m.iter().filter(|&&k| b[k + 1] != 0.0).count();
        if me > ne {
            break;
        }
        let dev_now = out.dev[ilm - 1];
        if dev_now > control::DEVMAX {
            break;
        }
        if dev_now - out.dev[ilm - 2] < control::FDEV {
            break;
        }
    }
    out.nlp = nlp;
    out.screened += grad.saved;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 8 rows x 3 columns (column-major): x0 informative, x1 constant, x2 noise.
    fn toy() -> (Vec<f64>, Vec<u8>) {
        let x0 = [0.1, 0.4, 0.35, 0.8, 1.2, 0.9, 1.5, 0.2];
        let x1 = [2.0; 8];
        let x2 = [1.0, -1.0, 0.5, 0.0, -0.5, 1.5, -1.5, 0.25];
        let y = vec![0, 0, 1, 0, 1, 1, 1, 0];
        ([x0, x1, x2].concat(), y)
    }

    #[test]
    fn lambda_max_is_the_standardised_score_at_the_null_model() {
        let (x, y) = toy();
        let d = Design::column_major(&x, 8, 3).unwrap();
        let fit = fit_path(&d, &y, &PathOptions::default()).unwrap();
        // Hand derivation: max_j |sum_i z_ij (y_i - ybar)| / n with z the 1/n-sd standardised column.
        let ybar = 0.5;
        let lmax = [0usize, 2]
            .iter()
            .map(|&j| {
                let c = d.column(j);
                let m = c.iter().sum::<f64>() / 8.0;
                let sd = (c.iter().map(|v| (v - m).powi(2)).sum::<f64>() / 8.0).sqrt();
                (c.iter()
                    .zip(&y)
                    .map(|(v, &yi)| (v - m) / sd * (f64::from(yi) - ybar))
                    .sum::<f64>()
                    / 8.0)
                    .abs()
            })
            .fold(0.0, f64::max);
        assert!(
            (fit.lambda[0] - lmax).abs() < 1e-12 * lmax,
            "{} vs {lmax}",
            fit.lambda[0]
        );
        // n < p is false here (8 > 3): lambda.min.ratio 1e-4 over 99 steps.
        let ratio = fit.lambda[1] / fit.lambda[0];
        assert!((ratio - 1e-4f64.powf(1.0 / 99.0)).abs() < 1e-12);
        assert_eq!(fit.df[0], 0);
        // Intercept-only fit at lambda_max: logit(mean(y)) = 0.
        assert!(fit.intercept[0].abs() < 1e-9);
        // The constant column never enters.
        assert!(fit.beta.iter().flatten().all(|&(j, _)| j != 1));
    }

    #[test]
    fn interpolation_reproduces_path_points_and_is_linear_between() {
        let (x, y) = toy();
        let d = Design::column_major(&x, 8, 3).unwrap();
        let fit = fit_path(&d, &y, &PathOptions::default()).unwrap();
        let k = 20;
        let (a0, b) = fit.coefficients_at(fit.lambda[k]);
        assert_eq!(b, fit.coefficients(k));
        assert_eq!(a0, fit.intercept[k]);
        let mid = 0.5 * (fit.lambda[k] + fit.lambda[k + 1]);
        let (_, bm) = fit.coefficients_at(mid);
        let (l, r) = (fit.coefficients(k), fit.coefficients(k + 1));
        assert!((bm[0] - 0.5 * (l[0] + r[0])).abs() < 1e-12);
        // Beyond the ends: clamped.
        assert_eq!(
            fit.coefficients_at(10.0 * fit.lambda[0]).1,
            fit.coefficients(0)
        );
    }

    /// Seeded Gaussian design (column-major) with a logistic outcome on its
    /// first 5 columns; column 3 is constant and column 7 tiny-spread.
    fn simulated(n: usize, p: usize, seed: u64) -> (Vec<f64>, Vec<u8>) {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut x: Vec<f64> = (0..n * p)
            .map(|_| {
                let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
                let u2: f64 = rng.random();
                (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
            })
            .collect();
        x[3 * n..4 * n].fill(2.5);
        for v in &mut x[7 * n..8 * n] {
            *v = 1.0 + *v * 1e-9;
        }
        let y = (0..n)
            .map(|i| {
                let eta: f64 = -0.3 + (0..5).map(|j| 0.8 * x[j * n + i]).sum::<f64>();
                u8::from(rng.random::<f64>() < 1.0 / (1.0 + (-eta).exp()))
            })
            .collect();
        (x, y)
    }

    #[test]
    fn screening_leaves_the_path_unchanged_bit_for_bit() {
        let (n, p) = (150, 400);
        let (x, y) = simulated(n, p, 11);
        let d = Design::column_major(&x, n, p).unwrap();
        let rows: Vec<usize> = (0..n).filter(|i| i % 7 != 3).collect();
        let user = PathOptions {
            lambda: Some((0..30).map(|k| 0.2 * 0.9f64.powi(k)).collect()),
            ..PathOptions::default()
        };
        let raw = PathOptions {
            standardize: false,
            alpha: 0.7,
            ..PathOptions::default()
        };
        for opts in [PathOptions::default(), user, raw] {
            let (a, saved) = fit_rows(&d, &y, &rows, &opts, true).unwrap();
            let (b, none) = fit_rows(&d, &y, &rows, &opts, false).unwrap();
            assert_eq!(none, 0);
            // Most gradients outside the active set are settled by the copy.
            assert!(saved > 1000, "{saved} gradients screened");
            assert_eq!(a, b);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&a.dev_ratio), bits(&b.dev_ratio));
            assert_eq!(bits(&a.intercept), bits(&b.intercept));
        }
    }

    #[test]
    fn bad_input_is_named() {
        let (mut x, y) = toy();
        let d = Design::column_major(&x, 8, 3).unwrap();
        assert!(matches!(
            fit_path(&d, &[1; 8], &PathOptions::default()),
            Err(LassoError::OneClass { value: 1, .. })
        ));
        assert!(matches!(
            fit_path(&d, &[0, 1, 2, 0, 1, 0, 1, 0], &PathOptions::default()),
            Err(LassoError::BadLabel { row: 3, value: 2 })
        ));
        x[8 + 4] = f64::NAN;
        match Design::column_major(&x, 8, 3) {
            Err(LassoError::NotFinite {
                row: 5, column: 2, ..
            }) => {}
            other => panic!("expected NotFinite at row 5, column 2, got {other:?}"),
        }
        assert!(matches!(
            Design::column_major(&x, 8, 2),
            Err(LassoError::Shape { .. })
        ));
        let bad = PathOptions {
            alpha: 1.5,
            ..PathOptions::default()
        };
        let clean = toy().0;
        let d = Design::column_major(&clean, 8, 3).unwrap();
        assert!(matches!(
            fit_path(&d, &y, &bad),
            Err(LassoError::BadOption { name: "alpha", .. })
        ));
    }
}
