//! The one clinical coding of the study, driven by a [`ClinicalSchema`]:
//! numeric variables enter as they are, binary ones as 0/1 (the declared
//! positive level is 1), ordinal ones as the integer score 1, 2, … of their
//! declared order, nominal ones as treatment dummies `name=level` against the
//! declared reference level, one per other level in declared order (R's
//! `contr.treatment` with `relevel(ref = …)`). A missing value is NaN in
//! every column of its variable, which the fits drop as `na.omit`.

use dlrn_cohort::schema::{ClinicalData, ClinicalSchema, Variable, VariableColumn, VariableKind};
use serde::{Deserialize, Serialize};

use crate::error::{Result, StudyError};

/// One design (model) column made from a variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Term {
    /// Column name in the model (`age`, `subtype=luminal_b`).
    pub name: String,
    /// The variable it codes.
    pub variable: String,
    /// For a nominal dummy, the level it indicates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
}

/// The model columns of a variable, in order.
pub fn terms(variable: &Variable) -> Vec<Term> {
    match &variable.kind {
        VariableKind::Nominal { levels, reference } => levels
            .iter()
            .filter(|l| *l != reference)
            .map(|l| Term {
                name: format!("{}={l}", variable.name),
                variable: variable.name.clone(),
                level: Some(l.clone()),
            })
            .collect(),
        _ => vec![Term {
            name: variable.name.clone(),
            variable: variable.name.clone(),
            level: None,
        }],
    }
}

/// The numeric code of level index `k` of a binary or ordinal variable
/// (binary: 1 for the positive level, 0 for the other; ordinal: k + 1).
pub fn level_code(variable: &Variable, k: usize) -> f64 {
    match &variable.kind {
        VariableKind::Binary { levels, positive } => {
            f64::from(u8::from(levels.get(k) == Some(positive)))
        }
        _ => k as f64 + 1.0,
    }
}

/// Codes one variable's column: one value vector per [`terms`] entry, NaN where missing.
pub fn code_column(variable: &Variable, column: &VariableColumn) -> Result<Vec<Vec<f64>>> {
    let mismatch = || StudyError::Coding {
        variable: variable.name.clone(),
        message: "the column's type does not match the variable's kind".into(),
    };
    Ok(match (&variable.kind, column) {
        (VariableKind::Numeric { .. }, VariableColumn::Numbers(v)) => {
            vec![v.iter().map(|x| x.unwrap_or(f64::NAN)).collect()]
        }
        (VariableKind::Nominal { levels, reference }, VariableColumn::Levels(v)) => levels
            .iter()
            .enumerate()
            .filter(|(_, l)| *l != reference)
            .map(|(j, _)| {
                v.iter()
                    .map(|k| match k {
                        None => f64::NAN,
                        Some(k) => f64::from(u8::from(*k == j)),
                    })
                    .collect()
            })
            .collect(),
        (VariableKind::Binary { .. } | VariableKind::Ordinal { .. }, VariableColumn::Levels(v)) => {
            vec![
                v.iter()
                    .map(|k| k.map_or(f64::NAN, |k| level_code(variable, k)))
                    .collect(),
            ]
        }
        _ => return Err(mismatch()),
    })
}

/// Named model columns of one cohort (the coded clinical variables, and
/// whatever else a model uses, e.g. the signature score).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Design {
    /// Rows.
    pub n: usize,
    /// Column name → values (NaN = missing).
    columns: Vec<(String, Vec<f64>)>,
}

impl Design {
    /// An empty design of `n` rows.
    pub fn new(n: usize) -> Design {
        Design {
            n,
            columns: Vec::new(),
        }
    }

    /// Adds (or replaces) a column; its length must be `n`.
    pub fn insert(&mut self, name: &str, values: Vec<f64>) -> Result<()> {
        if values.len() != self.n {
            return Err(StudyError::Coding {
                variable: name.to_string(),
                message: format!("{} values for {} rows", values.len(), self.n),
            });
        }
        match self.columns.iter_mut().find(|(c, _)| c == name) {
            Some((_, v)) => *v = values,
            None => self.columns.push((name.to_string(), values)),
        }
        Ok(())
    }

    /// The column `name`.
    pub fn column(&self, name: &str) -> Result<&[f64]> {
        self.columns
            .iter()
            .find(|(c, _)| c == name)
            .map(|(_, v)| v.as_slice())
            .ok_or_else(|| StudyError::MissingColumn {
                column: name.to_string(),
            })
    }

    /// Column names, in insertion order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|(c, _)| c.as_str())
    }
}

/// The declared variable `name` and its index in the schema; an unknown name
/// is an error naming it and the declared variables.
pub fn declared_variable<'s>(
    schema: &'s ClinicalSchema,
    name: &str,
) -> Result<(usize, &'s Variable)> {
    schema
        .variables
        .iter()
        .enumerate()
        .find(|(_, v)| v.name == name)
        .ok_or_else(|| StudyError::UnknownVariable {
            variable: name.to_string(),
            declared: schema
                .variables
                .iter()
                .map(|v| v.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// Codes the variables `names` of a clinical table into a [`Design`];
/// an unknown name is an error naming it and the declared variables.
pub fn code(schema: &ClinicalSchema, data: &ClinicalData, names: &[String]) -> Result<Design> {
    let mut d = Design::new(data.ids.len());
    for name in names {
        let (j, v) = declared_variable(schema, name)?;
        let col = data.columns.get(j).ok_or_else(|| StudyError::Coding {
            variable: name.clone(),
            message: "the table has no column for it".into(),
        })?;
        for (t, values) in terms(v).into_iter().zip(code_column(v, col)?) {
            d.insert(&t.name, values)?;
        }
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_coding_matches_the_study() {
        let s = ClinicalSchema::paper();
        let v = |n: &str| s.variable(n).unwrap().clone();
        // BI-RADS 4A<4B<4C<5 → 1..4; nuclear grade 1..3.
        let b = code_column(
            &v("birads"),
            &VariableColumn::Levels(vec![Some(0), Some(3), None]),
        )
        .unwrap();
        assert_eq!(b[0][..2], [1.0, 4.0]);
        assert!(b[0][2].is_nan());
        // Binary: pos = 1, suspicious = 1 whatever the level order.
        let us = code_column(
            &v("us_aln"),
            &VariableColumn::Levels(vec![Some(0), Some(1)]),
        )
        .unwrap();
        assert_eq!(us, vec![vec![0.0, 1.0]]);
        // Subtype: reference luminal_a, three dummies in vocabulary order.
        let t: Vec<String> = terms(&v("subtype")).into_iter().map(|t| t.name).collect();
        assert_eq!(
            t,
            [
                "subtype=luminal_b",
                "subtype=her2",
                "subtype=triple_negative"
            ]
        );
        let d = code_column(
            &v("subtype"),
            &VariableColumn::Levels(vec![Some(0), Some(2), None]),
        )
        .unwrap();
        assert_eq!(d[0][..2], [0.0, 0.0]);
        assert_eq!(d[1][..2], [0.0, 1.0]);
        assert!(d.iter().all(|c| c[2].is_nan()));
    }

    #[test]
    fn explicit_reference_is_honoured() {
        let mut s = ClinicalSchema::paper();
        let loc = s
            .variables
            .iter_mut()
            .find(|v| v.name == "location")
            .unwrap();
        if let VariableKind::Nominal { reference, .. } = &mut loc.kind {
            *reference = "central".into();
        }
        let t: Vec<String> = terms(loc).into_iter().map(|t| t.name).collect();
        assert_eq!(
            t,
            [
                "location=UOQ",
                "location=LOQ",
                "location=UIQ",
                "location=LIQ"
            ]
        );
    }
}
