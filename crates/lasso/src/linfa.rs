//! linfa integration: the binomial lasso as a linfa [`Fit`] / [`PredictInplace`]
//! model, so it composes with linfa datasets, metrics and pipelines.
//!
//! linfa 0.8 has no binomial L1 path (linfa-logistic is L2 only,
//! linfa-elasticnet is Gaussian), so the solver is this crate's; this module
//! only adapts linfa's ndarray 0.16 datasets to the slice API.

use linfa::dataset::{DatasetBase, Records};
use linfa::traits::{Fit, PredictInplace};
use ndarray016::{Array1, ArrayBase, Data, Ix1, Ix2};

use crate::{
    CvResult, Design, Folds, LambdaChoice, LassoError, Measure, PathOptions, cross_validate,
};

/// A 0/1 outcome as linfa targets may hold it.
pub trait BinaryLabel: Copy {
    /// The label as 0 or 1; `None` for anything else.
    fn to_01(self) -> Option<u8>;
}

impl BinaryLabel for bool {
    fn to_01(self) -> Option<u8> {
        Some(u8::from(self))
    }
}

impl BinaryLabel for usize {
    fn to_01(self) -> Option<u8> {
        (self <= 1).then_some(self as u8)
    }
}

impl BinaryLabel for u8 {
    fn to_01(self) -> Option<u8> {
        (self <= 1).then_some(self)
    }
}

/// Hyper-parameters of a cross-validated binomial lasso
/// (`cv.glmnet(x, y, family = "binomial")` then `coef(cv, s = choice)`).
#[derive(Debug, Clone, PartialEq)]
pub struct LassoLogisticParams {
    /// Path options (glmnet's arguments).
    pub options: PathOptions,
    /// Fold assignment.
    pub folds: Folds,
    /// CV measure.
    pub measure: Measure,
    /// lambda.min or lambda.1se.
    pub choice: LambdaChoice,
}

impl Default for LassoLogisticParams {
    fn default() -> Self {
        LassoLogisticParams {
            options: PathOptions::default(),
            folds: Folds::Seeded { k: 10, seed: 1 },
            measure: Measure::Deviance,
            choice: LambdaChoice::Min,
        }
    }
}

/// A fitted binomial lasso at the chosen CV lambda.
#[derive(Debug, Clone, PartialEq)]
pub struct LassoLogistic {
    /// Intercept (log-odds).
    pub intercept: f64,
    /// Dense coefficients, original scale.
    pub coefficients: Vec<f64>,
    /// The lambda used.
    pub lambda: f64,
    /// The full cross-validation result.
    pub cv: CvResult,
}

impl LassoLogistic {
    /// Log-odds of one row.
    pub fn link(&self, row: impl IntoIterator<Item = f64>) -> f64 {
        self.intercept
            + self
                .coefficients
                .iter()
                .zip(row)
                .map(|(b, x)| b * x)
                .sum::<f64>()
    }
}

impl<D, T, L> Fit<ArrayBase<D, Ix2>, ArrayBase<T, Ix1>, LassoError> for LassoLogisticParams
where
    D: Data<Elem = f64>,
    T: Data<Elem = L>,
    L: BinaryLabel,
{
    type Object = LassoLogistic;

    fn fit(
        &self,
        dataset: &DatasetBase<ArrayBase<D, Ix2>, ArrayBase<T, Ix1>>,
    ) -> Result<LassoLogistic, LassoError> {
        let x = dataset.records();
        let (n, p) = (x.nsamples(), x.nfeatures());
        // Column-major copy: the layout the coordinate updates read.
        let mut data = Vec::with_capacity(n * p);
        for col in x.columns() {
            data.extend(col.iter().copied());
        }
        let targets = dataset.targets();
        if targets.len() != n {
            return Err(LassoError::Length {
                what: "targets",
                found: targets.len(),
                expected: n,
                per: "record",
            });
        }
        let mut y = Vec::with_capacity(n);
        for (i, &t) in targets.iter().enumerate() {
            y.push(t.to_01().ok_or(LassoError::BadLabel {
                row: i + 1,
                value: u8::MAX,
            })?);
        }
        let design = Design::column_major(&data, n, p)?;
        let cv = cross_validate(&design, &y, &self.folds, self.measure, &self.options)?;
        let k = match self.choice {
            LambdaChoice::Min => cv.index_min,
            LambdaChoice::OneSe => cv.index_1se,
        };
        Ok(LassoLogistic {
            intercept: cv.fit.intercept[k],
            coefficients: cv.fit.coefficients(k),
            lambda: cv.lambda[k],
            cv,
        })
    }
}

/// Predicts probabilities of class 1 (`predict(cv, newx, s, type = "response")`).
impl<D: Data<Elem = f64>> PredictInplace<ArrayBase<D, Ix2>, Array1<f64>> for LassoLogistic {
    fn predict_inplace(&self, x: &ArrayBase<D, Ix2>, y: &mut Array1<f64>) {
        assert_eq!(x.nrows(), y.len(), "one target per record");
        for (row, out) in x.rows().into_iter().zip(y.iter_mut()) {
            let eta = self.link(row.iter().copied());
            *out = 1.0 / (1.0 + (-eta).exp());
        }
    }

    fn default_target(&self, x: &ArrayBase<D, Ix2>) -> Array1<f64> {
        Array1::zeros(x.nrows())
    }
}
