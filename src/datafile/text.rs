//! CSV text as Windows tools write it: UTF-8 with or without BOM, or UTF-16 LE/BE with
//! BOM; `,`, `;` or tab as delimiter (detected from the header); header names matched
//! case- and space-insensitively. The file is streamed (UTF-16 decoded on the fly) and
//! hashed as it is read, so it is read once.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use encoding_rs::{Decoder, Encoding, UTF_16BE, UTF_16LE, WINDOWS_1252};
use sha2::{Digest, Sha256};

use super::error::{FileError, FileProblem};

/// How a CSV file is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
    /// No BOM and not valid UTF-8: the "ANSI" code page older Windows tools write.
    Windows1252,
}

impl TextEncoding {
    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Utf8Bom => "UTF-8 with BOM",
            TextEncoding::Utf16Le => "UTF-16 LE",
            TextEncoding::Utf16Be => "UTF-16 BE",
            TextEncoding::Windows1252 => "Windows-1252",
        }
    }

    fn bom_len(self) -> usize {
        match self {
            TextEncoding::Utf8 | TextEncoding::Windows1252 => 0,
            TextEncoding::Utf8Bom => 3,
            TextEncoding::Utf16Le | TextEncoding::Utf16Be => 2,
        }
    }

    fn decoder(self) -> Option<&'static Encoding> {
        match self {
            TextEncoding::Utf16Le => Some(UTF_16LE),
            TextEncoding::Utf16Be => Some(UTF_16BE),
            TextEncoding::Windows1252 => Some(WINDOWS_1252),
            _ => None,
        }
    }
}

/// The encoding from the first bytes: a BOM, or (no BOM) the NUL pattern of UTF-16 text.
pub fn detect_encoding(head: &[u8]) -> TextEncoding {
    match head {
        [0xEF, 0xBB, 0xBF, ..] => TextEncoding::Utf8Bom,
        [0xFF, 0xFE, ..] => TextEncoding::Utf16Le,
        [0xFE, 0xFF, ..] => TextEncoding::Utf16Be,
        _ => {
            let sample = &head[..head.len().min(512)];
            let even_nuls = sample.iter().step_by(2).filter(|b| **b == 0).count();
            let odd_nuls = sample
                .iter()
                .skip(1)
                .step_by(2)
                .filter(|b| **b == 0)
                .count();
            let half = sample.len() / 2;
            if half >= 4 && odd_nuls * 10 >= half * 8 && even_nuls == 0 {
                TextEncoding::Utf16Le
            } else if half >= 4 && even_nuls * 10 >= half * 8 && odd_nuls == 0 {
                TextEncoding::Utf16Be
            } else if !valid_utf8_prefix(head) {
                TextEncoding::Windows1252
            } else {
                TextEncoding::Utf8
            }
        }
    }
}

/// Valid UTF-8, allowing a character cut off at the end of the sample.
fn valid_utf8_prefix(sample: &[u8]) -> bool {
    match std::str::from_utf8(sample) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

/// Reads through to `inner`, hashing every byte.
pub struct Hashing<R> {
    inner: R,
    hash: Sha256,
    bytes: u64,
}

impl<R: Read> Hashing<R> {
    pub fn new(inner: R) -> Self {
        Hashing {
            inner,
            hash: Sha256::new(),
            bytes: 0,
        }
    }

    /// Read what is left, then the lower-case hex digest and the byte count.
    pub fn finish(mut self) -> io::Result<(String, u64)> {
        io::copy(&mut self, &mut io::sink())?;
        Ok((
            data_encoding::HEXLOWER.encode(&self.hash.finalize()),
            self.bytes,
        ))
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(read) = buf.get(..n) {
            self.hash.update(read);
        }
        self.bytes += n as u64;
        Ok(n)
    }
}

/// A byte that is never valid UTF-8: written where UTF-16 cannot be decoded (an unpaired
/// surrogate, an odd trailing byte), so the field fails the UTF-8 check downstream and
/// becomes a row problem naming it, instead of a U+FFFD inside a phone number.
pub const UNDECODABLE: u8 = 0xFF;

/// UTF-16 (or Windows-1252) decoded to UTF-8 on the fly; what cannot be decoded becomes
/// [`UNDECODABLE`].
pub struct ToUtf8<R> {
    inner: R,
    decoder: Decoder,
    input: Vec<u8>,
    out: Vec<u8>,
    pos: usize,
    eof: bool,
}

impl<R: Read> ToUtf8<R> {
    pub fn new(inner: R, encoding: &'static Encoding) -> Self {
        ToUtf8 {
            inner,
            decoder: encoding.new_decoder_without_bom_handling(),
            input: vec![0; 1 << 16],
            out: Vec::new(),
            pos: 0,
            eof: false,
        }
    }
}

impl<R: Read> Read for ToUtf8<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.out.len() {
            if self.eof {
                return Ok(0);
            }
            let n = self.inner.read(&mut self.input)?;
            self.eof = n == 0;
            let mut src = self.input.get(..n).unwrap_or(&[]);
            let cap = self
                .decoder
                .max_utf8_buffer_length_without_replacement(n)
                .unwrap_or(n * 3 + 16);
            self.out.clear();
            self.out.resize(cap, 0);
            let mut filled = 0;
            loop {
                let dst = self.out.get_mut(filled..).unwrap_or(&mut []);
                let (result, read, written) = self
                    .decoder
                    .decode_to_utf8_without_replacement(src, dst, self.eof);
                filled += written;
                src = src.get(read..).unwrap_or(&[]);
                match result {
                    encoding_rs::DecoderResult::Malformed(_, _) => {
                        // One marker per bad sequence; room for it was reserved below.
                        if self.out.len() <= filled {
                            self.out.resize(filled + 1, 0);
                        }
                        self.out[filled] = UNDECODABLE;
                        filled += 1;
                    }
                    encoding_rs::DecoderResult::OutputFull => {
                        let more = self
                            .decoder
                            .max_utf8_buffer_length_without_replacement(src.len())
                            .unwrap_or(src.len() * 3 + 16);
                        self.out.resize(filled + more + 4, 0);
                    }
                    encoding_rs::DecoderResult::InputEmpty => break,
                }
            }
            self.out.truncate(filled);
            self.pos = 0;
        }
        let rest = self.out.get(self.pos..).unwrap_or(&[]);
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        Ok(n)
    }
}

/// How much of the decoded text's end is kept, to tell whether the last record was cut:
/// rows are a few hundred bytes; a last row longer than this is judged by its field
/// count alone. Small, so keeping it costs a copy of 8 KiB per 64 KiB read.
const TAIL: usize = 8 << 10;

/// The last [`TAIL`] bytes of the decoded text and how many bytes passed in all.
#[derive(Default)]
struct TailState {
    buf: Vec<u8>,
    total: u64,
}

/// Passes the decoded text to the CSV reader, keeping its end.
struct Tail<R> {
    inner: R,
    state: std::rc::Rc<std::cell::RefCell<TailState>>,
}

impl<R: Read> Read for Tail<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let read = buf.get(..n).unwrap_or(&[]);
        let mut st = self.state.borrow_mut();
        st.total += n as u64;
        if n >= TAIL {
            st.buf.clear();
            st.buf.extend_from_slice(&read[n - TAIL..]);
        } else {
            st.buf.extend_from_slice(read);
            if st.buf.len() > 2 * TAIL {
                let drop = st.buf.len() - TAIL;
                st.buf.drain(..drop);
            }
        }
        Ok(n)
    }
}

/// Whether CSV text ends inside a quoted field, read from the start of a record with the
/// csv crate's rules (a quote opens a field only at its start; `""` inside is a quote).
fn ends_in_quotes(text: &[u8], delimiter: u8) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum S {
        Start,
        Bare,
        Quoted,
        QuoteInQuoted,
    }
    let mut s = S::Start;
    for &b in text {
        let end = b == delimiter || b == b'\n' || b == b'\r';
        s = match s {
            S::Start if b == b'"' => S::Quoted,
            S::Start | S::Bare | S::QuoteInQuoted if end => S::Start,
            S::Start | S::Bare => S::Bare,
            S::Quoted if b == b'"' => S::QuoteInQuoted,
            S::Quoted => S::Quoted,
            S::QuoteInQuoted if b == b'"' => S::Quoted,
            S::QuoteInQuoted => S::Bare,
        };
    }
    s == S::Quoted
}

/// A CSV file opened for streaming: the decoded text reader (BOM skipped) and the hash
/// of the raw bytes, which fills as it is read.
pub struct CsvText {
    pub reader: csv::Reader<Box<dyn Read>>,
    hashing: std::rc::Rc<std::cell::RefCell<Option<Hashing<File>>>>,
    tail: std::rc::Rc<std::cell::RefCell<TailState>>,
    delimiter: u8,
}

/// Shares the hashing file reader between the CSV reader and [`CsvText::finish`]. No
/// buffer of its own: the CSV reader (or the UTF-16 decoder) reads in 64 KiB blocks.
struct Shared(std::rc::Rc<std::cell::RefCell<Option<Hashing<File>>>>);

impl Read for Shared {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.0.borrow_mut().as_mut() {
            Some(h) => h.read(buf),
            None => Ok(0),
        }
    }
}

impl CsvText {
    /// Open `path` with the given encoding (BOM skipped) and delimiter.
    pub fn open(path: &Path, encoding: TextEncoding, delimiter: u8) -> Result<CsvText, FileError> {
        let file = File::open(path).map_err(|e| FileError::io(path, &e))?;
        let mut hashing = Hashing::new(file);
        let mut bom = vec![0u8; encoding.bom_len()];
        hashing
            .read_exact(&mut bom)
            .map_err(|e| FileError::io(path, &e))?;
        let shared = std::rc::Rc::new(std::cell::RefCell::new(Some(hashing)));
        let tail = std::rc::Rc::new(std::cell::RefCell::new(TailState::default()));
        let raw: Box<dyn Read> = match encoding.decoder() {
            Some(enc) => Box::new(Tail {
                inner: ToUtf8::new(Shared(shared.clone()), enc),
                state: tail.clone(),
            }),
            None => Box::new(Tail {
                inner: Shared(shared.clone()),
                state: tail.clone(),
            }),
        };
        let reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .has_headers(false)
            .buffer_capacity(1 << 16)
            .from_reader(raw);
        Ok(CsvText {
            reader,
            hashing: shared,
            tail,
            delimiter,
        })
    }

    /// Called once the reader has no more records, with the last one it gave: why that
    /// record looks cut off (the file ends inside a quoted field, or without a line end
    /// and with fewer fields than the header's `fields`), or `None` when it is whole.
    pub fn last_record_cut(&self, last: &csv::ByteRecord, fields: usize) -> Option<String> {
        let st = self.tail.borrow();
        let terminated = st.buf.last().is_some_and(|b| matches!(b, b'\n' | b'\r'));
        let kept_from = st.total - st.buf.len() as u64;
        let start = last.position().map(|p| p.byte());
        let in_quotes = match start {
            Some(at) if at >= kept_from => st
                .buf
                .get((at - kept_from) as usize..)
                .is_some_and(|rest| ends_in_quotes(rest, self.delimiter)),
            _ => false,
        };
        if in_quotes {
            return Some(
                "the file ends inside a quoted field of this row (its closing quote is \
                 missing)"
                    .to_string(),
            );
        }
        if !terminated && last.len() < fields {
            return Some(format!(
                "the file ends in the middle of this row: no line end after it and {} of \
                 the header's {fields} fields",
                last.len()
            ));
        }
        None
    }

    /// The SHA-256 and size of the whole file (reads what the CSV reader left).
    pub fn finish(self, path: &Path) -> Result<(String, u64), FileError> {
        drop(self.reader);
        let hashing = self
            .hashing
            .borrow_mut()
            .take()
            .ok_or_else(|| FileError::io(path, &io::Error::other("read twice")))?;
        hashing.finish().map_err(|e| FileError::io(path, &e))
    }
}

/// The first line of a text file, decoded: for sniffing and delimiter detection.
pub fn first_line(head: &[u8], encoding: TextEncoding) -> String {
    let body = head.get(encoding.bom_len()..).unwrap_or(&[]);
    let text = match encoding.decoder() {
        Some(enc) => enc.decode_without_bom_handling(body).0.into_owned(),
        None => String::from_utf8_lossy(body).into_owned(),
    };
    text.lines().next().unwrap_or("").to_string()
}

/// The delimiter that splits the header most (`,` on a tie), quotes respected.
pub fn detect_delimiter(header: &str) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for c in header.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => counts[0] += 1,
            ';' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = [(b',', counts[0]), (b';', counts[1]), (b'\t', counts[2])]
        .into_iter()
        .fold((b',', 0), |best, c| if c.1 > best.1 { c } else { best });
    best.0
}

/// Split the header line into names, with the csv crate (quotes respected).
pub fn split_header(header: &str, delimiter: u8) -> Vec<String> {
    let mut r = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(header.as_bytes());
    r.records()
        .next()
        .and_then(Result::ok)
        .map(|rec| rec.iter().map(|s| s.trim().to_string()).collect())
        .unwrap_or_default()
}

/// Header names compare lower-cased with everything but letters and digits removed:
/// `Primary Country Code` = `primary_country_code` = `PrimaryCountryCode`.
pub fn header_key(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Read up to `n` bytes from the start of a file.
pub fn read_head(path: &Path, n: usize) -> Result<Vec<u8>, FileError> {
    let file = File::open(path).map_err(|e| FileError::io(path, &e))?;
    let mut head = Vec::with_capacity(n);
    file.take(n as u64)
        .read_to_end(&mut head)
        .map_err(|e| FileError::io(path, &e))?;
    Ok(head)
}

/// Whether bytes look like text rather than binary data.
pub fn looks_like_text(head: &[u8], encoding: TextEncoding) -> bool {
    match encoding {
        TextEncoding::Utf16Le | TextEncoding::Utf16Be => true,
        _ => {
            // Text has no control characters but line ends and tabs; binary data does.
            let body = head.get(encoding.bom_len()..).unwrap_or(&[]);
            let sample = &body[..body.len().min(4096)];
            !sample
                .iter()
                .any(|b| *b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t'))
        }
    }
}

/// A CSV problem as a file error.
pub fn csv_error(path: &Path, e: &csv::Error) -> FileError {
    FileError::new(
        path,
        FileProblem::NotRecognised,
        format!("the CSV cannot be read: {e}"),
        "a CSV file",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(text: &str) -> Vec<u8> {
        let mut v = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            v.extend_from_slice(&u.to_le_bytes());
        }
        v
    }

    #[test]
    fn detects_encodings_and_delimiters() {
        assert_eq!(detect_encoding(b"\xEF\xBB\xBFa,b"), TextEncoding::Utf8Bom);
        assert_eq!(detect_encoding(&utf16le("a;b")), TextEncoding::Utf16Le);
        assert_eq!(detect_encoding(b"a,b"), TextEncoding::Utf8);
        let no_bom: Vec<u8> = utf16le("Username;Phone")[2..].to_vec();
        assert_eq!(detect_encoding(&no_bom), TextEncoding::Utf16Le);
        assert_eq!(detect_encoding(b"\xFE\xFF\x00a"), TextEncoding::Utf16Be);
        assert_eq!(
            detect_encoding(b"Username,Phone\r\nZo\xeb,1\r\n"),
            TextEncoding::Windows1252
        );
        assert_eq!(detect_delimiter("a;b;\"c,d\""), b';');
        assert_eq!(detect_delimiter("a\tb\tc,d"), b'\t');
        assert_eq!(detect_delimiter("a"), b',');
        assert_eq!(header_key(" Primary Country-Code "), "primarycountrycode");
    }

    fn last_cut(text: &[u8]) -> Result<Option<String>, Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("u.csv");
        std::fs::write(&path, text)?;
        let mut t = CsvText::open(&path, detect_encoding(text), b',')?;
        let mut rec = csv::ByteRecord::new();
        let mut last = csv::ByteRecord::new();
        t.reader.read_byte_record(&mut rec)?;
        let fields = rec.len();
        while t.reader.read_byte_record(&mut rec)? {
            std::mem::swap(&mut rec, &mut last);
        }
        Ok(t.last_record_cut(&last, fields))
    }

    #[test]
    fn a_last_record_cut_off_is_told_from_a_whole_one() -> Result<(), Box<dyn std::error::Error>> {
        let head = "Username,Primary Country Code,Primary Phone,Enabled\r\n";
        let whole = format!("{head}alice,39,320 1794567,Yes\r\nbob,39,320 1794568,Yes");
        assert_eq!(last_cut(whole.as_bytes())?, None, "no line end, all fields");
        let cut = format!("{head}alice,39,320 1794567,Yes\r\nbob,39,+39 3201794");
        let why = last_cut(cut.as_bytes())?.ok_or("not flagged")?;
        assert!(why.contains("3 of the header's 4 fields"), "{why}");
        let quoted = format!("{head}alice,39,\"320 17\r\n");
        let why = last_cut(quoted.as_bytes())?.ok_or("not flagged")?;
        assert!(why.contains("closing quote"), "{why}");
        let fine = format!("{head}alice,39,\"320 \"\"17\"\"\",Yes\r\n");
        assert_eq!(last_cut(fine.as_bytes())?, None);
        let bare_quote = format!("{head}alice,39,5\" screen,Yes\r\n");
        assert_eq!(last_cut(bare_quote.as_bytes())?, None);
        let utf16 = utf16le(&format!("{head}alice,39,320 17"));
        assert!(last_cut(&utf16)?.is_some());
        // Far more text than the tail kept: only the end matters.
        let many: String = (0..5000)
            .map(|i| format!("user{i},39,\"320 {i:07}\",Yes\r\n"))
            .collect();
        assert_eq!(last_cut(format!("{head}{many}").as_bytes())?, None);
        let why = last_cut(format!("{head}{many}bob,39,\"320 17").as_bytes())?;
        assert!(why.is_some_and(|w| w.contains("closing quote")));
        Ok(())
    }

    #[test]
    fn undecodable_utf16_is_marked_not_replaced() -> Result<(), Box<dyn std::error::Error>> {
        // "a," then an unpaired high surrogate, then "1".
        let mut bytes = vec![0xFF, 0xFE, b'a', 0, b',', 0, 0x00, 0xD8, b'1', 0];
        let mut out = Vec::new();
        ToUtf8::new(&bytes[2..], UTF_16LE).read_to_end(&mut out)?;
        assert_eq!(out, [b'a', b',', UNDECODABLE, b'1']);
        // An odd byte at the end.
        bytes.push(b'x');
        out.clear();
        ToUtf8::new(&bytes[2..], UTF_16LE).read_to_end(&mut out)?;
        assert_eq!(out, [b'a', b',', UNDECODABLE, b'1', UNDECODABLE]);
        Ok(())
    }

    #[test]
    fn streams_utf16_through_csv_and_hashes_the_raw_bytes() -> Result<(), Box<dyn std::error::Error>>
    {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("u.csv");
        let text = "Username;Phone\r\nzoë;+44 20 7946 0958\r\n山田;03-1234-5678\r\n";
        let bytes = utf16le(text);
        std::fs::write(&path, &bytes)?;
        let enc = detect_encoding(&bytes);
        assert_eq!(first_line(&bytes, enc), "Username;Phone");
        let mut t = CsvText::open(&path, enc, b';')?;
        let mut names = Vec::new();
        let mut rec = csv::ByteRecord::new();
        while t.reader.read_byte_record(&mut rec)? {
            names.push(String::from_utf8(rec[0].to_vec())?);
        }
        assert_eq!(names, ["Username", "zoë", "山田"]);
        let (sha, size) = t.finish(&path)?;
        assert_eq!(size, bytes.len() as u64);
        let expected = data_encoding::HEXLOWER.encode(&Sha256::digest(&bytes));
        assert_eq!(sha, expected);
        Ok(())
    }
}
