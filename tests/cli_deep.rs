//! End-to-end tests of `dlrn extract deep` and `dlrn finetune` on a tiny
//! cohort made of BUSAT's BUS01 image and mask (crates/deep/tests/fixtures).

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

/// A cohort of `ids`, each BUS01 (its image and mask mirrored left–right for
/// odd indices, so the cases differ), with clinical.csv giving ALN_status =
/// index % 2.
fn cohort(dir: &Path, ids: &[&str]) {
    std::fs::create_dir_all(dir.join("images")).unwrap();
    std::fs::create_dir_all(dir.join("masks")).unwrap();
    let image = image::open(fixture("BUS01.png")).unwrap();
    let mask = image::open(fixture("BUS01_mask.png")).unwrap();
    let mut clinical = String::from("id,ALN_status\n");
    for (i, id) in ids.iter().enumerate() {
        let (img, msk) = if i % 2 == 1 {
            (image.fliph(), mask.fliph())
        } else {
            (image.clone(), mask.clone())
        };
        img.save(dir.join("images").join(format!("{id}.png")))
            .unwrap();
        msk.save(dir.join("masks").join(format!("{id}.png")))
            .unwrap();
        clinical.push_str(&format!("{id},{}\n", i % 2));
    }
    std::fs::write(dir.join("clinical.csv"), clinical).unwrap();
}

/// Rewrites an image of the cohort with every pixel outside its mask's
/// bounding box inverted (v → 255 − v), the box itself unchanged.
fn invert_outside_box(dir: &Path, id: &str) {
    let path = dir.join("images").join(format!("{id}.png"));
    let mut img = image::open(&path).unwrap().into_luma8();
    let mask = image::open(dir.join("masks").join(format!("{id}.png")))
        .unwrap()
        .into_luma8();
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
    for (x, y, p) in mask.enumerate_pixels() {
        if p.0[0] != 0 {
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x + 1), y1.max(y + 1));
        }
    }
    assert!(x0 < x1 && (x1 - x0, y1 - y0) != img.dimensions());
    for (x, y, p) in img.enumerate_pixels_mut() {
        if !(x0..x1).contains(&x) || !(y0..y1).contains(&y) {
            p.0[0] = 255 - p.0[0];
        }
    }
    img.save(&path).unwrap();
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    (header, rows)
}

#[test]
fn extract_deep_writes_2048_features_with_provenance_and_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let c = tmp.path().join("c");
    // P2 and P4 mirrored; P3 with everything outside the lesion's box inverted.
    cohort(&c, &["P1", "P2", "P3", "P4"]);
    invert_outside_box(&c, "P3");
    let out = tmp.path().join("deep.csv");
    let status = dlrn()
        .args(["extract", "deep", "--cohort"])
        .arg(&c)
        .arg("--out")
        .arg(&out)
        .args(["--seed", "3", "--batch", "1"])
        .status()
        .unwrap();
    assert!(status.success());
    let (header, rows) = read_csv(&out);
    assert_eq!(header.len(), 2 + 2048);
    assert_eq!(&header[..3], ["id", "ALN_status", "f_1"]);
    assert_eq!(header.last().unwrap(), "f_2048");
    assert_eq!(rows.len(), 4);
    assert_eq!((rows[0][0].as_str(), rows[0][1].as_str()), ("P1", "0"));
    // Same image → same features (P2 and P4); and the network sees only the
    // lesion's bounding-box crop (preprocess: crop, resize, centre crop), so
    // inverting every pixel outside the box changes nothing (P3 = P1).
    assert_eq!(rows[1][2..], rows[3][2..]);
    assert_eq!(rows[0][2..], rows[2][2..]);
    // The mirrored lesion is another input to a network whose random kernels
    // are not mirror-symmetric: its features differ.
    let differ = (2..header.len())
        .filter(|&j| rows[0][j] != rows[1][j])
        .count();
    assert!(differ > 0, "a mirrored case gave the original's features");
    // Features after ReLU + mean are ≥ 0.
    for row in &rows {
        assert!(row[2..].iter().all(|v| v.parse::<f64>().unwrap() >= 0.0));
    }
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("deep.csv.meta.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(meta["weights"]["source"], "random");
    assert_eq!(meta["weights"]["seed"], 3);

    // Resume: the partial table of an interrupted run with the same settings is kept.
    let first = std::fs::read_to_string(&out).unwrap();
    let settings = std::fs::read_to_string(tmp.path().join("deep.csv.meta.json")).unwrap();
    std::fs::remove_file(&out).unwrap();
    let mut lines = first.lines();
    let partial = format!("{}\n{}\n", lines.next().unwrap(), lines.next().unwrap());
    std::fs::write(tmp.path().join("deep.partial.csv"), partial).unwrap();
    std::fs::write(tmp.path().join("deep.csv.partial.json"), settings).unwrap();
    let output = dlrn()
        .args(["extract", "deep", "--json", "--cohort"])
        .arg(&c)
        .arg("--out")
        .arg(&out)
        .args(["--seed", "3"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["resumed"], 1);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), first);
}

#[test]
fn extract_deep_reports_a_missing_weights_file_and_bad_format() {
    let tmp = tempfile::tempdir().unwrap();
    let c = tmp.path().join("c");
    cohort(&c, &["P1"]);
    for (weights, expect) in [
        ("nope.safetensors", "nope.safetensors"),
        ("w.bin", ".pth, .pt, .safetensors or .mpk"),
    ] {
        let w = tmp.path().join(weights);
        if weights.ends_with(".bin") {
            std::fs::write(&w, b"x").unwrap();
        }
        let out = dlrn()
            .args(["extract", "deep", "--cohort"])
            .arg(&c)
            .arg("--out")
            .arg(tmp.path().join("o.csv"))
            .arg("--weights")
            .arg(&w)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expect), "{err}");
    }
}

#[test]
fn finetune_writes_weights_that_extract_deep_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let train = tmp.path().join("train");
    let val = tmp.path().join("val");
    cohort(&train, &["T1", "T2"]);
    cohort(&val, &["V1", "V2"]);
    let w = tmp.path().join("w.mpk");
    let output = dlrn()
        .args([
            "finetune", "--json", "--epochs", "1", "--batch", "2", "--cohort",
        ])
        .arg(&train)
        .arg("--val")
        .arg(&val)
        .arg("--out")
        .arg(&w)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["state"]["best_epoch"], 1);
    assert_eq!(summary["init"]["source"], "random");
    assert!(w.exists());
    let out = tmp.path().join("f.csv");
    let status = dlrn()
        .args(["extract", "deep", "--cohort"])
        .arg(&val)
        .arg("--out")
        .arg(&out)
        .arg("--weights")
        .arg(&w)
        .status()
        .unwrap();
    assert!(status.success());
    let meta = std::fs::read_to_string(tmp.path().join("f.csv.meta.json")).unwrap();
    assert!(
        meta.contains("burn-mpk") && meta.contains("sha256"),
        "{meta}"
    );
}
