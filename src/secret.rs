//! OATH secrets: decoded once, held in zeroised memory, never printed.
//!
//! Debug and Display show at most `••••` and the last two base32 characters. The store
//! and fingerprints see only a keyed hash. The clear value leaves this type in exactly
//! two places: the Graph body that uploads a hardware token, and the OTP computation.

use std::fmt;

use data_encoding::{BASE32_NOPAD, HEXLOWER_PERMISSIVE};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretBox, SecretString};
use sha2::Sha256;

/// A decoded OATH shared secret (the HMAC key of HOTP/TOTP).
#[derive(Clone)]
pub struct OathSecret {
    bytes: SecretBox<[u8]>,
}

/// Why a secret was refused; the reader turns it into a row problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("empty secret")]
    Empty,
    #[error("not base32 (RFC 4648: letters A-Z and digits 2-7)")]
    NotBase32,
    #[error("not hexadecimal")]
    NotHex,
    #[error(
        "{0} bytes ({bits} bits) is too short for an OATH secret: Entra takes 16 to 80 bytes \
         (128 to 640 bits)",
        bits = .0 * 8
    )]
    TooShort(usize),
    #[error(
        "{0} bytes is too long for an OATH secret: Entra takes 16 to 80 bytes (at most 128 \
         base32 characters)"
    )]
    TooLong(usize),
    #[error(
        "a value of {0} characters, far longer than an OATH secret (Entra takes at most 128 \
         base32 characters)"
    )]
    TooLongText(usize),
}

/// Shortest secret accepted: RFC 4226 §4 requires at least 128 bits (and recommends 160).
pub const MIN_BYTES: usize = 16;
/// Longest: Entra's hardware OATH secrets are "limited to 128 characters" of base32
/// (Microsoft Entra docs, "Upload hardware OATH tokens in CSV format"), i.e. 80 bytes; a
/// longer one is refused by Graph only after the whole batch was sent.
pub const MAX_BYTES: usize = 80;
/// Text longer than this is not decoded at all: even with spaces between groups of four
/// a 128-character secret is shorter.
const MAX_TEXT: usize = 4 * MAX_BYTES * 8 / 5;

impl OathSecret {
    /// Base32 as vendors and Graph write it: case-insensitive, spaces and dashes and
    /// `=` padding tolerated.
    pub fn from_base32(text: &str) -> Result<OathSecret, SecretError> {
        if text.len() > MAX_TEXT {
            return Err(SecretError::TooLongText(text.chars().count()));
        }
        let cleaned: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-' && *c != '=')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if cleaned.is_empty() {
            return Err(SecretError::Empty);
        }
        let bytes = BASE32_NOPAD
            .decode(cleaned.as_bytes())
            .map_err(|_| SecretError::NotBase32)?;
        Self::from_bytes(bytes)
    }

    /// Hexadecimal, as some vendor seed files carry it; spaces tolerated.
    pub fn from_hex(text: &str) -> Result<OathSecret, SecretError> {
        if text.len() > MAX_TEXT {
            return Err(SecretError::TooLongText(text.chars().count()));
        }
        let cleaned: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        if cleaned.is_empty() {
            return Err(SecretError::Empty);
        }
        let bytes = HEXLOWER_PERMISSIVE
            .decode(cleaned.as_bytes())
            .map_err(|_| SecretError::NotHex)?;
        Self::from_bytes(bytes)
    }

    pub fn from_bytes(bytes: Vec<u8>) -> Result<OathSecret, SecretError> {
        if bytes.len() < MIN_BYTES {
            return Err(SecretError::TooShort(bytes.len()));
        }
        if bytes.len() > MAX_BYTES {
            return Err(SecretError::TooLong(bytes.len()));
        }
        Ok(OathSecret {
            bytes: SecretBox::new(bytes.into_boxed_slice()),
        })
    }

    /// The key bytes, for HOTP/TOTP.
    pub fn expose_bytes(&self) -> &[u8] {
        self.bytes.expose_secret()
    }

    /// Unpadded upper-case base32: what Graph's hardware OATH upload takes.
    pub fn expose_base32(&self) -> SecretString {
        SecretString::from(BASE32_NOPAD.encode(self.bytes.expose_secret()))
    }

    /// `••••XY`: the last two base32 characters, enough to tell secrets apart on screen.
    pub fn hint(&self) -> String {
        let b32 = self.expose_base32();
        let s = b32.expose_secret();
        let tail = &s[s.len().saturating_sub(2)..];
        format!("••••{tail}")
    }

    /// HMAC-SHA256 of the secret under `key`: lets the store and fingerprints notice a
    /// changed secret without holding it.
    pub fn keyed_hash(&self, key: &[u8]) -> [u8; 32] {
        keyed_hash(key, self.bytes.expose_secret())
    }
}

/// HMAC-SHA256 of `data` under `key`.
pub fn keyed_hash(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

impl PartialEq for OathSecret {
    fn eq(&self, other: &Self) -> bool {
        self.expose_bytes() == other.expose_bytes()
    }
}

impl Eq for OathSecret {}

impl fmt::Debug for OathSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OathSecret({})", self.hint())
    }
}

impl fmt::Display for OathSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hint())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_tolerates_case_spaces_padding() -> Result<(), SecretError> {
        let a = OathSecret::from_base32("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")?;
        let b = OathSecret::from_base32("jbsw y3dp-ehpk 3pxp jbsw y3dp-ehpk 3pxp====")?;
        assert_eq!(a, b);
        Ok(())
    }

    #[test]
    fn never_prints_the_secret() -> Result<(), SecretError> {
        let s = OathSecret::from_base32("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")?;
        assert_eq!(format!("{s:?}"), "OathSecret(••••XP)");
        assert!(!format!("{s}").contains("JBSWY3DP"));
        Ok(())
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(
            OathSecret::from_base32("not base32!"),
            Err(SecretError::NotBase32)
        );
        assert_eq!(OathSecret::from_hex("zz"), Err(SecretError::NotHex));
        assert_eq!(OathSecret::from_base32("  "), Err(SecretError::Empty));
        assert!(matches!(
            OathSecret::from_hex("00ff"),
            Err(SecretError::TooShort(2))
        ));
    }

    #[test]
    fn entra_bounds_the_length() {
        // 80 bits: too short for RFC 4226 and Entra.
        let e = OathSecret::from_base32("JBSWY3DPEHPK3PXP").err();
        assert_eq!(e, Some(SecretError::TooShort(10)));
        assert!(OathSecret::from_bytes(vec![7; MIN_BYTES]).is_ok());
        assert!(OathSecret::from_bytes(vec![7; MAX_BYTES]).is_ok());
        assert_eq!(
            OathSecret::from_bytes(vec![7; MAX_BYTES + 1]).err(),
            Some(SecretError::TooLong(81))
        );
        // 128 base32 characters is the most; 10 KB is refused before decoding, and the
        // message states the size, never the value.
        let max = BASE32_NOPAD.encode(&[1; MAX_BYTES]);
        assert_eq!(max.len(), 128);
        assert!(OathSecret::from_base32(&max).is_ok());
        let huge = "A".repeat(10_000);
        let e = OathSecret::from_base32(&huge).err().map(|e| e.to_string());
        let e = e.unwrap_or_default();
        assert!(e.contains("10000 characters"), "{e}");
        assert!(!e.contains("AAAA"), "{e}");
        assert!(OathSecret::from_hex(&"ab".repeat(81)).is_err());
    }
}
