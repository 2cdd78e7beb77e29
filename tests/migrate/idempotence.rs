//! Rule C2 as a property: for generated users, Entra states, policies and settings,
//! applying a plan's expected state to Entra and planning again yields no operations;
//! and the applied state passes the plan's own read-back check (C4).

use mfa_cutover::datafile::{Known, MfaMethod, OathKind};
use mfa_cutover::migrate::{
    AllowedMethods, DefaultMethodMode, DeviceOwner, EntraDefault, EntraHardwareToken, EntraMethods,
    EntraPhone, ExpectSlot, HardwareStatus, InventoryDevice, MigrationSettings, MobileAppHandling,
    PhoneSlot, Plan, PolicyMigration, PreferredMethod, verify,
};
use proptest::prelude::*;

use super::fixture::*;

const NUMBERS: [&str; 4] = [
    "+1 4255550100",
    "+1 4255550101",
    "+1 4255550100x12",
    "+44 2079460958",
];
const NAMES: [&str; 4] = ["iPhone", "Pixel", "iphone", "iPad"];
const SERIALS: [&str; 3] = ["T1", "T2", "T3"];

fn mfa_phone() -> impl Strategy<Value = Option<&'static str>> {
    prop::option::of(prop::sample::select(&NUMBERS[..]))
}

fn entra_phone() -> impl Strategy<Value = Option<EntraPhone>> {
    prop_oneof![
        3 => Just(None),
        3 => prop::sample::select(&NUMBERS[..]).prop_map(|n| Some(EntraPhone::from_graph(n))),
        1 => Just(Some(EntraPhone::from_graph("+1 XXXXXXXX00"))),
        1 => Just(Some(EntraPhone::from_graph("425 555 0100"))),
    ]
}

fn mfa_default() -> impl Strategy<Value = Known<Option<MfaMethod>>> {
    prop_oneof![
        Just(Known::Unknown),
        Just(Known::Known(None)),
        Just(Known::Known(Some(MfaMethod::PhoneCall))),
        Just(Known::Known(Some(MfaMethod::TextMessage))),
        Just(Known::Known(Some(MfaMethod::MobileApp))),
        Just(Known::Known(Some(MfaMethod::OathToken))),
    ]
}

fn devices() -> impl Strategy<Value = Option<Vec<Dev>>> {
    prop::option::weighted(
        0.9,
        prop::collection::vec(
            (
                prop::sample::select(&NAMES[..]),
                prop::option::of(1u32..20),
                any::<bool>(),
            )
                .prop_map(|(name, day, secret)| Dev { name, day, secret }),
            0..7,
        ),
    )
}

fn tokens() -> impl Strategy<Value = Option<Vec<Tok>>> {
    prop::option::weighted(
        0.9,
        prop::collection::vec(
            (
                prop::sample::select(&SERIALS[..]),
                any::<bool>(),
                prop::bool::weighted(0.8),
            )
                .prop_map(|(serial, hotp, secret)| Tok {
                    serial,
                    kind: if hotp { OathKind::Hotp } else { OathKind::Totp },
                    secret,
                }),
            0..3,
        ),
    )
}

fn mfa() -> impl Strategy<Value = Mfa> {
    (mfa_phone(), mfa_phone(), mfa_default(), devices(), tokens()).prop_map(
        |(phone, backup, default, devices, tokens)| Mfa {
            phone: Known::Known(phone),
            backup: Known::Known(backup),
            default,
            devices,
            tokens,
            ..Mfa::default()
        },
    )
}

fn status() -> impl Strategy<Value = HardwareStatus> {
    prop_oneof![
        Just(HardwareStatus::Activated),
        Just(HardwareStatus::Assigned),
        Just(HardwareStatus::FailedActivation),
    ]
}

fn entra() -> impl Strategy<Value = Entra> {
    (
        (entra_phone(), entra_phone(), entra_phone()),
        prop::collection::vec(prop::sample::select(&NAMES[..]), 0..3),
        0usize..2,
        prop::collection::vec((prop::sample::select(&SERIALS[..]), status()), 0..2),
        prop::collection::vec((prop::sample::select(&SERIALS[..]), 0u8..3), 0..2),
        prop::option::of(prop::sample::select(&PreferredMethod::RANKED[..])),
        prop::option::of(any::<bool>()),
    )
        .prop_map(
            |((mobile, alternate, office), auths, soft, hw, inv, default, sysp)| {
                let mut e = Entra::default();
                e.methods.mobile = mobile;
                e.methods.alternate_mobile = alternate;
                e.methods.office = office;
                for a in auths {
                    e = e.authenticator(a);
                }
                for _ in 0..soft {
                    e = e.software_oath();
                }
                for (serial, st) in hw {
                    e = e.hardware(serial, st);
                }
                for (serial, owner) in inv {
                    e = e.inventory(
                        serial,
                        match owner {
                            0 => None,
                            1 => Some(ENTRA_ID),
                            _ => Some("someone-else"),
                        },
                    );
                }
                e.methods.default = default.map_or(EntraDefault::NotSet, EntraDefault::Set);
                e.methods.system_preferred_enabled = sysp;
                e
            },
        )
}

fn run() -> impl Strategy<Value = Run> {
    (
        prop::sample::select(
            &[
                DefaultMethodMode::Always,
                DefaultMethodMode::IfNotSet,
                DefaultMethodMode::MostSecureIfNotSet,
            ][..],
        ),
        any::<bool>(),
        prop::bool::weighted(0.8),
        prop::array::uniform5(prop::bool::weighted(0.8)),
        (
            prop::bool::weighted(0.8),
            prop::bool::weighted(0.8),
            prop::sample::select(
                &[
                    PolicyMigration::MigrationComplete,
                    PolicyMigration::PreMigration,
                    PolicyMigration::MigrationInProgress,
                ][..],
            ),
        ),
    )
        .prop_map(
            |(mode, oath_hw, hw_available, a, (office, phone_update, migration))| Run {
                settings: MigrationSettings {
                    default_method: mode,
                    mobile_app: if oath_hw {
                        MobileAppHandling::OathAsHardwareToken
                    } else {
                        MobileAppHandling::Report
                    },
                    hardware_oath_available: hw_available,
                    phone_update_available: phone_update,
                    ..Default::default()
                },
                allowed: AllowedMethods {
                    sms: a[0],
                    voice: a[1],
                    authenticator: a[2],
                    hardware_oath: a[3],
                    software_oath: a[4],
                    office_phone: office,
                    migration,
                },
                ..Default::default()
            },
        )
}

/// What Entra holds once the plan's expected state is in place.
fn apply(plan: &Plan, before: &Entra) -> Entra {
    let mut after = before.clone();
    for slot in PhoneSlot::ALL {
        if let ExpectSlot::Number(n) = plan.expected.slot(slot) {
            *after.methods.phone_mut(slot) = Some(EntraPhone::Number(n));
        }
    }
    for t in &plan.expected.tokens {
        let known = |m: &EntraMethods| {
            m.hardware_oath.iter().any(|h| {
                h.serial
                    .as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case(&t.serial))
            })
        };
        if !known(&after.methods) {
            after.methods.hardware_oath.push(EntraHardwareToken {
                id: format!("m-{}", t.serial),
                device_id: Some(format!("dev-{}", t.serial)),
                serial: Some(t.serial.clone()),
                status: if t.activated {
                    HardwareStatus::Activated
                } else {
                    HardwareStatus::Assigned
                },
            });
        }
        match after
            .inventory
            .iter_mut()
            .find(|d| d.serial.eq_ignore_ascii_case(&t.serial))
        {
            Some(d) => d.owner = DeviceOwner::User(ENTRA_ID.into()),
            None => after.inventory.push(InventoryDevice {
                id: format!("dev-{}", t.serial),
                serial: t.serial.clone(),
                owner: DeviceOwner::User(ENTRA_ID.into()),
                status: HardwareStatus::Assigned,
            }),
        }
    }
    if let Some(m) = plan.expected.default {
        after.methods.default = EntraDefault::Set(m);
    }
    after
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn planning_again_after_applying_yields_no_operations(m in mfa(), e in entra(), r in run()) {
        let first = plan(&m, &e, &r);
        let after = apply(&first, &e);
        prop_assert!(
            verify(&first, &after.methods).is_ok(),
            "the applied state does not verify: {:?}", verify(&first, &after.methods)
        );
        let second = plan(&m, &after, &r);
        prop_assert!(
            second.ops.is_empty(),
            "second plan still writes:\n{}\nfirst plan:\n{}",
            lines(&second).join("\n"),
            lines(&first).join("\n")
        );
        // Re-planning keeps the same expectations and the same usable methods.
        prop_assert_eq!(&second.expected, &first.expected);
        prop_assert_eq!(second.usable, first.usable);
        // C3 order holds for every generated plan.
        prop_assert!(first.ops.iter().map(|o| o.action.order()).is_sorted());
    }
}
