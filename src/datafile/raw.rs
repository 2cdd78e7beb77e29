//! One row as an input gave it: the bytes of each logical field, before any parsing.
//!
//! Every reader (SQLite, CSV, mapped) fills a [`RawRow`]; `convert` turns it into model
//! values and row problems. A field is *absent* when the input has no such column (the
//! model then says unknown), *null* when the column is there but empty.

use super::known::Known;
use super::layout::Field;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Slot {
    #[default]
    Absent,
    Null,
    Value {
        start: u32,
        end: u32,
    },
}

/// The fields of one row of table `F`, owning their bytes (so rows can be batched and
/// moved between threads; the buffer is reused from row to row).
#[derive(Debug, Clone)]
pub struct RawRow<F: Field> {
    buf: Vec<u8>,
    slots: Vec<Slot>,
    /// 1-based row: the CSV record number after the header, or the SQLite rowid.
    pub row: u64,
    _f: std::marker::PhantomData<F>,
}

impl<F: Field> Default for RawRow<F> {
    fn default() -> Self {
        RawRow {
            buf: Vec::with_capacity(256),
            slots: vec![Slot::Absent; F::COUNT],
            row: 0,
            _f: std::marker::PhantomData,
        }
    }
}

impl<F: Field> RawRow<F> {
    /// Forget every value; all fields absent.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.slots.fill(Slot::Absent);
        self.row = 0;
    }

    /// Become a copy of `other`, reusing this row's buffers.
    pub fn copy_from(&mut self, other: &RawRow<F>) {
        self.buf.clear();
        self.buf.extend_from_slice(&other.buf);
        self.slots.clone_from(&other.slots);
        self.row = other.row;
    }

    /// The column is there; `bytes` empty or blank means null.
    pub fn set(&mut self, field: F, bytes: &[u8]) {
        let Some(slot) = self.slots.get_mut(field.index()) else {
            return;
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            *slot = Slot::Null;
            return;
        }
        let start = self.buf.len() as u32;
        self.buf.extend_from_slice(bytes);
        *slot = Slot::Value {
            start,
            end: self.buf.len() as u32,
        };
    }

    /// The column is there and holds nothing.
    pub fn set_null(&mut self, field: F) {
        if let Some(slot) = self.slots.get_mut(field.index()) {
            *slot = Slot::Null;
        }
    }

    /// Unknown when absent, `None` when null.
    pub fn get(&self, field: F) -> Known<Option<&[u8]>> {
        match self.slots.get(field.index()) {
            Some(Slot::Value { start, end }) => Known::Known(
                self.buf
                    .get(*start as usize..*end as usize)
                    .filter(|b| !b.is_empty()),
            ),
            Some(Slot::Null) => Known::Known(None),
            Some(Slot::Absent) | None => Known::Unknown,
        }
    }

    /// The value's bytes, when there is one.
    pub fn bytes(&self, field: F) -> Option<&[u8]> {
        self.get(field).value()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datafile::layout::UserField;

    #[test]
    fn absent_null_and_values() {
        let mut r = RawRow::<UserField>::default();
        r.set(UserField::Username, b"ann");
        r.set(UserField::Phone, b"  ");
        assert_eq!(r.get(UserField::Username), Known::Known(Some(&b"ann"[..])));
        assert_eq!(r.get(UserField::Phone), Known::Known(None));
        assert_eq!(r.get(UserField::Sid), Known::Unknown);
        r.clear();
        assert_eq!(r.get(UserField::Username), Known::Unknown);
    }
}
