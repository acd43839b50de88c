//! A tiny study for `dlrn predict` and `dlrn assess`: a simulated cohort set
//! at a tenth of the paper's sizes (weaker signal, as xtask's tiny study),
//! features extracted by `dlrn extract`, and the study's models fitted in
//! the test on the training cohort (TC patients without BI-RADS 5, so that
//! level is a category the model never saw): the LASSO signature over the
//! handcrafted and deep features, the clinical model (age, BI-RADS, US-ALN)
//! and the DLRN (signature + the same), Youden cut-offs, the nomogram, the
//! training ranges. The bundle is written with dlrn-study's `Bundle`.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use dlrn_cohort::Table;
use dlrn_nomogram::{Level, Nomogram, NomogramOptions, Predictor, PredictorKind};
use dlrn_study::bundle::{
    Bundle, ClinicalPart, ClinicalVariable, Cnn, CnnWeights, Coding, Cutoffs, InputRange,
    KeptFeatures, LogisticModel, LogisticModelFromFit, Preprocessing, Provenance, Signature,
    SignatureFromLasso,
};

/// The seed of the CNN's random initialisation.
pub const CNN_SEED: u64 = 11;

/// Runs the binary.
pub fn dlrn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dlrn"))
        .args(args)
        .output()
        .expect("running the dlrn binary")
}

/// Runs the binary and requires success.
pub fn dlrn_ok(args: &[&str]) -> String {
    let out = dlrn(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "dlrn {} failed:\n{stderr}",
        args.join(" ")
    );
    stderr
}

/// A path as an argument.
pub fn s(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// The tiny study.
pub struct Study {
    /// Keeps the folder alive.
    pub tmp: tempfile::TempDir,
    /// The simulated cohorts (TC, EVC1, …).
    pub sim: PathBuf,
    /// The study folder (work/ with TC's features, model/ with the bundle).
    pub study: PathBuf,
    /// TC ids of the training rows, in table order.
    pub train_ids: Vec<String>,
    /// The in-memory DLRN's fitted probabilities of the training rows.
    pub fitted: Vec<f64>,
    /// The bundle as written.
    pub bundle: Bundle,
}

/// A cell of a CSV row as a number; panics naming the column otherwise.
pub fn num(row: &BTreeMap<String, String>, col: &str) -> f64 {
    row[col]
        .parse()
        .unwrap_or_else(|_| panic!("{col} = {:?} is not a number", row[col]))
}

/// A CSV file as header + rows of cells by column name (no quoted commas expected
/// except in the last column, which is split off whole).
pub fn read_csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .expect("a header")
        .split(',')
        .map(String::from)
        .collect();
    lines
        .map(|l| {
            let cells: Vec<String> = l.splitn(header.len(), ',').map(String::from).collect();
            header.iter().cloned().zip(cells).collect()
        })
        .collect()
}

fn column(t: &Table, name: &str) -> Vec<f64> {
    t.f64_column(name).expect("a numeric column")
}

/// BI-RADS code as the study enters it (4A..5 → 1..4).
pub fn birads_code(v: &str) -> f64 {
    match v {
        "4A" => 1.0,
        "4B" => 2.0,
        "4C" => 3.0,
        "5" => 4.0,
        other => panic!("BI-RADS {other:?}"),
    }
}

/// US-ALN code (suspicious = 1).
pub fn us_aln_code(v: &str) -> f64 {
    f64::from(u8::from(v == "suspicious"))
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Simulates, extracts TC's features, fits the models and writes the bundle.
pub fn study() -> Study {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let root = tmp.path();
    let mut params = dlrn_simulate::SimParams::default();
    // A weaker image signal than the calibrated default, so that this tiny
    // cohort's LASSO keeps features (below about 1.75 on seed 3 it keeps
    // none) without the DLRN's maximum-likelihood fit separating (at 2.0).
    params.outcome.aggressiveness = 1.75;
    params.outcome.clinical_effect_scale = 2.0;
    let params_path = root.join("params.json");
    std::fs::write(&params_path, serde_json::to_string(&params).unwrap()).unwrap();
    let sim = root.join("sim");
    dlrn_ok(&[
        "simulate",
        "--out",
        s(&sim),
        "--seed",
        "3",
        "--scale",
        "0.1",
        "--params",
        s(&params_path),
    ]);
    let study = root.join("study");
    let work = study.join("work");
    std::fs::create_dir_all(&work).unwrap();
    let tc = sim.join("TC");
    let hc = work.join("handcrafted.parquet");
    let deep = work.join("deep.parquet");
    dlrn_ok(&[
        "extract",
        "handcrafted",
        "--cohort",
        s(&tc),
        "--out",
        s(&hc),
        "--strict",
    ]);
    dlrn_ok(&[
        "extract",
        "deep",
        "--cohort",
        s(&tc),
        "--out",
        s(&deep),
        "--seed",
        &CNN_SEED.to_string(),
    ]);

    let hct = Table::read(&hc).unwrap();
    let dt = Table::read(&deep).unwrap();
    let ids = hct.ids().unwrap();
    assert_eq!(ids, dt.ids().unwrap());
    let clinical = Table::read(&tc.join("clinical.csv")).unwrap();
    let cids = clinical.ids().unwrap();
    let cell = |name: &str| -> BTreeMap<String, String> {
        cids.iter()
            .cloned()
            .zip(
                clinical
                    .str_column(name)
                    .unwrap()
                    .into_iter()
                    .map(|c| c.unwrap_or_default()),
            )
            .collect()
    };
    let (age_by, birads_by, usaln_by, label_by) = (
        cell("age"),
        cell("birads"),
        cell("us_aln"),
        cell("ALN_status"),
    );
    // Training rows: TC without BI-RADS 5.
    let rows: Vec<usize> = (0..ids.len())
        .filter(|&i| birads_by[&ids[i]] != "5")
        .collect();
    let train_ids: Vec<String> = rows.iter().map(|&i| ids[i].clone()).collect();
    let y: Vec<u8> = train_ids
        .iter()
        .map(|id| label_by[id].parse::<u8>().unwrap())
        .collect();

    // The signature: LASSO (lambda.1se, 5-fold CV on AUC) over every finite feature.
    let mut names = Vec::new();
    let mut design = Vec::new();
    let mut values: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for (t, cols) in [
        (&hct, hct.feature_names("ALN_status")),
        (&dt, dt.feature_names("ALN_status")),
    ] {
        for n in cols {
            let col = column(t, &n);
            let sub: Vec<f64> = rows.iter().map(|&i| col[i]).collect();
            if sub.iter().all(|v| v.is_finite()) {
                design.extend_from_slice(&sub);
                names.push(n.clone());
            }
            values.insert(n, col);
        }
    }
    let x = dlrn_lasso::Design::column_major(&design, rows.len(), names.len()).unwrap();
    let cv = dlrn_lasso::cross_validate(
        &x,
        &y,
        &dlrn_lasso::Folds::Seeded { k: 5, seed: 1 },
        dlrn_lasso::Measure::Auc,
        &dlrn_lasso::PathOptions::default(),
    )
    .unwrap();
    let lasso =
        dlrn_lasso::SignatureModel::from_cv(&cv, dlrn_lasso::LambdaChoice::OneSe, &names, vec![]);
    assert!(!lasso.features.is_empty(), "the LASSO kept no feature");
    let signature = Signature::from_lasso(&lasso);
    let score_of = |i: usize| -> f64 {
        lasso.intercept
            + lasso
                .features
                .iter()
                .map(|f| f.coefficient * values[&f.feature][i])
                .sum::<f64>()
    };
    let score: Vec<f64> = rows.iter().map(|&i| score_of(i)).collect();
    let age: Vec<f64> = train_ids
        .iter()
        .map(|id| age_by[id].parse().unwrap())
        .collect();
    let birads: Vec<f64> = train_ids
        .iter()
        .map(|id| birads_code(&birads_by[id]))
        .collect();
    let us_aln: Vec<f64> = train_ids
        .iter()
        .map(|id| us_aln_code(&usaln_by[id]))
        .collect();

    let clin_cols = ["age".to_string(), "birads".into(), "us_aln".into()];
    let clin_fit =
        dlrn_stats::logistic_fit(&[&age, &birads, &us_aln], &["age", "birads", "us_aln"], &y)
            .expect("the clinical model");
    let dlrn_cols = [
        "signature".to_string(),
        "age".into(),
        "birads".into(),
        "us_aln".into(),
    ];
    let dlrn_fit = dlrn_stats::logistic_fit(
        &[&score, &age, &birads, &us_aln],
        &["signature", "age", "birads", "us_aln"],
        &y,
    )
    .expect("the DLRN");
    assert_eq!(dlrn_fit.fitted.len(), y.len(), "no row dropped");
    let p_sig: Vec<f64> = score.iter().map(|&v| logistic(v)).collect();
    let youden = |p: &[f64]| dlrn_stats::youden(&y, p).unwrap().threshold;
    let cutoffs = Cutoffs {
        clinical: youden(&clin_fit.fitted),
        signature: youden(&p_sig),
        dlrn: youden(&dlrn_fit.fitted),
    };

    let range = |v: &[f64]| {
        (
            v.iter().copied().fold(f64::INFINITY, f64::min),
            v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        )
    };
    let lp: Vec<f64> = dlrn_fit
        .fitted
        .iter()
        .map(|p| (p / (1.0 - p)).ln())
        .collect();
    let b: Vec<f64> = dlrn_fit.coefficients.iter().map(|c| c.estimate).collect();
    let cont = |name: &str, coef: f64, v: &[f64]| {
        let (low, high) = range(v);
        Predictor {
            name: name.into(),
            label: name.into(),
            coefficient: coef,
            kind: PredictorKind::Continuous {
                low,
                high,
                at: None,
                unit: None,
            },
        }
    };
    let levels = |name: &str, coef: f64, l: &[(&str, f64)]| Predictor {
        name: name.into(),
        label: name.into(),
        coefficient: coef,
        kind: PredictorKind::Levels {
            levels: l
                .iter()
                .map(|(label, code)| Level {
                    code: *code,
                    label: label.to_string(),
                })
                .collect(),
        },
    };
    let mut nopts = NomogramOptions::new(range(&lp));
    nopts.cutoff = Some(cutoffs.dlrn);
    let nomogram = Nomogram::new(
        dlrn_nomogram::LogisticModel {
            intercept: b[0],
            predictors: vec![
                cont("signature", b[1], &score),
                cont("age", b[2], &age),
                levels(
                    "birads",
                    b[3],
                    &[("4A", 1.0), ("4B", 2.0), ("4C", 3.0), ("5", 4.0)],
                ),
                levels(
                    "us_aln",
                    b[4],
                    &[("non-suspicious", 0.0), ("suspicious", 1.0)],
                ),
            ],
        },
        nopts,
    )
    .unwrap();

    let mut ranges = BTreeMap::new();
    for f in &lasso.features {
        let v: Vec<f64> = rows.iter().map(|&i| values[&f.feature][i]).collect();
        ranges.insert(f.feature.clone(), InputRange::numeric(&v).unwrap());
    }
    ranges.insert("signature".into(), InputRange::numeric(&score).unwrap());
    ranges.insert("age".into(), InputRange::numeric(&age).unwrap());
    let seen = |by: &BTreeMap<String, String>| {
        InputRange::levels(
            &train_ids
                .iter()
                .map(|id| Some(by[id].as_str()))
                .collect::<Vec<_>>(),
        )
    };
    ranges.insert("birads".into(), seen(&birads_by));
    ranges.insert("us_aln".into(), seen(&usaln_by));

    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let bundle = Bundle {
        provenance: Provenance {
            dlrn_version: env!("CARGO_PKG_VERSION").into(),
            config_sha256: "0".repeat(64),
            training_cohort: "TC".into(),
            training_cohort_sha256: "1".repeat(64),
            date: "2026-11-30".into(),
        },
        cnn: Cnn {
            architecture: "resnet50".into(),
            backend: "flex".into(),
            weights: CnnWeights::Random { seed: CNN_SEED },
            preprocessing: Preprocessing {
                resize: 256,
                crop: 224,
                description:
                    "lesion bounding box, resize 256, centre crop 224, ImageNet normalisation"
                        .into(),
            },
        },
        cnn_weights_path: None,
        features: KeptFeatures {
            icc_form: "ICC3".into(),
            icc_threshold: 0.0,
            kept: names.clone(),
        },
        signature,
        clinical: ClinicalPart {
            variables: vec![
                ClinicalVariable {
                    name: "age".into(),
                    label: "Age".into(),
                    coding: Coding::Numeric,
                    level_labels: Default::default(),
                },
                ClinicalVariable {
                    name: "birads".into(),
                    label: "BI-RADS".into(),
                    coding: Coding::Coded {
                        levels: strings(&["4A", "4B", "4C", "5"]),
                        codes: vec![1.0, 2.0, 3.0, 4.0],
                    },
                    level_labels: Default::default(),
                },
                ClinicalVariable {
                    name: "us_aln".into(),
                    label: "US-ALN".into(),
                    coding: Coding::Coded {
                        levels: strings(&["non-suspicious", "suspicious"]),
                        codes: vec![0.0, 1.0],
                    },
                    level_labels: Default::default(),
                },
            ],
            model: LogisticModel::from_fit(&clin_fit, &clin_cols),
        },
        dlrn: LogisticModel::from_fit(&dlrn_fit, &dlrn_cols),
        cutoffs,
        nomogram,
        ranges,
        missing: None,
        harmonize: None,
        validation: None,
        update: None,
    };
    bundle
        .write(&study.join("model"))
        .expect("writing the bundle");
    Study {
        tmp,
        sim,
        study,
        train_ids,
        fitted: dlrn_fit.fitted.clone(),
        bundle,
    }
}

/// The DLRN probability of a patient recomputed by hand from the bundle's
/// JSON files (signature.json, dlrn.json) and the patient's values.
pub fn hand_p_dlrn(
    model: &Path,
    features: &BTreeMap<String, f64>,
    age: f64,
    birads: f64,
    us_aln: f64,
) -> f64 {
    let read = |f: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(model.join(f)).unwrap()).unwrap()
    };
    let sig = read("signature.json");
    let dl = read("dlrn.json");
    let num = |v: &serde_json::Value| v.as_f64().unwrap();
    let mut score = num(&sig["intercept"]);
    for t in sig["coefficients"].as_array().unwrap() {
        score += num(&t["coefficient"]) * features[t["feature"].as_str().unwrap()];
    }
    let cols: Vec<&str> = dl["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(cols, ["signature", "age", "birads", "us_aln"]);
    let x = [score, age, birads, us_aln];
    let b = dl["coefficients"].as_array().unwrap();
    let lp = num(&dl["intercept"]) + (0..4).map(|j| num(&b[j]) * x[j]).sum::<f64>();
    logistic(lp)
}

/// Every feature of a cohort's patients, by id, from feature tables.
pub fn features_by_id(tables: &[&Path]) -> BTreeMap<String, BTreeMap<String, f64>> {
    let mut out: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for p in tables {
        let t = Table::read(p).unwrap();
        let ids = t.ids().unwrap();
        for n in t.feature_names("ALN_status") {
            for (id, v) in ids.iter().zip(column(&t, &n)) {
                out.entry(id.clone()).or_default().insert(n.clone(), v);
            }
        }
    }
    out
}

/// Clinical cells of a cohort by id then column.
pub fn clinical_by_id(cohort: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let t = Table::read(&cohort.join("clinical.csv")).unwrap();
    let ids = t.ids().unwrap();
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for c in t.column_names() {
        for (id, v) in ids.iter().zip(t.str_column(&c).unwrap()) {
            out.entry(id.clone())
                .or_default()
                .insert(c.clone(), v.unwrap_or_default());
        }
    }
    out
}

/// Copies a folder recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}
