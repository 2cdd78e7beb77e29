//! "Why would a migrated user still reach MFA Server?" For one relying party (and,
//! optionally, the SIDs of a user and their groups) the rules that decide, in the order
//! AD FS applies them: whether MFA is required (Entra's request, the access control
//! policy, the relying party's additional authentication rules, the global rules), then
//! which provider serves it (routing rules, else the global policy's providers).

use serde::Serialize;

use super::adfs::{self, ProviderKind, RelyingParty};
use super::claims::{RuleBody, RuleSet};
use super::classify::{Farm, is_entra_rp};
use super::rule_checks::{self as rc, Subject, Tri};
use super::sources::Exports;

/// One rule or setting on the way to the answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// Where it sits: `access control policy`, `AdditionalAuthenticationRules rule 2`, …
    pub source: String,
    /// The rule's text (or the policy's name / summary).
    pub text: String,
    /// What it does.
    pub effect: String,
    /// Whether it applies to this user.
    pub applies: Tri,
}

/// Where the user's MFA ends up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// No rule asks for MFA.
    NoMfa,
    MfaServer {
        provider: String,
    },
    Entra {
        provider: String,
    },
    /// Several providers: the user picks one at sign-in.
    UserChooses {
        providers: Vec<String>,
    },
    Other {
        providers: Vec<String>,
    },
    /// The exports cannot decide it (network, device, an unknown provider list).
    Depends {
        providers: Vec<String>,
    },
}

/// The whole answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chain {
    pub relying_party: String,
    pub mfa_required: Tri,
    pub steps: Vec<Step>,
    pub outcome: Outcome,
    /// Things that change the answer outside these rules.
    pub notes: Vec<String>,
    /// One sentence.
    pub summary: String,
}

/// The relying party was not in the exports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownRelyingParty {
    pub asked: String,
    pub known: Vec<String>,
}

impl std::fmt::Display for UnknownRelyingParty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "no relying party named or identified \"{}\" in the exports; expected one of: {}",
            crate::safe_text::terminal(&self.asked),
            crate::safe_text::terminal(&self.known.join(", "))
        )
    }
}

fn find<'e>(exports: &'e Exports, asked: &str) -> Option<&'e RelyingParty> {
    let a = asked.trim();
    exports.relying_parties.iter().map(|s| &s.value).find(|rp| {
        rp.name.eq_ignore_ascii_case(a) || rp.identifiers.iter().any(|i| i.eq_ignore_ascii_case(a))
    })
}

/// Steps for one rule set: rules that require MFA or route, and `https://` typos.
fn rule_steps(
    set: &RuleSet,
    label: &str,
    subject: &Subject,
    steps: &mut Vec<Step>,
    required: &mut Vec<Tri>,
    routes: &mut Vec<(String, Tri)>,
) {
    for r in &set.rules {
        let source = format!("{label} rule {}", r.index);
        let p = match &r.body {
            RuleBody::Parsed(p) => p,
            RuleBody::Unparsed(e) => {
                steps.push(Step {
                    source,
                    text: r.text.clone(),
                    effect: format!("could not be read ({e}): what AD FS does with it is unknown"),
                    applies: Tri::Depends,
                });
                required.push(Tri::Depends);
                continue;
            }
        };
        let typos = rc::https_typos(p);
        if !typos.is_empty() {
            steps.push(Step {
                source,
                text: r.text.clone(),
                effect: format!(
                    "never fires: {} written with https:// (AD FS compares exactly)",
                    typos.join(", ")
                ),
                applies: Tri::No,
            });
            continue;
        }
        let applies = rc::matches(p, subject);
        if rc::requires_mfa(p) {
            steps.push(Step {
                source,
                text: r.text.clone(),
                effect: "requires MFA".into(),
                applies,
            });
            required.push(applies);
        } else if let Some(provider) = rc::routed_provider(p) {
            steps.push(Step {
                source,
                text: r.text.clone(),
                effect: format!("picks the provider {provider}"),
                applies,
            });
            routes.push((provider.to_string(), applies));
        }
    }
}

/// Mark the routing steps as not applying: the farm's level ignores them.
fn picked_ignored(steps: &mut [Step]) {
    for s in steps
        .iter_mut()
        .filter(|s| s.effect.starts_with("picks the provider"))
    {
        s.effect.push_str(" — ignored below farm behavior level 4");
        s.applies = Tri::No;
    }
}

/// The chain for `relying_party` (a name or an identifier).
pub fn chain(
    exports: &Exports,
    farm: &Farm,
    relying_party: &str,
    subject: &Subject,
) -> Result<Chain, UnknownRelyingParty> {
    let rp = find(exports, relying_party).ok_or_else(|| UnknownRelyingParty {
        asked: relying_party.to_string(),
        known: exports
            .relying_parties
            .iter()
            .map(|r| r.value.name.clone())
            .collect(),
    })?;
    let mut steps = Vec::new();
    let mut required: Vec<Tri> = Vec::new();
    let mut routes: Vec<(String, Tri)> = Vec::new();
    let mut notes = Vec::new();

    if is_entra_rp(rp) {
        steps.push(Step {
            source: "Entra ID".into(),
            text:
                "federatedIdpMfaBehavior = acceptIfMfaDoneByFederatedIdp / enforceMfaByFederatedIdp"
                    .into(),
            effect: "Entra sends users outside Staged Rollout to AD FS for MFA; users in Staged \
                     Rollout do MFA in Entra, unless a rule below still asks AD FS"
                .into(),
            applies: Tri::Depends,
        });
        required.push(Tri::Depends);
    }
    if let Some(acp) = &rp.access_control_policy {
        let summary = exports
            .access_control_policies
            .iter()
            .find(|p| p.value.name.eq_ignore_ascii_case(acp))
            .and_then(|p| p.value.summary.clone())
            .or_else(|| rp.resultant_summary.clone());
        let req = adfs::acp_requires_mfa(acp, summary.as_deref());
        let lower = format!("{acp} {}", summary.as_deref().unwrap_or("")).to_ascii_lowercase();
        let conditional = ["extranet", "specific group", "unauthenticated", "device"]
            .iter()
            .any(|w| lower.contains(w));
        let applies = match req {
            Some(true) if conditional => Tri::Depends,
            Some(true) => Tri::Yes,
            Some(false) => Tri::No,
            None => Tri::Depends,
        };
        steps.push(Step {
            source: "access control policy".into(),
            text: summary.unwrap_or_else(|| acp.clone()),
            effect: match req {
                Some(true) if is_entra_rp(rp) => "requires MFA on premises, even for users in Staged Rollout; access control policies cannot pick a provider by group".into(),
                Some(true) => "requires MFA on premises; access control policies cannot pick a provider by group".into(),
                Some(false) => "does not require MFA".into(),
                None => "not in the exports: may require MFA".into(),
            },
            applies,
        });
        required.push(applies);
    }
    rule_steps(
        &rp.additional_authentication,
        "AdditionalAuthenticationRules",
        subject,
        &mut steps,
        &mut required,
        &mut routes,
    );
    let mut global_requires = false;
    for (set, _) in &farm.global_rules {
        let before = required.len();
        rule_steps(
            set,
            "global",
            subject,
            &mut steps,
            &mut required,
            &mut routes,
        );
        global_requires |= required.len() > before;
    }

    let mfa_required = if required.contains(&Tri::Yes) {
        Tri::Yes
    } else if required.contains(&Tri::Depends) {
        Tri::Depends
    } else {
        Tri::No
    };

    // Which provider.
    let picked: Vec<String> = routes
        .iter()
        .filter(|(_, t)| *t == Tri::Yes)
        .map(|(p, _)| p.clone())
        .collect();
    let maybe: Vec<String> = routes
        .iter()
        .filter(|(_, t)| *t == Tri::Depends)
        .map(|(p, _)| p.clone())
        .collect();
    let offered: Vec<String> = farm.offered().iter().map(|p| p.name.clone()).collect();
    let mut candidates: Vec<String> = Vec::new();
    for p in picked.iter().chain(maybe.iter()) {
        if !candidates.iter().any(|c| c.eq_ignore_ascii_case(p)) {
            candidates.push(p.clone());
        }
    }
    let mut routed_known = !maybe.is_empty() || !picked.is_empty();
    // Below farm behavior level 4, AD FS does not pick a provider by claim: the user is
    // offered every provider of the global policy (the migration guide's prerequisites).
    let fbl_ignores_routing = matches!(farm.behavior_level, Some(level) if level < 4);
    if routed_known && fbl_ignores_routing {
        routed_known = false;
        picked_ignored(&mut steps);
    }
    if !routed_known {
        steps.push(Step {
            source: "global authentication policy".into(),
            text: format!(
                "AdditionalAuthenticationProvider = {}",
                if offered.is_empty() {
                    "(not in the exports)".to_string()
                } else {
                    offered.join(", ")
                }
            ),
            effect: "no routing rule applies: these providers are offered".into(),
            applies: if offered.is_empty() {
                Tri::Depends
            } else {
                Tri::Yes
            },
        });
        candidates = offered.clone();
    }
    if fbl_ignores_routing
        && !routes.is_empty()
        && let Some(level) = farm.behavior_level
    {
        notes.push(format!(
            "farm behavior level {level}: routing by authnmethodsproviders needs level 4; below it the user is asked to pick a provider"
        ));
    }
    if !rp.additional_authentication.is_empty() || rp.access_control_policy.is_some() {
        notes.push(
            "sign-ins through idpinitiatedsignon.aspx?loginToRp=<identifier> skip this relying party's own rules: only the global rules decide them".into(),
        );
    }
    if global_requires && rp.access_control_policy.is_some() {
        notes.push("the global rules apply on top of the access control policy".into());
    }

    let kinds: Vec<(String, ProviderKind)> = candidates
        .iter()
        .map(|p| (p.clone(), farm.provider(p).kind))
        .collect();
    let outcome = if mfa_required == Tri::No {
        Outcome::NoMfa
    } else if candidates.is_empty() {
        Outcome::Depends {
            providers: Vec::new(),
        }
    } else if routed_known && picked.is_empty() {
        Outcome::Depends {
            providers: candidates.clone(),
        }
    } else if let [(p, k)] = kinds.as_slice() {
        match k {
            ProviderKind::MfaServer => Outcome::MfaServer {
                provider: p.clone(),
            },
            ProviderKind::Entra => Outcome::Entra {
                provider: p.clone(),
            },
            ProviderKind::Other => Outcome::Other {
                providers: vec![p.clone()],
            },
        }
    } else {
        Outcome::UserChooses {
            providers: candidates.clone(),
        }
    };
    let reaches_server = kinds.iter().any(|(_, k)| *k == ProviderKind::MfaServer);
    let deciding: Vec<&str> = steps
        .iter()
        .filter(|s| s.applies != Tri::No)
        .map(|s| s.source.as_str())
        .collect();
    let when = match mfa_required {
        Tri::Depends => {
            "When AD FS asks for MFA (that depends on how and where the user signs in), "
        }
        _ => "",
    };
    let summary = match &outcome {
        Outcome::NoMfa => format!("\"{}\" asks for no MFA on premises for this user.", rp.name),
        Outcome::MfaServer { provider } => format!(
            "{when}MFA Server ({provider}) serves this user's MFA for \"{}\": {}.",
            rp.name,
            deciding.join(" → ")
        ),
        Outcome::Entra { provider } => format!(
            "{when}Entra MFA ({provider}) serves this user's MFA for \"{}\".",
            rp.name
        ),
        Outcome::UserChooses { providers } => format!(
            "{when}{} picks from {} at sign-in{}.",
            if when.is_empty() {
                "The user"
            } else {
                "the user"
            },
            providers.join(", "),
            if reaches_server {
                ", MFA Server among them"
            } else {
                ""
            }
        ),
        Outcome::Other { providers } => format!("{} serves this user's MFA.", providers.join(", ")),
        Outcome::Depends { providers } => format!(
            "It depends on where and how the user signs in{}.",
            if reaches_server {
                format!(": MFA Server is possible ({})", providers.join(", "))
            } else {
                String::new()
            }
        ),
    };
    Ok(Chain {
        relying_party: rp.name.clone(),
        mfa_required,
        steps,
        outcome,
        notes,
        summary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::sources::Hint;

    const GSID: &str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groupsid";

    fn exports(rp_rules: &str, acp: Option<&str>) -> Exports {
        let mut e = Exports::default();
        let rp = serde_json::json!([{
            "Name": "Payroll", "Identifier": ["https://payroll.contoso.com/"],
            "AccessControlPolicyName": acp, "AdditionalAuthenticationRules": rp_rules,
            "IssuanceTransformRules": ""
        }]);
        let global = serde_json::json!({"AdditionalAuthenticationProvider":
            ["AzureMfaServerAuthentication", "AzureMfaAuthentication"]});
        let providers = serde_json::json!([
            {"Name": "AzureMfaServerAuthentication", "AdminName": "Azure Multi-Factor Authentication Server", "AllowedForAdditionalAuthentication": true},
            {"Name": "AzureMfaAuthentication", "AdminName": "Azure MFA", "AllowedForAdditionalAuthentication": true}]);
        for v in [rp, global, providers] {
            e.read_export("t.json", v.to_string().as_bytes(), Hint::Adfs)
                .expect("reads");
        }
        e
    }

    fn routing(sid: &str) -> String {
        format!(
            "c:[Type == \"{GSID}\", Value == \"{sid}\"] => issue(Type = \"http://schemas.microsoft.com/claims/authnmethodsproviders\", Value = \"AzureMfaAuthentication\");\n\
             NOT EXISTS([Type == \"{GSID}\", Value == \"{sid}\"]) => issue(Type = \"http://schemas.microsoft.com/claims/authnmethodsproviders\", Value = \"AzureMfaServerAuthentication\");"
        )
    }

    fn sids(v: &[&str]) -> Subject {
        Subject {
            sids: Some(v.iter().map(|s| s.to_string()).collect()),
        }
    }

    #[test]
    fn an_access_control_policy_keeps_a_user_outside_the_routing_group_on_mfa_server() {
        let e = exports(
            &routing("S-1-5-21-1-500"),
            Some("Permit everyone and require MFA"),
        );
        let farm = Farm::from_exports(&e);
        let c = chain(&e, &farm, "payroll", &sids(&["S-1-5-21-1-1100"])).expect("found");
        assert_eq!(c.mfa_required, Tri::Yes);
        assert_eq!(
            c.outcome,
            Outcome::MfaServer {
                provider: "AzureMfaServerAuthentication".into()
            },
            "{c:#?}"
        );
        assert!(c.steps[0].source.contains("access control policy"));
        assert!(c.summary.contains("MFA Server"), "{}", c.summary);
        let member = chain(
            &e,
            &farm,
            "https://payroll.contoso.com/",
            &sids(&["S-1-5-21-1-500"]),
        )
        .expect("found");
        assert_eq!(
            member.outcome,
            Outcome::Entra {
                provider: "AzureMfaAuthentication".into()
            }
        );
    }

    #[test]
    fn without_routing_the_user_chooses_and_without_sids_it_depends() {
        let e = exports("", Some("Permit everyone and require MFA"));
        let farm = Farm::from_exports(&e);
        let c = chain(&e, &farm, "Payroll", &Subject::default()).expect("found");
        assert!(matches!(c.outcome, Outcome::UserChooses { .. }), "{c:#?}");
        let e = exports(
            &routing("S-1-5-21-1-500"),
            Some("Permit everyone and require MFA"),
        );
        let farm = Farm::from_exports(&e);
        let c = chain(&e, &farm, "Payroll", &Subject::default()).expect("found");
        assert!(matches!(c.outcome, Outcome::Depends { .. }), "{c:#?}");
    }

    #[test]
    fn an_unknown_relying_party_lists_the_known_ones() {
        let e = exports("", None);
        let farm = Farm::from_exports(&e);
        let err = chain(&e, &farm, "nope", &Subject::default()).expect_err("unknown");
        assert!(err.to_string().contains("Payroll"));
    }
}
