//! A study whose clinical model or DLRN has no maximum-likelihood fit
//! (separation) goes on: the signature is evaluated alone (Table 2's
//! signature rows, ROC curves, scores by class, its Youden cut-off), the
//! clinical model too when only the DLRN separated, and the missing models
//! are named with the reason and the remedy (`fit = "firth"`).

use dlrn_report as report;

use crate::coding::Design;
use crate::error::{Result, StudyError};
use crate::model::{FittedModel, plogis};
use crate::pipeline::{Cohort, MODELS};

/// Whether an error is a separation in a model fit (the study can go on without that model).
pub fn is_separation(e: &StudyError) -> bool {
    matches!(e, StudyError::Fit { cause, .. } if matches!(**cause, dlrn_stats::StatsError::Separation { .. }))
}

/// The signature alone on every cohort.
#[derive(Debug, Clone)]
pub struct SignatureOnly {
    /// Table 2's signature rows.
    pub table2: Vec<report::Table2Row>,
    /// One ROC figure per cohort (the signature's curve).
    pub roc: Vec<report::RocFigure>,
    /// The signature score by class, one panel per cohort.
    pub box_panels: Vec<report::BoxPanel>,
    /// The signature's Youden cut-off on the training cohort (probability scale).
    pub cutoff: f64,
}

/// Evaluates the signature on each cohort (`scores[i]` the signature
/// scores of `cohorts[i]`, training first) as [`crate::pipeline::evaluate`]
/// evaluates it, without the models that need the clinical variables.
pub fn signature_only(
    cohorts: &[Cohort],
    scores: &[Vec<f64>],
    level: f64,
) -> Result<SignatureOnly> {
    let stats = |context: String| {
        move |source: dlrn_stats::StatsError| StudyError::Stats { context, source }
    };
    let (Some(training), Some(train_scores)) = (cohorts.first(), scores.first()) else {
        return Err(StudyError::Shape {
            what: "signature evaluation".into(),
            message: "no training cohort".into(),
        });
    };
    let p0: Vec<f64> = train_scores.iter().map(|&s| plogis(s)).collect();
    let cutoff = dlrn_stats::youden(&training.labels, &p0)
        .map_err(stats(format!("Youden cut-off on {}", training.name)))?
        .threshold;
    let mut out = SignatureOnly {
        table2: Vec::new(),
        roc: Vec::new(),
        box_panels: Vec::new(),
        cutoff,
    };
    for (c, s) in cohorts.iter().zip(scores) {
        let p: Vec<f64> = s.iter().map(|&v| plogis(v)).collect();
        out.table2.push(crate::evaluation::table2_row(
            &c.name,
            "Signature",
            &c.labels,
            &p,
            cutoff,
            level,
            None,
        )?);
        out.roc.push(report::RocFigure {
            title: c.name.clone(),
            curves: vec![crate::evaluation::roc_curve(
                "Signature",
                &c.labels,
                &p,
                level,
            )?],
        });
        let by_class = |class: u8| -> Vec<f64> {
            s.iter()
                .zip(&c.labels)
                .filter(|(_, l)| **l == class)
                .map(|(v, _)| *v)
                .collect()
        };
        let (neg, pos) = (by_class(0), by_class(1));
        out.box_panels.push(report::BoxPanel {
            title: c.name.clone(),
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
    }
    Ok(out)
}

/// The report section that says which models are missing and why: the
/// clinical model and the DLRN, or the DLRN alone when `clinical_fitted`.
pub fn not_fitted_section(clinical_fitted: bool, reason: &str) -> report::Section {
    let text = if clinical_fitted {
        format!(
            "The DLRN could not be fitted: {reason}. Its Table 2 rows, calibration, decision \
             curves, IDI/NRI, nomogram, calculator and model bundle are therefore not written; \
             every table and figure that needs only the signature, the clinical data and the \
             clinical model (its Table 2 and Table 3 rows) is."
        )
    } else {
        format!(
            "The clinical model and the DLRN could not be fitted: {reason}. Their Table 2 and \
             Table 3 rows, calibration, decision curves, IDI/NRI, nomogram, calculator and model \
             bundle are therefore not written; every table and figure that needs only the \
             signature and the clinical data is."
        )
    };
    report::Section {
        title: "Models not fitted".into(),
        items: vec![report::Item::Text { text }],
    }
}

/// The clinical model on every cohort, when it fitted and only the DLRN
/// separated: its Table 2 rows at its Youden cut-off on the training
/// cohort, its ROC curve per cohort, and Table 3.
#[derive(Debug, Clone)]
pub struct ClinicalOnly {
    /// Table 2's clinical-model rows.
    pub table2: Vec<report::Table2Row>,
    /// The clinical model's ROC curve, one per cohort.
    pub roc: Vec<report::RocCurve>,
    /// Table 3: the clinical model's coefficients.
    pub table3: report::Table3,
    /// Its Youden cut-off on the training cohort (probability).
    pub cutoff: f64,
}

/// Evaluates the fitted clinical `model` on each cohort (`designs[i]` the
/// design of `cohorts[i]`, training first) as [`crate::pipeline::evaluate`]
/// evaluates it (pROC's Youden cut-off on the training cohort, DeLong CIs,
/// exact CIs), without a DLRN to compare it with.
pub fn clinical_only(
    cohorts: &[Cohort],
    designs: &[Design],
    model: &FittedModel,
    table3: report::Table3,
    level: f64,
) -> Result<ClinicalOnly> {
    let name = MODELS[0];
    let probabilities: Vec<Vec<f64>> = cohorts
        .iter()
        .zip(designs)
        .map(|(c, d)| {
            let p = model.probabilities(d)?;
            match p.iter().position(|x| !x.is_finite()) {
                Some(i) => Err(StudyError::NoPrediction {
                    model: name.to_string(),
                    cohort: c.name.clone(),
                    id: c.ids()[i].clone(),
                }),
                None => Ok(p),
            }
        })
        .collect::<Result<_>>()?;
    let (Some(training), Some(p0)) = (cohorts.first(), probabilities.first()) else {
        return Err(StudyError::Shape {
            what: "clinical model evaluation".into(),
            message: "no training cohort".into(),
        });
    };
    let cutoff = dlrn_stats::youden(&training.labels, p0)
        .map_err(|source| StudyError::Stats {
            context: format!("Youden cut-off of the clinical model on {}", training.name),
            source,
        })?
        .threshold;
    let mut out = ClinicalOnly {
        table2: Vec::new(),
        roc: Vec::new(),
        table3,
        cutoff,
    };
    for (c, p) in cohorts.iter().zip(&probabilities) {
        out.table2.push(crate::evaluation::table2_row(
            &c.name, name, &c.labels, p, cutoff, level, None,
        )?);
        out.roc
            .push(crate::evaluation::roc_curve(name, &c.labels, p, level)?);
    }
    Ok(out)
}
