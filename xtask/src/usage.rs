//! CPU time and peak resident memory of the study's stages, for timings.json
//! and `cargo xtask bench scale`.
//!
//! A stage's CPU time is the growth of `getrusage(RUSAGE_SELF)` plus
//! `getrusage(RUSAGE_CHILDREN)` (user + system) over the stage: the threads of
//! the in-process stages and every `dlrn` child it waited for. Its peak
//! memory is the larger of this process's high-water mark (`VmHWM`, reset at
//! the stage's start through `/proc/self/clear_refs`) and the largest
//! `ru_maxrss` of the children it ran, each read by `wait4` for that child
//! alone. Where the platform offers none of these (not Linux), the figures are
//! absent, never guessed.

use std::cell::Cell;
use std::process::{Command, ExitStatus};

thread_local! {
    /// The largest peak resident set (KiB) of the children this thread
    /// waited for since its last [`Mark::new`] (stages run their children on
    /// the thread that marks them).
    static CHILD_PEAK_KIB: Cell<u64> = const { Cell::new(0) };
}

/// Resource use at a point in time, to subtract from a later one.
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    cpu_seconds: Option<f64>,
}

/// A stage's resource use between two marks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StageUsage {
    /// User + system CPU seconds of this process and its waited children.
    pub cpu_seconds: Option<f64>,
    /// Peak resident memory in MiB of this process or any child it ran.
    pub peak_rss_mib: Option<f64>,
}

impl Mark {
    /// Starts a stage: reads the CPU clocks and resets both peak trackers.
    pub fn new() -> Mark {
        CHILD_PEAK_KIB.set(0);
        reset_own_peak();
        Mark {
            cpu_seconds: cpu_seconds(),
        }
    }

    /// The use since this mark.
    pub fn usage(&self) -> StageUsage {
        let cpu = match (self.cpu_seconds, cpu_seconds()) {
            (Some(a), Some(b)) => Some((b - a).max(0.0)),
            _ => None,
        };
        let own = own_peak_kib();
        let child = CHILD_PEAK_KIB.get();
        let peak = own.map(|o| o.max(child)).or((child > 0).then_some(child));
        StageUsage {
            cpu_seconds: cpu,
            peak_rss_mib: peak.map(|k| k as f64 / 1024.0),
        }
    }
}

/// Runs `cmd` to completion, recording the child's own peak memory for the
/// current stage (see [`Mark`]).
pub fn status(cmd: &mut Command) -> std::io::Result<ExitStatus> {
    let child = cmd.spawn()?;
    wait(child)
}

#[cfg(target_os = "linux")]
fn wait(child: std::process::Child) -> std::io::Result<ExitStatus> {
    use std::os::unix::process::ExitStatusExt;
    let pid = child.id() as libc::pid_t;
    let mut raw = 0;
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our own unwaited child; both pointers are to live
        // locals of the right types.
        let r = unsafe { libc::wait4(pid, &mut raw, 0, &mut usage) };
        if r == pid {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    // ru_maxrss is in KiB on Linux.
    let kib = u64::try_from(usage.ru_maxrss).unwrap_or(0);
    CHILD_PEAK_KIB.set(CHILD_PEAK_KIB.get().max(kib));
    // The child was reaped above; `Child` has no Drop that waits or kills.
    drop(child);
    Ok(ExitStatus::from_raw(raw))
}

#[cfg(not(target_os = "linux"))]
fn wait(mut child: std::process::Child) -> std::io::Result<ExitStatus> {
    child.wait()
}

#[cfg(target_os = "linux")]
fn cpu_seconds() -> Option<f64> {
    fn of(who: libc::c_int) -> Option<f64> {
        // SAFETY: an all-zero rusage is a valid value of this plain C struct.
        let mut u: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `u` is a live local of the right type.
        if unsafe { libc::getrusage(who, &mut u) } != 0 {
            return None;
        }
        let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 * 1e-6;
        Some(t(u.ru_utime) + t(u.ru_stime))
    }
    Some(of(libc::RUSAGE_SELF)? + of(libc::RUSAGE_CHILDREN)?)
}

#[cfg(not(target_os = "linux"))]
fn cpu_seconds() -> Option<f64> {
    None
}

/// Resets this process's `VmHWM` to its current resident set (Linux ≥ 4.0).
fn reset_own_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// This process's `VmHWM` in KiB.
fn own_peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn a_child_that_touches_memory_raises_the_stage_peak() {
        // A child that touches 300 MiB: its own maxrss, read by wait4 for
        // that child, must exceed 250 MiB, far above this test process's
        // resident set. (python3 is needed by the checks CI runs anyway.)
        let mark = Mark::new();
        let st = status(Command::new("python3").args([
            "-c",
            "b = bytearray(300 * 1024 * 1024)\nfor i in range(0, len(b), 4096): b[i] = 1",
        ]))
        .expect("python3 runs");
        assert!(st.success());
        let u = mark.usage();
        let peak = u.peak_rss_mib.expect("Linux reports peaks");
        assert!(peak > 250.0, "peak {peak} MiB");
        assert!(u.cpu_seconds.expect("Linux reports CPU") > 0.0);
    }

    #[test]
    #[cfg(unix)]
    fn exit_codes_pass_through() {
        let st = status(Command::new("sh").args(["-c", "exit 3"])).expect("sh runs");
        assert_eq!(st.code(), Some(3));
    }
}
