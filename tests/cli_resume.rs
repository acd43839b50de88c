//! Resuming `dlrn extract handcrafted|deep` after an input changed: the rows
//! of an edited mask are recomputed, not reused. The oracle is a fresh
//! extraction of the edited cohort into an empty output.

use std::path::{Path, PathBuf};
use std::process::Command;

fn dlrn() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dlrn"))
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/deep/tests/fixtures")
        .join(name)
}

/// A cohort of P1 and P2, both BUSAT's BUS01 image and mask.
fn cohort(dir: &Path) {
    std::fs::create_dir_all(dir.join("images")).unwrap();
    std::fs::create_dir_all(dir.join("masks")).unwrap();
    for id in ["P1", "P2"] {
        std::fs::copy(
            fixture("BUS01.png"),
            dir.join("images").join(format!("{id}.png")),
        )
        .unwrap();
        std::fs::copy(
            fixture("BUS01_mask.png"),
            dir.join("masks").join(format!("{id}.png")),
        )
        .unwrap();
    }
    std::fs::write(dir.join("clinical.csv"), "id,ALN_status\nP1,0\nP2,1\n").unwrap();
}

/// Re-outlines P1: the left half of its lesion is removed from the mask.
fn edit_p1_mask(dir: &Path) {
    let path = dir.join("masks/P1.png");
    let mut m = image::open(&path).unwrap().to_luma8();
    let xs: Vec<u32> = m
        .enumerate_pixels()
        .filter(|(_, _, p)| p[0] > 0)
        .map(|(x, _, _)| x)
        .collect();
    let mid = (xs.iter().min().unwrap() + xs.iter().max().unwrap()) / 2;
    for (x, _, p) in m.enumerate_pixels_mut() {
        if x < mid {
            p[0] = 0;
        }
    }
    m.save(&path).unwrap();
}

fn extract(kind: &str, cohort: &Path, out: &Path) -> serde_json::Value {
    let mut cmd = dlrn();
    cmd.args(["extract", kind, "--cohort"])
        .arg(cohort)
        .arg("--out")
        .arg(out);
    if kind == "deep" {
        cmd.args(["--json", "--seed", "3", "--batch", "1"]);
    }
    let output = cmd.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or(serde_json::Value::Null)
}

/// The P1 row of a CSV feature table.
fn p1_row(out: &Path) -> String {
    let text = std::fs::read_to_string(out).unwrap();
    text.lines()
        .find(|l| l.starts_with("P1,"))
        .unwrap()
        .to_string()
}

#[test]
fn handcrafted_rows_of_an_edited_mask_are_recomputed() {
    let tmp = tempfile::tempdir().unwrap();
    let c = tmp.path().join("c");
    cohort(&c);
    let out = tmp.path().join("hc.csv");
    extract("handcrafted", &c, &out);
    let before = p1_row(&out);
    edit_p1_mask(&c);
    // Rerun on the same output: P2 is unchanged and reused, P1 is recomputed.
    extract("handcrafted", &c, &out);
    let fresh = tmp.path().join("fresh.csv");
    extract("handcrafted", &c, &fresh);
    assert_ne!(p1_row(&out), before, "the edited mask's row was reused");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        std::fs::read_to_string(&fresh).unwrap()
    );
}

#[test]
fn deep_partial_rows_of_an_edited_mask_are_recomputed() {
    let tmp = tempfile::tempdir().unwrap();
    let c = tmp.path().join("c");
    cohort(&c);
    let out = tmp.path().join("deep.csv");
    extract("deep", &c, &out);
    // An interrupted run left P1's row in the partial table; then P1 was re-outlined.
    let text = std::fs::read_to_string(&out).unwrap();
    let header = text.lines().next().unwrap();
    let p1 = text.lines().find(|l| l.starts_with("P1,")).unwrap();
    std::fs::remove_file(&out).unwrap();
    std::fs::write(
        tmp.path().join("deep.partial.csv"),
        format!("{header}\n{p1}\n"),
    )
    .unwrap();
    std::fs::copy(
        tmp.path().join("deep.csv.meta.json"),
        tmp.path().join("deep.csv.partial.json"),
    )
    .unwrap();
    edit_p1_mask(&c);
    let summary = extract("deep", &c, &out);
    assert_eq!(summary["resumed"], 0, "a row of the old mask was resumed");
    let fresh = tmp.path().join("fresh.csv");
    extract("deep", &c, &fresh);
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        std::fs::read_to_string(&fresh).unwrap()
    );
    assert_ne!(
        p1_row(&out),
        text.lines().find(|l| l.starts_with("P1,")).unwrap()
    );
}
