//! The federation cutover and its rollback: F1, the preflight of setting
//! `federatedIdpMfaBehavior` (above all `rejectMfaByFederatedIdp`, the final cutover), and
//! F2, the rollback as one plan of exact writes (graph-api.md §6; rollout-federation.md).
//!
//! Facts that decide here (internaldomainfederation resource and update pages; the MFA
//! Server migration guide): unset behaves as `acceptIfMfaDoneByFederatedIdp`; once
//! `federatedIdpMfaBehavior` is set the legacy `SupportsMfa` is ignored, so roll back to
//! `enforceMfaByFederatedIdp`, never to "unset"; a change can take up to 24 hours.

use std::fmt;

use serde::Serialize;

use super::facts::{DomainFacts, FederationValue, MfaBehavior, RolloutPolicyFacts};
use super::readiness::Tally;
use super::rules::Rule;
use super::text;
use super::verdict::{BlastRadius, Change, Confirmation, Verdict};
use crate::finding::{Finding, FindingSubject, Severity};

/// Everything checked before `federatedIdpMfaBehavior` of a domain changes.
#[derive(Debug, Clone)]
pub struct SetFederation<'a> {
    pub domain: &'a DomainFacts,
    pub to: MfaBehavior,
    /// The users whose MFA the domain's setting decides (its synced users), folded.
    pub users: &'a Tally,
    /// The methods policy against what MFA Server users use: the preflight's
    /// [`super::preflight::check_methods`] findings.
    pub methods: &'a [Finding],
    /// The inventory's dependencies that are not done (issue 14); `None` when no
    /// inventory is loaded, which F1 says it cannot check.
    pub dependencies: Option<Vec<Finding>>,
}

/// F1 (and the notes of any other value) for setting a domain's behaviour.
pub fn check_set_federation(input: SetFederation<'_>) -> Verdict {
    let d = input.domain;
    let t = input.users;
    let s = || FindingSubject::Domain {
        name: d.name.clone(),
    };
    let blast = match input.to {
        MfaBehavior::RejectMfaByFederatedIdp | MfaBehavior::AcceptIfMfaDoneByFederatedIdp => {
            BlastRadius::to_entra(t)
        }
        MfaBehavior::EnforceMfaByFederatedIdp => {
            BlastRadius::to_mfa_server(d.users.or(Some(t.in_scope)))
        }
    };
    let mut v = Verdict::new(
        Change::SetFederation {
            domain: d.name.clone(),
            to: input.to,
        },
        blast,
        Confirmation::Tier3 {
            type_text: d.name.clone(),
        },
    );
    if !d.federated {
        v.refuse(
            Finding::blocking(
                Rule::F1,
                s(),
                "a managed domain: it has no federation setting to change",
            )
            .with_fix("pick a federated domain (`federation status` lists them)"),
        );
        return v;
    }
    if d.federation_id.is_none() {
        v.refuse(
            Finding::blocking(
                Rule::F1,
                s(),
                "its federation configuration could not be read, so there is nothing to patch",
            )
            .with_fix("check Domain-InternalFederation.Read.All and refresh"),
        );
        return v;
    }
    if d.value == FederationValue::Set(input.to) {
        v.nothing_to_do = true;
        v.note(Finding::info(
            Rule::F1,
            s(),
            format!("already {}: nothing to change", input.to),
        ));
        return v;
    }

    match input.to {
        MfaBehavior::RejectMfaByFederatedIdp => {
            if t.neither > 0 {
                v.note(
                    Finding::blocking(
                        Rule::F1,
                        s(),
                        format!(
                            "{} of {} are not migrated and hold no usable Entra method ({}): \
                             after the cutover Entra asks every one of them for MFA",
                            text::count(t.neither),
                            text::users(t.in_scope),
                            t.not_ready_names()
                        ),
                    )
                    .with_fix("migrate them first, or override with --force (audited)"),
                );
            }
            if t.usable_only > 0 {
                v.note(Finding::warning(
                    Rule::F1,
                    s(),
                    format!(
                        "{} not migrated but holding a usable Entra method: their MFA Server \
                         methods are not copied",
                        text::users(t.usable_only)
                    ),
                ));
            }
            for m in input.methods {
                let severity = match m.severity {
                    Severity::Blocking => Severity::Blocking,
                    Severity::Warning => Severity::Warning,
                    Severity::Info => continue,
                };
                let mut f = Finding::new(Rule::F1, m.subject.clone(), severity, m.text.clone());
                f.fix = m.fix.clone();
                v.note(f);
            }
            match input.dependencies {
                Some(deps) => v.findings.extend(deps),
                None => v.note(
                    Finding::warning(
                        Rule::F1,
                        FindingSubject::Tenant,
                        "no dependency inventory is loaded: RADIUS, LDAP, AD FS and SDK \
                         dependencies of MFA Server cannot be checked",
                    )
                    .with_fix("run `inventory` with the AD FS and NPS exports first"),
                ),
            }
            v.note(Finding::info(
                Rule::F1,
                s(),
                "after the cutover every MFA of the domain's users happens in Entra, whatever \
                 Staged Rollout says",
            ));
        }
        MfaBehavior::AcceptIfMfaDoneByFederatedIdp => {
            if t.neither > 0 {
                v.note(Finding::warning(
                    Rule::F1,
                    s(),
                    format!(
                        "Entra performs MFA itself whenever the federation server did not: {} \
                         with no usable Entra method could be asked ({})",
                        text::users(t.neither),
                        t.not_ready_names()
                    ),
                ));
            }
        }
        MfaBehavior::EnforceMfaByFederatedIdp => v.note(Finding::info(
            Rule::F2,
            s(),
            "the rollback value: users not in Staged Rollout do MFA at the federation server \
             (MFA Server)",
        )),
    }
    if d.value == FederationValue::Unset {
        v.note(Finding::info(
            Rule::F1,
            s(),
            "once federatedIdpMfaBehavior is set, the legacy SupportsMfa setting is ignored; \
             roll back to enforceMfaByFederatedIdp, not to unset",
        ));
    }
    v.note(Finding::info(
        Rule::F1,
        s(),
        "a change of federatedIdpMfaBehavior can take up to 24 hours to apply",
    ));
    v
}

/// One write of the rollback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "write", rename_all = "snake_case")]
pub enum RollbackWrite {
    /// `PATCH /domains/{domain}/federationConfiguration/{id}` to
    /// `enforceMfaByFederatedIdp`.
    SetFederation {
        domain: String,
        federation_id: Option<String>,
        #[serde(serialize_with = "ser_value")]
        from: FederationValue,
        users: Option<u64>,
    },
    /// `PATCH /policies/featureRolloutPolicies/{id}` with `isEnabled: false`.
    DisableRollout {
        policy_id: String,
        groups: usize,
        users: Option<u64>,
    },
}

fn ser_value<S: serde::Serializer>(v: &FederationValue, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&v.audit_text())
}

impl fmt::Display for RollbackWrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let users = |u: &Option<u64>| match u {
            Some(n) => format!(", {}", text::users(*n)),
            None => String::new(),
        };
        match self {
            RollbackWrite::SetFederation {
                domain,
                federation_id,
                from,
                users: u,
            } => write!(
                f,
                "PATCH /domains/{domain}/federationConfiguration/{}: federatedIdpMfaBehavior {} → \
                 enforceMfaByFederatedIdp{}",
                federation_id.as_deref().unwrap_or("{id}"),
                from.audit_text(),
                users(u)
            ),
            RollbackWrite::DisableRollout {
                policy_id,
                groups,
                users: u,
            } => write!(
                f,
                "PATCH /policies/featureRolloutPolicies/{policy_id}: isEnabled true → false \
                 ({groups} group{}{})",
                if *groups == 1 { "" } else { "s" },
                users(u)
            ),
        }
    }
}

/// F2: the rollback as one plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RollbackPlan {
    /// Federation writes first (they decide for every federated user), then Staged
    /// Rollout off. Settings already in the rollback state are left alone.
    pub writes: Vec<RollbackWrite>,
    pub verdict: Verdict,
}

/// F2 from the domains and the MFA rollout policy. `rollout_users`: users of the
/// policy's groups, when counted. Users affected: the changed domains' users, or the
/// rollout users when more (they are usually among the domains' users).
pub fn plan_rollback(
    domains: &[DomainFacts],
    policy: Option<&RolloutPolicyFacts>,
    rollout_users: Option<u64>,
) -> RollbackPlan {
    let mut writes = Vec::new();
    let mut domain_users: Option<u64> = None;
    for d in domains.iter().filter(|d| d.federated) {
        if d.value == FederationValue::Set(MfaBehavior::EnforceMfaByFederatedIdp) {
            continue;
        }
        if let Some(n) = d.users {
            domain_users = Some(domain_users.unwrap_or(0) + n);
        }
        writes.push(RollbackWrite::SetFederation {
            domain: d.name.clone(),
            federation_id: d.federation_id.clone(),
            from: d.value.clone(),
            users: d.users,
        });
    }
    let rollout_on = policy.filter(|p| p.enabled);
    if let Some(p) = rollout_on {
        writes.push(RollbackWrite::DisableRollout {
            policy_id: p.id.clone(),
            groups: p.groups.len(),
            users: rollout_users,
        });
    }
    let affected = match (domain_users, rollout_on.and(rollout_users)) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    let type_text = writes
        .iter()
        .find_map(|w| match w {
            RollbackWrite::SetFederation { domain, .. } => Some(domain.clone()),
            RollbackWrite::DisableRollout { .. } => None,
        })
        .unwrap_or_else(|| "rollback".to_string());
    let mut v = Verdict::new(
        Change::Rollback,
        BlastRadius::to_mfa_server(affected),
        Confirmation::Tier3 { type_text },
    );
    if writes.is_empty() {
        v.nothing_to_do = true;
        v.blast = BlastRadius::nowhere();
        v.note(Finding::info(
            Rule::F2,
            FindingSubject::Tenant,
            "already rolled back: every federated domain is at enforceMfaByFederatedIdp and \
             Staged Rollout for MFA is off",
        ));
    } else {
        for w in &writes {
            let subject = match w {
                RollbackWrite::SetFederation { domain, .. } => FindingSubject::Domain {
                    name: domain.clone(),
                },
                RollbackWrite::DisableRollout { .. } => FindingSubject::Tenant,
            };
            v.note(Finding::info(Rule::F2, subject, w.to_string()));
        }
        v.note(
            Finding::warning(
                Rule::F2,
                FindingSubject::Tenant,
                "MFA goes back to MFA Server: it must be running with the backed-up data file; \
                 methods users changed in Entra since the migration are not copied back",
            )
            .with_fix("check the MFA Server services before confirming"),
        );
    }
    if !domains.iter().any(|d| d.federated) {
        v.note(Finding::info(
            Rule::F2,
            FindingSubject::Tenant,
            "the tenant has no federated domain: only Staged Rollout is turned off",
        ));
    }
    v.note(Finding::info(
        Rule::F2,
        FindingSubject::Tenant,
        "both changes can take up to 24 hours to apply",
    ));
    RollbackPlan { writes, verdict: v }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::RuleId;
    use crate::rollout::facts::GroupRef;
    use crate::rollout::readiness::tests::group;
    use crate::rollout::verdict::Decision;

    fn domain(value: FederationValue) -> DomainFacts {
        DomainFacts {
            name: "contoso.com".into(),
            federated: true,
            federation_id: Some("fed-1".into()),
            value,
            users: Some(9500),
        }
    }

    fn set<'a>(d: &'a DomainFacts, users: &'a Tally, methods: &'a [Finding]) -> SetFederation<'a> {
        SetFederation {
            domain: d,
            to: MfaBehavior::RejectMfaByFederatedIdp,
            users,
            methods,
            dependencies: Some(Vec::new()),
        }
    }

    fn has(v: &Verdict, rule: Rule, needle: &str) -> bool {
        v.all_findings()
            .any(|f| f.rule == RuleId::from(rule) && f.text.contains(needle))
    }

    #[test]
    fn f1_blocks_users_not_migrated_and_force_overrides() {
        let d = domain(FederationValue::Unset);
        let t = group("x", 9000, 480, 20, 0).tally;
        let v = check_set_federation(set(&d, &t, &[]));
        assert_eq!(
            v.decide(false),
            Decision::Blocked {
                by: vec![RuleId::from(Rule::F1)]
            }
        );
        assert!(v.decide(true).forced());
        assert!(has(&v, Rule::F1, "20 of 9,500 users are not migrated"));
        assert!(has(&v, Rule::F1, "480 users not migrated but holding"));
        assert!(has(&v, Rule::F1, "SupportsMfa setting is ignored"));
        assert_eq!(
            v.confirmation,
            Confirmation::Tier3 {
                type_text: "contoso.com".into()
            }
        );
        assert_eq!(v.confirmation_for(true), v.confirmation);
        assert!(
            v.blast_line(false).starts_with(
                "sets contoso.com to rejectMfaByFederatedIdp → 9,500 users to Entra MFA"
            )
        );
    }

    #[test]
    fn f1_blocks_on_disabled_methods_and_dependencies() {
        let d = domain(FederationValue::Set(MfaBehavior::EnforceMfaByFederatedIdp));
        let t = group("x", 10, 0, 0, 0).tally;
        let methods = [Finding::blocking(
            Rule::Methods,
            FindingSubject::Method { name: "Sms".into() },
            "120 MFA Server users use text messages; SMS is disabled",
        )];
        let mut input = set(&d, &t, &methods);
        input.dependencies = Some(vec![Finding::blocking(
            RuleId::new("INV-RADIUS"),
            FindingSubject::Dependency {
                id: "r1".into(),
                name: "VPN".into(),
            },
            "not done",
        )]);
        let v = check_set_federation(input);
        let Decision::Blocked { by } = v.decide(false) else {
            panic!("{:?}", v.decide(false))
        };
        assert_eq!(by, vec![RuleId::from(Rule::F1), RuleId::new("INV-RADIUS")]);
        assert!(has(&v, Rule::F1, "SMS is disabled"));

        let mut input = set(&d, &t, &[]);
        input.dependencies = None;
        let v = check_set_federation(input);
        assert_eq!(
            v.decide(false),
            Decision::Proceed,
            "a missing inventory warns"
        );
        assert!(has(&v, Rule::F1, "no dependency inventory"));
    }

    #[test]
    fn f1_refuses_managed_domains_and_notes_nothing_to_do() {
        let mut d = domain(FederationValue::Unset);
        d.federated = false;
        let t = Tally::default();
        assert!(matches!(
            check_set_federation(set(&d, &t, &[])).decide(true),
            Decision::Refused { .. }
        ));
        let d = domain(FederationValue::Set(MfaBehavior::RejectMfaByFederatedIdp));
        assert_eq!(
            check_set_federation(set(&d, &t, &[])).decide(false),
            Decision::NothingToDo
        );
        let d = domain(FederationValue::Set(MfaBehavior::RejectMfaByFederatedIdp));
        let v = check_set_federation(SetFederation {
            to: MfaBehavior::EnforceMfaByFederatedIdp,
            ..set(&d, &t, &[])
        });
        assert_eq!(v.decide(false), Decision::Proceed);
        assert!(
            v.blast_line(false)
                .contains("9,500 users back to MFA Server")
        );
    }

    #[test]
    fn f2_is_one_plan_of_exact_writes() {
        let domains = [
            domain(FederationValue::Set(MfaBehavior::RejectMfaByFederatedIdp)),
            DomainFacts {
                name: "contoso.onmicrosoft.com".into(),
                federated: false,
                federation_id: None,
                value: FederationValue::Unset,
                users: None,
            },
        ];
        let policy = RolloutPolicyFacts {
            id: "pol-1".into(),
            display_name: "MFA rollout policy".into(),
            enabled: true,
            groups: vec![GroupRef::new("g", "MFA Rollout Wave 1")],
        };
        let plan = plan_rollback(&domains, Some(&policy), Some(4812));
        let lines: Vec<String> = plan.writes.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "PATCH /domains/contoso.com/federationConfiguration/fed-1: federatedIdpMfaBehavior \
                 rejectMfaByFederatedIdp → enforceMfaByFederatedIdp, 9,500 users",
                "PATCH /policies/featureRolloutPolicies/pol-1: isEnabled true → false (1 group, \
                 4,812 users)"
            ]
        );
        let v = &plan.verdict;
        assert_eq!(v.decide(false), Decision::Proceed);
        assert_eq!(
            v.blast_line(false),
            "rolls back → 9,500 users back to MFA Server (on-premises MFA)"
        );
        assert_eq!(
            v.confirmation,
            Confirmation::Tier3 {
                type_text: "contoso.com".into()
            }
        );

        let done = [domain(FederationValue::Set(
            MfaBehavior::EnforceMfaByFederatedIdp,
        ))];
        let off = RolloutPolicyFacts {
            enabled: false,
            ..policy
        };
        let plan = plan_rollback(&done, Some(&off), None);
        assert!(plan.writes.is_empty());
        assert_eq!(plan.verdict.decide(false), Decision::NothingToDo);
    }
}
