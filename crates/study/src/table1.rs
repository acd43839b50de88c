//! Table 1: each declared variable per cohort (n (%) per level, or mean ± sd)
//! with a P across cohorts.

use dlrn_cohort::schema::{ClinicalData, ClinicalSchema, VariableColumn};
use dlrn_report as report;

use crate::coding::declared_variable;
use crate::error::{Result, StudyError};

/// One cohort's outcome and clinical table, for Table 1.
#[derive(Debug, Clone, Copy)]
pub struct CohortClinical<'a> {
    /// Cohort name (column header).
    pub name: &'a str,
    /// Outcome per patient (1 = case).
    pub labels: &'a [u8],
    /// The clinical table, rows aligned with `labels`.
    pub clinical: &'a ClinicalData,
}

/// Each cohort's column of the schema's variable `j` (named `name` in errors).
pub(crate) fn cohort_columns<'c>(
    cohorts: &'c [CohortClinical<'_>],
    j: usize,
    name: &str,
) -> Result<Vec<&'c VariableColumn>> {
    cohorts
        .iter()
        .map(|c| {
            c.clinical.columns.get(j).ok_or_else(|| StudyError::Coding {
                variable: name.to_string(),
                message: format!("cohort {} has no column for it", c.name),
            })
        })
        .collect()
}

/// The row counting a variable's missing values per cohort, n (%), when
/// any cohort has one (none otherwise).
fn missing_row(
    label: &str,
    cohorts: &[CohortClinical<'_>],
    columns: &[&VariableColumn],
) -> Option<report::Table1Row> {
    let counts: Vec<usize> = columns
        .iter()
        .map(|c| (0..c.len()).filter(|&i| c.is_missing(i)).count())
        .collect();
    counts.iter().any(|&k| k > 0).then(|| report::Table1Row {
        characteristic: label.to_string(),
        level: "missing".into(),
        cells: cohorts
            .iter()
            .zip(&counts)
            .map(|(c, &k)| report::Table1Cell::Count {
                n: k as u64,
                percent: 100.0 * k as f64 / c.clinical.ids.len() as f64,
            })
            .collect(),
        p_value: None,
        test: String::new(),
    })
}

/// Table 1 over `variables` (in that order): the outcome row, then per
/// numeric variable mean ± sd (missing values left out) with Welch's t-test
/// of the first (training) cohort against the others pooled
/// (= `t.test(tc, evc)`), per categorical variable n (%) per declared level
/// with Pearson's χ² over the levels × cohorts table, levels seen in no
/// cohort left out of the test (= `chisq.test(tab, correct = FALSE)`).
/// A test that cannot be computed leaves P empty. A variable with a missing
/// value in any cohort has a last row `missing`, n (%) per cohort.
pub fn table1(
    schema: &ClinicalSchema,
    cohorts: &[CohortClinical<'_>],
    variables: &[String],
) -> Result<report::Table1> {
    let mut rows = vec![report::Table1Row {
        characteristic: schema.outcome.label.clone(),
        level: "positive".into(),
        cells: cohorts
            .iter()
            .map(|c| {
                let k = c.labels.iter().filter(|&&l| l == 1).count();
                report::Table1Cell::Count {
                    n: k as u64,
                    percent: 100.0 * k as f64 / c.labels.len() as f64,
                }
            })
            .collect(),
        p_value: None,
        test: String::new(),
    }];
    for name in variables {
        let (j, var) = declared_variable(schema, name)?;
        let columns = cohort_columns(cohorts, j, name)?;
        if var.is_numeric() {
            let vals: Vec<Vec<f64>> = columns
                .iter()
                .map(|c| match c {
                    VariableColumn::Numbers(v) => v.iter().flatten().copied().collect(),
                    VariableColumn::Levels(_) => Vec::new(),
                })
                .collect();
            let evc: Vec<f64> = vals.iter().skip(1).flatten().copied().collect();
            let p = vals
                .first()
                .and_then(|tc| dlrn_stats::t_test(tc, &evc, false).ok())
                .map(|t| t.p_value);
            rows.push(report::Table1Row {
                characteristic: var.label.clone(),
                level: "mean ± sd".into(),
                cells: vals
                    .iter()
                    .map(|v| {
                        let n = v.len() as f64;
                        let mean = v.iter().sum::<f64>() / n;
                        let sd =
                            (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
                        report::Table1Cell::MeanSd { mean, sd }
                    })
                    .collect(),
                p_value: p,
                test: "Welch t (TC vs EVCs)".into(),
            });
            rows.extend(missing_row(&var.label, cohorts, &columns));
            continue;
        }
        let levels = var.levels();
        let counts: Vec<Vec<f64>> = (0..levels.len())
            .map(|k| {
                columns
                    .iter()
                    .map(|c| match c {
                        VariableColumn::Levels(v) => {
                            v.iter().filter(|x| **x == Some(k)).count() as f64
                        }
                        VariableColumn::Numbers(_) => 0.0,
                    })
                    .collect()
            })
            .collect();
        let nonzero: Vec<Vec<f64>> = counts
            .iter()
            .filter(|r| r.iter().sum::<f64>() > 0.0)
            .cloned()
            .collect();
        let p = dlrn_stats::chi_square(&nonzero, false)
            .ok()
            .map(|c| c.p_value);
        for (k, l) in levels.iter().enumerate() {
            rows.push(report::Table1Row {
                characteristic: var.label.clone(),
                level: var.level_label(l),
                cells: cohorts
                    .iter()
                    .enumerate()
                    .map(|(i, c)| report::Table1Cell::Count {
                        n: counts[k][i] as u64,
                        percent: 100.0 * counts[k][i] / c.clinical.ids.len() as f64,
                    })
                    .collect(),
                p_value: if k == 0 { p } else { None },
                test: if k == 0 { "χ²".into() } else { String::new() },
            });
        }
        rows.extend(missing_row(&var.label, cohorts, &columns));
    }
    Ok(report::Table1 {
        cohorts: cohorts.iter().map(|c| c.name.to_string()).collect(),
        rows,
    })
}
