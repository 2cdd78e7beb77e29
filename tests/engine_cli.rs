//! The headless commands as scripts use them: exit codes, `plan --out` then
//! `migrate --plan` (applied exactly, or refused when anything changed), `sync --once`.

mod engine_support;

use engine_support::{Bin, Fixture, GROUP};
use mfa_cutover::datafile::sample::Presence;
use mfa_cutover::sim::SimConfig;

const CONFIG: &str = r#"
[migration]
match_attribute = { mfa_server = "employeeID", entra = "employeeId" }
"#;

fn n(v: &serde_json::Value, k: &str) -> u64 {
    v["summary"][k].as_u64().unwrap_or(u64::MAX)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_without_yes_and_without_a_terminal_exits_3_having_done_nothing() {
    let fx = Fixture::new(SimConfig {
        users: 50,
        seed: 2,
        ..Default::default()
    })
    .await;
    let bin = Bin::new(&fx, CONFIG);
    let (_, stderr, code) = bin.run_full(&["migrate", "--group", GROUP], "m.json");
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("--yes"), "{stderr}");
    assert_eq!(fx.sim.stats().requests, 0, "not even a read");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_plan_is_applied_exactly_or_refused_when_anything_changed() {
    let fx = Fixture::new(SimConfig {
        users: 120,
        seed: 4,
        ..Default::default()
    })
    .await;
    let mut bin = Bin::new(&fx, CONFIG);
    let file = fx.dir.path().join("plan-1.json");
    let f = file.to_str().expect("UTF-8");
    let (plan, code) = bin.run(&["plan", "--group", GROUP, "--json", "--out", f], "p1.json");
    assert_eq!(code, 0);
    assert!(n(&plan, "planned_writes") > 20);
    // Rule M3 matched users known to MFA Server by employee id only.
    let by_m3 = plan["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter(|u| u["status"] == "planned")
        .count();
    assert!(by_m3 > 0);

    // An affected user's Entra state changes: refused, nothing written.
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).expect("the plan")).expect("JSON");
    // A user whose plan adds a mobile phone.
    let upn = saved["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| {
            u["plan"]["ops"].as_array().is_some_and(|ops| {
                ops.iter()
                    .any(|o| o["op"] == "add_phone" && o["slot"] == "mobile")
            })
        })
        .and_then(|u| u["plan"]["user"]["upn"].as_str())
        .expect("a user whose plan adds a mobile phone")
        .to_string();
    // Someone registers a mobile phone for the user in Entra meanwhile: planning now
    // gives other operations than the saved ones.
    fx.sim
        .configure(|a| {
            a.set_phone(
                &upn,
                mfa_cutover::sim::PhoneType::Mobile,
                Some("+1 2065550199"),
            )
        })
        .expect("a phone set");
    let (_, stderr, code) = bin.run_full(&["migrate", "--plan", f, "--yes", "--json"], "m1.json");
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&upn),
        "the refusal names the user: {stderr}"
    );
    assert_eq!(fx.sim.stats().writes, 0);

    // A fresh plan; then the settings differ: refused.
    let file = fx.dir.path().join("plan-2.json");
    let f = file.to_str().expect("UTF-8");
    let (plan, code) = bin.run(&["plan", "--group", GROUP, "--json", "--out", f], "p2.json");
    assert_eq!(code, 0);
    let (_, stderr, code) = bin.run_full(
        &[
            "migrate",
            "--plan",
            f,
            "--yes",
            "--default-method",
            "always",
        ],
        "m2.json",
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("settings changed"), "{stderr}");

    // The data file differs: refused.
    let other = fx.dir.path().join("other.pfdata");
    std::fs::copy(&fx.data_file, &other).expect("a copy");
    let conn = rusqlite::Connection::open(&other).expect("the copy opens");
    conn.execute(
        "UPDATE users SET language = 'fr' WHERE user_id = (SELECT MIN(user_id) FROM users)",
        [],
    )
    .expect("an edit");
    drop(conn);
    let data = std::mem::replace(&mut bin.data_file, other);
    let (_, stderr, code) = bin.run_full(&["migrate", "--plan", f, "--yes"], "m3.json");
    assert_eq!(code, 2);
    assert!(stderr.contains("data file changed"), "{stderr}");
    bin.data_file = data;
    assert_eq!(fx.sim.stats().writes, 0, "no refusal wrote anything");

    // Unchanged: applied, exactly the planned writes, every user verified.
    let (done, code) = bin.run(&["migrate", "--plan", f, "--yes", "--json"], "m4.json");
    assert_eq!(code, 0, "{}", done["summary"]);
    assert_eq!(fx.sim.stats().writes, n(&plan, "planned_writes"));
    assert_eq!(n(&done, "writes"), n(&plan, "planned_writes"));
    assert_eq!(n(&done, "verified"), n(&plan, "planned_users"));
    assert_eq!(n(&done, "failed"), 0);

    // Applied once is applied: the same plan again is refused (the state moved on).
    let (_, _, code) = bin.run_full(&["migrate", "--plan", f, "--yes"], "m5.json");
    assert_eq!(code, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_once_migrates_only_the_users_whose_data_changed() {
    let fx = Fixture::new(SimConfig {
        users: 150,
        seed: 9,
        ..Default::default()
    })
    .await;
    let bin = Bin::new(&fx, CONFIG);
    let (first, code) = bin.run(&["migrate", "--group", GROUP, "--yes", "--json"], "m.json");
    assert_eq!(code, 0, "{}", first["summary"]);
    let verified = n(&first, "verified");

    // One migrated person gets a new mobile number in MFA Server.
    let person = fx
        .population
        .people()
        .find(|p| {
            p.presence == Presence::Both
                && p.mfa.enabled
                && p.mfa.upn.is_some()
                && p.mfa.phone.is_some()
                && p.mfa.extension.is_none()
                && first["users"].as_array().is_some_and(|us| {
                    us.iter()
                        .any(|u| u["upn"] == p.upn.as_str() && u["status"] == "verified")
                })
        })
        .expect("a migrated person with a mobile phone");
    let conn = rusqlite::Connection::open(&fx.data_file).expect("the data file opens");
    let changed = conn
        .execute(
            "UPDATE users SET country_code = '1', phone = '2065550143' WHERE username = ?1",
            [&person.mfa.username],
        )
        .expect("an edit");
    assert_eq!(changed, 1);
    drop(conn);

    let writes = fx.sim.stats().writes;
    let (sync, code) = bin.run(&["sync", "--group", GROUP, "--once", "--json"], "s.json");
    assert_eq!(code, 0, "{}", sync["summary"]);
    assert_eq!(n(&sync, "unchanged"), verified - 1, "{}", sync["summary"]);
    assert_eq!(n(&sync, "migrated"), 1, "{}", sync["summary"]);
    assert!(fx.sim.stats().writes > writes);
    let mobile = fx.sim.inspect(|t| {
        t.user(&person.upn).and_then(|u| {
            u.phones()
                .into_iter()
                .map(|(_, n)| n.to_string())
                .find(|n| n.contains("2065550143"))
        })
    });
    assert!(mobile.is_some(), "the new number is in Entra");
}
