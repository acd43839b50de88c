//! The report parts beyond [`StudyReport`], written in one call: Table 1
//! with the paper's tests, the radiologists' rows of Table 2, Supplementary
//! Table 4, the rescue counts and the kappa tables (when any cohort has
//! reads), Supplementary Table 6, the clinical model per cohort and the
//! TRIPOD+AI / RQS checklist page. The caller computes every table; this
//! module writes them and returns the index sections that link them, so
//! index.html shows them beside the study's own tables.

use std::path::{Path, PathBuf};

use crate::checklist::{Artefact, Checklist, Outputs, RQS_MAX, RqsFacts};
use crate::error::ReportError;
use crate::html::{Item, Section};
use crate::readers::{KappaTable, RescueTable};
use crate::study::{StudyReport, file_stem};
use crate::supplementary::{ClinicalByCohort, Reproducibility};
use crate::table1_tests::Table1Tests;
use crate::tables::{ReportTable, Table2, write_table};

/// The radiologists' tables, present when any cohort has a readers.csv.
#[derive(Debug, Clone)]
pub struct RadiologistPages {
    /// Table 2's "Pooled radiologists" rows.
    pub pooled: Table2,
    /// Supplementary Table 4: each radiologist.
    pub per_reader: Table2,
    /// The rescue counts.
    pub rescue: RescueTable,
    /// The kappa table of each cohort with reads, by cohort name, in order.
    pub kappa: Vec<(String, KappaTable)>,
}

/// Everything the supplement shows, computed by the caller.
#[derive(Debug, Clone)]
pub struct SupplementPages<'a> {
    /// Checklist page title.
    pub title: String,
    /// The simulated-data statement, when the cohorts are simulated.
    pub simulated: Option<String>,
    /// Table 1 with the tests.
    pub table1: Table1Tests,
    /// The radiologists' tables, when any cohort has reads.
    pub radiologists: Option<RadiologistPages>,
    /// Supplementary Table 6, the DLRN's reproducibility, when computed.
    pub reproducibility: Option<&'a Reproducibility>,
    /// The clinical model refitted in each cohort, when computed.
    pub clinical_by_cohort: Option<&'a ClinicalByCohort>,
    /// What the run did, for the RQS (`gold_standard` is set from whether
    /// there are radiologists' tables).
    pub rqs: RqsFacts,
    /// The study report's own outputs, for the checklist's links ([`study_outputs`]).
    pub outputs: Outputs,
    /// TRIPOD+AI item 11's answer (the stated missing-value rule and its
    /// counts), linked to `missing_data.md`, when the run wrote that table.
    pub missing_data: Option<String>,
}

/// What [`SupplementPages::write`] wrote and the index sections linking it.
#[derive(Debug, Clone)]
pub struct Supplement {
    /// Sections for index.html, in order.
    pub sections: Vec<Section>,
    /// Every file written (absolute paths under the report folder).
    pub files: Vec<PathBuf>,
    /// RQS total.
    pub rqs_total: i32,
}

/// The links (relative to the report folder) of the outputs `report` writes
/// with [`StudyReport::write`], and of the model bundle folder if any.
pub fn study_outputs(report: &StudyReport, bundle: Option<&str>) -> Outputs {
    let mut o = Outputs::new();
    o.insert(Artefact::Index, "index.html".into());
    o.insert(Artefact::Config, "index.html".into());
    o.insert(Artefact::Manifest, "manifest.json".into());
    o.insert(Artefact::Table2, "table2.csv".into());
    let mut put = |present: bool, a: Artefact, href: &str| {
        if present {
            o.insert(a, href.into());
        }
    };
    put(report.table1.is_some(), Artefact::Table1, "table1.csv");
    put(report.table3.is_some(), Artefact::Table3, "table3.csv");
    put(report.icc.is_some(), Artefact::Icc, "supp_icc.csv");
    put(
        report.selected_features.is_some(),
        Artefact::SelectedFeatures,
        "supp_selected_features.csv",
    );
    put(
        report.comparisons.is_some(),
        Artefact::Comparisons,
        "supp_comparisons.csv",
    );
    put(
        report.subtype_aucs.is_some(),
        Artefact::Subgroups,
        "supp_subtype_auc.csv",
    );
    put(
        report.screen.is_some(),
        Artefact::Screen,
        "supp_univariate.csv",
    );
    put(report.cutoffs.is_some(), Artefact::Cutoffs, "cutoffs.csv");
    put(
        report.calibration_stats.is_some(),
        Artefact::Calibration,
        "calibration.csv",
    );
    put(
        report.validation.internal.is_some(),
        Artefact::InternalValidation,
        "internal_validation.csv",
    );
    put(
        report.validation.sample_size.is_some(),
        Artefact::SampleSize,
        "sample_size.csv",
    );
    put(
        report.predictions.is_some(),
        Artefact::Predictions,
        "predictions.csv",
    );
    if let Some(f) = report.roc.first() {
        o.insert(
            Artefact::Roc,
            format!("figures/roc_{}.svg", file_stem(&f.title)),
        );
    }
    if let Some(f) = report.decision_curves.first() {
        o.insert(
            Artefact::DecisionCurve,
            format!("figures/decision_{}.svg", file_stem(&f.title)),
        );
    }
    if report.nomogram.is_some() {
        o.insert(Artefact::Nomogram, "nomogram.svg".into());
        o.insert(Artefact::Calculator, "calculator.html".into());
    }
    if let Some(b) = bundle {
        o.insert(Artefact::Bundle, b.into());
    }
    o
}

struct Out<'a> {
    dir: &'a Path,
    files: Vec<PathBuf>,
}

impl Out<'_> {
    fn item(
        &mut self,
        t: &impl ReportTable,
        stem: &str,
        caption: &str,
    ) -> Result<Item, ReportError> {
        let files = write_table(t, self.dir, stem)?;
        self.files.extend([files.csv, files.markdown]);
        Ok(Item::Table {
            caption: caption.into(),
            table: t.display(),
            csv: Some(format!("{stem}.csv")),
        })
    }
}

impl SupplementPages<'_> {
    /// Writes the supplement into `dir` (the report folder): `table1_tests`,
    /// `table2_radiologists`, `supp_table4_radiologists`, `rescue`,
    /// `kappa_<cohort>`, `supp_table6_reproducibility`,
    /// `table_clinical_by_cohort` (each .csv + .md, those present),
    /// `checklist.html`, `tripod_ai` and `rqs`.
    pub fn write(&self, dir: &Path) -> Result<Supplement, ReportError> {
        let mut out = Out {
            dir,
            files: Vec::new(),
        };
        let mut sections = Vec::new();
        let mut outputs = self.outputs.clone();

        // Table 1 with the tests.
        let t1 = &self.table1;
        let files = t1.write(dir, "table1_tests")?;
        out.files.extend([files.csv, files.markdown]);
        outputs.insert(Artefact::Table1, "table1_tests.csv".into());
        sections.push(Section {
            title: "Table 1 with tests".into(),
            items: vec![
                Item::Table {
                    caption: "Baseline characteristics, with P across all cohorts and of the training cohort against each validation cohort".into(),
                    table: t1.display(),
                    csv: Some("table1_tests.csv".into()),
                },
                Item::Text {
                    text: t1.footnote.clone(),
                },
            ],
        });

        // The radiologists.
        if let Some(r) = &self.radiologists {
            let items = vec![
                out.item(
                    &r.pooled,
                    "table2_radiologists",
                    "Table 2, radiologists: the pooled consensus (majority of the readers' calls) per cohort and over all reader cohorts; DeLong P against the DLRN on the same patients",
                )?,
                out.item(
                    &r.per_reader,
                    "supp_table4_radiologists",
                    "Supplementary Table 4: each radiologist; DeLong P against the DLRN",
                )?,
                out.item(
                    &r.rescue,
                    "rescue",
                    "The DLRN on the radiologists' false positives (called negative) and on the US-ALN-negative metastases (called positive), at its cut-off",
                )?,
            ];
            outputs.insert(Artefact::Radiologists, "table2_radiologists.csv".into());
            outputs.insert(Artefact::Rescue, "rescue.csv".into());
            let mut kappa_items = Vec::new();
            for (name, k) in &r.kappa {
                let stem = format!("kappa_{}", file_stem(name));
                let files = k.write(dir, &stem)?;
                out.files.extend([files.csv, files.markdown]);
                outputs
                    .entry(Artefact::Kappa)
                    .or_insert_with(|| format!("{stem}.csv"));
                kappa_items.push(Item::Table {
                    caption: format!(
                        "Inter- and intra-observer agreement, {name} (Cohen's kappa, Landis–Koch)"
                    ),
                    table: k.display(),
                    csv: Some(format!("{stem}.csv")),
                });
                kappa_items.extend(k.notes.iter().map(|n| Item::Text {
                    text: format!("{name}: {n}."),
                }));
            }
            sections.push(Section {
                title: "Radiologists".into(),
                items,
            });
            sections.push(Section {
                title: "Observer agreement".into(),
                items: kappa_items,
            });
        }

        // The DLRN's reproducibility and the clinical model in each cohort.
        if let Some(t) = self.reproducibility {
            let mut items = vec![out.item(
                t,
                "supp_table6_reproducibility",
                "Supplementary Table 6: reproducibility of the signature score and the DLRN probability \
                 across the outlines of the re-outlined subset (frozen models; psych::ICC with its CI)",
            )?];
            items.extend(
                t.rows
                    .iter()
                    .filter(|r| !r.note.is_empty())
                    .map(|r| Item::Text {
                        text: format!("{}: {}.", r.quantity, r.note),
                    }),
            );
            outputs.insert(
                Artefact::Reproducibility,
                "supp_table6_reproducibility.csv".into(),
            );
            sections.push(Section {
                title: "DLRN reproducibility".into(),
                items,
            });
        }
        if let Some(t) = self.clinical_by_cohort {
            let item = out.item(
                t,
                "table_clinical_by_cohort",
                "The clinical model refitted in each cohort: odds ratio with 95% CI and Wald P per factor",
            )?;
            outputs.insert(
                Artefact::ClinicalByCohort,
                "table_clinical_by_cohort.csv".into(),
            );
            sections.push(Section {
                title: "Clinical model in each cohort".into(),
                items: vec![
                    item,
                    Item::Text {
                        text: t.note.clone(),
                    },
                ],
            });
        }

        // The checklist page.
        // RQS 13: the comparison with the radiologists exists only where they read.
        let facts = RqsFacts {
            gold_standard: self.radiologists.is_some(),
            ..self.rqs.clone()
        };
        let mut checklist = Checklist::new(&self.title, self.simulated.clone(), &outputs, &facts);
        // TRIPOD+AI 11: the stated missing-value rule and its counts.
        if let Some(note) = &self.missing_data
            && let Some(row) = checklist.tripod.rows.iter_mut().find(|r| r.item == "11")
        {
            row.note = format!("{note} Reasons for missingness are the authors'.");
            row.links
                .push(("Missing data".into(), "missing_data.md".into()));
        }
        let files = checklist.write(dir)?;
        out.files.extend([
            files.html,
            files.tripod.csv,
            files.tripod.markdown,
            files.rqs.csv,
            files.rqs.markdown,
        ]);
        sections.push(Section {
            title: "Reporting checklist".into(),
            items: vec![Item::Link {
                text: format!(
                    "TRIPOD+AI and the Radiomics Quality Score ({} / {RQS_MAX})",
                    checklist.rqs.total
                ),
                href: "checklist.html".into(),
            }],
        });
        Ok(Supplement {
            sections,
            files: out.files,
            rqs_total: checklist.rqs.total,
        })
    }
}
