//! `dlrn update`: a frozen model bundle's DLRN updated on a new hospital's
//! labelled cohort (Steyerberg's updating hierarchy; Vergouwe et al. 2017's
//! closed test), written as a new bundle.

use std::path::PathBuf;

use anyhow::{Context, bail, ensure};
use dlrn_study::apply::{Extraction, fail_if_unscored, score_cohort, sha256_file};
use dlrn_study::bundle::{Bundle, MANIFEST, UpdateRecord, utc_date};
use dlrn_study::update::{
    UpdateData, UpdateMethod, closed_test, fit_update, lr_test, original_deviance, updated_bundle,
};
use serde::Serialize;

use crate::cli::util::print_json;
use crate::extraction::deep::Backend;

/// Update a frozen DLRN on a new hospital's labelled cohort and write the
/// updated bundle.
///
/// Methods (Steyerberg 2019, ch. 20): `intercept` re-estimates the intercept
/// with the DLRN's linear predictor as an offset (R: `glm(y ~ offset(lp),
/// binomial)`); `recalibrate` re-estimates intercept and slope of the linear
/// predictor (`glm(y ~ lp, binomial)`: new intercept a + b·β₀, every
/// coefficient times b); `refit` re-estimates every DLRN coefficient on the
/// new cohort, the signature and the clinical coding kept; `closed-test`
/// chooses among them by Vergouwe et al. (2017)'s closed testing procedure:
/// refit vs the original model (likelihood ratio, p + 1 df), then refit vs
/// the intercept update (p df), then refit vs recalibration (p − 1 df), each
/// at --alpha; the first test not significant stops it (the original model
/// kept, the intercept update, recalibration), else the refit. Every
/// update's test against the original model is printed too.
///
/// The clinical model, the signature and the three cut-offs stay as they
/// were; the DLRN nomogram is redrawn. The new bundle's update.json records
/// the parent bundle (its manifest's SHA-256), the method, how it was
/// chosen, the cohort (name, SHA-256 of its clinical.csv, n, events) and the
/// tests; `dlrn predict` and `dlrn assess` load it as any bundle. The
/// cohort folder is what `dlrn assess` takes (images/, masks/, clinical.csv
/// with ALN_status); features are extracted into `<out>.work/`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The model bundle folder to update (`<study>/model/`).
    #[arg(long)]
    pub model: PathBuf,
    /// The new hospital's labelled cohort folder.
    #[arg(long)]
    pub cohort: PathBuf,
    /// intercept, recalibrate, refit, or closed-test (Vergouwe et al. 2017).
    #[arg(long)]
    pub method: String,
    /// Where the updated bundle is written (a new folder, not the parent's).
    #[arg(long)]
    pub out: PathBuf,
    /// Level of the closed test's likelihood-ratio tests.
    #[arg(long, default_value_t = 0.05)]
    pub alpha: f64,
    /// The cohort's name in the record (default: the folder's name).
    #[arg(long)]
    pub name: Option<String>,
    /// Burn backend of the deep features.
    #[arg(long, value_enum, default_value = "flex")]
    pub backend: Backend,
    /// Images per forward pass of the CNN.
    #[arg(long, default_value_t = 16)]
    pub batch: usize,
    /// Print the fits and tests as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// What `--json` prints.
#[derive(Debug, Serialize)]
struct Output {
    method: String,
    chosen_by: String,
    n: usize,
    events: usize,
    original_deviance: f64,
    fits: Vec<dlrn_study::update::Fitted>,
    tests: Vec<dlrn_study::bundle::UpdateTest>,
    out: PathBuf,
}

/// Runs the update; `extract` runs the extractions the bundle needs.
pub fn run(
    args: Args,
    extract: impl Fn(Extraction<'_>, Backend, usize) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let method: Option<UpdateMethod> = match args.method.as_str() {
        "closed-test" => None,
        m => Some(m.parse().with_context(|| {
            format!("--method {m:?}: expected intercept, recalibrate, refit or closed-test")
        })?),
    };
    ensure!(
        args.alpha > 0.0 && args.alpha < 1.0,
        "--alpha {} is not between 0 and 1",
        args.alpha
    );
    let parent = Bundle::load(&args.model)
        .with_context(|| format!("loading the model bundle {}", args.model.display()))?;
    let same = |a: &PathBuf, b: &PathBuf| match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    };
    if same(&args.model, &args.out) {
        bail!(
            "--out {} is the parent bundle's folder: write the updated bundle to a new folder",
            args.out.display()
        );
    }
    let name = match &args.name {
        Some(n) => n.clone(),
        None => args
            .cohort
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|s| s.to_string_lossy().to_string()))
            .unwrap_or_else(|| "cohort".into()),
    };
    let clinical_csv = args.cohort.join("clinical.csv");
    let labels = dlrn_cohort::read_labels(&args.cohort)?.with_context(|| {
        format!(
            "{}: no ALN_status column; `dlrn update` needs outcomes",
            clinical_csv.display()
        )
    })?;
    let work = {
        let mut w = args.out.clone().into_os_string();
        w.push(".work");
        PathBuf::from(w)
    };
    let scored = score_cohort(
        &parent,
        &args.cohort,
        &work,
        &mut |request| extract(request, args.backend, args.batch).map_err(Into::into),
        false,
        dlrn_study::apply::HarmonizeMode::default(),
    )?;
    fail_if_unscored(&scored)?;
    let mut data = UpdateData {
        y: Vec::new(),
        lp: Vec::new(),
        inputs: Vec::new(),
    };
    let mut unlabelled = 0;
    for s in &scored {
        let (Some(p), Some(Some(y))) = (&s.prediction, labels.get(&s.id)) else {
            unlabelled += 1;
            continue;
        };
        data.y.push(*y);
        data.lp.push((p.p_dlrn / (1.0 - p.p_dlrn)).ln());
        data.inputs.push(p.dlrn_inputs.clone());
    }
    if unlabelled > 0 {
        eprintln!("{unlabelled} patient(s) without ALN_status left out of the update");
    }
    // The linear predictor from the bundle's own coefficients (not through
    // the probability), so an update of a confident model loses nothing.
    let dlrn = &parent.dlrn;
    for (lp, x) in data.lp.iter_mut().zip(&data.inputs) {
        if x.len() == dlrn.columns.len() {
            *lp = dlrn.intercept
                + dlrn
                    .coefficients
                    .iter()
                    .zip(x)
                    .map(|(b, v)| b * v)
                    .sum::<f64>();
        }
    }
    data.check(dlrn.columns.len())
        .with_context(|| format!("{}", clinical_csv.display()))?;
    let n = data.y.len();
    let events = data.y.iter().filter(|&&v| v == 1).count();
    let d0 = original_deviance(&data);
    let (chosen, chosen_by, fits, tests) = match method {
        Some(m) => {
            let f = fit_update(dlrn, &data, m)?;
            let t = lr_test(
                &format!("{} vs original", m.name()),
                d0,
                f.deviance,
                f.parameters,
            );
            (Some(m), "given", vec![f], vec![t])
        }
        None => {
            let ct = closed_test(dlrn, &data, args.alpha)?;
            let mut tests = ct.steps.clone();
            tests.extend(ct.against_original.iter().cloned());
            (ct.chosen, "closed test", ct.fits, tests)
        }
    };
    for t in &tests {
        eprintln!(
            "{:<26} LR χ² = {:>9.4}  df = {:>2}  P = {:.4}",
            t.comparison, t.chi_square, t.df, t.p_value
        );
    }
    let method_name = chosen.map_or("none", |m| m.name()).to_string();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let record = |f: Option<&dlrn_study::update::Fitted>| -> anyhow::Result<UpdateRecord> {
        Ok(UpdateRecord {
            method: method_name.clone(),
            chosen_by: chosen_by.to_string(),
            parent_manifest_sha256: sha256_file(&args.model.join(MANIFEST))?,
            parent_training_cohort: parent.provenance.training_cohort.clone(),
            cohort: name.clone(),
            cohort_clinical_sha256: sha256_file(&clinical_csv)?,
            n,
            events,
            intercept: f.and_then(|f| f.intercept),
            slope: f.and_then(|f| f.slope),
            tests: tests.clone(),
        })
    };
    let fitted = chosen.and_then(|m| fits.iter().find(|f| f.method == m));
    let bundle = match fitted {
        Some(f) => updated_bundle(
            &parent,
            f,
            &data,
            record(Some(f))?,
            env!("CARGO_PKG_VERSION"),
            &utc_date(now),
        )?,
        None => {
            // The closed test kept the original model: the parent's models,
            // with the record of the tests that kept them.
            let mut b = parent.clone();
            b.update = Some(record(None)?);
            b.provenance.date = utc_date(now);
            b
        }
    };
    bundle
        .write(&args.out)
        .with_context(|| format!("writing the updated bundle {}", args.out.display()))?;
    eprintln!(
        "{}: the DLRN {} on {name} ({n} patients, {events} ALN+; {chosen_by})",
        args.out.display(),
        match chosen {
            Some(UpdateMethod::Intercept) => "with its intercept updated",
            Some(UpdateMethod::Recalibrate) => "recalibrated (intercept and slope)",
            Some(UpdateMethod::Refit) => "refitted",
            None => "kept as it was",
        }
    );
    if args.json {
        print_json(&Output {
            method: method_name,
            chosen_by: chosen_by.into(),
            n,
            events,
            original_deviance: d0,
            fits,
            tests,
            out: args.out.clone(),
        })?;
    }
    Ok(())
}
