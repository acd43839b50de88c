//! `dlrn icc`: per-feature reproducibility (ICC) over repeated extractions,
//! and the list of features that pass the threshold.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::ValueEnum;
use dlrn_cohort::Table;
use dlrn_stats::{IccForm, icc};
use dlrn_study::icc::{Reads, icc_filter};
use rayon::prelude::*;
use serde::Serialize;

use crate::cli::util::print_json;

/// Which ICC decides whether a feature is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Form {
    /// ICC(1,1): one-way random, single rater.
    Icc1,
    /// ICC(2,1): two-way random, absolute agreement, single rater (default).
    Icc2,
    /// ICC(3,1): two-way mixed, consistency, single rater.
    Icc3,
    /// ICC(1,k): one-way random, mean of k raters.
    Icc1k,
    /// ICC(2,k): two-way random, absolute agreement, mean of k raters.
    Icc2k,
    /// ICC(3,k): two-way mixed, consistency, mean of k raters.
    Icc3k,
}

impl Form {
    fn stats(self) -> IccForm {
        match self {
            Form::Icc1 => IccForm::Icc1,
            Form::Icc2 => IccForm::Icc2,
            Form::Icc3 => IccForm::Icc3,
            Form::Icc1k => IccForm::Icc1k,
            Form::Icc2k => IccForm::Icc2k,
            Form::Icc3k => IccForm::Icc3k,
        }
    }
}

/// Per-feature ICC over repeated readings; keep the reproducible features.
///
/// Two modes. The paper's rule: --reads ORIGINAL with --intra REPEAT (the
/// same reader's repeat outlines) and/or --inter OTHER (a second reader's
/// outlines). Per feature, the intra-observer ICC is `psych::ICC(cbind(
/// original, repeat…))` and the inter-observer ICC `psych::ICC(cbind(
/// original, other…))` of --form, on the re-outlined patients; a feature is
/// kept when both exceed --threshold (a role not given is not assessed). The
/// --intra/--inter tables must hold the same ids (the re-outlined subset, in
/// the first one's order), all present in ORIGINAL, which may hold more
/// patients; features are ORIGINAL's columns other than id and the label,
/// and must exist in every table. This is the study pipeline's ICC filter
/// (`cargo xtask paper`), and --out has the columns of its icc.csv:
/// feature, icc_intra, icc_inter, kept (1/0), reason (`NA` for an ICC that
/// failed, e.g. a constant feature, or was not assessed; reason says which).
///
/// Pooled: --reads A --reads B … (two or more tables, no --intra/--inter) is
/// one reading of the same patients each, all in one ICC: in the study,
/// reader 1 twice a month apart and reader 2 once on 60 training patients.
/// Patients are matched by id over the ids all tables share (in the first
/// table's order); features are the first table's columns other than id and
/// ALN_status and must exist in every table. For each feature the
/// Shrout–Fleiss ICCs are computed as `psych::ICC(x, lmer = FALSE)`; patients
/// with a missing value for that feature are left out of that feature. It
/// writes --out with columns feature, icc, ci_low, ci_high, f, p_value,
/// n_subjects, kept (1/0), in table order.
///
/// Both keep a feature when the chosen ICC is > --threshold (the study: ICC >
/// 0.80). Default form ICC2, i.e. ICC(2,1), two-way random effects, absolute
/// agreement, single measurement: readers and sessions are a sample of
/// possible readers, systematic offsets between readings count as
/// disagreement, and the pipeline uses one reading per patient (Koo & Li
/// 2016). A feature constant over all readings has an undefined ICC and is
/// dropped.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// One reading (feature table): the original outlines with --intra/--inter,
    /// else give two or more (pooled).
    #[arg(long, value_name = "TABLE", required = true)]
    pub reads: Vec<PathBuf>,

    /// The same reader's repeat outlines (feature table); repeatable.
    #[arg(long, value_name = "TABLE")]
    pub intra: Vec<PathBuf>,

    /// A second reader's outlines (feature table); repeatable.
    #[arg(long, value_name = "TABLE")]
    pub inter: Vec<PathBuf>,

    /// The ICC form that decides.
    #[arg(long, value_enum, default_value_t = Form::Icc2)]
    pub form: Form,

    /// Keep features whose ICC is strictly greater than this.
    #[arg(long, default_value_t = 0.8, value_name = "ICC")]
    pub threshold: f64,

    /// Output table of per-feature ICCs (.csv).
    #[arg(long, value_name = "CSV")]
    pub out: PathBuf,

    /// Outcome column to skip (not a feature).
    #[arg(long, default_value = "ALN_status", value_name = "COLUMN")]
    pub label: String,

    /// Print a JSON summary (form, threshold, counts, kept features) on stdout.
    #[arg(long)]
    pub json: bool,
}

/// One feature's ICC row.
#[derive(Debug, Serialize)]
pub struct FeatureIcc {
    /// Feature name.
    pub feature: String,
    /// The chosen ICC.
    pub icc: f64,
    /// Its 95% CI lower bound.
    pub ci_low: f64,
    /// Its 95% CI upper bound.
    pub ci_high: f64,
    /// F statistic.
    pub f: f64,
    /// p-value of F.
    pub p_value: f64,
    /// Patients with a value in every reading.
    pub n_subjects: usize,
    /// icc > threshold.
    pub kept: bool,
}

/// The `--json` summary of `dlrn icc`.
#[derive(Debug, Serialize)]
pub struct Summary {
    /// psych's name of the form used.
    pub form: &'static str,
    /// Threshold (strict >).
    pub threshold: f64,
    /// Readings.
    pub n_readings: usize,
    /// Patients shared by every reading.
    pub n_subjects: usize,
    /// Features assessed.
    pub n_features: usize,
    /// Features kept.
    pub n_kept: usize,
    /// Kept feature names, in table order.
    pub kept: Vec<String>,
}

/// The `--json` summary of `dlrn icc --intra/--inter` (the paper's rule).
#[derive(Debug, Serialize)]
pub struct SplitSummary {
    /// psych's name of the form used.
    pub form: String,
    /// Threshold (strict >, intra and inter).
    pub threshold: f64,
    /// Re-outlined patients.
    pub n_subjects: usize,
    /// The --intra tables' names (file stems).
    pub intra_readers: Vec<String>,
    /// The --inter tables' names (file stems).
    pub inter_readers: Vec<String>,
    /// Features assessed.
    pub n_features: usize,
    /// Features kept.
    pub n_kept: usize,
    /// Kept feature names, in table order.
    pub kept: Vec<String>,
}

/// Runs `dlrn icc`.
pub fn run(args: Args) -> anyhow::Result<()> {
    // An ICC lies in [-1, 1]: a threshold outside it keeps every feature or none.
    if !(-1.0..=1.0).contains(&args.threshold) {
        bail!(
            "--threshold {} is outside [-1, 1], the range of an ICC",
            args.threshold
        );
    }
    if !args.intra.is_empty() || !args.inter.is_empty() {
        return run_split(&args);
    }
    if args.reads.len() < 2 {
        bail!(
            "give at least two --reads tables, found {}",
            args.reads.len()
        );
    }
    let tables = args
        .reads
        .iter()
        .map(|p| Table::read(p))
        .collect::<Result<Vec<_>, _>>()?;
    let ids: Vec<Vec<String>> = tables.iter().map(Table::ids).collect::<Result<_, _>>()?;
    let index: Vec<std::collections::HashMap<&str, usize>> = ids
        .iter()
        .map(|v| v.iter().enumerate().map(|(i, s)| (s.as_str(), i)).collect())
        .collect();
    let shared: Vec<Vec<usize>> = ids[0]
        .iter()
        .filter_map(|id| {
            index
                .iter()
                .map(|m| m.get(id.as_str()).copied())
                .collect::<Option<Vec<usize>>>()
        })
        .collect();
    if shared.len() < 2 {
        bail!(
            "the --reads tables share {} ids; the ICC needs at least 2 patients read in every table",
            shared.len()
        );
    }
    let features = tables[0].feature_names(&args.label);
    let names: Vec<&str> = features.iter().map(String::as_str).collect();
    for t in &tables[1..] {
        t.require_columns(&names)?;
    }
    let form = args.form.stats();
    let rows: Vec<FeatureIcc> = features
        .par_iter()
        .map(|f| -> anyhow::Result<FeatureIcc> {
            let cols: Vec<Vec<f64>> = tables
                .iter()
                .map(|t| t.f64_column(f))
                .collect::<Result<_, _>>()?;
            let complete: Vec<&Vec<usize>> = shared
                .iter()
                .filter(|r| r.iter().zip(&cols).all(|(&i, c)| c[i].is_finite()))
                .collect();
            let raters: Vec<Vec<f64>> = (0..tables.len())
                .map(|j| complete.iter().map(|r| cols[j][r[j]]).collect())
                .collect();
            let refs: Vec<&[f64]> = raters.iter().map(Vec::as_slice).collect();
            let (value, lo, hi, fs, p) = if complete.len() < 2 {
                (f64::NAN, f64::NAN, f64::NAN, f64::NAN, f64::NAN)
            } else {
                let t = icc(&refs, 0.95).with_context(|| format!("ICC of feature `{f}`"))?;
                let r = t.get(form);
                (r.icc, r.ci_low, r.ci_high, r.f, r.p_value)
            };
            Ok(FeatureIcc {
                feature: f.clone(),
                icc: value,
                ci_low: lo,
                ci_high: hi,
                f: fs,
                p_value: p,
                n_subjects: complete.len(),
                kept: value > args.threshold,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    if let Some(parent) = args.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    // The table is built in memory and written atomically (a killed run
    // leaves no half table).
    let mut w: Vec<u8> = Vec::new();
    let csv_field = |s: &str| {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    let num = |v: f64| {
        if v.is_nan() {
            "NA".to_string()
        } else {
            v.to_string()
        }
    };
    writeln!(w, "feature,icc,ci_low,ci_high,f,p_value,n_subjects,kept")?;
    for r in &rows {
        writeln!(
            w,
            "{},{},{},{},{},{},{},{}",
            csv_field(&r.feature),
            num(r.icc),
            num(r.ci_low),
            num(r.ci_high),
            num(r.f),
            num(r.p_value),
            r.n_subjects,
            r.kept as u8
        )?;
    }
    super::util::write_atomic(&args.out, &w)?;
    let kept: Vec<String> = rows
        .iter()
        .filter(|r| r.kept)
        .map(|r| r.feature.clone())
        .collect();
    eprintln!(
        "{} of {} features have {} > {} over {} patients × {} readings → {}",
        kept.len(),
        rows.len(),
        form.name(),
        args.threshold,
        shared.len(),
        tables.len(),
        args.out.display()
    );
    if args.json {
        print_json(&Summary {
            form: form.name(),
            threshold: args.threshold,
            n_readings: tables.len(),
            n_subjects: shared.len(),
            n_features: rows.len(),
            n_kept: kept.len(),
            kept,
        })?;
    }
    Ok(())
}

/// A re-outline table's reader name: its file stem.
fn reader_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// The row in `ids` (the ids of `table`) of each of `wanted`, in `wanted`'s order.
fn rows_of(wanted: &[String], ids: &[String], table: &Path) -> anyhow::Result<Vec<usize>> {
    let row: std::collections::HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    wanted
        .iter()
        .map(|id| {
            row.get(id.as_str())
                .copied()
                .with_context(|| format!("{}: no row with id {id:?}", table.display()))
        })
        .collect()
}

/// `dlrn icc --reads ORIGINAL --intra … --inter …`: the study's ICC filter
/// (`dlrn_study::icc::icc_filter`) on tables.
fn run_split(args: &Args) -> anyhow::Result<()> {
    let [original] = args.reads.as_slice() else {
        bail!(
            "with --intra/--inter give exactly one --reads table (the original outlines), found {}",
            args.reads.len()
        );
    };
    let form = args.form.stats();
    let first = Table::read(original)?;
    let first_ids = first.ids()?;
    let names = first.feature_names(&args.label);
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    // The re-outlined subset: the first re-outline table's ids, in its order.
    let mut subset: Option<(PathBuf, Vec<String>)> = None;
    let mut load = |paths: &[PathBuf]| -> anyhow::Result<Vec<Reads>> {
        paths
            .iter()
            .map(|p| -> anyhow::Result<Reads> {
                let t = Table::read(p)?;
                let ids = t.ids()?;
                match &subset {
                    None => subset = Some((p.clone(), ids.clone())),
                    Some((p0, ids0)) => {
                        let mut a = ids0.clone();
                        let mut b = ids.clone();
                        a.sort();
                        b.sort();
                        if a != b {
                            let only: Vec<&String> =
                                ids.iter().filter(|i| !ids0.contains(i)).take(3).collect();
                            let missing: Vec<&String> =
                                ids0.iter().filter(|i| !ids.contains(i)).take(3).collect();
                            bail!(
                                "{} and {} hold different ids (the re-outlined patients must be \
                                 the same): only in {}: {only:?}; missing from it: {missing:?}",
                                p0.display(),
                                p.display(),
                                p.display()
                            );
                        }
                    }
                }
                t.require_columns(&name_refs)?;
                let order = subset.as_ref().map_or(&ids, |(_, ids0)| ids0);
                let rows = rows_of(order, &ids, p)?;
                let columns = names
                    .iter()
                    .map(|n| -> anyhow::Result<Vec<f64>> {
                        let c = t.f64_column(n)?;
                        Ok(rows.iter().map(|&i| c[i]).collect())
                    })
                    .collect::<anyhow::Result<_>>()?;
                Ok(Reads {
                    reader: reader_name(p),
                    columns,
                })
            })
            .collect()
    };
    let intra = load(&args.intra)?;
    let inter = load(&args.inter)?;
    let Some((subset_path, subset)) = subset else {
        bail!("give at least one --intra or --inter table");
    };
    let rows = rows_of(&subset, &first_ids, original).with_context(|| {
        format!(
            "the re-outlined patients of {} must all have original outlines",
            subset_path.display()
        )
    })?;
    let first_columns: Vec<Vec<f64>> = names
        .iter()
        .map(|n| -> anyhow::Result<Vec<f64>> {
            let c = first.f64_column(n)?;
            Ok(rows.iter().map(|&i| c[i]).collect())
        })
        .collect::<anyhow::Result<_>>()?;
    let filter = icc_filter(
        &names,
        &first_columns,
        &intra,
        &inter,
        form,
        args.threshold,
        0.95,
    )?;
    if let Some(parent) = args.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    super::util::write_atomic(&args.out, filter.to_csv()?.as_bytes())?;
    let kept = filter.kept();
    eprintln!(
        "{} of {} features kept ({}) → {}",
        kept.len(),
        filter.features.len(),
        filter.rule(),
        args.out.display()
    );
    if args.json {
        print_json(&SplitSummary {
            form: filter.form.clone(),
            threshold: filter.threshold,
            n_subjects: filter.n_subjects,
            intra_readers: filter.intra_readers.clone(),
            inter_readers: filter.inter_readers.clone(),
            n_features: filter.features.len(),
            n_kept: kept.len(),
            kept,
        })?;
    }
    Ok(())
}
