//! The DLRN's own reproducibility (the paper's Supplementary Table 6): the
//! frozen signature and DLRN applied to each outline of the re-outlined
//! subset (the original masks and every re-outline), and the ICC of the
//! signature score and of the DLRN probability across the outlines
//! (= `psych::ICC(cbind(p_masks, p_reader1_repeat, p_reader2))`, with
//! psych's F-based confidence interval).

use dlrn_cohort::schema::ClinicalSchema;
use dlrn_lasso::SignatureModel;
use dlrn_report::{Reproducibility, ReproducibilityRow};

use crate::error::{Result, StudyError};
use crate::icc::icc_form;
use crate::model::FittedModel;
use crate::pipeline::{Cohort, model_design, signature_scores};

/// The quantities of Supplementary Table 6, in row order.
pub const QUANTITIES: [&str; 2] = ["Signature score", "DLRN probability"];

/// Supplementary Table 6. `outlines` are the same patients, in the same
/// order, outlined each way (the first is the original masks; see
/// [`crate::pipeline::subset_cohort`] and
/// [`crate::pipeline::reoutline_cohort`]); `candidates` are the clinical
/// variables the design codes. A patient missing a DLRN input (a clinical
/// value) is left out of every outline, and the note counts it. Fewer than
/// two outlines, or an ICC that cannot be computed, give a noted row, never
/// a bare NaN.
pub fn dlrn_reproducibility(
    schema: &ClinicalSchema,
    signature: &SignatureModel,
    candidates: &[String],
    dlrn: &FittedModel,
    outlines: &[Cohort],
    form: &str,
    level: f64,
) -> Result<Reproducibility> {
    let form_e = icc_form(form)?;
    if outlines.len() < 2 {
        return Ok(Reproducibility::not_computed(form, level, &QUANTITIES));
    }
    let ids = outlines[0].ids();
    for o in &outlines[1..] {
        if o.ids() != ids {
            return Err(StudyError::Shape {
                what: format!("outline {}", o.name),
                message: format!("other patients than {}", outlines[0].name),
            });
        }
    }
    // Per outline: (signature score, DLRN probability) per patient.
    let mut scores = Vec::with_capacity(outlines.len());
    let mut probs = Vec::with_capacity(outlines.len());
    for o in outlines {
        let s = signature_scores(signature, o)?;
        let d = model_design(schema, o, candidates, &s)?;
        probs.push(dlrn.probabilities(&d)?);
        scores.push(s);
    }
    let names = outlines
        .iter()
        .map(|o| o.name.as_str())
        .collect::<Vec<_>>()
        .join("+");
    let row = |quantity: &str, values: &[Vec<f64>]| {
        let keep: Vec<usize> = (0..ids.len())
            .filter(|&i| values.iter().all(|v| v[i].is_finite()))
            .collect();
        let dropped = ids.len() - keep.len();
        let cols: Vec<Vec<f64>> = values
            .iter()
            .map(|v| keep.iter().map(|&i| v[i]).collect())
            .collect();
        let raters: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
        let mut r = ReproducibilityRow {
            quantity: quantity.to_string(),
            outlines: names.clone(),
            n: keep.len() as u64,
            form: form.to_string(),
            icc: None,
            ci_low: None,
            ci_high: None,
            note: if dropped > 0 {
                format!("{dropped} patients without a value (a missing model input) left out")
            } else {
                String::new()
            },
        };
        match dlrn_stats::icc(&raters, level) {
            Ok(t) => {
                let g = t.get(form_e);
                if g.icc.is_finite() {
                    r.icc = Some(g.icc);
                    r.ci_low = g.ci_low.is_finite().then_some(g.ci_low);
                    r.ci_high = g.ci_high.is_finite().then_some(g.ci_high);
                } else {
                    r.note = join_note(&r.note, "not estimable: no between-patient variance");
                }
            }
            Err(e) => r.note = join_note(&r.note, &format!("not estimable: {e}")),
        }
        r
    };
    Ok(Reproducibility {
        level,
        rows: vec![row(QUANTITIES[0], &scores), row(QUANTITIES[1], &probs)],
    })
}

fn join_note(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}; {b}")
    }
}
