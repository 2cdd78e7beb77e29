//! The terminal UI: a view of engine state plus a keymap.
//!
//! [`run`] is the entry point for a real terminal: it loads the keymap (every problem is
//! reported before the screen is touched), takes the terminal, and runs
//! [`App::run`] — the one loop, generic over backend and input stream, which tests drive
//! with `TestBackend` and a scripted stream. The app talks to the engine only through
//! an [`EngineHandle`]: requests out, events in. Each tab is a pane on one contract
//! ([`pane::Pane`]); the app keeps what is global and routes.

pub mod action;
pub mod app;
pub mod clock;
pub mod commands;
pub mod effect;
pub mod keymap;
pub mod pane;
pub mod panes;
pub mod runtime;
pub mod tab;
pub mod terminal;
pub mod theme;
pub mod view;
pub mod widgets;

use std::path::PathBuf;
use std::time::Duration;

use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::EventStream;

pub use app::{App, AppOptions, Msg};
pub use clock::Clock;
pub use keymap::{Keymap, KeymapError};
pub use pane::{Env, Pane};
pub use tab::Tab;
pub use theme::Theme;

use crate::config::Config;
use crate::engine::{EngineHandle, Running};

/// Why the TUI could not run.
#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error(transparent)]
    Keymap(#[from] KeymapError),
    #[error("terminal: {0}")]
    Terminal(String),
}

/// App options from the resolved configuration and a loaded keymap.
pub fn options(config: &Config, keymap: Keymap, log_path: Option<PathBuf>) -> AppOptions {
    let mut o = AppOptions::new(keymap);
    o.settings = config.migration.clone();
    o.sync_interval = config.sync_interval.unwrap_or(Duration::from_secs(15 * 60));
    o.production = config.production;
    o.group = config.group.clone();
    o.log_path = log_path;
    o.export_dir = config.state_dir.join("exports");
    o.config_file = config.file.clone();
    o.graph_host = graph_host(config);
    o
}

/// The Graph host the token goes to, when it is not the configured cloud's own.
pub fn graph_host(config: &Config) -> Option<String> {
    let url = config.graph_url.as_deref()?;
    let root = crate::graph::GraphRoot::parse(url).ok()?;
    let cloud = crate::graph::GraphRoot::for_cloud(config.cloud);
    (root.host() != cloud.host() || root.scheme() != "https").then(|| root.host())
}

/// Load the keymap the configuration names (a user's copy in the config dir overrides
/// the embedded default). Done before the terminal is touched, so its problems print on
/// a plain screen.
pub fn keymap(config: &Config) -> Result<Keymap, KeymapError> {
    Keymap::load(
        config.keymap.as_deref(),
        crate::config::config_dir().as_deref(),
    )
}

/// Run the TUI on this process's terminal until the admin quits. Logging must already
/// go to a file (never the screen). The terminal is restored exactly once whatever
/// happens (normal exit, error, panic) before this returns.
pub async fn run(opts: AppOptions, running: Running) -> Result<(), TuiError> {
    let engine: EngineHandle = running.engine;
    let guard = terminal::init().map_err(|e| TuiError::Terminal(e.to_string()))?;
    let mut term = Terminal::new(CrosstermBackend::new(std::io::stdout()))
        .map_err(|e| TuiError::Terminal(e.to_string()))?;
    let size = term.size().map_err(|e| TuiError::Terminal(e.to_string()))?;
    // A read error means the terminal is gone (SSH dropped): end the input, which
    // shuts the engine down cleanly.
    let input = EventStream::new()
        .take_while(|r| {
            if let Err(e) = r {
                tracing::error!("reading the terminal: {e}");
            }
            futures::future::ready(r.is_ok())
        })
        .filter_map(|r| futures::future::ready(r.ok()))
        .take_until(hang_up());
    let app = App::new(
        opts,
        ratatui::layout::Rect::new(0, 0, size.width, size.height),
    );
    let result = app.run(&mut term, input, engine).await;
    drop(guard);
    result.map(|_| ())
}

/// Resolves on SIGHUP (the SSH session or terminal closed) or SIGTERM: the input then
/// ends, so the engine finishes its writes in flight and stops, the terminal is
/// restored and the caller cleans up, instead of the process dying mid-write.
async fn hang_up() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let (Ok(mut hup), Ok(mut term)) = (
            signal(SignalKind::hangup()),
            signal(SignalKind::terminate()),
        ) {
            tokio::select! {
                _ = hup.recv() => tracing::warn!("the terminal hung up: stopping"),
                _ = term.recv() => tracing::warn!("asked to stop (SIGTERM): stopping"),
            }
            return;
        }
    }
    futures::future::pending::<()>().await;
}
