//! The store's writer thread: takes everything queued, applies it in one transaction,
//! then answers the waiters. Under load one fsync covers many writes.
//!
//! Each message runs inside its own savepoint: one that fails (a constraint, a full disk
//! on that row) is rolled back and answered with its error alone, and the rest of the
//! group still commits. Waiters hear "ok" only after the commit is durable.

use std::sync::Arc;
use std::sync::mpsc as std_mpsc;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, params};
use tokio::sync::oneshot;

use super::records::{
    AuditEntry, DataFileRecord, Intent, ItemDecision, JournalId, Outcome, RunId, StepTick,
    Tracking, UserUpdate,
};
use crate::clock::Clock;

/// Times as the store keeps them: RFC 3339, UTC, milliseconds (sorts as text).
pub(super) fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(super) enum Msg {
    Intent(Intent, oneshot::Sender<Result<JournalId, String>>),
    Outcome(JournalId, Outcome),
    User(UserUpdate),
    Audit(AuditEntry),
    BeginRun {
        tenant: String,
        kind: String,
        actor: String,
        scope: String,
        reply: oneshot::Sender<Result<RunId, String>>,
    },
    FinishRun(RunId, String),
    Reregister(String, crate::migrate::ReregisterRow),
    Decision(String, ItemDecision),
    Tick(String, StepTick),
    EndState(String, Option<u8>),
    DataFile(String, DataFileRecord),
    Flush(oneshot::Sender<Result<(), String>>),
    Stop,
}

/// Answers a waiter once its group's commit is known.
type Reply = Box<dyn FnOnce(Result<(), String>)>;

pub(super) fn writer_loop(
    mut conn: Connection,
    rx: std_mpsc::Receiver<Msg>,
    clock: Arc<dyn Clock>,
) {
    let mut stop = false;
    while !stop {
        let Ok(first) = rx.recv() else { break };
        let mut batch = vec![first];
        while batch.len() < 512 {
            match rx.try_recv() {
                Ok(m) => batch.push(m),
                Err(_) => break,
            }
        }
        let mut replies: Vec<Reply> = Vec::new();
        let now = time_text(clock.now());
        let result = (|| -> rusqlite::Result<()> {
            let mut tx = conn.transaction()?;
            for msg in batch {
                if matches!(msg, Msg::Stop) {
                    stop = true;
                    continue;
                }
                let sp = tx.savepoint()?;
                match apply_msg(&sp, msg, &now) {
                    (Ok(()), reply) => {
                        sp.commit()?;
                        replies.extend(reply);
                    }
                    (Err(e), reply) => {
                        drop(sp);
                        tracing::error!(error = %e, "state store: a write was refused");
                        if let Some(reply) = reply {
                            reply(Err(e.to_string()));
                        }
                    }
                }
            }
            tx.commit()
        })();
        let result = result.map_err(|e| e.to_string());
        if let Err(e) = &result {
            tracing::error!(error = %e, "state store commit failed");
        }
        for reply in replies {
            reply(result.clone());
        }
    }
}

/// Apply one message; the reply (if the message has a waiter) is answered by the caller
/// once the group's fate is known.
fn apply_msg(conn: &Connection, msg: Msg, now: &str) -> (rusqlite::Result<()>, Option<Reply>) {
    match msg {
        Msg::Intent(i, reply) => {
            let r = conn.execute(
                "INSERT INTO journal (run_id, tenant, target_kind, target_id, target_name, op, intent_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    i.run.map(|r| r.0),
                    i.tenant,
                    i.target.kind.as_str(),
                    i.target.id,
                    i.target.name,
                    i.op,
                    now
                ],
            );
            let id = JournalId(conn.last_insert_rowid());
            (
                r.map(|_| ()),
                Some(Box::new(move |r: Result<(), String>| {
                    let _ = reply.send(r.map(|_| id));
                })),
            )
        }
        Msg::Outcome(id, o) => (
            conn.execute(
                "UPDATE journal SET outcome = ?2, outcome_at = ?3, http_status = ?4, error = ?5,
                        client_request_id = COALESCE(?6, client_request_id)
                 WHERE id = ?1",
                params![
                    id.0,
                    o.kind.as_str(),
                    now,
                    o.http_status.map(i64::from),
                    o.error,
                    o.client_request_id
                ],
            )
            .map(|_| ()),
            None,
        ),
        Msg::User(u) => {
            let status = u.status.as_str();
            let r = match u.tracking {
                Tracking::Migrated(fp) => conn.execute(
                    "INSERT INTO users (tenant, entra_id, upn, mfa_username, fingerprint, migrated_at, status, detail, updated_at, usable)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?6, ?9)
                     ON CONFLICT (tenant, entra_id) DO UPDATE SET upn = excluded.upn,
                       mfa_username = excluded.mfa_username, fingerprint = excluded.fingerprint,
                       migrated_at = excluded.migrated_at, status = excluded.status,
                       detail = excluded.detail, updated_at = excluded.updated_at,
                       usable = COALESCE(excluded.usable, usable)",
                    params![u.tenant, u.entra_id, u.upn, u.mfa_username, &fp[..], now, status, u.detail, u.usable],
                ),
                Tracking::Keep => conn.execute(
                    "INSERT INTO users (tenant, entra_id, upn, mfa_username, status, detail, updated_at, usable)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                     ON CONFLICT (tenant, entra_id) DO UPDATE SET upn = excluded.upn,
                       mfa_username = COALESCE(excluded.mfa_username, mfa_username),
                       status = excluded.status, detail = excluded.detail,
                       updated_at = excluded.updated_at, usable = COALESCE(excluded.usable, usable)",
                    params![u.tenant, u.entra_id, u.upn, u.mfa_username, status, u.detail, now, u.usable],
                ),
                Tracking::Reset => conn.execute(
                    "DELETE FROM users WHERE tenant = ?1 AND entra_id = ?2",
                    params![u.tenant, u.entra_id],
                ),
                Tracking::Forget => conn.execute(
                    "INSERT INTO users (tenant, entra_id, upn, mfa_username, status, detail, updated_at, usable)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                     ON CONFLICT (tenant, entra_id) DO UPDATE SET upn = excluded.upn,
                       mfa_username = COALESCE(excluded.mfa_username, mfa_username),
                       fingerprint = NULL, status = excluded.status, detail = excluded.detail,
                       updated_at = excluded.updated_at, usable = COALESCE(excluded.usable, usable)",
                    params![u.tenant, u.entra_id, u.upn, u.mfa_username, status, u.detail, now, u.usable],
                ),
            };
            (r.map(|_| ()), None)
        }
        Msg::Audit(a) => (
            conn.execute(
                "INSERT INTO audit (at, tenant, actor, action, target_kind, target_id, target_name,
                                    before, after, detail, forced)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    time_text(a.at),
                    a.tenant,
                    a.actor,
                    a.action,
                    a.target.kind.as_str(),
                    a.target.id,
                    a.target.name,
                    a.before,
                    a.after,
                    a.detail,
                    a.forced
                ],
            )
            .map(|_| ()),
            None,
        ),
        Msg::BeginRun {
            tenant,
            kind,
            actor,
            scope,
            reply,
        } => {
            let r = conn.execute(
                "INSERT INTO runs (tenant, kind, actor, scope, started_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![tenant, kind, actor, scope, now],
            );
            let id = RunId(conn.last_insert_rowid());
            (
                r.map(|_| ()),
                Some(Box::new(move |r: Result<(), String>| {
                    let _ = reply.send(r.map(|_| id));
                })),
            )
        }
        Msg::FinishRun(run, summary) => (
            conn.execute(
                "UPDATE runs SET finished_at = ?2, summary = ?3 WHERE id = ?1",
                params![run.0, now, summary],
            )
            .map(|_| ()),
            None,
        ),
        Msg::Reregister(tenant, row) => {
            let r = if row.devices.is_empty() {
                conn.execute(
                    "DELETE FROM reregister WHERE tenant = ?1 AND entra_id = ?2",
                    params![tenant, row.entra_id],
                )
            } else {
                conn.execute(
                    "INSERT INTO reregister (tenant, entra_id, upn, mfa_username, devices, codes_imported, found_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (tenant, entra_id) DO UPDATE SET upn = excluded.upn,
                       mfa_username = excluded.mfa_username, devices = excluded.devices,
                       codes_imported = excluded.codes_imported, found_at = excluded.found_at",
                    params![
                        tenant,
                        row.entra_id,
                        row.upn,
                        row.mfa_username,
                        serde_json::to_string(&row.devices).unwrap_or_else(|_| "[]".into()),
                        row.codes_imported,
                        now
                    ],
                )
            };
            (r.map(|_| ()), None)
        }
        Msg::Decision(tenant, d) => (
            conn.execute(
                "INSERT INTO inventory_decisions (tenant, item_id, kind, name, decision, status, note, actor, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (tenant, item_id) DO UPDATE SET kind = excluded.kind,
                   name = excluded.name, decision = excluded.decision, status = excluded.status,
                   note = excluded.note, actor = excluded.actor, updated_at = excluded.updated_at",
                params![
                    tenant,
                    d.item_id,
                    d.kind,
                    d.name,
                    d.decision,
                    d.status.as_str(),
                    d.note,
                    d.actor,
                    time_text(d.updated_at)
                ],
            )
            .map(|_| ()),
            None,
        ),
        Msg::Tick(tenant, t) => (
            conn.execute(
                "INSERT INTO checklist_ticks (tenant, step_id, done, note, actor, at, forced)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (tenant, step_id) DO UPDATE SET done = excluded.done,
                   note = excluded.note, actor = excluded.actor, at = excluded.at,
                   forced = excluded.forced",
                params![tenant, t.step_id, t.done, t.note, t.actor, time_text(t.at), t.forced],
            )
            .map(|_| ()),
            None,
        ),
        Msg::EndState(tenant, end) => (
            conn.execute(
                "INSERT INTO checklist (tenant, end_state, started_at, updated_at)
                 VALUES (?1, ?2, ?3, ?3)
                 ON CONFLICT (tenant) DO UPDATE SET end_state = excluded.end_state,
                   updated_at = excluded.updated_at",
                params![tenant, end.map(i64::from), now],
            )
            .map(|_| ()),
            None,
        ),
        Msg::DataFile(tenant, d) => (
            conn.execute(
                "INSERT OR IGNORE INTO datafile_seen (tenant, sha256, size, modified, first_seen)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    tenant,
                    d.sha256,
                    d.size as i64,
                    d.modified.map(time_text),
                    time_text(d.first_seen)
                ],
            )
            .map(|_| ()),
            None,
        ),
        Msg::Flush(reply) => (
            Ok(()),
            Some(Box::new(move |r: Result<(), String>| {
                let _ = reply.send(r);
            })),
        ),
        Msg::Stop => (Ok(()), None),
    }
}
