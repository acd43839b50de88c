//! `dlrn validate`: check a cohort folder against the design.md contract.

use std::path::PathBuf;

use dlrn_cohort::{CohortSummary, validate_cohort_schema};
use dlrn_study::schema::read_schema;

use super::util::{print_json, progress_bar};

/// Check a cohort folder (clinical.csv, images/, masks/, icc/) and print a
/// summary, or every problem found with its file, row and column.
///
/// Checks: ids in clinical.csv ↔ images ↔ masks; each image decodes; image and
/// mask the same size; mask neither empty nor the whole frame; ALN_status 0/1
/// (or empty); categories from the documented vocabulary; age 18–100, BMI
/// 10–70, us_size_cm 0.1–15; duplicate ids; re-outlines under icc/<reader>/.
/// clinical.csv may be absent (image-only stages). With a clinical schema
/// (--schema, or `schema.toml` in the cohort folder), clinical.csv is checked
/// against its declared variables, levels, ranges and outcome instead of the
/// paper's 13. Exit status 2 on problems.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The cohort folder.
    pub dir: PathBuf,
    /// Print the result as one JSON value on stdout ({"problems": [...], "summary": {...}}).
    #[arg(long)]
    pub json: bool,
    /// Clinical schema (schema.toml) to check clinical.csv against
    /// [default: <DIR>/schema.toml when present, else the paper's 13 variables].
    #[arg(long, value_name = "TOML")]
    pub schema: Option<PathBuf>,
    /// How images and masks are read (DICOM frame, mask label, RoiSet entry).
    #[command(flatten)]
    pub inputs: crate::extraction::InputArgs,
}

/// Runs the validation and prints the summary or the problems.
pub fn run(args: Args) -> anyhow::Result<()> {
    let n_images = std::fs::read_dir(args.dir.join("images"))
        .map(|d| d.count())
        .unwrap_or(0);
    let beside = args.dir.join("schema.toml");
    let schema_path = args
        .schema
        .clone()
        .or_else(|| beside.is_file().then_some(beside));
    let schema = schema_path.as_deref().map(read_schema).transpose()?;
    let bar = progress_bar(n_images as u64, "checking images");
    let validation = validate_cohort_schema(
        &args.dir,
        &args.inputs.image_options(),
        &args.inputs.mask_options(),
        schema.as_ref(),
        &|| bar.inc(1),
    );
    bar.finish_and_clear();
    if args.json {
        print_json(&validation)?;
    } else if let Some(summary) = &validation.summary {
        print_summary(summary);
    }
    if !validation.problems.is_empty() {
        if !args.json {
            for p in &validation.problems {
                eprintln!("{p}");
            }
        }
        anyhow::bail!(
            "{}: {} problem(s) found",
            args.dir.display(),
            validation.problems.len()
        );
    }
    Ok(())
}

fn print_summary(s: &CohortSummary) {
    println!("{}: valid cohort", s.dir.display());
    match s.positives {
        Some(pos) => println!(
            "  patients {}  ALN+ {} ({:.1}%)",
            s.n,
            pos,
            100.0 * pos as f64 / s.n.max(1) as f64
        ),
        None => println!("  patients {} (no labels)", s.n),
    }
    println!(
        "  images {}×{} to {}×{} px; lesion covers {:.1}% of the frame on average",
        s.image_size_min.0,
        s.image_size_min.1,
        s.image_size_max.0,
        s.image_size_max.1,
        100.0 * s.mean_mask_fraction
    );
    for (col, v) in &s.numeric {
        println!(
            "  {col:<12} mean {:.2} ± {:.2} (range {:.1}–{:.1}), missing {}",
            v.mean, v.sd, v.min, v.max, v.missing
        );
    }
    for (col, counts) in &s.categorical {
        let parts: Vec<String> = counts.iter().map(|(l, c)| format!("{l} {c}")).collect();
        println!("  {col:<12} {}", parts.join(", "));
    }
    for (reader, n) in &s.icc_readers {
        println!("  re-outlines icc/{reader}: {n}");
    }
    if let Some((readers, reads)) = s.readers {
        println!("  readers.csv: {readers} radiologist(s), {reads} reads");
    }
    let grey: Vec<String> = s
        .grey_mappings
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    println!("  grey levels: {}", grey.join(", "));
    for w in &s.warnings {
        eprintln!("warning: {w}");
    }
}
