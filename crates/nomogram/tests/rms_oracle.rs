//! dlrn-nomogram against rms 6.5 `nomogram()` (tests/oracle/make_nomogram.R).

mod common;

use common::{PREDICTORS, fixture, model, options, patient};
use dlrn_nomogram::{Nomogram, RiskGroup};

/// Points, scale and positions are sums and products of a few doubles; 1e-6
/// points is far below anything a reader can see and well above rounding.
const POINTS_TOL: f64 = 1e-6;

fn check(explicit: bool) {
    let f = fixture();
    let nf = if explicit { &f.explicit } else { &f.default };
    let nom = Nomogram::new(model(&f, explicit), options(&f, explicit)).expect("nomogram");
    compare(&nom, nf, 100.0);
}

fn compare(nom: &Nomogram, nf: &common::NomFixture, max_points: f64) {
    assert!(
        (nom.scale - nf.sc).abs() < 1e-9,
        "sc {} vs rms {}",
        nom.scale,
        nf.sc
    );
    assert!(
        (nom.axis_intercept - nf.axis_intercept).abs() < 1e-9,
        "Intercept {} vs rms {}",
        nom.axis_intercept,
        nf.axis_intercept
    );
    for (axis, name) in nom.axes.iter().zip(PREDICTORS) {
        assert_eq!(axis.name, name);
        let r = &nf.predictors[name];
        let values: Vec<f64> = axis.ticks.iter().map(|t| t.value).collect();
        assert_eq!(values, r.x, "{name}: axis values");
        for (t, rp) in axis.ticks.iter().zip(&r.points) {
            assert!(
                (t.points - rp).abs() < POINTS_TOL,
                "{name} = {}: {} points vs rms {rp}",
                t.value,
                t.points
            );
        }
    }
    // The widest predictor spans exactly 0-100.
    let widest = nom
        .axes
        .iter()
        .map(|a| a.ticks.iter().map(|t| t.points).fold(0.0, f64::max))
        .fold(0.0, f64::max);
    assert!((widest - max_points).abs() < 1e-9);
    assert_eq!(nom.total_points_ticks, nf.total_points, "total points axis");
    let lp_vals: Vec<f64> = nom.lp_axis.iter().map(|t| t.value).collect();
    assert_eq!(lp_vals, nf.lp_at);
    assert_eq!(lp_vals, nf.lp.x_real);
    for (t, rx) in nom.lp_axis.iter().zip(&nf.lp.x) {
        assert!(
            (t.position - rx).abs() < POINTS_TOL,
            "lp {}: {} vs rms {rx}",
            t.value,
            t.position
        );
    }
    let probs: Vec<f64> = nom.probability_axis.iter().map(|t| t.value).collect();
    assert_eq!(
        probs.len(),
        nf.probability.x_real.len(),
        "probability ticks {probs:?} vs rms {:?}",
        nf.probability.x_real
    );
    for (p, r) in probs.iter().zip(&nf.probability.x_real) {
        assert!((p - r).abs() < 1e-12, "probability tick {p} vs rms {r}");
    }
    for (t, rx) in nom.probability_axis.iter().zip(&nf.probability.x) {
        assert!(
            (t.position - rx).abs() < POINTS_TOL,
            "p = {}: position {} vs rms {rx}",
            t.value,
            t.position
        );
    }
}

#[test]
fn default_axes_match_rms() {
    check(false);
}

#[test]
fn explicit_axes_match_rms() {
    check(true);
}

/// rms `lp.at = seq(-4, 2, by = 0.5)`, `maxscale = 10`.
#[test]
fn lp_at_and_maxscale_match_rms() {
    let f = fixture();
    let mut o = options(&f, false);
    o.lp_at = Some((0..13).map(|i| -4.0 + 0.5 * i as f64).collect());
    o.max_points = 10.0;
    let nom = Nomogram::new(model(&f, false), o).unwrap();
    compare(&nom, &f.lp_at, 10.0);
}

#[test]
fn patients_score_as_r() {
    let f = fixture();
    let nom = Nomogram::new(model(&f, false), options(&f, false)).unwrap();
    assert!(f.patients.len() >= 5);
    for (i, p) in f.patients.iter().enumerate() {
        let s = nom.score(&patient(i, p)).unwrap();
        for pp in &s.points {
            assert!(
                (pp.points - p.points[&pp.name]).abs() < POINTS_TOL,
                "patient {}: {} {} vs R {}",
                i + 1,
                pp.name,
                pp.points,
                p.points[&pp.name]
            );
        }
        assert!((s.total_points - p.total).abs() < POINTS_TOL);
        assert!(
            (s.linear_predictor - p.lp).abs() < 1e-10,
            "lp {} vs predict.lrm {}",
            s.linear_predictor,
            p.lp
        );
        assert!((s.probability - p.probability).abs() < 1e-12);
        // Total points read back through the axes give the same probability.
        let lp_from_points = nom.axis_intercept + s.total_points / nom.scale;
        assert!((lp_from_points - p.lp).abs() < 1e-10);
        let expected = if p.probability >= 0.407 {
            RiskGroup::High
        } else {
            RiskGroup::Low
        };
        assert_eq!(s.risk_group, Some(expected));
    }
}

#[test]
fn json_round_trips() {
    let f = fixture();
    let nom = Nomogram::new(model(&f, true), options(&f, true)).unwrap();
    let text = nom.to_json().unwrap();
    let back = Nomogram::from_json(&text).unwrap();
    assert_eq!(back, nom);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["model"]["predictors"][1]["kind"]["type"], "levels");
    assert_eq!(
        v["model"]["predictors"][1]["kind"]["levels"][2]["label"],
        "4C"
    );
}

#[test]
fn scores_csv_and_label_codes() {
    let f = fixture();
    let nom = Nomogram::new(model(&f, false), options(&f, false)).unwrap();
    assert_eq!(nom.code_of("birads", "4B").unwrap(), 2.0);
    assert_eq!(nom.code_of("us_aln", "suspicious").unwrap(), 1.0);
    assert_eq!(
        nom.code_of("grade", "IV").unwrap_err().to_string(),
        "patient -: predictor `grade`: \"IV\" is not one of the labels \"I\", \"II\", \"III\""
    );
    let mut patients: Vec<_> = f
        .patients
        .iter()
        .enumerate()
        .map(|(i, p)| patient(i, p))
        .collect();
    patients[0].id = "a,\"b\"".into();
    let scores = nom.score_all(&patients).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scores.csv");
    nom.write_scores_csv(&path, &scores).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "id,points_age,points_birads,points_grade,points_us_aln,points_signature,total_points,linear_predictor,probability,risk_group"
    );
    let first = lines.next().unwrap();
    assert!(first.starts_with("\"a,\"\"b\"\"\","), "{first}");
    // Probabilities read back equal predict.lrm's (R) to 1e-12.
    for (line, p) in text.lines().skip(2).zip(&f.patients[1..]) {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), 10);
        assert!((cells[8].parse::<f64>().unwrap() - p.probability).abs() < 1e-12);
        assert_eq!(
            cells[9],
            if p.probability >= 0.407 {
                "high"
            } else {
                "low"
            }
        );
    }
}
