//! The migration service's state and commands: the run in progress (one at a time), a
//! run asked for before the group's members were in, automatic sync, the last dry run
//! (for `plan --out`), and start-up reconciliation. Runs work over the directory
//! service's members; what this service needs of the directory it asks the core for
//! ([`Need`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::planfile::{FORMAT, PlanFile, PlanGroup, SavedUser};
use super::reconcile::Reconciler;
use super::run::{self, RunHandle, RunKind, RunOutcome, RunResult, RunSetup, Shared, Target};
use super::undo::{UndoJob, UndoReport};
use crate::capability::Capability;
use crate::datafile::DataSet;
use crate::engine::DataLoader;
use crate::engine::context::{Ctx, Inbox};
use crate::engine::directory::DirectoryService;
use crate::engine::protocol::{
    Answer, EngineError, Event, GroupInfo, MigrationCommand, MigrationEvent, Reconciliation,
    Refusal, RefusalKind, RequestId, Scope,
};
use crate::engine::store::UserStatusKind;
use crate::migrate::ReregisterRow;

/// What the migration service's tasks report back.
pub(crate) enum MigMsg {
    Reconciled(Reconciliation, Vec<EngineError>),
    RunDone(RunOutcome),
    DataReloaded(Result<DataSet, String>),
    UndoDone(RequestId, Result<UndoReport, Refusal>),
}

/// What the migration service needs of the directory; the core passes it on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Need {
    /// Find the configured group and load its members: a run waits for them.
    ConfiguredGroup(String),
    /// Load this group's members (a saved plan's group).
    Members(String),
    /// Load the loaded group's members again (a sync cycle, new matching settings).
    ReloadMembers,
    /// Writes were made: cached methods are stale.
    ForgetMethods,
}

/// A run asked for before the engine could start it (members still loading, start-up
/// reconciliation not finished).
#[derive(Debug)]
enum Pending {
    Run {
        request: Option<RequestId>,
        kind: RunKind,
        scope: Scope,
        include_unchanged: bool,
    },
    ApplyPlan {
        request: RequestId,
        file: Box<PlanFile>,
    },
    /// An undo waits for start-up reconciliation: open intents are decided first.
    Undo {
        request: RequestId,
        users: Vec<String>,
        apply: bool,
    },
}

impl Pending {
    fn request(&self) -> Option<RequestId> {
        match self {
            Pending::Run { request, .. } => *request,
            Pending::ApplyPlan { request, .. } | Pending::Undo { request, .. } => Some(*request),
        }
    }
}

/// Where an automatic sync cycle is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cycle {
    Idle,
    /// Re-reading the data file.
    Reloading,
    /// Members reloading, then the run.
    Running,
}

struct AutoSync {
    interval: Duration,
    next: tokio::time::Instant,
}

struct Running {
    handle: RunHandle,
    request: Option<RequestId>,
}

/// A dry run's plans with writes, for `plan --out`.
struct DryRun {
    group: Option<GroupInfo>,
    users: Vec<SavedUser>,
}

pub(crate) struct MigrationService {
    inbox: Inbox<MigMsg>,
    /// `[migration] group`, loaded for a run asked for before any group was.
    config_group: Option<String>,
    reload: Option<DataLoader>,
    reconciled: bool,
    run: Option<Running>,
    /// The request of the undo in progress (one at a time, never beside a run).
    undo: Option<RequestId>,
    pending: Option<Pending>,
    last_dry_run: Option<DryRun>,
    autosync: Option<AutoSync>,
    cycle: Cycle,
    stopping: bool,
}

fn refusal(kind: RefusalKind, message: impl Into<String>) -> Refusal {
    Refusal::new(kind, message)
}

/// Why a migration cannot write, as a refusal; `None` when it can.
fn write_refusal(ctx: &Ctx) -> Option<Refusal> {
    if let Capability::Unavailable { reason, fix } = &ctx.session.capabilities.write_store {
        return Some(refusal(RefusalKind::ReadOnly, format!("{reason} — {fix}")));
    }
    match &ctx.session.capabilities.write_methods {
        Capability::Unavailable { reason, fix } => Some(refusal(
            RefusalKind::Unavailable,
            format!("{reason} — {fix}"),
        )),
        _ => None,
    }
}

impl MigrationService {
    pub(crate) fn new(
        inbox: Inbox<MigMsg>,
        config_group: Option<String>,
        reload: Option<DataLoader>,
    ) -> MigrationService {
        MigrationService {
            inbox,
            config_group: config_group.filter(|g| !g.trim().is_empty()),
            reload,
            reconciled: false,
            run: None,
            undo: None,
            pending: None,
            last_dry_run: None,
            autosync: None,
            cycle: Cycle::Idle,
            stopping: false,
        }
    }

    /// Reconcile what a killed run left open (a writer only: the journal is closed by
    /// reading back), then take runs; and automatic sync from the start if configured.
    pub(crate) async fn start(&mut self, ctx: &Ctx, sync_interval: Option<Duration>) {
        if ctx.store.is_writable() && !ctx.offline {
            let (client, store, tenant, actor, clock) = (
                ctx.graph().clone(),
                ctx.store.clone(),
                ctx.tenant.clone(),
                ctx.actor().to_string(),
                ctx.clock.clone(),
            );
            let hardware = ctx.settings.hardware_oath_available;
            let inbox = self.inbox.clone();
            tokio::spawn(async move {
                let r = Reconciler {
                    client: &client,
                    store: &store,
                    tenant: &tenant,
                    actor: &actor,
                    clock: clock.as_ref(),
                    hardware,
                };
                let (summary, errors) = r.run().await;
                inbox.send(MigMsg::Reconciled(summary, errors));
            });
        } else {
            // A reader cannot close journal entries, nor can a process not signed in;
            // a signed-in writer does at its start.
            self.inbox
                .send(MigMsg::Reconciled(Reconciliation::default(), Vec::new()));
        }
        if let Some(interval) = sync_interval {
            self.set_autosync(ctx, Some(interval)).await;
        }
    }

    pub(crate) fn is_running(&self) -> bool {
        self.run.is_some() || self.undo.is_some()
    }

    /// Users in flight and queued, for the load meter.
    pub(crate) fn load(&self) -> (u32, u32) {
        match &self.run {
            Some(r) => {
                let s = &r.handle.stats;
                let targeted = s.targeted.load(Ordering::Relaxed);
                let done = s.done.load(Ordering::Relaxed);
                let in_flight = s.in_flight.load(Ordering::Relaxed);
                (
                    in_flight as u32,
                    targeted.saturating_sub(done).saturating_sub(in_flight) as u32,
                )
            }
            None => (0, 0),
        }
    }

    pub(crate) fn next_sync(&self) -> Option<tokio::time::Instant> {
        self.autosync.as_ref().map(|a| a.next)
    }

    /// Stop: no new runs, the running one cancelled (writes in flight finish).
    pub(crate) async fn shutdown(&mut self, ctx: &Ctx) {
        self.stopping = true;
        self.autosync = None;
        if let Some(p) = self.pending.take()
            && let Some(id) = p.request()
        {
            ctx.events
                .refuse(id, RefusalKind::ShuttingDown, "the engine is stopping")
                .await;
        }
        if let Some(r) = &self.run {
            r.handle.cancel.store(true, Ordering::Relaxed);
        }
    }

    // ----------------------------------------------------------------- commands

    pub(crate) async fn command(
        &mut self,
        ctx: &mut Ctx,
        dir: &DirectoryService,
        id: RequestId,
        cmd: MigrationCommand,
    ) -> Vec<Need> {
        match cmd {
            MigrationCommand::Plan {
                scope,
                include_unchanged,
            } => {
                self.request_run(ctx, dir, Some(id), RunKind::Plan, scope, include_unchanged)
                    .await
            }
            MigrationCommand::Migrate {
                scope,
                include_unchanged,
            } => {
                if let Some(r) = write_refusal(ctx) {
                    ctx.events.reply(id, Err(r)).await;
                    return Vec::new();
                }
                self.request_run(
                    ctx,
                    dir,
                    Some(id),
                    RunKind::Migrate,
                    scope,
                    include_unchanged,
                )
                .await
            }
            MigrationCommand::Cancel => {
                self.cancel(ctx).await;
                ctx.events.answer(id, Answer::Accepted).await;
                Vec::new()
            }
            MigrationCommand::RetryFailed => self.retry_failed(ctx, dir, id).await,
            MigrationCommand::SetAutoSync { interval } => {
                if interval.is_some()
                    && let Some(r) = write_refusal(ctx)
                {
                    ctx.events.reply(id, Err(r)).await;
                    return Vec::new();
                }
                let next_run = self.set_autosync(ctx, interval).await;
                ctx.events.answer(id, Answer::AutoSync { next_run }).await;
                Vec::new()
            }
            MigrationCommand::SetSettings(s) => {
                let rematch = ctx.set_settings(s);
                ctx.events.answer(id, Answer::Accepted).await;
                // The matching attribute is read with the members: read them again.
                if rematch && dir.group().is_some() {
                    vec![Need::ReloadMembers]
                } else {
                    Vec::new()
                }
            }
            MigrationCommand::ExportReregister { path } => {
                let outcome = export_reregister(ctx, dir, &path);
                ctx.events.reply(id, outcome).await;
                Vec::new()
            }
            MigrationCommand::SavePlan { path } => {
                let outcome = self.save_plan(ctx, &path);
                ctx.events.reply(id, outcome).await;
                Vec::new()
            }
            MigrationCommand::ApplyPlan {
                path,
                expect_digest,
            } => self.apply_plan(ctx, dir, id, path, expect_digest).await,
            MigrationCommand::Undo { users, apply } => {
                self.request_undo(ctx, dir, id, users, apply).await;
                Vec::new()
            }
        }
    }

    /// Undo from the journal: refused while a run or another undo is in progress, in a
    /// read-only engine (when it writes) and without a sign-in; waits for start-up
    /// reconciliation.
    async fn request_undo(
        &mut self,
        ctx: &Ctx,
        dir: &DirectoryService,
        id: RequestId,
        users: Vec<String>,
        apply: bool,
    ) {
        let users: Vec<String> = users
            .into_iter()
            .map(|u| u.trim().to_string())
            .filter(|u| !u.is_empty())
            .collect();
        let refused = if users.is_empty() {
            Some(refusal(
                RefusalKind::BadInput,
                "no user to undo: name users by object id or UPN",
            ))
        } else if ctx.offline {
            Some(refusal(
                RefusalKind::Unavailable,
                "not signed in: an undo reads the users from Entra",
            ))
        } else if apply {
            write_refusal(ctx)
        } else {
            None
        };
        if let Some(r) = refused {
            ctx.events.reply(id, Err(r)).await;
            return;
        }
        if self.run.is_some() || self.pending.is_some() || self.undo.is_some() {
            ctx.events
                .refuse(
                    id,
                    RefusalKind::Busy,
                    "cannot undo: a run or an undo is already in progress — wait for it or \
                     cancel it first",
                )
                .await;
            return;
        }
        self.pending = Some(Pending::Undo {
            request: id,
            users,
            apply,
        });
        self.start_pending(ctx, dir).await;
    }

    fn spawn_undo(&mut self, ctx: &Ctx, request: RequestId, users: Vec<String>, apply: bool) {
        let job = UndoJob {
            client: ctx.graph().clone(),
            store: ctx.store.clone(),
            tenant: ctx.tenant.clone(),
            actor: ctx.actor().to_string(),
            clock: ctx.clock.clone(),
            hardware: ctx.settings.hardware_oath_available,
            users,
            apply,
        };
        let inbox = self.inbox.clone();
        self.undo = Some(request);
        tokio::spawn(async move {
            let result = job.run().await;
            inbox.send(MigMsg::UndoDone(request, result));
        });
    }

    async fn cancel(&mut self, ctx: &Ctx) {
        if let Some(p) = self.pending.take()
            && let Some(id) = p.request()
        {
            ctx.events
                .refuse(id, RefusalKind::NotReady, "cancelled before it started")
                .await;
        }
        if let Some(r) = &self.run {
            r.handle.cancel.store(true, Ordering::Relaxed);
        }
        if self.cycle == Cycle::Reloading {
            self.cycle = Cycle::Idle;
        }
    }

    async fn request_run(
        &mut self,
        ctx: &Ctx,
        dir: &DirectoryService,
        request: Option<RequestId>,
        kind: RunKind,
        scope: Scope,
        include_unchanged: bool,
    ) -> Vec<Need> {
        if self.run.is_some() || self.pending.is_some() || self.undo.is_some() {
            if let Some(id) = request {
                ctx.events
                    .refuse(
                        id,
                        RefusalKind::Busy,
                        format!(
                            "cannot start a {}: a run is already in progress — wait for it or \
                             cancel it first",
                            kind.name()
                        ),
                    )
                    .await;
            }
            return Vec::new();
        }
        self.pending = Some(Pending::Run {
            request,
            kind,
            scope,
            include_unchanged,
        });
        if dir.group().is_none() {
            let Some(query) = self.config_group.clone() else {
                self.pending = None;
                if let Some(id) = request {
                    ctx.events
                        .refuse(
                            id,
                            RefusalKind::NotReady,
                            "no group is loaded: find the migration group and load its members \
                             first (or set `group` under [migration])",
                        )
                        .await;
                }
                return Vec::new();
            };
            return vec![Need::ConfiguredGroup(query)];
        }
        self.start_pending(ctx, dir).await;
        Vec::new()
    }

    /// Start the pending run if everything it needs is there.
    async fn start_pending(&mut self, ctx: &Ctx, dir: &DirectoryService) {
        if self.run.is_some() || self.undo.is_some() || !self.reconciled || self.stopping {
            return;
        }
        let ready = match &self.pending {
            Some(Pending::Undo { .. }) => true,
            Some(Pending::Run { .. }) => dir.is_ready(),
            Some(Pending::ApplyPlan { file, .. }) => {
                dir.is_ready() && dir.group().map(|g| &g.id) == file.group.as_ref().map(|g| &g.id)
            }
            None => false,
        };
        if !ready {
            return;
        }
        match self.pending.take() {
            Some(Pending::Run {
                request,
                kind,
                scope,
                include_unchanged,
            }) => {
                let targets = targets(ctx, dir, request, &scope, kind).await;
                self.start_run(
                    ctx,
                    dir,
                    request,
                    kind,
                    scope,
                    targets,
                    include_unchanged,
                    None,
                );
            }
            Some(Pending::ApplyPlan { request, file }) => {
                let ids: Vec<String> = file
                    .users
                    .iter()
                    .map(|u| u.plan.user.entra_id.clone())
                    .collect();
                let missing: Vec<&str> = file
                    .users
                    .iter()
                    .filter(|u| dir.member(&u.plan.user.entra_id).is_none())
                    .map(|u| u.plan.user.upn.as_str())
                    .collect();
                if !missing.is_empty() {
                    let group = file.group.as_ref().map_or("?", |g| g.display_name.as_str());
                    ctx.events
                        .refuse(
                            request,
                            RefusalKind::PlanChanged,
                            format!(
                                "the plan writes for {} user(s) who are not members of {group:?} \
                                 now (first: {}); nothing was written",
                                missing.len(),
                                crate::safe_text::terminal(missing[0])
                            ),
                        )
                        .await;
                    return;
                }
                let scope = Scope::Users(ids);
                let targets = targets(ctx, dir, Some(request), &scope, RunKind::ApplyPlan).await;
                let saved: HashMap<String, SavedUser> = file
                    .users
                    .into_iter()
                    .map(|u| (u.plan.user.entra_id.clone(), u))
                    .collect();
                self.start_run(
                    ctx,
                    dir,
                    Some(request),
                    RunKind::ApplyPlan,
                    scope,
                    targets,
                    true,
                    Some(saved),
                );
            }
            Some(Pending::Undo {
                request,
                users,
                apply,
            }) => self.spawn_undo(ctx, request, users, apply),
            None => {}
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn start_run(
        &mut self,
        ctx: &Ctx,
        dir: &DirectoryService,
        request: Option<RequestId>,
        kind: RunKind,
        scope: Scope,
        targets: Vec<Target>,
        include_unchanged: bool,
        saved: Option<HashMap<String, SavedUser>>,
    ) {
        let scope_json = serde_json::json!({
            "group": dir.group().map(|g| (&g.id, &g.display_name)),
            "scope": &scope,
            "include_unchanged": include_unchanged,
            "request": request.map(|r| r.0),
        })
        .to_string();
        let shared = Shared {
            client: ctx.graph().clone(),
            store: ctx.store.clone(),
            data: ctx.data.clone(),
            settings: ctx.settings.clone(),
            tenant: ctx.tenant.clone(),
            actor: ctx.actor().to_string(),
            clock: ctx.clock.clone(),
            events: ctx.events.clone(),
            concurrency: ctx.concurrency,
            request,
        };
        let setup = RunSetup {
            kind,
            targets,
            include_unchanged,
            saved,
            scope: scope_json,
        };
        let handle = run::spawn(shared, setup, self.inbox.clone());
        self.run = Some(Running { handle, request });
        if kind == RunKind::Plan {
            self.last_dry_run = Some(DryRun {
                group: dir.group().cloned(),
                users: Vec::new(),
            });
        }
    }

    async fn retry_failed(
        &mut self,
        ctx: &Ctx,
        dir: &DirectoryService,
        id: RequestId,
    ) -> Vec<Need> {
        if let Some(r) = write_refusal(ctx) {
            ctx.events.reply(id, Err(r)).await;
            return Vec::new();
        }
        let ids: Vec<String> = match ctx
            .store
            .users_with_status(&ctx.tenant, UserStatusKind::RETRYABLE)
        {
            Ok(users) => users
                .into_iter()
                .map(|u| u.entra_id)
                .filter(|id| dir.member(id).is_some())
                .collect(),
            Err(e) => {
                ctx.events
                    .refuse(
                        id,
                        RefusalKind::Failed,
                        format!("finding the users to retry: {e}"),
                    )
                    .await;
                return Vec::new();
            }
        };
        if ids.is_empty() {
            ctx.events
                .refuse(
                    id,
                    RefusalKind::NotFound,
                    "no member of the loaded group has a failed last attempt",
                )
                .await;
            return Vec::new();
        }
        self.request_run(
            ctx,
            dir,
            Some(id),
            RunKind::Migrate,
            Scope::Users(ids),
            true,
        )
        .await
    }

    /// Turn automatic sync on (the first cycle starts now) or off; the next cycle's time.
    async fn set_autosync(
        &mut self,
        ctx: &Ctx,
        interval: Option<Duration>,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        self.autosync = interval.filter(|d| !d.is_zero()).map(|interval| AutoSync {
            interval,
            next: tokio::time::Instant::now(),
        });
        let next_run = self.autosync.as_ref().map(|_| ctx.clock.now());
        ctx.events
            .send(Event::Migration(MigrationEvent::AutoSync { next_run }))
            .await;
        next_run
    }

    fn save_plan(&self, ctx: &Ctx, path: &Path) -> Result<Answer, Refusal> {
        let Some(dry) = &self.last_dry_run else {
            return Err(refusal(
                RefusalKind::NotReady,
                "no dry run to save: plan the group first",
            ));
        };
        if self.run.is_some() {
            return Err(refusal(
                RefusalKind::Busy,
                "the dry run is still going: save it when it has finished",
            ));
        }
        let file = PlanFile {
            format: FORMAT.to_string(),
            created_at: ctx.clock.now(),
            tenant: ctx.tenant.clone(),
            group: dry.group.as_ref().map(|g| PlanGroup {
                id: g.id.clone(),
                display_name: g.display_name.clone(),
            }),
            data_digest: ctx.data.digest(),
            settings: ctx.settings.clone(),
            users: dry.users.clone(),
        };
        file.save(path).map_err(|e| {
            refusal(
                RefusalKind::Failed,
                format!("saving the plan to {}: {e}", path.display()),
            )
        })?;
        Ok(Answer::PlanSaved {
            path: path.to_path_buf(),
            users: file.users.len(),
            digest: file.digest(),
        })
    }

    async fn apply_plan(
        &mut self,
        ctx: &Ctx,
        dir: &DirectoryService,
        id: RequestId,
        path: PathBuf,
        expect_digest: Option<String>,
    ) -> Vec<Need> {
        if let Some(r) = write_refusal(ctx) {
            ctx.events.reply(id, Err(r)).await;
            return Vec::new();
        }
        if self.run.is_some() || self.pending.is_some() || self.undo.is_some() {
            ctx.events
                .refuse(
                    id,
                    RefusalKind::Busy,
                    "a run is already in progress: wait for it or cancel it first",
                )
                .await;
            return Vec::new();
        }
        let file = match PlanFile::load(&path) {
            Ok(f) => f,
            Err(e) => {
                ctx.events
                    .refuse(id, RefusalKind::BadInput, e.to_string())
                    .await;
                return Vec::new();
            }
        };
        let digest = file.digest();
        if let Some(expected) = expect_digest
            && !expected.trim().eq_ignore_ascii_case(&digest)
        {
            ctx.events
                .refuse(
                    id,
                    RefusalKind::PlanChanged,
                    format!(
                        "the plan's digest is {digest}, not the {} the change was approved for: \
                         the file is not the plan that was reviewed; nothing was written",
                        crate::safe_text::terminal(expected.trim())
                    ),
                )
                .await;
            return Vec::new();
        }
        let mut changes = file.changes(&ctx.tenant, &ctx.data.digest(), &ctx.settings);
        let Some(group) = file.group.clone() else {
            ctx.events
                .refuse(
                    id,
                    RefusalKind::BadInput,
                    "the plan names no group: it cannot be checked against the group's members",
                )
                .await;
            return Vec::new();
        };
        if let Some(configured) = &self.config_group
            && !configured.eq_ignore_ascii_case(&group.id)
            && !configured.eq_ignore_ascii_case(&group.display_name)
        {
            changes.push(format!(
                "the plan is for group {:?} ({}), but group {:?} is the one asked for",
                crate::safe_text::terminal(&group.display_name),
                group.id,
                crate::safe_text::terminal(configured)
            ));
        }
        if !changes.is_empty() {
            let message = format!(
                "the saved plan {} (digest {digest}) was not applied; nothing was written:\n  {}",
                path.display(),
                changes.join("\n  ")
            );
            ctx.events
                .refuse(id, RefusalKind::PlanChanged, message)
                .await;
            return Vec::new();
        }
        self.pending = Some(Pending::ApplyPlan {
            request: id,
            file: Box::new(file),
        });
        // The plan's own group, loaded afresh: its users are checked against who is a
        // member now.
        if dir.group().map(|g| &g.id) != Some(&group.id) {
            return vec![Need::Members(group.id)];
        }
        self.start_pending(ctx, dir).await;
        Vec::new()
    }

    // ----------------------------------------------------------------- reports

    pub(crate) async fn report(
        &mut self,
        ctx: &mut Ctx,
        dir: &DirectoryService,
        msg: MigMsg,
    ) -> Vec<Need> {
        match msg {
            MigMsg::Reconciled(summary, errors) => {
                for e in errors {
                    ctx.events.error(None, e.context, e.message).await;
                }
                ctx.events
                    .send(Event::Migration(MigrationEvent::Reconciled(summary)))
                    .await;
                self.reconciled = true;
                self.start_pending(ctx, dir).await;
                Vec::new()
            }
            MigMsg::RunDone(outcome) => self.run_done(ctx, dir, outcome).await,
            MigMsg::DataReloaded(result) => self.data_reloaded(ctx, dir, result).await,
            MigMsg::UndoDone(id, result) => {
                self.undo = None;
                let wrote = result.as_ref().is_ok_and(|r| r.writes > 0);
                ctx.events
                    .reply(id, result.map(|r| Answer::Undo(Box::new(r))))
                    .await;
                self.start_pending(ctx, dir).await;
                if wrote {
                    vec![Need::ForgetMethods]
                } else {
                    Vec::new()
                }
            }
        }
    }

    /// What the directory did that a pending run may wait on.
    pub(crate) async fn members_loaded(&mut self, ctx: &Ctx, dir: &DirectoryService) {
        self.start_pending(ctx, dir).await;
    }

    /// The members a pending run waits on could not be had.
    pub(crate) async fn members_failed(&mut self, ctx: &Ctx, why: &str) {
        // A pending undo waits on reconciliation only, not on members.
        let waits_on_members = !matches!(self.pending, Some(Pending::Undo { .. }));
        if waits_on_members
            && let Some(p) = self.pending.take()
            && let Some(id) = p.request()
        {
            ctx.events
                .refuse(
                    id,
                    RefusalKind::Failed,
                    format!("not started: {}", crate::safe_text::terminal_lines(why)),
                )
                .await;
        }
        if self.cycle == Cycle::Running && self.run.is_none() {
            self.cycle = Cycle::Idle;
        }
    }

    async fn run_done(
        &mut self,
        ctx: &Ctx,
        dir: &DirectoryService,
        outcome: RunOutcome,
    ) -> Vec<Need> {
        let request = self.run.take().and_then(|r| r.request);
        let mut needs = Vec::new();
        match outcome.result {
            RunResult::Finished(end) => {
                // Sent from here, once the engine can take the next run.
                ctx.events
                    .send(Event::Migration(MigrationEvent::Finished(end.clone())))
                    .await;
                if let Some(id) = request {
                    ctx.events.answer(id, Answer::Run(end.clone())).await;
                }
                if outcome.kind.dry_run() {
                    if let Some(d) = &mut self.last_dry_run {
                        d.users = outcome.saved;
                    }
                } else if end.progress.writes > 0 {
                    needs.push(Need::ForgetMethods);
                }
            }
            RunResult::Refused { reasons } => {
                let message = format!(
                    "the saved plan was not applied; nothing was written:\n  {}",
                    reasons.join("\n  ")
                );
                match request {
                    Some(id) => {
                        ctx.events
                            .refuse(id, RefusalKind::PlanChanged, message)
                            .await
                    }
                    None => {
                        ctx.events
                            .error(None, "applying a saved plan", message)
                            .await
                    }
                }
            }
        }
        if self.cycle == Cycle::Running {
            self.cycle = Cycle::Idle;
            if let Some(a) = &mut self.autosync {
                a.next = tokio::time::Instant::now() + a.interval;
                let next_run =
                    ctx.clock.now() + chrono::Duration::from_std(a.interval).unwrap_or_default();
                ctx.events
                    .send(Event::Migration(MigrationEvent::AutoSync {
                        next_run: Some(next_run),
                    }))
                    .await;
            }
        }
        self.start_pending(ctx, dir).await;
        needs
    }

    // ----------------------------------------------------------------- automatic sync

    pub(crate) async fn sync_tick(&mut self, ctx: &Ctx, dir: &DirectoryService) -> Vec<Need> {
        let Some(a) = &mut self.autosync else {
            return Vec::new();
        };
        if self.run.is_some()
            || self.undo.is_some()
            || self.pending.is_some()
            || self.cycle != Cycle::Idle
            || dir.group().is_none()
            || dir.is_loading()
            || !self.reconciled
        {
            // Busy, or no group yet: look again shortly rather than a whole interval on.
            a.next = tokio::time::Instant::now() + Duration::from_secs(1);
            return Vec::new();
        }
        a.next = tokio::time::Instant::now() + a.interval;
        match self.reload.clone() {
            Some(reload) => {
                self.cycle = Cycle::Reloading;
                let inbox = self.inbox.clone();
                tokio::task::spawn_blocking(move || {
                    inbox.send(MigMsg::DataReloaded(reload()));
                });
                Vec::new()
            }
            None => self.sync_run(ctx, dir),
        }
    }

    async fn data_reloaded(
        &mut self,
        ctx: &mut Ctx,
        dir: &DirectoryService,
        result: Result<DataSet, String>,
    ) -> Vec<Need> {
        if self.cycle != Cycle::Reloading {
            return Vec::new();
        }
        match result {
            Ok(data) => {
                if data.digest() != ctx.data.digest() {
                    ctx.set_data(Arc::new(data));
                    ctx.events.send(Event::Data(ctx.data.clone())).await;
                }
                self.sync_run(ctx, dir)
            }
            Err(e) => {
                self.cycle = Cycle::Idle;
                ctx.events
                    .error(None, "re-reading the data file for automatic sync", e)
                    .await;
                Vec::new()
            }
        }
    }

    /// One sync cycle: members again (people join the group), then the changed users.
    fn sync_run(&mut self, _ctx: &Ctx, dir: &DirectoryService) -> Vec<Need> {
        if dir.group().is_none() {
            self.cycle = Cycle::Idle;
            return Vec::new();
        }
        self.cycle = Cycle::Running;
        self.pending = Some(Pending::Run {
            request: None,
            kind: RunKind::Sync,
            scope: Scope::Group,
            include_unchanged: false,
        });
        vec![Need::ReloadMembers]
    }
}

/// The members a run covers. Users asked for who are not members are left out, and
/// said so.
async fn targets(
    ctx: &Ctx,
    dir: &DirectoryService,
    request: Option<RequestId>,
    scope: &Scope,
    kind: RunKind,
) -> Vec<Target> {
    match scope {
        Scope::Group => dir
            .members()
            .iter()
            .map(|m| Target {
                entra: m.entra.clone(),
                matched: m.matched.clone(),
            })
            .collect(),
        Scope::Users(ids) => {
            let mut missing = 0usize;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                match dir.member(id) {
                    Some(m) => out.push(Target {
                        entra: m.entra.clone(),
                        matched: m.matched.clone(),
                    }),
                    None => missing += 1,
                }
            }
            if missing > 0 {
                ctx.events
                    .error(
                        request,
                        format!("starting a {}", kind.name()),
                        format!(
                            "{missing} of the {} users asked for are not members of the loaded \
                             group; they are left out",
                            ids.len()
                        ),
                    )
                    .await;
            }
            out
        }
    }
}

/// The "must re-register the app" list of the loaded group's members (every member the
/// store knows must, whatever run found them; all the tenant's when no group is loaded),
/// as CSV (0600), its directory created.
fn export_reregister(ctx: &Ctx, dir: &DirectoryService, path: &Path) -> Result<Answer, Refusal> {
    let failed = |e: String| {
        refusal(
            RefusalKind::Failed,
            format!("exporting to {}: {e}", path.display()),
        )
    };
    let mut rows = ctx
        .store
        .reregister(&ctx.tenant)
        .map_err(|e| failed(e.to_string()))?;
    if dir.group().is_some() {
        rows.retain(|r| dir.member(&r.entra_id).is_some());
    }
    write_reregister(path, &rows).map_err(|e| failed(e.to_string()))?;
    // The checklist's mig.educate is done when this list has been written.
    if ctx.store.is_writable() {
        let tick = crate::engine::store::StepTick {
            step_id: "mig.educate".into(),
            done: true,
            note: Some(format!(
                "re-registration list written: {} users to {}",
                rows.len(),
                crate::safe_text::terminal(&path.display().to_string())
            )),
            actor: ctx.actor().to_string(),
            at: ctx.clock.now(),
            forced: false,
        };
        if let Err(e) = ctx.store.tick(&ctx.tenant, tick) {
            tracing::warn!("recording the export for the checklist: {e}");
        }
    }
    Ok(Answer::Exported {
        path: path.to_path_buf(),
        users: rows.len(),
    })
}

/// The "must re-register the app" list as CSV (0600, its missing folders 0700, written
/// whole through a temporary file). Every cell is neutralised for spreadsheets and
/// terminals ([`csv_cell`](crate::safe_text::csv_cell)): a device named `=HYPERLINK(…)`
/// stays text.
fn write_reregister(path: &Path, rows: &[ReregisterRow]) -> std::io::Result<()> {
    use crate::safe_text::csv_cell;
    let file = crate::fsx::AtomicFile::create_export(path)?;
    let mut w = csv::Writer::from_writer(file);
    w.write_record([
        "upn",
        "entra_id",
        "mfa_username",
        "devices",
        "codes_imported",
    ])
    .map_err(std::io::Error::other)?;
    for r in rows {
        let devices = r.devices.join("; ");
        w.write_record([
            csv_cell(&r.upn).as_ref(),
            csv_cell(&r.entra_id).as_ref(),
            csv_cell(&r.mfa_username).as_ref(),
            csv_cell(&devices).as_ref(),
            if r.codes_imported { "yes" } else { "no" },
        ])
        .map_err(std::io::Error::other)?;
    }
    w.flush()?;
    let file = w
        .into_inner()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(file.commit()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reregister_csv_cannot_run_formulas() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("reregister.csv");
        write_reregister(
            &path,
            &[ReregisterRow {
                upn: "a@contoso.com".into(),
                entra_id: "1".into(),
                mfa_username: "CONTOSO\\a".into(),
                devices: vec!["=HYPERLINK(\"http://evil\")".into(), "iPhone\x1b[2J".into()],
                codes_imported: false,
            }],
        )?;
        let text = std::fs::read_to_string(&path)?;
        assert!(text.contains("'=HYPERLINK"), "{text}");
        assert!(!text.contains('\x1b'), "{text:?}");
        Ok(())
    }
}
