//! The engine against the simulated tenant: a whole group migrated and verified, and a
//! second run that writes nothing and costs no Graph call per user.

mod engine_support;

use engine_support::{Fixture, GROUP};
use mfa_cutover::engine::UserStatus;
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
