//! One shape for what every domain's pure rules find: a plan's skips and notes, the
//! Staged Rollout and federation interlocks (R1–R4, F1–F2), inventory classifications and
//! checklist checks. Each names its rule, what it is about, what it says, how much it
//! matters and, when the admin can do something, the fix. Front ends render findings;
//! they never re-derive them.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A rule id as the specs spell it (`D3`, `R1`, `F1`, `prep.backup`, `INV-ACP`). Each
/// domain keeps its rules in a closed enum and converts into this at the edge, so a
/// finding can name any of them and a report need not know the domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RuleId(Cow<'static, str>);

impl RuleId {
    /// A rule id known at compile time.
    pub const fn new(id: &'static str) -> RuleId {
        RuleId(Cow::Borrowed(id))
    }

    /// A rule id read back from the state store or a saved file.
    pub fn owned(id: String) -> RuleId {
        RuleId(Cow::Owned(id))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<crate::migrate::Rule> for RuleId {
    fn from(r: crate::migrate::Rule) -> RuleId {
        RuleId::new(r.id())
    }
}

/// How much a finding matters. Ordered: a `Blocking` finding outranks a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing; changes nothing.
    Info,
    /// Goes ahead, but the admin should read it first.
    Warning,
    /// Stops the change unless forced (and the force is audited).
    Blocking,
}

impl Severity {
    pub fn word(self) -> &'static str {
        match self {
            Severity::Info => "note",
            Severity::Warning => "warning",
            Severity::Blocking => "blocked",
        }
    }
}

/// What a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FindingSubject {
    /// The whole tenant (a policy, a capability of the sign-in).
    Tenant,
    /// One Entra user.
    User { id: String, upn: String },
    /// An Entra group (a migration or rollout group).
    Group { id: String, name: String },
    /// A domain (its federation setting).
    Domain { name: String },
    /// An authentication method in the methods policy (`Sms`, `Voice`, …).
    Method { name: String },
    /// An item of the dependency inventory.
    Dependency { id: String, name: String },
    /// A step of the cutover checklist.
    Step { id: String },
}

impl fmt::Display for FindingSubject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FindingSubject::Tenant => f.write_str("tenant"),
            FindingSubject::User { upn, .. } => write!(f, "user {upn}"),
            FindingSubject::Group { name, .. } => write!(f, "group \"{name}\""),
            FindingSubject::Domain { name } => write!(f, "domain {name}"),
            FindingSubject::Method { name } => write!(f, "method {name}"),
            FindingSubject::Dependency { name, .. } => write!(f, "dependency \"{name}\""),
            FindingSubject::Step { id } => write!(f, "step {id}"),
        }
    }
}

/// One thing a rule found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: RuleId,
    pub subject: FindingSubject,
    pub severity: Severity,
    /// What was found, with its figures ("7 members have no usable Entra method").
    pub text: String,
    /// What the admin can do about it, when there is something to do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Finding {
    pub fn new(
        rule: impl Into<RuleId>,
        subject: FindingSubject,
        severity: Severity,
        text: impl Into<String>,
    ) -> Finding {
        Finding {
            rule: rule.into(),
            subject,
            severity,
            text: text.into(),
            fix: None,
        }
    }

    pub fn info(rule: impl Into<RuleId>, subject: FindingSubject, text: impl Into<String>) -> Self {
        Finding::new(rule, subject, Severity::Info, text)
    }

    pub fn warning(
        rule: impl Into<RuleId>,
        subject: FindingSubject,
        text: impl Into<String>,
    ) -> Self {
        Finding::new(rule, subject, Severity::Warning, text)
    }

    pub fn blocking(
        rule: impl Into<RuleId>,
        subject: FindingSubject,
        text: impl Into<String>,
    ) -> Self {
        Finding::new(rule, subject, Severity::Blocking, text)
    }

    /// The same finding with what to do about it.
    pub fn with_fix(mut self, fix: impl Into<String>) -> Finding {
        self.fix = Some(fix.into());
        self
    }

    pub fn is_blocking(&self) -> bool {
        self.severity == Severity::Blocking
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[{}] {} ({}): {}",
            self.rule,
            self.severity.word(),
            self.subject,
            self.text
        )?;
        if let Some(fix) = &self.fix {
            write!(f, " — {fix}")?;
        }
        Ok(())
    }
}

/// Whether any finding blocks.
pub fn any_blocking(findings: &[Finding]) -> bool {
    findings.iter().any(Finding::is_blocking)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::Rule;

    #[test]
    fn a_finding_names_its_rule_subject_and_fix() {
        let f = Finding::blocking(
            RuleId::new("R1"),
            FindingSubject::Group {
                id: "g1".into(),
                name: "MFA Rollout Wave 2".into(),
            },
            "7 direct members have no usable Entra method",
        )
        .with_fix("migrate them first, or --force");
        assert_eq!(
            f.to_string(),
            "[R1] blocked (group \"MFA Rollout Wave 2\"): 7 direct members have no usable \
             Entra method — migrate them first, or --force"
        );
        assert!(any_blocking(std::slice::from_ref(&f)));
        let json = serde_json::to_value(&f).ok();
        assert_eq!(
            json.as_ref().and_then(|j| j["rule"].as_str()),
            Some("R1"),
            "{json:?}"
        );
    }

    #[test]
    fn migration_rules_convert_to_their_ids() {
        assert_eq!(RuleId::from(Rule::D3).as_str(), "D3");
        assert!(Severity::Blocking > Severity::Warning);
    }
}
