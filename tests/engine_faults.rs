//! Rule C5 under fire: a 5,000-user migration against a tenant that answers 5xx, drops
//! connections before doing anything, and commits writes then drops the connection
//! (so the client cannot know they happened). Every user ends verified, no write is
//! made twice, and planning again finds nothing to do.

mod engine_support;

use engine_support::{Fixture, GROUP, assert_no_duplicates};
use mfa_cutover::engine::UserStatus;
use mfa_cutover::migrate::{MigrationSettings, MobileAppHandling};
use mfa_cutover::sim::{FaultSpec, SimConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn faults_leave_every_user_verified_and_nothing_written_twice() {
    let faults: FaultSpec = "5xx=0.02,reset=0.01,drop=0.01,seed=5"
        .parse()
        .expect("a fault spec");
    let fx = Fixture::new(SimConfig {
        users: 5000,
        seed: 11,
        faults,
        ..Default::default()
    })
    .await;
    // Importing app devices as hardware tokens makes many more creates and assigns,
    // the writes a blind retry would duplicate.
    let settings = MigrationSettings {
        mobile_app: MobileAppHandling::OathAsHardwareToken,
        ..Default::default()
    };
    let mut d = fx.engine(settings.clone()).await;
    d.ready().await;
    d.load_group(GROUP).await;
    let run = d.run(true, false).await;
    let bad: Vec<_> = run
        .statuses
        .iter()
        .filter(|(_, s)| !matches!(s, UserStatus::Verified | UserStatus::Skipped { .. }))
        .take(10)
        .collect();
    assert!(bad.is_empty(), "users not verified: {bad:#?}");
    let p = &run.progress;
    assert_eq!(p.failed, 0);
    assert_eq!(p.verified + p.skipped, p.targeted, "no user lost");
    assert!(p.verified > 3000, "{p:?}");
    let stats = fx.sim.stats();
    assert!(
        stats.faults.commit_then_drop > 10
            && stats.faults.reset > 10
            && stats.faults.server_error > 10,
        "faults were injected: {:?}",
        stats.faults
    );
    assert_no_duplicates(&fx.sim);

    // Converged: a fresh read of every user plans nothing (C2), and a migration writes
    // nothing.
    fx.sim.set_faults(FaultSpec::default());
    let writes = fx.sim.stats().writes;
    let dry = d.run(false, true).await;
    let pending: Vec<_> = dry
        .statuses
        .values()
        .filter_map(|s| match s {
            UserStatus::Planned { plan } if !plan.ops.is_empty() => Some(plan.clone()),
            _ => None,
        })
        .take(5)
        .collect();
    assert!(
        pending.is_empty(),
        "still to write after the run: {pending:#?}"
    );
    let again = d.run(true, true).await;
    assert_eq!(again.progress.writes, 0);
    assert_eq!(fx.sim.stats().writes, writes);
    d.shutdown().await;
}
