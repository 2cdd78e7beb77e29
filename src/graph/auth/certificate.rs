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
        let bytes =
            crate::fsx::read_bounded(path, crate::fsx::ReadKind::Certificate).map_err(|e| {
                AuthError::Certificate(format!(
                    "cannot read the certificate {}: {}",
                    path.display(),
                    e.reason()
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
    use p12_keystore::{EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm};
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    use std::str::FromStr;
    use std::sync::OnceLock;
    use x509_cert::builder::{Builder, CertificateBuilder, Profile};
    use x509_cert::der::{Encode, EncodePem};

    const PFX_PASSWORD: &str = "test-run-only";

    /// A throwaway RSA key and self-signed certificate, made once per test run (no key
    /// material lives in the repository).
    struct Generated {
        key: rsa::RsaPrivateKey,
        cert_der: Vec<u8>,
        cert_pem: String,
    }

    fn generated() -> &'static Generated {
        static GENERATED: OnceLock<Generated> = OnceLock::new();
        GENERATED.get_or_init(|| {
            let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
            let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new(key.clone());
            let subject = x509_cert::name::Name::from_str("CN=mfa-cutover test").unwrap();
            let spki =
                x509_cert::spki::SubjectPublicKeyInfoOwned::from_key(key.to_public_key()).unwrap();
            let builder = CertificateBuilder::new(
                Profile::Leaf {
                    issuer: subject.clone(),
                    enable_key_agreement: false,
                    enable_key_encipherment: false,
                },
                x509_cert::serial_number::SerialNumber::from(1u32),
                x509_cert::time::Validity::from_now(std::time::Duration::from_secs(3600)).unwrap(),
                subject,
                spki,
                &signer,
            )
            .unwrap();
            let cert = builder.build::<rsa::pkcs1v15::Signature>().unwrap();
            Generated {
                cert_der: cert.to_der().unwrap(),
                cert_pem: cert.to_pem(LineEnding::LF).unwrap(),
                key,
            }
        })
    }

    /// The generated material written in every form the loader reads, in a
    /// directory removed when the value drops.
    struct Files {
        dir: tempfile::TempDir,
    }

    impl Files {
        fn write() -> Files {
            let g = generated();
            let dir = tempfile::tempdir().unwrap();
            let pkcs8 = g.key.to_pkcs8_pem(LineEnding::LF).unwrap();
            let pkcs1 = g.key.to_pkcs1_pem(LineEnding::LF).unwrap();
            let public = g
                .key
                .to_public_key()
                .to_public_key_pem(LineEnding::LF)
                .unwrap();
            let write =
                |name: &str, bytes: &[u8]| std::fs::write(dir.path().join(name), bytes).unwrap();
            write(
                "app.pem",
                format!("{}{}", g.cert_pem, pkcs8.as_str()).as_bytes(),
            );
            write(
                "app-pkcs1.pem",
                format!("{}{}", pkcs1.as_str(), g.cert_pem).as_bytes(),
            );
            write("cert.pem", g.cert_pem.as_bytes());
            write("public.pem", public.as_bytes());
            let store = pfx_store(g);
            let modern = store.writer(PFX_PASSWORD).write().unwrap();
            write("app.pfx", &modern);
            for (name, algorithm) in [
                (
                    "app-3des.pfx",
                    EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc,
                ),
                // (p12-keystore names this variant RC4; it writes the RC2-40 OID.)
                ("app-rc2.pfx", EncryptionAlgorithm::PbeWithShaAnd40BitRc4Cbc),
            ] {
                let legacy = store
                    .writer(PFX_PASSWORD)
                    .encryption_algorithm(algorithm)
                    .encryption_iterations(2048)
                    .mac_algorithm(MacAlgorithm::HmacSha1)
                    .mac_iterations(2048)
                    .write()
                    .unwrap();
                write(name, &legacy);
            }
            Files { dir }
        }

        fn path(&self, name: &str) -> std::path::PathBuf {
            self.dir.path().join(name)
        }
    }

    fn pfx_store(g: &Generated) -> KeyStore {
        let pkcs8 = g.key.to_pkcs8_der().unwrap();
        let leaf = p12_keystore::Certificate::from_der(&g.cert_der).unwrap();
        let local_key_id = Sha256::digest(&g.cert_der);
        let mut store = KeyStore::new();
        store.add_entry(
            "app",
            KeyStoreEntry::PrivateKeyChain(p12_keystore::PrivateKeyChain::new(
                pkcs8.as_bytes(),
                local_key_id,
                [leaf],
            )),
        );
        store
    }

    /// DER of an OBJECT IDENTIFIER under pkcs-12 PBE ids (1.2.840.113549.1.12.1.x).
    fn pkcs12_pbe_oid(last: u8) -> [u8; 12] {
        [
            0x06, 0x0a, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01, last,
        ]
    }

    /// DER of the PBES2 OBJECT IDENTIFIER (1.2.840.113549.1.5.13).
    const PBES2_OID: [u8; 11] = [
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d,
    ];

    fn holds(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[derive(serde::Deserialize)]
    struct Seen {
        iss: String,
        sub: String,
        jti: String,
        nbf: i64,
        exp: i64,
    }

    fn check(files: &Files, cert: &ClientCertificate) {
        let g = generated();
        let audience =
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token";
        let jwt = cert.assertion("app-id", audience).unwrap();
        let header = decode_header(&jwt).unwrap();
        assert_eq!(header.alg, Algorithm::RS256);
        // Thumbprints computed here from the generated certificate's DER, apart from
        // the code under test.
        let expected = BASE64URL_NOPAD.encode(&Sha256::digest(&g.cert_der));
        assert_eq!(header.x5t_s256.as_deref(), Some(expected.as_str()));
        let public = std::fs::read(files.path("public.pem")).unwrap();
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
        let sha1 = <sha1::Sha1 as sha1::Digest>::digest(&g.cert_der);
        assert_eq!(cert.thumbprint(), HEXUPPER.encode(&sha1));
        assert_eq!(cert.thumbprint().len(), 40);
        assert!(!format!("{cert:?}").contains("PRIVATE"));
    }

    #[test]
    fn pem_pkcs8_and_pkcs1_sign_verifiable_assertions() {
        let files = Files::write();
        check(
            &files,
            &ClientCertificate::load(&files.path("app.pem"), None).unwrap(),
        );
        check(
            &files,
            &ClientCertificate::load(&files.path("app-pkcs1.pem"), None).unwrap(),
        );
    }

    #[test]
    fn pfx_modern_and_legacy_with_password() {
        let files = Files::write();
        let pw = SecretString::from(PFX_PASSWORD.to_string());
        for name in ["app.pfx", "app-3des.pfx", "app-rc2.pfx"] {
            let loaded = ClientCertificate::load(&files.path(name), Some(&pw));
            check(&files, &loaded.unwrap_or_else(|e| panic!("{name}: {e}")));
        }
        let wrong = SecretString::from("nope".to_string());
        let err = ClientCertificate::load(&files.path("app.pfx"), Some(&wrong)).unwrap_err();
        assert!(err.to_string().contains(PASSWORD_ENV), "{err}");
    }

    /// The PFX files really use the encryption each test says they do, so the legacy
    /// reader is exercised and not a modern file under a legacy name.
    #[test]
    fn generated_pfx_files_use_the_ciphers_they_are_named_for() {
        let files = Files::write();
        let read = |name: &str| std::fs::read(files.path(name)).unwrap();
        let (modern, des, rc2) = (read("app.pfx"), read("app-3des.pfx"), read("app-rc2.pfx"));
        let (des_oid, rc2_oid) = (pkcs12_pbe_oid(3), pkcs12_pbe_oid(6));
        assert!(holds(&modern, &PBES2_OID));
        assert!(!holds(&modern, &des_oid) && !holds(&modern, &rc2_oid));
        assert!(holds(&des, &des_oid) && !holds(&des, &PBES2_OID));
        assert!(holds(&rc2, &rc2_oid) && !holds(&rc2, &PBES2_OID));
    }

    #[test]
    fn incomplete_pem_is_explained() {
        let files = Files::write();
        let err = ClientCertificate::load(&files.path("cert.pem"), None).unwrap_err();
        assert!(err.to_string().contains("no PRIVATE KEY"), "{err}");
        let err = ClientCertificate::load(&files.path("public.pem"), None).unwrap_err();
        assert!(err.to_string().contains("no CERTIFICATE"), "{err}");
    }
}
