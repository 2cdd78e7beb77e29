//! Rule C1: a fingerprint of everything in one MFA Server user, and in the settings, that
//! can change the user's plan. The store records it after a verified migration; a later
//! run skips the user while it is unchanged.
//!
//! It is an HMAC-SHA256 under the store's key over a canonical encoding: every field
//! tagged and length-prefixed, known and unknown kept apart, devices and tokens sorted
//! so that the order an input lists them in does not matter. Secrets enter only as
//! [`OathSecret::keyed_hash`](crate::secret::OathSecret::keyed_hash) under the same key.
//! Fields that change no plan (call and text modes, language, timestamps of the record
//! itself) are left out, so editing them does not re-migrate anyone.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::settings::{DefaultMethodMode, MigrationSettings, MobileAppHandling};
use crate::datafile::{HashFunction, Known, MfaMethod, OathKind, TimeStep, User};
use crate::phone::PhoneNumber;

/// Bumped whenever the encoding changes: every user is then re-migrated once.
const VERSION: &[u8] = b"mfa-cutover fingerprint v1";

/// A device as hashed; the derived order makes the encoding independent of input order.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct DeviceRow {
    name: String,
    secs: i64,
    nanos: u32,
    push: u8,
    secret: Option<[u8; 32]>,
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct TokenRow {
    serial: String,
    manufacturer: String,
    model: String,
    /// Kind, time step, hash.
    params: [u8; 3],
    secret: Option<[u8; 32]>,
}

struct Writer {
    mac: Hmac<Sha256>,
}

impl Writer {
    fn bytes(&mut self, tag: u8, b: &[u8]) {
        self.mac.update(&[tag]);
        self.mac.update(&(b.len() as u64).to_le_bytes());
        self.mac.update(b);
    }

    fn str(&mut self, tag: u8, s: Option<&str>) {
        match s {
            Some(s) => self.bytes(tag, s.as_bytes()),
            None => self.mac.update(&[tag, 0xff]),
        }
    }

    fn phone(&mut self, tag: u8, p: Known<Option<PhoneNumber>>) {
        match p {
            Known::Unknown => self.mac.update(&[tag, 0xfe]),
            Known::Known(None) => self.mac.update(&[tag, 0xff]),
            Known::Known(Some(p)) => self.bytes(tag, p.graph().as_bytes()),
        }
    }
}

/// The fingerprint of `user` under `settings`; `key` is the store's fingerprint key.
pub fn fingerprint(user: User<'_>, settings: &MigrationSettings, key: &[u8]) -> [u8; 32] {
    let mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    let mut w = Writer { mac };
    w.bytes(0, VERSION);

    // Settings: every one changes plans or matching (the utility re-migrates when
    // "what to migrate" changes).
    w.mac.update(&[
        1,
        match settings.default_method {
            DefaultMethodMode::Always => 0,
            DefaultMethodMode::IfNotSet => 1,
            DefaultMethodMode::MostSecureIfNotSet => 2,
        },
        match settings.mobile_app {
            MobileAppHandling::Report => 0,
            MobileAppHandling::OathAsHardwareToken => 1,
        },
        u8::from(settings.include_disabled),
        u8::from(settings.hardware_oath_available),
    ]);
    // Added later, so only when it differs from the old default: fingerprints recorded
    // before stay valid in the global cloud.
    if !settings.phone_update_available {
        w.mac.update(&[5, 0]);
    }
    match &settings.match_attribute {
        Some(a) => {
            w.str(2, Some(&a.mfa_server.to_lowercase()));
            w.str(3, Some(&a.entra.to_lowercase()));
            w.str(4, user.ad_attribute(&a.mfa_server));
        }
        None => w.mac.update(&[2, 0xff]),
    }

    // Identity.
    w.str(10, Some(&user.username().to_lowercase()));
    w.str(11, user.upn().map(str::to_lowercase).as_deref());
    w.str(12, user.sid().map(str::to_lowercase).as_deref());
    w.mac.update(&[
        13,
        match user.enabled() {
            Known::Unknown => 2,
            Known::Known(e) => u8::from(e),
        },
    ]);

    // Methods.
    w.phone(20, user.phone());
    w.phone(21, user.backup_phone());
    w.mac.update(&[
        22,
        match user.default_method() {
            Known::Unknown => 0xfe,
            Known::Known(None) => 0xff,
            Known::Known(Some(MfaMethod::PhoneCall)) => 0,
            Known::Known(Some(MfaMethod::TextMessage)) => 1,
            Known::Known(Some(MfaMethod::MobileApp)) => 2,
            Known::Known(Some(MfaMethod::OathToken)) => 3,
        },
    ]);

    match user.devices() {
        Known::Unknown => w.mac.update(&[30, 0xfe]),
        Known::Known(devices) => {
            let mut rows: Vec<DeviceRow> = devices
                .map(|d| {
                    let at = d.activated_at();
                    DeviceRow {
                        name: d.name().to_string(),
                        secs: at.map_or(i64::MIN, |t| t.timestamp()),
                        nanos: at.map_or(0, |t| t.timestamp_subsec_nanos()),
                        push: u8::from(d.has_push_token()),
                        secret: d.oath_secret().map(|s| s.keyed_hash(key)),
                    }
                })
                .collect();
            rows.sort_unstable();
            w.mac.update(&[30]);
            w.mac.update(&(rows.len() as u64).to_le_bytes());
            for r in rows {
                w.bytes(31, r.name.as_bytes());
                w.mac.update(&r.secs.to_le_bytes());
                w.mac.update(&r.nanos.to_le_bytes());
                w.mac.update(&[r.push]);
                match r.secret {
                    Some(h) => w.bytes(32, &h),
                    None => w.mac.update(&[32, 0xff]),
                }
            }
        }
    }

    match user.tokens() {
        Known::Unknown => w.mac.update(&[40, 0xfe]),
        Known::Known(tokens) => {
            let mut rows: Vec<TokenRow> = tokens
                .map(|t| TokenRow {
                    serial: t.serial().trim().to_string(),
                    manufacturer: t.manufacturer().unwrap_or("").to_string(),
                    model: t.model().unwrap_or("").to_string(),
                    params: [
                        match t.kind() {
                            OathKind::Totp => 0,
                            OathKind::Hotp => 1,
                        },
                        match t.time_step() {
                            TimeStep::S30 => 0,
                            TimeStep::S60 => 1,
                        },
                        match t.hash() {
                            HashFunction::HmacSha1 => 0,
                            HashFunction::HmacSha256 => 1,
                        },
                    ],
                    secret: t.secret().map(|s| s.keyed_hash(key)),
                })
                .collect();
            rows.sort_unstable();
            w.mac.update(&[40]);
            w.mac.update(&(rows.len() as u64).to_le_bytes());
            for r in rows {
                w.bytes(41, r.serial.as_bytes());
                w.bytes(42, r.manufacturer.as_bytes());
                w.bytes(43, r.model.as_bytes());
                w.mac.update(&r.params);
                match r.secret {
                    Some(h) => w.bytes(44, &h),
                    None => w.mac.update(&[44, 0xff]),
                }
            }
        }
    }
    w.mac.finalize().into_bytes().into()
}
