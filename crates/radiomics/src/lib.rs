//! dlrn-radiomics: the 544 handcrafted features of the BUSAT toolbox as used by
//! the study (docs/handcrafted-features.md), one module per feature family.
//!
//! [`extract`] is the one entry point: whole 8-bit image + lesion mask in,
//! the 544 values with the released names and order out. [`Prepared::new`]
//! validates the inputs and despeckles the image (§2); every family reads
//! the resulting [`Prepared`]; [`registry::FAMILIES`] fixes names and order.
//! Colour and 16-bit input must be converted to 8-bit grey first (§2.2);
//! dlrn-cohort's image loader does that with the toolbox's luma weights.

#![warn(missing_docs)]

mod autocorr;
mod average_mass;
pub mod blocks;
pub mod boundary;
mod complexity;
pub mod error;
mod fractal;
mod glcm;
mod histogram;
mod laws;
mod lbp;
pub mod margin;
pub mod orientation;
pub mod posterior;
pub mod prepared;
pub mod preprocess;
mod ranklet;
pub mod registry;
pub mod shape;
mod texture_util;

#[cfg(test)]
mod family_tests;

pub use error::RadiomicsError;
pub use prepared::{BBox, Prepared};
pub use registry::{
    COLUMNS, FAMILIES, Family, Features, extract, extract_prepared, extract_prepared_timed,
};
