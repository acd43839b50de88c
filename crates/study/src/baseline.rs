//! Table 1 as the paper prints it: per variable the test the data call for
//! (dlrn-stats' [`compare_continuous`] / [`compare_categorical`], the rule
//! [`BASELINE_RULE`] printed as the footnote), with P across all cohorts and
//! P of the training cohort (the first) against each validation cohort, the
//! ALN-rate row tested like any categorical variable.
//!
//! A comparison the data do not allow (a cohort with no value, a single level
//! present) is a "not estimable" cell with the reason, never a NaN.

use dlrn_cohort::schema::{ClinicalSchema, VariableColumn};
use dlrn_report::{self as report, Table1Cell};
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

impl BaselineP {
    /// The P as dlrn-report prints it.
    fn to_report(&self) -> report::Table1P {
        report::Table1P {
            p_value: self.p_value(),
            test: self.test().map_or("", |t| t.as_str()).to_string(),
            short: self.test().map_or("", short).to_string(),
            note: self.note(),
        }
    }
}

impl BaselineTable {
    /// The table as dlrn-report prints it (the Ps of a row: across all
    /// cohorts, then the first cohort against each other one).
    pub fn to_report(&self) -> report::Table1Tests {
        report::Table1Tests {
            cohorts: self.cohorts.clone(),
            rows: self
                .rows
                .iter()
                .map(|r| report::Table1TestsRow {
                    characteristic: r.characteristic.clone(),
                    level: r.level.clone(),
                    cells: r.cells.clone(),
                    ps: r.ps.as_ref().map(|ps| {
                        std::iter::once(&ps.overall)
                            .chain(&ps.versus)
                            .map(BaselineP::to_report)
                            .collect()
                    }),
                })
                .collect(),
            footnote: self.footnote.clone(),
        }
    }
}
