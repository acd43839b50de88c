//! Sharded extraction: which cases shard I of N takes, the record a
//! finished shard leaves (`<shard>.shard.json`), and the merge of the shard
//! files into one feature table.
//!
//! Partition: the cohort's cases sorted by id (scan order never matters) are
//! cut into N contiguous runs; shard I (0-based, as `$SLURM_ARRAY_TASK_ID`)
//! takes cases `floor(I·n/N) .. floor((I+1)·n/N)`, so the run lengths differ
//! by at most one and shard 0 holds the smallest ids. Each shard file has a
//! `<shard>.shard.json` beside it (written last, when the shard is complete)
//! naming the shard, N, the extraction's settings (weights and their SHA-256
//! for deep features), the SHA-256 of the whole cohort's sorted id list and
//! the shard's ids; `<shard>.inputs.json` holds the SHA-256 of each row's
//! image and mask, as for any extraction.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::{
    FeatureRows, Result, StoreError, fingerprints, sidecar, write_json, write_rows,
};
use crate::{Case, CohortError, scan_cases};

/// One shard of a cohort: index `index` (0-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// 0-based index, below `count`.
    pub index: usize,
    /// How many shards the cohort is cut into.
    pub count: usize,
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("{s:?} is not I/N (e.g. 0/4)"))?;
        let index: usize = i
            .trim()
            .parse()
            .map_err(|_| format!("{s:?}: shard index {i:?} is not a whole number"))?;
        let count: usize = n
            .trim()
            .parse()
            .map_err(|_| format!("{s:?}: shard count {n:?} is not a whole number"))?;
        if count == 0 || index >= count {
            return Err(format!(
                "{s:?}: the index must be 0 to N-1 and N at least 1"
            ));
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// The file name shard I of N of a stage gets in a study's shard
    /// folder (`shard-I-of-N.parquet`).
    pub fn file_name(index: usize, count: usize) -> String {
        format!("shard-{index}-of-{count}.parquet")
    }
}

/// The cases of `shard` among `cases` (sorted by id, as `scan_cases` returns
/// them): a contiguous run, see the module doc. All cases when `shard` is None.
pub fn select(cases: Vec<Case>, shard: Option<Shard>) -> Result<Vec<Case>> {
    let Some(s) = shard else { return Ok(cases) };
    let n = cases.len();
    if s.count > n {
        return Err(StoreError::Invalid(format!(
            "--shard {s}: the cohort has {n} case(s), so at most {n} shard(s) can each hold one"
        )));
    }
    debug_assert!(cases.windows(2).all(|w| w[0].id < w[1].id));
    let (from, to) = (s.index * n / s.count, (s.index + 1) * n / s.count);
    Ok(cases.into_iter().skip(from).take(to - from).collect())
}

/// What `<shard>.shard.json` records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardManifest {
    /// "handcrafted" or "deep".
    pub kind: String,
    /// Which shard this file is.
    pub shard: Shard,
    /// How the cohort was cut.
    pub partition: String,
    /// Cases in the whole cohort (all shards).
    pub cohort_cases: usize,
    /// SHA-256 of the whole cohort's sorted ids, one per line.
    pub cohort_ids_sha256: String,
    /// Everything else that decides the values (masks folder, version; the
    /// weights, backend and preprocessing for deep features).
    pub settings: serde_json::Value,
    /// The ids of this shard's rows, sorted.
    pub ids: Vec<String>,
}

const PARTITION: &str = "contiguous runs of the cases sorted by id";

fn ids_sha256<'a>(ids: impl Iterator<Item = &'a str>) -> String {
    let mut h = Sha256::new();
    for id in ids {
        h.update(id.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

impl ShardManifest {
    /// The record of `shard` of a cohort whose cases (all of them, sorted
    /// by id) are `all`.
    pub fn new(
        kind: &str,
        shard: Shard,
        all: &[Case],
        settings: serde_json::Value,
    ) -> Result<Self> {
        let ids = select(all.to_vec(), Some(shard))?
            .into_iter()
            .map(|c| c.id)
            .collect();
        Ok(ShardManifest {
            kind: kind.into(),
            shard,
            partition: PARTITION.into(),
            cohort_cases: all.len(),
            cohort_ids_sha256: ids_sha256(all.iter().map(|c| c.id.as_str())),
            settings,
            ids,
        })
    }

    /// Reads a shard's manifest (`None` when the file has none: not a finished shard).
    pub fn read(shard: &Path) -> Result<Option<ShardManifest>> {
        let path = sidecar(shard, "shard.json");
        if !path.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path).map_err(|e| CohortError::io(&path, e))?;
        let m = serde_json::from_str(&text).map_err(|e| {
            StoreError::Invalid(format!("{}: not a shard manifest: {e}", path.display()))
        })?;
        Ok(Some(m))
    }
}

/// One shard read back: its manifest, rows and input fingerprints.
struct Part {
    path: PathBuf,
    manifest: ShardManifest,
    table: FeatureRows,
    inputs: BTreeMap<String, String>,
    /// Per-row sidecars (`<shard>.<suffix>`, id → value) by suffix, inputs.json included.
    rows_json: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
}

/// Sidecars that are not per-row maps: the shard's own manifest, the deep
/// provenance (merged on its own) and deep's resume state.
const NOT_PER_ROW: [&str; 4] = ["shard.json", "meta.json", "partial.json", "partial"];

fn invalid(message: String) -> StoreError {
    StoreError::Invalid(message)
}

/// The per-row JSON sidecars of a shard file (`<shard>.inputs.json`,
/// `<shard>.grey.json`, …), read as id → value maps, by suffix.
fn row_sidecars(shard: &Path) -> Result<BTreeMap<String, BTreeMap<String, serde_json::Value>>> {
    let name = shard
        .file_name()
        .ok_or_else(|| invalid(format!("{}: not a file name", shard.display())))?
        .to_string_lossy()
        .to_string();
    let dir = match shard.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).map_err(|e| CohortError::io(&dir, e))? {
        let file = entry
            .map_err(|e| CohortError::io(&dir, e))?
            .file_name()
            .to_string_lossy()
            .to_string();
        let Some(suffix) = file
            .strip_prefix(name.as_str())
            .and_then(|r| r.strip_prefix('.'))
        else {
            continue;
        };
        if !suffix.ends_with(".json") || NOT_PER_ROW.contains(&suffix) {
            continue;
        }
        let path = sidecar(shard, suffix);
        let text = std::fs::read_to_string(&path).map_err(|e| CohortError::io(&path, e))?;
        let map: BTreeMap<String, serde_json::Value> =
            serde_json::from_str(&text).map_err(|e| {
                invalid(format!(
                    "{}: not a per-row (id → value) map: {e}",
                    path.display()
                ))
            })?;
        out.insert(suffix.to_string(), map);
    }
    Ok(out)
}

fn read_part(path: &Path) -> Result<Part> {
    let manifest = ShardManifest::read(path)?.ok_or_else(|| {
        invalid(format!(
            "{}: no {} (not a shard file, or its extraction did not finish)",
            path.display(),
            sidecar(path, "shard.json").display()
        ))
    })?;
    let table = FeatureRows::read(path)?;
    if table.ids != manifest.ids {
        return Err(invalid(format!(
            "{}: its rows ({} ids) are not the {} ids its shard.json lists",
            path.display(),
            table.ids.len(),
            manifest.ids.len()
        )));
    }
    let inputs_path = sidecar(path, "inputs.json");
    let text =
        std::fs::read_to_string(&inputs_path).map_err(|e| CohortError::io(&inputs_path, e))?;
    let inputs: BTreeMap<String, String> = serde_json::from_str(&text).map_err(|e| {
        invalid(format!(
            "{}: not an id → SHA-256 map: {e}",
            inputs_path.display()
        ))
    })?;
    if inputs.keys().ne(table.ids.iter()) {
        return Err(invalid(format!(
            "{}: does not hold exactly the ids of {}",
            inputs_path.display(),
            path.display()
        )));
    }
    let rows_json = row_sidecars(path)?;
    Ok(Part {
        path: path.to_path_buf(),
        manifest,
        table,
        inputs,
        rows_json,
    })
}

/// The first difference between two shards' provenance, in words.
fn mismatch(a: &ShardManifest, b: &ShardManifest) -> Option<String> {
    if a.kind != b.kind {
        return Some(format!("{} features, not {}", b.kind, a.kind));
    }
    if a.shard.count != b.shard.count {
        return Some(format!(
            "one of {} shards, not {}",
            b.shard.count, a.shard.count
        ));
    }
    if a.partition != b.partition {
        return Some(format!("partitioned as {:?}", b.partition));
    }
    if (a.cohort_cases, &a.cohort_ids_sha256) != (b.cohort_cases, &b.cohort_ids_sha256) {
        return Some(format!(
            "a shard of another cohort ({} cases, ids SHA-256 {}; expected {} cases, {})",
            b.cohort_cases, b.cohort_ids_sha256, a.cohort_cases, a.cohort_ids_sha256
        ));
    }
    if a.settings != b.settings {
        return Some(format!(
            "extracted with other settings: {} (expected {})",
            b.settings, a.settings
        ));
    }
    None
}

/// What a merge wrote.
#[derive(Debug, Clone)]
pub struct Merged {
    /// "handcrafted" or "deep".
    pub kind: String,
    /// Rows in the merged table.
    pub rows: usize,
    /// How many shards were joined.
    pub shards: usize,
    /// The first shard file given (its `meta.json` holds the provenance all
    /// shards share).
    pub first: PathBuf,
}

/// Joins the shard files of a sharded extraction into the table `out` and
/// its per-row sidecars (`<out>.inputs.json`, `<out>.grey.json`, joined by
/// id), byte-identical to an unsharded extraction's. Every shard 0..N-1 of
/// one extraction must be given exactly once (in any order), each with its
/// `<shard>.shard.json` and `<shard>.inputs.json`; shards of different N,
/// kind, settings or cohort (its sorted ids) are refused, naming the shard
/// file. With `cohort`, each shard's recorded image and mask SHA-256 are
/// checked against the files now there. A provenance record beside the
/// shards (`meta.json`) is the caller's to merge.
pub fn merge_shards(shards: &[PathBuf], out: &Path, cohort: Option<&Path>) -> Result<Merged> {
    let parts: Vec<Part> = shards.iter().map(|p| read_part(p)).collect::<Result<_>>()?;
    let first = parts
        .first()
        .ok_or_else(|| invalid("no shard files given".into()))?;
    let n = first.manifest.shard.count;
    let mut by_index: BTreeMap<usize, &Part> = BTreeMap::new();
    for p in &parts {
        if let Some(why) = mismatch(&first.manifest, &p.manifest) {
            return Err(invalid(format!(
                "{}: does not belong with {}: {why}",
                p.path.display(),
                first.path.display()
            )));
        }
        if p.table.names != first.table.names
            || p.table.labels.is_some() != first.table.labels.is_some()
        {
            return Err(invalid(format!(
                "{}: its columns differ from {}'s",
                p.path.display(),
                first.path.display()
            )));
        }
        if p.rows_json.keys().ne(first.rows_json.keys()) {
            let names = |q: &Part| q.rows_json.keys().cloned().collect::<Vec<_>>().join(", ");
            return Err(invalid(format!(
                "{}: its per-row sidecars ({}) are not {}'s ({})",
                p.path.display(),
                names(p),
                first.path.display(),
                names(first)
            )));
        }
        if let Some(other) = by_index.insert(p.manifest.shard.index, p) {
            return Err(invalid(format!(
                "shard {} given twice: {} and {}",
                p.manifest.shard,
                other.path.display(),
                p.path.display()
            )));
        }
    }
    let missing: Vec<String> = (0..n)
        .filter(|i| !by_index.contains_key(i))
        .map(|i| format!("{i}/{n}"))
        .collect();
    if !missing.is_empty() {
        let given: Vec<String> = by_index
            .values()
            .map(|p| format!("{} ({})", p.path.display(), p.manifest.shard))
            .collect();
        return Err(invalid(format!(
            "shard(s) {} missing; given: {}",
            missing.join(", "),
            given.join(", ")
        )));
    }
    // The shards' ids must make the cohort exactly: same count, same hash.
    let mut rows: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut labels: BTreeMap<String, Option<u8>> = BTreeMap::new();
    let mut rows_json: BTreeMap<String, BTreeMap<String, serde_json::Value>> = BTreeMap::new();
    for p in by_index.values() {
        for (i, id) in p.table.ids.iter().enumerate() {
            if rows.insert(id.clone(), p.table.rows[i].clone()).is_some() {
                return Err(invalid(format!(
                    "{}: id {id:?} is also in another shard",
                    p.path.display()
                )));
            }
            if let Some(l) = &p.table.labels {
                labels.insert(id.clone(), l[i]);
            }
        }
        for (suffix, map) in &p.rows_json {
            let joined = rows_json.entry(suffix.clone()).or_default();
            for (id, v) in map {
                if joined.insert(id.clone(), v.clone()).is_some() {
                    return Err(invalid(format!(
                        "{}: id {id:?} is also in another shard's {suffix}",
                        sidecar(&p.path, suffix).display()
                    )));
                }
            }
        }
    }
    let cohort_ids = ids_sha256(rows.keys().map(String::as_str));
    if rows.len() != first.manifest.cohort_cases || cohort_ids != first.manifest.cohort_ids_sha256 {
        return Err(invalid(format!(
            "the shards hold {} ids (SHA-256 {cohort_ids}), not the cohort's {} ({})",
            rows.len(),
            first.manifest.cohort_cases,
            first.manifest.cohort_ids_sha256
        )));
    }
    if let Some(cohort) = cohort {
        check_inputs(cohort, &by_index)?;
    }
    write_rows(
        out,
        &first.table.names,
        first.table.labels.as_ref().map(|_| &labels),
        &rows,
    )?;
    for (suffix, map) in &rows_json {
        write_json(&sidecar(out, suffix), map)?;
    }
    Ok(Merged {
        kind: first.manifest.kind.clone(),
        rows: rows.len(),
        shards: n,
        first: first.path.clone(),
    })
}

/// Each shard's recorded image and mask SHA-256 against the cohort's files now.
fn check_inputs(cohort: &Path, parts: &BTreeMap<usize, &Part>) -> Result<()> {
    let Some(first) = parts.values().next() else {
        return Err(invalid("no shards".into()));
    };
    let masks = first
        .manifest
        .settings
        .get("masks")
        .and_then(|m| m.as_str())
        .unwrap_or("masks")
        .to_string();
    let cases = scan_cases(cohort, &masks)?;
    let now = fingerprints(&cases)?;
    for p in parts.values() {
        for (id, recorded) in &p.inputs {
            match now.get(id) {
                Some(h) if h == recorded => {}
                Some(_) => {
                    return Err(invalid(format!(
                        "{}: the image or mask of {id:?} changed since this shard was extracted; \
                         rerun shard {}",
                        p.path.display(),
                        p.manifest.shard
                    )));
                }
                None => {
                    return Err(invalid(format!(
                        "{}: {id:?} is no longer a case of {}",
                        p.path.display(),
                        cohort.display()
                    )));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cases(n: usize) -> Vec<Case> {
        (0..n)
            .map(|i| Case {
                id: format!("P{i:03}"),
                image: PathBuf::new(),
                mask: PathBuf::new(),
            })
            .collect()
    }

    /// Ten cases in three shards: runs of 3, 3 and 4 (floor(I·10/3)).
    #[test]
    fn shards_are_contiguous_runs_covering_the_cohort() {
        let sizes: Vec<usize> = (0..3)
            .map(|i| {
                select(cases(10), Some(Shard { index: i, count: 3 }))
                    .unwrap()
                    .len()
            })
            .collect();
        assert_eq!(sizes, [3, 3, 4]);
        let ids: Vec<String> = (0..3)
            .flat_map(|i| select(cases(10), Some(Shard { index: i, count: 3 })).unwrap())
            .map(|c| c.id)
            .collect();
        assert_eq!(ids, cases(10).into_iter().map(|c| c.id).collect::<Vec<_>>());
        assert!(select(cases(2), Some(Shard { index: 0, count: 3 })).is_err());
    }

    #[test]
    fn shard_syntax() {
        assert_eq!("2/4".parse(), Ok(Shard { index: 2, count: 4 }));
        for bad in ["4/4", "1/0", "1", "a/2", "-1/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
