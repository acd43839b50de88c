//! The validation tables of a study or an assessment: `rms::val.prob`'s
//! statistics per model and cohort (`val_prob`), the bootstrap internal
//! validation of the whole modelling procedure (`internal_validation`,
//! `rms::validate`'s rows), its overfitting-corrected calibration curve
//! (`internal_calibration`, `rms::calibrate`'s table), how often each
//! feature and clinical factor was selected across the resamples
//! (`selection_frequencies`) and the minimum sample size of Riley et al.
//! (2020) for the training cohort (`sample_size`). Plain rows in, the
//! caller's order out (dlrn-study computes every number).

use serde::{Deserialize, Serialize};

use crate::cells::{csv_header, csv_records};
use crate::format::{fixed, p_value};
use crate::tables::{ReportTable, TextTable, cohort_rank, model_rank, strings};

fn num(v: Option<f64>, d: usize) -> String {
    v.map_or_else(|| "NA".to_string(), |x| fixed(x, d))
}

fn est_ci(v: Option<f64>, lo: Option<f64>, hi: Option<f64>) -> String {
    match (v, lo, hi) {
        (Some(v), Some(lo), Some(hi)) => {
            format!("{} ({} to {})", fixed(v, 3), fixed(lo, 3), fixed(hi, 3))
        }
        _ => "NA".into(),
    }
}

/// One model on one cohort: everything `rms::val.prob(p, y)` prints, under
/// R's names, plus calibration-in-the-large and the calibration slope with
/// their Wald CIs (`CalibrationCurves::val.prob.ci.2`). `Intercept` is
/// val.prob's, fitted jointly with `Slope` (`glm(y ~ logit(p))`);
/// `CITL` is calibration-in-the-large (`glm(y ~ offset(logit(p)))`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ValProbRow {
    /// Cohort name.
    pub cohort: String,
    /// Model name.
    pub model: String,
    /// Patients.
    pub n: u64,
    /// Somers' Dxy.
    #[serde(rename = "Dxy")]
    pub dxy: Option<f64>,
    /// C index (ROC area).
    #[serde(rename = "C (ROC)")]
    pub c_roc: Option<f64>,
    /// Nagelkerke R² of logit(p) as it is.
    #[serde(rename = "R2")]
    pub r2: Option<f64>,
    /// Discrimination index.
    #[serde(rename = "D")]
    pub d: Option<f64>,
    /// Its χ² (1 df).
    #[serde(rename = "D:Chi-sq")]
    pub d_chisq: Option<f64>,
    /// Its P.
    #[serde(rename = "D:p")]
    pub d_p: Option<f64>,
    /// Unreliability index.
    #[serde(rename = "U")]
    pub u: Option<f64>,
    /// Its χ² (2 df).
    #[serde(rename = "U:Chi-sq")]
    pub u_chisq: Option<f64>,
    /// Its P.
    #[serde(rename = "U:p")]
    pub u_p: Option<f64>,
    /// Quality index D − U.
    #[serde(rename = "Q")]
    pub q: Option<f64>,
    /// Brier score.
    #[serde(rename = "Brier")]
    pub brier: Option<f64>,
    /// val.prob's recalibration intercept (fitted jointly with the slope).
    #[serde(rename = "Intercept")]
    pub intercept: Option<f64>,
    /// val.prob's recalibration slope.
    #[serde(rename = "Slope")]
    pub slope: Option<f64>,
    /// Largest |p − lowess curve|.
    #[serde(rename = "Emax")]
    pub emax: Option<f64>,
    /// 0.9 quantile of |p − lowess curve|.
    #[serde(rename = "E90")]
    pub e90: Option<f64>,
    /// Mean |p − lowess curve|.
    #[serde(rename = "Eavg")]
    pub eavg: Option<f64>,
    /// Spiegelhalter's z.
    #[serde(rename = "S:z")]
    pub s_z: Option<f64>,
    /// Its two-sided P.
    #[serde(rename = "S:p")]
    pub s_p: Option<f64>,
    /// Calibration-in-the-large (slope fixed at 1).
    #[serde(rename = "CITL")]
    pub citl: Option<f64>,
    /// Its lower Wald limit.
    #[serde(rename = "CITL lower")]
    pub citl_ci_low: Option<f64>,
    /// Its upper Wald limit.
    #[serde(rename = "CITL upper")]
    pub citl_ci_high: Option<f64>,
    /// Calibration slope (`glm(y ~ logit(p))`, fully converged).
    #[serde(rename = "Calibration slope")]
    pub cal_slope: Option<f64>,
    /// Its lower Wald limit.
    #[serde(rename = "Calibration slope lower")]
    pub cal_slope_ci_low: Option<f64>,
    /// Its upper Wald limit.
    #[serde(rename = "Calibration slope upper")]
    pub cal_slope_ci_high: Option<f64>,
    /// Why the statistics are missing (probabilities at 0 or 1), else empty.
    pub note: String,
}

/// val.prob's statistics of every model on every cohort, sorted by cohort then model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValProbTable {
    /// The rows (sorted on construction).
    pub rows: Vec<ValProbRow>,
    /// Confidence level of the two Wald CIs.
    pub level: f64,
}

impl ValProbTable {
    /// Sorts the rows by cohort then model.
    pub fn new(mut rows: Vec<ValProbRow>, level: f64) -> Self {
        rows.sort_by(|a, b| {
            cohort_rank(&a.cohort)
                .cmp(&cohort_rank(&b.cohort))
                .then_with(|| model_rank(&a.model).cmp(&model_rank(&b.model)))
        });
        ValProbTable { rows, level }
    }
}

impl ReportTable for ValProbTable {
    fn csv_header(&self) -> Vec<String> {
        csv_header::<ValProbRow>()
    }
    fn csv_records(&self) -> Vec<Vec<String>> {
        csv_records(&self.rows)
    }
    fn display(&self) -> TextTable {
        let pct = fixed(100.0 * self.level, 0);
        TextTable {
            header: vec![
                "Cohort".into(),
                "Model".into(),
                "n".into(),
                "Dxy".into(),
                "C (ROC)".into(),
                "R2".into(),
                "D".into(),
                "U".into(),
                "Q".into(),
                "Brier".into(),
                "Intercept".into(),
                "Slope".into(),
                "Emax".into(),
                "E90".into(),
                "Eavg".into(),
                "S:z".into(),
                "S:p".into(),
                format!("CITL ({pct}% CI)"),
                format!("Calibration slope ({pct}% CI)"),
            ],
            rows: self
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.cohort.clone(),
                        r.model.clone(),
                        r.n.to_string(),
                        num(r.dxy, 3),
                        num(r.c_roc, 3),
                        num(r.r2, 3),
                        num(r.d, 3),
                        num(r.u, 3),
                        num(r.q, 3),
                        num(r.brier, 3),
                        num(r.intercept, 3),
                        num(r.slope, 3),
                        num(r.emax, 3),
                        num(r.e90, 3),
                        num(r.eavg, 3),
                        num(r.s_z, 3),
                        r.s_p.map_or_else(|| "NA".to_string(), p_value),
                        est_ci(r.citl, r.citl_ci_low, r.citl_ci_high),
                        est_ci(r.cal_slope, r.cal_slope_ci_low, r.cal_slope_ci_high),
                    ]
                })
                .collect(),
        }
    }
}

/// One row of `rms::validate`'s table for one model and procedure.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InternalValidationRow {
    /// Model name (Clinical, Signature, DLRN).
    pub model: String,
    /// What each resample refitted: `whole procedure` (LASSO with its CV,
    /// the clinical screen and elimination, the DLRN) or `fixed features`
    /// (the final model's coefficients only, = `rms::validate(fit)`).
    pub procedure: String,
    /// Index as rms names it (Dxy, R2, Intercept, Slope, Emax, D, U, Q, B, g, gp),
    /// or `C` (= Dxy/2 + 1/2).
    pub index: String,
    /// Apparent value on the training cohort.
    pub index_orig: f64,
    /// Mean over resamples on the resample.
    pub training: f64,
    /// Mean over resamples on the training cohort.
    pub test: f64,
    /// training − test.
    pub optimism: f64,
    /// index_orig − optimism.
    pub index_corrected: f64,
    /// Resamples that gave the index.
    pub n: u64,
}

/// Bootstrap internal validation (Harrell's optimism), rows in the caller's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InternalValidation {
    /// The rows.
    pub rows: Vec<InternalValidationRow>,
}

impl ReportTable for InternalValidation {
    fn csv_header(&self) -> Vec<String> {
        csv_header::<InternalValidationRow>()
    }
    fn csv_records(&self) -> Vec<Vec<String>> {
        csv_records(&self.rows)
    }
    fn display(&self) -> TextTable {
        TextTable {
            header: strings(&[
                "Model",
                "Procedure",
                "Index",
                "index.orig",
                "training",
                "test",
                "optimism",
                "index.corrected",
                "n",
            ]),
            rows: self
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.model.clone(),
                        r.procedure.clone(),
                        r.index.clone(),
                        fixed(r.index_orig, 4),
                        fixed(r.training, 4),
                        fixed(r.test, 4),
                        fixed(r.optimism, 4),
                        fixed(r.index_corrected, 4),
                        r.n.to_string(),
                    ]
                })
                .collect(),
        }
    }
}

/// One grid point of `rms::calibrate`'s table for one model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InternalCalibrationRow {
    /// Model name.
    pub model: String,
    /// Predicted probability (the grid).
    pub predy: f64,
    /// Apparent calibration curve (lowess) at predy.
    pub calibrated_orig: f64,
    /// Bootstrap overfitting-corrected curve at predy.
    pub calibrated_corrected: f64,
    /// Mean optimism at predy.
    pub optimism: f64,
    /// Resamples whose curves covered predy.
    pub n: u64,
}

/// The overfitting-corrected calibration curves of the whole procedure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InternalCalibration {
    /// The rows, model by model along the grid.
    pub rows: Vec<InternalCalibrationRow>,
}

impl ReportTable for InternalCalibration {
    fn csv_header(&self) -> Vec<String> {
        csv_header::<InternalCalibrationRow>()
    }
    fn csv_records(&self) -> Vec<Vec<String>> {
        csv_records(&self.rows)
    }
    fn display(&self) -> TextTable {
        TextTable {
            header: strings(&[
                "Model",
                "Predicted",
                "Apparent",
                "Bias-corrected",
                "Optimism",
                "n",
            ]),
            rows: self
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.model.clone(),
                        fixed(r.predy, 3),
                        fixed(r.calibrated_orig, 3),
                        fixed(r.calibrated_corrected, 3),
                        fixed(r.optimism, 3),
                        r.n.to_string(),
                    ]
                })
                .collect(),
        }
    }
}

/// How often one feature or clinical term was selected across the resamples.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SelectionRow {
    /// `feature` (selected by the LASSO) or `clinical` (kept by the screen
    /// and backward elimination).
    pub kind: String,
    /// Feature column or clinical variable name.
    pub name: String,
    /// Resamples that selected it.
    pub selected: u64,
    /// Resamples whose procedure ran to the end.
    pub resamples: u64,
    /// selected / resamples.
    pub frequency: f64,
    /// Whether the procedure on the whole training cohort selected it.
    pub in_model: bool,
}

/// Selection frequencies, sorted by kind, then frequency (descending), then name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelectionFrequencies {
    /// The rows (sorted on construction).
    pub rows: Vec<SelectionRow>,
}

impl SelectionFrequencies {
    /// Sorts the rows: clinical first, then features; most often selected first.
    pub fn new(mut rows: Vec<SelectionRow>) -> Self {
        rows.sort_by(|a, b| {
            (a.kind != "clinical")
                .cmp(&(b.kind != "clinical"))
                .then_with(|| b.selected.cmp(&a.selected))
                .then_with(|| a.name.cmp(&b.name))
        });
        SelectionFrequencies { rows }
    }
}

impl ReportTable for SelectionFrequencies {
    fn csv_header(&self) -> Vec<String> {
        csv_header::<SelectionRow>()
    }
    fn csv_records(&self) -> Vec<Vec<String>> {
        csv_records(&self.rows)
    }
    fn display(&self) -> TextTable {
        TextTable {
            header: strings(&[
                "Kind",
                "Name",
                "Selected",
                "Resamples",
                "Frequency",
                "In model",
            ]),
            rows: self
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.kind.clone(),
                        r.name.clone(),
                        r.selected.to_string(),
                        r.resamples.to_string(),
                        fixed(r.frequency, 3),
                        if r.in_model { "yes" } else { "no" }.into(),
                    ]
                })
                .collect(),
        }
    }
}

/// One criterion of Riley et al. (2020) (a row of `pmsampsize`'s table).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SampleSizeRow {
    /// Criteria 1–3 or Final.
    pub criterion: String,
    /// What it ensures.
    pub description: String,
    /// Minimum n.
    pub sample_size: u64,
    /// Expected shrinkage at that n.
    pub shrinkage: f64,
    /// Events at that n.
    pub events: f64,
    /// Events per candidate predictor parameter.
    pub epp: f64,
}

/// The minimum sample size of the DLRN (`pmsampsize(type = "b")`) and
/// whether the training cohort meets it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleSizeTable {
    /// The criteria and Final.
    pub rows: Vec<SampleSizeRow>,
    /// One sentence: the inputs (P, φ, R²cs and its source, S) and the verdict.
    pub statement: String,
}

impl ReportTable for SampleSizeTable {
    fn csv_header(&self) -> Vec<String> {
        csv_header::<SampleSizeRow>()
    }
    fn csv_records(&self) -> Vec<Vec<String>> {
        csv_records(&self.rows)
    }
    fn display(&self) -> TextTable {
        TextTable {
            header: strings(&["Criterion", "Ensures", "n", "Shrinkage", "Events", "EPP"]),
            rows: self
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.criterion.clone(),
                        r.description.clone(),
                        r.sample_size.to_string(),
                        fixed(r.shrinkage, 3),
                        fixed(r.events, 1),
                        fixed(r.epp, 2),
                    ]
                })
                .collect(),
        }
    }
}

/// The bootstrap internal validation of a study: its tables and one
/// sentence saying what was resampled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InternalValidationPart {
    /// B, the seed, what each resample refitted, failures and the wall time.
    pub summary: String,
    /// `rms::validate`'s rows per model and procedure.
    pub validation: InternalValidation,
    /// `rms::calibrate`'s corrected curves.
    pub calibration: InternalCalibration,
    /// Selection frequencies of features and clinical factors.
    pub selection: SelectionFrequencies,
}

/// The validation parts of a report beyond Table 2 (each optional).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ValidationTables {
    /// val.prob's statistics per model and cohort (`val_prob`).
    pub val_prob: Option<ValProbTable>,
    /// Bootstrap internal validation (`internal_validation`,
    /// `internal_calibration`, `selection_frequencies`).
    pub internal: Option<InternalValidationPart>,
    /// The minimum sample size for the training cohort (`sample_size`).
    pub sample_size: Option<SampleSizeTable>,
}
