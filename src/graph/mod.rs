//! Microsoft Graph: the client (retry, throttling, paging, `$batch`), sign-in, and typed
//! calls for exactly the endpoints the tool uses (graph-api.md).

pub mod activity;
pub mod identity;

pub use activity::CallRecord;
pub use identity::{Identity, TokenKind};
