//! The engine task: the one owner of the engine's state. It takes requests, routes each
//! to the service of its domain, routes the reports of the services' own tasks back to
//! them, passes on what one service needs of another, and sends the load figures.
//! Nothing here waits on Graph or the disk for long: the loop stays free to answer a
//! `Cancel` or a `Shutdown` at any time.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::context::{Ctx, Events, Inbox};
use super::cutover::{CutMsg, CutoverService, InventoryFacts};
use super::directory::{DirMsg, DirNews, DirectoryService, Lookup};
use super::inventory::{InvMsg, InventoryService};
use super::migration::{MigMsg, MigrationService, Need};
use super::protocol::{
    Answer, Command, EngineLoad, Event, RefusalKind, Request, RequestId, SessionCommand,
};
use super::start::DelegatedSignIn;
use crate::graph::{CallRecord, GraphClient, Identity};

/// What the services' tasks report back, by service.
pub(crate) enum Internal {
    Directory(DirMsg),
    Migration(MigMsg),
    Cutover(CutMsg),
    Inventory(InvMsg),
    SignedIn {
        request: RequestId,
        result: Result<(GraphClient, Identity), String>,
    },
    Consented {
        request: RequestId,
        result: Result<(Identity, Vec<crate::graph::auth::RefusedCapability>), String>,
    },
}

/// What the core is started with.
pub(crate) struct Parts {
    pub ctx: Ctx,
    pub calls: Option<mpsc::UnboundedReceiver<CallRecord>>,
    pub config_group: Option<String>,
    pub sync_interval: Option<Duration>,
    pub methods_ttl: Duration,
    pub reload: Option<super::DataLoader>,
    pub delegated: Option<DelegatedSignIn>,
    /// The sign-in itself, for incremental consent.
    pub auth: Option<Arc<tokio::sync::Mutex<crate::graph::auth::Session>>>,
    /// The configured waves (`[[waves]]`).
    pub waves: Vec<crate::rollout::Wave>,
    /// The exports the dependency inventory reads (`[inventory]`).
    pub inventory: crate::config::InventorySources,
}

struct Core {
    ctx: Ctx,
    directory: DirectoryService,
    migration: MigrationService,
    cutover: CutoverService,
    inventory: InventoryService,
    /// Cutover requests that came while the inventory was being built: their interlocks
    /// and checks need it.
    deferred: Vec<(RequestId, Command)>,
    delegated: Option<DelegatedSignIn>,
    auth: Option<Arc<tokio::sync::Mutex<crate::graph::auth::Session>>>,
    internal: mpsc::UnboundedSender<Internal>,
    stopping: bool,
    load: LoadMeter,
}

/// The engine's load figures from the client's counters.
struct LoadMeter {
    last: Option<(Instant, crate::graph::ClientStats)>,
    throttled: VecDeque<(Instant, u64)>,
    shown: EngineLoad,
}

/// The engine task.
pub(crate) async fn run(parts: Parts, mut requests: mpsc::Receiver<Request>) {
    let (internal, mut internal_rx) = mpsc::unbounded_channel();
    let Parts {
        ctx,
        calls,
        config_group,
        sync_interval,
        methods_ttl,
        reload,
        delegated,
        auth,
        waves,
        inventory,
    } = parts;
    // Every Graph call, for the activity log; forwarded apart from the loop, so a slow
    // front end holds up only this forwarding.
    if let Some(mut calls) = calls {
        let events = ctx.events.clone();
        tokio::spawn(async move {
            while let Some(record) = calls.recv().await {
                events.send(Event::Activity(record)).await;
            }
        });
    }
    let dir_inbox = Inbox::new(internal.clone(), Internal::Directory);
    let mig_inbox = Inbox::new(internal.clone(), Internal::Migration);
    let cut_inbox = Inbox::new(internal.clone(), Internal::Cutover);
    let inv_inbox = Inbox::new(internal.clone(), Internal::Inventory);
    let mut core = Core {
        directory: DirectoryService::new(&ctx, dir_inbox, methods_ttl),
        migration: MigrationService::new(mig_inbox, config_group, reload),
        cutover: CutoverService::new(cut_inbox, waves),
        inventory: InventoryService::new(inv_inbox, inventory),
        deferred: Vec::new(),
        ctx,
        delegated,
        auth,
        internal,
        stopping: false,
        load: LoadMeter {
            last: None,
            throttled: VecDeque::new(),
            shown: EngineLoad::default(),
        },
    };
    core.ctx
        .events
        .send(Event::Session(Box::new(core.ctx.session.info())))
        .await;
    core.ctx
        .events
        .send(Event::Data(core.ctx.data.clone()))
        .await;
    core.record_datafiles();
    core.migration.start(&core.ctx, sync_interval).await;
    core.cutover.start(&core.ctx);
    core.inventory.start(&core.ctx);

    let mut load_tick = tokio::time::interval(Duration::from_millis(500));
    load_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        let next_sync = core.migration.next_sync();
        tokio::select! {
            biased;
            Some(msg) = internal_rx.recv() => core.internal(msg).await,
            req = requests.recv(), if !core.stopping => match req {
                Some(req) => core.request(req).await,
                // The front end is gone: stop as for `Shutdown`.
                None => core.shutdown().await,
            },
            _ = sleep_until(next_sync) => {
                let needs = core.migration.sync_tick(&core.ctx, &core.directory).await;
                core.needs(needs).await;
            }
            _ = load_tick.tick() => core.emit_load().await,
        }
        if core.stopping && !core.migration.is_running() {
            break;
        }
    }
    // Requests that arrived while stopping are answered, so no caller waits for ever.
    requests.close();
    while let Ok(req) = requests.try_recv() {
        core.ctx
            .events
            .refuse(req.id, RefusalKind::ShuttingDown, "the engine is stopping")
            .await;
    }
    drop(core.directory);
    if let Err(e) = core.ctx.store.flush().await {
        core.ctx
            .events
            .error(None, "stopping", format!("state store: {e}"))
            .await;
    }
    core.ctx.store.close();
    core.ctx.events.send(Event::Stopped).await;
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

impl Core {
    async fn request(&mut self, req: Request) {
        let Request { id, command } = req;
        match command {
            Command::Session(SessionCommand::SignInDelegated) => self.sign_in(id).await,
            Command::Session(SessionCommand::Consent(c)) => self.consent(id, c).await,
            Command::Directory(d) => self.directory.command(&self.ctx, id, d).await,
            Command::Records(r) => super::records::command(&self.ctx, id, r),
            Command::Inventory(c) => self.inventory.command(&self.ctx, id, c).await,
            c @ (Command::Rollout(_)
            | Command::Federation(_)
            | Command::Preflight
            | Command::Checklist(_)) => {
                if self.inventory.is_building() {
                    self.deferred.push((id, c));
                    return;
                }
                let inventory = self.inventory_facts();
                self.cutover.command(&self.ctx, id, c, inventory).await
            }
            Command::Migration(m) => {
                let needs = self
                    .migration
                    .command(&mut self.ctx, &self.directory, id, m)
                    .await;
                self.needs(needs).await;
            }
            Command::Shutdown => {
                self.shutdown().await;
                self.ctx.events.answer(id, Answer::Accepted).await;
            }
        }
    }

    async fn shutdown(&mut self) {
        self.stopping = true;
        self.migration.shutdown(&self.ctx).await;
    }

    /// Pass on what the migration service needs of the directory.
    async fn needs(&mut self, needs: Vec<Need>) {
        for need in needs {
            match need {
                Need::ConfiguredGroup(query) => {
                    self.directory
                        .look_up(&self.ctx, None, Lookup::ForRun, query)
                }
                Need::Members(group_id) => self.directory.load(&self.ctx, group_id, None).await,
                Need::ReloadMembers => {
                    if !self.directory.reload(&self.ctx).await {
                        self.migration
                            .members_failed(&self.ctx, "no group is loaded")
                            .await;
                    }
                }
                Need::ForgetMethods => self.directory.forget_methods(),
            }
        }
    }

    async fn internal(&mut self, msg: Internal) {
        match msg {
            Internal::Directory(m) => {
                let news = self.directory.report(&self.ctx, m).await;
                match news {
                    Some(DirNews::MembersLoaded) => {
                        self.migration
                            .members_loaded(&self.ctx, &self.directory)
                            .await
                    }
                    Some(DirNews::MembersFailed { error })
                    | Some(DirNews::ResolvedForRun(Err(error))) => {
                        self.migration.members_failed(&self.ctx, &error).await
                    }
                    Some(DirNews::ResolvedForRun(Ok(()))) | None => {}
                }
            }
            Internal::Cutover(m) => self.cutover.report(&self.ctx, m).await,
            Internal::Inventory(m) => {
                self.inventory.report(&self.ctx, m).await;
                for (id, c) in std::mem::take(&mut self.deferred) {
                    let inventory = self.inventory_facts();
                    self.cutover.command(&self.ctx, id, c, inventory).await;
                }
            }
            Internal::Migration(m) => {
                let needs = self
                    .migration
                    .report(&mut self.ctx, &self.directory, m)
                    .await;
                self.needs(needs).await;
            }
            Internal::SignedIn { request, result } => match result {
                Ok((graph, identity)) => {
                    self.ctx.session.set_delegated(graph, identity);
                    let info = self.ctx.session.info();
                    self.ctx
                        .events
                        .send(Event::Session(Box::new(info.clone())))
                        .await;
                    self.ctx
                        .events
                        .answer(request, Answer::SignedIn(Box::new(info)))
                        .await;
                }
                Err(e) => {
                    self.ctx
                        .events
                        .refuse(request, RefusalKind::Failed, format!("signing in: {e}"))
                        .await
                }
            },
            Internal::Consented { request, result } => match result {
                Ok((identity, refused)) => {
                    let still = refused.first().cloned();
                    self.ctx.session.identity = identity;
                    self.ctx.session.refused = refused;
                    self.ctx.session.recompute();
                    let info = self.ctx.session.info();
                    self.ctx
                        .events
                        .send(Event::Session(Box::new(info.clone())))
                        .await;
                    let outcome = match still {
                        None => Ok(Answer::SignedIn(Box::new(info))),
                        Some(r) => Err(crate::engine::Refusal::new(
                            RefusalKind::Unavailable,
                            format!("{r} — {}", r.fix()),
                        )),
                    };
                    self.ctx.events.reply(request, outcome).await;
                }
                Err(e) => {
                    self.ctx
                        .events
                        .refuse(
                            request,
                            RefusalKind::Failed,
                            format!("asking for consent: {e}"),
                        )
                        .await
                }
            },
        }
    }

    /// Remember the data file(s) as loaded (the first time each hash is seen is kept):
    /// the checklist's backup step and the rollback name the backup by it.
    fn record_datafiles(&self) {
        if !self.ctx.store.is_writable() || self.ctx.offline {
            return;
        }
        for input in &self.ctx.data.inputs {
            let record = super::store::DataFileRecord {
                sha256: input.sha256.clone(),
                size: input.size,
                modified: input.modified,
                first_seen: self.ctx.clock.now(),
            };
            if let Err(e) = self.ctx.store.record_datafile(&self.ctx.tenant, record) {
                tracing::warn!("recording the data file for the checklist: {e}");
            }
        }
    }

    /// What the inventory tells the interlocks (R1, F1).
    fn inventory_facts(&self) -> InventoryFacts {
        self.inventory.facts()
    }

    /// Incremental consent for `capability`, in a task of its own (a device code may be
    /// shown through an event).
    async fn consent(&mut self, id: RequestId, capability: crate::graph::auth::Capability) {
        let Some(auth) = self.auth.clone() else {
            self.ctx
                .events
                .refuse(
                    id,
                    RefusalKind::Unavailable,
                    "this session's token was given, not signed in here: it cannot ask for \
                     more; restart with the permission granted",
                )
                .await;
            return;
        };
        let events = self.ctx.events.clone();
        let tx = self.internal.clone();
        tokio::spawn(async move {
            let prompt_events = events.clone();
            let prompt: crate::graph::auth::PromptFn = Arc::new(move |p| {
                let events = prompt_events.clone();
                let p = p.clone();
                tokio::spawn(async move { events.send(Event::DeviceCode(p)).await });
            });
            let mut session = auth.lock().await;
            let result = match session.add_capability(capability, &prompt).await {
                Ok(_) => Ok((session.identity.clone(), session.refused.clone())),
                Err(e) => Err(e.to_string()),
            };
            let _ = tx.send(Internal::Consented {
                request: id,
                result,
            });
        });
    }

    /// A device-code sign-in beside the session, in a task of its own: the code goes
    /// out as an event for the front end to show.
    async fn sign_in(&mut self, id: RequestId) {
        let Some(delegated) = self.delegated.clone() else {
            self.ctx
                .events
                .refuse(
                    id,
                    RefusalKind::Unavailable,
                    "this session cannot start a sign-in of its own (a token was given); \
                     restart with --auth device-code",
                )
                .await;
            return;
        };
        let events: Events = self.ctx.events.clone();
        let tx = self.internal.clone();
        tokio::spawn(async move {
            let prompt_events = events.clone();
            let prompt: crate::graph::auth::PromptFn = Arc::new(move |p| {
                let events = prompt_events.clone();
                let p = p.clone();
                tokio::spawn(async move { events.send(Event::DeviceCode(p)).await });
            });
            let result = delegated.sign_in(prompt).await;
            let _ = tx.send(Internal::SignedIn {
                request: id,
                result,
            });
        });
    }

    async fn emit_load(&mut self) {
        let now = Instant::now();
        let stats = self.ctx.graph().stats();
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
        let (in_flight, queued) = self.migration.load();
        let load = EngineLoad {
            requests_per_sec: (rps * 10.0).round() / 10.0,
            writes_per_sec: (wps * 10.0).round() / 10.0,
            throttled_recent: stats.throttled.saturating_sub(oldest) as u32,
            in_flight,
            queued,
        };
        if load != m.shown {
            m.shown = load.clone();
            self.ctx.events.send(Event::Load(load)).await;
        }
    }
}
