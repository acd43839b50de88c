//! Bootstrap internal validation of the whole modelling procedure (TRIPOD+AI
//! items 12 and 18; Harrell, Lee & Mark 1996; Steyerberg 2019 ch. 17).
//!
//! Each of B resamples of the training cohort (R's `set.seed(seed);
//! sample(n, replace = TRUE)` sequence, [`dlrn_stats::bootstrap_resamples`])
//! re-runs the whole procedure of [`crate::procedure::fit_procedure`] — the LASSO
//! with its own cross-validation, the univariate screen and backward
//! elimination of the clinical factors, the DLRN — and its three models are
//! scored on the resample and on the original training cohort:
//! `rms::validate`'s rows (index.orig, training, test, optimism,
//! index.corrected, n) per model ([`dlrn_stats::validate_refitted`]), the
//! overfitting-corrected calibration curve (`rms::calibrate`'s method,
//! [`dlrn_stats::calibrate_refitted`]) and how often each feature and
//! clinical factor was selected. Beside them, the final models refitted
//! with their columns fixed (= `rms::validate(lrm(…), B)` after
//! `set.seed(seed)`, [`dlrn_stats::validate_lrm`]): the gap between the two
//! is the optimism the selection adds. Resamples run in parallel and are
//! reduced in resample order, so a rerun gives the same bytes.

use std::collections::BTreeMap;

use dlrn_report as report;
use dlrn_stats::{CalibrateCurve, Validation};
use serde::Serialize;

use crate::coding::{Design, terms};
use crate::error::{Result, StudyError};
use crate::missing::MissingSettings;
use crate::model::FittedModel;
use crate::pipeline::{ClinicalSettings, Cohort, FeatureTable, LassoSettings, MODELS};
use crate::procedure::{Procedure, Progress, fit_procedure};
use crate::schema::ClinicalSchema;

/// The config's `[validation]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BootstrapSettings {
    /// Resamples B (0: no bootstrap validation).
    pub resamples: usize,
    /// R's `set.seed` value of the resample draw.
    pub seed: i32,
}

impl Default for BootstrapSettings {
    /// Off (B = 0), seed 1.
    fn default() -> Self {
        BootstrapSettings {
            resamples: 0,
            seed: 1,
        }
    }
}

/// What the procedure refitted on one resample gives.
#[derive(Debug, Clone)]
pub struct ResampleFit {
    /// Linear predictors of the clinical model, the signature and the DLRN
    /// on every row of the original training cohort.
    pub lp: [Vec<f64>; 3],
    /// Features the LASSO selected.
    pub features: Vec<String>,
    /// Clinical variables the final clinical model kept.
    pub clinical: Vec<String>,
}

/// The procedure's inputs that stay fixed across resamples.
#[derive(Debug, Clone, Copy)]
pub struct ProcedureInputs<'a> {
    /// The clinical schema.
    pub schema: &'a ClinicalSchema,
    /// The training cohort after the missing-value policy.
    pub training: &'a Cohort,
    /// The LASSO's candidate features (kept by the ICC filter and the policy).
    pub kept: &'a [String],
    /// The LASSO.
    pub lasso: &'a LassoSettings,
    /// The clinical screen and elimination.
    pub clinical: &'a ClinicalSettings,
    /// The missing-value rule.
    pub missing: &'a MissingSettings,
}

/// The rows `rows` (0-based, repeats allowed) of `cohort`, in that order.
pub fn resample_cohort(cohort: &Cohort, rows: &[usize]) -> Result<Cohort> {
    let n = cohort.labels.len();
    if let Some(&bad) = rows.iter().find(|&&r| r >= n) {
        return Err(StudyError::Shape {
            what: format!("bootstrap resample of {}", cohort.name),
            message: format!("row {bad} is beyond its {n} patients"),
        });
    }
    let f = &cohort.features;
    Ok(Cohort {
        name: cohort.name.clone(),
        labels: rows.iter().map(|&r| cohort.labels[r]).collect(),
        features: FeatureTable {
            ids: rows.iter().map(|&r| f.ids[r].clone()).collect(),
            labels: f
                .labels
                .as_ref()
                .map(|l| rows.iter().map(|&r| l[r]).collect()),
            names: f.names.clone(),
            columns: f
                .columns
                .iter()
                .map(|c| rows.iter().map(|&r| c[r]).collect())
                .collect(),
        },
        clinical: cohort.clinical.select(rows),
    })
}

/// The schema variables a model's design columns come from, in schema order.
pub fn model_variables(schema: &ClinicalSchema, model: &FittedModel) -> Vec<String> {
    schema
        .variables
        .iter()
        .filter(|v| terms(v).iter().any(|t| model.columns.contains(&t.name)))
        .map(|v| v.name.clone())
        .collect()
}

struct Silent;

impl Progress for Silent {
    fn note(&mut self, _: &str) {}
    fn done(&mut self, _: &str) {}
}

/// The three models' linear predictors on the scoring cohort `design`
/// (the clinical model, the signature score, the DLRN).
fn linear_predictors(
    clinical: &FittedModel,
    dlrn: &FittedModel,
    scores: &[f64],
    design: &Design,
) -> Result<[Vec<f64>; 3]> {
    Ok([
        clinical.linear_predictor(design)?,
        scores.to_vec(),
        dlrn.linear_predictor(design)?,
    ])
}

/// The whole procedure refitted on the resample `rows` of the training
/// cohort, scored on every original training row (the training cohort as
/// the procedure's second cohort: coded and imputed with the resample's
/// training values, as an external cohort would be).
pub fn refit_on_resample(inputs: &ProcedureInputs<'_>, rows: &[usize]) -> Result<ResampleFit> {
    let boot = resample_cohort(inputs.training, rows)?;
    let cohorts = [boot, inputs.training.clone()];
    let Procedure {
        lasso,
        scores,
        designs,
        models,
    } = fit_procedure(
        inputs.schema,
        &cohorts,
        inputs.kept,
        inputs.lasso,
        inputs.clinical,
        inputs.missing,
        Vec::new(),
        &mut Silent,
    )?;
    let (clinical, dlrn) = models.map_err(|(_, e)| e)?;
    let model = &clinical.elimination.model;
    Ok(ResampleFit {
        lp: linear_predictors(model, &dlrn, &scores[1], &designs.score[1])?,
        features: lasso
            .signature
            .features
            .iter()
            .map(|f| f.feature.clone())
            .collect(),
        clinical: model_variables(inputs.schema, model),
    })
}

/// One model's bootstrap results.
#[derive(Debug, Clone)]
pub struct ModelValidation {
    /// Model name (Clinical, Signature, DLRN).
    pub model: String,
    /// The whole procedure refitted on each resample.
    pub whole: Validation,
    /// The final model's columns fixed, = `rms::validate(lrm(…), B)`
    /// (`None` when lrm.fit fails on the training cohort, with the reason).
    pub fixed: std::result::Result<Validation, String>,
    /// The overfitting-corrected calibration curve of the whole procedure.
    pub calibration: CalibrateCurve,
}

/// The study's bootstrap internal validation.
#[derive(Debug, Clone)]
pub struct BootstrapValidation {
    /// B and the seed.
    pub settings: BootstrapSettings,
    /// Per model: clinical, signature, DLRN.
    pub models: Vec<ModelValidation>,
    /// Resamples whose procedure failed (no feature selected, no clinical
    /// factor passed, separation), with the first reason of each kind.
    pub failed: usize,
    /// Distinct failure reasons with their counts.
    pub failures: BTreeMap<String, usize>,
    /// Features and clinical factors with their selection counts.
    pub selection: report::SelectionFrequencies,
}

/// The fitted study's pieces the bootstrap compares against.
#[derive(Debug, Clone, Copy)]
pub struct Original<'a> {
    /// The final clinical model.
    pub clinical: &'a FittedModel,
    /// The DLRN.
    pub dlrn: &'a FittedModel,
    /// The training cohort's design (the clinical candidates as scored, the signature).
    pub design: &'a Design,
    /// The training cohort's signature scores.
    pub scores: &'a [f64],
    /// The features of the signature.
    pub features: &'a [String],
}

/// Runs the bootstrap internal validation (`settings.resamples` > 0).
pub fn bootstrap_validation(
    inputs: &ProcedureInputs<'_>,
    original: &Original<'_>,
    settings: &BootstrapSettings,
    progress: &mut dyn Progress,
) -> Result<BootstrapValidation> {
    use rayon::prelude::*;
    let b = settings.resamples;
    if b == 0 {
        return Err(StudyError::Invalid {
            message: "bootstrap internal validation needs resamples B ≥ 1 ([validation] bootstrap)"
                .into(),
        });
    }
    let labels = &inputs.training.labels;
    let n = labels.len();
    progress.note(&format!(
        "[run]    bootstrap internal validation: {b} resamples of {} ({n} patients), \
         the whole procedure refitted on each (set.seed({}))",
        inputs.training.name, settings.seed
    ));
    let resamples = dlrn_stats::bootstrap_resamples(settings.seed, n, b);
    let fits: Vec<Result<ResampleFit>> = resamples
        .par_iter()
        .map(|rows| refit_on_resample(inputs, rows))
        .collect();
    let mut failures: BTreeMap<String, usize> = BTreeMap::new();
    let mut ok: Vec<Option<&ResampleFit>> = Vec::with_capacity(b);
    for f in &fits {
        match f {
            Ok(r) => ok.push(Some(r)),
            Err(e) => {
                *failures.entry(e.to_string()).or_default() += 1;
                ok.push(None);
            }
        }
    }
    let failed = ok.iter().filter(|f| f.is_none()).count();
    progress.note(&format!(
        "         {} of {b} resamples refitted{}",
        b - failed,
        if failed > 0 {
            format!(
                " ({failed} failed: {})",
                failures.keys().cloned().collect::<Vec<_>>().join("; ")
            )
        } else {
            String::new()
        }
    ));
    let orig = linear_predictors(
        original.clinical,
        original.dlrn,
        original.scores,
        original.design,
    )?;
    let stats = |what: String| {
        move |source: dlrn_stats::StatsError| StudyError::Stats {
            context: what,
            source,
        }
    };
    let mut models = Vec::with_capacity(3);
    for (m, name) in MODELS.iter().enumerate() {
        let per: Vec<Option<Vec<f64>>> = ok.iter().map(|f| f.map(|r| r.lp[m].clone())).collect();
        let whole = dlrn_stats::validate_refitted(labels, &orig[m], &resamples, &per).map_err(
            stats(format!("bootstrap validation of the {name} procedure")),
        )?;
        let calibration = dlrn_stats::calibrate_refitted(labels, &orig[m], None, &resamples, &per)
            .map_err(stats(format!(
                "bootstrap calibration of the {name} procedure"
            )))?;
        let columns: Vec<&[f64]> = match m {
            1 => vec![original.scores],
            _ => {
                let model = if m == 0 {
                    original.clinical
                } else {
                    original.dlrn
                };
                model
                    .columns
                    .iter()
                    .map(|c| original.design.column(c))
                    .collect::<Result<_>>()?
            }
        };
        let fixed =
            dlrn_stats::validate_lrm(&columns, labels, b, settings.seed).map_err(|e| e.to_string());
        models.push(ModelValidation {
            model: name.to_string(),
            whole,
            fixed,
            calibration,
        });
    }
    let done = (b - failed) as u64;
    let mut counts: BTreeMap<(&str, String), (u64, bool)> = BTreeMap::new();
    for f in original.features {
        counts.insert(("feature", f.clone()), (0, true));
    }
    for v in model_variables(inputs.schema, original.clinical) {
        counts.insert(("clinical", v), (0, true));
    }
    for r in ok.iter().flatten() {
        for f in &r.features {
            counts.entry(("feature", f.clone())).or_insert((0, false)).0 += 1;
        }
        for v in &r.clinical {
            counts
                .entry(("clinical", v.clone()))
                .or_insert((0, false))
                .0 += 1;
        }
    }
    let selection = report::SelectionFrequencies::new(
        counts
            .into_iter()
            .map(
                |((kind, name), (selected, in_model))| report::SelectionRow {
                    kind: kind.to_string(),
                    name,
                    selected,
                    resamples: done,
                    frequency: if done > 0 {
                        selected as f64 / done as f64
                    } else {
                        f64::NAN
                    },
                    in_model,
                },
            )
            .collect(),
    );
    Ok(BootstrapValidation {
        settings: *settings,
        models,
        failed,
        failures,
        selection,
    })
}

fn rows_of(model: &str, procedure: &str, v: &Validation) -> Vec<report::InternalValidationRow> {
    let mut rows: Vec<report::InternalValidationRow> = v
        .rows
        .iter()
        .map(|r| report::InternalValidationRow {
            model: model.to_string(),
            procedure: procedure.to_string(),
            index: r.index.clone(),
            index_orig: r.index_orig,
            training: r.training,
            test: r.test,
            optimism: r.optimism,
            index_corrected: r.index_corrected,
            n: r.n as u64,
        })
        .collect();
    // The C statistic (AUC) = Dxy/2 + 1/2, its optimism half Dxy's.
    if let Some(d) = v.row("Dxy") {
        let c = |x: f64| x / 2.0 + 0.5;
        rows.insert(
            0,
            report::InternalValidationRow {
                model: model.to_string(),
                procedure: procedure.to_string(),
                index: "C".into(),
                index_orig: c(d.index_orig),
                training: c(d.training),
                test: c(d.test),
                optimism: d.optimism / 2.0,
                index_corrected: c(d.index_corrected),
                n: d.n as u64,
            },
        );
    }
    rows
}

impl BootstrapValidation {
    /// The report's part: a summary sentence and the three tables.
    pub fn report_part(&self, training: &str) -> report::InternalValidationPart {
        let mut rows = Vec::new();
        for m in &self.models {
            rows.extend(rows_of(&m.model, "whole procedure", &m.whole));
            if let Ok(f) = &m.fixed {
                rows.extend(rows_of(&m.model, "fixed features", f));
            }
        }
        let mut cal = Vec::new();
        for m in &self.models {
            for p in &m.calibration.points {
                cal.push(report::InternalCalibrationRow {
                    model: m.model.clone(),
                    predy: p.predy,
                    calibrated_orig: p.calibrated_orig,
                    calibrated_corrected: p.calibrated_corrected,
                    optimism: p.optimism,
                    n: p.n as u64,
                });
            }
        }
        let b = self.settings.resamples;
        let mut summary = format!(
            "Bootstrap internal validation on {training}: {b} resamples drawn with R's \
             set.seed({}); sample(n, replace = TRUE). In each, the whole modelling procedure \
             was refitted — the LASSO with its cross-validation, the univariate screen and \
             backward elimination of the clinical factors, the DLRN — and scored on the resample \
             (training) and on {training} (test); optimism = training − test, index.corrected = \
             index.orig − optimism (rms::validate). The fixed-features rows refit only the final \
             models' coefficients (= rms::validate(lrm(…), B) after the same set.seed): the gap \
             is the optimism the selection adds.",
            self.settings.seed
        );
        if self.failed > 0 {
            summary.push_str(&format!(
                " {} of {b} resamples could not be refitted and were left out (as \
                 predab.resample does): {}.",
                self.failed,
                self.failures
                    .iter()
                    .map(|(k, v)| format!("{k} ({v}×)"))
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
        }
        for m in &self.models {
            if let Err(e) = &m.fixed {
                summary.push_str(&format!(
                    " No fixed-features rows for the {} model: {e}.",
                    m.model
                ));
            }
        }
        report::InternalValidationPart {
            summary,
            validation: report::InternalValidation { rows },
            calibration: report::InternalCalibration { rows: cal },
            selection: self.selection.clone(),
        }
    }

    /// The bundle's record: B, the seed and each model's optimism-corrected indices.
    pub fn record(&self) -> crate::bundle::ValidationRecord {
        crate::bundle::ValidationRecord {
            method: "bootstrap optimism (Harrell; rms::validate): the whole procedure \
                     (LASSO with its CV, clinical screen and elimination, DLRN) refitted per resample"
                .into(),
            resamples: self.settings.resamples,
            seed: self.settings.seed,
            failed: self.failed,
            corrected: self
                .models
                .iter()
                .map(|m| {
                    let mut idx = BTreeMap::new();
                    for r in &m.whole.rows {
                        if r.index_corrected.is_finite() {
                            idx.insert(r.index.clone(), r.index_corrected);
                        }
                    }
                    if let Some(d) = m.whole.row("Dxy") {
                        idx.insert("C".to_string(), d.index_corrected / 2.0 + 0.5);
                    }
                    (m.model.clone(), idx)
                })
                .collect(),
        }
    }
}
