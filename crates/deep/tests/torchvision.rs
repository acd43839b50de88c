//! Equivalence with torchvision (fixtures made by tests/fixtures/make_*.py).

use std::path::{Path, PathBuf};

use burn::backend::Flex;
use dlrn_deep::preprocess::{Grey, PreprocessConfig, preprocess};
use dlrn_deep::resnet::ResNetConfig;
use dlrn_deep::weights::import_torchvision;
use dlrn_deep::{FusedResNet, features, load_weights};

type B = Flex;

fn fixture(name: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    assert!(
        p.exists(),
        "missing fixture {} (run its make_*.py)",
        p.display()
    );
    p
}

fn read_f32(name: &str) -> Vec<f32> {
    let bytes = std::fs::read(fixture(name)).unwrap();
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn small_config(num_classes: Option<usize>) -> ResNetConfig {
    ResNetConfig {
        base_width: 4,
        blocks: [3, 4, 6, 3],
        num_classes,
    }
}

fn small_inputs() -> Vec<Vec<f32>> {
    let x = read_f32("small_input.bin");
    assert_eq!(x.len(), 2 * 3 * 80 * 80);
    x.chunks(3 * 80 * 80).map(<[f32]>::to_vec).collect()
}

/// Tolerance of the issue: 1e-4 × max|f| (f32 accumulation order differs
/// between oneDNN and Burn's gemm).
fn assert_close(got: &[f32], want: &[f32], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
    assert!(scale > 0.0, "{what}: degenerate reference");
    let worst = got
        .iter()
        .zip(want)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(
        worst <= 1e-4 * scale,
        "{what}: max |Δ| = {worst:e} > 1e-4 × {scale:e}"
    );
}

fn check_features(weights: &str) {
    let device = Default::default();
    let (model, info) =
        load_weights::<B>(small_config(None), Some(&fixture(weights)), 0, &device).unwrap();
    assert!(info.to_string().contains(weights), "{info}");
    let got: Vec<f32> = features(&model, &small_inputs(), 80, &device).concat();
    assert_close(&got, &read_f32("small_features.bin"), weights);
}

#[test]
fn narrow_resnet_features_match_torchvision_from_safetensors() {
    check_features("small_resnet.safetensors");
}

#[test]
fn narrow_resnet_features_match_torchvision_from_pth() {
    check_features("small_resnet.pth");
}

#[test]
fn folded_batchnorm_features_match_torchvision() {
    let device = Default::default();
    let (model, _) = load_weights::<B>(
        small_config(None),
        Some(&fixture("small_resnet.safetensors")),
        0,
        &device,
    )
    .unwrap();
    let fused = FusedResNet::new(&model);
    let got: Vec<f32> = features(&fused, &small_inputs(), 80, &device).concat();
    assert_close(&got, &read_f32("small_features.bin"), "folded BatchNorm");
}

#[test]
fn head_logits_match_torchvision() {
    // The fc layer is imported too when the network has a head of the same shape
    // (torch stores it [out, in]; Burn [in, out]).
    let device = Default::default();
    let model = small_config(Some(10)).init::<B>(1, &device);
    let model = import_torchvision(model, &fixture("small_resnet.safetensors")).unwrap();
    let x = dlrn_deep::extract::batch_tensor::<B>(&small_inputs(), 80, &device);
    let got: Vec<f32> = model
        .forward(x)
        .into_data()
        .convert::<f32>()
        .into_vec()
        .unwrap();
    assert_close(&got, &read_f32("small_logits.bin"), "logits");
}

#[test]
fn wrong_architecture_is_reported_with_the_missing_keys() {
    let device = Default::default();
    let cfg = ResNetConfig {
        base_width: 8,
        ..small_config(None)
    };
    let err = load_weights::<B>(cfg, Some(&fixture("small_resnet.safetensors")), 0, &device)
        .unwrap_err()
        .to_string();
    assert!(err.contains("small_resnet.safetensors"), "{err}");
    assert!(err.to_lowercase().contains("shape"), "{err}");
}

fn load_png_grey(name: &str) -> Grey {
    let img = image::open(fixture(name)).unwrap().to_luma8();
    let (w, h) = img.dimensions();
    Grey::new(w as usize, h as usize, img.into_raw()).unwrap()
}

#[test]
fn bus01_preprocessing_matches_torchvision_transforms() {
    let img = load_png_grey("BUS01.png");
    let mask: Vec<bool> = load_png_grey("BUS01_mask.png")
        .pixels
        .iter()
        .map(|&v| v != 0)
        .collect();
    let got = preprocess(&img, &mask, PreprocessConfig::default(), "BUS01").unwrap();
    let want = read_f32("preprocess_bus01.bin");
    assert_eq!(got.len(), 3 * 224 * 224);
    let worst = got
        .iter()
        .zip(&want)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(worst <= 1e-6, "max |Δ| = {worst:e} > 1e-6");
}
