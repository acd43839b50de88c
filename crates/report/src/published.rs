//! The tables of the published-signature rerun (`cargo xtask published`):
//! each released table's own Youden cut-off beside the one fixed cut-off,
//! and the authors' LASSO rerun's coefficients beside the published ones.
//! dlrn-study computes the rows; this renders them (the CSV cells as Rust's
//! shortest round-trip `{:?}` of each double, as these files always were).

use crate::format::{fixed, significant};
use crate::tables::{ReportTable, TextTable};

/// One line of cutoffs.csv.
#[derive(Debug, Clone, PartialEq)]
pub struct SignatureCutoffRow {
    /// The table's cohort name.
    pub cohort: String,
    /// `training` or `validation`.
    pub role: String,
    /// The table's own Youden cut-off.
    pub youden_cutoff: f64,
    /// The one fixed cut-off.
    pub fixed_cutoff: f64,
}

/// Every table's own Youden cut-off next to the fixed one (cutoffs.csv).
#[derive(Debug, Clone, PartialEq)]
pub struct SignatureCutoffs {
    /// One row per table.
    pub rows: Vec<SignatureCutoffRow>,
}

impl ReportTable for SignatureCutoffs {
    fn csv_header(&self) -> Vec<String> {
        ["cohort", "role", "youden_cutoff", "fixed_cutoff"]
            .map(String::from)
            .to_vec()
    }
    fn csv_records(&self) -> Vec<Vec<String>> {
        self.rows
            .iter()
            .map(|r| {
                vec![
                    r.cohort.clone(),
                    r.role.clone(),
                    format!("{:?}", r.youden_cutoff),
                    format!("{:?}", r.fixed_cutoff),
                ]
            })
            .collect()
    }
    fn display(&self) -> TextTable {
        TextTable {
            header: ["cohort", "role", "own Youden cut-off", "fixed cut-off"]
                .map(String::from)
                .to_vec(),
            rows: self
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.cohort.clone(),
                        r.role.clone(),
                        fixed(r.youden_cutoff, 4),
                        fixed(r.fixed_cutoff, 4),
                    ]
                })
                .collect(),
        }
    }
}

/// The rerun LASSO's coefficients next to the published ones, one row per
/// feature in either (published order first, then the rerun's other features).
#[derive(Debug, Clone, PartialEq)]
pub struct CoefficientTable {
    /// (feature, published coefficient, rerun coefficient).
    pub rows: Vec<(String, Option<f64>, Option<f64>)>,
}

impl CoefficientTable {
    /// Features in both, only published, only rerun.
    pub fn counts(&self) -> (usize, usize, usize) {
        let both = self
            .rows
            .iter()
            .filter(|r| r.1.is_some() && r.2.is_some())
            .count();
        let published = self.rows.iter().filter(|r| r.2.is_none()).count();
        let rerun = self.rows.iter().filter(|r| r.1.is_none()).count();
        (both, published, rerun)
    }
}

impl ReportTable for CoefficientTable {
    fn csv_header(&self) -> Vec<String> {
        ["feature", "published", "rerun"].map(String::from).to_vec()
    }
    fn csv_records(&self) -> Vec<Vec<String>> {
        let cell = |v: Option<f64>| v.map(|x| format!("{x:?}")).unwrap_or_default();
        self.rows
            .iter()
            .map(|(n, p, r)| vec![n.clone(), cell(*p), cell(*r)])
            .collect()
    }
    fn display(&self) -> TextTable {
        let cell = |v: Option<f64>| v.map(|x| significant(x, 4)).unwrap_or_else(|| "—".into());
        TextTable {
            header: ["feature", "published coefficient", "rerun coefficient"]
                .map(String::from)
                .to_vec(),
            rows: self
                .rows
                .iter()
                .map(|(n, p, r)| vec![n.clone(), cell(*p), cell(*r)])
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CSV keeps each double's shortest round-trip text, the Markdown
    /// the paper's digits; a coefficient on one side only is empty / a dash.
    #[test]
    fn cells() {
        let cut = SignatureCutoffs {
            rows: vec![SignatureCutoffRow {
                cohort: "EVC1".into(),
                role: "validation".into(),
                youden_cutoff: 0.125,
                fixed_cutoff: -1.0,
            }],
        };
        assert_eq!(cut.csv_records(), [["EVC1", "validation", "0.125", "-1.0"]]);
        assert_eq!(
            cut.display().rows,
            [["EVC1", "validation", "0.1250", "-1.0000"]]
        );
        let coef = CoefficientTable {
            rows: vec![
                ("LBP_38".into(), Some(-261.05), Some(1e-7)),
                ("f_9".into(), None, Some(0.5)),
                ("f_2".into(), Some(0.002), None),
            ],
        };
        assert_eq!(coef.counts(), (1, 1, 1));
        assert_eq!(
            coef.csv_records(),
            [
                ["LBP_38", "-261.05", "1e-7"],
                ["f_9", "", "0.5"],
                ["f_2", "0.002", ""]
            ]
        );
        assert_eq!(
            coef.display().rows,
            [
                ["LBP_38", "-261.1", "1.000e-07"],
                ["f_9", "—", "0.5000"],
                ["f_2", "0.002000", "—"]
            ]
        );
    }
}
