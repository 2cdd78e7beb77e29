//! HOTP (RFC 4226) and TOTP (RFC 6238) codes: `assignAndActivate` needs the token's
//! current code, which the tool computes from the secret it holds (graph-api.md §4.5).

use hmac::{Hmac, Mac};

use crate::datafile::{HashFunction, TimeStep};
use crate::secret::OathSecret;

/// The 6-digit HOTP code for `counter`.
pub fn hotp(secret: &OathSecret, counter: u64, hash: HashFunction) -> String {
    let msg = counter.to_be_bytes();
    let key = secret.expose_bytes();
    let digest: Vec<u8> = match hash {
        HashFunction::HmacSha1 => mac::<Hmac<sha1::Sha1>>(key, &msg),
        HashFunction::HmacSha256 => mac::<Hmac<sha2::Sha256>>(key, &msg),
    };
    // Dynamic truncation (RFC 4226 §5.3): the low nibble of the last byte picks 4 bytes.
    let offset = (digest[digest.len() - 1] & 0x0f) as usize;
    let word = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    format!("{:06}", word % 1_000_000)
}

/// The 6-digit TOTP code at `unix_secs`.
pub fn totp(secret: &OathSecret, step: TimeStep, hash: HashFunction, unix_secs: u64) -> String {
    hotp(secret, unix_secs / step.secs(), hash)
}

fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], msg: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length; `new_from_slice` fails only for fixed-size-key MACs.
    let mut m = <M as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    m.update(msg);
    m.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::SecretError;

    /// RFC 6238 appendix B vectors (8 digits there; the low 6 digits are the 6-digit code).
    #[test]
    fn rfc6238_vectors() -> Result<(), SecretError> {
        let sha1 = OathSecret::from_bytes(b"12345678901234567890".to_vec())?;
        let sha256 = OathSecret::from_bytes(b"12345678901234567890123456789012".to_vec())?;
        for (t, code1, code256) in [
            (59u64, "287082", "119246"),
            (1111111109, "081804", "084774"),
            (1234567890, "005924", "819424"),
            (2000000000, "279037", "698825"),
            (20000000000, "353130", "737706"),
        ] {
            assert_eq!(
                totp(&sha1, TimeStep::S30, HashFunction::HmacSha1, t),
                code1,
                "sha1 at {t}"
            );
            assert_eq!(
                totp(&sha256, TimeStep::S30, HashFunction::HmacSha256, t),
                code256,
                "sha256 at {t}"
            );
        }
        Ok(())
    }

    /// RFC 4226 appendix D.
    #[test]
    fn rfc4226_vectors() -> Result<(), SecretError> {
        let s = OathSecret::from_bytes(b"12345678901234567890".to_vec())?;
        let expected = ["755224", "287082", "359152", "969429", "338314"];
        for (c, e) in expected.iter().enumerate() {
            assert_eq!(hotp(&s, c as u64, HashFunction::HmacSha1), *e);
        }
        Ok(())
    }
}
