//! `Bundle::from_study` over the study library's own stages: a schema with a
//! binary variable and a nominal one whose reference is not its first level,
//! coded and fitted by dlrn-study, bundled, written, loaded, and applied to
//! the raw clinical cells of the training patients. The oracle is the
//! in-memory fit's fitted probabilities (`glm`'s `fitted()`), to 1e-12.

use std::collections::BTreeMap;
use std::path::PathBuf;

use dlrn_cohort::schema::{
    ClinicalData, ClinicalSchema, MissingPolicy, Outcome, Variable, VariableColumn, VariableKind,
};
use dlrn_study::bundle::{
    Bundle, BundleFromStudy, Cnn, Coding, PatientInput, Provenance, StudyParts,
};
use dlrn_study::icc::{IccFeature, IccFilter, IccOutcome};
use dlrn_study::model::FittedModel;
use dlrn_study::pipeline::{Cohort, Cutoffs, FeatureTable};

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

fn variable(name: &str, kind: VariableKind) -> Variable {
    Variable {
        name: name.into(),
        label: name.to_uppercase(),
        kind,
        level_labels: BTreeMap::new(),
        allow_missing: false,
    }
}

#[test]
fn a_bundle_of_the_study_stages_reproduces_the_fit() {
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let schema = ClinicalSchema {
        outcome: Outcome::default(),
        missing: MissingPolicy::default(),
        variables: vec![
            variable(
                "age",
                VariableKind::Numeric {
                    range: None,
                    unit: None,
                },
            ),
            variable(
                "us_aln",
                VariableKind::Binary {
                    levels: strings(&["suspicious", "non-suspicious"]),
                    positive: "suspicious".into(),
                },
            ),
            variable(
                "subtype",
                VariableKind::Nominal {
                    levels: strings(&["a", "b", "c"]),
                    reference: "b".into(),
                },
            ),
            variable(
                "bmi",
                VariableKind::Numeric {
                    range: None,
                    unit: None,
                },
            ),
        ],
    };
    let mut r = Lcg(99);
    let n = 120;
    let (mut ids, mut y, mut feat, mut age, mut usaln, mut sub, mut bmi) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for i in 0..n {
        let f = r.next() * 2.0 - 1.0;
        let a = 30.0 + (r.next() * 40.0).round();
        let u = usize::from(r.next() < 0.4);
        let s = (r.next() * 3.0) as usize;
        let lp = 1.2 * f + 0.04 * (a - 50.0) + if u == 0 { 0.8 } else { 0.0 }
            - 0.5 * f64::from(u8::from(s == 2));
        ids.push(format!("P{i:03}"));
        y.push(u8::from(r.next() < 1.0 / (1.0 + (-lp).exp())));
        feat.push(f);
        age.push(a);
        usaln.push(u);
        sub.push(s);
        bmi.push(20.0 + r.next() * 10.0);
    }
    let clinical = ClinicalData {
        path: PathBuf::from("clinical.csv"),
        ids: ids.clone(),
        outcome: Some(y.iter().map(|&v| Some(v)).collect()),
        columns: vec![
            VariableColumn::Numbers(age.iter().map(|&v| Some(v)).collect()),
            VariableColumn::Levels(usaln.iter().map(|&v| Some(v)).collect()),
            VariableColumn::Levels(sub.iter().map(|&v| Some(v)).collect()),
            VariableColumn::Numbers(bmi.iter().map(|&v| Some(v)).collect()),
        ],
    };
    let training = Cohort {
        name: "TC".into(),
        labels: y.clone(),
        features: FeatureTable {
            ids: ids.clone(),
            labels: Some(y.clone()),
            names: vec!["sNRV".into()],
            columns: vec![feat.clone()],
        },
        clinical: clinical.clone(),
    };
    let signature = dlrn_lasso::SignatureModel {
        lambda: 0.01,
        lambda_choice: dlrn_lasso::LambdaChoice::Min,
        measure: dlrn_lasso::Measure::Auc,
        intercept: 0.1,
        features: vec![dlrn_lasso::FeatureCoefficient {
            feature: "sNRV".into(),
            coefficient: 1.5,
        }],
        path: dlrn_lasso::PathSummary {
            lambda: vec![0.01],
            df: vec![1],
            cvm: vec![0.7],
            cvsd: vec![0.01],
            lambda_min: 0.01,
            lambda_1se: 0.01,
            index_min: 1,
            index_1se: 1,
            n_folds: 5,
            n_rows: n,
            n_features: 1,
        },
        inputs: vec![],
    };
    let scores: Vec<f64> = feat.iter().map(|&f| signature.score(&[f])).collect();
    let mut design = dlrn_study::code(&schema, &clinical, &strings(&["age", "us_aln", "subtype"]))
        .expect("coding");
    design.insert("signature", scores.clone()).unwrap();
    let clin_cols = strings(&["age", "us_aln"]);
    let dlrn_cols = strings(&["signature", "age", "us_aln", "subtype=a", "subtype=c"]);
    let clin = FittedModel::fit(&design, &clin_cols, &y).unwrap();
    let dlrn = FittedModel::fit(&design, &dlrn_cols, &y).unwrap();
    let lp = dlrn.linear_predictor(&design).unwrap();
    let range = (
        lp.iter().copied().fold(f64::INFINITY, f64::min),
        lp.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    let nomogram = dlrn_study::nomogram::build_nomogram(
        &schema,
        &dlrn,
        &design,
        &[("signature".into(), "Signature".into())],
        dlrn_nomogram::NomogramOptions::new(range),
        range,
    )
    .unwrap();
    let icc = IccFilter {
        form: "ICC3".into(),
        threshold: 0.75,
        n_subjects: 30,
        intra_readers: vec!["reader1_repeat".into()],
        inter_readers: vec!["reader2".into()],
        features: vec![IccFeature {
            feature: "sNRV".into(),
            intra: IccOutcome::Value { icc: 0.9 },
            inter: IccOutcome::Value { icc: 0.85 },
            kept: true,
        }],
    };
    let (cnn, weights) = Cnn::resnet50(None, 5, "flex", 256, 224).unwrap();
    let provenance = Provenance {
        dlrn_version: "0.1.0".into(),
        config_sha256: "00".repeat(32),
        training_cohort: "TC".into(),
        training_cohort_sha256: "11".repeat(32),
        date: "2026-11-30".into(),
    };
    let bundle = Bundle::from_study(StudyParts {
        provenance: &provenance,
        cnn: &cnn,
        cnn_weights_path: weights.as_deref(),
        icc: &icc,
        signature: &signature,
        schema: &schema,
        clinical: &clin,
        dlrn: &dlrn,
        cutoffs: &Cutoffs {
            clinical: 0.4,
            signature: 0.45,
            dlrn: 0.5,
        },
        nomogram: &nomogram,
        training: &training,
        training_scores: &scores,
    })
    .unwrap();
    // Only the variables the models use, in order of first use; bmi is not needed.
    let names: Vec<&str> = bundle.clinical_variables();
    assert_eq!(names, ["age", "us_aln", "subtype"]);
    match &bundle.clinical.variables[1].coding {
        Coding::Coded { levels, codes } => {
            assert_eq!(levels, &strings(&["suspicious", "non-suspicious"]));
            assert_eq!(codes, &[1.0, 0.0], "the declared positive level is 1");
        }
        other => panic!("us_aln coded as {other:?}"),
    }
    let tmp = tempfile::tempdir().unwrap();
    bundle.write(tmp.path()).unwrap();
    let loaded = Bundle::load(tmp.path()).unwrap();
    let levels = ["a", "b", "c"];
    let usaln_levels = ["suspicious", "non-suspicious"];
    for i in 0..n {
        let p = loaded
            .predict(&PatientInput {
                id: ids[i].clone(),
                features: [("sNRV".to_string(), feat[i])].into(),
                clinical: [
                    ("age".to_string(), format!("{}", age[i])),
                    ("us_aln".to_string(), usaln_levels[usaln[i]].to_string()),
                    ("subtype".to_string(), levels[sub[i]].to_string()),
                ]
                .into(),
            })
            .unwrap();
        assert!(
            (p.p_dlrn - dlrn.fit.fitted[i]).abs() < 1e-12,
            "{}: {} vs {}",
            ids[i],
            p.p_dlrn,
            dlrn.fit.fitted[i]
        );
        assert!((p.p_clinical - clin.fit.fitted[i]).abs() < 1e-12);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        let total: f64 = p.points.iter().map(|(_, v)| v).sum();
        assert!((total - p.total_points).abs() < 1e-9);
    }
}
