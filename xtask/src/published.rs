//! `cargo xtask published`: the study's published signature (Liu et al.,
//! npj Breast Cancer 2024, 49 LASSO coefficients) scored on every released
//! feature table, as the signature rows of Table 2 twice: as the paper
//! computed them (each cohort's metrics at that cohort's own Youden cut-off)
//! and at one fixed cut-off; a written finding on which cut-off reproduces
//! the published numbers; with the authors' training table, their own LASSO
//! rerun (`set.seed(1)`, cv.glmnet's folds from R's generator); and a LASSO
//! retrained on all tables but one and validated on the held-out one.
//!
//! Every statistic comes from a library crate: AUC and DeLong CI, paired
//! DeLong test, Youden cut-off and exact diagnostic CIs from dlrn-stats
//! (pROC / `binom.test` conventions), the cross-validated LASSO and R's RNG
//! from dlrn-lasso (`cv.glmnet`, `set.seed`/`sample`), tables, figures and
//! the index page from dlrn-report, the tables themselves through
//! dlrn-cohort. The output is a function of the inputs and the options only:
//! a rerun writes the same bytes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail, ensure};
use dlrn_cohort::Table;
use dlrn_lasso::{
    Design, Folds, InputHash, LambdaChoice, Measure, PathOptions, SignatureModel, cross_validate,
};
use dlrn_report::{
    IndexPage, Item, Manifest, Provenance, ReportTable, RocCurve, RocFigure, Section,
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
/// The authors' R script, the fallback --signature when the CSV is absent.
const R_SCRIPT_FILE: &str = "Deep learning signature acquisition.R";
/// Confidence level of every interval (the paper's 95%).
const LEVEL: f64 = 0.95;
/// PNG pixels per SVG pixel for the report's figures.
const PNG_SCALE: u32 = 2;
/// Model name of the signature rows as the paper computed them (own cut-off per cohort).
const SIGNATURE_MODEL: &str = "signature";
/// Model name of the signature rows at one fixed cut-off.
const FIXED_MODEL: &str = "signature_fixed";
/// Model name of the hold-out LASSO's rows.
const LASSO_MODEL: &str = "lasso_heldout";
/// The authors' script: `set.seed(1)` before `cv.glmnet`.
const AUTHORS_SEED: i32 = 1;
/// The authors' script: cv.glmnet's default `nfolds`.
const AUTHORS_NFOLDS: usize = 10;

/// The signature rows of the paper's Table 2 as printed (study.md), used
/// for the report's finding: cohort, AUC (DeLong CI), and ACC, SENS, SPE,
/// PPV, NPV in % (exact CI).
const PAPER_TABLE2: [(&str, [&str; 6]); 2] = [
    (
        "EVC1",
        [
            "0.886 (0.815–0.958)",
            "87 (79–92)",
            "87 (73–95)",
            "87 (76–94)",
            "81 (67–91)",
            "91 (81–96)",
        ],
    ),
    (
        "EVC2",
        [
            "0.854 (0.778–0.931)",
            "72 (62–81)",
            "100 (90–100)",
            "54 (39–68)",
            "59 (46–72)",
            "100 (88–100)",
        ],
    ),
];
/// Short names of the five metrics, in Table 2's order.
const METRICS: [&str; 5] = ["ACC", "SENS", "SPE", "PPV", "NPV"];

/// Score the published signature on the released feature tables (Table 2's signature rows).
///
/// Reads every released-format table in --tables (columns id, ALN_status,
/// the 544 handcrafted features and f_1..f_2048; every *.csv except the
/// signature file and the --train table), scores the published signature on
/// each, and writes OUT/table2.csv and OUT/table2.md: AUC with DeLong 95% CI,
/// and accuracy, sensitivity, specificity, PPV and NPV with exact
/// (Clopper–Pearson) 95% CIs, twice per table: model "signature" at that
/// table's own Youden-optimal cut-off (how the paper computed its rows) and
/// model "signature_fixed" at one cut-off for every table (the training
/// table's Youden point with --train, else --cutoff, else the first table's
/// Youden point). OUT/cutoffs.csv lists the cut-offs; OUT/findings.md says
/// which cut-off reproduces the paper's printed numbers and how far the
/// metrics move at the fixed one.
///
/// --signature takes a feature,coefficient CSV (an optional `intercept`
/// row) or the authors' R script (`Deep learning signature
/// acquisition.R`), whose `a$sig <- a$NAME*COEF + ...` assignment holds the
/// coefficients.
///
/// With --train (the authors' Train.csv), the authors' LASSO is rerun as
/// their script does: cv.glmnet(x, y, alpha = 1, family = "binomial",
/// type.measure = "mse") after set.seed(1), folds drawn by R's own
/// generator; the selected features and coefficients are written next to
/// the published ones (OUT/train_lasso_features.csv).
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

    /// Signature coefficients: a feature,coefficient CSV or the authors' R script (*.R)
    /// [default: DIR/published_signature.csv, else DIR/Deep learning signature acquisition.R].
    #[arg(long, value_name = "FILE")]
    pub signature: Option<PathBuf>,

    /// The authors' training table (Train.csv, released format): reruns their
    /// LASSO (set.seed(1), R's folds) and fixes the cut-off at its Youden point.
    #[arg(long, value_name = "FILE")]
    pub train: Option<PathBuf>,

    /// Output folder [default: reports/published in the workspace].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// The fixed cut-off of the "signature_fixed" rows (a score >= X is positive)
    /// [default: the Youden cut-off of the first table by name].
    #[arg(
        long,
        value_name = "X",
        allow_negative_numbers = true,
        conflicts_with = "train"
    )]
    pub cutoff: Option<f64>,

    /// Seed of the hold-out LASSO's fold assignment (ChaCha8; not R's RNG).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub seed: u64,

    /// Number of cross-validation folds of the hold-out LASSO (cv.glmnet's nfolds).
    #[arg(long, default_value_t = 10, value_name = "K")]
    pub folds: usize,

    /// Deterministic hold-out LASSO folds instead of seeded ones: training row i
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
    train: Option<String>,
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

/// The fixed cut-off of the "signature_fixed" rows and where it came from.
struct FixedCutoff {
    value: f64,
    rule: String,
}

/// The authors' LASSO rerun on their training table.
struct TrainRerun {
    model: SignatureModel,
    dropped: Vec<(String, String)>,
    n_folds: usize,
}

/// Runs `cargo xtask published`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let root = workspace_root();
    let tables_dir = args
        .tables
        .clone()
        .unwrap_or_else(|| root.join("data").join("aln-paper"));
    let signature_path = match &args.signature {
        Some(p) => p.clone(),
        None => default_signature(&tables_dir),
    };
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
    let table_paths = list_tables(&tables_dir, &signature_path, args.train.as_deref())?;
    let mut cohorts = Vec::with_capacity(table_paths.len());
    for path in &table_paths {
        cohorts.push(read_cohort(path)?);
    }
    let train = match &args.train {
        Some(p) => Some(read_cohort(p).context("reading the training table (--train)")?),
        None => None,
    };

    // The published signature on every table (and on the training table).
    let mut sig_scores = Vec::with_capacity(cohorts.len());
    for c in &cohorts {
        sig_scores.push(score_signature(&signature, c)?);
    }
    let train_scores = match &train {
        Some(t) => Some(score_signature(&signature, t)?),
        None => None,
    };

    // Each cohort's own Youden cut-off (the paper's rows) and one fixed cut-off.
    let mut own_cutoffs = Vec::with_capacity(cohorts.len());
    for (c, s) in cohorts.iter().zip(&sig_scores) {
        own_cutoffs.push(youden_cutoff(&c.labels, s, &c.file)?);
    }
    let fixed = match (&train, &train_scores, args.cutoff) {
        (Some(t), Some(s), _) => FixedCutoff {
            value: youden_cutoff(&t.labels, s, &t.file)?,
            rule: format!("Youden-optimal on the training table {}, --train", t.file),
        },
        (_, _, Some(x)) => FixedCutoff {
            value: x,
            rule: "given by --cutoff".into(),
        },
        _ => FixedCutoff {
            value: own_cutoffs[0],
            rule: format!(
                "Youden-optimal on {}, the first table by name; the training table was not given",
                cohorts[0].name
            ),
        },
    };
    let mut rows = Vec::new();
    let mut cutoff_rows = Vec::new();
    if let (Some(t), Some(s)) = (&train, &train_scores) {
        rows.push(table2_row(
            &t.name,
            SIGNATURE_MODEL,
            &t.labels,
            s,
            fixed.value,
            None,
        )?);
        cutoff_rows.push(CutoffRow {
            cohort: t.name.clone(),
            role: "training".into(),
            youden_cutoff: fixed.value,
            fixed_cutoff: fixed.value,
        });
    }
    for ((c, s), &own) in cohorts.iter().zip(&sig_scores).zip(&own_cutoffs) {
        rows.push(table2_row(
            &c.name,
            SIGNATURE_MODEL,
            &c.labels,
            s,
            own,
            None,
        )?);
        rows.push(table2_row(
            &c.name,
            FIXED_MODEL,
            &c.labels,
            s,
            fixed.value,
            None,
        )?);
        cutoff_rows.push(CutoffRow {
            cohort: c.name.clone(),
            role: "validation".into(),
            youden_cutoff: own,
            fixed_cutoff: fixed.value,
        });
    }
    let cutoff_table = CutoffTable { rows: cutoff_rows };

    std::fs::create_dir_all(out.join("figures"))
        .with_context(|| format!("creating {}", out.join("figures").display()))?;
    let mut outputs: Vec<String> = Vec::new();

    // The authors' own LASSO on their training table.
    let rerun = match &train {
        Some(t) => {
            Some(authors_lasso(t).with_context(|| format!("the authors' LASSO on {}", t.file))?)
        }
        None => None,
    };
    let mut train_items = Vec::new();
    if let (Some(r), Some(t)) = (&rerun, &train) {
        let path = out.join("train_lasso.json");
        let mut text = serde_json::to_string_pretty(&r.model)?;
        text.push('\n');
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        let compare = CoefficientTable::new(&signature, &r.model);
        write_table(&compare, &out, "train_lasso_features")?;
        outputs.extend([
            "train_lasso.json".to_string(),
            "train_lasso_features.csv".to_string(),
            "train_lasso_features.md".to_string(),
        ]);
        train_items.push(Item::Table {
            caption: train_caption(r, t, &compare),
            table: compare.display(),
            csv: Some("train_lasso_features.csv".into()),
        });
    }

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

    // Table 2: full-precision CSV and captioned Markdown; the cut-offs; the finding.
    let table2 = Table2::new(rows);
    write_csv(&table2, &out.join("table2.csv"))?;
    let display = table2_display(&table2);
    let caption = table2_caption(&signature, &fixed, &args, &holdouts, &dropped);
    let md_path = out.join("table2.md");
    std::fs::write(&md_path, format!("{caption}\n\n{}", display.to_markdown()))
        .with_context(|| format!("writing {}", md_path.display()))?;
    write_table(&cutoff_table, &out, "cutoffs")?;
    let finding = findings(
        &cohorts,
        &sig_scores,
        &own_cutoffs,
        &table2,
        &fixed,
        train.is_some(),
    )?;
    let findings_path = out.join("findings.md");
    std::fs::write(
        &findings_path,
        format!(
            "# Findings: the signature's cut-offs\n\n{}\n",
            finding.join("\n\n")
        ),
    )
    .with_context(|| format!("writing {}", findings_path.display()))?;
    outputs.extend([
        "table2.csv".to_string(),
        "table2.md".to_string(),
        "cutoffs.csv".to_string(),
        "cutoffs.md".to_string(),
        "findings.md".to_string(),
    ]);

    // Provenance: SHA-256 of every input, the settings that decide the numbers.
    let mut inputs = BTreeMap::new();
    let mut data_hashes = Vec::new();
    let train_path = args.train.iter();
    for p in table_paths
        .iter()
        .chain(std::iter::once(&signature_path))
        .chain(train_path)
    {
        let name = file_name(p);
        let hash = sha256_file(p)?;
        data_hashes.push((name.clone(), hash.clone()));
        inputs.insert(name, hash);
    }
    let settings = Settings {
        tables: cohorts.iter().map(|c| c.file.clone()).collect(),
        signature: file_name(&signature_path),
        train: args.train.as_deref().map(file_name),
        cutoff: args.cutoff,
        cutoff_rule: fixed.rule.clone(),
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
        items: vec![
            Item::Table {
                caption: caption.clone(),
                table: display,
                csv: Some("table2.csv".into()),
            },
            Item::Table {
                caption: "Signature cut-offs: each table's own Youden-optimal point (model \"signature\", as the paper computed its rows) and the one fixed cut-off (model \"signature_fixed\").".into(),
                table: cutoff_table.display(),
                csv: Some("cutoffs.csv".into()),
            },
        ],
    }];
    sections.push(Section {
        title: "Finding: which cut-off reproduces the published numbers".into(),
        items: finding
            .iter()
            .map(|t| Item::Text { text: t.clone() })
            .collect(),
    });
    if !train_items.is_empty() {
        sections.push(Section {
            title: "The authors' LASSO rerun on their training table".into(),
            items: train_items,
        });
    }
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
        &table2, &fixed, &finding, &holdouts, &cohorts, &dropped, &out,
    );
    Ok(())
}

/// The default --signature: the CSV in the tables folder, else the authors' R script there.
fn default_signature(dir: &Path) -> PathBuf {
    let csv = dir.join(SIGNATURE_FILE);
    let script = dir.join(R_SCRIPT_FILE);
    if !csv.is_file() && script.is_file() {
        script
    } else {
        csv
    }
}

/// Reads the signature from the authors' R script (`*.R`) or a
/// feature,coefficient CSV.
fn read_signature(path: &Path) -> anyhow::Result<Signature> {
    let is_r = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("r"));
    if is_r {
        let bytes = std::fs::read(path)
            .with_context(|| format!("reading the signature {}", path.display()))?;
        let text = String::from_utf8_lossy(&bytes);
        parse_r_signature(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    } else {
        read_signature_csv(path)
    }
}

/// One token of the R signature expression, with its 1-based line.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// `obj$name`: (object, column).
    Column(String, String),
    /// A numeric literal.
    Number(f64),
    /// `+`, `-` or `*`.
    Op(char),
}

/// Parses the authors' R script: the assignment `OBJ$sig <- OBJ$NAME*COEF +
/// ...` (or `=`), continued over lines while a line ends with an operator,
/// as R reads it. Each term is a column of OBJ times a number (either
/// order; signs allowed); a bare number is the intercept. Errors name the
/// 1-based line and what was found.
fn parse_r_signature(text: &str) -> Result<Signature, String> {
    let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
    // R comments: the lines of interest hold no strings, so `#` starts one.
    let code = |l: &'_ str| -> String { l.split('#').next().unwrap_or("").to_string() };
    let mut start = None;
    for (i, line) in lines.iter().enumerate() {
        let c = code(line);
        let Some((lhs, rhs)) = split_assignment(&c) else {
            continue;
        };
        if let Some(obj) = lhs.strip_suffix("$sig") {
            if !is_r_name(obj) {
                return Err(format!(
                    "line {}: `{lhs}`: expected `NAME$sig` on the left of the assignment",
                    i + 1
                ));
            }
            start = Some((i, obj.to_string(), rhs.to_string()));
            break;
        }
    }
    let Some((first, obj, rhs)) = start else {
        return Err(
            "no `a$sig <- a$NAME*COEF + ...` assignment (the signature's terms) was found".into(),
        );
    };
    // Tokens with their lines, over as many lines as the expression continues.
    let mut tokens: Vec<(Token, usize)> = Vec::new();
    let mut line_no = first;
    let mut text_now = rhs;
    loop {
        for t in tokenize(&text_now, line_no + 1, &obj)? {
            tokens.push((t, line_no + 1));
        }
        let open = matches!(tokens.last(), None | Some((Token::Op(_), _)));
        if !open {
            break;
        }
        line_no += 1;
        if line_no >= lines.len() {
            let at = tokens.last().map_or(first + 1, |(_, l)| *l);
            return Err(format!(
                "line {at}: the signature expression continues (ends with an operator or is empty) but the file ends"
            ));
        }
        text_now = code(lines[line_no]);
    }
    let last_line = line_no + 1;

    // term := [+-]* factor [* [+-]* factor], terms joined by + or -.
    let mut terms: Vec<(String, f64)> = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut intercept = 0.0;
    let mut i = 0;
    let mut sign = 1.0;
    let unexpected = |t: Option<&(Token, usize)>, what: &str| -> String {
        match t {
            Some((tok, l)) => format!("line {l}: expected {what}, found {}", describe(tok)),
            None => format!("line {last_line}: expected {what}, found the end of the expression"),
        }
    };
    loop {
        let mut factors: Vec<(Token, usize)> = Vec::new();
        loop {
            // Unary signs before a factor.
            while let Some((Token::Op(c @ ('+' | '-')), _)) = tokens.get(i) {
                if *c == '-' {
                    sign = -sign;
                }
                i += 1;
            }
            match tokens.get(i) {
                Some((t @ (Token::Column(..) | Token::Number(_)), l)) => {
                    factors.push((t.clone(), *l));
                    i += 1;
                }
                other => {
                    return Err(unexpected(other, "a column `OBJ$NAME` or a number"));
                }
            }
            if let Some((Token::Op('*'), _)) = tokens.get(i) {
                i += 1;
                continue;
            }
            break;
        }
        let line = factors[0].1;
        let mut value = sign;
        let mut column: Option<String> = None;
        for (f, l) in &factors {
            match f {
                Token::Number(x) => value *= x,
                Token::Column(_, name) => {
                    if let Some(prev) = &column {
                        return Err(format!(
                            "line {l}: `{prev}` times `{name}` is not a linear term (one column times a coefficient)"
                        ));
                    }
                    column = Some(name.clone());
                }
                Token::Op(_) => {}
            }
        }
        if !value.is_finite() {
            return Err(format!(
                "line {line}: the coefficient {value} is not finite"
            ));
        }
        match column {
            Some(name) => {
                if let Some(prev) = seen.insert(name.clone(), line) {
                    return Err(format!(
                        "line {line}: feature `{name}` appears twice (first on line {prev})"
                    ));
                }
                terms.push((name, value));
            }
            None => intercept += value,
        }
        match tokens.get(i) {
            None => break,
            Some((Token::Op('+'), _)) => sign = 1.0,
            Some((Token::Op('-'), _)) => sign = -1.0,
            other => return Err(unexpected(other, "`+` or `-` between terms")),
        }
        i += 1;
    }
    if terms.is_empty() {
        return Err(format!(
            "line {}: the signature has no feature terms",
            first + 1
        ));
    }
    Ok(Signature { intercept, terms })
}

/// Splits `lhs <- rhs` or `lhs = rhs` (not `==`), both trimmed.
fn split_assignment(code: &str) -> Option<(&str, &str)> {
    if let Some(at) = code.find("<-") {
        return Some((code[..at].trim(), code[at + 2..].trim()));
    }
    let at = code.find('=')?;
    let next = code[at + 1..].chars().next();
    let prev = code[..at].chars().last();
    if next == Some('=') || matches!(prev, Some('<' | '>' | '!' | '=')) {
        return None;
    }
    Some((code[..at].trim(), code[at + 1..].trim()))
}

/// A syntactic R name: letters, digits, `.` and `_`, not starting with a digit or `_`.
fn is_r_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '.')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
}

/// How a token reads in an error message.
fn describe(t: &Token) -> String {
    match t {
        Token::Column(o, n) => format!("`{o}${n}`"),
        Token::Number(x) => format!("the number {x}"),
        Token::Op(c) => format!("`{c}`"),
    }
}

/// Tokens of one line of the signature expression; columns must belong to `obj`.
fn tokenize(text: &str, line: usize, obj: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if matches!(c, '+' | '-' | '*') {
            out.push(Token::Op(c));
            i += 1;
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            if i < chars.len() && matches!(chars[i], 'e' | 'E') {
                i += 1;
                if i < chars.len() && matches!(chars[i], '+' | '-') {
                    i += 1;
                }
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
            }
            let lit: String = chars[start..i].iter().collect();
            let x: f64 = lit
                .parse()
                .map_err(|_| format!("line {line}: `{lit}` is not a number"))?;
            out.push(Token::Number(x));
        } else if c.is_ascii_alphabetic() || c == '.' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '.' | '_'))
            {
                i += 1;
            }
            let name: String = chars[start..i].iter().collect();
            if chars.get(i) != Some(&'$') {
                let rest: String = chars[start..].iter().take(30).collect();
                return Err(format!(
                    "line {line}: `{}`: expected a column `{obj}$NAME` or a number",
                    rest.trim_end()
                ));
            }
            i += 1;
            let col_start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '.' | '_'))
            {
                i += 1;
            }
            let column: String = chars[col_start..i].iter().collect();
            if column.is_empty() {
                return Err(format!("line {line}: `{name}$` has no column name"));
            }
            if name != obj {
                return Err(format!(
                    "line {line}: `{name}${column}` is a column of `{name}`, but the signature is assigned to `{obj}$sig`"
                ));
            }
            out.push(Token::Column(name, column));
        } else {
            return Err(format!(
                "line {line}: unexpected `{c}` in the signature expression (expected `{obj}$NAME*COEF` terms joined by `+`)"
            ));
        }
    }
    Ok(out)
}

/// Reads the signature CSV: columns `feature` and `coefficient`; a row named
/// `intercept` or `(Intercept)` (glmnet's `coef()` name) is the intercept.
fn read_signature_csv(path: &Path) -> anyhow::Result<Signature> {
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

/// The released tables in `dir`: every `*.csv` except the signature file
/// and the training table, sorted by name.
fn list_tables(dir: &Path, signature: &Path, train: Option<&Path>) -> anyhow::Result<Vec<PathBuf>> {
    let signature = signature.canonicalize().ok();
    let train = train.and_then(|t| t.canonicalize().ok());
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry
            .with_context(|| format!("listing {}", dir.display()))?
            .path();
        let is_csv = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        let canonical = path.canonicalize().ok();
        let is_signature = path.file_name().is_some_and(|n| n == SIGNATURE_FILE)
            || (signature.is_some() && canonical == signature);
        let is_train = train.is_some() && canonical == train;
        if path.is_file() && is_csv && !is_signature && !is_train {
            paths.push(path);
        }
    }
    paths.sort_by_key(|p| file_name(p));
    ensure!(
        !paths.is_empty(),
        "{}: no feature tables (*.csv other than {SIGNATURE_FILE} and the training table); download the study's released tables into it (data/README.md)",
        dir.display()
    );
    Ok(paths)
}

/// The Youden-optimal cut-off of `scores` (pROC `coords(best.method = "youden")`).
fn youden_cutoff(labels: &[u8], scores: &[f64], file: &str) -> anyhow::Result<f64> {
    let y = dlrn_stats::youden(labels, scores)
        .with_context(|| format!("Youden cut-off of the signature on {file}"))?;
    ensure!(
        y.threshold.is_finite(),
        "the signature on {file} gives no finite Youden cut-off"
    );
    Ok(y.threshold)
}

/// One line of cutoffs.csv.
struct CutoffRow {
    cohort: String,
    role: String,
    youden_cutoff: f64,
    fixed_cutoff: f64,
}

/// Every table's own Youden cut-off next to the fixed one.
struct CutoffTable {
    rows: Vec<CutoffRow>,
}

impl ReportTable for CutoffTable {
    fn csv_header(&self) -> Vec<String> {
        ["cohort", "role", "youden_cutoff", "fixed_cutoff"]
            .map(String::from)
            .to_vec()
    }
    fn csv_records(&self) -> Vec<Vec<String>> {
        self.rows
            .iter()
            .map(|r| {
                vec![
                    r.cohort.clone(),
                    r.role.clone(),
                    format!("{:?}", r.youden_cutoff),
                    format!("{:?}", r.fixed_cutoff),
                ]
            })
            .collect()
    }
    fn display(&self) -> TextTable {
        TextTable {
            header: ["cohort", "role", "own Youden cut-off", "fixed cut-off"]
                .map(String::from)
                .to_vec(),
            rows: self
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.cohort.clone(),
                        r.role.clone(),
                        dlrn_report::format::fixed(r.youden_cutoff, 4),
                        dlrn_report::format::fixed(r.fixed_cutoff, 4),
                    ]
                })
                .collect(),
        }
    }
}

/// The rerun LASSO's coefficients next to the published ones, one row per
/// feature in either (published order first, then the rerun's other features).
struct CoefficientTable {
    rows: Vec<(String, Option<f64>, Option<f64>)>,
}

impl CoefficientTable {
    fn new(sig: &Signature, model: &SignatureModel) -> Self {
        let rerun: BTreeMap<&str, f64> = model
            .features
            .iter()
            .map(|f| (f.feature.as_str(), f.coefficient))
            .collect();
        let mut rows: Vec<(String, Option<f64>, Option<f64>)> = sig
            .terms
            .iter()
            .map(|(n, c)| (n.clone(), Some(*c), rerun.get(n.as_str()).copied()))
            .collect();
        for f in &model.features {
            if !sig.terms.iter().any(|(n, _)| *n == f.feature) {
                rows.push((f.feature.clone(), None, Some(f.coefficient)));
            }
        }
        CoefficientTable { rows }
    }

    /// Features in both, only published, only rerun.
    fn counts(&self) -> (usize, usize, usize) {
        let both = self
            .rows
            .iter()
            .filter(|r| r.1.is_some() && r.2.is_some())
            .count();
        let published = self.rows.iter().filter(|r| r.2.is_none()).count();
        let rerun = self.rows.iter().filter(|r| r.1.is_none()).count();
        (both, published, rerun)
    }
}

impl ReportTable for CoefficientTable {
    fn csv_header(&self) -> Vec<String> {
        ["feature", "published", "rerun"].map(String::from).to_vec()
    }
    fn csv_records(&self) -> Vec<Vec<String>> {
        let cell = |v: Option<f64>| v.map(|x| format!("{x:?}")).unwrap_or_default();
        self.rows
            .iter()
            .map(|(n, p, r)| vec![n.clone(), cell(*p), cell(*r)])
            .collect()
    }
    fn display(&self) -> TextTable {
        let cell = |v: Option<f64>| {
            v.map(|x| dlrn_report::format::significant(x, 4))
                .unwrap_or_else(|| "—".into())
        };
        TextTable {
            header: ["feature", "published coefficient", "rerun coefficient"]
                .map(String::from)
                .to_vec(),
            rows: self
                .rows
                .iter()
                .map(|(n, p, r)| vec![n.clone(), cell(*p), cell(*r)])
                .collect(),
        }
    }
}

/// The authors' LASSO as their script runs it on the training table:
/// `set.seed(1); cv.glmnet(x1, y1, alpha = 1, family = "binomial",
/// type.measure = "mse")`, x1 every feature column, folds from R's RNG,
/// coefficients at lambda.min. Columns with a missing value (on which
/// glmnet would stop) are dropped and reported.
fn authors_lasso(train: &Cohort) -> anyhow::Result<TrainRerun> {
    let features = FeatureMatrix::new(std::slice::from_ref(train))?;
    let n = train.labels.len();
    ensure!(
        n >= AUTHORS_NFOLDS,
        "{n} rows cannot fill cv.glmnet's {AUTHORS_NFOLDS} folds"
    );
    let x = features.stacked(&[0]);
    let design = Design::column_major(&x, n, features.names.len())?;
    let folds = Folds::R {
        k: AUTHORS_NFOLDS,
        seed: AUTHORS_SEED,
    };
    let cv = cross_validate(
        &design,
        &train.labels,
        &folds,
        Measure::Mse,
        &PathOptions::default(),
    )?;
    let inputs = vec![InputHash {
        path: train.file.clone(),
        sha256: sha256_file(train.table.path())?,
    }];
    let model = SignatureModel::from_cv(&cv, LambdaChoice::Min, &features.names, inputs);
    Ok(TrainRerun {
        model,
        dropped: features.dropped,
        n_folds: AUTHORS_NFOLDS,
    })
}

/// The caption of the rerun's coefficient table.
fn train_caption(r: &TrainRerun, t: &Cohort, compare: &CoefficientTable) -> String {
    let (both, published_only, rerun_only) = compare.counts();
    let mut c = format!(
        "The authors' LASSO rerun on {} ({} patients): cv.glmnet(x1, y1, alpha = 1, family = \"binomial\", type.measure = \"mse\") after set.seed({AUTHORS_SEED}), {} folds drawn as R's sample(rep(seq({}), length = {})) draws them; lambda.min = {}, {} feature(s) selected (intercept {}). {both} of them are among the published 49; {published_only} published feature(s) not selected; {rerun_only} selected feature(s) not published.",
        t.file,
        t.labels.len(),
        r.n_folds,
        r.n_folds,
        t.labels.len(),
        dlrn_report::format::significant(r.model.lambda, 4),
        r.model.features.len(),
        dlrn_report::format::significant(r.model.intercept, 4),
    );
    if !r.dropped.is_empty() {
        let list: Vec<String> = r
            .dropped
            .iter()
            .map(|(n, w)| format!("{n} ({w})"))
            .collect();
        c.push_str(&format!(
            " Columns with missing values, left out (glmnet would stop on them): {}.",
            list.join(", ")
        ));
    }
    c
}

/// The written finding: which cut-off reproduces the paper's printed
/// signature rows, whether any single cut-off would, and how far the
/// metrics move at the fixed cut-off. One paragraph per string.
fn findings(
    cohorts: &[Cohort],
    scores: &[Vec<f64>],
    own_cutoffs: &[f64],
    table2: &Table2,
    fixed: &FixedCutoff,
    train_given: bool,
) -> anyhow::Result<Vec<String>> {
    let cells = |cohort: &str, model: &str| -> Option<Vec<String>> {
        table2
            .rows
            .iter()
            .find(|r| r.cohort == cohort && r.model == model)
            .map(dlrn_report::table2_cells)
    };
    let mut paras = Vec::new();
    // Printed estimates (with their CIs) reproduced, per model.
    let mut compared = Vec::new();
    let (mut own_match, mut fixed_match, mut total) = (0, 0, 0);
    let mut own_misses = Vec::new();
    for (cohort, printed) in PAPER_TABLE2 {
        let (Some(own), Some(fix)) = (cells(cohort, SIGNATURE_MODEL), cells(cohort, FIXED_MODEL))
        else {
            continue;
        };
        compared.push(cohort);
        for (j, p) in printed.iter().enumerate() {
            total += 1;
            if own[2 + j] == *p {
                own_match += 1;
            } else {
                let what = if j == 0 { "AUC" } else { METRICS[j - 1] };
                own_misses.push(format!("{cohort} {what} {} (paper {p})", own[2 + j]));
            }
            if fix[2 + j] == *p {
                fixed_match += 1;
            }
        }
    }
    if compared.is_empty() {
        paras.push(
            "None of the tables is named like a cohort of the paper's Table 2 (EVC1, EVC2), so the regenerated rows were not compared with the printed ones.".to_string(),
        );
    } else {
        let own_list: Vec<String> = cohorts
            .iter()
            .zip(own_cutoffs)
            .map(|(c, cut)| format!("{} {}", c.name, dlrn_report::format::fixed(*cut, 4)))
            .collect();
        let mut p = format!(
            "Which cut-off reproduces the published numbers: each cohort's own Youden-optimal cut-off ({}). At those cut-offs the regenerated signature rows equal {own_match} of the {total} estimates the paper prints for {} (AUC and ACC, SENS, SPE, PPV, NPV, each with its 95% CI, rounded as printed){}. At the one fixed cut-off {} ({}) they equal {fixed_match} of {total}.",
            own_list.join(", "),
            compared.join(" and "),
            if own_misses.is_empty() {
                String::new()
            } else {
                format!("; different: {}", own_misses.join(", "))
            },
            dlrn_report::format::fixed(fixed.value, 4),
            fixed.rule,
        );
        // Would any single cut-off give every printed metric of every cohort?
        let (candidates, hits) = single_cutoff_search(cohorts, scores, &[])?;
        let both = compared.join(" and ");
        let f4 = |x: f64| dlrn_report::format::fixed(x, 4);
        if hits.is_empty() {
            p.push_str(&format!(
                " None of the {candidates} distinct cut-offs between the pooled scores reproduces every printed metric of {both} at once: the published external-validation metrics were computed at cut-offs optimised on each validation cohort itself, which is optimistic (a cut-off chosen on the data it is tested on)."
            ));
        } else {
            let (lo, hi) = hits
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                    (a.min(x), b.max(x))
                });
            let (_, own_hits) = single_cutoff_search(cohorts, scores, own_cutoffs)?;
            let own_names: Vec<&str> = cohorts
                .iter()
                .zip(own_cutoffs)
                .filter(|(_, c)| own_hits.contains(c))
                .map(|(c, _)| c.name.as_str())
                .collect();
            let range = if hits.len() == 1 {
                format!("at {}", f4(lo))
            } else {
                format!("from {} to {}", f4(lo), f4(hi))
            };
            let verb = if hits.len() == 1 {
                "reproduces"
            } else {
                "reproduce"
            };
            let which = if own_names.is_empty() {
                "none of them is a cohort's own Youden point".to_string()
            } else {
                format!(
                    "among them the own Youden cut-off of {}",
                    own_names.join(" and ")
                )
            };
            p.push_str(&format!(
                " {} of the {candidates} distinct cut-offs between the pooled scores ({range}) also {verb} every printed metric of {both} at once; {which}. On these cohorts alone the printed numbers cannot tell one cut-off from one per cohort. Whether such a cut-off is the training cohort's Youden point can only be checked with the training table (--train); if it is not, the published validation metrics were computed at cut-offs chosen on the validation cohorts themselves, which is optimistic.",
                hits.len(),
            ));
        }
        paras.push(p);
    }
    // How much the metrics move at the fixed cut-off.
    let mut moves = Vec::new();
    let mut largest: f64 = 0.0;
    for c in cohorts {
        let own = table2
            .rows
            .iter()
            .find(|r| r.cohort == c.name && r.model == SIGNATURE_MODEL);
        let fix = table2
            .rows
            .iter()
            .find(|r| r.cohort == c.name && r.model == FIXED_MODEL);
        let (Some(own), Some(fix)) = (own, fix) else {
            continue;
        };
        let pairs = [
            (own.accuracy, fix.accuracy),
            (own.sensitivity, fix.sensitivity),
            (own.specificity, fix.specificity),
            (own.ppv, fix.ppv),
            (own.npv, fix.npv),
        ];
        let parts: Vec<String> = pairs
            .iter()
            .zip(METRICS)
            .map(|((a, b), m)| {
                let d = 100.0 * (b.value - a.value);
                if d.is_finite() {
                    largest = largest.max(d.abs());
                }
                format!("{m} {} → {}", percent(a.value), percent(b.value))
            })
            .collect();
        moves.push(format!("{}: {}", c.name, parts.join(", ")));
    }
    paras.push(format!(
        "At the fixed cut-off {} ({}), the metrics move from the own-cut-off values (in %, own → fixed) — {}. The largest change is {} percentage points.",
        dlrn_report::format::fixed(fixed.value, 4),
        fixed.rule,
        moves.join("; "),
        dlrn_report::format::fixed(largest, 1),
    ));
    if !train_given {
        paras.push("The training table (Train.csv of the authors' release, 621 patients) is needed for the honest rows: the cut-off fixed on the training cohort, every Table 2 signature row at that cut-off, and the rerun of the authors' LASSO; pass it with --train (see data/README.md).".to_string());
    }
    Ok(paras)
}

/// A proportion as a whole percentage, `NA` when undefined.
fn percent(v: f64) -> String {
    if v.is_finite() {
        dlrn_report::format::fixed(100.0 * v, 0)
    } else {
        "NA".into()
    }
}

/// Tries every distinct cut-off between the pooled signature scores (and
/// below/above all), or the cut-offs `given` when not empty, on every cohort
/// of the paper's Table 2 present here: (candidates tried, those that give
/// all five printed metrics with their CIs in every such cohort).
fn single_cutoff_search(
    cohorts: &[Cohort],
    scores: &[Vec<f64>],
    given: &[f64],
) -> anyhow::Result<(usize, Vec<f64>)> {
    let present: Vec<(usize, [&str; 6])> = PAPER_TABLE2
        .iter()
        .filter_map(|(name, printed)| {
            cohorts
                .iter()
                .position(|c| c.name == *name)
                .map(|i| (i, *printed))
        })
        .collect();
    let mut pooled: Vec<f64> = present
        .iter()
        .flat_map(|(i, _)| scores[*i].iter().copied())
        .collect();
    pooled.sort_by(f64::total_cmp);
    pooled.dedup();
    let mut candidates: Vec<f64> = pooled.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect();
    if let (Some(lo), Some(hi)) = (pooled.first(), pooled.last()) {
        candidates.push(lo - 1.0);
        candidates.push(hi + 1.0);
    }
    if !given.is_empty() {
        candidates = given.to_vec();
    }
    let mut hits = Vec::new();
    for &cut in &candidates {
        let mut all = true;
        for (i, printed) in &present {
            let c = &cohorts[*i];
            let d = dlrn_stats::diagnostic_metrics(&c.labels, &scores[*i], cut, LEVEL)?;
            let cells = [Some(d.accuracy), d.sensitivity, d.specificity, d.ppv, d.npv].map(|p| {
                p.map_or_else(
                    || "NA".to_string(),
                    |p| dlrn_report::format::percent_ci(p.value, p.ci_low, p.ci_high),
                )
            });
            if cells.iter().zip(&printed[1..]).any(|(a, b)| a != b) {
                all = false;
                break;
            }
        }
        if all {
            hits.push(cut);
        }
    }
    Ok((candidates.len(), hits))
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

/// One Table 2 row at `cutoff` (dlrn-study's builder: AUC with DeLong CI,
/// the five metrics with exact CIs; a metric with no patient in its
/// denominator is NA).
fn table2_row(
    cohort: &str,
    model: &str,
    labels: &[u8],
    scores: &[f64],
    cutoff: f64,
    delong_p: Option<f64>,
) -> anyhow::Result<Table2Row> {
    Ok(dlrn_study::evaluation::table2_row(
        cohort, model, labels, scores, cutoff, LEVEL, delong_p,
    )?)
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

/// A ROC curve for the figure (dlrn-study's builder, the paper's 95% level).
fn roc_curve(model: &str, labels: &[u8], scores: &[f64]) -> anyhow::Result<RocCurve> {
    Ok(dlrn_study::evaluation::roc_curve(
        model, labels, scores, LEVEL,
    )?)
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
    fixed: &FixedCutoff,
    args: &Args,
    holdouts: &[HoldOut],
    dropped: &[(String, String)],
) -> String {
    let mut c = format!(
        "Table 2. The published signature (Liu et al., npj Breast Cancer 2024; {} LASSO coefficients{}) on each released table: AUC with DeLong 95% CI; ACC, SENS, SPE, PPV and NPV in % with exact (Clopper–Pearson) 95% CI (a score at or above the cut-off is positive). Model \"{SIGNATURE_MODEL}\": as the paper computed its rows, the metrics at each table's own Youden-optimal cut-off (chosen on the table it is tested on; see cutoffs.csv). Model \"{FIXED_MODEL}\": the metrics at one fixed cut-off {} for every table ({}).",
        sig.terms.len(),
        if sig.intercept != 0.0 {
            ", with intercept"
        } else {
            ", no intercept"
        },
        dlrn_report::format::fixed(fixed.value, 4),
        fixed.rule,
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
    fixed: &FixedCutoff,
    finding: &[String],
    holdouts: &[HoldOut],
    cohorts: &[Cohort],
    dropped: &[(String, String)],
    out: &Path,
) {
    eprintln!(
        "fixed signature cut-off {:.6} ({})",
        fixed.value, fixed.rule
    );
    for r in &table2.rows {
        let cells = dlrn_report::table2_cells(r);
        eprintln!(
            "  {:<6} {:<16} AUC {}  ACC {}  SENS {}  SPE {}  PPV {}  NPV {}{}",
            r.cohort,
            r.model,
            cells[2],
            cells[3],
            cells[4],
            cells[5],
            cells[6],
            cells[7],
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
    for p in finding {
        eprintln!("{p}");
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Signature, String> {
        parse_r_signature(text)
    }

    /// The script's own layout: assignment on one line, one term per line
    /// with CRLF ends, a comment, negative coefficients and an exponent.
    #[test]
    fn parses_the_authors_layout() {
        let text = "x <- 1\r\n## compile\r\na$sig<-  \r\n  a$LBP_38*-261.05+\r\n  a$f_135*-0.44 + # note\r\n\r\n  a$f_2*1e-3+\r\n  0.5*a$f_9\r\n  \r\nwrite.csv(a, \"p\")\r\n";
        let s = parse(text).unwrap();
        assert_eq!(
            s.terms,
            vec![
                ("LBP_38".to_string(), -261.05),
                ("f_135".to_string(), -0.44),
                ("f_2".to_string(), 0.001),
                ("f_9".to_string(), 0.5),
            ]
        );
        assert_eq!(s.intercept, 0.0);
        // A binary minus, an intercept and `=` as the assignment.
        let s = parse("b$sig = 2 + b$u*3 - b$v*4\n").unwrap();
        assert_eq!(s.intercept, 2.0);
        assert_eq!(s.terms, vec![("u".into(), 3.0), ("v".into(), -4.0)]);
    }

    /// Malformed scripts: each error names the line and what is wrong.
    #[test]
    fn malformed_scripts_name_the_line() {
        let cases: [(&str, &str); 8] = [
            // The expression runs into the next statement (missing coefficient).
            (
                "a$sig <- a$f_1*0.5 +\n  a$f_2*\nwrite.csv(a, 'x')\n",
                "line 3: `write.csv(a, 'x')`",
            ),
            // A column of another data frame.
            (
                "a$sig <- a$f_1*0.5 +\n  b$f_2*0.3\n",
                "line 2: `b$f_2` is a column of `b`",
            ),
            // A coefficient that is not a number.
            ("a$sig <- a$f_1*0.5.3\n", "line 1: `0.5.3` is not a number"),
            // The same feature twice.
            (
                "a$sig <- a$f_1*0.5 +\n  a$f_2*1 +\n  a$f_1*2\n",
                "line 3: feature `f_1` appears twice (first on line 1)",
            ),
            // A trailing `+` at the end of the file.
            (
                "a$sig <- a$f_1*0.5 +\n  a$f_2*1 +\n",
                "line 2: the signature expression continues",
            ),
            // Two columns multiplied.
            (
                "a$sig <- a$f_1*a$f_2\n",
                "line 1: `f_1` times `f_2` is not a linear term",
            ),
            // Two terms without an operator between them.
            (
                "a$sig <- a$f_1*0.5 a$f_2*1\n",
                "line 1: expected `+` or `-` between terms",
            ),
            // Parentheses are not part of the format.
            ("a$sig <- (a$f_1*0.5)\n", "line 1: unexpected `(`"),
        ];
        for (text, want) in cases {
            let err = parse(text)
                .err()
                .unwrap_or_else(|| panic!("accepted: {text:?}"));
            assert!(err.contains(want), "{text:?}: {err}");
        }
        let err = parse("x <- 1\ny <- 2\n").err().unwrap();
        assert!(err.contains("no `a$sig <- a$NAME*COEF"), "{err}");
    }

    /// The options' names, conflicts and defaults are consistent (clap's own check).
    #[test]
    fn args_pass_clap_debug_assert() {
        use clap::CommandFactory;
        #[derive(Debug, clap::Parser)]
        struct Cli {
            #[command(flatten)]
            args: Args,
        }
        Cli::command().debug_assert();
        use clap::Parser;
        let both = Cli::try_parse_from(["published", "--train", "T.csv", "--cutoff", "-3"]);
        assert!(
            both.is_err(),
            "--train fixes the cut-off; --cutoff conflicts"
        );
    }

    #[test]
    fn read_signature_names_the_file_for_scripts() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.R");
        std::fs::write(&p, "a$sig <- a$f_1*\n").unwrap();
        let err = format!("{:#}", read_signature(&p).err().unwrap());
        assert!(err.contains("bad.R: line 1:"), "{err}");
    }
}
