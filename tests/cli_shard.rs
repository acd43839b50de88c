//! Sharded extraction end to end: `dlrn extract handcrafted|deep --shard I/N`
//! on a tiny simulated cohort, then `dlrn merge`. The oracle is the unsharded
//! extraction of the same cohort: the merged table and its sidecars must be
//! the same bytes. Then every way of merging wrongly is refused, naming the
//! shard file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn dlrn() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dlrn"))
}

fn ok(output: Output) -> Output {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The error message of a run that must fail.
fn fails(output: Output) -> String {
    assert!(!output.status.success(), "succeeded but should not have");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `dlrn simulate` at the smallest scale: every cohort has 10 patients.
fn simulate(dir: &Path) -> PathBuf {
    let sim = dir.join("sim");
    ok(dlrn()
        .args(["simulate", "--seed", "5", "--scale", "0.01", "--out"])
        .arg(&sim)
        .output()
        .unwrap());
    sim.join("EVC3")
}

fn extract(kind: &str, cohort: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut cmd = dlrn();
    cmd.args(["extract", kind, "--cohort"])
        .arg(cohort)
        .arg("--out")
        .arg(out)
        .args(extra);
    if kind == "deep" {
        cmd.args(["--batch", "4"]);
    }
    cmd.output().unwrap()
}

fn merge(out: &Path, shards: &[&Path], extra: &[&str]) -> Output {
    dlrn()
        .arg("merge")
        .arg("--out")
        .arg(out)
        .args(extra)
        .args(shards)
        .output()
        .unwrap()
}

fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn sidecar(p: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}.{suffix}", p.display()))
}

/// Writes shards 0..n of an extraction into `dir/<stem>-<i>.csv`.
fn shards(
    kind: &str,
    cohort: &Path,
    dir: &Path,
    stem: &str,
    n: usize,
    extra: &[&str],
) -> Vec<PathBuf> {
    (0..n)
        .map(|i| {
            let out = dir.join(format!("{stem}-{i}.csv"));
            let shard = format!("{i}/{n}");
            let mut a = vec!["--shard", shard.as_str()];
            a.extend_from_slice(extra);
            ok(extract(kind, cohort, &out, &a));
            out
        })
        .collect()
}

#[test]
fn sharded_handcrafted_merges_to_the_unsharded_bytes_and_bad_sets_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let cohort = simulate(tmp.path());
    let full = tmp.path().join("full.csv");
    ok(extract("handcrafted", &cohort, &full, &["--strict"]));

    let parts = shards("handcrafted", &cohort, tmp.path(), "hc", 3, &["--strict"]);
    // 10 cases in 3 contiguous runs: 3, 3, 4 rows; shard 0 has the smallest ids.
    let rows: Vec<usize> = parts
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap().lines().count() - 1)
        .collect();
    assert_eq!(rows, [3, 3, 4]);
    let manifest: serde_json::Value =
        serde_json::from_slice(&bytes(&sidecar(&parts[1], "shard.json"))).unwrap();
    assert_eq!(manifest["shard"]["index"], 1);
    assert_eq!(manifest["shard"]["count"], 3);
    assert_eq!(manifest["kind"], "handcrafted");
    assert_eq!(manifest["cohort_cases"], 10);

    // Shards in any order merge to the unsharded table and inputs.json.
    let merged = tmp.path().join("merged.csv");
    ok(merge(
        &merged,
        &[&parts[2], &parts[0], &parts[1]],
        &["--cohort", cohort.to_str().unwrap()],
    ));
    assert_eq!(bytes(&merged), bytes(&full));
    for suffix in ["inputs.json", "grey.json"] {
        assert_eq!(
            bytes(&sidecar(&merged, suffix)),
            bytes(&sidecar(&full, suffix)),
            "{suffix}"
        );
    }
    // Parquet out of CSV shards: the same table as an unsharded Parquet extraction.
    let full_pq = tmp.path().join("full.parquet");
    ok(extract("handcrafted", &cohort, &full_pq, &["--strict"]));
    let merged_pq = tmp.path().join("merged.parquet");
    ok(merge(&merged_pq, &[&parts[0], &parts[1], &parts[2]], &[]));
    assert_eq!(bytes(&merged_pq), bytes(&full_pq));

    // A missing shard names what is missing and what was given.
    let msg = fails(merge(
        &tmp.path().join("x.csv"),
        &[&parts[0], &parts[2]],
        &[],
    ));
    assert!(msg.contains("1/3") && msg.contains("missing"), "{msg}");
    // A shard given twice names both files.
    let msg = fails(merge(
        &tmp.path().join("x.csv"),
        &[&parts[0], &parts[1], &parts[1], &parts[2]],
        &[],
    ));
    assert!(
        msg.contains("given twice") && msg.contains("hc-1.csv"),
        "{msg}"
    );
    // A shard of another N.
    let other_n = shards("handcrafted", &cohort, tmp.path(), "two", 2, &[]);
    let msg = fails(merge(
        &tmp.path().join("x.csv"),
        &[&parts[0], &other_n[1], &parts[2]],
        &[],
    ));
    assert!(
        msg.contains("two-1.csv") && msg.contains("one of 2 shards"),
        "{msg}"
    );
    // A file that is not a finished shard.
    let msg = fails(merge(&tmp.path().join("x.csv"), &[&full], &[]));
    assert!(
        msg.contains("full.csv") && msg.contains("shard.json"),
        "{msg}"
    );
    // An image edited after its shard was extracted: --cohort names the stale shard.
    let ids: Vec<String> = manifest["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let image = std::fs::read_dir(cohort.join("images"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_stem().unwrap().to_str() == Some(ids[0].as_str()))
        .unwrap();
    let mut img = image::open(&image).unwrap().to_luma8();
    img.get_pixel_mut(0, 0).0[0] ^= 0xff;
    img.save(&image).unwrap();
    let msg = fails(merge(
        &tmp.path().join("x.csv"),
        &[&parts[0], &parts[1], &parts[2]],
        &["--cohort", cohort.to_str().unwrap()],
    ));
    assert!(
        msg.contains("hc-1.csv") && msg.contains(&ids[0]) && msg.contains("changed"),
        "{msg}"
    );
    // More shards than cases.
    let msg = fails(extract(
        "handcrafted",
        &cohort,
        &tmp.path().join("y.csv"),
        &["--shard", "0/11"],
    ));
    assert!(msg.contains("10 case(s)"), "{msg}");
}

#[test]
fn sharded_deep_merges_to_the_unsharded_bytes_and_other_weights_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let cohort = simulate(tmp.path());
    let full = tmp.path().join("full.csv");
    ok(extract("deep", &cohort, &full, &["--seed", "3"]));
    let parts = shards("deep", &cohort, tmp.path(), "deep", 2, &["--seed", "3"]);
    let merged = tmp.path().join("merged.csv");
    ok(merge(&merged, &[&parts[1], &parts[0]], &[]));
    assert_eq!(bytes(&merged), bytes(&full));
    for suffix in ["inputs.json", "meta.json"] {
        assert_eq!(
            bytes(&sidecar(&merged, suffix)),
            bytes(&sidecar(&full, suffix)),
            "{suffix}"
        );
    }
    // A shard made with other weights (another random seed) is refused by name.
    let other = tmp.path().join("seed4-1.csv");
    ok(extract(
        "deep",
        &cohort,
        &other,
        &["--seed", "4", "--shard", "1/2"],
    ));
    let msg = fails(merge(&tmp.path().join("x.csv"), &[&parts[0], &other], &[]));
    assert!(
        msg.contains("seed4-1.csv") && msg.contains("other settings"),
        "{msg}"
    );
    // Handcrafted and deep shards do not mix.
    let hc = tmp.path().join("hc-1.csv");
    ok(extract("handcrafted", &cohort, &hc, &["--shard", "1/2"]));
    let msg = fails(merge(&tmp.path().join("x.csv"), &[&parts[0], &hc], &[]));
    assert!(
        msg.contains("hc-1.csv") && msg.contains("handcrafted features"),
        "{msg}"
    );
}
