//! dlrn-study: the study of study.md as a library. The clinical variables are
//! declared in data (a [`ClinicalSchema`]: numeric, binary, ordinal, nominal
//! with an explicit reference level) and coded once ([`coding`]); the
//! univariate screen, backward elimination, the clinical and DLRN models
//! ([`model`]), the ICC filter ([`icc`]), Table 1 ([`table1`]) and the
//! nomogram ([`nomogram`]) are built from typed inputs, and [`pipeline`]
//! runs the study as one function per stage; [`evaluation`] builds Table 2's
//! rows and the ROC curves, and the baseline, readers, ICC and supplement
//! modules compute the tables of the supplement.
//!
//! What it owns: the study's computations and their typed results. What it
//! must not do: render. Statistics come from dlrn-stats, dlrn-lasso and
//! dlrn-nomogram; this crate composes them and fills dlrn-report's plain row
//! and page types, which dlrn-report writes (CSV, Markdown, figures, pages).
//!
//! | stage | function | R equivalent |
//! | --- | --- | --- |
//! | coding | [`coding::code`] | `factor(x, levels)`, `relevel(ref = …)`, `contr.treatment` |
//! | ICC filter | [`pipeline::icc_stage`] | `psych::ICC` per feature, intra and inter; kept if both > threshold |
//! | signature | [`pipeline::lasso_stage`] | `cv.glmnet(family = "binomial")` |
//! | screen | [`model::univariate_screen`] | `glm(y ~ x, binomial)` per variable |
//! | clinical model | [`model::backward_elimination`] | `glm` + drop the largest Wald p |
//! | DLRN | [`pipeline::dlrn_stage`] | `glm(y ~ signature + …, binomial)` |
//! | missing values | [`missing::feature_imputation`], [`missing::impute_clinical`] | `median(x, na.rm = TRUE)`, `na.omit` |
//! | cut-offs | [`pipeline::youden_cutoffs`] | `pROC::coords(best.method = "youden")` |
//! | harmonisation | [`harmonize::harmonize_cohorts`] | `sva::ComBat(ref.batch = training)`, a new batch per hospital |
//! | nomogram | [`nomogram::build_nomogram`] | `rms::nomogram` |
//! | DLRN reproducibility | [`reproducibility::dlrn_reproducibility`] | `psych::ICC` of the DLRN over the outlines |
//! | clinical model per cohort | [`pipeline::clinical_by_cohort`] | `glm` per cohort |
//!
//! Above the stages: [`fit::fit_study`] runs stages 6–9, the nomogram and
//! the model bundle as one call (what `cargo xtask paper` runs after the
//! features); [`assemble`] builds the study's report from the results (the
//! evaluation part shared with `dlrn assess`); [`apply`] applies a frozen
//! bundle to a cohort folder (`dlrn predict`, `dlrn assess`); [`published`]
//! scores the published signature on the released tables, reruns the
//! authors' LASSO, validates a hold-out LASSO and writes the cut-off finding
//! (`cargo xtask published`). The caller parses arguments, runs the image
//! stages and writes the outputs.

pub mod agreement;
pub mod apply;
pub mod assemble;
pub mod baseline;
pub mod bootstrap;
/// The model bundle: dlrn-bundle's types, loading and prediction, and
/// building one from a study run ([`bundling`]).
pub mod bundle {
    pub use crate::bundling::*;
    pub use dlrn_bundle::*;
}
pub mod bundling;
pub mod coding;
pub mod error;
pub mod evaluation;
pub mod external;
pub mod extraction;
pub mod family;
pub mod fit;
pub mod harmonize;
/// The harmonisation part of the model bundle (moved with the bundle).
pub use dlrn_bundle::harmonize as harmonize_part;
pub mod icc;
pub mod missing;
pub mod model;
pub mod nomogram;
pub mod pipeline;
pub mod procedure;
pub mod published;
pub mod readers_report;
pub mod reproducibility;
pub mod samplesize;
pub mod schema;
pub mod separation;
pub mod supplement;
pub mod table1;
pub mod update;

pub use coding::{Design, Term, code, terms};
pub use error::{Result, StudyError};
pub use model::{FittedModel, Screen, plogis};
pub use schema::{ClinicalSchema, read_schema};
