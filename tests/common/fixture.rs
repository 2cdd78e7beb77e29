//! A deterministic organisation for TUI tests and benchmarks: an MFA Server data set
//! and the Entra members that match it (M1–M3, some unmatched, a few conflicts and
//! disabled users), Entra methods, plans with rule ids, and a signed-in identity.
//! Nothing random, nothing from the clock: snapshots stay stable.
#![allow(dead_code)]

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};

use mfa_cutover::cloud::Cloud;
use mfa_cutover::datafile::{
    DataSet, DataSetBuilder, HashFunction, Known, MfaMethod, NewDevice, NewToken, NewUser,
    OathKind, TimeStep, UserIdx,
};
use mfa_cutover::engine::{GroupInfo, Member};
use mfa_cutover::graph::{CallRecord, Identity, TokenKind};
use mfa_cutover::migrate::{
    Action, EntraAuthenticator, EntraDefault, EntraMethods, EntraPhone, EntraUser, ExpectSlot,
    Expected, Match, Note, NoteKind, Op, PhoneSlot, Plan, PlanUser, PreferredMethod, Rule, Skip,
    Subject,
};
use mfa_cutover::phone::PhoneNumber;

/// The instant every test and snapshot sees as "now".
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0)
        .single()
        .unwrap_or_default()
}

pub fn id(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012x}")
}

const GIVEN: [&str; 8] = [
    "ann", "bob", "chloe", "dev", "emma", "farid", "gita", "hugo",
];
const FAMILY: [&str; 6] = ["smith", "o'neil", "garcia", "nguyen", "kowalski", "tanaka"];

pub fn upn(i: usize) -> String {
    format!("{}.{}{i}@contoso.com", GIVEN[i % 8], FAMILY[(i / 8) % 6])
}

fn phone(i: usize) -> PhoneNumber {
    let national = format!("425555{:04}", i % 10_000);
    PhoneNumber::normalise("1", &national, None).unwrap_or_else(|e| panic!("{e}"))
}

/// `n` MFA Server users: user `i` matches Entra member `i`.
pub fn dataset(n: usize) -> Arc<DataSet> {
    Arc::new(builder(n, false).finish())
}

/// [`dataset`] with what a real file has beside users: the services it lists, and a row
/// problem — user 5's phone could not be read (`"555-0199" has no country code`).
pub fn dataset_with_notes(n: usize) -> Arc<DataSet> {
    use mfa_cutover::datafile::{AuthService, ProblemKind, RowProblem, ServiceKind};
    let mut b = builder(n, true);
    b.set_services(vec![
        AuthService {
            kind: ServiceKind::Radius,
            name: "VPN concentrator".into(),
            address: Some("10.0.4.20".into()),
            detail: Default::default(),
            enabled: true,
        },
        AuthService {
            kind: ServiceKind::Adfs,
            name: "AD FS adapter".into(),
            address: Some("sts.contoso.com".into()),
            detail: Default::default(),
            enabled: true,
        },
        AuthService {
            kind: ServiceKind::UserPortal,
            name: "User portal".into(),
            address: Some("https://mfa.contoso.com/portal".into()),
            detail: Default::default(),
            enabled: false,
        },
    ]);
    let mut ds = b.finish();
    ds.problems.push(RowProblem {
        input: 0,
        row: Some(7),
        user: Some("CONTOSO\\farid5".into()),
        field: "phone".into(),
        kind: ProblemKind::BadPhone,
        reason: "\"555-0199\" has no country code".into(),
        set_aside: false,
    });
    Arc::new(ds)
}

fn builder(n: usize, noted: bool) -> DataSetBuilder {
    let mut b = DataSetBuilder::with_capacity(n);
    for i in 0..n {
        let upn = upn(i);
        let sam = format!("CONTOSO\\{}{i}", GIVEN[i % 8]);
        let sid = format!("S-1-5-21-1004336348-1177238915-682003330-{}", 1000 + i);
        let emp = format!("{:06}", i);
        let attrs = [("employeeID", emp.as_str())];
        let by_upn = i % 3 == 0;
        let method = match i % 4 {
            0 => MfaMethod::PhoneCall,
            1 => MfaMethod::TextMessage,
            2 => MfaMethod::MobileApp,
            _ => MfaMethod::OathToken,
        };
        let backup = (i % 5 == 0).then(|| phone(i + 5000));
        let idx = b.push_user(NewUser {
            username: if by_upn { &upn } else { &sam },
            upn: by_upn.then_some(upn.as_str()),
            sid: (i % 3 != 2).then_some(sid.as_str()),
            email: Some(&upn),
            ad_attributes: &attrs,
            phone: if noted && i == 5 {
                Known::Unknown
            } else {
                Known::Known((i % 11 != 0).then(|| phone(i)))
            },
            backup_phone: Known::Known(backup),
            default_method: Known::Known(Some(method)),
            enabled: Known::Known(i % 50 != 49),
            carries_devices: true,
            carries_tokens: true,
            ..Default::default()
        });
        if i.is_multiple_of(2) {
            b.push_device(
                idx,
                NewDevice {
                    name: if i % 4 == 0 { "iPhone 15" } else { "Pixel 8" },
                    activated_at: Utc
                        .with_ymd_and_hms(2024, 5, 1 + (i % 28) as u32, 9, 0, 0)
                        .single(),
                    oath_secret: None,
                    has_push_token: true,
                },
            );
        }
        if i % 7 == 3 {
            let serial = format!("FT{:08}", i);
            b.push_token(
                idx,
                NewToken {
                    serial: &serial,
                    manufacturer: Some("Feitian"),
                    model: Some("c200"),
                    secret: None,
                    kind: OathKind::Totp,
                    time_step: TimeStep::S30,
                    hash: HashFunction::HmacSha1,
                    added_at: None,
                },
            );
        }
    }
    b
}

pub fn member(i: usize) -> Member {
    let matched = if i % 13 == 12 {
        Match::NotInMfaServer
    } else if i % 97 == 96 {
        Match::Conflict {
            users: vec![UserIdx(i as u32), UserIdx((i + 1) as u32)],
            by: Rule::M1,
        }
    } else {
        Match::Matched {
            user: UserIdx(i as u32),
            by: match i % 3 {
                0 => Rule::M1,
                1 => Rule::M2,
                _ => Rule::M3,
            },
        }
    };
    let given = GIVEN[i % 8];
    Member {
        entra: std::sync::Arc::new(EntraUser {
            id: id(i),
            upn: upn(i),
            display_name: Some(format!(
                "{}{} {}",
                given[..1].to_uppercase(),
                &given[1..],
                FAMILY[(i / 8) % 6]
            )),
            on_premises_sid: Some(format!(
                "S-1-5-21-1004336348-1177238915-682003330-{}",
                1000 + i
            )),
            on_premises_sync_enabled: Some(i % 9 != 8),
            account_enabled: Some(true),
            attributes: [("employeeId".to_string(), format!("{:06}", i))].into(),
        }),
        matched,
    }
}

pub fn members(range: std::ops::Range<usize>) -> Vec<Member> {
    range.map(member).collect()
}

pub fn methods(i: usize) -> EntraMethods {
    let mut m = EntraMethods::default();
    if i % 4 == 1 {
        m.mobile = Some(EntraPhone::Number(phone(i)));
    }
    if i % 8 == 5 {
        m.office = Some(EntraPhone::Masked("+1 XXXXXXXX12".into()));
    }
    if i % 5 == 2 {
        m.authenticators.push(EntraAuthenticator {
            id: format!("auth-{i}"),
            display_name: Some("Pixel 8".into()),
        });
    }
    m.default = match i % 6 {
        1 => EntraDefault::Set(PreferredMethod::Sms),
        2 => EntraDefault::Set(PreferredMethod::Push),
        _ => EntraDefault::NotSet,
    };
    m.system_preferred_enabled = Some(true);
    m
}

pub fn plan(i: usize) -> Arc<Plan> {
    let m = member(i);
    let mut ops = vec![Op {
        action: Action::AddPhone {
            slot: PhoneSlot::Mobile,
            number: phone(i),
        },
        rules: vec![Rule::P1],
    }];
    if i % 7 == 3 {
        ops.push(Op {
            action: Action::CreateHardwareToken {
                serial: format!("FT{:08}", i),
                manufacturer: "Feitian".into(),
                model: "c200".into(),
                time_step: TimeStep::S30,
                hash: HashFunction::HmacSha1,
                source: mfa_cutover::migrate::SecretSource::Token {
                    serial: format!("FT{:08}", i),
                },
            },
            rules: vec![Rule::H2],
        });
    }
    ops.push(Op {
        action: Action::SetDefaultMethod {
            method: PreferredMethod::VoiceMobile,
            from: None,
        },
        rules: vec![Rule::D1, Rule::D2, Rule::D4],
    });
    let mut notes = Vec::new();
    if i.is_multiple_of(2) {
        notes.push(Note {
            subject: Subject::Device {
                name: "iPhone 15".into(),
            },
            rule: Rule::A3,
            kind: NoteKind::MustReregister,
            text: "must re-register the app".into(),
        });
    }
    let skips = if i.is_multiple_of(5) {
        vec![Skip {
            subject: Subject::BackupPhone,
            rule: Rule::B3,
            reason: "phone and backup phone both have an extension".into(),
        }]
    } else {
        Vec::new()
    };
    Arc::new(Plan {
        user: PlanUser {
            entra_id: m.entra.id.clone(),
            upn: m.entra.upn.clone(),
            mfa_user: UserIdx(i as u32),
            mfa_username: format!("CONTOSO\\{}{i}", GIVEN[i % 8]),
            matched_by: Rule::M1,
        },
        ops,
        skips,
        notes,
        expected: Expected {
            mobile: ExpectSlot::Number(phone(i)),
            alternate_mobile: ExpectSlot::Untouched,
            office: ExpectSlot::Untouched,
            tokens: Vec::new(),
            default: Some(PreferredMethod::VoiceMobile),
        },
        usable: [PreferredMethod::VoiceMobile, PreferredMethod::Sms]
            .into_iter()
            .collect(),
        usable_via_legacy: Default::default(),
    })
}

pub fn group() -> GroupInfo {
    GroupInfo {
        id: "11111111-2222-4333-8444-555555555555".into(),
        display_name: "MFA Migration Wave 1".into(),
        dynamic: false,
        members: None,
    }
}

/// `methods(i)` as the engine sends it: with what the user can use under a policy that
/// allows every method.
pub fn user_methods(i: usize) -> mfa_cutover::engine::UserMethods {
    let methods = methods(i);
    let usable =
        mfa_cutover::migrate::usable_now(&methods, mfa_cutover::migrate::AllowedMethods::ALL);
    mfa_cutover::engine::UserMethods {
        methods,
        usable: Some(usable),
    }
}

/// The engine's session event for `identity(can_write)`.
pub fn session(can_write: bool) -> mfa_cutover::engine::Event {
    let identity = identity(can_write);
    mfa_cutover::engine::Event::Session(Box::new(mfa_cutover::engine::SessionInfo {
        capabilities: mfa_cutover::engine::Capabilities::of(&identity, None, None),
        identity,
        delegated: None,
    }))
}

pub fn identity(can_write: bool) -> Identity {
    Identity {
        tenant_id: "72f988bf-0000-4000-8000-000000000001".into(),
        tenant_name: Some("contoso.onmicrosoft.com".into()),
        cloud: Cloud::Global,
        account: "admin@contoso.com".into(),
        kind: TokenKind::Delegated,
        roles: vec!["Authentication Administrator".into()],
        permissions: if can_write {
            vec![
                "UserAuthenticationMethod.ReadWrite.All".into(),
                "GroupMember.Read.All".into(),
            ]
        } else {
            vec!["UserAuthenticationMethod.Read.All".into()]
        },
        expires_at: Some(now() + chrono::Duration::minutes(42)),
        simulated: true,
    }
}

pub fn call(n: usize) -> CallRecord {
    CallRecord {
        at: now() - chrono::Duration::milliseconds(1000 - n as i64 * 37),
        method: if n % 4 == 3 { "POST" } else { "GET" }.into(),
        path: if n % 4 == 3 {
            format!("/v1.0/users/{}/authentication/phoneMethods", id(n))
        } else {
            format!(
                "/v1.0/groups/{}/transitiveMembers/microsoft.graph.user?$top=999",
                group().id
            )
        },
        status: match n % 9 {
            7 => Some(429),
            8 => None,
            _ => Some(if n % 4 == 3 { 201 } else { 200 }),
        },
        duration_ms: 40 + (n as u32 * 13) % 300,
        attempt: if n % 9 == 7 { 2 } else { 1 },
        batch_items: 0,
        throttled: u32::from(n % 9 == 7),
        error_code: (n % 9 == 8).then(|| "timeout".to_string()),
        client_request_id: format!("req-{n}"),
    }
}

/// Journal entry `id` of a log whose newer entries have higher ids: a user's phone or
/// default written, mostly ok, some failed, one open, some reconciled.
pub fn journal_entry(id: i64) -> mfa_cutover::engine::store::JournalEntry {
    use mfa_cutover::engine::store::{JournalEntry, JournalId, OutcomeKind, RunId, Target};
    let i = (id as usize) % 1000;
    let op = if id % 3 == 0 {
        Op {
            action: Action::SetDefaultMethod {
                method: PreferredMethod::VoiceMobile,
                from: Some("sms".into()),
            },
            rules: vec![Rule::D1, Rule::D2],
        }
    } else {
        Op {
            action: Action::AddPhone {
                slot: PhoneSlot::Mobile,
                number: phone(i),
            },
            rules: vec![Rule::P1],
        }
    };
    let at = now() - chrono::Duration::days(1) + chrono::Duration::seconds(id * 3);
    let outcome = match id % 11 {
        4 => Some(OutcomeKind::Failed),
        7 => Some(OutcomeKind::ReconciledDone),
        9 if id % 2 == 1 => None,
        _ => Some(OutcomeKind::Ok),
    };
    JournalEntry {
        id: JournalId(id),
        run: Some(RunId(1 + id / 100)),
        tenant: identity(true).tenant_id,
        target: Target::user(self::id(i), upn(i)),
        op: serde_json::to_string(&op).unwrap_or_default(),
        intent_at: at,
        outcome,
        outcome_at: outcome.map(|_| at + chrono::Duration::milliseconds(240)),
        http_status: match outcome {
            Some(OutcomeKind::Ok) => Some(201),
            Some(OutcomeKind::Failed) => Some(400),
            _ => None,
        },
        error: (outcome == Some(OutcomeKind::Failed)).then(|| {
            "Graph 400 invalidPhoneNumber: the phone number is not in a valid format".to_string()
        }),
        client_request_id: Some(format!("req-{id}")),
    }
}

/// Audit entry `id`: who changed what, before and after; one forced rollout change.
pub fn audit_entry(id: i64) -> mfa_cutover::engine::store::AuditEntry {
    use mfa_cutover::engine::store::{AuditEntry, Target, TargetKind};
    let i = (id as usize) % 1000;
    let at = now() - chrono::Duration::days(1) + chrono::Duration::seconds(id * 5);
    let (action, target, before, after, forced) = if id % 10 == 0 {
        (
            "rollout.group.add",
            Target::new(TargetKind::RolloutGroup, group().id, "MFA Rollout Wave 1"),
            None,
            Some("member of the MFA policy".to_string()),
            id % 20 == 0,
        )
    } else if id % 3 == 0 {
        (
            "default.set",
            Target::user(self::id(i), upn(i)),
            Some("sms".to_string()),
            Some("voiceMobile".to_string()),
            false,
        )
    } else {
        (
            "phone.add",
            Target::user(self::id(i), upn(i)),
            None,
            Some(phone(i).graph()),
            false,
        )
    };
    AuditEntry {
        at,
        tenant: identity(true).tenant_id,
        actor: "admin@contoso.com".into(),
        action: action.into(),
        target,
        before,
        after,
        detail: forced.then(|| "R1 overridden: 3 members without a usable method".to_string()),
        forced,
    }
}
