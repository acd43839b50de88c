//! The report parts beyond [`dlrn_report::StudyReport`], written in one call
//! by the study driver: Table 1 with the paper's tests
//! ([`crate::baseline`]), the radiologists' rows of Table 2, Supplementary
//! Table 4, the rescue counts and the kappa tables
//! ([`crate::readers_report`]) for every cohort with a readers.csv, and the
//! TRIPOD+AI / RQS checklist page. It returns the index sections that link
//! them, so index.html shows them beside the study's own tables.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dlrn_cohort::schema::{ClinicalData, ClinicalSchema, VariableColumn, VariableKind};
use dlrn_cohort::{READERS_FILE, Readers, read_readers};
use dlrn_report::{
    self as report, Artefact, Checklist, Item, Outputs, RQS_MAX, ReportTable, RqsFacts, Section,
    StudyReport, Table2, file_stem,
};

use crate::agreement::agreement_tables;
use crate::baseline::baseline_table;
use crate::error::{Result, StudyError};
use crate::readers_report::{KappaTable, ReaderCohort, radiologist_tables};
use crate::table1::CohortClinical;

/// One cohort of the study, as the supplement needs it.
#[derive(Debug, Clone, Copy)]
pub struct SupplementCohort<'a> {
    /// Cohort name (TC, EVC1, …); the first cohort is the training cohort.
    pub name: &'a str,
    /// The cohort folder (its readers.csv is read when present).
    pub dir: &'a Path,
    /// Patient ids, aligned with `labels`, `clinical` and `dlrn`.
    pub ids: &'a [String],
    /// ALN status per patient.
    pub labels: &'a [u8],
    /// The clinical table, rows aligned with `ids`.
    pub clinical: &'a ClinicalData,
    /// The DLRN probability per patient.
    pub dlrn: &'a [f64],
}

/// Everything the supplement is built from.
#[derive(Debug, Clone)]
pub struct SupplementInputs<'a> {
    /// Checklist page title.
    pub title: String,
    /// The simulated-data statement, when the cohorts are simulated.
    pub simulated: Option<String>,
    /// The clinical schema.
    pub schema: &'a ClinicalSchema,
    /// The cohorts, training first.
    pub cohorts: Vec<SupplementCohort<'a>>,
    /// Table 1's variables, in order.
    pub variables: &'a [String],
    /// The DLRN's cut-off (positive when probability ≥ cut-off).
    pub dlrn_cutoff: f64,
    /// Confidence level.
    pub level: f64,
    /// What the run did, for the RQS (`gold_standard` is set from whether
    /// any cohort has a readers.csv).
    pub rqs: RqsFacts,
    /// The study report's own outputs, for the checklist's links ([`study_outputs`]).
    pub outputs: Outputs,
    /// Supplementary Table 6, the DLRN's reproducibility over the re-outlines
    /// ([`crate::reproducibility::dlrn_reproducibility`]), when computed.
    pub reproducibility: Option<&'a report::Reproducibility>,
    /// The clinical model refitted in each cohort
    /// ([`crate::pipeline::clinical_by_cohort`]), when computed.
    pub clinical_by_cohort: Option<&'a report::ClinicalByCohort>,
    /// The missing-data table (rule and counts), for TRIPOD+AI item 11.
    pub missing: Option<&'a crate::missing::MissingReport>,
}

/// What [`write_supplement`] wrote and the index sections linking it.
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
    let mut put = |present: bool, a: Artefact, href: String| {
        if present {
            o.insert(a, href);
        }
    };
    put(
        report.table1.is_some(),
        Artefact::Table1,
        "table1.csv".into(),
    );
    put(
        report.table3.is_some(),
        Artefact::Table3,
        "table3.csv".into(),
    );
    put(report.icc.is_some(), Artefact::Icc, "supp_icc.csv".into());
    put(
        report.selected_features.is_some(),
        Artefact::SelectedFeatures,
        "supp_selected_features.csv".into(),
    );
    put(
        report.comparisons.is_some(),
        Artefact::Comparisons,
        "supp_comparisons.csv".into(),
    );
    put(
        report.subtype_aucs.is_some(),
        Artefact::Subgroups,
        "supp_subtype_auc.csv".into(),
    );
    put(
        report.screen.is_some(),
        Artefact::Screen,
        "supp_univariate.csv".into(),
    );
    put(
        report.cutoffs.is_some(),
        Artefact::Cutoffs,
        "cutoffs.csv".into(),
    );
    put(
        report.calibration_stats.is_some(),
        Artefact::Calibration,
        "calibration.csv".into(),
    );
    put(
        report.predictions.is_some(),
        Artefact::Predictions,
        "predictions.csv".into(),
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

/// US-ALN per patient (1 = the binary variable's positive level) when the
/// schema declares a binary `us_aln`; empty otherwise.
fn us_aln_of(schema: &ClinicalSchema, c: &SupplementCohort<'_>) -> BTreeMap<String, u8> {
    let Some((j, v)) = schema
        .variables
        .iter()
        .enumerate()
        .find(|(_, v)| v.name == "us_aln")
    else {
        return BTreeMap::new();
    };
    let VariableKind::Binary { levels, positive } = &v.kind else {
        return BTreeMap::new();
    };
    let Some(VariableColumn::Levels(col)) = c.clinical.columns.get(j) else {
        return BTreeMap::new();
    };
    c.ids
        .iter()
        .zip(col)
        .filter_map(|(id, l)| l.map(|k| (id.clone(), u8::from(levels[k] == *positive))))
        .collect()
}

struct Out<'a> {
    dir: &'a Path,
    files: Vec<PathBuf>,
}

impl Out<'_> {
    fn item(&mut self, t: &impl ReportTable, stem: &str, caption: &str) -> Result<Item> {
        let files = report::write_table(t, self.dir, stem)?;
        self.files.extend([files.csv, files.markdown]);
        Ok(Item::Table {
            caption: caption.into(),
            table: t.display(),
            csv: Some(format!("{stem}.csv")),
        })
    }
}

/// Writes the supplement into `dir` (the report folder): `table1_tests`,
/// `table2_radiologists`, `supp_table4_radiologists`, `rescue`,
/// `kappa_<cohort>` (each .csv + .md), `checklist.html`, `tripod_ai` and
/// `rqs`. Cohorts without readers.csv have no radiologist rows; a
/// readers.csv that fails validation is an error naming its rows.
pub fn write_supplement(dir: &Path, inp: &SupplementInputs<'_>) -> Result<Supplement> {
    let mut out = Out {
        dir,
        files: Vec::new(),
    };
    let mut sections = Vec::new();
    let mut outputs = inp.outputs.clone();

    // Table 1 with the tests.
    let clinicals: Vec<CohortClinical<'_>> = inp
        .cohorts
        .iter()
        .map(|c| CohortClinical {
            name: c.name,
            labels: c.labels,
            clinical: c.clinical,
        })
        .collect();
    let t1 = baseline_table(inp.schema, &clinicals, inp.variables)?;
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
    let mut read: Vec<(usize, Readers)> = Vec::new();
    for (i, c) in inp.cohorts.iter().enumerate() {
        let path = c.dir.join(READERS_FILE);
        if path.exists() {
            let r = read_readers(&path, Some(c.ids))
                .map_err(|problems| StudyError::Clinical { problems })?;
            read.push((i, r));
        }
    }
    if !read.is_empty() {
        let maps: Vec<_> = read
            .iter()
            .map(|(i, _)| {
                let c = &inp.cohorts[*i];
                let labels: BTreeMap<String, u8> = c
                    .ids
                    .iter()
                    .cloned()
                    .zip(c.labels.iter().copied())
                    .collect();
                let model: BTreeMap<String, f64> =
                    c.ids.iter().cloned().zip(c.dlrn.iter().copied()).collect();
                (labels, model, us_aln_of(inp.schema, c))
            })
            .collect();
        let rc: Vec<ReaderCohort<'_>> = read
            .iter()
            .zip(&maps)
            .map(|((i, r), m)| ReaderCohort {
                name: inp.cohorts[*i].name,
                readers: r,
                labels: &m.0,
                model: &m.1,
                model_cutoff: inp.dlrn_cutoff,
                us_aln: &m.2,
            })
            .collect();
        let all = rc.iter().map(|c| c.name).collect::<Vec<_>>().join("+");
        let t = radiologist_tables(&rc, Some(&all), "DLRN", inp.level)?;
        let pooled = Table2::new(t.pooled.clone());
        let items = vec![
            out.item(
                &pooled,
                "table2_radiologists",
                "Table 2, radiologists: the pooled consensus (majority of the readers' calls) per cohort and over all reader cohorts; DeLong P against the DLRN on the same patients",
            )?,
            out.item(
                &t.per_reader,
                "supp_table4_radiologists",
                "Supplementary Table 4: each radiologist; DeLong P against the DLRN",
            )?,
            out.item(
                &t.rescue,
                "rescue",
                "The DLRN on the radiologists' false positives (called negative) and on the US-ALN-negative metastases (called positive), at its cut-off",
            )?,
        ];
        outputs.insert(Artefact::Radiologists, "table2_radiologists.csv".into());
        outputs.insert(Artefact::Rescue, "rescue.csv".into());
        let mut kappa_items = Vec::new();
        for ((i, r), _) in read.iter().zip(&maps) {
            let name = inp.cohorts[*i].name;
            let k = KappaTable::new(&agreement_tables(r, inp.level)?);
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
    if let Some(t) = inp.reproducibility {
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
    if let Some(t) = inp.clinical_by_cohort {
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
        gold_standard: !read.is_empty(),
        ..inp.rqs.clone()
    };
    let mut checklist = Checklist::new(&inp.title, inp.simulated.clone(), &outputs, &facts);
    // TRIPOD+AI 11: the stated missing-value rule and its counts.
    if let Some(m) = inp.missing
        && let Some(row) = checklist.tripod.rows.iter_mut().find(|r| r.item == "11")
    {
        row.note = format!("{} Reasons for missingness are the authors'.", m.summary());
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
