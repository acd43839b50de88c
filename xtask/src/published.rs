//! `cargo xtask published`: the study's published signature (Liu et al.,
//! npj Breast Cancer 2024, 49 LASSO coefficients) scored on every released
//! feature table, as the signature rows of Table 2, plus a LASSO retrained on
//! all tables but one and validated on the held-out one, each in turn.
//!
//! Every statistic comes from a library crate: AUC and DeLong CI, paired
//! DeLong test, Youden cut-off and exact diagnostic CIs from dlrn-stats
//! (pROC / `binom.test` conventions), the cross-validated LASSO from
//! dlrn-lasso (`cv.glmnet`), tables, figures and the index page from
//! dlrn-report, the tables themselves through dlrn-cohort. The output is a
//! function of the inputs and the options only: a rerun writes the same bytes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail, ensure};
use dlrn_cohort::Table;
use dlrn_lasso::{
    Design, Folds, InputHash, LambdaChoice, Measure, PathOptions, SignatureModel, cross_validate,
};
use dlrn_report::{
    Estimate, IndexPage, Item, Manifest, Provenance, ReportTable, RocCurve, RocFigure, Section,
    SelectedFeatureRow, SelectedFeatures, Table2, Table2Row, TextTable, file_stem, write_csv,
    write_figure, write_table,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::workspace_root;

/// The outcome column of the released tables (1 = ALN metastasis).
const LABEL: &str = "ALN_status";
/// The signature file's name inside the tables folder (the default --signature).
const SIGNATURE_FILE: &str = "published_signature.csv";
/// Confidence level of every interval (the paper's 95%).
const LEVEL: f64 = 0.95;
/// PNG pixels per SVG pixel for the report's figures.
const PNG_SCALE: u32 = 2;
/// Model name of the published signature's rows.
const SIGNATURE_MODEL: &str = "signature";
/// Model name of the hold-out LASSO's rows.
const LASSO_MODEL: &str = "lasso_heldout";

/// Score the published signature on the released feature tables (Table 2's signature rows).
///
/// Reads every released-format table in --tables (columns id, ALN_status,
/// the 544 handcrafted features and f_1..f_2048; every *.csv except the
/// signature file), scores the published signature (feature,coefficient;
/// an optional `intercept` row) on each, and writes OUT/table2.csv and
/// OUT/table2.md: AUC with DeLong 95% CI, and accuracy, sensitivity,
/// specificity, PPV and NPV with exact (Clopper–Pearson) 95% CIs at the
/// Youden cut-off of the first table by name (or --cutoff); model
/// "signature".
///
/// Unless --no-lasso is given, it also retrains a LASSO (glmnet's cv.glmnet:
/// binomial, type.measure mse, --folds seeded folds, lambda.min) on all
/// tables but one and validates it on the held-out table, each in turn; its
/// rows (model "lasso_heldout", cohort = the held-out table) carry the
/// paired DeLong P against the signature. Columns with missing values are
/// dropped and reported. Figures (ROC per table, LASSO path and CV curve per
/// hold-out) go to OUT/figures/, with OUT/index.html and OUT/manifest.json
/// (SHA-256 of every input). The same inputs and options give the same bytes.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder of released feature tables [default: data/aln-paper in the workspace].
    #[arg(long, value_name = "DIR")]
    pub tables: Option<PathBuf>,

    /// Signature coefficients (feature,coefficient) [default: DIR/published_signature.csv].
    #[arg(long, value_name = "FILE")]
    pub signature: Option<PathBuf>,

    /// Output folder [default: reports/published in the workspace].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Signature cut-off for the diagnostic metrics (a score >= X is positive)
    /// [default: the Youden cut-off of the first table by name].
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub cutoff: Option<f64>,

    /// Seed of the LASSO's fold assignment (ChaCha8; not R's RNG).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub seed: u64,

    /// Number of cross-validation folds of the LASSO (cv.glmnet's nfolds).
    #[arg(long, default_value_t = 10, value_name = "K")]
    pub folds: usize,

    /// Deterministic LASSO folds instead of seeded ones: training row i
    /// (0-based, stacked in name order) goes to fold (i mod K) + 1, R's
    /// `foldid = (seq_len(n) - 1) %% K + 1`, so cv.glmnet can be given the same folds.
    #[arg(long, value_name = "K", conflicts_with_all = ["seed", "folds"])]
    pub foldid_row_mod: Option<usize>,

    /// Skip the hold-out LASSO (signature rows only).
    #[arg(long)]
    pub no_lasso: bool,
}

/// One released table: its cohort name (the file stem), labels and all columns.
struct Cohort {
    name: String,
    file: String,
    table: Table,
    labels: Vec<u8>,
}

/// The published signature: optional intercept and (feature, coefficient) in file order.
struct Signature {
    intercept: f64,
    terms: Vec<(String, f64)>,
}

/// The options that decide the numbers, hashed into the manifest and shown in the index.
#[derive(Debug, Serialize)]
struct Settings {
    tables: Vec<String>,
    signature: String,
    cutoff: Option<f64>,
    cutoff_rule: String,
    lasso: bool,
    seed: u64,
    folds: usize,
    foldid_row_mod: Option<usize>,
    measure: &'static str,
    lambda: &'static str,
    level: f64,
}

/// One hold-out LASSO: trained on every other table, validated on `held_out`.
struct HoldOut {
    held_out: usize,
    model: SignatureModel,
    scores: Vec<f64>,
    cutoff: f64,
    row: Table2Row,
    p_vs_signature: f64,
    figures: Vec<(String, String)>,
}

/// Runs `cargo xtask published`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let root = workspace_root();
    let tables_dir = args
        .tables
        .clone()
        .unwrap_or_else(|| root.join("data").join("aln-paper"));
    let signature_path = args
        .signature
        .clone()
        .unwrap_or_else(|| tables_dir.join(SIGNATURE_FILE));
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| root.join("reports").join("published"));
    if let Some(c) = args.cutoff {
        ensure!(c.is_finite(), "--cutoff {c}: expected a finite number");
    }
    let k = args.foldid_row_mod.unwrap_or(args.folds);
    ensure!(k >= 3, "{k} folds: cv.glmnet needs at least 3");

    let signature = read_signature(&signature_path)?;
    let table_paths = list_tables(&tables_dir, &signature_path)?;
    let mut cohorts = Vec::with_capacity(table_paths.len());
    for path in &table_paths {
        cohorts.push(read_cohort(path)?);
    }

    // The published signature on every table.
    let mut sig_scores = Vec::with_capacity(cohorts.len());
    for c in &cohorts {
        sig_scores.push(score_signature(&signature, c)?);
    }
    let (cutoff, cutoff_rule) = match args.cutoff {
        Some(x) => (x, "given by --cutoff".to_string()),
        None => {
            let y = dlrn_stats::youden(&cohorts[0].labels, &sig_scores[0])
                .with_context(|| format!("Youden cut-off on {}", cohorts[0].file))?;
            (
                y.threshold,
                format!(
                    "Youden-optimal on {} (first table by name)",
                    cohorts[0].name
                ),
            )
        }
    };
    let mut rows = Vec::new();
    for (c, s) in cohorts.iter().zip(&sig_scores) {
        rows.push(table2_row(
            &c.name,
            SIGNATURE_MODEL,
            &c.labels,
            s,
            cutoff,
            None,
        )?);
    }

    std::fs::create_dir_all(out.join("figures"))
        .with_context(|| format!("creating {}", out.join("figures").display()))?;
    let mut outputs: Vec<String> = Vec::new();

    // The LASSO retrained on all tables but one.
    let mut dropped: Vec<(String, String)> = Vec::new();
    let mut holdouts: Vec<HoldOut> = Vec::new();
    if !args.no_lasso {
        ensure!(
            cohorts.len() >= 2,
            "the hold-out LASSO needs at least two tables in {} (found {}); pass --no-lasso",
            tables_dir.display(),
            cohorts.len()
        );
        let features = FeatureMatrix::new(&cohorts)?;
        dropped = features.dropped.clone();
        for i in 0..cohorts.len() {
            let h = hold_out(&cohorts, &features, &sig_scores, i, &args, &out)
                .with_context(|| format!("LASSO validated on {}", cohorts[i].file))?;
            outputs.extend(
                h.figures
                    .iter()
                    .flat_map(|(svg, png)| [svg.clone(), png.clone()]),
            );
            holdouts.push(h);
        }
        for h in &holdouts {
            let name = &cohorts[h.held_out].name;
            let stem = format!("lasso_heldout_{}", file_stem(name));
            let path = out.join(format!("{stem}.json"));
            let mut text = serde_json::to_string_pretty(&h.model)?;
            text.push('\n');
            std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
            outputs.push(format!("{stem}.json"));
            let selected = selected_features(h);
            write_table(&selected, &out, &format!("{stem}_features"))?;
            outputs.extend([
                format!("{stem}_features.csv"),
                format!("{stem}_features.md"),
            ]);
            rows.push(h.row.clone());
        }
    }

    // ROC figures, one per table: the signature and, where run, the hold-out LASSO.
    let mut roc_items = Vec::new();
    for (i, c) in cohorts.iter().enumerate() {
        let mut curves = vec![roc_curve(SIGNATURE_MODEL, &c.labels, &sig_scores[i])?];
        if let Some(h) = holdouts.iter().find(|h| h.held_out == i) {
            curves.push(roc_curve(LASSO_MODEL, &c.labels, &h.scores)?);
        }
        let fig = RocFigure {
            title: c.name.clone(),
            curves,
        };
        let stem = format!("roc_{}", file_stem(&c.name));
        write_figure(&fig, &out.join("figures"), &stem, PNG_SCALE)?;
        let (svg, png) = (format!("figures/{stem}.svg"), format!("figures/{stem}.png"));
        roc_items.push(Item::Figure {
            caption: format!("ROC curves, {}", c.name),
            svg: svg.clone(),
            png: Some(png.clone()),
        });
        outputs.extend([svg, png]);
    }

    // Table 2: full-precision CSV and captioned Markdown.
    let table2 = Table2::new(rows);
    write_csv(&table2, &out.join("table2.csv"))?;
    let display = table2_display(&table2);
    let caption = table2_caption(&signature, cutoff, &cutoff_rule, &args, &holdouts, &dropped);
    let md_path = out.join("table2.md");
    std::fs::write(&md_path, format!("{caption}\n\n{}", display.to_markdown()))
        .with_context(|| format!("writing {}", md_path.display()))?;
    outputs.extend(["table2.csv".to_string(), "table2.md".to_string()]);

    // Provenance: SHA-256 of every input, the settings that decide the numbers.
    let mut inputs = BTreeMap::new();
    let mut data_hashes = Vec::new();
    for p in table_paths.iter().chain(std::iter::once(&signature_path)) {
        let name = file_name(p);
        let hash = sha256_file(p)?;
        data_hashes.push((name.clone(), hash.clone()));
        inputs.insert(name, hash);
    }
    let settings = Settings {
        tables: cohorts.iter().map(|c| c.file.clone()).collect(),
        signature: file_name(&signature_path),
        cutoff: args.cutoff,
        cutoff_rule: cutoff_rule.clone(),
        lasso: !args.no_lasso,
        seed: args.seed,
        folds: args.folds,
        foldid_row_mod: args.foldid_row_mod,
        measure: Measure::Mse.name(),
        lambda: "lambda.min",
        level: LEVEL,
    };
    let mut settings_text = serde_json::to_string_pretty(&settings)?;
    settings_text.push('\n');
    let settings_hash = hex::encode(Sha256::digest(settings_text.as_bytes()));
    let weights = "deep features f_1..f_2048 as released by the study (its fine-tuned ResNet50)";

    let mut sections = vec![Section {
        title: "Table 2: the published signature on the released tables".into(),
        items: vec![Item::Table {
            caption: caption.clone(),
            table: display,
            csv: Some("table2.csv".into()),
        }],
    }];
    sections.push(Section {
        title: "ROC curves".into(),
        items: roc_items,
    });
    if !holdouts.is_empty() {
        let mut items = Vec::new();
        for h in &holdouts {
            let name = &cohorts[h.held_out].name;
            let stem = format!("lasso_heldout_{}_features", file_stem(name));
            let selected = selected_features(h);
            items.push(Item::Table {
                caption: format!(
                    "LASSO validated on {name}: {} feature(s) selected at lambda.min = {} (intercept {})",
                    h.model.features.len(),
                    dlrn_report::format::significant(h.model.lambda, 4),
                    dlrn_report::format::significant(h.model.intercept, 4)
                ),
                table: selected.display(),
                csv: Some(format!("{stem}.csv")),
            });
            for (svg, png) in &h.figures {
                let what = if svg.contains("lasso_path_") {
                    "coefficient paths (standardised)"
                } else {
                    "cross-validation curve (mean-squared error)"
                };
                items.push(Item::Figure {
                    caption: format!("LASSO without {name}: {what}"),
                    svg: svg.clone(),
                    png: Some(png.clone()),
                });
            }
        }
        sections.push(Section {
            title: "Hold-out LASSO".into(),
            items,
        });
    }
    let page = IndexPage {
        title: "The published DLRN signature on the released feature tables".into(),
        simulated: None,
        provenance: Provenance {
            version: env!("CARGO_PKG_VERSION").into(),
            seed: args.seed,
            config_name: "settings (command line)".into(),
            config_text: settings_text.clone(),
            config_hash: settings_hash.clone(),
            data_hashes,
            weights: weights.into(),
            weights_hash: None,
        },
        sections,
    };
    page.write(&out.join("index.html"))?;
    outputs.push("index.html".into());

    let manifest = Manifest {
        version: env!("CARGO_PKG_VERSION").into(),
        seed: args.seed,
        config_hash: settings_hash,
        inputs,
        weights: weights.into(),
        simulated: false,
        outputs,
    };
    manifest.write(&out.join("manifest.json"))?;

    print_summary(
        &table2,
        cutoff,
        &cutoff_rule,
        &holdouts,
        &cohorts,
        &dropped,
        &out,
    );
    Ok(())
}

/// Reads the signature: columns `feature` and `coefficient`; a row named
/// `intercept` or `(Intercept)` (glmnet's `coef()` name) is the intercept.
fn read_signature(path: &Path) -> anyhow::Result<Signature> {
    let table =
        Table::read(path).with_context(|| format!("reading the signature {}", path.display()))?;
    table
        .require_columns(&["feature", "coefficient"])
        .with_context(|| format!("reading the signature {}", path.display()))?;
    let names = table.str_column("feature")?;
    let coefs = table.f64_column("coefficient")?;
    let mut intercept = None;
    let mut terms: Vec<(String, f64)> = Vec::with_capacity(names.len());
    for (i, (name, coef)) in names.into_iter().zip(coefs).enumerate() {
        let row = i + 1;
        let Some(name) = name else {
            bail!(
                "{}: row {row}, column `feature`: empty; expected a feature name",
                path.display()
            );
        };
        if !coef.is_finite() {
            bail!(
                "{}: row {row}, column `coefficient`: {coef} for `{name}`; expected a finite number",
                path.display()
            );
        }
        if name.eq_ignore_ascii_case("intercept") || name == "(Intercept)" {
            if intercept.replace(coef).is_some() {
                bail!("{}: row {row}: a second intercept row", path.display());
            }
        } else {
            if terms.iter().any(|(n, _)| *n == name) {
                bail!(
                    "{}: row {row}: feature `{name}` appears twice",
                    path.display()
                );
            }
            terms.push((name, coef));
        }
    }
    ensure!(!terms.is_empty(), "{}: no feature rows", path.display());
    Ok(Signature {
        intercept: intercept.unwrap_or(0.0),
        terms,
    })
}

/// The released tables in `dir`: every `*.csv` except the signature file, sorted by name.
fn list_tables(dir: &Path, signature: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let signature = signature.canonicalize().ok();
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry
            .with_context(|| format!("listing {}", dir.display()))?
            .path();
        let is_csv = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        let is_signature = path.file_name().is_some_and(|n| n == SIGNATURE_FILE)
            || (signature.is_some() && path.canonicalize().ok() == signature);
        if path.is_file() && is_csv && !is_signature {
            paths.push(path);
        }
    }
    paths.sort_by_key(|p| file_name(p));
    ensure!(
        !paths.is_empty(),
        "{}: no feature tables (*.csv other than {SIGNATURE_FILE}); download the study's released tables into it",
        dir.display()
    );
    Ok(paths)
}

/// Reads one released table and its labels; the cohort is named after the file stem.
fn read_cohort(path: &Path) -> anyhow::Result<Cohort> {
    let table = Table::read(path).with_context(|| format!("reading {}", path.display()))?;
    table
        .require_columns(&[LABEL])
        .with_context(|| format!("reading {}", path.display()))?;
    let labels = table.labels(LABEL)?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Cohort {
        name,
        file: file_name(path),
        table,
        labels,
    })
}

/// The signature's linear predictor per row: intercept + sum of
/// coefficient × value, summed in the signature file's order.
fn score_signature(sig: &Signature, c: &Cohort) -> anyhow::Result<Vec<f64>> {
    let missing: Vec<&str> = sig
        .terms
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| !c.table.has_column(n))
        .collect();
    ensure!(
        missing.is_empty(),
        "{}: the signature's feature column(s) {} are missing",
        c.file,
        missing.join(", ")
    );
    let mut scores = vec![sig.intercept; c.table.n_rows()];
    for (name, coef) in &sig.terms {
        let values = c.table.f64_column(name)?;
        for (i, (s, v)) in scores.iter_mut().zip(values).enumerate() {
            if !v.is_finite() {
                bail!(
                    "{}: row {}, column `{name}`: {v}; the signature needs a finite value",
                    c.file,
                    i + 1
                );
            }
            *s += coef * v;
        }
    }
    Ok(scores)
}

/// A proportion with its CI as the report's type; a zero denominator is an
/// error naming the model, cohort and metric.
fn estimate(
    p: Option<dlrn_stats::Proportion>,
    what: &str,
    model: &str,
    cohort: &str,
    cutoff: f64,
) -> anyhow::Result<Estimate> {
    match p {
        Some(p) => Ok(Estimate {
            value: p.value,
            ci_low: p.ci_low,
            ci_high: p.ci_high,
        }),
        None => bail!(
            "{model} on {cohort}: {what} is undefined at cut-off {cutoff} (no patient in its denominator)"
        ),
    }
}

/// One Table 2 row: AUC with DeLong CI and the metrics at `cutoff`.
fn table2_row(
    cohort: &str,
    model: &str,
    labels: &[u8],
    scores: &[f64],
    cutoff: f64,
    delong_p: Option<f64>,
) -> anyhow::Result<Table2Row> {
    let auc = dlrn_stats::auc_delong(labels, scores, LEVEL)
        .with_context(|| format!("AUC of {model} on {cohort}"))?;
    let d = dlrn_stats::diagnostic_metrics(labels, scores, cutoff, LEVEL)
        .with_context(|| format!("diagnostic metrics of {model} on {cohort}"))?;
    let e =
        |p: Option<dlrn_stats::Proportion>, what: &str| estimate(p, what, model, cohort, cutoff);
    Ok(Table2Row {
        cohort: cohort.into(),
        model: model.into(),
        auc: auc.auc,
        auc_ci_low: auc.ci_low,
        auc_ci_high: auc.ci_high,
        accuracy: e(Some(d.accuracy), "accuracy")?,
        sensitivity: e(d.sensitivity, "sensitivity")?,
        specificity: e(d.specificity, "specificity")?,
        ppv: e(d.ppv, "PPV")?,
        npv: e(d.npv, "NPV")?,
        delong_p,
    })
}

/// Every table's feature columns (all but id and the label), with the
/// columns holding a missing or non-finite value in any table dropped.
struct FeatureMatrix {
    names: Vec<String>,
    /// Per table, per kept column, the values.
    columns: Vec<Vec<Vec<f64>>>,
    /// (column, where its missing values are) for each dropped column.
    dropped: Vec<(String, String)>,
}

impl FeatureMatrix {
    fn new(cohorts: &[Cohort]) -> anyhow::Result<Self> {
        let names: Vec<String> = cohorts[0].table.feature_names(LABEL);
        for c in &cohorts[1..] {
            let these = c.table.feature_names(LABEL);
            if these != names {
                let missing: Vec<&String> = names.iter().filter(|n| !these.contains(n)).collect();
                let extra: Vec<&String> = these.iter().filter(|n| !names.contains(n)).collect();
                bail!(
                    "{}: feature columns differ from {} (missing {:?}, extra {:?}{})",
                    c.file,
                    cohorts[0].file,
                    missing,
                    extra,
                    if missing.is_empty() && extra.is_empty() {
                        ", same names in another order"
                    } else {
                        ""
                    }
                );
            }
        }
        let mut all: Vec<Vec<Vec<f64>>> = vec![Vec::with_capacity(names.len()); cohorts.len()];
        let mut keep = Vec::with_capacity(names.len());
        let mut dropped = Vec::new();
        for name in &names {
            let mut where_na = Vec::new();
            let mut per_table = Vec::with_capacity(cohorts.len());
            for c in cohorts {
                let v = c.table.f64_column(name)?;
                let rows: Vec<String> = v
                    .iter()
                    .enumerate()
                    .filter(|(_, x)| !x.is_finite())
                    .map(|(i, _)| (i + 1).to_string())
                    .collect();
                if !rows.is_empty() {
                    where_na.push(format!("{} rows {}", c.name, rows.join(", ")));
                }
                per_table.push(v);
            }
            if where_na.is_empty() {
                keep.push(name.clone());
                for (t, v) in per_table.into_iter().enumerate() {
                    all[t].push(v);
                }
            } else {
                dropped.push((name.clone(), where_na.join("; ")));
            }
        }
        Ok(FeatureMatrix {
            names: keep,
            columns: all,
            dropped,
        })
    }

    /// Column-major values of the tables `which`, stacked in that order.
    fn stacked(&self, which: &[usize]) -> Vec<f64> {
        let n: usize = which.iter().map(|&t| self.columns[t][0].len()).sum();
        let mut x = Vec::with_capacity(n * self.names.len());
        for j in 0..self.names.len() {
            for &t in which {
                x.extend_from_slice(&self.columns[t][j]);
            }
        }
        x
    }

    /// The model's linear predictor on every row of table `t`.
    fn score(&self, model: &SignatureModel, t: usize) -> Vec<f64> {
        let n = self.columns[t].first().map_or(0, Vec::len);
        let index: BTreeMap<&str, usize> = self
            .names
            .iter()
            .enumerate()
            .map(|(j, n)| (n.as_str(), j))
            .collect();
        let cols: Vec<&[f64]> = model
            .features
            .iter()
            .map(|f| self.columns[t][index[f.feature.as_str()]].as_slice())
            .collect();
        (0..n)
            .map(|i| {
                let values: Vec<f64> = cols.iter().map(|c| c[i]).collect();
                model.score(&values)
            })
            .collect()
    }
}

/// Trains the LASSO on every table but `i` (stacked by name), validates it on `i`.
fn hold_out(
    cohorts: &[Cohort],
    features: &FeatureMatrix,
    sig_scores: &[Vec<f64>],
    i: usize,
    args: &Args,
    out: &Path,
) -> anyhow::Result<HoldOut> {
    let train: Vec<usize> = (0..cohorts.len()).filter(|&t| t != i).collect();
    let y: Vec<u8> = train
        .iter()
        .flat_map(|&t| cohorts[t].labels.iter().copied())
        .collect();
    let n = y.len();
    let k = args.foldid_row_mod.unwrap_or(args.folds);
    ensure!(n >= k, "{n} training rows cannot fill {k} folds");
    let x = features.stacked(&train);
    let design = Design::column_major(&x, n, features.names.len())?;
    let folds = match args.foldid_row_mod {
        Some(k) => Folds::Ids((0..n).map(|r| r % k + 1).collect()),
        None => Folds::Seeded {
            k: args.folds,
            seed: args.seed,
        },
    };
    let cv = cross_validate(&design, &y, &folds, Measure::Mse, &PathOptions::default())?;
    let inputs = train
        .iter()
        .map(|&t| {
            let path = cohorts[t].table.path();
            Ok::<_, anyhow::Error>(InputHash {
                path: cohorts[t].file.clone(),
                sha256: sha256_file(path)?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let model = SignatureModel::from_cv(&cv, LambdaChoice::Min, &features.names, inputs);
    ensure!(
        !model.features.is_empty(),
        "lambda.min keeps no feature (intercept-only model); nothing to validate"
    );

    // Cut-off: Youden-optimal on the model's own training predictions.
    let train_scores: Vec<f64> = train
        .iter()
        .flat_map(|&t| features.score(&model, t))
        .collect();
    let cutoff = dlrn_stats::youden(&y, &train_scores)
        .context("Youden cut-off on the training predictions")?
        .threshold;
    ensure!(
        cutoff.is_finite(),
        "the training predictions give no finite Youden cut-off"
    );
    let scores = features.score(&model, i);
    let c = &cohorts[i];
    let test = dlrn_stats::delong_paired(&c.labels, &scores, &sig_scores[i], LEVEL)
        .context("paired DeLong test against the signature")?;
    let row = table2_row(
        &c.name,
        LASSO_MODEL,
        &c.labels,
        &scores,
        cutoff,
        Some(test.p_value),
    )?;

    // glmnet-style figures: standardised coefficient paths and the CV curve.
    let sd = design.standard_deviations();
    let stem = file_stem(&c.name);
    let mut figures = Vec::new();
    for kind in ["lasso_path", "lasso_cv"] {
        let rel = |ext: &str| format!("figures/{kind}_{stem}.{ext}");
        for ext in ["svg", "png"] {
            let path = out.join(rel(ext));
            if kind == "lasso_path" {
                dlrn_lasso::plot::cv_coefficient_paths(&cv, Some(&sd), LambdaChoice::Min, &path)?;
            } else {
                dlrn_lasso::plot::cv_curve(&cv, &path)?;
            }
        }
        figures.push((rel("svg"), rel("png")));
    }
    Ok(HoldOut {
        held_out: i,
        model,
        scores,
        cutoff,
        row,
        p_vs_signature: test.p_value,
        figures,
    })
}

/// The hold-out model's selected features as the report's table.
fn selected_features(h: &HoldOut) -> SelectedFeatures {
    SelectedFeatures {
        rows: h
            .model
            .features
            .iter()
            .map(|f| SelectedFeatureRow {
                feature: f.feature.clone(),
                family: family(&f.feature).into(),
                coefficient: f.coefficient,
            })
            .collect(),
    }
}

/// Feature family for the report: `f_<n>` columns are deep, the rest handcrafted.
fn family(name: &str) -> &'static str {
    match name.strip_prefix("f_") {
        Some(d) if !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()) => "deep",
        _ => "handcrafted",
    }
}

/// A ROC curve for the figure: points (1 − specificity, sensitivity) from (0, 0) to (1, 1).
fn roc_curve(model: &str, labels: &[u8], scores: &[f64]) -> anyhow::Result<RocCurve> {
    let r = dlrn_stats::roc(labels, scores)?;
    let ci = dlrn_stats::auc_delong(labels, scores, LEVEL)?;
    let mut points: Vec<(f64, f64)> = r
        .specificities
        .iter()
        .zip(&r.sensitivities)
        .map(|(sp, se)| (1.0 - sp, *se))
        .collect();
    points.reverse();
    Ok(RocCurve {
        model: model.into(),
        points,
        auc: ci.auc,
        auc_ci_low: ci.ci_low,
        auc_ci_high: ci.ci_high,
    })
}

/// Table 2 as printed, with the P column named for what it tests here.
fn table2_display(t: &Table2) -> TextTable {
    let mut d = t.display();
    if let Some(last) = d.header.last_mut() {
        *last = "P (DeLong vs signature)".into();
    }
    d
}

/// The Markdown/HTML caption: what each row is and how it was computed.
fn table2_caption(
    sig: &Signature,
    cutoff: f64,
    cutoff_rule: &str,
    args: &Args,
    holdouts: &[HoldOut],
    dropped: &[(String, String)],
) -> String {
    let mut c = format!(
        "Table 2. The published signature (Liu et al., npj Breast Cancer 2024; {} LASSO coefficients{}) on each released table (model \"{SIGNATURE_MODEL}\"): AUC with DeLong 95% CI; ACC, SENS, SPE, PPV and NPV in % with exact (Clopper–Pearson) 95% CI at the signature cut-off {} ({cutoff_rule}; a score at or above it is positive).",
        sig.terms.len(),
        if sig.intercept != 0.0 {
            ", with intercept"
        } else {
            ", no intercept"
        },
        dlrn_report::format::fixed(cutoff, 4),
    );
    if args.no_lasso {
        c.push_str(" The hold-out LASSO was not run (--no-lasso).");
    } else {
        let folds = match args.foldid_row_mod {
            Some(k) => format!("{k} folds by row order (row i in fold i mod {k} + 1)"),
            None => format!("{} seeded folds, seed {}", args.folds, args.seed),
        };
        c.push_str(&format!(
            " Model \"{LASSO_MODEL}\": a LASSO (cv.glmnet-equivalent: binomial, type.measure mse, {folds}, lambda.min) retrained on all other released tables and validated on the row's cohort, which it never saw; its metrics are at the Youden cut-off of its own training predictions",
        ));
        let cuts: Vec<String> = holdouts
            .iter()
            .map(|h| {
                format!(
                    "{} feature(s), cut-off {} when validated on {}",
                    h.model.features.len(),
                    dlrn_report::format::significant(h.cutoff, 4),
                    h.row.cohort
                )
            })
            .collect();
        if !cuts.is_empty() {
            c.push_str(&format!(" ({})", cuts.join("; ")));
        }
        c.push_str(". P: paired DeLong test of the hold-out LASSO against the signature on the same patients.");
        if dropped.is_empty() {
            c.push_str(" No feature column had missing values.");
        } else {
            let list: Vec<String> = dropped.iter().map(|(n, w)| format!("{n} ({w})")).collect();
            c.push_str(&format!(
                " Columns with missing values, left out of the LASSO: {}.",
                list.join(", ")
            ));
        }
    }
    c
}

/// The human summary on stderr.
fn print_summary(
    table2: &Table2,
    cutoff: f64,
    cutoff_rule: &str,
    holdouts: &[HoldOut],
    cohorts: &[Cohort],
    dropped: &[(String, String)],
    out: &Path,
) {
    eprintln!("signature cut-off {cutoff:.6} ({cutoff_rule})");
    for r in &table2.rows {
        let cells = dlrn_report::table2_cells(r);
        eprintln!(
            "  {:<6} {:<14} AUC {}  ACC {}  SENS {}  SPE {}{}",
            r.cohort,
            r.model,
            cells[2],
            cells[3],
            cells[4],
            cells[5],
            r.delong_p
                .map(|p| format!("  P vs signature {}", dlrn_report::format::p_value(p)))
                .unwrap_or_default()
        );
    }
    for h in holdouts {
        let train: Vec<&str> = cohorts
            .iter()
            .enumerate()
            .filter(|(t, _)| *t != h.held_out)
            .map(|(_, c)| c.name.as_str())
            .collect();
        eprintln!(
            "  LASSO trained on {} ({} rows), validated on {}: lambda.min {:.6}, {} feature(s), P vs signature {:.4}",
            train.join("+"),
            h.model.path.n_rows,
            cohorts[h.held_out].name,
            h.model.lambda,
            h.model.features.len(),
            h.p_vs_signature
        );
    }
    for (n, w) in dropped {
        eprintln!("  dropped from the LASSO: {n} (missing in {w})");
    }
    eprintln!("wrote {}", out.display());
}

/// The last component of a path, as text.
fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

/// SHA-256 of a file's bytes, lower-case hex.
fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}
