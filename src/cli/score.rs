//! `dlrn score`: applies a signature (feature, coefficient list or a `dlrn
//! lasso` model) to a feature table and writes one score per patient.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use dlrn_cohort::{Table, feature_frame, write_table};
use serde::Serialize;

use crate::cli::util::print_json;

/// Score patients with a signature: the linear combination of selected features.
///
/// The signature comes either from --signature, a table with columns
/// `feature,coefficient` (like the released published_signature.csv; an
/// optional row named `intercept` adds a constant), or from --model, the JSON
/// written by `dlrn lasso` (its intercept is included). The score is
/// intercept + Σ coefficient × feature value — the study's "signature"
/// (R: `as.matrix(x[, features]) %*% coefficients`).
///
/// The output table has columns id, ALN_status (when the input has it) and
/// `signature`. Feature columns missing from --data are listed in one error;
/// a missing feature value is an error naming its row and column.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Signature table with columns feature,coefficient (.csv or .parquet).
    #[arg(
        long,
        value_name = "SIG",
        required_unless_present = "model",
        conflicts_with = "model"
    )]
    pub signature: Option<PathBuf>,

    /// Model JSON from `dlrn lasso` ({"intercept", "features": [{"feature", "coefficient"}], …}).
    #[arg(long, value_name = "MODEL_JSON")]
    pub model: Option<PathBuf>,

    /// Feature table (id, optional ALN_status, feature columns; .csv or .parquet).
    #[arg(long, value_name = "FEATURES")]
    pub data: PathBuf,

    /// Output table of scores (.csv or .parquet).
    #[arg(long, value_name = "SCORES")]
    pub out: PathBuf,

    /// Outcome column copied to the output when present.
    #[arg(long, default_value = "ALN_status", value_name = "COLUMN")]
    pub label: String,

    /// Print a JSON summary on stdout.
    #[arg(long)]
    pub json: bool,
}

/// A signature: intercept and (feature, coefficient) pairs.
#[derive(Debug, Clone)]
pub struct Signature {
    /// Constant term (0 when the table has no intercept row).
    pub intercept: f64,
    /// Features and coefficients, in file order.
    pub terms: Vec<(String, f64)>,
}

/// Reads a feature,coefficient table; a row named `intercept` or `(Intercept)` is the constant.
pub fn read_signature_table(path: &Path) -> anyhow::Result<Signature> {
    let t = Table::read(path)?;
    t.require_columns(&["feature", "coefficient"])?;
    let names = t.str_column("feature")?;
    let coefs = t.f64_column("coefficient")?;
    let mut intercept = 0.0;
    let mut terms = Vec::new();
    for (i, (name, c)) in names.into_iter().zip(coefs).enumerate() {
        let Some(name) = name else {
            bail!(
                "{}: row {}, column `feature`: missing feature name",
                path.display(),
                i + 1
            );
        };
        if !c.is_finite() {
            bail!(
                "{}: row {}, column `coefficient`: {c} is not a finite number",
                path.display(),
                i + 1
            );
        }
        if name.eq_ignore_ascii_case("intercept") || name == "(Intercept)" {
            intercept = c;
        } else if terms.iter().any(|(n, _)| *n == name) {
            bail!(
                "{}: row {}, column `feature`: {name:?} is listed twice (each feature takes one coefficient)",
                path.display(),
                i + 1
            );
        } else {
            terms.push((name, c));
        }
    }
    if terms.is_empty() {
        bail!("{}: the signature has no features", path.display());
    }
    Ok(Signature { intercept, terms })
}

/// Reads the model JSON written by `dlrn lasso`.
pub fn read_model_json(path: &Path) -> anyhow::Result<Signature> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{}: not valid JSON", path.display()))?;
    let intercept = v["intercept"]
        .as_f64()
        .with_context(|| format!("{}: no numeric \"intercept\"", path.display()))?;
    let features = v["features"]
        .as_array()
        .with_context(|| format!("{}: no \"features\" array", path.display()))?;
    let mut terms = Vec::with_capacity(features.len());
    for (i, f) in features.iter().enumerate() {
        let name = f["feature"].as_str().with_context(|| {
            format!("{}: features[{i}] has no \"feature\" name", path.display())
        })?;
        let c = f["coefficient"].as_f64().with_context(|| {
            format!(
                "{}: features[{i}] has no numeric \"coefficient\"",
                path.display()
            )
        })?;
        terms.push((name.to_string(), c));
    }
    Ok(Signature { intercept, terms })
}

/// Scores every row of a table; a missing feature value is an error naming row and column.
pub fn score_table(table: &Table, sig: &Signature) -> anyhow::Result<Vec<f64>> {
    let names: Vec<&str> = sig.terms.iter().map(|(n, _)| n.as_str()).collect();
    table.require_columns(&names)?;
    let mut score = vec![sig.intercept; table.n_rows()];
    for (name, c) in &sig.terms {
        let col = table.f64_column(name)?;
        for (i, (s, v)) in score.iter_mut().zip(&col).enumerate() {
            if !v.is_finite() {
                bail!(
                    "{}: row {}, column `{name}`: {v} is not a finite number (the signature needs every selected feature)",
                    table.path().display(),
                    i + 1
                );
            }
            *s += c * v;
        }
    }
    Ok(score)
}

#[derive(Serialize)]
struct Summary {
    n: usize,
    features: usize,
    intercept: f64,
    out: String,
}

/// Runs `dlrn score`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let sig = match (&args.signature, &args.model) {
        (Some(p), None) => read_signature_table(p)?,
        (None, Some(p)) => read_model_json(p)?,
        _ => bail!("give exactly one of --signature or --model"),
    };
    let table = Table::read(&args.data)?;
    let ids = table.ids()?;
    let score = score_table(&table, &sig)?;
    let labels = if table.has_column(&args.label) {
        let l = table.labels(&args.label)?;
        Some(l.into_iter().map(Some).collect::<Vec<Option<u8>>>())
    } else {
        None
    };
    let rows: Vec<Vec<f64>> = score.iter().map(|&s| vec![s]).collect();
    let mut df = feature_frame(&ids, labels.as_deref(), &["signature".to_string()], &rows)?;
    super::util::via_temp(&args.out, |tmp| Ok(write_table(&mut df, tmp)?))?;
    eprintln!(
        "scored {} patients with {} features (intercept {}) → {}",
        ids.len(),
        sig.terms.len(),
        sig.intercept,
        args.out.display()
    );
    if args.json {
        print_json(&Summary {
            n: ids.len(),
            features: sig.terms.len(),
            intercept: sig.intercept,
            out: args.out.display().to_string(),
        })?;
    }
    Ok(())
}
