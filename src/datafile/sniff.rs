//! What each `--data-file` is: sniffed from its first bytes and header, never from its
//! name alone — SQLite (reference snapshot or PhoneFactor.pfdata), an Export Users CSV, an
//! OATH seed file, a snapshot folder, or a folder of CSVs read file by file. Also the
//! header names each CSV kind is matched by.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::error::{FileError, FileProblem, INPUTS_EXPECTED};
use super::layout::{Table, TokenField, UserField};
use super::mapping::Mapping;
use super::model::InputKind;
use super::sqlite;
use super::text::{self, TextEncoding};

/// A CSV input as sniffed.
#[derive(Debug, Clone)]
pub struct CsvInput {
    pub path: PathBuf,
    pub encoding: TextEncoding,
    pub delimiter: u8,
    pub header: Vec<String>,
}

/// What an input turned out to be.
#[derive(Debug, Clone)]
pub enum Source {
    ExportCsv(CsvInput),
    SeedFile(CsvInput),
    SnapshotSqlite(PathBuf),
    /// A folder holding `users.csv` and the other reference tables as CSVs.
    SnapshotFolder(PathBuf),
    PfdataSqlite(PathBuf),
}

impl Source {
    pub fn kind(&self) -> InputKind {
        match self {
            Source::ExportCsv(_) => InputKind::ExportUsersCsv,
            Source::SeedFile(_) => InputKind::OathSeedFile,
            Source::SnapshotSqlite(_) => InputKind::SnapshotSqlite,
            Source::SnapshotFolder(_) => InputKind::SnapshotFolder,
            Source::PfdataSqlite(_) => InputKind::PfdataSqlite,
        }
    }

    pub fn path(&self) -> &Path {
        match self {
            Source::ExportCsv(c) | Source::SeedFile(c) => &c.path,
            Source::SnapshotSqlite(p) | Source::SnapshotFolder(p) | Source::PfdataSqlite(p) => p,
        }
    }
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
/// ESE (JET Blue) databases carry this signature at offset 4.
const ESE_MAGIC: &[u8] = &[0xEF, 0xCD, 0xAB, 0x89];

/// Say what `path` is; a folder may hold several inputs.
pub fn sniff(path: &Path, mapping: Option<&Mapping>) -> Result<Vec<Source>, FileError> {
    let meta = std::fs::metadata(path).map_err(|e| FileError::io(path, &e))?;
    if meta.is_dir() {
        return sniff_folder(path, mapping);
    }
    Ok(vec![sniff_file(path, meta.len(), mapping)?])
}

fn sniff_folder(dir: &Path, mapping: Option<&Mapping>) -> Result<Vec<Source>, FileError> {
    if dir.join(Table::Users.csv_file()).is_file() {
        return Ok(vec![Source::SnapshotFolder(dir.to_path_buf())]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| FileError::io(dir, &e))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(FileError::new(
            dir,
            FileProblem::EmptyFolder,
            "an empty folder",
            format!(
                "a folder holding users.csv (a snapshot) or an Export Users CSV and seed files; \
                 or a file: {INPUTS_EXPECTED}"
            ),
        ));
    }
    let mut found = Vec::new();
    for f in &files {
        let size = std::fs::metadata(f)
            .map_err(|e| FileError::io(f, &e))?
            .len();
        // Inside a folder, only what is recognised is read; the rest is named if nothing is.
        if let Ok(s) = sniff_file(f, size, mapping) {
            found.push(s);
        }
    }
    if found.is_empty() {
        let names: Vec<String> = files
            .iter()
            .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
            .take(8)
            .collect();
        return Err(FileError::new(
            dir,
            FileProblem::EmptyFolder,
            format!(
                "a folder with no input this tool reads ({})",
                names.join(", ")
            ),
            format!("users.csv (a snapshot folder), or {INPUTS_EXPECTED}"),
        ));
    }
    Ok(found)
}

fn sniff_file(path: &Path, size: u64, mapping: Option<&Mapping>) -> Result<Source, FileError> {
    if size == 0 {
        return Err(FileError::new(
            path,
            FileProblem::Empty,
            "an empty file (0 bytes)",
            INPUTS_EXPECTED,
        ));
    }
    let head = text::read_head(path, 64 * 1024)?;
    let is_pfdata_name = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("pfdata"));
    if head.starts_with(sqlite::SQLITE_MAGIC) {
        let conn = sqlite::open(path)?;
        let tables = sqlite::tables(&conn, path)?;
        let has_layout = tables.iter().any(|t| t.eq_ignore_ascii_case("layout_info"));
        return Ok(
            if has_layout && mapping.is_none_or(|m| !m.maps_table(Table::Users)) {
                Source::SnapshotSqlite(path.to_path_buf())
            } else {
                Source::PfdataSqlite(path.to_path_buf())
            },
        );
    }
    if head.starts_with(ZIP_MAGIC) {
        return Err(FileError::new(
            path,
            FileProblem::NotRecognised,
            "a ZIP archive",
            format!("the file inside it, extracted: {INPUTS_EXPECTED}"),
        ));
    }
    let encoding = text::detect_encoding(&head);
    if !text::looks_like_text(&head, encoding) {
        let what = if head.get(4..8) == Some(ESE_MAGIC) {
            "an ESE (JET) database, not SQLite: MFA Server's own format, which is not \
             published and which this tool cannot read"
                .to_string()
        } else if is_pfdata_name {
            "a PhoneFactor.pfdata that is not SQLite: its format is not published and this \
             tool cannot read it"
                .to_string()
        } else {
            format!("binary data that is neither SQLite nor text ({size} bytes)")
        };
        return Err(FileError::new(
            path,
            FileProblem::NotRecognised,
            what,
            INPUTS_EXPECTED,
        ));
    }
    let line = text::first_line(&head, encoding);
    let delimiter = text::detect_delimiter(&line);
    let header = text::split_header(&line, delimiter);
    let keys: Vec<String> = header.iter().map(|h| text::header_key(h)).collect();
    let csv = CsvInput {
        path: path.to_path_buf(),
        encoding,
        delimiter,
        header: header.clone(),
    };
    let has = |aliases: &[&str]| {
        keys.iter()
            .any(|k| aliases.iter().any(|a| text::header_key(a) == *k))
    };
    if has(seed_aliases(SeedCol::Serial)) && has(seed_aliases(SeedCol::Secret)) {
        return Ok(Source::SeedFile(csv));
    }
    if has(&["user_id"])
        && has(&["username"])
        && let Some(dir) = path.parent()
        && path
            .file_name()
            .is_some_and(|n| n.eq_ignore_ascii_case("users.csv"))
    {
        return Ok(Source::SnapshotFolder(dir.to_path_buf()));
    }
    let aliases = UserAliases::new(mapping);
    let username = keys
        .iter()
        .any(|k| aliases.field(k) == Some(UserField::Username));
    let phone = keys.iter().any(|k| {
        matches!(
            aliases.field(k),
            Some(UserField::Phone | UserField::BackupPhone)
        )
    });
    if username && phone {
        return Ok(Source::ExportCsv(csv));
    }
    let shown: Vec<&str> = header.iter().take(12).map(String::as_str).collect();
    Err(FileError::new(
        path,
        FileProblem::NotRecognised,
        format!(
            "text whose first line is not a known header ({:?}{})",
            shown.join(&(delimiter as char).to_string()),
            if header.len() > 12 { ", …" } else { "" }
        ),
        format!(
            "{INPUTS_EXPECTED}; an Export Users CSV needs a Username and a phone column, a \
             seed file serial number and secret key columns"
        ),
    ))
}

// ---------------------------------------------------------------------------------------
// Header names
// ---------------------------------------------------------------------------------------

/// Export Users CSV header names for each field (besides the reference column name).
const USER_ALIASES: &[(UserField, &[&str])] = &[
    (
        UserField::Username,
        &["Username", "User Name", "User", "Login"],
    ),
    (UserField::Upn, &["UPN", "User Principal Name"]),
    (UserField::Sid, &["SID", "objectSid", "Security Identifier"]),
    (
        UserField::Email,
        &["Email", "E-mail", "Email Address", "Mail"],
    ),
    (
        UserField::CountryCode,
        &["Primary Country Code", "Country Code", "Phone Country Code"],
    ),
    (
        UserField::Phone,
        &[
            "Primary Phone",
            "Phone",
            "Phone Number",
            "Primary Phone Number",
        ],
    ),
    (UserField::Extension, &["Extension", "Primary Extension"]),
    (UserField::BackupCountryCode, &["Backup Country Code"]),
    (
        UserField::BackupPhone,
        &["Backup Phone", "Backup Phone Number"],
    ),
    (UserField::BackupExtension, &["Backup Extension"]),
    (
        UserField::DefaultMethod,
        &[
            "Method",
            "Default Method",
            "Primary Method",
            "Authentication Method",
        ],
    ),
    (UserField::PhoneCallMode, &["Phone Call Mode"]),
    (UserField::TextMessageMode, &["Text Message Mode"]),
    (UserField::MobileAppMode, &["Mobile App Mode"]),
    (UserField::Language, &["Language"]),
    (
        UserField::Enabled,
        &["Enabled", "Status", "Account Enabled"],
    ),
    (
        UserField::ChangedAt,
        &["Changed At", "Last Changed", "Modified"],
    ),
];

/// Columns an Export Users CSV has that the model does not need: known, so not listed
/// as unknown.
pub(super) const IGNORED_COLUMNS: &[&str] =
    &["First Name", "Last Name", "Display Name", "Full Name"];

/// The header table for Export Users CSVs: built-in names plus the mapping's aliases.
pub(super) struct UserAliases {
    by_key: HashMap<String, UserField>,
}

impl UserAliases {
    pub(super) fn new(mapping: Option<&Mapping>) -> UserAliases {
        let mut by_key = HashMap::new();
        for f in UserField::ALL {
            by_key.insert(text::header_key(f.column()), *f);
        }
        for (f, names) in USER_ALIASES {
            for n in *names {
                by_key.insert(text::header_key(n), *f);
            }
        }
        if let Some(m) = mapping {
            for (f, names) in &m.csv_aliases {
                for n in names {
                    by_key.insert(text::header_key(n), *f);
                }
            }
        }
        UserAliases { by_key }
    }

    pub(super) fn field(&self, key: &str) -> Option<UserField> {
        self.by_key.get(key).copied()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SeedCol {
    Upn,
    Serial,
    Secret,
    TimeInterval,
    Manufacturer,
    Model,
    Hash,
    Format,
    Type,
}

pub(super) const SEED_COLS: [SeedCol; 9] = [
    SeedCol::Upn,
    SeedCol::Serial,
    SeedCol::Secret,
    SeedCol::TimeInterval,
    SeedCol::Manufacturer,
    SeedCol::Model,
    SeedCol::Hash,
    SeedCol::Format,
    SeedCol::Type,
];

pub(super) fn seed_aliases(c: SeedCol) -> &'static [&'static str] {
    match c {
        SeedCol::Upn => &["upn", "user principal name", "user", "username"],
        SeedCol::Serial => &["serial number", "serial", "serial_number", "sn"],
        SeedCol::Secret => &["secret key", "secret", "seed", "key", "secret_key"],
        SeedCol::TimeInterval => &["time interval", "interval", "time step", "period"],
        SeedCol::Manufacturer => &["manufacturer", "vendor"],
        SeedCol::Model => &["model"],
        SeedCol::Hash => &["hash function", "hash", "algorithm", "hash algorithm"],
        SeedCol::Format => &["secret format", "format", "encoding"],
        SeedCol::Type => &["token type", "type"],
    }
}

/// The token field a seed column fills (the UPN has none).
pub(super) fn seed_field(c: SeedCol) -> Option<TokenField> {
    match c {
        SeedCol::Upn => None,
        SeedCol::Serial => Some(TokenField::SerialNumber),
        SeedCol::Secret => Some(TokenField::Secret),
        SeedCol::TimeInterval => Some(TokenField::TimeStep),
        SeedCol::Manufacturer => Some(TokenField::Manufacturer),
        SeedCol::Model => Some(TokenField::Model),
        SeedCol::Hash => Some(TokenField::HashFunction),
        SeedCol::Format => Some(TokenField::SecretFormat),
        SeedCol::Type => Some(TokenField::TokenType),
    }
}

/// Which model field a CSV header column feeds, for `inspect --schema`.
pub fn csv_feeds(source: &Source, header: &str, mapping: Option<&Mapping>) -> Option<String> {
    let key = text::header_key(header);
    match source {
        Source::ExportCsv(_) => UserAliases::new(mapping)
            .field(&key)
            .map(|f| format!("users.{}", f.column())),
        Source::SeedFile(_) => SEED_COLS
            .iter()
            .copied()
            .find(|c| seed_aliases(*c).iter().any(|a| text::header_key(a) == key))
            .map(|c| match seed_field(c) {
                Some(f) => format!("oath_tokens.{}", f.column()),
                None => "users.upn (joins the token to its user)".to_string(),
            }),
        Source::SnapshotFolder(_) => UserField::ALL
            .iter()
            .find(|f| text::header_key(f.column()) == key)
            .map(|f| format!("users.{}", f.column())),
        Source::SnapshotSqlite(_) | Source::PfdataSqlite(_) => None,
    }
}
