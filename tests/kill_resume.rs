//! Kill and resume: `dlrn extract handcrafted` is SIGKILLed after it has
//! written its first chunk of rows, restarted on the same --out, and its
//! output must equal an uninterrupted run's byte for byte — the table and
//! its sidecars (`<out>.inputs.json`, `<out>.grey.json`).
//!
//! The cohort is written here: 200 textured 96×72 images with elliptical
//! lesions of varying size, so the run spans several chunks of 64 rows.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use image::{GrayImage, Luma};

const N: usize = 200;

fn cohort(dir: &Path) -> PathBuf {
    let c = dir.join("C");
    std::fs::create_dir_all(c.join("images")).unwrap();
    std::fs::create_dir_all(c.join("masks")).unwrap();
    let mut csv = String::from("id,ALN_status\n");
    let mut state = 7u64;
    for i in 0..N {
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
        let (a, b) = (10.0 + (i % 7) as f64 * 2.0, 8.0 + (i % 5) as f64 * 2.0);
        GrayImage::from_fn(96, 72, |x, y| {
            let (dx, dy) = ((x as f64 - 48.0) / a, (y as f64 - 36.0) / b);
            Luma([if dx * dx + dy * dy <= 1.0 { 255 } else { 0 }])
        })
        .save(c.join("masks").join(format!("{id}.png")))
        .unwrap();
    }
    std::fs::write(c.join("clinical.csv"), csv).unwrap();
    c
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
    let o = extract(c, out).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
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
    let whole = t.path().join("whole/hc.csv");
    std::fs::create_dir_all(whole.parent().unwrap()).unwrap();
    run_to_end(&c, &whole);
    assert_eq!(rows(&whole), N);

    // A run killed once its first chunk of rows is on disk.
    let out = t.path().join("killed/hc.csv");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let in_progress = out.with_file_name("hc.partial.csv");
    let mut child = extract(&c, &out).spawn().unwrap();
    let start = Instant::now();
    while !in_progress.exists() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before its first chunk was seen"
        );
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "no rows after 300 s"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
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
    let left: Vec<String> = std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".partial") || n.contains(".partial."))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// `<out>.grey.json` is written with every chunk of rows, so after a kill
/// the resumed run's sidecar equals an uninterrupted run's (it used to be
/// written only at the end, losing the entries of the rows done before the kill).
#[test]
fn killed_extraction_resumes_to_the_same_grey_json() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    let whole = t.path().join("whole/hc.csv");
    std::fs::create_dir_all(whole.parent().unwrap()).unwrap();
    run_to_end(&c, &whole);
    let out = t.path().join("killed/hc.csv");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let in_progress = out.with_file_name("hc.partial.csv");
    let mut child = extract(&c, &out).spawn().unwrap();
    while !in_progress.exists() {
        assert!(child.try_wait().unwrap().is_none());
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    run_to_end(&c, &out);
    assert_eq!(
        std::fs::read_to_string(sidecar(&out, "grey.json")).unwrap(),
        std::fs::read_to_string(sidecar(&whole, "grey.json")).unwrap(),
    );
}
