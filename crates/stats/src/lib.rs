//! dlrn-stats: the study's statistics with R's numbers (pROC, rms, Hmisc,
//! psych, glm). Takes slices (`&[u8]` labels 0/1, `&[f64]` scores or
//! probabilities), returns plain `serde::Serialize` structs; no table or
//! tensor type crosses the API. No global state: every random procedure
//! (bootstrap, resampling, simulation) takes a `seed`, and parallel work is reduced in a fixed order.
//!
//! Conventions: label 1 = case (ALN+), higher score = more likely a case
//! (pROC `direction = "<"`), a score `>= cutoff` is positive, ties count ½.
//! Every function validates its input and returns [`StatsError`] naming the
//! input, the 1-based row and the value (NaN/∞ scores, labels other than 0/1,
//! too few per class, length mismatches).
//!
//! | statistic | function | R equivalent |
//! | --- | --- | --- |
//! | ROC curve | [`roc`] | `pROC::roc(y, s, direction = "<")` |
//! | AUC + DeLong CI (O(n log n)) | [`auc_delong`] | `pROC::ci.auc(method = "delong")` |
//! | paired DeLong test | [`delong_paired`] | `pROC::roc.test(paired = TRUE)` |
//! | unpaired DeLong test | [`delong_unpaired`] | `pROC::roc.test(paired = FALSE)` |
//! | bootstrap AUC CI | [`auc_bootstrap_ci`] | `pROC::ci.auc(method = "bootstrap")` |
//! | Clopper–Pearson CI | [`binom_ci`] | `binom.test()$conf.int` |
//! | confusion, ACC/SENS/SPE/PPV/NPV | [`confusion`], [`diagnostic_metrics`] | `binom.test` per count |
//! | Youden cut-off | [`youden`] | `pROC::coords(best.method = "youden")` |
//! | logistic regression | [`logistic_fit`], [`univariate_screen`] | `glm(family = binomial)`, `rms::lrm` |
//! | Firth's penalised logistic regression | [`firth_fit`] | `logistf::logistf(pl = FALSE)` |
//! | factor coding | [`ordinal_code`], [`dummy_code`] | integer scores, `contr.treatment` |
//! | ICC | [`icc`] | `psych::ICC(lmer = FALSE)` |
//! | Cohen's kappa | [`cohen_kappa`], [`kappa_agreement`], [`landis_koch`] | `psych::cohen.kappa`, `irr::kappa2` |
//! | calibration | [`calibration`], [`hosmer_lemeshow`], [`lowess`] | `rms::val.prob`, `ResourceSelection::hoslem.test`, `lowess` |
//! | val.prob statistics, CITL and slope with CIs | [`val_prob`] | `rms::val.prob`, `CalibrationCurves::val.prob.ci.2` |
//! | `lrm.fit` (rms 6.5 iterates) | [`lrm_fit`], [`gini_md`] | `rms::lrm.fit`, `Hmisc::GiniMd` |
//! | bootstrap optimism, corrected calibration | [`validate`], [`calibrate`], [`validate_lrm`], [`calibrate_lrm`] | `rms::validate`, `rms::calibrate` |
//! | R's RNG, bootstrap resamples | [`RRng`], [`bootstrap_resamples`] | `set.seed`, `runif`, `sample` |
//! | sample size (binary) | [`sample_size_binary`], [`cstatistic_to_r2cs`] | `pmsampsize(type = "b")` |
//! | decision curve | [`decision_curve`] | `dcurves::dca` |
//! | IDI, NRI | [`improve_prob`], [`nri_categorical`] | `Hmisc::improveProb` |
//! | Table 1 tests | [`t_test`], [`mann_whitney`], [`chi_square`], [`fisher_exact`], [`fisher_exact_rxc`], [`welch_anova`], [`kruskal_wallis`] | `t.test`, `wilcox.test`, `chisq.test`, `fisher.test`, `oneway.test`, `kruskal.test` |
//! | normality | [`shapiro_wilk`] | `shapiro.test` |
//! | principal components | [`principal_components`] | `prcomp(x, scale. = TRUE)` |
//! | Table 1 test choice | [`compare_continuous`], [`compare_categorical`] | the rule in [`BASELINE_RULE`] |

mod baseline;
mod binom;
mod calibration;
mod check;
mod cholesky;
mod coding;
mod decision;
mod diagnostic;
pub mod dist;
mod error;
mod firth;
mod fisher;
mod hypothesis;
mod icc;
mod improve;
mod kappa;
mod logistic;
mod lrm;
mod pca;
mod ranks;
mod roc;
pub mod rrng;
mod samplesize;
mod shapiro;
mod validate;
mod valprob;

pub use baseline::{
    BASELINE_RULE, BaselineComparison, BaselineTest, KruskalWallis, MIN_EXPECTED, NORMALITY_ALPHA,
    WelchAnova, compare_categorical, compare_continuous, kruskal_wallis, welch_anova,
};
pub use binom::{Proportion, binom_ci};
pub use calibration::{
    Calibration, CalibrationBin, HosmerLemeshow, Lowess, calibration, hosmer_lemeshow, lowess,
};
pub use coding::{BIRADS_LEVELS, Dummy, GRADE_LEVELS, dummy_code, ordinal_code};
pub use decision::{DecisionCurve, DecisionPoint, decision_curve, default_thresholds};
pub use diagnostic::{Confusion, Diagnostics, YoudenCut, confusion, diagnostic_metrics, youden};
pub use error::{Result, StatsError};
pub use firth::{FirthControl, firth_fit};
pub use fisher::{FISHER_MAX_ENTRIES, FISHER_MAX_EXPANSIONS, FISHER_MAX_TOTAL, fisher_exact_rxc};
pub use hypothesis::{
    ChiSquare, FisherExact, MannWhitney, TTest, chi_square, fisher_exact, mann_whitney, t_test,
};
pub use icc::{IccForm, IccRow, IccTable, icc};
pub use improve::{CategoricalNri, Estimate, ImproveProb, improve_prob, nri_categorical};
pub use kappa::{
    Kappa, KappaEstimate, KappaOutcome, KappaWeights, LandisKoch, cohen_kappa, kappa_agreement,
    kappa_agreement_levels, landis_koch,
};
pub use logistic::{Coefficient, LogisticFit, ScreenRow, logistic_fit, univariate_screen};
pub use lrm::{LrmFit, concordance_binned, gini_md, lrm_fit};
pub use pca::{Pca, principal_components};
pub use roc::{
    AucCi, BootstrapCi, DelongTest, Roc, UnpairedDelongTest, auc, auc_bootstrap_ci, auc_delong,
    delong_paired, delong_unpaired, roc,
};
pub use rrng::{RRng, bootstrap_resamples};
pub use samplesize::{
    CSTAT_SEED, CSTAT_SIMULATED, Criterion, R2Source, SampleSize, SampleSizeR2, cstatistic_to_r2cs,
    sample_size_binary,
};
pub use shapiro::{ShapiroWilk, shapiro_wilk};
pub use validate::{
    CalibrateCurve, CalibratePoint, VALIDATE_INDEXES, ValidateRow, Validation, calibrate,
    calibrate_grid, calibrate_lrm, calibrate_refitted, validate, validate_lrm, validate_refitted,
};
pub use valprob::{Concordance, ValProb, WaldEstimate, offset_intercept, val_prob};
