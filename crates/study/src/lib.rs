//! dlrn-study: the study of study.md as a library. The clinical variables are
//! declared in data (a schema: numeric, binary, ordinal, nominal with an
//! explicit reference level) and coded once; the univariate screen, backward
//! elimination, the clinical and DLRN models, the ICC filter, Table 1 and the
//! nomogram are built from typed inputs per stage. Statistics come from
//! dlrn-stats, dlrn-lasso and dlrn-nomogram; this crate composes them.

pub mod bundle;
pub mod error;

pub use error::{Result, StudyError};
