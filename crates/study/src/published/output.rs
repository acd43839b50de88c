//! The published-signature rerun's report folder (`cargo xtask
//! published`): Table 2 and its caption, the cut-offs, the finding, the
//! authors' LASSO rerun, the hold-out LASSOs with their figures, the ROC
//! figures, index.html and manifest.json (SHA-256 of every input and of the
//! settings that decide the numbers). dlrn-report renders and writes each
//! part; the same analysis and inputs give the same bytes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dlrn_lasso::Measure;
use dlrn_report::{
    IndexPage, Item, Manifest, Provenance, ReportTable, Section, file_stem, write_csv,
    write_figure, write_table,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Analysis, LEVEL, Settings, file_name, selected_features, sha256_file, table2_display};
use crate::error::{Result, StudyError};

/// PNG pixels per SVG pixel for the report's figures.
const PNG_SCALE: u32 = 2;

/// The input files of a rerun (their names and SHA-256 go to the manifest).
#[derive(Debug, Clone)]
pub struct Inputs {
    /// The released tables scored, in the analysis' order.
    pub tables: Vec<PathBuf>,
    /// The signature file (a CSV or the authors' R script).
    pub signature: PathBuf,
    /// The authors' training table, when given.
    pub train: Option<PathBuf>,
}

/// The options that decide the numbers, hashed into the manifest and shown in the index.
#[derive(Debug, Serialize)]
struct RunSettings {
    tables: Vec<String>,
    signature: String,
    train: Option<String>,
    cutoff: Option<f64>,
    cutoff_rule: String,
    lasso: bool,
    seed: u64,
    folds: usize,
    foldid_row_mod: Option<usize>,
    measure: &'static str,
    lambda: &'static str,
    level: f64,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StudyError + '_ {
    move |source| StudyError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn json(e: serde_json::Error) -> StudyError {
    StudyError::Other(Box::new(e))
}

/// Writes `value` as pretty JSON and a newline.
fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value).map_err(json)?;
    text.push('\n');
    std::fs::write(path, text).map_err(io(path))
}

/// Writes the report folder `out` of the analysis `a` of `files` under
/// `settings`: every table (.csv and .md), figure (.svg and .png), model
/// JSON, findings.md, index.html and manifest.json.
pub fn write_report(a: &Analysis, settings: &Settings, files: &Inputs, out: &Path) -> Result<()> {
    let figures_dir = out.join("figures");
    std::fs::create_dir_all(&figures_dir).map_err(io(&figures_dir))?;
    let (cohorts, fixed, holdouts) = (&a.cohorts, &a.fixed, &a.holdouts);
    let mut outputs: Vec<String> = Vec::new();

    // The authors' own LASSO on their training table.
    let mut train_items = Vec::new();
    if let Some((r, compare, caption)) = &a.rerun {
        let path = out.join("train_lasso.json");
        write_json(&path, &r.model)?;
        write_table(compare, out, "train_lasso_features")?;
        outputs.extend([
            "train_lasso.json".to_string(),
            "train_lasso_features.csv".to_string(),
            "train_lasso_features.md".to_string(),
        ]);
        train_items.push(Item::Table {
            caption: caption.clone(),
            table: compare.display(),
            csv: Some("train_lasso_features.csv".into()),
        });
    }

    // The LASSO retrained on all tables but one: its figures, model and features.
    let mut holdout_figures = Vec::with_capacity(holdouts.len());
    for h in holdouts {
        let figures = h.write_figures(&cohorts[h.held_out].name, out)?;
        outputs.extend(
            figures
                .iter()
                .flat_map(|(svg, png)| [svg.clone(), png.clone()]),
        );
        holdout_figures.push(figures);
    }
    for h in holdouts {
        let name = &cohorts[h.held_out].name;
        let stem = format!("lasso_heldout_{}", file_stem(name));
        let path = out.join(format!("{stem}.json"));
        write_json(&path, &h.model)?;
        outputs.push(format!("{stem}.json"));
        let selected = selected_features(h);
        write_table(&selected, out, &format!("{stem}_features"))?;
        outputs.extend([
            format!("{stem}_features.csv"),
            format!("{stem}_features.md"),
        ]);
    }

    // ROC figures, one per table.
    let mut roc_items = Vec::new();
    for fig in &a.roc {
        let stem = format!("roc_{}", file_stem(&fig.title));
        write_figure(fig, &figures_dir, &stem, PNG_SCALE)?;
        let (svg, png) = (format!("figures/{stem}.svg"), format!("figures/{stem}.png"));
        roc_items.push(Item::Figure {
            caption: format!("ROC curves, {}", fig.title),
            svg: svg.clone(),
            png: Some(png.clone()),
        });
        outputs.extend([svg, png]);
    }

    // Table 2: full-precision CSV and captioned Markdown; the cut-offs; the finding.
    let table2 = &a.table2;
    write_csv(table2, &out.join("table2.csv"))?;
    let display = table2_display(table2);
    let caption = &a.caption;
    let md_path = out.join("table2.md");
    std::fs::write(&md_path, format!("{caption}\n\n{}", display.to_markdown()))
        .map_err(io(&md_path))?;
    write_table(&a.cutoffs, out, "cutoffs")?;
    let finding = &a.findings;
    let findings_path = out.join("findings.md");
    std::fs::write(
        &findings_path,
        format!(
            "# Findings: the signature's cut-offs\n\n{}\n",
            finding.join("\n\n")
        ),
    )
    .map_err(io(&findings_path))?;
    outputs.extend([
        "table2.csv".to_string(),
        "table2.md".to_string(),
        "cutoffs.csv".to_string(),
        "cutoffs.md".to_string(),
        "findings.md".to_string(),
    ]);

    // Provenance: SHA-256 of every input, the settings that decide the numbers.
    let mut inputs = BTreeMap::new();
    let mut data_hashes = Vec::new();
    let train_path = files.train.iter();
    for p in files
        .tables
        .iter()
        .chain(std::iter::once(&files.signature))
        .chain(train_path)
    {
        let name = file_name(p);
        let hash = sha256_file(p)?;
        data_hashes.push((name.clone(), hash.clone()));
        inputs.insert(name, hash);
    }
    let run_settings = RunSettings {
        tables: cohorts.iter().map(|c| c.file.clone()).collect(),
        signature: file_name(&files.signature),
        train: files.train.as_deref().map(file_name),
        cutoff: settings.cutoff,
        cutoff_rule: fixed.rule.clone(),
        lasso: settings.lasso,
        seed: settings.seed,
        folds: settings.folds,
        foldid_row_mod: settings.foldid_row_mod,
        measure: Measure::Mse.name(),
        lambda: "lambda.min",
        level: LEVEL,
    };
    let mut settings_text = serde_json::to_string_pretty(&run_settings).map_err(json)?;
    settings_text.push('\n');
    let settings_hash = hex::encode(Sha256::digest(settings_text.as_bytes()));
    let weights = "deep features f_1..f_2048 as released by the study (its fine-tuned ResNet50)";

    let mut sections = vec![Section {
        title: "Table 2: the published signature on the released tables".into(),
        items: vec![
            Item::Table {
                caption: caption.clone(),
                table: display,
                csv: Some("table2.csv".into()),
            },
            Item::Table {
                caption: "Signature cut-offs: each table's own Youden-optimal point (model \"signature\", as the paper computed its rows) and the one fixed cut-off (model \"signature_fixed\").".into(),
                table: a.cutoffs.display(),
                csv: Some("cutoffs.csv".into()),
            },
        ],
    }];
    sections.push(Section {
        title: "Finding: which cut-off reproduces the published numbers".into(),
        items: finding
            .iter()
            .map(|t| Item::Text { text: t.clone() })
            .collect(),
    });
    if !train_items.is_empty() {
        sections.push(Section {
            title: "The authors' LASSO rerun on their training table".into(),
            items: train_items,
        });
    }
    sections.push(Section {
        title: "ROC curves".into(),
        items: roc_items,
    });
    if !holdouts.is_empty() {
        let mut items = Vec::new();
        for (h, figures) in holdouts.iter().zip(&holdout_figures) {
            let name = &cohorts[h.held_out].name;
            let stem = format!("lasso_heldout_{}_features", file_stem(name));
            let selected = selected_features(h);
            items.push(Item::Table {
                caption: format!(
                    "LASSO validated on {name}: {} feature(s) selected at lambda.min = {} (intercept {})",
                    h.model.features.len(),
                    dlrn_report::format::significant(h.model.lambda, 4),
                    dlrn_report::format::significant(h.model.intercept, 4)
                ),
                table: selected.display(),
                csv: Some(format!("{stem}.csv")),
            });
            for (svg, png) in figures {
                let what = if svg.contains("lasso_path_") {
                    "coefficient paths (standardised)"
                } else {
                    "cross-validation curve (mean-squared error)"
                };
                items.push(Item::Figure {
                    caption: format!("LASSO without {name}: {what}"),
                    svg: svg.clone(),
                    png: Some(png.clone()),
                });
            }
        }
        sections.push(Section {
            title: "Hold-out LASSO".into(),
            items,
        });
    }
    let page = IndexPage {
        title: "The published DLRN signature on the released feature tables".into(),
        simulated: None,
        provenance: Provenance {
            version: env!("CARGO_PKG_VERSION").into(),
            seed: settings.seed,
            config_name: "settings (command line)".into(),
            config_text: settings_text.clone(),
            config_hash: settings_hash.clone(),
            data_hashes,
            weights: weights.into(),
            weights_hash: None,
        },
        sections,
    };
    page.write(&out.join("index.html"))?;
    outputs.push("index.html".into());

    let manifest = Manifest {
        version: env!("CARGO_PKG_VERSION").into(),
        seed: settings.seed,
        config_hash: settings_hash,
        inputs,
        weights: weights.into(),
        simulated: false,
        outputs,
    };
    manifest.write(&out.join("manifest.json"))?;

    Ok(())
}
