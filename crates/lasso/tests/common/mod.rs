//! Shared by the integration tests: the released EVC tables and the glmnet fixture.
#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::Value;

pub struct Data {
    pub names: Vec<String>,
    pub x: Vec<f64>,
    pub y: Vec<u8>,
    pub n: usize,
}

pub fn data_dir() -> PathBuf {
    dlrn_testdata::require_aln_paper()
}

/// Reads EVC1 then EVC2 with the csv crate, drops id, ALN_status and MSD.
pub fn load() -> Data {
    let mut names: Vec<String> = Vec::new();
    let mut rows: Vec<Vec<f64>> = Vec::new();
    let mut y = Vec::new();
    for file in ["EVC1.csv", "EVC2.csv"] {
        let path = data_dir().join(file);
        let mut rdr =
            csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let header: Vec<String> = rdr.headers().unwrap().iter().map(str::to_string).collect();
        let keep: Vec<usize> = (0..header.len())
            .filter(|&j| !matches!(header[j].as_str(), "id" | "ALN_status" | "MSD"))
            .collect();
        let label = header
            .iter()
            .position(|h| h == "ALN_status")
            .expect("ALN_status column");
        let these: Vec<String> = keep.iter().map(|&j| header[j].clone()).collect();
        if names.is_empty() {
            names = these;
        } else {
            assert_eq!(names, these, "EVC1 and EVC2 columns differ");
        }
        for rec in rdr.records() {
            let rec = rec.unwrap();
            y.push(rec[label].parse::<u8>().unwrap());
            rows.push(
                keep.iter()
                    .map(|&j| rec[j].parse::<f64>().unwrap())
                    .collect(),
            );
        }
    }
    let n = rows.len();
    let p = names.len();
    let mut x = vec![0.0; n * p];
    for (i, r) in rows.iter().enumerate() {
        for j in 0..p {
            x[j * n + i] = r[j];
        }
    }
    Data { names, x, y, n }
}

pub fn fixture() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/glmnet_evc.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("missing fixture {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

pub fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

pub fn strings(v: &Value) -> Vec<String> {
    // jsonlite writes a length-1 vector as a scalar under auto_unbox.
    match v {
        Value::Array(a) => a.iter().map(|x| x.as_str().unwrap().to_string()).collect(),
        Value::String(s) => vec![s.clone()],
        _ => panic!("not strings: {v}"),
    }
}

pub fn nums(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(_) => f64s(v),
        Value::Number(x) => vec![x.as_f64().unwrap()],
        _ => panic!("not numbers: {v}"),
    }
}
