//! The sign-in endpoints, so a client's device-code flow runs for real over loopback:
//! `POST /{tenant}/oauth2/v2.0/devicecode` and `POST /{tenant}/oauth2/v2.0/token` with the
//! device-code grant (`authorization_pending` for the first polls, `slow_down` when polled
//! faster than the interval, `expired_token` after expiry, then a token), the
//! refresh-token grant (rotating refresh tokens) and the client-credentials grant.
//! The "user" approves by themselves after a set number of polls.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use data_encoding::BASE64URL_NOPAD;
use serde_json::{Value, json};

use super::server;
use super::token::{DELEGATED_SCOPES, TokenKind};
use super::variants::ScopeRefusalCode;

/// The pace of the simulated device-code sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceFlow {
    /// The polling interval announced (and enforced with `slow_down`).
    pub interval: Duration,
    /// Polls answered `authorization_pending` before the user has "approved".
    pub pending_polls: u32,
    /// How long a device code lives.
    pub expires_in: Duration,
    /// The user declines instead of approving (`authorization_declined`).
    pub deny: bool,
}

impl Default for DeviceFlow {
    fn default() -> Self {
        DeviceFlow {
            interval: Duration::from_secs(1),
            pending_polls: 2,
            expires_in: Duration::from_secs(900),
            deny: false,
        }
    }
}

/// Access tokens from sign-in live this long (Entra's usual hour).
const ACCESS_LIFETIME: Duration = Duration::from_secs(3599);
const REFRESH_LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// Poll arrival jitter tolerated before `slow_down`.
const POLL_TOLERANCE: Duration = Duration::from_millis(50);
const GRAPH_RESOURCE: &str = "https://graph.microsoft.com/";

struct Grant {
    client_id: String,
    scopes: Vec<String>,
    /// Scopes asked for that this tenant does not know (`Variants::unknown_scopes`):
    /// refused once the admin has approved, at the token endpoint.
    unknown: Vec<String>,
    offline: bool,
    flow: DeviceFlow,
    expires: Instant,
    last_poll: Option<Instant>,
    polls: u32,
}

struct Refresh {
    client_id: String,
    scopes: Vec<String>,
    expires: Instant,
}

pub(crate) struct SignIn {
    flow: Mutex<DeviceFlow>,
    grants: Mutex<HashMap<String, Grant>>,
    refresh: Mutex<HashMap<String, Refresh>>,
}

impl SignIn {
    pub fn new() -> SignIn {
        SignIn {
            flow: Mutex::new(DeviceFlow::default()),
            grants: Mutex::new(HashMap::new()),
            refresh: Mutex::new(HashMap::new()),
        }
    }

    pub fn set_flow(&self, f: DeviceFlow) {
        *self.flow.lock().unwrap_or_else(|e| e.into_inner()) = f;
    }
}

fn random_text(bytes: usize) -> String {
    let v: Vec<u8> = (0..bytes).map(|_| rand::random::<u8>()).collect();
    BASE64URL_NOPAD.encode(&v)
}

/// An OAuth error as Entra writes it.
fn oauth_error(status: StatusCode, error: &str, code: u32, description: &str) -> Response {
    let body = json!({
        "error": error,
        "error_description": format!("AADSTS{code}: {description}"),
        "error_codes": [code],
        "timestamp": chrono::Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string(),
        "trace_id": uuid::Uuid::new_v4().to_string(),
        "correlation_id": uuid::Uuid::new_v4().to_string(),
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

fn ok_json(v: Value) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/json; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store, no-cache"),
        ],
        v.to_string(),
    )
        .into_response()
}

fn form(body: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

fn known_tenant(st: &server::State, tenant: &str) -> bool {
    st.tenant_names
        .iter()
        .any(|n| n.eq_ignore_ascii_case(tenant))
        || ["organizations", "common"].contains(&tenant.to_ascii_lowercase().as_str())
}

/// The Graph scopes a `scope` parameter asks for: `.default` is every consented scope;
/// `openid`, `profile`, `offline_access` are sign-in scopes. `Err` names what is not
/// consented.
fn granted_scopes(scope: &str) -> Result<(Vec<String>, bool), String> {
    let mut out: Vec<String> = Vec::new();
    let mut offline = false;
    let mut refused = Vec::new();
    for s in scope.split_whitespace() {
        // Any cloud's Graph host names the same resource here (`--cloud china` asks for
        // `https://microsoftgraph.chinacloudapi.cn/…`).
        let name = s
            .strip_prefix(GRAPH_RESOURCE)
            .or_else(|| s.strip_prefix("00000003-0000-0000-c000-000000000000/"))
            .or_else(|| {
                s.strip_prefix("https://")
                    .and_then(|rest| rest.split_once('/'))
                    .map(|(_, n)| n)
            })
            .unwrap_or(s);
        match name {
            "offline_access" => offline = true,
            "openid" | "profile" | "email" => {}
            ".default" => out.extend(DELEGATED_SCOPES.iter().map(|s| s.to_string())),
            n => match DELEGATED_SCOPES
                .iter()
                .chain(["User.Read"].iter())
                .find(|c| c.eq_ignore_ascii_case(n))
            {
                Some(c) => out.push(c.to_string()),
                None => refused.push(s.to_string()),
            },
        }
    }
    if !refused.is_empty() {
        return Err(refused.join(" "));
    }
    out.sort();
    out.dedup();
    if out.is_empty() {
        return Err("(no Graph scope)".to_string());
    }
    Ok((out, offline))
}

/// What Entra answers for a tenant it does not know (AADSTS90002).
fn unknown_tenant(tenant: &str) -> Response {
    oauth_error(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        90002,
        &format!("Tenant '{tenant}' not found."),
    )
}

pub(crate) async fn device_code(
    State(st): State<std::sync::Arc<server::State>>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    if !known_tenant(&st, &tenant) {
        return unknown_tenant(&tenant);
    }
    let f = form(&body);
    let Some(client_id) = f.get("client_id").filter(|c| !c.is_empty()) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_id'.",
        );
    };
    let variants = st.variants();
    let asked = f.get("scope").map(String::as_str).unwrap_or("");
    let unknown: Vec<String> = asked
        .split_whitespace()
        .filter(|s| variants.is_unknown_scope(s))
        .map(str::to_string)
        .collect();
    let known: Vec<&str> = asked
        .split_whitespace()
        .filter(|s| !variants.is_unknown_scope(s))
        .collect();
    let (scopes, offline) = match granted_scopes(&known.join(" ")) {
        Ok(s) => s,
        Err(refused) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                65001,
                &format!("The administrator has not consented to these scopes: {refused}."),
            );
        }
    };
    let flow = *st.signin.flow.lock().unwrap_or_else(|e| e.into_inner());
    let device_code = random_text(48);
    let user_code: String = (0..9)
        .map(|_| char::from(b'A' + rand::random::<u8>() % 26))
        .collect();
    st.signin
        .grants
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(
            device_code.clone(),
            Grant {
                client_id: client_id.clone(),
                scopes,
                unknown,
                offline,
                flow,
                expires: Instant::now() + flow.expires_in,
                last_poll: None,
                polls: 0,
            },
        );
    let uri = format!("{}/devicelogin", st.url);
    ok_json(json!({
        "user_code": user_code,
        "device_code": device_code,
        "verification_uri": uri,
        "expires_in": flow.expires_in.as_secs_f64().ceil() as u64,
        "interval": flow.interval.as_secs_f64().ceil() as u64,
        "message": format!(
            "To sign in, use a web browser to open the page {uri} and enter the code {user_code} to authenticate. (Simulated tenant: the sign-in is approved by itself.)"
        ),
    }))
}

pub(crate) async fn device_login_page() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "Simulated tenant: device codes are approved by themselves after a few polls; there is nothing to enter here.\n",
    )
        .into_response()
}

pub(crate) async fn token(
    State(st): State<std::sync::Arc<server::State>>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    if !known_tenant(&st, &tenant) {
        return unknown_tenant(&tenant);
    }
    let f = form(&body);
    let client_id = f.get("client_id").cloned().unwrap_or_default();
    match f.get("grant_type").map(String::as_str) {
        Some("urn:ietf:params:oauth:grant-type:device_code" | "device_code") => device_grant(
            &st,
            &client_id,
            f.get("device_code").map(String::as_str).unwrap_or(""),
        ),
        Some("refresh_token") => refresh_grant(
            &st,
            &client_id,
            f.get("refresh_token").map(String::as_str).unwrap_or(""),
            f.get("scope").map(String::as_str),
        ),
        Some("client_credentials") => {
            let has_credential =
                f.contains_key("client_secret") || f.contains_key("client_assertion");
            if client_id.is_empty() || !has_credential {
                return oauth_error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    7000215,
                    "A client id and a client secret or assertion are required.",
                );
            }
            let scope = f.get("scope").map(String::as_str).unwrap_or("");
            if !scope.split_whitespace().any(|s| s.ends_with("/.default")) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    1002012,
                    "The scope of an application token must be '<resource>/.default'.",
                );
            }
            let access = st.tokens.mint(TokenKind::App, ACCESS_LIFETIME, None);
            ok_json(json!({
                "token_type": "Bearer",
                "expires_in": ACCESS_LIFETIME.as_secs(),
                "ext_expires_in": ACCESS_LIFETIME.as_secs(),
                "access_token": access,
            }))
        }
        other => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            &format!(
                "The app requested an unsupported grant type '{}'.",
                other.unwrap_or("")
            ),
        ),
    }
}

fn issue(st: &server::State, client_id: &str, scopes: &[String], offline: bool) -> Response {
    let refs: Vec<&str> = scopes.iter().map(String::as_str).collect();
    let access = st
        .tokens
        .mint(TokenKind::Delegated, ACCESS_LIFETIME, Some(&refs));
    let mut body = json!({
        "token_type": "Bearer",
        "scope": scopes.iter().map(|s| format!("{GRAPH_RESOURCE}{s}")).collect::<Vec<_>>().join(" "),
        "expires_in": ACCESS_LIFETIME.as_secs(),
        "ext_expires_in": ACCESS_LIFETIME.as_secs(),
        "access_token": access,
    });
    if offline {
        let rt = random_text(64);
        st.signin
            .refresh
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                rt.clone(),
                Refresh {
                    client_id: client_id.to_string(),
                    scopes: scopes.to_vec(),
                    expires: Instant::now() + REFRESH_LIFETIME,
                },
            );
        if let Value::Object(m) = &mut body {
            m.insert("refresh_token".into(), json!(rt));
        }
    }
    ok_json(body)
}

fn device_grant(st: &server::State, client_id: &str, device_code: &str) -> Response {
    let now = Instant::now();
    let mut grants = st.signin.grants.lock().unwrap_or_else(|e| e.into_inner());
    let Some(g) = grants.get_mut(device_code) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            70000,
            "The provided device code is not valid (unknown, already used or declined).",
        );
    };
    if g.client_id != client_id {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            70000,
            "The device code was issued to another client.",
        );
    }
    if now >= g.expires {
        grants.remove(device_code);
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "expired_token",
            70019,
            "Verification code expired.",
        );
    }
    let too_soon = g
        .last_poll
        .is_some_and(|last| now.saturating_duration_since(last) + POLL_TOLERANCE < g.flow.interval);
    g.last_poll = Some(now);
    if too_soon {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "slow_down",
            70016,
            "OAuth 2.0 device flow error: polled faster than the interval; slow down.",
        );
    }
    g.polls += 1;
    if g.polls <= g.flow.pending_polls {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "authorization_pending",
            70016,
            "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
        );
    }
    let Some(g) = grants.remove(device_code) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            70000,
            "Unknown device code.",
        );
    };
    drop(grants);
    if g.flow.deny {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "authorization_declined",
            70000,
            "The user declined the sign-in.",
        );
    }
    if !g.unknown.is_empty() {
        return unknown_scope(st, &g.unknown);
    }
    issue(st, &g.client_id, &g.scopes, g.offline)
}

/// A scope the tenant does not know, refused as Entra does (the code `Variants` sets).
fn unknown_scope(st: &server::State, scopes: &[String]) -> Response {
    let refusal = st.variants().scope_refusal;
    let names = scopes.join("', '");
    match refusal {
        ScopeRefusalCode::InvalidScope => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            refusal.code(),
            &format!(
                "The provided value for the input parameter 'scope' is not valid. The scope '{names}' does not exist."
            ),
        ),
        ScopeRefusalCode::NotOnResource => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            refusal.code(),
            &format!(
                "The application 'mfa-cutover' asked for scope '{names}' that doesn't exist on the resource '00000003-0000-0000-c000-000000000000'."
            ),
        ),
        ScopeRefusalCode::NotConsented => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            refusal.code(),
            "The user or administrator has not consented to use the application with ID 'mfa-cutover'. Send an interactive authorization request for this user and resource.",
        ),
    }
}

/// A refresh token serves any consented scope (incremental consent): a `scope` naming
/// others than before is honoured when the admin consented to them, refused like a
/// sign-in when the tenant does not know one.
fn refresh_grant(
    st: &server::State,
    client_id: &str,
    token: &str,
    scope: Option<&str>,
) -> Response {
    let r = st
        .signin
        .refresh
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(token);
    match r {
        Some(r) if r.client_id == client_id && Instant::now() < r.expires => {
            let Some(scope) = scope.filter(|s| !s.trim().is_empty()) else {
                return issue(st, client_id, &r.scopes, true);
            };
            let variants = st.variants();
            let unknown: Vec<String> = scope
                .split_whitespace()
                .filter(|s| variants.is_unknown_scope(s))
                .map(str::to_string)
                .collect();
            if !unknown.is_empty() {
                return unknown_scope(st, &unknown);
            }
            match granted_scopes(scope) {
                Ok((scopes, _)) => issue(st, client_id, &scopes, true),
                Err(refused) => oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    65001,
                    &format!("The administrator has not consented to these scopes: {refused}."),
                ),
            }
        }
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            700082,
            "The refresh token is not valid: unknown, already used, expired or issued to another client.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::granted_scopes;

    #[test]
    fn scopes_resolve_to_consented_graph_scopes() {
        let (s, offline) =
            granted_scopes("https://graph.microsoft.com/.default offline_access").unwrap();
        assert!(offline);
        assert_eq!(s.len(), super::DELEGATED_SCOPES.len());
        assert!(s.iter().any(|s| s == "Domain.Read.All"), "{s:?}");
        let (s, offline) =
            granted_scopes("https://graph.microsoft.com/User.Read.All openid profile").unwrap();
        assert_eq!(s, vec!["User.Read.All".to_string()]);
        assert!(!offline);
        assert!(granted_scopes("https://graph.microsoft.com/Mail.Send").is_err());
        assert!(granted_scopes("openid").is_err());
    }

    /// The tool's default public client asks for each scope by name; the simulated
    /// admin has consented to every one of them (else its device-code sign-in fails
    /// with `invalid_scope`).
    #[test]
    fn the_default_public_clients_scopes_are_all_consented() {
        let asked = crate::graph::auth::delegated_scopes(crate::cloud::Cloud::Global);
        let (granted, offline) = granted_scopes(&asked.join(" ")).unwrap();
        assert!(offline);
        for scope in crate::graph::endpoints::DELEGATED_SCOPES {
            assert!(granted.iter().any(|g| g == scope), "{scope} not granted");
        }
    }
}
