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
use dlrn_cohort::{Case, GreyMapping, Table, feature_frame, scan_cases, write_table};
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
    /// `<out>.inputs.json`, holding the rows of `done`.
    pub inputs: InputsRecord,
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

/// `<out>.inputs.json`: the SHA-256 of the image and mask each row of the
/// output (or of the partial table) was computed from, by id.
///
/// While a run is in progress the file lists only rows already written, each
/// added after its row is on disk; a row whose image or mask changed stays
/// out of it until recomputed. So a run killed at any point never makes a
/// stale row (of an edited outline, say) look current to the next run.
pub struct InputsRecord {
    path: PathBuf,
    current: BTreeMap<String, String>,
    recorded: BTreeMap<String, String>,
}

impl InputsRecord {
    /// Reads what `<out>.inputs.json` recorded (nothing when absent or
    /// unreadable) beside the current fingerprints of the cases.
    pub fn open(out: &Path, current: BTreeMap<String, String>) -> Self {
        let path = sidecar(out, "inputs.json");
        let recorded = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        Self {
            path,
            current,
            recorded,
        }
    }

    /// Keeps the rows of `done` whose recorded fingerprint equals the current
    /// one, says how many were dropped, and rewrites the record to hold
    /// exactly the kept rows.
    pub fn keep_unchanged(
        &mut self,
        out: &Path,
        done: &mut BTreeMap<String, Vec<f64>>,
    ) -> anyhow::Result<()> {
        let before = done.len();
        let (recorded, current) = (&self.recorded, &self.current);
        done.retain(
            |id, _| matches!((recorded.get(id), current.get(id)), (Some(a), Some(b)) if a == b),
        );
        if done.len() < before {
            eprintln!(
                "{}: {} earlier row(s) not reused (image or mask changed, removed, or not recorded in {})",
                out.display(),
                before - done.len(),
                self.path.display()
            );
        }
        self.recorded.retain(|id, _| done.contains_key(id));
        if let Some(parent) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        self.save()
    }

    /// Records the current fingerprints of `ids`, whose rows are now on disk.
    pub fn add<'a>(&mut self, ids: impl IntoIterator<Item = &'a String>) -> anyhow::Result<()> {
        for id in ids {
            if let Some(f) = self.current.get(id) {
                self.recorded.insert(id.clone(), f.clone());
            }
        }
        self.save()
    }

    /// Records every case's current fingerprint: the run is complete.
    pub fn complete(&mut self) -> anyhow::Result<()> {
        self.recorded = self.current.clone();
        self.save()
    }

    fn save(&self) -> anyhow::Result<()> {
        write_atomic(
            &self.path,
            &(serde_json::to_string_pretty(&self.recorded)? + "\n"),
        )
    }
}

/// `<out>.grey.json`: how each row's image reached 8-bit grey (DICOM
/// transfer syntax, rescale, VOI window or min–max, frame), by id. Written
/// before the rows it describes, so every row on disk has its entry.
pub struct GreyRecord {
    path: PathBuf,
    map: BTreeMap<String, serde_json::Value>,
}

impl GreyRecord {
    /// Reads what `<out>.grey.json` recorded for the rows of `done` (rows
    /// resumed from an earlier run keep their entries).
    pub fn open(out: &Path, done: &BTreeMap<String, Vec<f64>>) -> Self {
        let path = sidecar(out, "grey.json");
        let mut map: BTreeMap<String, serde_json::Value> = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        map.retain(|id, _| done.contains_key(id));
        Self { path, map }
    }

    /// Records how the image of row `id` was read.
    pub fn insert(&mut self, id: String, mapping: &GreyMapping) -> anyhow::Result<()> {
        self.map.insert(id, serde_json::to_value(mapping)?);
        Ok(())
    }

    /// Writes the record (atomically).
    pub fn save(&self) -> anyhow::Result<()> {
        write_atomic(
            &self.path,
            &(serde_json::to_string_pretty(&self.map)? + "\n"),
        )
    }
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

/// Writes `contents` to `path` through a temporary file and a rename, so a
/// killed run leaves either the old file or the new one, never half of one.
pub fn write_atomic(path: &Path, contents: impl AsRef<[u8]>) -> anyhow::Result<()> {
    via_temp(path, |tmp| {
        std::fs::write(tmp, contents.as_ref()).with_context(|| format!("writing {}", tmp.display()))
    })
}

/// Has `write` write the file meant for `path` to a temporary name beside it
/// (`.partial-<name>`, the extension kept last for writers that choose the
/// format by it), then renames it into place.
pub fn via_temp(
    path: &Path,
    write: impl FnOnce(&Path) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let tmp = temp_path(path);
    write(&tmp)?;
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
    if cases.is_empty() {
        anyhow::bail!(
            "{}: no cases in images/ (an image and its mask in {masks}/ with the same name)",
            cohort.display()
        );
    }
    let labels = read_labels(cohort)?;
    let (todo, done, inputs) = resume(cases, out, names, Reuse::BOTH)?;
    Ok(Plan {
        todo,
        done,
        labels,
        inputs,
    })
}

/// Which earlier tables a run may take rows from.
#[derive(Debug, Clone, Copy)]
pub struct Reuse {
    /// A finished table at `out`.
    pub out: bool,
    /// The partial table an interrupted run left ([`partial_path`]).
    pub partial: bool,
}

impl Reuse {
    /// Both tables.
    pub const BOTH: Reuse = Reuse {
        out: true,
        partial: true,
    };
}

/// The cases still to compute, the rows an earlier run wrote by id, and the
/// inputs record holding those rows.
pub type Resumed = (Vec<Case>, BTreeMap<String, Vec<f64>>, InputsRecord);

/// Splits `cases` into those still to compute and the rows an earlier run
/// wrote (`reuse` says to which tables it may look) from the same image and
/// mask; returns them with the inputs record holding those rows.
pub fn resume(
    cases: Vec<Case>,
    out: &Path,
    names: &[String],
    reuse: Reuse,
) -> anyhow::Result<Resumed> {
    let mut done = BTreeMap::new();
    // A finished table, then the rows an interrupted run left in progress.
    if reuse.out {
        read_done(out, names, &mut done)?;
    }
    if reuse.partial {
        read_done(&partial_path(out), names, &mut done)?;
    }
    let mut inputs = InputsRecord::open(out, fingerprints(&cases)?);
    inputs.keep_unchanged(out, &mut done)?;
    let todo = cases
        .into_iter()
        .filter(|c| !done.contains_key(&c.id))
        .collect();
    Ok((todo, done, inputs))
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
    via_temp(out, |tmp| Ok(write_table(&mut df, tmp)?))
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
