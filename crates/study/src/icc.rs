//! The reproducibility (ICC) filter, with the paper's rule: per feature, the
//! intra-observer ICC (the first outline against the same reader's repeat
//! outlines) and the inter-observer ICC (the first outline against the
//! other readers' outlines), each = `psych::ICC(cbind(first, …))` on the
//! re-outlined subset; a feature is kept when both exceed the threshold. A
//! role without re-outlines is not assessed (the rule then rests on the
//! other); a feature whose ICC cannot be computed is a reported outcome with
//! its reason, never a silent NaN.

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

/// One ICC of one feature (intra- or inter-observer).
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
    /// Not computed: no re-outlines for this role (or none at all, and the
    /// filter was skipped).
    Skipped,
}

impl IccOutcome {
    /// Whether this outcome passes the rule: a value above `threshold`, or a
    /// role not assessed (`Skipped`).
    fn passes(&self, threshold: f64) -> bool {
        match self {
            IccOutcome::Value { icc } => *icc > threshold,
            IccOutcome::Failed { .. } => false,
            IccOutcome::Skipped => true,
        }
    }

    /// The ICC, or NaN (printed `NA`) when it failed or was not assessed.
    fn value(&self) -> f64 {
        match self {
            IccOutcome::Value { icc } => *icc,
            IccOutcome::Failed { .. } | IccOutcome::Skipped => f64::NAN,
        }
    }
}

/// One feature's intra- and inter-observer ICC and whether it is kept.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IccFeature {
    /// Feature name.
    pub feature: String,
    /// Intra-observer ICC (first outline vs the same reader's repeat), or why there is none.
    pub intra: IccOutcome,
    /// Inter-observer ICC (first outline vs the other readers), or why there is none.
    pub inter: IccOutcome,
    /// Kept: both assessed ICCs above the threshold (a failed ICC is never kept).
    pub kept: bool,
}

impl IccFeature {
    /// Why the feature is kept or dropped, in words (the `reason` column of icc.csv).
    pub fn reason(&self, threshold: f64) -> String {
        if matches!(
            (&self.intra, &self.inter),
            (IccOutcome::Skipped, IccOutcome::Skipped)
        ) {
            return "not computed (no re-outlines)".into();
        }
        let mut why = Vec::new();
        for (role, o) in [("intra", &self.intra), ("inter", &self.inter)] {
            match o {
                IccOutcome::Value { icc } if *icc > threshold => {}
                IccOutcome::Value { .. } => why.push(format!("{role} ICC <= {threshold}")),
                IccOutcome::Failed { reason } => why.push(format!("{role} ICC failed: {reason}")),
                IccOutcome::Skipped => {}
            }
        }
        let assessed: Vec<&str> = [("intra", &self.intra), ("inter", &self.inter)]
            .iter()
            .filter(|(_, o)| !matches!(o, IccOutcome::Skipped))
            .map(|(r, _)| *r)
            .collect();
        if why.is_empty() {
            if assessed.len() == 2 {
                format!("kept: intra and inter ICC > {threshold}")
            } else {
                format!(
                    "kept: {} ICC > {threshold} (no {} re-outlines)",
                    assessed[0],
                    if assessed[0] == "intra" {
                        "inter"
                    } else {
                        "intra"
                    }
                )
            }
        } else {
            format!("dropped: {}", why.join("; "))
        }
    }
}

/// The ICC filter's result over every feature.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IccFilter {
    /// The form used.
    pub form: String,
    /// The threshold (kept: ICC > threshold, intra and inter).
    pub threshold: f64,
    /// Subjects in the re-outlined subset.
    pub n_subjects: usize,
    /// Intra-observer re-outline folders (the first outline's reader again).
    pub intra_readers: Vec<String>,
    /// Inter-observer re-outline folders (other readers).
    pub inter_readers: Vec<String>,
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
            intra_readers: Vec::new(),
            inter_readers: Vec::new(),
            features: features
                .iter()
                .map(|f| IccFeature {
                    feature: f.clone(),
                    intra: IccOutcome::Skipped,
                    inter: IccOutcome::Skipped,
                    kept: true,
                })
                .collect(),
        }
    }

    /// Whether the filter ran (the study had re-outlines).
    pub fn ran(&self) -> bool {
        self.n_subjects > 0
    }

    /// The rule in words, for the report (names the readers of each role).
    pub fn rule(&self) -> String {
        let role = |readers: &[String], what: &str| {
            if readers.is_empty() {
                format!("{what}: not assessed (no re-outlines)")
            } else {
                format!("{what}: masks vs {}", readers.join(" + "))
            }
        };
        format!(
            "a feature is kept when both its intra-observer and its inter-observer {} exceed {} \
             ({}; {}; n = {} re-outlined patients; psych::ICC)",
            self.form,
            self.threshold,
            role(&self.intra_readers, "intra-observer"),
            role(&self.inter_readers, "inter-observer"),
            self.n_subjects
        )
    }

    /// Names of the kept features, in table order.
    pub fn kept(&self) -> Vec<String> {
        self.features
            .iter()
            .filter(|f| f.kept)
            .map(|f| f.feature.clone())
            .collect()
    }

    /// Features with an ICC that failed, with the reason (the intra one first).
    pub fn failed(&self) -> Vec<(&str, &str)> {
        self.features
            .iter()
            .filter_map(|f| {
                [&f.intra, &f.inter].into_iter().find_map(|o| match o {
                    IccOutcome::Failed { reason } => Some((f.feature.as_str(), reason.as_str())),
                    IccOutcome::Value { .. } | IccOutcome::Skipped => None,
                })
            })
            .collect()
    }

    /// Supplementary ICC table: per family, the features, those with intra
    /// and with inter ICC above the threshold, and those kept (both);
    /// `family` names a feature's family, families sorted by name.
    pub fn by_family(&self, family: impl Fn(&str) -> String) -> dlrn_report::IccTable {
        let mut rows: std::collections::BTreeMap<String, [u64; 4]> = Default::default();
        for f in &self.features {
            let e = rows.entry(family(&f.feature)).or_default();
            e[0] += 1;
            e[1] += u64::from(matches!(f.intra, IccOutcome::Value { icc } if icc > self.threshold));
            e[2] += u64::from(matches!(f.inter, IccOutcome::Value { icc } if icc > self.threshold));
            e[3] += u64::from(f.kept);
        }
        dlrn_report::IccTable {
            threshold: self.threshold,
            form: self.form.clone(),
            rule: self.rule(),
            rows: rows
                .into_iter()
                .map(
                    |(family, [total, intra_above, inter_above, kept])| dlrn_report::IccKeptRow {
                        family,
                        total,
                        intra_above,
                        inter_above,
                        kept,
                    },
                )
                .collect(),
        }
    }

    /// Every feature's row of icc.csv, as dlrn-report prints it.
    pub fn features_table(&self) -> dlrn_report::IccFeatures {
        dlrn_report::IccFeatures {
            rows: self
                .features
                .iter()
                .map(|f| dlrn_report::IccFeatureRow {
                    feature: f.feature.clone(),
                    icc_intra: f.intra.value(),
                    icc_inter: f.inter.value(),
                    kept: f.kept,
                    reason: f.reason(self.threshold),
                })
                .collect(),
        }
    }

    /// `feature,icc_intra,icc_inter,kept,reason` CSV (an ICC is `NA` when
    /// it failed or was not assessed; `reason` says which and why).
    pub fn to_csv(&self) -> Result<String> {
        Ok(self.features_table().to_csv()?)
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

/// The ICC of one feature column over the first outline and `reads`'
/// column `j` (`Skipped` when `reads` is empty).
fn role_icc(first: &[f64], reads: &[Reads], j: usize, form: IccForm, level: f64) -> IccOutcome {
    if reads.is_empty() {
        return IccOutcome::Skipped;
    }
    let mut raters: Vec<&[f64]> = vec![first];
    raters.extend(reads.iter().map(|r| r.columns[j].as_slice()));
    match dlrn_stats::icc(&raters, level) {
        Ok(t) => {
            let icc = t.get(form).icc;
            if icc.is_finite() {
                IccOutcome::Value { icc }
            } else {
                // An ICC that came out NaN (a zero-variance feature) is a failure too.
                IccOutcome::Failed {
                    reason: format!("the ICC is {icc} (no between-subject variance)"),
                }
            }
        }
        Err(e) => IccOutcome::Failed {
            reason: e.to_string(),
        },
    }
}

/// Runs the ICC filter with the paper's rule. `names` and `first` are the
/// first outline's feature names and columns restricted to the subset rows
/// (in subset order); `intra` holds the same reader's repeat outlines,
/// `inter` the other readers' (each the same columns, same rows). A feature
/// is kept when both its intra ICC = `psych::ICC(cbind(first, intra…))` and
/// its inter ICC = `psych::ICC(cbind(first, inter…))` of `form` exceed
/// `threshold`; an empty role is not assessed.
pub fn icc_filter(
    names: &[String],
    first: &[Vec<f64>],
    intra: &[Reads],
    inter: &[Reads],
    form: IccForm,
    threshold: f64,
    level: f64,
) -> Result<IccFilter> {
    if intra.is_empty() && inter.is_empty() {
        return Ok(IccFilter::skipped(form.name(), threshold, names));
    }
    for r in intra.iter().chain(inter) {
        if r.columns.len() != names.len() {
            return Err(StudyError::Shape {
                what: format!("re-outline features of {}", r.reader),
                message: format!("{} columns, expected {}", r.columns.len(), names.len()),
            });
        }
    }
    if first.len() != names.len() {
        return Err(StudyError::Shape {
            what: "first outline's features".into(),
            message: format!("{} columns, expected {}", first.len(), names.len()),
        });
    }
    let n_subjects = first.first().map_or(0, Vec::len);
    let features = names
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let intra_icc = role_icc(&first[j], intra, j, form, level);
            let inter_icc = role_icc(&first[j], inter, j, form, level);
            let kept = intra_icc.passes(threshold) && inter_icc.passes(threshold);
            IccFeature {
                feature: name.clone(),
                intra: intra_icc,
                inter: inter_icc,
                kept,
            }
        })
        .collect();
    Ok(IccFilter {
        form: form.name().to_string(),
        threshold,
        n_subjects,
        intra_readers: intra.iter().map(|r| r.reader.clone()).collect(),
        inter_readers: inter.iter().map(|r| r.reader.clone()).collect(),
        features,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipped_filter_keeps_every_feature_and_says_why() {
        let names = vec!["a".to_string(), "b".to_string()];
        let f = IccFilter::skipped("ICC2", 0.8, &names);
        assert!(!f.ran());
        assert_eq!(f.kept(), names);
        assert!(f.failed().is_empty());
        assert_eq!(
            f.to_csv().unwrap(),
            "feature,icc_intra,icc_inter,kept,reason\na,NA,NA,1,not computed (no re-outlines)\nb,NA,NA,1,not computed (no re-outlines)\n"
        );
    }

    #[test]
    fn failures_are_reported_not_nan() {
        let names = vec!["a".to_string(), "flat".to_string()];
        let first = vec![vec![1.0, 2.0, 3.0, 4.0], vec![5.0; 4]];
        let reads = |name: &str| Reads {
            reader: name.into(),
            columns: vec![vec![1.1, 2.0, 2.9, 4.2], vec![5.0; 4]],
        };
        let f = icc_filter(
            &names,
            &first,
            &[reads("r1b")],
            &[reads("r2")],
            IccForm::Icc2,
            0.8,
            0.95,
        )
        .unwrap();
        assert_eq!(f.kept(), ["a"]);
        assert_eq!(f.failed().len(), 1);
        assert_eq!(f.failed()[0].0, "flat");
        assert!(
            f.to_csv()
                .unwrap()
                .contains("\nflat,NA,NA,0,dropped: intra ICC failed:")
        );
    }

    #[test]
    fn one_role_without_reoutlines_is_not_assessed() {
        let names = vec!["a".to_string()];
        let first = vec![vec![1.0, 2.0, 3.0, 4.0]];
        let r2 = Reads {
            reader: "r2".into(),
            columns: vec![vec![1.1, 2.0, 2.9, 4.2]],
        };
        let f = icc_filter(&names, &first, &[], &[r2], IccForm::Icc2, 0.8, 0.95).unwrap();
        assert!(f.ran());
        assert_eq!(f.kept(), ["a"]);
        assert_eq!(f.features[0].intra, IccOutcome::Skipped);
        assert!(
            f.to_csv()
                .unwrap()
                .contains(",kept: inter ICC > 0.8 (no intra re-outlines)")
        );
        assert!(f.rule().contains("intra-observer: not assessed"));
    }
}
