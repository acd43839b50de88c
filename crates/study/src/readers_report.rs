//! The radiologists' part of the report: Table 2's "Pooled radiologists"
//! rows (the consensus, per cohort and over all reader cohorts, with the
//! DeLong P against the model on the same patients), Supplementary Table 4
//! (the same per radiologist), the two "rescue" counts of the paper's text
//! (of the radiologists' false positives, how many the model calls negative;
//! of the US-ALN-negative metastases, how many it calls positive) and the
//! inter-/intra-observer kappa table.
//!
//! Built from [`crate::agreement`]: [`reader_scores`] lines the reads up,
//! `dlrn_report::table2_row` gives the row (`pROC::ci.auc(method =
//! "delong")`, Clopper–Pearson CIs) and [`versus_readers`] the paired test
//! (`pROC::roc.test(method = "delong", paired = TRUE)`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dlrn_cohort::Readers;
use dlrn_report::{self as report, ReportError, ReportTable, Table2, Table2Row, TextTable, format};
use dlrn_stats::{KappaOutcome, KappaWeights};
use serde::Serialize;

use crate::agreement::{AgreementTables, KappaRow, ReaderScores, reader_scores, versus_readers};
use crate::error::{Result, StudyError};

/// Model name of the consensus row in Table 2.
pub const POOLED_MODEL: &str = "Pooled radiologists";

/// The model name of one radiologist's row (Supplementary Table 4).
pub fn reader_model(name: &str) -> String {
    format!("Radiologist {name}")
}

/// One cohort with reads: labels, the model's probabilities and the
/// clinical US-ALN of its patients.
#[derive(Debug, Clone, Copy)]
pub struct ReaderCohort<'a> {
    /// Cohort name (EVC1, …).
    pub name: &'a str,
    /// The validated readers.csv.
    pub readers: &'a Readers,
    /// ALN status by patient id (the patients the rows are computed on).
    pub labels: &'a BTreeMap<String, u8>,
    /// The model's (DLRN's) probability by patient id; must cover `labels`.
    pub model: &'a BTreeMap<String, f64>,
    /// The model's cut-off: positive when probability ≥ cut-off.
    pub model_cutoff: f64,
    /// US-ALN by patient id (1 = suspicious); patients without one are left
    /// out of the US-ALN-negative count.
    pub us_aln: &'a BTreeMap<String, u8>,
}

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

/// Table 2's radiologist rows, Supplementary Table 4 and the rescue counts.
#[derive(Debug, Clone, Serialize)]
pub struct RadiologistTables {
    /// "Pooled radiologists" rows (per cohort, and over all when asked), to
    /// add to Table 2; `delong_p` is against the model.
    pub pooled: Vec<Table2Row>,
    /// One row per radiologist per cohort (and over all), Supplementary Table 4.
    pub per_reader: Table2,
    /// The rescue counts.
    pub rescue: RescueTable,
}

struct Lined {
    scores: Vec<ReaderScores>,
    model: BTreeMap<String, f64>,
    us_aln: BTreeMap<String, u8>,
    cutoff: f64,
}

fn line_up(c: &ReaderCohort<'_>, prefix: bool) -> Result<Lined> {
    let key = |id: &str| {
        if prefix {
            format!("{}/{id}", c.name)
        } else {
            id.to_string()
        }
    };
    let mut scores = reader_scores(c.readers, c.labels)?;
    for s in &mut scores {
        for id in &mut s.ids {
            *id = key(id);
        }
    }
    Ok(Lined {
        scores,
        model: c.model.iter().map(|(k, &v)| (key(k), v)).collect(),
        us_aln: c.us_aln.iter().map(|(k, &v)| (key(k), v)).collect(),
        cutoff: c.model_cutoff,
    })
}

fn rows_of(
    cohort: &str,
    lined: &Lined,
    level: f64,
    pooled: &mut Vec<Table2Row>,
    per_reader: &mut Vec<Table2Row>,
    rescue: &mut Vec<RescueRow>,
) -> Result<()> {
    for s in &lined.scores {
        let test = versus_readers(s, &lined.model, level)?;
        let is_pooled = s.name == "pooled";
        let model = if is_pooled {
            POOLED_MODEL.to_string()
        } else {
            reader_model(&s.name)
        };
        let row = report::table2_row(
            cohort,
            &model,
            &s.labels,
            &s.scores,
            0.5,
            level,
            Some(test.p_value),
        )?;
        if is_pooled {
            pooled.push(row);
            rescue.extend(rescue_rows(cohort, s, lined)?);
        } else {
            per_reader.push(row);
        }
    }
    Ok(())
}

fn rescue_rows(cohort: &str, s: &ReaderScores, lined: &Lined) -> Result<[RescueRow; 2]> {
    let prob = |id: &str| {
        lined
            .model
            .get(id)
            .copied()
            .ok_or_else(|| StudyError::Shape {
                what: format!("rescue counts ({cohort})"),
                message: format!("no model probability for patient {id:?}"),
            })
    };
    let (mut neg, mut fp, mut fp_ok, mut pos, mut un, mut un_ok) = (0, 0, 0, 0, 0, 0);
    for ((id, &y), &call) in s.ids.iter().zip(&s.labels).zip(&s.scores) {
        let p = prob(id)?;
        if y == 0 {
            neg += 1;
            if call > 0.5 {
                fp += 1;
                fp_ok += u64::from(p < lined.cutoff);
            }
        } else {
            pos += 1;
            if lined.us_aln.get(id) == Some(&0) {
                un += 1;
                un_ok += u64::from(p >= lined.cutoff);
            }
        }
    }
    Ok([
        RescueRow {
            cohort: cohort.into(),
            finding: "radiologists_false_positives".into(),
            denominator: neg,
            n: fp,
            model_correct: fp_ok,
        },
        RescueRow {
            cohort: cohort.into(),
            finding: "us_aln_negative_metastases".into(),
            denominator: pos,
            n: un,
            model_correct: un_ok,
        },
    ])
}

/// The radiologists' rows for each cohort and, with `all = Some(name)`, over
/// all cohorts pooled (patients keyed by cohort and id, the paper's "pooled
/// radiologists over all EVCs"): the consensus row and its rescue counts,
/// and one row per radiologist, each with the DeLong P against the model.
/// `model` names the model in the rescue table. A radiologist who read only
/// some cohorts is pooled over those.
pub fn radiologist_tables(
    cohorts: &[ReaderCohort<'_>],
    all: Option<&str>,
    model: &str,
    level: f64,
) -> Result<RadiologistTables> {
    let mut pooled = Vec::new();
    let mut per_reader = Vec::new();
    let mut rescue = Vec::new();
    let mut lined_all = Vec::new();
    for c in cohorts {
        let lined = line_up(c, false)?;
        rows_of(
            c.name,
            &lined,
            level,
            &mut pooled,
            &mut per_reader,
            &mut rescue,
        )?;
        lined_all.push(line_up(c, true)?);
    }
    if let Some(name) = all.filter(|_| cohorts.len() > 1) {
        let cutoffs: Vec<f64> = lined_all.iter().map(|l| l.cutoff).collect();
        let mut merged = Lined {
            scores: Vec::new(),
            model: BTreeMap::new(),
            us_aln: BTreeMap::new(),
            cutoff: cutoffs[0],
        };
        if cutoffs.iter().any(|&c| c != cutoffs[0]) {
            return Err(StudyError::Shape {
                what: format!("radiologists over {name}"),
                message: format!("the cohorts give the model different cut-offs {cutoffs:?}"),
            });
        }
        for l in lined_all {
            merged.model.extend(l.model);
            merged.us_aln.extend(l.us_aln);
            for s in l.scores {
                match merged.scores.iter_mut().find(|m| m.name == s.name) {
                    Some(m) => {
                        m.ids.extend(s.ids);
                        m.labels.extend(s.labels);
                        m.scores.extend(s.scores);
                    }
                    None => merged.scores.push(s),
                }
            }
        }
        rows_of(
            name,
            &merged,
            level,
            &mut pooled,
            &mut per_reader,
            &mut rescue,
        )?;
    }
    Ok(RadiologistTables {
        pooled,
        per_reader: Table2::new(per_reader),
        rescue: RescueTable {
            model: model.into(),
            rows: rescue,
        },
    })
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

impl ReportTable for RescueTable {
    fn csv_header(&self) -> Vec<String> {
        [
            "cohort",
            "finding",
            "denominator",
            "n",
            "model",
            "model_correct",
        ]
        .map(String::from)
        .to_vec()
    }

    fn csv_records(&self) -> Vec<Vec<String>> {
        self.rows
            .iter()
            .map(|r| {
                vec![
                    r.cohort.clone(),
                    r.finding.clone(),
                    r.denominator.to_string(),
                    r.n.to_string(),
                    self.model.clone(),
                    r.model_correct.to_string(),
                ]
            })
            .collect()
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
                        format::fixed(100.0 * r.model_correct as f64 / r.n as f64, 1)
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

/// The kappa table: inter- then intra-observer rows, and the notes on what
/// could not be estimated.
#[derive(Debug, Clone, Serialize)]
pub struct KappaTable {
    /// `(inter|intra, row)` in printed order.
    pub rows: Vec<(String, KappaRow)>,
    /// Why a part is empty (a single reader, no repeat reads).
    pub notes: Vec<String>,
}

impl KappaTable {
    /// The inter- and intra-observer rows of `t`, in that order.
    pub fn new(t: &AgreementTables) -> Self {
        let mut rows: Vec<(String, KappaRow)> = t
            .inter
            .iter()
            .map(|r| ("inter".into(), r.clone()))
            .collect();
        rows.extend(t.intra.iter().map(|r| ("intra".into(), r.clone())));
        KappaTable {
            rows,
            notes: t.notes.clone(),
        }
    }

    /// Writes `dir/stem.csv` and `dir/stem.md` (the notes under the table).
    pub fn write(&self, dir: &Path, stem: &str) -> Result<report::TableFiles> {
        let csv = dir.join(format!("{stem}.csv"));
        let markdown = dir.join(format!("{stem}.md"));
        report::write_csv(self, &csv)?;
        let mut text = self.display().to_markdown();
        text.push_str("\nκ: Cohen's kappa (psych::cohen.kappa) with its 95% CI; P: irr::kappa2's z test of no agreement beyond chance; agreement: Landis & Koch (1977).\n");
        for n in &self.notes {
            text.push_str(&format!("\n{n}.\n"));
        }
        std::fs::write(&markdown, text).map_err(|source| StudyError::Io {
            path: PathBuf::from(&markdown),
            source,
        })?;
        Ok(report::TableFiles { csv, markdown })
    }
}

/// A weighting as the table prints it.
pub fn weights_label(w: KappaWeights) -> &'static str {
    match w {
        KappaWeights::Unweighted => "unweighted",
        KappaWeights::Linear => "linear",
        KappaWeights::Quadratic => "quadratic",
    }
}

impl ReportTable for KappaTable {
    fn csv_header(&self) -> Vec<String> {
        [
            "observer",
            "item",
            "weights",
            "reader_a",
            "read_a",
            "reader_b",
            "read_b",
            "n",
            "kappa",
            "se",
            "ci_low",
            "ci_high",
            "z",
            "p_value",
            "agreement",
            "note",
        ]
        .map(String::from)
        .to_vec()
    }

    fn csv_records(&self) -> Vec<Vec<String>> {
        let mut out: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|(kind, r)| {
                let mut v = vec![
                    kind.clone(),
                    r.item.label().to_string(),
                    weights_label(r.weights).to_string(),
                    r.reader_a.clone(),
                    r.reads.0.to_string(),
                    r.reader_b.clone(),
                    r.reads.1.to_string(),
                ];
                match &r.kappa {
                    KappaOutcome::Estimated(e) => {
                        v.push(e.n.to_string());
                        for x in [e.kappa, e.se, e.ci_low, e.ci_high, e.z, e.p_value] {
                            v.push(format::full(Some(x)));
                        }
                        v.push(e.label.as_str().to_string());
                        v.push(String::new());
                    }
                    KappaOutcome::NotEstimable { n, reason } => {
                        v.push(n.to_string());
                        v.extend(std::iter::repeat_n(String::new(), 7));
                        v.push(format!("not estimable: {reason}"));
                    }
                }
                v
            })
            .collect();
        for n in &self.notes {
            let mut v = vec![String::new(); 15];
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
            .map(|(kind, r)| {
                let who = if kind == "intra" {
                    format!("{} read {} vs {}", r.reader_a, r.reads.0, r.reads.1)
                } else {
                    format!("{} vs {}", r.reader_a, r.reader_b)
                };
                let mut v = vec![
                    kind.clone(),
                    r.item.label().to_string(),
                    weights_label(r.weights).to_string(),
                    who,
                ];
                match &r.kappa {
                    KappaOutcome::Estimated(e) => v.extend([
                        e.n.to_string(),
                        format!(
                            "{} ({} to {})",
                            format::fixed(e.kappa, 3),
                            format::fixed(e.ci_low, 3),
                            format::fixed(e.ci_high, 3)
                        ),
                        format::p_value(e.p_value),
                        e.label.as_str().to_string(),
                    ]),
                    KappaOutcome::NotEstimable { n, reason } => v.extend([
                        n.to_string(),
                        "not estimable".into(),
                        String::new(),
                        reason.clone(),
                    ]),
                }
                v
            })
            .collect();
        TextTable { header, rows }
    }

    fn validate(&self) -> std::result::Result<(), ReportError> {
        for (i, (_, r)) in self.rows.iter().enumerate() {
            if let Some(e) = r.kappa.estimate() {
                for (c, x) in [
                    ("kappa", e.kappa),
                    ("ci_low", e.ci_low),
                    ("ci_high", e.ci_high),
                ] {
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
        }
        Ok(())
    }
}
