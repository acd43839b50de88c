//! A cohort schema of the user's own through `cargo xtask paper`, end to end:
//! the tiny simulated cohorts get a `schema.toml` that adds lymphovascular
//! invasion (`lvi`, binary, written into every clinical.csv here) and drops
//! two of the paper's variables (nuclear grade, a candidate of the tiny
//! study, and BMI: columns and declarations removed). The study runs with
//! the univariate screen and backward elimination at the paper's p < 0.05,
//! so the selection is data-driven: `lvi` is drawn strongly associated with
//! ALN status (P(present) 0.8 for ALN+, 0.2 for ALN−, seeded) for the screen
//! to keep it. Tables 1 and 3, the screen, the nomogram, the calculator and
//! the model bundle then name LVI and never the dropped variables, and
//! `dlrn predict` with the bundle works on a cohort with the new columns.
//!
//! Needs the `dlrn` binary next to xtask's (`cargo test --workspace` builds
//! it; `cargo build -p dlrn` otherwise).

use std::path::Path;
use std::process::Command;

mod common;
use common::study::{dlrn_bin, run_paper, tiny_config_with};
use common::{files, num, read_csv};

/// The variables the schema drops: (column, label).
const DROPPED: [(&str, &str); 2] = [("nuclear_grade", "Nuclear grade"), ("bmi", "BMI")];

/// The added variable, declared as a user would.
const LVI: &str = r#"
[[variable]]
name = "lvi"
label = "Lymphovascular invasion"
kind = "binary"
levels = ["absent", "present"]
positive = "present"
"#;

const LVI_LABEL: &str = "Lymphovascular invasion";

/// SplitMix64 (Steele, Lea & Flood 2014): a seeded stream for the LVI draws.
struct SplitMix(u64);

impl SplitMix {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Rewrites `<cohort>/clinical.csv` without the dropped columns and with
/// `lvi` drawn from ALN status, and writes the schema beside it. Returns the
/// (ALN+, LVI present) counts as a 2×2 table `[[-/absent, -/present], [+/absent, +/present]]`.
fn customise(cohort: &Path, schema: &str, seed: u64) -> [[usize; 2]; 2] {
    let path = cohort.join("clinical.csv");
    let text = std::fs::read_to_string(&path).expect("clinical.csv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    let keep: Vec<usize> = (0..header.len())
        .filter(|&i| !DROPPED.iter().any(|(c, _)| *c == header[i]))
        .collect();
    assert_eq!(keep.len(), header.len() - 2, "{header:?}");
    let label = header
        .iter()
        .position(|h| *h == "ALN_status")
        .expect("an ALN_status column");
    let mut rng = SplitMix(seed);
    let mut counts = [[0usize; 2]; 2];
    let mut out: Vec<String> = vec![
        keep.iter()
            .map(|&i| header[i])
            .chain(["lvi"])
            .collect::<Vec<_>>()
            .join(","),
    ];
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let positive = cells[label] == "1";
        let present = rng.uniform() < if positive { 0.8 } else { 0.2 };
        counts[positive as usize][present as usize] += 1;
        let lvi = if present { "present" } else { "absent" };
        out.push(
            keep.iter()
                .map(|&i| cells[i])
                .chain([lvi])
                .collect::<Vec<_>>()
                .join(","),
        );
    }
    std::fs::write(&path, out.join("\n") + "\n").expect("writing clinical.csv");
    std::fs::write(cohort.join("schema.toml"), schema).expect("writing schema.toml");
    counts
}

/// The paper's schema without the dropped variables, plus LVI, as TOML.
fn custom_schema() -> String {
    let mut schema = dlrn_study::ClinicalSchema::paper();
    schema
        .variables
        .retain(|v| !DROPPED.iter().any(|(c, _)| *c == v.name));
    assert_eq!(schema.variables.len(), 11);
    let text = dlrn_study::schema::schema_to_toml(&schema).expect("the schema as TOML");
    text + LVI
}

/// Runs `dlrn` with `args`; returns (exit code, stderr).
fn dlrn(args: &[&std::ffi::OsStr]) -> (Option<i32>, String) {
    let output = Command::new(dlrn_bin())
        .args(args)
        .output()
        .expect("running dlrn");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn schema_adding_lvi_and_dropping_two_runs_the_study() {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let config = tiny_config_with(
        tmp.path(),
        &["age", "birads", "lvi", "us_aln"],
        &[
            // The cohorts are made (and edited) here, not by the study.
            ("simulated", "simulated = false"),
            ("screen_p", "screen_p = 0.05"),
            ("keep_p", "keep_p = 0.05"),
        ],
    );
    let sim = tmp.path().join("sim");
    // configs/quick.toml's seed, the tiny study's scale and parameters.
    let (code, err) = dlrn(&[
        "simulate".as_ref(),
        "--out".as_ref(),
        sim.as_os_str(),
        "--seed".as_ref(),
        "2024".as_ref(),
        "--scale".as_ref(),
        "0.1".as_ref(),
        "--params".as_ref(),
        tmp.path().join("params.json").as_os_str(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    let schema = custom_schema();
    let mut tc = [[0; 2]; 2];
    for (i, cohort) in ["TC", "EVC1", "EVC2", "EVC3"].iter().enumerate() {
        let counts = customise(&sim.join(cohort), &schema, 7 + i as u64);
        if i == 0 {
            tc = counts;
        }
    }
    // The draws carry the signal the screen needs (odds ratio well above 1).
    let odds_ratio = (tc[1][1] * tc[0][0]) as f64 / (tc[1][0] * tc[0][1]).max(1) as f64;
    assert!(odds_ratio > 4.0, "TC lvi × ALN table {tc:?}");

    let out = tmp.path().join("report");
    let log = run_paper(&config, &out);
    assert!(
        log.contains("screen lvi"),
        "the screen did not see lvi:\n{log}"
    );

    // The schema the study used: LVI in, the dropped two out.
    let used = std::fs::read_to_string(out.join("schema.toml")).expect("schema.toml");
    assert!(used.contains("name = \"lvi\""), "{used}");

    // Table 3 (the fitted clinical model) and the screen name LVI.
    let (_, t3) = read_csv(&out.join("table3.csv"));
    let factors: Vec<&str> = t3.iter().map(|r| r["factor"].as_str()).collect();
    assert!(
        factors.contains(&LVI_LABEL),
        "the clinical model lost LVI: {factors:?}\n{log}"
    );
    let lvi = t3
        .iter()
        .find(|r| r["factor"] == LVI_LABEL)
        .expect("an LVI row");
    assert!(
        num(lvi, "coefficient") > 0.0,
        "present goes with ALN+ by construction: {lvi:?}"
    );
    let (_, screen) = read_csv(&out.join("supp_univariate.csv"));
    let vars: Vec<&str> = screen.iter().map(|r| r["variable"].as_str()).collect();
    assert_eq!(vars, ["Age", "BI-RADS", LVI_LABEL, "US-ALN"]);
    // One binary predictor is a saturated model of the 2×2 table: its maximum
    // likelihood odds ratio is the cross-product ratio of the counts drawn
    // above, and its Wald interval exp(log OR ± z √(1/a + 1/b + 1/c + 1/d))
    // (hand derivation; z = qnorm(0.975)).
    let row = screen
        .iter()
        .find(|r| r["variable"] == LVI_LABEL)
        .expect("a screen row for LVI");
    let [[a, b], [c, d]] = tc.map(|r| r.map(|n| n as f64));
    let or = a * d / (b * c);
    let half = 1.959_963_984_540_054 * (1.0 / a + 1.0 / b + 1.0 / c + 1.0 / d).sqrt();
    for (column, want) in [
        ("odds_ratio", or),
        ("or_ci_low", (or.ln() - half).exp()),
        ("or_ci_high", (or.ln() + half).exp()),
    ] {
        let got = num(row, column);
        assert!(
            (got - want).abs() <= 1e-8 * want,
            "screen {column}: {got} vs the 2×2 table's {want} ({tc:?})"
        );
    }
    assert_eq!(num(row, "passed"), 1.0, "the screen kept LVI: {row:?}");

    // Every table, figure, page and bundle file: LVI where it belongs, the
    // dropped variables nowhere (index.html quotes the config, whose
    // comments speak of nuclear grade in lower case: labels and column
    // names are matched exactly).
    let all = files(&out);
    for (path, bytes) in &all {
        let name = path.to_string_lossy();
        if name.starts_with("work") {
            continue;
        }
        let Ok(text) = std::str::from_utf8(bytes) else {
            continue;
        };
        for (column, label) in DROPPED {
            assert!(
                !text.contains(label) && !text.contains(&format!("\"{column}\"")),
                "{name} mentions the dropped {column}"
            );
            assert!(
                !text.contains(&format!("{column},")) && !text.contains(&format!(",{column}")),
                "{name} mentions the dropped {column}"
            );
        }
    }
    for name in [
        "table1.csv",
        "table3.csv",
        "nomogram.svg",
        "calculator.html",
        "index.html",
    ] {
        let text = std::fs::read_to_string(out.join(name)).expect(name);
        assert!(text.contains(LVI_LABEL), "{name} does not mention LVI");
    }
    let table1 = std::fs::read_to_string(out.join("table1.csv")).expect("table1.csv");
    assert!(
        table1.contains("present") && table1.contains("absent"),
        "Table 1 lacks LVI's levels"
    );
    let bundle: String = all
        .iter()
        .filter(|(p, _)| p.starts_with("model"))
        .filter_map(|(_, b)| std::str::from_utf8(b).ok())
        .collect();
    assert!(
        bundle.contains("\"lvi\"") && bundle.contains(LVI_LABEL),
        "the model bundle does not declare lvi"
    );

    // `dlrn predict` on a cohort with the new columns: the study's own
    // probabilities for EVC1, to 1e-12.
    let csv_out = tmp.path().join("predict_EVC1.csv");
    let model = out.join("model");
    let (code, err) = dlrn(&[
        "predict".as_ref(),
        "--model".as_ref(),
        model.as_os_str(),
        "--cohort".as_ref(),
        sim.join("EVC1").as_os_str(),
        "--out".as_ref(),
        csv_out.as_os_str(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    let got: Vec<std::collections::BTreeMap<String, String>> = csv::Reader::from_path(&csv_out)
        .expect("predictions")
        .deserialize()
        .collect::<Result<_, _>>()
        .expect("prediction rows");
    let (_, preds) = read_csv(&out.join("predictions.csv"));
    let want: Vec<_> = preds.iter().filter(|r| r["cohort"] == "EVC1").collect();
    assert_eq!(got.len(), want.len());
    let columns: Vec<&String> = got[0].keys().collect();
    assert!(
        got[0].contains_key("points_lvi")
            && !columns
                .iter()
                .any(|c| DROPPED.iter().any(|(d, _)| c.contains(d))),
        "nomogram points columns: {columns:?}"
    );
    for w in want {
        let g = got
            .iter()
            .find(|g| g["id"] == w["id"])
            .unwrap_or_else(|| panic!("EVC1 {} not predicted", w["id"]));
        for k in ["p_clinical", "p_dlrn"] {
            let (a, b) = (num(g, k), num(w, k));
            assert!((a - b).abs() <= 1e-12, "EVC1 {} {k}: {a} vs {b}", w["id"]);
        }
    }

    // The same cohort without the lvi column: refused, naming it.
    let bare = tmp.path().join("EVC1_without_lvi");
    copy_dir(&sim.join("EVC1"), &bare);
    let clinical = std::fs::read_to_string(bare.join("clinical.csv")).expect("clinical.csv");
    let stripped: String = clinical
        .lines()
        .map(|l| l.rsplit_once(',').map_or(l, |(head, _)| head).to_string() + "\n")
        .collect();
    std::fs::write(bare.join("clinical.csv"), stripped).expect("writing clinical.csv");
    let (code, err) = dlrn(&[
        "predict".as_ref(),
        "--model".as_ref(),
        model.as_os_str(),
        "--cohort".as_ref(),
        bare.as_os_str(),
        "--out".as_ref(),
        tmp.path().join("predict_bare.csv").as_os_str(),
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("lvi"), "the error does not name lvi: {err}");

    // A candidate the schema dropped is a config error naming it and the
    // schema (the feature stages are cached, so this is quick).
    let text = std::fs::read_to_string(&config).expect("the config");
    let bad = tmp.path().join("dropped_candidate.toml");
    std::fs::write(
        &bad,
        text.replace(r#""lvi", "us_aln"]"#, r#""lvi", "nuclear_grade"]"#),
    )
    .expect("writing the config");
    let output = common::study::paper_command(&bad, &out)
        .output()
        .expect("running xtask");
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("clinical.candidates: \"nuclear_grade\" is not declared")
            && err.contains("schema.toml"),
        "{err}"
    );
}

/// Copies a folder tree.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("creating the copy");
    for e in std::fs::read_dir(from).expect("listing the cohort") {
        let p = e.expect("an entry").path();
        let dest = to.join(p.file_name().expect("a name"));
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).expect("copying a file");
        }
    }
}
