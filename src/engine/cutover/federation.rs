//! The federation service: every domain's `federatedIdpMfaBehavior` with drift and the
//! propagation clock (status), setting a value behind F1's preflight, and the rollback F2
//! as one action — `enforceMfaByFederatedIdp` on the federated domains, then Staged
//! Rollout for MFA off — with its exact writes shown before the tier-3 confirmation.
//! Every write journaled, read back and audited (A1).

use super::changes::{ChangeOp, Journal, wire};
use super::facts::Reader;
use super::rollout;
use super::{InventoryFacts, Task};
use crate::engine::protocol::{
    Answer, DomainStatus, FederationCommand, FederationStatus, Refusal, RefusalKind,
};
use crate::engine::store::TargetKind;
use crate::finding::Finding;
use crate::rollout::{
    Change, Decision, DomainFacts, FederationValue, GroupInfo, MfaBehavior, MfaServerUsage,
    PolicyMethods, RollbackWrite, SetFederation, Tally, check_methods, check_set_federation,
    federation_audit, federation_drift, plan_rollback, require_federation,
};

pub(super) fn applies(c: &FederationCommand) -> bool {
    match c {
        FederationCommand::Status => false,
        FederationCommand::Set { apply, .. } | FederationCommand::Rollback { apply, .. } => *apply,
    }
}

/// Refuse before any Graph call when the sign-in cannot manage this.
fn require(t: &Task) -> Result<(), Refusal> {
    super::require(require_federation(&t.capabilities))
}

pub(super) async fn run(t: &Task, c: FederationCommand) -> Result<Answer, Refusal> {
    match c {
        FederationCommand::Status => status(t).await.map(|s| Answer::Federation(Box::new(s))),
        FederationCommand::Set {
            domain,
            behavior,
            force,
            apply,
        } => set(t, &domain, behavior, force, apply).await,
        FederationCommand::Rollback { force, apply } => rollback(t, force, apply).await,
    }
}

async fn domains(t: &Task, reader: &Reader) -> Result<Vec<DomainFacts>, Refusal> {
    // The admin's client reads what it will write (a delegated sign-in beside an app).
    let reader = Reader::new(t.admin.clone(), reader.store.clone(), reader.tenant.clone());
    reader
        .domains()
        .await
        .map_err(|e| super::graph_refusal("reading the domains and their federation settings", &e))
}

pub(super) async fn status(t: &Task) -> Result<FederationStatus, Refusal> {
    let reader = t.reader();
    let mut out = Vec::new();
    for d in domains(t, &reader).await? {
        let (drift, last_change, last_written) = if d.federated {
            let last = reader.last_federation_write(&d.name).await;
            (
                federation_drift(&d.name, last.as_ref(), &d.value),
                reader
                    .clock(
                        TargetKind::DomainFederation,
                        &d.name.to_lowercase(),
                        t.clock.now(),
                    )
                    .await,
                last.map(|l| l.value),
            )
        } else {
            (None, None, None)
        };
        out.push(DomainStatus {
            domain: d,
            last_written,
            last_change,
            drift,
        });
    }
    let mut findings: Vec<Finding> = out.iter().filter_map(|d| d.drift.clone()).collect();
    if let Some(f) = require_federation(&t.capabilities) {
        findings.push(f);
    }
    Ok(FederationStatus {
        domains: out,
        findings,
    })
}

/// The users whose MFA a domain's setting decides, as far as the tool knows them: the
/// waves' migration groups' users of the domain (synced users in scope), folded.
async fn domain_users(t: &Task, reader: &Reader, domain: &str) -> Result<Tally, Refusal> {
    let mut groups: Vec<GroupInfo> = Vec::new();
    for w in &t.waves {
        if let Ok(g) = reader.group(&w.migrate).await
            && !groups.iter().any(|x| x.group.is(&g.group))
        {
            groups.push(g);
        }
    }
    reader
        .users_of(&groups, Some(domain))
        .await
        .map_err(|e| super::graph_refusal("reading the migration groups' users", &e))
}

/// The methods policy against what MFA Server users use (F1), when the policy can be read.
async fn method_findings(t: &Task) -> Vec<Finding> {
    match t.graph.get_methods_policy().await {
        Ok(p) => check_methods(
            &PolicyMethods::from_policy(&p),
            &MfaServerUsage::from_dataset(&t.data),
        ),
        Err(e) => {
            tracing::warn!("reading the methods policy for F1: {e}");
            Vec::new()
        }
    }
}

fn not_done(i: &InventoryFacts) -> Option<Vec<Finding>> {
    i.not_done.clone().map(|mut v| {
        v.extend(i.keeps_users.iter().cloned());
        v
    })
}

async fn set(
    t: &Task,
    domain: &str,
    to: MfaBehavior,
    force: bool,
    apply: bool,
) -> Result<Answer, Refusal> {
    require(t)?;
    let reader = t.reader();
    let all = domains(t, &reader).await?;
    let Some(d) = all
        .into_iter()
        .find(|d| d.name.eq_ignore_ascii_case(domain.trim()))
    else {
        return Err(Refusal::new(
            RefusalKind::NotFound,
            format!(
                "no domain \"{}\" in the tenant (`federation status` lists them)",
                crate::safe_text::terminal(domain)
            ),
        ));
    };
    let users = domain_users(t, &reader, &d.name).await?;
    let methods = if to == MfaBehavior::RejectMfaByFederatedIdp {
        method_findings(t).await
    } else {
        Vec::new()
    };
    let verdict = check_set_federation(SetFederation {
        domain: &d,
        to,
        users: &users,
        methods: &methods,
        dependencies: not_done(&t.inventory),
    });
    let planned = vec![format!(
        "PATCH /domains/{}/federationConfiguration/{}: federatedIdpMfaBehavior {} → {}",
        d.name,
        d.federation_id.as_deref().unwrap_or("{id}"),
        d.value.audit_text(),
        to.graph_name()
    )];
    let mut verdict = verdict;
    if to == MfaBehavior::RejectMfaByFederatedIdp {
        // fin.federation: the checklist's earlier steps, once it has begun.
        verdict.findings.extend(super::checklist::gate(t).await);
    }
    let mut r = super::change_report(verdict, force, planned);
    if !apply || !super::may_write(&r)? {
        return Ok(Answer::Change(Box::new(r)));
    }
    let w = write_federation(
        t,
        &d,
        to,
        &r.verdict.change,
        &r.decision,
        &super::overridden(&r),
    )
    .await?;
    r.applied.push(w);
    flush(t).await;
    Ok(Answer::Change(Box::new(r)))
}

/// Set one domain's value: journaled, read back, audited. Shared with the rollback.
async fn write_federation(
    t: &Task,
    d: &DomainFacts,
    to: MfaBehavior,
    change: &Change,
    decision: &Decision,
    overridden: &[Finding],
) -> Result<crate::engine::protocol::AppliedWrite, Refusal> {
    let journal = t.journal();
    let op = ChangeOp::SetFederation {
        domain: d.name.clone(),
        to,
    };
    let w = journal
        .write(
            &t.admin,
            &op,
            "",
            t.admin.set_domain_mfa_behavior(&d.name, &wire(to)),
        )
        .await?;
    let after = match t.admin.get_federation(&d.name).await {
        Ok(f) => FederationValue::from_graph(
            f.as_ref()
                .and_then(|f| f.federated_idp_mfa_behavior.as_ref()),
        ),
        Err(e) => {
            return Err(super::graph_refusal(
                &format!("reading {} back", d.name),
                &e,
            ));
        }
    };
    let record = federation_audit(change, decision, overridden, &d.name, &d.value, &after);
    journal.audit(op.target(""), &record, &[w.journal]);
    if after != FederationValue::Set(to) {
        return Err(Refusal::new(
            RefusalKind::Failed,
            format!(
                "Graph accepted the change of {}, but it reads back as {after}",
                d.name
            ),
        ));
    }
    Ok(Journal::applied(
        &op,
        "",
        w.journal,
        Some(d.value.audit_text()),
        Some(after.audit_text()),
    ))
}

/// F2: every write of the plan, in order; one that fails does not stop the others (a
/// rollback restores as much as it can) and the answer names it.
async fn rollback(t: &Task, force: bool, apply: bool) -> Result<Answer, Refusal> {
    let reader = t.reader();
    let all = domains(t, &reader).await?;
    let policy = if t.capabilities.manage_rollout.is_available() {
        reader
            .rollout_policy(&t.admin)
            .await
            .map_err(|e| super::graph_refusal("reading the Staged Rollout policy", &e))?
    } else {
        None
    };
    let mut rollout_users = None;
    if let Some(p) = &policy {
        let mut n = 0u64;
        for g in &p.groups {
            n += t.graph.count_group_users(&g.id, false).await.unwrap_or(0);
        }
        rollout_users = Some(n);
    }
    let plan = plan_rollback(&all, policy.as_ref(), rollout_users);
    let planned: Vec<String> = plan.writes.iter().map(ToString::to_string).collect();
    let mut r = super::change_report(plan.verdict.clone(), force, planned);
    if !apply || !super::may_write(&r)? {
        return Ok(Answer::Change(Box::new(r)));
    }
    let mut failures: Vec<String> = Vec::new();
    for write in &plan.writes {
        let result = match write {
            RollbackWrite::SetFederation { domain, .. } => {
                match all.iter().find(|d| &d.name == domain) {
                    Some(d) => {
                        require(t)?;
                        write_federation(
                            t,
                            d,
                            MfaBehavior::EnforceMfaByFederatedIdp,
                            &Change::Rollback,
                            &r.decision,
                            &super::overridden(&r),
                        )
                        .await
                    }
                    None => continue,
                }
            }
            RollbackWrite::DisableRollout { .. } => match &policy {
                Some(p) => {
                    rollout::write_enabled(t, &reader, p, false, &r, Some(&Change::Rollback)).await
                }
                None => continue,
            },
        };
        match result {
            Ok(w) => r.applied.push(w),
            Err(e) => failures.push(e.message),
        }
    }
    flush(t).await;
    if failures.is_empty() {
        Ok(Answer::Change(Box::new(r)))
    } else {
        let done: Vec<String> = r.applied.iter().map(|w| w.what.clone()).collect();
        Err(Refusal::new(
            RefusalKind::Failed,
            format!(
                "the rollback is incomplete: {} of {} writes made ({}); failed: {}",
                r.applied.len(),
                plan.writes.len(),
                if done.is_empty() {
                    "none".to_string()
                } else {
                    done.join("; ")
                },
                failures.join("; ")
            ),
        ))
    }
}

async fn flush(t: &Task) {
    if let Err(e) = t.store.flush().await {
        tracing::error!("the state store could not commit a change's records: {e}");
    }
}
