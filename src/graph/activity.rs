//! One record per Graph call, for the activity log (`@`) and the engine's load figures.
//! Paths keep their query but never a token; bodies are never recorded.

use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallRecord {
    pub at: DateTime<Utc>,
    pub method: String,
    /// Path and query relative to the Graph root, e.g. `/v1.0/users/…/authentication/phoneMethods`.
    pub path: String,
    /// HTTP status; `None` when no response came (timeout, reset).
    pub status: Option<u16>,
    pub duration_ms: u32,
    /// Attempt number, 1 for the first try.
    pub attempt: u32,
    /// Items in a `$batch`, 0 for a plain request.
    pub batch_items: u32,
    /// Inner batch items answered 429 (or the request itself, for a plain one).
    pub throttled: u32,
    /// Graph error code when the call failed (`Authorization_RequestDenied`, …).
    pub error_code: Option<String>,
    pub client_request_id: String,
}
