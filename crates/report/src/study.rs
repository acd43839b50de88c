//! The whole report folder in one call, with the file names of issue 7:
//! index.html, table1.csv, table2.csv, table3.csv, nomogram.svg,
//! calculator.html, figures/…, manifest.json.

use std::path::{Path, PathBuf};

use dlrn_nomogram::{CalculatorOptions, FigureOptions, Nomogram};
use serde::{Deserialize, Serialize};

use crate::error::ReportError;
use crate::figures::{
    BoxFigure, CalibrationFigure, ConfusionFigure, DecisionCurveFigure, Figure, RocFigure,
    write_figure,
};
use crate::html::{IndexPage, Item, Provenance, Section};
use crate::manifest::Manifest;
use crate::supplementary::{CalibrationStats, Cutoffs, Predictions, ScreenTable};
use crate::tables::{
    Comparisons, IccTable, ReportTable, SelectedFeatures, SubtypeAucs, Table1, Table2, Table3,
};
use crate::validation::ValidationTables;

/// A figure drawn elsewhere (e.g. the LASSO path by dlrn-lasso) and linked
/// from the index; paths are relative to the report folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExternalFigure {
    /// Section it appears in (e.g. `LASSO`).
    pub section: String,
    /// Caption.
    pub caption: String,
    /// Relative SVG path.
    pub svg: String,
    /// Relative PNG path, if any.
    pub png: Option<String>,
}

/// The nomogram part of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct NomogramPart {
    /// The nomogram (dlrn-nomogram).
    pub nomogram: Nomogram,
    /// Figure layout.
    pub figure: FigureOptions,
    /// Calculator page text.
    pub calculator: CalculatorOptions,
}

/// Everything a study report shows; absent parts are left out of the page.
#[derive(Debug, Clone, PartialEq)]
pub struct StudyReport {
    /// Page title.
    pub title: String,
    /// Simulated-cohort statement (shown as a banner and footer), `None` for real data.
    pub simulated: Option<String>,
    /// Version, seed, config and input hashes, weights.
    pub provenance: Provenance,
    /// Table 1.
    pub table1: Option<Table1>,
    /// Table 2.
    pub table2: Table2,
    /// Table 3.
    pub table3: Option<Table3>,
    /// Supplementary: ICC kept counts.
    pub icc: Option<IccTable>,
    /// Supplementary: selected features.
    pub selected_features: Option<SelectedFeatures>,
    /// Supplementary: IDI, NRI, C-index.
    pub comparisons: Option<Comparisons>,
    /// Supplementary: AUC by molecular subtype.
    pub subtype_aucs: Option<SubtypeAucs>,
    /// Supplementary Table 2: the univariate screen (`supp_univariate`).
    pub screen: Option<ScreenTable>,
    /// The three models' cut-offs (`cutoffs`).
    pub cutoffs: Option<Cutoffs>,
    /// Calibration statistics per model and cohort (`calibration`).
    pub calibration_stats: Option<CalibrationStats>,
    /// Per-patient predictions of every cohort (`predictions.csv`, linked only).
    pub predictions: Option<Predictions>,
    /// ROC figures, one per cohort (`figures/roc_<title>`).
    pub roc: Vec<RocFigure>,
    /// Decision curves, one per cohort (`figures/decision_<title>`).
    pub decision_curves: Vec<DecisionCurveFigure>,
    /// Calibration, one per cohort (`figures/calibration_<title>`).
    pub calibration: Vec<CalibrationFigure>,
    /// Signature by class (`figures/signature_by_class`).
    pub signature_by_class: Option<BoxFigure>,
    /// Confusion matrices (`figures/confusion`).
    pub confusion: Option<ConfusionFigure>,
    /// Nomogram (`nomogram.svg`, `figures/nomogram.png`, `nomogram.json`, `calculator.html`).
    pub nomogram: Option<NomogramPart>,
    /// Figures drawn by other crates, linked as they are.
    pub external_figures: Vec<ExternalFigure>,
    /// val.prob's statistics, the bootstrap internal validation and the
    /// sample size (`val_prob`, `internal_validation`, `internal_calibration`,
    /// `selection_frequencies`, `sample_size`), each when present.
    pub validation: ValidationTables,
    /// PNG pixels per SVG pixel.
    pub png_scale: u32,
}

/// A file-name-safe stem: ASCII letters, digits, `-` and `_`; others become `_`.
pub fn file_stem(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ReportError + '_ {
    move |source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

struct Writer<'a> {
    dir: &'a Path,
    outputs: Vec<PathBuf>,
}

impl Writer<'_> {
    fn rel(&self, p: &Path) -> String {
        p.strip_prefix(self.dir)
            .unwrap_or(p)
            .to_string_lossy()
            .replace('\\', "/")
    }
    fn table(
        &mut self,
        t: &impl ReportTable,
        stem: &str,
        caption: &str,
    ) -> Result<Item, ReportError> {
        let files = crate::tables::write_table(t, self.dir, stem)?;
        let csv = self.rel(&files.csv);
        self.outputs.extend([files.csv, files.markdown]);
        Ok(Item::Table {
            caption: caption.into(),
            table: t.display(),
            csv: Some(csv),
        })
    }
    fn figure<F: Figure>(
        &mut self,
        f: &F,
        stem: &str,
        caption: &str,
        scale: u32,
    ) -> Result<Item, ReportError> {
        let figdir = self.dir.join("figures");
        let files = write_figure(f, &figdir, stem, scale)?;
        let item = Item::Figure {
            caption: caption.into(),
            svg: self.rel(&files.svg),
            png: Some(self.rel(&files.png)),
        };
        self.outputs.extend([files.svg, files.png]);
        Ok(item)
    }
}

impl StudyReport {
    /// Writes every part into `dir` (created if needed) plus index.html and
    /// manifest.json, and returns the manifest. Same report, same bytes.
    pub fn write(&self, dir: &Path) -> Result<Manifest, ReportError> {
        self.write_with(dir, &[], &[])
    }

    /// [`StudyReport::write`] with `extra` sections at the end of index.html
    /// and `extra_files` (already written under `dir`) in the manifest.
    pub fn write_with(
        &self,
        dir: &Path,
        extra: &[Section],
        extra_files: &[PathBuf],
    ) -> Result<Manifest, ReportError> {
        std::fs::create_dir_all(dir.join("figures")).map_err(io(dir))?;
        let mut w = Writer {
            dir,
            outputs: Vec::new(),
        };
        let s = self.png_scale.max(1);
        let mut sections = Vec::new();

        if let Some(t) = &self.table1 {
            let item = w.table(
                t,
                "table1",
                "Baseline characteristics: n (%) or mean ± sd; P across cohorts",
            )?;
            sections.push(Section {
                title: "Table 1: patient characteristics".into(),
                items: vec![item],
            });
        }
        let item = w.table(
            &self.table2,
            "table2",
            "AUC with DeLong 95% CI; accuracy, sensitivity, specificity, PPV, NPV in % with exact 95% CI; P: DeLong test against the DLRN",
        )?;
        sections.push(Section {
            title: "Table 2: diagnostic performance".into(),
            items: vec![item],
        });
        if let Some(t) = &self.table3 {
            let item = w.table(
                t,
                "table3",
                "Multivariable logistic regression: coefficient, odds ratio with 95% CI, Wald P",
            )?;
            sections.push(Section {
                title: "Table 3: clinical model".into(),
                items: vec![item],
            });
        }
        let mut perf = Vec::new();
        if let Some(t) = &self.cutoffs {
            perf.push(w.table(
                t,
                "cutoffs",
                "Probability cut-offs of the three models (a probability at or above is positive)",
            )?);
        }
        if let Some(t) = &self.calibration_stats {
            perf.push(w.table(
                t,
                "calibration",
                "Calibration: slope and calibration-in-the-large (logistic recalibration), Hosmer–Lemeshow χ² and P, Brier score",
            )?);
        }
        if let Some(t) = &self.validation.val_prob {
            perf.push(w.table(
                t,
                "val_prob",
                &format!(
                    "Validation statistics of the predicted probabilities (rms::val.prob, under its names): \
                     Intercept and Slope are fitted jointly (glm(y ~ logit(p))); CITL is \
                     calibration-in-the-large, the intercept with the slope fixed at 1 \
                     (glm(y ~ offset(logit(p)))), and Calibration slope the slope of glm(y ~ logit(p)), \
                     each with its {}% Wald CI (CalibrationCurves::val.prob.ci.2)",
                    crate::format::fixed(100.0 * t.level, 0)
                ),
            )?);
        }
        if let Some(t) = &self.predictions {
            let csv = dir.join("predictions.csv");
            crate::tables::write_csv(t, &csv)?;
            perf.push(Item::Link {
                text: format!(
                    "Per-patient signature score and probabilities of the three models ({} patients, CSV)",
                    t.rows.len()
                ),
                href: w.rel(&csv),
            });
            w.outputs.push(csv);
        }
        if !perf.is_empty() {
            sections.push(Section {
                title: "Cut-offs, calibration and predictions".into(),
                items: perf,
            });
        }
        let mut internal = Vec::new();
        if let Some(part) = &self.validation.internal {
            internal.push(Item::Text {
                text: part.summary.clone(),
            });
            internal.push(w.table(
                &part.validation,
                "internal_validation",
                "Bootstrap internal validation (rms::validate's rows): apparent (index.orig), mean on the resamples (training) and on the training cohort (test), optimism and optimism-corrected index; C = Dxy/2 + 1/2",
            )?);
            internal.push(w.table(
                &part.calibration,
                "internal_calibration",
                "Bootstrap overfitting-corrected calibration curves of the whole procedure (rms::calibrate: lowess, optimism on the same grid)",
            )?);
            internal.push(w.table(
                &part.selection,
                "selection_frequencies",
                "How often each clinical factor and feature was selected when the whole procedure was refitted on a bootstrap resample",
            )?);
        }
        if let Some(t) = &self.validation.sample_size {
            internal.push(Item::Text {
                text: t.statement.clone(),
            });
            internal.push(w.table(
                t,
                "sample_size",
                "Minimum sample size for the DLRN (pmsampsize, Riley et al. 2020): criteria 1–3 and the final n",
            )?);
        }
        if !internal.is_empty() {
            sections.push(Section {
                title: "Internal validation and sample size".into(),
                items: internal,
            });
        }
        let mut supp = Vec::new();
        if let Some(t) = &self.screen {
            supp.push(w.table(
                t,
                "supp_univariate",
                "Supplementary Table 2: univariate logistic regression of each clinical candidate (Wald P; passed: P below the screen threshold)",
            )?);
        }
        if let Some(t) = &self.icc {
            supp.push(w.table(
                t,
                "supp_icc",
                "Features kept by the ICC filter, per family: intra- and inter-observer ICC above the threshold, and kept (both)",
            )?);
            supp.push(Item::Text {
                text: format!("ICC rule: {}.", t.rule),
            });
        }
        if let Some(t) = &self.selected_features {
            supp.push(w.table(
                t,
                "supp_selected_features",
                "Features selected by the LASSO (lambda.min) and their coefficients",
            )?);
        }
        if let Some(t) = &self.comparisons {
            supp.push(w.table(
                t,
                "supp_comparisons",
                "IDI, NRI and C-index of the DLRN against the clinical model and the signature",
            )?);
        }
        if let Some(t) = &self.subtype_aucs {
            supp.push(w.table(t, "supp_subtype_auc", "AUC by molecular subtype")?);
        }
        if !supp.is_empty() {
            sections.push(Section {
                title: "Supplementary tables".into(),
                items: supp,
            });
        }

        if let Some(n) = &self.nomogram {
            let svg = dir.join("nomogram.svg");
            let png = dir.join("figures").join("nomogram.png");
            let json = dir.join("nomogram.json");
            let calc = dir.join("calculator.html");
            n.nomogram.write_svg(&svg, &n.figure)?;
            n.nomogram.write_png(&png, &n.figure)?;
            let mut text = n.nomogram.to_json()?;
            text.push('\n');
            std::fs::write(&json, text).map_err(io(&json))?;
            n.nomogram.write_calculator(&calc, &n.calculator)?;
            sections.push(Section {
                title: "Nomogram".into(),
                items: vec![
                    Item::Figure {
                        caption: "DLRN nomogram: read each predictor's points on the top scale, add them, and read the probability below the total"
                            .into(),
                        svg: w.rel(&svg),
                        png: Some(w.rel(&png)),
                    },
                    Item::Link { text: "Open the calculator (works offline in this folder)".into(), href: w.rel(&calc) },
                    Item::Link { text: "The nomogram as JSON".into(), href: w.rel(&json) },
                ],
            });
            w.outputs.extend([svg, png, json, calc]);
        }

        let mut groups: Vec<(&str, Vec<Item>)> = Vec::new();
        let mut items = Vec::new();
        for f in &self.roc {
            items.push(w.figure(
                f,
                &format!("roc_{}", file_stem(&f.title)),
                &format!("ROC curves, {}", f.title),
                s,
            )?);
        }
        groups.push(("ROC curves", items));
        let mut items = Vec::new();
        for f in &self.decision_curves {
            items.push(w.figure(
                f,
                &format!("decision_{}", file_stem(&f.title)),
                &format!("Decision curves, {}", f.title),
                s,
            )?);
        }
        groups.push(("Decision curves", items));
        let mut items = Vec::new();
        for f in &self.calibration {
            items.push(w.figure(
                f,
                &format!("calibration_{}", file_stem(&f.title)),
                &format!("Calibration, {}", f.title),
                s,
            )?);
        }
        groups.push(("Calibration curves", items));
        let mut items = Vec::new();
        if let Some(f) = &self.signature_by_class {
            items.push(w.figure(f, "signature_by_class", "The signature by ALN status", s)?);
        }
        if let Some(f) = &self.confusion {
            items.push(w.figure(f, "confusion", "Confusion matrices at the cut-off", s)?);
        }
        groups.push(("Signature and confusion matrices", items));
        for (title, items) in groups {
            if !items.is_empty() {
                sections.push(Section {
                    title: title.into(),
                    items,
                });
            }
        }
        let mut external: Vec<Section> = Vec::new();
        for f in &self.external_figures {
            let item = Item::Figure {
                caption: f.caption.clone(),
                svg: f.svg.clone(),
                png: f.png.clone(),
            };
            match external.iter_mut().find(|s| s.title == f.section) {
                Some(s) => s.items.push(item),
                None => external.push(Section {
                    title: f.section.clone(),
                    items: vec![item],
                }),
            }
        }
        sections.extend(external);
        sections.extend(extra.iter().cloned());
        w.outputs.extend(extra_files.iter().cloned());

        let page = IndexPage {
            title: self.title.clone(),
            simulated: self.simulated.clone(),
            provenance: self.provenance.clone(),
            sections,
        };
        let index = dir.join("index.html");
        page.write(&index)?;
        w.outputs.push(index);

        let p = &self.provenance;
        let mut inputs: std::collections::BTreeMap<String, String> =
            p.data_hashes.iter().cloned().collect();
        if let Some(h) = &p.weights_hash {
            inputs.insert("weights".into(), h.clone());
        }
        let manifest = Manifest {
            version: p.version.clone(),
            seed: p.seed,
            config_hash: p.config_hash.clone(),
            inputs,
            weights: p.weights.clone(),
            simulated: self.simulated.is_some(),
            outputs: w.outputs.iter().map(|o| w.rel(o)).collect(),
        };
        manifest.write(&dir.join("manifest.json"))?;
        let mut m = manifest;
        m.outputs.sort();
        Ok(m)
    }
}
