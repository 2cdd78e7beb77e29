//! Rules M1–M3: which MFA Server user an Entra member is.

use serde::{Deserialize, Serialize};

use super::rules::Rule;
use crate::datafile::UserIdx;

/// The result of matching one Entra member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "match", rename_all = "snake_case")]
pub enum Match {
    /// Exactly one MFA Server user, found by rule `by` (M1, M2 or M3).
    Matched { user: UserIdx, by: Rule },
    /// No MFA Server user: reported "not in MFA Server".
    NotInMfaServer,
    /// Several MFA Server users match (or share the matching username): none migrated.
    Conflict { users: Vec<UserIdx>, by: Rule },
}
