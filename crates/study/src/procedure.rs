//! The study's modelling procedure, stages 6–8 (LASSO, clinical screen and
//! elimination, DLRN), as one function: `fit::fit_study` runs it once on the
//! training cohort, the bootstrap internal validation ([`crate::bootstrap`])
//! on every resample.

use crate::error::{Result, StudyError};
use crate::missing::{MissingSettings, clinical_designs};
use crate::model::FittedModel;
use crate::pipeline::{
    ClinicalSettings, ClinicalStage, Cohort, LassoSettings, LassoStage, clinical_stage, dlrn_stage,
    lasso_stage, signature_scores,
};
use crate::schema::ClinicalSchema;
#[cfg(doc)]
use crate::separation::is_separation;

/// Where the modelling (`fit::fit_study`, [`fit_procedure`], the bootstrap) reports: a line of progress, or a stage finished.
pub trait Progress {
    /// One line for the run's log.
    fn note(&mut self, line: &str);
    /// The stage `name` is finished (for the stage times).
    fn done(&mut self, name: &str);
}

/// What the modelling procedure fitted on the first of its cohorts.
#[derive(Debug)]
pub struct Procedure {
    /// The LASSO and its signature.
    pub lasso: LassoStage,
    /// The signature score of every cohort's patients (cohorts' order).
    pub scores: Vec<Vec<f64>>,
    /// Every cohort's coded clinical candidates with the signature score.
    pub designs: crate::missing::ClinicalDesigns,
    /// The clinical stage and the DLRN, or why they could not be fitted
    /// with the clinical stage when only the DLRN failed (a separation
    /// leaves the signature and that clinical model; [`is_separation`]).
    #[allow(clippy::type_complexity)]
    pub models:
        std::result::Result<(ClinicalStage, FittedModel), (Option<ClinicalStage>, StudyError)>,
}

/// The study's modelling procedure, stages 6–8, on `cohorts[0]` (after the
/// ICC filter and the missing-value policy): the LASSO with its
/// cross-validation on the `kept` features, the signature score of every
/// cohort, the clinical coding under the missing-value rule (training
/// values from `cohorts[0]`), the univariate screen and backward
/// elimination, and the DLRN. `fit::fit_study` runs it once on the training
/// cohort; the bootstrap internal validation ([`crate::bootstrap`]) runs it
/// on every resample, with the original training cohort as `cohorts[1]`.
#[allow(clippy::too_many_arguments)]
pub fn fit_procedure(
    schema: &ClinicalSchema,
    cohorts: &[Cohort],
    kept: &[String],
    lasso_settings: &LassoSettings,
    clinical_settings: &ClinicalSettings,
    missing: &MissingSettings,
    hashes: Vec<dlrn_lasso::InputHash>,
    progress: &mut dyn Progress,
) -> Result<Procedure> {
    let training = cohorts.first().ok_or_else(|| StudyError::Invalid {
        message: "the modelling procedure needs a training cohort".into(),
    })?;
    // 6. LASSO on the training cohort's kept features.
    progress.note(&format!(
        "[run]    lasso ({} rows × {} features, {}-fold CV)",
        training.labels.len(),
        kept.len(),
        lasso_settings.folds
    ));
    let lasso = lasso_stage(training, kept, lasso_settings, hashes)?;
    if !lasso.dropped_non_finite.is_empty() {
        progress.note(&format!(
            "         {} kept features left out of the LASSO for a non-finite value",
            lasso.dropped_non_finite.len()
        ));
    }
    progress.note(&format!(
        "         {} features selected at lambda {:.5}",
        lasso.signature.features.len(),
        lasso.signature.lambda
    ));
    progress.done("lasso");

    // 7. Clinical model: univariate screen, then backward elimination; each
    // cohort scored with its missing values imputed as the bundle does.
    // 8. DLRN: signature + the kept clinical variables.
    let scores: Vec<Vec<f64>> = cohorts
        .iter()
        .map(|c| signature_scores(&lasso.signature, c))
        .collect::<Result<_>>()?;
    let designs = clinical_designs(
        schema,
        cohorts,
        &clinical_settings.candidates,
        &scores,
        missing,
    )?;
    // The clinical model, then the DLRN; a separation in either leaves the
    // clinical model (when it fitted) for the separated study's report.
    let models = match clinical_stage(schema, &designs.fit, &training.labels, clinical_settings) {
        Ok(c) => match dlrn_stage(&designs.fit, &training.labels, &c.elimination.model) {
            Ok(d) => Ok((c, d)),
            Err(e) => Err((Some(c), e)),
        },
        Err(e) => Err((None, e)),
    };
    Ok(Procedure {
        lasso,
        scores,
        designs,
        models,
    })
}
