//! Writers of a generated organisation: a reference-layout snapshot (SQLite, or a folder
//! of CSVs with the same columns) and what MFA Server itself would give an admin (the
//! console's Export Users CSV plus a token vendor's seed file in Entra's upload format).
//!
//! Everything is written under a temporary name next to the target and renamed into
//! place at the end, so an error never leaves partial output; files are 0600. People are
//! generated on a second thread while this one writes (one SQLite transaction, prepared
//! statements), so 500,000 users take seconds.

use std::borrow::Cow;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::types::{ToSqlOutput, Value, ValueRef};

use super::population::{Person, Population, Presence, SampleService};
use crate::datafile::layout::{
    ENTRA_SEED_HEADER, EXPORT_USERS_FILE, LAYOUT_NAME, LAYOUT_VERSION, REFERENCE_SQL, SEED_FILE,
    Table,
};
use crate::datafile::{MfaMethod, ParseName, ServerRole, ServiceKind};
use crate::secret::OathSecret;

/// What to write besides the people.
#[derive(Debug, Clone, Copy)]
pub struct WriteOptions {
    /// Rows only a writer can produce, so that readers meet every row problem: a
    /// duplicate username, a token and a device whose user does not exist, a bad
    /// timestamp, invalid UTF-8 (snapshot); a duplicate username and a seed row for no
    /// user (export CSV).
    pub extras: bool,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions { extras: true }
    }
}

/// What was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    /// The files written (one for a SQLite snapshot).
    pub files: Vec<PathBuf>,
    /// User rows, devices and tokens written (extras included).
    pub users: u64,
    pub devices: u64,
    pub tokens: u64,
    /// One line per extra row, saying what it exercises.
    pub extras: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("cannot write {path}: {source}")]
    Csv { path: PathBuf, source: csv::Error },
    #[error("{path} exists and is not empty: expected a new or empty folder")]
    FolderNotEmpty { path: PathBuf },
    #[error("{path} is a folder: expected a file name for a SQLite snapshot")]
    IsFolder { path: PathBuf },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> WriteError + '_ {
    move |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// People on a second thread, in index order, in chunks.
fn with_people<R>(pop: &Population, f: impl FnOnce(&mut dyn Iterator<Item = Person>) -> R) -> R {
    const CHUNK: usize = 512;
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Person>>(8);
        let p = *pop;
        s.spawn(move || {
            let mut start = 0;
            while start < p.users {
                let end = (start + CHUNK).min(p.users);
                if tx
                    .send((start..end).map(|i| p.person(i)).collect())
                    .is_err()
                {
                    return;
                }
                start = end;
            }
        });
        let mut people = rx.into_iter().flatten();
        f(&mut people)
    })
}

/// A temporary sibling of `out`, removed on drop unless kept.
struct Temp {
    path: PathBuf,
    keep: bool,
}

impl Temp {
    fn beside(out: &Path) -> Temp {
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into());
        // A random name, created exclusively below: a link planted under a guessable name
        // is never written through.
        let mut tag = [0u8; 8];
        rand::fill(&mut tag);
        let path = out.with_file_name(format!(
            ".{name}.{}.tmp",
            data_encoding::HEXLOWER.encode(&tag)
        ));
        Temp { path, keep: false }
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_file(&self.path);
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Rows of the reference layout, shared by the SQLite and CSV snapshot writers
// ---------------------------------------------------------------------------------------

/// A value of a reference-layout cell.
#[derive(Debug, Clone)]
enum Cell<'a> {
    Null,
    Int(i64),
    Text(Cow<'a, str>),
    /// Text bytes that are not valid UTF-8 (an extra row).
    Bytes(Vec<u8>),
}

impl<'a> Cell<'a> {
    fn text(s: impl Into<Cow<'a, str>>) -> Cell<'a> {
        Cell::Text(s.into())
    }

    fn opt(s: &'a Option<String>) -> Cell<'a> {
        match s {
            Some(v) => Cell::Text(Cow::Borrowed(v.as_str())),
            None => Cell::Null,
        }
    }

    fn csv_bytes(&self) -> Cow<'_, [u8]> {
        match self {
            Cell::Null => Cow::Borrowed(b""),
            Cell::Int(i) => Cow::Owned(i.to_string().into_bytes()),
            Cell::Text(t) => Cow::Borrowed(t.as_bytes()),
            Cell::Bytes(b) => Cow::Borrowed(b),
        }
    }
}

impl rusqlite::ToSql for Cell<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Cell::Null => ToSqlOutput::Owned(Value::Null),
            Cell::Int(i) => ToSqlOutput::Owned(Value::Integer(*i)),
            Cell::Text(t) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
            // Stored with TEXT affinity but not valid UTF-8: what a damaged file holds.
            Cell::Bytes(b) => ToSqlOutput::Borrowed(ValueRef::Text(b)),
        })
    }
}

/// Where snapshot rows go: a SQLite transaction or a folder of CSVs.
trait Sink {
    fn row(&mut self, table: Table, cells: &[Cell<'_>]) -> Result<(), WriteError>;
}

/// Counters while writing.
#[derive(Default)]
struct Ids {
    devices: i64,
    tokens: i64,
    written: Written,
}

fn user_cells<'a>(user_id: i64, p: &'a Person) -> Vec<Cell<'a>> {
    let m = &p.mfa;
    let attributes = if m.ad_attributes.is_empty() {
        Cell::Null
    } else {
        let map: serde_json::Map<String, serde_json::Value> = m
            .ad_attributes
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        Cell::text(serde_json::Value::Object(map).to_string())
    };
    vec![
        Cell::Int(user_id),
        Cell::text(m.username.as_str()),
        Cell::opt(&m.upn),
        Cell::opt(&m.sid),
        Cell::opt(&m.email),
        attributes,
        Cell::opt(&m.country_code),
        Cell::opt(&m.phone),
        Cell::opt(&m.extension),
        Cell::opt(&m.backup_country_code),
        Cell::opt(&m.backup_phone),
        Cell::opt(&m.backup_extension),
        Cell::opt(&m.default_method),
        Cell::opt(&m.phone_call_mode),
        Cell::opt(&m.text_message_mode),
        Cell::opt(&m.mobile_app_mode),
        Cell::opt(&m.language),
        Cell::Int(m.enabled as i64),
        Cell::text(iso(m.changed_at)),
    ]
}

fn write_person(sink: &mut dyn Sink, ids: &mut Ids, p: &Person) -> Result<(), WriteError> {
    let user_id = p.index as i64 + 1;
    sink.row(Table::Users, &user_cells(user_id, p))?;
    ids.written.users += 1;
    for d in &p.mfa.devices {
        ids.devices += 1;
        sink.row(
            Table::MobileAppDevices,
            &[
                Cell::Int(ids.devices),
                Cell::Int(user_id),
                Cell::text(d.name.as_str()),
                Cell::text(d.device_token.as_str()),
                Cell::opt(&d.oath_secret),
                Cell::text(iso(d.activated_at)),
            ],
        )?;
    }
    for t in &p.mfa.tokens {
        ids.tokens += 1;
        sink.row(
            Table::OathTokens,
            &[
                Cell::Int(ids.tokens),
                Cell::Int(user_id),
                Cell::text(t.serial.as_str()),
                Cell::text(t.secret.as_str()),
                Cell::text(t.secret_format.as_str()),
                Cell::text(t.manufacturer.as_str()),
                Cell::text(t.model.as_str()),
                Cell::text(t.token_type.as_str()),
                Cell::Int(t.time_step as i64),
                Cell::text(t.hash_function.as_str()),
                Cell::text(iso(t.added_at)),
            ],
        )?;
    }
    ids.written.devices += p.mfa.devices.len() as u64;
    ids.written.tokens += p.mfa.tokens.len() as u64;
    Ok(())
}

fn service_kind_name(kind: ServiceKind) -> &'static str {
    match kind {
        ServiceKind::Radius => "radius",
        ServiceKind::Ldap => "ldap",
        ServiceKind::Iis => "iis",
        ServiceKind::Windows => "windows",
        ServiceKind::Adfs => "adfs",
        ServiceKind::UserPortal => "user_portal",
        ServiceKind::MobileAppWebService => "mobile_app_web_service",
        ServiceKind::WebServiceSdk => "web_service_sdk",
    }
}

/// Everything but the people: layout info, services, settings, servers.
fn write_tenant(sink: &mut dyn Sink, pop: &Population) -> Result<(), WriteError> {
    for (k, v) in [
        ("layout", LAYOUT_NAME.to_string()),
        ("version", LAYOUT_VERSION.to_string()),
        ("server_version", pop.server_version().to_string()),
        ("exported_at", iso(pop.exported_at())),
        ("generator", "mfa-cutover sample-data".to_string()),
        ("seed", pop.seed.to_string()),
        ("users", pop.users.to_string()),
    ] {
        sink.row(Table::LayoutInfo, &[Cell::text(k), Cell::text(v)])?;
    }
    for (i, s) in pop.services().iter().enumerate() {
        let SampleService {
            kind,
            name,
            address,
            detail,
            enabled,
        } = s;
        sink.row(
            Table::AuthServices,
            &[
                Cell::Int(i as i64 + 1),
                Cell::text(service_kind_name(*kind)),
                Cell::text(name.as_str()),
                Cell::opt(address),
                Cell::text(serde_json::Value::Object(detail.clone()).to_string()),
                Cell::Int(*enabled as i64),
            ],
        )?;
    }
    let settings = pop.settings();
    for (section, map) in [
        ("company", &settings.company),
        ("user_portal", &settings.user_portal),
    ] {
        for (k, v) in map {
            sink.row(
                Table::Settings,
                &[
                    Cell::text(section),
                    Cell::text(k.as_str()),
                    Cell::text(v.as_str()),
                ],
            )?;
        }
    }
    for s in pop.servers() {
        let role = match s.role {
            ServerRole::Primary => "primary",
            ServerRole::Subordinate => "subordinate",
        };
        sink.row(
            Table::Servers,
            &[
                Cell::text(s.name.clone()),
                Cell::text(role),
                Cell::opt(&s.version),
                s.last_seen_at.map_or(Cell::Null, |t| Cell::text(iso(t))),
            ],
        )?;
    }
    Ok(())
}

/// Rows no generated person can be: see [`WriteOptions::extras`].
fn write_snapshot_extras(
    sink: &mut dyn Sink,
    ids: &mut Ids,
    pop: &Population,
    first: Option<&Person>,
) -> Result<(), WriteError> {
    let base = pop.users as i64 + 1;
    let extras = &mut ids.written.extras;
    if let Some(p) = first {
        let mut cells = user_cells(base, p);
        // Same username, another phone: both rows are flagged, neither migrated (M1).
        cells[UserCol::Phone as usize] = Cell::text("425 555 0123");
        cells[UserCol::CountryCode as usize] = Cell::text("1");
        sink.row(Table::Users, &cells)?;
        extras.push(format!(
            "user_id {base}: duplicate username {:?}",
            p.mfa.username
        ));
    }
    let legacy = vec![
        Cell::Int(base + 1),
        Cell::text(format!("{}\\svc-legacy-ivr", super::NETBIOS)),
        Cell::Null,
        Cell::Null,
        // "ivr@contoso.com" with a Latin-1 byte in the middle.
        Cell::Bytes(b"ivr\xe9@contoso.com".to_vec()),
        Cell::Null,
        Cell::text("1"),
        Cell::text("(206) 555-0199"),
        Cell::Null,
        Cell::Null,
        Cell::Null,
        Cell::Null,
        Cell::text("phone_call"),
        Cell::text("standard"),
        Cell::Null,
        Cell::Null,
        Cell::text("en"),
        Cell::Int(1),
        Cell::text("2024-13-45 25:61"),
    ];
    sink.row(Table::Users, &legacy)?;
    extras.push(format!(
        "user_id {}: bad changed_at timestamp and an e-mail that is not UTF-8",
        base + 1
    ));
    let secret = OathSecret::from_bytes(b"orphan-token-secret!".to_vec())
        .map(|s| secrecy::ExposeSecret::expose_secret(&s.expose_base32()).to_string())
        .unwrap_or_default();
    ids.tokens += 1;
    sink.row(
        Table::OathTokens,
        &[
            Cell::Int(ids.tokens),
            Cell::Int(base + 999),
            Cell::text("ORPHAN-000001"),
            Cell::text(secret),
            Cell::text("base32"),
            Cell::text("Token2"),
            Cell::text("C302"),
            Cell::text("totp"),
            Cell::Int(30),
            Cell::text("hmacsha1"),
            Cell::text(iso(pop.exported_at())),
        ],
    )?;
    extras.push(format!(
        "token ORPHAN-000001: user_id {} does not exist",
        base + 999
    ));
    ids.devices += 1;
    sink.row(
        Table::MobileAppDevices,
        &[
            Cell::Int(ids.devices),
            Cell::Int(base + 998),
            Cell::text("Orphaned iPhone"),
            Cell::Null,
            Cell::Null,
            Cell::text(iso(pop.exported_at())),
        ],
    )?;
    extras.push(format!(
        "device \"Orphaned iPhone\": user_id {} does not exist",
        base + 998
    ));
    ids.written.users += 2;
    ids.written.tokens += 1;
    ids.written.devices += 1;
    Ok(())
}

/// Positions of `users` cells, for the extras.
#[derive(Clone, Copy)]
enum UserCol {
    CountryCode = 6,
    Phone = 7,
}

fn write_all(
    sink: &mut dyn Sink,
    pop: &Population,
    opts: &WriteOptions,
) -> Result<Written, WriteError> {
    write_tenant(sink, pop)?;
    let mut ids = Ids::default();
    let first = with_people(pop, |people| -> Result<Option<Person>, WriteError> {
        let mut first = None;
        for p in people {
            if p.presence == Presence::EntraOnly {
                continue;
            }
            write_person(sink, &mut ids, &p)?;
            if first.is_none() {
                first = Some(p);
            }
        }
        Ok(first)
    })?;
    if opts.extras {
        write_snapshot_extras(sink, &mut ids, pop, first.as_ref())?;
    }
    Ok(ids.written)
}

// ---------------------------------------------------------------------------------------
// Snapshot: SQLite
// ---------------------------------------------------------------------------------------

struct SqliteSink<'c> {
    path: PathBuf,
    statements: Vec<(Table, rusqlite::Statement<'c>)>,
}

impl Sink for SqliteSink<'_> {
    fn row(&mut self, table: Table, cells: &[Cell<'_>]) -> Result<(), WriteError> {
        let path = &self.path;
        let stmt = self
            .statements
            .iter_mut()
            .find(|(t, _)| *t == table)
            .map(|(_, s)| s)
            .ok_or_else(|| WriteError::Sqlite {
                path: path.clone(),
                source: rusqlite::Error::InvalidQuery,
            })?;
        stmt.execute(rusqlite::params_from_iter(cells.iter()))
            .map_err(|source| WriteError::Sqlite {
                path: path.clone(),
                source,
            })?;
        Ok(())
    }
}

/// Write a reference-layout SQLite snapshot of `pop` to `out` (replaced if it exists).
pub fn write_snapshot(
    pop: &Population,
    out: &Path,
    opts: &WriteOptions,
) -> Result<Written, WriteError> {
    if out.is_dir() {
        return Err(WriteError::IsFolder {
            path: out.to_path_buf(),
        });
    }
    let mut temp = Temp::beside(out);
    drop(crate::fsx::create_new(&temp.path).map_err(|e| io_err(&temp.path)(e.into()))?);
    let sql = |source| WriteError::Sqlite {
        path: out.to_path_buf(),
        source,
    };
    let mut written = {
        let mut db = rusqlite::Connection::open(&temp.path).map_err(sql)?;
        // A temporary file renamed only on success needs no journal. Foreign keys off:
        // the extras hold rows whose user does not exist, as a damaged file would.
        db.execute_batch(
            "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA foreign_keys = OFF;",
        )
        .map_err(sql)?;
        db.execute_batch(REFERENCE_SQL).map_err(sql)?;
        let tx = db.transaction().map_err(sql)?;
        let written = {
            let mut statements = Vec::new();
            for table in Table::ALL {
                let cols = table.columns();
                let marks = vec!["?"; cols.len()].join(", ");
                let stmt = tx
                    .prepare(&format!(
                        "INSERT INTO {} ({}) VALUES ({marks})",
                        table.name(),
                        cols.join(", ")
                    ))
                    .map_err(sql)?;
                statements.push((table, stmt));
            }
            let mut sink = SqliteSink {
                path: out.to_path_buf(),
                statements,
            };
            write_all(&mut sink, pop, opts)?
        };
        tx.commit().map_err(sql)?;
        db.close().map_err(|(_, e)| sql(e))?;
        written
    };
    fs::rename(&temp.path, out).map_err(io_err(out))?;
    temp.keep = true;
    written.files = vec![out.to_path_buf()];
    Ok(written)
}

// ---------------------------------------------------------------------------------------
// Folders: snapshot CSVs and the console's export
// ---------------------------------------------------------------------------------------

/// Create `dir` as a private temporary folder beside `out`; `out` must not exist or be
/// an empty folder.
fn temp_folder(out: &Path) -> Result<Temp, WriteError> {
    if out.exists() {
        let empty = out.is_dir() && fs::read_dir(out).map_err(io_err(out))?.next().is_none();
        if !empty {
            return Err(WriteError::FolderNotEmpty {
                path: out.to_path_buf(),
            });
        }
    }
    let temp = Temp::beside(out);
    crate::fsx::new_private_dir(&temp.path).map_err(|e| io_err(&temp.path)(e.into()))?;
    Ok(temp)
}

fn finish_folder(mut temp: Temp, out: &Path) -> Result<(), WriteError> {
    if out.is_dir() {
        fs::remove_dir(out).map_err(io_err(out))?;
    }
    fs::rename(&temp.path, out).map_err(io_err(out))?;
    temp.keep = true;
    Ok(())
}

/// A new file in the private temporary folder (0600, never through a link).
fn create_private_file(path: &Path) -> Result<fs::File, WriteError> {
    crate::fsx::create_new(path).map_err(|e| io_err(path)(e.into()))
}

fn csv_writer(path: &Path) -> Result<csv::Writer<BufWriter<fs::File>>, WriteError> {
    let file = create_private_file(path)?;
    Ok(csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(BufWriter::with_capacity(1 << 16, file)))
}

struct CsvSink {
    dir: PathBuf,
    writers: Vec<(Table, csv::Writer<BufWriter<fs::File>>)>,
}

impl CsvSink {
    fn flush(self) -> Result<Vec<PathBuf>, WriteError> {
        let mut files = Vec::new();
        for (table, mut w) in self.writers {
            let path = self.dir.join(table.csv_file());
            w.flush().map_err(io_err(&path))?;
            files.push(path);
        }
        Ok(files)
    }
}

impl Sink for CsvSink {
    fn row(&mut self, table: Table, cells: &[Cell<'_>]) -> Result<(), WriteError> {
        let path = self.dir.join(table.csv_file());
        let w = self
            .writers
            .iter_mut()
            .find(|(t, _)| *t == table)
            .map(|(_, w)| w)
            .ok_or_else(|| WriteError::Io {
                path: path.clone(),
                source: std::io::Error::other("no writer for this table"),
            })?;
        w.write_record(cells.iter().map(|c| c.csv_bytes()))
            .map_err(|source| WriteError::Csv { path, source })
    }
}

/// Write a reference-layout snapshot as a folder of CSVs (`users.csv`, …) to `out`,
/// which must not exist or be empty.
pub fn write_snapshot_folder(
    pop: &Population,
    out: &Path,
    opts: &WriteOptions,
) -> Result<Written, WriteError> {
    let temp = temp_folder(out)?;
    let mut sink = CsvSink {
        dir: temp.path.clone(),
        writers: Vec::new(),
    };
    for table in Table::ALL {
        let path = temp.path.join(table.csv_file());
        let mut w = csv_writer(&path)?;
        w.write_record(table.columns())
            .map_err(|source| WriteError::Csv {
                path: path.clone(),
                source,
            })?;
        sink.writers.push((table, w));
    }
    let mut written = write_all(&mut sink, pop, opts)?;
    let files = sink.flush()?;
    finish_folder(temp, out)?;
    written.files = files
        .iter()
        .filter_map(|f| f.file_name().map(|n| out.join(n)))
        .collect();
    Ok(written)
}

/// The Export Users CSV's header as this writer produces it; `Last Authentication` is a
/// column readers do not know (listed by `inspect`, never fatal).
const EXPORT_HEADER: [&str; 12] = [
    "Username",
    "Email",
    "Primary Country Code",
    "Primary Phone",
    "Extension",
    "Backup Country Code",
    "Backup Phone",
    "Backup Extension",
    "Method",
    "Enabled",
    "Language",
    "Last Authentication",
];

/// The console's name for a stored method, else the stored text as is.
fn method_display(stored: &str) -> &str {
    match MfaMethod::parse_name(stored) {
        Some(m) => crate::datafile::layout::METHOD_DISPLAY_NAMES
            .iter()
            .find(|(_, v)| *v == m)
            .map_or(stored, |(name, _)| name),
        None => stored,
    }
}

/// A token secret as Entra's upload takes it: unpadded base32. A secret that does not
/// decode is written as stored (the reader reports it).
fn entra_secret(stored: &str, format: &str) -> String {
    let decoded = if format == "hex" {
        OathSecret::from_hex(stored)
    } else {
        OathSecret::from_base32(stored)
    };
    match decoded {
        Ok(s) => secrecy::ExposeSecret::expose_secret(&s.expose_base32()).to_string(),
        Err(_) => stored.to_string(),
    }
}

/// Write what the console and a token vendor give: `Multi-Factor Authentication
/// Users.csv` (UTF-8 with BOM, CRLF) and `hardware-oath-tokens.csv` in Entra's upload
/// format plus a `hash function` column. HOTP tokens are left out of the seed file:
/// Entra's upload takes TOTP only. `out` must not exist or be empty.
pub fn write_export_csv(
    pop: &Population,
    out: &Path,
    opts: &WriteOptions,
) -> Result<Written, WriteError> {
    let temp = temp_folder(out)?;
    let users_path = temp.path.join(EXPORT_USERS_FILE);
    let seed_path = temp.path.join(SEED_FILE);
    let csv_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| WriteError::Csv { path, source }
    };
    let mut users_file = create_private_file(&users_path)?;
    users_file
        .write_all(b"\xEF\xBB\xBF")
        .map_err(io_err(&users_path))?;
    let mut users = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(BufWriter::with_capacity(1 << 16, users_file));
    users
        .write_record(EXPORT_HEADER)
        .map_err(csv_err(&users_path))?;
    let mut seeds = csv_writer(&seed_path)?;
    let mut header: Vec<&str> = ENTRA_SEED_HEADER.to_vec();
    header.push("hash function");
    seeds.write_record(&header).map_err(csv_err(&seed_path))?;

    let mut written = Written::default();
    let first = with_people(pop, |people| -> Result<Option<Person>, WriteError> {
        let mut first = None;
        for p in people {
            if p.presence == Presence::EntraOnly {
                continue;
            }
            let m = &p.mfa;
            let last_auth = iso(m.changed_at);
            let enabled = if m.enabled { "Yes" } else { "No" };
            let s = |v: &Option<String>| v.as_deref().unwrap_or("").to_string();
            users
                .write_record([
                    m.username.clone(),
                    s(&m.email),
                    s(&m.country_code),
                    s(&m.phone),
                    s(&m.extension),
                    s(&m.backup_country_code),
                    s(&m.backup_phone),
                    s(&m.backup_extension),
                    m.default_method
                        .as_deref()
                        .map(method_display)
                        .unwrap_or("")
                        .to_string(),
                    enabled.to_string(),
                    s(&m.language),
                    last_auth,
                ])
                .map_err(csv_err(&users_path))?;
            written.users += 1;
            for t in m.tokens.iter().filter(|t| t.token_type == "totp") {
                seeds
                    .write_record([
                        p.upn.as_str(),
                        t.serial.as_str(),
                        &entra_secret(&t.secret, &t.secret_format),
                        &t.time_step.to_string(),
                        t.manufacturer.as_str(),
                        t.model.as_str(),
                        t.hash_function.as_str(),
                    ])
                    .map_err(csv_err(&seed_path))?;
                written.tokens += 1;
            }
            if first.is_none() {
                first = Some(p);
            }
        }
        Ok(first)
    })?;
    if opts.extras {
        if let Some(p) = &first {
            users
                .write_record([
                    p.mfa.username.as_str(),
                    "",
                    "1",
                    "425 555 0123",
                    "",
                    "",
                    "",
                    "",
                    "Phone Call",
                    "Yes",
                    "en",
                    "",
                ])
                .map_err(csv_err(&users_path))?;
            written.users += 1;
            written
                .extras
                .push(format!("duplicate username {:?}", p.mfa.username));
        }
        let secret = entra_secret("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "base32");
        seeds
            .write_record([
                &format!("former.employee@{}", super::DOMAIN),
                "ORPHAN-000002",
                &secret,
                "30",
                "Token2",
                "C302",
                "hmacsha1",
            ])
            .map_err(csv_err(&seed_path))?;
        written.tokens += 1;
        written
            .extras
            .push("seed row ORPHAN-000002: no user has this serial or UPN".into());
    }
    users.flush().map_err(io_err(&users_path))?;
    seeds.flush().map_err(io_err(&seed_path))?;
    drop(users);
    drop(seeds);
    finish_folder(temp, out)?;
    written.files = vec![out.join(EXPORT_USERS_FILE), out.join(SEED_FILE)];
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_has_the_reference_layout_and_is_private() -> Result<(), Box<dyn std::error::Error>>
    {
        let dir = tempfile::tempdir()?;
        let out = dir.path().join("s.pfdata");
        let pop = Population::new(1, 300);
        let w = write_snapshot(&pop, &out, &WriteOptions::default())?;
        let db = rusqlite::Connection::open(&out)?;
        let layout: String = db.query_row(
            "SELECT value FROM layout_info WHERE key = 'layout'",
            [],
            |r| r.get(0),
        )?;
        assert_eq!(layout, "reference");
        let users: i64 = db.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?;
        let users = users as u64;
        assert_eq!(users, w.users);
        let expected = pop
            .people()
            .filter(|p| p.presence != Presence::EntraOnly)
            .count() as u64
            + 2;
        assert_eq!(users, expected);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&out)?.permissions().mode() & 0o777, 0o600);
        }
        // Nothing left beside it.
        assert_eq!(fs::read_dir(dir.path())?.count(), 1);
        Ok(())
    }

    #[test]
    fn same_seed_same_bytes() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let pop = Population::new(7, 120);
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        write_export_csv(&pop, &a, &WriteOptions::default())?;
        write_export_csv(&pop, &b, &WriteOptions::default())?;
        for f in [EXPORT_USERS_FILE, SEED_FILE] {
            assert_eq!(fs::read(a.join(f))?, fs::read(b.join(f))?);
        }
        Ok(())
    }

    #[test]
    fn refuses_a_non_empty_folder_and_leaves_it_alone() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        fs::write(dir.path().join("keep.txt"), "x")?;
        let err = write_export_csv(&Population::new(1, 5), dir.path(), &WriteOptions::default());
        assert!(matches!(err, Err(WriteError::FolderNotEmpty { .. })));
        assert_eq!(fs::read_dir(dir.path())?.count(), 1);
        Ok(())
    }
}
