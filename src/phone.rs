//! Phone numbers in the one form both sides compare: E.164 digits plus an extension.
//!
//! MFA Server stores a country code and a national number as typed; Graph stores
//! `+{cc} {number}x{ext}`. Both are normalised here, through the `phonenumber` crate, into
//! a small `Copy` value so that 500,000 users carry their phones without allocating.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An extension: up to 18 digits, leading zeros kept.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Extension {
    value: u64,
    len: u8,
}

impl Extension {
    /// Digits only; `None` when empty, too long or not all digits.
    pub fn parse(digits: &str) -> Option<Extension> {
        if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let value = digits.parse().ok()?;
        Some(Extension {
            value,
            len: digits.len() as u8,
        })
    }
}

impl fmt::Display for Extension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:0width$}", self.value, width = self.len as usize)
    }
}

impl fmt::Debug for Extension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "x{self}")
    }
}

/// A normalised phone number. Equality is E.164 equality, extension included (rule P4).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneNumber {
    /// Country calling code, e.g. 1, 44, 49.
    country_code: u16,
    /// The E.164 digits (country code first) as one integer; E.164 has at most 15 digits
    /// and the country code never starts with 0, so no digit is lost.
    digits: u64,
    extension: Option<Extension>,
}

/// Why a number could not be normalised; the reader turns it into a row problem (P5).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("no number")]
    Empty,
    #[error("country code {0:?} is not 1 to 3 digits")]
    BadCountryCode(String),
    #[error("extension {0:?} is not 1 to 18 digits")]
    BadExtension(String),
    #[error("{number:?} is not a phone number for country code +{country_code}: {reason}")]
    Unparseable {
        country_code: u16,
        number: String,
        reason: String,
    },
    #[error("{0:?} is not in Graph's phone format '+{{cc}} {{number}}x{{ext}}'")]
    NotGraphFormat(String),
}

impl PhoneNumber {
    /// Normalise MFA Server's parts: a country code (digits, `+` tolerated), a national
    /// number as typed (spaces, dashes, dots, parentheses allowed; an `x123` suffix
    /// carries the extension), and an optional separate extension, which wins when both
    /// are given.
    pub fn normalise(
        country_code: &str,
        number: &str,
        extension: Option<&str>,
    ) -> Result<PhoneNumber, PhoneError> {
        let (cc, national, extension) = prepare(country_code, number, extension)?;
        MEMO.with(|memo| {
            let mut memo = memo.borrow_mut();
            let (shape, region) = match memo.rules(cc) {
                Some(r) => (Shape::of(cc, national, r), r.region),
                None => (None, None),
            };
            if let Some(shape) = &shape
                && let Some(strip) = memo.strip.get(&shape.key).copied()
                && let Some(p) = shape
                    .body()
                    .get(strip as usize..)
                    // `phonenumber` refuses a number of zeros only; let it say so.
                    .filter(|nsn| nsn.iter().any(|d| *d != b'0'))
                    .and_then(|nsn| Self::from_digits(cc, nsn, extension))
            {
                return Ok(p);
            }
            let region = region.or_else(|| main_region(cc));
            let p = Self::parse_national(cc, region, number, national, extension)?;
            if let Some(shape) = shape {
                memo.learn(&shape, &p);
            }
            Ok(p)
        })
    }

    /// [`PhoneNumber::normalise`] without the memo: every number through `phonenumber`.
    pub fn normalise_uncached(
        country_code: &str,
        number: &str,
        extension: Option<&str>,
    ) -> Result<PhoneNumber, PhoneError> {
        let (cc, national, extension) = prepare(country_code, number, extension)?;
        Self::parse_national(cc, main_region(cc), number, national, extension)
    }

    /// The number through `phonenumber`, read as a national number of the country's main
    /// region, so that the region's own rules strip its trunk prefix (the 0 of
    /// `07911 123456`, `030 1234567`, a UK-style `+44 (0)20 …`). A number typed with its
    /// own `+cc` is read the same way after that prefix when it agrees with the country
    /// code, else as written (and then refused when it reads as another country).
    fn parse_national(
        cc: u16,
        region: Option<phonenumber::country::Id>,
        number: &str,
        national: &str,
        extension: Option<Extension>,
    ) -> Result<PhoneNumber, PhoneError> {
        let unparseable = |reason: String| PhoneError::Unparseable {
            country_code: cc,
            number: number.to_string(),
            reason,
        };
        let body = match national.strip_prefix('+') {
            Some(rest) => strip_calling_code(rest, cc),
            None => Some(national),
        };
        let parsed = match (body, region) {
            (Some(body), Some(region)) => phonenumber::parse(Some(region), body),
            (Some(body), None) => phonenumber::parse(None, format!("+{cc} {body}")),
            (None, _) => phonenumber::parse(None, national),
        }
        .map_err(|e| unparseable(e.to_string()))?;
        let parsed = match body {
            Some(body) => recheck_country_code_strip(cc, body, parsed),
            None => parsed,
        };
        if parsed.code().value() != cc {
            return Err(unparseable(format!(
                "it reads as country code +{}",
                parsed.code().value()
            )));
        }
        // No `is_valid()` here: it costs more than the parse itself (4 µs against 3.7 µs,
        // measured), Graph checks only the format, and MFA Server already accepted the
        // number. `parse` still refuses what is not a possible number.
        let national = parsed.national();
        let nsn = format!(
            "{}{}",
            "0".repeat(national.zeros() as usize),
            national.value()
        );
        Self::from_parts(cc, &nsn, extension)
            .ok_or_else(|| unparseable("longer than E.164 allows".into()))
    }

    /// From a country code and the national significant number's ASCII digits.
    fn from_digits(cc: u16, nsn: &[u8], extension: Option<Extension>) -> Option<PhoneNumber> {
        let cc_len = digits_in(cc as u64);
        if nsn.is_empty() || cc == 0 || cc_len + nsn.len() > 15 {
            return None;
        }
        let mut digits = cc as u64;
        for b in nsn {
            if !b.is_ascii_digit() {
                return None;
            }
            digits = digits * 10 + (b - b'0') as u64;
        }
        Some(PhoneNumber {
            country_code: cc,
            digits,
            extension,
        })
    }

    /// Parse Graph's `phoneNumber` (`+1 4255550100`, `+1 4255550100x123`). Graph has
    /// already validated the format; this only splits it, without renumbering.
    pub fn from_graph(text: &str) -> Result<PhoneNumber, PhoneError> {
        let bad = || PhoneError::NotGraphFormat(text.to_string());
        let rest = text.trim().strip_prefix('+').ok_or_else(bad)?;
        let (cc, number) = rest.split_once(' ').ok_or_else(bad)?;
        let cc: u16 = cc.parse().map_err(|_| bad())?;
        let (national, ext) = match number.split_once(['x', 'X']) {
            Some((n, e)) => (n, Some(Extension::parse(e).ok_or_else(bad)?)),
            None => (number, None),
        };
        let digits: String = national.chars().filter(|c| !c.is_whitespace()).collect();
        Self::from_parts(cc, &digits, ext).ok_or_else(bad)
    }

    fn from_parts(cc: u16, nsn: &str, extension: Option<Extension>) -> Option<PhoneNumber> {
        Self::from_digits(cc, nsn.as_bytes(), extension)
    }

    pub fn country_code(&self) -> u16 {
        self.country_code
    }

    pub fn extension(&self) -> Option<Extension> {
        self.extension
    }

    pub fn has_extension(&self) -> bool {
        self.extension.is_some()
    }

    /// The same number without its extension (rule P3: text message drops it).
    pub fn without_extension(self) -> PhoneNumber {
        PhoneNumber {
            extension: None,
            ..self
        }
    }

    /// The national significant number, leading zeros kept (Italy).
    pub fn national(&self) -> String {
        let all = self.digits.to_string();
        all[digits_in(self.country_code as u64)..].to_string()
    }

    /// `+442079460958`, without the extension.
    pub fn e164(&self) -> String {
        format!("+{}", self.digits)
    }

    /// Graph's `phoneNumber` form: `+44 2079460958`, `+1 4255550100x1234`.
    pub fn graph(&self) -> String {
        match self.extension {
            Some(e) => format!("+{} {}x{e}", self.country_code, self.national()),
            None => format!("+{} {}", self.country_code, self.national()),
        }
    }
}

/// Check the country code, split the extension off (a separate extension wins over an
/// `x123` suffix) and trim: (country code, number without extension, extension).
fn prepare<'n>(
    country_code: &str,
    number: &'n str,
    extension: Option<&str>,
) -> Result<(u16, &'n str, Option<Extension>), PhoneError> {
    let cc_text = country_code.trim().trim_start_matches('+');
    if cc_text.is_empty() || cc_text.len() > 3 || !cc_text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PhoneError::BadCountryCode(country_code.to_string()));
    }
    let cc: u16 = cc_text
        .parse()
        .map_err(|_| PhoneError::BadCountryCode(country_code.to_string()))?;
    let (national, suffix_ext) = split_extension(number.trim());
    let national = national.trim();
    if national.is_empty() {
        return Err(PhoneError::Empty);
    }
    let extension = match extension
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .or(suffix_ext)
    {
        Some(e) => {
            Some(Extension::parse(e).ok_or_else(|| PhoneError::BadExtension(e.to_string()))?)
        }
        None => None,
    };
    Ok((cc, national, extension))
}

/// `44 (0)20 7946 0958` after the `+`, for country code 44 → `(0)20 7946 0958`; `None`
/// when the typed digits do not begin with `cc`.
fn strip_calling_code(after_plus: &str, cc: u16) -> Option<&str> {
    let rest = after_plus.trim_start();
    let code = cc.to_string();
    rest.strip_prefix(code.as_str())
}

// ---------------------------------------------------------------------------------------
// The memo: `phonenumber` decides, once per shape
// ---------------------------------------------------------------------------------------
//
// `phonenumber::parse` costs 1.5–5 µs a number and serialises threads on its regex cache's
// mutex, so 700,000 phones would take seconds on any number of cores. For a national
// number typed in the usual way (digits and formatting characters), what it decides is
// how many leading digits to drop — the trunk prefix, once or twice — and, in a country
// whose prefix rules are plain (a one-digit trunk prefix; every other national,
// carrier or international prefix starting with literal digits, so that numbers that
// begin with them can be sent the slow way), that depends only on the first digits and
// the length.
// So the memo keys on (country code, digit count, first 4 digits) and stores the number
// of digits `phonenumber` dropped; a number with a known shape is built from its own
// digits. Everything else always goes through `phonenumber`: countries with rewriting
// rules, numbers that begin with an international prefix, a carrier prefix or the
// country code itself, text with letters, and every error. A property test checks the
// memo against `normalise_uncached`.

/// Digits of the shape key's prefix.
const SHAPE_PREFIX: usize = 4;
/// Bound on remembered shapes per thread; the memo is cleared when full.
const MEMO_CAPACITY: usize = 1 << 16;

thread_local! {
    static MEMO: std::cell::RefCell<Memo> = std::cell::RefCell::new(Memo::default());
}

/// A country's prefix rules, when they are plain enough for the memo.
#[derive(Debug, Clone)]
struct PlainRules {
    region: Option<phonenumber::country::Id>,
    /// Digit strings a number must not begin with to use the memo: the international
    /// prefix, multi-digit national or carrier prefixes, the country code.
    avoid: Vec<String>,
}

/// Hashes the memo's `u64` keys with one multiply (SipHash would cost more than the
/// lookup saves); keys are not attacker-chosen in a way that matters: at worst a slow map.
#[derive(Default, Clone, Copy)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(*b as u64);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

#[derive(Default)]
struct Memo {
    strip: std::collections::HashMap<u64, u8, std::hash::BuildHasherDefault<KeyHasher>>,
    rules: std::collections::HashMap<
        u16,
        Option<PlainRules>,
        std::hash::BuildHasherDefault<KeyHasher>,
    >,
}

impl Memo {
    fn rules(&mut self, cc: u16) -> Option<&PlainRules> {
        self.rules
            .entry(cc)
            .or_insert_with(|| plain_rules(cc))
            .as_ref()
    }

    /// Remember how many digits `phonenumber` dropped for this shape, when the result is
    /// the typed digits less at most two leading ones.
    fn learn(&mut self, shape: &Shape, p: &PhoneNumber) {
        let all = p.digits.to_string();
        let Some(nsn) = all.as_bytes().get(digits_in(p.country_code as u64)..) else {
            return;
        };
        let body = shape.body();
        if nsn.len() <= body.len() && body.len() - nsn.len() <= 2 && body.ends_with(nsn) {
            if self.strip.len() >= MEMO_CAPACITY {
                self.strip.clear();
            }
            self.strip.insert(shape.key, (body.len() - nsn.len()) as u8);
        }
    }
}

fn plain_rules(cc: u16) -> Option<PlainRules> {
    let region = main_region(cc)?;
    let meta = phonenumber::metadata::DATABASE.by_id(region.as_ref())?;
    if meta.national_prefix().is_some_and(|p| p.len() != 1) {
        return None;
    }
    let mut avoid = vec![cc.to_string()];
    if let Some(parsing) = meta.national_prefix_for_parsing() {
        for alt in top_level_alternatives(parsing.as_str())? {
            let (prefix, pure) = literal_prefix(alt);
            if prefix.is_empty() {
                return None;
            }
            // A one-digit literal is the trunk prefix: the memo learns by first digit
            // whether it goes. Anything longer, or any pattern (which may rewrite the
            // number through a transform rule), is avoided by its literal start.
            let captures = alt.contains('(') && alt.replace("(?:", "").contains('(');
            if pure && prefix.len() == 1 && !captures {
                continue;
            }
            avoid.push(prefix);
        }
    } else if meta.national_prefix_transform_rule().is_some() {
        return None;
    }
    if let Some(idd) = meta.international_prefix() {
        for alt in top_level_alternatives(idd.as_str())? {
            let (prefix, _) = literal_prefix(alt);
            if prefix.is_empty() {
                return None;
            }
            avoid.push(prefix);
        }
    }
    Some(PlainRules {
        region: Some(region),
        avoid,
    })
}

/// The alternatives of a regular expression at its top level (`a|(b|c)` → `a`, `(b|c)`);
/// `None` for a pattern with whitespace (an extended-syntax pattern this reading does not
/// follow) or unbalanced groups.
fn top_level_alternatives(pattern: &str) -> Option<Vec<&str>> {
    let mut out = Vec::new();
    let (mut depth, mut class, mut start, mut escaped) = (0i32, false, 0, false);
    for (i, c) in pattern.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '[' => class = true,
            ']' => class = false,
            '(' if !class => depth += 1,
            ')' if !class => depth -= 1,
            '|' if !class && depth == 0 => {
                out.push(pattern.get(start..i)?.trim());
                start = i + 1;
            }
            c if c.is_whitespace() => return None,
            _ => {}
        }
    }
    out.push(pattern.get(start..)?.trim());
    (depth == 0 && !class).then_some(out)
}

/// The digits an alternative must start with (opening groups skipped), and whether the
/// alternative is nothing but those digits.
fn literal_prefix(alt: &str) -> (String, bool) {
    let mut s = alt;
    let mut opened = 0;
    loop {
        if let Some(r) = s.strip_prefix("(?:") {
            s = r;
        } else if let Some(r) = s.strip_prefix('(') {
            s = r;
        } else {
            break;
        }
        opened += 1;
    }
    // An alternation inside a group that was skipped (`(?:0|1…)0`) means the start is not
    // one literal: no prefix.
    let mut depth = opened;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => break,
            ')' => depth -= 1,
            '|' if depth <= opened && depth > 0 => return (String::new(), false),
            _ => {}
        }
        if depth < opened {
            break;
        }
    }
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    let rest = &s[digits.len()..];
    let pure = rest.len() == opened && rest.chars().all(|c| c == ')');
    (digits, pure)
}

/// The digits of a typed national number and its memo key; `None` when the text holds
/// anything but digits and formatting characters, or begins with a prefix to avoid.
struct Shape {
    key: u64,
    digits: [u8; 20],
    len: usize,
}

impl Shape {
    fn of(cc: u16, national: &str, rules: &PlainRules) -> Option<Shape> {
        let body = match national.strip_prefix('+') {
            Some(rest) => strip_calling_code(rest, cc)?,
            None => national,
        };
        let mut digits = [0u8; 20];
        let mut len = 0;
        for b in body.bytes() {
            match b {
                b'0'..=b'9' => {
                    *digits.get_mut(len)? = b;
                    len += 1;
                }
                b' ' | b'-' | b'.' | b'/' | b'(' | b')' => {}
                _ => return None,
            }
        }
        let body_digits = &digits[..len];
        if len < SHAPE_PREFIX
            || rules
                .avoid
                .iter()
                .any(|a| body_digits.starts_with(a.as_bytes()))
        {
            return None;
        }
        let mut prefix = 0u64;
        for d in &body_digits[..SHAPE_PREFIX] {
            prefix = prefix * 10 + (d - b'0') as u64;
        }
        let key = (cc as u64) | (len as u64) << 10 | prefix << 16;
        Some(Shape { key, digits, len })
    }

    fn body(&self) -> &[u8] {
        &self.digits[..self.len]
    }
}

/// A national number that begins with the digits of its own country code (Italian
/// mobiles `393 …` under +39) is read by `phonenumber` as if the code had been typed,
/// and loses those digits. The country code was given separately, so when exactly the
/// code was stripped and the number as typed is a valid number, keep the number as typed.
/// Only this rare case pays for `is_valid`.
fn recheck_country_code_strip(
    cc: u16,
    national: &str,
    parsed: phonenumber::PhoneNumber,
) -> phonenumber::PhoneNumber {
    let typed: String = national.chars().filter(char::is_ascii_digit).collect();
    let n = parsed.national();
    let nsn = format!("{}{}", "0".repeat(n.zeros() as usize), n.value());
    if typed != format!("{cc}{nsn}") {
        return parsed;
    }
    match phonenumber::parse(None, format!("+{cc} {typed}")) {
        Ok(whole) if whole.code().value() == cc && phonenumber::is_valid(&whole) => whole,
        _ => parsed,
    }
}

/// The main region of a calling code (`44` → GB, `1` → US), whose national prefix
/// rules apply to a number typed in national form.
fn main_region(cc: u16) -> Option<phonenumber::country::Id> {
    let regions = phonenumber::metadata::DATABASE.region(&cc)?;
    regions.first()?.parse().ok()
}

/// Split an extension off a typed number: the last `x`, `#`, `ext`, `ext.` or
/// `extension` (any case) starts it. `"425-555-0100 ext. 123"` → (`"425-555-0100 "`,
/// `Some("123")`). What follows the marker is returned as is (the caller checks it is
/// digits).
fn split_extension(number: &str) -> (&str, Option<&str>) {
    let Some(i) = number.rfind(['x', 'X', '#']) else {
        return (number, None);
    };
    let bytes = number.as_bytes();
    let mut start = i;
    let mut rest = &number[i + 1..];
    if bytes[i] != b'#' {
        if i > 0 && bytes[i - 1].eq_ignore_ascii_case(&b'e') {
            start = i - 1;
        }
        for tail in ["tension", "t"] {
            if let Some(head) = rest.get(..tail.len())
                && head.eq_ignore_ascii_case(tail)
            {
                rest = &rest[tail.len()..];
                break;
            }
        }
    }
    let ext = rest.trim_start().trim_start_matches(['.', ':']).trim();
    (&number[..start], Some(ext))
}

fn digits_in(mut n: u64) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.graph())
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.graph())
    }
}

impl FromStr for PhoneNumber {
    type Err = PhoneError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PhoneNumber::from_graph(s)
    }
}

/// Serialised in Graph's form, so plans and reports read as Graph would show them.
impl Serialize for PhoneNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.graph())
    }
}

impl<'de> Deserialize<'de> for PhoneNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        PhoneNumber::from_graph(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_formatting_and_extension() -> Result<(), PhoneError> {
        let p = PhoneNumber::normalise("1", "(425) 555-0100 x1234", None)?;
        assert_eq!(p.graph(), "+1 4255550100x1234");
        assert_eq!(p.e164(), "+14255550100");
        let uk = PhoneNumber::normalise("44", "020 7946 0958", None)?;
        assert_eq!(uk.graph(), "+44 2079460958");
        let typed_with_cc = PhoneNumber::normalise("1", "+1 425.555.0199 x12", None)?;
        assert_eq!(typed_with_cc.graph(), "+1 4255550199x12");
        assert!(PhoneNumber::normalise("44", "+1 425 555 0199", None).is_err());
        assert!(PhoneNumber::normalise("1", "call me", None).is_err());
        for (cc, typed, graph) in [
            ("44", "07911 123456", "+44 7911123456"),
            ("44", "+44 (0)20 7946 0958", "+44 2079460958"),
            ("49", "(030) 1234-5678 ext. 42", "+49 3012345678x42"),
            ("39", "06 1234 5678", "+39 0612345678"),
            ("39", "393 191 4541", "+39 3931914541"),
            ("81", "090-1234-5678 Extension: 7", "+81 9012345678x7"),
            ("1", "425.555.0100 #12", "+1 4255550100x12"),
            ("+33", "06.12.34.56.78", "+33 612345678"),
        ] {
            assert_eq!(
                PhoneNumber::normalise(cc, typed, None)?.graph(),
                graph,
                "{typed}"
            );
        }
        assert!(matches!(
            PhoneNumber::normalise("1", "425 555 0100 ext abc", None),
            Err(PhoneError::BadExtension(_))
        ));
        Ok(())
    }

    #[test]
    fn graph_round_trip() -> Result<(), PhoneError> {
        let p = PhoneNumber::from_graph("+1 4255550100x0012")?;
        assert_eq!(
            p.extension().map(|e| e.to_string()).as_deref(),
            Some("0012")
        );
        assert_eq!(PhoneNumber::from_graph(&p.graph())?, p);
        Ok(())
    }

    #[test]
    fn extension_is_part_of_equality() -> Result<(), PhoneError> {
        let a = PhoneNumber::from_graph("+1 4255550100x1")?;
        assert_ne!(a, a.without_extension());
        Ok(())
    }
}

#[cfg(test)]
mod memo_sweep {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// Numbers of every country, biased towards the leading digits prefix rules look at
    /// (0, 00, 1, 01…), in five typed forms: the memo's answer is `phonenumber`'s, always.
    /// (Swept with 4 million numbers while developing; this keeps a slice of it.)
    #[test]
    fn memo_matches_phonenumber_for_every_country() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let mut ccs: Vec<u16> = phonenumber::metadata::DATABASE
            .iter()
            .map(|m| m.country_code())
            .collect();
        ccs.sort_unstable();
        ccs.dedup();
        let mut diffs = Vec::new();
        for &cc in &ccs {
            for _ in 0..150 {
                let len = 5 + (rng.next_u32() % 10) as usize;
                let d: String = (0..len)
                    .map(|i| {
                        let r = rng.next_u32() % 100;
                        let c = if i < 2 && r < 50 {
                            r % 3
                        } else if i < 4 && r < 30 {
                            r % 2
                        } else {
                            rng.next_u32() % 10
                        };
                        char::from(b'0' + c as u8)
                    })
                    .collect();
                let text = match rng.next_u32() % 5 {
                    0 => format!("+{cc} {d}"),
                    1 => format!("({}) {}", &d[..2], &d[2..]),
                    2 => d.clone(),
                    3 => format!("{}-{}", &d[..3], &d[3..]),
                    _ => format!("+{cc} (0){d}"),
                };
                let memo = PhoneNumber::normalise(&cc.to_string(), &text, None);
                let plain = PhoneNumber::normalise_uncached(&cc.to_string(), &text, None);
                if memo.as_ref().ok() != plain.as_ref().ok() {
                    diffs.push(format!("+{cc} {text:?}: {memo:?} vs {plain:?}"));
                }
            }
        }
        assert!(diffs.is_empty(), "{diffs:#?}");
        // Japan's prefix rules (a pattern for 000… numbers) still use the memo.
        assert!(plain_rules(81).is_some());
        assert!(plain_rules(44).is_some());
    }

    #[test]
    fn reads_regex_alternatives() {
        assert_eq!(
            top_level_alternatives("(000[2569]\\d{4,6})$|(?:(?:003768)0?)|0"),
            Some(vec!["(000[2569]\\d{4,6})$", "(?:(?:003768)0?)", "0"])
        );
        assert_eq!(literal_prefix("(?:(?:003768)0?)"), ("003768".into(), false));
        assert_eq!(literal_prefix("180020"), ("180020".into(), true));
        assert_eq!(
            literal_prefix("(?:0|1(?:1[0-69]))0"),
            (String::new(), false)
        );
        assert_eq!(top_level_alternatives("0 | 1"), None);
    }
}
