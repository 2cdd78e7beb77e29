//! The rules of Staged Rollout and the federation cutover (rollout-federation.md): one
//! closed list with the ids the specs use and a one-line summary each, for help, reports
//! and the rules table. Every finding of this module names one of them.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::finding::RuleId;

/// One rule of rollout-federation.md, or one of the checks built on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Rule {
    /// Readiness of the members of a group added to the rollout policy.
    R1,
    /// What Entra refuses (refused before calling it) and what it silently ignores.
    R2,
    /// The rollout group should not be the migration group.
    R3,
    /// Removing a group or disabling the policy sends users back to MFA Server.
    R4,
    /// Preflight of the final cutover (`rejectMfaByFederatedIdp`).
    F1,
    /// Rollback as one action.
    F2,
    /// The live policy or federation value is not what the tool last wrote.
    Drift,
    /// What the current sign-in can do.
    Access,
    /// The methods policy against the methods MFA Server users use.
    Methods,
    /// Users whose methods cannot be migrated in this cloud or with this sign-in.
    Unmigratable,
}

impl Rule {
    /// Every rule, in the order of the spec.
    pub const ALL: [Rule; 10] = [
        Rule::R1,
        Rule::R2,
        Rule::R3,
        Rule::R4,
        Rule::F1,
        Rule::F2,
        Rule::Drift,
        Rule::Access,
        Rule::Methods,
        Rule::Unmigratable,
    ];

    /// The id findings, reports and tests name.
    pub fn id(self) -> &'static str {
        match self {
            Rule::R1 => "R1",
            Rule::R2 => "R2",
            Rule::R3 => "R3",
            Rule::R4 => "R4",
            Rule::F1 => "F1",
            Rule::F2 => "F2",
            Rule::Drift => "DRIFT",
            Rule::Access => "PRE-ACCESS",
            Rule::Methods => "PRE-METHODS",
            Rule::Unmigratable => "PRE-USERS",
        }
    }

    /// One line for help and reports.
    pub fn summary(self) -> &'static str {
        match self {
            Rule::R1 => {
                "adding a group to Staged Rollout: every direct member migrated and verified, \
                 or holding a usable Entra method; otherwise blocked unless forced (audited)"
            }
            Rule::R2 => {
                "refused before Graph is called: an 11th group, a dynamic group, a group \
                 holding a contact; warned: nested groups, more than 50,000 users, cloud-only \
                 members"
            }
            Rule::R3 => "warns when a wave's rollout group is its migration group",
            Rule::R4 => {
                "removing a group or disabling Staged Rollout says how many users go back to \
                 MFA Server"
            }
            Rule::F1 => {
                "setting rejectMfaByFederatedIdp: users not migrated, methods the policy \
                 leaves disabled and dependencies not done block unless forced"
            }
            Rule::F2 => {
                "rollback in one action: enforceMfaByFederatedIdp on every federated domain \
                 and Staged Rollout for MFA off"
            }
            Rule::Drift => {
                "the live rollout policy or federation value differs from what this tool last \
                 wrote"
            }
            Rule::Access => {
                "what the current sign-in can do: delegated or app-only, its roles and scopes"
            }
            Rule::Methods => {
                "the methods policy enables what MFA Server users use (phone call, text \
                 message, mobile app, OATH tokens) and what its PIN modes map to"
            }
            Rule::Unmigratable => {
                "users whose methods cannot be migrated in this cloud or with this sign-in"
            }
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl From<Rule> for RuleId {
    fn from(r: Rule) -> RuleId {
        RuleId::new(r.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_every_rule_has_a_summary() {
        let mut ids: Vec<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), Rule::ALL.len());
        for r in Rule::ALL {
            assert!(r.summary().len() > 20, "{r}");
            assert_eq!(RuleId::from(r).as_str(), r.id());
        }
    }
}
