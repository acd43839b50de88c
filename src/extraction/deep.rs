//! The 2048 ResNet50 features of every case of a cohort, into a feature
//! store: batched forward passes, resumable under the same settings; and the
//! lesion crops fine-tuning reads.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use dlrn_cohort::{Case, Failure, FeatureStore, GreyMapping, Settings, Spec};
use dlrn_deep::preprocess::{Grey, PreprocessConfig, lesion_crop, normalise};
use dlrn_deep::{
    BackendKind, FusedResNet, InferenceJob, WeightsInfo, feature_names, features, load_weights,
    resnet50_for, run_inference,
};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{InputArgs, Job, OnFailure, Report, conclude};
use crate::cli::util::progress_bar;

/// Backends selectable on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// Burn flex, the default CPU backend.
    Flex,
    /// burn-ndarray CPU backend (build with `--features ndarray`).
    Ndarray,
    /// burn-wgpu GPU backend (build with `--features wgpu`).
    Wgpu,
    /// burn-cuda NVIDIA backend (build with `--features cuda`).
    Cuda,
}

impl From<Backend> for BackendKind {
    fn from(b: Backend) -> Self {
        match b {
            Backend::Flex => BackendKind::Flex,
            Backend::Ndarray => BackendKind::Ndarray,
            Backend::Wgpu => BackendKind::Wgpu,
            Backend::Cuda => BackendKind::Cuda,
        }
    }
}

/// A deep extraction: the common job and the network.
#[derive(Debug, Clone)]
pub struct DeepJob {
    /// Cohort, output, reading options, shard and failure policy.
    pub job: Job,
    /// Weights: .pth/.pt/.safetensors (torchvision state dict) or .mpk (dlrn finetune).
    pub weights: Option<PathBuf>,
    /// Seed of the random initialisation used without weights.
    pub seed: u64,
    /// Burn backend.
    pub backend: Backend,
    /// Images per forward pass.
    pub batch: usize,
}

/// Provenance written beside the output table (`<out>.meta.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeepMeta {
    /// The weights that produced the features.
    pub weights: WeightsInfo,
    /// Burn backend name.
    pub backend: String,
    /// The cohort folder.
    pub cohort: PathBuf,
    /// Masks sub-folder.
    pub masks: String,
    /// Shorter side after resizing.
    pub resize: usize,
    /// Network input side.
    pub crop: usize,
    /// Number of cases written.
    pub cases: usize,
    /// dlrn version.
    pub version: String,
    /// How images and masks were read (DICOM frame, mask label, RoiSet entry).
    #[serde(default)]
    pub reading: InputArgs,
}

impl DeepMeta {
    /// Whether rows computed under `self` are what `other`'s settings would
    /// compute (same weights, backend, preprocessing, masks and reading).
    fn same_settings(&self, other: &DeepMeta) -> bool {
        self.weights == other.weights
            && self.backend == other.backend
            && self.masks == other.masks
            && self.resize == other.resize
            && self.crop == other.crop
            && self.reading == other.reading
    }

    /// Reads a `DeepMeta` file; `None` when absent or not one.
    fn read(path: &Path) -> Option<DeepMeta> {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
    }
}

/// What a run did (the `--json` output).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExtractSummary {
    /// The output table.
    pub out: PathBuf,
    /// Cases in the table.
    pub cases: usize,
    /// Cases taken from an interrupted run's partial file.
    pub resumed: usize,
    /// Provenance, as in `<out>.meta.json`.
    pub meta: DeepMeta,
}

/// The lesion's bounding-box crop of one case, as 8-bit grey (images and
/// masks read with the default options).
pub fn load_lesion(case: &Case) -> anyhow::Result<Grey> {
    load_lesion_with(case, &InputArgs::default()).map(|(g, _)| g)
}

/// [`load_lesion`] reading the image and mask as `inputs` says; also how
/// the image reached 8-bit grey.
pub fn load_lesion_with(case: &Case, inputs: &InputArgs) -> anyhow::Result<(Grey, GreyMapping)> {
    let (img, mask, mapping) = inputs.load_recorded(&case.image, &case.mask)?;
    let grey = Grey::new(img.width, img.height, img.pixels)
        .with_context(|| case.image.display().to_string())?;
    if (mask.width, mask.height) != (img.width, img.height) {
        bail!(
            "{}: mask is {}×{}, image {} is {}×{}",
            case.mask.display(),
            mask.width,
            mask.height,
            case.image.display(),
            img.width,
            img.height
        );
    }
    let crop = lesion_crop(&grey, &mask.pixels, &case.mask.display().to_string())?;
    Ok((crop, mapping))
}

impl ExtractSummary {
    /// The one-line summary printed on stderr without `--json`.
    pub fn describe(&self) -> String {
        format!(
            "{}: {} cases ({} resumed), weights {}",
            self.out.display(),
            self.cases,
            self.resumed,
            self.meta.weights
        )
    }
}

/// The extraction itself (see `dlrn extract deep --help`): returns what was
/// written, with the weights' provenance.
pub fn extract(args: &DeepJob) -> anyhow::Result<ExtractSummary> {
    dlrn_deep::retain_freed_memory();
    if args.batch == 0 {
        bail!("--batch must be at least 1");
    }
    let kind: BackendKind = args.backend.into();
    let (meta, resumed) = run_inference(kind, ExtractJob { args, kind })??;
    Ok(ExtractSummary {
        out: args.job.out.clone(),
        cases: meta.cases,
        resumed,
        meta,
    })
}

/// Writes `<out>.meta.json` of a merged deep table: the first shard's, with
/// the merged number of cases (byte for byte what an unsharded run writes).
pub fn merge_meta(first_shard: &Path, out: &Path, cases: usize) -> anyhow::Result<()> {
    let shard_meta = dlrn_cohort::sidecar(first_shard, "meta.json");
    let text = std::fs::read_to_string(&shard_meta)
        .with_context(|| format!("reading {}", shard_meta.display()))?;
    let mut meta: DeepMeta = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a deep-feature meta.json", shard_meta.display()))?;
    meta.cases = cases;
    dlrn_cohort::store::write_json(&dlrn_cohort::sidecar(out, "meta.json"), &meta)?;
    Ok(())
}

struct ExtractJob<'a> {
    args: &'a DeepJob,
    kind: BackendKind,
}

/// The provenance written and the number of rows taken from an earlier run.
type JobOutput = anyhow::Result<(DeepMeta, usize)>;

impl InferenceJob for ExtractJob<'_> {
    type Output = JobOutput;

    fn run<B: dlrn_deep::backend::Backend>(
        self,
        device: B::Device,
        _kind: BackendKind,
    ) -> JobOutput {
        let args = self.args;
        let job = &args.job;
        // A .mpk from `dlrn finetune` carries the 2-class head; the features ignore it.
        let config = resnet50_for(args.weights.as_deref());
        let names = feature_names(config.feature_dim());
        let spec = Spec {
            cohort: &job.cohort,
            masks: &job.masks,
            out: &job.out,
            names: names.clone(),
            shard: job.shard,
            kind: "deep",
        };
        let cases = FeatureStore::cases(&spec)?;
        let (model, weights) =
            load_weights::<B>(config, args.weights.as_deref(), args.seed, &device)?;
        // Inference with each BatchNorm folded into its convolution: the same
        // features (4e-7 relative, verify_torch) at 2.7× the speed on flex.
        let fused = FusedResNet::new(&model);
        let cfg = PreprocessConfig::default();
        let n_cases = cases.len();
        let meta = DeepMeta {
            weights,
            backend: self.kind.name().into(),
            cohort: job.cohort.clone(),
            masks: job.masks.clone(),
            resize: cfg.resize,
            crop: cfg.crop,
            cases: n_cases,
            version: env!("CARGO_PKG_VERSION").into(),
            reading: job.inputs.clone(),
        };
        let mut shard_settings = serde_json::to_value(&meta)?;
        if let Some(m) = shard_settings.as_object_mut() {
            m.remove("cases");
        }
        // Resume: rows of an earlier table count only when they were
        // computed with these settings (and, per row, the same inputs).
        let same = |p: &Path| DeepMeta::read(p).is_some_and(|m| m.same_settings(&meta));
        let settings = Settings {
            record: serde_json::to_string_pretty(&meta)?,
            same: &same,
        };
        let (mut store, todo) = FeatureStore::open(&spec, cases, Some(settings), shard_settings)?;
        let resumed = store.resumed();
        let bar = progress_bar(n_cases as u64, "deep features");
        bar.set_position(resumed as u64);
        let mut failures = Vec::new();
        for chunk in todo.chunks(args.batch) {
            let loaded: Vec<Result<(Vec<f32>, GreyMapping), Failure>> = chunk
                .par_iter()
                .map(|case| {
                    let (lesion, mapping) =
                        load_lesion_with(case, &job.inputs).map_err(|e| Failure {
                            id: case.id.clone(),
                            file: e
                                .downcast_ref::<dlrn_cohort::CohortError>()
                                .and_then(error_path)
                                .unwrap_or_else(|| case.image.clone()),
                            reason: format!("{e:#}"),
                        })?;
                    let input = normalise(&lesion.resize_shorter(cfg.resize).center_crop(cfg.crop));
                    Ok((input, mapping))
                })
                .collect();
            let mut ids = Vec::with_capacity(chunk.len());
            let mut batch = Vec::with_capacity(chunk.len());
            let mut mappings = Vec::with_capacity(chunk.len());
            for (case, r) in chunk.iter().zip(loaded) {
                match r {
                    Ok((input, mapping)) => {
                        ids.push(case.id.clone());
                        batch.push(input);
                        mappings.push(mapping);
                    }
                    Err(f) => failures.push(f),
                }
            }
            let feats = if batch.is_empty() {
                Vec::new()
            } else {
                features(&fused, &batch, cfg.crop, &device)
            };
            let rows = ids
                .into_iter()
                .zip(&feats)
                .zip(mappings)
                .map(|((id, f), mapping)| (id, f.iter().map(|&v| f64::from(v)).collect(), mapping))
                .collect();
            // As `extract handcrafted`: grey levels, then the rows (to the
            // partial table, never to --out), then their input fingerprints.
            store.commit(rows)?;
            bar.inc(chunk.len() as u64);
        }
        bar.finish_and_clear();
        if store.rows().len() + failures.len() != n_cases {
            bail!(
                "{}: {} of {n_cases} cases computed (the rest neither resumed nor extracted)",
                job.out.display(),
                store.rows().len()
            );
        }
        let outcome = store.finish(&failures, job.on_failure == OnFailure::KeepGoing)?;
        conclude(
            Report {
                out: &job.out,
                names: None,
                rows: store.rows(),
            },
            &failures,
            outcome,
            job.on_failure,
        )?;
        Ok((meta, resumed))
    }
}

/// The file a reading error names.
fn error_path(e: &dlrn_cohort::CohortError) -> Option<PathBuf> {
    use dlrn_cohort::CohortError as E;
    match e {
        E::Io { path, .. } | E::Image { path, .. } | E::Mask { path, .. } => Some(path.clone()),
        _ => None,
    }
}
