//! End-to-end test of `dlrn icc` with the paper's rule (--reads ORIGINAL
//! --intra REPEAT --inter OTHER): the values are psych::ICC's, from
//! crates/study/tests/fixtures/make_icc_split.R (icc_split.csv holds three
//! features of 12 patients outlined three times; icc_split_expected.csv the
//! ICC2 of the intra pair and of the inter pair), never dlrn's own.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Closed-form ICC (mean squares): R to 1e-9.
const CLOSED: f64 = 1e-9;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("crates/study/tests/fixtures")
}

/// CSV rows of `path` without `#` comment lines: header, then the rows.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let mut lines = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty());
    let split = |l: &str| l.split(',').map(str::to_string).collect::<Vec<_>>();
    let header = split(lines.next().expect("a header"));
    (header, lines.map(split).collect())
}

/// Writes one feature table per outline column of icc_split.csv (masks,
/// reader1_repeat, reader2) into `dir`: id, the three features. `order`
/// reorders the patients of each table (a permutation of 0..12).
fn write_reads(dir: &Path, order: &[usize]) -> BTreeMap<String, PathBuf> {
    let (header, rows) = read_csv(&fixtures().join("icc_split.csv"));
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let mut features: Vec<String> = Vec::new();
    let mut ids: Vec<String> = Vec::new();
    for r in &rows {
        if !features.contains(&r[col("feature")]) {
            features.push(r[col("feature")].clone());
        }
        if !ids.contains(&r[col("id")]) {
            ids.push(r[col("id")].clone());
        }
    }
    let mut out = BTreeMap::new();
    for reader in ["masks", "reader1_repeat", "reader2"] {
        let mut text = format!("id,{}\n", features.join(","));
        for &i in order {
            let id = &ids[i];
            let values: Vec<String> = features
                .iter()
                .map(|f| {
                    rows.iter()
                        .find(|r| &r[col("feature")] == f && &r[col("id")] == id)
                        .map(|r| r[col(reader)].clone())
                        .unwrap()
                })
                .collect();
            text.push_str(&format!("{id},{}\n", values.join(",")));
        }
        let p = dir.join(format!("{reader}.csv"));
        std::fs::write(&p, text).unwrap();
        out.insert(reader.to_string(), p);
    }
    out
}

fn dlrn(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dlrn"))
        .args(args)
        .output()
        .expect("running dlrn")
}

/// `dlrn icc` with `args`, asserting success; its stdout.
fn icc_ok(args: &[&str]) -> Vec<u8> {
    let o = dlrn(&[&["icc"], args].concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o.stdout
}

/// An output cell equals R's value to [`CLOSED`].
fn assert_r(cell: &str, r: f64, what: &str) {
    let got: f64 = cell
        .parse()
        .unwrap_or_else(|_| panic!("{what}: {cell:?} is not a number"));
    assert!((got - r).abs() < CLOSED, "{what}: {got} vs R {r}");
}

/// The `kept` cell of the paper's rule at threshold 0.80.
fn kept_cell(kept: bool) -> &'static str {
    if kept { "1" } else { "0" }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// R's expected (icc_intra, icc_inter) per feature.
fn expected() -> BTreeMap<String, (f64, f64)> {
    let (_, rows) = read_csv(&fixtures().join("icc_split_expected.csv"));
    rows.iter()
        .map(|r| (r[0].clone(), (r[1].parse().unwrap(), r[2].parse().unwrap())))
        .collect()
}

#[test]
fn intra_and_inter_icc_match_psych_and_keep_only_features_passing_both() {
    let t = tempfile::tempdir().unwrap();
    // The original table holds the patients in another order than the
    // re-outlines: patients are matched by id.
    let reads = write_reads(t.path(), &(0..12).collect::<Vec<_>>());
    let reversed = t.path().join("rev");
    std::fs::create_dir(&reversed).unwrap();
    let original = write_reads(&reversed, &(0..12).rev().collect::<Vec<_>>())["masks"].clone();
    let out = t.path().join("icc.csv");
    let stdout = icc_ok(&[
        "--reads",
        s(&original),
        "--intra",
        s(&reads["reader1_repeat"]),
        "--inter",
        s(&reads["reader2"]),
        "--out",
        s(&out),
        "--json",
    ]);
    let (header, rows) = read_csv(&out);
    assert_eq!(
        header,
        ["feature", "icc_intra", "icc_inter", "kept", "reason"]
    );
    let want = expected();
    assert_eq!(rows.len(), want.len());
    for r in &rows {
        let (intra, inter) = want[&r[0]];
        assert_r(&r[1], intra, &format!("{} intra", r[0]));
        assert_r(&r[2], inter, &format!("{} inter", r[0]));
        // The paper's rule: kept when both exceed the threshold.
        assert_eq!(r[3], kept_cell(intra > 0.8 && inter > 0.8), "{}", r[0]);
    }
    let summary: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(summary["n_subjects"], 12);
    assert_eq!(summary["kept"], serde_json::json!(["both_good"]));
    assert_eq!(
        summary["intra_readers"],
        serde_json::json!(["reader1_repeat"])
    );
    assert_eq!(summary["inter_readers"], serde_json::json!(["reader2"]));
}

#[test]
fn one_role_alone_is_the_rule_and_the_other_is_not_assessed() {
    let t = tempfile::tempdir().unwrap();
    let reads = write_reads(t.path(), &(0..12).collect::<Vec<_>>());
    let out = t.path().join("icc.csv");
    icc_ok(&[
        "--reads",
        s(&reads["masks"]),
        "--inter",
        s(&reads["reader2"]),
        "--out",
        s(&out),
    ]);
    let (_, rows) = read_csv(&out);
    let want = expected();
    assert_eq!(rows.len(), want.len());
    for r in &rows {
        let (_, inter) = want[&r[0]];
        assert_eq!(r[1], "NA", "{}: intra not assessed", r[0]);
        assert_r(&r[2], inter, &format!("{} inter", r[0]));
        assert_eq!(r[3], kept_cell(inter > 0.8), "{}", r[0]);
        assert!(
            r[4].contains("(no intra re-outlines)") || r[3] == "0",
            "{:?}",
            r[4]
        );
    }
}

#[test]
fn split_mode_takes_exactly_one_original() {
    let t = tempfile::tempdir().unwrap();
    let reads = write_reads(t.path(), &(0..12).collect::<Vec<_>>());
    let out = t.path().join("icc.csv");
    let o = dlrn(&[
        "icc",
        "--reads",
        s(&reads["masks"]),
        "--reads",
        s(&reads["reader2"]),
        "--intra",
        s(&reads["reader1_repeat"]),
        "--out",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("exactly one --reads table"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!out.exists());
}
