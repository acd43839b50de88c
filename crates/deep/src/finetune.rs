//! Fine-tuning as the study: a 2-class linear head on the pooled features,
//! Adam (lr 1e-4, β = (0.9, 0.999), ε = 1e-8 as `torch.optim.Adam`),
//! cross-entropy, mini-batches (64), N epochs, the augmentation of
//! [`crate::augment`], and the epoch with the best validation accuracy kept.
//!
//! Every epoch writes a checkpoint (network, optimiser state and a JSON state
//! with the history) to a folder; a run started again with the same folder
//! and settings resumes after the last finished epoch. Epoch `e` draws its
//! shuffle and augmentation from ChaCha8 seeded by `(seed, e)`, so a resumed
//! run repeats exactly what an uninterrupted one would have done.

use std::path::{Path, PathBuf};

use burn::module::AutodiffModule;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{Adam, AdamConfig, GradientsParams, Optimizer};
use burn::record::{FullPrecisionSettings, NamedMpkFileRecorder, Recorder};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Int, Tensor, TensorData};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::augment::{AugmentConfig, augment};
use crate::error::{DeepError, Result};
use crate::extract::batch_tensor;
use crate::preprocess::{Grey, normalise};
use crate::resnet::ResNet;
use crate::weights::{load_record, save_record};

/// One training or validation case: the lesion crop already resized to the
/// shorter side `resize` (8-bit, as after torchvision's `Resize`), and its label.
#[derive(Debug, Clone)]
pub struct Sample {
    /// The resized lesion crop.
    pub image: Grey,
    /// 0 = no ALN metastasis, 1 = metastasis.
    pub label: u8,
}

/// Settings of a fine-tuning run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinetuneConfig {
    /// Number of epochs.
    pub epochs: usize,
    /// Mini-batch size (64 in the study).
    pub batch_size: usize,
    /// Adam learning rate (1e-4 in the study).
    pub lr: f64,
    /// Seed of shuffling, augmentation and the new head.
    pub seed: u64,
    /// Network input side (224 in the study).
    pub crop: usize,
    /// Whether to augment training images (the study does).
    pub augment: bool,
}

impl FinetuneConfig {
    /// The study's settings for `epochs` epochs.
    pub fn study(epochs: usize, seed: u64) -> Self {
        Self {
            epochs,
            batch_size: 64,
            lr: 1e-4,
            seed,
            crop: 224,
            augment: true,
        }
    }
}

/// Loss and accuracy of one epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochReport {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training cross-entropy (per case, over the epoch's batches).
    pub train_loss: f64,
    /// Training accuracy (argmax of the logits, during training).
    pub train_accuracy: f64,
    /// Mean validation cross-entropy (eval mode, no augmentation).
    pub val_loss: f64,
    /// Validation accuracy.
    pub val_accuracy: f64,
}

/// State of a run, written after every epoch (`state.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinetuneState {
    /// Settings the run was started with (a resume must match them).
    pub config: FinetuneConfig,
    /// Finished epochs, in order.
    pub history: Vec<EpochReport>,
    /// 1-based epoch with the best validation accuracy so far (first of ties).
    pub best_epoch: Option<usize>,
}

/// What the caller hears during training, to drive a progress bar.
#[derive(Debug, Clone)]
pub enum Progress {
    /// A run resumed after `done` finished epochs.
    Resumed {
        /// Epochs already finished.
        done: usize,
    },
    /// An epoch starts with `batches` mini-batches.
    EpochStart {
        /// 1-based epoch.
        epoch: usize,
        /// Mini-batches in it.
        batches: usize,
    },
    /// A mini-batch finished.
    Batch {
        /// Running mean training loss of the epoch.
        loss: f64,
        /// Running training accuracy of the epoch.
        accuracy: f64,
    },
    /// An epoch finished.
    EpochEnd(EpochReport),
}

/// Paths of a checkpoint folder.
struct Checkpoint {
    model: PathBuf,
    optim: PathBuf,
    best: PathBuf,
    state: PathBuf,
}

impl Checkpoint {
    fn new(dir: &Path) -> Self {
        Self {
            model: dir.join("last.mpk"),
            optim: dir.join("optim.mpk"),
            best: dir.join("best.mpk"),
            state: dir.join("state.json"),
        }
    }
}

fn read_state(path: &Path) -> Result<Option<FinetuneState>> {
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(path).map_err(|source| DeepError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| DeepError::Checkpoint {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
}

fn write_state(path: &Path, state: &FinetuneState) -> Result<()> {
    let text = serde_json::to_string_pretty(state).map_err(|e| DeepError::Checkpoint {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    // Written to a temporary name and renamed, so a crash never leaves half a state.
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text).map_err(|source| DeepError::Io {
        path: tmp.clone(),
        source,
    })?;
    std::fs::rename(&tmp, path).map_err(|source| DeepError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn epoch_rng(seed: u64, epoch: usize) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(epoch as u64);
    rng
}

fn check_samples(what: &str, samples: &[Sample], crop: usize) -> Result<()> {
    if samples.is_empty() {
        return Err(DeepError::Dataset(format!("the {what} set is empty")));
    }
    for (i, s) in samples.iter().enumerate() {
        if s.label > 1 {
            return Err(DeepError::BadLabel {
                what: format!("{what} case {}", i + 1),
                found: s.label,
            });
        }
        if s.image.width < crop || s.image.height < crop {
            return Err(DeepError::Dataset(format!(
                "{what} case {}: image {}×{} is smaller than the {crop}-pixel crop",
                i + 1,
                s.image.width,
                s.image.height
            )));
        }
    }
    Ok(())
}

/// Cross-entropy (mean over the batch) and number of correct argmax
/// predictions of a batch's logits `[N, 2]`.
fn loss_and_correct<B: Backend>(
    logits: Tensor<B, 2>,
    labels: &[u8],
    device: &B::Device,
) -> (Tensor<B, 1>, usize) {
    let targets = Tensor::<B, 1, Int>::from_data(
        TensorData::new(
            labels.iter().map(|&l| l as i64).collect::<Vec<_>>(),
            [labels.len()],
        ),
        device,
    );
    // Invariant: `convert::<i64>` makes the data i64, so `into_vec::<i64>` cannot fail.
    let pred: Vec<i64> = logits
        .clone()
        .argmax(1)
        .into_data()
        .convert::<i64>()
        .into_vec()
        .expect("int tensor data");
    let correct = pred
        .iter()
        .zip(labels)
        .filter(|(p, l)| **p == **l as i64)
        .count();
    let loss = CrossEntropyLossConfig::new()
        .init(device)
        .forward(logits, targets);
    (loss, correct)
}

fn scalar<B: Backend>(t: Tensor<B, 1>) -> f64 {
    // Invariant: the data is converted to f64 and a loss/metric tensor holds one value.
    t.into_data()
        .convert::<f64>()
        .into_vec::<f64>()
        .expect("f64")[0]
}

/// What one optimisation step returns.
pub struct StepOutput<B: AutodiffBackend> {
    /// The network after the update.
    pub model: ResNet<B>,
    /// Mean cross-entropy of the batch before the update.
    pub loss: f64,
    /// Correct argmax predictions in the batch before the update.
    pub correct: usize,
}

/// One optimisation step, as [`finetune`] runs it: forward in training mode
/// (BatchNorm on batch statistics), cross-entropy against `labels`
/// (`torch.nn.CrossEntropyLoss`), backward, and `optim`'s update with
/// learning rate `lr` (`loss.backward(); optimizer.step()`).
pub fn train_step<B: AutodiffBackend, O: Optimizer<ResNet<B>, B>>(
    model: ResNet<B>,
    optim: &mut O,
    input: Tensor<B, 4>,
    labels: &[u8],
    lr: f64,
) -> StepOutput<B> {
    let (loss, correct, grads) = loss_gradients(&model, input, labels);
    StepOutput {
        model: optim.step(lr, model, grads),
        loss,
        correct,
    }
}

/// The first half of [`train_step`]: forward in training mode, the mean
/// cross-entropy against `labels`, the number of correct argmax predictions,
/// and every parameter's gradient (`loss.backward()`).
pub fn loss_gradients<B: AutodiffBackend>(
    model: &ResNet<B>,
    input: Tensor<B, 4>,
    labels: &[u8],
) -> (f64, usize, GradientsParams) {
    let device = input.device();
    let logits = model.forward(input);
    let (loss, correct) = loss_and_correct(logits, labels, &device);
    let loss_value = scalar(loss.clone().inner());
    (
        loss_value,
        correct,
        GradientsParams::from_grads(loss.backward(), model),
    )
}

/// The study's optimiser: Adam with β = (0.9, 0.999) and ε = 1e-8, no weight
/// decay, as `torch.optim.Adam(params, lr)` (the rate is given per step).
pub fn study_optimizer<B: AutodiffBackend>() -> OptimizerAdaptor<Adam, ResNet<B>, B> {
    AdamConfig::new()
        .with_beta_1(0.9)
        .with_beta_2(0.999)
        .with_epsilon(1e-8)
        .init::<B, ResNet<B>>()
}

/// Mean cross-entropy and accuracy of `model` on `samples` in eval mode
/// (centre crop, no augmentation).
pub fn evaluate<B: Backend>(
    model: &ResNet<B>,
    samples: &[Sample],
    crop: usize,
    batch_size: usize,
    device: &B::Device,
) -> (f64, f64) {
    let (mut loss_sum, mut correct) = (0.0, 0usize);
    for chunk in samples.chunks(batch_size.max(1)) {
        let inputs: Vec<Vec<f32>> = chunk
            .iter()
            .map(|s| normalise(&s.image.center_crop(crop)))
            .collect();
        let labels: Vec<u8> = chunk.iter().map(|s| s.label).collect();
        let logits = model.forward(batch_tensor(&inputs, crop, device));
        let (loss, c) = loss_and_correct(logits, &labels, device);
        loss_sum += scalar(loss) * chunk.len() as f64;
        correct += c;
    }
    let n = samples.len().max(1) as f64;
    (loss_sum / n, correct as f64 / n)
}

/// Fine-tunes `model` (which must have a 2-class head) on `train`, selects
/// the epoch by accuracy on `val`, checkpoints into `checkpoint_dir` and
/// writes the best epoch's network to `out` (Burn record). Resumes from
/// `checkpoint_dir` when it holds a run with the same settings.
// The eight arguments are the run's distinct inputs; a struct would only rename them.
#[allow(clippy::too_many_arguments)]
pub fn finetune<B: AutodiffBackend>(
    model: ResNet<B>,
    train: &[Sample],
    val: &[Sample],
    cfg: &FinetuneConfig,
    checkpoint_dir: &Path,
    out: &Path,
    device: &B::Device,
    progress: &mut dyn FnMut(Progress),
) -> Result<FinetuneState> {
    check_samples("training", train, cfg.crop)?;
    check_samples("validation", val, cfg.crop)?;
    if cfg.batch_size == 0 || cfg.epochs == 0 {
        return Err(DeepError::Dataset(
            "batch size and epochs must be at least 1".into(),
        ));
    }
    if model.fc.as_ref().map(|fc| fc.weight.dims()[1]) != Some(2) {
        return Err(DeepError::Dataset(
            "the network needs a 2-class head".into(),
        ));
    }
    std::fs::create_dir_all(checkpoint_dir).map_err(|source| DeepError::Io {
        path: checkpoint_dir.to_path_buf(),
        source,
    })?;
    let ck = Checkpoint::new(checkpoint_dir);
    let recorder = NamedMpkFileRecorder::<FullPrecisionSettings>::new();
    let mut optim = study_optimizer::<B>();
    let mut model = model;
    let mut state = FinetuneState {
        config: cfg.clone(),
        history: Vec::new(),
        best_epoch: None,
    };
    if let Some(saved) = read_state(&ck.state)? {
        // Same settings except the number of epochs, which may grow.
        let same = FinetuneConfig {
            epochs: cfg.epochs,
            ..saved.config.clone()
        } == *cfg;
        if !same {
            return Err(DeepError::Checkpoint {
                path: ck.state.clone(),
                message: format!(
                    "the checkpoint was made with other settings ({:?}); use another checkpoint folder",
                    saved.config
                ),
            });
        }
        if !saved.history.is_empty() {
            model = load_record(model, &ck.model, device)?;
            let record =
                recorder
                    .load(ck.optim.clone(), device)
                    .map_err(|e| DeepError::Record {
                        path: ck.optim.clone(),
                        message: e.to_string(),
                    })?;
            optim = optim.load_record(record);
            progress(Progress::Resumed {
                done: saved.history.len(),
            });
        }
        state = FinetuneState {
            config: cfg.clone(),
            ..saved
        };
    }
    let n_batches = train.len().div_ceil(cfg.batch_size);
    let aug = AugmentConfig::study(cfg.crop);
    for epoch in state.history.len() + 1..=cfg.epochs {
        let mut rng = epoch_rng(cfg.seed, epoch);
        let mut order: Vec<usize> = (0..train.len()).collect();
        order.shuffle(&mut rng);
        progress(Progress::EpochStart {
            epoch,
            batches: n_batches,
        });
        let (mut loss_sum, mut correct, mut seen) = (0.0, 0usize, 0usize);
        for idx in order.chunks(cfg.batch_size) {
            let inputs: Vec<Vec<f32>> = idx
                .iter()
                .map(|&i| {
                    let img = &train[i].image;
                    if cfg.augment {
                        normalise(&augment(img, &aug, &mut rng))
                    } else {
                        normalise(&img.center_crop(cfg.crop))
                    }
                })
                .collect();
            let labels: Vec<u8> = idx.iter().map(|&i| train[i].label).collect();
            let step = train_step(
                model,
                &mut optim,
                batch_tensor(&inputs, cfg.crop, device),
                &labels,
                cfg.lr,
            );
            model = step.model;
            let (loss_value, c) = (step.loss, step.correct);
            loss_sum += loss_value * idx.len() as f64;
            correct += c;
            seen += idx.len();
            progress(Progress::Batch {
                loss: loss_sum / seen as f64,
                accuracy: correct as f64 / seen as f64,
            });
        }
        let (val_loss, val_accuracy) = evaluate(
            &model.valid(),
            val,
            cfg.crop,
            cfg.batch_size,
            &device.clone(),
        );
        let report = EpochReport {
            epoch,
            train_loss: loss_sum / seen as f64,
            train_accuracy: correct as f64 / seen as f64,
            val_loss,
            val_accuracy,
        };
        let best_so_far = state
            .best_epoch
            .and_then(|b| state.history.get(b - 1))
            .map(|r| r.val_accuracy);
        if best_so_far.is_none_or(|b| val_accuracy > b) {
            save_record(&model, &ck.best)?;
            state.best_epoch = Some(epoch);
        }
        save_record(&model, &ck.model)?;
        recorder
            .record(optim.to_record(), ck.optim.clone())
            .map_err(|e| DeepError::Record {
                path: ck.optim.clone(),
                message: e.to_string(),
            })?;
        state.history.push(report.clone());
        write_state(&ck.state, &state)?;
        progress(Progress::EpochEnd(report));
    }
    std::fs::copy(&ck.best, out).map_err(|source| DeepError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    Ok(state)
}
