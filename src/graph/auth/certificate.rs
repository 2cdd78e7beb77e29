//! Client-certificate sign-in without OpenSSL: the tool signs the client assertion
//! itself (a JWT, RS256, header `x5t#S256` = the certificate's SHA-256 thumbprint;
//! claims `aud` = the token endpoint, `iss` = `sub` = the client id, `jti`, `nbf`,
//! `exp`) and hands it to azure_identity's `ClientAssertionCredential`.
//!
//! The certificate is what MFA Server's own migration utility registers on its app. It
//! comes as PEM (certificate and unencrypted private key in one file) or PFX/PKCS#12
//! (password from `MFA_CUTOVER_CERTIFICATE_PASSWORD`, empty if unset).

use std::fmt;
use std::path::Path;

use azure_core::http::ClientMethodOptions;
use azure_identity::ClientAssertion;
use data_encoding::{BASE64URL_NOPAD, HEXUPPER};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::AuthError;

/// Environment variable holding a PFX file's password.
pub const PASSWORD_ENV: &str = "MFA_CUTOVER_CERTIFICATE_PASSWORD";

/// An application certificate: the signing key and the certificate's thumbprints.
pub struct ClientCertificate {
    key: EncodingKey,
    /// SHA-256 of the DER certificate, base64url (the `x5t#S256` header).
    thumbprint_s256: String,
    /// SHA-1 of the DER certificate, hex: what the Entra portal shows.
    thumbprint_sha1: String,
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("thumbprint", &self.thumbprint_sha1)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct AssertionClaims<'a> {
    aud: &'a str,
    iss: &'a str,
    sub: &'a str,
    jti: String,
    nbf: i64,
    iat: i64,
    exp: i64,
}

impl ClientCertificate {
    /// Load a PEM or PFX file (told apart by content, not by name).
    pub fn load(
        path: &Path,
        password: Option<&SecretString>,
    ) -> Result<ClientCertificate, AuthError> {
        let bytes = std::fs::read(path).map_err(|e| {
            AuthError::Certificate(format!(
                "cannot read the certificate {}: {e}",
                path.display()
            ))
        })?;
        let named = |msg: String| AuthError::Certificate(format!("{}: {msg}", path.display()));
        if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
            ClientCertificate::from_pem(&bytes).map_err(named)
        } else {
            let empty = SecretString::from(String::new());
            ClientCertificate::from_pfx(&bytes, password.unwrap_or(&empty)).map_err(named)
        }
    }

    /// PEM with a `CERTIFICATE` block and an unencrypted RSA private key (PKCS#8
    /// `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`).
    pub fn from_pem(bytes: &[u8]) -> Result<ClientCertificate, String> {
        let blocks = pem::parse_many(bytes).map_err(|e| format!("not valid PEM ({e})"))?;
        let cert = blocks
            .iter()
            .find(|b| b.tag() == "CERTIFICATE")
            .ok_or("no CERTIFICATE block: the file must hold the certificate and its key")?;
        if blocks.iter().any(|b| b.tag() == "ENCRYPTED PRIVATE KEY") {
            return Err("the private key is encrypted: use a PFX file with \
                        MFA_CUTOVER_CERTIFICATE_PASSWORD, or an unencrypted PEM key"
                .to_string());
        }
        let key = blocks
            .iter()
            .find(|b| b.tag() == "PRIVATE KEY" || b.tag() == "RSA PRIVATE KEY")
            .ok_or("no PRIVATE KEY block: the file must hold the certificate and its key")?;
        let key_pem = pem::encode(key);
        let key = EncodingKey::from_rsa_pem(key_pem.as_bytes())
            .map_err(|e| format!("the private key is not a usable RSA key ({e})"))?;
        Ok(ClientCertificate::new(key, cert.contents()))
    }

    /// PKCS#12 (PFX) with one private key and its certificate chain (leaf first).
    pub fn from_pfx(bytes: &[u8], password: &SecretString) -> Result<ClientCertificate, String> {
        let store =
            p12_keystore::KeyStore::from_pkcs12(bytes, password.expose_secret()).map_err(|e| {
                format!(
                    "not a readable PFX file, or the password is wrong (set {PASSWORD_ENV}): {e}"
                )
            })?;
        let (_, chain) = store
            .private_key_chain()
            .ok_or("the PFX file holds no private key with its certificate")?;
        let leaf = chain
            .chain()
            .first()
            .ok_or("the PFX file holds a key without a certificate")?;
        let key_pem = pem::encode(&pem::Pem::new("PRIVATE KEY", chain.key().to_vec()));
        let key = EncodingKey::from_rsa_pem(key_pem.as_bytes())
            .map_err(|e| format!("the private key is not a usable RSA key ({e})"))?;
        Ok(ClientCertificate::new(key, leaf.as_der()))
    }

    fn new(key: EncodingKey, cert_der: &[u8]) -> ClientCertificate {
        let s256 = Sha256::digest(cert_der);
        let sha1 = <sha1::Sha1 as sha1::Digest>::digest(cert_der);
        ClientCertificate {
            key,
            thumbprint_s256: BASE64URL_NOPAD.encode(&s256),
            thumbprint_sha1: HEXUPPER.encode(&sha1),
        }
    }

    /// The SHA-1 thumbprint as the Entra portal shows it.
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint_sha1
    }

    /// A signed client assertion for `client_id` at the token endpoint `audience`,
    /// valid for ten minutes.
    pub fn assertion(&self, client_id: &str, audience: &str) -> Result<String, AuthError> {
        let now = chrono::Utc::now().timestamp();
        let mut header = Header::new(Algorithm::RS256);
        header.x5t_s256 = Some(self.thumbprint_s256.clone());
        let claims = AssertionClaims {
            aud: audience,
            iss: client_id,
            sub: client_id,
            jti: uuid::Uuid::new_v4().to_string(),
            nbf: now - 60,
            iat: now,
            exp: now + 600,
        };
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|e| AuthError::Certificate(format!("cannot sign the client assertion: {e}")))
    }
}

/// The assertion source azure_identity's `ClientAssertionCredential` calls for every
/// token request.
pub struct CertificateAssertion {
    pub(crate) certificate: ClientCertificate,
    pub(crate) client_id: String,
    /// The token endpoint: `{authority}/{tenant}/oauth2/v2.0/token`.
    pub(crate) audience: String,
}

impl fmt::Debug for CertificateAssertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateAssertion")
            .field("client_id", &self.client_id)
            .field("thumbprint", &self.certificate.thumbprint())
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl ClientAssertion for CertificateAssertion {
    async fn secret(
        &self,
        _options: Option<ClientMethodOptions<'_>>,
    ) -> azure_core::Result<String> {
        self.certificate
            .assertion(&self.client_id, &self.audience)
            .map_err(|e| {
                azure_core::Error::with_message(
                    azure_core::error::ErrorKind::Credential,
                    e.to_string(),
                )
            })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation, decode, decode_header};

    fn fixture(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/certificate")
            .join(name)
    }

    const SHA256_HEX: &str = "0e5d3b9ac0e6934ef766413613f8ecea07e8c9c6d926dbc45df4413b2a308147";

    #[derive(serde::Deserialize)]
    struct Seen {
        iss: String,
        sub: String,
        jti: String,
        nbf: i64,
        exp: i64,
    }

    fn check(cert: &ClientCertificate) {
        let audience =
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token";
        let jwt = cert.assertion("app-id", audience).unwrap();
        let header = decode_header(&jwt).unwrap();
        assert_eq!(header.alg, Algorithm::RS256);
        let expected = BASE64URL_NOPAD.encode(
            &data_encoding::HEXLOWER
                .decode(SHA256_HEX.as_bytes())
                .unwrap(),
        );
        assert_eq!(header.x5t_s256.as_deref(), Some(expected.as_str()));
        let public = std::fs::read(fixture("public.pem")).unwrap();
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[audience]);
        let seen = decode::<Seen>(
            &jwt,
            &DecodingKey::from_rsa_pem(&public).unwrap(),
            &validation,
        )
        .unwrap()
        .claims;
        assert_eq!(seen.iss, "app-id");
        assert_eq!(seen.sub, "app-id");
        assert!(uuid::Uuid::parse_str(&seen.jti).is_ok());
        assert!(seen.exp - seen.nbf <= 660 && seen.exp > chrono::Utc::now().timestamp());
        assert_eq!(
            cert.thumbprint(),
            "4A00054F301922E5E4B570D22A241D6757199568"
        );
        assert!(!format!("{cert:?}").contains("PRIVATE"));
    }

    #[test]
    fn pem_pkcs8_and_pkcs1_sign_verifiable_assertions() {
        check(&ClientCertificate::load(&fixture("app.pem"), None).unwrap());
        check(&ClientCertificate::load(&fixture("app-pkcs1.pem"), None).unwrap());
    }

    #[test]
    fn pfx_modern_and_legacy_with_password() {
        let pw = SecretString::from("fixture-only".to_string());
        check(&ClientCertificate::load(&fixture("app.pfx"), Some(&pw)).unwrap());
        check(&ClientCertificate::load(&fixture("app-legacy.pfx"), Some(&pw)).unwrap());
        let wrong = SecretString::from("nope".to_string());
        let err = ClientCertificate::load(&fixture("app.pfx"), Some(&wrong)).unwrap_err();
        assert!(err.to_string().contains(PASSWORD_ENV), "{err}");
    }

    #[test]
    fn incomplete_pem_is_explained() {
        let err = ClientCertificate::load(&fixture("cert.pem"), None).unwrap_err();
        assert!(err.to_string().contains("no PRIVATE KEY"), "{err}");
        let err = ClientCertificate::load(&fixture("public.pem"), None).unwrap_err();
        assert!(err.to_string().contains("no CERTIFICATE"), "{err}");
    }
}
