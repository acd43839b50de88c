//! The study's missing-value policy, in one place (the config's `[missing]`).
//!
//! Features (per training cohort): a feature undefined (NaN or ±∞) in more
//! than `feature_max_share` of the training patients is dropped before the
//! LASSO; every other feature's undefined values, in every cohort, are
//! replaced by its training median. Clinical variables: `complete_case`
//! (R's `na.omit` in every fit, as the paper did) or `impute` (training
//! median of a numeric variable, training mode of a categorical one, in the
//! fits too). Whatever the fitting rule, a patient is scored as the frozen
//! bundle scores a new one: a missing value of a model input is replaced by
//! the stored training value, and counted. `rules` overrides the rule of
//! one named feature or variable. Every replacement is counted per cohort
//! and input for the report's missing-data table.
//!
//! Why these defaults. A feature undefined for a few lesions (texture of a
//! tiny lesion, a margin measure of a lesion touching the border) carries
//! information for the rest: dropping it would let one odd lesion remove a
//! feature, and dropping the patient would bias the LASSO towards easy
//! lesions. A median fitted on the training cohort only, and frozen in the
//! bundle, is a single value a new patient can be scored with, changes no
//! patient with a defined value and is robust to the skewed features
//! radiomics produces; above 10% undefined a feature's imputed values would
//! become a cluster of their own, so the feature is dropped instead. Clinical
//! variables stay complete case in the fits by default, as the paper's R
//! (`glm`'s `na.action = na.omit`) did, so the default study reproduces it:
//! single imputation in a fitted model understates the standard errors,
//! and the numbers dropped are reported with each fit. At scoring time a
//! missing model input is filled with the stored training value, with a
//! warning naming it (`--strict` refuses instead): a validation cohort is
//! then scored exactly as the deployed model would score it.

use std::collections::BTreeMap;

use dlrn_cohort::schema::{ClinicalData, ClinicalSchema, VariableColumn};
use serde::{Deserialize, Serialize};

use crate::error::{Result, StudyError};
use crate::pipeline::FeatureTable;

/// The default share of training patients above which an undefined feature
/// is dropped rather than imputed (10%: a median stands in for a handful of
/// undefined values without flattening the feature's distribution).
pub const DEFAULT_FEATURE_MAX_SHARE: f64 = 0.10;

/// A rule for one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Replace by the training median (features, numeric variables).
    Median,
    /// Replace by the training mode (categorical variables).
    Mode,
    /// Leave the feature out of the study (features).
    Drop,
    /// Leave the patient out of each fit using the variable (clinical variables).
    CompleteCase,
}

impl Rule {
    /// As configs spell it.
    pub fn name(self) -> &'static str {
        match self {
            Rule::Median => "median",
            Rule::Mode => "mode",
            Rule::Drop => "drop",
            Rule::CompleteCase => "complete_case",
        }
    }
}

/// How clinical variables with a missing value enter the fits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClinicalRule {
    /// R's `na.omit`: the patient is left out of each fit using the variable.
    #[default]
    CompleteCase,
    /// Training median (numeric) or mode (categorical), in the fits too.
    Impute,
}

/// The `[missing]` section of a study config (every key optional).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MissingSettings {
    /// Drop a feature undefined in more than this share of the training patients.
    pub feature_max_share: f64,
    /// Clinical variables in the fits.
    pub clinical: ClinicalRule,
    /// Per feature or variable: a rule overriding the defaults.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub rules: BTreeMap<String, Rule>,
}

impl Default for MissingSettings {
    fn default() -> Self {
        MissingSettings {
            feature_max_share: DEFAULT_FEATURE_MAX_SHARE,
            clinical: ClinicalRule::CompleteCase,
            rules: BTreeMap::new(),
        }
    }
}

fn config(key: &str, message: String) -> StudyError {
    StudyError::Config {
        key: format!("missing.{key}"),
        message,
    }
}

impl MissingSettings {
    /// Checks the settings against the study: a share in [0, 1], every rule
    /// naming a feature of the training table or a declared clinical
    /// variable, with a rule that fits it.
    pub fn check(&self, features: &[String], schema: &ClinicalSchema) -> Result<()> {
        if !(0.0..=1.0).contains(&self.feature_max_share) {
            return Err(config(
                "feature_max_share",
                format!("{} is not a share in [0, 1]", self.feature_max_share),
            ));
        }
        for (name, rule) in &self.rules {
            if let Some(v) = schema.variable(name) {
                let ok = match rule {
                    Rule::CompleteCase => true,
                    Rule::Median => v.is_numeric(),
                    Rule::Mode => !v.is_numeric(),
                    Rule::Drop => false,
                };
                if !ok {
                    return Err(config(
                        &format!("rules.{name}"),
                        format!(
                            "{:?} does not apply to the {} clinical variable `{name}` (use {})",
                            rule.name(),
                            if v.is_numeric() {
                                "numeric"
                            } else {
                                "categorical"
                            },
                            if v.is_numeric() {
                                "\"median\" or \"complete_case\""
                            } else {
                                "\"mode\" or \"complete_case\""
                            }
                        ),
                    ));
                }
            } else if features.iter().any(|f| f == name) {
                if !matches!(rule, Rule::Median | Rule::Drop) {
                    return Err(config(
                        &format!("rules.{name}"),
                        format!(
                            "{:?} does not apply to the feature `{name}` (use \"median\" or \"drop\")",
                            rule.name()
                        ),
                    ));
                }
            } else {
                return Err(config(
                    &format!("rules.{name}"),
                    format!(
                        "`{name}` is neither a feature of the training table nor a declared clinical variable"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Checks what can be checked before any feature exists: the share in
    /// [0, 1] and every rule naming an input `known` accepts (a feature
    /// column or a clinical candidate).
    pub fn check_names(&self, known: impl Fn(&str) -> bool) -> Result<()> {
        if !(0.0..=1.0).contains(&self.feature_max_share) {
            return Err(config(
                "feature_max_share",
                format!("{} is not a share in [0, 1]", self.feature_max_share),
            ));
        }
        if let Some(name) = self.rules.keys().find(|n| !known(n)) {
            return Err(config(
                &format!("rules.{name}"),
                format!(
                    "`{name}` is neither a feature (the 544 handcrafted columns, f_1..f_2048) \
                     nor a clinical candidate"
                ),
            ));
        }
        Ok(())
    }

    /// The rule of a clinical variable: its own, else the section's.
    pub fn clinical_rule(&self, schema: &ClinicalSchema, name: &str) -> Rule {
        match (self.rules.get(name), self.clinical) {
            (Some(r), _) => *r,
            (None, ClinicalRule::CompleteCase) => Rule::CompleteCase,
            (None, ClinicalRule::Impute) => match schema.variable(name) {
                Some(v) if !v.is_numeric() => Rule::Mode,
                _ => Rule::Median,
            },
        }
    }

    /// The stated rule in one sentence, for the report and the TRIPOD+AI checklist.
    pub fn describe(&self) -> String {
        let clinical = match self.clinical {
            ClinicalRule::CompleteCase => {
                "clinical variables: complete case in every fit (R's na.omit)".to_string()
            }
            ClinicalRule::Impute => {
                "clinical variables: training median (numeric) or mode (categorical), in the fits too"
                    .to_string()
            }
        };
        let rules = if self.rules.is_empty() {
            String::new()
        } else {
            format!(
                "; per input: {}",
                self.rules
                    .iter()
                    .map(|(k, r)| format!("{k} = {}", r.name()))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        format!(
            "Features: dropped when undefined in more than {}% of the training patients, \
             else undefined values replaced by the training median; {clinical}{rules}. \
             A patient is scored as the model bundle scores one: a missing model input is \
             replaced by the stored training value and counted.",
            100.0 * self.feature_max_share
        )
    }
}

/// The median of the finite values (R's `median(x, na.rm = TRUE)`).
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// A feature left out of the study.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DroppedFeature {
    /// Feature name.
    pub feature: String,
    /// Training patients with an undefined value.
    pub undefined: usize,
    /// Why.
    pub reason: String,
}

/// The feature half of the policy, fitted on the training cohort.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureImputation {
    /// Training patients.
    pub n_training: usize,
    /// Features left out (share above the limit, or a `drop` rule).
    pub dropped: Vec<DroppedFeature>,
    /// The training median of every other candidate feature.
    pub medians: BTreeMap<String, f64>,
}

impl FeatureImputation {
    /// The candidates that stay, in candidate order.
    pub fn kept(&self, candidates: &[String]) -> Vec<String> {
        candidates
            .iter()
            .filter(|c| self.medians.contains_key(c.as_str()))
            .cloned()
            .collect()
    }
}

/// Fits the feature rule on the training table over `candidates` (the
/// features the ICC filter kept). A feature undefined for every training
/// patient is an error naming every such feature, unless a `drop` rule
/// names it: it carries nothing to learn or impute from, and a whole column
/// without a value points at its extraction (a column of another table, a
/// mask that misses every lesion's margin), which an analyst looks at
/// before fitting rather than finds later as one more dropped feature.
pub fn feature_imputation(
    training: &FeatureTable,
    candidates: &[String],
    settings: &MissingSettings,
) -> Result<FeatureImputation> {
    let n = training.ids.len();
    let mut dropped = Vec::new();
    let mut medians = BTreeMap::new();
    let mut never_defined = Vec::new();
    for name in candidates {
        let col = training
            .column(name)
            .ok_or_else(|| StudyError::MissingColumn {
                column: name.clone(),
            })?;
        let undefined = col.iter().filter(|v| !v.is_finite()).count();
        let rule = settings.rules.get(name).copied();
        if rule == Some(Rule::Drop) {
            dropped.push(DroppedFeature {
                feature: name.clone(),
                undefined,
                reason: "rule: drop".into(),
            });
            continue;
        }
        if rule.is_none() && n > 0 && undefined == n {
            never_defined.push(name.as_str());
            continue;
        }
        let share = if n == 0 {
            0.0
        } else {
            undefined as f64 / n as f64
        };
        if rule.is_none() && share > settings.feature_max_share {
            dropped.push(DroppedFeature {
                feature: name.clone(),
                undefined,
                reason: format!(
                    "undefined in {undefined} of {n} training patients (more than {}%)",
                    100.0 * settings.feature_max_share
                ),
            });
            continue;
        }
        let m = median(col).ok_or_else(|| StudyError::Shape {
            what: format!("feature `{name}`"),
            message: format!(
                "undefined for every training patient ({undefined} of {n}): no median to impute"
            ),
        })?;
        medians.insert(name.clone(), m);
    }
    if let Some(first) = never_defined.first() {
        let shown: Vec<String> = never_defined
            .iter()
            .take(10)
            .map(|f| format!("`{f}`"))
            .collect();
        return Err(StudyError::Config {
            key: "missing.rules".into(),
            message: format!(
                "{} feature(s) undefined (NaN) for every one of the {n} training patients: {}{}; \
                 there is no value to learn from or impute with. Check how these columns were \
                 extracted, or leave them out on purpose with [missing] rules = {{ {first} = \"drop\" }}",
                never_defined.len(),
                shown.join(", "),
                if never_defined.len() > shown.len() {
                    format!(" and {} more", never_defined.len() - shown.len())
                } else {
                    String::new()
                }
            ),
        });
    }
    Ok(FeatureImputation {
        n_training: n,
        dropped,
        medians,
    })
}

/// Replaces every undefined value of an imputed feature in `table` by its
/// training median; returns (feature, count) for the features touched.
pub fn impute_features(table: &mut FeatureTable, imp: &FeatureImputation) -> Vec<(String, usize)> {
    let mut counts = Vec::new();
    for (name, col) in table.names.iter().zip(table.columns.iter_mut()) {
        let Some(&m) = imp.medians.get(name) else {
            continue;
        };
        let mut k = 0;
        for v in col.iter_mut().filter(|v| !v.is_finite()) {
            *v = m;
            k += 1;
        }
        if k > 0 {
            counts.push((name.clone(), k));
        }
    }
    counts
}

pub use dlrn_bundle::ClinicalValue;

/// The training median (numeric) or mode (categorical; ties to the level
/// declared first) of each of `variables`. A variable with no value in the
/// training cohort has none and is left out.
pub fn clinical_values(
    schema: &ClinicalSchema,
    training: &ClinicalData,
    variables: &[String],
) -> Result<BTreeMap<String, ClinicalValue>> {
    let mut out = BTreeMap::new();
    for name in variables {
        let (j, v) = crate::coding::declared_variable(schema, name)?;
        let value = match training.columns.get(j) {
            Some(VariableColumn::Numbers(x)) => {
                median(&x.iter().map(|v| v.unwrap_or(f64::NAN)).collect::<Vec<_>>())
                    .map(ClinicalValue::Number)
            }
            Some(VariableColumn::Levels(x)) => {
                let levels = v.levels();
                let mut counts = vec![0usize; levels.len()];
                for k in x.iter().flatten() {
                    if let Some(c) = counts.get_mut(*k) {
                        *c += 1;
                    }
                }
                let best = counts.iter().copied().max().unwrap_or(0);
                (best > 0)
                    .then(|| counts.iter().position(|&c| c == best))
                    .flatten()
                    .map(|k| ClinicalValue::Level(levels[k].clone()))
            }
            None => None,
        };
        if let Some(value) = value {
            out.insert(name.clone(), value);
        }
    }
    Ok(out)
}

/// `data` with the missing values of `variables` replaced by `values`
/// (variables without a stored value are left as they are); returns the
/// filled table and (variable, count) for the variables touched.
pub fn impute_clinical(
    schema: &ClinicalSchema,
    data: &ClinicalData,
    values: &BTreeMap<String, ClinicalValue>,
    variables: &[String],
) -> Result<(ClinicalData, Vec<(String, usize)>)> {
    let mut out = data.clone();
    let mut counts = Vec::new();
    for name in variables {
        let Some(value) = values.get(name) else {
            continue;
        };
        let (j, v) = crate::coding::declared_variable(schema, name)?;
        let mut k = 0;
        match (out.columns.get_mut(j), value) {
            (Some(VariableColumn::Numbers(x)), ClinicalValue::Number(m)) => {
                for c in x.iter_mut().filter(|c| c.is_none()) {
                    *c = Some(*m);
                    k += 1;
                }
            }
            (Some(VariableColumn::Levels(x)), ClinicalValue::Level(l)) => {
                let level = v.parse_level(l).ok_or_else(|| StudyError::Coding {
                    variable: name.clone(),
                    message: format!("stored value {l:?} is not one of its levels"),
                })?;
                for c in x.iter_mut().filter(|c| c.is_none()) {
                    *c = Some(level);
                    k += 1;
                }
            }
            _ => {
                return Err(StudyError::Coding {
                    variable: name.clone(),
                    message: format!("stored value {value} does not fit its kind"),
                });
            }
        }
        if k > 0 {
            counts.push((name.clone(), k));
        }
    }
    Ok((out, counts))
}

/// Missing values of each of `variables` in a clinical table.
pub fn clinical_missing(
    schema: &ClinicalSchema,
    data: &ClinicalData,
    variables: &[String],
) -> Result<Vec<(String, usize)>> {
    let mut out = Vec::new();
    for name in variables {
        let (j, _) = crate::coding::declared_variable(schema, name)?;
        let k = match data.columns.get(j) {
            Some(c) => (0..c.len()).filter(|&i| c.is_missing(i)).count(),
            None => 0,
        };
        out.push((name.clone(), k));
    }
    Ok(out)
}

/// One row of the report's missing-data table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MissingRow {
    /// Cohort.
    pub cohort: String,
    /// Feature or clinical variable.
    pub input: String,
    /// `feature` or `clinical`.
    pub kind: String,
    /// Patients with the value undefined or missing.
    pub missing: usize,
    /// Patients in the cohort.
    pub n: usize,
    /// What was done.
    pub rule: String,
}

/// The report's missing-data table: the stated rule and one row per
/// (cohort, input) with a missing value.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct MissingReport {
    /// The rule in words ([`MissingSettings::describe`]).
    pub rule: String,
    /// The rows, in the order added.
    pub rows: Vec<MissingRow>,
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

impl MissingReport {
    /// Adds a row.
    pub fn push(
        &mut self,
        cohort: &str,
        input: &str,
        kind: &str,
        missing: usize,
        n: usize,
        rule: String,
    ) {
        self.rows.push(MissingRow {
            cohort: cohort.into(),
            input: input.into(),
            kind: kind.into(),
            missing,
            n,
            rule,
        });
    }

    /// `cohort,input,kind,missing,n,rule` CSV.
    pub fn to_csv(&self) -> String {
        let mut t = String::from("cohort,input,kind,missing,n,rule\n");
        for r in &self.rows {
            t.push_str(&format!(
                "{},{},{},{},{},{}\n",
                csv_cell(&r.cohort),
                csv_cell(&r.input),
                r.kind,
                r.missing,
                r.n,
                csv_cell(&r.rule)
            ));
        }
        t
    }

    /// The table as the report prints it.
    pub fn display(&self) -> dlrn_report::TextTable {
        dlrn_report::TextTable {
            header: ["Cohort", "Input", "Kind", "Missing, n (%)", "n", "Rule"]
                .iter()
                .map(|h| h.to_string())
                .collect(),
            rows: self
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.cohort.clone(),
                        r.input.clone(),
                        r.kind.clone(),
                        // Table 1's count (percent), half away from zero.
                        dlrn_report::format::count_percent(
                            r.missing as u64,
                            if r.n > 0 {
                                100.0 * r.missing as f64 / r.n as f64
                            } else {
                                0.0
                            },
                        ),
                        r.n.to_string(),
                        r.rule.clone(),
                    ]
                })
                .collect(),
        }
    }

    /// Writes `missing_data.csv` and `missing_data.md` (the rule above the
    /// table) into `dir` and returns the report section and the files.
    pub fn write(
        &self,
        dir: &std::path::Path,
    ) -> Result<(dlrn_report::Section, Vec<std::path::PathBuf>)> {
        let csv = dir.join("missing_data.csv");
        let md = dir.join("missing_data.md");
        let io = |path: &std::path::Path| {
            let path = path.to_path_buf();
            move |source| StudyError::Io { path, source }
        };
        std::fs::write(&csv, self.to_csv()).map_err(io(&csv))?;
        let mut text = format!(
            "{}

",
            self.rule
        );
        if self.rows.is_empty() {
            text.push_str("No value was missing or undefined.\n");
        } else {
            text.push_str(&self.display().to_markdown());
        }
        std::fs::write(&md, text).map_err(io(&md))?;
        let mut items = vec![dlrn_report::Item::Text {
            text: self.rule.clone(),
        }];
        if self.rows.is_empty() {
            items.push(dlrn_report::Item::Text {
                text: "No value was missing or undefined in any cohort.".into(),
            });
        } else {
            items.push(dlrn_report::Item::Table {
                caption: "Missing and undefined values per cohort and input, and the rule applied"
                    .into(),
                table: self.display(),
                csv: Some("missing_data.csv".into()),
            });
        }
        Ok((
            dlrn_report::Section {
                title: "Missing data".into(),
                items,
            },
            vec![csv, md],
        ))
    }

    /// One sentence for the TRIPOD+AI missing-data item: the rule and the counts.
    pub fn summary(&self) -> String {
        let values: usize = self.rows.iter().map(|r| r.missing).sum();
        let mut inputs: Vec<&str> = self.rows.iter().map(|r| r.input.as_str()).collect();
        inputs.sort_unstable();
        inputs.dedup();
        if inputs.is_empty() {
            format!("{} No value was missing or undefined.", self.rule)
        } else {
            format!(
                "{} {values} missing or undefined values in {} inputs ({}); per cohort in missing_data.md.",
                self.rule,
                inputs.len(),
                inputs.join(", ")
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_is_rs_median_with_na_rm() {
        // R: median(c(3, 1, NA, 2)) with na.rm = TRUE is 2; median(c(4, 1, 3, 2)) is 2.5.
        assert_eq!(median(&[3.0, 1.0, f64::NAN, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[f64::NAN, f64::INFINITY]), None);
    }

    fn table(cols: Vec<(&str, Vec<f64>)>) -> FeatureTable {
        let n = cols[0].1.len();
        FeatureTable {
            ids: (0..n).map(|i| format!("P{i}")).collect(),
            labels: Some(vec![0; n]),
            names: cols.iter().map(|c| c.0.to_string()).collect(),
            columns: cols.into_iter().map(|c| c.1).collect(),
        }
    }

    #[test]
    fn features_over_the_share_are_dropped_the_rest_imputed() {
        let nan = f64::NAN;
        let t = table(vec![
            ("a", vec![1.0, 2.0, nan, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]),
            ("b", vec![nan, nan, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]),
            ("c", vec![1.0; 10]),
        ]);
        let names: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let imp = feature_imputation(&t, &names, &MissingSettings::default()).unwrap();
        assert_eq!(imp.kept(&names), ["a", "c"]);
        assert_eq!(imp.dropped[0].feature, "b");
        assert_eq!(imp.dropped[0].undefined, 2);
        // median(c(1, 2, 4:10)) = 6
        assert_eq!(imp.medians["a"], 6.0);
        let mut t2 = t.clone();
        let counts = impute_features(&mut t2, &imp);
        assert_eq!(counts, [("a".to_string(), 1)]);
        assert_eq!(t2.columns[0][2], 6.0);
        assert!(
            t2.columns[1][0].is_nan(),
            "a dropped feature is left as it is"
        );
    }

    /// Undefined for every training patient: refused by default, naming
    /// the feature and the way to drop it; dropped by a `drop` rule; no
    /// median under a `median` rule.
    #[test]
    fn a_feature_undefined_for_everyone_has_no_median() {
        let t = table(vec![
            ("MSD", vec![f64::NAN; 4]),
            ("a", vec![1.0, 2.0, 3.0, 4.0]),
        ]);
        let names = vec!["MSD".to_string(), "a".to_string()];
        let mut s = MissingSettings::default();
        let e = feature_imputation(&t, &names, &s).unwrap_err().to_string();
        assert!(
            e.starts_with("missing.rules: 1 feature(s) undefined (NaN) for every one of the 4 training patients: `MSD`;")
                && e.contains("rules = { MSD = \"drop\" }"),
            "{e}"
        );
        s.rules.insert("MSD".into(), Rule::Drop);
        let imp = feature_imputation(&t, &names, &s).unwrap();
        assert_eq!(
            (imp.dropped[0].feature.as_str(), imp.dropped[0].undefined),
            ("MSD", 4)
        );
        assert_eq!(imp.kept(&names), ["a"]);
        s.rules.insert("MSD".into(), Rule::Median);
        let e = feature_imputation(&t, &names, &s).unwrap_err().to_string();
        assert!(
            e.contains("`MSD`") && e.contains("every training patient"),
            "{e}"
        );
    }

    /// The table prints "n (percent)" as Table 1 does, half away from zero:
    /// 1 of 16 is 6.25% → 6.3 (`{:.1}` would print 6.2), 1 of 8 is 12.5%.
    #[test]
    fn missing_percent_is_rounded_as_table_1() {
        let mut r = MissingReport {
            rule: String::new(),
            rows: Vec::new(),
        };
        r.push("TC", "bmi", "clinical", 1, 16, "complete case".into());
        r.push("EVC1", "bmi", "clinical", 1, 8, "complete case".into());
        let rows = r.display().rows;
        assert_eq!(rows[0][3], "1 (6.3)");
        assert_eq!(rows[1][3], "1 (12.5)");
    }

    #[test]
    fn rules_must_name_an_input_and_fit_it() {
        let schema = ClinicalSchema::paper();
        let features = vec!["MSD".to_string()];
        let mut s = MissingSettings::default();
        s.rules.insert("MSDD".into(), Rule::Median);
        let e = s.check(&features, &schema).unwrap_err().to_string();
        assert!(
            e.starts_with("missing.rules.MSDD:") && e.contains("neither a feature"),
            "{e}"
        );
        let mut s = MissingSettings::default();
        s.rules.insert("birads".into(), Rule::Median);
        assert!(s.check(&features, &schema).is_err());
        let mut s = MissingSettings::default();
        s.rules.insert("bmi".into(), Rule::Median);
        s.rules.insert("MSD".into(), Rule::Drop);
        s.check(&features, &schema).unwrap();
        s.feature_max_share = 1.5;
        assert!(s.check(&features, &schema).is_err());
    }
}

/// The feature half applied to a study: fitted on the training cohort
/// (`cohorts[0]`) over `kept` (the ICC filter's features), then every
/// cohort's and re-outline's undefined values of an imputed feature replaced
/// by the training median. Returns the fitted rule; the report gets a row per
/// dropped feature and per (cohort, feature) imputed.
pub fn apply_feature_policy(
    cohorts: &mut [crate::pipeline::Cohort],
    reoutlines: &mut [&mut FeatureTable],
    kept: &[String],
    settings: &MissingSettings,
    report: &mut MissingReport,
) -> Result<FeatureImputation> {
    let Some(training) = cohorts.first() else {
        return Err(StudyError::Shape {
            what: "missing-value policy".into(),
            message: "no training cohort".into(),
        });
    };
    let imp = feature_imputation(&training.features, kept, settings)?;
    let training_name = training.name.clone();
    for d in &imp.dropped {
        report.push(
            &training_name,
            &d.feature,
            "feature",
            d.undefined,
            imp.n_training,
            format!("dropped before the LASSO: {}", d.reason),
        );
    }
    for c in cohorts.iter_mut() {
        let n = c.labels.len();
        for (f, k) in impute_features(&mut c.features, &imp) {
            let m = imp.medians[&f];
            report.push(
                &c.name,
                &f,
                "feature",
                k,
                n,
                format!("imputed with the training median {m}"),
            );
        }
    }
    for t in reoutlines.iter_mut() {
        let n = t.ids.len();
        for (f, k) in impute_features(t, &imp) {
            let m = imp.medians[&f];
            report.push(
                "re-outlines",
                &f,
                "feature",
                k,
                n,
                format!("imputed with the training median {m} (DLRN reproducibility)"),
            );
        }
    }
    Ok(imp)
}

/// The clinical designs of a study under the policy.
#[derive(Debug, Clone)]
pub struct ClinicalDesigns {
    /// The training design the clinical model and the DLRN are fitted on:
    /// missing values left as NaN (complete case) or imputed, per variable's rule.
    pub fit: crate::coding::Design,
    /// Per cohort, the design every patient is scored with: each missing
    /// value replaced by the training median or mode (as the bundle does).
    pub score: Vec<crate::coding::Design>,
    /// Per cohort, the design as recorded (missing values NaN), for the
    /// per-cohort refits on complete cases.
    pub recorded: Vec<crate::coding::Design>,
    /// The training median or mode of each candidate variable.
    pub values: BTreeMap<String, ClinicalValue>,
}

/// Codes every cohort's `candidates` with its signature scores (`scores[i]`
/// for `cohorts[i]`, the training cohort first) under the clinical rule.
pub fn clinical_designs(
    schema: &ClinicalSchema,
    cohorts: &[crate::pipeline::Cohort],
    candidates: &[String],
    scores: &[Vec<f64>],
    settings: &MissingSettings,
) -> Result<ClinicalDesigns> {
    let training = cohorts.first().ok_or_else(|| StudyError::Shape {
        what: "missing-value policy".into(),
        message: "no training cohort".into(),
    })?;
    let values = clinical_values(schema, &training.clinical, candidates)?;
    let with_scores = |data: &ClinicalData, s: &[f64]| -> Result<crate::coding::Design> {
        let mut d = crate::coding::code(schema, data, candidates)?;
        d.insert(crate::pipeline::SIGNATURE_COLUMN, s.to_vec())?;
        Ok(d)
    };
    let imputed_in_fit: Vec<String> = candidates
        .iter()
        .filter(|v| settings.clinical_rule(schema, v) != Rule::CompleteCase)
        .cloned()
        .collect();
    let (fit_data, _) = impute_clinical(schema, &training.clinical, &values, &imputed_in_fit)?;
    let fit = with_scores(&fit_data, &scores[0])?;
    let mut score = Vec::with_capacity(cohorts.len());
    let mut recorded = Vec::with_capacity(cohorts.len());
    for (c, s) in cohorts.iter().zip(scores) {
        let (filled, _) = impute_clinical(schema, &c.clinical, &values, candidates)?;
        score.push(with_scores(&filled, s)?);
        recorded.push(with_scores(&c.clinical, s)?);
    }
    Ok(ClinicalDesigns {
        fit,
        score,
        recorded,
        values,
    })
}

/// The report rows of the clinical variables: per cohort, each candidate
/// with a missing value, what the fits did with it and, for a variable of
/// a final model (`model_variables`), the value it was scored with.
pub fn clinical_rows(
    schema: &ClinicalSchema,
    cohorts: &[crate::pipeline::Cohort],
    candidates: &[String],
    settings: &MissingSettings,
    values: &BTreeMap<String, ClinicalValue>,
    model_variables: &[String],
    report: &mut MissingReport,
) -> Result<()> {
    for (i, c) in cohorts.iter().enumerate() {
        for (name, k) in clinical_missing(schema, &c.clinical, candidates)? {
            if k == 0 {
                continue;
            }
            let mut what = Vec::new();
            if i == 0 {
                what.push(match settings.clinical_rule(schema, &name) {
                    Rule::CompleteCase => {
                        "fits: complete case (left out of the screen and models using it)"
                            .to_string()
                    }
                    r => format!(
                        "fits: training {} {}",
                        r.name(),
                        values.get(&name).map(|v| v.to_string()).unwrap_or_default()
                    ),
                });
            }
            if model_variables.contains(&name) {
                match values.get(&name) {
                    Some(v) => what.push(format!("scored with the training value {v}")),
                    None => what.push("not scored: no training value".into()),
                }
            } else if i > 0 {
                what.push("not a model variable".into());
            }
            report.push(
                &c.name,
                &name,
                "clinical",
                k,
                c.labels.len(),
                what.join("; "),
            );
        }
    }
    Ok(())
}
