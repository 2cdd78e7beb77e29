//! Items for relying party trusts: does it ask for MFA on premises, from which
//! provider, can it move to Entra as it is, and the path.

use super::rule_sets::{mfa_rules, quote, rule_hygiene};
use super::{Farm, subject};
use crate::finding::{Finding, Severity};
use crate::inventory::adfs::{self, ProviderKind, RelyingParty};
use crate::inventory::claims::{ParsedRule, RuleBody, RuleSet};
use crate::inventory::model::{
    Dependence, InvRule, Item, ItemId, ItemKind, PathKind, QuotedRule, Readiness,
};
use crate::inventory::rule_checks::{self as rc, RuleCode};
use crate::inventory::sources::{Exports, Sourced};

/// Whether a relying party is Entra ID / Office 365's.
pub fn is_entra_rp(rp: &RelyingParty) -> bool {
    rp.name
        .eq_ignore_ascii_case("Microsoft Office 365 Identity Platform")
        || rp
            .name
            .eq_ignore_ascii_case("Microsoft Office 365 Identity Platform Worldwide")
        || rp.identifiers.iter().any(|i| {
            let i = i.to_ascii_lowercase();
            i == "urn:federation:microsoftonline"
                || i.contains("login.microsoftonline.com/extsts.srf")
        })
}

/// The anchors' tests of moving a relying party to Entra as is: each failing or warning
/// test with its message and, for rule sets, the rules quoted.
/// (`AzureAD/Deployment-Plans` "ADFS to AzureAD App Migration"; the activity report's table.)
fn move_tests(rp: &RelyingParty) -> (Readiness, Vec<(Severity, String, Vec<QuotedRule>)>) {
    let mut out: Vec<(Severity, String, Vec<QuotedRule>)> = Vec::new();
    // A failed test is a warning (it decides the path, it blocks no change); a test that
    // needs review is a note.
    let fail = |out: &mut Vec<_>, m: String| out.push((Severity::Warning, m, Vec::new()));
    let warn = |out: &mut Vec<_>, m: String| out.push((Severity::Info, m, Vec::new()));
    // Rule sets: a rule that matches no migratable template, with the report's codes.
    let mut rule_set = |set_name: &str,
                        set: &RuleSet,
                        ok: &dyn Fn(&ParsedRule) -> bool,
                        sev: Severity,
                        what: &str| {
        let bad: Vec<QuotedRule> = set
            .rules
            .iter()
            .filter(|r| match &r.body {
                RuleBody::Parsed(p) => !ok(p),
                RuleBody::Unparsed(_) => true,
            })
            .map(|r| {
                let codes: Vec<&str> = rc::rule_codes(r).into_iter().map(RuleCode::name).collect();
                quote(
                    set_name,
                    r,
                    if codes.is_empty() {
                        format!("matches no {what} template")
                    } else {
                        format!("matches no {what} template: {}", codes.join(", "))
                    },
                )
            })
            .collect();
        if !bad.is_empty() {
            out.push((
                sev,
                format!(
                    "{} {set_name} rule(s) match no template Entra takes as is",
                    bad.len()
                ),
                bad,
            ));
        }
    };
    rule_set(
        "AdditionalAuthenticationRules",
        &rp.additional_authentication,
        &|p| rc::mfa_template(p).is_some() || rc::routed_provider(p).is_some(),
        Severity::Info,
        "MFA",
    );
    rule_set(
        "IssuanceAuthorizationRules",
        &rp.issuance_authorization,
        &|p| rc::authorization_template(p).is_some(),
        Severity::Info,
        "permit-all / permit-group",
    );
    rule_set(
        "IssuanceTransformRules",
        &rp.issuance_transform,
        &rc::is_ldap_claims,
        Severity::Info,
        "LDAP claims",
    );
    rule_set(
        "DelegationAuthorizationRules",
        &rp.delegation_authorization,
        &|_| false,
        Severity::Info,
        "delegation",
    );
    if rp
        .additional_wsfed_endpoints
        .as_ref()
        .is_some_and(|e| !e.is_empty())
    {
        fail(
            &mut out,
            "additional WS-Federation endpoints (Entra takes one)".into(),
        );
    }
    if rp
        .allowed_authentication_class_references
        .as_ref()
        .is_some_and(|e| !e.is_empty())
    {
        fail(
            &mut out,
            "AllowedAuthenticationClassReferences set (use Conditional Access)".into(),
        );
    }
    if rp.always_require_authentication {
        fail(
            &mut out,
            "AlwaysRequireAuthentication (use Conditional Access session controls)".into(),
        );
    }
    if let Some(cps) = &rp.claims_providers {
        if cps.len() > 1 {
            fail(
                &mut out,
                format!("{} claims providers ({})", cps.len(), cps.join(", ")),
            );
        } else if let [one] = cps.as_slice()
            && !one.eq_ignore_ascii_case("Active Directory")
        {
            fail(
                &mut out,
                format!("a claims provider other than Active Directory: {one}"),
            );
        }
    }
    if rp.encrypted_name_id_required && rp.has_encryption_certificate {
        fail(
            &mut out,
            "encrypted NameID (Entra encrypts whole tokens only)".into(),
        );
    }
    if rp.token_lifetime > 0 && rp.token_lifetime < 10 {
        fail(
            &mut out,
            format!("token lifetime {} minutes (under 10)", rp.token_lifetime),
        );
    }
    if rp.auto_update_enabled {
        warn(
            &mut out,
            "AutoUpdateEnabled (Entra does not follow federation metadata)".into(),
        );
    }
    if rp.monitoring_enabled {
        warn(&mut out, "MonitoringEnabled".into());
    }
    if rp.not_before_skew > 0 {
        warn(&mut out, format!("NotBeforeSkew {}", rp.not_before_skew));
    }
    if rp.request_mfa_from_claims_providers {
        warn(&mut out, "RequestMFAFromClaimsProviders".into());
    }
    if rp.signed_saml_requests_required {
        warn(
            &mut out,
            "SignedSamlRequestsRequired (Entra accepts but does not verify)".into(),
        );
    }
    if !rp.impersonation_authorization.is_empty() {
        warn(
            &mut out,
            "impersonation authorization rules (a WS-Trust feature)".into(),
        );
    }
    let readiness = if out.iter().any(|(s, ..)| *s == Severity::Warning) {
        Readiness::AdditionalSteps
    } else if out.is_empty() {
        Readiness::Ready
    } else {
        Readiness::NeedsReview
    };
    (readiness, out)
}

pub(super) fn relying_party_item(
    src: &Sourced<RelyingParty>,
    farm: &Farm,
    exports: &Exports,
) -> Item {
    let rp = &src.value;
    let id = ItemId::new("adfs-rp", &rp.name);
    let name = rp.name.clone();
    let mut findings = Vec::new();
    let mut rules = Vec::new();
    let mut flags = Vec::new();
    let entra_rp = is_entra_rp(rp);

    for (set_name, set) in [
        (
            "AdditionalAuthenticationRules",
            &rp.additional_authentication,
        ),
        ("IssuanceAuthorizationRules", &rp.issuance_authorization),
        ("IssuanceTransformRules", &rp.issuance_transform),
    ] {
        rule_hygiene(set_name, set, &id, &name, &mut findings, &mut rules);
    }

    if rules.iter().any(|q| q.why.contains("https://")) {
        flags.push("rule never fires (https:// claim type)".to_string());
    }
    if rules.iter().any(|q| q.why.starts_with("could not be read")) {
        flags.push("unreadable claim rule".to_string());
    }

    // 1. Does it require MFA on premises?
    let mut requires = Dependence::No;
    let mut acp_requires: Option<String> = None;
    if let Some(acp) = &rp.access_control_policy {
        let exported = exports
            .access_control_policies
            .iter()
            .find(|p| p.value.name.eq_ignore_ascii_case(acp));
        let summary = exported
            .and_then(|p| p.value.summary.as_deref())
            .or(rp.resultant_summary.as_deref());
        match adfs::acp_requires_mfa(acp, summary) {
            Some(true) => {
                requires = Dependence::Yes;
                flags.push("access control policy requires MFA".to_string());
                acp_requires = Some(acp.clone());
                rules.push(QuotedRule {
                    set: "access control policy".into(),
                    index: 1,
                    text: summary.map(str::to_string).unwrap_or_else(|| acp.clone()),
                    why: "requires MFA on premises".into(),
                });
            }
            Some(false) => {}
            None => {
                requires = Dependence::Possibly;
                findings.push(
                    Finding::info(
                        InvRule::Acp,
                        subject(&id, &name),
                        format!("access control policy \"{acp}\" is not in the exports: whether it requires MFA is unknown"),
                    )
                    .with_fix("add `Get-AdfsAccessControlPolicy | ConvertTo-Json -Depth 5` to the exports"),
                );
            }
        }
    }
    let own = mfa_rules(&rp.additional_authentication);
    for r in &own.requires {
        requires = Dependence::Yes;
        let conditional = match &r.body {
            RuleBody::Parsed(p) if !p.conditions.is_empty() => "for some sign-ins",
            _ => "for every sign-in",
        };
        rules.push(quote(
            "AdditionalAuthenticationRules",
            r,
            format!("requires MFA {conditional}"),
        ));
    }
    if !own.requires.is_empty() {
        findings.push(Finding::warning(
            InvRule::RpMfaRule,
            subject(&id, &name),
            format!(
                "{} additional authentication rule(s) require MFA on premises",
                own.requires.len()
            ),
        ));
    }
    if own.unparsed > 0 && requires == Dependence::No {
        requires = Dependence::Possibly;
    }
    let global_requires = farm
        .global_rules
        .iter()
        .any(|(s, _)| s.parsed().any(|(_, p)| rc::requires_mfa(p)));
    if global_requires && requires == Dependence::No {
        requires = Dependence::Yes;
        flags.push("global rules require MFA".to_string());
    }
    if entra_rp {
        // Entra asks AD FS for MFA (wauth / federatedIdpMfaBehavior) for users outside
        // Staged Rollout, whatever the relying party's own rules say.
        requires = Dependence::Yes;
    }

    // 2. Which provider?
    let mut routed: Vec<String> = Vec::new();
    for (r, provider) in &own.routes {
        let p = farm.provider(provider);
        rules.push(quote(
            "AdditionalAuthenticationRules",
            r,
            format!("routes to {provider}"),
        ));
        if !routed.iter().any(|q| q.eq_ignore_ascii_case(provider)) {
            routed.push((*provider).to_string());
        }
        if farm.provider_list_known && !p.registered {
            findings.push(Finding::warning(
                InvRule::UnknownProvider,
                subject(&id, &name),
                format!("rule {} routes to {provider}, which Get-AdfsAuthenticationProvider does not list", r.index),
            ));
        }
        if p.kind == ProviderKind::MfaServer {
            findings.push(Finding::warning(
                InvRule::RouteToServer,
                subject(&id, &name),
                format!(
                    "rule {} sends users to MFA Server's adapter {provider}",
                    r.index
                ),
            ));
        }
    }
    for (set, _) in &farm.global_rules {
        for (_, p) in set.parsed() {
            if let Some(provider) = rc::routed_provider(p)
                && !routed.iter().any(|q| q.eq_ignore_ascii_case(provider))
            {
                routed.push(provider.to_string());
            }
        }
    }
    let providers: Vec<String> = if routed.is_empty() {
        farm.offered().iter().map(|p| p.name.clone()).collect()
    } else {
        routed
    };
    let server_reached = providers
        .iter()
        .any(|p| farm.provider(p).kind == ProviderKind::MfaServer);
    let providers_known = !providers.is_empty();

    if let Some(acp) = acp_requires {
        // Access control policies cannot pick a provider by group (the migration guide),
        // and on the Entra ID relying party they keep users on AD FS's MFA even in
        // Staged Rollout (azure-docs issue 101551).
        let text = if entra_rp {
            format!(
                "access control policy \"{acp}\" requires MFA on premises: users still do MFA in AD FS, \
                 even while Staged Rollout sends them to Entra MFA"
            )
        } else {
            format!(
                "access control policy \"{acp}\" requires MFA on premises, and access control policies \
                 cannot route by group: its users get the global policy's providers ({})",
                if providers.is_empty() {
                    "unknown".to_string()
                } else {
                    providers.join(", ")
                }
            )
        };
        let severity = if server_reached || !providers_known {
            Severity::Warning
        } else {
            Severity::Info
        };
        findings.push(
            Finding::new(InvRule::Acp, subject(&id, &name), severity, text).with_fix(
                "Set-AdfsRelyingPartyTrust -AccessControlPolicyName $null (the policy becomes \
                 additional authentication rules), then route migrated groups to AzureMfaAuthentication",
            ),
        );
    }
    let dependence = match requires {
        Dependence::No => Dependence::No,
        _ if !rp.enabled => Dependence::No,
        _ if server_reached => requires,
        _ if providers_known => Dependence::No,
        _ => Dependence::Possibly,
    };

    // 3. Can it move to Entra as is?
    let (readiness, tests) = move_tests(rp);
    if !entra_rp && rp.enabled {
        for (severity, text, quoted) in tests {
            let mut f = Finding::new(InvRule::MoveTest, subject(&id, &name), severity, text);
            if let Some(q) = quoted.first() {
                f = f.with_fix(format!("rule {}: {}", q.index, q.why));
            }
            findings.push(f);
            rules.extend(quoted);
        }
    }

    // 4. Path and reason.
    let (path, reason) = if !rp.enabled {
        findings.push(Finding::info(
            InvRule::Idle,
            subject(&id, &name),
            "disabled in AD FS",
        ));
        (
            PathKind::Remove,
            "disabled in AD FS: confirm it is unused, then remove it".to_string(),
        )
    } else if entra_rp {
        (
            PathKind::StagedRolloutAndFederation,
            "Entra ID / Office 365: Staged Rollout moves users to Entra MFA, the federation switch \
             (rejectMfaByFederatedIdp) ends MFA here; rules and access control policies on this \
             relying party still decide while they exist"
                .to_string(),
        )
    } else if dependence == Dependence::No {
        (
            PathKind::NoAction,
            if requires == Dependence::No {
                "does not ask for MFA on premises".to_string()
            } else {
                "asks for MFA, but only from providers other than MFA Server".to_string()
            },
        )
    } else if readiness == Readiness::Ready {
        (
            PathKind::MoveAppToEntra,
            "passes every test of moving to Entra as is: recreate it as an enterprise app and \
             its MFA rules as Conditional Access"
                .to_string(),
        )
    } else {
        (
            PathKind::KeepAdfsWithEntraMfa,
            format!(
                "{}: keep it on AD FS 2016+ and route its users to AzureMfaAuthentication (or fix the failing tests and move it)",
                readiness.label()
            ),
        )
    };
    let uses = (dependence != Dependence::No).then(|| {
        if entra_rp {
            "MFA for Entra ID / Office 365 sign-ins of users outside Staged Rollout".to_string()
        } else {
            format!(
                "MFA for sign-ins to {}",
                rp.identifiers
                    .first()
                    .cloned()
                    .unwrap_or_else(|| name.clone())
            )
        }
    });
    Item {
        id,
        kind: ItemKind::RelyingParty,
        name,
        origin: src.origin.clone(),
        record: src.record.clone(),
        dependence,
        uses_mfa_server_for: uses,
        path,
        reason,
        flags,
        findings,
        rules,
        readiness: (!entra_rp).then_some(readiness),
        providers,
        decision: None,
    }
}
