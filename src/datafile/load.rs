//! `load`: sniff every `--data-file`, read each the way its kind needs, and combine them
//! into one [`DataSet`].
//!
//! Order: inputs that carry users (snapshot, PhoneFactor.pfdata, Export Users CSV) in the
//! order given — the first creates users, later ones fill in what earlier ones could not
//! carry (users merged by username) — then OATH seed files, whose rows are joined to
//! tokens by serial number or to users by UPN. Everything is read-only; every input is
//! hashed (SHA-256) as it is read.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::columns::{TablePlans, list_or_none};
use super::convert::{self, Problems, ValueMaps};
use super::error::{FileError, FileProblem, INPUTS_EXPECTED};
use super::layout::{
    DeviceField, Field, LAYOUT_NAME, LAYOUT_VERSION, LayoutField, ServerField, ServiceField,
    SettingField, Table, TokenField, UserField,
};
use super::mapping::Mapping;
use super::model::{
    AuthService, DataSet, DataSetBuilder, InputKind, InputSummary, NewDevice, NewToken, ParseName,
    ProblemKind, RowProblem, RowRef, Server, ServerRole, ServiceKind, Settings, UserIdx,
};
use super::raw::{RawRow, RawRows};
use super::sniff::{
    CsvInput, IGNORED_COLUMNS, SEED_COLS, SeedCol, Source, UserAliases, seed_aliases, seed_field,
    sniff,
};
use super::sqlite::{self, ColumnPlan};
use super::stream::{self, Parsed};
use super::text::{self, CsvText, TextEncoding};

/// Read every input, read-only, into one data set. `mapping` is the mapping file for a
/// SQLite data file that does not have the reference layout (its `csv_aliases` also
/// extend the Export Users CSV header names).
pub fn load(inputs: &[PathBuf], mapping: Option<&Path>) -> Result<DataSet, FileError> {
    let mapping = mapping.map(Mapping::load).transpose()?;
    if inputs.is_empty() {
        return Err(FileError::new(
            Path::new("--data-file"),
            FileProblem::NotRecognised,
            "no input was given",
            INPUTS_EXPECTED,
        ));
    }
    // Sniff everything first: a bad input fails before minutes of reading.
    let mut sources = Vec::new();
    for path in inputs {
        sources.extend(sniff(path, mapping.as_ref())?);
    }
    let Some(first_users) = sources.iter().find(|s| !matches!(s, Source::SeedFile(_))) else {
        return Err(FileError::new(
            sources
                .first()
                .map_or(Path::new("--data-file"), Source::path),
            FileProblem::NoUsers,
            "only OATH seed files, which hold tokens but no users",
            "also an input that carries users: an Export Users CSV, a snapshot or a \
             PhoneFactor.pfdata (repeat --data-file)",
        ));
    };
    let mut loader = Loader::new(mapping.as_ref());
    for s in sources.iter().filter(|s| !matches!(s, Source::SeedFile(_))) {
        loader.read(s, mapping.as_ref())?;
    }
    if loader.builder.is_empty() && loader.problems.is_empty() {
        return Err(FileError::new(
            first_users.path(),
            FileProblem::NoUsers,
            "no user rows (a header or empty tables only)",
            "at least one user",
        ));
    }
    for s in sources.iter().filter(|s| matches!(s, Source::SeedFile(_))) {
        loader.read(s, mapping.as_ref())?;
    }
    Ok(loader.finish())
}

// ---------------------------------------------------------------------------------------
// The loader
// ---------------------------------------------------------------------------------------

struct Loader {
    builder: DataSetBuilder,
    problems: Vec<RowProblem>,
    values: ValueMaps,
    /// How many inputs that carry users were read (after the first, users merge).
    user_inputs: usize,
    services: Option<Vec<AuthService>>,
    settings: Option<Settings>,
    servers: Option<Vec<Server>>,
}

/// An input's identity: size, newest modification time, SHA-256.
struct FileFacts {
    size: u64,
    modified: Option<DateTime<Utc>>,
    sha256: String,
}

fn modified(path: &Path) -> Option<DateTime<Utc>> {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .map(DateTime::<Utc>::from)
}

/// Hash a file in full (SQLite inputs, whose bytes SQLite reads itself).
fn hash_file(path: &Path) -> Result<FileFacts, FileError> {
    let file = std::fs::File::open(path).map_err(|e| FileError::io(path, &e))?;
    let (sha256, size) = text::Hashing::new(std::io::BufReader::with_capacity(1 << 20, file))
        .finish()
        .map_err(|e| FileError::io(path, &e))?;
    Ok(FileFacts {
        size,
        modified: modified(path),
        sha256,
    })
}

/// Flags the rows of one input that share a username (case-insensitive): all are kept.
#[derive(Default)]
struct Duplicates {
    seen: Vec<(u64, u32, UserIdx)>,
}

impl Loader {
    fn new(mapping: Option<&Mapping>) -> Loader {
        Loader {
            builder: DataSetBuilder::default(),
            problems: Vec::new(),
            values: mapping.map(|m| m.values.clone()).unwrap_or_default(),
            user_inputs: 0,
            services: None,
            settings: None,
            servers: None,
        }
    }

    fn read(&mut self, source: &Source, mapping: Option<&Mapping>) -> Result<(), FileError> {
        match source {
            Source::ExportCsv(c) => self.read_export_csv(c, mapping),
            Source::SeedFile(c) => self.read_seed_file(c),
            Source::SnapshotSqlite(p) => self.read_sqlite(p, InputKind::SnapshotSqlite, None),
            Source::PfdataSqlite(p) => self.read_sqlite(p, InputKind::PfdataSqlite, mapping),
            Source::SnapshotFolder(d) => self.read_folder(d),
        }
    }

    fn add_input(&mut self, path: &Path, kind: InputKind) -> usize {
        self.builder.add_input(InputSummary {
            path: path.to_path_buf(),
            kind,
            size: 0,
            modified: None,
            sha256: String::new(),
            rows: 0,
            carries: Vec::new(),
            unknown_columns: Vec::new(),
            server_version: None,
            encoding: None,
            delimiter: None,
        })
    }

    fn summary(&mut self, input: usize) -> &mut InputSummary {
        // `input` always comes from `add_input` of this builder.
        self.builder
            .input_mut(input)
            .expect("input registered by add_input")
    }

    fn set_facts(&mut self, input: usize, facts: FileFacts) {
        let s = self.summary(input);
        s.size = facts.size;
        s.modified = facts.modified;
        s.sha256 = facts.sha256;
    }

    /// Push a user, or merge it into the user of the same name from an earlier input.
    fn add_user(
        &mut self,
        st: &mut Ingest,
        chunk: &stream::UserChunk,
        u: &stream::OwnedUser,
    ) -> UserIdx {
        let source = RowRef {
            input: st.input as u16,
            row: u.row.min(u32::MAX as u64) as u32,
        };
        let username = chunk.username(u);
        let existing = if self.user_inputs > 0 {
            self.builder.find_username(username)
        } else {
            None
        };
        let (devices, tokens) = st.carries;
        let idx = match existing {
            Some(idx) => {
                chunk.with_new_user(u, devices, tokens, |nu| self.builder.merge_user(idx, nu));
                idx
            }
            None => chunk.with_new_user(u, devices, tokens, |mut nu| {
                nu.source = Some(source);
                self.builder.push_user(nu)
            }),
        };
        st.dups.seen.push((u.name_hash, source.row, idx));
        idx
    }

    /// Take one parsed chunk of an input into the data set (in row order).
    fn ingest(&mut self, st: &mut Ingest, parsed: &mut Parsed) -> Result<(), FileError> {
        match parsed {
            Parsed::Users(chunk) => {
                self.problems.append(&mut chunk.problems);
                for u in &chunk.users {
                    let idx = self.add_user(st, chunk, u);
                    if let Some(id) = u.user_id {
                        st.ids.push((id, idx));
                    }
                }
            }
            Parsed::Devices(chunk) => {
                self.finish_users(st);
                let mut problems = std::mem::take(&mut chunk.problems);
                let devices = std::mem::take(&mut chunk.devices);
                let mut orphans = Vec::new();
                for d in devices {
                    let name = chunk.name(&d);
                    match lookup(&st.ids, d.user_id) {
                        Some(idx) => {
                            self.name_owner(&mut problems, d.problems.clone(), idx);
                            self.builder.push_device(
                                idx,
                                NewDevice {
                                    name,
                                    activated_at: d.activated_at,
                                    oath_secret: d.oath_secret,
                                    has_push_token: d.has_push_token,
                                },
                            );
                        }
                        None => orphans.push(RowProblem {
                            input: st.input,
                            row: Some(d.row),
                            user: None,
                            field: "user_id".into(),
                            kind: ProblemKind::DeviceWithoutUser,
                            reason: format!(
                                "device {name:?}: user_id {} is not in the users table",
                                d.user_id
                            ),
                            set_aside: true,
                        }),
                    }
                }
                self.problems.append(&mut problems);
                self.problems.append(&mut orphans);
            }
            Parsed::Tokens(chunk) => {
                self.finish_users(st);
                let mut problems = std::mem::take(&mut chunk.problems);
                let tokens = std::mem::take(&mut chunk.tokens);
                let mut orphans = Vec::new();
                for t in tokens {
                    match t.user_id.and_then(|id| lookup(&st.ids, id)) {
                        Some(idx) => {
                            self.name_owner(&mut problems, t.problems.clone(), idx);
                            self.builder.push_token(
                                idx,
                                NewToken {
                                    serial: &t.serial,
                                    manufacturer: t.manufacturer.as_deref(),
                                    model: t.model.as_deref(),
                                    secret: t.secret,
                                    kind: t.kind,
                                    time_step: t.time_step,
                                    hash: t.hash,
                                    added_at: t.added_at,
                                },
                            );
                        }
                        None => orphans.push(RowProblem {
                            input: st.input,
                            row: Some(t.row),
                            user: None,
                            field: "user_id".into(),
                            kind: ProblemKind::TokenWithoutUser,
                            reason: match t.user_id {
                                Some(id) => format!(
                                    "token {}: user_id {id} is not in the users table",
                                    t.serial
                                ),
                                None => format!("token {}: no user_id", t.serial),
                            },
                            set_aside: true,
                        }),
                    }
                }
                self.problems.append(&mut problems);
                self.problems.append(&mut orphans);
            }
        }
        Ok(())
    }

    /// After the last user row of an input: index user ids, flag duplicate usernames.
    fn finish_users(&mut self, st: &mut Ingest) {
        if st.users_done {
            return;
        }
        st.users_done = true;
        self.user_inputs += 1;
        st.ids.sort_unstable_by_key(|(id, _)| *id);
        let dups = std::mem::take(&mut st.dups);
        self.flag_duplicates(st.input, dups);
    }

    /// Problems of a device or token row name the user who owns it.
    fn name_owner(
        &self,
        problems: &mut [RowProblem],
        range: std::ops::Range<usize>,
        owner: UserIdx,
    ) {
        if range.is_empty() {
            return;
        }
        let Some(name) = self.builder.user(owner).map(|u| u.username().to_string()) else {
            return;
        };
        for p in problems.iter_mut().take(range.end).skip(range.start) {
            p.user.get_or_insert_with(|| name.clone());
        }
    }

    /// Read users, devices and tokens through the [`stream`] pipeline: `produce` reads,
    /// workers check, this thread builds.
    fn stream_input<R: Send>(
        &mut self,
        st: &mut Ingest,
        produce: impl FnOnce(&stream::Emitter) -> Result<R, FileError> + Send,
    ) -> Result<R, FileError> {
        let values = std::mem::take(&mut self.values);
        let result = stream::run(st.input, &values, produce, |p| self.ingest(st, p));
        self.values = values;
        let r = result?;
        self.finish_users(st);
        Ok(r)
    }

    /// Problems from `from` on that say "not valid UTF-8" came, in a UTF-16 input, from
    /// text the decoder could not decode ([`text::UNDECODABLE`]): say so.
    fn relabel_undecodable(&mut self, encoding: TextEncoding, from: usize) {
        if !matches!(encoding, TextEncoding::Utf16Le | TextEncoding::Utf16Be) {
            return;
        }
        for p in self.problems.iter_mut().skip(from) {
            if p.kind == ProblemKind::InvalidUtf8 {
                p.kind = ProblemKind::InvalidUtf16;
                p.reason = format!(
                    "not valid {} (an unpaired surrogate or a stray byte): the field is left \
                     out rather than read with a replacement character",
                    encoding.name()
                );
            }
        }
    }

    /// Flag every row that shares its username with another row of the same input.
    fn flag_duplicates(&mut self, input: usize, mut dups: Duplicates) {
        dups.seen.sort_unstable_by_key(|(h, row, _)| (*h, *row));
        let mut i = 0;
        while i < dups.seen.len() {
            let h = dups.seen[i].0;
            let mut j = i + 1;
            while j < dups.seen.len() && dups.seen[j].0 == h {
                j += 1;
            }
            if j - i > 1 {
                // Same hash: group by the actual name (a hash collision is not a duplicate).
                let mut group: Vec<(String, u32, String)> = dups.seen[i..j]
                    .iter()
                    .filter_map(|(_, row, idx)| {
                        let name = self.builder.user(*idx)?.username().to_string();
                        Some((name.to_lowercase(), *row, name))
                    })
                    .collect();
                group.sort();
                let mut a = 0;
                while a < group.len() {
                    let mut b = a + 1;
                    while b < group.len() && group[b].0 == group[a].0 {
                        b += 1;
                    }
                    if b - a > 1 {
                        let rows: Vec<String> =
                            group[a..b].iter().map(|(_, r, _)| r.to_string()).collect();
                        for (_, row, name) in &group[a..b] {
                            self.problems.push(RowProblem {
                                input,
                                row: Some(*row as u64),
                                user: Some(name.clone()),
                                field: "username".into(),
                                kind: ProblemKind::DuplicateUsername,
                                reason: format!(
                                    "the username is on {} rows ({}): matching reports a \
                                     conflict and migrates none of them",
                                    b - a,
                                    rows.join(", ")
                                ),
                                set_aside: false,
                            });
                        }
                    }
                    a = b;
                }
            }
            i = j;
        }
    }

    fn finish(mut self) -> DataSet {
        if let Some(s) = self.services.take() {
            self.builder.set_services(s);
        }
        if let Some(s) = self.settings.take() {
            self.builder.set_settings(s);
        }
        if let Some(s) = self.servers.take() {
            self.builder.set_servers(s);
        }
        for p in self.problems {
            self.builder.problem(p);
        }
        self.builder.finish()
    }

    // -----------------------------------------------------------------------------------
    // SQLite: reference snapshot or mapped PhoneFactor.pfdata
    // -----------------------------------------------------------------------------------

    fn read_sqlite(
        &mut self,
        path: &Path,
        kind: InputKind,
        mapping: Option<&Mapping>,
    ) -> Result<(), FileError> {
        let input = self.add_input(path, kind);
        // Hash on a second thread while SQLite reads.
        let facts = std::thread::scope(|s| {
            let hashing = s.spawn(|| hash_file(path));
            let read = self.read_sqlite_tables(path, input, kind, mapping);
            let facts = hashing
                .join()
                .unwrap_or_else(|_| Err(FileError::io(path, &std::io::Error::other("hashing"))));
            read.and(facts)
        })?;
        self.set_facts(input, facts);
        Ok(())
    }

    fn read_sqlite_tables(
        &mut self,
        path: &Path,
        input: usize,
        kind: InputKind,
        mapping: Option<&Mapping>,
    ) -> Result<(), FileError> {
        let conn = sqlite::open(path)?;
        let tables = sqlite::tables(&conn, path)?;
        if kind == InputKind::SnapshotSqlite {
            self.check_layout(&conn, path, input)?;
        }
        let plans = TablePlans::build(&conn, path, &tables, mapping, kind)?;
        let users_plan = plans.users.as_ref().ok_or_else(|| {
            FileError::new(
                path,
                FileProblem::NoUsers,
                format!(
                    "a SQLite file without a users table (tables: {})",
                    list_or_none(&tables)
                ),
                if kind == InputKind::SnapshotSqlite {
                    "a users table, as in the reference layout (datafile-reference.sql)".to_string()
                } else {
                    "a mapping file naming the table that holds users ([tables] users = \
                     \"...\"); `inspect --schema` lists this file's tables and columns"
                        .to_string()
                },
            )
        })?;
        let expected = sqlite::count(&conn, path, &users_plan.table)?;
        self.builder.reserve_users(expected as usize);
        let mut st = Ingest::new(input, (plans.devices.is_some(), plans.tokens.is_some()));
        st.ids.reserve_exact(expected as usize);
        let (devices_plan, tokens_plan) = (&plans.devices, &plans.tokens);
        let rows = self.stream_input(&mut st, |em| {
            // The reader thread has its own connection.
            let conn = sqlite::open(path)?;
            let rows = sqlite_batches(
                &conn,
                path,
                users_plan,
                em,
                stream::users_chunk,
                stream::users_rows,
            )?;
            if let Some(plan) = devices_plan {
                sqlite_batches(
                    &conn,
                    path,
                    plan,
                    em,
                    stream::devices_chunk,
                    stream::devices_rows,
                )?;
            }
            if let Some(plan) = tokens_plan {
                sqlite_batches(
                    &conn,
                    path,
                    plan,
                    em,
                    stream::tokens_chunk,
                    stream::tokens_rows,
                )?;
            }
            Ok(rows)
        })?;
        let mut carries: Vec<String> = users_plan
            .columns
            .iter()
            .map(|(f, _)| f.column().to_string())
            .filter(|c| c != "user_id")
            .collect();
        if plans.devices.is_some() {
            carries.push("devices".into());
        }
        if plans.tokens.is_some() {
            carries.push("tokens".into());
        }
        if let Some(plan) = &plans.services {
            self.services = Some(self.read_services(&conn, path, input, plan)?);
            carries.push("services".into());
        }
        if let Some(plan) = &plans.settings {
            self.settings = Some(read_settings(&conn, path, plan)?);
            carries.push("settings".into());
        }
        if let Some(plan) = &plans.servers {
            let servers = read_servers(&conn, path, plan)?;
            if let Some(v) = servers
                .iter()
                .find(|s| s.role == ServerRole::Primary)
                .and_then(|s| s.version.clone())
            {
                self.summary(input).server_version.get_or_insert(v);
            }
            self.servers = Some(servers);
            carries.push("servers".into());
        }
        let s = self.summary(input);
        s.rows = rows;
        s.carries = carries;
        s.unknown_columns = plans.unknown_columns;
        Ok(())
    }

    /// A reference snapshot says so in `layout_info`; its version must be one this build
    /// reads.
    fn check_layout(
        &mut self,
        conn: &rusqlite::Connection,
        path: &Path,
        input: usize,
    ) -> Result<(), FileError> {
        let plan = ColumnPlan {
            table: "layout_info".to_string(),
            columns: vec![
                (LayoutField::Key, "key".to_string()),
                (LayoutField::Value, "value".to_string()),
            ],
        };
        let mut info = HashMap::new();
        sqlite::read_rows(conn, path, &plan, |r| {
            if let (Some(k), Some(v)) = (r.bytes(LayoutField::Key), r.bytes(LayoutField::Value)) {
                info.insert(
                    String::from_utf8_lossy(k).trim().to_string(),
                    String::from_utf8_lossy(v).trim().to_string(),
                );
            }
            Ok(())
        })?;
        let layout = info.get("layout").map(String::as_str).unwrap_or("");
        let version = info.get("version").map(String::as_str).unwrap_or("");
        if layout != LAYOUT_NAME || version != LAYOUT_VERSION {
            return Err(FileError::new(
                path,
                FileProblem::UnsupportedVersion,
                format!("layout_info says layout {layout:?}, version {version:?}"),
                format!(
                    "layout \"{LAYOUT_NAME}\", version \"{LAYOUT_VERSION}\" (or a mapping file \
                     for any other SQLite layout)"
                ),
            ));
        }
        self.summary(input).server_version = info.get("server_version").cloned();
        Ok(())
    }

    fn read_services(
        &mut self,
        conn: &rusqlite::Connection,
        path: &Path,
        input: usize,
        plan: &ColumnPlan<ServiceField>,
    ) -> Result<Vec<AuthService>, FileError> {
        let mut out = Vec::new();
        sqlite::read_rows(conn, path, plan, |raw| {
            if let Some(s) = self.service_row(input, raw) {
                out.push(s);
            }
            Ok(())
        })?;
        Ok(out)
    }

    fn service_row(&mut self, input: usize, raw: &RawRow<ServiceField>) -> Option<AuthService> {
        let text = |f| {
            raw.bytes(f)
                .map(|b| String::from_utf8_lossy(b).trim().to_string())
        };
        let name = text(ServiceField::Name).unwrap_or_default();
        let kind_text = text(ServiceField::Kind).unwrap_or_default();
        let Some(kind) = convert::parse_loose::<ServiceKind>(&kind_text) else {
            self.problems.push(RowProblem {
                input,
                row: Some(raw.row),
                user: None,
                field: "kind".into(),
                kind: ProblemKind::UnknownValue,
                reason: format!(
                    "service {name:?}: kind {kind_text:?} is not one of radius, ldap, iis, \
                     windows, adfs, user_portal, mobile_app_web_service, web_service_sdk"
                ),
                set_aside: true,
            });
            return None;
        };
        let mut detail = match text(ServiceField::Detail) {
            Some(json) => match serde_json::from_str::<serde_json::Value>(&json) {
                Ok(serde_json::Value::Object(m)) => m,
                _ => {
                    // Not echoed: a malformed detail may still hold a secret.
                    self.problems.push(RowProblem {
                        input,
                        row: Some(raw.row),
                        user: None,
                        field: "detail".into(),
                        kind: ProblemKind::UnknownValue,
                        reason: format!("service {name:?}: detail is not a JSON object"),
                        set_aside: false,
                    });
                    serde_json::Map::new()
                }
            },
            None => serde_json::Map::new(),
        };
        convert::drop_secrets(&mut detail);
        Some(AuthService {
            kind,
            name,
            address: text(ServiceField::Address),
            detail,
            enabled: text(ServiceField::Enabled)
                .and_then(|t| convert::parse_bool(&t))
                .unwrap_or(true),
        })
    }

    // -----------------------------------------------------------------------------------
    // Snapshot folder
    // -----------------------------------------------------------------------------------

    fn read_folder(&mut self, dir: &Path) -> Result<(), FileError> {
        let input = self.add_input(dir, InputKind::SnapshotFolder);
        let present = |t: Table| Some(dir.join(t.csv_file())).filter(|p| p.is_file());
        let Some(users_path) = present(Table::Users) else {
            return Err(FileError::new(
                dir,
                FileProblem::NoUsers,
                "a folder without users.csv",
                "a snapshot folder holding users.csv",
            ));
        };
        let mut unknown = Vec::new();
        let users = CsvTable::<UserField>::open(&users_path, &mut unknown)?;
        if !users.map.contains(&Some(UserField::Username)) {
            return Err(FileError::new(
                &users_path,
                FileProblem::NoUsers,
                format!(
                    "users.csv without a username column ({})",
                    users.header.join(",")
                ),
                format!(
                    "the reference columns: {}",
                    Table::Users.columns().join(",")
                ),
            ));
        }
        let devices = present(Table::MobileAppDevices)
            .map(|p| CsvTable::<DeviceField>::open(&p, &mut unknown))
            .transpose()?;
        let tokens = present(Table::OathTokens)
            .map(|p| CsvTable::<TokenField>::open(&p, &mut unknown))
            .transpose()?;
        let mut st = Ingest::new(input, (devices.is_some(), tokens.is_some()));
        let first_problem = self.problems.len();
        let (rows, mut digests) = self.stream_input(&mut st, |em| {
            let mut digests = Vec::new();
            let (rows, d) = users.batches(em, stream::users_chunk, stream::users_rows)?;
            digests.push(d);
            if let Some(t) = &devices {
                digests.push(
                    t.batches(em, stream::devices_chunk, stream::devices_rows)?
                        .1,
                );
            }
            if let Some(t) = &tokens {
                digests.push(t.batches(em, stream::tokens_chunk, stream::tokens_rows)?.1);
            }
            Ok((rows, digests))
        })?;
        // The tables of one folder share the users table's encoding in practice.
        self.relabel_undecodable(users.encoding, first_problem);
        for d in &mut digests {
            if let Some(cut) = d.cut.take() {
                let mut p = cut.problem(input);
                if let Some(name) = d.path.file_name() {
                    p.field = format!("{}: {}", name.to_string_lossy(), p.field);
                }
                self.problems.push(p);
            }
        }
        let mut carries: Vec<String> = users
            .map
            .iter()
            .flatten()
            .filter(|f| **f != UserField::UserId)
            .map(|f| f.column().to_string())
            .collect();
        if devices.is_some() {
            carries.push("devices".into());
        }
        if tokens.is_some() {
            carries.push("tokens".into());
        }
        // The small tables, read here.
        if let Some(path) = present(Table::LayoutInfo) {
            let t = CsvTable::<LayoutField>::open(&path, &mut unknown)?;
            let mut version = None;
            digests.push(t.each(|r| {
                if r.bytes(LayoutField::Key) == Some(b"server_version")
                    && let Some(v) = r.bytes(LayoutField::Value)
                {
                    version = Some(String::from_utf8_lossy(v).into_owned());
                }
            })?);
            self.summary(input).server_version = version;
        }
        if let Some(path) = present(Table::AuthServices) {
            let t = CsvTable::<ServiceField>::open(&path, &mut unknown)?;
            let mut rows = Vec::new();
            digests.push(t.each(|r| rows.push(r.clone()))?);
            let services = rows
                .iter()
                .filter_map(|r| self.service_row(input, r))
                .collect();
            self.services = Some(services);
            carries.push("services".into());
        }
        if let Some(path) = present(Table::Settings) {
            let t = CsvTable::<SettingField>::open(&path, &mut unknown)?;
            let mut settings = Settings::default();
            digests.push(t.each(|r| setting_row(&mut settings, r))?);
            self.settings = Some(settings);
            carries.push("settings".into());
        }
        if let Some(path) = present(Table::Servers) {
            let t = CsvTable::<ServerField>::open(&path, &mut unknown)?;
            let mut servers = Vec::new();
            digests.push(t.each(|r| servers.extend(server_row(r)))?);
            if let Some(v) = servers
                .iter()
                .find(|s| s.role == ServerRole::Primary)
                .and_then(|s| s.version.clone())
            {
                self.summary(input).server_version.get_or_insert(v);
            }
            self.servers = Some(servers);
            carries.push("servers".into());
        }
        // One digest for the folder: of every file's digest, in path order.
        use sha2::Digest;
        digests.sort_by(|a, b| a.path.cmp(&b.path));
        let mut hash = sha2::Sha256::new();
        for d in &digests {
            hash.update(d.sha256.as_bytes());
            hash.update(b"\n");
        }
        let s = self.summary(input);
        s.rows = rows;
        s.carries = carries;
        s.unknown_columns = unknown;
        self.set_facts(
            input,
            FileFacts {
                size: digests.iter().map(|d| d.size).sum(),
                modified: digests.iter().filter_map(|d| d.modified).max(),
                sha256: data_encoding::HEXLOWER.encode(&hash.finalize()),
            },
        );
        Ok(())
    }

    // -----------------------------------------------------------------------------------
    // Export Users CSV
    // -----------------------------------------------------------------------------------

    fn read_export_csv(
        &mut self,
        c: &CsvInput,
        mapping: Option<&Mapping>,
    ) -> Result<(), FileError> {
        let input = self.add_input(&c.path, InputKind::ExportUsersCsv);
        let aliases = UserAliases::new(mapping);
        let mut map: Vec<Option<UserField>> = Vec::with_capacity(c.header.len());
        let mut unknown = Vec::new();
        for h in &c.header {
            let key = text::header_key(h);
            // A field named twice: the first column wins, the second is listed.
            let f = aliases.field(&key).filter(|f| !map.contains(&Some(*f)));
            if f.is_none()
                && !key.is_empty()
                && !IGNORED_COLUMNS.iter().any(|i| text::header_key(i) == key)
            {
                unknown.push(h.clone());
            }
            map.push(f);
        }
        // Room for as many users as the file's size and its first lines' length suggest.
        let size = std::fs::metadata(&c.path).map(|m| m.len()).unwrap_or(0);
        let head = text::read_head(&c.path, 64 * 1024)?;
        let lines = head.iter().filter(|b| **b == b'\n').count().max(1) as u64;
        let estimate = size.saturating_mul(lines) / (head.len().max(1) as u64);
        self.builder
            .reserve_users((estimate + estimate / 20) as usize);
        let table = CsvTable {
            path: c.path.clone(),
            encoding: c.encoding,
            delimiter: c.delimiter,
            header: c.header.clone(),
            map,
        };
        let mut st = Ingest::new(input, (false, false));
        let first_problem = self.problems.len();
        let (rows, mut digest) = self.stream_input(&mut st, |em| {
            table.batches(em, stream::users_chunk, stream::users_rows)
        })?;
        self.relabel_undecodable(c.encoding, first_problem);
        if let Some(cut) = digest.cut.take() {
            self.problems.push(cut.problem(input));
        }
        let s = self.summary(input);
        s.rows = rows;
        s.carries = table
            .map
            .iter()
            .flatten()
            .map(|f| f.column().to_string())
            .collect();
        s.unknown_columns = unknown;
        s.encoding = Some(c.encoding.name().to_string());
        s.delimiter = Some(c.delimiter as char);
        self.set_facts(
            input,
            FileFacts {
                size: digest.size,
                modified: digest.modified,
                sha256: digest.sha256,
            },
        );
        Ok(())
    }

    // -----------------------------------------------------------------------------------
    // OATH seed file
    // -----------------------------------------------------------------------------------

    fn read_seed_file(&mut self, c: &CsvInput) -> Result<(), FileError> {
        let input = self.add_input(&c.path, InputKind::OathSeedFile);
        let mut cols: Vec<Option<SeedCol>> = Vec::with_capacity(c.header.len());
        let mut unknown = Vec::new();
        for h in &c.header {
            let key = text::header_key(h);
            let col = SEED_COLS
                .iter()
                .copied()
                .find(|col| {
                    seed_aliases(*col)
                        .iter()
                        .any(|a| text::header_key(a) == key)
                })
                .filter(|col| !cols.contains(&Some(*col)));
            if col.is_none() && !key.is_empty() {
                unknown.push(h.clone());
            }
            cols.push(col);
        }
        let map: Vec<Option<TokenField>> = cols.iter().map(|c| c.and_then(seed_field)).collect();
        let upn_col = cols.iter().position(|c| *c == Some(SeedCol::Upn));
        // Index serials of tokens other inputs already hold, and users' UPNs.
        let mut serials: HashMap<String, Vec<usize>> = HashMap::new();
        for (pos, _, serial) in self.builder.token_serials() {
            serials.entry(serial.to_lowercase()).or_default().push(pos);
        }
        // The UPNs this file names, so that only those users are indexed (not all
        // 500,000 of them).
        let mut wanted = std::collections::HashSet::new();
        if let Some(i) = upn_col {
            let mut csv = CsvText::open(&c.path, c.encoding, c.delimiter)?;
            let mut record = csv::ByteRecord::new();
            let mut first = true;
            while csv
                .reader
                .read_byte_record(&mut record)
                .map_err(|e| text::csv_error(&c.path, &e))?
            {
                if !std::mem::take(&mut first)
                    && let Some(upn) = record.get(i)
                {
                    wanted.insert(String::from_utf8_lossy(upn).trim().to_lowercase());
                }
            }
        }
        let mut upn_index: HashMap<String, Vec<UserIdx>> = HashMap::new();
        let mut lower = String::new();
        for u in self.builder.users() {
            if let Some(upn) = u.match_upn() {
                lower.clear();
                if upn.is_ascii() {
                    lower.extend(upn.chars().map(|c| c.to_ascii_lowercase()));
                } else {
                    lower.push_str(&upn.to_lowercase());
                }
                if wanted.contains(lower.as_str()) {
                    upn_index.entry(lower.clone()).or_default().push(u.idx());
                }
            }
        }
        let mut csv = CsvText::open(&c.path, c.encoding, c.delimiter)?;
        let mut record = csv::ByteRecord::new();
        csv.reader
            .read_byte_record(&mut record)
            .map_err(|e| text::csv_error(&c.path, &e))?;
        let values = std::mem::take(&mut self.values);
        let mut raw = RawRow::<TokenField>::default();
        let mut rows = 0u64;
        let first_problem = self.problems.len();
        let result: Result<(), FileError> = (|| {
            // One record behind: the last one is checked for a cut before it is read.
            // `record` holds the row read ahead, `cur` the row being read.
            let mut next = csv::ByteRecord::new();
            let mut cur = csv::ByteRecord::new();
            let mut pending = false;
            loop {
                let more = csv
                    .reader
                    .read_byte_record(&mut next)
                    .map_err(|e| text::csv_error(&c.path, &e))?;
                if more && blank(&next) {
                    continue;
                }
                if !pending {
                    if !more {
                        break;
                    }
                    std::mem::swap(&mut record, &mut next);
                    pending = true;
                    continue;
                }
                std::mem::swap(&mut cur, &mut record);
                std::mem::swap(&mut record, &mut next);
                pending = more;
                rows += 1;
                if !more && let Some(why) = csv.last_record_cut(&cur, c.header.len()) {
                    let cut = CutRow::new(&cur, rows, &c.header, &map, upn_col, why);
                    self.problems.push(cut.problem(input));
                    break;
                }
                fill(&mut raw, &cur, &map, rows);
                let upn = upn_col
                    .and_then(|i| cur.get(i))
                    .map(|b| String::from_utf8_lossy(b).trim().to_string())
                    .filter(|u| !u.is_empty());
                let mut problems = Problems {
                    input,
                    list: &mut self.problems,
                };
                let Some(t) = convert::token(raw.view(), &values, &mut problems) else {
                    continue;
                };
                let step = raw
                    .bytes(TokenField::TimeStep)
                    .is_some()
                    .then_some(t.time_step);
                let hash = raw
                    .bytes(TokenField::HashFunction)
                    .is_some()
                    .then_some(t.hash);
                if let Some(positions) = serials.get(&t.serial.to_lowercase()) {
                    if let Some(secret) = &t.secret {
                        for pos in positions {
                            self.builder
                                .set_token_secret(*pos, secret.clone(), step, hash);
                        }
                    }
                    continue;
                }
                let owners = upn.as_ref().and_then(|u| upn_index.get(&u.to_lowercase()));
                match owners.map(Vec::as_slice) {
                    Some([owner]) => {
                        self.builder.push_token(
                            *owner,
                            NewToken {
                                serial: &t.serial,
                                manufacturer: t.manufacturer.as_deref(),
                                model: t.model.as_deref(),
                                secret: t.secret,
                                kind: t.kind,
                                time_step: t.time_step,
                                hash: t.hash,
                                added_at: t.added_at,
                            },
                        );
                    }
                    Some(many) if many.len() > 1 => problems.add(
                        t.row,
                        upn.as_deref(),
                        "upn",
                        ProblemKind::TokenWithoutUser,
                        format!(
                            "token {}: {} users have this UPN; the token is not assigned",
                            t.serial,
                            many.len()
                        ),
                        true,
                    ),
                    _ => problems.add(
                        t.row,
                        upn.as_deref(),
                        "serial_number",
                        ProblemKind::TokenWithoutUser,
                        match &upn {
                            Some(u) => format!(
                                "token {}: no user has this serial number or the UPN {u}",
                                t.serial
                            ),
                            None => format!(
                                "token {}: no user has this serial number (and the row has \
                                 no UPN)",
                                t.serial
                            ),
                        },
                        true,
                    ),
                }
            }
            Ok(())
        })();
        self.values = values;
        result?;
        self.relabel_undecodable(c.encoding, first_problem);
        let (sha256, size) = csv.finish(&c.path)?;
        let s = self.summary(input);
        s.rows = rows;
        s.carries = vec!["tokens".into(), "token_secrets".into()];
        s.unknown_columns = unknown;
        s.encoding = Some(c.encoding.name().to_string());
        s.delimiter = Some(c.delimiter as char);
        self.set_facts(
            input,
            FileFacts {
                size,
                modified: modified(&c.path),
                sha256,
            },
        );
        Ok(())
    }
}

/// What the calling thread keeps while one input streams in.
struct Ingest {
    input: usize,
    /// Whether this input carries devices / tokens at all.
    carries: (bool, bool),
    dups: Duplicates,
    /// `users.user_id` → user, sorted once the users are in.
    ids: Vec<(i64, UserIdx)>,
    users_done: bool,
}

impl Ingest {
    fn new(input: usize, carries: (bool, bool)) -> Ingest {
        Ingest {
            input,
            carries,
            dups: Duplicates::default(),
            ids: Vec::new(),
            users_done: false,
        }
    }
}

/// A file's digest, size and modification time, as read.
struct Digest {
    path: PathBuf,
    sha256: String,
    size: u64,
    modified: Option<DateTime<Utc>>,
    /// The last row, when the file ends in the middle of it (left out of the rows).
    cut: Option<CutRow>,
}

/// A last row the file ends in the middle of: a row problem, never a truncated value.
#[derive(Debug, Clone)]
struct CutRow {
    row: u64,
    /// The username, when its field is whole.
    user: Option<String>,
    /// The field the file ends in.
    field: String,
    reason: String,
}

impl CutRow {
    /// `record` is the last one, `row` its number; `why` from [`CsvText::last_record_cut`].
    /// The cut field is named as other row problems name fields: by the model's column
    /// when the header maps to one, else by the header.
    fn new<F: Field>(
        record: &csv::ByteRecord,
        row: u64,
        header: &[String],
        map: &[Option<F>],
        user_col: Option<usize>,
        why: String,
    ) -> CutRow {
        let last = record.len().saturating_sub(1);
        let field = match map.get(last) {
            Some(Some(f)) => f.column().to_string(),
            _ => header.get(last).cloned().unwrap_or_default(),
        };
        let user = user_col
            .filter(|i| *i < last)
            .and_then(|i| record.get(i))
            .map(|b| String::from_utf8_lossy(b).trim().to_string())
            .filter(|u| !u.is_empty());
        CutRow {
            row,
            user,
            field,
            reason: format!(
                "{why}; the row is set aside rather than read with a cut value: the file \
                 looks truncated, copy it again"
            ),
        }
    }

    fn problem(self, input: usize) -> RowProblem {
        RowProblem {
            input,
            row: Some(self.row),
            user: self.user,
            field: self.field,
            kind: ProblemKind::TruncatedRow,
            reason: self.reason,
            set_aside: true,
        }
    }
}

/// Every row of a SQLite table, in chunks, to the pipeline. Returns the rows read.
fn sqlite_batches<F: Field>(
    conn: &rusqlite::Connection,
    path: &Path,
    plan: &ColumnPlan<F>,
    em: &stream::Emitter,
    wrap: fn(RawRows<F>) -> stream::RawChunk,
    unwrap: fn(stream::RawChunk) -> Option<RawRows<F>>,
) -> Result<u64, FileError> {
    let mut batch = stream::Batcher::new(em, wrap, unwrap);
    let rows = sqlite::read_rows(conn, path, plan, |raw| {
        if batch.push_copy(raw) {
            Ok(())
        } else {
            Err(stopped(path))
        }
    })?;
    if !batch.flush() {
        return Err(stopped(path));
    }
    Ok(rows)
}

/// The consumer stopped (it has the real error, which wins).
fn stopped(path: &Path) -> FileError {
    FileError::io(path, &std::io::Error::other("reading stopped"))
}

/// A CSV file of one table: its header and which field each column feeds.
struct CsvTable<F: Field> {
    path: PathBuf,
    encoding: TextEncoding,
    delimiter: u8,
    header: Vec<String>,
    map: Vec<Option<F>>,
}

impl<F: Field> CsvTable<F> {
    /// Sniff the encoding, delimiter and header of a snapshot folder's table; columns
    /// the reference layout does not have are added to `unknown`.
    fn open(path: &Path, unknown: &mut Vec<String>) -> Result<CsvTable<F>, FileError> {
        let head = text::read_head(path, 64 * 1024)?;
        let encoding = text::detect_encoding(&head);
        let line = text::first_line(&head, encoding);
        let delimiter = text::detect_delimiter(&line);
        let header = text::split_header(&line, delimiter);
        let map = header_map::<F>(&header);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for (h, f) in header.iter().zip(&map) {
            if f.is_none() && !h.is_empty() {
                unknown.push(format!("{name}: {h}"));
            }
        }
        Ok(CsvTable {
            path: path.to_path_buf(),
            encoding,
            delimiter,
            header,
            map,
        })
    }

    /// Stream every record after the header to `each`; returns the digest.
    fn each(&self, mut each: impl FnMut(&RawRow<F>)) -> Result<Digest, FileError> {
        let mut csv = CsvText::open(&self.path, self.encoding, self.delimiter)?;
        let mut record = csv::ByteRecord::new();
        csv.reader
            .read_byte_record(&mut record)
            .map_err(|e| text::csv_error(&self.path, &e))?;
        read_csv(&mut csv, &self.path, &self.map, |r| {
            each(r);
            Ok(())
        })?;
        self.digest(csv)
    }

    /// Every record after the header, in chunks, to the pipeline: (rows, digest).
    fn batches(
        &self,
        em: &stream::Emitter,
        wrap: fn(RawRows<F>) -> stream::RawChunk,
        unwrap: fn(stream::RawChunk) -> Option<RawRows<F>>,
    ) -> Result<(u64, Digest), FileError> {
        let mut csv = CsvText::open(&self.path, self.encoding, self.delimiter)?;
        let mut record = csv::ByteRecord::new();
        csv.reader
            .read_byte_record(&mut record)
            .map_err(|e| text::csv_error(&self.path, &e))?;
        let mut batch = stream::Batcher::new(em, wrap, unwrap);
        let mut rows = 0;
        // One record behind: the last one is checked for a cut before it is read.
        let mut held = csv::ByteRecord::new();
        let mut holding = false;
        while csv
            .reader
            .read_byte_record(&mut record)
            .map_err(|e| text::csv_error(&self.path, &e))?
        {
            if blank(&record) {
                continue;
            }
            if holding {
                rows += 1;
                if !batch.push_record(rows, &held, &self.map) {
                    return Err(stopped(&self.path));
                }
            }
            std::mem::swap(&mut held, &mut record);
            holding = true;
        }
        let mut cut = None;
        if holding {
            rows += 1;
            match csv.last_record_cut(&held, self.header.len()) {
                Some(why) => {
                    cut = Some(CutRow::new(
                        &held,
                        rows,
                        &self.header,
                        &self.map,
                        self.user_col(),
                        why,
                    ));
                }
                None => {
                    if !batch.push_record(rows, &held, &self.map) {
                        return Err(stopped(&self.path));
                    }
                }
            }
        }
        if !batch.flush() {
            return Err(stopped(&self.path));
        }
        let mut digest = self.digest(csv)?;
        digest.cut = cut;
        Ok((rows, digest))
    }

    /// The column holding the username (or UPN), for naming a cut row's user.
    fn user_col(&self) -> Option<usize> {
        self.map
            .iter()
            .position(|f| f.is_some_and(|f| matches!(f.column(), "username" | "upn")))
    }

    fn digest(&self, csv: CsvText) -> Result<Digest, FileError> {
        let (sha256, size) = csv.finish(&self.path)?;
        Ok(Digest {
            path: self.path.clone(),
            sha256,
            size,
            modified: modified(&self.path),
            cut: None,
        })
    }
}

fn lookup(ids: &[(i64, UserIdx)], id: i64) -> Option<UserIdx> {
    ids.binary_search_by_key(&id, |(i, _)| *i)
        .ok()
        .and_then(|i| ids.get(i))
        .map(|(_, idx)| *idx)
}

/// Header names → reference fields (case-insensitive, spaces and underscores ignored).
fn header_map<F: Field>(header: &[String]) -> Vec<Option<F>> {
    let mut out: Vec<Option<F>> = Vec::with_capacity(header.len());
    for h in header {
        let key = text::header_key(h);
        let f = F::all()
            .iter()
            .copied()
            .find(|f| text::header_key(f.column()) == key)
            .filter(|f| !out.contains(&Some(*f)));
        out.push(f);
    }
    out
}

/// One CSV record into a row: mapped columns present (empty = null), others absent.
/// `row` is the record's number after the header (the csv crate's line numbers are off
/// by one after CRLF line ends, which Windows tools write).
fn fill<F: Field>(raw: &mut RawRow<F>, record: &csv::ByteRecord, map: &[Option<F>], row: u64) {
    raw.clear();
    raw.row = row;
    for (i, f) in map.iter().enumerate() {
        if let Some(f) = f {
            match record.get(i) {
                Some(v) => raw.set(*f, v),
                None => raw.set_null(*f),
            }
        }
    }
}

/// A record of blanks only (a blank line): skipped, not counted as a row. Stops at the
/// first field with anything in it, which is the first field of almost every record.
fn blank(record: &csv::ByteRecord) -> bool {
    record.iter().all(|f| f.trim_ascii().is_empty())
}

/// Every record after the header, blank lines skipped; returns the rows read.
fn read_csv<F: Field>(
    csv: &mut CsvText,
    path: &Path,
    map: &[Option<F>],
    mut each: impl FnMut(&RawRow<F>) -> Result<(), FileError>,
) -> Result<u64, FileError> {
    let mut record = csv::ByteRecord::new();
    let mut raw = RawRow::<F>::default();
    let mut n = 0;
    while csv
        .reader
        .read_byte_record(&mut record)
        .map_err(|e| text::csv_error(path, &e))?
    {
        if blank(&record) {
            continue;
        }
        n += 1;
        fill(&mut raw, &record, map, n);
        each(&raw)?;
    }
    Ok(n)
}

fn read_settings(
    conn: &rusqlite::Connection,
    path: &Path,
    plan: &ColumnPlan<SettingField>,
) -> Result<Settings, FileError> {
    let mut settings = Settings::default();
    sqlite::read_rows(conn, path, plan, |raw| {
        setting_row(&mut settings, raw);
        Ok(())
    })?;
    Ok(settings)
}

fn setting_row(settings: &mut Settings, raw: &RawRow<SettingField>) {
    let text = |f| {
        raw.bytes(f)
            .map(|b| String::from_utf8_lossy(b).trim().to_string())
    };
    let (Some(section), Some(key)) = (text(SettingField::Section), text(SettingField::Key)) else {
        return;
    };
    let value = text(SettingField::Value).unwrap_or_default();
    if section.eq_ignore_ascii_case("company") {
        settings.company.insert(key, value);
    } else if section.eq_ignore_ascii_case("user_portal") {
        settings.user_portal.insert(key, value);
    }
}

fn read_servers(
    conn: &rusqlite::Connection,
    path: &Path,
    plan: &ColumnPlan<ServerField>,
) -> Result<Vec<Server>, FileError> {
    let mut servers = Vec::new();
    sqlite::read_rows(conn, path, plan, |raw| {
        if let Some(s) = server_row(raw) {
            servers.push(s);
        }
        Ok(())
    })?;
    Ok(servers)
}

fn server_row(raw: &RawRow<ServerField>) -> Option<Server> {
    let text = |f| {
        raw.bytes(f)
            .map(|b| String::from_utf8_lossy(b).trim().to_string())
    };
    Some(Server {
        name: text(ServerField::Name)?,
        role: text(ServerField::Role)
            .and_then(|r| ServerRole::parse_name(&r))
            .unwrap_or(ServerRole::Subordinate),
        version: text(ServerField::Version),
        last_seen_at: text(ServerField::LastSeenAt).and_then(|t| convert::parse_timestamp(&t)),
    })
}
