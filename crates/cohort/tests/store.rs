//! The feature store on disk: a run saved batch by batch, killed (the store
//! dropped without `finish`) and resumed, gives the bytes of an
//! uninterrupted run; the partial rows grow by appending (CSV) or by one
//! part per batch (Parquet); a run with failures keeps its rows for a rerun.
//! The rows are made-up values: the store copies them, it computes nothing.

use std::path::{Path, PathBuf};

use dlrn_cohort::store::{partial_files, partial_path, partial_segment};
use dlrn_cohort::{
    Failure, FeatureStore, GreyMapping, Outcome, Shard, Spec, Voi, merge_shards, sidecar,
};

const IDS: [&str; 5] = ["P1", "P2", "P3", "P4", "P5"];

/// A cohort of five cases: the store reads only the files' bytes (for the
/// fingerprints) and clinical.csv's labels, never decodes an image.
fn cohort(dir: &Path) -> PathBuf {
    let c = dir.join("C");
    std::fs::create_dir_all(c.join("images")).unwrap();
    std::fs::create_dir_all(c.join("masks")).unwrap();
    let mut csv = String::from("id,ALN_status\n");
    for (i, id) in IDS.iter().enumerate() {
        std::fs::write(c.join("images").join(format!("{id}.png")), [i as u8; 7]).unwrap();
        std::fs::write(c.join("masks").join(format!("{id}.png")), [9 - i as u8; 5]).unwrap();
        // P3's label is unknown (empty cell).
        let label = if *id == "P3" {
            String::new()
        } else {
            (i % 2).to_string()
        };
        csv.push_str(&format!("{id},{label}\n"));
    }
    std::fs::write(c.join("clinical.csv"), csv).unwrap();
    c
}

fn names() -> Vec<String> {
    vec!["a".into(), "b".into()]
}

fn mapping() -> GreyMapping {
    GreyMapping {
        format: "8-bit grey".into(),
        transfer_syntax: None,
        colour: None,
        rescale: None,
        voi: Voi::AsStored,
        inverted: false,
        frame: None,
    }
}

/// Case `id`'s made-up row.
fn row(id: &str) -> (String, Vec<f64>, GreyMapping) {
    let k: f64 = id[1..].parse().unwrap();
    (id.to_string(), vec![k / 3.0, -k * 1e-7], mapping())
}

fn spec<'a>(c: &'a Path, out: &'a Path, shard: Option<Shard>) -> Spec<'a> {
    Spec {
        cohort: c,
        masks: "masks",
        out,
        names: names(),
        shard,
        kind: "handcrafted",
    }
}

/// Opens the store on `out` and commits the cases still to do in batches
/// of two, stopping (as a kill would) after `batches` batches when given.
fn run(c: &Path, out: &Path, batches: Option<usize>) -> Option<Outcome> {
    run_shard(c, out, None, batches)
}

fn run_shard(
    c: &Path,
    out: &Path,
    shard: Option<Shard>,
    batches: Option<usize>,
) -> Option<Outcome> {
    let spec = spec(c, out, shard);
    let cases = FeatureStore::cases(&spec).unwrap();
    let (mut store, todo) =
        FeatureStore::open(&spec, cases, None, serde_json::json!({"masks": "masks"})).unwrap();
    for (i, chunk) in todo.chunks(2).enumerate() {
        if batches == Some(i) {
            return None;
        }
        store
            .commit(chunk.iter().map(|c| row(&c.id)).collect())
            .unwrap();
    }
    Some(store.finish(&[], false).unwrap())
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".partial"))
        .collect()
}

#[test]
fn csv_partial_rows_are_appended_and_resume_to_the_same_bytes() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    let whole = t.path().join("whole/hc.csv");
    std::fs::create_dir_all(whole.parent().unwrap()).unwrap();
    assert_eq!(run(&c, &whole, None), Some(Outcome::Complete));
    // id, label (P3 unknown), the values as written.
    let text = String::from_utf8(read(&whole)).unwrap();
    assert_eq!(text.lines().count(), 6, "{text}");
    assert!(text.starts_with("id,ALN_status,a,b\nP1,0,"), "{text}");
    assert!(text.contains("\nP3,,1.0,"), "{text}");

    let out = t.path().join("killed/hc.csv");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    assert_eq!(run(&c, &out, Some(2)), None);
    // Two batches appended to one partial table, no table at out.
    assert!(!out.exists());
    let partial = String::from_utf8(read(&partial_path(&out))).unwrap();
    assert_eq!(partial.lines().count(), 5, "{partial}");
    // A kill during the next append leaves half a row: cut on resume.
    let mut torn = partial.into_bytes();
    torn.extend_from_slice(b"P5,1,0.3");
    std::fs::write(partial_path(&out), torn).unwrap();
    assert_eq!(run(&c, &out, None), Some(Outcome::Complete));
    for suffix in ["inputs.json", "grey.json"] {
        assert_eq!(
            read(&sidecar(&out, suffix)),
            read(&sidecar(&whole, suffix)),
            "{suffix}"
        );
    }
    assert_eq!(read(&out), read(&whole));
    assert!(leftovers(out.parent().unwrap()).is_empty());
}

#[test]
fn parquet_partial_rows_are_one_part_per_batch() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    let whole = t.path().join("whole/hc.parquet");
    std::fs::create_dir_all(whole.parent().unwrap()).unwrap();
    run(&c, &whole, None).unwrap();
    let out = t.path().join("killed/hc.parquet");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    assert_eq!(run(&c, &out, Some(2)), None);
    assert!(partial_path(&out).is_file());
    assert!(partial_segment(&out, 1).is_file());
    assert!(!partial_segment(&out, 2).exists());
    assert!(partial_files(&out).contains(&partial_segment(&out, 1)));
    assert_eq!(run(&c, &out, None), Some(Outcome::Complete));
    assert_eq!(read(&out), read(&whole));
    assert!(leftovers(out.parent().unwrap()).is_empty());
}

#[test]
fn a_run_with_failures_keeps_its_rows_for_the_rerun() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    let out = t.path().join("hc.csv");
    let spec = spec(&c, &out, None);
    let cases = FeatureStore::cases(&spec).unwrap();
    let (mut store, todo) =
        FeatureStore::open(&spec, cases, None, serde_json::Value::Null).unwrap();
    assert_eq!(todo.len(), 5);
    store
        .commit(["P1", "P2", "P4", "P5"].iter().map(|id| row(id)).collect())
        .unwrap();
    let failures = [Failure {
        id: "P3".into(),
        file: c.join("images/P3.png"),
        reason: "cannot decode".into(),
    }];
    assert_eq!(store.finish(&failures, false).unwrap(), Outcome::Partial);
    assert!(!out.exists());
    assert_eq!(
        String::from_utf8(read(&sidecar(&out, "failures.csv"))).unwrap(),
        format!(
            "id,file,reason\nP3,{},cannot decode\n",
            c.join("images/P3.png").display()
        )
    );
    // The rerun reuses the four rows and has only P3 to do.
    let cases = FeatureStore::cases(&spec).unwrap();
    let (store, todo) = FeatureStore::open(&spec, cases, None, serde_json::Value::Null).unwrap();
    assert_eq!(store.resumed(), 4);
    assert_eq!(
        todo.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        ["P3"]
    );
}

#[test]
fn shards_merge_to_the_unsharded_bytes() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    let whole = t.path().join("whole.csv");
    run(&c, &whole, None).unwrap();
    let mut shards = Vec::new();
    for i in [1, 0] {
        let s = t.path().join(format!("s{i}.csv"));
        run_shard(&c, &s, Some(Shard { index: i, count: 2 }), None).unwrap();
        assert!(sidecar(&s, "shard.json").is_file());
        shards.push(s);
    }
    let merged = t.path().join("merged.csv");
    let m = merge_shards(&shards, &merged, Some(&c)).unwrap();
    assert_eq!((m.rows, m.shards), (5, 2));
    assert_eq!(read(&merged), read(&whole));
    for suffix in ["inputs.json", "grey.json"] {
        assert_eq!(
            read(&sidecar(&merged, suffix)),
            read(&sidecar(&whole, suffix)),
            "{suffix}"
        );
    }
    // A shard missing: refused, naming what is missing.
    let err = merge_shards(&shards[..1], &merged, None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("shard(s) 0/2 missing"), "{err}");
}

/// Runs the store on `out` (a shard of it, with `shard`) with the cases of
/// `fail` failing, accepting the table without them (`--keep-going`).
fn run_accepting(c: &Path, out: &Path, shard: Option<Shard>, fail: &[&str]) -> Outcome {
    let spec = spec(c, out, shard);
    let cases = FeatureStore::cases(&spec).unwrap();
    let (mut store, todo) =
        FeatureStore::open(&spec, cases, None, serde_json::json!({"masks": "masks"})).unwrap();
    let mut failures = Vec::new();
    for chunk in todo.chunks(2) {
        let (bad, good): (Vec<_>, Vec<_>) = chunk.iter().partition(|c| fail.contains(&&*c.id));
        failures.extend(bad.iter().map(|c| Failure {
            id: c.id.clone(),
            file: PathBuf::from(format!("images/{}.png", c.id)),
            reason: "cannot decode".into(),
        }));
        store
            .commit(good.iter().map(|c| row(&c.id)).collect())
            .unwrap();
    }
    store.finish(&failures, true).unwrap()
}

/// Shards that accepted a failed case (`--keep-going`) merge to what an
/// unsharded `--keep-going` run writes: the table without the case, the
/// fingerprints of its rows only, and the failures listed beside it.
#[test]
fn shards_with_accepted_failures_merge_to_the_unsharded_bytes() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    let whole = t.path().join("whole.csv");
    assert_eq!(
        run_accepting(&c, &whole, None, &["P2", "P5"]),
        Outcome::Accepted
    );
    let inputs: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&read(&sidecar(&whole, "inputs.json"))).unwrap();
    assert_eq!(
        inputs.keys().collect::<Vec<_>>(),
        ["P1", "P3", "P4"],
        "inputs.json lists the rows only"
    );
    assert_eq!(
        String::from_utf8(read(&sidecar(&whole, "failures.csv"))).unwrap(),
        "id,file,reason\nP2,images/P2.png,cannot decode\nP5,images/P5.png,cannot decode\n"
    );
    // Shard 0/2 holds P1, P2 (P2 fails); shard 1/2 holds P3, P4, P5 (P5 fails).
    let mut shards = Vec::new();
    for i in [1, 0] {
        let s = t.path().join(format!("s{i}.csv"));
        let outcome = run_accepting(&c, &s, Some(Shard { index: i, count: 2 }), &["P2", "P5"]);
        assert_eq!(outcome, Outcome::Accepted);
        let manifest: serde_json::Value =
            serde_json::from_slice(&read(&sidecar(&s, "shard.json"))).unwrap();
        assert_eq!(manifest["failed"], serde_json::json!([["P2"], ["P5"]][i]));
        shards.push(s);
    }
    let merged = t.path().join("merged.csv");
    let m = merge_shards(&shards, &merged, Some(&c)).unwrap();
    assert_eq!((m.rows, m.shards), (3, 2));
    assert_eq!(read(&merged), read(&whole));
    for suffix in ["inputs.json", "grey.json", "failures.csv"] {
        assert_eq!(
            read(&sidecar(&merged, suffix)),
            read(&sidecar(&whole, suffix)),
            "{suffix}"
        );
    }
    // Without failures, a merge leaves no failures.csv (an earlier one goes).
    let clean: Vec<PathBuf> = [0, 1]
        .iter()
        .map(|&i| {
            let s = t.path().join(format!("clean{i}.csv"));
            run_shard(&c, &s, Some(Shard { index: i, count: 2 }), None).unwrap();
            s
        })
        .collect();
    merge_shards(&clean, &merged, None).unwrap();
    assert!(!sidecar(&merged, "failures.csv").exists());
}
