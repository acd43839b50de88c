//! dlrn-report: renders the study's results. It owns the plain row and page
//! types (tables, figures, the supplement's pages, the checklist), their
//! number formats, and every file a report folder holds: CSV at full
//! precision, Markdown rounded as the paper prints, SVG/PNG figures,
//! index.html, checklist.html and manifest.json.
//!
//! What it must not do: compute a statistic. It depends on no statistics
//! crate (the caller — dlrn-study — runs the tests, fits and curves and fills
//! the rows), reads no cohort and fits nothing; a table is drawn from the
//! numbers it is given (a box plot's hinges and whiskers are drawing
//! geometry, as R's `boxplot` draws them), so the same inputs give the same
//! bytes.
//!
//! The caller fills plain serde types ([`Table2Row`], [`RocFigure`], …), then
//! writes them: [`write_table`] gives `stem.csv` and `stem.md`, the CSV of a
//! table of plain rows through one generic writer ([`csv_header`],
//! [`csv_records`]: the row's serde fields are the columns);
//! [`write_figure`] gives `stem.svg` and `stem.png`; [`IndexPage`] and
//! [`Manifest`] describe the folder; [`StudyReport::write`] does all of it
//! with the file names of issue 7, and [`SupplementPages::write`] adds Table 1
//! with tests, the radiologists' tables and the checklist page.
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
//!     validation: Default::default(),
//!     png_scale: 2,
//! };
//! let manifest = report.write("reports/paper".as_ref())?;
//! println!("{} files", manifest.outputs.len());
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod cells;
mod checklist;
mod error;
mod figures;
pub mod format;
mod harmonization;
mod html;
mod manifest;
mod published;
mod readers;
mod scaling;
mod study;
mod supplement;
mod supplementary;
mod table1_tests;
mod tables;
mod validation;

pub use cells::{csv_header, csv_records};
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
pub use format::escape;
pub use harmonization::{
    BatchEffect, BatchEffectRow, PcaFigure, PcaPanel, Table2Pair, Table2PairRow,
};
pub use html::{IndexPage, Item, Provenance, Section};
pub use manifest::Manifest;
pub use published::{CoefficientTable, SignatureCutoffRow, SignatureCutoffs};
pub use readers::{KappaTable, KappaTableRow, RescueRow, RescueTable};
pub use scaling::{ScalingExponent, ScalingExponents, ScalingFigure, ScalingRow, ScalingTable};
pub use study::{ExternalFigure, NomogramPart, StudyReport, file_stem};
pub use supplement::{RadiologistPages, Supplement, SupplementPages, study_outputs};
pub use supplementary::{
    CalibrationRow, CalibrationStats, ClinicalByCohort, ClinicalByCohortRow, CutoffRow, Cutoffs,
    PredictionRow, Predictions, Reproducibility, ReproducibilityRow, ScreenTable, ScreenTableRow,
};
pub use table1_tests::{Table1P, Table1Tests, Table1TestsRow};
pub use tables::{
    ComparisonRow, Comparisons, Estimate, IccFeatureRow, IccFeatures, IccKeptRow, IccTable,
    ReportTable, SelectedFeatureRow, SelectedFeatures, SubtypeAucRow, SubtypeAucs, TABLE2_COLUMNS,
    Table1, Table1Cell, Table1Row, Table2, Table2Row, Table3, Table3Row, TableFiles, TextTable,
    cohort_rank, model_rank, table2_cells, write_csv, write_markdown, write_table,
};
pub use validation::{
    InternalCalibration, InternalCalibrationRow, InternalValidation, InternalValidationPart,
    InternalValidationRow, SampleSizeRow, SampleSizeTable, SelectionFrequencies, SelectionRow,
    ValProbRow, ValProbTable, ValidationTables,
};
