//! `dlrn`: the command-line interface. Parses arguments (clap), runs one stage,
//! prints the error chain and exits 2 on failure (3 for an extraction that
//! left some cases without a row, see `extraction::EXIT_PARTIAL`).

mod cli;
mod extraction;

use clap::Parser;

/// Third-party code that panics on malformed input where it should return an
/// error; dlrn catches those panics (`catch_unwind`) and reports a typed error
/// naming the file, so their panic message would only add noise before it:
/// dicom-transfer-syntax-registry 0.10's RLE reader on truncated fragments,
/// burn-core 0.21's record loader on a corrupt parameter id.
const CAUGHT_PANIC_SOURCES: &[&str] = &["dicom-transfer-syntax-registry-", "burn-core-"];

fn main() {
    // Every other panic (a bug in dlrn) is printed as usual.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let caught = info
            .location()
            .is_some_and(|l| CAUGHT_PANIC_SOURCES.iter().any(|s| l.file().contains(s)));
        if !caught {
            default_hook(info);
        }
    }));
    let cli = cli::Cli::parse();
    if let Err(err) = cli::run(cli) {
        eprintln!("error: {}", chain_text(&err));
        let partial = err.downcast_ref::<extraction::PartialRun>().is_some();
        std::process::exit(if partial { extraction::EXIT_PARTIAL } else { 2 });
    }
}

/// The error and its causes joined by ": ", as anyhow's `{:#}`, except that
/// a cause whose text already ends the message before it is not repeated
/// (the libraries' `"{path}: {source}"` messages quote their cause).
fn chain_text(err: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in err.chain() {
        let msg = cause.to_string();
        if !out.is_empty() && out.ends_with(&msg) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&msg);
    }
    out
}
