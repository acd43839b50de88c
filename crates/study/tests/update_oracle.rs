//! Model updating against base R's glm (tests/fixtures/make_update.R):
//! the intercept update `glm(y ~ offset(lp))`, logistic recalibration
//! `glm(y ~ lp)`, the refit, the original model's deviance, every
//! likelihood-ratio P value and the closed test's choice (Vergouwe et al.
//! 2017) on four update cohorts, one for each possible choice.

use std::collections::BTreeMap;
use std::path::Path;

use dlrn_study::bundle::LogisticModel;
use dlrn_study::model::FitMethod;
use dlrn_study::update::{UpdateData, UpdateMethod, closed_test, fit_update};

fn fixtures() -> (
    BTreeMap<String, UpdateData>,
    BTreeMap<(String, String), f64>,
) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let data = std::fs::read_to_string(dir.join("update_data.csv")).unwrap();
    let mut cases: BTreeMap<String, UpdateData> = BTreeMap::new();
    for line in data.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let y: u8 = f[2].parse().unwrap();
        let x: Vec<f64> = f[3..6].iter().map(|v| v.trim().parse().unwrap()).collect();
        let lp = -0.5 + 1.0 * x[0] + 0.03 * x[1] + 0.8 * x[2];
        let d = cases.entry(f[0].to_string()).or_insert(UpdateData {
            y: vec![],
            lp: vec![],
            inputs: vec![],
        });
        d.y.push(y);
        d.lp.push(lp);
        d.inputs.push(x);
    }
    let exp = std::fs::read_to_string(dir.join("update_expected.csv")).unwrap();
    let expected = exp
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                (f[0].to_string(), f[1].to_string()),
                f[2].trim().parse().unwrap(),
            )
        })
        .collect();
    (cases, expected)
}

fn frozen() -> LogisticModel {
    LogisticModel {
        columns: vec!["signature".into(), "age".into(), "us_aln".into()],
        intercept: -0.5,
        coefficients: vec![1.0, 0.03, 0.8],
        covariance: vec![vec![0.0; 4]; 4],
        fit: FitMethod::Glm,
    }
}

fn close(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol * (1.0 + want.abs()),
        "{what}: {got} vs R {want}"
    );
}

#[test]
fn updates_and_the_closed_test_equal_r_glm() {
    let (cases, r) = fixtures();
    assert_eq!(cases.len(), 4);
    let model = frozen();
    for (case, data) in &cases {
        let get = |q: &str| r[&(case.clone(), q.to_string())];
        let int = fit_update(&model, data, UpdateMethod::Intercept).unwrap();
        close(
            int.intercept.unwrap(),
            get("intercept_a"),
            1e-9,
            "intercept a",
        );
        close(
            int.intercept_se.unwrap(),
            get("intercept_se"),
            1e-7,
            "intercept se",
        );
        close(
            int.deviance,
            get("intercept_deviance"),
            1e-10,
            "intercept deviance",
        );
        close(
            int.model.intercept,
            -0.5 + get("intercept_a"),
            1e-9,
            "updated intercept",
        );
        let rec = fit_update(&model, data, UpdateMethod::Recalibrate).unwrap();
        close(rec.intercept.unwrap(), get("recal_a"), 1e-8, "recal a");
        close(rec.slope.unwrap(), get("recal_b"), 1e-8, "recal b");
        close(
            rec.intercept_se.unwrap(),
            get("recal_a_se"),
            1e-6,
            "recal a se",
        );
        close(rec.slope_se.unwrap(), get("recal_b_se"), 1e-6, "recal b se");
        close(rec.deviance, get("recal_deviance"), 1e-10, "recal deviance");
        close(
            rec.model.coefficients[0],
            get("recal_b") * 1.0,
            1e-8,
            "recalibrated signature coefficient",
        );
        let rev = fit_update(&model, data, UpdateMethod::Refit).unwrap();
        close(rev.model.intercept, get("refit_b0"), 1e-8, "refit b0");
        for j in 0..3 {
            close(
                rev.model.coefficients[j],
                get(&format!("refit_b{}", j + 1)),
                1e-8,
                "refit coefficient",
            );
        }
        close(rev.deviance, get("refit_deviance"), 1e-10, "refit deviance");

        let ct = closed_test(&model, data, 0.05).unwrap();
        close(
            ct.original_deviance,
            get("original_deviance"),
            1e-10,
            "original deviance",
        );
        let p = |name: &str| {
            ct.against_original
                .iter()
                .chain(&ct.steps)
                .find(|t| t.comparison == name)
                .map(|t| t.p_value)
        };
        close(
            p("refit vs original").unwrap(),
            get("p_refit_vs_original"),
            1e-6,
            "P refit vs original",
        );
        close(
            p("intercept vs original").unwrap(),
            get("p_intercept_vs_original"),
            1e-6,
            "P intercept vs original",
        );
        close(
            p("recalibrate vs original").unwrap(),
            get("p_recalibrate_vs_original"),
            1e-6,
            "P recal vs original",
        );
        if let Some(v) = p("refit vs intercept") {
            close(v, get("p_refit_vs_intercept"), 1e-6, "P refit vs intercept");
        }
        if let Some(v) = p("refit vs recalibrate") {
            close(v, get("p_refit_vs_recalibrate"), 1e-6, "P refit vs recal");
        }
        let chosen = match ct.chosen {
            None => 0.0,
            Some(UpdateMethod::Intercept) => 1.0,
            Some(UpdateMethod::Recalibrate) => 2.0,
            Some(UpdateMethod::Refit) => 3.0,
        };
        assert_eq!(chosen, get("chosen"), "{case}: closed test's choice");
    }
}

#[test]
fn bad_update_input_is_refused_with_a_reason() {
    let model = frozen();
    let one_class = UpdateData {
        y: vec![1, 1, 1],
        lp: vec![0.1, 0.2, 0.3],
        inputs: vec![vec![0.0, 1.0, 0.0]; 3],
    };
    let e = fit_update(&model, &one_class, UpdateMethod::Intercept).unwrap_err();
    assert!(e.to_string().contains("both outcomes"), "{e}");
    let tiny = UpdateData {
        y: vec![0, 1, 0, 1],
        lp: vec![0.1, 0.2, 0.3, 0.4],
        inputs: vec![vec![0.0, 1.0, 0.0]; 4],
    };
    let e = fit_update(&model, &tiny, UpdateMethod::Refit).unwrap_err();
    assert!(e.to_string().contains("needs more than 4"), "{e}");
    assert!("recalibration".parse::<UpdateMethod>().is_err());
    assert!(closed_test(&model, &tiny, 1.5).is_err());
}
