//! PowerShell's JSON habits, read tolerantly: `ConvertTo-Json` writes one object instead
//! of an array when a cmdlet returns one item, dates as `/Date(ms)/` (Windows PowerShell
//! 5.1) or ISO-8601 (PowerShell 7) or an object holding either, enums as numbers or
//! names, and objects deeper than `-Depth` as their type name (`"Microsoft.IdentityServer
//! …PolicyMetadata"`). Every accessor here names the JSON path it read, so a value of
//! the wrong shape becomes an error that says where and what was expected.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// A place in a JSON document, as `$[2].AccessControlPolicyName`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath(String);

impl JsonPath {
    pub fn root() -> JsonPath {
        JsonPath("$".into())
    }

    pub fn index(&self, i: usize) -> JsonPath {
        JsonPath(format!("{}[{i}]", self.0))
    }

    pub fn key(&self, k: &str) -> JsonPath {
        JsonPath(format!("{}.{k}", self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for JsonPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A value of the wrong shape at a place: what was found, what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeError {
    pub place: JsonPath,
    pub found: String,
    pub expected: String,
}

impl ShapeError {
    pub fn new(place: &JsonPath, found: &Value, expected: impl Into<String>) -> ShapeError {
        ShapeError {
            place: place.clone(),
            found: describe(found),
            expected: expected.into(),
        }
    }
}

/// A short description of a JSON value for messages: its kind, and a string's first
/// characters (never a whole record, which may be long).
pub fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => {
            let head: String = s.chars().take(40).collect();
            if head.len() < s.len() {
                format!("the text \"{head}…\"")
            } else {
                format!("the text \"{head}\"")
            }
        }
        Value::Array(a) => format!("a list of {}", a.len()),
        Value::Object(_) => "an object".into(),
    }
}

/// The records of a cmdlet's output: an array as it is, one object as a list of one,
/// `null` as none.
pub fn records(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

/// A property by name, matched case-insensitively (PowerShell's property names are).
pub fn get<'v>(obj: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    obj.get(name).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// Whether a string is how `ConvertTo-Json` writes an object deeper than `-Depth`: its
/// .NET type name (`System.Object[]`, `Microsoft.IdentityServer.….PolicyMetadata`).
pub fn is_type_name(s: &str) -> bool {
    let s = s.trim();
    // A PSCustomObject cut off prints as `@{Name=…; Value=…}`.
    (s.starts_with("@{") && s.ends_with('}'))
        || ((s.starts_with("System.") || s.starts_with("Microsoft.")) && !s.contains(' '))
}

/// Optional text: absent, `null` or empty is `None`; numbers and booleans become text.
pub fn opt_text(
    obj: &Map<String, Value>,
    name: &str,
    at: &JsonPath,
) -> Result<Option<String>, ShapeError> {
    match get(obj, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(other) => Err(ShapeError::new(&at.key(name), other, "text")),
    }
}

/// Required text (a record's `Name`).
pub fn text(obj: &Map<String, Value>, name: &str, at: &JsonPath) -> Result<String, ShapeError> {
    match opt_text(obj, name, at)? {
        Some(s) => Ok(s),
        None => Err(ShapeError {
            place: at.key(name),
            found: match get(obj, name) {
                None => "no such property".into(),
                Some(v) => describe(v),
            },
            expected: "a non-empty text".into(),
        }),
    }
}

/// A list of texts: an array of strings, one string, or `null`. A type name left by
/// depth truncation counts as unknown (`None`), not as one value.
pub fn text_list(
    obj: &Map<String, Value>,
    name: &str,
    at: &JsonPath,
) -> Result<Option<Vec<String>>, ShapeError> {
    let place = at.key(name);
    match get(obj, name) {
        None | Some(Value::Null) => Ok(Some(Vec::new())),
        Some(Value::String(s)) if is_type_name(s) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(Some(Vec::new())),
        Some(Value::String(s)) => Ok(Some(vec![s.clone()])),
        Some(Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, v) in items.iter().enumerate() {
                match v {
                    Value::String(s) => out.push(s.clone()),
                    Value::Number(n) => out.push(n.to_string()),
                    Value::Null => {}
                    // `ConvertTo-Json` writes a collection's items as objects when they
                    // are objects (e.g. `SamlEndpoints`): keep their `Location` or name.
                    Value::Object(o) => {
                        if let Some(s) = ["Location", "Name", "Value", "FQDN"]
                            .iter()
                            .find_map(|k| get(o, k).and_then(Value::as_str))
                        {
                            out.push(s.to_string());
                        }
                    }
                    other => {
                        return Err(ShapeError::new(&place.index(i), other, "text"));
                    }
                }
            }
            Ok(Some(out))
        }
        // `Count` of an object collection after depth truncation.
        Some(Value::Object(o)) => Ok(get(o, "value").and_then(Value::as_array).map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })),
        Some(other) => Err(ShapeError::new(&place, other, "a list of texts")),
    }
}

/// A boolean: `true`/`false`, `"True"`/`"False"`, `1`/`0`; absent or `null` is `None`.
pub fn opt_bool(
    obj: &Map<String, Value>,
    name: &str,
    at: &JsonPath,
) -> Result<Option<bool>, ShapeError> {
    match get(obj, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::Number(n)) if n.as_i64() == Some(0) => Ok(Some(false)),
        Some(Value::Number(n)) if n.as_i64() == Some(1) => Ok(Some(true)),
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(Some(true)),
            "false" | "0" | "no" | "" => Ok(Some(false)),
            _ => Err(ShapeError::new(
                &at.key(name),
                &Value::String(s.clone()),
                "true or false",
            )),
        },
        Some(other) => Err(ShapeError::new(&at.key(name), other, "true or false")),
    }
}

/// An integer: a number or a numeric string; absent or `null` is `None`.
pub fn opt_int(
    obj: &Map<String, Value>,
    name: &str,
    at: &JsonPath,
) -> Result<Option<i64>, ShapeError> {
    match get(obj, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(i) => Ok(Some(i)),
            None => Err(ShapeError::new(
                &at.key(name),
                &Value::Number(n.clone()),
                "a whole number",
            )),
        },
        Some(Value::String(s)) => match s.trim().parse::<i64>() {
            Ok(i) => Ok(Some(i)),
            Err(_) => Err(ShapeError::new(
                &at.key(name),
                &Value::String(s.clone()),
                "a whole number",
            )),
        },
        Some(other) => Err(ShapeError::new(&at.key(name), other, "a whole number")),
    }
}

/// An enum as PowerShell writes it: a number, or a name. Returned as its name when it is
/// one, else as the number's text, so callers compare either.
pub fn opt_enum(
    obj: &Map<String, Value>,
    name: &str,
    at: &JsonPath,
) -> Result<Option<String>, ShapeError> {
    match get(obj, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
        // PowerShell 5.1 sometimes writes an enum as `{"value": 3, "Value": "…"}`.
        Some(Value::Object(o)) => Ok(get(o, "value").map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })),
        Some(other) => Err(ShapeError::new(&at.key(name), other, "a number or a name")),
    }
}

/// A date: `/Date(1700000000000)/` (optionally with an offset, `/Date(…+0100)/`),
/// ISO-8601, or an object carrying either in `value` or `DateTime`. Text that is none of
/// these is an error; absent or `null` is `None`.
pub fn opt_date(
    obj: &Map<String, Value>,
    name: &str,
    at: &JsonPath,
) -> Result<Option<DateTime<Utc>>, ShapeError> {
    let place = at.key(name);
    match get(obj, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => parse_date(s)
            .map(Some)
            .ok_or_else(|| ShapeError::new(&place, &Value::String(s.clone()), DATE_EXPECTED)),
        Some(Value::Object(o)) => {
            for k in ["value", "DateTime"] {
                if let Some(Value::String(s)) = get(o, k)
                    && let Some(d) = parse_date(s)
                {
                    return Ok(Some(d));
                }
            }
            Err(ShapeError::new(
                &place,
                &Value::Object(o.clone()),
                DATE_EXPECTED,
            ))
        }
        Some(other) => Err(ShapeError::new(&place, other, DATE_EXPECTED)),
    }
}

const DATE_EXPECTED: &str = "a date: /Date(milliseconds)/ or ISO-8601";

/// Parse one date text (see [`opt_date`]).
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Some(inner) = s
        .strip_prefix("/Date(")
        .or_else(|| s.strip_prefix("\\/Date("))
        .and_then(|r| r.strip_suffix(")/").or_else(|| r.strip_suffix(")\\/")))
    {
        // The offset after the milliseconds only says which zone to show it in.
        let digits_end = inner
            .char_indices()
            .skip(1)
            .find(|(_, c)| *c == '+' || *c == '-')
            .map(|(i, _)| i)
            .unwrap_or(inner.len());
        let ms: i64 = inner[..digits_end].parse().ok()?;
        return DateTime::from_timestamp_millis(ms);
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    // PowerShell 7 writes local times without an offset: `2024-03-01T12:00:00.123`.
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|n| n.and_utc())
}

/// Text bytes as an export was saved: UTF-8 with or without a BOM, or UTF-16 LE/BE with a
/// BOM (Windows PowerShell's `>` and `Out-File` write UTF-16 LE). `None` when the bytes
/// are not text in any of these.
pub fn decode_text(bytes: &[u8]) -> Option<String> {
    match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => std::str::from_utf8(rest).ok().map(str::to_string),
        [0xFF, 0xFE, rest @ ..] => decode_utf16(rest, u16::from_le_bytes),
        [0xFE, 0xFF, rest @ ..] => decode_utf16(rest, u16::from_be_bytes),
        _ => match std::str::from_utf8(bytes) {
            Ok(s) => Some(s.to_string()),
            // No BOM and not UTF-8: the "ANSI" code page older Windows tools write,
            // unless NUL bytes say it is binary.
            Err(_) if !bytes.contains(&0) => Some(
                encoding_rs::WINDOWS_1252
                    .decode_without_bom_handling(bytes)
                    .0
                    .into_owned(),
            ),
            Err(_) => None,
        },
    }
}

fn decode_utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Option<String> {
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    let units = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .ok()
}

/// Whether a property name holds a secret (`SharedSecret`, `Shared_Secret`, a password):
/// such values are dropped where a record is read, before anything keeps it.
pub fn is_secret_key(key: &str) -> bool {
    let k: String = key
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    [
        "secret",
        "password",
        "passwd",
        "psk",
        "sharedkey",
        "privatekey",
    ]
    .iter()
    .any(|s| k.contains(s))
}

/// A record with every secret-looking property removed, recursively: what an item keeps
/// as evidence.
pub fn without_secrets(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !is_secret_key(k))
                .map(|(k, v)| (k.clone(), without_secrets(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_secrets).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn one_object_is_a_list_of_one() {
        let one = json!({"Name": "a"});
        assert_eq!(records(&one).len(), 1);
        assert_eq!(records(&json!([1, 2])).len(), 2);
        assert!(records(&Value::Null).is_empty());
    }

    #[test]
    fn dates_in_every_form() {
        let want = DateTime::from_timestamp_millis(1_700_000_000_000);
        assert_eq!(parse_date("/Date(1700000000000)/"), want);
        assert_eq!(parse_date("/Date(1700000000000+0100)/"), want);
        assert_eq!(parse_date("2023-11-14T22:13:20Z"), want);
        assert_eq!(parse_date("2023-11-14T22:13:20.000"), want);
        let o = obj(json!({"T": {"value": "/Date(1700000000000)/", "DateTime": "Tuesday"}}));
        assert_eq!(opt_date(&o, "T", &JsonPath::root()).ok().flatten(), want);
        let bad = obj(json!({"T": "yesterday"}));
        let e = opt_date(&bad, "T", &JsonPath::root()).err();
        assert_eq!(e.map(|e| e.place.to_string()), Some("$.T".into()));
    }

    #[test]
    fn booleans_enums_and_type_names() {
        let o = obj(json!({"A": "True", "B": 0, "C": 3, "D": "Fail",
            "E": "Microsoft.IdentityServer.PolicyModel.Configuration.PolicyTemplate.PolicyMetadata"}));
        let at = JsonPath::root();
        assert_eq!(opt_bool(&o, "a", &at), Ok(Some(true)));
        assert_eq!(opt_bool(&o, "B", &at), Ok(Some(false)));
        assert_eq!(opt_enum(&o, "C", &at), Ok(Some("3".into())));
        assert_eq!(opt_enum(&o, "D", &at), Ok(Some("Fail".into())));
        assert_eq!(text_list(&o, "E", &at), Ok(None));
        assert!(is_type_name("System.Object[]"));
        assert!(is_type_name(
            "@{Summary=Permit users; IsParameterized=False}"
        ));
        assert!(!is_type_name("Permit everyone and require MFA"));
    }

    #[test]
    fn utf16_and_bom_text_decodes() {
        let mut le = vec![0xFF, 0xFE];
        for u in "c:[] => issue".encode_utf16() {
            le.extend(u.to_le_bytes());
        }
        assert_eq!(decode_text(&le).as_deref(), Some("c:[] => issue"));
        assert_eq!(decode_text(b"\xEF\xBB\xBF{}").as_deref(), Some("{}"));
        assert_eq!(decode_text(&[0xFF, 0xFE, 0x00]), None);
        assert_eq!(decode_text(b"Z\xfcrich").as_deref(), Some("Zürich"));
        assert_eq!(decode_text(b"\x00\x01\xff"), None);
    }

    #[test]
    fn secrets_are_dropped_wherever_they_sit() {
        let v = json!({"Name": "VPN", "SharedSecret": "s3cr3t",
            "Props": [{"Shared_Secret": "x", "IP_Address": "10.0.0.1"}], "TokenLifetime": 5});
        let clean = without_secrets(&v).to_string();
        assert!(
            !clean.contains("s3cr3t") && !clean.contains("\"x\""),
            "{clean}"
        );
        assert!(clean.contains("TokenLifetime") && clean.contains("10.0.0.1"));
    }
}
