//! Start-up reconciliation (rule C5): journal entries with an intent but no outcome were
//! left by a run that was killed while, or just before, the write was in flight. Before
//! any new run, each such user is read back and each entry closed by what Entra shows
//! (a migration write or an undo write alike):
//! `reconciled_done` (the write took effect; it is also audited) or
//! `reconciled_not_done`. The user's change tracking is forgotten, so the next run plans
//! it again from the state just read and writes only what is still missing.

use std::collections::BTreeMap;

use super::ops;
use crate::clock::Clock;
use crate::engine::entra::{self, USERS_PER_BATCH};
use crate::engine::protocol::{EngineError, Reconciliation};
use crate::engine::store::{
    AuditEntry, JournalEntry, Outcome, OutcomeKind, Store, TargetKind, Tracking, UserStatusKind,
    UserUpdate,
};
use crate::graph::GraphClient;
use crate::migrate::undo::{JournalOp, UndoAction};

/// An open journal entry and its op (`None`: a format this build cannot read).
type OpenWrite = (JournalEntry, Option<JournalOp>);

/// Everything reconciliation needs.
pub(crate) struct Reconciler<'a> {
    pub client: &'a GraphClient,
    pub store: &'a Store,
    pub tenant: &'a str,
    pub actor: &'a str,
    pub clock: &'a dyn Clock,
    pub hardware: bool,
}

impl Reconciler<'_> {
    /// Close every open intent of the tenant that a read-back can decide. Problems are
    /// returned for the front end; entries that cannot be decided stay open.
    pub(crate) async fn run(&self) -> (Reconciliation, Vec<EngineError>) {
        let mut summary = Reconciliation::default();
        let mut errors = Vec::new();
        // Writes to users' methods are decided here by reading the user back; the
        // rollout and federation services reconcile their own targets.
        let open = match self.store.open_intents(self.tenant) {
            Ok(o) => o
                .into_iter()
                .filter(|e| e.target.kind == TargetKind::UserMethod)
                .collect::<Vec<_>>(),
            Err(e) => {
                errors.push(EngineError {
                    request: None,
                    context: "reading the write journal".into(),
                    message: e.to_string(),
                });
                return (summary, errors);
            }
        };
        summary.open = open.len();
        if open.is_empty() {
            return (summary, errors);
        }
        let mut by_user: BTreeMap<String, Vec<OpenWrite>> = BTreeMap::new();
        for entry in open {
            let op = JournalOp::parse(&entry.op);
            by_user
                .entry(entry.target.id.clone())
                .or_default()
                .push((entry, op));
        }
        summary.users = by_user.len();
        let users: Vec<(String, Vec<OpenWrite>)> = by_user.into_iter().collect();
        for chunk in users.chunks(USERS_PER_BATCH) {
            let ids: Vec<&str> = chunk.iter().map(|(id, _)| id.as_str()).collect();
            let reads = entra::read_users(self.client, &ids).await;
            let serials: Vec<String> = if self.hardware {
                let mut s: Vec<String> = chunk
                    .iter()
                    .flat_map(|(_, entries)| entries.iter())
                    .filter_map(|(_, op)| op.as_ref())
                    .filter_map(|op| op.serial().map(str::to_string))
                    .collect();
                s.sort();
                s.dedup();
                s
            } else {
                Vec::new()
            };
            let inventory = entra::lookup_serials(self.client, &serials).await;
            for ((user, entries), read) in chunk.iter().zip(reads) {
                let mut methods = match read {
                    Ok(m) => m,
                    Err(e) => {
                        summary.unresolved += entries.len();
                        errors.push(EngineError {
                            request: None,
                            context: format!("reconciling open writes of {user}"),
                            message: format!(
                                "{}; the writes stay open and are reconciled at the next start",
                                e.explanation()
                            ),
                        });
                        continue;
                    }
                };
                let needs_inventory = entries
                    .iter()
                    .any(|(_, op)| op.as_ref().is_some_and(|o| o.serial().is_some()));
                // An unassignment is judged by the user's own token list, which also
                // shows tokens the polymorphic method list may not (legacy CSV uploads):
                // a token still held must never read as unassigned.
                let unassigns = entries.iter().any(|(_, op)| {
                    matches!(
                        op,
                        Some(JournalOp::Undo(u))
                            if matches!(u.action, UndoAction::UnassignHardwareToken { .. })
                    )
                });
                if self.hardware
                    && unassigns
                    && let Err(e) = entra::add_user_tokens(self.client, user, &mut methods).await
                {
                    summary.unresolved += entries.len();
                    errors.push(EngineError {
                        request: None,
                        context: format!("reconciling open writes of {user}"),
                        message: format!(
                            "reading the user's hardware tokens: {}; the writes stay open",
                            e.explanation()
                        ),
                    });
                    continue;
                }
                let inventory = match (&inventory, needs_inventory) {
                    (Ok(i), _) => i.as_slice(),
                    (Err(_), false) => &[],
                    (Err(e), true) => {
                        summary.unresolved += entries.len();
                        errors.push(EngineError {
                            request: None,
                            context: format!("reconciling open writes of {user}"),
                            message: format!(
                                "looking up hardware tokens: {}; the writes stay open",
                                e.explanation()
                            ),
                        });
                        continue;
                    }
                };
                let mut upn = user.clone();
                for (entry, op) in entries {
                    upn = entry.target.name.clone();
                    let Some(op) = op else {
                        summary.unresolved += 1;
                        errors.push(EngineError {
                            request: None,
                            context: format!("reconciling journal entry {}", entry.id.0),
                            message: "the entry's operation is not one this build knows; it \
                                      stays open"
                                .into(),
                        });
                        continue;
                    };
                    let took = ops::journal_took_effect(op, &methods, inventory);
                    let kind = if took {
                        summary.done += 1;
                        OutcomeKind::ReconciledDone
                    } else {
                        summary.not_done += 1;
                        OutcomeKind::ReconciledNotDone
                    };
                    let outcome = Outcome {
                        kind,
                        http_status: None,
                        error: Some(
                            "the run was interrupted with this write in flight; decided by \
                             reading the user back"
                                .into(),
                        ),
                        client_request_id: None,
                    };
                    if let Err(e) = self.store.outcome(entry.id, outcome) {
                        errors.push(EngineError {
                            request: None,
                            context: format!("closing journal entry {}", entry.id.0),
                            message: e.to_string(),
                        });
                    }
                    if took {
                        self.audit(entry, op);
                    }
                }
                let update = UserUpdate {
                    tenant: self.tenant.to_string(),
                    entra_id: user.clone(),
                    upn,
                    mfa_username: None,
                    status: UserStatusKind::Interrupted,
                    detail: Some("a run was interrupted while writing this user".into()),
                    tracking: Tracking::Forget,
                    usable: None,
                };
                if let Err(e) = self.store.update_user(update) {
                    errors.push(EngineError {
                        request: None,
                        context: format!("recording {user}"),
                        message: e.to_string(),
                    });
                }
            }
        }
        if let Err(e) = self.store.flush().await {
            errors.push(EngineError {
                request: None,
                context: "reconciling the write journal".into(),
                message: e.to_string(),
            });
        }
        (summary, errors)
    }

    fn audit(&self, entry: &JournalEntry, op: &JournalOp) {
        let (action, before, after) = ops::journal_audit_parts(op);
        let detail = format!(
            "rules {}; journal {}; the run was interrupted; the read-back shows it applied",
            ops::rule_list(op.rules()),
            entry.id.0
        );
        let _ = self.store.audit(AuditEntry {
            at: self.clock.now(),
            tenant: self.tenant.to_string(),
            actor: self.actor.to_string(),
            action: action.to_string(),
            target: entry.target.clone(),
            before,
            after,
            detail: Some(detail),
            forced: false,
        });
    }
}
