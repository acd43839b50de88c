//! Fine-tuning on a tiny generated cohort: the loss falls, checkpoints
//! resume to the same network as an uninterrupted run, records round-trip.

use std::path::Path;

use burn::backend::{Autodiff, Flex};
use burn::module::AutodiffModule;
use dlrn_deep::finetune::{FinetuneConfig, Progress, Sample, evaluate, finetune};
use dlrn_deep::preprocess::Grey;
use dlrn_deep::resnet::{ResNet, ResNetConfig};
use dlrn_deep::weights::{load_record, save_record};
use dlrn_deep::{features, preprocess::normalise};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

type B = Autodiff<Flex>;

/// Two visually distinct classes: a bright disc on dark noise (label 1) or
/// a dark disc on bright noise (label 0), 40×40, random disc position.
fn cohort(n: usize, seed: u64) -> Vec<Sample> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|i| {
            let label = (i % 2) as u8;
            let (cx, cy) = (rng.random_range(14.0..26.0), rng.random_range(14.0..26.0));
            let pixels = (0..40 * 40)
                .map(|p| {
                    let (x, y) = ((p % 40) as f64, (p / 40) as f64);
                    let inside = (x - cx).powi(2) + (y - cy).powi(2) < 64.0;
                    let base = if inside == (label == 1) { 200.0 } else { 50.0 };
                    (base + rng.random_range(-30.0..30.0)) as u8
                })
                .collect();
            Sample {
                image: Grey::new(40, 40, pixels).unwrap(),
                label,
            }
        })
        .collect()
}

fn tiny() -> ResNetConfig {
    ResNetConfig {
        base_width: 4,
        blocks: [1, 1, 1, 1],
        num_classes: Some(2),
    }
}

fn config(epochs: usize, augment: bool) -> FinetuneConfig {
    FinetuneConfig {
        epochs,
        batch_size: 8,
        lr: 1e-3,
        seed: 11,
        crop: 32,
        augment,
    }
}

fn logits(model: &ResNet<Flex>, samples: &[Sample]) -> Vec<f32> {
    let inputs: Vec<Vec<f32>> = samples
        .iter()
        .map(|s| normalise(&s.image.center_crop(32)))
        .collect();
    let x = dlrn_deep::extract::batch_tensor::<Flex>(&inputs, 32, &Default::default());
    model
        .forward(x)
        .into_data()
        .convert::<f32>()
        .into_vec()
        .unwrap()
}

#[test]
fn training_loss_falls_and_best_epoch_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let device = Default::default();
    let train = cohort(32, 1);
    let val = cohort(16, 2);
    let model = tiny().init::<B>(5, &device);
    let (loss0, _) = evaluate(&model.valid(), &train, 32, 8, &device);
    let out = dir.path().join("w.mpk");
    let state = finetune(
        model,
        &train,
        &val,
        &config(4, false),
        &dir.path().join("ckpt"),
        &out,
        &device,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(state.history.len(), 4);
    let first = state.history[0].train_loss;
    let last = state.history[3].train_loss;
    assert!(last < first, "training loss did not fall: {first} → {last}");
    // The written network is the best epoch's: its validation accuracy is the maximum.
    let best = state.best_epoch.unwrap();
    let max_acc = state
        .history
        .iter()
        .map(|r| r.val_accuracy)
        .fold(0.0, f64::max);
    assert_eq!(state.history[best - 1].val_accuracy, max_acc);
    let trained = load_record(tiny().init::<Flex>(99, &device), &out, &device).unwrap();
    let (val_loss, val_acc) = evaluate(&trained, &val, 32, 8, &device);
    assert!((val_acc - max_acc).abs() < 1e-12, "{val_acc} vs {max_acc}");
    assert!((val_loss - state.history[best - 1].val_loss).abs() < 1e-5);
    // Training on the training set lowers its eval-mode loss below the untrained one.
    let (loss_after, _) = evaluate(&trained, &train, 32, 8, &device);
    assert!(loss_after < loss0, "{loss0} → {loss_after}");
}

#[test]
fn resumed_run_equals_uninterrupted_run() {
    let device = Default::default();
    let train = cohort(20, 3);
    let val = cohort(8, 4);
    let run = |dir: &Path, epochs: usize| {
        let mut resumed = None;
        let state = finetune(
            tiny().init::<B>(5, &device),
            &train,
            &val,
            &config(epochs, true),
            &dir.join("ckpt"),
            &dir.join("w.mpk"),
            &device,
            &mut |p| {
                if let Progress::Resumed { done } = p {
                    resumed = Some(done);
                }
            },
        )
        .unwrap();
        (state, resumed)
    };
    let a = tempfile::tempdir().unwrap();
    let (full, none) = run(a.path(), 3);
    assert_eq!(none, None);
    let b = tempfile::tempdir().unwrap();
    run(b.path(), 2);
    let (resumed, done) = run(b.path(), 3);
    assert_eq!(done, Some(2));
    assert_eq!(resumed.history.len(), 3);
    for (x, y) in full.history.iter().zip(&resumed.history) {
        assert!((x.train_loss - y.train_loss).abs() < 1e-5, "{x:?} vs {y:?}");
    }
    let last = |d: &Path| {
        load_record(
            tiny().init::<Flex>(0, &device),
            &d.join("ckpt/last.mpk"),
            &device,
        )
        .unwrap()
    };
    let (la, lb) = (logits(&last(a.path()), &val), logits(&last(b.path()), &val));
    let worst = la
        .iter()
        .zip(&lb)
        .map(|(x, y)| (x - y).abs())
        .fold(0f32, f32::max);
    assert!(worst < 1e-5, "resumed network differs by {worst:e}");
}

#[test]
fn record_round_trip_keeps_the_features() {
    let dir = tempfile::tempdir().unwrap();
    let device = Default::default();
    let model = tiny().init::<Flex>(7, &device);
    let path = dir.path().join("m.mpk");
    save_record(&model, &path).unwrap();
    let other = tiny().init::<Flex>(8, &device);
    let loaded = load_record(other, &path, &device).unwrap();
    let inputs: Vec<Vec<f32>> = cohort(3, 5)
        .iter()
        .map(|s| normalise(&s.image.center_crop(32)))
        .collect();
    let a = features(&model, &inputs, 32, &device);
    let b = features(&loaded, &inputs, 32, &device);
    assert_eq!(a, b);
    let c = features(&tiny().init::<Flex>(8, &device), &inputs, 32, &device);
    assert_ne!(a, c, "different seeds must give different networks");
}

#[test]
fn a_checkpoint_with_other_settings_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let device = Default::default();
    let train = cohort(8, 6);
    let go = |lr: f64| {
        let mut cfg = config(1, false);
        cfg.lr = lr;
        finetune(
            tiny().init::<B>(5, &device),
            &train,
            &train,
            &cfg,
            &dir.path().join("ckpt"),
            &dir.path().join("w.mpk"),
            &device,
            &mut |_| {},
        )
    };
    go(1e-3).unwrap();
    let err = go(1e-2).unwrap_err().to_string();
    assert!(
        err.contains("state.json") && err.contains("other settings"),
        "{err}"
    );
}
