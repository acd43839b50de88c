//! `dlrn extract handcrafted|deep`: per-image feature tables, and the driver
//! both share (case pairing, labels, resume, ordered output, failure report).
//!
//! Resuming is safe against changed inputs: `<out>.inputs.json` records the
//! SHA-256 of each row's image and mask, and a row is reused only while both
//! are unchanged (an edited outline or a replaced image is recomputed).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use dlrn_cohort::{Case, Table, feature_frame, scan_cases, write_table};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::util::sidecar;
use super::{extract_deep, extract_handcrafted};

/// Extract a feature table from a cohort's images and masks.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub kind: Kind,
}

/// Which features to extract.
#[derive(Debug, Subcommand)]
pub enum Kind {
    /// The 544 handcrafted (BUSAT) features of every image.
    Handcrafted(extract_handcrafted::Args),
    /// The 2048 ResNet50 global-average-pool features of every lesion crop.
    Deep(extract_deep::Args),
}

/// Runs the chosen extraction.
pub fn run(args: Args) -> anyhow::Result<()> {
    match args.kind {
        Kind::Handcrafted(a) => extract_handcrafted::run(a),
        Kind::Deep(a) => extract_deep::run(a),
    }
}

/// What an extraction has to do: the cases still missing from the output, the
/// rows already there (resume), and the labels from clinical.csv if present.
pub struct Plan {
    /// Cases whose id is not yet in the output, sorted by id.
    pub todo: Vec<Case>,
    /// Rows already in the output and computed from the same image and mask, by id.
    pub done: BTreeMap<String, Vec<f64>>,
    /// ALN_status by id, when the cohort has a labelled clinical.csv.
    pub labels: Option<HashMap<String, Option<u8>>>,
}

/// SHA-256 over each case's image bytes then mask bytes, by id (hex).
pub fn fingerprints(cases: &[Case]) -> anyhow::Result<BTreeMap<String, String>> {
    cases
        .par_iter()
        .map(|c| {
            let mut h = Sha256::new();
            for p in [&c.image, &c.mask] {
                h.update(std::fs::read(p).with_context(|| format!("reading {}", p.display()))?);
            }
            Ok((c.id.clone(), hex::encode(h.finalize())))
        })
        .collect()
}

/// Keeps the rows of `done` whose recorded fingerprint (in `<out>.inputs.json`)
/// equals the current one, says how many were dropped, and records the
/// current fingerprints for the rows to come.
pub fn keep_unchanged(
    out: &Path,
    done: &mut BTreeMap<String, Vec<f64>>,
    inputs: &BTreeMap<String, String>,
) -> anyhow::Result<()> {
    let path = sidecar(out, "inputs.json");
    let recorded: BTreeMap<String, String> = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let before = done.len();
    done.retain(|id, _| matches!((recorded.get(id), inputs.get(id)), (Some(a), Some(b)) if a == b));
    if done.len() < before {
        eprintln!(
            "{}: {} earlier row(s) not reused (image or mask changed, removed, or not recorded in {})",
            out.display(),
            before - done.len(),
            path.display()
        );
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    write_atomic(&path, &(serde_json::to_string_pretty(inputs)? + "\n"))
}

/// Where an unfinished extraction keeps the rows done so far
/// (`<stem>.partial.<ext>` beside `out`): the table at `out` appears only
/// when the run is complete, so a killed or failed run never leaves a file
/// that looks finished, and a rerun resumes from this one.
pub fn partial_path(out: &Path) -> PathBuf {
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    match out.extension() {
        Some(ext) => out.with_file_name(format!("{stem}.partial.{}", ext.to_string_lossy())),
        None => out.with_file_name(format!("{stem}.partial")),
    }
}

/// Adds the rows of an earlier output at `path` (when it exists) to `done`;
/// its columns must be exactly id, [ALN_status], `names`.
fn read_done(
    path: &Path,
    names: &[String],
    done: &mut BTreeMap<String, Vec<f64>>,
) -> anyhow::Result<()> {
    if !path.exists() {
        return Ok(());
    }
    let table = Table::read(path)
        .with_context(|| format!("reading the existing output {}", path.display()))?;
    let expected: Vec<String> = table
        .column_names()
        .into_iter()
        .filter(|c| c != "id" && c != "ALN_status")
        .collect();
    if expected != names {
        anyhow::bail!(
            "{} exists but its columns are not this extraction's ({} feature columns, expected {}); \
             delete it or choose another --out",
            path.display(),
            expected.len(),
            names.len()
        );
    }
    let ids = table.ids()?;
    let columns: Vec<Vec<f64>> = names
        .iter()
        .map(|n| table.f64_column(n))
        .collect::<Result<_, _>>()?;
    for (i, id) in ids.into_iter().enumerate() {
        done.insert(id, columns.iter().map(|c| c[i]).collect());
    }
    Ok(())
}

/// Writes `text` to `path` through a temporary file and a rename, so a killed
/// run leaves either the old file or the new one, never half of one.
pub fn write_atomic(path: &Path, text: &str) -> anyhow::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".partial-{name}"));
    std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("moving {} into place", tmp.display()))
}

/// Pairs images with masks and reads what an earlier run already wrote to
/// `out` or left in [`partial_path`] (columns exactly id, [ALN_status], `names`).
/// With `shard`, only that shard's cases (see `merge::select`).
pub fn plan(
    cohort: &Path,
    masks: &str,
    out: &Path,
    names: &[String],
    shard: Option<super::merge::Shard>,
) -> anyhow::Result<Plan> {
    let cases = super::merge::select(scan_cases(cohort, masks)?, shard)?;
    let labels = read_labels(cohort)?;
    let mut done = BTreeMap::new();
    // A finished table, then the rows an interrupted run left in progress.
    read_done(out, names, &mut done)?;
    read_done(&partial_path(out), names, &mut done)?;
    let inputs = fingerprints(&cases)?;
    keep_unchanged(out, &mut done, &inputs)?;
    let todo = cases
        .into_iter()
        .filter(|c| !done.contains_key(&c.id))
        .collect();
    Ok(Plan { todo, done, labels })
}

fn read_labels(cohort: &Path) -> anyhow::Result<Option<HashMap<String, Option<u8>>>> {
    let path = cohort.join("clinical.csv");
    if !path.exists() {
        return Ok(None);
    }
    let table = Table::read(&path)?;
    if !table.has_column("ALN_status") {
        return Ok(None);
    }
    let ids = table.ids()?;
    let raw = table.f64_column("ALN_status")?;
    let mut out = HashMap::with_capacity(ids.len());
    for (row, (id, v)) in ids.into_iter().zip(raw).enumerate() {
        let label = match v {
            x if x.is_nan() => None,
            0.0 => Some(0),
            1.0 => Some(1),
            x => anyhow::bail!(
                "{}: row {}, column `ALN_status`: {x} is not 0 or 1",
                path.display(),
                row + 1
            ),
        };
        out.insert(id, label);
    }
    Ok(Some(out))
}

/// Writes all rows sorted by id (so reruns and resumed runs give the same bytes).
pub fn write_rows(
    out: &Path,
    names: &[String],
    labels: Option<&HashMap<String, Option<u8>>>,
    rows: &BTreeMap<String, Vec<f64>>,
) -> anyhow::Result<()> {
    let ids: Vec<String> = rows.keys().cloned().collect();
    let values: Vec<Vec<f64>> = rows.values().cloned().collect();
    let label_col: Option<Vec<Option<u8>>> =
        labels.map(|l| ids.iter().map(|id| l.get(id).copied().flatten()).collect());
    let mut df = feature_frame(&ids, label_col.as_deref(), names, &values)?;
    let tmp = temp_path(out);
    write_table(&mut df, &tmp)?;
    std::fs::rename(&tmp, out).with_context(|| format!("moving {} into place", tmp.display()))?;
    Ok(())
}

fn temp_path(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    // Keep the extension last: the writer picks the format from it.
    out.with_file_name(format!(".partial-{name}"))
}

/// Prints per-image failures together and NaN counts per column; with
/// `strict`, any failure is an error (the rows that succeeded are already written).
pub fn finish(
    out: &Path,
    names: &[String],
    rows: &BTreeMap<String, Vec<f64>>,
    failures: &[(String, String)],
    strict: bool,
) -> anyhow::Result<()> {
    let mut nan_cols: Vec<(String, usize)> = names
        .iter()
        .enumerate()
        .map(|(j, n)| (n.clone(), rows.values().filter(|r| r[j].is_nan()).count()))
        .filter(|(_, c)| *c > 0)
        .collect();
    nan_cols.sort();
    eprintln!(
        "{}: {} rows, {} feature columns",
        out.display(),
        rows.len(),
        names.len()
    );
    if !nan_cols.is_empty() {
        let parts: Vec<String> = nan_cols.iter().map(|(n, c)| format!("{n} ({c})")).collect();
        eprintln!("undefined values (NaN) in: {}", parts.join(", "));
    }
    if !failures.is_empty() {
        eprintln!("{} image(s) could not be processed:", failures.len());
        for (id, msg) in failures {
            eprintln!("  {id}: {msg}");
        }
        if strict {
            anyhow::bail!("{} image(s) failed (--strict)", failures.len());
        }
    }
    Ok(())
}
