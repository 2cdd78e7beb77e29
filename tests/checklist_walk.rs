//! A whole cutover walked from the checklist with the real binary against the simulated
//! tenant: prepare (inventory decided, backup recorded), migrate a pilot, validate it in
//! Staged Rollout, migrate the rest, finish the dependencies, switch the federation — the
//! gate refusing it until then — tick the manual steps, write the change board's report;
//! then roll back. Each step's state is checked as it goes.

mod engine_support;

use std::collections::HashSet;

use engine_support::{Bin, Fixture};
use mfa_cutover::inventory::sample::{is_nps_file, write_exports};
use mfa_cutover::sim::{PhoneType, SimConfig};

const WAVES: [(&str, &str, &str); 2] = [
    ("Pilot", "MFA Pilot", "MFA Rollout Pilot"),
    ("Wave 1", "MFA Migration Wave 1", "MFA Rollout Wave 1"),
];

fn config(fx: &Fixture) -> String {
    let files = write_exports(&fx.dir.path().join("exports"), 8).expect("the exports");
    let list = |nps: bool| {
        files
            .iter()
            .filter(|f| is_nps_file(f.file_name().and_then(|n| n.to_str()).unwrap_or("")) == nps)
            .map(|f| format!("{:?}", f.display().to_string()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut c = String::new();
    for (name, migrate, rollout) in WAVES {
        c.push_str(&format!(
            "[[waves]]\nname = \"{name}\"\nmigrate = \"{migrate}\"\nrollout = \"{rollout}\"\n\n"
        ));
    }
    c.push_str(&format!(
        "[inventory]\nadfs = [{}]\nnps = [{}]\n",
        list(false),
        list(true)
    ));
    c
}

/// The checklist as JSON (`checklist --json`).
fn checklist(bin: &Bin, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["checklist", "--json"];
    args.extend_from_slice(extra);
    let (v, stderr, code) = bin.run_full(&args, "checklist.json");
    assert_eq!(code, 0, "checklist {extra:?}: {stderr}");
    v
}

fn state(c: &serde_json::Value, step: &str) -> String {
    c["checklist"]["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|x| x["id"] == step))
        .and_then(|x| x["state"].as_str())
        .unwrap_or("missing")
        .to_string()
}

fn ok(bin: &Bin, args: &[&str]) {
    let (_, stderr, code) = bin.run_full(args, "step.json");
    assert_eq!(code, 0, "{args:?}: {stderr}");
}

/// Users of `groups` with no phone and no authenticator get a mobile phone: they
/// registered in Entra themselves (what the tool cannot migrate, D3).
fn register_the_rest(fx: &Fixture, groups: &[&str]) {
    let missing: Vec<String> = fx.sim.inspect(|t| {
        let members: HashSet<&str> = groups
            .iter()
            .filter_map(|g| t.group(g))
            .flat_map(|g| g.transitive_users())
            .collect();
        t.users()
            .filter(|u| members.contains(u.upn()) || members.contains(u.id().as_str()))
            .filter(|u| u.phones().is_empty() && u.authenticators().is_empty())
            .map(|u| u.upn().to_string())
            .collect()
    });
    fx.sim
        .configure(|a| {
            for (i, upn) in missing.iter().enumerate() {
                a.set_phone(
                    upn,
                    PhoneType::Mobile,
                    Some(&format!("+1 425 555 {:04}", i)),
                )?;
            }
            Ok::<_, mfa_cutover::sim::AdminError>(())
        })
        .expect("the users register");
}

/// Every inventory item that needs a decision, by id.
fn inventory_items(bin: &Bin) -> Vec<String> {
    let (v, stderr, code) = bin.run_full(&["inventory", "--json"], "inv.json");
    assert_eq!(code, 0, "{stderr}");
    v["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["dependence"] != "no")
        .filter_map(|i| i["id"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_cutover_walked_from_the_checklist_then_rolled_back() {
    let fx = Fixture::new(SimConfig {
        users: 160,
        seed: 41,
        ..Default::default()
    })
    .await;
    let cfg = config(&fx);
    let bin = Bin::new(&fx, &cfg);

    // Begun: end state 1. The backup is recorded, the version and access check out; the
    // dependencies are undecided and nothing is migrated.
    let c = checklist(&bin, &["--end-state", "1"]);
    assert_eq!(c["checklist"]["end_state"], "mfa_server_only");
    for (step, want) in [
        ("prep.backup", "done"),
        ("prep.update", "done"),
        ("prep.access", "done"),
        ("prep.dependencies", "not_done"),
        ("mig.users", "not_done"),
        ("fin.apps", "not_applicable"),
        ("fin.auth", "not_applicable"),
        ("fin.portal", "not_done"),
    ] {
        assert_eq!(state(&c, step), want, "{step}");
    }
    assert_eq!(c["checklist"]["next"], "prep.dependencies");
    assert!(!c["gate"].as_array().expect("gate").is_empty());

    // The final switch is refused by the gate (and F1), naming CL-GATE; nothing written.
    let writes = fx.sim.stats().writes;
    let (v, _, code) = bin.run_full(
        &[
            "federation",
            "set",
            "contoso.com",
            "reject",
            "--yes",
            "--json",
        ],
        "early.json",
    );
    assert_eq!(code, 4);
    assert!(v["decision"]["by"].to_string().contains("CL-GATE"), "{v}");
    assert_eq!(fx.sim.stats().writes, writes);

    // A step the tool checks cannot be ticked.
    let (_, stderr, code) = bin.run_full(&["checklist", "--tick", "mig.users"], "t.json");
    assert_eq!(code, 2, "{stderr}");

    // Prepare: decide every dependency.
    let items = inventory_items(&bin);
    assert!(items.len() > 10, "{items:?}");
    for id in &items {
        ok(
            &bin,
            &["inventory", "--decide", id, "--status", "in-progress"],
        );
    }
    let c = checklist(&bin, &[]);
    assert_eq!(state(&c, "prep.dependencies"), "done");
    assert_eq!(state(&c, "fin.dependencies"), "not_done");

    // Migrate the pilot (and export who must re-register); its users without any method
    // register themselves. Then validate it in Staged Rollout.
    let csv = fx.dir.path().join("reregister.csv");
    ok(
        &bin,
        &[
            "migrate",
            "--group",
            "MFA Pilot",
            "--yes",
            "--json",
            "--reregister-csv",
            csv.to_str().expect("UTF-8"),
        ],
    );
    register_the_rest(&fx, &["MFA Pilot", "MFA Rollout Pilot"]);
    let c = checklist(&bin, &[]);
    assert_eq!(state(&c, "mig.users"), "done", "{}", c["checklist"]);
    assert_eq!(state(&c, "mig.educate"), "done");
    assert_eq!(state(&c, "mig.complete"), "not_done");
    ok(
        &bin,
        &["rollout", "add-group", "MFA Rollout Pilot", "--yes"],
    );
    assert_eq!(state(&checklist(&bin, &[]), "mig.validate"), "not_done");
    for check in [
        "mig.validate.methods",
        "mig.validate.phone",
        "mig.validate.sign_in",
        "mig.validate.push",
        "mig.validate.oath",
    ] {
        checklist(&bin, &["--tick", check, "--note", "pilot users confirmed"]);
    }
    let c = checklist(&bin, &[]);
    assert_eq!(state(&c, "mig.validate"), "done");
    assert_eq!(state(&c, "mig.rollout"), "done");

    // The rest: Wave 1 migrated, registered, in Staged Rollout.
    ok(
        &bin,
        &[
            "migrate",
            "--group",
            "MFA Migration Wave 1",
            "--yes",
            "--json",
        ],
    );
    register_the_rest(&fx, &["MFA Migration Wave 1", "MFA Rollout Wave 1"]);
    ok(
        &bin,
        &["rollout", "add-group", "MFA Rollout Wave 1", "--yes"],
    );
    let c = checklist(&bin, &[]);
    assert_eq!(state(&c, "mig.complete"), "done", "{}", c["checklist"]);
    assert_eq!(state(&c, "mig.rollout"), "done");

    // Dependencies done: the gate opens; the switch goes through and is checked.
    for id in &items {
        ok(&bin, &["inventory", "--decide", id, "--status", "done"]);
    }
    let c = checklist(&bin, &[]);
    assert_eq!(state(&c, "fin.dependencies"), "done");
    assert_eq!(c["gate"].as_array().map(Vec::len), Some(0), "{}", c["gate"]);
    ok(
        &bin,
        &["federation", "set", "contoso.com", "reject", "--yes"],
    );
    for step in ["fin.portal", "fin.decommission"] {
        checklist(&bin, &["--tick", step, "--note", "CHG-1042"]);
    }
    let c = checklist(&bin, &[]);
    assert_eq!(state(&c, "fin.federation"), "done");
    for p in c["checklist"]["phases"].as_array().expect("phases") {
        assert_eq!(p["done"], p["total"], "{p}");
    }
    assert!(c["checklist"]["next"].is_null());

    // The report tells the story: steps, ticks with who and a note, tenant changes.
    let report = fx.dir.path().join("board").join("cutover.md");
    checklist(&bin, &["--report", report.to_str().expect("UTF-8")]);
    let text = std::fs::read_to_string(&report).expect("the report");
    for needle in [
        "[x] `fin.federation`",
        "Preparations: `[##########] 5/5`",
        "pilot users confirmed",
        "CHG-1042",
        "federation.set",
        "rollout.add\\_group",
        "rejectMfaByFederatedIdp",
    ] {
        assert!(text.contains(needle), "{needle} in\n{text}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&report)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the report is private");
    }

    // Roll back: both settings restored, and the checklist says so.
    let c = checklist(&bin, &[]);
    let planned = c["rollback"]["planned"].to_string();
    assert!(
        planned.contains("enforceMfaByFederatedIdp"),
        "{}",
        c["rollback"]
    );
    ok(&bin, &["federation", "rollback", "--yes"]);
    let c = checklist(&bin, &[]);
    assert_eq!(state(&c, "fin.federation"), "not_done");
    assert_eq!(state(&c, "mig.validate"), "not_done");
    assert_eq!(
        fx.sim
            .inspect(|t| t.federation_mfa_behavior("contoso.com"))
            .flatten(),
        Some("enforceMfaByFederatedIdp")
    );
}
