//! `cargo xtask paper --slurm [--dry-run]`: the study as Slurm jobs.
//!
//! Feature extraction, the only heavy part, becomes one array job per
//! extraction stage (`--array=0-(N-1)`, task I runs `dlrn extract …
//! --shard I/N`), each followed by a merge job (`--dependency=afterok`) that
//! joins the shards with `dlrn merge` and stamps the stage as done in the
//! stage cache (`work/.stamps/`, the key `cargo xtask paper` computes for
//! it). Last comes the modelling and report job: `xtask paper` itself,
//! which finds every extraction stage cached and goes on from there.
//! Fine-tuning, when the config asks for it, is one GPU job run first,
//! followed by a job that submits the rest.
//!
//! Everything lands under `<out>/work/slurm/`: plain sbatch scripts a
//! cluster admin can read, `submit.sh` (the same submissions by hand, for
//! `--dry-run`), `jobs.json` (the last submission's job ids) and `logs/`.
//! Shards live in `<out>/work/shards/<stage>/`, under the stage's key:
//! resubmitting after a failure reruns only the shards that are missing,
//! and a changed input (new key) starts the stage's shards afresh.
//!
//! The stages, their keys and commands are the study plan `cargo xtask
//! paper` resolves too (plan.rs); xtask/tests/slurm.rs checks that the
//! report job finds every extraction stage cached.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail, ensure};
use serde::{Deserialize, Serialize};

use crate::cache::Runner;
use crate::cluster::Cluster;
use crate::config::Config;
use crate::paper::{build_dlrn, run_dlrn};
use crate::plan::{Finetune, Plan};

/// One extraction stage as the cluster runs it.
struct Stage {
    /// The stage cache's name: `handcrafted/<tag>` or `deep/<tag>`.
    name: String,
    /// "handcrafted" or "deep".
    kind: &'static str,
    /// The stage key (as paper.rs computes it).
    key: String,
    /// The merged table.
    output: PathBuf,
    /// The cohort folder and masks sub-folder.
    cohort: PathBuf,
    masks: String,
    /// What a failed case does: `--strict`, or `--keep-going` with
    /// `[extract] allow_partial` (as `paper` runs the stage).
    failure_flag: &'static str,
    /// Further `dlrn extract` arguments (deep: seed, batch, backend, weights).
    extra: Vec<String>,
    /// Whether the tasks ask for the GPU gres.
    gpu: bool,
}

impl Stage {
    /// The stage's name as a file name.
    fn tag(&self) -> String {
        self.name.replace('/', "_")
    }
}

/// What one submission sent to the scheduler (`work/slurm/jobs.json`).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Submission {
    /// Per extraction stage: its array job (when shards were missing), the
    /// tasks it ran, and its merge job.
    pub stages: BTreeMap<String, StageJobs>,
    /// The fine-tuning job and the job that submits the rest after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finetune: Option<(String, String)>,
    /// The modelling and report job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<String>,
}

/// The jobs of one extraction stage.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct StageJobs {
    /// The array job id, when shards were submitted.
    pub array: Option<String>,
    /// The array tasks submitted (shard indices).
    pub tasks: Vec<usize>,
    /// The merge job id.
    pub merge: String,
}

impl Submission {
    /// Every job id, in submission order.
    pub fn ids(&self) -> Vec<String> {
        let mut ids = Vec::new();
        if let Some((a, b)) = &self.finetune {
            ids.extend([a.clone(), b.clone()]);
        }
        for s in self.stages.values() {
            ids.extend(s.array.iter().cloned());
            ids.push(s.merge.clone());
        }
        ids.extend(self.report.iter().cloned());
        ids
    }
}

/// Quotes a value for bash (single quotes; a quote inside becomes '\'').
fn sh(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-=:,+@".contains(c))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn shp(p: &Path) -> String {
    sh(&p.display().to_string())
}

/// The shard file of shard `i` of `n` of a stage.
fn shard_file(dir: &Path, i: usize, n: usize) -> PathBuf {
    dir.join(dlrn_cohort::Shard::file_name(i, n))
}

/// `--array` spec of sorted indices: `0-3` or `1,3`.
fn array_spec(tasks: &[usize]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < tasks.len() {
        let mut j = i;
        while j + 1 < tasks.len() && tasks[j + 1] == tasks[j] + 1 {
            j += 1;
        }
        parts.push(if i == j {
            tasks[i].to_string()
        } else {
            format!("{}-{}", tasks[i], tasks[j])
        });
        i = j + 1;
    }
    parts.join(",")
}

/// The `#SBATCH` lines every job shares (partition, account) plus its own.
fn header(
    cluster: &Cluster,
    what: &str,
    job_name: &str,
    own: &[(&str, String)],
    config: &Path,
) -> String {
    let mut s = String::from("#!/bin/bash\n");
    let _ = writeln!(s, "# dlrn study: {what}.");
    let _ = writeln!(
        s,
        "# Written by `cargo xtask paper --config {} --slurm`.",
        config.display()
    );
    let _ = writeln!(s, "#SBATCH --job-name={}", sh(job_name));
    if let Some(p) = &cluster.partition {
        let _ = writeln!(s, "#SBATCH --partition={p}");
    }
    if let Some(a) = &cluster.account {
        let _ = writeln!(s, "#SBATCH --account={a}");
    }
    for (k, v) in own {
        let _ = writeln!(s, "#SBATCH --{k}={v}");
    }
    s.push_str("set -euo pipefail\n");
    s
}

/// Paths and settings every script needs.
struct Ctx<'a> {
    cluster: &'a Cluster,
    config: &'a Path,
    dlrn: &'a Path,
    xtask: &'a Path,
    out: &'a Path,
    work: &'a Path,
    slurm: PathBuf,
    logs: PathBuf,
}

impl Ctx<'_> {
    fn shard_dir(&self, stage: &Stage) -> PathBuf {
        self.work.join("shards").join(stage.tag())
    }

    fn stamp(&self, name: &str) -> PathBuf {
        crate::cache::stamp_path(&self.work.join(".stamps"), name)
    }

    /// The log of array task `task` of array job `job`.
    fn task_log(&self, stage: &Stage, job: &str, task: usize) -> PathBuf {
        self.logs.join(format!("{}-{job}_{task}.out", stage.tag()))
    }

    /// The array job of a stage: task I extracts shard I/N.
    fn array_script(&self, stage: &Stage) -> String {
        let n = self.cluster.shards;
        let mut own = vec![
            ("array", format!("0-{}", n - 1)),
            ("time", self.cluster.time.clone()),
            ("mem", self.cluster.mem.clone()),
            ("cpus-per-task", self.cluster.cpus.to_string()),
        ];
        if stage.gpu
            && let Some(g) = &self.cluster.gres
        {
            own.push(("gres", g.clone()));
        }
        own.push((
            "output",
            self.logs
                .join(format!("{}-%A_%a.out", stage.tag()))
                .display()
                .to_string(),
        ));
        let what = format!(
            "{} features of {} ({}), shard $SLURM_ARRAY_TASK_ID of {n}",
            stage.kind,
            stage.cohort.display(),
            stage.masks
        );
        let mut s = header(
            self.cluster,
            &what,
            &format!("dlrn-{}", stage.tag()),
            &own,
            self.config,
        );
        let dir = self.shard_dir(stage);
        let _ = writeln!(
            s,
            "export RAYON_NUM_THREADS=\"${{SLURM_CPUS_PER_TASK:-1}}\""
        );
        let _ = writeln!(s, "i=\"$SLURM_ARRAY_TASK_ID\"");
        let _ = writeln!(
            s,
            "log={}/{}-\"${{SLURM_ARRAY_JOB_ID}}_${{i}}.out\"",
            shp(&self.logs),
            stage.tag()
        );
        let mut cmd = format!(
            "{} extract {} --cohort {} --masks {} \\\n    --out {}/\"shard-${{i}}-of-{n}.parquet\" --shard \"$i/{n}\"",
            shp(self.dlrn),
            stage.kind,
            shp(&stage.cohort),
            sh(&stage.masks),
            shp(&dir)
        );
        let _ = write!(cmd, " {}", stage.failure_flag);
        if !stage.extra.is_empty() {
            let extra: Vec<String> = stage.extra.iter().map(|a| sh(a)).collect();
            let _ = write!(cmd, " \\\n    {}", extra.join(" "));
        }
        let _ = writeln!(s, "if ! {cmd}; then");
        let _ = writeln!(
            s,
            "    echo \"{}: shard $i/{n} failed (task ${{SLURM_ARRAY_JOB_ID}}_${{i}}, log $log)\" >&2",
            stage.name
        );
        let _ = writeln!(s, "    exit 1");
        let _ = writeln!(s, "fi");
        s
    }

    /// The merge job of a stage: `dlrn merge`, then the stage's stamp.
    fn merge_script(&self, stage: &Stage) -> String {
        let n = self.cluster.shards;
        let own = [
            ("time", self.cluster.time.clone()),
            ("mem", self.cluster.mem.clone()),
            (
                "output",
                self.logs
                    .join(format!("merge-{}-%j.out", stage.tag()))
                    .display()
                    .to_string(),
            ),
        ];
        let what = format!(
            "join the {n} shards of {} (submitted with --dependency=afterok:<its array job>)",
            stage.name
        );
        let mut s = header(
            self.cluster,
            &what,
            &format!("dlrn-merge-{}", stage.tag()),
            &own,
            self.config,
        );
        let dir = self.shard_dir(stage);
        let _ = write!(
            s,
            "{} merge --out {} --cohort {}",
            shp(self.dlrn),
            shp(&stage.output),
            shp(&stage.cohort)
        );
        for i in 0..n {
            let _ = write!(s, " \\\n    {}", shp(&shard_file(&dir, i, n)));
        }
        s.push('\n');
        let _ = writeln!(
            s,
            "# The stage cache: `xtask paper` now finds {} done.",
            stage.name
        );
        let _ = writeln!(
            s,
            "printf '%s' {} > {}",
            stage.key,
            shp(&self.stamp(&stage.name))
        );
        s
    }

    /// The modelling and report job: `xtask paper` with the merged tables in place.
    fn report_script(&self) -> String {
        let own = [
            ("time", self.cluster.report_time.clone()),
            ("mem", self.cluster.report_mem.clone()),
            ("cpus-per-task", self.cluster.cpus.to_string()),
            (
                "output",
                self.logs.join("report-%j.out").display().to_string(),
            ),
        ];
        let mut s = header(
            self.cluster,
            "models, evaluation and report, after every merge job (--dependency=afterok:<merges>)",
            "dlrn-report",
            &own,
            self.config,
        );
        let _ = writeln!(s, "export DLRN_BIN={}", shp(self.dlrn));
        let _ = writeln!(
            s,
            "{} paper --config {} --out {}",
            shp(self.xtask),
            shp(self.config),
            shp(self.out)
        );
        s
    }
}

fn write_script(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("making {} executable", path.display()))?;
    }
    Ok(())
}

/// `sbatch --parsable [args] script` → the job id.
fn sbatch(args: &[String], script: &Path) -> anyhow::Result<String> {
    let out = Command::new("sbatch")
        .arg("--parsable")
        .args(args)
        .arg(script)
        .output()
        .context("running sbatch (is Slurm installed and on PATH?)")?;
    ensure!(
        out.status.success(),
        "sbatch {} {} failed: {}",
        args.join(" "),
        script.display(),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    let text = String::from_utf8_lossy(&out.stdout);
    // `--parsable` prints `id` or `id;cluster`.
    let id = text.trim().split(';').next().unwrap_or("").to_string();
    ensure!(
        !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()),
        "sbatch {}: unexpected output {:?}",
        script.display(),
        text.trim()
    );
    Ok(id)
}

/// The ids among `ids` that Slurm still has queued or running.
fn still_queued(ids: &[String]) -> anyhow::Result<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let out = Command::new("squeue")
        .args([
            "-h",
            "-o",
            "%i",
            "-t",
            "PD,R,CG,CF,S,RQ",
            "-j",
            &ids.join(","),
        ])
        .output()
        .context("running squeue")?;
    // squeue fails on ids it no longer knows; those are not queued.
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect())
}

/// A finished job's state as `scontrol` still knows it (None once forgotten).
fn job_state(id: &str) -> Option<String> {
    let out = Command::new("scontrol")
        .args(["-o", "show", "job", id])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .find_map(|w| w.strip_prefix("JobState="))
        .map(str::to_string)
}

/// Which shards of a stage are complete (table + shard.json of this N).
fn done_shards(dir: &Path, n: usize) -> Vec<usize> {
    (0..n)
        .filter(|&i| {
            let f = shard_file(dir, i, n);
            f.is_file() && dlrn_cohort::sidecar(&f, "shard.json").is_file()
        })
        .collect()
}

/// Writes the study's scripts under `<out>/work/slurm/` and, unless
/// `dry_run`, submits them; see the module doc.
pub fn run(config: &Path, out: Option<&Path>, dry_run: bool) -> anyhow::Result<()> {
    let plan = Plan::resolve(config, out)?;
    let Plan {
        root,
        config_path,
        cfg,
        out,
        work,
        ..
    } = &plan;
    let cluster = match &cfg.cluster {
        Some(c) => c.clone(),
        None => {
            eprintln!(
                "{}: no [cluster] section, using its defaults (see README, Running on a cluster)",
                config_path.display()
            );
            Cluster::default()
        }
    };
    cluster
        .check()
        .with_context(|| format!("{}: [cluster]", config_path.display()))?;
    std::fs::create_dir_all(work)?;
    let mut runner = Runner::new(work)?;
    runner.note(&format!(
        "dlrn study on Slurm: config {} → {}",
        config_path.display(),
        out.display()
    ));
    let dlrn = build_dlrn(root, cfg.cnn.backend.as_str())?;
    let xtask = std::env::current_exe().context("locating xtask")?;
    let ctx = Ctx {
        cluster: &cluster,
        config: config_path,
        dlrn: &dlrn,
        xtask: &xtask,
        out,
        work,
        slurm: work.join("slurm"),
        logs: work.join("slurm").join("logs"),
    };
    std::fs::create_dir_all(&ctx.logs)
        .with_context(|| format!("creating {}", ctx.logs.display()))?;
    let jobs_path = ctx.slurm.join("jobs.json");
    let previous: Option<Submission> = std::fs::read_to_string(&jobs_path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    if !dry_run && let Some(prev) = &previous {
        let queued = still_queued(&prev.ids())?;
        if !queued.is_empty() {
            bail!(
                "the previous submission is still queued or running (jobs {}): \
                 follow it with `squeue -j {}`, or cancel it with `scancel {}` before resubmitting",
                queued.join(","),
                queued.join(","),
                queued.join(" ")
            );
        }
    }

    // 1. Cohorts: simulated here (quick) when the config asks and they are absent.
    if let Some(sim) = plan.simulate()? {
        let holder = format!("cargo xtask paper --slurm --out {}", out.display());
        crate::cache::simulate_shared(&mut runner, &plan.cohorts_dir, &sim.key, &holder, || {
            run_dlrn(&dlrn, &sim.args)
        })?;
    }
    let cohort_keys = plan.cohort_keys()?;

    // 2. Weights: fine-tuning is one GPU job, then a job that submits the rest.
    let mut weights_arg = plan.initial_weights();
    if let Some(ft) = plan.finetune(&cohort_keys, weights_arg.as_deref())? {
        let fresh = std::fs::read_to_string(ctx.stamp("finetune"))
            .is_ok_and(|s| s.trim() == ft.key)
            && ft.mpk.exists();
        if !fresh {
            return submit_finetune(&ctx, cfg, &ft, dry_run, &jobs_path);
        }
        runner.note("[cached] finetune");
        weights_arg = Some(ft.mpk);
    }
    let weights = plan.weights(weights_arg)?;

    // 3. The extraction stages, keyed as `xtask paper` keys them.
    std::fs::create_dir_all(plan.features_dir())?;
    let readers = plan.icc_readers()?;
    let gpu_backend = matches!(cfg.cnn.backend.as_str(), "cuda" | "wgpu");
    let stages: Vec<Stage> = plan
        .extractions(&cohort_keys, &readers, &weights)
        .into_iter()
        .map(|e| Stage {
            name: e.name,
            kind: e.kind,
            key: e.key,
            output: e.output,
            cohort: e.cohort,
            masks: e.masks,
            failure_flag: e.failure_flag,
            extra: e.extra,
            gpu: e.kind == "deep" && gpu_backend,
        })
        .collect();

    // 4. Scripts, and which shards each stage still needs.
    let n = cluster.shards;
    let mut plan: Vec<(&Stage, Vec<usize>)> = Vec::new();
    let mut submit_sh = String::from(
        "#!/bin/bash\n# Submits the study's jobs by hand, in order, with their dependencies\n\
         # (what `cargo xtask paper --slurm` does; written by --dry-run too).\nset -euo pipefail\n",
    );
    let mut merge_vars = Vec::new();
    for stage in &stages {
        let tag = stage.tag();
        let array_path = ctx.slurm.join(format!("{tag}.sbatch"));
        let merge_path = ctx.slurm.join(format!("{tag}.merge.sbatch"));
        write_script(&array_path, &ctx.array_script(stage))?;
        write_script(&merge_path, &ctx.merge_script(stage))?;
        let var = tag.replace(['-', '.'], "_");
        let _ = writeln!(
            submit_sh,
            "{var}=$(sbatch --parsable {})\n{var}_merge=$(sbatch --parsable --dependency=afterok:${{{var}%%;*}} --kill-on-invalid-dep=yes {})",
            shp(&array_path),
            shp(&merge_path)
        );
        merge_vars.push(format!("${{{var}_merge%%;*}}"));

        let stamp_ok = std::fs::read_to_string(ctx.stamp(&stage.name))
            .is_ok_and(|s| s.trim() == stage.key)
            && stage.output.exists();
        if stamp_ok {
            runner.note(&format!("[cached] {}", stage.name));
            continue;
        }
        // Shards belong to a key: those of other inputs or settings are removed.
        let dir = ctx.shard_dir(stage);
        let key_file = dir.join("key");
        let same_key = std::fs::read_to_string(&key_file).is_ok_and(|s| s.trim() == stage.key);
        if !same_key && dir.exists() && !dry_run {
            std::fs::remove_dir_all(&dir)
                .with_context(|| format!("removing the stale {}", dir.display()))?;
        }
        if !dir.exists() {
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            std::fs::write(&key_file, &stage.key)
                .with_context(|| format!("writing {}", key_file.display()))?;
        }
        let done = if same_key {
            done_shards(&dir, n)
        } else {
            Vec::new()
        };
        let missing: Vec<usize> = (0..n).filter(|i| !done.contains(i)).collect();
        if let Some(prev) = previous.as_ref().and_then(|p| p.stages.get(&stage.name)) {
            if let Some(job) = &prev.array {
                for &i in missing.iter().filter(|i| prev.tasks.contains(*i)) {
                    let state = job_state(&format!("{job}_{i}"))
                        .map(|s| format!(", {s}"))
                        .unwrap_or_default();
                    runner.note(&format!(
                        "[failed] {}: shard {i}/{n} did not finish (task {job}_{i}{state}); log {}",
                        stage.name,
                        ctx.task_log(stage, job, i).display()
                    ));
                }
            }
            // Every shard there but no merged table: the merge itself failed.
            if missing.is_empty() {
                let job = &prev.merge;
                runner.note(&format!(
                    "[failed] {}: merge job {job} did not finish; log {}",
                    stage.name,
                    ctx.logs
                        .join(format!("merge-{}-{job}.out", stage.tag()))
                        .display()
                ));
            }
        }
        plan.push((stage, missing));
    }
    if plan.is_empty()
        && let Some(job) = previous.as_ref().and_then(|p| p.report.as_ref())
        && !out.join("index.html").exists()
    {
        runner.note(&format!(
            "[failed] report job {job} did not finish; log {}",
            ctx.logs.join(format!("report-{job}.out")).display()
        ));
    }
    let report_path = ctx.slurm.join("report.sbatch");
    write_script(&report_path, &ctx.report_script())?;
    let _ = writeln!(
        submit_sh,
        "report=$(sbatch --parsable --dependency=afterok:{} --kill-on-invalid-dep=yes {})\necho \"report job: ${{report%%;*}}; follow with squeue -u \\\"$USER\\\"\"",
        merge_vars.join(":"),
        shp(&report_path)
    );
    let submit_path = ctx.slurm.join("submit.sh");
    write_script(&submit_path, &submit_sh)?;

    if dry_run {
        runner.note(&format!(
            "[dry-run] scripts in {} ({} array jobs of {n} shards, {} merge jobs, 1 report job); \
             submit them with {}",
            ctx.slurm.display(),
            stages.len(),
            stages.len(),
            submit_path.display()
        ));
        for (stage, missing) in &plan {
            runner.note(&format!(
                "          {}: shards {} to run",
                stage.name,
                array_spec(missing)
            ));
        }
        return Ok(());
    }

    // 5. Submit: missing shards, merges after them, the report after every merge.
    let mut sub = Submission::default();
    let mut merges = Vec::new();
    for (stage, missing) in &plan {
        let tag = stage.tag();
        let array = if missing.is_empty() {
            None
        } else {
            Some(sbatch(
                &[format!("--array={}", array_spec(missing))],
                &ctx.slurm.join(format!("{tag}.sbatch")),
            )?)
        };
        let mut args = Vec::new();
        if let Some(a) = &array {
            args.push(format!("--dependency=afterok:{a}"));
            args.push("--kill-on-invalid-dep=yes".into());
        }
        let merge = sbatch(&args, &ctx.slurm.join(format!("{tag}.merge.sbatch")))?;
        runner.note(&format!(
            "[submit] {}: {} merge job {merge}",
            stage.name,
            match &array {
                Some(a) => format!("array job {a} (shards {}),", array_spec(missing)),
                None => "every shard already done,".into(),
            }
        ));
        merges.push(merge.clone());
        sub.stages.insert(
            stage.name.clone(),
            StageJobs {
                array,
                tasks: missing.clone(),
                merge,
            },
        );
    }
    let mut args = Vec::new();
    if !merges.is_empty() {
        args.push(format!("--dependency=afterok:{}", merges.join(":")));
        args.push("--kill-on-invalid-dep=yes".into());
    }
    let report = sbatch(&args, &report_path)?;
    sub.report = Some(report.clone());
    std::fs::write(&jobs_path, serde_json::to_string_pretty(&sub)? + "\n")
        .with_context(|| format!("writing {}", jobs_path.display()))?;
    let ids = sub.ids().join(",");
    runner.note(&format!(
        "[submit] report job {report}; the report lands in {}\n\
         follow:  squeue -j {ids}\n\
         history: sacct -j {ids}   (where accounting is enabled)\n\
         logs:    {}\n\
         a failed shard: rerun `cargo xtask paper --config {} --slurm`; only missing shards run again",
        out.display(),
        ctx.logs.display(),
        config_path.display()
    ));
    Ok(())
}

/// Submits the fine-tuning job (GPU gres) and, after it, a job that runs
/// `xtask paper --slurm` again to submit the extraction with the new weights.
fn submit_finetune(
    ctx: &Ctx,
    cfg: &Config,
    ft: &Finetune,
    dry_run: bool,
    jobs_path: &Path,
) -> anyhow::Result<()> {
    let (key, mpk, init, val_args) = (&ft.key, &ft.mpk, &ft.init, &ft.val_args);
    let cnn = ctx.work.join("cnn");
    std::fs::create_dir_all(&cnn).with_context(|| format!("creating {}", cnn.display()))?;
    let mut own = vec![
        ("time", ctx.cluster.finetune_time.clone()),
        ("mem", ctx.cluster.report_mem.clone()),
        ("cpus-per-task", ctx.cluster.cpus.to_string()),
    ];
    if let Some(g) = &ctx.cluster.gres {
        own.push(("gres", g.clone()));
    }
    own.push((
        "output",
        ctx.logs.join("finetune-%j.out").display().to_string(),
    ));
    let mut s = header(
        ctx.cluster,
        "fine-tune ResNet50 on the training cohort",
        "dlrn-finetune",
        &own,
        ctx.config,
    );
    let _ = write!(
        s,
        "{} finetune --cohort {} {} --out {} \\\n    --epochs {} --batch {} --seed {} --checkpoint {} --backend {}",
        shp(ctx.dlrn),
        shp(&ft.cohort),
        val_args.iter().map(|a| sh(a)).collect::<Vec<_>>().join(" "),
        shp(mpk),
        cfg.cnn.finetune_epochs,
        cfg.cnn.finetune_batch,
        cfg.cnn.seed,
        shp(&ft.checkpoint),
        sh(cfg.cnn.backend.as_str())
    );
    if let Some(w) = init {
        let _ = write!(s, " --init {}", shp(w));
    }
    s.push('\n');
    let _ = writeln!(s, "printf '%s' {key} > {}", shp(&ctx.stamp("finetune")));
    let ft_path = ctx.slurm.join("finetune.sbatch");
    write_script(&ft_path, &s)?;
    let own = [
        ("time", "00:30:00".to_string()),
        ("mem", "1G".to_string()),
        (
            "output",
            ctx.logs.join("submit-%j.out").display().to_string(),
        ),
    ];
    let mut s = header(
        ctx.cluster,
        "submit the extraction after fine-tuning (--dependency=afterok:<finetune>)",
        "dlrn-submit",
        &own,
        ctx.config,
    );
    let _ = writeln!(s, "export DLRN_BIN={}", shp(ctx.dlrn));
    let _ = writeln!(
        s,
        "{} paper --config {} --out {} --slurm",
        shp(ctx.xtask),
        shp(ctx.config),
        shp(ctx.out)
    );
    let next_path = ctx.slurm.join("after-finetune.sbatch");
    write_script(&next_path, &s)?;
    if dry_run {
        eprintln!(
            "[dry-run] fine-tuning comes first: {} then {} (--dependency=afterok); \
             the extraction scripts are written once the weights exist",
            ft_path.display(),
            next_path.display()
        );
        return Ok(());
    }
    let ft = sbatch(&[], &ft_path)?;
    let next = sbatch(
        &[
            format!("--dependency=afterok:{ft}"),
            "--kill-on-invalid-dep=yes".into(),
        ],
        &next_path,
    )?;
    let sub = Submission {
        finetune: Some((ft.clone(), next.clone())),
        ..Default::default()
    };
    std::fs::write(jobs_path, serde_json::to_string_pretty(&sub)? + "\n")
        .with_context(|| format!("writing {}", jobs_path.display()))?;
    eprintln!(
        "[submit] finetune job {ft}, then job {next} submits the extraction\n\
         follow:  squeue -j {ft},{next}\nlogs:    {}",
        ctx.logs.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_specs_group_runs() {
        assert_eq!(array_spec(&[0, 1, 2, 3]), "0-3");
        assert_eq!(array_spec(&[2]), "2");
        assert_eq!(array_spec(&[0, 2, 3, 5]), "0,2-3,5");
    }

    /// The fine-tuning job of `cnn.finetune_val = "internal"` validates on
    /// the training cohort's split (`--val-fraction`), no EVC.
    #[test]
    fn finetune_script_passes_the_internal_split() {
        let text = std::fs::read_to_string(
            crate::workspace_root().join("configs/quick-slurm.toml"),
        )
        .unwrap()
        .replacen(
            "finetune_epochs = 0",
            "finetune_epochs = 3\nfinetune_val = \"internal\"\nfinetune_val_fraction = 0.25",
            1,
        );
        let cfg: Config = toml::from_str(&text).unwrap();
        let cluster = cfg.cluster.clone().unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let work = tmp.path().join("work");
        let ctx = Ctx {
            cluster: &cluster,
            config: Path::new("/c/quick-slurm.toml"),
            dlrn: Path::new("/bin/dlrn"),
            xtask: Path::new("/bin/xtask"),
            out: tmp.path(),
            work: &work,
            slurm: work.join("slurm"),
            logs: work.join("slurm/logs"),
        };
        std::fs::create_dir_all(&ctx.logs).unwrap();
        let cohorts = Path::new("/data");
        let (val, _) = crate::plan::finetune_val_args(&cfg, cohorts, &BTreeMap::new()).unwrap();
        let ft = Finetune {
            key: "k".into(),
            mpk: work.join("cnn/finetuned.mpk"),
            checkpoint: work.join("cnn/checkpoint"),
            cohort: cohorts.join(&cfg.cohorts.training),
            val_args: val,
            init: None,
            args: Vec::new(),
        };
        submit_finetune(&ctx, &cfg, &ft, true, &work.join("jobs.json")).unwrap();
        let script = std::fs::read_to_string(ctx.slurm.join("finetune.sbatch")).unwrap();
        assert!(
            script.contains("finetune --cohort /data/TC --val-fraction 0.25 --out"),
            "{script}"
        );
        assert!(!script.contains("--val /"), "{script}");
    }

    /// Every shard task, deep as handcrafted, says what a failed case does
    /// as `paper` does: `--strict`, or `--keep-going` with `[extract] allow_partial`.
    #[test]
    fn shard_tasks_carry_the_failure_flag() {
        let text =
            std::fs::read_to_string(crate::workspace_root().join("configs/quick-slurm.toml"))
                .unwrap();
        let cfg: Config = toml::from_str(&text).unwrap();
        let cluster = cfg.cluster.clone().unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let work = tmp.path().join("work");
        let ctx = Ctx {
            cluster: &cluster,
            config: Path::new("/c/quick-slurm.toml"),
            dlrn: Path::new("/bin/dlrn"),
            xtask: Path::new("/bin/xtask"),
            out: tmp.path(),
            work: &work,
            slurm: work.join("slurm"),
            logs: work.join("slurm/logs"),
        };
        for kind in ["handcrafted", "deep"] {
            for flag in ["--strict", "--keep-going"] {
                let stage = Stage {
                    name: format!("{kind}/TC"),
                    kind,
                    key: "k".into(),
                    output: work.join("features/TC.parquet"),
                    cohort: PathBuf::from("/data/TC"),
                    masks: "masks".into(),
                    failure_flag: flag,
                    extra: vec!["--seed".into(), "1".into()],
                    gpu: false,
                };
                let script = ctx.array_script(&stage);
                assert!(
                    script.contains(&format!("--shard \"$i/{}\" {flag} \\\n", cluster.shards)),
                    "{kind} {flag}:\n{script}"
                );
            }
        }
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(sh("/a/b.parquet"), "/a/b.parquet");
        assert_eq!(sh("a b"), "'a b'");
        assert_eq!(sh("it's"), r"'it'\''s'");
    }
}
