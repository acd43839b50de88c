//! manifest.json beside the outputs: what made them.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::ReportError;

/// The provenance of a report folder. Hashes are computed by the caller.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// dlrn version.
    pub version: String,
    /// Seed of the run.
    pub seed: u64,
    /// SHA-256 of the config.
    pub config_hash: String,
    /// SHA-256 per input (cohort tables, features, weights), by name.
    pub inputs: BTreeMap<String, String>,
    /// Which weights made the deep features.
    pub weights: String,
    /// Whether the cohorts are simulated.
    pub simulated: bool,
    /// Output files relative to the folder (written sorted).
    pub outputs: Vec<String>,
}

impl Manifest {
    /// Writes pretty JSON with sorted outputs and a final newline to `path`.
    pub fn write(&self, path: &Path) -> Result<(), ReportError> {
        let mut m = self.clone();
        m.outputs.sort();
        m.outputs.dedup();
        let mut text = serde_json::to_string_pretty(&m).map_err(|source| ReportError::Json {
            path: path.to_path_buf(),
            source,
        })?;
        text.push('\n');
        std::fs::write(path, text).map_err(|source| ReportError::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}
