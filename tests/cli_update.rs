//! `dlrn update` then `dlrn predict` with the updated bundle, on the tiny
//! study (tests/predict_fixture), EVC1 as the new hospital. The updated
//! DLRN must satisfy the score equations of its maximum-likelihood fit on
//! that cohort (independent of how the fit was computed): for the intercept
//! update `glm(y ~ offset(lp), binomial)`, Σ p̂ = Σ y; for logistic
//! recalibration `glm(y ~ lp, binomial)`, also Σ p̂·lp = Σ y·lp, where lp is
//! the original DLRN's linear predictor (logit of its probability). The
//! clinical model and the signature stay as they were.

mod predict_fixture;

use std::collections::BTreeMap;
use std::path::Path;

use predict_fixture::{clinical_by_id, dlrn_ok, num, read_csv, s, study};

/// Predictions of a bundle on a cohort, by id: (p_dlrn, p_clinical, signature score).
fn predictions(model: &Path, cohort: &Path, out: &Path) -> BTreeMap<String, (f64, f64, f64)> {
    dlrn_ok(&[
        "predict",
        "--model",
        s(model),
        "--cohort",
        s(cohort),
        "--out",
        s(out),
    ]);
    read_csv(out)
        .into_iter()
        .map(|r| {
            let v = (
                num(&r, "p_dlrn"),
                num(&r, "p_clinical"),
                num(&r, "signature_score"),
            );
            (r["id"].clone(), v)
        })
        .collect()
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

#[test]
fn updated_bundles_predict_with_their_maximum_likelihood_fit() {
    let st = study();
    let tmp = st.tmp.path();
    let model = st.study.join("model");
    let evc = st.sim.join("EVC1");
    let before = predictions(&model, &evc, &tmp.join("before.csv"));
    let labels: BTreeMap<String, f64> = clinical_by_id(&evc)
        .into_iter()
        .map(|(id, row)| (id, row["ALN_status"].parse::<f64>().unwrap()))
        .collect();
    assert!(before.len() >= 10 && before.keys().all(|id| labels.contains_key(id)));
    let events: f64 = before.keys().map(|id| labels[id]).sum();
    assert!(
        events > 0.0 && events < before.len() as f64,
        "both outcomes"
    );

    for method in ["intercept", "recalibrate"] {
        let out = tmp.join(format!("updated-{method}"));
        dlrn_ok(&[
            "update",
            "--model",
            s(&model),
            "--cohort",
            s(&evc),
            "--method",
            method,
            "--out",
            s(&out),
        ]);
        let record: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("update.json")).unwrap())
                .unwrap();
        assert_eq!(record["method"], method, "{record}");
        let after = predictions(&out, &evc, &tmp.join(format!("after-{method}.csv")));
        assert_eq!(
            after.keys().collect::<Vec<_>>(),
            before.keys().collect::<Vec<_>>()
        );
        // The score equations of the update's likelihood on EVC1.
        let mut sum_resid = 0.0;
        let mut sum_resid_lp = 0.0;
        for (id, (p, p_clin, score)) in &after {
            let (p0, p0_clin, score0) = before[id];
            let y = labels[id];
            sum_resid += y - p;
            sum_resid_lp += (y - p) * logit(p0);
            // What the update leaves alone.
            assert_eq!((*p_clin, *score), (p0_clin, score0), "{method}: {id}");
        }
        assert!(
            sum_resid.abs() < 1e-6,
            "{method}: Σ(y − p̂) = {sum_resid} on the update cohort"
        );
        if method == "recalibrate" {
            assert!(
                sum_resid_lp.abs() < 1e-6,
                "recalibrate: Σ(y − p̂)·lp = {sum_resid_lp}"
            );
        }
        // An update changes the probabilities (the original model is not
        // already at the optimum of EVC1's likelihood).
        let moved = after
            .iter()
            .map(|(id, (p, _, _))| (p - before[id].0).abs())
            .fold(0.0, f64::max);
        assert!(moved > 1e-6, "{method}: no probability moved");
    }
}
