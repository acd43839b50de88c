//! `dlrn simulate`: write the simulated multicentre study (design.md).

use std::path::PathBuf;

use anyhow::Context;
use dlrn_simulate::{Progress, SimParams, simulate};
use indicatif::{ProgressBar, ProgressStyle};

/// Write the simulated four-hospital study (TC, EVC1, EVC2, EVC3): clinical
/// tables, B-mode images, lesion masks, ICC re-outlines and previews.
///
/// Cohort sizes and ALN+ counts follow the paper (621/112/87/63 patients with
/// exactly 215/45/35/32 ALN+ at scale 1); clinical columns follow its Table 1;
/// ALN status follows a logistic model with Table 3's effects plus a latent
/// tumour aggressiveness that also shapes the lesion in the image. Each
/// hospital has its own scanner character. Writes under DIR:
/// <cohort>/{clinical.csv,images/,masks/}, TC/icc/{reader1_repeat,reader2}/
/// (60 patients), <cohort>_preview.png, truth/<cohort>.csv (the hidden latent
/// and lesion traits) and simulate.json (seed, version, every parameter).
/// The same seed and version give byte-identical files. DIR must be empty,
/// new, or a previous simulation (which is replaced). The data are simulated:
/// no patient data.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
    /// Random seed: every draw derives from it.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Multiplies every cohort size and ALN+ count (rounded; at least 10
    /// patients and 3 per class per cohort). 1 = the paper's sizes.
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// Generating parameters to use instead of the defaults: a JSON file
    /// holding either a previous simulate.json (its `params`) or the
    /// parameter object alone. Edit a simulate.json to calibrate signal
    /// strength (outcome.aggressiveness, lesion traits, scanners).
    #[arg(long, value_name = "FILE")]
    pub params: Option<PathBuf>,
    /// Print the summary as one JSON value on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Reads generating parameters from a simulate.json or a bare parameter file.
fn read_params(path: &std::path::Path) -> anyhow::Result<SimParams> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut value: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{}: not valid JSON", path.display()))?;
    if let Some(p) = value.get_mut("params") {
        value = p.take();
    }
    serde_json::from_value(value).with_context(|| {
        format!(
            "{}: not a dlrn-simulate parameter set (or simulate.json)",
            path.display()
        )
    })
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template(
            "simulating {bar:40} {pos}/{len} images ({per_sec}, eta {eta})",
        )
        .context("progress bar template")?,
    );
    let on_progress = |p: Progress| {
        bar.set_length(p.total as u64);
        bar.inc(1);
    };
    let params = match &args.params {
        Some(path) => read_params(path)?,
        None => SimParams::default(),
    };
    let summary = simulate(&args.out, &params, args.seed, args.scale, &on_progress)
        .with_context(|| format!("simulating into {}", args.out.display()))?;
    bar.finish_and_clear();
    if args.json {
        return crate::cli::util::print_json(&summary);
    }
    eprintln!(
        "wrote {} images to {} (seed {}, scale {}, dlrn-simulate {})",
        summary.images,
        summary.out.display(),
        summary.seed,
        summary.scale,
        summary.version
    );
    for c in &summary.cohorts {
        let icc = match (c.icc_dice_reader1, c.icc_dice_reader2) {
            (Some(a), Some(b)) => format!(
                ", ICC re-outlines {} (mean Dice {a:.3} / {b:.3})",
                c.icc_patients
            ),
            _ => String::new(),
        };
        eprintln!(
            "  {:<5} n = {:>3}, ALN+ = {:>3}, {}x{} px{icc}",
            c.name, c.n, c.positives, c.width, c.height
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_come_from_a_simulate_json_or_a_bare_file() {
        let d = tempfile::tempdir().unwrap();
        let mut p = SimParams::default();
        p.outcome.aggressiveness = 1.25;
        let manifest = serde_json::json!({ "seed": 3, "params": p });
        let full = d.path().join("simulate.json");
        std::fs::write(&full, serde_json::to_string(&manifest).unwrap()).unwrap();
        assert_eq!(read_params(&full).unwrap(), p);
        let bare = d.path().join("params.json");
        std::fs::write(&bare, serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(read_params(&bare).unwrap(), p);
        let bad = d.path().join("bad.json");
        std::fs::write(&bad, "{\"params\": {\"cohorts\": 1}}").unwrap();
        let e = format!("{:#}", read_params(&bad).unwrap_err());
        assert!(e.contains("bad.json") && e.contains("parameter set"), "{e}");
    }
}
