//! `cargo xtask`: sequences the `dlrn` stages (paper, published) and runs the
//! benchmarks. Holds no statistics of its own.

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "xtask")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Run the whole study on the simulated cohorts (configs/paper.toml).
    Paper,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Task::Paper => anyhow::bail!("paper: the pipeline is being assembled"),
    }
}
