//! The state store: one SQLite file in `--state-dir` holding per-user change tracking
//! (rule C1), the write journal (C5: intent before, outcome after every write to the
//! tenant — a user's methods, the rollout policy, a group in it, a domain's federation
//! setting), the audit log (A1: every change with who, before, after, forced), the runs,
//! the "must re-register the app" list, inventory decisions and checklist ticks.
//!
//! One process writes a store at a time: [`Store::open`] takes the
//! [`StateLock`](super::lock::StateLock) it is given and keeps it for its life, so
//! writing without the lock cannot be expressed. [`Store::open_read_only`] serves the
//! read-only commands beside a running writer.
//!
//! Writes go through one writer thread that group-commits (`writer.rs`): an intent is
//! acknowledged only once its transaction is durable (`synchronous = FULL`), so a crash
//! at any point leaves every write that may have reached Graph on record, while dozens of
//! workers share one fsync. Reads use a second connection (WAL lets them run alongside).
//! Times come from the injected clock.
//!
//! Nothing secret is stored: plans name tokens by serial, and fingerprints are keyed
//! hashes under a key kept in a separate 0600 file.

mod records;
pub mod schema;
mod writer;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params, params_from_iter};
use secrecy::{ExposeSecret, SecretBox};
use tokio::sync::oneshot;

pub use records::{
    AuditEntry, AuditFilter, ChecklistRecord, DataFileRecord, Intent, ItemDecision, ItemStatus,
    JournalEntry, JournalFilter, JournalId, Outcome, OutcomeKind, RunId, StepTick, Target,
    TargetKind, Tracking, UserState, UserStatusKind, UserUpdate,
};
pub use schema::VERSION as SCHEMA_VERSION;

use super::lock::StateLock;
use crate::clock::Clock;
use crate::migrate::ReregisterRow;
use writer::{Msg, time_text, writer_loop};

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
    #[error(
        "state store schema version {found} is older than this build's ({supported}) and a \
         read-only command cannot upgrade it: run a writing command (migrate, sync, the TUI) \
         once, when no other process holds the store"
    )]
    NeedsUpgrade { found: i64, supported: i64 },
    #[error("state store key file {0} is damaged: expected 32 bytes")]
    BadKey(PathBuf),
    #[error(
        "the state store is open read-only in this process (another process holds it, or the \
         command only reads): nothing was recorded"
    )]
    ReadOnly,
    /// A state file or folder that is a link, not a regular file, or not private.
    #[error("state store: {0}")]
    File(#[from] crate::fsx::FsError),
    #[error("state store writer has stopped")]
    Closed,
    #[error("state store commit failed: {0}")]
    Commit(String),
}

struct Inner {
    /// `None` when read-only.
    tx: Option<Mutex<std_mpsc::Sender<Msg>>>,
    read: Mutex<Connection>,
    key: SecretBox<[u8; 32]>,
    path: PathBuf,
    writer: Mutex<Option<JoinHandle<()>>>,
    clock: Arc<dyn Clock>,
    /// Held for the store's life: the OS releases it with the process.
    _lock: Option<StateLock>,
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
            .field("writable", &self.is_writable())
            .finish()
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn parse_time(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_default()
}

fn parse_time_opt(text: Option<String>) -> Option<DateTime<Utc>> {
    text.as_deref().map(parse_time)
}

fn read_connection(path: &Path) -> Result<Connection, StoreError> {
    let read = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_NOFOLLOW,
    )?;
    read.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(read)
}

impl Store {
    /// Open (or create) the store in the locked state dir for writing: the files 0600,
    /// the schema migrated to this build's version (v1 stores in place, keeping their
    /// history).
    pub fn open(lock: StateLock, clock: Arc<dyn Clock>) -> Result<Store, StoreError> {
        let dir = lock
            .path()
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let key = load_or_create_key(&dir.join(KEY_FILE))?;
        let path = dir.join(DB_FILE);
        // The database and SQLite's own files beside it: regular, private, not links
        // (as ssh treats private keys). A new database is created exclusively, 0600.
        if !crate::fsx::check_private_file(&path)? {
            drop(crate::fsx::create_new(&path)?);
        }
        check_side_files(&path)?;
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
        let read = read_connection(&path)?;
        let (tx, rx) = std_mpsc::channel();
        let writer_clock = clock.clone();
        let writer = std::thread::Builder::new()
            .name("state-store".into())
            .spawn(move || writer_loop(write, rx, writer_clock))
            .map_err(io_err(&dir))?;
        Ok(Store {
            inner: Arc::new(Inner {
                tx: Some(Mutex::new(tx)),
                read: Mutex::new(read),
                key,
                path,
                writer: Mutex::new(Some(writer)),
                clock,
                _lock: Some(lock),
            }),
        })
    }

    /// Take the state dir's lock for `command` and open the store for writing.
    pub fn open_locked(
        dir: &Path,
        command: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<Store, OpenError> {
        let lock = StateLock::acquire(dir, command, clock.now())?;
        Ok(Store::open(lock, clock)?)
    }

    /// Open the store to read only, beside whatever process writes it. A state dir with
    /// no store yet reads as an empty store (nothing migrated, nothing journaled); nothing
    /// is created.
    pub fn open_read_only(dir: &Path, clock: Arc<dyn Clock>) -> Result<Store, StoreError> {
        let path = dir.join(DB_FILE);
        let (read, key) = if crate::fsx::check_private_file(&path)? {
            check_side_files(&path)?;
            let read = read_connection(&path)?;
            let found = schema::version(&read)?;
            if found > SCHEMA_VERSION {
                return Err(StoreError::TooNew {
                    found,
                    supported: SCHEMA_VERSION,
                });
            }
            if found < SCHEMA_VERSION {
                return Err(StoreError::NeedsUpgrade {
                    found,
                    supported: SCHEMA_VERSION,
                });
            }
            (read, read_key(&dir.join(KEY_FILE))?)
        } else {
            let mut mem = Connection::open_in_memory()?;
            schema::migrate(&mut mem)?;
            (mem, None)
        };
        // With no key yet no fingerprint exists to compare with: any key will do.
        let key = key.unwrap_or_else(random_key);
        Ok(Store {
            inner: Arc::new(Inner {
                tx: None,
                read: Mutex::new(read),
                key,
                path,
                writer: Mutex::new(None),
                clock,
                _lock: None,
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    pub fn is_writable(&self) -> bool {
        self.inner.tx.is_some()
    }

    /// The store's clock (every time it records comes from it).
    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    /// The key for keyed hashes (fingerprints, secret hashes). Never stored in the database.
    pub fn hash_key(&self) -> &[u8] {
        self.inner.key.expose_secret()
    }

    fn send(&self, msg: Msg) -> Result<(), StoreError> {
        let tx = self.inner.tx.as_ref().ok_or(StoreError::ReadOnly)?;
        let tx = tx.lock().map_err(|_| StoreError::Closed)?;
        tx.send(msg).map_err(|_| StoreError::Closed)
    }

    async fn ask<T>(
        &self,
        msg: Msg,
        rx: oneshot::Receiver<Result<T, String>>,
    ) -> Result<T, StoreError> {
        self.send(msg)?;
        rx.await
            .map_err(|_| StoreError::Closed)?
            .map_err(StoreError::Commit)
    }

    /// Record a write before sending it. Returns once the intent is durable.
    pub async fn intent(&self, intent: Intent) -> Result<JournalId, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.ask(Msg::Intent(intent, reply), rx).await
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
        let msg = Msg::BeginRun {
            tenant: tenant.into(),
            kind: kind.into(),
            actor: actor.into(),
            scope: scope.into(),
            reply,
        };
        self.ask(msg, rx).await
    }

    pub fn finish_run(&self, run: RunId, summary_json: String) -> Result<(), StoreError> {
        self.send(Msg::FinishRun(run, summary_json))
    }

    /// Record who must re-register the app (A3), or that a user no longer must
    /// (`devices` empty).
    pub fn set_reregister(&self, tenant: &str, row: &ReregisterRow) -> Result<(), StoreError> {
        self.send(Msg::Reregister(tenant.to_string(), row.clone()))
    }

    pub fn set_decision(&self, tenant: &str, decision: ItemDecision) -> Result<(), StoreError> {
        self.send(Msg::Decision(tenant.to_string(), decision))
    }

    pub fn tick(&self, tenant: &str, tick: StepTick) -> Result<(), StoreError> {
        self.send(Msg::Tick(tenant.to_string(), tick))
    }

    /// The cutover's end state (checklist.md: 1, 2 or 3); `None` clears it.
    pub fn set_end_state(&self, tenant: &str, end_state: Option<u8>) -> Result<(), StoreError> {
        self.send(Msg::EndState(tenant.to_string(), end_state))
    }

    /// Remember a data file as loaded (kept the first time its hash is seen).
    pub fn record_datafile(&self, tenant: &str, record: DataFileRecord) -> Result<(), StoreError> {
        self.send(Msg::DataFile(tenant.to_string(), record))
    }

    /// Wait until everything sent so far is committed.
    pub async fn flush(&self) -> Result<(), StoreError> {
        if !self.is_writable() {
            return Ok(());
        }
        let (reply, rx) = oneshot::channel();
        self.ask(Msg::Flush(reply), rx).await
    }

    /// Flush and stop the writer thread. Later writes fail with `Closed`.
    pub fn close(&self) {
        let _ = self.send(Msg::Stop);
        if let Ok(mut w) = self.inner.writer.lock()
            && let Some(handle) = w.take()
        {
            let _ = handle.join();
        }
    }

    // ------------------------------------------------------------------- reads

    fn read<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, StoreError> {
        let conn = self.inner.read.lock().map_err(|_| StoreError::Closed)?;
        Ok(f(&conn)?)
    }

    /// Every tenant the store holds records of (users, journal, audit).
    pub fn tenants(&self) -> Result<Vec<String>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT tenant FROM users UNION SELECT tenant FROM journal
                 UNION SELECT tenant FROM audit ORDER BY 1",
            )?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect()
        })
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
                "SELECT entra_id, upn, mfa_username, fingerprint, migrated_at, status, detail, updated_at, usable
                 FROM users WHERE tenant = ?1 AND entra_id = ?2",
                [tenant, entra_id],
                user_row,
            )
            .optional()
        })
    }

    /// Every user the store knows in `tenant` (rollout readiness, reports).
    pub fn users(&self, tenant: &str) -> Result<Vec<UserState>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT entra_id, upn, mfa_username, fingerprint, migrated_at, status, detail, updated_at, usable
                 FROM users WHERE tenant = ?1 ORDER BY upn",
            )?;
            let rows = stmt.query_map([tenant], user_row)?;
            rows.collect()
        })
    }

    /// Users whose last status is one of `statuses` (e.g. the retryable ones).
    pub fn users_with_status(
        &self,
        tenant: &str,
        statuses: &[UserStatusKind],
    ) -> Result<Vec<UserState>, StoreError> {
        let mut all = self.users(tenant)?;
        all.retain(|u| statuses.contains(&u.status));
        Ok(all)
    }

    /// Everyone who must re-register the app (A3), whatever run found them.
    pub fn reregister(&self, tenant: &str) -> Result<Vec<ReregisterRow>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT upn, entra_id, mfa_username, devices, codes_imported
                 FROM reregister WHERE tenant = ?1 ORDER BY upn",
            )?;
            let rows = stmt.query_map([tenant], |r| {
                let devices: String = r.get(3)?;
                Ok(ReregisterRow {
                    upn: r.get(0)?,
                    entra_id: r.get(1)?,
                    mfa_username: r.get(2)?,
                    devices: serde_json::from_str(&devices).unwrap_or_default(),
                    codes_imported: r.get(4)?,
                })
            })?;
            rows.collect()
        })
    }

    /// Journal entries with no recorded outcome: their effect is unknown until the
    /// target is read back (C5). Oldest first.
    pub fn open_intents(&self, tenant: &str) -> Result<Vec<JournalEntry>, StoreError> {
        let filter = JournalFilter {
            open_only: true,
            ..Default::default()
        };
        let mut rows = self.journal_page(tenant, &filter, None, usize::MAX)?;
        rows.reverse();
        Ok(rows)
    }

    /// The whole journal of a tenant, oldest first (reports, tests).
    pub fn journal_all(&self, tenant: &str) -> Result<Vec<JournalEntry>, StoreError> {
        let mut rows = self.journal_page(tenant, &JournalFilter::default(), None, usize::MAX)?;
        rows.reverse();
        Ok(rows)
    }

    /// One page of the journal, newest first: entries older than `before` (keyset
    /// paging, so hundreds of thousands of rows cost one index walk per page).
    pub fn journal_page(
        &self,
        tenant: &str,
        filter: &JournalFilter,
        before: Option<JournalId>,
        limit: usize,
    ) -> Result<Vec<JournalEntry>, StoreError> {
        let (clause, mut args) = journal_where(tenant, filter);
        let mut sql = format!(
            "SELECT id, run_id, tenant, target_kind, target_id, target_name, op, intent_at, outcome,
                    outcome_at, http_status, error, client_request_id
             FROM journal WHERE {clause}"
        );
        if let Some(b) = before {
            sql.push_str(&format!(" AND id < ?{}", args.len() + 1));
            args.push(Value::Integer(b.0));
        }
        sql.push_str(&format!(" ORDER BY id DESC LIMIT ?{}", args.len() + 1));
        args.push(Value::Integer(limit.min(i64::MAX as usize) as i64));
        self.read(|c| {
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map(params_from_iter(args), journal_row)?;
            rows.collect()
        })
    }

    /// How many journal entries match.
    pub fn journal_count(&self, tenant: &str, filter: &JournalFilter) -> Result<u64, StoreError> {
        let (clause, args) = journal_where(tenant, filter);
        let sql = format!("SELECT count(*) FROM journal WHERE {clause}");
        self.read(|c| c.query_row(&sql, params_from_iter(args), |r| r.get::<_, i64>(0)))
            .map(|n| n.max(0) as u64)
    }

    /// Audit entries, newest first, at most `limit`; `before` pages by row id.
    pub fn audit_page(
        &self,
        tenant: &str,
        filter: &AuditFilter,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<(i64, AuditEntry)>, StoreError> {
        let (clause, mut args) = audit_where(tenant, filter);
        let mut sql = format!(
            "SELECT id, at, tenant, actor, action, target_kind, target_id, target_name, before,
                    after, detail, forced
             FROM audit WHERE {clause}"
        );
        if let Some(b) = before {
            sql.push_str(&format!(" AND id < ?{}", args.len() + 1));
            args.push(Value::Integer(b));
        }
        sql.push_str(&format!(" ORDER BY id DESC LIMIT ?{}", args.len() + 1));
        args.push(Value::Integer(limit.min(i64::MAX as usize) as i64));
        self.read(|c| {
            let mut stmt = c.prepare(&sql)?;
            let rows =
                stmt.query_map(params_from_iter(args), |r| Ok((r.get(0)?, audit_row(r)?)))?;
            rows.collect()
        })
    }

    /// The newest `limit` audit entries of a tenant, newest first.
    pub fn audit_log(&self, tenant: &str, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        Ok(self
            .audit_page(tenant, &AuditFilter::default(), None, limit)?
            .into_iter()
            .map(|(_, e)| e)
            .collect())
    }

    pub fn audit_count(&self, tenant: &str, filter: &AuditFilter) -> Result<u64, StoreError> {
        let (clause, args) = audit_where(tenant, filter);
        let sql = format!("SELECT count(*) FROM audit WHERE {clause}");
        self.read(|c| c.query_row(&sql, params_from_iter(args), |r| r.get::<_, i64>(0)))
            .map(|n| n.max(0) as u64)
    }

    /// The newest audit entry about one target (what this tool last wrote there: the
    /// drift check compares it with the live value).
    pub fn last_change(
        &self,
        tenant: &str,
        kind: TargetKind,
        target_id: &str,
    ) -> Result<Option<AuditEntry>, StoreError> {
        self.read(|c| {
            c.query_row(
                "SELECT id, at, tenant, actor, action, target_kind, target_id, target_name, before,
                        after, detail, forced
                 FROM audit WHERE tenant = ?1 AND target_kind = ?2 AND target_id = ?3
                 ORDER BY id DESC LIMIT 1",
                params![tenant, kind.as_str(), target_id],
                audit_row,
            )
            .optional()
        })
    }

    pub fn decisions(&self, tenant: &str) -> Result<Vec<ItemDecision>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT item_id, kind, name, decision, status, note, actor, updated_at
                 FROM inventory_decisions WHERE tenant = ?1 ORDER BY item_id",
            )?;
            let rows = stmt.query_map([tenant], |r| {
                let status: String = r.get(4)?;
                Ok(ItemDecision {
                    item_id: r.get(0)?,
                    kind: r.get(1)?,
                    name: r.get(2)?,
                    decision: r.get(3)?,
                    status: ItemStatus::parse(&status).unwrap_or(ItemStatus::Pending),
                    note: r.get(5)?,
                    actor: r.get(6)?,
                    updated_at: parse_time(&r.get::<_, String>(7)?),
                })
            })?;
            rows.collect()
        })
    }

    pub fn ticks(&self, tenant: &str) -> Result<Vec<StepTick>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT step_id, done, note, actor, at, forced FROM checklist_ticks
                 WHERE tenant = ?1 ORDER BY step_id",
            )?;
            let rows = stmt.query_map([tenant], |r| {
                Ok(StepTick {
                    step_id: r.get(0)?,
                    done: r.get(1)?,
                    note: r.get(2)?,
                    actor: r.get(3)?,
                    at: parse_time(&r.get::<_, String>(4)?),
                    forced: r.get(5)?,
                })
            })?;
            rows.collect()
        })
    }

    /// The checklist's end state and start, if the checklist was begun.
    pub fn checklist(&self, tenant: &str) -> Result<Option<ChecklistRecord>, StoreError> {
        self.read(|c| {
            c.query_row(
                "SELECT end_state, started_at FROM checklist WHERE tenant = ?1",
                [tenant],
                |r| {
                    let end: Option<i64> = r.get(0)?;
                    Ok(ChecklistRecord {
                        end_state: end.and_then(|e| u8::try_from(e).ok()),
                        started_at: parse_time_opt(r.get(1)?),
                    })
                },
            )
            .optional()
        })
    }

    /// Data files seen, oldest first.
    pub fn datafiles(&self, tenant: &str) -> Result<Vec<DataFileRecord>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT sha256, size, modified, first_seen FROM datafile_seen
                 WHERE tenant = ?1 ORDER BY first_seen",
            )?;
            let rows = stmt.query_map([tenant], |r| {
                Ok(DataFileRecord {
                    sha256: r.get(0)?,
                    size: r.get::<_, i64>(1)?.max(0) as u64,
                    modified: parse_time_opt(r.get(2)?),
                    first_seen: parse_time(&r.get::<_, String>(3)?),
                })
            })?;
            rows.collect()
        })
    }
}

/// `LIKE` with `%` and `_` in the needle taken literally.
fn like_pattern(needle: &str) -> String {
    let mut p = String::from("%");
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

fn journal_where(tenant: &str, f: &JournalFilter) -> (String, Vec<Value>) {
    let mut clause = String::from("tenant = ?1");
    let mut args = vec![Value::Text(tenant.to_string())];
    if let Some(k) = f.kind {
        args.push(Value::Text(k.as_str().into()));
        clause.push_str(&format!(" AND target_kind = ?{}", args.len()));
    }
    if let Some(t) = &f.target {
        args.push(Value::Text(t.clone()));
        args.push(Value::Text(like_pattern(t)));
        clause.push_str(&format!(
            " AND (target_id = ?{} OR target_name LIKE ?{} ESCAPE '\\')",
            args.len() - 1,
            args.len()
        ));
    }
    if let Some(s) = f.since {
        args.push(Value::Text(time_text(s)));
        clause.push_str(&format!(" AND intent_at >= ?{}", args.len()));
    }
    if let Some(u) = f.until {
        args.push(Value::Text(time_text(u)));
        clause.push_str(&format!(" AND intent_at < ?{}", args.len()));
    }
    if f.open_only {
        clause.push_str(" AND outcome IS NULL");
    }
    (clause, args)
}

fn audit_where(tenant: &str, f: &AuditFilter) -> (String, Vec<Value>) {
    let mut clause = String::from("tenant = ?1");
    let mut args = vec![Value::Text(tenant.to_string())];
    if let Some(k) = f.kind {
        args.push(Value::Text(k.as_str().into()));
        clause.push_str(&format!(" AND target_kind = ?{}", args.len()));
    }
    if let Some(t) = &f.target {
        args.push(Value::Text(t.clone()));
        args.push(Value::Text(like_pattern(t)));
        clause.push_str(&format!(
            " AND (target_id = ?{} OR target_name LIKE ?{} ESCAPE '\\')",
            args.len() - 1,
            args.len()
        ));
    }
    if let Some(s) = f.since {
        args.push(Value::Text(time_text(s)));
        clause.push_str(&format!(" AND at >= ?{}", args.len()));
    }
    if let Some(u) = f.until {
        args.push(Value::Text(time_text(u)));
        clause.push_str(&format!(" AND at < ?{}", args.len()));
    }
    (clause, args)
}

fn target_of(kind: &str, id: String, name: String) -> Target {
    // The schema's CHECK admits only known kinds; a row that still fails to parse reads
    // as a user's methods, the only kind older stores had.
    Target::new(
        TargetKind::parse(kind).unwrap_or(TargetKind::UserMethod),
        id,
        name,
    )
}

fn journal_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<JournalEntry> {
    let kind: String = r.get(3)?;
    let outcome: Option<String> = r.get(8)?;
    Ok(JournalEntry {
        id: JournalId(r.get(0)?),
        run: r.get::<_, Option<i64>>(1)?.map(RunId),
        tenant: r.get(2)?,
        target: target_of(&kind, r.get(4)?, r.get(5)?),
        op: r.get(6)?,
        intent_at: parse_time(&r.get::<_, String>(7)?),
        outcome: outcome.as_deref().and_then(OutcomeKind::parse),
        outcome_at: parse_time_opt(r.get(9)?),
        http_status: r.get::<_, Option<i64>>(10)?.map(|s| s as u16),
        error: r.get(11)?,
        client_request_id: r.get(12)?,
    })
}

fn audit_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEntry> {
    let kind: String = r.get(5)?;
    Ok(AuditEntry {
        at: parse_time(&r.get::<_, String>(1)?),
        tenant: r.get(2)?,
        actor: r.get(3)?,
        action: r.get(4)?,
        target: target_of(&kind, r.get(6)?, r.get(7)?),
        before: r.get(8)?,
        after: r.get(9)?,
        detail: r.get(10)?,
        forced: r.get(11)?,
    })
}

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserState> {
    let fp: Option<Vec<u8>> = r.get(3)?;
    let status: String = r.get(5)?;
    Ok(UserState {
        entra_id: r.get(0)?,
        upn: r.get(1)?,
        mfa_username: r.get(2)?,
        fingerprint: fp.and_then(|v| <[u8; 32]>::try_from(v.as_slice()).ok()),
        migrated_at: parse_time_opt(r.get(4)?),
        status: UserStatusKind::parse(&status).unwrap_or(UserStatusKind::Failed),
        detail: r.get(6)?,
        updated_at: parse_time(&r.get::<_, String>(7)?),
        usable: r.get(8)?,
    })
}

/// A store could not be opened for writing: held by another process, or broken.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Locked(#[from] super::lock::LockError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn random_key() -> SecretBox<[u8; 32]> {
    let mut key = [0u8; 32];
    rand::fill(&mut key);
    SecretBox::new(Box::new(key))
}

/// SQLite's own files beside the database: private regular files, never links.
fn check_side_files(db: &Path) -> Result<(), StoreError> {
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut side = db.to_path_buf().into_os_string();
        side.push(suffix);
        crate::fsx::check_private_file(Path::new(&side))?;
    }
    Ok(())
}

/// The key, if the state dir has one: a private regular file (not a link) of exactly 32
/// bytes, read through the bounded reader.
fn read_key(path: &Path) -> Result<Option<SecretBox<[u8; 32]>>, StoreError> {
    if !crate::fsx::check_private_file(path)? {
        return Ok(None);
    }
    let mut buf = crate::fsx::read_bounded(path, crate::fsx::ReadKind::StateKey)?;
    let key: Result<[u8; 32], _> = buf.as_slice().try_into();
    buf.fill(0);
    let key = key.map_err(|_| StoreError::BadKey(path.to_path_buf()))?;
    Ok(Some(SecretBox::new(Box::new(key))))
}

/// The key, or a new one written whole (0600, through a temporary file).
fn load_or_create_key(path: &Path) -> Result<SecretBox<[u8; 32]>, StoreError> {
    if let Some(key) = read_key(path)? {
        return Ok(key);
    }
    let key = random_key();
    crate::fsx::write_atomic(path, key.expose_secret())?;
    Ok(key)
}

#[cfg(test)]
mod tests;
