//! `cargo xtask paper --slurm`: the scripts `--dry-run` writes (always run),
//! and the study on a real Slurm cluster (ignored by default: start one with
//! scripts/slurm-localhost.sh, then `cargo test -p xtask --test slurm --
//! --ignored`). The oracle of the cluster runs is the single-machine run of
//! the same config: every output, and every feature table, byte for byte.
//!
//! Needs the `dlrn` binary next to xtask's (`cargo build -p dlrn`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

mod common;
use common::files;
use common::study::{VARYING, dlrn_bin, run_paper_with, tiny_config_scaled};

/// The tiny study of xtask/tests/paper.rs at `scale` of the paper's sizes,
/// plus a `[cluster]` section of 4 shards.
fn config(dir: &Path, scale: f64) -> PathBuf {
    let path = tiny_config_scaled(dir, scale);
    let mut text = read(&path);
    text.push_str(
        "\n[cluster]\nengine = \"slurm\"\nshards = 4\ntime = \"00:30:00\"\nmem = \"1G\"\n\
         report_mem = \"2G\"\n",
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn dry_run_writes_readable_scripts_and_submits_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cfg = read(&config(tmp.path(), 0.01));
    cfg = cfg.replace(
        "shards = 4\n",
        "shards = 4\npartition = \"short\"\naccount = \"radiomics\"\ncpus = 2\n",
    );
    let config = tmp.path().join("tiny.toml");
    std::fs::write(&config, cfg).unwrap();
    let out = tmp.path().join("report");
    let log = run_paper_with(&config, &out, &["--slurm", "--dry-run"]);
    let slurm = out.join("work/slurm");
    assert!(log.contains("[dry-run]"), "{log}");
    assert!(
        !slurm.join("jobs.json").exists(),
        "a dry run submitted jobs"
    );

    // Two scripts per extraction stage: 4 cohorts + 2 re-outlines, handcrafted and deep.
    for tag in [
        "TC",
        "EVC1",
        "EVC2",
        "EVC3",
        "TC_reader1_repeat",
        "TC_reader2",
    ] {
        for kind in ["handcrafted", "deep"] {
            for suffix in ["sbatch", "merge.sbatch"] {
                let p = slurm.join(format!("{kind}_{tag}.{suffix}"));
                assert!(p.is_file(), "{} is missing", p.display());
            }
        }
    }
    let sim = tmp.path().join("sim");
    let dlrn = dlrn_bin();
    let shards = out.join("work/shards/handcrafted_TC");
    let hc = read(&slurm.join("handcrafted_TC.sbatch"));
    for want in [
        "#!/bin/bash\n".to_string(),
        "#SBATCH --job-name=dlrn-handcrafted_TC\n".into(),
        "#SBATCH --partition=short\n".into(),
        "#SBATCH --account=radiomics\n".into(),
        "#SBATCH --array=0-3\n".into(),
        "#SBATCH --time=00:30:00\n".into(),
        "#SBATCH --mem=1G\n".into(),
        "#SBATCH --cpus-per-task=2\n".into(),
        format!(
            "#SBATCH --output={}/handcrafted_TC-%A_%a.out\n",
            slurm.join("logs").display()
        ),
        format!(
            "{} extract handcrafted --cohort {} --masks masks",
            dlrn.display(),
            sim.join("TC").display()
        ),
        format!(
            "--out {}/\"shard-${{i}}-of-4.parquet\" --shard \"$i/4\" --strict",
            shards.display()
        ),
        "shard $i/4 failed (task ${SLURM_ARRAY_JOB_ID}_${i}, log $log)".into(),
    ] {
        assert!(
            hc.contains(&want),
            "handcrafted_TC.sbatch lacks {want:?}:\n{hc}"
        );
    }
    assert!(!hc.contains("--gres"), "no GPU asked for: {hc}");
    let deep = read(&slurm.join("deep_TC_reader2.sbatch"));
    for want in [
        "extract deep --cohort",
        "--masks icc/reader2",
        "--seed 1 --batch 16 --backend flex",
        "#SBATCH --array=0-3\n",
    ] {
        assert!(
            deep.contains(want),
            "deep_TC_reader2.sbatch lacks {want:?}:\n{deep}"
        );
    }
    // The merge names the four shards, checks them against the cohort, and
    // stamps the stage for the stage cache.
    let merge = read(&slurm.join("handcrafted_TC.merge.sbatch"));
    assert!(
        merge.contains(&format!(
            "{} merge --out {} --cohort {}",
            dlrn.display(),
            out.join("work/features/TC_handcrafted.parquet").display(),
            sim.join("TC").display()
        )),
        "{merge}"
    );
    for i in 0..4 {
        let f = shards.join(format!("shard-{i}-of-4.parquet"));
        assert!(merge.contains(&f.display().to_string()), "{merge}");
    }
    let stamp = format!(
        "> {}",
        out.join("work/.stamps/handcrafted_TC.key").display()
    );
    assert!(merge.contains(&stamp), "{merge}");
    assert!(merge.contains("printf '%s' "), "{merge}");
    // The report job is xtask paper itself, with this dlrn.
    let report = read(&slurm.join("report.sbatch"));
    for want in [
        format!("export DLRN_BIN={}", dlrn.display()),
        format!(
            "{} paper --config {} --out {}",
            env!("CARGO_BIN_EXE_xtask"),
            config.display(),
            out.display()
        ),
        "#SBATCH --mem=2G\n".into(),
    ] {
        assert!(
            report.contains(&want),
            "report.sbatch lacks {want:?}:\n{report}"
        );
    }
    // submit.sh chains them: each merge after its array, the report after every merge.
    let submit = read(&slurm.join("submit.sh"));
    assert!(
        submit.contains(&format!(
            "handcrafted_TC=$(sbatch --parsable {})",
            slurm.join("handcrafted_TC.sbatch").display()
        )),
        "{submit}"
    );
    assert!(
        submit.contains(
            "handcrafted_TC_merge=$(sbatch --parsable --dependency=afterok:${handcrafted_TC%%;*} --kill-on-invalid-dep=yes"
        ),
        "{submit}"
    );
    assert_eq!(submit.matches("_merge%%;*}").count(), 12, "{submit}");
    for script in ["handcrafted_TC.sbatch", "report.sbatch", "submit.sh"] {
        let st = Command::new("bash")
            .arg("-n")
            .arg(slurm.join(script))
            .status()
            .unwrap();
        assert!(st.success(), "{script} is not valid bash");
    }
}

// ---- On a real Slurm cluster -------------------------------------------

/// The cluster is one shared machine: the Slurm tests run one at a time.
static CLUSTER: Mutex<()> = Mutex::new(());

/// The single-machine run: its folder, config and every output file.
struct Baseline {
    _tmp: tempfile::TempDir,
    config: PathBuf,
    out: PathBuf,
    files: BTreeMap<PathBuf, Vec<u8>>,
}

/// The tiny study (a tenth of the paper's sizes) run on this machine once;
/// its outputs are kept and its output folder emptied for the cluster runs,
/// which write to the same path.
fn baseline() -> &'static Baseline {
    static B: OnceLock<Baseline> = OnceLock::new();
    B.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let config = config(tmp.path(), 0.1);
        let out = tmp.path().join("report");
        run_paper_with(&config, &out, &[]);
        let files = compared(&out);
        std::fs::remove_dir_all(&out).unwrap();
        Baseline {
            _tmp: tmp,
            config,
            out,
            files,
        }
    })
}

/// The outputs to compare: everything but the run's log, stamps and the
/// cluster's own files (scripts, logs, shards).
fn compared(out: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    files(out)
        .into_iter()
        .filter(|(p, _)| {
            let s = p.to_string_lossy();
            !(s.starts_with("work/.stamps")
                || s.starts_with("work/slurm")
                || s.starts_with("work/shards")
                || s == "work/run.log"
                || VARYING.contains(&s.as_ref()))
        })
        .collect()
}

fn jobs(out: &Path) -> serde_json::Value {
    serde_json::from_str(&read(&out.join("work/slurm/jobs.json"))).unwrap()
}

/// Every job id of a submission.
fn job_ids(jobs: &serde_json::Value) -> Vec<String> {
    let mut ids = Vec::new();
    for s in jobs["stages"].as_object().unwrap().values() {
        if let Some(a) = s["array"].as_str() {
            ids.push(a.to_string());
        }
        ids.push(s["merge"].as_str().unwrap().to_string());
    }
    ids.push(jobs["report"].as_str().unwrap().to_string());
    ids
}

/// Waits until none of `ids` is queued or running.
fn wait(ids: &[String]) {
    let start = Instant::now();
    loop {
        let out = Command::new("squeue")
            .args(["-h", "-o", "%i %T", "-j", &ids.join(",")])
            .output()
            .expect("squeue");
        let text = String::from_utf8_lossy(&out.stdout);
        let live: Vec<&str> = text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.contains("COMPLETED"))
            .collect();
        if live.is_empty() {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(40 * 60),
            "jobs still queued after 40 minutes: {live:?}"
        );
        std::thread::sleep(Duration::from_secs(2));
    }
}

fn scontrol(args: &[&str]) {
    let st = Command::new("scontrol")
        .args(args)
        .status()
        .expect("scontrol");
    assert!(st.success(), "scontrol {args:?} failed");
}

fn assert_same_as_baseline(b: &Baseline) {
    let got = compared(&b.out);
    let mut missing: Vec<_> = b.files.keys().filter(|p| !got.contains_key(*p)).collect();
    let varying: Vec<PathBuf> = VARYING.iter().map(PathBuf::from).collect();
    missing.extend(varying.iter().filter(|v| !b.out.join(v).is_file()));
    assert!(
        missing.is_empty(),
        "not written on the cluster: {missing:?}"
    );
    for (path, bytes) in &b.files {
        let theirs = got.get(path).map(Vec::as_slice).unwrap_or_default();
        // The first differing line, so a failure says what differs.
        let first = String::from_utf8_lossy(bytes)
            .lines()
            .zip(String::from_utf8_lossy(theirs).lines())
            .find(|(a, b)| a != b)
            .map(|(a, b)| format!("\n single machine: {a}\n cluster:        {b}"))
            .unwrap_or_default();
        assert!(
            theirs == bytes.as_slice(),
            "{} differs from the single-machine run{first}",
            path.display()
        );
    }
    // The report job found every extraction stage done by the merges.
    let log = read(&b.out.join("work/run.log"));
    for stage in [
        "handcrafted/TC",
        "deep/TC",
        "deep/EVC3",
        "handcrafted/TC_reader2",
    ] {
        assert!(
            log.contains(&format!("[cached] {stage}\n")),
            "{stage} was not taken from the merge:\n{log}"
        );
    }
    assert!(
        !log.contains("[run]    deep"),
        "a deep stage ran again:\n{log}"
    );
}

#[test]
#[ignore = "needs a Slurm cluster: see README (Running on a cluster)"]
fn sharded_study_on_slurm_equals_the_single_machine_run() {
    let _cluster = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    let b = baseline();
    // A failed earlier test may have left its run behind.
    let _ = std::fs::remove_dir_all(&b.out);
    let log = run_paper_with(&b.config, &b.out, &["--slurm"]);
    assert!(log.contains("squeue -j "), "{log}");
    let j = jobs(&b.out);
    assert_eq!(j["stages"].as_object().unwrap().len(), 12);
    assert_eq!(
        j["stages"]["deep/EVC1"]["tasks"],
        serde_json::json!([0, 1, 2, 3])
    );
    wait(&job_ids(&j));
    assert_same_as_baseline(b);
    // The merged feature tables came from 4 shards each.
    let m: serde_json::Value = serde_json::from_str(&read(
        &b.out
            .join("work/shards/deep_TC/shard-3-of-4.parquet.shard.json"),
    ))
    .unwrap();
    assert_eq!(m["shard"], serde_json::json!({"index": 3, "count": 4}));
    std::fs::remove_dir_all(&b.out).unwrap();
}

#[test]
#[ignore = "needs a Slurm cluster: see README (Running on a cluster)"]
fn a_cancelled_shard_is_named_and_rerun_alone() {
    let _cluster = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    let b = baseline();
    // A failed earlier test may have left its run behind.
    let _ = std::fs::remove_dir_all(&b.out);
    let node = String::from_utf8(
        Command::new("sinfo")
            .args(["-h", "-o", "%n"])
            .output()
            .expect("sinfo")
            .stdout,
    )
    .unwrap()
    .lines()
    .next()
    .expect("a node")
    .trim()
    .to_string();
    // Hold the node so every task is still pending when one is cancelled.
    let n = format!("NodeName={node}");
    scontrol(&["update", &n, "State=DRAIN", "Reason=dlrn-test"]);
    let submitted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run_paper_with(&b.config, &b.out, &["--slurm"])
    }));
    let j = submitted.as_ref().map(|_| jobs(&b.out));
    if let Ok(j) = &j {
        let array = j["stages"]["handcrafted/EVC2"]["array"].as_str().unwrap();
        let st = Command::new("scancel")
            .arg(format!("{array}_2"))
            .status()
            .unwrap();
        assert!(st.success());
    }
    scontrol(&["update", &n, "State=RESUME"]);
    let j = j.expect("submission failed");
    wait(&job_ids(&j));
    let dir = b.out.join("work/shards/handcrafted_EVC2");
    assert!(!dir.join("shard-2-of-4.parquet.shard.json").exists());
    assert!(
        !b.out.join("index.html").exists(),
        "the report ran without a shard"
    );
    let kept: Vec<_> = [0, 1, 3]
        .iter()
        .map(|i| {
            let p = dir.join(format!("shard-{i}-of-4.parquet"));
            (
                p.clone(),
                std::fs::metadata(&p).unwrap().modified().unwrap(),
            )
        })
        .collect();

    // Resubmission names the failed task and its log, and runs shard 2 alone.
    let array = j["stages"]["handcrafted/EVC2"]["array"].as_str().unwrap();
    let log = run_paper_with(&b.config, &b.out, &["--slurm"]);
    let task_log = b
        .out
        .join(format!("work/slurm/logs/handcrafted_EVC2-{array}_2.out"));
    assert!(
        log.contains(&format!(
            "[failed] handcrafted/EVC2: shard 2/4 did not finish (task {array}_2"
        )) && log.contains(&task_log.display().to_string()),
        "{log}"
    );
    let again = jobs(&b.out);
    let stages = again["stages"].as_object().unwrap();
    assert_eq!(
        stages.keys().collect::<Vec<_>>(),
        ["handcrafted/EVC2"],
        "other stages were resubmitted: {again}"
    );
    assert_eq!(stages["handcrafted/EVC2"]["tasks"], serde_json::json!([2]));
    wait(&job_ids(&again));
    for (p, t) in kept {
        assert_eq!(
            std::fs::metadata(&p).unwrap().modified().unwrap(),
            t,
            "{} was recomputed",
            p.display()
        );
    }
    assert_same_as_baseline(b);
    std::fs::remove_dir_all(&b.out).unwrap();
}
