//! File problems: an input that cannot be read at all. Each names the file, what was
//! found and what was expected; the CLI prints it and exits with code 2. (Problems with
//! single rows are [`RowProblem`](super::RowProblem)s, collected instead.)

use std::fmt;
use std::path::{Path, PathBuf};

/// What kind of file problem it is, for callers and tests that branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileProblem {
    /// Missing, unreadable, or a permission problem.
    Unreadable,
    /// Zero bytes.
    Empty,
    /// Not any input this tool knows (random bytes, a ZIP, an unknown CSV).
    NotRecognised,
    /// SQLite, but truncated or damaged.
    Corrupt,
    /// A reference snapshot of a layout version this build does not read.
    UnsupportedVersion,
    /// No users: no `users` table (or CSV), or no user column.
    NoUsers,
    /// A SQLite file without the reference layout and no mapping that says how to read it.
    NeedsMapping,
    /// The mapping file is unreadable or malformed.
    BadMapping,
    /// The mapping (or a snapshot) names a table or column the file does not have.
    MissingColumn,
    /// A folder with nothing to read in it.
    EmptyFolder,
}

/// An input that could not be read: names the file, what was found, what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub path: PathBuf,
    pub problem: FileProblem,
    pub found: String,
    pub expected: String,
}

impl FileError {
    pub fn new(
        path: &Path,
        problem: FileProblem,
        found: impl Into<String>,
        expected: impl Into<String>,
    ) -> FileError {
        FileError {
            path: path.to_path_buf(),
            problem,
            found: found.into(),
            expected: expected.into(),
        }
    }

    pub(crate) fn io(path: &Path, e: &std::io::Error) -> FileError {
        FileError::new(
            path,
            FileProblem::Unreadable,
            format!("cannot read it: {e}"),
            "a readable file or folder",
        )
    }

    pub(crate) fn sqlite(path: &Path, e: &rusqlite::Error) -> FileError {
        FileError::new(
            path,
            FileProblem::Corrupt,
            format!("SQLite reports: {e}"),
            "a complete, undamaged SQLite file",
        )
    }
}

/// What every input list names, so messages can say what would have been read.
pub(crate) const INPUTS_EXPECTED: &str = "an Export Users CSV (File → Export Users), an OATH \
     seed file (CSV with serial number and secret key), a reference snapshot (SQLite with \
     layout_info, or a folder holding users.csv), or a SQLite PhoneFactor.pfdata with a \
     mapping file";

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}; expected {}",
            self.path.display(),
            self.found,
            self.expected
        )
    }
}

impl std::error::Error for FileError {}
