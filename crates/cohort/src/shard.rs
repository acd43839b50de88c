//! Sharded extraction: which cases shard I of N takes and the record a
//! finished shard leaves (`<shard>.shard.json`).
//!
//! Partition: the cohort's cases sorted by id (scan order never matters) are
//! cut into N contiguous runs; shard I (0-based, as `$SLURM_ARRAY_TASK_ID`)
//! takes cases `floor(I·n/N) .. floor((I+1)·n/N)`, so the run lengths differ
//! by at most one and shard 0 holds the smallest ids. Each shard file has a
//! `<shard>.shard.json` beside it (written last, when the shard is complete)
//! naming the shard, N, the extraction's settings (weights and their SHA-256
//! for deep features), the SHA-256 of the whole cohort's sorted id list and
//! the shard's ids ([`ShardManifest`]).

use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Case;
use crate::error::StoreError;

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
pub fn select(cases: Vec<Case>, shard: Option<Shard>) -> Result<Vec<Case>, StoreError> {
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
    /// The shard's cases that failed and were accepted without a row
    /// (`--keep-going`), sorted; listed in `<shard>.failures.csv`. Absent
    /// when none failed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<String>,
}

const PARTITION: &str = "contiguous runs of the cases sorted by id";

pub(crate) fn ids_sha256<'a>(ids: impl Iterator<Item = &'a str>) -> String {
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
    ) -> Result<Self, StoreError> {
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
            failed: Vec::new(),
        })
    }

    /// The record of a shard accepted without the cases `failed`: their ids
    /// move from the rows' to the failed ones.
    pub fn without(&self, failed: &[String]) -> Self {
        let mut failed = failed.to_vec();
        failed.sort();
        failed.dedup();
        ShardManifest {
            ids: self
                .ids
                .iter()
                .filter(|id| failed.binary_search(id).is_err())
                .cloned()
                .collect(),
            failed,
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

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
