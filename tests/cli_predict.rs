//! `dlrn predict` end to end on a tiny simulated study (tests/predict_fixture):
//! the bundle reproduces the in-memory DLRN's fitted probabilities to 1e-12
//! and a hand computation from its JSON files; a copy of the bundle works
//! with the study folder deleted; one patient on the command line gives the
//! cohort's number; and each bad input is a clear error (exit 2) or a
//! per-patient warning.

mod predict_fixture;

use std::path::Path;

use predict_fixture::{
    birads_code, clinical_by_id, copy_dir, dlrn, dlrn_ok, features_by_id, hand_p_dlrn, num,
    read_csv, s, study, us_aln_code,
};

const TOL: f64 = 1e-12;

/// Runs a command that must fail cleanly: exit status 2 (not a panic's 101), stderr returned.
fn fails(args: &[&str]) -> String {
    let out = dlrn(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(2),
        "dlrn {}:\n{stderr}",
        args.join(" ")
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn predict_round_trip_self_contained_single_patient_and_bad_inputs() {
    let st = study();
    let model = st.study.join("model");
    let tc = st.sim.join("TC");

    // 1. The training cohort, features resumed from the study's work folder.
    let out = st.study.join("pred_tc.csv");
    let log = dlrn_ok(&[
        "predict",
        "--model",
        s(&model),
        "--cohort",
        s(&tc),
        "--out",
        s(&out),
        "--work",
        s(&st.study.join("work")),
    ]);
    let rows = read_csv(&out);
    let feats = features_by_id(&[
        &st.study.join("work/handcrafted.parquet"),
        &st.study.join("work/deep.parquet"),
    ]);
    let clin = clinical_by_id(&tc);
    for (id, fitted) in st.train_ids.iter().zip(&st.fitted) {
        let r = rows
            .iter()
            .find(|r| &r["id"] == id)
            .expect("a row per patient");
        let p = num(r, "p_dlrn");
        assert!(
            (p - fitted).abs() < TOL,
            "{id}: predict {p} vs the fit's {fitted}"
        );
        assert_eq!(r["warnings"], "", "{id} is a training patient");
    }
    for r in &rows {
        let c = &clin[&r["id"]];
        let hand = hand_p_dlrn(
            &model,
            &feats[&r["id"]],
            c["age"].parse().unwrap(),
            birads_code(&c["birads"]),
            us_aln_code(&c["us_aln"]),
        );
        let p = num(r, "p_dlrn");
        assert!((p - hand).abs() < TOL, "{}: {p} vs by hand {hand}", r["id"]);
        assert_eq!(
            num(r, "dlrn_class"),
            f64::from(u8::from(p >= st.bundle.cutoffs.dlrn))
        );
        let parts: f64 = ["signature", "age", "birads", "us_aln"]
            .iter()
            .map(|f| num(r, &format!("points_{f}")))
            .sum();
        assert!((parts - num(r, "total_points")).abs() < 1e-9);
        if c["birads"] == "5" {
            assert!(r["warnings"].contains("not seen in training"), "{r:?}");
            assert!(log.contains(&format!("patient {:?}", r["id"])), "{log}");
        }
    }

    // 2. Self-contained: the bundle copied elsewhere, the study folder deleted.
    let elsewhere = st.tmp.path().join("elsewhere/model");
    copy_dir(&model, &elsewhere);
    std::fs::remove_dir_all(&st.study).unwrap();
    let evc = st.sim.join("EVC1");
    let out = st.tmp.path().join("evc1/pred.csv");
    let work = st.tmp.path().join("evc1/work");
    dlrn_ok(&[
        "predict",
        "--model",
        s(&elsewhere),
        "--cohort",
        s(&evc),
        "--out",
        s(&out),
        "--work",
        s(&work),
    ]);
    let rows = read_csv(&out);
    let clin = clinical_by_id(&evc);
    assert_eq!(rows.len(), clin.len());
    let feats = features_by_id(&[
        &work.join("handcrafted.parquet"),
        &work.join("deep.parquet"),
    ]);
    for r in &rows {
        let c = &clin[&r["id"]];
        let hand = hand_p_dlrn(
            &elsewhere,
            &feats[&r["id"]],
            c["age"].parse().unwrap(),
            birads_code(&c["birads"]),
            us_aln_code(&c["us_aln"]),
        );
        assert!((num(r, "p_dlrn") - hand).abs() < TOL, "{}", r["id"]);
    }

    // 3. One patient on the command line: the cohort's numbers.
    let first = &rows[0];
    let id = &first["id"];
    let c = &clin[id];
    let find = |dir: &str| -> std::path::PathBuf {
        std::fs::read_dir(evc.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.file_stem().unwrap().to_str() == Some(id.as_str()))
            .unwrap()
    };
    let one = st.tmp.path().join("one.csv");
    let clinical = format!(
        "age={},birads={},us_aln={}",
        c["age"], c["birads"], c["us_aln"]
    );
    dlrn_ok(&[
        "predict",
        "--model",
        s(&elsewhere),
        "--image",
        s(&find("images")),
        "--mask",
        s(&find("masks")),
        "--clinical",
        &clinical,
        "--out",
        s(&one),
    ]);
    let single = read_csv(&one);
    assert_eq!(single.len(), 1);
    assert_eq!(&single[0]["id"], id);
    for col in [
        "signature_score",
        "p_clinical",
        "p_signature",
        "p_dlrn",
        "total_points",
    ] {
        assert!(
            (num(&single[0], col) - num(first, col)).abs() < TOL,
            "{col}"
        );
    }

    // 4. Bad inputs.
    let args = |model: &Path, cohort: &Path, out: &Path| -> Vec<String> {
        [
            "predict",
            "--model",
            s(model),
            "--cohort",
            s(cohort),
            "--out",
            s(out),
            "--work",
            s(&work),
        ]
        .iter()
        .map(|a| a.to_string())
        .collect()
    };
    let run = |a: &[String]| fails(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let bad_out = st.tmp.path().join("bad.csv");

    // A tampered coefficient.
    let tampered = st.tmp.path().join("tampered");
    copy_dir(&elsewhere, &tampered);
    let path = tampered.join("dlrn.json");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replacen("\"intercept\": ", "\"intercept\": 1", 1),
    )
    .unwrap();
    let err = run(&args(&tampered, &evc, &bad_out));
    assert!(
        err.contains("dlrn.json") && err.contains("altered"),
        "{err}"
    );

    // Another format version.
    let other = st.tmp.path().join("other");
    copy_dir(&elsewhere, &other);
    let path = other.join("manifest.json");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace("\"format_version\": 1", "\"format_version\": 2"),
    )
    .unwrap();
    let err = run(&args(&other, &evc, &bad_out));
    assert!(err.contains("format version 2"), "{err}");

    // A cohort without a clinical column the model needs.
    let no_age = st.tmp.path().join("no_age");
    copy_dir(&evc, &no_age);
    let path = no_age.join("clinical.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let j = header.iter().position(|h| *h == "age").unwrap();
    let cut: String = text
        .lines()
        .map(|l| {
            let mut cells: Vec<&str> = l.split(',').collect();
            cells.remove(j);
            cells.join(",") + "\n"
        })
        .collect();
    std::fs::write(&path, cut).unwrap();
    let err = run(&args(&elsewhere, &no_age, &bad_out));
    assert!(err.contains("missing column(s) age"), "{err}");
    assert!(
        !bad_out.exists(),
        "nothing written for a cohort that cannot be scored"
    );

    // An unseen category: a warning, not an error.
    let unseen = st.tmp.path().join("unseen");
    copy_dir(&evc, &unseen);
    let path = unseen.join("clinical.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let j = header.iter().position(|h| *h == "birads").unwrap();
    let edited: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let mut cells: Vec<&str> = l.split(',').collect();
            if i == 1 {
                cells[j] = "5";
            }
            cells.join(",") + "\n"
        })
        .collect();
    std::fs::write(&path, edited).unwrap();
    let warn_out = st.tmp.path().join("unseen.csv");
    let log = dlrn_ok(
        &args(&elsewhere, &unseen, &warn_out)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert!(log.contains("birads = \"5\" not seen in training"), "{log}");
    let rows = read_csv(&warn_out);
    assert!(
        rows.iter()
            .any(|r| r["warnings"].contains("birads = \"\"5\"\" not seen")),
        "{rows:?}"
    );

    // A category outside the coding: that patient is not scored (exit 2), the others are written.
    let unknown = st.tmp.path().join("unknown");
    copy_dir(&unseen, &unknown);
    let path = unknown.join("clinical.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let edited: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let mut cells: Vec<&str> = l.split(',').collect();
            if i == 1 {
                cells[j] = "6";
            }
            cells.join(",") + "\n"
        })
        .collect();
    std::fs::write(&path, edited).unwrap();
    let partial_out = st.tmp.path().join("unknown.csv");
    let err = run(&args(&elsewhere, &unknown, &partial_out));
    assert!(
        err.contains("1 patient(s) could not be scored") && err.contains("\"6\""),
        "{err}"
    );
    let rows = read_csv(&partial_out);
    assert_eq!(rows.len(), clin.len(), "every patient has a row");
    let bad_rows: Vec<_> = rows.iter().filter(|r| r["p_dlrn"].is_empty()).collect();
    assert_eq!(bad_rows.len(), 1);
    assert!(
        bad_rows[0]["warnings"].contains("not scored"),
        "{:?}",
        bad_rows[0]
    );

    // A patient without a mask: an error naming it; earlier features are kept.
    let no_mask = st.tmp.path().join("no_mask");
    copy_dir(&evc, &no_mask);
    let mask = std::fs::read_dir(no_mask.join("masks"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::remove_file(&mask).unwrap();
    let err = run(&args(&elsewhere, &no_mask, &bad_out));
    let stem = mask.file_stem().unwrap().to_str().unwrap();
    assert!(
        err.contains(&format!("image {stem:?} has no mask")),
        "{err}"
    );
    assert!(work.join("handcrafted.parquet").is_file() && work.join("deep.parquet").is_file());
}
