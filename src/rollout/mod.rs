//! Staged Rollout for MFA and the federation cutover, as pure decisions: waves and their
//! readiness, the interlocks R1–R4 and F1–F2 (rollout-federation.md), the blast radius
//! shown before every write, drift against what the tool last wrote, the audit record of
//! each change (A1), and preflight. Facts in, [`Finding`](crate::finding::Finding)s,
//! verdicts and plans out; no Graph, no store, no clock — the rollout and federation
//! services read the facts, act on the verdicts and journal the writes.
//!
//! Flow of a change: read facts → [`interlocks::check_add_group`] (or remove, enable,
//! disable, [`federation::check_set_federation`], [`federation::plan_rollback`]) →
//! [`Verdict::blast_line`] and [`Verdict::confirmation_for`] shown →
//! [`Verdict::decide`] → write, read back → [`drift::policy_audit`] /
//! [`drift::federation_audit`] into the audit log.

pub mod drift;
pub mod facts;
pub mod federation;
pub mod interlocks;
pub mod preflight;
pub mod readiness;
pub mod rules;
pub mod show;
mod text;
pub mod verdict;
pub mod wave;

pub use drift::{
    AuditRecord, LastWrite, POLICY_TARGET, PROPAGATION, PolicySnapshot, Propagation,
    federation_audit, federation_drift, policy_audit, policy_drift,
};
pub use facts::{
    DomainFacts, FederationValue, GroupInfo, GroupRef, Member, MfaBehavior, MigrationState,
    RolloutPolicyFacts, UserFacts,
};
pub use federation::{
    RollbackPlan, RollbackWrite, SetFederation, check_set_federation, plan_rollback,
};
pub use interlocks::{
    AddGroup, MAX_GROUP_USERS, MAX_GROUPS, POLICY_NAME, check_add_group, check_disable,
    check_enable, check_remove_group,
};
pub use preflight::{
    CompanyDefaults, MethodPolicy, MfaServerUsage, PolicyMethods, access_findings, check_methods,
    require_federation, require_staged_rollout, unmigratable,
};
pub use readiness::{
    Gauge, GaugeKind, GroupReadiness, NestedGroup, NextStep, Tally, Tone, WaveReadiness, next_wave,
    wave_readiness,
};
pub use rules::Rule;
pub use verdict::{BlastRadius, Change, Confirmation, Decision, Direction, Verdict};
pub use wave::{Wave, WaveProblem};
