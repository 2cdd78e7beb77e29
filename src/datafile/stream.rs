//! Large inputs read on several cores, in order: one thread reads rows (SQLite or CSV)
//! into chunks, worker threads check them (UTF-8, phones, names, secrets, timestamps),
//! and the calling thread puts the results into the data set in row order.
//!
//! Chunks are bounded in number, so memory stays flat however large the input; the raw
//! chunks go back to the reader to be refilled. Phone normalisation's memo is per
//! thread, so each worker warms its own.

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
use super::raw::RawRow;
use crate::phone::PhoneNumber;
use crate::secret::OathSecret;

/// Rows per chunk.
pub const CHUNK_ROWS: usize = 1024;
/// Chunks in flight between two stages.
const IN_FLIGHT: usize = 4;

/// Rows as read, before checking.
pub enum RawChunk {
    Users(Vec<RawRow<UserField>>),
    Devices(Vec<RawRow<DeviceField>>),
    Tokens(Vec<RawRow<TokenField>>),
}

/// Rows checked, owning their text: what the builder takes.
pub enum Parsed {
    Users(UserChunk),
    Devices(DeviceChunk),
    Tokens(TokenChunk),
}

type Span = (u32, u32);

/// Text of a chunk, and spans into it.
#[derive(Default)]
pub struct ChunkText(String);

impl ChunkText {
    fn push(&mut self, s: &str) -> Span {
        let start = self.0.len() as u32;
        self.0.push_str(s);
        (start, self.0.len() as u32)
    }

    pub fn get(&self, span: Span) -> &str {
        self.0.get(span.0 as usize..span.1 as usize).unwrap_or("")
    }

    fn opt(&self, span: Option<Span>) -> Option<&str> {
        span.map(|s| self.get(s))
    }
}

/// A checked user row.
pub struct OwnedUser {
    pub row: u64,
    pub user_id: Option<i64>,
    username: Span,
    upn: Option<Span>,
    sid: Option<Span>,
    email: Option<Span>,
    language: Option<Span>,
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
    pub text: ChunkText,
    pub users: Vec<OwnedUser>,
    pub problems: Vec<RowProblem>,
}

impl UserChunk {
    pub fn username(&self, u: &OwnedUser) -> &str {
        self.text.get(u.username)
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
        f(NewUser {
            source: None,
            username: self.text.get(u.username),
            upn: self.text.opt(u.upn),
            sid: self.text.opt(u.sid),
            email: self.text.opt(u.email),
            ad_attributes: &attrs,
            language: self.text.opt(u.language),
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
    pub name: Span,
    pub has_push_token: bool,
    pub oath_secret: Option<OathSecret>,
    pub activated_at: Option<chrono::DateTime<chrono::Utc>>,
    pub problems: std::ops::Range<usize>,
}

pub struct DeviceChunk {
    pub text: ChunkText,
    pub devices: Vec<OwnedDevice>,
    pub problems: Vec<RowProblem>,
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
    pub tokens: Vec<OwnedToken>,
    pub problems: Vec<RowProblem>,
}

/// Check one chunk of rows (runs on a worker thread).
pub fn parse(chunk: &RawChunk, input: usize, values: &ValueMaps) -> Parsed {
    let mut list = Vec::new();
    match chunk {
        RawChunk::Users(rows) => {
            let mut text = ChunkText::default();
            let mut users = Vec::with_capacity(rows.len());
            for raw in rows {
                let mut problems = Problems {
                    input,
                    list: &mut list,
                };
                if let Some(p) = convert::user(raw, values, &mut problems) {
                    users.push(OwnedUser {
                        row: p.row,
                        user_id: p.user_id,
                        username: text.push(&p.username),
                        upn: p.upn.as_deref().map(|s| text.push(s)),
                        sid: p.sid.as_deref().map(|s| text.push(s)),
                        email: p.email.as_deref().map(|s| text.push(s)),
                        language: p.language.as_deref().map(|s| text.push(s)),
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
                text,
                users,
                problems: list,
            })
        }
        RawChunk::Devices(rows) => {
            let mut text = ChunkText::default();
            let mut devices = Vec::with_capacity(rows.len());
            for raw in rows {
                let before = list.len();
                let mut problems = Problems {
                    input,
                    list: &mut list,
                };
                if let Some(d) = convert::device(raw, values, &mut problems) {
                    devices.push(OwnedDevice {
                        row: d.row,
                        user_id: d.user_id,
                        name: text.push(&d.name),
                        has_push_token: d.has_push_token,
                        oath_secret: d.oath_secret,
                        activated_at: d.activated_at,
                        problems: before..list.len(),
                    });
                }
            }
            Parsed::Devices(DeviceChunk {
                text,
                devices,
                problems: list,
            })
        }
        RawChunk::Tokens(rows) => {
            let mut tokens = Vec::with_capacity(rows.len());
            for raw in rows {
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
                tokens,
                problems: list,
            })
        }
    }
}

/// What a reader uses to hand chunks on and get empty ones back.
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
    rows: Vec<RawRow<F>>,
    len: usize,
    wrap: fn(Vec<RawRow<F>>) -> RawChunk,
    unwrap: fn(RawChunk) -> Option<Vec<RawRow<F>>>,
}

impl<'e, F: Field> Batcher<'e, F> {
    pub fn new(
        emitter: &'e Emitter,
        wrap: fn(Vec<RawRow<F>>) -> RawChunk,
        unwrap: fn(RawChunk) -> Option<Vec<RawRow<F>>>,
    ) -> Self {
        Batcher {
            emitter,
            rows: Vec::new(),
            len: 0,
            wrap,
            unwrap,
        }
    }

    /// The next row to fill (cleared). `None` when the consumer has stopped.
    pub fn next_row(&mut self) -> Option<&mut RawRow<F>> {
        if self.len == CHUNK_ROWS && !self.flush() {
            return None;
        }
        if self.rows.is_empty() {
            self.rows = self
                .emitter
                .recycled()
                .and_then(self.unwrap)
                .unwrap_or_default();
        }
        if self.rows.len() <= self.len {
            self.rows.push(RawRow::default());
        }
        let row = self.rows.get_mut(self.len)?;
        row.clear();
        self.len += 1;
        Some(row)
    }

    /// Send what is filled; false when the consumer has stopped.
    pub fn flush(&mut self) -> bool {
        if self.len == 0 {
            return true;
        }
        let mut rows = std::mem::take(&mut self.rows);
        rows.truncate(self.len);
        self.len = 0;
        self.emitter.send((self.wrap)(rows))
    }
}

pub fn users_chunk(rows: Vec<RawRow<UserField>>) -> RawChunk {
    RawChunk::Users(rows)
}
pub fn users_rows(c: RawChunk) -> Option<Vec<RawRow<UserField>>> {
    match c {
        RawChunk::Users(r) => Some(r),
        _ => None,
    }
}
pub fn devices_chunk(rows: Vec<RawRow<DeviceField>>) -> RawChunk {
    RawChunk::Devices(rows)
}
pub fn devices_rows(c: RawChunk) -> Option<Vec<RawRow<DeviceField>>> {
    match c {
        RawChunk::Devices(r) => Some(r),
        _ => None,
    }
}
pub fn tokens_chunk(rows: Vec<RawRow<TokenField>>) -> RawChunk {
    RawChunk::Tokens(rows)
}
pub fn tokens_rows(c: RawChunk) -> Option<Vec<RawRow<TokenField>>> {
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
/// parsed chunk to `consume` here, in the order produced. Returns what `produce`
/// returned. An error from either side stops both.
pub fn run<R: Send>(
    input: usize,
    values: &ValueMaps,
    produce: impl FnOnce(&Emitter) -> Result<R, FileError> + Send,
    mut consume: impl FnMut(Parsed) -> Result<(), FileError>,
) -> Result<R, FileError> {
    std::thread::scope(|s| {
        let (jobs_tx, jobs_rx) = sync_channel::<(u64, RawChunk)>(IN_FLIGHT);
        let (done_tx, done_rx) = sync_channel::<(u64, Parsed)>(IN_FLIGHT);
        let (recycle_tx, recycle_rx) = sync_channel::<RawChunk>(IN_FLIGHT * 2);
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
            let recycle = recycle_tx.clone();
            s.spawn(move || {
                loop {
                    let job = match jobs.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok((seq, chunk)) = job else {
                        return;
                    };
                    let parsed = parse(&chunk, input, values);
                    if done.send((seq, parsed)).is_err() {
                        return;
                    }
                    // The reader may have finished; an empty chunk is then just dropped.
                    let _ = recycle.try_send(chunk);
                }
            });
        }
        // Only the workers hold the job queue now: when they stop, the reader's next send
        // fails and it stops too (no deadlock when the consumer gives up early).
        drop(jobs);
        drop(done_tx);
        drop(recycle_tx);
        let mut next = 0u64;
        let mut waiting: BTreeMap<u64, Parsed> = BTreeMap::new();
        let mut failed = None;
        for (seq, parsed) in done_rx.iter() {
            waiting.insert(seq, parsed);
            while let Some(p) = waiting.remove(&next) {
                next += 1;
                if let Err(e) = consume(p) {
                    failed = Some(e);
                    break;
                }
            }
            if failed.is_some() {
                break;
            }
        }
        // Dropping the receiver stops the workers, whose exit stops the reader.
        drop(done_rx);
        drop(waiting);
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

    fn user_row(name: &str, row: u64) -> RawRow<UserField> {
        let mut r = RawRow::default();
        r.set(UserField::Username, name.as_bytes());
        r.row = row;
        r
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
                    let rows = (0..7)
                        .map(|j| user_row(&format!("u{i}-{j}"), i * 7 + j))
                        .collect();
                    if !em.send(RawChunk::Users(rows)) {
                        break;
                    }
                }
                Ok(200)
            },
            |p| {
                if let Parsed::Users(c) = p {
                    seen.extend(c.users.iter().map(|u| u.row));
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
                    if !em.send(RawChunk::Users(vec![user_row("x", i)])) {
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
