//! The radiologists from readers.csv: the pooled consensus (majority of the
//! readers' first reads, as the paper's "pooled radiologists" row), one row
//! per reader (Supplementary Table 4), and the inter- and intra-observer
//! kappa tables of Supplementary Method 1 with their Landis–Koch labels.
//!
//! The rows' inputs are binary scores (1 = ALN call) lined up with the
//! labels; [`reader_row`] gives `auc_delong` and `diagnostic_metrics(cutoff
//! = 0.5)`, [`versus_readers`] the paired DeLong test against a model's
//! probabilities on the same patients.

use std::collections::BTreeMap;

use dlrn_cohort::{Read, Readers};
use dlrn_stats::{
    AucCi, DelongTest, Diagnostics, KappaOutcome, KappaWeights, auc_delong, delong_paired,
    diagnostic_metrics, kappa_agreement_levels,
};
use serde::Serialize;

use crate::error::{Result, StudyError};

/// Which read of readers.csv a kappa compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadItem {
    /// The ALN call (0/1).
    AlnCall,
    /// BI-RADS 4A < 4B < 4C < 5 (ordinal).
    Birads,
    /// US-ALN suspicious (0/1).
    UsAln,
}

impl ReadItem {
    /// Every item, in table order.
    pub const ALL: [ReadItem; 3] = [ReadItem::AlnCall, ReadItem::Birads, ReadItem::UsAln];

    /// The item as a table prints it.
    pub fn label(self) -> &'static str {
        match self {
            ReadItem::AlnCall => "ALN call",
            ReadItem::Birads => "BI-RADS",
            ReadItem::UsAln => "US-ALN",
        }
    }

    /// The item's codes: 0/1, or BI-RADS 1..=4 (4A … 5), so weights never
    /// depend on which categories a pair of readers happened to use.
    pub fn levels(self) -> &'static [i64] {
        match self {
            ReadItem::Birads => &[1, 2, 3, 4],
            _ => &[0, 1],
        }
    }

    fn code(self, r: &Read) -> i64 {
        match self {
            ReadItem::AlnCall => i64::from(r.aln_call),
            ReadItem::Birads => r.birads_code(),
            ReadItem::UsAln => r.us_aln_code(),
        }
    }

    /// The weightings reported for the item: unweighted for all, plus linear
    /// and quadratic for the ordinal BI-RADS.
    pub fn weightings(self) -> &'static [KappaWeights] {
        match self {
            ReadItem::Birads => &[
                KappaWeights::Unweighted,
                KappaWeights::Linear,
                KappaWeights::Quadratic,
            ],
            _ => &[KappaWeights::Unweighted],
        }
    }
}

/// Binary scores of the readers for the labelled patients, lined up.
#[derive(Debug, Clone, Serialize)]
pub struct ReaderScores {
    /// `pooled` (the consensus) or the reader's name.
    pub name: String,
    /// Patient ids, in the order given.
    pub ids: Vec<String>,
    /// ALN status of each patient.
    pub labels: Vec<u8>,
    /// 1.0 = ALN call, 0.0 = none.
    pub scores: Vec<f64>,
}

/// The consensus rule: ALN+ when more than half of the readers call it
/// (majority; with an even number of readers a tie is negative).
pub fn majority(calls: usize, readers: usize) -> bool {
    2 * calls > readers
}

/// The pooled consensus and each reader's first-read ALN calls for the
/// patients in `labels` (id → ALN status), in id order. Every patient of
/// `labels` must have first reads (readers.csv validation guarantees that
/// every reader read the same patients); patients read but not labelled are
/// left out.
pub fn reader_scores(
    readers: &Readers,
    labels: &BTreeMap<String, u8>,
) -> Result<Vec<ReaderScores>> {
    let firsts: Vec<(String, BTreeMap<&str, &Read>)> = readers
        .readers
        .iter()
        .map(|r| (r.clone(), readers.reads_of(r, 1)))
        .collect();
    let mut ids = Vec::new();
    let mut y = Vec::new();
    for (id, &label) in labels {
        if firsts.iter().any(|(_, m)| !m.contains_key(id.as_str())) {
            return Err(StudyError::Shape {
                what: format!("{}", readers.path.display()),
                message: format!("patient {id:?} has no first read by every reader"),
            });
        }
        ids.push(id.clone());
        y.push(label);
    }
    let score = |m: &BTreeMap<&str, &Read>, id: &str| -> f64 {
        m.get(id).map_or(0.0, |r| f64::from(r.aln_call))
    };
    let pooled: Vec<f64> = ids
        .iter()
        .map(|id| {
            let calls = firsts.iter().filter(|(_, m)| score(m, id) > 0.5).count();
            f64::from(u8::from(majority(calls, firsts.len())))
        })
        .collect();
    let mut out = vec![ReaderScores {
        name: "pooled".into(),
        ids: ids.clone(),
        labels: y.clone(),
        scores: pooled,
    }];
    for (name, m) in &firsts {
        out.push(ReaderScores {
            name: name.clone(),
            ids: ids.clone(),
            labels: y.clone(),
            scores: ids.iter().map(|id| score(m, id)).collect(),
        });
    }
    Ok(out)
}

/// One radiologists' row of Table 2 / Supplementary Table 4.
#[derive(Debug, Clone, Serialize)]
pub struct ReaderRow {
    /// `pooled` or the reader's name.
    pub name: String,
    /// AUC of the binary call with its DeLong CI (= (SENS + SPE)/2).
    pub auc: AucCi,
    /// ACC, SENS, SPE, PPV, NPV with Clopper–Pearson CIs (a call is positive).
    pub diagnostics: Diagnostics,
}

/// The row of one set of reader scores: `auc_delong` and
/// `diagnostic_metrics(cutoff = 0.5)` at `level`.
pub fn reader_row(s: &ReaderScores, level: f64) -> Result<ReaderRow> {
    let stats = |source| StudyError::Stats {
        context: format!("radiologists' row {:?}", s.name),
        source,
    };
    Ok(ReaderRow {
        name: s.name.clone(),
        auc: auc_delong(&s.labels, &s.scores, level).map_err(stats)?,
        diagnostics: diagnostic_metrics(&s.labels, &s.scores, 0.5, level).map_err(stats)?,
    })
}

/// Paired DeLong test of a model's probabilities against the readers' calls
/// on the same patients (`pROC::roc.test(paired = TRUE)`): `model` maps id →
/// probability and must cover every patient of `s`.
pub fn versus_readers(
    s: &ReaderScores,
    model: &BTreeMap<String, f64>,
    level: f64,
) -> Result<DelongTest> {
    let mut p = Vec::with_capacity(s.ids.len());
    for id in &s.ids {
        match model.get(id) {
            Some(&v) => p.push(v),
            None => {
                return Err(StudyError::Shape {
                    what: format!("model vs radiologists ({})", s.name),
                    message: format!("no model probability for patient {id:?}"),
                });
            }
        }
    }
    delong_paired(&s.labels, &p, &s.scores, level).map_err(|source| StudyError::Stats {
        context: format!("DeLong test of the model vs {:?}", s.name),
        source,
    })
}

/// One kappa of an agreement table.
#[derive(Debug, Clone, Serialize)]
pub struct KappaRow {
    /// The read compared.
    pub item: ReadItem,
    /// The weighting.
    pub weights: KappaWeights,
    /// First reader (inter) or the reader (intra).
    pub reader_a: String,
    /// Second reader (inter) or the same reader (intra).
    pub reader_b: String,
    /// Read numbers compared (1 and 1 between readers, 1 and 2 within).
    pub reads: (u32, u32),
    /// The estimate with its CI and Landis–Koch label, or why there is none.
    pub kappa: KappaOutcome,
}

/// Inter- and intra-observer kappa tables.
#[derive(Debug, Clone, Serialize)]
pub struct AgreementTables {
    /// Every reader pair's first reads.
    pub inter: Vec<KappaRow>,
    /// Every reader's first vs second reads (patients with a repeat read).
    pub intra: Vec<KappaRow>,
    /// Why a table is empty (a single reader; no repeat reads).
    pub notes: Vec<String>,
}

fn pair_row(
    item: ReadItem,
    weights: KappaWeights,
    (a, ra): (&str, &BTreeMap<&str, &Read>),
    (b, rb): (&str, &BTreeMap<&str, &Read>),
    reads: (u32, u32),
    level: f64,
) -> Result<KappaRow> {
    let (mut xa, mut xb) = (Vec::new(), Vec::new());
    for (id, r) in ra {
        if let Some(s) = rb.get(id) {
            xa.push(item.code(r));
            xb.push(item.code(s));
        }
    }
    let kappa = if xa.len() < 2 {
        KappaOutcome::NotEstimable {
            n: xa.len(),
            reason: format!("{} patient(s) read by both", xa.len()),
        }
    } else {
        kappa_agreement_levels(&xa, &xb, item.levels(), weights, level).map_err(|source| {
            StudyError::Stats {
                context: format!(
                    "{} kappa, {a} read {} vs {b} read {}",
                    item.label(),
                    reads.0,
                    reads.1
                ),
                source,
            }
        })?
    };
    Ok(KappaRow {
        item,
        weights,
        reader_a: a.to_string(),
        reader_b: b.to_string(),
        reads,
        kappa,
    })
}

/// Inter-observer kappas (every pair of readers, first reads) and
/// intra-observer kappas (each reader's read 1 vs read 2), for each item and
/// weighting (`kappa_agreement_levels` over [`ReadItem::levels`]: psych's
/// estimate and CI at `level`, irr's z and p, Landis–Koch label). A single reader gives an empty inter table
/// with a note; constant ratings give a "not estimable" row, never NaN.
pub fn agreement_tables(readers: &Readers, level: f64) -> Result<AgreementTables> {
    let mut t = AgreementTables {
        inter: Vec::new(),
        intra: Vec::new(),
        notes: Vec::new(),
    };
    let firsts: Vec<BTreeMap<&str, &Read>> = readers
        .readers
        .iter()
        .map(|r| readers.reads_of(r, 1))
        .collect();
    let seconds: Vec<BTreeMap<&str, &Read>> = readers
        .readers
        .iter()
        .map(|r| readers.reads_of(r, 2))
        .collect();
    if readers.readers.len() < 2 {
        t.notes.push(format!(
            "inter-observer kappa not estimable: {} reader only",
            readers.readers.len()
        ));
    }
    if seconds.iter().all(BTreeMap::is_empty) {
        t.notes
            .push("intra-observer kappa not estimable: no repeat reads (read 2)".into());
    }
    for item in ReadItem::ALL {
        for &w in item.weightings() {
            for i in 0..readers.readers.len() {
                for j in i + 1..readers.readers.len() {
                    t.inter.push(pair_row(
                        item,
                        w,
                        (&readers.readers[i], &firsts[i]),
                        (&readers.readers[j], &firsts[j]),
                        (1, 1),
                        level,
                    )?);
                }
            }
            for (i, name) in readers.readers.iter().enumerate() {
                if seconds[i].is_empty() {
                    continue;
                }
                t.intra.push(pair_row(
                    item,
                    w,
                    (name, &firsts[i]),
                    (name, &seconds[i]),
                    (1, 2),
                    level,
                )?);
            }
        }
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dlrn_cohort::read_readers;

    fn readers(rows: &[&str]) -> Readers {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("readers.csv");
        std::fs::write(
            &p,
            format!(
                "id,reader,read,aln_call,birads,us_aln\n{}\n",
                rows.join("\n")
            ),
        )
        .unwrap();
        read_readers(&p, None).unwrap()
    }

    #[test]
    fn majority_consensus_and_reader_rows() {
        let r = readers(&[
            "P1,A,1,1,5,suspicious",
            "P1,B,1,1,4C,suspicious",
            "P1,C,1,0,4B,non-suspicious",
            "P2,A,1,0,4A,non-suspicious",
            "P2,B,1,1,4B,suspicious",
            "P2,C,1,0,4A,non-suspicious",
        ]);
        let labels: BTreeMap<String, u8> = [("P1".to_string(), 1), ("P2".to_string(), 0)].into();
        let s = reader_scores(&r, &labels).unwrap();
        assert_eq!(s[0].name, "pooled");
        assert_eq!(s[0].scores, [1.0, 0.0]);
        assert_eq!(s[2].name, "B");
        assert_eq!(s[2].scores, [1.0, 1.0]);
        assert!(!majority(2, 4) && majority(3, 5));
    }

    #[test]
    fn reader_rows_and_the_paired_test() {
        let rows: Vec<String> = (0..12)
            .flat_map(|i| {
                // Patients P0..P11: ALN+ for i < 5; reader A calls i < 4 and i == 7.
                let a = u8::from(i < 4 || i == 7);
                ["A", "B", "C"].map(|r| {
                    let call = if r == "A" { a } else { u8::from(i < 5) };
                    format!("P{i:02},{r},1,{call},4B,suspicious")
                })
            })
            .collect();
        let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
        let r = readers(&rows);
        let labels: BTreeMap<String, u8> = (0..12)
            .map(|i| (format!("P{i:02}"), u8::from(i < 5)))
            .collect();
        let s = reader_scores(&r, &labels).unwrap();
        let a = reader_row(&s[1], 0.95).unwrap();
        // Reader A: SENS 4/5, SPE 6/7; the AUC of a binary call is their mean.
        let d = &a.diagnostics.confusion;
        assert_eq!((d.tp, d.fn_, d.tn, d.fp), (4, 1, 6, 1));
        assert!(
            (a.auc.auc - (0.8 + 6.0 / 7.0) / 2.0).abs() < 1e-12,
            "{}",
            a.auc.auc
        );
        // The pooled majority is perfect here.
        assert_eq!(reader_row(&s[0], 0.95).unwrap().auc.auc, 1.0);
        let model: BTreeMap<String, f64> = labels.keys().map(|k| (k.clone(), 0.5)).collect();
        let t = versus_readers(&s[1], &model, 0.95).unwrap();
        assert_eq!(t.auc_a, 0.5);
        let mut short = model.clone();
        short.remove("P03");
        assert!(
            versus_readers(&s[1], &short, 0.95)
                .unwrap_err()
                .to_string()
                .contains("P03")
        );
    }

    #[test]
    fn single_reader_and_constant_ratings_are_noted_not_nan() {
        let r = readers(&[
            "P1,A,1,1,5,suspicious",
            "P2,A,1,1,5,suspicious",
            "P1,A,2,1,5,suspicious",
            "P2,A,2,1,5,suspicious",
        ]);
        let t = agreement_tables(&r, 0.95).unwrap();
        assert!(t.inter.is_empty());
        assert!(t.notes[0].contains("1 reader only"), "{:?}", t.notes);
        assert_eq!(t.intra.len(), 5);
        for row in &t.intra {
            assert!(
                matches!(row.kappa, KappaOutcome::NotEstimable { .. }),
                "{row:?}"
            );
        }
    }

    #[test]
    fn inter_and_intra_rows_per_item_and_weighting() {
        let r = readers(&[
            "P1,A,1,1,5,suspicious",
            "P2,A,1,0,4A,non-suspicious",
            "P3,A,1,1,4C,suspicious",
            "P1,B,1,1,5,suspicious",
            "P2,B,1,0,4B,non-suspicious",
            "P3,B,1,0,4C,suspicious",
            "P1,A,2,1,4C,suspicious",
            "P2,A,2,0,4A,suspicious",
        ]);
        let t = agreement_tables(&r, 0.95).unwrap();
        // 1 pair × (1 + 3 + 1) weightings; reader A only has repeats.
        assert_eq!(t.inter.len(), 5);
        assert_eq!(t.intra.len(), 5);
        let call = &t.inter[0];
        assert_eq!(
            (call.item, call.reader_a.as_str(), call.reader_b.as_str()),
            (ReadItem::AlnCall, "A", "B")
        );
        // A: 1,0,1; B: 1,0,0 → po = 2/3, pe = (2/3)(1/3) + (1/3)(2/3) = 4/9, kappa = (2/9)/(5/9) = 0.4.
        let k = call.kappa.estimate().unwrap().kappa;
        assert!((k - 0.4).abs() < 1e-12, "{k}");
    }
}
