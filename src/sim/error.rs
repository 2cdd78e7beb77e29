//! Graph's refusals as the simulation produces them: a status, a code a client may branch
//! on, and a message for people (graph-api.md §10). The tenant model returns them; the API
//! layer wraps them in Graph's error body.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400 with a directory-style code (`Request_BadRequest`).
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "Request_BadRequest", message)
    }

    /// 400 `invalidRequest`: the code of the auth-methods APIs' refusals (§14).
    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "invalidRequest", message)
    }

    pub fn unsupported_query(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "Request_UnsupportedQuery", message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(404, "Request_ResourceNotFound", message)
    }

    /// A user, group or other directory object that does not exist.
    pub fn no_object(key: &str) -> ApiError {
        ApiError::not_found(format!(
            "Resource '{key}' does not exist or one of its queried reference-property objects are not present."
        ))
    }

    /// OData's answer to a path segment the service does not know (also what v1.0 says
    /// of the beta-only resources).
    pub fn no_segment(segment: &str) -> ApiError {
        ApiError::new(
            400,
            "BadRequest",
            format!("Resource not found for the segment '{segment}'."),
        )
    }

    pub fn method_not_allowed() -> ApiError {
        ApiError::new(
            405,
            "Request_BadRequest",
            "Specified HTTP method is not allowed for the request target.",
        )
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(403, "Authorization_RequestDenied", message)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;
