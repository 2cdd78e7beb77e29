//! The Graph client against the documented variants real tenants show, each served by the
//! simulated tenant behind a switch: hardware token lists in both shapes and tokens
//! uploaded through the legacy CSV, the federation PATCH answering 200 with a body, a
//! methods policy not yet migrated and office phones not allowed, a scope the tenant does
//! not know (each AADSTS code) with incremental consent afterwards, the China cloud's
//! refusals, the tenant's size setting the resource-unit budget, and 403s that say what
//! to grant.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mfa_cutover::cloud::Cloud;
use mfa_cutover::config::{AuthKind, GraphSettings};
use mfa_cutover::graph::auth::{
    Capability, CapabilitySet, DeviceCodePrompt, PromptFn, ScopeRefusal, SignInOptions,
    StaticToken, sign_in,
};
use mfa_cutover::graph::model::{
    FederatedIdpMfaBehavior, HashFunction, NewRolloutPolicy, StagedFeature,
};
use mfa_cutover::graph::{
    ClientOptions, GraphClient, GraphRoot, Limits, NewHardwareToken, RetryPolicy, TenantSize,
    TokenKind,
};
use mfa_cutover::migrate::{PhoneSlot, PolicyMigration, PreferredMethod};
use mfa_cutover::phone::PhoneNumber;
use mfa_cutover::secret::OathSecret;
use mfa_cutover::sim::{
    DeviceFlow, DeviceListShape, FedPatchStatus, PolicyMigrationState, ScopeRefusalCode, Sim,
    SimCloud, SimConfig, Variants,
};

const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

async fn start(users: usize, variants: Variants) -> Sim {
    let sim = Sim::start(SimConfig {
        seed: 5,
        users,
        variants,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    // Sign-ins approve at the first poll: the tests wait for nothing.
    sim.set_device_flow(DeviceFlow {
        pending_polls: 0,
        ..DeviceFlow::default()
    });
    sim
}

fn limits() -> Limits {
    let mut l = Limits::from_settings(&GraphSettings::default());
    l.writes_per_window = 1_000_000;
    l.resource_units = 10_000_000;
    l.resource_units_configured = true;
    l
}

fn client_with(sim: &Sim, token: &str, limits: Limits) -> GraphClient {
    let mut opts = ClientOptions::new(GraphRoot::parse(sim.url()).unwrap(), limits);
    opts.retry = RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
        ..RetryPolicy::default()
    };
    GraphClient::new(Arc::new(StaticToken::new(token).unwrap()), opts).unwrap()
}

fn client(sim: &Sim) -> GraphClient {
    client_with(sim, sim.token(), limits())
}

fn user_ids(sim: &Sim, n: usize) -> Vec<String> {
    sim.inspect(|t| t.users().take(n).map(|u| u.id()).collect())
}

fn token<'a>(serial: &'a str, secret: &'a OathSecret) -> NewHardwareToken<'a> {
    NewHardwareToken {
        serial_number: serial,
        manufacturer: "Contoso",
        model: "OTP c200",
        secret,
        time_interval_secs: 30,
        hash_function: HashFunction::HmacSha1,
        display_name: None,
        assign_to: None,
    }
}

/// The raw inventory answer, to see which shape the tenant served.
async fn raw_inventory(sim: &Sim) -> serde_json::Value {
    let url = format!(
        "{}/beta/directory/authenticationMethodDevices/hardwareOathDevices",
        sim.url()
    );
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(url)
        .bearer_auth(sim.token())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn hardware_inventory_lists_are_read_in_both_documented_shapes() {
    let sim = start(20, Variants::default()).await;
    let c = client(&sim);
    let ids = user_ids(&sim, 1);
    let secret = OathSecret::from_base32(SECRET).unwrap();
    let mut t = token("SHAPE-1", &secret);
    t.assign_to = Some(&ids[0]);
    c.create_hardware_token(&t).await.unwrap();

    for shape in [DeviceListShape::Flat, DeviceListShape::Wrapped] {
        sim.set_variants(Variants {
            device_list_shape: shape,
            ..Variants::default()
        });
        let raw = raw_inventory(&sim).await;
        let first = &raw["value"][0];
        assert_eq!(
            first.get("device").is_some(),
            shape == DeviceListShape::Wrapped,
            "{first}"
        );
        let found = c.find_hardware_token("shape-1").await.unwrap().unwrap();
        assert_eq!(found.serial_number.as_deref(), Some("SHAPE-1"), "{shape:?}");
        assert_eq!(found.to_inventory().assigned_to(), Some(ids[0].as_str()));
        let all = c.hardware_tokens().collect_all().await.unwrap();
        assert_eq!(all.len(), 1, "{shape:?}");
        assert!(c.find_hardware_token("SHAPE-2").await.unwrap().is_none());
    }
}

#[tokio::test]
async fn a_legacy_csv_token_shows_under_its_user_only_and_a_create_says_it_exists() {
    let sim = start(20, Variants::default()).await;
    let c = client(&sim);
    let ids = user_ids(&sim, 2);
    sim.configure(|a| a.add_legacy_csv_token("LEGACY-7", SECRET, &ids[1], true))
        .unwrap();
    assert!(c.find_hardware_token("LEGACY-7").await.unwrap().is_none());
    let theirs = c.list_user_hardware_tokens(&ids[1]).await.unwrap();
    assert_eq!(
        theirs[0]
            .device
            .as_ref()
            .and_then(|d| d.serial_number.as_deref()),
        Some("LEGACY-7")
    );
    let secret = OathSecret::from_base32(SECRET).unwrap();
    let err = c
        .create_hardware_token(&token("LEGACY-7", &secret))
        .await
        .unwrap_err();
    assert!(err.is_refusal(), "{err}");
    assert!(err.says_already_exists(), "{err}");
}

#[tokio::test]
async fn federation_patch_finds_the_id_first_and_takes_204_and_200() {
    for status in [FedPatchStatus::NoContent, FedPatchStatus::OkWithBody] {
        let sim = start(
            20,
            Variants {
                fed_patch_status: status,
                ..Variants::default()
            },
        )
        .await;
        let c = client(&sim);
        let change = c
            .set_domain_mfa_behavior(
                "contoso.com",
                &FederatedIdpMfaBehavior::EnforceMfaByFederatedIdp,
            )
            .await
            .unwrap();
        assert_eq!(change.before, None, "unset before");
        assert!(!change.id.is_empty());
        match status {
            FedPatchStatus::NoContent => assert!(change.answered.is_none()),
            FedPatchStatus::OkWithBody => assert_eq!(
                change.answered.unwrap().federated_idp_mfa_behavior,
                Some(FederatedIdpMfaBehavior::EnforceMfaByFederatedIdp)
            ),
        }
        assert_eq!(
            sim.inspect(|t| t.federation_mfa_behavior("contoso.com")),
            Some(Some("enforceMfaByFederatedIdp"))
        );
        let again = c
            .set_domain_mfa_behavior(
                "contoso.com",
                &FederatedIdpMfaBehavior::RejectMfaByFederatedIdp,
            )
            .await
            .unwrap();
        assert_eq!(
            again.before,
            Some(FederatedIdpMfaBehavior::EnforceMfaByFederatedIdp)
        );
        // A managed domain has no configuration: refused before anything is sent.
        let writes = sim.stats().writes;
        let managed = c
            .set_domain_mfa_behavior(
                "contoso.onmicrosoft.com",
                &FederatedIdpMfaBehavior::RejectMfaByFederatedIdp,
            )
            .await
            .unwrap_err();
        assert!(
            managed.explanation().contains("managed domain"),
            "{managed}"
        );
        assert_eq!(sim.stats().writes, writes);
    }
}

#[tokio::test]
async fn a_policy_not_yet_migrated_and_office_phones_not_allowed_read_as_facts() {
    let sim = start(
        20,
        Variants {
            policy_migration_state: PolicyMigrationState::PreMigration,
            office_phone_allowed: false,
            ..Variants::default()
        },
    )
    .await;
    let c = client(&sim);
    let facts = c.get_methods_policy().await.unwrap().to_facts();
    assert_eq!(facts.migration, PolicyMigration::PreMigration);
    assert!(!facts.office_phone_allowed);
    let allowed = facts.for_user(&|_| false);
    assert!(!allowed.office_phone && allowed.migration.legacy_in_force());
    let text: Vec<String> = facts.findings().iter().map(ToString::to_string).collect();
    assert!(text.iter().any(|t| t.contains("preMigration")), "{text:#?}");
    assert!(
        text.iter().any(|t| t.contains("isOfficePhoneAllowed")),
        "{text:#?}"
    );

    // The tenant refuses an office-phone default as Entra would.
    let ids = user_ids(&sim, 1);
    sim.configure(|a| {
        a.set_phone(
            &ids[0],
            mfa_cutover::sim::PhoneType::Office,
            Some("+1 4255550100x12"),
        )
    })
    .unwrap();
    let err = c
        .set_default_method(&ids[0], PreferredMethod::VoiceOffice)
        .await
        .unwrap_err();
    assert!(err.is_refusal(), "{err}");
}

#[tokio::test]
async fn the_tenants_size_sets_the_resource_unit_budget_unless_configured() {
    let sim = start(30, Variants::default()).await;
    let users = sim.inspect(|t| t.user_count()) as u64;
    assert!(users < 50);
    assert_eq!(client(&sim).count_users().await.unwrap(), users);

    let mut free = Limits::from_settings(&GraphSettings::default());
    assert!(!free.resource_units_configured);
    free.writes_per_window = 1_000_000;
    let c = client_with(&sim, sim.token(), free);
    assert_eq!(c.limiter().resource_units(), 8_000.0);
    assert_eq!(
        c.budget_by_tenant_size().await.unwrap(),
        Some(TenantSize::Small)
    );
    assert!((c.limiter().resource_units() - 3_500.0).abs() < 1e-6);
    // Still adapting: a 429 cuts the rate on top of the budget.
    c.limiter().on_throttled(
        mfa_cutover::graph::limiter::ThrottleScope::ResourceUnits,
        Duration::from_millis(1),
    );
    assert!(c.limiter().state().ru_factor < 1.0);

    let configured = client(&sim);
    let requests = sim.stats().requests;
    assert_eq!(configured.budget_by_tenant_size().await.unwrap(), None);
    assert_eq!(
        sim.stats().requests,
        requests,
        "nothing sent when configured"
    );
    assert_eq!(TenantSize::from_users(49), TenantSize::Small);
    assert_eq!(TenantSize::from_users(50), TenantSize::Medium);
    assert_eq!(TenantSize::from_users(500), TenantSize::Medium);
    assert_eq!(TenantSize::from_users(501).resource_units(), 8_000);
}

#[tokio::test]
async fn the_china_cloud_refuses_what_its_graph_lacks_and_says_so_first() {
    let sim = start(
        20,
        Variants {
            cloud: SimCloud::China,
            ..Variants::default()
        },
    )
    .await;
    let c = client(&sim);
    let ids = user_ids(&sim, 1);
    let number = PhoneNumber::from_graph("+86 13800000000").unwrap();
    sim.configure(|a| a.set_phone(&ids[0], mfa_cutover::sim::PhoneType::Mobile, None))
        .unwrap();
    c.add_phone_method(&ids[0], PhoneSlot::Mobile, &number)
        .await
        .unwrap();
    let update = c
        .update_phone_method(&ids[0], PhoneSlot::Mobile, &number)
        .await
        .unwrap_err();
    assert!(matches!(update.status(), Some(400..=499)), "{update}");
    assert!(c.list_rollout_policies().await.is_err());
    assert!(c.find_hardware_token("X").await.is_err());

    // What the tool says before any write, in this cloud.
    let findings: Vec<String> = Cloud::China
        .findings()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(findings.len(), 3, "{findings:#?}");
    assert!(findings.iter().any(|f| f.starts_with("[H3]")));
    assert!(findings.iter().any(|f| f.starts_with("[P6]")));
    assert!(
        findings
            .iter()
            .any(|f| f.starts_with("[R2]") && f.contains("Staged Rollout"))
    );
    assert_eq!(Cloud::Usgov.findings().len(), 1);
    assert!(Cloud::Global.findings().is_empty());
}

fn device_code(sim: &Sim, caps: CapabilitySet, shown: Arc<Mutex<usize>>) -> SignInOptions {
    let prompt: PromptFn = Arc::new(move |_: &DeviceCodePrompt| {
        *shown.lock().unwrap() += 1;
    });
    SignInOptions {
        kind: AuthKind::DeviceCode,
        cloud: Cloud::Global,
        graph_root: GraphRoot::parse(sim.url()).unwrap(),
        tenant: Some(sim.tenant_id().to_string()),
        client_id: None,
        certificate: None,
        authority: None,
        prompt: Some(prompt),
        capabilities: caps,
    }
}

#[tokio::test]
async fn a_scope_the_tenant_does_not_know_costs_its_capability_not_the_sign_in() {
    for (code, reason) in [
        (ScopeRefusalCode::InvalidScope, ScopeRefusal::InvalidScope),
        (ScopeRefusalCode::NotOnResource, ScopeRefusal::NotOnResource),
    ] {
        let sim = start(
            10,
            Variants {
                unknown_scopes: vec!["Policy.ReadWrite.HybridAuthentication".into()],
                scope_refusal: code,
                ..Variants::default()
            },
        )
        .await;
        let shown = Arc::new(Mutex::new(0));
        let session = sign_in(device_code(&sim, CapabilitySet::ALL, shown.clone()))
            .await
            .unwrap();
        assert_eq!(*shown.lock().unwrap(), 2, "asked again without the scope");
        assert_eq!(session.refused.len(), 1, "{:?}", session.refused);
        let r = &session.refused[0];
        assert_eq!(r.capability, Capability::Rollout);
        assert_eq!(r.reason, reason);
        assert_eq!(r.scopes, ["Policy.ReadWrite.HybridAuthentication"]);
        assert!(session.capabilities.contains(Capability::Migration));
        assert!(session.capabilities.contains(Capability::Federation));
        assert!(!session.capabilities.contains(Capability::Rollout));
        let f = session.findings()[0].to_string();
        assert!(f.contains("managing Staged Rollout is unavailable"), "{f}");
        assert!(f.contains(&format!("AADSTS{}", code.code())), "{f}");
        // The session works for what it has.
        let mut opts = ClientOptions::new(GraphRoot::parse(sim.url()).unwrap(), limits());
        opts.retry = RetryPolicy::default();
        let c = GraphClient::new(session.tokens.clone(), opts).unwrap();
        assert!(!c.list_domains().await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn an_unnamed_refusal_drops_every_optional_capability_then_consent_adds_them_back() {
    let sim = start(
        10,
        Variants {
            unknown_scopes: vec!["Policy.ReadWrite.HybridAuthentication".into()],
            scope_refusal: ScopeRefusalCode::NotConsented,
            ..Variants::default()
        },
    )
    .await;
    let shown = Arc::new(Mutex::new(0));
    let mut session = sign_in(device_code(&sim, CapabilitySet::ALL, shown.clone()))
        .await
        .unwrap();
    // AADSTS65001 names no scope: nothing is blamed alone.
    let refused: Vec<Capability> = session.refused.iter().map(|r| r.capability).collect();
    assert_eq!(refused, [Capability::Rollout, Capability::Federation]);
    assert!(
        session
            .refused
            .iter()
            .all(|r| r.reason == ScopeRefusal::NotConsented)
    );
    assert_eq!(
        session.capabilities,
        CapabilitySet::only(Capability::Migration)
    );

    // Incremental consent: federation when it is used (the refresh token serves it).
    let prompt: PromptFn = Arc::new(|_: &DeviceCodePrompt| {});
    assert_eq!(
        session
            .add_capability(Capability::Federation, &prompt)
            .await
            .unwrap(),
        None
    );
    assert!(session.capabilities.contains(Capability::Federation));
    assert!(
        session
            .refused
            .iter()
            .all(|r| r.capability != Capability::Federation)
    );
    let mut opts = ClientOptions::new(GraphRoot::parse(sim.url()).unwrap(), limits());
    opts.retry = RetryPolicy::default();
    let c = GraphClient::new(session.tokens.clone(), opts).unwrap();
    assert!(c.get_federation("contoso.com").await.unwrap().is_some());
    // Rollout stays unavailable, and says why; the session goes on.
    let refusal = session
        .add_capability(Capability::Rollout, &prompt)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(refusal.reason, ScopeRefusal::NotConsented);
    assert!(c.get_federation("contoso.com").await.unwrap().is_some());
    assert_eq!(session.identity.kind, TokenKind::Delegated);
}

#[tokio::test]
async fn migration_only_asks_for_migration_scopes() {
    let sim = start(10, Variants::default()).await;
    let shown = Arc::new(Mutex::new(0));
    let session = sign_in(device_code(
        &sim,
        CapabilitySet::only(Capability::Migration),
        shown,
    ))
    .await
    .unwrap();
    assert!(session.refused.is_empty());
    let perms = &session.identity.permissions;
    assert!(
        perms
            .iter()
            .any(|p| p == "UserAuthenticationMethod.ReadWrite.All"),
        "{perms:?}"
    );
    assert!(
        !perms.iter().any(|p| p.contains("HybridAuthentication")),
        "{perms:?}"
    );
    assert!(!perms.iter().any(|p| p.starts_with("Domain")), "{perms:?}");
}

#[tokio::test]
async fn every_403_says_what_to_grant() {
    let sim = start(10, Variants::default()).await;
    let narrow = sim.mint_token(
        mfa_cutover::sim::TokenKind::Delegated,
        Duration::from_secs(600),
        Some(&["User.Read.All", "Domain.Read.All"]),
    );
    let c = client_with(&sim, &narrow, limits());
    let create = c
        .create_rollout_policy(&NewRolloutPolicy {
            display_name: "MFA rollout policy".into(),
            description: None,
            feature: StagedFeature::MultiFactorAuthentication,
            is_enabled: true,
            is_applied_to_organization: false,
        })
        .await
        .unwrap_err()
        .explanation();
    assert!(
        create.contains("grant the delegated permission Directory.ReadWrite.All"),
        "{create}"
    );
    assert!(
        create.contains("Policy.ReadWrite.HybridAuthentication"),
        "{create}"
    );
    let add = c
        .add_rollout_group("p", "g")
        .await
        .unwrap_err()
        .explanation();
    assert!(
        add.contains("grant the delegated permission Policy.ReadWrite.HybridAuthentication"),
        "{add}"
    );
    assert!(add.contains("Directory.ReadWrite.All"), "{add}");
    let fed = c
        .set_federated_idp_mfa_behavior(
            "contoso.com",
            "x",
            &FederatedIdpMfaBehavior::RejectMfaByFederatedIdp,
        )
        .await
        .unwrap_err()
        .explanation();
    assert!(
        fed.contains("Domain-InternalFederation.ReadWrite.All"),
        "{fed}"
    );
    assert!(fed.contains("Directory.AccessAsUser.All"), "{fed}");
}
