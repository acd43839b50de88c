//! The study as typed stages (study.md): load cohorts → ICC filter → LASSO
//! signature → clinical model (screen, elimination) → DLRN → predictions and
//! cut-offs → evaluation → Tables 1 and 3 and the nomogram. Each stage is one
//! function with named inputs and outputs; the caller sequences, caches and
//! writes.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use dlrn_cohort::Table;
use dlrn_cohort::schema::{ClinicalData, ClinicalSchema, VariableColumn};
use dlrn_lasso::{CvResult, Design as LassoDesign, Folds, LambdaChoice, Measure, SignatureModel};
use dlrn_report as report;
use serde::Serialize;

use crate::coding::{Design, code, terms};
use crate::error::{Result, StudyError};
use crate::icc::{IccFilter, Reads, icc_filter};
use crate::model::{Elimination, FittedModel, Screen, plogis};

/// The three models of the study, in Table 2 order.
pub const MODELS: [&str; 3] = ["Clinical", "Signature", "DLRN"];

/// The design column holding the signature score in the DLRN.
pub const SIGNATURE_COLUMN: &str = "signature";

/// A feature table: ids, optional labels, named feature columns.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureTable {
    /// Patient ids, in row order.
    pub ids: Vec<String>,
    /// Outcome per row, if the table has the outcome column.
    pub labels: Option<Vec<u8>>,
    /// Feature names.
    pub names: Vec<String>,
    /// Column-major values, one vector per name.
    pub columns: Vec<Vec<f64>>,
}

impl FeatureTable {
    /// Reads a feature table (CSV or Parquet) with columns id, `label` (optional) and features.
    pub fn read(path: &Path, label: &str) -> Result<FeatureTable> {
        let cohort = |source| StudyError::Cohort {
            path: path.to_path_buf(),
            source: Box::new(source),
        };
        let t = Table::read(path).map_err(cohort)?;
        let ids = t.ids().map_err(cohort)?;
        let labels = if t.has_column(label) {
            Some(t.labels(label).map_err(cohort)?)
        } else {
            None
        };
        let names = t.feature_names(label);
        let columns = names
            .iter()
            .map(|n| t.f64_column(n))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(cohort)?;
        Ok(FeatureTable {
            ids,
            labels,
            names,
            columns,
        })
    }

    /// Appends the columns of `other`, which must hold the same ids in the same order.
    pub fn join(mut self, other: FeatureTable, what: &str) -> Result<FeatureTable> {
        if self.ids != other.ids {
            return Err(StudyError::Shape {
                what: what.to_string(),
                message: "the two feature tables hold different ids".into(),
            });
        }
        self.names.extend(other.names);
        self.columns.extend(other.columns);
        Ok(self)
    }

    /// The column `name`.
    pub fn column(&self, name: &str) -> Option<&[f64]> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|j| self.columns[j].as_slice())
    }
}

/// One cohort: its features, outcome and clinical table, rows aligned by id.
#[derive(Debug, Clone, PartialEq)]
pub struct Cohort {
    /// Cohort name (TC, EVC1, …).
    pub name: String,
    /// Outcome per patient (1 = case).
    pub labels: Vec<u8>,
    /// Handcrafted + deep features.
    pub features: FeatureTable,
    /// The clinical table, reordered to the feature rows.
    pub clinical: ClinicalData,
}

impl Cohort {
    /// Patient ids.
    pub fn ids(&self) -> &[String] {
        &self.features.ids
    }
}

/// Joins a cohort's feature tables with its clinical table (checked against
/// `schema`); every feature row needs a clinical row and a label.
pub fn load_cohort(
    name: &str,
    features: FeatureTable,
    clinical_path: &Path,
    schema: &ClinicalSchema,
) -> Result<Cohort> {
    let labels = features.labels.clone().ok_or_else(|| StudyError::Shape {
        what: format!("{name} features"),
        message: format!("no {} column", schema.outcome.column),
    })?;
    let clinical = schema
        .read(clinical_path)
        .map_err(|problems| StudyError::Clinical { problems })?;
    let by_id: HashMap<&str, usize> = clinical
        .ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let rows = features
        .ids
        .iter()
        .map(|id| {
            by_id
                .get(id.as_str())
                .copied()
                .ok_or_else(|| StudyError::MissingPatient {
                    path: clinical_path.to_path_buf(),
                    id: id.clone(),
                })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Cohort {
        name: name.to_string(),
        labels,
        clinical: clinical.select(&rows),
        features,
    })
}

/// The rows of `training` holding `ids`, in `ids` order; an id not in the
/// cohort is an error naming it.
fn rows_of(training: &Cohort, ids: &[String], what: &str) -> Result<Vec<usize>> {
    let index: HashMap<&str, usize> = training
        .ids()
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    ids.iter()
        .map(|id| {
            index
                .get(id.as_str())
                .copied()
                .ok_or_else(|| StudyError::Shape {
                    what: what.to_string(),
                    message: format!("id {id:?} is not in {}", training.name),
                })
        })
        .collect()
}

/// The patients `ids` of `training` (in `ids` order) with their features,
/// labels and clinical rows.
pub fn subset_cohort(training: &Cohort, ids: &[String], name: &str) -> Result<Cohort> {
    let rows = rows_of(training, ids, name)?;
    let pick = |c: &Vec<f64>| rows.iter().map(|&i| c[i]).collect::<Vec<f64>>();
    Ok(Cohort {
        name: name.to_string(),
        labels: rows.iter().map(|&i| training.labels[i]).collect(),
        features: FeatureTable {
            ids: ids.to_vec(),
            labels: training
                .features
                .labels
                .as_ref()
                .map(|l| rows.iter().map(|&i| l[i]).collect()),
            names: training.features.names.clone(),
            columns: training.features.columns.iter().map(pick).collect(),
        },
        clinical: training.clinical.select(&rows),
    })
}

/// A re-outline of the training cohort's patients as a cohort: the
/// re-outline's features (`features`, extracted from `icc/<reader>/`) with
/// the labels and clinical rows of the same patients in `training`.
pub fn reoutline_cohort(training: &Cohort, name: &str, features: FeatureTable) -> Result<Cohort> {
    if features.names != training.features.names {
        return Err(StudyError::Shape {
            what: format!("re-outline {name}"),
            message: format!("other feature columns than {}", training.name),
        });
    }
    let rows = rows_of(training, &features.ids, &format!("re-outline {name}"))?;
    Ok(Cohort {
        name: name.to_string(),
        labels: rows.iter().map(|&i| training.labels[i]).collect(),
        clinical: training.clinical.select(&rows),
        features,
    })
}

/// Stage 5: the ICC filter on the training cohort's re-outlined subset,
/// with the paper's rule (kept when both the intra- and the inter-observer
/// ICC exceed `threshold`). `intra` are the first reader's repeat
/// re-outlines, `inter` the other readers' (reader name, feature table);
/// all must hold the same ids and the training cohort's feature columns.
pub fn icc_stage(
    training: &Cohort,
    intra: &[(String, FeatureTable)],
    inter: &[(String, FeatureTable)],
    form: &str,
    threshold: f64,
    level: f64,
) -> Result<IccFilter> {
    let form = crate::icc::icc_form(form)?;
    let subset: Vec<String> = intra
        .iter()
        .chain(inter)
        .next()
        .map(|r| r.1.ids.clone())
        .unwrap_or_default();
    for (reader, t) in intra.iter().chain(inter) {
        if t.ids != subset {
            return Err(StudyError::Shape {
                what: format!("re-outline {reader}"),
                message: "the re-outline folders hold different ids".into(),
            });
        }
        if t.names != training.features.names {
            return Err(StudyError::Shape {
                what: format!("re-outline {reader}"),
                message: format!("other feature columns than {}", training.name),
            });
        }
    }
    let first = subset_cohort(training, &subset, "re-outlines")?
        .features
        .columns;
    let reads = |r: &[(String, FeatureTable)]| -> Vec<Reads> {
        r.iter()
            .map(|(reader, t)| Reads {
                reader: reader.clone(),
                columns: t.columns.clone(),
            })
            .collect()
    };
    icc_filter(
        &training.features.names,
        &first,
        &reads(intra),
        &reads(inter),
        form,
        threshold,
        level,
    )
}

/// LASSO settings (the config's `[lasso]`).
#[derive(Debug, Clone)]
pub struct LassoSettings {
    /// Elastic-net mixing (1 = LASSO).
    pub alpha: f64,
    /// cv.glmnet `type.measure`.
    pub measure: Measure,
    /// Folds.
    pub folds: usize,
    /// Seed of the fold assignment.
    pub seed: u64,
    /// lambda.min or lambda.1se.
    pub lambda: LambdaChoice,
}

/// The LASSO stage's result.
#[derive(Debug, Clone)]
pub struct LassoStage {
    /// Candidate features (kept by the ICC filter and finite in every training row).
    pub candidates: Vec<String>,
    /// Kept features left out for a missing or non-finite value.
    pub dropped_non_finite: Vec<String>,
    /// The cross-validated path.
    pub cv: CvResult,
    /// Standard deviations of the candidates (for the standardised path figure).
    pub standard_deviations: Vec<f64>,
    /// The signature at the chosen lambda.
    pub signature: SignatureModel,
}

/// Stage 6: `cv.glmnet(x, y, family = "binomial")` on the training cohort's
/// `kept` features (columns with a non-finite value left out and named), the
/// signature at the chosen lambda. No feature selected is an error.
pub fn lasso_stage(
    training: &Cohort,
    kept: &[String],
    settings: &LassoSettings,
    inputs: Vec<dlrn_lasso::InputHash>,
) -> Result<LassoStage> {
    let mut candidates = Vec::new();
    let mut dropped = Vec::new();
    let mut data = Vec::new();
    for name in kept {
        let col = training
            .features
            .column(name)
            .ok_or_else(|| StudyError::MissingColumn {
                column: name.clone(),
            })?;
        if col.iter().all(|v| v.is_finite()) {
            candidates.push(name.clone());
            data.extend_from_slice(col);
        } else {
            dropped.push(name.clone());
        }
    }
    let n = training.labels.len();
    let x = LassoDesign::column_major(&data, n, candidates.len())?;
    let opts = dlrn_lasso::PathOptions {
        alpha: settings.alpha,
        ..dlrn_lasso::PathOptions::default()
    };
    let cv = dlrn_lasso::cross_validate(
        &x,
        &training.labels,
        &Folds::Seeded {
            k: settings.folds,
            seed: settings.seed,
        },
        settings.measure,
        &opts,
    )?;
    let signature = SignatureModel::from_cv(&cv, settings.lambda, &candidates, inputs);
    if signature.features.is_empty() {
        return Err(StudyError::EmptySignature);
    }
    Ok(LassoStage {
        standard_deviations: x.standard_deviations(),
        candidates,
        dropped_non_finite: dropped,
        cv,
        signature,
    })
}

/// The signature score of every patient of a cohort (`predict(cvfit, newx, s = …)`, link scale).
pub fn signature_scores(signature: &SignatureModel, cohort: &Cohort) -> Result<Vec<f64>> {
    let cols: Vec<&[f64]> = signature
        .features
        .iter()
        .map(|f| {
            cohort
                .features
                .column(&f.feature)
                .ok_or_else(|| StudyError::MissingColumn {
                    column: format!("{} (cohort {})", f.feature, cohort.name),
                })
        })
        .collect::<Result<_>>()?;
    Ok((0..cohort.labels.len())
        .map(|i| signature.score(&cols.iter().map(|c| c[i]).collect::<Vec<_>>()))
        .collect())
}

/// A cohort's model inputs: the coded candidate variables plus the signature score.
pub fn model_design(
    schema: &ClinicalSchema,
    cohort: &Cohort,
    candidates: &[String],
    signature: &[f64],
) -> Result<Design> {
    let mut d = code(schema, &cohort.clinical, candidates)?;
    d.insert(SIGNATURE_COLUMN, signature.to_vec())?;
    Ok(d)
}

/// Clinical model settings (the config's `[clinical]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClinicalSettings {
    /// Candidate variables.
    pub candidates: Vec<String>,
    /// Univariate screen threshold (Wald p).
    pub screen_p: f64,
    /// Backward elimination keeps variables with p below this.
    pub keep_p: f64,
    /// How the clinical model and the DLRN are estimated (the config's `clinical.fit`).
    pub fit: crate::model::FitMethod,
}

/// The clinical stage's result.
#[derive(Debug, Clone, Serialize)]
pub struct ClinicalStage {
    /// The univariate screen (Supplementary Table 2).
    pub screen: Screen,
    /// Backward elimination and the final clinical model (Table 3).
    pub elimination: Elimination,
}

/// Stage 7: univariate screen, then backward elimination on the training cohort.
pub fn clinical_stage(
    schema: &ClinicalSchema,
    training: &Design,
    labels: &[u8],
    settings: &ClinicalSettings,
) -> Result<ClinicalStage> {
    let screen = crate::model::univariate_screen_with(
        schema,
        training,
        &settings.candidates,
        labels,
        settings.screen_p,
        settings.fit,
    )?;
    let passed = screen.passed();
    if passed.is_empty() {
        return Err(StudyError::NothingPassed {
            threshold: settings.screen_p,
        });
    }
    let elimination = crate::model::backward_elimination_with(
        schema,
        training,
        &passed,
        labels,
        settings.keep_p,
        settings.fit,
    )?;
    Ok(ClinicalStage {
        screen,
        elimination,
    })
}

/// Stage 8: the DLRN, the signature plus the clinical model's columns,
/// estimated as the clinical model was (maximum likelihood or Firth).
pub fn dlrn_stage(training: &Design, labels: &[u8], clinical: &FittedModel) -> Result<FittedModel> {
    let mut cols = vec![SIGNATURE_COLUMN.to_string()];
    cols.extend(clinical.columns.iter().cloned());
    FittedModel::fit_with(training, &cols, labels, clinical.method)
}

/// One cohort's per-patient predictions of the three models.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CohortPredictions {
    /// Cohort name.
    pub cohort: String,
    /// Patient ids.
    pub ids: Vec<String>,
    /// Outcomes.
    pub labels: Vec<u8>,
    /// Signature score (link scale).
    pub signature_score: Vec<f64>,
    /// Clinical model probability.
    pub clinical: Vec<f64>,
    /// Signature probability (inverse logit of the score).
    pub signature: Vec<f64>,
    /// DLRN probability.
    pub dlrn: Vec<f64>,
}

impl CohortPredictions {
    /// The probabilities of model `m` (0 clinical, 1 signature, 2 DLRN; see [`MODELS`]).
    pub fn model(&self, m: usize) -> &[f64] {
        match m {
            0 => &self.clinical,
            1 => &self.signature,
            _ => &self.dlrn,
        }
    }
}

/// Predicts the three models on one cohort. A patient without a prediction
/// (a missing value of a model variable) is an error naming model, cohort and id.
pub fn predict(
    cohort: &Cohort,
    design: &Design,
    signature_score: &[f64],
    clinical: &FittedModel,
    dlrn: &FittedModel,
) -> Result<CohortPredictions> {
    let p = CohortPredictions {
        cohort: cohort.name.clone(),
        ids: cohort.ids().to_vec(),
        labels: cohort.labels.clone(),
        signature_score: signature_score.to_vec(),
        clinical: clinical.probabilities(design)?,
        signature: signature_score.iter().map(|&s| plogis(s)).collect(),
        dlrn: dlrn.probabilities(design)?,
    };
    for (m, name) in MODELS.iter().enumerate() {
        if let Some(i) = p.model(m).iter().position(|x| !x.is_finite()) {
            return Err(StudyError::NoPrediction {
                model: name.to_string(),
                cohort: cohort.name.clone(),
                id: p.ids[i].clone(),
            });
        }
    }
    Ok(p)
}

/// The three models' probability cut-offs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Cutoffs {
    /// Clinical model.
    pub clinical: f64,
    /// Signature.
    pub signature: f64,
    /// DLRN.
    pub dlrn: f64,
}

impl Cutoffs {
    /// The cut-off of model `m` (see [`MODELS`]).
    pub fn model(&self, m: usize) -> f64 {
        match m {
            0 => self.clinical,
            1 => self.signature,
            _ => self.dlrn,
        }
    }

    /// As the report's table, chosen on `cohort`.
    pub fn table(&self, cohort: &str) -> report::Cutoffs {
        report::Cutoffs::new(
            MODELS
                .iter()
                .enumerate()
                .map(|(m, name)| report::CutoffRow {
                    model: name.to_string(),
                    cutoff: self.model(m),
                    method: format!("Youden index on {cohort}"),
                })
                .collect(),
        )
    }
}

/// Youden cut-offs of the three models on the training predictions (`pROC::coords(best.method = "youden")`).
pub fn youden_cutoffs(training: &CohortPredictions) -> Result<Cutoffs> {
    let y = |p: &[f64]| {
        dlrn_stats::youden(&training.labels, p)
            .map(|c| c.threshold)
            .map_err(|source| StudyError::Stats {
                context: format!("Youden cut-off on {}", training.cohort),
                source,
            })
    };
    Ok(Cutoffs {
        clinical: y(&training.clinical)?,
        signature: y(&training.signature)?,
        dlrn: y(&training.dlrn)?,
    })
}

/// Evaluation settings (the config's `[evaluation]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvaluationSettings {
    /// Decision-curve thresholds.
    pub thresholds: Vec<f64>,
    /// Hosmer–Lemeshow groups.
    pub hl_groups: usize,
    /// Confidence level.
    pub level: f64,
    /// The variable whose levels make the subgroup AUC table (`subtype`), if any.
    pub subgroup: Option<String>,
}

/// Everything the evaluation writes (Table 2, figures, supplementary tables).
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// Table 2 rows.
    pub table2: Vec<report::Table2Row>,
    /// ROC figures, one per cohort.
    pub roc: Vec<report::RocFigure>,
    /// Decision curves, one per cohort.
    pub decision_curves: Vec<report::DecisionCurveFigure>,
    /// Calibration curves, one per cohort.
    pub calibration: Vec<report::CalibrationFigure>,
    /// Calibration statistics of every model on every cohort.
    pub calibration_stats: report::CalibrationStats,
    /// `rms::val.prob`'s statistics with CITL and slope CIs, every model on every cohort.
    pub val_prob: report::ValProbTable,
    /// Signature by class, one panel per cohort.
    pub box_panels: Vec<report::BoxPanel>,
    /// DLRN confusion matrices at its cut-off.
    pub confusion: Vec<report::ConfusionMatrix>,
    /// IDI/NRI/C-index of the DLRN against the others.
    pub comparisons: Vec<report::ComparisonRow>,
    /// DLRN AUC per subgroup level.
    pub subgroup_aucs: Vec<report::SubtypeAucRow>,
    /// Notes (a calibration curve that could not be fitted).
    pub notes: Vec<String>,
}

fn stats(context: String) -> impl FnOnce(dlrn_stats::StatsError) -> StudyError {
    move |source| StudyError::Stats { context, source }
}

/// Stage 9: every model on every cohort. `cohorts` pairs each prediction
/// with its cohort (for the subgroup variable).
pub fn evaluate(
    schema: &ClinicalSchema,
    cohorts: &[(&Cohort, &CohortPredictions)],
    cutoffs: &Cutoffs,
    settings: &EvaluationSettings,
) -> Result<Evaluation> {
    let level = settings.level;
    let mut e = Evaluation {
        table2: Vec::new(),
        roc: Vec::new(),
        decision_curves: Vec::new(),
        calibration: Vec::new(),
        calibration_stats: report::CalibrationStats { rows: Vec::new() },
        val_prob: report::ValProbTable::new(Vec::new(), level),
        box_panels: Vec::new(),
        confusion: Vec::new(),
        comparisons: Vec::new(),
        subgroup_aucs: Vec::new(),
        notes: Vec::new(),
    };
    let mut cal_rows = Vec::new();
    let mut vp_rows = Vec::new();
    for (cohort, p) in cohorts {
        let y = &p.labels;
        let cname = &p.cohort;
        let mut curves = Vec::new();
        let mut dca_models = Vec::new();
        let mut cal_curves = Vec::new();
        let mut treat_all = Vec::new();
        for (m, name) in MODELS.iter().enumerate() {
            let pm = p.model(m);
            let delong_p = if m == 2 {
                None
            } else {
                Some(
                    dlrn_stats::delong_paired(y, pm, &p.dlrn, level)
                        .map_err(stats(format!("DeLong test of {name} vs DLRN on {cname}")))?
                        .p_value,
                )
            };
            e.table2.push(crate::evaluation::table2_row(
                cname,
                name,
                y,
                pm,
                cutoffs.model(m),
                level,
                delong_p,
            )?);
            curves.push(crate::evaluation::roc_curve(name, y, pm, level)?);
            let dc = dlrn_stats::decision_curve(y, pm, &settings.thresholds)
                .map_err(stats(format!("decision curve of {name} on {cname}")))?;
            if m == 0 {
                treat_all = dc.points.iter().map(|q| q.treat_all).collect();
            }
            dca_models.push((
                name.to_string(),
                dc.points.iter().map(|q| q.net_benefit).collect(),
            ));
            let mut row = report::CalibrationRow {
                cohort: cname.clone(),
                model: name.to_string(),
                n: y.len() as u64,
                slope: None,
                citl: None,
                hl_statistic: None,
                hl_df: None,
                hl_p: None,
                hl_groups: settings.hl_groups as u64,
                brier: None,
                note: String::new(),
            };
            let mut notes = Vec::new();
            match dlrn_stats::hosmer_lemeshow(y, pm, settings.hl_groups) {
                Ok((hl, _)) if !hl.statistic.is_finite() => notes.push(format!(
                    "Hosmer–Lemeshow: χ² is {} (a group expects no events or no non-events)",
                    hl.statistic
                )),
                Ok((hl, _)) => {
                    row.hl_statistic = Some(hl.statistic);
                    row.hl_df = Some(hl.df);
                    row.hl_p = Some(hl.p_value);
                }
                Err(err) => notes.push(format!("Hosmer–Lemeshow: {err}")),
            }
            // A model whose probabilities reach 0 or 1 in floating point (or
            // separate the outcome) has no logistic recalibration: its curve
            // is left out of this cohort's figure, with a note.
            match dlrn_stats::calibration(y, pm) {
                Ok(cal) => {
                    row.slope = Some(cal.slope);
                    row.citl = Some(cal.citl);
                    row.brier = Some(cal.brier);
                    cal_curves.push(report::CalibrationCurve {
                        model: name.to_string(),
                        bins: cal
                            .bins
                            .iter()
                            .map(|b| {
                                let ci =
                                    dlrn_stats::binom_ci(b.events as u64, b.n as u64, level).ok();
                                report::CalibrationBin {
                                    predicted: b.predicted,
                                    observed: b.observed,
                                    ci_low: ci.as_ref().map(|c| c.ci_low),
                                    ci_high: ci.as_ref().map(|c| c.ci_high),
                                }
                            })
                            .collect(),
                        smooth: cal
                            .smooth
                            .x
                            .iter()
                            .copied()
                            .zip(cal.smooth.y.iter().copied())
                            .collect(),
                    });
                }
                Err(err) => {
                    e.notes.push(format!(
                        "calibration of {name} on {cname}: not drawn ({err})"
                    ));
                    notes.push(format!("recalibration: {err}"));
                }
            }
            // One line, no commas: the note is the last CSV cell and stays readable.
            row.note = notes.join("; ").replace(',', ";");
            cal_rows.push(row);
            vp_rows.push(val_prob_row(cname, name, y, pm, level));
            if m == 2 {
                let conf = dlrn_stats::confusion(y, pm, cutoffs.model(m))
                    .map_err(stats(format!("confusion matrix of DLRN on {cname}")))?;
                e.confusion.push(report::ConfusionMatrix {
                    title: cname.clone(),
                    tp: conf.tp,
                    fn_: conf.fn_,
                    fp: conf.fp,
                    tn: conf.tn,
                });
            }
        }
        e.roc.push(report::RocFigure {
            title: cname.clone(),
            curves,
        });
        e.decision_curves.push(report::DecisionCurveFigure {
            title: cname.clone(),
            thresholds: settings.thresholds.clone(),
            models: dca_models,
            treat_all,
        });
        e.calibration.push(report::CalibrationFigure {
            title: cname.clone(),
            curves: cal_curves,
        });
        let by_class = |class: u8| -> Vec<f64> {
            p.signature_score
                .iter()
                .zip(y)
                .filter(|(_, l)| **l == class)
                .map(|(v, _)| *v)
                .collect()
        };
        let (neg, pos) = (by_class(0), by_class(1));
        e.box_panels.push(report::BoxPanel {
            title: cname.clone(),
            p_value: dlrn_stats::mann_whitney(&pos, &neg).ok().map(|m| m.p_value),
            groups: vec![
                report::ScoreGroup {
                    label: "ALN−".into(),
                    values: neg,
                },
                report::ScoreGroup {
                    label: "ALN+".into(),
                    values: pos,
                },
            ],
        });
        let c_index = dlrn_stats::auc_delong(y, &p.dlrn, level)
            .map_err(stats(format!("C-index of DLRN on {cname}")))?;
        for (reference, r) in [("Clinical", 0usize), ("Signature", 1)] {
            let ip = dlrn_stats::improve_prob(y, p.model(r), &p.dlrn)
                .map_err(stats(format!("IDI/NRI of DLRN vs {reference} on {cname}")))?;
            e.comparisons.push(report::ComparisonRow {
                cohort: cname.clone(),
                model: "DLRN".into(),
                reference: reference.into(),
                idi: ip.idi.value,
                idi_ci_low: Some(ip.idi.ci_low),
                idi_ci_high: Some(ip.idi.ci_high),
                idi_p: Some(ip.idi.p_value),
                nri: ip.nri.value,
                nri_ci_low: Some(ip.nri.ci_low),
                nri_ci_high: Some(ip.nri.ci_high),
                nri_p: Some(ip.nri.p_value),
                c_index: c_index.auc,
                c_index_ci_low: Some(c_index.ci_low),
                c_index_ci_high: Some(c_index.ci_high),
            });
        }
        if let Some(var) = &settings.subgroup
            && let Some((j, v)) = schema
                .variables
                .iter()
                .enumerate()
                .find(|(_, v)| v.name == *var)
        {
            let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
            if let Some(VariableColumn::Levels(col)) = cohort.clinical.columns.get(j) {
                for (i, k) in col.iter().enumerate() {
                    let key = k
                        .and_then(|k| v.levels().get(k).cloned())
                        .unwrap_or_else(|| "?".into());
                    groups.entry(key).or_default().push(i);
                }
            }
            for (level_name, idx) in groups {
                let yy: Vec<u8> = idx.iter().map(|&i| y[i]).collect();
                let pp: Vec<f64> = idx.iter().map(|&i| p.dlrn[i]).collect();
                let a = dlrn_stats::auc_delong(&yy, &pp, level).ok();
                e.subgroup_aucs.push(report::SubtypeAucRow {
                    cohort: cname.clone(),
                    subtype: level_name,
                    model: "DLRN".into(),
                    n: yy.len() as u64,
                    n_positive: yy.iter().filter(|&&l| l == 1).count() as u64,
                    auc: a.as_ref().map(|a| a.auc),
                    auc_ci_low: a.as_ref().map(|a| a.ci_low),
                    auc_ci_high: a.as_ref().map(|a| a.ci_high),
                });
            }
        }
    }
    e.calibration_stats = report::CalibrationStats::new(cal_rows);
    e.val_prob = report::ValProbTable::new(vp_rows, level);
    Ok(e)
}

/// One model's `rms::val.prob` statistics on one cohort (exact concordance,
/// as rms ≥ 6.8 and pROC), with calibration-in-the-large and the slope at
/// `level`; probabilities at 0 or 1 (or all equal) leave the row NA with the reason.
pub fn val_prob_row(
    cohort: &str,
    model: &str,
    y: &[u8],
    p: &[f64],
    level: f64,
) -> report::ValProbRow {
    match dlrn_stats::val_prob(y, p, level, dlrn_stats::Concordance::Exact) {
        Ok(v) => report::ValProbRow {
            cohort: cohort.to_string(),
            model: model.to_string(),
            n: v.n as u64,
            dxy: Some(v.dxy),
            c_roc: Some(v.c_roc),
            r2: Some(v.r2),
            d: Some(v.d),
            d_chisq: Some(v.d_chisq),
            d_p: Some(v.d_p),
            u: Some(v.u),
            u_chisq: Some(v.u_chisq),
            u_p: Some(v.u_p),
            q: Some(v.q),
            brier: Some(v.brier),
            intercept: Some(v.intercept),
            slope: Some(v.slope),
            emax: Some(v.emax),
            e90: Some(v.e90),
            eavg: Some(v.eavg),
            s_z: Some(v.s_z),
            s_p: Some(v.s_p),
            citl: Some(v.calibration_in_the_large.estimate),
            citl_ci_low: Some(v.calibration_in_the_large.ci_low),
            citl_ci_high: Some(v.calibration_in_the_large.ci_high),
            cal_slope: Some(v.calibration_slope.estimate),
            cal_slope_ci_low: Some(v.calibration_slope.ci_low),
            cal_slope_ci_high: Some(v.calibration_slope.ci_high),
            note: String::new(),
        },
        Err(err) => report::ValProbRow {
            cohort: cohort.to_string(),
            model: model.to_string(),
            n: y.len() as u64,
            note: err.to_string().replace(',', ";"),
            ..Default::default()
        },
    }
}

/// Table 3: the clinical model's coefficients, labelled from the schema
/// (`Molecular subtype: luminal B` for a dummy).
pub fn table3(schema: &ClinicalSchema, model: &FittedModel) -> report::Table3 {
    report::Table3 {
        rows: model.fit.coefficients[1..]
            .iter()
            .map(|k| report::Table3Row {
                factor: term_label(schema, &k.name),
                coefficient: k.estimate,
                odds_ratio: k.odds_ratio,
                or_ci_low: k.or_ci_low,
                or_ci_high: k.or_ci_high,
                p_value: k.p_value,
            })
            .collect(),
    }
}

/// A design column as tables print it: the variable's label, and for a
/// dummy `label: level label`; a column that is no variable keeps its name.
pub fn term_label(schema: &ClinicalSchema, column: &str) -> String {
    for v in &schema.variables {
        for t in terms(v) {
            if t.name == column {
                return match &t.level {
                    Some(l) => format!("{}: {}", v.label, v.level_label(l)),
                    None => v.label.clone(),
                };
            }
        }
    }
    match column {
        SIGNATURE_COLUMN => "Signature".into(),
        other => other.to_string(),
    }
}

/// Supplementary Table 2 from the screen, labelled from the schema.
pub fn screen_table(schema: &ClinicalSchema, screen: &Screen) -> report::ScreenTable {
    let mut rows = Vec::new();
    for r in &screen.rows {
        if r.terms.is_empty() {
            rows.push(report::ScreenTableRow {
                variable: r.label.clone(),
                term: String::new(),
                n: r.n as u64,
                n_dropped: r.n_dropped as u64,
                coefficient: None,
                odds_ratio: None,
                or_ci_low: None,
                or_ci_high: None,
                p_value: None,
                passed: r.passed,
                note: r.error.clone().unwrap_or_default(),
            });
            continue;
        }
        for k in &r.terms {
            let label = term_label(schema, &k.name);
            let term = label
                .split_once(": ")
                .map(|(_, l)| l.to_string())
                .unwrap_or_default();
            rows.push(report::ScreenTableRow {
                variable: r.label.clone(),
                term,
                n: r.n as u64,
                n_dropped: r.n_dropped as u64,
                coefficient: Some(k.estimate),
                odds_ratio: Some(k.odds_ratio),
                or_ci_low: Some(k.or_ci_low),
                or_ci_high: Some(k.or_ci_high),
                p_value: Some(k.p_value),
                passed: r.passed,
                note: String::new(),
            });
        }
    }
    report::ScreenTable {
        threshold: screen.threshold,
        rows,
    }
}

/// Per-patient predictions of every cohort as the report's table.
pub fn predictions_table(preds: &[CohortPredictions]) -> report::Predictions {
    report::Predictions::new(
        preds
            .iter()
            .flat_map(|p| {
                (0..p.ids.len()).map(move |i| report::PredictionRow {
                    id: p.ids[i].clone(),
                    cohort: p.cohort.clone(),
                    label: p.labels[i],
                    signature_score: p.signature_score[i],
                    clinical: p.clinical[i],
                    signature: p.signature[i],
                    dlrn: p.dlrn[i],
                })
            })
            .collect(),
    )
}

/// The clinical model refitted in each cohort on the training model's
/// design columns (`glm(y ~ <the training model's terms>, binomial)` per
/// cohort, complete cases), for the paper's text on the clinical factors in
/// each validation cohort. A cohort where the fit does not exist
/// (separation, non-convergence, a constant column) or gives a non-finite
/// estimate is one noted row, never a crash or a bare NaN.
pub fn clinical_by_cohort(
    schema: &ClinicalSchema,
    training_model: &FittedModel,
    cohorts: &[(&str, &Design, &[u8])],
) -> report::ClinicalByCohort {
    let mut rows = Vec::new();
    let noted = |cohort: &str, n: usize, note: String| report::ClinicalByCohortRow {
        cohort: cohort.to_string(),
        term: String::new(),
        n: n as u64,
        odds_ratio: None,
        or_ci_low: None,
        or_ci_high: None,
        p_value: None,
        note,
    };
    for (name, design, labels) in cohorts {
        match FittedModel::fit(design, &training_model.columns, labels) {
            Ok(m) => {
                let coefs = &m.fit.coefficients[1..];
                let bad = coefs.iter().find(|k| {
                    ![k.odds_ratio, k.or_ci_low, k.or_ci_high, k.p_value]
                        .iter()
                        .all(|v| v.is_finite())
                });
                if let Some(k) = bad {
                    rows.push(noted(
                        name,
                        m.fit.n,
                        format!(
                            "not estimable: {} has a non-finite estimate (quasi-separation)",
                            term_label(schema, &k.name)
                        ),
                    ));
                    continue;
                }
                rows.extend(coefs.iter().map(|k| report::ClinicalByCohortRow {
                    cohort: name.to_string(),
                    term: term_label(schema, &k.name),
                    n: m.fit.n as u64,
                    odds_ratio: Some(k.odds_ratio),
                    or_ci_low: Some(k.or_ci_low),
                    or_ci_high: Some(k.or_ci_high),
                    p_value: Some(k.p_value),
                    note: String::new(),
                }));
            }
            Err(e) => rows.push(noted(name, labels.len(), format!("not fitted: {e}"))),
        }
    }
    let terms: Vec<String> = training_model
        .columns
        .iter()
        .map(|c| term_label(schema, c))
        .collect();
    report::ClinicalByCohort {
        note: format!(
            "The training cohort's clinical model terms ({}), refitted by logistic regression \
             in each cohort on its complete cases (glm(y ~ …, binomial)); OR with Wald 95% CI \
             and Wald P. The variables are the training model's selection, not reselected per cohort.",
            terms.join(", ")
        ),
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cohort(dir: &Path, bmi: &[&str]) -> Cohort {
        let path = dir.join("clinical.csv");
        let mut text = String::from(
            "id,ALN_status,age,bmi,birads,location,nuclear_grade,tumour_type,er,pr,her2,ki67,subtype,us_aln,us_size_cm\n",
        );
        for (i, b) in bmi.iter().enumerate() {
            text.push_str(&format!(
                "P{i},{},{},{b},4B,UOQ,2,invasive_nst,pos,pos,neg,pos,luminal_b,suspicious,2.1\n",
                i % 2,
                40 + i
            ));
        }
        std::fs::write(&path, text).unwrap();
        let ids: Vec<String> = (0..bmi.len()).map(|i| format!("P{i}")).collect();
        let features = FeatureTable {
            labels: Some((0..bmi.len()).map(|i| (i % 2) as u8).collect()),
            ids,
            names: vec![],
            columns: vec![],
        };
        load_cohort("EVC9", features, &path, &ClinicalSchema::paper()).unwrap()
    }

    #[test]
    fn a_patient_without_a_prediction_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let train = cohort(
            dir.path(),
            &["20", "25", "30", "22", "27", "35", "24", "31"],
        );
        let vars = vec!["age".to_string(), "bmi".to_string()];
        let score = [0.3, -0.2, 0.5, 0.1, -0.4, 0.2, 0.0, 0.6];
        let d = model_design(&ClinicalSchema::paper(), &train, &vars, &score).unwrap();
        let clinical =
            FittedModel::fit(&d, &["age".to_string(), "bmi".to_string()], &train.labels).unwrap();
        let dlrn = dlrn_stage(&d, &train.labels, &clinical).unwrap();
        assert_eq!(dlrn.columns, ["signature", "age", "bmi"]);
        let other = cohort(dir.path(), &["20", "NA", "30"]);
        let s = [0.1, 0.2, 0.3];
        let d2 = model_design(&ClinicalSchema::paper(), &other, &vars, &s).unwrap();
        let e = predict(&other, &d2, &s, &clinical, &dlrn).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Clinical model has no prediction for EVC9 patient \"P1\" (a predictor value is missing)"
        );
    }

    #[test]
    fn a_clinical_row_missing_for_a_feature_row_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let c = cohort(dir.path(), &["20", "25"]);
        let features = FeatureTable {
            ids: vec!["P0".into(), "P7".into()],
            labels: Some(vec![0, 1]),
            names: vec![],
            columns: vec![],
        };
        let e = load_cohort("TC", features, &c.clinical.path, &ClinicalSchema::paper())
            .unwrap_err()
            .to_string();
        assert!(e.ends_with("clinical.csv: no row for id \"P7\""), "{e}");
    }
}
