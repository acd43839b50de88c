//! `[features]`: a study run from feature tables made elsewhere, with no
//! image read. The tables are the tiny study's own extractions written out
//! as CSV per cohort and re-outline (as another tool would hand them over,
//! rows shuffled, columns renamed by the `lab_` prefix), so the study from
//! them must give the same Table 2, cell for cell. Bad tables (an id that is
//! not the cohort's, a missing patient, a repeated id, a text cell, an
//! all-NaN column) are refused naming the file and the row or column.
//!
//! Needs the `dlrn` binary next to xtask's (`cargo test --workspace` builds
//! it; `cargo build -p dlrn` otherwise).

use std::path::{Path, PathBuf};

mod common;
use common::read_csv;
use common::study::{paper_command, run_paper, tiny_config};

/// Writes `tables` (handcrafted then deep) as one CSV, rows in reverse id order.
fn export(tables: &[PathBuf], out: &Path) {
    let mut ids: Vec<String> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut cols: Vec<Vec<f64>> = Vec::new();
    for t in tables {
        let table = dlrn_cohort::Table::read(t).expect("an extraction table");
        let these = table.ids().expect("ids");
        if ids.is_empty() {
            ids = these.clone();
        }
        assert_eq!(ids, these, "{}", t.display());
        for n in table.feature_names("ALN_status") {
            cols.push(table.f64_column(&n).expect("numbers"));
            names.push(n);
        }
    }
    let mut text = String::from("id");
    for n in &names {
        text.push(',');
        text.push_str(n);
    }
    text.push('\n');
    for i in (0..ids.len()).rev() {
        text.push_str(&ids[i]);
        for c in &cols {
            let v = c[i];
            if v.is_nan() {
                text.push_str(",NA");
            } else {
                text.push_str(&format!(",{v}"));
            }
        }
        text.push('\n');
    }
    std::fs::write(out, text).expect("writing a table");
}

#[test]
fn a_study_from_external_tables_alone_gives_the_same_table2() {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let dir = tmp.path();
    let config = tiny_config(dir);
    let own = dir.join("own");
    run_paper(&config, &own);

    let feat = own.join("work/features");
    let ext = dir.join("ext");
    std::fs::create_dir_all(&ext).expect("ext/");
    let tags = [
        "TC",
        "EVC1",
        "EVC2",
        "EVC3",
        "TC_reader1_repeat",
        "TC_reader2",
    ];
    for tag in tags {
        export(
            &[
                feat.join(format!("{tag}_handcrafted.parquet")),
                feat.join(format!("{tag}_deep.parquet")),
            ],
            &ext.join(format!("{tag}.csv")),
        );
    }
    let p = |tag: &str| format!("{:?}", ext.join(format!("{tag}.csv")).display().to_string());
    let section = format!(
        "\n[features]\nown = false\n[[features.table]]\nname = \"lab\"\n\
         cohorts = {{ TC = {}, EVC1 = {}, EVC2 = {}, EVC3 = {} }}\n\
         reoutlines = {{ reader1_repeat = {}, reader2 = {} }}\n",
        p("TC"),
        p("EVC1"),
        p("EVC2"),
        p("EVC3"),
        p("TC_reader1_repeat"),
        p("TC_reader2"),
    );
    let text = std::fs::read_to_string(&config).expect("config");
    let external = dir.join("external.toml");
    std::fs::write(&external, format!("{text}{section}")).expect("config");
    let out = dir.join("external");
    let log = run_paper(&external, &out);
    assert!(
        !log.contains("handcrafted/") && !log.contains("deep/"),
        "no extraction stage runs:\n{log}"
    );
    let (_, a) = read_csv(&own.join("table2.csv"));
    let (_, b) = read_csv(&out.join("table2.csv"));
    assert_eq!(a, b, "Table 2 from the external tables differs");
    let signature = std::fs::read_to_string(out.join("signature.json")).expect("signature");
    assert!(signature.contains("\"lab_"), "prefixed names: {signature}");

    // Bad tables: each refused naming the file and the row or column.
    let bad = |name: &str, edit: &dyn Fn(&str) -> String, want: &[&str]| {
        let good = std::fs::read_to_string(ext.join("EVC2.csv")).expect("EVC2.csv");
        let path = ext.join(format!("EVC2_{name}.csv"));
        std::fs::write(&path, edit(&good)).expect("writing");
        let cfg = dir.join(format!("bad_{name}.toml"));
        let section = section.replace(&p("EVC2"), &format!("{:?}", path.display().to_string()));
        std::fs::write(&cfg, format!("{text}{section}")).expect("config");
        let output = paper_command(&cfg, &dir.join(format!("bad_{name}")))
            .output()
            .expect("running xtask");
        let err = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{name}: accepted");
        assert!(err.contains(&path.display().to_string()), "{name}: {err}");
        for w in want {
            assert!(err.contains(w), "{name}: {err}");
        }
    };
    let lines = |t: &str| t.lines().map(str::to_string).collect::<Vec<_>>();
    // An id that is not EVC2's.
    bad(
        "stranger",
        &|t| {
            let mut l = lines(t);
            let first = l[1].split(',').next().expect("an id").to_string();
            l[1] = l[1].replacen(&first, "NOBODY", 1);
            l.join("\n") + "\n"
        },
        &["row 1", "NOBODY", "not a patient"],
    );
    // A patient left out.
    bad(
        "short",
        &|t| {
            let mut l = lines(t);
            l.remove(2);
            l.join("\n") + "\n"
        },
        &["have no row"],
    );
    // A repeated id.
    bad(
        "twice",
        &|t| {
            let mut l = lines(t);
            let again = l[1].clone();
            l[2] = again;
            l.join("\n") + "\n"
        },
        &["id"],
    );
    // A cell that is not a number (row 3 of the data, first feature).
    bad(
        "text",
        &|t| {
            let mut l = lines(t);
            let mut cells: Vec<String> = l[3].split(',').map(str::to_string).collect();
            cells[1] = "high".into();
            l[3] = cells.join(",");
            l.join("\n") + "\n"
        },
        &["high"],
    );
    // A column with no number.
    bad(
        "empty",
        &|t| {
            let l = lines(t);
            l.iter()
                .enumerate()
                .map(|(i, line)| {
                    let mut cells: Vec<String> = line.split(',').map(str::to_string).collect();
                    if i > 0 {
                        cells[2] = "NA".into();
                    }
                    cells.join(",")
                })
                .collect::<Vec<_>>()
                .join("\n")
                + "\n"
        },
        &["holds no number"],
    );
}
