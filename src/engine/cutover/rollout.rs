//! The Staged Rollout service: the policy and every wave's readiness (status), and the
//! changes — add or remove a group, turn the policy on or off — each checked by the
//! interlocks R1–R4 from live facts, shown as a what-if first, then written through the
//! journal, read back and audited (A1) when applied.

use super::changes::{ChangeOp, Journal};
use super::facts::Reader;
use super::{InventoryFacts, Task};
use crate::engine::protocol::{
    Answer, ChangeReport, Refusal, RefusalKind, RolloutCommand, RolloutStatus,
};
use crate::engine::store::{Target, TargetKind};
use crate::finding::{Finding, FindingSubject};
use crate::graph::model::{NewRolloutPolicy, RolloutPolicyPatch, StagedFeature};
use crate::rollout::{
    AddGroup, Change, GroupInfo, GroupReadiness, POLICY_NAME, POLICY_TARGET, PolicySnapshot,
    RolloutPolicyFacts, check_add_group, check_disable, check_enable, check_remove_group,
    next_wave, policy_audit, policy_drift, require_staged_rollout, wave_readiness,
};

/// Whether the command writes (when applied).
pub(super) fn applies(c: &RolloutCommand) -> bool {
    match c {
        RolloutCommand::Status => false,
        RolloutCommand::AddGroup { apply, .. }
        | RolloutCommand::RemoveGroup { apply, .. }
        | RolloutCommand::Enable { apply, .. }
        | RolloutCommand::Disable { apply, .. } => *apply,
    }
}

/// Refuse before any Graph call when the sign-in cannot manage this.
fn require(t: &Task) -> Result<(), Refusal> {
    super::require(require_staged_rollout(&t.capabilities))
}

pub(super) async fn run(t: &Task, c: RolloutCommand) -> Result<Answer, Refusal> {
    match c {
        RolloutCommand::Status => status(t).await.map(|s| Answer::Rollout(Box::new(s))),
        RolloutCommand::AddGroup {
            group,
            force,
            apply,
        } => add_group(t, &group, force, apply).await,
        RolloutCommand::RemoveGroup {
            group,
            force,
            apply,
        } => remove_group(t, &group, force, apply).await,
        RolloutCommand::Enable { force, apply } => set_enabled(t, true, force, apply).await,
        RolloutCommand::Disable { force, apply } => set_enabled(t, false, force, apply).await,
    }
}

/// The readiness of the policy's groups (direct members).
async fn policy_groups(
    reader: &Reader,
    t: &Task,
    policy: Option<&RolloutPolicyFacts>,
) -> Result<Vec<GroupReadiness>, Refusal> {
    let mut out = Vec::new();
    for g in policy.map(|p| p.groups.as_slice()).unwrap_or_default() {
        let info = match t.graph.get_group(&g.id).await {
            Ok(Some(group)) => GroupInfo::from_graph(&group),
            Ok(None) => GroupInfo {
                group: g.clone(),
                dynamic: false,
            },
            Err(e) => {
                return Err(super::graph_refusal(
                    &format!("reading group {}", g.name),
                    &e,
                ));
            }
        };
        let r = reader
            .readiness(info, true)
            .await
            .map_err(|e| super::graph_refusal(&format!("reading the members of {}", g.name), &e))?;
        out.push(r);
    }
    Ok(out)
}

/// The policy, or why it cannot be read (an app-only sign-in, the China cloud).
async fn read_policy(reader: &Reader, t: &Task) -> Result<Option<RolloutPolicyFacts>, Refusal> {
    require(t)?;
    reader
        .rollout_policy(&t.admin)
        .await
        .map_err(|e| super::graph_refusal("reading the Staged Rollout policies", &e))
}

pub(super) async fn status(t: &Task) -> Result<RolloutStatus, Refusal> {
    let reader = t.reader();
    let mut findings: Vec<Finding> = Vec::new();
    let policy = match read_policy(&reader, t).await {
        Ok(p) => p,
        Err(r) => {
            // Readiness still counts from the directory; the policy part is unknown.
            findings.push(
                Finding::warning(
                    crate::rollout::Rule::Access,
                    FindingSubject::Tenant,
                    format!("the MFA rollout policy cannot be read: {}", r.message),
                )
                .with_fix("sign in as a Hybrid Identity Administrator (`:signin`)"),
            );
            None
        }
    };
    let groups = policy_groups(&reader, t, policy.as_ref()).await?;
    let mut waves = Vec::new();
    for w in &t.waves {
        let migrate = match reader.group(&w.migrate).await {
            Ok(info) => Some(
                reader
                    .readiness(info, false)
                    .await
                    .map_err(|e| super::graph_refusal(&format!("reading {}", w.migrate), &e))?,
            ),
            Err(r) if r.kind == RefusalKind::Failed => return Err(r),
            Err(_) => None,
        };
        let rollout =
            match reader.group(&w.rollout).await {
                Ok(info) => match groups.iter().find(|g| g.group.is(&info.group)) {
                    Some(known) => Some(known.clone()),
                    None => Some(reader.readiness(info, true).await.map_err(|e| {
                        super::graph_refusal(&format!("reading {}", w.rollout), &e)
                    })?),
                },
                Err(r) if r.kind == RefusalKind::Failed => return Err(r),
                Err(_) => None,
            };
        waves.push(wave_readiness(w, migrate, rollout, policy.as_ref()));
    }
    let next = next_wave(&waves).map(|w| w.suggestion());
    let live = PolicySnapshot::of(policy.as_ref());
    if policy.is_some() || findings.is_empty() {
        let last = reader.last_policy_write().await;
        findings.extend(policy_drift(last.as_ref(), &live));
    }
    let last_change = reader
        .clock(TargetKind::RolloutPolicy, POLICY_TARGET, t.clock.now())
        .await;
    Ok(RolloutStatus {
        policy,
        groups,
        waves,
        next,
        last_change,
        findings,
    })
}

fn inventory_findings(i: &InventoryFacts) -> Vec<Finding> {
    i.keeps_users.clone()
}

/// Read the policy back after a write; its snapshot for the audit entry.
async fn read_back(t: &Task, reader: &Reader) -> Result<Option<RolloutPolicyFacts>, Refusal> {
    reader
        .rollout_policy(&t.admin)
        .await
        .map_err(|e| super::graph_refusal("reading the policy back", &e))
}

fn audit_target(policy: Option<&RolloutPolicyFacts>, what: &str) -> Target {
    let name = policy.map_or(POLICY_NAME, |p| p.display_name.as_str());
    Target::new(
        TargetKind::RolloutPolicy,
        POLICY_TARGET,
        if what.is_empty() {
            name.to_string()
        } else {
            format!("{name}: {what}")
        },
    )
}

async fn add_group(t: &Task, query: &str, force: bool, apply: bool) -> Result<Answer, Refusal> {
    require(t)?;
    let reader = t.reader();
    let info = reader.group(query).await?;
    let readiness = reader
        .readiness(info.clone(), true)
        .await
        .map_err(|e| super::graph_refusal(&format!("reading the members of {query}"), &e))?;
    let policy = read_policy(&reader, t).await?;
    let verdict = check_add_group(AddGroup {
        group: &readiness,
        policy: policy.as_ref(),
        waves: &t.waves,
        inventory: inventory_findings(&t.inventory),
    });
    let mut planned = Vec::new();
    if policy.is_none() {
        planned.push(format!(
            "POST /policies/featureRolloutPolicies: create \"{POLICY_NAME}\" \
             (multiFactorAuthentication, on)"
        ));
    }
    planned.push(format!(
        "POST /policies/featureRolloutPolicies/{}/appliesTo/$ref: add \"{}\"",
        policy.as_ref().map_or("{new}", |p| p.id.as_str()),
        info.group.name
    ));
    let mut r = super::change_report(verdict, force, planned);
    if !apply || !super::may_write(&r)? {
        return Ok(Answer::Change(Box::new(r)));
    }
    let journal = t.journal();
    let before = PolicySnapshot::of(policy.as_ref());
    let mut ids = Vec::new();
    let policy_id = match &policy {
        Some(p) => p.id.clone(),
        None => {
            let op = ChangeOp::CreatePolicy {
                display_name: POLICY_NAME.into(),
            };
            let body = NewRolloutPolicy {
                display_name: POLICY_NAME.into(),
                description: Some(
                    "Staged Rollout for MFA: users of its groups do MFA in Entra instead of \
                     at the federation server (managed by mfa-cutover)"
                        .into(),
                ),
                feature: StagedFeature::MultiFactorAuthentication,
                is_enabled: true,
                is_applied_to_organization: false,
            };
            let w = journal
                .write(
                    &t.admin,
                    &op,
                    POLICY_NAME,
                    t.admin.create_rollout_policy(&body),
                )
                .await?;
            ids.push(w.journal);
            r.applied
                .push(Journal::applied(&op, POLICY_NAME, w.journal, None, None));
            match w.answer {
                Some(created) => created.id,
                None => read_back(t, &reader).await?.map(|p| p.id).ok_or_else(|| {
                    Refusal::new(
                        RefusalKind::Failed,
                        "the policy was created but cannot be read back",
                    )
                })?,
            }
        }
    };
    let op = ChangeOp::AddGroup {
        policy_id: policy_id.clone(),
        group_id: info.group.id.clone(),
        group_name: info.group.name.clone(),
    };
    let w = journal
        .write(
            &t.admin,
            &op,
            POLICY_NAME,
            t.admin.add_rollout_group(&policy_id, &info.group.id),
        )
        .await?;
    ids.push(w.journal);
    let after_policy = read_back(t, &reader).await?;
    let after = PolicySnapshot::of(after_policy.as_ref());
    r.applied.push(Journal::applied(
        &op,
        POLICY_NAME,
        w.journal,
        Some(before.to_audit()),
        Some(after.to_audit()),
    ));
    let record = policy_audit(
        &r.verdict.change,
        &r.decision,
        &super::overridden(&r),
        &before,
        &after,
    );
    journal.audit(
        audit_target(after_policy.as_ref(), &info.group.name),
        &record,
        &ids,
    );
    flush(t).await;
    if !after_policy
        .as_ref()
        .is_some_and(|p| p.targets(&info.group))
    {
        return Err(Refusal::new(
            RefusalKind::Failed,
            format!(
                "Graph accepted adding \"{}\", but the policy read back does not list it",
                info.group.name
            ),
        ));
    }
    Ok(Answer::Change(Box::new(r)))
}

async fn remove_group(t: &Task, query: &str, force: bool, apply: bool) -> Result<Answer, Refusal> {
    require(t)?;
    let reader = t.reader();
    let info = reader.group(query).await?;
    let policy = read_policy(&reader, t).await?;
    let groups = policy_groups(&reader, t, policy.as_ref()).await?;
    let readiness = match groups.iter().find(|g| g.group.is(&info.group)) {
        Some(g) => g.clone(),
        None => reader
            .readiness(info.clone(), true)
            .await
            .map_err(|e| super::graph_refusal(&format!("reading the members of {query}"), &e))?,
    };
    // Users also direct members of another group of the policy stay in Staged Rollout.
    let mut elsewhere = std::collections::HashSet::new();
    for g in groups.iter().filter(|g| !g.group.is(&info.group)) {
        elsewhere.extend(direct_user_ids(t, &g.group.id).await?);
    }
    let mine = direct_user_ids(t, &info.group.id).await?;
    let also = mine.intersection(&elsewhere).count() as u64;
    let domains = reader.domains().await.unwrap_or_default();
    let verdict = check_remove_group(&readiness, policy.as_ref(), &domains, also);
    let planned = vec![format!(
        "DELETE /policies/featureRolloutPolicies/{}/appliesTo/{}/$ref: remove \"{}\"",
        policy.as_ref().map_or("{id}", |p| p.id.as_str()),
        info.group.id,
        info.group.name
    )];
    let mut r = super::change_report(verdict, force, planned);
    if !apply || !super::may_write(&r)? {
        return Ok(Answer::Change(Box::new(r)));
    }
    let Some(p) = policy.as_ref() else {
        return Ok(Answer::Change(Box::new(r)));
    };
    let journal = t.journal();
    let before = PolicySnapshot::of(policy.as_ref());
    let op = ChangeOp::RemoveGroup {
        policy_id: p.id.clone(),
        group_id: info.group.id.clone(),
        group_name: info.group.name.clone(),
    };
    let w = journal
        .write(
            &t.admin,
            &op,
            &p.display_name,
            t.admin.remove_rollout_group(&p.id, &info.group.id),
        )
        .await?;
    let after_policy = read_back(t, &reader).await?;
    let after = PolicySnapshot::of(after_policy.as_ref());
    r.applied.push(Journal::applied(
        &op,
        &p.display_name,
        w.journal,
        Some(before.to_audit()),
        Some(after.to_audit()),
    ));
    let record = policy_audit(
        &r.verdict.change,
        &r.decision,
        &super::overridden(&r),
        &before,
        &after,
    );
    journal.audit(
        audit_target(after_policy.as_ref(), &info.group.name),
        &record,
        &[w.journal],
    );
    flush(t).await;
    Ok(Answer::Change(Box::new(r)))
}

async fn direct_user_ids(
    t: &Task,
    group: &str,
) -> Result<std::collections::HashSet<String>, Refusal> {
    let objects = t
        .graph
        .group_direct_members(group)
        .collect_all()
        .await
        .map_err(|e| super::graph_refusal("reading a group's members", &e))?;
    Ok(objects
        .into_iter()
        .filter(|o| o.kind() == crate::graph::model::MemberKind::User)
        .map(|o| o.id.to_lowercase())
        .collect())
}

async fn set_enabled(t: &Task, on: bool, force: bool, apply: bool) -> Result<Answer, Refusal> {
    require(t)?;
    let reader = t.reader();
    let policy = read_policy(&reader, t).await?;
    let groups = policy_groups(&reader, t, policy.as_ref()).await?;
    let verdict = if on {
        check_enable(policy.as_ref(), &groups, inventory_findings(&t.inventory))
    } else {
        let domains = reader.domains().await.unwrap_or_default();
        check_disable(policy.as_ref(), &groups, &domains)
    };
    let planned = policy
        .as_ref()
        .map(|p| {
            vec![format!(
                "PATCH /policies/featureRolloutPolicies/{}: isEnabled {} → {on}",
                p.id, p.enabled
            )]
        })
        .unwrap_or_default();
    let mut r = super::change_report(verdict, force, planned);
    if !apply || !super::may_write(&r)? {
        return Ok(Answer::Change(Box::new(r)));
    }
    let Some(p) = policy.as_ref() else {
        return Ok(Answer::Change(Box::new(r)));
    };
    let written = write_enabled(t, &reader, p, on, &r, None).await?;
    r.applied.push(written);
    flush(t).await;
    Ok(Answer::Change(Box::new(r)))
}

/// Turn the policy on or off: journaled, read back, audited. Shared with the rollback.
pub(super) async fn write_enabled(
    t: &Task,
    reader: &Reader,
    p: &RolloutPolicyFacts,
    on: bool,
    r: &ChangeReport,
    // The change audited when it is not the switch itself (a rollback).
    part_of: Option<&Change>,
) -> Result<crate::engine::protocol::AppliedWrite, Refusal> {
    let journal = t.journal();
    let before = PolicySnapshot::of(Some(p));
    let op = ChangeOp::SetPolicyEnabled {
        policy_id: p.id.clone(),
        enabled: on,
    };
    let patch = RolloutPolicyPatch {
        is_enabled: Some(on),
        ..Default::default()
    };
    let w = journal
        .write(
            &t.admin,
            &op,
            &p.display_name,
            t.admin.update_rollout_policy(&p.id, &patch),
        )
        .await?;
    let after_policy = read_back(t, reader).await?;
    let after = PolicySnapshot::of(after_policy.as_ref());
    let change = match (part_of, on) {
        (Some(c), _) => c.clone(),
        (None, true) => Change::EnablePolicy,
        (None, false) => Change::DisablePolicy,
    };
    let record = policy_audit(&change, &r.decision, &super::overridden(r), &before, &after);
    journal.audit(
        audit_target(after_policy.as_ref(), ""),
        &record,
        &[w.journal],
    );
    Ok(Journal::applied(
        &op,
        &p.display_name,
        w.journal,
        Some(before.to_audit()),
        Some(after.to_audit()),
    ))
}

async fn flush(t: &Task) {
    if let Err(e) = t.store.flush().await {
        tracing::error!("the state store could not commit a change's records: {e}");
    }
}
