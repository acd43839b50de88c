//! The study's tables as plain input types (filled by the caller from its own
//! statistics; nothing here computes one), written as full-precision CSV and
//! as Markdown/HTML rounded as the paper prints.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cells::{csv_header, csv_records};
use crate::error::ReportError;
use crate::format::{
    auc_ci, count_percent, fixed, mean_sd, or_ci, p_value, percent_ci, significant,
};

/// A proportion (accuracy, sensitivity, …) with its 95% CI.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The proportion in [0, 1].
    pub value: f64,
    /// Lower CI bound.
    pub ci_low: f64,
    /// Upper CI bound.
    pub ci_high: f64,
}

/// One row of Table 2: a model's performance on one cohort.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table2Row {
    /// Cohort name (TC, EVC1, …).
    pub cohort: String,
    /// Model name (clinical, signature, DLRN).
    pub model: String,
    /// AUC.
    pub auc: f64,
    /// DeLong CI lower bound.
    pub auc_ci_low: f64,
    /// DeLong CI upper bound.
    pub auc_ci_high: f64,
    /// Accuracy at the cut-off.
    pub accuracy: Estimate,
    /// Sensitivity at the cut-off.
    pub sensitivity: Estimate,
    /// Specificity at the cut-off.
    pub specificity: Estimate,
    /// Positive predictive value.
    pub ppv: Estimate,
    /// Negative predictive value.
    pub npv: Estimate,
    /// DeLong P versus the DLRN on the same cohort (`None` for the DLRN itself).
    pub delong_p: Option<f64>,
}

/// One cell of Table 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Table1Cell {
    /// A level's count and percentage of the cohort.
    Count {
        /// Patients at this level.
        n: u64,
        /// Their percentage (0–100).
        percent: f64,
    },
    /// A continuous characteristic's mean and standard deviation.
    MeanSd {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        sd: f64,
    },
    /// Not reported for this cohort.
    Missing,
}

/// One row of Table 1: a characteristic (and level) across cohorts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table1Row {
    /// Characteristic (`Age (years)`, `BI-RADS`).
    pub characteristic: String,
    /// Level (`4A`), empty for continuous characteristics.
    pub level: String,
    /// One cell per cohort, in [`Table1::cohorts`] order.
    pub cells: Vec<Table1Cell>,
    /// P value of the test across cohorts (printed on the first row of a characteristic).
    pub p_value: Option<f64>,
    /// The test's name (`chi-squared`, `ANOVA`, `Kruskal–Wallis`).
    pub test: String,
}

/// Table 1: baseline characteristics per cohort.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table1 {
    /// Cohort names, the column order.
    pub cohorts: Vec<String>,
    /// Rows in the order printed (characteristics keep the caller's order).
    pub rows: Vec<Table1Row>,
}

/// One row of Table 3: a factor of the multivariable clinical model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Table3Row {
    /// Factor (`Age (years)`).
    pub factor: String,
    /// Coefficient β.
    pub coefficient: f64,
    /// Odds ratio exp(β).
    pub odds_ratio: f64,
    /// OR CI lower bound.
    pub or_ci_low: f64,
    /// OR CI upper bound.
    pub or_ci_high: f64,
    /// Wald P value.
    pub p_value: f64,
}

/// Supplementary: features kept by the ICC filter, per family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IccKeptRow {
    /// Feature family (`LBP`, `deep`).
    pub family: String,
    /// Features extracted.
    pub total: u64,
    /// Features with intra-observer ICC above the threshold.
    pub intra_above: u64,
    /// Features with inter-observer ICC above the threshold.
    pub inter_above: u64,
    /// Features kept (both ICCs above the threshold).
    pub kept: u64,
}

/// Supplementary: a feature selected by the LASSO with its coefficient.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SelectedFeatureRow {
    /// Column name (`LBP_38`, `f_135`).
    pub feature: String,
    /// Its family.
    pub family: String,
    /// LASSO coefficient at lambda.min.
    pub coefficient: f64,
}

/// Supplementary: IDI, NRI and C-index of a model against a reference model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ComparisonRow {
    /// Cohort.
    pub cohort: String,
    /// Model compared (DLRN).
    pub model: String,
    /// Reference model (clinical, signature).
    pub reference: String,
    /// Integrated discrimination improvement.
    pub idi: f64,
    /// IDI CI lower bound.
    pub idi_ci_low: Option<f64>,
    /// IDI CI upper bound.
    pub idi_ci_high: Option<f64>,
    /// IDI P value.
    pub idi_p: Option<f64>,
    /// Net reclassification improvement.
    pub nri: f64,
    /// NRI CI lower bound.
    pub nri_ci_low: Option<f64>,
    /// NRI CI upper bound.
    pub nri_ci_high: Option<f64>,
    /// NRI P value.
    pub nri_p: Option<f64>,
    /// The model's C-index.
    pub c_index: f64,
    /// C-index CI lower bound.
    pub c_index_ci_low: Option<f64>,
    /// C-index CI upper bound.
    pub c_index_ci_high: Option<f64>,
}

/// Supplementary: AUC within one molecular subtype.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SubtypeAucRow {
    /// Cohort.
    pub cohort: String,
    /// Molecular subtype.
    pub subtype: String,
    /// Model.
    pub model: String,
    /// Patients in the subtype.
    pub n: u64,
    /// ALN+ patients among them.
    pub n_positive: u64,
    /// AUC (`None` when one class is absent).
    pub auc: Option<f64>,
    /// CI lower bound.
    pub auc_ci_low: Option<f64>,
    /// CI upper bound.
    pub auc_ci_high: Option<f64>,
}

/// Owned copies of string literals (headers).
pub(crate) fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Sort rank of a cohort: TC first, then EVC1, EVC2, … , then others by name.
pub fn cohort_rank(c: &str) -> (u32, String) {
    if c.eq_ignore_ascii_case("TC") {
        (0, String::new())
    } else if let Some(n) = c.strip_prefix("EVC").and_then(|d| d.parse::<u32>().ok()) {
        (1 + n, String::new())
    } else {
        (u32::MAX, c.to_string())
    }
}

/// Sort rank of a model: clinical, signature, DLRN, then others by name.
pub fn model_rank(m: &str) -> (u32, String) {
    match m.to_ascii_lowercase().as_str() {
        "clinical" => (0, String::new()),
        "signature" => (1, String::new()),
        "dlrn" => (2, String::new()),
        _ => (3, m.to_string()),
    }
}

/// A table of already formatted text, rendered as Markdown or HTML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextTable {
    /// Column headings.
    pub header: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<String>>,
}

impl TextTable {
    /// GitHub-flavoured Markdown, one line per row, `|` in cells escaped.
    pub fn to_markdown(&self) -> String {
        let esc = |s: &str| s.replace('|', "\\|");
        let mut o = String::new();
        o.push_str(&format!(
            "| {} |\n",
            self.header
                .iter()
                .map(|h| esc(h))
                .collect::<Vec<_>>()
                .join(" | ")
        ));
        o.push_str(&format!("|{}\n", " --- |".repeat(self.header.len())));
        for r in &self.rows {
            o.push_str(&format!(
                "| {} |\n",
                r.iter().map(|c| esc(c)).collect::<Vec<_>>().join(" | ")
            ));
        }
        o
    }

    /// An HTML `<table>` with escaped cells and an optional caption.
    pub fn to_html(&self, caption: &str) -> String {
        let e = crate::format::escape;
        let mut o = String::from("<table>\n");
        if !caption.is_empty() {
            o.push_str(&format!("<caption>{}</caption>\n", e(caption)));
        }
        o.push_str("<thead><tr>");
        for h in &self.header {
            o.push_str(&format!("<th scope=\"col\">{}</th>", e(h)));
        }
        o.push_str("</tr></thead>\n<tbody>\n");
        for r in &self.rows {
            o.push_str("<tr>");
            for (i, c) in r.iter().enumerate() {
                if i == 0 {
                    o.push_str(&format!("<th scope=\"row\">{}</th>", e(c)));
                } else {
                    o.push_str(&format!("<td>{}</td>", e(c)));
                }
            }
            o.push_str("</tr>\n");
        }
        o.push_str("</tbody>\n</table>\n");
        o
    }
}

/// A table the report can write: full-precision CSV plus a rounded display.
pub trait ReportTable {
    /// CSV column names.
    fn csv_header(&self) -> Vec<String>;
    /// CSV records at full precision, in output order.
    fn csv_records(&self) -> Vec<Vec<String>>;
    /// The rounded table as printed.
    fn display(&self) -> TextTable;
    /// Checks every number is finite where it must be (names the row and column).
    fn validate(&self) -> Result<(), ReportError> {
        Ok(())
    }
}

/// The files one table was written to.
#[derive(Debug, Clone, PartialEq)]
pub struct TableFiles {
    /// Full-precision CSV.
    pub csv: PathBuf,
    /// Rounded Markdown.
    pub markdown: PathBuf,
}

/// Writes `dir/stem.csv` and `dir/stem.md`.
pub fn write_table(
    table: &impl ReportTable,
    dir: &Path,
    stem: &str,
) -> Result<TableFiles, ReportError> {
    let csv = dir.join(format!("{stem}.csv"));
    let markdown = dir.join(format!("{stem}.md"));
    write_csv(table, &csv)?;
    write_markdown(table, &markdown)?;
    Ok(TableFiles { csv, markdown })
}

/// Writes `table` as CSV (full precision, `\n` line ends) to `path`.
pub fn write_csv(table: &impl ReportTable, path: &Path) -> Result<(), ReportError> {
    table.validate()?;
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_path(path)
        .map_err(|source| ReportError::Csv {
            path: path.to_path_buf(),
            source,
        })?;
    let map = |source| ReportError::Csv {
        path: path.to_path_buf(),
        source,
    };
    w.write_record(table.csv_header()).map_err(map)?;
    for r in table.csv_records() {
        w.write_record(r).map_err(map)?;
    }
    w.flush().map_err(|source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes `table` as Markdown to `path`.
pub fn write_markdown(table: &impl ReportTable, path: &Path) -> Result<(), ReportError> {
    table.validate()?;
    std::fs::write(path, table.display().to_markdown()).map_err(|source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn finite(table: &str, row: usize, column: &str, v: f64) -> Result<(), ReportError> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(ReportError::BadValue {
            table: table.into(),
            row,
            column: column.into(),
            found: v.to_string(),
            expected: "a finite number".into(),
        })
    }
}

/// One feature's ICCs and whether the filter kept it (a row of icc.csv).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IccFeatureRow {
    /// Feature name.
    pub feature: String,
    /// Intra-observer ICC; NaN (printed `NA`) when it failed or was not assessed.
    pub icc_intra: f64,
    /// Inter-observer ICC; NaN (printed `NA`) when it failed or was not assessed.
    pub icc_inter: f64,
    /// Kept (printed 1/0).
    pub kept: bool,
    /// Why kept or dropped, in words.
    pub reason: String,
}

/// Every feature's ICCs (icc.csv), rows in the caller's order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IccFeatures {
    /// One row per feature.
    pub rows: Vec<IccFeatureRow>,
}

impl IccFeatures {
    /// `feature,icc_intra,icc_inter,kept,reason` CSV text, `\n` line ends.
    pub fn to_csv(&self) -> Result<String, ReportError> {
        let map = |source| ReportError::CsvText {
            table: "icc.csv".into(),
            source,
        };
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        w.write_record(csv_header::<IccFeatureRow>()).map_err(map)?;
        for r in csv_records(&self.rows) {
            w.write_record(r).map_err(map)?;
        }
        let bytes = w.into_inner().map_err(|e| map(e.into_error().into()))?;
        // Every cell came from a Rust string, so the bytes are UTF-8.
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// Table 2 with rows sorted by cohort (TC, EVC1, …) then model (clinical,
/// signature, DLRN), so output order never depends on the caller's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table2 {
    /// The rows (sorted on construction).
    pub rows: Vec<Table2Row>,
}

impl Table2 {
    /// The table as printed, its last (P) column headed `p_header`, which
    /// says what the P value tests.
    pub fn display_with_p(&self, p_header: &str) -> TextTable {
        let mut d = self.display();
        if let Some(last) = d.header.last_mut() {
            *last = p_header.into();
        }
        d
    }

    /// Sorts the rows into the printed order.
    pub fn new(mut rows: Vec<Table2Row>) -> Self {
        rows.sort_by(|a, b| {
            (cohort_rank(&a.cohort), model_rank(&a.model))
                .cmp(&(cohort_rank(&b.cohort), model_rank(&b.model)))
        });
        Self { rows }
    }
}

/// table2.csv's columns, exactly (issue 7).
pub const TABLE2_COLUMNS: [&str; 21] = [
    "cohort",
    "model",
    "auc",
    "auc_ci_low",
    "auc_ci_high",
    "accuracy",
    "accuracy_ci_low",
    "accuracy_ci_high",
    "sensitivity",
    "sensitivity_ci_low",
    "sensitivity_ci_high",
    "specificity",
    "specificity_ci_low",
    "specificity_ci_high",
    "ppv",
    "ppv_ci_low",
    "ppv_ci_high",
    "npv",
    "npv_ci_low",
    "npv_ci_high",
    "delong_p",
];

/// A table2.csv record: each [`Estimate`] as three columns.
#[derive(Default, Serialize)]
struct Table2Record<'a> {
    cohort: &'a str,
    model: &'a str,
    auc: f64,
    auc_ci_low: f64,
    auc_ci_high: f64,
    accuracy: f64,
    accuracy_ci_low: f64,
    accuracy_ci_high: f64,
    sensitivity: f64,
    sensitivity_ci_low: f64,
    sensitivity_ci_high: f64,
    specificity: f64,
    specificity_ci_low: f64,
    specificity_ci_high: f64,
    ppv: f64,
    ppv_ci_low: f64,
    ppv_ci_high: f64,
    npv: f64,
    npv_ci_low: f64,
    npv_ci_high: f64,
    delong_p: Option<f64>,
}

impl<'a> From<&'a Table2Row> for Table2Record<'a> {
    fn from(r: &'a Table2Row) -> Self {
        let (a, se, sp, ppv, npv) = (r.accuracy, r.sensitivity, r.specificity, r.ppv, r.npv);
        Table2Record {
            cohort: &r.cohort,
            model: &r.model,
            auc: r.auc,
            auc_ci_low: r.auc_ci_low,
            auc_ci_high: r.auc_ci_high,
            accuracy: a.value,
            accuracy_ci_low: a.ci_low,
            accuracy_ci_high: a.ci_high,
            sensitivity: se.value,
            sensitivity_ci_low: se.ci_low,
            sensitivity_ci_high: se.ci_high,
            specificity: sp.value,
            specificity_ci_low: sp.ci_low,
            specificity_ci_high: sp.ci_high,
            ppv: ppv.value,
            ppv_ci_low: ppv.ci_low,
            ppv_ci_high: ppv.ci_high,
            npv: npv.value,
            npv_ci_low: npv.ci_low,
            npv_ci_high: npv.ci_high,
            delong_p: r.delong_p,
        }
    }
}

impl ReportTable for Table2 {
    fn csv_header(&self) -> Vec<String> {
        csv_header::<Table2Record<'_>>()
    }
    fn csv_records(&self) -> Vec<Vec<String>> {
        let records: Vec<Table2Record<'_>> = self.rows.iter().map(Table2Record::from).collect();
        csv_records(&records)
    }
    fn display(&self) -> TextTable {
        TextTable {
            header: strings(&[
                "Cohort",
                "Model",
                "AUC (95% CI)",
                "ACC, %",
                "SENS, %",
                "SPE, %",
                "PPV, %",
                "NPV, %",
                "P (DeLong vs DLRN)",
            ]),
            rows: self.rows.iter().map(table2_cells).collect(),
        }
    }
    fn validate(&self) -> Result<(), ReportError> {
        for (i, r) in self.rows.iter().enumerate() {
            let row = i + 1;
            for (c, v) in [
                ("auc", r.auc),
                ("auc_ci_low", r.auc_ci_low),
                ("auc_ci_high", r.auc_ci_high),
            ] {
                finite("table2", row, c, v)?;
            }
            finite("table2", row, "accuracy", r.accuracy.value)?;
            // SENS/SPE/PPV/NPV are undefined (NaN, printed NA) when their
            // denominator is empty, e.g. no patient above the cut-off.
            for (c, e) in [
                ("sensitivity", r.sensitivity),
                ("specificity", r.specificity),
                ("ppv", r.ppv),
                ("npv", r.npv),
            ] {
                if !e.value.is_nan() {
                    finite("table2", row, c, e.value)?;
                }
            }
        }
        Ok(())
    }
}

/// One Table 2 row's printed cells (the paper's style plus the DeLong P).
pub fn table2_cells(r: &Table2Row) -> Vec<String> {
    let pc = |e: Estimate| percent_ci(e.value, e.ci_low, e.ci_high);
    vec![
        r.cohort.clone(),
        r.model.clone(),
        auc_ci(r.auc, r.auc_ci_low, r.auc_ci_high),
        pc(r.accuracy),
        pc(r.sensitivity),
        pc(r.specificity),
        pc(r.ppv),
        pc(r.npv),
        r.delong_p.map(p_value).unwrap_or_else(|| "—".into()),
    ]
}

/// A table1.csv record: one row's cell of one cohort (the table pivoted long).
#[derive(Default, Serialize)]
struct Table1Record<'a> {
    characteristic: &'a str,
    level: &'a str,
    cohort: &'a str,
    n: Option<u64>,
    percent: Option<f64>,
    mean: Option<f64>,
    sd: Option<f64>,
    p_value: Option<f64>,
    test: &'a str,
}

impl ReportTable for Table1 {
    fn csv_header(&self) -> Vec<String> {
        csv_header::<Table1Record<'_>>()
    }
    fn csv_records(&self) -> Vec<Vec<String>> {
        let mut records = Vec::new();
        for r in &self.rows {
            for (cohort, cell) in self.cohorts.iter().zip(&r.cells) {
                let mut record = Table1Record {
                    characteristic: &r.characteristic,
                    level: &r.level,
                    cohort,
                    p_value: r.p_value,
                    test: &r.test,
                    ..Table1Record::default()
                };
                match cell {
                    Table1Cell::Count { n, percent } => {
                        record.n = Some(*n);
                        record.percent = Some(*percent);
                    }
                    Table1Cell::MeanSd { mean, sd } => {
                        record.mean = Some(*mean);
                        record.sd = Some(*sd);
                    }
                    Table1Cell::Missing => {}
                }
                records.push(record);
            }
        }
        csv_records(&records)
    }
    fn display(&self) -> TextTable {
        let mut header = vec!["Characteristic".to_string()];
        header.extend(self.cohorts.iter().cloned());
        header.push("P".into());
        let mut rows = Vec::new();
        let mut last = "";
        for r in &self.rows {
            let first = r.characteristic != last;
            last = &r.characteristic;
            let name = if r.level.is_empty() {
                r.characteristic.clone()
            } else if first {
                format!("{}: {}", r.characteristic, r.level)
            } else {
                format!("  {}", r.level)
            };
            let mut row = vec![name];
            row.extend(r.cells.iter().map(|c| match c {
                Table1Cell::Count { n, percent } => count_percent(*n, *percent),
                Table1Cell::MeanSd { mean, sd } => mean_sd(*mean, *sd),
                Table1Cell::Missing => "—".into(),
            }));
            row.push(if first {
                r.p_value.map(p_value).unwrap_or_default()
            } else {
                String::new()
            });
            rows.push(row);
        }
        TextTable { header, rows }
    }
    fn validate(&self) -> Result<(), ReportError> {
        for (i, r) in self.rows.iter().enumerate() {
            if r.cells.len() != self.cohorts.len() {
                return Err(ReportError::BadValue {
                    table: "table1".into(),
                    row: i + 1,
                    column: "cells".into(),
                    found: format!("{} cells", r.cells.len()),
                    expected: format!("one per cohort ({})", self.cohorts.len()),
                });
            }
        }
        Ok(())
    }
}

/// Table 3 rows in the caller's (model) order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table3 {
    /// The factors.
    pub rows: Vec<Table3Row>,
}

impl ReportTable for Table3 {
    fn csv_header(&self) -> Vec<String> {
        csv_header::<Table3Row>()
    }
    fn csv_records(&self) -> Vec<Vec<String>> {
        csv_records(&self.rows)
    }
    fn display(&self) -> TextTable {
        TextTable {
            header: strings(&["Factor", "Coefficient", "Odds ratio (95% CI)", "P"]),
            rows: self
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.factor.clone(),
                        fixed(r.coefficient, 4),
                        or_ci(r.odds_ratio, r.or_ci_low, r.or_ci_high),
                        p_value(r.p_value),
                    ]
                })
                .collect(),
        }
    }
    fn validate(&self) -> Result<(), ReportError> {
        for (i, r) in self.rows.iter().enumerate() {
            for (c, v) in [
                ("coefficient", r.coefficient),
                ("odds_ratio", r.odds_ratio),
                ("p_value", r.p_value),
            ] {
                finite("table3", i + 1, c, v)?;
            }
        }
        Ok(())
    }
}

/// Supplementary ICC table, rows in the caller's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IccTable {
    /// ICC threshold used (0.80).
    pub threshold: f64,
    /// ICC form (psych::ICC naming).
    pub form: String,
    /// The keep rule in words (shown under the table).
    pub rule: String,
    /// One row per family.
    pub rows: Vec<IccKeptRow>,
}

/// A supp_icc.csv record: the row with the table's form and threshold.
#[derive(Default, Serialize)]
struct IccKeptRecord<'a> {
    family: &'a str,
    total: u64,
    intra_above: u64,
    inter_above: u64,
    kept: u64,
    form: &'a str,
    threshold: f64,
}

impl ReportTable for IccTable {
    fn csv_header(&self) -> Vec<String> {
        csv_header::<IccKeptRecord<'_>>()
    }
    fn csv_records(&self) -> Vec<Vec<String>> {
        let records: Vec<IccKeptRecord<'_>> = self
            .rows
            .iter()
            .map(|r| IccKeptRecord {
                family: &r.family,
                total: r.total,
                intra_above: r.intra_above,
                inter_above: r.inter_above,
                kept: r.kept,
                form: &self.form,
                threshold: self.threshold,
            })
            .collect();
        csv_records(&records)
    }
    fn display(&self) -> TextTable {
        let t = fixed(self.threshold, 2);
        TextTable {
            header: vec![
                "Family".into(),
                "Features".into(),
                format!("Intra-observer {} > {t}", self.form),
                format!("Inter-observer {} > {t}", self.form),
                "Kept (both)".into(),
            ],
            rows: self
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.family.clone(),
                        r.total.to_string(),
                        r.intra_above.to_string(),
                        r.inter_above.to_string(),
                        r.kept.to_string(),
                    ]
                })
                .collect(),
        }
    }
}

/// Supplementary selected-features table, rows in the caller's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelectedFeatures {
    /// The selected features.
    pub rows: Vec<SelectedFeatureRow>,
}

impl ReportTable for SelectedFeatures {
    fn csv_header(&self) -> Vec<String> {
        csv_header::<SelectedFeatureRow>()
    }
    fn csv_records(&self) -> Vec<Vec<String>> {
        csv_records(&self.rows)
    }
    fn display(&self) -> TextTable {
        TextTable {
            header: strings(&["Feature", "Family", "Coefficient"]),
            rows: self
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.feature.clone(),
                        r.family.clone(),
                        significant(r.coefficient, 4),
                    ]
                })
                .collect(),
        }
    }
}

/// Supplementary IDI/NRI/C-index table, sorted by cohort, model, reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparisons {
    /// The rows (sorted on construction).
    pub rows: Vec<ComparisonRow>,
}

impl Comparisons {
    /// Sorts the rows into the printed order.
    pub fn new(mut rows: Vec<ComparisonRow>) -> Self {
        rows.sort_by(|a, b| {
            (
                cohort_rank(&a.cohort),
                model_rank(&a.model),
                model_rank(&a.reference),
            )
                .cmp(&(
                    cohort_rank(&b.cohort),
                    model_rank(&b.model),
                    model_rank(&b.reference),
                ))
        });
        Self { rows }
    }
}

/// `v (lo–hi)` at `d` decimals, or `v` alone when a bound is missing.
pub(crate) fn opt_ci(v: f64, lo: Option<f64>, hi: Option<f64>, d: usize) -> String {
    match (lo, hi) {
        (Some(l), Some(h)) => format!("{} ({}–{})", fixed(v, d), fixed(l, d), fixed(h, d)),
        _ => fixed(v, d),
    }
}

impl ReportTable for Comparisons {
    fn csv_header(&self) -> Vec<String> {
        csv_header::<ComparisonRow>()
    }
    fn csv_records(&self) -> Vec<Vec<String>> {
        csv_records(&self.rows)
    }
    fn display(&self) -> TextTable {
        TextTable {
            header: strings(&[
                "Cohort",
                "Model",
                "Versus",
                "IDI (95% CI)",
                "P",
                "NRI (95% CI)",
                "P",
                "C-index (95% CI)",
            ]),
            rows: self
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.cohort.clone(),
                        r.model.clone(),
                        r.reference.clone(),
                        opt_ci(r.idi, r.idi_ci_low, r.idi_ci_high, 3),
                        r.idi_p.map(p_value).unwrap_or_default(),
                        opt_ci(r.nri, r.nri_ci_low, r.nri_ci_high, 3),
                        r.nri_p.map(p_value).unwrap_or_default(),
                        opt_ci(r.c_index, r.c_index_ci_low, r.c_index_ci_high, 3),
                    ]
                })
                .collect(),
        }
    }
}

/// Supplementary AUC-by-subtype table, sorted by cohort, subtype, model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubtypeAucs {
    /// The rows (sorted on construction).
    pub rows: Vec<SubtypeAucRow>,
}

impl SubtypeAucs {
    /// Sorts the rows into the printed order.
    pub fn new(mut rows: Vec<SubtypeAucRow>) -> Self {
        rows.sort_by(|a, b| {
            (cohort_rank(&a.cohort), &a.subtype, model_rank(&a.model)).cmp(&(
                cohort_rank(&b.cohort),
                &b.subtype,
                model_rank(&b.model),
            ))
        });
        Self { rows }
    }
}

impl ReportTable for SubtypeAucs {
    fn csv_header(&self) -> Vec<String> {
        csv_header::<SubtypeAucRow>()
    }
    fn csv_records(&self) -> Vec<Vec<String>> {
        csv_records(&self.rows)
    }
    fn display(&self) -> TextTable {
        TextTable {
            header: strings(&["Cohort", "Subtype", "Model", "n (ALN+)", "AUC (95% CI)"]),
            rows: self
                .rows
                .iter()
                .map(|r| {
                    let auc = match (r.auc, r.auc_ci_low, r.auc_ci_high) {
                        (Some(a), Some(l), Some(h)) => auc_ci(a, l, h),
                        (Some(a), _, _) => fixed(a, 3),
                        _ => "— (one class)".into(),
                    };
                    vec![
                        r.cohort.clone(),
                        r.subtype.clone(),
                        r.model.clone(),
                        format!("{} ({})", r.n, r.n_positive),
                        auc,
                    ]
                })
                .collect(),
        }
    }
}
