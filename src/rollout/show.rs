//! The words of Staged Rollout and federation reports, shared by the headless commands
//! and the TUI's panes: a change report as its parts (the blast-radius line, each
//! finding with its mark, rule and fix, the exact writes, the propagation note), and the
//! policy's one-line summary. Plain text with the tenant's own names in it: each front
//! end makes it safe for where it goes (`safe_text`) and styles it as it likes.

use super::facts::RolloutPolicyFacts;
use super::interlocks::MAX_GROUPS;
use super::verdict::Confirmation;
use crate::finding::{Finding, Severity};

/// Said of every tenant-wide change before it is confirmed.
pub const PROPAGATION_NOTE: &str = "tenant-wide: takes up to 24 hours to apply everywhere";

/// The mark a finding is shown with, so meaning never rests on colour alone.
pub fn mark(s: Severity) -> &'static str {
    match s {
        Severity::Blocking => "✗",
        Severity::Warning => "!",
        Severity::Info => "·",
    }
}

/// One part of a change report, in the order it is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part<'a> {
    /// "adds Wave3 → 4,812 users to Entra MFA: … — blocked by R1".
    Blast(&'a str),
    Finding(&'a Finding),
    /// The heading of the exact writes.
    Writes,
    Write(&'a str),
    /// [`PROPAGATION_NOTE`], for a tier-3 change.
    Propagation,
}

/// A change report as its parts: the blast-radius line, every finding (refusals first),
/// the exact writes, and the propagation note of a tenant-wide change.
pub fn change_parts<'a>(
    blast_line: &'a str,
    findings: impl IntoIterator<Item = &'a Finding>,
    planned: &'a [String],
    confirmation: &Confirmation,
) -> Vec<Part<'a>> {
    let mut parts = vec![Part::Blast(blast_line)];
    parts.extend(findings.into_iter().map(Part::Finding));
    if !planned.is_empty() {
        parts.push(Part::Writes);
        parts.extend(planned.iter().map(|w| Part::Write(w.as_str())));
    }
    if matches!(confirmation, Confirmation::Tier3 { .. }) {
        parts.push(Part::Propagation);
    }
    parts
}

/// `Staged Rollout for MFA: ON "MFA rollout policy", 2 of 10 groups`, or that there is
/// no policy yet.
pub fn policy_line(policy: Option<&RolloutPolicyFacts>) -> String {
    match policy {
        Some(p) => format!(
            "Staged Rollout for MFA: {} \"{}\", {} of {MAX_GROUPS} groups",
            if p.enabled { "ON" } else { "off" },
            p.display_name,
            p.groups.len()
        ),
        None => "Staged Rollout for MFA: no policy yet (adding a group creates it)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::FindingSubject;
    use crate::rollout::GroupRef;

    #[test]
    fn a_report_reads_blast_findings_writes_then_the_clock() {
        let f = Finding::blocking(
            crate::rollout::Rule::R1,
            FindingSubject::Tenant,
            "7 not ready",
        )
        .with_fix("migrate");
        let planned = vec!["PATCH /domains/contoso.com/federationConfiguration/1".to_string()];
        let parts = change_parts(
            "sets contoso.com to rejectMfaByFederatedIdp",
            [&f],
            &planned,
            &Confirmation::Tier3 {
                type_text: "contoso.com".into(),
            },
        );
        assert_eq!(
            parts,
            [
                Part::Blast("sets contoso.com to rejectMfaByFederatedIdp"),
                Part::Finding(&f),
                Part::Writes,
                Part::Write(&planned[0]),
                Part::Propagation
            ]
        );
        assert_eq!(mark(f.severity), "✗");
        let tier1 = change_parts("adds G", [], &[], &Confirmation::Tier1);
        assert_eq!(tier1, [Part::Blast("adds G")]);
    }

    #[test]
    fn the_policy_line_counts_groups_of_the_most_entra_takes() {
        let p = RolloutPolicyFacts {
            id: "p".into(),
            display_name: "MFA rollout policy".into(),
            enabled: true,
            groups: vec![GroupRef::new("g", "G"), GroupRef::new("h", "H")],
        };
        assert_eq!(
            policy_line(Some(&p)),
            "Staged Rollout for MFA: ON \"MFA rollout policy\", 2 of 10 groups"
        );
        assert!(policy_line(None).contains("no policy yet"));
    }
}
