//! The simulation's own check of OATH codes (RFC 4226 / 6238), written apart from the
//! client's `crate::otp` so that a mistake there shows up as a refused activation.

use hmac::{Hmac, Mac};

/// The HMAC of a hardware token (Graph's `hashFunction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hash {
    Sha1,
    Sha256,
}

/// How far ahead of the stored counter a HOTP code may be.
pub(crate) const HOTP_LOOK_AHEAD: u64 = 10;

fn hmac_digest(hash: Hash, key: &[u8], msg: &[u8]) -> Vec<u8> {
    fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], msg: &[u8]) -> Vec<u8> {
        match <M as Mac>::new_from_slice(key) {
            Ok(mut m) => {
                m.update(msg);
                m.finalize().into_bytes().to_vec()
            }
            // HMAC takes keys of any length; an empty digest can match no code.
            Err(_) => Vec::new(),
        }
    }
    match hash {
        Hash::Sha1 => run::<Hmac<sha1::Sha1>>(key, msg),
        Hash::Sha256 => run::<Hmac<sha2::Sha256>>(key, msg),
    }
}

/// The 6-digit code for `counter`.
pub(crate) fn code(hash: Hash, key: &[u8], counter: u64) -> Option<u32> {
    let d = hmac_digest(hash, key, &counter.to_be_bytes());
    let offset = (*d.last()? & 0x0f) as usize;
    let b = d.get(offset..offset + 4)?;
    let word = u32::from_be_bytes([b[0] & 0x7f, b[1], b[2], b[3]]);
    Some(word % 1_000_000)
}

fn parse_code(text: &str) -> Option<u32> {
    let t = text.trim();
    (t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit()))
        .then(|| t.parse().ok())
        .flatten()
}

/// A TOTP code for the step of `unix_secs`, the one before or the one after.
pub(crate) fn totp_matches(
    hash: Hash,
    key: &[u8],
    step_secs: u32,
    unix_secs: u64,
    text: &str,
) -> bool {
    let Some(given) = parse_code(text) else {
        return false;
    };
    let step = unix_secs / u64::from(step_secs.max(1));
    [step.saturating_sub(1), step, step + 1]
        .into_iter()
        .any(|s| code(hash, key, s) == Some(given))
}

/// A HOTP code within the look-ahead window from `counter`: the counter after it.
pub(crate) fn hotp_match(hash: Hash, key: &[u8], counter: u64, text: &str) -> Option<u64> {
    let given = parse_code(text)?;
    (counter..counter + HOTP_LOOK_AHEAD)
        .find(|&c| code(hash, key, c) == Some(given))
        .map(|c| c + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA1_KEY: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc4226_vectors() {
        let expected = [755224, 287082, 359152, 969429, 338314, 254676];
        for (c, e) in expected.iter().enumerate() {
            assert_eq!(code(Hash::Sha1, SHA1_KEY, c as u64), Some(*e));
        }
    }

    #[test]
    fn rfc6238_vectors_within_one_step() {
        let sha256_key = b"12345678901234567890123456789012";
        assert!(totp_matches(Hash::Sha1, SHA1_KEY, 30, 59, "287082"));
        assert!(totp_matches(
            Hash::Sha256,
            sha256_key,
            30,
            1111111109,
            "084774"
        ));
        // One step either side is accepted, two are not.
        assert!(totp_matches(Hash::Sha1, SHA1_KEY, 30, 59 + 30, "287082"));
        assert!(totp_matches(Hash::Sha1, SHA1_KEY, 30, 59 - 30, "287082"));
        assert!(!totp_matches(Hash::Sha1, SHA1_KEY, 30, 59 + 60, "287082"));
        assert!(!totp_matches(Hash::Sha1, SHA1_KEY, 30, 59, "28708"));
        assert!(!totp_matches(Hash::Sha1, SHA1_KEY, 30, 59, "abcdef"));
        assert!(!totp_matches(Hash::Sha256, SHA1_KEY, 30, 59, "287082"));
    }

    #[test]
    fn hotp_looks_ahead_and_moves_the_counter() {
        assert_eq!(hotp_match(Hash::Sha1, SHA1_KEY, 0, "969429"), Some(4));
        assert_eq!(
            hotp_match(Hash::Sha1, SHA1_KEY, 4, "969429"),
            None,
            "no replay"
        );
        assert_eq!(hotp_match(Hash::Sha1, SHA1_KEY, 4, "338314"), Some(5));
    }
}
