//! What the state store holds, as types: the target of a journaled write or an audited
//! change (a user's methods, the rollout policy, a group in it, a domain's federation
//! setting, an inventory item, a checklist step), the journal's intents and outcomes,
//! audit entries, each user's last status, inventory decisions and checklist ticks.
//!
//! Every enum here is stored as the text its `as_str` gives and read back through
//! `parse`; the schema's CHECK constraints hold the same lists, so a row the code cannot
//! read cannot be written.

use chrono::{DateTime, Utc};
use serde::Serialize;

macro_rules! stored_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Option<$name> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

stored_enum! {
    /// What a journaled write or an audited change is about.
    TargetKind {
        /// One user's authentication methods (phones, tokens, default method).
        UserMethod = "user_method",
        /// The Staged Rollout policy for MFA (created, enabled, disabled).
        RolloutPolicy = "rollout_policy",
        /// A group in the rollout policy (added, removed).
        RolloutGroup = "rollout_group",
        /// A domain's `federatedIdpMfaBehavior`.
        DomainFederation = "domain_federation",
        /// A dependency of the inventory (decision and status: local, no tenant write).
        InventoryItem = "inventory_item",
        /// A step of the cutover checklist (ticked, forced: local, no tenant write).
        ChecklistStep = "checklist_step",
    }
}

impl TargetKind {
    /// Whether changes of this kind reach the tenant (journaled writes) or only this
    /// tool's own records (audited decisions).
    pub fn is_tenant(self) -> bool {
        matches!(
            self,
            TargetKind::UserMethod
                | TargetKind::RolloutPolicy
                | TargetKind::RolloutGroup
                | TargetKind::DomainFederation
        )
    }
}

/// What a write or change is about: its kind, a stable id (user or group object id,
/// policy id, domain name, item or step id) and the name an admin reads (UPN, group
/// name, domain).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Target {
    pub kind: TargetKind,
    pub id: String,
    pub name: String,
}

impl Target {
    pub fn new(kind: TargetKind, id: impl Into<String>, name: impl Into<String>) -> Target {
        Target {
            kind,
            id: id.into(),
            name: name.into(),
        }
    }

    /// One user's methods.
    pub fn user(entra_id: impl Into<String>, upn: impl Into<String>) -> Target {
        Target::new(TargetKind::UserMethod, entra_id, upn)
    }
}

/// A journal entry's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct JournalId(pub i64);

/// A run's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct RunId(pub i64);

/// What a write is about to do; recorded before it is sent.
#[derive(Debug, Clone, Serialize)]
pub struct Intent {
    pub run: Option<RunId>,
    pub tenant: String,
    pub target: Target,
    /// The planned operation as JSON (plans hold no secrets).
    pub op: String,
}

stored_enum! {
    /// How a journaled write ended.
    OutcomeKind {
        Ok = "ok",
        Failed = "failed",
        /// The outcome was unknown; a read-back showed the write took effect.
        ReconciledDone = "reconciled_done",
        /// The outcome was unknown; a read-back showed it did not.
        ReconciledNotDone = "reconciled_not_done",
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub kind: OutcomeKind,
    pub http_status: Option<u16>,
    pub error: Option<String>,
    pub client_request_id: Option<String>,
}

/// A journal row as read back.
#[derive(Debug, Clone, Serialize)]
pub struct JournalEntry {
    pub id: JournalId,
    pub run: Option<RunId>,
    pub tenant: String,
    pub target: Target,
    pub op: String,
    pub intent_at: DateTime<Utc>,
    /// `None`: sent (or about to be) with no recorded outcome — unknown until reconciled.
    pub outcome: Option<OutcomeKind>,
    pub outcome_at: Option<DateTime<Utc>>,
    pub http_status: Option<u16>,
    pub error: Option<String>,
    pub client_request_id: Option<String>,
}

/// One change, for the change board: time, who, what, before, after, forced or not.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub tenant: String,
    /// The token's subject: admin UPN or application id.
    pub actor: String,
    /// e.g. `phone.add`, `rollout.group.add`, `federation.set`, `checklist.tick`.
    pub action: String,
    pub target: Target,
    pub before: Option<String>,
    pub after: Option<String>,
    pub detail: Option<String>,
    /// An interlock or a gate was overridden (`--force`).
    pub forced: bool,
}

stored_enum! {
    /// A user's last migration status in the store.
    UserStatusKind {
        /// Written and read back as planned (C4); the fingerprint is recorded (C1).
        Verified = "verified",
        /// Read back different from the plan (C4).
        Mismatch = "mismatch",
        Failed = "failed",
        /// A run was killed while writing the user; reconciled at the next start.
        Interrupted = "interrupted",
        /// Skipped by a rule (no MFA Server user, conflict, disabled).
        Skipped = "skipped",
    }
}

impl UserStatusKind {
    /// Statuses a retry picks up.
    pub const RETRYABLE: &'static [UserStatusKind] = &[
        UserStatusKind::Failed,
        UserStatusKind::Mismatch,
        UserStatusKind::Interrupted,
    ];
}

/// What the store remembers of a user (rule C1 and the last status).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserState {
    pub entra_id: String,
    pub upn: String,
    pub mfa_username: Option<String>,
    #[serde(skip)]
    pub fingerprint: Option<[u8; 32]>,
    pub migrated_at: Option<DateTime<Utc>>,
    pub status: UserStatusKind,
    pub detail: Option<String>,
    pub updated_at: DateTime<Utc>,
    /// Whether the user holds a usable Entra method after their last verified plan
    /// (rollout readiness reads it instead of asking Graph); `None`: not known.
    pub usable: Option<bool>,
}

/// A user's status update.
#[derive(Debug, Clone)]
pub struct UserUpdate {
    pub tenant: String,
    pub entra_id: String,
    pub upn: String,
    pub mfa_username: Option<String>,
    pub status: UserStatusKind,
    pub detail: Option<String>,
    pub tracking: Tracking,
    /// Whether the user now holds a usable Entra method, when the update knows it;
    /// `None` leaves what is recorded.
    pub usable: Option<bool>,
}

/// What a status update does to the user's change tracking (rule C1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tracking {
    /// Verified: record the fingerprint and the time; later runs skip the user while
    /// the fingerprint stays the same.
    Migrated([u8; 32]),
    /// Leave what is recorded (a status that says nothing new about Entra's state).
    Keep,
    /// The last attempt did not end verified (failed, mismatch, interrupted by a
    /// crash): forget the fingerprint, so the next run plans the user again even if its
    /// MFA Server data did not change.
    Forget,
    /// The tool's writes to the user were all undone (pilot reset): nothing recorded of
    /// the user is true any more, so the record goes and the user reads as not migrated.
    Reset,
}

stored_enum! {
    /// Where a dependency of the inventory stands.
    ItemStatus {
        Pending = "pending",
        InProgress = "in_progress",
        Done = "done",
        WontDo = "wont_do",
    }
}

/// The admin's decision on one inventory item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemDecision {
    pub item_id: String,
    pub kind: String,
    pub name: String,
    /// The path chosen ("NPS extension", "move to Entra", …); `None` while undecided.
    pub decision: Option<String>,
    pub status: ItemStatus,
    pub note: Option<String>,
    pub actor: String,
    pub updated_at: DateTime<Utc>,
}

/// A checklist step ticked (or un-ticked) by hand, or forced past its gate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepTick {
    pub step_id: String,
    pub done: bool,
    pub note: Option<String>,
    pub actor: String,
    pub at: DateTime<Utc>,
    pub forced: bool,
}

/// The cutover checklist as begun: the end state chosen (checklist.md: 1, 2 or 3) and
/// when the first step was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChecklistRecord {
    pub end_state: Option<u8>,
    pub started_at: Option<DateTime<Utc>>,
}

/// The data file as first seen (the checklist's backup step): which backup restores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataFileRecord {
    pub sha256: String,
    pub size: u64,
    pub modified: Option<DateTime<Utc>>,
    pub first_seen: DateTime<Utc>,
}

/// Which journal rows to read (the Journal tab, `journal`, undo).
#[derive(Debug, Clone, Default)]
pub struct JournalFilter {
    pub kind: Option<TargetKind>,
    /// Exact target id, or a case-insensitive part of the target's name.
    pub target: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Only entries with no recorded outcome.
    pub open_only: bool,
}

/// Which audit rows to read (`audit`, the Journal tab).
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub kind: Option<TargetKind>,
    /// Exact target id, or a case-insensitive part of the target's name.
    pub target: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_round_trip() {
        for k in TargetKind::ALL {
            assert_eq!(TargetKind::parse(k.as_str()), Some(*k));
        }
        for k in UserStatusKind::ALL {
            assert_eq!(UserStatusKind::parse(k.as_str()), Some(*k));
        }
        for k in OutcomeKind::ALL {
            assert_eq!(OutcomeKind::parse(k.as_str()), Some(*k));
        }
        for k in ItemStatus::ALL {
            assert_eq!(ItemStatus::parse(k.as_str()), Some(*k));
        }
        assert_eq!(UserStatusKind::parse("verifed"), None);
    }
}
