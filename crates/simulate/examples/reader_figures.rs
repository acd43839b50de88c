//! The radiologists' figures of a simulated study, for the record:
//! `cargo run -p dlrn-simulate --example reader_figures -- [SEED] [SCALE]`
//! (default: the default study, seed 2024, scale 1). tests/readers.rs checks
//! them against the paper's on a 4× study.

#[path = "../tests/support/reader_figures.rs"]
mod reader_figures;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let seed: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(2024);
    let scale: f64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1.0);
    let f = reader_figures::figures(seed, scale);
    println!(
        "SENS {:.3} SPE {:.3} AUC {:.3}\ninter (call, BI-RADS, US-ALN) {:?}\nintra {:?}\nper reader (SENS, SPE) {:?}",
        f.sens,
        f.spe,
        (f.sens + f.spe) / 2.0,
        f.inter,
        f.intra,
        f.readers
    );
    Ok(())
}
