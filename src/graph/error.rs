//! Graph failures, typed: what was called, what came back (status, code, request ids),
//! whether trying again can help, and whether a write's outcome is unknown.
//!
//! A write whose outcome is unknown (timeout or reset after the request left, a 5xx to a
//! non-idempotent write) is never retried blindly by the client: the engine reads back
//! first (rule C5). Every error explains itself to a human: a 403 names the permission and
//! the role to grant, a 401 says to sign in again.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

/// What an endpoint needs, so a 403 can say what to grant (graph-api.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    /// Least-privileged delegated permission (scope).
    pub delegated: &'static str,
    /// Least-privileged application permission; empty when the API refuses app-only.
    pub application: &'static str,
    /// Directory roles a delegated admin also needs.
    pub roles: &'static [&'static str],
    /// Higher permissions the docs list that also work (named in a 403).
    pub higher: &'static [&'static str],
    /// A documented known issue a 403 should mention.
    pub known_issue: Option<&'static str>,
}

impl Access {
    /// The API accepts delegated tokens only (Staged Rollout).
    pub fn delegated_only(&self) -> bool {
        self.application.is_empty()
    }
}

/// Why no usable answer came back without an HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportFailure {
    /// No connection could be made; the request never left.
    Connect,
    /// No complete answer within the request timeout.
    Timeout,
    /// The connection closed or broke before a complete answer.
    Reset,
}

/// An error answer from Graph.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceError {
    pub status: u16,
    /// `error.code`, e.g. `Authorization_RequestDenied`, `invalidRequest`.
    pub code: Option<String>,
    /// Codes of nested `innerError`s, outermost first.
    pub inner_codes: Vec<String>,
    pub message: Option<String>,
    pub request_id: Option<String>,
    pub retry_after: Option<Duration>,
    pub access: Option<Access>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum GraphErrorKind {
    /// Graph answered with an error status.
    Service(Box<ServiceError>),
    /// No answer: connection refused, reset, or timed out.
    Transport {
        failure: TransportFailure,
        detail: String,
    },
    /// An answer came but not in the shape Graph documents.
    Decode { status: u16, detail: String },
    /// No token could be obtained.
    SignIn { detail: String },
    /// The client refused to send or follow something (URL policy, bad argument).
    Refused { detail: String },
}

/// A failed Graph call.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphError {
    pub kind: GraphErrorKind,
    pub method: String,
    /// Path and query under the Graph root, e.g. `/v1.0/users/…/authentication/phoneMethods`.
    pub path: String,
    /// The `client-request-id` of the last attempt.
    pub client_request_id: Option<String>,
    pub attempts: u32,
    /// The request may have been applied: the engine reconciles by reading back.
    pub outcome_unknown: bool,
}

impl GraphError {
    pub(crate) fn new(kind: GraphErrorKind, method: &str, path: &str) -> GraphError {
        GraphError {
            kind,
            method: method.to_string(),
            path: path.to_string(),
            client_request_id: None,
            attempts: 0,
            outcome_unknown: false,
        }
    }

    pub(crate) fn refused(method: &str, path: &str, detail: impl Into<String>) -> GraphError {
        GraphError::new(
            GraphErrorKind::Refused {
                detail: detail.into(),
            },
            method,
            path,
        )
    }

    pub(crate) fn decode(
        method: &str,
        path: &str,
        status: u16,
        detail: impl Into<String>,
    ) -> GraphError {
        GraphError::new(
            GraphErrorKind::Decode {
                status,
                detail: detail.into(),
            },
            method,
            path,
        )
    }

    /// Build from an error answer: status, headers already read, body parsed if it is
    /// Graph's error shape (§10).
    pub(crate) fn from_response(
        method: &str,
        path: &str,
        status: u16,
        body: &[u8],
        request_id: Option<String>,
        retry_after: Option<Duration>,
        access: Option<Access>,
    ) -> GraphError {
        let parsed = serde_json::from_slice::<ErrorEnvelope>(body).ok();
        let (code, message, inner_codes, body_request_id) = match parsed {
            Some(env) => {
                let mut inner_codes = Vec::new();
                let mut request_id = None;
                let mut next = env.error.inner_error.as_deref();
                while let Some(inner) = next {
                    if let Some(c) = &inner.code {
                        inner_codes.push(c.clone());
                    }
                    if request_id.is_none() {
                        request_id = inner.request_id.clone();
                    }
                    next = inner.inner_error.as_deref();
                }
                (env.error.code, env.error.message, inner_codes, request_id)
            }
            None => (None, None, Vec::new(), None),
        };
        GraphError::new(
            GraphErrorKind::Service(Box::new(ServiceError {
                status,
                code,
                inner_codes,
                message,
                request_id: request_id.or(body_request_id),
                retry_after,
                access,
            })),
            method,
            path,
        )
    }

    /// HTTP status, when Graph answered.
    pub fn status(&self) -> Option<u16> {
        match &self.kind {
            GraphErrorKind::Service(e) => Some(e.status),
            GraphErrorKind::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Graph's `error.code`.
    pub fn code(&self) -> Option<&str> {
        match &self.kind {
            GraphErrorKind::Service(e) => e.code.as_deref(),
            _ => None,
        }
    }

    /// True when `code` is the top-level or any nested code (Graph says to branch on
    /// codes, walking nested ones, never on messages).
    pub fn has_code(&self, code: &str) -> bool {
        match &self.kind {
            GraphErrorKind::Service(e) => {
                e.code
                    .as_deref()
                    .is_some_and(|c| c.eq_ignore_ascii_case(code))
                    || e.inner_codes.iter().any(|c| c.eq_ignore_ascii_case(code))
            }
            _ => false,
        }
    }

    pub fn request_id(&self) -> Option<&str> {
        match &self.kind {
            GraphErrorKind::Service(e) => e.request_id.as_deref(),
            _ => None,
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match &self.kind {
            GraphErrorKind::Service(e) => e.retry_after,
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    pub fn is_throttled(&self) -> bool {
        self.status() == Some(429)
    }

    /// Graph refused the request as invalid or conflicting (400, 409): trying again
    /// unchanged will fail the same way (§14: both mean "refused").
    pub fn is_refusal(&self) -> bool {
        matches!(self.status(), Some(400 | 409))
    }

    /// Graph refused to create something because it already exists (a hardware token's
    /// serial number: §14). No error code is documented for this, so known conflict
    /// codes are checked first and the message last; a caller only uses this to decide
    /// between reading back who holds the object and failing with Graph's reason.
    pub fn says_already_exists(&self) -> bool {
        let GraphErrorKind::Service(e) = &self.kind else {
            return false;
        };
        if e.status == 409 {
            return true;
        }
        if e.status != 400 {
            return false;
        }
        const CODES: [&str; 4] = [
            "alreadyExists",
            "conflict",
            "ObjectConflict",
            "Request_MultipleObjectsWithSameKeyValue",
        ];
        if CODES.iter().any(|c| self.has_code(c)) {
            return true;
        }
        e.message
            .as_deref()
            .is_some_and(|m| m.to_ascii_lowercase().contains("already exist"))
    }

    /// Trying again later may succeed: throttling, 5xx, timeouts, connection errors.
    /// When [`GraphError::outcome_unknown`] is also true, read back before retrying.
    pub fn is_retryable(&self) -> bool {
        match &self.kind {
            GraphErrorKind::Service(e) => {
                matches!(e.status, 408 | 429 | 500 | 502 | 503 | 504 | 509)
            }
            GraphErrorKind::Transport { .. } => true,
            GraphErrorKind::Decode { .. }
            | GraphErrorKind::SignIn { .. }
            | GraphErrorKind::Refused { .. } => false,
        }
    }

    /// The write may have been applied although no success came back.
    pub fn outcome_unknown(&self) -> bool {
        self.outcome_unknown
    }

    /// A sentence for the admin: what happened and what to do.
    pub fn explanation(&self) -> String {
        match &self.kind {
            GraphErrorKind::Service(e) => {
                let ServiceError {
                    status,
                    code,
                    message,
                    access,
                    retry_after,
                    ..
                } = e.as_ref();
                let code_text = code.as_deref().unwrap_or("no error code");
                let said = message
                    .as_deref()
                    .filter(|m| !m.is_empty())
                    .map(|m| format!(" Graph said: \"{m}\""))
                    .unwrap_or_default();
                match status {
                    401 => format!(
                        "Graph refused the token (401 {code_text}): it has expired, or was \
                         issued for another tenant or cloud. Sign in again \
                         (`mfa-cutover whoami` checks access).{said}"
                    ),
                    403 => explain_forbidden(code_text, access.as_ref(), &said),
                    404 => format!("Not found (404 {code_text}).{said}"),
                    400 | 409 | 422 => {
                        format!("Graph refused the request ({status} {code_text}).{said}")
                    }
                    429 => format!(
                        "Graph is throttling this application (429 {code_text}){}; the \
                         client kept waiting as told and gave up after {} attempts. Lower \
                         `[graph] writes_per_window` or try later.",
                        retry_after
                            .map(|d| format!(", last Retry-After {:.1} s", d.as_secs_f64()))
                            .unwrap_or_default(),
                        self.attempts
                    ),
                    500..=599 => format!(
                        "Graph failed ({status} {code_text}) after {} attempt(s).{}{said}",
                        self.attempts,
                        self.unknown_note()
                    ),
                    _ => format!("Graph answered {status} {code_text}.{said}"),
                }
            }
            GraphErrorKind::Transport { failure, detail } => {
                let what = match failure {
                    TransportFailure::Connect => "could not connect to Graph",
                    TransportFailure::Timeout => "Graph did not answer in time",
                    TransportFailure::Reset => "the connection to Graph broke",
                };
                format!(
                    "{what} ({detail}) after {} attempt(s).{}",
                    self.attempts,
                    self.unknown_note()
                )
            }
            GraphErrorKind::Decode { status, detail } => format!(
                "Graph answered {status} in a shape this tool does not understand: {detail}"
            ),
            GraphErrorKind::SignIn { detail } => format!("Sign-in failed: {detail}"),
            GraphErrorKind::Refused { detail } => detail.clone(),
        }
    }

    fn unknown_note(&self) -> &'static str {
        if self.outcome_unknown {
            " The write may or may not have been applied: read back before trying again."
        } else {
            ""
        }
    }
}

fn explain_forbidden(code: &str, access: Option<&Access>, said: &str) -> String {
    let Some(access) = access else {
        return format!(
            "The signed-in identity is not allowed to do this (403 {code}). Check its Graph \
             permissions and directory roles.{said}"
        );
    };
    let roles = if access.roles.is_empty() {
        String::new()
    } else {
        format!(
            ", and give the signed-in admin the role {}",
            access.roles.join(" or ")
        )
    };
    let higher = if access.higher.is_empty() {
        String::new()
    } else {
        format!(" (or the higher {})", access.higher.join(" or "))
    };
    let issue = access
        .known_issue
        .map(|i| format!(" Known issue: {i}."))
        .unwrap_or_default();
    if access.delegated_only() {
        format!(
            "The signed-in identity is not allowed to do this (403 {code}). This API accepts \
             a delegated sign-in only (app-only tokens are refused): sign in with \
             `--auth device-code`, grant the delegated permission {}{higher}{roles}.{issue}{said}",
            access.delegated
        )
    } else {
        format!(
            "The signed-in identity is not allowed to do this (403 {code}). Grant the \
             permission {}{higher} (application: {}) with admin consent{roles}.{issue}{said}",
            access.delegated, access.application
        )
    }
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.method, self.path, self.explanation())?;
        if let Some(id) = self.request_id() {
            write!(f, " [request-id {id}]")?;
        }
        if let Some(id) = &self.client_request_id {
            write!(f, " [client-request-id {id}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for GraphError {}

/// Graph's error body (graph-api.md §10). `innerError` nests; both casings occur.
#[derive(Debug, Deserialize)]
struct ErrorEnvelope {
    error: ErrorBody,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    code: Option<String>,
    message: Option<String>,
    #[serde(rename = "innerError", alias = "innererror", alias = "innerError")]
    inner_error: Option<Box<InnerError>>,
}

#[derive(Debug, Deserialize)]
struct InnerError {
    code: Option<String>,
    #[serde(rename = "request-id", alias = "requestId")]
    request_id: Option<String>,
    #[serde(rename = "innerError", alias = "innererror")]
    inner_error: Option<Box<InnerError>>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const PHONE_WRITE: Access = Access {
        delegated: "UserAuthenticationMethod.ReadWrite.All",
        application: "UserAuthenticationMethod.ReadWrite.All",
        roles: &[
            "Authentication Administrator",
            "Privileged Authentication Administrator",
        ],
        higher: &[],
        known_issue: None,
    };

    const ROLLOUT: Access = Access {
        delegated: "Policy.ReadWrite.HybridAuthentication",
        application: "",
        roles: &["Hybrid Identity Administrator"],
        higher: &["Directory.ReadWrite.All"],
        known_issue: None,
    };

    fn service(status: u16, body: &str, access: Option<Access>) -> GraphError {
        GraphError::from_response(
            "POST",
            "/v1.0/users/u/authentication/phoneMethods",
            status,
            body.as_bytes(),
            None,
            None,
            access,
        )
    }

    #[test]
    fn parses_graph_error_bodies_with_nested_codes() {
        let e = service(
            429,
            r#"{"error":{"code":"TooManyRequests","message":"Please retry again later.",
               "innerError":{"code":"429","date":"2020-08-18T12:51:51","message":"Please retry after",
               "request-id":"94fb3b52-452a-4535-a601-69e0a90e3aa2","status":"429"}}}"#,
            None,
        );
        assert_eq!(e.status(), Some(429));
        assert_eq!(e.code(), Some("TooManyRequests"));
        assert!(e.has_code("429"));
        assert_eq!(e.request_id(), Some("94fb3b52-452a-4535-a601-69e0a90e3aa2"));
        assert!(e.is_retryable());
        assert!(e.is_throttled());

        let nested = service(
            400,
            r#"{"error":{"code":"invalidRequest","message":"x","innererror":{"code":"outer",
               "innererror":{"code":"deviceLimitReached"}}}}"#,
            None,
        );
        assert!(nested.has_code("deviceLimitReached"));
        assert!(nested.has_code("OUTER"));
        assert!(nested.is_refusal());
        assert!(!nested.is_retryable());

        let not_json = service(502, "<html>Bad gateway</html>", None);
        assert_eq!(not_json.code(), None);
        assert!(not_json.is_retryable());
    }

    #[test]
    fn forbidden_names_permission_and_role() {
        let e = service(
            403,
            r#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation."}}"#,
            Some(PHONE_WRITE),
        );
        let text = e.explanation();
        assert!(
            text.contains("UserAuthenticationMethod.ReadWrite.All"),
            "{text}"
        );
        assert!(text.contains("Authentication Administrator"), "{text}");
        assert!(text.contains("Authorization_RequestDenied"), "{text}");

        let rollout = service(403, r#"{"error":{"code":"accessDenied"}}"#, Some(ROLLOUT));
        let text = rollout.explanation();
        assert!(text.contains("delegated sign-in only"), "{text}");
        assert!(text.contains("Hybrid Identity Administrator"), "{text}");
        assert!(text.contains("--auth device-code"), "{text}");
        assert!(
            text.contains("or the higher Directory.ReadWrite.All"),
            "{text}"
        );
    }

    #[test]
    fn already_exists_is_told_by_code_then_message() {
        let dup = service(
            400,
            r#"{"error":{"code":"invalidRequest","message":"A hardware token with serial number 'X' already exists in the tenant."}}"#,
            None,
        );
        assert!(dup.says_already_exists());
        let conflict = service(409, r#"{"error":{"code":"conflict"}}"#, None);
        assert!(conflict.says_already_exists());
        let bad = service(
            400,
            r#"{"error":{"code":"invalidRequest","message":"secretKey is not base32."}}"#,
            None,
        );
        assert!(!bad.says_already_exists());
        let server = service(500, r#"{"error":{"code":"alreadyExists"}}"#, None);
        assert!(!server.says_already_exists());
    }

    #[test]
    fn unauthorized_says_sign_in_again() {
        let e = service(
            401,
            r#"{"error":{"code":"InvalidAuthenticationToken"}}"#,
            None,
        );
        assert!(e.explanation().contains("Sign in again"));
        assert!(!e.is_retryable());
    }

    #[test]
    fn unknown_outcome_is_said_plainly() {
        let mut e = GraphError::new(
            GraphErrorKind::Transport {
                failure: TransportFailure::Reset,
                detail: "connection reset".into(),
            },
            "POST",
            "/v1.0/users/u/authentication/phoneMethods",
        );
        e.outcome_unknown = true;
        e.attempts = 1;
        assert!(e.is_retryable());
        assert!(e.outcome_unknown());
        let text = e.to_string();
        assert!(text.contains("may or may not have been applied"), "{text}");
        assert!(text.starts_with("POST /v1.0/users/u/authentication/phoneMethods"));
    }
}
