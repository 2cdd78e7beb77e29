//! The engine: owns every effect (data file, Graph, state store), takes [`Command`]s and
//! emits [`Event`]s. Front ends only talk to it.
//!
//! [`Engine::start`] spawns one task that owns the engine's state (`core.rs`); long work
//! runs in tasks it spawns, which report back to it:
//!
//! - `directory.rs`: find the group, stream its members (matched as they arrive), read
//!   the methods of the users on screen;
//! - `run.rs`: a dry run, migration, sync cycle or saved plan, as a pipeline — decide
//!   (C1, M4) → read Entra state in `$batch` and plan → apply (`apply.rs`: journal, write,
//!   audit, reconcile unknown outcomes) → verify by read-back (C4);
//! - `reconcile.rs`: at start, writes a killed run left open are read back and closed;
//! - `entra.rs`: the batched reads and the methods policy; `ops.rs`: one write's
//!   secret, read-back check and audit text; `planfile.rs`: saved plans;
//! - `store/`: the SQLite state store (journal, audit log, change tracking, runs).

mod apply;
mod core;
mod directory;
mod entra;
mod ops;
pub mod planfile;
pub mod protocol;
mod reconcile;
mod run;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use crate::datafile::DataSet;
use crate::graph::{CallRecord, GraphClient, Identity};
use crate::migrate::MigrationSettings;

pub use protocol::{
    Command, DirectoryCommand, DirectoryEvent, EngineEnd, EngineError, EngineLink, EngineLoad,
    Event, GroupInfo, Member, MigrationCommand, MigrationEvent, Progress, Reconciliation, Scope,
    UserStatus,
};
pub use store::Store;

/// The time, injected so tests and TOTP codes can control it.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Re-reads the data file for automatic sync (the engine owns the reading; the CLI and
/// TUI pass `datafile::load` over the configured inputs).
pub type DataLoader = Arc<dyn Fn() -> Result<DataSet, String> + Send + Sync>;

/// What the engine is set to do.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub settings: MigrationSettings,
    /// Users written at once (the `[graph] concurrency`); the limiter paces them.
    pub concurrency: usize,
    /// The configured migration group (`[migration] group`): a run asked for before any
    /// group is loaded finds and loads this one first.
    pub group: Option<String>,
    /// Automatic sync from the start (`sync --interval`, `[migration] sync_interval`).
    pub sync_interval: Option<Duration>,
    /// How long a `ReadMethods` answer is reused.
    pub methods_ttl: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            settings: MigrationSettings::default(),
            concurrency: 16,
            group: None,
            sync_interval: None,
            methods_ttl: Duration::from_secs(60),
        }
    }
}

/// Everything the engine works with.
pub struct EngineDeps {
    pub data: Arc<DataSet>,
    pub client: GraphClient,
    /// The client's call records (its observer wired to a channel, see
    /// [`EngineDeps::observer`]); forwarded as [`Event::Activity`].
    pub calls: Option<mpsc::UnboundedReceiver<CallRecord>>,
    pub identity: Identity,
    pub store: Store,
    pub config: EngineConfig,
    pub clock: Arc<dyn Clock>,
    /// Re-reads the data file each sync cycle; `None` keeps the data set given here.
    pub reload: Option<DataLoader>,
}

impl EngineDeps {
    /// An observer for [`ClientOptions`](crate::graph::ClientOptions) and the receiver to
    /// put in [`EngineDeps::calls`].
    pub fn observer() -> (crate::graph::Observer, mpsc::UnboundedReceiver<CallRecord>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (crate::graph::channel_observer(tx), rx)
    }
}

/// The engine.
pub struct Engine;

impl Engine {
    /// Start the engine on the current tokio runtime; the front end keeps the link.
    /// The engine first reconciles writes a killed run left open (sending
    /// [`MigrationEvent::Reconciled`]); commands that need it wait for that.
    pub fn start(deps: EngineDeps) -> EngineLink {
        let (link, end) = EngineLink::pair(1024);
        tokio::spawn(core::run(deps, end));
        link
    }
}
