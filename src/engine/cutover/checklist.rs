//! The checklist service: gathers the facts every step's check looks at — the state
//! store (end state, ticks, the data file as first recorded, failed users), the data file
//! loaded now, the sign-in, the inventory, and Graph (Staged Rollout with its groups'
//! readiness, the waves, the domains, the methods policy) — and has the pure rules in
//! `crate::checklist` judge them. Ticks and the end state are stored and audited; the
//! report is written as a private file. `fin.federation`'s gate ([`gate`]) is asked by the
//! federation service before `rejectMfaByFederatedIdp` is set.

use super::{Task, federation, rollout};
use crate::checklist::{
    self, AccessFacts, ChangeLine, Checklist, CloudAuthFacts, DataFacts, DomainFact, EndState,
    Facts, InputFact, PolicyFacts, RecordedFile, ReportInput, StepState, Tick, WaveFacts,
};
use crate::engine::protocol::{
    Answer, ChecklistCommand, ChecklistReport, FederationCommand, Refusal, RefusalKind,
};
use crate::engine::store::{AuditEntry, StepTick, Target, TargetKind, UserStatusKind};
use crate::finding::Finding;
use crate::graph::model::StagedFeature;
use crate::rollout::{MfaServerUsage, PolicyMethods, check_methods};
use crate::safe_text::terminal;

pub(super) fn applies(c: &ChecklistCommand) -> bool {
    !matches!(
        c,
        ChecklistCommand::Status | ChecklistCommand::Report { .. }
    )
}

pub(super) async fn run(t: &Task, c: ChecklistCommand) -> Result<Answer, Refusal> {
    match c {
        ChecklistCommand::Status => status(t).await.map(|r| Answer::Checklist(Box::new(r))),
        ChecklistCommand::SetEndState(e) => {
            set_end_state(t, e).await?;
            status(t).await.map(|r| Answer::Checklist(Box::new(r)))
        }
        ChecklistCommand::Tick { step, done, note } => {
            tick(t, &step, done, note).await?;
            status(t).await.map(|r| Answer::Checklist(Box::new(r)))
        }
        ChecklistCommand::Report { path } => report(t, &path).await,
    }
}

async fn status(t: &Task) -> Result<ChecklistReport, Refusal> {
    let checklist = judge(t).await?;
    let gate = checklist::federation_gate(&checklist);
    let rollback = match federation::run(
        t,
        FederationCommand::Rollback {
            force: false,
            apply: false,
        },
    )
    .await
    {
        Ok(Answer::Change(r)) => Ok(*r),
        Ok(_) => Err("the rollback plan could not be made".to_string()),
        Err(r) => Err(r.message),
    };
    Ok(ChecklistReport {
        tenant: t.tenant.clone(),
        checklist,
        gate,
        rollback,
    })
}

/// What blocks `fin.federation` once the checklist has begun (an end state chosen);
/// nothing before, when the admin does not use the checklist (F1 still guards).
pub(super) async fn gate(t: &Task) -> Vec<Finding> {
    match judge(t).await {
        Ok(c) if c.end_state.is_some() => checklist::federation_gate(&c),
        Ok(_) => Vec::new(),
        Err(e) => {
            tracing::warn!(
                "judging the checklist for the federation gate: {}",
                e.message
            );
            Vec::new()
        }
    }
}

/// Gather and judge.
pub(super) async fn judge(t: &Task) -> Result<Checklist, Refusal> {
    Ok(checklist::evaluate(&facts(t).await?))
}

/// What the store says: the checklist record, ticks, the data files seen, failed users.
struct Stored {
    end_state: Option<EndState>,
    started_at: Option<chrono::DateTime<chrono::Utc>>,
    ticks: Vec<Tick>,
    recorded: Vec<RecordedFile>,
    failed: u64,
}

async fn stored(t: &Task) -> Result<Stored, Refusal> {
    let (store, tenant) = (t.store.clone(), t.tenant.clone());
    tokio::task::spawn_blocking(move || -> Result<Stored, String> {
        let e = |e: crate::engine::store::StoreError| format!("reading the state store: {e}");
        let record = store.checklist(&tenant).map_err(e)?;
        let ticks = store
            .ticks(&tenant)
            .map_err(e)?
            .into_iter()
            .map(|s| Tick {
                step: s.step_id,
                done: s.done,
                note: s.note,
                actor: s.actor,
                at: s.at,
                forced: s.forced,
            })
            .collect();
        let recorded = store
            .datafiles(&tenant)
            .map_err(e)?
            .into_iter()
            .map(|d| RecordedFile {
                sha256: d.sha256,
                size: d.size,
                modified: d.modified,
                first_seen: d.first_seen,
            })
            .collect();
        let failed = store
            .users(&tenant)
            .map_err(e)?
            .iter()
            .filter(|u| UserStatusKind::RETRYABLE.contains(&u.status))
            .count() as u64;
        Ok(Stored {
            end_state: record
                .as_ref()
                .and_then(|r| r.end_state)
                .and_then(EndState::from_number),
            started_at: record.and_then(|r| r.started_at),
            ticks,
            recorded,
            failed,
        })
    })
    .await
    .map_err(|e| Refusal::new(RefusalKind::Failed, format!("reading the state store: {e}")))?
    .map_err(|e| Refusal::new(RefusalKind::Failed, e))
}

async fn facts(t: &Task) -> Result<Facts, Refusal> {
    let stored = stored(t).await?;
    let rollout = rollout::status(t).await;
    let (waves, policy) = match &rollout {
        Ok(s) => (
            Ok(s.waves
                .iter()
                .map(|w| WaveFacts {
                    name: w.wave.name.clone(),
                    migrate_group: w.wave.migrate.clone(),
                    migrate: w.migrate.as_ref().map(|g| g.tally.clone()),
                    rollout_group: w.wave.rollout.clone(),
                    rollout: w.rollout.as_ref().map(|g| g.tally.clone()),
                    in_policy: w.in_policy,
                })
                .collect()),
            Ok(PolicyFacts {
                exists: s.policy.is_some(),
                enabled: s.policy.as_ref().is_some_and(|p| p.enabled),
                groups: s
                    .groups
                    .iter()
                    .map(|g| (g.group.name.clone(), g.tally.clone()))
                    .collect(),
            }),
        ),
        Err(r) => (Err(r.message.clone()), Err(r.message.clone())),
    };
    let domains = federation::status(t).await.map(|s| {
        s.domains
            .into_iter()
            .map(|d| DomainFact {
                changed_at: d.last_change.map(|c| c.at),
                domain: d.domain,
            })
            .collect::<Vec<_>>()
    });
    let cloud_auth = match &domains {
        Err(r) => Err(r.message.clone()),
        Ok(ds) => cloud_auth(t, ds.iter().filter(|d| d.domain.federated).count()).await,
    };
    let methods = match t.graph.get_methods_policy().await {
        Ok(p) => Ok(check_methods(
            &PolicyMethods::from_policy(&p),
            &MfaServerUsage::from_dataset(&t.data),
        )),
        Err(e) => Err(e.explanation()),
    };
    let data = DataFacts {
        inputs: t
            .data
            .inputs
            .iter()
            .map(|i| InputFact {
                path: terminal(&i.path.display().to_string()).into_owned(),
                sha256: i.sha256.clone(),
                size: i.size,
                modified: i.modified,
            })
            .collect(),
        recorded: stored.recorded,
        server_version: t.data.server_version().map(str::to_string),
    };
    let signed_in = !t.offline;
    Ok(Facts {
        now: t.clock.now(),
        end_state: stored.end_state,
        started_at: stored.started_at,
        inventory: t.inventory.counts.clone(),
        data,
        access: AccessFacts {
            account: t.actor.clone(),
            roles: t.delegated.as_ref().unwrap_or(&t.identity).roles.clone(),
            capabilities: signed_in.then(|| t.capabilities.clone()),
        },
        methods,
        waves,
        policy,
        failed_users: stored.failed,
        domains: domains.map_err(|r| r.message),
        cloud_auth,
        ticks: stored.ticks,
    })
}

/// Staged Rollout features other than MFA (PHS, PTA, seamless SSO) and their groups.
async fn cloud_auth(t: &Task, federated: usize) -> Result<CloudAuthFacts, String> {
    if !t.capabilities.manage_rollout.is_available() {
        return Ok(CloudAuthFacts {
            federated_domains: federated,
            features: Vec::new(),
        });
    }
    let policies = t
        .admin
        .list_rollout_policies()
        .await
        .map_err(|e| e.explanation())?;
    let features = policies
        .iter()
        .filter(|p| p.is_enabled == Some(true))
        .filter_map(|p| {
            let name = match p.feature.as_ref()? {
                StagedFeature::MultiFactorAuthentication => return None,
                f => f.to_string(),
            };
            Some((name, p.applies_to.len()))
        })
        .collect();
    Ok(CloudAuthFacts {
        federated_domains: federated,
        features,
    })
}

fn audit(t: &Task, target: Target, action: &str, before: Option<String>, after: String) {
    let entry = AuditEntry {
        at: t.clock.now(),
        tenant: t.tenant.clone(),
        actor: t.actor.clone(),
        action: action.into(),
        target,
        before,
        after: Some(after),
        detail: None,
        forced: false,
    };
    if let Err(e) = t.store.audit(entry) {
        tracing::error!("the audit log refused a checklist entry: {e}");
    }
}

async fn flush(t: &Task) -> Result<(), Refusal> {
    t.store.flush().await.map_err(|e| {
        Refusal::new(
            RefusalKind::Failed,
            format!("the checklist change was not recorded: {e}"),
        )
    })
}

async fn set_end_state(t: &Task, e: EndState) -> Result<(), Refusal> {
    let before = stored(t).await?.end_state;
    t.store
        .set_end_state(&t.tenant, Some(e.number()))
        .map_err(|err| Refusal::new(RefusalKind::Failed, err.to_string()))?;
    audit(
        t,
        Target::new(TargetKind::ChecklistStep, "end_state", "end state"),
        "checklist.end_state",
        before.map(|b| format!("{}: {}", b.number(), b.label())),
        format!("{}: {}", e.number(), e.label()),
    );
    flush(t).await
}

async fn tick(t: &Task, step: &str, done: bool, note: Option<String>) -> Result<(), Refusal> {
    let id = step.trim().to_ascii_lowercase();
    if !checklist::steps::is_known(&id) {
        return Err(Refusal::new(
            RefusalKind::NotFound,
            format!(
                "no checklist step \"{}\": expected a step id such as fin.portal or one of the \
                 validate checks (mig.validate.methods, …); `checklist --json` lists them",
                terminal(step)
            ),
        ));
    }
    // A step the tool checks is done when its check passes, not when ticked: a tick is
    // taken only where the check cannot decide.
    if let Some(def) = checklist::steps::step(&id)
        && def.check == checklist::CheckKind::Automated
    {
        let c = judge(t).await?;
        let step = c.step(&id);
        let state = step.map(|s| s.state);
        // A tick is taken where the check cannot decide; one given then may be taken back.
        let untick = !done && step.is_some_and(|s| s.tick.is_some());
        if state != Some(StepState::Unknown) && !untick {
            return Err(Refusal::new(
                RefusalKind::BadInput,
                format!(
                    "{id} is checked by the tool ({}): it is done when its check passes, not \
                     by a tick",
                    state.map_or("unknown", StepState::label)
                ),
            ));
        }
    }
    let previous = stored(t).await?.ticks.into_iter().find(|x| x.step == id);
    let tick = StepTick {
        step_id: id.clone(),
        done,
        note: note.clone().filter(|n| !n.trim().is_empty()),
        actor: t.actor.clone(),
        at: t.clock.now(),
        forced: false,
    };
    t.store
        .tick(&t.tenant, tick)
        .map_err(|e| Refusal::new(RefusalKind::Failed, e.to_string()))?;
    let text = |done: bool, note: &Option<String>| {
        let mut s = if done { "done" } else { "not done" }.to_string();
        if let Some(n) = note {
            s.push_str(&format!(" · {n}"));
        }
        s
    };
    audit(
        t,
        Target::new(TargetKind::ChecklistStep, id.clone(), id.clone()),
        "checklist.tick",
        previous.map(|p| text(p.done, &p.note)),
        text(done, &note),
    );
    flush(t).await
}

async fn report(t: &Task, path: &std::path::Path) -> Result<Answer, Refusal> {
    let r = status(t).await?;
    let (store, tenant) = (t.store.clone(), t.tenant.clone());
    let changes: Vec<ChangeLine> =
        tokio::task::spawn_blocking(move || store.audit_log(&tenant, 5_000))
            .await
            .map_err(|e| Refusal::new(RefusalKind::Failed, format!("reading the audit log: {e}")))?
            .map_err(|e| Refusal::new(RefusalKind::Failed, format!("reading the audit log: {e}")))?
            .into_iter()
            // Migration writes are per user and many: the journal holds them; the report
            // lists the changes the change board approves.
            .filter(|e| e.target.kind != TargetKind::UserMethod)
            .map(|e| ChangeLine {
                at: e.at,
                actor: e.actor,
                action: e.action,
                target: e.target.name,
                before: e.before,
                after: e.after,
                forced: e.forced,
                detail: e.detail,
            })
            .collect();
    let (writes, users) = match &r.rollback {
        Ok(c) => (c.planned.clone(), c.verdict.blast.users),
        Err(e) => (vec![format!("cannot be planned now: {e}")], None),
    };
    let text = checklist::render(&ReportInput {
        tenant: &r.tenant,
        generated_at: t.clock.now(),
        checklist: &r.checklist,
        changes: &changes,
        rollback_writes: &writes,
        rollback_users: users,
    });
    let path = path.to_path_buf();
    let out = path.clone();
    tokio::task::spawn_blocking(move || crate::fsx::write_export(&out, text.as_bytes()))
        .await
        .map_err(|e| Refusal::new(RefusalKind::Failed, format!("writing the report: {e}")))?
        .map_err(|e| Refusal::new(RefusalKind::Failed, e.to_string()))?;
    Ok(Answer::Written {
        path,
        what: "the checklist report (Markdown)".into(),
    })
}
