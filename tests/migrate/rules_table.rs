//! One row per rule and per row of MFA Server's documented sync logic.
//!
//! Sync-logic rows are cited as `SL <method>.<n>`: the n-th statement of that method's
//! row in the sync-logic table of Microsoft's "MFA Server migration" page
//! (entra-docs `docs/identity/authentication/how-to-mfa-server-migration-utility.md`):
//!
//! - SL Phone.1 no extension → MFA (mobile) phone; .2 extension → office phone;
//!   .3 default method text message → extension dropped, MFA phone.
//! - SL Backup.1 no extension → alternate phone; .2 extension → office phone;
//!   .3 phone and backup phone both with extension → backup phone skipped.
//! - SL App.1 at most five devices, four with a hardware OATH token; .2 same name → only
//!   the most recent; .3 newest to oldest; .4 a device already in Entra is matched (by
//!   OATH secret) and updated; .5 else matched by device token, then a software OATH
//!   token is created; .6 else a new device is created; .7 a device over the five-device
//!   limit is skipped.
//! - SL OATH.1 a token already in Entra is matched (by secret) and updated; .2 else a new
//!   hardware OATH token is added; .3 a token over the five-device limit is skipped.
//!
//! Graph limits change App.4–.6 and OATH.1 (rule A3, H1): Graph never returns OATH
//! secrets or device tokens and cannot create Authenticator registrations or software
//! OATH tokens, so devices match by display name and tokens by serial number.
//!
//! Each row's expectation is the plan's every line (ops in C3 order, then skips, then
//! notes), exactly; and every rule the row names must appear in the plan.

use mfa_cutover::datafile::{Known, MfaMethod, OathKind};
use mfa_cutover::migrate::{
    Action, EntraDefault, ExpectSlot, ExpectToken, HardwareStatus, MobileAppHandling, Plan,
    PreferredMethod, Rule, device_serial, verify,
};

use super::fixture::*;

const NO_DEFAULT: &str = "[D1] default method: the user has no default method in MFA Server: no \
                          default is set (only most-secure-if-not-set sets one)";
const MASKED: &str = "[P4] skip phone: Entra shows the mobile number masked (+1 XXXXXXXX00), so \
                      it cannot be compared with +1 4255550100; it is left as is. Sign in as a \
                      Privileged Authentication Administrator (or use application permissions) \
                      to see full numbers";
const REREGISTER: &str =
    "Graph cannot create Authenticator registrations: the user must re-register the app";
const LIMIT_5: &str = "five-device limit: Entra would already hold 5 devices (Authenticator \
                       registrations and OATH tokens, this plan's additions included)";

struct Row {
    name: &'static str,
    rules: &'static [Rule],
    mfa: Mfa,
    entra: Entra,
    run: Run,
    expect: Vec<String>,
}

fn l(lines: &[&str]) -> Vec<String> {
    lines.iter().map(|s| s.to_string()).collect()
}

fn oath_as_hw() -> Run {
    let mut run = Run::default();
    run.settings.mobile_app = MobileAppHandling::OathAsHardwareToken;
    run
}

fn serial(name: &str) -> String {
    device_serial(ENTRA_ID, name)
}

fn rows() -> Vec<Row> {
    let base = Mfa::default;
    let empty = Entra::default;
    let run = Run::default;
    let four_devices = || {
        empty()
            .authenticator("a1")
            .authenticator("a2")
            .authenticator("a3")
            .software_oath()
    };
    vec![
        // ---- Phone -------------------------------------------------------------------
        Row {
            name: "SL Phone.1: phone without extension → mobile",
            rules: &[Rule::P1],
            mfa: base().phone("+1 4255550100"),
            entra: empty(),
            run: run(),
            expect: l(&["[P1] add mobile phone +1 4255550100", NO_DEFAULT]),
        },
        Row {
            name: "SL Phone.1 + P4: a different mobile number is updated",
            rules: &[Rule::P1, Rule::P4],
            mfa: base().phone("+1 4255550100"),
            entra: empty().mobile("+1 4255550199"),
            run: run(),
            expect: l(&[
                "[P1,P4] update mobile phone +1 4255550199 → +1 4255550100",
                NO_DEFAULT,
            ]),
        },
        Row {
            name: "P4: the same number (E.164) is left alone",
            rules: &[Rule::P4],
            mfa: base().phone("+1 4255550100"),
            entra: empty().mobile("+1 4255550100"),
            run: run(),
            expect: l(&["[P4] phone: mobile already holds +1 4255550100", NO_DEFAULT]),
        },
        Row {
            name: "P4: the extension is part of the comparison",
            rules: &[Rule::P2, Rule::P4],
            mfa: base().phone("+1 4255550100x1234"),
            entra: empty().office("+1 4255550100x12"),
            run: run(),
            expect: l(&[
                "[P2,P4] update office phone +1 4255550100x12 → +1 4255550100x1234",
                NO_DEFAULT,
            ]),
        },
        Row {
            name: "P4: a masked Entra number is never overwritten blindly",
            rules: &[Rule::P4],
            mfa: base().phone("+1 4255550100"),
            entra: empty().mobile("+1 XXXXXXXX00"),
            run: run(),
            expect: l(&[MASKED, NO_DEFAULT]),
        },
        Row {
            name: "P4: text Graph returned outside its format is replaced, visibly",
            rules: &[Rule::P1, Rule::P4],
            mfa: base().phone("+1 4255550100"),
            entra: empty().mobile("425-555-0100"),
            run: run(),
            expect: l(&[
                "[P1,P4] update mobile phone 425-555-0100 → +1 4255550100",
                NO_DEFAULT,
            ]),
        },
        Row {
            name: "SL Phone.2: phone with extension → office, extension kept",
            rules: &[Rule::P2],
            mfa: base().phone("+1 4255550100x1234"),
            entra: empty().mobile("+1 2065550100"),
            run: run(),
            expect: l(&["[P2] add office phone +1 4255550100x1234", NO_DEFAULT]),
        },
        Row {
            name: "SL Phone.3: default text message → extension dropped, mobile",
            rules: &[Rule::P3, Rule::D1],
            mfa: base()
                .phone("+1 4255550100x1234")
                .method(MfaMethod::TextMessage),
            entra: empty(),
            run: run(),
            expect: l(&[
                "[P3] add mobile phone +1 4255550100",
                "[D1,D2,D4] set default method sms",
            ]),
        },
        Row {
            name: "P6: the China cloud cannot update a phone: a different number is left, an \
                   empty slot is still added",
            rules: &[Rule::P6, Rule::B1],
            mfa: base().phone("+1 4255550100").backup("+1 4255550111"),
            entra: empty().mobile("+1 4255550199"),
            run: Run {
                settings: mfa_cutover::migrate::MigrationSettings {
                    phone_update_available: false,
                    ..Default::default()
                },
                ..run()
            },
            expect: l(&[
                "[B1] add alternateMobile phone +1 4255550111",
                "[P6] skip phone: mobile holds +1 4255550199, not +1 4255550100, and Graph in \
                 the China cloud (21Vianet) cannot update a phone method: it is left as is; \
                 change it in the Entra admin centre",
                NO_DEFAULT,
            ]),
        },
        Row {
            name: "P5: a phone the reader could not normalise is skipped with its reason",
            rules: &[Rule::P5],
            mfa: base(),
            entra: empty(),
            run: Run {
                problems: mfa_cutover::migrate::PhoneProblems {
                    phone: Some("\"call me\" is not a phone number for country code +1"),
                    backup_phone: None,
                },
                ..run()
            },
            expect: l(&[
                "[P5] skip phone: the phone number could not be normalised: \"call me\" is not \
                 a phone number for country code +1",
                NO_DEFAULT,
            ]),
        },
        Row {
            name: "P5: the backup phone likewise",
            rules: &[Rule::P1, Rule::P5],
            mfa: base().phone("+1 4255550100"),
            entra: empty(),
            run: Run {
                problems: mfa_cutover::migrate::PhoneProblems {
                    phone: None,
                    backup_phone: Some("extension \"12a\" is not 1 to 18 digits"),
                },
                ..run()
            },
            expect: l(&[
                "[P1] add mobile phone +1 4255550100",
                "[P5] skip backup phone: the backup phone number could not be normalised: \
                 extension \"12a\" is not 1 to 18 digits",
                NO_DEFAULT,
            ]),
        },
        // ---- Backup phone ------------------------------------------------------------
        Row {
            name: "SL Backup.1: backup without extension → alternateMobile (mobile planned)",
            rules: &[Rule::P1, Rule::B1],
            mfa: base().phone("+1 4255550100").backup("+1 4255550111"),
            entra: empty(),
            run: run(),
            expect: l(&[
                "[P1] add mobile phone +1 4255550100",
                "[B1] add alternateMobile phone +1 4255550111",
                NO_DEFAULT,
            ]),
        },
        Row {
            name: "SL Backup.1: backup without extension → alternateMobile (mobile in Entra)",
            rules: &[Rule::B1],
            mfa: base().backup("+1 4255550111"),
            entra: empty().mobile("+1 2065550100"),
            run: run(),
            expect: l(&["[B1] add alternateMobile phone +1 4255550111", NO_DEFAULT]),
        },
        Row {
            name: "SL Backup.2: backup with extension → office",
            rules: &[Rule::P1, Rule::B2],
            mfa: base().phone("+1 4255550100").backup("+1 4255550111x55"),
            entra: empty(),
            run: run(),
            expect: l(&[
                "[P1] add mobile phone +1 4255550100",
                "[B2] add office phone +1 4255550111x55",
                NO_DEFAULT,
            ]),
        },
        Row {
            name: "SL Backup.3: phone and backup both with extension → backup skipped",
            rules: &[Rule::P2, Rule::B3],
            mfa: base()
                .phone("+1 4255550100x1234")
                .backup("+1 4255550111x55"),
            entra: empty().mobile("+1 2065550100"),
            run: run(),
            expect: l(&[
                "[P2] add office phone +1 4255550100x1234",
                "[B3] skip backup phone: phone and backup phone both have an extension: office \
                 holds the phone, backup phone +1 4255550111x55 is not migrated",
                NO_DEFAULT,
            ]),
        },
        Row {
            name: "SL Backup.3 with SL Phone.3: the phone went to mobile, office is free (B2)",
            rules: &[Rule::P3, Rule::B2],
            mfa: base()
                .phone("+1 4255550100x1234")
                .backup("+1 4255550111x55")
                .method(MfaMethod::TextMessage),
            entra: empty(),
            run: run(),
            expect: l(&[
                "[P3] add mobile phone +1 4255550100",
                "[B2] add office phone +1 4255550111x55",
                "[D1,D2,D4] set default method sms",
            ]),
        },
        Row {
            name: "B4: no mobile anywhere → the backup phone becomes mobile",
            rules: &[Rule::B1, Rule::B4],
            mfa: base().backup("+1 4255550111"),
            entra: empty(),
            run: run(),
            expect: l(&[
                "[B1,B4] add mobile phone +1 4255550111",
                "[B4] backup phone: no mobile phone in Entra or in the plan, and Entra refuses \
                 an alternateMobile without one: backup phone +1 4255550111 becomes mobile",
                NO_DEFAULT,
            ]),
        },
        Row {
            name: "B4 with P2: the phone went to office, the backup becomes mobile",
            rules: &[Rule::P2, Rule::B1, Rule::B4],
            mfa: base().phone("+1 4255550100x1234").backup("+1 4255550111"),
            entra: empty(),
            run: run(),
            expect: l(&[
                "[B1,B4] add mobile phone +1 4255550111",
                "[P2] add office phone +1 4255550100x1234",
                "[B4] backup phone: no mobile phone in Entra or in the plan, and Entra refuses \
                 an alternateMobile without one: backup phone +1 4255550111 becomes mobile",
                NO_DEFAULT,
            ]),
        },
        Row {
            name: "B4 re-run: the backup already is Entra's mobile, not duplicated",
            rules: &[Rule::B4],
            mfa: base().backup("+1 4255550111"),
            entra: empty().mobile("+1 4255550111"),
            run: run(),
            expect: l(&[
                "[B4] backup phone: backup phone +1 4255550111 is already Entra's mobile phone",
                NO_DEFAULT,
            ]),
        },
        // ---- Mobile app --------------------------------------------------------------
        Row {
            name: "SL App.2: same name → only the most recent (A1)",
            rules: &[Rule::A1, Rule::A3],
            mfa: base().devices(vec![dev("iPhone", 3), dev("iphone ", 5), dev("Pixel", 4)]),
            entra: empty(),
            run: run(),
            expect: l(&[
                "[A1] skip app device \"iPhone\": a device with the same name was activated \
                 more recently",
                &format!("[A3] app device \"iphone \": {REREGISTER}"),
                &format!("[A3] app device \"Pixel\": {REREGISTER}"),
                NO_DEFAULT,
            ]),
        },
        Row {
            name: "SL App.1: at most five devices, newest kept (A2)",
            rules: &[Rule::A2, Rule::A3],
            mfa: base().devices(vec![
                dev("d1", 1),
                dev("d2", 2),
                dev("d3", 3),
                dev("d4", 4),
                dev("d5", 5),
                dev("d6", 6),
            ]),
            entra: empty(),
            run: run(),
            expect: l(&[
                "[A2] skip app device \"d1\": beyond the 5 most recently activated devices",
                &format!("[A3] app device \"d6\": {REREGISTER}"),
                &format!("[A3] app device \"d5\": {REREGISTER}"),
                &format!("[A3] app device \"d4\": {REREGISTER}"),
                &format!("[A3] app device \"d3\": {REREGISTER}"),
                &format!("[A3] app device \"d2\": {REREGISTER}"),
                NO_DEFAULT,
            ]),
        },
        Row {
            name: "SL App.1: four devices when the user also has a hardware token (A2)",
            rules: &[Rule::A2, Rule::H2],
            mfa: base()
                .devices(vec![
                    dev("d1", 1),
                    dev("d2", 2),
                    dev("d3", 3),
                    dev("d4", 4),
                    dev("d5", 5),
                ])
                .tokens(vec![totp("T1")]),
            entra: empty(),
            run: run(),
            expect: l(&[
                "[H2] create hardware token T1 (Contoso C200, 30 s, hmacsha1)",
                "[H2] assign and activate hardware token T1",
                "[A2] skip app device \"d1\": beyond the 4 most recently activated devices (the \
                 user also has a hardware OATH token)",
                &format!("[A3] app device \"d5\": {REREGISTER}"),
                &format!("[A3] app device \"d4\": {REREGISTER}"),
                &format!("[A3] app device \"d3\": {REREGISTER}"),
                &format!("[A3] app device \"d2\": {REREGISTER}"),
                NO_DEFAULT,
            ]),
        },
        Row {
            name: "SL App.3: newest to oldest; no activation time counts as oldest",
            rules: &[Rule::A3, Rule::H2],
            mfa: base().devices(vec![
                Dev {
                    name: "Undated",
                    day: None,
                    secret: true,
                },
                dev("Old", 1),
                dev("New", 9),
            ]),
            entra: empty(),
            run: oath_as_hw(),
            expect: vec![
                format!(
                    "[A3,H2] create hardware token {} (MFA Server Mobile app, 30 s, hmacsha1) \
                     from the codes of app device \"New\"",
                    serial("New")
                ),
                format!(
                    "[A3,H2] create hardware token {} (MFA Server Mobile app, 30 s, hmacsha1) \
                     from the codes of app device \"Old\"",
                    serial("Old")
                ),
                format!(
                    "[A3,H2] create hardware token {} (MFA Server Mobile app, 30 s, hmacsha1) \
                     from the codes of app device \"Undated\"",
                    serial("Undated")
                ),
                format!(
                    "[A3,H2] assign and activate hardware token {}",
                    serial("New")
                ),
                format!(
                    "[A3,H2] assign and activate hardware token {}",
                    serial("Old")
                ),
                format!(
                    "[A3,H2] assign and activate hardware token {}",
                    serial("Undated")
                ),
                format!(
                    "[A3] app device \"New\": codes imported as hardware OATH token {}: they \
                     keep working; push notifications need the app re-registered",
                    serial("New")
                ),
                format!(
                    "[A3] app device \"Old\": codes imported as hardware OATH token {}: they \
                     keep working; push notifications need the app re-registered",
                    serial("Old")
                ),
                format!(
                    "[A3] app device \"Undated\": codes imported as hardware OATH token {}: \
                     they keep working; push notifications need the app re-registered",
                    serial("Undated")
                ),
                NO_DEFAULT.into(),
            ],
        },
        Row {
            name: "SL App.4/App.5: a device Entra already shows (same display name) is present",
            rules: &[Rule::A3],
            mfa: base().devices(vec![dev("iPhone de Ann", 2)]),
            entra: empty().authenticator("IPHONE DE ANN"),
            run: oath_as_hw(),
            expect: l(&[
                "[A3] app device \"iPhone de Ann\": present in Entra as a Microsoft \
                 Authenticator registration",
                NO_DEFAULT,
            ]),
        },
        Row {
            name: "SL App.6 (report): Graph cannot create the device → must re-register",
            rules: &[Rule::A3],
            mfa: base().devices(vec![dev("iPhone", 2)]),
            entra: empty().authenticator("Galaxy"),
            run: run(),
            expect: l(&[
                &format!("[A3] app device \"iPhone\": {REREGISTER}"),
                NO_DEFAULT,
            ]),
        },
        Row {
            name: "SL App.6 (oath-as-hardware-token): the device's codes become a hardware token",
            rules: &[Rule::A3, Rule::H2],
            mfa: base().devices(vec![dev("iPhone", 2)]),
            entra: empty(),
            run: oath_as_hw(),
            expect: vec![
                format!(
                    "[A3,H2] create hardware token {} (MFA Server Mobile app, 30 s, hmacsha1) \
                     from the codes of app device \"iPhone\"",
                    serial("iPhone")
                ),
                format!(
                    "[A3,H2] assign and activate hardware token {}",
                    serial("iPhone")
                ),
                format!(
                    "[A3] app device \"iPhone\": codes imported as hardware OATH token {}: they \
                     keep working; push notifications need the app re-registered",
                    serial("iPhone")
                ),
                NO_DEFAULT.into(),
            ],
        },
        Row {
            name: "A3 (oath-as-hardware-token): a device without an OATH secret must re-register",
            rules: &[Rule::A3],
            mfa: base().devices(vec![Dev {
                name: "iPhone",
                day: Some(2),
                secret: false,
            }]),
            entra: empty(),
            run: oath_as_hw(),
            expect: l(&[
                "[A3] app device \"iPhone\": Graph cannot create Authenticator registrations and \
                 the data file holds no OATH secret for this device: the user must re-register \
                 the app",
                NO_DEFAULT,
            ]),
        },
        Row {
            name: "H1 for imported devices: a re-run finds the derived serial present",
            rules: &[Rule::H1, Rule::A3],
            mfa: base().devices(vec![dev("iPhone", 2)]),
            entra: empty().hardware(&serial("iPhone"), HardwareStatus::Activated),
            run: oath_as_hw(),
            expect: vec![
                format!(
                    "[H1] app device \"iPhone\": serial {} is already assigned to this user in \
                     Entra",
                    serial("iPhone")
                ),
                format!(
                    "[A3] app device \"iPhone\": codes imported as hardware OATH token {}: they \
                     keep working; push notifications need the app re-registered",
                    serial("iPhone")
                ),
                NO_DEFAULT.into(),
            ],
        },
        Row {
            name: "SL App.7: an import over the five-device limit is skipped (L1)",
            rules: &[Rule::L1, Rule::A3, Rule::H2],
            mfa: base().devices(vec![dev("New", 5), dev("Old", 1)]),
            entra: four_devices(),
            run: oath_as_hw(),
            expect: vec![
                format!(
                    "[A3,H2] create hardware token {} (MFA Server Mobile app, 30 s, hmacsha1) \
                     from the codes of app device \"New\"",
                    serial("New")
                ),
                format!(
                    "[A3,H2] assign and activate hardware token {}",
                    serial("New")
                ),
                format!("[L1] skip app device \"Old\": {LIMIT_5}"),
                format!(
                    "[A3] app device \"New\": codes imported as hardware OATH token {}: they \
                     keep working; push notifications need the app re-registered",
                    serial("New")
                ),
                "[A3] app device \"Old\": its codes could not be imported as a hardware token \
                 (see the skip): the user must re-register the app"
                    .into(),
                NO_DEFAULT.into(),
            ],
        },
        // ---- OATH tokens -------------------------------------------------------------
        Row {
            name: "SL OATH.1: a token Entra already has for the user is present (H1, by serial)",
            rules: &[Rule::H1],
            mfa: base().tokens(vec![totp("T1")]),
            entra: empty().hardware("t1", HardwareStatus::Activated),
            run: run(),
            expect: l(&[
                "[H1] token T1: serial T1 is already assigned to this user in Entra",
                NO_DEFAULT,
            ]),
        },
        Row {
            name: "H1: present but not activated is reported",
            rules: &[Rule::H1],
            mfa: base().tokens(vec![totp("T1")]),
            entra: empty().hardware("T1", HardwareStatus::Assigned),
            run: run(),
            expect: l(&[
                "[H1] token T1: serial T1 is already assigned to this user in Entra",
                "[H1] token T1: serial T1 is assigned but not activated (status assigned): the \
                 user activates it in My Security Info",
                NO_DEFAULT,
            ]),
        },
        Row {
            name: "H1: the inventory shows the serial assigned to this user → present",
            rules: &[Rule::H1],
            mfa: base().tokens(vec![totp("T1")]),
            entra: empty().inventory("T1", Some(ENTRA_ID)),
            run: run(),
            expect: l(&[
                "[H1] token T1: serial T1 is already assigned to this user in Entra",
                "[H1] token T1: serial T1 is assigned but not activated (status assigned): the \
                 user activates it in My Security Info",
                NO_DEFAULT,
            ]),
        },
        Row {
            name: "H1: serial assigned to another user → skipped",
            rules: &[Rule::H1],
            mfa: base().tokens(vec![totp("T1")]),
            entra: empty().inventory("T1", Some("someone-else")),
            run: run(),
            expect: l(&[
                "[H1] skip token T1: serial T1 is assigned to another user (someone-else)",
                NO_DEFAULT,
            ]),
        },
        Row {
            name: "H1: a serial Entra says exists but no list shows (another user's legacy CSV \
                   upload) → skipped, never created",
            rules: &[Rule::H1],
            mfa: base().tokens(vec![totp("T1")]),
            entra: empty().not_visible("T1"),
            run: run(),
            expect: l(&[
                "[H1] skip token T1: serial T1 already exists in the tenant but is not this \
                 user's: the inventory search does not list it (a token uploaded through the \
                 legacy CSV is listed only under its user), so another user holds it",
                NO_DEFAULT,
            ]),
        },
        Row {
            name: "H1: an unassigned device with the serial is reused, not created again",
            rules: &[Rule::H1, Rule::H2],
            mfa: base().tokens(vec![totp("T1")]),
            entra: empty().inventory("T1", None),
            run: run(),
            expect: l(&[
                "[H1,H2] assign and activate hardware token T1",
                "[H1] token T1: serial T1 is already in the tenant's inventory, unassigned: it is \
                 assigned without being created again",
                NO_DEFAULT,
            ]),
        },
        Row {
            name: "SL OATH.2: a token Entra lacks is created, assigned and activated (H2)",
            rules: &[Rule::H2],
            mfa: base().tokens(vec![totp("T1")]),
            entra: empty(),
            run: run(),
            expect: l(&[
                "[H2] create hardware token T1 (Contoso C200, 30 s, hmacsha1)",
                "[H2] assign and activate hardware token T1",
                NO_DEFAULT,
            ]),
        },
        Row {
            name: "H2: a HOTP token is assigned, not activated, and reported",
            rules: &[Rule::H2],
            mfa: base().tokens(vec![Tok {
                serial: "H1",
                kind: OathKind::Hotp,
                secret: true,
            }]),
            entra: empty(),
            run: run(),
            expect: l(&[
                "[H2] create hardware token H1 (Contoso C200, 30 s, hmacsha1)",
                "[H2] assign hardware token H1 (HOTP: not activated)",
                "[H2] token H1: HOTP token H1: assigned but not activated (Graph activates with a \
                 time-based code only); the user activates it in My Security Info",
                NO_DEFAULT,
            ]),
        },
        Row {
            name: "H2: a token whose secret no input supplies is skipped",
            rules: &[Rule::H2],
            mfa: base().tokens(vec![Tok {
                serial: "T1",
                kind: OathKind::Totp,
                secret: false,
            }]),
            entra: empty(),
            run: run(),
            expect: l(&[
                "[H2] skip token T1: no seed for serial T1: MFA Server cannot export token \
                 secrets; supply the vendor's seed file",
                NO_DEFAULT,
            ]),
        },
        Row {
            name: "H3: no hardware OATH outside the global cloud",
            rules: &[Rule::H3],
            mfa: base().tokens(vec![totp("T1")]),
            entra: empty(),
            run: Run {
                settings: mfa_cutover::migrate::MigrationSettings {
                    hardware_oath_available: false,
                    ..Default::default()
                },
                ..run()
            },
            expect: l(&[
                "[H3] skip token T1: hardware OATH tokens exist in Entra's global cloud only; \
                 this tenant's cloud has no hardware OATH API",
                NO_DEFAULT,
            ]),
        },
        Row {
            name: "SL OATH.3: a token over the five-device limit is skipped (L1)",
            rules: &[Rule::L1],
            mfa: base().tokens(vec![totp("T1")]),
            entra: four_devices().authenticator("a4"),
            run: run(),
            expect: l(&[&format!("[L1] skip token T1: {LIMIT_5}"), NO_DEFAULT]),
        },
        Row {
            name: "L1 counts this plan's own additions",
            rules: &[Rule::L1, Rule::H2],
            mfa: base().tokens(vec![totp("T1"), totp("T2"), totp("T3")]),
            entra: empty()
                .authenticator("a1")
                .authenticator("a2")
                .authenticator("a3"),
            run: run(),
            expect: l(&[
                "[H2] create hardware token T1 (Contoso C200, 30 s, hmacsha1)",
                "[H2] create hardware token T2 (Contoso C200, 30 s, hmacsha1)",
                "[H2] assign and activate hardware token T1",
                "[H2] assign and activate hardware token T2",
                &format!("[L1] skip token T3: {LIMIT_5}"),
                NO_DEFAULT,
            ]),
        },
        // ---- Default method (the full matrix is in default_matrix.rs) -----------------
        Row {
            name: "D1: phone call → voiceMobile",
            rules: &[Rule::D1, Rule::D2, Rule::D4],
            mfa: base().phone("+1 4255550100").method(MfaMethod::PhoneCall),
            entra: empty(),
            run: run(),
            expect: l(&[
                "[P1] add mobile phone +1 4255550100",
                "[D1,D2,D4] set default method voiceMobile",
            ]),
        },
        Row {
            name: "D1: phone call → voiceOffice when the phone went to office",
            rules: &[Rule::P2, Rule::D1],
            mfa: base()
                .phone("+1 4255550100x1234")
                .method(MfaMethod::PhoneCall),
            entra: empty(),
            run: run(),
            expect: l(&[
                "[P2] add office phone +1 4255550100x1234",
                "[D1,D2,D4] set default method voiceOffice",
            ]),
        },
        Row {
            name: "D1: mobile app → push when an Authenticator is registered",
            rules: &[Rule::D1, Rule::A3],
            mfa: base()
                .devices(vec![dev("iPhone", 1)])
                .method(MfaMethod::MobileApp),
            entra: empty().authenticator("iPhone"),
            run: run(),
            expect: l(&[
                "[D1,D2,D4] set default method push",
                "[A3] app device \"iPhone\": present in Entra as a Microsoft Authenticator \
                 registration",
            ]),
        },
        Row {
            name: "D1: OATH token → oath once a TOTP token is activated by the plan",
            rules: &[Rule::D1, Rule::H2],
            mfa: base().tokens(vec![totp("T1")]).method(MfaMethod::OathToken),
            entra: empty(),
            run: run(),
            expect: l(&[
                "[H2] create hardware token T1 (Contoso C200, 30 s, hmacsha1)",
                "[H2] assign and activate hardware token T1",
                "[D1,D2,D4] set default method oath",
            ]),
        },
        Row {
            name: "D3: a HOTP token only assigned does not count as oath",
            rules: &[Rule::D3, Rule::H2],
            mfa: base()
                .phone("+1 4255550100")
                .tokens(vec![Tok {
                    serial: "H1",
                    kind: OathKind::Hotp,
                    secret: true,
                }])
                .method(MfaMethod::OathToken),
            entra: empty(),
            run: run(),
            expect: l(&[
                "[P1] add mobile phone +1 4255550100",
                "[H2] create hardware token H1 (Contoso C200, 30 s, hmacsha1)",
                "[H2] assign hardware token H1 (HOTP: not activated)",
                "[D1,D2,D3,D4] set default method sms",
                "[H2] token H1: HOTP token H1: assigned but not activated (Graph activates with a \
                 time-based code only); the user activates it in My Security Info",
                "[D3] default method: fell back to sms: oath is not registered after the plan",
            ]),
        },
        Row {
            name: "D3: a method the policy does not enable falls back",
            rules: &[Rule::D3],
            mfa: base().phone("+1 4255550100").method(MfaMethod::TextMessage),
            entra: empty(),
            run: Run {
                allowed: mfa_cutover::migrate::AllowedMethods {
                    sms: false,
                    ..mfa_cutover::migrate::AllowedMethods::ALL
                },
                ..run()
            },
            expect: l(&[
                "[P1] add mobile phone +1 4255550100",
                "[D1,D2,D3,D4] set default method voiceMobile",
                "[D3] default method: fell back to voiceMobile: sms is not enabled for the user \
                 by the authentication methods policy",
            ]),
        },
        Row {
            name: "D3: a method off in the policy while the policy migration is not complete \
                   is not treated as disabled (the legacy policy may allow it)",
            rules: &[Rule::D3, Rule::D1],
            mfa: base().phone("+1 4255550100").method(MfaMethod::TextMessage),
            entra: empty(),
            run: Run {
                allowed: mfa_cutover::migrate::AllowedMethods {
                    sms: false,
                    migration: mfa_cutover::migrate::PolicyMigration::PreMigration,
                    ..mfa_cutover::migrate::AllowedMethods::ALL
                },
                ..run()
            },
            expect: l(&[
                "[P1] add mobile phone +1 4255550100",
                "[D1,D2,D4] set default method sms",
                "[D3] default method: sms is not enabled for the user by the authentication \
                 methods policy, but the policy migration is not complete \
                 (policyMigrationState: preMigration): the legacy MFA or SSPR policy, which \
                 Graph does not show, may allow it; it is set all the same: check that the \
                 legacy policy allows it",
            ]),
        },
        Row {
            name: "D3: no voiceOffice default where office phones are not allowed \
                   (isOfficePhoneAllowed)",
            rules: &[Rule::D3, Rule::P2, Rule::B4],
            mfa: base()
                .phone("+1 4255550100x12")
                .backup("+1 4255550111")
                .method(MfaMethod::PhoneCall),
            entra: empty(),
            run: Run {
                allowed: mfa_cutover::migrate::AllowedMethods {
                    office_phone: false,
                    ..mfa_cutover::migrate::AllowedMethods::ALL
                },
                ..run()
            },
            expect: l(&[
                "[B1,B4] add mobile phone +1 4255550111",
                "[P2] add office phone +1 4255550100x12",
                "[D1,D2,D3,D4] set default method sms",
                "[B4] backup phone: no mobile phone in Entra or in the plan, and Entra refuses an \
                 alternateMobile without one: backup phone +1 4255550111 becomes mobile",
                "[D3] phone: office phones are not allowed (Voice configuration: \
                 isOfficePhoneAllowed is false): the office number is stored but Entra will \
                 not call it",
                "[D3] default method: fell back to sms: voiceOffice is not usable: office phones \
                 are not allowed (Voice configuration: isOfficePhoneAllowed is false)",
            ]),
        },
        Row {
            name: "D3: push without an Authenticator in Entra falls back to the phone",
            rules: &[Rule::D3, Rule::A3],
            mfa: base()
                .phone("+1 4255550100")
                .devices(vec![dev("iPhone", 1)])
                .method(MfaMethod::MobileApp),
            entra: empty(),
            run: run(),
            expect: l(&[
                "[P1] add mobile phone +1 4255550100",
                "[D1,D2,D3,D4] set default method sms",
                &format!("[A3] app device \"iPhone\": {REREGISTER}"),
                "[D3] default method: fell back to sms: push is not registered after the plan",
            ]),
        },
        Row {
            name: "D3: nothing usable → the default is skipped and the user has no method",
            rules: &[Rule::D3, Rule::A3],
            mfa: base()
                .devices(vec![dev("iPhone", 1)])
                .method(MfaMethod::MobileApp),
            entra: empty(),
            run: run(),
            expect: l(&[
                "[D3] skip default method: push is not registered after the plan and no other \
                 method is usable: the user has no usable Entra method after the plan",
                &format!("[A3] app device \"iPhone\": {REREGISTER}"),
            ]),
        },
        Row {
            name: "D2: Entra's system-preferred MFA is reported",
            rules: &[Rule::D2],
            mfa: base().phone("+1 4255550100").method(MfaMethod::PhoneCall),
            entra: Entra {
                methods: mfa_cutover::migrate::EntraMethods {
                    system_preferred_enabled: Some(true),
                    ..Default::default()
                },
                ..empty()
            },
            run: run(),
            expect: l(&[
                "[P1] add mobile phone +1 4255550100",
                "[D1,D2,D4] set default method voiceMobile",
                "[D2] default method: system-preferred MFA is on for this user: Entra asks for \
                 the most secure method and uses the default only for the NPS extension and AD FS",
            ]),
        },
        Row {
            name: "D2: always, and Entra already has the mapped method → no write",
            rules: &[Rule::D2],
            mfa: base().phone("+1 4255550100").method(MfaMethod::PhoneCall),
            entra: empty()
                .mobile("+1 4255550100")
                .preferred(EntraDefault::Set(PreferredMethod::VoiceMobile)),
            run: Run {
                settings: mfa_cutover::migrate::MigrationSettings {
                    default_method: mfa_cutover::migrate::DefaultMethodMode::Always,
                    ..Default::default()
                },
                ..run()
            },
            expect: l(&[
                "[P4] phone: mobile already holds +1 4255550100",
                "[D2] default method: Entra's default already is voiceMobile",
            ]),
        },
        // ---- C3: write order ---------------------------------------------------------
        Row {
            name: "C3: mobile, then alternateMobile/office, then tokens, then the default",
            rules: &[Rule::P1, Rule::B2, Rule::H2, Rule::D4],
            mfa: base()
                .phone("+1 4255550100")
                .backup("+1 4255550111x55")
                .tokens(vec![totp("T1")])
                .method(MfaMethod::OathToken),
            entra: empty(),
            run: run(),
            expect: l(&[
                "[P1] add mobile phone +1 4255550100",
                "[B2] add office phone +1 4255550111x55",
                "[H2] create hardware token T1 (Contoso C200, 30 s, hmacsha1)",
                "[H2] assign and activate hardware token T1",
                "[D1,D2,D4] set default method oath",
            ]),
        },
    ]
}

fn rules_named(p: &Plan) -> Vec<Rule> {
    let mut r: Vec<Rule> = p.ops.iter().flat_map(|o| o.rules.iter().copied()).collect();
    r.extend(p.skips.iter().map(|s| s.rule));
    r.extend(p.notes.iter().map(|n| n.rule));
    r
}

#[test]
fn every_rule_row_gives_exactly_its_plan() {
    let mut failures = Vec::new();
    for row in rows() {
        let p = plan(&row.mfa, &row.entra, &row.run);
        let got = lines(&p);
        if got != row.expect {
            failures.push(format!(
                "{}\n  expected:\n    {}\n  got:\n    {}",
                row.name,
                row.expect.join("\n    "),
                got.join("\n    ")
            ));
            continue;
        }
        let named = rules_named(&p);
        for r in row.rules {
            if !named.contains(r) {
                failures.push(format!("{}: the plan does not name rule {r}", row.name));
            }
        }
        let orders: Vec<u8> = p.ops.iter().map(|o| o.action.order()).collect();
        if !orders.is_sorted() {
            failures.push(format!("{}: ops not in C3 order: {orders:?}", row.name));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

#[test]
fn every_rule_of_the_planner_has_a_row() {
    let all: Vec<Rule> = rows()
        .iter()
        .flat_map(|r| r.rules.iter().copied())
        .collect();
    // The planner's rules: every family but T (targeting), M (matching) and C (runs),
    // which the matcher and the engine apply.
    let planner = Rule::ALL.into_iter().filter(|r| {
        !matches!(
            r.to_string().chars().next(),
            Some('T') | Some('M') | Some('C')
        )
    });
    for r in planner {
        assert!(all.contains(&r), "no table row names rule {r}");
    }
}

#[test]
fn expected_state_is_what_the_plan_leads_to() {
    let mfa = Mfa::default()
        .phone("+1 4255550100")
        .backup("+1 4255550111x55")
        .tokens(vec![
            totp("T1"),
            Tok {
                serial: "H1",
                kind: OathKind::Hotp,
                secret: true,
            },
        ])
        .method(MfaMethod::OathToken);
    let entra = Entra::default()
        .mobile("+1 XXXXXXXX00")
        .alternate("+1 2065550100");
    let p = plan(&mfa, &entra, &Run::default());
    // The masked mobile is skipped, so the plan expects nothing of it; it leaves the
    // alternate alone.
    assert_eq!(p.expected.mobile, ExpectSlot::Untouched);
    assert_eq!(p.expected.alternate_mobile, ExpectSlot::Untouched);
    assert_eq!(
        p.expected.office,
        ExpectSlot::Number(phone("+1 4255550111x55"))
    );
    assert_eq!(
        p.expected.tokens,
        vec![
            ExpectToken {
                serial: "T1".into(),
                activated: true
            },
            ExpectToken {
                serial: "H1".into(),
                activated: false
            },
        ]
    );
    assert_eq!(p.expected.default, Some(PreferredMethod::Oath));
    // Usable after the plan: oath (T1 activated), the masked mobile (sms, voice), the
    // alternate and the office phone.
    assert_eq!(
        p.usable.to_string(),
        "oath, sms, voiceMobile, voiceAlternateMobile, voiceOffice"
    );
    // Ops never carry a secret, whatever the serialisation.
    let json = serde_json::to_string(&p).expect("plan serialises");
    assert!(!json.contains(SECRET) && !json.contains("JBSWY3DP"));
    // C4 against a read-back that differs in each expected part.
    let mut after = entra.methods.clone();
    after.office = Some(mfa_cutover::migrate::EntraPhone::from_graph(
        "+1 4255550111",
    ));
    after
        .hardware_oath
        .push(mfa_cutover::migrate::EntraHardwareToken {
            id: "m1".into(),
            device_id: None,
            serial: Some("T1".into()),
            status: HardwareStatus::Assigned,
        });
    let diffs = verify(&p, &after).expect_err("mismatch");
    assert_eq!(
        diffs,
        vec![
            "office phone: expected +1 4255550111x55, Entra shows +1 4255550111",
            "hardware token T1: expected activated, Entra shows it assigned but not activated",
            "hardware token H1: expected assigned to the user, Entra does not show it",
            "default method: expected oath, Entra shows none set",
        ]
    );
}

#[test]
fn an_update_of_the_mobile_slot_names_p1_and_p4() {
    let p = plan(
        &Mfa::default().phone("+1 4255550100"),
        &Entra::default().mobile("+1 4255550199"),
        &Run::default(),
    );
    let op = p
        .ops
        .iter()
        .find(|o| matches!(o.action, Action::UpdatePhone { .. }))
        .expect("an update");
    assert_eq!(op.rules, vec![Rule::P1, Rule::P4]);
}

#[test]
fn unknown_inputs_plan_nothing_for_what_they_do_not_carry() {
    // An Export Users CSV without device, token or method columns.
    let mfa = Mfa {
        phone: Known::Known(Some("+1 4255550100")),
        backup: Known::Unknown,
        default: Known::Unknown,
        devices: None,
        tokens: None,
        ..Mfa::default()
    };
    let p = plan(&mfa, &Entra::default(), &Run::default());
    assert_eq!(
        lines(&p),
        vec![
            "[P1] add mobile phone +1 4255550100",
            "[D1] default method: the input does not carry MFA Server's default method: no \
             default is set (only most-secure-if-not-set sets one)",
        ]
    );
    assert!(!p.must_reregister_app());
}
