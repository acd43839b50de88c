//! The study's modelling, stages 6–9 and the bundle, as one function: the
//! LASSO signature on the training cohort's kept features, the clinical
//! screen and backward elimination, the DLRN, the predictions and Youden
//! cut-offs, the clinical model refitted per cohort, the DLRN's
//! reproducibility over the re-outlines, the evaluation of every model on
//! every cohort, Tables 1 and 3, the nomogram and the frozen model bundle.
//! The missing-value policy ([`crate::missing`]) runs first, after the ICC
//! filter; a clinical model or DLRN without a maximum-likelihood fit
//! (separation) leaves the signature alone ([`Fit::Separated`]).
//! The caller (`cargo xtask paper`) reads the cohorts and writes the
//! outputs; [`fit_study`] reports its progress through [`Progress`].

use std::path::PathBuf;

use dlrn_nomogram::{Nomogram, NomogramOptions};
use dlrn_report as report;

use crate::bootstrap::{
    BootstrapSettings, BootstrapValidation, Original, ProcedureInputs, bootstrap_validation,
};
use crate::bundle::{Bundle, BundleFromStudy, Cnn, Provenance as BundleProvenance, StudyParts};
use crate::coding::Design;
use crate::error::{Result, StudyError};
use crate::harmonize::{Harmonization, HarmonizeSettings, harmonize_cohorts, table2_pair};
use crate::harmonize_part::HarmonizePart;
use crate::icc::IccFilter;
use crate::missing::{MissingReport, MissingSettings, apply_feature_policy, clinical_rows};
use crate::model::{FittedModel, Screen, univariate_screen_with};
use crate::nomogram::build_nomogram;
use crate::pipeline::{
    ClinicalSettings, ClinicalStage, Cohort, CohortPredictions, Cutoffs, Evaluation,
    EvaluationSettings, FeatureTable, LassoSettings, LassoStage, SIGNATURE_COLUMN,
    clinical_by_cohort, evaluate, predict, reoutline_cohort, subset_cohort, table3, youden_cutoffs,
};
use crate::reproducibility::{QUANTITIES, dlrn_reproducibility};
use crate::schema::ClinicalSchema;
use crate::separation::{
    ClinicalOnly, SignatureOnly, clinical_only, is_separation, signature_only,
};
use crate::table1::{CohortClinical, table1};

pub use crate::procedure::{Procedure, Progress, fit_procedure};

/// What the modelling starts from: the coded cohorts and the ICC filter.
#[derive(Debug, Clone, Copy)]
pub struct FitInputs<'a> {
    /// The clinical schema.
    pub schema: &'a ClinicalSchema,
    /// Every cohort, the training cohort first.
    pub cohorts: &'a [Cohort],
    /// SHA-256 of the training cohort (the signature's and the bundle's provenance).
    pub training_sha256: &'a str,
    /// The ICC filter (its kept features go to the LASSO).
    pub icc: &'a IccFilter,
    /// The training cohort's features on each intra-observer re-outline, by reader.
    pub intra_reads: &'a [(String, FeatureTable)],
    /// The same on each inter-observer re-outline.
    pub inter_reads: &'a [(String, FeatureTable)],
}

/// The CNN and provenance the model bundle records.
#[derive(Debug, Clone)]
pub struct BundleSettings {
    /// Version, config hash, training cohort and date.
    pub provenance: BundleProvenance,
    /// The weights file (`None`: a random initialisation of `seed`).
    pub weights: Option<PathBuf>,
    /// The seed of a random initialisation.
    pub seed: u64,
    /// The backend the deep features were computed on.
    pub backend: String,
    /// The CNN input's resize (short side).
    pub resize: usize,
    /// The CNN input's centre crop.
    pub crop: usize,
}

/// The modelling's choices (the config's `[lasso]`, `[clinical]`,
/// `[evaluation]`, `icc.form` and the CNN of the bundle).
#[derive(Debug, Clone)]
pub struct FitSettings {
    /// The LASSO.
    pub lasso: LassoSettings,
    /// The clinical screen and elimination.
    pub clinical: ClinicalSettings,
    /// The missing-value policy (`[missing]`).
    pub missing: MissingSettings,
    /// The evaluation (its level is every interval's).
    pub evaluation: EvaluationSettings,
    /// The ICC form of the reproducibility table (psych::ICC naming).
    pub icc_form: String,
    /// The model bundle.
    pub bundle: BundleSettings,
    /// Harmonisation across hospitals (`[harmonize]`; off by default).
    pub harmonize: HarmonizeSettings,
    /// The bootstrap internal validation (`[validation]`; B = 0: none).
    pub bootstrap: BootstrapSettings,
}

/// Everything the modelling produces.
#[derive(Debug, Clone)]
pub struct FittedStudy {
    /// The LASSO (its signature, path and CV for the figures).
    pub lasso: LassoStage,
    /// Each cohort's model design (signature score and coded clinical columns).
    pub designs: Vec<Design>,
    /// The univariate screen and the clinical model.
    pub clinical: ClinicalStage,
    /// The DLRN.
    pub dlrn: FittedModel,
    /// Each cohort's predictions of the three models.
    pub predictions: Vec<CohortPredictions>,
    /// The clinical model's terms refitted in every cohort.
    pub by_cohort: report::ClinicalByCohort,
    /// The signature's and the DLRN's ICC over the re-outlines (Supplementary Table 6).
    pub reproducibility: report::Reproducibility,
    /// Youden cut-offs on the training cohort.
    pub cutoffs: Cutoffs,
    /// Every model on every cohort.
    pub evaluation: Evaluation,
    /// Table 1.
    pub table1: report::Table1,
    /// Table 3.
    pub table3: report::Table3,
    /// The DLRN nomogram.
    pub nomogram: Nomogram,
    /// The frozen model bundle (with its imputation values, `missing.json`).
    pub bundle: Bundle,
    /// The missing-data table: the rule and every missing or undefined value.
    pub missing: MissingReport,
    /// The harmonisation and its evidence, when `[harmonize]` asked for it.
    pub harmonization: Option<Harmonization>,
    /// The bootstrap internal validation of the whole procedure (when B > 0).
    pub bootstrap: Option<BootstrapValidation>,
}

/// A study whose clinical model or DLRN has no maximum-likelihood fit
/// (separation): what the signature alone gives.
#[derive(Debug, Clone)]
pub struct SeparatedStudy {
    /// The LASSO (its signature, path and CV for the figures).
    pub lasso: LassoStage,
    /// The univariate screen of the clinical candidates.
    pub screen: Screen,
    /// The signature evaluated alone on every cohort.
    pub signature: SignatureOnly,
    /// The clinical model on every cohort, when it fitted (only the DLRN separated).
    pub clinical: Option<ClinicalOnly>,
    /// Table 1.
    pub table1: report::Table1,
    /// The missing-data table.
    pub missing: MissingReport,
    /// The separation, as the fit reported it (names the remedy).
    pub reason: String,
    /// The harmonisation and its evidence, when `[harmonize]` asked for it.
    pub harmonization: Option<Harmonization>,
}

/// What [`fit_study`] produced.
#[derive(Debug, Clone)]
pub enum Fit {
    /// Every model fitted.
    Fitted(Box<FittedStudy>),
    /// The clinical model or the DLRN separated; the signature alone.
    Separated(Box<SeparatedStudy>),
}

/// Fits the study's models on `inputs.cohorts[0]` and evaluates them on
/// every cohort, after the missing-value policy (undefined feature values
/// dropped or imputed with the training median in every cohort and
/// re-outline; clinical values per `settings.missing`).
pub fn fit_study(
    inputs: &FitInputs<'_>,
    settings: &FitSettings,
    progress: &mut dyn Progress,
) -> Result<Fit> {
    let FitInputs {
        schema,
        cohorts,
        training_sha256,
        icc,
        intra_reads,
        inter_reads,
    } = *inputs;
    let training = cohorts.first().ok_or_else(|| StudyError::Invalid {
        message: "the study needs a training cohort".into(),
    })?;
    let level = settings.evaluation.level;
    let kept = icc.kept();
    // With harmonisation, the same study without it first: Table 2's pair.
    let unharmonised = if settings.harmonize.is_on() {
        settings.harmonize.check(&training.name, schema)?;
        progress.note("[run]    the study without harmonisation (Table 2's pair)");
        let plain = FitSettings {
            harmonize: HarmonizeSettings::default(),
            // Table 2's pair only: no bootstrap for the twin.
            bootstrap: BootstrapSettings {
                resamples: 0,
                ..settings.bootstrap
            },
            ..settings.clone()
        };
        let table2 = match fit_study(inputs, &plain, &mut Quiet(&mut *progress))? {
            Fit::Fitted(f) => f.evaluation.table2,
            Fit::Separated(s) => s.signature.table2,
        };
        Some(table2)
    } else {
        None
    };

    // The missing-value policy: checked against the study, stated in the
    // report. Undefined feature values are dropped or imputed with the
    // training median (every cohort and re-outline), so no NaN reaches the LASSO.
    settings.missing.check(&training.features.names, schema)?;
    let mut missing = MissingReport {
        rule: settings.missing.describe(),
        rows: Vec::new(),
    };
    let mut cohorts: Vec<Cohort> = cohorts.to_vec();
    let mut intra_reads: Vec<(String, FeatureTable)> = intra_reads.to_vec();
    let mut inter_reads: Vec<(String, FeatureTable)> = inter_reads.to_vec();
    let feature_imputation = {
        let mut tables: Vec<&mut FeatureTable> = intra_reads
            .iter_mut()
            .chain(inter_reads.iter_mut())
            .map(|(_, t)| t)
            .collect();
        apply_feature_policy(
            &mut cohorts,
            &mut tables,
            &kept,
            &settings.missing,
            &mut missing,
        )?
    };
    // Harmonisation across hospitals: the kept features of every validation
    // cohort mapped onto the training hospital's (the harmonize module).
    let mut harmonization = harmonize_cohorts(
        &mut cohorts,
        &feature_imputation.kept(&kept),
        &feature_imputation.medians,
        schema,
        &settings.harmonize,
    )?;
    if let Some(h) = &harmonization {
        let (b, a, n) = h.counts();
        progress.note(&format!(
            "[run]    harmonisation (ComBat, reference {}): {n} features; Kruskal–Wallis P < 0.05 \
             across hospitals in {b} before, {a} after",
            h.reference
        ));
    }
    let cohorts = cohorts.as_slice();
    let (intra_reads, inter_reads) = (intra_reads.as_slice(), inter_reads.as_slice());
    let training = &cohorts[0];
    if !feature_imputation.dropped.is_empty() {
        progress.note(&format!(
            "         {} features dropped for undefined values in more than {}% of {}",
            feature_imputation.dropped.len(),
            100.0 * settings.missing.feature_max_share,
            training.name
        ));
    }
    let kept = feature_imputation.kept(&kept);

    // 6–8. The modelling procedure: LASSO, clinical screen and elimination, DLRN.
    let Procedure {
        lasso,
        scores,
        designs: clinical_designs,
        models: fitted,
    } = fit_procedure(
        schema,
        cohorts,
        &kept,
        &settings.lasso,
        &settings.clinical,
        &settings.missing,
        vec![dlrn_lasso::InputHash {
            path: format!("{} features", training.name),
            sha256: training_sha256.to_string(),
        }],
        progress,
    )?;
    let signature = &lasso.signature;

    let table1 = table1(
        schema,
        &cohorts
            .iter()
            .map(|c| CohortClinical {
                name: &c.name,
                labels: &c.labels,
                clinical: &c.clinical,
            })
            .collect::<Vec<_>>(),
        &settings.clinical.candidates,
    )?;

    let candidates = &settings.clinical.candidates;
    let designs = clinical_designs.score.clone();
    let (clinical, dlrn_model) = match fitted {
        Ok(x) => x,
        Err((fitted_clinical, e)) if is_separation(&e) => {
            // The study goes on without the separated models: every table and
            // figure that needs only the signature, the clinical data and,
            // when only the DLRN separated, the clinical model.
            let models = if fitted_clinical.is_some() {
                "DLRN"
            } else {
                "clinical model and DLRN"
            };
            progress.note(&format!("[skip]   {models}: {e}"));
            let signature = signature_only(cohorts, &scores, level)?;
            // The clinical model's variables were scored with the stored
            // training values (none without a clinical model).
            let scored: Vec<String> = fitted_clinical
                .as_ref()
                .map(|c| c.elimination.kept.clone())
                .unwrap_or_default();
            let (screen, clinical) = match fitted_clinical {
                Some(c) => {
                    let only = clinical_only(
                        cohorts,
                        &designs,
                        &c.elimination.model,
                        table3(schema, &c.elimination.model),
                        level,
                    )?;
                    (c.screen, Some(only))
                }
                None => (
                    univariate_screen_with(
                        schema,
                        &clinical_designs.fit,
                        candidates,
                        &training.labels,
                        settings.clinical.screen_p,
                        settings.clinical.fit,
                    )?,
                    None,
                ),
            };
            clinical_rows(
                schema,
                cohorts,
                candidates,
                &settings.missing,
                &clinical_designs.values,
                &scored,
                &mut missing,
            )?;
            if let (Some(h), Some(none)) = (&mut harmonization, &unharmonised) {
                h.table2_pair = Some(table2_pair(none, &signature.table2));
            }
            return Ok(Fit::Separated(Box::new(SeparatedStudy {
                lasso,
                screen,
                signature,
                clinical,
                table1,
                missing,
                reason: e.to_string(),
                harmonization,
            })));
        }
        Err((_, e)) => return Err(e),
    };
    for r in &clinical.screen.rows {
        match (&r.p_value, &r.error) {
            (Some(p), _) => progress.note(&format!(
                "         screen {:<14} p = {p:.4}{}",
                r.variable,
                if r.n_dropped > 0 {
                    format!(" ({} dropped for a missing value)", r.n_dropped)
                } else {
                    String::new()
                }
            )),
            (None, Some(e)) => progress.note(&format!(
                "         screen {:<14} not fitted: {e}",
                r.variable
            )),
            (None, None) => {}
        }
    }
    for d in &clinical.elimination.dropped {
        progress.note(&format!(
            "         drop   {} (p = {:.4})",
            d.variable, d.p_value
        ));
    }
    let clinical_model = &clinical.elimination.model;
    if clinical_model.fit.n_dropped > 0 {
        progress.note(&format!(
            "         clinical model: {} of {} patients dropped for a missing value (complete case)",
            clinical_model.fit.n_dropped,
            training.labels.len()
        ));
    }
    progress.done("clinical model");

    // 8. DLRN: signature + the kept clinical variables (fitted above).

    // Predictions per cohort and the cut-offs on the training cohort.
    let predictions: Vec<CohortPredictions> = cohorts
        .iter()
        .zip(&designs)
        .map(|(c, d)| {
            predict(
                c,
                d,
                d.column(SIGNATURE_COLUMN)?,
                clinical_model,
                &dlrn_model,
            )
        })
        .collect::<Result<_>>()?;
    // The clinical model's terms refitted in every cohort (the paper's text
    // on the clinical factors in each validation cohort).
    let by_cohort = clinical_by_cohort(
        schema,
        clinical_model,
        &cohorts
            .iter()
            .zip(&clinical_designs.recorded)
            .map(|(c, d)| (c.name.as_str(), d, c.labels.as_slice()))
            .collect::<Vec<_>>(),
    );
    for r in by_cohort.rows.iter().filter(|r| !r.note.is_empty()) {
        progress.note(&format!(
            "         clinical model in {}: {}",
            r.cohort, r.note
        ));
    }
    progress.done("dlrn and the clinical model per cohort");

    // Supplementary Table 6: the frozen signature and DLRN on every outline
    // of the re-outlined subset, and their ICC across the outlines.
    let reproducibility = match intra_reads.iter().chain(inter_reads).next() {
        None => report::Reproducibility::not_computed(&settings.icc_form, level, &QUANTITIES),
        Some((_, first)) => {
            let mut outlines = vec![subset_cohort(training, &first.ids, "masks")?];
            for (r, t) in intra_reads.iter().chain(inter_reads) {
                outlines.push(reoutline_cohort(training, r, t.clone())?);
            }
            dlrn_reproducibility(
                schema,
                signature,
                candidates,
                &dlrn_model,
                &outlines,
                &settings.icc_form,
                level,
            )?
        }
    };
    for r in &reproducibility.rows {
        progress.note(&format!(
            "         reproducibility, {}: {} {}",
            r.quantity,
            r.form,
            match r.icc {
                Some(v) => format!("{v:.3} (n = {})", r.n),
                None => r.note.clone(),
            }
        ));
    }
    progress.done("dlrn reproducibility");
    let cutoffs = youden_cutoffs(&predictions[0])?;
    progress.note(&format!(
        "         Youden cut-off on {}: DLRN probability {:.3}",
        training.name, cutoffs.dlrn
    ));

    // 9. Evaluation of every model on every cohort.
    let evaluation = evaluate(
        schema,
        &cohorts.iter().zip(&predictions).collect::<Vec<_>>(),
        &cutoffs,
        &settings.evaluation,
    )?;
    for n in &evaluation.notes {
        progress.note(&format!("         {n}"));
    }
    let table3 = table3(schema, clinical_model);
    if let (Some(h), Some(none)) = (&mut harmonization, &unharmonised) {
        h.table2_pair = Some(table2_pair(none, &evaluation.table2));
    }
    progress.done("evaluation");

    // The nomogram of the DLRN.
    let tc_lp = dlrn_model.linear_predictor(&designs[0])?;
    let lp_range = (
        tc_lp.iter().copied().fold(f64::INFINITY, f64::min),
        tc_lp.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    let mut nopts = NomogramOptions::new(lp_range);
    nopts.outcome_label = "Probability of ALN metastasis".into();
    nopts.cutoff = Some(cutoffs.dlrn);
    let nomogram = build_nomogram(
        schema,
        &dlrn_model,
        &designs[0],
        &[(SIGNATURE_COLUMN.to_string(), "Signature".to_string())],
        nopts,
        lp_range,
    )?;

    // Bootstrap internal validation of the whole procedure (optional).
    let bootstrap = if settings.bootstrap.resamples > 0 {
        let features: Vec<String> = signature
            .features
            .iter()
            .map(|f| f.feature.clone())
            .collect();
        let v = bootstrap_validation(
            &ProcedureInputs {
                schema,
                training,
                kept: &kept,
                lasso: &settings.lasso,
                clinical: &settings.clinical,
                missing: &settings.missing,
            },
            &Original {
                clinical: clinical_model,
                dlrn: &dlrn_model,
                design: &designs[0],
                scores: &scores[0],
                features: &features,
            },
            &settings.bootstrap,
            progress,
        )?;
        progress.done("bootstrap internal validation");
        Some(v)
    } else {
        None
    };

    // The frozen model bundle (`dlrn predict` / `dlrn assess` read it).
    let b = &settings.bundle;
    let (cnn, cnn_weights) =
        Cnn::resnet50(b.weights.as_deref(), b.seed, &b.backend, b.resize, b.crop)
            .map_err(|e| StudyError::Other(Box::new(e)))?;
    let bundle = Bundle::from_study(StudyParts {
        provenance: &b.provenance,
        cnn: &cnn,
        cnn_weights_path: cnn_weights.as_deref(),
        icc,
        signature,
        schema,
        clinical: clinical_model,
        dlrn: &dlrn_model,
        cutoffs: &cutoffs,
        nomogram: &nomogram,
        training,
        training_scores: designs[0].column(SIGNATURE_COLUMN)?,
    })
    .and_then(|b| {
        b.with_missing(
            &missing.rule,
            &feature_imputation.medians,
            &clinical_designs.values,
        )
    })
    .and_then(|b| match &harmonization {
        None => Ok(b),
        Some(h) => b.with_harmonize(HarmonizePart {
            method: "combat".into(),
            batch: "cohort".into(),
            reference: h.reference.clone(),
            families: h.settings.features.name().into(),
            min_batch: h.settings.min_batch(),
            rule: h.describe(),
            medians: h.medians.clone(),
            covariates: h.covariates.clone(),
            model: h.model.clone(),
        }),
    })
    .map_err(|e| StudyError::Other(Box::new(e)))?;
    let bundle = Bundle {
        validation: bootstrap.as_ref().map(|b| b.record()),
        ..bundle
    };
    let model_variables: Vec<String> = bundle
        .clinical_variables()
        .iter()
        .map(|v| v.to_string())
        .collect();
    clinical_rows(
        schema,
        cohorts,
        candidates,
        &settings.missing,
        &clinical_designs.values,
        &model_variables,
        &mut missing,
    )?;

    Ok(Fit::Fitted(Box::new(FittedStudy {
        lasso,
        designs,
        clinical,
        dlrn: dlrn_model,
        predictions,
        by_cohort,
        reproducibility,
        cutoffs,
        evaluation,
        table1,
        table3,
        nomogram,
        bundle,
        missing,
        harmonization,
        bootstrap,
    })))
}

/// The progress of the unharmonised twin study: its notes prefixed, its
/// stage times not recorded (they are part of the harmonised study's).
struct Quiet<'a>(&'a mut dyn Progress);

impl Progress for Quiet<'_> {
    fn note(&mut self, line: &str) {
        self.0
            .note(&format!("         (unharmonised) {}", line.trim_start()));
    }
    fn done(&mut self, _name: &str) {}
}
