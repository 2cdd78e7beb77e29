//! Undo from the journal (pilot resets): for each user asked for, the tool's writes that
//! took effect are read from the journal, the user is read from Entra, and
//! [`plan_undo`](crate::migrate::undo::plan_undo) says what to write back; applied, each
//! write goes the way every migration write goes — intent journaled before it is sent,
//! outcome after, an unknown outcome decided by reading back (and by start-up
//! reconciliation if the process dies first), audited with who, before and after — then
//! the user is read back against the plan's expected state.
//!
//! What the store records of the user afterwards: all undone and read back as expected →
//! the record is removed (the user reads as not migrated, and the next run plans them
//! from scratch); anything kept, refused or not as expected → `mismatch` with the reason,
//! its change tracking forgotten (the next run plans it again); a write failed → `failed`.

use std::sync::Arc;

use serde::Serialize;

use super::ops;
use crate::clock::Clock;
use crate::engine::entra;
use crate::engine::protocol::{Refusal, RefusalKind};
use crate::engine::store::{
    AuditEntry, Intent, JournalEntry, JournalFilter, Outcome, OutcomeKind, RunId, Store, Target,
    TargetKind, Tracking, UserStatusKind, UserUpdate,
};
use crate::graph::{GraphClient, GraphError};
use crate::migrate::undo::LeftKind;
use crate::migrate::undo::{
    DoneWrite, JournalOp, UndoAction, UndoOp, UndoPlan, plan_undo, verify_undo,
};
use crate::migrate::{EntraMethods, InventoryDevice};
use crate::safe_text::Safe;

/// Every user asked for, and what the undo did or would do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UndoReport {
    /// False for a what-if: nothing was written.
    pub applied: bool,
    pub users: Vec<UndoUser>,
    /// Writes made, all users.
    pub writes: usize,
}

impl UndoReport {
    /// Parts refused because Entra changed since, all users.
    pub fn refusals(&self) -> usize {
        self.users
            .iter()
            .filter_map(|u| u.state.plan())
            .map(UndoPlan::refusals)
            .sum()
    }
}

/// One user asked for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UndoUser {
    /// As asked (object id or UPN).
    pub asked: String,
    pub entra_id: Option<String>,
    pub upn: Option<String>,
    #[serde(flatten)]
    pub state: UndoState,
}

/// Where one user's undo stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum UndoState {
    /// The journal holds no write of this tool to the user (a typo, or another tenant).
    NotInJournal,
    /// A write to the user has no known outcome yet (start-up reconciliation could not
    /// decide it): nothing is undone until it is.
    Blocked { reason: String },
    /// Reading the user from Entra failed: nothing was written.
    ReadFailed { error: String },
    /// What-if: the plan.
    Planned { plan: UndoPlan },
    /// Applied, and read back.
    Applied {
        plan: UndoPlan,
        writes: usize,
        #[serde(flatten)]
        read_back: ReadBack,
    },
    /// A write failed; the writes before it were made.
    Failed {
        plan: UndoPlan,
        writes: usize,
        error: String,
    },
}

impl UndoState {
    pub fn plan(&self) -> Option<&UndoPlan> {
        match self {
            UndoState::Planned { plan }
            | UndoState::Applied { plan, .. }
            | UndoState::Failed { plan, .. } => Some(plan),
            _ => None,
        }
    }
}

/// The read-back after an applied undo.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "read_back", rename_all = "snake_case")]
pub enum ReadBack {
    /// Entra shows the plan's expected state.
    Verified,
    Mismatch {
        differences: Vec<String>,
    },
    /// The read-back itself failed.
    Unread {
        error: String,
    },
}

/// Everything an undo needs of the engine.
pub(crate) struct UndoJob {
    pub client: GraphClient,
    pub store: Store,
    pub tenant: String,
    pub actor: String,
    pub clock: Arc<dyn Clock>,
    /// Hardware OATH APIs exist in this cloud (H3).
    pub hardware: bool,
    pub users: Vec<String>,
    pub apply: bool,
}

impl UndoJob {
    /// Plan (and, when `apply`, make) every user's undo, one user at a time.
    pub(crate) async fn run(self) -> Result<UndoReport, Refusal> {
        let run = if self.apply {
            let scope = serde_json::json!({ "users": &self.users }).to_string();
            Some(
                self.store
                    .begin_run(&self.tenant, "undo", &self.actor, &scope)
                    .await
                    .map_err(|e| {
                        Refusal::new(
                            RefusalKind::Failed,
                            format!("the state store could not record the undo: {e}"),
                        )
                    })?,
            )
        } else {
            None
        };
        let mut report = UndoReport {
            applied: self.apply,
            users: Vec::with_capacity(self.users.len()),
            writes: 0,
        };
        for asked in &self.users {
            let user = self.user(asked, run).await?;
            if let UndoState::Applied { writes, .. } | UndoState::Failed { writes, .. } =
                &user.state
            {
                report.writes += writes;
            }
            report.users.push(user);
        }
        if let Some(run) = run {
            let summary = serde_json::json!({
                "users": report.users.len(),
                "writes": report.writes,
                "refused": report.refusals(),
            });
            let _ = self.store.finish_run(run, summary.to_string());
        }
        if self.apply {
            // Durable before the front end hears it is done.
            self.store.flush().await.map_err(|e| {
                Refusal::new(
                    RefusalKind::Failed,
                    format!("the state store could not commit the undo's records: {e}"),
                )
            })?;
        }
        Ok(report)
    }

    async fn user(&self, asked: &str, run: Option<RunId>) -> Result<UndoUser, Refusal> {
        let entries = self.journal(asked).await?;
        let mut out = UndoUser {
            asked: asked.to_string(),
            entra_id: None,
            upn: None,
            state: UndoState::NotInJournal,
        };
        // Newest first; the newest entry names the user as the journal last knew them.
        let Some(first) = entries.first() else {
            return Ok(out);
        };
        let target = first.target.clone();
        out.entra_id = Some(target.id.clone());
        out.upn = Some(target.name.clone());
        let entries: Vec<&JournalEntry> = entries
            .iter()
            .filter(|e| e.target.id == target.id)
            .collect();
        if let Some(open) = entries.iter().find(|e| e.outcome.is_none()) {
            out.state = UndoState::Blocked {
                reason: format!(
                    "journal entry {} has no known outcome yet; it is reconciled by reading \
                     the user back at the next start, then the undo can be planned",
                    open.id.0
                ),
            };
            return Ok(out);
        }
        let writes: Vec<DoneWrite> = entries
            .iter()
            .filter(|e| {
                matches!(
                    e.outcome,
                    Some(OutcomeKind::Ok | OutcomeKind::ReconciledDone)
                )
            })
            .map(|e| DoneWrite {
                journal: e.id.0,
                op: JournalOp::parse(&e.op),
            })
            .collect();
        let serials = serials(&writes);
        let (methods, inventory) = match self.read(&target.id, &serials).await {
            Ok(r) => r,
            Err(e) => {
                out.state = UndoState::ReadFailed {
                    error: e.explanation(),
                };
                return Ok(out);
            }
        };
        let plan = plan_undo(&writes, &methods, &inventory);
        if !self.apply {
            out.state = UndoState::Planned { plan };
            return Ok(out);
        }
        out.state = self.apply_user(&target, plan, run, &serials).await;
        Ok(out)
    }

    /// The journal's entries about `asked` (object id or UPN, exactly), newest first.
    async fn journal(&self, asked: &str) -> Result<Vec<JournalEntry>, Refusal> {
        let store = self.store.clone();
        let tenant = self.tenant.clone();
        let key = asked.trim().to_string();
        let filter = JournalFilter {
            kind: Some(TargetKind::UserMethod),
            target: Some(key.clone()),
            ..Default::default()
        };
        let rows = tokio::task::spawn_blocking(move || {
            store.journal_page(&tenant, &filter, None, usize::MAX)
        })
        .await
        .map_err(|e| Refusal::new(RefusalKind::Failed, format!("reading the journal: {e}")))?
        .map_err(|e| Refusal::new(RefusalKind::Failed, format!("reading the journal: {e}")))?;
        // The filter also matches part of a name: keep the user asked for only.
        Ok(rows
            .into_iter()
            .filter(|e| e.target.id == key || e.target.name.eq_ignore_ascii_case(&key))
            .collect())
    }

    /// The user's methods (with their own hardware tokens) and the inventory devices of
    /// `serials`.
    async fn read(
        &self,
        user: &str,
        serials: &[String],
    ) -> Result<(EntraMethods, Vec<InventoryDevice>), GraphError> {
        let mut methods = entra::read_users(&self.client, &[user])
            .await
            .into_iter()
            .next()
            .unwrap_or_else(|| Err(GraphError::refused("GET", "", "no answer for the user")))?;
        if self.hardware && !serials.is_empty() {
            entra::add_user_tokens(&self.client, user, &mut methods).await?;
        }
        let inventory = if self.hardware {
            entra::lookup_serials(&self.client, serials).await?
        } else {
            Vec::new()
        };
        Ok((methods, inventory))
    }

    async fn apply_user(
        &self,
        target: &Target,
        plan: UndoPlan,
        run: Option<RunId>,
        serials: &[String],
    ) -> UndoState {
        let mut writes = 0usize;
        for op in &plan.ops {
            match self.write(target, op, run, serials).await {
                Ok(()) => writes += 1,
                Err(error) => {
                    self.record(
                        target,
                        UserStatusKind::Failed,
                        Some(error.clone()),
                        Tracking::Forget,
                    );
                    return UndoState::Failed {
                        plan,
                        writes,
                        error,
                    };
                }
            }
        }
        let read_back = match self.read(&target.id, serials).await {
            Ok((methods, inventory)) => match verify_undo(&plan.expected, &methods, &inventory) {
                Ok(()) => ReadBack::Verified,
                Err(differences) => ReadBack::Mismatch { differences },
            },
            Err(e) => ReadBack::Unread {
                error: e.explanation(),
            },
        };
        let left: Vec<String> = plan
            .left
            .iter()
            .map(|l| format!("{}: {}", l.write, l.text))
            .collect();
        match (&read_back, left.is_empty()) {
            (ReadBack::Verified, true) => {
                if writes > 0 {
                    // The record is removed; the status is not stored.
                    self.record(target, UserStatusKind::Verified, None, Tracking::Reset);
                }
            }
            (ReadBack::Verified, false) => self.record(
                target,
                UserStatusKind::Mismatch,
                Some(format!("undone in part; left: {}", left.join("; "))),
                Tracking::Forget,
            ),
            (ReadBack::Mismatch { differences: d }, _) => self.record(
                target,
                UserStatusKind::Mismatch,
                Some(format!("after the undo: {}", d.join("; "))),
                Tracking::Forget,
            ),
            (ReadBack::Unread { error: e }, _) => self.record(
                target,
                UserStatusKind::Mismatch,
                Some(format!("undone; the read-back failed: {e}")),
                Tracking::Forget,
            ),
        }
        UndoState::Applied {
            plan,
            writes,
            read_back,
        }
    }

    /// One journaled undo write: intent, send, outcome (an unknown outcome decided by
    /// reading back), audit.
    async fn write(
        &self,
        target: &Target,
        op: &UndoOp,
        run: Option<RunId>,
        serials: &[String],
    ) -> Result<(), String> {
        let journal = self
            .store
            .intent(Intent {
                run,
                tenant: self.tenant.clone(),
                target: target.clone(),
                op: ops::undo_journal_text(op),
            })
            .await
            .map_err(|e| {
                format!(
                    "{}: not sent, because the state store could not journal it first: {e}",
                    op.action
                )
            })?;
        let close = |kind: OutcomeKind, error: Option<&GraphError>| {
            let outcome = Outcome {
                kind,
                http_status: error.and_then(GraphError::status),
                error: error.map(|e| e.to_string()),
                client_request_id: error.and_then(|e| e.client_request_id.clone()),
            };
            if let Err(e) = self.store.outcome(journal, outcome) {
                tracing::error!(error = %e, journal = journal.0, "the journal refused an undo's outcome");
            }
        };
        match self.send(&target.id, &op.action).await {
            Ok(()) => {
                close(OutcomeKind::Ok, None);
                self.audit(target, op, journal.0, None);
                Ok(())
            }
            Err(e) if e.outcome_unknown() => {
                // Never sent again blindly: what Entra shows decides.
                let (methods, inventory) = self.read(&target.id, serials).await.map_err(|re| {
                    format!(
                        "{}: the outcome is unknown ({}) and the read-back failed ({}); it is \
                         reconciled at the next start",
                        op.action,
                        e.explanation(),
                        re.explanation()
                    )
                })?;
                if crate::migrate::undo::took_effect(&op.action, &methods, &inventory) {
                    close(OutcomeKind::ReconciledDone, Some(&e));
                    self.audit(
                        target,
                        op,
                        journal.0,
                        Some("no answer came; the read-back shows it applied"),
                    );
                    Ok(())
                } else {
                    close(OutcomeKind::ReconciledNotDone, Some(&e));
                    Err(format!("{}: {}", op.action, e.explanation()))
                }
            }
            Err(e) => {
                close(OutcomeKind::Failed, Some(&e));
                Err(format!("{}: {}", op.action, e.explanation()))
            }
        }
    }

    async fn send(&self, user: &str, action: &UndoAction) -> Result<(), GraphError> {
        let c = &self.client;
        match action {
            UndoAction::DeletePhone { slot, .. } => c.delete_phone_method(user, *slot).await,
            UndoAction::RestorePhone { slot, to, .. } => {
                c.update_phone_method(user, *slot, to).await
            }
            UndoAction::RestoreDefaultMethod { to, .. } => c.set_default_method(user, *to).await,
            UndoAction::UnassignHardwareToken { method_id, .. } => {
                c.unassign_hardware_token(user, method_id).await
            }
            UndoAction::DeleteHardwareToken { device_id, .. } => {
                c.delete_hardware_token(device_id).await
            }
        }
    }

    fn audit(&self, target: &Target, op: &UndoOp, journal: i64, note: Option<&str>) {
        let (action, before, after) = crate::migrate::undo::audit_parts(&op.action);
        let mut detail = format!(
            "undoes journal {}; rules {}; journal {journal}",
            op.undoes,
            ops::rule_list(&op.rules)
        );
        if let Some(n) = note {
            detail.push_str("; ");
            detail.push_str(n);
        }
        let entry = AuditEntry {
            at: self.clock.now(),
            tenant: self.tenant.clone(),
            actor: self.actor.clone(),
            action: action.to_string(),
            target: target.clone(),
            before,
            after,
            detail: Some(detail),
            forced: false,
        };
        if let Err(e) = self.store.audit(entry) {
            tracing::error!(error = %e, "the audit log refused an entry");
        }
    }

    fn record(
        &self,
        target: &Target,
        status: UserStatusKind,
        detail: Option<String>,
        tracking: Tracking,
    ) {
        let update = UserUpdate {
            tenant: self.tenant.clone(),
            entra_id: target.id.clone(),
            upn: target.name.clone(),
            mfa_username: None,
            status,
            detail,
            tracking,
            usable: None,
        };
        if let Err(e) = self.store.update_user(update) {
            tracing::error!(error = %e, "the state store refused a user's status");
        }
    }
}

/// The serials the user's writes name, once each.
fn serials(writes: &[DoneWrite]) -> Vec<String> {
    let mut s: Vec<String> = writes
        .iter()
        .filter_map(|w| w.op.as_ref()?.serial().map(|x| x.trim().to_string()))
        .collect();
    s.sort_by_key(|x| x.to_ascii_lowercase());
    s.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    s
}

// ------------------------------------------------------------------ the report in words

impl UndoReport {
    /// The report in words, for a terminal (both front ends): per user what is (or would
    /// be) undone with the rules of the write it undoes, what is left and why, the
    /// read-back. Untrusted text is made safe.
    pub fn text(&self) -> String {
        report_text(self)
    }
}

fn report_text(r: &UndoReport) -> String {
    let mut out = String::new();
    for u in &r.users {
        out.push_str(&user_text(u, r.applied));
    }
    if r.applied {
        out.push_str(&format!(
            "{} write(s) made; {} part(s) refused as differences\n",
            r.writes,
            r.refusals()
        ));
    }
    out
}

fn user_text(u: &UndoUser, applied: bool) -> String {
    let name = u.upn.as_deref().unwrap_or(&u.asked);
    let mut out = format!("{}", Safe(name));
    if let Some(id) = &u.entra_id {
        out.push_str(&format!(" ({})", Safe(id)));
    }
    out.push_str(":\n");
    match &u.state {
        UndoState::NotInJournal => {
            out.push_str("  the journal holds no write of this tool to this user\n")
        }
        UndoState::Blocked { reason } => out.push_str(&format!("  not undone: {}\n", Safe(reason))),
        UndoState::ReadFailed { error } => out.push_str(&format!(
            "  not undone: reading the user failed: {}\n",
            Safe(error)
        )),
        UndoState::Planned { plan } => out.push_str(&plan_text(plan, applied)),
        UndoState::Applied {
            plan,
            writes,
            read_back,
        } => {
            out.push_str(&plan_text(plan, applied));
            out.push_str(&format!("  {writes} write(s) made; "));
            match read_back {
                ReadBack::Verified => out.push_str("read back: as before the tool's writes\n"),
                ReadBack::Mismatch { differences: d } => {
                    out.push_str("read back differs:\n");
                    for line in d {
                        out.push_str(&format!("    {}\n", Safe(line)));
                    }
                }
                ReadBack::Unread { error: e } => {
                    out.push_str(&format!("the read-back failed: {}\n", Safe(e)))
                }
            }
        }
        UndoState::Failed {
            plan,
            writes,
            error,
        } => {
            out.push_str(&plan_text(plan, applied));
            out.push_str(&format!(
                "  failed after {writes} write(s): {}\n",
                Safe(error)
            ));
        }
    }
    out
}

fn rules(r: &[crate::migrate::Rule]) -> String {
    r.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn plan_text(p: &UndoPlan, applied: bool) -> String {
    let mut out = String::new();
    if p.is_empty() {
        out.push_str("  nothing to undo: the tool's writes are undone already\n");
    }
    let verb = if applied { "undo" } else { "would undo" };
    for op in &p.ops {
        out.push_str(&format!(
            "  {verb}: {} [{}] (journal {})\n",
            Safe(&op.action.to_string()),
            rules(&op.rules),
            op.undoes
        ));
    }
    for l in &p.left {
        let word = match l.kind {
            LeftKind::Changed => "difference, refused",
            LeftKind::Gone => "difference, gone",
            LeftKind::GraphLimit => "kept",
            LeftKind::Unreadable => "unreadable",
        };
        out.push_str(&format!(
            "  {word}: {} [{}] (journal {}): {}\n",
            Safe(&l.write),
            rules(&l.rules),
            l.journal,
            Safe(&l.text)
        ));
    }
    out
}
