//! The batch-effect evidence of a harmonised study (`[harmonize]` of the
//! config): per feature the Kruskal–Wallis test of hospital differences
//! before and after ComBat, Table 2's signature and DLRN rows without and
//! with harmonisation side by side, and the PCA scatter of the features
//! coloured by hospital, before and after. Plain inputs computed by
//! dlrn-study; nothing here computes a statistic.

use dlrn_nomogram::theme::PALETTE;
use plotters::coord::Shift;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use crate::cells::{csv_header, csv_records};
use crate::error::ReportError;
use crate::figures::Figure;
use crate::format::{auc_ci, fixed, p_value, percent_ci};
use crate::tables::{ReportTable, TextTable, cohort_rank, model_rank, strings};

/// One feature's test of hospital differences before and after harmonisation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchEffectRow {
    /// Feature name.
    pub feature: String,
    /// Feature family (deep, or the handcrafted family).
    pub family: String,
    /// Kruskal–Wallis H across the cohorts before harmonisation (`kruskal.test`).
    pub h_before: Option<f64>,
    /// Its P value.
    pub p_before: Option<f64>,
    /// H after harmonisation.
    pub h_after: Option<f64>,
    /// Its P value.
    pub p_after: Option<f64>,
    /// Why a test is missing (every value equal), else empty.
    pub note: String,
}

/// The batch-effect table (`harmonization_kruskal.csv`), one row per harmonised feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchEffect {
    /// The rows, in the study's feature order.
    pub rows: Vec<BatchEffectRow>,
}

impl BatchEffect {
    /// Features with P < `alpha` before and after (each among those tested).
    pub fn counts(&self, alpha: f64) -> (usize, usize) {
        let below = |p: Option<f64>| p.is_some_and(|p| p < alpha);
        (
            self.rows.iter().filter(|r| below(r.p_before)).count(),
            self.rows.iter().filter(|r| below(r.p_after)).count(),
        )
    }
}

impl ReportTable for BatchEffect {
    fn csv_header(&self) -> Vec<String> {
        csv_header::<BatchEffectRow>()
    }
    fn csv_records(&self) -> Vec<Vec<String>> {
        csv_records(&self.rows)
    }
    fn display(&self) -> TextTable {
        let h = |v: Option<f64>| v.map_or_else(|| "—".into(), |v| fixed(v, 2));
        let p = |v: Option<f64>| v.map_or_else(|| "—".into(), p_value);
        TextTable {
            header: strings(&[
                "Feature", "Family", "H before", "P before", "H after", "P after", "Note",
            ]),
            rows: self
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.feature.clone(),
                        r.family.clone(),
                        h(r.h_before),
                        p(r.p_before),
                        h(r.h_after),
                        p(r.p_after),
                        r.note.clone(),
                    ]
                })
                .collect(),
        }
    }
}

/// One model on one cohort, without and with harmonisation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Table2PairRow {
    /// Cohort name.
    pub cohort: String,
    /// Model name (signature, DLRN).
    pub model: String,
    /// AUC without harmonisation.
    pub auc_none: f64,
    /// Its DeLong CI lower bound.
    pub auc_none_ci_low: f64,
    /// Its DeLong CI upper bound.
    pub auc_none_ci_high: f64,
    /// AUC with harmonisation.
    pub auc_combat: f64,
    /// Its DeLong CI lower bound.
    pub auc_combat_ci_low: f64,
    /// Its DeLong CI upper bound.
    pub auc_combat_ci_high: f64,
    /// AUC with minus AUC without.
    pub auc_change: f64,
    /// Accuracy without harmonisation (its own Youden cut-off).
    pub accuracy_none: f64,
    /// Accuracy with harmonisation.
    pub accuracy_combat: f64,
    /// Sensitivity without.
    pub sensitivity_none: f64,
    /// Sensitivity with.
    pub sensitivity_combat: f64,
    /// Specificity without.
    pub specificity_none: f64,
    /// Specificity with.
    pub specificity_combat: f64,
}

/// Table 2's signature and DLRN rows without and with harmonisation
/// (`table2_harmonization.csv`); each study has its own LASSO, models and cut-offs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table2Pair {
    /// The rows, in Table 2's order.
    pub rows: Vec<Table2PairRow>,
}

impl Table2Pair {
    /// Sorts the rows into Table 2's printed order.
    pub fn new(mut rows: Vec<Table2PairRow>) -> Self {
        rows.sort_by(|a, b| {
            (cohort_rank(&a.cohort), model_rank(&a.model))
                .cmp(&(cohort_rank(&b.cohort), model_rank(&b.model)))
        });
        Table2Pair { rows }
    }
}

impl ReportTable for Table2Pair {
    fn csv_header(&self) -> Vec<String> {
        csv_header::<Table2PairRow>()
    }
    fn csv_records(&self) -> Vec<Vec<String>> {
        csv_records(&self.rows)
    }
    fn display(&self) -> TextTable {
        let pct = |a: f64, b: f64| {
            format!(
                "{} → {}",
                percent_ci(a, a, a).split(' ').next().unwrap_or("NA"),
                percent_ci(b, b, b).split(' ').next().unwrap_or("NA")
            )
        };
        TextTable {
            header: strings(&[
                "Cohort",
                "Model",
                "AUC, none (95% CI)",
                "AUC, ComBat (95% CI)",
                "Change",
                "ACC %",
                "SENS %",
                "SPE %",
            ]),
            rows: self
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.cohort.clone(),
                        r.model.clone(),
                        auc_ci(r.auc_none, r.auc_none_ci_low, r.auc_none_ci_high),
                        auc_ci(r.auc_combat, r.auc_combat_ci_low, r.auc_combat_ci_high),
                        signed(r.auc_change, 3),
                        pct(r.accuracy_none, r.accuracy_combat),
                        pct(r.sensitivity_none, r.sensitivity_combat),
                        pct(r.specificity_none, r.specificity_combat),
                    ]
                })
                .collect(),
        }
    }
    fn validate(&self) -> Result<(), ReportError> {
        for (i, r) in self.rows.iter().enumerate() {
            for (column, v) in [
                ("auc_none", r.auc_none),
                ("auc_combat", r.auc_combat),
                ("auc_change", r.auc_change),
            ] {
                if !v.is_finite() {
                    return Err(ReportError::BadValue {
                        table: "table2_harmonization".into(),
                        row: i + 1,
                        column: column.into(),
                        found: v.to_string(),
                        expected: "a finite number".into(),
                    });
                }
            }
        }
        Ok(())
    }
}

/// `+0.012` / `−0.012` (U+2212), `d` decimals.
fn signed(v: f64, d: usize) -> String {
    let s = fixed(v.abs(), d);
    if s.chars().all(|c| c == '0' || c == '.') {
        s
    } else if v < 0.0 {
        format!("\u{2212}{s}")
    } else {
        format!("+{s}")
    }
}

/// One panel of the PCA scatter: every patient's first two component
/// scores, grouped by cohort.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PcaPanel {
    /// Panel title (`Before ComBat`).
    pub title: String,
    /// Share of the variance on PC1 and PC2 (0–1).
    pub explained: (f64, f64),
    /// (cohort, its patients' (PC1, PC2)), in the study's cohort order.
    pub groups: Vec<(String, Vec<(f64, f64)>)>,
}

/// PCA scatters side by side (before and after harmonisation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PcaFigure {
    /// The panels, left to right.
    pub panels: Vec<PcaPanel>,
}

impl Figure for PcaFigure {
    fn size(&self) -> (u32, u32) {
        (480 * self.panels.len().max(1) as u32, 460)
    }
    fn validate(&self) -> Result<(), ReportError> {
        for p in &self.panels {
            for (g, (cohort, pts)) in p.groups.iter().enumerate() {
                if let Some(&(x, y)) = pts.iter().find(|(x, y)| !x.is_finite() || !y.is_finite()) {
                    return Err(ReportError::BadValue {
                        table: format!("PCA figure, {}", p.title),
                        row: g + 1,
                        column: format!("{cohort} scores"),
                        found: format!("({x}, {y})"),
                        expected: "finite scores".into(),
                    });
                }
            }
        }
        Ok(())
    }
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        s: f64,
    ) -> Result<(), String> {
        root.fill(&WHITE).map_err(crate::figures::err)?;
        let areas = crate::figures::panels(root, self.panels.len());
        for (panel, area) in self.panels.iter().zip(&areas) {
            let all = panel.groups.iter().flat_map(|(_, p)| p.iter());
            let (mut x0, mut x1, mut y0, mut y1) = (0.0_f64, 0.0_f64, 0.0_f64, 0.0_f64);
            for &(x, y) in all {
                x0 = x0.min(x);
                x1 = x1.max(x);
                y0 = y0.min(y);
                y1 = y1.max(y);
            }
            let pad = |a: f64, b: f64| {
                let d = ((b - a) * 0.06).max(1e-9);
                (a - d)..(b + d)
            };
            let mut chart = crate::figures::styled_chart(
                area,
                s,
                &panel.title,
                &format!("PC1 ({}%)", fixed(100.0 * panel.explained.0, 1)),
                &format!("PC2 ({}%)", fixed(100.0 * panel.explained.1, 1)),
                pad(x0, x1),
                pad(y0, y1),
                &crate::figures::dec1,
                &crate::figures::dec1,
            )?;
            for (i, (cohort, pts)) in panel.groups.iter().enumerate() {
                let colour = PALETTE[i % PALETTE.len()];
                let r = crate::figures::px(2.6, s);
                chart
                    .draw_series(
                        pts.iter()
                            .map(|&(x, y)| Circle::new((x, y), r, colour.mix(0.75).filled())),
                    )
                    .map_err(crate::figures::err)?
                    .label(cohort.clone())
                    .legend(move |(x, y)| Circle::new((x, y), r + 1, colour.filled()));
            }
            crate::figures::legend(&mut chart, s, SeriesLabelPosition::UpperRight)?;
        }
        Ok(())
    }
}
