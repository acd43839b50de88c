//! ComBat harmonisation across hospitals in the study (`[harmonize]` of the
//! config; dlrn-harmonize, `sva::ComBat`'s numbers).
//!
//! The design, and why:
//! - **Batch = cohort.** Each cohort folder is one hospital (TC = Hospital I,
//!   EVC1–3 = Hospitals II–IV), so the batch of a patient is their cohort.
//! - **Reference = the training hospital, fitted alone.** The ComBat model is
//!   the training cohort's standard (its mean and residual variance per
//!   feature, and the coefficients of the covariates to preserve), fitted on
//!   the training rows only ([`dlrn_harmonize::fit_reference`]). The training
//!   rows are left unchanged, bit for bit, so the LASSO, the models and every
//!   training-cohort number are those of the unharmonised features' scale.
//! - **Each validation hospital is its own new batch**, mapped onto that
//!   standard from its own features alone ([`dlrn_harmonize::Model::apply`]:
//!   its γ̂, δ̂, its own empirical Bayes priors pooled over its features, γ*,
//!   δ*) — the "ComBat on a new site" of Zhang et al. (2018) and
//!   neuroHarmonize's `harmonizationApply`. With no covariates this equals
//!   `sva::ComBat(cbind(TC, EVCk), ref.batch = "TC")` on EVCk's rows. No
//!   validation hospital's data shapes the model or another hospital's values.
//! - **No label leakage.** ALN status is never a covariate (the config is
//!   refused): a validation hospital's outcome is unknown at prediction, and a
//!   covariate must be known for every new patient. Covariates are clinical
//!   variables (numeric, binary or ordinal: one column each) known before
//!   surgery, and their coefficients come from the training rows.
//! - **Features**: those kept after the ICC filter and the missing-value
//!   policy (undefined values already imputed with the training median),
//!   before the LASSO; handcrafted, deep or both.
//! - **Minimum batch size**: a validation cohort (and a new hospital at
//!   `dlrn predict`/`assess`) needs `min_batch` patients (default
//!   [`DEFAULT_MIN_BATCH`]): ComBat estimates a location and a scale per
//!   feature from the batch, and below about 20–30 patients those estimates
//!   are too noisy to correct anything reliably (Orlhac et al. 2022, "A guide
//!   to ComBat harmonization of imaging biomarkers in multicenter studies",
//!   J Nucl Med 63:172–179). dlrn-harmonize itself needs 2 (δ̂ is a sample variance).

use std::collections::BTreeMap;

use dlrn_harmonize::{ConstantFeatures, Covariate, Data, Model, Options, Prior};
use dlrn_report as report;
use serde::{Deserialize, Serialize};

use crate::bundle::{ClinicalVariable, Coding, is_deep_feature};
use crate::bundling::ClinicalVariableFromSchema;
use crate::coding::{code, declared_variable};
use crate::error::{Result, StudyError};
use crate::pipeline::Cohort;
use crate::schema::{ClinicalSchema, VariableKind};

/// The default fewest patients a hospital needs to be harmonised.
pub const DEFAULT_MIN_BATCH: usize = 20;

/// The batch-effect tests' significance level.
pub const ALPHA: f64 = 0.05;

/// Whether the study harmonises.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// No harmonisation (the paper's study; the default).
    #[default]
    None,
    /// ComBat with the training hospital as the reference batch.
    Combat,
}

/// Which feature families are harmonised.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Families {
    /// The handcrafted features (every column that is not `f_<k>`).
    Handcrafted,
    /// The deep features `f_<k>`.
    Deep,
    /// Both (the default).
    #[default]
    Both,
}

impl Families {
    /// Whether `feature` belongs to these families.
    pub fn contains(self, feature: &str) -> bool {
        match self {
            Families::Both => true,
            Families::Deep => is_deep_feature(feature),
            Families::Handcrafted => !is_deep_feature(feature),
        }
    }

    /// The name the config uses.
    pub fn name(self) -> &'static str {
        match self {
            Families::Handcrafted => "handcrafted",
            Families::Deep => "deep",
            Families::Both => "both",
        }
    }
}

/// What defines a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchVariable {
    /// The cohort folder: one hospital per cohort.
    #[default]
    Cohort,
}

/// The `[harmonize]` section of the study config.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HarmonizeSettings {
    /// `"none"` (default) or `"combat"`.
    #[serde(default)]
    pub method: Method,
    /// `"handcrafted"`, `"deep"` or `"both"` (default).
    #[serde(default)]
    pub features: Families,
    /// What a batch is: `"cohort"` (each cohort folder one hospital).
    #[serde(default)]
    pub batch: BatchVariable,
    /// The reference batch: the training cohort (the default; another value is refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Non-parametric empirical Bayes (sva's `par.prior = FALSE`).
    #[serde(default)]
    pub nonparametric: bool,
    /// Adjust the location only (sva's `mean.only`).
    #[serde(default)]
    pub mean_only: bool,
    /// Clinical variables whose effects are preserved (sva's `mod`):
    /// numeric, binary or ordinal variables of the schema; never the outcome.
    #[serde(default)]
    pub covariates: Vec<String>,
    /// Fewest patients a hospital needs (default 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_batch: Option<usize>,
    /// Refuse a feature constant within a hospital instead of leaving it
    /// unadjusted there (sva's behaviour, the default).
    #[serde(default)]
    pub refuse_constant: bool,
}

impl HarmonizeSettings {
    /// Whether the study harmonises.
    pub fn is_on(&self) -> bool {
        self.method == Method::Combat
    }

    /// Whether this is the default (absent section).
    pub fn is_default(&self) -> bool {
        *self == HarmonizeSettings::default()
    }

    /// The fewest patients a hospital needs.
    pub fn min_batch(&self) -> usize {
        self.min_batch.unwrap_or(DEFAULT_MIN_BATCH)
    }

    /// dlrn-harmonize's options with `reference` as the reference batch.
    pub fn options(&self, reference: &str) -> Options {
        Options {
            prior: if self.nonparametric {
                Prior::NonParametric
            } else {
                Prior::Parametric
            },
            mean_only: self.mean_only,
            reference: Some(reference.to_string()),
            constant: if self.refuse_constant {
                ConstantFeatures::Refuse
            } else {
                ConstantFeatures::LeaveUnadjusted
            },
        }
    }

    /// Every problem with the section, each naming its key: a reference that
    /// is not the training cohort, the outcome or an unknown or nominal
    /// variable as a covariate, a minimum below 2.
    pub fn problems(&self, training: &str, schema: &ClinicalSchema) -> Vec<String> {
        let mut out = Vec::new();
        if !self.is_on() {
            if !self.is_default() {
                out.push(
                    "harmonize: options are set but method is \"none\"; set method = \"combat\" \
                     or remove them"
                        .into(),
                );
            }
            return out;
        }
        if let Some(r) = &self.reference
            && r != training
        {
            out.push(format!(
                "harmonize.reference: {r:?} is not the training cohort {training:?}; the model \
                 is fitted on the training hospital and every other hospital is mapped to it"
            ));
        }
        if let Some(m) = self.min_batch
            && m < dlrn_harmonize::MIN_BATCH_ROWS
        {
            out.push(format!(
                "harmonize.min_batch: {m} is below {} (a batch's scale is a sample variance)",
                dlrn_harmonize::MIN_BATCH_ROWS
            ));
        }
        for (i, c) in self.covariates.iter().enumerate() {
            if self.covariates[..i].contains(c) {
                out.push(format!("harmonize.covariates: {c:?} is listed twice"));
            } else if c.eq_ignore_ascii_case(&schema.outcome.column) {
                out.push(format!(
                    "harmonize.covariates: {c:?} is the outcome; it is unknown for a new \
                     hospital's patients, and preserving it would leak the label into the \
                     features (never a covariate)"
                ));
            } else {
                match declared_variable(schema, c) {
                    Err(_) => out.push(format!(
                        "harmonize.covariates: {c:?} is not a variable of the clinical schema"
                    )),
                    Ok((_, v)) if matches!(v.kind, VariableKind::Nominal { .. }) => {
                        out.push(format!(
                            "harmonize.covariates: {c:?} is nominal; name a numeric, binary or \
                             ordinal variable (one column each)"
                        ))
                    }
                    Ok(_) => {}
                }
            }
        }
        out
    }

    /// [`HarmonizeSettings::problems`] as one error.
    pub fn check(&self, training: &str, schema: &ClinicalSchema) -> Result<()> {
        let p = self.problems(training, schema);
        if p.is_empty() {
            Ok(())
        } else {
            Err(StudyError::Config {
                key: "harmonize".into(),
                message: p.join("; "),
            })
        }
    }
}

/// How one cohort was harmonised.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortBatch {
    /// Cohort name.
    pub cohort: String,
    /// Patients.
    pub rows: usize,
    /// Whether it is the reference (left unchanged).
    pub reference: bool,
    /// Features left unadjusted in it (constant within it, or within the reference).
    pub unadjusted: Vec<String>,
}

/// A harmonised study: the model, what happened to each cohort and the evidence.
#[derive(Debug, Clone)]
pub struct Harmonization {
    /// The settings.
    pub settings: HarmonizeSettings,
    /// The reference (training) cohort.
    pub reference: String,
    /// The fitted model (the training hospital's standard).
    pub model: Model,
    /// The covariates' codings (to code a new hospital's clinical cells).
    pub covariates: Vec<ClinicalVariable>,
    /// The training median of each harmonised feature (a new patient's
    /// undefined value stands in as in the study).
    pub medians: BTreeMap<String, f64>,
    /// Each cohort.
    pub cohorts: Vec<CohortBatch>,
    /// Kruskal–Wallis per feature across the cohorts, before and after.
    pub batch_effect: report::BatchEffect,
    /// The PCA scatter before and after.
    pub pca: report::PcaFigure,
    /// Table 2's signature and DLRN rows without and with harmonisation
    /// (filled by `fit_study`).
    pub table2_pair: Option<report::Table2Pair>,
}

/// Covariate values of a cohort: one column per covariate, coded as the
/// models code it; a missing value is an error naming the cohort, the
/// patient and the variable.
fn covariate_columns(
    schema: &ClinicalSchema,
    cohort: &Cohort,
    names: &[String],
) -> Result<Vec<Vec<f64>>> {
    let design = code(schema, &cohort.clinical, names)?;
    names
        .iter()
        .map(|n| {
            let col = design.column(n)?.to_vec();
            if let Some(i) = col.iter().position(|v| !v.is_finite()) {
                return Err(StudyError::Invalid {
                    message: format!(
                        "{}: patient {:?} has no value of `{n}`, a covariate of [harmonize]; \
                         ComBat needs every covariate of every patient (remove it from \
                         harmonize.covariates or complete {})",
                        cohort.name,
                        cohort.ids()[i],
                        cohort.clinical.path.display()
                    ),
                });
            }
            Ok(col)
        })
        .collect()
}

/// The harmonised features' values of a cohort, row-major.
fn values(cohort: &Cohort, features: &[String]) -> Result<Vec<f64>> {
    let cols: Vec<&[f64]> = features
        .iter()
        .map(|f| {
            cohort
                .features
                .names
                .iter()
                .position(|n| n == f)
                .map(|j| cohort.features.columns[j].as_slice())
                .ok_or_else(|| StudyError::MissingColumn { column: f.clone() })
        })
        .collect::<Result<_>>()?;
    let n = cohort.labels.len();
    let mut out = Vec::with_capacity(n * features.len());
    for i in 0..n {
        out.extend(cols.iter().map(|c| c[i]));
    }
    Ok(out)
}

fn harmonize_error(cohort: &str) -> impl FnOnce(dlrn_harmonize::HarmonizeError) -> StudyError {
    let context = format!("harmonising {cohort} (ComBat)");
    move |e| StudyError::During {
        context: format!("{context}: {e}"),
        source: Box::new(e),
    }
}

/// Harmonises the cohorts in place: the model fitted on `cohorts[0]` (the
/// training hospital, left unchanged), each other cohort mapped to it as
/// its own batch. `kept` are the features after the ICC filter and the
/// missing-value policy, `medians` their training medians. `None` when the
/// settings say `none`.
pub fn harmonize_cohorts(
    cohorts: &mut [Cohort],
    kept: &[String],
    medians: &BTreeMap<String, f64>,
    schema: &ClinicalSchema,
    settings: &HarmonizeSettings,
) -> Result<Option<Harmonization>> {
    if !settings.is_on() {
        return Ok(None);
    }
    let Some(training) = cohorts.first() else {
        return Err(StudyError::Invalid {
            message: "harmonisation needs a training cohort".into(),
        });
    };
    let reference = training.name.clone();
    settings.check(&reference, schema)?;
    let features: Vec<String> = kept
        .iter()
        .filter(|f| settings.features.contains(f))
        .cloned()
        .collect();
    if features.len() < 2 {
        return Err(StudyError::Config {
            key: "harmonize.features".into(),
            message: format!(
                "{} {} feature(s) are kept after the ICC filter; ComBat pools its priors over \
                 features and needs at least 2",
                features.len(),
                settings.features.name()
            ),
        });
    }
    let min = settings.min_batch();
    for c in cohorts.iter() {
        if c.labels.len() < min {
            return Err(StudyError::Config {
                key: "harmonize.min_batch".into(),
                message: format!(
                    "cohort {} has {} patients; harmonising a hospital needs at least {min} \
                     (below about 20 its per-feature location and scale are too noisy to \
                     estimate; Orlhac et al. 2022). Lower harmonize.min_batch knowingly, or \
                     leave the study unharmonised",
                    c.name,
                    c.labels.len()
                ),
            });
        }
    }
    let options = settings.options(&reference);
    let before: Vec<Vec<f64>> = cohorts
        .iter()
        .map(|c| values(c, &features))
        .collect::<Result<_>>()?;

    // The training hospital's standard.
    let training_cov = covariate_columns(schema, training, &settings.covariates)?;
    let covs: Vec<Covariate> = settings
        .covariates
        .iter()
        .zip(&training_cov)
        .map(|(n, v)| Covariate { name: n, values: v })
        .collect();
    let batch = vec![reference.clone(); training.labels.len()];
    let model = dlrn_harmonize::fit_reference(
        &Data {
            features: &features,
            values: &before[0],
            batch: &batch,
            covariates: &covs,
        },
        &options,
    )
    .map_err(harmonize_error(&reference))?;
    let mut batches = vec![CohortBatch {
        cohort: reference.clone(),
        rows: training.labels.len(),
        reference: true,
        unadjusted: model.unadjusted.clone(),
    }];
    let mut after = vec![before[0].clone()];
    for (k, c) in cohorts.iter().enumerate().skip(1) {
        let cov = covariate_columns(schema, c, &settings.covariates)?;
        let covs: Vec<Covariate> = settings
            .covariates
            .iter()
            .zip(&cov)
            .map(|(n, v)| Covariate { name: n, values: v })
            .collect();
        let batch = vec![c.name.clone(); c.labels.len()];
        let applied = model
            .apply(&Data {
                features: &features,
                values: &before[k],
                batch: &batch,
                covariates: &covs,
            })
            .map_err(harmonize_error(&c.name))?;
        batches.push(CohortBatch {
            cohort: c.name.clone(),
            rows: c.labels.len(),
            reference: false,
            unadjusted: applied
                .batches
                .iter()
                .flat_map(|b| b.unadjusted.clone())
                .collect(),
        });
        after.push(applied.adjusted);
    }
    // Write the harmonised values back (the reference's are unchanged).
    let p = features.len();
    for (c, adjusted) in cohorts.iter_mut().zip(&after).skip(1) {
        for (j, f) in features.iter().enumerate() {
            let col = c
                .features
                .names
                .iter()
                .position(|n| n == f)
                .ok_or_else(|| StudyError::MissingColumn { column: f.clone() })?;
            for (i, v) in c.features.columns[col].iter_mut().enumerate() {
                *v = adjusted[i * p + j];
            }
        }
    }
    let names: Vec<&str> = cohorts.iter().map(|c| c.name.as_str()).collect();
    let batch_effect = batch_effect(&features, &names, &before, &after);
    let pca = report::PcaFigure {
        panels: vec![
            pca_panel("Before ComBat", &names, &before, p)?,
            pca_panel("After ComBat", &names, &after, p)?,
        ],
    };
    let covariates = settings
        .covariates
        .iter()
        .map(|c| {
            Ok(ClinicalVariable::from_schema(
                declared_variable(schema, c)?.1,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    debug_assert!(
        covariates
            .iter()
            .all(|v| !matches!(v.coding, Coding::Nominal { .. }))
    );
    Ok(Some(Harmonization {
        settings: settings.clone(),
        reference,
        medians: features
            .iter()
            .filter_map(|f| medians.get(f).map(|m| (f.clone(), *m)))
            .collect(),
        model,
        covariates,
        cohorts: batches,
        batch_effect,
        pca,
        table2_pair: None,
    }))
}

/// Kruskal–Wallis (`kruskal.test`) of each feature across the cohorts,
/// before and after (values row-major per cohort, `features` wide).
pub fn batch_effect(
    features: &[String],
    cohorts: &[&str],
    before: &[Vec<f64>],
    after: &[Vec<f64>],
) -> report::BatchEffect {
    let p = features.len();
    let test = |data: &[Vec<f64>], j: usize| {
        let groups: Vec<Vec<f64>> = data
            .iter()
            .map(|v| v.iter().skip(j).step_by(p).copied().collect())
            .collect();
        let refs: Vec<&[f64]> = groups.iter().map(Vec::as_slice).collect();
        dlrn_stats::kruskal_wallis(&refs)
    };
    let _ = cohorts;
    report::BatchEffect {
        rows: features
            .iter()
            .enumerate()
            .map(|(j, f)| {
                let b = test(before, j);
                let a = test(after, j);
                let note = match (&b, &a) {
                    (Err(e), _) | (_, Err(e)) => e.to_string(),
                    _ => String::new(),
                };
                report::BatchEffectRow {
                    feature: f.clone(),
                    family: crate::family::feature_family(f).family.to_string(),
                    h_before: b.as_ref().ok().map(|k| k.h),
                    p_before: b.as_ref().ok().map(|k| k.p_value),
                    h_after: a.as_ref().ok().map(|k| k.h),
                    p_after: a.as_ref().ok().map(|k| k.p_value),
                    note,
                }
            })
            .collect(),
    }
}

/// The first two principal components of the standardised features over
/// every cohort's patients (`prcomp(scale. = TRUE)`), grouped by cohort.
fn pca_panel(
    title: &str,
    cohorts: &[&str],
    data: &[Vec<f64>],
    p: usize,
) -> Result<report::PcaPanel> {
    let columns: Vec<Vec<f64>> = (0..p)
        .map(|j| {
            data.iter()
                .flat_map(|v| v.iter().skip(j).step_by(p).copied())
                .collect()
        })
        .collect();
    let pca =
        dlrn_stats::principal_components(&columns, 2).map_err(|source| StudyError::Stats {
            context: format!("PCA of the features ({title})"),
            source,
        })?;
    let mut groups = Vec::new();
    let mut start = 0;
    for (name, v) in cohorts.iter().zip(data) {
        let n = v.len() / p.max(1);
        groups.push((
            name.to_string(),
            (start..start + n)
                .map(|i| (pca.scores[0][i], pca.scores[1][i]))
                .collect(),
        ));
        start += n;
    }
    Ok(report::PcaPanel {
        title: title.to_string(),
        explained: (pca.explained[0], pca.explained[1]),
        groups,
    })
}

impl Harmonization {
    /// Features with a Kruskal–Wallis P below [`ALPHA`] before and after, and the features tested.
    pub fn counts(&self) -> (usize, usize, usize) {
        let (b, a) = self.batch_effect.counts(ALPHA);
        (b, a, self.batch_effect.rows.len())
    }

    /// The rule in words, for the report.
    pub fn describe(&self) -> String {
        let s = &self.settings;
        format!(
            "ComBat ({}{}{}) on the {} {} features kept after the ICC filter, before the \
             LASSO: fitted on the training hospital {} alone (the reference batch, left \
             unchanged), each validation hospital mapped to it as its own batch from its own \
             features{}. The outcome is never a covariate.",
            if s.nonparametric {
                "non-parametric"
            } else {
                "parametric"
            },
            if s.mean_only { ", mean only" } else { "" },
            if s.covariates.is_empty() {
                String::new()
            } else {
                format!(", preserving {}", s.covariates.join(", "))
            },
            self.model.features.len(),
            s.features.name(),
            self.reference,
            if self.cohorts.iter().any(|c| !c.unadjusted.is_empty()) {
                format!(
                    "; features constant within a hospital are left unadjusted there ({})",
                    self.cohorts
                        .iter()
                        .filter(|c| !c.unadjusted.is_empty())
                        .map(|c| format!("{}: {}", c.cohort, c.unadjusted.len()))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            } else {
                String::new()
            }
        )
    }

    /// Writes `harmonization_kruskal.csv/.md`, `table2_harmonization.csv/.md`
    /// and `figures/harmonization_pca.svg/.png` under `dir`; returns the
    /// report section and the files.
    pub fn write(
        &self,
        dir: &std::path::Path,
        png_scale: u32,
    ) -> Result<(report::Section, Vec<std::path::PathBuf>)> {
        let mut files = Vec::new();
        let kw = report::write_table(&self.batch_effect, dir, "harmonization_kruskal")?;
        files.extend([kw.csv, kw.markdown]);
        let fig_dir = dir.join("figures");
        std::fs::create_dir_all(&fig_dir).map_err(|source| StudyError::Io {
            path: fig_dir.clone(),
            source,
        })?;
        let fig = report::write_figure(&self.pca, &fig_dir, "harmonization_pca", png_scale)?;
        files.extend([fig.svg, fig.png]);
        let (b, a, n) = self.counts();
        let mut items = vec![
            report::Item::Text {
                text: self.describe(),
            },
            report::Item::Text {
                text: format!(
                    "Batch effect: Kruskal–Wallis test of hospital differences per feature \
                     (kruskal.test across the {} cohorts): {b} of {n} features ({:.1}%) had \
                     P < {ALPHA} before harmonisation, {a} of {n} ({:.1}%) after.",
                    self.cohorts.len(),
                    100.0 * b as f64 / n.max(1) as f64,
                    100.0 * a as f64 / n.max(1) as f64,
                ),
            },
            report::Item::Link {
                text: "Per feature: H and P before and after (CSV)".into(),
                href: "harmonization_kruskal.csv".into(),
            },
            report::Item::Figure {
                caption: "First two principal components of the standardised harmonised \
                          features, coloured by hospital, before and after ComBat"
                    .into(),
                svg: "figures/harmonization_pca.svg".into(),
                png: Some("figures/harmonization_pca.png".into()),
            },
        ];
        if let Some(pair) = &self.table2_pair {
            let t = report::write_table(pair, dir, "table2_harmonization")?;
            files.extend([t.csv, t.markdown]);
            items.push(report::Item::Table {
                caption: "Table 2's signature and DLRN rows without and with harmonisation \
                          (each its own LASSO, models and Youden cut-offs)"
                    .into(),
                table: report::ReportTable::display(pair),
                csv: Some("table2_harmonization.csv".into()),
            });
        }
        Ok((
            report::Section {
                title: "Harmonisation across hospitals (ComBat)".into(),
                items,
            },
            files,
        ))
    }
}

/// Table 2's signature and DLRN rows of two studies side by side.
pub fn table2_pair(none: &[report::Table2Row], combat: &[report::Table2Row]) -> report::Table2Pair {
    let rows = combat
        .iter()
        .filter(|r| {
            r.model.eq_ignore_ascii_case("signature") || r.model.eq_ignore_ascii_case("dlrn")
        })
        .filter_map(|c| {
            let n = none
                .iter()
                .find(|n| n.cohort == c.cohort && n.model == c.model)?;
            Some(report::Table2PairRow {
                cohort: c.cohort.clone(),
                model: c.model.clone(),
                auc_none: n.auc,
                auc_none_ci_low: n.auc_ci_low,
                auc_none_ci_high: n.auc_ci_high,
                auc_combat: c.auc,
                auc_combat_ci_low: c.auc_ci_low,
                auc_combat_ci_high: c.auc_ci_high,
                auc_change: c.auc - n.auc,
                accuracy_none: n.accuracy.value,
                accuracy_combat: c.accuracy.value,
                sensitivity_none: n.sensitivity.value,
                sensitivity_combat: c.sensitivity.value,
                specificity_none: n.specificity.value,
                specificity_combat: c.specificity.value,
            })
        })
        .collect();
    report::Table2Pair::new(rows)
}
