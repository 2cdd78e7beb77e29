//! The people of a generated organisation, identical for the same seed and size.
//!
//! `sample-data` writes their MFA Server side; the simulated tenant builds its Entra side
//! from the same people, so the demo and the tests see one consistent organisation.
//! Values are as MFA Server or an admin would have typed them — including deliberately
//! bad ones — so the readers, not the generator, do the normalising.

use chrono::{DateTime, Utc};
use serde::Serialize;

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
#[derive(Debug, Clone, PartialEq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    /// On-premises `objectSid` (Entra `onPremisesSecurityIdentifier`).
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
