//! Crash safety (issue item 4): the real binary, killed with SIGKILL at six different
//! points of a migration, run again each time; the last run completes it. Every user
//! ends verified, no phone, device or token is written twice, no user is lost, and the
//! journal holds no open write.
//!
//! Kill points, in the order a migration reaches them: during the first `$batch` reads
//! (nothing written yet); after the first writes; between a token's creation and its
//! assignment; with writes the tenant committed but whose answers never came back; during
//! the next start's reconciliation of those; and during the read-back after every write.

mod engine_support;

use std::time::Duration;

use engine_support::{Bin, Fixture, GROUP, assert_no_duplicates, wait_until};
use mfa_cutover::engine::SystemClock;
use mfa_cutover::engine::store::{OutcomeKind, Store};
use mfa_cutover::sim::{FaultSpec, SimConfig, WriteOp};

const CONFIG: &str = r#"
[migration]
mobile_app = "oath-as-hardware-token"

[graph]
concurrency = 6
writes_per_window = 6000
write_window_secs = 150
"#;

fn migrate_args() -> Vec<&'static str> {
    vec!["migrate", "--group", GROUP, "--yes", "--json"]
}

fn kill(child: &mut std::process::Child) {
    // `Child::kill` is SIGKILL on Unix: no destructor, no flush, no goodbye.
    child.kill().expect("the process is killed");
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_at_six_points_and_resumed_nothing_is_lost_or_doubled() {
    let fx = Fixture::new(SimConfig {
        users: 500,
        seed: 21,
        latency: Duration::from_millis(5),
        ..Default::default()
    })
    .await;
    let bin = Bin::new(&fx, CONFIG);
    let (plan, code) = bin.run(&["plan", "--group", GROUP, "--json"], "plan.json");
    assert_eq!(code, 0, "{plan}");
    let total = plan["summary"]["planned_writes"]
        .as_u64()
        .expect("planned writes");
    assert!(total > 300, "enough writes to kill in between: {total}");
    let writes = || fx.sim.stats().writes;
    let requests = || fx.sim.stats().requests;
    let mut killed = 0;

    // 1. During the first batch reads: the members are listed, nothing is written.
    let before = requests();
    let mut child = bin.spawn(&migrate_args(), "run1.json");
    assert!(wait_until(60, || requests() > before + 6).await);
    fx.sim.set_latency(Duration::from_secs(3));
    tokio::time::sleep(Duration::from_millis(300)).await;
    kill(&mut child);
    fx.sim.set_latency(Duration::from_millis(5));
    assert_eq!(writes(), 0, "killed before any write");
    killed += 1;

    // 2. After the first writes.
    let mut child = bin.spawn(&migrate_args(), "run2.json");
    assert!(wait_until(120, || writes() >= 40).await, "writes started");
    kill(&mut child);
    killed += 1;

    // 3. Between a token's creation and its assignment: stall the tenant as soon as a
    //    device exists that is not assigned yet, so its assignment is in flight.
    let mut child = bin.spawn(&migrate_args(), "run3.json");
    let created_not_assigned = || {
        fx.sim
            .inspect(|t| t.hardware_devices().any(|d| d.assigned_to().is_none()))
    };
    assert!(
        wait_until(120, created_not_assigned).await,
        "a token was created"
    );
    fx.sim.set_latency(Duration::from_secs(3));
    tokio::time::sleep(Duration::from_millis(400)).await;
    kill(&mut child);
    fx.sim.set_latency(Duration::from_millis(5));
    assert!(created_not_assigned(), "killed between create and assign");
    killed += 1;

    // 4. Writes the tenant committed but never answered: every request is carried out and
    //    its connection dropped; the client reads back (and those reads drop too) when
    //    the process dies.
    let mut child = bin.spawn(&migrate_args(), "run4.json");
    let w = writes();
    assert!(wait_until(120, || writes() > w + 10).await);
    let dropped = fx.sim.stats().faults.commit_then_drop;
    fx.sim.set_faults(FaultSpec {
        commit_then_drop: 1.0,
        ..Default::default()
    });
    assert!(wait_until(60, || fx.sim.stats().faults.commit_then_drop > dropped + 8).await);
    kill(&mut child);
    fx.sim.set_faults(FaultSpec::default());
    killed += 1;
    let open = Store::open_read_only(&fx.state_dir, std::sync::Arc::new(SystemClock))
        .and_then(|s| {
            let tenant = fx.sim.tenant_id().to_string();
            let o = s.open_intents(&tenant);
            s.close();
            o
        })
        .expect("the journal reads");
    assert!(!open.is_empty(), "the kill left writes open");

    // 5. During the next start's reconciliation of those open writes.
    let before = requests();
    let mut child = bin.spawn(&migrate_args(), "run5.json");
    assert!(wait_until(60, || requests() > before).await);
    fx.sim.set_latency(Duration::from_secs(3));
    tokio::time::sleep(Duration::from_millis(300)).await;
    kill(&mut child);
    fx.sim.set_latency(Duration::from_millis(5));
    killed += 1;

    // 6. During the read-back, once every write is made.
    let mut child = bin.spawn(&migrate_args(), "run6.json");
    let total_writes = || {
        fx.sim.inspect(|t| {
            t.write_log()
                .iter()
                .filter(|w| !matches!(w.op, WriteOp::SetRequirements))
                .count()
        })
    };
    let done = wait_until(240, || {
        // Every planned write is in the tenant: what remains is reading back.
        total_writes() as u64 >= total
    })
    .await;
    if done {
        fx.sim.set_latency(Duration::from_secs(3));
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    kill(&mut child);
    fx.sim.set_latency(Duration::from_millis(5));
    assert!(done, "every write made before the last kill");
    killed += 1;
    assert!(killed >= 5);

    // The last run completes the migration.
    let (report, code) = bin.run(&migrate_args(), "final.json");
    assert_eq!(code, 0, "{}", report["summary"]);
    let s = &report["summary"];
    let n = |k: &str| s[k].as_u64().unwrap_or(u64::MAX);
    assert_eq!(n("failed"), 0, "{s}");
    assert_eq!(
        n("verified") + n("unchanged") + n("not_in_mfa_server") + n("conflicts") + n("disabled"),
        n("targeted"),
        "no user lost: {s}"
    );
    assert_no_duplicates(&fx.sim);
    assert_eq!(
        writes(),
        total,
        "exactly the planned writes reached the tenant, none twice"
    );

    // Nothing left to write, nothing left open, and the kills were reconciled.
    let (again, code) = bin.run(
        &["plan", "--group", GROUP, "--include-unchanged", "--json"],
        "after.json",
    );
    assert_eq!(code, 0);
    assert_eq!(
        again["summary"]["planned_writes"], 0,
        "{}",
        again["summary"]
    );
    let store = Store::open_read_only(&fx.state_dir, std::sync::Arc::new(SystemClock))
        .expect("the store opens");
    let tenant = fx.sim.tenant_id().to_string();
    assert!(store.open_intents(&tenant).expect("journal").is_empty());
    let journal = store.journal_all(&tenant).expect("journal");
    let kinds = |k: OutcomeKind| journal.iter().filter(|e| e.outcome == Some(k)).count();
    assert!(
        kinds(OutcomeKind::ReconciledDone) > 0,
        "committed writes found applied"
    );
    assert!(
        kinds(OutcomeKind::ReconciledNotDone) > 0,
        "stalled writes found not applied"
    );
    assert_eq!(
        kinds(OutcomeKind::Ok) + kinds(OutcomeKind::ReconciledDone),
        total as usize,
        "every write in the tenant is in the journal, once"
    );
    store.close();
}
