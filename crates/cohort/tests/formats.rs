//! Image and mask formats against files written and decoded by independent
//! tools (pydicom, pylibjpeg, roifile, nibabel, matplotlib); see
//! tests/fixtures/formats/README.md and make_formats.py.

use std::path::{Path, PathBuf};

use dlrn_cohort::{
    ImageOptions, Mask, MaskOptions, Voi, load_image, load_mask_for, load_raster_mask,
};
use serde_json::Value;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/formats")
}

fn expected() -> Value {
    let text = std::fs::read_to_string(dir().join("expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("expected.json parses")
}

fn png_grey(path: &Path) -> (usize, usize, Vec<u8>) {
    let img = image::open(path).expect("reference png").to_luma8();
    (img.width() as usize, img.height() as usize, img.into_raw())
}

fn png_mask(path: &Path) -> Mask {
    let (w, h, px) = png_grey(path);
    Mask {
        width: w,
        height: h,
        pixels: px.into_iter().map(|v| v > 0).collect(),
    }
}

/// Largest absolute grey-level difference on lossy JPEG files. The two
/// decoders (jpeg-decoder here, libjpeg via pylibjpeg in the reference) use
/// different IDCT and YCbCr→RGB integer arithmetic; measured: 1 level on 1 %
/// (YBR_FULL) and 5.5 % (YBR_FULL_422) of the pixels. Lossless data, and the
/// lossy JPEG 2000 file (both sides decode with OpenJPEG's algorithm), are equal.
const JPEG_TOLERANCE: u8 = 1;
/// Share of pixels allowed to differ at all on lossy files.
const JPEG_DIFF_SHARE: f64 = 0.10;

#[test]
fn dicom_grey_equals_pydicom_decoded_and_converted() {
    let exp = expected();
    let mut checked = 0;
    for e in exp["dicom"].as_array().unwrap() {
        let file = dir().join(e["file"].as_str().unwrap());
        let frame = e["frame"].as_u64().unwrap() as u32;
        let opts = ImageOptions {
            frame: Some(frame),
            ..Default::default()
        };
        let got =
            load_image(&file, &opts).unwrap_or_else(|err| panic!("{}: {err}", file.display()));
        let (w, h, want) = png_grey(&dir().join(e["reference"].as_str().unwrap()));
        assert_eq!(
            (got.image.width, got.image.height),
            (w, h),
            "{}",
            file.display()
        );
        let diffs: Vec<u8> = got
            .image
            .pixels
            .iter()
            .zip(&want)
            .map(|(a, b)| a.abs_diff(*b))
            .collect();
        let max = diffs.iter().copied().max().unwrap_or(0);
        let n_diff = diffs.iter().filter(|&&d| d > 0).count();
        eprintln!(
            "{}: frame {frame}: {n_diff} of {} pixels differ, max {max}",
            e["file"],
            diffs.len()
        );
        if e["lossy"].as_bool().unwrap() {
            assert!(
                max <= JPEG_TOLERANCE && (n_diff as f64) <= JPEG_DIFF_SHARE * diffs.len() as f64,
                "{}: max diff {max}, {n_diff} of {} pixels differ",
                file.display(),
                diffs.len()
            );
        } else {
            assert_eq!(
                max,
                0,
                "{}: {n_diff} of {} pixels differ (max {max})",
                file.display(),
                diffs.len()
            );
        }
        // The mapping recorded is the one the reference used.
        let m = &e["mapping"];
        match (&got.mapping.voi, m["kind"].as_str().unwrap()) {
            (Voi::AsStored, "as_stored") => {}
            (Voi::Window { center, width, .. }, "window") => {
                assert_eq!(*center, m["center"].as_f64().unwrap());
                assert_eq!(*width, m["width"].as_f64().unwrap());
            }
            (Voi::MinMax { min, max }, "min_max") => {
                assert!(
                    (min - m["min"].as_f64().unwrap()).abs() < 1e-9,
                    "{}",
                    file.display()
                );
                assert!(
                    (max - m["max"].as_f64().unwrap()).abs() < 1e-9,
                    "{}",
                    file.display()
                );
            }
            (v, k) => panic!("{}: mapping {v:?}, reference used {k}", file.display()),
        }
        assert!(got.mapping.transfer_syntax.is_some());
        checked += 1;
    }
    assert_eq!(checked, 15, "DICOM references checked");
}

#[test]
fn rescale_and_monochrome1_are_recorded() {
    let ct = load_image(&dir().join("dicom/CT_small.dcm"), &ImageOptions::default()).unwrap();
    let r = ct.mapping.rescale.expect("CT_small has a rescale");
    assert_eq!((r.slope, r.intercept), (1.0, -1024.0));
    let m1 = load_image(
        &dir().join("dicom/MR_small_mono1.dcm"),
        &ImageOptions::default(),
    )
    .unwrap();
    let m2 = load_image(&dir().join("dicom/MR_small.dcm"), &ImageOptions::default()).unwrap();
    assert!(m1.mapping.inverted && !m2.mapping.inverted);
    assert!(
        m1.image
            .pixels
            .iter()
            .zip(&m2.image.pixels)
            .all(|(a, b)| *a == 255 - *b)
    );
}

#[test]
fn multi_frame_without_a_frame_takes_the_first_and_warns() {
    let f = dir().join("dicom/SC_rgb_rle_2frame.dcm");
    let first = load_image(&f, &ImageOptions::default()).unwrap();
    assert_eq!(first.warnings.len(), 1);
    assert!(
        first.warnings[0].contains("SC_rgb_rle_2frame.dcm")
            && first.warnings[0].contains("2 frames")
            && first.warnings[0].contains("--frame"),
        "{:?}",
        first.warnings
    );
    let frame = first.mapping.frame.unwrap();
    assert_eq!((frame.frame, frame.frames), (1, 2));
    let one = load_image(
        &f,
        &ImageOptions {
            frame: Some(1),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(one.warnings.is_empty());
    assert_eq!(one.image, first.image);
    let two = load_image(
        &f,
        &ImageOptions {
            frame: Some(2),
            ..Default::default()
        },
    )
    .unwrap();
    assert_ne!(two.image, first.image);
    let err = load_image(
        &f,
        &ImageOptions {
            frame: Some(3),
            ..Default::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("SC_rgb_rle_2frame.dcm") && err.contains("2 frame(s)"),
        "{err}"
    );
}

#[test]
fn undecodable_dicom_names_file_and_transfer_syntax() {
    let f = dir().join("dicom/MR_small_jpeg_ls_lossless.dcm");
    let err = load_image(&f, &ImageOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("MR_small_jpeg_ls_lossless.dcm")
            && err.contains("JPEG-LS")
            && err.contains("1.2.840.10008.1.2.4.80"),
        "{err}"
    );
    // A file that is not DICOM at all.
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("junk.dcm");
    std::fs::write(&bad, b"not a dicom file").unwrap();
    let err = load_image(&bad, &ImageOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("junk.dcm") && err.contains("not a readable DICOM"),
        "{err}"
    );
}

/// Pixels where two masks differ, each of which must touch the reference
/// outline (a pixel of the reference whose 4-neighbour is outside it, or the
/// reverse): "within one boundary pixel".
fn off_boundary(got: &Mask, want: &Mask) -> (usize, usize) {
    let (w, h) = (want.width, want.height);
    let at = |x: i64, y: i64| -> bool {
        x >= 0
            && y >= 0
            && (x as usize) < w
            && (y as usize) < h
            && want.pixels[y as usize * w + x as usize]
    };
    let mut diff = 0;
    let mut far = 0;
    for y in 0..h as i64 {
        for x in 0..w as i64 {
            let i = y as usize * w + x as usize;
            if got.pixels[i] != want.pixels[i] {
                diff += 1;
                let v = at(x, y);
                let edge = [(1, 0), (-1, 0), (0, 1), (0, -1)]
                    .iter()
                    .any(|(dx, dy)| at(x + dx, y + dy) != v);
                if !edge {
                    far += 1;
                }
            }
        }
    }
    (diff, far)
}

#[test]
fn imagej_rois_match_an_independent_rasteriser() {
    let exp = expected();
    for e in exp["roi"].as_array().unwrap() {
        let file = dir().join(e["file"].as_str().unwrap());
        let want = png_mask(&dir().join(e["reference"].as_str().unwrap()));
        let size = (
            e["width"].as_u64().unwrap() as usize,
            e["height"].as_u64().unwrap() as usize,
        );
        let got = load_mask_for(&file, size, &MaskOptions::default())
            .unwrap_or_else(|err| panic!("{}: {err}", file.display()));
        let (diff, far) = off_boundary(&got, &want);
        assert_eq!(
            far,
            0,
            "{}: {diff} pixels differ, {far} off the outline",
            file.display()
        );
        // Polygon, traced, rectangle, composite and this oval are exact.
        assert_eq!(diff, 0, "{}: {diff} boundary pixels differ", file.display());
    }
}

#[test]
fn roiset_zip_picks_by_name_or_the_single_roi() {
    let size = (64, 48);
    let zip = dir().join("roi/RoiSet.zip");
    let pick = |name: &str| MaskOptions {
        roi: Some(name.into()),
        ..Default::default()
    };
    let lesion = load_mask_for(&zip, size, &pick("lesion")).unwrap();
    assert_eq!(lesion, png_mask(&dir().join("roi/polygon_mask.png")));
    let node = load_mask_for(&zip, size, &pick("node")).unwrap();
    assert_eq!(node, png_mask(&dir().join("roi/oval_mask.png")));
    let err = load_mask_for(&zip, size, &MaskOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("RoiSet.zip") && err.contains("2 ROIs (lesion, node)"),
        "{err}"
    );
    let err = load_mask_for(&zip, size, &pick("tumour"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("no ROI named \"tumour\""), "{err}");
    let one = load_mask_for(
        &dir().join("roi/RoiSet_one.zip"),
        size,
        &MaskOptions::default(),
    )
    .unwrap();
    assert_eq!(one, png_mask(&dir().join("roi/rect_mask.png")));
}

#[test]
fn roi_outside_the_image_is_an_error() {
    let err = load_mask_for(
        &dir().join("roi/outside.roi"),
        (64, 48),
        &MaskOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("outside.roi") && err.contains("outside the 64×48 image"),
        "{err}"
    );
}

#[test]
fn nifti_masks_written_by_nibabel() {
    let exp = expected();
    for e in exp["nifti"].as_array().unwrap() {
        let file = dir().join(e["file"].as_str().unwrap());
        let want = png_mask(&dir().join(e["reference"].as_str().unwrap()));
        let opts = MaskOptions {
            label: e["label"].as_u64(),
            ..Default::default()
        };
        let got = load_mask_for(&file, (want.width, want.height), &opts)
            .unwrap_or_else(|err| panic!("{}: {err}", file.display()));
        assert_eq!(got, want, "{}", file.display());
    }
    // Two labels and none chosen: an error counting them.
    let two = dir().join("nifti/two_labels.nii.gz");
    let err = load_mask_for(&two, (64, 48), &MaskOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("two_labels.nii.gz") && err.contains("2 distinct non-zero values"),
        "{err}"
    );
    // A 3-D mask read at a slice without lesion is empty; out of range is an error.
    let vol = dir().join("nifti/mask3d.nii");
    let s1 = load_mask_for(
        &vol,
        (64, 48),
        &MaskOptions {
            slice: Some(1),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(s1.area(), 0);
    let err = load_mask_for(
        &vol,
        (64, 48),
        &MaskOptions {
            slice: Some(5),
            ..Default::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("4 slice(s)"), "{err}");
}

#[test]
fn nifti_of_the_wrong_size_or_orientation_is_an_error() {
    let err = load_mask_for(
        &dir().join("nifti/wrong_size.nii"),
        (64, 48),
        &MaskOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("wrong_size.nii") && err.contains("64×49") && err.contains("64×48"),
        "{err}"
    );
    let err = load_mask_for(
        &dir().join("nifti/transposed.nii.gz"),
        (64, 48),
        &MaskOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("48×64") && err.contains("looks transposed"),
        "{err}"
    );
}

#[test]
fn multi_valued_raster_mask_is_an_error_that_counts_values() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("m.png");
    let img = image::GrayImage::from_fn(10, 10, |x, _| {
        image::Luma([[0u8, 0, 0, 1, 1, 2, 0, 0, 0, 0][x as usize]])
    });
    img.save(&p).unwrap();
    let err = load_raster_mask(&p, None).unwrap_err().to_string();
    assert!(
        err.contains("m.png")
            && err.contains("2 distinct non-zero values")
            && err.contains("1 (20 px)")
            && err.contains("2 (10 px)")
            && err.contains("--mask-label"),
        "{err}"
    );
    assert_eq!(load_raster_mask(&p, Some(2)).unwrap().area(), 10);
}

#[test]
fn mask_saved_as_jpeg_is_refused_as_lossy() {
    // The polygon's 0/255 mask written as JPEG (quality 75) by Pillow:
    // 54 distinct values, 52 of them between 0 and 255.
    let p = dir().join("roi/polygon_mask_q75.jpg");
    for label in [None, Some(255)] {
        let err = load_raster_mask(&p, label).unwrap_err().to_string();
        assert!(
            err.contains("polygon_mask_q75.jpg")
                && err.contains("54 distinct values, 52 of them between the main values 0 and 255")
                && err.contains("lossy compression"),
            "{err}"
        );
    }
}

fn features(image: &Path, mask: &Path, mask_opts: &MaskOptions) -> Vec<f64> {
    let img = load_image(image, &ImageOptions::default()).unwrap().image;
    let m = load_mask_for(mask, (img.width, img.height), mask_opts).unwrap();
    dlrn_radiomics::extract(img.width, img.height, &img.pixels, &m.pixels)
        .unwrap()
        .values
}

#[test]
fn one_lesion_three_encodings_same_544_features() {
    let bus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../radiomics/tests/fixtures");
    let png = features(
        &bus.join("BUS02.png"),
        &bus.join("BUS02_mask.png"),
        &MaskOptions::default(),
    );
    assert_eq!(png.len(), 544);
    let roi = features(
        &dir().join("lesion/BUS02_rle.dcm"),
        &dir().join("lesion/BUS02.roi"),
        &MaskOptions::default(),
    );
    let nii = features(
        &dir().join("lesion/BUS02_grey.dcm"),
        &dir().join("lesion/BUS02.nii.gz"),
        &MaskOptions::default(),
    );
    for (i, ((a, b), c)) in png.iter().zip(&roi).zip(&nii).enumerate() {
        let same = |x: f64, y: f64| x == y || (x.is_nan() && y.is_nan());
        assert!(
            same(*a, *b) && same(*a, *c),
            "feature {i}: png {a}, dicom+roi {b}, dicom+nifti {c}"
        );
    }
}
