//! `dlrn finetune`: fine-tune ResNet50 with a 2-class head on a cohort's lesion crops.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use dlrn_cohort::{Case, scan_cases};
use dlrn_deep::finetune::{FinetuneConfig, FinetuneState, Progress, Sample, finetune};
use dlrn_deep::preprocess::PreprocessConfig;
use dlrn_deep::{BackendKind, TrainJob, WeightsInfo, load_weights, resnet50_for, run_training};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

use super::util::print_json;
use super::util::sidecar;
use super::util::write_atomic;
use crate::extraction::deep::{Backend, load_lesion};
use dlrn_cohort::read_labels;

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
///
/// The validation cases come from another cohort (--val DIR, which then is no
/// longer an external validation) or from the training cohort itself
/// (--val-fraction F: a seeded split stratified by ALN_status; see
/// `--val-fraction`). Exactly one of the two is given.
#[derive(Debug, clap::Args)]
#[command(group(
    clap::ArgGroup::new("validation")
        .required(true)
        .args(["val", "val_fraction"])
))]
pub struct Args {
    /// Training cohort folder (images/, masks/, clinical.csv with ALN_status).
    #[arg(long)]
    pub cohort: PathBuf,
    /// Validation cohort folder, used to pick the best epoch.
    #[arg(long, value_name = "DIR")]
    pub val: Option<PathBuf>,
    /// Validate on a fraction F of the --cohort patients instead of another cohort.
    ///
    /// F is in (0, 0.5]. The split is stratified by ALN_status and seeded by
    /// --seed: the ids of each class, sorted, are shuffled by ChaCha8 seeded
    /// with --seed (class 0, then class 1, from one stream), and the first
    /// round(n_class × F) of each class go to validation (at least one when
    /// the class has two or more patients). A class left without training
    /// patients is an error. The split is written to `<out>.split.csv`
    /// (id,label,set) and described in `<out>.meta.json`.
    #[arg(long, value_name = "F", value_parser = parse_val_fraction)]
    pub val_fraction: Option<f64>,
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

/// `--val-fraction`'s parser: a number in (0, 0.5].
fn parse_val_fraction(s: &str) -> Result<f64, String> {
    let f: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number"))?;
    if f > 0.0 && f <= 0.5 {
        Ok(f)
    } else {
        Err(format!(
            "{f} is outside (0, 0.5]: the validation part is a fraction of the cohort \
             above 0 and at most a half"
        ))
    }
}

/// Where the validation cases came from (recorded in `<out>.meta.json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Validation {
    /// Another cohort folder (`--val`).
    Cohort {
        /// The validation cohort folder.
        path: PathBuf,
    },
    /// A seeded, stratified split of the training cohort (`--val-fraction`).
    Split {
        /// The fraction F asked for.
        fraction: f64,
        /// The seed of the shuffle (`--seed`).
        seed: u64,
        /// The file listing every patient's part (`<out>.split.csv`).
        file: PathBuf,
        /// Patients per class (index = ALN_status) in the training part.
        train: [usize; 2],
        /// Patients per class (index = ALN_status) in the validation part.
        val: [usize; 2],
    },
}

/// Which part of the training cohort a patient went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Used for training.
    Train,
    /// Used to pick the best epoch.
    Val,
}

/// A seeded split of `(id, ALN_status)` pairs into training and validation,
/// stratified by the label: per class, the ids sorted then shuffled by
/// ChaCha8 from `seed` (class 0 first, then class 1, from one stream); the
/// first round(n × `fraction`) go to validation, at least one when the class
/// has two or more patients. Returns every pair with its part, sorted by id;
/// an error names the class that would have no training patient.
pub fn stratified_split(
    labelled: &[(String, u8)],
    fraction: f64,
    seed: u64,
) -> Result<Vec<(String, u8, Part)>, String> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(labelled.len());
    for class in [0u8, 1] {
        let mut ids: Vec<&str> = labelled
            .iter()
            .filter(|(_, l)| *l == class)
            .map(|(id, _)| id.as_str())
            .collect();
        ids.sort_unstable();
        ids.shuffle(&mut rng);
        let n = ids.len();
        let mut n_val = (n as f64 * fraction).round() as usize;
        if n >= 2 {
            n_val = n_val.max(1);
        }
        if n_val >= n {
            return Err(format!(
                "ALN_status = {class}: {n} patient(s), so a validation part of {fraction} \
                 leaves none of them for training (fine-tuning needs both classes)"
            ));
        }
        for (i, id) in ids.into_iter().enumerate() {
            let part = if i < n_val { Part::Val } else { Part::Train };
            out.push((id.to_string(), class, part));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// The `--json` output and `<out>.meta.json`.
#[derive(Debug, Serialize)]
pub struct FinetuneSummary {
    /// Output weights.
    pub out: PathBuf,
    /// Where the validation cases came from.
    pub validation: Validation,
    /// Initial weights.
    pub init: WeightsInfo,
    /// Backend name.
    pub backend: String,
    /// Settings and per-epoch history, best epoch.
    pub state: FinetuneState,
}

/// The cohort's cases with their ALN_status, sorted by id.
fn labelled_cases(dir: &Path, masks: &str) -> anyhow::Result<Labelled> {
    let cases = scan_cases(dir, masks)?;
    let labels = read_labels(dir)?.with_context(|| {
        format!(
            "{}: clinical.csv with ALN_status is needed for fine-tuning",
            dir.display()
        )
    })?;
    let mut out = cases
        .into_iter()
        .map(|case| {
            let label = labels.get(&case.id).copied().flatten().with_context(|| {
                format!(
                    "{}: case {:?} has no ALN_status",
                    dir.join("clinical.csv").display(),
                    case.id
                )
            })?;
            Ok((case, label))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    out.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    Ok(out)
}

/// The lesion crops of `cases`, resized to the shorter side `resize`.
fn load_samples(cases: &[(Case, u8)], resize: usize) -> anyhow::Result<Vec<Sample>> {
    cases
        .par_iter()
        .map(|(case, label)| {
            let image = load_lesion(case)?.resize_shorter(resize);
            Ok(Sample {
                image,
                label: *label,
            })
        })
        .collect()
}

/// Where the epochs are checkpointed (`--checkpoint`, default `<out>.ckpt`).
fn checkpoint_dir(args: &Args) -> PathBuf {
    args.checkpoint
        .clone()
        .unwrap_or_else(|| sidecar(&args.out, "ckpt"))
}

/// Cases with their ALN_status.
type Labelled = Vec<(Case, u8)>;

/// Splits the training cohort for `--val-fraction`, writes `<out>.split.csv`
/// (id,label,set; sorted by id) and returns the training and validation
/// parts and their record.
fn split_cohort(
    args: &Args,
    cases: Labelled,
    fraction: f64,
) -> anyhow::Result<(Labelled, Labelled, Validation)> {
    let pairs: Vec<(String, u8)> = cases.iter().map(|(c, l)| (c.id.clone(), *l)).collect();
    let split = stratified_split(&pairs, fraction, args.seed).map_err(|e| {
        anyhow::anyhow!(
            "{}: --val-fraction {fraction}: {e}",
            args.cohort.join("clinical.csv").display()
        )
    })?;
    let mut text = String::from("id,label,set\n");
    let mut counts = [[0usize; 2]; 2];
    for (id, label, part) in &split {
        let set = match part {
            Part::Train => "train",
            Part::Val => "val",
        };
        text.push_str(&format!("{id},{label},{set}\n"));
        counts[usize::from(*part == Part::Val)][usize::from(*label)] += 1;
    }
    let file = sidecar(&args.out, "split.csv");
    // A checkpoint trained on another split (or with --val) must not be
    // resumed on this one: the split is written before the first epoch, so
    // a checkpoint of this split always has it beside it.
    let ckpt = checkpoint_dir(args);
    if ckpt.exists() && std::fs::read_to_string(&file).ok().as_deref() != Some(text.as_str()) {
        bail!(
            "{}: the checkpoint in {} was trained on another validation set \
             (--val, --val-fraction or --seed changed); delete it or choose another --out",
            file.display(),
            ckpt.display()
        );
    }
    if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    write_atomic(&file, &text)?;
    let val_ids: std::collections::BTreeSet<&str> = split
        .iter()
        .filter(|(_, _, p)| *p == Part::Val)
        .map(|(id, _, _)| id.as_str())
        .collect();
    let (val, train): (Vec<_>, Vec<_>) = cases
        .into_iter()
        .partition(|(c, _)| val_ids.contains(c.id.as_str()));
    let record = Validation::Split {
        fraction,
        seed: args.seed,
        file,
        train: counts[0],
        val: counts[1],
    };
    Ok((train, val, record))
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
    let cases = labelled_cases(&args.cohort, &args.masks)?;
    let (train, val, validation) = match (&args.val, args.val_fraction) {
        (Some(dir), None) => {
            // A split recorded beside --out belongs to a --val-fraction run:
            // its checkpoint is not resumed, and the record goes.
            let split = sidecar(&args.out, "split.csv");
            if split.exists() {
                let ckpt = checkpoint_dir(&args);
                if ckpt.exists() {
                    bail!(
                        "{}: the checkpoint in {} was trained on a split of the cohort \
                         ({}); delete it or choose another --out",
                        args.out.display(),
                        ckpt.display(),
                        split.display()
                    );
                }
                std::fs::remove_file(&split)
                    .with_context(|| format!("removing {}", split.display()))?;
            }
            (
                cases,
                labelled_cases(dir, &args.masks)?,
                Validation::Cohort { path: dir.clone() },
            )
        }
        (None, Some(f)) => split_cohort(&args, cases, f)?,
        // clap's `validation` group admits exactly one of the two.
        _ => bail!("give exactly one of --val DIR and --val-fraction F"),
    };
    if let Validation::Split { train, val, .. } = &validation {
        eprintln!(
            "{}: validation split of the cohort: training {} (ALN- {}, ALN+ {}), \
             validation {} (ALN- {}, ALN+ {})",
            args.cohort.display(),
            train[0] + train[1],
            train[0],
            train[1],
            val[0] + val[1],
            val[0],
            val[1]
        );
    }
    let train = load_samples(&train, pre.resize)?;
    let val = load_samples(&val, pre.resize)?;
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
        validation,
        init,
        backend: kind.name().into(),
        state,
    };
    let meta = sidecar(&args.out, "meta.json");
    write_atomic(&meta, &(serde_json::to_string_pretty(&summary)? + "\n"))?;
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
        let ckpt = checkpoint_dir(args);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn cohort(n0: usize, n1: usize) -> Vec<(String, u8)> {
        // Interleaved, unsorted ids: the split must not depend on input order.
        let mut v: Vec<(String, u8)> = (0..n0)
            .map(|i| (format!("N{i:02}"), 0))
            .chain((0..n1).map(|i| (format!("P{i:02}"), 1)))
            .collect();
        v.reverse();
        v
    }

    fn counts(split: &[(String, u8, Part)]) -> [[usize; 2]; 2] {
        let mut c = [[0; 2]; 2];
        for (_, l, p) in split {
            c[usize::from(*p == Part::Val)][usize::from(*l)] += 1;
        }
        c
    }

    #[test]
    fn split_counts_are_round_n_times_f_per_class() {
        // 7 × 0.25 = 1.75 → 2; 5 × 0.25 = 1.25 → 1 (by hand).
        let s = stratified_split(&cohort(7, 5), 0.25, 1).unwrap();
        assert_eq!(counts(&s), [[5, 4], [2, 1]]);
        // 10 × 0.5 = 5; 3 × 0.5 = 1.5 → 2 (round half away from zero).
        let s = stratified_split(&cohort(10, 3), 0.5, 1).unwrap();
        assert_eq!(counts(&s), [[5, 1], [5, 2]]);
        // 4 × 0.1 = 0.4 → 0, raised to 1 (class of ≥ 2); 2 × 0.1 → 1.
        let s = stratified_split(&cohort(4, 2), 0.1, 1).unwrap();
        assert_eq!(counts(&s), [[3, 1], [1, 1]]);
        // A class of one patient stays in training when round(F) = 0.
        let s = stratified_split(&cohort(6, 1), 0.2, 1).unwrap();
        assert_eq!(counts(&s), [[5, 1], [1, 0]]);
    }

    #[test]
    fn split_is_seeded_sorted_and_independent_of_input_order() {
        let a = stratified_split(&cohort(20, 11), 0.3, 42).unwrap();
        let mut shuffled = cohort(20, 11);
        shuffled.rotate_left(7);
        let b = stratified_split(&shuffled, 0.3, 42).unwrap();
        assert_eq!(a, b);
        assert!(a.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(a.len(), 31);
        let c = stratified_split(&cohort(20, 11), 0.3, 43).unwrap();
        assert_ne!(a, c, "another seed, another split");
        assert_eq!(counts(&a), counts(&c));
    }

    #[test]
    fn split_refuses_a_class_without_training_patients() {
        // One positive and F = 0.5: round(0.5) = 1 leaves none to train on.
        let e = stratified_split(&cohort(6, 1), 0.5, 0).unwrap_err();
        assert!(
            e.contains("ALN_status = 1") && e.contains("1 patient"),
            "{e}"
        );
        let e = stratified_split(&cohort(6, 0), 0.2, 0).unwrap_err();
        assert!(e.contains("ALN_status = 1: 0 patient"), "{e}");
    }

    #[test]
    fn val_fraction_range() {
        assert_eq!(parse_val_fraction("0.5"), Ok(0.5));
        assert_eq!(parse_val_fraction("0.01"), Ok(0.01));
        for bad in ["0", "0.51", "-0.1", "NaN", "x", "inf"] {
            assert!(parse_val_fraction(bad).is_err(), "{bad}");
        }
    }
}
