//! Logs go to a file in the state dir (never to the TUI's screen); `-v` adds stderr for
//! headless commands. Secrets never reach a log line: the types that hold them print
//! masked, and the Graph client logs no header or body.

use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::fmt::writer::MakeWriterExt;
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// Keeps the background log writer alive; logs are flushed when it drops.
pub struct LogGuard {
    _file: WorkerGuard,
    pub path: PathBuf,
}

/// Log to `<state_dir>/logs/mfa-cutover.log` (daily files), and to stderr when
/// `verbose > 0` and `stderr_allowed` (false in the TUI). `MFA_CUTOVER_LOG` overrides the
/// filter (`RUST_LOG` syntax). Safe to call once per process; a second call keeps the first.
pub fn init(state_dir: &Path, verbose: u8, stderr_allowed: bool) -> std::io::Result<LogGuard> {
    let dir = state_dir.join("logs");
    crate::config::ensure_private_dir(&dir)?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("mfa-cutover")
        .filename_suffix("log")
        .build(&dir)
        .map_err(std::io::Error::other)?;
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
