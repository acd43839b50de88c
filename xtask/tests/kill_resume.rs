//! Kill and resume of `cargo xtask paper` on the tiny simulated study: the
//! run is SIGKILLed (with every `dlrn` process it started) once as the
//! handcrafted stage of the training cohort starts and once when its deep
//! stage has written part of its rows, then restarted. After each kill no
//! output looks finished that was not, and the resumed run writes the same
//! bytes as an uninterrupted one, features, model bundle and report alike.
//!
//! Needs the `dlrn` binary next to xtask's (`cargo test --workspace` builds
//! it; `cargo build -p dlrn` otherwise). Unix only (process groups).
#![cfg(unix)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod common;
use common::files;
use common::study::{VARYING, kill_group, run_paper, spawn_paper_group, tiny_config};

/// Longest wait for a kill point (the whole tiny study takes a few minutes).
const WAIT: Duration = Duration::from_secs(1200);

/// Starts `cargo xtask paper` in its own process group, waits until `ready`
/// holds for the output folder, then SIGKILLs the group. Returns the log.
fn kill_when(
    config: &Path,
    out: &Path,
    log: &Path,
    what: &str,
    ready: impl Fn() -> bool,
) -> String {
    let mut child = spawn_paper_group(config, out, log);
    let start = Instant::now();
    loop {
        if ready() {
            kill_group(&mut child);
            break;
        }
        if let Some(st) = child.try_wait().expect("polling the run") {
            panic!(
                "the run ended ({st}) before {what}:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        if start.elapsed() > WAIT {
            kill_group(&mut child);
            panic!("{what} did not happen within {WAIT:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    std::fs::read_to_string(log).expect("reading the log")
}

/// After a kill during stage `stage` (e.g. `deep/TC`) of the study in `out`:
/// the stage is pending and unstamped, its table is absent, every feature
/// table present belongs to a stamped stage, the other files of
/// `work/features` are sidecars or partial files, and nothing of the report
/// exists outside `work/`.
fn assert_nothing_looks_finished(out: &Path, stage: &str, table: &str) {
    let stamps = out.join("work/.stamps");
    let flat = stage.replace('/', "_");
    assert!(
        stamps.join(format!("{flat}.pending")).is_file(),
        "{stage} was killed but is not pending"
    );
    assert!(
        !stamps.join(format!("{flat}.key")).exists(),
        "{stage} was killed but is stamped as done"
    );
    let features = out.join("work/features");
    assert!(
        !features.join(table).exists(),
        "{table} exists though {stage} was killed"
    );
    for path in files(out).keys() {
        let rel = path.to_string_lossy().replace('\\', "/");
        let Some(rest) = rel.strip_prefix("work/") else {
            panic!("{rel} (a report file) exists though the run was killed at {stage}");
        };
        if rest == "run.log" || rest.starts_with(".stamps/") {
            continue;
        }
        let Some(name) = rest.strip_prefix("features/") else {
            panic!("{rel}: unexpected file after a kill at {stage}");
        };
        // <tag>_<kind>.parquet[.<sidecar>]
        let (base, sidecar) = match name.find(".parquet") {
            Some(i) => (&name[..i], &name[i + ".parquet".len()..]),
            None => (name, ""),
        };
        if name.contains(".partial") {
            continue;
        }
        let (tag, kind) = base
            .rsplit_once('_')
            .unwrap_or_else(|| panic!("{rel}: not <tag>_<kind>.parquet"));
        let stamped = stamps.join(format!("{kind}_{tag}.key")).is_file();
        if sidecar.is_empty() {
            assert!(
                stamped,
                "{rel} looks finished but {kind}/{tag} has no stamp (killed at {stage})"
            );
        } else {
            assert!(
                stamped || stamps.join(format!("{kind}_{tag}.pending")).is_file(),
                "{rel}: a sidecar of a stage that never started"
            );
        }
    }
}

#[test]
fn killed_paper_resumes_to_the_same_bytes() {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let config = tiny_config(tmp.path());

    // The reference: one uninterrupted run. The killed run below writes to
    // another folder with the same config and cohorts (cohort keys hash the
    // cohort files' paths, the manifests the config's bytes).
    let whole = tmp.path().join("whole");
    run_paper(&config, &whole);

    let out = tmp.path().join("killed");
    let stamps = out.join("work/.stamps");
    let features = out.join("work/features");

    // Kill 1: as soon as the training cohort's handcrafted stage has started.
    let log = kill_when(
        &config,
        &out,
        &tmp.path().join("log1.txt"),
        "handcrafted/TC starting",
        || stamps.join("handcrafted_TC.pending").is_file(),
    );
    assert!(log.contains("[run]    handcrafted/TC"), "{log}");
    assert_nothing_looks_finished(&out, "handcrafted/TC", "TC_handcrafted.parquet");

    // Kill 2: after the restart, once deep/TC has saved some rows (batches of
    // 16 of its 62 crops) to its partial table, `<stem>.partial.<ext>`, and
    // recorded their inputs' fingerprints in `<out>.inputs.json` (a row saved
    // without its fingerprint is recomputed on resume, by design).
    let partial: PathBuf = features.join("TC_deep.partial.parquet");
    let fingerprints = features.join("TC_deep.parquet.inputs.json");
    let log = kill_when(
        &config,
        &out,
        &tmp.path().join("log2.txt"),
        "deep/TC saving rows",
        || {
            partial.is_file()
                && std::fs::read(&fingerprints)
                    .ok()
                    .and_then(|b| serde_json::from_slice::<BTreeMap<String, String>>(&b).ok())
                    .is_some_and(|m| !m.is_empty())
        },
    );
    assert!(log.contains("[resume] handcrafted/TC"), "{log}");
    assert!(log.contains("[run]    deep/TC"), "{log}");
    assert_nothing_looks_finished(&out, "deep/TC", "TC_deep.parquet");

    // Restart to the end: the killed stage resumes from its rows.
    let log = run_paper(&config, &out);
    assert!(log.contains("[resume] deep/TC"), "{log}");
    // `dlrn extract deep` took the saved rows instead of recomputing them.
    let resumed: usize = log
        .lines()
        .find_map(|l| {
            let rest = l.split("TC_deep.parquet: 62 cases (").nth(1)?;
            rest.split(' ').next()?.parse().ok()
        })
        .unwrap_or_else(|| panic!("no deep/TC summary in the log:\n{log}"));
    assert!(
        resumed > 0 && resumed < 62 && resumed.is_multiple_of(16),
        "{resumed} rows resumed"
    );
    assert!(log.contains("[cached] handcrafted/TC\n"), "{log}");
    assert!(
        !partial.exists(),
        "the partial rows outlived the finished table"
    );

    // Byte-identical to the uninterrupted run, but for the run log and the
    // documented varying files.
    let want = files(&whole);
    let got = files(&out);
    let is_log = |p: &PathBuf| p.to_string_lossy() == "work/run.log";
    let skip = |p: &PathBuf| {
        is_log(p)
            || VARYING
                .iter()
                .any(|v| p.file_name().is_some_and(|f| f == *v))
    };
    let names = |m: &BTreeMap<PathBuf, Vec<u8>>| {
        m.keys().filter(|p| !is_log(p)).cloned().collect::<Vec<_>>()
    };
    assert_eq!(
        names(&got),
        names(&want),
        "the resumed run wrote other files"
    );
    let mut differ = Vec::new();
    for (path, bytes) in &want {
        if !skip(path) && got.get(path) != Some(bytes) {
            differ.push(path.display().to_string());
        }
    }
    assert!(
        differ.is_empty(),
        "{} files differ from the uninterrupted run: {differ:?}",
        differ.len()
    );
    assert!(want.len() > 40, "only {} files compared", want.len());
}

/// A rerun with a changed config, killed while it rewrites the report, must
/// not leave a folder that looks finished and mixes two configs: either no
/// manifest.json or one naming the new config. The report files are written
/// in place one by one, so paper.rs removes the old manifest.json before the
/// first of them and writes the new one last.
#[test]
fn killed_report_rewrite_leaves_no_finished_looking_mix() {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let config = tiny_config(tmp.path());
    let out = tmp.path().join("report");
    run_paper(&config, &out);
    let old_icc = std::fs::read(out.join("icc.csv")).expect("icc.csv");

    // Another ICC threshold: the features stay cached, icc.csv changes.
    let config = common::study::tiny_config_with(
        tmp.path(),
        &common::study::TINY_CANDIDATES,
        &[("threshold", "threshold = 0.75")],
    );
    let new_hash = common::hex_lower(&{
        use sha2::Digest;
        sha2::Sha256::digest(std::fs::read(&config).expect("the config"))
    });
    let icc = out.join("icc.csv");
    kill_when(
        &config,
        &out,
        &tmp.path().join("log.txt"),
        "the new icc.csv",
        || std::fs::read(&icc).is_ok_and(|b| !b.is_empty() && b != old_icc),
    );
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap_or_default();
    assert!(
        manifest.is_empty() || manifest.contains(&new_hash),
        "killed while rewriting the report, the folder keeps the previous run's \
         manifest.json (not config {new_hash}) beside the new icc.csv"
    );
}
