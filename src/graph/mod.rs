//! Microsoft Graph: the client (retry, throttling, paging, `$batch`), sign-in, and typed
//! calls for exactly the endpoints the tool uses (graph-api.md).
//!
//! - [`GraphClient`] (`client.rs`): HTTP with a shared adaptive [`Limiter`]
//!   (`limiter.rs`), retries (`retry.rs`), paging ([`Pager`]), `$batch` (`batch.rs`),
//!   counters and a [`CallRecord`] observer.
//! - `endpoints/`: the typed calls, as methods on [`GraphClient`].
//! - `model.rs`: the wire types (tolerant of unknown fields and enum members).
//! - [`GraphError`] (`error.rs`): status, code, request ids, retryability, unknown
//!   outcomes, and an explanation for the admin.
//! - `auth/`: sign-in (device code, certificate, secret, Azure CLI, managed identity,
//!   bearer token) and the signed-in [`Identity`].
//! - `root.rs`: where Graph is, and which URLs the client may talk to.

pub mod activity;
pub mod auth;
pub mod batch;
pub mod client;
pub mod endpoints;
pub mod error;
pub mod identity;
pub mod limiter;
pub mod model;
pub mod paging;
pub mod retry;
pub mod root;

pub use activity::CallRecord;
pub use auth::{
    AuthError, Capability, CapabilitySet, RefusedCapability, ScopeRefusal, Session, SignInOptions,
    TokenSource, sign_in,
};
pub use batch::{BatchItem, BatchResponse, MAX_BATCH};
pub use client::{ClientOptions, ClientStats, GraphClient, Observer, channel_observer};
pub use endpoints::directory::UserFilter;
pub use endpoints::federation::FederationChange;
pub use endpoints::hardware::NewHardwareToken;
pub use error::{Access, GraphError, GraphErrorKind, TransportFailure};
pub use identity::{Identity, TokenKind};
pub use limiter::{Cost, Limiter, LimiterState, Limits, TenantSize};
pub use paging::Pager;
pub use retry::RetryPolicy;
pub use root::{ApiVersion, GraphRoot, UrlPolicyError};
