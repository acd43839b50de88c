//! The guide (docs/guide/) is tested: every ```sh block of its chapters runs
//! on the quick study, in order, in a temporary folder, and every number the
//! text quotes through a value marker matches the report it came from.
//!
//! Conventions the chapters follow (docs/guide/README.md states them too):
//! - a fenced block opened with ```sh is run; the line before it may say
//!   `<!-- guide: not run (REASON) -->` for one that must not be (exercises
//!   that rerun the study, commands that need data the repository cannot ship);
//! - `<!-- value: FILE [KEY=VALUE …] COLUMN -->0.957` quotes the cell COLUMN of
//!   the row of `reports/quick/FILE` (a CSV) whose cells equal every KEY=VALUE,
//!   and the test formats that cell with the quoted number of decimals;
//!   `<!-- value: FILE [KEY=VALUE …] rows -->14` quotes the number of such rows;
//! - figures a block writes under `docs/guide/figures/` must equal the
//!   committed ones byte for byte.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::study::dlrn_bin;
use common::workspace;

/// A ```sh block of a chapter.
struct Block {
    file: String,
    line: usize,
    code: String,
    run: bool,
}

/// A quoted number and where it comes from.
struct Marker {
    file: String,
    line: usize,
    table: String,
    filters: Vec<(String, String)>,
    column: String,
    quoted: String,
}

fn guide_dir() -> PathBuf {
    workspace().join("docs/guide")
}

/// The chapters (every .md of docs/guide/ but README.md), by file name.
fn chapters() -> Vec<(String, String)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(guide_dir())
        .expect("docs/guide/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .filter(|p| p.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            let text = std::fs::read_to_string(&p).expect("a chapter");
            (name, text)
        })
        .collect()
}

fn blocks(file: &str, text: &str) -> Vec<Block> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let open = lines[i].trim_start();
        if open.starts_with("```") {
            let info = open.trim_start_matches('`').trim();
            let start = i;
            let mut code = String::new();
            i += 1;
            while i < lines.len() && !lines[i].trim_start().starts_with("```") {
                code.push_str(lines[i]);
                code.push('\n');
                i += 1;
            }
            assert!(i < lines.len(), "{file}:{}: unclosed code block", start + 1);
            if info.split_whitespace().next() == Some("sh") {
                let before = lines[..start]
                    .iter()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .map(|l| l.trim())
                    .unwrap_or("");
                let skip = before.starts_with("<!-- guide: not run");
                if skip {
                    assert!(
                        before.starts_with("<!-- guide: not run (") && before.ends_with(") -->"),
                        "{file}:{}: a not-run marker needs its reason: <!-- guide: not run (REASON) -->",
                        start
                    );
                }
                out.push(Block {
                    file: file.to_string(),
                    line: start + 1,
                    code,
                    run: !skip,
                });
            }
        }
        i += 1;
    }
    out
}

fn markers(file: &str, text: &str) -> Vec<Marker> {
    const OPEN: &str = "<!-- value:";
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find(OPEN) {
            let after = &rest[at + OPEN.len()..];
            let close = after
                .find("-->")
                .unwrap_or_else(|| panic!("{file}:{}: unclosed value marker", n + 1));
            let spec: Vec<&str> = after[..close].split_whitespace().collect();
            let tail = &after[close + 3..];
            let quoted: String = tail
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '-')
                .collect();
            assert!(
                !quoted.is_empty() && spec.len() >= 2,
                "{file}:{}: a value marker is <!-- value: FILE [KEY=VALUE …] COLUMN -->NUMBER",
                n + 1
            );
            let filters = spec[1..spec.len() - 1]
                .iter()
                .map(|kv| {
                    let (k, v) = kv.split_once('=').unwrap_or_else(|| {
                        panic!("{file}:{}: filter {kv} is not KEY=VALUE", n + 1)
                    });
                    (k.to_string(), v.to_string())
                })
                .collect();
            out.push(Marker {
                file: file.to_string(),
                line: n + 1,
                table: spec[0].to_string(),
                filters,
                column: spec[spec.len() - 1].to_string(),
                quoted,
            });
            rest = tail;
        }
    }
    out
}

/// Local link and image targets of a Markdown text: `](path)` not starting
/// with a scheme or `#`, without its `#anchor`.
fn local_links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("](") {
        let after = &rest[at + 2..];
        let Some(end) = after.find(')') else { break };
        let target = after[..end].split('#').next().unwrap_or("").trim();
        if !target.is_empty() && !target.contains("://") && !target.starts_with("mailto:") {
            out.push(target.to_string());
        }
        rest = &after[end..];
    }
    out
}

/// Fast checks without running anything: every chapter is listed in the
/// guide's README, every local link and figure exists, figures stay small,
/// and every marker and block parses.
#[test]
fn guide_is_well_formed() {
    let dir = guide_dir();
    let readme = std::fs::read_to_string(dir.join("README.md")).expect("docs/guide/README.md");
    let chapters = chapters();
    assert!(chapters.len() >= 8, "the guide has its chapters");
    let mut runnable = 0;
    let mut quoted = 0;
    for (name, text) in
        std::iter::once(("README.md".to_string(), readme.clone())).chain(chapters.clone())
    {
        if name != "README.md" {
            assert!(
                readme.contains(&format!("({name})")),
                "README.md links {name}"
            );
            assert!(
                text.contains("## Try this"),
                "{name} has a \"Try this\" exercise"
            );
        }
        for target in local_links(&text) {
            let path = dir.join(&target);
            assert!(path.exists(), "{name}: link target {target} is missing");
            if target.ends_with(".png") {
                let size = std::fs::metadata(&path).expect("a figure").len();
                assert!(
                    size <= 120_000,
                    "{name}: {target} is {size} bytes (keep figures small)"
                );
            }
        }
        runnable += blocks(&name, &text).iter().filter(|b| b.run).count();
        if name != "README.md" {
            // README.md shows the marker syntax itself, in inline code.
            quoted += markers(&name, &text).len();
        }
    }
    assert!(runnable >= 10, "the chapters have command blocks to run");
    assert!(quoted >= 5, "the chapters quote numbers through markers");
}

/// The shell functions the blocks run with: `dlrn` is the built binary,
/// `cargo xtask …` the built xtask and `cargo run … --example NAME -- …` the
/// built example (no cargo inside `cargo test`: it holds the build lock).
fn preamble(dlrn: &Path, xtask: &Path, examples: &Path) -> String {
    format!(
        r#"set -euo pipefail
export DLRN_BIN='{dlrn}'
dlrn() {{ "$DLRN_BIN" "$@"; }}
cargo() {{
  case "${{1:-}}" in
    xtask) shift; '{xtask}' "$@" ;;
    run)
      shift
      local ex=""
      while [ $# -gt 0 ]; do
        case "$1" in --example) ex="$2"; shift 2 ;; --) shift; break ;; *) shift ;; esac
      done
      local bin='{examples}'/"$ex"
      if [ ! -x "$bin" ]; then
        echo "$bin is not built: cargo build -p dlrn-radiomics --example $ex (cargo test --workspace builds it)" >&2
        return 2
      fi
      "$bin" "$@" ;;
    *) echo "the guide test runs only cargo xtask and cargo run --example, not: cargo $*" >&2; return 2 ;;
  esac
}}
"#,
        dlrn = dlrn.display(),
        xtask = xtask.display(),
        examples = examples.display(),
    )
}

fn read_table(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_path(path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let header: Vec<String> = reader
        .headers()
        .expect("a header")
        .iter()
        .map(str::to_string)
        .collect();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            header
                .iter()
                .cloned()
                .zip(r.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

/// What a marker's source gives, formatted as the text quotes it.
fn actual(report: &Path, m: &Marker) -> String {
    let rows = read_table(&report.join(&m.table));
    let matching: Vec<&BTreeMap<String, String>> = rows
        .iter()
        .filter(|r| m.filters.iter().all(|(k, v)| r.get(k) == Some(v)))
        .collect();
    if m.column == "rows" {
        return matching.len().to_string();
    }
    assert_eq!(
        matching.len(),
        1,
        "{}:{}: {} rows of {} match the marker's filters",
        m.file,
        m.line,
        matching.len(),
        m.table
    );
    let cell = matching[0].get(&m.column).unwrap_or_else(|| {
        panic!(
            "{}:{}: {} has no column {}",
            m.file, m.line, m.table, m.column
        )
    });
    let value: f64 = cell
        .parse()
        .unwrap_or_else(|_| panic!("{}:{}: {} is not a number", m.file, m.line, cell));
    let decimals = m.quoted.split_once('.').map_or(0, |(_, d)| d.len());
    format!("{value:.decimals$}")
}

#[test]
#[ignore = "runs the quick study (~3 min)"]
fn guide_commands_run_and_quoted_numbers_match() {
    let root = workspace();
    let dlrn = dlrn_bin();
    let xtask = PathBuf::from(env!("CARGO_BIN_EXE_xtask"));
    let examples = xtask.parent().expect("target/debug").join("examples");
    let tmp = tempfile::tempdir().expect("a temporary folder");
    for shared in ["configs", "data"] {
        std::os::unix::fs::symlink(root.join(shared), tmp.path().join(shared))
            .expect("linking the workspace's folders");
    }
    std::fs::create_dir_all(tmp.path().join("docs/guide/figures")).expect("a figures folder");
    let pre = preamble(&dlrn, &xtask, &examples);

    let chapters = chapters();
    let started = Instant::now();
    for (name, text) in &chapters {
        for b in blocks(name, text).into_iter().filter(|b| b.run) {
            let t = Instant::now();
            let out = Command::new("bash")
                .arg("-c")
                .arg(format!("{pre}{}", b.code))
                .current_dir(tmp.path())
                .output()
                .expect("running bash");
            eprintln!("{}:{}: {:.1} s", b.file, b.line, t.elapsed().as_secs_f64());
            assert!(
                out.status.success(),
                "{}:{}: the block failed ({}):\n{}\n--- stdout\n{}\n--- stderr\n{}",
                b.file,
                b.line,
                out.status,
                b.code,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    eprintln!("every block: {:.1} s", started.elapsed().as_secs_f64());

    let report = tmp.path().join("reports/quick");
    let mut wrong = Vec::new();
    for (name, text) in &chapters {
        for m in markers(name, text) {
            let got = actual(&report, &m);
            if got != m.quoted {
                wrong.push(format!(
                    "{}:{}: quotes {} but {} gives {got}",
                    m.file, m.line, m.quoted, m.table
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "quoted numbers out of date:\n{}",
        wrong.join("\n")
    );

    // Figures the blocks regenerate equal the committed ones.
    let made = tmp.path().join("docs/guide/figures");
    for entry in std::fs::read_dir(&made).expect("the figures folder") {
        let path = entry.expect("an entry").path();
        let name = path
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .to_string();
        let committed = guide_dir().join("figures").join(&name);
        let (a, b) = (
            std::fs::read(&path).expect("the new figure"),
            std::fs::read(&committed)
                .unwrap_or_else(|_| panic!("docs/guide/figures/{name} is not committed")),
        );
        assert!(
            a == b,
            "docs/guide/figures/{name} differs from what its command makes"
        );
    }
}
