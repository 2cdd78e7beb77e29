//! The engine against the simulated tenant in the documented variants real tenants show:
//! a migration ends with every user as the rules expect, nothing created twice, and every
//! capability the tenant lacks said in the plan before any write.
//!
//! - Global cloud: hardware token lists wrapped, a serial held by another user in the
//!   inventory and one uploaded for another user through the legacy CSV (invisible to
//!   the serial search), a methods policy not yet migrated, office phones not allowed.
//! - China cloud (21Vianet): no phone update, no hardware OATH.

mod engine_support;

use std::collections::HashMap;
use std::sync::Arc;

use engine_support::{Driver, Fixture, GROUP, assert_no_duplicates};
use mfa_cutover::cloud::Cloud;
use mfa_cutover::config::AuthKind;
use mfa_cutover::datafile::{Known, OathKind};
use mfa_cutover::engine::{
    Command, Event, MigrationCommand, MigrationEvent, Scope, SignIn, UserStatus,
};
use mfa_cutover::graph::auth::{Session, StaticToken, TokenSource};
use mfa_cutover::migrate::{Action, MigrationSettings, NoteKind, Plan, PreferredMethod, Rule};
use mfa_cutover::sim::{
    DeviceListShape, MethodConfigId, PhoneType, PolicyMigrationState, SimCloud, SimConfig,
    Variants, WriteOp,
};

const SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

/// The plans each user was given (the last one) and how each ended.
#[derive(Default)]
struct Outcome {
    plans: HashMap<String, Arc<Plan>>,
    ended: HashMap<String, UserStatus>,
}

async fn migrate(d: &mut Driver) -> Outcome {
    d.send(Command::Migration(MigrationCommand::Migrate {
        scope: Scope::Group,
        include_unchanged: false,
    }))
    .await;
    let mut out = Outcome::default();
    loop {
        match d.next(600).await {
            Event::Migration(MigrationEvent::UserStatus { user, status }) => {
                if let UserStatus::Planned { plan } = &status {
                    out.plans.insert(user.clone(), plan.clone());
                }
                out.ended.insert(user, status);
            }
            Event::Migration(MigrationEvent::Finished { .. }) => return out,
            Event::Error(e) => panic!("engine error: {e:?}"),
            _ => {}
        }
    }
}

fn assert_none_failed(out: &Outcome) {
    let bad: Vec<_> = out
        .ended
        .iter()
        .filter(|(_, s)| matches!(s, UserStatus::Failed { .. } | UserStatus::Mismatch { .. }))
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
}

/// Entra ids (by UPN) of the migration group's members whose MFA Server user has a TOTP
/// token with its secret, with that serial.
fn members_with_tokens(fx: &Fixture) -> Vec<(String, String)> {
    let data = fx.data();
    let members: Vec<String> = fx.sim.inspect(|t| {
        t.group(GROUP)
            .map(|g| {
                g.transitive_users()
                    .iter()
                    .map(|u| u.to_lowercase())
                    .collect()
            })
            .unwrap_or_default()
    });
    let mut out = Vec::new();
    for u in data.users() {
        let Some(upn) = u.upn().map(str::to_lowercase) else {
            continue;
        };
        if !members.contains(&upn) || u.enabled() == Known::Known(false) {
            continue;
        }
        let Known::Known(mut tokens) = u.tokens() else {
            continue;
        };
        if let Some(t) = tokens.find(|t| t.kind() == OathKind::Totp && t.secret().is_some()) {
            let id = fx.sim.inspect(|v| v.user(&upn).map(|x| x.id()));
            if let Some(id) = id {
                out.push((id, t.serial().trim().to_string()));
            }
        }
    }
    out
}

/// Another user (not one of `not`) with room for one more device.
fn other_user(fx: &Fixture, not: &[String]) -> String {
    fx.sim.inspect(|t| {
        t.users()
            .find(|u| u.device_count() < 4 && !not.contains(&u.id()))
            .map(|u| u.id())
            .expect("another user")
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_migration_holds_up_in_every_global_variant() {
    let fx = Fixture::new(SimConfig {
        users: 400,
        seed: 11,
        variants: Variants {
            device_list_shape: DeviceListShape::Wrapped,
            policy_migration_state: PolicyMigrationState::PreMigration,
            office_phone_allowed: false,
            ..Variants::default()
        },
        ..Default::default()
    })
    .await;
    let holders = members_with_tokens(&fx);
    assert!(
        holders.len() >= 2,
        "the sample has token holders: {holders:?}"
    );
    let (visible_user, visible_serial) = holders[0].clone();
    let (legacy_user, legacy_serial) = holders[1].clone();
    let taken: Vec<String> = holders.iter().map(|(id, _)| id.clone()).collect();
    let o1 = other_user(&fx, &taken);
    let o2 = other_user(&fx, &[taken.clone(), vec![o1.clone()]].concat());
    // Another user already holds each serial: one as the inventory lists it (wrapped),
    // one uploaded through the legacy CSV (listed under that user only).
    fx.sim
        .configure(|a| a.add_hardware_token(&visible_serial, SECRET, 30, None, Some(&o1), true))
        .unwrap();
    fx.sim
        .configure(|a| a.add_legacy_csv_token(&legacy_serial, SECRET, &o2, true))
        .unwrap();
    // SMS off in the methods policy, which is not yet migrated: the legacy policy may
    // still allow it, so it is not treated as disabled.
    fx.sim
        .configure(|a| a.set_method_enabled(MethodConfigId::Sms, false));

    let mut d = fx.engine(MigrationSettings::default()).await;
    d.ready().await;
    assert!(d.load_group(GROUP).await > 0);
    let out = migrate(&mut d).await;
    assert_none_failed(&out);
    assert_no_duplicates(&fx.sim);

    // H1 decided both serials: skipped, never created, never a failure.
    for (user, serial) in [
        (&visible_user, &visible_serial),
        (&legacy_user, &legacy_serial),
    ] {
        let plan = out.plans.get(user).expect("the user was planned");
        assert!(
            plan.skips
                .iter()
                .any(|s| s.rule == Rule::H1 && s.reason.contains(serial.as_str())),
            "{serial}: {:#?}",
            plan.skips
        );
        assert!(
            matches!(out.ended.get(user), Some(UserStatus::Verified)),
            "{serial}: {:?}",
            out.ended.get(user)
        );
    }
    let created: Vec<String> = fx.sim.inspect(|t| {
        t.write_log()
            .iter()
            .filter_map(|w| match &w.op {
                WriteOp::CreateHardwareDevice { serial, .. } => Some(serial.to_lowercase()),
                _ => None,
            })
            .collect()
    });
    assert!(!created.contains(&visible_serial.to_lowercase()));
    assert!(!created.contains(&legacy_serial.to_lowercase()));
    // The legacy upload still belongs to its user.
    let owner = fx.sim.inspect(|t| {
        t.hardware_device(&legacy_serial)
            .and_then(|d| d.assigned_to().map(str::to_string))
    });
    let o2_upn = fx.sim.inspect(|t| t.user(&o2).map(|u| u.upn().to_string()));
    assert_eq!(owner, o2_upn);

    // Office phones not allowed: nobody gets voiceOffice, and plans writing office
    // numbers say why they cannot be called.
    let office_defaults = out
        .plans
        .values()
        .flat_map(|p| p.ops.iter())
        .filter(|op| {
            matches!(
                op.action,
                Action::SetDefaultMethod {
                    method: PreferredMethod::VoiceOffice,
                    ..
                }
            )
        })
        .count();
    assert_eq!(office_defaults, 0);
    assert!(
        out.plans.values().any(|p| p
            .notes
            .iter()
            .any(|n| n.kind == NoteKind::OfficePhoneNotAllowed)),
        "some plan writes an office number"
    );
    let sms_via_legacy = out.plans.values().filter(|p| {
        p.notes.iter().any(|n| n.kind == NoteKind::LegacyPolicy)
            && p.ops.iter().any(|op| {
                matches!(
                    op.action,
                    Action::SetDefaultMethod {
                        method: PreferredMethod::Sms,
                        ..
                    }
                )
            })
    });
    assert!(
        sms_via_legacy.count() > 0,
        "sms is set, with the legacy note"
    );
    assert!(
        out.plans
            .values()
            .all(|p| !p.usable.contains(PreferredMethod::Sms)),
        "but never counted as surely usable"
    );
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_migration_in_the_china_cloud_skips_what_its_graph_cannot_do() {
    let fx = Fixture::new(SimConfig {
        users: 300,
        seed: 12,
        variants: Variants {
            cloud: SimCloud::China,
            ..Variants::default()
        },
        ..Default::default()
    })
    .await;
    // A member whose Entra mobile differs from MFA Server's: China cannot update it.
    let data = fx.data();
    let members: Vec<String> = fx.sim.inspect(|t| {
        t.group(GROUP)
            .map(|g| {
                g.transitive_users()
                    .iter()
                    .map(|u| u.to_lowercase())
                    .collect()
            })
            .unwrap_or_default()
    });
    let target = data
        .users()
        .filter(|u| u.enabled() != Known::Known(false))
        .find_map(|u| {
            let upn = u.upn()?.to_lowercase();
            let phone = u.phone().value()?;
            (members.contains(&upn) && !phone.has_extension()).then_some(upn)
        })
        .expect("a member with a mobile phone");
    let target_id = fx.sim.inspect(|t| t.user(&target).map(|u| u.id())).unwrap();
    fx.sim
        .configure(|a| a.set_phone(&target, PhoneType::Mobile, Some("+1 2065550199")))
        .unwrap();

    // The engine as the harness builds it, signed in to the China cloud.
    let tokens: Arc<dyn TokenSource> = Arc::new(StaticToken::new(fx.sim.token()).unwrap());
    let session = Session::from_source(tokens, AuthKind::Token, Cloud::China, true)
        .await
        .unwrap();
    let mut o = fx.options(MigrationSettings::default()).await;
    o.sign_in = SignIn::Ready(session);
    o.config.cloud = Cloud::China;
    let mut d = fx.start(o).await;
    d.ready().await;
    assert!(d.load_group(GROUP).await > 0);
    let out = migrate(&mut d).await;
    assert_none_failed(&out);
    assert_no_duplicates(&fx.sim);

    let plan = out.plans.get(&target_id).expect("planned");
    assert!(
        plan.skips.iter().any(|s| s.rule == Rule::P6),
        "{:#?}",
        plan.skips
    );
    assert_eq!(
        fx.sim.inspect(|t| t
            .user(&target)
            .and_then(|u| u.phone(PhoneType::Mobile).map(str::to_string))),
        Some("+1 2065550199".to_string()),
        "never overwritten"
    );
    // No phone update, no hardware token call reached the tenant.
    let refused_kinds = fx.sim.inspect(|t| {
        t.write_log()
            .iter()
            .filter(|w| {
                matches!(
                    w.op,
                    WriteOp::UpdatePhone(_)
                        | WriteOp::DeletePhone(_)
                        | WriteOp::CreateHardwareDevice { .. }
                        | WriteOp::AssignHardwareToken { .. }
                        | WriteOp::AssignAndActivateHardwareToken { .. }
                )
            })
            .count()
    });
    assert_eq!(refused_kinds, 0);
    assert!(
        out.plans
            .values()
            .any(|p| p.skips.iter().any(|s| s.rule == Rule::H3)),
        "hardware tokens are skipped by H3"
    );
    d.shutdown().await;
}
