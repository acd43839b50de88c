//! The supplement written as the study driver writes it: Table 1 with tests,
//! the radiologists' tables for the cohort with a readers.csv, the kappa
//! table and the checklist page; every file named, the same bytes twice.

use std::path::{Path, PathBuf};

use dlrn_report::{Item, Outputs, RqsFacts, Validation};
use dlrn_study::ClinicalSchema;
use dlrn_study::supplement::{SupplementCohort, SupplementInputs, write_supplement};

fn facts() -> RqsFacts {
    RqsFacts {
        protocol_documented: true,
        protocol_public: true,
        multiple_segmentations: true,
        phantom_study: false,
        multiple_time_points: false,
        feature_reduction: true,
        non_radiomic_features: true,
        biological_correlates: false,
        cut_off: true,
        discrimination: true,
        discrimination_resampling: true,
        calibration: true,
        calibration_resampling: false,
        prospective_registered: false,
        validation: Validation::External { institutes: 2 },
        // Set by write_supplement from whether any cohort has a readers.csv.
        gold_standard: false,
        decision_curve: true,
        cost_effectiveness: false,
        open_scans: false,
        open_segmentations: false,
        open_code: true,
        open_features: false,
    }
}

fn run(out: &Path, cohort_dirs: &[PathBuf]) -> Vec<(String, Vec<u8>)> {
    run_with(out, cohort_dirs, None, None).0
}

/// [`run`] with Supplementary Table 6 and the per-cohort clinical table,
/// returning the section titles too.
fn run_with(
    out: &Path,
    cohort_dirs: &[PathBuf],
    reproducibility: Option<&dlrn_report::Reproducibility>,
    clinical_by_cohort: Option<&dlrn_report::ClinicalByCohort>,
) -> (Vec<(String, Vec<u8>)>, Vec<String>) {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let schema = ClinicalSchema::paper();
    let all = schema.read(&fixtures.join("clinical_glm.csv")).unwrap();
    let parts: Vec<_> = [(0, 150), (150, 230), (230, 300)]
        .map(|(a, b)| all.select(&(a..b).collect::<Vec<_>>()))
        .to_vec();
    let labels: Vec<Vec<u8>> = parts
        .iter()
        .map(|p| {
            p.outcome
                .as_ref()
                .unwrap()
                .iter()
                .map(|v| v.unwrap())
                .collect()
        })
        .collect();
    // A model that is right for 4 patients in 5.
    let dlrn: Vec<Vec<f64>> = labels
        .iter()
        .map(|y| {
            y.iter()
                .enumerate()
                .map(|(i, &l)| {
                    let right = i % 5 != 0;
                    if (l == 1) == right {
                        0.6 + (i % 7) as f64 / 20.0
                    } else {
                        0.1 + (i % 3) as f64 / 10.0
                    }
                })
                .collect()
        })
        .collect();
    let names = ["TC", "EVC1", "EVC2"];
    let cohorts: Vec<SupplementCohort<'_>> = (0..3)
        .map(|i| SupplementCohort {
            name: names[i],
            dir: &cohort_dirs[i],
            ids: &parts[i].ids,
            labels: &labels[i],
            clinical: &parts[i],
            dlrn: &dlrn[i],
        })
        .collect();
    // EVC1 is read by three radiologists (R1 twice for its first 20 patients).
    let mut csv = String::from("id,reader,read,aln_call,birads,us_aln\n");
    for (i, (id, &y)) in parts[1].ids.iter().zip(&labels[1]).enumerate() {
        for (r, miss) in [("R1", 3), ("R2", 4), ("R3", 5)] {
            let call = if i % miss == 0 { 1 - y } else { y };
            let b = ["4A", "4B", "4C", "5"][(i + usize::from(y) * 2) % 4];
            let us = if (i + miss) % 3 == 0 {
                "suspicious"
            } else {
                "non-suspicious"
            };
            csv.push_str(&format!("{id},{r},1,{call},{b},{us}\n"));
            if r == "R1" && i < 20 {
                csv.push_str(&format!("{id},{r},2,{call},{b},{us}\n"));
            }
        }
    }
    std::fs::create_dir_all(&cohort_dirs[1]).unwrap();
    std::fs::write(cohort_dirs[1].join("readers.csv"), csv).unwrap();
    let vars: Vec<String> = schema.variables.iter().map(|v| v.name.clone()).collect();
    let s = write_supplement(
        out,
        &SupplementInputs {
            title: "Checklist".into(),
            simulated: Some("Simulated.".into()),
            schema: &schema,
            cohorts,
            variables: &vars,
            dlrn_cutoff: Some(0.5),
            level: 0.95,
            rqs: facts(),
            outputs: Outputs::new(),
            reproducibility,
            clinical_by_cohort,
            missing: None,
        },
    )
    .unwrap();
    let titles: Vec<&str> = s.sections.iter().map(|s| s.title.as_str()).collect();
    let all_titles: Vec<String> = titles.iter().map(|t| t.to_string()).collect();
    let mut files: Vec<(String, Vec<u8>)> = s
        .files
        .iter()
        .map(|f| {
            (
                f.strip_prefix(out).unwrap().to_string_lossy().to_string(),
                std::fs::read(f).unwrap(),
            )
        })
        .collect();
    if reproducibility.is_some() || clinical_by_cohort.is_some() {
        return (files, all_titles);
    }
    assert_eq!(
        titles,
        [
            "Table 1 with tests",
            "Radiologists",
            "Observer agreement",
            "Reporting checklist"
        ]
    );
    // 2 (protocol) + 1 (ICC) + 3 (reduction) + 1 (clinical) + 1 (cut-off) + 2 (AUC, CV)
    // + 1 (calibration) + 4 (two centres) + 2 (radiologists) + 2 (DCA) + 1 (code) = 20.
    assert_eq!(s.rqs_total, 20);
    match &s.sections[3].items[0] {
        Item::Link { href, text } => {
            assert_eq!(href, "checklist.html");
            assert!(text.contains("20 / 36"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    files.sort();
    (files, all_titles)
}

#[test]
fn supplement_files_and_sections_are_reproducible() {
    let d = tempfile::tempdir().unwrap();
    let dirs: Vec<PathBuf> = ["TC", "EVC1", "EVC2"]
        .map(|c| d.path().join("cohorts").join(c))
        .to_vec();
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let fa = run(&a, &dirs);
    let fb = run(&b, &dirs);
    let names: Vec<&str> = fa.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "checklist.html",
            "kappa_EVC1.csv",
            "kappa_EVC1.md",
            "rescue.csv",
            "rescue.md",
            "rqs.csv",
            "rqs.md",
            "supp_table4_radiologists.csv",
            "supp_table4_radiologists.md",
            "table1_tests.csv",
            "table1_tests.md",
            "table2_radiologists.csv",
            "table2_radiologists.md",
            "tripod_ai.csv",
            "tripod_ai.md",
        ]
    );
    assert_eq!(fa, fb);
    let t2 = String::from_utf8(fa[11].1.clone()).unwrap();
    assert!(t2.contains("EVC1,Pooled radiologists,"), "{t2}");
    let html = String::from_utf8(fa[0].1.clone()).unwrap();
    assert!(html.contains("href=\"table1_tests.csv\""), "{html}");
    assert!(html.contains("href=\"table2_radiologists.csv\""));
}

#[test]
fn a_bad_readers_csv_names_its_row() {
    let d = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let schema = ClinicalSchema::paper();
    let all = schema.read(&fixtures.join("clinical_glm.csv")).unwrap();
    let tc = all.select(&(0..150).collect::<Vec<_>>());
    let evc = all.select(&(150..300).collect::<Vec<_>>());
    let y = |p: &dlrn_cohort::schema::ClinicalData| -> Vec<u8> {
        p.outcome
            .as_ref()
            .unwrap()
            .iter()
            .map(|v| v.unwrap())
            .collect()
    };
    let (ytc, yevc) = (y(&tc), y(&evc));
    let ptc = vec![0.5; ytc.len()];
    let pevc = vec![0.5; yevc.len()];
    let dir = d.path().join("EVC");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("readers.csv"),
        "id,reader,aln_call,birads,us_aln\nNOPE,A,1,4B,suspicious\n",
    )
    .unwrap();
    let vars = vec!["age".to_string()];
    let e = write_supplement(
        d.path(),
        &SupplementInputs {
            title: "c".into(),
            simulated: None,
            schema: &schema,
            cohorts: vec![
                SupplementCohort {
                    name: "TC",
                    dir: d.path(),
                    ids: &tc.ids,
                    labels: &ytc,
                    clinical: &tc,
                    dlrn: &ptc,
                },
                SupplementCohort {
                    name: "EVC",
                    dir: &dir,
                    ids: &evc.ids,
                    labels: &yevc,
                    clinical: &evc,
                    dlrn: &pevc,
                },
            ],
            variables: &vars,
            dlrn_cutoff: Some(0.5),
            level: 0.95,
            rqs: facts(),
            outputs: Outputs::new(),
            reproducibility: None,
            clinical_by_cohort: None,
            missing: None,
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("readers.csv") && e.contains("\"NOPE\""), "{e}");
}

/// Supplementary Table 6 and the clinical model per cohort get their own
/// sections (with the notes: a table not computed says why) and files, and
/// the checklist links them.
#[test]
fn reproducibility_and_clinical_by_cohort_are_written_and_linked() {
    let d = tempfile::tempdir().unwrap();
    let dirs: Vec<PathBuf> = ["TC", "EVC1", "EVC2"]
        .map(|c| d.path().join("cohorts").join(c))
        .to_vec();
    let out = d.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let t6 = dlrn_report::Reproducibility::not_computed(
        "ICC2",
        0.95,
        &dlrn_study::reproducibility::QUANTITIES,
    );
    let by = dlrn_report::ClinicalByCohort {
        note: "The training model's terms.".into(),
        rows: vec![
            dlrn_report::ClinicalByCohortRow {
                cohort: "EVC1".into(),
                term: "Age".into(),
                n: 40,
                odds_ratio: Some(1.02),
                or_ci_low: Some(0.99),
                or_ci_high: Some(1.05),
                p_value: Some(0.2),
                note: String::new(),
            },
            dlrn_report::ClinicalByCohortRow {
                cohort: "EVC2".into(),
                term: String::new(),
                n: 12,
                odds_ratio: None,
                or_ci_low: None,
                or_ci_high: None,
                p_value: None,
                note: "not fitted: separation".into(),
            },
        ],
    };
    let (files, titles) = run_with(&out, &dirs, Some(&t6), Some(&by));
    for t in ["DLRN reproducibility", "Clinical model in each cohort"] {
        assert!(titles.iter().any(|x| x == t), "{titles:?}");
    }
    let file = |name: &str| {
        let (_, bytes) = files
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("{name} not written"));
        String::from_utf8(bytes.clone()).unwrap()
    };
    assert_eq!(
        file("supp_table6_reproducibility.csv"),
        "quantity,outlines,n,form,icc,ci_low,ci_high,level,note\n\
         Signature score,,0,ICC2,,,,0.95,not computed (no re-outlines)\n\
         DLRN probability,,0,ICC2,,,,0.95,not computed (no re-outlines)\n"
    );
    let by_csv = file("table_clinical_by_cohort.csv");
    assert!(
        by_csv.contains("\nEVC2,,12,,,,,not fitted: separation\n"),
        "{by_csv}"
    );
    let checklist = file("checklist.html");
    assert!(checklist.contains("supp_table6_reproducibility.csv"));
    assert!(checklist.contains("table_clinical_by_cohort.csv"));
}
