//! The radiologists' rows, rescue counts and kappa table against R
//! (fixtures/make_readers_report.R): two simulated cohorts read by three
//! radiologists; pROC's AUC, DeLong CI and paired roc.test P of the
//! consensus and of each reader, per cohort and over both; the rescue counts
//! counted in R; psych::cohen.kappa for one inter and one intra pair.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dlrn_cohort::read_readers;
use dlrn_report::ReportTable;
use dlrn_stats::KappaWeights;
use dlrn_study::agreement::{ReadItem, agreement_tables};
use dlrn_study::readers_report::{
    KappaTable, POOLED_MODEL, ReaderCohort, radiologist_tables, reader_model,
};

/// AUC, DeLong variance and the normal P are closed forms: R to 1e-9.
const CLOSED: f64 = 1e-9;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

type Maps = (
    BTreeMap<String, u8>,
    BTreeMap<String, f64>,
    BTreeMap<String, u8>,
);

fn patients(cohort: &str) -> Maps {
    let text = std::fs::read_to_string(dir().join("readers_patients.csv")).unwrap();
    let mut m: Maps = Default::default();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f[0] != cohort {
            continue;
        }
        m.0.insert(f[1].into(), f[2].parse().unwrap());
        m.1.insert(f[1].into(), f[3].parse().unwrap());
        m.2.insert(f[1].into(), f[4].parse().unwrap());
    }
    m
}

fn expected(name: &str) -> Vec<Vec<String>> {
    std::fs::read_to_string(dir().join(name))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .skip(1)
        .map(|l| l.split(',').map(String::from).collect())
        .collect()
}

#[test]
fn radiologist_rows_and_rescue_counts_are_rs() {
    let names = ["EVC1", "EVC2"];
    let readers: Vec<_> = names
        .iter()
        .map(|c| read_readers(&dir().join(format!("readers_{c}.csv")), None).unwrap())
        .collect();
    let maps: Vec<Maps> = names.iter().map(|c| patients(c)).collect();
    let cohorts: Vec<ReaderCohort<'_>> = (0..2)
        .map(|i| ReaderCohort {
            name: names[i],
            readers: &readers[i],
            labels: &maps[i].0,
            model: &maps[i].1,
            model_cutoff: 0.5,
            us_aln: &maps[i].2,
        })
        .collect();
    let t = radiologist_tables(&cohorts, Some("all"), "DLRN", 0.95).unwrap();
    assert_eq!(t.pooled.len(), 3);
    assert_eq!(t.per_reader.rows.len(), 9);
    let mut checked = 0;
    for f in expected("readers_expected.csv") {
        let num = |i: usize| f[i].parse::<f64>().unwrap();
        let model = if f[1] == "pooled" {
            POOLED_MODEL.to_string()
        } else {
            reader_model(&f[1])
        };
        let row = t
            .pooled
            .iter()
            .chain(&t.per_reader.rows)
            .find(|r| r.cohort == f[0] && r.model == model)
            .unwrap_or_else(|| panic!("no row {} {model}", f[0]));
        for (got, want, what) in [
            (row.auc, num(2), "auc"),
            (row.auc_ci_low, num(3), "ci_low"),
            (row.auc_ci_high, num(4), "ci_high"),
            (row.delong_p.unwrap(), num(5), "roc.test P"),
        ] {
            assert!(
                (got - want).abs() < CLOSED,
                "{} {model} {what}: {got} vs R {want}",
                f[0]
            );
        }
        if f[1] == "pooled" {
            let r: Vec<_> = t.rescue.rows.iter().filter(|r| r.cohort == f[0]).collect();
            let count = |i: usize| f[i].parse::<u64>().unwrap();
            assert_eq!(
                (r[0].denominator, r[0].n, r[0].model_correct),
                (count(6), count(7), count(8)),
                "{} false positives",
                f[0]
            );
            assert_eq!(
                (r[1].denominator, r[1].n, r[1].model_correct),
                (count(9), count(10), count(11)),
                "{} US-ALN-negative metastases",
                f[0]
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 12);
    let md = t.rescue.display().to_markdown();
    assert!(md.contains("Radiologists' false positives"), "{md}");
}

#[test]
fn kappa_table_rows_are_psychs() {
    let r = read_readers(&dir().join("readers_EVC1.csv"), None).unwrap();
    let t = KappaTable::new(&agreement_tables(&r, 0.95).unwrap());
    let e = expected("readers_kappa_expected.csv");
    let find = |observer: &str, item: ReadItem, w: KappaWeights, a: &str, b: &str| {
        t.rows
            .iter()
            .find(|(k, row)| {
                k == observer
                    && row.item == item
                    && row.weights == w
                    && row.reader_a == a
                    && row.reader_b == b
            })
            .and_then(|(_, row)| row.kappa.estimate().cloned())
            .unwrap()
    };
    let inter = find(
        "inter",
        ReadItem::AlnCall,
        KappaWeights::Unweighted,
        "R1",
        "R2",
    );
    let intra = find(
        "intra",
        ReadItem::Birads,
        KappaWeights::Quadratic,
        "R1",
        "R1",
    );
    for (k, f) in [(inter, &e[0]), (intra, &e[1])] {
        let num = |i: usize| f[i].parse::<f64>().unwrap();
        assert!(
            (k.kappa - num(2)).abs() < CLOSED,
            "{}: {} vs {}",
            f[0],
            k.kappa,
            num(2)
        );
        assert!(
            (k.ci_low - num(3)).abs() < CLOSED,
            "{}: {} vs {}",
            f[0],
            k.ci_low,
            num(3)
        );
        assert!(
            (k.ci_high - num(4)).abs() < CLOSED,
            "{}: {} vs {}",
            f[0],
            k.ci_high,
            num(4)
        );
    }
    // 3 pairs × 5 weightings between readers; R1's repeat reads × 5 within.
    assert_eq!(t.rows.len(), 20);
    let t = t.to_report();
    let records = t.csv_records();
    assert!(records.iter().all(|r| r.len() == t.csv_header().len()));
    assert!(records.iter().flatten().all(|c| !c.contains("NaN")));
}

#[test]
fn a_single_reader_gives_a_note_and_an_unread_patient_an_error() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("readers.csv");
    std::fs::write(
        &p,
        "id,reader,aln_call,birads,us_aln\nP1,A,1,5,suspicious\nP2,A,0,4A,non-suspicious\n",
    )
    .unwrap();
    let r = read_readers(&p, None).unwrap();
    let t = KappaTable::new(&agreement_tables(&r, 0.95).unwrap());
    assert!(t.rows.is_empty());
    assert!(
        t.notes.iter().any(|n| n.contains("1 reader only")),
        "{:?}",
        t.notes
    );
    let out = t.to_report().write(d.path(), "kappa").unwrap();
    let md = std::fs::read_to_string(out.markdown).unwrap();
    assert!(md.contains("1 reader only"), "{md}");
    // A labelled patient nobody read: the error names it.
    let labels: BTreeMap<String, u8> = [("P1", 1), ("P2", 0), ("P3", 1)]
        .map(|(k, v)| (k.to_string(), v))
        .into();
    let model: BTreeMap<String, f64> = labels.keys().map(|k| (k.clone(), 0.5)).collect();
    let us = BTreeMap::new();
    let c = ReaderCohort {
        name: "EVC1",
        readers: &r,
        labels: &labels,
        model: &model,
        model_cutoff: 0.5,
        us_aln: &us,
    };
    let e = radiologist_tables(&[c], None, "DLRN", 0.95).unwrap_err();
    assert!(e.to_string().contains("P3"), "{e}");
}
