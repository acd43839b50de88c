//! `dlrn assess`: external validation of a frozen model bundle on a labelled cohort.

use std::path::PathBuf;

use anyhow::{Context, bail, ensure};
use dlrn_report as report;
use dlrn_study::bundle::Bundle;

use super::extract_deep::Backend;
use super::predict::{
    Scored, fail_if_unscored, report as report_scored, score_cohort, write_predictions,
};

/// Validate a frozen DLRN (a study's `model/` bundle) on a labelled cohort,
/// without refitting anything: Table 2 rows of the clinical model, the
/// signature and the DLRN (AUC with DeLong 95% CI; accuracy, sensitivity,
/// specificity, PPV, NPV with exact 95% CIs at the bundle's cut-offs; DeLong
/// P against the DLRN), ROC curves, calibration (curves, and slope,
/// calibration-in-the-large, Hosmer–Lemeshow and Brier as a table), decision
/// curves, per-patient predictions and an index.html.
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
    /// Decision-curve thresholds: from, to, step.
    #[arg(long, num_args = 3, value_delimiter = ',', default_values_t = [0.01, 0.99, 0.01])]
    pub thresholds: Vec<f64>,
    /// Burn backend of the deep features.
    #[arg(long, value_enum, default_value = "flex")]
    pub backend: Backend,
    /// Images per forward pass of the CNN.
    #[arg(long, default_value_t = 16)]
    pub batch: usize,
}

/// Runs the assessment.
pub fn run(args: Args) -> anyhow::Result<()> {
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
    let labels = super::extract_deep::read_labels(&args.cohort)?.with_context(|| {
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
        args.backend,
        args.batch,
    )?;
    let patients = args.out.join("patients.csv");
    write_predictions(&bundle, &scored, &patients)?;
    report_scored(&scored, &patients)?;
    fail_if_unscored(&scored)?;

    // The labelled, scored patients.
    let mut rows: Vec<(&Scored, u8)> = Vec::new();
    let mut unlabelled = 0;
    for s in &scored {
        match labels.get(&s.id).copied().flatten() {
            Some(l) => rows.push((s, l)),
            None => unlabelled += 1,
        }
    }
    if unlabelled > 0 {
        eprintln!("{unlabelled} patient(s) without ALN_status left out of the statistics");
    }
    let y: Vec<u8> = rows.iter().map(|(_, l)| *l).collect();
    let pred = |f: fn(&dlrn_study::bundle::Prediction) -> f64| -> Vec<f64> {
        rows.iter()
            .map(|(s, _)| s.prediction.as_ref().map_or(f64::NAN, f))
            .collect()
    };
    let models: [(&str, Vec<f64>, f64); 3] = [
        ("Clinical", pred(|p| p.p_clinical), bundle.cutoffs.clinical),
        (
            "Signature",
            pred(|p| p.p_signature),
            bundle.cutoffs.signature,
        ),
        ("DLRN", pred(|p| p.p_dlrn), bundle.cutoffs.dlrn),
    ];
    let level = args.level;
    let dlrn = &models[2].1;
    let n_steps = ((to - from) / step).round() as usize;
    let thresholds: Vec<f64> = (0..=n_steps).map(|i| from + step * i as f64).collect();

    let mut table2 = Vec::new();
    let mut curves = Vec::new();
    let mut dca = Vec::new();
    let mut treat_all = Vec::new();
    let mut cal_curves = Vec::new();
    let mut cal_rows = Vec::new();
    for (i, (model, p, cutoff)) in models.iter().enumerate() {
        let delong_p = if i == 2 {
            None
        } else {
            Some(
                dlrn_stats::delong_paired(&y, p, dlrn, level)
                    .with_context(|| format!("DeLong test of {model} against the DLRN on {name}"))?
                    .p_value,
            )
        };
        table2.push(report::table2_row(
            &name, model, &y, p, *cutoff, level, delong_p,
        )?);
        curves.push(report::roc_curve(model, &y, p, level)?);
        let dc = dlrn_stats::decision_curve(&y, p, &thresholds)
            .with_context(|| format!("decision curve of {model} on {name}"))?;
        if i == 0 {
            treat_all = dc.points.iter().map(|q| q.treat_all).collect();
        }
        dca.push((
            model.to_string(),
            dc.points.iter().map(|q| q.net_benefit).collect(),
        ));
        // Probabilities at 0 or 1 (or a separated outcome) have no logistic
        // recalibration: the row says so and the curve is left out.
        let cal = dlrn_stats::calibration(&y, p);
        let hl = dlrn_stats::hosmer_lemeshow(&y, p, args.hl_groups);
        let brier = p
            .iter()
            .zip(&y)
            .map(|(pi, &yi)| (pi - f64::from(yi)).powi(2))
            .sum::<f64>()
            / p.len() as f64;
        let mut notes = Vec::new();
        if let Err(e) = &cal {
            notes.push(format!("calibration: {e}"));
        }
        if let Err(e) = &hl {
            notes.push(format!("Hosmer–Lemeshow: {e}"));
        }
        let hl = hl.ok().map(|(t, _)| t);
        cal_rows.push(report::CalibrationRow {
            cohort: name.clone(),
            model: model.to_string(),
            n: y.len() as u64,
            slope: cal.as_ref().ok().map(|c| c.slope),
            citl: cal.as_ref().ok().map(|c| c.citl),
            hl_statistic: hl.as_ref().map(|h| h.statistic),
            hl_df: hl.as_ref().map(|h| h.df),
            hl_p: hl.as_ref().map(|h| h.p_value),
            hl_groups: args.hl_groups as u64,
            brier: Some(brier),
            note: notes.join("; "),
        });
        if let Ok(cal) = cal {
            cal_curves.push(report::CalibrationCurve {
                model: model.to_string(),
                bins: cal
                    .bins
                    .iter()
                    .map(|b| {
                        let ci = dlrn_stats::binom_ci(b.events as u64, b.n as u64, level).ok();
                        report::CalibrationBin {
                            predicted: b.predicted,
                            observed: b.observed,
                            ci_low: ci.as_ref().map(|c| c.ci_low),
                            ci_high: ci.as_ref().map(|c| c.ci_high),
                        }
                    })
                    .collect(),
                smooth: cal
                    .smooth
                    .x
                    .iter()
                    .copied()
                    .zip(cal.smooth.y.iter().copied())
                    .collect(),
            });
        }
    }
    let predictions = report::Predictions::new(
        rows.iter()
            .filter_map(|(s, l)| {
                s.prediction.as_ref().map(|p| report::PredictionRow {
                    id: s.id.clone(),
                    cohort: name.clone(),
                    label: *l,
                    signature_score: p.signature_score,
                    clinical: p.p_clinical,
                    signature: p.p_signature,
                    dlrn: p.p_dlrn,
                })
            })
            .collect(),
    );
    let cutoffs = report::Cutoffs::new(
        models
            .iter()
            .map(|(m, _, c)| report::CutoffRow {
                model: m.to_string(),
                cutoff: *c,
                method: format!(
                    "frozen: Youden index on {}",
                    bundle.provenance.training_cohort
                ),
            })
            .collect(),
    );
    let weights = match &bundle.cnn.weights {
        dlrn_study::bundle::CnnWeights::Random { seed } => {
            format!("random initialisation, seed {seed}")
        }
        dlrn_study::bundle::CnnWeights::File { file, format } => {
            format!("{file} ({format}) in the model bundle")
        }
    };
    let manifest_path = args.model.join(dlrn_study::bundle::MANIFEST);
    let study = report::StudyReport {
        title: format!(
            "External validation of the frozen DLRN ({} → {name})",
            bundle.provenance.training_cohort
        ),
        simulated: None,
        provenance: report::Provenance {
            version: env!("CARGO_PKG_VERSION").into(),
            seed: match bundle.cnn.weights {
                dlrn_study::bundle::CnnWeights::Random { seed } => seed,
                _ => 0,
            },
            config_name: format!("model bundle {}", args.model.display()),
            config_text: std::fs::read_to_string(&manifest_path)
                .with_context(|| format!("reading {}", manifest_path.display()))?,
            config_hash: bundle.provenance.config_sha256.clone(),
            data_hashes: vec![
                (
                    format!("training cohort {}", bundle.provenance.training_cohort),
                    bundle.provenance.training_cohort_sha256.clone(),
                ),
                (
                    format!("model bundle manifest ({})", bundle.provenance.dlrn_version),
                    super::util::sha256_file(&manifest_path)?,
                ),
            ],
            weights,
            weights_hash: None,
        },
        table1: None,
        table2: report::Table2::new(table2),
        table3: None,
        icc: None,
        selected_features: None,
        comparisons: None,
        subtype_aucs: None,
        screen: None,
        cutoffs: Some(cutoffs),
        calibration_stats: Some(report::CalibrationStats::new(cal_rows)),
        predictions: Some(predictions),
        roc: vec![report::RocFigure {
            title: name.clone(),
            curves,
        }],
        decision_curves: vec![report::DecisionCurveFigure {
            title: name.clone(),
            thresholds,
            models: dca,
            treat_all,
        }],
        calibration: vec![report::CalibrationFigure {
            title: name.clone(),
            curves: cal_curves,
        }],
        signature_by_class: None,
        confusion: None,
        nomogram: None,
        external_figures: vec![],
        png_scale: 2,
    };
    let manifest = study.write(&args.out)?;
    eprintln!(
        "{}: {} patients ({} ALN+), {} files",
        args.out.join("index.html").display(),
        y.len(),
        y.iter().filter(|&&l| l == 1).count(),
        manifest.outputs.len()
    );
    Ok(())
}
