//! dlrn-harmonize: ComBat batch harmonisation with `sva::ComBat`'s numbers
//! (Johnson, Li & Rabinovic 2007, Biostatistics 8:118–127; the reference
//! batch as Zhang, Jenkins & Johnson 2018, BMC Bioinformatics 19:262).
//! Slices in, serde structs out; no file system.
//!
//! | step | here | sva 3.46.0 |
//! | --- | --- | --- |
//! | fit and adjust | [`fit`] | `ComBat(dat, batch, mod, par.prior, mean.only, ref.batch)` |
//! | reference batch alone | [`fit_reference`] | the reference's part of `ComBat(…, ref.batch)` |
//! | new batch onto a fitted standard | [`Model::apply`] | `ComBat` on reference + that batch with `ref.batch` (no covariates) |
//! | parametric posterior | `eb::it_sol` | `it.sol` |
//! | non-parametric posterior | `eb::int_eprior` | `int.eprior` |
//! | priors | [`aprior`], [`bprior`], [`postmean`], [`postvar`] | `aprior`, `bprior`, `postmean`, `postvar` |
//!
//! Values are row-major (rows = patients, columns = features), the transpose
//! of sva's `dat`. The oracle: `tests/fixtures/make_combat.R`.

mod combat;
mod eb;
mod error;
mod linalg;

pub use combat::{
    Applied, AppliedBatch, BatchFit, ConstantFeatures, Covariate, CovariateFit, Data, Fitted,
    MIN_BATCH_ROWS, Model, Options, Prior, fit, fit_reference,
};
pub use eb::{CONVERGENCE, MAX_ITERATIONS, Priors, aprior, bprior, postmean, postvar};
pub use error::HarmonizeError;
