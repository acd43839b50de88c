//! `dlrn finetune`: fine-tune ResNet50 with a 2-class head on a cohort's lesion crops.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use dlrn_cohort::scan_cases;
use dlrn_deep::finetune::{FinetuneConfig, FinetuneState, Progress, Sample, finetune};
use dlrn_deep::preprocess::PreprocessConfig;
use dlrn_deep::{BackendKind, TrainJob, WeightsInfo, load_weights, resnet50_for, run_training};
use rayon::prelude::*;
use serde::Serialize;

use super::extract_deep::{Backend, load_lesion, read_labels};
use super::util::print_json;
use super::util::sidecar;

/// Fine-tune ResNet50 (2-class head) on a training cohort, keeping the epoch
/// with the best validation accuracy.
///
/// As the study: lesion bounding-box crops resized to 256 (shorter side),
/// augmented with RandomResizedCrop(224), horizontal and vertical flips,
/// rotation ±180° and brightness/contrast jitter 0.5; Adam (lr 1e-4),
/// cross-entropy, mini-batches of 64; validation on centre crops. Labels are
/// ALN_status from each cohort's clinical.csv. The best epoch's network is
/// written to --out as a Burn record (.mpk), which `dlrn extract deep
/// --weights` reads. Every epoch is checkpointed in `<out>.ckpt/`; running the
/// same command again resumes after the last finished epoch (--epochs may be
/// raised to train further).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Training cohort folder (images/, masks/, clinical.csv with ALN_status).
    #[arg(long)]
    pub cohort: PathBuf,
    /// Validation cohort folder, used to pick the best epoch.
    #[arg(long)]
    pub val: PathBuf,
    /// Output weights (.mpk, Burn record).
    #[arg(long)]
    pub out: PathBuf,
    /// Initial weights: torchvision state dict (.pth/.pt/.safetensors; its
    /// 1000-class head is replaced) or a dlrn .mpk. Default: random, --seed.
    #[arg(long)]
    pub init: Option<PathBuf>,
    /// Sub-folder of each cohort holding the lesion masks.
    #[arg(long, default_value = "masks")]
    pub masks: String,
    /// Number of epochs.
    #[arg(long, default_value_t = 10)]
    pub epochs: usize,
    /// Mini-batch size.
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// Adam learning rate.
    #[arg(long, default_value_t = 1e-4)]
    pub lr: f64,
    /// Seed of the initialisation, the new head, shuffling and augmentation.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Train without augmentation (centre crops only).
    #[arg(long)]
    pub no_augment: bool,
    /// Checkpoint folder (default `<out>.ckpt`).
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
    /// Burn backend (training runs on Autodiff<backend>).
    #[arg(long, value_enum, default_value = "flex")]
    pub backend: Backend,
    /// Print the run's history as one JSON value on stdout.
    #[arg(long)]
    pub json: bool,
}

/// The `--json` output and `<out>.meta.json`.
#[derive(Debug, Serialize)]
pub struct FinetuneSummary {
    /// Output weights.
    pub out: PathBuf,
    /// Initial weights.
    pub init: WeightsInfo,
    /// Backend name.
    pub backend: String,
    /// Settings and per-epoch history, best epoch.
    pub state: FinetuneState,
}

fn load_samples(dir: &Path, masks: &str, resize: usize) -> anyhow::Result<Vec<Sample>> {
    let cases = scan_cases(dir, masks)?;
    let labels = read_labels(dir)?.with_context(|| {
        format!(
            "{}: clinical.csv with ALN_status is needed for fine-tuning",
            dir.display()
        )
    })?;
    cases
        .par_iter()
        .map(|case| {
            let label = labels.get(&case.id).copied().flatten().with_context(|| {
                format!(
                    "{}: case {:?} has no ALN_status",
                    dir.join("clinical.csv").display(),
                    case.id
                )
            })?;
            let image = load_lesion(case)?.resize_shorter(resize);
            Ok(Sample { image, label })
        })
        .collect()
}

/// Runs the fine-tuning and writes the weights and metadata.
pub fn run(args: Args) -> anyhow::Result<()> {
    dlrn_deep::retain_freed_memory();
    if args.out.extension().and_then(|e| e.to_str()) != Some("mpk") {
        bail!(
            "{}: --out must end in .mpk (a Burn record)",
            args.out.display()
        );
    }
    let pre = PreprocessConfig::default();
    let train = load_samples(&args.cohort, &args.masks, pre.resize)?;
    let val = load_samples(&args.val, &args.masks, pre.resize)?;
    let cfg = FinetuneConfig {
        epochs: args.epochs,
        batch_size: args.batch,
        lr: args.lr,
        seed: args.seed,
        crop: pre.crop,
        augment: !args.no_augment,
    };
    let kind: BackendKind = args.backend.into();
    let (init, state) = run_training(
        kind,
        Job {
            args: &args,
            train: &train,
            val: &val,
            cfg: &cfg,
        },
    )??;
    let summary = FinetuneSummary {
        out: args.out.clone(),
        init,
        backend: kind.name().into(),
        state,
    };
    let meta = sidecar(&args.out, "meta.json");
    std::fs::write(&meta, serde_json::to_string_pretty(&summary)? + "\n")
        .with_context(|| format!("writing {}", meta.display()))?;
    if args.json {
        print_json(&summary)?;
    } else if let Some(best) = summary.state.best_epoch {
        let r = &summary.state.history[best - 1];
        eprintln!(
            "{}: best epoch {best} (validation accuracy {:.3}, loss {:.4})",
            args.out.display(),
            r.val_accuracy,
            r.val_loss
        );
    }
    Ok(())
}

struct Job<'a> {
    args: &'a Args,
    train: &'a [Sample],
    val: &'a [Sample],
    cfg: &'a FinetuneConfig,
}

type JobOutput = anyhow::Result<(WeightsInfo, FinetuneState)>;

impl TrainJob for Job<'_> {
    type Output = JobOutput;

    fn run<B: dlrn_deep::backend::AutodiffBackend>(
        self,
        device: B::Device,
        _kind: BackendKind,
    ) -> JobOutput {
        let args = self.args;
        let config = resnet50_for(args.init.as_deref());
        let (model, init) = load_weights::<B>(config, args.init.as_deref(), args.seed, &device)?;
        let model = if model.fc.is_some() {
            model
        } else {
            model.with_new_head(2, args.seed.wrapping_add(1), &device)
        };
        let ckpt = args
            .checkpoint
            .clone()
            .unwrap_or_else(|| sidecar(&args.out, "ckpt"));
        let n_batches = self.train.len().div_ceil(self.cfg.batch_size.max(1));
        let bar = super::util::progress_bar((n_batches * self.cfg.epochs) as u64, "fine-tuning");
        let mut epoch = 0;
        let state = finetune(
            model,
            self.train,
            self.val,
            self.cfg,
            &ckpt,
            &args.out,
            &device,
            &mut |p| match p {
                Progress::Resumed { done } => bar.set_position((done * n_batches) as u64),
                Progress::EpochStart { epoch: e, .. } => epoch = e,
                Progress::Batch { loss, accuracy } => {
                    bar.set_message(format!("epoch {epoch} loss {loss:.4} acc {accuracy:.3}"));
                    bar.inc(1);
                }
                Progress::EpochEnd(r) => bar.println(format!(
                    "epoch {}: train loss {:.4} acc {:.3}, validation loss {:.4} acc {:.3}",
                    r.epoch, r.train_loss, r.train_accuracy, r.val_loss, r.val_accuracy
                )),
            },
        )?;
        bar.finish_and_clear();
        Ok((init, state))
    }
}
