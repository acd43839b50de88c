//! `dlrn export-web`: the offline page that runs a model bundle's DLRN in
//! the browser (dlrn-web's [`export_web`]).

use std::path::PathBuf;

use anyhow::Context;
use dlrn_web::export::export_web;

use crate::cli::util::print_json;

/// Write the offline web page of a model bundle: image + outline + clinical values → DLRN.
///
/// The folder holds index.html, the page's script, the WebAssembly build of
/// dlrn's prediction path and the bundle's files; open index.html from disk
/// (`file://`) or any static server. Everything runs in the browser: the
/// page makes no network request. The module is the wasm-bindgen output of
/// `cargo xtask web-build` (or `cargo xtask export-web`, which builds it and
/// runs this command).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The model bundle folder (`model/` of `cargo xtask paper`).
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    /// The folder to write (created; an earlier export's files are replaced).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The WebAssembly build (dlrn_web.js, dlrn_web_bg.wasm); default:
    /// `web/pkg` in the target folder this binary was built into.
    #[arg(long, value_name = "DIR")]
    pub pkg: Option<PathBuf>,
    /// Print what was written as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `target/web/pkg` beside the build folder of the running binary
/// (`target/debug/dlrn` → `target/web/pkg`).
fn default_pkg() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("locating the dlrn binary")?;
    let target = exe
        .parent()
        .and_then(|p| p.parent())
        .context("the dlrn binary is not inside a cargo target folder: pass --pkg")?;
    Ok(target.join("web").join("pkg"))
}

/// A size in kB below 1 MB, else in MB.
fn size(bytes: u64) -> String {
    if bytes < 1_000_000 {
        format!("{:.0} kB", bytes as f64 / 1e3)
    } else {
        format!("{:.1} MB", bytes as f64 / 1e6)
    }
}

/// Runs `dlrn export-web`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let pkg = match args.pkg {
        Some(p) => p,
        None => default_pkg()?,
    };
    let done = export_web(&args.model, &pkg, &args.out)?;
    if args.json {
        print_json(&done)?;
    } else {
        eprintln!(
            "{}: the DLRN page (module {}, model {}, {} in all; asks for {}); open {}",
            done.out.display(),
            size(done.wasm_bytes),
            size(done.model_bytes),
            size(done.total_bytes),
            done.variables.join(", "),
            done.out.join("index.html").display()
        );
    }
    Ok(())
}
