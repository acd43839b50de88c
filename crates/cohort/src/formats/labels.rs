//! Lesion masks from label maps (raster and NIfTI), and the mask errors
//! every mask format raises.
//!
//! Label rule (raster and NIfTI): with `label` given, lesion = pixels equal to
//! it; without, the mask must hold exactly one non-zero value. Several
//! non-zero values without a label is an error that counts them, and so is a
//! mask whose values look like lossy compression or anti-aliasing (see
//! [`check_lossy`]), whatever the label.

use std::collections::BTreeMap;
use std::path::Path;

use crate::CohortError;
use crate::pixels::Mask;

/// A mask error naming the file.
pub(crate) fn mask_error(path: &Path, message: impl Into<String>) -> CohortError {
    CohortError::Mask {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Formats value counts as `v (n px)`, at most 12 of them.
pub(crate) fn describe(counts: &BTreeMap<i64, usize>) -> String {
    let mut parts: Vec<String> = counts
        .iter()
        .take(12)
        .map(|(v, n)| format!("{v} ({n} px)"))
        .collect();
    if counts.len() > 12 {
        parts.push(format!("… {} more", counts.len() - 12));
    }
    parts.join(", ")
}

/// Refuses values that look like lossy compression or anti-aliasing. With
/// the two most frequent values `a < b`, the values strictly between them
/// are the fringe; the mask is refused when the fringe holds 8 or more
/// distinct values (a 0/255 mask saved as JPEG by Pillow at quality 75 has
/// 52, see tests/formats.rs), or 3 or more on under 5 % of the pixels (a thin
/// smoothed outline). A label map has few labels, rarely between its two
/// commonest values.
pub(crate) fn check_lossy(path: &Path, counts: &BTreeMap<i64, usize>) -> Result<(), CohortError> {
    if counts.len() < 5 {
        return Ok(());
    }
    let total: usize = counts.values().sum();
    let mut by_count: Vec<(i64, usize)> = counts.iter().map(|(&v, &n)| (v, n)).collect();
    by_count.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    let (a, b) = {
        let (p, q) = (by_count[0].0, by_count[1].0);
        (p.min(q), p.max(q))
    };
    let between: Vec<(i64, usize)> = counts.range(a + 1..b).map(|(&v, &n)| (v, n)).collect();
    let fringe: usize = between.iter().map(|(_, n)| n).sum();
    if between.len() >= 8 || (between.len() >= 3 && (fringe as f64) < 0.05 * total as f64) {
        return Err(mask_error(
            path,
            format!(
                "mask has {} distinct values, {} of them between the main values {a} and {b} on {fringe} pixel(s): \
                 this looks like lossy compression (e.g. a mask saved as JPEG) or anti-aliasing; \
                 save the mask losslessly (PNG, TIFF, NIfTI) with one value per label",
                counts.len(),
                between.len()
            ),
        ));
    }
    Ok(())
}

/// Turns a label map into a mask by the label rule (module docs).
pub(crate) fn select_label(
    path: &Path,
    width: usize,
    height: usize,
    values: &[i64],
    label: Option<u64>,
) -> Result<Mask, CohortError> {
    let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
    for &v in values {
        *counts.entry(v).or_default() += 1;
    }
    check_lossy(path, &counts)?;
    let nonzero: BTreeMap<i64, usize> = counts
        .iter()
        .filter(|(v, _)| **v != 0)
        .map(|(&v, &n)| (v, n))
        .collect();
    let target: i64 = match label {
        Some(l) => {
            let l = l as i64;
            if !counts.contains_key(&l) {
                return Err(mask_error(
                    path,
                    format!(
                        "label {l} (--mask-label) does not occur in the mask; its values are {}",
                        describe(&counts)
                    ),
                ));
            }
            l
        }
        None => match nonzero.len() {
            0 => {
                // An empty mask: validation reports it; extraction refuses it.
                return Ok(Mask {
                    width,
                    height,
                    pixels: vec![false; values.len()],
                });
            }
            1 => *nonzero.keys().next().unwrap_or(&1),
            n => {
                return Err(mask_error(
                    path,
                    format!(
                        "mask has {n} distinct non-zero values ({}) and no label chosen: say which is the lesion with --mask-label",
                        describe(&nonzero)
                    ),
                ));
            }
        },
    };
    Ok(Mask {
        width,
        height,
        pixels: values.iter().map(|&v| v == target).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_rule_counts_values() {
        let p = Path::new("m.png");
        // One non-zero value: it is the lesion.
        let m = select_label(p, 3, 1, &[0, 7, 7], None).unwrap();
        assert_eq!(m.pixels, vec![false, true, true]);
        // Two non-zero values and no label: an error naming both with counts.
        let e = select_label(p, 4, 1, &[0, 1, 2, 2], None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("m.png")
                && e.contains("2 distinct non-zero values")
                && e.contains("2 (2 px)"),
            "{e}"
        );
        // With a label, that value only.
        let m = select_label(p, 4, 1, &[0, 1, 2, 2], Some(1)).unwrap();
        assert_eq!(m.pixels, vec![false, true, false, false]);
        let e = select_label(p, 4, 1, &[0, 1, 2, 2], Some(5))
            .unwrap_err()
            .to_string();
        assert!(e.contains("label 5") && e.contains("does not occur"), "{e}");
    }

    #[test]
    fn jpeg_like_fringe_is_refused_even_with_a_label() {
        // 0/255 mask with a thin fringe of 5 intermediate levels (1 px each)
        // among 200 pixels, as a JPEG-saved outline has.
        let mut v = vec![0i64; 100];
        v.extend(vec![255i64; 95]);
        v.extend([3, 9, 120, 240, 251]);
        let e = select_label(Path::new("m.jpg"), 200, 1, &v, Some(255))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("lossy compression") && e.contains("7 distinct values"),
            "{e}"
        );
        // A label map with a few large labels is not.
        let mut l = vec![0i64; 50];
        for k in 1..=5 {
            l.extend(vec![k; 30]);
        }
        assert!(select_label(Path::new("l.png"), 200, 1, &l, Some(3)).is_ok());
    }
}
