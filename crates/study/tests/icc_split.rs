//! The ICC filter's paper rule against psych::ICC (fixtures/make_icc_split.R):
//! per feature the intra-observer ICC2 (masks vs reader1_repeat) and the
//! inter-observer ICC2 (masks vs reader2) equal R's, and only the feature
//! with both above 0.80 is kept — one good intra but bad inter, and one the
//! reverse, are dropped with the reason.

use std::collections::BTreeMap;
use std::path::Path;

use dlrn_stats::IccForm;
use dlrn_study::icc::{IccOutcome, Reads, icc_filter};

/// The ANOVA mean squares in closed form against psych's: agreement to
/// rounding of sums over 12 subjects.
const TOL: f64 = 1e-12;

fn fixture(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn both_intra_and_inter_must_exceed_the_threshold() {
    // feature -> [masks, reader1_repeat, reader2] columns, in patient order.
    let mut cols: BTreeMap<String, [Vec<f64>; 3]> = BTreeMap::new();
    for line in fixture("icc_split.csv").lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let e = cols.entry(f[0].to_string()).or_default();
        for k in 0..3 {
            e[k].push(f[2 + k].parse().expect("a number"));
        }
    }
    let names: Vec<String> = cols.keys().cloned().collect();
    let first: Vec<Vec<f64>> = cols.values().map(|c| c[0].clone()).collect();
    let reads = |reader: &str, k: usize| Reads {
        reader: reader.into(),
        columns: cols.values().map(|c| c[k].clone()).collect(),
    };
    let f = icc_filter(
        &names,
        &first,
        &[reads("reader1_repeat", 1)],
        &[reads("reader2", 2)],
        IccForm::Icc2,
        0.80,
        0.95,
    )
    .expect("the filter runs");
    assert_eq!(f.n_subjects, 12);
    let expected: BTreeMap<String, (f64, f64)> = fixture("icc_split_expected.csv")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .skip(1)
        .map(|l| {
            let v: Vec<&str> = l.split(',').collect();
            (
                v[0].to_string(),
                (v[1].parse().expect("icc"), v[2].parse().expect("icc")),
            )
        })
        .collect();
    assert_eq!(expected.len(), 3);
    for feat in &f.features {
        let (intra, inter) = expected[&feat.feature];
        let IccOutcome::Value { icc: a } = feat.intra else {
            panic!("{}: no intra ICC", feat.feature)
        };
        let IccOutcome::Value { icc: b } = feat.inter else {
            panic!("{}: no inter ICC", feat.feature)
        };
        assert!(
            (a - intra).abs() < TOL,
            "{}: intra {a} vs R {intra}",
            feat.feature
        );
        assert!(
            (b - inter).abs() < TOL,
            "{}: inter {b} vs R {inter}",
            feat.feature
        );
    }
    assert_eq!(f.kept(), ["both_good"]);
    let csv = f.to_csv().unwrap();
    assert!(
        csv.starts_with("feature,icc_intra,icc_inter,kept,reason\n"),
        "{csv}"
    );
    assert!(
        csv.contains(",1,kept: intra and inter ICC > 0.8\n"),
        "{csv}"
    );
    assert!(csv.contains(",0,dropped: inter ICC <= 0.8\n"), "{csv}");
    assert!(csv.contains(",0,dropped: intra ICC <= 0.8\n"), "{csv}");
    let t = f.by_family(|_| "all".into());
    assert_eq!(
        (
            t.rows[0].total,
            t.rows[0].intra_above,
            t.rows[0].inter_above,
            t.rows[0].kept
        ),
        (3, 2, 2, 1)
    );
    assert!(f.rule().contains("masks vs reader1_repeat"), "{}", f.rule());
    assert!(f.rule().contains("masks vs reader2"), "{}", f.rule());
}
