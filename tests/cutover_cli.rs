//! Staged Rollout and federation changes as an admin makes them: the real binary against
//! the simulated tenant. Interlocks refuse with their rule and exit 4 having written
//! nothing; `--force` goes past the ones that allow it and is audited; an app-only
//! sign-in is refused before Graph; rollback restores both settings; changes made behind
//! the tool's back show as drift; a process killed between a write's intent and its
//! outcome is reconciled by reading back at the next start, never written twice.

mod engine_support;

use std::time::Duration;

use engine_support::{Bin, Fixture, wait_until};
use mfa_cutover::engine::SystemClock;
use mfa_cutover::engine::store::{Store, TargetKind};
use mfa_cutover::sim::{FaultSpec, SimConfig};

const PILOT: &str = "MFA Rollout Pilot";

const CONFIG: &str = r#"
[[waves]]
name = "Pilot"
migrate = "MFA Pilot"
rollout = "MFA Rollout Pilot"

[[waves]]
name = "Wave 1"
migrate = "MFA Migration Wave 1"
rollout = "MFA Rollout Wave 1"
"#;

async fn fixture(users: usize, seed: u64) -> Fixture {
    Fixture::new(SimConfig {
        users,
        seed,
        ..Default::default()
    })
    .await
}

/// The sim's MFA rollout policies: (enabled, group names).
fn policies(fx: &Fixture) -> Vec<(bool, Vec<String>)> {
    fx.sim.inspect(|t| {
        t.rollout_policies()
            .map(|p| {
                (
                    p.is_enabled(),
                    p.groups().into_iter().map(str::to_string).collect(),
                )
            })
            .collect()
    })
}

fn federation(fx: &Fixture) -> Option<&'static str> {
    fx.sim
        .inspect(|t| t.federation_mfa_behavior("contoso.com"))
        .flatten()
}

fn audit(bin: &Bin) -> Vec<serde_json::Value> {
    let (v, code) = bin.run(&["audit", "--json"], "audit.json");
    assert_eq!(code, 0, "{v}");
    v["entries"].as_array().cloned().unwrap_or_default()
}

fn rules(v: &serde_json::Value) -> Vec<String> {
    v["decision"]["by"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r1_holds_an_unmigrated_group_and_force_goes_past_it_audited() {
    let fx = fixture(200, 31).await;
    let bin = Bin::new(&fx, CONFIG);
    let writes = fx.sim.stats().writes;

    // Nobody is migrated: R1 blocks, exit 4, nothing written, the rule and fix named.
    let (v, stderr, code) = bin.run_full(
        &["rollout", "add-group", PILOT, "--yes", "--json"],
        "r1.json",
    );
    assert_eq!(code, 4, "{stderr}");
    assert_eq!(v["decision"]["decision"], "blocked", "{v}");
    assert_eq!(rules(&v), ["R1"]);
    let blocking = &v["verdict"]["findings"][0];
    assert_eq!(blocking["severity"], "blocking");
    assert!(
        blocking["fix"].as_str().unwrap_or("").contains("--force"),
        "{blocking}"
    );
    assert!(v["applied"].as_array().is_some_and(Vec::is_empty));
    assert_eq!(fx.sim.stats().writes, writes, "a refusal writes nothing");
    assert!(policies(&fx).is_empty());

    // Without --yes and without a terminal: exit 3, nothing written.
    let (_, stderr, code) = bin.run_full(&["rollout", "add-group", PILOT, "--force"], "r1b.json");
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(fx.sim.stats().writes, writes);

    // Forced: written (policy created, group added), read back, audited as forced.
    let (v, stderr, code) = bin.run_full(
        &["rollout", "add-group", PILOT, "--force", "--yes", "--json"],
        "forced.json",
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(v["applied"].as_array().map(Vec::len), Some(2), "{v}");
    assert_eq!(policies(&fx), [(true, vec![PILOT.to_string()])]);
    let entries = audit(&bin);
    let forced = entries
        .iter()
        .find(|e| e["action"] == "rollout.add_group")
        .expect("the change is audited");
    assert_eq!(forced["forced"], true);
    assert_eq!(forced["actor"], "mfa.admin@contoso.onmicrosoft.com");
    assert!(
        forced["before"]
            .as_str()
            .unwrap_or("")
            .contains("\"exists\":false")
    );
    assert!(
        forced["after"].as_str().unwrap_or("").contains(PILOT),
        "{forced}"
    );
    assert!(
        forced["detail"].as_str().unwrap_or("").contains("R1"),
        "{forced}"
    );

    // The journal holds both writes, closed.
    let (j, code) = bin.run(&["journal", "--json"], "journal.json");
    assert_eq!(code, 0, "{j}");
    let rollout: Vec<&serde_json::Value> = j["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| {
            e["target"]["kind"] == "rollout_policy" || e["target"]["kind"] == "rollout_group"
        })
        .collect();
    assert_eq!(rollout.len(), 2, "{j}");
    assert!(rollout.iter().all(|e| e["outcome"] == "ok"), "{j}");

    // Adding it again is nothing to do: no write.
    let writes = fx.sim.stats().writes;
    let (_, stderr, code) = bin.run_full(&["rollout", "add-group", PILOT, "--yes"], "again.json");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(fx.sim.stats().writes, writes, "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r2_refuses_a_dynamic_group_and_a_group_with_a_contact_even_forced() {
    let fx = fixture(150, 32).await;
    let bin = Bin::new(&fx, CONFIG);
    let writes = fx.sim.stats().writes;
    for (group, why) in [
        ("All Employees (dynamic)", "dynamic"),
        ("Contractors", "contact"),
    ] {
        let (v, stderr, code) = bin.run_full(
            &["rollout", "add-group", group, "--force", "--yes", "--json"],
            "r2.json",
        );
        assert_eq!(code, 4, "{group}: {stderr}");
        assert_eq!(v["decision"]["decision"], "refused", "{group}: {v}");
        assert_eq!(rules(&v), ["R2"], "{group}");
        assert!(v.to_string().contains(why), "{group}: {v}");
    }
    assert_eq!(fx.sim.stats().writes, writes);
    assert!(policies(&fx).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_only_sign_in_is_refused_before_any_graph_call_for_rollout() {
    let fx = fixture(60, 33).await;
    let bin = Bin::new(&fx, CONFIG);
    let requests = fx.sim.stats().requests;
    let out = bin
        .command(&["rollout", "add-group", PILOT, "--force", "--yes"])
        .env("MFA_CUTOVER_ACCESS_TOKEN", fx.sim.app_token())
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("[PRE-ACCESS]"), "{stderr}");
    assert!(stderr.contains("delegated"), "{stderr}");
    assert!(stderr.contains("--auth device-code"), "{stderr}");
    assert_eq!(fx.sim.stats().writes, 0);
    // Start-up reads (the 401 check) may have been made; no rollout request was.
    let rollout_reads = fx.sim.stats().requests - requests;
    assert!(rollout_reads <= 2, "{rollout_reads} requests");
    assert!(policies(&fx).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f1_holds_reject_and_rollback_restores_both_and_drift_shows() {
    let fx = fixture(150, 34).await;
    let bin = Bin::new(&fx, CONFIG);

    let (_, stderr, code) = bin.run_full(
        &["rollout", "add-group", PILOT, "--force", "--yes"],
        "add.json",
    );
    assert_eq!(code, 0, "{stderr}");
    let (_, stderr, code) = bin.run_full(
        &["federation", "set", "contoso.com", "accept", "--yes"],
        "accept.json",
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(federation(&fx), Some("acceptIfMfaDoneByFederatedIdp"));

    // reject sends every user of the domain to Entra MFA: F1 blocks.
    let writes = fx.sim.stats().writes;
    let (v, stderr, code) = bin.run_full(
        &[
            "federation",
            "set",
            "contoso.com",
            "reject",
            "--yes",
            "--json",
        ],
        "reject.json",
    );
    assert_eq!(code, 4, "{stderr}");
    assert_eq!(rules(&v), ["F1"], "{v}");
    assert_eq!(fx.sim.stats().writes, writes);

    // A managed domain is refused whatever the flags.
    let (_, stderr, code) = bin.run_full(
        &[
            "federation",
            "set",
            "contoso.onmicrosoft.com",
            "enforce",
            "--force",
            "--yes",
        ],
        "managed.json",
    );
    assert_eq!(code, 4, "{stderr}");
    assert_eq!(fx.sim.stats().writes, writes);

    // Rollback: the exact writes first, then both settings back.
    let (v, stderr, code) = bin.run_full(
        &["federation", "rollback", "--what-if", "--json"],
        "rb-what-if.json",
    );
    assert_eq!(code, 0, "{stderr}");
    let planned = v["planned"].to_string();
    assert!(planned.contains("isEnabled true → false"), "{planned}");
    assert!(planned.contains("enforceMfaByFederatedIdp"), "{planned}");
    // The users the domain's setting decides are counted (Graph's advanced query), so
    // the confirmation names how many people go back to MFA Server.
    let domain_users = fx.sim.inspect(|t| {
        t.users()
            .filter(|u| u.upn().to_lowercase().ends_with("@contoso.com"))
            .count() as u64
    });
    assert!(domain_users > 0);
    let affected = v["verdict"]["blast"]["users"].as_u64();
    assert_eq!(affected, Some(domain_users), "{}", v["verdict"]["blast"]);
    assert_eq!(fx.sim.stats().writes, writes, "a what-if writes nothing");
    let (v, stderr, code) = bin.run_full(&["federation", "rollback", "--yes", "--json"], "rb.json");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(v["applied"].as_array().map(Vec::len), Some(2), "{v}");
    assert_eq!(policies(&fx), [(false, vec![PILOT.to_string()])]);
    assert_eq!(federation(&fx), Some("enforceMfaByFederatedIdp"));
    let entries = audit(&bin);
    let rollback: Vec<_> = entries
        .iter()
        .filter(|e| e["action"] == "federation.rollback")
        .collect();
    assert_eq!(rollback.len(), 2, "{entries:?}");
    assert!(
        rollback
            .iter()
            .any(|e| e["after"] == "enforceMfaByFederatedIdp")
    );
    assert!(rollback.iter().any(|e| {
        e["after"]
            .as_str()
            .unwrap_or("")
            .contains("\"enabled\":false")
    }));

    // Someone turns the policy back on and changes the domain behind the tool's back.
    fx.sim
        .configure(|a| {
            a.set_rollout_enabled(true)?;
            a.set_federation_mfa_behavior("contoso.com", Some("rejectMfaByFederatedIdp"))
        })
        .expect("the admin changes");
    let (v, code) = bin.run(&["rollout", "status", "--json"], "rs.json");
    assert_eq!(code, 0, "{v}");
    let text = v.to_string();
    assert!(
        text.contains("DRIFT") && text.contains("turned on (was off)"),
        "{text}"
    );
    let (v, code) = bin.run(&["federation", "status", "--json"], "fs.json");
    assert_eq!(code, 0, "{v}");
    let text = v.to_string();
    assert!(
        text.contains("DRIFT") && text.contains("now says rejectMfaByFederatedIdp"),
        "{text}"
    );
}

/// Killed with a rollout write in flight whose request the tenant carried out: the next
/// start reads it back, closes the intent as done and audits it; the group is added
/// once, the policy created once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_between_intent_and_outcome_the_next_start_reads_back_and_never_writes_twice() {
    let fx = fixture(120, 35).await;
    let bin = Bin::new(&fx, CONFIG);
    let store = || Store::open_read_only(&fx.state_dir, std::sync::Arc::new(SystemClock)).ok();
    let open_rollout = || {
        store().is_some_and(|s| {
            s.open_intents(fx.sim.tenant_id()).is_ok_and(|o| {
                o.iter()
                    .any(|e| matches!(e.target.kind, TargetKind::RolloutPolicy))
            })
        })
    };

    // Every request now waits; once the policy's creation is journaled, its request is
    // in the sim's sleep. It is then carried out and its answer dropped, and the process
    // killed before it can read back.
    fx.sim.set_latency(Duration::from_millis(700));
    let mut child = bin.spawn(
        &["rollout", "add-group", PILOT, "--force", "--yes"],
        "k.json",
    );
    assert!(
        wait_until(60, open_rollout).await,
        "the intent is journaled"
    );
    fx.sim.set_faults(FaultSpec {
        commit_then_drop: 1.0,
        ..FaultSpec::none()
    });
    let created = || fx.sim.inspect(|t| t.rollout_policies().count()) == 1;
    assert!(
        wait_until(30, created).await,
        "the tenant carried the write out"
    );
    child.kill().expect("killed");
    let _ = child.wait();
    fx.sim.set_faults(FaultSpec::none());
    fx.sim.set_latency(Duration::ZERO);
    assert!(open_rollout(), "the intent is left open by the kill");

    // The next run reconciles (done, audited) and adds the group without a second policy.
    let (_, stderr, code) = bin.run_full(
        &["rollout", "add-group", PILOT, "--force", "--yes"],
        "resume.json",
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(!open_rollout(), "no open intent after the next start");
    assert_eq!(policies(&fx), [(true, vec![PILOT.to_string()])]);
    let creates = fx.sim.inspect(|t| {
        t.write_log()
            .iter()
            .filter(|w| w.method == "POST" && w.path.ends_with("/featureRolloutPolicies"))
            .count()
    });
    assert_eq!(creates, 1, "the policy is created once");
    let entries = audit(&bin);
    assert!(
        entries.iter().any(|e| e["action"] == "reconcile"),
        "the reconciled write is audited"
    );
    let (j, _) = bin.run(&["journal", "--json"], "journal.json");
    assert!(
        j["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .any(|e| e["outcome"] == "reconciled_done"),
        "{j}"
    );
}
