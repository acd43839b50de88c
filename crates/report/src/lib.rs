//! dlrn-report: the study's tables (CSV + Markdown) and figures (plotters),
//! drawn from computed results; it never recomputes a statistic.
//!
//! The caller fills plain serde types ([`Table2Row`], [`RocFigure`], …) from
//! its own statistics, then writes them: [`write_table`] gives `stem.csv`
//! (full precision) and `stem.md` (rounded as the paper prints);
//! [`write_figure`] gives `stem.svg` and `stem.png`; [`IndexPage`] and
//! [`Manifest`] describe the folder; [`StudyReport::write`] does all of it
//! with the file names of issue 7. Same inputs, same bytes.
//!
//! ```no_run
//! use dlrn_report::{Provenance, StudyReport, Table2, Table2Row};
//! # fn f(rows: Vec<Table2Row>, provenance: Provenance) -> Result<(), dlrn_report::ReportError> {
//! let report = StudyReport {
//!     title: "DLRN study".into(),
//!     simulated: Some("These cohorts are simulated.".into()),
//!     provenance,
//!     table1: None,
//!     table2: Table2::new(rows),
//!     table3: None,
//!     icc: None,
//!     selected_features: None,
//!     comparisons: None,
//!     subtype_aucs: None,
//!     screen: None,
//!     cutoffs: None,
//!     calibration_stats: None,
//!     predictions: None,
//!     roc: vec![],
//!     decision_curves: vec![],
//!     calibration: vec![],
//!     signature_by_class: None,
//!     confusion: None,
//!     nomogram: None,
//!     external_figures: vec![],
//!     png_scale: 2,
//! };
//! let manifest = report.write("reports/paper".as_ref())?;
//! println!("{} files", manifest.outputs.len());
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod build;
mod checklist;
mod error;
mod figures;
pub mod format;
mod html;
mod manifest;
mod study;
mod supplementary;
mod tables;

use std::path::{Path, PathBuf};

pub use build::{estimate, roc_curve, table2_row, undefined_estimate};
pub use checklist::{
    Artefact, Checklist, ChecklistFiles, Outputs, RQS_MAX, Rqs, RqsFacts, RqsRow, TripodRow,
    TripodTable, Validation, rqs, tripod_ai,
};
pub use error::ReportError;
pub use figures::{
    BoxFigure, BoxPanel, CalibrationBin, CalibrationCurve, CalibrationFigure, ConfusionFigure,
    ConfusionMatrix, DecisionCurveFigure, Figure, FigureFiles, RocCurve, RocFigure, ScoreGroup,
    svg_string, write_figure,
};
pub use html::{IndexPage, Item, Provenance, Section, escape};
pub use manifest::Manifest;
pub use study::{ExternalFigure, NomogramPart, StudyReport, file_stem};
pub use supplementary::{
    CalibrationRow, CalibrationStats, ClinicalByCohort, ClinicalByCohortRow, CutoffRow, Cutoffs,
    PredictionRow, Predictions, Reproducibility, ReproducibilityRow, ScreenTable, ScreenTableRow,
};
pub use tables::{
    ComparisonRow, Comparisons, Estimate, IccKeptRow, IccTable, ReportTable, SelectedFeatureRow,
    SelectedFeatures, SubtypeAucRow, SubtypeAucs, TABLE2_COLUMNS, Table1, Table1Cell, Table1Row,
    Table2, Table2Row, Table3, Table3Row, TextTable, cohort_rank, model_rank, table2_cells,
    write_csv, write_markdown,
};

/// The files one table was written to.
#[derive(Debug, Clone, PartialEq)]
pub struct TableFiles {
    /// Full-precision CSV.
    pub csv: PathBuf,
    /// Rounded Markdown.
    pub markdown: PathBuf,
}

/// Writes `dir/stem.csv` and `dir/stem.md`.
pub fn write_table(
    table: &impl ReportTable,
    dir: &Path,
    stem: &str,
) -> Result<TableFiles, ReportError> {
    let csv = dir.join(format!("{stem}.csv"));
    let markdown = dir.join(format!("{stem}.md"));
    write_csv(table, &csv)?;
    write_markdown(table, &markdown)?;
    Ok(TableFiles { csv, markdown })
}
