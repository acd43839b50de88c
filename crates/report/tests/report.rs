//! dlrn-report: paper-style formatting of published rows, exact CSV layout,
//! byte-identical reruns, an SVG snapshot, and a complete sample report.

use std::path::Path;

use dlrn_report::*;
use serde::Deserialize;

#[derive(Deserialize)]
struct PublishedRow {
    #[serde(flatten)]
    row: Table2Row,
    printed: String,
}

#[derive(Deserialize)]
struct Published {
    rows: Vec<PublishedRow>,
}

fn published() -> Published {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/table2_published.json"
    );
    let text = std::fs::read_to_string(path).expect(
        "fixture tests/fixtures/table2_published.json (tests/oracle/make_table2_published.R)",
    );
    serde_json::from_str(&text).expect("valid fixture")
}

/// The paper's printed Table 2 rows (study.md) from pROC's AUC/DeLong CI on the
/// released tables and binom.test's exact CIs (make_table2_published.R).
#[test]
fn published_signature_rows_print_as_the_paper() {
    let p = published();
    assert_eq!(p.rows.len(), 2);
    for r in &p.rows {
        let cells = table2_cells(&r.row);
        let line = format!("| {} |", cells[..8].join(" | "));
        assert_eq!(line, r.printed);
    }
    let md = Table2::new(p.rows.iter().map(|r| r.row.clone()).collect())
        .display()
        .to_markdown();
    assert!(
        md.contains("| EVC1 | signature | 0.886 (0.815–0.958) | 87 (79–92) |"),
        "{md}"
    );
}

#[test]
fn table2_csv_header_and_precision() {
    let p = published();
    let rows: Vec<Table2Row> = p.rows.iter().map(|r| r.row.clone()).collect();
    let dir = tempfile::tempdir().unwrap();
    let files = write_table(&Table2::new(rows.clone()), dir.path(), "table2").unwrap();
    let text = std::fs::read_to_string(&files.csv).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "cohort,model,auc,auc_ci_low,auc_ci_high,accuracy,accuracy_ci_low,accuracy_ci_high,sensitivity,sensitivity_ci_low,\
sensitivity_ci_high,specificity,specificity_ci_low,specificity_ci_high,ppv,ppv_ci_low,ppv_ci_high,npv,npv_ci_low,npv_ci_high,delong_p"
    );
    let first: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(first.len(), 21);
    assert_eq!(&first[..2], &["EVC1", "signature"]);
    // Full precision: every number reads back to the same double.
    assert_eq!(first[2].parse::<f64>().unwrap(), rows[0].auc);
    assert_eq!(first[6].parse::<f64>().unwrap(), rows[0].accuracy.ci_low);
    assert_eq!(first[20], "", "no DeLong P for the row itself");
}

fn row(cohort: &str, model: &str, auc: f64) -> Table2Row {
    let e = Estimate {
        value: 0.8,
        ci_low: 0.7,
        ci_high: 0.9,
    };
    Table2Row {
        cohort: cohort.into(),
        model: model.into(),
        auc,
        auc_ci_low: auc - 0.05,
        auc_ci_high: auc + 0.05,
        accuracy: e,
        sensitivity: e,
        specificity: e,
        ppv: e,
        npv: e,
        delong_p: if model == "DLRN" { None } else { Some(0.0004) },
    }
}

#[test]
fn table2_rows_sort_by_cohort_then_model() {
    let t = Table2::new(vec![
        row("EVC2", "DLRN", 0.9),
        row("TC", "signature", 0.9),
        row("EVC1", "clinical", 0.7),
        row("TC", "DLRN", 0.9),
        row("EVC10", "clinical", 0.7),
        row("TC", "clinical", 0.7),
    ]);
    let order: Vec<(String, String)> = t
        .rows
        .iter()
        .map(|r| (r.cohort.clone(), r.model.clone()))
        .collect();
    let want = [
        ("TC", "clinical"),
        ("TC", "signature"),
        ("TC", "DLRN"),
        ("EVC1", "clinical"),
        ("EVC2", "DLRN"),
        ("EVC10", "clinical"),
    ];
    assert_eq!(order, want.map(|(a, b)| (a.to_string(), b.to_string())));
    assert!(t.display().to_markdown().contains("| <0.001 |"));
}

#[test]
fn nan_is_an_error_naming_row_and_column() {
    let mut bad = row("EVC1", "DLRN", 0.9);
    bad.accuracy.value = f64::NAN;
    let dir = tempfile::tempdir().unwrap();
    let e = write_table(
        &Table2::new(vec![row("EVC1", "clinical", 0.7), bad]),
        dir.path(),
        "t",
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        "table2: row 2, column `accuracy`: NaN is not a finite number"
    );
    let mut inf = row("EVC1", "DLRN", 0.9);
    inf.sensitivity.value = f64::INFINITY;
    let e = write_table(&Table2::new(vec![inf]), dir.path(), "t")
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "table2: row 1, column `sensitivity`: inf is not a finite number"
    );
}

#[test]
fn undefined_ppv_is_written_as_na() {
    // No patient above the cut-off: PPV = 0/0 is undefined, not an error.
    let mut r = row("EVC1", "DLRN", 0.9);
    r.ppv = Estimate {
        value: f64::NAN,
        ci_low: f64::NAN,
        ci_high: f64::NAN,
    };
    let dir = tempfile::tempdir().unwrap();
    write_table(&Table2::new(vec![r]), dir.path(), "t").unwrap();
    let md = std::fs::read_to_string(dir.path().join("t.md")).unwrap();
    assert!(md.contains("| NA |"), "{md}");
    let csv = std::fs::read_to_string(dir.path().join("t.csv")).unwrap();
    assert!(csv.lines().nth(1).unwrap().contains(",NA,NA,NA,"), "{csv}");
}

/// Table 3 of the paper, printed values in, the same text out.
#[test]
fn table3_prints_as_the_paper() {
    let t = Table3 {
        rows: vec![
            Table3Row {
                factor: "Age (years)".into(),
                coefficient: -0.0184,
                odds_ratio: 0.9818,
                or_ci_low: 0.9663,
                or_ci_high: 0.9972,
                p_value: 0.002,
            },
            Table3Row {
                factor: "BI-RADS".into(),
                coefficient: 0.3811,
                odds_ratio: 1.4638,
                or_ci_low: 1.2499,
                or_ci_high: 1.7194,
                p_value: 0.00001,
            },
        ],
    };
    let md = t.display().to_markdown();
    assert!(
        md.contains("| Age (years) | -0.0184 | 0.9818 (0.9663–0.9972) | 0.002 |"),
        "{md}"
    );
    assert!(
        md.contains("| BI-RADS | 0.3811 | 1.4638 (1.2499–1.7194) | <0.001 |"),
        "{md}"
    );
}

/// Table 1 printed for the paper's age and BI-RADS rows of TC / EVC1 (study.md).
#[test]
fn table1_prints_as_the_paper() {
    let t = Table1 {
        cohorts: vec!["TC".into(), "EVC1".into()],
        rows: vec![
            Table1Row {
                characteristic: "Age (years)".into(),
                level: String::new(),
                cells: vec![
                    Table1Cell::MeanSd {
                        mean: 54.5,
                        sd: 11.51,
                    },
                    Table1Cell::MeanSd {
                        mean: 55.19,
                        sd: 10.65,
                    },
                ],
                p_value: Some(0.62),
                test: "ANOVA".into(),
            },
            Table1Row {
                characteristic: "BI-RADS".into(),
                level: "4A".into(),
                cells: vec![
                    Table1Cell::Count {
                        n: 172,
                        percent: 100.0 * 172.0 / 621.0,
                    },
                    Table1Cell::Count {
                        n: 18,
                        percent: 100.0 * 18.0 / 112.0,
                    },
                ],
                p_value: Some(0.0001),
                test: "chi-squared".into(),
            },
            Table1Row {
                characteristic: "BI-RADS".into(),
                level: "4B".into(),
                cells: vec![
                    Table1Cell::Count {
                        n: 144,
                        percent: 100.0 * 144.0 / 621.0,
                    },
                    Table1Cell::Missing,
                ],
                p_value: Some(0.0001),
                test: "chi-squared".into(),
            },
        ],
    };
    let md = t.display().to_markdown();
    assert!(
        md.contains("| Age (years) | 54.50±11.51 | 55.19±10.65 | 0.620 |"),
        "{md}"
    );
    assert!(
        md.contains("| BI-RADS: 4A | 172 (27.7) | 18 (16.1) | <0.001 |"),
        "{md}"
    );
    assert!(md.contains("|   4B | 144 (23.2) | — |  |"), "{md}");
    let csv: Vec<Vec<String>> = t.csv_records();
    assert_eq!(csv.len(), 6);
    assert_eq!(
        csv[2][..5],
        [
            "BI-RADS",
            "4A",
            "TC",
            "172",
            &format!("{}", 100.0 * 172.0 / 621.0)
        ]
        .map(String::from)
    );
}

// ------------------------------------------------------------- sample report

fn roc_points(auc: f64) -> Vec<(f64, f64)> {
    // Power-law ROC: tpr = fpr^k has AUC 1/(k+1).
    let k = 1.0 / auc - 1.0;
    (0..=50)
        .map(|i| i as f64 / 50.0)
        .map(|f| (f, f.powf(k)))
        .collect()
}

fn sample_figures() -> (
    RocFigure,
    DecisionCurveFigure,
    CalibrationFigure,
    BoxFigure,
    ConfusionFigure,
) {
    let models = [("clinical", 0.769), ("signature", 0.886), ("DLRN", 0.914)];
    let roc = RocFigure {
        title: "EVC1".into(),
        curves: models
            .iter()
            .map(|&(m, a)| RocCurve {
                model: m.into(),
                points: roc_points(a),
                auc: a,
                auc_ci_low: a - 0.07,
                auc_ci_high: a + 0.05,
            })
            .collect(),
    };
    let thresholds: Vec<f64> = (1..=90).map(|i| i as f64 / 100.0).collect();
    let prev = 0.402;
    let dca = DecisionCurveFigure {
        title: "EVC1".into(),
        treat_all: thresholds
            .iter()
            .map(|t| prev - (1.0 - prev) * t / (1.0 - t))
            .collect(),
        models: models
            .iter()
            .map(|&(m, a)| {
                (
                    m.to_string(),
                    thresholds
                        .iter()
                        .map(|t| (prev * a - 0.3 * t).max(-0.02) * (1.0 - t))
                        .collect(),
                )
            })
            .collect(),
        thresholds,
    };
    let cal = CalibrationFigure {
        title: "EVC1".into(),
        curves: models[1..]
            .iter()
            .map(|&(m, a)| CalibrationCurve {
                model: m.into(),
                bins: (0..5)
                    .map(|i| {
                        let p = 0.1 + 0.2 * i as f64;
                        let o = p + (a - 0.9) * (p - 0.5);
                        CalibrationBin {
                            predicted: p,
                            observed: o,
                            ci_low: Some((o - 0.12).max(0.0)),
                            ci_high: Some((o + 0.12).min(1.0)),
                        }
                    })
                    .collect(),
                smooth: (0..=20)
                    .map(|i| i as f64 / 20.0)
                    .map(|p| (p, p + (a - 0.9) * (p - 0.5)))
                    .collect(),
            })
            .collect(),
    };
    let group = |label: &str, c: f64, n: usize| ScoreGroup {
        label: label.into(),
        values: (0..n)
            .map(|i| c + ((i * 37 % 101) as f64 / 101.0 - 0.5) * 2.4)
            .collect(),
    };
    let boxes = BoxFigure {
        y_label: "DLR signature".into(),
        panels: ["TC", "EVC1", "EVC2"]
            .iter()
            .map(|c| BoxPanel {
                title: c.to_string(),
                groups: vec![group("ALN−", -0.8, 60), group("ALN+", 0.9, 40)],
                p_value: Some(0.0001),
            })
            .collect(),
        seed: 1,
    };
    let conf = ConfusionFigure {
        panels: vec![
            ConfusionMatrix {
                title: "EVC1 — DLRN".into(),
                tp: 39,
                fn_: 6,
                fp: 8,
                tn: 59,
            },
            ConfusionMatrix {
                title: "EVC2 — DLRN".into(),
                tp: 30,
                fn_: 5,
                fp: 6,
                tn: 46,
            },
        ],
    };
    (roc, dca, cal, boxes, conf)
}

fn sample_nomogram() -> dlrn_nomogram::Nomogram {
    use dlrn_nomogram::{
        Level, LogisticModel, Nomogram, NomogramOptions, Predictor, PredictorKind,
    };
    let levels = |v: &[(f64, &str)]| PredictorKind::Levels {
        levels: v
            .iter()
            .map(|&(code, l)| Level {
                code,
                label: l.into(),
            })
            .collect(),
    };
    let p = |name: &str, label: &str, coefficient: f64, kind| Predictor {
        name: name.into(),
        label: label.into(),
        coefficient,
        kind,
    };
    let model = LogisticModel {
        intercept: -1.2,
        predictors: vec![
            p(
                "age",
                "Age (years)",
                -0.0184,
                PredictorKind::Continuous {
                    low: 24.0,
                    high: 86.0,
                    at: None,
                    unit: Some("years".into()),
                },
            ),
            p(
                "birads",
                "BI-RADS",
                0.3811,
                levels(&[(1.0, "4A"), (2.0, "4B"), (3.0, "4C"), (4.0, "5")]),
            ),
            p(
                "grade",
                "Nuclear grade",
                0.3896,
                levels(&[(1.0, "I"), (2.0, "II"), (3.0, "III")]),
            ),
            p(
                "us_aln",
                "US-ALN",
                0.7001,
                levels(&[(0.0, "non-suspicious"), (1.0, "suspicious")]),
            ),
            p(
                "signature",
                "DLR signature",
                1.0,
                PredictorKind::Continuous {
                    low: -3.2,
                    high: 3.4,
                    at: None,
                    unit: None,
                },
            ),
        ],
    };
    let mut o = NomogramOptions::new((-4.6, 3.3));
    o.outcome_label = "Probability of ALN metastasis".into();
    o.cutoff = Some(0.407);
    Nomogram::new(model, o).unwrap()
}

fn sample_report() -> StudyReport {
    let p = published();
    let (roc, dca, cal, boxes, conf) = sample_figures();
    let mut roc2 = roc.clone();
    roc2.title = "EVC 2/β".into();
    StudyReport {
        title: "DLRN study report".into(),
        simulated: Some("The cohorts in this report are simulated: no patient data were used, and the numbers say nothing about real patients.".into()),
        provenance: Provenance {
            version: "0.1.0".into(),
            seed: 1,
            config_name: "configs/quick.toml".into(),
            config_text: "[lasso]\nseed = 1\n# <not a tag>\n".into(),
            config_hash: "ab".repeat(32),
            data_hashes: vec![("TC/clinical.csv".into(), "cd".repeat(32))],
            weights: "seeded random initialisation (seed 7)".into(),
            weights_hash: Some("ef".repeat(32)),
        },
        table1: None,
        table2: Table2::new(p.rows.iter().map(|r| r.row.clone()).chain([row("TC", "DLRN", 0.93), row("TC", "clinical", 0.76)]).collect()),
        table3: Some(Table3 {
            rows: vec![Table3Row { factor: "Age (years)".into(), coefficient: -0.0184, odds_ratio: 0.9818, or_ci_low: 0.9663, or_ci_high: 0.9972, p_value: 0.002 }],
        }),
        icc: Some(IccTable {
            threshold: 0.8,
            form: "ICC2".into(),
            rule: "a feature is kept when both its intra-observer and its inter-observer ICC2 exceed 0.8".into(),
            rows: vec![IccKeptRow { family: "LBP".into(), total: 256, intra_above: 252, inter_above: 251, kept: 250 }, IccKeptRow { family: "deep".into(), total: 2048, intra_above: 1900, inter_above: 1880, kept: 1847 }],
        }),
        selected_features: None,
        comparisons: None,
        subtype_aucs: None,
        screen: Some(ScreenTable {
            threshold: 0.05,
            rows: vec![
                ScreenTableRow { variable: "Age".into(), term: String::new(), n: 100, n_dropped: 0, coefficient: Some(-0.02), odds_ratio: Some(0.98), or_ci_low: Some(0.96), or_ci_high: Some(0.99), p_value: Some(0.01), passed: true, note: String::new() },
                ScreenTableRow { variable: "Tumour type".into(), term: String::new(), n: 0, n_dropped: 0, coefficient: None, odds_ratio: None, or_ci_low: None, or_ci_high: None, p_value: None, passed: false, note: "separation".into() },
            ],
        }),
        cutoffs: Some(Cutoffs::new(vec![
            CutoffRow { model: "DLRN".into(), cutoff: 0.407, method: "Youden index on TC".into() },
            CutoffRow { model: "Clinical".into(), cutoff: 0.3, method: "Youden index on TC".into() },
        ])),
        calibration_stats: Some(CalibrationStats::new(vec![CalibrationRow {
            cohort: "TC".into(), model: "DLRN".into(), n: 100, slope: Some(1.0), citl: Some(0.0),
            hl_statistic: Some(8.2), hl_df: Some(8.0), hl_p: Some(0.41), hl_groups: 10, brier: Some(0.12), note: String::new(),
        }])),
        predictions: Some(Predictions::new(vec![
            PredictionRow { id: "TC002".into(), cohort: "TC".into(), label: 1, signature_score: 0.5, clinical: 0.4, signature: 0.62, dlrn: 0.7 },
            PredictionRow { id: "E1".into(), cohort: "EVC1".into(), label: 0, signature_score: -1.0, clinical: 0.2, signature: 0.27, dlrn: 0.1 },
            PredictionRow { id: "TC001".into(), cohort: "TC".into(), label: 0, signature_score: -0.5, clinical: 0.3, signature: 0.38, dlrn: 0.2 },
        ])),
        roc: vec![roc, roc2],
        decision_curves: vec![dca],
        calibration: vec![cal],
        signature_by_class: Some(boxes),
        confusion: Some(conf),
        nomogram: Some(NomogramPart {
            nomogram: sample_nomogram(),
            figure: dlrn_nomogram::FigureOptions::default(),
            calculator: dlrn_nomogram::CalculatorOptions { title: "DLRN calculator".into(), note: Some("Fitted on simulated cohorts.".into()) },
        }),
        external_figures: vec![ExternalFigure { section: "LASSO".into(), caption: "LASSO path".into(), svg: "figures/lasso_path.svg".into(), png: None }],
        validation: Default::default(),
        png_scale: 2,
    }
}

#[test]
fn sample_report_is_complete_and_byte_identical_on_rerun() {
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-sample");
    let (a, b) = (base.join("a"), base.join("b"));
    for d in [&a, &b] {
        let _ = std::fs::remove_dir_all(d);
    }
    let report = sample_report();
    let ma = report.write(&a).unwrap();
    let mb = report.write(&b).unwrap();
    assert_eq!(ma, mb);
    // The names issue 7 asks for.
    for f in [
        "index.html",
        "table2.csv",
        "table3.csv",
        "nomogram.svg",
        "calculator.html",
        "manifest.json",
        "figures/roc_EVC1.svg",
        "figures/roc_EVC_2__.png",
        "predictions.csv",
        "cutoffs.csv",
        "calibration.csv",
        "supp_univariate.csv",
    ] {
        assert!(a.join(f).is_file(), "{f} written");
    }
    let mut all = ma.outputs.clone();
    all.push("manifest.json".into());
    for f in &all {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f} differs between runs"
        );
    }
    assert_eq!(
        std::fs::read_to_string(a.join("predictions.csv")).unwrap(),
        "id,cohort,label,signature_score,p_clinical,p_signature,p_dlrn\n\
         TC001,TC,0,-0.5,0.3,0.38,0.2\nTC002,TC,1,0.5,0.4,0.62,0.7\nE1,EVC1,0,-1,0.2,0.27,0.1\n",
        "sorted by cohort then id, full precision"
    );
    let html = std::fs::read_to_string(a.join("index.html")).unwrap();
    assert!(html.contains("The cohorts in this report are simulated"));
    assert!(
        html.contains(&"ab".repeat(32))
            && html.contains(&"cd".repeat(32))
            && html.contains(&"ef".repeat(32))
    );
    assert!(html.contains("seeded random initialisation (seed 7)"));
    assert!(html.contains("# &lt;not a tag&gt;"), "config text escaped");
    for f in &ma.outputs {
        if f.ends_with(".svg") || f.ends_with(".csv") || f == "calculator.html" {
            assert!(html.contains(&format!("\"{f}\"")), "index.html links {f}");
        }
    }
    assert!(html.contains("\"figures/lasso_path.svg\""));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no external resources"
    );
    let svg = std::fs::read_to_string(a.join("figures/roc_EVC1.svg")).unwrap();
    assert!(
        svg.contains("AUC 0.914 (0.844–0.964)"),
        "legend carries the AUC with its CI"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(a.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["seed"], 1);
    assert_eq!(manifest["simulated"], true);
    assert_eq!(manifest["inputs"]["weights"], "ef".repeat(32));
    let outs: Vec<&str> = manifest["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let mut sorted = outs.clone();
    sorted.sort();
    assert_eq!(outs, sorted);
    assert_eq!(outs.len(), ma.outputs.len());
}

/// SVG snapshot of one small figure (tests/snapshots/confusion_small.svg).
/// To update after an intended change: delete the file, run the test once
/// with DLRN_UPDATE_SNAPSHOTS=1, look at the new SVG, commit it.
#[test]
fn confusion_svg_snapshot() {
    let fig = ConfusionFigure {
        panels: vec![ConfusionMatrix {
            title: "EVC1 — DLRN".into(),
            tp: 39,
            fn_: 6,
            fp: 8,
            tn: 59,
        }],
    };
    let svg = svg_string(&fig).unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/confusion_small.svg");
    if std::env::var_os("DLRN_UPDATE_SNAPSHOTS").is_some() && !path.exists() {
        std::fs::write(&path, &svg).unwrap();
    }
    let want =
        std::fs::read_to_string(&path).expect("snapshot tests/snapshots/confusion_small.svg");
    assert_eq!(svg, want, "SVG differs from the snapshot");
    // The snapshot itself shows the counts and row percentages: 39/45 = 87%, 59/67 = 88%.
    for t in [">\n39\n<", ">\n87%\n<", ">\n59\n<", ">\n88%\n<"] {
        assert!(want.contains(t), "snapshot lacks {t:?}");
    }
}

#[test]
fn supplementary_tables_sort_and_print() {
    let cmp = |cohort: &str, reference: &str| ComparisonRow {
        cohort: cohort.into(),
        model: "DLRN".into(),
        reference: reference.into(),
        idi: 0.1234,
        idi_ci_low: Some(0.05),
        idi_ci_high: Some(0.2),
        idi_p: Some(0.0002),
        nri: 0.45,
        nri_ci_low: None,
        nri_ci_high: None,
        nri_p: None,
        c_index: 0.9143,
        c_index_ci_low: Some(0.858),
        c_index_ci_high: Some(0.971),
    };
    let t = Comparisons::new(vec![
        cmp("EVC1", "signature"),
        cmp("TC", "signature"),
        cmp("EVC1", "clinical"),
    ]);
    let md = t.display().to_markdown();
    let lines: Vec<&str> = md.lines().skip(2).collect();
    assert!(lines[0].starts_with("| TC | DLRN | signature |"), "{md}");
    assert!(lines[1].starts_with("| EVC1 | DLRN | clinical | 0.123 (0.050–0.200) | <0.001 | 0.450 |  | 0.914 (0.858–0.971) |"), "{md}");
    assert_eq!(
        t.csv_records()[0][8..11],
        ["", "", ""].map(String::from),
        "missing CIs stay empty in CSV"
    );

    let sub = |subtype: &str, model: &str, auc: Option<f64>| SubtypeAucRow {
        cohort: "EVC1".into(),
        subtype: subtype.into(),
        model: model.into(),
        n: 14,
        n_positive: if auc.is_some() { 5 } else { 0 },
        auc,
        auc_ci_low: auc.map(|a| a - 0.1),
        auc_ci_high: auc.map(|a| a + 0.05),
    };
    let s = SubtypeAucs::new(vec![
        sub("luminal B", "DLRN", Some(0.9)),
        sub("luminal A", "DLRN", None),
        sub("luminal A", "clinical", Some(0.7)),
    ]);
    let md = s.display().to_markdown();
    let lines: Vec<&str> = md.lines().skip(2).collect();
    assert_eq!(
        lines[0],
        "| EVC1 | luminal A | clinical | 14 (5) | 0.700 (0.600–0.750) |"
    );
    assert_eq!(
        lines[1],
        "| EVC1 | luminal A | DLRN | 14 (0) | — (one class) |"
    );
    assert_eq!(
        lines[2],
        "| EVC1 | luminal B | DLRN | 14 (5) | 0.900 (0.800–0.950) |"
    );

    let feats = SelectedFeatures {
        rows: vec![SelectedFeatureRow {
            feature: "LBP_38".into(),
            family: "LBP".into(),
            coefficient: -261.052888243926,
        }],
    };
    assert_eq!(
        feats.csv_records()[0],
        ["LBP_38", "LBP", "-261.052888243926"].map(String::from)
    );
    assert!(
        feats
            .display()
            .to_markdown()
            .contains("| LBP_38 | LBP | -261.1 |")
    );
    let icc = IccTable {
        threshold: 0.8,
        form: "ICC2".into(),
        rule: "both".into(),
        rows: vec![IccKeptRow {
            family: "deep".into(),
            total: 2048,
            intra_above: 1900,
            inter_above: 1880,
            kept: 1847,
        }],
    };
    assert!(icc.display().to_markdown().starts_with(
        "| Family | Features | Intra-observer ICC2 > 0.80 | Inter-observer ICC2 > 0.80 | Kept (both) |\n| --- | --- | --- | --- | --- |\n| deep | 2048 | 1900 | 1880 | 1847 |\n"
    ));
}

#[test]
fn decision_curve_lengths_must_match() {
    let (_, mut dca, ..) = sample_figures();
    dca.models[1].1.pop();
    let e = svg_string(&dca).unwrap_err().to_string();
    assert_eq!(
        e,
        "decision curves EVC1: row 3, column `signature`: 89 values is not one per threshold (90)"
    );
}
