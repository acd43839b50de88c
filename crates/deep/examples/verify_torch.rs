//! Full-size equivalence check with torchvision (`cargo xtask verify-torch`):
//! reads the reference written by crates/deep/scripts/make_full_reference.py,
//! loads its resnet50 state dict from .safetensors and from .pth, and checks
//! the 2048 features on every requested backend within 1e-4 × max|f|, plain
//! and with BatchNorm folded.
//!
//! Usage: verify_torch DIR [--backend flex|ndarray|wgpu|cuda]...
//! Prints one JSON object per (backend, weights file, variant); exits 1 on a
//! failed check.

use std::path::{Path, PathBuf};

use dlrn_deep::backend::Backend;
use dlrn_deep::{BackendKind, FusedResNet, InferenceJob, ResNetConfig, features, load_weights};

fn read_f32(path: &Path) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

struct Job<'a> {
    dir: &'a Path,
}

impl InferenceJob for Job<'_> {
    type Output = bool;
    fn run<B: Backend>(self, device: B::Device, kind: BackendKind) -> bool {
        let x = read_f32(&self.dir.join("input.bin"));
        let want = read_f32(&self.dir.join("features.bin"));
        let n = x.len() / (3 * 224 * 224);
        let inputs: Vec<Vec<f32>> = x.chunks(3 * 224 * 224).map(<[f32]>::to_vec).collect();
        let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
        let mut ok = true;
        for file in ["resnet50.safetensors", "resnet50.pth"] {
            let (model, _) = load_weights::<B>(
                ResNetConfig::resnet50(),
                Some(&self.dir.join(file)),
                0,
                &device,
            )
            .unwrap_or_else(|e| panic!("{e}"));
            let fused = FusedResNet::new(&model);
            for (variant, got) in [
                ("plain", features(&model, &inputs, 224, &device).concat()),
                ("fused-bn", features(&fused, &inputs, 224, &device).concat()),
            ] {
                let worst = got
                    .iter()
                    .zip(&want)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0f32, f32::max);
                let pass = got.len() == want.len() && worst <= 1e-4 * scale;
                ok &= pass;
                println!(
                    "{{\"backend\":\"{}\",\"weights\":\"{file}\",\"variant\":\"{variant}\",\"images\":{n},\"max_abs_diff\":{worst:e},\"max_abs_feature\":{scale:e},\"relative\":{:e},\"pass\":{pass}}}",
                    kind.name(),
                    worst / scale
                );
            }
        }
        ok
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = PathBuf::from(
        args.first()
            .expect("usage: verify_torch DIR [--backend B]..."),
    );
    let mut kinds = Vec::new();
    let mut i = 1;
    while i < args.len() {
        assert_eq!(args[i], "--backend", "unknown argument {:?}", args[i]);
        let name = args.get(i + 1).expect("backend name");
        kinds.push(
            *BackendKind::ALL
                .iter()
                .find(|k| k.name() == name)
                .unwrap_or_else(|| panic!("unknown backend {name:?}")),
        );
        i += 2;
    }
    if kinds.is_empty() {
        kinds.push(BackendKind::Flex);
    }
    let mut ok = true;
    for kind in kinds {
        ok &= dlrn_deep::run_inference(kind, Job { dir: &dir }).expect("backend available");
    }
    if !ok {
        std::process::exit(1);
    }
}
