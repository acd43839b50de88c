//! Shared by the study's integration tests: fixture paths and outcome labels.
// Each test binary uses part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use dlrn_cohort::schema::ClinicalData;

/// A file of tests/fixtures.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The outcome labels of a clinical table in which every row has one.
pub fn labels(data: &ClinicalData) -> Vec<u8> {
    data.outcome
        .as_ref()
        .expect("an ALN_status column")
        .iter()
        .map(|v| v.expect("every row labelled"))
        .collect()
}
