//! The nomogram figure: SVG text and PNG output.

mod common;

use common::{fixture, model, options};
use dlrn_nomogram::{FigureOptions, Nomogram};

fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

#[test]
fn svg_and_png_show_every_axis() {
    let f = fixture();
    let nom = Nomogram::new(model(&f, false), options(&f, false)).unwrap();
    let opts = FigureOptions {
        title: Some("DLRN nomogram".into()),
        ..FigureOptions::default()
    };
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("nomogram");
    std::fs::create_dir_all(&dir).unwrap();
    let svg_path = dir.join("nomogram.svg");
    let png_path = dir.join("nomogram.png");
    nom.write_svg(&svg_path, &opts).unwrap();
    nom.write_png(&png_path, &opts).unwrap();
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    let texts: Vec<&str> = svg
        .split("<text")
        .skip(1)
        .filter_map(|t| t.split_once('>'))
        .map(|(_, r)| r.split('<').next().unwrap_or("").trim())
        .collect();
    for label in [
        "Points",
        "Age (years)",
        "BI-RADS category",
        "Nuclear grade",
        "US-reported ALN status",
        "DLR signature",
        "Total points",
        "Linear predictor",
        "Probability of ALN metastasis",
        "4A",
        "4C",
        "III",
        "suspicious",
        "non-suspicious",
        "0.9",
    ] {
        assert!(texts.contains(&label), "SVG lacks the text {label:?}");
    }
    assert!(texts.iter().any(|t| t.starts_with("cut-off 0.407: ")));
    let (w, h) = nom.figure_size(&opts);
    let png = std::fs::read(&png_path).unwrap();
    assert_eq!(png_size(&png), (2 * w, 2 * h));
    // Drawing twice gives the same bytes.
    assert_eq!(nom.to_svg_string(&opts).unwrap(), svg);
}

#[test]
fn figure_without_cutoff_title_or_linear_predictor() {
    let f = fixture();
    let mut o = options(&f, true);
    o.cutoff = None;
    let nom = Nomogram::new(model(&f, true), o).unwrap();
    let opts = FigureOptions {
        title: None,
        show_linear_predictor: false,
        ..FigureOptions::default()
    };
    let full = FigureOptions::default();
    let svg = nom.to_svg_string(&opts).unwrap();
    assert!(!svg.contains("Linear predictor") && !svg.contains("cut-off"));
    assert!(svg.contains("0.95"), "explicit probability ticks drawn");
    assert!(nom.figure_size(&opts).1 < nom.figure_size(&full).1);
}
