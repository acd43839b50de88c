//! Property-based fuzzing of weight loading (`load_weights`, what `dlrn
//! extract deep --weights` and `dlrn finetune --init` call): random bytes
//! named `.mpk`/`.pth`/`.safetensors`, edits of a valid Burn record written
//! here, and safetensors files with random headers. The property: `Ok` or a
//! typed `DeepError`, never a panic. A small network (base width 2, one
//! block per stage) keeps each case fast. Cases per target: 32 by default
//! (each loads a network); `PROPTEST_CASES=N` runs N.

use std::path::Path;

use burn::backend::Flex;
use dlrn_deep::load_weights;
use dlrn_deep::resnet::ResNetConfig;
use dlrn_deep::weights::save_record;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

type B = Flex;

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(32);
    // A fixed seed (PROPTEST_RNG_SEED overrides it) so every run tries the same inputs.
    let seed = std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_261_130);
    Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        max_shrink_iters: 32,
        failure_persistence: None,
        ..Config::default()
    }
}

fn tiny(num_classes: Option<usize>) -> ResNetConfig {
    ResNetConfig {
        base_width: 2,
        blocks: [1, 1, 1, 1],
        num_classes,
    }
}

/// A valid Burn record of the tiny 2-class network.
fn record() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("net.mpk");
    let model = tiny(Some(2)).init::<B>(3, &Default::default());
    save_record(&model, &p).expect("saving a record");
    std::fs::read(&p).expect("reading it back")
}

fn load(path: &Path, classes: Option<usize>) {
    let _ = load_weights::<B>(tiny(classes), Some(path), 1, &Default::default());
}

const EXTS: [&str; 3] = ["mpk", "pth", "safetensors"];

#[test]
fn the_seed_record_loads() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("net.mpk");
    std::fs::write(&p, record()).unwrap();
    load_weights::<B>(tiny(Some(2)), Some(&p), 1, &Default::default())
        .expect("a record written by save_record loads");
}

#[test]
fn altered_param_id_is_a_typed_error() {
    // burn-core 0.21's ParamId::deserialize panics ("Invalid id.") on an id
    // that is not base32; load_weights used to let that panic through.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("net.mpk");
    let mut b = record();
    // Ids are 13-character base32 strings (MessagePack fixstr 0xad).
    let at = b.iter().position(|&x| x == 0xad).expect("an id") + 1;
    b[at] = b'!';
    std::fs::write(&p, b).unwrap();
    let Err(e) = load_weights::<B>(tiny(Some(2)), Some(&p), 1, &Default::default()) else {
        panic!("a corrupt record loaded");
    };
    let e = e.to_string();
    assert!(
        e.contains("net.mpk") && e.contains("corrupt record (Invalid id.)"),
        "{e}"
    );
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..1024), ext in 0..EXTS.len()) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(format!("net.{}", EXTS[ext]));
        std::fs::write(&p, &bytes).unwrap();
        load(&p, (ext == 0).then_some(2));
    }

    #[test]
    fn edited_record(edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..6), cut in prop::option::of(any::<usize>())) {
        let dir = tempfile::tempdir().unwrap();
        let mut b = record();
        for (at, v) in &edits {
            let n = b.len();
            b[at % n] = *v;
        }
        if let Some(c) = cut {
            let n = b.len();
            b.truncate(c % n);
        }
        let p = dir.path().join("net.mpk");
        std::fs::write(&p, &b).unwrap();
        load(&p, Some(2));
    }

    #[test]
    fn safetensors_with_random_header(
        names in prop::collection::vec(prop::sample::select(vec!["conv1.weight", "bn1.weight", "bn1.running_var", "fc.weight", "layer1.0.conv1.weight", "x"]), 0..4),
        dims in prop::collection::vec(prop::collection::vec(0usize..5, 0..5), 4),
        dtype in prop::sample::select(vec!["F32", "F16", "F64", "I64", "U8", "BOOL", "Q"]),
        offsets in prop::collection::vec((0usize..200, 0usize..200), 4),
        data_len in 0usize..200,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut header = serde_json::Map::new();
        for (i, name) in names.iter().enumerate() {
            header.insert(
                (*name).to_string(),
                serde_json::json!({"dtype": dtype, "shape": dims[i], "data_offsets": [offsets[i].0, offsets[i].1]}),
            );
        }
        let h = serde_json::to_vec(&header).unwrap();
        let mut b = (h.len() as u64).to_le_bytes().to_vec();
        b.extend_from_slice(&h);
        b.extend(std::iter::repeat_n(0x3f, data_len));
        let p = dir.path().join("net.safetensors");
        std::fs::write(&p, &b).unwrap();
        load(&p, None);
    }
}
