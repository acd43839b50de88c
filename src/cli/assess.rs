//! `dlrn assess`: external validation of a frozen model bundle on a labelled cohort.

use std::path::PathBuf;

use anyhow::{Context, bail, ensure};
use dlrn_study::apply::{
    Extraction, assess, fail_if_unscored, report as report_scored, score_cohort, write_predictions,
};
use dlrn_study::bundle::Bundle;

use super::predict::HarmonizeArg;
use dlrn_study::pipeline::EvaluationSettings;

use crate::extraction::deep::Backend;

/// Validate a frozen DLRN (a study's `model/` bundle) on a labelled cohort,
/// without refitting anything: Table 2 rows of the clinical model, the
/// signature and the DLRN (AUC with DeLong 95% CI; accuracy, sensitivity,
/// specificity, PPV, NPV with exact 95% CIs at the bundle's cut-offs; DeLong
/// P against the DLRN), ROC curves, calibration (curves, and slope,
/// calibration-in-the-large, Hosmer–Lemeshow and Brier as a table), decision
/// curves, per-patient predictions and an index.html; rms::val.prob's
/// statistics of every model under R's names (val_prob.csv, and on stderr):
/// Dxy, C (ROC), R2, D, U, Q, Brier, Intercept and Slope (fitted jointly,
/// `glm(y ~ logit(p))`), Emax, E90, Eavg, S:z, S:p, plus
/// calibration-in-the-large (`glm(y ~ offset(logit(p)))`, with the slope
/// fixed at one) and the calibration slope, each with its Wald CI at
/// --level. The statistics are the study's own evaluation stage (dlrn-study `pipeline::evaluate`), so a
/// cohort that was an external cohort of the study gets the same rows and
/// text as the study's report; IDI/NRI against the DLRN, the signature by
/// class and the confusion matrix come with them.
///
/// The cohort folder needs images/, masks/ and clinical.csv with `id`,
/// `ALN_status` (0/1) and the clinical variables the models use. Features
/// are extracted into `<out>/work/` (resumable). Patients without an
/// outcome are scored but left out of the statistics; a patient who cannot
/// be scored stops the assessment after the predictions are written (exit 2).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The model bundle folder (`<study>/model/`).
    #[arg(long)]
    pub model: PathBuf,
    /// The labelled cohort folder (images/, masks/, clinical.csv with ALN_status).
    #[arg(long)]
    pub cohort: PathBuf,
    /// Output folder (tables, figures, index.html, predictions).
    #[arg(long)]
    pub out: PathBuf,
    /// The cohort's name in tables and figures (default: the folder's name).
    #[arg(long)]
    pub name: Option<String>,
    /// Confidence level of every interval.
    #[arg(long, default_value_t = 0.95)]
    pub level: f64,
    /// Hosmer–Lemeshow groups.
    #[arg(long, default_value_t = 10)]
    pub hl_groups: usize,
    /// Decision-curve thresholds: from,to,step (three numbers, comma-separated).
    #[arg(long, value_name = "FROM,TO,STEP", value_delimiter = ',', default_values_t = [0.01, 0.99, 0.01])]
    pub thresholds: Vec<f64>,
    /// Burn backend of the deep features.
    #[arg(long, value_enum, default_value = "flex")]
    pub backend: Backend,
    /// Images per forward pass of the CNN.
    #[arg(long, default_value_t = 16)]
    pub batch: usize,
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

/// The most decision-curve steps `--thresholds` may ask for.
const MAX_THRESHOLDS: usize = 100_000;

/// Runs the assessment; `extract` runs the extractions the bundle needs
/// (`dlrn predict`'s, with this run's backend and batch size).
pub fn run(
    args: Args,
    extract: impl Fn(Extraction<'_>, Backend, usize) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    ensure!(
        args.level > 0.0 && args.level < 1.0,
        "--level {} is not between 0 and 1",
        args.level
    );
    let [from, to, step] = args.thresholds[..] else {
        bail!("--thresholds needs three numbers: from,to,step");
    };
    ensure!(
        step > 0.0 && from > 0.0 && to < 1.0 && from <= to,
        "--thresholds {from},{to},{step}: need 0 < from <= to < 1 and step > 0"
    );
    // Each threshold is a decision-curve row: a step that makes millions of
    // them would only exhaust memory.
    ensure!(
        (to - from) / step <= MAX_THRESHOLDS as f64,
        "--thresholds {from},{to},{step}: {:.0} steps, at most {MAX_THRESHOLDS} (a larger step)",
        ((to - from) / step).ceil()
    );
    let bundle = Bundle::load(&args.model)
        .with_context(|| format!("loading the model bundle {}", args.model.display()))?;
    let name = match &args.name {
        Some(n) => n.clone(),
        None => args
            .cohort
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|s| s.to_string_lossy().to_string()))
            .unwrap_or_else(|| "cohort".into()),
    };
    // Outcomes first: a cohort without them is refused before any extraction.
    let labels = dlrn_cohort::read_labels(&args.cohort)?.with_context(|| {
        format!(
            "{}: no ALN_status column; `dlrn assess` needs outcomes (use `dlrn predict` without them)",
            args.cohort.join("clinical.csv").display()
        )
    })?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let scored = score_cohort(
        &bundle,
        &args.cohort,
        &args.out.join("work"),
        &mut |request| extract(request, args.backend, args.batch).map_err(Into::into),
        args.strict,
        args.harmonize.mode(),
    )?;
    let patients = args.out.join("patients.csv");
    write_predictions(&bundle, &scored, &patients)?;
    for line in report_scored(&scored, &patients) {
        eprintln!("{line}");
    }
    fail_if_unscored(&scored)?;

    // The study's own evaluation (stage 9) on the frozen predictions: the
    // same rows, figures and text as the study's report.
    let n_steps = ((to - from) / step).round() as usize;
    let assessment = assess(
        &bundle,
        &args.model,
        &args.cohort,
        &name,
        &scored,
        &labels,
        &EvaluationSettings {
            thresholds: (0..=n_steps).map(|i| from + step * i as f64).collect(),
            hl_groups: args.hl_groups,
            level: args.level,
            subgroup: None,
        },
    )?;
    if assessment.unlabelled > 0 {
        eprintln!(
            "{} patient(s) without ALN_status left out of the statistics",
            assessment.unlabelled
        );
    }
    for n in &assessment.notes {
        eprintln!("note: {n}");
    }
    // rms::val.prob's statistics under R's names (val_prob.csv has them all):
    // Intercept/Slope fitted jointly, CITL with the slope fixed at 1.
    if let Some(t) = &assessment.report.validation.val_prob {
        let f = |v: Option<f64>| v.map_or_else(|| "NA".to_string(), |x| format!("{x:.3}"));
        for r in &t.rows {
            eprintln!(
                "{} {}: Dxy {} C (ROC) {} R2 {} Brier {} Intercept {} Slope {} Emax {} E90 {} Eavg {} \
                 S:z {} S:p {}; CITL {} ({}, {}) calibration slope {} ({}, {})",
                r.cohort,
                r.model,
                f(r.dxy),
                f(r.c_roc),
                f(r.r2),
                f(r.brier),
                f(r.intercept),
                f(r.slope),
                f(r.emax),
                f(r.e90),
                f(r.eavg),
                f(r.s_z),
                f(r.s_p),
                f(r.citl),
                f(r.citl_ci_low),
                f(r.citl_ci_high),
                f(r.cal_slope),
                f(r.cal_slope_ci_low),
                f(r.cal_slope_ci_high),
            );
        }
    }
    let y = &assessment.labels;
    let manifest = assessment.report.write(&args.out)?;
    eprintln!(
        "{}: {} patients ({} ALN+), {} files",
        args.out.join("index.html").display(),
        y.len(),
        y.iter().filter(|&&l| l == 1).count(),
        manifest.outputs.len()
    );
    Ok(())
}
