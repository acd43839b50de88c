//! The tables a study run computes beyond Tables 1–3: per-patient
//! predictions, calibration statistics, the three models' cut-offs and the
//! univariate screen (Supplementary Table 2). Plain inputs, sorted output.

use serde::{Deserialize, Serialize};

use crate::cells::{csv_header, csv_records};
use crate::format::{fixed, or_ci, p_value, significant};
use crate::tables::{ReportTable, TextTable, cohort_rank, model_rank, opt_ci, strings};

/// One patient's scores and probabilities.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PredictionRow {
    /// Patient id.
    pub id: String,
    /// Cohort name.
    pub cohort: String,
    /// Outcome (1 = case).
    pub label: u8,
    /// Signature score (the LASSO linear predictor).
    pub signature_score: f64,
    /// Clinical model probability.
    #[serde(rename = "p_clinical")]
    pub clinical: f64,
    /// Signature probability (inverse logit of the score).
    #[serde(rename = "p_signature")]
    pub signature: f64,
    /// DLRN probability.
    #[serde(rename = "p_dlrn")]
    pub dlrn: f64,
}

/// Per-patient predictions of every cohort (`predictions.csv`), sorted by cohort then id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Predictions {
    /// The rows (sorted on construction).
    pub rows: Vec<PredictionRow>,
}

impl Predictions {
    /// Sorts the rows by cohort (TC, EVC1, …) then id.
    pub fn new(mut rows: Vec<PredictionRow>) -> Self {
        rows.sort_by(|a, b| {
            cohort_rank(&a.cohort)
                .cmp(&cohort_rank(&b.cohort))
                .then_with(|| a.id.cmp(&b.id))
        });
        Predictions { rows }
    }
}

impl ReportTable for Predictions {
    fn csv_header(&self) -> Vec<String> {
        csv_header::<PredictionRow>()
    }
    fn csv_records(&self) -> Vec<Vec<String>> {
        csv_records(&self.rows)
    }
    fn display(&self) -> TextTable {
        TextTable {
            header: strings(&[
                "Patient",
                "Cohort",
                "ALN",
                "Signature score",
                "Clinical",
                "Signature",
                "DLRN",
            ]),
            rows: self
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.id.clone(),
                        r.cohort.clone(),
                        r.label.to_string(),
                        fixed(r.signature_score, 3),
                        fixed(r.clinical, 3),
                        fixed(r.signature, 3),
                        fixed(r.dlrn, 3),
                    ]
                })
                .collect(),
        }
    }
}

/// One model's calibration on one cohort (`rms::val.prob` and
/// `ResourceSelection::hoslem.test`), or why it has none.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CalibrationRow {
    /// Cohort name.
    pub cohort: String,
    /// Model name.
    pub model: String,
    /// Patients.
    pub n: u64,
    /// Calibration slope (logistic recalibration on logit p).
    pub slope: Option<f64>,
    /// Calibration-in-the-large (intercept with logit p as offset).
    pub citl: Option<f64>,
    /// Hosmer–Lemeshow χ².
    pub hl_statistic: Option<f64>,
    /// Its degrees of freedom (groups − 2).
    pub hl_df: Option<f64>,
    /// Its P.
    pub hl_p: Option<f64>,
    /// Groups asked for.
    pub hl_groups: u64,
    /// Brier score.
    pub brier: Option<f64>,
    /// Why a statistic is missing (probabilities at 0 or 1, separation), else empty.
    pub note: String,
}

/// Calibration statistics of every model on every cohort, sorted by cohort then model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationStats {
    /// The rows (sorted on construction).
    pub rows: Vec<CalibrationRow>,
}

impl CalibrationStats {
    /// Sorts the rows by cohort then model.
    pub fn new(mut rows: Vec<CalibrationRow>) -> Self {
        rows.sort_by(|a, b| {
            cohort_rank(&a.cohort)
                .cmp(&cohort_rank(&b.cohort))
                .then_with(|| model_rank(&a.model).cmp(&model_rank(&b.model)))
        });
        CalibrationStats { rows }
    }
}

impl ReportTable for CalibrationStats {
    fn csv_header(&self) -> Vec<String> {
        csv_header::<CalibrationRow>()
    }
    fn csv_records(&self) -> Vec<Vec<String>> {
        csv_records(&self.rows)
    }
    fn display(&self) -> TextTable {
        let num = |v: Option<f64>, d: usize| v.map_or_else(|| "NA".to_string(), |x| fixed(x, d));
        TextTable {
            header: strings(&[
                "Cohort",
                "Model",
                "n",
                "Slope",
                "CITL",
                "Hosmer–Lemeshow χ² (df)",
                "P",
                "Brier",
            ]),
            rows: self
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.cohort.clone(),
                        r.model.clone(),
                        r.n.to_string(),
                        num(r.slope, 3),
                        num(r.citl, 3),
                        match (r.hl_statistic, r.hl_df) {
                            (Some(s), Some(df)) => format!("{} ({})", fixed(s, 3), fixed(df, 0)),
                            _ => "NA".into(),
                        },
                        r.hl_p.map_or_else(|| "NA".to_string(), p_value),
                        num(r.brier, 3),
                    ]
                })
                .collect(),
        }
    }
}

/// One model's cut-off.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CutoffRow {
    /// Model name.
    pub model: String,
    /// Probability cut-off (≥ is positive).
    pub cutoff: f64,
    /// How it was chosen (`Youden index on TC`).
    pub method: String,
}

/// The three models' cut-offs, sorted by model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cutoffs {
    /// The rows (sorted on construction).
    pub rows: Vec<CutoffRow>,
}

impl Cutoffs {
    /// Sorts the rows by model (clinical, signature, DLRN).
    pub fn new(mut rows: Vec<CutoffRow>) -> Self {
        rows.sort_by_key(|r| model_rank(&r.model));
        Cutoffs { rows }
    }
}

impl ReportTable for Cutoffs {
    fn csv_header(&self) -> Vec<String> {
        csv_header::<CutoffRow>()
    }
    fn csv_records(&self) -> Vec<Vec<String>> {
        csv_records(&self.rows)
    }
    fn display(&self) -> TextTable {
        TextTable {
            header: strings(&["Model", "Cut-off (probability)", "Chosen by"]),
            rows: self
                .rows
                .iter()
                .map(|r| vec![r.model.clone(), fixed(r.cutoff, 3), r.method.clone()])
                .collect(),
        }
    }
}

/// One design column of a univariate fit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScreenTableRow {
    /// The variable's label (`Molecular subtype`).
    pub variable: String,
    /// The term's label (`luminal B`; empty for a one-column variable).
    pub term: String,
    /// Patients used (complete cases).
    pub n: u64,
    /// Patients dropped for a missing value.
    pub n_dropped: u64,
    /// Coefficient (`None` when the fit does not exist).
    pub coefficient: Option<f64>,
    /// Odds ratio.
    pub odds_ratio: Option<f64>,
    /// Wald CI lower bound of the OR.
    pub or_ci_low: Option<f64>,
    /// Wald CI upper bound.
    pub or_ci_high: Option<f64>,
    /// Wald P.
    pub p_value: Option<f64>,
    /// Whether the variable passed the screen.
    pub passed: bool,
    /// Why there is no fit, else empty.
    pub note: String,
}

/// Supplementary Table 2: univariate logistic regression of every candidate, in candidate order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScreenTable {
    /// The screen's threshold.
    pub threshold: f64,
    /// The rows, in the caller's order.
    pub rows: Vec<ScreenTableRow>,
}

impl ReportTable for ScreenTable {
    fn csv_header(&self) -> Vec<String> {
        csv_header::<ScreenTableRow>()
    }
    fn csv_records(&self) -> Vec<Vec<String>> {
        csv_records(&self.rows)
    }
    fn display(&self) -> TextTable {
        TextTable {
            header: vec![
                "Variable".into(),
                "Level".into(),
                "n".into(),
                "Coefficient".into(),
                "Odds ratio (95% CI)".into(),
                "P".into(),
                format!("P < {}", significant(self.threshold, 3)),
            ],
            rows: self
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.variable.clone(),
                        r.term.clone(),
                        r.n.to_string(),
                        r.coefficient
                            .map_or_else(|| "NA".to_string(), |c| fixed(c, 4)),
                        match (r.odds_ratio, r.or_ci_low, r.or_ci_high) {
                            (Some(o), Some(l), Some(h)) => or_ci(o, l, h),
                            _ => r.note.clone(),
                        },
                        r.p_value.map_or_else(|| "NA".to_string(), p_value),
                        if r.passed { "yes" } else { "no" }.into(),
                    ]
                })
                .collect(),
        }
    }
}

/// Supplementary Table 6: one quantity's reproducibility across the
/// re-outlines (`psych::ICC` over the outlines), or why it has none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReproducibilityRow {
    /// What is compared (`DLRN probability`, `Signature score`).
    pub quantity: String,
    /// The outlines compared, `+`-joined (`masks+reader1_repeat+reader2`).
    pub outlines: String,
    /// Patients with the quantity from every outline.
    pub n: u64,
    /// ICC form (psych::ICC naming).
    pub form: String,
    /// The ICC, `None` when not computed.
    pub icc: Option<f64>,
    /// Its lower confidence bound.
    pub ci_low: Option<f64>,
    /// Its upper confidence bound.
    pub ci_high: Option<f64>,
    /// Why there is no ICC, or what was dropped; empty otherwise.
    pub note: String,
}

/// Supplementary Table 6: the DLRN's reproducibility on the re-outlined subset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reproducibility {
    /// Confidence level of the intervals.
    pub level: f64,
    /// The rows, in the caller's order.
    pub rows: Vec<ReproducibilityRow>,
}

impl Reproducibility {
    /// The table of a study without re-outlines: each quantity noted "not
    /// computed (no re-outlines)".
    pub fn not_computed(form: &str, level: f64, quantities: &[&str]) -> Self {
        Reproducibility {
            level,
            rows: quantities
                .iter()
                .map(|q| ReproducibilityRow {
                    quantity: q.to_string(),
                    outlines: String::new(),
                    n: 0,
                    form: form.to_string(),
                    icc: None,
                    ci_low: None,
                    ci_high: None,
                    note: "not computed (no re-outlines)".into(),
                })
                .collect(),
        }
    }
}

/// A supp_table6_reproducibility.csv record: the row with the table's level.
#[derive(Default, Serialize)]
struct ReproducibilityRecord<'a> {
    quantity: &'a str,
    outlines: &'a str,
    n: u64,
    form: &'a str,
    icc: Option<f64>,
    ci_low: Option<f64>,
    ci_high: Option<f64>,
    level: f64,
    note: &'a str,
}

impl ReportTable for Reproducibility {
    fn csv_header(&self) -> Vec<String> {
        csv_header::<ReproducibilityRecord<'_>>()
    }
    fn csv_records(&self) -> Vec<Vec<String>> {
        let records: Vec<ReproducibilityRecord<'_>> = self
            .rows
            .iter()
            .map(|r| ReproducibilityRecord {
                quantity: &r.quantity,
                outlines: &r.outlines,
                n: r.n,
                form: &r.form,
                icc: r.icc,
                ci_low: r.ci_low,
                ci_high: r.ci_high,
                level: self.level,
                note: &r.note,
            })
            .collect();
        csv_records(&records)
    }
    fn display(&self) -> TextTable {
        TextTable {
            header: vec![
                "Quantity".into(),
                "Outlines".into(),
                "n".into(),
                "Form".into(),
                format!("ICC ({}% CI)", fixed(self.level * 100.0, 0)),
                "Note".into(),
            ],
            rows: self
                .rows
                .iter()
                .map(|r| {
                    let icc = r
                        .icc
                        .map_or_else(|| "—".into(), |v| opt_ci(v, r.ci_low, r.ci_high, 3));
                    vec![
                        r.quantity.clone(),
                        r.outlines.replace('+', ", "),
                        r.n.to_string(),
                        r.form.clone(),
                        icc,
                        r.note.clone(),
                    ]
                })
                .collect(),
        }
    }
}

/// One term of the clinical model refitted in one cohort, or a noted row
/// for a cohort where the model could not be fitted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClinicalByCohortRow {
    /// Cohort name.
    pub cohort: String,
    /// Term label (`Age (years)`, `Molecular subtype: luminal B`); empty on a noted row.
    pub term: String,
    /// Patients used (complete cases).
    pub n: u64,
    /// Odds ratio exp(β).
    pub odds_ratio: Option<f64>,
    /// OR CI lower bound.
    pub or_ci_low: Option<f64>,
    /// OR CI upper bound.
    pub or_ci_high: Option<f64>,
    /// Wald P value.
    pub p_value: Option<f64>,
    /// Why there is no estimate (separation, non-convergence); empty otherwise.
    pub note: String,
}

/// The clinical logistic model refitted in each cohort (the paper's text
/// on the multivariable clinical factors in each validation cohort).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClinicalByCohort {
    /// How the variables were chosen (shown under the table).
    pub note: String,
    /// The rows, cohorts in the caller's order, terms in model order.
    pub rows: Vec<ClinicalByCohortRow>,
}

impl ReportTable for ClinicalByCohort {
    fn csv_header(&self) -> Vec<String> {
        csv_header::<ClinicalByCohortRow>()
    }
    fn csv_records(&self) -> Vec<Vec<String>> {
        csv_records(&self.rows)
    }
    fn display(&self) -> TextTable {
        TextTable {
            header: strings(&["Cohort", "Factor", "n", "OR (95% CI)", "P", "Note"]),
            rows: self
                .rows
                .iter()
                .map(|r| {
                    let or = match (r.odds_ratio, r.or_ci_low, r.or_ci_high) {
                        (Some(v), Some(lo), Some(hi)) => or_ci(v, lo, hi),
                        _ => "—".into(),
                    };
                    vec![
                        r.cohort.clone(),
                        r.term.clone(),
                        r.n.to_string(),
                        or,
                        r.p_value.map_or_else(|| "—".into(), p_value),
                        r.note.clone(),
                    ]
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(icc: Option<f64>, lo: Option<f64>, hi: Option<f64>) -> ReproducibilityRow {
        ReproducibilityRow {
            quantity: "DLRN probability".into(),
            outlines: "masks+reader2".into(),
            n: 12,
            form: "ICC2".into(),
            icc,
            ci_low: lo,
            ci_high: hi,
            note: String::new(),
        }
    }

    #[test]
    fn reproducibility_icc_cell_shows_the_ci_only_when_both_bounds_exist() {
        let t = Reproducibility {
            level: 0.95,
            rows: vec![
                row(Some(0.91234), Some(0.8), Some(0.96789)),
                row(Some(0.91234), None, Some(0.96789)),
                row(None, None, None),
            ],
        };
        let d = t.display();
        assert_eq!(d.header[4], "ICC (95% CI)");
        let cells: Vec<&str> = d.rows.iter().map(|r| r[4].as_str()).collect();
        assert_eq!(cells, ["0.912 (0.800–0.968)", "0.912", "—"]);
        assert_eq!(d.rows[0][1], "masks, reader2");
    }
}
