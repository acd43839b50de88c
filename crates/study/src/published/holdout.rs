//! The LASSO on the released tables: the feature matrices (columns with a
//! missing value dropped and reported), the authors' own LASSO rerun on their
//! training table, and a LASSO retrained on all tables but one and validated
//! on the held-out one.

use std::collections::BTreeMap;
use std::path::Path;

use dlrn_lasso::{
    CvResult, Design, Folds, InputHash, LambdaChoice, Measure, PathOptions, SignatureModel,
    cross_validate,
};
use dlrn_report::{CoefficientTable, SelectedFeatureRow, SelectedFeatures, Table2Row, file_stem};

use super::{
    AUTHORS_NFOLDS, AUTHORS_SEED, Cohort, LABEL, LASSO_MODEL, LEVEL, Settings, during, invalid,
    sha256_file, table_error, table2_row,
};
use crate::error::{Result, StudyError};

/// One hold-out LASSO: trained on every other table, validated on `held_out`.
#[derive(Debug, Clone)]
pub struct HoldOut {
    /// Index of the held-out table.
    pub held_out: usize,
    /// The LASSO at lambda.min.
    pub model: SignatureModel,
    /// Its scores on the held-out table.
    pub scores: Vec<f64>,
    /// The Youden cut-off of its own training predictions.
    pub cutoff: f64,
    /// Its Table 2 row on the held-out table.
    pub row: Table2Row,
    /// Paired DeLong P against the signature on the held-out table.
    pub p_vs_signature: f64,
    /// The cross-validation behind it (for the figures).
    pub cv: CvResult,
    /// The training columns' standard deviations (standardised paths).
    pub sd: Vec<f64>,
}

impl HoldOut {
    /// Writes the glmnet-style figures (standardised coefficient paths and
    /// the CV curve, SVG and PNG) under `out/figures/`, named after the
    /// held-out cohort; returns the (svg, png) paths relative to `out`.
    pub fn write_figures(&self, cohort: &str, out: &Path) -> Result<Vec<(String, String)>> {
        let stem = file_stem(cohort);
        let mut figures = Vec::new();
        for kind in ["lasso_path", "lasso_cv"] {
            let rel = |ext: &str| format!("figures/{kind}_{stem}.{ext}");
            for ext in ["svg", "png"] {
                let path = out.join(rel(ext));
                if kind == "lasso_path" {
                    dlrn_lasso::plot::cv_coefficient_paths(
                        &self.cv,
                        Some(&self.sd),
                        LambdaChoice::Min,
                        &path,
                    )?;
                } else {
                    dlrn_lasso::plot::cv_curve(&self.cv, &path)?;
                }
            }
            figures.push((rel("svg"), rel("png")));
        }
        Ok(figures)
    }
}

/// The authors' LASSO rerun on their training table.
#[derive(Debug, Clone)]
pub struct TrainRerun {
    /// The LASSO at lambda.min.
    pub model: SignatureModel,
    /// (column, where its missing values are) for each column left out.
    pub dropped: Vec<(String, String)>,
    /// The number of folds.
    pub n_folds: usize,
}

/// Every table's feature columns (all but id and the label), with the
/// columns holding a missing or non-finite value in any table dropped.
pub struct FeatureMatrix {
    /// The kept columns' names.
    pub names: Vec<String>,
    /// Per table, per kept column, the values.
    pub columns: Vec<Vec<Vec<f64>>>,
    /// (column, where its missing values are) for each dropped column.
    pub dropped: Vec<(String, String)>,
}

impl FeatureMatrix {
    /// The feature columns of `cohorts` (every table must have the same ones).
    pub fn new(cohorts: &[Cohort]) -> Result<Self> {
        let names: Vec<String> = cohorts[0].table.feature_names(LABEL);
        for c in &cohorts[1..] {
            let these = c.table.feature_names(LABEL);
            if these != names {
                let missing: Vec<&String> = names.iter().filter(|n| !these.contains(n)).collect();
                let extra: Vec<&String> = these.iter().filter(|n| !names.contains(n)).collect();
                return Err(StudyError::Invalid {
                    message: format!(
                        "{}: feature columns differ from {} (missing {:?}, extra {:?}{})",
                        c.file,
                        cohorts[0].file,
                        missing,
                        extra,
                        if missing.is_empty() && extra.is_empty() {
                            ", same names in another order"
                        } else {
                            ""
                        }
                    ),
                });
            }
        }
        let mut all: Vec<Vec<Vec<f64>>> = vec![Vec::with_capacity(names.len()); cohorts.len()];
        let mut keep = Vec::with_capacity(names.len());
        let mut dropped = Vec::new();
        for name in &names {
            let mut where_na = Vec::new();
            let mut per_table = Vec::with_capacity(cohorts.len());
            for c in cohorts {
                let v = c.table.f64_column(name).map_err(table_error)?;
                let rows: Vec<String> = v
                    .iter()
                    .enumerate()
                    .filter(|(_, x)| !x.is_finite())
                    .map(|(i, _)| (i + 1).to_string())
                    .collect();
                if !rows.is_empty() {
                    where_na.push(format!("{} rows {}", c.name, rows.join(", ")));
                }
                per_table.push(v);
            }
            if where_na.is_empty() {
                keep.push(name.clone());
                for (t, v) in per_table.into_iter().enumerate() {
                    all[t].push(v);
                }
            } else {
                dropped.push((name.clone(), where_na.join("; ")));
            }
        }
        Ok(FeatureMatrix {
            names: keep,
            columns: all,
            dropped,
        })
    }

    /// Column-major values of the tables `which`, stacked in that order.
    pub fn stacked(&self, which: &[usize]) -> Vec<f64> {
        let n: usize = which.iter().map(|&t| self.columns[t][0].len()).sum();
        let mut x = Vec::with_capacity(n * self.names.len());
        for j in 0..self.names.len() {
            for &t in which {
                x.extend_from_slice(&self.columns[t][j]);
            }
        }
        x
    }

    /// The model's linear predictor on every row of table `t`.
    pub fn score(&self, model: &SignatureModel, t: usize) -> Vec<f64> {
        let n = self.columns[t].first().map_or(0, Vec::len);
        let index: BTreeMap<&str, usize> = self
            .names
            .iter()
            .enumerate()
            .map(|(j, n)| (n.as_str(), j))
            .collect();
        let cols: Vec<&[f64]> = model
            .features
            .iter()
            .map(|f| self.columns[t][index[f.feature.as_str()]].as_slice())
            .collect();
        (0..n)
            .map(|i| {
                let values: Vec<f64> = cols.iter().map(|c| c[i]).collect();
                model.score(&values)
            })
            .collect()
    }
}

/// Trains the LASSO on every table but `i` (stacked by name), validates it on `i`.
pub fn hold_out(
    cohorts: &[Cohort],
    features: &FeatureMatrix,
    sig_scores: &[Vec<f64>],
    i: usize,
    settings: &Settings,
) -> Result<HoldOut> {
    let train: Vec<usize> = (0..cohorts.len()).filter(|&t| t != i).collect();
    let y: Vec<u8> = train
        .iter()
        .flat_map(|&t| cohorts[t].labels.iter().copied())
        .collect();
    let n = y.len();
    let k = settings.foldid_row_mod.unwrap_or(settings.folds);
    if n < k {
        return Err(invalid(format!("{n} training rows cannot fill {k} folds")));
    }
    let x = features.stacked(&train);
    let design = Design::column_major(&x, n, features.names.len())?;
    let folds = match settings.foldid_row_mod {
        Some(k) => Folds::Ids((0..n).map(|r| r % k + 1).collect()),
        None => Folds::Seeded {
            k: settings.folds,
            seed: settings.seed,
        },
    };
    let cv = cross_validate(&design, &y, &folds, Measure::Mse, &PathOptions::default())?;
    let inputs = train
        .iter()
        .map(|&t| {
            let path = cohorts[t].table.path();
            Ok(InputHash {
                path: cohorts[t].file.clone(),
                sha256: sha256_file(path)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let model = SignatureModel::from_cv(&cv, LambdaChoice::Min, &features.names, inputs);
    if model.features.is_empty() {
        return Err(invalid(
            "lambda.min keeps no feature (intercept-only model); nothing to validate".into(),
        ));
    }

    // Cut-off: Youden-optimal on the model's own training predictions.
    let train_scores: Vec<f64> = train
        .iter()
        .flat_map(|&t| features.score(&model, t))
        .collect();
    let cutoff = dlrn_stats::youden(&y, &train_scores)
        .map_err(during("Youden cut-off on the training predictions"))?
        .threshold;
    if !cutoff.is_finite() {
        return Err(invalid(
            "the training predictions give no finite Youden cut-off".into(),
        ));
    }
    let scores = features.score(&model, i);
    let c = &cohorts[i];
    let test = dlrn_stats::delong_paired(&c.labels, &scores, &sig_scores[i], LEVEL)
        .map_err(during("paired DeLong test against the signature"))?;
    let row = table2_row(
        &c.name,
        LASSO_MODEL,
        &c.labels,
        &scores,
        cutoff,
        Some(test.p_value),
    )?;

    let sd = design.standard_deviations();
    Ok(HoldOut {
        held_out: i,
        model,
        scores,
        cutoff,
        row,
        p_vs_signature: test.p_value,
        cv,
        sd,
    })
}

/// The hold-out model's selected features as the report's table.
pub fn selected_features(h: &HoldOut) -> SelectedFeatures {
    SelectedFeatures {
        rows: h
            .model
            .features
            .iter()
            .map(|f| SelectedFeatureRow {
                feature: f.feature.clone(),
                family: crate::family::feature_family(&f.feature).extraction.into(),
                coefficient: f.coefficient,
            })
            .collect(),
    }
}

/// The authors' LASSO as their script runs it on the training table:
/// `set.seed(1); cv.glmnet(x1, y1, alpha = 1, family = "binomial",
/// type.measure = "mse")`, x1 every feature column, folds from R's RNG,
/// coefficients at lambda.min. Columns with a missing value (on which
/// glmnet would stop) are dropped and reported.
pub fn authors_lasso(train: &Cohort) -> Result<TrainRerun> {
    let features = FeatureMatrix::new(std::slice::from_ref(train))?;
    let n = train.labels.len();
    if n < AUTHORS_NFOLDS {
        return Err(invalid(format!(
            "{n} rows cannot fill cv.glmnet's {AUTHORS_NFOLDS} folds"
        )));
    }
    let x = features.stacked(&[0]);
    let design = Design::column_major(&x, n, features.names.len())?;
    let folds = Folds::R {
        k: AUTHORS_NFOLDS,
        seed: AUTHORS_SEED,
    };
    let cv = cross_validate(
        &design,
        &train.labels,
        &folds,
        Measure::Mse,
        &PathOptions::default(),
    )?;
    let inputs = vec![InputHash {
        path: train.file.clone(),
        sha256: sha256_file(train.table.path())?,
    }];
    let model = SignatureModel::from_cv(&cv, LambdaChoice::Min, &features.names, inputs);
    Ok(TrainRerun {
        model,
        dropped: features.dropped,
        n_folds: AUTHORS_NFOLDS,
    })
}

/// The caption of the rerun's coefficient table.
pub fn train_caption(r: &TrainRerun, t: &Cohort, compare: &CoefficientTable) -> String {
    let (both, published_only, rerun_only) = compare.counts();
    let mut c = format!(
        "The authors' LASSO rerun on {} ({} patients): cv.glmnet(x1, y1, alpha = 1, family = \"binomial\", type.measure = \"mse\") after set.seed({AUTHORS_SEED}), {} folds drawn as R's sample(rep(seq({}), length = {})) draws them; lambda.min = {}, {} feature(s) selected (intercept {}). {both} of them are among the published 49; {published_only} published feature(s) not selected; {rerun_only} selected feature(s) not published.",
        t.file,
        t.labels.len(),
        r.n_folds,
        r.n_folds,
        t.labels.len(),
        dlrn_report::format::significant(r.model.lambda, 4),
        r.model.features.len(),
        dlrn_report::format::significant(r.model.intercept, 4),
    );
    if !r.dropped.is_empty() {
        let list: Vec<String> = r
            .dropped
            .iter()
            .map(|(n, w)| format!("{n} ({w})"))
            .collect();
        c.push_str(&format!(
            " Columns with missing values, left out (glmnet would stop on them): {}.",
            list.join(", ")
        ));
    }
    c
}
