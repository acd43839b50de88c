//! `cargo xtask`: sequences the study's stages (`paper`, `published`,
//! `calibrate-sim`) over the `dlrn` binary and the library crates, and runs
//! the benchmarks. It holds no statistics of its own: every number comes
//! from a library crate.

mod bench;
mod cache;
mod calibrate;
mod cluster;
mod config;
mod fuzz;
mod paper;
mod plan;
mod published;
mod scale;
mod slurm;
mod usage;
mod web;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "Orchestrates the dlrn study")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Run the benchmarks of one area and, where R/PyTorch are installed, the
    /// reference timed in the same run.
    Bench {
        /// Which benchmark.
        #[arg(value_enum)]
        area: bench::Area,
        /// Options of `bench scale`.
        #[command(flatten)]
        scale: scale::Args,
    },
    /// Full-size ResNet50 check against torchvision (needs Python torch).
    VerifyTorch {
        /// Folder for the reference weights, input and features.
        dir: PathBuf,
        /// Burn backend (flex, ndarray, cuda).
        #[arg(long, default_value = "flex")]
        backend: String,
    },
    /// Run the whole study (simulate if needed → features → ICC → LASSO →
    /// clinical model → DLRN → nomogram → evaluation → reports).
    Paper(paper::Args),
    /// Score the published signature on the released feature tables (Table 2's
    /// signature rows) and validate a hold-out LASSO on each table in turn.
    Published(published::Args),
    /// Run the study on several simulator seeds and print Table 2's AUCs per
    /// seed, their mean ± SD and the paper's (the simulator's calibration).
    CalibrateSim(calibrate::Args),
    /// Run the proptest fuzz targets with many cases (default 2000 per
    /// property) and print each target's case count and wall time.
    Fuzz(fuzz::Args),
    /// Build the WebAssembly module of the offline page (crates/web) into
    /// target/web/pkg (needs the wasm32-unknown-unknown target and
    /// wasm-bindgen-cli of Cargo.lock's wasm-bindgen release).
    WebBuild,
    /// Build the module and write the offline page of a model bundle
    /// (`dlrn export-web`): open <out>/index.html in a browser.
    ExportWeb(web::Args),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Task::Bench { area, scale } => bench::run(area, &scale),
        Task::Paper(args) if args.slurm => {
            slurm::run(&args.config, args.out.as_deref(), args.dry_run)
        }
        Task::Paper(args) => paper::run(args),
        Task::VerifyTorch { dir, backend } => bench::verify_torch(&dir, &backend),
        Task::Published(args) => published::run(args),
        Task::Fuzz(args) => fuzz::run(args),
        Task::CalibrateSim(args) => calibrate::run(args),
        Task::WebBuild => web::build(&workspace_root()).map(|_| ()),
        Task::ExportWeb(args) => web::export(&workspace_root(), &args),
    };
    if let Err(err) = result {
        eprintln!("error: {err:#}");
        std::process::exit(2);
    }
}

/// The workspace root (xtask's manifest is one level down).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}
