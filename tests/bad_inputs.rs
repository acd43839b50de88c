//! The bad-input corpus: one `case_*` test per bad (or awkward) input, over
//! every stage of the `dlrn` binary — images, masks, DICOM/ImageJ ROI/NIfTI,
//! clinical tables, feature tables for lasso/score/evaluate/compare/logistic/
//! icc, weights files, model bundles and contradictory arguments.
//!
//! Each failing case asserts exit status 2 (never 101, a panic), a message
//! naming the file, row, column or key and what is wrong, and no output file
//! left behind. Cases that are right to succeed (a BOM, CRLF line ends, an
//! extra column) assert success and the values read instead. Inputs are
//! written by the test into a temporary folder (binary content is easier to
//! make in code); the DICOM/ROI/NIfTI cases start from the pydicom, roifile
//! and nibabel files of crates/cohort/tests/fixtures/formats.
//!
//! `grep -n "^fn case_" tests/bad_inputs.rs` lists the corpus.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use image::{GrayImage, ImageBuffer, Luma, Rgba, RgbaImage};

fn dlrn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dlrn"))
        .args(args)
        .output()
        .expect("running dlrn")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `dlrn args`, which must fail cleanly: exit status 2, every needle in
/// stderr, no panic, and none of `outputs` on disk afterwards.
#[track_caller]
fn fails(args: &[&str], needles: &[&str], outputs: &[&Path]) -> String {
    let out = dlrn(args);
    let err = stderr(&out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "dlrn {}: expected exit 2\n{err}",
        args.join(" ")
    );
    assert!(!err.contains("panicked"), "{err}");
    for n in needles {
        assert!(err.contains(n), "stderr lacks {n:?}:\n{err}");
    }
    for p in outputs {
        assert!(!p.exists(), "{} left behind after a failure", p.display());
    }
    err
}

/// Runs `dlrn args`, which must succeed; returns stdout.
#[track_caller]
fn succeeds(args: &[&str]) -> String {
    let out = dlrn(args);
    assert!(
        out.status.success(),
        "dlrn {}:\n{}",
        args.join(" "),
        stderr(&out)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

// ---------------------------------------------------------------- cohorts

const HEADER: &str = "id,ALN_status,age,bmi,birads,location,nuclear_grade,tumour_type,er,pr,her2,ki67,subtype,us_aln,us_size_cm";

fn row(id: &str) -> String {
    format!("{id},1,54,24.3,4B,UOQ,2,invasive_nst,pos,pos,neg,pos,luminal_b,suspicious,2.1")
}

const W: u32 = 40;
const H: u32 = 30;

fn grey() -> GrayImage {
    GrayImage::from_fn(W, H, |x, y| Luma([((x * 5 + y * 3) % 256) as u8]))
}

/// A 0/255 mask of the frame with the rectangle `x0..x1 × y0..y1` set.
fn rect(w: u32, h: u32, x0: u32, x1: u32, y0: u32, y1: u32) -> GrayImage {
    GrayImage::from_fn(w, h, |x, y| {
        Luma([if (x0..x1).contains(&x) && (y0..y1).contains(&y) {
            255
        } else {
            0
        }])
    })
}

fn lesion() -> GrayImage {
    rect(W, H, 10, 20, 5, 13)
}

/// A valid 3-patient cohort (P1..P3): 40×30 PNG images with a 10×8 lesion.
fn cohort(dir: &Path) -> PathBuf {
    let c = dir.join("C");
    std::fs::create_dir_all(c.join("images")).unwrap();
    std::fs::create_dir_all(c.join("masks")).unwrap();
    let mut csv = format!("{HEADER}\n");
    for id in ["P1", "P2", "P3"] {
        csv.push_str(&row(id));
        csv.push('\n');
        grey()
            .save(c.join("images").join(format!("{id}.png")))
            .unwrap();
        lesion()
            .save(c.join("masks").join(format!("{id}.png")))
            .unwrap();
    }
    std::fs::write(c.join("clinical.csv"), csv).unwrap();
    c
}

fn validate_fails(c: &Path, needles: &[&str]) -> String {
    fails(&["validate", s(c)], needles, &[])
}

fn validate_json(c: &Path) -> serde_json::Value {
    let out = succeeds(&["validate", s(c), "--json"]);
    serde_json::from_str(&out).expect("--json prints one JSON value")
}

/// `extract handcrafted --strict` on a bad cohort: exit 2 and the needles.
/// The good rows are left in --out by design (so a rerun resumes), but the
/// bad patient `bad` must have no row there. (Without `--strict` a bad image
/// is skipped and named on stderr: see [`case_image_truncated_png`]; that a
/// failed strict run leaves a table at the final path is a finding, see
/// [`case_strict_failure_leaves_no_table`].)
fn extract_fails(c: &Path, bad: &str, needles: &[&str]) {
    let out = c.parent().unwrap().join("hc.csv");
    fails(
        &[
            "extract",
            "handcrafted",
            "--cohort",
            s(c),
            "--out",
            s(&out),
            "--strict",
        ],
        needles,
        &[],
    );
    if let Ok(table) = std::fs::read_to_string(&out) {
        assert!(
            !table.lines().any(|l| l.starts_with(&format!("{bad},"))),
            "{bad} has a row in {}",
            out.display()
        );
    }
}

/// Finding (src/cli/extract.rs `finish`, and extract_handcrafted.rs writing
/// every chunk to --out itself): a `--strict` run that fails exits 2 but
/// leaves `--out` holding the rows that succeeded, at the final path, where
/// it looks like a finished table. It should stay under a temporary name
/// until the run succeeds.
#[test]
fn case_strict_failure_leaves_no_table() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    GrayImage::new(W, H).save(c.join("masks/P1.png")).unwrap();
    let out = t.path().join("hc.csv");
    fails(
        &[
            "extract",
            "handcrafted",
            "--cohort",
            s(&c),
            "--out",
            s(&out),
            "--strict",
        ],
        &["P1.png"],
        &[&out],
    );
}

fn set_clinical(c: &Path, text: &str) {
    std::fs::write(c.join("clinical.csv"), text).unwrap();
}

fn clinical_with(rows: &[String]) -> String {
    let mut t = format!("{HEADER}\n");
    for r in rows {
        t.push_str(r);
        t.push('\n');
    }
    t
}

fn three_rows() -> Vec<String> {
    ["P1", "P2", "P3"].iter().map(|i| row(i)).collect()
}

// ---------------------------------------------------------------- images

#[test]
fn case_image_truncated_png() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    let p = c.join("images/P2.png");
    let bytes = std::fs::read(&p).unwrap();
    std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
    validate_fails(&c, &["P2.png: cannot decode image"]);
    extract_fails(&c, "P2", &["P2.png"]);
    // With --keep-going: the two good rows accepted, and the bad image named.
    let out = t.path().join("partial.csv");
    let o = dlrn(&[
        "extract",
        "handcrafted",
        "--cohort",
        s(&c),
        "--out",
        s(&out),
        "--keep-going",
    ]);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("1 image(s) could not be processed")
            && err.contains("P2.png: cannot decode image"),
        "{err}"
    );
    let table = std::fs::read_to_string(&out).unwrap();
    let ids: Vec<&str> = table
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(ids, ["P1", "P3"]);
}

#[test]
fn case_image_zero_bytes() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    std::fs::write(c.join("images/P1.png"), b"").unwrap();
    validate_fails(&c, &["P1.png"]);
    extract_fails(&c, "P1", &["P1.png"]);
}

#[test]
fn case_image_text_named_png() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    std::fs::write(c.join("images/P3.png"), b"id,age\nP3,54\n").unwrap();
    validate_fails(&c, &["P3.png: cannot decode image"]);
}

#[test]
fn case_image_png_bytes_named_jpg() {
    // The content decides: a PNG saved as .jpg is read as the PNG it is.
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    std::fs::rename(c.join("images/P1.png"), c.join("images/P1.jpg")).unwrap();
    let v = validate_json(&c);
    assert_eq!(v["summary"]["n"], 3);
}

#[test]
fn case_image_unknown_extension() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    std::fs::rename(c.join("images/P1.png"), c.join("images/P1.xyz")).unwrap();
    validate_fails(&c, &["P1"]);
}

#[test]
fn case_image_one_pixel() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    GrayImage::from_pixel(1, 1, Luma([7]))
        .save(c.join("images/P1.png"))
        .unwrap();
    GrayImage::from_pixel(1, 1, Luma([255]))
        .save(c.join("masks/P1.png"))
        .unwrap();
    validate_fails(&c, &["P1.png"]);
    extract_fails(&c, "P1", &["P1.png"]);
}

#[test]
fn case_image_16_bit_png() {
    // 16-bit grey is mapped to 8 bits (min-max) and said so in the summary.
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    let img: ImageBuffer<Luma<u16>, Vec<u16>> =
        ImageBuffer::from_fn(W, H, |x, y| Luma([(x * 1000 + y * 37) as u16]));
    img.save(c.join("images/P2.png")).unwrap();
    let v = validate_json(&c);
    assert_eq!(v["summary"]["n"], 3);
    let mappings = v["summary"]["grey_mappings"].to_string();
    assert!(mappings.contains("min-max"), "{mappings}");
}

#[test]
fn case_image_rgba_png() {
    // An RGBA ultrasound screenshot (grey in colour channels, opaque alpha) is read as grey.
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    let g = grey();
    RgbaImage::from_fn(W, H, |x, y| {
        let v = g.get_pixel(x, y)[0];
        Rgba([v, v, v, 255])
    })
    .save(c.join("images/P3.png"))
    .unwrap();
    let v = validate_json(&c);
    assert_eq!(v["summary"]["n"], 3);
}

/// A PNG whose IHDR claims `w × h` but which holds almost no data.
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit grey, deflate, no interlace
    chunk(&mut out, b"IHDR", &ihdr);
    // A zlib stream of a few empty stored blocks' worth of nothing.
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x01, 0x01, 0x00, 0x00, 0xff, 0xff, 0, 0, 0, 1],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

/// CRC-32 (ISO 3309, as PNG uses), bit by bit.
fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xffff_ffffu32;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 == 1 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

#[test]
fn case_image_huge_dimensions_claimed() {
    // 60000×60000 claimed in a 60-byte file: an error, not a 3.6 GB allocation.
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    std::fs::write(c.join("images/P2.png"), png_claiming(60_000, 60_000)).unwrap();
    validate_fails(&c, &["P2.png"]);
    extract_fails(&c, "P2", &["P2.png"]);
}

/// `extract handcrafted` (no flag) on a cohort where P2 is bad, as `spoil`
/// makes it: exit status 3 (partial), no table at --out, the good rows kept
/// in the partial table, `<out>.failures.csv` naming P2, its file and why;
/// after the input is repaired a rerun resumes the good rows and completes.
fn extract_partial(spoil: impl Fn(&Path), file: &str, reason: &str) {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    let good = std::fs::read(c.join(file)).unwrap();
    spoil(&c);
    let out = t.path().join("hc.csv");
    let args = [
        "extract",
        "handcrafted",
        "--cohort",
        s(&c),
        "--out",
        s(&out),
    ];
    let o = dlrn(&args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains("1 case(s) failed") && err.contains(reason),
        "{err}"
    );
    assert!(!out.exists(), "a partial run left a table at --out");
    let partial = std::fs::read_to_string(t.path().join("hc.partial.csv")).unwrap();
    let ids: Vec<&str> = partial
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(ids, ["P1", "P3"]);
    let failures = std::fs::read_to_string(t.path().join("hc.csv.failures.csv")).unwrap();
    let lines: Vec<&str> = failures.lines().collect();
    assert_eq!(lines.len(), 2, "{failures}");
    assert_eq!(lines[0], "id,file,reason");
    let expected_file = c.join(file);
    assert!(
        lines[1].starts_with(&format!("P2,{},", expected_file.display()))
            && lines[1].contains(reason),
        "{failures}"
    );
    // Repaired: the rerun reuses P1 and P3 and computes P2 only.
    std::fs::write(c.join(file), good).unwrap();
    let o = dlrn(&args);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    let table = std::fs::read_to_string(&out).unwrap();
    assert_eq!(table.lines().count(), 4, "{table}");
    assert!(!t.path().join("hc.partial.csv").exists());
    assert!(!t.path().join("hc.csv.failures.csv").exists());
}

#[test]
fn case_partial_truncated_image() {
    extract_partial(
        |c| {
            let p = c.join("images/P2.png");
            let bytes = std::fs::read(&p).unwrap();
            std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
        },
        "images/P2.png",
        "cannot decode image",
    );
}

#[test]
fn case_partial_zero_byte_image() {
    extract_partial(
        |c| std::fs::write(c.join("images/P2.png"), b"").unwrap(),
        "images/P2.png",
        "P2.png",
    );
}

#[test]
fn case_partial_empty_mask() {
    extract_partial(
        |c| GrayImage::new(W, H).save(c.join("masks/P2.png")).unwrap(),
        "masks/P2.png",
        "mask has no lesion region",
    );
}

/// `--keep-going` accepts the table without the failed case: exit 0, the
/// two good rows at --out, the failure still listed beside it.
#[test]
fn case_partial_keep_going() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    std::fs::write(c.join("images/P2.png"), b"").unwrap();
    let out = t.path().join("hc.csv");
    succeeds(&[
        "extract",
        "handcrafted",
        "--cohort",
        s(&c),
        "--out",
        s(&out),
        "--keep-going",
    ]);
    let table = std::fs::read_to_string(&out).unwrap();
    let ids: Vec<&str> = table
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(ids, ["P1", "P3"]);
    let failures = std::fs::read_to_string(t.path().join("hc.csv.failures.csv")).unwrap();
    assert!(failures.starts_with("id,file,reason\nP2,"), "{failures}");
    assert!(!t.path().join("hc.partial.csv").exists());
}

/// `extract deep` on a cohort with a zero-byte image: the other cases are
/// computed, the run is partial (exit 3), and the failure is listed.
#[test]
fn case_partial_deep() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    std::fs::write(c.join("images/P3.png"), b"").unwrap();
    let out = t.path().join("deep.csv");
    let o = dlrn(&["extract", "deep", "--cohort", s(&c), "--out", s(&out)]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(!out.exists());
    let partial = std::fs::read_to_string(t.path().join("deep.partial.csv")).unwrap();
    assert_eq!(partial.lines().count(), 3, "header, P1, P2");
    let failures = std::fs::read_to_string(t.path().join("deep.csv.failures.csv")).unwrap();
    assert!(failures.starts_with("id,file,reason\nP3,"), "{failures}");
}

// ---------------------------------------------------------------- masks

#[test]
fn case_mask_empty() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    GrayImage::new(W, H).save(c.join("masks/P1.png")).unwrap();
    validate_fails(&c, &["P1.png: mask is empty"]);
    extract_fails(&c, "P1", &["P1.png", "mask has no lesion region"]);
}

#[test]
fn case_mask_whole_frame() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    GrayImage::from_pixel(W, H, Luma([255]))
        .save(c.join("masks/P1.png"))
        .unwrap();
    validate_fails(&c, &["P1.png: mask covers the whole frame"]);
}

/// Finding (src/cli/extract_handcrafted.rs / crates/cohort mask loading):
/// `validate` refuses a mask covering the whole frame, but `extract
/// handcrafted --strict` extracts all 3 rows from it with exit 0 (features of
/// the whole image, silently). It should fail as validate does.
#[test]
fn case_mask_whole_frame_extract() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    GrayImage::from_pixel(W, H, Luma([255]))
        .save(c.join("masks/P1.png"))
        .unwrap();
    extract_fails(&c, "P1", &["P1.png", "whole frame"]);
}

#[test]
fn case_mask_multi_valued() {
    // Three labels (0, 100, 200) in equal parts: which one is the lesion is ambiguous.
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    GrayImage::from_fn(W, H, |x, _| Luma([[0u8, 100, 200][(x / 14) as usize]]))
        .save(c.join("masks/P2.png"))
        .unwrap();
    validate_fails(&c, &["P2.png"]);
}

#[test]
fn case_mask_different_size() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    rect(20, 30, 2, 8, 2, 8)
        .save(c.join("masks/P3.png"))
        .unwrap();
    validate_fails(&c, &["P3.png: mask is 20×30 but its image is 40×30"]);
    extract_fails(&c, "P3", &["P3.png", "20×30"]);
}

#[test]
fn case_mask_touching_the_border() {
    // A lesion cut by the frame's edge is still a lesion: accepted.
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    rect(W, H, 0, 12, 0, 9)
        .save(c.join("masks/P1.png"))
        .unwrap();
    let v = validate_json(&c);
    assert_eq!(v["summary"]["n"], 3);
}

#[test]
fn case_mask_several_regions() {
    // Two separate lesion outlines in one mask: one ROI of two parts, as
    // BUSAT's region features take every mask pixel.
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    GrayImage::from_fn(W, H, |x, y| {
        let a = (3..9).contains(&x) && (3..9).contains(&y);
        let b = (25..35).contains(&x) && (15..25).contains(&y);
        Luma([if a || b { 255 } else { 0 }])
    })
    .save(c.join("masks/P2.png"))
    .unwrap();
    let v = validate_json(&c);
    assert_eq!(v["summary"]["n"], 3);
}

#[test]
fn case_mask_missing() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    std::fs::remove_file(c.join("masks/P2.png")).unwrap();
    validate_fails(&c, &["P2"]);
    extract_fails(&c, "P2", &["P2"]);
}

// ------------------------------------------------------ DICOM, ROI, NIfTI

fn formats(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/cohort/tests/fixtures/formats")
        .join(name)
}

/// A one-patient cohort P1 of `image` and `mask` (copied under those names).
fn one(dir: &Path, image: (&Path, &str), mask: (&Path, &str)) -> PathBuf {
    let c = dir.join("F");
    std::fs::create_dir_all(c.join("images")).unwrap();
    std::fs::create_dir_all(c.join("masks")).unwrap();
    std::fs::copy(image.0, c.join("images").join(image.1)).unwrap();
    std::fs::copy(mask.0, c.join("masks").join(mask.1)).unwrap();
    set_clinical(&c, &clinical_with(&[row("P1")]));
    c
}

fn truncate(p: &Path, keep: usize) {
    let b = std::fs::read(p).unwrap();
    std::fs::write(p, &b[..keep.min(b.len())]).unwrap();
}

#[test]
fn case_dicom_truncated() {
    let t = tempfile::tempdir().unwrap();
    let c = one(
        t.path(),
        (&formats("lesion/BUS02_grey.dcm"), "P1.dcm"),
        (&formats("lesion/BUS02.nii.gz"), "P1.nii.gz"),
    );
    let p = c.join("images/P1.dcm");
    let n = std::fs::metadata(&p).unwrap().len() as usize;
    truncate(&p, n / 2);
    validate_fails(&c, &["P1.dcm"]);
    extract_fails(&c, "P1", &["P1.dcm"]);
}

/// Finding (crates/cohort/src/dicom.rs): an RLE Lossless DICOM cut short
/// (BUS02_rle.dcm, 46862 bytes, kept to 26015) panics inside
/// dicom-transfer-syntax-registry 0.10.1 (adapters/rle_lossless.rs:223,
/// index out of bounds): `validate` and `extract handcrafted` exit 101.
/// Found by crates/cohort/tests/fuzz.rs.
#[test]
fn case_dicom_rle_truncated() {
    let t = tempfile::tempdir().unwrap();
    let c = one(
        t.path(),
        (&formats("lesion/BUS02_rle.dcm"), "P1.dcm"),
        (&formats("lesion/BUS02.nii.gz"), "P1.nii.gz"),
    );
    truncate(&c.join("images/P1.dcm"), 26015);
    validate_fails(&c, &["P1.dcm"]);
    extract_fails(&c, "P1", &["P1.dcm"]);
}

#[test]
fn case_dicom_not_dicom() {
    let t = tempfile::tempdir().unwrap();
    let c = one(
        t.path(),
        (&formats("lesion/BUS02_grey.dcm"), "P1.dcm"),
        (&formats("lesion/BUS02.nii.gz"), "P1.nii.gz"),
    );
    std::fs::write(c.join("images/P1.dcm"), [0x42u8; 300]).unwrap();
    validate_fails(&c, &["P1.dcm"]);
}

#[test]
fn case_roi_truncated() {
    let t = tempfile::tempdir().unwrap();
    let c = one(
        t.path(),
        (&formats("lesion/BUS02_grey.dcm"), "P1.dcm"),
        (&formats("lesion/BUS02.roi"), "P1.roi"),
    );
    truncate(&c.join("masks/P1.roi"), 40);
    validate_fails(&c, &["P1.roi"]);
    extract_fails(&c, "P1", &["P1.roi"]);
}

#[test]
fn case_roi_garbage() {
    let t = tempfile::tempdir().unwrap();
    let c = one(
        t.path(),
        (&formats("lesion/BUS02_grey.dcm"), "P1.dcm"),
        (&formats("lesion/BUS02.roi"), "P1.roi"),
    );
    std::fs::write(c.join("masks/P1.roi"), b"Iout this is not an ImageJ ROI").unwrap();
    validate_fails(&c, &["P1.roi"]);
}

#[test]
fn case_nifti_truncated_gz() {
    let t = tempfile::tempdir().unwrap();
    let c = one(
        t.path(),
        (&formats("lesion/BUS02_grey.dcm"), "P1.dcm"),
        (&formats("lesion/BUS02.nii.gz"), "P1.nii.gz"),
    );
    let p = c.join("masks/P1.nii.gz");
    let n = std::fs::metadata(&p).unwrap().len() as usize;
    truncate(&p, n / 2);
    validate_fails(&c, &["P1.nii.gz"]);
    extract_fails(&c, "P1", &["P1.nii.gz"]);
}

#[test]
fn case_nifti_wrong_size() {
    let t = tempfile::tempdir().unwrap();
    let c = one(
        t.path(),
        (&formats("lesion/BUS02_grey.dcm"), "P1.dcm"),
        (&formats("nifti/wrong_size.nii"), "P1.nii"),
    );
    validate_fails(&c, &["P1.nii"]);
}

// ---------------------------------------------------------- clinical tables

#[test]
fn case_clinical_missing_column() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    let text: String = clinical_with(&three_rows())
        .lines()
        .map(|l| l.rsplit_once(',').unwrap().0.to_string() + "\n")
        .collect();
    set_clinical(&c, &text);
    validate_fails(&c, &["clinical.csv, column `us_size_cm`: missing column"]);
}

#[test]
fn case_clinical_extra_column_is_ignored() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    let text: String = clinical_with(&three_rows())
        .lines()
        .enumerate()
        .map(|(i, l)| format!("{l},{}\n", if i == 0 { "notes" } else { "x" }))
        .collect();
    set_clinical(&c, &text);
    let v = validate_json(&c);
    assert_eq!(v["summary"]["n"], 3);
    assert_eq!(v["summary"]["numeric"]["age"]["mean"], 54.0);
}

/// Finding (crates/cohort, clinical reader): a column given twice is read
/// from its first copy and the second silently ignored; it should be an error
/// naming the column.
#[test]
fn case_clinical_duplicated_column() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    let text: String = clinical_with(&three_rows())
        .lines()
        .enumerate()
        .map(|(i, l)| format!("{l},{}\n", if i == 0 { "age" } else { "70" }))
        .collect();
    set_clinical(&c, &text);
    validate_fails(&c, &["column `age`"]);
}

#[test]
fn case_clinical_duplicate_id() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    set_clinical(&c, &clinical_with(&[row("P1"), row("P2"), row("P1")]));
    validate_fails(
        &c,
        &["row 3, column `id`: duplicate id \"P1\" (first in row 1)"],
    );
}

#[test]
fn case_clinical_non_numeric() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    let mut rows = three_rows();
    rows[0] = rows[0].replace(",54,", ",fifty,");
    set_clinical(&c, &clinical_with(&rows));
    validate_fails(&c, &["row 1, column `age`: \"fifty\" is not a number"]);
}

#[test]
fn case_clinical_nan_and_inf() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    let mut rows = three_rows();
    rows[0] = rows[0].replace(",24.3,", ",NaN,");
    rows[2] = rows[2].replace(",24.3,", ",inf,");
    set_clinical(&c, &clinical_with(&rows));
    validate_fails(
        &c,
        &[
            "row 1, column `bmi`: \"NaN\" is not a number",
            "row 3, column `bmi`: \"inf\" is not a number",
        ],
    );
}

#[test]
fn case_clinical_out_of_range() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    let mut rows = three_rows();
    rows[1] = rows[1].replace(",54,", ",430,");
    set_clinical(&c, &clinical_with(&rows));
    validate_fails(
        &c,
        &["row 2, column `age`: \"430\" is outside the plausible range 18–100"],
    );
}

#[test]
fn case_clinical_unknown_level() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    let mut rows = three_rows();
    rows[1] = rows[1].replace("4B", "4D");
    set_clinical(&c, &clinical_with(&rows));
    validate_fails(
        &c,
        &["row 2, column `birads`: \"4D\" is not one of 4A|4B|4C|5"],
    );
}

#[test]
fn case_clinical_label_not_binary() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    let mut rows = three_rows();
    rows[0] = rows[0].replacen(",1,", ",2,", 1);
    set_clinical(&c, &clinical_with(&rows));
    validate_fails(
        &c,
        &["row 1, column `ALN_status`: \"2\" is not a label (expected 0 or 1, or empty)"],
    );
}

#[test]
fn case_clinical_short_row() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    let mut rows = three_rows();
    rows[1] = rows[1].rsplit_once(',').unwrap().0.to_string();
    set_clinical(&c, &clinical_with(&rows));
    validate_fails(&c, &["row 2, column `us_size_cm`: missing value"]);
}

#[test]
fn case_clinical_missing_id() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    let mut rows = three_rows();
    rows[0] = rows[0].replacen("P1", "", 1);
    set_clinical(&c, &clinical_with(&rows));
    validate_fails(&c, &["row 1, column `id`: missing id"]);
}

#[test]
fn case_clinical_bom_is_accepted() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    set_clinical(&c, &format!("\u{feff}{}", clinical_with(&three_rows())));
    let v = validate_json(&c);
    assert_eq!(v["summary"]["n"], 3);
    assert_eq!(v["summary"]["positives"], 3);
    assert_eq!(v["summary"]["numeric"]["age"]["mean"], 54.0);
}

#[test]
fn case_clinical_crlf_is_accepted() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    set_clinical(&c, &clinical_with(&three_rows()).replace('\n', "\r\n"));
    let v = validate_json(&c);
    assert_eq!(v["summary"]["n"], 3);
    // The last column would read "2.1\r" if the CR were kept.
    assert_eq!(v["summary"]["numeric"]["us_size_cm"]["mean"], 2.1);
    assert_eq!(v["summary"]["numeric"]["us_size_cm"]["missing"], 0);
}

#[test]
fn case_clinical_semicolon_separated() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    set_clinical(&c, &clinical_with(&three_rows()).replace(',', ";"));
    validate_fails(&c, &["clinical.csv, column `id`: missing column"]);
}

#[test]
fn case_clinical_empty_file() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    set_clinical(&c, "");
    validate_fails(&c, &["clinical.csv: cannot read table", "empty"]);
}

#[test]
fn case_clinical_not_utf8() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    let mut bytes = clinical_with(&three_rows()).into_bytes();
    let at = bytes.len() - 5;
    bytes[at] = 0xe9; // Latin-1 'é'
    std::fs::write(c.join("clinical.csv"), bytes).unwrap();
    validate_fails(&c, &["clinical.csv", "utf-8"]);
}

/// Finding (crates/cohort/src/table.rs, every CSV read through polars):
/// a file whose last byte is a `"` opening a field after the header —
/// `id,ALN_status,a\nP1,1,0.5\n"` — aborts the process inside polars-io
/// 0.55.2 (csv/read/parser.rs:1154, a failed `get_unchecked` precondition:
/// SIGABRT in dev builds, undefined behaviour in release). Found by
/// crates/cohort/tests/fuzz.rs. It should be exit 2 naming the file.
#[test]
fn case_table_lone_quote_at_end() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("scores.csv");
    std::fs::write(&p, "id,ALN_status,a\nP1,1,0.5\nP2,0,0.1\n\"").unwrap();
    fails(
        &[
            "evaluate",
            "--data",
            s(&p),
            "--score",
            "a",
            "--cutoff",
            "0.5",
        ],
        &["scores.csv"],
        &[],
    );
    let c = cohort(t.path());
    set_clinical(&c, &format!("{}\"", clinical_with(&three_rows())));
    validate_fails(&c, &["clinical.csv"]);
}

/// Finding (crates/cohort/src/table.rs): a quote inside an unquoted field
/// with an even number of quotes in the file — `x"` then a lone `"` — slips
/// past a parity check and reads out of bounds in polars-io 0.55.2 (the same
/// parser.rs:1154 abort). Found by `cargo xtask fuzz` at 1,000 cases. Every
/// CSV is now checked against RFC 4180 quoting first.
#[test]
fn case_table_quote_inside_unquoted_field() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    // Header on line 1, three patients on lines 2–4, the stray quote on 5.
    set_clinical(&c, &format!("{}x\"\n\"", clinical_with(&three_rows())));
    validate_fails(&c, &["clinical.csv", "line 5, field 1", "double quote"]);
}

#[test]
fn case_cohort_not_a_folder() {
    let t = tempfile::tempdir().unwrap();
    let missing = t.path().join("nowhere");
    fails(&["validate", s(&missing)], &["nowhere: not a folder"], &[]);
}

/// A cohort folder whose images/ and masks/ are empty: an error, not an
/// empty table that looks like a result.
#[test]
fn case_cohort_without_images() {
    let t = tempfile::tempdir().unwrap();
    let c = t.path().join("C");
    std::fs::create_dir_all(c.join("images")).unwrap();
    std::fs::create_dir_all(c.join("masks")).unwrap();
    let out = t.path().join("hc.csv");
    fails(
        &[
            "extract",
            "handcrafted",
            "--cohort",
            s(&c),
            "--out",
            s(&out),
        ],
        &["no cases in images/"],
        &[&out],
    );
}

/// A file that cannot be opened: its path and the OS's reason, once (the
/// cause used to be printed twice, quoted by its message and again as the
/// next link of the chain).
#[test]
fn case_io_error_is_printed_once() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("hc.csv");
    let err = fails(
        &[
            "extract",
            "handcrafted",
            "--cohort",
            s(&t.path().join("nowhere")),
            "--out",
            s(&out),
        ],
        &["nowhere/images", "No such file or directory"],
        &[&out],
    );
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
}

// -------------------------------------------------------------- readers.csv

const READERS_HEADER: &str = "id,reader,aln_call,birads,us_aln";

/// `dlrn validate` on the 3-patient cohort with `readers` as readers.csv.
fn validate_readers(readers: &str, needles: &[&str]) {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    std::fs::write(c.join("readers.csv"), readers).unwrap();
    let err = fails(&["validate", s(&c)], needles, &[]);
    assert!(err.contains("readers.csv"), "{err}");
}

#[test]
fn case_readers_unknown_id() {
    validate_readers(
        &format!("{READERS_HEADER}\nP1,r1,1,4A,suspicious\nP9,r1,0,4B,suspicious\n"),
        &["row 2, column `id`", "\"P9\" is not an id of clinical.csv"],
    );
}

/// Reader r2 has not read P2, which r1 read: no consensus for P2.
#[test]
fn case_readers_reader_missing_reads() {
    validate_readers(
        &format!(
            "{READERS_HEADER}\nP1,r1,1,4A,suspicious\nP2,r1,0,4A,non-suspicious\nP1,r2,1,4B,suspicious\n"
        ),
        &["column `reader`", "\"r2\"", "P2"],
    );
}

#[test]
fn case_readers_duplicate_read() {
    validate_readers(
        &format!("{READERS_HEADER}\nP1,r1,1,4A,suspicious\nP1,r1,0,4A,suspicious\n"),
        &["row 2, column `id`", "appears twice (first in row 1)"],
    );
}

#[test]
fn case_readers_empty_cell() {
    validate_readers(
        &format!("{READERS_HEADER}\nP1,r1,,4A,suspicious\n"),
        &["row 1, column `aln_call`", "is not 0 or 1"],
    );
}

#[test]
fn case_readers_unknown_birads() {
    validate_readers(
        &format!("{READERS_HEADER}\nP1,r1,1,4D,suspicious\n"),
        &["row 1, column `birads`", "4D"],
    );
}

#[test]
fn case_readers_repeat_read_without_a_first() {
    validate_readers(
        "id,reader,read,aln_call,birads,us_aln\nP1,r1,2,1,4A,suspicious\n",
        &["row 1, column `read`", "has no read 1 before it"],
    );
}

/// One reader is enough for the reader rows (no kappa between readers).
#[test]
fn case_readers_single_reader_is_accepted() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    std::fs::write(
        c.join("readers.csv"),
        format!("{READERS_HEADER}\nP1,r1,1,4A,suspicious\nP2,r1,0,4B,non-suspicious\n"),
    )
    .unwrap();
    let summary = succeeds(&["validate", s(&c)]);
    assert!(summary.contains("1 radiologist(s), 2 reads"), "{summary}");
}

// -------------------------------------------------------------- schema.toml

/// `dlrn validate --schema` with `schema` as the schema file.
fn validate_schema(schema: &str, needles: &[&str]) {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    let file = t.path().join("schema.toml");
    std::fs::write(&file, schema).unwrap();
    fails(&["validate", s(&c), "--schema", s(&file)], needles, &[]);
}

const AGE: &str = "[[variable]]\nname = \"age\"\nlabel = \"Age\"\n";

#[test]
fn case_schema_unknown_kind() {
    validate_schema(
        &format!("{AGE}kind = \"numerical\"\n"),
        &["schema.toml", "unknown variant `numerical`", "`numeric`"],
    );
}

#[test]
fn case_schema_toml_syntax() {
    validate_schema(
        "[[variable]\nname = \"age\"\n",
        &["schema.toml", "line 1", "unclosed array table"],
    );
}

#[test]
fn case_schema_reference_not_a_level() {
    validate_schema(
        "[[variable]]\nname = \"subtype\"\nlabel = \"Subtype\"\nkind = \"nominal\"\n\
         levels = [\"luminal_a\", \"luminal_b\", \"her2\", \"triple_negative\"]\n\
         reference = \"basal\"\n",
        &[
            "schema.toml",
            "variable `subtype`",
            "reference level \"basal\"",
        ],
    );
}

#[test]
fn case_schema_variable_declared_twice() {
    validate_schema(
        &format!("{AGE}kind = \"numeric\"\n{AGE}kind = \"numeric\"\n"),
        &["schema.toml", "variable `age`: declared twice"],
    );
}

#[test]
fn case_schema_range_reversed() {
    validate_schema(
        &format!("{AGE}kind = \"numeric\"\nrange = [100, 18]\n"),
        &["variable `age`", "range [100, 18] is not low ≤ high"],
    );
}

/// A declared variable that clinical.csv lacks.
#[test]
fn case_schema_column_missing_from_clinical() {
    validate_schema(
        "[[variable]]\nname = \"lvi\"\nlabel = \"LVI\"\nkind = \"binary\"\n\
         levels = [\"no\", \"yes\"]\npositive = \"yes\"\n",
        &["clinical.csv", "column `lvi`: missing column"],
    );
}

#[test]
fn case_schema_file_missing() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    let err = fails(
        &[
            "validate",
            s(&c),
            "--schema",
            s(&t.path().join("none.toml")),
        ],
        &["none.toml", "No such file or directory"],
        &[],
    );
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
}

// ----------------------------------------------------------- feature tables

/// A deterministic 40-row feature table: id, ALN_status, f1..f5 (f1 and f2
/// informative), values from a fixed LCG so the file is the same every run.
fn features() -> Vec<Vec<String>> {
    let mut state = 12345u64;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as f64 / (1u64 << 31) as f64) - 0.5
    };
    (0..40)
        .map(|i| {
            let y = i % 2;
            let mut r = vec![format!("P{i:03}"), y.to_string()];
            for j in 0..5 {
                let signal = if j < 2 { y as f64 * 0.6 } else { 0.0 };
                r.push(format!("{:.4}", signal + next()));
            }
            r
        })
        .collect()
}

const FEATURE_HEADER: &str = "id,ALN_status,f1,f2,f3,f4,f5";

fn write_table(path: &Path, header: &str, rows: &[Vec<String>]) {
    let mut t = format!("{header}\n");
    for r in rows {
        writeln!(t, "{}", r.join(",")).unwrap();
    }
    std::fs::write(path, t).unwrap();
}

/// Writes the feature table after `edit` into `dir/name`.
fn feature_file(dir: &Path, name: &str, edit: impl FnOnce(&mut Vec<Vec<String>>)) -> PathBuf {
    let mut rows = features();
    edit(&mut rows);
    let p = dir.join(name);
    write_table(&p, FEATURE_HEADER, &rows);
    p
}

fn lasso_args<'a>(train: &'a Path, out: &'a Path) -> Vec<&'a str> {
    vec![
        "lasso",
        "--train",
        s(train),
        "--out",
        s(out),
        "--folds",
        "5",
        "--seed",
        "1",
    ]
}

#[test]
fn case_lasso_nan_feature() {
    let t = tempfile::tempdir().unwrap();
    let f = feature_file(t.path(), "nan.csv", |r| r[3][2] = "NaN".into());
    let out = t.path().join("m.json");
    fails(
        &lasso_args(&f, &out),
        &["`f1` (first at", "nan.csv row 4", "--drop-na-columns"],
        &[&out],
    );
}

/// A feature undefined (NaN) for every training patient: `dlrn lasso`
/// refuses the column, naming it from its first row; the study's default
/// missing-value rule (`[missing]`, what `cargo xtask paper` applies before
/// its LASSO) refuses it too, naming the feature and how to drop it on
/// purpose, and with that `drop` rule leaves it out, named in the report.
#[test]
fn case_feature_undefined_for_every_training_patient() {
    let t = tempfile::tempdir().unwrap();
    let f = feature_file(t.path(), "all_nan.csv", |rows| {
        for r in rows.iter_mut() {
            r[4] = "NaN".into();
        }
    });
    let out = t.path().join("m.json");
    fails(
        &lasso_args(&f, &out),
        &["`f3` (first at", "all_nan.csv row 1", "--drop-na-columns"],
        &[&out],
    );

    let table = dlrn_study::pipeline::FeatureTable::read(&f, "ALN_status").unwrap();
    let names = table.names.clone();
    let mut settings = dlrn_study::missing::MissingSettings::default();
    let err = dlrn_study::missing::feature_imputation(&table, &names, &settings)
        .unwrap_err()
        .to_string();
    for needle in [
        "missing.rules",
        "undefined (NaN) for every one of the 40 training patients: `f3`",
        "rules = { f3 = \"drop\" }",
    ] {
        assert!(err.contains(needle), "{needle:?} not in {err}");
    }
    settings
        .rules
        .insert("f3".into(), dlrn_study::missing::Rule::Drop);
    let imp = dlrn_study::missing::feature_imputation(&table, &names, &settings).unwrap();
    assert_eq!(imp.kept(&names), ["f1", "f2", "f4", "f5"]);
    assert_eq!(
        (imp.dropped[0].feature.as_str(), imp.dropped[0].undefined),
        ("f3", 40)
    );
}

#[test]
fn case_lasso_infinite_feature() {
    let t = tempfile::tempdir().unwrap();
    let f = feature_file(t.path(), "inf.csv", |r| r[5][3] = "inf".into());
    let out = t.path().join("m.json");
    fails(
        &lasso_args(&f, &out),
        &["`f2` (first at", "inf.csv row 6"],
        &[&out],
    );
}

#[test]
fn case_lasso_constant_column_is_never_selected() {
    // glmnet leaves a constant column out of the path (zero variance): success.
    let t = tempfile::tempdir().unwrap();
    let f = feature_file(t.path(), "const.csv", |rows| {
        for r in rows {
            r[4] = "1.5".into();
        }
    });
    let out = t.path().join("m.json");
    succeeds(&lasso_args(&f, &out));
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let selected: Vec<&str> = m["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["feature"].as_str().unwrap())
        .collect();
    assert!(!selected.contains(&"f3"), "{selected:?}");
}

#[test]
fn case_lasso_single_class() {
    let t = tempfile::tempdir().unwrap();
    let f = feature_file(t.path(), "one.csv", |rows| {
        for r in rows {
            r[1] = "1".into();
        }
    });
    let out = t.path().join("m.json");
    fails(
        &lasso_args(&f, &out),
        &["all 40 labels are 1: a logistic fit needs both classes"],
        &[&out],
    );
}

#[test]
fn case_lasso_perfect_separation_is_penalised() {
    // The lasso penalty keeps coefficients finite under separation (as glmnet):
    // success, and the separating feature is the one selected first.
    let t = tempfile::tempdir().unwrap();
    let f = feature_file(t.path(), "sep.csv", |rows| {
        for r in rows {
            let y: f64 = r[1].parse().unwrap();
            let v: f64 = r[6].parse().unwrap();
            r[6] = format!("{:.4}", 10.0 * y + v);
        }
    });
    let out = t.path().join("m.json");
    succeeds(&lasso_args(&f, &out));
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let features = m["features"].as_array().unwrap();
    assert!(
        features.iter().any(|f| f["feature"] == "f5"),
        "{features:?}"
    );
    assert!(
        features
            .iter()
            .all(|f| f["coefficient"].as_f64().unwrap().is_finite())
    );
}

#[test]
fn case_lasso_fewer_rows_than_folds() {
    // Used to run leave-one-out CV (6 folds) silently when 10 were asked.
    let t = tempfile::tempdir().unwrap();
    let f = feature_file(t.path(), "few.csv", |rows| rows.truncate(6));
    let out = t.path().join("m.json");
    fails(
        &[
            "lasso",
            "--train",
            s(&f),
            "--out",
            s(&out),
            "--folds",
            "10",
            "--seed",
            "1",
        ],
        &["10 folds asked but only 6 rows"],
        &[&out],
    );
}

#[test]
fn case_lasso_label_not_binary() {
    let t = tempfile::tempdir().unwrap();
    let f = feature_file(t.path(), "lab.csv", |r| r[2][1] = "2".into());
    let out = t.path().join("m.json");
    fails(
        &lasso_args(&f, &out),
        &["lab.csv: row 3, column `ALN_status`: \"2\" is not a label"],
        &[&out],
    );
}

#[test]
fn case_lasso_text_in_feature() {
    let t = tempfile::tempdir().unwrap();
    let f = feature_file(t.path(), "txt.csv", |r| r[2][2] = "abc".into());
    let out = t.path().join("m.json");
    fails(
        &lasso_args(&f, &out),
        &["txt.csv: row 3, column `f1`: \"abc\" is not a number"],
        &[&out],
    );
}

/// A model.json from a real `dlrn lasso` run on the clean table.
fn fitted_model(dir: &Path) -> (PathBuf, PathBuf) {
    let f = feature_file(dir, "train.csv", |_| {});
    let m = dir.join("model.json");
    succeeds(&lasso_args(&f, &m));
    (f, m)
}

#[test]
fn case_score_missing_feature_columns() {
    let t = tempfile::tempdir().unwrap();
    let (_, m) = fitted_model(t.path());
    let cut = t.path().join("cut.csv");
    let rows: Vec<Vec<String>> = features().into_iter().map(|r| r[..2].to_vec()).collect();
    write_table(&cut, "id,ALN_status", &rows);
    let out = t.path().join("s.csv");
    fails(
        &[
            "score",
            "--model",
            s(&m),
            "--data",
            s(&cut),
            "--out",
            s(&out),
        ],
        &["cut.csv: missing column"],
        &[&out],
    );
}

#[test]
fn case_score_nan_feature() {
    let t = tempfile::tempdir().unwrap();
    let (_, m) = fitted_model(t.path());
    let model: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&m).unwrap()).unwrap();
    let first = model["features"][0]["feature"]
        .as_str()
        .unwrap()
        .to_string();
    let j = 2 + first[1..].parse::<usize>().unwrap() - 1;
    let f = feature_file(t.path(), "nan.csv", |r| r[3][j] = "NaN".into());
    let out = t.path().join("s.csv");
    fails(
        &["score", "--model", s(&m), "--data", s(&f), "--out", s(&out)],
        &[
            &format!("nan.csv: row 4, column `{first}`"),
            "not a finite number",
        ],
        &[&out],
    );
}

#[test]
fn case_score_truncated_model_json() {
    let t = tempfile::tempdir().unwrap();
    let (f, m) = fitted_model(t.path());
    truncate(&m, 100);
    let out = t.path().join("s.csv");
    fails(
        &["score", "--model", s(&m), "--data", s(&f), "--out", s(&out)],
        &["model.json: not valid JSON"],
        &[&out],
    );
}

#[test]
fn case_score_signature_not_a_number() {
    let t = tempfile::tempdir().unwrap();
    let f = feature_file(t.path(), "d.csv", |_| {});
    let sig = t.path().join("sig.csv");
    std::fs::write(&sig, "feature,coefficient\nf1,abc\n").unwrap();
    let out = t.path().join("s.csv");
    fails(
        &[
            "score",
            "--signature",
            s(&sig),
            "--data",
            s(&f),
            "--out",
            s(&out),
        ],
        &["sig.csv: row 1, column `coefficient`: \"abc\" is not a number"],
        &[&out],
    );
}

/// Finding (src/cli/score.rs, signature reader): a feature listed twice in a
/// signature table is summed twice (here f1 counts 1 + 2 = 3 times) with no
/// message; it should be an error naming the row.
#[test]
fn case_score_signature_duplicate_feature() {
    let t = tempfile::tempdir().unwrap();
    let f = feature_file(t.path(), "d.csv", |_| {});
    let sig = t.path().join("sig.csv");
    std::fs::write(&sig, "feature,coefficient\nf1,1\nf1,2\n").unwrap();
    let out = t.path().join("s.csv");
    fails(
        &[
            "score",
            "--signature",
            s(&sig),
            "--data",
            s(&f),
            "--out",
            s(&out),
        ],
        &["sig.csv", "f1"],
        &[&out],
    );
}

/// A score table: id, ALN_status, a, b (deterministic).
fn scores(dir: &Path, name: &str, edit: impl FnOnce(&mut Vec<Vec<String>>)) -> PathBuf {
    let mut rows: Vec<Vec<String>> = (0..40)
        .map(|i| {
            vec![
                format!("P{i:03}"),
                (i % 2).to_string(),
                format!("{:.3}", ((i * 37) % 101) as f64 / 101.0),
                format!("{:.3}", ((i * 53 + 11) % 97) as f64 / 97.0),
            ]
        })
        .collect();
    edit(&mut rows);
    let p = dir.join(name);
    write_table(&p, "id,ALN_status,a,b", &rows);
    p
}

#[test]
fn case_evaluate_nan_score() {
    let t = tempfile::tempdir().unwrap();
    let p = scores(t.path(), "nan.csv", |r| r[1][2] = "NaN".into());
    fails(
        &["evaluate", "--data", s(&p), "--score", "a", "--youden"],
        &["nan.csv: column `a`", "row 2: NaN is not a finite number"],
        &[],
    );
}

#[test]
fn case_evaluate_single_class() {
    let t = tempfile::tempdir().unwrap();
    let p = scores(t.path(), "one.csv", |rows| {
        for r in rows {
            r[1] = "0".into();
        }
    });
    fails(
        &["evaluate", "--data", s(&p), "--score", "a", "--youden"],
        &[
            "one.csv: column `a`: need at least 2 cases (label 1) and 2 controls (label 0); found 0 cases and 40 controls",
        ],
        &[],
    );
}

#[test]
fn case_evaluate_missing_score_column() {
    let t = tempfile::tempdir().unwrap();
    let p = scores(t.path(), "sc.csv", |_| {});
    fails(
        &["evaluate", "--data", s(&p), "--score", "zz", "--youden"],
        &["sc.csv: missing column `zz`"],
        &[],
    );
}

#[test]
fn case_evaluate_infinite_cutoff() {
    let t = tempfile::tempdir().unwrap();
    let p = scores(t.path(), "sc.csv", |_| {});
    fails(
        &[
            "evaluate",
            "--data",
            s(&p),
            "--score",
            "a",
            "--cutoff",
            "inf",
        ],
        &["`cutoff`", "inf is not a finite number"],
        &[],
    );
}

/// Scores where `a` separates the classes perfectly (every positive above
/// every negative, values outside (0, 1)).
fn separating_scores(dir: &Path) -> PathBuf {
    scores(dir, "sep.csv", |rows| {
        for (i, r) in rows.iter_mut().enumerate() {
            r[2] = format!("{:.3}", (i % 2) as f64 + i as f64 / 100.0 + 0.5);
        }
    })
}

#[test]
fn case_evaluate_perfect_separation() {
    // AUC 1 with DeLong variance 0 (CI [1, 1], as pROC gives); exact
    // Clopper-Pearson lower bounds by hand: 0.025^(1/40) = 0.911903 for
    // 40/40 and 0.025^(1/20) = 0.831567 for 20/20.
    let t = tempfile::tempdir().unwrap();
    let p = separating_scores(t.path());
    let out = succeeds(&[
        "evaluate",
        "--data",
        s(&p),
        "--score",
        "a",
        "--youden",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["auc"], 1.0);
    assert_eq!(v["auc_ci_low"], 1.0);
    assert_eq!((v["tp"].as_u64(), v["fp"].as_u64()), (Some(20), Some(0)));
    let lo = |k: &str| v[k]["ci_low"].as_f64().unwrap();
    assert!(
        (lo("accuracy") - 0.025f64.powf(1.0 / 40.0)).abs() < 1e-9,
        "{v}"
    );
    assert!(
        (lo("sensitivity") - 0.025f64.powf(1.0 / 20.0)).abs() < 1e-9,
        "{v}"
    );
}

#[test]
fn case_compare_perfect_separation() {
    // Scores outside (0, 1) are recalibrated by a univariate logistic fit,
    // which has no maximum-likelihood estimate under separation.
    let t = tempfile::tempdir().unwrap();
    let p = separating_scores(t.path());
    fails(
        &["compare", "--data", s(&p), "--score", "b", "--score", "a"],
        &[
            "turning `a` into a probability",
            "complete separation by `a`",
        ],
        &[],
    );
}

#[test]
fn case_compare_one_score() {
    let t = tempfile::tempdir().unwrap();
    let p = scores(t.path(), "sc.csv", |_| {});
    fails(
        &["compare", "--data", s(&p), "--score", "a"],
        &["give exactly two --score columns, found 1"],
        &[],
    );
}

#[test]
fn case_compare_nri_cutoffs_not_increasing() {
    let t = tempfile::tempdir().unwrap();
    let p = scores(t.path(), "sc.csv", |_| {});
    fails(
        &[
            "compare",
            "--data",
            s(&p),
            "--score",
            "a",
            "--score",
            "b",
            "--nri-cutoffs",
            "0.5,0.2",
        ],
        &["cut-offs must be increasing and inside (0, 1), found [0.5, 0.2]"],
        &[],
    );
}

#[test]
fn case_compare_single_class() {
    let t = tempfile::tempdir().unwrap();
    let p = scores(t.path(), "one.csv", |rows| {
        for r in rows {
            r[1] = "1".into();
        }
    });
    fails(
        &["compare", "--data", s(&p), "--score", "a", "--score", "b"],
        &["one.csv: column `a`: need at least 2 cases"],
        &[],
    );
}

#[test]
fn case_logistic_perfect_separation() {
    let t = tempfile::tempdir().unwrap();
    let f = feature_file(t.path(), "sep.csv", |rows| {
        for r in rows {
            r[2] = format!("{}.5", if r[1] == "1" { 10 } else { -10 });
        }
    });
    fails(
        &["logistic", "--data", s(&f), "--predictors", "f1"],
        &["sep.csv", "complete separation by `f1`"],
        &[],
    );
}

#[test]
fn case_logistic_constant_predictor() {
    let t = tempfile::tempdir().unwrap();
    let f = feature_file(t.path(), "const.csv", |rows| {
        for r in rows {
            r[4] = "1.5".into();
        }
    });
    fails(
        &["logistic", "--data", s(&f), "--predictors", "f3"],
        &["const.csv", "singular", "(predictors f3)"],
        &[],
    );
}

#[test]
fn case_logistic_fewer_rows_than_coefficients() {
    let t = tempfile::tempdir().unwrap();
    let f = feature_file(t.path(), "few.csv", |rows| rows.truncate(6));
    fails(
        &[
            "logistic",
            "--data",
            s(&f),
            "--predictors",
            "f1,f2,f3,f4,f5",
        ],
        &[
            "few.csv",
            "6 coefficients: needs at least 7 values, found 6",
        ],
        &[],
    );
}

#[test]
fn case_logistic_unknown_predictor() {
    let t = tempfile::tempdir().unwrap();
    let f = feature_file(t.path(), "d.csv", |_| {});
    fails(
        &["logistic", "--data", s(&f), "--predictors", "f1,nope"],
        &["d.csv: missing column `nope`"],
        &[],
    );
}

#[test]
fn case_icc_one_reading() {
    let t = tempfile::tempdir().unwrap();
    let f = feature_file(t.path(), "r1.csv", |_| {});
    let out = t.path().join("icc.csv");
    fails(
        &["icc", "--reads", s(&f), "--out", s(&out)],
        &["give at least two --reads tables, found 1"],
        &[&out],
    );
}

/// Reads an icc output row by feature name: (icc, n_subjects, kept).
fn icc_row(out: &Path, feature: &str) -> (String, String, String) {
    let t = std::fs::read_to_string(out).unwrap();
    let header: Vec<&str> = t.lines().next().unwrap().split(',').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
    let line = t
        .lines()
        .find(|l| l.starts_with(&format!("{feature},")))
        .unwrap();
    let cells: Vec<&str> = line.split(',').collect();
    (
        cells[col("icc")].to_string(),
        cells[col("n_subjects")].to_string(),
        cells[col("kept")].to_string(),
    )
}

#[test]
fn case_icc_non_finite_reading_drops_that_patient() {
    // A NaN in one reading and an Inf in another leave those patients out of
    // that feature's ICC only, and the count says so (40 - 1 per feature).
    let t = tempfile::tempdir().unwrap();
    let a = feature_file(t.path(), "r1.csv", |r| r[1][6] = "NaN".into());
    let b = feature_file(t.path(), "r2.csv", |r| r[5][2] = "inf".into());
    let out = t.path().join("icc.csv");
    succeeds(&["icc", "--reads", s(&a), "--reads", s(&b), "--out", s(&out)]);
    assert_eq!(icc_row(&out, "f5").1, "39");
    assert_eq!(icc_row(&out, "f1").1, "39");
    assert_eq!(icc_row(&out, "f2").1, "40");
}

#[test]
fn case_icc_constant_feature_is_not_kept() {
    // Zero between-patient variance: the ICC is undefined (NA) and the
    // feature is dropped, never kept as reproducible.
    let t = tempfile::tempdir().unwrap();
    let constant = |rows: &mut Vec<Vec<String>>| {
        for r in rows {
            r[6] = "2.5".into();
        }
    };
    let a = feature_file(t.path(), "r1.csv", constant);
    let b = feature_file(t.path(), "r2.csv", constant);
    let out = t.path().join("icc.csv");
    succeeds(&["icc", "--reads", s(&a), "--reads", s(&b), "--out", s(&out)]);
    let (icc, n, kept) = icc_row(&out, "f5");
    assert_eq!((icc.as_str(), n.as_str(), kept.as_str()), ("NA", "40", "0"));
}

/// Finding (src/cli/icc.rs): `--threshold 1.5` is accepted although an ICC
/// never exceeds 1, so every feature is dropped with exit 0; it should be an
/// error naming the option and its range.
#[test]
fn case_icc_threshold_out_of_range() {
    let t = tempfile::tempdir().unwrap();
    let a = feature_file(t.path(), "r1.csv", |_| {});
    let b = feature_file(t.path(), "r2.csv", |_| {});
    let out = t.path().join("icc.csv");
    fails(
        &[
            "icc",
            "--reads",
            s(&a),
            "--reads",
            s(&b),
            "--out",
            s(&out),
            "--threshold",
            "1.5",
        ],
        &["--threshold"],
        &[&out],
    );
}

/// `icc --intra/--inter` (the paper's rule): the re-outline tables must hold
/// the same patients; one with another id fails naming both tables and the id.
#[test]
fn case_icc_split_reoutlines_with_different_ids() {
    let t = tempfile::tempdir().unwrap();
    let a = feature_file(t.path(), "masks.csv", |_| {});
    let b = feature_file(t.path(), "repeat.csv", |_| {});
    let c = feature_file(t.path(), "reader2.csv", |r| r[3][0] = "X999".into());
    let out = t.path().join("icc.csv");
    fails(
        &[
            "icc",
            "--reads",
            s(&a),
            "--intra",
            s(&b),
            "--inter",
            s(&c),
            "--out",
            s(&out),
        ],
        &["repeat.csv and ", "reader2.csv hold different ids", "X999"],
        &[&out],
    );
}

/// `icc --intra`: a re-outlined patient without an original outline fails,
/// naming the table and the id.
#[test]
fn case_icc_split_reoutline_id_not_in_original() {
    let t = tempfile::tempdir().unwrap();
    let a = feature_file(t.path(), "masks.csv", |r| r[3][0] = "X999".into());
    let b = feature_file(t.path(), "repeat.csv", |_| {});
    let out = t.path().join("icc.csv");
    fails(
        &["icc", "--reads", s(&a), "--intra", s(&b), "--out", s(&out)],
        &["masks.csv: no row with id"],
        &[&out],
    );
}

// ------------------------------------------------------- weights, bundles

/// `extract deep --weights w` on a one-patient PNG cohort: exit 2, no table.
fn deep_fails(dir: &Path, weights: &Path, needles: &[&str]) {
    let c = cohort(dir);
    let out = dir.join("deep.csv");
    fails(
        &[
            "extract",
            "deep",
            "--cohort",
            s(&c),
            "--out",
            s(&out),
            "--weights",
            s(weights),
        ],
        needles,
        &[&out],
    );
}

#[test]
fn case_weights_mpk_garbage() {
    let t = tempfile::tempdir().unwrap();
    let w = t.path().join("net.mpk");
    std::fs::write(
        &w,
        (0..1000u32)
            .map(|i| (i * 7 % 251) as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    deep_fails(t.path(), &w, &["net.mpk: Burn record"]);
}

/// Writes a Burn record of a tiny 2-class ResNet (the .mpk layout `dlrn
/// finetune` writes) through the library.
struct TinyRecord(PathBuf);

impl dlrn_deep::InferenceJob for TinyRecord {
    type Output = dlrn_deep::Result<()>;
    fn run<B: dlrn_deep::backend::Backend>(
        self,
        device: B::Device,
        _: dlrn_deep::BackendKind,
    ) -> Self::Output {
        let cfg = dlrn_deep::ResNetConfig {
            base_width: 2,
            blocks: [1, 1, 1, 1],
            num_classes: Some(2),
        };
        dlrn_deep::weights::save_record(&cfg.init::<B>(1, &device), &self.0)
    }
}

#[test]
fn case_weights_mpk_altered_param_id() {
    // burn-core 0.21 panicked ("Invalid id.", module/param/id.rs:55) on a
    // record whose parameter id is not base32: exit 101 before the fix.
    let t = tempfile::tempdir().unwrap();
    let w = t.path().join("net.mpk");
    dlrn_deep::run_inference(dlrn_deep::BackendKind::Flex, TinyRecord(w.clone()))
        .unwrap()
        .unwrap();
    let mut b = std::fs::read(&w).unwrap();
    // Parameter ids are 13-character base32 strings (MessagePack fixstr 0xad);
    // a '!' in the first one is not base32.
    let at = b
        .windows(1)
        .position(|x| x[0] == 0xad)
        .expect("a 13-character string")
        + 1;
    b[at] = b'!';
    std::fs::write(&w, b).unwrap();
    deep_fails(t.path(), &w, &["net.mpk", "corrupt record"]);
}

#[test]
fn case_weights_pth_zero_bytes() {
    let t = tempfile::tempdir().unwrap();
    let w = t.path().join("net.pth");
    std::fs::write(&w, b"").unwrap();
    deep_fails(t.path(), &w, &["net.pth: cannot import weights"]);
}

#[test]
fn case_weights_safetensors_truncated_header() {
    let t = tempfile::tempdir().unwrap();
    let w = t.path().join("net.safetensors");
    // Header length 16 but only 8 header bytes follow.
    let mut b = 16u64.to_le_bytes().to_vec();
    b.extend_from_slice(b"{\"a\":1}");
    std::fs::write(&w, b).unwrap();
    deep_fails(t.path(), &w, &["net.safetensors: cannot import weights"]);
}

#[test]
fn case_weights_safetensors_wrong_shape() {
    let t = tempfile::tempdir().unwrap();
    let w = t.path().join("net.safetensors");
    let header = br#"{"conv1.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}"#;
    let mut b = (header.len() as u64).to_le_bytes().to_vec();
    b.extend_from_slice(header);
    for v in [1.0f32, 2.0, 3.0, 4.0] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(&w, b).unwrap();
    deep_fails(
        t.path(),
        &w,
        &["net.safetensors", "conv1.weight", "[64, 3, 7, 7]", "[2, 2]"],
    );
}

/// Runs `cmd --model <tmp>/<folder> --cohort <a cohort> --out <tmp>/<out>`
/// on a bundle folder holding `manifest.json` with `manifest` (none when
/// `None`) and each of `parts` (name, contents); expects exit 2 with
/// `needles` in stderr and no output written.
fn bundle_fails(
    cmd: &str,
    folder: &str,
    manifest: Option<&str>,
    parts: &[(&str, &str)],
    out: &str,
    needles: &[&str],
) {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    let model = t.path().join(folder);
    std::fs::create_dir_all(&model).unwrap();
    if let Some(m) = manifest {
        std::fs::write(model.join("manifest.json"), m).unwrap();
    }
    for (name, contents) in parts {
        std::fs::write(model.join(name), contents).unwrap();
    }
    let out = t.path().join(out);
    fails(
        &[
            cmd,
            "--model",
            s(&model),
            "--cohort",
            s(&c),
            "--out",
            s(&out),
        ],
        needles,
        &[&out],
    );
}

#[test]
fn case_bundle_not_a_bundle() {
    bundle_fails(
        "predict",
        "empty_model",
        None,
        &[],
        "p.csv",
        &["empty_model/manifest.json", "not a model bundle folder"],
    );
}

#[test]
fn case_bundle_manifest_truncated() {
    bundle_fails(
        "assess",
        "model",
        Some("{\"format\": \"dlrn-bundle\", \"format_ver"),
        &[],
        "assess",
        &["model/manifest.json", "not a valid bundle file"],
    );
}

#[test]
fn case_bundle_other_format_version() {
    bundle_fails(
        "predict",
        "model",
        Some("{\"format\": \"dlrn-model-bundle\", \"format_version\": 7, \"files\": {}}"),
        &[],
        "p.csv",
        &["model/manifest.json", "7"],
    );
}

/// A manifest of the current format listing `files` (name → SHA-256).
fn manifest(files: &str) -> String {
    format!(
        "{{\"format\": \"dlrn-model-bundle\", \"format_version\": 1, \
         \"dlrn_version\": \"0.1.0\", \"config_sha256\": \"\", \"training_cohort\": \"TC\", \
         \"training_cohort_sha256\": \"\", \"date\": \"2026-01-01\", \"files\": {{{files}}}}}"
    )
}

/// A harmonisation record (harmonize.json) altered after the bundle was
/// written: refused by name like every other part, before any extraction.
#[test]
fn case_bundle_harmonize_part_altered() {
    let stamped = format!("\"harmonize.json\": \"{}\"", "cd".repeat(32));
    bundle_fails(
        "assess",
        "model",
        Some(&manifest(&stamped)),
        &[(
            "harmonize.json",
            "{\"method\": \"combat\", \"reference\": \"TC\"}",
        )],
        "assess",
        &[
            "model/harmonize.json",
            "differs from the manifest's",
            "altered",
        ],
    );
}

/// A part cut short after the manifest was written (its SHA-256 no longer
/// matches): predict names the file and says it was altered.
#[test]
fn case_bundle_part_truncated() {
    let stamped = format!("\"cnn.json\": \"{}\"", "ab".repeat(32));
    bundle_fails(
        "predict",
        "model",
        Some(&manifest(&stamped)),
        &[("cnn.json", "{\"architecture\": \"resn")],
        "p.csv",
        &["model/cnn.json", "differs from the manifest's", "altered"],
    );
}

/// A part the manifest lists but the folder lacks.
#[test]
fn case_bundle_part_missing() {
    let stamped = format!("\"signature.json\": \"{}\"", "cd".repeat(32));
    bundle_fails(
        "assess",
        "model",
        Some(&manifest(&stamped)),
        &[],
        "assessment",
        &[
            "model/signature.json",
            "listed in the manifest but not on disk",
        ],
    );
}

/// A manifest naming a file outside the bundle folder.
#[test]
fn case_bundle_part_outside_the_folder() {
    let stamped = format!("\"../clinical.csv\": \"{}\"", "ef".repeat(32));
    bundle_fails(
        "predict",
        "model",
        Some(&manifest(&stamped)),
        &[],
        "p.csv",
        &[
            "model/manifest.json",
            "\"../clinical.csv\" is not a path inside the bundle folder",
        ],
    );
}

// ------------------------------------------------- contradictory arguments

#[test]
fn case_args_signature_and_model() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("s.csv");
    fails(
        &[
            "score",
            "--signature",
            "a.csv",
            "--model",
            "m.json",
            "--data",
            "d.csv",
            "--out",
            s(&out),
        ],
        &["'--signature <SIG>' cannot be used with '--model <MODEL_JSON>'"],
        &[&out],
    );
}

#[test]
fn case_args_cutoff_and_youden() {
    fails(
        &[
            "evaluate", "--data", "d.csv", "--score", "a", "--cutoff", "0.5", "--youden",
        ],
        &["'--cutoff <X>' cannot be used with '--youden'"],
        &[],
    );
}

#[test]
fn case_args_cohort_and_image() {
    fails(
        &[
            "predict", "--model", "m", "--cohort", "c", "--image", "i.png", "--out", "p.csv",
        ],
        &["'--cohort <COHORT>' cannot be used with '--image <IMAGE>'"],
        &[],
    );
}

#[test]
fn case_args_shard_out_of_range() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    let out = t.path().join("hc.csv");
    fails(
        &[
            "extract",
            "handcrafted",
            "--cohort",
            s(&c),
            "--out",
            s(&out),
            "--shard",
            "3/2",
        ],
        &["--shard", "3/2"],
        &[&out],
    );
}

#[test]
fn case_args_frame_out_of_range() {
    let t = tempfile::tempdir().unwrap();
    let c = one(
        t.path(),
        (&formats("lesion/BUS02_grey.dcm"), "P1.dcm"),
        (&formats("lesion/BUS02.nii.gz"), "P1.nii.gz"),
    );
    let out = t.path().join("hc.csv");
    fails(
        &[
            "extract",
            "handcrafted",
            "--cohort",
            s(&c),
            "--out",
            s(&out),
            "--frame",
            "3",
            "--strict",
        ],
        &["--frame 3 is out of range"],
        &[],
    );
}

// ------------------------------------------------ simulate and assess ranges

/// The generating parameters of a small simulation (its simulate.json's
/// `params`), to edit into bad ones.
fn sim_params(dir: &Path) -> serde_json::Value {
    let out = dir.join("sim");
    succeeds(&["simulate", "--out", s(&out), "--scale", "0.01"]);
    let text = std::fs::read_to_string(out.join("simulate.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["params"].take()
}

/// Runs `dlrn simulate` on `params` edited by `edit`; it must fail naming
/// `needles` and write nothing.
#[track_caller]
fn simulate_refuses(edit: impl FnOnce(&mut serde_json::Value), needles: &[&str]) {
    let t = tempfile::tempdir().unwrap();
    let mut p = sim_params(t.path());
    edit(&mut p);
    let file = t.path().join("params.json");
    std::fs::write(&file, p.to_string()).unwrap();
    let out = t.path().join("new");
    fails(
        &[
            "simulate",
            "--out",
            s(&out),
            "--scale",
            "0.01",
            "--params",
            s(&file),
        ],
        needles,
        &[&out],
    );
}

/// A size SD so far from the mean that the gamma's shape (mean/SD)²
/// underflows to 0 (it used to panic building the distribution).
#[test]
fn case_simulate_size_sd_underflows_the_gamma_shape() {
    simulate_refuses(
        |p| p["cohorts"][0]["table1"]["size_sd"] = 1e200.into(),
        &["cohorts[0].table1.size_sd", "1e200", "gamma shape"],
    );
}

/// A display blur of 1e18 px (its kernel would not fit in memory).
#[test]
fn case_simulate_scanner_blur_out_of_range() {
    simulate_refuses(
        |p| p["cohorts"][1]["scanner"]["blur_px"] = 1e18.into(),
        &["cohorts[1].scanner.blur_px", "blur_px [0, 50]"],
    );
}

/// An image of 100000 × 100000 pixels per patient.
#[test]
fn case_simulate_scanner_huge_image() {
    simulate_refuses(
        |p| {
            p["cohorts"][2]["scanner"]["width"] = 100_000.into();
            p["cohorts"][2]["scanner"]["height"] = 100_000.into();
        },
        &["cohorts[2].scanner.width/height", "at most 4096x4096"],
    );
}

/// A decision-curve step that would make 10^12 thresholds.
#[test]
fn case_assess_threshold_step_too_small() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    let out = t.path().join("assessment");
    fails(
        &[
            "assess",
            "--model",
            s(&t.path().join("model")),
            "--cohort",
            s(&c),
            "--out",
            s(&out),
            "--thresholds",
            "0.01,0.99,1e-12",
        ],
        &["--thresholds 0.01,0.99,0.000000000001", "at most 100000"],
        &[&out],
    );
    // Two numbers, or four, are not a from,to,step triple.
    for bad in ["0.1,0.9", "0.1,0.2,0.3,0.4"] {
        fails(
            &[
                "assess",
                "--model",
                s(&t.path().join("model")),
                "--cohort",
                s(&c),
                "--out",
                s(&out),
                "--thresholds",
                bad,
            ],
            &["--thresholds needs three numbers"],
            &[&out],
        );
    }
}

// ------------------------------------------------------------------ merge

/// `extract handcrafted --shard I/N` of cohort `c` into `dir/name`.
fn shard(c: &Path, dir: &Path, name: &str, which: &str, extra: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let mut args = vec![
        "extract",
        "handcrafted",
        "--strict",
        "--cohort",
        s(c),
        "--out",
        s(&out),
        "--shard",
        which,
    ];
    args.extend_from_slice(extra);
    succeeds(&args);
    out
}

/// Shard 0/2 of one cohort with shard 1/2 of another (a fourth patient).
#[test]
fn case_merge_shards_of_different_cohorts() {
    let t = tempfile::tempdir().unwrap();
    let a = cohort(t.path());
    let b = t.path().join("B");
    std::fs::create_dir_all(&b).unwrap();
    for sub in ["images", "masks"] {
        std::fs::create_dir_all(b.join(sub)).unwrap();
        for id in ["P1", "P2", "P3", "P4"] {
            std::fs::copy(
                a.join(sub).join("P1.png"),
                b.join(sub).join(format!("{id}.png")),
            )
            .unwrap();
        }
    }
    let s0 = shard(&a, t.path(), "a-0.csv", "0/2", &[]);
    let s1 = shard(&b, t.path(), "b-1.csv", "1/2", &[]);
    let out = t.path().join("merged.csv");
    fails(
        &["merge", "--out", s(&out), s(&s0), s(&s1)],
        &["b-1.csv", "does not belong with", "a-0.csv"],
        &[&out],
    );
}

/// Shards read with different options (`--mask-label`).
#[test]
fn case_merge_shards_of_different_settings() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    let s0 = shard(&c, t.path(), "m-0.csv", "0/2", &[]);
    let s1 = shard(&c, t.path(), "m-1.csv", "1/2", &["--mask-label", "255"]);
    let out = t.path().join("merged.csv");
    fails(
        &["merge", "--out", s(&out), s(&s0), s(&s1)],
        &["m-1.csv", "does not belong with", "m-0.csv"],
        &[&out],
    );
}

/// A shard table that lost its last row after it was written.
#[test]
fn case_merge_shard_table_truncated() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    let s0 = shard(&c, t.path(), "t-0.csv", "0/2", &[]);
    let s1 = shard(&c, t.path(), "t-1.csv", "1/2", &[]);
    let text = std::fs::read_to_string(&s1).unwrap();
    let kept: Vec<&str> = text.lines().collect();
    std::fs::write(&s1, kept[..kept.len() - 1].join("\n") + "\n").unwrap();
    let out = t.path().join("merged.csv");
    fails(
        &["merge", "--out", s(&out), s(&s0), s(&s1)],
        &["t-1.csv", "ids its shard.json lists"],
        &[&out],
    );
}

// ------------------------------------------------ thin lesions, both extractions

/// A lesion one pixel wide (a 20-px vertical line) and one a pixel tall
/// (a 35-px horizontal line): the deep crop is 1 px on a side before its
/// resize to 256.
#[test]
fn case_mask_one_pixel_wide_lesion() {
    let t = tempfile::tempdir().unwrap();
    let c = cohort(t.path());
    rect(W, H, 10, 11, 5, 25)
        .save(c.join("masks/P1.png"))
        .unwrap();
    rect(W, H, 3, 38, 12, 13)
        .save(c.join("masks/P2.png"))
        .unwrap();
    // Deep: every crop resizes to the network's input; 2048 finite values.
    let deep = t.path().join("deep.csv");
    succeeds(&["extract", "deep", "--cohort", s(&c), "--out", s(&deep)]);
    let text = std::fs::read_to_string(&deep).unwrap();
    assert_eq!(text.lines().count(), 4);
    for line in text.lines().skip(1) {
        let values: Vec<f64> = line
            .split(',')
            .skip(2)
            .map(|v| v.parse().unwrap())
            .collect();
        assert_eq!(values.len(), 2048);
        assert!(values.iter().all(|v| v.is_finite()), "{line}");
    }
    // Handcrafted: the rows are written; the features a line has no value
    // for (texture inside it, its shape's axes) are NaN and reported.
    let hc = t.path().join("hc.csv");
    let out = dlrn(&["extract", "handcrafted", "--cohort", s(&c), "--out", s(&hc)]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("3 rows, 544 feature columns"), "{err}");
    assert!(
        err.contains("undefined values (NaN) in:") && err.contains("sAX_MN (2)"),
        "{err}"
    );
}

// ------------------------------------------------- missing-value policy

/// A bundle whose stored training medians (missing.json) were edited after
/// the manifest was written: refused by the hash check, naming the file.
#[test]
fn case_bundle_stored_medians_altered() {
    let stamped = format!("\"missing.json\": \"{}\"", "0f".repeat(32));
    bundle_fails(
        "predict",
        "model",
        Some(&manifest(&stamped)),
        &[(
            "missing.json",
            "{\"rule\": \"median\", \"features\": {\"MSD\": 99.0}, \"clinical\": {}}",
        )],
        "p.csv",
        &[
            "model/missing.json",
            "differs from the manifest's",
            "altered",
        ],
    );
}

// ------------------------------------------------ harmonize (ComBat)

/// A feature table with batches `H1` (5 rows), `H2` (4), `H3` (3) and three
/// features of different scales, written to `dir/name`.
fn harmonize_table(dir: &Path, name: &str) -> PathBuf {
    let mut csv = String::from("id,ALN_status,site,f_a,f_b,f_c\n");
    for (k, (site, n)) in [("H1", 5), ("H2", 4), ("H3", 3)].iter().enumerate() {
        for i in 0..*n {
            let t = (i * 7 + k * 3) as f64;
            let _ = writeln!(
                csv,
                "{site}-{i},{},{site},{},{},{}",
                i % 2,
                0.1 * t.sin() + k as f64,
                100.0 + 9.0 * (1.3 * t).cos() * (1.0 + k as f64),
                (0.2 * t).exp()
            );
        }
    }
    let p = dir.join(name);
    std::fs::write(&p, csv).unwrap();
    p
}

/// `harmonize fit` on `data`, which must fail with the needles; no output left.
fn harmonize_fit_fails(data: &Path, extra: &[&str], needles: &[&str]) {
    let dir = data.parent().unwrap();
    let (model, out) = (dir.join("combat.json"), dir.join("out.csv"));
    let mut args = vec![
        "harmonize",
        "fit",
        "--data",
        s(data),
        "--batch",
        "site",
        "--model",
        s(&model),
        "--out",
        s(&out),
    ];
    args.extend_from_slice(extra);
    fails(&args, needles, &[&model, &out]);
}

/// A batch of one row: its scale (a sample variance) cannot be estimated.
#[test]
fn case_harmonize_batch_of_one_row() {
    let t = tempfile::tempdir().unwrap();
    let p = harmonize_table(t.path(), "t.csv");
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, text.replacen(",H3,", ",H4,", 1)).unwrap();
    harmonize_fit_fails(
        &p,
        &[],
        &["t.csv", "batch `H4` has 1 row(s)", "at least 2 rows"],
    );
}

/// `--reference` names a level the batch column does not have.
#[test]
fn case_harmonize_unknown_reference_level() {
    let t = tempfile::tempdir().unwrap();
    let p = harmonize_table(t.path(), "t.csv");
    harmonize_fit_fails(
        &p,
        &["--reference", "H9"],
        &[
            "t.csv",
            "reference batch `H9` is not one of the batch levels (H1, H2, H3)",
        ],
    );
}

/// A feature that takes one value on every row of a batch.
#[test]
fn case_harmonize_feature_constant_within_a_batch() {
    let t = tempfile::tempdir().unwrap();
    let p = harmonize_table(t.path(), "t.csv");
    let text: String = std::fs::read_to_string(&p)
        .unwrap()
        .lines()
        .map(|l| {
            let mut c: Vec<String> = l.split(',').map(String::from).collect();
            if c[2] == "H2" {
                c[5] = "7.5".into();
            }
            c.join(",") + "\n"
        })
        .collect();
    std::fs::write(&p, text).unwrap();
    harmonize_fit_fails(
        &p,
        &[],
        &[
            "t.csv",
            "feature `f_c` is constant within batch `H2`",
            "7.5",
            "--keep-constant",
        ],
    );
}

/// A word in a feature column, and a missing value in another.
#[test]
fn case_harmonize_non_numeric_and_missing_cells() {
    let t = tempfile::tempdir().unwrap();
    let p = harmonize_table(t.path(), "t.csv");
    let text = std::fs::read_to_string(&p).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut bad: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let mut cells: Vec<String> = bad[3].split(',').map(String::from).collect();
    cells[4] = "high".into();
    bad[3] = cells.join(",");
    std::fs::write(&p, bad.join("\n") + "\n").unwrap();
    harmonize_fit_fails(&p, &[], &["t.csv", "row 3", "`f_b`", "\"high\""]);
    let mut bad: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let mut cells: Vec<String> = bad[6].split(',').map(String::from).collect();
    cells[3] = "NA".into();
    bad[6] = cells.join(",");
    std::fs::write(&p, bad.join("\n") + "\n").unwrap();
    harmonize_fit_fails(&p, &[], &["t.csv", "row 6", "`f_a`", "missing value"]);
}

/// The batch column is absent, and a covariate is confounded with batch.
#[test]
fn case_harmonize_missing_batch_column_and_confounded_covariate() {
    let t = tempfile::tempdir().unwrap();
    let p = harmonize_table(t.path(), "t.csv");
    let dir = t.path();
    let (model, out) = (dir.join("combat.json"), dir.join("out.csv"));
    fails(
        &[
            "harmonize",
            "fit",
            "--data",
            s(&p),
            "--batch",
            "hospital",
            "--model",
            s(&model),
            "--out",
            s(&out),
        ],
        &["t.csv", "missing column `hospital`"],
        &[&model, &out],
    );
    let text: String = std::fs::read_to_string(&p)
        .unwrap()
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{l},h1\n")
            } else {
                format!("{l},{}\n", u8::from(l.contains(",H1,")))
            }
        })
        .collect();
    std::fs::write(&p, text).unwrap();
    harmonize_fit_fails(
        &p,
        &["--covariates", "h1"],
        &["t.csv", "`h1` is confounded with batch"],
    );
}

/// `harmonize apply`: a table without a feature of the model, a new batch of
/// one row, and a file that is not a model.
#[test]
fn case_harmonize_apply_missing_feature_small_batch_not_a_model() {
    let t = tempfile::tempdir().unwrap();
    let p = harmonize_table(t.path(), "t.csv");
    let model = t.path().join("combat.json");
    let fitted = t.path().join("fitted.csv");
    succeeds(&[
        "harmonize",
        "fit",
        "--data",
        s(&p),
        "--batch",
        "site",
        "--reference",
        "H1",
        "--model",
        s(&model),
        "--out",
        s(&fitted),
    ]);
    let text = std::fs::read_to_string(&p).unwrap();
    let out = t.path().join("new.harmonized.csv");
    let apply = |data: &Path, m: &Path, needles: &[&str]| {
        fails(
            &[
                "harmonize",
                "apply",
                "--model",
                s(m),
                "--data",
                s(data),
                "--batch",
                "site",
                "--out",
                s(&out),
            ],
            needles,
            &[&out],
        );
    };
    // Without f_b.
    let dropped: String = text
        .lines()
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            [&c[..4], &c[5..]].concat().join(",") + "\n"
        })
        .collect();
    let new = t.path().join("new.csv");
    std::fs::write(&new, dropped).unwrap();
    apply(
        &new,
        &model,
        &["new.csv", "feature(s) of the model", "missing: f_b"],
    );
    // A new batch H7 of one row.
    let one: String = text
        .lines()
        .take(2)
        .map(|l| l.replace(",H1,", ",H7,") + "\n")
        .collect();
    std::fs::write(&new, one).unwrap();
    apply(
        &new,
        &model,
        &["new.csv", "batch `H7` has 1 row(s)", "at least 2 rows"],
    );
    // The fitted table given as the model.
    apply(&p, &fitted, &["fitted.csv", "not valid JSON"]);
    let other = t.path().join("other.json");
    std::fs::write(&other, "{\"format\": \"dlrn-model-bundle\"}").unwrap();
    apply(&p, &other, &["other.json", "not a harmonisation model"]);
}

// ------------------------------------------------------------- samplesize

/// pmsampsize's inputs out of range: each a clear error, exit 2, no panic.
#[test]
fn case_samplesize_bad_inputs() {
    fails(
        &[
            "samplesize",
            "--parameters",
            "24",
            "--prevalence",
            "1.2",
            "--r2cs",
            "0.288",
        ],
        &["--prevalence 1.2", "between 0 and 1"],
        &[],
    );
    fails(
        &[
            "samplesize",
            "--parameters",
            "24",
            "--prevalence",
            "0",
            "--cstatistic",
            "0.8",
        ],
        &["--prevalence 0", "between 0 and 1"],
        &[],
    );
    fails(
        &[
            "samplesize",
            "--parameters",
            "24",
            "--prevalence",
            "0.2",
            "--cstatistic",
            "0.5",
        ],
        &["--cstatistic 0.5", "between 0.5 and 1"],
        &[],
    );
    fails(
        &[
            "samplesize",
            "--parameters",
            "40",
            "--prevalence",
            "0.2",
            "--r2cs",
            "0.2",
            "--available",
            "40",
        ],
        &[
            "--parameters 40",
            "--available 40",
            "fewer parameters than patients",
        ],
        &[],
    );
    // R²cs above the maximum possible at φ = 0.1 (0.478).
    fails(
        &[
            "samplesize",
            "--parameters",
            "24",
            "--prevalence",
            "0.1",
            "--r2cs",
            "0.7",
        ],
        &["Cox–Snell R²", "0.7", "maximum possible"],
        &[],
    );
}

/// pmsampsize's first documented example (Riley et al. 2020, BMJ 368:m441):
/// R²cs 0.288, 24 parameters, prevalence 0.174 → 662 patients (criterion 2).
#[test]
fn case_samplesize_documented_example() {
    let out = succeeds(&[
        "samplesize",
        "--parameters",
        "24",
        "--prevalence",
        "0.174",
        "--r2cs",
        "0.288",
        "--json",
        "--available",
        "600",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["sample_size"], 662);
    assert_eq!(v["adequate"], false);
    let n: Vec<u64> = v["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["sample_size"].as_u64().unwrap())
        .collect();
    assert_eq!(n, [623, 662, 221, 662]);
}
