//! Building a model bundle (dlrn-bundle) from a study's results: the pieces
//! that need the study's schema, the LASSO and the logistic fits, as
//! extension traits on dlrn-bundle's types (in scope with
//! `use dlrn_study::bundle::*` or by name).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dlrn_bundle::{
    Bundle, BundleError, CLINICAL, ClinicalPart, ClinicalValue, ClinicalVariable, Cnn, Coding,
    Cutoffs, FitMethod, InputRange, KeptFeatures, LogisticModel, MissingPart, Provenance, Result,
    SIGNATURE, SIGNATURE_COLUMN, Signature, SignatureTerm,
};
use dlrn_nomogram::Nomogram;

/// [`Signature`] from a LASSO fit.
pub trait SignatureFromLasso {
    /// The signature of a LASSO model (drops what a prediction does not need: the CV path).
    fn from_lasso(model: &dlrn_lasso::SignatureModel) -> Self;
}

impl SignatureFromLasso for Signature {
    fn from_lasso(model: &dlrn_lasso::SignatureModel) -> Self {
        Signature {
            lambda: model.lambda,
            lambda_choice: match model.lambda_choice {
                dlrn_lasso::LambdaChoice::Min => "min".into(),
                dlrn_lasso::LambdaChoice::OneSe => "1se".into(),
            },
            intercept: model.intercept,
            coefficients: model
                .features
                .iter()
                .map(|f| SignatureTerm {
                    feature: f.feature.clone(),
                    coefficient: f.coefficient,
                })
                .collect(),
        }
    }
}

/// [`LogisticModel`] from a dlrn-stats fit.
pub trait LogisticModelFromFit {
    /// The model of a dlrn-stats fit over `columns` (the names given to the fit).
    fn from_fit(fit: &dlrn_stats::LogisticFit, columns: &[String]) -> Self;
}

impl LogisticModelFromFit for LogisticModel {
    fn from_fit(fit: &dlrn_stats::LogisticFit, columns: &[String]) -> Self {
        LogisticModel {
            columns: columns.to_vec(),
            intercept: fit.coefficients[0].estimate,
            coefficients: fit.coefficients[1..].iter().map(|c| c.estimate).collect(),
            covariance: fit.covariance.clone(),
            fit: FitMethod::Glm,
        }
    }
}

/// [`ClinicalVariable`] from a schema variable.
pub trait ClinicalVariableFromSchema {
    /// The compiled coding of a schema variable, with the codes of
    /// [`crate::coding`] (binary: the declared positive level 1, the other 0;
    /// ordinal: 1, 2, … in declared order; nominal: dummies against the
    /// declared reference), so a bundle codes new patients as the study coded
    /// its training cohort.
    fn from_schema(variable: &crate::schema::Variable) -> Self;
}

impl ClinicalVariableFromSchema for ClinicalVariable {
    fn from_schema(variable: &crate::schema::Variable) -> Self {
        use crate::schema::VariableKind;
        let coding = match &variable.kind {
            VariableKind::Numeric { .. } => Coding::Numeric,
            VariableKind::Binary { levels, .. } | VariableKind::Ordinal { levels } => {
                Coding::Coded {
                    levels: levels.clone(),
                    codes: (0..levels.len())
                        .map(|k| crate::coding::level_code(variable, k))
                        .collect(),
                }
            }
            VariableKind::Nominal { levels, reference } => Coding::Nominal {
                levels: levels.clone(),
                reference: reference.clone(),
            },
        };
        ClinicalVariable {
            name: variable.name.clone(),
            label: variable.label.clone(),
            coding,
            level_labels: variable.level_labels.clone(),
        }
    }
}

/// The pieces of a finished study run that a bundle is made from.
#[derive(Debug, Clone, Copy)]
pub struct StudyParts<'a> {
    /// Where the models came from.
    pub provenance: &'a Provenance,
    /// The CNN (see [`Cnn::resnet50`]).
    pub cnn: &'a Cnn,
    /// The CNN weights file to carry, if any.
    pub cnn_weights_path: Option<&'a Path>,
    /// The ICC filter's result.
    pub icc: &'a crate::icc::IccFilter,
    /// The LASSO signature.
    pub signature: &'a dlrn_lasso::SignatureModel,
    /// The clinical schema the models were coded with.
    pub schema: &'a crate::schema::ClinicalSchema,
    /// The clinical model (after backward elimination).
    pub clinical: &'a crate::model::FittedModel,
    /// The DLRN.
    pub dlrn: &'a crate::model::FittedModel,
    /// The Youden cut-offs.
    pub cutoffs: &'a crate::pipeline::Cutoffs,
    /// The DLRN nomogram.
    pub nomogram: &'a Nomogram,
    /// The training cohort (for the training ranges).
    pub training: &'a crate::pipeline::Cohort,
    /// The training cohort's signature scores.
    pub training_scores: &'a [f64],
}
/// [`Bundle`] from a finished study run.
pub trait BundleFromStudy: Sized {
    /// The bundle of a finished study run: the variables the two models use
    /// (in order of first use) compiled from the schema, the models'
    /// coefficients and covariances, and the training range of every input
    /// (signature features, clinical variables, the signature score).
    fn from_study(parts: StudyParts<'_>) -> Result<Self>;

    /// The bundle carrying the study's missing-value rule and the training
    /// values of its inputs: `features` (the training median of every
    /// candidate feature; the signature's are kept) and `clinical` (the
    /// training median or mode of each variable; the models' are kept).
    fn with_missing(
        self,
        rule: &str,
        features: &BTreeMap<String, f64>,
        clinical: &BTreeMap<String, ClinicalValue>,
    ) -> Result<Self>;
}

impl BundleFromStudy for Bundle {
    fn from_study(parts: StudyParts<'_>) -> Result<Bundle> {
        use crate::schema::VariableColumn;
        let schema = parts.schema;
        let mut used: Vec<usize> = Vec::new();
        for col in parts.clinical.columns.iter().chain(&parts.dlrn.columns) {
            if col == SIGNATURE_COLUMN {
                continue;
            }
            let k = schema
                .variables
                .iter()
                .position(|v| crate::coding::terms(v).iter().any(|t| t.name == *col))
                .ok_or_else(|| BundleError::Inconsistent {
                    path: PathBuf::from(CLINICAL),
                    message: format!("model column `{col}` is no variable's term in the schema"),
                })?;
            if !used.contains(&k) {
                used.push(k);
            }
        }
        let mut ranges = BTreeMap::new();
        for f in &parts.signature.features {
            let col = parts.training.features.column(&f.feature).ok_or_else(|| {
                BundleError::Inconsistent {
                    path: PathBuf::from(SIGNATURE),
                    message: format!(
                        "feature `{}` is not in the training cohort's table",
                        f.feature
                    ),
                }
            })?;
            if let Some(r) = InputRange::numeric(col) {
                ranges.insert(f.feature.clone(), r);
            }
        }
        if let Some(r) = InputRange::numeric(parts.training_scores) {
            ranges.insert(SIGNATURE_COLUMN.to_string(), r);
        }
        for &k in &used {
            let v = &schema.variables[k];
            let range = match parts.training.clinical.columns.get(k) {
                Some(VariableColumn::Numbers(x)) => {
                    InputRange::numeric(&x.iter().flatten().copied().collect::<Vec<_>>())
                }
                Some(VariableColumn::Levels(x)) => Some(InputRange::levels(
                    &x.iter()
                        .map(|i| i.and_then(|i| v.levels().get(i)))
                        .collect::<Vec<_>>(),
                )),
                None => None,
            };
            if let Some(r) = range {
                ranges.insert(v.name.clone(), r);
            }
        }
        let model = |m: &crate::model::FittedModel| LogisticModel {
            fit: m.method,
            ..LogisticModel::from_fit(&m.fit, &m.columns)
        };
        let bundle = Bundle {
            provenance: parts.provenance.clone(),
            cnn: parts.cnn.clone(),
            cnn_weights_path: parts.cnn_weights_path.map(Path::to_path_buf),
            features: KeptFeatures {
                icc_form: parts.icc.form.clone(),
                icc_threshold: parts.icc.threshold,
                kept: parts.icc.kept(),
            },
            signature: Signature::from_lasso(parts.signature),
            clinical: ClinicalPart {
                variables: used
                    .iter()
                    .map(|&k| ClinicalVariable::from_schema(&schema.variables[k]))
                    .collect(),
                model: model(parts.clinical),
            },
            dlrn: model(parts.dlrn),
            cutoffs: Cutoffs {
                clinical: parts.cutoffs.clinical,
                signature: parts.cutoffs.signature,
                dlrn: parts.cutoffs.dlrn,
            },
            nomogram: parts.nomogram.clone(),
            ranges,
            missing: None,
            harmonize: None,
            validation: None,
            update: None,
        };
        bundle.check(Path::new("model"))?;
        Ok(bundle)
    }

    fn with_missing(
        mut self,
        rule: &str,
        features: &BTreeMap<String, f64>,
        clinical: &BTreeMap<String, ClinicalValue>,
    ) -> Result<Bundle> {
        let needed: Vec<String> = self
            .needed_features()
            .iter()
            .map(|f| f.to_string())
            .collect();
        self.missing = Some(MissingPart {
            rule: rule.to_string(),
            features: needed
                .iter()
                .filter_map(|f| features.get(f).map(|v| (f.clone(), *v)))
                .collect(),
            clinical: self
                .clinical
                .variables
                .iter()
                .filter_map(|v| clinical.get(&v.name).map(|x| (v.name.clone(), x.clone())))
                .collect(),
        });
        self.check(Path::new("model"))?;
        Ok(self)
    }
}
