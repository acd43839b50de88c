//! The report parts beyond [`dlrn_report::StudyReport`], computed in one
//! call by the study driver: Table 1 with the paper's tests
//! ([`crate::baseline`]), the radiologists' rows of Table 2, Supplementary
//! Table 4, the rescue counts and the kappa tables
//! ([`crate::readers_report`]) for every cohort with a readers.csv; dlrn-report
//! writes them with the TRIPOD+AI / RQS checklist page
//! ([`dlrn_report::SupplementPages`]) and returns the index sections that
//! link them.

use std::collections::BTreeMap;
use std::path::Path;

use dlrn_cohort::schema::{ClinicalData, ClinicalSchema, VariableColumn, VariableKind};
use dlrn_cohort::{READERS_FILE, Readers, read_readers};
use dlrn_report::{self as report, Outputs, RadiologistPages, RqsFacts, SupplementPages, Table2};
pub use dlrn_report::{Supplement, study_outputs};

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
    /// The DLRN's cut-off (positive when probability ≥ cut-off); `None`
    /// when there is no DLRN (a study whose DLRN separated): the
    /// radiologists' tables, which compare the readers with the DLRN, are
    /// then not written.
    pub dlrn_cutoff: Option<f64>,
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

/// Computes the supplement's tables and writes them into `dir` (the report
/// folder) with [`SupplementPages::write`]: `table1_tests`,
/// `table2_radiologists`, `supp_table4_radiologists`, `rescue`,
/// `kappa_<cohort>` (each .csv + .md), `checklist.html`, `tripod_ai` and
/// `rqs`. Cohorts without readers.csv have no radiologist rows; a
/// readers.csv that fails validation is an error naming its rows.
pub fn write_supplement(dir: &Path, inp: &SupplementInputs<'_>) -> Result<Supplement> {
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
    let table1 = baseline_table(inp.schema, &clinicals, inp.variables)?.to_report();

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
    let mut radiologists = None;
    if let Some(dlrn_cutoff) = inp.dlrn_cutoff.filter(|_| !read.is_empty()) {
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
                model_cutoff: dlrn_cutoff,
                us_aln: &m.2,
            })
            .collect();
        let all = rc.iter().map(|c| c.name).collect::<Vec<_>>().join("+");
        let t = radiologist_tables(&rc, Some(&all), "DLRN", inp.level)?;
        let kappa = read
            .iter()
            .map(|(i, r)| {
                let k = KappaTable::new(&agreement_tables(r, inp.level)?);
                Ok((inp.cohorts[*i].name.to_string(), k.to_report()))
            })
            .collect::<Result<_>>()?;
        radiologists = Some(RadiologistPages {
            pooled: Table2::new(t.pooled),
            per_reader: t.per_reader,
            rescue: t.rescue,
            kappa,
        });
    }

    Ok(SupplementPages {
        title: inp.title.clone(),
        simulated: inp.simulated.clone(),
        table1,
        radiologists,
        reproducibility: inp.reproducibility,
        clinical_by_cohort: inp.clinical_by_cohort,
        rqs: inp.rqs.clone(),
        outputs: inp.outputs.clone(),
        missing_data: inp.missing.map(|m| m.summary()),
    }
    .write(dir)?)
}
