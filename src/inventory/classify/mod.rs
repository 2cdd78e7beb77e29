//! Classification (inventory.md): from the data file's `auth_services` and `settings`
//! and the AD FS / NPS exports to items, each with what MFA Server does for it, the
//! recommended path (the first that fits), the reason, the flags that bite, findings,
//! and the rules quoted as evidence. Pure: no I/O, no clock.
//!
//! `services` (the data file's services, NPS), `farm` (MFA Server's AD FS adapter, the
//! global policy), `relying_party`, `settings`; `rule_sets` holds what they share about
//! claim rules.

use super::adfs::{self, ProviderKind, RelyingParty};
use super::claims::RuleSet;
use super::model::{InvRule, Item, ItemId, Origin};
use super::rule_checks as rc;
use super::sources::{Exports, Sourced};
use crate::datafile::{AuthService, Server, Settings};
use crate::finding::{Finding, FindingSubject};

mod farm;
mod relying_party;
mod rule_sets;
mod services;
mod settings;

use farm::{adapter_items, global_item};
pub use relying_party::is_entra_rp;
use relying_party::relying_party_item;
use services::{nps_items, service_item};
use settings::setting_items;

/// Options that change a classification.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// The admin plans to route the MFA provider by group (AD FS 2019 claim rules): the
    /// farm behavior level must then be 4 or more.
    pub group_routing_planned: bool,
}

/// What the classification reads.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The data file's `auth_services`; `None` when no input carries them.
    pub services: Option<&'a [AuthService]>,
    pub settings: Option<&'a Settings>,
    pub servers: Option<&'a [Server]>,
    pub exports: &'a Exports,
    pub options: Options,
}

/// A provider as the provider list (or, without one, a rule or the global policy) names it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Provider {
    pub name: String,
    pub admin_name: Option<String>,
    pub kind: ProviderKind,
    /// Listed by `Get-AdfsAuthenticationProvider`.
    pub registered: bool,
    /// In the global policy's `AdditionalAuthenticationProvider`.
    pub in_global_policy: bool,
}

/// The farm-wide facts every relying party shares.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Farm {
    pub behavior_level: Option<i64>,
    pub providers: Vec<Provider>,
    /// Whether `Get-AdfsAuthenticationProvider` was given.
    pub provider_list_known: bool,
    /// Whether the global policy was given (and not cut off).
    pub global_providers_known: bool,
    /// Global additional authentication rules, in order.
    pub global_rules: Vec<(RuleSet, Origin)>,
}

impl Farm {
    pub fn from_exports(e: &Exports) -> Farm {
        let mut providers: Vec<Provider> = Vec::new();
        for p in &e.providers {
            if !providers
                .iter()
                .any(|q| q.name.eq_ignore_ascii_case(&p.value.name))
            {
                providers.push(Provider {
                    name: p.value.name.clone(),
                    admin_name: p.value.admin_name.clone(),
                    kind: adfs::provider_kind(&p.value.name, p.value.admin_name.as_deref()),
                    registered: true,
                    in_global_policy: false,
                });
            }
        }
        let mut global_providers_known = false;
        for g in &e.global_policies {
            let Some(list) = &g.value.additional_providers else {
                continue;
            };
            global_providers_known = true;
            for name in list {
                match providers
                    .iter_mut()
                    .find(|q| q.name.eq_ignore_ascii_case(name))
                {
                    Some(q) => q.in_global_policy = true,
                    None => providers.push(Provider {
                        name: name.clone(),
                        admin_name: None,
                        kind: adfs::provider_kind(name, None),
                        registered: false,
                        in_global_policy: true,
                    }),
                }
            }
        }
        Farm {
            behavior_level: e.farms.iter().find_map(|f| f.value.behavior_level),
            provider_list_known: !e.providers.is_empty(),
            global_providers_known,
            providers,
            global_rules: e
                .global_rules
                .iter()
                .map(|r| (r.value.clone(), r.origin.clone()))
                .collect(),
        }
    }

    /// A provider by name: from the list when known, else classified by name alone.
    pub fn provider(&self, name: &str) -> Provider {
        self.providers
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .cloned()
            .unwrap_or_else(|| Provider {
                name: name.to_string(),
                admin_name: None,
                kind: adfs::provider_kind(name, None),
                registered: false,
                in_global_policy: false,
            })
    }

    /// The providers offered when no rule picks one: the global policy's list.
    pub fn offered(&self) -> Vec<&Provider> {
        self.providers
            .iter()
            .filter(|p| p.in_global_policy)
            .collect()
    }

    /// Whether a routing rule (`authnmethodsproviders`) exists anywhere.
    pub fn has_routing(&self, rps: &[Sourced<RelyingParty>]) -> bool {
        let any = |set: &RuleSet| set.parsed().any(|(_, p)| rc::routed_provider(p).is_some());
        self.global_rules.iter().any(|(s, _)| any(s))
            || rps
                .iter()
                .any(|rp| any(&rp.value.additional_authentication))
    }
}

/// Every item, in a stable order: data-file services, NPS, AD FS adapter and global
/// policy, relying parties, settings.
pub fn classify(input: &Input<'_>) -> (Vec<Item>, Farm, Vec<Finding>) {
    let farm = Farm::from_exports(input.exports);
    let mut items = Vec::new();
    let mut notes = Vec::new();
    let mfa_servers: Vec<String> = input
        .servers
        .unwrap_or(&[])
        .iter()
        .map(|s| s.name.to_ascii_lowercase())
        .collect();

    if let Some(services) = input.services {
        for (i, s) in services.iter().enumerate() {
            items.push(service_item(i, s, input.exports, &farm));
        }
    }
    items.extend(nps_items(input.exports, &mfa_servers, input.services));
    items.extend(adapter_items(&farm, input.exports));
    if let Some(g) = global_item(&farm, input.exports, input.options) {
        items.push(g);
    }
    for rp in &input.exports.relying_parties {
        items.push(relying_party_item(rp, &farm, input.exports));
    }
    if let Some(settings) = input.settings {
        items.extend(setting_items(settings));
    }
    unique_ids(&mut items);

    for rp in &input.exports.relying_parties {
        if !rp.value.truncated.is_empty() {
            notes.push(
                Finding::info(
                    InvRule::Truncated,
                    FindingSubject::Tenant,
                    format!(
                        "relying party \"{}\": {} cut off by ConvertTo-Json's depth",
                        rp.value.name,
                        rp.value.truncated.join(", ")
                    ),
                )
                .with_fix("export again with `ConvertTo-Json -Depth 5`"),
            );
        }
    }
    (items, farm, notes)
}

/// The same name twice (one relying party in two farms' exports, one NPS client in two
/// NPS exports) must not share an id, or one decision would land on both: later ones get
/// `#2`, `#3`… in the order read, which a reload of the same files repeats.
fn unique_ids(items: &mut [Item]) {
    let mut seen: std::collections::HashMap<ItemId, usize> = std::collections::HashMap::new();
    for item in items.iter_mut() {
        let n = seen.entry(item.id.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            let place = item
                .origin
                .file
                .clone()
                .unwrap_or_else(|| item.origin.place.clone());
            item.id = ItemId(format!("{}#{n}", item.id.0));
            item.findings.push(Finding::info(
                InvRule::CrossCheck,
                subject(&item.id, &item.name),
                format!(
                    "the same name appears more than once in the inputs; this one is from {place}"
                ),
            ));
        }
    }
}

fn subject(id: &ItemId, name: &str) -> FindingSubject {
    FindingSubject::Dependency {
        id: id.0.clone(),
        name: name.to_string(),
    }
}

fn data_origin(i: usize, table: &str) -> Origin {
    Origin {
        source: format!("data file {table}"),
        file: None,
        place: format!("row {}", i + 1),
    }
}
