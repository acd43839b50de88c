//! The tiny simulated study the `cargo xtask paper` tests run, and how they
//! run it: the config, the binaries, a successful run, a run in its own
//! process group (to be killed with everything it started).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::workspace;

/// Report files documented to differ between two runs of the same study
/// (wall times): compared by name only.
pub const VARYING: &[&str] = &["timings.json"];

/// The `dlrn` binary next to xtask's (`cargo test --workspace` builds it;
/// `cargo build -p dlrn` otherwise).
pub fn dlrn_bin() -> PathBuf {
    let xtask = PathBuf::from(env!("CARGO_BIN_EXE_xtask"));
    let bin = xtask.with_file_name(format!("dlrn{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "{} is missing: run `cargo build -p dlrn` (or `cargo test --workspace`) first",
        bin.display()
    );
    bin
}

/// configs/quick.toml at a tenth of the paper's sizes (TC 62 patients, the
/// ICC re-outlines of 60, EVCs of 10–11) with the clinical model fixed to
/// four candidate factors kept whatever their p (a study this small cannot be
/// expected to pass the screen), and a weaker signal than the defaults
/// (aggressiveness 2, clinical effects ×2): at full strength 62 patients are
/// perfectly separated and no logistic DLRN exists. The cohorts go to
/// `dir/sim`, the config to `dir/tiny.toml`.
pub fn tiny_config(dir: &Path) -> PathBuf {
    tiny_config_with(dir, &TINY_CANDIDATES, &[])
}

/// The clinical candidates of the tiny study.
pub const TINY_CANDIDATES: [&str; 4] = ["age", "birads", "nuclear_grade", "us_aln"];

/// As [`tiny_config`], with other clinical candidates and `(key, line)`
/// replacements of whole config lines (`key` is the text before `=`; they
/// win over the tiny study's own changes, e.g. `("screen_p", "screen_p = 0.05")`).
pub fn tiny_config_with(dir: &Path, candidates: &[&str], lines: &[(&str, &str)]) -> PathBuf {
    write_tiny_config(dir, 0.1, candidates, lines)
}

/// As [`tiny_config`] at `scale` of the paper's sizes instead of a tenth.
pub fn tiny_config_scaled(dir: &Path, scale: f64) -> PathBuf {
    write_tiny_config(dir, scale, &TINY_CANDIDATES, &[])
}

/// Writes the tiny study's params.json and config (see [`tiny_config_with`]).
fn write_tiny_config(
    dir: &Path,
    scale: f64,
    candidates: &[&str],
    lines: &[(&str, &str)],
) -> PathBuf {
    let mut params = dlrn_simulate::SimParams::default();
    params.outcome.aggressiveness = 2.0;
    params.outcome.clinical_effect_scale = 2.0;
    let params_path = dir.join("params.json");
    std::fs::write(
        &params_path,
        serde_json::to_string(&params).expect("params as JSON"),
    )
    .expect("writing params");
    let quick = std::fs::read_to_string(workspace().join("configs/quick.toml"))
        .expect("configs/quick.toml");
    let mut text = String::new();
    let mut in_candidates = false;
    for line in quick.lines() {
        let key = line.split('=').next().unwrap_or("").trim();
        if in_candidates {
            in_candidates = !line.trim_end().ends_with(']');
            continue;
        }
        if let Some((_, replacement)) = lines.iter().find(|(k, _)| *k == key) {
            text.push_str(replacement);
            text.push('\n');
            continue;
        }
        let line = match key {
            "dir" => format!("dir = {:?}", dir.join("sim").display().to_string()),
            "scale" => format!(
                "scale = {scale}\nparams = {:?}",
                params_path.display().to_string()
            ),
            "folds" => "folds = 5".to_string(),
            // Maximum likelihood as the paper (quick.toml fits by Firth).
            "fit" => "fit = \"glm\"".to_string(),
            "screen_p" => "screen_p = 1.0".to_string(),
            "keep_p" => "keep_p = 1.0".to_string(),
            "hl_groups" => "hl_groups = 8".to_string(),
            "candidates" => {
                in_candidates = !line.trim_end().ends_with(']');
                format!("candidates = {candidates:?}")
            }
            _ => line.to_string(),
        };
        text.push_str(&line);
        text.push('\n');
    }
    let path = dir.join("tiny.toml");
    std::fs::write(&path, text).expect("writing the config");
    path
}

/// `cargo xtask paper --config <config> --out <out>` with `DLRN_BIN` set.
pub fn paper_command(config: &Path, out: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.args(["paper", "--config"])
        .arg(config)
        .arg("--out")
        .arg(out)
        .env("DLRN_BIN", dlrn_bin());
    cmd
}

/// Runs `cargo xtask paper`, asserting success; returns its stderr (the run log).
pub fn run_paper(config: &Path, out: &Path) -> String {
    run_paper_with(config, out, &[])
}

/// As [`run_paper`], with `extra` arguments (e.g. `--slurm --dry-run`).
pub fn run_paper_with(config: &Path, out: &Path, extra: &[&str]) -> String {
    let output = paper_command(config, out)
        .args(extra)
        .output()
        .expect("running the xtask binary");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "xtask paper {extra:?} failed:\n{stderr}"
    );
    stderr
}

/// Starts `cargo xtask paper` as the leader of a new process group (so the
/// `dlrn` processes it starts can be killed with it), its stderr to `log`.
pub fn spawn_paper_group(config: &Path, out: &Path, log: &Path) -> Child {
    use std::os::unix::process::CommandExt;
    let file = std::fs::File::create(log).expect("creating the log file");
    paper_command(config, out)
        .stdout(Stdio::null())
        .stderr(Stdio::from(file))
        .process_group(0)
        .spawn()
        .expect("starting the xtask binary")
}

/// SIGKILLs every process of `child`'s process group (it leads one: see
/// [`spawn_paper_group`]) and reaps the child.
pub fn kill_group(child: &mut Child) {
    let pgid = child.id();
    let st = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .status()
        .expect("running kill");
    assert!(st.success(), "kill -KILL -{pgid} failed");
    child.wait().expect("reaping the killed run");
}
