//! Table 1 as the paper prints it: per variable the test the data call for
//! (dlrn-stats' [`compare_continuous`] / [`compare_categorical`], the rule
//! [`BASELINE_RULE`] printed as the footnote), with P across all cohorts and
//! P of the training cohort (the first) against each validation cohort, the
//! ALN-rate row tested like any categorical variable.
//!
//! A comparison the data do not allow (a cohort with no value, a single level
//! present) is a "not estimable" cell with the reason, never a NaN.

use std::path::{Path, PathBuf};

use dlrn_cohort::schema::{ClinicalSchema, VariableColumn};
use dlrn_report::{self as report, ReportError, ReportTable, Table1Cell, TextTable, format};
use dlrn_stats::{
    BASELINE_RULE, BaselineComparison, BaselineTest, compare_categorical, compare_continuous,
};
use serde::Serialize;

use crate::coding::declared_variable;
use crate::error::{Result, StudyError};
use crate::table1::{CohortClinical, cohort_columns};

/// One P of the table: the comparison, or why there is none.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum BaselineP {
    /// The test the rule chose and its P.
    Tested(BaselineComparison),
    /// No test possible (the reason names the cohort or the level).
    NotEstimable {
        /// Why, in words.
        reason: String,
    },
}

impl BaselineP {
    /// The P value, if tested.
    pub fn p_value(&self) -> Option<f64> {
        match self {
            BaselineP::Tested(c) => Some(c.p_value),
            BaselineP::NotEstimable { .. } => None,
        }
    }

    /// The test used, if tested.
    pub fn test(&self) -> Option<BaselineTest> {
        match self {
            BaselineP::Tested(c) => Some(c.test),
            BaselineP::NotEstimable { .. } => None,
        }
    }

    fn note(&self) -> Option<String> {
        match self {
            BaselineP::Tested(c) => c.note.clone(),
            BaselineP::NotEstimable { reason } => Some(format!("not estimable: {reason}")),
        }
    }

    fn printed(&self) -> String {
        match self {
            BaselineP::Tested(c) => format!("{} ({})", format::p_value(c.p_value), short(c.test)),
            BaselineP::NotEstimable { .. } => "n.e.".into(),
        }
    }
}

/// The short name printed beside a P (explained in the footnote).
pub fn short(test: BaselineTest) -> &'static str {
    match test {
        BaselineTest::WelchT => "t",
        BaselineTest::WelchAnova => "ANOVA",
        BaselineTest::MannWhitney => "MW",
        BaselineTest::KruskalWallis => "KW",
        BaselineTest::ChiSquare => "χ²",
        BaselineTest::FisherExact => "Fisher",
    }
}

/// The P values of one variable (on its first row).
#[derive(Debug, Clone, Serialize)]
pub struct BaselinePs {
    /// Across every cohort.
    pub overall: BaselineP,
    /// The first (training) cohort against each other cohort, in order.
    pub versus: Vec<BaselineP>,
}

/// One row of the table: a characteristic (and level) across cohorts.
#[derive(Debug, Clone, Serialize)]
pub struct BaselineRow {
    /// Characteristic (the schema's label, or the outcome's).
    pub characteristic: String,
    /// Level, or `mean ± sd`.
    pub level: String,
    /// One cell per cohort.
    pub cells: Vec<Table1Cell>,
    /// The Ps, on the first row of a characteristic only.
    pub ps: Option<BaselinePs>,
}

/// Table 1 with the paper's tests and a footnote.
#[derive(Debug, Clone, Serialize)]
pub struct BaselineTable {
    /// Cohort names; the first is the training cohort.
    pub cohorts: Vec<String>,
    /// Rows in printed order: the outcome, then the variables as asked.
    pub rows: Vec<BaselineRow>,
    /// The rule and the abbreviations, for under the table.
    pub footnote: String,
}

/// The footnote: the abbreviations, then [`BASELINE_RULE`].
pub fn footnote() -> String {
    format!(
        "P: across all cohorts, and of the first (training) cohort against each validation cohort; n.e.: not estimable (see the note column of the CSV). t: Welch's t-test; ANOVA: Welch's one-way ANOVA; MW: Mann–Whitney U test; KW: Kruskal–Wallis test; χ²: Pearson's χ² test; Fisher: Fisher's exact test. {BASELINE_RULE}"
    )
}

fn compare(
    groups: &[usize],
    numbers: &[Vec<f64>],
    counts: &[Vec<u64>],
    level_names: &[&str],
    names: &[&str],
    numeric: bool,
) -> BaselineP {
    for &i in groups {
        let empty = if numeric {
            numbers[i].is_empty()
        } else {
            counts.iter().all(|row| row[i] == 0)
        };
        if empty {
            return BaselineP::NotEstimable {
                reason: format!("no patient of {} has a value", names[i]),
            };
        }
    }
    let result = if numeric {
        let g: Vec<&[f64]> = groups.iter().map(|&i| numbers[i].as_slice()).collect();
        compare_continuous(&g)
    } else {
        let t: Vec<Vec<u64>> = counts
            .iter()
            .map(|row| groups.iter().map(|&i| row[i]).collect())
            .collect();
        compare_categorical(&t, level_names)
    };
    match result {
        Ok(c) => BaselineP::Tested(c),
        Err(e) => {
            // stats numbers groups from 1 in the order given: name them.
            let mut reason = e.to_string();
            for (k, &i) in groups.iter().enumerate().rev() {
                reason = reason.replace(&format!("group {}", k + 1), names[i]);
            }
            BaselineP::NotEstimable { reason }
        }
    }
}

fn ps(
    numbers: &[Vec<f64>],
    counts: &[Vec<u64>],
    level_names: &[&str],
    names: &[&str],
    numeric: bool,
) -> BaselinePs {
    let all: Vec<usize> = (0..names.len()).collect();
    BaselinePs {
        overall: compare(&all, numbers, counts, level_names, names, numeric),
        versus: (1..names.len())
            .map(|j| compare(&[0, j], numbers, counts, level_names, names, numeric))
            .collect(),
    }
}

fn count_cells(counts: &[u64], sizes: &[usize]) -> Vec<Table1Cell> {
    counts
        .iter()
        .zip(sizes)
        .map(|(&n, &size)| Table1Cell::Count {
            n,
            percent: if size == 0 {
                0.0
            } else {
                100.0 * n as f64 / size as f64
            },
        })
        .collect()
}

/// Table 1 over `variables` (in that order) with the paper's tests: the
/// outcome row (ALN+ n (%), P of the 2 × k table), then per numeric variable
/// mean ± sd (missing values left out) and per categorical variable n (%)
/// per declared level. Each variable's first row carries P across all cohorts
/// and P of the first cohort against each other one, each by
/// [`BASELINE_RULE`] (R: `shapiro.test`, then `t.test` / `oneway.test(var.equal
/// = FALSE)` / `wilcox.test` / `kruskal.test`; `chisq.test` or
/// `fisher.test`). Needs at least two cohorts.
pub fn baseline_table(
    schema: &ClinicalSchema,
    cohorts: &[CohortClinical<'_>],
    variables: &[String],
) -> Result<BaselineTable> {
    if cohorts.len() < 2 {
        return Err(StudyError::Shape {
            what: "Table 1".into(),
            message: format!(
                "needs a training and at least one validation cohort, found {}",
                cohorts.len()
            ),
        });
    }
    let names: Vec<&str> = cohorts.iter().map(|c| c.name).collect();
    let sizes: Vec<usize> = cohorts.iter().map(|c| c.labels.len()).collect();
    let mut rows = Vec::new();
    // The outcome: levels negative / positive.
    let outcome: Vec<Vec<u64>> = [0u8, 1]
        .iter()
        .map(|&l| {
            cohorts
                .iter()
                .map(|c| c.labels.iter().filter(|&&y| y == l).count() as u64)
                .collect()
        })
        .collect();
    rows.push(BaselineRow {
        characteristic: schema.outcome.label.clone(),
        level: "positive".into(),
        cells: count_cells(&outcome[1], &sizes),
        ps: Some(ps(&[], &outcome, &["negative", "positive"], &names, false)),
    });
    for name in variables {
        let (j, var) = declared_variable(schema, name)?;
        let columns = cohort_columns(cohorts, j, name)?;
        if var.is_numeric() {
            let vals: Vec<Vec<f64>> = columns
                .iter()
                .zip(&names)
                .map(|(c, cohort)| match c {
                    VariableColumn::Numbers(v) => Ok(v.iter().flatten().copied().collect()),
                    VariableColumn::Levels(_) => Err(StudyError::Coding {
                        variable: name.clone(),
                        message: format!("cohort {cohort} holds levels, the schema says numeric"),
                    }),
                })
                .collect::<Result<_>>()?;
            rows.push(BaselineRow {
                characteristic: var.label.clone(),
                level: "mean ± sd".into(),
                cells: vals
                    .iter()
                    .map(|v| {
                        if v.len() < 2 {
                            return Table1Cell::Missing;
                        }
                        let n = v.len() as f64;
                        let mean = v.iter().sum::<f64>() / n;
                        let sd =
                            (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
                        Table1Cell::MeanSd { mean, sd }
                    })
                    .collect(),
                ps: Some(ps(&vals, &[], &[], &names, true)),
            });
            continue;
        }
        let levels = var.levels();
        let counts: Vec<Vec<u64>> = (0..levels.len())
            .map(|k| {
                columns
                    .iter()
                    .map(|c| match c {
                        VariableColumn::Levels(v) => {
                            v.iter().filter(|x| **x == Some(k)).count() as u64
                        }
                        VariableColumn::Numbers(_) => 0,
                    })
                    .collect()
            })
            .collect();
        let labels: Vec<String> = levels.iter().map(|l| var.level_label(l)).collect();
        let label_refs: Vec<&str> = labels.iter().map(String::as_str).collect();
        let p = ps(&[], &counts, &label_refs, &names, false);
        for (k, label) in labels.iter().enumerate() {
            rows.push(BaselineRow {
                characteristic: var.label.clone(),
                level: label.clone(),
                cells: count_cells(&counts[k], &sizes),
                ps: (k == 0).then(|| p.clone()),
            });
        }
    }
    Ok(BaselineTable {
        cohorts: names.iter().map(|s| s.to_string()).collect(),
        rows,
        footnote: footnote(),
    })
}

impl BaselineTable {
    fn comparisons(&self) -> Vec<String> {
        let first = self.cohorts.first().map_or("", String::as_str);
        let mut v = vec!["all".to_string()];
        v.extend(
            self.cohorts
                .iter()
                .skip(1)
                .map(|c| format!("{first} vs {c}")),
        );
        v
    }

    /// Writes `dir/stem.csv` (full precision, one column per P and test, a
    /// note column) and `dir/stem.md` (rounded, the footnote under the table).
    pub fn write(&self, dir: &Path, stem: &str) -> Result<report::TableFiles> {
        let csv = dir.join(format!("{stem}.csv"));
        let markdown = dir.join(format!("{stem}.md"));
        report::write_csv(self, &csv)?;
        let text = format!("{}\n{}\n", self.display().to_markdown(), self.footnote);
        std::fs::write(&markdown, text).map_err(|source| StudyError::Io {
            path: PathBuf::from(&markdown),
            source,
        })?;
        Ok(report::TableFiles { csv, markdown })
    }
}

impl ReportTable for BaselineTable {
    fn csv_header(&self) -> Vec<String> {
        let mut h = vec!["characteristic".to_string(), "level".to_string()];
        for c in &self.cohorts {
            for k in ["n", "percent", "mean", "sd"] {
                h.push(format!("{c}_{k}"));
            }
        }
        for c in self.comparisons() {
            let c = c.replace(' ', "_");
            h.push(format!("p_{c}"));
            h.push(format!("test_{c}"));
        }
        h.push("note".into());
        h
    }

    fn csv_records(&self) -> Vec<Vec<String>> {
        self.rows
            .iter()
            .map(|r| {
                let mut v = vec![r.characteristic.clone(), r.level.clone()];
                for cell in &r.cells {
                    match cell {
                        Table1Cell::Count { n, percent } => v.extend([
                            n.to_string(),
                            format::full(Some(*percent)),
                            String::new(),
                            String::new(),
                        ]),
                        Table1Cell::MeanSd { mean, sd } => v.extend([
                            String::new(),
                            String::new(),
                            format::full(Some(*mean)),
                            format::full(Some(*sd)),
                        ]),
                        Table1Cell::Missing => v.extend(std::iter::repeat_n(String::new(), 4)),
                    }
                }
                let mut notes = Vec::new();
                match &r.ps {
                    Some(ps) => {
                        for (c, p) in self
                            .comparisons()
                            .iter()
                            .zip(std::iter::once(&ps.overall).chain(&ps.versus))
                        {
                            v.push(format::full(p.p_value()));
                            v.push(p.test().map_or("", |t| t.as_str()).to_string());
                            if let Some(n) = p.note() {
                                notes.push(format!("{c}: {n}"));
                            }
                        }
                    }
                    None => v.extend(std::iter::repeat_n(
                        String::new(),
                        2 * self.comparisons().len(),
                    )),
                }
                v.push(notes.join("; "));
                v
            })
            .collect()
    }

    fn display(&self) -> TextTable {
        let mut header = vec!["Characteristic".to_string()];
        header.extend(self.cohorts.iter().cloned());
        header.extend(self.comparisons().iter().map(|c| format!("P ({c})")));
        let rows = self
            .rows
            .iter()
            .map(|r| {
                let name = if r.level.is_empty() {
                    r.characteristic.clone()
                } else if r.ps.is_some() {
                    format!("{}: {}", r.characteristic, r.level)
                } else {
                    format!("  {}", r.level)
                };
                let mut row = vec![name];
                row.extend(r.cells.iter().map(|c| match c {
                    Table1Cell::Count { n, percent } => format::count_percent(*n, *percent),
                    Table1Cell::MeanSd { mean, sd } => format::mean_sd(*mean, *sd),
                    Table1Cell::Missing => "—".into(),
                }));
                match &r.ps {
                    Some(ps) => row.extend(
                        std::iter::once(&ps.overall)
                            .chain(&ps.versus)
                            .map(BaselineP::printed),
                    ),
                    None => {
                        row.extend(std::iter::repeat_n(String::new(), self.comparisons().len()))
                    }
                }
                row
            })
            .collect();
        TextTable { header, rows }
    }

    fn validate(&self) -> std::result::Result<(), ReportError> {
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
            if let Some(ps) = &r.ps {
                for p in std::iter::once(&ps.overall).chain(&ps.versus) {
                    if let Some(v) = p.p_value().filter(|v| !v.is_finite()) {
                        return Err(ReportError::BadValue {
                            table: "table1".into(),
                            row: i + 1,
                            column: "p".into(),
                            found: v.to_string(),
                            expected: "a finite P or a not-estimable note".into(),
                        });
                    }
                }
            }
        }
        Ok(())
    }
}
