//! The contract between the engine and its front ends: typed commands in, typed events
//! out. The TUI and the headless CLI send the same commands and read the same events;
//! neither calls Graph or SQLite itself.
//!
//! Commands are grouped by domain (`Directory`, `Migration`, …) so the rollout,
//! federation, inventory and checklist domains slot in as siblings.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::mpsc;

use crate::datafile::DataSet;
use crate::graph::{CallRecord, Identity};
use crate::migrate::{EntraMethods, EntraUser, Match, MigrationSettings, Plan, UserSkip};

/// A request to the engine.
#[derive(Debug, Clone)]
pub enum Command {
    Directory(DirectoryCommand),
    Migration(MigrationCommand),
    /// Finish in-flight writes (journaled), then stop.
    Shutdown,
}

#[derive(Debug, Clone)]
pub enum DirectoryCommand {
    /// Find a group by display name or object id.
    FindGroup { query: String },
    /// Stream a group's users (`transitiveMembers`), each matched to its MFA Server user.
    /// A new request replaces one in progress.
    LoadMembers { group_id: String },
    /// Read these users' current Entra methods (visible rows, the detail view).
    /// Coalesced: a newer request replaces the queued part of an older one.
    ReadMethods { users: Vec<String> },
}

/// Which members of the loaded group a migration command covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "scope", content = "users", rename_all = "snake_case")]
pub enum Scope {
    /// Every member of the group.
    Group,
    /// These Entra object ids (marked rows, `--users`).
    Users(Vec<String>),
}

#[derive(Debug, Clone)]
pub enum MigrationCommand {
    /// Dry run: read Entra state, plan, report; no writes.
    Plan {
        scope: Scope,
        include_unchanged: bool,
    },
    /// Plan and apply. The front end has already confirmed (tier by blast radius).
    Migrate {
        scope: Scope,
        include_unchanged: bool,
    },
    /// Stop queued work; writes in flight finish and are journaled.
    Cancel,
    /// Queue the users whose last attempt failed.
    RetryFailed,
    /// Automatic sync of changed users; `None` turns it off.
    SetAutoSync {
        interval: Option<Duration>,
    },
    SetSettings(MigrationSettings),
    /// Write the "must re-register the app" list (CSV).
    ExportReregister {
        path: PathBuf,
    },
    /// Save the plans of the last dry run (`plan --out FILE`) with the data set's digest,
    /// the settings and, per user, a digest of the Entra state each plan came from.
    SavePlan {
        path: PathBuf,
    },
    /// Apply exactly the plans saved in `path` (`migrate --plan FILE`); refused (with
    /// [`MigrationEvent::PlanRefused`]) when the data file, the settings or an affected
    /// user's Entra state changed since.
    ApplyPlan {
        path: PathBuf,
    },
}

/// What the engine reports.
#[derive(Debug, Clone)]
pub enum Event {
    /// Signed in (or the token was refreshed).
    Session(Identity),
    /// The data file was read.
    Data(Arc<DataSet>),
    /// One Graph call finished.
    Activity(CallRecord),
    /// Engine load, at most a few times a second.
    Load(EngineLoad),
    Directory(DirectoryEvent),
    Migration(MigrationEvent),
    /// A failure the front end shows (and the log holds).
    Error(EngineError),
    /// The engine stopped (after `Shutdown` or a fatal error).
    Stopped,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EngineLoad {
    pub requests_per_sec: f64,
    pub writes_per_sec: f64,
    /// 429s seen in the last minute.
    pub throttled_recent: u32,
    pub in_flight: u32,
    pub queued: u32,
}

/// A group found by [`DirectoryCommand::FindGroup`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupInfo {
    pub id: String,
    pub display_name: String,
    /// Dynamic membership (`groupTypes` holds `DynamicMembership`).
    pub dynamic: bool,
}

/// An Entra member and what it matched in MFA Server.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Member {
    pub entra: EntraUser,
    pub matched: Match,
}

#[derive(Debug, Clone)]
pub enum DirectoryEvent {
    GroupFound(GroupInfo),
    GroupNotFound {
        query: String,
    },
    /// Several groups carry that name: the front end asks which.
    GroupAmbiguous {
        query: String,
        candidates: Vec<GroupInfo>,
    },
    /// A page of members; `loaded` counts all so far, `done` marks the last page.
    Members {
        group_id: String,
        page: Vec<Member>,
        loaded: usize,
        done: bool,
    },
    /// One user's Entra methods, or why they could not be read.
    Methods {
        user: String,
        methods: Result<Box<EntraMethods>, String>,
    },
}

/// Per-user state through a migration: each stage carries what it has.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum UserStatus {
    Queued,
    Reading,
    Planned {
        plan: Arc<Plan>,
    },
    Skipped {
        skip: UserSkip,
    },
    Writing {
        done: usize,
        of: usize,
    },
    Verified,
    /// Read-back differs from the plan's expected state (rule C4).
    Mismatch {
        differences: Vec<String>,
    },
    Failed {
        error: String,
        retryable: bool,
    },
}

/// Progress of the current run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Progress {
    pub targeted: usize,
    pub done: usize,
    pub verified: usize,
    pub skipped: usize,
    pub failed: usize,
    pub queued: usize,
    /// Skipped because unchanged since the last migration (C1); also counted in `skipped`.
    pub unchanged: usize,
    /// Read back different from the plan (C4); also counted in `failed`.
    pub mismatched: usize,
    pub writes: u64,
    /// Graph operations this run sent (each `$batch` item counts, retries too).
    pub requests: u64,
    pub writes_per_sec: f64,
    pub throttled: u64,
    pub eta_secs: Option<u64>,
}

#[derive(Debug, Clone)]
pub enum MigrationEvent {
    /// A dry run or a migration started.
    Started {
        dry_run: bool,
        targeted: usize,
    },
    UserStatus {
        user: String,
        status: UserStatus,
    },
    Progress(Progress),
    Finished {
        dry_run: bool,
        progress: Progress,
        cancelled: bool,
    },
    AutoSync {
        next_run: Option<DateTime<Utc>>,
    },
    Exported {
        path: PathBuf,
        users: usize,
    },
    /// Writes left open by an earlier run (the process was killed) were read back and
    /// closed (rule C5). Sent once at start, before any run, even when there were none.
    Reconciled(Reconciliation),
    /// The last dry run's plans were saved.
    PlanSaved {
        path: PathBuf,
        users: usize,
    },
    /// A saved plan was not applied: the data file, the settings or the Entra state of
    /// the users it names changed since it was made. Nothing was written.
    PlanRefused {
        path: PathBuf,
        reasons: Vec<String>,
    },
}

/// What start-up reconciliation found.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Reconciliation {
    /// Journal entries that had an intent but no outcome.
    pub open: usize,
    /// Of those, the writes Entra shows as applied.
    pub done: usize,
    /// The writes Entra does not show: the next run plans them again.
    pub not_done: usize,
    /// Entries left open because the read-back failed (tried again at the next start).
    pub unresolved: usize,
    pub users: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EngineError {
    /// What the engine was doing, e.g. `loading members of "Wave 1"`.
    pub context: String,
    pub message: String,
}

/// A front end's end of the engine: commands go out, events come in. The engine holds
/// the other end ([`EngineEnd`]). Both channels are bounded, so a slow side pushes back
/// instead of growing without limit.
#[derive(Debug)]
pub struct EngineLink {
    pub commands: mpsc::Sender<Command>,
    pub events: mpsc::Receiver<Event>,
}

/// The engine's end of an [`EngineLink`].
#[derive(Debug)]
pub struct EngineEnd {
    pub commands: mpsc::Receiver<Command>,
    pub events: mpsc::Sender<Event>,
}

impl EngineLink {
    /// A connected pair; `capacity` bounds each direction.
    pub fn pair(capacity: usize) -> (EngineLink, EngineEnd) {
        let (cmd_tx, cmd_rx) = mpsc::channel(capacity.max(1));
        let (ev_tx, ev_rx) = mpsc::channel(capacity.max(1));
        (
            EngineLink {
                commands: cmd_tx,
                events: ev_rx,
            },
            EngineEnd {
                commands: cmd_rx,
                events: ev_tx,
            },
        )
    }
}
