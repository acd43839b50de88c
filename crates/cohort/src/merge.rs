//! The merge of a sharded extraction's shard files (see [`crate::shard`]
//! for the partition and the record each finished shard leaves) into one
//! feature table: `<shard>.inputs.json` holds the SHA-256 of each row's
//! image and mask, as for any extraction, and every per-row sidecar is
//! joined by id.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::StoreError;
use crate::shard::{ShardManifest, ids_sha256};
use crate::store::{
    FeatureRows, Result, fingerprints, sidecar, write_atomic, write_json, write_rows,
};
use crate::{CohortError, scan_cases};

/// Reads a shard's manifest (`None` when the file has none: not a finished shard).
fn read_manifest(shard: &Path) -> Result<Option<ShardManifest>> {
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
    let manifest = read_manifest(path)?.ok_or_else(|| {
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
/// checked against the files now there. Cases a shard accepted without a
/// row (`--keep-going`; its shard.json lists them) count towards the cohort
/// and their `<shard>.failures.csv` rows make `<out>.failures.csv`, as an
/// unsharded `--keep-going` run writes it. A provenance record beside the
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
    // The shards' ids (rows and accepted failures) must make the cohort
    // exactly: same count, same hash.
    let mut rows: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut failed: BTreeMap<String, &Path> = BTreeMap::new();
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
        for id in &p.manifest.failed {
            if rows.contains_key(id) || failed.insert(id.clone(), &p.path).is_some() {
                return Err(invalid(format!(
                    "{}: failed case {id:?} is also in another shard",
                    p.path.display()
                )));
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
    if let Some(id) = failed.keys().find(|id| rows.contains_key(*id)) {
        return Err(invalid(format!(
            "{}: failed case {id:?} has a row in another shard",
            failed[id].display()
        )));
    }
    let all: std::collections::BTreeSet<&str> = rows
        .keys()
        .chain(failed.keys())
        .map(String::as_str)
        .collect();
    let cohort_ids = ids_sha256(all.iter().copied());
    if all.len() != first.manifest.cohort_cases || cohort_ids != first.manifest.cohort_ids_sha256 {
        return Err(invalid(format!(
            "the shards hold {} ids (SHA-256 {cohort_ids}), not the cohort's {} ({})",
            all.len(),
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
    merge_failures(&by_index, out)?;
    Ok(Merged {
        kind: first.manifest.kind.clone(),
        rows: rows.len(),
        shards: n,
        first: first.path.clone(),
    })
}

/// `<out>.failures.csv`: the failed cases the shards accepted (`--keep-going`),
/// each shard's `<shard>.failures.csv` rows in shard order, as an unsharded
/// run lists them (by id); an earlier file removed when none failed.
fn merge_failures(parts: &BTreeMap<usize, &Part>, out: &Path) -> Result<()> {
    let path = sidecar(out, "failures.csv");
    let mut text = String::new();
    for p in parts.values().filter(|p| !p.manifest.failed.is_empty()) {
        let own = sidecar(&p.path, "failures.csv");
        let csv = std::fs::read_to_string(&own).map_err(|e| CohortError::io(&own, e))?;
        let mut lines = csv.split_inclusive('\n');
        let header = lines.next().unwrap_or_default();
        if text.is_empty() {
            text.push_str(header);
        }
        text.extend(lines);
    }
    if text.is_empty() {
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(CohortError::io(&path, e).into())
            }
            _ => Ok(()),
        }
    } else {
        Ok(write_atomic(&path, text)?)
    }
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
