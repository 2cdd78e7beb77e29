//! What the classifications share about a rule set: quoting rules, `https://` and
//! unparsed rules, and which rules ask for MFA or pick a provider.

use super::subject;
use crate::finding::Finding;
use crate::inventory::claims::{ClaimRule, RuleBody, RuleSet};
use crate::inventory::model::{InvRule, ItemId, QuotedRule};
use crate::inventory::rule_checks::{self as rc};

pub(super) fn quote(set: &str, rule: &ClaimRule, why: impl Into<String>) -> QuotedRule {
    QuotedRule {
        set: set.to_string(),
        index: rule.index,
        text: rule.text.clone(),
        why: why.into(),
    }
}

/// Findings and quotes common to any rule set: `https://` claim types, unparsed rules.
pub(super) fn rule_hygiene(
    set_name: &str,
    set: &RuleSet,
    id: &ItemId,
    name: &str,
    findings: &mut Vec<Finding>,
    rules: &mut Vec<QuotedRule>,
) {
    for r in &set.rules {
        match &r.body {
            RuleBody::Parsed(p) => {
                let typos = rc::https_typos(p);
                if !typos.is_empty() {
                    findings.push(
                        Finding::warning(
                            InvRule::Https,
                            subject(id, name),
                            format!(
                                "{set_name} rule {}: {} written with https://; AD FS compares claim \
                                 types exactly, so this rule never fires",
                                r.index,
                                typos.join(", ")
                            ),
                        )
                        .with_fix("write the claim types with http://, as AD FS issues them"),
                    );
                    rules.push(quote(
                        set_name,
                        r,
                        "claim type written with https:// (never fires)",
                    ));
                }
            }
            RuleBody::Unparsed(e) => {
                findings.push(Finding::warning(
                    InvRule::Unparsed,
                    subject(id, name),
                    format!("{set_name} rule {} could not be read ({e})", r.index),
                ));
                rules.push(quote(set_name, r, format!("could not be read: {e}")));
            }
        }
    }
}

/// What a rule set says about MFA: rules that require it, routing rules and the
/// providers they name.
pub(super) struct MfaRules<'a> {
    pub(super) requires: Vec<&'a ClaimRule>,
    pub(super) routes: Vec<(&'a ClaimRule, &'a str)>,
    pub(super) unparsed: usize,
}

pub(super) fn mfa_rules(set: &RuleSet) -> MfaRules<'_> {
    let mut m = MfaRules {
        requires: Vec::new(),
        routes: Vec::new(),
        unparsed: 0,
    };
    for r in &set.rules {
        match &r.body {
            RuleBody::Parsed(p) => {
                if rc::requires_mfa(p) {
                    m.requires.push(r);
                }
                if let Some(provider) = rc::routed_provider(p) {
                    m.routes.push((r, provider));
                }
            }
            RuleBody::Unparsed(_) => m.unparsed += 1,
        }
    }
    m
}
