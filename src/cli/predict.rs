//! `dlrn predict`: a frozen model bundle on new patients.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::ValueEnum;
use dlrn_study::apply::{
    Extraction, HarmonizeMode, fail_if_unscored, report, score_cohort, write_predictions,
};
use dlrn_study::bundle::Bundle;

use super::util::print_json;
use crate::extraction::deep::{self, Backend, DeepJob};
use crate::extraction::{Job, OnFailure, handcrafted};

/// Apply a frozen DLRN (a study's `model/` bundle) to new patients: signature
/// score, the probabilities of the clinical model, the signature and the
/// DLRN, the DLRN class at its cut-off and the nomogram points.
///
/// A cohort folder needs images/, masks/ and clinical.csv with an `id`
/// column and the clinical variables the models use (ALN_status is not
/// needed). One patient: `--image F --mask F --clinical age=52,birads=4C,…`.
/// The handcrafted and deep features the signature needs are extracted into
/// the work folder (default `<out>.work/`) by the functions `dlrn extract`
/// calls, with their progress bars and resume: a rerun reuses the handcrafted rows of
/// unchanged images and masks, and an interrupted deep extraction resumes.
///
/// Each patient whose input lies outside what the models saw in training (a
/// feature or clinical value outside the training range, a category not
/// seen) gets a warning on stderr and in the `warnings` column. A missing
/// clinical column or a patient without a mask stops the run before any
/// extraction; a patient who cannot be scored (unreadable image, missing or
/// unknown clinical value) is listed with the reason in `warnings` and empty
/// numbers, the others are written, and the exit status is 2.
///
/// A bundle of a harmonised study (harmonize.json) harmonises a cohort's
/// features as one new hospital before scoring (ComBat onto the training
/// hospital, from this cohort's own features; at least the bundle's minimum
/// number of patients, 20 by default). A single patient (--image) cannot be
/// harmonised and is refused unless --harmonize none.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The model bundle folder (`<study>/model/`).
    #[arg(long)]
    pub model: PathBuf,
    /// The cohort folder (images/, masks/, clinical.csv).
    #[arg(long, conflicts_with_all = ["image", "mask", "clinical"], required_unless_present = "image")]
    pub cohort: Option<PathBuf>,
    /// One patient's image (with --mask and --clinical).
    #[arg(long, requires_all = ["mask", "clinical"])]
    pub image: Option<PathBuf>,
    /// One patient's lesion mask.
    #[arg(long, requires = "image")]
    pub mask: Option<PathBuf>,
    /// One patient's clinical values, `name=value` separated by commas (`age=52,birads=4C`).
    #[arg(long, requires = "image")]
    pub clinical: Option<String>,
    /// The patient id in single-patient mode (default: the image's file stem).
    #[arg(long, requires = "image")]
    pub id: Option<String>,
    /// Output CSV, one row per patient.
    #[arg(long)]
    pub out: PathBuf,
    /// Folder for the extracted features (resumable; default `<out>.work`).
    #[arg(long)]
    pub work: Option<PathBuf>,
    /// Burn backend of the deep features.
    #[arg(long, value_enum, default_value = "flex")]
    pub backend: Backend,
    /// Images per forward pass of the CNN.
    #[arg(long, default_value_t = 16)]
    pub batch: usize,
    /// Print the predictions as one JSON value on stdout.
    #[arg(long)]
    pub json: bool,
    /// Refuse a patient with an undefined feature or a missing clinical
    /// value instead of scoring them with the bundle's stored training value.
    #[arg(long)]
    pub strict: bool,
    /// With a harmonised bundle (harmonize.json): `apply` (default)
    /// harmonises the cohort as one new hospital (ComBat onto the training
    /// hospital; at least the bundle's minimum number of patients), `none`
    /// scores the features as extracted, with a warning on every row.
    #[arg(long, value_enum, default_value = "apply")]
    pub harmonize: HarmonizeArg,
}

/// `--harmonize`: what a harmonised bundle does with the patients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HarmonizeArg {
    /// Harmonise the cohort as one new hospital.
    Apply,
    /// Score unharmonised features, each row warned.
    None,
}

impl HarmonizeArg {
    /// dlrn-study's mode.
    pub fn mode(self) -> HarmonizeMode {
        match self {
            HarmonizeArg::Apply => HarmonizeMode::Apply,
            HarmonizeArg::None => HarmonizeMode::None,
        }
    }
}

/// Runs the prediction.
pub fn run(args: Args) -> anyhow::Result<()> {
    let bundle = Bundle::load(&args.model)
        .with_context(|| format!("loading the model bundle {}", args.model.display()))?;
    let work = args
        .work
        .clone()
        .unwrap_or_else(|| super::util::sidecar(&args.out, "work"));
    let cohort = match (&args.cohort, &args.image) {
        (Some(c), _) => c.clone(),
        (None, Some(image)) => {
            if let (Some(h), HarmonizeArg::Apply) = (&bundle.harmonize, args.harmonize) {
                bail!(
                    "the model bundle harmonises features across hospitals (ComBat fitted on {}): \
                     a single patient cannot be harmonised, because a new hospital's location and \
                     scale per feature are estimated from at least {} of its patients. Score the \
                     patient with their hospital's cohort (--cohort DIR), or pass --harmonize none \
                     to score the unharmonised features (the row then carries a warning)",
                    h.reference,
                    h.min_batch
                );
            }
            single_patient(&args, image, &work.join("patient"))?
        }
        (None, None) => bail!("give --cohort, or --image with --mask and --clinical"),
    };
    let scored = score_cohort(
        &bundle,
        &cohort,
        &work,
        &mut |request| extract(request, args.backend, args.batch).map_err(Into::into),
        args.strict,
        args.harmonize.mode(),
    )?;
    write_predictions(&bundle, &scored, &args.out)?;
    for line in report(&scored, &args.out) {
        eprintln!("{line}");
    }
    if args.json {
        print_json(&scored)?;
    }
    Ok(fail_if_unscored(&scored)?)
}

/// Lays out one patient as a cohort folder under `dir` (images/, masks/, clinical.csv).
fn single_patient(args: &Args, image: &Path, dir: &Path) -> anyhow::Result<PathBuf> {
    let mask = args.mask.as_ref().context("--image needs --mask")?;
    let clinical = args.clinical.as_deref().unwrap_or("");
    let id = match &args.id {
        Some(id) => id.clone(),
        None => image
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .with_context(|| format!("{}: no file name", image.display()))?,
    };
    let mut cells: BTreeMap<String, String> = BTreeMap::new();
    for part in clinical.split(',').filter(|p| !p.trim().is_empty()) {
        let (k, v) = part.split_once('=').with_context(|| {
            format!("--clinical: {part:?} is not name=value (e.g. age=52,birads=4C)")
        })?;
        let k = k.trim();
        if k == "id" || k.contains(['"', '\n']) || v.contains(['"', '\n']) {
            bail!("--clinical: {part:?} is not a valid name=value pair");
        }
        if cells.insert(k.to_string(), v.trim().to_string()).is_some() {
            bail!("--clinical: {k} is given twice");
        }
    }
    for (what, src, sub) in [
        ("image", image, "images"),
        ("mask", mask.as_path(), "masks"),
    ] {
        if !src.is_file() {
            bail!("--{what} {}: no such file", src.display());
        }
        let d = dir.join(sub);
        // A fresh copy each run: an earlier patient's files must not pair with this one.
        if d.exists() {
            std::fs::remove_dir_all(&d).with_context(|| format!("clearing {}", d.display()))?;
        }
        std::fs::create_dir_all(&d).with_context(|| format!("creating {}", d.display()))?;
        let ext = src
            .extension()
            .map(|e| e.to_string_lossy().to_string())
            .unwrap_or_default();
        let dest = d.join(format!("{id}.{ext}"));
        std::fs::copy(src, &dest)
            .with_context(|| format!("copying {} to {}", src.display(), dest.display()))?;
    }
    let quote = |s: &str| format!("\"{s}\"");
    let mut text = String::from("id");
    for k in cells.keys() {
        text.push(',');
        text.push_str(&quote(k));
    }
    text.push('\n');
    text.push_str(&quote(&id));
    for v in cells.values() {
        text.push(',');
        text.push_str(&quote(v));
    }
    text.push('\n');
    let path = dir.join("clinical.csv");
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(dir.to_path_buf())
}

/// The extraction job of a cohort into `out`: every case, the default
/// reading options, and a table accepted without the cases that fail (they
/// are listed as not scored).
fn extraction_job(cohort: &Path, out: &Path) -> Job {
    Job {
        cohort: cohort.to_path_buf(),
        masks: "masks".into(),
        out: out.to_path_buf(),
        inputs: Default::default(),
        shard: None,
        on_failure: OnFailure::KeepGoing,
    }
}

/// Runs one extraction a bundle needs, as `dlrn extract …` would (resumable,
/// with its progress bars; a case that fails is left without a row and so
/// listed as not scored).
pub(crate) fn extract(
    request: Extraction<'_>,
    backend: Backend,
    batch: usize,
) -> anyhow::Result<()> {
    match request {
        Extraction::Handcrafted { cohort, out } => {
            handcrafted::extract(&extraction_job(cohort, out))
                .context("extracting the handcrafted features")
        }
        Extraction::Deep {
            cohort,
            out,
            cnn,
            seed,
            weights,
        } => {
            let pre = &cnn.preprocessing;
            let here = dlrn_deep::PreprocessConfig::default();
            if (pre.resize, pre.crop) != (here.resize, here.crop) {
                bail!(
                    "the model bundle's CNN preprocessing (resize {}, crop {}) is not this dlrn's (resize {}, crop {})",
                    pre.resize,
                    pre.crop,
                    here.resize,
                    here.crop
                );
            }
            let chosen = backend
                .to_possible_value()
                .map(|v| v.get_name().to_string())
                .unwrap_or_default();
            if chosen != cnn.backend {
                eprintln!(
                    "note: the model's deep features were computed on the {} backend, this run uses {chosen}: \
                 features (and probabilities) agree to the backends' precision, not bit for bit",
                    cnn.backend
                );
            }
            let summary = deep::extract(&DeepJob {
                job: extraction_job(cohort, out),
                weights: weights.map(Path::to_path_buf),
                seed,
                backend,
                batch,
            })
            .context("extracting the deep features")?;
            eprintln!("{}", summary.describe());
            Ok(())
        }
    }
}
