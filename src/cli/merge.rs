//! `dlrn merge`: joins the shard files of a sharded extraction (`--shard
//! I/N`) into the feature table; the partition and the merge are
//! `dlrn_cohort::merge`.

use std::path::PathBuf;

/// Join the shard files of a sharded extraction into one feature table.
///
/// Every shard 0..N-1 of one extraction must be given exactly once (in any
/// order), each with its `<shard>.shard.json` and `<shard>.inputs.json`; shards
/// of different N, kind, settings (masks, version, weights, backend) or cohort
/// (its sorted ids) are refused, naming the shard file. The table, its
/// per-row sidecars (`<out>.inputs.json`, `<out>.grey.json`, joined by id)
/// and, for deep features, `<out>.meta.json` are
/// byte-identical to an unsharded extraction's. With --cohort, each shard's
/// recorded image and mask SHA-256 are checked against the files now there.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Shard files written by `dlrn extract … --shard I/N` (.csv or .parquet).
    #[arg(required = true)]
    pub shards: Vec<PathBuf>,
    /// The merged table, .csv or .parquet.
    #[arg(long)]
    pub out: PathBuf,
    /// Check every shard's inputs against this cohort folder's current images and masks.
    #[arg(long)]
    pub cohort: Option<PathBuf>,
}

/// Runs the merge.
pub fn run(args: Args) -> anyhow::Result<()> {
    let merged = dlrn_cohort::merge_shards(&args.shards, &args.out, args.cohort.as_deref())?;
    if merged.kind == "deep" {
        crate::extraction::deep::merge_meta(&merged.first, &args.out, merged.rows)?;
    }
    eprintln!(
        "{}: {} rows from {} shard(s)",
        args.out.display(),
        merged.rows,
        merged.shards
    );
    Ok(())
}
