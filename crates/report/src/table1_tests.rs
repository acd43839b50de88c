//! Table 1 as the paper prints it, with a P per comparison (across all
//! cohorts, and the training cohort against each validation cohort) and the
//! rule behind the tests as a footnote. Plain rows filled by the caller
//! (dlrn-study chooses and runs the tests); this module only prints them.

use std::path::Path;

use serde::Serialize;

use crate::error::ReportError;
use crate::format::{count_percent, full, mean_sd, p_value};
use crate::tables::{ReportTable, Table1Cell, TableFiles, TextTable, write_csv};

/// One P of the table: the test and its P, or (no P) the reason in `note`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Table1P {
    /// The P value; `None` when not estimable.
    pub p_value: Option<f64>,
    /// The test's name in the CSV (`welch_t`, `chi_square`, …); empty when not estimable.
    pub test: String,
    /// The test's short name printed beside the P (`t`, `χ²`, …).
    pub short: String,
    /// What the CSV's note column says of this P (`not estimable: …`), if anything.
    pub note: Option<String>,
}

impl Table1P {
    fn printed(&self) -> String {
        match self.p_value {
            Some(p) => format!("{} ({})", p_value(p), self.short),
            None => "n.e.".into(),
        }
    }
}

/// One row: a characteristic (and level) across cohorts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table1TestsRow {
    /// Characteristic (the schema's label, or the outcome's).
    pub characteristic: String,
    /// Level, or `mean ± sd`.
    pub level: String,
    /// One cell per cohort.
    pub cells: Vec<Table1Cell>,
    /// On the first row of a characteristic: the P across all cohorts, then
    /// of the first cohort against each other one, in order.
    pub ps: Option<Vec<Table1P>>,
}

/// Table 1 with the paper's tests and a footnote.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table1Tests {
    /// Cohort names; the first is the training cohort.
    pub cohorts: Vec<String>,
    /// Rows in printed order.
    pub rows: Vec<Table1TestsRow>,
    /// The rule and the abbreviations, for under the table.
    pub footnote: String,
}

impl Table1Tests {
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
    pub fn write(&self, dir: &Path, stem: &str) -> Result<TableFiles, ReportError> {
        let csv = dir.join(format!("{stem}.csv"));
        let markdown = dir.join(format!("{stem}.md"));
        write_csv(self, &csv)?;
        let text = format!("{}\n{}\n", self.display().to_markdown(), self.footnote);
        std::fs::write(&markdown, text).map_err(|source| ReportError::Io {
            path: markdown.clone(),
            source,
        })?;
        Ok(TableFiles { csv, markdown })
    }
}

// Hand-written CSV: four columns per cohort and two per comparison, named
// after the cohorts, and one note joining the comparisons' notes.
impl ReportTable for Table1Tests {
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
                            full(Some(*percent)),
                            String::new(),
                            String::new(),
                        ]),
                        Table1Cell::MeanSd { mean, sd } => v.extend([
                            String::new(),
                            String::new(),
                            full(Some(*mean)),
                            full(Some(*sd)),
                        ]),
                        Table1Cell::Missing => v.extend(std::iter::repeat_n(String::new(), 4)),
                    }
                }
                let mut notes = Vec::new();
                match &r.ps {
                    Some(ps) => {
                        for (c, p) in self.comparisons().iter().zip(ps) {
                            v.push(full(p.p_value));
                            v.push(p.test.clone());
                            if let Some(n) = &p.note {
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
                    Table1Cell::Count { n, percent } => count_percent(*n, *percent),
                    Table1Cell::MeanSd { mean, sd } => mean_sd(*mean, *sd),
                    Table1Cell::Missing => "—".into(),
                }));
                match &r.ps {
                    Some(ps) => row.extend(ps.iter().map(Table1P::printed)),
                    None => {
                        row.extend(std::iter::repeat_n(String::new(), self.comparisons().len()))
                    }
                }
                row
            })
            .collect();
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
            for p in r.ps.iter().flatten() {
                if let Some(v) = p.p_value.filter(|v| !v.is_finite()) {
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
        Ok(())
    }
}
