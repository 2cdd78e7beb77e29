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
use crate::datafile::sample::{DOMAIN, Person, Population, Presence};

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
    /// The pilot's Staged Rollout group: the pilot's synced users.
    pub const ROLLOUT_PILOT: &str = "MFA Rollout Pilot";
    /// Nested inside "MFA Rollout Wave 3": its users are out of Staged Rollout's scope.
    pub const BRANCH_OFFICES: &str = "MFA Rollout Wave 3 Branch Offices";
    /// The waves of the demo's config, in order: (name, migration group, rollout group).
    pub const DEMO_WAVES: [(&str, &str, &str); 4] = [
        ("Pilot", PILOT, ROLLOUT_PILOT),
        ("Wave 1", WAVES[0], ROLLOUT_WAVES[0]),
        ("Wave 2", WAVES[1], ROLLOUT_WAVES[1]),
        ("Wave 3", WAVES[2], ROLLOUT_WAVES[2]),
    ];
}

/// `contoso.onmicrosoft.com` for `contoso.com`.
pub(crate) fn initial_domain() -> String {
    let label = DOMAIN.split('.').next().unwrap_or(DOMAIN);
    format!("{label}.onmicrosoft.com")
}

/// Stream numbers of the id generators.
const TENANT_STREAM: u64 = 0x7465_6e61_6e74;
/// Mixed into the seed of each person's id stream.
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

/// A person as an Entra user, before the tenant numbers them.
struct Seeded {
    user: User,
    index: usize,
    wave: u8,
    pilot: bool,
}

/// The Entra side of person `p`, or `None` for people who left the company. Ids come
/// from the person's own stream, so they do not depend on the organisation's size.
fn seeded(seed: u64, p: Person) -> Option<Seeded> {
    if p.presence == Presence::MfaServerOnly {
        return None;
    }
    let mut ids = stream(seed ^ USER_STREAM, p.index as u64);
    let mut user = User {
        id: new_oid(&mut ids),
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
            id: new_oid(&mut ids),
            display_name: name.as_str().into(),
            phone_app_version: "6.2409.6294".into(),
        });
    }
    Some(Seeded {
        user,
        index: p.index,
        wave: p.wave,
        pilot: p.pilot,
    })
}

/// The people of `Population::new(seed, users)` as Entra users, in index order. Person
/// `i` needs no other person, so the work is split across the cores.
fn people(seed: u64, users: usize) -> Vec<Seeded> {
    let pop = Population::new(seed, users);
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    let chunk = users.div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let parts: Vec<_> = (0..users)
            .step_by(chunk)
            .map(|from| {
                s.spawn(move || {
                    (from..(from + chunk).min(users))
                        .filter_map(|i| seeded(seed, pop.person(i)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all = Vec::with_capacity(users);
        for part in parts {
            match part.join() {
                Ok(v) => all.extend(v),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        all
    })
}

/// Build the tenant of the organisation `Population::new(seed, users)`: every person
/// present in Entra becomes a user.
pub(crate) fn generate(seed: u64, users: usize) -> Tenant {
    let people = people(seed, users);
    let mut t = Tenant::empty(
        tenant_id(seed),
        seed,
        stream(seed, RUNTIME_STREAM),
        people.len(),
    );
    t.initial_domain = initial_domain();
    let mut object_ids = stream(seed, OBJECT_STREAM);

    let mut waves: [Vec<Member>; 3] = Default::default();
    let mut rollout_waves: [Vec<Member>; 3] = Default::default();
    let mut branch_offices = Vec::new();
    let mut pilot = Vec::new();
    let mut rollout_pilot = Vec::new();
    let mut everyone = Vec::with_capacity(people.len());
    let mut all_staff = Vec::with_capacity(people.len());
    let mut contractors = Vec::new();

    for p in people {
        let synced = p.user.synced;
        let u = t.push_user(p.user);
        let m = Member::User(u);
        everyone.push(m);
        let w = usize::from(p.wave.clamp(1, 3)) - 1;
        waves[w].push(m);
        if synced {
            all_staff.push(m);
        }
        // The rollout group of a wave holds the wave's synced users, as the migration
        // guide recommends (a separate group, the same people). Wave 3 carries the
        // mistakes Staged Rollout's rules are about: its cloud-only users (not affected)
        // and a nested group of branch-office users (out of scope).
        match (w, synced) {
            (2, true) if p.index % 10 == 3 => branch_offices.push(m),
            (2, _) | (_, true) => rollout_waves[w].push(m),
            _ => {}
        }
        if p.pilot {
            pilot.push(m);
            if synced {
                rollout_pilot.push(m);
            }
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
    let mut wave_3 = None;
    for (members, name) in rollout_waves.into_iter().zip(names::ROLLOUT_WAVES) {
        wave_3 = Some(group(
            &mut t,
            name,
            "Staged Rollout group of a wave: synced users, direct members.",
            GroupKind::Assigned,
            members,
        ));
    }
    // Made after the others so every earlier group keeps its id.
    group(
        &mut t,
        names::ROLLOUT_PILOT,
        "Staged Rollout group of the pilot: its synced users, direct members.",
        GroupKind::Assigned,
        rollout_pilot,
    );
    let branch = group(
        &mut t,
        names::BRANCH_OFFICES,
        "Branch-office users of wave 3, nested in its rollout group.",
        GroupKind::Assigned,
        branch_offices,
    );
    if let Some(g) = wave_3.and_then(|g| t.groups.get_mut(g as usize)) {
        g.members.push(Member::Group(branch));
    }
    t.invalidate_memberships();

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
