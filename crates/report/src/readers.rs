//! The radiologists' tables beyond Table 2's rows: the rescue counts of the
//! paper's text and the inter-/intra-observer kappa table. Plain rows filled
//! by the caller (dlrn-study computes the counts and the kappas); this module
//! only prints them.

use std::path::Path;

use serde::Serialize;

use crate::cells::{csv_header, csv_records};
use crate::error::ReportError;
use crate::format::{fixed, p_value};
use crate::tables::{ReportTable, TableFiles, TextTable, write_csv};

/// One rescue count: of `n` patients of a kind, how many the model gets right.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RescueRow {
    /// Cohort (or the pooled name).
    pub cohort: String,
    /// `radiologists_false_positives` or `us_aln_negative_metastases`.
    pub finding: String,
    /// Patients the finding is drawn from (ALN− for false positives, ALN+ for metastases).
    pub denominator: u64,
    /// Patients with the finding.
    pub n: u64,
    /// Of those, how many the model classifies correctly.
    pub model_correct: u64,
}

/// The rescue counts of the paper's text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RescueTable {
    /// Model name (DLRN).
    pub model: String,
    /// Rows: per cohort, then the pooled cohorts; false positives before metastases.
    pub rows: Vec<RescueRow>,
}

impl RescueRow {
    fn finding_label(&self) -> &str {
        match self.finding.as_str() {
            "radiologists_false_positives" => "Radiologists' false positives (of ALN−)",
            "us_aln_negative_metastases" => "US-ALN-negative metastases (of ALN+)",
            other => other,
        }
    }
}

/// A rescue.csv record: the row with the table's model.
#[derive(Default, Serialize)]
struct RescueRecord<'a> {
    cohort: &'a str,
    finding: &'a str,
    denominator: u64,
    n: u64,
    model: &'a str,
    model_correct: u64,
}

impl ReportTable for RescueTable {
    fn csv_header(&self) -> Vec<String> {
        csv_header::<RescueRecord<'_>>()
    }

    fn csv_records(&self) -> Vec<Vec<String>> {
        let records: Vec<RescueRecord<'_>> = self
            .rows
            .iter()
            .map(|r| RescueRecord {
                cohort: &r.cohort,
                finding: &r.finding,
                denominator: r.denominator,
                n: r.n,
                model: &self.model,
                model_correct: r.model_correct,
            })
            .collect();
        csv_records(&records)
    }

    fn display(&self) -> TextTable {
        let header = vec![
            "Cohort".to_string(),
            "Finding".to_string(),
            "n / patients".to_string(),
            format!("{} correct", self.model),
        ];
        let rows = self
            .rows
            .iter()
            .map(|r| {
                let ok = if r.n == 0 {
                    "0/0".to_string()
                } else {
                    format!(
                        "{}/{} ({}%)",
                        r.model_correct,
                        r.n,
                        fixed(100.0 * r.model_correct as f64 / r.n as f64, 1)
                    )
                };
                vec![
                    r.cohort.clone(),
                    r.finding_label().to_string(),
                    format!("{}/{}", r.n, r.denominator),
                    ok,
                ]
            })
            .collect();
        TextTable { header, rows }
    }
}

/// One kappa of the agreement table, as printed: the estimate with its CI,
/// z test and Landis–Koch label, or (all `None`) the reason there is none.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct KappaTableRow {
    /// `inter` or `intra`.
    pub observer: String,
    /// The read compared (`ALN call`, `BI-RADS`, …).
    pub item: String,
    /// The weighting (`unweighted`, `linear`, `quadratic`).
    pub weights: String,
    /// First reader (inter) or the reader (intra).
    pub reader_a: String,
    /// The first reader's read number.
    pub read_a: u32,
    /// Second reader (inter) or the same reader (intra).
    pub reader_b: String,
    /// The second reader's read number.
    pub read_b: u32,
    /// Patients rated by both.
    pub n: u64,
    /// Cohen's kappa.
    pub kappa: Option<f64>,
    /// Its standard error.
    pub se: Option<f64>,
    /// CI lower bound.
    pub ci_low: Option<f64>,
    /// CI upper bound.
    pub ci_high: Option<f64>,
    /// z statistic of no agreement beyond chance.
    pub z: Option<f64>,
    /// Its P.
    pub p_value: Option<f64>,
    /// Landis–Koch label, empty when not estimable.
    pub agreement: String,
    /// `not estimable: <reason>`, else empty.
    pub note: String,
    /// Why the kappa is not estimable (shown in the Markdown), else `None`.
    #[serde(skip)]
    pub reason: Option<String>,
}

/// The kappa table: inter- then intra-observer rows, and the notes on what
/// could not be estimated.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct KappaTable {
    /// Rows in printed order.
    pub rows: Vec<KappaTableRow>,
    /// Why a part is empty (a single reader, no repeat reads).
    pub notes: Vec<String>,
}

impl KappaTable {
    /// Writes `dir/stem.csv` and `dir/stem.md` (the notes under the table).
    pub fn write(&self, dir: &Path, stem: &str) -> Result<TableFiles, ReportError> {
        let csv = dir.join(format!("{stem}.csv"));
        let markdown = dir.join(format!("{stem}.md"));
        write_csv(self, &csv)?;
        let mut text = self.display().to_markdown();
        text.push_str("\nκ: Cohen's kappa (psych::cohen.kappa) with its 95% CI; P: irr::kappa2's z test of no agreement beyond chance; agreement: Landis & Koch (1977).\n");
        for n in &self.notes {
            text.push_str(&format!("\n{n}.\n"));
        }
        std::fs::write(&markdown, text).map_err(|source| ReportError::Io {
            path: markdown.clone(),
            source,
        })?;
        Ok(TableFiles { csv, markdown })
    }
}

impl ReportTable for KappaTable {
    fn csv_header(&self) -> Vec<String> {
        csv_header::<KappaTableRow>()
    }

    fn csv_records(&self) -> Vec<Vec<String>> {
        // The rows' own fields, then one record per note (in the last column).
        let mut out = csv_records(&self.rows);
        let width = self.csv_header().len();
        for n in &self.notes {
            let mut v = vec![String::new(); width - 1];
            v.push(n.clone());
            out.push(v);
        }
        out
    }

    fn display(&self) -> TextTable {
        let header = [
            "Observer",
            "Item",
            "Weights",
            "Readers",
            "n",
            "κ (95% CI)",
            "P",
            "Agreement",
        ]
        .map(String::from)
        .to_vec();
        let rows = self
            .rows
            .iter()
            .map(|r| {
                let who = if r.observer == "intra" {
                    format!("{} read {} vs {}", r.reader_a, r.read_a, r.read_b)
                } else {
                    format!("{} vs {}", r.reader_a, r.reader_b)
                };
                let mut v = vec![r.observer.clone(), r.item.clone(), r.weights.clone(), who];
                match (r.kappa, r.ci_low, r.ci_high, r.p_value) {
                    (Some(k), Some(lo), Some(hi), Some(p)) => v.extend([
                        r.n.to_string(),
                        format!("{} ({} to {})", fixed(k, 3), fixed(lo, 3), fixed(hi, 3)),
                        p_value(p),
                        r.agreement.clone(),
                    ]),
                    _ => v.extend([
                        r.n.to_string(),
                        "not estimable".into(),
                        String::new(),
                        r.reason.clone().unwrap_or_default(),
                    ]),
                }
                v
            })
            .collect();
        TextTable { header, rows }
    }

    fn validate(&self) -> Result<(), ReportError> {
        for (i, r) in self.rows.iter().enumerate() {
            if r.kappa.is_none() {
                continue;
            }
            for (c, x) in [
                ("kappa", r.kappa),
                ("ci_low", r.ci_low),
                ("ci_high", r.ci_high),
            ] {
                let x = x.unwrap_or(f64::NAN);
                if !x.is_finite() {
                    return Err(ReportError::BadValue {
                        table: "kappa".into(),
                        row: i + 1,
                        column: c.into(),
                        found: x.to_string(),
                        expected: "a finite number or a not-estimable note".into(),
                    });
                }
            }
        }
        Ok(())
    }
}
