//! CSV text as Windows tools write it: UTF-8 with or without BOM, or UTF-16 LE/BE with
//! BOM; `,`, `;` or tab as delimiter (detected from the header); header names matched
//! case- and space-insensitively. The file is streamed (UTF-16 decoded on the fly) and
//! hashed as it is read, so it is read once.

use std::fs::File;
use std::io::{self, BufReader, Read};
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

/// UTF-16 (or Windows-1252) decoded to UTF-8 on the fly (what cannot be decoded becomes
/// U+FFFD).
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
            let src = self.input.get(..n).unwrap_or(&[]);
            let cap = self.decoder.max_utf8_buffer_length(n).unwrap_or(n * 3 + 16);
            self.out.resize(cap, 0);
            let (_, _, written, _) = self.decoder.decode_to_utf8(src, &mut self.out, self.eof);
            self.out.truncate(written);
            self.pos = 0;
        }
        let rest = self.out.get(self.pos..).unwrap_or(&[]);
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        Ok(n)
    }
}

/// A CSV file opened for streaming: the decoded text reader (BOM skipped) and the hash
/// of the raw bytes, which fills as it is read.
pub struct CsvText {
    pub reader: csv::Reader<Box<dyn Read>>,
    hashing: std::rc::Rc<std::cell::RefCell<Option<Hashing<BufReader<File>>>>>,
}

/// Shares the hashing file reader between the CSV reader and [`CsvText::finish`].
struct Shared(std::rc::Rc<std::cell::RefCell<Option<Hashing<BufReader<File>>>>>);

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
        let mut hashing = Hashing::new(BufReader::with_capacity(1 << 16, file));
        let mut bom = vec![0u8; encoding.bom_len()];
        hashing
            .read_exact(&mut bom)
            .map_err(|e| FileError::io(path, &e))?;
        let shared = std::rc::Rc::new(std::cell::RefCell::new(Some(hashing)));
        let raw: Box<dyn Read> = match encoding.decoder() {
            Some(enc) => Box::new(ToUtf8::new(Shared(shared.clone()), enc)),
            None => Box::new(Shared(shared.clone())),
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
        })
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
