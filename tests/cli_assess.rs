//! `dlrn assess` end to end: a frozen bundle of the tiny simulated study
//! (tests/predict_fixture) validated on EVC1 with no refitting. The oracle
//! for the Table 2 and calibration numbers is a hand computation in this
//! file from the per-patient probabilities and the outcomes: the AUC as the
//! Mann–Whitney proportion of case/control pairs (ties ½), the counts at the
//! bundle's cut-offs, the Brier score as the mean squared error.

mod predict_fixture;

use std::collections::BTreeMap;

use predict_fixture::{clinical_by_id, copy_dir, dlrn, dlrn_ok, read_csv, s, study};

fn num(row: &BTreeMap<String, String>, col: &str) -> f64 {
    row[col]
        .parse()
        .unwrap_or_else(|_| panic!("{col} = {:?} is not a number", row[col]))
}

/// Mann–Whitney AUC: P(case > control) + ½ P(tie).
fn auc(y: &[u8], p: &[f64]) -> f64 {
    let (mut sum, mut pairs) = (0.0, 0.0);
    for (i, &yi) in y.iter().enumerate() {
        for (j, &yj) in y.iter().enumerate() {
            if yi == 1 && yj == 0 {
                pairs += 1.0;
                sum += if p[i] > p[j] {
                    1.0
                } else if p[i] == p[j] {
                    0.5
                } else {
                    0.0
                };
            }
        }
    }
    sum / pairs
}

#[test]
fn assess_writes_table2_calibration_and_curves_that_match_a_hand_computation() {
    let st = study();
    let model = st.study.join("model");
    let evc = st.sim.join("EVC1");
    let out = st.tmp.path().join("assess");
    dlrn_ok(&[
        "assess",
        "--model",
        s(&model),
        "--cohort",
        s(&evc),
        "--out",
        s(&out),
        "--name",
        "EVC1",
    ]);
    for f in [
        "index.html",
        "table2.csv",
        "table2.md",
        "calibration.csv",
        "cutoffs.csv",
        "predictions.csv",
        "patients.csv",
        "manifest.json",
        "figures/roc_EVC1.svg",
        "figures/decision_EVC1.svg",
        "figures/calibration_EVC1.svg",
    ] {
        let len = std::fs::metadata(out.join(f)).map(|m| m.len()).unwrap_or(0);
        assert!(len > 0, "{f} is missing or empty");
    }

    // Outcomes from clinical.csv, probabilities from the per-patient file.
    let clin = clinical_by_id(&evc);
    let patients = read_csv(&out.join("patients.csv"));
    let y: Vec<u8> = patients
        .iter()
        .map(|r| clin[&r["id"]]["ALN_status"].parse().unwrap())
        .collect();
    assert!(y.contains(&0) && y.contains(&1), "EVC1 needs both outcomes");
    let table2 = read_csv(&out.join("table2.csv"));
    let calibration = read_csv(&out.join("calibration.csv"));
    let cut = &st.bundle.cutoffs;
    for (model, col, cutoff) in [
        ("Clinical", "p_clinical", cut.clinical),
        ("Signature", "p_signature", cut.signature),
        ("DLRN", "p_dlrn", cut.dlrn),
    ] {
        let p: Vec<f64> = patients.iter().map(|r| num(r, col)).collect();
        let row = table2
            .iter()
            .find(|r| r["cohort"] == "EVC1" && r["model"] == model)
            .unwrap_or_else(|| panic!("no Table 2 row for {model}: {table2:?}"));
        let a = auc(&y, &p);
        assert!(
            (num(row, "auc") - a).abs() < 1e-12,
            "{model}: AUC {} vs {a}",
            row["auc"]
        );
        let (mut tp, mut fn_, mut fp, mut tn) = (0.0, 0.0, 0.0, 0.0);
        for (&l, &v) in y.iter().zip(&p) {
            match (l == 1, v >= cutoff) {
                (true, true) => tp += 1.0,
                (true, false) => fn_ += 1.0,
                (false, true) => fp += 1.0,
                (false, false) => tn += 1.0,
            }
        }
        let acc = (tp + tn) / (tp + tn + fp + fn_);
        assert!(
            (num(row, "accuracy") - acc).abs() < 1e-12,
            "{model}: accuracy"
        );
        assert!(
            (num(row, "sensitivity") - tp / (tp + fn_)).abs() < 1e-12,
            "{model}: SENS"
        );
        assert!(
            (num(row, "specificity") - tn / (tn + fp)).abs() < 1e-12,
            "{model}: SPE"
        );
        if model == "DLRN" {
            assert_eq!(row["delong_p"], "");
        } else {
            let dp = num(row, "delong_p");
            assert!((0.0..=1.0).contains(&dp), "{model}: DeLong P {dp}");
        }
        let c = calibration
            .iter()
            .find(|r| r["model"] == model)
            .unwrap_or_else(|| panic!("no calibration row for {model}"));
        let brier = p
            .iter()
            .zip(&y)
            .map(|(v, &l)| (v - f64::from(l)).powi(2))
            .sum::<f64>()
            / p.len() as f64;
        assert!((num(c, "brier") - brier).abs() < 1e-12, "{model}: Brier");
        assert_eq!(num(c, "n"), y.len() as f64);
    }
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        index.contains("Table 2") && index.contains("Calibration"),
        "index.html"
    );

    // A cohort without outcomes cannot be assessed: exit 2, nothing extracted.
    let unlabelled = st.tmp.path().join("unlabelled");
    copy_dir(&evc, &unlabelled);
    let path = unlabelled.join("clinical.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let j = header.iter().position(|h| *h == "ALN_status").unwrap();
    let cut_text: String = text
        .lines()
        .map(|l| {
            let mut cells: Vec<&str> = l.split(',').collect();
            cells.remove(j);
            cells.join(",") + "\n"
        })
        .collect();
    std::fs::write(&path, cut_text).unwrap();
    let bad = st.tmp.path().join("bad");
    let o = dlrn(&[
        "assess",
        "--model",
        s(&model),
        "--cohort",
        s(&unlabelled),
        "--out",
        s(&bad),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("no ALN_status column"), "{err}");
    assert!(!bad.join("work").exists());
}
