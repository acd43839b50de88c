//! Writes a simulated study without building the `dlrn` binary:
//! `cargo run -p dlrn-simulate --example simulate -- OUT [SEED] [SCALE]`.
//! Used to make the R oracle's input (seed 3, scale 1) and to look at previews.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().ok_or("usage: simulate OUT [SEED] [SCALE]")?);
    let seed: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(3);
    let scale: f64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1.0);
    let t = std::time::Instant::now();
    let s = dlrn_simulate::simulate(
        &out,
        &dlrn_simulate::SimParams::default(),
        seed,
        scale,
        &|_| {},
    )?;
    let secs = t.elapsed().as_secs_f64();
    eprintln!(
        "{} images in {secs:.1} s ({:.1} images/s)",
        s.images,
        s.images as f64 / secs
    );
    println!("{}", serde_json::to_string_pretty(&s)?);
    Ok(())
}
