//! Who the tool is signed in as: shown in the header, checked by preflight, and used to
//! refuse Staged Rollout calls with an app-only token before Graph does.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::cloud::Cloud;

/// How the token was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// A signed-in admin (device code, Azure CLI, a delegated bearer token).
    Delegated,
    /// An application (certificate, secret, managed identity).
    AppOnly,
}

/// The signed-in identity, read from the token's claims (never the token itself).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Identity {
    pub tenant_id: String,
    /// Display name of the tenant, or its primary domain, when known.
    pub tenant_name: Option<String>,
    pub cloud: Cloud,
    /// UPN of the admin, or the application's name/id.
    pub account: String,
    pub kind: TokenKind,
    /// Directory roles (`wids` resolved to names where known, or `roles` of an app).
    pub roles: Vec<String>,
    /// Delegated scopes (`scp`) or application permissions (`roles`).
    pub permissions: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
    /// True against the simulated tenant: the header says so plainly.
    pub simulated: bool,
}
