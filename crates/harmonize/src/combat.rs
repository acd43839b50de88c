//! ComBat's fit and its application to new batches.
//!
//! The fit follows `sva::ComBat` (sva 3.46.0, `R/ComBat.R`) step by step; the
//! comments name the R variable each step computes. Johnson, Li & Rabinovic
//! (2007) is the method, Zhang, Jenkins & Johnson (2018, "Alternative
//! empirical Bayes models for adjusting for batch effects in genomic studies",
//! BMC Bioinformatics 19:262) the reference-batch variant (`ref.batch`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::HarmonizeError;
use crate::eb::{self, Priors};
use crate::linalg;

/// Which empirical Bayes prior (sva's `par.prior`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prior {
    /// Normal prior on γ, inverse-gamma on δ, solved by `it.sol` (`par.prior = TRUE`).
    Parametric,
    /// The other features' estimates as the prior, by `int.eprior` (`par.prior = FALSE`).
    NonParametric,
}

/// What to do with a feature that takes one value on every row of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConstantFeatures {
    /// Refuse, naming the feature and the batch.
    Refuse,
    /// Leave the feature unadjusted on every row, as sva::ComBat does (its
    /// "genes with uniform expression within a single batch").
    LeaveUnadjusted,
}

/// The options of a fit (sva::ComBat's arguments).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Options {
    /// `par.prior`.
    pub prior: Prior,
    /// `mean.only`: adjust the location only (δ* = 1).
    pub mean_only: bool,
    /// `ref.batch`: the batch left unchanged, to which the others are mapped.
    pub reference: Option<String>,
    /// Features constant within a batch.
    pub constant: ConstantFeatures,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            prior: Prior::Parametric,
            mean_only: false,
            reference: None,
            constant: ConstantFeatures::Refuse,
        }
    }
}

/// A covariate to preserve (a column of sva's `mod`, without its intercept).
#[derive(Debug, Clone, Copy)]
pub struct Covariate<'a> {
    /// Name.
    pub name: &'a str,
    /// One value per row.
    pub values: &'a [f64],
}

/// The rows to fit or adjust: values row-major (`batch.len()` rows ×
/// `features.len()` columns), a batch level per row, and the covariates.
#[derive(Debug, Clone, Copy)]
pub struct Data<'a> {
    /// Feature names, one per column.
    pub features: &'a [String],
    /// Values, row-major.
    pub values: &'a [f64],
    /// Batch level of each row.
    pub batch: &'a [String],
    /// Covariates to preserve (sva's `mod`).
    pub covariates: &'a [Covariate<'a>],
}

/// A covariate's coefficient per feature, from the fit's design.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CovariateFit {
    /// Covariate name.
    pub name: String,
    /// Its coefficient in each feature's regression, in feature order (`B.hat`'s row).
    pub coefficients: Vec<f64>,
}

/// One batch of the fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchFit {
    /// Batch level.
    pub level: String,
    /// Rows in the fit.
    pub rows: usize,
    /// Whether this is the reference batch (left unchanged).
    pub reference: bool,
    /// Features constant within this batch.
    pub constant_features: Vec<String>,
    /// Empirical Bayes hyperparameters (absent for the reference batch and for
    /// the non-parametric prior, which has none).
    pub priors: Option<Priors>,
    /// γ* per feature (`gamma.star`; null where the feature is unadjusted).
    pub gamma_star: Vec<Option<f64>>,
    /// δ* per feature (`delta.star`; null where the feature is unadjusted).
    pub delta_star: Vec<Option<f64>>,
}

/// A fitted ComBat model: what `apply` needs to map a new batch to the fit's
/// standard, and the fitted batches' adjustments for the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// The options of the fit.
    pub options: Options,
    /// Feature names, in order.
    pub features: Vec<String>,
    /// The standard each feature is mapped to: the reference batch's mean
    /// (its `B.hat` row) with a reference, else the batch-size-weighted
    /// mean of the batch coefficients (`grand.mean`).
    pub grand_mean: Vec<f64>,
    /// Residual variance per feature: over the reference batch's rows with a
    /// reference, else over every row, divided by the row count (`var.pooled`).
    pub var_pooled: Vec<f64>,
    /// Covariate coefficients (sva's `B.hat` rows after the batch indicators).
    pub covariates: Vec<CovariateFit>,
    /// The batches of the fit, sorted by level.
    pub batches: Vec<BatchFit>,
    /// Features left unadjusted in the fit (constant within some batch).
    pub unadjusted: Vec<String>,
}

/// A fit: the model and the fitted rows adjusted.
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted {
    /// The model.
    pub model: Model,
    /// Adjusted values, row-major like the input.
    pub adjusted: Vec<f64>,
}

/// How `apply` treated one batch of the new rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppliedBatch {
    /// Batch level.
    pub level: String,
    /// Rows.
    pub rows: usize,
    /// True when this is the model's reference batch: its rows are returned unchanged.
    pub reference: bool,
    /// Features left unadjusted in this batch.
    pub unadjusted: Vec<String>,
    /// Empirical Bayes hyperparameters estimated from this batch (parametric only).
    pub priors: Option<Priors>,
    /// γ* per feature (null where unadjusted or for the reference).
    pub gamma_star: Vec<Option<f64>>,
    /// δ* per feature (null where unadjusted or for the reference).
    pub delta_star: Vec<Option<f64>>,
}

/// New rows mapped to a model's standard.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// Adjusted values, row-major like the input.
    pub adjusted: Vec<f64>,
    /// One entry per batch level of the new rows, sorted by level.
    pub batches: Vec<AppliedBatch>,
}

/// The fewest rows a batch may have: δ̂ is a sample variance.
pub const MIN_BATCH_ROWS: usize = 2;

/// Values by feature: `cols[j][i]` is row i of feature j.
fn by_feature(values: &[f64], n: usize, p: usize) -> Vec<Vec<f64>> {
    (0..p)
        .map(|j| (0..n).map(|i| values[i * p + j]).collect())
        .collect()
}

/// Checks sizes and finiteness; returns the values by feature.
fn check_data(data: &Data) -> Result<Vec<Vec<f64>>, HarmonizeError> {
    let n = data.batch.len();
    let p = data.features.len();
    if data.values.len() != n * p {
        return Err(HarmonizeError::Shape {
            what: "the value matrix".into(),
            found: data.values.len(),
            expected: n * p,
        });
    }
    let mut seen = std::collections::BTreeSet::new();
    for name in data
        .features
        .iter()
        .map(String::as_str)
        .chain(data.covariates.iter().map(|c| c.name))
    {
        if !seen.insert(name) {
            return Err(HarmonizeError::DuplicateName {
                name: name.to_string(),
            });
        }
    }
    for (k, v) in data.values.iter().enumerate() {
        if !v.is_finite() {
            return Err(HarmonizeError::NonFinite {
                row: k / p + 1,
                column: data.features[k % p].clone(),
                value: *v,
            });
        }
    }
    for c in data.covariates {
        if c.values.len() != n {
            return Err(HarmonizeError::Shape {
                what: format!("covariate `{}`", c.name),
                found: c.values.len(),
                expected: n,
            });
        }
        if let Some(i) = c.values.iter().position(|v| !v.is_finite()) {
            return Err(HarmonizeError::NonFinite {
                row: i + 1,
                column: c.name.to_string(),
                value: c.values[i],
            });
        }
    }
    Ok(by_feature(data.values, n, p))
}

/// Rows of each level, levels sorted (R's `levels(as.factor(batch))` in the C locale).
fn group(batch: &[String]) -> BTreeMap<String, Vec<usize>> {
    let mut g: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, b) in batch.iter().enumerate() {
        g.entry(b.clone()).or_default().push(i);
    }
    g
}

fn is_constant(col: &[f64], rows: &[usize]) -> bool {
    rows.iter().all(|&i| col[i] == col[rows[0]])
}

fn sqrt_vec(v: &[f64]) -> Vec<f64> {
    v.iter().map(|x| x.sqrt()).collect()
}

/// The empirical Bayes adjustment of one batch over the features `keep`:
/// γ̂ (`gamma.hat`, less `offset` — the reference batch's mean, which sva's
/// reference design subtracts), δ̂ (`delta.hat`), the priors and (γ*, δ*).
#[allow(clippy::type_complexity)]
fn estimate_batch(
    level: &str,
    s: &[Vec<f64>],
    rows: &[usize],
    keep: &[usize],
    offset: &[f64],
    options: &Options,
) -> Result<(Option<Priors>, Vec<f64>, Vec<f64>), HarmonizeError> {
    // The batch's standardised values, by kept feature.
    let cols: Vec<Vec<f64>> = keep
        .iter()
        .map(|&j| rows.iter().map(|&i| s[j][i]).collect())
        .collect();
    // gamma.hat: the batch's regression coefficient on the standardised data.
    let g_hat: Vec<f64> = cols
        .iter()
        .zip(keep)
        .map(|(c, &j)| c.iter().sum::<f64>() / c.len() as f64 - offset[j])
        .collect();
    // delta.hat: rowVars(s.data[, batch]), or 1 for mean.only.
    let d_hat: Vec<f64> = if options.mean_only {
        vec![1.0; keep.len()]
    } else {
        cols.iter().map(|c| eb::var(c)).collect()
    };
    match options.prior {
        Prior::Parametric => {
            let pri = eb::priors(level, &g_hat, &d_hat, !options.mean_only)?;
            if options.mean_only {
                // sva: postmean(gamma.hat, gamma.bar, 1, 1, t2) — n = 1, δ = 1.
                let g = g_hat
                    .iter()
                    .map(|&g| eb::postmean(g, pri.gamma_bar, 1.0, 1.0, pri.t2))
                    .collect();
                Ok((Some(pri), g, vec![1.0; keep.len()]))
            } else {
                let (g, d) = eb::it_sol(level, &cols, &g_hat, &d_hat, &pri)?;
                Ok((Some(pri), g, d))
            }
        }
        Prior::NonParametric => {
            let (g, d) = eb::int_eprior(&cols, &g_hat, &d_hat);
            if let Some(k) = g.iter().chain(&d).position(|v| !v.is_finite()) {
                return Err(HarmonizeError::DegeneratePrior {
                    batch: level.to_string(),
                    what: if k < g.len() {
                        "non-parametric posterior γ*"
                    } else {
                        "non-parametric posterior δ*"
                    },
                });
            }
            Ok((None, g, d))
        }
    }
}

/// Spreads values over the kept features into a per-feature vector with nulls elsewhere.
fn spread(p: usize, keep: &[usize], v: &[f64]) -> Vec<Option<f64>> {
    let mut out = vec![None; p];
    for (k, &j) in keep.iter().enumerate() {
        out[j] = Some(v[k]);
    }
    out
}

/// Fits ComBat and adjusts the fitted rows, as `sva::ComBat(t(values), batch,
/// mod = cbind(1, covariates), par.prior, mean.only = , ref.batch = )` does
/// (Johnson, Li & Rabinovic 2007; the reference batch as Zhang et al. 2018).
///
/// Steps (R names): the design `cbind(batchmod, mod)` — batch indicators, the
/// reference's column all ones — and its least-squares fit `B.hat`; the
/// standard `grand.mean` and `var.pooled` (the reference batch's alone when
/// there is one); the standardised data `s.data`; per batch `gamma.hat`,
/// `delta.hat`, the priors, and (γ*, δ*) by `it.sol` (parametric),
/// `postmean` (parametric, mean-only) or `int.eprior` (non-parametric); then
/// `(s − γ*) / √δ* · √var.pooled + stand.mean`. The reference batch's rows
/// are returned unchanged, bit for bit.
///
/// Deliberate differences from sva: a batch of one row is refused (sva would
/// switch every batch to mean-only); NaN is refused (sva fits around it); a
/// constant covariate is refused (sva drops an all-ones column and refuses
/// other constants as confounded); features constant within a batch are
/// refused unless [`ConstantFeatures::LeaveUnadjusted`], which is sva's
/// behaviour; the non-parametric weights are computed in log space (see
/// [`crate::eb`]), so where sva's likelihoods underflow to NaN this gives the
/// limit; the parametric solver stops with an error after
/// [`eb::MAX_ITERATIONS`] where sva would loop on.
pub fn fit(data: &Data, options: &Options) -> Result<Fitted, HarmonizeError> {
    let y = check_data(data)?;
    let n = data.batch.len();
    let p = data.features.len();
    let groups = group(data.batch);
    let levels: Vec<&String> = groups.keys().collect();
    let list = || {
        levels
            .iter()
            .map(|l| l.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if levels.len() < 2 {
        return Err(HarmonizeError::TooFewBatches {
            found: levels.len(),
            levels: list(),
        });
    }
    let reference = match &options.reference {
        Some(r) => Some(levels.iter().position(|l| *l == r).ok_or_else(|| {
            HarmonizeError::UnknownReference {
                level: r.clone(),
                levels: list(),
            }
        })?),
        None => None,
    };
    for (level, rows) in &groups {
        if rows.len() < MIN_BATCH_ROWS {
            return Err(HarmonizeError::TooSmallBatch {
                level: level.clone(),
                rows: rows.len(),
                min: MIN_BATCH_ROWS,
            });
        }
    }
    for c in data.covariates {
        if c.values.iter().all(|&v| v == c.values[0]) {
            return Err(HarmonizeError::ConstantCovariate {
                name: c.name.to_string(),
                value: c.values[0],
            });
        }
    }

    // zero.rows: features constant within a batch.
    let mut constant_in: Vec<Vec<String>> = vec![Vec::new(); p];
    for (level, rows) in &groups {
        for j in 0..p {
            if is_constant(&y[j], rows) {
                if options.constant == ConstantFeatures::Refuse {
                    return Err(HarmonizeError::ConstantFeature {
                        feature: data.features[j].clone(),
                        batch: level.clone(),
                        rows: rows.len(),
                        value: y[j][rows[0]],
                    });
                }
                constant_in[j].push(level.clone());
            }
        }
    }
    let keep: Vec<usize> = (0..p).filter(|&j| constant_in[j].is_empty()).collect();
    if keep.len() < 2 {
        return Err(HarmonizeError::TooFewFeatures {
            context: "the fit".into(),
            found: keep.len(),
        });
    }

    // design <- cbind(batchmod, mod), the reference's indicator all ones.
    let nb = levels.len();
    let nc = data.covariates.len();
    let mut design = vec![vec![0.0; n]; nb + nc];
    for (b, rows) in groups.values().enumerate() {
        for &i in rows {
            design[b][i] = 1.0;
        }
    }
    if let Some(r) = reference {
        design[r] = vec![1.0; n];
    }
    for (k, c) in data.covariates.iter().enumerate() {
        design[nb + k] = c.values.to_vec();
    }
    check_design(&design, nb, data.covariates)?;

    // B.hat <- solve(crossprod(design), tcrossprod(t(design), dat))
    let bhat = linalg::least_squares(&design, &y)
        .map_err(|m| HarmonizeError::Confounded(format!("the design cannot be solved: {m}")))?;
    let sizes: Vec<usize> = groups.values().map(Vec::len).collect();
    // grand.mean: the reference's coefficient, or crossprod(n.batches/n.array, B.hat[1:n.batch,]).
    let grand_mean: Vec<f64> = (0..p)
        .map(|j| match reference {
            Some(r) => bhat[r][j],
            None => (0..nb)
                .map(|b| sizes[b] as f64 / n as f64 * bhat[b][j])
                .sum(),
        })
        .collect();
    // var.pooled: mean squared residual over the reference's rows, or over all rows.
    let pooled_rows: Vec<usize> = match reference {
        Some(r) => groups[levels[r]].clone(),
        None => (0..n).collect(),
    };
    let w = 1.0 / pooled_rows.len() as f64;
    let var_pooled: Vec<f64> = (0..p)
        .map(|j| {
            pooled_rows
                .iter()
                .map(|&i| {
                    let fitted: f64 = (0..nb + nc).map(|k| design[k][i] * bhat[k][j]).sum();
                    let r = y[j][i] - fitted;
                    r * r * w
                })
                .sum()
        })
        .collect();
    for &j in &keep {
        if var_pooled[j] <= 0.0 {
            return Err(HarmonizeError::ZeroVariance {
                feature: data.features[j].clone(),
                which: if reference.is_some() {
                    "reference batch"
                } else {
                    "pooled"
                },
            });
        }
    }
    let coef: Vec<Vec<f64>> = (0..nc).map(|k| bhat[nb + k].clone()).collect();
    let std = Standard {
        grand_mean: &grand_mean,
        sd: sqrt_vec(&var_pooled),
        coef: &coef,
        covariates: data.covariates,
    };
    let s = std.standardise(&y, &keep);

    // With a reference, sva's batch design has the reference column all ones, so
    // gamma.hat of batch b is mean_b(s) − mean_ref(s).
    let offset: Vec<f64> = match reference {
        Some(r) => {
            let rows = &groups[levels[r]];
            let mut o = vec![0.0; p];
            for &j in &keep {
                o[j] = rows.iter().map(|&i| s[j][i]).sum::<f64>() / rows.len() as f64;
            }
            o
        }
        None => vec![0.0; p],
    };

    let mut adjusted = data.values.to_vec();
    let mut batches = Vec::with_capacity(nb);
    for (b, (level, rows)) in groups.iter().enumerate() {
        let is_ref = reference == Some(b);
        let mut fitted = BatchFit {
            level: level.clone(),
            rows: rows.len(),
            reference: is_ref,
            constant_features: (0..p)
                .filter(|&j| constant_in[j].contains(level))
                .map(|j| data.features[j].clone())
                .collect(),
            priors: None,
            gamma_star: vec![None; p],
            delta_star: vec![None; p],
        };
        if is_ref {
            // gamma.star[ref,] <- 0; delta.star[ref,] <- 1; rows left as they are.
            fitted.gamma_star = spread(p, &keep, &vec![0.0; keep.len()]);
            fitted.delta_star = spread(p, &keep, &vec![1.0; keep.len()]);
        } else {
            let (pri, g, d) = estimate_batch(level, &s, rows, &keep, &offset, options)?;
            std.unstandardise(&s, rows, &keep, &g, &d, p, &mut adjusted);
            fitted.priors = pri;
            fitted.gamma_star = spread(p, &keep, &g);
            fitted.delta_star = spread(p, &keep, &d);
        }
        batches.push(fitted);
    }
    let model = Model {
        options: options.clone(),
        features: data.features.to_vec(),
        grand_mean,
        var_pooled,
        covariates: data
            .covariates
            .iter()
            .zip(coef)
            .map(|(c, coefficients)| CovariateFit {
                name: c.name.to_string(),
                coefficients,
            })
            .collect(),
        batches,
        unadjusted: (0..p)
            .filter(|&j| !constant_in[j].is_empty())
            .map(|j| data.features[j].clone())
            .collect(),
    };
    model.check()?;
    Ok(Fitted { model, adjusted })
}

/// The standard of a reference batch fitted on that batch's rows alone: what
/// [`fit`] with `ref.batch` stores for the reference (its mean — with
/// covariates the intercept of the regression on them — and its mean squared
/// residual, sva's `var.pooled`), without any other batch's data. Every row
/// of `data` must be of level `reference`; the rows are returned unchanged.
///
/// Without covariates, [`Model::apply`] of this model to a batch B equals
/// `sva::ComBat(cbind(reference, B), ref.batch = reference)` on B's rows,
/// as [`fit`] on the same rows does (sva's standard with a reference batch
/// depends on the reference's rows alone). With covariates, their
/// coefficients come from the reference's rows only (sva would estimate them
/// on every batch of its call, letting the new batch move the reference's
/// standard). This is how a study fits ComBat on its training hospital and
/// maps each validation hospital to it without the validation data shaping
/// the model. Features constant within the reference are refused, or left
/// unadjusted everywhere, as `options.constant` says.
pub fn fit_reference(data: &Data, options: &Options) -> Result<Model, HarmonizeError> {
    let y = check_data(data)?;
    let n = data.batch.len();
    let p = data.features.len();
    let reference = options.reference.clone().ok_or_else(|| {
        HarmonizeError::BadModel("a reference-only fit needs options.reference".into())
    })?;
    if let Some(other) = data.batch.iter().find(|b| **b != reference) {
        return Err(HarmonizeError::ModelMismatch(format!(
            "a reference-only fit takes the rows of batch `{reference}` alone; found batch `{other}`"
        )));
    }
    if n < MIN_BATCH_ROWS {
        return Err(HarmonizeError::TooSmallBatch {
            level: reference,
            rows: n,
            min: MIN_BATCH_ROWS,
        });
    }
    for c in data.covariates {
        if c.values.iter().all(|&v| v == c.values[0]) {
            return Err(HarmonizeError::ConstantCovariate {
                name: c.name.to_string(),
                value: c.values[0],
            });
        }
    }
    let rows: Vec<usize> = (0..n).collect();
    let mut constant = Vec::new();
    for (j, col) in y.iter().enumerate() {
        if is_constant(col, &rows) {
            if options.constant == ConstantFeatures::Refuse {
                return Err(HarmonizeError::ConstantFeature {
                    feature: data.features[j].clone(),
                    batch: reference,
                    rows: n,
                    value: col[0],
                });
            }
            constant.push(j);
        }
    }
    if p - constant.len() < 2 {
        return Err(HarmonizeError::TooFewFeatures {
            context: "the fit".into(),
            found: p - constant.len(),
        });
    }
    // design <- cbind(1, mod) over the reference's rows.
    let nc = data.covariates.len();
    let mut design = vec![vec![1.0; n]];
    design.extend(data.covariates.iter().map(|c| c.values.to_vec()));
    check_design(&design, 1, data.covariates)?;
    let bhat = linalg::least_squares(&design, &y)
        .map_err(|m| HarmonizeError::Confounded(format!("the design cannot be solved: {m}")))?;
    let w = 1.0 / n as f64;
    let var_pooled: Vec<f64> = (0..p)
        .map(|j| {
            (0..n)
                .map(|i| {
                    let fitted: f64 = (0..=nc).map(|k| design[k][i] * bhat[k][j]).sum();
                    let r = y[j][i] - fitted;
                    r * r * w
                })
                .sum()
        })
        .collect();
    for j in (0..p).filter(|j| !constant.contains(j)) {
        if var_pooled[j] <= 0.0 {
            return Err(HarmonizeError::ZeroVariance {
                feature: data.features[j].clone(),
                which: "reference batch",
            });
        }
    }
    let keep: Vec<usize> = (0..p).filter(|j| !constant.contains(j)).collect();
    let names =
        |js: &[usize]| -> Vec<String> { js.iter().map(|&j| data.features[j].clone()).collect() };
    let model = Model {
        options: options.clone(),
        features: data.features.to_vec(),
        grand_mean: bhat[0].clone(),
        var_pooled,
        covariates: data
            .covariates
            .iter()
            .zip(&bhat[1..])
            .map(|(c, coefficients)| CovariateFit {
                name: c.name.to_string(),
                coefficients: coefficients.clone(),
            })
            .collect(),
        batches: vec![BatchFit {
            level: reference,
            rows: n,
            reference: true,
            constant_features: names(&constant),
            priors: None,
            gamma_star: spread(p, &keep, &vec![0.0; keep.len()]),
            delta_star: spread(p, &keep, &vec![1.0; keep.len()]),
        }],
        unadjusted: names(&constant),
    };
    model.check()?;
    Ok(model)
}

/// sva's confounding checks: the design must have full column rank.
fn check_design(
    design: &[Vec<f64>],
    nb: usize,
    covariates: &[Covariate],
) -> Result<(), HarmonizeError> {
    if linalg::rank(design) == design.len() {
        return Ok(());
    }
    let names = covariates
        .iter()
        .map(|c| format!("`{}`", c.name))
        .collect::<Vec<_>>()
        .join(", ");
    let msg = if covariates.len() == 1 {
        format!("the covariate {names} is confounded with batch; remove it and rerun ComBat")
    } else if linalg::rank(&design[nb..]) < covariates.len() {
        format!("the covariates {names} are confounded with each other; remove one or more")
    } else {
        format!("at least one of the covariates {names} is confounded with batch; remove it")
    };
    Err(HarmonizeError::Confounded(msg))
}

/// The standard a batch is mapped to: `stand.mean` = grand mean + covariates ×
/// coefficients, and the pooled standard deviation.
struct Standard<'a> {
    grand_mean: &'a [f64],
    sd: Vec<f64>,
    coef: &'a [Vec<f64>],
    covariates: &'a [Covariate<'a>],
}

impl Standard<'_> {
    fn stand_mean(&self, j: usize, i: usize) -> f64 {
        let mut m = self.grand_mean[j];
        for (k, c) in self.covariates.iter().enumerate() {
            m += c.values[i] * self.coef[k][j];
        }
        m
    }

    /// s.data <- (dat − stand.mean) / √var.pooled, for the kept features (0 elsewhere).
    fn standardise(&self, y: &[Vec<f64>], keep: &[usize]) -> Vec<Vec<f64>> {
        let n = y.first().map_or(0, Vec::len);
        let mut s = vec![Vec::new(); y.len()];
        for &j in keep {
            s[j] = (0..n)
                .map(|i| (y[j][i] - self.stand_mean(j, i)) / self.sd[j])
                .collect();
        }
        s
    }

    /// bayesdata <- (s − γ*) / √δ* · √var.pooled + stand.mean, into `out` (row-major, p wide).
    #[allow(clippy::too_many_arguments)]
    fn unstandardise(
        &self,
        s: &[Vec<f64>],
        rows: &[usize],
        keep: &[usize],
        g: &[f64],
        d: &[f64],
        p: usize,
        out: &mut [f64],
    ) {
        for (k, &j) in keep.iter().enumerate() {
            let sd_star = d[k].sqrt();
            for &i in rows {
                out[i * p + j] = (s[j][i] - g[k]) / sd_star * self.sd[j] + self.stand_mean(j, i);
            }
        }
    }
}

impl Model {
    /// The reference batch's level, if the fit had one.
    pub fn reference(&self) -> Option<&str> {
        self.options.reference.as_deref()
    }

    /// Checks that a model (read back from JSON, say) is whole: one value per
    /// feature everywhere, finite, positive variances.
    pub fn check(&self) -> Result<(), HarmonizeError> {
        let p = self.features.len();
        let bad = |m: String| Err(HarmonizeError::BadModel(m));
        if self.grand_mean.len() != p || self.var_pooled.len() != p {
            return bad(format!(
                "{} features but {} grand means and {} pooled variances",
                p,
                self.grand_mean.len(),
                self.var_pooled.len()
            ));
        }
        for c in &self.covariates {
            if c.coefficients.len() != p || c.coefficients.iter().any(|v| !v.is_finite()) {
                return bad(format!(
                    "covariate `{}` lacks a finite coefficient per feature",
                    c.name
                ));
            }
        }
        for j in 0..p {
            if !self.grand_mean[j].is_finite()
                || !self.var_pooled[j].is_finite()
                || self.var_pooled[j] < 0.0
            {
                return bad(format!(
                    "feature `{}` has no finite standard",
                    self.features[j]
                ));
            }
        }
        if let Some(r) = self.reference()
            && !self.batches.iter().any(|b| b.level == r && b.reference)
        {
            return bad(format!(
                "the reference batch `{r}` is not among its batches"
            ));
        }
        Ok(())
    }

    /// Whether feature j is left unadjusted in every batch (by the fit's rule).
    fn fixed_unadjusted(&self, j: usize) -> bool {
        let name = &self.features[j];
        match self.reference() {
            // sva on reference + a new batch drops what is constant within the reference.
            Some(r) => self
                .batches
                .iter()
                .any(|b| b.level == r && b.constant_features.contains(name)),
            None => self.unadjusted.contains(name),
        }
    }

    /// Maps new rows to the fitted standard: each batch level of `data` is
    /// estimated on its own rows (γ̂, δ̂, its own priors, γ*, δ*) and adjusted
    /// to the stored standard (grand mean, pooled variance, covariate
    /// coefficients); rows of the model's reference level are returned
    /// unchanged. No fitted batch's data is needed.
    ///
    /// With a reference batch and no covariates this equals
    /// `sva::ComBat(cbind(reference, B), ref.batch = reference)` on the
    /// reference's fitted rows plus batch B: sva's standard then depends on the
    /// reference rows alone (its mean and its residual variance divided by its
    /// row count), which the model stores. With covariates, the coefficients
    /// are the fit's, held fixed (sva on reference + B would re-estimate them
    /// from those rows and so move the reference's standard). A level that was
    /// a non-reference batch of the fit is treated as new rows of a new batch.
    /// Features constant within a new batch are refused, or left unadjusted in
    /// that batch, as the fit's options say.
    pub fn apply(&self, data: &Data) -> Result<Applied, HarmonizeError> {
        self.check()?;
        if data.features != self.features.as_slice() {
            let missing: Vec<&str> = self
                .features
                .iter()
                .filter(|f| !data.features.contains(f))
                .map(String::as_str)
                .collect();
            return Err(HarmonizeError::ModelMismatch(if missing.is_empty() {
                "the features are not the model's, in the model's order".into()
            } else {
                format!(
                    "{} feature(s) of the model are missing: {}",
                    missing.len(),
                    missing.join(", ")
                )
            }));
        }
        let given: Vec<&str> = data.covariates.iter().map(|c| c.name).collect();
        let wanted: Vec<&str> = self.covariates.iter().map(|c| c.name.as_str()).collect();
        if given != wanted {
            return Err(HarmonizeError::ModelMismatch(format!(
                "the model preserves the covariates [{}] but [{}] were given",
                wanted.join(", "),
                given.join(", ")
            )));
        }
        let y = check_data(data)?;
        let p = self.features.len();
        let coef: Vec<Vec<f64>> = self
            .covariates
            .iter()
            .map(|c| c.coefficients.clone())
            .collect();
        let std = Standard {
            grand_mean: &self.grand_mean,
            sd: sqrt_vec(&self.var_pooled),
            coef: &coef,
            covariates: data.covariates,
        };
        let mut adjusted = data.values.to_vec();
        let mut batches = Vec::new();
        for (level, rows) in group(data.batch) {
            if self.reference() == Some(level.as_str()) {
                batches.push(AppliedBatch {
                    level,
                    rows: rows.len(),
                    reference: true,
                    unadjusted: Vec::new(),
                    priors: None,
                    gamma_star: vec![None; p],
                    delta_star: vec![None; p],
                });
                continue;
            }
            if rows.len() < MIN_BATCH_ROWS {
                return Err(HarmonizeError::TooSmallBatch {
                    level,
                    rows: rows.len(),
                    min: MIN_BATCH_ROWS,
                });
            }
            let mut keep = Vec::with_capacity(p);
            let mut unadjusted = Vec::new();
            for (j, col) in y.iter().enumerate() {
                if is_constant(col, &rows) {
                    if self.options.constant == ConstantFeatures::Refuse {
                        return Err(HarmonizeError::ConstantFeature {
                            feature: self.features[j].clone(),
                            batch: level,
                            rows: rows.len(),
                            value: col[rows[0]],
                        });
                    }
                    unadjusted.push(self.features[j].clone());
                } else if self.fixed_unadjusted(j) || self.var_pooled[j] <= 0.0 {
                    unadjusted.push(self.features[j].clone());
                } else {
                    keep.push(j);
                }
            }
            if keep.len() < 2 {
                return Err(HarmonizeError::TooFewFeatures {
                    context: format!("batch `{level}`"),
                    found: keep.len(),
                });
            }
            let s = std.standardise(&y, &keep);
            let (pri, g, d) =
                estimate_batch(&level, &s, &rows, &keep, &vec![0.0; p], &self.options)?;
            std.unstandardise(&s, &rows, &keep, &g, &d, p, &mut adjusted);
            batches.push(AppliedBatch {
                level,
                rows: rows.len(),
                reference: false,
                unadjusted,
                priors: pri,
                gamma_star: spread(p, &keep, &g),
                delta_star: spread(p, &keep, &d),
            });
        }
        Ok(Applied { adjusted, batches })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 3 batches × 4 features, by hand: batch b adds b to feature 0 and scales feature 1.
    fn toy() -> (Vec<String>, Vec<f64>, Vec<String>) {
        let features: Vec<String> = ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect();
        let mut values = Vec::new();
        let mut batch = Vec::new();
        for (b, level) in ["x", "y", "z"].iter().enumerate() {
            for i in 0..5 {
                let t = i as f64 + 0.37 * b as f64;
                values.extend([
                    t.sin() + b as f64,
                    (1.0 + b as f64) * (t * 1.7).cos(),
                    (t * 0.3).exp(),
                    t * t * 0.1 - b as f64,
                ]);
                batch.push(level.to_string());
            }
        }
        (features, values, batch)
    }

    fn data<'a>(f: &'a [String], v: &'a [f64], b: &'a [String]) -> Data<'a> {
        Data {
            features: f,
            values: v,
            batch: b,
            covariates: &[],
        }
    }

    #[test]
    fn reference_rows_are_returned_bit_for_bit() {
        let (f, v, b) = toy();
        let options = Options {
            reference: Some("y".into()),
            ..Options::default()
        };
        let fitted = fit(&data(&f, &v, &b), &options).unwrap();
        for i in 5..10 {
            for j in 0..4 {
                assert_eq!(fitted.adjusted[i * 4 + j].to_bits(), v[i * 4 + j].to_bits());
            }
        }
        // And other rows move.
        assert!(fitted.adjusted[0] != v[0]);
    }

    #[test]
    fn without_reference_batch_means_meet_the_grand_mean() {
        // Feature `a` carries a shift of 0, 1, 2 by batch: after ComBat the
        // batch means lie much closer together than before.
        let (f, v, b) = toy();
        let fitted = fit(&data(&f, &v, &b), &Options::default()).unwrap();
        let spread = |x: &[f64]| {
            let m: Vec<f64> = (0..3)
                .map(|k| (0..5).map(|i| x[(k * 5 + i) * 4]).sum::<f64>() / 5.0)
                .collect();
            m.iter().cloned().fold(f64::MIN, f64::max) - m.iter().cloned().fold(f64::MAX, f64::min)
        };
        assert!(spread(&fitted.adjusted) < 0.5 * spread(&v));
    }

    #[test]
    fn refuses_small_batch_unknown_reference_nan_constant() {
        let (f, mut v, mut b) = toy();
        b[14] = "w".into();
        let e = fit(&data(&f, &v, &b), &Options::default()).unwrap_err();
        assert!(e.to_string().contains("batch `w` has 1 row(s)"), "{e}");
        b[14] = "z".into();
        let e = fit(
            &data(&f, &v, &b),
            &Options {
                reference: Some("q".into()),
                ..Options::default()
            },
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("reference batch `q` is not one of"),
            "{e}"
        );
        v[6] = f64::NAN;
        let e = fit(&data(&f, &v, &b), &Options::default()).unwrap_err();
        assert!(e.to_string().contains("row 2, column `c`"), "{e}");
        for i in 10..15 {
            v[i * 4 + 3] = 2.5;
        }
        v[6] = 1.0;
        let e = fit(&data(&f, &v, &b), &Options::default()).unwrap_err();
        assert!(
            e.to_string()
                .contains("feature `d` is constant within batch `z`"),
            "{e}"
        );
        // sva's behaviour: the feature is left as it is, everywhere.
        let options = Options {
            constant: ConstantFeatures::LeaveUnadjusted,
            ..Options::default()
        };
        let fitted = fit(&data(&f, &v, &b), &options).unwrap();
        assert_eq!(fitted.model.unadjusted, vec!["d".to_string()]);
        for i in 0..15 {
            assert_eq!(fitted.adjusted[i * 4 + 3], v[i * 4 + 3]);
        }
    }

    #[test]
    fn confounded_covariate_is_refused() {
        let (f, v, b) = toy();
        let cov: Vec<f64> = b.iter().map(|l| if l == "x" { 1.0 } else { 0.0 }).collect();
        let covs = [Covariate {
            name: "site_x",
            values: &cov,
        }];
        let d = Data {
            covariates: &covs,
            ..data(&f, &v, &b)
        };
        let e = fit(&d, &Options::default()).unwrap_err();
        assert!(
            e.to_string().contains("`site_x` is confounded with batch"),
            "{e}"
        );
    }

    #[test]
    fn reference_only_fit_maps_a_batch_as_the_fit_on_reference_plus_that_batch() {
        // fit_reference on x alone, then apply to z, equals the z rows of
        // fit(x + z, ref.batch = x) (the fit is sva's, tests/oracle.rs).
        let (f, v, b) = toy();
        let options = Options {
            reference: Some("x".into()),
            ..Options::default()
        };
        let rows = |l: &str| -> (Vec<f64>, Vec<String>) {
            let r: Vec<usize> = (0..15).filter(|&i| b[i] == l).collect();
            (
                r.iter()
                    .flat_map(|&i| v[i * 4..i * 4 + 4].to_vec())
                    .collect(),
                r.iter().map(|&i| b[i].clone()).collect(),
            )
        };
        let (v_x, b_x) = rows("x");
        let (v_z, b_z) = rows("z");
        let model = fit_reference(&data(&f, &v_x, &b_x), &options).unwrap();
        let applied = model.apply(&data(&f, &v_z, &b_z)).unwrap();
        let both: Vec<f64> = v_x.iter().chain(&v_z).copied().collect();
        let b_both: Vec<String> = b_x.iter().chain(&b_z).cloned().collect();
        let direct = fit(&data(&f, &both, &b_both), &options).unwrap();
        for k in 0..20 {
            let want = direct.adjusted[20 + k];
            assert!((applied.adjusted[k] - want).abs() < 1e-12, "{k}");
        }
        // Rows of another batch are refused; so is a fit without a reference.
        let e = fit_reference(&data(&f, &both, &b_both), &options).unwrap_err();
        assert!(e.to_string().contains("found batch `z`"), "{e}");
        let e = fit_reference(&data(&f, &v_x, &b_x), &Options::default()).unwrap_err();
        assert!(e.to_string().contains("needs options.reference"), "{e}");
    }

    #[test]
    fn apply_reproduces_the_fit_of_reference_plus_one_batch() {
        // Fit on x (reference) and y; apply to z alone equals the z rows of a
        // fit on x + z (no covariates: the standard is x's alone).
        let (f, v, b) = toy();
        let options = Options {
            reference: Some("x".into()),
            ..Options::default()
        };
        let pick = |keep: &[&str]| {
            let rows: Vec<usize> = (0..15).filter(|&i| keep.contains(&b[i].as_str())).collect();
            let vals: Vec<f64> = rows
                .iter()
                .flat_map(|&i| v[i * 4..i * 4 + 4].to_vec())
                .collect();
            let bat: Vec<String> = rows.iter().map(|&i| b[i].clone()).collect();
            (vals, bat)
        };
        let (v_xy, b_xy) = pick(&["x", "y"]);
        let (v_xz, b_xz) = pick(&["x", "z"]);
        let (v_z, b_z) = pick(&["z"]);
        let model = fit(&data(&f, &v_xy, &b_xy), &options).unwrap().model;
        let applied = model.apply(&data(&f, &v_z, &b_z)).unwrap();
        let direct = fit(&data(&f, &v_xz, &b_xz), &options).unwrap();
        for k in 0..20 {
            let want = direct.adjusted[20 + k];
            assert!((applied.adjusted[k] - want).abs() < 1e-12, "{k}");
        }
        // The model survives JSON bit for bit.
        let text = serde_json::to_string(&model).unwrap();
        let back: Model = serde_json::from_str(&text).unwrap();
        assert_eq!(back, model);
        // A table without feature `c` is refused by name.
        let f3: Vec<String> = vec!["a".into(), "b".into(), "d".into()];
        let v3: Vec<f64> = v_z.chunks(4).flat_map(|r| [r[0], r[1], r[3]]).collect();
        let e = model.apply(&data(&f3, &v3, &b_z)).unwrap_err();
        assert!(e.to_string().contains("missing: c"), "{e}");
    }
}
