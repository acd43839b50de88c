//! The signature model file (`model.json`) written by `dlrn lasso` and read by
//! `dlrn score --model`: the chosen lambda's intercept and non-zero
//! coefficients on the original feature scale, a summary of the CV path and
//! the SHA-256 of every input table.

use serde::{Deserialize, Serialize};

use crate::{CvResult, LassoError, Measure};

/// Which cross-validated lambda a model uses (`s = "lambda.min"` or `"lambda.1se"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LambdaChoice {
    /// The lambda with the best mean CV measure.
    #[serde(rename = "min")]
    Min,
    /// The largest lambda within one standard error of the best.
    #[serde(rename = "1se")]
    OneSe,
}

/// One selected feature and its coefficient (log-odds per unit, original scale).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureCoefficient {
    /// Column name in the feature table.
    pub feature: String,
    /// Coefficient on the original (unstandardised) scale.
    pub coefficient: f64,
}

/// One input table and its SHA-256 (lower-case hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputHash {
    /// The path as given.
    pub path: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
}

/// A compact summary of the cross-validated path (what `print(cv.glmnet)` and
/// `plot.cv.glmnet` show), one entry per lambda.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathSummary {
    /// Lambdas, decreasing.
    pub lambda: Vec<f64>,
    /// Non-zero coefficients of the full fit per lambda.
    pub df: Vec<usize>,
    /// Mean CV measure per lambda.
    pub cvm: Vec<f64>,
    /// Its standard error per lambda.
    pub cvsd: Vec<f64>,
    /// `lambda.min`.
    pub lambda_min: f64,
    /// `lambda.1se`.
    pub lambda_1se: f64,
    /// 1-based index of `lambda.min` (as R reports `index`).
    pub index_min: usize,
    /// 1-based index of `lambda.1se`.
    pub index_1se: usize,
    /// Number of folds.
    pub n_folds: usize,
    /// Training rows.
    pub n_rows: usize,
    /// Candidate features.
    pub n_features: usize,
}

/// The `model.json` contract between `dlrn lasso` and `dlrn score`: the score
/// of a row is `intercept + sum(coefficient * value)` over `features`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignatureModel {
    /// The lambda used.
    pub lambda: f64,
    /// Which CV lambda it is.
    pub lambda_choice: LambdaChoice,
    /// The CV measure that chose it.
    pub measure: Measure,
    /// Intercept (log-odds).
    pub intercept: f64,
    /// Non-zero coefficients, in table column order.
    pub features: Vec<FeatureCoefficient>,
    /// The CV path.
    pub path: PathSummary,
    /// Input tables and their hashes, in stacking order.
    pub inputs: Vec<InputHash>,
}

impl SignatureModel {
    /// Builds the model at the chosen lambda of a CV result; `names` are the
    /// design's column names.
    pub fn from_cv(
        cv: &CvResult,
        choice: LambdaChoice,
        names: &[String],
        inputs: Vec<InputHash>,
    ) -> Self {
        let k = match choice {
            LambdaChoice::Min => cv.index_min,
            LambdaChoice::OneSe => cv.index_1se,
        };
        let features = cv.fit.beta[k]
            .iter()
            .map(|&(j, c)| FeatureCoefficient {
                feature: names[j].clone(),
                coefficient: c,
            })
            .collect();
        let n_folds = cv.foldid.iter().copied().max().unwrap_or(0);
        SignatureModel {
            lambda: cv.lambda[k],
            lambda_choice: choice,
            measure: cv.measure,
            intercept: cv.fit.intercept[k],
            features,
            path: PathSummary {
                lambda: cv.lambda.clone(),
                df: cv.nzero.clone(),
                cvm: cv.cvm.clone(),
                cvsd: cv.cvsd.clone(),
                lambda_min: cv.lambda_min,
                lambda_1se: cv.lambda_1se,
                index_min: cv.index_min + 1,
                index_1se: cv.index_1se + 1,
                n_folds,
                n_rows: cv.foldid.len(),
                n_features: cv.fit.n_cols,
            },
            inputs,
        }
    }

    /// The linear predictor (signature score) of one row given its values
    /// for `features`, in the same order; NaN when `values` does not hold
    /// exactly one value per feature (never a sum over a truncated row).
    /// Prefer [`SignatureModel::try_score`], which says what is wrong.
    pub fn score(&self, values: &[f64]) -> f64 {
        self.try_score(values).unwrap_or(f64::NAN)
    }

    /// The linear predictor of one row, or [`LassoError::Length`] when
    /// `values` does not hold exactly one value per selected feature.
    pub fn try_score(&self, values: &[f64]) -> Result<f64, LassoError> {
        if values.len() != self.features.len() {
            return Err(LassoError::Length {
                what: "feature values",
                found: values.len(),
                expected: self.features.len(),
                per: "selected feature",
            });
        }
        Ok(self.intercept
            + self
                .features
                .iter()
                .zip(values)
                .map(|(f, v)| f.coefficient * v)
                .sum::<f64>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shape_and_score() {
        let model = SignatureModel {
            lambda: 0.05,
            lambda_choice: LambdaChoice::OneSe,
            measure: Measure::Auc,
            intercept: -0.5,
            features: vec![
                FeatureCoefficient {
                    feature: "a".into(),
                    coefficient: 2.0,
                },
                FeatureCoefficient {
                    feature: "b".into(),
                    coefficient: -1.0,
                },
            ],
            path: PathSummary {
                lambda: vec![0.1, 0.05],
                df: vec![0, 2],
                cvm: vec![0.5, 0.7],
                cvsd: vec![0.01, 0.02],
                lambda_min: 0.05,
                lambda_1se: 0.05,
                index_min: 2,
                index_1se: 2,
                n_folds: 10,
                n_rows: 100,
                n_features: 5,
            },
            inputs: vec![InputHash {
                path: "t.csv".into(),
                sha256: "00".into(),
            }],
        };
        // -0.5 + 2 * 1.5 - 1 * 4 = -1.5
        assert_eq!(model.score(&[1.5, 4.0]), -1.5);
        assert_eq!(model.try_score(&[1.5, 4.0]).unwrap(), -1.5);
        // A short row used to be zipped away: -0.5 + 2 * 1.5 = 2.5, silently.
        assert!(model.score(&[1.5]).is_nan());
        assert_eq!(
            model.try_score(&[1.5]).unwrap_err().to_string(),
            "feature values has 1 entries, expected 2 (one per selected feature)"
        );
        assert!(model.try_score(&[1.5, 4.0, 9.0]).is_err());
        let v: serde_json::Value = serde_json::to_value(&model).unwrap();
        assert_eq!(v["measure"], "auc");
        assert_eq!(v["lambda_choice"], "1se");
        assert_eq!(v["features"][1]["feature"], "b");
        assert_eq!(v["features"][1]["coefficient"], -1.0);
        let back: SignatureModel = serde_json::from_value(v).unwrap();
        assert_eq!(back, model);
    }
}
