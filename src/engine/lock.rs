//! One writer per state store. Every command that can change the tenant or the store
//! (migrate, sync, the TUI, rollout, federation, checklist) holds an OS-level lock on
//! `state.lock` in the state dir for as long as it runs; a second writer is refused at
//! once with who holds it. Read-only commands (plan, status, audit, journal) open the
//! store without the lock and still work.
//!
//! The lock is `flock`-style (`File::try_lock`): the OS drops it when the holder exits,
//! even on SIGKILL, so a crash never leaves a stale lock behind. The file's content is
//! only the holder's description for the refusal message; the lock is what counts.
//! Taking it is the first thing a writer does in the state dir, so two processes
//! starting together on an empty dir give one writer and one refusal, with nothing
//! created half-way by the loser.

use std::fs::{File, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

/// The lock file inside the state dir.
pub const LOCK_FILE: &str = "state.lock";

/// Who holds a state store: shown to the process that was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub pid: u32,
    pub host: String,
    /// The command line's subcommand (`migrate`, `sync`, `tui`, …).
    pub command: String,
    pub started_at: DateTime<Utc>,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pid {} on {} (`{}`, started {})",
            self.pid,
            crate::safe_text::Safe(&self.host),
            crate::safe_text::Safe(&self.command),
            self.started_at.to_rfc3339_opts(SecondsFormat::Secs, true)
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "the state store in {dir} is in use by another mfa-cutover: {}; one process writes a \
         state store at a time. Wait for it to finish or stop it; read-only commands (plan, \
         status, audit, journal, inspect) still work meanwhile",
        holder.as_ref().map_or_else(|| "a process that has not said who it is yet".to_string(), |h| h.to_string())
    )]
    Held {
        dir: PathBuf,
        holder: Option<Holder>,
    },
    #[error("state store lock {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The state dir or the lock file is a link, not private, or not a regular file.
    #[error("state store lock: {0}")]
    File(#[from] crate::fsx::FsError),
}

/// The lock, held until dropped (or the process ends).
#[derive(Debug)]
pub struct StateLock {
    // Held for its lock; closing it releases the lock.
    _file: File,
    path: PathBuf,
    holder: Holder,
}

/// This machine's name, for the holder line.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "this machine".to_string())
}

impl StateLock {
    /// Take the lock on `dir` (created 0700 if missing) for `command`, or say who holds it.
    pub fn acquire(dir: &Path, command: &str, now: DateTime<Utc>) -> Result<StateLock, LockError> {
        crate::fsx::private_dir(dir)?;
        let path = dir.join(LOCK_FILE);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        let mut file = crate::fsx::open_in_place(&path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.take(64 * 1024).read_to_string(&mut text);
                return Err(LockError::Held {
                    dir: dir.to_path_buf(),
                    holder: serde_json::from_str(&text).ok(),
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        let holder = Holder {
            pid: std::process::id(),
            host: host_name(),
            command: command.to_string(),
            started_at: now,
        };
        let text = serde_json::to_string(&holder).unwrap_or_default();
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        file.write_all(text.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok(StateLock {
            _file: file,
            path,
            holder,
        })
    }

    pub fn holder(&self) -> &Holder {
        &self.holder
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_told_who_holds_the_store() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let state = dir.path().join("state");
        let now = Utc::now();
        let first = StateLock::acquire(&state, "migrate", now)?;
        let err = StateLock::acquire(&state, "sync", now)
            .err()
            .ok_or("the second lock was granted")?;
        let LockError::Held { holder, .. } = &err else {
            return Err(format!("{err}").into());
        };
        assert_eq!(holder.as_ref().map(|h| h.pid), Some(std::process::id()));
        let text = err.to_string();
        assert!(text.contains("`migrate`"), "{text}");
        assert!(text.contains("read-only commands"), "{text}");
        drop(first);
        // Released with its holder.
        let again = StateLock::acquire(&state, "sync", now)?;
        assert_eq!(again.holder().command, "sync");
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_lock_file_is_refused() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let elsewhere = tempfile::tempdir()?;
        let target = elsewhere.path().join("elsewhere");
        std::fs::write(&target, b"")?;
        std::os::unix::fs::symlink(&target, dir.path().join(LOCK_FILE))?;
        let err = StateLock::acquire(dir.path(), "migrate", Utc::now())
            .err()
            .ok_or("a symlink was followed")?;
        assert!(err.to_string().contains("symbolic link"), "{err}");
        Ok(())
    }
}
