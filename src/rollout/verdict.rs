//! What the interlocks answer for one tenant change: the findings (hard refusals apart
//! from what `--force` may override), the blast radius, the confirmation tier, and the
//! decision for a given `force`. Front ends and the services act on the decision; they
//! never re-derive it.

use serde::Serialize;

use super::facts::{GroupRef, MfaBehavior};
use super::readiness::Tally;
use super::text;
use crate::finding::{Finding, RuleId};

/// A change to the tenant that Staged Rollout or federation rules guard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    /// Add a group to the MFA rollout policy (creating the policy first when there is
    /// none).
    AddGroup {
        group: GroupRef,
        create_policy: bool,
    },
    RemoveGroup {
        group: GroupRef,
    },
    EnablePolicy,
    DisablePolicy,
    SetFederation {
        domain: String,
        to: MfaBehavior,
    },
    /// F2: `enforceMfaByFederatedIdp` on the federated domains and Staged Rollout off.
    Rollback,
}

impl Change {
    /// "adds MFA Rollout Wave 3", for the blast-radius line.
    pub fn verb(&self) -> String {
        match self {
            Change::AddGroup { group, .. } => format!("adds {}", group.name),
            Change::RemoveGroup { group } => format!("removes {}", group.name),
            Change::EnablePolicy => "enables Staged Rollout for MFA".to_string(),
            Change::DisablePolicy => "disables Staged Rollout for MFA".to_string(),
            Change::SetFederation { domain, to } => format!("sets {domain} to {to}"),
            Change::Rollback => "rolls back".to_string(),
        }
    }

    /// The audit log's `action` (A1); `audit --kind rollout|federation` filters on the
    /// part before the dot.
    pub fn audit_action(&self) -> &'static str {
        match self {
            Change::AddGroup { .. } => "rollout.add_group",
            Change::RemoveGroup { .. } => "rollout.remove_group",
            Change::EnablePolicy => "rollout.enable",
            Change::DisablePolicy => "rollout.disable",
            Change::SetFederation { .. } => "federation.set",
            Change::Rollback => "federation.rollback",
        }
    }
}

/// Where a change moves users' second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From MFA Server to Entra MFA.
    ToEntra,
    /// Back to MFA Server (on-premises MFA through the federation server).
    ToMfaServer,
    /// Nobody's MFA moves (e.g. a disabled policy changes nothing yet).
    Nowhere,
}

/// How many users a change moves, and how ready they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlastRadius {
    pub direction: Direction,
    /// Users moved; `None` when not counted.
    pub users: Option<u64>,
    pub verified: u64,
    pub usable_only: u64,
    pub neither: u64,
}

impl BlastRadius {
    pub fn to_entra(t: &Tally) -> BlastRadius {
        BlastRadius {
            direction: Direction::ToEntra,
            users: Some(t.in_scope),
            verified: t.verified,
            usable_only: t.usable_only,
            neither: t.neither,
        }
    }

    pub fn to_mfa_server(users: Option<u64>) -> BlastRadius {
        BlastRadius {
            direction: Direction::ToMfaServer,
            users,
            verified: 0,
            usable_only: 0,
            neither: 0,
        }
    }

    pub fn nowhere() -> BlastRadius {
        BlastRadius {
            direction: Direction::Nowhere,
            users: Some(0),
            verified: 0,
            usable_only: 0,
            neither: 0,
        }
    }

    fn users_text(&self) -> String {
        match self.users {
            Some(n) => text::users(n),
            None => "an uncounted number of users".to_string(),
        }
    }
}

/// The confirmation a front end asks before the write (ux.md, "Confirmation tiers"). A
/// tier belongs to the change, so no keymap or flag other than `--yes` skips it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "tier", rename_all = "snake_case")]
pub enum Confirmation {
    /// Summary with counts and rule ids; focus starts on Cancel.
    Tier1,
    /// Type `type_text` (a group name or a count).
    Tier2 { type_text: String },
    /// Tenant-wide: type the domain name; shows "takes up to 24 h".
    Tier3 { type_text: String },
}

/// What to do with a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// Nothing to write: the tenant is already so.
    NothingToDo,
    /// Go ahead (after the confirmation).
    Proceed,
    /// Go ahead past these blocking rules, because forced; the audit entry says so.
    Forced { past: Vec<RuleId> },
    /// Stopped by these rules; `--force` would override them (exit code 4).
    Blocked { by: Vec<RuleId> },
    /// Refused by these rules whatever `--force` says: Entra would refuse it, or the
    /// sign-in cannot do it (exit code 4).
    Refused { by: Vec<RuleId> },
}

impl Decision {
    /// Whether the change is written.
    pub fn writes(&self) -> bool {
        matches!(self, Decision::Proceed | Decision::Forced { .. })
    }

    pub fn forced(&self) -> bool {
        matches!(self, Decision::Forced { .. })
    }
}

/// The interlocks' answer for one change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub change: Change,
    /// Blocking findings no `--force` overrides (R2's refusals, an app-only sign-in, a
    /// managed domain…).
    pub refusals: Vec<Finding>,
    /// Everything else: blocking findings `--force` overrides, warnings, notes.
    pub findings: Vec<Finding>,
    pub blast: BlastRadius,
    /// The tenant is already as asked.
    pub nothing_to_do: bool,
    /// The confirmation when not forced; forcing raises a tier 1 to a tier 2.
    pub confirmation: Confirmation,
    /// What a forced confirmation asks to type (the group or domain name).
    pub force_text: String,
}

fn rules_of<'a>(fs: impl Iterator<Item = &'a Finding>) -> Vec<RuleId> {
    let mut out: Vec<RuleId> = Vec::new();
    for f in fs {
        if !out.contains(&f.rule) {
            out.push(f.rule.clone());
        }
    }
    out
}

impl Verdict {
    pub(crate) fn new(change: Change, blast: BlastRadius, confirmation: Confirmation) -> Self {
        let force_text = match &change {
            Change::AddGroup { group, .. } | Change::RemoveGroup { group } => group.name.clone(),
            Change::SetFederation { domain, .. } => domain.clone(),
            Change::EnablePolicy => "enable".to_string(),
            Change::DisablePolicy => "disable".to_string(),
            Change::Rollback => "rollback".to_string(),
        };
        Verdict {
            change,
            refusals: Vec::new(),
            findings: Vec::new(),
            blast,
            nothing_to_do: false,
            confirmation,
            force_text,
        }
    }

    pub(crate) fn refuse(&mut self, f: Finding) {
        self.refusals.push(f);
    }

    pub(crate) fn note(&mut self, f: Finding) {
        self.findings.push(f);
    }

    /// Every finding, refusals first.
    pub fn all_findings(&self) -> impl Iterator<Item = &Finding> {
        self.refusals.iter().chain(&self.findings)
    }

    /// Blocking findings `--force` overrides.
    pub fn blockers(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.is_blocking())
    }

    pub fn decide(&self, force: bool) -> Decision {
        if !self.refusals.is_empty() {
            return Decision::Refused {
                by: rules_of(self.refusals.iter()),
            };
        }
        if self.nothing_to_do {
            return Decision::NothingToDo;
        }
        let blockers = rules_of(self.blockers());
        match (blockers.is_empty(), force) {
            (true, _) => Decision::Proceed,
            (false, true) => Decision::Forced { past: blockers },
            (false, false) => Decision::Blocked { by: blockers },
        }
    }

    /// The confirmation to ask for with `force`.
    pub fn confirmation_for(&self, force: bool) -> Confirmation {
        match (&self.confirmation, self.decide(force).forced()) {
            (Confirmation::Tier1, true) => Confirmation::Tier2 {
                type_text: self.force_text.clone(),
            },
            (c, _) => c.clone(),
        }
    }

    /// The line shown before every write: "adds Wave3 → 4,812 users to Entra MFA: 4,790
    /// verified, 15 usable method only, 7 with no usable method — blocked by R1".
    pub fn blast_line(&self, force: bool) -> String {
        let b = &self.blast;
        let mut line = format!("{} → ", self.change.verb());
        match b.direction {
            Direction::ToEntra => {
                line.push_str(&format!(
                    "{} to Entra MFA: {} verified, {} usable method only, {} with no usable method",
                    b.users_text(),
                    text::count(b.verified),
                    text::count(b.usable_only),
                    text::count(b.neither)
                ));
            }
            Direction::ToMfaServer => {
                line.push_str(&format!(
                    "{} back to MFA Server (on-premises MFA)",
                    b.users_text()
                ));
            }
            Direction::Nowhere => line.push_str("nobody's MFA moves yet"),
        }
        let ids = |v: &[RuleId]| v.iter().map(RuleId::as_str).collect::<Vec<_>>().join(", ");
        match self.decide(force) {
            Decision::Proceed => {}
            Decision::NothingToDo => line.push_str(" — nothing to do"),
            Decision::Forced { past } => line.push_str(&format!(" — forced past {}", ids(&past))),
            Decision::Blocked { by } => line.push_str(&format!(" — blocked by {}", ids(&by))),
            Decision::Refused { by } => line.push_str(&format!(" — refused by {}", ids(&by))),
        }
        line
    }
}
