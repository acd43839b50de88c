//! The reproducibility (ICC) filter: per feature, the ICC of the first
//! outline against each re-outline on the re-outlined subset
//! (= `psych::ICC(cbind(r1, r2, …))`), kept when above the threshold. A
//! feature whose ICC cannot be computed is a reported outcome with its
//! reason, never a silent NaN.

use dlrn_stats::IccForm;
use serde::Serialize;

use crate::error::{Result, StudyError};

/// The ICC form named as psych::ICC names it (ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k).
pub fn icc_form(name: &str) -> Result<IccForm> {
    IccForm::ALL
        .iter()
        .copied()
        .find(|f| f.name() == name)
        .ok_or_else(|| StudyError::Config {
            key: "icc.form".into(),
            message: format!("{name:?} is not one of ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k"),
        })
}

/// The ICC of one feature.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum IccOutcome {
    /// The ICC was computed.
    Value {
        /// The ICC of the chosen form.
        icc: f64,
    },
    /// It could not be (constant or non-finite values, too few subjects): why.
    Failed {
        /// The statistics error, as text.
        reason: String,
    },
    /// Not computed: the study has no re-outlines, so the filter was skipped
    /// and every feature goes on to the LASSO.
    Skipped,
}

/// One feature's ICC and whether it is kept.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IccFeature {
    /// Feature name.
    pub feature: String,
    /// Its ICC, or why there is none.
    pub outcome: IccOutcome,
    /// Kept: an ICC above the threshold (a failed feature is never kept).
    pub kept: bool,
}

/// The ICC filter's result over every feature.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IccFilter {
    /// The form used.
    pub form: String,
    /// The threshold (kept: ICC > threshold).
    pub threshold: f64,
    /// Subjects in the re-outlined subset.
    pub n_subjects: usize,
    /// One entry per feature, in table order.
    pub features: Vec<IccFeature>,
}

impl IccFilter {
    /// The filter of a study without re-outlines: nothing computed, every
    /// feature kept (`n_subjects` 0, which the report and the RQS read as
    /// "no reproducibility analysis").
    pub fn skipped(form: &str, threshold: f64, features: &[String]) -> IccFilter {
        IccFilter {
            form: form.to_string(),
            threshold,
            n_subjects: 0,
            features: features
                .iter()
                .map(|f| IccFeature {
                    feature: f.clone(),
                    outcome: IccOutcome::Skipped,
                    kept: true,
                })
                .collect(),
        }
    }

    /// Whether the filter ran (the study had re-outlines).
    pub fn ran(&self) -> bool {
        self.n_subjects > 0
    }

    /// Names of the kept features, in table order.
    pub fn kept(&self) -> Vec<String> {
        self.features
            .iter()
            .filter(|f| f.kept)
            .map(|f| f.feature.clone())
            .collect()
    }

    /// Features whose ICC failed, with the reason.
    pub fn failed(&self) -> Vec<(&str, &str)> {
        self.features
            .iter()
            .filter_map(|f| match &f.outcome {
                IccOutcome::Failed { reason } => Some((f.feature.as_str(), reason.as_str())),
                IccOutcome::Value { .. } | IccOutcome::Skipped => None,
            })
            .collect()
    }

    /// Supplementary ICC table: features and kept features per family
    /// (`family` names a feature's family), families sorted by name.
    pub fn by_family(&self, family: impl Fn(&str) -> String) -> dlrn_report::IccTable {
        let mut rows: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
        for f in &self.features {
            let e = rows.entry(family(&f.feature)).or_default();
            e.0 += 1;
            e.1 += u64::from(f.kept);
        }
        dlrn_report::IccTable {
            threshold: self.threshold,
            rows: rows
                .into_iter()
                .map(|(family, (total, kept))| dlrn_report::IccKeptRow {
                    family,
                    total,
                    kept,
                })
                .collect(),
        }
    }

    /// `feature,icc,kept,note` CSV (icc `NA` with the reason in `note` when it failed).
    pub fn to_csv(&self) -> String {
        let mut text = String::from("feature,icc,kept,note\n");
        for f in &self.features {
            let (icc, note) = match &f.outcome {
                IccOutcome::Value { icc } => (icc.to_string(), String::new()),
                IccOutcome::Failed { reason } => ("NA".to_string(), csv_quote(reason)),
                IccOutcome::Skipped => ("NA".to_string(), "not computed (no re-outlines)".into()),
            };
            text.push_str(&format!(
                "{},{icc},{},{note}\n",
                f.feature,
                u8::from(f.kept)
            ));
        }
        text
    }
}

fn csv_quote(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One reader's values of every feature on the re-outlined subset.
#[derive(Debug, Clone, PartialEq)]
pub struct Reads {
    /// Reader (re-outline folder) name.
    pub reader: String,
    /// Feature columns, in the same order as the first outline's.
    pub columns: Vec<Vec<f64>>,
}

/// Runs the ICC filter. `names` and `first` are the first outline's feature
/// names and columns restricted to the subset rows (in subset order); each
/// of `reads` holds the same columns from a re-outline.
pub fn icc_filter(
    names: &[String],
    first: &[Vec<f64>],
    reads: &[Reads],
    form: IccForm,
    threshold: f64,
    level: f64,
) -> Result<IccFilter> {
    for r in reads {
        if r.columns.len() != names.len() {
            return Err(StudyError::Shape {
                what: format!("re-outline features of {}", r.reader),
                message: format!("{} columns, expected {}", r.columns.len(), names.len()),
            });
        }
    }
    let n_subjects = first.first().map_or(0, Vec::len);
    let features = names
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let mut raters: Vec<&[f64]> = vec![&first[j]];
            raters.extend(reads.iter().map(|r| r.columns[j].as_slice()));
            let outcome = match dlrn_stats::icc(&raters, level) {
                Ok(t) => IccOutcome::Value {
                    icc: t.get(form).icc,
                },
                Err(e) => IccOutcome::Failed {
                    reason: e.to_string(),
                },
            };
            // An ICC that came out NaN (a zero-variance feature) is a failure too.
            let outcome = match outcome {
                IccOutcome::Value { icc } if !icc.is_finite() => IccOutcome::Failed {
                    reason: format!("the ICC is {icc} (no between-subject variance)"),
                },
                o => o,
            };
            let kept = matches!(outcome, IccOutcome::Value { icc } if icc > threshold);
            IccFeature {
                feature: name.clone(),
                outcome,
                kept,
            }
        })
        .collect();
    Ok(IccFilter {
        form: form.name().to_string(),
        threshold,
        n_subjects,
        features,
    })
}

#[cfg(test)]
mod tests {

    #[test]
    fn skipped_filter_keeps_every_feature_and_says_why() {
        let names = vec!["a".to_string(), "b".to_string()];
        let f = IccFilter::skipped("ICC2", 0.8, &names);
        assert!(!f.ran());
        assert_eq!(f.kept(), names);
        assert!(f.failed().is_empty());
        assert_eq!(
            f.to_csv(),
            "feature,icc,kept,note\na,NA,1,not computed (no re-outlines)\nb,NA,1,not computed (no re-outlines)\n"
        );
    }

    use super::*;

    #[test]
    fn failures_are_reported_not_nan() {
        let names = vec!["a".to_string(), "flat".to_string()];
        let first = vec![vec![1.0, 2.0, 3.0, 4.0], vec![5.0; 4]];
        let reads = vec![Reads {
            reader: "r2".into(),
            columns: vec![vec![1.1, 2.0, 2.9, 4.2], vec![5.0; 4]],
        }];
        let f = icc_filter(&names, &first, &reads, IccForm::Icc2, 0.8, 0.95).unwrap();
        assert_eq!(f.kept(), ["a"]);
        assert_eq!(f.failed().len(), 1);
        assert_eq!(f.failed()[0].0, "flat");
        assert!(f.to_csv().contains("\nflat,NA,0,"));
    }
}
