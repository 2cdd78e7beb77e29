//! The generated tenant: the people of [`Population`] as Entra sees them, the groups the
//! migration and Staged Rollout work with, two domains and a methods policy.
//!
//! Object ids come from seeded ChaCha streams, one per kind of object, so a person keeps
//! their id whatever the size of the organisation.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::{
    Authenticator, Contact, DefaultMethod, Domain, Federation, Group, GroupKind, Member,
    MethodConfig, MethodConfigId, PerUserMfa, PhoneType, Target, Tenant, User, new_oid,
};
use crate::datafile::sample::{DOMAIN, Person, Presence};

/// Names of the generated groups (tests and the demo refer to them).
pub mod names {
    pub const MIGRATION: &str = "MFA Migration";
    pub const WAVES: [&str; 3] = [
        "MFA Migration Wave 1",
        "MFA Migration Wave 2",
        "MFA Migration Wave 3",
    ];
    pub const PILOT: &str = "MFA Pilot";
    pub const DYNAMIC: &str = "All Employees (dynamic)";
    pub const CONTRACTORS: &str = "Contractors";
    pub const ALL_STAFF: &str = "MFA Rollout All Staff";
    pub const ROLLOUT_WAVES: [&str; 3] = [
        "MFA Rollout Wave 1",
        "MFA Rollout Wave 2",
        "MFA Rollout Wave 3",
    ];
}

/// `contoso.onmicrosoft.com` for `contoso.com`.
pub(crate) fn initial_domain() -> String {
    let label = DOMAIN.split('.').next().unwrap_or(DOMAIN);
    format!("{label}.onmicrosoft.com")
}

/// Stream numbers of the id generators.
const TENANT_STREAM: u64 = 0x7465_6e61_6e74;
const USER_STREAM: u64 = 0x7573_6572;
const OBJECT_STREAM: u64 = 0x6f62_6a65_6374;
const RUNTIME_STREAM: u64 = 0x0072_756e_7469_6d65;

fn stream(seed: u64, which: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(which);
    r
}

/// The tenant id for a seed (also the `tid` of its tokens).
pub(crate) fn tenant_id(seed: u64) -> u128 {
    new_oid(&mut stream(seed, TENANT_STREAM))
}

/// Build the tenant of `people` (every one present in Entra becomes a user).
pub(crate) fn generate(seed: u64, people: impl IntoIterator<Item = Person>, hint: usize) -> Tenant {
    let mut t = Tenant::empty(tenant_id(seed), seed, stream(seed, RUNTIME_STREAM), hint);
    t.initial_domain = initial_domain();
    let mut user_ids = stream(seed, USER_STREAM);
    let mut object_ids = stream(seed, OBJECT_STREAM);

    let mut waves: [Vec<Member>; 3] = Default::default();
    let mut rollout_waves: [Vec<Member>; 3] = Default::default();
    let mut pilot = Vec::new();
    let mut everyone = Vec::with_capacity(hint);
    let mut all_staff = Vec::with_capacity(hint);
    let mut contractors = Vec::new();

    for p in people {
        // Every person draws an id, present or not, so ids do not shift with presence.
        let id = new_oid(&mut user_ids);
        if p.presence == Presence::MfaServerOnly {
            continue;
        }
        let mut user = User {
            id,
            upn: p.upn.as_str().into(),
            display_name: p.display_name.as_str().into(),
            given_name: p.given_name.as_str().into(),
            surname: p.surname.as_str().into(),
            mail: p.mail.as_str().into(),
            employee_id: p.employee_id.as_str().into(),
            sam: p.synced.then(|| p.sam_account_name.as_str().into()),
            sid: p.synced.then(|| p.sid.as_str().into()),
            synced: p.synced,
            enabled: true,
            phones: [None, None, None],
            authenticators: Vec::new(),
            software_oath: Vec::new(),
            hardware: Vec::new(),
            preferred: p
                .entra
                .default_method
                .as_deref()
                .and_then(DefaultMethod::from_graph),
            system_preferred: false,
            per_user_mfa: PerUserMfa::Disabled,
        };
        for (kind, number) in &p.entra.phones {
            if let Some(t) = PhoneType::from_graph(kind) {
                user.phones[t.slot()] = Some(number.as_str().into());
            }
        }
        for name in &p.entra.authenticators {
            user.authenticators.push(Authenticator {
                id: new_oid(&mut object_ids),
                display_name: name.as_str().into(),
                phone_app_version: "6.2409.6294".into(),
            });
        }
        let u = t.push_user(user);
        let m = Member::User(u);
        everyone.push(m);
        if p.synced {
            all_staff.push(m);
        }
        let w = usize::from(p.wave.clamp(1, 3)) - 1;
        waves[w].push(m);
        if p.synced {
            rollout_waves[w].push(m);
        }
        if p.pilot {
            pilot.push(m);
        }
        if p.index % 50 == 17 {
            contractors.push(m);
        }
    }

    let contact_id = new_oid(&mut object_ids);
    let federation_id = new_oid(&mut object_ids);
    let mut group =
        |t: &mut Tenant, name: &str, description: &str, kind: GroupKind, members: Vec<Member>| {
            t.push_group(Group {
                id: new_oid(&mut object_ids),
                display_name: name.to_string(),
                description: description.to_string(),
                kind,
                members,
                synced: false,
            })
        };
    let wave_groups: Vec<Member> = waves
        .into_iter()
        .zip(names::WAVES)
        .map(|(members, name)| {
            Member::Group(group(
                &mut t,
                name,
                "Users whose MFA Server data is migrated in this wave.",
                GroupKind::Assigned,
                members,
            ))
        })
        .collect();
    group(
        &mut t,
        names::MIGRATION,
        "All migration waves (nested groups).",
        GroupKind::Assigned,
        wave_groups,
    );
    group(
        &mut t,
        names::PILOT,
        "Pilot users of the MFA migration.",
        GroupKind::Assigned,
        pilot,
    );
    group(
        &mut t,
        names::DYNAMIC,
        "Every enabled user (dynamic membership).",
        GroupKind::Dynamic {
            rule: "(user.accountEnabled -eq true)".to_string(),
        },
        everyone,
    );
    let contact = t.push_contact(Contact {
        id: contact_id,
        display_name: "Contractor Desk (external)".to_string(),
        mail: "desk@contractors.example".to_string(),
    });
    contractors.insert(0, Member::Contact(contact));
    group(
        &mut t,
        names::CONTRACTORS,
        "Contractors and the contractor desk contact.",
        GroupKind::Assigned,
        contractors,
    );
    group(
        &mut t,
        names::ALL_STAFF,
        "Every synced user, as direct members: Staged Rollout for the whole organisation.",
        GroupKind::Assigned,
        all_staff,
    );
    for (members, name) in rollout_waves.into_iter().zip(names::ROLLOUT_WAVES) {
        group(
            &mut t,
            name,
            "Staged Rollout group of a wave: synced users, direct members.",
            GroupKind::Assigned,
            members,
        );
    }

    let label = DOMAIN.split('.').next().unwrap_or(DOMAIN);
    t.domains = vec![
        Domain {
            name: DOMAIN.to_string(),
            is_default: true,
            is_initial: false,
            verified: true,
            federation: Some(Federation {
                id: federation_id,
                display_name: format!("{} AD FS", capitalise(label)),
                issuer_uri: format!("http://sts.{DOMAIN}/adfs/services/trust"),
                metadata_exchange_uri: format!("https://sts.{DOMAIN}/adfs/services/trust/mex"),
                passive_sign_in_uri: format!("https://sts.{DOMAIN}/adfs/ls/"),
                active_sign_in_uri: format!(
                    "https://sts.{DOMAIN}/adfs/services/trust/2005/usernamemixed"
                ),
                sign_out_uri: format!("https://sts.{DOMAIN}/adfs/ls/?wa=wsignout1.0"),
                signing_certificate: "MIIC3jCCAcagAwIBAgIQSIMULATEDSIGNINGCERTIFICATE0="
                    .to_string(),
                next_signing_certificate: None,
                preferred_authentication_protocol: "wsFed".to_string(),
                prompt_login_behavior: "nativeSupport".to_string(),
                is_signed_authentication_request_required: true,
                mfa_behavior: None,
            }),
        },
        Domain {
            name: t.initial_domain.clone(),
            is_default: false,
            is_initial: true,
            verified: true,
            federation: None,
        },
    ];
    t.policy = MethodConfigId::ALL
        .into_iter()
        .map(|id| MethodConfig {
            id,
            enabled: matches!(
                id,
                MethodConfigId::MicrosoftAuthenticator
                    | MethodConfigId::Sms
                    | MethodConfigId::Voice
                    | MethodConfigId::SoftwareOath
                    | MethodConfigId::HardwareOath
            ),
            include: vec![Target::AllUsers],
            exclude: Vec::new(),
        })
        .collect();
    t
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The people of the organisation for `seed` and `users`.
pub(crate) fn people(seed: u64, users: usize) -> impl Iterator<Item = Person> {
    stand_in::people(seed, users)
}

/// Hand-made people, used until the population generator lands in this branch.
mod stand_in {
    use chrono::{TimeZone, Utc};

    use crate::datafile::sample::{
        DOMAIN, EntraSeed, MfaIdentity, MfaRecord, NETBIOS, Person, Presence,
    };

    const GIVEN: [&str; 12] = [
        "Ann", "Bob", "Chloé", "David", "Eva", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kate",
        "Liam",
    ];
    const SURNAMES: [&str; 10] = [
        "Smith", "O'Neil", "García", "Nguyen", "Müller", "Okafor", "Rossi", "Kowalski", "Ahmed",
        "Dubois",
    ];

    pub(super) fn people(seed: u64, users: usize) -> impl Iterator<Item = Person> {
        (0..users).map(move |i| person(seed, i))
    }

    fn person(seed: u64, i: usize) -> Person {
        let mix = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ seed;
        let given = GIVEN[i % GIVEN.len()];
        let surname = SURNAMES[(i / GIVEN.len()) % SURNAMES.len()];
        let local = format!("{}.{}{}", ascii(given), ascii(surname), i);
        let upn = format!("{local}@{DOMAIN}");
        let sam = format!("{}{}", &ascii(given)[..1], i);
        let presence = match mix % 40 {
            0 => Presence::MfaServerOnly,
            1 => Presence::EntraOnly,
            _ => Presence::Both,
        };
        let mut entra = EntraSeed::default();
        if mix % 7 == 3 {
            entra
                .phones
                .push(("mobile".into(), format!("+1 42555{:05}", i % 100_000)));
            entra.default_method = Some("sms".into());
        }
        if mix % 11 == 5 {
            entra.authenticators.push(format!("{given}'s iPhone"));
        }
        let at = Utc
            .with_ymd_and_hms(2024, 3, 1, 9, 0, 0)
            .single()
            .unwrap_or_default();
        Person {
            index: i,
            given_name: given.into(),
            surname: surname.into(),
            display_name: format!("{given} {surname}"),
            upn: upn.clone(),
            mail: upn.clone(),
            sam_account_name: sam.clone(),
            sid: format!("S-1-5-21-1004336348-1177238915-682003330-{}", 1100 + i),
            employee_id: format!("E{:06}", 10_000 + i),
            identity: match i % 3 {
                0 => MfaIdentity::Upn,
                1 => MfaIdentity::Sid,
                _ => MfaIdentity::Attribute,
            },
            presence,
            synced: mix % 25 != 2,
            wave: (i % 3) as u8 + 1,
            pilot: i.is_multiple_of(20),
            mfa: MfaRecord {
                username: format!("{NETBIOS}\\{sam}"),
                upn: Some(upn),
                sid: None,
                email: None,
                ad_attributes: Vec::new(),
                country_code: Some("1".into()),
                phone: Some(format!("425555{:04}", i % 10_000)),
                extension: None,
                backup_country_code: None,
                backup_phone: None,
                backup_extension: None,
                default_method: Some("phone_call".into()),
                phone_call_mode: None,
                text_message_mode: None,
                mobile_app_mode: None,
                language: None,
                enabled: true,
                changed_at: at,
                devices: Vec::new(),
                tokens: Vec::new(),
            },
            entra,
        }
    }

    fn ascii(s: &str) -> String {
        s.chars()
            .filter_map(|c| match c {
                'é' => Some('e'),
                'í' => Some('i'),
                'ü' => Some('u'),
                '\'' => Some('\''),
                c if c.is_ascii_alphabetic() => Some(c.to_ascii_lowercase()),
                _ => None,
            })
            .collect()
    }
}
