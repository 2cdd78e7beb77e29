//! The cutover services: Staged Rollout for MFA (`rollout.rs`), the domains' federation
//! setting (`federation.rs`) and preflight (`preflight.rs`). Each request runs in a task
//! of its own that reads the facts (`facts.rs`), asks the pure rules in `crate::rollout`
//! for a verdict and, when asked to apply and the verdict allows, makes the writes through
//! the journal and the audit log (`changes.rs`).
//!
//! One tenant change runs at a time: a second is refused as busy while one is being
//! written. Reads (status, what-if) run alongside. At start, writes a killed process left
//! open are read back and closed before any change is taken.

mod changes;
mod checklist;
mod facts;
mod federation;
mod preflight;
mod rollout;

use std::sync::Arc;

use super::context::{Ctx, Events, Inbox};
use super::protocol::{ChangeReport, Command, Event, Refusal, RefusalKind, RequestId};
use super::store::Store;
use crate::capability::Capabilities;
use crate::clock::Clock;
use crate::datafile::DataSet;
use crate::finding::Finding;
use crate::graph::{GraphClient, Identity};
use crate::rollout::Decision;
use crate::rollout::Wave;

pub(crate) use changes::Reconciled;

/// What the cutover tasks report back.
pub(crate) enum CutMsg {
    /// A change finished (applied or not): the next may start.
    Done,
    Reconciled(Reconciled),
}

/// The inventory's verdicts the interlocks take (R1, F1): relying parties and policies
/// that keep users on MFA Server, and dependencies not done (`None` when no inventory is
/// loaded, which F1 says it cannot check); and its counts for the checklist.
#[derive(Debug, Clone)]
pub(crate) struct InventoryFacts {
    pub keeps_users: Vec<Finding>,
    pub not_done: Option<Vec<Finding>>,
    pub counts: Result<crate::checklist::InventoryFacts, String>,
}

impl Default for InventoryFacts {
    fn default() -> Self {
        InventoryFacts {
            keeps_users: Vec::new(),
            not_done: None,
            counts: Err("the dependency inventory is not built".into()),
        }
    }
}

/// What a cutover task works with: cloned from the context when it starts.
#[derive(Clone)]
pub(crate) struct Task {
    /// The main sign-in's client (directory reads, the methods policy).
    pub graph: GraphClient,
    /// The client for what refuses app-only tokens (Staged Rollout), and federation.
    pub admin: GraphClient,
    pub actor: String,
    pub identity: Identity,
    pub delegated: Option<Identity>,
    pub capabilities: Capabilities,
    pub store: Store,
    pub tenant: String,
    pub clock: Arc<dyn Clock>,
    pub events: Events,
    pub data: Arc<DataSet>,
    pub waves: Vec<Wave>,
    pub inventory: InventoryFacts,
    /// Not signed in: nothing of the tenant can be read.
    pub offline: bool,
}

impl Task {
    fn reader(&self) -> facts::Reader {
        facts::Reader::new(self.graph.clone(), self.store.clone(), self.tenant.clone())
    }

    fn journal(&self) -> changes::Journal<'_> {
        changes::Journal {
            store: &self.store,
            tenant: &self.tenant,
            actor: &self.actor,
            clock: self.clock.as_ref(),
        }
    }
}

/// The report of a verdict: the decision for `force`, the line and the confirmation.
fn change_report(
    verdict: crate::rollout::Verdict,
    force: bool,
    planned: Vec<String>,
) -> ChangeReport {
    let decision = verdict.decide(force);
    ChangeReport {
        blast_line: verdict.blast_line(force),
        confirmation: verdict.confirmation_for(force),
        decision,
        verdict,
        planned,
        applied: Vec::new(),
    }
}

/// Whether the checked change may be written; the refusal when not.
fn may_write(r: &ChangeReport) -> Result<bool, Refusal> {
    match &r.decision {
        Decision::NothingToDo => Ok(false),
        Decision::Proceed | Decision::Forced { .. } => Ok(true),
        Decision::Blocked { by } | Decision::Refused { by } => {
            let rules: Vec<String> = by.iter().map(ToString::to_string).collect();
            let forcible = matches!(r.decision, Decision::Blocked { .. });
            Err(Refusal::new(
                RefusalKind::Interlock,
                format!(
                    "{} — blocked by {}{}",
                    r.blast_line,
                    rules.join(", "),
                    if forcible {
                        " (--force overrides it, and the audit log says so)"
                    } else {
                        " (Entra or the sign-in refuses it: --force cannot override it)"
                    }
                ),
            )
            .with_findings(
                r.verdict
                    .refusals
                    .iter()
                    .chain(r.verdict.blockers())
                    .cloned()
                    .collect(),
            ))
        }
    }
}

/// The rules the change was forced past (for the audit entry).
fn overridden(r: &ChangeReport) -> Vec<Finding> {
    match &r.decision {
        Decision::Forced { .. } => r.verdict.blockers().cloned().collect(),
        _ => Vec::new(),
    }
}

/// A Graph error while reading or writing for a cutover command, as the refusal the
/// front end shows: a 403 is a missing permission (what to grant is in the explanation),
/// anything else a failure.
fn graph_refusal(what: &str, e: &crate::graph::GraphError) -> Refusal {
    let kind = if e.status() == Some(403) {
        RefusalKind::Unavailable
    } else {
        RefusalKind::Failed
    };
    Refusal::new(kind, format!("{what}: {}", e.explanation()))
}

/// Refuse before any Graph call when the sign-in cannot do the domain's changes: the
/// capability's finding (what is missing and the fix) travels with the refusal.
fn require(missing: Option<Finding>) -> Result<(), Refusal> {
    match missing {
        Some(f) => Err(Refusal::new(
            RefusalKind::Unavailable,
            f.fix
                .clone()
                .map_or(f.text.clone(), |fix| format!("{} — {fix}", f.text)),
        )
        .with_findings(vec![f])),
        None => Ok(()),
    }
}

pub(crate) struct CutoverService {
    inbox: Inbox<CutMsg>,
    waves: Vec<Wave>,
    /// A change is being written.
    busy: bool,
    reconciled: bool,
}

impl CutoverService {
    pub(crate) fn new(inbox: Inbox<CutMsg>, waves: Vec<Wave>) -> CutoverService {
        CutoverService {
            inbox,
            waves,
            busy: false,
            reconciled: false,
        }
    }

    fn task(&self, ctx: &Ctx, inventory: InventoryFacts) -> Task {
        Task {
            graph: ctx.graph().clone(),
            admin: ctx.session.admin_graph().clone(),
            actor: ctx.session.admin_actor().to_string(),
            identity: ctx.session.identity.clone(),
            delegated: ctx.session.delegated.as_ref().map(|(_, i)| i.clone()),
            capabilities: ctx.session.capabilities.clone(),
            store: ctx.store.clone(),
            tenant: ctx.tenant.clone(),
            clock: ctx.clock.clone(),
            events: ctx.events.clone(),
            data: ctx.data.clone(),
            waves: self.waves.clone(),
            inventory,
            offline: ctx.offline,
        }
    }

    /// Whether open writes of a killed run have been read back (commands wait for it).
    pub(crate) fn is_ready(&self) -> bool {
        self.reconciled
    }

    /// Read back and close what a killed process left open (a writer only).
    pub(crate) fn start(&mut self, ctx: &Ctx) {
        if !ctx.store.is_writable() || ctx.offline {
            self.reconciled = true;
            return;
        }
        let t = self.task(ctx, InventoryFacts::default());
        let inbox = self.inbox.clone();
        tokio::spawn(async move {
            let r = changes::reconcile(&t.admin, &t.journal()).await;
            inbox.send(CutMsg::Reconciled(r));
        });
    }

    pub(crate) async fn report(&mut self, ctx: &Ctx, msg: CutMsg) {
        match msg {
            CutMsg::Done => self.busy = false,
            CutMsg::Reconciled(r) => {
                self.reconciled = true;
                if r.open > 0 {
                    ctx.events
                        .error(
                            None,
                            "reconciling Staged Rollout and federation writes",
                            format!(
                                "a run was stopped with {} write(s) in flight: {} applied, {} \
                                 not applied, {} left open (read back again at the next start)",
                                r.open, r.done, r.not_done, r.unresolved
                            ),
                        )
                        .await;
                }
            }
        }
    }

    /// Route a cutover command. `inventory`: the inventory's verdicts, for R1 and F1.
    pub(crate) async fn command(
        &mut self,
        ctx: &Ctx,
        id: RequestId,
        cmd: Command,
        inventory: InventoryFacts,
    ) {
        let applies = match &cmd {
            Command::Rollout(c) => rollout::applies(c),
            Command::Federation(c) => federation::applies(c),
            Command::Checklist(c) => checklist::applies(c),
            _ => false,
        };
        if applies {
            if let Some(why) = ctx.session.capabilities.write_store.why() {
                ctx.events
                    .refuse(id, RefusalKind::ReadOnly, format!("READ-ONLY: {why}"))
                    .await;
                return;
            }
            if !self.reconciled {
                ctx.events
                    .refuse(
                        id,
                        RefusalKind::NotReady,
                        "writes a stopped run left open are still being read back: try again \
                         in a moment",
                    )
                    .await;
                return;
            }
            if self.busy {
                ctx.events
                    .refuse(
                        id,
                        RefusalKind::Busy,
                        "another Staged Rollout or federation change is being written: wait \
                         for it",
                    )
                    .await;
                return;
            }
            self.busy = true;
        }
        let t = self.task(ctx, inventory);
        let inbox = self.inbox.clone();
        tokio::spawn(async move {
            let events = t.events.clone();
            let outcome = match cmd {
                Command::Rollout(c) => rollout::run(&t, c).await,
                Command::Federation(c) => federation::run(&t, c).await,
                Command::Preflight => preflight::run(&t).await,
                Command::Checklist(c) => checklist::run(&t, c).await,
                _ => Err(Refusal::new(RefusalKind::BadInput, "not a cutover command")),
            };
            if let Ok(answer) = &outcome {
                // Every pane hears what changed and what the tenant looks like now.
                events.send(Event::Cutover(Box::new(answer.clone()))).await;
            }
            // Free the service before the reply goes out: the core reads its own messages
            // first, so a change asked for as soon as the reply arrives is not refused as
            // busy.
            if applies {
                inbox.send(CutMsg::Done);
            }
            events.reply(id, outcome).await;
        });
    }
}
