//! `harmonize.json` of a model bundle: the ComBat harmonisation a study
//! fitted on its training hospital (`[harmonize] method = "combat"`), and
//! its application to a new hospital's cohort at `dlrn predict --cohort` and
//! `dlrn assess` (see `dlrn_study::harmonize` for the design).
//!
//! A new cohort is one new batch: its γ̂/δ̂ and priors are estimated from its
//! own patients' features (never their outcome) and mapped onto the stored
//! training standard, which no new cohort changes. It needs `min_batch`
//! patients (the study's, default 20): a single patient, or a handful,
//! cannot be harmonised, and is refused rather than scored unharmonised
//! without a word (`dlrn predict --harmonize none` scores unharmonised, each
//! row warned).

use std::collections::BTreeMap;

use dlrn_harmonize::{Covariate, Data, Model};
use serde::{Deserialize, Serialize};

use crate::{ClinicalVariable, Coding};

/// The file name inside the bundle.
pub const HARMONIZE: &str = "harmonize.json";

/// The warning every prediction of a harmonised bundle carries when scored with `--harmonize none`.
pub const UNHARMONISED_WARNING: &str = "features not harmonised (--harmonize none): the model was \
     trained on ComBat-harmonised features, so probabilities at a new hospital may be biased";

/// `harmonize.json`: the fitted harmonisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HarmonizePart {
    /// `"combat"`.
    pub method: String,
    /// What a batch is (`"cohort"`: each cohort one hospital).
    pub batch: String,
    /// The training hospital (the reference batch).
    pub reference: String,
    /// Feature families harmonised (`handcrafted`, `deep`, `both`).
    pub families: String,
    /// The fewest patients a new hospital needs.
    pub min_batch: usize,
    /// The rule in words, as the report states it.
    pub rule: String,
    /// Training median of each harmonised feature (an undefined value stands in as in the study).
    pub medians: BTreeMap<String, f64>,
    /// The covariates' codings (numeric, binary or ordinal), in the model's order.
    pub covariates: Vec<ClinicalVariable>,
    /// The ComBat model (dlrn-harmonize): the training standard and options.
    pub model: Model,
}

/// Why a cohort cannot be harmonised.
#[derive(Debug, thiserror::Error)]
pub enum HarmonizeApplyError {
    /// Too few patients to estimate the hospital's batch parameters.
    #[error(
        "{rows} patient(s) can be harmonised but the model's harmonisation (ComBat, fitted on \
         {reference}) estimates a new hospital's location and scale per feature from its own \
         patients and needs at least {min} of them (below about 20 the estimates are too noisy; \
         Orlhac et al. 2022). Score the hospital's patients together with --cohort, or pass \
         --harmonize none to score unharmonised features (each row then carries a warning)"
    )]
    TooFew {
        /// Patients that could enter the batch.
        rows: usize,
        /// The minimum.
        min: usize,
        /// The training hospital.
        reference: String,
    },
    /// The stored model is inconsistent or the data cannot be harmonised.
    #[error("harmonising the cohort (ComBat): {0}")]
    Combat(#[from] dlrn_harmonize::HarmonizeError),
    /// The part does not fit the bundle.
    #[error("{HARMONIZE}: {0}")]
    Inconsistent(String),
}

/// What [`HarmonizePart::apply`] did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Harmonised {
    /// Patients harmonised.
    pub rows: usize,
    /// Patients left out of the batch (and so not scored), with the reason.
    pub excluded: BTreeMap<String, String>,
    /// Per patient, the warnings (an undefined value imputed).
    pub warnings: BTreeMap<String, Vec<String>>,
    /// Features left unadjusted in this batch (constant within it).
    pub unadjusted: Vec<String>,
}

impl HarmonizePart {
    /// Checks the part: a whole model, a median per feature, numeric or coded covariates.
    pub fn check(&self) -> Result<(), HarmonizeApplyError> {
        self.model.check()?;
        if self.method != "combat" {
            return Err(HarmonizeApplyError::Inconsistent(format!(
                "method {:?} is not \"combat\"",
                self.method
            )));
        }
        for f in &self.model.features {
            match self.medians.get(f) {
                Some(v) if v.is_finite() => {}
                _ => {
                    return Err(HarmonizeApplyError::Inconsistent(format!(
                        "no finite training median of feature `{f}`"
                    )));
                }
            }
        }
        let names: Vec<&str> = self.covariates.iter().map(|c| c.name.as_str()).collect();
        let model: Vec<&str> = self
            .model
            .covariates
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        if names != model {
            return Err(HarmonizeApplyError::Inconsistent(format!(
                "covariates [{}] but the model preserves [{}]",
                names.join(", "),
                model.join(", ")
            )));
        }
        if let Some(c) = self
            .covariates
            .iter()
            .find(|c| matches!(c.coding, Coding::Nominal { .. }))
        {
            return Err(HarmonizeApplyError::Inconsistent(format!(
                "covariate `{}` is nominal",
                c.name
            )));
        }
        Ok(())
    }

    /// The harmonised features.
    pub fn features(&self) -> &[String] {
        &self.model.features
    }

    /// Harmonises one new hospital's patients in place (`features`: id →
    /// feature → value; `clinical`: id → column → raw cell) as one batch
    /// named `level`. A patient without a harmonised feature, or without a
    /// covariate value, is left out of the batch (and must not be scored);
    /// an undefined feature value is imputed with the training median (a
    /// warning), or with `strict` leaves the patient out.
    pub fn apply(
        &self,
        level: &str,
        features: &mut BTreeMap<String, BTreeMap<String, f64>>,
        clinical: &BTreeMap<String, BTreeMap<String, String>>,
        strict: bool,
    ) -> Result<Harmonised, HarmonizeApplyError> {
        self.check()?;
        let names = self.features();
        let mut out = Harmonised::default();
        let mut rows: Vec<(String, Vec<f64>, Vec<f64>)> = Vec::new();
        'patients: for (id, values) in features.iter() {
            let mut row = Vec::with_capacity(names.len());
            let mut warnings = Vec::new();
            for f in names {
                match values.get(f) {
                    None => {
                        out.excluded.insert(
                            id.clone(),
                            format!("no value of feature `{f}`, which the harmonisation needs"),
                        );
                        continue 'patients;
                    }
                    Some(v) if v.is_finite() => row.push(*v),
                    Some(v) => {
                        if strict {
                            out.excluded.insert(
                                id.clone(),
                                format!(
                                    "{f} = {v} is undefined (--strict: not imputed, so the patient \
                                     cannot enter the harmonisation)"
                                ),
                            );
                            continue 'patients;
                        }
                        let m = self.medians[f];
                        warnings.push(format!(
                            "{f} = {v} is undefined: imputed with the training median {m} before \
                             harmonisation"
                        ));
                        row.push(m);
                    }
                }
            }
            let mut cov = Vec::with_capacity(self.covariates.len());
            for c in &self.covariates {
                let raw = clinical.get(id).and_then(|cells| cells.get(&c.name));
                match raw.and_then(|r| code_covariate(c, r)) {
                    Some(v) => cov.push(v),
                    None => {
                        out.excluded.insert(
                            id.clone(),
                            format!(
                                "`{}` = {:?} is not {}: the harmonisation preserves it and needs \
                                 it for every patient",
                                c.name,
                                raw.map_or("", String::as_str),
                                match c.coding {
                                    Coding::Numeric => "a number".to_string(),
                                    _ => c.expected(),
                                }
                            ),
                        );
                        continue 'patients;
                    }
                }
            }
            if !warnings.is_empty() {
                out.warnings.insert(id.clone(), warnings);
            }
            rows.push((id.clone(), row, cov));
        }
        if rows.len() < self.min_batch {
            return Err(HarmonizeApplyError::TooFew {
                rows: rows.len(),
                min: self.min_batch,
                reference: self.reference.clone(),
            });
        }
        let values: Vec<f64> = rows
            .iter()
            .flat_map(|(_, v, _)| v.iter().copied())
            .collect();
        let batch = vec![level.to_string(); rows.len()];
        let cov_cols: Vec<Vec<f64>> = (0..self.covariates.len())
            .map(|k| rows.iter().map(|(_, _, c)| c[k]).collect())
            .collect();
        let covs: Vec<Covariate> = self
            .covariates
            .iter()
            .zip(&cov_cols)
            .map(|(c, v)| Covariate {
                name: &c.name,
                values: v,
            })
            .collect();
        let applied = self.model.apply(&Data {
            features: names,
            values: &values,
            batch: &batch,
            covariates: &covs,
        })?;
        let p = names.len();
        for (i, (id, _, _)) in rows.iter().enumerate() {
            if let Some(map) = features.get_mut(id) {
                for (j, f) in names.iter().enumerate() {
                    map.insert(f.clone(), applied.adjusted[i * p + j]);
                }
            }
        }
        out.rows = rows.len();
        out.unadjusted = applied
            .batches
            .iter()
            .flat_map(|b| b.unadjusted.clone())
            .collect();
        Ok(out)
    }
}

/// A covariate's cell as its model value: the number, or the level's code.
fn code_covariate(var: &ClinicalVariable, raw: &str) -> Option<f64> {
    let t = raw.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("NA") {
        return None;
    }
    match &var.coding {
        Coding::Numeric => t.parse::<f64>().ok().filter(|v| v.is_finite()),
        Coding::Coded { levels, codes } => var
            .level_of(raw)
            .and_then(|l| levels.iter().position(|x| x == l))
            .and_then(|i| codes.get(i).copied()),
        Coding::Nominal { .. } => None,
    }
}
