//! Rows as an input gave them: the bytes of each logical field, before any parsing.
//!
//! Every reader (SQLite, CSV, mapped) fills rows; `convert` reads them through a
//! [`RowView`] and turns them into model values and row problems. A field is *absent*
//! when the input has no such column (the model then says unknown), *null* when the
//! column is there but blank.
//!
//! Two owners: [`RawRow`], one row whose buffers are reused from row to row (small
//! tables), and [`RawRows`], a chunk of rows in one buffer (the large tables, moved
//! between the pipeline's threads and reused). A chunk's text is checked as UTF-8 once,
//! as a whole, instead of field by field.

use super::known::Known;
use super::layout::Field;

/// Where a field's bytes are in a row's buffer: `start..end`, or absent / null.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    start: u32,
    end: u32,
}

impl Slot {
    /// No such column.
    const ABSENT: Slot = Slot {
        start: u32::MAX,
        end: 0,
    };
    /// The column is there and blank.
    const NULL: Slot = Slot {
        start: u32::MAX,
        end: 1,
    };
}

/// Append `bytes` (ASCII-trimmed) to `buf` as a value; blank is null.
fn store(buf: &mut Vec<u8>, bytes: &[u8]) -> Slot {
    let bytes = bytes.trim_ascii();
    if bytes.is_empty() {
        return Slot::NULL;
    }
    let start = buf.len() as u32;
    buf.extend_from_slice(bytes);
    Slot {
        start,
        end: buf.len() as u32,
    }
}

/// One row of table `F`, owning its bytes (the buffers are reused from row to row).
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
            slots: vec![Slot::ABSENT; F::COUNT],
            row: 0,
            _f: std::marker::PhantomData,
        }
    }
}

impl<F: Field> RawRow<F> {
    /// Forget every value; all fields absent.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.slots.fill(Slot::ABSENT);
        self.row = 0;
    }

    /// The column is there; `bytes` empty or blank means null. Surrounding ASCII
    /// whitespace is not kept.
    pub fn set(&mut self, field: F, bytes: &[u8]) {
        if let Some(slot) = self.slots.get_mut(field.index()) {
            *slot = store(&mut self.buf, bytes);
        }
    }

    /// The column is there and holds nothing.
    pub fn set_null(&mut self, field: F) {
        if let Some(slot) = self.slots.get_mut(field.index()) {
            *slot = Slot::NULL;
        }
    }

    /// Read this row (its text checked field by field).
    pub fn view(&self) -> RowView<'_, F> {
        RowView {
            buf: &self.buf,
            text: None,
            slots: &self.slots,
            row: self.row,
            _f: std::marker::PhantomData,
        }
    }

    /// The value's bytes, when there is one.
    pub fn bytes(&self, field: F) -> Option<&[u8]> {
        self.view().bytes(field)
    }
}

/// Rows of table `F` in one buffer: what the pipeline hands between threads. Filled row by
/// row ([`RawRows::push_ranges`], [`RawRows::push_copy`]), read through [`RawRows::iter`].
#[derive(Debug)]
pub struct RawRows<F: Field> {
    /// The fields' bytes, while not known to be UTF-8.
    bytes: Vec<u8>,
    /// The same bytes once [`RawRows::check_utf8`] found them valid (then `bytes` is
    /// empty): moved, not copied.
    text: String,
    checked: bool,
    /// `F::COUNT` slots per row.
    slots: Vec<Slot>,
    rows: Vec<u64>,
    _f: std::marker::PhantomData<F>,
}

impl<F: Field> Default for RawRows<F> {
    fn default() -> Self {
        RawRows {
            bytes: Vec::new(),
            text: String::new(),
            checked: false,
            slots: Vec::new(),
            rows: Vec::new(),
            _f: std::marker::PhantomData,
        }
    }
}

impl<F: Field> RawRows<F> {
    /// Forget every row, keeping the buffers.
    pub fn clear(&mut self) {
        self.unchecked();
        self.bytes.clear();
        self.slots.clear();
        self.rows.clear();
    }

    /// Empty, with room for as much as `other` holds (a chunk to fill like the last one,
    /// without growing its buffers step by step).
    pub fn with_room_of(other: &RawRows<F>) -> RawRows<F> {
        RawRows {
            bytes: Vec::with_capacity(other.byte_len()),
            slots: Vec::with_capacity(other.slots.len()),
            rows: Vec::with_capacity(other.rows.len()),
            ..RawRows::default()
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Bytes held, to bound a chunk's size.
    pub fn byte_len(&self) -> usize {
        self.bytes.len() + self.text.len()
    }

    /// Back to bytes, so that more can be appended.
    fn unchecked(&mut self) {
        if self.checked {
            self.bytes = std::mem::take(&mut self.text).into_bytes();
            self.checked = false;
        }
    }

    /// Append row `row` whose fields are ranges of `bytes`, which is copied once, whole
    /// (one copy per row, not one per field): `(field, Some(range))` is a value (blank
    /// is null), `(field, None)` a column the row is too short to have (null).
    pub fn push_ranges(
        &mut self,
        row: u64,
        bytes: &[u8],
        fields: impl IntoIterator<Item = (F, Option<std::ops::Range<usize>>)>,
    ) {
        self.unchecked();
        let base = self.bytes.len();
        self.bytes.extend_from_slice(bytes);
        self.rows.push(row);
        let first = self.slots.len();
        self.slots
            .extend(std::iter::repeat_n(Slot::ABSENT, F::COUNT));
        let Some(slots) = self.slots.get_mut(first..) else {
            return;
        };
        for (field, range) in fields {
            let slot = match range.and_then(|r| Some((r.start, bytes.get(r)?))) {
                Some((start, value)) => {
                    let lead = value.len() - value.trim_ascii_start().len();
                    let kept = value.trim_ascii().len();
                    if kept == 0 {
                        Slot::NULL
                    } else {
                        let start = base + start + lead;
                        Slot {
                            start: start as u32,
                            end: (start + kept) as u32,
                        }
                    }
                }
                None => Slot::NULL,
            };
            if let Some(s) = slots.get_mut(field.index()) {
                *s = slot;
            }
        }
    }

    /// Append a copy of `row`.
    pub fn push_copy(&mut self, row: &RawRow<F>) {
        self.unchecked();
        self.rows.push(row.row);
        let base = self.bytes.len() as u32;
        self.bytes.extend_from_slice(&row.buf);
        self.slots.extend(row.slots.iter().map(|s| {
            if s.start == u32::MAX {
                *s
            } else {
                Slot {
                    start: s.start + base,
                    end: s.end + base,
                }
            }
        }));
    }

    /// Check the text of every row as UTF-8 in one pass; true when it all is. Rows read
    /// afterwards take their text from it without checking each field again.
    pub fn check_utf8(&mut self) -> bool {
        if !self.checked {
            match String::from_utf8(std::mem::take(&mut self.bytes)) {
                Ok(text) => {
                    self.text = text;
                    self.checked = true;
                }
                Err(e) => self.bytes = e.into_bytes(),
            }
        }
        self.checked
    }

    /// All rows' text, when [`RawRows::check_utf8`] found it valid.
    pub fn text(&self) -> Option<&str> {
        self.checked.then_some(self.text.as_str())
    }

    fn buf(&self) -> &[u8] {
        if self.checked {
            self.text.as_bytes()
        } else {
            &self.bytes
        }
    }

    /// Row `i` (0-based in this chunk).
    pub fn row(&self, i: usize) -> Option<RowView<'_, F>> {
        let slots = self.slots.get(i * F::COUNT..(i + 1) * F::COUNT)?;
        Some(RowView {
            buf: self.buf(),
            text: self.text(),
            slots,
            row: *self.rows.get(i)?,
            _f: std::marker::PhantomData,
        })
    }

    pub fn iter(&self) -> impl Iterator<Item = RowView<'_, F>> + '_ {
        (0..self.len()).filter_map(|i| self.row(i))
    }
}

/// One row to read: its fields' bytes, and their text when the whole buffer is known to
/// be UTF-8.
#[derive(Debug, Clone, Copy)]
pub struct RowView<'a, F: Field> {
    buf: &'a [u8],
    text: Option<&'a str>,
    slots: &'a [Slot],
    /// 1-based row: the CSV record number after the header, or the SQLite rowid.
    pub row: u64,
    _f: std::marker::PhantomData<F>,
}

impl<'a, F: Field> RowView<'a, F> {
    fn slot(&self, field: F) -> Slot {
        self.slots
            .get(field.index())
            .copied()
            .unwrap_or(Slot::ABSENT)
    }

    /// Unknown when absent, `None` when null.
    pub fn get(&self, field: F) -> Known<Option<&'a [u8]>> {
        let s = self.slot(field);
        match s {
            Slot::ABSENT => Known::Unknown,
            Slot::NULL => Known::Known(None),
            _ => Known::Known(
                self.buf
                    .get(s.start as usize..s.end as usize)
                    .filter(|b| !b.is_empty()),
            ),
        }
    }

    /// The value's bytes, when there is one.
    pub fn bytes(&self, field: F) -> Option<&'a [u8]> {
        self.get(field).value()
    }

    /// The value as text, trimmed (Unicode whitespace too: spreadsheets leave
    /// non-breaking spaces around values); `Err` with the offset of the first byte that
    /// is not UTF-8. Unknown when absent, `None` when null.
    pub fn text(&self, field: F) -> Known<Option<Result<&'a str, usize>>> {
        let s = self.slot(field);
        let range = s.start as usize..s.end as usize;
        // A field of a buffer that is valid UTF-8 as a whole is valid UTF-8 exactly when
        // it starts and ends on character boundaries, which `get` checks.
        if let Some(t) = self.text.and_then(|t| t.get(range)) {
            return Known::Known(Some(Ok(trim(t))));
        }
        self.get(field).map(|b| {
            b.map(|b| {
                std::str::from_utf8(b.trim_ascii())
                    .map(trim)
                    .map_err(|e| e.valid_up_to())
            })
        })
    }
}

/// `str::trim`, cheaper for the usual value that starts and ends with a visible ASCII
/// character (then only ASCII whitespace can surround it: none, once stored trimmed).
pub fn trim(s: &str) -> &str {
    let visible = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_graphic());
    let bytes = s.as_bytes();
    if visible(bytes.first()) && visible(bytes.last()) {
        s
    } else {
        s.trim()
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
        let v = r.view();
        assert_eq!(v.get(UserField::Username), Known::Known(Some(&b"ann"[..])));
        assert_eq!(v.get(UserField::Phone), Known::Known(None));
        assert_eq!(v.get(UserField::Sid), Known::Unknown);
        r.clear();
        assert_eq!(r.view().get(UserField::Username), Known::Unknown);
    }

    /// A row of `(field, value)` pairs, through [`RawRows::push_ranges`].
    fn push(rows: &mut RawRows<UserField>, row: u64, fields: &[(UserField, &[u8])]) {
        let bytes: Vec<u8> = fields.iter().flat_map(|(_, v)| v.iter().copied()).collect();
        let mut at = 0;
        let ranges: Vec<_> = fields
            .iter()
            .map(|(f, v)| {
                at += v.len();
                (*f, Some(at - v.len()..at))
            })
            .collect();
        rows.push_ranges(row, &bytes, ranges);
    }

    #[test]
    fn chunks_check_utf8_once_and_still_find_the_bad_field() {
        let mut rows = RawRows::<UserField>::default();
        push(
            &mut rows,
            1,
            &[
                (UserField::Username, "  zoë\u{a0}".as_bytes()),
                (UserField::Email, b"z@contoso.com"),
            ],
        );
        push(
            &mut rows,
            2,
            &[(UserField::Username, b"ann"), (UserField::Email, b" ")],
        );
        assert!(rows.check_utf8());
        let r1 = rows.row(0).unwrap();
        assert_eq!(r1.row, 1);
        assert_eq!(r1.text(UserField::Username), Known::Known(Some(Ok("zoë"))));
        assert_eq!(r1.text(UserField::Sid), Known::Unknown);
        let r2 = rows.row(1).unwrap();
        assert_eq!(r2.text(UserField::Email), Known::Known(None));
        // Appending after the check works on bytes again.
        push(
            &mut rows,
            3,
            &[
                (UserField::Username, b"bad\xff"),
                (UserField::Email, b"\xa9x"),
            ],
        );
        assert!(!rows.check_utf8());
        let r3 = rows.row(2).unwrap();
        assert_eq!(r3.text(UserField::Username), Known::Known(Some(Err(3))));
        assert_eq!(r3.text(UserField::Email), Known::Known(Some(Err(0))));
        assert_eq!(
            rows.row(0).unwrap().text(UserField::Username),
            Known::Known(Some(Ok("zoë")))
        );
        // A character split across two fields: the buffer is valid, neither field is.
        let mut split = RawRows::<UserField>::default();
        push(
            &mut split,
            1,
            &[
                (UserField::Username, b"a\xc3"),
                (UserField::Email, b"\xa9b"),
            ],
        );
        assert!(split.check_utf8());
        let r = split.row(0).unwrap();
        assert_eq!(r.text(UserField::Username), Known::Known(Some(Err(1))));
        assert_eq!(r.text(UserField::Email), Known::Known(Some(Err(0))));
        rows.clear();
        assert!(rows.is_empty() && rows.row(0).is_none());
    }

    #[test]
    fn rows_from_ranges_of_one_record() {
        let mut rows = RawRows::<UserField>::default();
        let record = b"ann x  +1 425   ";
        rows.push_ranges(
            4,
            record,
            [
                (UserField::Username, Some(0..3)),
                (UserField::Phone, Some(5..13)),
                (UserField::Extension, Some(13..16)),
                (UserField::Email, None),
            ],
        );
        let r = rows.row(0).unwrap();
        assert_eq!(r.row, 4);
        assert_eq!(r.bytes(UserField::Username), Some(&b"ann"[..]));
        assert_eq!(r.bytes(UserField::Phone), Some(&b"+1 425"[..]));
        assert_eq!(r.get(UserField::Extension), Known::Known(None));
        assert_eq!(r.get(UserField::Email), Known::Known(None));
        assert_eq!(r.get(UserField::Sid), Known::Unknown);
    }

    #[test]
    fn copies_keep_every_field() {
        let mut one = RawRow::<UserField>::default();
        let mut rows = RawRows::<UserField>::default();
        for (i, name) in ["ann", "bob"].iter().enumerate() {
            one.clear();
            one.row = i as u64 + 10;
            one.set(UserField::Username, name.as_bytes());
            one.set_null(UserField::Phone);
            rows.push_copy(&one);
        }
        let r = rows.row(1).unwrap();
        assert_eq!(r.row, 11);
        assert_eq!(r.bytes(UserField::Username), Some(&b"bob"[..]));
        assert_eq!(r.get(UserField::Phone), Known::Known(None));
        assert_eq!(r.get(UserField::Email), Known::Unknown);
    }

    #[test]
    fn trim_matches_str_trim() {
        for s in [
            "",
            "a",
            " a ",
            "\u{a0}a\u{a0}",
            "a\u{b}",
            "\u{b}a",
            "é",
            "a\u{3000}",
            "\tb",
        ] {
            assert_eq!(trim(s), s.trim(), "{s:?}");
        }
    }
}
