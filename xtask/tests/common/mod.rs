//! Helpers shared by the xtask end-to-end tests.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub mod study;

/// table2.csv's columns as issue 7 names them.
pub const COLUMNS: [&str; 21] = [
    "cohort",
    "model",
    "auc",
    "auc_ci_low",
    "auc_ci_high",
    "accuracy",
    "accuracy_ci_low",
    "accuracy_ci_high",
    "sensitivity",
    "sensitivity_ci_low",
    "sensitivity_ci_high",
    "specificity",
    "specificity_ci_low",
    "specificity_ci_high",
    "ppv",
    "ppv_ci_low",
    "ppv_ci_high",
    "npv",
    "npv_ci_low",
    "npv_ci_high",
    "delong_p",
];

/// The workspace root (xtask's parent folder).
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is inside the workspace")
        .to_path_buf()
}

/// A CSV of plain cells (no quoting) as a header and rows of named cells;
/// lines starting with `#` are comments.
pub fn read_csv(path: &Path) -> (Vec<String>, Vec<BTreeMap<String, String>>) {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let header: Vec<String> = lines
        .next()
        .expect("a header row")
        .split(',')
        .map(str::to_string)
        .collect();
    let rows = lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            assert_eq!(
                cells.len(),
                header.len(),
                "{}: ragged row {l}",
                path.display()
            );
            header
                .iter()
                .cloned()
                .zip(cells.into_iter().map(str::to_string))
                .collect()
        })
        .collect();
    (header, rows)
}

/// A numeric cell; panics naming the column when it is not a number.
pub fn num(r: &BTreeMap<String, String>, column: &str) -> f64 {
    r[column]
        .parse()
        .unwrap_or_else(|_| panic!("{column} = {:?} is not a number", r[column]))
}

/// Every file under `dir` (relative path → bytes).
pub fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("listing the output") {
            let p = e.expect("a directory entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).expect("under dir").to_path_buf();
                out.insert(rel, std::fs::read(&p).expect("reading an output"));
            }
        }
    }
    out
}

/// Lower-case hexadecimal of a digest.
pub fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
