//! The clinical table (`clinical.csv`): its columns, vocabulary, plausible
//! ranges, and the ordinal/dummy coding the study's logistic models use.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::Problem;
use crate::error::CohortError;
use crate::schema::ClinicalSchema;
pub use crate::schema::{LABEL, RANGES, VOCABULARY};
use crate::table::Table;

/// The columns every clinical.csv must have (`ALN_status` may be absent for prediction).
pub const CLINICAL_COLUMNS: &[&str] = &[
    "id",
    "age",
    "bmi",
    "birads",
    "location",
    "nuclear_grade",
    "tumour_type",
    "er",
    "pr",
    "her2",
    "ki67",
    "subtype",
    "us_aln",
    "us_size_cm",
];

/// Columns whose cells may be empty/`NA` (BMI was not recorded for some patients).
pub const OPTIONAL_VALUES: &[&str] = &["bmi", LABEL];

/// One patient's clinical record, validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Patient {
    /// Patient id (file stem of the image and mask).
    pub id: String,
    /// 1 = ALN metastasis, 0 = none; `None` when unknown (prediction).
    pub aln_status: Option<u8>,
    /// Age in years.
    pub age: f64,
    /// Body-mass index (kg/m²); `None` = not recorded.
    pub bmi: Option<f64>,
    /// Categorical values by column name, as written in the file (checked against [`VOCABULARY`]).
    pub categories: Vec<(String, String)>,
    /// Ultrasound lesion size in cm.
    pub us_size_cm: f64,
}

impl Patient {
    /// The value of a categorical column.
    pub fn category(&self, column: &str) -> Option<&str> {
        self.categories
            .iter()
            .find(|(c, _)| c == column)
            .map(|(_, v)| v.as_str())
    }

    /// Ordinal code of a categorical column as the study entered it in its
    /// models: the 1-based position in [`VOCABULARY`] (BI-RADS 4A<4B<4C<5 →
    /// 1..4, grade I<II<III → 1..3), binary columns 0/1 (neg/pos,
    /// non-suspicious/suspicious).
    pub fn ordinal(&self, column: &str) -> Option<f64> {
        let levels = levels(column)?;
        let value = self.category(column)?;
        let pos = levels.iter().position(|l| *l == value)?;
        Some(if levels.len() == 2 {
            pos as f64
        } else {
            pos as f64 + 1.0
        })
    }
}

/// The levels of a categorical column, or `None` if it is not categorical.
pub fn levels(column: &str) -> Option<&'static [&'static str]> {
    VOCABULARY
        .iter()
        .find(|(c, _)| *c == column)
        .map(|(_, l)| *l)
}

/// The one rule for an outcome label cell: a missing cell, empty text or
/// `NA` is unknown (`None`); `0` and `1` (also as `0.0`/`1.0`) are the
/// labels; anything else is an error message.
pub fn parse_label(cell: Option<&str>) -> Result<Option<u8>, String> {
    match cell.map(str::trim) {
        None | Some("") | Some("NA") => Ok(None),
        Some("0") | Some("0.0") => Ok(Some(0)),
        Some("1") | Some("1.0") => Ok(Some(1)),
        Some(other) => Err(format!(
            "{other:?} is not a label (expected 0 or 1, or empty)"
        )),
    }
}

/// A table's `ALN_status` column by row ([`parse_label`]); `None` when the
/// table has no such column.
pub fn label_column(table: &Table) -> Result<Option<Vec<Option<u8>>>, CohortError> {
    let column = LABEL;
    if !table.has_column(column) {
        return Ok(None);
    }
    table
        .str_column(column)?
        .into_iter()
        .enumerate()
        .map(|(row, v)| {
            parse_label(v.as_deref()).map_err(|message| CohortError::BadValue {
                path: table.path().to_path_buf(),
                row: row + 1,
                column: column.into(),
                found: v.unwrap_or_default(),
                expected: message,
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// ALN_status by id from the cohort's clinical.csv; `None` when the file or
/// the column is absent, `None` per id for an unknown label ([`parse_label`]).
pub fn read_labels(cohort: &Path) -> Result<Option<BTreeMap<String, Option<u8>>>, CohortError> {
    let path = cohort.join("clinical.csv");
    if !path.exists() {
        return Ok(None);
    }
    let table = Table::read(&path)?;
    let Some(labels) = label_column(&table)? else {
        return Ok(None);
    };
    Ok(Some(table.ids()?.into_iter().zip(labels).collect()))
}

/// A validated clinical table.
#[derive(Debug, Clone)]
pub struct Clinical {
    /// The file it was read from.
    pub path: PathBuf,
    /// One record per row, in file order.
    pub patients: Vec<Patient>,
    /// Whether the file has an `ALN_status` column.
    pub has_label: bool,
}

fn category_text(raw: &str) -> String {
    // Integer-valued numbers read by polars as floats print as "1.0": map back.
    match raw.strip_suffix(".0") {
        Some(stem) if stem.chars().all(|c| c.is_ascii_digit()) => stem.to_string(),
        _ => raw.trim().to_string(),
    }
}

/// Reads and validates clinical.csv, collecting every problem (file, row,
/// column, value, expectation) rather than stopping at the first.
pub fn read_clinical(path: &Path) -> Result<Clinical, Vec<Problem>> {
    let table = Table::read(path).map_err(|e| vec![Problem::from_error(path, &e)])?;
    let mut problems = Vec::new();
    let missing: Vec<&str> = CLINICAL_COLUMNS
        .iter()
        .copied()
        .filter(|c| !table.has_column(c))
        .collect();
    for c in &missing {
        problems.push(Problem::new(path, None, Some(c), "missing column"));
    }
    if !missing.is_empty() {
        return Err(problems);
    }
    let has_label = table.has_column(LABEL);
    let n = table.n_rows();

    let text = |c: &str| {
        table
            .str_column(c)
            .map_err(|e| Problem::from_error(path, &e))
    };
    let mut cols: Vec<(String, Vec<Option<String>>)> = Vec::new();
    for c in CLINICAL_COLUMNS.iter().chain(has_label.then_some(&LABEL)) {
        match text(c) {
            Ok(v) => cols.push((c.to_string(), v)),
            Err(p) => problems.push(p),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let get = |c: &str, i: usize| -> Option<String> {
        cols.iter()
            .find(|(name, _)| name == c)
            .and_then(|(_, v)| v[i].as_ref().map(|s| category_text(s)))
    };

    let paper = ClinicalSchema::paper();
    let mut first_row: std::collections::HashMap<String, usize> = Default::default();
    let mut patients = Vec::with_capacity(n);
    for i in 0..n {
        let row = i + 1;
        let mut bad = |column: &str, msg: String| {
            problems.push(Problem::new(path, Some(row), Some(column), msg));
        };
        let id = match get("id", i) {
            Some(id) if !id.is_empty() => id,
            _ => {
                bad("id", "missing id".into());
                continue;
            }
        };
        if let Some(&r) = first_row.get(&id) {
            bad("id", format!("duplicate id {id:?} (first in row {r})"));
            continue;
        }
        first_row.insert(id.clone(), row);

        let mut number = |c: &str| -> Option<f64> {
            let raw = get(c, i)?;
            match raw.parse::<f64>() {
                Ok(v) if v.is_finite() => {
                    if let Some((_, lo, hi)) = RANGES.iter().find(|(name, _, _)| *name == c)
                        && (v < *lo || v > *hi)
                    {
                        bad(
                            c,
                            format!("{raw:?} is outside the plausible range {lo}–{hi}"),
                        );
                    }
                    Some(v)
                }
                _ => {
                    bad(c, format!("{raw:?} is not a number"));
                    None
                }
            }
        };
        let age = number("age");
        let bmi = number("bmi");
        let size = number("us_size_cm");
        let aln_status = if has_label {
            match parse_label(get(LABEL, i).as_deref()) {
                Ok(label) => label,
                Err(message) => {
                    bad(LABEL, message);
                    None
                }
            }
        } else {
            None
        };
        let mut categories = Vec::with_capacity(VOCABULARY.len());
        for (c, levels) in VOCABULARY {
            // A level's code, or as typed: its code or label in any case.
            let declared = paper.variable(c);
            match get(c, i) {
                Some(v) if levels.contains(&v.as_str()) => categories.push((c.to_string(), v)),
                Some(v) => match declared.and_then(|d| d.parse_level(&v)) {
                    Some(k) => categories.push((c.to_string(), levels[k].to_string())),
                    None => bad(
                        c,
                        format!(
                            "{v:?} is not one of {}",
                            declared.map_or_else(|| levels.join("|"), |d| d.expected_levels())
                        ),
                    ),
                },
                None => bad(c, "missing value".into()),
            }
        }
        for c in ["age", "us_size_cm"] {
            if get(c, i).is_none() {
                bad(c, "missing value".into());
            }
        }
        if let (Some(age), Some(us_size_cm)) = (age, size)
            && categories.len() == VOCABULARY.len()
        {
            patients.push(Patient {
                id,
                aln_status,
                age,
                bmi,
                categories,
                us_size_cm,
            });
        }
    }
    if problems.is_empty() {
        Ok(Clinical {
            path: path.to_path_buf(),
            patients,
            has_label,
        })
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::VariableColumn;

    const HEADER: &str = "id,ALN_status,age,bmi,birads,location,nuclear_grade,tumour_type,er,pr,her2,ki67,subtype,us_aln,us_size_cm";

    fn read(rows: &[&str]) -> Result<Clinical, Vec<Problem>> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("clinical.csv");
        std::fs::write(&p, format!("{HEADER}\n{}\n", rows.join("\n"))).unwrap();
        read_clinical(&p)
    }

    const OK: &str = "P1,1,54,24.3,4B,UOQ,2,invasive_nst,pos,pos,neg,pos,luminal_b,suspicious,2.1";

    #[test]
    fn valid_row_parses_and_codes_ordinals() {
        let c = read(&[
            OK,
            "P2,0,61,NA,5,central,3,rare,neg,neg,pos,pos,her2,non-suspicious,3.0",
        ])
        .unwrap();
        let p = &c.patients[0];
        assert_eq!(p.aln_status, Some(1));
        assert_eq!(p.ordinal("birads"), Some(2.0));
        assert_eq!(p.ordinal("nuclear_grade"), Some(2.0));
        assert_eq!(p.ordinal("us_aln"), Some(1.0));
        assert_eq!(c.patients[1].bmi, None);
        assert_eq!(c.patients[1].ordinal("birads"), Some(4.0));
        assert_eq!(c.patients[1].ordinal("us_aln"), Some(0.0));
    }

    #[test]
    fn every_problem_is_reported_with_row_and_column() {
        let probs = read(&[
            OK,
            "P2,2,abc,24,4D,UOQ,2,invasive_nst,pos,pos,neg,pos,luminal_b,suspicious,2.1",
            "P1,0,50,24,4A,UOQ,1,invasive_nst,pos,pos,neg,pos,luminal_b,suspicious,2.1",
        ])
        .unwrap_err();
        let text: Vec<String> = probs.iter().map(|p| p.to_string()).collect();
        let all = text.join("\n");
        assert!(
            all.contains("row 2, column `ALN_status`: \"2\" is not a label"),
            "{all}"
        );
        assert!(
            all.contains("row 2, column `age`: \"abc\" is not a number"),
            "{all}"
        );
        assert!(
            all.contains("row 2, column `birads`: \"4D\" is not one of 4A|4B|4C|5"),
            "{all}"
        );
        assert!(
            all.contains("row 3, column `id`: duplicate id \"P1\" (first in row 1)"),
            "{all}"
        );
    }

    #[test]
    fn missing_column_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("clinical.csv");
        std::fs::write(&p, "id,age\nP1,50\n").unwrap();
        let probs = read_clinical(&p).unwrap_err();
        assert!(
            probs
                .iter()
                .any(|q| q.to_string().ends_with("column `birads`: missing column"))
        );
    }

    #[test]
    fn implausible_age_is_flagged() {
        let probs =
            read(&["P1,1,540,24.3,4B,UOQ,2,invasive_nst,pos,pos,neg,pos,luminal_b,suspicious,2.1"])
                .unwrap_err();
        assert!(
            probs[0]
                .to_string()
                .contains("outside the plausible range 18–100")
        );
    }

    /// The one label rule: empty and NA unknown, 0/1 labels, the rest refused.
    #[test]
    fn label_rule() {
        for (cell, want) in [
            (None, Some(None)),
            (Some(""), Some(None)),
            (Some("NA"), Some(None)),
            (Some("0"), Some(Some(0))),
            (Some(" 1 "), Some(Some(1))),
            (Some("1.0"), Some(Some(1))),
            (Some("2"), None),
            (Some("NaN"), None),
            (Some("yes"), None),
        ] {
            assert_eq!(parse_label(cell).ok(), want, "{cell:?}");
        }
        assert_eq!(
            parse_label(Some("2")).unwrap_err(),
            "\"2\" is not a label (expected 0 or 1, or empty)"
        );
    }

    #[test]
    fn paper_schema_declares_the_contract_columns_and_vocabularies() {
        let s = ClinicalSchema::paper();
        s.check().unwrap();
        let names: Vec<&str> = s.variables.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, CLINICAL_COLUMNS[1..]);
        for (c, levels) in VOCABULARY {
            assert_eq!(s.variable(c).unwrap().levels(), *levels, "{c}");
        }
        assert_eq!(s.variable("nuclear_grade").unwrap().level_label("3"), "III");
        assert_eq!(
            s.variable("subtype")
                .unwrap()
                .level_label("triple_negative"),
            "triple negative"
        );
    }

    #[test]
    fn reads_what_read_clinical_reads_and_reports_the_same_problems() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("clinical.csv");
        std::fs::write(
            &p,
            "id,ALN_status,age,bmi,birads,location,nuclear_grade,tumour_type,er,pr,her2,ki67,subtype,us_aln,us_size_cm\n\
             P1,1,54,24.3,4B,UOQ,2,invasive_nst,pos,pos,neg,pos,luminal_b,suspicious,2.1\n\
             P2,0,61,NA,5,central,3,rare,neg,neg,pos,pos,her2,non-suspicious,3.0\n",
        )
        .unwrap();
        let d = ClinicalSchema::paper().read(&p).unwrap();
        let old = read_clinical(&p).unwrap();
        assert_eq!(d.ids, ["P1", "P2"]);
        assert_eq!(d.outcome, Some(vec![Some(1), Some(0)]));
        assert_eq!(
            d.columns[0],
            VariableColumn::Numbers(vec![Some(54.0), Some(61.0)])
        );
        assert_eq!(
            d.columns[1],
            VariableColumn::Numbers(vec![Some(24.3), None])
        );
        assert_eq!(d.columns[2], VariableColumn::Levels(vec![Some(1), Some(3)]));
        assert_eq!(old.patients[0].category("birads"), Some("4B"));
        std::fs::write(
            &p,
            "id,ALN_status,age,bmi,birads,location,nuclear_grade,tumour_type,er,pr,her2,ki67,subtype,us_aln,us_size_cm\n\
             P1,2,abc,24,4D,UOQ,2,invasive_nst,pos,pos,neg,pos,luminal_b,suspicious,2.1\n\
             P1,0,540,24,4A,UOQ,1,invasive_nst,pos,pos,neg,pos,luminal_b,suspicious,\n",
        )
        .unwrap();
        let all: Vec<String> = ClinicalSchema::paper()
            .read(&p)
            .unwrap_err()
            .iter()
            .map(|q| q.to_string())
            .collect();
        let all = all.join("\n");
        for want in [
            "row 1, column `ALN_status`: \"2\" is not an outcome",
            "row 1, column `age`: \"abc\" is not a number",
            "row 1, column `birads`: \"4D\" is not one of 4A|4B|4C|5",
            "row 2, column `id`: duplicate id \"P1\" (first in row 1)",
            "row 2, column `age`: \"540\" is outside the plausible range 18–100",
            "row 2, column `us_size_cm`: missing value",
        ] {
            assert!(all.contains(want), "{want} not in\n{all}");
        }
    }

    #[test]
    fn a_level_is_read_by_its_code_or_label_as_typed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("clinical.csv");
        std::fs::write(
            &p,
            "id,ALN_status,age,bmi,birads,location,nuclear_grade,tumour_type,er,pr,her2,ki67,subtype,us_aln,us_size_cm\n\
             P1,1,54,24.3,4b,UOQ,II,invasive NST,pos,pos,neg,pos,Luminal B,suspicious,2.1\n\
             P2,0,61,NA,5,central,iii,rare,neg,neg,pos,pos,her2,non-suspicious,3.0\n\
             P3,0,61,NA,5,central,2,rare,neg,neg,pos,pos,her2,non-suspicious,3.0\n",
        )
        .unwrap();
        let d = ClinicalSchema::paper().read(&p).unwrap();
        // nuclear_grade: II and 2 are level 2 (index 1), iii is level 3.
        assert_eq!(
            d.columns[4],
            VariableColumn::Levels(vec![Some(1), Some(2), Some(1)])
        );
        assert_eq!(
            d.columns[2],
            VariableColumn::Levels(vec![Some(1), Some(3), Some(3)])
        );
        assert_eq!(
            d.columns[10],
            VariableColumn::Levels(vec![Some(1), Some(2), Some(2)])
        );
        // The paper's reader maps the label to its code too.
        let old = read_clinical(&p).unwrap();
        assert_eq!(old.patients[0].category("nuclear_grade"), Some("2"));
        assert_eq!(old.patients[0].category("subtype"), Some("luminal_b"));
        std::fs::write(
            &p,
            "id,ALN_status,age,bmi,birads,location,nuclear_grade,tumour_type,er,pr,her2,ki67,subtype,us_aln,us_size_cm\n\
             P1,1,54,24.3,4B,UOQ,IV,invasive_nst,pos,pos,neg,pos,luminal_b,suspicious,2.1\n",
        )
        .unwrap();
        let all: Vec<String> = ClinicalSchema::paper()
            .read(&p)
            .unwrap_err()
            .iter()
            .map(|q| q.to_string())
            .collect();
        assert!(
            all[0].ends_with(
                "row 1, column `nuclear_grade`: \"IV\" is not one of 1|2|3 (or their labels I|II|III)"
            ),
            "{all:?}"
        );
        let e = read_clinical(&p).unwrap_err();
        assert!(
            e[0].to_string()
                .ends_with("\"IV\" is not one of 1|2|3 (or their labels I|II|III)"),
            "{e:?}"
        );
    }
}
