//! One run — a dry run, a migration, a sync cycle, or a saved plan applied — as a
//! pipeline of tasks over the targeted users:
//!
//! 1. **decide** (no Graph): match, M4, C1 against the store's fingerprints, in bulk;
//! 2. **read and plan**: a few reader tasks take ten users at a time, read their Entra
//!    state in one `$batch`, look up hardware serials where rule H1 needs it, evaluate the
//!    methods policy (read once per run) and plan each user;
//! 3. **write** (not in a dry run): `concurrency` workers apply each user's ops in rule
//!    C3's order through the shared limiter, journaling every write (`apply.rs`);
//! 4. **verify** (C4): users whose writes are done are read back ten at a time and
//!    compared with their plan; the store records verified users with their fingerprint.
//!
//! Channels between the stages are bounded, so reading never runs far ahead of writing.
//! Cancelling stops the readers and keeps workers from taking new users; users already
//! being written finish (their writes are journaled) and are verified.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OnceCell, mpsc};
use tokio::task::JoinSet;

use super::planfile::SavedUser;
use super::service::MigMsg;
use super::{apply, ops};
use crate::clock::Clock;
use crate::datafile::{DataSet, UserIdx};
use crate::engine::context::{Events, Inbox};
use crate::engine::entra::{self, Policy, USERS_PER_BATCH};
use crate::engine::protocol::{Event, MigrationEvent, Progress, RequestId, RunEnd, UserStatus};
use crate::engine::store::{RunId, Store, Tracking, UserStatusKind, UserUpdate};
use crate::graph::{ClientStats, GraphClient, GraphError};
use crate::migrate::{
    AllowedMethods, Change, Decision, EntraMethods, EntraUser, InventoryDevice, Match,
    MigrationSettings, PhoneProblems, Plan, PlanInput, ProblemIndex, ReregisterRow, Rule, UserSkip,
    decide, must_reregister, plan_user, verify,
};

/// What kind of run this is (the `runs` table's `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunKind {
    Plan,
    Migrate,
    Sync,
    ApplyPlan,
}

impl RunKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            RunKind::Plan => "plan",
            RunKind::Migrate => "migrate",
            RunKind::Sync => "sync",
            RunKind::ApplyPlan => "apply-plan",
        }
    }

    pub(crate) fn dry_run(self) -> bool {
        self == RunKind::Plan
    }
}

/// A member the run targets.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub entra: Arc<EntraUser>,
    pub matched: Match,
}

/// Everything a run is asked to do.
#[derive(Debug)]
pub(crate) struct RunSetup {
    pub kind: RunKind,
    pub targets: Vec<Target>,
    pub include_unchanged: bool,
    /// `migrate --plan`: the saved plans by Entra object id. Each targeted user is
    /// planned afresh and written only if that gives exactly the saved operations.
    pub saved: Option<HashMap<String, SavedUser>>,
    /// The scope as JSON, for the `runs` table.
    pub scope: String,
}

/// The engine-wide handles a run works with.
#[derive(Clone)]
pub(crate) struct Shared {
    pub client: GraphClient,
    pub store: Store,
    pub data: Arc<DataSet>,
    pub settings: MigrationSettings,
    pub tenant: String,
    pub actor: String,
    pub clock: Arc<dyn Clock>,
    pub events: Events,
    pub concurrency: usize,
    /// The request the run answers (none for automatic sync).
    pub request: Option<RequestId>,
}

/// What a finished run hands back to the engine.
#[derive(Debug, Clone)]
pub(crate) struct RunOutcome {
    pub kind: RunKind,
    pub result: RunResult,
    /// Plans with writes and the Entra state digest each came from (dry runs only).
    pub saved: Vec<SavedUser>,
}

/// How a run ended; the engine reports it once it is ready for the next command, so a
/// front end that hears `Finished` can start another run at once.
#[derive(Debug, Clone)]
pub(crate) enum RunResult {
    Finished(RunEnd),
    /// `migrate --plan` refused: nothing was written.
    Refused {
        reasons: Vec<String>,
    },
}

impl RunResult {
    fn stopped(kind: RunKind) -> RunResult {
        RunResult::Finished(RunEnd {
            dry_run: kind.dry_run(),
            progress: Progress::default(),
            cancelled: true,
        })
    }
}

/// A running run: the engine cancels it through `cancel`; its outcome comes back as
/// [`MigMsg::RunDone`].
pub(crate) struct RunHandle {
    pub cancel: Arc<AtomicBool>,
    pub stats: Arc<Counters>,
}

/// A user on its way through the pipeline.
#[derive(Debug, Clone)]
pub(crate) struct Work {
    pub entra: Arc<EntraUser>,
    pub mfa: UserIdx,
    pub mfa_username: String,
    pub matched_by: Rule,
    pub fingerprint: [u8; 32],
    /// From a saved plan: the plan and the digest of the state it was made from.
    pub saved: Option<SavedUser>,
}

/// A planned user with the Entra state its plan came from.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    pub work: Work,
    pub plan: Arc<Plan>,
    pub methods: EntraMethods,
    pub inventory: Vec<InventoryDevice>,
    pub allowed: AllowedMethods,
}

/// Counters of the run, shared by its tasks.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub targeted: AtomicUsize,
    pub done: AtomicUsize,
    pub verified: AtomicUsize,
    pub skipped: AtomicUsize,
    pub unchanged: AtomicUsize,
    pub failed: AtomicUsize,
    pub mismatched: AtomicUsize,
    pub in_flight: AtomicUsize,
    pub writes: AtomicU64,
    /// Users planned with writes so far, and the writes their plans hold (the ETA).
    pub planned_users: AtomicUsize,
    pub planned_writes: AtomicU64,
    /// Users planned with writes and not done yet.
    pub in_plan: AtomicUsize,
}

/// The run's context, shared by its tasks.
pub(crate) struct RunCtx {
    pub shared: Shared,
    pub kind: RunKind,
    pub run: Option<RunId>,
    pub cancel: Arc<AtomicBool>,
    pub stats: Arc<Counters>,
    pub started: Instant,
    /// When the first write of the run was made (the write rate is measured from it).
    first_write: std::sync::OnceLock<Instant>,
    pub client_start: ClientStats,
    policy: OnceCell<Arc<Policy>>,
    /// Further passes over users that failed with a retryable error (throttling that
    /// outlasted the client's retries, a read-back that failed): each pass reads them
    /// again before anything is written.
    passes_left: AtomicU32,
    phone_problems: HashMap<UserIdx, (Option<String>, Option<String>)>,
    results: Mutex<Results>,
}

#[derive(Default)]
struct Results {
    saved: Vec<SavedUser>,
    /// `migrate --plan`: users for whom planning now differs from the saved plan, with
    /// the first difference.
    changed: Vec<String>,
    /// Users deferred to the next pass, with the error that deferred them.
    retry: Vec<(Work, String)>,
}

/// Passes after the first over users that failed with a retryable error.
const RETRY_PASSES: u32 = 2;

/// How one user's run ended.
pub(crate) enum Ending {
    Verified,
    Mismatch(Vec<String>),
    Failed {
        error: String,
        retryable: bool,
    },
    /// Dry run: planned only.
    Planned,
}

impl RunCtx {
    /// Count one write made.
    pub(crate) fn wrote(&self) {
        self.first_write.get_or_init(Instant::now);
        self.stats.writes.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn client(&self) -> &GraphClient {
        &self.shared.client
    }

    pub(crate) fn data(&self) -> &DataSet {
        &self.shared.data
    }

    pub(crate) fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    pub(crate) async fn emit(&self, user: &str, status: UserStatus) {
        self.shared
            .events
            .send(Event::Migration(MigrationEvent::UserStatus {
                user: user.to_string(),
                status,
            }))
            .await;
    }

    pub(crate) async fn error(&self, context: impl Into<String>, message: impl Into<String>) {
        self.shared
            .events
            .error(self.shared.request, context, message)
            .await;
    }

    async fn policy(&self) -> Result<Arc<Policy>, GraphError> {
        self.policy
            .get_or_try_init(|| async { Policy::read(self.client()).await.map(Arc::new) })
            .await
            .cloned()
    }

    /// The planner's input for a user and a state (re-planning after a read-back uses
    /// the same inputs with the new state).
    pub(crate) fn plan(
        &self,
        work: &Work,
        methods: &EntraMethods,
        inventory: &[InventoryDevice],
        allowed: AllowedMethods,
    ) -> Option<Plan> {
        let data = self.data();
        let user = data.user(work.mfa)?;
        let problems = self.phone_problems.get(&work.mfa);
        let input = PlanInput {
            user,
            matched_by: work.matched_by,
            entra: &work.entra,
            methods,
            inventory,
            allowed,
            settings: &self.shared.settings,
            phone_problems: PhoneProblems {
                phone: problems.and_then(|p| p.0.as_deref()),
                backup_phone: problems.and_then(|p| p.1.as_deref()),
            },
        };
        Some(plan_user(&input))
    }

    /// Record how a user ended: event, store, counters, reports.
    pub(crate) async fn finish(&self, work: &Work, plan: Option<&Plan>, ending: Ending) {
        if plan.is_some_and(|p| !p.is_noop()) && !self.kind.dry_run() {
            let _ = self
                .stats
                .in_plan
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
        }
        if let Ending::Failed {
            error,
            retryable: true,
        } = &ending
            && self.passes_left.load(Ordering::Relaxed) > 0
            && !self.cancelled()
            && self.defer(work, error)
        {
            self.emit(&work.entra.id, UserStatus::Queued).await;
            return;
        }
        let s = &self.stats;
        s.done.fetch_add(1, Ordering::Relaxed);
        if let Some(plan) = plan {
            self.record_reregister(plan);
        }
        let update = |status: UserStatusKind, detail: Option<String>, tracking| UserUpdate {
            tenant: self.shared.tenant.clone(),
            entra_id: work.entra.id.clone(),
            upn: work.entra.upn.clone(),
            mfa_username: Some(work.mfa_username.clone()),
            status,
            detail,
            tracking,
            usable: None,
        };
        let (status, store) = match ending {
            Ending::Planned => return,
            Ending::Verified => {
                s.verified.fetch_add(1, Ordering::Relaxed);
                (
                    UserStatus::Verified,
                    UserUpdate {
                        usable: plan.map(Plan::has_usable_method),
                        ..update(
                            UserStatusKind::Verified,
                            None,
                            Tracking::Migrated(work.fingerprint),
                        )
                    },
                )
            }
            Ending::Mismatch(differences) => {
                s.failed.fetch_add(1, Ordering::Relaxed);
                s.mismatched.fetch_add(1, Ordering::Relaxed);
                let detail = differences.join("; ");
                (
                    UserStatus::Mismatch { differences },
                    update(UserStatusKind::Mismatch, Some(detail), Tracking::Forget),
                )
            }
            Ending::Failed { error, retryable } => {
                s.failed.fetch_add(1, Ordering::Relaxed);
                let upd = update(
                    UserStatusKind::Failed,
                    Some(error.clone()),
                    Tracking::Forget,
                );
                (UserStatus::Failed { error, retryable }, upd)
            }
        };
        if let Err(e) = self.shared.store.update_user(store) {
            self.error(
                format!("recording {}", work.entra.upn),
                format!("the state store refused the user's status: {e}"),
            )
            .await;
        }
        self.emit(&work.entra.id, status).await;
    }

    /// Keep the store's "must re-register the app" list (A3) true to the user's latest
    /// plan: added when it says so, cleared when it no longer does. Whatever run finds a
    /// user, the export lists them.
    fn record_reregister(&self, plan: &Plan) {
        if !self.shared.store.is_writable() {
            return;
        }
        let row = must_reregister(std::iter::once(plan))
            .pop()
            .unwrap_or_else(|| ReregisterRow {
                upn: plan.user.upn.clone(),
                entra_id: plan.user.entra_id.clone(),
                mfa_username: plan.user.mfa_username.clone(),
                devices: Vec::new(),
                codes_imported: false,
            });
        if let Err(e) = self.shared.store.set_reregister(&self.shared.tenant, &row) {
            tracing::warn!(error = %e, "the state store refused the re-register list");
        }
    }

    /// Keep a user for the next pass; planned afresh then (a saved plan is not reused
    /// once its writes began).
    fn defer(&self, work: &Work, error: &str) -> bool {
        let Ok(mut r) = self.results.lock() else {
            return false;
        };
        let mut again = work.clone();
        again.saved = None;
        r.retry.push((again, error.to_string()));
        true
    }

    pub(crate) fn progress(&self) -> Progress {
        let s = &self.stats;
        let now = self.client().stats();
        let targeted = s.targeted.load(Ordering::Relaxed);
        let done = s.done.load(Ordering::Relaxed);
        let in_flight = s.in_flight.load(Ordering::Relaxed);
        let writes = s.writes.load(Ordering::Relaxed);
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        let remaining = targeted.saturating_sub(done);
        // The writes left decide how long the rest takes: those the plans so far hold,
        // and for users not planned yet the plans' average. At the measured write rate,
        // since the first write (reading before it is no measure of writing).
        let planned_users = s.planned_users.load(Ordering::Relaxed);
        let planned_writes = s.planned_writes.load(Ordering::Relaxed);
        let unplanned = remaining.saturating_sub(s.in_plan.load(Ordering::Relaxed));
        let average = if planned_users > 0 {
            planned_writes as f64 / planned_users as f64
        } else {
            0.0
        };
        let writes_left =
            planned_writes.saturating_sub(writes) + (unplanned as f64 * average).round() as u64;
        let write_secs = self
            .first_write
            .get()
            .map(|t| t.elapsed().as_secs_f64())
            .unwrap_or(0.0);
        let rate = if write_secs > 1.0 {
            writes as f64 / write_secs
        } else {
            0.0
        };
        let eta_secs = (remaining > 0 && rate > 0.0 && !self.kind.dry_run())
            .then(|| (writes_left as f64 / rate).ceil() as u64);
        Progress {
            targeted,
            done,
            verified: s.verified.load(Ordering::Relaxed),
            skipped: s.skipped.load(Ordering::Relaxed),
            failed: s.failed.load(Ordering::Relaxed),
            queued: remaining.saturating_sub(in_flight),
            unchanged: s.unchanged.load(Ordering::Relaxed),
            mismatched: s.mismatched.load(Ordering::Relaxed),
            writes,
            writes_left,
            requests: now.operations.saturating_sub(self.client_start.operations),
            writes_per_sec: if rate > 0.0 {
                rate
            } else {
                writes as f64 / secs
            },
            throttled: now.throttled.saturating_sub(self.client_start.throttled),
            eta_secs,
        }
    }
}

/// Start a run; it reports through `shared.events` and hands its outcome back to the
/// engine through `done` — also if it ended in a panic, so the engine never waits on a
/// run that is gone.
pub(crate) fn spawn(shared: Shared, setup: RunSetup, done: Inbox<MigMsg>) -> RunHandle {
    let cancel = Arc::new(AtomicBool::new(false));
    let stats = Arc::new(Counters::default());
    let kind = setup.kind;
    let (events, request) = (shared.events.clone(), shared.request);
    let inner = tokio::spawn(execute(shared, setup, cancel.clone(), stats.clone()));
    tokio::spawn(async move {
        let outcome = match inner.await {
            Ok(o) => o,
            Err(e) => {
                tracing::error!(error = %e, "a run ended abnormally");
                events
                    .error(
                        request,
                        format!("the {} run", kind.name()),
                        format!("it stopped unexpectedly: {e}"),
                    )
                    .await;
                RunOutcome {
                    kind,
                    result: RunResult::stopped(kind),
                    saved: Vec::new(),
                }
            }
        };
        done.send(MigMsg::RunDone(outcome));
    });
    RunHandle { cancel, stats }
}

/// Owned phone problems (P5) of the users a run plans.
fn phone_problems(
    data: &DataSet,
    users: impl Iterator<Item = UserIdx>,
) -> HashMap<UserIdx, (Option<String>, Option<String>)> {
    let index = ProblemIndex::new(data);
    users
        .filter_map(|u| {
            let p = index.phones(u);
            (p.phone.is_some() || p.backup_phone.is_some()).then(|| {
                (
                    u,
                    (
                        p.phone.map(str::to_string),
                        p.backup_phone.map(str::to_string),
                    ),
                )
            })
        })
        .collect()
}

async fn execute(
    shared: Shared,
    setup: RunSetup,
    cancel: Arc<AtomicBool>,
    stats: Arc<Counters>,
) -> RunOutcome {
    let kind = setup.kind;
    let dry_run = kind.dry_run();
    let events = shared.events.clone();
    let run = match shared
        .store
        .begin_run(&shared.tenant, kind.name(), &shared.actor, &setup.scope)
        .await
    {
        Ok(id) => Some(id),
        Err(e) if dry_run => {
            tracing::warn!(error = %e, "the state store could not record the dry run");
            None
        }
        Err(e) => {
            // Without the store there is no journal: nothing may be written.
            events
                .error(
                    shared.request,
                    format!("starting a {}", kind.name()),
                    format!("the state store cannot record the run: {e}"),
                )
                .await;
            return RunOutcome {
                kind,
                result: RunResult::stopped(kind),
                saved: Vec::new(),
            };
        }
    };

    // 1. Decide.
    let mut works: Vec<Work> = Vec::new();
    let mut skips: Vec<(String, UserSkip)> = Vec::new();
    let mut differences: Vec<String> = Vec::new();
    let mut saved = setup.saved;
    let targeted = setup.targets.len();
    let previous = if setup.include_unchanged {
        HashMap::new()
    } else {
        match shared.store.fingerprints(&shared.tenant) {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(error = %e, "fingerprints unreadable: every user is planned");
                HashMap::new()
            }
        }
    };
    let key = shared.store.hash_key();
    for t in setup.targets {
        let change = Change {
            key,
            previous: previous.get(&t.entra.id).copied(),
            include_unchanged: setup.include_unchanged,
        };
        let saved_user = saved.as_mut().and_then(|m| m.remove(&t.entra.id));
        match decide(&t.matched, &shared.data, &shared.settings, change) {
            Decision::Skip(skip) => {
                if let Some(s) = saved_user {
                    differences.push(format!(
                        "{}: the plan writes {} operation(s), but planning now skips the user ({})",
                        s.plan.user.upn,
                        s.plan.ops.len(),
                        crate::migrate::describe_user_skip(&skip, &shared.data)
                    ));
                }
                skips.push((t.entra.id.clone(), skip));
            }
            Decision::Plan {
                user,
                matched_by,
                fingerprint,
            } => {
                let (mfa, mfa_username) = (user.idx(), user.username().to_string());
                works.push(Work {
                    entra: t.entra,
                    mfa,
                    mfa_username,
                    matched_by,
                    fingerprint,
                    saved: saved_user,
                });
            }
        }
    }
    if let Some(left) = saved {
        for s in left.values() {
            differences.push(format!(
                "{}: the plan writes for this user, who is not a member of the group now",
                s.plan.user.upn
            ));
        }
    }
    if !differences.is_empty() {
        differences.sort();
        if let Some(run) = run {
            let summary = serde_json::json!({ "refused": &differences }).to_string();
            let _ = shared.store.finish_run(run, summary);
        }
        return RunOutcome {
            kind,
            result: RunResult::Refused {
                reasons: differences,
            },
            saved: Vec::new(),
        };
    }
    stats.targeted.store(targeted, Ordering::Relaxed);
    let ctx = Arc::new(RunCtx {
        phone_problems: phone_problems(&shared.data, works.iter().map(|w| w.mfa)),
        client_start: shared.client.stats(),
        shared,
        kind,
        run,
        cancel,
        stats,
        started: Instant::now(),
        first_write: std::sync::OnceLock::new(),
        policy: OnceCell::new(),
        passes_left: AtomicU32::new(RETRY_PASSES),
        results: Mutex::new(Results::default()),
    });
    if kind != RunKind::ApplyPlan {
        events
            .send(Event::Migration(MigrationEvent::Started {
                dry_run,
                targeted,
            }))
            .await;
    }
    for (user, skip) in skips {
        ctx.stats.done.fetch_add(1, Ordering::Relaxed);
        ctx.stats.skipped.fetch_add(1, Ordering::Relaxed);
        if matches!(skip, UserSkip::Unchanged { .. }) {
            ctx.stats.unchanged.fetch_add(1, Ordering::Relaxed);
        }
        ctx.emit(&user, UserStatus::Skipped { skip }).await;
    }
    for w in &works {
        ctx.emit(&w.entra.id, UserStatus::Queued).await;
    }

    // Progress, coalesced: at most four times a second, only when it changed.
    let ticker = {
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let mut last = Progress::default();
            let mut tick = tokio::time::interval(Duration::from_millis(250));
            loop {
                tick.tick().await;
                let p = ctx.progress();
                let mut cmp = p.clone();
                cmp.writes_per_sec = last.writes_per_sec;
                cmp.eta_secs = last.eta_secs;
                if cmp != last {
                    ctx.shared
                        .events
                        .send(Event::Migration(MigrationEvent::Progress(p.clone())))
                        .await;
                    last = p;
                }
            }
        })
    };

    let mut refused = None;
    if kind == RunKind::ApplyPlan {
        refused = apply_saved(&ctx, works).await;
    } else {
        pipeline(&ctx, works, None).await;
    }
    ticker.abort();

    let progress = ctx.progress();
    let cancelled = ctx.cancelled() || refused.is_some();
    if let Some(run) = ctx.run
        && let Err(e) = ctx.shared.store.finish_run(
            run,
            serde_json::json!({ "progress": &progress, "cancelled": cancelled, "refused": &refused })
                .to_string(),
        )
    {
        tracing::warn!(error = %e, "the state store could not close the run");
    }
    // Everything this run recorded is durable before the front end hears it ended.
    if let Err(e) = ctx.shared.store.flush().await {
        ctx.error("finishing the run", format!("state store: {e}"))
            .await;
    }
    let result = match refused {
        Some(reasons) => RunResult::Refused { reasons },
        None => RunResult::Finished(RunEnd {
            dry_run,
            progress,
            cancelled,
        }),
    };
    let results = ctx
        .results
        .lock()
        .map(|mut r| std::mem::take(&mut *r))
        .unwrap_or_default();
    RunOutcome {
        kind,
        result,
        saved: results.saved,
    }
}

/// `migrate --plan`: read every affected user first; apply only when none changed.
/// The reasons when refused.
async fn apply_saved(ctx: &Arc<RunCtx>, works: Vec<Work>) -> Option<Vec<String>> {
    let (tx, mut rx) = mpsc::channel::<Planned>(works.len().max(1));
    // The check reads every user once; one that cannot be read refuses the plan.
    let passes = ctx.passes_left.swap(0, Ordering::Relaxed);
    pipeline_read(ctx, works, tx, true).await;
    ctx.passes_left.store(passes, Ordering::Relaxed);
    let mut checked = Vec::new();
    while let Some(p) = rx.recv().await {
        checked.push(p);
    }
    let changed = ctx
        .results
        .lock()
        .map(|r| r.changed.clone())
        .unwrap_or_default();
    let failed = ctx.stats.failed.load(Ordering::Relaxed);
    if !changed.is_empty() || failed > 0 || ctx.cancelled() {
        let mut reasons = Vec::new();
        if !changed.is_empty() {
            let mut changed = changed;
            changed.sort();
            reasons.push(format!(
                "planning {} user{} now gives other operations than the saved plan (the data, \
                 the settings or the Entra state changed, or the file was edited); first: {}",
                changed.len(),
                if changed.len() == 1 { "" } else { "s" },
                changed[0]
            ));
            reasons.extend(changed.into_iter().skip(1).take(19));
        }
        if failed > 0 {
            reasons.push(format!(
                "{failed} user{} could not be read back to check the plan",
                if failed == 1 { "" } else { "s" }
            ));
        }
        if ctx.cancelled() && reasons.is_empty() {
            reasons.push("cancelled before anything was written".to_string());
        }
        return Some(reasons);
    }
    ctx.shared
        .events
        .send(Event::Migration(MigrationEvent::Started {
            dry_run: false,
            targeted: ctx.stats.targeted.load(Ordering::Relaxed),
        }))
        .await;
    pipeline(ctx, Vec::new(), Some(checked)).await;
    None
}

/// Read, plan, and (unless a dry run) write and verify; then pass again over users that
/// failed with a retryable error, at most [`RETRY_PASSES`] times, each after a pause.
/// `ready` feeds already planned users straight to the writers (`migrate --plan`).
async fn pipeline(ctx: &Arc<RunCtx>, works: Vec<Work>, ready: Option<Vec<Planned>>) {
    let mut works = works;
    let mut ready = ready;
    let mut pass = 0u32;
    loop {
        pipeline_pass(ctx, works, ready.take()).await;
        let retry = ctx
            .results
            .lock()
            .map(|mut r| std::mem::take(&mut r.retry))
            .unwrap_or_default();
        if retry.is_empty() {
            return;
        }
        pass += 1;
        if ctx.cancelled() || ctx.passes_left.load(Ordering::Relaxed) == 0 {
            for (w, error) in retry {
                ctx.finish(
                    &w,
                    None,
                    Ending::Failed {
                        error,
                        retryable: true,
                    },
                )
                .await;
            }
            return;
        }
        // The last pass finalises whatever fails again.
        ctx.passes_left.fetch_sub(1, Ordering::Relaxed);
        tracing::info!(
            users = retry.len(),
            pass,
            "passing again over users that failed"
        );
        let pause = Duration::from_secs(2u64.pow(pass.min(4)));
        let wait = tokio::time::sleep(pause);
        tokio::pin!(wait);
        // A cancel during the pause ends the run without the pass.
        loop {
            tokio::select! {
                _ = &mut wait => break,
                _ = tokio::time::sleep(Duration::from_millis(100)) => {
                    if ctx.cancelled() { break; }
                }
            }
        }
        works = retry.into_iter().map(|(w, _)| w).collect();
        if ctx.cancelled() {
            // Put them back so the loop above finalises them.
            if let Ok(mut r) = ctx.results.lock() {
                r.retry = works
                    .drain(..)
                    .map(|w| (w, "cancelled before it was tried again".to_string()))
                    .collect();
            }
        }
    }
}

async fn pipeline_pass(ctx: &Arc<RunCtx>, works: Vec<Work>, ready: Option<Vec<Planned>>) {
    let writers = ctx.shared.concurrency.max(1);
    let (planned_tx, planned_rx) = mpsc::channel::<Planned>(writers * 2);
    if ctx.kind.dry_run() {
        drop(planned_rx);
        pipeline_read(ctx, works, planned_tx, false).await;
        return;
    }
    let (verify_tx, verify_rx) = mpsc::channel::<Planned>(writers * 2 + USERS_PER_BATCH);
    let planned_rx = Arc::new(tokio::sync::Mutex::new(planned_rx));
    let verify_rx = Arc::new(tokio::sync::Mutex::new(verify_rx));
    let mut tasks = JoinSet::new();
    for _ in 0..writers {
        let (ctx, rx, tx) = (ctx.clone(), planned_rx.clone(), verify_tx.clone());
        tasks.spawn(async move { writer(ctx, rx, tx).await });
    }
    for _ in 0..2 {
        let (ctx, rx) = (ctx.clone(), verify_rx.clone());
        tasks.spawn(async move { verifier(ctx, rx).await });
    }
    // Only the tasks hold the channels' ends: when the writers stop (cancel), the
    // planned users' receiver goes with them and a reader waiting to hand one on is
    // released instead of waiting for ever.
    drop(planned_rx);
    drop(verify_rx);
    drop(verify_tx);
    match ready {
        Some(items) => {
            for p in items {
                ctx.stats.planned_users.fetch_add(1, Ordering::Relaxed);
                ctx.stats
                    .planned_writes
                    .fetch_add(p.plan.ops.len() as u64, Ordering::Relaxed);
                ctx.stats.in_plan.fetch_add(1, Ordering::Relaxed);
                ctx.emit(
                    &p.work.entra.id,
                    UserStatus::Planned {
                        plan: p.plan.clone(),
                    },
                )
                .await;
                if ctx.cancelled() || planned_tx.send(p).await.is_err() {
                    break;
                }
            }
            drop(planned_tx);
        }
        None => pipeline_read(ctx, works, planned_tx, false).await,
    }
    while tasks.join_next().await.is_some() {}
}

/// Stage 2: readers take `USERS_PER_BATCH` users at a time. Returns when every user is
/// read (or the run is cancelled) and the planned ones are handed on.
async fn pipeline_read(
    ctx: &Arc<RunCtx>,
    works: Vec<Work>,
    planned: mpsc::Sender<Planned>,
    check_only: bool,
) {
    let mut chunks: VecDeque<Vec<Work>> = VecDeque::new();
    let mut it = works.into_iter().peekable();
    while it.peek().is_some() {
        chunks.push_back(it.by_ref().take(USERS_PER_BATCH).collect());
    }
    let readers = (ctx.shared.concurrency / 4)
        .clamp(2, 6)
        .min(chunks.len().max(1));
    let queue = Arc::new(Mutex::new(chunks));
    let mut tasks = JoinSet::new();
    for _ in 0..readers {
        let (ctx, queue, tx) = (ctx.clone(), queue.clone(), planned.clone());
        tasks.spawn(async move {
            loop {
                if ctx.cancelled() {
                    break;
                }
                let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                let Some(chunk) = next else { break };
                read_chunk(&ctx, chunk, &tx, check_only).await;
            }
        });
    }
    drop(planned);
    while tasks.join_next().await.is_some() {}
}

async fn read_chunk(
    ctx: &Arc<RunCtx>,
    chunk: Vec<Work>,
    planned: &mpsc::Sender<Planned>,
    check_only: bool,
) {
    for w in &chunk {
        ctx.emit(&w.entra.id, UserStatus::Reading).await;
    }
    let ids: Vec<&str> = chunk.iter().map(|w| w.entra.id.as_str()).collect();
    let reads = entra::read_users(ctx.client(), &ids).await;

    // Rule H1: serials not already held by the user, looked up together.
    let mut wanted: Vec<Vec<String>> = Vec::with_capacity(chunk.len());
    for (w, r) in chunk.iter().zip(&reads) {
        wanted.push(match r {
            Ok(m) => {
                ops::serials_to_look_up(ctx.data(), w.mfa, &w.entra.id, m, &ctx.shared.settings)
            }
            Err(_) => Vec::new(),
        });
    }
    let mut all: Vec<String> = wanted.iter().flatten().cloned().collect();
    all.sort();
    all.dedup();
    let inventory = entra::lookup_serials(ctx.client(), &all).await;
    let policy = ctx.policy().await;
    if let Err(e) = &policy {
        // Without the policy rule D3 cannot be applied: the run stops.
        ctx.error(
            "reading the authentication methods policy",
            format!(
                "{} — the run stops: without the policy the default method cannot be \
                 checked (rule D3)",
                e.explanation()
            ),
        )
        .await;
        ctx.cancel.store(true, Ordering::Relaxed);
    }

    for ((w, read), serials) in chunk.into_iter().zip(reads).zip(wanted) {
        let methods = match read {
            Ok(m) => m,
            Err(e) => {
                let (error, retryable) = (
                    format!("reading Entra state: {}", e.explanation()),
                    e.is_retryable(),
                );
                ctx.finish(&w, None, Ending::Failed { error, retryable })
                    .await;
                continue;
            }
        };
        let inv: Vec<InventoryDevice> = match &inventory {
            Ok(found) => found
                .iter()
                .filter(|d| {
                    serials
                        .iter()
                        .any(|s| s.eq_ignore_ascii_case(d.serial.trim()))
                })
                .cloned()
                .collect(),
            Err(e) if !serials.is_empty() => {
                let error = format!("looking up hardware tokens: {}", e.explanation());
                let retryable = e.is_retryable();
                ctx.finish(&w, None, Ending::Failed { error, retryable })
                    .await;
                continue;
            }
            Err(_) => Vec::new(),
        };
        let allowed = match &policy {
            Ok(p) => p.allowed(&w.entra.id),
            Err(e) => {
                let error = format!("authentication methods policy: {}", e.explanation());
                ctx.finish(
                    &w,
                    None,
                    Ending::Failed {
                        error,
                        retryable: e.is_retryable(),
                    },
                )
                .await;
                continue;
            }
        };

        let plan = match ctx.plan(&w, &methods, &inv, allowed) {
            Some(p) => Arc::new(p),
            None => {
                ctx.finish(
                    &w,
                    None,
                    Ending::Failed {
                        error: "the MFA Server user is no longer in the data set".into(),
                        retryable: false,
                    },
                )
                .await;
                continue;
            }
        };
        // A saved plan is a commitment: applied only if planning now gives exactly it.
        if let Some(saved) = &w.saved
            && let Some(difference) = super::planfile::difference(&saved.plan, &plan)
            && let Ok(mut r) = ctx.results.lock()
        {
            r.changed.push(format!("{}: {difference}", w.entra.upn));
        }
        let item = Planned {
            work: w,
            plan: plan.clone(),
            methods,
            inventory: inv,
            allowed,
        };
        if check_only {
            let _ = planned.send(item).await;
            continue;
        }
        ctx.emit(
            &item.work.entra.id,
            UserStatus::Planned { plan: plan.clone() },
        )
        .await;
        if ctx.kind.dry_run() {
            if !plan.is_noop()
                && let Ok(mut r) = ctx.results.lock()
            {
                r.saved.push(SavedUser {
                    entra_state: entra::state_digest(&item.methods, &item.inventory, item.allowed),
                    plan: plan.clone(),
                });
            }
            ctx.finish(&item.work, Some(&plan), Ending::Planned).await;
            continue;
        }
        if plan.is_noop() {
            // Nothing to write: the state just read is the read-back (C4).
            let ending = match verify(&plan, &item.methods) {
                Ok(()) => Ending::Verified,
                Err(d) => Ending::Mismatch(d),
            };
            ctx.finish(&item.work, Some(&plan), ending).await;
            continue;
        }
        ctx.stats.planned_users.fetch_add(1, Ordering::Relaxed);
        ctx.stats
            .planned_writes
            .fetch_add(plan.ops.len() as u64, Ordering::Relaxed);
        ctx.stats.in_plan.fetch_add(1, Ordering::Relaxed);
        if planned.send(item).await.is_err() {
            break;
        }
    }
}

/// Stage 3: apply users' ops, one user at a time per worker.
async fn writer(
    ctx: Arc<RunCtx>,
    rx: Arc<tokio::sync::Mutex<mpsc::Receiver<Planned>>>,
    verify: mpsc::Sender<Planned>,
) {
    loop {
        if ctx.cancelled() {
            break;
        }
        let next = { rx.lock().await.recv().await };
        let Some(mut item) = next else { break };
        if ctx.cancelled() {
            break;
        }
        ctx.stats.in_flight.fetch_add(1, Ordering::Relaxed);
        let result = apply::apply_user(&ctx, &mut item).await;
        ctx.stats.in_flight.fetch_sub(1, Ordering::Relaxed);
        match result {
            Ok(()) => {
                if verify.send(item).await.is_err() {
                    break;
                }
            }
            Err(f) => {
                let plan = item.plan.clone();
                ctx.finish(
                    &item.work,
                    Some(&plan),
                    Ending::Failed {
                        error: f.error,
                        retryable: f.retryable,
                    },
                )
                .await;
            }
        }
    }
}

/// Stage 4: read back up to ten users at a time and compare (C4).
async fn verifier(ctx: Arc<RunCtx>, rx: Arc<tokio::sync::Mutex<mpsc::Receiver<Planned>>>) {
    loop {
        let mut batch: Vec<Planned> = Vec::with_capacity(USERS_PER_BATCH);
        {
            let mut rx = rx.lock().await;
            match rx.recv().await {
                Some(p) => batch.push(p),
                None => break,
            }
            // Gather a fuller batch when more users are about to finish.
            let deadline = tokio::time::Instant::now() + Duration::from_millis(25);
            while batch.len() < USERS_PER_BATCH {
                match tokio::time::timeout_at(deadline, rx.recv()).await {
                    Ok(Some(p)) => batch.push(p),
                    Ok(None) | Err(_) => break,
                }
            }
        }
        let ids: Vec<&str> = batch.iter().map(|p| p.work.entra.id.as_str()).collect();
        let reads = entra::read_users(ctx.client(), &ids).await;
        for (p, read) in batch.iter().zip(reads) {
            let ending = match read {
                Ok(after) => match verify(&p.plan, &after) {
                    Ok(()) => Ending::Verified,
                    Err(d) => Ending::Mismatch(d),
                },
                Err(e) => Ending::Failed {
                    error: format!(
                        "the writes were made but the read-back failed (C4): {}",
                        e.explanation()
                    ),
                    retryable: true,
                },
            };
            ctx.finish(&p.work, Some(&p.plan), ending).await;
        }
    }
}
