//! Input validation shared by the statistics (1-based rows in every message).

use crate::error::{Result, StatsError};

/// Fails unless the two lengths match.
pub(crate) fn same_len(left: &str, left_len: usize, right: &str, right_len: usize) -> Result<()> {
    if left_len == right_len {
        Ok(())
    } else {
        Err(StatsError::LengthMismatch {
            left: left.to_string(),
            left_len,
            right: right.to_string(),
            right_len,
        })
    }
}

/// Fails on the first NaN or infinite value.
pub(crate) fn finite(column: &str, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(StatsError::NonFinite {
            column: column.to_string(),
            row: i + 1,
            value: values[i],
        }),
    }
}

/// Counts (cases, controls); fails on a label other than 0/1.
pub(crate) fn labels(labels: &[u8]) -> Result<(usize, usize)> {
    let mut cases = 0;
    for (i, &l) in labels.iter().enumerate() {
        match l {
            0 => {}
            1 => cases += 1,
            value => return Err(StatsError::BadLabel { row: i + 1, value }),
        }
    }
    Ok((cases, labels.len() - cases))
}

/// Validates labels + scores for a two-class statistic: same length, finite
/// scores, 0/1 labels and at least `needed` per class. Returns (cases, controls).
pub(crate) fn binary(
    label_name: &str,
    lab: &[u8],
    score_name: &str,
    scores: &[f64],
    needed: usize,
) -> Result<(usize, usize)> {
    same_len(label_name, lab.len(), score_name, scores.len())?;
    let (cases, controls) = labels(lab)?;
    finite(score_name, scores)?;
    if cases < needed || controls < needed {
        return Err(StatsError::TooFewPerClass {
            needed,
            cases,
            controls,
        });
    }
    Ok((cases, controls))
}

/// Fails unless `level` is a confidence level strictly between 0 and 1.
pub(crate) fn level(level: f64) -> Result<()> {
    if level > 0.0 && level < 1.0 {
        Ok(())
    } else {
        Err(StatsError::OutOfRange {
            column: "confidence level".into(),
            row: 1,
            value: level,
            expected: "(0, 1)",
        })
    }
}

/// Fails unless every value is a probability strictly inside (0, 1).
pub(crate) fn open_probabilities(column: &str, p: &[f64]) -> Result<()> {
    finite(column, p)?;
    match p.iter().position(|&v| v <= 0.0 || v >= 1.0) {
        None => Ok(()),
        Some(i) => Err(StatsError::OutOfRange {
            column: column.to_string(),
            row: i + 1,
            value: p[i],
            expected: "the open interval (0, 1) of probabilities",
        }),
    }
}

/// Fails unless every value is a probability in [0, 1].
pub(crate) fn probabilities(column: &str, p: &[f64]) -> Result<()> {
    finite(column, p)?;
    match p.iter().position(|&v| !(0.0..=1.0).contains(&v)) {
        None => Ok(()),
        Some(i) => Err(StatsError::OutOfRange {
            column: column.to_string(),
            row: i + 1,
            value: p[i],
            expected: "[0, 1]",
        }),
    }
}
