//! `cargo xtask fuzz`: the property-based fuzz targets (every integration
//! test file with a `proptest!` block) run with many more cases than the
//! default test run gives them.
//!
//! Each target reads its case count from `PROPTEST_CASES` (16–64 by default,
//! so `cargo test` stays fast) and its seed from `PROPTEST_RNG_SEED` (fixed by
//! default, so every run tries the same inputs). This command sets both, runs
//! each target as `cargo test -p <package> --test <file>` in the workspace's
//! usual (optimised dev) profile, prints the case count and wall time of
//! each, and fails when any target fails.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail, ensure};

use crate::workspace_root;

/// Run the proptest fuzz targets with a larger case count.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Cases per property (`PROPTEST_CASES`); `cargo test` runs 16–64.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..))]
    pub cases: u32,
    /// Only this target: `<crate>/<file>` as listed by `--list` (e.g.
    /// `cohort/fuzz`), a crate folder (every target of it) or a file stem
    /// naming one target. Repeatable.
    #[arg(long = "target", value_name = "NAME")]
    pub targets: Vec<String>,
    /// Seed of the generated inputs (`PROPTEST_RNG_SEED`; default: each
    /// target's fixed seed, so runs repeat).
    #[arg(long)]
    pub seed: Option<u64>,
    /// List the targets and exit.
    #[arg(long)]
    pub list: bool,
}

/// One fuzz target: an integration test file holding a `proptest!` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The cargo package (`-p`).
    pub package: String,
    /// The test target (`--test`), the file's stem.
    pub test: String,
    /// The package's folder relative to the workspace root (`.` for the root package).
    pub dir: String,
}

impl Target {
    /// `<crate folder>/<file stem>`, e.g. `cohort/fuzz` (`dlrn/<stem>` for the root package).
    pub fn name(&self) -> String {
        let short = match self.dir.as_str() {
            "." => self.package.as_str(),
            d => d.rsplit('/').next().unwrap_or(d),
        };
        format!("{short}/{}", self.test)
    }

    /// Whether `--target pattern` selects this target.
    fn matches(&self, pattern: &str) -> bool {
        let name = self.name();
        pattern == name || name.split('/').next() == Some(pattern) || pattern == self.test
    }
}

/// The package name declared in `<dir>/Cargo.toml`.
fn package_name(manifest: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(manifest)
        .with_context(|| format!("reading {}", manifest.display()))?;
    let value: toml::Value =
        toml::from_str(&text).with_context(|| format!("parsing {}", manifest.display()))?;
    value
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .map(str::to_string)
        .with_context(|| format!("{}: no [package] name", manifest.display()))
}

/// Every fuzz target of the workspace: the `tests/*.rs` files of the root
/// package, of each `crates/*` package and of xtask that contain `proptest!`,
/// sorted by name.
pub fn discover(root: &Path) -> anyhow::Result<Vec<Target>> {
    let mut dirs: Vec<PathBuf> = vec![root.to_path_buf(), root.join("xtask")];
    let crates = root.join("crates");
    for e in std::fs::read_dir(&crates).with_context(|| format!("listing {}", crates.display()))? {
        let p = e?.path();
        if p.join("Cargo.toml").is_file() {
            dirs.push(p);
        }
    }
    let mut targets = Vec::new();
    for dir in dirs {
        let tests = dir.join("tests");
        if !tests.is_dir() {
            continue;
        }
        let mut files: Vec<PathBuf> = Vec::new();
        for e in
            std::fs::read_dir(&tests).with_context(|| format!("listing {}", tests.display()))?
        {
            let p = e?.path();
            if p.extension().is_some_and(|x| x == "rs") && p.is_file() {
                files.push(p);
            }
        }
        files.sort();
        let mut package = None;
        for f in files {
            let text =
                std::fs::read_to_string(&f).with_context(|| format!("reading {}", f.display()))?;
            if !text.contains("proptest!") {
                continue;
            }
            let package = match &package {
                Some(p) => String::clone(p),
                None => {
                    let p = package_name(&dir.join("Cargo.toml"))?;
                    package = Some(p.clone());
                    p
                }
            };
            let rel = dir
                .strip_prefix(root)
                .map(|r| r.display().to_string())
                .unwrap_or_default();
            targets.push(Target {
                package,
                test: f
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                dir: if rel.is_empty() { ".".into() } else { rel },
            });
        }
    }
    targets.sort_by_key(Target::name);
    Ok(targets)
}

/// The targets `patterns` select (all when empty); an unknown pattern is an
/// error listing the known names.
pub fn select(all: &[Target], patterns: &[String]) -> anyhow::Result<Vec<Target>> {
    if patterns.is_empty() {
        return Ok(all.to_vec());
    }
    let names = || all.iter().map(Target::name).collect::<Vec<_>>().join(", ");
    let mut out: Vec<Target> = Vec::new();
    for p in patterns {
        let hits: Vec<&Target> = all.iter().filter(|t| t.matches(p)).collect();
        ensure!(
            !hits.is_empty(),
            "--target {p:?}: no such fuzz target (known: {})",
            names()
        );
        ensure!(
            p.contains('/') || hits.len() == 1 || hits.iter().all(|t| t.name().starts_with(p)),
            "--target {p:?} names several targets ({}); give <crate>/<file>",
            hits.iter().map(|t| t.name()).collect::<Vec<_>>().join(", ")
        );
        for t in hits {
            if !out.contains(t) {
                out.push(t.clone());
            }
        }
    }
    Ok(out)
}

/// The `N passed; M failed` counts of libtest's summary lines, summed.
fn passed_failed(stdout: &str) -> (usize, usize) {
    let count = |line: &str, word: &str| {
        line.split(';')
            .find_map(|part| {
                let part = part.trim().trim_start_matches("test result: ok.");
                let part = part.trim().trim_start_matches("test result: FAILED.");
                let mut it = part.split_whitespace();
                let n = it.next()?.parse::<usize>().ok()?;
                (it.next() == Some(word)).then_some(n)
            })
            .unwrap_or(0)
    };
    stdout
        .lines()
        .filter(|l| l.starts_with("test result:"))
        .fold((0, 0), |(p, f), l| {
            (p + count(l, "passed"), f + count(l, "failed"))
        })
}

/// Runs the selected targets and prints a line per target.
pub fn run(args: Args) -> anyhow::Result<()> {
    let root = workspace_root();
    let all = discover(&root)?;
    ensure!(
        !all.is_empty(),
        "no fuzz targets (tests/*.rs with proptest!) under {}",
        root.display()
    );
    let targets = select(&all, &args.targets)?;
    if args.list {
        for t in &targets {
            println!(
                "{:<24} cargo test -p {} --test {}",
                t.name(),
                t.package,
                t.test
            );
        }
        return Ok(());
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let cases = args.cases.to_string();
    let cargo_test = |t: &Target| {
        let mut cmd = Command::new(&cargo);
        cmd.current_dir(&root)
            .args(["test", "-p", &t.package, "--test", &t.test])
            .env("PROPTEST_CASES", &cases);
        if let Some(seed) = args.seed {
            cmd.env("PROPTEST_RNG_SEED", seed.to_string());
        }
        cmd
    };
    // Build every target first, so the times below are the runs alone.
    for t in &targets {
        eprintln!("building {}", t.name());
        let st = cargo_test(t)
            .arg("--no-run")
            .status()
            .context("running cargo test --no-run")?;
        ensure!(st.success(), "building fuzz target {} failed", t.name());
    }
    println!(
        "{:<24} {:>6} {:>10} {:>10}  result",
        "target", "tests", "cases", "wall (s)"
    );
    let mut failed = Vec::new();
    let mut total = 0.0;
    for t in &targets {
        let start = Instant::now();
        let out = cargo_test(t)
            .output()
            .with_context(|| format!("running cargo test for {}", t.name()))?;
        let secs = start.elapsed().as_secs_f64();
        total += secs;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let (passed, nfailed) = passed_failed(&stdout);
        let ok = out.status.success();
        println!(
            "{:<24} {:>6} {:>10} {:>10.1}  {}",
            t.name(),
            passed + nfailed,
            cases,
            secs,
            match (ok, nfailed) {
                (true, _) => "ok".to_string(),
                (false, 0) => format!("FAILED (crashed before its summary; cargo {})", out.status),
                (false, n) => format!("FAILED ({n} failed)"),
            }
        );
        if !ok {
            eprintln!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
            failed.push(t.name());
        }
    }
    println!(
        "{} targets, {cases} cases per property{}, {total:.1} s",
        targets.len(),
        args.seed.map(|s| format!(", seed {s}")).unwrap_or_default()
    );
    if !failed.is_empty() {
        bail!("fuzz targets failed: {}", failed.join(", "));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(dir: &str, package: &str, test: &str) -> Target {
        Target {
            package: package.into(),
            test: test.into(),
            dir: dir.into(),
        }
    }

    /// The workspace's fuzz targets are found with their packages, and every
    /// test file holding `proptest!` is one of them.
    #[test]
    fn discovers_the_workspace_targets() {
        let all = discover(&workspace_root()).unwrap();
        let names: Vec<String> = all.iter().map(Target::name).collect();
        for want in ["cohort/fuzz", "lasso/fuzz", "study/fuzz_bundle"] {
            assert!(names.contains(&want.to_string()), "{want} not in {names:?}");
        }
        let cohort = all.iter().find(|t| t.name() == "cohort/fuzz").unwrap();
        assert_eq!(cohort.package, "dlrn-cohort");
        assert_eq!(cohort.dir, "crates/cohort");
    }

    #[test]
    fn selects_by_name_crate_or_unique_stem() {
        let all = vec![
            t("crates/cohort", "dlrn-cohort", "fuzz"),
            t("crates/deep", "dlrn-deep", "fuzz_weights"),
            t("crates/lasso", "dlrn-lasso", "fuzz"),
        ];
        let names = |p: &[&str]| {
            select(&all, &p.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .map(|v| v.iter().map(Target::name).collect::<Vec<_>>())
        };
        assert_eq!(names(&[]).unwrap().len(), 3);
        assert_eq!(names(&["lasso/fuzz"]).unwrap(), ["lasso/fuzz"]);
        assert_eq!(names(&["deep"]).unwrap(), ["deep/fuzz_weights"]);
        assert_eq!(names(&["fuzz_weights"]).unwrap(), ["deep/fuzz_weights"]);
        assert_eq!(
            names(&["cohort", "cohort/fuzz"]).unwrap(),
            ["cohort/fuzz"],
            "a target selected twice runs once"
        );
        let e = names(&["fuzz"]).unwrap_err().to_string();
        assert!(e.contains("names several targets"), "{e}");
        let e = names(&["nope"]).unwrap_err().to_string();
        assert!(
            e.contains("no such fuzz target") && e.contains("cohort/fuzz"),
            "{e}"
        );
    }

    #[test]
    fn root_package_targets_are_named_by_package() {
        assert_eq!(t(".", "dlrn", "fuzz_cli").name(), "dlrn/fuzz_cli");
    }

    #[test]
    fn counts_libtest_summaries() {
        let out = "running 3 tests\n...\ntest result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 2.1s\n\
                   test result: FAILED. 1 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out\n";
        assert_eq!(passed_failed(out), (4, 2));
        assert_eq!(passed_failed("no summary"), (0, 0));
    }
}
