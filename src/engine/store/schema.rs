//! The state store's schema, versioned with `PRAGMA user_version`. Each migration moves
//! the schema one version up inside a transaction; a store newer than this build is
//! refused rather than guessed at.

use rusqlite::Connection;

use super::StoreError;

/// Migrations in order: index + 1 is the version each one produces.
const MIGRATIONS: &[&str] = &[
    // v1: change tracking (C1), the write journal (C5), the audit log (A1), runs.
    r#"
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE runs (
        id          INTEGER PRIMARY KEY,
        tenant      TEXT NOT NULL,
        kind        TEXT NOT NULL,          -- 'plan' | 'migrate' | 'sync'
        actor       TEXT NOT NULL,
        scope       TEXT NOT NULL,          -- JSON
        started_at  TEXT NOT NULL,
        finished_at TEXT,
        summary     TEXT                    -- JSON
    );
    CREATE TABLE users (
        tenant       TEXT NOT NULL,
        entra_id     TEXT NOT NULL,
        upn          TEXT NOT NULL,
        mfa_username TEXT,
        fingerprint  BLOB,                  -- keyed hash of the MFA Server data + settings
        migrated_at  TEXT,                  -- last verified migration
        status       TEXT NOT NULL,         -- 'verified' | 'mismatch' | 'failed' | 'skipped' | ...
        detail       TEXT,
        updated_at   TEXT NOT NULL,
        PRIMARY KEY (tenant, entra_id)
    ) WITHOUT ROWID;
    CREATE TABLE journal (
        id                INTEGER PRIMARY KEY,
        run_id            INTEGER REFERENCES runs(id),
        tenant            TEXT NOT NULL,
        entra_id          TEXT NOT NULL,
        upn               TEXT NOT NULL,
        op                TEXT NOT NULL,    -- the planned operation, JSON, never a secret
        intent_at         TEXT NOT NULL,
        outcome           TEXT,             -- NULL until known: 'ok' | 'failed' | 'reconciled_done' | 'reconciled_not_done'
        outcome_at        TEXT,
        http_status       INTEGER,
        error             TEXT,
        client_request_id TEXT
    );
    CREATE INDEX journal_open ON journal(tenant) WHERE outcome IS NULL;
    CREATE INDEX journal_user ON journal(tenant, entra_id);
    CREATE TABLE audit (
        id      INTEGER PRIMARY KEY,
        at      TEXT NOT NULL,
        tenant  TEXT NOT NULL,
        actor   TEXT NOT NULL,
        action  TEXT NOT NULL,
        target  TEXT NOT NULL,
        before  TEXT,
        after   TEXT,
        detail  TEXT
    );
    "#,
];

/// The version this build writes.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

/// Bring the schema to [`VERSION`].
pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > VERSION {
        return Err(StoreError::TooNew {
            found: current,
            supported: VERSION,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        // PRAGMA takes no parameters; the value is our own integer.
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
        tx.commit()?;
    }
    Ok(())
}
