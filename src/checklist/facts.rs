//! What the checks look at: gathered by the engine from the data file, the state store,
//! the sign-in and Graph, then judged here without I/O. A fact that could not be read is
//! `Err(why)`, and the step whose check needs it says so instead of guessing.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::capability::Capabilities;
use crate::finding::Finding;
use crate::rollout::{DomainFacts, Tally};

use super::steps::EndState;

/// Everything the checklist is judged on.
#[derive(Debug, Clone, Serialize)]
pub struct Facts {
    pub now: DateTime<Utc>,
    pub end_state: Option<EndState>,
    pub started_at: Option<DateTime<Utc>>,
    pub inventory: Result<InventoryFacts, String>,
    pub data: DataFacts,
    pub access: AccessFacts,
    /// The methods policy against what MFA Server users use (preflight's PRE-METHODS).
    pub methods: Result<Vec<Finding>, String>,
    pub waves: Result<Vec<WaveFacts>, String>,
    pub policy: Result<PolicyFacts, String>,
    /// Users the store holds whose last attempt failed.
    pub failed_users: u64,
    pub domains: Result<Vec<DomainFact>, String>,
    pub cloud_auth: Result<CloudAuthFacts, String>,
    pub ticks: Vec<Tick>,
}

/// The dependency inventory's counts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct InventoryFacts {
    /// The data file's services or an export was read.
    pub loaded: bool,
    pub total: usize,
    pub decided: usize,
    pub closed: usize,
    /// AD FS relying parties that need a decision, and how many are closed.
    pub relying_parties: usize,
    pub relying_parties_closed: usize,
    /// The first few items not decided / not closed, by name.
    pub undecided_sample: Vec<String>,
    pub open_sample: Vec<String>,
}

/// The data file(s) loaded now and as first recorded.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DataFacts {
    pub inputs: Vec<InputFact>,
    /// The first record of each file the store holds (oldest first): the backup the
    /// rollback restores.
    pub recorded: Vec<RecordedFile>,
    pub server_version: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InputFact {
    pub path: String,
    pub sha256: String,
    pub size: u64,
    pub modified: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RecordedFile {
    pub sha256: String,
    pub size: u64,
    pub modified: Option<DateTime<Utc>>,
    pub first_seen: DateTime<Utc>,
}

/// Who is signed in and what they can do.
#[derive(Debug, Clone, Serialize)]
pub struct AccessFacts {
    pub account: String,
    pub roles: Vec<String>,
    /// `None` when not signed in (an offline report).
    pub capabilities: Option<Capabilities>,
}

/// A wave's migration and rollout groups, as counted now.
#[derive(Debug, Clone, Serialize)]
pub struct WaveFacts {
    pub name: String,
    pub migrate_group: String,
    /// `None` when the group is not found.
    pub migrate: Option<Tally>,
    pub rollout_group: String,
    pub rollout: Option<Tally>,
    pub in_policy: bool,
}

/// The MFA rollout policy and its groups.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PolicyFacts {
    pub exists: bool,
    pub enabled: bool,
    pub groups: Vec<(String, Tally)>,
}

/// A domain's federation value and its propagation clock.
#[derive(Debug, Clone, Serialize)]
pub struct DomainFact {
    pub domain: DomainFacts,
    /// When this tool last changed it.
    pub changed_at: Option<DateTime<Utc>>,
}

/// Cloud authentication (end states 2 and 3): managed domains, or Staged Rollout of
/// password hash sync / pass-through authentication with seamless SSO.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CloudAuthFacts {
    pub federated_domains: usize,
    /// Enabled Staged Rollout features other than MFA, with their group counts.
    pub features: Vec<(String, usize)>,
}

/// A tick by hand (a manual step, a validate check, or a step whose check cannot
/// decide), or one the tool recorded (the re-registration export).
#[derive(Debug, Clone, Serialize)]
pub struct Tick {
    pub step: String,
    pub done: bool,
    pub note: Option<String>,
    pub actor: String,
    pub at: DateTime<Utc>,
    pub forced: bool,
}
