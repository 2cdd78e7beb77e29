//! SQLite inputs, opened so that nothing can change them: read-only, `immutable=1`
//! (no locks, no journal, no WAL), after checking the header says the file is whole.
//! Tables are read row by row into [`RawRow`]s through a column plan, so the reference
//! layout and a mapped PhoneFactor.pfdata share one reader.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use super::error::{FileError, FileProblem};
use super::layout::Field;
use super::raw::RawRow;

/// The 16 bytes every SQLite 3 file starts with.
pub const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// `file:` URI of a path, percent-encoding anything that is not plainly safe.
fn file_uri(path: &Path) -> String {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut uri = String::from("file:");
    for b in abs.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~') {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?mode=ro&immutable=1");
    uri
}

/// Check the header against the file's size: a truncated copy is refused up front with
/// the sizes, rather than failing somewhere in the middle.
fn check_header(path: &Path) -> Result<(), FileError> {
    let mut header = [0u8; 100];
    let mut file = File::open(path).map_err(|e| FileError::io(path, &e))?;
    let size = file.metadata().map_err(|e| FileError::io(path, &e))?.len();
    let n = file
        .read(&mut header)
        .map_err(|e| FileError::io(path, &e))?;
    if n < 100 || &header[..16] != SQLITE_MAGIC {
        return Err(FileError::new(
            path,
            FileProblem::Corrupt,
            format!("a SQLite header cut short ({size} bytes)"),
            "a complete SQLite file",
        ));
    }
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65_536u64,
        p => p as u64,
    };
    let change_counter = u32::from_be_bytes([header[24], header[25], header[26], header[27]]);
    let pages = u32::from_be_bytes([header[28], header[29], header[30], header[31]]) as u64;
    let valid_for = u32::from_be_bytes([header[92], header[93], header[94], header[95]]);
    // The in-header page count is only trustworthy when this matches (SQLite ≥ 3.7.0).
    if valid_for == change_counter && pages > 0 && page_size >= 512 {
        let expected = pages * page_size;
        if size < expected {
            return Err(FileError::new(
                path,
                FileProblem::Corrupt,
                format!(
                    "a truncated SQLite file: its header says {pages} pages of {page_size} bytes \
                     ({expected} bytes) but the file has {size} bytes"
                ),
                "the complete file (copy it again from the MFA Server)",
            ));
        }
    }
    Ok(())
}

/// A `-wal` file with content beside the file holds changes not yet in it: opened
/// immutable (as inputs are, so nothing can change them), SQLite would not read them, and
/// the tool would plan from stale data. Refused with the one command that folds them in.
/// (Reading through a private copy that includes the WAL would double the disk a large
/// file needs and still leave the admin's copy stale; checkpointing fixes the source.)
/// A rollback `-journal` beside it means a write was interrupted: the file may be
/// half-written until SQLite rolls it back.
fn check_sidecars(path: &Path) -> Result<(), FileError> {
    let side = |suffix: &str| {
        let mut p = path.as_os_str().to_os_string();
        p.push(suffix);
        std::path::PathBuf::from(p)
    };
    let shown = shell_quote(&path.display().to_string());
    let wal = side("-wal");
    if let Ok(meta) = std::fs::metadata(&wal)
        && meta.len() > 0
    {
        return Err(FileError::new(
            path,
            FileProblem::Corrupt,
            format!(
                "{} beside it holds {} bytes of changes not yet written into the file \
                 (SQLite's write-ahead log); read as it is, those changes would be missed",
                wal.display(),
                meta.len()
            ),
            format!(
                "a checkpointed copy: run `sqlite3 {shown} 'PRAGMA wal_checkpoint(TRUNCATE)'` \
                 (or copy the file again once MFA Server has stopped writing it)"
            ),
        ));
    }
    let journal = side("-journal");
    if let Ok(meta) = std::fs::metadata(&journal)
        && meta.len() > 0
    {
        return Err(FileError::new(
            path,
            FileProblem::Corrupt,
            format!(
                "{} beside it is the journal of an interrupted write; the file may be \
                 half-written",
                journal.display()
            ),
            format!(
                "a consistent copy: run `sqlite3 {shown} 'PRAGMA integrity_check'` once \
                 (SQLite rolls the interrupted write back), or copy the file again"
            ),
        ));
    }
    Ok(())
}

/// A path as one shell word.
fn shell_quote(s: &str) -> String {
    if s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-+:@".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// Open a SQLite input read-only and immutable.
pub fn open(path: &Path) -> Result<Connection, FileError> {
    check_header(path)?;
    check_sidecars(path)?;
    let conn = Connection::open_with_flags(
        file_uri(path),
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| FileError::sqlite(path, &e))?;
    // Reading the schema proves the file is SQLite and not damaged at its root.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .map_err(|e| FileError::sqlite(path, &e))?;
    Ok(conn)
}

/// `"name"` with embedded quotes doubled.
pub fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The file's tables (not SQLite's own), in name order.
pub fn tables(conn: &Connection, path: &Path) -> Result<Vec<String>, FileError> {
    let mut stmt = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             ORDER BY name",
        )
        .map_err(|e| FileError::sqlite(path, &e))?;
    let names = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(|e| FileError::sqlite(path, &e))?;
    Ok(names)
}

/// A table's columns: (name, declared type).
pub fn columns(
    conn: &Connection,
    path: &Path,
    table: &str,
) -> Result<Vec<(String, String)>, FileError> {
    let mut stmt = conn
        .prepare(&format!("PRAGMA table_info({})", quote(table)))
        .map_err(|e| FileError::sqlite(path, &e))?;
    let cols = stmt
        .query_map([], |r| Ok((r.get::<_, String>(1)?, r.get::<_, String>(2)?)))
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(|e| FileError::sqlite(path, &e))?;
    Ok(cols)
}

pub fn count(conn: &Connection, path: &Path, table: &str) -> Result<u64, FileError> {
    conn.query_row(&format!("SELECT count(*) FROM {}", quote(table)), [], |r| {
        r.get::<_, i64>(0)
    })
    .map(|n| n.max(0) as u64)
    .map_err(|e| FileError::sqlite(path, &e))
}

/// Which physical column feeds each logical field of a table.
#[derive(Debug, Clone)]
pub struct ColumnPlan<F: Field> {
    pub table: String,
    pub columns: Vec<(F, String)>,
}

/// Read every row of `plan.table` in rowid order, handing each to `each`. Integers and
/// reals arrive as their decimal text; text and blobs as their bytes (UTF-8 is checked
/// later, per field). Returns the number of rows.
pub fn read_rows<F: Field>(
    conn: &Connection,
    path: &Path,
    plan: &ColumnPlan<F>,
    mut each: impl FnMut(&RawRow<F>) -> Result<(), FileError>,
) -> Result<u64, FileError> {
    let cols: Vec<String> = plan.columns.iter().map(|(_, c)| quote(c)).collect();
    let select = |rowid: bool| {
        format!(
            "SELECT {}{} FROM {}",
            if rowid { "rowid, " } else { "NULL, " },
            if cols.is_empty() {
                "NULL".to_string()
            } else {
                cols.join(", ")
            },
            quote(&plan.table)
        )
    };
    // WITHOUT ROWID tables have no rowid: number their rows instead.
    let mut stmt = match conn.prepare(&select(true)) {
        Ok(s) => s,
        Err(_) => conn
            .prepare(&select(false))
            .map_err(|e| FileError::sqlite(path, &e))?,
    };
    let mut rows = stmt.query([]).map_err(|e| FileError::sqlite(path, &e))?;
    let mut raw = RawRow::<F>::default();
    let mut n = 0u64;
    let mut num = Vec::with_capacity(32);
    while let Some(r) = rows.next().map_err(|e| FileError::sqlite(path, &e))? {
        n += 1;
        raw.clear();
        raw.row = match r.get_ref(0) {
            Ok(ValueRef::Integer(i)) if i > 0 => i as u64,
            _ => n,
        };
        for (i, (field, _)) in plan.columns.iter().enumerate() {
            match r.get_ref(i + 1).map_err(|e| FileError::sqlite(path, &e))? {
                ValueRef::Null => raw.set_null(*field),
                ValueRef::Integer(v) => {
                    num.clear();
                    use std::io::Write;
                    let _ = write!(num, "{v}");
                    raw.set(*field, &num);
                }
                ValueRef::Real(v) => {
                    num.clear();
                    use std::io::Write;
                    let _ = write!(num, "{v}");
                    raw.set(*field, &num);
                }
                ValueRef::Text(b) | ValueRef::Blob(b) => raw.set(*field, b),
            }
        }
        each(&raw)?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_escapes_what_sqlite_would_misread() {
        let uri = file_uri(Path::new("/tmp/a b?c#d%e.pfdata"));
        assert!(
            uri.starts_with("file:/tmp/a%20b%3Fc%23d%25e.pfdata?"),
            "{uri}"
        );
        assert!(uri.ends_with("immutable=1"));
    }
}
