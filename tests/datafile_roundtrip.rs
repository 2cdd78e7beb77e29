//! Generated files read back as the people they were written from; the SQLite snapshot
//! and the CSV snapshot folder give the same model; the Export Users CSV carries what it
//! can and says the rest is unknown.

use std::collections::BTreeSet;

use mfa_cutover::datafile::sample::{
    Person, Population, Presence, WriteOptions, write_export_csv, write_snapshot,
    write_snapshot_folder,
};
use mfa_cutover::datafile::{
    DataSet, HashFunction, Known, MfaMethod, MobileAppMode, OathKind, ParseName, PhoneCallMode,
    ProblemKind, TextMessageMode, TimeStep, User, load,
};
use mfa_cutover::phone::PhoneNumber;
use mfa_cutover::secret::OathSecret;

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

fn written(pop: &Population) -> Vec<Person> {
    pop.people()
        .filter(|p| p.presence != Presence::EntraOnly)
        .collect()
}

fn expected_phone(
    cc: &Option<String>,
    n: &Option<String>,
    e: &Option<String>,
) -> Known<Option<PhoneNumber>> {
    match (cc, n) {
        (_, None) => Known::Known(None),
        (None, Some(_)) => Known::Unknown,
        (Some(cc), Some(n)) => match PhoneNumber::normalise_uncached(cc, n, e.as_deref()) {
            Ok(p) => Known::Known(Some(p)),
            Err(_) => Known::Unknown,
        },
    }
}

fn name<T: ParseName>(v: &Option<String>) -> Known<Option<T>> {
    match v.as_deref().and_then(T::parse_name) {
        Some(t) => Known::Known(Some(t)),
        None => Known::Unknown,
    }
}

fn decode(secret: &str, format: &str) -> Option<OathSecret> {
    if format == "hex" {
        OathSecret::from_hex(secret).ok()
    } else {
        OathSecret::from_base32(secret).ok()
    }
}

/// Everything a snapshot carries about a person, checked field by field.
fn check_snapshot_user(u: User<'_>, p: &Person) {
    let m = &p.mfa;
    let who = &m.username;
    assert_eq!(u.username(), m.username);
    assert_eq!(u.upn(), m.upn.as_deref(), "{who}");
    assert_eq!(u.sid(), m.sid.as_deref(), "{who}");
    assert_eq!(u.email(), m.email.as_deref(), "{who}");
    let attrs: BTreeSet<(String, String)> = u
        .ad_attributes()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let want: BTreeSet<(String, String)> = m.ad_attributes.iter().cloned().collect();
    assert_eq!(attrs, want, "{who}");
    assert_eq!(
        u.phone(),
        expected_phone(&m.country_code, &m.phone, &m.extension),
        "{who}"
    );
    assert_eq!(
        u.backup_phone(),
        expected_phone(&m.backup_country_code, &m.backup_phone, &m.backup_extension),
        "{who}"
    );
    assert_eq!(
        u.default_method(),
        name::<MfaMethod>(&m.default_method),
        "{who}"
    );
    assert_eq!(
        u.phone_call_mode(),
        name::<PhoneCallMode>(&m.phone_call_mode)
    );
    assert_eq!(
        u.text_message_mode(),
        name::<TextMessageMode>(&m.text_message_mode)
    );
    assert_eq!(
        u.mobile_app_mode(),
        name::<MobileAppMode>(&m.mobile_app_mode)
    );
    assert_eq!(u.language(), m.language.as_deref());
    assert_eq!(u.enabled(), Known::Known(m.enabled));
    assert_eq!(u.changed_at(), Some(m.changed_at));
    let devices: Vec<_> = u
        .devices()
        .known()
        .expect("snapshot carries devices")
        .collect();
    assert_eq!(devices.len(), m.devices.len(), "{who}");
    for (d, want) in devices.iter().zip(&m.devices) {
        assert_eq!(d.name(), want.name);
        assert_eq!(d.activated_at(), Some(want.activated_at));
        assert!(d.has_push_token());
        let want_secret = want
            .oath_secret
            .as_deref()
            .and_then(|s| decode(s, "base32"));
        assert_eq!(d.oath_secret(), want_secret.as_ref());
    }
    let tokens: Vec<_> = u
        .tokens()
        .known()
        .expect("snapshot carries tokens")
        .collect();
    assert_eq!(tokens.len(), m.tokens.len(), "{who}");
    for (t, want) in tokens.iter().zip(&m.tokens) {
        assert_eq!(t.serial(), want.serial);
        assert_eq!(t.manufacturer(), Some(want.manufacturer.as_str()));
        assert_eq!(t.model(), Some(want.model.as_str()));
        let kind = if want.token_type == "hotp" {
            OathKind::Hotp
        } else {
            OathKind::Totp
        };
        assert_eq!(t.kind(), kind);
        assert_eq!(
            t.time_step(),
            TimeStep::from_secs(want.time_step.into()).expect("step")
        );
        let hash = if want.hash_function == "hmacsha256" {
            HashFunction::HmacSha256
        } else {
            HashFunction::HmacSha1
        };
        assert_eq!(t.hash(), hash);
        assert_eq!(
            t.secret(),
            decode(&want.secret, &want.secret_format).as_ref()
        );
        assert_eq!(t.added_at(), Some(want.added_at));
    }
}

#[test]
fn snapshot_reads_back_as_the_population() -> Result {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("s.pfdata");
    let pop = Population::new(21, 1_500);
    write_snapshot(&pop, &path, &WriteOptions { extras: false })?;
    let set = load(&[path], None)?;
    let people = written(&pop);
    assert_eq!(set.len(), people.len());
    for (u, p) in set.users().zip(&people) {
        assert_eq!(u.source().row as usize, p.index + 1);
        check_snapshot_user(u, p);
    }
    // Exactly the deliberate problems, no others.
    let kinds: BTreeSet<ProblemKind> = set.problems.iter().map(|p| p.kind).collect();
    let expected: BTreeSet<ProblemKind> = [
        ProblemKind::BadPhone,
        ProblemKind::BadSecret,
        ProblemKind::UnknownMethod,
    ]
    .into();
    assert_eq!(kinds, expected, "{:?}", set.problems);
    assert_eq!(set.server_version(), Some(pop.server_version()));
    assert_eq!(
        set.services.as_ref().known().map(Vec::len),
        Some(pop.services().len())
    );
    Ok(())
}

/// Every field of a user, secrets as bytes: for comparing two readings.
fn fingerprint(u: User<'_>) -> String {
    let devices: Vec<String> = u
        .devices()
        .known()
        .map(|ds| {
            ds.map(|d| {
                format!(
                    "{}|{:?}|{:?}|{}",
                    d.name(),
                    d.activated_at(),
                    d.oath_secret().map(|s| s.expose_bytes().to_vec()),
                    d.has_push_token()
                )
            })
            .collect()
        })
        .unwrap_or_else(|| vec!["unknown".into()]);
    let tokens: Vec<String> = u
        .tokens()
        .known()
        .map(|ts| {
            ts.map(|t| {
                format!(
                    "{}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
                    t.serial(),
                    t.kind(),
                    t.time_step(),
                    t.hash(),
                    t.manufacturer(),
                    t.model(),
                    t.added_at(),
                    t.secret().map(|s| s.expose_bytes().to_vec())
                )
            })
            .collect()
        })
        .unwrap_or_else(|| vec!["unknown".into()]);
    let attrs: Vec<_> = u.ad_attributes().collect();
    format!(
        "{}|{:?}|{:?}|{:?}|{attrs:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{devices:?}|{tokens:?}",
        u.username(),
        u.upn(),
        u.sid(),
        u.email(),
        u.phone(),
        u.backup_phone(),
        u.default_method(),
        u.phone_call_mode(),
        u.text_message_mode(),
        u.mobile_app_mode(),
        u.language(),
        u.enabled(),
        u.changed_at(),
    )
}

/// Problems without row numbers (a rowid in SQLite, a record number in a CSV), which
/// duplicate-username reasons also list.
fn problems(set: &DataSet) -> Vec<String> {
    set.problems
        .iter()
        .map(|p| {
            let reason = match p.kind {
                ProblemKind::DuplicateUsername => p.reason.split(" (").next().unwrap_or(""),
                _ => p.reason.as_str(),
            };
            format!(
                "{:?}|{:?}|{}|{reason}|{}",
                p.kind, p.user, p.field, p.set_aside
            )
        })
        .collect()
}

#[test]
fn csv_folder_and_sqlite_give_the_same_model() -> Result {
    let dir = tempfile::tempdir()?;
    let pop = Population::new(5, 800);
    let sqlite = dir.path().join("s.pfdata");
    let folder = dir.path().join("s");
    write_snapshot(&pop, &sqlite, &WriteOptions::default())?;
    write_snapshot_folder(&pop, &folder, &WriteOptions::default())?;
    let a = load(&[sqlite], None)?;
    let b = load(&[folder], None)?;
    assert_eq!(a.len(), b.len());
    for (x, y) in a.users().zip(b.users()) {
        assert_eq!(fingerprint(x), fingerprint(y));
    }
    assert_eq!(problems(&a), problems(&b));
    assert_eq!(a.services.as_ref().known(), b.services.as_ref().known());
    assert_eq!(a.settings.as_ref().known(), b.settings.as_ref().known());
    assert_eq!(a.servers.as_ref().known(), b.servers.as_ref().known());
    assert_eq!(a.server_version(), b.server_version());
    // The extras show every problem a writer can cause.
    let kinds: BTreeSet<ProblemKind> = a.problems.iter().map(|p| p.kind).collect();
    for k in [
        ProblemKind::DuplicateUsername,
        ProblemKind::TokenWithoutUser,
        ProblemKind::DeviceWithoutUser,
        ProblemKind::BadTimestamp,
        ProblemKind::InvalidUtf8,
    ] {
        assert!(kinds.contains(&k), "{k:?}");
    }
    Ok(())
}

#[test]
fn export_csv_reads_back_what_the_console_exports() -> Result {
    let dir = tempfile::tempdir()?;
    let pop = Population::new(8, 1_000);
    let out = dir.path().join("export");
    write_export_csv(&pop, &out, &WriteOptions { extras: false })?;
    let set = load(&[out], None)?;
    let people = written(&pop);
    assert_eq!(set.len(), people.len());
    let mut joined = 0;
    let mut orphaned = 0;
    for (u, p) in set.users().zip(&people) {
        let m = &p.mfa;
        assert_eq!(u.username(), m.username);
        assert_eq!(u.email(), m.email.as_deref());
        assert_eq!(
            u.phone(),
            expected_phone(&m.country_code, &m.phone, &m.extension)
        );
        assert_eq!(
            u.backup_phone(),
            expected_phone(&m.backup_country_code, &m.backup_phone, &m.backup_extension)
        );
        assert_eq!(u.default_method(), name::<MfaMethod>(&m.default_method));
        assert_eq!(u.enabled(), Known::Known(m.enabled));
        // What the console's export does not carry is unknown.
        assert_eq!(u.sid(), None);
        assert!(u.devices().is_unknown());
        assert!(u.phone_call_mode().is_unknown());
        let totp: Vec<_> = m.tokens.iter().filter(|t| t.token_type == "totp").collect();
        let upn_like = u
            .match_upn()
            .is_some_and(|x| x.eq_ignore_ascii_case(&p.upn));
        if upn_like {
            let got: Vec<_> = u.tokens().known().map(|t| t.collect()).unwrap_or_default();
            assert_eq!(got.len(), totp.len(), "{}", m.username);
            for (t, want) in got.iter().zip(&totp) {
                assert_eq!(t.serial(), want.serial);
                assert_eq!(
                    t.secret(),
                    decode(&want.secret, &want.secret_format).as_ref()
                );
            }
            joined += totp.len();
        } else {
            orphaned += totp.len();
        }
    }
    assert!(joined > 20, "{joined}");
    let without_user = set
        .problems
        .iter()
        .filter(|p| p.kind == ProblemKind::TokenWithoutUser)
        .count();
    assert_eq!(without_user, orphaned);
    Ok(())
}
