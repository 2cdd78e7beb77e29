//! The model of MFA Server data that every other part of the tool reads.
//!
//! Storage is columnar-ish on purpose: 500,000 users must load in under 300 MB, so the
//! text of every user lives in one chunked string arena and each record holds 8-byte
//! spans into it; phones are `Copy` values; devices and tokens sit in two flat vectors,
//! each user owning one contiguous range. Readers fill a [`DataSetBuilder`]; everyone
//! else reads through the borrowed views [`User`], [`Device`] and [`Token`].

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::known::Known;
use crate::phone::PhoneNumber;
use crate::secret::OathSecret;

// ---------------------------------------------------------------------------------------
// Enumerations of the reference layout (datafile-reference.sql)
// ---------------------------------------------------------------------------------------

/// MFA Server's default method for a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MfaMethod {
    PhoneCall,
    TextMessage,
    MobileApp,
    OathToken,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneCallMode {
    Standard,
    Pin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextMessageMode {
    Otp,
    OtpPin,
    TwoWay,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MobileAppMode {
    Standard,
    Pin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OathKind {
    Totp,
    Hotp,
}

/// TOTP time step; Graph accepts exactly these two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TimeStep {
    #[serde(rename = "30")]
    S30,
    #[serde(rename = "60")]
    S60,
}

impl TimeStep {
    pub fn from_secs(secs: i64) -> Option<TimeStep> {
        match secs {
            30 => Some(TimeStep::S30),
            60 => Some(TimeStep::S60),
            _ => None,
        }
    }

    pub fn secs(self) -> u64 {
        match self {
            TimeStep::S30 => 30,
            TimeStep::S60 => 60,
        }
    }
}

/// HMAC hash of an OATH token; the names are Graph's (`hmacsha1`, `hmacsha256`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HashFunction {
    HmacSha1,
    HmacSha256,
}

/// What authenticates through MFA Server (`auth_services.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    Radius,
    Ldap,
    Iis,
    Windows,
    Adfs,
    UserPortal,
    MobileAppWebService,
    WebServiceSdk,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerRole {
    Primary,
    Subordinate,
}

/// Parses the snake_case names above (and Graph's hash names) from stored text,
/// case-insensitively; the reader reports anything else as a row problem.
pub trait ParseName: Sized {
    fn parse_name(text: &str) -> Option<Self>;
}

macro_rules! parse_names {
    ($ty:ty { $($name:literal => $variant:expr),+ $(,)? }) => {
        impl ParseName for $ty {
            fn parse_name(text: &str) -> Option<Self> {
                let t = text.trim();
                $(if t.eq_ignore_ascii_case($name) { return Some($variant); })+
                None
            }
        }
    };
}

parse_names!(MfaMethod { "phone_call" => MfaMethod::PhoneCall, "text_message" => MfaMethod::TextMessage,
    "mobile_app" => MfaMethod::MobileApp, "oath_token" => MfaMethod::OathToken });
parse_names!(PhoneCallMode { "standard" => PhoneCallMode::Standard, "pin" => PhoneCallMode::Pin });
parse_names!(TextMessageMode { "otp" => TextMessageMode::Otp, "otp_pin" => TextMessageMode::OtpPin,
    "two_way" => TextMessageMode::TwoWay });
parse_names!(MobileAppMode { "standard" => MobileAppMode::Standard, "pin" => MobileAppMode::Pin });
parse_names!(OathKind { "totp" => OathKind::Totp, "hotp" => OathKind::Hotp });
parse_names!(HashFunction { "hmacsha1" => HashFunction::HmacSha1, "hmacsha256" => HashFunction::HmacSha256,
    "sha1" => HashFunction::HmacSha1, "sha256" => HashFunction::HmacSha256 });
parse_names!(ServiceKind { "radius" => ServiceKind::Radius, "ldap" => ServiceKind::Ldap, "iis" => ServiceKind::Iis,
    "windows" => ServiceKind::Windows, "adfs" => ServiceKind::Adfs, "user_portal" => ServiceKind::UserPortal,
    "mobile_app_web_service" => ServiceKind::MobileAppWebService, "web_service_sdk" => ServiceKind::WebServiceSdk });
parse_names!(ServerRole { "primary" => ServerRole::Primary, "subordinate" => ServerRole::Subordinate });

// ---------------------------------------------------------------------------------------
// Non-user records: small, owned
// ---------------------------------------------------------------------------------------

/// A dependency recorded in the data file (`auth_services`). Shared secrets are dropped
/// when read: `detail` never holds one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuthService {
    pub kind: ServiceKind,
    pub name: String,
    pub address: Option<String>,
    pub detail: serde_json::Map<String, serde_json::Value>,
    pub enabled: bool,
}

/// Company and user-portal settings (`settings`), keyed as stored.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Settings {
    pub company: std::collections::BTreeMap<String, String>,
    pub user_portal: std::collections::BTreeMap<String, String>,
}

/// A member of the MFA Server group (`servers`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Server {
    pub name: String,
    pub role: ServerRole,
    pub version: Option<String>,
    pub last_seen_at: Option<DateTime<Utc>>,
}

// ---------------------------------------------------------------------------------------
// Inputs and problems
// ---------------------------------------------------------------------------------------

/// What kind of input a `--data-file` turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    ExportUsersCsv,
    OathSeedFile,
    SnapshotSqlite,
    SnapshotFolder,
    PfdataSqlite,
}

/// One input that was read, and what it carried (`inspect` shows this).
#[derive(Debug, Clone, Serialize)]
pub struct InputSummary {
    pub path: PathBuf,
    pub kind: InputKind,
    pub size: u64,
    pub modified: Option<DateTime<Utc>>,
    /// Lower-case hex SHA-256 of the file's bytes (for a folder: of its files' hex
    /// digests, each followed by a newline, in path order).
    pub sha256: String,
    pub rows: u64,
    /// Model fields this input carries, e.g. `phone`, `default_method`, `devices`.
    pub carries: Vec<String>,
    /// Header names that matched no known column: listed, never fatal.
    pub unknown_columns: Vec<String>,
    pub server_version: Option<String>,
    /// For CSV inputs: the encoding and delimiter that were detected.
    pub encoding: Option<String>,
    pub delimiter: Option<char>,
}

/// Kinds of row problem (datafile.md "Reading rules").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    BadPhone,
    UnknownMethod,
    UnknownValue,
    DuplicateUsername,
    TokenWithoutUser,
    DeviceWithoutUser,
    BadSecret,
    BadTimestamp,
    InvalidUtf8,
    /// UTF-16 text that cannot be decoded (an unpaired surrogate, an odd byte).
    InvalidUtf16,
    /// The file ends in the middle of this row: it was cut off (a truncated copy).
    TruncatedRow,
    MissingValue,
}

/// A problem with one row: the row is kept without the bad field, or set aside.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowProblem {
    /// Index into [`DataSet::inputs`].
    pub input: usize,
    /// 1-based row: the record's number after the header in a CSV, or the SQLite rowid.
    pub row: Option<u64>,
    /// The username the row belongs to, when it has one.
    pub user: Option<String>,
    pub field: String,
    pub kind: ProblemKind,
    pub reason: String,
    /// True when the whole row was left out rather than just the field.
    pub set_aside: bool,
}

// ---------------------------------------------------------------------------------------
// Arena storage
// ---------------------------------------------------------------------------------------

/// A string in the arena: chunk-relative offset and length. `len == 0` is "none".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Span {
    off: u32,
    len: u32,
}

/// Append-only text in 1 MiB chunks: no reallocation of what is already stored (a
/// doubling `String` would briefly hold the old and new copy of ~100 MB).
#[derive(Debug, Default)]
struct StrArena {
    chunks: Vec<String>,
}

const CHUNK_BITS: u32 = 20;
const CHUNK: usize = 1 << CHUNK_BITS;

impl StrArena {
    fn push(&mut self, s: &str) -> Span {
        if s.is_empty() {
            return Span::default();
        }
        let needs_new = match self.chunks.last() {
            Some(c) => c.len() + s.len() > c.capacity(),
            None => true,
        };
        if needs_new {
            self.chunks.push(String::with_capacity(CHUNK.max(s.len())));
        }
        let idx = self.chunks.len() - 1;
        let chunk = &mut self.chunks[idx];
        let start = chunk.len();
        chunk.push_str(s);
        // Strings longer than a chunk get a chunk of their own, so the in-chunk offset
        // always fits below 2^20 for all but a lone oversize string (offset 0).
        Span {
            off: ((idx as u32) << CHUNK_BITS) | start as u32,
            len: s.len() as u32,
        }
    }

    fn get(&self, span: Span) -> &str {
        if span.len == 0 {
            return "";
        }
        let chunk = (span.off >> CHUNK_BITS) as usize;
        let start = (span.off & ((1 << CHUNK_BITS) - 1)) as usize;
        self.chunks
            .get(chunk)
            .and_then(|c| c.get(start..start + span.len as usize))
            .unwrap_or("")
    }

    fn bytes(&self) -> usize {
        self.chunks.iter().map(String::capacity).sum()
    }
}

/// Index of a user in a [`DataSet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UserIdx(pub u32);

/// Where a record came from: the input and its 1-based row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct RowRef {
    pub input: u16,
    pub row: u32,
}

/// A contiguous range of a user's devices or tokens, or "this input does not carry them".
#[derive(Debug, Clone, Copy, Default)]
struct Range {
    start: u32,
    len: u16,
    known: bool,
}

#[derive(Debug)]
struct UserRecord {
    source: RowRef,
    username: Span,
    upn: Span,
    sid: Span,
    email: Span,
    /// `key \x1f value \x1e key \x1f value`.
    attributes: Span,
    language: Span,
    phone: Known<Option<PhoneNumber>>,
    backup_phone: Known<Option<PhoneNumber>>,
    default_method: Known<Option<MfaMethod>>,
    phone_call_mode: Known<Option<PhoneCallMode>>,
    text_message_mode: Known<Option<TextMessageMode>>,
    mobile_app_mode: Known<Option<MobileAppMode>>,
    enabled: Known<bool>,
    changed_at: Option<DateTime<Utc>>,
    devices: Range,
    tokens: Range,
}

#[derive(Debug)]
struct DeviceRecord {
    name: Span,
    activated_at: Option<DateTime<Utc>>,
    oath_secret: Option<OathSecret>,
    has_push_token: bool,
}

#[derive(Debug)]
struct TokenRecord {
    serial: Span,
    manufacturer: Span,
    model: Span,
    secret: Option<OathSecret>,
    kind: OathKind,
    time_step: TimeStep,
    hash: HashFunction,
    added_at: Option<DateTime<Utc>>,
}

const ATTR_KV: char = '\u{1f}';
const ATTR_SEP: char = '\u{1e}';

// ---------------------------------------------------------------------------------------
// The data set
// ---------------------------------------------------------------------------------------

/// Everything read from the inputs: users with their methods, dependencies, settings,
/// servers, and the row problems met on the way.
#[derive(Debug, Default)]
pub struct DataSet {
    pub inputs: Vec<InputSummary>,
    pub services: Known<Vec<AuthService>>,
    pub settings: Known<Settings>,
    pub servers: Known<Vec<Server>>,
    pub problems: Vec<RowProblem>,
    strings: StrArena,
    users: Vec<UserRecord>,
    devices: Vec<DeviceRecord>,
    tokens: Vec<TokenRecord>,
}

impl DataSet {
    pub fn len(&self) -> usize {
        self.users.len()
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    pub fn user(&self, idx: UserIdx) -> Option<User<'_>> {
        let rec = self.users.get(idx.0 as usize)?;
        Some(User {
            set: self,
            idx,
            rec,
        })
    }

    pub fn users(&self) -> impl ExactSizeIterator<Item = User<'_>> + '_ {
        self.users.iter().enumerate().map(move |(i, rec)| User {
            set: self,
            idx: UserIdx(i as u32),
            rec,
        })
    }

    /// Approximate heap bytes held by user data (arena + records), for benchmarks.
    pub fn heap_bytes(&self) -> usize {
        self.strings.bytes()
            + self.users.capacity() * std::mem::size_of::<UserRecord>()
            + self.devices.capacity() * std::mem::size_of::<DeviceRecord>()
            + self.tokens.capacity() * std::mem::size_of::<TokenRecord>()
    }

    /// A digest of every input's SHA-256 and path, in order: a plan records it and
    /// `migrate --plan` refuses when it changed.
    pub fn digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for i in &self.inputs {
            h.update(i.sha256.as_bytes());
            h.update([0]);
        }
        data_encoding::HEXLOWER.encode(&h.finalize())
    }

    /// The server version the inputs report (the primary server's when several).
    pub fn server_version(&self) -> Option<&str> {
        if let Known::Known(servers) = &self.servers
            && let Some(v) = servers
                .iter()
                .find(|s| s.role == ServerRole::Primary)
                .and_then(|s| s.version.as_deref())
        {
            return Some(v);
        }
        self.inputs.iter().find_map(|i| i.server_version.as_deref())
    }

    fn str(&self, span: Span) -> &str {
        self.strings.get(span)
    }

    fn opt(&self, span: Span) -> Option<&str> {
        (span.len > 0).then(|| self.strings.get(span))
    }
}

/// One MFA Server user, borrowed from its [`DataSet`].
#[derive(Clone, Copy)]
pub struct User<'a> {
    set: &'a DataSet,
    idx: UserIdx,
    rec: &'a UserRecord,
}

impl<'a> User<'a> {
    pub fn idx(&self) -> UserIdx {
        self.idx
    }

    pub fn source(&self) -> RowRef {
        self.rec.source
    }

    /// As MFA Server shows it: `CONTOSO\jdoe` or a UPN.
    pub fn username(&self) -> &'a str {
        self.set.str(self.rec.username)
    }

    pub fn upn(&self) -> Option<&'a str> {
        self.set.opt(self.rec.upn)
    }

    /// The UPN to match on (rule M1): `upn`, else a username that looks like one.
    pub fn match_upn(&self) -> Option<&'a str> {
        self.upn().or_else(|| {
            let u = self.username();
            (u.contains('@') && !u.contains('\\')).then_some(u)
        })
    }

    pub fn sid(&self) -> Option<&'a str> {
        self.set.opt(self.rec.sid)
    }

    pub fn email(&self) -> Option<&'a str> {
        self.set.opt(self.rec.email)
    }

    /// Further AD attributes (`ad_attributes`), in stored order.
    pub fn ad_attributes(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let text = self.set.str(self.rec.attributes);
        text.split(ATTR_SEP)
            .filter(|kv| !kv.is_empty())
            .filter_map(|kv| kv.split_once(ATTR_KV))
    }

    /// An AD attribute by name, case-insensitively (`employeeID` = `employeeid`).
    pub fn ad_attribute(&self, key: &str) -> Option<&'a str> {
        self.ad_attributes()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    }

    pub fn phone(&self) -> Known<Option<PhoneNumber>> {
        self.rec.phone
    }

    pub fn backup_phone(&self) -> Known<Option<PhoneNumber>> {
        self.rec.backup_phone
    }

    pub fn default_method(&self) -> Known<Option<MfaMethod>> {
        self.rec.default_method
    }

    pub fn phone_call_mode(&self) -> Known<Option<PhoneCallMode>> {
        self.rec.phone_call_mode
    }

    pub fn text_message_mode(&self) -> Known<Option<TextMessageMode>> {
        self.rec.text_message_mode
    }

    pub fn mobile_app_mode(&self) -> Known<Option<MobileAppMode>> {
        self.rec.mobile_app_mode
    }

    pub fn language(&self) -> Option<&'a str> {
        self.set.opt(self.rec.language)
    }

    pub fn enabled(&self) -> Known<bool> {
        self.rec.enabled
    }

    pub fn changed_at(&self) -> Option<DateTime<Utc>> {
        self.rec.changed_at
    }

    /// Mobile app devices, in stored order; unknown when no input carries devices.
    pub fn devices(&self) -> Known<impl ExactSizeIterator<Item = Device<'a>> + 'a> {
        let set = self.set;
        let r = self.rec.devices;
        if !r.known {
            return Known::Unknown;
        }
        let recs = &set.devices[r.start as usize..r.start as usize + r.len as usize];
        Known::Known(recs.iter().map(move |rec| Device { set, rec }))
    }

    /// Hardware OATH tokens; unknown when no input carries tokens.
    pub fn tokens(&self) -> Known<impl ExactSizeIterator<Item = Token<'a>> + 'a> {
        let set = self.set;
        let r = self.rec.tokens;
        if !r.known {
            return Known::Unknown;
        }
        let recs = &set.tokens[r.start as usize..r.start as usize + r.len as usize];
        Known::Known(recs.iter().map(move |rec| Token { set, rec }))
    }

    pub fn device_count(&self) -> usize {
        self.rec.devices.len as usize
    }

    pub fn token_count(&self) -> usize {
        self.rec.tokens.len as usize
    }
}

impl std::fmt::Debug for User<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("idx", &self.idx)
            .field("username", &self.username())
            .field("upn", &self.upn())
            .field("phone", &self.phone())
            .field("backup_phone", &self.backup_phone())
            .field("default_method", &self.default_method())
            .field("enabled", &self.enabled())
            .field("devices", &self.rec.devices.len)
            .field("tokens", &self.rec.tokens.len)
            .finish_non_exhaustive()
    }
}

/// A mobile app (Microsoft Authenticator / MFA app) activation.
#[derive(Clone, Copy)]
pub struct Device<'a> {
    set: &'a DataSet,
    rec: &'a DeviceRecord,
}

impl<'a> Device<'a> {
    pub fn name(&self) -> &'a str {
        self.set.str(self.rec.name)
    }

    pub fn activated_at(&self) -> Option<DateTime<Utc>> {
        self.rec.activated_at
    }

    /// The app's verification-code secret, when the input carries it.
    pub fn oath_secret(&self) -> Option<&'a OathSecret> {
        self.rec.oath_secret.as_ref()
    }

    /// The push token itself is dropped at read time: Graph cannot use it.
    pub fn has_push_token(&self) -> bool {
        self.rec.has_push_token
    }
}

impl std::fmt::Debug for Device<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("name", &self.name())
            .field("activated_at", &self.activated_at())
            .field("oath_secret", &self.oath_secret())
            .finish()
    }
}

/// A hardware (third-party) OATH token.
#[derive(Clone, Copy)]
pub struct Token<'a> {
    set: &'a DataSet,
    rec: &'a TokenRecord,
}

impl<'a> Token<'a> {
    pub fn serial(&self) -> &'a str {
        self.set.str(self.rec.serial)
    }

    /// From the snapshot or a vendor seed file; MFA Server itself cannot export it.
    pub fn secret(&self) -> Option<&'a OathSecret> {
        self.rec.secret.as_ref()
    }

    pub fn manufacturer(&self) -> Option<&'a str> {
        self.set.opt(self.rec.manufacturer)
    }

    pub fn model(&self) -> Option<&'a str> {
        self.set.opt(self.rec.model)
    }

    pub fn kind(&self) -> OathKind {
        self.rec.kind
    }

    pub fn time_step(&self) -> TimeStep {
        self.rec.time_step
    }

    pub fn hash(&self) -> HashFunction {
        self.rec.hash
    }

    pub fn added_at(&self) -> Option<DateTime<Utc>> {
        self.rec.added_at
    }
}

impl std::fmt::Debug for Token<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("serial", &self.serial())
            .field("kind", &self.kind())
            .field("time_step", &self.time_step())
            .field("hash", &self.hash())
            .field("secret", &self.secret())
            .finish()
    }
}

// ---------------------------------------------------------------------------------------
// Building
// ---------------------------------------------------------------------------------------

/// A user row as a reader hands it to the builder.
#[derive(Debug, Default, Clone)]
pub struct NewUser<'a> {
    pub source: Option<RowRef>,
    pub username: &'a str,
    pub upn: Option<&'a str>,
    pub sid: Option<&'a str>,
    pub email: Option<&'a str>,
    pub ad_attributes: &'a [(&'a str, &'a str)],
    pub language: Option<&'a str>,
    pub phone: Known<Option<PhoneNumber>>,
    pub backup_phone: Known<Option<PhoneNumber>>,
    pub default_method: Known<Option<MfaMethod>>,
    pub phone_call_mode: Known<Option<PhoneCallMode>>,
    pub text_message_mode: Known<Option<TextMessageMode>>,
    pub mobile_app_mode: Known<Option<MobileAppMode>>,
    pub enabled: Known<bool>,
    pub changed_at: Option<DateTime<Utc>>,
    /// Whether this input carries devices / tokens at all (an empty list is then "none").
    pub carries_devices: bool,
    pub carries_tokens: bool,
}

#[derive(Debug)]
pub struct NewDevice<'a> {
    pub name: &'a str,
    pub activated_at: Option<DateTime<Utc>>,
    pub oath_secret: Option<OathSecret>,
    pub has_push_token: bool,
}

#[derive(Debug)]
pub struct NewToken<'a> {
    pub serial: &'a str,
    pub manufacturer: Option<&'a str>,
    pub model: Option<&'a str>,
    pub secret: Option<OathSecret>,
    pub kind: OathKind,
    pub time_step: TimeStep,
    pub hash: HashFunction,
    pub added_at: Option<DateTime<Utc>>,
}

/// Collects what readers produce and lays it out compactly. Devices and tokens may
/// arrive in any order; `finish` groups them per user, stably.
#[derive(Debug, Default)]
pub struct DataSetBuilder {
    set: DataSet,
    devices: Vec<(u32, DeviceRecord)>,
    tokens: Vec<(u32, TokenRecord)>,
    carries_devices: Vec<bool>,
    carries_tokens: Vec<bool>,
    by_username: Option<HashMap<String, u32>>,
}

impl DataSetBuilder {
    pub fn with_capacity(users: usize) -> DataSetBuilder {
        let mut b = DataSetBuilder::default();
        b.set.users.reserve_exact(users);
        b.carries_devices.reserve_exact(users);
        b.carries_tokens.reserve_exact(users);
        b
    }

    pub fn len(&self) -> usize {
        self.set.users.len()
    }

    pub fn is_empty(&self) -> bool {
        self.set.users.is_empty()
    }

    /// Make room for `more` users (a reader that knows its row count up front).
    pub fn reserve_users(&mut self, more: usize) {
        self.set.users.reserve_exact(more);
        self.carries_devices.reserve_exact(more);
        self.carries_tokens.reserve_exact(more);
    }

    /// Register an input; row problems and rows refer to it by the returned index.
    pub fn add_input(&mut self, summary: InputSummary) -> usize {
        self.set.inputs.push(summary);
        self.set.inputs.len() - 1
    }

    pub fn input_mut(&mut self, idx: usize) -> Option<&mut InputSummary> {
        self.set.inputs.get_mut(idx)
    }

    pub fn problem(&mut self, p: RowProblem) {
        self.set.problems.push(p);
    }

    pub fn set_services(&mut self, services: Vec<AuthService>) {
        self.set.services = Known::Known(services);
    }

    pub fn set_settings(&mut self, settings: Settings) {
        self.set.settings = Known::Known(settings);
    }

    pub fn set_servers(&mut self, servers: Vec<Server>) {
        self.set.servers = Known::Known(servers);
    }

    pub fn push_user(&mut self, u: NewUser<'_>) -> UserIdx {
        let idx = self.set.users.len() as u32;
        let strings = &mut self.set.strings;
        let attributes = if u.ad_attributes.is_empty() {
            Span::default()
        } else {
            let mut text = String::new();
            for (k, v) in u.ad_attributes {
                // The separators are control characters no AD attribute holds; strip
                // them defensively so a hostile value cannot forge a key.
                text.extend(k.chars().filter(|c| *c != ATTR_KV && *c != ATTR_SEP));
                text.push(ATTR_KV);
                text.extend(v.chars().filter(|c| *c != ATTR_KV && *c != ATTR_SEP));
                text.push(ATTR_SEP);
            }
            strings.push(&text)
        };
        let rec = UserRecord {
            source: u.source.unwrap_or(RowRef { input: 0, row: 0 }),
            username: strings.push(u.username),
            upn: strings.push(u.upn.unwrap_or("")),
            sid: strings.push(u.sid.unwrap_or("")),
            email: strings.push(u.email.unwrap_or("")),
            attributes,
            language: strings.push(u.language.unwrap_or("")),
            phone: u.phone,
            backup_phone: u.backup_phone,
            default_method: u.default_method,
            phone_call_mode: u.phone_call_mode,
            text_message_mode: u.text_message_mode,
            mobile_app_mode: u.mobile_app_mode,
            enabled: u.enabled,
            changed_at: u.changed_at,
            devices: Range::default(),
            tokens: Range::default(),
        };
        if let Some(index) = self.by_username.as_mut() {
            index.entry(u.username.to_lowercase()).or_insert(idx);
        }
        self.set.users.push(rec);
        self.carries_devices.push(u.carries_devices);
        self.carries_tokens.push(u.carries_tokens);
        UserIdx(idx)
    }

    /// Fill the fields of an existing user that are unknown there and known in `u`
    /// (a second input about the same user: the first that carries a field wins).
    pub fn merge_user(&mut self, idx: UserIdx, u: NewUser<'_>) {
        let i = idx.0 as usize;
        let Some(rec) = self.set.users.get_mut(i) else {
            return;
        };
        let strings = &mut self.set.strings;
        for (span, value) in [
            (&mut rec.upn, u.upn),
            (&mut rec.sid, u.sid),
            (&mut rec.email, u.email),
            (&mut rec.language, u.language),
        ] {
            if span.len == 0
                && let Some(v) = value
            {
                *span = strings.push(v);
            }
        }
        rec.phone = rec.phone.or(u.phone);
        rec.backup_phone = rec.backup_phone.or(u.backup_phone);
        rec.default_method = rec.default_method.or(u.default_method);
        rec.phone_call_mode = rec.phone_call_mode.or(u.phone_call_mode);
        rec.text_message_mode = rec.text_message_mode.or(u.text_message_mode);
        rec.mobile_app_mode = rec.mobile_app_mode.or(u.mobile_app_mode);
        rec.enabled = rec.enabled.or(u.enabled);
        rec.changed_at = rec.changed_at.or(u.changed_at);
        if let Some(c) = self.carries_devices.get_mut(i) {
            *c |= u.carries_devices;
        }
        if let Some(c) = self.carries_tokens.get_mut(i) {
            *c |= u.carries_tokens;
        }
    }

    /// The first user whose username equals `username`, case-insensitively. Builds an
    /// index on first use.
    pub fn find_username(&mut self, username: &str) -> Option<UserIdx> {
        if self.by_username.is_none() {
            let mut index = HashMap::with_capacity(self.set.users.len());
            for (i, rec) in self.set.users.iter().enumerate() {
                index
                    .entry(self.set.strings.get(rec.username).to_lowercase())
                    .or_insert(i as u32);
            }
            self.by_username = Some(index);
        }
        self.by_username
            .as_ref()
            .and_then(|m| m.get(&username.to_lowercase()))
            .map(|&i| UserIdx(i))
    }

    /// Borrow a user being built (e.g. to find UPNs when joining a seed file).
    pub fn user(&self, idx: UserIdx) -> Option<User<'_>> {
        self.set.user(idx)
    }

    pub fn users(&self) -> impl ExactSizeIterator<Item = User<'_>> + '_ {
        self.set.users()
    }

    pub fn push_device(&mut self, user: UserIdx, d: NewDevice<'_>) {
        let rec = DeviceRecord {
            name: self.set.strings.push(d.name),
            activated_at: d.activated_at,
            oath_secret: d.oath_secret,
            has_push_token: d.has_push_token,
        };
        self.devices.push((user.0, rec));
    }

    pub fn push_token(&mut self, user: UserIdx, t: NewToken<'_>) {
        let rec = TokenRecord {
            serial: self.set.strings.push(t.serial),
            manufacturer: self.set.strings.push(t.manufacturer.unwrap_or("")),
            model: self.set.strings.push(t.model.unwrap_or("")),
            secret: t.secret,
            kind: t.kind,
            time_step: t.time_step,
            hash: t.hash,
            added_at: t.added_at,
        };
        self.tokens.push((user.0, rec));
        if let Some(c) = self.carries_tokens.get_mut(user.0 as usize) {
            *c = true;
        }
    }

    /// Every token pushed so far: (position for [`Self::set_token_secret`], owner,
    /// serial). Lets a reader index serials once instead of searching per row.
    pub fn token_serials(&self) -> impl Iterator<Item = (usize, UserIdx, &str)> + '_ {
        self.tokens
            .iter()
            .enumerate()
            .map(|(pos, (u, t))| (pos, UserIdx(*u), self.set.strings.get(t.serial)))
    }

    /// Tokens already pushed whose serial equals `serial` (case-insensitive), as
    /// `(user, position)` pairs for [`Self::set_token_secret`].
    pub fn tokens_with_serial(&self, serial: &str) -> Vec<(UserIdx, usize)> {
        self.tokens
            .iter()
            .enumerate()
            .filter(|(_, (_, t))| self.set.strings.get(t.serial).eq_ignore_ascii_case(serial))
            .map(|(pos, (u, _))| (UserIdx(*u), pos))
            .collect()
    }

    /// Give a pushed token its secret and, when the seed file says so, its parameters.
    pub fn set_token_secret(
        &mut self,
        pos: usize,
        secret: OathSecret,
        time_step: Option<TimeStep>,
        hash: Option<HashFunction>,
    ) {
        if let Some((_, t)) = self.tokens.get_mut(pos) {
            t.secret = Some(secret);
            if let Some(s) = time_step {
                t.time_step = s;
            }
            if let Some(h) = hash {
                t.hash = h;
            }
        }
    }

    /// Lay devices and tokens out per user and hand over the data set.
    pub fn finish(mut self) -> DataSet {
        let mut set = self.set;
        // Readers push devices and tokens in user order as a rule: then no sort (and no
        // sort buffer) is needed. Stable sorts keep each user's rows in reader order.
        if !self.devices.is_sorted_by_key(|(u, _)| *u) {
            self.devices.sort_by_key(|(u, _)| *u);
        }
        if !self.tokens.is_sorted_by_key(|(u, _)| *u) {
            self.tokens.sort_by_key(|(u, _)| *u);
        }
        let (mut d, mut t) = (0usize, 0usize);
        for (i, rec) in set.users.iter_mut().enumerate() {
            let u = i as u32;
            let start = d;
            while self.devices.get(d).is_some_and(|(owner, _)| *owner == u) {
                d += 1;
            }
            rec.devices = Range {
                start: start as u32,
                len: (d - start).min(u16::MAX as usize) as u16,
                known: self.carries_devices.get(i).copied().unwrap_or(false) || d > start,
            };
            let start = t;
            while self.tokens.get(t).is_some_and(|(owner, _)| *owner == u) {
                t += 1;
            }
            rec.tokens = Range {
                start: start as u32,
                len: (t - start).min(u16::MAX as usize) as u16,
                known: self.carries_tokens.get(i).copied().unwrap_or(false) || t > start,
            };
        }
        // Dropping the owner in place reuses the allocation: no second copy of ~50 MB of
        // devices at 500,000 users.
        set.devices = self.devices.into_iter().map(|(_, d)| d).collect();
        set.tokens = self.tokens.into_iter().map(|(_, t)| t).collect();
        set.devices.shrink_to_fit();
        set.tokens.shrink_to_fit();
        set.users.shrink_to_fit();
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_views_with_devices_grouped_per_user() -> Result<(), Box<dyn std::error::Error>> {
        let mut b = DataSetBuilder::with_capacity(2);
        let phone = PhoneNumber::normalise("1", "425 555 0100", None)?;
        let a = b.push_user(NewUser {
            username: "CONTOSO\\ann",
            upn: Some("ann@contoso.com"),
            ad_attributes: &[("employeeID", "1042")],
            phone: Known::Known(Some(phone)),
            carries_devices: true,
            ..Default::default()
        });
        let z = b.push_user(NewUser {
            username: "zed@contoso.com",
            carries_devices: true,
            ..Default::default()
        });
        b.push_device(
            z,
            NewDevice {
                name: "Pixel",
                activated_at: None,
                oath_secret: None,
                has_push_token: true,
            },
        );
        b.push_device(
            a,
            NewDevice {
                name: "iPhone",
                activated_at: None,
                oath_secret: None,
                has_push_token: true,
            },
        );
        b.push_device(
            a,
            NewDevice {
                name: "iPad",
                activated_at: None,
                oath_secret: None,
                has_push_token: false,
            },
        );
        let set = b.finish();
        let ann = set.user(a).ok_or("ann")?;
        assert_eq!(ann.match_upn(), Some("ann@contoso.com"));
        assert_eq!(ann.ad_attribute("EMPLOYEEID"), Some("1042"));
        let names: Vec<_> = ann
            .devices()
            .known()
            .ok_or("devices")?
            .map(|d| d.name())
            .collect();
        assert_eq!(names, ["iPhone", "iPad"]);
        let zed = set.user(z).ok_or("zed")?;
        assert_eq!(zed.match_upn(), Some("zed@contoso.com"));
        assert!(zed.tokens().is_unknown());
        assert_eq!(zed.phone(), Known::Unknown);
        Ok(())
    }

    #[test]
    fn arena_spans_cross_chunks() {
        let mut a = StrArena::default();
        let big = "x".repeat(CHUNK - 3);
        let s1 = a.push(&big);
        let s2 = a.push("hello");
        assert_eq!(a.get(s1).len(), CHUNK - 3);
        assert_eq!(a.get(s2), "hello");
    }
}
