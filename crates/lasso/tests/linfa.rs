//! linfa integration: the binomial lasso through linfa's Fit / Predict on a
//! linfa Dataset, and linfa-elasticnet's Gaussian lasso, both against glmnet
//! 4.1-6 (tests/fixtures/glmnet_evc.json, tests/oracle/make_glmnet_evc.R).

mod common;

use common::{f64s, fixture, load, strings};
use dlrn_lasso::linfa::LassoLogisticParams;
use dlrn_lasso::{Folds, LambdaChoice, Measure};
use linfa::prelude::*;
use linfa_elasticnet::ElasticNet;
use ndarray016::{Array1, Array2};

fn records(d: &common::Data, cols: usize) -> Array2<f64> {
    Array2::from_shape_fn((d.n, cols), |(i, j)| d.x[j * d.n + i])
}

#[test]
#[ignore = "needs the released tables: see data/README.md"]
fn linfa_fit_selects_glmnets_features() {
    let d = load();
    let fx = fixture();
    let p = d.names.len();
    let y: Array1<bool> = d.y.iter().map(|&v| v == 1).collect();
    let dataset = Dataset::new(records(&d, p), y);
    let params = LassoLogisticParams {
        folds: Folds::Ids((0..d.n).map(|i| i % 10 + 1).collect()),
        measure: Measure::Deviance,
        choice: LambdaChoice::OneSe,
        ..LassoLogisticParams::default()
    };
    let model = params.fit(&dataset).unwrap();
    let r = &fx["cv"]["deviance"];
    let lambda = r["lambda_1se"].as_f64().unwrap();
    assert!(((model.lambda - lambda) / lambda).abs() < 1e-10);
    let mut got: Vec<String> = d
        .names
        .iter()
        .zip(&model.coefficients)
        .filter(|(_, b)| **b != 0.0)
        .map(|(n, _)| n.clone())
        .collect();
    got.sort();
    let mut want = strings(&r["one_se"]["features"]);
    want.sort();
    assert_eq!(got, want);
    // Predict gives probabilities consistent with the coefficients.
    let prob = model.predict(dataset.records());
    let row0: Vec<f64> = (0..p).map(|j| d.x[j * d.n]).collect();
    let eta = model.link(row0.iter().copied());
    assert!((prob[0] - 1.0 / (1.0 + (-eta).exp())).abs() < 1e-15);
    assert!(prob.iter().all(|&q| q > 0.0 && q < 1.0));
}

/// linfa-elasticnet's Gaussian lasso against `glmnet(xs, y, family =
/// "gaussian", standardize = FALSE, thresh = 1e-14)` on 20 standardised
/// features: same objective (1/(2n) RSS + lambda |b|_1), so the coefficients
/// must agree to the solvers' tolerances.
#[test]
#[ignore = "needs the released tables: see data/README.md"]
fn linfa_elasticnet_matches_glmnet_gaussian() {
    let d = load();
    let g = &fixture()["gaussian"];
    let names = strings(&g["features"]);
    assert_eq!(names, d.names[..20].to_vec());
    let mut x = records(&d, 20);
    for mut col in x.columns_mut() {
        let n = col.len() as f64;
        let m = col.sum() / n;
        col.mapv_inplace(|v| v - m);
        let sd = (col.mapv(|v| v * v).sum() / n).sqrt();
        col.mapv_inplace(|v| v / sd);
    }
    let y: Array1<f64> = d.y.iter().map(|&v| f64::from(v)).collect();
    let dataset = Dataset::new(x, y);
    let lambdas = f64s(&g["lambda"]);
    let intercepts = f64s(&g["intercept"]);
    let mut worst = 0.0f64;
    for (k, &lambda) in lambdas.iter().enumerate() {
        let fit = ElasticNet::params()
            .penalty(lambda)
            .l1_ratio(1.0)
            .with_intercept(true)
            .tolerance(1e-12)
            .max_iterations(100_000)
            .fit(&dataset)
            .unwrap();
        let want = f64s(&g["coefficients"][k]);
        worst = worst.max((fit.intercept() - intercepts[k]).abs());
        for (b, w) in fit.hyperplane().iter().zip(&want) {
            worst = worst.max((b - w).abs());
            // Same support: a coefficient glmnet sets to zero is zero here too.
            assert_eq!(
                *b == 0.0,
                *w == 0.0,
                "lambda {lambda}: support differs ({b} vs {w})"
            );
        }
    }
    eprintln!("linfa-elasticnet vs glmnet gaussian: max |difference| = {worst:e}");
    // Measured 5.4e-7: linfa-elasticnet stops on a duality gap, glmnet at 1e-14.
    assert!(
        worst < 1e-5,
        "linfa-elasticnet differs from glmnet by {worst}"
    );
}
