//! The radiologists' part of the report: Table 2's "Pooled radiologists"
//! rows (the consensus, per cohort and over all reader cohorts, with the
//! DeLong P against the model on the same patients), Supplementary Table 4
//! (the same per radiologist), the two "rescue" counts of the paper's text
//! (of the radiologists' false positives, how many the model calls negative;
//! of the US-ALN-negative metastases, how many it calls positive) and the
//! inter-/intra-observer kappa table.
//!
//! Built from [`crate::agreement`]: [`reader_scores`] lines the reads up,
//! [`crate::evaluation::table2_row`] gives the row (`pROC::ci.auc(method =
//! "delong")`, Clopper–Pearson CIs) and [`versus_readers`] the paired test
//! (`pROC::roc.test(method = "delong", paired = TRUE)`).

use std::collections::BTreeMap;

use dlrn_cohort::Readers;
use dlrn_report::{self as report, Table2, Table2Row};
pub use dlrn_report::{RescueRow, RescueTable};
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
        let row = crate::evaluation::table2_row(
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

    /// The table as dlrn-report prints it: per row the estimate with its
    /// CI, z test and Landis–Koch label, or the reason there is none.
    pub fn to_report(&self) -> report::KappaTable {
        let rows = self
            .rows
            .iter()
            .map(|(kind, r)| {
                let mut row = report::KappaTableRow {
                    observer: kind.clone(),
                    item: r.item.label().to_string(),
                    weights: weights_label(r.weights).to_string(),
                    reader_a: r.reader_a.clone(),
                    read_a: r.reads.0,
                    reader_b: r.reader_b.clone(),
                    read_b: r.reads.1,
                    ..Default::default()
                };
                match &r.kappa {
                    KappaOutcome::Estimated(e) => {
                        row.n = e.n as u64;
                        row.kappa = Some(e.kappa);
                        row.se = Some(e.se);
                        row.ci_low = Some(e.ci_low);
                        row.ci_high = Some(e.ci_high);
                        row.z = Some(e.z);
                        row.p_value = Some(e.p_value);
                        row.agreement = e.label.as_str().to_string();
                    }
                    KappaOutcome::NotEstimable { n, reason } => {
                        row.n = *n as u64;
                        row.note = format!("not estimable: {reason}");
                        row.reason = Some(reason.clone());
                    }
                }
                row
            })
            .collect();
        report::KappaTable {
            rows,
            notes: self.notes.clone(),
        }
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
