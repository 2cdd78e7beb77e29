//! The inventory service: builds the dependency inventory from the data file's services
//! and settings and the configured AD FS / NPS exports (on the blocking pool: the exports
//! can be tens of MiB), attaches the admin's decisions from the state store, and takes new
//! decisions (stored and audited: a local change, but one the change board asks about).
//! What it says about dependencies feeds the interlocks (R1, F1) and the checklist.

use std::collections::VecDeque;
use std::sync::Arc;

use super::context::{Ctx, Inbox};
use super::protocol::{
    Answer, Event, ExportFormat, InventoryCommand, InventoryReport, Refusal, RefusalKind, RequestId,
};
use super::store::{AuditEntry, ItemDecision, ItemStatus, Target, TargetKind};
use crate::config::InventorySources;
use crate::datafile::DataSet;
use crate::finding::RuleId;
use crate::inventory::{self, Decision, Inventory, ItemId, Options, PathKind, Status, Subject};
use crate::safe_text::terminal;

/// What the service's tasks report back.
pub(crate) enum InvMsg {
    Built(Result<Built, String>),
}

/// An inventory with the store's decisions attached.
#[derive(Clone)]
pub(crate) struct Built {
    inventory: Inventory,
    stale: Vec<ItemDecision>,
}

impl Built {
    fn report(&self) -> InventoryReport {
        InventoryReport {
            progress: self.inventory.progress(),
            keeps_users_on_mfa_server: self.inventory.keeps_users_on_mfa_server(),
            stale_decisions: self.stale.clone(),
            inventory: self.inventory.clone(),
        }
    }
}

enum State {
    Building,
    Ready(Arc<Built>),
    Failed(String),
}

pub(crate) struct InventoryService {
    inbox: Inbox<InvMsg>,
    sources: InventorySources,
    state: State,
    /// Requests that came while building, answered once it is done.
    waiting: VecDeque<(RequestId, InventoryCommand)>,
}

impl InventoryService {
    pub(crate) fn new(inbox: Inbox<InvMsg>, sources: InventorySources) -> InventoryService {
        InventoryService {
            inbox,
            sources,
            state: State::Building,
            waiting: VecDeque::new(),
        }
    }

    /// Build from the data and the exports, in the background.
    pub(crate) fn start(&mut self, ctx: &Ctx) {
        self.state = State::Building;
        let (data, sources, store, tenant) = (
            ctx.data.clone(),
            self.sources.clone(),
            ctx.store.clone(),
            ctx.tenant.clone(),
        );
        let inbox = self.inbox.clone();
        tokio::spawn(async move {
            let built = tokio::task::spawn_blocking(move || {
                let decisions = store
                    .decisions(&tenant)
                    .map_err(|e| format!("reading the inventory decisions: {e}"))?;
                build(&data, &sources, decisions)
            })
            .await
            .unwrap_or_else(|e| Err(format!("building the inventory stopped: {e}")));
            inbox.send(InvMsg::Built(built));
        });
    }

    pub(crate) async fn report(&mut self, ctx: &Ctx, msg: InvMsg) {
        match msg {
            InvMsg::Built(Ok(b)) => self.state = State::Ready(Arc::new(b)),
            InvMsg::Built(Err(e)) => {
                ctx.events
                    .error(None, "building the dependency inventory", e.clone())
                    .await;
                self.state = State::Failed(e);
            }
        }
        while let Some((id, cmd)) = self.waiting.pop_front() {
            self.command(ctx, id, cmd).await;
        }
    }

    pub(crate) fn is_building(&self) -> bool {
        matches!(self.state, State::Building)
    }

    /// The inventory as it is now, if built.
    pub(crate) fn current(&self) -> Option<&Inventory> {
        match &self.state {
            State::Ready(b) => Some(&b.inventory),
            _ => None,
        }
    }

    /// What the interlocks take: what keeps users on MFA Server, and the dependencies
    /// not done (`None` without any source, which F1 says it cannot check).
    pub(crate) fn facts(&self) -> super::cutover::InventoryFacts {
        let counts = match &self.state {
            State::Building => Err("the dependency inventory is still being built".into()),
            State::Failed(e) => Err(e.clone()),
            State::Ready(b) => Ok(counts(&b.inventory)),
        };
        match self.current() {
            Some(inv) if inv.has_sources() => super::cutover::InventoryFacts {
                keeps_users: inv.keeps_users_on_mfa_server(),
                not_done: Some(inv.not_done(&RuleId::from(crate::rollout::Rule::F1))),
                counts,
            },
            _ => super::cutover::InventoryFacts {
                counts,
                ..Default::default()
            },
        }
    }

    pub(crate) async fn command(&mut self, ctx: &Ctx, id: RequestId, cmd: InventoryCommand) {
        if let InventoryCommand::Reload = cmd {
            self.start(ctx);
            self.waiting.push_back((id, InventoryCommand::Status));
            return;
        }
        let built = match &self.state {
            State::Building => {
                self.waiting.push_back((id, cmd));
                return;
            }
            State::Failed(e) => {
                let message = format!("the dependency inventory could not be built: {e}");
                ctx.events.refuse(id, RefusalKind::BadInput, message).await;
                return;
            }
            State::Ready(b) => b.clone(),
        };
        match cmd {
            InventoryCommand::Status | InventoryCommand::Reload => {
                ctx.events
                    .answer(id, Answer::Inventory(Arc::new(built.report())))
                    .await
            }
            InventoryCommand::Decide {
                item,
                path,
                status,
                note,
            } => {
                let outcome = self.decide(ctx, &built, &item, path, status, note).await;
                if let Ok(a) = &outcome {
                    ctx.events.send(Event::Cutover(Box::new(a.clone()))).await;
                }
                ctx.events.reply(id, outcome).await;
            }
            InventoryCommand::Why {
                relying_party,
                sids,
            } => {
                let subject = Subject {
                    sids: (!sids.is_empty()).then_some(sids),
                };
                let outcome = built
                    .inventory
                    .why(&relying_party, &subject)
                    .map(|c| Answer::Why(Box::new(c)))
                    .map_err(|e| Refusal::new(RefusalKind::NotFound, e.to_string()));
                ctx.events.reply(id, outcome).await;
            }
            InventoryCommand::Export { path, format } => {
                let events = ctx.events.clone();
                tokio::spawn(async move {
                    let outcome =
                        tokio::task::spawn_blocking(move || export(&built, &path, format))
                            .await
                            .unwrap_or_else(|e| {
                                Err(Refusal::new(
                                    RefusalKind::Failed,
                                    format!("the export stopped: {e}"),
                                ))
                            });
                    events.reply(id, outcome).await;
                });
            }
        }
    }

    /// Record a decision: the store, the audit log, then the inventory in memory.
    async fn decide(
        &mut self,
        ctx: &Ctx,
        built: &Built,
        item: &str,
        path: Option<PathKind>,
        status: Status,
        note: Option<String>,
    ) -> Result<Answer, Refusal> {
        if let Some(why) = ctx.session.capabilities.write_store.why() {
            return Err(Refusal::new(
                RefusalKind::ReadOnly,
                format!("READ-ONLY: {why}"),
            ));
        }
        let wanted = ItemId(item.trim().to_lowercase());
        let Some(found) = built
            .inventory
            .items
            .iter()
            .find(|i| i.id == wanted || i.name.eq_ignore_ascii_case(item.trim()))
        else {
            return Err(Refusal::new(
                RefusalKind::NotFound,
                format!(
                    "no dependency \"{}\" in the inventory: expected an item id such as \
                     \"radius:vpn\" or a name (`inventory --json` lists them)",
                    terminal(item)
                ),
            ));
        };
        let decision = Decision {
            item: found.id.clone(),
            path: path.unwrap_or(found.path),
            status,
            note: note.unwrap_or_default(),
        };
        let before = found.decision.as_ref().map(decision_text);
        let after = decision_text(&decision);
        let now = ctx.clock.now();
        let actor = ctx.session.admin_actor().to_string();
        let stored = ItemDecision {
            item_id: found.id.0.clone(),
            kind: found.kind.label().to_string(),
            name: found.name.clone(),
            decision: Some(path_name(decision.path)),
            status: status_of(status),
            note: (!decision.note.is_empty()).then(|| decision.note.clone()),
            actor: actor.clone(),
            updated_at: now,
        };
        let target = Target::new(
            TargetKind::InventoryItem,
            found.id.0.clone(),
            found.name.clone(),
        );
        let written = ctx.store.set_decision(&ctx.tenant, stored).and_then(|()| {
            ctx.store.audit(AuditEntry {
                at: now,
                tenant: ctx.tenant.clone(),
                actor,
                action: "inventory.decide".into(),
                target,
                before,
                after: Some(after),
                detail: None,
                forced: false,
            })
        });
        if let Err(e) = written {
            return Err(Refusal::new(
                RefusalKind::Failed,
                format!("the decision was not recorded: {e}"),
            ));
        }
        if let Err(e) = ctx.store.flush().await {
            return Err(Refusal::new(
                RefusalKind::Failed,
                format!("the decision was not recorded: {e}"),
            ));
        }
        let mut next = built.clone();
        next.inventory
            .apply_decisions(std::slice::from_ref(&decision));
        let next = Arc::new(next);
        self.state = State::Ready(next.clone());
        Ok(Answer::Inventory(Arc::new(next.report())))
    }
}

/// The checklist's view: decided and closed, over everything and over relying parties.
fn counts(inv: &Inventory) -> crate::checklist::InventoryFacts {
    const SAMPLE: usize = 5;
    let p = inv.progress();
    let needs = || inv.items.iter().filter(|i| i.needs_decision());
    let rps = || needs().filter(|i| i.kind == inventory::ItemKind::RelyingParty);
    crate::checklist::InventoryFacts {
        loaded: inv.has_sources(),
        total: p.total,
        decided: p.decided,
        closed: p.done + p.wont_do,
        relying_parties: rps().count(),
        relying_parties_closed: rps().filter(|i| i.status().is_closed()).count(),
        undecided_sample: inv
            .undecided()
            .take(SAMPLE)
            .map(|i| i.name.clone())
            .collect(),
        open_sample: needs()
            .filter(|i| !i.status().is_closed())
            .take(SAMPLE)
            .map(|i| i.name.clone())
            .collect(),
    }
}

/// Read the exports, classify, attach the stored decisions.
fn build(
    data: &DataSet,
    sources: &InventorySources,
    decisions: Vec<ItemDecision>,
) -> Result<Built, String> {
    let exports = inventory::read_files(&sources.adfs, &sources.nps).map_err(|e| e.to_string())?;
    let mut inv = Inventory::from_data(
        Some(data),
        exports,
        Options {
            group_routing_planned: sources.group_routing,
        },
    );
    let mut stale = Vec::new();
    let mut attach = Vec::new();
    for d in decisions {
        let id = ItemId(d.item_id.clone());
        let Some(item) = inv.item(&id) else {
            stale.push(d);
            continue;
        };
        attach.push(Decision {
            path: d
                .decision
                .as_deref()
                .and_then(parse_path)
                .unwrap_or(item.path),
            item: id,
            status: status_from(d.status),
            note: d.note.unwrap_or_default(),
        });
    }
    inv.apply_decisions(&attach);
    Ok(Built {
        inventory: inv,
        stale,
    })
}

fn export(built: &Built, path: &std::path::Path, format: ExportFormat) -> Result<Answer, Refusal> {
    let (bytes, what) = match format {
        ExportFormat::Csv => (
            built.inventory.to_csv().map_err(|e| {
                Refusal::new(RefusalKind::Failed, format!("cannot encode the CSV: {e}"))
            })?,
            "the dependency inventory (CSV)",
        ),
        ExportFormat::Markdown => (
            built.inventory.to_markdown(),
            "the dependency inventory (Markdown)",
        ),
    };
    crate::fsx::write_export(path, bytes.as_bytes())
        .map_err(|e| Refusal::new(RefusalKind::Failed, e.to_string()))?;
    Ok(Answer::Written {
        path: path.to_path_buf(),
        what: what.into(),
    })
}

/// `path; status; note`, as the audit log shows a decision.
fn decision_text(d: &Decision) -> String {
    let mut s = format!("{} · {}", d.path.label(), d.status.label());
    if !d.note.is_empty() {
        s.push_str(&format!(" · {}", d.note));
    }
    s
}

/// A path's stored name (its serde name).
fn path_name(p: PathKind) -> String {
    serde_json::to_value(p)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn parse_path(s: &str) -> Option<PathKind> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

fn status_of(s: Status) -> ItemStatus {
    match s {
        Status::Pending => ItemStatus::Pending,
        Status::InProgress => ItemStatus::InProgress,
        Status::Done => ItemStatus::Done,
        Status::WontDo => ItemStatus::WontDo,
    }
}

fn status_from(s: ItemStatus) -> Status {
    match s {
        ItemStatus::Pending => Status::Pending,
        ItemStatus::InProgress => Status::InProgress,
        ItemStatus::Done => Status::Done,
        ItemStatus::WontDo => Status::WontDo,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_statuses_round_trip_through_the_store_names() {
        for p in [
            PathKind::NpsExtension,
            PathKind::FederateWithEntra,
            PathKind::StagedRolloutAndFederation,
            PathKind::Remove,
        ] {
            assert_eq!(parse_path(&path_name(p)), Some(p));
        }
        for s in Status::ALL {
            assert_eq!(status_from(status_of(s)), s);
        }
        assert_eq!(parse_path("no such path"), None);
    }
}
