//! dlrn-radiomics: the 544 handcrafted features of the BUSAT toolbox as used by
//! the study (docs/handcrafted-features.md), one module per feature family.
//!
//! [`Prepared::new`] validates the whole image and mask and despeckles the
//! image (§2); every family reads the resulting [`Prepared`].

pub mod blocks;
pub mod error;
pub mod prepared;
pub mod preprocess;
mod autocorr;
mod average_mass;
mod complexity;
mod fractal;
mod glcm;
mod histogram;
mod laws;
mod lbp;
mod ranklet;
mod texture_util;

pub use error::RadiomicsError;
pub use prepared::{BBox, Prepared};
