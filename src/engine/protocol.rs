//! The contract between the engine and its front ends: typed requests in, typed events
//! out. The TUI and the headless CLI send the same commands and read the same events;
//! neither calls Graph or SQLite itself.
//!
//! Every command travels in a [`Request`] with an id; the engine answers each request
//! exactly once with a [`Reply`] carrying that id: an [`Answer`], or a [`Refusal`] that
//! says which rule or state refused it and what to do. Streams (members as they load,
//! users as a run moves them on, progress, Graph calls) are events of their own, so a
//! front end that did not ask (a run started by automatic sync) still sees them.
//!
//! Commands are grouped by domain (`Session`, `Directory`, `Migration`, …) so the
//! rollout, federation, inventory and checklist domains slot in as siblings.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::store::{AuditEntry, AuditFilter, JournalEntry, JournalFilter, JournalId, Target};
use crate::capability::Capabilities;
use crate::datafile::DataSet;
use crate::finding::Finding;
use crate::graph::auth::DeviceCodePrompt;
use crate::graph::{CallRecord, Identity};
use crate::migrate::{EntraMethods, EntraUser, Match, MigrationSettings, Plan, Usable, UserSkip};
use crate::rollout::{
    Confirmation, Decision, DomainFacts, GroupReadiness, MfaBehavior, RolloutPolicyFacts, Verdict,
    WaveReadiness,
};

/// A request's id, unique within one engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct RequestId(pub u64);

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A command and the id its answer will carry.
#[derive(Debug, Clone)]
pub struct Request {
    pub id: RequestId,
    pub command: Command,
}

/// What a front end asks of the engine.
#[derive(Debug, Clone)]
pub enum Command {
    Session(SessionCommand),
    Directory(DirectoryCommand),
    Migration(MigrationCommand),
    Records(RecordsCommand),
    Rollout(RolloutCommand),
    Federation(FederationCommand),
    /// What the sign-in can do, the methods policy against what MFA Server users use,
    /// and the users whose methods cannot be migrated here. Answered with
    /// [`Answer::Preflight`].
    Preflight,
    Inventory(InventoryCommand),
    Checklist(ChecklistCommand),
    /// Finish in-flight writes (journaled), then stop.
    Shutdown,
}

#[derive(Debug, Clone)]
pub enum SessionCommand {
    /// Sign in as an admin with a device code (shown through [`Event::DeviceCode`]) when
    /// the session is app-only and a domain needs a delegated token (Staged Rollout).
    /// The engine keeps both: the app for methods, the admin for what refuses apps.
    SignInDelegated,
    /// Incremental consent: ask Entra for the scopes of a capability the sign-in did not
    /// ask for (Staged Rollout, federation), when the admin first uses it. A device code
    /// may be shown; a refusal says what to grant.
    Consent(crate::graph::auth::Capability),
}

#[derive(Debug, Clone)]
pub enum DirectoryCommand {
    /// Find a group by display name or object id. Answered with [`Answer::Groups`]: one
    /// group, several that share the name, or none.
    FindGroup { query: String },
    /// Groups whose name starts with `prefix`, with member counts (the group picker).
    /// Answered with [`Answer::Groups`].
    SearchGroups { prefix: String },
    /// Stream a group's users (`transitiveMembers`), each matched to its MFA Server user.
    /// A new request replaces one in progress. Answered when the last page is in.
    LoadMembers { group_id: String },
    /// Read these users' current Entra methods (visible rows, the detail view).
    /// Coalesced: a newer request replaces the queued part of an older one. Answered at
    /// once; the methods arrive as [`DirectoryEvent::Methods`].
    ReadMethods { users: Vec<String> },
}

/// Staged Rollout for MFA. A change is asked twice: first with `apply: false` (the
/// what-if: the interlocks' verdict, the blast radius, the confirmation it needs), then,
/// confirmed, with `apply: true`, which checks again from live facts before writing.
/// Answered with [`Answer::Change`]; a change the interlocks block (and `force` does not
/// override) is refused as [`RefusalKind::Interlock`] with the findings.
#[derive(Debug, Clone)]
pub enum RolloutCommand {
    /// The policy, its groups' readiness, every wave's readiness and next step, drift
    /// and the propagation clock. Answered with [`Answer::Rollout`].
    Status,
    AddGroup {
        group: String,
        force: bool,
        apply: bool,
    },
    RemoveGroup {
        group: String,
        force: bool,
        apply: bool,
    },
    Enable {
        force: bool,
        apply: bool,
    },
    Disable {
        force: bool,
        apply: bool,
    },
}

/// `federatedIdpMfaBehavior` per federated domain (asked twice, as for rollout).
#[derive(Debug, Clone)]
pub enum FederationCommand {
    /// Every domain with its value, drift and propagation clock. Answered with
    /// [`Answer::Federation`].
    Status,
    Set {
        domain: String,
        behavior: MfaBehavior,
        force: bool,
        apply: bool,
    },
    /// F2 in one action: `enforceMfaByFederatedIdp` on the federated domains and Staged
    /// Rollout for MFA off.
    Rollback { force: bool, apply: bool },
}

/// Reads of the state store's records: the write journal and the audit log, newest
/// first, a page at a time (hundreds of thousands of rows cost one index walk a page).
#[derive(Debug, Clone)]
pub enum RecordsCommand {
    /// Journal entries older than `before`, at most `limit`; answered with
    /// [`Answer::Journal`].
    Journal {
        filter: JournalFilter,
        before: Option<JournalId>,
        limit: usize,
    },
    /// Audit entries older than `before` (a row id), at most `limit`; answered with
    /// [`Answer::Audit`].
    Audit {
        filter: AuditFilter,
        before: Option<i64>,
        limit: usize,
    },
}

/// The dependency inventory: built at start from the data file and the configured
/// AD FS / NPS exports; decisions are the admin's, kept in the state store and audited.
#[derive(Debug, Clone)]
pub enum InventoryCommand {
    /// Every item with its decision; answered with [`Answer::Inventory`].
    Status,
    /// Read the data file's services and the exports again (after new exports).
    Reload,
    /// Decide an item: the path taken (`None`: the recommended one), its status and a
    /// note. Answered with the inventory as it now is.
    Decide {
        item: String,
        path: Option<crate::inventory::PathKind>,
        status: crate::inventory::Status,
        note: Option<String>,
    },
    /// Which MFA provider a relying party sends users to, rule by rule; answered with
    /// [`Answer::Why`].
    Why {
        relying_party: String,
        sids: Vec<String>,
    },
    /// Write the inventory as CSV or Markdown (a new private file); answered with
    /// [`Answer::Written`].
    Export { path: PathBuf, format: ExportFormat },
}

/// The cutover checklist (checklist.md): live checks, ticks, the end state, the report.
#[derive(Debug, Clone)]
pub enum ChecklistCommand {
    /// Every step judged now, with the rollback plan's exact writes; answered with
    /// [`Answer::Checklist`].
    Status,
    /// Choose (or change) the end state: 1, 2 or 3. Begins the checklist. Audited.
    SetEndState(crate::checklist::EndState),
    /// Tick (or untick) a manual step, one of the five validate checks, or a step whose
    /// check cannot decide; with a note. Audited.
    Tick {
        step: String,
        done: bool,
        note: Option<String>,
    },
    /// Write the change board's Markdown report; answered with [`Answer::Written`].
    Report { path: PathBuf },
}

/// The checklist as judged now, with the rollback plan (a what-if of its writes).
#[derive(Debug, Clone, Serialize)]
pub struct ChecklistReport {
    pub tenant: String,
    pub checklist: crate::checklist::Checklist,
    /// What `fin.federation` waits for (empty: the gate is open).
    pub gate: Vec<Finding>,
    /// The rollback's exact writes and the users they move (a what-if)...
    pub rollback: Option<ChangeReport>,
    /// ...or why they cannot be planned now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback_error: Option<String>,
}

/// A file format for exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Csv,
    Markdown,
}

/// The inventory as the admin works it: the items (with decisions), the counts, what keeps
/// users on MFA Server, and decisions whose item is no longer in the exports.
#[derive(Debug, Clone, Serialize)]
pub struct InventoryReport {
    pub inventory: crate::inventory::Inventory,
    pub progress: crate::inventory::Progress,
    pub keeps_users_on_mfa_server: Vec<Finding>,
    /// Decisions kept by the store whose item the inputs no longer hold: shown, never
    /// silently dropped.
    pub stale_decisions: Vec<super::store::ItemDecision>,
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
    /// Dry run: read Entra state, plan, report; no writes. Answered when it finishes.
    Plan {
        scope: Scope,
        include_unchanged: bool,
    },
    /// Plan and apply. The front end has already confirmed (tier by blast radius).
    /// Answered when it finishes.
    Migrate {
        scope: Scope,
        include_unchanged: bool,
    },
    /// Stop queued work; writes in flight finish and are journaled.
    Cancel,
    /// Queue the users whose last attempt failed (from the store).
    RetryFailed,
    /// Automatic sync of changed users; `None` turns it off.
    SetAutoSync {
        interval: Option<Duration>,
    },
    SetSettings(MigrationSettings),
    /// Write the "must re-register the app" list (CSV) of every member of the group the
    /// store knows must re-register, whatever run found them.
    ExportReregister {
        path: PathBuf,
    },
    /// Save the plans of the last dry run (`plan --out FILE`).
    SavePlan {
        path: PathBuf,
    },
    /// Apply exactly the plans saved in `path` (`migrate --plan FILE`); refused when
    /// planning the same users now would give anything else.
    ApplyPlan {
        path: PathBuf,
        expect_digest: Option<String>,
    },
    /// Restore users' before-state from the journal (pilot resets): `users` by object id
    /// or UPN; `apply: false` is a what-if. Answered with [`Answer::Undo`].
    Undo {
        users: Vec<String>,
        apply: bool,
    },
}

/// The one answer to a request.
#[derive(Debug, Clone)]
pub struct Reply {
    pub request: RequestId,
    pub outcome: Result<Answer, Refusal>,
}

/// What a request achieved.
#[derive(Debug, Clone)]
pub enum Answer {
    /// Taken; there is nothing more to say (events follow where the command streams).
    Accepted,
    /// Groups that matched (none, one, or several sharing a name).
    Groups(Vec<GroupInfo>),
    /// Every member of the group is loaded.
    Members {
        group: GroupInfo,
        loaded: usize,
    },
    /// A run ended.
    Run(RunEnd),
    /// The last dry run's plans were saved.
    PlanSaved {
        path: PathBuf,
        users: usize,
        digest: String,
    },
    /// The "must re-register the app" list was written.
    Exported {
        path: PathBuf,
        users: usize,
    },
    /// Automatic sync is on (the next cycle's time) or off.
    AutoSync {
        next_run: Option<DateTime<Utc>>,
    },
    /// Signed in as an admin (after [`SessionCommand::SignInDelegated`]).
    SignedIn(Box<SessionInfo>),
    /// A page of the journal and how many entries match in all.
    Journal {
        entries: Vec<JournalEntry>,
        total: u64,
    },
    /// A page of the audit log (row id, entry) and how many entries match in all.
    Audit {
        entries: Vec<(i64, AuditEntry)>,
        total: u64,
    },
    Rollout(Box<RolloutStatus>),
    Inventory(Arc<InventoryReport>),
    Checklist(Box<ChecklistReport>),
    Why(Box<crate::inventory::Chain>),
    /// A file was written (an export or a report).
    Written {
        path: PathBuf,
        what: String,
    },
    Federation(Box<FederationStatus>),
    /// A change's verdict (what-if), or the change made.
    Change(Box<ChangeReport>),
    Preflight(Box<PreflightReport>),
    /// Per user: the undo's writes with their rules, the differences, and when applied
    /// the writes made and the read-back.
    Undo(Box<crate::engine::migration::undo::UndoReport>),
}

/// When this tool last changed a target, and how far the change has propagated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeClock {
    pub at: DateTime<Utc>,
    /// The audit log's action (`rollout.add_group`, `federation.set`, …).
    pub action: String,
    /// Past Entra's "up to 24 hours".
    pub settled: bool,
    /// "changed 3 h 12 min ago · takes up to 24 h (20 h 48 min left)".
    pub text: String,
}

/// Staged Rollout for MFA as it stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RolloutStatus {
    /// The MFA rollout policy; `None` when the tenant has none yet.
    pub policy: Option<RolloutPolicyFacts>,
    /// The readiness of each group in the policy (direct members).
    pub groups: Vec<GroupReadiness>,
    /// Every configured wave, its readiness and next step.
    pub waves: Vec<WaveReadiness>,
    /// The next wave's suggestion ("Wave 2: 100% verified, not in rollout → add …").
    pub next: Option<String>,
    pub last_change: Option<ChangeClock>,
    /// Drift, capability and cloud findings.
    pub findings: Vec<Finding>,
}

/// A domain's federation setting as it stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DomainStatus {
    pub domain: DomainFacts,
    /// The value this tool last wrote (its audit log), if it wrote one.
    pub last_written: Option<crate::rollout::FederationValue>,
    pub last_change: Option<ChangeClock>,
    /// The live value is not what this tool last wrote.
    pub drift: Option<Finding>,
}

/// Every domain's federation setting.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FederationStatus {
    pub domains: Vec<DomainStatus>,
    pub findings: Vec<Finding>,
}

/// One write a change made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedWrite {
    pub what: String,
    pub target: Target,
    pub before: Option<String>,
    /// As read back.
    pub after: Option<String>,
    pub journal: JournalId,
}

/// A rollout or federation change: the interlocks' verdict and decision, the blast-radius
/// line and confirmation to show, and (applied) the writes made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeReport {
    pub verdict: Verdict,
    pub decision: Decision,
    pub blast_line: String,
    pub confirmation: Confirmation,
    /// The exact writes a rollback makes (F2), or those of any change, before it runs.
    pub planned: Vec<String>,
    /// Empty for a what-if.
    pub applied: Vec<AppliedWrite>,
}

/// Preflight: the sign-in's capabilities, the methods policy against what MFA Server users
/// use and MFA Server's company settings, the users that cannot be migrated here.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreflightReport {
    pub identity: Identity,
    pub delegated: Option<Identity>,
    pub capabilities: Capabilities,
    pub findings: Vec<Finding>,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunEnd {
    pub dry_run: bool,
    pub progress: Progress,
    pub cancelled: bool,
}

/// Why a request was not done. `kind` decides what a script can rely on (the CLI's exit
/// code); `message` says what happened and what to do; `findings` name the rules.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Refusal {
    pub kind: RefusalKind,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
}

impl Refusal {
    pub fn new(kind: RefusalKind, message: impl Into<String>) -> Refusal {
        Refusal {
            kind,
            message: message.into(),
            findings: Vec::new(),
        }
    }

    pub fn with_findings(mut self, findings: Vec<Finding>) -> Refusal {
        self.findings = findings;
        self
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        for finding in &self.findings {
            write!(f, "\n  {finding}")?;
        }
        Ok(())
    }
}

/// The kinds of refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalKind {
    /// Another run is in progress: wait for it or cancel it.
    Busy,
    /// Something it needs is not there yet (no group loaded, no dry run to save).
    NotReady,
    /// The group, user or file named does not exist.
    NotFound,
    /// The request itself is wrong (a bad path, a saved plan that was edited).
    BadInput,
    /// A saved plan no longer matches what planning now gives: nothing was written.
    PlanChanged,
    /// This process only reads the state store (another process holds it).
    ReadOnly,
    /// The sign-in or the cloud cannot do it (an app-only token for Staged Rollout, a
    /// missing role or permission, the China cloud).
    Unavailable,
    /// An interlock or a gate refused it (R1–R4, F1, a checklist gate); `--force`
    /// overrides where the rule allows.
    Interlock,
    /// Graph, the state store or the data file failed.
    Failed,
    /// A newer request for the same thing replaced it (loading another group).
    Superseded,
    /// The engine is stopping.
    ShuttingDown,
}

/// Who the engine acts as and what that lets it do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionInfo {
    pub identity: Identity,
    /// A second, delegated identity signed in for the domains that refuse app-only
    /// tokens (Staged Rollout), when the main session is an application.
    pub delegated: Option<Identity>,
    pub capabilities: Capabilities,
}

/// What the engine reports.
#[derive(Debug, Clone)]
pub enum Event {
    /// Signed in (at start, after a delegated sign-in, or a token refresh).
    Session(Box<SessionInfo>),
    /// A device code to show: the admin opens the URL on any machine and enters it.
    DeviceCode(DeviceCodePrompt),
    /// The data file was read.
    Data(Arc<DataSet>),
    /// One Graph call finished.
    Activity(CallRecord),
    /// Engine load, at most a few times a second.
    Load(EngineLoad),
    Directory(DirectoryEvent),
    Migration(MigrationEvent),
    /// The answer to a request.
    Reply(Reply),
    /// What a rollout, federation, preflight, inventory or checklist request found or
    /// changed, for every pane and the header (drift, the propagation clock), whoever
    /// asked.
    Cutover(Box<Answer>),
    /// A failure the front end shows (and the log holds): of background work (automatic
    /// sync, start-up reconciliation) or along the way of a request (`request` set).
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

/// A group found by [`DirectoryCommand::FindGroup`] or [`DirectoryCommand::SearchGroups`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupInfo {
    pub id: String,
    pub display_name: String,
    /// Dynamic membership (`groupTypes` holds `DynamicMembership`).
    pub dynamic: bool,
    /// Direct and nested members, when counted (the group picker).
    pub members: Option<u64>,
}

/// An Entra member and what it matched in MFA Server. The user is shared, not copied:
/// the directory, its pages to the front ends and every run's targets hold the same one
/// (at 500,000 members a copy each cost gigabytes).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Member {
    pub entra: Arc<EntraUser>,
    pub matched: Match,
}

#[derive(Debug, Clone)]
pub enum DirectoryEvent {
    /// Loading of a group's members began: the front end clears the old group's rows.
    Loading { group: GroupInfo },
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
        methods: Result<Box<UserMethods>, String>,
    },
}

/// One user's Entra methods as read, and which of them the user can use under the
/// authentication methods policy (the one usable-method rule, `migrate::usable`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserMethods {
    pub methods: EntraMethods,
    /// `None` when the methods policy could not be read (the sign-in may lack
    /// Policy.Read.AuthenticationMethod): usability is then unknown, not assumed.
    pub usable: Option<Usable>,
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
    /// Writes the plans made so far still hold (the ETA's numerator).
    pub writes_left: u64,
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
    /// A run ended (also sent for runs nobody asked for: automatic sync).
    Finished(RunEnd),
    /// Automatic sync is on (its next cycle) or off.
    AutoSync {
        next_run: Option<DateTime<Utc>>,
    },
    /// Writes left open by an earlier run (the process was killed) were read back and
    /// closed (rule C5). Sent once at start, before any run, even when there were none.
    Reconciled(Reconciliation),
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
    /// The request this happened along the way of, if any.
    pub request: Option<RequestId>,
    /// What the engine was doing, e.g. `loading members of "Wave 1"`.
    pub context: String,
    pub message: String,
}
