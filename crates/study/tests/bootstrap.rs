//! Bootstrap internal validation of the whole modelling procedure
//! (dlrn_study::bootstrap), checked by properties with independent oracles:
//! - a procedure whose selection cannot change (one feature, always kept by
//!   the LASSO; one clinical factor, kept by thresholds of 1) refits a DLRN
//!   whose linear predictor is lrm's on (feature, age) — the signature is an
//!   affine map of the feature — so its rows equal `validate_lrm` (itself
//!   rms::validate, crates/stats/tests/valprob.rs);
//! - a strong planted feature is selected in (nearly) every resample and,
//!   at lambda.1se, the noise features seldom;
//! - LASSO selection among noise features makes the whole procedure's
//!   optimism positive, and larger than the fixed-features optimism.

use std::collections::BTreeMap;
use std::path::PathBuf;

use dlrn_cohort::schema::{
    ClinicalData, ClinicalSchema, MissingPolicy, Outcome, Variable, VariableColumn, VariableKind,
};
use dlrn_study::bootstrap::{
    BootstrapSettings, BootstrapValidation, Original, ProcedureInputs, bootstrap_validation,
};
use dlrn_study::fit::{Procedure, Progress, fit_procedure};
use dlrn_study::missing::MissingSettings;
use dlrn_study::model::FitMethod;
use dlrn_study::pipeline::{ClinicalSettings, Cohort, FeatureTable, LassoSettings};

struct Lcg(u64);
impl Lcg {
    fn unif(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u1, u2) = (self.unif().max(1e-300), self.unif());
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

struct Quiet;
impl Progress for Quiet {
    fn note(&mut self, _: &str) {}
    fn done(&mut self, _: &str) {}
}

fn schema() -> ClinicalSchema {
    ClinicalSchema {
        outcome: Outcome::default(),
        missing: MissingPolicy::default(),
        variables: vec![Variable {
            name: "age".into(),
            label: "Age".into(),
            kind: VariableKind::Numeric {
                range: None,
                unit: None,
            },
            level_labels: BTreeMap::new(),
            allow_missing: false,
        }],
    }
}

/// n patients: feature f0 with effect `b0`, `noise` pure-noise features,
/// age with effect 0.06 per year.
fn cohort(seed: u64, n: usize, b0: f64, noise: usize) -> Cohort {
    let mut r = Lcg(seed);
    let mut cols: Vec<Vec<f64>> = vec![Vec::new(); 1 + noise];
    let (mut age, mut y, mut ids) = (vec![], vec![], vec![]);
    for i in 0..n {
        let x: Vec<f64> = (0..=noise).map(|_| r.normal()).collect();
        let a = 50.0 + 10.0 * r.normal();
        let lp = b0 * x[0] + 0.06 * (a - 50.0);
        y.push(u8::from(r.unif() < 1.0 / (1.0 + (-lp).exp())));
        for (c, v) in cols.iter_mut().zip(&x) {
            c.push(*v);
        }
        age.push(a);
        ids.push(format!("P{i:03}"));
    }
    let names: Vec<String> = (0..=noise).map(|j| format!("f{j}")).collect();
    Cohort {
        name: "TC".into(),
        labels: y.clone(),
        features: FeatureTable {
            ids: ids.clone(),
            labels: Some(y.clone()),
            names,
            columns: cols,
        },
        clinical: ClinicalData {
            path: PathBuf::from("clinical.csv"),
            ids,
            outcome: Some(y.iter().map(|&v| Some(v)).collect()),
            columns: vec![VariableColumn::Numbers(
                age.iter().map(|&v| Some(v)).collect(),
            )],
        },
    }
}

fn run(training: &Cohort, keep_all: bool, b: usize, one_se: bool) -> BootstrapValidation {
    let schema = schema();
    let lasso = LassoSettings {
        alpha: 1.0,
        measure: dlrn_lasso::Measure::Deviance,
        folds: 5,
        seed: 1,
        lambda: if one_se {
            dlrn_lasso::LambdaChoice::OneSe
        } else {
            dlrn_lasso::LambdaChoice::Min
        },
    };
    let threshold = if keep_all { 1.01 } else { 0.05 };
    let clinical = ClinicalSettings {
        candidates: vec!["age".into()],
        screen_p: threshold,
        keep_p: threshold,
        fit: FitMethod::Glm,
    };
    let missing = MissingSettings::default();
    let kept = training.features.names.clone();
    let Procedure {
        lasso: l,
        scores,
        designs,
        models,
    } = fit_procedure(
        &schema,
        std::slice::from_ref(training),
        &kept,
        &lasso,
        &clinical,
        &missing,
        vec![],
        &mut Quiet,
    )
    .unwrap();
    let (c, dlrn) = models.map_err(|(_, e)| e).unwrap();
    let features: Vec<String> = l
        .signature
        .features
        .iter()
        .map(|f| f.feature.clone())
        .collect();
    bootstrap_validation(
        &ProcedureInputs {
            schema: &schema,
            training,
            kept: &kept,
            lasso: &lasso,
            clinical: &clinical,
            missing: &missing,
        },
        &Original {
            clinical: &c.elimination.model,
            dlrn: &dlrn,
            design: &designs.score[0],
            scores: &scores[0],
            features: &features,
        },
        &BootstrapSettings {
            resamples: b,
            seed: 7,
        },
        &mut Quiet,
    )
    .unwrap()
}

#[test]
fn a_procedure_that_cannot_select_otherwise_equals_validate_lrm() {
    let training = cohort(11, 150, 1.5, 0);
    let v = run(&training, true, 40, false);
    assert_eq!(v.failed, 0, "{:?}", v.failures);
    let f0 = &training.features.columns[0];
    let age: Vec<f64> = match &training.clinical.columns[0] {
        VariableColumn::Numbers(a) => a.iter().map(|v| v.unwrap()).collect(),
        VariableColumn::Levels(_) => unreachable!(),
    };
    let want = dlrn_stats::validate_lrm(&[f0, &age], &training.labels, 40, 7).unwrap();
    let dlrn = v.models.iter().find(|m| m.model == "DLRN").unwrap();
    for (g, w) in dlrn.whole.rows.iter().zip(&want.rows) {
        assert_eq!(g.index, w.index);
        assert_eq!(g.n, w.n);
        for (a, b, what) in [
            (g.index_orig, w.index_orig, "index.orig"),
            (g.training, w.training, "training"),
            (g.test, w.test, "test"),
            (g.index_corrected, w.index_corrected, "index.corrected"),
        ] {
            assert!(
                (a - b).abs() < 1e-7 * (1.0 + b.abs()),
                "{} {what}: {a} vs validate_lrm {b}",
                g.index
            );
        }
    }
    // The selection never changes: every resample keeps f0 and age.
    for r in &v.selection.rows {
        assert_eq!(r.selected, 40, "{r:?}");
        assert!(r.in_model);
    }
}

#[test]
fn a_strong_feature_is_selected_in_nearly_every_resample() {
    let training = cohort(5, 120, 2.5, 15);
    let v = run(&training, true, 30, true);
    let rows = &v.selection.rows;
    let f0 = rows.iter().find(|r| r.name == "f0").unwrap();
    assert!(f0.frequency >= 0.95, "f0 selected in {:.2}", f0.frequency);
    let noise: Vec<f64> = rows
        .iter()
        .filter(|r| r.kind == "feature" && r.name != "f0")
        .map(|r| r.frequency)
        .collect();
    // At lambda.1se (the sparser choice) a noise feature enters now and then
    // (more often than on fresh data: a resample's duplicated patients fall
    // in both the CV's training and held-out folds).
    let mean = noise.iter().sum::<f64>() / noise.len().max(1) as f64;
    assert!(
        mean < 0.5,
        "noise features selected on average in {mean:.2}"
    );
    // A resample may leave glmnet's path unconverged at its smallest
    // lambda (nearly separated); it is skipped and counted, not fatal.
    assert!(v.failed <= 3, "{:?}", v.failures);
    let age = rows.iter().find(|r| r.name == "age").unwrap();
    assert_eq!(age.kind, "clinical");
}

#[test]
fn selection_among_noise_features_adds_optimism() {
    let training = cohort(3, 80, 0.8, 30);
    let v = run(&training, false, 30, false);
    for m in &v.models {
        let whole = m.whole.row("Dxy").unwrap();
        assert!(
            whole.optimism > 0.0,
            "{}: optimism {}",
            m.model,
            whole.optimism
        );
    }
    let sig = v.models.iter().find(|m| m.model == "Signature").unwrap();
    let fixed = sig.fixed.as_ref().unwrap().row("Dxy").unwrap().optimism;
    let whole = sig.whole.row("Dxy").unwrap().optimism;
    assert!(
        whole > fixed,
        "the LASSO's selection adds optimism: whole {whole} vs fixed {fixed}"
    );
    // Byte-identical reruns: the same resamples reduced in the same order.
    let again = run(&training, false, 30, false);
    assert_eq!(
        format!("{:?}", v.report_part("TC")),
        format!("{:?}", again.report_part("TC"))
    );
}
