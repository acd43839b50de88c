//! index.html: every table and figure of a report with its provenance, and a
//! plain statement when the cohorts are simulated. No external resources.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::ReportError;
use crate::format::escape;
use crate::tables::TextTable;

/// Where the numbers came from, shown at the top of the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// dlrn version that made the report.
    pub version: String,
    /// Seed of the run.
    pub seed: u64,
    /// Config file name.
    pub config_name: String,
    /// Config file text, shown verbatim in a collapsible block.
    pub config_text: String,
    /// SHA-256 of the config.
    pub config_hash: String,
    /// (input name, SHA-256) of the data, in display order.
    pub data_hashes: Vec<(String, String)>,
    /// Which weights made the deep features (e.g. "seeded random init, seed 7").
    pub weights: String,
    /// SHA-256 of the weights file, if there is one.
    pub weights_hash: Option<String>,
}

/// One item of a section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Item {
    /// A rounded table, with a link to its full-precision CSV.
    Table {
        /// Caption above the table.
        caption: String,
        /// The rounded table.
        table: TextTable,
        /// Relative link to the CSV, if any.
        csv: Option<String>,
    },
    /// A figure shown from a relative SVG link, with a PNG link.
    Figure {
        /// Caption under the figure.
        caption: String,
        /// Relative path of the SVG.
        svg: String,
        /// Relative path of the PNG, if any.
        png: Option<String>,
    },
    /// A paragraph of text.
    Text {
        /// The text.
        text: String,
    },
    /// A link (e.g. to calculator.html).
    Link {
        /// Link text.
        text: String,
        /// Relative target.
        href: String,
    },
}

/// A titled section of the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// Heading.
    pub title: String,
    /// Items in order.
    pub items: Vec<Item>,
}

/// The whole page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexPage {
    /// Page title and heading.
    pub title: String,
    /// When the cohorts are simulated, the statement shown in a banner at the
    /// top of the page (the caller's wording); `None` for real cohorts.
    pub simulated: Option<String>,
    /// Provenance block.
    pub provenance: Provenance,
    /// Sections in order.
    pub sections: Vec<Section>,
}

pub(crate) const CSS: &str = r#"
* { box-sizing: border-box; }
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1f2328; line-height: 1.5; background: #fff; }
main { max-width: 1260px; margin: 0 auto; padding: 24px 24px 48px; }
h1 { font-size: 1.8rem; margin: 0 0 8px; }
h2 { font-size: 1.3rem; margin: 36px 0 12px; padding-bottom: 6px; border-bottom: 2px solid #d0d7de; }
.banner { border-left: 6px solid #D55E00; background: #fff4ec; padding: 12px 16px; margin: 12px 0 20px; font-weight: 600; }
.prov { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; font-size: .92rem; background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 8px; padding: 12px 16px; }
.prov dt { font-weight: 600; } .prov dd { margin: 0; font-family: ui-monospace, "DejaVu Sans Mono", monospace; word-break: break-all; }
details { margin: 10px 0; } summary { cursor: pointer; font-weight: 600; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 8px; padding: 12px; overflow-x: auto; font-size: .85rem; }
table { border-collapse: collapse; margin: 8px 0 4px; font-variant-numeric: tabular-nums; font-size: .92rem; }
caption { caption-side: top; text-align: left; font-weight: 600; padding-bottom: 6px; }
th, td { padding: 6px 10px; border-bottom: 1px solid #d0d7de; text-align: left; white-space: nowrap; }
thead th { border-bottom: 2px solid #57606a; }
tbody tr:nth-child(even) { background: #f6f8fa; }
.tablewrap { overflow-x: auto; }
.csv { font-size: .85rem; color: #57606a; margin: 0 0 18px; }
figure { display: inline-block; margin: 10px 12px 16px 0; vertical-align: top; max-width: 100%; }
figure img { max-width: 100%; height: auto; border: 1px solid #eaeef2; border-radius: 6px; }
figcaption { font-size: .9rem; color: #57606a; margin-top: 4px; }
a { color: #0072B2; }
footer { margin-top: 40px; color: #57606a; font-size: .85rem; }
"#;

impl IndexPage {
    /// The page as HTML. Deterministic: the same page gives the same bytes.
    pub fn to_html(&self) -> String {
        let e = escape;
        let mut o = String::new();
        o.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        o.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        o.push_str(&format!(
            "<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n",
            e(&self.title)
        ));
        o.push_str(&format!("<h1>{}</h1>\n", e(&self.title)));
        if let Some(s) = &self.simulated {
            o.push_str(&format!("<p class=\"banner\" role=\"note\">{}</p>\n", e(s)));
        }
        let p = &self.provenance;
        o.push_str("<dl class=\"prov\">\n");
        let mut kv =
            |k: &str, v: &str| o.push_str(&format!("<dt>{}</dt><dd>{}</dd>\n", e(k), e(v)));
        kv("dlrn version", &p.version);
        kv("seed", &p.seed.to_string());
        kv(
            &format!("config {}", p.config_name),
            &format!("sha256 {}", p.config_hash),
        );
        for (name, hash) in &p.data_hashes {
            kv(name, &format!("sha256 {hash}"));
        }
        kv("deep-feature weights", &p.weights);
        if let Some(h) = &p.weights_hash {
            kv("weights file", &format!("sha256 {h}"));
        }
        o.push_str("</dl>\n");
        o.push_str(&format!(
            "<details><summary>Configuration ({})</summary>\n<pre>{}</pre>\n</details>\n",
            e(&p.config_name),
            e(&p.config_text)
        ));
        o.push_str("<nav aria-label=\"Contents\"><ul>\n");
        for (i, s) in self.sections.iter().enumerate() {
            o.push_str(&format!(
                "<li><a href=\"#s{}\">{}</a></li>\n",
                i + 1,
                e(&s.title)
            ));
        }
        o.push_str("</ul></nav>\n");
        for (i, s) in self.sections.iter().enumerate() {
            o.push_str(&format!(
                "<section id=\"s{}\">\n<h2>{}</h2>\n",
                i + 1,
                e(&s.title)
            ));
            for item in &s.items {
                match item {
                    Item::Table {
                        caption,
                        table,
                        csv,
                    } => {
                        o.push_str("<div class=\"tablewrap\">\n");
                        o.push_str(&table.to_html(caption));
                        o.push_str("</div>\n");
                        if let Some(c) = csv {
                            o.push_str(&format!(
                                "<p class=\"csv\">Full precision: <a href=\"{}\">{}</a></p>\n",
                                e(c),
                                e(c)
                            ));
                        }
                    }
                    Item::Figure { caption, svg, png } => {
                        o.push_str(&format!(
                            "<figure>\n<img src=\"{}\" alt=\"{}\">\n<figcaption>{}",
                            e(svg),
                            e(caption),
                            e(caption)
                        ));
                        if let Some(png) = png {
                            o.push_str(&format!(" (<a href=\"{}\">PNG</a>)", e(png)));
                        }
                        o.push_str("</figcaption>\n</figure>\n");
                    }
                    Item::Text { text } => o.push_str(&format!("<p>{}</p>\n", e(text))),
                    Item::Link { text, href } => {
                        o.push_str(&format!("<p><a href=\"{}\">{}</a></p>\n", e(href), e(text)))
                    }
                }
            }
            o.push_str("</section>\n");
        }
        if let Some(s) = &self.simulated {
            o.push_str(&format!("<footer>{}</footer>\n", e(s)));
        }
        o.push_str("</main>\n</body>\n</html>\n");
        o
    }

    /// Writes the page to `path`.
    pub fn write(&self, path: &Path) -> Result<(), ReportError> {
        std::fs::write(path, self.to_html()).map_err(|source| ReportError::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}
