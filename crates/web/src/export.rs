//! `dlrn export-web`: the page, the WebAssembly module and a model bundle as
//! one folder of static files that works from `file://` (no server, no
//! network): Chromium does not let a `file://` page fetch its neighbours, so
//! the module and the bundle's files travel base64-encoded inside scripts
//! (`dlrn_web_wasm.js`, `model.js`); the raw `.wasm` is written beside them
//! for a static server and for inspection.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{Result, WebError};

/// The page (crates/web/page/).
const INDEX_HTML: &str = include_str!("../page/index.html");
/// The page's script.
const APP_JS: &str = include_str!("../page/app.js");

/// The wasm-bindgen output the page needs (`--target no-modules`).
pub const GLUE: &str = "dlrn_web.js";
/// The module itself.
pub const WASM: &str = "dlrn_web_bg.wasm";

/// What was written, with sizes, for the summary line and `export.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exported {
    /// The folder written.
    pub out: PathBuf,
    /// Bytes of the `.wasm` module.
    pub wasm_bytes: u64,
    /// Bytes of the bundle's files.
    pub model_bytes: u64,
    /// Bytes of the whole folder.
    pub total_bytes: u64,
    /// SHA-256 of the `.wasm` module.
    pub wasm_sha256: String,
    /// SHA-256 of the bundle's `manifest.json` (which hashes every other file).
    pub manifest_sha256: String,
    /// The clinical variables the page asks for.
    pub variables: Vec<String>,
}

fn io(path: &Path, e: std::io::Error) -> WebError {
    WebError::Input(format!("{}: {e}", path.display()))
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| io(path, e))
}

fn write(path: &Path, bytes: &[u8]) -> Result<u64> {
    std::fs::write(path, bytes).map_err(|e| io(path, e))?;
    Ok(bytes.len() as u64)
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The bundle's files as the page loads them: `manifest.json` and every
/// file it lists, by their paths inside the bundle; checked by loading them
/// as the page will.
pub fn bundle_files(model: &Path) -> Result<BTreeMap<String, Vec<u8>>> {
    let manifest_path = model.join(dlrn_bundle::MANIFEST);
    let manifest_bytes = read(&manifest_path)?;
    let manifest: dlrn_bundle::Manifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| WebError::Input(format!("{}: {e}", manifest_path.display())))?;
    let mut files = BTreeMap::new();
    for name in manifest.files.keys() {
        files.insert(name.clone(), read(&model.join(name))?);
    }
    files.insert(dlrn_bundle::MANIFEST.to_string(), manifest_bytes);
    Ok(files)
}

/// Writes the page for the bundle in `model` into `out` (created; files of
/// an earlier export are replaced), taking the module from `pkg`, the
/// wasm-bindgen output of `cargo xtask web-build`.
pub fn export_web(model: &Path, pkg: &Path, out: &Path) -> Result<Exported> {
    let files = bundle_files(model)?;
    // The page's own check, natively: a bundle the page would refuse is refused here.
    let loaded = crate::Model::from_files(files.clone())?;
    if let dlrn_bundle::CnnWeights::File { format, file } = &loaded.bundle().cnn.weights
        && format == "pytorch"
    {
        return Err(WebError::Input(format!(
            "{}: the CNN weights {file} are a pickled PyTorch state dict, which the page \
             cannot read; refit the bundle with .safetensors or .mpk weights",
            model.display()
        )));
    }
    let glue_path = pkg.join(GLUE);
    let wasm_path = pkg.join(WASM);
    if !glue_path.is_file() || !wasm_path.is_file() {
        return Err(WebError::Input(format!(
            "{}: no {GLUE} and {WASM} (the WebAssembly build): build them with \
             `cargo xtask web-build`, or pass --pkg",
            pkg.display()
        )));
    }
    let glue = read(&glue_path)?;
    let wasm = read(&wasm_path)?;
    std::fs::create_dir_all(out).map_err(|e| io(out, e))?;

    let b64 = base64::engine::general_purpose::STANDARD;
    let mut total = 0;
    total += write(&out.join("index.html"), INDEX_HTML.as_bytes())?;
    total += write(&out.join("app.js"), APP_JS.as_bytes())?;
    total += write(&out.join(GLUE), &glue)?;
    total += write(&out.join("dlrn_web.wasm"), &wasm)?;
    let wasm_js = format!(
        "// The DLRN's WebAssembly module (dlrn_web.wasm), base64: a file:// page cannot fetch it.\n\
         const DLRN_WASM = \"{}\";\n",
        b64.encode(&wasm)
    );
    total += write(&out.join("dlrn_web_wasm.js"), wasm_js.as_bytes())?;
    let encoded: BTreeMap<&str, String> = files
        .iter()
        .map(|(k, v)| (k.as_str(), b64.encode(v)))
        .collect();
    let model_json = serde_json::to_string(&serde_json::json!({ "files": encoded }))
        .map_err(|e| WebError::Input(format!("encoding model.js: {e}")))?;
    let model_js = format!(
        "// The model bundle's files ({}), base64: a file:// page cannot fetch them.\n\
         const DLRN_MODEL = {model_json};\n",
        model.display()
    );
    total += write(&out.join("model.js"), model_js.as_bytes())?;

    let exported = Exported {
        out: out.to_path_buf(),
        wasm_bytes: wasm.len() as u64,
        model_bytes: files.values().map(|v| v.len() as u64).sum(),
        total_bytes: 0,
        wasm_sha256: sha256(&wasm),
        manifest_sha256: sha256(&files[dlrn_bundle::MANIFEST]),
        variables: loaded
            .bundle()
            .clinical
            .variables
            .iter()
            .map(|v| v.name.clone())
            .collect(),
    };
    let record = serde_json::json!({
        "dlrn_version": env!("CARGO_PKG_VERSION"),
        "model": model,
        "manifest_sha256": exported.manifest_sha256,
        "wasm_sha256": exported.wasm_sha256,
        "files": ["index.html", "app.js", GLUE, "dlrn_web.wasm", "dlrn_web_wasm.js", "model.js"],
    });
    let mut text = serde_json::to_string_pretty(&record)
        .map_err(|e| WebError::Input(format!("encoding export.json: {e}")))?;
    text.push('\n');
    total += write(&out.join("export.json"), text.as_bytes())?;
    Ok(Exported {
        total_bytes: total,
        ..exported
    })
}
