//! The `[cluster]` section of a study configuration: how `cargo xtask paper
//! --slurm` cuts the extraction into Slurm array jobs and what each job asks
//! the scheduler for. Every key but `engine` is optional.

use serde::{Deserialize, Serialize};

/// Where and how the study runs beyond one machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cluster {
    /// The scheduler; only "slurm" today.
    pub engine: String,
    /// Shards per extraction stage (array tasks per array job).
    #[serde(default = "default_shards")]
    pub shards: usize,
    /// `sbatch --partition` (the cluster's default partition when absent).
    #[serde(default)]
    pub partition: Option<String>,
    /// `sbatch --account` (none when absent).
    #[serde(default)]
    pub account: Option<String>,
    /// `sbatch --time` of one shard, Slurm's `[D-]HH:MM:SS` form.
    #[serde(default = "default_time")]
    pub time: String,
    /// `sbatch --mem` of one shard (e.g. "4G").
    #[serde(default = "default_mem")]
    pub mem: String,
    /// `sbatch --cpus-per-task` of one shard (the extraction uses them all).
    #[serde(default = "default_cpus")]
    pub cpus: usize,
    /// `sbatch --gres` for the GPU jobs (fine-tuning, and deep extraction on
    /// a GPU backend), e.g. "gpu:1"; none when absent.
    #[serde(default)]
    pub gres: Option<String>,
    /// `sbatch --time` of the fine-tuning job.
    #[serde(default = "default_time")]
    pub finetune_time: String,
    /// `sbatch --time` of the modelling and report job.
    #[serde(default = "default_time")]
    pub report_time: String,
    /// `sbatch --mem` of the modelling and report job.
    #[serde(default = "default_mem")]
    pub report_mem: String,
}

fn default_shards() -> usize {
    4
}

fn default_time() -> String {
    "01:00:00".into()
}

fn default_mem() -> String {
    "4G".into()
}

fn default_cpus() -> usize {
    1
}

impl Default for Cluster {
    fn default() -> Self {
        Cluster {
            engine: "slurm".into(),
            shards: default_shards(),
            partition: None,
            account: None,
            time: default_time(),
            mem: default_mem(),
            cpus: default_cpus(),
            gres: None,
            finetune_time: default_time(),
            report_time: default_time(),
            report_mem: default_mem(),
        }
    }
}

impl Cluster {
    /// Checks the values a scheduler would otherwise reject late.
    pub fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.engine == "slurm",
            "cluster.engine: {:?} is not supported (only \"slurm\")",
            self.engine
        );
        anyhow::ensure!(self.shards >= 1, "cluster.shards must be at least 1");
        anyhow::ensure!(self.cpus >= 1, "cluster.cpus must be at least 1");
        for (key, v) in [
            ("time", &self.time),
            ("finetune_time", &self.finetune_time),
            ("report_time", &self.report_time),
        ] {
            anyhow::ensure!(
                !v.is_empty()
                    && v.chars()
                        .all(|c| c.is_ascii_digit() || c == ':' || c == '-'),
                "cluster.{key}: {v:?} is not a Slurm time ([D-]HH:MM:SS)"
            );
        }
        for (key, v) in [("mem", &self.mem), ("report_mem", &self.report_mem)] {
            anyhow::ensure!(
                v.trim_end_matches(['K', 'M', 'G', 'T'])
                    .parse::<u64>()
                    .is_ok(),
                "cluster.{key}: {v:?} is not a Slurm memory size (e.g. 4G, 500M)"
            );
        }
        for (key, v) in [
            ("partition", &self.partition),
            ("account", &self.account),
            ("gres", &self.gres),
        ] {
            if let Some(v) = v {
                anyhow::ensure!(
                    !v.is_empty()
                        && v.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "_-.:,".contains(c)),
                    "cluster.{key}: {v:?} has characters Slurm names do not use"
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minimal_section_takes_the_defaults() {
        let c: Cluster = toml::from_str("engine = \"slurm\"").unwrap();
        assert_eq!(c, Cluster::default());
        c.check().unwrap();
    }

    #[test]
    fn bad_values_are_named() {
        let bad = [
            ("engine = \"pbs\"", "engine"),
            ("engine = \"slurm\"\nshards = 0", "shards"),
            ("engine = \"slurm\"\ntime = \"1 hour\"", "cluster.time"),
            ("engine = \"slurm\"\nmem = \"lots\"", "cluster.mem"),
            (
                "engine = \"slurm\"\npartition = \"a b\"",
                "cluster.partition",
            ),
        ];
        for (text, key) in bad {
            let c: Cluster = toml::from_str(text).unwrap();
            let e = c.check().unwrap_err().to_string();
            assert!(e.contains(key), "{text}: {e}");
        }
    }
}
