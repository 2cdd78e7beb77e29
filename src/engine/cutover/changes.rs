//! Every Staged Rollout and federation write as the migration writes users' methods
//! (rule C5, A1): the intent journaled and durable before the request leaves, the
//! outcome recorded when it returns, a write whose outcome is unknown (timeout, reset,
//! 5xx) decided by reading the tenant back — never sent twice —, and the change audited
//! with who, before, after (read back) and whether an interlock was forced.
//!
//! At start-up, intents a killed process left open are read back and closed the same way
//! ([`reconcile`]).

use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::engine::protocol::{AppliedWrite, Refusal, RefusalKind};
use crate::engine::store::{
    AuditEntry, Intent, JournalEntry, JournalId, Outcome, OutcomeKind, Store, Target, TargetKind,
};
use crate::graph::model::{FederatedIdpMfaBehavior, RolloutPolicy};
use crate::graph::{GraphClient, GraphError};
use crate::rollout::{AuditRecord, FederationValue, MfaBehavior, POLICY_TARGET};

/// One rollout or federation write, as the journal records it (never a secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub(crate) enum ChangeOp {
    CreatePolicy {
        display_name: String,
    },
    AddGroup {
        policy_id: String,
        group_id: String,
        group_name: String,
    },
    RemoveGroup {
        policy_id: String,
        group_id: String,
        group_name: String,
    },
    SetPolicyEnabled {
        policy_id: String,
        enabled: bool,
    },
    SetFederation {
        domain: String,
        to: MfaBehavior,
    },
}

impl ChangeOp {
    /// What the journal files the write under.
    pub(crate) fn target(&self, policy_name: &str) -> Target {
        match self {
            ChangeOp::CreatePolicy { display_name } => Target::new(
                TargetKind::RolloutPolicy,
                POLICY_TARGET,
                display_name.clone(),
            ),
            ChangeOp::SetPolicyEnabled { .. } => {
                Target::new(TargetKind::RolloutPolicy, POLICY_TARGET, policy_name)
            }
            ChangeOp::AddGroup {
                group_id,
                group_name,
                ..
            }
            | ChangeOp::RemoveGroup {
                group_id,
                group_name,
                ..
            } => Target::new(
                TargetKind::RolloutGroup,
                group_id.clone(),
                group_name.clone(),
            ),
            ChangeOp::SetFederation { domain, .. } => Target::new(
                TargetKind::DomainFederation,
                domain.to_lowercase(),
                domain.clone(),
            ),
        }
    }

    /// In words, for the journal view and the report.
    pub(crate) fn describe(&self) -> String {
        match self {
            ChangeOp::CreatePolicy { display_name } => {
                format!(
                    "create the Staged Rollout policy \"{display_name}\" (multiFactorAuthentication)"
                )
            }
            ChangeOp::AddGroup { group_name, .. } => {
                format!("add \"{group_name}\" to the MFA rollout policy")
            }
            ChangeOp::RemoveGroup { group_name, .. } => {
                format!("remove \"{group_name}\" from the MFA rollout policy")
            }
            ChangeOp::SetPolicyEnabled { enabled, .. } => format!(
                "turn Staged Rollout for MFA {}",
                if *enabled { "on" } else { "off" }
            ),
            ChangeOp::SetFederation { domain, to } => {
                format!(
                    "set federatedIdpMfaBehavior of {domain} to {}",
                    to.graph_name()
                )
            }
        }
    }

    /// Whether the tenant shows the write as made (reading it back).
    pub(crate) async fn took_effect(&self, graph: &GraphClient) -> Result<bool, GraphError> {
        let policy = || async { graph.find_mfa_rollout_policy().await };
        let has = |p: &RolloutPolicy, group: &str| {
            p.applies_to
                .iter()
                .any(|o| o.id.eq_ignore_ascii_case(group))
        };
        Ok(match self {
            ChangeOp::CreatePolicy { .. } => policy().await?.is_some(),
            ChangeOp::AddGroup { group_id, .. } => {
                policy().await?.is_some_and(|p| has(&p, group_id))
            }
            ChangeOp::RemoveGroup { group_id, .. } => {
                !policy().await?.is_some_and(|p| has(&p, group_id))
            }
            ChangeOp::SetPolicyEnabled { enabled, .. } => policy()
                .await?
                .is_some_and(|p| p.is_enabled.unwrap_or(false) == *enabled),
            ChangeOp::SetFederation { domain, to } => {
                let fed = graph.get_federation(domain).await?;
                FederationValue::from_graph(
                    fed.as_ref()
                        .and_then(|f| f.federated_idp_mfa_behavior.as_ref()),
                ) == FederationValue::Set(*to)
            }
        })
    }
}

/// The journal and audit log as the cutover services use them.
pub(crate) struct Journal<'a> {
    pub store: &'a Store,
    pub tenant: &'a str,
    /// The token subject that makes the change.
    pub actor: &'a str,
    pub clock: &'a dyn Clock,
}

/// How a journaled write ended.
pub(crate) struct Written<T> {
    pub journal: JournalId,
    /// The write's own answer; `None` when no answer came and the read-back shows the
    /// write made.
    pub answer: Option<T>,
}

fn failed(message: String) -> Refusal {
    Refusal::new(RefusalKind::Failed, message)
}

impl Journal<'_> {
    /// Journal `op`, send it with `write`, record the outcome; an unknown outcome is
    /// decided by reading back. `Err` when the write was refused or could not be decided.
    pub(crate) async fn write<T, F>(
        &self,
        graph: &GraphClient,
        op: &ChangeOp,
        policy_name: &str,
        write: F,
    ) -> Result<Written<T>, Refusal>
    where
        F: Future<Output = Result<T, GraphError>>,
    {
        let target = op.target(policy_name);
        let op_text = serde_json::to_string(op).unwrap_or_default();
        let journal = self
            .store
            .intent(Intent {
                run: None,
                tenant: self.tenant.to_string(),
                target,
                op: op_text,
            })
            .await
            .map_err(|e| {
                failed(format!(
                    "{}: not sent, because the state store could not journal it first: {e}",
                    op.describe()
                ))
            })?;
        match write.await {
            Ok(answer) => {
                self.close(journal, OutcomeKind::Ok, None);
                Ok(Written {
                    journal,
                    answer: Some(answer),
                })
            }
            Err(e) if e.outcome_unknown() => {
                let took = op.took_effect(graph).await.map_err(|re| {
                    failed(format!(
                        "{}: no answer came ({}) and the read-back failed ({}); it is read back \
                         again at the next start before anything else",
                        op.describe(),
                        e.explanation(),
                        re.explanation()
                    ))
                })?;
                self.close(
                    journal,
                    if took {
                        OutcomeKind::ReconciledDone
                    } else {
                        OutcomeKind::ReconciledNotDone
                    },
                    Some(&e),
                );
                if took {
                    Ok(Written {
                        journal,
                        answer: None,
                    })
                } else {
                    Err(failed(format!(
                        "{}: no answer came ({}) and the tenant does not show it: nothing \
                         changed; try again",
                        op.describe(),
                        e.explanation()
                    )))
                }
            }
            Err(e) => {
                self.close(journal, OutcomeKind::Failed, Some(&e));
                let kind = if e.status() == Some(403) {
                    RefusalKind::Unavailable
                } else {
                    RefusalKind::Failed
                };
                Err(Refusal::new(
                    kind,
                    format!("{}: {}", op.describe(), e.explanation()),
                ))
            }
        }
    }

    fn close(&self, id: JournalId, kind: OutcomeKind, error: Option<&GraphError>) {
        let outcome = Outcome {
            kind,
            http_status: error.and_then(GraphError::status),
            error: error.map(|e| e.to_string()),
            client_request_id: error.and_then(|e| e.client_request_id.clone()),
        };
        if let Err(e) = self.store.outcome(id, outcome) {
            tracing::error!(error = %e, journal = id.0, "the journal refused a write's outcome");
        }
    }

    /// Audit a change (A1) under `target`; the record comes from the rules' audit helpers.
    pub(crate) fn audit(&self, target: Target, record: &AuditRecord, journal: &[JournalId]) {
        let mut detail = record.detail.clone().unwrap_or_default();
        if !journal.is_empty() {
            let ids: Vec<String> = journal.iter().map(|j| j.0.to_string()).collect();
            if !detail.is_empty() {
                detail.push_str("; ");
            }
            detail.push_str(&format!("journal {}", ids.join(", ")));
        }
        let entry = AuditEntry {
            at: self.clock.now(),
            tenant: self.tenant.to_string(),
            actor: self.actor.to_string(),
            action: record.action.to_string(),
            target,
            before: record.before.clone(),
            after: record.after.clone(),
            detail: (!detail.is_empty()).then_some(detail),
            forced: record.forced,
        };
        if let Err(e) = self.store.audit(entry) {
            tracing::error!(error = %e, "the audit log refused an entry");
        }
    }

    /// A write as the change report lists it.
    pub(crate) fn applied(
        op: &ChangeOp,
        policy_name: &str,
        written: JournalId,
        before: Option<String>,
        after: Option<String>,
    ) -> AppliedWrite {
        AppliedWrite {
            what: op.describe(),
            target: op.target(policy_name),
            before,
            after,
            journal: written,
        }
    }
}

/// The wire value of a behaviour, for the PATCH body.
pub(crate) fn wire(b: MfaBehavior) -> FederatedIdpMfaBehavior {
    b.to_graph()
}

/// What start-up reconciliation of rollout and federation writes found.
#[derive(Debug, Default)]
pub(crate) struct Reconciled {
    pub open: usize,
    pub done: usize,
    pub not_done: usize,
    pub unresolved: usize,
}

/// Close the rollout and federation intents a killed process left open: read back, then
/// `reconciled_done` (audited) or `reconciled_not_done`. One that cannot be read back
/// stays open for the next start.
pub(crate) async fn reconcile(graph: &GraphClient, journal: &Journal<'_>) -> Reconciled {
    let mut r = Reconciled::default();
    let open: Vec<JournalEntry> = match journal.store.open_intents(journal.tenant) {
        Ok(o) => o
            .into_iter()
            .filter(|e| {
                matches!(
                    e.target.kind,
                    TargetKind::RolloutPolicy
                        | TargetKind::RolloutGroup
                        | TargetKind::DomainFederation
                )
            })
            .collect(),
        Err(e) => {
            tracing::warn!("reading the journal for open rollout and federation writes: {e}");
            return r;
        }
    };
    r.open = open.len();
    for entry in open {
        let Ok(op) = serde_json::from_str::<ChangeOp>(&entry.op) else {
            r.unresolved += 1;
            continue;
        };
        match op.took_effect(graph).await {
            Ok(took) => {
                let outcome = Outcome {
                    kind: if took {
                        OutcomeKind::ReconciledDone
                    } else {
                        OutcomeKind::ReconciledNotDone
                    },
                    http_status: None,
                    error: Some(
                        "the process was stopped with this write in flight; decided by reading \
                         the tenant back"
                            .into(),
                    ),
                    client_request_id: None,
                };
                if let Err(e) = journal.store.outcome(entry.id, outcome) {
                    tracing::warn!("closing journal entry {}: {e}", entry.id.0);
                }
                if took {
                    r.done += 1;
                    // The audit's `after` is what drift compares with: the live policy's
                    // snapshot, or the domain's value.
                    let (target, after) = match &op {
                        ChangeOp::SetFederation { to, .. } => {
                            (entry.target.clone(), FederationValue::Set(*to).audit_text())
                        }
                        _ => {
                            let live = graph
                                .find_mfa_rollout_policy()
                                .await
                                .ok()
                                .flatten()
                                .map(|p| crate::rollout::RolloutPolicyFacts::from_graph(&p));
                            (
                                Target::new(
                                    TargetKind::RolloutPolicy,
                                    POLICY_TARGET,
                                    live.as_ref().map_or(entry.target.name.clone(), |p| {
                                        p.display_name.clone()
                                    }),
                                ),
                                crate::rollout::PolicySnapshot::of(live.as_ref()).to_audit(),
                            )
                        }
                    };
                    let record = AuditRecord {
                        action: "reconcile",
                        target: target.name.clone(),
                        before: None,
                        after: Some(after),
                        forced: false,
                        detail: Some(format!(
                            "{}: the process was stopped before the answer; the read-back \
                             shows it applied",
                            op.describe()
                        )),
                    };
                    journal.audit(target, &record, &[entry.id]);
                } else {
                    r.not_done += 1;
                }
            }
            Err(e) => {
                tracing::warn!("reading back {}: {e}", op.describe());
                r.unresolved += 1;
            }
        }
    }
    if let Err(e) = journal.store.flush().await {
        tracing::warn!("reconciling rollout and federation writes: {e}");
    }
    r
}
