//! Feature tables made by other tools (`[features]` of the study config):
//! a PyRadiomics CSV, a lab's own CNN, … per cohort, joining or replacing
//! dlrn's own handcrafted and deep extractions.
//!
//! Each table has an `id` column and numeric feature columns (an outcome
//! column, if present, is ignored: the outcome comes from clinical.csv).
//! Its columns enter the study as `<prefix><name>` so families stay apart
//! (a PyRadiomics `original_firstorder_Mean` is not dlrn's `Mean`). A table
//! is refused, naming the file and the row or column, when an id is
//! missing or repeated, a cell is not a number, a column holds no number at
//! all, or its ids are not those of the cohort's clinical.csv. For the ICC
//! filter the training cohort's table is given once more per re-outline
//! reader (`reoutlines`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use dlrn_cohort::Table;
use serde::{Deserialize, Serialize};

use crate::error::{Result, StudyError};
use crate::pipeline::FeatureTable;

/// The `[features]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureSources {
    /// Use dlrn's own extractions (544 handcrafted + 2048 deep; default
    /// true). `false`: the external tables alone, and no image is read.
    #[serde(default = "yes")]
    pub own: bool,
    /// The external tables, one entry per tool.
    #[serde(default, rename = "table")]
    pub tables: Vec<ExternalTable>,
}

fn yes() -> bool {
    true
}

impl Default for FeatureSources {
    fn default() -> Self {
        FeatureSources {
            own: true,
            tables: Vec::new(),
        }
    }
}

/// One tool's tables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalTable {
    /// The family name (reports, errors).
    pub name: String,
    /// Prepended to every column name (default `<name>_`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// Cohort folder name → table (CSV or Parquet), relative to the workspace root.
    pub cohorts: BTreeMap<String, PathBuf>,
    /// Re-outline reader (as in `[icc]`) → the training cohort's table on that outline.
    #[serde(default)]
    pub reoutlines: BTreeMap<String, PathBuf>,
}

impl ExternalTable {
    /// The column prefix.
    pub fn prefix(&self) -> String {
        self.prefix
            .clone()
            .unwrap_or_else(|| format!("{}_", self.name))
    }
}

impl FeatureSources {
    /// Whether this is the default (own extractions only).
    pub fn is_default(&self) -> bool {
        *self == FeatureSources::default()
    }

    /// Every problem, naming its key: no features at all, a cohort or
    /// reader without a table, a repeated name or prefix.
    pub fn problems(&self, cohorts: &[String], readers: &[String]) -> Vec<String> {
        let mut out = Vec::new();
        if !self.own && self.tables.is_empty() {
            out.push(
                "features.own = false needs at least one [[features.table]]: the study would \
                 have no features"
                    .into(),
            );
        }
        let mut prefixes = BTreeSet::new();
        for (i, t) in self.tables.iter().enumerate() {
            let key = format!("features.table[{}] ({:?})", i + 1, t.name);
            if t.name.is_empty() {
                out.push(format!("{key}: empty name"));
            }
            if !prefixes.insert(t.prefix()) {
                out.push(format!(
                    "{key}: prefix {:?} is used by another table; give each a prefix of its own",
                    t.prefix()
                ));
            }
            for c in cohorts {
                if !t.cohorts.contains_key(c) {
                    out.push(format!("{key}.cohorts: no table for cohort {c:?}"));
                }
            }
            for c in t.cohorts.keys() {
                if !cohorts.contains(c) {
                    out.push(format!(
                        "{key}.cohorts: {c:?} is not a cohort of the study ({})",
                        cohorts.join(", ")
                    ));
                }
            }
            if !readers.is_empty() {
                for r in readers {
                    if !t.reoutlines.contains_key(r) {
                        out.push(format!(
                            "{key}.reoutlines: no table for re-outline reader {r:?} (the ICC \
                             filter needs every feature on every outline)"
                        ));
                    }
                }
            }
            for r in t.reoutlines.keys() {
                if !readers.contains(r) {
                    out.push(format!(
                        "{key}.reoutlines: {r:?} is not a reader of [icc] ({})",
                        readers.join(", ")
                    ));
                }
            }
        }
        out
    }
}

fn bad(path: &Path, message: String) -> StudyError {
    StudyError::Input {
        path: path.to_path_buf(),
        message,
    }
}

/// Reads one external table for a cohort whose patients are `ids` (in that
/// order: the rows come out in it): every id once, numeric columns with at
/// least one number, renamed `<prefix><name>`. `label` is the outcome
/// column, skipped if present.
pub fn read_external(
    path: &Path,
    prefix: &str,
    label: &str,
    ids: &[String],
) -> Result<FeatureTable> {
    let table = Table::read(path).map_err(|e| StudyError::Table(Box::new(e)))?;
    if !table.has_column("id") {
        return Err(bad(
            path,
            format!(
                "no `id` column (found {}); an external feature table needs one id per patient",
                table.column_names().join(", ")
            ),
        ));
    }
    // Missing and repeated ids are refused by the table reader, naming the row.
    let found = table.ids().map_err(|e| StudyError::Table(Box::new(e)))?;
    let wanted: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
    if let Some((row, id)) = found
        .iter()
        .enumerate()
        .find(|(_, id)| !wanted.contains(id.as_str()))
    {
        return Err(bad(
            path,
            format!(
                "row {}: id {id:?} is not a patient of the cohort's clinical.csv",
                row + 1
            ),
        ));
    }
    let have: BTreeSet<&str> = found.iter().map(String::as_str).collect();
    let absent: Vec<&str> = ids
        .iter()
        .map(String::as_str)
        .filter(|id| !have.contains(id))
        .collect();
    if !absent.is_empty() {
        return Err(bad(
            path,
            format!(
                "{} patient(s) of the cohort have no row: {}{}",
                absent.len(),
                absent
                    .iter()
                    .take(10)
                    .map(|s| format!("{s:?}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if absent.len() > 10 { ", …" } else { "" }
            ),
        ));
    }
    let row_of: BTreeMap<&str, usize> = found
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let order: Vec<usize> = ids.iter().map(|id| row_of[id.as_str()]).collect();
    let names = table.feature_names(label);
    if names.is_empty() {
        return Err(bad(path, "no feature column besides `id`".into()));
    }
    let mut columns = Vec::with_capacity(names.len());
    let mut renamed = Vec::with_capacity(names.len());
    for n in &names {
        // A cell that is not a number is refused by the reader, naming row and column.
        let col = table
            .f64_column(n)
            .map_err(|e| StudyError::Table(Box::new(e)))?;
        if col.iter().all(|v| !v.is_finite()) {
            return Err(bad(
                path,
                format!("column `{n}` holds no number (every cell is empty, NA, NaN or infinite)"),
            ));
        }
        columns.push(order.iter().map(|&i| col[i]).collect());
        renamed.push(format!("{prefix}{n}"));
    }
    Ok(FeatureTable {
        ids: ids.to_vec(),
        labels: None,
        names: renamed,
        columns,
    })
}

/// The ids of a cohort's clinical.csv, in file order.
pub fn clinical_ids(clinical: &Path) -> Result<Vec<String>> {
    let t = Table::read(clinical).map_err(|e| StudyError::Table(Box::new(e)))?;
    t.ids().map_err(|e| StudyError::Table(Box::new(e)))
}

/// Appends `extra`'s columns to `base` (same ids, any order: `extra` is
/// re-ordered to `base`'s rows); a name both hold is refused.
pub fn join_by_id(mut base: FeatureTable, extra: FeatureTable, what: &str) -> Result<FeatureTable> {
    let row_of: BTreeMap<&str, usize> = extra
        .ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let order: Vec<usize> = base
        .ids
        .iter()
        .map(|id| {
            row_of
                .get(id.as_str())
                .copied()
                .ok_or_else(|| StudyError::Shape {
                    what: what.to_string(),
                    message: format!("patient {id:?} has no row in the external table"),
                })
        })
        .collect::<Result<_>>()?;
    let names: BTreeSet<&str> = base.names.iter().map(String::as_str).collect();
    if let Some(n) = extra.names.iter().find(|n| names.contains(n.as_str())) {
        return Err(StudyError::Shape {
            what: what.to_string(),
            message: format!("column `{n}` is in two feature tables; give the table a prefix"),
        });
    }
    for (n, col) in extra.names.into_iter().zip(extra.columns) {
        base.names.push(n);
        base.columns.push(order.iter().map(|&i| col[i]).collect());
    }
    Ok(base)
}
