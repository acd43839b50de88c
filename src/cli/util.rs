//! Helpers shared by the stages: JSON printing and file hashing.

use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};

/// Prints one serde value as pretty JSON on stdout (the `--json` contract).
/// A closed pipe (`dlrn … --json | head`) ends the output quietly.
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    use std::io::Write;
    let text = serde_json::to_string_pretty(value).context("serialising JSON output")?;
    match writeln!(std::io::stdout().lock(), "{text}") {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("writing JSON to stdout")
        }
        _ => Ok(()),
    }
}

/// SHA-256 of a file's bytes as lowercase hex, for the provenance manifests.
pub fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

/// A progress bar on stderr for `len` items (hidden when stderr is not a terminal).
pub fn progress_bar(len: u64, message: &'static str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        // A constant template, parsed by every run (and by the tests).
        indicatif::ProgressStyle::with_template(
            "{msg:>18} [{bar:40.cyan/blue}] {pos}/{len} ({per_sec}, eta {eta})",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    bar.set_message(message);
    bar
}

/// `<out>.<suffix>` beside the output.
pub(crate) fn sidecar(out: &Path, suffix: &str) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".");
    name.push(suffix);
    out.with_file_name(name)
}
