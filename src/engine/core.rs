//! The engine task: the one owner of the engine's state. It takes commands, starts the
//! work they ask for in tasks of their own, hears back from those tasks, and sends the
//! events. Nothing here waits on Graph or the disk for long: the loop stays free to
//! answer a `Cancel` or a `Shutdown` at any time.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::directory::{self, MethodsService};
use super::planfile::{FORMAT, PlanFile, PlanGroup, SavedUser};
use super::protocol::{
    Command, DirectoryCommand, DirectoryEvent, EngineEnd, EngineError, EngineLoad, Event,
    GroupInfo, Member, MigrationCommand, MigrationEvent, Reconciliation, Scope,
};
use super::reconcile::Reconciler;
use super::run::{self, RunHandle, RunKind, RunOutcome, RunSetup, Shared, Target};
use super::{Clock, DataLoader, EngineDeps};
use crate::datafile::DataSet;
use crate::graph::model::Group;
use crate::graph::{GraphClient, GraphError, Identity};
use crate::migrate::{EntraMethods, Matcher, MigrationSettings, ReregisterRow};

/// What the engine's own tasks report back.
pub(crate) enum Internal {
    Reconciled(Reconciliation, Vec<EngineError>),
    Groups {
        query: String,
        result: Result<Vec<Group>, GraphError>,
    },
    MembersPage {
        generation: u64,
        group_id: String,
        page: Vec<Member>,
        done: bool,
    },
    MembersFailed {
        generation: u64,
        group_id: String,
        error: String,
    },
    Methods(Vec<(String, Result<Box<EntraMethods>, String>)>),
    RunDone(RunOutcome),
    DataReloaded(Result<DataSet, String>),
}

/// A run asked for before the engine could start it (members still loading, start-up
/// reconciliation not finished).
#[derive(Debug)]
enum Pending {
    Run {
        kind: RunKind,
        scope: Scope,
        include_unchanged: bool,
    },
    ApplyPlan {
        path: PathBuf,
        file: Box<PlanFile>,
    },
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

struct Core {
    client: GraphClient,
    store: super::Store,
    identity: Identity,
    tenant: String,
    clock: Arc<dyn Clock>,
    reload: Option<DataLoader>,
    concurrency: usize,
    events: mpsc::Sender<Event>,
    internal: mpsc::UnboundedSender<Internal>,

    data: Arc<DataSet>,
    settings: MigrationSettings,
    matcher: Arc<Matcher>,

    found: HashMap<String, GroupInfo>,
    group: Option<GroupInfo>,
    /// `[migration] group`, loaded for a run asked for before any group was.
    config_group: Option<String>,
    /// A lookup of `config_group` is under way for a pending run.
    resolving_group: bool,
    members: Vec<Member>,
    member_index: HashMap<String, usize>,
    generation: u64,
    members_task: Option<tokio::task::JoinHandle<()>>,
    members_loading: bool,

    reconciled: bool,
    run: Option<RunHandle>,
    pending: Option<Pending>,
    last_dry_run: Option<Vec<SavedUser>>,
    reregister: Option<Vec<ReregisterRow>>,

    methods: MethodsService,
    autosync: Option<AutoSync>,
    cycle: Cycle,
    stopping: bool,

    load: LoadMeter,
}

/// The engine's load figures from the client's counters.
struct LoadMeter {
    last: Option<(Instant, crate::graph::ClientStats)>,
    throttled: VecDeque<(Instant, u64)>,
    shown: EngineLoad,
}

fn tenant_of(identity: &Identity) -> String {
    if !identity.tenant_id.trim().is_empty() {
        identity.tenant_id.clone()
    } else {
        identity
            .tenant_name
            .clone()
            .unwrap_or_else(|| "unknown-tenant".to_string())
    }
}

/// The engine task.
pub(crate) async fn run(deps: EngineDeps, mut end: EngineEnd) {
    let (internal, mut internal_rx) = mpsc::unbounded_channel();
    let EngineDeps {
        data,
        client,
        calls,
        identity,
        store,
        config,
        clock,
        reload,
    } = deps;
    let mut settings = config.settings.clone();
    settings.hardware_oath_available = identity.cloud.has_hardware_oath();
    let events = end.events.clone();
    // Every Graph call, for the activity log; forwarded apart from the loop, so a slow
    // front end holds up only this forwarding.
    if let Some(mut calls) = calls {
        let events = events.clone();
        tokio::spawn(async move {
            while let Some(record) = calls.recv().await {
                if events.send(Event::Activity(record)).await.is_err() {
                    break;
                }
            }
        });
    }
    let mut core = Core {
        tenant: tenant_of(&identity),
        matcher: Arc::new(Matcher::new(&data, &settings)),
        methods: MethodsService::start(client.clone(), config.methods_ttl, internal.clone()),
        client,
        store,
        identity,
        clock,
        reload,
        concurrency: config.concurrency.max(1),
        events,
        internal,
        data,
        settings,
        found: HashMap::new(),
        group: None,
        config_group: config.group.clone().filter(|g| !g.trim().is_empty()),
        resolving_group: false,
        members: Vec::new(),
        member_index: HashMap::new(),
        generation: 0,
        members_task: None,
        members_loading: false,
        reconciled: false,
        run: None,
        pending: None,
        last_dry_run: None,
        reregister: None,
        autosync: None,
        cycle: Cycle::Idle,
        stopping: false,
        load: LoadMeter {
            last: None,
            throttled: VecDeque::new(),
            shown: EngineLoad::default(),
        },
    };
    core.send(Event::Session(core.identity.clone())).await;
    core.send(Event::Data(core.data.clone())).await;
    core.start_reconciliation();
    if let Some(interval) = config.sync_interval {
        core.set_autosync(Some(interval)).await;
    }

    let mut load_tick = tokio::time::interval(Duration::from_millis(500));
    load_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        let next_sync = core.autosync.as_ref().map(|a| a.next);
        tokio::select! {
            biased;
            Some(msg) = internal_rx.recv() => core.internal(msg).await,
            cmd = end.commands.recv(), if !core.stopping => match cmd {
                Some(cmd) => core.command(cmd).await,
                // The front end is gone: stop as for `Shutdown`.
                None => core.shutdown(),
            },
            _ = sleep_until(next_sync) => core.sync_tick().await,
            _ = load_tick.tick() => core.emit_load().await,
        }
        if core.stopping && core.run.is_none() {
            break;
        }
    }
    if let Some(t) = core.members_task.take() {
        t.abort();
    }
    if let Err(e) = core.store.flush().await {
        core.error("stopping", format!("state store: {e}")).await;
    }
    core.store.close();
    core.send(Event::Stopped).await;
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

impl Core {
    async fn send(&self, event: Event) {
        let _ = self.events.send(event).await;
    }

    async fn error(&self, context: impl Into<String>, message: impl Into<String>) {
        let context = context.into();
        let message = message.into();
        tracing::warn!(%context, %message, "engine error");
        self.send(Event::Error(EngineError { context, message }))
            .await;
    }

    fn shared(&self) -> Shared {
        Shared {
            client: self.client.clone(),
            store: self.store.clone(),
            data: self.data.clone(),
            settings: self.settings.clone(),
            tenant: self.tenant.clone(),
            actor: self.identity.account.clone(),
            clock: self.clock.clone(),
            events: self.events.clone(),
            concurrency: self.concurrency,
        }
    }

    fn start_reconciliation(&self) {
        let (client, store, tenant, actor, clock) = (
            self.client.clone(),
            self.store.clone(),
            self.tenant.clone(),
            self.identity.account.clone(),
            self.clock.clone(),
        );
        let hardware = self.settings.hardware_oath_available;
        let tx = self.internal.clone();
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
            let _ = tx.send(Internal::Reconciled(summary, errors));
        });
    }

    // ----------------------------------------------------------------- commands

    async fn command(&mut self, cmd: Command) {
        match cmd {
            Command::Directory(d) => self.directory(d).await,
            Command::Migration(m) => self.migration(m).await,
            Command::Shutdown => self.shutdown(),
        }
    }

    fn shutdown(&mut self) {
        self.stopping = true;
        self.pending = None;
        self.autosync = None;
        if let Some(r) = &self.run {
            r.cancel.store(true, Ordering::Relaxed);
        }
    }

    async fn directory(&mut self, cmd: DirectoryCommand) {
        match cmd {
            DirectoryCommand::FindGroup { query } => {
                let (client, tx) = (self.client.clone(), self.internal.clone());
                tokio::spawn(async move {
                    let result = client.find_groups(&query).await;
                    let _ = tx.send(Internal::Groups { query, result });
                });
            }
            DirectoryCommand::LoadMembers { group_id } => self.load_members(group_id),
            DirectoryCommand::ReadMethods { users } => {
                for (user, methods) in self.methods.request(users) {
                    self.send(Event::Directory(DirectoryEvent::Methods { user, methods }))
                        .await;
                }
            }
        }
    }

    fn load_members(&mut self, group_id: String) {
        if let Some(t) = self.members_task.take() {
            t.abort();
        }
        self.generation += 1;
        self.members.clear();
        self.member_index.clear();
        self.members_loading = true;
        self.group = Some(self.found.get(&group_id).cloned().unwrap_or(GroupInfo {
            id: group_id.clone(),
            display_name: group_id.clone(),
            dynamic: false,
        }));
        let task = directory::load_members(
            self.client.clone(),
            group_id,
            directory::member_select(&self.settings),
            self.matcher.clone(),
            self.generation,
            self.internal.clone(),
        );
        self.members_task = Some(tokio::spawn(task));
    }

    async fn migration(&mut self, cmd: MigrationCommand) {
        match cmd {
            MigrationCommand::Plan {
                scope,
                include_unchanged,
            } => {
                self.request_run(RunKind::Plan, scope, include_unchanged)
                    .await
            }
            MigrationCommand::Migrate {
                scope,
                include_unchanged,
            } => {
                self.request_run(RunKind::Migrate, scope, include_unchanged)
                    .await
            }
            MigrationCommand::Cancel => {
                self.pending = None;
                if let Some(r) = &self.run {
                    r.cancel.store(true, Ordering::Relaxed);
                }
                if self.cycle == Cycle::Reloading {
                    self.cycle = Cycle::Idle;
                }
            }
            MigrationCommand::RetryFailed => self.retry_failed().await,
            MigrationCommand::SetAutoSync { interval } => self.set_autosync(interval).await,
            MigrationCommand::SetSettings(s) => self.set_settings(s),
            MigrationCommand::ExportReregister { path } => self.export_reregister(path).await,
            MigrationCommand::SavePlan { path } => self.save_plan(path).await,
            MigrationCommand::ApplyPlan { path } => self.apply_plan(path).await,
        }
    }

    async fn request_run(&mut self, kind: RunKind, scope: Scope, include_unchanged: bool) {
        if self.run.is_some() {
            self.error(
                format!("starting a {}", kind.name()),
                "a run is already in progress: wait for it or cancel it first",
            )
            .await;
            return;
        }
        if self.group.is_none() {
            let Some(query) = self.config_group.clone() else {
                self.error(
                    format!("starting a {}", kind.name()),
                    "no group is loaded: find the migration group and load its members first \
                     (or set `group` under [migration])",
                )
                .await;
                return;
            };
            // The configured group: find it, load its members, then run.
            self.pending = Some(Pending::Run {
                kind,
                scope,
                include_unchanged,
            });
            if !self.resolving_group {
                self.resolving_group = true;
                let (client, tx) = (self.client.clone(), self.internal.clone());
                tokio::spawn(async move {
                    let result = client.find_groups(&query).await;
                    let _ = tx.send(Internal::Groups { query, result });
                });
            }
            return;
        }
        self.pending = Some(Pending::Run {
            kind,
            scope,
            include_unchanged,
        });
        self.start_pending().await;
    }

    /// Start the pending run if everything it needs is there.
    async fn start_pending(&mut self) {
        if self.run.is_some() || !self.reconciled || self.stopping {
            return;
        }
        let ready = match &self.pending {
            Some(Pending::Run { .. }) => self.group.is_some() && !self.members_loading,
            Some(Pending::ApplyPlan { .. }) => true,
            None => false,
        };
        if !ready {
            return;
        }
        match self.pending.take() {
            Some(Pending::Run {
                kind,
                scope,
                include_unchanged,
            }) => self.start_run(kind, scope, include_unchanged, None).await,
            Some(Pending::ApplyPlan { path, file }) => {
                self.start_run(RunKind::ApplyPlan, Scope::Group, true, Some((path, *file)))
                    .await
            }
            None => {}
        }
    }

    async fn start_run(
        &mut self,
        kind: RunKind,
        scope: Scope,
        include_unchanged: bool,
        saved: Option<(PathBuf, PlanFile)>,
    ) {
        let targets: Vec<Target> = match (&scope, &saved) {
            (_, Some(_)) => Vec::new(),
            (Scope::Group, None) => self
                .members
                .iter()
                .map(|m| Target {
                    entra: m.entra.clone(),
                    matched: m.matched.clone(),
                })
                .collect(),
            (Scope::Users(ids), None) => {
                let mut missing = 0usize;
                let mut targets = Vec::with_capacity(ids.len());
                for id in ids {
                    match self.member_index.get(id).and_then(|i| self.members.get(*i)) {
                        Some(m) => targets.push(Target {
                            entra: m.entra.clone(),
                            matched: m.matched.clone(),
                        }),
                        None => missing += 1,
                    }
                }
                if missing > 0 {
                    self.error(
                        format!("starting a {}", kind.name()),
                        format!(
                            "{missing} of the {} users asked for are not members of the loaded \
                             group; they are left out",
                            ids.len()
                        ),
                    )
                    .await;
                }
                targets
            }
        };
        let scope_json = serde_json::json!({
            "group": self.group.as_ref().map(|g| (&g.id, &g.display_name)),
            "scope": &scope,
            "include_unchanged": include_unchanged,
            "plan_file": saved.as_ref().map(|(p, _)| p.display().to_string()),
        })
        .to_string();
        let setup = RunSetup {
            kind,
            targets,
            include_unchanged,
            saved,
            scope: scope_json,
        };
        let handle = run::spawn(self.shared(), setup, self.internal.clone());
        self.run = Some(handle);
    }

    async fn retry_failed(&mut self) {
        let mut ids = Vec::new();
        for status in ["failed", "mismatch", "interrupted"] {
            match self.store.users_with_status(&self.tenant, status) {
                Ok(users) => ids.extend(
                    users
                        .into_iter()
                        .map(|u| u.entra_id)
                        .filter(|id| self.member_index.contains_key(id)),
                ),
                Err(e) => {
                    self.error("finding the users to retry", e.to_string())
                        .await;
                    return;
                }
            }
        }
        if ids.is_empty() {
            self.error(
                "retrying failed users",
                "no member of the loaded group has a failed last attempt",
            )
            .await;
            return;
        }
        self.request_run(RunKind::Migrate, Scope::Users(ids), true)
            .await;
    }

    /// Turn automatic sync on (the first cycle starts now) or off.
    async fn set_autosync(&mut self, interval: Option<Duration>) {
        self.autosync = interval.filter(|d| !d.is_zero()).map(|interval| AutoSync {
            interval,
            next: tokio::time::Instant::now(),
        });
        let next_run = self.autosync.as_ref().map(|_| self.clock.now());
        self.send(Event::Migration(MigrationEvent::AutoSync { next_run }))
            .await;
    }

    fn set_settings(&mut self, mut s: MigrationSettings) {
        // Hardware OATH depends on the cloud signed in to, not on a setting.
        s.hardware_oath_available = self.settings.hardware_oath_available;
        let rematch = s.match_attribute != self.settings.match_attribute;
        self.settings = s;
        if rematch {
            self.matcher = Arc::new(Matcher::new(&self.data, &self.settings));
            // The matching attribute is read with the members: read them again.
            if let Some(g) = self.group.clone() {
                self.load_members(g.id);
            }
        }
    }

    async fn export_reregister(&mut self, path: PathBuf) {
        let Some(rows) = &self.reregister else {
            self.error(
                format!("exporting {}", path.display()),
                "nothing to export yet: plan or migrate the group first",
            )
            .await;
            return;
        };
        match write_reregister(&path, rows) {
            Ok(()) => {
                let users = rows.len();
                self.send(Event::Migration(MigrationEvent::Exported { path, users }))
                    .await
            }
            Err(e) => {
                self.error(format!("exporting {}", path.display()), e.to_string())
                    .await
            }
        }
    }

    async fn save_plan(&mut self, path: PathBuf) {
        let Some(users) = &self.last_dry_run else {
            self.error(
                format!("saving the plan to {}", path.display()),
                "no dry run to save: plan the group first",
            )
            .await;
            return;
        };
        let file = PlanFile {
            format: FORMAT.to_string(),
            created_at: self.clock.now(),
            tenant: self.tenant.clone(),
            group: self.group.as_ref().map(|g| PlanGroup {
                id: g.id.clone(),
                display_name: g.display_name.clone(),
            }),
            data_digest: self.data.digest(),
            settings: self.settings.clone(),
            users: users.clone(),
        };
        match file.save(&path) {
            Ok(()) => {
                let users = file.users.len();
                self.send(Event::Migration(MigrationEvent::PlanSaved { path, users }))
                    .await
            }
            Err(e) => {
                self.error(
                    format!("saving the plan to {}", path.display()),
                    e.to_string(),
                )
                .await
            }
        }
    }

    async fn apply_plan(&mut self, path: PathBuf) {
        if self.run.is_some() {
            self.error(
                "applying a saved plan",
                "a run is already in progress: wait for it or cancel it first",
            )
            .await;
            return;
        }
        let refuse = |reasons: Vec<String>| {
            Event::Migration(MigrationEvent::PlanRefused {
                path: path.clone(),
                reasons,
            })
        };
        let file = match PlanFile::load(&path) {
            Ok(f) => f,
            Err(e) => {
                self.send(refuse(vec![e.to_string()])).await;
                return;
            }
        };
        let changes = file.changes(&self.tenant, &self.data.digest(), &self.settings);
        if !changes.is_empty() {
            self.send(refuse(changes)).await;
            return;
        }
        if let Some(g) = &file.group
            && self.group.is_none()
        {
            self.group = Some(GroupInfo {
                id: g.id.clone(),
                display_name: g.display_name.clone(),
                dynamic: false,
            });
        }
        self.pending = Some(Pending::ApplyPlan {
            path,
            file: Box::new(file),
        });
        self.start_pending().await;
    }

    // ----------------------------------------------------------------- reports back

    async fn internal(&mut self, msg: Internal) {
        match msg {
            Internal::Reconciled(summary, errors) => {
                for e in errors {
                    self.error(e.context, e.message).await;
                }
                self.send(Event::Migration(MigrationEvent::Reconciled(summary)))
                    .await;
                self.reconciled = true;
                self.start_pending().await;
            }
            Internal::Groups { query, result } => match result {
                Ok(groups) => {
                    let infos: Vec<GroupInfo> = groups.iter().map(directory::group_info).collect();
                    for g in &infos {
                        self.found.insert(g.id.clone(), g.clone());
                    }
                    let for_run = self.resolving_group
                        && self.config_group.as_deref() == Some(query.as_str());
                    if for_run {
                        self.resolving_group = false;
                        if let [g] = infos.as_slice() {
                            self.load_members(g.id.clone());
                        } else if self.pending.take().is_some() {
                            let why = if infos.is_empty() {
                                "no group carries that name or id".to_string()
                            } else {
                                format!(
                                    "{} groups carry that name: name the group by object id",
                                    infos.len()
                                )
                            };
                            self.error(
                                format!("loading the configured group {query:?}"),
                                format!("{why}; the run did not start"),
                            )
                            .await;
                        }
                    }
                    let mut infos = infos;
                    let event = match infos.len() {
                        0 => DirectoryEvent::GroupNotFound { query },
                        1 => match infos.pop() {
                            Some(g) => DirectoryEvent::GroupFound(g),
                            None => DirectoryEvent::GroupNotFound { query },
                        },
                        _ => DirectoryEvent::GroupAmbiguous {
                            query,
                            candidates: infos,
                        },
                    };
                    self.send(Event::Directory(event)).await;
                }
                Err(e) => {
                    if self.resolving_group && self.config_group.as_deref() == Some(query.as_str())
                    {
                        self.resolving_group = false;
                        self.pending = None;
                    }
                    self.error(format!("finding the group {query:?}"), e.explanation())
                        .await
                }
            },
            Internal::MembersPage {
                generation,
                group_id,
                page,
                done,
            } => {
                if generation != self.generation {
                    return;
                }
                for m in &page {
                    self.member_index
                        .insert(m.entra.id.clone(), self.members.len());
                    self.members.push(m.clone());
                }
                let loaded = self.members.len();
                self.send(Event::Directory(DirectoryEvent::Members {
                    group_id,
                    page,
                    loaded,
                    done,
                }))
                .await;
                if done {
                    self.members_loading = false;
                    self.members_task = None;
                    self.start_pending().await;
                }
            }
            Internal::MembersFailed {
                generation,
                group_id,
                error,
            } => {
                if generation != self.generation {
                    return;
                }
                self.members_loading = false;
                self.members_task = None;
                let name = self
                    .group
                    .as_ref()
                    .map_or(group_id, |g| g.display_name.clone());
                self.error(format!("loading the members of {name:?}"), error)
                    .await;
                if matches!(self.pending, Some(Pending::Run { .. })) {
                    self.pending = None;
                    self.error(
                        "starting the run",
                        "not started: the group's members could not be read",
                    )
                    .await;
                }
                if self.cycle == Cycle::Running && self.run.is_none() {
                    self.cycle = Cycle::Idle;
                }
            }
            Internal::Methods(answers) => {
                for (user, methods) in answers {
                    self.methods.store(&user, &methods);
                    self.send(Event::Directory(DirectoryEvent::Methods { user, methods }))
                        .await;
                }
            }
            Internal::RunDone(outcome) => self.run_done(outcome).await,
            Internal::DataReloaded(result) => self.data_reloaded(result).await,
        }
    }

    async fn run_done(&mut self, outcome: RunOutcome) {
        self.run = None;
        // Sent from here, once the engine can take the next run.
        self.send(Event::Migration(outcome.end.clone().event()))
            .await;
        if outcome.kind.dry_run() {
            self.last_dry_run = Some(outcome.saved);
        }
        if outcome.kind != RunKind::ApplyPlan || !outcome.reregister.is_empty() {
            self.reregister = Some(outcome.reregister);
        }
        if self.cycle == Cycle::Running {
            self.cycle = Cycle::Idle;
            if let Some(a) = &mut self.autosync {
                a.next = tokio::time::Instant::now() + a.interval;
                let next_run =
                    self.clock.now() + chrono::Duration::from_std(a.interval).unwrap_or_default();
                self.send(Event::Migration(MigrationEvent::AutoSync {
                    next_run: Some(next_run),
                }))
                .await;
            }
        }
        // Cached methods are stale after writes.
        if !outcome.kind.dry_run() {
            for m in &self.members {
                self.methods.invalidate(&m.entra.id);
            }
        }
        self.start_pending().await;
    }

    // ----------------------------------------------------------------- automatic sync

    async fn sync_tick(&mut self) {
        let Some(a) = &mut self.autosync else { return };
        if self.run.is_some()
            || self.cycle != Cycle::Idle
            || self.group.is_none()
            || self.members_loading
            || !self.reconciled
        {
            // Busy, or no group yet: look again shortly rather than a whole interval on.
            a.next = tokio::time::Instant::now() + Duration::from_secs(1);
            return;
        }
        a.next = tokio::time::Instant::now() + a.interval;
        match self.reload.clone() {
            Some(reload) => {
                self.cycle = Cycle::Reloading;
                let tx = self.internal.clone();
                tokio::task::spawn_blocking(move || {
                    let _ = tx.send(Internal::DataReloaded(reload()));
                });
            }
            None => self.sync_run(),
        }
    }

    async fn data_reloaded(&mut self, result: Result<DataSet, String>) {
        if self.cycle != Cycle::Reloading {
            return;
        }
        match result {
            Ok(data) => {
                if data.digest() != self.data.digest() {
                    self.data = Arc::new(data);
                    self.matcher = Arc::new(Matcher::new(&self.data, &self.settings));
                    self.send(Event::Data(self.data.clone())).await;
                }
                self.sync_run();
            }
            Err(e) => {
                self.cycle = Cycle::Idle;
                self.error("re-reading the data file for automatic sync", e)
                    .await;
            }
        }
    }

    /// One sync cycle: members again (people join the group), then the changed users.
    fn sync_run(&mut self) {
        let Some(g) = self.group.clone() else {
            self.cycle = Cycle::Idle;
            return;
        };
        self.cycle = Cycle::Running;
        self.load_members(g.id);
        self.pending = Some(Pending::Run {
            kind: RunKind::Sync,
            scope: Scope::Group,
            include_unchanged: false,
        });
    }

    // ----------------------------------------------------------------- load

    async fn emit_load(&mut self) {
        let now = Instant::now();
        let stats = self.client.stats();
        let m = &mut self.load;
        let (rps, wps) = match m.last {
            Some((at, prev)) => {
                let secs = now.duration_since(at).as_secs_f64().max(1e-3);
                (
                    stats.operations.saturating_sub(prev.operations) as f64 / secs,
                    stats.writes.saturating_sub(prev.writes) as f64 / secs,
                )
            }
            None => (0.0, 0.0),
        };
        m.last = Some((now, stats));
        m.throttled.push_back((now, stats.throttled));
        while m
            .throttled
            .front()
            .is_some_and(|(at, _)| now.duration_since(*at) > Duration::from_secs(60))
        {
            m.throttled.pop_front();
        }
        let oldest = m.throttled.front().map_or(stats.throttled, |(_, t)| *t);
        let (in_flight, queued) = match &self.run {
            Some(r) => {
                let s = &r.stats;
                let targeted = s.targeted.load(Ordering::Relaxed);
                let done = s.done.load(Ordering::Relaxed);
                let in_flight = s.in_flight.load(Ordering::Relaxed);
                (
                    in_flight as u32,
                    targeted.saturating_sub(done).saturating_sub(in_flight) as u32,
                )
            }
            None => (0, 0),
        };
        let load = EngineLoad {
            requests_per_sec: (rps * 10.0).round() / 10.0,
            writes_per_sec: (wps * 10.0).round() / 10.0,
            throttled_recent: stats.throttled.saturating_sub(oldest) as u32,
            in_flight,
            queued,
        };
        if load != m.shown {
            m.shown = load.clone();
            self.send(Event::Load(load)).await;
        }
    }
}

/// The "must re-register the app" list as CSV (0600, its missing folders 0700, written
/// whole through a temporary file). Every cell is neutralised for spreadsheets and
/// terminals ([`safe_text::csv_cell`](crate::safe_text::csv_cell)): a device named
/// `=HYPERLINK(…)` stays text.
fn write_reregister(path: &std::path::Path, rows: &[ReregisterRow]) -> std::io::Result<()> {
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
