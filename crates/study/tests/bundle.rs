//! The frozen model bundle: write/load round trip with identical bytes,
//! predictions checked against a hand computation from the stored JSON, and
//! each way a bundle or an input can be wrong (another format version, an
//! altered or missing file, a missing clinical value, an unseen category,
//! a value outside the training range).

use std::collections::BTreeMap;
use std::path::Path;

use dlrn_nomogram::{Level, Nomogram, NomogramOptions, Predictor, PredictorKind};
use dlrn_study::bundle::{
    Bundle, BundleError, BundleFromStudy, ClinicalPart, ClinicalVariable, Cnn, CnnWeights, Coding,
    Cutoffs, InputRange, KeptFeatures, LogisticModel, LogisticModelFromFit, PatientInput,
    Preprocessing, Provenance, Signature, SignatureTerm,
};

/// A reproducible stream in [0, 1) (64-bit LCG, Knuth's MMIX constants).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

const BIRADS: [&str; 4] = ["4A", "4B", "4C", "5"];
const SUBTYPE: [&str; 3] = ["luminal_a", "luminal_b", "triple_negative"];

struct Data {
    feature: Vec<f64>,
    deep: Vec<f64>,
    age: Vec<f64>,
    birads: Vec<usize>,
    subtype: Vec<usize>,
    y: Vec<u8>,
}

/// 80 training patients; BI-RADS 5 never occurs in training.
fn data() -> Data {
    let mut r = Lcg(12345);
    let n = 80;
    let mut d = Data {
        feature: vec![],
        deep: vec![],
        age: vec![],
        birads: vec![],
        subtype: vec![],
        y: vec![],
    };
    for _ in 0..n {
        let f = r.next() * 4.0 - 2.0;
        let g = r.next() * 2.0;
        let age = 30.0 + (r.next() * 40.0).round();
        let b = (r.next() * 3.0) as usize;
        let s = (r.next() * 3.0) as usize;
        let lp = -0.5 + 0.8 * f - 0.4 * g + 0.03 * (age - 50.0) + 0.5 * b as f64 - 0.4 * s as f64;
        let p = 1.0 / (1.0 + (-lp).exp());
        d.y.push(u8::from(r.next() < p));
        d.feature.push(f);
        d.deep.push(g);
        d.age.push(age);
        d.birads.push(b);
        d.subtype.push(s);
    }
    d
}

fn variables() -> Vec<ClinicalVariable> {
    vec![
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
                levels: BIRADS.iter().map(|s| s.to_string()).collect(),
                codes: vec![1.0, 2.0, 3.0, 4.0],
            },
            level_labels: Default::default(),
        },
        ClinicalVariable {
            name: "subtype".into(),
            label: "Molecular subtype".into(),
            coding: Coding::Nominal {
                levels: SUBTYPE.iter().map(|s| s.to_string()).collect(),
                reference: "luminal_a".into(),
            },
            level_labels: Default::default(),
        },
    ]
}

fn fit(cols: &[(&str, Vec<f64>)], y: &[u8]) -> LogisticModel {
    let slices: Vec<&[f64]> = cols.iter().map(|(_, v)| v.as_slice()).collect();
    let names: Vec<&str> = cols.iter().map(|(n, _)| *n).collect();
    let f = dlrn_stats::logistic_fit(&slices, &names, y).expect("a fit on the simulated data");
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    LogisticModel::from_fit(&f, &names)
}

fn bundle() -> (Bundle, Data) {
    let d = data();
    let signature = Signature {
        lambda: 0.0123,
        lambda_choice: "min".into(),
        intercept: -0.25,
        coefficients: vec![
            SignatureTerm {
                feature: "sNRV".into(),
                coefficient: 0.75,
            },
            SignatureTerm {
                feature: "f_7".into(),
                coefficient: -0.3,
            },
        ],
    };
    let score: Vec<f64> = d
        .feature
        .iter()
        .zip(&d.deep)
        .map(|(f, g)| -0.25 + 0.75 * f - 0.3 * g)
        .collect();
    let age = d.age.clone();
    let birads: Vec<f64> = d.birads.iter().map(|&b| b as f64 + 1.0).collect();
    let dummy = |k: usize| -> Vec<f64> {
        d.subtype
            .iter()
            .map(|&s| f64::from(u8::from(s == k)))
            .collect()
    };
    let clinical = fit(&[("age", age.clone()), ("birads", birads.clone())], &d.y);
    let dlrn = fit(
        &[
            ("signature", score.clone()),
            ("age", age.clone()),
            ("birads", birads.clone()),
            ("subtype=luminal_b", dummy(1)),
            ("subtype=triple_negative", dummy(2)),
        ],
        &d.y,
    );
    let b = &dlrn.coefficients;
    let range = |v: &[f64]| {
        (
            v.iter().copied().fold(f64::INFINITY, f64::min),
            v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        )
    };
    let (slo, shi) = range(&score);
    let (alo, ahi) = range(&age);
    let lp: Vec<f64> = (0..age.len())
        .map(|i| {
            dlrn.intercept
                + b[0] * score[i]
                + b[1] * age[i]
                + b[2] * birads[i]
                + b[3] * dummy(1)[i]
                + b[4] * dummy(2)[i]
        })
        .collect();
    let cont = |name: &str, coef: f64, low: f64, high: f64| Predictor {
        name: name.into(),
        label: name.into(),
        coefficient: coef,
        kind: PredictorKind::Continuous {
            low,
            high,
            at: None,
            unit: None,
        },
    };
    let level = |code: f64, label: &str| Level {
        code,
        label: label.into(),
    };
    let nomogram = Nomogram::new(
        dlrn_nomogram::LogisticModel {
            intercept: dlrn.intercept,
            predictors: vec![
                cont("signature", b[0], slo, shi),
                cont("age", b[1], alo, ahi),
                Predictor {
                    name: "birads".into(),
                    label: "BI-RADS".into(),
                    coefficient: b[2],
                    kind: PredictorKind::Levels {
                        levels: (0..4).map(|k| level(k as f64 + 1.0, BIRADS[k])).collect(),
                    },
                },
                Predictor {
                    name: "subtype".into(),
                    label: "Molecular subtype".into(),
                    coefficient: 1.0,
                    kind: PredictorKind::Levels {
                        levels: vec![
                            level(0.0, "luminal A"),
                            level(b[3], "luminal B"),
                            level(b[4], "triple negative"),
                        ],
                    },
                },
            ],
        },
        NomogramOptions::new(range(&lp)),
    )
    .expect("a nomogram");
    let mut ranges = BTreeMap::new();
    ranges.insert("sNRV".to_string(), InputRange::numeric(&d.feature).unwrap());
    ranges.insert("f_7".to_string(), InputRange::numeric(&d.deep).unwrap());
    ranges.insert(
        "signature".to_string(),
        InputRange::numeric(&score).unwrap(),
    );
    ranges.insert("age".to_string(), InputRange::numeric(&age).unwrap());
    let seen = |levels: &[&str], idx: &[usize]| {
        InputRange::levels(&idx.iter().map(|&i| Some(levels[i])).collect::<Vec<_>>())
    };
    ranges.insert("birads".to_string(), seen(&BIRADS, &d.birads));
    ranges.insert("subtype".to_string(), seen(&SUBTYPE, &d.subtype));
    let bundle = Bundle {
        provenance: Provenance {
            dlrn_version: "0.1.0".into(),
            config_sha256: "ab".repeat(32),
            training_cohort: "TC".into(),
            training_cohort_sha256: "cd".repeat(32),
            date: "2026-11-30".into(),
        },
        cnn: Cnn {
            architecture: "resnet50".into(),
            backend: "flex".into(),
            weights: CnnWeights::Random { seed: 7 },
            preprocessing: Preprocessing {
                resize: 256,
                crop: 224,
                description: "mask bounding box, resize, centre crop, ImageNet normalisation"
                    .into(),
            },
        },
        cnn_weights_path: None,
        features: KeptFeatures {
            icc_form: "ICC3".into(),
            icc_threshold: 0.75,
            kept: vec!["sNRV".into(), "f_7".into(), "f_9".into()],
        },
        signature,
        clinical: ClinicalPart {
            variables: variables(),
            model: clinical,
        },
        dlrn,
        cutoffs: Cutoffs {
            clinical: 0.41,
            signature: 0.38,
            dlrn: 0.45,
        },
        nomogram,
        ranges,
        missing: None,
        harmonize: None,
        validation: None,
        update: None,
    };
    (bundle, d)
}

fn patient(id: &str, snrv: f64, f7: f64, age: &str, birads: &str, subtype: &str) -> PatientInput {
    PatientInput {
        id: id.into(),
        features: [("sNRV".to_string(), snrv), ("f_7".to_string(), f7)].into(),
        clinical: [
            ("age".to_string(), age.to_string()),
            ("birads".to_string(), birads.to_string()),
            ("subtype".to_string(), subtype.to_string()),
        ]
        .into(),
    }
}

fn json(dir: &Path, file: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap()
}

fn num(v: &serde_json::Value) -> f64 {
    v.as_f64().expect("a number")
}

#[test]
fn round_trip_is_exact_and_predictions_match_a_hand_computation() {
    let (bundle, _) = bundle();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("model");
    let manifest = bundle.write(&dir).unwrap();
    assert_eq!(manifest.format_version, dlrn_study::bundle::FORMAT_VERSION);
    assert_eq!(manifest.files.len(), 8, "{:?}", manifest.files.keys());
    let loaded = Bundle::load(&dir).unwrap();
    assert_eq!(loaded, bundle, "every number reads back bit for bit");

    // Same bundle, same bytes.
    let again = tmp.path().join("again");
    bundle.write(&again).unwrap();
    for name in manifest
        .files
        .keys()
        .chain(std::iter::once(&"manifest.json".to_string()))
    {
        assert_eq!(
            std::fs::read(dir.join(name)).unwrap(),
            std::fs::read(again.join(name)).unwrap(),
            "{name} differs between two writes"
        );
    }

    // The oracle: the probabilities recomputed from the JSON files alone.
    let sig = json(&dir, "signature.json");
    let dl = json(&dir, "dlrn.json");
    let cl = json(&dir, "clinical.json");
    let cut = num(&json(&dir, "cutoffs.json")["dlrn"]);
    let (snrv, f7, age) = (1.3, 0.4, 61.0);
    let terms = sig["coefficients"].as_array().unwrap();
    let score = num(&sig["intercept"])
        + num(&terms[0]["coefficient"]) * snrv
        + num(&terms[1]["coefficient"]) * f7;
    // BI-RADS 4C = code 3; subtype luminal_b = its dummy.
    let x = [score, age, 3.0, 1.0, 0.0];
    let b = dl["coefficients"].as_array().unwrap();
    let lp = num(&dl["intercept"]) + (0..5).map(|j| num(&b[j]) * x[j]).sum::<f64>();
    let p_dlrn = 1.0 / (1.0 + (-lp).exp());
    let bc = cl["model"]["coefficients"].as_array().unwrap();
    let lpc = num(&cl["model"]["intercept"]) + num(&bc[0]) * age + num(&bc[1]) * 3.0;
    let p_clin = 1.0 / (1.0 + (-lpc).exp());

    let pred = loaded
        .predict(&patient("P1", snrv, f7, "61", "4C", "luminal_b"))
        .unwrap();
    assert!((pred.signature_score - score).abs() < 1e-12);
    assert!(
        (pred.p_dlrn - p_dlrn).abs() < 1e-12,
        "{} vs {p_dlrn}",
        pred.p_dlrn
    );
    assert!((pred.p_clinical - p_clin).abs() < 1e-12);
    assert!((pred.p_signature - 1.0 / (1.0 + (-score).exp())).abs() < 1e-12);
    assert_eq!(pred.dlrn_class, u8::from(p_dlrn >= cut));
    assert!(pred.warnings.is_empty(), "{:?}", pred.warnings);
    // Nomogram: the points add up, and their total maps back to the DLRN's
    // linear predictor (rms: lp = axis intercept + total / scale).
    assert_eq!(pred.points.len(), 4);
    let total: f64 = pred.points.iter().map(|(_, p)| p).sum();
    assert!((total - pred.total_points).abs() < 1e-9);
    let nomo = json(&dir, "nomogram.json");
    let lp_back = num(&nomo["axis_intercept"]) + pred.total_points / num(&nomo["scale"]);
    assert!((lp_back - lp).abs() < 1e-9, "{lp_back} vs {lp}");
}

#[test]
fn in_memory_fit_and_bundle_agree_on_every_training_patient() {
    let (bundle, d) = bundle();
    let tmp = tempfile::tempdir().unwrap();
    bundle.write(tmp.path()).unwrap();
    let loaded = Bundle::load(tmp.path()).unwrap();
    // The in-memory fit's own fitted probabilities are the reference.
    let score: Vec<f64> = d
        .feature
        .iter()
        .zip(&d.deep)
        .map(|(f, g)| -0.25 + 0.75 * f - 0.3 * g)
        .collect();
    let dummy = |k: usize| -> Vec<f64> {
        d.subtype
            .iter()
            .map(|&s| f64::from(u8::from(s == k)))
            .collect()
    };
    let birads: Vec<f64> = d.birads.iter().map(|&b| b as f64 + 1.0).collect();
    let fit = dlrn_stats::logistic_fit(
        &[&score, &d.age, &birads, &dummy(1), &dummy(2)],
        &[
            "signature",
            "age",
            "birads",
            "subtype=luminal_b",
            "subtype=triple_negative",
        ],
        &d.y,
    )
    .unwrap();
    for i in 0..d.y.len() {
        let p = loaded
            .predict(&patient(
                &format!("T{i}"),
                d.feature[i],
                d.deep[i],
                &d.age[i].to_string(),
                BIRADS[d.birads[i]],
                SUBTYPE[d.subtype[i]],
            ))
            .unwrap();
        assert!(
            (p.p_dlrn - fit.fitted[i]).abs() < 1e-12,
            "patient {i}: {} vs {}",
            p.p_dlrn,
            fit.fitted[i]
        );
        assert!(
            p.warnings.is_empty(),
            "training patient {i}: {:?}",
            p.warnings
        );
    }
}

#[test]
fn inputs_outside_training_warn_and_missing_ones_fail() {
    let (bundle, _) = bundle();
    // BI-RADS 5 is a level of the coding but never occurred in training.
    let p = bundle
        .predict(&patient("P2", 1.0, 0.5, "50", "5", "luminal_a"))
        .unwrap();
    assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
    assert!(p.warnings[0].contains("birads") && p.warnings[0].contains("not seen in training"));
    // Age 95 and a feature value far outside the training range.
    let p = bundle
        .predict(&patient("P3", 25.0, 0.5, "95", "4A", "luminal_a"))
        .unwrap();
    let text = p.warnings.join("\n");
    assert!(
        text.contains("age = 95 outside the training range"),
        "{text}"
    );
    assert!(
        text.contains("sNRV = 25 outside the training range"),
        "{text}"
    );
    assert!(text.contains("signature score"), "{text}");
    // A missing clinical value and an unknown level are errors naming them.
    let mut q = patient("P4", 1.0, 0.5, "50", "4B", "luminal_a");
    q.clinical.remove("age");
    match bundle.predict(&q) {
        Err(BundleError::MissingInput { patient, input, .. }) => {
            assert_eq!((patient.as_str(), input.as_str()), ("P4", "age"))
        }
        other => panic!("expected a missing input, got {other:?}"),
    }
    let err = bundle
        .predict(&patient("P5", 1.0, 0.5, "50", "6", "luminal_a"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("P5") && err.contains("birads") && err.contains("\"6\""),
        "{err}"
    );
    let mut q = patient("P6", 1.0, 0.5, "50", "4B", "luminal_a");
    q.features.remove("f_7");
    let err = bundle.predict(&q).unwrap_err().to_string();
    assert!(err.contains("f_7") && err.contains("signature"), "{err}");
}

#[test]
fn another_version_an_altered_or_missing_file_are_refused() {
    let (bundle, _) = bundle();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    bundle.write(dir).unwrap();

    // An altered coefficient.
    let path = dir.join("dlrn.json");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replacen("\"intercept\": ", "\"intercept\": 1", 1),
    )
    .unwrap();
    match Bundle::load(dir) {
        Err(BundleError::HashMismatch { path: p, .. }) => assert!(p.ends_with("dlrn.json")),
        other => panic!("expected a hash mismatch, got {other:?}"),
    }
    std::fs::write(&path, text).unwrap();
    Bundle::load(dir).unwrap();

    // A missing file.
    let path = dir.join("cutoffs.json");
    let text = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let err = Bundle::load(dir).unwrap_err();
    assert!(
        matches!(&err, BundleError::MissingFile { path, .. } if path.ends_with("cutoffs.json")),
        "{err}"
    );
    std::fs::write(&path, text).unwrap();

    // Another format version.
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace("\"format_version\": 1", "\"format_version\": 2"),
    )
    .unwrap();
    let err = Bundle::load(dir).unwrap_err();
    assert!(matches!(err, BundleError::FormatVersion { .. }), "{err}");
    assert!(err.to_string().contains("format version 2"), "{err}");

    // A manifest pointing outside the bundle.
    std::fs::write(&path, text.replacen("\"cnn.json\"", "\"../cnn.json\"", 1)).unwrap();
    let err = Bundle::load(dir).unwrap_err().to_string();
    assert!(err.contains("not a path inside the bundle folder"), "{err}");

    // Not a bundle at all.
    let err = Bundle::load(&dir.join("nothing")).unwrap_err();
    assert!(err.to_string().contains("manifest.json"), "{err}");
}

#[test]
fn a_bundle_loads_from_its_files_bytes_as_from_its_folder() {
    let (bundle, _) = bundle();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("model");
    let manifest = bundle.write(&dir).unwrap();
    let mut files: BTreeMap<String, Vec<u8>> = manifest
        .files
        .keys()
        .chain(std::iter::once(&"manifest.json".to_string()))
        .map(|name| (name.clone(), std::fs::read(dir.join(name)).unwrap()))
        .collect();
    let loaded = Bundle::from_files(&files).unwrap();
    let mut on_disk = Bundle::load(&dir).unwrap();
    // Only where a weights file would be read from may differ (none here: random weights).
    on_disk
        .cnn_weights_path
        .clone_from(&loaded.cnn_weights_path);
    assert_eq!(
        loaded, on_disk,
        "same bundle from bytes and from the folder"
    );
    let p = patient("p", 1.3, 0.4, "61", "4C", "luminal_b");
    assert_eq!(loaded.predict(&p).unwrap(), on_disk.predict(&p).unwrap());

    // An altered file is named by its path relative to the bundle.
    let cut = files.get_mut("cutoffs.json").unwrap();
    cut[0] = b' ';
    match Bundle::from_files(&files) {
        Err(BundleError::HashMismatch { path, .. }) => {
            assert_eq!(path, Path::new("cutoffs.json"))
        }
        other => panic!("expected a hash mismatch, got {other:?}"),
    }
    // A listed file that was not given, and no manifest at all.
    files.remove("cutoffs.json");
    let err = Bundle::from_files(&files).unwrap_err().to_string();
    assert!(
        err.contains("cutoffs.json") && err.contains("not among the files given"),
        "{err}"
    );
    files.remove("manifest.json");
    let err = Bundle::from_files(&files).unwrap_err().to_string();
    assert!(
        err.contains("manifest.json") && err.contains("not a model bundle"),
        "{err}"
    );
}

/// The test's own median (R's `median`): sorted, the middle value or the mean of the two.
fn hand_median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

/// The bundle of [`bundle`] carrying the training medians of its two
/// features and of age, and the training mode of BI-RADS.
fn bundle_with_missing() -> (Bundle, Data) {
    let (b, d) = bundle();
    let features: BTreeMap<String, f64> = [
        ("sNRV".to_string(), hand_median(&d.feature)),
        ("f_7".to_string(), hand_median(&d.deep)),
        ("f_9".to_string(), 123.0),
    ]
    .into();
    let mut counts = [0usize; 4];
    for &k in &d.birads {
        counts[k] += 1;
    }
    let mode = (0..4)
        .max_by_key(|&k| (counts[k], std::cmp::Reverse(k)))
        .unwrap();
    let clinical: BTreeMap<String, dlrn_study::missing::ClinicalValue> = [
        (
            "age".to_string(),
            dlrn_study::missing::ClinicalValue::Number(hand_median(&d.age)),
        ),
        (
            "birads".to_string(),
            dlrn_study::missing::ClinicalValue::Level(BIRADS[mode].to_string()),
        ),
    ]
    .into();
    (
        b.with_missing("stated rule", &features, &clinical).unwrap(),
        d,
    )
}

#[test]
fn an_undefined_input_is_scored_with_the_stored_training_value() {
    let (bundle, d) = bundle_with_missing();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("model");
    let manifest = bundle.write(&dir).unwrap();
    assert!(manifest.files.contains_key("missing.json"));
    let loaded = Bundle::load(&dir).unwrap();
    assert_eq!(loaded, bundle);
    let stored = json(&dir, "missing.json");
    // Only the signature's features are carried, each the training median.
    assert_eq!(stored["features"].as_object().unwrap().len(), 2);
    assert_eq!(num(&stored["features"]["sNRV"]), hand_median(&d.feature));
    assert_eq!(num(&stored["clinical"]["age"]), hand_median(&d.age));

    // sNRV undefined and age missing: scored as if they were the stored values.
    let mut q = patient("P9", f64::NAN, 0.4, "", "4C", "luminal_b");
    q.clinical.remove("age");
    let got = loaded.predict(&q).unwrap();
    let snrv = num(&stored["features"]["sNRV"]);
    let age = num(&stored["clinical"]["age"]);
    let want = loaded
        .predict(&patient(
            "P9",
            snrv,
            0.4,
            &age.to_string(),
            "4C",
            "luminal_b",
        ))
        .unwrap();
    assert_eq!(got.p_dlrn, want.p_dlrn);
    assert_eq!(got.p_clinical, want.p_clinical);
    // ... which is the hand computation from the JSON files.
    let sig = json(&dir, "signature.json");
    let dl = json(&dir, "dlrn.json");
    let terms = sig["coefficients"].as_array().unwrap();
    let score = num(&sig["intercept"])
        + num(&terms[0]["coefficient"]) * snrv
        + num(&terms[1]["coefficient"]) * 0.4;
    let x = [score, age, 3.0, 1.0, 0.0];
    let b = dl["coefficients"].as_array().unwrap();
    let lp = num(&dl["intercept"]) + (0..5).map(|j| num(&b[j]) * x[j]).sum::<f64>();
    assert!((got.p_dlrn - 1.0 / (1.0 + (-lp).exp())).abs() < 1e-12);
    let text = got.warnings.join("\n");
    assert!(
        text.contains(&format!(
            "sNRV = NaN is undefined: imputed with the training median {snrv}"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "age is missing: imputed with the training median {age}"
        )),
        "{text}"
    );
    // --strict: refused, naming the input.
    match loaded.predict_with(&q, true) {
        Err(BundleError::BadInput { input, .. }) => assert_eq!(input, "sNRV"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    // A missing category takes the stored mode.
    let mut q = patient("P10", 1.0, 0.4, "50", "", "luminal_a");
    q.clinical.remove("birads");
    let got = loaded.predict(&q).unwrap();
    assert!(
        got.warnings
            .iter()
            .any(|w| w.starts_with("birads is missing: imputed with the training mode")),
        "{:?}",
        got.warnings
    );
}

#[test]
fn altered_stored_medians_are_refused() {
    let (bundle, _) = bundle_with_missing();
    let tmp = tempfile::tempdir().unwrap();
    bundle.write(tmp.path()).unwrap();
    let path = tmp.path().join("missing.json");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen("\"sNRV\": ", "\"sNRV\": 1", 1)).unwrap();
    let err = Bundle::load(tmp.path()).unwrap_err();
    assert!(matches!(err, BundleError::HashMismatch { .. }), "{err}");
    assert!(err.to_string().contains("missing.json"), "{err}");
}

#[test]
fn a_level_is_taken_by_its_code_or_label_in_any_case() {
    let (mut bundle, _) = bundle();
    // Label the BI-RADS levels as a schema's level_labels would.
    bundle.clinical.variables[1].level_labels = [("4C".to_string(), "four C".to_string())].into();
    let a = bundle
        .predict(&patient("A", 1.0, 0.4, "50", "4C", "luminal_b"))
        .unwrap();
    for typed in ["4c", "Four C", " FOUR c "] {
        let b = bundle
            .predict(&patient("B", 1.0, 0.4, "50", typed, "luminal_b"))
            .unwrap();
        assert_eq!(a.p_dlrn, b.p_dlrn, "{typed}");
    }
    let b = bundle
        .predict(&patient("B", 1.0, 0.4, "50", "4C", "LUMINAL_B"))
        .unwrap();
    assert_eq!(a.p_dlrn, b.p_dlrn);
    let err = bundle
        .predict(&patient("C", 1.0, 0.4, "50", "6", "luminal_b"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("4A, 4B, 4C, 5 (or their labels four C)"),
        "{err}"
    );
}
