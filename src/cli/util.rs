//! Helpers shared by the stages: JSON printing, progress bars, and the
//! feature store's file helpers (atomic writes, SHA-256 of files, sidecar
//! paths) from dlrn-cohort.

use std::path::Path;

use anyhow::Context;
pub use dlrn_cohort::store::sidecar;

/// SHA-256 of a file's bytes as lowercase hex (`dlrn_cohort::store::sha256_file`).
pub fn sha256_file(path: &Path) -> anyhow::Result<String> {
    Ok(dlrn_cohort::store::sha256_file(path)?)
}

/// Writes a file through a temporary one and a rename
/// (`dlrn_cohort::store::write_atomic`).
pub fn write_atomic(path: &Path, contents: impl AsRef<[u8]>) -> anyhow::Result<()> {
    Ok(dlrn_cohort::store::write_atomic(path, contents)?)
}

/// Has `write` write the file meant for `path` to a temporary name, then
/// renames it into place (`dlrn_cohort::store::via_temp`).
pub fn via_temp(
    path: &Path,
    write: impl FnOnce(&Path) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    dlrn_cohort::store::via_temp(path, write)
}

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
