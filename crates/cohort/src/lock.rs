//! An advisory lock on a shared cohort folder (`.<name>.lock` beside the
//! folder `<name>`, so the folder's own files stay the writer's), so two
//! runs that share one (a study still running and a second run of the same
//! config, say) never rewrite it under each other: a writer (a simulation
//! into the folder) takes it exclusively, readers (the runs that extract
//! from it) share it; a writer that finds it held is refused with the
//! holders named, and nothing is deleted. The lock is the operating
//! system's (`flock`), so a killed run never leaves it held.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::CohortError;

/// The lock file of a folder: `.<name>.lock` beside it.
pub fn lock_path(dir: &Path) -> PathBuf {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "cohorts".into());
    dir.with_file_name(format!(".{name}.lock"))
}

/// A held lock on a folder; released when dropped.
#[derive(Debug)]
pub struct FolderLock {
    file: File,
    path: PathBuf,
}

/// Why a lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another run holds the folder.
    #[error(
        "{dir} is in use by another run ({holders}); it is not rewritten while that run reads \
         it: wait for it to finish, or give this run another cohort folder"
    )]
    Busy {
        /// The folder.
        dir: PathBuf,
        /// The runs recorded in the lock file, most recent last.
        holders: String,
    },
    /// The lock file could not be opened or locked.
    #[error(transparent)]
    Io(#[from] CohortError),
}

impl FolderLock {
    /// Takes `dir`'s lock exclusively for `holder` (a line naming the run:
    /// command, output folder, process id), refusing while any other run
    /// holds it, shared or not.
    pub fn write(dir: &Path, holder: &str) -> Result<Self, LockError> {
        Self::take(dir, holder, true)
    }

    /// Takes `dir`'s lock shared with other readers for `holder`, refusing
    /// while a writer holds it.
    pub fn read(dir: &Path, holder: &str) -> Result<Self, LockError> {
        Self::take(dir, holder, false)
    }

    fn take(dir: &Path, holder: &str, exclusive: bool) -> Result<Self, LockError> {
        let path = lock_path(dir);
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| CohortError::io(parent, e))?;
        }
        let io = |e| CohortError::io(&path, e);
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(io)?;
        let taken = if exclusive {
            file.try_lock()
        } else {
            file.try_lock_shared()
        };
        match taken {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                file.seek(SeekFrom::Start(0)).map_err(io)?;
                file.read_to_string(&mut text).map_err(io)?;
                let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
                let holders = if lines.is_empty() {
                    "unnamed".to_string()
                } else {
                    lines[lines.len().saturating_sub(4)..].join("; ")
                };
                return Err(LockError::Busy {
                    dir: dir.to_path_buf(),
                    holders,
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e).into()),
        }
        if exclusive {
            // The only holder: the file names this run alone.
            file.set_len(0).map_err(io)?;
        }
        let mode = if exclusive { "writing" } else { "reading" };
        writeln!(file, "{holder} ({mode}, pid {})", std::process::id()).map_err(io)?;
        Ok(FolderLock { file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Turns an exclusive lock into a shared one (the simulation done, the
    /// run goes on reading), letting other readers in.
    pub fn share(self) -> Result<Self, LockError> {
        let io = |e| CohortError::io(&self.path, e);
        self.file.lock_shared().map_err(io)?;
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Readers share; a writer is refused while one reads, naming it, and
    /// gets the lock once every reader is gone.
    #[test]
    fn writers_wait_for_readers() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("sim");
        let a = FolderLock::read(&dir, "run A").unwrap();
        assert_eq!(a.path(), tmp.path().join(".sim.lock"));
        assert!(!dir.exists(), "the folder itself is left to the writer");
        let b = FolderLock::read(&dir, "run B").unwrap();
        let err = FolderLock::write(&dir, "run C").unwrap_err().to_string();
        assert!(
            err.contains("in use by another run") && err.contains("run A") && err.contains("run B"),
            "{err}"
        );
        drop(a);
        assert!(FolderLock::write(&dir, "run C").is_err());
        drop(b);
        let c = FolderLock::write(&dir, "run C").unwrap();
        let err = FolderLock::read(&dir, "run D").unwrap_err().to_string();
        assert!(err.contains("run C (writing"), "{err}");
        let c = c.share().unwrap();
        let _d = FolderLock::read(&dir, "run D").unwrap();
        drop(c);
    }
}
