//! Large inputs read on several cores, in order: one thread reads rows (SQLite or CSV)
//! into chunks, worker threads check them (UTF-8, phones, names, secrets, timestamps),
//! and the calling thread puts the results into the data set in row order.
//!
//! Chunks are bounded in number, so memory stays flat however large the input; a chunk's
//! rows travel on with what was checked (text is referenced, not copied) and go back to
//! the reader to be refilled once the data set has taken them. Phone normalisation's
//! memo is per thread, so each worker warms its own.

use std::collections::BTreeMap;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use super::convert::{self, Problems, ValueMaps};
use super::error::FileError;
use super::known::Known;
use super::layout::{DeviceField, Field, TokenField, UserField};
use super::model::{
    HashFunction, MfaMethod, MobileAppMode, NewUser, OathKind, PhoneCallMode, RowProblem,
    TextMessageMode, TimeStep,
};
use super::raw::{RawRow, RawRows};
use crate::phone::PhoneNumber;
use crate::secret::OathSecret;

/// Rows per chunk.
pub const CHUNK_ROWS: usize = 1024;
/// Bytes of text after which a chunk is sent however few its rows (huge fields).
const CHUNK_BYTES: usize = 1 << 20;
/// Chunks in flight between two stages. Generous, so that the reader can run ahead
/// while the first phone waits for the phone-number metadata (tens of milliseconds):
/// a raw chunk of an Export Users CSV is about 300 KB (its text and 19 slots a row).
const IN_FLIGHT: usize = 48;

/// Rows as read, before checking.
pub enum RawChunk {
    Users(RawRows<UserField>),
    Devices(RawRows<DeviceField>),
    Tokens(RawRows<TokenField>),
}

/// Rows checked: what the builder takes, with the rows their text is in.
pub enum Parsed {
    Users(UserChunk),
    Devices(DeviceChunk),
    Tokens(TokenChunk),
}

impl Parsed {
    /// The rows, to be refilled.
    fn recycle(self) -> RawChunk {
        match self {
            Parsed::Users(c) => RawChunk::Users(c.raw),
            Parsed::Devices(c) => RawChunk::Devices(c.raw),
            Parsed::Tokens(c) => RawChunk::Tokens(c.raw),
        }
    }
}

type Span = (u32, u32);

/// Text a checked row keeps: a range of its chunk's (UTF-8-checked) rows, or of the
/// chunk's own text (values a mapping translated, and rows that were not valid UTF-8 as a
/// whole).
#[derive(Debug, Clone, Copy)]
pub enum TextRef {
    Raw(u32, u32),
    Own(u32, u32),
}

impl TextRef {
    /// Where `s` is: inside `raw` (borrowed from the rows) or copied to `own`.
    fn of(raw: Option<&str>, own: &mut ChunkText, s: &str) -> TextRef {
        if let Some(t) = raw {
            let (base, p) = (t.as_ptr() as usize, s.as_ptr() as usize);
            if p >= base && p + s.len() <= base + t.len() {
                let start = (p - base) as u32;
                return TextRef::Raw(start, start + s.len() as u32);
            }
        }
        let (a, b) = own.push(s);
        TextRef::Own(a, b)
    }
}

/// Text a chunk owns, and spans into it.
#[derive(Default)]
pub struct ChunkText(String);

impl ChunkText {
    fn push(&mut self, s: &str) -> Span {
        let start = self.0.len() as u32;
        self.0.push_str(s);
        (start, self.0.len() as u32)
    }

    fn get(&self, span: Span) -> &str {
        self.0.get(span.0 as usize..span.1 as usize).unwrap_or("")
    }
}

/// The text behind a [`TextRef`].
fn resolve<'a, F: Field>(raw: &'a RawRows<F>, own: &'a ChunkText, r: TextRef) -> &'a str {
    match r {
        TextRef::Raw(a, b) => raw
            .text()
            .and_then(|t| t.get(a as usize..b as usize))
            .unwrap_or(""),
        TextRef::Own(a, b) => own.get((a, b)),
    }
}

/// FNV-1a of the lower-cased username: only groups candidates for duplicate usernames,
/// which are then compared. Computed on the workers.
pub fn username_hash(name: &str) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: u8| h = (h ^ b as u64).wrapping_mul(PRIME);
    if name.is_ascii() {
        name.bytes().for_each(|b| eat(b.to_ascii_lowercase()));
    } else {
        name.to_lowercase().bytes().for_each(eat);
    }
    h
}

/// A checked user row.
pub struct OwnedUser {
    pub row: u64,
    pub user_id: Option<i64>,
    /// [`username_hash`] of the username.
    pub name_hash: u64,
    username: TextRef,
    upn: Option<TextRef>,
    sid: Option<TextRef>,
    email: Option<TextRef>,
    language: Option<TextRef>,
    attributes: Vec<(String, String)>,
    phone: Known<Option<PhoneNumber>>,
    backup_phone: Known<Option<PhoneNumber>>,
    default_method: Known<Option<MfaMethod>>,
    phone_call_mode: Known<Option<PhoneCallMode>>,
    text_message_mode: Known<Option<TextMessageMode>>,
    mobile_app_mode: Known<Option<MobileAppMode>>,
    enabled: Known<bool>,
    changed_at: Option<chrono::DateTime<chrono::Utc>>,
}

pub struct UserChunk {
    raw: RawRows<UserField>,
    text: ChunkText,
    pub users: Vec<OwnedUser>,
    pub problems: Vec<RowProblem>,
}

impl UserChunk {
    fn get(&self, r: TextRef) -> &str {
        resolve(&self.raw, &self.text, r)
    }

    pub fn username(&self, u: &OwnedUser) -> &str {
        self.get(u.username)
    }

    /// Hand a user to `f` as a [`NewUser`] borrowing from this chunk.
    pub fn with_new_user<R>(
        &self,
        u: &OwnedUser,
        carries_devices: bool,
        carries_tokens: bool,
        f: impl FnOnce(NewUser<'_>) -> R,
    ) -> R {
        let attrs: Vec<(&str, &str)> = u
            .attributes
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let opt = |r: Option<TextRef>| r.map(|r| self.get(r));
        f(NewUser {
            source: None,
            username: self.get(u.username),
            upn: opt(u.upn),
            sid: opt(u.sid),
            email: opt(u.email),
            ad_attributes: &attrs,
            language: opt(u.language),
            phone: u.phone,
            backup_phone: u.backup_phone,
            default_method: u.default_method,
            phone_call_mode: u.phone_call_mode,
            text_message_mode: u.text_message_mode,
            mobile_app_mode: u.mobile_app_mode,
            enabled: u.enabled,
            changed_at: u.changed_at,
            carries_devices,
            carries_tokens,
        })
    }
}

/// A checked device row; `problems` are the indices of its own problems in the chunk.
pub struct OwnedDevice {
    pub row: u64,
    pub user_id: i64,
    name: TextRef,
    pub has_push_token: bool,
    pub oath_secret: Option<OathSecret>,
    pub activated_at: Option<chrono::DateTime<chrono::Utc>>,
    pub problems: std::ops::Range<usize>,
}

pub struct DeviceChunk {
    raw: RawRows<DeviceField>,
    text: ChunkText,
    pub devices: Vec<OwnedDevice>,
    pub problems: Vec<RowProblem>,
}

impl DeviceChunk {
    pub fn name(&self, d: &OwnedDevice) -> &str {
        resolve(&self.raw, &self.text, d.name)
    }
}

/// A checked token row.
pub struct OwnedToken {
    pub row: u64,
    pub user_id: Option<i64>,
    pub serial: String,
    pub secret: Option<OathSecret>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub kind: OathKind,
    pub time_step: TimeStep,
    pub hash: HashFunction,
    pub added_at: Option<chrono::DateTime<chrono::Utc>>,
    pub problems: std::ops::Range<usize>,
}

pub struct TokenChunk {
    raw: RawRows<TokenField>,
    pub tokens: Vec<OwnedToken>,
    pub problems: Vec<RowProblem>,
}

/// Check one chunk of rows (runs on a worker thread).
pub fn parse(chunk: RawChunk, input: usize, values: &ValueMaps) -> Parsed {
    let mut list = Vec::new();
    match chunk {
        RawChunk::Users(mut rows) => {
            rows.check_utf8();
            let mut text = ChunkText::default();
            let mut users = Vec::with_capacity(rows.len());
            let whole = rows.text();
            for raw in rows.iter() {
                let mut problems = Problems {
                    input,
                    list: &mut list,
                };
                if let Some(p) = convert::user(raw, values, &mut problems) {
                    let mut at = |s: &str| TextRef::of(whole, &mut text, s);
                    users.push(OwnedUser {
                        row: p.row,
                        user_id: p.user_id,
                        name_hash: username_hash(&p.username),
                        username: at(&p.username),
                        upn: p.upn.as_deref().map(&mut at),
                        sid: p.sid.as_deref().map(&mut at),
                        email: p.email.as_deref().map(&mut at),
                        language: p.language.as_deref().map(&mut at),
                        attributes: p.attributes,
                        phone: p.phone,
                        backup_phone: p.backup_phone,
                        default_method: p.default_method,
                        phone_call_mode: p.phone_call_mode,
                        text_message_mode: p.text_message_mode,
                        mobile_app_mode: p.mobile_app_mode,
                        enabled: p.enabled,
                        changed_at: p.changed_at,
                    });
                }
            }
            Parsed::Users(UserChunk {
                raw: rows,
                text,
                users,
                problems: list,
            })
        }
        RawChunk::Devices(mut rows) => {
            rows.check_utf8();
            let mut text = ChunkText::default();
            let mut devices = Vec::with_capacity(rows.len());
            let whole = rows.text();
            for raw in rows.iter() {
                let before = list.len();
                let mut problems = Problems {
                    input,
                    list: &mut list,
                };
                if let Some(d) = convert::device(raw, values, &mut problems) {
                    devices.push(OwnedDevice {
                        row: d.row,
                        user_id: d.user_id,
                        name: TextRef::of(whole, &mut text, &d.name),
                        has_push_token: d.has_push_token,
                        oath_secret: d.oath_secret,
                        activated_at: d.activated_at,
                        problems: before..list.len(),
                    });
                }
            }
            Parsed::Devices(DeviceChunk {
                raw: rows,
                text,
                devices,
                problems: list,
            })
        }
        RawChunk::Tokens(mut rows) => {
            rows.check_utf8();
            let mut tokens = Vec::with_capacity(rows.len());
            for raw in rows.iter() {
                let before = list.len();
                let mut problems = Problems {
                    input,
                    list: &mut list,
                };
                if let Some(t) = convert::token(raw, values, &mut problems) {
                    tokens.push(OwnedToken {
                        row: t.row,
                        user_id: t.user_id,
                        serial: t.serial.into_owned(),
                        secret: t.secret,
                        manufacturer: t.manufacturer.map(|s| s.into_owned()),
                        model: t.model.map(|s| s.into_owned()),
                        kind: t.kind,
                        time_step: t.time_step,
                        hash: t.hash,
                        added_at: t.added_at,
                        problems: before..list.len(),
                    });
                }
            }
            Parsed::Tokens(TokenChunk {
                raw: rows,
                tokens,
                problems: list,
            })
        }
    }
}

/// What a reader uses to hand chunks on and get used ones back.
pub struct Emitter {
    jobs: SyncSender<(u64, RawChunk)>,
    recycled: Receiver<RawChunk>,
    seq: std::cell::Cell<u64>,
}

impl Emitter {
    /// Send a full chunk; false when the consumer has stopped (then stop reading).
    pub fn send(&self, chunk: RawChunk) -> bool {
        let seq = self.seq.get();
        self.seq.set(seq + 1);
        self.jobs.send((seq, chunk)).is_ok()
    }

    fn recycled(&self) -> Option<RawChunk> {
        self.recycled.try_recv().ok()
    }
}

/// Fills chunks of rows of one table for an [`Emitter`].
pub struct Batcher<'e, F: Field> {
    emitter: &'e Emitter,
    rows: RawRows<F>,
    wrap: fn(RawRows<F>) -> RawChunk,
    unwrap: fn(RawChunk) -> Option<RawRows<F>>,
}

impl<'e, F: Field> Batcher<'e, F> {
    pub fn new(
        emitter: &'e Emitter,
        wrap: fn(RawRows<F>) -> RawChunk,
        unwrap: fn(RawChunk) -> Option<RawRows<F>>,
    ) -> Self {
        Batcher {
            emitter,
            rows: RawRows::default(),
            wrap,
            unwrap,
        }
    }

    /// Send the current chunk when it is full; false when the consumer has stopped.
    fn make_room(&mut self) -> bool {
        if self.rows.len() >= CHUNK_ROWS || self.rows.byte_len() >= CHUNK_BYTES {
            return self.flush();
        }
        true
    }

    /// Add CSV record `row`, whose column `i` feeds field `map[i]`; false when the
    /// consumer has stopped.
    pub fn push_record(&mut self, row: u64, record: &csv::ByteRecord, map: &[Option<F>]) -> bool {
        if !self.make_room() {
            return false;
        }
        let fields = map
            .iter()
            .enumerate()
            .filter_map(|(i, f)| Some((*f)?).map(|f| (f, record.range(i))));
        self.rows.push_ranges(row, record.as_slice(), fields);
        true
    }

    /// Add a copy of `row`; false when the consumer has stopped.
    pub fn push_copy(&mut self, row: &RawRow<F>) -> bool {
        if !self.make_room() {
            return false;
        }
        self.rows.push_copy(row);
        true
    }

    /// Send what is filled; false when the consumer has stopped.
    pub fn flush(&mut self) -> bool {
        if self.rows.is_empty() {
            return true;
        }
        let fresh = match self.emitter.recycled().and_then(self.unwrap) {
            Some(mut used) => {
                used.clear();
                used
            }
            None => RawRows::with_room_of(&self.rows),
        };
        let full = std::mem::replace(&mut self.rows, fresh);
        self.emitter.send((self.wrap)(full))
    }
}

pub fn users_chunk(rows: RawRows<UserField>) -> RawChunk {
    RawChunk::Users(rows)
}
pub fn users_rows(c: RawChunk) -> Option<RawRows<UserField>> {
    match c {
        RawChunk::Users(r) => Some(r),
        _ => None,
    }
}
pub fn devices_chunk(rows: RawRows<DeviceField>) -> RawChunk {
    RawChunk::Devices(rows)
}
pub fn devices_rows(c: RawChunk) -> Option<RawRows<DeviceField>> {
    match c {
        RawChunk::Devices(r) => Some(r),
        _ => None,
    }
}
pub fn tokens_chunk(rows: RawRows<TokenField>) -> RawChunk {
    RawChunk::Tokens(rows)
}
pub fn tokens_rows(c: RawChunk) -> Option<RawRows<TokenField>> {
    match c {
        RawChunk::Tokens(r) => Some(r),
        _ => None,
    }
}

/// Worker threads beside the reader and the caller.
fn workers() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get().saturating_sub(1))
        .unwrap_or(1)
        .clamp(1, 3)
}

/// Run `produce` on its own thread and [`parse`] on worker threads, handing every
/// parsed chunk to `consume` here, in the order produced (then its rows go back to the
/// reader). Returns what `produce` returned. An error from either side stops both.
pub fn run<R: Send>(
    input: usize,
    values: &ValueMaps,
    produce: impl FnOnce(&Emitter) -> Result<R, FileError> + Send,
    mut consume: impl FnMut(&mut Parsed) -> Result<(), FileError>,
) -> Result<R, FileError> {
    std::thread::scope(|s| {
        let (jobs_tx, jobs_rx) = sync_channel::<(u64, RawChunk)>(IN_FLIGHT);
        let (done_tx, done_rx) = sync_channel::<(u64, Parsed)>(IN_FLIGHT);
        let (recycle_tx, recycle_rx) = sync_channel::<RawChunk>(IN_FLIGHT);
        let producer = s.spawn(move || {
            let emitter = Emitter {
                jobs: jobs_tx,
                recycled: recycle_rx,
                seq: std::cell::Cell::new(0),
            };
            produce(&emitter)
        });
        let jobs = Arc::new(Mutex::new(jobs_rx));
        for _ in 0..workers() {
            let jobs = Arc::clone(&jobs);
            let done = done_tx.clone();
            s.spawn(move || {
                loop {
                    let job = match jobs.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok((seq, chunk)) = job else {
                        return;
                    };
                    if done.send((seq, parse(chunk, input, values))).is_err() {
                        return;
                    }
                }
            });
        }
        // Only the workers hold the job queue now: when they stop, the reader's next send
        // fails and it stops too (no deadlock when the consumer gives up early).
        drop(jobs);
        drop(done_tx);
        let mut next = 0u64;
        let mut waiting: BTreeMap<u64, Parsed> = BTreeMap::new();
        let mut failed = None;
        'chunks: for (seq, parsed) in done_rx.iter() {
            waiting.insert(seq, parsed);
            while let Some(mut p) = waiting.remove(&next) {
                next += 1;
                if let Err(e) = consume(&mut p) {
                    failed = Some(e);
                    break 'chunks;
                }
                // The reader may have finished; the rows are then just dropped.
                let _ = recycle_tx.try_send(p.recycle());
            }
        }
        // Dropping the receiver stops the workers, whose exit stops the reader.
        drop(done_rx);
        drop(waiting);
        drop(recycle_tx);
        let produced = producer.join().unwrap_or_else(|_| {
            Err(FileError::io(
                std::path::Path::new("reader thread"),
                &std::io::Error::other("the reader stopped unexpectedly"),
            ))
        });
        match failed {
            Some(e) => Err(e),
            None => produced,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datafile::error::FileProblem;

    fn user_rows(names: impl IntoIterator<Item = (String, u64)>) -> RawRows<UserField> {
        let mut rows = RawRows::default();
        for (name, row) in names {
            rows.push_ranges(
                row,
                name.as_bytes(),
                [(UserField::Username, Some(0..name.len()))],
            );
        }
        rows
    }

    #[test]
    fn chunks_arrive_in_order() -> Result<(), FileError> {
        let values = ValueMaps::default();
        let mut seen = Vec::new();
        let produced = run(
            0,
            &values,
            |em| {
                for i in 0..200u64 {
                    let rows = user_rows((0..7).map(|j| (format!("u{i}-{j}"), i * 7 + j)));
                    if !em.send(RawChunk::Users(rows)) {
                        break;
                    }
                }
                Ok(200)
            },
            |p| {
                if let Parsed::Users(c) = p {
                    seen.extend(c.users.iter().map(|u| u.row));
                    assert!(c.users.iter().all(|u| c.username(u).starts_with('u')));
                }
                Ok(())
            },
        )?;
        assert_eq!(produced, 200);
        assert_eq!(seen, (0..1400).collect::<Vec<_>>());
        Ok(())
    }

    #[test]
    fn a_consumer_error_stops_the_reader_without_hanging() {
        let values = ValueMaps::default();
        let mut sent = 0;
        let result = run(
            0,
            &values,
            |em| {
                // Far more chunks than fit in flight: the reader must notice the stop.
                for i in 0..10_000u64 {
                    if !em.send(RawChunk::Users(user_rows([("x".to_string(), i)]))) {
                        return Ok(i);
                    }
                }
                Ok(10_000)
            },
            |_| {
                sent += 1;
                Err(FileError::new(
                    std::path::Path::new("t"),
                    FileProblem::Corrupt,
                    "stop",
                    "x",
                ))
            },
        );
        assert_eq!(result.err().map(|e| e.found), Some("stop".to_string()));
        assert_eq!(sent, 1);
    }
}
