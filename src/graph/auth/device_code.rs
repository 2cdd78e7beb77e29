//! Delegated sign-in over SSH: the OAuth 2.0 device authorization grant (RFC 8628)
//! against Entra's `/devicecode` and `/token` endpoints, written directly on reqwest.
//!
//! The admin is shown a URL and a code through a callback the front end supplies; the
//! tool polls `/token` at the interval Entra asks for (`authorization_pending` → wait,
//! `slow_down` → wait 5 s longer, `expired_token` / `access_denied` → stop). Tokens are
//! refreshed with the refresh token before they expire. Staged Rollout refuses app-only
//! tokens, so this is the default sign-in of the TUI.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use super::AuthError;
use super::scopes::ScopeRefusal;
use super::token::{AccessToken, TokenSource};

/// What the admin must do: open `verification_uri` and enter `user_code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCodePrompt {
    pub verification_uri: String,
    pub user_code: String,
    /// Entra's own sentence, localised.
    pub message: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// Shows the prompt to the admin (stderr in the CLI, a dialog in the TUI).
pub type PromptFn = Arc<dyn Fn(&DeviceCodePrompt) + Send + Sync>;

#[derive(Deserialize)]
struct DeviceCodeResponse {
    device_code: String,
    user_code: String,
    #[serde(alias = "verification_url")]
    verification_uri: String,
    expires_in: u64,
    #[serde(default)]
    interval: Option<u64>,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(Deserialize, Default)]
struct OAuthError {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: Option<String>,
    /// Entra's AADSTS codes (`error_codes`), also at the start of the description.
    #[serde(default)]
    error_codes: Vec<u32>,
}

impl OAuthError {
    /// The AADSTS codes: `error_codes`, else the `AADSTSnnnn` the description starts with.
    fn codes(&self) -> Vec<u32> {
        if !self.error_codes.is_empty() {
            return self.error_codes.clone();
        }
        self.error_description
            .as_deref()
            .and_then(|d| d.trim_start().strip_prefix("AADSTS"))
            .map(|rest| {
                rest.chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
            })
            .and_then(|digits| digits.parse().ok())
            .into_iter()
            .collect()
    }
}

/// A pending sign-in: the code the admin types, and what the tool polls with.
pub struct DeviceCodeChallenge {
    device_code: SecretString,
    pub prompt: DeviceCodePrompt,
    interval: Duration,
    deadline: Instant,
}

impl fmt::Debug for DeviceCodeChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceCodeChallenge")
            .field("prompt", &self.prompt)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

/// Tokens from a sign-in or a refresh.
#[derive(Clone)]
pub struct TokenSet {
    pub access: AccessToken,
    refresh: Option<SecretString>,
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access", &self.access)
            .field("refresh", &self.refresh.as_ref().map(|_| "••••"))
            .finish()
    }
}

/// The two calls of the grant, for one authority, tenant, app and scope set.
#[derive(Clone)]
pub struct DeviceCodeFlow {
    http: reqwest::Client,
    /// `{authority}/{tenant}/oauth2/v2.0`
    base: String,
    client_id: String,
    scope: String,
}

impl fmt::Debug for DeviceCodeFlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceCodeFlow")
            .field("base", &self.base)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// Longest the tool waits between polls whatever Entra asks.
const MAX_INTERVAL: Duration = Duration::from_secs(60);

impl DeviceCodeFlow {
    /// `authority` has passed the URL policy (https, or http on loopback).
    pub fn new(
        authority: &Url,
        tenant: &str,
        client_id: &str,
        scopes: &[String],
    ) -> Result<DeviceCodeFlow, AuthError> {
        if tenant.is_empty()
            || !tenant
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        {
            return Err(AuthError::Config(format!(
                "tenant {tenant:?}: expected a tenant id (GUID) or a domain such as \
                 contoso.onmicrosoft.com"
            )));
        }
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("mfa-cutover/", env!("CARGO_PKG_VERSION")))
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10));
        if super::super::root::is_loopback_host(authority) {
            builder = builder.no_proxy();
        }
        let http = builder
            .build()
            .map_err(|e| AuthError::Network(format!("cannot set up HTTP: {e}")))?;
        Ok(DeviceCodeFlow {
            http,
            base: format!(
                "{}/{tenant}/oauth2/v2.0",
                authority.as_str().trim_end_matches('/')
            ),
            client_id: client_id.to_string(),
            scope: scopes.join(" "),
        })
    }

    async fn post_form(
        &self,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> Result<(u16, Vec<u8>), AuthError> {
        let url = format!("{}/{endpoint}", self.base);
        let resp = self
            .http
            .post(&url)
            .form(form)
            .send()
            .await
            .map_err(|e| AuthError::Network(format!("{url}: {}", e.without_url())))?;
        let status = resp.status().as_u16();
        let body = resp
            .bytes()
            .await
            .map_err(|e| AuthError::Network(format!("{url}: {}", e.without_url())))?;
        Ok((status, body.to_vec()))
    }

    /// Ask for a code to show the admin.
    pub async fn start(&self) -> Result<DeviceCodeChallenge, AuthError> {
        let (status, body) = self
            .post_form(
                "devicecode",
                &[("client_id", &self.client_id), ("scope", &self.scope)],
            )
            .await?;
        if !(200..300).contains(&status) {
            return Err(oauth_failure(status, &body));
        }
        let r: DeviceCodeResponse = serde_json::from_slice(&body).map_err(|e| {
            AuthError::Refused(format!("the device code answer is not understood: {e}"))
        })?;
        let expires_in = Duration::from_secs(r.expires_in.clamp(1, 3600));
        Ok(DeviceCodeChallenge {
            device_code: SecretString::from(r.device_code),
            prompt: DeviceCodePrompt {
                verification_uri: r.verification_uri,
                user_code: r.user_code,
                message: r.message,
                expires_at: Utc::now() + chrono::Duration::from_std(expires_in).unwrap_or_default(),
            },
            interval: Duration::from_secs(r.interval.unwrap_or(5).clamp(1, 60)),
            deadline: Instant::now() + expires_in,
        })
    }

    /// Poll until the admin has signed in, declined, or the code expired.
    pub async fn poll(&self, challenge: &DeviceCodeChallenge) -> Result<TokenSet, AuthError> {
        let mut interval = challenge.interval;
        let mut network_failures = 0u32;
        loop {
            if Instant::now() + interval > challenge.deadline {
                return Err(AuthError::CodeExpired);
            }
            tokio::time::sleep(interval).await;
            let answer = self
                .post_form(
                    "token",
                    &[
                        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                        ("client_id", &self.client_id),
                        ("device_code", challenge.device_code.expose_secret()),
                    ],
                )
                .await;
            let (status, body) = match answer {
                Ok(a) => a,
                Err(e) => {
                    network_failures += 1;
                    if network_failures >= 5 {
                        return Err(e);
                    }
                    continue;
                }
            };
            if (200..300).contains(&status) {
                return token_set(&body);
            }
            if status >= 500 {
                network_failures += 1;
                if network_failures >= 5 {
                    return Err(oauth_failure(status, &body));
                }
                continue;
            }
            let err: OAuthError = serde_json::from_slice(&body).unwrap_or_default();
            match err.error.as_str() {
                "authorization_pending" => {}
                "slow_down" => interval = (interval + Duration::from_secs(5)).min(MAX_INTERVAL),
                "expired_token" | "code_expired" => return Err(AuthError::CodeExpired),
                "access_denied" | "authorization_declined" => {
                    return Err(AuthError::Declined(
                        err.error_description
                            .unwrap_or_else(|| "the sign-in was declined".to_string()),
                    ));
                }
                _ => return Err(oauth_failure(status, &body)),
            }
        }
    }

    /// The same flow asking for other scopes (incremental consent).
    pub fn with_scopes(&self, scopes: &[String]) -> DeviceCodeFlow {
        DeviceCodeFlow {
            scope: scopes.join(" "),
            ..self.clone()
        }
    }

    /// Show the prompt, then wait for the admin.
    pub async fn sign_in(&self, prompt: &PromptFn) -> Result<TokenSet, AuthError> {
        let challenge = self.start().await?;
        prompt(&challenge.prompt);
        self.poll(&challenge).await
    }

    /// Exchange a refresh token for fresh tokens.
    pub async fn refresh(&self, tokens: &TokenSet) -> Result<TokenSet, AuthError> {
        let Some(refresh) = &tokens.refresh else {
            return Err(AuthError::Expired(
                "the sign-in has expired and cannot be renewed: sign in again".to_string(),
            ));
        };
        let (status, body) = self
            .post_form(
                "token",
                &[
                    ("grant_type", "refresh_token"),
                    ("client_id", &self.client_id),
                    ("refresh_token", refresh.expose_secret()),
                    ("scope", &self.scope),
                ],
            )
            .await?;
        if !(200..300).contains(&status) {
            return Err(match oauth_failure(status, &body) {
                AuthError::Refused(m) => AuthError::Expired(format!(
                    "the sign-in could not be renewed ({m}): sign in again"
                )),
                other => other,
            });
        }
        let mut fresh = token_set(&body)?;
        // Entra may not rotate the refresh token; keep the old one then.
        if fresh.refresh.is_none() {
            fresh.refresh = tokens.refresh.clone();
        }
        Ok(fresh)
    }
}

fn token_set(body: &[u8]) -> Result<TokenSet, AuthError> {
    let r: TokenResponse = serde_json::from_slice(body)
        .map_err(|e| AuthError::Refused(format!("the token answer is not understood: {e}")))?;
    let expires_at = r
        .expires_in
        .map(|s| Utc::now() + chrono::Duration::seconds(s.min(86_400) as i64))
        .or_else(|| super::claims::Claims::decode(&r.access_token).and_then(|c| c.expires_at()));
    Ok(TokenSet {
        access: AccessToken::new(r.access_token, expires_at),
        refresh: r.refresh_token.map(SecretString::from),
    })
}

/// An OAuth error answer as a message (error code and Entra's description; no secrets
/// are in these answers). A scope refusal (AADSTS70011, 650053, 65001) is told apart, so
/// the sign-in can go on without that scope.
fn oauth_failure(status: u16, body: &[u8]) -> AuthError {
    let err: OAuthError = serde_json::from_slice(body).unwrap_or_default();
    if let Some(reason) = err.codes().into_iter().find_map(ScopeRefusal::from_code) {
        return AuthError::ScopeRefused {
            reason,
            detail: err
                .error_description
                .as_deref()
                .and_then(|d| d.lines().next())
                .unwrap_or(&err.error)
                .to_string(),
        };
    }
    let code = if err.error.is_empty() {
        format!("HTTP {status}")
    } else {
        err.error
    };
    let description = err
        .error_description
        .map(|d| {
            let first = d.lines().next().unwrap_or_default().to_string();
            format!(": {first}")
        })
        .unwrap_or_default();
    AuthError::Refused(format!("{code}{description}"))
}

/// Tokens from a device-code sign-in, refreshed before they expire.
pub struct DeviceCodeSource {
    state: tokio::sync::Mutex<DeviceState>,
}

struct DeviceState {
    flow: DeviceCodeFlow,
    tokens: TokenSet,
}

impl DeviceCodeSource {
    /// Refresh when less than this is left.
    const MARGIN: chrono::Duration = chrono::Duration::minutes(5);

    pub fn new(flow: DeviceCodeFlow, tokens: TokenSet) -> DeviceCodeSource {
        DeviceCodeSource {
            state: tokio::sync::Mutex::new(DeviceState { flow, tokens }),
        }
    }

    /// Incremental consent: ask for `scopes` (the ones held plus new ones). The refresh
    /// token is tried first — it serves any scope already consented — and a new
    /// device-code sign-in when Entra wants consent. Tokens in use are replaced only
    /// once new ones are had; a refusal leaves the session as it was.
    pub async fn widen(&self, scopes: &[String], prompt: &PromptFn) -> Result<(), AuthError> {
        let mut state = self.state.lock().await;
        let flow = state.flow.with_scopes(scopes);
        let fresh = match flow.refresh(&state.tokens).await {
            Ok(t) => t,
            Err(AuthError::ScopeRefused {
                reason: ScopeRefusal::NotConsented,
                ..
            })
            | Err(AuthError::Expired(_)) => flow.sign_in(prompt).await?,
            Err(e) => return Err(e),
        };
        state.flow = flow;
        state.tokens = fresh;
        Ok(())
    }
}

impl TokenSource for DeviceCodeSource {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, AuthError>> {
        Box::pin(async move {
            let mut state = self.state.lock().await;
            if !state.tokens.access.expires_within(Self::MARGIN) {
                return Ok(state.tokens.access.clone());
            }
            match state.flow.refresh(&state.tokens).await {
                Ok(fresh) => {
                    tracing::info!("access token renewed with the refresh token");
                    state.tokens = fresh;
                    Ok(state.tokens.access.clone())
                }
                // Still valid for a little while: use it, try again next time.
                Err(e)
                    if !state
                        .tokens
                        .access
                        .expires_within(chrono::Duration::seconds(30)) =>
                {
                    tracing::warn!(error = %e, "token renewal failed; the current token is still valid");
                    Ok(state.tokens.access.clone())
                }
                Err(e) => Err(e),
            }
        })
    }

    fn invalidate(&self) -> bool {
        match self.state.try_lock() {
            Ok(mut s) if s.tokens.refresh.is_some() => {
                s.tokens.access.expires_at = Some(Utc::now() - chrono::Duration::seconds(1));
                true
            }
            _ => false,
        }
    }

    fn describe(&self) -> &'static str {
        "device code"
    }
}
