//! Applying one user's plan: its ops in rule C3's order, one at a time, each journaled
//! (rule C5: the intent is durable before the request leaves, the outcome recorded when
//! it returns) and each tenant change audited (A1: who, what, before, after — never a
//! secret).
//!
//! A write whose outcome is unknown (timeout, reset, a 5xx to a POST) is never sent
//! again blindly: the user is read back, the journal entry closed as
//! `reconciled_done`/`reconciled_not_done` by what Entra shows, and the user planned
//! again from that state, so whatever is still missing is written once. A refusal (400,
//! 409) gets one read-back and re-plan too, since the state may have moved since it was
//! read; if the same write is still wanted, the user fails with Graph's reason.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use super::ops;
use super::run::{Planned, RunCtx};
use crate::engine::entra;
use crate::engine::protocol::UserStatus;
use crate::engine::store::{AuditEntry, Intent, JournalId, Outcome, OutcomeKind, Target};
use crate::graph::GraphError;
use crate::graph::NewHardwareToken;
use crate::graph::model::HashFunction as WireHash;
use crate::migrate::{Action, EntraMethods, InventoryDevice, Op};

/// Re-plans after unknown outcomes allowed per user before it is given up.
const MAX_RECONCILES: u32 = 4;

/// Why a user's writes stopped.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub error: String,
    pub retryable: bool,
}

/// A write that could not be prepared (nothing was sent).
struct NotSent(String);

/// Apply `item`'s plan. On success `item` holds the plan the user ended with (re-plans
/// included), for the read-back.
pub(crate) async fn apply_user(ctx: &RunCtx, item: &mut Planned) -> Result<(), Failure> {
    let mut ops: VecDeque<Op> = item.plan.ops.iter().cloned().collect();
    let mut devices = device_ids(&item.inventory);
    let mut done = 0usize;
    let mut reconciles = 0u32;
    let mut refused: Vec<Action> = Vec::new();
    while let Some(op) = ops.pop_front() {
        let user = item.work.entra.id.clone();
        ctx.emit(
            &user,
            UserStatus::Writing {
                done,
                of: done + 1 + ops.len(),
            },
        )
        .await;
        let prepared = match prepare(ctx, item, &op, &mut devices).await {
            Ok(Prepared::AlreadyHeld) => {
                // H1 decides from a fresh read that includes the user's own tokens.
                reconciles += 1;
                if reconciles > MAX_RECONCILES {
                    return Err(Failure {
                        error: format!(
                            "{}: the user already holds this serial, yet planning again \
                             keeps asking to create it",
                            op.action
                        ),
                        retryable: false,
                    });
                }
                let (methods, inventory) = read_back(ctx, item).await.map_err(|re| Failure {
                    error: format!("{}: reading the user back: {}", op.action, re.explanation()),
                    retryable: re.is_retryable(),
                })?;
                ops = replan(ctx, item, methods, inventory, &mut devices).await?;
                continue;
            }
            Ok(p) => p,
            Err(NotSent(error)) => {
                return Err(Failure {
                    error: format!("{}: {error}", op.action),
                    retryable: false,
                });
            }
        };
        let journal = ctx
            .shared
            .store
            .intent(Intent {
                run: ctx.run,
                tenant: ctx.shared.tenant.clone(),
                target: Target::user(user.clone(), item.work.entra.upn.clone()),
                op: ops::journal_text(&op),
            })
            .await
            .map_err(|e| Failure {
                error: format!(
                    "{}: not sent, because the state store could not journal it first: {e}",
                    op.action
                ),
                retryable: true,
            })?;
        match send(ctx, item, &op, prepared, &mut devices).await {
            Ok(()) => {
                close(ctx, journal, OutcomeKind::Ok, None);
                audit(ctx, item, &op, journal, None);
                ctx.wrote();
                done += 1;
            }
            Err(e) if e.outcome_unknown() => {
                reconciles += 1;
                let (methods, inventory) = read_back(ctx, item).await.map_err(|re| Failure {
                    // The intent stays open: the next start reads the user back first.
                    error: format!(
                        "{}: the outcome is unknown ({}) and the read-back failed ({}); it is \
                         reconciled before anything else at the next run",
                        op.action,
                        e.explanation(),
                        re.explanation()
                    ),
                    retryable: true,
                })?;
                let took = ops::took_effect(&op.action, &methods, &inventory);
                close(
                    ctx,
                    journal,
                    if took {
                        OutcomeKind::ReconciledDone
                    } else {
                        OutcomeKind::ReconciledNotDone
                    },
                    Some(&e),
                );
                if took {
                    audit(
                        ctx,
                        item,
                        &op,
                        journal,
                        Some("no answer came; the read-back shows it applied"),
                    );
                    ctx.wrote();
                    done += 1;
                }
                if reconciles > MAX_RECONCILES {
                    return Err(Failure {
                        error: format!(
                            "{}: {} writes in a row had no answer ({}); stopped for this user",
                            op.action,
                            reconciles,
                            e.explanation()
                        ),
                        retryable: true,
                    });
                }
                ops = replan(ctx, item, methods, inventory, &mut devices).await?;
            }
            Err(e) if e.is_refusal() && matches!(op.action, Action::CreateHardwareToken { .. }) => {
                // The serial may exist where the inventory search does not look (a token
                // uploaded through the legacy CSV): who holds it is read back, and H1
                // decides — present, someone else's, or reuse — never a failure as such.
                let serial = ops::serial(&op.action).unwrap_or_default().to_string();
                let (methods, mut inventory) =
                    read_back(ctx, item).await.map_err(|re| Failure {
                        error: format!(
                            "{}: {} (and the read-back failed: {})",
                            op.action,
                            e.explanation(),
                            re.explanation()
                        ),
                        retryable: re.is_retryable(),
                    })?;
                let visible = ops::took_effect(&op.action, &methods, &inventory);
                if !visible && e.says_already_exists() {
                    inventory.push(InventoryDevice::not_visible(&serial));
                }
                if visible || e.says_already_exists() {
                    close(ctx, journal, OutcomeKind::ReconciledNotDone, Some(&e));
                } else {
                    close(ctx, journal, OutcomeKind::Failed, Some(&e));
                }
                let count = 1 + refused.iter().filter(|a| **a == op.action).count();
                refused.push(op.action.clone());
                let next = replan(ctx, item, methods, inventory, &mut devices).await?;
                if count >= 2 || (!visible && next.iter().any(|o| o.action == op.action)) {
                    return Err(Failure {
                        error: format!("{}: {}", op.action, e.explanation()),
                        retryable: false,
                    });
                }
                ops = next;
            }
            Err(e) if e.is_refusal() => {
                close(ctx, journal, OutcomeKind::Failed, Some(&e));
                let count = 1 + refused.iter().filter(|a| **a == op.action).count();
                refused.push(op.action.clone());
                // An activation code can age while its request waits for budget: one
                // more try with a fresh code. Any other refusal gets one fresh look.
                let allowance = if matches!(
                    op.action,
                    Action::AssignHardwareToken { activate: true, .. }
                ) {
                    2
                } else {
                    1
                };
                let refusal = || Failure {
                    error: format!("{}: {}", op.action, e.explanation()),
                    retryable: false,
                };
                if count > allowance {
                    return Err(refusal());
                }
                // The state may have moved since it was read: look again, plan again.
                let (methods, inventory) = read_back(ctx, item).await.map_err(|re| Failure {
                    error: format!(
                        "{}: {} (and the read-back failed: {})",
                        op.action,
                        e.explanation(),
                        re.explanation()
                    ),
                    retryable: re.is_retryable(),
                })?;
                let next = replan(ctx, item, methods, inventory, &mut devices).await?;
                if count >= allowance && next.iter().any(|o| o.action == op.action) {
                    return Err(refusal());
                }
                ops = next;
            }
            Err(e) => {
                close(ctx, journal, OutcomeKind::Failed, Some(&e));
                return Err(Failure {
                    error: format!("{}: {}", op.action, e.explanation()),
                    retryable: e.is_retryable(),
                });
            }
        }
    }
    Ok(())
}

fn device_ids(inventory: &[InventoryDevice]) -> HashMap<String, String> {
    inventory
        .iter()
        .map(|d| (d.serial.trim().to_lowercase(), d.id.clone()))
        .collect()
}

/// What a write needs that is not in the op itself.
enum Prepared {
    None,
    /// The inventory device to assign.
    Device(String),
    /// A create whose serial the user already holds (listed under the user only, as a
    /// token uploaded through the legacy CSV is): not sent; the user is planned again.
    AlreadyHeld,
}

/// Check a write can be made before journaling it: the secret exists, the device to
/// assign is known (looked up by serial when an earlier run created it).
async fn prepare(
    ctx: &RunCtx,
    item: &Planned,
    op: &Op,
    devices: &mut HashMap<String, String>,
) -> Result<Prepared, NotSent> {
    let no_secret = || {
        NotSent(
            "the data set no longer holds this token's secret (was the data file changed \
             during the run?)"
                .to_string(),
        )
    };
    match &op.action {
        Action::CreateHardwareToken { source, serial, .. } => {
            ops::secret(ctx.data(), item.work.mfa, source).ok_or_else(no_secret)?;
            // The inventory search does not show a token uploaded through the legacy
            // CSV; the user's own list does (Entra docs, how-to-mfa-manage-oath-tokens).
            let mine = ctx
                .client()
                .list_user_hardware_tokens(&item.work.entra.id)
                .await
                .map_err(|e| {
                    NotSent(format!(
                        "reading the user's hardware tokens before creating serial {serial}: {}",
                        e.explanation()
                    ))
                })?;
            let held = mine.iter().any(|m| {
                m.device
                    .as_ref()
                    .and_then(|d| d.serial_number.as_deref())
                    .is_some_and(|s| s.trim().eq_ignore_ascii_case(serial.trim()))
            });
            Ok(if held {
                Prepared::AlreadyHeld
            } else {
                Prepared::None
            })
        }
        Action::AssignHardwareToken {
            serial,
            activate,
            source,
            ..
        } => {
            if *activate {
                ops::secret(ctx.data(), item.work.mfa, source).ok_or_else(no_secret)?;
            }
            let key = serial.trim().to_lowercase();
            if let Some(id) = devices.get(&key) {
                return Ok(Prepared::Device(id.clone()));
            }
            match ctx.client().find_hardware_token(serial).await {
                Ok(Some(d)) => {
                    devices.insert(key, d.id.clone());
                    Ok(Prepared::Device(d.id))
                }
                Ok(None) => Err(NotSent(format!(
                    "no device with serial {serial} in the tenant's inventory"
                ))),
                Err(e) => Err(NotSent(format!(
                    "looking up serial {serial}: {}",
                    e.explanation()
                ))),
            }
        }
        _ => Ok(Prepared::None),
    }
}

/// Send one write.
async fn send(
    ctx: &RunCtx,
    item: &Planned,
    op: &Op,
    prepared: Prepared,
    devices: &mut HashMap<String, String>,
) -> Result<(), GraphError> {
    let client = ctx.client();
    let user = item.work.entra.id.as_str();
    match &op.action {
        Action::AddPhone { slot, number } => client
            .add_phone_method(user, *slot, number)
            .await
            .map(|_| ()),
        Action::UpdatePhone { slot, to, .. } => client.update_phone_method(user, *slot, to).await,
        Action::SetDefaultMethod { method, .. } => client.set_default_method(user, *method).await,
        Action::CreateHardwareToken {
            serial,
            manufacturer,
            model,
            time_step,
            hash,
            source,
        } => {
            let Some(secret) = ops::secret(ctx.data(), item.work.mfa, source) else {
                return Err(GraphError::refused(
                    "POST",
                    "",
                    "the token's secret is missing",
                ));
            };
            let device = client
                .create_hardware_token(&NewHardwareToken {
                    serial_number: serial,
                    manufacturer,
                    model,
                    secret,
                    time_interval_secs: time_step.secs() as u32,
                    hash_function: wire_hash(*hash),
                    display_name: None,
                    assign_to: None,
                })
                .await?;
            devices.insert(serial.trim().to_lowercase(), device.id);
            Ok(())
        }
        Action::AssignHardwareToken {
            activate,
            display_name,
            source,
            ..
        } => {
            let Prepared::Device(device) = prepared else {
                return Err(GraphError::refused("POST", "", "no device to assign"));
            };
            if *activate {
                let Some(secret) = ops::secret(ctx.data(), item.work.mfa, source) else {
                    return Err(GraphError::refused(
                        "POST",
                        "",
                        "the token's secret is missing",
                    ));
                };
                let (_, step, hash) = ops::code_params(ctx.data(), item.work.mfa, source);
                // The code is computed at the last moment, from the injected clock.
                let now = ctx.shared.clock.now().timestamp().max(0) as u64;
                let code = crate::otp::totp(secret, step, hash, now);
                client
                    .assign_and_activate_hardware_token(user, &device, &code, Some(display_name))
                    .await
            } else {
                client
                    .assign_hardware_token(user, &device)
                    .await
                    .map(|_| ())
            }
        }
    }
}

fn wire_hash(h: crate::datafile::HashFunction) -> WireHash {
    match h {
        crate::datafile::HashFunction::HmacSha1 => WireHash::HmacSha1,
        crate::datafile::HashFunction::HmacSha256 => WireHash::HmacSha256,
    }
}

/// Read the user back (methods, and the serials rule H1 still needs).
async fn read_back(
    ctx: &RunCtx,
    item: &Planned,
) -> Result<(EntraMethods, Vec<InventoryDevice>), GraphError> {
    let id = item.work.entra.id.as_str();
    let mut methods = entra::read_users(ctx.client(), &[id])
        .await
        .into_iter()
        .next()
        .unwrap_or_else(|| Err(GraphError::refused("GET", "", "no answer for the user")))?;
    if ctx.shared.settings.hardware_oath_available
        && item
            .plan
            .ops
            .iter()
            .any(|o| ops::serial(&o.action).is_some())
    {
        entra::add_user_tokens(ctx.client(), id, &mut methods).await?;
    }
    let serials = ops::serials_to_look_up(
        ctx.data(),
        item.work.mfa,
        id,
        &methods,
        &ctx.shared.settings,
    );
    let inventory = entra::lookup_serials(ctx.client(), &serials).await?;
    Ok((methods, inventory))
}

/// Plan the user again from a fresh read-back; the new plan replaces the old one.
async fn replan(
    ctx: &RunCtx,
    item: &mut Planned,
    methods: EntraMethods,
    inventory: Vec<InventoryDevice>,
    devices: &mut HashMap<String, String>,
) -> Result<VecDeque<Op>, Failure> {
    let Some(plan) = ctx.plan(&item.work, &methods, &inventory, item.allowed) else {
        return Err(Failure {
            error: "the MFA Server user is no longer in the data set".into(),
            retryable: false,
        });
    };
    devices.extend(device_ids(&inventory));
    item.methods = methods;
    item.inventory = inventory;
    item.plan = Arc::new(plan);
    ctx.emit(
        &item.work.entra.id,
        UserStatus::Planned {
            plan: item.plan.clone(),
        },
    )
    .await;
    Ok(item.plan.ops.iter().cloned().collect())
}

fn close(ctx: &RunCtx, journal: JournalId, kind: OutcomeKind, error: Option<&GraphError>) {
    let outcome = Outcome {
        kind,
        http_status: error.and_then(GraphError::status),
        error: error.map(|e| e.to_string()),
        client_request_id: error.and_then(|e| e.client_request_id.clone()),
    };
    if let Err(e) = ctx.shared.store.outcome(journal, outcome) {
        tracing::error!(error = %e, journal = journal.0, "the journal refused a write's outcome");
    }
}

fn audit(ctx: &RunCtx, item: &Planned, op: &Op, journal: JournalId, note: Option<&str>) {
    let (action, before, after) = ops::audit_parts(&op.action);
    let mut detail = format!("rules {}; journal {}", ops::rule_ids(op), journal.0);
    if let Some(n) = note {
        detail.push_str("; ");
        detail.push_str(n);
    }
    let entry = AuditEntry {
        at: ctx.shared.clock.now(),
        tenant: ctx.shared.tenant.clone(),
        actor: ctx.shared.actor.clone(),
        action: action.to_string(),
        target: Target::user(item.work.entra.id.clone(), item.work.entra.upn.clone()),
        before,
        after,
        detail: Some(detail),
        forced: false,
    };
    if let Err(e) = ctx.shared.store.audit(entry) {
        tracing::error!(error = %e, "the audit log refused an entry");
    }
}
