//! dlrn-cohort: the cohort folder contract (design.md), tables through polars,
//! images and masks, the clinical vocabulary, and whole-folder validation.
//!
//! A cohort folder holds `clinical.csv` (optional for image-only stages),
//! `images/<id>.png|jpg|tif|bmp|dcm`, `masks/<id>.png|…|roi|zip|nii|nii.gz`
//! (one label value = lesion; ImageJ outlines; NIfTI label maps) and
//! optionally `icc/<reader>/<id>.*` re-outlines.
//!
//! Images and masks are read from a path ([`load_image`], [`load_mask_for`])
//! or from a file's bytes and name ([`load_image_bytes`], [`load_mask_bytes`]),
//! the one decoder per format either way; an outline drawn on the image
//! becomes a mask by ImageJ's fill rule ([`mask_from_polygon`]).
//!
//! It also owns the feature store: an extraction's output table and its
//! sidecars on disk (`store`), the shard partition (`shard`) and the merge
//! of shards (`merge`).
//!
//! Feature `tables` (default) builds everything that needs polars, csv or
//! rayon: `table`, `clinical`, `schema`, the readers table, validation, the
//! feature store, shards, merge and the folder lock. Without it the crate
//! reads images, masks and outlines only, and builds for
//! `wasm32-unknown-unknown`.
//!
//! It depends on none of the workspace's crates and computes no feature.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

mod cases;
#[cfg(feature = "tables")]
pub mod clinical;
mod error;
mod formats;
mod images;
#[cfg(feature = "tables")]
pub mod lock;
mod masks;
#[cfg(feature = "tables")]
pub mod merge;
mod pixels;
#[cfg(feature = "tables")]
mod readers;
#[cfg(feature = "tables")]
pub mod schema;
#[cfg(feature = "tables")]
pub mod shard;
#[cfg(feature = "tables")]
pub mod store;
#[cfg(feature = "tables")]
pub mod table;
#[cfg(feature = "tables")]
mod validate;

pub use cases::{Case, list_images, scan_cases};
#[cfg(feature = "tables")]
pub use clinical::{Clinical, Patient, read_clinical, read_labels};
pub use error::{CohortError, StoreError};
pub use formats::raster::load_raster_mask;
pub use formats::{ImageOptions, nifti, roi, split_name};
pub use images::{IMAGE_EXTENSIONS, load_grey, load_image, load_image_bytes};
pub use masks::{
    MASK_EXTENSIONS, MaskOptions, list_masks, load_mask, load_mask_bytes, load_mask_for, load_pair,
    mask_from_polygon,
};
#[cfg(feature = "tables")]
pub use merge::{Merged, merge_shards};
pub use pixels::{FrameChoice, GreyImage, GreyMapping, LUMA, LoadedImage, Mask, Rescale, Voi};
#[cfg(feature = "tables")]
pub use readers::{READERS_FILE, Read, Readers, read_readers};
#[cfg(feature = "tables")]
pub use shard::{Shard, ShardManifest};
#[cfg(feature = "tables")]
pub use store::{
    Failure, FeatureStore, Outcome, Settings, Spec, sha256_file, sidecar, write_atomic,
};
#[cfg(feature = "tables")]
pub use table::{Table, feature_frame, write_table};
#[cfg(feature = "tables")]
pub use validate::{
    CohortSummary, NumericSummary, Validation, validate_cohort, validate_cohort_schema,
    validate_cohort_with,
};

/// One problem found in a cohort: where (file, 1-based row, column) and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The file (or folder) concerned.
    pub file: PathBuf,
    /// 1-based data row, for table problems.
    pub row: Option<usize>,
    /// Column name, for table problems.
    pub column: Option<String>,
    /// What is wrong and what was expected.
    pub message: String,
}

impl Problem {
    /// A problem at a file, optionally a row and column.
    pub fn new(
        file: &Path,
        row: Option<usize>,
        column: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        Problem {
            file: file.to_path_buf(),
            row,
            column: column.map(str::to_string),
            message: message.into(),
        }
    }

    /// A problem from an error; the error's own text already names the file,
    /// so only the message is kept (and the file for sorting/JSON).
    pub fn from_error(file: &Path, err: &CohortError) -> Self {
        let text = err.to_string();
        let prefix = format!("{}: ", file.display());
        let message = text.strip_prefix(&prefix).unwrap_or(&text).to_string();
        Problem::new(file, None, None, message)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(r) = self.row {
            write!(f, ": row {r}")?;
        }
        if let Some(c) = &self.column {
            write!(f, ", column `{c}`")?;
        }
        write!(f, ": {}", self.message)
    }
}
