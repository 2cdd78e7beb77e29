use super::*;
use crate::clock::{ManualClock, SystemClock};

fn clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

fn open(dir: &Path) -> Result<Store, OpenError> {
    Store::open_locked(dir, "test", clock())
}

fn intent(user: &str) -> Intent {
    Intent {
        run: None,
        tenant: "t".into(),
        target: Target::user(user, format!("{user}@contoso.com")),
        op: r#"{"op":"add_phone"}"#.into(),
    }
}

fn update(status: UserStatusKind, tracking: Tracking) -> UserUpdate {
    UserUpdate {
        tenant: "t".into(),
        entra_id: "u1".into(),
        upn: "u1@contoso.com".into(),
        mfa_username: None,
        status,
        detail: None,
        tracking,
        usable: None,
    }
}

#[tokio::test]
async fn intents_stay_open_until_an_outcome() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = open(dir.path())?;
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
    let open_now = store.open_intents("t")?;
    assert_eq!(open_now.iter().map(|e| e.id).collect::<Vec<_>>(), [b]);
    store.close();
    drop(store);
    // A new process sees the same open intent.
    let again = open(dir.path())?;
    assert_eq!(again.open_intents("t")?.len(), 1);
    again.close();
    Ok(())
}

#[tokio::test]
async fn fingerprints_and_files_are_private() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = open(dir.path())?;
    let mut u = update(UserStatusKind::Verified, Tracking::Migrated([7; 32]));
    u.mfa_username = Some("CONTOSO\\u1".into());
    store.update_user(u)?;
    store.flush().await?;
    assert_eq!(store.fingerprints("t")?.get("u1"), Some(&[7; 32]));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mut checked = 0;
        // SQLite creates the WAL and shared-memory files with the database's mode.
        for f in [
            DB_FILE,
            KEY_FILE,
            "state.sqlite-wal",
            "state.sqlite-shm",
            super::super::lock::LOCK_FILE,
        ] {
            if !dir.path().join(f).exists() {
                continue;
            }
            let mode = std::fs::metadata(dir.path().join(f))?.permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{f}");
            checked += 1;
        }
        assert_eq!(checked, 5, "the WAL files exist while the store is open");
    }
    let key_before = store.hash_key().to_vec();
    store.close();
    drop(store);
    // The key persists, so fingerprints stay comparable across runs.
    let again = open(dir.path())?;
    assert_eq!(again.hash_key(), key_before.as_slice());
    again.close();
    Ok(())
}

#[tokio::test]
async fn a_refused_write_does_not_take_its_group_down() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = open(dir.path())?;
    // A run id that does not exist violates the journal's foreign key.
    let mut bad = intent("bad");
    bad.run = Some(RunId(999));
    let (bad, good) = tokio::join!(store.intent(bad), store.intent(intent("good")));
    assert!(bad.is_err());
    let good = good?;
    let open_now = store.open_intents("t")?;
    assert_eq!(open_now.iter().map(|e| e.id).collect::<Vec<_>>(), [good]);
    store.close();
    Ok(())
}

#[tokio::test]
async fn a_failed_attempt_forgets_the_fingerprint() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = open(dir.path())?;
    store.update_user(update(
        UserStatusKind::Verified,
        Tracking::Migrated([1; 32]),
    ))?;
    store.update_user(update(UserStatusKind::Skipped, Tracking::Keep))?;
    store.flush().await?;
    assert_eq!(store.fingerprints("t")?.get("u1"), Some(&[1; 32]));
    store.update_user(update(UserStatusKind::Failed, Tracking::Forget))?;
    store.flush().await?;
    assert!(store.fingerprints("t")?.is_empty());
    let u = store.user("t", "u1")?.ok_or("user row")?;
    assert_eq!(u.status, UserStatusKind::Failed);
    assert!(u.migrated_at.is_some(), "the last migration time stays");
    store.close();
    Ok(())
}

#[tokio::test]
async fn times_come_from_the_injected_clock() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let at = DateTime::parse_from_rfc3339("2026-03-01T02:00:00Z")?.with_timezone(&Utc);
    let manual = Arc::new(ManualClock::new(at));
    let store = Store::open_locked(dir.path(), "test", manual.clone())?;
    let id = store.intent(intent("a")).await?;
    manual.advance(chrono::Duration::seconds(5));
    store.outcome(
        id,
        Outcome {
            kind: OutcomeKind::Ok,
            http_status: Some(201),
            error: None,
            client_request_id: None,
        },
    )?;
    store.update_user(update(
        UserStatusKind::Verified,
        Tracking::Migrated([2; 32]),
    ))?;
    store.flush().await?;
    let e = &store.journal_all("t")?[0];
    assert_eq!(e.intent_at, at);
    assert_eq!(e.outcome_at, Some(at + chrono::Duration::seconds(5)));
    let u = store.user("t", "u1")?.ok_or("user row")?;
    assert_eq!(u.migrated_at, Some(at + chrono::Duration::seconds(5)));
    store.close();
    Ok(())
}

#[test]
fn refuses_a_newer_schema() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    {
        drop(crate::fsx::create_new(&dir.path().join(DB_FILE))?);
        let c = Connection::open(dir.path().join(DB_FILE))?;
        c.execute_batch("PRAGMA user_version = 99")?;
    }
    let err = open(dir.path())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("newer"), "{err}");
    Ok(())
}

#[test]
fn the_schema_refuses_what_the_code_cannot_read() -> Result<(), Box<dyn std::error::Error>> {
    let mut c = Connection::open_in_memory()?;
    schema::migrate(&mut c)?;
    for s in UserStatusKind::ALL {
        c.execute(
            "INSERT INTO users (tenant, entra_id, upn, status, updated_at) VALUES ('t', ?1, 'u', ?1, 'x')",
            [s.as_str()],
        )?;
    }
    assert!(
        c.execute(
            "INSERT INTO users (tenant, entra_id, upn, status, updated_at) VALUES ('t', 'z', 'u', 'verifed', 'x')",
            [],
        )
        .is_err()
    );
    for k in TargetKind::ALL {
        c.execute(
            "INSERT INTO audit (at, tenant, actor, action, target_kind, target_id, target_name)
             VALUES ('x', 't', 'a', 'b', ?1, 'i', 'n')",
            [k.as_str()],
        )?;
    }
    assert!(
        c.execute(
            "INSERT INTO audit (at, tenant, actor, action, target_kind, target_id, target_name)
             VALUES ('x', 't', 'a', 'b', 'usr', 'i', 'n')",
            [],
        )
        .is_err()
    );
    Ok(())
}

/// A store as the first release wrote it: its own schema (migration 1), and rows
/// inserted with that release's statements.
fn write_v1_store(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    // The first release created its files 0600, as this one does.
    drop(crate::fsx::create_new(&dir.join(DB_FILE))?);
    crate::fsx::write_atomic(&dir.join(KEY_FILE), &[9u8; 32])?;
    let mut c = Connection::open(dir.join(DB_FILE))?;
    schema::migrate_to(&mut c, 1)?;
    assert_eq!(schema::version(&c)?, 1);
    c.execute(
        "INSERT INTO runs (tenant, kind, actor, scope, started_at) VALUES ('t', 'migrate', 'admin@contoso.com', '{}', '2026-01-05T10:00:00.000Z')",
        [],
    )?;
    for (i, user) in ["u1", "u2"].iter().enumerate() {
        c.execute(
            "INSERT INTO journal (run_id, tenant, entra_id, upn, op, intent_at, outcome, outcome_at, http_status)
             VALUES (1, 't', ?1, ?2, '{\"op\":\"add_phone\"}', '2026-01-05T10:00:01.000Z', ?3, ?4, ?5)",
            params![
                user,
                format!("{user}@contoso.com"),
                if i == 0 { Some("ok") } else { None },
                if i == 0 { Some("2026-01-05T10:00:02.000Z") } else { None },
                if i == 0 { Some(201) } else { None }
            ],
        )?;
    }
    c.execute(
        "INSERT INTO audit (at, tenant, actor, action, target, before, after, detail)
         VALUES ('2026-01-05T10:00:02.000Z', 't', 'admin@contoso.com', 'phone.add', 'u1@contoso.com', NULL, '+1 4255550100', 'rules [P1]; journal 1')",
        [],
    )?;
    c.execute(
        "INSERT INTO users (tenant, entra_id, upn, mfa_username, fingerprint, migrated_at, status, detail, updated_at)
         VALUES ('t', 'u1', 'u1@contoso.com', 'CONTOSO\\u1', ?1, '2026-01-05T10:00:03.000Z', 'verified', NULL, '2026-01-05T10:00:03.000Z')",
        [&[5u8; 32][..]],
    )?;
    c.execute(
        "INSERT INTO users (tenant, entra_id, upn, mfa_username, status, detail, updated_at)
         VALUES ('t', 'u3', 'u3@contoso.com', NULL, 'weird', 'old detail', '2026-01-05T10:00:03.000Z')",
        [],
    )?;
    Ok(())
}

#[tokio::test]
async fn a_v1_store_opens_with_its_history() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    write_v1_store(dir.path())?;
    let store = open(dir.path())?;
    {
        let c = Connection::open(dir.path().join(DB_FILE))?;
        assert_eq!(schema::version(&c)?, SCHEMA_VERSION);
    }
    // Fingerprints and the key survive, so unchanged users stay skipped (C1).
    assert_eq!(store.hash_key(), &[9u8; 32]);
    assert_eq!(store.fingerprints("t")?.get("u1"), Some(&[5; 32]));
    let u1 = store.user("t", "u1")?.ok_or("u1")?;
    assert_eq!(u1.status, UserStatusKind::Verified);
    assert_eq!(u1.mfa_username.as_deref(), Some("CONTOSO\\u1"));
    let u3 = store.user("t", "u3")?.ok_or("u3")?;
    assert_eq!(u3.status, UserStatusKind::Failed);
    assert!(
        u3.detail
            .as_deref()
            .is_some_and(|d| d.contains("'weird'") && d.contains("old detail")),
        "{:?}",
        u3.detail
    );
    // The journal keeps both writes, the open one still open for reconciliation.
    let journal = store.journal_all("t")?;
    assert_eq!(journal.len(), 2);
    assert_eq!(journal[0].target, Target::user("u1", "u1@contoso.com"));
    assert_eq!(journal[0].outcome, Some(OutcomeKind::Ok));
    assert_eq!(journal[0].http_status, Some(201));
    let open_now = store.open_intents("t")?;
    assert_eq!(open_now.len(), 1);
    assert_eq!(open_now[0].target.id, "u2");
    // The audit row now names the user by object id as well.
    let audit = store.audit_log("t", 10)?;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].target, Target::user("u1", "u1@contoso.com"));
    assert_eq!(audit[0].after.as_deref(), Some("+1 4255550100"));
    assert!(!audit[0].forced);
    // And it takes new rows of any kind.
    store.audit(AuditEntry {
        at: Utc::now(),
        tenant: "t".into(),
        actor: "admin@contoso.com".into(),
        action: "rollout.group.add".into(),
        target: Target::new(TargetKind::RolloutGroup, "g1", "MFA Rollout Wave 1"),
        before: None,
        after: Some("in policy".into()),
        detail: None,
        forced: true,
    })?;
    store.flush().await?;
    let filter = AuditFilter {
        kind: Some(TargetKind::RolloutGroup),
        ..Default::default()
    };
    assert_eq!(store.audit_count("t", &filter)?, 1);
    assert_eq!(
        store
            .last_change("t", TargetKind::RolloutGroup, "g1")?
            .map(|e| e.forced),
        Some(true)
    );
    store.close();
    Ok(())
}

#[tokio::test]
async fn read_only_opens_beside_a_writer_and_writes_nothing()
-> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    // Nothing there yet: an empty store, and nothing created.
    let empty = Store::open_read_only(dir.path(), clock())?;
    assert!(empty.fingerprints("t")?.is_empty());
    assert!(std::fs::read_dir(dir.path())?.next().is_none());
    assert!(matches!(
        empty.update_user(update(UserStatusKind::Failed, Tracking::Keep)),
        Err(StoreError::ReadOnly)
    ));
    let writer = open(dir.path())?;
    writer.update_user(update(
        UserStatusKind::Verified,
        Tracking::Migrated([3; 32]),
    ))?;
    writer.flush().await?;
    let reader = Store::open_read_only(dir.path(), clock())?;
    assert_eq!(reader.fingerprints("t")?.get("u1"), Some(&[3; 32]));
    assert_eq!(reader.hash_key(), writer.hash_key());
    assert!(reader.flush().await.is_ok());
    writer.close();
    Ok(())
}

#[tokio::test]
async fn journal_pages_newest_first_with_filters() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = open(dir.path())?;
    for i in 0..25 {
        store.intent(intent(&format!("user{i:02}"))).await?;
    }
    store
        .intent(Intent {
            run: None,
            tenant: "t".into(),
            target: Target::new(TargetKind::DomainFederation, "contoso.com", "contoso.com"),
            op: "{}".into(),
        })
        .await?;
    let all = JournalFilter::default();
    assert_eq!(store.journal_count("t", &all)?, 26);
    let first = store.journal_page("t", &all, None, 10)?;
    assert_eq!(first.len(), 10);
    assert_eq!(first[0].target.kind, TargetKind::DomainFederation);
    let next = store.journal_page("t", &all, first.last().map(|e| e.id), 10)?;
    assert!(next[0].id < first[9].id);
    let users = JournalFilter {
        kind: Some(TargetKind::UserMethod),
        target: Some("user1".into()),
        ..Default::default()
    };
    // user1 matches user10–user19 by name.
    assert_eq!(store.journal_count("t", &users)?, 10);
    let literal = JournalFilter {
        target: Some("user_".into()),
        ..Default::default()
    };
    assert_eq!(
        store.journal_count("t", &literal)?,
        0,
        "_ is not a wildcard"
    );
    store.close();
    Ok(())
}

#[tokio::test]
async fn reregister_rows_are_kept_until_cleared() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = open(dir.path())?;
    let mut row = ReregisterRow {
        upn: "u1@contoso.com".into(),
        entra_id: "u1".into(),
        mfa_username: "CONTOSO\\u1".into(),
        devices: vec!["iPhone".into()],
        codes_imported: false,
    };
    store.set_reregister("t", &row)?;
    store.flush().await?;
    assert_eq!(store.reregister("t")?, vec![row.clone()]);
    row.devices.clear();
    store.set_reregister("t", &row)?;
    store.flush().await?;
    assert!(store.reregister("t")?.is_empty());
    store.close();
    Ok(())
}

/// As ssh does with keys: a state file readable by others, or a link, is refused with
/// the command that fixes it, and nothing is changed.
#[cfg(unix)]
#[test]
fn refuses_exposed_or_linked_state_files() -> Result<(), Box<dyn std::error::Error>> {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir()?;
    drop(open(dir.path())?);
    let key = dir.path().join(KEY_FILE);
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644))?;
    let err = open(dir.path()).err().map(|e| e.to_string());
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
    let err = open(dir.path()).err().map(|e| e.to_string());
    assert!(err.unwrap_or_default().contains("chmod 600"));
    // A link where the database belongs.
    let other = tempfile::tempdir()?;
    std::fs::rename(&db, other.path().join(DB_FILE))?;
    std::os::unix::fs::symlink(other.path().join(DB_FILE), &db)?;
    let err = open(dir.path()).err().map(|e| e.to_string());
    assert!(err.unwrap_or_default().contains("symbolic link"));
    // A linked state dir: refused, its target's mode untouched.
    let target = tempfile::tempdir()?;
    std::fs::set_permissions(target.path(), std::fs::Permissions::from_mode(0o755))?;
    let link = dir.path().join("linked-state");
    std::os::unix::fs::symlink(target.path(), &link)?;
    assert!(open(&link).is_err());
    let mode = std::fs::metadata(target.path())?.permissions().mode() & 0o777;
    assert_eq!(mode, 0o755);
    Ok(())
}
