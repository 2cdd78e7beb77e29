//! The engine against the simulated tenant: a whole group migrated and verified, and a
//! second run that writes nothing and costs no Graph call per user.

mod engine_support;

use engine_support::{Fixture, GROUP};
use mfa_cutover::engine::{Answer, Command, Event, MigrationCommand, MigrationEvent, UserStatus};
use mfa_cutover::migrate::MigrationSettings;
use mfa_cutover::sim::SimConfig;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn migrates_a_group_then_finds_nothing_to_do() {
    let fx = Fixture::new(SimConfig {
        users: 300,
        seed: 7,
        ..Default::default()
    })
    .await;
    let mut d = fx.engine(MigrationSettings::default()).await;
    let rec = d.ready().await;
    assert_eq!(rec.open, 0);
    let members = d.load_group(GROUP).await;
    assert!(members > 0);
    let first = d.run(true, false).await;
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    let failed: Vec<_> = first
        .statuses
        .iter()
        .filter(|(_, s)| matches!(s, UserStatus::Failed { .. } | UserStatus::Mismatch { .. }))
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
    let verified = first.count(|s| matches!(s, UserStatus::Verified));
    assert!(verified > 0);
    eprintln!("first run: {:?}", first.progress);
    let writes_before = fx.sim.stats().writes;
    assert!(writes_before > 0);

    // The "must re-register the app" list of the run (A3), as a private CSV.
    let csv = fx.dir.path().join("reregister.csv");
    let rows = match d
        .call(
            Command::Migration(MigrationCommand::ExportReregister { path: csv.clone() }),
            30,
        )
        .await
    {
        Ok(Answer::Exported { users, .. }) => users,
        other => panic!("{other:?}"),
    };
    assert!(rows > 0);
    let text = std::fs::read_to_string(&csv).expect("the CSV");
    assert!(text.starts_with("upn,entra_id,mfa_username,devices,codes_imported\n"));
    assert_eq!(text.lines().count(), rows + 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&csv)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }

    let requests_before = fx.sim.stats().requests;
    let second = d.run(true, false).await;
    assert_eq!(second.progress.writes, 0);
    assert_eq!(
        fx.sim.stats().writes,
        writes_before,
        "a second run writes nothing"
    );
    assert_eq!(
        fx.sim.stats().requests,
        requests_before,
        "unchanged users cost no Graph call"
    );
    assert_eq!(second.progress.unchanged, verified);
    d.shutdown().await;
}

/// A run asked for before any group is loaded uses the configured group.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_without_a_loaded_group_loads_the_configured_one() {
    let fx = Fixture::new(SimConfig {
        users: 60,
        seed: 3,
        ..Default::default()
    })
    .await;
    let mut o = fx.options(MigrationSettings::default()).await;
    o.config.group = Some(GROUP.to_string());
    let mut d = fx.start(o).await;
    d.ready().await;
    let report = d.run(false, false).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(report.progress.targeted > 40, "{:?}", report.progress);
    d.shutdown().await;
}

/// Cancel stops the queued users; writes in flight finish and are journaled, so nothing
/// is left open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_queued_users_and_leaves_no_write_open() {
    let fx = Fixture::new(SimConfig {
        users: 200,
        seed: 12,
        ..Default::default()
    })
    .await;
    // Slow writes (10/s), so the run is still going when it is cancelled.
    let mut o = fx.options(MigrationSettings::default()).await;
    if let Some(l) = o.limits.as_mut() {
        l.writes_per_window = 1500;
    }
    let mut d = fx.start(o).await;
    d.ready().await;
    d.load_group(GROUP).await;
    d.send(Command::Migration(MigrationCommand::Migrate {
        scope: mfa_cutover::engine::Scope::Group,
        include_unchanged: false,
    }))
    .await;
    let mut writing = 0;
    while writing < 5 {
        if let Event::Migration(MigrationEvent::UserStatus {
            status: UserStatus::Writing { .. },
            ..
        }) = d.next(60).await
        {
            writing += 1;
        }
    }
    d.send(Command::Migration(MigrationCommand::Cancel)).await;
    let report = d.collect(120).await;
    assert!(report.cancelled);
    assert!(
        report.progress.done < report.progress.targeted,
        "{:?}",
        report.progress
    );
    assert_eq!(report.progress.failed, 0, "{:?}", report.errors);
    d.shutdown().await;
    let store = mfa_cutover::engine::Store::open_read_only(
        &fx.state_dir,
        std::sync::Arc::new(mfa_cutover::engine::SystemClock),
    )
    .expect("the store");
    let tenant = fx.sim.tenant_id().to_string();
    assert!(store.open_intents(&tenant).expect("journal").is_empty());
    let journal = store.journal_all(&tenant).expect("journal");
    assert!(!journal.is_empty());
    assert_eq!(
        journal.len() as u64,
        fx.sim.stats().writes,
        "one entry per write"
    );
    store.close();
}
