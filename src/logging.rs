//! Logs go to a file in the state dir (never to the TUI's screen); `-v` adds stderr for
//! headless commands. Secrets never reach a log line: the types that hold them print
//! masked, and the Graph client logs no header or body.

use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::fmt::writer::MakeWriterExt;
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// The log files: one per day (`mfa-cutover.2026-11-23.log`), created 0600 — the
/// rolling appender of `tracing-appender` creates files with the process umask, and
/// files the tool writes are private.
struct DailyFile {
    dir: PathBuf,
    prefix: &'static str,
    day: Option<chrono::NaiveDate>,
    file: Option<std::fs::File>,
}

impl DailyFile {
    fn new(dir: &Path, prefix: &'static str) -> DailyFile {
        DailyFile {
            dir: dir.to_path_buf(),
            prefix,
            day: None,
            file: None,
        }
    }

    fn path(&self, day: chrono::NaiveDate) -> PathBuf {
        self.dir
            .join(format!("{}.{}.log", self.prefix, day.format("%Y-%m-%d")))
    }

    /// The file of today, opened for appending (created or tightened to 0600); a symbolic
    /// link in its place is refused, never appended through.
    fn current(&mut self) -> std::io::Result<&mut std::fs::File> {
        let today = chrono::Utc::now().date_naive();
        if self.day != Some(today) || self.file.is_none() {
            let file = crate::fsx::open_append(&self.path(today))?;
            self.file = Some(file);
            self.day = Some(today);
        }
        self.file
            .as_mut()
            .ok_or_else(|| std::io::Error::other("no log file"))
    }
}

impl std::io::Write for DailyFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.current()?.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self.file.as_mut() {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

/// Keeps the background log writer alive; logs are flushed when it drops.
pub struct LogGuard {
    _file: WorkerGuard,
    /// The folder of the daily files.
    pub path: PathBuf,
}

impl LogGuard {
    /// Today's log file (the one being written now).
    pub fn file(&self) -> PathBuf {
        DailyFile::new(&self.path, PREFIX).path(chrono::Utc::now().date_naive())
    }
}

const PREFIX: &str = "mfa-cutover";

/// Log to `<state_dir>/logs/mfa-cutover.log` (daily files), and to stderr when
/// `verbose > 0` and `stderr_allowed` (false in the TUI). `MFA_CUTOVER_LOG` overrides the
/// filter (`RUST_LOG` syntax). Safe to call once per process; a second call keeps the first.
pub fn init(state_dir: &Path, verbose: u8, stderr_allowed: bool) -> std::io::Result<LogGuard> {
    // The state dir first: created here by `create_dir_all` it would take the umask.
    crate::fsx::private_dir(state_dir)?;
    let dir = state_dir.join("logs");
    crate::fsx::private_dir(&dir)?;
    // Today's file now, so a link planted in its place stops the command with a message
    // instead of failing every log line silently.
    let mut appender = DailyFile::new(&dir, PREFIX);
    appender.current()?;
    let (file, guard) = tracing_appender::non_blocking(appender);
    let level = match verbose {
        0 => "info",
        1 => "info",
        _ => "debug",
    };
    let filter = EnvFilter::try_from_env("MFA_CUTOVER_LOG")
        .unwrap_or_else(|_| EnvFilter::new(format!("mfa_cutover={level},warn")));
    let file_layer = fmt::layer().with_ansi(false).with_writer(file);
    let stderr_layer = (stderr_allowed && verbose > 0)
        .then(|| fmt::layer().with_writer(std::io::stderr.with_max_level(tracing::Level::DEBUG)));
    // try_init: tests and the demo may initialise more than once in one process.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(file_layer)
        .with(stderr_layer)
        .try_init();
    Ok(LogGuard {
        _file: guard,
        path: dir,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn log_files_are_private() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let mut f = DailyFile::new(dir.path(), "mfa-cutover");
        writeln!(f, "a line")?;
        f.flush()?;
        let day = chrono::Utc::now().date_naive();
        let path = f.path(day);
        assert_eq!(std::fs::read_to_string(&path)?, "a line\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)?.permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn a_linked_log_file_is_refused_and_left_alone() -> std::io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir()?;
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep")?;
        std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644))?;
        let mut f = DailyFile::new(dir.path(), "mfa-cutover");
        let path = f.path(chrono::Utc::now().date_naive());
        std::os::unix::fs::symlink(&victim, &path)?;
        assert!(writeln!(f, "a line").is_err());
        assert_eq!(std::fs::read_to_string(&victim)?, "keep");
        let mode = std::fs::metadata(&victim)?.permissions().mode() & 0o777;
        assert_eq!(mode, 0o644);
        Ok(())
    }
}
