//! One standalone `calculator.html`: the nomogram's model embedded as JSON,
//! inline CSS and JavaScript, no server, network, external script or font.
//!
//! The page reads initial values from its URL query (`?age=52&birads=4B&…`,
//! codes or level labels) and writes each result into the DOM with the full
//! double in a `data-value` attribute, so a headless browser's `--dump-dom`
//! can check it against [`Nomogram::score`]. Its arithmetic is the same as
//! `score`, in the same order.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::NomogramError;
use crate::scale::{Nomogram, format_cutoff, format_tick};
use crate::theme::{PALETTE, hex};

/// Text around the calculator form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalculatorOptions {
    /// Page title and heading.
    pub title: String,
    /// A sentence under the heading (e.g. that the model was fitted on
    /// simulated cohorts and is not for clinical use); none when `None`.
    pub note: Option<String>,
}

impl Default for CalculatorOptions {
    fn default() -> Self {
        Self {
            title: "Nomogram calculator".into(),
            note: None,
        }
    }
}

/// A training-range bound for the form hint: at most 3 decimals.
fn format_hint(v: f64) -> String {
    let s = format_tick((v * 1000.0).round() / 1000.0);
    match s.strip_prefix('-') {
        Some(rest) => format!("\u{2212}{rest}"),
        None => s,
    }
}

/// Escapes text for HTML element content and attribute values (`&<>"'`).
pub fn escape_html(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

const CSS: &str = r#"
:root { --ink:#1f2328; --muted:#57606a; --line:#d0d7de; --bg:#f6f8fa; --accent:ACCENT; --high:HIGH; --low:LOW; }
* { box-sizing: border-box; }
body { margin:0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color:var(--ink); background:#fff; line-height:1.45; }
main { max-width: 880px; margin: 0 auto; padding: 28px 20px 40px; }
h1 { font-size: 1.6rem; margin: 0 0 4px; }
.note { color: var(--muted); margin: 0 0 20px; }
.grid { display:grid; grid-template-columns: minmax(0,1fr) minmax(0,1fr); gap: 24px; }
@media (max-width: 720px) { .grid { grid-template-columns: 1fr; } }
fieldset { border:1px solid var(--line); border-radius:10px; padding: 14px 18px 18px; margin:0; }
legend { font-weight:600; padding: 0 6px; }
.field { margin-top: 12px; }
label { display:block; font-weight:600; margin-bottom:4px; }
.hint { display:block; color:var(--muted); font-size:.85rem; font-weight:400; }
input, select { width:100%; font: inherit; padding: 8px 10px; border:1px solid #8c959f; border-radius:6px; background:#fff; color:var(--ink); }
input:focus, select:focus { outline: 3px solid color-mix(in srgb, var(--accent) 45%, transparent); outline-offset: 1px; border-color: var(--accent); }
.warn { color: #9a3412; font-size:.85rem; min-height:1.2em; margin: 2px 0 0; }
.card { border:1px solid var(--line); border-radius:10px; padding: 14px 18px 18px; background: var(--bg); margin-top: 11px; }
.card h2 { font-size: 1.05rem; margin: 0 0 10px; }
table { width:100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { text-align:left; padding: 5px 4px; border-bottom: 1px solid var(--line); }
td.num { text-align:right; }
tfoot th, tfoot td { font-weight:700; border-bottom: none; }
.big { font-size: 2.2rem; font-weight: 700; font-variant-numeric: tabular-nums; margin: 12px 0 2px; }
.gauge { position:relative; height: 14px; border-radius: 7px; background: linear-gradient(90deg, var(--low) 0%, var(--low) CUT%, var(--high) CUT%, var(--high) 100%); opacity:.85; margin: 10px 0 4px; }
.gauge .mark { position:absolute; top:-5px; width: 4px; height: 24px; margin-left:-2px; background: var(--ink); border-radius: 2px; }
.scale { display:flex; justify-content: space-between; color:var(--muted); font-size:.8rem; }
.badge { display:inline-block; padding: 3px 12px; border-radius: 999px; font-weight:700; color:#fff; }
.badge.high { background: var(--high); } .badge.low { background: var(--low); }
#status { color: var(--muted); margin: 10px 0 0; }
footer { color: var(--muted); font-size: .85rem; margin-top: 28px; }
"#;

const JS: &str = r#"
(function () {
  "use strict";
  var nom = JSON.parse(document.getElementById("model").textContent);
  var preds = nom.model.predictors;
  var params = new URLSearchParams(window.location.search);
  function input(p) { return document.getElementById("in-" + p.name); }
  function parseValue(p, raw) {
    if (raw === null || raw === undefined || String(raw).trim() === "") return null;
    raw = String(raw).trim();
    if (p.kind.type === "levels") {
      // A level's label or code as typed, in any case (II, ii or 2).
      var low = raw.toLowerCase();
      for (var i = 0; i < p.kind.levels.length; i++) {
        var l = p.kind.levels[i];
        if (String(l.label).toLowerCase() === low || String(l.code) === raw || Number(raw) === l.code) return l.code;
      }
      return NaN;
    }
    var v = Number(raw);
    return isFinite(v) ? v : NaN;
  }
  function fmt(x, d) { return x.toFixed(d); }
  function round3(x) { return String(Number(x.toFixed(3))).replace(/^-/, "\u2212"); }
  function setOut(id, value, text) {
    var el = document.getElementById(id);
    el.setAttribute("data-value", String(value));
    el.textContent = text;
  }
  function clear() {
    ["total-points", "linear-predictor", "probability", "risk-group"].forEach(function (id) {
      var el = document.getElementById(id); el.removeAttribute("data-value"); el.textContent = "\u2014";
    });
    preds.forEach(function (p) { var el = document.getElementById("points-" + p.name); el.removeAttribute("data-value"); el.textContent = "\u2014"; });
    document.getElementById("gauge-mark").hidden = true;
  }
  function update() {
    var lp = nom.model.intercept, total = 0, missing = [], bad = [];
    var pts = [];
    preds.forEach(function (p, j) {
      var v = parseValue(p, input(p).value);
      var warn = document.getElementById("warn-" + p.name);
      warn.textContent = "";
      if (v === null) { missing.push(p.label); return; }
      if (isNaN(v)) { bad.push(p.label); warn.textContent = "Not a valid value."; return; }
      if (p.kind.type === "continuous" && (v < p.kind.low || v > p.kind.high)) {
        warn.textContent = "Outside the training range (" + round3(p.kind.low) + " to " + round3(p.kind.high) + "); the estimate extrapolates.";
      }
      var xb = p.coefficient * v;
      lp += xb;
      var q = (xb - nom.axes[j].min_xbeta) * nom.scale;
      total += q;
      pts.push([p, q]);
    });
    var status = document.getElementById("status");
    if (missing.length || bad.length) {
      clear();
      status.setAttribute("data-state", bad.length ? "error" : "incomplete");
      status.textContent = bad.length ? "Check: " + bad.join(", ") + "." : "Enter: " + missing.join(", ") + ".";
      return;
    }
    pts.forEach(function (e) { setOut("points-" + e[0].name, e[1], fmt(e[1], 1)); });
    var prob = 1 / (1 + Math.exp(-lp));
    setOut("total-points", total, fmt(total, 1));
    setOut("linear-predictor", lp, fmt(lp, 3));
    setOut("probability", prob, fmt(100 * prob, 1) + "%");
    var mark = document.getElementById("gauge-mark");
    mark.hidden = false; mark.style.left = (100 * prob) + "%";
    var cut = nom.options.cutoff;
    var rg = document.getElementById("risk-group");
    if (cut !== undefined && cut !== null) {
      var high = prob >= cut;
      setOut("risk-group", high ? "high" : "low", high ? "High risk" : "Low risk");
      rg.className = "badge " + (high ? "high" : "low");
    }
    status.setAttribute("data-state", "ok");
    status.textContent = "Computed from the embedded model.";
  }
  preds.forEach(function (p) {
    var el = input(p);
    var q = params.get(p.name);
    if (q !== null) {
      if (p.kind.type === "levels") {
        var c = parseValue(p, q);
        if (c !== null && !isNaN(c)) el.value = String(c);
      } else { el.value = q; }
    }
    el.addEventListener("input", update);
    el.addEventListener("change", update);
  });
  document.getElementById("form").addEventListener("submit", function (e) { e.preventDefault(); update(); });
  update();
})();
"#;

impl Nomogram {
    /// The calculator page as one HTML string (see the module docs).
    pub fn calculator_html(&self, opts: &CalculatorOptions) -> Result<String, NomogramError> {
        let json = serde_json::to_string(self)
            .map_err(|source| NomogramError::Json {
                context: "calculator model".into(),
                source,
            })?
            .replace("</", "<\\/");
        let cut = self.options.cutoff;
        let css = CSS
            .replace("ACCENT", &hex(PALETTE[0]))
            .replace("HIGH", &hex(PALETTE[1]))
            .replace("LOW", &hex(PALETTE[0]))
            .replace("CUT", &format_tick(100.0 * cut.unwrap_or(1.0)));
        let mut fields = String::new();
        let mut rows = String::new();
        for p in &self.model.predictors {
            let id = escape_html(&p.name);
            let label = escape_html(&p.label);
            match &p.kind {
                crate::model::PredictorKind::Continuous {
                    low, high, unit, ..
                } => {
                    let unit = unit
                        .as_deref()
                        .map(|u| format!(" ({})", escape_html(u)))
                        .unwrap_or_default();
                    fields.push_str(&format!(
                        "<div class=\"field\"><label for=\"in-{id}\">{label}<span class=\"hint\">training range {} to {}{unit}</span></label>\
<input id=\"in-{id}\" name=\"{id}\" type=\"number\" step=\"any\" inputmode=\"decimal\" aria-describedby=\"warn-{id}\">\
<p class=\"warn\" id=\"warn-{id}\" role=\"status\"></p></div>\n",
                        format_hint(*low),
                        format_hint(*high)
                    ));
                }
                crate::model::PredictorKind::Levels { levels } => {
                    let mut opts_html = String::from("<option value=\"\">Choose…</option>");
                    for l in levels {
                        opts_html.push_str(&format!(
                            "<option value=\"{}\">{}</option>",
                            format_tick(l.code),
                            escape_html(&l.label)
                        ));
                    }
                    fields.push_str(&format!(
                        "<div class=\"field\"><label for=\"in-{id}\">{label}</label>\
<select id=\"in-{id}\" name=\"{id}\" aria-describedby=\"warn-{id}\">{opts_html}</select>\
<p class=\"warn\" id=\"warn-{id}\" role=\"status\"></p></div>\n"
                    ));
                }
            }
            rows.push_str(&format!("<tr><th scope=\"row\">{label}</th><td class=\"num\" id=\"points-{id}\">—</td></tr>\n"));
        }
        let note = opts
            .note
            .as_deref()
            .map(|n| format!("<p class=\"note\">{}</p>", escape_html(n)))
            .unwrap_or_default();
        let cut_html = match cut {
            Some(c) => format!(
                "<p>Risk group at the cut-off {}: <output id=\"risk-group\" class=\"badge\">—</output></p>",
                format_cutoff(c)
            ),
            None => "<p hidden><output id=\"risk-group\">—</output></p>".to_string(),
        };
        let title = escape_html(&opts.title);
        let outcome = escape_html(&self.options.outcome_label);
        Ok(format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n\
<title>{title}</title>\n<style>{css}</style>\n</head>\n<body>\n<main>\n<h1>{title}</h1>\n{note}\n\
<form id=\"form\" class=\"grid\" novalidate>\n<fieldset>\n<legend>Patient</legend>\n{fields}</fieldset>\n\
<section class=\"card\" aria-live=\"polite\" aria-labelledby=\"result-h\">\n<h2 id=\"result-h\">Result</h2>\n\
<table><thead><tr><th scope=\"col\">Predictor</th><th scope=\"col\" class=\"num\">Points</th></tr></thead>\n<tbody>\n{rows}</tbody>\n\
<tfoot><tr><th scope=\"row\">Total points</th><td class=\"num\"><output id=\"total-points\">—</output></td></tr>\n\
<tr><th scope=\"row\">Linear predictor</th><td class=\"num\"><output id=\"linear-predictor\">—</output></td></tr></tfoot></table>\n\
<p class=\"big\"><output id=\"probability\" aria-label=\"{outcome}\">—</output></p>\n<p class=\"hint\">{outcome}</p>\n\
<div class=\"gauge\" aria-hidden=\"true\"><div class=\"mark\" id=\"gauge-mark\" hidden></div></div>\n\
<div class=\"scale\" aria-hidden=\"true\"><span>0%</span><span>50%</span><span>100%</span></div>\n\
{cut_html}\n<p id=\"status\" data-state=\"incomplete\">Enter the patient's values.</p>\n</section>\n</form>\n\
<footer>Points as in the printed nomogram: each predictor's points, summed, map to the probability through the logistic model. \
Runs entirely in this page; nothing is sent anywhere.</footer>\n</main>\n\
<script type=\"application/json\" id=\"model\">{json}</script>\n<script>{JS}</script>\n</body>\n</html>\n"
        ))
    }

    /// Writes [`Nomogram::calculator_html`] to `path`.
    pub fn write_calculator(
        &self,
        path: &Path,
        opts: &CalculatorOptions,
    ) -> Result<(), NomogramError> {
        let html = self.calculator_html(opts)?;
        std::fs::write(path, html).map_err(|source| NomogramError::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}
