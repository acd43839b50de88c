//! The study's report assembled from its results: the evaluation part that
//! `cargo xtask paper` and `dlrn assess` share ([`evaluation_report`]), the
//! whole study's report ([`study_report`]), the RQS facts and supplement
//! inputs of a study run, and the page sections around them. Rendering and
//! writing are dlrn-report's.

use std::path::PathBuf;

use dlrn_nomogram::{CalculatorOptions, FigureOptions};
use dlrn_report as report;

use crate::family::feature_family;
use crate::fit::{FittedStudy, SeparatedStudy};
use crate::icc::IccFilter;
use crate::pipeline::{Cohort, Evaluation, predictions_table, screen_table};
use crate::schema::ClinicalSchema;
use crate::supplement::{SupplementCohort, SupplementInputs, study_outputs};

/// The parts of a report that every evaluation has.
#[derive(Debug, Clone)]
pub struct EvaluationReport {
    /// The page title.
    pub title: String,
    /// The simulation notice, when the cohorts are simulated.
    pub simulated: Option<String>,
    /// Version, config, input hashes and weights.
    pub provenance: report::Provenance,
    /// The evaluation of every model on every cohort.
    pub evaluation: Evaluation,
    /// The per-patient predictions table.
    pub predictions: report::Predictions,
    /// The cut-offs table.
    pub cutoffs: report::Cutoffs,
    /// Seed of the signature-by-class figure's jitter.
    pub box_seed: u64,
}

/// A report of Table 2, comparisons, calibration, predictions, cut-offs
/// and the evaluation's figures; the study-only parts (Tables 1 and 3, ICC,
/// signature, subgroups, screen, nomogram, LASSO figures) left empty.
pub fn evaluation_report(parts: EvaluationReport) -> report::StudyReport {
    let EvaluationReport {
        title,
        simulated,
        provenance,
        evaluation: eval,
        predictions,
        cutoffs,
        box_seed,
    } = parts;
    report::StudyReport {
        title,
        simulated,
        provenance,
        table1: None,
        table2: report::Table2::new(eval.table2),
        table3: None,
        icc: None,
        selected_features: None,
        comparisons: Some(report::Comparisons {
            rows: eval.comparisons,
        }),
        subtype_aucs: None,
        screen: None,
        cutoffs: Some(cutoffs),
        calibration_stats: Some(eval.calibration_stats),
        predictions: Some(predictions),
        roc: eval.roc,
        decision_curves: eval.decision_curves,
        calibration: eval.calibration,
        signature_by_class: Some(report::BoxFigure {
            y_label: "Signature score".into(),
            panels: eval.box_panels,
            seed: box_seed,
        }),
        confusion: Some(report::ConfusionFigure {
            panels: eval.confusion,
        }),
        nomogram: None,
        external_figures: vec![],
        validation: report::ValidationTables {
            val_prob: Some(eval.val_prob),
            ..Default::default()
        },
        png_scale: 2,
    }
}

/// The report's notice for simulated cohorts: how they were made (`dlrn
/// simulate`'s seed, scale and parameters) and that they hold no patient data.
pub fn simulated_notice(seed: u64, scale: f64, params: Option<&std::path::Path>) -> String {
    format!(
        "These cohorts are simulated (dlrn simulate, seed {seed}, scale {scale}, {}): no patient data. \
         The numbers show the method at work, not clinical performance.",
        match params {
            Some(p) => format!("parameters from {}", p.display()),
            None => "default parameters".to_string(),
        }
    )
}

/// What the whole study's report says about its run beyond the results.
#[derive(Debug, Clone)]
pub struct StudyContext<'a> {
    /// The config's name (the report's title and the calculator's note).
    pub config_name: &'a str,
    /// The simulation notice, when the cohorts are simulated.
    pub simulated: Option<String>,
    /// Whether the cohorts are simulated (the RQS protocol items, the calculator note).
    pub simulated_data: bool,
    /// Version, config, input hashes and weights.
    pub provenance: report::Provenance,
    /// Seed of the signature-by-class figure's jitter.
    pub box_seed: u64,
    /// The LASSO's lambda rule (`min` or `1se`).
    pub lambda: &'a str,
    /// The LASSO's folds.
    pub folds: usize,
    /// The LASSO's CV measure (`mse`, `deviance`, …).
    pub measure: &'a str,
    /// The number of external validation cohorts.
    pub n_validation: usize,
}

/// The whole study's report: the evaluation, Tables 1 and 3, the ICC
/// summary, the signature, subgroup AUCs, the screen, the nomogram with its
/// calculator, and the LASSO figures the caller draws to
/// `figures/lasso_path.*` and `figures/lasso_cv.*`.
pub fn study_report(
    fit: &FittedStudy,
    schema: &ClinicalSchema,
    icc: &IccFilter,
    training: &str,
    ctx: &StudyContext<'_>,
) -> report::StudyReport {
    let eval = &fit.evaluation;
    let signature = &fit.lasso.signature;
    let mut study = evaluation_report(EvaluationReport {
        title: format!("DLRN study — {}", ctx.config_name),
        simulated: ctx.simulated.clone(),
        provenance: ctx.provenance.clone(),
        evaluation: eval.clone(),
        predictions: predictions_table(&fit.predictions),
        cutoffs: fit.cutoffs.table(training),
        box_seed: ctx.box_seed,
    });
    study.table1 = Some(fit.table1.clone());
    study.table3 = Some(fit.table3.clone());
    study.icc = icc
        .ran()
        .then(|| icc.by_family(|f| feature_family(f).family.to_string()));
    study.selected_features = Some(report::SelectedFeatures {
        rows: signature
            .features
            .iter()
            .map(|f| report::SelectedFeatureRow {
                feature: f.feature.clone(),
                family: feature_family(&f.feature).family.to_string(),
                coefficient: f.coefficient,
            })
            .collect(),
    });
    study.subtype_aucs = Some(report::SubtypeAucs {
        rows: eval.subgroup_aucs.clone(),
    });
    study.screen = Some(screen_table(schema, &fit.clinical.screen));
    study.nomogram = Some(report::NomogramPart {
        nomogram: fit.nomogram.clone(),
        figure: FigureOptions::default(),
        calculator: CalculatorOptions {
            title: "DLRN calculator: probability of axillary lymph node metastasis".into(),
            note: Some(format!(
                "Model fitted on the {} cohort of configuration {}{}. Risk group at the Youden cut-off {:.3}.",
                training,
                ctx.config_name,
                if ctx.simulated_data {
                    " (simulated data: for demonstration only)"
                } else {
                    ""
                },
                fit.cutoffs.dlrn
            )),
        },
    });
    study.external_figures = lasso_figures(signature.features.len(), ctx);
    study.validation.internal = fit.bootstrap.as_ref().map(|b| b.report_part(training));
    let c_apparent = eval
        .table2
        .iter()
        .find(|r| r.cohort == training && r.model == "DLRN")
        .map(|r| r.auc);
    let labels = fit
        .predictions
        .first()
        .map(|p| p.labels.as_slice())
        .unwrap_or_default();
    study.validation.sample_size = c_apparent.map(|c| {
        crate::samplesize::training_sample_size(training, labels, fit.dlrn.columns.len(), c)
    });
    study
}

/// The LASSO figures the caller draws to `figures/lasso_path.*` and
/// `figures/lasso_cv.*` (`n_selected` features kept).
fn lasso_figures(n_selected: usize, ctx: &StudyContext<'_>) -> Vec<report::ExternalFigure> {
    vec![
        report::ExternalFigure {
            section: "LASSO".into(),
            caption: format!(
                "Coefficient paths (standardised coefficients) against log(λ); the {} features kept at λ.{} in colour",
                n_selected, ctx.lambda
            ),
            svg: "figures/lasso_path.svg".into(),
            png: Some("figures/lasso_path.png".into()),
        },
        report::ExternalFigure {
            section: "LASSO".into(),
            caption: format!(
                "{}-fold cross-validation curve ({}), λ.min and λ.1se marked",
                ctx.folds, ctx.measure
            ),
            svg: "figures/lasso_cv.svg".into(),
            png: Some("figures/lasso_cv.png".into()),
        },
    ]
}

/// The report of a study whose clinical model or DLRN separated: Table 1,
/// the signature in Table 2 and its figures (with the clinical model's rows,
/// curves and Table 3 when only the DLRN separated), the ICC summary, the
/// selected features and the screen; no nomogram, calculator or bundle.
pub fn separated_report(
    sep: &SeparatedStudy,
    schema: &ClinicalSchema,
    icc: &IccFilter,
    ctx: &StudyContext<'_>,
) -> report::StudyReport {
    let signature = &sep.lasso.signature;
    let mut table2 = sep.signature.table2.clone();
    let mut roc = sep.signature.roc.clone();
    if let Some(c) = &sep.clinical {
        table2.extend(c.table2.iter().cloned());
        // The clinical curve first, as the full study draws its models.
        for (figure, curve) in roc.iter_mut().zip(&c.roc) {
            figure.curves.insert(0, curve.clone());
        }
    }
    report::StudyReport {
        title: format!("DLRN study — {}", ctx.config_name),
        simulated: ctx.simulated.clone(),
        provenance: ctx.provenance.clone(),
        table1: Some(sep.table1.clone()),
        table2: report::Table2::new(table2),
        table3: sep.clinical.as_ref().map(|c| c.table3.clone()),
        icc: icc
            .ran()
            .then(|| icc.by_family(|f| feature_family(f).family.to_string())),
        selected_features: Some(report::SelectedFeatures {
            rows: signature
                .features
                .iter()
                .map(|f| report::SelectedFeatureRow {
                    feature: f.feature.clone(),
                    family: feature_family(&f.feature).family.to_string(),
                    coefficient: f.coefficient,
                })
                .collect(),
        }),
        comparisons: None,
        subtype_aucs: None,
        screen: Some(screen_table(schema, &sep.screen)),
        cutoffs: None,
        calibration_stats: None,
        predictions: None,
        roc,
        decision_curves: Vec::new(),
        calibration: Vec::new(),
        signature_by_class: Some(report::BoxFigure {
            y_label: "Signature score".into(),
            panels: sep.signature.box_panels.clone(),
            seed: ctx.box_seed,
        }),
        confusion: None,
        nomogram: None,
        external_figures: lasso_figures(signature.features.len(), ctx),
        validation: Default::default(),
        png_scale: 2,
    }
}

/// The RQS items a study run satisfies.
pub fn rqs_facts(fit: &FittedStudy, icc: &IccFilter, ctx: &StudyContext<'_>) -> report::RqsFacts {
    report::RqsFacts {
        non_radiomic_features: fit.dlrn.fit.coefficients.len() > 2,
        calibration: true,
        calibration_resampling: fit.bootstrap.is_some(),
        decision_curve: true,
        ..separated_rqs_facts(icc, ctx)
    }
}

/// The RQS items a separated study run satisfies: those of a full run
/// less the combined model's (non-radiomic features in the model,
/// calibration, decision curve).
pub fn separated_rqs_facts(icc: &IccFilter, ctx: &StudyContext<'_>) -> report::RqsFacts {
    report::RqsFacts {
        protocol_documented: ctx.simulated_data,
        protocol_public: ctx.simulated_data,
        multiple_segmentations: icc.n_subjects > 0,
        phantom_study: false,
        multiple_time_points: false,
        feature_reduction: true,
        non_radiomic_features: false,
        biological_correlates: false,
        cut_off: true,
        discrimination: true,
        discrimination_resampling: true,
        calibration: false,
        calibration_resampling: false,
        prospective_registered: false,
        validation: report::Validation::External {
            institutes: ctx.n_validation,
        },
        gold_standard: false,
        decision_curve: false,
        cost_effectiveness: false,
        open_scans: false,
        open_segmentations: false,
        open_code: true,
        open_features: false,
    }
}

/// The supplement's inputs for a study run (`cohort_dirs` in `cohorts`' order).
#[allow(clippy::too_many_arguments)]
pub fn supplement_inputs<'a>(
    fit: &'a FittedStudy,
    study: &report::StudyReport,
    schema: &'a ClinicalSchema,
    cohorts: &'a [Cohort],
    cohort_dirs: &'a [PathBuf],
    icc: &IccFilter,
    variables: &'a [String],
    level: f64,
    ctx: &StudyContext<'_>,
) -> SupplementInputs<'a> {
    SupplementInputs {
        reproducibility: Some(&fit.reproducibility),
        clinical_by_cohort: Some(&fit.by_cohort),
        missing: Some(&fit.missing),
        ..supplement_common(
            study,
            schema,
            cohorts,
            cohort_dirs,
            Some((&fit.predictions, fit.cutoffs.dlrn)),
            variables,
            level,
            rqs_facts(fit, icc, ctx),
            Some("model/"),
            ctx,
        )
    }
}

/// The supplement's inputs for a study whose clinical model or DLRN
/// separated: Table 1 with the tests and the TRIPOD+AI / RQS checklist of
/// what it wrote, without the DLRN's pages (radiologists against the DLRN,
/// its reproducibility) or a model bundle.
#[allow(clippy::too_many_arguments)]
pub fn separated_supplement_inputs<'a>(
    sep: &'a SeparatedStudy,
    study: &report::StudyReport,
    schema: &'a ClinicalSchema,
    cohorts: &'a [Cohort],
    cohort_dirs: &'a [PathBuf],
    icc: &IccFilter,
    variables: &'a [String],
    level: f64,
    ctx: &StudyContext<'_>,
) -> SupplementInputs<'a> {
    SupplementInputs {
        missing: Some(&sep.missing),
        ..supplement_common(
            study,
            schema,
            cohorts,
            cohort_dirs,
            None,
            variables,
            level,
            separated_rqs_facts(icc, ctx),
            None,
            ctx,
        )
    }
}

/// What both supplements share; `dlrn`: each cohort's predictions and the
/// DLRN's cut-off, when there is a DLRN.
#[allow(clippy::too_many_arguments)]
fn supplement_common<'a>(
    study: &report::StudyReport,
    schema: &'a ClinicalSchema,
    cohorts: &'a [Cohort],
    cohort_dirs: &'a [PathBuf],
    dlrn: Option<(&'a [crate::pipeline::CohortPredictions], f64)>,
    variables: &'a [String],
    level: f64,
    rqs: report::RqsFacts,
    bundle: Option<&str>,
    ctx: &StudyContext<'_>,
) -> SupplementInputs<'a> {
    SupplementInputs {
        title: format!("Reporting checklist — {}", ctx.config_name),
        simulated: study.simulated.clone(),
        schema,
        cohorts: cohorts
            .iter()
            .zip(cohort_dirs)
            .enumerate()
            .map(|(i, (c, dir))| SupplementCohort {
                name: &c.name,
                dir,
                ids: c.ids(),
                labels: &c.labels,
                clinical: &c.clinical,
                dlrn: dlrn.map_or(&[][..], |(p, _)| p[i].dlrn.as_slice()),
            })
            .collect(),
        variables,
        dlrn_cutoff: dlrn.map(|(_, cutoff)| cutoff),
        level,
        rqs,
        outputs: study_outputs(study, bundle),
        reproducibility: None,
        clinical_by_cohort: None,
        missing: None,
    }
}

/// The index page's section on the ICC filter (first), given `icc.csv`
/// beside the page when the filter ran.
pub fn icc_section(icc: &IccFilter, training: &str) -> report::Section {
    if icc.ran() {
        report::Section {
            title: "Feature reproducibility (ICC)".into(),
            items: vec![
                report::Item::Text {
                    text: format!(
                        "The paper's rule: {}. {} of {} features kept.",
                        icc.rule(),
                        icc.kept().len(),
                        icc.features.len()
                    ),
                },
                report::Item::Link {
                    text: "Per feature: intra- and inter-observer ICC, kept, and the reason (CSV)"
                        .into(),
                    href: "icc.csv".into(),
                },
            ],
        }
    } else {
        report::Section {
            title: "Feature reproducibility (ICC)".into(),
            items: vec![report::Item::Text {
                text: format!(
                    "Not assessed: the training cohort {training} has no re-outlines \
                     (icc/<reader>/ folders), so the ICC filter was skipped and all {} \
                     features went to the LASSO.",
                    icc.features.len()
                ),
            }],
        }
    }
}

/// The index page's last section: where the stage times are (`timings`,
/// beside the page) and why they are kept apart from manifest.json.
pub fn run_provenance_section(timings: &str) -> report::Section {
    report::Section {
        title: "Run provenance".into(),
        items: vec![
            report::Item::Text {
                text: "manifest.json lists every output with the config and input hashes; it is \
                       the same bytes on a rerun. Each stage's name, status (run, cached or \
                       resumed) and seconds are in timings.json, which changes with every run."
                    .into(),
            },
            report::Item::Link {
                text: "Stage times (JSON)".into(),
                href: timings.into(),
            },
        ],
    }
}
