//! Matching (M1–M3, conflicts), whole-user decisions (M4, C1), fingerprints (C1), row
//! problems (P5) and the summaries, over real `DataSet`s.

use mfa_cutover::datafile::{
    DataSetBuilder, Known, MfaMethod, NewDevice, NewUser, ProblemKind, RowProblem, RowRef, UserIdx,
};
use mfa_cutover::migrate::{
    BlastRadius, Change, Decision, EntraUser, Match, MatchAttribute, Matcher, MigrationSettings,
    MobileAppHandling, ProblemIndex, Rule, UserSkip, decide, describe_user_skip, fingerprint,
    must_reregister,
};
use mfa_cutover::secret::OathSecret;

use super::fixture::*;

fn entra(upn: &str, sid: Option<&str>, attrs: &[(&str, &str)]) -> EntraUser {
    EntraUser {
        id: format!("id-{upn}"),
        upn: upn.into(),
        on_premises_sid: sid.map(Into::into),
        attributes: attrs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Default::default()
    }
}

fn user<'a>(username: &'a str, upn: Option<&'a str>, sid: Option<&'a str>) -> NewUser<'a> {
    NewUser {
        username,
        upn,
        sid,
        ..Default::default()
    }
}

const KEY: &[u8] = b"store fingerprint key";

#[test]
fn matching_rules_m1_m2_m3_and_conflicts() {
    let mut b = DataSetBuilder::with_capacity(8);
    let ann = b.push_user(user(
        "CONTOSO\\ann",
        Some("Ann@Contoso.com"),
        Some("S-1-5-21-1-1001"),
    ));
    let bob = b.push_user(user("bob@contoso.com", None, None)); // M1 by a UPN-like username
    let cid = b.push_user(user("CONTOSO\\cid", None, Some("S-1-5-21-1-1003"))); // M2 only
    let dee = b.push_user(NewUser {
        ad_attributes: &[("employeeID", "E-4")],
        ..user("CONTOSO\\dee", None, None)
    }); // M3 only
    let eve1 = b.push_user(user("CONTOSO\\eve", Some("eve@contoso.com"), None));
    let eve2 = b.push_user(user("contoso\\EVE", None, None)); // shares eve's username
    let fay1 = b.push_user(user("CONTOSO\\fay", Some("fay@contoso.com"), None));
    let fay2 = b.push_user(user("CONTOSO\\fay2", None, Some("S-1-5-21-1-1006"))); // fay's SID
    let data = b.finish();
    let settings = MigrationSettings {
        match_attribute: Some(MatchAttribute {
            mfa_server: "employeeID".into(),
            entra: "employeeId".into(),
        }),
        ..Default::default()
    };
    let m = Matcher::new(&data, &settings);
    let cases = [
        (
            "M1: UPN, case-insensitive",
            entra("ann@CONTOSO.com", None, &[]),
            Match::Matched {
                user: ann,
                by: Rule::M1,
            },
        ),
        (
            "M1: a username that looks like a UPN",
            entra("Bob@contoso.com", None, &[]),
            Match::Matched {
                user: bob,
                by: Rule::M1,
            },
        ),
        (
            "M1 wins, M2 agrees",
            entra("ann@contoso.com", Some("s-1-5-21-1-1001"), &[]),
            Match::Matched {
                user: ann,
                by: Rule::M1,
            },
        ),
        (
            "M2: on-premises SID",
            entra("cid@contoso.com", Some("S-1-5-21-1-1003"), &[]),
            Match::Matched {
                user: cid,
                by: Rule::M2,
            },
        ),
        (
            "M3: the configured attribute",
            entra("dee@contoso.com", None, &[("employeeId", "e-4")]),
            Match::Matched {
                user: dee,
                by: Rule::M3,
            },
        ),
        (
            "not in MFA Server",
            entra(
                "zed@contoso.com",
                Some("S-1-5-21-9"),
                &[("employeeId", "E-9")],
            ),
            Match::NotInMfaServer,
        ),
        (
            "rows sharing a username: conflict, neither migrated",
            entra("eve@contoso.com", None, &[]),
            Match::Conflict {
                users: vec![eve1, eve2],
                by: Rule::M1,
            },
        ),
        (
            "two MFA Server users claim one Entra user (M1 and M2 disagree)",
            entra("fay@contoso.com", Some("S-1-5-21-1-1006"), &[]),
            Match::Conflict {
                users: vec![fay1, fay2],
                by: Rule::M1,
            },
        ),
    ];
    let mut matches = Vec::new();
    for (name, e, want) in cases {
        let got = m.match_user(&e);
        assert_eq!(got, want, "{name}");
        matches.push(got);
    }
    // Every MFA Server user was named by some member.
    assert_eq!(m.unmatched(&matches), Vec::<UserIdx>::new());
    assert_eq!(
        m.unmatched(&matches[..2]),
        vec![cid, dee, eve1, eve2, fay1, fay2]
    );
}

#[test]
fn two_users_with_one_upn_conflict() {
    let mut b = DataSetBuilder::default();
    let a = b.push_user(user("CONTOSO\\a", Some("same@contoso.com"), None));
    let c = b.push_user(user("CONTOSO\\c", Some("SAME@contoso.com"), None));
    let data = b.finish();
    let m = Matcher::new(&data, &MigrationSettings::default());
    let got = m.match_user(&entra("same@contoso.com", None, &[]));
    assert_eq!(
        got,
        Match::Conflict {
            users: vec![a, c],
            by: Rule::M1
        }
    );
    let change = Change {
        key: KEY,
        previous: None,
        include_unchanged: false,
    };
    let Decision::Skip(skip) = decide(&got, &data, &MigrationSettings::default(), change) else {
        panic!("a conflict is skipped");
    };
    assert_eq!(
        describe_user_skip(&skip, &data),
        "[M1] conflict: MFA Server users CONTOSO\\a, CONTOSO\\c all match, none is migrated"
    );
}

#[test]
fn decide_m4_and_c1() {
    let mut b = DataSetBuilder::default();
    let off = b.push_user(NewUser {
        enabled: Known::Known(false),
        ..user("CONTOSO\\off", Some("off@contoso.com"), None)
    });
    let unknown = b.push_user(NewUser {
        enabled: Known::Unknown,
        ..user("CONTOSO\\unk", Some("unk@contoso.com"), None)
    });
    let data = b.finish();
    let settings = MigrationSettings::default();
    let fresh = Change {
        key: KEY,
        previous: None,
        include_unchanged: false,
    };
    let matched = |u| Match::Matched {
        user: u,
        by: Rule::M1,
    };

    // M4: disabled users are skipped unless include_disabled.
    let d = decide(&matched(off), &data, &settings, fresh);
    assert!(matches!(
        d,
        Decision::Skip(UserSkip::DisabledInMfaServer { mfa_user }) if mfa_user == off
    ));
    let include = MigrationSettings {
        include_disabled: true,
        ..Default::default()
    };
    assert!(matches!(
        decide(&matched(off), &data, &include, fresh),
        Decision::Plan { .. }
    ));
    // An input that does not say is not "disabled".
    let Decision::Plan {
        fingerprint: fp,
        matched_by,
        ..
    } = decide(&matched(unknown), &data, &settings, fresh)
    else {
        panic!("planned");
    };
    assert_eq!(matched_by, Rule::M1);

    // C1: unchanged → skipped; --include-unchanged plans anyway; a settings change
    // changes the fingerprint.
    let again = Change {
        previous: Some(fp),
        ..fresh
    };
    assert!(matches!(
        decide(&matched(unknown), &data, &settings, again),
        Decision::Skip(UserSkip::Unchanged { .. })
    ));
    assert!(matches!(
        decide(
            &matched(unknown),
            &data,
            &settings,
            Change {
                include_unchanged: true,
                ..again
            }
        ),
        Decision::Plan { .. }
    ));
    let other = MigrationSettings {
        mobile_app: MobileAppHandling::OathAsHardwareToken,
        ..Default::default()
    };
    assert!(matches!(
        decide(&matched(unknown), &data, &other, again),
        Decision::Plan { .. }
    ));
    assert!(matches!(
        decide(&Match::NotInMfaServer, &data, &settings, fresh),
        Decision::Skip(UserSkip::NotInMfaServer)
    ));
}

/// Two inputs holding the same user, the devices listed in another order.
fn fingerprint_of(devices: &[(&str, u32)], secret: &str, phone_text: &str) -> [u8; 32] {
    let mut b = DataSetBuilder::default();
    let u = b.push_user(NewUser {
        phone: Known::Known(Some(phone(phone_text))),
        default_method: Known::Known(Some(MfaMethod::PhoneCall)),
        carries_devices: true,
        ..user("CONTOSO\\ann", Some("ann@contoso.com"), None)
    });
    for (name, day) in devices {
        b.push_device(
            u,
            NewDevice {
                name,
                activated_at: at(*day),
                oath_secret: Some(OathSecret::from_base32(secret).expect("secret")),
                has_push_token: true,
            },
        );
    }
    let data = b.finish();
    let user = data.user(u).expect("user");
    fingerprint(user, &MigrationSettings::default(), KEY)
}

#[test]
fn fingerprints_are_stable_order_independent_and_see_every_plan_field() {
    let base = fingerprint_of(&[("a", 1), ("b", 2)], SECRET, "+1 4255550100");
    assert_eq!(
        base,
        fingerprint_of(&[("a", 1), ("b", 2)], SECRET, "+1 4255550100")
    );
    assert_eq!(
        base,
        fingerprint_of(&[("b", 2), ("a", 1)], SECRET, "+1 4255550100")
    );
    assert_ne!(
        base,
        fingerprint_of(&[("a", 1), ("b", 3)], SECRET, "+1 4255550100")
    );
    assert_ne!(base, fingerprint_of(&[("a", 1)], SECRET, "+1 4255550100"));
    assert_ne!(
        base,
        fingerprint_of(
            &[("a", 1), ("b", 2)],
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
            "+1 4255550100"
        )
    );
    assert_ne!(
        base,
        fingerprint_of(&[("a", 1), ("b", 2)], SECRET, "+1 4255550101")
    );
    // A pinned value: a change to the encoding must be deliberate (and bump VERSION).
    assert_eq!(
        data_encoding::HEXLOWER.encode(&base[..8]),
        PINNED_FINGERPRINT_PREFIX
    );
}

const PINNED_FINGERPRINT_PREFIX: &str = "6c96900d5a667040";

#[test]
fn phone_problems_reach_the_plan_by_row_or_by_username() {
    let mut b = DataSetBuilder::default();
    let a = b.push_user(NewUser {
        source: Some(RowRef { input: 0, row: 2 }),
        ..user("CONTOSO\\ann", None, None)
    });
    let z = b.push_user(NewUser {
        source: Some(RowRef { input: 0, row: 3 }),
        ..user("CONTOSO\\zed", None, None)
    });
    for (row, name, field, reason) in [
        (Some(2), None, "phone", "bad phone"),
        (None, Some("contoso\\ZED"), "Backup Phone", "bad backup"),
        (Some(3), None, "default_method", "not a phone problem"),
    ] {
        b.problem(RowProblem {
            input: 0,
            row,
            user: name.map(String::from),
            field: field.into(),
            kind: if field == "default_method" {
                ProblemKind::UnknownMethod
            } else {
                ProblemKind::BadPhone
            },
            reason: reason.into(),
            set_aside: false,
        });
    }
    let data = b.finish();
    let idx = ProblemIndex::new(&data);
    assert_eq!(idx.phones(a).phone, Some("bad phone"));
    assert_eq!(idx.phones(a).backup_phone, None);
    assert_eq!(idx.phones(z).phone, None);
    assert_eq!(idx.phones(z).backup_phone, Some("bad backup"));
}

#[test]
fn blast_radius_and_the_reregister_list() {
    let run = Run::default();
    let with_app = plan(
        &Mfa::default()
            .phone("+1 4255550100")
            .devices(vec![dev("iPhone", 3), dev("iPad", 1)]),
        &Entra::default(),
        &run,
    );
    let nothing = plan(
        &Mfa::default().devices(vec![dev("Pixel", 1)]),
        &Entra::default(),
        &run,
    );
    let done = plan(
        &Mfa::default().phone("+1 4255550100"),
        &Entra::default().mobile("+1 4255550100"),
        &run,
    );
    let mut b = BlastRadius::of([&with_app, &nothing, &done]);
    b.record_verification(&Ok(()));
    b.record_verification(&Err(vec!["x".into()]));
    assert_eq!(
        b,
        BlastRadius {
            users: 3,
            users_with_writes: 1,
            writes: 1,
            phone_writes: 1,
            token_writes: 0,
            default_writes: 0,
            without_usable_method: 1,
            usable_only_via_legacy: 0,
            must_reregister: 2,
            skips: 0,
            verified: 1,
            mismatched: 1,
        }
    );
    let list = must_reregister([&with_app, &nothing, &done]);
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].devices, vec!["iPhone", "iPad"]);
    assert!(!list[0].codes_imported);
    assert_eq!(list[1].devices, vec!["Pixel"]);
}

#[test]
fn a_user_usable_only_through_the_legacy_policy_is_counted_apart() {
    let mfa = Mfa::default().phone("+1 4255550100");
    let off = mfa_cutover::migrate::AllowedMethods {
        sms: false,
        voice: false,
        ..mfa_cutover::migrate::AllowedMethods::ALL
    };
    let complete = Run {
        allowed: off,
        ..Run::default()
    };
    let p = plan(&mfa, &Entra::default(), &complete);
    assert!(!p.has_usable_method() && !p.usable_only_via_legacy());
    let pre = Run {
        allowed: mfa_cutover::migrate::AllowedMethods {
            migration: mfa_cutover::migrate::PolicyMigration::MigrationInProgress,
            ..off
        },
        ..Run::default()
    };
    let p2 = plan(&mfa, &Entra::default(), &pre);
    assert!(!p2.has_usable_method());
    assert_eq!(p2.usable_via_legacy.to_string(), "sms, voiceMobile");
    let b = BlastRadius::of([&p, &p2]);
    assert_eq!(b.without_usable_method, 2);
    assert_eq!(b.usable_only_via_legacy, 1);
}
