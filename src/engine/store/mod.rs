//! The state store: one SQLite file in `--state-dir` holding per-user change tracking
//! (rule C1), the write journal (C5: intent before, outcome after every write), the audit
//! log (A1) and the runs.
//!
//! Writes go through one writer thread that group-commits: an intent is acknowledged
//! only once its transaction is durable (`synchronous = FULL`), so a crash at any point
//! leaves every write that may have reached Graph on record, while dozens of workers
//! share one fsync. Reads use a second connection (WAL lets them run alongside).
//!
//! Nothing secret is stored: plans name tokens by serial, and fingerprints are keyed
//! hashes under a key kept in a separate 0600 file.

mod schema;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use secrecy::{ExposeSecret, SecretBox};
use serde::Serialize;
use tokio::sync::oneshot;

pub use schema::VERSION as SCHEMA_VERSION;

/// File names inside the state dir.
pub const DB_FILE: &str = "state.sqlite";
pub const KEY_FILE: &str = "state.key";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("state store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("state store {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "state store schema version {found} is newer than this build supports ({supported}); use a newer mfa-cutover"
    )]
    TooNew { found: i64, supported: i64 },
    #[error("state store key file {0} is damaged: expected 32 bytes")]
    BadKey(PathBuf),
    /// A state file or folder that is a link, not a regular file, or not private.
    #[error("state store: {0}")]
    File(#[from] crate::fsx::FsError),
    #[error("state store writer has stopped")]
    Closed,
    #[error("state store commit failed: {0}")]
    Commit(String),
}

/// A journal entry's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct JournalId(pub i64);

/// A run's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct RunId(pub i64);

/// What a write is about to do; recorded before it is sent.
#[derive(Debug, Clone, Serialize)]
pub struct Intent {
    pub run: Option<RunId>,
    pub tenant: String,
    pub entra_id: String,
    pub upn: String,
    /// The planned operation as JSON (plans hold no secrets).
    pub op: String,
}

/// How a journaled write ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    Ok,
    Failed,
    /// The outcome was unknown; a read-back showed the write took effect.
    ReconciledDone,
    /// The outcome was unknown; a read-back showed it did not.
    ReconciledNotDone,
}

impl OutcomeKind {
    fn as_str(self) -> &'static str {
        match self {
            OutcomeKind::Ok => "ok",
            OutcomeKind::Failed => "failed",
            OutcomeKind::ReconciledDone => "reconciled_done",
            OutcomeKind::ReconciledNotDone => "reconciled_not_done",
        }
    }

    fn parse(s: &str) -> Option<OutcomeKind> {
        Some(match s {
            "ok" => OutcomeKind::Ok,
            "failed" => OutcomeKind::Failed,
            "reconciled_done" => OutcomeKind::ReconciledDone,
            "reconciled_not_done" => OutcomeKind::ReconciledNotDone,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub kind: OutcomeKind,
    pub http_status: Option<u16>,
    pub error: Option<String>,
    pub client_request_id: Option<String>,
}

/// A journal row as read back.
#[derive(Debug, Clone, Serialize)]
pub struct JournalEntry {
    pub id: JournalId,
    pub run: Option<RunId>,
    pub tenant: String,
    pub entra_id: String,
    pub upn: String,
    pub op: String,
    pub intent_at: String,
    /// `None`: sent (or about to be) with no recorded outcome — unknown until reconciled.
    pub outcome: Option<OutcomeKind>,
    pub outcome_at: Option<String>,
    pub http_status: Option<u16>,
    pub error: Option<String>,
    pub client_request_id: Option<String>,
}

/// One tenant change, for the change board: time, who, what, before, after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub tenant: String,
    /// The token's subject: admin UPN or application id.
    pub actor: String,
    /// e.g. `phone.add`, `phone.update`, `hardware_oath.create`, `default_method.set`.
    pub action: String,
    /// e.g. the user's UPN.
    pub target: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub detail: Option<String>,
}

/// What the store remembers of a user (rule C1 and the last status).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserState {
    pub entra_id: String,
    pub upn: String,
    pub mfa_username: Option<String>,
    #[serde(skip)]
    pub fingerprint: Option<[u8; 32]>,
    pub migrated_at: Option<String>,
    pub status: String,
    pub detail: Option<String>,
    pub updated_at: String,
}

/// A user's status update.
#[derive(Debug, Clone)]
pub struct UserUpdate {
    pub tenant: String,
    pub entra_id: String,
    pub upn: String,
    pub mfa_username: Option<String>,
    pub status: String,
    pub detail: Option<String>,
    pub tracking: Tracking,
}

/// What a status update does to the user's change tracking (rule C1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tracking {
    /// Verified: record the fingerprint and the time; later runs skip the user while
    /// the fingerprint stays the same.
    Migrated([u8; 32]),
    /// Leave what is recorded (a status that says nothing new about Entra's state).
    Keep,
    /// The last attempt did not end verified (failed, mismatch, interrupted by a
    /// crash): forget the fingerprint, so the next run plans the user again even if its
    /// MFA Server data did not change.
    Forget,
}

enum Msg {
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
    Flush(oneshot::Sender<Result<(), String>>),
    Stop,
}

struct Inner {
    tx: Mutex<std_mpsc::Sender<Msg>>,
    read: Mutex<Connection>,
    key: SecretBox<[u8; 32]>,
    path: PathBuf,
    writer: Mutex<Option<JoinHandle<()>>>,
}

/// The state store. Cheap to clone; all clones share one writer thread.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .finish()
    }
}

fn now_text() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl Store {
    /// Open (or create) the store in `dir`: the directory 0700, the files 0600, the
    /// schema migrated to this build's version.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        crate::fsx::private_dir(dir)?;
        let key = load_or_create_key(&dir.join(KEY_FILE))?;
        let path = dir.join(DB_FILE);
        // The database and SQLite's own files beside it: regular, private, not links
        // (as ssh treats private keys). A new database is created exclusively, 0600.
        if !crate::fsx::check_private_file(&path)? {
            drop(crate::fsx::create_new(&path)?);
        }
        for suffix in ["-wal", "-shm", "-journal"] {
            let mut side = path.clone().into_os_string();
            side.push(suffix);
            crate::fsx::check_private_file(Path::new(&side))?;
        }
        let mut write = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_NOFOLLOW,
        )?;
        // WAL: readers never block the writer. FULL: an acknowledged intent survives a
        // crash of the process and of the machine.
        write.pragma_update(None, "journal_mode", "WAL")?;
        write.pragma_update(None, "synchronous", "FULL")?;
        write.pragma_update(None, "foreign_keys", "ON")?;
        write.busy_timeout(std::time::Duration::from_secs(10))?;
        schema::migrate(&mut write)?;
        let read = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_NOFOLLOW,
        )?;
        read.busy_timeout(std::time::Duration::from_secs(10))?;
        let (tx, rx) = std_mpsc::channel();
        let writer = std::thread::Builder::new()
            .name("state-store".into())
            .spawn(move || writer_loop(write, rx))
            .map_err(io_err(dir))?;
        Ok(Store {
            inner: Arc::new(Inner {
                tx: Mutex::new(tx),
                read: Mutex::new(read),
                key,
                path,
                writer: Mutex::new(Some(writer)),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The key for keyed hashes (fingerprints, secret hashes). Never stored in the database.
    pub fn hash_key(&self) -> &[u8] {
        self.inner.key.expose_secret()
    }

    fn send(&self, msg: Msg) -> Result<(), StoreError> {
        let tx = self.inner.tx.lock().map_err(|_| StoreError::Closed)?;
        tx.send(msg).map_err(|_| StoreError::Closed)
    }

    /// Record a write before sending it. Returns once the intent is durable.
    pub async fn intent(&self, intent: Intent) -> Result<JournalId, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.send(Msg::Intent(intent, reply))?;
        rx.await
            .map_err(|_| StoreError::Closed)?
            .map_err(StoreError::Commit)
    }

    /// Record how a write ended. Committed with the next group; a crash before that
    /// leaves the intent open, which the next run reconciles by reading back.
    pub fn outcome(&self, id: JournalId, outcome: Outcome) -> Result<(), StoreError> {
        self.send(Msg::Outcome(id, outcome))
    }

    pub fn update_user(&self, update: UserUpdate) -> Result<(), StoreError> {
        self.send(Msg::User(update))
    }

    pub fn audit(&self, entry: AuditEntry) -> Result<(), StoreError> {
        self.send(Msg::Audit(entry))
    }

    pub async fn begin_run(
        &self,
        tenant: &str,
        kind: &str,
        actor: &str,
        scope: &str,
    ) -> Result<RunId, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.send(Msg::BeginRun {
            tenant: tenant.into(),
            kind: kind.into(),
            actor: actor.into(),
            scope: scope.into(),
            reply,
        })?;
        rx.await
            .map_err(|_| StoreError::Closed)?
            .map_err(StoreError::Commit)
    }

    pub fn finish_run(&self, run: RunId, summary_json: String) -> Result<(), StoreError> {
        self.send(Msg::FinishRun(run, summary_json))
    }

    /// Wait until everything sent so far is committed.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let (reply, rx) = oneshot::channel();
        self.send(Msg::Flush(reply))?;
        rx.await
            .map_err(|_| StoreError::Closed)?
            .map_err(StoreError::Commit)
    }

    /// Flush and stop the writer thread. Later calls fail with `Closed`.
    pub fn close(&self) {
        let _ = self.send(Msg::Stop);
        if let Ok(mut w) = self.inner.writer.lock()
            && let Some(handle) = w.take()
        {
            let _ = handle.join();
        }
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, StoreError> {
        let conn = self.inner.read.lock().map_err(|_| StoreError::Closed)?;
        Ok(f(&conn)?)
    }

    /// Fingerprints of every user migrated in `tenant` (C1), for one bulk look-up per run.
    pub fn fingerprints(&self, tenant: &str) -> Result<HashMap<String, [u8; 32]>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT entra_id, fingerprint FROM users WHERE tenant = ?1 AND fingerprint IS NOT NULL",
            )?;
            let rows = stmt.query_map([tenant], |r| {
                let id: String = r.get(0)?;
                let fp: Vec<u8> = r.get(1)?;
                Ok((id, fp))
            })?;
            let mut map = HashMap::new();
            for row in rows {
                let (id, fp) = row?;
                if let Ok(arr) = <[u8; 32]>::try_from(fp.as_slice()) {
                    map.insert(id, arr);
                }
            }
            Ok(map)
        })
    }

    pub fn user(&self, tenant: &str, entra_id: &str) -> Result<Option<UserState>, StoreError> {
        self.read(|c| {
            c.query_row(
                "SELECT entra_id, upn, mfa_username, fingerprint, migrated_at, status, detail, updated_at
                 FROM users WHERE tenant = ?1 AND entra_id = ?2",
                [tenant, entra_id],
                user_row,
            )
            .optional()
        })
    }

    /// Users whose last status is `status` (e.g. `failed`, to retry them).
    pub fn users_with_status(
        &self,
        tenant: &str,
        status: &str,
    ) -> Result<Vec<UserState>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT entra_id, upn, mfa_username, fingerprint, migrated_at, status, detail, updated_at
                 FROM users WHERE tenant = ?1 AND status = ?2 ORDER BY upn",
            )?;
            let rows = stmt.query_map([tenant, status], user_row)?;
            rows.collect()
        })
    }

    /// Journal entries with no recorded outcome: their effect is unknown until the user is
    /// read back (C5).
    pub fn open_intents(&self, tenant: &str) -> Result<Vec<JournalEntry>, StoreError> {
        self.journal_query(
            "SELECT id, run_id, tenant, entra_id, upn, op, intent_at, outcome, outcome_at, http_status, error, client_request_id
             FROM journal WHERE tenant = ?1 AND outcome IS NULL ORDER BY id",
            tenant,
        )
    }

    /// The whole journal of a tenant, oldest first (the Journal tab, reports, tests).
    pub fn journal(&self, tenant: &str) -> Result<Vec<JournalEntry>, StoreError> {
        self.journal_query(
            "SELECT id, run_id, tenant, entra_id, upn, op, intent_at, outcome, outcome_at, http_status, error, client_request_id
             FROM journal WHERE tenant = ?1 ORDER BY id",
            tenant,
        )
    }

    fn journal_query(&self, sql: &str, tenant: &str) -> Result<Vec<JournalEntry>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare(sql)?;
            let rows = stmt.query_map([tenant], |r| {
                let outcome: Option<String> = r.get(7)?;
                Ok(JournalEntry {
                    id: JournalId(r.get(0)?),
                    run: r.get::<_, Option<i64>>(1)?.map(RunId),
                    tenant: r.get(2)?,
                    entra_id: r.get(3)?,
                    upn: r.get(4)?,
                    op: r.get(5)?,
                    intent_at: r.get(6)?,
                    outcome: outcome.as_deref().and_then(OutcomeKind::parse),
                    outcome_at: r.get(8)?,
                    http_status: r.get::<_, Option<i64>>(9)?.map(|s| s as u16),
                    error: r.get(10)?,
                    client_request_id: r.get(11)?,
                })
            })?;
            rows.collect()
        })
    }

    /// The newest `limit` audit entries of a tenant, newest first.
    pub fn audit_log(&self, tenant: &str, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT at, tenant, actor, action, target, before, after, detail
                 FROM audit WHERE tenant = ?1 ORDER BY id DESC LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![tenant, limit as i64], |r| {
                let at: String = r.get(0)?;
                Ok(AuditEntry {
                    at: DateTime::parse_from_rfc3339(&at)
                        .map(|d| d.with_timezone(&Utc))
                        .unwrap_or_default(),
                    tenant: r.get(1)?,
                    actor: r.get(2)?,
                    action: r.get(3)?,
                    target: r.get(4)?,
                    before: r.get(5)?,
                    after: r.get(6)?,
                    detail: r.get(7)?,
                })
            })?;
            rows.collect()
        })
    }
}

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserState> {
    let fp: Option<Vec<u8>> = r.get(3)?;
    Ok(UserState {
        entra_id: r.get(0)?,
        upn: r.get(1)?,
        mfa_username: r.get(2)?,
        fingerprint: fp.and_then(|v| <[u8; 32]>::try_from(v.as_slice()).ok()),
        migrated_at: r.get(4)?,
        status: r.get(5)?,
        detail: r.get(6)?,
        updated_at: r.get(7)?,
    })
}

/// The key file: an existing one must be a private regular file (not a link) of exactly
/// 32 bytes, read through the bounded reader; a missing one is written whole, 0600.
fn load_or_create_key(path: &Path) -> Result<SecretBox<[u8; 32]>, StoreError> {
    if crate::fsx::check_private_file(path)? {
        let mut buf = crate::fsx::read_bounded(path, crate::fsx::ReadKind::StateKey)?;
        let key: Result<[u8; 32], _> = buf.as_slice().try_into();
        buf.fill(0);
        let key = key.map_err(|_| StoreError::BadKey(path.to_path_buf()))?;
        return Ok(SecretBox::new(Box::new(key)));
    }
    let mut key = [0u8; 32];
    rand::fill(&mut key);
    crate::fsx::write_atomic(path, &key)?;
    Ok(SecretBox::new(Box::new(key)))
}

/// Answers a waiter once its group's commit is known.
type Reply = Box<dyn FnOnce(Result<(), String>)>;

/// The writer thread: take everything queued, apply it in one transaction, then answer
/// the waiters. Under load one fsync covers many writes.
///
/// Each message runs inside its own savepoint: one that fails (a constraint, a full disk
/// on that row) is rolled back and answered with its error alone, and the rest of the
/// group still commits. Waiters hear "ok" only after the commit is durable.
fn writer_loop(mut conn: Connection, rx: std_mpsc::Receiver<Msg>) {
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
        let result = (|| -> rusqlite::Result<()> {
            let mut tx = conn.transaction()?;
            for msg in batch {
                if matches!(msg, Msg::Stop) {
                    stop = true;
                    continue;
                }
                let sp = tx.savepoint()?;
                match apply_msg(&sp, msg) {
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
fn apply_msg(conn: &Connection, msg: Msg) -> (rusqlite::Result<()>, Option<Reply>) {
    match msg {
        Msg::Intent(i, reply) => {
            let r = conn.execute(
                "INSERT INTO journal (run_id, tenant, entra_id, upn, op, intent_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    i.run.map(|r| r.0),
                    i.tenant,
                    i.entra_id,
                    i.upn,
                    i.op,
                    now_text()
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
                    now_text(),
                    o.http_status.map(i64::from),
                    o.error,
                    o.client_request_id
                ],
            )
            .map(|_| ()),
            None,
        ),
        Msg::User(u) => {
            let now = now_text();
            let r = match u.tracking {
                Tracking::Migrated(fp) => conn.execute(
                    "INSERT INTO users (tenant, entra_id, upn, mfa_username, fingerprint, migrated_at, status, detail, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?6)
                     ON CONFLICT (tenant, entra_id) DO UPDATE SET upn = excluded.upn,
                       mfa_username = excluded.mfa_username, fingerprint = excluded.fingerprint,
                       migrated_at = excluded.migrated_at, status = excluded.status,
                       detail = excluded.detail, updated_at = excluded.updated_at",
                    params![u.tenant, u.entra_id, u.upn, u.mfa_username, &fp[..], now, u.status, u.detail],
                ),
                Tracking::Keep => conn.execute(
                    "INSERT INTO users (tenant, entra_id, upn, mfa_username, status, detail, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (tenant, entra_id) DO UPDATE SET upn = excluded.upn,
                       mfa_username = excluded.mfa_username, status = excluded.status,
                       detail = excluded.detail, updated_at = excluded.updated_at",
                    params![u.tenant, u.entra_id, u.upn, u.mfa_username, u.status, u.detail, now],
                ),
                Tracking::Forget => conn.execute(
                    "INSERT INTO users (tenant, entra_id, upn, mfa_username, status, detail, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (tenant, entra_id) DO UPDATE SET upn = excluded.upn,
                       mfa_username = excluded.mfa_username, fingerprint = NULL,
                       status = excluded.status, detail = excluded.detail,
                       updated_at = excluded.updated_at",
                    params![u.tenant, u.entra_id, u.upn, u.mfa_username, u.status, u.detail, now],
                ),
            };
            (r.map(|_| ()), None)
        }
        Msg::Audit(a) => (
            conn.execute(
                "INSERT INTO audit (at, tenant, actor, action, target, before, after, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    a.at.to_rfc3339_opts(SecondsFormat::Millis, true),
                    a.tenant,
                    a.actor,
                    a.action,
                    a.target,
                    a.before,
                    a.after,
                    a.detail
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
                params![tenant, kind, actor, scope, now_text()],
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
                params![run.0, now_text(), summary],
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

#[cfg(test)]
mod tests {
    use super::*;

    fn intent(user: &str) -> Intent {
        Intent {
            run: None,
            tenant: "t".into(),
            entra_id: user.into(),
            upn: format!("{user}@contoso.com"),
            op: r#"{"op":"add_phone"}"#.into(),
        }
    }

    #[tokio::test]
    async fn intents_stay_open_until_an_outcome() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = Store::open(dir.path())?;
        let a = store.intent(intent("a")).await?;
        let b = store.intent(intent("b")).await?;
        store.outcome(
            a,
            Outcome {
                kind: OutcomeKind::Ok,
                http_status: Some(201),
                error: None,
                client_request_id: Some("r1".into()),
            },
        )?;
        store.flush().await?;
        let open = store.open_intents("t")?;
        assert_eq!(open.iter().map(|e| e.id).collect::<Vec<_>>(), [b]);
        store.close();
        // A new process sees the same open intent.
        let again = Store::open(dir.path())?;
        assert_eq!(again.open_intents("t")?.len(), 1);
        again.close();
        Ok(())
    }

    #[tokio::test]
    async fn fingerprints_and_files_are_private() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = Store::open(dir.path())?;
        store.update_user(UserUpdate {
            tenant: "t".into(),
            entra_id: "u1".into(),
            upn: "u1@contoso.com".into(),
            mfa_username: Some("CONTOSO\\u1".into()),
            status: "verified".into(),
            detail: None,
            tracking: Tracking::Migrated([7; 32]),
        })?;
        store.flush().await?;
        assert_eq!(store.fingerprints("t")?.get("u1"), Some(&[7; 32]));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mut checked = 0;
            // SQLite creates the WAL and shared-memory files with the database's mode.
            for f in [DB_FILE, KEY_FILE, "state.sqlite-wal", "state.sqlite-shm"] {
                if !dir.path().join(f).exists() {
                    continue;
                }
                let mode = std::fs::metadata(dir.path().join(f))?.permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{f}");
                checked += 1;
            }
            assert_eq!(checked, 4, "the WAL files exist while the store is open");
        }
        let key_before = store.hash_key().to_vec();
        store.close();
        // The key persists, so fingerprints stay comparable across runs.
        let again = Store::open(dir.path())?;
        assert_eq!(again.hash_key(), key_before.as_slice());
        again.close();
        Ok(())
    }

    #[tokio::test]
    async fn a_refused_write_does_not_take_its_group_down() -> Result<(), Box<dyn std::error::Error>>
    {
        let dir = tempfile::tempdir()?;
        let store = Store::open(dir.path())?;
        // A run id that does not exist violates the journal's foreign key.
        let mut bad = intent("bad");
        bad.run = Some(RunId(999));
        let (bad, good) = tokio::join!(store.intent(bad), store.intent(intent("good")));
        assert!(bad.is_err());
        let good = good?;
        let open = store.open_intents("t")?;
        assert_eq!(open.iter().map(|e| e.id).collect::<Vec<_>>(), [good]);
        store.close();
        Ok(())
    }

    #[tokio::test]
    async fn a_failed_attempt_forgets_the_fingerprint() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = Store::open(dir.path())?;
        let update = |status: &str, tracking| UserUpdate {
            tenant: "t".into(),
            entra_id: "u1".into(),
            upn: "u1@contoso.com".into(),
            mfa_username: None,
            status: status.into(),
            detail: None,
            tracking,
        };
        store.update_user(update("verified", Tracking::Migrated([1; 32])))?;
        store.update_user(update("skipped", Tracking::Keep))?;
        store.flush().await?;
        assert_eq!(store.fingerprints("t")?.get("u1"), Some(&[1; 32]));
        store.update_user(update("failed", Tracking::Forget))?;
        store.flush().await?;
        assert!(store.fingerprints("t")?.is_empty());
        let u = store.user("t", "u1")?.ok_or("user row")?;
        assert_eq!(u.status, "failed");
        assert!(u.migrated_at.is_some(), "the last migration time stays");
        store.close();
        Ok(())
    }

    /// As ssh does with keys: a state file readable by others, or a link, is refused
    /// with the command that fixes it, and nothing is changed.
    #[cfg(unix)]
    #[test]
    fn refuses_exposed_or_linked_state_files() -> Result<(), Box<dyn std::error::Error>> {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir()?;
        drop(Store::open(dir.path())?);
        let key = dir.path().join(KEY_FILE);
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644))?;
        let err = Store::open(dir.path()).err().map(|e| e.to_string());
        let err = err.unwrap_or_default();
        assert!(
            err.contains(&format!("chmod 600 {}", key.display())),
            "{err}"
        );
        let mode = std::fs::metadata(&key)?.permissions().mode() & 0o777;
        assert_eq!(mode, 0o644, "left for the admin to fix");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))?;
        let db = dir.path().join(DB_FILE);
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o640))?;
        let err = Store::open(dir.path()).err().map(|e| e.to_string());
        assert!(err.unwrap_or_default().contains("chmod 600"));
        // A link where the database belongs.
        let other = tempfile::tempdir()?;
        std::fs::rename(&db, other.path().join(DB_FILE))?;
        std::os::unix::fs::symlink(other.path().join(DB_FILE), &db)?;
        let err = Store::open(dir.path()).err().map(|e| e.to_string());
        assert!(err.unwrap_or_default().contains("symbolic link"));
        // A linked state dir: refused, its target's mode untouched.
        let target = tempfile::tempdir()?;
        std::fs::set_permissions(target.path(), std::fs::Permissions::from_mode(0o755))?;
        let link = dir.path().join("linked-state");
        std::os::unix::fs::symlink(target.path(), &link)?;
        assert!(Store::open(&link).is_err());
        let mode = std::fs::metadata(target.path())?.permissions().mode() & 0o777;
        assert_eq!(mode, 0o755);
        Ok(())
    }

    #[test]
    fn refuses_a_newer_schema() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        {
            let path = dir.path().join(DB_FILE);
            drop(crate::fsx::create_new(&path)?);
            let c = Connection::open(path)?;
            c.execute_batch("PRAGMA user_version = 99")?;
        }
        let err = Store::open(dir.path())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("newer"), "{err}");
        Ok(())
    }
}
