//! Stage caching: a stage's outputs are reused when its key (a hash of its
//! inputs and its part of the config) matches the stamp written after its
//! last successful run. An interrupted stage leaves no stamp and reruns;
//! its partial outputs are kept for it to resume (the extraction stages
//! resume image by image) only when they were started under the same key,
//! and removed otherwise, so outputs of other inputs are never reused.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use sha2::{Digest, Sha256};

use crate::usage::Mark;

/// A stage key builder: feed it every input that decides the outputs.
#[derive(Default)]
pub struct Key(Sha256);

impl Key {
    /// Starts a key for the named stage.
    pub fn new(stage: &str) -> Self {
        let mut k = Key(Sha256::new());
        k.text(stage);
        k
    }

    /// Adds a piece of text (a config section as JSON, a version, ...).
    pub fn text(&mut self, s: &str) -> &mut Self {
        self.0.update((s.len() as u64).to_le_bytes());
        self.0.update(s.as_bytes());
        self
    }

    /// Adds a file's bytes.
    pub fn file(&mut self, path: &Path) -> anyhow::Result<&mut Self> {
        let bytes = std::fs::read(path).with_context(|| format!("hashing {}", path.display()))?;
        self.text(&path.display().to_string());
        self.0.update(Sha256::digest(&bytes));
        Ok(self)
    }

    /// The key as hex.
    pub fn finish(&self) -> String {
        hex::encode(self.0.clone().finalize())
    }
}

/// SHA-256 of a file as hex (for manifests).
pub fn sha256_file(path: &Path) -> anyhow::Result<String> {
    Ok(dlrn_cohort::sha256_file(path)?)
}

/// The stamp of stage `name` in the stamps folder: `<name>.key`, a `/` in
/// the name written `_` (`paper` and the Slurm scripts write the same file).
pub fn stamp_path(stamps: &Path, name: &str) -> PathBuf {
    stamps.join(format!("{}.key", name.replace('/', "_")))
}

/// How a stage went in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StageStatus {
    /// Ran from the start.
    Run,
    /// Its outputs were up to date: nothing ran.
    Cached,
    /// Resumed from an interrupted run under the same key.
    Resumed,
}

/// One stage's name, status, wall time, CPU time and peak memory.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StageTiming {
    /// Stage name (`deep/TC`, `lasso`).
    pub name: String,
    /// Run, cached or resumed.
    pub status: StageStatus,
    /// Wall-clock seconds (0 for a cached stage's check, rounded to ms).
    pub seconds: f64,
    /// User + system CPU seconds of xtask and the `dlrn` processes it ran
    /// for the stage (rounded to ms; absent where the platform cannot tell).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_seconds: Option<f64>,
    /// Peak resident memory in MiB of xtask or any `dlrn` process of the
    /// stage (rounded to 0.1 MiB; absent where the platform cannot tell).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_rss_mib: Option<f64>,
}

/// timings.json: the run's stages and totals.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Timings {
    /// Wall-clock seconds of the whole run.
    pub total_seconds: f64,
    /// The largest stage peak in MiB (absent where the platform cannot tell).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_rss_mib: Option<f64>,
    /// Every stage in the order it ran.
    pub stages: Vec<StageTiming>,
}

/// Runs stages with stamps under `work/.stamps/`, appends to a run log and
/// records each stage's time.
pub struct Runner {
    stamps: PathBuf,
    log: std::fs::File,
    timings: Vec<StageTiming>,
    started: Instant,
    /// Resource use at the end of the last recorded stage.
    mark: Mark,
}

impl Runner {
    /// Opens (creating) the stamp folder and the run log `work/run.log`.
    pub fn new(work: &Path) -> anyhow::Result<Self> {
        let stamps = work.join(".stamps");
        std::fs::create_dir_all(&stamps)
            .with_context(|| format!("creating {}", stamps.display()))?;
        let log_path = work.join("run.log");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .with_context(|| format!("opening {}", log_path.display()))?;
        Ok(Runner {
            stamps,
            log,
            timings: Vec::new(),
            started: Instant::now(),
            mark: Mark::new(),
        })
    }

    /// Records a stage run in-process (not through [`Runner::stage`]), with
    /// the CPU time and peak memory since the last recorded stage.
    pub fn record(&mut self, name: &str, status: StageStatus, seconds: f64) {
        let used = self.mark.usage();
        self.timings.push(StageTiming {
            name: name.to_string(),
            status,
            seconds: (seconds * 1000.0).round() / 1000.0,
            cpu_seconds: used.cpu_seconds.map(|c| (c * 1000.0).round() / 1000.0),
            peak_rss_mib: used.peak_rss_mib.map(|m| (m * 10.0).round() / 10.0),
        });
        self.mark = Mark::new();
    }

    /// Writes `path` (timings.json): every stage's name, status and
    /// seconds, and the run's total seconds. It changes on every run, so it
    /// is kept apart from manifest.json, which must stay byte-identical.
    pub fn write_timings(&self, path: &Path) -> anyhow::Result<()> {
        let total = (self.started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
        let peak = self
            .timings
            .iter()
            .filter_map(|t| t.peak_rss_mib)
            .reduce(f64::max);
        let mut text = serde_json::to_string_pretty(&Timings {
            total_seconds: total,
            peak_rss_mib: peak,
            stages: self.timings.clone(),
        })?;
        text.push('\n');
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
    }

    /// Writes one line to stderr and the run log.
    pub fn note(&mut self, line: &str) {
        eprintln!("{line}");
        let _ = writeln!(self.log, "{line}");
    }

    /// Runs `f` unless the stage's stamp holds `key` and every output exists.
    /// `partial` names what an interrupted run leaves for `f` to resume from
    /// (files or folders): before `f` runs they are removed unless the
    /// interrupted run had this same key.
    pub fn stage(
        &mut self,
        name: &str,
        key: &str,
        outputs: &[PathBuf],
        partial: &[PathBuf],
        f: impl FnOnce() -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let stamp = stamp_path(&self.stamps, name);
        let fresh = std::fs::read_to_string(&stamp)
            .map(|s| s.trim() == key)
            .unwrap_or(false)
            && outputs.iter().all(|p| p.exists());
        if fresh {
            self.note(&format!("[cached] {name}"));
            self.record(name, StageStatus::Cached, 0.0);
            return Ok(());
        }
        let _ = std::fs::remove_file(&stamp);
        let pending = stamp.with_extension("pending");
        let resumable = std::fs::read_to_string(&pending)
            .map(|s| s.trim() == key)
            .unwrap_or(false);
        if resumable {
            self.note(&format!("[resume] {name}"));
        } else {
            for p in partial {
                let removed = if p.is_dir() {
                    std::fs::remove_dir_all(p)
                } else if p.exists() {
                    std::fs::remove_file(p)
                } else {
                    Ok(())
                };
                removed.with_context(|| format!("removing the stale {}", p.display()))?;
            }
            std::fs::write(&pending, key)
                .with_context(|| format!("writing {}", pending.display()))?;
            self.note(&format!("[run]    {name}"));
        }
        let t = Instant::now();
        self.mark = Mark::new();
        f().with_context(|| format!("stage {name}"))?;
        std::fs::write(&stamp, key).with_context(|| format!("writing {}", stamp.display()))?;
        let _ = std::fs::remove_file(&pending);
        let seconds = t.elapsed().as_secs_f64();
        self.note(&format!("[done]   {name} ({seconds:.1} s)"));
        let status = if resumable {
            StageStatus::Resumed
        } else {
            StageStatus::Run
        };
        self.record(name, status, seconds);
        Ok(())
    }
}

/// The simulation's key, kept in the cohort folder it wrote (beside its
/// simulate.json): every run of a config shares the folder, whatever its
/// `--out`, so the record of what the folder holds lives with the folder.
pub const SIMULATE_STAMP: &str = ".simulate.key";

/// The simulate stage into the shared cohort folder `dir`: runs `simulate`
/// only when the folder does not already hold the simulation of `key`
/// (another run's files, the same bytes, are never rewritten), and then
/// under the folder's write lock, refused, naming the other run, while any
/// run reads it. Returns the folder's read lock, for this run to hold while
/// it reads the cohorts.
pub fn simulate_shared(
    runner: &mut Runner,
    dir: &Path,
    key: &str,
    holder: &str,
    simulate: impl FnOnce() -> anyhow::Result<()>,
) -> anyhow::Result<dlrn_cohort::lock::FolderLock> {
    use dlrn_cohort::lock::FolderLock;
    let marker = dir.join("simulate.json");
    let stamp = dir.join(SIMULATE_STAMP);
    let mut held = None;
    runner.stage("simulate", key, std::slice::from_ref(&marker), &[], || {
        if marker.exists() && std::fs::read_to_string(&stamp).is_ok_and(|s| s.trim() == key) {
            return Ok(());
        }
        let lock = FolderLock::write(dir, holder)?;
        if stamp.exists() {
            std::fs::remove_file(&stamp)
                .with_context(|| format!("removing {}", stamp.display()))?;
        }
        simulate()?;
        std::fs::write(&stamp, key).with_context(|| format!("writing {}", stamp.display()))?;
        held = Some(lock.share()?);
        Ok(())
    })?;
    Ok(match held {
        Some(lock) => lock,
        None => FolderLock::read(dir, holder)?,
    })
}

/// Hashes every file of a folder (recursively, sorted) into a key.
pub fn hash_dir(key: &mut Key, dir: &Path) -> anyhow::Result<()> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).with_context(|| format!("listing {}", d.display()))? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    for f in files {
        key.file(&f)?;
    }
    Ok(())
}

/// The stage keys of the study, one recipe per stage, shared by the
/// single-machine run (paper.rs) and the Slurm scripts (slurm.rs) so both
/// agree on what is cached.
pub mod keys {
    use std::path::Path;

    use super::{Key, hash_dir};
    use crate::config::Config;

    /// The simulated cohorts: the simulate section, the version and the
    /// generating parameters (a params file, else the defaults), so new
    /// defaults or a new params file make new cohorts.
    pub fn simulate(cfg: &Config, root: &Path, version: &str) -> anyhow::Result<String> {
        let mut key = Key::new("simulate");
        key.text(&serde_json::to_string(&cfg.simulate)?)
            .text(version);
        match &cfg.simulate.params {
            Some(p) => key.file(&root.join(p))?,
            None => key.text(&serde_json::to_string(&dlrn_simulate::SimParams::default())?),
        };
        Ok(key.finish())
    }

    /// One cohort folder: every file in it.
    pub fn cohort(dir: &Path) -> anyhow::Result<String> {
        let mut key = Key::new("cohort");
        hash_dir(&mut key, dir)?;
        Ok(key.finish())
    }

    /// Fine-tuning: the cnn section and the training and validation cohorts.
    pub fn finetune(cfg: &Config, training: &str, val: &str) -> anyhow::Result<String> {
        let mut key = Key::new("finetune");
        key.text(&serde_json::to_string(&cfg.cnn)?)
            .text(training)
            .text(val);
        Ok(key.finish())
    }

    /// Handcrafted features of one cohort read with one masks folder.
    /// With `[extract] allow_partial` the key differs (a table accepted
    /// without failed cases is not the strict stage's, and turning it off
    /// re-checks the stage); without it, the key is as it always was.
    pub fn handcrafted(cohort: &str, masks: &str, version: &str, allow_partial: bool) -> String {
        let mut key = Key::new("handcrafted");
        key.text(cohort).text(masks).text(version);
        if allow_partial {
            key.text("allow_partial");
        }
        key.finish()
    }

    /// Deep features: as handcrafted (`allow_partial` included), plus the
    /// weights (description and hash).
    pub fn deep(
        cohort: &str,
        masks: &str,
        version: &str,
        weights: &str,
        weights_hash: Option<&str>,
        allow_partial: bool,
    ) -> String {
        let mut key = Key::new("deep");
        key.text(cohort).text(masks).text(version).text(weights);
        if let Some(h) = weights_hash {
            key.text(h);
        }
        if allow_partial {
            key.text("allow_partial");
        }
        key.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `[extract] allow_partial` is part of both extraction keys: turning it
    /// on or off re-runs (re-checks) the stage.
    #[test]
    fn allow_partial_changes_the_extraction_keys() {
        assert_ne!(
            keys::handcrafted("c", "masks", "1", false),
            keys::handcrafted("c", "masks", "1", true)
        );
        assert_ne!(
            keys::deep("c", "masks", "1", "random", None, false),
            keys::deep("c", "masks", "1", "random", None, true)
        );
    }

    /// Two runs with different `--out` share one cohort folder: the second
    /// finds the first's simulation there and rewrites nothing; while the
    /// first still reads it, a simulation of other settings into it is
    /// refused, naming the first run, and the folder's files stay.
    #[test]
    fn a_shared_cohort_folder_is_simulated_once_and_never_pulled_away() {
        let dir = tempfile::tempdir().unwrap();
        let cohorts = dir.path().join("sim");
        let simulate = |tag: &'static str| {
            let cohorts = cohorts.clone();
            move || {
                std::fs::create_dir_all(cohorts.join("TC"))?;
                std::fs::write(cohorts.join("TC/clinical.csv"), tag)?;
                std::fs::write(cohorts.join("simulate.json"), tag)?;
                Ok(())
            }
        };
        let mut first = Runner::new(&dir.path().join("out1/work")).unwrap();
        let lock = simulate_shared(&mut first, &cohorts, "k1", "run one", simulate("one")).unwrap();
        // Another --out, the same config: nothing rewritten (the closure
        // would fail the test), the folder shared for reading.
        let mut second = Runner::new(&dir.path().join("out2/work")).unwrap();
        let shared = simulate_shared(&mut second, &cohorts, "k1", "run two", || {
            anyhow::bail!("simulated again")
        })
        .unwrap();
        // Other settings while both read it: refused, the files kept.
        let mut third = Runner::new(&dir.path().join("out3/work")).unwrap();
        let err = simulate_shared(&mut third, &cohorts, "k2", "run three", simulate("three"))
            .unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains("in use by another run") && text.contains("run one"),
            "{text}"
        );
        assert_eq!(
            std::fs::read_to_string(cohorts.join("TC/clinical.csv")).unwrap(),
            "one"
        );
        // Once both are done, the new simulation may go ahead.
        drop((lock, shared));
        let _lock =
            simulate_shared(&mut third, &cohorts, "k2", "run three", simulate("three")).unwrap();
        assert_eq!(
            std::fs::read_to_string(cohorts.join("TC/clinical.csv")).unwrap(),
            "three"
        );
    }

    /// A stage interrupted under one key resumes from its partial output
    /// under the same key and starts clean under another.
    #[test]
    fn partial_outputs_survive_only_under_the_same_key() {
        let dir = tempfile::tempdir().unwrap();
        let mut runner = Runner::new(dir.path()).unwrap();
        let out = dir.path().join("table.csv");
        let outputs = [out.clone()];
        // Interrupted run under key "a": it wrote half its output, then failed.
        let r = runner.stage("s", "a", &outputs, &outputs, || {
            std::fs::write(&out, "half")?;
            anyhow::bail!("interrupted")
        });
        assert!(r.is_err());
        // Same key: the half-written output is there to resume from.
        runner
            .stage("s", "a", &outputs, &outputs, || {
                assert_eq!(std::fs::read_to_string(&out)?, "half");
                std::fs::write(&out, "whole a")?;
                Ok(())
            })
            .unwrap();
        // Cached now: f does not run.
        runner
            .stage("s", "a", &outputs, &outputs, || {
                panic!("ran a cached stage")
            })
            .unwrap();
        // New key after an interruption: the old output is gone before f runs.
        let r = runner.stage("s", "b", &outputs, &outputs, || {
            anyhow::bail!("interrupted")
        });
        assert!(r.is_err() && !out.exists());
        std::fs::write(&out, "from another key").unwrap();
        runner
            .stage("s", "c", &outputs, &outputs, || {
                assert!(
                    !out.exists(),
                    "a partial output of key b was kept for key c"
                );
                std::fs::write(&out, "whole c")?;
                Ok(())
            })
            .unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "whole c");
    }
}
