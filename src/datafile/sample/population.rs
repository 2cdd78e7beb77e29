//! The people of a generated organisation, identical for the same seed and size.
//!
//! `sample-data` writes their MFA Server side; the simulated tenant builds its Entra side
//! from the same people, so the demo and the tests see one consistent organisation.
//! Values are as MFA Server or an admin would have typed them — including deliberately
//! bad ones — so the readers, not the generator, do the normalising.
//!
//! # Determinism
//!
//! Person `i` is drawn from its own ChaCha8 stream: key = SHA-256 of (`seed`, "people"),
//! stream number = `i`. So `person(i)` is O(1), needs no other person, and is the same in
//! a population of any size. Ranges are computed from the raw keystream (not through
//! `rand`'s distributions), so the data changes only if this module changes. Tenant-level
//! records (services, settings, servers, the domain SID) come from a second key.
//! Timestamps are fixed in 2018–2025 (export time 2025-01-15T09:30:00Z), never "now".
//!
//! # Distributions (approximate shares of all people)
//!
//! - Presence: 94% both sides, 3% MFA Server only (left the company), 3% Entra only
//!   (new hires; their `mfa` record is generated but writers leave them out).
//! - Identity (rules M1–M3): 80% UPN — of these half have `username` = UPN, a tenth a
//!   UPN in different case, 30% `CONTOSO\sam` with the `upn` column, a tenth a UPN-like
//!   username and no `upn` column; 12% SID only (`CONTOSO\sam` + `sid`); 8% only
//!   `ad_attributes.employeeID`. Synced: all SID/attribute people, 92% of UPN people.
//! - Names from seven countries (US, UK, DE, FR, IT, IN, JP), including Zoë, Łukasz,
//!   山田 太郎, Ñuñez, and apostrophes in UPNs (`sean.o'neil12@contoso.com`). UPNs and
//!   `sAMAccountName`s end in `index + 1`, so they are unique. 4% disabled in MFA Server.
//! - Phones in the person's country: 90% have one (25% landlines; half of those with
//!   an extension, ~12% of all), typed in national or international form with spaces,
//!   dashes, dots, parentheses or nothing; UK `+44 (0)20 …`; Italy keeps its leading 0.
//!   An extension is either an `x123` / `ext. 123` suffix of the number or in its own
//!   column. 40% of people with a phone have a backup phone (40% landlines, half of those
//!   with an extension; 20% in another country); 1.5% of those without a phone have a
//!   backup phone only (B4).
//! - Devices: 0 (40%), 1 (33%), 2 (14%), 3 (7%), 4–7 (6%); a quarter of later
//!   activations reuse an earlier name (A1); 70% carry a base32 OATH secret.
//! - Hardware tokens: 8% of people (1% of them two): 85% TOTP / 15% HOTP, 15% of TOTP
//!   at 60 s, 20% HMAC-SHA256 (32-byte keys, else 20), 25% hex secrets, some base32 in
//!   lower-case groups of four. Every good secret decodes and yields real TOTP codes.
//! - Default method: `oath_token` for half of token holders, `mobile_app` for 60% of
//!   device holders, else `phone_call`, or `text_message` (30%; 3% on a phone with an
//!   extension: P3); 1% unset (unknown).
//! - Entra side (`EntraSeed`) for people on both sides: 25% already hold the same
//!   number in the slot the rules target (P4), 5% a different mobile; ~10% an
//!   Authenticator named like one of their devices (A3 present), 3% an unrelated one;
//!   40% of those with anything registered have a default method set (D2). Entra-only
//!   people: 40% a mobile, 20% an Authenticator.
//!
//! # Cases placed at fixed indices
//!
//! So that any population of a few hundred shows them: `index % 500` = 7 a phone that is
//! not a number, 31 a hardware token with a bad secret, 59 an unknown method (row
//! problems, two of each per 1,000); `index % 200` = 83 text-message default on a phone
//! with an extension (P3), 113 phone and backup both with extensions (B3), 149 backup
//! phone only (B4), 173 seven devices with repeated names and a hardware token (A1, A2).
//! These people are always on both sides and enabled.

use chrono::{DateTime, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::datafile::model::{Server, ServerRole, ServiceKind, Settings};

/// The domain of every generated organisation.
pub const DOMAIN: &str = "contoso.com";
/// The NetBIOS name used in `DOMAIN\sam` usernames.
pub const NETBIOS: &str = "CONTOSO";

/// How MFA Server knows a person, which decides the rule that matches them (M1–M3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MfaIdentity {
    /// `upn` column set (or a UPN-like username): rule M1.
    Upn,
    /// `CONTOSO\sam` with a SID and no UPN: rule M2.
    Sid,
    /// `CONTOSO\sam` with neither UPN nor SID, only `ad_attributes.employeeID`: rule M3.
    Attribute,
}

/// Which side a person exists on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    Both,
    /// Left the company: still in MFA Server, gone from Entra.
    MfaServerOnly,
    /// New hire: in Entra and the migration groups, never enrolled in MFA Server.
    EntraOnly,
}

/// A mobile app device as MFA Server holds it.
#[derive(Clone, PartialEq, Serialize)]
pub struct SampleDevice {
    pub name: String,
    /// Opaque push token (a fake value).
    pub device_token: String,
    /// Base32 as stored; `None` for devices without a code generator; may be malformed.
    #[serde(skip)]
    pub oath_secret: Option<String>,
    pub activated_at: DateTime<Utc>,
}

/// A hardware OATH token as the snapshot or a vendor seed file holds it.
#[derive(Clone, PartialEq, Serialize)]
pub struct SampleToken {
    pub serial: String,
    /// Secret as stored, in `secret_format`; may be malformed on purpose.
    #[serde(skip)]
    pub secret: String,
    /// `base32` or `hex`.
    pub secret_format: String,
    pub manufacturer: String,
    pub model: String,
    /// `totp` or `hotp`.
    pub token_type: String,
    /// 30 or 60.
    pub time_step: u32,
    /// `hmacsha1` or `hmacsha256`.
    pub hash_function: String,
    pub added_at: DateTime<Utc>,
}

/// One person's MFA Server record, field for field the reference layout's `users` row
/// plus their devices and tokens. Text is as typed (phones with formatting characters).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MfaRecord {
    pub username: String,
    pub upn: Option<String>,
    pub sid: Option<String>,
    pub email: Option<String>,
    pub ad_attributes: Vec<(String, String)>,
    pub country_code: Option<String>,
    pub phone: Option<String>,
    pub extension: Option<String>,
    pub backup_country_code: Option<String>,
    pub backup_phone: Option<String>,
    pub backup_extension: Option<String>,
    /// Stored text: normally one of the four method names; a few bad rows hold others.
    pub default_method: Option<String>,
    pub phone_call_mode: Option<String>,
    pub text_message_mode: Option<String>,
    pub mobile_app_mode: Option<String>,
    pub language: Option<String>,
    pub enabled: bool,
    pub changed_at: DateTime<Utc>,
    pub devices: Vec<SampleDevice>,
    pub tokens: Vec<SampleToken>,
}

/// Methods a person already has in Entra before any migration.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EntraSeed {
    /// (`mobile` | `alternateMobile` | `office`, Graph-format number `+1 4255550100x12`).
    pub phones: Vec<(String, String)>,
    /// Display names of Microsoft Authenticator registrations.
    pub authenticators: Vec<String>,
    /// `userPreferredMethodForSecondaryAuthentication`, when set.
    pub default_method: Option<String>,
}

/// A generated person: their directory identity, their MFA Server record and what Entra
/// already holds for them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Person {
    pub index: usize,
    pub given_name: String,
    pub surname: String,
    pub display_name: String,
    /// Entra `userPrincipalName` (may hold an apostrophe, e.g. `o'neil`).
    pub upn: String,
    pub mail: String,
    pub sam_account_name: String,
    /// On-premises `objectSid` (Entra `onPremisesSecurityIdentifier`); only synced people
    /// (`synced`) carry it in Entra.
    pub sid: String,
    /// `employeeId` in Entra, `ad_attributes.employeeID` in MFA Server.
    pub employee_id: String,
    pub identity: MfaIdentity,
    pub presence: Presence,
    /// Synced from on-premises (`onPremisesSyncEnabled`); cloud-only otherwise.
    pub synced: bool,
    /// Migration wave, 1 to 3: the simulated tenant nests a group per wave.
    pub wave: u8,
    /// Member of the pilot group.
    pub pilot: bool,
    pub mfa: MfaRecord,
    pub entra: EntraSeed,
}

/// A generated organisation of `users` people from `seed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Population {
    pub seed: u64,
    pub users: usize,
}

/// A dependency as the snapshot's `auth_services` holds it. `detail` is written as stored,
/// so it may hold a shared secret (one RADIUS client has one) that readers must drop.
#[derive(Clone, PartialEq)]
pub struct SampleService {
    pub kind: ServiceKind,
    pub name: String,
    pub address: Option<String>,
    pub detail: serde_json::Map<String, serde_json::Value>,
    pub enabled: bool,
}

/// `••••XY`: generated secrets print no more than real ones do.
fn masked(secret: &str) -> String {
    let tail: String = secret
        .chars()
        .rev()
        .take(2)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("••••{tail}")
}

impl std::fmt::Debug for SampleDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SampleDevice")
            .field("name", &self.name)
            .field("device_token", &masked(&self.device_token))
            .field("oath_secret", &self.oath_secret.as_deref().map(masked))
            .field("activated_at", &self.activated_at)
            .finish()
    }
}

impl std::fmt::Debug for SampleToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SampleToken")
            .field("serial", &self.serial)
            .field("secret", &masked(&self.secret))
            .field("secret_format", &self.secret_format)
            .field("manufacturer", &self.manufacturer)
            .field("model", &self.model)
            .field("token_type", &self.token_type)
            .field("time_step", &self.time_step)
            .field("hash_function", &self.hash_function)
            .field("added_at", &self.added_at)
            .finish()
    }
}

impl std::fmt::Debug for SampleService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SampleService")
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("address", &self.address)
            .field("detail_keys", &self.detail.keys().collect::<Vec<_>>())
            .field("enabled", &self.enabled)
            .finish()
    }
}

impl Population {
    pub fn new(seed: u64, users: usize) -> Population {
        Population { seed, users }
    }

    pub fn len(&self) -> usize {
        self.users
    }

    pub fn is_empty(&self) -> bool {
        self.users == 0
    }

    /// Person `index`: a pure function of (`seed`, `index`), O(1), independent of every
    /// other index and of `users` (a person of a 10-user population is the same person in
    /// a 500,000-user one). Defined for any index; [`Population::people`] yields `0..users`.
    pub fn person(&self, index: usize) -> Person {
        let mut d = Dice::new(self.seed, Stream::Person, index as u64);
        generate(self.seed, &mut d, index)
    }

    /// Everyone, in index order. The iterator owns a copy of the population.
    pub fn people(&self) -> impl ExactSizeIterator<Item = Person> + use<> {
        let p = *self;
        (0..p.users).map(move |i| p.person(i))
    }

    /// The MFA Server version the generated data file reports.
    pub fn server_version(&self) -> &'static str {
        SERVER_VERSION
    }

    /// When the generated data file was exported: fixed, so output is byte-for-byte
    /// reproducible.
    pub fn exported_at(&self) -> DateTime<Utc> {
        ts(EXPORTED_AT)
    }

    /// What authenticates through this MFA Server: RADIUS clients, LDAP, IIS, Windows,
    /// the AD FS adapter, the user portal and its web services.
    pub fn services(&self) -> Vec<SampleService> {
        let mut d = Dice::new(self.seed, Stream::Tenant, 1);
        let net = d.range(10, 250);
        let obj = |pairs: &[(&str, serde_json::Value)]| {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_string(), v.clone()))
                .collect::<serde_json::Map<_, _>>()
        };
        use serde_json::json;
        let mut out = vec![
            SampleService {
                kind: ServiceKind::Radius,
                name: "VPN concentrator".into(),
                address: Some(format!("10.{net}.10.5")),
                detail: obj(&[
                    ("application_name", json!("Cisco ASA")),
                    ("require_user_match", json!(true)),
                    // A shared secret as some exports carry it: the reader must drop it.
                    ("shared_secret", json!(format!("vpn-{:08x}", d.next_u32()))),
                ]),
                enabled: true,
            },
            SampleService {
                kind: ServiceKind::Radius,
                name: "Citrix NetScaler Gateway".into(),
                address: Some(format!("10.{net}.10.6")),
                detail: obj(&[
                    ("application_name", json!("Citrix Gateway")),
                    ("require_user_match", json!(true)),
                ]),
                enabled: true,
            },
            SampleService {
                kind: ServiceKind::Radius,
                name: "Wi-Fi NPS".into(),
                address: Some(format!("10.{net}.20.10")),
                detail: obj(&[
                    ("application_name", json!("NPS")),
                    ("require_user_match", json!(false)),
                ]),
                enabled: false,
            },
            SampleService {
                kind: ServiceKind::Ldap,
                name: "Legacy HR application".into(),
                address: Some(format!("dc01.{DOMAIN}:389")),
                detail: obj(&[
                    ("client_ip", json!(format!("10.{net}.30.4"))),
                    ("require_user_match", json!(true)),
                ]),
                enabled: true,
            },
            SampleService {
                kind: ServiceKind::Iis,
                name: "Outlook on the web".into(),
                address: Some(format!("https://mail.{DOMAIN}/owa")),
                detail: obj(&[("authentication", json!("form-based"))]),
                enabled: true,
            },
            SampleService {
                kind: ServiceKind::Windows,
                name: "Remote Desktop gateway".into(),
                address: Some(format!("rdgw.{DOMAIN}")),
                detail: obj(&[("application", json!("Terminal Services"))]),
                enabled: true,
            },
            SampleService {
                kind: ServiceKind::Adfs,
                name: "AD FS adapter".into(),
                address: Some(format!("https://sts.{DOMAIN}/adfs")),
                detail: obj(&[("farm", json!(format!("adfs01.{DOMAIN}, adfs02.{DOMAIN}")))]),
                enabled: true,
            },
            SampleService {
                kind: ServiceKind::UserPortal,
                name: "User portal".into(),
                address: Some(format!("https://mfa.{DOMAIN}/MultiFactorAuth")),
                detail: serde_json::Map::new(),
                enabled: true,
            },
            SampleService {
                kind: ServiceKind::MobileAppWebService,
                name: "Mobile App Web Service".into(),
                address: Some(format!(
                    "https://mfa.{DOMAIN}/MultiFactorAuthMobileAppWebService"
                )),
                detail: serde_json::Map::new(),
                enabled: true,
            },
            SampleService {
                kind: ServiceKind::WebServiceSdk,
                name: "Web Service SDK".into(),
                address: Some(format!("https://mfa.{DOMAIN}/MultiFactorAuthWebServiceSdk")),
                detail: obj(&[("client_certificate_required", json!(true))]),
                enabled: true,
            },
        ];
        if d.chance(500) {
            out.insert(
                2,
                SampleService {
                    kind: ServiceKind::Radius,
                    name: "Palo Alto GlobalProtect".into(),
                    address: Some(format!("10.{net}.10.7")),
                    detail: obj(&[
                        ("application_name", json!("GlobalProtect")),
                        ("require_user_match", json!(true)),
                    ]),
                    enabled: true,
                },
            );
        }
        out
    }

    /// Company settings and user portal settings, keyed as the reference layout stores them.
    pub fn settings(&self) -> Settings {
        let mut s = Settings::default();
        for (k, v) in [
            ("user_default_method", "phone_call"),
            ("phone_call_mode", "standard"),
            ("text_message_mode", "otp"),
            ("mobile_app_mode", "standard"),
            ("language", "en"),
            ("fraud_alert_enabled", "true"),
            ("block_user_on_fraud_report", "false"),
            ("pin_length", "4"),
        ] {
            s.company.insert(k.into(), v.into());
        }
        for (k, v) in [
            ("url", format!("https://mfa.{DOMAIN}/MultiFactorAuth")),
            ("allow_enrollment", "true".into()),
            ("allow_one_time_bypass", "false".into()),
            ("use_security_questions", "true".into()),
            ("allow_user_login", "true".into()),
        ] {
            s.user_portal.insert(k.into(), v);
        }
        s
    }

    /// The on-premises domain's SID prefix (`S-1-5-21-a-b-c`): users' SIDs and the AD FS
    /// exports' group SIDs share it.
    pub fn domain_sid(&self) -> String {
        domain_sid(self.seed)
    }

    /// The MFA Server group: a primary and a subordinate.
    pub fn servers(&self) -> Vec<Server> {
        vec![
            Server {
                name: format!("MFA01.{DOMAIN}"),
                role: ServerRole::Primary,
                version: Some(SERVER_VERSION.into()),
                last_seen_at: Some(ts(EXPORTED_AT - 60)),
            },
            Server {
                name: format!("MFA02.{DOMAIN}"),
                role: ServerRole::Subordinate,
                version: Some(SERVER_VERSION.into()),
                last_seen_at: Some(ts(EXPORTED_AT - 3 * 3600)),
            },
        ]
    }
}

// ---------------------------------------------------------------------------------------
// Randomness: one ChaCha8 stream per person
// ---------------------------------------------------------------------------------------

// The build the migration guide asks for (8.1, with the migration utility): the checklist's
// prep.update passes on the sample.
const SERVER_VERSION: &str = "8.1.1.2";
/// 2025-01-15T09:30:00Z.
const EXPORTED_AT: i64 = 1_736_933_400;
/// 2018-01-01T00:00:00Z.
const EPOCH_2018: i64 = 1_514_764_800;
/// 2019-01-01T00:00:00Z.
const EPOCH_2019: i64 = 1_546_300_800;
const DAY: i64 = 86_400;

fn ts(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

/// Which family of streams a generator draws from: people, or tenant-level records.
#[derive(Clone, Copy)]
enum Stream {
    Person = 0,
    Tenant = 1,
}

/// A ChaCha8 stream keyed by SHA-256(seed, family) and selected by index, so any person
/// is drawn in O(1). Ranges are derived from raw `u64`s here rather than through `rand`'s
/// distributions, so the data depends on the ChaCha keystream alone.
struct Dice(ChaCha8Rng);

impl Dice {
    fn new(seed: u64, stream: Stream, index: u64) -> Dice {
        let mut h = Sha256::new();
        h.update(b"mfa-cutover/population/v1");
        h.update(seed.to_le_bytes());
        h.update([stream as u8]);
        let mut rng = ChaCha8Rng::from_seed(h.finalize().into());
        rng.set_stream(index);
        Dice(rng)
    }

    fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }

    /// Uniform in `0..n` (`n > 0`); the bias of the multiply-shift is below 2^-40 here.
    fn below(&mut self, n: u64) -> u64 {
        ((self.0.next_u64() as u128 * n.max(1) as u128) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    /// True with probability `per_mille / 1000`.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    fn pick<'t, T>(&mut self, items: &'t [T]) -> &'t T {
        // Tables are non-empty constants, so the index is always in range.
        &items[self.below(items.len() as u64) as usize]
    }

    fn weighted<T: Copy>(&mut self, items: &[(T, u64)]) -> T {
        let total: u64 = items.iter().map(|(_, w)| w).sum();
        let mut x = self.below(total);
        for (item, w) in items {
            if x < *w {
                return *item;
            }
            x -= w;
        }
        items[items.len() - 1].0
    }

    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }

    /// `n` digits, the first of them from `first` (e.g. "2345678" excludes 0 and 1).
    fn digits_from(&mut self, first: &str, n: usize) -> String {
        let f = first.as_bytes();
        let mut s = String::with_capacity(n);
        s.push(char::from(f[self.below(f.len() as u64) as usize]));
        s.push_str(&self.digits(n.saturating_sub(1)));
        s
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = vec![0; n];
        self.0.fill_bytes(&mut v);
        v
    }

    fn time(&mut self, from: i64, to: i64) -> i64 {
        from + self.below((to - from).max(1) as u64) as i64
    }
}

// ---------------------------------------------------------------------------------------
// Countries, names, numbers
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Country {
    Us,
    Uk,
    De,
    Fr,
    It,
    In,
    Jp,
}

const COUNTRIES: [(Country, u64); 7] = [
    (Country::Us, 380),
    (Country::Uk, 150),
    (Country::De, 130),
    (Country::Fr, 100),
    (Country::It, 80),
    (Country::In, 100),
    (Country::Jp, 60),
];

/// (as displayed, as it appears in a UPN).
type Name = (&'static str, &'static str);

impl Country {
    fn calling_code(self) -> u16 {
        match self {
            Country::Us => 1,
            Country::Uk => 44,
            Country::De => 49,
            Country::Fr => 33,
            Country::It => 39,
            Country::In => 91,
            Country::Jp => 81,
        }
    }

    fn language(self) -> &'static str {
        match self {
            Country::Us => "en",
            Country::Uk => "en-GB",
            Country::De => "de-DE",
            Country::Fr => "fr-FR",
            Country::It => "it-IT",
            Country::In => "en-IN",
            Country::Jp => "ja-JP",
        }
    }

    /// National trunk prefix, typed before the number in national form. Italy has none:
    /// its leading 0 is part of the number and stays in E.164.
    fn trunk(self) -> &'static str {
        match self {
            Country::Us | Country::It => "",
            _ => "0",
        }
    }

    fn names(self) -> (&'static [Name], &'static [Name]) {
        match self {
            Country::Us => (
                &[
                    ("James", "james"),
                    ("Mary", "mary"),
                    ("Sean", "sean"),
                    ("Olivia", "olivia"),
                    ("Zoë", "zoe"),
                    ("José", "jose"),
                    ("Aaliyah", "aaliyah"),
                    ("Michael", "michael"),
                    ("Emily", "emily"),
                    ("David", "david"),
                ],
                &[
                    ("Smith", "smith"),
                    ("Johnson", "johnson"),
                    ("O'Neil", "o'neil"),
                    ("Brown", "brown"),
                    ("Ñuñez", "nunez"),
                    ("García", "garcia"),
                    ("Williams", "williams"),
                    ("Nguyen", "nguyen"),
                    ("Kowalski", "kowalski"),
                ],
            ),
            Country::Uk => (
                &[
                    ("Oliver", "oliver"),
                    ("Amelia", "amelia"),
                    ("Harry", "harry"),
                    ("Isla", "isla"),
                    ("Łukasz", "lukasz"),
                    ("Siobhán", "siobhan"),
                    ("Zoë", "zoe"),
                ],
                &[
                    ("Taylor", "taylor"),
                    ("Davies", "davies"),
                    ("O'Connor", "o'connor"),
                    ("Wójcik", "wojcik"),
                    ("Patel", "patel"),
                    ("MacDonald", "macdonald"),
                    ("Ó Súilleabháin", "osuilleabhain"),
                ],
            ),
            Country::De => (
                &[
                    ("Jürgen", "juergen"),
                    ("Anna", "anna"),
                    ("Lukas", "lukas"),
                    ("Sophie", "sophie"),
                    ("Łukasz", "lukasz"),
                    ("Björn", "bjoern"),
                ],
                &[
                    ("Müller", "mueller"),
                    ("Schmidt", "schmidt"),
                    ("Weiß", "weiss"),
                    ("Schäfer", "schaefer"),
                    ("Nowak", "nowak"),
                    ("Yılmaz", "yilmaz"),
                ],
            ),
            Country::Fr => (
                &[
                    ("Zoë", "zoe"),
                    ("Chloé", "chloe"),
                    ("François", "francois"),
                    ("Hélène", "helene"),
                    ("Léa", "lea"),
                    ("Inès", "ines"),
                ],
                &[
                    ("Dubois", "dubois"),
                    ("Lefèvre", "lefevre"),
                    ("Martin", "martin"),
                    ("D'Arcy", "d'arcy"),
                    ("Benoît", "benoit"),
                ],
            ),
            Country::It => (
                &[
                    ("Giulia", "giulia"),
                    ("Marco", "marco"),
                    ("Niccolò", "niccolo"),
                    ("Chiara", "chiara"),
                ],
                &[
                    ("Rossi", "rossi"),
                    ("Bianchi", "bianchi"),
                    ("D'Amico", "d'amico"),
                    ("Esposito", "esposito"),
                    ("De Luca", "deluca"),
                ],
            ),
            Country::In => (
                &[
                    ("Priya", "priya"),
                    ("Arjun", "arjun"),
                    ("Aarav", "aarav"),
                    ("Ananya", "ananya"),
                    ("Rohan", "rohan"),
                ],
                &[
                    ("Sharma", "sharma"),
                    ("Patel", "patel"),
                    ("Iyer", "iyer"),
                    ("Reddy", "reddy"),
                    ("Nair", "nair"),
                ],
            ),
            Country::Jp => (
                &[
                    ("太郎", "taro"),
                    ("花子", "hanako"),
                    ("健", "ken"),
                    ("さくら", "sakura"),
                    ("翔太", "shota"),
                ],
                &[
                    ("山田", "yamada"),
                    ("佐藤", "sato"),
                    ("鈴木", "suzuki"),
                    ("高橋", "takahashi"),
                    ("田中", "tanaka"),
                ],
            ),
        }
    }
}

/// A generated number: its country, national significant number (digits, as in E.164
/// after the country code) and how its digits are grouped when typed.
#[derive(Debug, Clone)]
struct Number {
    country: Country,
    nsn: String,
    groups: &'static [usize],
}

impl Number {
    fn generate(d: &mut Dice, country: Country, landline: bool) -> Number {
        let (nsn, groups): (String, &'static [usize]) = match (country, landline) {
            (Country::Us, _) => {
                let area = d.pick(&[
                    "425", "206", "212", "312", "415", "617", "646", "713", "303", "404", "512",
                    "602",
                ]);
                let mut exchange = d.digits_from("23456789", 3);
                // N11 codes and 555 are not assigned to subscribers.
                if exchange.ends_with("11") || exchange == "555" {
                    exchange.replace_range(2..3, "4");
                }
                (format!("{area}{exchange}{}", d.digits(4)), &[3, 3, 4])
            }
            (Country::Uk, false) => {
                let p = d.pick(&["7812", "7450", "7971", "7507", "7824", "7391", "7403"]);
                (format!("{p}{}", d.digits(6)), &[4, 6])
            }
            (Country::Uk, true) => match d.below(3) {
                0 => (format!("20{}", d.digits_from("378", 8)), &[2, 4, 4]),
                1 => (format!("161{}", d.digits_from("2345678", 7)), &[3, 3, 4]),
                _ => (format!("131{}", d.digits_from("2345678", 7)), &[3, 3, 4]),
            },
            (Country::De, false) => match d.below(3) {
                0 => (format!("151{}", d.digits_from("123456789", 8)), &[3, 8]),
                1 => (format!("176{}", d.digits_from("123456789", 8)), &[3, 8]),
                _ => (format!("170{}", d.digits_from("123456789", 7)), &[3, 7]),
            },
            (Country::De, true) => {
                let city = d.pick(&["30", "89", "40"]);
                (format!("{city}{}", d.digits_from("2345678", 8)), &[2, 4, 4])
            }
            // 0639, 0692–0697, 0262 and 059x are overseas departments' ranges, not
            // metropolitan France.
            (Country::Fr, false) => (format!("6{}", d.digits_from("124578", 8)), &[1, 2, 2, 2, 2]),
            (Country::Fr, true) => (
                format!(
                    "{}{}",
                    d.pick(&["1", "3", "4"]),
                    d.digits_from("3456789", 8)
                ),
                &[1, 2, 2, 2, 2],
            ),
            (Country::It, false) => {
                let p = d.pick(&[
                    "320", "328", "333", "338", "347", "348", "349", "366", "380", "393",
                ]);
                (format!("{p}{}", d.digits(7)), &[3, 3, 4])
            }
            (Country::It, true) => {
                let city = d.pick(&["06", "02"]);
                (format!("{city}{}", d.digits_from("3456789", 8)), &[2, 4, 4])
            }
            (Country::In, false) => {
                let p = d.pick(&["98", "99", "97", "96", "90", "88", "81", "70", "63"]);
                (format!("{p}{}", d.digits(8)), &[5, 5])
            }
            (Country::In, true) => {
                let city = d.pick(&["11", "22"]);
                (format!("{city}{}", d.digits_from("26", 8)), &[2, 4, 4])
            }
            (Country::Jp, false) => {
                let p = d.pick(&["90", "80", "70"]);
                (format!("{p}{}", d.digits_from("123456789", 8)), &[2, 4, 4])
            }
            (Country::Jp, true) => {
                let city = d.pick(&["3", "6"]);
                (format!("{city}{}", d.digits_from("3456", 8)), &[1, 4, 4])
            }
        };
        Number {
            country,
            nsn,
            groups,
        }
    }

    /// Graph's `+{cc} {number}x{ext}`.
    fn graph(&self, ext: Option<&str>) -> String {
        match ext {
            Some(e) => format!("+{} {}x{e}", self.country.calling_code(), self.nsn),
            None => format!("+{} {}", self.country.calling_code(), self.nsn),
        }
    }

    fn grouped(&self) -> Vec<&str> {
        let mut out = Vec::with_capacity(self.groups.len());
        let mut rest = self.nsn.as_str();
        for (i, g) in self.groups.iter().enumerate() {
            if rest.is_empty() {
                break;
            }
            let take = if i + 1 == self.groups.len() {
                rest.len()
            } else {
                (*g).min(rest.len())
            };
            let (head, tail) = rest.split_at(take);
            out.push(head);
            rest = tail;
        }
        out
    }

    /// The number as an admin or a user might have typed it: national or international
    /// form, spaces, dashes, dots or nothing between groups, the area code sometimes in
    /// parentheses, a UK `+44 (0)` now and then.
    fn typed(&self, d: &mut Dice) -> String {
        let groups = self.grouped();
        let sep = *d.pick(&[" ", " ", "-", ".", ""]);
        let trunk = self.country.trunk();
        let cc = self.country.calling_code();
        match d.below(10) {
            0..=5 => {
                let trunk = if self.country == Country::In && d.chance(500) {
                    ""
                } else {
                    trunk
                };
                let mut first = format!("{trunk}{}", groups.first().copied().unwrap_or(""));
                if groups.len() > 2 && d.chance(250) {
                    first = format!("({first})");
                    let rest = groups[1..].join(if sep.is_empty() { "-" } else { sep });
                    return format!("{first} {rest}");
                }
                let mut all = vec![first.as_str()];
                all.extend(groups.iter().skip(1));
                all.join(sep)
            }
            6..=8 => {
                if self.country == Country::Uk && d.chance(333) {
                    return format!("+44 (0){}", groups.join(" "));
                }
                format!(
                    "+{cc} {}",
                    groups.join(if sep.is_empty() { " " } else { sep })
                )
            }
            _ => format!("{trunk}{}", self.nsn),
        }
    }
}

/// An extension as typed after the number.
fn ext_suffix(d: &mut Dice, ext: &str) -> String {
    let marker = d.pick(&[" x", "x", " ext. ", " ext ", " X", " ext."]);
    format!("{marker}{ext}")
}

/// What a bad phone row holds instead of a number.
const BAD_PHONES: [&str; 5] = [
    "call reception",
    "n/a",
    "x4410",
    "ask at front desk",
    "see notes",
];

/// What a bad secret row holds instead of a secret: not base32, or too short.
const BAD_SECRETS: [&str; 3] = ["N0T-B4SE32-0189", "hunter2!", "JBSWY3DP"];

/// What a bad method row holds instead of one of the four method names.
const BAD_METHODS: [&str; 3] = ["voice_otp", "5", "smoke_signal"];

const DEVICE_MODELS: [&str; 16] = [
    "iPhone",
    "iPhone 12",
    "iPhone 13",
    "iPhone 14 Pro",
    "iPhone 15",
    "iPhone SE",
    "Pixel 7",
    "Pixel 8 Pro",
    "Galaxy S22",
    "Galaxy S23 Ultra",
    "SM-G991B",
    "SM-A536B",
    "iPad",
    "moto g(60)",
    "HUAWEI P30",
    "OnePlus 11",
];

/// (manufacturer, model, serial prefix).
const TOKEN_MODELS: [(&str, &str, &str); 6] = [
    ("Token2", "C302", "T2"),
    ("Token2", "miniOTP-3", "T2M"),
    ("Feitian", "OTP c200", "FT"),
    ("Deepnet", "SafeID/Classic", "DN"),
    ("Thales", "IDProve 100", "TH"),
    ("OneSpan", "Digipass GO 6", "DP"),
];

// ---------------------------------------------------------------------------------------
// Cases placed on purpose, so every population of a few hundred people shows them
// ---------------------------------------------------------------------------------------

/// A case that must be present in any population: placed at fixed residues of the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Special {
    /// Row problem `bad_phone`: the phone is not a number.
    BadPhone,
    /// Row problem `bad_secret`: a hardware token whose secret is not valid base32.
    BadSecret,
    /// Row problem `unknown_method`.
    UnknownMethod,
    /// P3: text message default on a phone with an extension.
    TextWithExtension,
    /// B3: phone and backup phone both with an extension.
    BothExtensions,
    /// B4: a backup phone and no phone.
    BackupOnly,
    /// A1, A2, L1: seven devices with repeated names, plus a hardware token.
    ManyDevices,
}

impl Special {
    fn of(index: usize) -> Option<Special> {
        // Bad rows: two of each kind per 1,000 people.
        match index % 500 {
            7 => return Some(Special::BadPhone),
            31 => return Some(Special::BadSecret),
            59 => return Some(Special::UnknownMethod),
            _ => {}
        }
        match index % 200 {
            83 => Some(Special::TextWithExtension),
            113 => Some(Special::BothExtensions),
            149 => Some(Special::BackupOnly),
            173 => Some(Special::ManyDevices),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------
// One person
// ---------------------------------------------------------------------------------------

/// The domain's SID prefix `S-1-5-21-a-b-c`, from the seed.
fn domain_sid(seed: u64) -> String {
    let mut d = Dice::new(seed, Stream::Tenant, 0);
    format!(
        "S-1-5-21-{}-{}-{}",
        d.range(1_000_000_000, 4_000_000_000),
        d.range(1_000_000_000, 4_000_000_000),
        d.range(1_000_000_000, 4_000_000_000)
    )
}

/// A phone as generated: the number, its extension and where the extension was typed.
struct GenPhone {
    number: Number,
    ext: Option<String>,
}

fn gen_extension(d: &mut Dice) -> String {
    let len = d.range(2, 5) as usize;
    d.digits_from("123456789", len)
}

/// Fill `country_code`, `phone`, `extension` as typed: the extension either as an
/// `x123` suffix of the number or in its own column.
fn typed_phone(d: &mut Dice, p: &GenPhone) -> (Option<String>, Option<String>, Option<String>) {
    let cc = p.number.country.calling_code().to_string();
    let mut text = p.number.typed(d);
    let mut column = None;
    if let Some(e) = &p.ext {
        if d.chance(500) {
            text.push_str(&ext_suffix(d, e));
        } else {
            column = Some(e.clone());
        }
    }
    (Some(cc), Some(text), column)
}

fn generate(seed: u64, d: &mut Dice, index: usize) -> Person {
    let special = Special::of(index);
    let country = d.weighted(&COUNTRIES);
    let (given_names, surnames) = country.names();
    let (given_name, given_ascii) = *d.pick(given_names);
    let (surname, surname_ascii) = *d.pick(surnames);
    let display_name = if country == Country::Jp {
        format!("{surname} {given_name}")
    } else {
        format!("{given_name} {surname}")
    };
    let n = index + 1;
    let upn = format!("{given_ascii}.{surname_ascii}{n}@{DOMAIN}");
    let mail = upn.clone();
    // sAMAccountName: at most 20 characters, no apostrophes.
    let short: String = surname_ascii
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(12)
        .collect();
    let initial: String = given_ascii.chars().take(1).collect();
    let sam_account_name = format!("{initial}{short}{n}");
    let sid = format!("{}-{}", domain_sid(seed), 1100 + index as u64);
    let employee_id = format!("{}", 100_000 + index as u64);

    let presence = if special.is_some() {
        Presence::Both
    } else {
        d.weighted(&[
            (Presence::Both, 940),
            (Presence::MfaServerOnly, 30),
            (Presence::EntraOnly, 30),
        ])
    };
    let identity = d.weighted(&[
        (MfaIdentity::Upn, 800),
        (MfaIdentity::Sid, 120),
        (MfaIdentity::Attribute, 80),
    ]);
    let synced = identity != MfaIdentity::Upn || d.chance(920);
    let wave = d.weighted(&[(1u8, 200), (2, 400), (3, 400)]);
    let pilot = d.chance(50);

    // How MFA Server knows them.
    let netbios_sam = format!("{NETBIOS}\\{sam_account_name}");
    let (username, mfa_upn, mfa_sid) = match identity {
        MfaIdentity::Upn => match d.below(10) {
            0..=4 => (upn.clone(), Some(upn.clone()), None),
            // Case differs from Entra's: M1 compares case-insensitively.
            5 => {
                let shown = capitalise_upn(&upn);
                (shown.clone(), Some(shown), None)
            }
            6..=8 => (
                netbios_sam.clone(),
                Some(upn.clone()),
                synced.then(|| sid.clone()),
            ),
            // A UPN-like username with no upn column: M1 on the username.
            _ => (upn.clone(), None, None),
        },
        MfaIdentity::Sid => (netbios_sam.clone(), None, Some(sid.clone())),
        MfaIdentity::Attribute => (netbios_sam.clone(), None, None),
    };
    let email = d.chance(900).then(|| mail.clone());
    let mut ad_attributes = Vec::new();
    if identity == MfaIdentity::Attribute || d.chance(300) {
        ad_attributes.push(("employeeID".to_string(), employee_id.clone()));
        if d.chance(500) {
            let dept = d.pick(&["Finance", "Sales", "Engineering", "Operations", "HR"]);
            ad_attributes.push(("department".to_string(), (*dept).to_string()));
        }
    }
    let enabled = special.is_some() || !d.chance(40);

    // Phones.
    let force_ext = matches!(
        special,
        Some(Special::TextWithExtension | Special::BothExtensions)
    );
    let has_primary =
        special == Some(Special::BadPhone) || special != Some(Special::BackupOnly) && d.chance(900);
    let primary = has_primary.then(|| {
        let landline = force_ext || d.chance(250);
        let number = Number::generate(d, country, landline);
        let ext = (force_ext || (landline && d.chance(500))).then(|| gen_extension(d));
        GenPhone { number, ext }
    });
    let has_backup = match special {
        Some(Special::BackupOnly | Special::BothExtensions) => true,
        _ if primary.is_some() => d.chance(400),
        // B4 arises on its own too: a backup phone but no phone.
        _ => d.chance(150),
    };
    let backup = has_backup.then(|| {
        let c = if d.chance(800) {
            country
        } else {
            d.weighted(&COUNTRIES)
        };
        let force = special == Some(Special::BothExtensions);
        let landline = force || d.chance(400);
        let number = Number::generate(d, c, landline);
        let ext = (force || (landline && d.chance(500))).then(|| gen_extension(d));
        GenPhone { number, ext }
    });

    // Devices: 0–7, names repeat on re-activation.
    let device_count = if special == Some(Special::ManyDevices) {
        7
    } else {
        d.weighted(&[
            (0usize, 800),
            (1, 660),
            (2, 280),
            (3, 140),
            (4, 60),
            (5, 30),
            (6, 20),
            (7, 10),
        ])
    };
    let mut devices: Vec<SampleDevice> = Vec::with_capacity(device_count);
    let mut when = d.time(EPOCH_2018, EXPORTED_AT - 400 * DAY);
    for k in 0..device_count {
        let repeat =
            k > 0 && (special == Some(Special::ManyDevices) && k % 3 == 0 || d.chance(250));
        let name = match devices.get(d.below(k.max(1) as u64) as usize) {
            Some(prev) if repeat => prev.name.clone(),
            _ => match d.below(5) {
                0 => format!("{given_name}'s {}", d.pick(&["iPhone", "iPad"])),
                1 => format!("{given_name}’s {}", d.pick(&["Galaxy", "Pixel"])),
                _ => (*d.pick(&DEVICE_MODELS)).to_string(),
            },
        };
        let ios = name.contains("iP");
        let device_token = if ios {
            data_encoding::HEXLOWER.encode(&d.bytes(32))
        } else {
            format!(
                "{}:APA91b{}",
                data_encoding::BASE64URL_NOPAD.encode(&d.bytes(16)),
                data_encoding::BASE64URL_NOPAD.encode(&d.bytes(48))
            )
        };
        let oath_secret = d
            .chance(700)
            .then(|| data_encoding::BASE32_NOPAD.encode(&d.bytes(20)));
        when += d.time(DAY, 300 * DAY);
        devices.push(SampleDevice {
            name,
            device_token,
            oath_secret,
            activated_at: ts(when.min(EXPORTED_AT - DAY)),
        });
    }

    // Hardware tokens.
    let token_count = match special {
        Some(Special::BadSecret | Special::ManyDevices) => 1,
        _ if d.chance(80) => {
            if d.chance(100) {
                2
            } else {
                1
            }
        }
        _ => 0,
    };
    let mut tokens = Vec::with_capacity(token_count);
    for k in 0..token_count {
        let (manufacturer, model, prefix) = *d.pick(&TOKEN_MODELS);
        let hotp = d.chance(150);
        let sha256 = d.chance(200);
        let time_step = if !hotp && d.chance(150) { 60 } else { 30 };
        let key = d.bytes(if sha256 { 32 } else { 20 });
        let hex = d.chance(250);
        let mut secret = if hex {
            data_encoding::HEXLOWER.encode(&key)
        } else {
            let b32 = data_encoding::BASE32_NOPAD.encode(&key);
            if d.chance(200) {
                // Vendor style: lower case in groups of four.
                b32.as_bytes()
                    .chunks(4)
                    .map(|c| String::from_utf8_lossy(c).to_lowercase())
                    .collect::<Vec<_>>()
                    .join(" ")
            } else {
                b32
            }
        };
        if special == Some(Special::BadSecret) {
            secret = (*d.pick(&BAD_SECRETS)).to_string();
        }
        tokens.push(SampleToken {
            serial: format!("{prefix}{:09}", index as u64 * 2 + k as u64),
            secret,
            secret_format: if hex { "hex" } else { "base32" }.into(),
            manufacturer: manufacturer.into(),
            model: model.into(),
            token_type: if hotp { "hotp" } else { "totp" }.into(),
            time_step,
            hash_function: if sha256 { "hmacsha256" } else { "hmacsha1" }.into(),
            added_at: ts(d.time(EPOCH_2018, EXPORTED_AT - 30 * DAY)),
        });
    }

    // Default method.
    let primary_ext = primary.as_ref().is_some_and(|p| p.ext.is_some());
    let default_method = match special {
        Some(Special::UnknownMethod) => Some((*d.pick(&BAD_METHODS)).to_string()),
        Some(Special::TextWithExtension) => Some("text_message".into()),
        _ if d.chance(10) => None,
        _ => Some(
            if !tokens.is_empty() && d.chance(500) {
                "oath_token"
            } else if !devices.is_empty() && d.chance(600) {
                "mobile_app"
            } else if primary.is_some() {
                if d.chance(if primary_ext { 30 } else { 300 }) {
                    "text_message"
                } else {
                    "phone_call"
                }
            } else if !devices.is_empty() {
                "mobile_app"
            } else {
                "phone_call"
            }
            .to_string(),
        ),
    };
    let phone_call_mode =
        (!d.chance(20)).then(|| if d.chance(100) { "pin" } else { "standard" }.to_string());
    let text_message_mode = (!d.chance(20)).then(|| {
        d.weighted(&[("otp", 700), ("otp_pin", 100), ("two_way", 200)])
            .to_string()
    });
    let mobile_app_mode =
        (!d.chance(20)).then(|| if d.chance(100) { "pin" } else { "standard" }.to_string());
    let language = (!d.chance(20)).then(|| country.language().to_string());

    let (country_code, phone, extension) = match &primary {
        Some(_) if special == Some(Special::BadPhone) => (
            Some(country.calling_code().to_string()),
            Some((*d.pick(&BAD_PHONES)).to_string()),
            None,
        ),
        Some(p) => typed_phone(d, p),
        None => (None, None, None),
    };
    let (backup_country_code, backup_phone, backup_extension) = match &backup {
        Some(p) => typed_phone(d, p),
        None => (None, None, None),
    };
    let last_activity = devices
        .iter()
        .map(|x| x.activated_at)
        .chain(tokens.iter().map(|t| t.added_at))
        .max()
        .unwrap_or_default();
    let changed_at = ts(d.time(EPOCH_2019, EXPORTED_AT - DAY)).max(last_activity);

    let entra = entra_seed(
        d,
        presence,
        country,
        primary
            .as_ref()
            .filter(|_| special != Some(Special::BadPhone)),
        backup.as_ref(),
        default_method.as_deref(),
        &devices,
    );

    Person {
        index,
        given_name: given_name.to_string(),
        surname: surname.to_string(),
        display_name,
        upn,
        mail,
        sam_account_name,
        sid,
        employee_id,
        identity,
        presence,
        synced,
        wave,
        pilot,
        mfa: MfaRecord {
            username,
            upn: mfa_upn,
            sid: mfa_sid,
            email,
            ad_attributes,
            country_code,
            phone,
            extension,
            backup_country_code,
            backup_phone,
            backup_extension,
            default_method,
            phone_call_mode,
            text_message_mode,
            mobile_app_mode,
            language,
            enabled,
            changed_at,
            devices,
            tokens,
        },
        entra,
    }
}

/// `anna.schmidt12@contoso.com` → `Anna.Schmidt12@Contoso.com`.
fn capitalise_upn(upn: &str) -> String {
    let mut out = String::with_capacity(upn.len());
    let mut start = true;
    for c in upn.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = matches!(c, '.' | '@');
    }
    out
}

/// What Entra already holds for a person: the same number in the slot the rules would
/// write (P4 then makes no operation), a different mobile, an Authenticator whose name
/// matches a device (A3 "present"), a default method already set (D2).
fn entra_seed(
    d: &mut Dice,
    presence: Presence,
    country: Country,
    primary: Option<&GenPhone>,
    backup: Option<&GenPhone>,
    default_method: Option<&str>,
    devices: &[SampleDevice],
) -> EntraSeed {
    let mut seed = EntraSeed::default();
    match presence {
        Presence::MfaServerOnly => return seed,
        Presence::EntraOnly => {
            if d.chance(400) {
                let n = Number::generate(d, country, false);
                seed.phones.push(("mobile".into(), n.graph(None)));
            }
            if d.chance(200) {
                seed.authenticators
                    .push((*d.pick(&DEVICE_MODELS)).to_string());
            }
        }
        Presence::Both => {
            let roll = d.below(1000);
            if roll < 250 {
                // The slot rules P1–P3 / B4 would target, holding the same number.
                let text_default = default_method == Some("text_message");
                let slot = match (primary, backup) {
                    (Some(p), _) => Some(match &p.ext {
                        Some(e) if !text_default => ("office", p.number.graph(Some(e))),
                        _ => ("mobile", p.number.graph(None)),
                    }),
                    (None, Some(b)) => Some(match &b.ext {
                        Some(e) => ("office", b.number.graph(Some(e))),
                        None => ("mobile", b.number.graph(None)),
                    }),
                    (None, None) => None,
                };
                if let Some((slot, number)) = slot {
                    seed.phones.push((slot.into(), number));
                }
            } else if roll < 300 {
                let mut n = Number::generate(d, country, false);
                if primary.is_some_and(|p| p.number.nsn == n.nsn) {
                    n.nsn.replace_range(n.nsn.len() - 1.., "0");
                }
                seed.phones.push(("mobile".into(), n.graph(None)));
            }
            if !devices.is_empty() && d.chance(170) {
                let name = d.pick(devices).name.clone();
                seed.authenticators.push(name);
            } else if d.chance(30) {
                seed.authenticators.push("iPhone 16 Pro".into());
            }
        }
    }
    if (!seed.phones.is_empty() || !seed.authenticators.is_empty()) && d.chance(400) {
        let first_slot = seed.phones.first().map(|(s, _)| s.as_str());
        seed.default_method = Some(
            if !seed.authenticators.is_empty() && d.chance(600) {
                "push"
            } else {
                match first_slot {
                    Some("office") => "voiceOffice",
                    Some(_) if d.chance(500) => "sms",
                    Some(_) => "voiceMobile",
                    None => "push",
                }
            }
            .to_string(),
        );
    }
    seed
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;
    use crate::datafile::{HashFunction, TimeStep};
    use crate::phone::PhoneNumber;
    use crate::secret::OathSecret;

    fn phones(p: &Person) -> [(Option<&str>, Option<&str>, Option<&str>); 2] {
        let m = &p.mfa;
        [
            (
                m.country_code.as_deref(),
                m.phone.as_deref(),
                m.extension.as_deref(),
            ),
            (
                m.backup_country_code.as_deref(),
                m.backup_phone.as_deref(),
                m.backup_extension.as_deref(),
            ),
        ]
    }

    #[test]
    fn same_person_for_a_seed_whatever_the_size() {
        let small = Population::new(42, 10);
        let big = Population::new(42, 100_000);
        for i in [0, 3, 9, 7, 173] {
            assert_eq!(small.person(i), big.person(i));
        }
        assert_eq!(small.people().len(), 10);
        let other = Population::new(43, 10);
        assert_ne!(small.person(3), other.person(3));
        assert_ne!(small.person(3).sid, other.person(3).sid);
        // The domain SID is shared by everyone of one seed.
        let prefix = |s: &str| s.rsplit_once('-').map(|(a, _)| a.to_string());
        assert_eq!(prefix(&small.person(1).sid), prefix(&small.person(2).sid));
    }

    #[test]
    fn identifiers_are_unique() {
        let pop = Population::new(5, 20_000);
        let mut upns = HashSet::new();
        let mut sams = HashSet::new();
        let mut sids = HashSet::new();
        let mut ids = HashSet::new();
        let mut serials = HashSet::new();
        let mut usernames = HashSet::new();
        for p in pop.people() {
            assert!(upns.insert(p.upn.to_lowercase()), "{}", p.upn);
            assert!(p.sam_account_name.len() <= 20, "{}", p.sam_account_name);
            assert!(sams.insert(p.sam_account_name.clone()));
            assert!(sids.insert(p.sid.clone()));
            assert!(ids.insert(p.employee_id.clone()));
            assert!(usernames.insert(p.mfa.username.to_lowercase()));
            for t in &p.mfa.tokens {
                assert!(serials.insert(t.serial.clone()), "{}", t.serial);
            }
        }
    }

    /// Every generated phone normalises to a valid number, except the deliberately bad
    /// ones, which are refused.
    #[test]
    fn good_phones_are_valid_numbers_and_bad_ones_are_refused() {
        let pop = Population::new(11, 3_000);
        let mut checked = 0;
        for p in pop.people() {
            for (slot, (cc, number, ext)) in phones(&p).into_iter().enumerate() {
                let (Some(cc), Some(number)) = (cc, number) else {
                    continue;
                };
                let result = PhoneNumber::normalise(cc, number, ext);
                if slot == 0 && Special::of(p.index) == Some(Special::BadPhone) {
                    assert!(result.is_err(), "{number:?} should be refused");
                    continue;
                }
                let n = result.unwrap_or_else(|e| panic!("{cc} {number:?}: {e}"));
                let parsed = phonenumber::parse(None, n.e164()).expect("e164 parses");
                assert!(phonenumber::is_valid(&parsed), "{cc} {number:?} -> {n}");
                checked += 1;
            }
        }
        assert!(checked > 3_000, "{checked}");
    }

    #[test]
    fn shares_follow_the_documented_distributions() {
        let pop = Population::new(3, 10_000);
        let mut c: HashMap<&str, usize> = HashMap::new();
        let mut bump = |k: &'static str, yes: bool| {
            if yes {
                *c.entry(k).or_default() += 1;
            }
        };
        let mut max_devices = 0;
        for p in pop.people() {
            let m = &p.mfa;
            bump("mfa_only", p.presence == Presence::MfaServerOnly);
            bump("entra_only", p.presence == Presence::EntraOnly);
            bump("upn", p.identity == MfaIdentity::Upn);
            bump("sid", p.identity == MfaIdentity::Sid);
            bump("attribute", p.identity == MfaIdentity::Attribute);
            bump("disabled", !m.enabled);
            bump("phone", m.phone.is_some());
            bump("backup", m.backup_phone.is_some());
            let ext = |e: &Option<String>, n: &Option<String>| {
                e.is_some() || n.as_deref().is_some_and(|n| n.contains(['x', 'X']))
            };
            bump("ext", ext(&m.extension, &m.phone));
            bump("ext_suffix", m.extension.is_none() && ext(&None, &m.phone));
            bump(
                "b3",
                ext(&m.extension, &m.phone) && ext(&m.backup_extension, &m.backup_phone),
            );
            bump("b4", m.phone.is_none() && m.backup_phone.is_some());
            bump(
                "p3",
                m.default_method.as_deref() == Some("text_message") && ext(&m.extension, &m.phone),
            );
            bump("devices", !m.devices.is_empty());
            let names: HashSet<_> = m.devices.iter().map(|d| &d.name).collect();
            bump("repeated_names", names.len() < m.devices.len());
            max_devices = max_devices.max(m.devices.len());
            bump("tokens", !m.tokens.is_empty());
            bump("hotp", m.tokens.iter().any(|t| t.token_type == "hotp"));
            bump("60s", m.tokens.iter().any(|t| t.time_step == 60));
            bump(
                "sha256",
                m.tokens.iter().any(|t| t.hash_function == "hmacsha256"),
            );
            bump("hex", m.tokens.iter().any(|t| t.secret_format == "hex"));
            bump("no_method", m.default_method.is_none());
            bump("apostrophe", p.upn.contains('\''));
            bump("unicode", !p.display_name.is_ascii());
            let e = &p.entra;
            bump("entra_phone", !e.phones.is_empty());
            bump("entra_auth", !e.authenticators.is_empty());
            bump("entra_default", e.default_method.is_some());
        }
        let share = |k: &str| c.get(k).copied().unwrap_or(0) as f64 / 10_000.0;
        for (k, lo, hi) in [
            ("mfa_only", 0.02, 0.045),
            ("entra_only", 0.02, 0.045),
            ("upn", 0.76, 0.84),
            ("sid", 0.10, 0.14),
            ("attribute", 0.06, 0.10),
            ("disabled", 0.025, 0.055),
            ("phone", 0.86, 0.93),
            ("backup", 0.33, 0.42),
            ("ext", 0.11, 0.18),
            ("ext_suffix", 0.04, 0.09),
            ("b3", 0.006, 0.03),
            ("b4", 0.01, 0.03),
            ("p3", 0.005, 0.02),
            ("devices", 0.55, 0.65),
            ("repeated_names", 0.03, 0.15),
            ("tokens", 0.07, 0.10),
            ("hotp", 0.005, 0.03),
            ("60s", 0.005, 0.03),
            ("sha256", 0.008, 0.03),
            ("hex", 0.01, 0.04),
            ("no_method", 0.005, 0.02),
            ("apostrophe", 0.03, 0.15),
            ("unicode", 0.15, 0.6),
            ("entra_phone", 0.22, 0.36),
            ("entra_auth", 0.08, 0.18),
            ("entra_default", 0.05, 0.2),
        ] {
            let s = share(k);
            assert!((lo..=hi).contains(&s), "{k}: {s} not in {lo}..={hi}");
        }
        assert_eq!(max_devices, 7);
    }

    #[test]
    fn placed_cases_appear_in_every_thousand() {
        let pop = Population::new(9, 1_000);
        let people: Vec<_> = pop.people().collect();
        let by = |s: Special| {
            people
                .iter()
                .filter(move |p| Special::of(p.index) == Some(s))
        };
        assert_eq!(by(Special::BadPhone).count(), 2);
        for p in by(Special::BadSecret) {
            let t = &p.mfa.tokens[0];
            assert!(OathSecret::from_base32(&t.secret).is_err(), "{}", t.secret);
        }
        for p in by(Special::UnknownMethod) {
            let m = p.mfa.default_method.as_deref().unwrap_or("");
            assert!(BAD_METHODS.contains(&m), "{m}");
        }
        for p in by(Special::TextWithExtension) {
            assert_eq!(p.mfa.default_method.as_deref(), Some("text_message"));
        }
        for p in by(Special::BackupOnly) {
            assert!(p.mfa.phone.is_none() && p.mfa.backup_phone.is_some());
        }
        for p in by(Special::ManyDevices) {
            assert_eq!(p.mfa.devices.len(), 7);
            let names: HashSet<_> = p.mfa.devices.iter().map(|d| &d.name).collect();
            assert!(names.len() < 7);
            assert_eq!(p.mfa.tokens.len(), 1);
        }
        assert!(by(Special::ManyDevices).count() == 5);
        let names: HashSet<_> = people.iter().map(|p| p.given_name.as_str()).collect();
        let surnames: HashSet<_> = people.iter().map(|p| p.surname.as_str()).collect();
        for n in ["Zoë", "Łukasz", "太郎"] {
            assert!(names.contains(n), "{n}");
        }
        for n in ["Ñuñez", "山田", "O'Neil"] {
            assert!(surnames.contains(n), "{n}");
        }
    }

    /// The simulated tenant activates tokens with codes computed from these secrets.
    #[test]
    fn token_and_device_secrets_are_real_oath_keys() {
        let pop = Population::new(2, 4_000);
        let mut tokens = 0;
        for p in pop.people() {
            for t in &p.mfa.tokens {
                let s = match t.secret_format.as_str() {
                    "hex" => OathSecret::from_hex(&t.secret),
                    _ => OathSecret::from_base32(&t.secret),
                };
                if Special::of(p.index) == Some(Special::BadSecret) {
                    assert!(s.is_err());
                    continue;
                }
                let s = s.expect("secret decodes");
                let hash = if t.hash_function == "hmacsha256" {
                    HashFunction::HmacSha256
                } else {
                    HashFunction::HmacSha1
                };
                assert_eq!(
                    s.expose_bytes().len(),
                    if t.hash_function == "hmacsha256" {
                        32
                    } else {
                        20
                    }
                );
                let step = TimeStep::from_secs(t.time_step.into()).expect("30 or 60");
                let code = crate::otp::totp(&s, step, hash, 1_736_933_400);
                assert_eq!(code.len(), 6);
                tokens += 1;
            }
            for d in &p.mfa.devices {
                if let Some(secret) = &d.oath_secret {
                    assert!(OathSecret::from_base32(secret).is_ok());
                }
                assert!(!d.device_token.is_empty());
            }
        }
        assert!(tokens > 200, "{tokens}");
    }

    /// "Same number" Entra seeds hold exactly what rules P1–P3/B4 would write.
    #[test]
    fn entra_same_number_is_what_the_rules_would_write() {
        let pop = Population::new(4, 4_000);
        let mut same = 0;
        let mut both = 0;
        for p in pop.people() {
            match p.presence {
                Presence::MfaServerOnly => {
                    assert_eq!(p.entra, EntraSeed::default());
                    continue;
                }
                Presence::EntraOnly => continue,
                Presence::Both => both += 1,
            }
            let [(cc, number, ext), (bcc, bnumber, bext)] = phones(&p);
            let primary = cc
                .zip(number)
                .and_then(|(c, n)| PhoneNumber::normalise(c, n, ext).ok());
            let backup = bcc
                .zip(bnumber)
                .and_then(|(c, n)| PhoneNumber::normalise(c, n, bext).ok());
            let text = p.mfa.default_method.as_deref() == Some("text_message");
            let expected = match (primary, backup) {
                (Some(n), _) if n.has_extension() && !text => Some(("office", n)),
                (Some(n), _) => Some(("mobile", n.without_extension())),
                (None, Some(b)) if b.has_extension() => Some(("office", b)),
                (None, Some(b)) => Some(("mobile", b)),
                (None, None) => None,
            };
            for (slot, graph) in &p.entra.phones {
                let n = PhoneNumber::from_graph(graph).expect("graph format");
                if expected == Some((slot.as_str(), n)) {
                    same += 1;
                }
            }
        }
        let share = same as f64 / both as f64;
        assert!((0.2..0.3).contains(&share), "{share}");
    }

    #[test]
    fn debug_output_masks_generated_secrets() {
        let pop = Population::new(1, 200);
        let p = pop.person(173);
        let text = format!("{p:?}");
        for d in &p.mfa.devices {
            assert!(!text.contains(&d.device_token));
            if let Some(s) = &d.oath_secret {
                assert!(!text.contains(s.as_str()));
            }
        }
        for t in &p.mfa.tokens {
            assert!(!text.contains(&t.secret));
        }
        assert!(!format!("{:?}", pop.services()).contains("vpn-"));
    }

    #[test]
    fn tenant_records_cover_every_dependency_kind() {
        let pop = Population::new(1, 10);
        let kinds: HashSet<_> = pop.services().iter().map(|s| s.kind).collect();
        assert_eq!(kinds.len(), 8);
        assert!(
            pop.services()
                .iter()
                .any(|s| s.detail.contains_key("shared_secret"))
        );
        let servers = pop.servers();
        assert_eq!(servers[0].role, ServerRole::Primary);
        assert_eq!(servers[1].role, ServerRole::Subordinate);
        let settings = pop.settings();
        assert_eq!(
            settings
                .company
                .get("user_default_method")
                .map(String::as_str),
            Some("phone_call")
        );
        assert!(settings.user_portal.contains_key("allow_enrollment"));
        assert_eq!(pop.exported_at().to_rfc3339(), "2025-01-15T09:30:00+00:00");
    }
}
