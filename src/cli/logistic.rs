//! `dlrn logistic`: multivariable (or univariate screening) logistic
//! regression with the study's Table 3 output.

use std::path::PathBuf;

use anyhow::Context;
use dlrn_cohort::Table;
use dlrn_stats::{
    BIRADS_LEVELS, LogisticFit, ScreenRow, dummy_code, logistic_fit, ordinal_code,
    univariate_screen,
};
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
/// Coding, as the study did: numeric columns enter as they are; `birads`
/// text (4A < 4B < 4C < 5) is coded 1–4; a column whose values are only
/// pos/neg is 1/0, only suspicious/non-suspicious is 1/0, only yes/no is 1/0;
/// any other text column is nominal, coded as 0/1 dummies `col=level` against
/// its first level in sorted order (R's `contr.treatment`). Rows with a
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
    /// "numeric", "ordinal 4A<4B<4C<5", "binary pos=1", "nominal (reference X)".
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

const BINARY_TEXT: [(&str, &str); 3] = [
    ("pos", "neg"),
    ("suspicious", "non-suspicious"),
    ("yes", "no"),
];

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

/// Turns table columns into numeric design columns with the documented coding.
pub fn design(table: &Table, columns: &[String]) -> anyhow::Result<Design> {
    let names: Vec<&str> = columns.iter().map(String::as_str).collect();
    table.require_columns(&names)?;
    let (mut terms, mut values, mut codings) = (Vec::new(), Vec::new(), Vec::new());
    for col in columns {
        if let Ok(v) = table.f64_column(col) {
            terms.push(col.clone());
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
        let lower: Vec<String> = levels.iter().map(|l| l.to_ascii_lowercase()).collect();
        if col.eq_ignore_ascii_case("birads")
            || levels.iter().all(|l| BIRADS_LEVELS.contains(&l.as_str()))
        {
            values.push(
                ordinal_code(col, &text, &BIRADS_LEVELS)
                    .with_context(|| table.path().display().to_string())?,
            );
            terms.push(col.clone());
            codings.push(Coding {
                column: col.clone(),
                coding: "ordinal 4A<4B<4C<5 coded 1-4".into(),
                terms: vec![col.clone()],
            });
        } else if let Some((one, zero)) = BINARY_TEXT
            .iter()
            .find(|(a, b)| lower.iter().all(|l| l == a || l == b))
        {
            let v = text
                .iter()
                .map(
                    |s| match s.as_deref().map(|x| x.trim().to_ascii_lowercase()) {
                        Some(x) if x == *one => 1.0,
                        Some(x) if x == *zero => 0.0,
                        _ => f64::NAN,
                    },
                )
                .collect();
            values.push(v);
            terms.push(col.clone());
            codings.push(Coding {
                column: col.clone(),
                coding: format!("binary {one}=1, {zero}=0"),
                terms: vec![col.clone()],
            });
        } else {
            let lv: Vec<&str> = levels.iter().map(String::as_str).collect();
            let reference = lv.first().copied().unwrap_or("");
            let dummies = dummy_code(col, &text, &lv, reference)
                .with_context(|| table.path().display().to_string())?;
            let names: Vec<String> = dummies.iter().map(|d| d.name.clone()).collect();
            for d in dummies {
                terms.push(d.name);
                values.push(d.values);
            }
            codings.push(Coding {
                column: col.clone(),
                coding: format!("nominal, reference {reference}"),
                terms: names,
            });
        }
    }
    Ok(Design {
        terms,
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
    let Design {
        terms,
        values,
        coding,
    } = design(&table, &args.predictors)?;
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
