//! Coding of categorical predictors as the study did: ordinal factors as
//! consecutive integers (one coefficient per category step), nominal factors
//! as treatment dummies against a reference level (R's default contrasts).

use crate::error::{Result, StatsError};

/// BI-RADS levels in increasing order, coded 1–4 (4A < 4B < 4C < 5).
pub const BIRADS_LEVELS: [&str; 4] = ["4A", "4B", "4C", "5"];

/// Nuclear grade levels in increasing order, coded 1–3 (I < II < III).
pub const GRADE_LEVELS: [&str; 3] = ["1", "2", "3"];

/// Codes an ordinal factor as 1, 2, … in the order of `levels` (matching is
/// exact after trimming spaces; a missing value becomes NaN, which the
/// logistic fit drops as `na.omit`). An unknown level is an error naming the
/// 1-based row.
pub fn ordinal_code(column: &str, values: &[Option<String>], levels: &[&str]) -> Result<Vec<f64>> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            None => Ok(f64::NAN),
            Some(s) => {
                let s = s.trim();
                if s.is_empty() || s.eq_ignore_ascii_case("NA") {
                    return Ok(f64::NAN);
                }
                levels
                    .iter()
                    .position(|l| *l == s)
                    .map(|k| (k + 1) as f64)
                    .ok_or_else(|| StatsError::BadLevel {
                        column: column.to_string(),
                        row: i + 1,
                        found: s.to_string(),
                        expected: levels.join(" < "),
                    })
            }
        })
        .collect()
}

/// One dummy column of a nominal factor.
#[derive(Debug, Clone)]
pub struct Dummy {
    /// Column name `<factor>=<level>` (R would print `<factor><level>`).
    pub name: String,
    /// 1 where the row has this level, 0 otherwise, NaN where missing.
    pub values: Vec<f64>,
}

/// Treatment (dummy) coding of a nominal factor against `reference` (R's
/// `contr.treatment`): one 0/1 column per other level, in the order of
/// `levels`. Missing values give NaN in every column; an unknown level is an
/// error naming the 1-based row.
pub fn dummy_code(
    column: &str,
    values: &[Option<String>],
    levels: &[&str],
    reference: &str,
) -> Result<Vec<Dummy>> {
    if !levels.contains(&reference) {
        return Err(StatsError::BadLevel {
            column: column.to_string(),
            row: 1,
            found: reference.to_string(),
            expected: format!("a reference level among {}", levels.join(", ")),
        });
    }
    let coded = {
        let mut out = Vec::with_capacity(values.len());
        for (i, v) in values.iter().enumerate() {
            out.push(match v.as_deref().map(str::trim) {
                None | Some("") | Some("NA") => None,
                Some(s) => Some(levels.iter().position(|l| *l == s).ok_or_else(|| {
                    StatsError::BadLevel {
                        column: column.to_string(),
                        row: i + 1,
                        found: s.to_string(),
                        expected: levels.join(", "),
                    }
                })?),
            });
        }
        out
    };
    Ok(levels
        .iter()
        .enumerate()
        .filter(|(_, l)| **l != reference)
        .map(|(k, l)| Dummy {
            name: format!("{column}={l}"),
            values: coded
                .iter()
                .map(|c| match c {
                    None => f64::NAN,
                    Some(j) => (*j == k) as u8 as f64,
                })
                .collect(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<Option<String>> {
        v.iter()
            .map(|x| {
                if *x == "NA" {
                    None
                } else {
                    Some(x.to_string())
                }
            })
            .collect()
    }

    #[test]
    fn birads_is_coded_in_study_order() {
        let c = ordinal_code("birads", &s(&["4A", "5", "4C", "NA", "4B"]), &BIRADS_LEVELS).unwrap();
        assert_eq!(&c[..3], &[1.0, 4.0, 3.0]);
        assert!(c[3].is_nan());
        assert_eq!(c[4], 2.0);
        let err = ordinal_code("birads", &s(&["4A", "6"]), &BIRADS_LEVELS)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("row 2") && err.contains("\"6\"") && err.contains("4A < 4B"),
            "{err}"
        );
    }

    #[test]
    fn dummies_follow_treatment_contrasts() {
        let d = dummy_code(
            "loc",
            &s(&["UOQ", "LOQ", "central", "UOQ"]),
            &["UOQ", "LOQ", "central"],
            "UOQ",
        )
        .unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].name, "loc=LOQ");
        assert_eq!(d[0].values, vec![0.0, 1.0, 0.0, 0.0]);
        assert_eq!(d[1].values, vec![0.0, 0.0, 1.0, 0.0]);
        assert!(dummy_code("loc", &s(&["x"]), &["UOQ"], "UOQ").is_err());
    }
}
