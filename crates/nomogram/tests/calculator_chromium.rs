//! calculator.html in headless Chromium against `Nomogram::score`.
//!
//! Needs the `chromium` binary on PATH (Debian package chromium; `.ci/run`
//! installs it), so it is ignored by default: `cargo test -- --include-ignored`
//! runs it, and it fails, naming the missing binary, when chromium is absent.

mod common;

use std::process::Command;

use common::{fixture, model, options, patient};
use dlrn_nomogram::{CalculatorOptions, Nomogram, Patient};

/// The value of attribute `attr` on the element whose id is `id`.
fn attr_of(dom: &str, id: &str, attr: &str) -> Option<String> {
    let at = dom.find(&format!("id=\"{id}\""))?;
    let start = dom[..at].rfind('<')?;
    let end = at + dom[at..].find('>')?;
    let tag = &dom[start..end];
    let key = format!("{attr}=\"");
    let v = tag.find(&key)? + key.len();
    Some(tag[v..v + tag[v..].find('"')?].to_string())
}

fn dump_dom(url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            &format!("--user-data-dir={}", profile.path().display()),
            "--dump-dom",
            url,
        ])
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run `chromium` (install the Debian package chromium): {e}")
        });
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn num(dom: &str, id: &str) -> f64 {
    attr_of(dom, id, "data-value")
        .unwrap_or_else(|| panic!("no data-value on #{id}"))
        .parse()
        .unwrap()
}

/// Floating point: the page computes the same sums in the same order; only
/// `Math.exp` and Rust's `exp` may differ in the last bit.
const TOL: f64 = 1e-12;

#[test]
#[ignore = "needs chromium on PATH: see data/README.md"]
fn calculator_agrees_with_rust_scorer() {
    let f = fixture();
    let nom = Nomogram::new(model(&f, false), options(&f, false)).unwrap();
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("nomogram");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("calculator.html");
    nom.write_calculator(
        &path,
        &CalculatorOptions {
            title: "DLRN calculator".into(),
            note: Some("Simulated cohorts.".into()),
        },
    )
    .unwrap();
    let html = std::fs::read_to_string(&path).unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://") && !html.contains("src="),
        "no external resources"
    );

    let mut patients: Vec<(Patient, String)> = Vec::new();
    for (i, p) in f.patients.iter().enumerate() {
        let q: Vec<String> = p.values.iter().map(|(k, v)| format!("{k}={v}")).collect();
        patients.push((patient(i, p), q.join("&")));
    }
    // Level labels are accepted in the query as well as codes.
    let mut by_label = patients[1].0.clone();
    by_label.id = "labels".into();
    patients.push((
        by_label,
        "age=48&birads=4B&grade=III&us_aln=suspicious&signature=0.25".into(),
    ));

    let mut seen = [false, false];
    for (p, query) in &patients {
        let expected = nom.score(p).unwrap();
        let dom = dump_dom(&format!("file://{}?{query}", path.display()));
        assert_eq!(
            attr_of(&dom, "status", "data-state").as_deref(),
            Some("ok"),
            "patient {}: {query}",
            p.id
        );
        for pp in &expected.points {
            let got = num(&dom, &format!("points-{}", pp.name));
            assert!(
                (got - pp.points).abs() < TOL,
                "patient {} {}: page {got}, Rust {}",
                p.id,
                pp.name,
                pp.points
            );
        }
        assert!((num(&dom, "total-points") - expected.total_points).abs() < TOL);
        assert!((num(&dom, "linear-predictor") - expected.linear_predictor).abs() < TOL);
        assert!((num(&dom, "probability") - expected.probability).abs() < TOL);
        let group = attr_of(&dom, "risk-group", "data-value").unwrap();
        let want = match expected.risk_group.unwrap() {
            dlrn_nomogram::RiskGroup::High => "high",
            dlrn_nomogram::RiskGroup::Low => "low",
        };
        assert_eq!(group, want, "patient {}", p.id);
        seen[usize::from(want == "high")] = true;
    }
    assert!(seen[0] && seen[1], "patients cover both risk groups");

    // A missing value leaves the result empty and says what to enter.
    let dom = dump_dom(&format!("file://{}?age=50&birads=2", path.display()));
    assert_eq!(
        attr_of(&dom, "status", "data-state").as_deref(),
        Some("incomplete")
    );
    assert_eq!(attr_of(&dom, "probability", "data-value"), None);
}
