//! The offline web page (`dlrn export-web`) in headless Chromium, driven
//! through its own controls: on ten EVC1 patients of the tiny study
//! (tests/predict_fixture) it gives `dlrn predict`'s features, scores,
//! classes and points; an outline drawn with the mouse gives the library's
//! features for the vertices it recorded; it requests nothing outside its
//! folder; a bad image and an empty outline are errors that name the
//! problem; a bundle with other clinical variables shows its own controls.
//!
//! `cargo xtask web-build` first, then
//! `cargo test --test web_page -- --ignored --nocapture` (the largest
//! difference per quantity is printed).

mod predict_fixture;
mod web_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use dlrn_cohort::Table;
use dlrn_nomogram::{Nomogram, PredictorKind};
use dlrn_study::bundle::{Bundle, Coding, InputRange};
use predict_fixture::{
    CNN_SEED, birads_code, clinical_by_id, dlrn_ok, features_by_id, hand_p_dlrn, read_csv, s,
    study, us_aln_code,
};
use web_support::cdp::Page;
use web_support::{
    OFFLINE, Outcome, Worst, choose_files, click_predict, controls, file_url, open, pkg_dir,
    results, set_clinical, status,
};

/// The DevTools client on a small page of its own: a file input whose change
/// handler shows the chosen file's size proves `DOM.setFileInputFiles`
/// (and the change event it fires), `Runtime.evaluate` with a promise, and
/// the request log.
#[test]
#[ignore = "needs chromium"]
fn devtools_client_drives_a_file_input() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("index.html");
    std::fs::write(
        &html,
        r#"<!doctype html><html><body>
<input type="file" id="f"><span id="size" data-value="none"></span>
<script src="side.js"></script>
<script>
document.getElementById('f').addEventListener('change', async (e) => {
  const buf = await e.target.files[0].arrayBuffer();
  document.getElementById('size').dataset.value = String(buf.byteLength);
});
</script></body></html>"#,
    )
    .unwrap();
    std::fs::write(dir.path().join("side.js"), "window.side = 42;").unwrap();
    let payload = dir.path().join("payload.bin");
    std::fs::write(&payload, vec![7u8; 12345]).unwrap();

    let mut page = Page::launch(&[]);
    let url = format!("file://{}", html.display());
    page.navigate(&url);
    assert_eq!(page.eval("window.side"), 42);
    assert_eq!(
        page.eval("new Promise(r => setTimeout(() => r('later'), 100))"),
        "later"
    );
    page.set_files("#f", &[&payload]);
    let size = page.wait_for(
        "(s => s === 'none' ? null : s)(document.getElementById('size').dataset.value)",
        Duration::from_secs(10),
        "the change handler",
    );
    assert_eq!(size, "12345");
    let side = format!("file://{}", dir.path().join("side.js").display());
    assert!(page.requests.contains(&url), "{:?}", page.requests);
    assert!(page.requests.contains(&side), "{:?}", page.requests);
}

/// Handcrafted features: f64 throughout, the same code compiled to
/// WebAssembly; `|web - native| <= 1e-9 * max(1, |native|)`.
const HANDCRAFTED_TOL: f64 = 1e-9;
/// Deep features: `|web - native| <= 1e-3 * scale`, scale the feature's
/// largest |value| over the cohort. The CNN runs in f32, and the wasm build's
/// GEMM (128-bit SIMD, no fused multiply-add) sums the products in another
/// order and rounding than the native AVX2/AVX-512 FMA kernels, so the last
/// bits of each f32 accumulation (up to 4,608 products) differ and grow
/// through the 50 layers; CUDA's TF32 differs from flex by about 2e-3 of a
/// feature's range (dlrn-bundle's `Cnn::backend`).
const DEEP_TOL: f64 = 1e-3;
/// Probabilities against `dlrn predict` (absolute). The signature score and
/// the points are held to the bound the features' differences put on them:
/// `|Δscore| <= Σ |β_j| |Δf_j|` over the signature's features, and the
/// signature axis's points move by `|β_signature| * scale * |Δscore|`.
const SCORE_TOL: f64 = 1e-6;
/// The page's own arithmetic: its probability against a hand computation
/// from the features it reports.
const SELF_TOL: f64 = 1e-12;

/// The EVC1 patients the page scores: the first ten ids, and a BI-RADS 5 one
/// (a category unseen in training: a warning) if there is one.
fn chosen(ids: &[String], clin: &BTreeMap<String, BTreeMap<String, String>>) -> Vec<String> {
    let mut out: Vec<String> = ids.iter().take(10).cloned().collect();
    if let Some(id) = ids
        .iter()
        .find(|id| clin[*id]["birads"] == "5" && !out.contains(id))
    {
        out.push(id.clone());
    }
    out
}

/// A patient's file in `<cohort>/<sub>/` by id.
fn file_of(cohort: &Path, sub: &str, id: &str) -> PathBuf {
    std::fs::read_dir(cohort.join(sub))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_stem().and_then(|s| s.to_str()) == Some(id))
        .unwrap_or_else(|| panic!("no {sub} file for {id}"))
}

/// `dlrn export-web` of `model` into `out`; checks the files it promises.
fn export(model: &Path, out: &Path) {
    let pkg = pkg_dir();
    dlrn_ok(&[
        "export-web",
        "--model",
        s(model),
        "--out",
        s(out),
        "--pkg",
        s(&pkg),
    ]);
    for f in [
        "index.html",
        "app.js",
        "dlrn_web.js",
        "dlrn_web_wasm.js",
        "model.js",
    ] {
        assert!(out.join(f).is_file(), "export-web wrote no {f}");
    }
}

/// A CSV cell as written (quotes undone).
fn unquote(cell: &str) -> String {
    match cell.strip_prefix('"').and_then(|c| c.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => cell.to_string(),
    }
}

/// The study's bundle with its US-ALN variable renamed `axillary_us`, levels
/// `negative`/`positive`: the same model under another clinical schema.
fn custom_bundle(b: &Bundle) -> Bundle {
    let mut b = b.clone();
    let rename = |c: &mut String| {
        if c == "us_aln" {
            *c = "axillary_us".into();
        }
    };
    let v = b
        .clinical
        .variables
        .iter_mut()
        .find(|v| v.name == "us_aln")
        .expect("the fixture's us_aln");
    v.name = "axillary_us".into();
    v.label = "Axillary ultrasound".into();
    v.coding = Coding::Coded {
        levels: vec!["negative".into(), "positive".into()],
        codes: vec![0.0, 1.0],
    };
    b.clinical.model.columns.iter_mut().for_each(rename);
    b.dlrn.columns.iter_mut().for_each(rename);
    let mut model = b.nomogram.model.clone();
    for p in &mut model.predictors {
        if p.name == "us_aln" {
            p.name = "axillary_us".into();
            p.label = "Axillary ultrasound".into();
            if let PredictorKind::Levels { levels } = &mut p.kind {
                for l in levels {
                    l.label = if l.code == 0.0 {
                        "negative"
                    } else {
                        "positive"
                    }
                    .into();
                }
            }
        }
    }
    b.nomogram = Nomogram::new(model, b.nomogram.options.clone()).unwrap();
    b.ranges.remove("us_aln");
    b.ranges.insert(
        "axillary_us".into(),
        InputRange::Levels {
            seen: vec!["negative".into(), "positive".into()],
        },
    );
    b
}

/// Waits (up to 60 s) for `data-state` error; returns its message.
fn wait_error(page: &mut Page, what: &str) -> String {
    page.wait_for(
        "(s => s.dataset.state === 'error')(document.getElementById('status'))",
        Duration::from_secs(60),
        &format!("an error for {what}"),
    );
    let (_, text) = status(page);
    eprintln!("{what}: {text:?}");
    text
}

/// Every URL the page requested is inside an exported folder (or data:/blob:).
fn assert_offline(page: &Page, folders: &[&Path]) {
    assert!(!page.requests.is_empty(), "no request logged at all");
    let inside: Vec<String> = folders
        .iter()
        .map(|f| format!("{}/", file_url(f)))
        .collect();
    for url in &page.requests {
        let ok = url.starts_with("data:")
            || url.starts_with("blob:")
            || inside.iter().any(|p| url.starts_with(p.as_str()));
        assert!(ok, "the page requested {url} (outside {inside:?})");
    }
    eprintln!(
        "requests: {} (all inside the exported folders)",
        page.requests.len()
    );
}

#[test]
#[ignore = "needs chromium and the wasm build (cargo xtask web-build)"]
fn web_page_matches_dlrn_predict() {
    let _ = pkg_dir();
    let st = study();
    let tmp = st.tmp.path();
    let model = st.study.join("model");
    let web = tmp.join("web");
    export(&model, &web);

    // The native reference: `dlrn predict` on EVC1 and its full feature tables.
    let evc = st.sim.join("EVC1");
    let pred = tmp.join("evc1/pred.csv");
    let work = tmp.join("evc1/work");
    dlrn_ok(&[
        "predict",
        "--model",
        s(&model),
        "--cohort",
        s(&evc),
        "--out",
        s(&pred),
        "--work",
        s(&work),
    ]);
    let hc_table = work.join("handcrafted.parquet");
    let deep_table = work.join("deep.parquet");
    if !deep_table.exists() {
        // The signature kept no deep feature, so predict extracted none.
        dlrn_ok(&[
            "extract",
            "deep",
            "--cohort",
            s(&evc),
            "--out",
            s(&deep_table),
            "--seed",
            &CNN_SEED.to_string(),
        ]);
    }
    let native = features_by_id(&[&hc_table, &deep_table]);
    let handcrafted: Vec<String> = Table::read(&hc_table).unwrap().feature_names("ALN_status");
    assert_eq!(handcrafted.len(), 544);
    let mut deep_scale: BTreeMap<String, f64> = BTreeMap::new();
    for feats in native.values() {
        for (k, v) in feats.iter().filter(|(k, _)| k.starts_with("f_")) {
            let e = deep_scale.entry(k.clone()).or_default();
            *e = e.max(v.abs());
        }
    }
    assert_eq!(deep_scale.len(), 2048);
    let rows: BTreeMap<String, BTreeMap<String, String>> = read_csv(&pred)
        .into_iter()
        .map(|r| (r["id"].clone(), r))
        .collect();
    let clin = clinical_by_id(&evc);
    let ids: Vec<String> = rows.keys().cloned().collect();
    let patients = chosen(&ids, &clin);
    assert!(patients.len() >= 10, "EVC1 has only {} patients", ids.len());

    let mut page = Page::launch(&OFFLINE);
    open(&mut page, &web);
    let vars: Vec<String> = st
        .bundle
        .clinical
        .variables
        .iter()
        .map(|v| v.name.clone())
        .collect();
    let shown = controls(&mut page);
    assert_eq!(
        shown.keys().cloned().collect::<Vec<_>>(),
        {
            let mut v = vars.clone();
            v.sort();
            v
        },
        "one control per clinical variable"
    );

    let mut w_hc = Worst::default();
    let mut w_deep = Worst::default();
    let mut w_score = Worst::default();
    let mut w_p = Worst::default();
    let mut w_points = Worst::default();
    let mut w_self = Worst::default();
    let mut timings = Vec::new();
    let mut first_p = None;
    for id in &patients {
        let image = file_of(&evc, "images", id);
        let mask = file_of(&evc, "masks", id);
        choose_files(&mut page, &image, &mask);
        for v in &vars {
            set_clinical(&mut page, v, &clin[id][v]);
        }
        let out = click_predict(&mut page);
        assert_eq!(out.state, "ok", "{id}: {out:?}\n{:?}", page.console);
        assert!(
            out.states.iter().any(|s| s == "running"),
            "{id}: #status went {:?}, never `running`",
            out.states
        );
        let r = results(&mut page);
        let n = &rows[id];
        let num = |col: &str| -> f64 {
            n[col]
                .parse()
                .unwrap_or_else(|_| panic!("{id}: {col} = {:?}", n[col]))
        };
        timings.push(r.values["timing-ms"]);

        // Features.
        let feats = &native[id];
        for name in &handcrafted {
            let want = feats[name];
            let got = r
                .features
                .get(name)
                .unwrap_or_else(|| panic!("{id}: the page reports no {name}"));
            let diff = match got {
                Some(g) if want.is_finite() => (g - want).abs() / want.abs().max(1.0),
                None if !want.is_finite() => 0.0,
                _ => panic!("{id}: {name} = {got:?} on the page, {want} natively"),
            };
            w_hc.see(diff, || format!("{id} {name}"));
            assert!(
                diff <= HANDCRAFTED_TOL,
                "{id}: {name} = {got:?} on the page, {want} natively"
            );
        }
        let web_deep = r.features.keys().filter(|k| k.starts_with("f_")).count();
        assert!(
            web_deep == 0 || web_deep == 2048,
            "{id}: {web_deep} deep features"
        );
        for f in &st.bundle.signature.coefficients {
            assert!(
                r.features.contains_key(&f.feature),
                "{id}: the page reports no {} of the signature",
                f.feature
            );
        }
        for (name, got) in r.features.iter().filter(|(k, _)| k.starts_with("f_")) {
            let want = feats[name];
            let got = got.unwrap_or_else(|| panic!("{id}: {name} is null on the page"));
            let diff = (got - want).abs() / deep_scale[name].max(1e-12);
            w_deep.see(diff, || format!("{id} {name}"));
            assert!(
                diff <= DEEP_TOL,
                "{id}: {name} = {got} on the page, {want} natively (scale {})",
                deep_scale[name]
            );
        }

        // The page's arithmetic on its own features.
        let web_feats: BTreeMap<String, f64> = r
            .features
            .iter()
            .filter_map(|(k, v)| v.map(|v| (k.clone(), v)))
            .collect();
        let c = &clin[id];
        let hand = hand_p_dlrn(
            &model,
            &web_feats,
            c["age"].parse().unwrap(),
            birads_code(&c["birads"]),
            us_aln_code(&c["us_aln"]),
        );
        let d = (r.values["p-dlrn"] - hand).abs();
        w_self.see(d, || id.clone());
        assert!(
            d <= SELF_TOL,
            "{id}: p_dlrn {} vs by hand {hand}",
            r.values["p-dlrn"]
        );

        // Against `dlrn predict`: the score within the bound the features'
        // differences put on it (f64 sums of the same terms otherwise).
        let bound: f64 = st
            .bundle
            .signature
            .coefficients
            .iter()
            .map(|t| t.coefficient.abs() * (web_feats[&t.feature] - feats[&t.feature]).abs())
            .sum();
        let score_tol = bound * (1.0 + 1e-6) + 1e-12;
        let d = (r.values["signature-score"] - num("signature_score")).abs();
        w_score.see(d, || format!("{id} (bound {bound:.3e})"));
        assert!(
            d <= score_tol,
            "{id}: signature score {} vs {} (bound {bound:e})",
            r.values["signature-score"],
            num("signature_score")
        );
        let beta_signature = st
            .bundle
            .dlrn
            .columns
            .iter()
            .position(|c| c == "signature")
            .map_or(0.0, |j| st.bundle.dlrn.coefficients[j].abs());
        let points_tol = beta_signature * st.bundle.nomogram.scale * score_tol + 1e-9;
        for (el, col) in [
            ("p-dlrn", "p_dlrn"),
            ("p-clinical", "p_clinical"),
            ("p-signature", "p_signature"),
        ] {
            let d = (r.values[el] - num(col)).abs();
            w_p.see(d, || format!("{id} {col}"));
            assert!(
                d <= SCORE_TOL,
                "{id}: {col} {} vs {}",
                r.values[el],
                num(col)
            );
        }
        assert_eq!(r.values["dlrn-class"], num("dlrn_class"), "{id}: class");
        let mut names: Vec<String> = st
            .bundle
            .nomogram
            .model
            .predictors
            .iter()
            .map(|p| p.name.clone())
            .collect();
        names.sort();
        assert_eq!(r.points.keys().cloned().collect::<Vec<_>>(), names);
        for (name, got) in &r.points {
            let want = num(&format!("points_{name}"));
            let d = (got - want).abs();
            w_points.see(d, || format!("{id} points_{name}"));
            assert!(d <= points_tol, "{id}: points_{name} {got} vs {want}");
        }
        let want = num("total_points");
        let d = (r.values["total-points"] - want).abs();
        w_points.see(d, || format!("{id} total_points"));
        assert!(d <= points_tol, "{id}: total points");
        let native_warnings = unquote(&n["warnings"]);
        assert_eq!(
            r.warnings.is_empty(),
            native_warnings.is_empty(),
            "{id}: page {:?}, predict {native_warnings:?}",
            r.warnings
        );
        if r.warnings.join("; ") != native_warnings {
            eprintln!(
                "{id}: warnings worded apart: page {:?}, predict {native_warnings:?}",
                r.warnings
            );
        }
        first_p.get_or_insert((id.clone(), r.values["p-dlrn"]));
    }
    eprintln!("patients compared: {}", patients.len());
    for (what, w) in [
        ("handcrafted (relative to max(1,|x|))", &w_hc),
        ("deep (relative to the feature's scale)", &w_deep),
        ("signature score (absolute)", &w_score),
        ("probabilities (absolute)", &w_p),
        ("points (absolute)", &w_points),
        ("p_dlrn vs by hand from the page's features", &w_self),
    ] {
        eprintln!("largest difference, {what}: {:.3e} at {}", w.diff, w.at);
    }
    timings.sort_by(f64::total_cmp);
    eprintln!(
        "page timing-ms: median {:.0}, max {:.0}",
        timings[timings.len() / 2],
        timings[timings.len() - 1]
    );
    eprintln!(
        "the last patient: {}",
        page.eval("document.getElementById('timing').textContent")
    );

    // Bad inputs: a text file named .png, an empty outline.
    let (good_id, good_p) = first_p.unwrap();
    let good_image = file_of(&evc, "images", &good_id);
    let good_mask = file_of(&evc, "masks", &good_id);
    let bad = tmp.join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    let text_png = bad.join("x.png");
    std::fs::write(&text_png, "this is not an image\n").unwrap();
    let (w, h) = image::image_dimensions(&good_image).unwrap();
    let empty = bad.join("empty.png");
    image::GrayImage::new(w, h).save(&empty).unwrap();
    // The bad image alone: the error comes when the page reads it.
    page.set_files("#image-file", &[&text_png]);
    let out = wait_error(&mut page, "a text file named x.png as the image");
    let lower = out.to_lowercase();
    assert!(
        lower.contains("x.png") || lower.contains("image"),
        "the message {out:?} names neither the file nor the image"
    );
    // A mask chosen after it must not pair with the previous patient's image.
    page.set_files("#mask-file", &[&good_mask]);
    let out = click_predict(&mut page);
    eprintln!("a mask after the bad image, then predict: {out:?}");
    assert_eq!(
        out.state, "error",
        "after an unreadable image the page predicted (from the previous patient's image?): {out:?}"
    );
    // An empty outline: an error at reading the mask or at predicting.
    choose_files(&mut page, &good_image, &empty);
    let (state, text) = status(&mut page);
    let out = if state == "error" {
        Outcome {
            state,
            text,
            states: vec![],
        }
    } else {
        click_predict(&mut page)
    };
    eprintln!("an empty outline: {out:?}");
    assert_eq!(out.state, "error", "{out:?}");
    let lower = out.text.to_lowercase();
    assert!(
        ["mask", "outline", "empty", "lesion"]
            .iter()
            .any(|w| lower.contains(w)),
        "the message {:?} does not name the empty outline",
        out.text
    );
    // The page recovers: the first patient again, with its own clinical values.
    choose_files(&mut page, &good_image, &good_mask);
    for v in &vars {
        set_clinical(&mut page, v, &clin[&good_id][v]);
    }
    let out = click_predict(&mut page);
    assert_eq!(out.state, "ok", "{out:?}");
    assert_eq!(results(&mut page).values["p-dlrn"], good_p);

    // An outline drawn with the mouse on the canvas: the corners of a
    // quadrilateral inside the first patient's lesion box, then "Close
    // outline". The page's features are the library's for the vertices it
    // recorded (dlrn-web natively: ImageJ's polygon fill, the 544 features).
    let (w, h, m) = {
        let img = dlrn_cohort::load_grey(&good_image).unwrap();
        let m =
            dlrn_cohort::load_mask_for(&good_mask, (img.width, img.height), &Default::default())
                .unwrap();
        (img.width, img.height, m)
    };
    let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0, 0);
    for (i, _) in m.pixels.iter().enumerate().filter(|(_, p)| **p) {
        let (x, y) = (i % w, i / w);
        (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
    }
    let (cx, cy) = ((x0 + x1) as f64 / 2.0, (y0 + y1) as f64 / 2.0);
    let (rx, ry) = ((x1 - x0) as f64 / 3.0, (y1 - y0) as f64 / 3.0);
    let corners = [
        (cx - rx, cy),
        (cx, cy - ry),
        (cx + rx, cy),
        (cx, cy + ry * 0.8),
    ];
    let rect = page.eval(
        "(() => { const c = document.getElementById('canvas'); c.scrollIntoView(); \
         const r = c.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()",
    );
    let r: Vec<f64> = rect
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    for (x, y) in corners {
        let (px, py) = (r[0] + x * r[2] / w as f64, r[1] + y * r[3] / h as f64);
        for kind in ["mousePressed", "mouseReleased"] {
            page.call(
                "Input.dispatchMouseEvent",
                serde_json::json!({"type": kind, "x": px, "y": py, "button": "left", "clickCount": 1}),
            );
        }
    }
    page.eval("document.getElementById('outline-close').click()");
    let vertices = page.wait_for(
        "state.closed && state.outline ? state.vertices : null",
        Duration::from_secs(10),
        "the drawn outline to close",
    );
    let (xs, ys): (Vec<f64>, Vec<f64>) = vertices
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v[0].as_f64().unwrap(), v[1].as_f64().unwrap()))
        .unzip();
    assert_eq!(xs.len(), 4, "one vertex per click: {vertices}");
    for ((x, y), (ex, ey)) in xs.iter().zip(&ys).zip(corners) {
        assert!(
            (x - ex).abs() < 1.0 && (y - ey).abs() < 1.0,
            "click at ({ex}, {ey}) became ({x}, {y})"
        );
    }
    let out = click_predict(&mut page);
    assert_eq!(out.state, "ok", "{out:?}");
    let drawn = results(&mut page);
    let img = dlrn_cohort::load_grey(&good_image).unwrap();
    let outline = dlrn_web::outline_mask(&xs, &ys, (w, h)).unwrap();
    assert!(outline.area() > 0 && outline.area() < m.area());
    let native_drawn = dlrn_web::handcrafted(&img, &outline, "outline").unwrap();
    let mut worst = 0.0f64;
    for (name, want) in &native_drawn {
        let got = drawn.features[name];
        let diff = match got {
            Some(g) => (g - want).abs() / want.abs().max(1.0),
            None => {
                assert!(
                    !want.is_finite(),
                    "{name}: null on the page, {want} natively"
                );
                0.0
            }
        };
        worst = worst.max(diff);
        assert!(
            diff <= HANDCRAFTED_TOL,
            "drawn outline: {name} = {got:?} on the page, {want} natively"
        );
    }
    eprintln!(
        "drawn outline: {} corners, {} lesion pixels; largest handcrafted difference {worst:.3e}",
        xs.len(),
        outline.area()
    );

    // Another clinical schema: the page shows the bundle's own variables.
    let custom = tmp.join("custom_model");
    custom_bundle(&st.bundle).write(&custom).unwrap();
    let web2 = tmp.join("web_custom");
    export(&custom, &web2);
    open(&mut page, &web2);
    let shown = controls(&mut page);
    assert_eq!(
        shown.keys().map(String::as_str).collect::<Vec<_>>(),
        ["age", "axillary_us", "birads"]
    );
    assert_eq!(shown["age"].0, "INPUT");
    assert_eq!(shown["age"].1, "number");
    let (tag, _, options) = &shown["axillary_us"];
    assert_eq!(tag, "SELECT");
    for level in ["negative", "positive"] {
        assert!(options.iter().any(|o| o == level), "{options:?}");
    }
    assert!(
        !options.iter().any(|o| o.contains("suspicious")),
        "{options:?}"
    );
    choose_files(&mut page, &good_image, &good_mask);
    let c = &clin[&good_id];
    set_clinical(&mut page, "age", &c["age"]);
    set_clinical(&mut page, "birads", &c["birads"]);
    let axilla = if c["us_aln"] == "suspicious" {
        "positive"
    } else {
        "negative"
    };
    set_clinical(&mut page, "axillary_us", axilla);
    let out = click_predict(&mut page);
    assert_eq!(out.state, "ok", "{out:?}");
    let r = results(&mut page);
    assert_eq!(r.values["p-dlrn"], good_p, "the same model under new names");
    assert!(r.points.contains_key("axillary_us"), "{:?}", r.points);

    assert_offline(&page, &[&web, &web2]);
}
