//! `dlrn extract deep`: the 2048 ResNet50 features of every case of a cohort.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use dlrn_cohort::{Case, Table, feature_frame, scan_cases, write_table};
use dlrn_deep::preprocess::{Grey, PreprocessConfig, lesion_crop, normalise};
use dlrn_deep::{
    BackendKind, FusedResNet, InferenceJob, WeightsInfo, feature_names, features, load_weights,
    resnet50_for, run_inference,
};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::extract::{fingerprints, keep_unchanged};
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
/// case's image and mask. An interrupted run resumes: finished cases are kept
/// in `<out>.partial` and not recomputed unless their image or mask changed.
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
    load_lesion_with(case, &super::inputs::InputArgs::default())
}

/// [`load_lesion`] reading the image and mask as `inputs` says.
pub(crate) fn load_lesion_with(
    case: &Case,
    inputs: &super::inputs::InputArgs,
) -> anyhow::Result<Grey> {
    let (img, mask) = inputs.load(&case.image, &case.mask)?;
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
    Ok(lesion_crop(
        &grey,
        &mask.pixels,
        &case.mask.display().to_string(),
    )?)
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
    let labels = read_labels(&args.cohort)?;
    let kind: BackendKind = args.backend.into();
    let job = ExtractJob {
        args,
        cases: &cases,
    };
    let (rows, resumed, weights) = run_inference(kind, job)??;
    let ids: Vec<String> = cases.iter().map(|c| c.id.clone()).collect();
    let label_col: Option<Vec<Option<u8>>> = labels
        .as_ref()
        .map(|l| ids.iter().map(|id| l.get(id).copied().flatten()).collect());
    let names = feature_names(rows.first().map_or(2048, Vec::len));
    let mut df = feature_frame(&ids, label_col.as_deref(), &names, &rows)?;
    write_table(&mut df, &args.out)?;
    let cfg = PreprocessConfig::default();
    let meta = DeepMeta {
        weights,
        backend: kind.name().into(),
        cohort: args.cohort.clone(),
        masks: args.masks.clone(),
        resize: cfg.resize,
        crop: cfg.crop,
        cases: ids.len(),
        version: env!("CARGO_PKG_VERSION").into(),
    };
    let meta_path = sidecar(&args.out, "meta.json");
    std::fs::write(&meta_path, serde_json::to_string_pretty(&meta)? + "\n")
        .with_context(|| format!("writing {}", meta_path.display()))?;
    for suffix in ["partial", "partial.json"] {
        let p = sidecar(&args.out, suffix);
        if p.exists() {
            std::fs::remove_file(&p).with_context(|| format!("removing {}", p.display()))?;
        }
    }
    if let Some(shard) = args.shard {
        let mut settings = serde_json::to_value(&meta)?;
        if let Some(m) = settings.as_object_mut() {
            m.remove("cases");
            m.insert(
                "reading".into(),
                serde_json::json!({
                    "frame": args.inputs.frame,
                    "mask_label": args.inputs.mask_label,
                    "roi": args.inputs.roi,
                }),
            );
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
        cases: ids.len(),
        resumed,
        meta,
    })
}

struct ExtractJob<'a> {
    args: &'a Args,
    cases: &'a [Case],
}

type JobOutput = anyhow::Result<(Vec<Vec<f64>>, usize, WeightsInfo)>;

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
        let dim = config.feature_dim();
        // Inference with each BatchNorm folded into its convolution: the same
        // features (4e-7 relative, verify_torch) at 2.7× the speed on flex.
        let fused = FusedResNet::new(&model);

        // Resume: the partial file holds finished rows of a run with the same weights.
        let partial = sidecar(&args.out, "partial");
        let partial_meta = sidecar(&args.out, "partial.json");
        let mut done: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        let weights_json = serde_json::to_string(&weights)?;
        let same_run = std::fs::read_to_string(&partial_meta).is_ok_and(|s| s == weights_json);
        if same_run && partial.exists() {
            let file = std::fs::File::open(&partial)
                .with_context(|| format!("opening {}", partial.display()))?;
            for line in std::io::BufReader::new(file).lines() {
                let line = line?;
                let mut parts = line.split('\t');
                let Some(id) = parts.next() else { continue };
                // Written from f32 in shortest round-trip form: parse as f32.
                let values: Result<Vec<f64>, _> =
                    parts.map(|p| p.parse::<f32>().map(f64::from)).collect();
                // A torn last line (killed mid-write) is simply recomputed.
                if let Ok(v) = values
                    && v.len() == dim
                {
                    done.insert(id.to_string(), v);
                }
            }
        } else {
            if let Some(parent) = partial.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&partial_meta, &weights_json)?;
            std::fs::write(&partial, "")?;
        }
        // Rows of other images or masks (edited since, or unknown) are recomputed.
        keep_unchanged(&args.out, &mut done, &fingerprints(self.cases)?)?;
        let resumed = done.len();
        let todo: Vec<&Case> = self
            .cases
            .iter()
            .filter(|c| !done.contains_key(&c.id))
            .collect();
        let mut writer = std::fs::OpenOptions::new()
            .append(true)
            .open(&partial)
            .with_context(|| format!("opening {}", partial.display()))?;
        let cfg = PreprocessConfig::default();
        let bar = progress_bar(self.cases.len() as u64, "deep features");
        bar.set_position(resumed as u64);
        for chunk in todo.chunks(args.batch) {
            let inputs: Vec<Vec<f32>> = chunk
                .par_iter()
                .map(|case| {
                    let lesion = load_lesion_with(case, &args.inputs)?;
                    Ok(normalise(
                        &lesion.resize_shorter(cfg.resize).center_crop(cfg.crop),
                    ))
                })
                .collect::<anyhow::Result<_>>()?;
            let feats = features(&fused, &inputs, cfg.crop, &device);
            let mut text = String::new();
            for (case, f) in chunk.iter().zip(&feats) {
                text.push_str(&case.id);
                for v in f {
                    text.push('\t');
                    text.push_str(&v.to_string());
                }
                text.push('\n');
                done.insert(case.id.clone(), f.iter().map(|&v| v as f64).collect());
            }
            writer
                .write_all(text.as_bytes())
                .and_then(|_| writer.flush())
                .with_context(|| format!("writing {}", partial.display()))?;
            bar.inc(chunk.len() as u64);
        }
        bar.finish_and_clear();
        let rows = self
            .cases
            .iter()
            .map(|c| done.remove(&c.id).expect("every case computed"))
            .collect();
        Ok((rows, resumed, weights))
    }
}
