//! `dlrn harmonize fit|apply` end to end on the R fixture tables of
//! crates/harmonize/tests/fixtures (made by make_combat.R with sva 3.46.0):
//! the harmonised tables equal sva::ComBat's to 1e-6, the reference rows and
//! the pass-through columns are unchanged bit for bit, a batch left out of
//! the fit and applied later equals sva on reference + that batch, and a
//! rerun writes the same bytes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

/// The bound on every adjusted value.
const TOL: f64 = 1e-6;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/harmonize/tests/fixtures")
}

fn dlrn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dlrn"))
        .args(args)
        .output()
        .expect("running dlrn")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[track_caller]
fn ok(args: &[&str]) -> String {
    let out = dlrn(args);
    assert!(
        out.status.success(),
        "dlrn {}:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A comma-separated table without quoting: header and rows of cells.
struct Csv {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Csv {
    fn read(path: &Path) -> Csv {
        let text = std::fs::read_to_string(path).unwrap();
        let mut lines = text.lines();
        let header = lines.next().unwrap().split(',').map(String::from).collect();
        let rows = lines
            .map(|l| l.split(',').map(String::from).collect())
            .collect();
        Csv { header, rows }
    }

    fn col(&self, name: &str) -> usize {
        self.header.iter().position(|h| h == name).unwrap()
    }

    fn by_id(&self) -> HashMap<String, &Vec<String>> {
        let id = self.col("id");
        self.rows.iter().map(|r| (r[id].clone(), r)).collect()
    }

    /// The rows whose `batch` is in `keep`, written to `path`.
    fn subset(&self, keep: &[&str], path: &Path) {
        let b = self.col("batch");
        let mut text = self.header.join(",") + "\n";
        for r in self.rows.iter().filter(|r| keep.contains(&r[b].as_str())) {
            text.push_str(&r.join(","));
            text.push('\n');
        }
        std::fs::write(path, text).unwrap();
    }
}

fn num(cell: &str) -> f64 {
    cell.parse().unwrap()
}

/// Checks a harmonised table against an sva output and its input: every
/// feature within [`TOL`] of sva (for the rows sva has), rows of `reference`
/// bit-identical to the input, other columns unchanged. Returns the max |Δ|.
#[track_caller]
fn check(out: &Path, input: &Path, sva: &str, reference: Option<&str>) -> f64 {
    let got = Csv::read(out);
    let inp = Csv::read(input);
    let want = Csv::read(&fixtures().join(sva));
    assert_eq!(got.header, inp.header, "columns and their order are kept");
    assert_eq!(got.rows.len(), inp.rows.len());
    let want_rows = want.by_id();
    let batch = inp.col("batch");
    let mut worst = 0.0f64;
    for (g, x) in got.rows.iter().zip(&inp.rows) {
        for (c, name) in inp.header.iter().enumerate() {
            if !want.header.contains(name) || name == "id" {
                assert_eq!(g[c], x[c], "pass-through column {name} changed");
                continue;
            }
            if reference == Some(x[batch].as_str()) {
                assert_eq!(
                    num(&g[c]).to_bits(),
                    num(&x[c]).to_bits(),
                    "reference {name}"
                );
            }
            if let Some(w) = want_rows.get(&x[0]) {
                let d = (num(&g[c]) - num(&w[want.col(name)])).abs();
                assert!(d <= TOL, "{sva}: {} {name}: |Δ| = {d:e}", x[0]);
                worst = worst.max(d);
            }
        }
    }
    worst
}

#[test]
fn fit_with_reference_matches_sva_and_reruns_byte_identical() {
    let t = tempfile::tempdir().unwrap();
    let data = fixtures().join("table_hc.csv");
    let out = t.path().join("hc.harmonized.csv");
    let model = t.path().join("combat.json");
    let args = [
        "harmonize",
        "fit",
        "--data",
        s(&data),
        "--batch",
        "batch",
        "--reference",
        "H1",
        "--model",
        s(&model),
        "--out",
        s(&out),
        "--json",
    ];
    let summary: serde_json::Value = serde_json::from_str(&ok(&args)).unwrap();
    assert_eq!(summary["rows"], 199);
    assert_eq!(summary["features"], 24);
    assert_eq!(
        summary["passed_through"],
        serde_json::json!(["id", "ALN_status", "batch"])
    );
    check(&out, &data, "hc_ref.csv", Some("H1"));
    // The model records the input's hash and the options.
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    let sha = hex::encode(Sha256::digest(std::fs::read(&data).unwrap()));
    assert_eq!(m["data_sha256"], sha);
    assert_eq!(m["format"], "dlrn-harmonize-combat");
    assert_eq!(m["model"]["options"]["reference"], "H1");
    assert_eq!(m["model"]["options"]["prior"], "parametric");
    // A rerun writes the same bytes.
    let (first_out, first_model) = (std::fs::read(&out).unwrap(), std::fs::read(&model).unwrap());
    ok(&args);
    assert_eq!(std::fs::read(&out).unwrap(), first_out);
    assert_eq!(std::fs::read(&model).unwrap(), first_model);
    // No temporary file is left beside the outputs.
    let names: Vec<String> = std::fs::read_dir(t.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn fit_options_match_sva() {
    let t = tempfile::tempdir().unwrap();
    for (table, flags, sva) in [
        (
            "table_hc.csv",
            &["--nonparametric", "--covariates", "ALN_status"][..],
            "hc_cov_np.csv",
        ),
        ("table_hc.csv", &["--mean-only"][..], "hc_meanonly.csv"),
        ("table_deep.csv", &[][..], "deep_par.csv"),
        (
            "table_deep.csv",
            &["--nonparametric", "--reference", "A"][..],
            "deep_ref_np.csv",
        ),
        (
            "table_deep.csv",
            &["--covariates", "ALN_status", "--reference", "A"][..],
            "deep_ref_cov.csv",
        ),
    ] {
        let data = fixtures().join(table);
        let out = t.path().join(format!("out-{sva}"));
        let model = t.path().join(format!("model-{sva}.json"));
        let mut args = vec![
            "harmonize",
            "fit",
            "--data",
            s(&data),
            "--batch",
            "batch",
            "--model",
            s(&model),
            "--out",
            s(&out),
        ];
        args.extend_from_slice(flags);
        ok(&args);
        let reference = flags
            .iter()
            .position(|f| *f == "--reference")
            .map(|k| flags[k + 1]);
        check(&out, &data, sva, reference);
    }
}

#[test]
fn constant_feature_left_unadjusted_as_sva_with_keep_constant() {
    let t = tempfile::tempdir().unwrap();
    let data = fixtures().join("table_hc_zero_var.csv");
    let out = t.path().join("z.csv");
    let model = t.path().join("z.json");
    let base = [
        "harmonize",
        "fit",
        "--data",
        s(&data),
        "--batch",
        "batch",
        "--model",
        s(&model),
        "--out",
        s(&out),
    ];
    let refused = dlrn(&base);
    assert_eq!(refused.status.code(), Some(2));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("constant within batch `H4`") && err.contains("table_hc_zero_var.csv"),
        "{err}"
    );
    assert!(!out.exists() && !model.exists());
    let mut args = base.to_vec();
    args.push("--keep-constant");
    ok(&args);
    check(&out, &data, "hc_zero_var.csv", None);
}

#[test]
fn apply_to_a_batch_left_out_equals_sva_on_reference_plus_that_batch() {
    let t = tempfile::tempdir().unwrap();
    let table = Csv::read(&fixtures().join("table_hc.csv"));
    let fit_rows = t.path().join("fit.csv");
    table.subset(&["H1", "H2", "H3"], &fit_rows);
    for (np, sva) in [(false, "hc_lobo_H4.csv"), (true, "hc_lobo_H4_np.csv")] {
        let model = t.path().join(format!("m{np}.json"));
        let fitted = t.path().join(format!("f{np}.csv"));
        let mut args = vec![
            "harmonize",
            "fit",
            "--data",
            s(&fit_rows),
            "--batch",
            "batch",
            "--reference",
            "H1",
            "--model",
            s(&model),
            "--out",
            s(&fitted),
        ];
        if np {
            args.push("--nonparametric");
        }
        ok(&args);
        // The new batch alone, and together with reference rows (which stay unchanged).
        for keep in [&["H4"][..], &["H1", "H4"][..]] {
            let new = t.path().join(format!("new-{}.csv", keep.join("")));
            table.subset(keep, &new);
            let out = t
                .path()
                .join(format!("new-{}-{np}.harmonized.csv", keep.join("")));
            let summary: serde_json::Value = serde_json::from_str(&ok(&[
                "harmonize",
                "apply",
                "--model",
                s(&model),
                "--data",
                s(&new),
                "--batch",
                "batch",
                "--out",
                s(&out),
                "--json",
            ]))
            .unwrap();
            let batches = summary["batches"].as_array().unwrap();
            assert_eq!(batches.len(), keep.len());
            assert_eq!(batches.last().unwrap()["level"], "H4");
            assert_eq!(batches.last().unwrap()["reference"], false);
            check(&out, &new, sva, Some("H1"));
        }
    }
}
