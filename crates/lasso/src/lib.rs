//! dlrn-lasso: L1 / elastic-net penalised logistic regression path and
//! cross-validation equivalent to R's `glmnet` / `cv.glmnet` (family
//! binomial, glmnet 4.1-6 defaults), with linfa trait integration and
//! `plot.glmnet`-style figures.
//!
//! Data crosses the API as slices: a column-major design ([`Design`]) and 0/1
//! labels. No polars or ndarray type appears in the core API; the linfa
//! adaptor ([`linfa`]) converts from linfa's ndarray 0.16 datasets.

pub mod cv;
mod error;
mod kernels;
pub mod linfa;
pub mod model;
pub mod path;
pub mod plot;
pub mod rrng;

pub use cv::{CvResult, Folds, Measure, auc, cross_validate, cross_validate_measures};
pub use error::LassoError;
pub use model::{FeatureCoefficient, InputHash, LambdaChoice, PathSummary, SignatureModel};
pub use path::{Design, LassoPath, PathOptions, fit_path, fit_path_rows};
pub use rrng::{RRng, cv_glmnet_foldid};
