//! Where tests and benchmarks find data the repository cannot ship.
//!
//! The study's released feature tables (EVC1.csv, EVC2.csv, …,
//! published_signature.csv; see data/README.md) have no licence, so they are
//! not copied into this repository. Tests that need them are marked
//! `#[ignore = "needs the released tables: see data/README.md"]` and look for
//! them in one place, in this order:
//!
//! 1. the folder named by the environment variable [`ALN_PAPER_ENV`]
//!    (`DLRN_ALN_PAPER`);
//! 2. `data/aln-paper/` in the workspace, where data/README.md tells users to
//!    download them.
//!
//! A test that runs (with `--include-ignored`) without the tables fails with a
//! message saying where it looked, so a skipped check never passes silently.

use std::path::{Path, PathBuf};

/// The environment variable naming the folder of the released tables.
pub const ALN_PAPER_ENV: &str = "DLRN_ALN_PAPER";

/// The reason string of every `#[ignore]` on a test that needs the released tables.
pub const NEEDS_ALN_PAPER: &str = "needs the released tables: see data/README.md";

/// The workspace root (this crate lives in `crates/testdata`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The folder the released tables are looked for in: `$DLRN_ALN_PAPER`, else
/// `<workspace>/data/aln-paper`. It may not exist; see [`aln_paper`].
pub fn aln_paper_dir() -> PathBuf {
    match std::env::var_os(ALN_PAPER_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => workspace_root().join("data").join("aln-paper"),
    }
}

/// The folder of the released tables when it holds at least EVC1.csv and
/// EVC2.csv, else `None`.
pub fn aln_paper() -> Option<PathBuf> {
    let dir = aln_paper_dir();
    (dir.join("EVC1.csv").is_file() && dir.join("EVC2.csv").is_file()).then_some(dir)
}

/// The folder of the released tables; panics (failing the test) with where it
/// looked and how to provide them when they are absent. For tests only.
pub fn require_aln_paper() -> PathBuf {
    aln_paper().unwrap_or_else(|| {
        panic!(
            "the study's released feature tables (EVC1.csv, EVC2.csv, published_signature.csv) \
             are not in {}: download them as data/README.md says, or set {ALN_PAPER_ENV} to \
             their folder",
            aln_paper_dir().display()
        )
    })
}

/// The path of one released file (e.g. `EVC1.csv`), failing the test with a
/// clear message when it is absent.
pub fn aln_paper_file(name: &str) -> PathBuf {
    let path = require_aln_paper().join(name);
    assert!(
        path.is_file(),
        "{} is missing: download it as data/README.md says",
        path.display()
    );
    path
}

/// The proptest configuration of every fuzz target: `PROPTEST_CASES` cases
/// (else `default_cases`), 64 shrink iterations, no failure persistence, and a
/// fixed RNG seed (`PROPTEST_RNG_SEED` overrides it).
///
/// The seed is fixed so every run, here and in CI, tries the same inputs: a
/// failure reproduces by rerunning the test, and a passing run means the same
/// thing each time. `cargo xtask fuzz` varies `PROPTEST_RNG_SEED` to explore.
pub fn fuzz_config(default_cases: u32) -> proptest::test_runner::Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_cases);
    let seed = std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(FUZZ_SEED);
    proptest::test_runner::Config {
        cases,
        rng_seed: proptest::test_runner::RngSeed::Fixed(seed),
        // Shrinking re-runs the code under test many times; the failing input is printed anyway.
        max_shrink_iters: 64,
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    }
}

/// The fuzz targets' default RNG seed (see [`fuzz_config`]).
pub const FUZZ_SEED: u64 = 20_261_130;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_root_holds_the_workspace_manifest() {
        let manifest = std::fs::read_to_string(workspace_root().join("Cargo.toml")).unwrap();
        assert!(manifest.contains("[workspace]"));
    }

    #[test]
    fn fuzz_config_is_fixed_unless_the_environment_says_otherwise() {
        let c = fuzz_config(16);
        assert_eq!(c.max_shrink_iters, 64);
        assert!(c.failure_persistence.is_none());
        if std::env::var_os("PROPTEST_CASES").is_none() {
            assert_eq!(c.cases, 16);
        }
        if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
            assert_eq!(
                c.rng_seed,
                proptest::test_runner::RngSeed::Fixed(20_261_130)
            );
        }
    }
}
