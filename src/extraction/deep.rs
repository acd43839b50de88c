//! The 2048 ResNet50 features of every case of a cohort, into a feature
//! store: the loop is dlrn-study's [`extract_deep`] (shared with the Python
//! package); this chooses the Burn backend, draws the progress bar, prints
//! the loader's warnings and how the run ends. Also the lesion crops
//! fine-tuning reads.

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use dlrn_cohort::Case;
use dlrn_deep::preprocess::Grey;
use dlrn_deep::{BackendKind, InferenceJob, run_inference};
use dlrn_study::extraction::deep::{DeepJob as StudyDeepJob, extract_deep, lesion};
use dlrn_study::extraction::{Reading, Silent};
use serde::{Deserialize, Serialize};

use super::{Bar, Job, OnFailure, Report, conclude};

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

pub use dlrn_study::extraction::deep::DeepMeta;

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
/// masks read with the default options; dlrn-study's [`lesion`]).
pub fn load_lesion(case: &Case) -> anyhow::Result<Grey> {
    lesion(case, &Reading::default(), &Silent)
        .map(|(grey, _)| grey)
        .map_err(|(_, reason)| anyhow!(reason))
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
        let run = extract_deep::<B>(
            &StudyDeepJob {
                cohort: &job.cohort,
                masks: &job.masks,
                out: &job.out,
                shard: job.shard,
                reading: job.inputs.reading(),
                weights: args.weights.as_deref(),
                seed: args.seed,
                batch: args.batch,
                accept_partial: job.on_failure == OnFailure::KeepGoing,
            },
            self.kind.name(),
            &device,
            &Bar::new("deep features"),
        )?;
        let outcome = run
            .outcome
            // why it cannot fail: `Bar` never stops a run, so it always ends with an outcome.
            .expect("the command line's watch never stops a run");
        conclude(
            Report {
                out: &job.out,
                names: None,
                rows: run.store.rows(),
            },
            &run.failures,
            outcome,
            job.on_failure,
        )?;
        Ok((run.meta, run.resumed))
    }
}
