//! Planning cost at scale: index 500,000 MFA Server users, then match, decide (with the
//! C1 fingerprint) and plan every one against a typical Entra state.
//! Run: `cargo bench --bench plan` (prints figures; no timed assertions).

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use mfa_cutover::datafile::{
    DataSet, DataSetBuilder, HashFunction, Known, MfaMethod, NewDevice, NewToken, NewUser,
    OathKind, TimeStep,
};
use mfa_cutover::migrate::{
    AllowedMethods, Change, Decision, EntraAuthenticator, EntraMethods, EntraPhone, EntraUser,
    Match, Matcher, MigrationSettings, PhoneProblems, PlanInput, decide, plan_user, verify,
};
use mfa_cutover::phone::PhoneNumber;
use mfa_cutover::secret::OathSecret;

const USERS: usize = 500_000;

fn build() -> Result<(DataSet, Vec<String>), Box<dyn std::error::Error>> {
    let mut b = DataSetBuilder::with_capacity(USERS);
    let secret = OathSecret::from_base32("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")?;
    let mut upns = Vec::with_capacity(USERS);
    for i in 0..USERS {
        let upn = format!("user{i:06}@contoso.com");
        let username = format!("CONTOSO\\user{i:06}");
        let sid = format!("S-1-5-21-1004336348-1177238915-682003330-{}", 10_000 + i);
        let phone = PhoneNumber::from_graph(&format!("+1 425{:07}", i % 10_000_000))?;
        let backup = (i % 3 == 0)
            .then(|| {
                PhoneNumber::from_graph(&format!("+1 206{:07}x{}", i % 10_000_000, i % 900 + 100))
            })
            .transpose()?;
        let method = match i % 4 {
            0 => MfaMethod::PhoneCall,
            1 => MfaMethod::TextMessage,
            2 => MfaMethod::MobileApp,
            _ => MfaMethod::OathToken,
        };
        let idx = b.push_user(NewUser {
            username: &username,
            upn: Some(&upn),
            sid: Some(&sid),
            phone: Known::Known(Some(phone)),
            backup_phone: Known::Known(backup),
            default_method: Known::Known(Some(method)),
            enabled: Known::Known(i % 50 != 0),
            carries_devices: true,
            carries_tokens: true,
            ..Default::default()
        });
        if i % 2 == 0 {
            b.push_device(
                idx,
                NewDevice {
                    name: "iPhone",
                    activated_at: Utc.timestamp_opt(1_700_000_000 + i as i64, 0).single(),
                    oath_secret: Some(secret.clone()),
                    has_push_token: true,
                },
            );
        }
        if i % 10 == 3 {
            b.push_token(
                idx,
                NewToken {
                    serial: &format!("T{i:07}"),
                    manufacturer: Some("Contoso"),
                    model: Some("C200"),
                    secret: Some(secret.clone()),
                    kind: OathKind::Totp,
                    time_step: TimeStep::S30,
                    hash: HashFunction::HmacSha1,
                    added_at: None,
                },
            );
        }
        upns.push(upn);
    }
    Ok((b.finish(), upns))
}

fn per_user(d: Duration, n: usize) -> String {
    format!("{:.3} µs/user", d.as_secs_f64() * 1e6 / n as f64)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let t = Instant::now();
    let (data, upns) = build()?;
    println!("built {USERS} users in {:.2?}", t.elapsed());

    let settings = MigrationSettings::default();
    let t = Instant::now();
    let matcher = Matcher::new(&data, &settings);
    let index_time = t.elapsed();
    println!(
        "Matcher::new: {index_time:.2?} ({})",
        per_user(index_time, USERS)
    );

    // Entra members: half empty, a quarter with the same mobile, a quarter with another
    // mobile and an Authenticator registration.
    let members: Vec<EntraUser> = upns
        .iter()
        .enumerate()
        .map(|(i, upn)| EntraUser {
            id: format!("00000000-0000-4000-8000-{i:012}"),
            upn: upn.to_uppercase(),
            ..Default::default()
        })
        .collect();
    let states: Vec<EntraMethods> = (0..4)
        .map(|k| match k {
            0 | 1 => EntraMethods::default(),
            2 => EntraMethods {
                mobile: Some(EntraPhone::from_graph("+1 4250000002")),
                ..Default::default()
            },
            _ => EntraMethods {
                mobile: Some(EntraPhone::from_graph("+1 2065550100")),
                authenticators: vec![EntraAuthenticator {
                    id: "a".into(),
                    display_name: Some("iPhone".into()),
                }],
                ..Default::default()
            },
        })
        .collect();

    let t = Instant::now();
    let matches: Vec<Match> = members.iter().map(|m| matcher.match_user(m)).collect();
    let match_time = t.elapsed();
    println!(
        "match_user: {match_time:.2?} ({})",
        per_user(match_time, USERS)
    );

    let key = b"fingerprint key of the store";
    let t = Instant::now();
    let mut decided = Vec::with_capacity(USERS);
    for m in &matches {
        let d = decide(
            m,
            &data,
            &settings,
            Change {
                key,
                previous: None,
                include_unchanged: false,
            },
        );
        if let Decision::Plan {
            user, matched_by, ..
        } = d
        {
            decided.push((user, matched_by));
        }
    }
    let decide_time = t.elapsed();
    println!(
        "decide (M4 + C1 fingerprint): {decide_time:.2?} ({}); {} to plan",
        per_user(decide_time, USERS),
        decided.len()
    );

    let t = Instant::now();
    let mut ops = 0usize;
    let mut verified = 0usize;
    for (i, (user, by)) in decided.iter().enumerate() {
        let methods = &states[i % states.len()];
        let plan = plan_user(&PlanInput {
            user: *user,
            matched_by: *by,
            entra: &members[user.idx().0 as usize],
            methods,
            inventory: &[],
            allowed: AllowedMethods::ALL,
            settings: &settings,
            phone_problems: PhoneProblems::default(),
        });
        ops += plan.ops.len();
        verified += usize::from(verify(&plan, methods).is_ok());
        black_box(&plan);
    }
    let plan_time = t.elapsed();
    println!(
        "plan_user + verify: {plan_time:.2?} ({}); {ops} ops; {verified} plans verify against \
         the state they were made from (those without writes)",
        per_user(plan_time, decided.len())
    );
    let total = index_time + match_time + decide_time + plan_time;
    println!(
        "whole pipeline: {total:.2?} for {USERS} users ({})",
        per_user(total, USERS)
    );
    Ok(())
}
