//! dlrn-harmonize against sva::ComBat (sva 3.46.0, R 4.2.2): every case of
//! tests/fixtures/cases.json, made by tests/fixtures/make_combat.R.
//!
//! Tolerance: 1e-6 absolute on every adjusted value (the bound). The
//! two implementations differ only in summation order (BLAS vs. loops) and in
//! the non-parametric weights' log-space form; on these tables, whose values
//! reach 3e6, that is ~1e-9 relative at most. Reference rows are compared bit
//! for bit: sva copies them and so must dlrn.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use dlrn_harmonize::{ConstantFeatures, Covariate, Data, Model, Options, Prior, fit};
use serde::Deserialize;

const TOL: f64 = 1e-6;

#[derive(Deserialize)]
struct Meta {
    sva_version: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    table: String,
    case: String,
    file: String,
    rows: Vec<String>,
    features: Vec<String>,
    options: CaseOptions,
    fit_rows: Option<Vec<String>>,
    apply_rows: Option<Vec<String>>,
    unadjusted: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct CaseOptions {
    parametric: bool,
    mean_only: bool,
    reference: Option<String>,
    covariates: Vec<String>,
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A CSV of the fixtures: the header and, by id, the row's cells.
struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    by_id: HashMap<String, usize>,
}

impl Table {
    fn read(name: &str) -> Table {
        let path = fixtures().join(name);
        let mut r = csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
        let rows: Vec<Vec<String>> = r
            .records()
            .map(|rec| rec.unwrap().iter().map(String::from).collect())
            .collect();
        let by_id = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r[0].clone(), i))
            .collect();
        Table {
            header,
            rows,
            by_id,
        }
    }

    fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    }

    fn num(&self, id: &str, column: &str) -> f64 {
        self.rows[self.by_id[id]][self.col(column)].parse().unwrap()
    }

    fn text(&self, id: &str, column: &str) -> String {
        self.rows[self.by_id[id]][self.col(column)].clone()
    }
}

struct Rows {
    values: Vec<f64>,
    batch: Vec<String>,
    covariates: Vec<(String, Vec<f64>)>,
}

fn rows(t: &Table, ids: &[String], features: &[String], covariates: &[String]) -> Rows {
    Rows {
        values: ids
            .iter()
            .flat_map(|id| features.iter().map(move |f| t.num(id, f)))
            .collect(),
        batch: ids.iter().map(|id| t.text(id, "batch")).collect(),
        covariates: covariates
            .iter()
            .map(|c| (c.clone(), ids.iter().map(|id| t.num(id, c)).collect()))
            .collect(),
    }
}

fn options(case: &Case) -> Options {
    Options {
        prior: if case.options.parametric {
            Prior::Parametric
        } else {
            Prior::NonParametric
        },
        mean_only: case.options.mean_only,
        reference: case.options.reference.clone(),
        constant: if case.unadjusted.is_some() {
            ConstantFeatures::LeaveUnadjusted
        } else {
            ConstantFeatures::Refuse
        },
    }
}

/// Runs `f` on the rows' `Data`.
fn with_data<T>(r: &Rows, features: &[String], f: impl FnOnce(&Data) -> T) -> T {
    let covs: Vec<Covariate> = r
        .covariates
        .iter()
        .map(|(n, v)| Covariate { name: n, values: v })
        .collect();
    f(&Data {
        features,
        values: &r.values,
        batch: &r.batch,
        covariates: &covs,
    })
}

/// Compares dlrn's adjusted rows with sva's; returns (max abs, max relative) difference.
fn compare(
    case: &Case,
    ids: &[String],
    ours: &[f64],
    input: &Rows,
    reference: Option<&str>,
) -> (f64, f64) {
    let want = Table::read(&case.file);
    let p = case.features.len();
    let (mut worst, mut worst_rel) = (0.0f64, 0.0f64);
    for (i, id) in ids.iter().enumerate() {
        for (j, f) in case.features.iter().enumerate() {
            let got = ours[i * p + j];
            let expect = want.num(id, f);
            if reference == Some(input.batch[i].as_str()) {
                assert_eq!(
                    got.to_bits(),
                    input.values[i * p + j].to_bits(),
                    "{} {}: reference row {id}, {f} changed",
                    case.table,
                    case.case
                );
                assert_eq!(
                    got.to_bits(),
                    expect.to_bits(),
                    "{}: sva's reference row {id}",
                    case.case
                );
            }
            let d = (got - expect).abs();
            assert!(
                d <= TOL,
                "{} {}: row {id}, {f}: dlrn {got:e}, sva {expect:e} (|Δ| = {d:e})",
                case.table,
                case.case
            );
            worst = worst.max(d);
            worst_rel = worst_rel.max(d / expect.abs().max(f64::MIN_POSITIVE));
        }
    }
    (worst, worst_rel)
}

#[test]
fn every_case_matches_sva() {
    let text = std::fs::read_to_string(fixtures().join("cases.json")).expect("cases.json");
    let meta: Meta = serde_json::from_str(&text).unwrap();
    assert_eq!(meta.sva_version, "3.46.0");
    assert!(meta.cases.len() >= 40, "{} cases", meta.cases.len());
    let mut seen = Vec::new();
    for case in &meta.cases {
        let table = Table::read(&format!("table_{}.csv", case.table));
        let opts = options(case);
        let covs = &case.options.covariates;
        let (worst, rel) = match (&case.fit_rows, &case.apply_rows) {
            (Some(fit_ids), Some(apply_ids)) => {
                // Fit without the batch, then apply to it alone.
                let fr = rows(&table, fit_ids, &case.features, covs);
                let model: Model = with_data(&fr, &case.features, |d| fit(d, &opts))
                    .unwrap()
                    .model;
                // Through JSON, as the CLI stores it.
                let model: Model =
                    serde_json::from_str(&serde_json::to_string(&model).unwrap()).unwrap();
                let ar = rows(&table, apply_ids, &case.features, covs);
                let applied = with_data(&ar, &case.features, |d| model.apply(d)).unwrap();
                assert_eq!(applied.batches.len(), 1);
                assert!(!applied.batches[0].reference);
                let out = compare(case, apply_ids, &applied.adjusted, &ar, None);
                // The reference's rows given to apply come back unchanged, and equal sva's.
                let ref_ids: Vec<String> = case
                    .rows
                    .iter()
                    .filter(|id| !apply_ids.contains(id))
                    .cloned()
                    .collect();
                if !ref_ids.is_empty() {
                    let rr = rows(&table, &ref_ids, &case.features, covs);
                    let same = with_data(&rr, &case.features, |d| model.apply(d)).unwrap();
                    assert!(same.batches.iter().all(|b| b.reference));
                    compare(
                        case,
                        &ref_ids,
                        &same.adjusted,
                        &rr,
                        opts.reference.as_deref(),
                    );
                }
                out
            }
            _ => {
                let r = rows(&table, &case.rows, &case.features, covs);
                let fitted = with_data(&r, &case.features, |d| fit(d, &opts)).unwrap();
                if let Some(u) = &case.unadjusted {
                    assert_eq!(&fitted.model.unadjusted, u);
                }
                compare(
                    case,
                    &case.rows,
                    &fitted.adjusted,
                    &r,
                    opts.reference.as_deref(),
                )
            }
        };
        eprintln!(
            "{:>12} {:<16} max |Δ| {worst:.3e}  max relative {rel:.3e}",
            case.table, case.case
        );
        seen.push(format!("{}/{}", case.table, case.case));
    }
    for want in [
        "hc/par",
        "hc/nonpar",
        "hc/meanonly",
        "hc/cov",
        "hc/ref",
        "hc/ref_cov",
        "deep/par",
        "deep/nonpar",
        "deep/ref_np",
        "hc_zero_var/zero_var",
        "hc/lobo_H4",
        "deep/lobo_C_np",
        "hc/frozen_cov_H2",
        "hc/frozen_pooled_H4_cov",
        "deep/frozen_pooled_C_np",
    ] {
        assert!(seen.iter().any(|s| s == want), "fixture lacks {want}");
    }
}
