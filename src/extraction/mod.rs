//! The two extractions as functions with typed arguments: the per-case
//! loops that need dlrn-radiomics and dlrn-deep, on top of the feature store
//! of dlrn-cohort (which owns every file on disk). `dlrn extract`, `dlrn
//! predict`, `dlrn assess` and `dlrn finetune` call these; none of them
//! parses arguments.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use dlrn_cohort::store::partial_path;
use dlrn_cohort::{Failure, Outcome, Shard, sidecar};
use dlrn_study::extraction::Watch;
use indicatif::ProgressBar;

use crate::cli::util::progress_bar;

pub mod deep;
pub mod handcrafted;
mod reading;

pub use reading::InputArgs;

/// The exit status of a run that left some cases without a row (the good
/// rows are kept for a rerun, the failures listed in `<out>.failures.csv`).
pub const EXIT_PARTIAL: i32 = 3;

/// What both extractions take: the cohort, the output table and how to read
/// the images and masks.
#[derive(Debug, Clone)]
pub struct Job {
    /// The cohort folder.
    pub cohort: PathBuf,
    /// Its masks sub-folder.
    pub masks: String,
    /// The output table (.csv or .parquet).
    pub out: PathBuf,
    /// How images and masks are read.
    pub inputs: InputArgs,
    /// Only this shard of the cases.
    pub shard: Option<Shard>,
    /// What a failed case does to the run.
    pub on_failure: OnFailure,
}

/// What a case that cannot be extracted does to the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnFailure {
    /// The other rows are kept for a rerun and the run ends as partial
    /// ([`PartialRun`], exit status [`EXIT_PARTIAL`]).
    #[default]
    Partial,
    /// As `Partial`, but an error of its own (exit status 2): `--strict`.
    Strict,
    /// The table without the failed cases is accepted (exit status 0): `--keep-going`.
    KeepGoing,
}

/// A run that left cases without a row: the caller exits with [`EXIT_PARTIAL`].
#[derive(Debug)]
pub struct PartialRun {
    /// How many cases failed.
    pub failed: usize,
    /// `<out>.failures.csv`.
    pub failures: PathBuf,
    /// The partial table holding the good rows.
    pub partial: PathBuf,
}

impl std::fmt::Display for PartialRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} case(s) failed, listed in {}; the other rows are kept in {} and a rerun \
             resumes from them (--keep-going accepts the table without the failed cases)",
            self.failed,
            self.failures.display(),
            self.partial.display()
        )
    }
}

impl std::error::Error for PartialRun {}

/// Reports how a run ended on stderr (where the rows of a partial run are
/// kept, with `table` the table's size and NaN counts, the failed cases) and
/// settles it: `Partial` is an error ([`PartialRun`], or the `--strict`
/// error), the others are not.
/// The command line's view of an extraction: a progress bar (drawn once
/// there are cases to compute) and the loader's warnings on stderr.
pub(crate) struct Bar {
    label: &'static str,
    bar: OnceLock<ProgressBar>,
}

impl Bar {
    /// A bar labelled `label`.
    pub(crate) fn new(label: &'static str) -> Self {
        Bar {
            label,
            bar: OnceLock::new(),
        }
    }
}

impl Watch for Bar {
    fn start(&self, todo: usize) {
        self.bar
            .get_or_init(|| progress_bar(todo as u64, self.label));
    }

    fn advance(&self) {
        if let Some(bar) = self.bar.get() {
            bar.inc(1);
        }
    }

    fn warning(&self, text: &str) {
        eprintln!("warning: {text}");
    }

    fn finish(&self) {
        if let Some(bar) = self.bar.get() {
            bar.finish_and_clear();
        }
    }
}

pub(crate) fn conclude(
    store: Report<'_>,
    failures: &[Failure],
    outcome: Outcome,
    on_failure: OnFailure,
) -> anyhow::Result<()> {
    let partial = partial_path(store.out);
    if outcome == Outcome::Partial {
        eprintln!(
            "the {} finished row(s) are kept in {}; a rerun after fixing the inputs resumes from there",
            store.rows.len(),
            partial.display()
        );
    }
    if let Some(names) = store.names {
        print_rows(store.out, names, store.rows);
    }
    print_failures(failures);
    if outcome != Outcome::Partial {
        return Ok(());
    }
    if on_failure == OnFailure::Strict {
        anyhow::bail!("{} image(s) failed (--strict)", failures.len());
    }
    Err(PartialRun {
        failed: failures.len(),
        failures: sidecar(store.out, "failures.csv"),
        partial,
    }
    .into())
}

/// What [`conclude`] reports of a run's table.
pub(crate) struct Report<'a> {
    pub out: &'a Path,
    /// The feature names, when the table's size and NaN counts are printed.
    pub names: Option<&'a [String]>,
    pub rows: &'a BTreeMap<String, Vec<f64>>,
}

/// Prints the cases that failed, together.
pub(crate) fn print_failures(failures: &[Failure]) {
    if !failures.is_empty() {
        eprintln!("{} image(s) could not be processed:", failures.len());
        for f in failures {
            eprintln!("  {}: {}", f.id, f.reason);
        }
    }
}

/// Prints the table's size and its NaN counts per column.
pub(crate) fn print_rows(out: &Path, names: &[String], rows: &BTreeMap<String, Vec<f64>>) {
    let mut nan_cols: Vec<(String, usize)> = names
        .iter()
        .enumerate()
        .map(|(j, n)| (n.clone(), rows.values().filter(|r| r[j].is_nan()).count()))
        .filter(|(_, c)| *c > 0)
        .collect();
    nan_cols.sort();
    eprintln!(
        "{}: {} rows, {} feature columns",
        out.display(),
        rows.len(),
        names.len()
    );
    if !nan_cols.is_empty() {
        let parts: Vec<String> = nan_cols.iter().map(|(n, c)| format!("{n} ({c})")).collect();
        eprintln!("undefined values (NaN) in: {}", parts.join(", "));
    }
}
