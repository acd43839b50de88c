//! `dlrn logistic`: multivariable (or univariate screening) logistic
//! regression with the study's Table 3 output.

use std::path::PathBuf;

use anyhow::{Context, bail};
use dlrn_cohort::Table;
use dlrn_stats::{LogisticFit, ScreenRow, logistic_fit, univariate_screen};
use dlrn_study::coding::{code_column, terms};
use dlrn_study::schema::{ClinicalSchema, Variable, VariableKind, read_schema};
use serde::Serialize;

use crate::cli::util::print_json;

/// Fit a logistic regression and print the Table 3-style coefficient table.
///
/// Fits ALN status on the --predictors by maximum likelihood (IRLS, =
/// `glm(y ~ a + b + c, family = binomial)`) and reports per predictor the
/// coefficient, SE, Wald z and p, odds ratio with Wald 95% CI
/// (= `exp(confint.default(fit))`), then deviance, AIC, LR χ², Nagelkerke R²
/// (= rms::lrm "R2"), C-index and Brier score. --univariate fits each
/// predictor alone instead (the study's screening step).
///
/// Coding, the study's own: a column declared in the clinical schema
/// (--schema; default: the paper's 13 variables) is coded as declared —
/// numeric as it is, binary 0/1 with the declared positive level 1, ordinal
/// as the score 1, 2, … of its declared order (BI-RADS 4A<4B<4C<5 → 1–4),
/// nominal as dummies `col=level` against the declared reference level, in
/// declared order (R: `factor(x, levels = …)`, `contr.treatment`). An
/// undeclared numeric column enters as it is; an undeclared text column is
/// nominal with its levels sorted as R's `factor()` sorts them and the first
/// as reference unless --reference COL=LEVEL names another. Rows with a
/// missing predictor are dropped (R's `na.omit`) and counted. Complete or
/// quasi-complete separation is an error naming the predictor.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Table with the label and predictor columns (.csv or .parquet).
    #[arg(long, value_name = "TABLE")]
    pub data: PathBuf,

    /// Outcome column (0/1).
    #[arg(long, default_value = "ALN_status", value_name = "COLUMN")]
    pub label: String,

    /// Predictor columns, comma-separated.
    #[arg(long, value_name = "A,B,C", value_delimiter = ',', required = true)]
    pub predictors: Vec<String>,

    /// Clinical schema (schema.toml) declaring each variable's kind, levels
    /// and reference level. Default: the paper's 13 clinical variables.
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,

    /// Reference level of an undeclared text column, as COL=LEVEL (repeatable).
    #[arg(long = "reference", value_name = "COL=LEVEL")]
    pub references: Vec<String>,

    /// Fit each predictor alone (univariate screening) instead of one model.
    #[arg(long)]
    pub univariate: bool,

    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// How one table column entered the design.
#[derive(Debug, Clone, Serialize)]
pub struct Coding {
    /// Table column.
    pub column: String,
    /// "numeric", "ordinal 4A<4B<4C<5 coded 1-4", "binary pos=1", "nominal, reference X".
    pub coding: String,
    /// Design columns it produced.
    pub terms: Vec<String>,
}

/// The `--json` output of `dlrn logistic`.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Output {
    /// One multivariable model.
    Model {
        /// Column codings.
        coding: Vec<Coding>,
        /// The fit.
        fit: LogisticFit,
    },
    /// Univariate screening rows.
    Screen {
        /// Column codings.
        coding: Vec<Coding>,
        /// One row per design column.
        univariate: Vec<ScreenRow>,
    },
}

/// Numeric design columns made from table columns.
#[derive(Debug)]
pub struct Design {
    /// Design column names (R's coefficient names).
    pub terms: Vec<String>,
    /// One value vector per design column (NaN where missing).
    pub values: Vec<Vec<f64>>,
    /// How each table column was coded.
    pub coding: Vec<Coding>,
}

fn describe(v: &Variable) -> String {
    match &v.kind {
        VariableKind::Numeric { .. } => "numeric".into(),
        VariableKind::Binary { levels, positive } => {
            let other = levels.iter().find(|l| *l != positive).cloned();
            format!("binary {positive}=1, {}=0", other.unwrap_or_default())
        }
        VariableKind::Ordinal { levels } => {
            format!("ordinal {} coded 1-{}", levels.join("<"), levels.len())
        }
        VariableKind::Nominal { reference, .. } => format!("nominal, reference {reference}"),
    }
}

/// Turns table columns into numeric design columns with the study's coding
/// (see [`Args`]): declared columns as `schema` declares them, undeclared
/// ones numeric, or nominal against `references` or R's default level.
pub fn design(
    table: &Table,
    columns: &[String],
    schema: &ClinicalSchema,
    references: &[(String, String)],
) -> anyhow::Result<Design> {
    let names: Vec<&str> = columns.iter().map(String::as_str).collect();
    table.require_columns(&names)?;
    let (mut terms_out, mut values, mut codings) = (Vec::new(), Vec::new(), Vec::new());
    for col in columns {
        let declared = schema.variable(col).cloned();
        let variable = match declared {
            Some(v) => v,
            None => {
                if let Ok(v) = table.f64_column(col) {
                    terms_out.push(col.clone());
                    values.push(v);
                    codings.push(Coding {
                        column: col.clone(),
                        coding: "numeric".into(),
                        terms: vec![col.clone()],
                    });
                    continue;
                }
                let text = table.str_column(col)?;
                let mut levels: Vec<String> = text
                    .iter()
                    .flatten()
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty() && s != "NA")
                    .collect();
                levels.sort();
                levels.dedup();
                let reference = match references.iter().find(|(c, _)| c == col) {
                    Some((_, r)) => r.clone(),
                    None => levels.first().cloned().unwrap_or_default(),
                };
                Variable {
                    name: col.clone(),
                    label: col.clone(),
                    kind: VariableKind::Nominal { levels, reference },
                    level_labels: Default::default(),
                    allow_missing: true,
                }
            }
        };
        // The fit drops missing rows (na.omit) and counts them, so an empty
        // cell is allowed here whatever the schema says.
        let variable = Variable {
            allow_missing: true,
            ..variable
        };
        let text = table.str_column(col)?;
        let mut problems = Vec::new();
        let parsed = schema.parse_column(&variable, &text, table.path(), &mut problems);
        if let Some((_, r)) = references.iter().find(|(c, _)| c == col)
            && !variable.levels().contains(r)
        {
            problems.push(dlrn_cohort::Problem::new(
                table.path(),
                None,
                Some(col.as_str()),
                format!(
                    "--reference {col}={r}: {r:?} is not one of {}",
                    variable.levels().join("|")
                ),
            ));
        }
        if !problems.is_empty() {
            let lines: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
            bail!("{}", lines.join("\n"));
        }
        let coded = code_column(&variable, &parsed)?;
        let names: Vec<String> = terms(&variable).into_iter().map(|t| t.name).collect();
        codings.push(Coding {
            column: col.clone(),
            coding: describe(&variable),
            terms: names.clone(),
        });
        terms_out.extend(names);
        values.extend(coded);
    }
    Ok(Design {
        terms: terms_out,
        values,
        coding: codings,
    })
}

fn p_text(p: f64) -> String {
    if p < 0.001 {
        "<0.001".into()
    } else {
        format!("{p:.3}")
    }
}

/// Runs `dlrn logistic`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let table = Table::read(&args.data)?;
    table.require_columns(&[args.label.as_str()])?;
    let y = table.labels(&args.label)?;
    let schema = match &args.schema {
        Some(p) => read_schema(p)?,
        None => ClinicalSchema::paper(),
    };
    let references = args
        .references
        .iter()
        .map(|r| {
            r.split_once('=')
                .map(|(c, l)| (c.trim().to_string(), l.trim().to_string()))
                .with_context(|| format!("--reference {r:?}: expected COL=LEVEL"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    for (c, _) in &references {
        if schema.variable(c).is_some() {
            bail!(
                "--reference {c}=…: `{c}` is declared in the schema; its reference level is the schema's"
            );
        }
    }
    let Design {
        terms,
        values,
        coding,
    } = design(&table, &args.predictors, &schema, &references)?;
    let refs: Vec<&[f64]> = values.iter().map(Vec::as_slice).collect();
    let names: Vec<&str> = terms.iter().map(String::as_str).collect();
    let ctx = || {
        format!(
            "{}: logistic regression of `{}`",
            args.data.display(),
            args.label
        )
    };
    let out = if args.univariate {
        Output::Screen {
            coding,
            univariate: univariate_screen(&refs, &names, &y).with_context(ctx)?,
        }
    } else {
        Output::Model {
            coding,
            fit: logistic_fit(&refs, &names, &y).with_context(ctx)?,
        }
    };
    if args.json {
        return print_json(&out);
    }
    println!(
        "{:<24} {:>10} {:>9} {:>8} {:>26} {:>8}",
        "factor", "coef", "SE", "z", "odds ratio (95% CI)", "P"
    );
    let line = |name: &str, c: &dlrn_stats::Coefficient| {
        println!(
            "{:<24} {:>10.4} {:>9.4} {:>8.3} {:>8.4} ({:.4}–{:.4}) {:>8}",
            name,
            c.estimate,
            c.std_error,
            c.z,
            c.odds_ratio,
            c.or_ci_low,
            c.or_ci_high,
            p_text(c.p_value)
        )
    };
    match &out {
        Output::Model { fit, .. } => {
            for c in &fit.coefficients {
                line(&c.name, c);
            }
            println!(
                "n = {} ({} dropped for missing values), events = {}; deviance {:.3} on {} df, AIC {:.3}",
                fit.n, fit.n_dropped, fit.events, fit.deviance, fit.df_residual, fit.aic
            );
            println!(
                "LR χ² {:.3} on {} df (p {}), Nagelkerke R² {:.4}, C-index {:.4}, Brier {:.4}",
                fit.lr_chisq,
                fit.lr_df,
                p_text(fit.lr_p_value),
                fit.nagelkerke_r2,
                fit.c_index,
                fit.brier
            );
        }
        Output::Screen { univariate, .. } => {
            for r in univariate {
                line(&format!("{} (n={})", r.predictor, r.n), &r.coefficient);
            }
        }
    }
    Ok(())
}
