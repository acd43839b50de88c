//! The feature store: an extraction's output table and its sidecars on disk
//! (design.md, "Extraction outputs").
//!
//! For an output table `<out>` (.csv or .parquet), beside it:
//! `<out>.inputs.json` (id → SHA-256 of the row's image then mask bytes),
//! `<out>.grey.json` (id → how the image reached 8-bit grey),
//! `<stem>.partial.<ext>` (the rows of an unfinished run),
//! `<out>.partial.json` / `<out>.meta.json` (the settings of the partial rows /
//! of the finished table, for extractions that record them),
//! `<out>.shard.json` (with a shard, written last) and
//! `<out>.failures.csv` (the cases that could not be extracted).
//! Every write goes through a temporary file and a rename.
//!
//! [`FeatureStore`] owns all of them for one run: [`FeatureStore::open`]
//! plans it (resuming rows computed under the same settings from unchanged
//! inputs), [`FeatureStore::commit`] saves a batch, [`FeatureStore::finish`]
//! writes the table and its provenance and removes the partial files.

use std::collections::BTreeMap;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::GreyMapping;
use crate::clinical::{LABEL, label_column, read_labels};
pub use crate::error::StoreError;
use crate::shard::{Shard, ShardManifest, select};
use crate::table::{Table, feature_frame, write_table};
use crate::{Case, CohortError, scan_cases};

/// The store's result type.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CohortError + '_ {
    move |e| CohortError::io(path, e)
}

/// `<out>.<suffix>` beside the output.
pub fn sidecar(out: &Path, suffix: &str) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".");
    name.push(suffix);
    out.with_file_name(name)
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

/// Every file an unfinished extraction to `out` may leave: the partial
/// table and its later parts ([`partial_segment`]), its settings
/// (`<out>.partial.json`) and `<out>.partial` (where earlier versions kept
/// their rows). A study driver removes these with the output when a
/// stage's inputs change.
pub fn partial_files(out: &Path) -> Vec<PathBuf> {
    let mut files = vec![partial_path(out)];
    files.extend(partial_segments(out));
    files.push(sidecar(out, "partial.json"));
    files.push(sidecar(out, "partial"));
    files
}

/// Part `k` (1, 2, …) of the partial rows of a Parquet output, after the
/// first part at [`partial_path`]: `<stem>.partial.<k>.<ext>`. (A Parquet
/// file cannot be appended to, so each saved batch is a part of its own; a
/// CSV output's partial table is one file the batches are appended to.)
pub fn partial_segment(out: &Path, k: usize) -> PathBuf {
    let (stem, ext) = stem_ext(out);
    out.with_file_name(format!("{stem}.partial.{k}{ext}"))
}

/// The file stem and the extension with its dot (empty without one).
fn stem_ext(out: &Path) -> (String, String) {
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = out
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    (stem, ext)
}

/// The parts after the first of `out`'s partial rows on disk, in order.
fn partial_segments(out: &Path) -> Vec<PathBuf> {
    let (stem, ext) = stem_ext(out);
    let prefix = format!("{stem}.partial.");
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut parts: Vec<(usize, PathBuf)> = entries
        .filter_map(|e| {
            let name = e.ok()?.file_name().to_string_lossy().into_owned();
            let k: usize = name
                .strip_prefix(&prefix)?
                .strip_suffix(ext.as_str())?
                .parse()
                .ok()?;
            (k > 0).then(|| (k, partial_segment(out, k)))
        })
        .collect();
    parts.sort();
    parts.into_iter().map(|(_, p)| p).collect()
}

fn is_csv(out: &Path) -> bool {
    out.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
}

/// The temporary name a file meant for `path` is written under
/// (`.partial-<name>` beside it; the extension kept last for writers that
/// choose the format by it).
pub fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    path.with_file_name(format!(".partial-{name}"))
}

/// Has `write` write the file meant for `path` to [`temp_path`], then
/// renames it into place: a killed run leaves the old file or the new one,
/// never half of one.
pub fn via_temp<E: From<CohortError>>(
    path: &Path,
    write: impl FnOnce(&Path) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    let tmp = temp_path(path);
    write(&tmp)?;
    std::fs::rename(&tmp, path).map_err(|e| E::from(CohortError::io(&tmp, e)))
}

/// Writes `contents` to `path` atomically (see [`via_temp`]).
pub fn write_atomic(path: &Path, contents: impl AsRef<[u8]>) -> Result<(), CohortError> {
    via_temp(path, |tmp| {
        std::fs::write(tmp, contents.as_ref()).map_err(io(tmp))
    })
}

/// Writes `value` as pretty JSON and a newline, atomically.
pub fn write_json<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|source| StoreError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(write_atomic(path, text + "\n")?)
}

/// SHA-256 of a file's bytes as lowercase hex (the provenance manifests).
pub fn sha256_file(path: &Path) -> Result<String, CohortError> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

/// SHA-256 over each case's image bytes then mask bytes, by id (hex).
pub fn fingerprints(cases: &[Case]) -> Result<BTreeMap<String, String>, CohortError> {
    cases
        .par_iter()
        .map(|c| {
            let mut h = Sha256::new();
            for p in [&c.image, &c.mask] {
                h.update(std::fs::read(p).map_err(io(p))?);
            }
            Ok((c.id.clone(), hex::encode(h.finalize())))
        })
        .collect()
}

/// Writes all rows sorted by id (so reruns and resumed runs give the same
/// bytes), with the labels of `labels` when given, atomically.
pub fn write_rows(
    out: &Path,
    names: &[String],
    labels: Option<&BTreeMap<String, Option<u8>>>,
    rows: &BTreeMap<String, Vec<f64>>,
) -> Result<(), CohortError> {
    let ids: Vec<String> = rows.keys().cloned().collect();
    let values: Vec<Vec<f64>> = rows.values().cloned().collect();
    let label_col: Option<Vec<Option<u8>>> =
        labels.map(|l| ids.iter().map(|id| l.get(id).copied().flatten()).collect());
    let mut df = feature_frame(&ids, label_col.as_deref(), names, &values)?;
    via_temp(out, |tmp| write_table(&mut df, tmp))
}

/// A feature table read back: its feature columns, labels and rows by id.
pub struct FeatureRows {
    /// The feature column names (all but id and ALN_status).
    pub names: Vec<String>,
    /// The ids, in file order.
    pub ids: Vec<String>,
    /// ALN_status by row, when the table has it.
    pub labels: Option<Vec<Option<u8>>>,
    /// The feature values by row.
    pub rows: Vec<Vec<f64>>,
}

impl FeatureRows {
    /// Reads a feature table (id, [ALN_status], features).
    pub fn read(path: &Path) -> Result<Self, CohortError> {
        let table = Table::read(path)?;
        let ids = table.ids()?;
        let labels = label_column(&table)?;
        let names = table.feature_names(LABEL);
        let columns: Vec<Vec<f64>> = names
            .iter()
            .map(|n| table.f64_column(n))
            .collect::<Result<_, _>>()?;
        let rows = (0..ids.len())
            .map(|i| columns.iter().map(|c| c[i]).collect())
            .collect();
        Ok(FeatureRows {
            names,
            ids,
            labels,
            rows,
        })
    }
}

/// Adds the rows of an earlier output at `path` (when it exists) to `done`;
/// its columns must be exactly id, [ALN_status], `names`.
fn read_done(path: &Path, names: &[String], done: &mut BTreeMap<String, Vec<f64>>) -> Result<()> {
    if !path.exists() {
        return Ok(());
    }
    let table = FeatureRows::read(path).map_err(|e| {
        StoreError::Invalid(format!(
            "reading the existing output {}: {e}",
            path.display()
        ))
    })?;
    if table.names != names {
        return Err(StoreError::Invalid(format!(
            "{} exists but its columns are not this extraction's ({} feature columns, expected {}); \
             delete it or choose another --out",
            path.display(),
            table.names.len(),
            names.len()
        )));
    }
    done.extend(table.ids.into_iter().zip(table.rows));
    Ok(())
}

fn remove_if_exists(path: &Path) -> Result<(), CohortError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(CohortError::io(path, e)),
        _ => Ok(()),
    }
}

/// A per-row sidecar (id → JSON value) that a run grows batch by batch.
///
/// During a run the file holds one entry per line (`  "<id>": <compact
/// JSON>`) inside the braces, so it is valid JSON after every save, and a
/// batch is saved by writing its entries over the closing brace and a new
/// brace after them: saving costs the batch, not the whole record. The
/// first save of a run writes the whole record (atomically); [`Self::write_final`]
/// writes it pretty-printed, sorted by id, once a run is over. A run killed
/// during an append leaves at most its last line torn: [`read_record`]
/// reads the entries before it.
struct RowRecord<V> {
    path: PathBuf,
    map: BTreeMap<String, V>,
    /// The file's length as this run last wrote it; `None` until this run
    /// has written the whole record once.
    len: Option<u64>,
}

/// One entry line of a [`RowRecord`] file: `  "<id>": <compact JSON>`.
fn entry_line<V: Serialize>(path: &Path, id: &str, value: &V) -> Result<String> {
    let json = |e| StoreError::Json {
        path: path.to_path_buf(),
        source: e,
    };
    Ok(format!(
        "  {}: {}",
        serde_json::to_string(id).map_err(json)?,
        serde_json::to_string(value).map_err(json)?
    ))
}

impl<V: Serialize + for<'de> Deserialize<'de>> RowRecord<V> {
    /// The record at `path` as an earlier run left it (empty when absent or unreadable).
    fn open(path: PathBuf) -> Self {
        let map = read_record(&path).unwrap_or_default();
        RowRecord {
            path,
            map,
            len: None,
        }
    }

    /// Writes the whole record, one entry per line, atomically.
    fn rewrite(&mut self) -> Result<()> {
        let text = if self.map.is_empty() {
            "{}\n".to_string()
        } else {
            let lines = self
                .map
                .iter()
                .map(|(id, v)| entry_line(&self.path, id, v))
                .collect::<Result<Vec<_>>>()?;
            format!("{{\n{}\n}}\n", lines.join(",\n"))
        };
        write_atomic(&self.path, &text)?;
        self.len = Some(text.len() as u64);
        Ok(())
    }

    /// Adds `entries` to the record and saves them: appended in place when
    /// this run has written the file and it is as this run left it, else
    /// the whole record rewritten.
    fn append(&mut self, entries: Vec<(String, V)>) -> Result<()> {
        let was_empty = self.map.is_empty();
        let mut lines = Vec::with_capacity(entries.len());
        let mut fresh = true;
        for (id, v) in entries {
            lines.push(entry_line(&self.path, &id, &v)?);
            fresh &= self.map.insert(id, v).is_none();
        }
        let on_disk = std::fs::metadata(&self.path).ok().map(|m| m.len());
        // An id already recorded is replaced by a rewrite, never listed twice.
        let Some(len) = self.len.filter(|&l| fresh && on_disk == Some(l)) else {
            return self.rewrite();
        };
        if lines.is_empty() {
            return Ok(());
        }
        // Over "}\n" of an empty record, else over "\n}\n" after the last entry.
        let (at, lead) = if was_empty {
            (len - 2, "\n")
        } else {
            (len - 3, ",\n")
        };
        let tail = format!("{lead}{}\n}}\n", lines.join(",\n"));
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .open(&self.path)
            .map_err(io(&self.path))?;
        file.seek(SeekFrom::Start(at))
            .and_then(|_| file.write_all(tail.as_bytes()))
            .map_err(io(&self.path))?;
        self.len = Some(at + tail.len() as u64);
        Ok(())
    }

    /// Writes the record pretty-printed (what a finished run leaves), atomically.
    fn write_final(&mut self) -> Result<()> {
        write_json(&self.path, &self.map)?;
        self.len = None;
        Ok(())
    }
}

/// Reads a per-row sidecar; `None` when absent or not of type `V`. A record
/// whose last line a killed append tore (see [`RowRecord`]) gives the
/// entries before that line.
fn read_record<V: for<'de> Deserialize<'de>>(path: &Path) -> Option<BTreeMap<String, V>> {
    let text = std::fs::read_to_string(path).ok()?;
    if let Ok(map) = serde_json::from_str(&text) {
        return Some(map);
    }
    let mut lines = text.lines();
    if lines.next()?.trim_end() != "{" {
        return None;
    }
    let mut map = BTreeMap::new();
    for line in lines {
        let line = line.trim_end();
        // The line before a torn append ends in "," (or ",}" when only the
        // comma of the append reached the disk).
        let entry = line
            .strip_suffix(",}")
            .or_else(|| line.strip_suffix(','))
            .unwrap_or(line);
        match serde_json::from_str::<BTreeMap<String, V>>(&format!("{{{entry}}}")) {
            Ok(one) if one.len() == 1 => map.extend(one),
            _ => break,
        }
    }
    Some(map)
}

/// `<out>.inputs.json`: the SHA-256 of the image and mask each row of the
/// output (or of the partial table) was computed from, by id.
///
/// While a run is in progress the file lists only rows already written, each
/// added after its row is on disk; a row whose image or mask changed stays
/// out of it until recomputed. So a run killed at any point never makes a
/// stale row (of an edited outline, say) look current to the next run.
pub struct InputsRecord {
    record: RowRecord<String>,
    current: BTreeMap<String, String>,
}

impl InputsRecord {
    /// Reads what `<out>.inputs.json` recorded (nothing when absent or
    /// unreadable) beside the current fingerprints of the cases.
    pub fn open(out: &Path, current: BTreeMap<String, String>) -> Self {
        Self {
            record: RowRecord::open(sidecar(out, "inputs.json")),
            current,
        }
    }

    /// Keeps the rows of `done` whose recorded fingerprint equals the current
    /// one, says how many were dropped, and rewrites the record to hold
    /// exactly the kept rows.
    pub fn keep_unchanged(
        &mut self,
        out: &Path,
        done: &mut BTreeMap<String, Vec<f64>>,
    ) -> Result<()> {
        let before = done.len();
        let (recorded, current) = (&self.record.map, &self.current);
        done.retain(
            |id, _| matches!((recorded.get(id), current.get(id)), (Some(a), Some(b)) if a == b),
        );
        if done.len() < before {
            eprintln!(
                "{}: {} earlier row(s) not reused (image or mask changed, removed, or not recorded in {})",
                out.display(),
                before - done.len(),
                self.record.path.display()
            );
        }
        self.record.map.retain(|id, _| done.contains_key(id));
        if let Some(parent) = self
            .record
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        self.record.rewrite()
    }

    /// Records the current fingerprints of `ids`, whose rows are now on disk
    /// (appended to the record: the cost of the batch).
    pub fn add<'a>(&mut self, ids: impl IntoIterator<Item = &'a String>) -> Result<()> {
        let entries = ids
            .into_iter()
            .filter_map(|id| self.current.get(id).map(|f| (id.clone(), f.clone())))
            .collect();
        self.record.append(entries)
    }

    /// Records the current fingerprint of every row of `rows`: the run is
    /// over (every case's, unless failed cases were accepted without a row).
    pub fn complete(&mut self, rows: &BTreeMap<String, Vec<f64>>) -> Result<()> {
        self.record.map = self
            .current
            .iter()
            .filter(|(id, _)| rows.contains_key(*id))
            .map(|(id, f)| (id.clone(), f.clone()))
            .collect();
        self.record.write_final()
    }
}

/// `<out>.grey.json`: how each row's image reached 8-bit grey (DICOM
/// transfer syntax, rescale, VOI window or min–max, frame), by id. Written
/// before the rows it describes, so every row on disk has its entry.
pub struct GreyRecord {
    record: RowRecord<serde_json::Value>,
}

impl GreyRecord {
    /// Reads what `<out>.grey.json` recorded for the rows of `done` (rows
    /// resumed from an earlier run keep their entries).
    pub fn open(out: &Path, done: &BTreeMap<String, Vec<f64>>) -> Self {
        let mut record = RowRecord::open(sidecar(out, "grey.json"));
        record.map.retain(|id, _| done.contains_key(id));
        Self { record }
    }

    /// Records how the images of a batch of rows were read and saves the
    /// record (appended to it: the cost of the batch), before the rows are
    /// written.
    pub fn add(&mut self, batch: &[(String, &GreyMapping)]) -> Result<()> {
        let entries = batch
            .iter()
            .map(|(id, mapping)| {
                serde_json::to_value(mapping)
                    .map(|v| (id.clone(), v))
                    .map_err(|source| StoreError::Json {
                        path: self.record.path.clone(),
                        source,
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        self.record.append(entries)
    }

    /// Writes the whole record, pretty-printed (atomically): once, when a run ends.
    pub fn save(&mut self) -> Result<()> {
        self.record.write_final()
    }
}

/// The settings an extraction's rows depend on beyond its inputs (weights,
/// backend, preprocessing…), for extractions that record them: written to
/// `<out>.partial.json` while the run is in progress and `<out>.meta.json`
/// when it is complete; rows of an earlier table are reused only when its
/// record passes `same`.
pub struct Settings<'a> {
    /// The record, as written (pretty JSON).
    pub record: String,
    /// Whether the record found at a path describes rows these settings would compute.
    pub same: &'a dyn Fn(&Path) -> bool,
}

/// What an extraction is, for [`FeatureStore::open`].
pub struct Spec<'a> {
    /// The cohort folder.
    pub cohort: &'a Path,
    /// Its masks sub-folder.
    pub masks: &'a str,
    /// The output table.
    pub out: &'a Path,
    /// The feature column names.
    pub names: Vec<String>,
    /// Only this shard of the cases (see [`select`]).
    pub shard: Option<Shard>,
    /// "handcrafted" or "deep" (recorded in `<out>.shard.json`).
    pub kind: &'a str,
}

/// One case that could not be extracted (a row of `<out>.failures.csv`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Patient id.
    pub id: String,
    /// The image (or mask) the failure concerns.
    pub file: PathBuf,
    /// Why, as the reader or extractor said.
    pub reason: String,
}

/// How a run ended ([`FeatureStore::finish`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every case has its row; the table is at `<out>`.
    Complete,
    /// Some cases failed and the table was accepted without them
    /// (`--keep-going`); it is at `<out>`, the failures beside it.
    Accepted,
    /// Some cases failed: the good rows stay in the partial table (a rerun
    /// resumes from them), no table is at `<out>`.
    Partial,
}

/// An extraction's output table and its sidecars, for one run.
pub struct FeatureStore {
    out: PathBuf,
    names: Vec<String>,
    labels: Option<BTreeMap<String, Option<u8>>>,
    rows: BTreeMap<String, Vec<f64>>,
    inputs: InputsRecord,
    grey: GreyRecord,
    record: Option<String>,
    resumed: usize,
    cases: usize,
    shard: Option<(Shard, ShardManifest)>,
    /// Parts of the partial rows on disk (0: none yet; a CSV output has at
    /// most one, appended to).
    parts: usize,
}

impl FeatureStore {
    /// The cases of a cohort an extraction works on (`spec.shard`'s only,
    /// when given); an empty cohort is an error. With a shard, first removes
    /// the shard record of an earlier run, so an interrupted run never looks
    /// complete.
    pub fn cases(spec: &Spec) -> Result<Vec<Case>> {
        if spec.shard.is_some() {
            remove_if_exists(&sidecar(spec.out, "shard.json"))?;
        }
        let cases = select(scan_cases(spec.cohort, spec.masks)?, spec.shard)?;
        if cases.is_empty() {
            return Err(StoreError::Invalid(format!(
                "{}: no cases in images/ (an image and its mask in {}/ with the same name)",
                spec.cohort.display(),
                spec.masks
            )));
        }
        Ok(cases)
    }

    /// Opens the store for `cases` (from [`FeatureStore::cases`]): reads
    /// the labels and resumes the rows of a finished `<out>` and of the
    /// partial rows that were computed under the same `settings` from an
    /// unchanged image and mask. `shard_settings` is what `<out>.shard.json`
    /// records as the settings (with a shard). Returns the store and the
    /// cases still to compute, sorted by id.
    pub fn open(
        spec: &Spec,
        cases: Vec<Case>,
        settings: Option<Settings>,
        shard_settings: serde_json::Value,
    ) -> Result<(Self, Vec<Case>)> {
        let out = spec.out;
        let shard = match spec.shard {
            Some(s) => {
                let manifest = ShardManifest::new(
                    spec.kind,
                    s,
                    &scan_cases(spec.cohort, spec.masks)?,
                    shard_settings,
                )?;
                Some((s, manifest))
            }
            None => None,
        };
        let labels = read_labels(spec.cohort)?;
        let partial = partial_path(out);
        let partial_meta = sidecar(out, "partial.json");
        let (reuse_out, reuse_partial) = match &settings {
            None => (true, true),
            Some(s) => (
                out.exists() && (s.same)(&sidecar(out, "meta.json")),
                partial.exists() && (s.same)(&partial_meta),
            ),
        };
        let mut done = BTreeMap::new();
        // A finished table, then the rows an interrupted run left in progress.
        if reuse_out {
            read_done(out, &spec.names, &mut done)?;
        }
        let mut in_partial = BTreeMap::new();
        if reuse_partial {
            if is_csv(&partial) && partial.exists() {
                // An append killed midway leaves its last row incomplete
                // (and not in inputs.json: it is recomputed anyway).
                crate::table::truncate_torn_csv(&partial)?;
            }
            read_done(&partial, &spec.names, &mut in_partial)?;
            for part in partial_segments(out) {
                read_done(&part, &spec.names, &mut in_partial)?;
            }
        }
        let from_partial: Vec<String> = in_partial.keys().cloned().collect();
        done.extend(in_partial);
        let n_cases = cases.len();
        let mut inputs = InputsRecord::open(out, fingerprints(&cases)?);
        inputs.keep_unchanged(out, &mut done)?;
        let todo: Vec<Case> = cases
            .into_iter()
            .filter(|c| !done.contains_key(&c.id))
            .collect();
        let mut parts = 0;
        if !todo.is_empty() {
            // The partial rows start again as one file of exactly those kept,
            // appended to from here on: rows of changed inputs or of other
            // settings are not to be mixed with this run's.
            let kept: BTreeMap<String, Vec<f64>> = from_partial
                .iter()
                .filter_map(|id| done.get(id).map(|v| (id.clone(), v.clone())))
                .collect();
            if kept.is_empty() {
                remove_if_exists(&partial)?;
            } else {
                write_rows(&partial, &spec.names, labels.as_ref(), &kept)?;
                parts = 1;
            }
            // After the rewrite: a kill in between leaves rows twice, never none.
            for p in partial_segments(out) {
                remove_if_exists(&p)?;
            }
            if let Some(s) = &settings {
                write_atomic(&partial_meta, format!("{}\n", s.record))?;
            }
        }
        let grey = GreyRecord::open(out, &done);
        let store = FeatureStore {
            out: out.to_path_buf(),
            names: spec.names.clone(),
            labels,
            resumed: done.len(),
            rows: done,
            inputs,
            grey,
            record: settings.map(|s| s.record),
            cases: n_cases,
            shard,
            parts,
        };
        Ok((store, todo))
    }

    /// The output table.
    pub fn out(&self) -> &Path {
        &self.out
    }

    /// The feature column names.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Rows taken from an earlier run.
    pub fn resumed(&self) -> usize {
        self.resumed
    }

    /// Rows held (resumed and committed).
    pub fn rows(&self) -> &BTreeMap<String, Vec<f64>> {
        &self.rows
    }

    /// Cases of this run (the shard's, with one).
    pub fn cases_total(&self) -> usize {
        self.cases
    }

    /// Saves a batch of finished rows (id, values, how the image reached
    /// grey): the grey levels first, so every row on disk has its entry; the
    /// rows added to the partial rows, never to `<out>` (a CSV output's
    /// partial table grows by the batch, a Parquet output's gets the batch
    /// as a part of its own: saving costs the batch, not the whole table);
    /// their input fingerprints last, so a row is reused only once on disk.
    pub fn commit(&mut self, batch: Vec<(String, Vec<f64>, GreyMapping)>) -> Result<()> {
        let grey: Vec<(String, &GreyMapping)> =
            batch.iter().map(|(id, _, m)| (id.clone(), m)).collect();
        self.grey.add(&grey)?;
        let mut rows = BTreeMap::new();
        for (id, values, _) in batch {
            self.rows.insert(id.clone(), values.clone());
            rows.insert(id, values);
        }
        if !rows.is_empty() {
            let partial = partial_path(&self.out);
            if self.parts == 0 {
                write_rows(&partial, &self.names, self.labels.as_ref(), &rows)?;
                self.parts = 1;
            } else if is_csv(&self.out) {
                let ids: Vec<String> = rows.keys().cloned().collect();
                let values: Vec<Vec<f64>> = rows.values().cloned().collect();
                let labels: Option<Vec<Option<u8>>> = self
                    .labels
                    .as_ref()
                    .map(|l| ids.iter().map(|id| l.get(id).copied().flatten()).collect());
                let mut df = feature_frame(&ids, labels.as_deref(), &self.names, &values)?;
                crate::table::append_csv_rows(&mut df, &partial)?;
            } else {
                let part = partial_segment(&self.out, self.parts);
                write_rows(&part, &self.names, self.labels.as_ref(), &rows)?;
                self.parts += 1;
            }
        }
        self.inputs.add(rows.keys())
    }

    /// Ends the run. Without failures, or with them and `accept_partial`:
    /// the table at `<out>`, the input fingerprint of every row, the settings
    /// record as `<out>.meta.json`, the partial files removed and, with a
    /// shard, `<out>.shard.json` last (listing the failed cases it accepted). With failures and not
    /// `accept_partial`: the good rows stay in the partial table for a rerun
    /// and no table stays at `<out>`. Failures (or none) are written to
    /// `<out>.failures.csv`, an earlier one removed when there are none.
    pub fn finish(&mut self, failures: &[Failure], accept_partial: bool) -> Result<Outcome> {
        self.grey.save()?;
        let failures_csv = sidecar(&self.out, "failures.csv");
        if failures.is_empty() {
            remove_if_exists(&failures_csv)?;
        } else {
            write_failures(&failures_csv, failures)?;
        }
        if !failures.is_empty() && !accept_partial {
            // One partial table of every finished row, an earlier <out>'s
            // too, for the rerun; no table that looks complete stays at <out>.
            write_rows(
                &partial_path(&self.out),
                &self.names,
                self.labels.as_ref(),
                &self.rows,
            )?;
            for p in partial_segments(&self.out) {
                remove_if_exists(&p)?;
            }
            remove_if_exists(&self.out)?;
            return Ok(Outcome::Partial);
        }
        // Complete: the table, then its provenance; then the partial files go.
        write_rows(&self.out, &self.names, self.labels.as_ref(), &self.rows)?;
        self.inputs.complete(&self.rows)?;
        if let Some(record) = &self.record {
            write_atomic(&sidecar(&self.out, "meta.json"), format!("{record}\n"))?;
        }
        for p in partial_files(&self.out) {
            remove_if_exists(&p)?;
        }
        if let Some((_, manifest)) = &self.shard {
            if failures.is_empty() {
                write_json(&sidecar(&self.out, "shard.json"), manifest)?;
            } else {
                let failed: Vec<String> = failures.iter().map(|f| f.id.clone()).collect();
                write_json(
                    &sidecar(&self.out, "shard.json"),
                    &manifest.without(&failed),
                )?;
            }
        }
        Ok(if failures.is_empty() {
            Outcome::Complete
        } else {
            Outcome::Accepted
        })
    }
}

/// A CSV cell: quoted when it holds a comma, quote or line break.
fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Writes `<out>.failures.csv`: id, file, reason, one row per failed case.
fn write_failures(path: &Path, failures: &[Failure]) -> Result<()> {
    let mut text = String::from("id,file,reason\n");
    for f in failures {
        text.push_str(&format!(
            "{},{},{}\n",
            csv_cell(&f.id),
            csv_cell(&f.file.display().to_string()),
            csv_cell(&f.reason)
        ));
    }
    Ok(write_atomic(path, text)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sidecar_and_partial_names() {
        let out = Path::new("work/hc.parquet");
        assert_eq!(
            sidecar(out, "inputs.json"),
            Path::new("work/hc.parquet.inputs.json")
        );
        assert_eq!(partial_path(out), Path::new("work/hc.partial.parquet"));
        assert_eq!(partial_path(Path::new("hc")), Path::new("hc.partial"));
        assert_eq!(temp_path(out), Path::new("work/.partial-hc.parquet"));
    }

    /// SHA-256 of "abc" (FIPS 180-2, appendix B.1).
    #[test]
    fn sha256_of_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("abc");
        std::fs::write(&p, b"abc").unwrap();
        assert_eq!(
            sha256_file(&p).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    /// A record grows by appends that keep it valid JSON, is rewritten
    /// whole when the file is not as the run left it, and is pretty once
    /// the run ends; a torn append loses only the entry it was writing.
    #[test]
    fn a_row_record_appends_and_survives_a_torn_append() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.inputs.json");
        let mut r: RowRecord<String> = RowRecord::open(path.clone());
        r.append(vec![("b".into(), "2".into())]).unwrap();
        r.append(vec![("a".into(), "1".into()), ("c".into(), "3".into())])
            .unwrap();
        r.append(Vec::new()).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "{\n  \"b\": \"2\",\n  \"a\": \"1\",\n  \"c\": \"3\"\n}\n"
        );
        let back: BTreeMap<String, String> = serde_json::from_str(&text).unwrap();
        assert_eq!(back.len(), 3);
        // Torn while appending "d": the line before ends in "," or ",}".
        for torn in [
            "{\n  \"b\": \"2\",\n  \"a\": \"1\",}\n",
            "{\n  \"b\": \"2\",\n  \"a\": \"1\",\n\n",
            "{\n  \"b\": \"2\",\n  \"a\": \"1\",\n  \"d\": \"4",
        ] {
            std::fs::write(&path, torn).unwrap();
            let got: BTreeMap<String, String> = read_record(&path).unwrap();
            assert_eq!(got.keys().collect::<Vec<_>>(), ["a", "b"], "{torn:?}");
        }
        // Not as this run left it: the next save rewrites it whole.
        r.append(vec![("d".into(), "4".into())]).unwrap();
        let back: BTreeMap<String, String> =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(back.keys().collect::<Vec<_>>(), ["a", "b", "c", "d"]);
        r.write_final().unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            serde_json::to_string_pretty(&back).unwrap() + "\n"
        );
    }

    #[test]
    fn failures_csv_quotes_cells() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.csv");
        write_failures(
            &p,
            &[Failure {
                id: "P1".into(),
                file: PathBuf::from("images/P1.png"),
                reason: "bad, \"very\"".into(),
            }],
        )
        .unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "id,file,reason\nP1,images/P1.png,\"bad, \"\"very\"\"\"\n"
        );
    }
}
