//! Validation statistics, bootstrap validation and the sample-size
//! simulation against R (fixtures/valprob.json, made by
//! oracle/make_valprob.R with R 4.2.2, rms 6.5.0, Hmisc 4.8.0). A missing
//! fixture fails.
//!
//! Tolerances (absolute, relative to max(1, |R|)): `ORIG` 1e-10 for
//! index.orig and closed forms; `BOOT` 1e-8 for bootstrap averages (200
//! Newton refits, each reproducing lrm.fit's iterates to ~1e-13); `GLM`
//! 1e-8 for the fully converged calibration fits (R at glm epsilon 1e-14).

use dlrn_stats as st;
use serde_json::Value;

const ORIG: f64 = 1e-10;
const BOOT: f64 = 1e-8;
const GLM: f64 = 1e-8;

fn fixture() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valprob.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("fixture {} missing: {e}", path.display()));
    serde_json::from_str(&text).expect("fixture is JSON")
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn fv(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(f).collect()
}

fn uv(v: &Value) -> Vec<u8> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_u64().expect("label") as u8)
        .collect()
}

/// Largest |ours − R| / max(1, |R|) seen, for the report.
#[track_caller]
fn close(ours: f64, r: f64, tol: f64, what: &str) -> f64 {
    if r.is_nan() {
        assert!(ours.is_nan(), "{what}: ours {ours} vs R NA");
        return 0.0;
    }
    let d = (ours - r).abs() / r.abs().max(1.0);
    assert!(
        d <= tol,
        "{what}: ours {ours:.17e} vs R {r:.17e} (tol {tol:e})"
    );
    d
}

#[test]
fn val_prob_matches_rms_and_glm() {
    let d = fixture();
    let mut worst = 0.0f64;
    for case in d["valprob"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (y, p) = (uv(&case["y"]), fv(&case["p"]));
        let r = &case["val_prob"];
        let binned = st::val_prob(&y, &p, 0.95, st::Concordance::Binned).unwrap();
        let json = serde_json::to_value(&binned).unwrap();
        for key in [
            "Dxy",
            "C (ROC)",
            "R2",
            "D",
            "D:Chi-sq",
            "U",
            "U:Chi-sq",
            "U:p",
            "Q",
            "Brier",
            "Intercept",
            "Slope",
            "Emax",
            "E90",
            "Eavg",
            "S:z",
            "S:p",
        ] {
            worst = worst.max(close(
                f(&json[key]),
                f(&r[key]),
                ORIG,
                &format!("{name} {key}"),
            ));
        }
        // rms 6.5 prints D:p as NA; ours is rms >= 6.8's 1 - pchisq(LR, 1).
        assert!(r["D:p"].is_null());
        worst = worst.max(close(
            binned.d_p,
            f(&case["d_p"]),
            ORIG,
            &format!("{name} D:p"),
        ));
        let exact = st::val_prob(&y, &p, 0.95, st::Concordance::Exact).unwrap();
        worst = worst.max(close(
            exact.c_roc,
            f(&case["exact"]["C"]),
            ORIG,
            &format!("{name} exact C"),
        ));
        worst = worst.max(close(
            exact.dxy,
            f(&case["exact"]["Dxy"]),
            ORIG,
            &format!("{name} exact Dxy"),
        ));
        for (ours, r, what) in [
            (exact.calibration_in_the_large, &case["citl"], "citl"),
            (exact.calibration_slope, &case["slope"], "slope"),
        ] {
            worst = worst.max(close(
                ours.estimate,
                f(&r["estimate"]),
                GLM,
                &format!("{name} {what}"),
            ));
            worst = worst.max(close(
                ours.std_error,
                f(&r["se"]),
                GLM,
                &format!("{name} {what} se"),
            ));
            worst = worst.max(close(
                ours.ci_low,
                f(&r["ci_low"]),
                GLM,
                &format!("{name} {what} low"),
            ));
            worst = worst.max(close(
                ours.ci_high,
                f(&r["ci_high"]),
                GLM,
                &format!("{name} {what} high"),
            ));
        }
    }
    eprintln!("val.prob: max relative difference {worst:e}");
}

fn model(d: &Value) -> (Vec<Vec<f64>>, Vec<u8>) {
    let m = &d["model"];
    let cols = ["signature", "us_aln", "size", "birads"]
        .iter()
        .map(|c| fv(&m["columns"][c]))
        .collect();
    (cols, uv(&m["y"]))
}

#[test]
fn lrm_fit_matches_rms_lrm() {
    let d = fixture();
    let (cols, y) = model(&d);
    let refs: Vec<&[f64]> = cols.iter().map(|c| c.as_slice()).collect();
    let fit = st::lrm_fit(&refs, &y).unwrap();
    let m = &d["model"];
    for (ours, r) in fit.coefficients.iter().zip(fv(&m["coefficients"])) {
        close(*ours, r, ORIG, "lrm coefficient");
    }
    let dev = fv(&m["deviance"]);
    close(fit.null_deviance, dev[0], ORIG, "null deviance");
    close(fit.deviance, dev[1], ORIG, "deviance");
    close(fit.lr, f(&m["stats"]["Model L.R."]), ORIG, "LR");
    close(fit.r2, f(&m["stats"]["R2"]), ORIG, "R2");
    close(fit.brier, f(&m["stats"]["Brier"]), ORIG, "Brier");
    close(fit.g, f(&m["stats"]["g"]), ORIG, "g");
    close(fit.gp, f(&m["stats"]["gp"]), ORIG, "gp");
    let (c, dxy) = st::concordance_binned(
        &y,
        &fit.linear_predictor
            .iter()
            .map(|&l| 1.0 / (1.0 + (-l).exp()))
            .collect::<Vec<_>>(),
    );
    close(c, f(&m["stats"]["C"]), ORIG, "binned C");
    close(dxy, f(&m["stats"]["Dxy"]), ORIG, "binned Dxy");
}

#[test]
fn bootstrap_resamples_are_rs_sample() {
    let d = fixture();
    let r = &d["resamples"];
    let n = r["n"].as_u64().unwrap() as usize;
    let ours = st::bootstrap_resamples(r["seed"].as_i64().unwrap() as i32, n, 3);
    for (o, rr) in ours.iter().zip(r["first"].as_array().unwrap()) {
        let want: Vec<usize> = rr
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize - 1)
            .collect();
        assert_eq!(o, &want);
    }
}

#[test]
fn validate_matches_rms_validate() {
    let d = fixture();
    let (cols, y) = model(&d);
    let refs: Vec<&[f64]> = cols.iter().map(|c| c.as_slice()).collect();
    let v = &d["validate"];
    let ours = st::validate_lrm(
        &refs,
        &y,
        v["B"].as_u64().unwrap() as usize,
        v["seed"].as_i64().unwrap() as i32,
    )
    .unwrap();
    assert_eq!(ours.failed, 0);
    let (mut worst_orig, mut worst) = (0.0f64, 0.0f64);
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), ours.rows.len());
    for (o, r) in ours.rows.iter().zip(rows) {
        let name = r["index"].as_str().unwrap();
        assert_eq!(o.index, name);
        worst_orig = worst_orig.max(close(
            o.index_orig,
            f(&r["index.orig"]),
            ORIG,
            &format!("{name} index.orig"),
        ));
        worst = worst.max(close(
            o.training,
            f(&r["training"]),
            BOOT,
            &format!("{name} training"),
        ));
        worst = worst.max(close(o.test, f(&r["test"]), BOOT, &format!("{name} test")));
        worst = worst.max(close(
            o.optimism,
            f(&r["optimism"]),
            BOOT,
            &format!("{name} optimism"),
        ));
        worst = worst.max(close(
            o.index_corrected,
            f(&r["index.corrected"]),
            BOOT,
            &format!("{name} corrected"),
        ));
        assert_eq!(o.n as u64, r["n"].as_u64().unwrap(), "{name} n");
    }
    eprintln!("validate: index.orig {worst_orig:e}, bootstrap columns {worst:e}");
}

#[test]
fn calibrate_matches_rms_calibrate() {
    let d = fixture();
    let (cols, y) = model(&d);
    let refs: Vec<&[f64]> = cols.iter().map(|c| c.as_slice()).collect();
    let c = &d["calibrate"];
    let ours = st::calibrate_lrm(
        &refs,
        &y,
        c["B"].as_u64().unwrap() as usize,
        c["seed"].as_i64().unwrap() as i32,
    )
    .unwrap();
    let rows = c["rows"].as_array().unwrap();
    assert_eq!(rows.len(), ours.points.len());
    let (mut worst_orig, mut worst) = (0.0f64, 0.0f64);
    for (i, (o, r)) in ours.points.iter().zip(rows).enumerate() {
        worst_orig = worst_orig.max(close(o.predy, f(&r["predy"]), ORIG, &format!("{i} predy")));
        worst_orig = worst_orig.max(close(
            o.calibrated_orig,
            f(&r["calibrated.orig"]),
            ORIG,
            &format!("{i} calibrated.orig"),
        ));
        worst_orig = worst_orig.max(close(
            o.index_orig,
            f(&r["index.orig"]),
            ORIG,
            &format!("{i} index.orig"),
        ));
        worst = worst.max(close(
            o.calibrated_corrected,
            f(&r["calibrated.corrected"]),
            BOOT,
            &format!("{i} corrected"),
        ));
        worst = worst.max(close(
            o.training,
            f(&r["training"]),
            BOOT,
            &format!("{i} training"),
        ));
        worst = worst.max(close(o.test, f(&r["test"]), BOOT, &format!("{i} test")));
        worst = worst.max(close(
            o.optimism,
            f(&r["optimism"]),
            BOOT,
            &format!("{i} optimism"),
        ));
        assert_eq!(o.n as u64, r["n"].as_u64().unwrap(), "{i} n");
    }
    eprintln!("calibrate: index.orig {worst_orig:e}, bootstrap columns {worst:e}");
}

#[test]
fn cstatistic_to_r2cs_matches_the_simulation_in_r() {
    let d = fixture();
    for case in d["cstat2rsq"].as_array().unwrap() {
        let (c, phi) = (f(&case["cstatistic"]), f(&case["prevalence"]));
        let ours = st::cstatistic_to_r2cs(c, phi, st::CSTAT_SEED).unwrap();
        // R's glm stops at a relative deviance change of 1e-8; ours converges further.
        close(ours, f(&case["r2cs"]), 1e-9, &format!("C = {c}, φ = {phi}"));
        let ss = st::sample_size_binary(
            10,
            phi,
            st::SampleSizeR2::CStatistic {
                cstatistic: c,
                seed: st::CSTAT_SEED,
            },
            0.9,
        )
        .unwrap();
        assert_eq!(ss.r2_cs, f(&case["r2cs_rounded"]));
    }
}

/// pmsampsize 1.1.3's documented examples and its test_bin.R cases
/// (Riley et al. 2020, BMJ 368:m441, section 4): n per criterion and EPP.
#[test]
fn sample_size_matches_pmsampsize_examples() {
    // (R2cs, parameters, prevalence, [n1, n2, n3, final], [EPP1..final] rounded 2)
    type Case = (f64, usize, f64, [usize; 4], [f64; 4]);
    let cases: [Case; 4] = [
        (
            0.288,
            24,
            0.174,
            [623, 662, 221, 662],
            [4.52, 4.8, 1.6, 4.8],
        ),
        (
            0.55,
            24,
            0.174,
            [255, 532, 221, 532],
            [1.85, 3.86, 1.6, 3.86],
        ),
        (
            0.288,
            36,
            0.174,
            [934, 992, 221, 992],
            [4.51, 4.79, 1.07, 4.79],
        ),
        (
            0.288,
            24,
            0.25,
            [623, 590, 289, 623],
            [6.49, 6.15, 3.01, 6.49],
        ),
    ];
    for (r2, p, phi, n, epp) in cases {
        let s = st::sample_size_binary(p, phi, st::SampleSizeR2::CoxSnell(r2), 0.9).unwrap();
        let got: Vec<usize> = s.criteria.iter().map(|c| c.sample_size).collect();
        assert_eq!(got, n, "R2cs {r2}, P {p}, φ {phi}");
        for (c, e) in s.criteria.iter().zip(epp) {
            assert_eq!((c.epp * 100.0).round() / 100.0, e, "{} EPP", c.name);
        }
        assert_eq!(s.sample_size, n[3]);
    }
}
