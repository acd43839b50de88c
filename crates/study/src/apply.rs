//! A frozen model bundle applied to a cohort folder: what `dlrn predict` and
//! `dlrn assess` share. The clinical cells the models need are read and
//! checked first, the caller extracts the features the signature needs (it
//! owns the image pipeline: [`Extraction`] says what to extract and where),
//! and every patient with an image is scored; the predictions table, the
//! stderr summary and the "not scored" error come from here too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use dlrn_cohort::{Table, scan_cases};

use crate::bundle::{Bundle, Cnn, CnnWeights, PatientInput, Prediction, is_deep_feature};
use crate::error::{Result, StudyError};

/// The error an [`Extraction`] returns to [`score_cohort`], passed on as it is.
pub type ExtractError = Box<dyn std::error::Error + Send + Sync>;

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

/// A feature table the bundle needs, to be extracted from `cohort` into `out`
/// (resumable: an earlier run's rows of unchanged inputs may be reused).
#[derive(Debug, Clone, Copy)]
pub enum Extraction<'a> {
    /// The 544 handcrafted features.
    Handcrafted {
        /// The cohort folder.
        cohort: &'a Path,
        /// The output table.
        out: &'a Path,
    },
    /// The 2048 deep features of the bundle's CNN.
    Deep {
        /// The cohort folder.
        cohort: &'a Path,
        /// The output table.
        out: &'a Path,
        /// The bundle's CNN (backend and preprocessing the features were trained with).
        cnn: &'a Cnn,
        /// The seed of a random initialisation (0 for a weights file).
        seed: u64,
        /// The weights file inside the bundle (`None` for a random initialisation).
        weights: Option<&'a Path>,
    },
}

/// What a bundle with a harmonisation (`harmonize.json`) does with a cohort.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HarmonizeMode {
    /// Harmonise the cohort as one new hospital (the default; refused below
    /// the bundle's minimum batch size).
    #[default]
    Apply,
    /// Score the features as extracted; every prediction carries a warning.
    None,
}

/// Extracts what the bundle needs from a cohort (through `extract`, into
/// `work`) and scores every patient with an image; sorted by id. The
/// clinical table and the image/mask pairing are checked before anything is
/// extracted. `strict` refuses a patient with an undefined feature or a
/// missing clinical value instead of imputing the bundle's training value.
/// A bundle with a harmonisation harmonises the cohort's features as one
/// new hospital first (`harmonize`; [`crate::harmonize_part`]): a cohort
/// with fewer patients than its minimum batch is refused, naming the
/// remedies, before anything is scored.
pub fn score_cohort(
    bundle: &Bundle,
    cohort: &Path,
    work: &Path,
    extract: &mut dyn FnMut(Extraction<'_>) -> std::result::Result<(), ExtractError>,
    strict: bool,
    harmonize: HarmonizeMode,
) -> Result<Vec<Scored>> {
    // Cheap checks first: nothing is extracted for a cohort that cannot be scored.
    let foreign: Vec<&str> = bundle
        .input_features()
        .into_iter()
        .filter(|f| !is_deep_feature(f) && !dlrn_radiomics::COLUMNS.contains(f))
        .collect();
    if let Some(first) = foreign.first() {
        return Err(StudyError::Input {
            path: cohort.to_path_buf(),
            message: format!(
                "the model uses {} feature(s) that dlrn does not extract (from the study's \
                 [features] tables made by another tool, e.g. `{first}`); dlrn predict and \
                 dlrn assess extract only dlrn's own handcrafted and deep features from images, \
                 so this bundle cannot score a cohort folder",
                foreign.len()
            ),
        });
    }
    let clinical = read_clinical_cells(bundle, cohort)?;
    let cases = scan_cases(cohort, "masks").map_err(|e| StudyError::During {
        context: format!("pairing the images and masks of {}", cohort.display()),
        source: Box::new(e),
    })?;
    if cases.is_empty() {
        return Err(StudyError::Input {
            path: cohort.to_path_buf(),
            message: "no images in images/".into(),
        });
    }
    if let (Some(h), HarmonizeMode::Apply) = (&bundle.harmonize, harmonize) {
        // A cohort with too few patients cannot be harmonised: refused before any extraction.
        let n = cases.len();
        if n < h.min_batch {
            return Err(StudyError::Input {
                path: cohort.to_path_buf(),
                message: crate::harmonize_part::HarmonizeApplyError::TooFew {
                    rows: n,
                    min: h.min_batch,
                    reference: h.reference.clone(),
                }
                .to_string(),
            });
        }
    }
    let without_clinical: Vec<&str> = cases
        .iter()
        .map(|c| c.id.as_str())
        .filter(|id| !clinical.contains_key(*id))
        .collect();
    std::fs::create_dir_all(work).map_err(|e| StudyError::During {
        context: format!("creating {}", work.display()),
        source: Box::new(e),
    })?;

    let needed = bundle.input_features();
    let mut features: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    if bundle.needs_handcrafted_features() {
        let out = work.join("handcrafted.parquet");
        extract(Extraction::Handcrafted { cohort, out: &out }).map_err(StudyError::Other)?;
        let names: Vec<&str> = needed
            .iter()
            .copied()
            .filter(|f| !is_deep_feature(f))
            .collect();
        read_feature_table(&out, &names, &mut features)?;
    }
    if bundle.needs_deep_features() {
        let seed = match bundle.cnn.weights {
            CnnWeights::Random { seed } => seed,
            CnnWeights::File { .. } => 0,
        };
        let out = work.join("deep.parquet");
        extract(Extraction::Deep {
            cohort,
            out: &out,
            cnn: &bundle.cnn,
            seed,
            weights: bundle.cnn_weights_path.as_deref(),
        })
        .map_err(StudyError::Other)?;
        let names: Vec<&str> = needed
            .iter()
            .copied()
            .filter(|f| is_deep_feature(f))
            .collect();
        read_feature_table(&out, &names, &mut features)?;
    }

    let no_clinical: BTreeSet<&str> = without_clinical.into_iter().collect();
    // Harmonisation: the cohort's patients (with a clinical row) as one new hospital.
    let mut harmonised = crate::harmonize_part::Harmonised::default();
    let mut extra_warnings: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if let Some(h) = &bundle.harmonize {
        match harmonize {
            HarmonizeMode::Apply => {
                features.retain(|id, _| !no_clinical.contains(id.as_str()));
                let level = cohort
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_else(|| "new hospital".into());
                harmonised = h
                    .apply(&level, &mut features, &clinical, strict)
                    .map_err(|e| StudyError::Input {
                        path: cohort.to_path_buf(),
                        message: e.to_string(),
                    })?;
                extra_warnings = harmonised.warnings.clone();
            }
            HarmonizeMode::None => {
                for case in &cases {
                    extra_warnings.insert(
                        case.id.clone(),
                        vec![crate::harmonize_part::UNHARMONISED_WARNING.to_string()],
                    );
                }
            }
        }
    }
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
            if let Some(why) = harmonised.excluded.get(&id) {
                return Scored {
                    id,
                    prediction: None,
                    error: Some(format!("not harmonised: {why}")),
                };
            }
            let patient = PatientInput {
                id: id.clone(),
                features: features.get(&id).cloned().unwrap_or_default(),
                clinical: clinical.get(&id).cloned().unwrap_or_default(),
            };
            match bundle.predict_with(&patient, strict) {
                Ok(mut p) => {
                    if let Some(w) = extra_warnings.get(&id) {
                        let mut all = w.clone();
                        all.append(&mut p.warnings);
                        p.warnings = all;
                    }
                    Scored {
                        id,
                        prediction: Some(p),
                        error: None,
                    }
                }
                Err(e) => Scored {
                    id,
                    prediction: None,
                    error: Some(e.to_string()),
                },
            }
        })
        .collect())
}

/// A cohort table error, as the table reader words it (it names the file).
fn table_error(e: dlrn_cohort::CohortError) -> StudyError {
    StudyError::Table(Box::new(e))
}

/// Clinical cells by id, for the variables the bundle needs; a missing
/// column is an error naming the file and every missing column.
pub fn read_clinical_cells(
    bundle: &Bundle,
    cohort: &Path,
) -> Result<BTreeMap<String, BTreeMap<String, String>>> {
    let path = cohort.join("clinical.csv");
    if !path.is_file() {
        return Err(StudyError::Input {
            path: cohort.to_path_buf(),
            message: format!(
                "no clinical.csv; the models need the columns id, {}",
                bundle.clinical_variables().join(", ")
            ),
        });
    }
    let table = Table::read(&path).map_err(table_error)?;
    let mut variables = bundle.clinical_variables();
    if let Some(h) = &bundle.harmonize {
        for c in &h.covariates {
            if !variables.contains(&c.name.as_str()) {
                variables.push(&c.name);
            }
        }
    }
    let missing: Vec<&str> = std::iter::once("id")
        .chain(variables.iter().copied())
        .filter(|c| !table.has_column(c))
        .collect();
    if !missing.is_empty() {
        return Err(StudyError::Input {
            path,
            message: format!(
                "missing column(s) {} that the model bundle needs (it uses {})",
                missing.join(", "),
                bundle.clinical_variables().join(", ")
            ),
        });
    }
    let ids = table.ids().map_err(table_error)?;
    let mut out: BTreeMap<String, BTreeMap<String, String>> =
        ids.iter().map(|id| (id.clone(), BTreeMap::new())).collect();
    for var in variables {
        for (id, cell) in ids.iter().zip(table.str_column(var).map_err(table_error)?) {
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
) -> Result<()> {
    let table = Table::read(path).map_err(table_error)?;
    let ids = table.ids().map_err(table_error)?;
    for name in names {
        let col = table.f64_column(name).map_err(table_error)?;
        for (id, v) in ids.iter().zip(col) {
            into.entry(id.clone())
                .or_default()
                .insert(name.to_string(), v);
        }
    }
    Ok(())
}

/// A CSV cell: quoted when it holds a comma, quote or line break.
fn cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The predictions table: one row per patient with id, signature score, the
/// three probabilities, the DLRN class, nomogram points per factor and in
/// total, and the warnings (or why the patient was not scored). Numbers at
/// full precision (shortest round-trip form).
pub fn predictions_csv(bundle: &Bundle, scored: &[Scored]) -> String {
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
    text
}

/// Writes [`predictions_csv`] to `out` (its folder created), through a
/// temporary file beside it (`.partial-<name>`) and a rename.
pub fn write_predictions(bundle: &Bundle, scored: &[Scored], out: &Path) -> Result<()> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| StudyError::Io { path, source }
    };
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    let tmp = temp_path(out);
    std::fs::write(&tmp, predictions_csv(bundle, scored)).map_err(io(&tmp))?;
    std::fs::rename(&tmp, out).map_err(io(out))
}

/// `.partial-<name>` beside `out`.
fn temp_path(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    out.with_file_name(format!(".partial-{name}"))
}

/// What to tell the user about a scored cohort written to `out`: one line
/// per warning (`warning: patient "id": …`), then a summary line.
pub fn report(scored: &[Scored], out: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    let mut warned = 0;
    for s in scored {
        if let Some(p) = &s.prediction
            && !p.warnings.is_empty()
        {
            warned += 1;
            for w in &p.warnings {
                lines.push(format!("warning: patient {:?}: {w}", s.id));
            }
        }
    }
    let ok = scored.iter().filter(|s| s.prediction.is_some()).count();
    lines.push(format!(
        "{}: {ok} of {} patients scored, {warned} with warnings",
        out.display(),
        scored.len()
    ));
    lines
}

/// An error listing the patients that could not be scored, if any.
pub fn fail_if_unscored(scored: &[Scored]) -> Result<()> {
    let failed: Vec<String> = scored
        .iter()
        .filter_map(|s| s.error.as_ref().map(|e| format!("  {}: {e}", s.id)))
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(StudyError::Unscored {
            count: failed.len(),
            patients: failed.join("\n"),
        })
    }
}

/// A bundle's assessment on a labelled cohort: the report (Table 2 rows at
/// the bundle's cut-offs, comparisons, calibration, curves, predictions),
/// what to tell the user, and the labels counted.
#[derive(Debug, Clone)]
pub struct Assessment {
    /// The report to write.
    pub report: dlrn_report::StudyReport,
    /// Patients scored but without an outcome (left out of the statistics).
    pub unlabelled: usize,
    /// Notes of the evaluation (a calibration curve that could not be fitted).
    pub notes: Vec<String>,
    /// The outcomes of the patients in the statistics.
    pub labels: Vec<u8>,
}

/// The study's own evaluation (stage 9) of a frozen bundle's predictions
/// on a labelled cohort named `name` (folder `cohort`): the same rows,
/// figures and text as the study's report, at the bundle's cut-offs.
/// `model` is the bundle's folder (its manifest is the report's config).
pub fn assess(
    bundle: &Bundle,
    model: &Path,
    cohort: &Path,
    name: &str,
    scored: &[Scored],
    labels: &BTreeMap<String, Option<u8>>,
    settings: &crate::pipeline::EvaluationSettings,
) -> Result<Assessment> {
    use crate::assemble::{EvaluationReport, evaluation_report};
    use crate::pipeline::{
        Cohort, CohortPredictions, Cutoffs, FeatureTable, evaluate, predictions_table,
    };
    use crate::schema::{ClinicalData, ClinicalSchema};

    // The labelled, scored patients.
    let mut rows: Vec<(&Scored, u8)> = Vec::new();
    let mut unlabelled = 0;
    for s in scored {
        match labels.get(&s.id).copied().flatten() {
            Some(l) => rows.push((s, l)),
            None => unlabelled += 1,
        }
    }
    let ids: Vec<String> = rows.iter().map(|(s, _)| s.id.clone()).collect();
    let y: Vec<u8> = rows.iter().map(|(_, l)| *l).collect();
    let pred = |f: fn(&Prediction) -> f64| -> Vec<f64> {
        rows.iter()
            .map(|(s, _)| s.prediction.as_ref().map_or(f64::NAN, f))
            .collect()
    };
    let preds = CohortPredictions {
        cohort: name.to_string(),
        ids: ids.clone(),
        labels: y.clone(),
        signature_score: pred(|p| p.signature_score),
        clinical: pred(|p| p.p_clinical),
        signature: pred(|p| p.p_signature),
        dlrn: pred(|p| p.p_dlrn),
    };
    // No subgroup table: the cohort's clinical data enters only through the predictions.
    let schema = ClinicalSchema {
        outcome: Default::default(),
        missing: Default::default(),
        variables: vec![],
    };
    let labelled = Cohort {
        name: name.to_string(),
        labels: y.clone(),
        features: FeatureTable {
            ids: ids.clone(),
            labels: Some(y.clone()),
            names: vec![],
            columns: vec![],
        },
        clinical: ClinicalData {
            path: cohort.join("clinical.csv"),
            ids,
            outcome: Some(y.iter().map(|&l| Some(l)).collect()),
            columns: vec![],
        },
    };
    let frozen = Cutoffs {
        clinical: bundle.cutoffs.clinical,
        signature: bundle.cutoffs.signature,
        dlrn: bundle.cutoffs.dlrn,
    };
    let eval = evaluate(&schema, &[(&labelled, &preds)], &frozen, settings).map_err(|e| {
        StudyError::During {
            context: format!("evaluating the frozen models on {name}"),
            source: Box::new(e),
        }
    })?;
    let notes = eval.notes.clone();
    let predictions = predictions_table(std::slice::from_ref(&preds));
    let cutoffs = frozen.table(&format!("{} (frozen)", bundle.provenance.training_cohort));
    let weights = match &bundle.cnn.weights {
        CnnWeights::Random { seed } => format!("random initialisation, seed {seed}"),
        CnnWeights::File { file, format } => format!("{file} ({format}) in the model bundle"),
    };
    let manifest_path = model.join(crate::bundle::MANIFEST);
    let config_text = std::fs::read_to_string(&manifest_path).map_err(|e| StudyError::During {
        context: format!("reading {}", manifest_path.display()),
        source: Box::new(e),
    })?;
    let provenance = dlrn_report::Provenance {
        version: env!("CARGO_PKG_VERSION").into(),
        seed: match bundle.cnn.weights {
            CnnWeights::Random { seed } => seed,
            _ => 0,
        },
        config_name: format!("model bundle {}", model.display()),
        config_text,
        config_hash: bundle.provenance.config_sha256.clone(),
        data_hashes: vec![
            (
                format!("training cohort {}", bundle.provenance.training_cohort),
                bundle.provenance.training_cohort_sha256.clone(),
            ),
            (
                format!("model bundle manifest ({})", bundle.provenance.dlrn_version),
                sha256_file(&manifest_path)?,
            ),
        ],
        weights,
        weights_hash: None,
    };
    let report = evaluation_report(EvaluationReport {
        title: format!(
            "External validation of the frozen DLRN ({} → {name})",
            bundle.provenance.training_cohort
        ),
        simulated: None,
        provenance,
        evaluation: eval,
        predictions,
        cutoffs,
        box_seed: 0,
    });
    Ok(Assessment {
        report,
        unlabelled,
        notes,
        labels: y,
    })
}

/// SHA-256 of a file's bytes, lower-case hex (for provenance): the feature
/// store's digest (`dlrn_cohort::store::sha256_file`).
pub fn sha256_file(path: &Path) -> Result<String> {
    dlrn_cohort::store::sha256_file(path).map_err(table_error)
}
