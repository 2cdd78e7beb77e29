//! `inspect --schema`: what a file holds, to help an admin write a mapping — for any
//! SQLite file its tables, columns, row counts and a few sample values (secrets masked),
//! for a CSV its header; and which model field each column feeds (through the mapping,
//! the reference layout's names, or the Export Users CSV header table).

use std::path::Path;

use serde::Serialize;

use super::error::FileError;
use super::layout::Table;
use super::mapping::Mapping;
use super::sniff::{self, Source};
use super::sqlite;
use super::text;

/// How many distinct sample values to show per column.
const SAMPLES: usize = 3;
/// Sample values are cut to this many characters.
const SAMPLE_CHARS: usize = 40;

#[derive(Debug, Clone, Serialize)]
pub struct Schema {
    pub path: String,
    /// `SQLite`, or `CSV` with its encoding and delimiter.
    pub format: String,
    /// What `load` would take it for (absent when it would refuse it).
    pub read_as: Option<String>,
    pub tables: Vec<TableSchema>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TableSchema {
    pub name: String,
    /// The reference table it feeds (`users`, …), when it feeds one.
    pub feeds: Option<String>,
    pub rows: Option<u64>,
    pub columns: Vec<ColumnSchema>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ColumnSchema {
    pub name: String,
    /// Declared SQLite type; empty for CSV.
    pub declared_type: String,
    /// The model field it feeds (`users.phone`), when any.
    pub feeds: Option<String>,
    /// A few distinct values; secrets shown as `••••` and their last two characters.
    pub samples: Vec<String>,
}

/// The schema of every path (a folder: of each file in it).
pub fn schemas(
    paths: &[std::path::PathBuf],
    mapping: Option<&Mapping>,
) -> Result<Vec<Schema>, FileError> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<_> = std::fs::read_dir(p)
                .map_err(|e| FileError::io(p, &e))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|f| f.is_file())
                .collect();
            files.sort();
            for f in files {
                out.push(schema(&f, mapping)?);
            }
        } else {
            out.push(schema(p, mapping)?);
        }
    }
    Ok(out)
}

/// The schema of one file.
pub fn schema(path: &Path, mapping: Option<&Mapping>) -> Result<Schema, FileError> {
    let head = text::read_head(path, 64 * 1024)?;
    let read_as = sniff::sniff(path, mapping).ok().and_then(|s| {
        s.first()
            .map(|s| super::report::kind_name(s.kind()).to_string())
    });
    if head.starts_with(sqlite::SQLITE_MAGIC) {
        return sqlite_schema(path, mapping, read_as);
    }
    let encoding = text::detect_encoding(&head);
    if !text::looks_like_text(&head, encoding) {
        // Not something a mapping can help with: say what it is, as `load` would.
        return match sniff::sniff(path, mapping) {
            Err(e) => Err(e),
            Ok(_) => Ok(Schema {
                path: path.display().to_string(),
                format: "unknown".into(),
                read_as,
                tables: Vec::new(),
            }),
        };
    }
    let line = text::first_line(&head, encoding);
    let delimiter = text::detect_delimiter(&line);
    let header = text::split_header(&line, delimiter);
    let kind = sniff::sniff(path, mapping)
        .ok()
        .and_then(|s| s.into_iter().next());
    let columns = header
        .iter()
        .map(|h| ColumnSchema {
            name: h.clone(),
            declared_type: String::new(),
            feeds: kind.as_ref().and_then(|k| sniff::csv_feeds(k, h, mapping)),
            samples: Vec::new(),
        })
        .collect();
    Ok(Schema {
        path: path.display().to_string(),
        format: format!(
            "CSV, {}, delimiter {:?}",
            encoding.name(),
            delimiter as char
        ),
        read_as,
        tables: vec![TableSchema {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            feeds: kind.map(|k| match k {
                Source::SeedFile(_) => "oath_tokens".to_string(),
                _ => "users".to_string(),
            }),
            rows: None,
            columns,
        }],
    })
}

fn sqlite_schema(
    path: &Path,
    mapping: Option<&Mapping>,
    read_as: Option<String>,
) -> Result<Schema, FileError> {
    let conn = sqlite::open(path)?;
    let mut tables = Vec::new();
    for name in sqlite::tables(&conn, path)? {
        let logical = Table::ALL.into_iter().find(|t| {
            let physical = mapping.map_or_else(|| t.name().to_string(), |m| m.table(*t));
            physical.eq_ignore_ascii_case(&name)
        });
        let rows = sqlite::count(&conn, path, &name).ok();
        let mut columns = Vec::new();
        for (col, declared) in sqlite::columns(&conn, path, &name)? {
            let feeds = logical.and_then(|t| {
                let by_mapping = mapping.and_then(|m| {
                    m.columns(t)
                        .iter()
                        .find(|(_, physical)| physical.eq_ignore_ascii_case(&col))
                        .map(|(logical, _)| *logical)
                });
                by_mapping
                    .or_else(|| {
                        t.columns()
                            .into_iter()
                            .find(|c| c.eq_ignore_ascii_case(&col))
                            .filter(|c| mapping.is_none_or(|m| m.column(t, c).is_none()))
                    })
                    .map(|c| format!("{}.{c}", t.name()))
            });
            let secret = match feeds.as_deref() {
                Some(field) => is_secret_field(field),
                None => looks_secret_column(&col),
            };
            let samples = samples(&conn, &name, &col, secret);
            columns.push(ColumnSchema {
                name: col,
                declared_type: declared,
                feeds,
                samples,
            });
        }
        tables.push(TableSchema {
            name,
            feeds: logical.map(|t| t.name().to_string()),
            rows,
            columns,
        });
    }
    Ok(Schema {
        path: path.display().to_string(),
        format: "SQLite".into(),
        read_as,
        tables,
    })
}

fn is_secret_field(field: &str) -> bool {
    matches!(
        field,
        "mobile_app_devices.device_token" | "mobile_app_devices.oath_secret" | "oath_tokens.secret"
    )
}

/// A column of an unknown table whose name says it holds a secret.
fn looks_secret_column(name: &str) -> bool {
    let n: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    [
        "secret",
        "seed",
        "password",
        "passwd",
        "pwd",
        "devicetoken",
        "pushtoken",
        "apikey",
        "sharedkey",
        "privatekey",
        "oath",
    ]
    .iter()
    .any(|s| n.contains(s))
        || n.ends_with("pin")
}

/// A value that looks like key material by its content, whatever its column is called:
/// base32 (also in groups, as vendors and `sample-data` write it, and without digits),
/// hex, or base64 of a plausible key length. Masking a harmless sample costs little;
/// showing a key is what must not happen, so the tests lean towards masking.
pub fn looks_like_key(v: &str) -> bool {
    let v = v.trim();
    let compact = ungrouped(v);
    let compact = compact.trim_end_matches('=');
    if is_guid(v) {
        // Object ids name things; a mapping needs to see them.
        return false;
    }
    looks_hex_key(compact) || looks_base32_key(compact) || looks_base64_key(compact)
}

/// The value with its group separators removed when it is written in groups of equal
/// length (the last may be shorter) joined by single spaces or dashes; otherwise the
/// value as it is (text with spaces then fails every alphabet below).
fn ungrouped(v: &str) -> String {
    let groups: Vec<&str> = v.split([' ', '-']).collect();
    let regular = match groups.split_last() {
        Some((last, middle)) if !middle.is_empty() => {
            let first = groups[0].len();
            (2..=8).contains(&first)
                && middle.iter().all(|g| g.len() == first)
                && !last.is_empty()
                && last.len() <= first
                && groups
                    .iter()
                    .all(|g| g.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'='))
        }
        _ => false,
    };
    if regular {
        groups.concat()
    } else {
        v.to_string()
    }
}

fn is_guid(v: &str) -> bool {
    let parts: Vec<&str> = v.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// 80 bits or more of hex.
fn looks_hex_key(c: &str) -> bool {
    c.len() >= 20 && c.bytes().all(|b| b.is_ascii_hexdigit())
}

/// 80 bits or more of base32 in one case. Letters alone can be a word run together, so
/// they count as a key when long (128 bits: no run-together words are that long) or
/// when they have the few vowels of random letters.
fn looks_base32_key(c: &str) -> bool {
    let alphabet = |b: u8| b.is_ascii_alphabetic() || (b'2'..=b'7').contains(&b);
    let one_case =
        !(c.bytes().any(|b| b.is_ascii_lowercase()) && c.bytes().any(|b| b.is_ascii_uppercase()));
    if c.len() < 16 || !one_case || !c.bytes().all(alphabet) {
        return false;
    }
    if c.bytes().any(|b| b.is_ascii_digit()) || c.len() >= 26 {
        return true;
    }
    let vowels = c
        .bytes()
        .filter(|b| matches!(b.to_ascii_lowercase(), b'a' | b'e' | b'i' | b'o' | b'u'))
        .count();
    vowels * 10 < c.len() * 3
}

/// 120 bits or more of base64 (standard or URL-safe): mixed case with digits or symbols.
fn looks_base64_key(c: &str) -> bool {
    let alphabet = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'_' | b'-');
    c.len() >= 20
        && c.bytes().all(alphabet)
        && c.bytes().any(|b| b.is_ascii_lowercase())
        && c.bytes().any(|b| b.is_ascii_uppercase())
        && c.bytes()
            .any(|b| b.is_ascii_digit() || matches!(b, b'+' | b'/' | b'_'))
}

/// `••••` and the last two characters.
fn mask(v: &str) -> String {
    let tail: String = v
        .chars()
        .rev()
        .take(2)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("••••{tail}")
}

fn samples(conn: &rusqlite::Connection, table: &str, col: &str, secret: bool) -> Vec<String> {
    let sql = format!(
        "SELECT DISTINCT {c} FROM {t} WHERE {c} IS NOT NULL LIMIT {SAMPLES}",
        c = sqlite::quote(col),
        t = sqlite::quote(table)
    );
    let Ok(mut stmt) = conn.prepare(&sql) else {
        return Vec::new();
    };
    let Ok(mut rows) = stmt.query([]) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    while let Ok(Some(r)) = rows.next() {
        let text = match r.get_ref(0) {
            Ok(rusqlite::types::ValueRef::Integer(i)) => i.to_string(),
            Ok(rusqlite::types::ValueRef::Real(f)) => f.to_string(),
            Ok(rusqlite::types::ValueRef::Text(b)) => String::from_utf8_lossy(b).into_owned(),
            Ok(rusqlite::types::ValueRef::Blob(b)) => format!("<blob, {} bytes>", b.len()),
            _ => continue,
        };
        let shown = if secret || looks_like_key(&text) {
            mask(&text)
        } else if text.chars().count() > SAMPLE_CHARS {
            format!("{}…", text.chars().take(SAMPLE_CHARS).collect::<String>())
        } else {
            text
        };
        out.push(shown);
    }
    out
}

/// The schemas as an admin reads them. Names and samples come from the file, so every
/// one passes through [`safe_text`](crate::safe_text) before the terminal.
pub fn render_text(schemas: &[Schema]) -> String {
    use crate::safe_text::Safe;
    use std::fmt::Write as _;
    let mut o = String::new();
    for s in schemas {
        let _ = writeln!(o, "{}  ({})", Safe(&s.path), Safe(&s.format));
        match &s.read_as {
            Some(k) => {
                let _ = writeln!(o, "  read as: {k}");
            }
            None => {
                let _ = writeln!(
                    o,
                    "  not readable as it is: write a mapping naming the users table and its \
                     columns (--mapping FILE)"
                );
            }
        }
        for t in &s.tables {
            let _ = writeln!(
                o,
                "  table {}{}{}",
                Safe(&t.name),
                t.rows.map(|r| format!(", {r} rows")).unwrap_or_default(),
                t.feeds
                    .as_ref()
                    .map(|f| format!("  → {f}"))
                    .unwrap_or_default()
            );
            for c in &t.columns {
                let samples: Vec<String> = c
                    .samples
                    .iter()
                    .map(|v| crate::safe_text::terminal(v).into_owned())
                    .collect();
                let _ = writeln!(
                    o,
                    "    {:<28} {:<10} {:<34} {}",
                    Safe(&c.name),
                    Safe(&c.declared_type),
                    c.feeds
                        .as_deref()
                        .map_or("-".to_string(), |f| format!("→ {f}")),
                    samples.join(" | ")
                );
            }
        }
        let _ = writeln!(o);
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_key_material_by_content() {
        // The cases found: spaced base32 as `sample-data` writes it, long hex, base32
        // without digits; and the plain forms.
        let key: Vec<u8> = (0..20u8)
            .map(|i| i.wrapping_mul(53).wrapping_add(7))
            .collect();
        let b32 = data_encoding::BASE32_NOPAD.encode(&key);
        let spaced: String = b32
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).to_lowercase())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(looks_like_key(&spaced), "{spaced}");
        assert!(looks_like_key(&b32));
        assert!(looks_like_key(&data_encoding::HEXLOWER.encode(&key)));
        assert!(looks_like_key(&data_encoding::HEXUPPER.encode(&key)));
        assert!(looks_like_key("3132333435363738393031323334353637383930"));
        assert!(looks_like_key("JBSWYDPEHPKPXPJBSWYDPEHPKPXPJBSWYDPE"));
        assert!(looks_like_key("JBSWYDPEHPKPXPQRSTWX"));
        assert!(looks_like_key("JBSW-YDPE-HPKP-XPQR-STWX"));
        assert!(looks_like_key(&data_encoding::BASE64.encode(&key)));
        let long: Vec<u8> = (0..32u8).map(|i| i.wrapping_mul(197) ^ 0xfb).collect();
        assert!(looks_like_key(
            &data_encoding::BASE64URL_NOPAD.encode(&long)
        ));
        assert!(looks_like_key("JBSWY3DPEHPK3PXPJBSWY3DP"));
        // What a mapping needs to see stays readable.
        for plain in [
            "CONTOSO\\jdoe",
            "alice@contoso.com",
            "425 555 0100",
            "+1 425 555 0100",
            "2022-12-20T23:57:53Z",
            "text_message",
            "PhoneCallStandard",
            "iPhone 14 Pro",
            "GALT11420104",
            "TOTP123456",
            "0cadbf92-1234-4cde-9f00-0123456789ab",
            "ask at front desk",
            "ADMINISTRATORS",
            "MULTIFACTORSERVER",
            "1",
        ] {
            assert!(!looks_like_key(plain), "{plain}");
        }
        assert!(looks_secret_column("OathSecretKey"));
        assert!(looks_secret_column("UserPIN"));
        assert!(!looks_secret_column("key"));
        assert_eq!(mask("JBSWY3DPEHPK3PXP"), "••••XP");
    }
}
