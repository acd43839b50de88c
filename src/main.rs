//! `dlrn`: the command-line interface. Parses arguments (clap), runs one stage,
//! prints the error chain and exits 2 on failure.

mod cli;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    if let Err(err) = cli::run(cli) {
        eprintln!("error: {err:#}");
        std::process::exit(2);
    }
}
