//! dlrn-lasso: L1-penalised logistic regression path and cross-validation
//! equivalent to R's `glmnet`/`cv.glmnet` (family binomial).
