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
    // v2: the journal and the audit log hold any target (a user's methods, the rollout
    // policy, a group in it, a domain's federation setting, an inventory item, a
    // checklist step); statuses and outcomes are checked lists; the audit log records
    // whether an interlock was forced; inventory decisions, checklist ticks and the data
    // file as first seen get tables. v1 rows are carried over: a v1 journal or audit row
    // is about one user's methods, and a status v1 wrote outside today's list is kept as
    // `failed` with the old text in `detail`.
    r#"
    CREATE TABLE journal_v2 (
        id                INTEGER PRIMARY KEY,
        run_id            INTEGER REFERENCES runs(id),
        tenant            TEXT NOT NULL,
        target_kind       TEXT NOT NULL CHECK (target_kind IN ('user_method', 'rollout_policy',
                              'rollout_group', 'domain_federation', 'inventory_item', 'checklist_step')),
        target_id         TEXT NOT NULL,
        target_name       TEXT NOT NULL,
        op                TEXT NOT NULL,
        intent_at         TEXT NOT NULL,
        outcome           TEXT CHECK (outcome IS NULL OR outcome IN ('ok', 'failed',
                              'reconciled_done', 'reconciled_not_done')),
        outcome_at        TEXT,
        http_status       INTEGER,
        error             TEXT,
        client_request_id TEXT
    );
    INSERT INTO journal_v2 (id, run_id, tenant, target_kind, target_id, target_name, op,
                            intent_at, outcome, outcome_at, http_status, error, client_request_id)
        SELECT id, run_id, tenant, 'user_method', entra_id, upn, op, intent_at,
               CASE WHEN outcome IN ('ok', 'failed', 'reconciled_done', 'reconciled_not_done')
                    THEN outcome WHEN outcome IS NULL THEN NULL ELSE 'failed' END,
               outcome_at, http_status, error, client_request_id
        FROM journal;
    DROP TABLE journal;
    ALTER TABLE journal_v2 RENAME TO journal;
    CREATE INDEX journal_open ON journal(tenant) WHERE outcome IS NULL;
    CREATE INDEX journal_target ON journal(tenant, target_kind, target_id);

    CREATE TABLE audit_v2 (
        id          INTEGER PRIMARY KEY,
        at          TEXT NOT NULL,
        tenant      TEXT NOT NULL,
        actor       TEXT NOT NULL,
        action      TEXT NOT NULL,
        target_kind TEXT NOT NULL CHECK (target_kind IN ('user_method', 'rollout_policy',
                        'rollout_group', 'domain_federation', 'inventory_item', 'checklist_step')),
        target_id   TEXT NOT NULL,
        target_name TEXT NOT NULL,
        before      TEXT,
        after       TEXT,
        detail      TEXT,
        forced      INTEGER NOT NULL DEFAULT 0 CHECK (forced IN (0, 1))
    );
    -- v1 named the user by UPN only; the journal knows the object id behind it.
    INSERT INTO audit_v2 (id, at, tenant, actor, action, target_kind, target_id, target_name,
                          before, after, detail, forced)
        SELECT a.id, a.at, a.tenant, a.actor, a.action, 'user_method',
               COALESCE((SELECT j.target_id FROM journal j
                         WHERE j.tenant = a.tenant AND j.target_name = a.target LIMIT 1), a.target),
               a.target, a.before, a.after, a.detail, 0
        FROM audit a;
    DROP TABLE audit;
    ALTER TABLE audit_v2 RENAME TO audit;
    CREATE INDEX audit_target ON audit(tenant, target_kind, target_id);
    CREATE INDEX audit_at ON audit(tenant, at);

    CREATE TABLE users_v2 (
        tenant       TEXT NOT NULL,
        entra_id     TEXT NOT NULL,
        upn          TEXT NOT NULL,
        mfa_username TEXT,
        fingerprint  BLOB CHECK (fingerprint IS NULL OR length(fingerprint) = 32),
        migrated_at  TEXT,
        status       TEXT NOT NULL CHECK (status IN ('verified', 'mismatch', 'failed',
                         'interrupted', 'skipped')),
        detail       TEXT,
        updated_at   TEXT NOT NULL,
        usable       INTEGER CHECK (usable IS NULL OR usable IN (0, 1)),
        PRIMARY KEY (tenant, entra_id)
    ) WITHOUT ROWID;
    INSERT INTO users_v2 (tenant, entra_id, upn, mfa_username, fingerprint, migrated_at,
                          status, detail, updated_at)
        SELECT tenant, entra_id, upn, mfa_username,
               CASE WHEN length(fingerprint) = 32 THEN fingerprint END, migrated_at,
               CASE WHEN status IN ('verified', 'mismatch', 'failed', 'interrupted', 'skipped')
                    THEN status ELSE 'failed' END,
               CASE WHEN status IN ('verified', 'mismatch', 'failed', 'interrupted', 'skipped')
                    THEN detail ELSE 'status ' || quote(status) || ' from an older release'
                         || COALESCE(': ' || detail, '') END,
               updated_at
        FROM users;
    DROP TABLE users;
    ALTER TABLE users_v2 RENAME TO users;
    CREATE INDEX users_status ON users(tenant, status);

    CREATE TABLE inventory_decisions (
        tenant     TEXT NOT NULL,
        item_id    TEXT NOT NULL,
        kind       TEXT NOT NULL,
        name       TEXT NOT NULL,
        decision   TEXT,
        status     TEXT NOT NULL CHECK (status IN ('pending', 'in_progress', 'done', 'wont_do')),
        note       TEXT,
        actor      TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (tenant, item_id)
    ) WITHOUT ROWID;
    CREATE TABLE checklist_ticks (
        tenant  TEXT NOT NULL,
        step_id TEXT NOT NULL,
        done    INTEGER NOT NULL CHECK (done IN (0, 1)),
        note    TEXT,
        actor   TEXT NOT NULL,
        at      TEXT NOT NULL,
        forced  INTEGER NOT NULL DEFAULT 0 CHECK (forced IN (0, 1)),
        PRIMARY KEY (tenant, step_id)
    ) WITHOUT ROWID;
    CREATE TABLE checklist (
        tenant     TEXT PRIMARY KEY,
        end_state  INTEGER CHECK (end_state IS NULL OR end_state IN (1, 2, 3)),
        started_at TEXT,
        updated_at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE reregister (
        tenant         TEXT NOT NULL,
        entra_id       TEXT NOT NULL,
        upn            TEXT NOT NULL,
        mfa_username   TEXT NOT NULL,
        devices        TEXT NOT NULL,      -- JSON array of app device names
        codes_imported INTEGER NOT NULL CHECK (codes_imported IN (0, 1)),
        found_at       TEXT NOT NULL,
        PRIMARY KEY (tenant, entra_id)
    ) WITHOUT ROWID;
    CREATE TABLE datafile_seen (
        tenant     TEXT NOT NULL,
        sha256     TEXT NOT NULL,
        size       INTEGER NOT NULL,
        modified   TEXT,
        first_seen TEXT NOT NULL,
        PRIMARY KEY (tenant, sha256)
    ) WITHOUT ROWID;
    "#,
];

/// The version this build writes.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

/// Bring the schema to [`VERSION`].
pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    migrate_to(conn, VERSION)
}

/// The schema version of an open store.
pub fn version(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Bring the schema to `target` (tests build older stores through their own schema).
pub fn migrate_to(conn: &mut Connection, target: i64) -> Result<(), StoreError> {
    let current = version(conn)?;
    if current > VERSION {
        return Err(StoreError::TooNew {
            found: current,
            supported: VERSION,
        });
    }
    let upto = target.clamp(0, VERSION) as usize;
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .take(upto)
        .skip(current as usize)
    {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        // PRAGMA takes no parameters; the value is our own integer.
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
        tx.commit()?;
    }
    Ok(())
}
