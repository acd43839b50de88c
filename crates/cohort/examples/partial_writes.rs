//! Time of the partial-write path of an extraction: the feature store's
//! `commit` (each batch appended to the partial table, or a Parquet part of
//! its own) against rewriting the whole growing partial table after every
//! batch (what extraction did before), for a cohort of made-up rows.
//!
//! `cargo run --release -p dlrn-cohort --example partial_writes -- [ROWS] [COLUMNS] [BATCH]`
//! (default 1000 rows of 2048 columns, batches of 16: a deep-feature table).

use std::collections::BTreeMap;
use std::time::Instant;

use dlrn_cohort::store::{partial_path, write_rows};
use dlrn_cohort::{FeatureStore, GreyMapping, Spec, Voi};

fn main() {
    let arg = |i: usize, default: usize| {
        std::env::args()
            .nth(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or(default)
    };
    let (n, p, batch) = (arg(1, 1000), arg(2, 2048), arg(3, 16));
    let dir = tempfile::tempdir().expect("temporary folder");
    let cohort = dir.path().join("cohort");
    std::fs::create_dir_all(cohort.join("images")).expect("images/");
    std::fs::create_dir_all(cohort.join("masks")).expect("masks/");
    let ids: Vec<String> = (0..n).map(|i| format!("P{i:06}")).collect();
    for id in &ids {
        std::fs::write(cohort.join(format!("images/{id}.png")), id).expect("image");
        std::fs::write(cohort.join(format!("masks/{id}.png")), id).expect("mask");
    }
    let names: Vec<String> = (1..=p).map(|j| format!("f_{j}")).collect();
    let row = |i: usize| -> Vec<f64> {
        (0..p)
            .map(|j| ((i * 31 + j * 17) % 1000) as f64 / 7.0)
            .collect()
    };
    let mapping = GreyMapping {
        format: "8-bit grey".into(),
        transfer_syntax: None,
        colour: None,
        rescale: None,
        voi: Voi::AsStored,
        inverted: false,
        frame: None,
    };
    println!("{n} rows × {p} columns, batches of {batch}");
    for ext in ["csv", "parquet"] {
        // Before: the whole partial table rewritten after every batch.
        let out = dir.path().join(format!("old.{ext}"));
        let mut rows = BTreeMap::new();
        let t = Instant::now();
        for (b, chunk) in ids.chunks(batch).enumerate() {
            for (k, id) in chunk.iter().enumerate() {
                rows.insert(id.clone(), row(b * batch + k));
            }
            write_rows(&partial_path(&out), &names, None, &rows).expect("rewrite");
        }
        let old = t.elapsed().as_secs_f64();

        // Now: the store's commit.
        let out = dir.path().join(format!("new.{ext}"));
        let spec = Spec {
            cohort: &cohort,
            masks: "masks",
            out: &out,
            names: names.clone(),
            shard: None,
            kind: "bench",
        };
        let cases = FeatureStore::cases(&spec).expect("cases");
        let (mut store, todo) =
            FeatureStore::open(&spec, cases, None, serde_json::Value::Null).expect("open");
        let t = Instant::now();
        for (b, chunk) in todo.chunks(batch).enumerate() {
            let batch_rows = chunk
                .iter()
                .enumerate()
                .map(|(k, c)| (c.id.clone(), row(b * batch + k), mapping.clone()))
                .collect();
            store.commit(batch_rows).expect("commit");
        }
        let new = t.elapsed().as_secs_f64();
        let t = Instant::now();
        store.finish(&[], false).expect("finish");
        let finish = t.elapsed().as_secs_f64();
        println!(
            "{ext:>8}: rewrite every batch {old:8.2} s; append (commit) {new:8.2} s, then finish {finish:6.2} s"
        );
    }
}
