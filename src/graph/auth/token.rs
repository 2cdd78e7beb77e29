//! Access tokens and where the client gets them: the [`TokenSource`] trait every sign-in
//! method implements, and the fixed bearer token of `--auth token`.
//!
//! A token is held as a `SecretString`: its `Debug` prints a mask, it is zeroised on
//! drop, and it leaves this type only for the `Authorization` header.

use std::fmt;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};

use super::AuthError;

/// A bearer token and its expiry.
#[derive(Clone)]
pub struct AccessToken {
    secret: SecretString,
    pub expires_at: Option<DateTime<Utc>>,
}

impl AccessToken {
    pub fn new(secret: impl Into<String>, expires_at: Option<DateTime<Utc>>) -> AccessToken {
        AccessToken {
            secret: SecretString::from(secret.into()),
            expires_at,
        }
    }

    /// The token itself: only for the `Authorization` header and claim decoding.
    pub fn expose(&self) -> &str {
        self.secret.expose_secret()
    }

    /// True when it expires within `margin` (or has expired).
    pub fn expires_within(&self, margin: chrono::Duration) -> bool {
        self.expires_at.is_some_and(|e| e - margin <= Utc::now())
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccessToken(••••, expires {:?})", self.expires_at)
    }
}

/// Where the client gets tokens. Implementations cache and refresh on their own.
pub trait TokenSource: Send + Sync {
    /// A token valid for at least the next few minutes.
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, AuthError>>;

    /// Graph answered 401: drop any cached token. True when a fresh one may be obtained
    /// (the client then retries once); false for a fixed token.
    fn invalidate(&self) -> bool {
        false
    }

    /// How tokens are obtained, for display (`device code`, `client certificate`, …).
    fn describe(&self) -> &'static str;
}

/// A fixed bearer token (`--auth token`, `MFA_CUTOVER_ACCESS_TOKEN`).
pub struct StaticToken {
    token: AccessToken,
}

impl StaticToken {
    /// Environment variable `--auth token` reads.
    pub const ENV: &'static str = "MFA_CUTOVER_ACCESS_TOKEN";

    /// Accepts the token with or without a `Bearer ` prefix; the expiry is read from the
    /// token's `exp` claim when it has one.
    pub fn new(text: &str) -> Result<StaticToken, AuthError> {
        let text = text.trim();
        let text = text
            .strip_prefix("Bearer ")
            .or_else(|| text.strip_prefix("bearer "))
            .unwrap_or(text)
            .trim();
        if text.is_empty() {
            return Err(AuthError::Config(format!(
                "{} is empty: put a Graph access token in it (e.g. from `az account \
                 get-access-token --resource-type ms-graph`)",
                StaticToken::ENV
            )));
        }
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(AuthError::Config(format!(
                "{} does not hold a bearer token (it contains spaces or control characters)",
                StaticToken::ENV
            )));
        }
        let expires_at = super::claims::Claims::decode(text).and_then(|c| c.expires_at());
        let token = AccessToken::new(text, expires_at);
        if token.expires_within(chrono::Duration::zero()) {
            return Err(AuthError::Expired(format!(
                "the token in {} expired at {}; get a new one",
                StaticToken::ENV,
                expires_at.map(|e| e.to_rfc3339()).unwrap_or_default()
            )));
        }
        Ok(StaticToken { token })
    }

    /// Read `MFA_CUTOVER_ACCESS_TOKEN`.
    pub fn from_env() -> Result<StaticToken, AuthError> {
        match std::env::var(StaticToken::ENV) {
            Ok(v) => StaticToken::new(&v),
            Err(_) => Err(AuthError::Config(format!(
                "--auth token reads the bearer token from {}, which is not set",
                StaticToken::ENV
            ))),
        }
    }
}

impl TokenSource for StaticToken {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, AuthError>> {
        Box::pin(async move {
            if self.token.expires_within(chrono::Duration::zero()) {
                return Err(AuthError::Expired(format!(
                    "the token from {} has expired; get a new one and start again",
                    StaticToken::ENV
                )));
            }
            Ok(self.token.clone())
        })
    }

    fn describe(&self) -> &'static str {
        "bearer token"
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_token() {
        let t = AccessToken::new("eyJhbGciOiJIUzI1NiJ9.secretpayload.sig", None);
        let shown = format!("{t:?}");
        assert!(!shown.contains("secretpayload"), "{shown}");
    }

    #[test]
    fn static_token_strips_bearer_and_refuses_junk() {
        assert!(StaticToken::new("Bearer abc.def.ghi").is_ok());
        assert!(matches!(StaticToken::new("   "), Err(AuthError::Config(_))));
        assert!(matches!(
            StaticToken::new("abc def"),
            Err(AuthError::Config(_))
        ));
    }
}
