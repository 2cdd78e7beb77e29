//! Per-user undo from the journal (pilot resets), as an admin runs it: the real binary
//! against the simulated tenant. A group is migrated, then one user undone: the tenant
//! shows exactly that user's before-state (phones, default method, tokens assigned,
//! devices in the inventory) and every other user as the migration left them. A part
//! changed in Entra since is refused as a difference (exit 4) while the rest is undone;
//! `--what-if` writes nothing; without `--yes` and a terminal it exits 3; a user the
//! journal does not know exits 2; the journal and the audit log show the undo; an undo
//! killed with a write in flight is reconciled by reading back at the next start.

mod engine_support;

use std::collections::BTreeMap;
use std::sync::Arc;

use engine_support::{Bin, Fixture, GROUP, wait_until};
use mfa_cutover::engine::SystemClock;
use mfa_cutover::engine::store::Store;
use mfa_cutover::sim::{FaultSpec, PhoneType, SimConfig};

/// What a user holds in the sim: phones, default method, hardware tokens.
type UserSnap = (Vec<String>, String, Vec<String>);

fn snap_user(fx: &Fixture, upn: &str) -> UserSnap {
    fx.sim.inspect(|t| {
        let u = t.user(upn).expect("the user exists");
        let mut tokens: Vec<String> = u
            .hardware_tokens()
            .into_iter()
            .map(|(s, st)| format!("{s} {st:?}"))
            .collect();
        tokens.sort();
        (
            u.phones()
                .into_iter()
                .map(|(p, n)| format!("{p:?} {n}"))
                .collect(),
            format!("{:?}", u.default_method()),
            tokens,
        )
    })
}

fn snap_group(fx: &Fixture) -> BTreeMap<String, UserSnap> {
    let upns: Vec<String> = fx.sim.inspect(|t| {
        t.group(GROUP)
            .expect("the migration group")
            .transitive_users()
            .into_iter()
            .map(str::to_string)
            .collect()
    });
    upns.into_iter()
        .map(|u| {
            let s = snap_user(fx, &u);
            (u, s)
        })
        .collect()
}

/// The inventory: serial → (assigned to, status).
fn inventory(fx: &Fixture) -> BTreeMap<String, String> {
    fx.sim.inspect(|t| {
        t.hardware_devices()
            .map(|d| {
                (
                    d.serial().to_string(),
                    format!("{:?} {:?}", d.assigned_to(), d.status()),
                )
            })
            .collect()
    })
}

fn ops_of(user: &serde_json::Value) -> Vec<String> {
    user["plan"]["ops"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|o| o["op"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn left_of(user: &serde_json::Value) -> Vec<serde_json::Value> {
    user["plan"]["left"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_restores_one_users_before_state_and_refuses_what_changed_since() {
    let fx = Fixture::new(SimConfig {
        users: 60,
        seed: 19,
        ..Default::default()
    })
    .await;
    let bin = Bin::new(&fx, "");
    let before = snap_group(&fx);
    let inventory_before = inventory(&fx);

    let (migrated, stderr, code) =
        bin.run_full(&["migrate", "--group", GROUP, "--yes", "--json"], "m.json");
    assert_eq!(code, 0, "{stderr}");
    let written: Vec<String> = migrated["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter(|u| u["status"] == "verified" && u["ops"].as_array().is_some_and(|o| !o.is_empty()))
        .filter_map(|u| u["upn"].as_str().map(String::from))
        .collect();
    assert!(written.len() >= 2, "{migrated}");
    let after_migration = snap_group(&fx);

    // A what-if for everyone written: nothing is written, each op names its rules.
    let writes = fx.sim.stats().writes;
    let list = written.join(",");
    let (preview, stderr, code) =
        bin.run_full(&["undo", "--users", &list, "--what-if", "--json"], "w.json");
    assert!(code == 0 || code == 4, "{stderr}");
    assert_eq!(fx.sim.stats().writes, writes, "a what-if writes nothing");
    assert_eq!(preview["applied"], false);
    let users = preview["users"].as_array().expect("users").clone();
    assert_eq!(users.len(), written.len());
    for u in &users {
        assert_eq!(u["status"], "planned", "{u}");
        for op in u["plan"]["ops"].as_array().expect("ops") {
            assert!(
                op["rules"].as_array().is_some_and(|r| !r.is_empty()),
                "{op}"
            );
            assert!(op["undoes"].as_i64().is_some(), "{op}");
        }
    }
    // One user whose writes can all be undone (preferably one with a token too), and
    // another whose migration added a mobile phone.
    let clean: Vec<&serde_json::Value> = users
        .iter()
        .filter(|u| left_of(u).is_empty() && !ops_of(u).is_empty())
        .collect();
    let one = clean
        .iter()
        .find(|u| ops_of(u).iter().any(|o| o == "delete_hardware_token"))
        .or_else(|| clean.first())
        .expect("a user whose writes can all be undone");
    let one_upn = one["upn"].as_str().expect("upn").to_string();
    let other = users
        .iter()
        .find(|u| {
            u["upn"] != one["upn"]
                && migrated["users"].as_array().is_some_and(|m| {
                    m.iter().any(|x| {
                        x["upn"] == u["upn"]
                            && x["ops"].as_array().is_some_and(|ops| {
                                ops.iter().any(|o| {
                                    o["action"]["op"] == "add_phone"
                                        && o["action"]["slot"] == "mobile"
                                })
                            })
                    })
                })
        })
        .expect("another user whose migration added a mobile phone");
    let other_upn = other["upn"].as_str().expect("upn").to_string();

    // The human what-if: each write to undo with its rules and journal entry.
    let (_, stderr, code) = bin.run_full(&["undo", "--users", &one_upn, "--what-if"], "w.txt");
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(fx.dir.path().join("w.txt")).expect("the output");
    assert!(text.starts_with(&one_upn), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("  would undo: ") && l.contains("] (journal ")),
        "{text}"
    );

    // Without --yes and without a terminal: exit 3, not even a read.
    let requests = fx.sim.stats().requests;
    let (_, stderr, code) = bin.run_full(&["undo", "--users", &one_upn], "n.json");
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(fx.sim.stats().requests, requests);

    // A user the journal does not know: exit 2, nothing written.
    let (_, stderr, code) = bin.run_full(
        &[
            "undo",
            "--users",
            &format!("{one_upn},nobody@contoso.com"),
            "--yes",
        ],
        "u.json",
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("nobody@contoso.com"), "{stderr}");
    assert_eq!(fx.sim.stats().writes, writes);

    // Undo one user: exactly their before-state; everyone else as migrated.
    let (done, stderr, code) =
        bin.run_full(&["undo", "--users", &one_upn, "--yes", "--json"], "d.json");
    assert_eq!(code, 0, "{stderr}\n{done}");
    let u = &done["users"][0];
    assert_eq!(u["status"], "applied", "{u}");
    assert_eq!(u["read_back"], "verified", "{u}");
    assert!(done["writes"].as_u64().is_some_and(|n| n > 0), "{done}");
    let now = snap_group(&fx);
    assert_eq!(
        now[&one_upn], before[&one_upn],
        "the before-state of {one_upn}"
    );
    for (upn, s) in &now {
        if *upn != one_upn {
            assert_eq!(*s, after_migration[upn], "{upn} is untouched");
        }
    }
    // Devices the tool created for that user are gone from the inventory; the rest is
    // as the migration left it.
    let inv_now = inventory(&fx);
    for (serial, state) in &inventory_before {
        assert_eq!(
            inv_now.get(serial),
            Some(state),
            "pre-existing device {serial}"
        );
    }
    // The store forgets the user: they read as not migrated.
    let store = Store::open_read_only(&fx.state_dir, Arc::new(SystemClock)).expect("the store");
    let tenant = fx.sim.tenant_id().to_string();
    let id = u["entra_id"].as_str().expect("id").to_string();
    assert!(store.user(&tenant, &id).expect("readable").is_none());
    drop(store);

    // The journal and the audit log show the undo.
    let (journal, code) = bin.run(&["journal", "--user", &one_upn, "--json"], "j.json");
    assert_eq!(code, 0, "{journal}");
    let text = journal.to_string();
    assert!(text.contains("undoes"), "{journal}");
    let (audit, code) = bin.run(&["audit", "--json"], "a.json");
    assert_eq!(code, 0);
    let undo_entries: Vec<&serde_json::Value> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["action"].as_str().is_some_and(|a| a.starts_with("undo.")))
        .collect();
    assert_eq!(
        undo_entries.len() as u64,
        done["writes"].as_u64().unwrap_or(0),
        "one audit entry per undo write"
    );
    assert!(
        undo_entries
            .iter()
            .all(|e| e["actor"] == "mfa.admin@contoso.onmicrosoft.com"
                && e["detail"].as_str().is_some_and(|d| d.contains("rules ")))
    );

    // The users whose tokens the tool assigned: undone, they hold the tokens they held
    // before, and the inventory is as it was before the migration (devices the tool
    // created deleted, the ones it only assigned back in the inventory, unassigned).
    let token_users: Vec<String> = users
        .iter()
        .filter(|u| u["upn"] != one["upn"] && u["upn"] != other["upn"])
        .filter(|u| ops_of(u).iter().any(|o| o == "unassign_hardware_token"))
        .filter_map(|u| u["upn"].as_str().map(String::from))
        .collect();
    assert!(
        !token_users.is_empty(),
        "the migration assigned hardware tokens"
    );
    let (done, stderr, code) = bin.run_full(
        &["undo", "--users", &token_users.join(","), "--yes", "--json"],
        "t.json",
    );
    assert_eq!(code, 0, "{stderr}\n{done}");
    for upn in &token_users {
        assert_eq!(snap_user(&fx, upn).2, before[upn].2, "{upn}'s tokens");
    }
    assert_eq!(inventory(&fx), inventory_before, "the inventory as before");

    // Undone again: nothing to do, nothing written.
    let writes = fx.sim.stats().writes;
    let (again, stderr, code) =
        bin.run_full(&["undo", "--users", &one_upn, "--yes", "--json"], "d2.json");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        again["users"][0]["plan"]["ops"]
            .as_array()
            .is_some_and(Vec::is_empty),
        "{again}"
    );
    assert_eq!(fx.sim.stats().writes, writes);

    // Someone changes the other user's mobile phone in Entra: that part is refused as a
    // difference (exit 4), the rest is undone.
    fx.sim
        .configure(|a| a.set_phone(&other_upn, PhoneType::Mobile, Some("+1 4255550142")))
        .expect("the phone is set");
    let (done, stderr, code) = bin.run_full(
        &["undo", "--users", &other_upn, "--yes", "--json"],
        "o.json",
    );
    assert_eq!(code, 4, "{stderr}\n{done}");
    let u = &done["users"][0];
    assert_eq!(u["status"], "applied", "{u}");
    let refused: Vec<serde_json::Value> = left_of(u)
        .into_iter()
        .filter(|l| l["kind"] == "changed")
        .collect();
    assert_eq!(refused.len(), 1, "{u}");
    assert!(
        refused[0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("+1 4255550142")),
        "{u}"
    );
    assert!(
        refused[0]["rules"]
            .as_array()
            .is_some_and(|r| !r.is_empty())
    );
    let phones = snap_user(&fx, &other_upn).0;
    assert!(
        phones.iter().any(|p| p.ends_with("+1 4255550142")),
        "the changed phone is left: {phones:?}"
    );
    // Everything else the tool wrote to that user is undone or named.
    assert_eq!(
        u["plan"]["ops"].as_array().map(Vec::len).unwrap_or(0) as u64,
        u["writes"].as_u64().unwrap_or(u64::MAX)
    );
    assert_eq!(u["read_back"], "verified", "{u}");
}

/// An undo killed between a write's intent and its outcome: the next start decides the
/// write by reading the user back (`reconciled_done`, audited), the undo then treats it
/// as done and writes only what is missing — never the same delete twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_undo_killed_in_flight_is_reconciled_at_the_next_start() {
    let fx = Fixture::new(SimConfig {
        users: 60,
        seed: 19,
        ..Default::default()
    })
    .await;
    let bin = Bin::new(&fx, "");
    let before = snap_group(&fx);
    let (migrated, stderr, code) =
        bin.run_full(&["migrate", "--group", GROUP, "--yes", "--json"], "m.json");
    assert_eq!(code, 0, "{stderr}");
    let written: Vec<String> = migrated["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter(|u| u["status"] == "verified" && u["ops"].as_array().is_some_and(|o| !o.is_empty()))
        .filter_map(|u| u["upn"].as_str().map(String::from))
        .collect();
    let (preview, _, _) = bin.run_full(
        &["undo", "--users", &written.join(","), "--what-if", "--json"],
        "w.json",
    );
    let user = preview["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| left_of(u).is_empty() && !ops_of(u).is_empty())
        .expect("a user whose writes can all be undone")
        .clone();
    let upn = user["upn"].as_str().expect("upn").to_string();
    let id = user["entra_id"].as_str().expect("id").to_string();
    let planned = ops_of(&user).len();

    let store = || Store::open_read_only(&fx.state_dir, Arc::new(SystemClock)).ok();
    let open_undo = || {
        store().is_some_and(|s| {
            s.open_intents(fx.sim.tenant_id())
                .is_ok_and(|o| o.iter().any(|e| e.op.contains("\"undoes\"")))
        })
    };
    // Every request waits; once the first undo write is journaled it is in the sim's
    // sleep; it is then carried out, its answer dropped, and the process killed.
    fx.sim.set_latency(std::time::Duration::from_millis(700));
    let mut child = bin.spawn(&["undo", "--users", &upn, "--yes"], "k.json");
    assert!(
        wait_until(60, open_undo).await,
        "the undo's intent is journaled"
    );
    fx.sim.set_faults(FaultSpec {
        commit_then_drop: 1.0,
        ..FaultSpec::none()
    });
    let writes_to_user = || {
        fx.sim.inspect(|t| {
            t.write_log()
                .iter()
                .filter(|w| w.user.as_deref() == Some(id.as_str()))
                .count()
        })
    };
    let migration_writes = migrated["users"]
        .as_array()
        .and_then(|a| a.iter().find(|u| u["upn"] == upn.as_str()))
        .and_then(|u| u["ops"].as_array().map(Vec::len))
        .unwrap_or(0);
    assert!(
        wait_until(30, || writes_to_user() > migration_writes).await,
        "the tenant carried the undo write out"
    );
    child.kill().expect("killed");
    let _ = child.wait();
    fx.sim.set_faults(FaultSpec::none());
    fx.sim.set_latency(std::time::Duration::ZERO);
    assert!(open_undo(), "the intent is left open by the kill");

    let (done, stderr, code) =
        bin.run_full(&["undo", "--users", &upn, "--yes", "--json"], "resume.json");
    assert_eq!(code, 0, "{stderr}\n{done}");
    assert!(!open_undo(), "no open intent after the next start");
    assert_eq!(
        snap_user(&fx, &upn),
        before[&upn],
        "the before-state of {upn}"
    );
    assert_eq!(
        writes_to_user(),
        migration_writes + planned,
        "each undo write made once"
    );
    let (j, _) = bin.run(&["journal", "--user", &upn, "--json"], "journal.json");
    assert!(
        j["entries"].as_array().expect("entries").iter().any(|e| {
            e["outcome"] == "reconciled_done"
                && e["op"].as_str().is_some_and(|o| o.contains("undoes"))
        }),
        "{j}"
    );
}

/// Through the engine: refused while a run is in progress (busy), in a read-only engine,
/// and for no user; a what-if answers each user's plan.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_refuses_an_undo_while_busy_read_only_or_for_nobody() {
    use mfa_cutover::engine::{
        Access, Answer, CallError, Command, MigrationCommand, RefusalKind, Scope, UndoState,
    };
    let fx = Fixture::new(SimConfig {
        users: 40,
        seed: 23,
        ..Default::default()
    })
    .await;
    let mut engine = fx.engine(Default::default()).await;
    engine.ready().await;
    engine.load_group(GROUP).await;
    let undo = |users: Vec<String>, apply: bool| {
        Command::Migration(MigrationCommand::Undo { users, apply })
    };
    let refusal = |r: Result<Answer, CallError>| match r {
        Err(CallError::Refused(r)) => r.kind,
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert_eq!(
        refusal(engine.call(undo(vec![" ".into()], false), 60).await),
        RefusalKind::BadInput
    );
    // Requests are taken in order: the undo arrives while the migration runs.
    fx.sim.set_latency(std::time::Duration::from_millis(50));
    engine
        .send(Command::Migration(MigrationCommand::Migrate {
            scope: Scope::Group,
            include_unchanged: false,
        }))
        .await;
    let busy = engine
        .call(undo(vec!["anyone@contoso.com".into()], true), 60)
        .await;
    assert_eq!(refusal(busy), RefusalKind::Busy);
    let report = engine.collect(600).await;
    fx.sim.set_latency(std::time::Duration::ZERO);
    assert!(report.progress.writes > 0);
    let upn = fx.sim.inspect(|t| {
        t.write_log()
            .iter()
            .find_map(|w| w.user.clone())
            .and_then(|id| t.user(&id).map(|u| u.upn().to_string()))
            .expect("a user written")
    });
    let Ok(Answer::Undo(r)) = engine.call(undo(vec![upn.clone()], false), 60).await else {
        panic!("an undo report");
    };
    assert!(!r.applied);
    assert!(
        matches!(r.users[0].state, UndoState::Planned { .. }),
        "{r:?}"
    );
    engine.shutdown().await;

    let mut o = fx.options(Default::default()).await;
    o.access = Access::ReadOnly;
    let mut reader = fx.start(o).await;
    reader.ready().await;
    assert_eq!(
        refusal(reader.call(undo(vec![upn], true), 60).await),
        RefusalKind::ReadOnly
    );
    reader.shutdown().await;
}
