//! Staged Rollout and federation against the simulated tenant, over real HTTP on
//! loopback: the Graph reads the interlocks need (a group's direct members with their
//! kinds, user counts), each refusal decided from those reads before any write (and the
//! simulated tenant refusing the same, as Entra does), an app-only sign-in refused before
//! Graph and by Graph with the device-code way out, rollback restoring both settings, and
//! drift after changes made behind the tool's back through the sim's admin routes.

#![allow(clippy::unwrap_used)]

mod sim_support;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mfa_cutover::finding::RuleId;
use mfa_cutover::graph::auth::{Claims, DeviceCodePrompt, SignInOptions, StaticToken, sign_in};
use mfa_cutover::graph::model::{NewRolloutPolicy, RolloutPolicyPatch, StagedFeature};
use mfa_cutover::graph::{ClientOptions, GraphClient, GraphRoot, Limits, RetryPolicy};
use mfa_cutover::rollout::{
    self, AddGroup, Decision, DomainFacts, FederationValue, GroupInfo, GroupReadiness, LastWrite,
    Member, MfaBehavior, MigrationState, NextStep, PolicySnapshot, RollbackWrite,
    RolloutPolicyFacts, Rule, Wave,
};
use mfa_cutover::sim::{Sim, SimConfig, group_names};
use reqwest::StatusCode;
use serde_json::json;

// ---------------------------------------------------------------------------------
// Helpers: the reads a rollout service makes, and a client
// ---------------------------------------------------------------------------------

async fn start(users: usize) -> Sim {
    Sim::start(SimConfig {
        seed: 1,
        users,
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

fn options(sim: &Sim) -> ClientOptions {
    let root = GraphRoot::parse(sim.url()).unwrap();
    let mut opts = ClientOptions::new(
        root,
        Limits {
            writes_per_window: 1_000_000,
            write_window: Duration::from_secs(1),
            resource_units: 10_000_000,
            ru_window: Duration::from_secs(1),
            headroom: 1.0,
            concurrency: 8,
            resource_units_configured: true,
        },
    );
    opts.retry = RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
        request_timeout: Duration::from_secs(20),
        ..RetryPolicy::default()
    };
    opts
}

fn client_with(sim: &Sim, token: &str) -> GraphClient {
    GraphClient::new(Arc::new(StaticToken::new(token).unwrap()), options(sim)).unwrap()
}

fn client(sim: &Sim) -> GraphClient {
    client_with(sim, sim.token())
}

/// Users the sim shows with some method (a phone or an authenticator): the stand-in for
/// the usable-method rule here.
fn with_methods(sim: &Sim) -> HashSet<String> {
    sim.inspect(|t| {
        t.users()
            .filter(|u| !u.phones().is_empty() || !u.authenticators().is_empty())
            .map(|u| u.id())
            .collect()
    })
}

/// A group's readiness as a rollout service reads it: the group, its direct members page
/// by page, each nested group's user count.
async fn readiness(c: &GraphClient, name: &str, usable: &HashSet<String>) -> GroupReadiness {
    let g = c.find_groups(name).await.unwrap().remove(0);
    let mut r = GroupReadiness::new(GroupInfo::from_graph(&g));
    let mut pages = c.group_direct_members(&g.id);
    while let Some(page) = pages.next_page().await.unwrap() {
        for o in page {
            let nested = match o.kind() {
                mfa_cutover::graph::model::MemberKind::Group => {
                    Some(c.count_group_users(&o.id, true).await.unwrap())
                }
                _ => None,
            };
            let has = usable.contains(&o.id);
            r.add(&Member::from_graph(
                &o,
                MigrationState::NotMigrated,
                has,
                nested,
            ));
        }
    }
    r
}

async fn policy(c: &GraphClient) -> Option<RolloutPolicyFacts> {
    c.find_mfa_rollout_policy()
        .await
        .unwrap()
        .map(|p| RolloutPolicyFacts::from_graph(&p))
}

async fn create_policy(c: &GraphClient) -> RolloutPolicyFacts {
    let p = c
        .create_rollout_policy(&NewRolloutPolicy {
            display_name: rollout::POLICY_NAME.into(),
            description: Some(rollout::POLICY_NAME.into()),
            feature: StagedFeature::MultiFactorAuthentication,
            is_enabled: true,
            is_applied_to_organization: false,
        })
        .await
        .unwrap();
    RolloutPolicyFacts::from_graph(&p)
}

async fn domains(c: &GraphClient) -> Vec<DomainFacts> {
    let mut out = Vec::new();
    for d in c.list_domains().await.unwrap() {
        let fed = if d.is_federated() {
            c.get_federation(&d.id).await.unwrap()
        } else {
            None
        };
        out.push(DomainFacts::from_graph(&d, fed.as_ref(), None));
    }
    out
}

// ---------------------------------------------------------------------------------
// The reads
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn direct_members_and_counts_are_what_staged_rollout_sees() {
    let sim = start(600).await;
    let c = client(&sim);
    let usable = with_methods(&sim);

    // Wave 3's rollout group: synced and cloud-only users, and a nested group whose users
    // stay out of scope.
    let wave3 = readiness(&c, group_names::ROLLOUT_WAVES[2], &usable).await;
    let (direct, synced, nested, transitive) = sim.inspect(|t| {
        let g = t.group(group_names::ROLLOUT_WAVES[2]).unwrap();
        let direct = g.direct_users();
        let synced = direct
            .iter()
            .filter(|u| t.user(u).unwrap().synced())
            .count() as u64;
        let nested = t.group(group_names::BRANCH_OFFICES).unwrap().user_count() as u64;
        (direct.len() as u64, synced, nested, g.user_count() as u64)
    });
    assert_eq!(wave3.tally.users, direct);
    assert_eq!(wave3.tally.in_scope, synced);
    assert!(wave3.tally.cloud_only > 0, "wave 3 holds cloud-only users");
    assert_eq!(wave3.nested.len(), 1);
    assert_eq!(wave3.nested[0].group.name, group_names::BRANCH_OFFICES);
    assert_eq!(wave3.nested_users(), nested);
    assert!(nested > 0);
    assert_eq!(wave3.members, direct + 1);

    let id = wave3.group.id.clone();
    assert_eq!(c.count_group_users(&id, false).await.unwrap(), direct);
    assert_eq!(c.count_group_users(&id, true).await.unwrap(), transitive);
    assert_eq!(transitive, direct + nested);

    // The contractors' group holds a contact; the dynamic group says so.
    let contractors = readiness(&c, group_names::CONTRACTORS, &usable).await;
    assert_eq!(contractors.contacts, 1);
    let dynamic = readiness(&c, group_names::DYNAMIC, &usable).await;
    assert!(dynamic.dynamic);

    // Waves 1 and 2 and the pilot hold synced users only, no nesting.
    for name in [
        group_names::ROLLOUT_PILOT,
        group_names::ROLLOUT_WAVES[0],
        group_names::ROLLOUT_WAVES[1],
    ] {
        let g = readiness(&c, name, &usable).await;
        assert!(g.tally.in_scope > 0, "{name}");
        assert_eq!((g.tally.cloud_only, g.nested.len()), (0, 0), "{name}");
    }
}

#[tokio::test]
async fn the_demo_waves_read_as_waves_with_their_next_step() {
    let sim = start(400).await;
    let c = client(&sim);
    // Everyone holding a method counts as ready here; the rest are not.
    let usable = with_methods(&sim);
    let p = policy(&c).await;
    assert!(
        p.is_none(),
        "the generated tenant starts with no MFA rollout policy"
    );
    // The demo's configuration carries the tenant's waves.
    let base = mfa_cutover::config::Config::resolve(
        None,
        mfa_cutover::config::FileConfig::default(),
        &mfa_cutover::config::Overrides::default(),
    )
    .unwrap();
    let config = mfa_cutover::cli::demo::config(base, &std::env::temp_dir(), None);
    assert_eq!(config.waves.len(), group_names::DEMO_WAVES.len());
    assert!(rollout::wave::validate(&config.waves).is_empty());
    assert_eq!(
        config.waves[0],
        Wave::new("Pilot", group_names::PILOT, group_names::ROLLOUT_PILOT)
    );
    let mut waves = Vec::new();
    for wave in &config.waves {
        let m = readiness(&c, &wave.migrate, &usable).await;
        let r = readiness(&c, &wave.rollout, &usable).await;
        waves.push(rollout::wave_readiness(wave, Some(m), Some(r), p.as_ref()));
    }
    for w in &waves {
        assert!(!w.in_policy);
        assert!(
            matches!(
                w.next,
                NextStep::Migrate { .. } | NextStep::AddToRollout { .. }
            ),
            "{}",
            w.suggestion()
        );
        assert!(w.suggestion().starts_with(&format!("{}: ", w.wave.name)));
    }
}

// ---------------------------------------------------------------------------------
// Refusals: decided before any write; the sim refuses the same
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn an_eleventh_group_a_dynamic_group_and_a_group_with_a_contact_are_refused_with_zero_writes()
{
    let sim = start(300).await;
    let c = client(&sim);
    let usable = with_methods(&sim);
    let mut p = create_policy(&c).await;
    let extra: Vec<String> = sim.configure(|a| {
        (0..11)
            .map(|n| a.add_group(&format!("Rollout extra {n}"), &[]).unwrap())
            .collect()
    });
    for id in &extra[..10] {
        c.add_rollout_group(&p.id, id).await.unwrap();
    }
    p = policy(&c).await.unwrap();
    assert_eq!(p.groups.len(), 10);

    let writes = sim.stats().writes;
    for (name, why) in [
        ("Rollout extra 10", "already targets 10 groups"),
        (group_names::DYNAMIC, "dynamic"),
        (group_names::CONTRACTORS, "contact"),
    ] {
        let g = readiness(&c, name, &usable).await;
        let v = rollout::check_add_group(AddGroup {
            group: &g,
            policy: Some(&p),
            waves: &[],
            inventory: Vec::new(),
        });
        assert_eq!(
            v.decide(true),
            Decision::Refused {
                by: vec![RuleId::from(Rule::R2)]
            },
            "{name}: --force does not override R2"
        );
        assert!(
            v.refusals.iter().any(|f| f.text.contains(why)),
            "{name}: {:?}",
            v.refusals
        );
        assert!(v.blast_line(true).ends_with("— refused by R2"));
    }
    assert_eq!(sim.stats().writes, writes, "refusals write nothing");

    // The simulated tenant refuses them too, as Entra does (400), writing nothing.
    let p = policy(&c).await.unwrap();
    let eleventh = &extra[10];
    let dynamic = c.find_groups(group_names::DYNAMIC).await.unwrap().remove(0);
    let contractors = c
        .find_groups(group_names::CONTRACTORS)
        .await
        .unwrap()
        .remove(0);
    for id in [eleventh, &dynamic.id, &contractors.id] {
        let e = c.add_rollout_group(&p.id, id).await.unwrap_err();
        assert_eq!(e.status(), Some(400), "{e}");
        assert!(e.is_refusal(), "{e}");
    }
    assert_eq!(sim.stats().writes, writes);
    assert_eq!(policy(&c).await.unwrap().groups.len(), 10);
}

#[tokio::test]
async fn the_mfa_feature_reads_back_only_with_the_prefer_header() {
    let sim = start(20).await;
    let c = client(&sim);
    let p = create_policy(&c).await;
    let raw = sim_support::Client::new(&sim);
    let path = format!("/v1.0/policies/featureRolloutPolicies/{}", p.id);
    let plain = raw.get(&path).await;
    assert_eq!(plain.body["feature"], "unknownFutureValue");
    let with = raw
        .call(
            reqwest::Method::GET,
            &path,
            &[("Prefer", "include-unknown-enum-members")],
            None,
        )
        .await;
    assert_eq!(with.body["feature"], "multiFactorAuthentication");
    // The client always sends the header: it finds the policy.
    assert!(c.find_mfa_rollout_policy().await.unwrap().is_some());
}

// ---------------------------------------------------------------------------------
// App-only
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn an_app_only_sign_in_is_refused_before_graph_and_by_graph_and_a_device_code_works() {
    let sim = start(50).await;
    let token = sim.app_token();
    let identity = Claims::decode(&token)
        .unwrap()
        .identity(mfa_cutover::cloud::Cloud::Global, true);
    let caps = mfa_cutover::capability::Capabilities::of(&identity, None, None);

    // Before any Graph call: the refusal says why and what to do.
    let f = rollout::require_staged_rollout(&caps).unwrap();
    assert_eq!(f.rule, RuleId::from(Rule::Access));
    assert!(f.text.contains("app-only"), "{}", f.text);
    assert!(f.fix.as_deref().unwrap().contains("device code"));
    assert!(!caps.manage_rollout.is_available());
    assert!(caps.write_methods.is_available());

    // Graph refuses it too (403), and the error says the same.
    let requests = sim.stats().requests;
    let app = client_with(&sim, &token);
    let e = app.list_rollout_policies().await.unwrap_err();
    assert_eq!(e.status(), Some(403));
    assert!(
        e.explanation().contains("device-code"),
        "{}",
        e.explanation()
    );
    assert!(sim.stats().requests > requests);

    // The way out: a device-code sign-in, which Staged Rollout accepts.
    let shown: Arc<Mutex<Vec<DeviceCodePrompt>>> = Arc::default();
    let sink = shown.clone();
    let session = sign_in(SignInOptions {
        kind: mfa_cutover::config::AuthKind::DeviceCode,
        cloud: mfa_cutover::cloud::Cloud::Global,
        graph_root: GraphRoot::parse(sim.url()).unwrap(),
        tenant: Some(sim.tenant_id().to_string()),
        client_id: None,
        certificate: None,
        authority: None,
        prompt: Some(Arc::new(move |p: &DeviceCodePrompt| {
            sink.lock().unwrap().push(p.clone())
        })),
        capabilities: mfa_cutover::graph::auth::CapabilitySet::ALL,
    })
    .await
    .unwrap();
    assert_eq!(shown.lock().unwrap().len(), 1);
    let caps = mfa_cutover::capability::Capabilities::of(&session.identity, None, None);
    assert!(rollout::require_staged_rollout(&caps).is_none(), "{caps:?}");
    let c = GraphClient::new(session.tokens.clone(), options(&sim)).unwrap();
    assert!(c.list_rollout_policies().await.unwrap().is_empty());
}

// ---------------------------------------------------------------------------------
// Rollback and drift
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn rollback_restores_both_settings() {
    let sim = start(200).await;
    let c = client(&sim);
    let usable = with_methods(&sim);

    // Cut over: a wave in Staged Rollout, the federated domain at reject.
    let p = create_policy(&c).await;
    let wave1 = readiness(&c, group_names::ROLLOUT_WAVES[0], &usable).await;
    c.add_rollout_group(&p.id, &wave1.group.id).await.unwrap();
    let ds = domains(&c).await;
    let fed = ds.iter().find(|d| d.federated).unwrap();
    assert_eq!(fed.value, FederationValue::Unset);
    c.set_federated_idp_mfa_behavior(
        &fed.name,
        fed.federation_id.as_deref().unwrap(),
        &MfaBehavior::RejectMfaByFederatedIdp.to_graph(),
    )
    .await
    .unwrap();

    // F2 as one plan from what is live now.
    let ds = domains(&c).await;
    let p = policy(&c).await.unwrap();
    let plan = rollout::plan_rollback(&ds, Some(&p), Some(wave1.tally.in_scope));
    assert_eq!(plan.verdict.decide(false), Decision::Proceed);
    assert_eq!(plan.writes.len(), 2, "{:?}", plan.writes);
    assert!(matches!(
        plan.verdict.confirmation,
        rollout::Confirmation::Tier3 { ref type_text } if type_text == "contoso.com"
    ));
    for w in &plan.writes {
        match w {
            RollbackWrite::SetFederation {
                domain,
                federation_id,
                ..
            } => c
                .set_federated_idp_mfa_behavior(
                    domain,
                    federation_id.as_deref().unwrap(),
                    &MfaBehavior::EnforceMfaByFederatedIdp.to_graph(),
                )
                .await
                .map(|_| ())
                .unwrap(),
            RollbackWrite::DisableRollout { policy_id, .. } => c
                .update_rollout_policy(
                    policy_id,
                    &RolloutPolicyPatch {
                        is_enabled: Some(false),
                        ..Default::default()
                    },
                )
                .await
                .unwrap(),
        }
    }

    // Read back: both settings are in the rollback state, and a second plan has
    // nothing to do.
    let ds = domains(&c).await;
    let fed = ds.iter().find(|d| d.federated).unwrap();
    assert_eq!(
        fed.value,
        FederationValue::Set(MfaBehavior::EnforceMfaByFederatedIdp)
    );
    let p = policy(&c).await.unwrap();
    assert!(!p.enabled);
    assert_eq!(
        sim.inspect(|t| t.federation_mfa_behavior("contoso.com")),
        Some(Some("enforceMfaByFederatedIdp"))
    );
    let again = rollout::plan_rollback(&ds, Some(&p), None);
    assert!(again.writes.is_empty());
    assert_eq!(again.verdict.decide(false), Decision::NothingToDo);
}

#[tokio::test]
async fn drift_is_detected_after_changes_behind_the_tools_back() {
    let sim = start(200).await;
    let c = client(&sim);
    let usable = with_methods(&sim);
    let p = create_policy(&c).await;
    let pilot = readiness(&c, group_names::ROLLOUT_PILOT, &usable).await;
    c.add_rollout_group(&p.id, &pilot.group.id).await.unwrap();
    let ds = domains(&c).await;
    let fed = ds.iter().find(|d| d.federated).unwrap().clone();
    c.set_federated_idp_mfa_behavior(
        &fed.name,
        fed.federation_id.as_deref().unwrap(),
        &MfaBehavior::EnforceMfaByFederatedIdp.to_graph(),
    )
    .await
    .unwrap();

    // What the tool wrote (its audit records' `after`).
    let at = chrono::Utc::now();
    let wrote = LastWrite {
        value: PolicySnapshot::of(policy(&c).await.as_ref()),
        at,
    };
    let wrote_fed = LastWrite {
        value: FederationValue::Set(MfaBehavior::EnforceMfaByFederatedIdp),
        at,
    };
    assert!(rollout::policy_drift(Some(&wrote), &wrote.value).is_none());

    // Someone else turns the policy off and adds a group over HTTP, and changes the
    // domain in process: neither is a Graph write of the tool.
    let writes = sim.stats().writes;
    let admin = sim_support::Client::new(&sim);
    let a = admin
        .post(
            "/_sim/admin/rollout",
            json!({"isEnabled": false, "addGroup": group_names::ROLLOUT_WAVES[1]}),
        )
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{:?}", a.body);
    sim.configure(|a| {
        a.set_federation_mfa_behavior("contoso.com", Some("acceptIfMfaDoneByFederatedIdp"))
    })
    .unwrap();
    assert_eq!(sim.stats().writes, writes);

    let live = PolicySnapshot::of(policy(&c).await.as_ref());
    let f = rollout::policy_drift(Some(&wrote), &live).unwrap();
    assert_eq!(f.rule, RuleId::from(Rule::Drift));
    assert!(f.text.contains("turned off (was on)"), "{}", f.text);
    assert!(
        f.text.contains(&format!(
            "group \"{}\" added",
            group_names::ROLLOUT_WAVES[1]
        )),
        "{}",
        f.text
    );
    let ds = domains(&c).await;
    let live_fed = &ds.iter().find(|d| d.federated).unwrap().value;
    let f = rollout::federation_drift("contoso.com", Some(&wrote_fed), live_fed).unwrap();
    assert!(
        f.text.contains("now says acceptIfMfaDoneByFederatedIdp"),
        "{}",
        f.text
    );
}

#[tokio::test]
async fn the_admin_routes_take_the_admin_token_and_entras_rules() {
    let sim = start(50).await;
    let raw = sim_support::Client::new(&sim);
    let body = json!({"addGroup": group_names::PILOT});
    let none = sim_support::Client::new(&sim)
        .with_token(String::new())
        .post("/_sim/admin/rollout", body.clone())
        .await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    let app = sim_support::Client::new(&sim)
        .with_token(sim.app_token())
        .post("/_sim/admin/rollout", body.clone())
        .await;
    assert_eq!(app.status, StatusCode::FORBIDDEN);
    let a = raw
        .post("/_sim/admin/rollout", json!({"isEnabled": true}))
        .await;
    assert_eq!(
        a.status,
        StatusCode::BAD_REQUEST,
        "no policy yet: {:?}",
        a.body
    );
    let a = raw.post("/_sim/admin/rollout", body).await;
    assert_eq!(
        a.status,
        StatusCode::NO_CONTENT,
        "creates the policy: {:?}",
        a.body
    );
    let a = raw
        .post(
            "/_sim/admin/rollout",
            json!({"addGroup": group_names::DYNAMIC}),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(
        a.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("dynamic")
    );
    let a = raw
        .post(
            "/_sim/admin/rollout",
            json!({"removeGroup": "No such group"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let a = raw
        .post("/_sim/admin/rollout", json!({"frobnicate": 1}))
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    let a = raw
        .post(
            "/_sim/admin/federation",
            json!({"domain": "contoso.com", "federatedIdpMfaBehavior": "rejectMfaByFederatedIdp"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    let a = raw
        .post(
            "/_sim/admin/federation",
            json!({"domain": "contoso.onmicrosoft.com", "federatedIdpMfaBehavior": null}),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "a managed domain");
    sim.inspect(|t| {
        assert_eq!(
            t.federation_mfa_behavior("contoso.com"),
            Some(Some("rejectMfaByFederatedIdp"))
        );
        let p = t.rollout_policies().next().unwrap();
        assert_eq!(p.groups(), [group_names::PILOT]);
        assert!(p.is_enabled());
    });
}
