//! End-to-end tests of `dlrn validate` (and `dlrn simulate` feeding it): every
//! bad input of the cohort contract gives its own message, exit status 2 and
//! no panic.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use image::{GrayImage, Luma};

fn dlrn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dlrn"))
        .args(args)
        .output()
        .expect("running dlrn")
}

const HEADER: &str = "id,ALN_status,age,bmi,birads,location,nuclear_grade,tumour_type,er,pr,her2,ki67,subtype,us_aln,us_size_cm";

fn row(id: &str) -> String {
    format!("{id},1,54,24.3,4B,UOQ,2,invasive_nst,pos,pos,neg,pos,luminal_b,suspicious,2.1")
}

/// A valid 3-patient cohort: 40×30 images with a 10×8 lesion.
fn cohort(dir: &Path) -> PathBuf {
    let c = dir.join("C");
    std::fs::create_dir_all(c.join("images")).unwrap();
    std::fs::create_dir_all(c.join("masks")).unwrap();
    let mut csv = format!("{HEADER}\n");
    for id in ["P1", "P2", "P3"] {
        csv.push_str(&row(id));
        csv.push('\n');
        GrayImage::from_fn(40, 30, |x, y| Luma([((x * 5 + y * 3) % 256) as u8]))
            .save(c.join("images").join(format!("{id}.png")))
            .unwrap();
        mask(10, 8)
            .save(c.join("masks").join(format!("{id}.png")))
            .unwrap();
    }
    std::fs::write(c.join("clinical.csv"), csv).unwrap();
    c
}

fn mask(w: u32, h: u32) -> GrayImage {
    GrayImage::from_fn(40, 30, |x, y| {
        Luma([if (10..10 + w).contains(&x) && (5..5 + h).contains(&y) {
            255
        } else {
            0
        }])
    })
}

/// Runs validate, expecting failure, and returns stderr.
fn fails(c: &Path) -> String {
    let out = dlrn(&["validate", c.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(
        out.status.code(),
        Some(2),
        "expected exit 2; stderr:\n{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    err
}

fn set_clinical_row(c: &Path, i: usize, new: &str) {
    let p = c.join("clinical.csv");
    let text = std::fs::read_to_string(&p).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[i] = new.to_string();
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
}

#[test]
fn valid_cohort_summary_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let c = cohort(dir.path());
    let out = dlrn(&["validate", c.to_str().unwrap(), "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["n"], 3);
    assert_eq!(v["summary"]["positives"], 3);
    assert_eq!(v["summary"]["categorical"]["birads"]["4B"], 3);
    assert_eq!(v["problems"].as_array().unwrap().len(), 0);
}

#[test]
fn missing_image() {
    let dir = tempfile::tempdir().unwrap();
    let c = cohort(dir.path());
    std::fs::remove_file(c.join("images/P2.png")).unwrap();
    let err = fails(&c);
    assert!(
        err.contains("row 2, column `id`: no image for id \"P2\""),
        "{err}"
    );
    assert!(err.contains("mask \"P2\" has no image"), "{err}");
}

#[test]
fn extra_image() {
    let dir = tempfile::tempdir().unwrap();
    let c = cohort(dir.path());
    std::fs::copy(c.join("images/P1.png"), c.join("images/P9.png")).unwrap();
    std::fs::copy(c.join("masks/P1.png"), c.join("masks/P9.png")).unwrap();
    let err = fails(&c);
    assert!(
        err.contains("image \"P9\" has no row in clinical.csv"),
        "{err}"
    );
}

#[test]
fn image_mask_size_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let c = cohort(dir.path());
    GrayImage::from_pixel(20, 30, Luma([255]))
        .save(c.join("masks/P3.png"))
        .unwrap();
    let err = fails(&c);
    assert!(
        err.contains("P3.png: mask is 20×30 but its image is 40×30"),
        "{err}"
    );
}

#[test]
fn empty_mask() {
    let dir = tempfile::tempdir().unwrap();
    let c = cohort(dir.path());
    GrayImage::from_pixel(40, 30, Luma([0]))
        .save(c.join("masks/P1.png"))
        .unwrap();
    assert!(fails(&c).contains("P1.png: mask is empty"));
}

#[test]
fn mask_covering_the_frame() {
    let dir = tempfile::tempdir().unwrap();
    let c = cohort(dir.path());
    GrayImage::from_pixel(40, 30, Luma([255]))
        .save(c.join("masks/P1.png"))
        .unwrap();
    assert!(fails(&c).contains("P1.png: mask covers the whole frame"));
}

#[test]
fn truncated_png() {
    let dir = tempfile::tempdir().unwrap();
    let c = cohort(dir.path());
    let p = c.join("images/P2.png");
    let bytes = std::fs::read(&p).unwrap();
    std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
    let err = fails(&c);
    assert!(err.contains("P2.png: cannot decode image"), "{err}");
}

#[test]
fn label_two() {
    let dir = tempfile::tempdir().unwrap();
    let c = cohort(dir.path());
    set_clinical_row(&c, 1, &row("P1").replacen(",1,", ",2,", 1));
    let err = fails(&c);
    assert!(err.contains("clinical.csv: row 1, column `ALN_status`: \"2\" is not a label (expected 0 or 1, or empty)"), "{err}");
}

#[test]
fn unknown_category() {
    let dir = tempfile::tempdir().unwrap();
    let c = cohort(dir.path());
    set_clinical_row(&c, 2, &row("P2").replace("4B", "4D"));
    let err = fails(&c);
    assert!(
        err.contains("row 2, column `birads`: \"4D\" is not one of 4A|4B|4C|5"),
        "{err}"
    );
}

#[test]
fn duplicate_id() {
    let dir = tempfile::tempdir().unwrap();
    let c = cohort(dir.path());
    set_clinical_row(&c, 3, &row("P1"));
    let err = fails(&c);
    assert!(
        err.contains("row 3, column `id`: duplicate id \"P1\" (first in row 1)"),
        "{err}"
    );
}

#[test]
fn non_numeric_age() {
    let dir = tempfile::tempdir().unwrap();
    let c = cohort(dir.path());
    set_clinical_row(&c, 1, &row("P1").replace(",54,", ",fifty,"));
    let err = fails(&c);
    assert!(
        err.contains("row 1, column `age`: \"fifty\" is not a number"),
        "{err}"
    );
}

#[test]
fn missing_column() {
    let dir = tempfile::tempdir().unwrap();
    let c = cohort(dir.path());
    let p = c.join("clinical.csv");
    let text = std::fs::read_to_string(&p).unwrap();
    let dropped: Vec<String> = text
        .lines()
        .map(|l| l.rsplit_once(',').unwrap().0.to_string())
        .collect();
    std::fs::write(&p, dropped.join("\n") + "\n").unwrap();
    let err = fails(&c);
    assert!(
        err.contains("clinical.csv, column `us_size_cm`: missing column"),
        "{err}"
    );
}

#[test]
fn simulate_then_validate() {
    let dir = tempfile::tempdir().unwrap();
    let sim = dir.path().join("sim");
    let out = dlrn(&[
        "simulate",
        "--out",
        sim.to_str().unwrap(),
        "--seed",
        "3",
        "--scale",
        "0.1",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Scale 0.1 of the paper's TC (621 patients, 215 ALN+): round(62.1) = 62, round(21.5) = 22.
    let out = dlrn(&["validate", sim.join("TC").to_str().unwrap(), "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["n"], 62);
    assert_eq!(v["summary"]["positives"], 22);
    for c in ["EVC1", "EVC2", "EVC3"] {
        let out = dlrn(&["validate", sim.join(c).to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{c}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn readers_csv_is_checked_against_clinical_ids() {
    let dir = tempfile::tempdir().unwrap();
    let c = cohort(dir.path());
    let good = "id,reader,aln_call,birads,us_aln\nP1,A,1,4B,suspicious\nP2,A,0,4A,non-suspicious\nP3,A,1,5,suspicious\n";
    std::fs::write(c.join("readers.csv"), good).unwrap();
    let out = dlrn(&["validate", c.to_str().unwrap(), "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["readers"], serde_json::json!([1, 3]));
    std::fs::write(c.join("readers.csv"), good.replace("P3,A", "P9,A")).unwrap();
    let err = fails(&c);
    assert!(
        err.contains("readers.csv") && err.contains("\"P9\" is not an id of clinical.csv"),
        "{err}"
    );
}

/// A schema declaring a variable the paper did not use (LVI) and leaving out
/// two it did (BMI, Ki-67): validate checks clinical.csv against it, counts
/// the new variable's levels, and names a level it does not declare.
#[test]
fn schema_toml_declares_the_clinical_variables() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    let csv = "id,ALN_status,age,birads,lvi\nP1,1,54,4B,yes\nP2,0,61,4A,no\nP3,1,47,5,no\n";
    std::fs::write(c.join("clinical.csv"), csv).unwrap();
    // Without a schema the paper's 13 columns are required.
    let err = fails(&c);
    assert!(err.contains("bmi"), "{err}");

    std::fs::write(
        c.join("schema.toml"),
        r#"
[[variable]]
name = "age"
label = "Age"
kind = "numeric"
range = [18, 100]

[[variable]]
name = "birads"
label = "BI-RADS"
kind = "ordinal"
levels = ["4A", "4B", "4C", "5"]

[[variable]]
name = "lvi"
label = "Lymphovascular invasion"
kind = "binary"
levels = ["no", "yes"]
positive = "yes"
"#,
    )
    .unwrap();
    let out = dlrn(&["validate", c.to_str().unwrap(), "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &v["summary"];
    assert_eq!(s["positives"], 2);
    assert_eq!(s["categorical"]["lvi"]["yes"], 1);
    assert_eq!(s["categorical"]["lvi"]["no"], 2);
    assert_eq!(s["numeric"]["age"]["n"], 3);
    assert!(s["categorical"].get("ki67").is_none(), "{s}");

    // A level the schema does not declare: row and column named.
    set_clinical_row(&c, 3, "P3,1,47,5,maybe");
    let err = fails(&c);
    assert!(
        err.contains("row 3") && err.contains("lvi") && err.contains("maybe"),
        "{err}"
    );

    // --schema names another file explicitly.
    let elsewhere = t.path().join("other.toml");
    std::fs::rename(c.join("schema.toml"), &elsewhere).unwrap();
    set_clinical_row(&c, 3, "P3,1,47,5,no");
    let out = dlrn(&[
        "validate",
        c.to_str().unwrap(),
        "--schema",
        elsewhere.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
