//! `dlrn extract deep`: the 2048 ResNet50 features of every case of a cohort.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use dlrn_cohort::{Case, GreyMapping, Table, scan_cases};
use dlrn_deep::preprocess::{Grey, PreprocessConfig, lesion_crop, normalise};
use dlrn_deep::{
    BackendKind, FusedResNet, InferenceJob, WeightsInfo, feature_names, features, load_weights,
    resnet50_for, run_inference,
};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::extract::{GreyRecord, Reuse, partial_path, resume, write_atomic, write_rows};
use super::inputs::InputArgs;
use super::util::{print_json, progress_bar, sidecar};

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

/// Extract the 2048 deep features (ResNet50 global-average-pool outputs) of
/// every case of a cohort.
///
/// Each case's lesion is cropped to its mask's bounding box from the whole
/// image, resized (shorter side 256, PIL bilinear), centre-cropped to 224,
/// replicated to 3 channels and ImageNet-normalised, as torchvision does, then
/// passed through ResNet50 in eval mode. The output table has `id`,
/// `ALN_status` (when the cohort's clinical.csv has it) and `f_1..f_2048`.
///
/// Weights: a torchvision state dict (.pth/.pt or .safetensors, e.g. from
/// scripts/export_torchvision_safetensors.py) or a network fine-tuned by
/// `dlrn finetune` (.mpk). Without `--weights` the network is torchvision's
/// random initialisation from `--seed`, and the metadata says so.
/// `<out>.meta.json` records the weights (path + SHA-256, or "random, seed
/// N"), backend and preprocessing, `<out>.inputs.json` the SHA-256 of each
/// case's image and mask, `<out>.grey.json` how each image reached 8-bit grey
/// (DICOM transfer syntax, rescale, VOI window or min–max, frame).
///
/// Finished rows are saved after every batch to `<stem>.partial.<ext>` beside
/// --out (the settings they were computed with in `<out>.partial.json`); the
/// table appears at --out only when the run is complete, so a killed run
/// never leaves a table that looks finished. Running the same command again
/// resumes: rows of the partial table, or of a finished --out, computed with
/// the same weights, backend, preprocessing and reading options from an
/// unchanged image and mask are kept, the others computed.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The cohort folder (needs images/ and the masks folder; clinical.csv optional).
    #[arg(long)]
    pub cohort: PathBuf,
    /// Sub-folder of the cohort holding the lesion masks.
    #[arg(long, default_value = "masks")]
    pub masks: String,
    /// Output table, .csv or .parquet.
    #[arg(long)]
    pub out: PathBuf,
    /// Weights: .pth/.pt/.safetensors (torchvision state dict) or .mpk (dlrn finetune).
    #[arg(long)]
    pub weights: Option<PathBuf>,
    /// Seed of the random initialisation used when no --weights is given.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Burn backend.
    #[arg(long, value_enum, default_value = "flex")]
    pub backend: Backend,
    /// Images per forward pass.
    #[arg(long, default_value_t = 16)]
    pub batch: usize,
    /// Print a summary as one JSON value on stdout.
    #[arg(long)]
    pub json: bool,
    /// How images and masks are read (DICOM frame, mask label, RoiSet entry).
    #[command(flatten)]
    pub inputs: super::inputs::InputArgs,
    /// Extract only shard I of N (0-based; contiguous runs of the cases
    /// sorted by id) and record it in `<out>.shard.json` for `dlrn merge`.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<super::merge::Shard>,
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

/// ALN_status by id from the cohort's clinical.csv (empty when the file or
/// the column is absent; `None` for unknown cells).
pub(crate) fn read_labels(cohort: &Path) -> anyhow::Result<Option<BTreeMap<String, Option<u8>>>> {
    let path = cohort.join("clinical.csv");
    if !path.exists() {
        return Ok(None);
    }
    let table = Table::read(&path)?;
    if !table.has_column("ALN_status") {
        return Ok(None);
    }
    let ids = table.ids()?;
    let raw = table.str_column("ALN_status")?;
    let mut out = BTreeMap::new();
    for (row, (id, v)) in ids.into_iter().zip(raw).enumerate() {
        let label = match v.as_deref().map(str::trim) {
            None | Some("") | Some("NA") => None,
            Some("0") => Some(0),
            Some("1") => Some(1),
            Some(other) => bail!(
                "{}: row {}, column `ALN_status`: {other:?} is not 0, 1 or empty",
                path.display(),
                row + 1
            ),
        };
        out.insert(id, label);
    }
    Ok(Some(out))
}

/// The lesion's bounding-box crop of one case, as 8-bit grey (images and
/// masks read with the default options).
pub(crate) fn load_lesion(case: &Case) -> anyhow::Result<Grey> {
    load_lesion_with(case, &super::inputs::InputArgs::default()).map(|(g, _)| g)
}

/// [`load_lesion`] reading the image and mask as `inputs` says; also how
/// the image reached 8-bit grey.
pub(crate) fn load_lesion_with(
    case: &Case,
    inputs: &super::inputs::InputArgs,
) -> anyhow::Result<(Grey, GreyMapping)> {
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

/// Runs the extraction and writes the table and its metadata.
pub fn run(args: Args) -> anyhow::Result<()> {
    dlrn_deep::retain_freed_memory();
    let summary = extract(&args)?;
    if args.json {
        print_json(&summary)?;
    } else {
        eprintln!(
            "{}: {} cases ({} resumed), weights {}",
            summary.out.display(),
            summary.cases,
            summary.resumed,
            summary.meta.weights
        );
    }
    Ok(())
}

/// The extraction itself: returns what was written, with the weights' provenance.
pub fn extract(args: &Args) -> anyhow::Result<ExtractSummary> {
    if args.batch == 0 {
        bail!("--batch must be at least 1");
    }
    if args.shard.is_some() {
        super::merge::clear_manifest(&args.out)?;
    }
    let cases = super::merge::select(scan_cases(&args.cohort, &args.masks)?, args.shard)?;
    if cases.is_empty() {
        bail!("{}: no cases in images/", args.cohort.display());
    }
    let labels: Option<HashMap<String, Option<u8>>> =
        read_labels(&args.cohort)?.map(|l| l.into_iter().collect());
    let kind: BackendKind = args.backend.into();
    let job = ExtractJob {
        args,
        cases,
        labels: labels.as_ref(),
        kind,
    };
    let (meta, resumed) = run_inference(kind, job)??;
    if let Some(shard) = args.shard {
        let mut settings = serde_json::to_value(&meta)?;
        if let Some(m) = settings.as_object_mut() {
            m.remove("cases");
        }
        super::merge::write_manifest(
            &args.out,
            "deep",
            shard,
            &args.cohort,
            &args.masks,
            settings,
        )?;
    }
    Ok(ExtractSummary {
        out: args.out.clone(),
        cases: meta.cases,
        resumed,
        meta,
    })
}

struct ExtractJob<'a> {
    args: &'a Args,
    cases: Vec<Case>,
    labels: Option<&'a HashMap<String, Option<u8>>>,
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
        // A .mpk from `dlrn finetune` carries the 2-class head; the features ignore it.
        let config = resnet50_for(args.weights.as_deref());
        let (model, weights) =
            load_weights::<B>(config, args.weights.as_deref(), args.seed, &device)?;
        let names = feature_names(config.feature_dim());
        // Inference with each BatchNorm folded into its convolution: the same
        // features (4e-7 relative, verify_torch) at 2.7× the speed on flex.
        let fused = FusedResNet::new(&model);
        let cfg = PreprocessConfig::default();
        let n_cases = self.cases.len();
        let meta = DeepMeta {
            weights,
            backend: self.kind.name().into(),
            cohort: args.cohort.clone(),
            masks: args.masks.clone(),
            resize: cfg.resize,
            crop: cfg.crop,
            cases: n_cases,
            version: env!("CARGO_PKG_VERSION").into(),
            reading: args.inputs.clone(),
        };

        // Resume: rows of an earlier table count only when they were
        // computed with these settings (and, per row, the same inputs).
        let partial = partial_path(&args.out);
        let partial_meta = sidecar(&args.out, "partial.json");
        let same = |p: &Path| DeepMeta::read(p).is_some_and(|m| m.same_settings(&meta));
        let reuse = Reuse {
            out: args.out.exists() && same(&sidecar(&args.out, "meta.json")),
            partial: partial.exists() && same(&partial_meta),
        };
        let (todo, mut done, mut inputs) = resume(self.cases, &args.out, &names, reuse)?;
        let resumed = done.len();
        let mut grey = GreyRecord::open(&args.out, &done);
        if !todo.is_empty() {
            if !reuse.partial && partial.exists() {
                // Rows of other settings: not to be mixed with this run's.
                std::fs::remove_file(&partial)
                    .with_context(|| format!("removing {}", partial.display()))?;
            }
            write_atomic(
                &partial_meta,
                &(serde_json::to_string_pretty(&meta)? + "\n"),
            )?;
        }
        let bar = progress_bar(n_cases as u64, "deep features");
        bar.set_position(resumed as u64);
        for chunk in todo.chunks(args.batch) {
            let loaded: Vec<(Vec<f32>, GreyMapping)> = chunk
                .par_iter()
                .map(|case| {
                    let (lesion, mapping) = load_lesion_with(case, &args.inputs)?;
                    let input = normalise(&lesion.resize_shorter(cfg.resize).center_crop(cfg.crop));
                    Ok((input, mapping))
                })
                .collect::<anyhow::Result<_>>()?;
            let (batch, mappings): (Vec<Vec<f32>>, Vec<GreyMapping>) = loaded.into_iter().unzip();
            let feats = features(&fused, &batch, cfg.crop, &device);
            let mut ids = Vec::with_capacity(chunk.len());
            for ((case, f), mapping) in chunk.iter().zip(&feats).zip(&mappings) {
                done.insert(case.id.clone(), f.iter().map(|&v| f64::from(v)).collect());
                grey.insert(case.id.clone(), mapping)?;
                ids.push(case.id.clone());
            }
            // As `extract handcrafted`: grey levels, then the rows (to the
            // partial table, never to --out), then their input fingerprints.
            grey.save()?;
            write_rows(&partial, &names, self.labels, &done)?;
            inputs.add(&ids)?;
            bar.inc(chunk.len() as u64);
        }
        bar.finish_and_clear();
        if done.len() != n_cases {
            bail!(
                "{}: {} of {n_cases} cases computed (the rest neither resumed nor extracted)",
                args.out.display(),
                done.len()
            );
        }
        // Complete: the table, then its provenance; then the partial files go.
        grey.save()?;
        write_rows(&args.out, &names, self.labels, &done)?;
        inputs.complete()?;
        write_atomic(
            &sidecar(&args.out, "meta.json"),
            &(serde_json::to_string_pretty(&meta)? + "\n"),
        )?;
        // `<out>.partial` is where earlier versions kept their rows.
        for p in [partial, partial_meta, sidecar(&args.out, "partial")] {
            if p.exists() {
                std::fs::remove_file(&p).with_context(|| format!("removing {}", p.display()))?;
            }
        }
        Ok((meta, resumed))
    }
}
