//! Kappa (three weightings), Fisher r × c, Shapiro–Wilk, Welch's ANOVA,
//! Kruskal–Wallis, Mann–Whitney branches, the Table 1 test rule and the
//! radiologists' rows (AUC of binary calls, paired DeLong) against the
//! fixtures written by tests/oracle/make_kappa.R (psych), make_kappa_z.py
//! (statsmodels, for irr::kappa2's z and p), make_table1.R (base R) and
//! make_readers_roc.R (pROC). A missing fixture fails the test.
//!
//! Tolerance: `CLOSED` (1e-9, relative to max(1, |R|)) everywhere — every
//! statistic here is a closed form or an exact enumeration; the differences
//! are summation order and R printing 17 digits. p-values far below 1 are
//! compared relative to themselves (`TINY_P`), so a tail of 1e-19 is checked
//! to its own 1e-9, not absorbed by max(1, |R|).

mod common;

use common::{CLOSED, close, f, fixture, fv};
use dlrn_stats as st;
use serde_json::Value;

/// Relative tolerance for p-values compared on their own scale.
const TINY_P: f64 = 1e-9;

fn iv(v: &Value) -> Vec<i64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number") as i64)
        .collect()
}

fn table(v: &Value) -> Vec<Vec<u64>> {
    v.as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            r.as_array()
                .expect("row")
                .iter()
                .map(|x| x.as_f64().expect("count") as u64)
                .collect()
        })
        .collect()
}

#[track_caller]
fn close_p(ours: f64, r: f64, what: &str) {
    let ok = (ours - r).abs() <= TINY_P * r.abs() || (ours - r).abs() <= 1e-15;
    assert!(
        ok,
        "{what}: ours {ours:.17e} vs {r:.17e} (relative {TINY_P:e})"
    );
}

#[test]
fn kappa_weightings_match_psych_and_statsmodels() {
    let d = fixture("kappa.json");
    let z = fixture("kappa_z.json");
    let cases = d["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 5);
    for (case, zc) in cases.iter().zip(z["cases"].as_array().unwrap()) {
        let name = case["name"].as_str().unwrap();
        assert_eq!(zc["name"].as_str(), Some(name));
        let (a, b) = (iv(&case["a"]), iv(&case["b"]));
        for (key, w) in [
            ("unweighted", st::KappaWeights::Unweighted),
            ("linear", st::KappaWeights::Linear),
            ("quadratic", st::KappaWeights::Quadratic),
        ] {
            let out = match case.get("levels").filter(|l| l.is_array()) {
                Some(l) => st::kappa_agreement_levels(&a, &b, &iv(l), w, 0.95).unwrap(),
                None => st::kappa_agreement(&a, &b, w, 0.95).unwrap(),
            };
            let e = out.estimate().expect("estimable");
            let r = &case[key];
            let what = format!("{name} {key}");
            close(e.kappa, f(&r["kappa"]), CLOSED, &format!("{what} kappa"));
            close(e.se * e.se, f(&r["var"]), CLOSED, &format!("{what} var"));
            close(e.ci_low, f(&r["ci_low"]), CLOSED, &format!("{what} ci_low"));
            close(
                e.ci_high,
                f(&r["ci_high"]),
                CLOSED,
                &format!("{what} ci_high"),
            );
            let s = &zc[key];
            close(
                e.kappa,
                f(&s["kappa"]),
                CLOSED,
                &format!("{what} statsmodels kappa"),
            );
            close(e.z, f(&s["z"]), CLOSED, &format!("{what} z"));
            close_p(e.p_value, f(&s["p_value"]), &format!("{what} p"));
            assert_eq!(
                Some(e.label),
                st::landis_koch(f(&r["kappa"])),
                "{what} label"
            );
        }
        if case.get("levels").is_some_and(|l| l.is_array()) {
            continue;
        }
        // The legacy struct agrees with the per-weighting estimates.
        let k = st::cohen_kappa(&a, &b, 0.95).unwrap();
        close(k.kappa, f(&case["unweighted"]["kappa"]), CLOSED, name);
        close(
            k.weighted_kappa,
            f(&case["quadratic"]["kappa"]),
            CLOSED,
            name,
        );
        close(
            k.weighted_se.powi(2),
            f(&case["quadratic"]["var"]),
            CLOSED,
            name,
        );
    }
}

#[test]
fn fisher_rxc_matches_fisher_test() {
    let d = fixture("table1.json");
    for c in d["fisher"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let t = table(&c["table"]);
        let ours = st::fisher_exact_rxc(&t).unwrap().p_value;
        close(ours, f(&c["p_value"]), CLOSED, name);
        close_p(ours, f(&c["p_value"]), name);
        // The transposed table is the same test.
        let tt: Vec<Vec<u64>> = (0..t[0].len())
            .map(|j| t.iter().map(|r| r[j]).collect())
            .collect();
        close_p(
            st::fisher_exact_rxc(&tt).unwrap().p_value,
            f(&c["p_value"]),
            name,
        );
    }
}

#[test]
fn shapiro_wilk_matches_shapiro_test() {
    let d = fixture("table1.json");
    for c in d["shapiro"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let r = st::shapiro_wilk(&fv(&c["x"])).unwrap();
        close(r.w, f(&c["w"]), CLOSED, &format!("{name} W"));
        close(r.p_value, f(&c["p_value"]), CLOSED, &format!("{name} p"));
        close_p(r.p_value, f(&c["p_value"]), &format!("{name} p"));
    }
}

#[test]
fn welch_anova_and_kruskal_match_r() {
    let d = fixture("table1.json");
    let groups = |v: &Value| -> Vec<Vec<f64>> { v.as_array().unwrap().iter().map(fv).collect() };
    let ow = &d["welch_anova"];
    let g = groups(&ow["groups"]);
    let refs: Vec<&[f64]> = g.iter().map(Vec::as_slice).collect();
    let r = st::welch_anova(&refs).unwrap();
    close(r.f, f(&ow["f"]), CLOSED, "oneway F");
    close(r.df1, f(&ow["df1"]), CLOSED, "oneway df1");
    close(r.df2, f(&ow["df2"]), CLOSED, "oneway df2");
    close(r.p_value, f(&ow["p_value"]), CLOSED, "oneway p");
    for key in ["kruskal", "kruskal_plain"] {
        let kw = &d[key];
        let g = groups(&kw["groups"]);
        let refs: Vec<&[f64]> = g.iter().map(Vec::as_slice).collect();
        let r = st::kruskal_wallis(&refs).unwrap();
        close(r.h, f(&kw["h"]), CLOSED, &format!("{key} H"));
        close(r.df, f(&kw["df"]), CLOSED, &format!("{key} df"));
        close(r.p_value, f(&kw["p_value"]), CLOSED, &format!("{key} p"));
    }
}

#[test]
fn mann_whitney_branches_match_wilcox_test() {
    let d = fixture("table1.json");
    for c in d["wilcox"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let m = st::mann_whitney(&fv(&c["x"]), &fv(&c["y"])).unwrap();
        assert_eq!(m.exact, c["exact"].as_bool().unwrap(), "{name} branch");
        close(m.w, f(&c["w"]), CLOSED, &format!("{name} W"));
        close(m.p_value, f(&c["p_value"]), CLOSED, &format!("{name} p"));
    }
}

#[test]
fn table_one_rule_picks_the_test_r_picks() {
    let d = fixture("table1.json");
    for c in d["rule"]["continuous"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let g: Vec<Vec<f64>> = c["groups"].as_array().unwrap().iter().map(fv).collect();
        let refs: Vec<&[f64]> = g.iter().map(Vec::as_slice).collect();
        let r = st::compare_continuous(&refs).unwrap();
        let test = serde_json::to_value(r.test).unwrap();
        assert_eq!(test, c["test"], "{name}");
        close(r.p_value, f(&c["p_value"]), CLOSED, name);
    }
    for c in d["rule"]["categorical"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let t = table(&c["table"]);
        let levels: Vec<String> = (0..t.len()).map(|i| format!("L{}", i + 1)).collect();
        let names: Vec<&str> = levels.iter().map(String::as_str).collect();
        let r = st::compare_categorical(&t, &names).unwrap();
        let test = serde_json::to_value(r.test).unwrap();
        assert_eq!(test, c["test"], "{name}");
        close(r.p_value, f(&c["p_value"]), CLOSED, name);
        if name.ends_with("empty_level") {
            assert!(
                r.note.as_deref().unwrap_or("").contains("absent"),
                "{name}: {r:?}"
            );
        }
    }
}

#[test]
fn a_table_too_large_for_the_network_is_a_clear_error() {
    // BI-RADS across all four cohorts (n = 883): R's FEXACT stops with error
    // 501; ours stops at its expansion budget with a message that says what to do.
    let t = vec![
        vec![172, 18, 6, 13],
        vec![144, 35, 12, 21],
        vec![133, 8, 12, 18],
        vec![172, 51, 57, 11],
    ];
    let msg = st::fisher_exact_rxc(&t).unwrap_err().to_string();
    assert!(
        msg.contains("4 × 4 table with n = 883") && msg.contains("χ² test"),
        "{msg}"
    );
    // The Table 1 rule then reports χ² with a note saying why.
    let names = ["4A", "4B", "4C", "5"];
    let with_sparse: Vec<Vec<u64>> = t.iter().map(|r| vec![r[0], r[1], r[2], r[3] / 4]).collect();
    let c = st::compare_categorical(&with_sparse, &names).unwrap();
    assert_eq!(c.test, st::BaselineTest::ChiSquare, "{c:?}");
    assert!(
        c.note
            .as_deref()
            .unwrap_or("")
            .contains("Fisher's exact test not computed"),
        "{c:?}"
    );
}

#[test]
fn reader_rows_match_proc() {
    let d = fixture("readers_roc.json");
    let y: Vec<u8> = d["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as u8)
        .collect();
    for a in d["aucs"].as_array().unwrap() {
        let name = a["name"].as_str().unwrap();
        let r = st::auc_delong(&y, &fv(&a["scores"]), 0.95).unwrap();
        close(r.auc, f(&a["auc"]), CLOSED, &format!("{name} auc"));
        close(
            r.variance,
            f(&a["variance"]),
            CLOSED,
            &format!("{name} var"),
        );
        close(r.ci_low, f(&a["ci_low"]), CLOSED, &format!("{name} ci_low"));
        close(
            r.ci_high,
            f(&a["ci_high"]),
            CLOSED,
            &format!("{name} ci_high"),
        );
    }
    for t in d["tests"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        let r = st::delong_paired(&y, &fv(&t["a"]), &fv(&t["b"]), 0.95).unwrap();
        close(r.auc_a, f(&t["auc_a"]), CLOSED, &format!("{name} auc_a"));
        close(r.auc_b, f(&t["auc_b"]), CLOSED, &format!("{name} auc_b"));
        close(r.z, f(&t["z"]), CLOSED, &format!("{name} z"));
        close(r.p_value, f(&t["p_value"]), CLOSED, &format!("{name} p"));
        close(r.ci_low, f(&t["ci_low"]), CLOSED, &format!("{name} ci_low"));
        close(
            r.ci_high,
            f(&t["ci_high"]),
            CLOSED,
            &format!("{name} ci_high"),
        );
    }
}
