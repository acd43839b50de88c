//! `dlrn predict`: a frozen model bundle on new patients.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::ValueEnum;
use dlrn_cohort::{Table, scan_cases};
use dlrn_study::bundle::{Bundle, CnnWeights, PatientInput, Prediction};

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
}

/// One patient's outcome: a prediction, or why there is none.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Scored {
    /// Patient id.
    pub id: String,
    /// The prediction, when the patient could be scored.
    pub prediction: Option<Prediction>,
    /// Why not, otherwise.
    pub error: Option<String>,
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
        (None, Some(image)) => single_patient(&args, image, &work.join("patient"))?,
        (None, None) => bail!("give --cohort, or --image with --mask and --clinical"),
    };
    let scored = score_cohort(&bundle, &cohort, &work, args.backend, args.batch)?;
    write_predictions(&bundle, &scored, &args.out)?;
    report(&scored, &args.out)?;
    if args.json {
        print_json(&scored)?;
    }
    fail_if_unscored(&scored)
}

/// Prints per-patient warnings and a summary on stderr.
pub(crate) fn report(scored: &[Scored], out: &Path) -> anyhow::Result<()> {
    let mut warned = 0;
    for s in scored {
        if let Some(p) = &s.prediction
            && !p.warnings.is_empty()
        {
            warned += 1;
            for w in &p.warnings {
                eprintln!("warning: patient {:?}: {w}", s.id);
            }
        }
    }
    let ok = scored.iter().filter(|s| s.prediction.is_some()).count();
    eprintln!(
        "{}: {ok} of {} patients scored, {warned} with warnings",
        out.display(),
        scored.len()
    );
    Ok(())
}

/// An error (exit 2) listing the patients that could not be scored.
pub(crate) fn fail_if_unscored(scored: &[Scored]) -> anyhow::Result<()> {
    let failed: Vec<String> = scored
        .iter()
        .filter_map(|s| s.error.as_ref().map(|e| format!("  {}: {e}", s.id)))
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        bail!(
            "{} patient(s) could not be scored (the others are written):\n{}",
            failed.len(),
            failed.join("\n")
        )
    }
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

/// Clinical cells by id, for the variables the bundle needs; a missing
/// column is an error naming the file and every missing column.
pub(crate) fn read_clinical_cells(
    bundle: &Bundle,
    cohort: &Path,
) -> anyhow::Result<BTreeMap<String, BTreeMap<String, String>>> {
    let path = cohort.join("clinical.csv");
    if !path.is_file() {
        bail!(
            "{}: no clinical.csv; the models need the columns id, {}",
            cohort.display(),
            bundle.clinical_variables().join(", ")
        );
    }
    let table = Table::read(&path)?;
    let missing: Vec<&str> = std::iter::once("id")
        .chain(bundle.clinical_variables())
        .filter(|c| !table.has_column(c))
        .collect();
    if !missing.is_empty() {
        bail!(
            "{}: missing column(s) {} that the model bundle needs (it uses {})",
            path.display(),
            missing.join(", "),
            bundle.clinical_variables().join(", ")
        );
    }
    let ids = table.ids()?;
    let mut out: BTreeMap<String, BTreeMap<String, String>> =
        ids.iter().map(|id| (id.clone(), BTreeMap::new())).collect();
    for var in bundle.clinical_variables() {
        for (id, cell) in ids.iter().zip(table.str_column(var)?) {
            if let (Some(row), Some(cell)) = (out.get_mut(id), cell) {
                row.insert(var.to_string(), cell);
            }
        }
    }
    Ok(out)
}

/// Reads a feature table's needed columns by id.
fn read_feature_table(
    path: &Path,
    names: &[&str],
    into: &mut BTreeMap<String, BTreeMap<String, f64>>,
) -> anyhow::Result<()> {
    let table = Table::read(path)?;
    let ids = table.ids()?;
    for name in names {
        let col = table.f64_column(name)?;
        for (id, v) in ids.iter().zip(col) {
            into.entry(id.clone())
                .or_default()
                .insert(name.to_string(), v);
        }
    }
    Ok(())
}

/// The extraction job of a cohort into `out`: every case, the default
/// reading options, and a table accepted without the cases that fail (they
/// are listed as not scored).
fn extraction_job(cohort: &Path, out: PathBuf) -> Job {
    Job {
        cohort: cohort.to_path_buf(),
        masks: "masks".into(),
        out,
        inputs: Default::default(),
        shard: None,
        on_failure: OnFailure::KeepGoing,
    }
}

/// Extracts what the bundle needs from a cohort (resumable, in `work`) and
/// scores every patient with an image; sorted by id.
pub(crate) fn score_cohort(
    bundle: &Bundle,
    cohort: &Path,
    work: &Path,
    backend: Backend,
    batch: usize,
) -> anyhow::Result<Vec<Scored>> {
    // Cheap checks first: nothing is extracted for a cohort that cannot be scored.
    let clinical = read_clinical_cells(bundle, cohort)?;
    let cases = scan_cases(cohort, "masks")
        .with_context(|| format!("pairing the images and masks of {}", cohort.display()))?;
    if cases.is_empty() {
        bail!("{}: no images in images/", cohort.display());
    }
    let without_clinical: Vec<&str> = cases
        .iter()
        .map(|c| c.id.as_str())
        .filter(|id| !clinical.contains_key(*id))
        .collect();
    std::fs::create_dir_all(work).with_context(|| format!("creating {}", work.display()))?;

    let needed = bundle.needed_features();
    let mut features: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    if bundle.needs_handcrafted_features() {
        let out = work.join("handcrafted.parquet");
        handcrafted::extract(&extraction_job(cohort, out.clone()))
            .context("extracting the handcrafted features")?;
        let names: Vec<&str> = needed
            .iter()
            .copied()
            .filter(|f| !dlrn_study::bundle::is_deep_feature(f))
            .collect();
        read_feature_table(&out, &names, &mut features)?;
    }
    if bundle.needs_deep_features() {
        let pre = &bundle.cnn.preprocessing;
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
        if chosen != bundle.cnn.backend {
            eprintln!(
                "note: the model's deep features were computed on the {} backend, this run uses {chosen}: \
                 features (and probabilities) agree to the backends' precision, not bit for bit",
                bundle.cnn.backend
            );
        }
        let seed = match bundle.cnn.weights {
            CnnWeights::Random { seed } => seed,
            CnnWeights::File { .. } => 0,
        };
        let out = work.join("deep.parquet");
        let summary = deep::extract(&DeepJob {
            job: extraction_job(cohort, out.clone()),
            weights: bundle.cnn_weights_path.clone(),
            seed,
            backend,
            batch,
        })
        .context("extracting the deep features")?;
        eprintln!("{}", summary.describe());
        let names: Vec<&str> = needed
            .iter()
            .copied()
            .filter(|f| dlrn_study::bundle::is_deep_feature(f))
            .collect();
        read_feature_table(&out, &names, &mut features)?;
    }

    let no_clinical: BTreeSet<&str> = without_clinical.into_iter().collect();
    Ok(cases
        .iter()
        .map(|case| {
            let id = case.id.clone();
            if no_clinical.contains(id.as_str()) {
                return Scored {
                    id,
                    prediction: None,
                    error: Some(format!(
                        "no row in {}",
                        cohort.join("clinical.csv").display()
                    )),
                };
            }
            let patient = PatientInput {
                id: id.clone(),
                features: features.get(&id).cloned().unwrap_or_default(),
                clinical: clinical.get(&id).cloned().unwrap_or_default(),
            };
            match bundle.predict(&patient) {
                Ok(p) => Scored {
                    id,
                    prediction: Some(p),
                    error: None,
                },
                Err(e) => Scored {
                    id,
                    prediction: None,
                    error: Some(e.to_string()),
                },
            }
        })
        .collect())
}

/// A CSV cell: quoted when it holds a comma, quote or line break.
fn cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Writes one row per patient: id, signature score, the three
/// probabilities, the DLRN class, nomogram points per factor and in total,
/// and the warnings (or why the patient was not scored). Numbers at full
/// precision (shortest round-trip form).
pub(crate) fn write_predictions(
    bundle: &Bundle,
    scored: &[Scored],
    out: &Path,
) -> anyhow::Result<()> {
    let factors: Vec<&str> = bundle
        .nomogram
        .model
        .predictors
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    let mut text = String::from("id,signature_score,p_clinical,p_signature,p_dlrn,dlrn_class");
    for f in &factors {
        text.push(',');
        text.push_str(&cell(&format!("points_{f}")));
    }
    text.push_str(",total_points,warnings\n");
    for s in scored {
        text.push_str(&cell(&s.id));
        match &s.prediction {
            Some(p) => {
                for v in [p.signature_score, p.p_clinical, p.p_signature, p.p_dlrn] {
                    text.push_str(&format!(",{v}"));
                }
                text.push_str(&format!(",{}", p.dlrn_class));
                for (_, pts) in &p.points {
                    text.push_str(&format!(",{pts}"));
                }
                text.push_str(&format!(
                    ",{},{}\n",
                    p.total_points,
                    cell(&p.warnings.join("; "))
                ));
            }
            None => {
                text.push_str(&",".repeat(5 + factors.len() + 1));
                let why = format!("not scored: {}", s.error.as_deref().unwrap_or(""));
                text.push_str(&format!(",{}\n", cell(&why)));
            }
        }
    }
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    super::util::write_atomic(out, text)
}
