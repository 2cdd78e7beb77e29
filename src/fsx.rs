//! Files the tool writes and reads, made safe against a careless or hostile file system.
//!
//! Writing: directories the tool owns (the state dir, its `logs/`, exports' folders) are
//! 0700 and never symbolic links; every file it creates is 0600, opened with `O_NOFOLLOW`
//! (a planted link is refused, not followed) and, where the file is new, `O_EXCL`. Files
//! replaced as a whole (saved plans, exports, the state key) are written to a temporary
//! file created exclusively in the same directory and renamed into place, so a reader
//! never sees half a file and a pre-existing `*.tmp` link cannot redirect the write.
//!
//! Checking: an existing state file that is a symbolic link, not a regular file, or
//! readable by group or others is refused with the command that fixes it, as ssh does
//! with private keys.
//!
//! Reading: every file read whole (config, keymap, mapping, saved plan, state key,
//! certificate) goes through [`read_bounded`]: it must be a regular file (a FIFO, a
//! device or a directory is refused without blocking) no larger than its kind's cap.
//!
//! `O_NOFOLLOW` and `O_NONBLOCK` come from the `libc` crate's constants, passed through
//! std's safe `OpenOptionsExt::custom_flags`; elsewhere than Unix the checks that need
//! them fall back to `symlink_metadata`.

use std::fmt;
use std::fs::{File, Metadata, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// What went wrong with a file, naming it, what was found and what to do.
#[derive(Debug)]
pub struct FsError {
    pub path: PathBuf,
    pub kind: FsErrorKind,
}

#[derive(Debug)]
pub enum FsErrorKind {
    /// The operating system refused (`what` says which step).
    Io {
        what: &'static str,
        source: std::io::Error,
    },
    /// A symbolic link where the tool creates or keeps its own files.
    Symlink,
    /// Something other than what was expected: `found` says what it is.
    WrongType {
        found: &'static str,
        expected: &'static str,
    },
    /// A private file readable or writable by group or others.
    Exposed { mode: u32 },
    /// A folder the tool would keep private, open to group or others and holding files
    /// that are not the tool's.
    OpenFolder { mode: u32 },
    /// Larger than its kind may be.
    TooBig { size: u64, cap: u64, kind: ReadKind },
    /// The file exists and the caller does not replace files.
    Exists,
}

impl FsError {
    fn new(path: &Path, kind: FsErrorKind) -> FsError {
        FsError {
            path: path.to_path_buf(),
            kind,
        }
    }

    fn io(path: &Path, what: &'static str, source: std::io::Error) -> FsError {
        FsError::new(path, FsErrorKind::Io { what, source })
    }

    /// What is wrong, without the path, for messages that name the file themselves.
    pub fn reason(&self) -> String {
        match &self.kind {
            FsErrorKind::Io { source, .. } => source.to_string(),
            FsErrorKind::Symlink => "it is a symbolic link".into(),
            FsErrorKind::WrongType { found, .. } => format!("it is {found}"),
            FsErrorKind::Exposed { mode } => {
                format!("it is readable or writable by group or others (mode {mode:04o})")
            }
            FsErrorKind::TooBig { size, cap, .. } => format!(
                "it is {}, over the {} cap",
                human_size(*size),
                human_size(*cap)
            ),
            FsErrorKind::Exists => "it already exists".into(),
            FsErrorKind::OpenFolder { mode } => {
                format!("it is readable by group or others (mode {mode:04o})")
            }
        }
    }

    /// The file (or folder) does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(&self.kind, FsErrorKind::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }
}

impl fmt::Display for FsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.path.display();
        match &self.kind {
            FsErrorKind::Io { what, source } => write!(f, "cannot {what} {p}: {source}"),
            FsErrorKind::Symlink => {
                let target = std::fs::read_link(&self.path)
                    .map(|t| format!(" (to {})", t.display()))
                    .unwrap_or_default();
                write!(
                    f,
                    "{p} is a symbolic link{target}; the tool keeps its own files and folders \
                     only as real ones and does not follow links there: remove the link \
                     (`rm {p}`), or point the tool at the real path"
                )
            }
            FsErrorKind::WrongType { found, expected } => {
                write!(f, "{p} is {found}; expected {expected}")
            }
            FsErrorKind::Exposed { mode } => write!(
                f,
                "{p} is readable or writable by group or others (mode {mode:04o}); the state \
                 store's files must be private: run `chmod 600 {p}`"
            ),
            FsErrorKind::TooBig { size, cap, kind } => write!(
                f,
                "{p} is {}, larger than a {} can be ({} at most); expected {}",
                human_size(*size),
                kind.noun(),
                human_size(*cap),
                kind.expected()
            ),
            FsErrorKind::Exists => write!(f, "{p} already exists"),
            FsErrorKind::OpenFolder { mode } => write!(
                f,
                "{p} is readable by group or others (mode {mode:04o}) and holds files that \
                 are not the tool's; its state and logs must be private: run `chmod 700 {p}`, \
                 or choose a folder of its own (--state-dir)"
            ),
        }
    }
}

impl std::error::Error for FsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            FsErrorKind::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<FsError> for std::io::Error {
    fn from(e: FsError) -> std::io::Error {
        let kind = match &e.kind {
            FsErrorKind::Io { source, .. } => source.kind(),
            FsErrorKind::Exists => std::io::ErrorKind::AlreadyExists,
            _ => std::io::ErrorKind::InvalidInput,
        };
        std::io::Error::new(kind, e.to_string())
    }
}

/// `1.5 KiB`, `6.6 GiB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} bytes")
    } else if v.fract() == 0.0 {
        format!("{v:.0} {}", UNITS[u])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// What a file's type is, in words.
fn type_name(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a folder";
    }
    if t.is_symlink() {
        return "a symbolic link";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

// ---------------------------------------------------------------------------------------
// Directories
// ---------------------------------------------------------------------------------------

/// A directory the tool owns (the state dir, `logs/`): created 0700 when missing (its
/// missing parents with the usual permissions), refused when it is a symbolic link or not
/// a directory. One open to group or others is tightened to 0700 when it is the tool's
/// own (empty, or holding the state store or logs: an earlier version made it 0755);
/// any other folder is refused with the `chmod` to run, never changed behind the admin's
/// back (`--state-dir .` must not quietly close the current folder).
pub fn private_dir(dir: &Path) -> Result<(), FsError> {
    match std::fs::symlink_metadata(dir) {
        Ok(meta) if meta.file_type().is_symlink() => Err(FsError::new(dir, FsErrorKind::Symlink)),
        Ok(meta) if !meta.is_dir() => Err(FsError::new(
            dir,
            FsErrorKind::WrongType {
                found: type_name(&meta),
                expected: "a folder",
            },
        )),
        Ok(meta) => tighten_dir(dir, &meta),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .map_err(|e| FsError::io(parent, "create the folder", e))?;
            }
            match new_private_dir(dir) {
                // Another process created it in between: check what it is.
                Err(e) if matches!(&e.kind, FsErrorKind::Io { source, .. } if source.kind() == std::io::ErrorKind::AlreadyExists) => {
                    private_dir(dir)
                }
                other => other,
            }
        }
        Err(e) => Err(FsError::io(dir, "look at", e)),
    }
}

/// Create one new directory, 0700; fails if anything (a link included) is already there.
pub fn new_private_dir(dir: &Path) -> Result<(), FsError> {
    let mut b = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
        .map_err(|e| FsError::io(dir, "create the folder", e))
}

/// Names the tool keeps in its folders: the state store, its logs, its exports.
fn is_tool_dir(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    let mut empty = true;
    for e in entries.flatten() {
        empty = false;
        let name = e.file_name();
        let name = name.to_string_lossy();
        if matches!(
            name.as_ref(),
            "state.sqlite" | "state.key" | "state.lock" | "logs" | "exports"
        ) || name.starts_with("mfa-cutover.")
            || name.starts_with("state.sqlite-")
        {
            return true;
        }
    }
    empty
}

#[cfg(unix)]
fn tighten_dir(dir: &Path, meta: &Metadata) -> Result<(), FsError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        if !is_tool_dir(dir) {
            return Err(FsError::new(dir, FsErrorKind::OpenFolder { mode }));
        }
        tracing::warn!(
            "{} was mode {mode:04o}; made it 0700 (the tool's folders are private)",
            dir.display()
        );
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| FsError::io(dir, "make private (chmod 700)", e))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn tighten_dir(_dir: &Path, _meta: &Metadata) -> Result<(), FsError> {
    Ok(())
}

/// The missing folders above `path` (an export the admin named), created 0700. Folders
/// that already exist are left exactly as they are: they may be anyone's.
pub fn create_parent_dirs(path: &Path) -> Result<(), FsError> {
    let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) else {
        return Ok(());
    };
    let mut missing = Vec::new();
    let mut at = Some(parent);
    while let Some(p) = at.filter(|p| !p.as_os_str().is_empty()) {
        match std::fs::symlink_metadata(p) {
            Ok(_) => break,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                missing.push(p);
                at = p.parent();
            }
            Err(e) => return Err(FsError::io(p, "look at", e)),
        }
    }
    for p in missing.into_iter().rev() {
        match new_private_dir(p) {
            Err(e) if matches!(&e.kind, FsErrorKind::Io { source, .. } if source.kind() == std::io::ErrorKind::AlreadyExists) =>
                {}
            other => other?,
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Files the tool writes
// ---------------------------------------------------------------------------------------

/// 0600, never through a link, and non-blocking: opening a FIFO planted in a file's
/// place for writing fails at once instead of waiting for a reader (the opened file is
/// then checked to be a regular file, where the flag changes nothing).
fn private_options() -> OpenOptions {
    let mut o = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    o
}

/// An `open` error in words: `ELOOP` from `O_NOFOLLOW` means the last part is a link.
fn open_error(path: &Path, what: &'static str, e: std::io::Error) -> FsError {
    #[cfg(unix)]
    if e.raw_os_error() == Some(libc::ELOOP) {
        return FsError::new(path, FsErrorKind::Symlink);
    }
    if e.kind() == std::io::ErrorKind::AlreadyExists {
        return FsError::new(path, FsErrorKind::Exists);
    }
    FsError::io(path, what, e)
}

/// A new file, 0600: fails if anything is already at `path`, a link included.
pub fn create_new(path: &Path) -> Result<File, FsError> {
    private_options()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| open_error(path, "create", e))
}

/// A file to append to (a log), created 0600 when missing, never through a link; an
/// existing one must be a regular file and is tightened to 0600.
pub fn open_append(path: &Path) -> Result<File, FsError> {
    let file = private_options()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| open_error(path, "open", e))?;
    regular_and_private(path, &file)?;
    Ok(file)
}

/// A file to read and write in place (the state store's lock), created 0600 when
/// missing, never through a link, never truncated; an existing one must be a regular file
/// and is tightened to 0600.
pub fn open_in_place(path: &Path) -> Result<File, FsError> {
    let file = private_options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| open_error(path, "open", e))?;
    regular_and_private(path, &file)?;
    Ok(file)
}

/// Create or truncate `path`, 0600, never through a link; an existing file must be a
/// regular file. Prefer [`AtomicFile`] for files replaced as a whole.
pub fn create_or_truncate(path: &Path) -> Result<File, FsError> {
    let file = private_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(|e| open_error(path, "create", e))?;
    regular_and_private(path, &file)?;
    Ok(file)
}

/// The opened file is a regular file; its mode becomes 0600 (`fchmod` on the open file,
/// so no link can redirect it).
fn regular_and_private(path: &Path, file: &File) -> Result<(), FsError> {
    let meta = file
        .metadata()
        .map_err(|e| FsError::io(path, "look at", e))?;
    if !meta.is_file() {
        return Err(FsError::new(
            path,
            FsErrorKind::WrongType {
                found: type_name(&meta),
                expected: "a regular file",
            },
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(|e| FsError::io(path, "make private (chmod 600)", e))?;
        }
    }
    Ok(())
}

/// A file replaced as a whole: written to a temporary file created exclusively (0600) in
/// the target's folder, then renamed over the target by [`AtomicFile::commit`]. Dropped
/// without a commit, the temporary file is removed and the target left as it was.
pub struct AtomicFile {
    file: Option<File>,
    tmp: PathBuf,
    dest: PathBuf,
    committed: bool,
}

impl AtomicFile {
    /// Replace `dest`, whose folder must exist.
    pub fn create(dest: &Path) -> Result<AtomicFile, FsError> {
        if let Ok(meta) = std::fs::symlink_metadata(dest)
            && meta.is_dir()
        {
            return Err(FsError::new(
                dest,
                FsErrorKind::WrongType {
                    found: "a folder",
                    expected: "a file name",
                },
            ));
        }
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "file".into());
        // A random name: a link planted under a predictable one is never met.
        let mut tag = [0u8; 8];
        rand::fill(&mut tag);
        let tmp = dest.with_file_name(format!(
            ".{name}.{}.tmp",
            data_encoding::HEXLOWER.encode(&tag)
        ));
        let file = create_new(&tmp).map_err(|e| match e.kind {
            // "No such folder" and the like: name the file the admin asked for.
            FsErrorKind::Io { what, source } => FsError::io(dest, what, source),
            kind => FsError { path: e.path, kind },
        })?;
        Ok(AtomicFile {
            file: Some(file),
            tmp,
            dest: dest.to_path_buf(),
            committed: false,
        })
    }

    /// An export: the missing folders above `dest` are created 0700 first.
    pub fn create_export(dest: &Path) -> Result<AtomicFile, FsError> {
        create_parent_dirs(dest)?;
        AtomicFile::create(dest)
    }

    /// Flush to disk and rename into place.
    pub fn commit(mut self) -> Result<(), FsError> {
        if let Some(f) = self.file.take() {
            f.sync_all()
                .map_err(|e| FsError::io(&self.tmp, "write", e))?;
        }
        std::fs::rename(&self.tmp, &self.dest).map_err(|e| FsError::io(&self.dest, "write", e))?;
        self.committed = true;
        Ok(())
    }

    /// The file being written (for writers that take a `File`).
    pub fn file(&mut self) -> std::io::Result<&mut File> {
        self.file
            .as_mut()
            .ok_or_else(|| std::io::Error::other("already committed"))
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file()?.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file()?.flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Write `bytes` to `dest` through an [`AtomicFile`].
pub fn write_atomic(dest: &Path, bytes: &[u8]) -> Result<(), FsError> {
    let mut f = AtomicFile::create(dest)?;
    f.write_all(bytes)
        .map_err(|e| FsError::io(dest, "write", e))?;
    f.commit()
}

/// Write an export (`bytes` to `dest`, missing folders created 0700) through an
/// [`AtomicFile`].
pub fn write_export(dest: &Path, bytes: &[u8]) -> Result<(), FsError> {
    create_parent_dirs(dest)?;
    write_atomic(dest, bytes)
}

// ---------------------------------------------------------------------------------------
// Files the tool keeps (the state store)
// ---------------------------------------------------------------------------------------

/// An existing state file must be a regular file, not a link, and private (no group or
/// other permission bits). `Ok(false)` when it does not exist.
pub fn check_private_file(path: &Path) -> Result<bool, FsError> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(FsError::io(path, "look at", e)),
    };
    if meta.file_type().is_symlink() {
        return Err(FsError::new(path, FsErrorKind::Symlink));
    }
    if !meta.is_file() {
        return Err(FsError::new(
            path,
            FsErrorKind::WrongType {
                found: type_name(&meta),
                expected: "a regular file",
            },
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(FsError::new(path, FsErrorKind::Exposed { mode }));
        }
    }
    Ok(true)
}

// ---------------------------------------------------------------------------------------
// Files read whole
// ---------------------------------------------------------------------------------------

/// What kind of file is read whole, which sets its cap and how messages name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadKind {
    Config,
    Keymap,
    Mapping,
    SavedPlan,
    StateKey,
    Certificate,
    /// An AD FS or NPS export for the dependency inventory.
    Export,
}

impl ReadKind {
    /// The largest file of this kind that is read. Config, keymap and mapping files are
    /// a few KiB by hand; a saved plan of 500,000 users is about 300 MiB of JSON at most
    /// when every user has writes; the state key is 32 bytes; a PEM or PFX certificate
    /// with its chain is a few KiB.
    pub fn cap(self) -> u64 {
        match self {
            ReadKind::Config | ReadKind::Keymap | ReadKind::Mapping => 1 << 20,
            ReadKind::SavedPlan => 512 << 20,
            ReadKind::StateKey => 64,
            ReadKind::Certificate => 1 << 20,
            // A farm with thousands of relying parties exported with -Depth 10 is tens of
            // MiB of JSON.
            ReadKind::Export => 256 << 20,
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            ReadKind::Config => "config file",
            ReadKind::Keymap => "keymap file",
            ReadKind::Mapping => "mapping file",
            ReadKind::SavedPlan => "saved plan",
            ReadKind::StateKey => "state key file",
            ReadKind::Certificate => "certificate file",
            ReadKind::Export => "export file",
        }
    }

    fn expected(self) -> &'static str {
        match self {
            ReadKind::Config => "a TOML config file",
            ReadKind::Keymap => "a TOML keymap file",
            ReadKind::Mapping => "a TOML mapping file",
            ReadKind::SavedPlan => "a plan saved by `mfa-cutover plan --out`",
            ReadKind::StateKey => "the 32-byte key the state store created",
            ReadKind::Certificate => "a PEM or PFX certificate file",
            ReadKind::Export => "an AD FS or NPS export (JSON, XML or rule text)",
        }
    }
}

/// Read a whole file of `kind`: a regular file (checked on the open file, which is opened
/// non-blocking so a FIFO cannot hold the tool) of at most `kind.cap()` bytes, also when
/// it grows while being read.
pub fn read_bounded(path: &Path, kind: ReadKind) -> Result<Vec<u8>, FsError> {
    let mut o = OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NONBLOCK);
    }
    let file = o.open(path).map_err(|e| FsError::io(path, "read", e))?;
    let meta = file.metadata().map_err(|e| FsError::io(path, "read", e))?;
    if !meta.is_file() {
        return Err(FsError::new(
            path,
            FsErrorKind::WrongType {
                found: type_name(&meta),
                expected: kind.expected(),
            },
        ));
    }
    let cap = kind.cap();
    if meta.len() > cap {
        return Err(FsError::new(
            path,
            FsErrorKind::TooBig {
                size: meta.len(),
                cap,
                kind,
            },
        ));
    }
    let mut buf = Vec::with_capacity(meta.len() as usize);
    file.take(cap + 1)
        .read_to_end(&mut buf)
        .map_err(|e| FsError::io(path, "read", e))?;
    if buf.len() as u64 > cap {
        return Err(FsError::new(
            path,
            FsErrorKind::TooBig {
                size: buf.len() as u64,
                cap,
                kind,
            },
        ));
    }
    Ok(buf)
}

/// [`read_bounded`] as UTF-8 text (a BOM is dropped).
pub fn read_bounded_text(path: &Path, kind: ReadKind) -> Result<String, FsError> {
    let bytes = read_bounded(path, kind)?;
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    match std::str::from_utf8(body) {
        Ok(s) => Ok(s.to_string()),
        Err(e) => Err(FsError::new(
            path,
            FsErrorKind::Io {
                what: "read",
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "not UTF-8 text (byte {} is invalid); expected {}",
                        e.valid_up_to(),
                        kind.expected()
                    ),
                ),
            },
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mode(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[cfg(unix)]
    #[test]
    fn private_dirs_are_0700_and_never_links() {
        use std::os::unix::fs::PermissionsExt;
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("a/b/state");
        private_dir(&d).unwrap();
        assert_eq!(mode(&d), 0o700);
        // An existing open folder is tightened.
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
        private_dir(&d).unwrap();
        assert_eq!(mode(&d), 0o700);
        // A link to a folder is refused, and its target left alone.
        let target = t.path().join("elsewhere");
        std::fs::create_dir(&target).unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755)).unwrap();
        let link = t.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let e = private_dir(&link).unwrap_err();
        assert!(matches!(e.kind, FsErrorKind::Symlink), "{e}");
        assert!(e.to_string().contains("rm "), "{e}");
        assert_eq!(mode(&target), 0o755);
        // A file is not a folder.
        let f = t.path().join("f");
        std::fs::write(&f, "x").unwrap();
        assert!(
            private_dir(&f)
                .unwrap_err()
                .to_string()
                .contains("a regular file")
        );
        // Somebody's open folder is not closed behind their back.
        let theirs = t.path().join("theirs");
        std::fs::create_dir(&theirs).unwrap();
        std::fs::write(theirs.join("notes.txt"), "x").unwrap();
        std::fs::set_permissions(&theirs, std::fs::Permissions::from_mode(0o755)).unwrap();
        let e = private_dir(&theirs).unwrap_err();
        assert!(e.to_string().contains("chmod 700"), "{e}");
        assert_eq!(mode(&theirs), 0o755);
    }

    #[cfg(unix)]
    #[test]
    fn export_folders_are_created_private_and_existing_ones_left_alone() {
        use std::os::unix::fs::PermissionsExt;
        let t = tempfile::tempdir().unwrap();
        std::fs::set_permissions(t.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let dest = t.path().join("exports/2026/x.csv");
        let mut f = AtomicFile::create_export(&dest).unwrap();
        f.write_all(b"a,b\n").unwrap();
        f.commit().unwrap();
        assert_eq!(mode(&t.path().join("exports")), 0o700);
        assert_eq!(mode(&t.path().join("exports/2026")), 0o700);
        assert_eq!(mode(t.path()), 0o755);
        assert_eq!(mode(&dest), 0o600);
        assert_eq!(std::fs::read(&dest).unwrap(), b"a,b\n");
    }

    #[cfg(unix)]
    #[test]
    fn new_files_never_follow_links() {
        let t = tempfile::tempdir().unwrap();
        let victim = t.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        let before = mode(&victim);
        let link = t.path().join("log");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        for e in [
            create_new(&link).unwrap_err(),
            open_append(&link).unwrap_err(),
            create_or_truncate(&link).unwrap_err(),
        ] {
            assert!(
                matches!(e.kind, FsErrorKind::Symlink | FsErrorKind::Exists),
                "{e}"
            );
        }
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        assert_eq!(mode(&victim), before);
    }

    #[cfg(unix)]
    #[test]
    fn atomic_files_replace_whole_and_ignore_planted_temp_links() {
        let t = tempfile::tempdir().unwrap();
        let dest = t.path().join("plan.json");
        let victim = t.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        // Whatever name an attacker guesses, the temporary name is random.
        std::os::unix::fs::symlink(&victim, t.path().join("plan.tmp-plan")).unwrap();
        write_atomic(&dest, b"{}").unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"{}");
        assert_eq!(mode(&dest), 0o600);
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        // A link at the destination is replaced, not followed.
        let link = t.path().join("out.json");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        assert_eq!(std::fs::read(&link).unwrap(), b"new");
        // Dropped without commit: nothing left behind.
        drop(AtomicFile::create(&t.path().join("never")).unwrap());
        let names: Vec<_> = std::fs::read_dir(t.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(names.is_empty(), "{names:?}");
    }

    #[cfg(unix)]
    #[test]
    fn state_files_must_be_private_regular_files() {
        use std::os::unix::fs::PermissionsExt;
        let t = tempfile::tempdir().unwrap();
        let key = t.path().join("state.key");
        assert!(!check_private_file(&key).unwrap());
        std::fs::write(&key, [0u8; 32]).unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = check_private_file(&key).unwrap_err();
        assert!(
            e.to_string()
                .contains(&format!("chmod 600 {}", key.display())),
            "{e}"
        );
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(check_private_file(&key).unwrap());
        let link = t.path().join("state.sqlite");
        std::os::unix::fs::symlink(&key, &link).unwrap();
        let e = check_private_file(&link).unwrap_err();
        assert!(matches!(e.kind, FsErrorKind::Symlink), "{e}");
    }

    #[test]
    fn bounded_reads_refuse_big_files_and_non_files() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("config.toml");
        std::fs::write(&p, vec![b'#'; (1 << 20) + 1]).unwrap();
        let e = read_bounded(&p, ReadKind::Config).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("larger than a config file can be (1 MiB at most)"),
            "{msg}"
        );
        std::fs::write(&p, "tenant = \"x\"\n").unwrap();
        assert_eq!(
            read_bounded_text(&p, ReadKind::Config).unwrap(),
            "tenant = \"x\"\n"
        );
        let e = read_bounded(t.path(), ReadKind::Mapping).unwrap_err();
        assert!(e.to_string().contains("is a folder"), "{e}");
        assert!(
            read_bounded(&t.path().join("nope"), ReadKind::Keymap)
                .unwrap_err()
                .is_not_found()
        );
    }

    #[cfg(unix)]
    #[test]
    fn bounded_reads_never_block_on_a_fifo_or_read_a_device() {
        let e = read_bounded(Path::new("/dev/zero"), ReadKind::StateKey).unwrap_err();
        assert!(e.to_string().contains("a character device"), "{e}");
        let t = tempfile::tempdir().unwrap();
        let fifo = t.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            let e = read_bounded(&fifo, ReadKind::Config).unwrap_err();
            assert!(e.to_string().contains("FIFO"), "{e}");
        }
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(64), "64 bytes");
        assert_eq!(human_size(1 << 20), "1 MiB");
        assert_eq!(human_size(6_600_000_000), "6.1 GiB");
    }
}
