//! Driving the exported web page (`dlrn export-web`) in headless Chromium
//! through the page's own controls: its element ids are the contract.

#![allow(dead_code)]

pub mod cdp;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cdp::Page;
use serde_json::{Value, json};

/// The wasm-bindgen output `dlrn export-web --pkg` reads: `DLRN_WEB_PKG`,
/// else `target/web/pkg` of the workspace. Panics naming the build command
/// when it is missing.
pub fn pkg_dir() -> PathBuf {
    let dir = std::env::var_os("DLRN_WEB_PKG")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/web/pkg"));
    assert!(
        dir.is_dir(),
        "{}: no WebAssembly build of the page; run `cargo xtask web-build` first \
         (or set DLRN_WEB_PKG to its output folder)",
        dir.display()
    );
    dir
}

/// `file://` URL of a local path.
pub fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// Flags that make any network attempt fail visibly.
pub const OFFLINE: [&str; 2] = [
    "--proxy-server=127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND",
];

/// How long the page may take to load its model, or to compute one patient.
pub const PAGE_TIMEOUT: Duration = Duration::from_secs(300);

/// `#status`: its `data-state` and text.
pub fn status(page: &mut Page) -> (String, String) {
    let v = page.eval(
        "(s => s ? [s.dataset.state ?? '', s.textContent.trim()] : ['(no #status)', ''])\
         (document.getElementById('status'))",
    );
    (
        v[0].as_str().unwrap_or_default().into(),
        v[1].as_str().unwrap_or_default().into(),
    )
}

/// Opens `index.html` of an exported folder and waits until the model is loaded
/// (`data-state` idle); an error state panics with its message.
pub fn open(page: &mut Page, web: &Path) {
    page.navigate(&file_url(&web.join("index.html")));
    let state = page.wait_for(
        "(s => s && s.dataset.state !== 'loading' ? s.dataset.state : null)\
         (document.getElementById('status'))",
        PAGE_TIMEOUT,
        "the page loading its model",
    );
    let (_, text) = status(page);
    assert_eq!(
        state, "idle",
        "the page did not become ready: {text}\nconsole: {:?}",
        page.console
    );
}

/// The ids of the clinical controls (`var-…`) and for each its tag, type and option values.
pub fn controls(page: &mut Page) -> BTreeMap<String, (String, String, Vec<String>)> {
    let v = page.eval(
        "[...document.querySelectorAll('[id^=\"var-\"]')].map(e => [e.id.slice(4), e.tagName, \
         e.type ?? '', e.tagName === 'SELECT' ? [...e.options].map(o => o.value) : []])",
    );
    let mut out = BTreeMap::new();
    for c in v.as_array().expect("an array of controls") {
        let opts = c[3].as_array().unwrap().iter();
        out.insert(
            c[0].as_str().unwrap().to_string(),
            (
                c[1].as_str().unwrap().to_string(),
                c[2].as_str().unwrap().to_string(),
                opts.map(|o| o.as_str().unwrap().to_string()).collect(),
            ),
        );
    }
    out
}

/// Sets `#var-<name>` to `value` and fires its change event; panics when the
/// control is missing or (a `<select>`) has no such option.
pub fn set_clinical(page: &mut Page, name: &str, value: &str) {
    let js = format!(
        "((id, v) => {{ const e = document.getElementById(id); if (!e) return null; \
         e.value = v; e.dispatchEvent(new Event('change', {{bubbles: true}})); \
         return [e.tagName, e.value]; }})({}, {})",
        json!(format!("var-{name}")),
        json!(value)
    );
    let got = page.eval(&js);
    assert!(!got.is_null(), "the page has no control #var-{name}");
    let shown = got[1].as_str().unwrap_or_default();
    let same = match (shown.parse::<f64>(), value.parse::<f64>()) {
        (Ok(a), Ok(b)) if got[0] != "SELECT" => a == b,
        _ => shown == value,
    };
    assert!(same, "#var-{name} ({}) took {value:?} as {shown:?}", got[0]);
}

/// Chooses the image and mask files, waiting for the page to read them.
pub fn choose_files(page: &mut Page, image: &Path, mask: &Path) {
    page.set_files("#image-file", &[image]);
    page.set_files("#mask-file", &[mask]);
    // The change handlers may read the files asynchronously.
    std::thread::sleep(Duration::from_millis(200));
    page.wait_for(
        "(s => s && s.dataset.state !== 'loading' && s.dataset.state !== 'running')\
         (document.getElementById('status'))",
        PAGE_TIMEOUT,
        "the page reading the chosen files",
    );
}

/// What one click on `#predict` led to.
#[derive(Debug)]
pub struct Outcome {
    /// The final `data-state` (`ok`, `error`, or `timeout` when neither came).
    pub state: String,
    /// `#status`'s message.
    pub text: String,
    /// The states `#status` went through, the one before the click first.
    pub states: Vec<String>,
}

/// Clicks `#predict` and waits for `data-state` ok or error.
pub fn click_predict(page: &mut Page) -> Outcome {
    let ms = PAGE_TIMEOUT.as_millis();
    let js = format!(
        "new Promise(resolve => {{
  const st = document.getElementById('status');
  const states = [];
  const end = state => {{ obs.disconnect(); clearTimeout(timer);
    resolve({{state, text: st.textContent.trim(), states}}); }};
  const obs = new MutationObserver(records => {{
    for (const r of records) if (r.attributeName === 'data-state') states.push(r.oldValue);
    const s = st.dataset.state;
    if (s === 'ok' || s === 'error') {{ states.push(s); end(s); }}
  }});
  obs.observe(st, {{attributes: true, attributeOldValue: true, attributeFilter: ['data-state']}});
  const timer = setTimeout(() => end('timeout'), {ms});
  const button = document.getElementById('predict');
  if (!button) {{ end('no #predict'); return; }}
  if (button.disabled) {{ states.push(st.dataset.state); end('#predict disabled'); return; }}
  button.click();
}})"
    );
    let v = page.eval_within(&js, PAGE_TIMEOUT + Duration::from_secs(30));
    let strings = |v: &Value| v.as_str().unwrap_or_default().to_string();
    Outcome {
        state: strings(&v["state"]),
        text: strings(&v["text"]),
        states: v["states"]
            .as_array()
            .map(|a| a.iter().map(strings).collect())
            .unwrap_or_default(),
    }
}

/// The page's results after an `ok`.
#[derive(Debug)]
pub struct WebResult {
    /// `data-value` of `#p-dlrn`, `#dlrn-class`, `#signature-score`,
    /// `#p-clinical`, `#p-signature`, `#total-points`, `#timing-ms`, by id.
    pub values: BTreeMap<String, f64>,
    /// `#points-<predictor>` by predictor name.
    pub points: BTreeMap<String, f64>,
    /// `#warnings li` texts.
    pub warnings: Vec<String>,
    /// `#features` `data-json`: feature name → value (`None` for a JSON null).
    pub features: BTreeMap<String, Option<f64>>,
}

/// Reads the result elements.
pub fn results(page: &mut Page) -> WebResult {
    let v = page.eval(
        "(() => {
  const v = id => { const e = document.getElementById(id); return e ? (e.dataset.value ?? null) : null; };
  const values = {};
  for (const id of ['p-dlrn', 'dlrn-class', 'signature-score', 'p-clinical', 'p-signature',
                    'total-points', 'timing-ms']) values[id] = v(id);
  const points = {};
  for (const e of document.querySelectorAll('[id^=\"points-\"][data-value]')) points[e.id.slice(7)] = e.dataset.value ?? null;
  const warnings = [...document.querySelectorAll('#warnings li')].map(li => li.textContent.trim());
  const f = document.getElementById('features');
  return {values, points, warnings, features: f ? (f.dataset.json ?? null) : null};
})()",
    );
    let number = |what: &str, x: &Value| -> f64 {
        x.as_str()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or_else(|| panic!("{what}: data-value {x} is not a number"))
    };
    let map = |o: &Value| -> BTreeMap<String, f64> {
        o.as_object()
            .expect("an object")
            .iter()
            .map(|(k, x)| (k.clone(), number(k, x)))
            .collect()
    };
    let json = v["features"].as_str().expect("#features has no data-json");
    let parsed: serde_json::Map<String, Value> =
        serde_json::from_str(json).expect("#features data-json is a JSON object");
    WebResult {
        values: map(&v["values"]),
        points: map(&v["points"]),
        warnings: v["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap_or_default().to_string())
            .collect(),
        features: parsed
            .into_iter()
            .map(|(k, x)| {
                let n = match &x {
                    Value::Null => None,
                    Value::Number(n) => n.as_f64(),
                    other => panic!("feature {k}: {other} is not a number"),
                };
                (k, n)
            })
            .collect(),
    }
}

/// The largest difference seen for one quantity, and where.
#[derive(Debug, Default)]
pub struct Worst {
    /// The difference, in the quantity's stated measure.
    pub diff: f64,
    /// Patient and name of the worst case.
    pub at: String,
}

impl Worst {
    /// Records `diff` at `at` when it is the largest so far.
    pub fn see(&mut self, diff: f64, at: impl FnOnce() -> String) {
        if diff > self.diff || (diff.is_nan() && !self.diff.is_nan()) {
            self.diff = diff;
            self.at = at();
        }
    }
}
