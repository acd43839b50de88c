//! Kill and resume: `dlrn extract handcrafted` and `dlrn extract deep` are
//! SIGKILLed after they have written their first chunk of rows, restarted on
//! the same --out, and their output must equal an uninterrupted run's byte
//! for byte — the table and its sidecars (`<out>.inputs.json`,
//! `<out>.grey.json`, and deep's `<out>.meta.json`).
//!
//! The cohort is written here: textured 96×72 images with elliptical lesions
//! of varying size; 200 of them for handcrafted, so the run spans several
//! chunks of 64 rows, 24 for deep (random ResNet50 weights, batches of 4).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use image::{GrayImage, Luma};

const N: usize = 200;

fn cohort(dir: &Path) -> PathBuf {
    cohort_of(dir, N)
}

/// A cohort of `n` cases, P000.. with ALN_status alternating 0/1.
fn cohort_of(dir: &Path, n: usize) -> PathBuf {
    let c = dir.join("C");
    std::fs::create_dir_all(c.join("images")).unwrap();
    std::fs::create_dir_all(c.join("masks")).unwrap();
    let mut csv = String::from("id,ALN_status\n");
    let mut state = 7u64;
    for i in 0..n {
        let id = format!("P{i:03}");
        csv.push_str(&format!("{id},{}\n", i % 2));
        let img = GrayImage::from_fn(96, 72, |x, y| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let noise = (state >> 58) as u32; // 0..63
            Luma([((x * 2 + y + noise + i as u32 * 3) % 256) as u8])
        });
        img.save(c.join("images").join(format!("{id}.png")))
            .unwrap();
        mask(i, 48.0)
            .save(c.join("masks").join(format!("{id}.png")))
            .unwrap();
    }
    std::fs::write(c.join("clinical.csv"), csv).unwrap();
    c
}

/// Case `i`'s 96×72 lesion mask: an ellipse centred at (`cx`, 36) whose
/// axes vary with `i`.
fn mask(i: usize, cx: f64) -> GrayImage {
    let (a, b) = (10.0 + (i % 7) as f64 * 2.0, 8.0 + (i % 5) as f64 * 2.0);
    GrayImage::from_fn(96, 72, |x, y| {
        let (dx, dy) = ((x as f64 - cx) / a, (y as f64 - 36.0) / b);
        Luma([if dx * dx + dy * dy <= 1.0 { 255 } else { 0 }])
    })
}

/// `dir/rel`, its parent folder created.
fn out_path(dir: &Path, rel: &str) -> PathBuf {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    p
}

/// Runs `cmd` to its end, asserting success; its stdout.
fn run_ok(mut cmd: Command) -> Vec<u8> {
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o.stdout
}

/// Starts `cmd`, waits until `ready()` holds (failing when the run ends
/// first or after 300 s), then SIGKILLs it while it still runs.
fn kill_when(mut cmd: Command, ready: impl Fn() -> bool) {
    let mut child = cmd.spawn().unwrap();
    let start = Instant::now();
    while !ready() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it was caught"
        );
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "not caught after 300 s"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "the run ended before it was killed"
    );
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
}

fn extract(c: &Path, out: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dlrn"));
    cmd.args(["extract", "handcrafted", "--strict", "--cohort"])
        .arg(c)
        .arg("--out")
        .arg(out)
        // One worker: the run is slow enough to be caught mid-way.
        .env("RAYON_NUM_THREADS", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

fn run_to_end(c: &Path, out: &Path) {
    run_ok(extract(c, out));
}

fn sidecar(out: &Path, suffix: &str) -> PathBuf {
    let mut s = out.as_os_str().to_owned();
    s.push(".");
    s.push(suffix);
    PathBuf::from(s)
}

fn rows(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .map(|t| t.lines().count().saturating_sub(1))
        .unwrap_or(0)
}

#[test]
fn killed_extraction_resumes_to_the_same_bytes() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());

    // The oracle: one uninterrupted run.
    let whole = out_path(t.path(), "whole/hc.csv");
    run_to_end(&c, &whole);
    assert_eq!(rows(&whole), N);

    // A run killed once its first chunk of rows is on disk.
    let out = out_path(t.path(), "killed/hc.csv");
    let in_progress = out.with_file_name("hc.partial.csv");
    kill_when(extract(&c, &out), || in_progress.exists());
    assert!(!out.exists(), "a killed run left a table at --out");
    let partial = rows(&in_progress);
    assert!(
        partial > 0 && partial < N,
        "killed with {partial} of {N} rows: the kill missed the middle of the run"
    );

    // Restart on the same --out: only the missing rows are computed.
    run_to_end(&c, &out);
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(&whole).unwrap(),
        "resumed table differs from the uninterrupted run"
    );
    assert_eq!(
        std::fs::read(sidecar(&out, "inputs.json")).unwrap(),
        std::fs::read(sidecar(&whole, "inputs.json")).unwrap(),
        "resumed inputs.json differs"
    );
    // No temporary file left beside the output.
    let left = partial_files(&out);
    assert!(left.is_empty(), "{left:?}");
}

/// `<out>.grey.json` is written with every chunk of rows, so after a kill
/// the resumed run's sidecar equals an uninterrupted run's (it used to be
/// written only at the end, losing the entries of the rows done before the kill).
#[test]
fn killed_extraction_resumes_to_the_same_grey_json() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    let whole = out_path(t.path(), "whole/hc.csv");
    run_to_end(&c, &whole);
    let out = out_path(t.path(), "killed/hc.csv");
    let in_progress = out.with_file_name("hc.partial.csv");
    kill_when(extract(&c, &out), || in_progress.exists());
    run_to_end(&c, &out);
    assert_eq!(
        std::fs::read_to_string(sidecar(&out, "grey.json")).unwrap(),
        std::fs::read_to_string(sidecar(&whole, "grey.json")).unwrap(),
    );
}

/// Redraws every mask of the cohort with a lesion 3 pixels to the right.
fn redraw_masks(c: &Path, n: usize) {
    for i in 0..n {
        mask(i, 51.0)
            .save(c.join("masks").join(format!("P{i:03}.png")))
            .unwrap();
    }
}

/// A finished table whose masks were all re-outlined, then a rerun killed
/// before its first chunk: the next run must not take the old rows still in
/// --out for current ones. (`<out>.inputs.json` used to be rewritten with
/// the new fingerprints when a run started, so after such a kill every stale
/// row looked up to date.)
#[test]
fn a_rerun_killed_after_an_edit_never_revives_the_stale_rows() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    let out = out_path(t.path(), "edited/hc.csv");
    run_to_end(&c, &out);
    let inputs = sidecar(&out, "inputs.json");
    let before = std::fs::read_to_string(&inputs).unwrap();
    redraw_masks(&c, N);

    // Killed as soon as the rerun has planned (inputs.json rewritten),
    // long before its first chunk of 64 rows.
    kill_when(extract(&c, &out), || {
        !std::fs::read_to_string(&inputs).is_ok_and(|t| t == before)
    });
    assert!(
        !out.with_file_name("hc.partial.csv").exists(),
        "killed after the first chunk, not before it"
    );

    run_to_end(&c, &out);
    let fresh = out_path(t.path(), "fresh/hc.csv");
    run_to_end(&c, &fresh);
    assert!(
        std::fs::read(&out).unwrap() == std::fs::read(&fresh).unwrap(),
        "rows of the old masks were reused"
    );
    assert_eq!(
        std::fs::read(&inputs).unwrap(),
        std::fs::read(sidecar(&fresh, "inputs.json")).unwrap()
    );
}

const N_DEEP: usize = 24;

/// `dlrn extract deep` with random weights (seed 0) in batches of 4, on one
/// worker thread, printing its summary (`--json`) on stdout.
fn extract_deep(c: &Path, out: &Path, seed: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dlrn"));
    cmd.args(["extract", "deep", "--json", "--batch", "4", "--seed", seed])
        .arg("--cohort")
        .arg(c)
        .arg("--out")
        .arg(out)
        .env("RAYON_NUM_THREADS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs a deep extraction to its end; the number of rows it resumed.
fn deep_to_end(c: &Path, out: &Path, seed: &str) -> u64 {
    let summary: serde_json::Value =
        serde_json::from_slice(&run_ok(extract_deep(c, out, seed))).unwrap();
    summary["resumed"].as_u64().unwrap()
}

/// Leftovers of an unfinished run beside `out`.
fn partial_files(out: &Path) -> Vec<String> {
    std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".partial") || n.contains(".partial"))
        .collect()
}

#[test]
fn killed_deep_extraction_resumes_to_the_same_bytes() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort_of(t.path(), N_DEEP);
    let whole = out_path(t.path(), "whole/deep.csv");
    assert_eq!(deep_to_end(&c, &whole, "0"), 0);
    assert_eq!(rows(&whole), N_DEEP);
    // How each image reached 8-bit grey, as `extract handcrafted` records it.
    let grey: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sidecar(&whole, "grey.json")).unwrap())
            .unwrap();
    let grey = grey.as_object().unwrap();
    assert_eq!(grey.len(), N_DEEP);
    assert!(
        grey.values()
            .all(|g| g["format"] == "8-bit grey" && g["voi"]["kind"] == "as_stored"),
        "{grey:?}"
    );

    // Killed once its first batch of rows is on disk.
    let out = out_path(t.path(), "killed/deep.csv");
    let in_progress = out.with_file_name("deep.partial.csv");
    // Rows count as done once inputs.json records them (just after the
    // partial table is written): wait for both.
    let recorded = || {
        std::fs::read_to_string(sidecar(&out, "inputs.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| v.as_object().map(|m| !m.is_empty()))
            .unwrap_or(false)
    };
    kill_when(extract_deep(&c, &out, "0"), || {
        in_progress.exists() && recorded()
    });
    assert!(!out.exists(), "a killed run left a table at --out");
    let partial = rows(&in_progress);
    assert!(
        partial > 0 && partial < N_DEEP,
        "killed with {partial} of {N_DEEP} rows: the kill missed the middle of the run"
    );

    // Restart: the rows on disk (and recorded in inputs.json) are reused.
    let resumed = deep_to_end(&c, &out, "0");
    assert!(
        resumed > 0 && resumed as usize <= partial,
        "resumed {resumed} of the {partial} rows on disk"
    );
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(&whole).unwrap(),
        "resumed table differs from the uninterrupted run"
    );
    for suffix in ["inputs.json", "grey.json", "meta.json"] {
        assert_eq!(
            std::fs::read_to_string(sidecar(&out, suffix)).unwrap(),
            std::fs::read_to_string(sidecar(&whole, suffix)).unwrap(),
            "resumed {suffix} differs"
        );
    }
    let left = partial_files(&out);
    assert!(left.is_empty(), "{left:?}");
}

/// A finished deep table is reused by a rerun with the same settings; rows
/// of other weights (another seed) never are, neither from a finished table
/// nor from a partial one.
#[test]
fn deep_extraction_reuses_only_rows_of_the_same_weights() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort_of(t.path(), 6);
    let out = t.path().join("deep.csv");
    assert_eq!(deep_to_end(&c, &out, "0"), 0);
    let seed0 = std::fs::read(&out).unwrap();
    assert_eq!(deep_to_end(&c, &out, "0"), 6, "a finished table is reused");
    assert_eq!(std::fs::read(&out).unwrap(), seed0);

    // Another seed: nothing reused from the finished table.
    assert_eq!(deep_to_end(&c, &out, "1"), 0);
    let seed1 = std::fs::read(&out).unwrap();
    assert_ne!(seed1, seed0);

    // A partial table of seed 1 left beside a run of seed 0: not reused.
    let table = String::from_utf8(seed1).unwrap();
    let partial: String = table.lines().take(3).map(|l| format!("{l}\n")).collect();
    std::fs::remove_file(&out).unwrap();
    std::fs::write(t.path().join("deep.partial.csv"), partial).unwrap();
    std::fs::copy(sidecar(&out, "meta.json"), sidecar(&out, "partial.json")).unwrap();
    assert_eq!(deep_to_end(&c, &out, "0"), 0);
    assert_eq!(std::fs::read(&out).unwrap(), seed0);
    let left = partial_files(&out);
    assert!(left.is_empty(), "{left:?}");
}

/// Every file under `dir` (relative path → bytes), sorted.
fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn simulate(out: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dlrn"));
    cmd.args(["simulate", "--seed", "3", "--scale", "0.01", "--out"])
        .arg(out)
        .env("RAYON_NUM_THREADS", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// `dlrn simulate` killed midway leaves no simulate.json (the folder does
/// not look finished), and a rerun into the same folder — refused before,
/// as a non-empty folder that holds no simulation — replaces it with the
/// same files as an uninterrupted run.
#[test]
fn killed_simulation_reruns_to_the_same_files() {
    let t = tempfile::tempdir().unwrap();
    let whole = t.path().join("whole");
    run_ok(simulate(&whole));

    let out = t.path().join("killed");
    let images = out.join("TC/images");
    kill_when(simulate(&out), || {
        std::fs::read_dir(&images).map_or(0, |d| d.count()) >= 3
    });
    assert!(
        !out.join("simulate.json").exists(),
        "a killed simulation left simulate.json"
    );

    run_ok(simulate(&out));
    let (a, b) = (tree(&whole), tree(&out));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "different files"
    );
    for (name, bytes) in &a {
        assert!(&b[name] == bytes, "{name} differs");
    }
}
