//! Errors name the patient, the predictor, the value found and what was expected.

mod common;

use std::collections::BTreeMap;

use common::{fixture, model, options};
use dlrn_nomogram::{CalculatorOptions, Nomogram, NomogramOptions, Patient};

fn nomogram() -> Nomogram {
    let f = fixture();
    Nomogram::new(model(&f, false), options(&f, false)).unwrap()
}

fn patient(pairs: &[(&str, f64)]) -> Patient {
    Patient {
        id: "row 3".into(),
        values: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect::<BTreeMap<_, _>>(),
    }
}

const FULL: [(&str, f64); 5] = [
    ("age", 50.0),
    ("birads", 2.0),
    ("grade", 3.0),
    ("us_aln", 1.0),
    ("signature", 0.1),
];

#[test]
fn scoring_errors_are_specific() {
    let nom = nomogram();
    let e = nom.score(&patient(&FULL[..4])).unwrap_err().to_string();
    assert_eq!(e, "patient row 3: no value for predictor `signature`");
    let mut bad = FULL;
    bad[1].1 = 5.0;
    let e = nom.score(&patient(&bad)).unwrap_err().to_string();
    assert_eq!(
        e,
        "patient row 3: predictor `birads`: 5 is not one of the codes 1 (4A), 2 (4B), 3 (4C), 4 (5)"
    );
    let mut nan = FULL;
    nan[0].1 = f64::NAN;
    let e = nom.score(&patient(&nan)).unwrap_err().to_string();
    assert_eq!(
        e,
        "patient row 3: predictor `age`: NaN is not a finite number"
    );
    let mut extra = FULL.to_vec();
    extra.push(("bmi", 22.0));
    let e = nom.score(&patient(&extra)).unwrap_err().to_string();
    assert_eq!(
        e,
        "patient row 3: unknown predictor `bmi` (model has age, birads, grade, us_aln, signature)"
    );
}

#[test]
fn model_errors_are_specific() {
    let f = fixture();
    let mut m = model(&f, false);
    for p in &mut m.predictors {
        p.coefficient = 0.0;
    }
    let e = Nomogram::new(m, options(&f, false))
        .unwrap_err()
        .to_string();
    assert!(e.contains("every predictor has zero effect range"), "{e}");
    let mut m = model(&f, false);
    m.predictors[4].coefficient = f64::INFINITY;
    let e = Nomogram::new(m, options(&f, false))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "invalid model: `signature.coefficient` is inf, expected a finite number"
    );
    let mut o = options(&f, false);
    o.cutoff = Some(1.2);
    let e = Nomogram::new(model(&f, false), o).unwrap_err().to_string();
    assert!(e.contains("cutoff is 1.2"), "{e}");
    let mut m = model(&f, false);
    if let dlrn_nomogram::PredictorKind::Levels { levels } = &mut m.predictors[2].kind {
        levels[2].code = 1.0;
    }
    let e = Nomogram::new(m, options(&f, false))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "invalid model: predictor `grade`: level code 1 appears twice, expected distinct codes"
    );
    let mut m = model(&f, false);
    m.predictors[2].name = "birads".into();
    let e = Nomogram::new(m, NomogramOptions::new(f.lp_range))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "invalid model: predictor `birads`: duplicate predictor name"
    );
}

#[test]
fn calculator_escapes_text_and_embedded_json() {
    let f = fixture();
    let mut m = model(&f, false);
    m.predictors[0].label = "Age </script><b>\"x\"".into();
    let nom = Nomogram::new(m, options(&f, false)).unwrap();
    let html = nom
        .calculator_html(&CalculatorOptions {
            title: "A & B".into(),
            note: Some("<i>".into()),
        })
        .unwrap();
    assert_eq!(
        html.matches("</script>").count(),
        2,
        "only the page's own two script elements close"
    );
    assert!(html.contains("Age &lt;/script&gt;&lt;b&gt;&quot;x&quot;"));
    assert!(html.contains("<title>A &amp; B</title>") && html.contains("&lt;i&gt;"));
    assert!(
        html.contains(r#"Age <\/script><b>\"x\""#),
        "JSON keeps the label, with </ escaped"
    );
}
