//! What the tool last wrote against what the tenant shows now: the audit record of a
//! rollout or federation change (A1: time, who, what, before, after, forced), the
//! snapshot of the MFA rollout policy that record holds, drift when someone changed the
//! policy or a domain's value behind the tool's back, and the propagation clock ("takes
//! up to 24 hours": Staged Rollout membership changes and `federatedIdpMfaBehavior` both
//! say so in the docs).

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::facts::{FederationValue, RolloutPolicyFacts};
use super::rules::Rule;
use super::verdict::{Change, Decision};
use crate::finding::{Finding, FindingSubject};

/// How long Entra may take to apply a Staged Rollout or federation change.
pub const PROPAGATION: Duration = Duration::from_secs(24 * 3600);

/// The MFA rollout policy as a value the audit log records and drift compares.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicySnapshot {
    pub exists: bool,
    pub enabled: bool,
    /// Group id (lower case) → display name.
    pub groups: BTreeMap<String, String>,
}

impl PolicySnapshot {
    pub fn of(policy: Option<&RolloutPolicyFacts>) -> PolicySnapshot {
        match policy {
            None => PolicySnapshot::default(),
            Some(p) => PolicySnapshot {
                exists: true,
                enabled: p.enabled,
                groups: p
                    .groups
                    .iter()
                    .map(|g| (g.id.to_ascii_lowercase(), g.name.clone()))
                    .collect(),
            },
        }
    }

    /// The audit log's `before`/`after` text: compact JSON, groups sorted.
    pub fn to_audit(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The reverse of [`PolicySnapshot::to_audit`]; `None` for text that is not one.
    pub fn from_audit(text: &str) -> Option<PolicySnapshot> {
        serde_json::from_str(text).ok()
    }

    /// What differs from `earlier`, in words; empty when the same. Group names are as
    /// Graph gave them: render through `safe_text`.
    pub fn differences(&self, earlier: &PolicySnapshot) -> Vec<String> {
        let mut out = Vec::new();
        if self.exists != earlier.exists {
            out.push(if self.exists {
                "the policy was created".to_string()
            } else {
                "the policy was deleted".to_string()
            });
            if !self.exists {
                return out;
            }
        }
        if self.enabled != earlier.enabled {
            out.push(if self.enabled {
                "turned on (was off)".to_string()
            } else {
                "turned off (was on)".to_string()
            });
        }
        for (id, name) in &self.groups {
            if !earlier.groups.contains_key(id) {
                out.push(format!("group \"{name}\" added"));
            }
        }
        for (id, name) in &earlier.groups {
            if !self.groups.contains_key(id) {
                out.push(format!("group \"{name}\" removed"));
            }
        }
        out
    }
}

/// What the tool last wrote to a target, from its last audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastWrite<T> {
    pub value: T,
    pub at: DateTime<Utc>,
}

/// A finding when the live policy is not what the tool last wrote.
pub fn policy_drift(
    last: Option<&LastWrite<PolicySnapshot>>,
    live: &PolicySnapshot,
) -> Option<Finding> {
    let last = last?;
    let diff = live.differences(&last.value);
    (!diff.is_empty()).then(|| {
        Finding::warning(
            Rule::Drift,
            FindingSubject::Tenant,
            format!(
                "the MFA rollout policy changed behind this tool's back since its last write \
                 ({}): {}",
                last.at.format("%Y-%m-%d %H:%M UTC"),
                diff.join("; ")
            ),
        )
        .with_fix(
            "find who changed it (Entra audit log, Staged Rollout events), then refresh; the \
             next change starts from the live policy",
        )
    })
}

/// A finding when a domain's live value is not what the tool last wrote.
pub fn federation_drift(
    domain: &str,
    last: Option<&LastWrite<FederationValue>>,
    live: &FederationValue,
) -> Option<Finding> {
    let last = last?;
    (last.value != *live).then(|| {
        Finding::warning(
            Rule::Drift,
            FindingSubject::Domain {
                name: domain.to_string(),
            },
            format!(
                "federatedIdpMfaBehavior changed behind this tool's back: it wrote {} at {}, \
                 the domain now says {}",
                last.value.audit_text(),
                last.at.format("%Y-%m-%d %H:%M UTC"),
                live.audit_text()
            ),
        )
        .with_fix("find who changed it (Entra audit log), then refresh or set it again")
    })
}

/// Time since a change, against the 24 hours Entra may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Propagation {
    pub elapsed: Duration,
}

impl Propagation {
    /// `now` is injected so screens and tests stay stable.
    pub fn since(at: DateTime<Utc>, now: DateTime<Utc>) -> Propagation {
        Propagation {
            elapsed: (now - at).to_std().unwrap_or_default(),
        }
    }

    /// 24 hours have passed: the change applies everywhere.
    pub fn settled(&self) -> bool {
        self.elapsed >= PROPAGATION
    }

    pub fn remaining(&self) -> Duration {
        PROPAGATION.saturating_sub(self.elapsed)
    }
}

fn span(d: Duration) -> String {
    let mins = d.as_secs() / 60;
    let (days, hours, mins) = (mins / 1440, (mins / 60) % 24, mins % 60);
    match (days, hours) {
        (0, 0) => format!("{mins} min"),
        (0, h) => format!("{h} h {mins} min"),
        (d, h) => format!("{d} d {h} h"),
    }
}

impl fmt::Display for Propagation {
    /// "changed 3 h 12 min ago · takes up to 24 h (20 h 48 min left)"
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.settled() {
            write!(
                f,
                "changed {} ago · applied (24 h passed)",
                span(self.elapsed)
            )
        } else {
            write!(
                f,
                "changed {} ago · takes up to 24 h ({} left)",
                span(self.elapsed),
                span(self.remaining())
            )
        }
    }
}

/// The A1 audit record of a rollout or federation change, for the state store's audit
/// log: what, on which target, before and after (read back), and whether forced past
/// which rules. Who (the token subject) and when are the store's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    /// `rollout.add_group`, `federation.set`, … ([`Change::audit_action`]).
    pub action: &'static str,
    /// `rollout-policy` for the policy, the domain name for a domain.
    pub target: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub forced: bool,
    /// "forced past R1: 7 users neither migrated nor …", the group changed, …
    pub detail: Option<String>,
}

/// The audit log's target name of the MFA rollout policy.
pub const POLICY_TARGET: &str = "rollout-policy";

/// The audit record of a policy change, with its before and read-back after.
pub fn policy_audit(
    change: &Change,
    decision: &Decision,
    overridden: &[Finding],
    before: &PolicySnapshot,
    after: &PolicySnapshot,
) -> AuditRecord {
    record(
        change,
        decision,
        overridden,
        POLICY_TARGET.to_string(),
        before.to_audit(),
        after.to_audit(),
    )
}

/// The audit record of a domain's change, with its before and read-back after.
pub fn federation_audit(
    change: &Change,
    decision: &Decision,
    overridden: &[Finding],
    domain: &str,
    before: &FederationValue,
    after: &FederationValue,
) -> AuditRecord {
    record(
        change,
        decision,
        overridden,
        domain.to_string(),
        before.audit_text(),
        after.audit_text(),
    )
}

fn record(
    change: &Change,
    decision: &Decision,
    overridden: &[Finding],
    target: String,
    before: String,
    after: String,
) -> AuditRecord {
    let mut detail = Vec::new();
    match change {
        Change::AddGroup { group, .. } | Change::RemoveGroup { group } => {
            detail.push(format!("group {} ({})", group.name, group.id));
        }
        _ => {}
    }
    if let Decision::Forced { past } = decision {
        let rules: Vec<&str> = past.iter().map(|r| r.as_str()).collect();
        detail.push(format!("forced past {}", rules.join(", ")));
        for f in overridden.iter().filter(|f| f.is_blocking()) {
            detail.push(format!("[{}] {}", f.rule, f.text));
        }
    }
    AuditRecord {
        action: change.audit_action(),
        target,
        before: Some(before),
        after: Some(after),
        forced: decision.forced(),
        detail: (!detail.is_empty()).then(|| detail.join("; ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::RuleId;
    use crate::rollout::facts::{GroupRef, MfaBehavior};

    fn at(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + h * 3600, 0).unwrap_or_default()
    }

    fn policy(enabled: bool, groups: &[(&str, &str)]) -> RolloutPolicyFacts {
        RolloutPolicyFacts {
            id: "p".into(),
            display_name: "MFA rollout policy".into(),
            enabled,
            groups: groups.iter().map(|(i, n)| GroupRef::new(*i, *n)).collect(),
        }
    }

    #[test]
    fn policy_snapshots_round_trip_and_drift_names_each_difference() {
        let wrote = PolicySnapshot::of(Some(&policy(true, &[("A1", "Wave 1"), ("b2", "Wave 2")])));
        let text = wrote.to_audit();
        assert_eq!(PolicySnapshot::from_audit(&text).as_ref(), Some(&wrote));
        let last = LastWrite {
            value: wrote.clone(),
            at: at(0),
        };
        assert_eq!(policy_drift(Some(&last), &wrote), None);
        let live = PolicySnapshot::of(Some(&policy(false, &[("a1", "Wave 1"), ("c3", "Extra")])));
        let f = policy_drift(Some(&last), &live).expect("drift");
        assert_eq!(f.rule, RuleId::from(Rule::Drift));
        assert!(f.text.contains("turned off (was on)"), "{}", f.text);
        assert!(f.text.contains("group \"Extra\" added"));
        assert!(f.text.contains("group \"Wave 2\" removed"));
        assert!(
            policy_drift(None, &live).is_none(),
            "nothing written, nothing to compare"
        );
        let gone = PolicySnapshot::of(None);
        assert_eq!(gone.differences(&wrote), ["the policy was deleted"]);
    }

    #[test]
    fn federation_drift_compares_the_last_written_value() {
        let last = LastWrite {
            value: FederationValue::Set(MfaBehavior::RejectMfaByFederatedIdp),
            at: at(0),
        };
        assert!(federation_drift("contoso.com", Some(&last), &last.value.clone()).is_none());
        let f = federation_drift(
            "contoso.com",
            Some(&last),
            &FederationValue::Set(MfaBehavior::AcceptIfMfaDoneByFederatedIdp),
        )
        .expect("drift");
        assert!(
            f.text.contains("it wrote rejectMfaByFederatedIdp"),
            "{}",
            f.text
        );
        assert!(f.text.contains("now says acceptIfMfaDoneByFederatedIdp"));
    }

    #[test]
    fn the_propagation_clock_counts_to_24_hours() {
        let p = Propagation::since(at(0), at(3) + chrono::Duration::minutes(12));
        assert_eq!(
            p.to_string(),
            "changed 3 h 12 min ago · takes up to 24 h (20 h 48 min left)"
        );
        assert!(!p.settled());
        let p = Propagation::since(at(0), at(50));
        assert!(p.settled());
        assert_eq!(p.to_string(), "changed 2 d 2 h ago · applied (24 h passed)");
        assert_eq!(Propagation::since(at(5), at(0)).elapsed, Duration::ZERO);
    }

    #[test]
    fn audit_records_say_what_before_after_and_forced() {
        let change = Change::AddGroup {
            group: GroupRef::new("g3", "MFA Rollout Wave 3"),
            create_policy: false,
        };
        let overridden = [Finding::blocking(
            Rule::R1,
            FindingSubject::Tenant,
            "7 of 4,812 users in scope are neither …",
        )];
        let before = PolicySnapshot::of(Some(&policy(true, &[])));
        let after = PolicySnapshot::of(Some(&policy(true, &[("g3", "MFA Rollout Wave 3")])));
        let decision = Decision::Forced {
            past: vec![RuleId::from(Rule::R1)],
        };
        let r = policy_audit(&change, &decision, &overridden, &before, &after);
        assert_eq!(r.action, "rollout.add_group");
        assert_eq!(r.target, POLICY_TARGET);
        assert!(r.forced);
        let detail = r.detail.unwrap_or_default();
        assert!(detail.contains("forced past R1"), "{detail}");
        assert!(detail.contains("[R1] 7 of 4,812"));
        assert_eq!(
            PolicySnapshot::from_audit(r.after.as_deref().unwrap_or_default()),
            Some(after)
        );
        let r = federation_audit(
            &Change::SetFederation {
                domain: "contoso.com".into(),
                to: MfaBehavior::RejectMfaByFederatedIdp,
            },
            &Decision::Proceed,
            &[],
            "contoso.com",
            &FederationValue::Unset,
            &FederationValue::Set(MfaBehavior::RejectMfaByFederatedIdp),
        );
        assert_eq!(
            (r.before.as_deref(), r.after.as_deref(), r.forced),
            (Some("unset"), Some("rejectMfaByFederatedIdp"), false)
        );
    }
}
