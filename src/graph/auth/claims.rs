//! The claims of an access token, decoded **without verification** and used only to show
//! who is signed in and to check access before Graph would refuse (preflight). Graph
//! verifies the token; this tool never trusts these claims for anything else.

use chrono::{DateTime, TimeZone, Utc};
use data_encoding::BASE64URL_NOPAD;
use serde::Deserialize;

use crate::cloud::Cloud;
use crate::graph::identity::{Identity, TokenKind};

/// The claims the tool reads (Entra v1/v2 access tokens).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Claims {
    #[serde(default)]
    pub tid: Option<String>,
    #[serde(default)]
    pub aud: Option<String>,
    #[serde(default)]
    pub iss: Option<String>,
    #[serde(default)]
    pub exp: Option<i64>,
    #[serde(default)]
    pub iat: Option<i64>,
    #[serde(default)]
    pub upn: Option<String>,
    #[serde(default)]
    pub preferred_username: Option<String>,
    #[serde(default)]
    pub unique_name: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub app_displayname: Option<String>,
    #[serde(default)]
    pub appid: Option<String>,
    #[serde(default)]
    pub azp: Option<String>,
    #[serde(default)]
    pub oid: Option<String>,
    /// `user` or `app` (optional claim; inferred from `scp` when absent).
    #[serde(default)]
    pub idtyp: Option<String>,
    /// Delegated scopes, space-separated.
    #[serde(default)]
    pub scp: Option<String>,
    /// Application permissions (app-only tokens).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Directory role template ids of the signed-in user.
    #[serde(default)]
    pub wids: Vec<String>,
}

impl Claims {
    /// Decode the payload of a JWT-shaped token; `None` when it is not one (opaque
    /// tokens exist, e.g. for personal accounts).
    pub fn decode(token: &str) -> Option<Claims> {
        let mut parts = token.split('.');
        let (_header, payload) = (parts.next()?, parts.next()?);
        parts.next()?;
        let bytes = BASE64URL_NOPAD
            .decode(payload.trim_end_matches('=').as_bytes())
            .ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.exp.and_then(|e| Utc.timestamp_opt(e, 0).single())
    }

    pub fn kind(&self) -> TokenKind {
        match self.idtyp.as_deref() {
            Some(t) if t.eq_ignore_ascii_case("app") => TokenKind::AppOnly,
            Some(t) if t.eq_ignore_ascii_case("user") => TokenKind::Delegated,
            _ if self.scp.as_deref().is_some_and(|s| !s.trim().is_empty()) => TokenKind::Delegated,
            _ if self.upn.is_some() || self.preferred_username.is_some() => TokenKind::Delegated,
            _ => TokenKind::AppOnly,
        }
    }

    /// Scopes (delegated) or application permissions (app-only).
    pub fn permissions(&self) -> Vec<String> {
        match (self.kind(), &self.scp) {
            (TokenKind::Delegated, Some(scp)) => {
                scp.split_whitespace().map(str::to_string).collect()
            }
            _ => self.roles.clone(),
        }
    }

    /// Directory roles by name (unknown ids kept as ids; the default user role left out).
    pub fn role_names(&self) -> Vec<String> {
        self.wids
            .iter()
            .filter(|w| !w.eq_ignore_ascii_case(DEFAULT_USER_ROLE))
            .map(|w| role_name(w).map_or_else(|| w.clone(), str::to_string))
            .collect()
    }

    /// The identity the front ends show.
    pub fn identity(&self, cloud: Cloud, simulated: bool) -> Identity {
        let kind = self.kind();
        let account = match kind {
            TokenKind::Delegated => self
                .upn
                .clone()
                .or_else(|| self.preferred_username.clone())
                .or_else(|| self.unique_name.clone())
                .or_else(|| self.name.clone()),
            TokenKind::AppOnly => self
                .app_displayname
                .clone()
                .or_else(|| self.appid.clone())
                .or_else(|| self.azp.clone()),
        }
        .unwrap_or_else(|| "(not named in the token)".to_string());
        Identity {
            tenant_id: self.tid.clone().unwrap_or_default(),
            tenant_name: None,
            cloud,
            account,
            kind,
            roles: match kind {
                TokenKind::Delegated => self.role_names(),
                TokenKind::AppOnly => Vec::new(),
            },
            permissions: self.permissions(),
            expires_at: self.expires_at(),
            simulated,
        }
    }
}

/// The "User" role every member holds: not worth showing.
const DEFAULT_USER_ROLE: &str = "b79fbf4d-3ef9-4689-8143-76b194e85509";

/// Template ids of the built-in roles this tool cares about (Entra built-in roles
/// reference).
pub const ROLES: &[(&str, &str)] = &[
    (
        "62e90394-69f5-4237-9190-012177145e10",
        "Global Administrator",
    ),
    (
        "c4e39bd9-1100-46d3-8c65-fb160da0071f",
        "Authentication Administrator",
    ),
    (
        "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
        "Privileged Authentication Administrator",
    ),
    (
        "0526716b-113d-4c15-b2c8-68e3c22b9f80",
        "Authentication Policy Administrator",
    ),
    (
        "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2",
        "Hybrid Identity Administrator",
    ),
    (
        "8329153b-31d0-4727-b945-745eb3bc5f31",
        "Domain Name Administrator",
    ),
    (
        "be2f45a1-457d-42af-a067-6ec1fa63bc45",
        "External Identity Provider Administrator",
    ),
    (
        "194ae4cb-b126-40b2-bd5b-6091b380977d",
        "Security Administrator",
    ),
    ("f2ef992c-3afb-46b9-b7cf-a126ee74c451", "Global Reader"),
    ("fe930be7-5e62-47db-91af-98c3a49a38b1", "User Administrator"),
    (
        "e8611ab8-c189-46e8-94e1-60213ab1f814",
        "Privileged Role Administrator",
    ),
    (
        "729827e3-9c14-49f7-bb1b-9608f156bbb8",
        "Helpdesk Administrator",
    ),
    ("88d8e3e3-8f55-4a1e-953a-9b9898b8876b", "Directory Readers"),
];

/// A role's name from its template id.
pub fn role_name(template_id: &str) -> Option<&'static str> {
    ROLES
        .iter()
        .find(|(id, _)| id.eq_ignore_ascii_case(template_id))
        .map(|(_, name)| *name)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;

    /// A JWT-shaped token with these claims (unsigned: the client never verifies).
    pub(crate) fn jwt(claims: &serde_json::Value) -> String {
        let header = BASE64URL_NOPAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = BASE64URL_NOPAD.encode(claims.to_string().as_bytes());
        format!("{header}.{payload}.c2lnbmF0dXJl")
    }

    #[test]
    fn delegated_admin_token() {
        let t = jwt(&serde_json::json!({
            "tid": "72f988bf-86f1-41af-91ab-2d7cd011db47",
            "upn": "admin@contoso.com", "name": "Admin", "idtyp": "user",
            "scp": "User.Read.All UserAuthenticationMethod.ReadWrite.All",
            "wids": ["c4e39bd9-1100-46d3-8c65-fb160da0071f", "b79fbf4d-3ef9-4689-8143-76b194e85509",
                     "00000000-1111-2222-3333-444444444444"],
            "exp": 1_900_000_000, "aud": "https://graph.microsoft.com"
        }));
        let c = Claims::decode(&t).unwrap();
        let id = c.identity(Cloud::Global, false);
        assert_eq!(id.kind, TokenKind::Delegated);
        assert_eq!(id.account, "admin@contoso.com");
        assert_eq!(id.tenant_id, "72f988bf-86f1-41af-91ab-2d7cd011db47");
        assert_eq!(
            id.roles,
            [
                "Authentication Administrator",
                "00000000-1111-2222-3333-444444444444"
            ]
        );
        assert_eq!(
            id.permissions,
            ["User.Read.All", "UserAuthenticationMethod.ReadWrite.All"]
        );
        assert_eq!(id.expires_at.map(|e| e.timestamp()), Some(1_900_000_000));
    }

    #[test]
    fn app_only_token_and_inferred_kind() {
        let t = jwt(&serde_json::json!({
            "tid": "t", "app_displayname": "mfa-cutover", "appid": "a",
            "roles": ["UserAuthenticationMethod.ReadWrite.All"]
        }));
        let id = Claims::decode(&t).unwrap().identity(Cloud::Usgov, true);
        assert_eq!(id.kind, TokenKind::AppOnly);
        assert_eq!(id.account, "mfa-cutover");
        assert_eq!(id.permissions, ["UserAuthenticationMethod.ReadWrite.All"]);
        assert!(id.roles.is_empty());
        assert!(id.simulated);
        assert_eq!(id.cloud, Cloud::Usgov);
    }

    #[test]
    fn not_a_jwt() {
        assert!(Claims::decode("opaque-token").is_none());
        assert!(Claims::decode("a.b").is_none());
        assert!(Claims::decode("a.!!!.c").is_none());
    }
}
