//! The clinical variables declared in data, not code: a [`ClinicalSchema`]
//! names the outcome column and, per variable, its kind (numeric with an
//! optional plausible range, binary with the level that is 1, ordinal levels
//! in order, nominal levels with an explicit reference) and display labels.
//! It is plain serde, so it reads from a `schema.toml` and is stored in a
//! model bundle. [`ClinicalSchema::paper`] is the paper's 13 variables with
//! the vocabularies of [`VOCABULARY`]. [`ClinicalSchema::read_table`]
//! checks a table against it and returns typed columns, or every problem
//! (file, 1-based row, column, value, expectation).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::Problem;
use crate::table::Table;

/// The outcome column: 1 = axillary lymph node metastasis.
pub const LABEL: &str = "ALN_status";

/// Vocabulary of each categorical column, in the study's order (the first
/// level is the reference level of nominal dummies).
pub const VOCABULARY: &[(&str, &[&str])] = &[
    ("birads", &["4A", "4B", "4C", "5"]),
    ("location", &["UOQ", "LOQ", "UIQ", "LIQ", "central"]),
    ("nuclear_grade", &["1", "2", "3"]),
    (
        "tumour_type",
        &["noninvasive", "invasive_nst", "invasive_st", "rare"],
    ),
    ("er", &["neg", "pos"]),
    ("pr", &["neg", "pos"]),
    ("her2", &["neg", "pos"]),
    ("ki67", &["neg", "pos"]),
    (
        "subtype",
        &["luminal_a", "luminal_b", "her2", "triple_negative"],
    ),
    ("us_aln", &["non-suspicious", "suspicious"]),
];

/// Plausible ranges of the numeric columns (inclusive): values outside are input errors.
pub const RANGES: &[(&str, f64, f64)] = &[
    ("age", 18.0, 100.0),
    ("bmi", 10.0, 70.0),
    ("us_size_cm", 0.1, 15.0),
];

/// The outcome column and its two values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    /// Column name (`ALN_status`).
    pub column: String,
    /// The value that means a case (`1`).
    pub positive: String,
    /// The value that means a control (`0`).
    pub negative: String,
    /// How Table 1 names the outcome (`ALN metastasis`).
    pub label: String,
}

impl Default for Outcome {
    fn default() -> Self {
        Outcome {
            column: LABEL.to_string(),
            positive: "1".into(),
            negative: "0".into(),
            label: "ALN metastasis".into(),
        }
    }
}

/// What to do with a patient whose value of a model variable is missing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingPolicy {
    /// Drop the patient from each fit that uses the variable (R's `na.omit`);
    /// the number dropped is reported with the fit.
    #[default]
    CompleteCase,
}

/// How a variable enters the models.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum VariableKind {
    /// A number entering as itself (age, size).
    Numeric {
        /// Plausible range `[low, high]` (inclusive); values outside are input errors.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        range: Option<[f64; 2]>,
        /// Unit shown next to the value (`years`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit: Option<String>,
    },
    /// Two levels coded 0/1; `positive` is the level coded 1.
    Binary {
        /// The two levels, in display order.
        levels: Vec<String>,
        /// The level coded 1.
        positive: String,
    },
    /// Ordered levels entering as one integer score 1, 2, … in this order.
    Ordinal {
        /// The levels, lowest first.
        levels: Vec<String>,
    },
    /// Unordered levels entering as treatment dummies (R's `contr.treatment`)
    /// against `reference`, one 0/1 column per other level in declared order.
    Nominal {
        /// The levels, in display order.
        levels: Vec<String>,
        /// The reference level (all dummies 0).
        reference: String,
    },
}

/// One clinical variable: its column, display label and kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variable {
    /// Column name in clinical.csv (`birads`).
    pub name: String,
    /// Label in tables and the nomogram (`BI-RADS`).
    pub label: String,
    /// How it is coded.
    #[serde(flatten)]
    pub kind: VariableKind,
    /// Display labels of levels that differ from the value (`"1" = "I"`);
    /// unlisted levels show with `_` as a space.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub level_labels: BTreeMap<String, String>,
    /// Whether an empty/`NA` cell is allowed (handled by the missing policy).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_missing: bool,
}

impl Variable {
    /// The levels of a categorical variable (empty for a numeric one).
    pub fn levels(&self) -> &[String] {
        match &self.kind {
            VariableKind::Numeric { .. } => &[],
            VariableKind::Binary { levels, .. }
            | VariableKind::Ordinal { levels }
            | VariableKind::Nominal { levels, .. } => levels,
        }
    }

    /// A level as tables and the nomogram print it.
    pub fn level_label(&self, level: &str) -> String {
        self.level_labels
            .get(level)
            .cloned()
            .unwrap_or_else(|| level.replace('_', " "))
    }

    /// The level a cell names, as typed: a level's code exactly, else
    /// case-insensitively its code or its declared label (`level_labels`),
    /// so `nuclear_grade` takes `2`, `II` or `ii` alike. Codes win over labels
    /// when a label spells another level's code.
    pub fn parse_level(&self, text: &str) -> Option<usize> {
        let levels = self.levels();
        let t = text.trim();
        levels
            .iter()
            .position(|l| l == t)
            .or_else(|| levels.iter().position(|l| l.eq_ignore_ascii_case(t)))
            .or_else(|| {
                levels.iter().position(|l| {
                    self.level_labels
                        .get(l)
                        .is_some_and(|label| label.trim().eq_ignore_ascii_case(t))
                })
            })
    }

    /// The accepted values of a categorical variable as an error lists them:
    /// the codes (`1|2|3`), and the declared labels where there are any
    /// (`1|2|3 (or their labels I|II|III)`).
    pub fn expected_levels(&self) -> String {
        let levels = self.levels();
        let labels: Vec<&str> = levels
            .iter()
            .filter_map(|l| self.level_labels.get(l).map(String::as_str))
            .collect();
        if labels.is_empty() {
            levels.join("|")
        } else {
            format!(
                "{} (or their labels {})",
                levels.join("|"),
                labels.join("|")
            )
        }
    }

    /// Whether the variable is numeric.
    pub fn is_numeric(&self) -> bool {
        matches!(self.kind, VariableKind::Numeric { .. })
    }
}

/// The outcome and clinical variables of a cohort.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClinicalSchema {
    /// The outcome column.
    #[serde(default)]
    pub outcome: Outcome,
    /// Missing-value policy.
    #[serde(default)]
    pub missing: MissingPolicy,
    /// The variables, in table order (`[[variable]]` in TOML).
    #[serde(rename = "variable")]
    pub variables: Vec<Variable>,
}

/// A schema that contradicts itself (checked by [`ClinicalSchema::check`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("variable `{variable}`: {message}")]
pub struct SchemaError {
    /// The variable concerned.
    pub variable: String,
    /// What is wrong.
    pub message: String,
}

/// One variable's values for every row, typed by its kind.
#[derive(Debug, Clone, PartialEq)]
pub enum VariableColumn {
    /// Numeric values (`None` = missing).
    Numbers(Vec<Option<f64>>),
    /// Level indices into [`Variable::levels`] (`None` = missing).
    Levels(Vec<Option<usize>>),
}

impl VariableColumn {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            VariableColumn::Numbers(v) => v.len(),
            VariableColumn::Levels(v) => v.len(),
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether row `i` is missing.
    pub fn is_missing(&self, i: usize) -> bool {
        match self {
            VariableColumn::Numbers(v) => v[i].is_none(),
            VariableColumn::Levels(v) => v[i].is_none(),
        }
    }

    /// The rows `rows` of this column, in that order.
    pub fn select(&self, rows: &[usize]) -> VariableColumn {
        match self {
            VariableColumn::Numbers(v) => {
                VariableColumn::Numbers(rows.iter().map(|&i| v[i]).collect())
            }
            VariableColumn::Levels(v) => {
                VariableColumn::Levels(rows.iter().map(|&i| v[i]).collect())
            }
        }
    }
}

/// A clinical table checked against a schema: ids, outcome, one typed column per variable.
#[derive(Debug, Clone, PartialEq)]
pub struct ClinicalData {
    /// The file it was read from.
    pub path: PathBuf,
    /// Patient ids, in file order.
    pub ids: Vec<String>,
    /// Outcome per row (1 = case; `None` = empty), or `None` if the column is absent.
    pub outcome: Option<Vec<Option<u8>>>,
    /// One column per schema variable, in schema order.
    pub columns: Vec<VariableColumn>,
}

impl ClinicalData {
    /// The rows `rows`, in that order (e.g. to align with a feature table).
    pub fn select(&self, rows: &[usize]) -> ClinicalData {
        ClinicalData {
            path: self.path.clone(),
            ids: rows.iter().map(|&i| self.ids[i].clone()).collect(),
            outcome: self
                .outcome
                .as_ref()
                .map(|o| rows.iter().map(|&i| o[i]).collect()),
            columns: self.columns.iter().map(|c| c.select(rows)).collect(),
        }
    }
}

/// A cell as text: integer-valued numbers read as floats ("1.0") map back to "1".
fn cell_text(raw: &str) -> String {
    let t = raw.trim();
    match t.strip_suffix(".0") {
        Some(stem) if !stem.is_empty() && stem.chars().all(|c| c.is_ascii_digit()) => {
            stem.to_string()
        }
        _ => t.to_string(),
    }
}

fn is_missing_text(s: &str) -> bool {
    s.is_empty() || s.eq_ignore_ascii_case("NA")
}

impl ClinicalSchema {
    /// The paper's 13 clinical variables with the vocabularies of
    /// [`VOCABULARY`] and ranges of [`RANGES`]:
    /// BI-RADS (4A<4B<4C<5) and nuclear grade (I<II<III) as scores; ER, PR,
    /// HER2, Ki-67 (pos = 1) and US-ALN (suspicious = 1) binary; location,
    /// tumour type and molecular subtype as dummies against the vocabulary's
    /// first level; age, BMI (may be missing) and US size numeric.
    pub fn paper() -> ClinicalSchema {
        let vocab = |c: &str| -> Vec<String> {
            VOCABULARY
                .iter()
                .find(|(n, _)| *n == c)
                .map(|(_, l)| l.iter().map(|s| s.to_string()).collect())
                .unwrap_or_default()
        };
        let range = |c: &str| RANGES.iter().find(|(n, _, _)| *n == c).map(|r| [r.1, r.2]);
        let numeric = |name: &str, label: &str, unit: &str, allow_missing: bool| Variable {
            name: name.into(),
            label: label.into(),
            kind: VariableKind::Numeric {
                range: range(name),
                unit: Some(unit.into()),
            },
            level_labels: BTreeMap::new(),
            allow_missing,
        };
        let binary = |name: &str, label: &str, positive: &str| Variable {
            name: name.into(),
            label: label.into(),
            kind: VariableKind::Binary {
                levels: vocab(name),
                positive: positive.into(),
            },
            level_labels: BTreeMap::new(),
            allow_missing: false,
        };
        let ordinal = |name: &str, label: &str, labels: &[(&str, &str)]| Variable {
            name: name.into(),
            label: label.into(),
            kind: VariableKind::Ordinal {
                levels: vocab(name),
            },
            level_labels: labels
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            allow_missing: false,
        };
        let nominal = |name: &str, label: &str, labels: &[(&str, &str)]| {
            let levels = vocab(name);
            Variable {
                name: name.into(),
                label: label.into(),
                kind: VariableKind::Nominal {
                    reference: levels.first().cloned().unwrap_or_default(),
                    levels,
                },
                level_labels: labels
                    .iter()
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .collect(),
                allow_missing: false,
            }
        };
        ClinicalSchema {
            outcome: Outcome::default(),
            missing: MissingPolicy::CompleteCase,
            variables: vec![
                numeric("age", "Age", "years", false),
                numeric("bmi", "BMI", "kg/m²", true),
                ordinal("birads", "BI-RADS", &[]),
                nominal("location", "Location", &[]),
                ordinal(
                    "nuclear_grade",
                    "Nuclear grade",
                    &[("1", "I"), ("2", "II"), ("3", "III")],
                ),
                nominal(
                    "tumour_type",
                    "Tumour type",
                    &[
                        ("invasive_nst", "invasive NST"),
                        ("invasive_st", "invasive ST"),
                    ],
                ),
                binary("er", "ER", "pos"),
                binary("pr", "PR", "pos"),
                binary("her2", "HER2", "pos"),
                binary("ki67", "Ki-67", "pos"),
                nominal(
                    "subtype",
                    "Molecular subtype",
                    &[
                        ("luminal_a", "luminal A"),
                        ("luminal_b", "luminal B"),
                        ("her2", "HER2-enriched"),
                    ],
                ),
                binary("us_aln", "US-ALN", "suspicious"),
                numeric("us_size_cm", "US size", "cm", false),
            ],
        }
    }

    /// The variable named `name`.
    pub fn variable(&self, name: &str) -> Option<&Variable> {
        self.variables.iter().find(|v| v.name == name)
    }

    /// Checks the schema itself: unique non-empty names, levels unique and
    /// non-empty, a binary variable with exactly two levels and its positive
    /// level among them, a nominal reference among its levels, a range with
    /// low ≤ high, level labels only for declared levels.
    pub fn check(&self) -> Result<(), SchemaError> {
        let err = |v: &str, m: String| SchemaError {
            variable: v.to_string(),
            message: m,
        };
        let mut seen = std::collections::BTreeSet::new();
        for v in &self.variables {
            if v.name.trim().is_empty() {
                return Err(err(&v.name, "empty variable name".into()));
            }
            if v.name == "id" || v.name == self.outcome.column {
                return Err(err(
                    &v.name,
                    "the id and outcome columns are not clinical variables".into(),
                ));
            }
            if !seen.insert(v.name.as_str()) {
                return Err(err(&v.name, "declared twice".into()));
            }
            let levels = v.levels();
            let mut ls = std::collections::BTreeSet::new();
            for l in levels {
                if is_missing_text(l.trim()) {
                    return Err(err(&v.name, format!("level {l:?} is empty or NA")));
                }
                if !ls.insert(l.as_str()) {
                    return Err(err(&v.name, format!("level {l:?} declared twice")));
                }
            }
            match &v.kind {
                VariableKind::Numeric { range, .. } => {
                    if let Some([lo, hi]) = range
                        && !(lo.is_finite() && hi.is_finite() && lo <= hi)
                    {
                        return Err(err(
                            &v.name,
                            format!("range [{lo}, {hi}] is not low ≤ high"),
                        ));
                    }
                }
                VariableKind::Binary { levels, positive } => {
                    if levels.len() != 2 {
                        return Err(err(
                            &v.name,
                            format!("a binary variable needs 2 levels, found {}", levels.len()),
                        ));
                    }
                    if !levels.contains(positive) {
                        return Err(err(
                            &v.name,
                            format!(
                                "positive level {positive:?} is not one of {}",
                                levels.join("|")
                            ),
                        ));
                    }
                }
                VariableKind::Ordinal { levels } => {
                    if levels.len() < 2 {
                        return Err(err(&v.name, "an ordinal variable needs ≥ 2 levels".into()));
                    }
                }
                VariableKind::Nominal { levels, reference } => {
                    if levels.len() < 2 {
                        return Err(err(&v.name, "a nominal variable needs ≥ 2 levels".into()));
                    }
                    if !levels.contains(reference) {
                        return Err(err(
                            &v.name,
                            format!(
                                "reference level {reference:?} is not one of {}",
                                levels.join("|")
                            ),
                        ));
                    }
                }
            }
            if let Some(l) = v.level_labels.keys().find(|l| !levels.contains(l)) {
                return Err(err(
                    &v.name,
                    format!("level_labels names {l:?}, which is not a declared level"),
                ));
            }
        }
        Ok(())
    }

    /// Parses one variable's text cells (1-based rows in problems).
    pub fn parse_column(
        &self,
        variable: &Variable,
        cells: &[Option<String>],
        path: &Path,
        problems: &mut Vec<Problem>,
    ) -> VariableColumn {
        let bad = |problems: &mut Vec<Problem>, row: usize, msg: String| {
            problems.push(Problem::new(path, Some(row), Some(&variable.name), msg));
        };
        let texts = cells
            .iter()
            .map(|c| c.as_deref().map(cell_text).filter(|s| !is_missing_text(s)));
        match &variable.kind {
            VariableKind::Numeric { range, .. } => VariableColumn::Numbers(
                texts
                    .enumerate()
                    .map(|(i, t)| match t {
                        None => {
                            if !variable.allow_missing {
                                bad(problems, i + 1, "missing value".into());
                            }
                            None
                        }
                        Some(raw) => match raw.parse::<f64>() {
                            Ok(v) if v.is_finite() => {
                                if let Some([lo, hi]) = range
                                    && (v < *lo || v > *hi)
                                {
                                    bad(
                                        problems,
                                        i + 1,
                                        format!("{raw:?} is outside the plausible range {lo}–{hi}"),
                                    );
                                }
                                Some(v)
                            }
                            _ => {
                                bad(problems, i + 1, format!("{raw:?} is not a number"));
                                None
                            }
                        },
                    })
                    .collect(),
            ),
            _ => VariableColumn::Levels(
                texts
                    .enumerate()
                    .map(|(i, t)| match t {
                        None => {
                            if !variable.allow_missing {
                                bad(problems, i + 1, "missing value".into());
                            }
                            None
                        }
                        Some(v) => {
                            let k = variable.parse_level(&v);
                            if k.is_none() {
                                bad(
                                    problems,
                                    i + 1,
                                    format!("{v:?} is not one of {}", variable.expected_levels()),
                                );
                            }
                            k
                        }
                    })
                    .collect(),
            ),
        }
    }

    /// Checks a table (already read) against the schema and returns its
    /// typed columns, or every problem found: a missing column, a missing id
    /// or duplicate id, a value that is not a number, outside its range or
    /// not a declared level, a missing value where none is allowed, an
    /// outcome other than the two declared values.
    pub fn read_table(&self, table: &Table) -> Result<ClinicalData, Vec<Problem>> {
        let path = table.path().to_path_buf();
        if let Err(e) = self.check() {
            return Err(vec![Problem::new(
                &path,
                None,
                Some(&e.variable),
                format!("schema: {}", e.message),
            )]);
        }
        let mut problems = Vec::new();
        for c in std::iter::once("id").chain(self.variables.iter().map(|v| v.name.as_str())) {
            if !table.has_column(c) {
                problems.push(Problem::new(&path, None, Some(c), "missing column"));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let text = |c: &str| {
            table
                .str_column(c)
                .map_err(|e| vec![Problem::from_error(&path, &e)])
        };
        let id_cells = text("id")?;
        let mut ids = Vec::with_capacity(id_cells.len());
        let mut first_row: std::collections::HashMap<String, usize> = Default::default();
        for (i, c) in id_cells.iter().enumerate() {
            let id = c.as_deref().map(cell_text).unwrap_or_default();
            if id.is_empty() {
                problems.push(Problem::new(&path, Some(i + 1), Some("id"), "missing id"));
            } else if let Some(&r) = first_row.get(&id) {
                problems.push(Problem::new(
                    &path,
                    Some(i + 1),
                    Some("id"),
                    format!("duplicate id {id:?} (first in row {r})"),
                ));
            } else {
                first_row.insert(id.clone(), i + 1);
            }
            ids.push(id);
        }
        let o = &self.outcome;
        let outcome = if table.has_column(&o.column) {
            let cells = text(&o.column)?;
            Some(
                cells
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let t = c.as_deref().map(cell_text).unwrap_or_default();
                        if is_missing_text(&t) {
                            None
                        } else if t == o.positive {
                            Some(1)
                        } else if t == o.negative {
                            Some(0)
                        } else {
                            problems.push(Problem::new(
                                &path,
                                Some(i + 1),
                                Some(&o.column),
                                format!(
                                    "{t:?} is not an outcome (expected {} or {}, or empty)",
                                    o.negative, o.positive
                                ),
                            ));
                            None
                        }
                    })
                    .collect(),
            )
        } else {
            None
        };
        let mut columns = Vec::with_capacity(self.variables.len());
        for v in &self.variables {
            let cells = text(&v.name)?;
            columns.push(self.parse_column(v, &cells, &path, &mut problems));
        }
        if problems.is_empty() {
            Ok(ClinicalData {
                path,
                ids,
                outcome,
                columns,
            })
        } else {
            Err(problems)
        }
    }

    /// Reads `path` (CSV or Parquet) and checks it with [`Self::read_table`].
    pub fn read(&self, path: &Path) -> Result<ClinicalData, Vec<Problem>> {
        let table = Table::read(path).map_err(|e| vec![Problem::from_error(path, &e)])?;
        self.read_table(&table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contradictions_are_named() {
        let mut s = ClinicalSchema::paper();
        if let VariableKind::Nominal { reference, .. } = &mut s.variables[3].kind {
            *reference = "left".into();
        }
        let e = s.check().unwrap_err();
        assert_eq!(e.variable, "location");
        assert!(e.message.contains("reference level \"left\""), "{e}");
        let mut s = ClinicalSchema::paper();
        s.variables.push(s.variables[0].clone());
        assert_eq!(s.check().unwrap_err().message, "declared twice");
    }
}
