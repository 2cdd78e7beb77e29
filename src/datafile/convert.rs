//! From a [`RawRow`] to model values: text checked as UTF-8, phones normalised, names
//! parsed, secrets decoded, timestamps read. Whatever is wrong with a field becomes a
//! [`RowProblem`] and the row is kept without that field — or set aside when it cannot
//! stand without it (no username, a token of unknown type).

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::known::Known;
use super::layout::{DeviceField, Field, Table, TokenField, UserField};
use super::model::{
    HashFunction, MfaMethod, MobileAppMode, OathKind, ParseName, PhoneCallMode, ProblemKind,
    RowProblem, TextMessageMode, TimeStep,
};
use super::raw::RawRow;
use crate::phone::PhoneNumber;
use crate::secret::OathSecret;

/// Value translations from a mapping file: `[values.<table>.<column>]`, keyed by the
/// stored text (trimmed), giving the reference layout's text.
#[derive(Debug, Clone, Default)]
pub struct ValueMaps {
    maps: HashMap<(Table, &'static str), HashMap<String, String>>,
}

impl ValueMaps {
    pub fn insert(&mut self, table: Table, column: &'static str, map: HashMap<String, String>) {
        self.maps.insert((table, column), map);
    }

    pub fn is_empty(&self) -> bool {
        self.maps.is_empty()
    }

    fn translate<'t>(&'t self, table: Table, column: &str, text: Cow<'t, str>) -> Cow<'t, str> {
        if self.maps.is_empty() {
            return text;
        }
        match self
            .maps
            .iter()
            .find(|((t, c), _)| *t == table && *c == column)
            .and_then(|(_, m)| m.get(text.trim()))
        {
            Some(v) => Cow::Owned(v.clone()),
            None => text,
        }
    }
}

/// Where problems of one input go.
pub struct Problems<'a> {
    pub input: usize,
    pub list: &'a mut Vec<RowProblem>,
}

impl Problems<'_> {
    pub fn add(
        &mut self,
        row: u64,
        user: Option<&str>,
        field: &str,
        kind: ProblemKind,
        reason: impl Into<String>,
        set_aside: bool,
    ) {
        self.list.push(RowProblem {
            input: self.input,
            row: (row > 0).then_some(row),
            user: user.map(str::to_string),
            field: field.to_string(),
            kind,
            reason: reason.into(),
            set_aside,
        });
    }
}

/// Reads the text fields of one row, reporting bad UTF-8 and translating mapped values.
struct Reader<'r, 'p, 'q, F: Field> {
    row: &'r RawRow<F>,
    table: Table,
    values: &'r ValueMaps,
    problems: &'p mut Problems<'q>,
    user: Option<String>,
}

impl<'r, F: Field> Reader<'r, '_, '_, F> {
    /// Unknown when the input has no such column, `None` when empty.
    fn text(&mut self, field: F) -> Known<Option<Cow<'r, str>>> {
        match self.row.get(field) {
            Known::Unknown => Known::Unknown,
            Known::Known(None) => Known::Known(None),
            // Unicode trim too: spreadsheets leave non-breaking spaces around values.
            Known::Known(Some(bytes)) => {
                match std::str::from_utf8(bytes.trim_ascii()).map(str::trim) {
                    Ok(s) if self.values.is_empty() => {
                        Known::Known((!s.is_empty()).then_some(Cow::Borrowed(s)))
                    }
                    Ok(s) => {
                        let t = self
                            .values
                            .translate(self.table, field.column(), Cow::Borrowed(s));
                        Known::Known((!t.is_empty()).then_some(t))
                    }
                    Err(e) => {
                        self.problem(
                            field,
                            ProblemKind::InvalidUtf8,
                            format!("not valid UTF-8 (byte {} is invalid)", e.valid_up_to()),
                            false,
                        );
                        Known::Known(None)
                    }
                }
            }
        }
    }

    fn opt(&mut self, field: F) -> Option<Cow<'r, str>> {
        self.text(field).value()
    }

    fn problem(&mut self, field: F, kind: ProblemKind, reason: impl Into<String>, aside: bool) {
        let user = self.user.clone();
        self.problems.add(
            self.row.row,
            user.as_deref(),
            field.column(),
            kind,
            reason,
            aside,
        );
    }

    /// A name from a closed list; null and bad values are unknown (a bad value is also a
    /// row problem of `kind`).
    fn name<T: ParseName>(&mut self, field: F, kind: ProblemKind, expected: &str) -> Known<T> {
        match self.text(field) {
            Known::Known(Some(t)) => match parse_loose::<T>(&t) {
                Some(v) => Known::Known(v),
                None => {
                    self.problem(
                        field,
                        kind,
                        format!("{t:?} is not one of {expected}"),
                        false,
                    );
                    Known::Unknown
                }
            },
            _ => Known::Unknown,
        }
    }

    fn timestamp(&mut self, field: F) -> Option<DateTime<Utc>> {
        let t = self.opt(field)?;
        let parsed = parse_timestamp(&t);
        if parsed.is_none() {
            self.problem(
                field,
                ProblemKind::BadTimestamp,
                format!("{t:?} is not a timestamp (expected ISO 8601, e.g. 2024-03-01T12:00:00Z)"),
                false,
            );
        }
        parsed
    }

    fn boolean(&mut self, field: F) -> Known<bool> {
        match self.text(field) {
            Known::Known(Some(t)) => match parse_bool(&t) {
                Some(b) => Known::Known(b),
                None => {
                    self.problem(
                        field,
                        ProblemKind::UnknownValue,
                        format!("{t:?} is not a yes/no value (expected 1/0, true/false, yes/no)"),
                        false,
                    );
                    Known::Unknown
                }
            },
            _ => Known::Unknown,
        }
    }

    fn integer(&mut self, field: F) -> Option<i64> {
        let t = self.opt(field)?;
        let v = t.trim().parse::<i64>().ok();
        if v.is_none() {
            self.problem(
                field,
                ProblemKind::UnknownValue,
                format!("{t:?} is not a whole number"),
                false,
            );
        }
        v
    }
}

/// Parse a closed-list name leniently: case, spaces and dashes do not matter
/// (`Phone Call`, `phone-call`, `PHONE_CALL`).
pub fn parse_loose<T: ParseName>(text: &str) -> Option<T> {
    T::parse_name(text).or_else(|| {
        let snake: String = text
            .trim()
            .chars()
            .map(|c| if c == ' ' || c == '-' { '_' } else { c })
            .collect();
        T::parse_name(&snake)
    })
}

/// ISO 8601 / RFC 3339, with or without a zone (UTC assumed), with a space or `T`, or a
/// date alone; also the US form Windows tools write (`3/1/2024 12:00:00 PM`).
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(dt.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%m/%d/%Y %I:%M:%S %p",
        "%m/%d/%Y %H:%M:%S",
        "%m/%d/%Y %H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, fmt) {
            return Some(dt.and_utc());
        }
    }
    let t = t.strip_suffix('Z').unwrap_or(t);
    if let Ok(dt) = NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f") {
        return Some(dt.and_utc());
    }
    for fmt in ["%Y-%m-%d", "%m/%d/%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(t, fmt) {
            return d.and_hms_opt(0, 0, 0).map(|dt| dt.and_utc());
        }
    }
    None
}

pub fn parse_bool(text: &str) -> Option<bool> {
    const TRUE: [&str; 7] = ["1", "true", "yes", "y", "enabled", "on", "active"];
    const FALSE: [&str; 7] = ["0", "false", "no", "n", "disabled", "off", "inactive"];
    let t = text.trim();
    if TRUE.iter().any(|v| v.eq_ignore_ascii_case(t)) {
        Some(true)
    } else if FALSE.iter().any(|v| v.eq_ignore_ascii_case(t)) {
        Some(false)
    } else {
        None
    }
}

// ---------------------------------------------------------------------------------------
// Users
// ---------------------------------------------------------------------------------------

/// A user row, checked: what [`NewUser`] needs, owning or borrowing its text.
#[derive(Debug)]
pub struct UserParts<'r> {
    pub row: u64,
    /// `users.user_id` when the input has it (devices and tokens refer to it).
    pub user_id: Option<i64>,
    pub username: Cow<'r, str>,
    pub upn: Option<Cow<'r, str>>,
    pub sid: Option<Cow<'r, str>>,
    pub email: Option<Cow<'r, str>>,
    pub language: Option<Cow<'r, str>>,
    pub attributes: Vec<(String, String)>,
    pub phone: Known<Option<PhoneNumber>>,
    pub backup_phone: Known<Option<PhoneNumber>>,
    pub default_method: Known<Option<MfaMethod>>,
    pub phone_call_mode: Known<Option<PhoneCallMode>>,
    pub text_message_mode: Known<Option<TextMessageMode>>,
    pub mobile_app_mode: Known<Option<MobileAppMode>>,
    pub enabled: Known<bool>,
    pub changed_at: Option<DateTime<Utc>>,
}

fn known_some<T>(k: Known<T>) -> Known<Option<T>> {
    k.map(Some)
}

/// Check a user row. `None` when it is set aside (the problem says why).
pub fn user<'r>(
    row: &'r RawRow<UserField>,
    values: &'r ValueMaps,
    problems: &mut Problems<'_>,
) -> Option<UserParts<'r>> {
    let mut r = Reader {
        row,
        table: Table::Users,
        values,
        problems,
        user: None,
    };
    let username = match r.text(UserField::Username) {
        Known::Known(Some(u)) => u,
        Known::Known(None) if row.bytes(UserField::Username).is_some() => {
            // Present but not UTF-8: already reported; nothing can match it.
            if let Some(p) = r.problems.list.last_mut() {
                p.set_aside = true;
            }
            return None;
        }
        _ => {
            r.problem(
                UserField::Username,
                ProblemKind::MissingValue,
                "no username: the row cannot be matched to anyone",
                true,
            );
            return None;
        }
    };
    r.user = Some(username.to_string());
    let user_id = r.integer(UserField::UserId);
    let upn = r.opt(UserField::Upn);
    let sid = r.opt(UserField::Sid);
    let email = r.opt(UserField::Email);
    let language = r.opt(UserField::Language);
    let attributes = match r.opt(UserField::AdAttributes) {
        Some(json) => match attributes(&json) {
            Some(a) => a,
            None => {
                r.problem(
                    UserField::AdAttributes,
                    ProblemKind::UnknownValue,
                    "not a JSON object of attribute names and values",
                    false,
                );
                Vec::new()
            }
        },
        None => Vec::new(),
    };
    let phone = read_phone(
        &mut r,
        UserField::CountryCode,
        UserField::Phone,
        UserField::Extension,
    );
    let backup_phone = read_phone(
        &mut r,
        UserField::BackupCountryCode,
        UserField::BackupPhone,
        UserField::BackupExtension,
    );
    let default_method = known_some(r.name::<MfaMethod>(
        UserField::DefaultMethod,
        ProblemKind::UnknownMethod,
        "phone_call, text_message, mobile_app, oath_token",
    ));
    let phone_call_mode = known_some(r.name::<PhoneCallMode>(
        UserField::PhoneCallMode,
        ProblemKind::UnknownValue,
        "standard, pin",
    ));
    let text_message_mode = known_some(r.name::<TextMessageMode>(
        UserField::TextMessageMode,
        ProblemKind::UnknownValue,
        "otp, otp_pin, two_way",
    ));
    let mobile_app_mode = known_some(r.name::<MobileAppMode>(
        UserField::MobileAppMode,
        ProblemKind::UnknownValue,
        "standard, pin",
    ));
    let enabled = r.boolean(UserField::Enabled);
    let changed_at = r.timestamp(UserField::ChangedAt);
    Some(UserParts {
        row: row.row,
        user_id,
        username,
        upn,
        sid,
        email,
        language,
        attributes,
        phone,
        backup_phone,
        default_method,
        phone_call_mode,
        text_message_mode,
        mobile_app_mode,
        enabled,
        changed_at,
    })
}

/// `{"employeeID":"1042","mail":"j@contoso.com"}` → pairs; numbers and booleans as text.
fn attributes(json: &str) -> Option<Vec<(String, String)>> {
    let value: serde_json::Value = serde_json::from_str(json).ok()?;
    let map = value.as_object()?;
    Some(
        map.iter()
            .filter_map(|(k, v)| {
                let text = match v {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Number(n) => n.to_string(),
                    serde_json::Value::Bool(b) => b.to_string(),
                    _ => return None,
                };
                Some((k.clone(), text))
            })
            .collect(),
    )
}

/// A phone from its three columns. Unknown when the input has no number column or the
/// number cannot be normalised (then a `bad_phone` problem gives the parser's reason).
fn read_phone<F: Field>(
    r: &mut Reader<'_, '_, '_, F>,
    cc_field: F,
    number_field: F,
    ext_field: F,
) -> Known<Option<PhoneNumber>> {
    let number = match r.text(number_field) {
        Known::Unknown => return Known::Unknown,
        Known::Known(None) => return Known::Known(None),
        Known::Known(Some(n)) => n,
    };
    let ext = r.opt(ext_field);
    let Some(cc) = r.opt(cc_field) else {
        r.problem(
            number_field,
            ProblemKind::BadPhone,
            format!("{number:?} has no country code"),
            false,
        );
        return Known::Unknown;
    };
    match PhoneNumber::normalise(&cc, &number, ext.as_deref()) {
        Ok(p) => Known::Known(Some(p)),
        Err(e) => {
            r.problem(number_field, ProblemKind::BadPhone, e.to_string(), false);
            Known::Unknown
        }
    }
}

// ---------------------------------------------------------------------------------------
// Devices and tokens
// ---------------------------------------------------------------------------------------

/// A device row, checked; `user_id` still to be resolved by the caller.
#[derive(Debug)]
pub struct DeviceParts<'r> {
    pub row: u64,
    pub user_id: i64,
    pub name: Cow<'r, str>,
    pub has_push_token: bool,
    pub oath_secret: Option<OathSecret>,
    pub activated_at: Option<DateTime<Utc>>,
}

pub fn device<'r>(
    row: &'r RawRow<DeviceField>,
    values: &'r ValueMaps,
    problems: &mut Problems<'_>,
) -> Option<DeviceParts<'r>> {
    let mut r = Reader {
        row,
        table: Table::MobileAppDevices,
        values,
        problems,
        user: None,
    };
    let Some(user_id) = r.integer(DeviceField::UserId) else {
        r.problem(
            DeviceField::UserId,
            ProblemKind::MissingValue,
            "a device row without a user_id",
            true,
        );
        return None;
    };
    let name = r.opt(DeviceField::DeviceName).unwrap_or(Cow::Borrowed(""));
    // The push token itself is never kept: Graph cannot use it.
    let has_push_token = row.bytes(DeviceField::DeviceToken).is_some();
    let oath_secret = match r.opt(DeviceField::OathSecret) {
        Some(text) => match OathSecret::from_base32(&text) {
            Ok(s) => Some(s),
            Err(e) => {
                r.problem(
                    DeviceField::OathSecret,
                    ProblemKind::BadSecret,
                    format!("device {name:?}: {e}"),
                    false,
                );
                None
            }
        },
        None => None,
    };
    let activated_at = r.timestamp(DeviceField::ActivatedAt);
    Some(DeviceParts {
        row: row.row,
        user_id,
        name,
        has_push_token,
        oath_secret,
        activated_at,
    })
}

/// A token row, checked; `user_id` still to be resolved by the caller.
#[derive(Debug)]
pub struct TokenParts<'r> {
    pub row: u64,
    pub user_id: Option<i64>,
    pub serial: Cow<'r, str>,
    pub secret: Option<OathSecret>,
    pub manufacturer: Option<Cow<'r, str>>,
    pub model: Option<Cow<'r, str>>,
    pub kind: OathKind,
    pub time_step: TimeStep,
    pub hash: HashFunction,
    pub added_at: Option<DateTime<Utc>>,
}

/// Decode a token secret stored as `format` (`base32` or `hex`; when unknown, base32
/// unless only hex can read it).
pub fn token_secret(text: &str, format: Option<&str>) -> Result<OathSecret, String> {
    match format.map(str::trim) {
        Some(f) if f.eq_ignore_ascii_case("hex") => OathSecret::from_hex(text),
        Some(f) if f.eq_ignore_ascii_case("base32") => OathSecret::from_base32(text),
        Some(f) => return Err(format!("secret format {f:?} is not base32 or hex")),
        None => {
            OathSecret::from_base32(text).or_else(|e| OathSecret::from_hex(text).map_err(|_| e))
        }
    }
    .map_err(|e| e.to_string())
}

pub fn token<'r>(
    row: &'r RawRow<TokenField>,
    values: &'r ValueMaps,
    problems: &mut Problems<'_>,
) -> Option<TokenParts<'r>> {
    let mut r = Reader {
        row,
        table: Table::OathTokens,
        values,
        problems,
        user: None,
    };
    let user_id = r.integer(TokenField::UserId);
    let Some(serial) = r.opt(TokenField::SerialNumber) else {
        r.problem(
            TokenField::SerialNumber,
            ProblemKind::MissingValue,
            "a token without a serial number",
            true,
        );
        return None;
    };
    let kind = match r.name::<OathKind>(
        TokenField::TokenType,
        ProblemKind::UnknownValue,
        "totp, hotp",
    ) {
        Known::Known(k) => k,
        Known::Unknown if r.row.bytes(TokenField::TokenType).is_some() => {
            return aside(&mut r, &serial);
        }
        Known::Unknown => OathKind::Totp,
    };
    let time_step = match r.integer(TokenField::TimeStep) {
        Some(s) => match TimeStep::from_secs(s) {
            Some(t) => t,
            None => {
                r.problem(
                    TokenField::TimeStep,
                    ProblemKind::UnknownValue,
                    format!("token {serial}: time step {s} s is not 30 or 60"),
                    false,
                );
                return aside(&mut r, &serial);
            }
        },
        None if r.row.bytes(TokenField::TimeStep).is_some() => return aside(&mut r, &serial),
        None => TimeStep::S30,
    };
    let hash = match r.name::<HashFunction>(
        TokenField::HashFunction,
        ProblemKind::UnknownValue,
        "hmacsha1, hmacsha256",
    ) {
        Known::Known(h) => h,
        Known::Unknown if r.row.bytes(TokenField::HashFunction).is_some() => {
            return aside(&mut r, &serial);
        }
        Known::Unknown => HashFunction::HmacSha1,
    };
    let format = r.opt(TokenField::SecretFormat);
    let secret = match r.opt(TokenField::Secret) {
        Some(text) => match token_secret(&text, format.as_deref()) {
            Ok(s) => Some(s),
            Err(e) => {
                r.problem(
                    TokenField::Secret,
                    ProblemKind::BadSecret,
                    format!("token {serial}: {e}"),
                    false,
                );
                None
            }
        },
        None => None,
    };
    let manufacturer = r.opt(TokenField::Manufacturer);
    let model = r.opt(TokenField::Model);
    let added_at = r.timestamp(TokenField::AddedAt);
    Some(TokenParts {
        row: row.row,
        user_id,
        serial,
        secret,
        manufacturer,
        model,
        kind,
        time_step,
        hash,
        added_at,
    })
}

/// A token whose type, step or hash is wrong would be created wrongly in Entra: the row
/// is set aside (the problem just added says why).
fn aside<'r>(r: &mut Reader<'r, '_, '_, TokenField>, serial: &str) -> Option<TokenParts<'r>> {
    if let Some(p) = r.problems.list.last_mut() {
        p.set_aside = true;
        if !p.reason.contains(serial) {
            p.reason = format!("token {serial}: {}", p.reason);
        }
    }
    None
}

// ---------------------------------------------------------------------------------------
// Dependencies
// ---------------------------------------------------------------------------------------

/// Key names that hold a secret in RADIUS/NPS/adapter exports; their values are dropped
/// at parse time, wherever they sit in the JSON.
const SECRET_KEYS: [&str; 10] = [
    "secret",
    "password",
    "passwd",
    "pwd",
    "psk",
    "sharedkey",
    "apikey",
    "token",
    "credential",
    "privatekey",
];

fn looks_secret(key: &str) -> bool {
    let k: String = key
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    SECRET_KEYS.iter().any(|s| k.contains(s))
}

/// Drop every key that looks like it holds a secret, recursively; returns how many.
pub fn drop_secrets(map: &mut serde_json::Map<String, serde_json::Value>) -> usize {
    let before = map.len();
    map.retain(|k, _| !looks_secret(k));
    let mut dropped = before - map.len();
    for v in map.values_mut() {
        dropped += drop_secrets_value(v);
    }
    dropped
}

fn drop_secrets_value(v: &mut serde_json::Value) -> usize {
    match v {
        serde_json::Value::Object(m) => drop_secrets(m),
        serde_json::Value::Array(items) => items.iter_mut().map(drop_secrets_value).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems_of(f: impl FnOnce(&mut Problems<'_>)) -> Vec<RowProblem> {
        let mut list = Vec::new();
        f(&mut Problems {
            input: 0,
            list: &mut list,
        });
        list
    }

    #[test]
    fn user_row_with_every_kind_of_field() {
        let mut row = RawRow::<UserField>::default();
        row.row = 7;
        row.set(UserField::Username, b"CONTOSO\\ann");
        row.set(
            UserField::AdAttributes,
            br#"{"employeeID":1042,"mail":"a@c.com"}"#,
        );
        row.set(UserField::CountryCode, b"44");
        row.set(UserField::Phone, b"020 7946 0958 ext. 12");
        row.set(UserField::BackupCountryCode, b"1");
        row.set(UserField::BackupPhone, b"call me");
        row.set(UserField::DefaultMethod, b"Text Message");
        row.set(UserField::Enabled, b"No");
        row.set(UserField::ChangedAt, b"2024-03-01 12:00:00");
        let values = ValueMaps::default();
        let problems = problems_of(|p| {
            let u = user(&row, &values, p).expect("kept");
            assert_eq!(u.attributes[0], ("employeeID".into(), "1042".into()));
            assert_eq!(
                u.phone.value().map(|p| p.graph()).as_deref(),
                Some("+44 2079460958x12")
            );
            assert!(u.backup_phone.is_unknown());
            assert_eq!(u.default_method, Known::Known(Some(MfaMethod::TextMessage)));
            assert_eq!(u.enabled, Known::Known(false));
            assert!(u.changed_at.is_some());
            assert!(u.phone_call_mode.is_unknown());
        });
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].kind, ProblemKind::BadPhone);
        assert_eq!(problems[0].field, "backup_phone");
        assert_eq!(problems[0].user.as_deref(), Some("CONTOSO\\ann"));
        assert_eq!(problems[0].row, Some(7));
    }

    #[test]
    fn invalid_utf8_username_sets_the_row_aside() {
        let mut row = RawRow::<UserField>::default();
        row.set(UserField::Username, b"bad\xff");
        let values = ValueMaps::default();
        let problems = problems_of(|p| assert!(user(&row, &values, p).is_none()));
        assert_eq!(problems[0].kind, ProblemKind::InvalidUtf8);
        assert!(problems[0].set_aside);
    }

    #[test]
    fn mapped_values_are_translated() {
        let mut row = RawRow::<UserField>::default();
        row.set(UserField::Username, b"ann");
        row.set(UserField::DefaultMethod, b"2");
        let mut values = ValueMaps::default();
        values.insert(
            Table::Users,
            "default_method",
            HashMap::from([("2".to_string(), "mobile_app".to_string())]),
        );
        problems_of(|p| {
            let u = user(&row, &values, p).expect("kept");
            assert_eq!(u.default_method, Known::Known(Some(MfaMethod::MobileApp)));
        });
    }

    #[test]
    fn bad_token_parameters_set_the_token_aside() {
        let mut row = RawRow::<TokenField>::default();
        row.set(TokenField::SerialNumber, b"T1");
        row.set(TokenField::TimeStep, b"45");
        let values = ValueMaps::default();
        let problems = problems_of(|p| assert!(token(&row, &values, p).is_none()));
        assert!(problems[0].set_aside);
        assert!(problems[0].reason.contains("45"));
    }

    #[test]
    fn shared_secrets_are_dropped_at_any_depth() {
        let mut m: serde_json::Map<String, serde_json::Value> = serde_json::from_str(
            r#"{"application_name":"ASA","Shared-Secret":"x","nested":{"password":"y","ok":1},
                "list":[{"psk":"z"}]}"#,
        )
        .expect("json");
        assert_eq!(drop_secrets(&mut m), 3);
        let text = serde_json::Value::Object(m).to_string();
        assert!(!text.contains('x') || !text.contains("\"x\""));
        assert!(!text.contains("\"y\"") && !text.contains("\"z\""));
        assert!(text.contains("application_name"));
    }

    #[test]
    fn timestamps_in_the_forms_tools_write() {
        for t in [
            "2024-03-01T12:00:00Z",
            "2024-03-01T12:00:00+01:00",
            "2024-03-01 12:00:00",
            "2024-03-01T12:00:00",
            "2024-03-01",
            "3/1/2024 12:00:00 PM",
        ] {
            assert!(parse_timestamp(t).is_some(), "{t}");
        }
        assert!(parse_timestamp("2024-13-45 25:61").is_none());
    }
}
