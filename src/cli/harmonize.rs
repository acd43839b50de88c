//! `dlrn harmonize fit|apply`: ComBat batch harmonisation of a feature table
//! (dlrn-harmonize, sva::ComBat's numbers), and the fitted model applied to
//! batches that were not in the fit.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Subcommand;
use dlrn_cohort::{Table, write_table};
use dlrn_harmonize::{ConstantFeatures, Covariate, Data, HarmonizeError, Model, Options, Prior};
use polars::prelude::{Column, DataType};
use serde::{Deserialize, Serialize};

use crate::cli::util::{print_json, sha256_file};
use crate::cli::util::{via_temp, write_atomic};

/// Harmonise features across batches (hospitals, scanners) with ComBat.
///
/// `fit` estimates ComBat on a table and writes the table harmonised and the
/// model; `apply` maps the batches of another table to that model's standard
/// (the reference batch, with --reference). The numbers are sva::ComBat's
/// (R package sva 3.46; Johnson, Li & Rabinovic 2007, Biostatistics 8:118).
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: HarmonizeCommand,
}

/// `fit` or `apply`.
#[derive(Debug, Subcommand)]
pub enum HarmonizeCommand {
    /// Fit ComBat on a table: write the table harmonised and the model.
    Fit(FitArgs),
    /// Map the batches of a new table to a fitted model's standard.
    Apply(ApplyArgs),
}

/// Fit ComBat on a table: write the table harmonised and the model.
///
/// R: `sva::ComBat(t(features), batch, mod = model.matrix(~covariates),
/// par.prior = !--nonparametric, mean.only = --mean-only, ref.batch =
/// --reference)`. Parametric empirical Bayes by default (sva's `it.sol`);
/// --nonparametric integrates over the other features (`int.eprior`).
///
/// Features: every numeric column except `id`, the label (--label), the
/// batch column, the covariates and the columns named by --keep. Those, and
/// every text column, pass through unchanged, in place. A text column that
/// holds numbers and a non-number is refused (name it in --keep to pass it
/// through). A missing or NaN value is refused, naming the row and column.
///
/// Every batch needs at least 2 rows (its scale is a sample variance; sva
/// would silently switch every batch to mean-only). A feature constant within
/// a batch is refused unless --keep-constant, which leaves it unadjusted in
/// every row, as sva does. With --reference, that batch's rows are written
/// unchanged, bit for bit, and the model maps new batches onto it.
///
/// The model JSON records the input's SHA-256, the options and everything
/// `dlrn harmonize apply` needs. Outputs are written through a temporary file
/// and a rename, and are byte-identical on a rerun.
#[derive(Debug, clap::Args)]
pub struct FitArgs {
    /// Feature table (.csv or .parquet) with a batch column.
    #[arg(long, value_name = "TABLE")]
    pub data: PathBuf,

    /// Column naming each row's batch (hospital, scanner).
    #[arg(long, value_name = "COLUMN")]
    pub batch: String,

    /// Batch left unchanged, to which the others are mapped (sva's ref.batch).
    #[arg(long, value_name = "LEVEL")]
    pub reference: Option<String>,

    /// Numeric columns whose effects are preserved (sva's mod), comma-separated.
    #[arg(long, value_name = "A,B", value_delimiter = ',')]
    pub covariates: Vec<String>,

    /// Non-parametric empirical Bayes prior (sva's par.prior = FALSE).
    #[arg(long)]
    pub nonparametric: bool,

    /// Adjust the batch means only, not the variances (sva's mean.only = TRUE).
    #[arg(long)]
    pub mean_only: bool,

    /// Leave features constant within a batch unadjusted, as sva does, instead of refusing.
    #[arg(long)]
    pub keep_constant: bool,

    /// Further columns to pass through unchanged (not features), comma-separated.
    #[arg(long, value_name = "A,B", value_delimiter = ',')]
    pub keep: Vec<String>,

    /// Outcome column, passed through unchanged when present.
    #[arg(long, default_value = "ALN_status", value_name = "COLUMN")]
    pub label: String,

    /// Model JSON to write.
    #[arg(long, value_name = "JSON")]
    pub model: PathBuf,

    /// Harmonised table to write (.csv or .parquet).
    #[arg(long, value_name = "TABLE")]
    pub out: PathBuf,

    /// Print a JSON summary on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Map the batches of a new table to a fitted model's standard.
///
/// Each batch level of --data is estimated on its own rows (its location and
/// scale, its own empirical Bayes priors) and mapped to the model's standard
/// with the stored parameters only: the reference batch's mean and residual
/// variance (with --reference at fit; else the pooled ones) and the
/// covariates' coefficients. Rows of the model's reference level are written
/// unchanged. Without covariates this equals sva::ComBat run on the
/// reference's fitted rows plus the new batch, ref.batch = the reference.
///
/// The model's features (and covariates) must all be present and numeric;
/// every other column passes through unchanged. Each batch needs at least 2
/// rows.
#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// Model JSON written by `dlrn harmonize fit`.
    #[arg(long, value_name = "JSON")]
    pub model: PathBuf,

    /// Feature table to harmonise (.csv or .parquet).
    #[arg(long, value_name = "TABLE")]
    pub data: PathBuf,

    /// Column naming each row's batch.
    #[arg(long, value_name = "COLUMN")]
    pub batch: String,

    /// Harmonised table to write (.csv or .parquet).
    #[arg(long, value_name = "TABLE")]
    pub out: PathBuf,

    /// Print a JSON summary on stdout.
    #[arg(long)]
    pub json: bool,
}

/// The model file's format name.
pub const MODEL_FORMAT: &str = "dlrn-harmonize-combat";
/// The model file's format version.
pub const MODEL_FORMAT_VERSION: u32 = 1;

/// The model file: provenance, then the fitted model.
#[derive(Debug, Serialize, Deserialize)]
pub struct ModelFile {
    /// Always [`MODEL_FORMAT`].
    pub format: String,
    /// Always [`MODEL_FORMAT_VERSION`].
    pub format_version: u32,
    /// dlrn's version.
    pub dlrn_version: String,
    /// The fitted table, as given.
    pub data: String,
    /// Its SHA-256.
    pub data_sha256: String,
    /// Rows fitted.
    pub rows: usize,
    /// The batch column at fit.
    pub batch_column: String,
    /// The columns passed through unchanged at fit.
    pub passed_through: Vec<String>,
    /// The fitted model (options, features, standard, covariates, batches).
    pub model: Model,
}

/// One batch in the summaries.
#[derive(Debug, Serialize)]
pub struct BatchSummary {
    /// Level.
    pub level: String,
    /// Rows.
    pub rows: usize,
    /// Whether its rows were left unchanged (the reference).
    pub reference: bool,
    /// Features left unadjusted in it.
    pub unadjusted: Vec<String>,
}

/// `--json` of `harmonize fit` and `harmonize apply`.
#[derive(Debug, Serialize)]
pub struct Summary {
    /// Rows written.
    pub rows: usize,
    /// Features harmonised.
    pub features: usize,
    /// Columns passed through.
    pub passed_through: Vec<String>,
    /// Per batch.
    pub batches: Vec<BatchSummary>,
    /// The model file.
    pub model: String,
    /// The table written.
    pub out: String,
}

/// Runs `dlrn harmonize`.
pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        HarmonizeCommand::Fit(a) => fit(a),
        HarmonizeCommand::Apply(a) => apply(a),
    }
}

/// A numeric column's values, every one finite, or an error naming file, row and column.
fn finite_column(table: &Table, name: &str) -> anyhow::Result<Vec<f64>> {
    let v = table.f64_column(name)?;
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        bail!(
            "{}: row {}, column `{name}`: {} (ComBat needs a finite number in every cell)",
            table.path().display(),
            i + 1,
            if v[i].is_nan() {
                "missing value (empty, NA or NaN)".to_string()
            } else {
                format!("{} is not finite", v[i])
            }
        );
    }
    Ok(v)
}

/// The batch column as text, every cell present.
fn batch_column(table: &Table, name: &str) -> anyhow::Result<Vec<String>> {
    table.require_columns(&[name])?;
    table
        .str_column(name)?
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            v.with_context(|| {
                format!(
                    "{}: row {}, column `{name}`: missing batch level",
                    table.path().display(),
                    i + 1
                )
            })
        })
        .collect()
}

/// Whether a polars column type is numeric (a feature candidate).
fn numeric(dt: &DataType) -> bool {
    dt.is_primitive_numeric() || dt == &DataType::Null
}

/// Splits the columns into features and pass-through ones (see `FitArgs`' help).
fn classify(
    table: &Table,
    excluded: &BTreeSet<&str>,
) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let df = table.dataframe();
    let (mut features, mut passed) = (Vec::new(), Vec::new());
    for name in table.column_names() {
        if excluded.contains(name.as_str()) {
            passed.push(name);
            continue;
        }
        let col = df.column(&name).context("column listed but absent")?;
        if numeric(col.dtype()) {
            features.push(name);
            continue;
        }
        if col.dtype() == &DataType::String {
            // Text: pass it through unless it mixes numbers with non-numbers
            // (a feature with a bad cell), which `f64_column` then names.
            let cells = table.str_column(&name)?;
            let any_number = cells
                .iter()
                .flatten()
                .any(|c| c.trim().parse::<f64>().is_ok());
            if any_number {
                table.f64_column(&name).with_context(|| {
                    format!("column `{name}` mixes numbers and text; name it in --keep to pass it through")
                })?;
            }
        }
        passed.push(name);
    }
    Ok((features, passed))
}

/// Feature values row-major, checked finite.
fn feature_values(table: &Table, features: &[String]) -> anyhow::Result<Vec<f64>> {
    let n = table.n_rows();
    let p = features.len();
    let mut values = vec![0.0; n * p];
    for (j, f) in features.iter().enumerate() {
        for (i, v) in finite_column(table, f)?.into_iter().enumerate() {
            values[i * p + j] = v;
        }
    }
    Ok(values)
}

/// The table with the feature columns replaced by `adjusted`, written atomically.
fn write_harmonized(
    table: &Table,
    features: &[String],
    adjusted: &[f64],
    out: &Path,
) -> anyhow::Result<()> {
    let mut df = table.dataframe().clone();
    let p = features.len();
    for (j, f) in features.iter().enumerate() {
        let v: Vec<f64> = adjusted.iter().skip(j).step_by(p).copied().collect();
        df.with_column(Column::new(f.as_str().into(), v))
            .with_context(|| format!("replacing column `{f}`"))?;
    }
    via_temp(out, |tmp| Ok(write_table(&mut df, tmp)?))
}

fn fit(args: FitArgs) -> anyhow::Result<()> {
    let table = Table::read(&args.data)?;
    let path = args.data.display().to_string();
    let batch = batch_column(&table, &args.batch)?;
    let cov_names: Vec<&str> = args.covariates.iter().map(String::as_str).collect();
    table.require_columns(&cov_names)?;
    for c in &args.covariates {
        if *c == args.batch {
            bail!("--covariates names the batch column `{c}`");
        }
    }
    let mut excluded: BTreeSet<&str> = ["id", args.label.as_str(), args.batch.as_str()]
        .into_iter()
        .collect();
    excluded.extend(cov_names.iter().copied());
    excluded.extend(args.keep.iter().map(String::as_str));
    let (features, passed) = classify(&table, &excluded)?;
    if features.is_empty() {
        bail!(
            "{path}: no feature columns (numeric columns other than id, the label, the batch column, covariates and --keep)"
        );
    }
    let values = feature_values(&table, &features)?;
    let cov_values: Vec<Vec<f64>> = args
        .covariates
        .iter()
        .map(|c| finite_column(&table, c))
        .collect::<anyhow::Result<_>>()?;
    let covariates: Vec<Covariate> = args
        .covariates
        .iter()
        .zip(&cov_values)
        .map(|(name, values)| Covariate { name, values })
        .collect();
    let options = Options {
        prior: if args.nonparametric {
            Prior::NonParametric
        } else {
            Prior::Parametric
        },
        mean_only: args.mean_only,
        reference: args.reference.clone(),
        constant: if args.keep_constant {
            ConstantFeatures::LeaveUnadjusted
        } else {
            ConstantFeatures::Refuse
        },
    };
    let data = Data {
        features: &features,
        values: &values,
        batch: &batch,
        covariates: &covariates,
    };
    let fitted = dlrn_harmonize::fit(&data, &options).map_err(|e| {
        let hint = if matches!(e, HarmonizeError::ConstantFeature { .. }) {
            " (--keep-constant)"
        } else {
            ""
        };
        anyhow::anyhow!("{path}: batch column `{}`: ComBat: {e}{hint}", args.batch)
    })?;
    let file = ModelFile {
        format: MODEL_FORMAT.into(),
        format_version: MODEL_FORMAT_VERSION,
        dlrn_version: env!("CARGO_PKG_VERSION").into(),
        data: path.clone(),
        data_sha256: sha256_file(&args.data)?,
        rows: table.n_rows(),
        batch_column: args.batch.clone(),
        passed_through: passed.clone(),
        model: fitted.model,
    };
    let json = serde_json::to_string_pretty(&file).context("serialising the model")? + "\n";
    write_harmonized(&table, &features, &fitted.adjusted, &args.out)?;
    write_atomic(&args.model, json)?;
    let batches: Vec<BatchSummary> = file
        .model
        .batches
        .iter()
        .map(|b| BatchSummary {
            level: b.level.clone(),
            rows: b.rows,
            reference: b.reference,
            unadjusted: file.model.unadjusted.clone(),
        })
        .collect();
    report(&batches, features.len(), &file.model.unadjusted);
    eprintln!(
        "harmonised {} rows × {} features → {}; model → {}",
        table.n_rows(),
        features.len(),
        args.out.display(),
        args.model.display()
    );
    if args.json {
        print_json(&Summary {
            rows: table.n_rows(),
            features: features.len(),
            passed_through: passed,
            batches,
            model: args.model.display().to_string(),
            out: args.out.display().to_string(),
        })?;
    }
    Ok(())
}

fn report(batches: &[BatchSummary], p: usize, unadjusted: &[String]) {
    for b in batches {
        eprintln!(
            "batch `{}`: {} rows, {}",
            b.level,
            b.rows,
            if b.reference {
                "reference (unchanged)".to_string()
            } else {
                format!("{} of {p} features adjusted", p - b.unadjusted.len())
            }
        );
    }
    if !unadjusted.is_empty() {
        eprintln!(
            "left unadjusted (constant within a batch): {}",
            unadjusted.join(", ")
        );
    }
}

/// Reads and checks a model file.
pub fn read_model(path: &Path) -> anyhow::Result<ModelFile> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let head: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{}: not valid JSON", path.display()))?;
    if head["format"] != MODEL_FORMAT {
        bail!(
            "{}: not a harmonisation model (format {} where \"{MODEL_FORMAT}\" was expected)",
            path.display(),
            head["format"]
        );
    }
    if head["format_version"] != MODEL_FORMAT_VERSION {
        bail!(
            "{}: format_version {} (this dlrn reads {MODEL_FORMAT_VERSION})",
            path.display(),
            head["format_version"]
        );
    }
    let file: ModelFile = serde_json::from_value(head)
        .with_context(|| format!("{}: not a complete harmonisation model", path.display()))?;
    file.model
        .check()
        .with_context(|| format!("{}", path.display()))?;
    Ok(file)
}

fn apply(args: ApplyArgs) -> anyhow::Result<()> {
    let file = read_model(&args.model)?;
    let model = &file.model;
    let table = Table::read(&args.data)?;
    let path = args.data.display().to_string();
    let missing: Vec<&str> = model
        .features
        .iter()
        .filter(|f| !table.has_column(f))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        bail!(
            "{path}: {} feature(s) of the model {} are missing: {}",
            missing.len(),
            args.model.display(),
            missing.join(", ")
        );
    }
    let batch = batch_column(&table, &args.batch)?;
    let cov_names: Vec<&str> = model.covariates.iter().map(|c| c.name.as_str()).collect();
    table.require_columns(&cov_names).with_context(|| {
        format!(
            "the model preserves the covariates {}",
            cov_names.join(", ")
        )
    })?;
    let values = feature_values(&table, &model.features)?;
    let cov_values: Vec<Vec<f64>> = cov_names
        .iter()
        .map(|c| finite_column(&table, c))
        .collect::<anyhow::Result<_>>()?;
    let covariates: Vec<Covariate> = cov_names
        .iter()
        .zip(&cov_values)
        .map(|(name, values)| Covariate { name, values })
        .collect();
    let data = Data {
        features: &model.features,
        values: &values,
        batch: &batch,
        covariates: &covariates,
    };
    let applied = model.apply(&data).with_context(|| {
        format!(
            "{path}: batch column `{}`: ComBat model {}",
            args.batch,
            args.model.display()
        )
    })?;
    write_harmonized(&table, &model.features, &applied.adjusted, &args.out)?;
    let batches: Vec<BatchSummary> = applied
        .batches
        .iter()
        .map(|b| BatchSummary {
            level: b.level.clone(),
            rows: b.rows,
            reference: b.reference,
            unadjusted: b.unadjusted.clone(),
        })
        .collect();
    report(&batches, model.features.len(), &[]);
    let passed: Vec<String> = table
        .column_names()
        .into_iter()
        .filter(|c| !model.features.contains(c))
        .collect();
    eprintln!(
        "harmonised {} rows × {} features → {}",
        table.n_rows(),
        model.features.len(),
        args.out.display()
    );
    if args.json {
        print_json(&Summary {
            rows: table.n_rows(),
            features: model.features.len(),
            passed_through: passed,
            batches,
            model: args.model.display().to_string(),
            out: args.out.display().to_string(),
        })?;
    }
    Ok(())
}
