//! The study's published signature (Liu et al., npj Breast Cancer 2024, 49
//! LASSO coefficients) on the released feature tables: Table 2's signature
//! rows twice — as the paper computed them (each cohort's metrics at that
//! cohort's own Youden cut-off) and at one fixed cut-off — the finding on
//! which cut-off reproduces the printed numbers, the authors' LASSO rerun on
//! their training table (`set.seed(1)`, cv.glmnet's folds from R's
//! generator) and a LASSO retrained on all tables but one and validated on
//! the held-out one. [`analyse`] runs it all from a [`Settings`]; the caller
//! writes the outputs.
//!
//! Every statistic comes from a library crate: AUC and DeLong CI, paired
//! DeLong test, Youden cut-off and exact diagnostic CIs from dlrn-stats
//! (pROC / `binom.test` conventions), the cross-validated LASSO and R's RNG
//! from dlrn-lasso, the tables through dlrn-cohort.

pub mod cutoff;
pub mod findings;
pub mod holdout;
pub mod output;
pub mod paper;
pub mod signature;

use std::path::{Path, PathBuf};

use dlrn_cohort::Table;
use dlrn_report::{
    CoefficientTable, RocCurve, RocFigure, SignatureCutoffRow, SignatureCutoffs, Table2, Table2Row,
    TextTable,
};

pub use cutoff::{FixedCutoff, single_cutoff_search, youden_cutoff};
pub use findings::findings;
pub use holdout::{
    FeatureMatrix, HoldOut, TrainRerun, authors_lasso, hold_out, selected_features, train_caption,
};
pub use paper::{METRICS, PAPER_TABLE2};
pub use signature::{Signature, coefficient_table, parse_r_signature, read_signature};

pub use crate::apply::sha256_file;
use crate::error::{Result, StudyError};

/// The outcome column of the released tables (1 = ALN metastasis).
pub const LABEL: &str = "ALN_status";
/// The signature file's name inside the tables folder (the default --signature).
pub const SIGNATURE_FILE: &str = "published_signature.csv";
/// The authors' R script, the fallback --signature when the CSV is absent.
pub const R_SCRIPT_FILE: &str = "Deep learning signature acquisition.R";
/// Confidence level of every interval (the paper's 95%).
pub const LEVEL: f64 = 0.95;
/// Model name of the signature rows as the paper computed them (own cut-off per cohort).
pub const SIGNATURE_MODEL: &str = "signature";
/// Model name of the signature rows at one fixed cut-off.
pub const FIXED_MODEL: &str = "signature_fixed";
/// Model name of the hold-out LASSO's rows.
pub const LASSO_MODEL: &str = "lasso_heldout";
/// The authors' script: `set.seed(1)` before `cv.glmnet`.
pub const AUTHORS_SEED: i32 = 1;
/// The authors' script: cv.glmnet's default `nfolds`.
pub const AUTHORS_NFOLDS: usize = 10;

/// One released table: its cohort name (the file stem), labels and all columns.
#[derive(Debug, Clone)]
pub struct Cohort {
    /// The cohort's name (the file stem).
    pub name: String,
    /// The file's name.
    pub file: String,
    /// Every column.
    pub table: Table,
    /// ALN status per row.
    pub labels: Vec<u8>,
}

/// The options that decide the numbers (what `cargo xtask published` takes
/// besides its files).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The fixed cut-off of the "signature_fixed" rows, when given (else the
    /// training table's Youden point, else the first table's).
    pub cutoff: Option<f64>,
    /// Whether to run the hold-out LASSO.
    pub lasso: bool,
    /// Seed of the hold-out LASSO's fold assignment (ChaCha8; not R's RNG).
    pub seed: u64,
    /// Number of cross-validation folds of the hold-out LASSO.
    pub folds: usize,
    /// Deterministic folds instead: training row i goes to fold (i mod K) + 1.
    pub foldid_row_mod: Option<usize>,
}

/// Everything [`analyse`] computes, for the caller to write and print.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The signature read.
    pub signature: Signature,
    /// The released tables, sorted by name.
    pub cohorts: Vec<Cohort>,
    /// The signature's scores per table.
    pub sig_scores: Vec<Vec<f64>>,
    /// Each table's own Youden cut-off.
    pub own_cutoffs: Vec<f64>,
    /// The one fixed cut-off.
    pub fixed: FixedCutoff,
    /// The training table, when given.
    pub train: Option<Cohort>,
    /// The authors' LASSO rerun on it, with its coefficients next to the
    /// published ones and the table's caption.
    pub rerun: Option<(TrainRerun, CoefficientTable, String)>,
    /// The hold-out LASSOs, one per table (empty without `lasso`).
    pub holdouts: Vec<HoldOut>,
    /// (column, where its missing values are) for each column the hold-out LASSO left out.
    pub dropped: Vec<(String, String)>,
    /// Table 2: the training row (with a training table), per table the
    /// signature at its own and at the fixed cut-off, then the hold-out rows.
    pub table2: Table2,
    /// Every table's own cut-off next to the fixed one.
    pub cutoffs: SignatureCutoffs,
    /// One ROC figure per table: the signature and, where run, the hold-out LASSO.
    pub roc: Vec<RocFigure>,
    /// Table 2's caption.
    pub caption: String,
    /// The finding, one paragraph per string.
    pub findings: Vec<String>,
}

/// Scores `signature` (see [`read_signature`]) on every table of `tables`
/// (and on `train`), builds Table 2, the cut-offs, the LASSO reruns and the
/// finding. The hold-out LASSO needs at least two tables.
pub fn analyse(
    signature: Signature,
    tables: &[PathBuf],
    train: Option<&Path>,
    settings: &Settings,
) -> Result<Analysis> {
    let mut cohorts = Vec::with_capacity(tables.len());
    for path in tables {
        cohorts.push(read_cohort(path)?);
    }
    let train = match train {
        Some(p) => Some(read_cohort(p).map_err(during("reading the training table (--train)"))?),
        None => None,
    };
    if cohorts.is_empty() {
        return Err(invalid(
            "no released table to score the signature on".into(),
        ));
    }

    // The published signature on every table (and on the training table).
    let mut sig_scores = Vec::with_capacity(cohorts.len());
    for c in &cohorts {
        sig_scores.push(score_signature(&signature, c)?);
    }
    let train_scores = match &train {
        Some(t) => Some(score_signature(&signature, t)?),
        None => None,
    };

    // Each cohort's own Youden cut-off (the paper's rows) and one fixed cut-off.
    let mut own_cutoffs = Vec::with_capacity(cohorts.len());
    for (c, s) in cohorts.iter().zip(&sig_scores) {
        own_cutoffs.push(youden_cutoff(&c.labels, s, &c.file)?);
    }
    let fixed = match (&train, &train_scores, settings.cutoff) {
        (Some(t), Some(s), _) => FixedCutoff {
            value: youden_cutoff(&t.labels, s, &t.file)?,
            rule: format!("Youden-optimal on the training table {}, --train", t.file),
        },
        (_, _, Some(x)) => FixedCutoff {
            value: x,
            rule: "given by --cutoff".into(),
        },
        _ => FixedCutoff {
            value: own_cutoffs[0],
            rule: format!(
                "Youden-optimal on {}, the first table by name; the training table was not given",
                cohorts[0].name
            ),
        },
    };
    let mut rows = Vec::new();
    let mut cutoff_rows = Vec::new();
    if let (Some(t), Some(s)) = (&train, &train_scores) {
        rows.push(table2_row(
            &t.name,
            SIGNATURE_MODEL,
            &t.labels,
            s,
            fixed.value,
            None,
        )?);
        cutoff_rows.push(SignatureCutoffRow {
            cohort: t.name.clone(),
            role: "training".into(),
            youden_cutoff: fixed.value,
            fixed_cutoff: fixed.value,
        });
    }
    for ((c, s), &own) in cohorts.iter().zip(&sig_scores).zip(&own_cutoffs) {
        rows.push(table2_row(
            &c.name,
            SIGNATURE_MODEL,
            &c.labels,
            s,
            own,
            None,
        )?);
        rows.push(table2_row(
            &c.name,
            FIXED_MODEL,
            &c.labels,
            s,
            fixed.value,
            None,
        )?);
        cutoff_rows.push(SignatureCutoffRow {
            cohort: c.name.clone(),
            role: "validation".into(),
            youden_cutoff: own,
            fixed_cutoff: fixed.value,
        });
    }
    let cutoffs = SignatureCutoffs { rows: cutoff_rows };

    // The authors' own LASSO on their training table.
    let rerun = match &train {
        Some(t) => {
            let r =
                authors_lasso(t).map_err(during(&format!("the authors' LASSO on {}", t.file)))?;
            let compare = coefficient_table(&signature, &r.model);
            let caption = train_caption(&r, t, &compare);
            Some((r, compare, caption))
        }
        None => None,
    };

    // The LASSO retrained on all tables but one.
    let mut dropped: Vec<(String, String)> = Vec::new();
    let mut holdouts: Vec<HoldOut> = Vec::new();
    if settings.lasso {
        if cohorts.len() < 2 {
            return Err(invalid(format!(
                "the hold-out LASSO needs at least two tables (found {})",
                cohorts.len()
            )));
        }
        let features = FeatureMatrix::new(&cohorts)?;
        dropped = features.dropped.clone();
        for i in 0..cohorts.len() {
            let h = hold_out(&cohorts, &features, &sig_scores, i, settings)
                .map_err(during(&format!("LASSO validated on {}", cohorts[i].file)))?;
            holdouts.push(h);
        }
        rows.extend(holdouts.iter().map(|h| h.row.clone()));
    }

    // ROC curves, one figure per table: the signature and, where run, the hold-out LASSO.
    let mut roc = Vec::with_capacity(cohorts.len());
    for (i, c) in cohorts.iter().enumerate() {
        let mut curves = vec![roc_curve(SIGNATURE_MODEL, &c.labels, &sig_scores[i])?];
        if let Some(h) = holdouts.iter().find(|h| h.held_out == i) {
            curves.push(roc_curve(LASSO_MODEL, &c.labels, &h.scores)?);
        }
        roc.push(RocFigure {
            title: c.name.clone(),
            curves,
        });
    }

    let table2 = Table2::new(rows);
    let caption = table2_caption(&signature, &fixed, settings, &holdouts, &dropped);
    let findings = findings(
        &cohorts,
        &sig_scores,
        &own_cutoffs,
        &table2,
        &fixed,
        train.is_some(),
    )?;
    Ok(Analysis {
        signature,
        cohorts,
        sig_scores,
        own_cutoffs,
        fixed,
        train,
        rerun,
        holdouts,
        dropped,
        table2,
        cutoffs,
        roc,
        caption,
        findings,
    })
}

/// A cohort table error, as the table reader words it (it names the file).
fn table_error(e: dlrn_cohort::CohortError) -> StudyError {
    StudyError::Table(Box::new(e))
}

/// Wraps an error with what was being done.
fn during<E: std::error::Error + Send + Sync + 'static>(
    context: &str,
) -> impl FnOnce(E) -> StudyError + '_ {
    move |e| StudyError::During {
        context: context.to_string(),
        source: Box::new(e),
    }
}

/// An error that says what is wrong.
fn invalid(message: String) -> StudyError {
    StudyError::Invalid { message }
}

/// The default --signature: the CSV in the tables folder, else the authors' R script there.
pub fn default_signature(dir: &Path) -> PathBuf {
    let csv = dir.join(SIGNATURE_FILE);
    let script = dir.join(R_SCRIPT_FILE);
    if !csv.is_file() && script.is_file() {
        script
    } else {
        csv
    }
}

/// The released tables in `dir`: every `*.csv` except the signature file
/// and the training table, sorted by name.
pub fn list_tables(dir: &Path, signature: &Path, train: Option<&Path>) -> Result<Vec<PathBuf>> {
    let signature = signature.canonicalize().ok();
    let train = train.and_then(|t| t.canonicalize().ok());
    let mut paths = Vec::new();
    let listing = |e: std::io::Error| StudyError::During {
        context: format!("listing {}", dir.display()),
        source: Box::new(e),
    };
    for entry in std::fs::read_dir(dir).map_err(listing)? {
        let path = entry.map_err(listing)?.path();
        let is_csv = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        let canonical = path.canonicalize().ok();
        let is_signature = path.file_name().is_some_and(|n| n == SIGNATURE_FILE)
            || (signature.is_some() && canonical == signature);
        let is_train = train.is_some() && canonical == train;
        if path.is_file() && is_csv && !is_signature && !is_train {
            paths.push(path);
        }
    }
    paths.sort_by_key(|p| file_name(p));
    if paths.is_empty() {
        return Err(StudyError::Input {
            path: dir.to_path_buf(),
            message: format!(
                "no feature tables (*.csv other than {SIGNATURE_FILE} and the training table); download the study's released tables into it (data/README.md)"
            ),
        });
    }
    Ok(paths)
}

/// Reads one released table and its labels; the cohort is named after the file stem.
pub fn read_cohort(path: &Path) -> Result<Cohort> {
    let reading = |e| StudyError::During {
        context: format!("reading {}", path.display()),
        source: Box::new(e),
    };
    let table = Table::read(path).map_err(reading)?;
    table.require_columns(&[LABEL]).map_err(reading)?;
    let labels = table.labels(LABEL).map_err(table_error)?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Cohort {
        name,
        file: file_name(path),
        table,
        labels,
    })
}

/// The signature's linear predictor per row: intercept + sum of
/// coefficient × value, summed in the signature file's order.
pub fn score_signature(sig: &Signature, c: &Cohort) -> Result<Vec<f64>> {
    let missing: Vec<&str> = sig
        .terms
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| !c.table.has_column(n))
        .collect();
    if !missing.is_empty() {
        return Err(invalid(format!(
            "{}: the signature's feature column(s) {} are missing",
            c.file,
            missing.join(", ")
        )));
    }
    let mut scores = vec![sig.intercept; c.table.n_rows()];
    for (name, coef) in &sig.terms {
        let values = c.table.f64_column(name).map_err(table_error)?;
        for (i, (s, v)) in scores.iter_mut().zip(values).enumerate() {
            if !v.is_finite() {
                return Err(invalid(format!(
                    "{}: row {}, column `{name}`: {v}; the signature needs a finite value",
                    c.file,
                    i + 1
                )));
            }
            *s += coef * v;
        }
    }
    Ok(scores)
}

/// One Table 2 row at `cutoff` (the study's builder: AUC with DeLong CI,
/// the five metrics with exact CIs; a metric with no patient in its
/// denominator is NA).
pub fn table2_row(
    cohort: &str,
    model: &str,
    labels: &[u8],
    scores: &[f64],
    cutoff: f64,
    delong_p: Option<f64>,
) -> Result<Table2Row> {
    crate::evaluation::table2_row(cohort, model, labels, scores, cutoff, LEVEL, delong_p)
}

/// A ROC curve for the figure (the study's builder, the paper's 95% level).
pub fn roc_curve(model: &str, labels: &[u8], scores: &[f64]) -> Result<RocCurve> {
    crate::evaluation::roc_curve(model, labels, scores, LEVEL)
}

/// Table 2 as printed, with the P column named for what it tests here.
pub fn table2_display(t: &Table2) -> TextTable {
    t.display_with_p("P (DeLong vs signature)")
}

/// The Markdown/HTML caption: what each row is and how it was computed.
pub fn table2_caption(
    sig: &Signature,
    fixed: &FixedCutoff,
    settings: &Settings,
    holdouts: &[HoldOut],
    dropped: &[(String, String)],
) -> String {
    let mut c = format!(
        "Table 2. The published signature (Liu et al., npj Breast Cancer 2024; {} LASSO coefficients{}) on each released table: AUC with DeLong 95% CI; ACC, SENS, SPE, PPV and NPV in % with exact (Clopper–Pearson) 95% CI (a score at or above the cut-off is positive). Model \"{SIGNATURE_MODEL}\": as the paper computed its rows, the metrics at each table's own Youden-optimal cut-off (chosen on the table it is tested on; see cutoffs.csv). Model \"{FIXED_MODEL}\": the metrics at one fixed cut-off {} for every table ({}).",
        sig.terms.len(),
        if sig.intercept != 0.0 {
            ", with intercept"
        } else {
            ", no intercept"
        },
        dlrn_report::format::fixed(fixed.value, 4),
        fixed.rule,
    );
    if !settings.lasso {
        c.push_str(" The hold-out LASSO was not run (--no-lasso).");
    } else {
        let folds = match settings.foldid_row_mod {
            Some(k) => format!("{k} folds by row order (row i in fold i mod {k} + 1)"),
            None => format!("{} seeded folds, seed {}", settings.folds, settings.seed),
        };
        c.push_str(&format!(
            " Model \"{LASSO_MODEL}\": a LASSO (cv.glmnet-equivalent: binomial, type.measure mse, {folds}, lambda.min) retrained on all other released tables and validated on the row's cohort, which it never saw; its metrics are at the Youden cut-off of its own training predictions",
        ));
        let cuts: Vec<String> = holdouts
            .iter()
            .map(|h| {
                format!(
                    "{} feature(s), cut-off {} when validated on {}",
                    h.model.features.len(),
                    dlrn_report::format::significant(h.cutoff, 4),
                    h.row.cohort
                )
            })
            .collect();
        if !cuts.is_empty() {
            c.push_str(&format!(" ({})", cuts.join("; ")));
        }
        c.push_str(". P: paired DeLong test of the hold-out LASSO against the signature on the same patients.");
        if dropped.is_empty() {
            c.push_str(" No feature column had missing values.");
        } else {
            let list: Vec<String> = dropped.iter().map(|(n, w)| format!("{n} ({w})")).collect();
            c.push_str(&format!(
                " Columns with missing values, left out of the LASSO: {}.",
                list.join(", ")
            ));
        }
    }
    c
}

/// The last component of a path, as text.
pub fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}
