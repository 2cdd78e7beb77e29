//! The Graph client against the simulated tenant, over real HTTP on loopback: every
//! endpoint the tool uses, paging across many pages, a batch whose items are throttled,
//! `Retry-After` honoured (the measured wait is at least the header's), each injected
//! fault recovered, device-code sign-in with refresh, and no token or secret in any log
//! line.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use mfa_cutover::graph::auth::{
    CapabilitySet, DeviceCodePrompt, SignInOptions, StaticToken, sign_in,
};
use mfa_cutover::graph::model::{
    AuthMethod, FederatedIdpMfaBehavior, HashFunction, NewRolloutPolicy, RolloutPolicyPatch,
    StagedFeature,
};
use mfa_cutover::graph::{
    ApiVersion, BatchItem, CallRecord, ClientOptions, GraphClient, GraphRoot, Limits,
    NewHardwareToken, Observer, RetryPolicy, TokenKind, UserFilter,
};
use mfa_cutover::migrate::{PhoneSlot, PreferredMethod};
use mfa_cutover::phone::PhoneNumber;
use mfa_cutover::secret::OathSecret;
use mfa_cutover::sim::{FaultSpec, PhoneType, Quotas, Sim, SimConfig, group_names};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};

// ---------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------

const SEED: u64 = 1;

async fn start(users: usize, quotas: Option<Quotas>, faults: Option<FaultSpec>) -> Sim {
    let mut cfg = SimConfig {
        seed: SEED,
        users,
        quotas,
        ..SimConfig::default()
    };
    if let Some(f) = faults {
        cfg.faults = f;
    }
    Sim::start(cfg).await.unwrap()
}

/// No client-side pacing: lets the tests see the server's throttling.
fn unlimited() -> Limits {
    Limits {
        writes_per_window: 1_000_000,
        write_window: Duration::from_secs(1),
        resource_units: 10_000_000,
        ru_window: Duration::from_secs(1),
        headroom: 1.0,
        concurrency: 16,
        resource_units_configured: true,
    }
}

fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 8,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(400),
        request_timeout: Duration::from_secs(20),
        ..RetryPolicy::default()
    }
}

fn client_with(sim: &Sim, token: &str, limits: Limits, observer: Option<Observer>) -> GraphClient {
    let root = GraphRoot::parse(sim.url()).unwrap();
    let mut opts = ClientOptions::new(root, limits);
    opts.retry = fast_retry();
    opts.observer = observer;
    GraphClient::new(Arc::new(StaticToken::new(token).unwrap()), opts).unwrap()
}

fn client(sim: &Sim) -> GraphClient {
    client_with(sim, sim.token(), unlimited(), None)
}

/// A user of the simulated tenant as its own view shows it (not through the client).
#[derive(Debug, Clone)]
struct Person {
    id: String,
    upn: String,
    sid: Option<String>,
    sam: Option<String>,
    mail: String,
    employee_id: String,
    phones: Vec<(PhoneType, String)>,
    authenticators: Vec<String>,
    default: Option<&'static str>,
}

impl Person {
    fn has(&self, t: PhoneType) -> bool {
        self.phones.iter().any(|(k, _)| *k == t)
    }
}

fn people(sim: &Sim) -> Vec<Person> {
    sim.inspect(|t| {
        t.users()
            .map(|u| Person {
                id: u.id(),
                upn: u.upn().to_string(),
                sid: u.sid().map(str::to_string),
                sam: u.sam_account_name().map(str::to_string),
                mail: u.mail().to_string(),
                employee_id: u.employee_id().to_string(),
                phones: u
                    .phones()
                    .into_iter()
                    .map(|(k, n)| (k, n.to_string()))
                    .collect(),
                authenticators: u.authenticators().iter().map(|a| a.to_string()).collect(),
                default: u.default_method().map(|d| d.graph_name()),
            })
            .collect()
    })
}

fn slot_of(t: PhoneType) -> PhoneSlot {
    match t {
        PhoneType::Mobile => PhoneSlot::Mobile,
        PhoneType::AlternateMobile => PhoneSlot::AlternateMobile,
        PhoneType::Office => PhoneSlot::Office,
    }
}

/// Records every call the client makes.
fn recorder() -> (Observer, Arc<Mutex<Vec<CallRecord>>>) {
    let records = Arc::new(Mutex::new(Vec::new()));
    let sink = records.clone();
    let observer: Observer = Arc::new(move |r| sink.lock().unwrap().push(r));
    (observer, records)
}

/// One captured log event: when, on which thread, where from, and every field as text.
#[derive(Debug, Clone)]
struct Event {
    at: DateTime<Utc>,
    thread: std::thread::ThreadId,
    target: String,
    fields: BTreeMap<String, String>,
}

impl Event {
    fn text(&self) -> String {
        format!("{} {:?}", self.target, self.fields)
    }
    fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Event>>>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().to_string(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        self.0.lock().unwrap().push(Event {
            at: Utc::now(),
            thread: std::thread::current().id(),
            target: event.metadata().target().to_string(),
            fields,
        });
    }
}

/// The log events of the calling thread. One global subscriber captures every event
/// (all levels, all crates) of the process; a test running on a current-thread runtime
/// sees its own client's and sim's events by thread.
struct ThreadLogs {
    thread: std::thread::ThreadId,
    all: Capture,
}

impl ThreadLogs {
    fn events(&self) -> Vec<Event> {
        self.all
            .0
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.thread == self.thread)
            .cloned()
            .collect()
    }
}

fn capture_logs() -> ThreadLogs {
    static GLOBAL: std::sync::OnceLock<Capture> = std::sync::OnceLock::new();
    let all = GLOBAL
        .get_or_init(|| {
            let capture = Capture::default();
            tracing::subscriber::set_global_default(
                tracing_subscriber::registry().with(capture.clone()),
            )
            .unwrap();
            capture
        })
        .clone();
    ThreadLogs {
        thread: std::thread::current().id(),
        all,
    }
}

// ---------------------------------------------------------------------------------
// Endpoints
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn users_by_id_upn_and_every_filter() {
    let sim = start(200, None, None).await;
    let c = client(&sim);
    let all = people(&sim);
    let p = all
        .iter()
        .find(|p| p.sid.is_some() && p.sam.is_some())
        .unwrap();

    let by_upn = c.get_user(&p.upn, &[]).await.unwrap().unwrap();
    assert_eq!(by_upn.user_principal_name.as_deref(), Some(p.upn.as_str()));
    assert_eq!(
        by_upn.on_premises_security_identifier.as_deref(),
        p.sid.as_deref()
    );
    let by_id = c.get_user(&by_upn.id, &[]).await.unwrap().unwrap();
    assert_eq!(by_id.id, by_upn.id);

    for filter in [
        UserFilter::Upn(&p.upn),
        UserFilter::Sid(p.sid.as_deref().unwrap()),
        UserFilter::Mail(&p.mail),
        UserFilter::EmployeeId(&p.employee_id),
        UserFilter::SamAccountName(p.sam.as_deref().unwrap()),
    ] {
        let found = c.find_users(filter, &[]).await.unwrap();
        assert_eq!(found.len(), 1, "{filter:?}");
        assert_eq!(found[0].id, by_upn.id, "{filter:?}");
        let e = found[0].clone().into_entra();
        assert_eq!(e.attribute("employeeId"), Some(p.employee_id.as_str()));
    }
    assert!(
        c.get_user("nobody@contoso.com", &[])
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        c.find_users(UserFilter::Upn("nobody@contoso.com"), &[])
            .await
            .unwrap()
            .is_empty()
    );
    // A UPN with an apostrophe goes through the OData quoting intact.
    if let Some(q) = all.iter().find(|p| p.upn.contains('\'')) {
        let found = c.find_users(UserFilter::Upn(&q.upn), &[]).await.unwrap();
        assert_eq!(found.len(), 1);
    }
    // Twenty searches in one $batch.
    let synced: Vec<&Person> = all.iter().filter(|p| p.sam.is_some()).take(20).collect();
    let items: Vec<BatchItem> = synced
        .iter()
        .map(|p| UserFilter::SamAccountName(p.sam.as_deref().unwrap()).batch_item(&[]))
        .collect();
    let answers = c.batch(ApiVersion::V1, items).await;
    for (p, a) in synced.iter().zip(&answers) {
        let users = mfa_cutover::graph::endpoints::directory::users_from_batch(a.as_ref().unwrap())
            .unwrap();
        assert_eq!(users.len(), 1);
        assert_eq!(
            users[0].user_principal_name.as_deref(),
            Some(p.upn.as_str())
        );
    }
}

#[tokio::test]
async fn groups_by_name_and_id_and_members_across_many_pages() {
    let users = 5000;
    let sim = start(users, None, None).await;
    let (observer, records) = recorder();
    let c = client_with(&sim, sim.token(), unlimited(), Some(observer));

    let groups = c.find_groups("MFA Migration").await.unwrap();
    assert_eq!(groups.len(), 1, "{groups:?}");
    let migration = &groups[0];
    assert!(!migration.is_dynamic());
    let by_id = c.find_groups(&migration.id).await.unwrap();
    assert_eq!(by_id[0].id, migration.id);
    assert!(
        c.get_group("00000000-0000-0000-0000-000000000000")
            .await
            .unwrap()
            .is_none()
    );
    let dynamic = c.find_groups("All Employees (dynamic)").await.unwrap();
    assert!(dynamic[0].is_dynamic());

    // Nested waves expanded; 999 per page; ConsistencyLevel sent on every page (the
    // cast is refused without it, so later pages prove it was re-sent).
    let mut pager = c.group_users(&migration.id, &["employeeId"]);
    let mut seen = std::collections::HashSet::new();
    while let Some(page) = pager.next_page().await.unwrap() {
        assert!(page.len() <= 999);
        for u in page {
            assert!(seen.insert(u.id.clone()), "duplicate member {}", u.id);
        }
    }
    let expected = sim.inspect(|t| t.group(group_names::MIGRATION).unwrap().user_count());
    assert_eq!(seen.len(), expected);
    assert!(pager.pages() >= 5, "{} pages", pager.pages());
    assert_eq!(pager.count(), Some(expected as u64));
    let pages: Vec<String> = records
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.path.contains("transitiveMembers"))
        .map(|r| r.path.clone())
        .collect();
    assert!(pages.len() >= 5);
    assert!(
        pages[1..].iter().all(|p| p.contains("skiptoken")),
        "{pages:?}"
    );

    // All member types, nested groups included.
    let members = c.group_members(&migration.id).collect_all().await.unwrap();
    use mfa_cutover::graph::model::MemberKind;
    assert!(members.iter().any(|m| m.kind() == MemberKind::Group));
    assert_eq!(
        members
            .iter()
            .filter(|m| m.kind() == MemberKind::User)
            .count(),
        expected
    );
    let contractors = c.find_groups("Contractors").await.unwrap();
    let with_contact = c
        .group_members(&contractors[0].id)
        .collect_all()
        .await
        .unwrap();
    assert!(with_contact.iter().any(|m| m.kind() == MemberKind::Contact));
}

#[tokio::test]
async fn phone_methods_add_get_update_delete_and_refusals() {
    let sim = start(300, None, None).await;
    let c = client(&sim);
    let p = people(&sim)
        .into_iter()
        .find(|p| p.phones.is_empty() && p.authenticators.is_empty() && p.default.is_none())
        .unwrap();
    let user = &p.upn;
    assert!(c.list_phone_methods(user).await.unwrap().is_empty());

    let mobile = PhoneNumber::from_graph("+1 4255550100").unwrap();
    let alternate = PhoneNumber::from_graph("+44 7700900123").unwrap();
    let office = PhoneNumber::from_graph("+1 4255550199x123").unwrap();

    // alternateMobile needs a mobile first.
    let refused = c
        .add_phone_method(user, PhoneSlot::AlternateMobile, &alternate)
        .await
        .unwrap_err();
    assert!(refused.is_refusal(), "{refused}");

    let added = c
        .add_phone_method(user, PhoneSlot::Mobile, &mobile)
        .await
        .unwrap();
    assert_eq!(added.id, PhoneSlot::Mobile.method_id());
    assert_eq!(added.slot(), Some(PhoneSlot::Mobile));
    c.add_phone_method(user, PhoneSlot::AlternateMobile, &alternate)
        .await
        .unwrap();
    c.add_phone_method(user, PhoneSlot::Office, &office)
        .await
        .unwrap();
    // One phone per type.
    let dup = c
        .add_phone_method(user, PhoneSlot::Mobile, &mobile)
        .await
        .unwrap_err();
    assert!(dup.is_refusal(), "{dup}");
    assert!(!dup.outcome_unknown());

    let listed = c.list_phone_methods(user).await.unwrap();
    assert_eq!(listed.len(), 3);
    let got = c
        .get_phone_method(user, PhoneSlot::Office)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.entra_phone().and_then(|e| e.number()), Some(office));

    let new_mobile = PhoneNumber::from_graph("+1 2065550123").unwrap();
    c.update_phone_method(user, PhoneSlot::Mobile, &new_mobile)
        .await
        .unwrap();
    let got = c
        .get_phone_method(user, PhoneSlot::Mobile)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.entra_phone().and_then(|e| e.number()), Some(new_mobile));

    c.delete_phone_method(user, PhoneSlot::AlternateMobile)
        .await
        .unwrap();
    assert!(
        c.get_phone_method(user, PhoneSlot::AlternateMobile)
            .await
            .unwrap()
            .is_none()
    );

    // The default method's phone cannot be deleted.
    c.set_default_method(user, PreferredMethod::VoiceOffice)
        .await
        .unwrap();
    let refused = c
        .delete_phone_method(user, PhoneSlot::Office)
        .await
        .unwrap_err();
    assert!(refused.is_refusal(), "{refused}");
}

#[tokio::test]
async fn method_lists_polymorphic_and_read_methods() {
    let sim = start(300, None, None).await;
    let c = client(&sim);
    let p = people(&sim)
        .into_iter()
        .find(|p| !p.authenticators.is_empty() && !p.phones.is_empty())
        .unwrap();
    let all = c.list_methods(&p.upn, ApiVersion::V1).await.unwrap();
    let authenticators = all
        .iter()
        .filter(|m| matches!(m, AuthMethod::MicrosoftAuthenticator(_)))
        .count();
    assert_eq!(authenticators, p.authenticators.len());
    let phones = all
        .iter()
        .filter(|m| matches!(m, AuthMethod::Phone(_)))
        .count();
    assert_eq!(phones, p.phones.len());
    let listed = c.list_authenticator_methods(&p.upn).await.unwrap();
    assert_eq!(listed.len(), p.authenticators.len());
    let names: Vec<String> = listed
        .iter()
        .filter_map(|a| a.display_name.clone())
        .collect();
    for n in &p.authenticators {
        assert!(names.contains(n), "{n} in {names:?}");
    }
    assert!(
        c.list_software_oath_methods(&p.upn)
            .await
            .unwrap()
            .is_empty()
    );

    let m = c.read_methods(&p.upn, true).await.unwrap();
    assert_eq!(m.authenticators.len(), p.authenticators.len());
    for (kind, number) in &p.phones {
        let seen = m.phone(slot_of(*kind)).and_then(|e| e.number());
        assert_eq!(seen, PhoneNumber::from_graph(number).ok(), "{kind:?}");
    }
    match &p.default {
        Some(d) => assert_eq!(
            m.default,
            mfa_cutover::migrate::EntraDefault::Set(PreferredMethod::from_graph(d).unwrap())
        ),
        None => assert_eq!(m.default, mfa_cutover::migrate::EntraDefault::NotSet),
    }
}

#[tokio::test]
async fn hardware_oath_create_find_assign_activate() {
    let sim = start(300, None, None).await;
    let c = client(&sim);
    let ids: Vec<String> = people(&sim)
        .into_iter()
        .filter(|p| p.authenticators.is_empty())
        .take(3)
        .map(|p| p.id)
        .collect();
    let secret = OathSecret::from_base32("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").unwrap();
    let code = |s: &OathSecret| {
        mfa_cutover::otp::totp(
            s,
            mfa_cutover::datafile::TimeStep::S30,
            mfa_cutover::datafile::HashFunction::HmacSha1,
            Utc::now().timestamp() as u64,
        )
    };
    let new = |serial: &'static str, s: &'static OathSecret| NewHardwareToken {
        serial_number: serial,
        manufacturer: "Contoso",
        model: "C100",
        secret: s,
        time_interval_secs: 30,
        hash_function: HashFunction::HmacSha1,
        display_name: Some("Token"),
        assign_to: None,
    };
    let secret: &'static OathSecret = Box::leak(Box::new(secret));

    // Create → available, secret never returned.
    let d1 = c
        .create_hardware_token(&new("HW-0001", secret))
        .await
        .unwrap();
    assert_eq!(
        d1.status,
        Some(mfa_cutover::graph::model::HardwareDeviceStatus::Available)
    );
    let found = c.find_hardware_token("HW-0001").await.unwrap().unwrap();
    assert_eq!(found.id, d1.id);
    assert!(c.find_hardware_token("HW-9999").await.unwrap().is_none());
    // Serials are unique.
    let dup = c
        .create_hardware_token(&new("HW-0001", secret))
        .await
        .unwrap_err();
    assert!(dup.is_refusal(), "{dup}");

    // Assign, then activate with the current code.
    let method = c.assign_hardware_token(&ids[0], &d1.id).await.unwrap();
    c.activate_hardware_token(&ids[0], &method.id, &code(secret), Some("Token"))
        .await
        .unwrap();
    let mine = c.list_user_hardware_tokens(&ids[0]).await.unwrap();
    assert_eq!(mine.len(), 1);
    let inv = c.find_hardware_token("HW-0001").await.unwrap().unwrap();
    assert_eq!(
        inv.status,
        Some(mfa_cutover::graph::model::HardwareDeviceStatus::Activated)
    );
    assert_eq!(inv.to_inventory().assigned_to(), Some(ids[0].as_str()));

    // Assign and activate in one call; and by serial.
    let d2 = c
        .create_hardware_token(&new("HW-0002", secret))
        .await
        .unwrap();
    c.assign_and_activate_hardware_token(&ids[1], &d2.id, &code(secret), None)
        .await
        .unwrap();
    c.create_hardware_token(&new("HW-0003", secret))
        .await
        .unwrap();
    c.assign_and_activate_hardware_token_by_serial(&ids[2], "HW-0003", &code(secret), None)
        .await
        .unwrap();
    let all: Vec<_> = c.hardware_tokens().collect_all().await.unwrap();
    assert_eq!(all.len(), 3);
    assert!(
        all.iter()
            .all(|d| d.entra_status() == mfa_cutover::migrate::HardwareStatus::Activated)
    );

    // A wrong code is refused.
    let d4 = c
        .create_hardware_token(&new("HW-0004", secret))
        .await
        .unwrap();
    let wrong = c
        .assign_and_activate_hardware_token(&ids[0], &d4.id, "000000", None)
        .await;
    if code(secret) != "000000" {
        assert!(wrong.unwrap_err().is_refusal());
    }
    let m = c.read_methods(&ids[1], true).await.unwrap();
    assert_eq!(m.hardware_oath.len(), 1);
    assert_eq!(m.hardware_oath[0].serial.as_deref(), Some("HW-0002"));
}

#[tokio::test]
async fn sign_in_preferences_get_and_set() {
    let sim = start(300, None, None).await;
    let c = client(&sim);
    let p = people(&sim)
        .into_iter()
        .find(|p| p.authenticators.is_empty() && p.has(PhoneType::Mobile))
        .unwrap();
    c.set_default_method(&p.upn, PreferredMethod::Sms)
        .await
        .unwrap();
    let prefs = c.get_sign_in_preferences(&p.upn).await.unwrap();
    assert_eq!(
        prefs.entra_default(),
        mfa_cutover::migrate::EntraDefault::Set(PreferredMethod::Sms)
    );
    // A method the user has not registered is refused (§14).
    let refused = c
        .set_default_method(&p.upn, PreferredMethod::Push)
        .await
        .unwrap_err();
    assert!(refused.is_refusal(), "{refused}");
}

#[tokio::test]
async fn methods_policy() {
    let sim = start(50, None, None).await;
    let c = client(&sim);
    let policy = c.get_methods_policy().await.unwrap();
    let allowed = policy.to_facts().for_user(&|_| false);
    assert!(allowed.sms && allowed.voice && allowed.authenticator);
    assert!(allowed.hardware_oath && allowed.software_oath);
}

#[tokio::test]
async fn staged_rollout_crud_groups_and_app_only_refusal() {
    let sim = start(300, None, None).await;
    let c = client(&sim);
    let pilot = c.find_groups("MFA Pilot").await.unwrap().remove(0);
    let created = c
        .create_rollout_policy(&NewRolloutPolicy {
            display_name: "MFA rollout policy".into(),
            description: Some("MFA rollout policy".into()),
            feature: StagedFeature::MultiFactorAuthentication,
            is_enabled: true,
            is_applied_to_organization: false,
        })
        .await
        .unwrap();
    // With `Prefer: include-unknown-enum-members` the feature reads back as itself.
    assert!(created.is_mfa(), "{created:?}");
    c.add_rollout_group(&created.id, &pilot.id).await.unwrap();
    let got = c.get_rollout_policy(&created.id).await.unwrap().unwrap();
    assert_eq!(got.applies_to.len(), 1);
    assert_eq!(got.applies_to[0].id, pilot.id);
    let mfa = c.find_mfa_rollout_policy().await.unwrap().unwrap();
    assert_eq!(mfa.id, created.id);

    // Refused as Entra refuses: a dynamic group.
    let dynamic = c
        .find_groups("All Employees (dynamic)")
        .await
        .unwrap()
        .remove(0);
    let refused = c
        .add_rollout_group(&created.id, &dynamic.id)
        .await
        .unwrap_err();
    assert!(refused.is_refusal(), "{refused}");

    c.remove_rollout_group(&created.id, &pilot.id)
        .await
        .unwrap();
    c.update_rollout_policy(
        &created.id,
        &RolloutPolicyPatch {
            is_enabled: Some(false),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let got = c.get_rollout_policy(&created.id).await.unwrap().unwrap();
    assert!(got.applies_to.is_empty());
    assert_eq!(got.is_enabled, Some(false));

    // An app-only token is refused, and the explanation says what to do.
    let app = client_with(&sim, &sim.app_token(), unlimited(), None);
    let forbidden = app.list_rollout_policies().await.unwrap_err();
    assert_eq!(forbidden.status(), Some(403));
    let text = forbidden.explanation();
    assert!(text.contains("delegated sign-in only"), "{text}");
    assert!(text.contains("Hybrid Identity Administrator"), "{text}");

    c.delete_rollout_policy(&created.id).await.unwrap();
    assert!(c.get_rollout_policy(&created.id).await.unwrap().is_none());
}

#[tokio::test]
async fn domains_and_federation() {
    let sim = start(50, None, None).await;
    let c = client(&sim);
    let domains = c.list_domains().await.unwrap();
    let federated = domains.iter().find(|d| d.is_federated()).unwrap();
    let managed = domains.iter().find(|d| !d.is_federated()).unwrap();
    assert_eq!(federated.id, "contoso.com");
    assert!(c.get_federation(&managed.id).await.unwrap().is_none());
    let fed = c.get_federation(&federated.id).await.unwrap().unwrap();
    assert_eq!(fed.federated_idp_mfa_behavior, None);
    c.set_federated_idp_mfa_behavior(
        &federated.id,
        &fed.id,
        &FederatedIdpMfaBehavior::RejectMfaByFederatedIdp,
    )
    .await
    .unwrap();
    let fed = c.get_federation(&federated.id).await.unwrap().unwrap();
    assert_eq!(
        fed.federated_idp_mfa_behavior,
        Some(FederatedIdpMfaBehavior::RejectMfaByFederatedIdp)
    );
}

#[tokio::test]
async fn a_bad_token_is_explained() {
    let sim = start(50, None, None).await;
    let c = client_with(&sim, "not-a-valid-token", unlimited(), None);
    let e = c.list_domains().await.unwrap_err();
    assert_eq!(e.status(), Some(401));
    assert!(e.explanation().contains("Sign in again"));
    assert!(!e.is_retryable());
}

// ---------------------------------------------------------------------------------
// Resilience
// ---------------------------------------------------------------------------------

/// Tiny quotas so the server throttles; the client does not pace itself.
fn tight(writes: u32, window_ms: u64) -> Quotas {
    Quotas {
        writes_per_window: writes,
        write_window: Duration::from_millis(window_ms),
        resource_units: 100_000,
        ru_window: Duration::from_secs(10),
    }
}

#[tokio::test]
async fn a_batch_with_throttled_items_retries_only_those_and_honours_retry_after() {
    // The server allows 10 writes at once and 10 per second; the client budgets the same
    // quota, but a batch of 20 cannot pass in one go: half of it is throttled.
    let quotas = tight(10, 1000);
    let sim = start(400, Some(quotas), None).await;
    let (observer, records) = recorder();
    let limits = Limits {
        writes_per_window: quotas.writes_per_window,
        write_window: quotas.write_window,
        resource_units: quotas.resource_units,
        ru_window: quotas.ru_window,
        headroom: 0.98,
        concurrency: 16,
        resource_units_configured: true,
    };
    let c = client_with(&sim, sim.token(), limits, Some(observer));
    let logs = capture_logs();
    let people: Vec<Person> = people(&sim)
        .into_iter()
        .filter(|p| p.phones.is_empty())
        .take(20)
        .collect();
    assert_eq!(people.len(), 20);
    let items: Vec<BatchItem> = people
        .iter()
        .enumerate()
        .map(|(i, p)| {
            BatchItem::post(
                format!(
                    "{}/authentication/phoneMethods",
                    mfa_cutover::graph::root::user_path(&p.upn)
                ),
                serde_json::json!({
                    "phoneNumber": format!("+1 42555501{i:02}"),
                    "phoneType": "mobile"
                }),
            )
        })
        .collect();
    let answers = c.batch(ApiVersion::V1, items).await;
    for (a, p) in answers.iter().zip(&people) {
        assert_eq!(
            a.as_ref().map(|r| r.status).ok(),
            Some(201),
            "{}: {a:?}",
            p.upn
        );
    }
    let stats = c.stats();
    assert!(stats.throttled >= 5, "{stats:?}");
    // Exactly one mobile each: nothing was sent twice after succeeding.
    for p in &people {
        let phones = c.list_phone_methods(&p.upn).await.unwrap();
        assert_eq!(phones.len(), 1, "{}", p.upn);
    }
    // Each throttled item waited at least its Retry-After before the next envelope.
    let events = logs.events();
    let envelopes: Vec<CallRecord> = records
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.path.ends_with("/$batch"))
        .cloned()
        .collect();
    assert!(envelopes.len() >= 2);
    let mut checked = 0;
    for e in events.iter().filter(|e| {
        e.field("message") == Some("batch item failed") && e.field("status") == Some("429")
    }) {
        let wait_ms: i64 = e
            .field("retry_after_ms")
            .unwrap()
            .trim_start_matches("Some(")
            .trim_end_matches(')')
            .parse()
            .unwrap();
        let next = envelopes.iter().find(|r| r.at > e.at).unwrap();
        let waited = (next.at - e.at).num_milliseconds();
        assert!(
            waited >= wait_ms,
            "waited {waited} ms < Retry-After {wait_ms} ms"
        );
        checked += 1;
    }
    assert_eq!(checked as u64, stats.throttled);
    // Only the throttled items were sent again: the first envelope held all 20, the
    // later ones exactly the items throttled before them.
    assert_eq!(envelopes[0].batch_items, 20);
    let throttled_in_first = events
        .iter()
        .filter(|e| {
            e.field("message") == Some("batch item failed")
                && e.field("status") == Some("429")
                && e.at < envelopes[1].at
        })
        .count();
    assert_eq!(envelopes[1].batch_items as usize, throttled_in_first);
    let sent: u32 = envelopes.iter().map(|r| r.batch_items).sum();
    assert_eq!(u64::from(sent), 20 + stats.throttled);
}

#[tokio::test]
async fn retry_after_is_honoured_for_plain_requests() {
    let sim = start(200, Some(tight(2, 1500)), None).await;
    let (observer, records) = recorder();
    let c = client_with(&sim, sim.token(), unlimited(), Some(observer));
    let logs = capture_logs();
    let p = people(&sim)
        .into_iter()
        .find(|p| p.has(PhoneType::Mobile))
        .unwrap();
    for i in 0..6 {
        let n = PhoneNumber::from_graph(&format!("+1 42555502{i:02}")).unwrap();
        c.update_phone_method(&p.upn, PhoneSlot::Mobile, &n)
            .await
            .unwrap();
    }
    let throttled: Vec<Event> = logs
        .events()
        .iter()
        .filter(|e| {
            e.field("status") == Some("429") && e.field("message") == Some("graph call failed")
        })
        .cloned()
        .collect();
    assert!(!throttled.is_empty());
    let sent: Vec<CallRecord> = records.lock().unwrap().clone();
    for e in &throttled {
        let wait_ms: i64 = e
            .field("retry_after_ms")
            .unwrap()
            .trim_start_matches("Some(")
            .trim_end_matches(')')
            .parse()
            .unwrap();
        assert!(wait_ms > 0);
        let retry = sent.iter().find(|r| r.at > e.at).unwrap();
        let waited = (retry.at - e.at).num_milliseconds();
        assert!(
            waited >= wait_ms,
            "waited {waited} ms < Retry-After {wait_ms} ms"
        );
    }
    assert_eq!(c.stats().throttled as usize, throttled.len());
}

#[tokio::test]
async fn injected_faults_are_recovered() {
    let faults: FaultSpec = "5xx=0.15,reset=0.1,drop=0.1,seed=7".parse().unwrap();
    let sim = start(300, None, Some(faults)).await;
    let c = client(&sim);
    let people: Vec<Person> = people(&sim)
        .into_iter()
        .filter(|p| p.phones.is_empty())
        .take(40)
        .collect();

    // Reads retry transparently.
    for p in &people {
        assert!(c.get_user(&p.upn, &[]).await.unwrap().is_some());
    }
    assert!(c.stats().retries > 0, "{:?}", c.stats());

    // POSTs are not retried once they may have been applied: reconcile by reading back
    // (rule C5), then try again only if absent. No duplicate is ever created.
    let mut unknown = 0;
    for (i, p) in people.iter().enumerate() {
        let n = PhoneNumber::from_graph(&format!("+1 42555503{i:02}")).unwrap();
        loop {
            match c.add_phone_method(&p.upn, PhoneSlot::Mobile, &n).await {
                Ok(_) => break,
                Err(e) if e.outcome_unknown() => {
                    unknown += 1;
                    let now = c.get_phone_method(&p.upn, PhoneSlot::Mobile).await.unwrap();
                    if now.is_some() {
                        break;
                    }
                }
                Err(e) => panic!("{}: {e}", p.upn),
            }
        }
    }
    assert!(
        unknown > 0,
        "the fault rates should have produced unknown outcomes"
    );
    for p in &people {
        assert_eq!(c.list_phone_methods(&p.upn).await.unwrap().len(), 1);
    }
    // The tenant's own write log: one creation per user, never two.
    sim.inspect(|t| {
        for p in &people {
            let created = t
                .write_log()
                .iter()
                .filter(|w| w.method == "POST" && w.user.as_deref() == Some(p.id.as_str()))
                .count();
            assert_eq!(created, 1, "{}", p.upn);
        }
    });
    // Idempotent writes (PATCH, DELETE) retry transparently, even after a commit whose
    // answer was lost.
    for (i, p) in people.iter().enumerate() {
        let n = PhoneNumber::from_graph(&format!("+1 42555504{i:02}")).unwrap();
        c.update_phone_method(&p.upn, PhoneSlot::Mobile, &n)
            .await
            .unwrap();
        c.delete_phone_method(&p.upn, PhoneSlot::Mobile)
            .await
            .unwrap();
    }
    for p in &people {
        assert!(c.list_phone_methods(&p.upn).await.unwrap().is_empty());
    }
    let faults = sim.stats().faults;
    assert!(
        faults.server_error > 0 && faults.reset > 0 && faults.commit_then_drop > 0,
        "{faults:?}"
    );
}

// ---------------------------------------------------------------------------------
// Sign-in and secrets
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn device_code_sign_in_refresh_and_no_secret_in_any_log_line() {
    let sim = start(100, None, None).await;
    let logs = capture_logs();
    let shown: Arc<Mutex<Vec<DeviceCodePrompt>>> = Arc::default();
    let sink = shown.clone();
    let opts = SignInOptions {
        kind: mfa_cutover::config::AuthKind::DeviceCode,
        cloud: mfa_cutover::cloud::Cloud::Global,
        graph_root: GraphRoot::parse(sim.url()).unwrap(),
        tenant: Some(sim.tenant_id().to_string()),
        // The organisation's own public client: its consented scopes (`.default`).
        client_id: Some("6f1c4a5e-0d4b-4a8e-9c1b-2f7d9e3a1b00".to_string()),
        certificate: None,
        authority: None,
        prompt: Some(Arc::new(move |p: &DeviceCodePrompt| {
            sink.lock().unwrap().push(p.clone())
        })),
        capabilities: CapabilitySet::ALL,
    };
    let session = sign_in(opts).await.unwrap();
    let prompt = shown.lock().unwrap()[0].clone();
    assert!(!prompt.user_code.is_empty());
    assert!(prompt.verification_uri.starts_with("http"));
    assert_eq!(session.identity.kind, TokenKind::Delegated);
    assert!(session.identity.simulated);
    assert!(session.identity.expires_at.is_some());
    assert!(!session.identity.permissions.is_empty());
    assert!(
        session
            .identity
            .roles
            .iter()
            .any(|r| r == "Hybrid Identity Administrator"),
        "{:?}",
        session.identity.roles
    );

    let first = session.tokens.token().await.unwrap();
    let mut opts = ClientOptions::new(GraphRoot::parse(sim.url()).unwrap(), unlimited());
    opts.retry = fast_retry();
    let c = GraphClient::new(session.tokens.clone(), opts).unwrap();
    assert!(!c.list_domains().await.unwrap().is_empty());

    // Refresh with the refresh token.
    assert!(session.tokens.invalidate());
    let second = session.tokens.token().await.unwrap();
    assert!(second.expires_at.is_some());
    assert!(!c.list_domains().await.unwrap().is_empty());

    // A secret goes out in a hardware token upload.
    let secret = OathSecret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
    c.create_hardware_token(&NewHardwareToken {
        serial_number: "LOG-0001",
        manufacturer: "Contoso",
        model: "C100",
        secret: &secret,
        time_interval_secs: 30,
        hash_function: HashFunction::HmacSha1,
        display_name: None,
        assign_to: None,
    })
    .await
    .unwrap();
    // And a static token is used too.
    let s = client(&sim);
    s.list_domains().await.unwrap();

    let events = logs.events();
    assert!(
        events
            .iter()
            .any(|e| e.field("client_request_id").is_some()),
        "the client logs each call with its client-request-id"
    );
    let needles = [
        first.expose().to_string(),
        second.expose().to_string(),
        sim.token().to_string(),
        "GEZDGNBVGY3TQOJQ".to_string(),
    ];
    for e in &events {
        let text = e.text();
        for n in &needles {
            // The signature part is what no one else could know.
            let tail = n.rsplit('.').next().unwrap();
            assert!(!text.contains(tail), "a secret reached a log line: {text}");
        }
    }
}

/// With no `--client-id` the tool signs in through the shared public client, asking for
/// each Graph scope by name; the simulated tenant has consented to all of them, so the
/// default device-code path works end to end (domains included).
#[tokio::test]
async fn device_code_sign_in_with_the_default_public_client() {
    let sim = start(20, None, None).await;
    let shown: Arc<Mutex<Vec<DeviceCodePrompt>>> = Arc::default();
    let sink = shown.clone();
    let opts = SignInOptions {
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
        capabilities: CapabilitySet::ALL,
    };
    let session = sign_in(opts).await.unwrap();
    assert_eq!(shown.lock().unwrap().len(), 1);
    assert_eq!(session.identity.kind, TokenKind::Delegated);
    for scope in mfa_cutover::graph::endpoints::DELEGATED_SCOPES {
        assert!(
            session.identity.permissions.iter().any(|p| p == scope),
            "{scope} missing from {:?}",
            session.identity.permissions
        );
    }
    let mut opts = ClientOptions::new(GraphRoot::parse(sim.url()).unwrap(), unlimited());
    opts.retry = fast_retry();
    let c = GraphClient::new(session.tokens.clone(), opts).unwrap();
    assert!(!c.list_domains().await.unwrap().is_empty());
    // The refresh token was issued to the default client and renews its token.
    assert!(session.tokens.invalidate());
    session.tokens.token().await.unwrap();
    assert!(!c.list_domains().await.unwrap().is_empty());
}

#[tokio::test]
async fn device_code_refusals_are_told_apart() {
    use mfa_cutover::graph::auth::AuthError;
    use mfa_cutover::sim::DeviceFlow;
    let sim = start(20, None, None).await;
    let options = |sim: &Sim| SignInOptions {
        kind: mfa_cutover::config::AuthKind::DeviceCode,
        cloud: mfa_cutover::cloud::Cloud::Global,
        graph_root: GraphRoot::parse(sim.url()).unwrap(),
        tenant: None,
        client_id: Some("6f1c4a5e-0d4b-4a8e-9c1b-2f7d9e3a1b00".to_string()),
        certificate: None,
        authority: None,
        prompt: Some(Arc::new(|_: &DeviceCodePrompt| {})),
        capabilities: CapabilitySet::ALL,
    };
    sim.set_device_flow(DeviceFlow {
        interval: Duration::from_secs(1),
        pending_polls: 1,
        expires_in: Duration::from_secs(60),
        deny: true,
    });
    let declined = sign_in(options(&sim)).await.unwrap_err();
    assert!(matches!(declined, AuthError::Declined(_)), "{declined:?}");
    sim.set_device_flow(DeviceFlow {
        interval: Duration::from_secs(1),
        pending_polls: 100,
        expires_in: Duration::from_secs(3),
        deny: false,
    });
    let expired = sign_in(options(&sim)).await.unwrap_err();
    assert!(matches!(expired, AuthError::CodeExpired), "{expired:?}");
}
