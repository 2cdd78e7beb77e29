//! Bearer tokens: JWT-shaped (`header.payload.signature`, HS256 with a key made for this
//! process) so a client can read who is signed in from the claims, as it does with Entra's
//! tokens. The client never verifies the signature; the simulation does, on every request.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use data_encoding::BASE64URL_NOPAD;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

/// Who a token speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A signed-in admin (`idtyp` = `user`, scopes in `scp`, roles in `wids`).
    Delegated,
    /// An application (`idtyp` = `app`, permissions in `roles`).
    App,
}

/// Directory role template ids carried in `wids` by the admin's tokens.
pub const ROLE_IDS: [(&str, &str); 4] = [
    (
        "Authentication Administrator",
        "c4e39bd9-1100-46d3-8c65-fb160da0071f",
    ),
    (
        "Privileged Authentication Administrator",
        "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
    ),
    (
        "Hybrid Identity Administrator",
        "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2",
    ),
    (
        "Authentication Policy Administrator",
        "0526716b-113d-4c15-b2c8-68e3c22b9f80",
    ),
];

/// Delegated scopes granted to the admin (and for `.default`).
pub(crate) const DELEGATED_SCOPES: [&str; 7] = [
    "UserAuthenticationMethod.ReadWrite.All",
    "Policy.ReadWrite.AuthenticationMethod",
    "Policy.ReadWrite.HybridAuthentication",
    "Domain-InternalFederation.ReadWrite.All",
    "User.Read.All",
    "GroupMember.Read.All",
    "Policy.Read.All",
];

/// Application permissions of the app-only token.
pub(crate) const APP_ROLES: [&str; 6] = [
    "UserAuthenticationMethod.ReadWrite.All",
    "Policy.ReadWrite.AuthenticationMethod",
    "Domain-InternalFederation.ReadWrite.All",
    "User.Read.All",
    "GroupMember.Read.All",
    "Policy.Read.All",
];

/// Graph's resource ids a token may name as its audience.
const AUDIENCES: [&str; 2] = [
    "https://graph.microsoft.com",
    "00000003-0000-0000-c000-000000000000",
];

/// The client id the simulation's app-only tokens carry.
pub(crate) const SIM_APP_ID: &str = "6f1c2a0e-5d3b-4c8e-9a71-0b2d4e6f8a13";

/// The caller of a request, from a verified token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Caller {
    pub kind: TokenKind,
    /// `scp` split, or `roles`.
    pub permissions: Vec<String>,
    pub account: String,
    pub app_id: String,
}

impl Caller {
    pub fn has_any(&self, names: &[&str]) -> bool {
        self.permissions
            .iter()
            .any(|p| names.iter().any(|n| n.eq_ignore_ascii_case(p)))
    }
}

/// Why a request gets 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenError {
    Missing,
    Malformed,
    BadSignature,
    Expired,
    WrongAudience,
}

impl TokenError {
    pub fn message(self) -> &'static str {
        match self {
            TokenError::Missing => "Access token is empty.",
            TokenError::Malformed => "Access token validation failure. The token is not a JWT.",
            TokenError::BadSignature => "Access token validation failure. Invalid signature.",
            TokenError::Expired => "Lifetime validation failed, the token is expired.",
            TokenError::WrongAudience => "Access token validation failure. Invalid audience.",
        }
    }
}

/// The signed-in admin as the tokens describe them.
#[derive(Debug, Clone)]
pub(crate) struct Admin {
    pub upn: String,
    pub name: String,
    pub oid: String,
}

/// Mints and verifies the tokens of one simulated tenant.
pub(crate) struct Tokens {
    key: [u8; 32],
    tenant_id: String,
    admin: Admin,
    /// A fixed token accepted as the delegated admin (`SimConfig::token`).
    fixed: Option<String>,
}

impl Tokens {
    pub fn new(tenant_id: String, admin: Admin, fixed: Option<String>) -> Tokens {
        Tokens {
            key: rand::random(),
            tenant_id,
            admin,
            fixed,
        }
    }

    /// A token of `kind` valid for `lifetime`; `scopes` replace the full set when given.
    pub fn mint(&self, kind: TokenKind, lifetime: Duration, scopes: Option<&[&str]>) -> String {
        let now = unix_now();
        let exp = now + lifetime.as_secs();
        let mut claims = json!({
            "aud": AUDIENCES[0],
            "iss": format!("https://sts.windows.net/{}/", self.tenant_id),
            "iat": now,
            "nbf": now,
            "exp": exp,
            "tid": self.tenant_id,
            "ver": "1.0",
            "uti": BASE64URL_NOPAD.encode(&rand::random::<[u8; 12]>()),
            "xms_sim": true,
        });
        let Value::Object(map) = &mut claims else {
            return String::new();
        };
        match kind {
            TokenKind::Delegated => {
                let scp: Vec<&str> = match scopes {
                    Some(s) => s.to_vec(),
                    None => DELEGATED_SCOPES.to_vec(),
                };
                map.insert("idtyp".into(), json!("user"));
                map.insert("upn".into(), json!(self.admin.upn));
                map.insert("unique_name".into(), json!(self.admin.upn));
                map.insert("name".into(), json!(self.admin.name));
                map.insert("oid".into(), json!(self.admin.oid));
                map.insert("sub".into(), json!(self.admin.oid));
                map.insert("scp".into(), json!(scp.join(" ")));
                map.insert(
                    "wids".into(),
                    json!(ROLE_IDS.iter().map(|(_, id)| *id).collect::<Vec<_>>()),
                );
                map.insert("amr".into(), json!(["pwd", "mfa"]));
                map.insert("appid".into(), json!(SIM_APP_ID));
                map.insert("app_displayname".into(), json!("mfa-cutover"));
            }
            TokenKind::App => {
                let roles: Vec<&str> = match scopes {
                    Some(s) => s.to_vec(),
                    None => APP_ROLES.to_vec(),
                };
                map.insert("idtyp".into(), json!("app"));
                map.insert("roles".into(), json!(roles));
                map.insert("oid".into(), json!(SIM_APP_ID));
                map.insert("sub".into(), json!(SIM_APP_ID));
                map.insert("appid".into(), json!(SIM_APP_ID));
                map.insert("app_displayname".into(), json!("mfa-cutover (app)"));
            }
        }
        self.sign(&claims)
    }

    fn sign(&self, claims: &Value) -> String {
        let header = BASE64URL_NOPAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = BASE64URL_NOPAD.encode(claims.to_string().as_bytes());
        let signing_input = format!("{header}.{payload}");
        let sig = self.mac(signing_input.as_bytes()).finalize().into_bytes();
        format!("{signing_input}.{}", BASE64URL_NOPAD.encode(&sig))
    }

    fn mac(&self, data: &[u8]) -> Hmac<Sha256> {
        // HMAC takes keys of any length; this key is 32 bytes.
        let mut m = match <Hmac<Sha256> as Mac>::new_from_slice(&self.key) {
            Ok(m) => m,
            Err(_) => unreachable_hmac(),
        };
        m.update(data);
        m
    }

    /// Check an `Authorization` header value.
    pub fn verify(&self, authorization: Option<&str>) -> Result<Caller, TokenError> {
        let value = authorization.map(str::trim).unwrap_or("");
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .unwrap_or("");
        if token.is_empty() {
            return Err(TokenError::Missing);
        }
        if self.fixed.as_deref() == Some(token) {
            return Ok(self.admin_caller());
        }
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let sig = BASE64URL_NOPAD
            .decode(s.as_bytes())
            .map_err(|_| TokenError::Malformed)?;
        let signing_input_len = h.len() + 1 + p.len();
        let signing_input = token
            .get(..signing_input_len)
            .ok_or(TokenError::Malformed)?;
        self.mac(signing_input.as_bytes())
            .verify_slice(&sig)
            .map_err(|_| TokenError::BadSignature)?;
        let claims: Value = BASE64URL_NOPAD
            .decode(p.as_bytes())
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or(TokenError::Malformed)?;
        let exp = claims.get("exp").and_then(Value::as_u64).unwrap_or(0);
        if exp <= unix_now() {
            return Err(TokenError::Expired);
        }
        let aud = claims.get("aud").and_then(Value::as_str).unwrap_or("");
        if !AUDIENCES.contains(&aud) {
            return Err(TokenError::WrongAudience);
        }
        let str_claim = |k: &str| {
            claims
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let kind = if claims.get("idtyp").and_then(Value::as_str) == Some("app") {
            TokenKind::App
        } else {
            TokenKind::Delegated
        };
        let permissions = match kind {
            TokenKind::Delegated => str_claim("scp")
                .split_whitespace()
                .map(str::to_string)
                .collect(),
            TokenKind::App => claims
                .get("roles")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
        };
        Ok(Caller {
            kind,
            permissions,
            account: match kind {
                TokenKind::Delegated => str_claim("upn"),
                TokenKind::App => str_claim("app_displayname"),
            },
            app_id: str_claim("appid"),
        })
    }

    fn admin_caller(&self) -> Caller {
        Caller {
            kind: TokenKind::Delegated,
            permissions: DELEGATED_SCOPES.iter().map(|s| s.to_string()).collect(),
            account: self.admin.upn.clone(),
            app_id: SIM_APP_ID.to_string(),
        }
    }
}

#[cold]
fn unreachable_hmac() -> ! {
    // `new_from_slice` fails only for MACs with a fixed key size; HMAC has none.
    panic!("HMAC accepts keys of any length")
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Tokens {
        Tokens::new(
            "tid".into(),
            Admin {
                upn: "admin@contoso.onmicrosoft.com".into(),
                name: "Admin".into(),
                oid: "oid".into(),
            },
            Some("fixed-token".into()),
        )
    }

    #[test]
    fn minted_tokens_verify_and_carry_their_claims() {
        let t = tokens();
        let d = t.mint(TokenKind::Delegated, Duration::from_secs(60), None);
        let c = t.verify(Some(&format!("Bearer {d}"))).unwrap();
        assert_eq!(c.kind, TokenKind::Delegated);
        assert!(c.has_any(&["Policy.ReadWrite.HybridAuthentication"]));
        assert_eq!(c.account, "admin@contoso.onmicrosoft.com");
        let payload = d.split('.').nth(1).unwrap();
        let claims: Value =
            serde_json::from_slice(&BASE64URL_NOPAD.decode(payload.as_bytes()).unwrap()).unwrap();
        assert_eq!(claims["tid"], "tid");
        assert_eq!(claims["idtyp"], "user");
        assert_eq!(claims["wids"].as_array().unwrap().len(), 4);

        let a = t.mint(TokenKind::App, Duration::from_secs(60), None);
        let c = t.verify(Some(&format!("Bearer {a}"))).unwrap();
        assert_eq!(c.kind, TokenKind::App);
        assert!(c.has_any(&["UserAuthenticationMethod.ReadWrite.All"]));
        assert_eq!(
            t.verify(Some("Bearer fixed-token")).unwrap().kind,
            TokenKind::Delegated
        );
    }

    #[test]
    fn bad_tokens_are_refused_for_what_is_wrong() {
        let t = tokens();
        assert_eq!(t.verify(None), Err(TokenError::Missing));
        assert_eq!(t.verify(Some("Bearer ")), Err(TokenError::Missing));
        assert_eq!(t.verify(Some("Bearer abc")), Err(TokenError::Malformed));
        let d = t.mint(TokenKind::Delegated, Duration::from_secs(60), None);
        let other = tokens().mint(TokenKind::Delegated, Duration::from_secs(60), None);
        assert_eq!(
            t.verify(Some(&format!("Bearer {other}"))),
            Err(TokenError::BadSignature),
            "another process's key"
        );
        let mut tampered = d.clone();
        tampered.insert(tampered.find('.').unwrap() + 2, 'x');
        assert!(t.verify(Some(&format!("Bearer {tampered}"))).is_err());
        let expired = t.mint(TokenKind::Delegated, Duration::ZERO, None);
        assert_eq!(
            t.verify(Some(&format!("Bearer {expired}"))),
            Err(TokenError::Expired)
        );
    }
}
