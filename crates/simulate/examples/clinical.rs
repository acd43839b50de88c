//! Writes only the clinical tables of a simulated study (no images), fast:
//! `cargo run -p dlrn-simulate --example clinical -- OUT [SEED] [SCALE]`
//! writes OUT/<cohort>/clinical.csv, byte-identical to what `simulate` writes.
//! Makes the input of tests/oracle/make_glm_signs.R.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().ok_or("usage: clinical OUT [SEED] [SCALE]")?);
    let seed: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(3);
    let scale: f64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1.0);
    for draw in dlrn_simulate::sample_study(&dlrn_simulate::SimParams::default(), seed, scale)? {
        let dir = out.join(&draw.name);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join("clinical.csv"), dlrn_simulate::clinical_csv(&draw))?;
    }
    Ok(())
}
