//! The engine against the simulated tenant: a whole group migrated and verified, and a
//! second run that writes nothing and costs no Graph call per user.

mod engine_support;

use engine_support::{Fixture, GROUP};
use mfa_cutover::engine::{Command, Event, MigrationCommand, MigrationEvent, UserStatus};
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
    d.send(Command::Migration(MigrationCommand::ExportReregister {
        path: csv.clone(),
    }))
    .await;
    let rows = loop {
        match d.next(30).await {
            Event::Migration(MigrationEvent::Exported { users, .. }) => break users,
            Event::Error(e) => panic!("{e:?}"),
            _ => {}
        }
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
    let config = mfa_cutover::engine::EngineConfig {
        group: Some(GROUP.to_string()),
        ..Default::default()
    };
    let mut d = fx.engine_config(config, fx.client_options()).await;
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
    let mut options = fx.client_options();
    options.limits.writes_per_window = 1500;
    let mut d = fx.engine_with(MigrationSettings::default(), options).await;
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
    let store = mfa_cutover::engine::Store::open(&fx.state_dir).expect("the store");
    let tenant = fx.sim.tenant_id().to_string();
    assert!(store.open_intents(&tenant).expect("journal").is_empty());
    let journal = store.journal(&tenant).expect("journal");
    assert!(!journal.is_empty());
    assert_eq!(
        journal.len() as u64,
        fx.sim.stats().writes,
        "one entry per write"
    );
    store.close();
}
