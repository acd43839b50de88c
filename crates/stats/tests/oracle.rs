//! dlrn-stats against R: every number below comes from the fixtures that the
//! scripts in tests/oracle/ wrote with pROC, rms, Hmisc, psych and base R
//! (versions in each fixture). A missing fixture fails the test.
//!
//! Tolerances: `CLOSED` (1e-9, relative to max(1, |R|)) for closed forms —
//! the only differences are summation order and R printing 17 digits;
//! `ITERATIVE` (1e-6) for IRLS/Newton fits, whose R oracle ran to a relative
//! deviance change of 1e-14.

mod common;

use common::{CLOSED, close, f, fixture, fv};
use dlrn_stats as st;
use serde_json::Value;

const ITERATIVE: f64 = 1e-6;

fn uv(v: &Value) -> Vec<u8> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_u64().expect("label") as u8)
        .collect()
}

#[test]
fn roc_auc_and_delong_ci_match_proc() {
    let d = fixture("roc.json");
    for r in d["rocs"].as_array().unwrap() {
        let name = r["name"].as_str().unwrap();
        let (y, s) = (uv(&r["labels"]), fv(&r["scores"]));
        let a = st::auc_delong(&y, &s, 0.95).unwrap();
        close(a.auc, f(&r["auc"]), CLOSED, &format!("{name} auc"));
        close(
            a.variance,
            f(&r["variance"]),
            CLOSED,
            &format!("{name} variance"),
        );
        close(a.ci_low, f(&r["ci_low"]), CLOSED, &format!("{name} ci_low"));
        close(
            a.ci_high,
            f(&r["ci_high"]),
            CLOSED,
            &format!("{name} ci_high"),
        );
        if r.get("thresholds").is_some() {
            let c = st::roc(&y, &s).unwrap();
            let th = fv(&r["thresholds"]);
            assert_eq!(c.thresholds.len(), th.len(), "{name} thresholds");
            for (i, t) in th.iter().enumerate() {
                // R writes ±Inf as strings; JSON null/strings read as NaN here.
                if t.is_finite() {
                    close(
                        c.thresholds[i],
                        *t,
                        CLOSED,
                        &format!("{name} threshold {i}"),
                    );
                }
            }
            for (ours, theirs) in [
                (&c.sensitivities, fv(&r["sensitivities"])),
                (&c.specificities, fv(&r["specificities"])),
            ] {
                for (o, t) in ours.iter().zip(&theirs) {
                    close(*o, *t, CLOSED, &format!("{name} curve"));
                }
            }
        }
        // Youden: pROC lists every tied optimum; ours is the first.
        let yo = st::youden(&y, &s).unwrap();
        let th = &r["youden"]["threshold"];
        let first = if th.is_array() { f(&th[0]) } else { f(th) };
        close(
            yo.threshold,
            first,
            CLOSED,
            &format!("{name} youden threshold"),
        );
        let dm = st::diagnostic_metrics(&y, &s, f(&r["cutoff"]), 0.95).unwrap();
        for (k, v) in [
            ("tp", dm.confusion.tp),
            ("fp", dm.confusion.fp),
            ("tn", dm.confusion.tn),
            ("fn", dm.confusion.fn_),
        ] {
            assert_eq!(v, r[k].as_u64().unwrap(), "{name} {k}");
        }
        for (k, p) in [
            ("accuracy", Some(dm.accuracy)),
            ("sensitivity", dm.sensitivity),
            ("specificity", dm.specificity),
            ("ppv", dm.ppv),
            ("npv", dm.npv),
        ] {
            let want = &r[k];
            match p {
                None => assert!(
                    want.is_null() || want.as_array().is_some_and(|a| a.is_empty()),
                    "{name} {k}"
                ),
                Some(p) => {
                    close(p.value, f(&want["value"]), CLOSED, &format!("{name} {k}"));
                    close(
                        p.ci_low,
                        f(&want["ci_low"]),
                        CLOSED,
                        &format!("{name} {k} low"),
                    );
                    close(
                        p.ci_high,
                        f(&want["ci_high"]),
                        CLOSED,
                        &format!("{name} {k} high"),
                    );
                }
            }
        }
    }
}

/// Table 2 of the study: the published signature on the released tables.
#[test]
fn published_signature_reproduces_table_2() {
    let d = fixture("roc.json");
    let rocs = d["rocs"].as_array().unwrap();
    for (name, auc, lo, hi) in [
        ("evc1_signature", 0.886, 0.815, 0.958),
        ("evc2_signature", 0.854, 0.778, 0.931),
    ] {
        let r = rocs.iter().find(|r| r["name"] == name).unwrap();
        let a = st::auc_delong(&uv(&r["labels"]), &fv(&r["scores"]), 0.95).unwrap();
        let round3 = |x: f64| (x * 1000.0).round() / 1000.0;
        assert_eq!(
            (round3(a.auc), round3(a.ci_low), round3(a.ci_high)),
            (auc, lo, hi),
            "{name}"
        );
    }
    // EVC1 signature at its Youden cut-off: ACC 87 (79–92), SENS 87 (73–95), SPE 87 (76–94).
    let r = rocs.iter().find(|r| r["name"] == "evc1_signature").unwrap();
    let (y, s) = (uv(&r["labels"]), fv(&r["scores"]));
    let cut = st::youden(&y, &s).unwrap().threshold;
    let dm = st::diagnostic_metrics(&y, &s, cut, 0.95).unwrap();
    let pct = |x: f64| (x * 100.0).round();
    let sens = dm.sensitivity.unwrap();
    let spe = dm.specificity.unwrap();
    assert_eq!(
        (
            pct(dm.accuracy.value),
            pct(dm.accuracy.ci_low),
            pct(dm.accuracy.ci_high)
        ),
        (87.0, 79.0, 92.0)
    );
    assert_eq!(
        (pct(sens.value), pct(sens.ci_low), pct(sens.ci_high)),
        (87.0, 73.0, 95.0)
    );
    assert_eq!(
        (pct(spe.value), pct(spe.ci_low), pct(spe.ci_high)),
        (87.0, 76.0, 94.0)
    );
}

#[test]
fn all_equal_scores_give_half_and_zero_width() {
    let d = fixture("roc.json");
    let e = &d["all_equal"];
    let a = st::auc_delong(&uv(&e["labels"]), &fv(&e["scores"]), 0.95).unwrap();
    let ci = fv(&e["ci"]);
    close(a.auc, f(&e["auc"]), CLOSED, "auc");
    close(a.ci_low, ci[0], CLOSED, "low");
    close(a.ci_high, ci[2], CLOSED, "high");
}

#[test]
fn paired_and_unpaired_delong_match_roc_test() {
    let d = fixture("roc.json");
    for p in d["paired"].as_array().unwrap() {
        let name = p["name"].as_str().unwrap();
        let t = st::delong_paired(&uv(&p["labels"]), &fv(&p["a"]), &fv(&p["b"]), 0.95).unwrap();
        close(t.auc_a, f(&p["auc_a"]), CLOSED, &format!("{name} auc_a"));
        close(t.auc_b, f(&p["auc_b"]), CLOSED, &format!("{name} auc_b"));
        close(t.z, f(&p["z"]), CLOSED, &format!("{name} z"));
        close(t.p_value, f(&p["p_value"]), CLOSED, &format!("{name} p"));
        close(t.ci_low, f(&p["ci_low"]), CLOSED, &format!("{name} ci_low"));
        close(
            t.ci_high,
            f(&p["ci_high"]),
            CLOSED,
            &format!("{name} ci_high"),
        );
        // Invariance (as pROC's own tests): swapping the curves negates Z, keeps p.
        let s = st::delong_paired(&uv(&p["labels"]), &fv(&p["b"]), &fv(&p["a"]), 0.95).unwrap();
        close(s.z, -t.z, 1e-12, "swap z");
        close(s.p_value, t.p_value, 1e-12, "swap p");
    }
    let rocs = d["rocs"].as_array().unwrap();
    let (e1, e2) = (&rocs[0], &rocs[1]);
    let u = st::delong_unpaired(
        &uv(&e1["labels"]),
        &fv(&e1["scores"]),
        &uv(&e2["labels"]),
        &fv(&e2["scores"]),
    )
    .unwrap();
    let want = &d["unpaired_evc1_vs_evc2"];
    close(u.statistic, f(&want["statistic"]), CLOSED, "unpaired D");
    close(u.df, f(&want["df"]), CLOSED, "unpaired df");
    close(u.p_value, f(&want["p_value"]), CLOSED, "unpaired p");
}

#[test]
fn clopper_pearson_matches_binom_test() {
    let d = fixture("roc.json");
    for b in d["binom"].as_array().unwrap() {
        let (x, n) = (b["x"].as_u64().unwrap(), b["n"].as_u64().unwrap());
        let p = st::binom_ci(x, n, 0.95).unwrap();
        close(p.ci_low, f(&b["ci_low"]), CLOSED, &format!("{x}/{n} low"));
        close(
            p.ci_high,
            f(&b["ci_high"]),
            CLOSED,
            &format!("{x}/{n} high"),
        );
    }
}

#[test]
fn bootstrap_ci_is_seeded_thread_independent_and_near_delong() {
    let d = fixture("roc.json");
    let r = &d["rocs"][0];
    let (y, s) = (uv(&r["labels"]), fv(&r["scores"]));
    let a = st::auc_bootstrap_ci(&y, &s, 2000, 0.95, 7).unwrap();
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let b = one.install(|| st::auc_bootstrap_ci(&y, &s, 2000, 0.95, 7).unwrap());
    assert_eq!(
        (a.ci_low, a.ci_high, a.boot_sd),
        (b.ci_low, b.ci_high, b.boot_sd)
    );
    let c = st::auc_bootstrap_ci(&y, &s, 2000, 0.95, 8).unwrap();
    assert_ne!(a.ci_low, c.ci_low);
    // pROC's bootstrap CI with another RNG lands near the DeLong interval
    // (0.815–0.958); the bootstrap SD estimates the DeLong SE (0.0364).
    close(a.ci_low, f(&r["ci_low"]), 0.02, "boot low vs DeLong");
    close(a.ci_high, f(&r["ci_high"]), 0.02, "boot high vs DeLong");
    close(
        a.boot_sd,
        f(&r["variance"]).sqrt(),
        0.006,
        "boot sd vs DeLong se",
    );
}

fn column(d: &Value, name: &str) -> Vec<f64> {
    fv(&d["data"][name])
}

#[test]
fn logistic_fit_matches_glm_and_lrm() {
    let d = fixture("logistic.json");
    let names = ["age", "birads", "grade", "us_aln", "size", "bmi"];
    let cols: Vec<Vec<f64>> = names.iter().map(|n| column(&d, n)).collect();
    let refs: Vec<&[f64]> = cols.iter().map(|c| c.as_slice()).collect();
    let y = uv(&d["data"]["y"]);
    let fit = st::logistic_fit(&refs, &names, &y).unwrap();
    let m = &d["multivariable"];
    assert_eq!(fit.n as u64, m["n"].as_u64().unwrap());
    assert_eq!(fit.n_dropped, 12);
    for (i, c) in fit.coefficients.iter().enumerate() {
        assert_eq!(c.name, m["names"][i].as_str().unwrap());
        for (k, v) in [
            ("estimate", c.estimate),
            ("std_error", c.std_error),
            ("z", c.z),
            ("p_value", c.p_value),
            ("odds_ratio", c.odds_ratio),
            ("or_ci_low", c.or_ci_low),
            ("or_ci_high", c.or_ci_high),
        ] {
            close(v, f(&m[k][i]), ITERATIVE, &format!("{} {k}", c.name));
        }
    }
    for (k, v) in [
        ("deviance", fit.deviance),
        ("null_deviance", fit.null_deviance),
        ("aic", fit.aic),
        ("lr_chisq", fit.lr_chisq),
        ("lr_p_value", fit.lr_p_value),
        ("nagelkerke_r2", fit.nagelkerke_r2),
        ("c_index", fit.c_index),
        ("brier", fit.brier),
    ] {
        close(v, f(&m[k]), ITERATIVE, k);
    }
    assert_eq!(fit.df_residual as u64, m["df_residual"].as_u64().unwrap());

    let screen = st::univariate_screen(&refs, &names, &y).unwrap();
    for (row, want) in screen.iter().zip(d["univariate"].as_array().unwrap()) {
        assert_eq!(row.predictor, want["predictor"].as_str().unwrap());
        assert_eq!(row.n as u64, want["n"].as_u64().unwrap());
        for (k, v) in [
            ("estimate", row.coefficient.estimate),
            ("std_error", row.coefficient.std_error),
            ("p_value", row.coefficient.p_value),
            ("or_ci_low", row.coefficient.or_ci_low),
            ("or_ci_high", row.coefficient.or_ci_high),
        ] {
            close(v, f(&want[k]), ITERATIVE, &format!("{} {k}", row.predictor));
        }
    }

    let e = &d["evc1_signature"];
    let sig = fv(&e["signature"]);
    let fit = st::logistic_fit(&[&sig], &["signature"], &uv(&e["y"])).unwrap();
    close(
        fit.coefficients[1].estimate,
        f(&e["estimate"][1]),
        ITERATIVE,
        "evc1 slope",
    );
    close(
        fit.coefficients[1].std_error,
        f(&e["std_error"][1]),
        ITERATIVE,
        "evc1 se",
    );
    close(fit.c_index, f(&e["c_index"]), CLOSED, "evc1 C");
}

#[test]
fn separation_is_a_clear_error() {
    let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let y = [0, 0, 0, 1, 1, 1];
    let err = st::logistic_fit(&[&x], &["size"], &y)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("complete separation") && err.contains("`size`"),
        "{err}"
    );
    // quasi-complete: every x = 1 is a case.
    let x = [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0];
    let y = [0, 0, 0, 1, 1, 1, 1, 0];
    let err = st::logistic_fit(&[&x], &["us_aln"], &y)
        .unwrap_err()
        .to_string();
    assert!(err.contains("quasi-complete"), "{err}");
    // separation by a combination of two predictors (neither alone separates).
    let a = [0.0, 1.0, 2.0, 3.0, 0.5, 1.5, 2.5, 3.5, 1.0, 2.0];
    let b = [3.0, 2.0, 1.0, 0.0, 3.5, 2.5, 1.5, 0.5, 1.0, 3.0];
    let y: Vec<u8> = a.iter().zip(&b).map(|(p, q)| (p + q > 3.2) as u8).collect();
    let err = st::logistic_fit(&[&a, &b], &["a", "b"], &y)
        .unwrap_err()
        .to_string();
    assert!(err.contains("separation"), "{err}");
}

#[test]
fn icc_matches_psych() {
    let d = fixture("agreement.json");
    for e in d["icc"].as_array().unwrap() {
        let name = e["name"].as_str().unwrap();
        let raters: Vec<Vec<f64>> = e["raters"].as_array().unwrap().iter().map(fv).collect();
        let refs: Vec<&[f64]> = raters.iter().map(|r| r.as_slice()).collect();
        let t = st::icc(&refs, 0.95).unwrap();
        for (i, row) in t.rows.iter().enumerate() {
            assert_eq!(row.form.name(), e["type"][i].as_str().unwrap());
            for (k, v) in [
                ("icc", row.icc),
                ("f", row.f),
                ("df1", row.df1),
                ("df2", row.df2),
                ("p_value", row.p_value),
                ("ci_low", row.ci_low),
                ("ci_high", row.ci_high),
            ] {
                close(
                    v,
                    f(&e[k][i]),
                    CLOSED,
                    &format!("{name} {} {k}", row.form.name()),
                );
            }
        }
    }
}

#[test]
fn kappa_matches_psych() {
    let d = fixture("agreement.json");
    let k = &d["kappa"];
    let iv = |v: &Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_i64().unwrap())
            .collect::<Vec<i64>>()
    };
    let r = st::cohen_kappa(&iv(&k["a"]), &iv(&k["b"]), 0.95).unwrap();
    for (name, v) in [
        ("kappa", r.kappa),
        ("weighted_kappa", r.weighted_kappa),
        ("kappa_ci_low", r.kappa_ci_low),
        ("kappa_ci_high", r.kappa_ci_high),
        ("weighted_ci_low", r.weighted_ci_low),
        ("weighted_ci_high", r.weighted_ci_high),
    ] {
        close(v, f(&k[name]), CLOSED, name);
    }
}

#[test]
fn calibration_matches_val_prob_and_hoslem() {
    let d = fixture("calibration.json");
    let y = uv(&d["y"]);
    let p = fv(&d["p_new"]);
    let c = st::calibration(&y, &p).unwrap();
    let v = &d["val_prob"];
    close(c.intercept, f(&v["intercept"]), ITERATIVE, "intercept");
    close(c.slope, f(&v["slope"]), ITERATIVE, "slope");
    close(c.citl, f(&v["citl"]), ITERATIVE, "citl");
    close(c.brier, f(&v["brier"]), CLOSED, "brier");
    close(c.eavg, f(&v["eavg"]), CLOSED, "eavg");
    close(c.emax, f(&v["emax"]), CLOSED, "emax");
    close(c.e90, f(&v["e90"]), CLOSED, "e90");
    let hl = &d["hosmer_lemeshow"];
    close(
        c.hosmer_lemeshow.statistic,
        f(&hl["statistic"]),
        CLOSED,
        "HL chi2",
    );
    close(c.hosmer_lemeshow.p_value, f(&hl["p_value"]), CLOSED, "HL p");
    assert_eq!(c.bins.len(), hl["n"].as_array().unwrap().len());
    for (i, b) in c.bins.iter().enumerate() {
        assert_eq!(b.n as u64, hl["n"][i].as_u64().unwrap());
        close(b.observed, f(&hl["observed"][i]), CLOSED, "bin observed");
        close(b.predicted, f(&hl["predicted"][i]), CLOSED, "bin predicted");
    }
    let smooth = fv(&d["lowess"]["p_new_iter0"]);
    for (o, t) in c.smooth.y.iter().zip(&smooth) {
        close(*o, *t, CLOSED, "val.prob smooth");
    }
}

#[test]
fn lowess_matches_r() {
    let d = fixture("calibration.json");
    let l = &d["lowess"];
    let (x, y) = (fv(&l["x"]), fv(&l["y"]));
    for (key, span, iter) in [
        ("iter3", 2.0 / 3.0, 3),
        ("iter0", 2.0 / 3.0, 0),
        ("f03_iter2", 0.3, 2),
    ] {
        let out = st::lowess(&x, &y, span, iter, None).unwrap();
        for (i, (o, t)) in out.x.iter().zip(fv(&l["sorted_x"])).enumerate() {
            assert_eq!(*o, t, "sorted x {i}");
        }
        for (i, (o, t)) in out.y.iter().zip(fv(&l[key])).enumerate() {
            close(*o, t, CLOSED, &format!("lowess {key} point {i}"));
        }
    }
}

#[test]
fn decision_curve_matches_formula() {
    let d = fixture("calibration.json");
    let dc = &d["decision"];
    let c = st::decision_curve(&uv(&d["y"]), &fv(&d["p_new"]), &fv(&dc["thresholds"])).unwrap();
    for (i, pnt) in c.points.iter().enumerate() {
        close(
            pnt.net_benefit,
            f(&dc["net_benefit"][i]),
            CLOSED,
            "net benefit",
        );
        close(pnt.treat_all, f(&dc["treat_all"][i]), CLOSED, "treat all");
        assert_eq!(pnt.treat_none, 0.0);
    }
}

#[test]
fn improve_prob_matches_hmisc() {
    let d = fixture("calibration.json");
    let y = uv(&d["y"]);
    let (old, new) = (fv(&d["p_old"]), fv(&d["p_new"]));
    let r = st::improve_prob(&y, &old, &new).unwrap();
    let w = &d["improve_prob"];
    for (k, v) in [
        ("nri", r.nri.value),
        ("se_nri", r.nri.se),
        ("z_nri", r.nri.z),
        ("nri_ev", r.nri_events.value),
        ("se_nri_ev", r.nri_events.se),
        ("nri_ne", r.nri_nonevents.value),
        ("se_nri_ne", r.nri_nonevents.se),
        ("idi", r.idi.value),
        ("se_idi", r.idi.se),
        ("z_idi", r.idi.z),
        ("improve_sens", r.improve_sens),
        ("improve_spec", r.improve_spec),
        ("pup_ev", r.pup_ev),
        ("pup_ne", r.pup_ne),
        ("pdown_ev", r.pdown_ev),
        ("pdown_ne", r.pdown_ne),
    ] {
        close(v, f(&w[k]), CLOSED, k);
    }
    let c = st::nri_categorical(&y, &old, &new, &[0.2, 0.5]).unwrap();
    let w = &d["categorical_nri"];
    close(c.nri.value, f(&w["nri"]), CLOSED, "cat nri");
    close(c.nri.se, f(&w["se"]), CLOSED, "cat se");
    close(
        c.nri_events.value,
        f(&w["nri_events"]),
        CLOSED,
        "cat nri ev",
    );
    for (ours, key) in [
        (&c.table_events, "table_events"),
        (&c.table_nonevents, "table_nonevents"),
    ] {
        for (i, row) in ours.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                assert_eq!(*v, w[key][i][j].as_u64().unwrap(), "{key}[{i}][{j}]");
            }
        }
    }
}

#[test]
fn table_one_tests_match_r() {
    let d = fixture("hypothesis.json");
    let (x, y) = (fv(&d["x"]), fv(&d["y"]));
    for (key, eq) in [("welch", false), ("student", true)] {
        let t = st::t_test(&x, &y, eq).unwrap();
        let w = &d[key];
        close(t.t, f(&w["t"]), CLOSED, "t");
        close(t.df, f(&w["df"]), CLOSED, "df");
        close(t.p_value, f(&w["p_value"]), CLOSED, "p");
        close(t.ci_low, f(&w["ci_low"]), CLOSED, "ci low");
        close(t.ci_high, f(&w["ci_high"]), CLOSED, "ci high");
    }
    for (key, a, b, exact) in [
        ("wilcox_exact", "xs", "ys", true),
        ("wilcox_ties", "xt", "yt", false),
        ("wilcox_large", "x", "y", false),
    ] {
        let m = st::mann_whitney(&fv(&d[a]), &fv(&d[b])).unwrap();
        assert_eq!(m.exact, exact, "{key}");
        close(m.w, f(&d[key]["w"]), CLOSED, key);
        close(m.p_value, f(&d[key]["p_value"]), CLOSED, key);
    }
    let table = |k: &str| -> Vec<Vec<f64>> { d[k].as_array().unwrap().iter().map(fv).collect() };
    for (key, t, correct) in [
        ("chi22_yates", "t22", true),
        ("chi22", "t22", false),
        ("chi32", "t32", true),
    ] {
        let c = st::chi_square(&table(t), correct).unwrap();
        close(c.statistic, f(&d[key]["statistic"]), CLOSED, key);
        close(c.df, f(&d[key]["df"]), CLOSED, key);
        close(c.p_value, f(&d[key]["p_value"]), CLOSED, key);
    }
    for (key, t) in [("fisher", "tf"), ("fisher2", "tf2")] {
        let m = table(t);
        let tab = [
            [m[0][0] as u64, m[0][1] as u64],
            [m[1][0] as u64, m[1][1] as u64],
        ];
        close(
            st::fisher_exact(tab).unwrap().p_value,
            f(&d[key]),
            CLOSED,
            key,
        );
    }
}

#[test]
fn bad_input_is_named() {
    let y = [0u8, 1, 0, 1];
    let err = st::auc_delong(&y, &[0.1, f64::NAN, 0.3, 0.4], 0.95)
        .unwrap_err()
        .to_string();
    assert!(err.contains("row 2") && err.contains("NaN"), "{err}");
    let err = st::auc_delong(&y, &[0.1, f64::INFINITY, 0.3, 0.4], 0.95)
        .unwrap_err()
        .to_string();
    assert!(err.contains("row 2") && err.contains("inf"), "{err}");
    let err = st::auc_delong(&[1, 1, 1, 1], &[0.1, 0.2, 0.3, 0.4], 0.95)
        .unwrap_err()
        .to_string();
    assert!(err.contains("found 4 cases and 0 controls"), "{err}");
    let err = st::auc_delong(&[0, 1, 1], &[0.1, 0.2, 0.3], 0.95)
        .unwrap_err()
        .to_string();
    assert!(err.contains("at least 2"), "{err}");
    let err = st::auc_delong(&[0, 2, 1, 0], &[0.1, 0.2, 0.3, 0.4], 0.95)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("row 2") && err.contains("2 is not 0 or 1"),
        "{err}"
    );
    let err = st::auc_delong(&y, &[0.1, 0.2], 0.95)
        .unwrap_err()
        .to_string();
    assert!(err.contains("4 values") && err.contains("2"), "{err}");
    let err = st::calibration(&y, &[0.1, 1.0, 0.3, 0.4])
        .unwrap_err()
        .to_string();
    assert!(err.contains("row 2") && err.contains("(0, 1)"), "{err}");
}
