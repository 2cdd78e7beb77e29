//! The engine: owns every effect (data file, Graph, state store), takes requests and
//! emits events. Front ends only talk to it.
//!
//! [`start`] is the one start-up (lock → data → sign-in → store → engine task); it hands
//! back an [`EngineHandle`]. Inside, one task (`core.rs`) owns the state and routes each
//! request to the service of its domain; services share a context (`context.rs`: the
//! Graph clients, the store, the events, the clock, the tenant) and never import each
//! other:
//!
//! - `directory/`: groups, the loaded group's members (matched as they stream in), the
//!   methods of the users a front end shows;
//! - `migration/`: dry runs, migrations, automatic sync, saved plans, start-up
//!   reconciliation of the journal;
//! - `entra.rs`: the batched reads of users' methods and of the methods policy, shared by
//!   both;
//! - `lock.rs`: one writer per state store; `store/`: the SQLite state store.

mod client;
mod context;
mod core;
mod cutover;
mod directory;
mod entra;
mod inventory;
pub mod lock;
mod migration;
pub mod protocol;
mod records;
mod start;
pub mod store;

use std::sync::Arc;

use crate::datafile::DataSet;

pub use crate::capability::{Capabilities, Capability};
pub use crate::clock::{Clock, SystemClock};
pub use crate::graph::{Identity, TokenKind};
pub use client::{
    CallError, EngineClient, EngineEnd, EngineGone, EngineHandle, RequestIds, answer_of,
};
pub use migration::planfile;
pub use migration::undo::{ReadBack, UndoReport, UndoState, UndoUser};
pub use protocol::{
    Answer, AppliedWrite, ChangeClock, ChangeReport, ChecklistCommand, ChecklistReport, Command,
    DirectoryCommand, DirectoryEvent, DomainStatus, EngineError, EngineLoad, Event, ExportFormat,
    FederationCommand, FederationStatus, GroupInfo, InventoryCommand, InventoryReport, Member,
    MigrationCommand, MigrationEvent, PreflightReport, Progress, Reconciliation, RecordsCommand,
    Refusal, RefusalKind, Reply, Request, RequestId, RolloutCommand, RolloutStatus, RunEnd, Scope,
    SessionCommand, SessionInfo, UserMethods, UserStatus,
};
pub use start::{
    Access, DataUse, DomainLine, GraphCheck, Running, SignIn, StartError, StartOptions, load_data,
    primary_domain, start, start_offline,
};
pub use store::Store;

/// Re-reads the data file for automatic sync (the engine owns the reading).
pub type DataLoader = Arc<dyn Fn() -> Result<DataSet, String> + Send + Sync>;

/// Requests and events queued each way at most: a slow side pushes back instead of the
/// queue growing without limit.
pub(crate) fn channel_capacity() -> usize {
    1024
}
