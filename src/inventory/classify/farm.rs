//! Items for MFA Server's AD FS adapter and the global authentication policy.

use serde_json::{Value, json};

use super::rule_sets::{mfa_rules, quote, rule_hygiene};
use super::{Farm, Options, subject};
use crate::finding::Finding;
use crate::inventory::adfs::ProviderKind;
use crate::inventory::model::{Dependence, InvRule, Item, ItemId, ItemKind, Origin, PathKind};
use crate::inventory::sources::Exports;

pub(super) fn adapter_items(farm: &Farm, exports: &Exports) -> Vec<Item> {
    let entra_registered = farm
        .providers
        .iter()
        .any(|p| p.kind == ProviderKind::Entra && p.registered);
    farm.providers
        .iter()
        .filter(|p| p.kind == ProviderKind::MfaServer && p.registered)
        .map(|p| {
            let id = ItemId::new("adfs-adapter", &p.name);
            let source = exports
                .providers
                .iter()
                .find(|s| s.value.name.eq_ignore_ascii_case(&p.name));
            let mut findings = vec![
                Finding::warning(
                    InvRule::Adapter,
                    subject(&id, &p.name),
                    format!(
                        "MFA Server's adapter {} is registered{}",
                        p.name,
                        if p.in_global_policy {
                            " and offered in the global policy"
                        } else {
                            ""
                        }
                    ),
                )
                .with_fix("Unregister-AdfsAuthenticationProvider once no rule or user needs it"),
            ];
            let mut flags = Vec::new();
            if p.in_global_policy {
                flags.push("adapter still in the global policy".to_string());
            }
            if !entra_registered {
                findings.push(Finding::info(
                    InvRule::Adapter,
                    subject(&id, &p.name),
                    "the Entra MFA adapter (AzureMfaAuthentication) is not registered yet",
                ));
            }
            Item {
                id,
                kind: ItemKind::AdfsAdapter,
                name: p.name.clone(),
                origin: source.map(|s| s.origin.clone()).unwrap_or(Origin {
                    source: "Get-AdfsGlobalAuthenticationPolicy".into(),
                    file: None,
                    place: "AdditionalAuthenticationProvider".into(),
                }),
                record: source.map(|s| s.record.clone()).unwrap_or(Value::Null),
                dependence: Dependence::Yes,
                uses_mfa_server_for: Some("second factor for AD FS sign-ins".into()),
                path: PathKind::ReplaceAdapter,
                reason: if entra_registered {
                    "the Entra MFA adapter is registered: route migrated groups to it, move the \
                     relying parties off MFA Server, then unregister this adapter"
                        .into()
                } else {
                    "register the Entra MFA adapter (AD FS 2016+), route migrated groups to it, \
                     then unregister this adapter"
                        .into()
                },
                flags,
                findings,
                rules: Vec::new(),
                readiness: None,
                providers: vec![p.name.clone()],
                decision: None,
            }
        })
        .collect()
}

pub(super) fn global_item(farm: &Farm, exports: &Exports, options: Options) -> Option<Item> {
    if exports.global_policies.is_empty()
        && exports.global_rules.is_empty()
        && exports.farms.is_empty()
    {
        return None;
    }
    let name = "AD FS global authentication policy".to_string();
    let id = ItemId::new("adfs-global", "global authentication policy");
    let mut findings = Vec::new();
    let mut rules = Vec::new();
    let mut flags = Vec::new();
    let mut requires = false;
    let mut routes_to_server = false;
    for (set, _) in &farm.global_rules {
        rule_hygiene(
            "global additional authentication",
            set,
            &id,
            &name,
            &mut findings,
            &mut rules,
        );
        let m = mfa_rules(set);
        for r in &m.requires {
            requires = true;
            rules.push(quote(
                "global additional authentication",
                r,
                "requires MFA for every relying party",
            ));
        }
        for (r, provider) in &m.routes {
            let p = farm.provider(provider);
            if p.kind == ProviderKind::MfaServer {
                routes_to_server = true;
            }
            rules.push(quote(
                "global additional authentication",
                r,
                format!("routes to {provider}"),
            ));
        }
    }
    if requires {
        findings.push(
            Finding::warning(
                InvRule::GlobalMfaRule,
                subject(&id, &name),
                "the global additional authentication rules require MFA for every relying party; \
                 sign-ins through idpinitiatedsignon.aspx?loginToRp= skip the relying party's own \
                 rules and use these",
            )
            .with_fix("route migrated users to AzureMfaAuthentication here too, not only per relying party"),
        );
    }
    let offered = farm.offered();
    let server_offered: Vec<&str> = offered
        .iter()
        .filter(|p| p.kind == ProviderKind::MfaServer)
        .map(|p| p.name.as_str())
        .collect();
    if !server_offered.is_empty() {
        flags.push("adapter still in the global policy".to_string());
        findings.push(
            Finding::warning(
                InvRule::Adapter,
                subject(&id, &name),
                format!("the global policy offers MFA Server's adapter {}", server_offered.join(", ")),
            )
            .with_fix("Set-AdfsGlobalAuthenticationPolicy -AdditionalAuthenticationProvider without it, once nothing routes to it"),
        );
    }
    let routing = farm.has_routing(&exports.relying_parties);
    if offered.len() > 1 && !routing {
        findings.push(Finding::warning(
            InvRule::UserChooses,
            subject(&id, &name),
            format!(
                "{} additional providers are offered ({}) and no rule routes between them: users pick one at sign-in",
                offered.len(),
                offered.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    if let Some(level) = farm.behavior_level
        && level < 4
        && (routing || options.group_routing_planned)
    {
        flags.push(format!("farm behavior level {level}"));
        findings.push(
            Finding::warning(
                InvRule::Fbl,
                subject(&id, &name),
                format!(
                    "farm behavior level {level}: choosing the MFA provider by group (authnmethodsproviders rules) needs level 4 (AD FS 2019); below it users are asked to pick a provider"
                ),
            )
            .with_fix("upgrade the farm to AD FS 2019 and raise the level (Invoke-AdfsFarmBehaviorLevelRaise)"),
        );
    }
    let depends = !server_offered.is_empty() || routes_to_server;
    let record = json!({
        "AdditionalAuthenticationProvider": offered.iter().map(|p| p.name.clone()).collect::<Vec<_>>(),
        "CurrentFarmBehavior": farm.behavior_level,
        "global_rules": farm.global_rules.iter().map(|(s, _)| s.rules.iter().map(|r| r.text.clone()).collect::<Vec<_>>()).collect::<Vec<_>>(),
    });
    let origin = exports
        .global_policies
        .first()
        .map(|g| g.origin.clone())
        .or_else(|| farm.global_rules.first().map(|(_, o)| o.clone()))
        .or_else(|| exports.farms.first().map(|f| f.origin.clone()))
        .unwrap_or(Origin {
            source: "AD FS exports".into(),
            file: None,
            place: "$".into(),
        });
    Some(Item {
        id,
        kind: ItemKind::AdfsGlobalPolicy,
        name,
        origin,
        record,
        dependence: if depends {
            Dependence::Yes
        } else if farm.global_providers_known {
            Dependence::No
        } else {
            Dependence::Possibly
        },
        uses_mfa_server_for: depends
            .then(|| "the MFA provider AD FS offers for every relying party".to_string()),
        path: if depends {
            PathKind::ReplaceAdapter
        } else {
            PathKind::NoAction
        },
        reason: if depends {
            "route migrated users to AzureMfaAuthentication in the global rules, then take MFA \
             Server's adapter out of the global policy"
                .into()
        } else {
            "the global policy offers no MFA Server adapter".into()
        },
        flags,
        findings,
        rules,
        readiness: None,
        providers: offered.iter().map(|p| p.name.clone()).collect(),
        decision: None,
    })
}
