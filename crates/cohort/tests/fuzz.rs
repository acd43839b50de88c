//! Property-based fuzzing of every loader a user's file reaches: images (PNG,
//! JPEG, TIFF, BMP, DICOM), masks (raster, ImageJ ROI, NIfTI), the clinical
//! table and feature tables. The property is the same everywhere: the loader
//! returns `Ok` or a typed error and never panics.
//!
//! Inputs are random bytes and mutations (byte flips, truncations, inserted
//! runs) of valid files: a PNG written here, and the pydicom / roifile /
//! nibabel files of tests/fixtures/formats. Cases per target: 64 by default
//! (the default test run stays fast); `PROPTEST_CASES=N` runs N per target.

use std::path::{Path, PathBuf};

use dlrn_cohort::{
    ImageOptions, MaskOptions, Table, load_image, load_mask, load_mask_for, read_clinical,
    roi::decode_roi,
};
use proptest::prelude::*;
use proptest::test_runner::Config;

/// Cases per target: `PROPTEST_CASES` when set, else 64.
fn config() -> Config {
    dlrn_testdata::fuzz_config(64)
}

fn fixture(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/formats")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A valid 24×16 8-bit grey PNG with a gradient.
fn png() -> Vec<u8> {
    let img = image::GrayImage::from_fn(24, 16, |x, y| image::Luma([(x * 9 + y * 5) as u8]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encoding a PNG in memory");
    out.into_inner()
}

/// A 0/255 24×16 mask PNG with a 6×5 lesion.
fn mask_png() -> Vec<u8> {
    let img = image::GrayImage::from_fn(24, 16, |x, y| {
        image::Luma([if (5..11).contains(&x) && (4..9).contains(&y) {
            255
        } else {
            0
        }])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encoding a PNG in memory");
    out.into_inner()
}

/// One edit of a valid file.
#[derive(Debug, Clone)]
enum Edit {
    /// Set the byte at (position mod length) to a value.
    Set(usize, u8),
    /// Keep only the first (position mod length) bytes.
    Truncate(usize),
    /// Insert a run of a byte at (position mod length).
    Insert(usize, u8, usize),
    /// XOR one bit.
    Flip(usize, u8),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (any::<usize>(), any::<u8>()).prop_map(|(p, v)| Edit::Set(p, v)),
        1 => any::<usize>().prop_map(Edit::Truncate),
        1 => (any::<usize>(), any::<u8>(), 1usize..64).prop_map(|(p, v, n)| Edit::Insert(p, v, n)),
        4 => (any::<usize>(), 0u8..8).prop_map(|(p, b)| Edit::Flip(p, b)),
    ]
}

/// Up to 8 edits, biased to the header (half of them land in the first 512 bytes).
fn edits() -> impl Strategy<Value = Vec<(bool, Edit)>> {
    prop::collection::vec((any::<bool>(), edit()), 1..8)
}

fn mutate(mut bytes: Vec<u8>, edits: &[(bool, Edit)]) -> Vec<u8> {
    for (header, e) in edits {
        if bytes.is_empty() {
            break;
        }
        let span = if *header {
            bytes.len().min(512)
        } else {
            bytes.len()
        };
        match *e {
            Edit::Set(p, v) => bytes[p % span] = v,
            Edit::Truncate(p) => bytes.truncate(p % bytes.len()),
            Edit::Insert(p, v, n) => {
                let at = p % span;
                bytes.splice(at..at, std::iter::repeat_n(v, n));
            }
            Edit::Flip(p, b) => bytes[p % span] ^= 1 << b,
        }
    }
    bytes
}

/// Writes `bytes` to a fresh file `name` in a temporary folder.
fn file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).expect("writing a temporary file");
    p
}

const IMAGE_EXTS: [&str; 6] = ["png", "jpg", "tif", "bmp", "dcm", "jpeg"];

proptest! {
    #![proptest_config(config())]

    #[test]
    fn image_loader_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048), ext in 0..IMAGE_EXTS.len()) {
        let dir = tempfile::tempdir().unwrap();
        let p = file(&dir, &format!("P1.{}", IMAGE_EXTS[ext]), &bytes);
        let _ = load_image(&p, &ImageOptions::default());
    }

    #[test]
    fn image_loader_mutated_png(e in edits()) {
        let dir = tempfile::tempdir().unwrap();
        let p = file(&dir, "P1.png", &mutate(png(), &e));
        if let Ok(img) = load_image(&p, &ImageOptions::default()) {
            prop_assert_eq!(img.image.pixels.len(), img.image.width * img.image.height);
        }
    }

    #[test]
    fn image_loader_mutated_dicom(e in edits()) {
        let dir = tempfile::tempdir().unwrap();
        let p = file(&dir, "P1.dcm", &mutate(fixture("lesion/BUS02_grey.dcm"), &e));
        if let Ok(img) = load_image(&p, &ImageOptions::default()) {
            prop_assert_eq!(img.image.pixels.len(), img.image.width * img.image.height);
        }
    }

    /// Finding, for crates/cohort/src/dicom.rs: dicom-transfer-syntax-registry
    /// dicom-transfer-syntax-registry 0.10.1 panics (index out of bounds,
    /// adapters/rle_lossless.rs:223) on a truncated RLE Lossless file, e.g.
    /// BUS02_rle.dcm cut to 26015 bytes; the loader turns it into a typed
    /// error. Regression: tests/bad_inputs.rs `case_dicom_rle_truncated`.
    #[test]
    fn image_loader_mutated_rle_dicom(e in edits()) {
        let dir = tempfile::tempdir().unwrap();
        let p = file(&dir, "P1.dcm", &mutate(fixture("lesion/BUS02_rle.dcm"), &e));
        let _ = load_image(&p, &ImageOptions::default());
    }

    #[test]
    fn mask_loader_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let dir = tempfile::tempdir().unwrap();
        let p = file(&dir, "P1.png", &bytes);
        let _ = load_mask(&p);
    }

    #[test]
    fn mask_loader_mutated_png(e in edits()) {
        let dir = tempfile::tempdir().unwrap();
        let p = file(&dir, "P1.png", &mutate(mask_png(), &e));
        let _ = load_mask_for(&p, (24, 16), &MaskOptions::default());
    }

    #[test]
    fn roi_decoder_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode_roi(Path::new("P1.roi"), &bytes);
    }

    #[test]
    fn roi_mask_mutated(e in edits()) {
        let dir = tempfile::tempdir().unwrap();
        let bytes = mutate(fixture("lesion/BUS02.roi"), &e);
        let _ = decode_roi(Path::new("P1.roi"), &bytes);
        let p = file(&dir, "P1.roi", &bytes);
        let _ = load_mask_for(&p, (120, 90), &MaskOptions::default());
    }

    #[test]
    fn nifti_mask_mutated(e in edits(), gz in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let (src, name, size) = if gz {
            ("lesion/BUS02.nii.gz", "P1.nii.gz", (120, 90))
        } else {
            ("nifti/mask3d.nii", "P1.nii", (40, 30))
        };
        let p = file(&dir, name, &mutate(fixture(src), &e));
        let _ = load_mask_for(&p, size, &MaskOptions::default());
    }

    #[test]
    fn nifti_mask_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..1024), gz in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let name = if gz { "P1.nii.gz" } else { "P1.nii" };
        let p = file(&dir, name, &bytes);
        let _ = load_mask_for(&p, (16, 16), &MaskOptions::default());
    }

    #[test]
    fn clinical_reader_mutated(e in edits(), junk in prop::collection::vec(prop::sample::select(vec![",", ";", "\"", "\r\n", "\n", "NaN", "inf", "-1e308", "\u{feff}", "é", "", "4D", "1"]), 0..12)) {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from("id,ALN_status,age,bmi,birads,location,nuclear_grade,tumour_type,er,pr,her2,ki67,subtype,us_aln,us_size_cm\n");
        for id in ["P1", "P2", "P3"] {
            text.push_str(&format!("{id},1,54,24.3,4B,UOQ,2,invasive_nst,pos,pos,neg,pos,luminal_b,suspicious,2.1\n"));
        }
        for j in &junk {
            text.push_str(j);
        }
        let bytes = mutate(text.into_bytes(), &e);
        let p = file(&dir, "clinical.csv", &bytes);
        let _ = read_clinical(&p);
    }

    #[test]
    fn feature_table_reader_mutated(e in edits(), parquet in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let text = "id,ALN_status,f1,f2\nP1,0,0.5,1e3\nP2,1,-2,NaN\nP3,1,,inf\n";
        let name = if parquet { "t.parquet" } else { "t.csv" };
        let bytes = mutate(text.as_bytes().to_vec(), &e);
        let p = file(&dir, name, &bytes);
        let _ = Table::read(&p);
    }

    #[test]
    fn feature_table_reader_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..1024), parquet in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let name = if parquet { "t.parquet" } else { "t.csv" };
        let p = file(&dir, name, &bytes);
        let _ = Table::read(&p);
    }
}
