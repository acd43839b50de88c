//! `dlrn extract handcrafted` and `dlrn validate` on cohorts given as DICOM
//! images with ImageJ ROI / NIfTI masks, and the bad inputs of those formats:
//! each is a message naming the file and what is wrong, and exit code 2.
//! Files: crates/cohort/tests/fixtures/formats (written by pydicom, roifile,
//! nibabel; see its README.md).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn dlrn() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dlrn"))
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/cohort/tests/fixtures/formats")
        .join(name)
}

fn put(dir: &Path, from: &Path, to: &str) {
    let dest = dir.join(to);
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    std::fs::copy(from, dest).unwrap();
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn extract(cohort: &Path, out: &Path, extra: &[&str]) -> Output {
    dlrn()
        .args(["extract", "handcrafted", "--cohort"])
        .arg(cohort)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn dicom_with_roi_and_nifti_extracts_like_png() {
    let tmp = tempfile::tempdir().unwrap();
    let c = tmp.path().join("c");
    let bus = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/radiomics/tests/fixtures");
    put(&c, &bus.join("BUS02.png"), "images/P1.png");
    put(&c, &bus.join("BUS02_mask.png"), "masks/P1.png");
    put(&c, &fixture("lesion/BUS02_rle.dcm"), "images/P2.dcm");
    put(&c, &fixture("lesion/BUS02.roi"), "masks/P2.roi");
    put(&c, &fixture("lesion/BUS02_grey.dcm"), "images/P3.dcm");
    put(&c, &fixture("lesion/BUS02.nii.gz"), "masks/P3.nii.gz");
    let v = dlrn().arg("validate").arg(&c).output().unwrap();
    assert!(v.status.success(), "{}", text(&v));
    let summary = String::from_utf8_lossy(&v.stdout);
    assert!(
        summary.contains("grey levels: as stored (8-bit) 3"),
        "{summary}"
    );
    let out = tmp.path().join("f.csv");
    let o = extract(&c, &out, &["--strict"]);
    assert!(o.status.success(), "{}", text(&o));
    let table = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<&str> = table.lines().skip(1).collect();
    assert_eq!(rows.len(), 3);
    // Provenance: how each image reached 8-bit grey.
    let grey: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("f.csv.grey.json")).unwrap())
            .unwrap();
    assert_eq!(grey["P1"]["format"], "8-bit grey");
    assert_eq!(grey["P2"]["voi"]["kind"], "as_stored");
    assert!(
        grey["P2"]["transfer_syntax"]
            .as_str()
            .unwrap()
            .contains("1.2.840.10008.1.2.5"),
        "{grey}"
    );
    assert!(
        grey["P3"]["transfer_syntax"]
            .as_str()
            .unwrap()
            .contains("1.2.840.10008.1.2.1"),
        "{grey}"
    );
    let values = |r: &str| r.split_once(',').unwrap().1.to_string();
    assert_eq!(values(rows[0]), values(rows[1]));
    assert_eq!(values(rows[0]), values(rows[2]));
}

#[test]
fn bad_format_inputs_are_named_and_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let c = tmp.path().join("c");
    // A 64×48 PNG for the outline and NIfTI cases (their fixtures' grid).
    std::fs::create_dir_all(c.join("images")).unwrap();
    let img =
        image::GrayImage::from_fn(64, 48, |x, y| image::Luma([((x * 3 + y * 5) % 256) as u8]));
    for id in ["roi_out", "nii_size", "multi"] {
        img.save(c.join(format!("images/{id}.png"))).unwrap();
    }
    put(&c, &fixture("roi/outside.roi"), "masks/roi_out.roi");
    put(&c, &fixture("nifti/wrong_size.nii"), "masks/nii_size.nii");
    put(
        &c,
        &fixture("nifti/two_labels.nii.gz"),
        "masks/multi.nii.gz",
    );
    put(
        &c,
        &fixture("dicom/MR_small_jpeg_ls_lossless.dcm"),
        "images/jpegls.dcm",
    );
    put(&c, &fixture("roi/polygon.roi"), "masks/jpegls.roi");

    let out = tmp.path().join("f.csv");
    let o = extract(&c, &out, &["--strict"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = text(&o);
    for want in [
        "roi_out.roi",
        "outside the 64×48 image",
        "nii_size.nii",
        "64×49",
        "multi.nii.gz",
        "2 distinct non-zero values",
        "jpegls.dcm",
        "JPEG-LS",
        "4 image(s) failed",
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
    // Validation reports the same problems and exits 2.
    let v = dlrn().arg("validate").arg(&c).output().unwrap();
    assert_eq!(v.status.code(), Some(2), "{}", text(&v));
    let all = format!("{}{}", text(&v), String::from_utf8_lossy(&v.stdout));
    for want in ["roi_out.roi", "nii_size.nii", "multi.nii.gz", "jpegls.dcm"] {
        assert!(all.contains(want), "validate: missing {want:?} in:\n{all}");
    }
    // The label chosen on the command line resolves the two-label mask.
    let c2 = tmp.path().join("c2");
    put(&c2, &c.join("images/multi.png"), "images/multi.png");
    put(
        &c2,
        &fixture("nifti/two_labels.nii.gz"),
        "masks/multi.nii.gz",
    );
    let o = extract(
        &c2,
        &tmp.path().join("g.csv"),
        &["--strict", "--mask-label", "2"],
    );
    assert!(!text(&o).contains("distinct non-zero"), "{}", text(&o));
}

#[test]
fn multi_frame_dicom_warns_without_frame() {
    let tmp = tempfile::tempdir().unwrap();
    let c = tmp.path().join("c");
    put(&c, &fixture("dicom/SC_rgb_rle_2frame.dcm"), "images/P1.dcm");
    let m = image::GrayImage::from_fn(100, 100, |x, y| {
        image::Luma([if (30..70).contains(&x) && (35..65).contains(&y) {
            255
        } else {
            0
        }])
    });
    std::fs::create_dir_all(c.join("masks")).unwrap();
    m.save(c.join("masks/P1.png")).unwrap();
    let o = extract(&c, &tmp.path().join("f.csv"), &[]);
    let err = text(&o);
    assert!(
        err.contains("P1.dcm") && err.contains("2 frames") && err.contains("using frame 1"),
        "{err}"
    );
    let v = dlrn().arg("validate").arg(&c).output().unwrap();
    assert!(v.status.success(), "{}", text(&v));
    assert!(text(&v).contains("using frame 1"), "{}", text(&v));
    let o = extract(&c, &tmp.path().join("g.csv"), &["--frame", "2"]);
    assert!(!text(&o).contains("using frame 1"), "{}", text(&o));
    let o = extract(&c, &tmp.path().join("h.csv"), &["--frame", "3", "--strict"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("--frame 3 is out of range"),
        "{}",
        text(&o)
    );
}
