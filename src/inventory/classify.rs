//! Classification (inventory.md): from the data file's `auth_services` and `settings`
//! and the AD FS / NPS exports to items, each with what MFA Server does for it, the
//! recommended path (the first that fits), the reason, the flags that bite, findings,
//! and the rules quoted as evidence. Pure: no I/O, no clock.

use serde_json::{Value, json};

use super::adfs::{self, ProviderKind, RelyingParty};
use super::claims::{ClaimRule, ParsedRule, RuleBody, RuleSet};
use super::model::{
    Dependence, InvRule, Item, ItemId, ItemKind, Origin, PathKind, QuotedRule, Readiness,
};
use super::rule_checks::{self as rc, RuleCode};
use super::sources::{Exports, Sourced};
use crate::datafile::{AuthService, Server, ServiceKind, Settings};
use crate::finding::{Finding, FindingSubject, Severity};

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

/// Applications whose vendors document SAML sign-in (the migration guide names Citrix
/// Gateway and Cisco VPN, and recommends federating any VPN that can): federate them
/// rather than keep RADIUS.
const SAML_CAPABLE: [&str; 10] = [
    "cisco",
    "asa",
    "anyconnect",
    "citrix",
    "netscaler",
    "globalprotect",
    "palo alto",
    "fortigate",
    "f5",
    "pulse",
];

fn radius_facts(id: &ItemId, name: &str) -> Finding {
    Finding::warning(
        InvRule::Radius,
        subject(id, name),
        "on the NPS extension every RADIUS sign-in needs Entra MFA: users must be registered for \
         Entra MFA first (else sign-in fails), the user's default method is used (no choice at \
         sign-in), and MSCHAPv2 cannot carry a one-time code (only push or phone call)",
    )
    .with_fix(
        "migrate and verify the users before switching the client; use PAP if codes are needed",
    )
}

const RADIUS_FLAGS: [&str; 3] = [
    "users must be registered first",
    "default method used",
    "MSCHAPv2 cannot carry OTP",
];

fn detail_text(s: &AuthService, key: &str) -> Option<String> {
    s.detail.get(key).and_then(|v| match v {
        Value::String(t) => Some(t.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    })
}

fn service_item(i: usize, s: &AuthService, exports: &Exports, farm: &Farm) -> Item {
    let (prefix, kind) = match s.kind {
        ServiceKind::Radius => ("radius", ItemKind::RadiusClient),
        ServiceKind::Ldap => ("ldap", ItemKind::Ldap),
        ServiceKind::Iis => ("iis", ItemKind::Iis),
        ServiceKind::Windows => ("windows", ItemKind::WindowsAuth),
        ServiceKind::Adfs => ("adfs", ItemKind::AdfsAdapter),
        ServiceKind::UserPortal => ("portal", ItemKind::UserPortal),
        ServiceKind::MobileAppWebService => ("mobile-web-service", ItemKind::MobileAppWebService),
        ServiceKind::WebServiceSdk => ("sdk", ItemKind::WebServiceSdk),
    };
    let id = ItemId::new(prefix, &s.name);
    let mut record = serde_json::Map::new();
    record.insert("kind".into(), json!(prefix));
    record.insert("name".into(), json!(s.name));
    record.insert("address".into(), json!(s.address));
    record.insert("detail".into(), Value::Object(s.detail.clone()));
    record.insert("enabled".into(), json!(s.enabled));
    let address = s.address.clone().unwrap_or_default();
    let app = detail_text(s, "application_name")
        .or_else(|| detail_text(s, "application"))
        .unwrap_or_else(|| s.name.clone());
    let mut findings = Vec::new();
    let mut flags: Vec<String> = Vec::new();
    let (uses, path, reason) = match s.kind {
        ServiceKind::Radius => {
            let hay = format!("{} {}", s.name, app).to_ascii_lowercase();
            let on_nps: Vec<&str> = exports
                .nps_clients
                .iter()
                .filter(|c| {
                    !address.is_empty()
                        && c.value
                            .address
                            .as_deref()
                            .is_some_and(|a| a.eq_ignore_ascii_case(&address))
                })
                .map(|c| c.value.name.as_str())
                .collect();
            if !on_nps.is_empty() {
                findings.push(Finding::info(
                    InvRule::CrossCheck,
                    subject(&id, &s.name),
                    format!(
                        "{address} is also a RADIUS client of NPS (\"{}\"): the NPS extension path is half built",
                        on_nps.join("\", \"")
                    ),
                ));
            }
            let uses = Some(format!("MFA for {app} sign-ins over RADIUS ({address})"));
            if hay.contains("nps") {
                flags.extend(RADIUS_FLAGS.iter().map(|f| f.to_string()));
                findings.push(radius_facts(&id, &s.name));
                (
                    uses,
                    PathKind::NpsExtension,
                    "an NPS server forwards to MFA Server: install the Entra MFA NPS extension on \
                     that NPS and remove the forwarding"
                        .to_string(),
                )
            } else if SAML_CAPABLE.iter().any(|v| hay.contains(v)) {
                (
                    uses,
                    PathKind::FederateWithEntra,
                    format!(
                        "{app} supports SAML: federate it with Entra and use Conditional Access; \
                         no NPS needed. If it must stay on RADIUS: NPS + the Entra MFA NPS extension"
                    ),
                )
            } else {
                flags.extend(RADIUS_FLAGS.iter().map(|f| f.to_string()));
                findings.push(radius_facts(&id, &s.name));
                (
                    uses,
                    PathKind::NpsExtension,
                    "a RADIUS client with no known modern sign-in: NPS with the Entra MFA NPS \
                     extension; federate it instead if the vendor adds SAML/OIDC"
                        .to_string(),
                )
            }
        }
        ServiceKind::Ldap => {
            let purpose = detail_text(s, "purpose")
                .unwrap_or_default()
                .to_ascii_lowercase();
            let uses = Some(format!("MFA for LDAP binds from {app} to {address}"));
            if purpose.contains("password") {
                (
                    uses,
                    PathKind::EntraSspr,
                    "LDAP was deployed for password changes: users change passwords with Entra \
                     self-service password reset"
                        .to_string(),
                )
            } else {
                (
                    uses,
                    PathKind::FederateWithEntra,
                    "move the application to modern authentication federated with Entra; else \
                     Entra Domain Services, or RADIUS through NPS with the Entra MFA extension; if \
                     it is used for password changes, Entra self-service password reset"
                        .to_string(),
                )
            }
        }
        ServiceKind::Iis => (
            Some(format!("MFA for the IIS site {address}")),
            PathKind::ApplicationProxy,
            "publish the site through Entra application proxy (pre-authentication with Entra \
             MFA), or federate the app with Entra"
                .to_string(),
        ),
        ServiceKind::Windows => {
            let hay = format!("{} {} {}", s.name, app, address).to_ascii_lowercase();
            if hay.contains("remote desktop")
                || hay.contains("terminal services")
                || hay.contains("rdgw")
            {
                flags.extend(RADIUS_FLAGS.iter().map(|f| f.to_string()));
                findings.push(radius_facts(&id, &s.name));
                (
                    Some(format!("MFA for Remote Desktop sign-ins at {address}")),
                    PathKind::NpsExtension,
                    "Remote Desktop Gateway: NPS with the Entra MFA NPS extension (the documented \
                     RD Gateway integration)"
                        .to_string(),
                )
            } else {
                (
                    Some(format!("MFA for Windows sign-ins to {app}")),
                    PathKind::ApplicationProxy,
                    "publish through Entra application proxy, or federate the app with Entra"
                        .to_string(),
                )
            }
        }
        ServiceKind::Adfs => {
            let server_adapters: Vec<&str> = farm
                .providers
                .iter()
                .filter(|p| p.kind == ProviderKind::MfaServer && p.registered)
                .map(|p| p.name.as_str())
                .collect();
            if farm.provider_list_known && server_adapters.is_empty() {
                findings.push(
                    Finding::info(
                        InvRule::CrossCheck,
                        subject(&id, &s.name),
                        "the data file lists an AD FS adapter but Get-AdfsAuthenticationProvider \
                         shows no MFA Server adapter registered",
                    )
                    .with_fix("confirm it was unregistered on every farm, then mark it done"),
                );
                (
                    Some("second factor for AD FS sign-ins".to_string()),
                    PathKind::Remove,
                    "no MFA Server adapter is registered in the exported farm".to_string(),
                )
            } else {
                let seen = if server_adapters.is_empty() {
                    String::new()
                } else {
                    format!(" (registered as {})", server_adapters.join(", "))
                };
                (
                    Some(format!("second factor for AD FS sign-ins{seen}")),
                    PathKind::ReplaceAdapter,
                    "register the Entra MFA adapter (AzureMfaAuthentication, AD FS 2016+), route \
                     migrated users to it, then unregister MFA Server's adapter"
                        .to_string(),
                )
            }
        }
        ServiceKind::UserPortal => (
            Some(format!("users manage their methods at {address}")),
            PathKind::RedirectPortal,
            "users manage methods at aka.ms/mfasetup once migrated: redirect the portal there, \
             then clear 'Allow users to log in' and remove it"
                .to_string(),
        ),
        ServiceKind::MobileAppWebService => (
            Some("activates the Authenticator app against MFA Server".to_string()),
            PathKind::FindCallers,
            "the app activates against Entra after migration; find what still points at this \
             service (the user portal), move it, decommission"
                .to_string(),
        ),
        ServiceKind::WebServiceSdk => (
            Some("applications call MFA Server directly (authenticate, manage users)".to_string()),
            PathKind::FindCallers,
            "find the applications that call the SDK (IIS logs of the SDK site), move them to \
             Entra sign-in or Graph, decommission"
                .to_string(),
        ),
    };
    let (dependence, path, reason) = if s.enabled {
        (Dependence::Yes, path, reason)
    } else {
        findings.push(Finding::info(
            InvRule::Idle,
            subject(&id, &s.name),
            "disabled in MFA Server",
        ));
        (
            Dependence::Possibly,
            PathKind::Remove,
            format!(
                "disabled in MFA Server: confirm nothing uses it, then remove it (else: {reason})"
            ),
        )
    };
    Item {
        id,
        kind,
        name: s.name.clone(),
        origin: data_origin(i, "auth_services"),
        record: Value::Object(record),
        dependence,
        uses_mfa_server_for: uses,
        path,
        reason,
        flags,
        findings,
        rules: Vec::new(),
        readiness: None,
        providers: Vec::new(),
        decision: None,
    }
}

fn is_mfa_server_host(address: &str, name: &str, mfa_servers: &[String]) -> bool {
    let a = address.trim().to_ascii_lowercase();
    let short = |s: &str| s.split('.').next().unwrap_or(s).to_string();
    mfa_servers.iter().any(|m| {
        *m == a || short(m) == short(&a) && !a.chars().all(|c| c.is_ascii_digit() || c == '.')
    }) || {
        let n = name.to_ascii_lowercase();
        n.contains("mfa server") || n.contains("multi-factor")
    }
}

fn nps_items(
    exports: &Exports,
    mfa_servers: &[String],
    services: Option<&[AuthService]>,
) -> Vec<Item> {
    let mut out = Vec::new();
    let forwards: Vec<&Sourced<super::nps::NpsRemoteServer>> = exports
        .nps_remote_servers
        .iter()
        .filter(|s| {
            is_mfa_server_host(&s.value.address, &s.value.name, mfa_servers)
                || s.value.group.to_ascii_lowercase().contains("mfa")
        })
        .collect();
    for s in &forwards {
        let name = format!("{} → {}", s.value.group, s.value.address);
        let id = ItemId::new(
            "nps-forward",
            &format!("{}/{}", s.value.group, s.value.address),
        );
        out.push(Item {
            findings: vec![
                Finding::warning(
                    InvRule::NpsForward,
                    subject(&id, &name),
                    format!(
                        "NPS forwards RADIUS requests to MFA Server {} (remote RADIUS server group \"{}\")",
                        s.value.address, s.value.group
                    ),
                )
                .with_fix("install the Entra MFA NPS extension on this NPS, then remove the forwarding"),
                radius_facts(&id, &name),
            ],
            id,
            kind: ItemKind::NpsRemoteServer,
            name,
            origin: s.origin.clone(),
            record: s.record.clone(),
            dependence: Dependence::Yes,
            uses_mfa_server_for: Some("second factor for every RADIUS request this NPS forwards".into()),
            path: PathKind::NpsExtension,
            reason: "the NPS extension gives this NPS Entra MFA itself; the connection request \
                     policy that forwards to MFA Server then goes"
                .into(),
            flags: RADIUS_FLAGS.iter().map(|f| f.to_string()).collect(),
            rules: Vec::new(),
            readiness: None,
            providers: Vec::new(),
            decision: None,
        });
    }
    let data_addresses: Vec<String> = services
        .unwrap_or(&[])
        .iter()
        .filter(|s| s.kind == ServiceKind::Radius)
        .filter_map(|s| s.address.as_ref().map(|a| a.to_ascii_lowercase()))
        .collect();
    for c in &exports.nps_clients {
        let address = c.value.address.clone().unwrap_or_default();
        // The same device as a RADIUS client of MFA Server: that item carries it.
        if !address.is_empty() && data_addresses.contains(&address.to_ascii_lowercase()) {
            continue;
        }
        let id = ItemId::new("nps-client", &c.value.name);
        let name = c.value.name.clone();
        let is_server = is_mfa_server_host(&address, &name, mfa_servers);
        let forwarded = forwards.iter().any(|f| f.origin.file == c.origin.file);
        let enabled = c.value.enabled.unwrap_or(true);
        let (dependence, uses, path, reason, mut findings) = if is_server {
            (
                Dependence::Yes,
                Some("MFA Server sends RADIUS to this NPS (RD Gateway setup)".to_string()),
                PathKind::NpsExtension,
                "Remote Desktop Gateway with MFA Server: put the Entra MFA NPS extension on the \
                 gateway's NPS and remove MFA Server from the chain"
                    .to_string(),
                vec![radius_facts(&id, &name)],
            )
        } else if forwarded {
            (
                // The export shows a server group holding MFA Server, not which
                // connection request policy sends this client's requests there.
                Dependence::Possibly,
                Some(format!(
                    "MFA for RADIUS sign-ins from {name} ({address}), if forwarded to MFA Server"
                )),
                PathKind::NpsExtension,
                "its NPS forwards requests to MFA Server (which connection request policy covers \
                 this client is not in the export): the NPS extension on that NPS takes over"
                    .to_string(),
                vec![radius_facts(&id, &name)],
            )
        } else {
            (
                Dependence::No,
                None,
                PathKind::NoAction,
                "a RADIUS client of NPS that this export does not route to MFA Server".to_string(),
                Vec::new(),
            )
        };
        let (dependence, path) = if !enabled && dependence != Dependence::No {
            findings.push(Finding::info(
                InvRule::Idle,
                subject(&id, &name),
                "disabled on NPS",
            ));
            (Dependence::Possibly, PathKind::Remove)
        } else {
            (dependence, path)
        };
        let flags = if path == PathKind::NpsExtension {
            RADIUS_FLAGS.iter().map(|f| f.to_string()).collect()
        } else {
            Vec::new()
        };
        let mut record = c.record.clone();
        if let (Value::Object(m), Some(v)) = (&mut record, &c.value.vendor) {
            m.insert("vendor".into(), json!(v));
        }
        out.push(Item {
            id,
            kind: ItemKind::NpsRadiusClient,
            name,
            origin: c.origin.clone(),
            record,
            dependence,
            uses_mfa_server_for: uses,
            path,
            reason,
            flags,
            findings,
            rules: Vec::new(),
            readiness: None,
            providers: Vec::new(),
            decision: None,
        });
    }
    out
}

fn adapter_items(farm: &Farm, exports: &Exports) -> Vec<Item> {
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

fn quote(set: &str, rule: &ClaimRule, why: impl Into<String>) -> QuotedRule {
    QuotedRule {
        set: set.to_string(),
        index: rule.index,
        text: rule.text.clone(),
        why: why.into(),
    }
}

/// Findings and quotes common to any rule set: `https://` claim types, unparsed rules.
fn rule_hygiene(
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
struct MfaRules<'a> {
    requires: Vec<&'a ClaimRule>,
    routes: Vec<(&'a ClaimRule, &'a str)>,
    unparsed: usize,
}

fn mfa_rules(set: &RuleSet) -> MfaRules<'_> {
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

fn global_item(farm: &Farm, exports: &Exports, options: Options) -> Option<Item> {
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

fn relying_party_item(src: &Sourced<RelyingParty>, farm: &Farm, exports: &Exports) -> Item {
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

/// The migration guide's Company Settings and User Portal tables
/// (`how-to-mfa-server-migration-utility.md`): what each setting becomes in Entra.
fn setting_items(settings: &Settings) -> Vec<Item> {
    let mut out = Vec::new();
    for (section, map, kind) in [
        ("company", &settings.company, ItemKind::CompanySetting),
        (
            "user_portal",
            &settings.user_portal,
            ItemKind::UserPortalSetting,
        ),
    ] {
        for (i, (key, value)) in map.iter().enumerate() {
            let v = value.trim().to_ascii_lowercase();
            let on = matches!(v.as_str(), "true" | "1" | "yes");
            use PathKind::{NoAction, ReproduceInEntra};
            let (path, reason, no_equivalent): (PathKind, String, bool) = match (section, key.as_str()) {
                ("company", "user_default_method") => (NoAction, format!("default method {value}: migrated per user; Entra uses each user's default method"), false),
                ("company", "phone_call_mode") if v == "pin" => (ReproduceInEntra, "phone call with PIN: enable voice one-time passcodes in the methods policy".into(), false),
                ("company", "mobile_app_mode") if v == "pin" => (ReproduceInEntra, "mobile app with PIN: Entra's number matching gives the same proof of presence".into(), false),
                ("company", "text_message_mode") if v == "two_way" => (ReproduceInEntra, "two-way text messages have no Entra equivalent: users type the code Entra sends (one-way)".into(), true),
                ("company", "phone_call_mode" | "mobile_app_mode" | "text_message_mode") => (NoAction, format!("{value}: no action needed in Entra"), false),
                ("company", "language") => (NoAction, "Entra picks the language from the browser's locale".into(), false),
                ("company", "fraud_alert_enabled") if on => (ReproduceInEntra, "enable 'report suspicious activity' in Entra".into(), false),
                ("company", "block_user_on_fraud_report") if on => (ReproduceInEntra, "report suspicious activity marks the user high risk: block with a risk-based Conditional Access policy".into(), false),
                ("company", "pin_length" | "pin_rules") => (NoAction, "PIN rules do not apply in Entra".into(), false),
                ("user_portal", "url") => (PathKind::RedirectPortal, "users manage methods at aka.ms/mfasetup".into(), false),
                ("user_portal", "allow_enrollment") if on => (ReproduceInEntra, "combined security information registration (aka.ms/mysecurityinfo)".into(), false),
                ("user_portal", "allow_one_time_bypass") if on => (ReproduceInEntra, "one-time bypass: issue a Temporary Access Pass instead".into(), false),
                ("user_portal", "use_security_questions") if on => (ReproduceInEntra, "security questions are only for self-service password reset in Entra, not an MFA fallback".into(), true),
                ("user_portal", "allow_user_login") => (NoAction, "clear 'Allow users to log in' to close the portal once users manage methods in Entra".into(), false),
                (_, _) if matches!(v.as_str(), "false" | "0" | "no" | "") => (NoAction, "off: nothing to reproduce".into(), false),
                _ => (ReproduceInEntra, "not in the migration guide's tables: review it against Entra's MFA settings".into(), false),
            };
            let id = ItemId::new(&format!("setting-{section}"), key);
            let name = format!("{section}.{key}");
            let mut findings = Vec::new();
            let mut flags = Vec::new();
            if no_equivalent {
                flags.push("no Entra equivalent".to_string());
                findings.push(Finding::info(
                    InvRule::Setting,
                    subject(&id, &name),
                    reason.clone(),
                ));
            }
            out.push(Item {
                id,
                kind,
                name,
                origin: data_origin(i, &format!("settings ({section})")),
                record: json!({"section": section, "key": key, "value": value}),
                dependence: if path == NoAction {
                    Dependence::No
                } else {
                    Dependence::Yes
                },
                uses_mfa_server_for: (path != NoAction).then(|| format!("{key} = {value}")),
                path,
                reason,
                flags,
                findings,
                rules: Vec::new(),
                readiness: None,
                providers: Vec::new(),
                decision: None,
            });
        }
    }
    out
}
