//! `dlrn finetune --val-fraction F`: the validation cases are a seeded split
//! of the training cohort, stratified by ALN_status, recorded in
//! `<out>.split.csv` and `<out>.meta.json`.
//!
//! The cohort: 8 copies of BUSAT's BUS01 image and mask
//! (crates/deep/tests/fixtures), 5 with ALN_status 0 and 3 with 1. With
//! F = 0.4 the counts follow by hand: class 0, round(5 × 0.4) = 2 to
//! validation, 3 to training; class 1, round(3 × 0.4) = round(1.2) = 1 to
//! validation, 2 to training.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn dlrn() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dlrn"))
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/deep/tests/fixtures")
        .join(name)
}

/// A cohort with one case per `(id, label)`.
fn cohort(dir: &Path, cases: &[(&str, u8)]) {
    std::fs::create_dir_all(dir.join("images")).unwrap();
    std::fs::create_dir_all(dir.join("masks")).unwrap();
    let mut clinical = String::from("id,ALN_status\n");
    for (id, label) in cases {
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
        clinical.push_str(&format!("{id},{label}\n"));
    }
    std::fs::write(dir.join("clinical.csv"), clinical).unwrap();
}

const CASES: [(&str, u8); 8] = [
    ("A1", 0),
    ("A2", 1),
    ("A3", 0),
    ("A4", 0),
    ("A5", 1),
    ("A6", 0),
    ("A7", 1),
    ("A8", 0),
];

fn finetune(c: &Path, out: &Path, extra: &[&str]) -> Command {
    let mut cmd = dlrn();
    cmd.args(["finetune", "--epochs", "1", "--batch", "4", "--cohort"])
        .arg(c)
        .arg("--out")
        .arg(out)
        .args(extra);
    cmd
}

fn ok(o: Output) -> Output {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

fn sidecar(out: &Path, suffix: &str) -> PathBuf {
    let mut s = out.as_os_str().to_owned();
    s.push(".");
    s.push(suffix);
    PathBuf::from(s)
}

/// `<out>.split.csv` as id → (label, set).
fn read_split(path: &Path) -> BTreeMap<String, (u8, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("id,label,set"));
    let mut ids = Vec::new();
    let mut out = BTreeMap::new();
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        assert_eq!(f.len(), 3, "{l}");
        ids.push(f[0].to_string());
        let old = out.insert(f[0].to_string(), (f[1].parse().unwrap(), f[2].to_string()));
        assert!(old.is_none(), "{} listed twice", f[0]);
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "not sorted by id");
    out
}

#[test]
fn val_fraction_splits_the_cohort_stratified_and_reproducibly() {
    let t = tempfile::tempdir().unwrap();
    let c = t.path().join("c");
    cohort(&c, &CASES);
    let out = t.path().join("a/w.mpk");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let o = ok(finetune(
        &c,
        &out,
        &["--val-fraction", "0.4", "--seed", "5", "--json"],
    )
    .output()
    .unwrap());
    assert!(out.exists());

    let split = read_split(&sidecar(&out, "split.csv"));
    // Every patient once, with its clinical.csv label.
    let expected: BTreeMap<String, u8> = CASES.iter().map(|(i, l)| (i.to_string(), *l)).collect();
    assert_eq!(
        split
            .iter()
            .map(|(i, (l, _))| (i.clone(), *l))
            .collect::<BTreeMap<_, _>>(),
        expected
    );
    let count = |label: u8, set: &str| {
        split
            .values()
            .filter(|(l, s)| *l == label && s == set)
            .count()
    };
    assert_eq!(
        [
            count(0, "train"),
            count(1, "train"),
            count(0, "val"),
            count(1, "val")
        ],
        [3, 2, 2, 1]
    );
    assert!(split.values().all(|(_, s)| s == "train" || s == "val"));

    // The provenance describes the same split.
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sidecar(&out, "meta.json")).unwrap())
            .unwrap();
    for v in [&summary["validation"], &meta["validation"]] {
        assert_eq!(v["kind"], "split", "{v}");
        assert_eq!(v["fraction"], 0.4);
        assert_eq!(v["seed"], 5);
        assert_eq!(v["train"], serde_json::json!([3, 2]));
        assert_eq!(v["val"], serde_json::json!([2, 1]));
        assert!(v["file"].as_str().unwrap().ends_with("w.mpk.split.csv"));
    }

    // Same seed, one thread: the same split, byte for byte.
    let again = t.path().join("b/w.mpk");
    std::fs::create_dir_all(again.parent().unwrap()).unwrap();
    ok(
        finetune(&c, &again, &["--val-fraction", "0.4", "--seed", "5"])
            .env("RAYON_NUM_THREADS", "1")
            .output()
            .unwrap(),
    );
    assert_eq!(
        std::fs::read(sidecar(&again, "split.csv")).unwrap(),
        std::fs::read(sidecar(&out, "split.csv")).unwrap()
    );

    // Another seed on the same --out: its checkpoint is of the other split.
    let split = std::fs::read(sidecar(&out, "split.csv")).unwrap();
    let err = refused(
        finetune(&c, &out, &["--val-fraction", "0.4", "--seed", "6"])
            .output()
            .unwrap(),
    );
    assert!(
        err.contains("w.mpk.ckpt") && err.contains("another validation set"),
        "{err}"
    );
    assert_eq!(std::fs::read(sidecar(&out, "split.csv")).unwrap(), split);
    // Nor is it resumed with --val.
    let err = refused(finetune(&c, &out, &["--val"]).arg(&c).output().unwrap());
    assert!(
        err.contains("w.mpk.ckpt") && err.contains("trained on a split"),
        "{err}"
    );
}

fn refused(o: Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn val_and_val_fraction_together_or_neither_is_a_usage_error() {
    let t = tempfile::tempdir().unwrap();
    let c = t.path().join("c");
    cohort(&c, &CASES);
    let out = t.path().join("w.mpk");
    let both = finetune(&c, &out, &["--val-fraction", "0.2", "--val"])
        .arg(&c)
        .output()
        .unwrap();
    let err = refused(both);
    assert!(
        err.contains("--val-fraction") && err.contains("cannot be used with"),
        "{err}"
    );
    let err = refused(finetune(&c, &out, &[]).output().unwrap());
    assert!(
        err.contains("--val <DIR>") && err.contains("--val-fraction <F>"),
        "{err}"
    );
    assert!(!out.exists() && !sidecar(&out, "split.csv").exists());
}

#[test]
fn val_fraction_outside_its_range_names_the_flag() {
    let t = tempfile::tempdir().unwrap();
    let c = t.path().join("c");
    cohort(&c, &CASES);
    for bad in ["0", "0.6", "-0.1", "half"] {
        let err = refused(
            finetune(&c, &t.path().join("w.mpk"), &["--val-fraction", bad])
                .output()
                .unwrap(),
        );
        assert!(err.contains("--val-fraction"), "{bad}: {err}");
    }
}

#[test]
fn a_split_leaving_a_class_without_training_patients_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let c = t.path().join("c");
    // One positive: round(1 × 0.5) = 1 to validation, none left to train on.
    cohort(&c, &[("B1", 0), ("B2", 0), ("B3", 1), ("B4", 0)]);
    let out = t.path().join("w.mpk");
    let err = refused(
        finetune(&c, &out, &["--val-fraction", "0.5"])
            .output()
            .unwrap(),
    );
    assert!(
        err.contains("clinical.csv")
            && err.contains("--val-fraction 0.5")
            && err.contains("ALN_status = 1"),
        "{err}"
    );
    assert!(!out.exists() && !sidecar(&out, "split.csv").exists());
}
