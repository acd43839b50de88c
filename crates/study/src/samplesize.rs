//! The minimum sample size of the study's DLRN for its training cohort
//! (TRIPOD+AI item 10; Riley et al. 2020, BMJ 368:m441; = `pmsampsize(type
//! = "b", cstatistic = C, parameters = P, prevalence = φ, shrinkage = 0.9)`).
//!
//! The choices: P is the DLRN's parameters (its columns: the signature and
//! the clinical terms; the LASSO considered far more candidates, so this is
//! a lower bound on what the whole procedure needs); φ is the training
//! cohort's prevalence; the anticipated R²cs comes from the DLRN's apparent
//! C-statistic on the training cohort through pmsampsize's own conversion
//! (10⁶ simulated patients after `set.seed(123456)`,
//! [`dlrn_stats::cstatistic_to_r2cs`]), with the target shrinkage 0.9.

use dlrn_report as report;
use dlrn_stats::{CSTAT_SEED, SampleSizeR2, sample_size_binary};

/// Target expected shrinkage of criterion 1 (pmsampsize's default).
pub const SHRINKAGE: f64 = 0.9;

/// The sample-size table of a DLRN with `parameters` columns fitted on
/// `labels` with apparent C-statistic `c_apparent`; an input pmsampsize
/// refuses (a C of 1, R²cs above the shrinkage) gives a statement without rows.
pub fn training_sample_size(
    training: &str,
    labels: &[u8],
    parameters: usize,
    c_apparent: f64,
) -> report::SampleSizeTable {
    let n = labels.len();
    let events = labels.iter().filter(|&&v| v == 1).count();
    let prevalence = events as f64 / n.max(1) as f64;
    let inputs = format!(
        "P = {parameters} DLRN parameters (the signature and the clinical terms; the LASSO's \
         candidate features make the whole procedure's P far larger), prevalence φ = {prevalence:.4} \
         ({events} of {n} in {training}), R²cs from the DLRN's apparent C-statistic {c_apparent:.4} \
         on {training} by pmsampsize's conversion (10⁶ simulated patients, set.seed({CSTAT_SEED})), \
         target shrinkage {SHRINKAGE}"
    );
    match sample_size_binary(
        parameters,
        prevalence,
        SampleSizeR2::CStatistic {
            cstatistic: c_apparent,
            seed: CSTAT_SEED,
        },
        SHRINKAGE,
    ) {
        Ok(s) => report::SampleSizeTable {
            rows: s
                .criteria
                .iter()
                .map(|c| report::SampleSizeRow {
                    criterion: c.name.to_string(),
                    description: c.description.to_string(),
                    sample_size: c.sample_size as u64,
                    shrinkage: c.shrinkage,
                    events: c.events,
                    epp: c.epp,
                })
                .collect(),
            statement: format!(
                "Minimum sample size (pmsampsize, Riley et al. 2020) for {inputs}: R²cs = {:.4}, \
                 n = {} ({:.1} events, {:.2} events per parameter). {training} has {n} patients: \
                 {}.",
                s.r2_cs,
                s.sample_size,
                s.events,
                s.epp,
                if n >= s.sample_size {
                    "it meets the minimum"
                } else {
                    "it falls short of the minimum"
                }
            ),
        },
        Err(e) => report::SampleSizeTable {
            rows: Vec::new(),
            statement: format!("Minimum sample size for {inputs}: not computed ({e})."),
        },
    }
}
