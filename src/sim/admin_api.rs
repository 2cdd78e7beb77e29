//! The simulated tenant's admin routes over HTTP, for a separate process (`mfa-cutover
//! sim`) and for tests that change the tenant behind the tool's back, the way an admin in
//! the portal or Graph Explorer would: the drift tests and the demo.
//!
//! - `POST /_sim/admin/rollout` `{"isEnabled": false}`, `{"addGroup": "name or id"}`,
//!   `{"removeGroup": "name or id"}` (any of them; in that order).
//! - `POST /_sim/admin/federation` `{"domain": "contoso.com", "federatedIdpMfaBehavior":
//!   "acceptIfMfaDoneByFederatedIdp"}` (`null` clears it).
//!
//! Both take the sim's signed-in admin token (`Authorization: Bearer …`), answer 204, or
//! 400/401/404 with a Graph-shaped error. They are not Graph writes: the write log and
//! the write counter do not see them.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Map, Value, json};

use super::server::State;
use super::tenant::admin::{AdminError, TenantAdmin};
use super::token::TokenKind;

pub(crate) fn routes() -> Router<Arc<State>> {
    Router::new()
        .route("/_sim/admin/rollout", post(rollout))
        .route("/_sim/admin/federation", post(federation))
}

/// A refusal, answered with a Graph-shaped error body.
struct Refusal {
    status: StatusCode,
    code: &'static str,
    message: String,
}

fn bad(message: impl Into<String>) -> Refusal {
    Refusal {
        status: StatusCode::BAD_REQUEST,
        code: "Request_BadRequest",
        message: message.into(),
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = json!({ "error": { "code": self.code, "message": self.message } });
        let mut r = (self.status, body.to_string()).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        r
    }
}

impl From<AdminError> for Refusal {
    fn from(e: AdminError) -> Refusal {
        match e {
            AdminError::NoUser(_) | AdminError::NoGroup(_) => Refusal {
                status: StatusCode::NOT_FOUND,
                code: "Request_ResourceNotFound",
                message: e.to_string(),
            },
            AdminError::Refused(_) => bad(e.to_string()),
        }
    }
}

/// The admin's token and a JSON object body, or the refusal.
fn accept(st: &State, headers: &HeaderMap, body: &[u8]) -> Result<Map<String, Value>, Refusal> {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match st.tokens.verify(auth) {
        Ok(c) if c.kind == TokenKind::Delegated => {}
        Ok(_) => {
            return Err(Refusal {
                status: StatusCode::FORBIDDEN,
                code: "Authorization_RequestDenied",
                message: "the admin routes take the signed-in admin's token, not an app-only one"
                    .into(),
            });
        }
        Err(e) => {
            return Err(Refusal {
                status: StatusCode::UNAUTHORIZED,
                code: "InvalidAuthenticationToken",
                message: e.message().to_string(),
            });
        }
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(bad("the body must be a JSON object")),
    }
}

fn text<'a>(b: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, Refusal> {
    match b.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(bad(format!("'{key}' must be a string, not {v}"))),
    }
}

fn done(r: Result<(), Refusal>) -> Response {
    match r {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.into_response(),
    }
}

async fn rollout(AxState(st): AxState<Arc<State>>, headers: HeaderMap, body: Bytes) -> Response {
    done(change_rollout(&st, &headers, &body))
}

fn change_rollout(st: &State, headers: &HeaderMap, body: &[u8]) -> Result<(), Refusal> {
    let b = accept(st, headers, body)?;
    let known = ["isEnabled", "addGroup", "removeGroup"];
    if let Some(k) = b.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(bad(format!(
            "unknown property '{k}': expected isEnabled, addGroup or removeGroup"
        )));
    }
    let enabled = match b.get("isEnabled") {
        None => None,
        Some(Value::Bool(v)) => Some(*v),
        Some(v) => return Err(bad(format!("'isEnabled' must be true or false, not {v}"))),
    };
    let add = text(&b, "addGroup")?;
    let remove = text(&b, "removeGroup")?;
    let mut guard = st.write_tenant();
    let mut admin = TenantAdmin::new(&mut guard);
    if let Some(e) = enabled {
        admin.set_rollout_enabled(e)?;
    }
    if let Some(g) = add {
        admin.add_rollout_group(g)?;
    }
    if let Some(g) = remove {
        admin.remove_rollout_group(g)?;
    }
    Ok(())
}

async fn federation(AxState(st): AxState<Arc<State>>, headers: HeaderMap, body: Bytes) -> Response {
    done(change_federation(&st, &headers, &body))
}

fn change_federation(st: &State, headers: &HeaderMap, body: &[u8]) -> Result<(), Refusal> {
    let b = accept(st, headers, body)?;
    let domain = text(&b, "domain")?.ok_or_else(|| bad("'domain' is required"))?;
    let behavior = text(&b, "federatedIdpMfaBehavior")?;
    let mut guard = st.write_tenant();
    TenantAdmin::new(&mut guard).set_federation_mfa_behavior(domain, behavior)?;
    Ok(())
}
