//! The 544 handcrafted (BUSAT) features of every case of a cohort, into a
//! feature store: the loop is dlrn-study's [`extract_handcrafted`] (shared
//! with the Python package); this adds the progress bar, the loader's
//! warnings on stderr, the timings and how the run ends.

use dlrn_study::extraction::{HandcraftedJob, extract_handcrafted};

use super::{Bar, Job, OnFailure, Report, conclude};

/// Extracts `job`'s table (see `dlrn extract handcrafted --help`): resumes
/// rows of unchanged inputs, saves every [`dlrn_study::extraction::BATCH`]
/// cases, reports the table and the failed cases on stderr. With the
/// environment variable DLRN_TIMINGS=1, where the time went is printed on
/// stderr.
pub fn extract(job: &Job) -> anyhow::Result<()> {
    let run = extract_handcrafted(
        &HandcraftedJob {
            cohort: &job.cohort,
            masks: &job.masks,
            out: &job.out,
            shard: job.shard,
            reading: job.inputs.reading(),
            accept_partial: job.on_failure == OnFailure::KeepGoing,
        },
        &Bar::new("handcrafted"),
    )?;
    // DLRN_TIMINGS=1: where the time went, on stderr (each stage summed over
    // the worker threads; the serial stages in wall time).
    if std::env::var_os("DLRN_TIMINGS").is_some_and(|v| v != "0") {
        for line in run.timings.lines(run.computed, run.total, run.extraction) {
            eprintln!("{line}");
        }
    }
    let names = dlrn_study::extraction::handcrafted_names();
    let outcome = run
        .outcome
        // why it cannot fail: `Bar` never stops a run, so it always ends with an outcome.
        .expect("the command line's watch never stops a run");
    conclude(
        Report {
            out: &job.out,
            names: Some(&names),
            rows: run.store.rows(),
        },
        &run.failures,
        outcome,
        job.on_failure,
    )
}
