//! Items for the data file's `auth_services` and the NPS exports.

use serde_json::{Value, json};

use super::{Farm, data_origin, subject};
use crate::datafile::{AuthService, ServiceKind};
use crate::finding::Finding;
use crate::inventory::adfs::ProviderKind;
use crate::inventory::model::{Dependence, InvRule, Item, ItemId, ItemKind, PathKind};
use crate::inventory::sources::{Exports, Sourced};

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

pub(super) fn service_item(i: usize, s: &AuthService, exports: &Exports, farm: &Farm) -> Item {
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

pub(super) fn nps_items(
    exports: &Exports,
    mfa_servers: &[String],
    services: Option<&[AuthService]>,
) -> Vec<Item> {
    let mut out = Vec::new();
    let forwards: Vec<&Sourced<crate::inventory::nps::NpsRemoteServer>> = exports
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
