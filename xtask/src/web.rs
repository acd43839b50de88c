//! `cargo xtask web-build` and `cargo xtask export-web`: the WebAssembly
//! build of crates/web (cargo for wasm32-unknown-unknown with SIMD128, see
//! .cargo/config.toml, then wasm-bindgen-cli for the page's JavaScript
//! glue) and the offline page of a model bundle (`dlrn export-web`).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, ensure};

use crate::paper::{build_dlrn, run_dlrn};

/// The wasm-bindgen release of Cargo.lock: the CLI must be the same one.
pub const WASM_BINDGEN: &str = "0.2.130";

/// Options of `export-web`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The model bundle folder (`model/` of `cargo xtask paper`).
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    /// The folder to write.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// Builds the module into `target/web/pkg` (dlrn_web.js + dlrn_web_bg.wasm)
/// and returns that folder.
pub fn build(root: &Path) -> anyhow::Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // The dev profile, as every other build here: the wasm build reuses the
    // native build's proc-macros and build scripts (host artifacts).
    eprintln!(
        "building dlrn-web for wasm32-unknown-unknown (the first build compiles Burn for it)"
    );
    let st = Command::new(&cargo)
        .current_dir(root)
        .args([
            "build",
            "-p",
            "dlrn-web",
            "--lib",
            "--target",
            "wasm32-unknown-unknown",
        ])
        .status()
        .context("running cargo build -p dlrn-web --target wasm32-unknown-unknown")?;
    ensure!(
        st.success(),
        "cargo build -p dlrn-web --target wasm32-unknown-unknown failed (is the target \
         installed? `rustup target add wasm32-unknown-unknown`)"
    );
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let wasm = target.join("wasm32-unknown-unknown/debug/dlrn_web.wasm");
    let pkg = target.join("web/pkg");
    let version = Command::new("wasm-bindgen").arg("--version").output();
    let found = version
        .as_ref()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    ensure!(
        found.as_deref().is_some_and(|v| v.ends_with(WASM_BINDGEN)),
        "wasm-bindgen {WASM_BINDGEN} is needed (found: {}); install it with \
         `cargo install wasm-bindgen-cli --version {WASM_BINDGEN}`",
        found.as_deref().unwrap_or("none")
    );
    let st = Command::new("wasm-bindgen")
        .args([
            "--target",
            "no-modules",
            "--no-typescript",
            "--out-name",
            "dlrn_web",
        ])
        .arg("--out-dir")
        .arg(&pkg)
        .arg(&wasm)
        .status()
        .context("running wasm-bindgen")?;
    ensure!(st.success(), "wasm-bindgen failed on {}", wasm.display());
    eprintln!("{}: dlrn_web.js, dlrn_web_bg.wasm", pkg.display());
    Ok(pkg)
}

/// Builds the module and `dlrn`, then writes the page.
pub fn export(root: &Path, args: &Args) -> anyhow::Result<()> {
    let pkg = build(root)?;
    let dlrn = build_dlrn(root, "flex")?;
    let mut line = vec![
        "export-web".into(),
        "--model".into(),
        args.model.clone().into_os_string(),
        "--out".into(),
        args.out.clone().into_os_string(),
        "--pkg".into(),
    ];
    line.push(pkg.into_os_string());
    run_dlrn(&dlrn, &line)
}
