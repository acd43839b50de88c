//! `dlrn lasso`: LASSO-logistic feature selection with cross-validation, as
//! the study did with R's `cv.glmnet(x, y, family = "binomial")`.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::ValueEnum;
use dlrn_cohort::Table;
use dlrn_lasso::{
    Design, Folds, InputHash, LambdaChoice, Measure, PathOptions, SignatureModel, cross_validate,
};
use serde::Serialize;

use crate::cli::util::{print_json, sha256_file};

/// Select features with LASSO-logistic regression and cross-validation (glmnet's cv.glmnet).
///
/// Fits the binomial L1 path of R's glmnet 4.x on the stacked training tables
/// (rows of each --train file in the order given), cross-validates it with
/// cv.glmnet's rules, and writes the model at lambda.min or lambda.1se:
/// intercept and non-zero coefficients on the original feature scale, the CV
/// path and the SHA-256 of every input. `dlrn score --model` applies it.
///
/// Every column other than `id`, the label and a fold-id column must be
/// numeric. Columns with missing values are refused unless --drop-na-columns
/// is given. Folds: --folds K with --seed N (seeded shuffle; the default,
/// K = 10, seed 1), --folds K with --r-seed N (R's own folds: what
/// `set.seed(N); cv.glmnet(x, y, nfolds = K)` draws, bit for bit),
/// --foldid-col COL (fold ids 1..K in a column), or --foldid-row-mod K (row
/// i, 0-based over the stacked rows, in fold (i mod K) + 1).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Training feature table (.csv or .parquet); repeat to stack several, in order.
    #[arg(long, required = true, value_name = "TABLE")]
    pub train: Vec<PathBuf>,

    /// Outcome column (0/1).
    #[arg(long, default_value = "ALN_status", value_name = "COLUMN")]
    pub label: String,

    /// Drop feature columns that hold missing values (and report them) instead of refusing.
    #[arg(long)]
    pub drop_na_columns: bool,

    /// Number of folds for seeded random folds (cv.glmnet's nfolds).
    #[arg(long, value_name = "K", conflicts_with_all = ["foldid_col", "foldid_row_mod"])]
    pub folds: Option<usize>,

    /// Seed of the random fold assignment (ChaCha8; not R's RNG).
    #[arg(long, value_name = "N", conflicts_with_all = ["foldid_col", "foldid_row_mod"])]
    pub seed: Option<u64>,

    /// Draw the folds as R does after `set.seed(N)`: cv.glmnet's
    /// `sample(rep(seq(K), length = nrow(x)))` with R's default generator
    /// (Mersenne-Twister, Rejection sampling; R >= 3.6), so the folds, and
    /// with them lambda.min, are R's own.
    #[arg(
        long,
        value_name = "N",
        allow_negative_numbers = true,
        conflicts_with_all = ["seed", "foldid_col", "foldid_row_mod"]
    )]
    pub r_seed: Option<i32>,

    /// Column holding fold ids 1..K (cv.glmnet's foldid); excluded from the features.
    #[arg(long, value_name = "COLUMN", conflicts_with = "foldid_row_mod")]
    pub foldid_col: Option<String>,

    /// Deterministic folds: row i (0-based, stacked order) goes to fold (i mod K) + 1.
    #[arg(long, value_name = "K")]
    pub foldid_row_mod: Option<usize>,

    /// CV loss (cv.glmnet's type.measure).
    #[arg(long, value_enum, default_value_t = MeasureArg::Deviance)]
    pub measure: MeasureArg,

    /// Which CV lambda the model uses: lambda.min or lambda.1se.
    #[arg(long, value_enum, default_value_t = LambdaArg::Min)]
    pub lambda: LambdaArg,

    /// Convergence threshold of coordinate descent (glmnet's thresh).
    #[arg(long, default_value_t = 1e-7, value_name = "X")]
    pub thresh: f64,

    /// Output model file (JSON).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,

    /// Folder for the coefficient-path and CV-curve figures (SVG + PNG).
    #[arg(long, value_name = "DIR")]
    pub plots: Option<PathBuf>,

    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// cv.glmnet's type.measure values for the binomial family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MeasureArg {
    /// Binomial deviance (probabilities clamped to [1e-5, 1 - 1e-5]).
    Deviance,
    /// Mean squared error of the probability.
    Mse,
    /// Misclassification rate at 0.5.
    Class,
    /// Area under the ROC curve, per fold.
    Auc,
}

/// The CV lambda to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LambdaArg {
    /// lambda.min: best mean CV measure.
    Min,
    /// lambda.1se: largest lambda within one SE of the best.
    #[value(name = "1se")]
    OneSe,
}

/// What `--json` prints.
#[derive(Debug, Serialize)]
pub struct LassoOutput {
    /// The model file written.
    pub out: PathBuf,
    /// Feature columns dropped for missing values.
    pub dropped_columns: Vec<String>,
    /// Figures written.
    pub plots: Vec<PathBuf>,
    /// The model (the content of `out`).
    pub model: SignatureModel,
}

/// The stacked training data.
struct Stacked {
    names: Vec<String>,
    /// Column-major values.
    x: Vec<f64>,
    y: Vec<u8>,
    foldid: Option<Vec<usize>>,
    dropped: Vec<String>,
}

fn load(args: &Args) -> anyhow::Result<Stacked> {
    let mut names: Vec<String> = Vec::new();
    let mut columns: Vec<Vec<f64>> = Vec::new();
    let mut y: Vec<u8> = Vec::new();
    let mut foldid: Option<Vec<usize>> = args.foldid_col.as_ref().map(|_| Vec::new());
    // Where each column first has a missing value: (file, 1-based row).
    let mut first_na: Vec<Option<(PathBuf, usize)>> = Vec::new();
    for path in &args.train {
        let table = Table::read(path).with_context(|| format!("reading {}", path.display()))?;
        if !table.has_column(&args.label) {
            bail!("{}: no label column `{}`", path.display(), args.label);
        }
        if table.has_column("id") {
            // Unique within a file; cohorts number their patients independently.
            table.ids()?;
        }
        let these: Vec<String> = table
            .feature_names(&args.label)
            .into_iter()
            .filter(|c| Some(c) != args.foldid_col.as_ref())
            .collect();
        if names.is_empty() {
            names = these.clone();
            columns = vec![Vec::new(); names.len()];
            first_na = vec![None; names.len()];
        } else if these != names {
            let missing: Vec<&String> = names.iter().filter(|n| !these.contains(n)).collect();
            let extra: Vec<&String> = these.iter().filter(|n| !names.contains(n)).collect();
            if missing.is_empty() && extra.is_empty() {
                bail!(
                    "{}: feature columns are in a different order than in {}",
                    path.display(),
                    args.train[0].display()
                );
            }
            bail!(
                "{}: feature columns differ from {}: missing {:?}, extra {:?}",
                path.display(),
                args.train[0].display(),
                missing,
                extra
            );
        }
        y.extend(table.labels(&args.label)?);
        if let (Some(col), Some(ids)) = (&args.foldid_col, foldid.as_mut()) {
            if !table.has_column(col) {
                bail!("{}: no fold-id column `{col}`", path.display());
            }
            for (i, v) in table.f64_column(col)?.into_iter().enumerate() {
                if v.is_nan() || v < 1.0 || v.fract() != 0.0 {
                    bail!(
                        "{}: row {}, column `{col}`: {v} is not a fold id (an integer >= 1)",
                        path.display(),
                        i + 1
                    );
                }
                ids.push(v as usize);
            }
        }
        for (j, name) in names.iter().enumerate() {
            let v = table.f64_column(name)?;
            if first_na[j].is_none()
                && let Some(i) = v.iter().position(|x| !x.is_finite())
            {
                first_na[j] = Some((path.clone(), i + 1));
            }
            columns[j].extend(v);
        }
    }
    let na: Vec<usize> = (0..names.len())
        .filter(|&j| first_na[j].is_some())
        .collect();
    if !na.is_empty() && !args.drop_na_columns {
        let list: Vec<String> = names
            .iter()
            .zip(&first_na)
            .filter_map(|(name, first)| {
                let (p, r) = first.as_ref()?;
                Some(format!("`{name}` (first at {} row {r})", p.display()))
            })
            .collect();
        bail!(
            "{} feature column(s) hold missing or non-finite values: {}; pass --drop-na-columns to drop them",
            na.len(),
            list.join(", ")
        );
    }
    let dropped: Vec<String> = na.iter().map(|&j| names[j].clone()).collect();
    let keep: Vec<usize> = (0..names.len()).filter(|j| !na.contains(j)).collect();
    let n = y.len();
    let mut x = Vec::with_capacity(n * keep.len());
    for &j in &keep {
        x.extend_from_slice(&columns[j]);
    }
    Ok(Stacked {
        names: keep.iter().map(|&j| names[j].clone()).collect(),
        x,
        y,
        foldid,
        dropped,
    })
}

/// Runs `dlrn lasso`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let data = load(&args)?;
    if !data.dropped.is_empty() {
        eprintln!(
            "dropped {} column(s) with missing values: {}",
            data.dropped.len(),
            data.dropped.join(", ")
        );
    }
    let n = data.y.len();
    let p = data.names.len();
    let design = Design::column_major(&data.x, n, p).context("building the design matrix")?;
    let folds = if let Some(ids) = data.foldid.clone() {
        Folds::Ids(ids)
    } else if let Some(k) = args.foldid_row_mod {
        if k < 3 {
            bail!("--foldid-row-mod {k}: cv.glmnet needs at least 3 folds");
        }
        Folds::Ids((0..n).map(|i| i % k + 1).collect())
    } else if let Some(seed) = args.r_seed {
        Folds::R {
            k: args.folds.unwrap_or(10),
            seed,
        }
    } else {
        Folds::Seeded {
            k: args.folds.unwrap_or(10),
            seed: args.seed.unwrap_or(1),
        }
    };
    let measure = match args.measure {
        MeasureArg::Deviance => Measure::Deviance,
        MeasureArg::Mse => Measure::Mse,
        MeasureArg::Class => Measure::Class,
        MeasureArg::Auc => Measure::Auc,
    };
    let choice = match args.lambda {
        LambdaArg::Min => LambdaChoice::Min,
        LambdaArg::OneSe => LambdaChoice::OneSe,
    };
    let opts = PathOptions {
        thresh: args.thresh,
        ..PathOptions::default()
    };
    eprintln!("cross-validating the lasso path on {n} rows x {p} features ...");
    let cv = cross_validate(&design, &data.y, &folds, measure, &opts)
        .context("cross-validating the lasso path")?;
    if cv.measure != measure {
        eprintln!(
            "warning: fewer than 10 rows per fold for type.measure auc; using deviance instead, as cv.glmnet does"
        );
    }
    let mut inputs = Vec::with_capacity(args.train.len());
    for path in &args.train {
        inputs.push(InputHash {
            path: path.display().to_string(),
            sha256: sha256_file(path)?,
        });
    }
    let model = SignatureModel::from_cv(&cv, choice, &data.names, inputs);
    write_model(&model, &args.out)?;
    let mut plots = Vec::new();
    if let Some(dir) = &args.plots {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        // Standardised coefficients: the released features span ~30 orders of
        // magnitude in scale, which makes original-scale paths unreadable.
        let sd = design.standard_deviations();
        for ext in ["svg", "png"] {
            let a = dir.join(format!("lasso_path.{ext}"));
            dlrn_lasso::plot::cv_coefficient_paths(&cv, Some(&sd), choice, &a)?;
            let b = dir.join(format!("lasso_cv.{ext}"));
            dlrn_lasso::plot::cv_curve(&cv, &b)?;
            plots.push(a);
            plots.push(b);
        }
    }
    eprintln!(
        "lambda.{} = {:.6} (#{} of {}, {} = {:.4}): {} feature(s) selected; wrote {}",
        match choice {
            LambdaChoice::Min => "min",
            LambdaChoice::OneSe => "1se",
        },
        model.lambda,
        match choice {
            LambdaChoice::Min => model.path.index_min,
            LambdaChoice::OneSe => model.path.index_1se,
        },
        cv.lambda.len(),
        cv.measure.name(),
        cv.cvm[match choice {
            LambdaChoice::Min => cv.index_min,
            LambdaChoice::OneSe => cv.index_1se,
        }],
        model.features.len(),
        args.out.display()
    );
    if args.json {
        print_json(&LassoOutput {
            out: args.out.clone(),
            dropped_columns: data.dropped,
            plots,
            model,
        })?;
    }
    Ok(())
}

fn write_model(model: &SignatureModel, path: &Path) -> anyhow::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let text = serde_json::to_string_pretty(model).context("serialising the model")?;
    super::util::write_atomic(path, text + "\n")
}
