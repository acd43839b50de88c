//! Sharded extraction: `--shard I/N` on `dlrn extract handcrafted|deep`
//! (which cases a shard takes, the provenance it records) and `dlrn merge`,
//! which joins the shard files into the feature table.
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

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context, bail};
use dlrn_cohort::{Case, Table, scan_cases};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::extract::{fingerprints, write_atomic, write_rows};
use super::extract_deep::DeepMeta;
use super::util::sidecar;

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

/// The cases of `shard` among `cases` (sorted by id, as `scan_cases` returns
/// them): a contiguous run, see the module doc. All cases when `shard` is None.
pub fn select(cases: Vec<Case>, shard: Option<Shard>) -> anyhow::Result<Vec<Case>> {
    let Some(s) = shard else { return Ok(cases) };
    let n = cases.len();
    if s.count > n {
        bail!("--shard {s}: the cohort has {n} case(s), so at most {n} shard(s) can each hold one");
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

/// Writes `<out>.shard.json` for a finished shard of `cohort` (call it after
/// the table and its `<out>.inputs.json` are written).
pub fn write_manifest(
    out: &Path,
    kind: &str,
    shard: Shard,
    cohort: &Path,
    masks: &str,
    settings: serde_json::Value,
) -> anyhow::Result<()> {
    let all = scan_cases(cohort, masks)?;
    let cohort_ids_sha256 = ids_sha256(all.iter().map(|c| c.id.as_str()));
    let cohort_cases = all.len();
    let ids = select(all, Some(shard))?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let manifest = ShardManifest {
        kind: kind.into(),
        shard,
        partition: PARTITION.into(),
        cohort_cases,
        cohort_ids_sha256,
        settings,
        ids,
    };
    let path = sidecar(out, "shard.json");
    write_atomic(&path, serde_json::to_string_pretty(&manifest)? + "\n")
}

/// Removes a `<out>.shard.json` left by an earlier run before a shard is
/// (re)computed, so an interrupted run never looks complete.
pub fn clear_manifest(out: &Path) -> anyhow::Result<()> {
    let path = sidecar(out, "shard.json");
    if path.exists() {
        std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
    }
    Ok(())
}

/// Reads a shard's manifest (`None` when the file has none: not a finished shard).
pub fn read_manifest(shard: &Path) -> anyhow::Result<Option<ShardManifest>> {
    let path = sidecar(shard, "shard.json");
    if !path.exists() {
        return Ok(None);
    }
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let m = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a shard manifest", path.display()))?;
    Ok(Some(m))
}

/// Join the shard files of a sharded extraction into one feature table.
///
/// Every shard 0..N-1 of one extraction must be given exactly once (in any
/// order), each with its `<shard>.shard.json` and `<shard>.inputs.json`; shards
/// of different N, kind, settings (masks, version, weights, backend) or cohort
/// (its sorted ids) are refused, naming the shard file. The table, its
/// per-row sidecars (`<out>.inputs.json`, `<out>.grey.json`, joined by id)
/// and, for deep features, `<out>.meta.json` are
/// byte-identical to an unsharded extraction's. With --cohort, each shard's
/// recorded image and mask SHA-256 are checked against the files now there.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Shard files written by `dlrn extract … --shard I/N` (.csv or .parquet).
    #[arg(required = true)]
    pub shards: Vec<PathBuf>,
    /// The merged table, .csv or .parquet.
    #[arg(long)]
    pub out: PathBuf,
    /// Check every shard's inputs against this cohort folder's current images and masks.
    #[arg(long)]
    pub cohort: Option<PathBuf>,
}

/// One shard read back: its manifest, rows and input fingerprints.
struct Part {
    path: PathBuf,
    manifest: ShardManifest,
    names: Vec<String>,
    labels: Option<Vec<Option<u8>>>,
    ids: Vec<String>,
    rows: Vec<Vec<f64>>,
    inputs: BTreeMap<String, String>,
    /// Per-row sidecars (`<shard>.<suffix>`, id → value) by suffix, inputs.json included.
    rows_json: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
}

/// Sidecars that are not per-row maps: the shard's own manifest, the deep
/// provenance (merged on its own) and deep's resume state.
const NOT_PER_ROW: [&str; 4] = ["shard.json", "meta.json", "partial.json", "partial"];

/// The per-row JSON sidecars of a shard file (`<shard>.inputs.json`,
/// `<shard>.grey.json`, …), read as id → value maps, by suffix.
fn row_sidecars(
    shard: &Path,
) -> anyhow::Result<BTreeMap<String, BTreeMap<String, serde_json::Value>>> {
    let name = shard
        .file_name()
        .with_context(|| format!("{}: not a file name", shard.display()))?
        .to_string_lossy()
        .to_string();
    let dir = match shard.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("listing {}", dir.display()))? {
        let file = entry?.file_name().to_string_lossy().to_string();
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
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let map: BTreeMap<String, serde_json::Value> = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a per-row (id → value) map", path.display()))?;
        out.insert(suffix.to_string(), map);
    }
    Ok(out)
}

fn read_part(path: &Path) -> anyhow::Result<Part> {
    let manifest = read_manifest(path)?.with_context(|| {
        format!(
            "{}: no {} (not a shard file, or its extraction did not finish)",
            path.display(),
            sidecar(path, "shard.json").display()
        )
    })?;
    let table = Table::read(path)?;
    let ids = table.ids()?;
    if ids != manifest.ids {
        bail!(
            "{}: its rows ({} ids) are not the {} ids its shard.json lists",
            path.display(),
            ids.len(),
            manifest.ids.len()
        );
    }
    let labels = if table.has_column("ALN_status") {
        let raw = table.f64_column("ALN_status")?;
        let mut out = Vec::with_capacity(raw.len());
        for (row, v) in raw.into_iter().enumerate() {
            out.push(if v.is_nan() {
                None
            } else if v == 0.0 {
                Some(0)
            } else if v == 1.0 {
                Some(1)
            } else {
                bail!(
                    "{}: row {}, column `ALN_status`: {v} is not 0 or 1",
                    path.display(),
                    row + 1
                )
            });
        }
        Some(out)
    } else {
        None
    };
    let names = table.feature_names("ALN_status");
    let columns: Vec<Vec<f64>> = names
        .iter()
        .map(|n| table.f64_column(n))
        .collect::<Result<_, _>>()?;
    let rows = (0..ids.len())
        .map(|i| columns.iter().map(|c| c[i]).collect())
        .collect();
    let inputs_path = sidecar(path, "inputs.json");
    let text = std::fs::read_to_string(&inputs_path)
        .with_context(|| format!("reading {}", inputs_path.display()))?;
    let inputs: BTreeMap<String, String> = serde_json::from_str(&text)
        .with_context(|| format!("{}: not an id → SHA-256 map", inputs_path.display()))?;
    if inputs.keys().ne(ids.iter()) {
        bail!(
            "{}: does not hold exactly the ids of {}",
            inputs_path.display(),
            path.display()
        );
    }
    let rows_json = row_sidecars(path)?;
    Ok(Part {
        path: path.to_path_buf(),
        manifest,
        names,
        labels,
        ids,
        rows,
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

/// Runs the merge.
pub fn run(args: Args) -> anyhow::Result<()> {
    let parts: Vec<Part> = args
        .shards
        .iter()
        .map(|p| read_part(p))
        .collect::<anyhow::Result<_>>()?;
    let first = &parts[0];
    let n = first.manifest.shard.count;
    let mut by_index: BTreeMap<usize, &Part> = BTreeMap::new();
    for p in &parts {
        if let Some(why) = mismatch(&first.manifest, &p.manifest) {
            bail!(
                "{}: does not belong with {}: {why}",
                p.path.display(),
                first.path.display()
            );
        }
        if p.names != first.names || p.labels.is_some() != first.labels.is_some() {
            bail!(
                "{}: its columns differ from {}'s",
                p.path.display(),
                first.path.display()
            );
        }
        if p.rows_json.keys().ne(first.rows_json.keys()) {
            let names = |q: &Part| q.rows_json.keys().cloned().collect::<Vec<_>>().join(", ");
            bail!(
                "{}: its per-row sidecars ({}) are not {}'s ({})",
                p.path.display(),
                names(p),
                first.path.display(),
                names(first)
            );
        }
        if let Some(other) = by_index.insert(p.manifest.shard.index, p) {
            bail!(
                "shard {} given twice: {} and {}",
                p.manifest.shard,
                other.path.display(),
                p.path.display()
            );
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
        bail!(
            "shard(s) {} missing; given: {}",
            missing.join(", "),
            given.join(", ")
        );
    }
    // The shards' ids must make the cohort exactly: same count, same hash.
    let mut rows: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut labels: HashMap<String, Option<u8>> = HashMap::new();
    let mut rows_json: BTreeMap<String, BTreeMap<String, serde_json::Value>> = BTreeMap::new();
    for p in by_index.values() {
        for (i, id) in p.ids.iter().enumerate() {
            if rows.insert(id.clone(), p.rows[i].clone()).is_some() {
                bail!("{}: id {id:?} is also in another shard", p.path.display());
            }
            if let Some(l) = &p.labels {
                labels.insert(id.clone(), l[i]);
            }
        }
        for (suffix, map) in &p.rows_json {
            let joined = rows_json.entry(suffix.clone()).or_default();
            for (id, v) in map {
                if joined.insert(id.clone(), v.clone()).is_some() {
                    bail!(
                        "{}: id {id:?} is also in another shard's {suffix}",
                        sidecar(&p.path, suffix).display()
                    );
                }
            }
        }
    }
    let cohort_ids = ids_sha256(rows.keys().map(String::as_str));
    if rows.len() != first.manifest.cohort_cases || cohort_ids != first.manifest.cohort_ids_sha256 {
        bail!(
            "the shards hold {} ids (SHA-256 {cohort_ids}), not the cohort's {} ({})",
            rows.len(),
            first.manifest.cohort_cases,
            first.manifest.cohort_ids_sha256
        );
    }
    if let Some(cohort) = &args.cohort {
        check_inputs(cohort, &by_index)?;
    }
    write_rows(
        &args.out,
        &first.names,
        first.labels.as_ref().map(|_| &labels),
        &rows,
    )?;
    for (suffix, map) in &rows_json {
        let path = sidecar(&args.out, suffix);
        write_atomic(&path, serde_json::to_string_pretty(map)? + "\n")?;
    }
    if first.manifest.kind == "deep" {
        let shard_meta = sidecar(&first.path, "meta.json");
        let text = std::fs::read_to_string(&shard_meta)
            .with_context(|| format!("reading {}", shard_meta.display()))?;
        let mut meta: DeepMeta = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a deep-feature meta.json", shard_meta.display()))?;
        meta.cases = rows.len();
        let meta_path = sidecar(&args.out, "meta.json");
        write_atomic(&meta_path, serde_json::to_string_pretty(&meta)? + "\n")?;
    }
    eprintln!(
        "{}: {} rows from {n} shard(s)",
        args.out.display(),
        rows.len()
    );
    Ok(())
}

/// Each shard's recorded image and mask SHA-256 against the cohort's files now.
fn check_inputs(cohort: &Path, parts: &BTreeMap<usize, &Part>) -> anyhow::Result<()> {
    let first = parts.values().next().context("no shards")?;
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
                Some(_) => bail!(
                    "{}: the image or mask of {id:?} changed since this shard was extracted; \
                     rerun shard {}",
                    p.path.display(),
                    p.manifest.shard
                ),
                None => bail!(
                    "{}: {id:?} is no longer a case of {}",
                    p.path.display(),
                    cohort.display()
                ),
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
