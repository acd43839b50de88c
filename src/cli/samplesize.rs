//! `dlrn samplesize`: the minimum sample size for developing a binary
//! prediction model (= `pmsampsize(type = "b", …)`).

use anyhow::{Context, bail};
use dlrn_stats::{CSTAT_SEED, SampleSize, SampleSizeR2, sample_size_binary};
use serde::Serialize;

use crate::cli::util::print_json;

/// Minimum sample size for a binary-outcome prediction model (pmsampsize).
///
/// The three criteria of Riley et al. (2020, BMJ 368:m441): (1) expected
/// shrinkage of the predictor effects at least --shrinkage (default 0.9);
/// (2) optimism in Nagelkerke R² at most 0.05; (3) the overall risk
/// estimated within ±0.05. The answer is the largest n, with its events and
/// events per candidate predictor parameter. Give the anticipated model
/// performance as a Cox–Snell R² (--r2cs, pmsampsize's `csrsquared`) or as
/// a C-statistic (--cstatistic), which pmsampsize converts to R²cs by
/// simulating 10⁶ patients after `set.seed(123456)` and rounds to 4 digits;
/// dlrn draws the same R random numbers and gets the same R²cs.
/// R: `pmsampsize(type = "b", csrsquared = R | cstatistic = C, parameters =
/// P, prevalence = φ, shrinkage = S)`.
/// --available N also says whether a cohort of N patients is large enough.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Candidate predictor parameters P (every coefficient considered, not only those kept).
    #[arg(long, value_name = "P")]
    pub parameters: usize,

    /// Anticipated outcome prevalence φ, inside (0, 1).
    #[arg(long, value_name = "φ")]
    pub prevalence: f64,

    /// Anticipated C-statistic, inside (0.5, 1).
    #[arg(
        long,
        value_name = "C",
        conflicts_with = "r2cs",
        required_unless_present = "r2cs"
    )]
    pub cstatistic: Option<f64>,

    /// Anticipated Cox–Snell R², inside (0, 1).
    #[arg(long, value_name = "R")]
    pub r2cs: Option<f64>,

    /// Target expected shrinkage of criterion 1, inside (0, 1).
    #[arg(long, default_value_t = 0.9, value_name = "S")]
    pub shrinkage: f64,

    /// Seed of the C-statistic simulation (pmsampsize's `seed`).
    #[arg(long, default_value_t = CSTAT_SEED, value_name = "N")]
    pub seed: i32,

    /// Patients available (e.g. the training cohort): is that enough?
    #[arg(long, value_name = "N")]
    pub available: Option<usize>,

    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// The `--json` output of `dlrn samplesize`.
#[derive(Debug, Serialize)]
pub struct SampleSizeReport {
    /// pmsampsize's result.
    #[serde(flatten)]
    pub result: SampleSize,
    /// Patients available, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available: Option<usize>,
    /// Whether the available patients reach the minimum, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adequate: Option<bool>,
}

/// Runs `dlrn samplesize`.
pub fn run(args: Args) -> anyhow::Result<()> {
    if !(args.prevalence > 0.0 && args.prevalence < 1.0) {
        bail!(
            "--prevalence {}: must lie strictly between 0 and 1",
            args.prevalence
        );
    }
    if args.parameters == 0 {
        bail!("--parameters 0: the model needs at least one candidate predictor parameter");
    }
    if let Some(n) = args.available
        && args.parameters >= n
    {
        bail!(
            "--parameters {} with --available {n}: a model needs fewer parameters than patients",
            args.parameters
        );
    }
    let r2 = match (args.cstatistic, args.r2cs) {
        (Some(c), None) => {
            if !(c > 0.5 && c < 1.0) {
                bail!("--cstatistic {c}: must lie strictly between 0.5 and 1");
            }
            SampleSizeR2::CStatistic {
                cstatistic: c,
                seed: args.seed,
            }
        }
        (None, Some(r)) => {
            if !(r > 0.0 && r < 1.0) {
                bail!("--r2cs {r}: must lie strictly between 0 and 1");
            }
            SampleSizeR2::CoxSnell(r)
        }
        _ => bail!("give exactly one of --cstatistic and --r2cs"),
    };
    let result = sample_size_binary(args.parameters, args.prevalence, r2, args.shrinkage)
        .context("pmsampsize criteria")?;
    let report = SampleSizeReport {
        adequate: args.available.map(|n| n >= result.sample_size),
        available: args.available,
        result,
    };
    if args.json {
        return print_json(&report);
    }
    let r = &report.result;
    println!(
        "Cox–Snell R² {} (max {:.3}, Nagelkerke {:.3}), P = {}, prevalence {}",
        r.r2_cs, r.max_r2_cs, r.r2_nagelkerke, r.parameters, r.prevalence
    );
    println!(
        "{:<11} {:>9} {:>9} {:>8}",
        "", "Samp_size", "Shrinkage", "EPP"
    );
    for c in &r.criteria {
        println!(
            "{:<11} {:>9} {:>9.3} {:>8.2}   {}",
            c.name, c.sample_size, c.shrinkage, c.epp, c.description
        );
    }
    println!(
        "Minimum sample size {} ({:.2} events, EPP {:.2})",
        r.sample_size, r.events, r.epp
    );
    if let (Some(n), Some(ok)) = (report.available, report.adequate) {
        println!(
            "{n} patients available: {}",
            if ok {
                "enough"
            } else {
                "fewer than the minimum"
            }
        );
    }
    Ok(())
}
