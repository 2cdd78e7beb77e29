//! The demo organisation's AD FS and NPS exports, written from the cmdlets' documented
//! property names in the shapes PowerShell gives them (one object for a single result,
//! `/Date(ms)/` dates, enums as numbers, a UTF-16 rule file), deterministic for a seed
//! and consistent with the sample population (`datafile::sample`): its domain SID, its
//! MFA servers, its RADIUS clients' addresses.
//!
//! They hold what a real farm holds: Office 365 with provider-routing rules, SAML and
//! WS-Fed apps under "Permit everyone and require MFA", one rule pasted with `https://`
//! claim types, one app with its own additional authentication rules, MFA Server's
//! adapter registered and in the global policy, and NPS clients (a VPN, an RD Gateway,
//! MFA Server itself) with shared secrets that the reader must drop.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::rule_checks::{
    AUTHENTICATION_METHOD, AUTHN_METHODS_PROVIDERS, GROUP_SID, INSIDE_CORPORATE_NETWORK,
    MULTIPLE_AUTHN, PERMIT,
};
use crate::datafile::ServiceKind;
use crate::datafile::sample::{DOMAIN, Population};

/// 2025-01-10T08:00:00Z, in PowerShell 5.1's `/Date(ms)/`.
const UPDATED: &str = "/Date(1736496000000)/";

/// Group SIDs the rules name: `<domain SID>-<rid>`.
pub struct Groups {
    /// Users whose MFA moved to Entra: routed to `AzureMfaAuthentication`.
    pub migrated: String,
    pub finance: String,
    pub payroll_admins: String,
}

impl Groups {
    pub fn of(pop: &Population) -> Groups {
        let d = pop.domain_sid();
        Groups {
            migrated: format!("{d}-3101"),
            finance: format!("{d}-3102"),
            payroll_admins: format!("{d}-3103"),
        }
    }
}

/// A seeded hex string (shared secrets): the same seed gives the same secret.
fn secret(seed: u64, label: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"mfa-cutover/inventory-sample/v1");
    h.update(seed.to_le_bytes());
    h.update(label.as_bytes());
    data_encoding::HEXLOWER.encode(&h.finalize()[..10])
}

fn mfa_rule(condition: &str) -> String {
    format!(
        "{condition}\n => issue(Type = \"{AUTHENTICATION_METHOD}\", Value = \"{MULTIPLE_AUTHN}\");"
    )
}

fn route(group: &str, https: bool) -> String {
    let (g, p) = if https {
        (
            GROUP_SID.replacen("http://", "https://", 1),
            AUTHN_METHODS_PROVIDERS.replacen("http://", "https://", 1),
        )
    } else {
        (GROUP_SID.to_string(), AUTHN_METHODS_PROVIDERS.to_string())
    };
    format!(
        "c:[Type == \"{g}\", Value == \"{group}\"]\n => issue(Type = \"{p}\", Value = \"AzureMfaAuthentication\");\n\
         NOT EXISTS([Type == \"{g}\", Value == \"{group}\"])\n => issue(Type = \"{p}\", Value = \"AzureMfaServerAuthentication\");"
    )
}

fn extranet_mfa() -> String {
    mfa_rule(&format!(
        "c:[Type == \"{INSIDE_CORPORATE_NETWORK}\", Value == \"false\"]"
    ))
}

fn ldap_claims(name: &str, types: &[&str], attrs: &str) -> String {
    let types: Vec<String> = types.iter().map(|t| format!("\"{t}\"")).collect();
    format!(
        "@RuleTemplate = \"LdapClaims\"\n@RuleName = \"{name}\"\n\
         c:[Type == \"http://schemas.microsoft.com/ws/2008/06/identity/claims/windowsaccountname\", Issuer == \"AD AUTHORITY\"]\n\
          => issue(store = \"Active Directory\", types = ({}), query = \";{attrs};{{0}}\", param = c.Value);",
        types.join(", ")
    )
}

const UPN: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn";
const EMAIL: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress";
const NAME: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name";
const ROLE: &str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role";

fn permit_all() -> String {
    format!(
        "@RuleTemplate = \"AllowAllAuthzRule\"\n => issue(Type = \"{PERMIT}\", Value = \"true\");"
    )
}

/// A relying party as `Get-AdfsRelyingPartyTrust | ConvertTo-Json -Depth 5` writes it.
fn rp(name: &str, identifiers: &[&str], extra: Value) -> Value {
    let pairs: Vec<(&str, Value)> = vec![
        ("AllowedAuthenticationClassReferences", json!([])),
        ("EncryptionCertificateRevocationCheck", json!(5)),
        ("PublishedThroughProxy", json!(false)),
        ("SigningCertificateRevocationCheck", json!(5)),
        ("WSFedEndpoint", json!(null)),
        ("AdditionalWSFedEndpoint", json!([])),
        ("ClaimsProviderName", json!(["Active Directory"])),
        ("ClaimsAccepted", json!([])),
        ("EncryptClaims", json!(true)),
        ("Enabled", json!(true)),
        ("EncryptionCertificate", json!(null)),
        ("Identifier", json!(identifiers)),
        ("NotBeforeSkew", json!(0)),
        ("EnableJWT", json!(false)),
        ("AlwaysRequireAuthentication", json!(false)),
        ("Notes", json!(null)),
        ("OrganizationInfo", json!(null)),
        (
            "ObjectIdentifier",
            json!(format!(
                "{:08x}-0000-4000-8000-000000000000",
                name.len() * 7919
            )),
        ),
        ("ProtocolProfile", json!("SAML")),
        ("EncryptedNameIdRequired", json!(false)),
        ("SignedSamlRequestsRequired", json!(false)),
        ("SamlEndpoints", json!([])),
        ("SamlResponseSignature", json!("AssertionOnly")),
        (
            "SignatureAlgorithm",
            json!("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"),
        ),
        ("TokenLifetime", json!(0)),
        ("AllowedClientTypes", json!(6)),
        ("IssueOAuthRefreshTokensTo", json!(2)),
        ("RefreshTokenProtectionEnabled", json!(true)),
        ("RequestMFAFromClaimsProviders", json!(false)),
        ("Name", json!(name)),
        ("AutoUpdateEnabled", json!(false)),
        ("MonitoringEnabled", json!(false)),
        ("MetadataUrl", json!(null)),
        ("ConflictWithPublishedPolicy", json!(false)),
        ("IssuanceAuthorizationRules", json!("")),
        ("IssuanceTransformRules", json!("")),
        ("DelegationAuthorizationRules", json!(null)),
        ("LastPublishedPolicyCheckSuccessful", json!(null)),
        ("LastUpdateTime", json!(UPDATED)),
        ("LastMonitoredTime", json!("/Date(-62135596800000)/")),
        ("ImpersonationAuthorizationRules", json!(null)),
        ("AdditionalAuthenticationRules", json!(null)),
        ("AccessControlPolicyName", json!(null)),
        ("AccessControlPolicyParameters", json!(null)),
        ("ResultantPolicy", json!(null)),
    ];
    let mut base = Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect());
    if let (Value::Object(b), Value::Object(e)) = (&mut base, extra) {
        for (k, v) in e {
            b.insert(k, v);
        }
    }
    base
}

fn saml_endpoint(url: &str) -> Value {
    json!({"Binding": "POST", "BindingUri": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
        "Index": 0, "IsDefault": false, "Location": url, "Protocol": "SAMLAssertionConsumer",
        "ResponseLocation": null})
}

fn policy_metadata(summary: &str) -> Value {
    json!({"IsParameterized": false, "Summary": summary})
}

/// Every file, as (name, bytes).
pub fn exports(pop: &Population) -> Vec<(&'static str, Vec<u8>)> {
    let g = Groups::of(pop);
    let seed = pop.seed;
    let level = if seed.is_multiple_of(2) { 4 } else { 3 };
    let services = pop.services();
    let vpn_address = services
        .iter()
        .find(|s| s.kind == ServiceKind::Radius && s.name == "VPN concentrator")
        .and_then(|s| s.address.clone())
        .unwrap_or_else(|| "10.10.10.5".into());
    let net = vpn_address.split('.').nth(1).unwrap_or("10").to_string();

    let o365_transform = [
        ldap_claims("Extract UPN", &[UPN], "userPrincipalName"),
        "@RuleName = \"Issue UPN\"\nc:[Type == \"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn\"]\n => issue(claim = c);".to_string(),
        format!("@RuleName = \"Pass through MFA\"\nc:[Type == \"{AUTHN_METHODS_REFERENCES_TYPE}\"]\n => issue(claim = c);"),
    ]
    .join("\n\n");
    let rps = json!([
        rp(
            "Microsoft Office 365 Identity Platform",
            &[
                "https://login.microsoftonline.com/extSTS.srf",
                "urn:federation:MicrosoftOnline"
            ],
            json!({
                "WSFedEndpoint": "https://login.microsoftonline.com/login.srf",
                "ProtocolProfile": "WsFed-SAML",
                "EncryptClaims": false,
                "MetadataUrl": "https://nexus.microsoftonline-p.com/federationmetadata/2007-06/federationmetadata.xml",
                "AutoUpdateEnabled": true,
                "MonitoringEnabled": true,
                "IssuanceTransformRules": o365_transform,
                "IssuanceAuthorizationRules": permit_all(),
                "AdditionalAuthenticationRules": route(&g.migrated, false),
            })
        ),
        rp(
            "Contoso Expenses",
            &["https://expenses.contoso.com/saml"],
            json!({
                "SamlEndpoints": [saml_endpoint("https://expenses.contoso.com/saml/acs")],
                "AccessControlPolicyName": "Permit everyone and require MFA",
                "ResultantPolicy": policy_metadata("Permit users\n  and require multi-factor authentication"),
                "IssuanceTransformRules": ldap_claims("Send email and name", &[EMAIL, NAME], "mail,displayName"),
            })
        ),
        rp(
            "Fabrikam HR Portal",
            &["urn:fabrikam:hr"],
            json!({
                "ProtocolProfile": "WsFederation",
                "WSFedEndpoint": "https://hr.fabrikam.example/wsfed",
                "AccessControlPolicyName": "Permit everyone and require MFA from extranet access",
                "ResultantPolicy": policy_metadata("Permit users\n  and require multi-factor authentication when the request is from extranet"),
                "IssuanceTransformRules": ldap_claims("Send UPN", &[UPN], "userPrincipalName"),
            })
        ),
        rp(
            "Payroll (SAP)",
            &["https://payroll.contoso.com/"],
            json!({
                "SamlEndpoints": [saml_endpoint("https://payroll.contoso.com/sap/saml2/sp/acs/100")],
                "TokenLifetime": 5,
                // Pasted from a version of the migration guide that printed https://.
                "AdditionalAuthenticationRules": format!("{}\n{}", extranet_mfa(), route(&g.migrated, true)),
                "IssuanceTransformRules": format!(
                    "{}\n@RuleName = \"Short name\"\nc:[Type == \"{UPN}\"]\n => add(Type = \"urn:contoso:samaccount\", Value = RegexReplace(c.Value, \"@contoso\\\\.com$\", \"\"));\n\
                     @RuleName = \"Cost centre\"\nc:[Type == \"urn:contoso:samaccount\"]\n => issue(store = \"SAP HR SQL\", types = (\"urn:contoso:costcentre\"), query = \"SELECT cc FROM staff WHERE sam = {{0}}\", param = c.Value);",
                    ldap_claims("Send UPN", &[UPN], "userPrincipalName")
                ),
            })
        ),
        rp(
            "Tableau Server",
            &["https://tableau.contoso.com/"],
            json!({
                "SamlEndpoints": [saml_endpoint("https://tableau.contoso.com/wg/saml/SSO/index.html")],
                "AdditionalAuthenticationRules": mfa_rule(&format!("c:[Type == \"{GROUP_SID}\", Value == \"{}\"]", g.finance)),
                "IssuanceAuthorizationRules": permit_all(),
                "IssuanceTransformRules": ldap_claims("Send UPN and roles", &[UPN, ROLE], "userPrincipalName,tokenGroups"),
            })
        ),
        rp(
            "Intranet Wiki",
            &["https://wiki.contoso.com/"],
            json!({
                "SamlEndpoints": [saml_endpoint("https://wiki.contoso.com/saml/acs")],
                "AccessControlPolicyName": "Permit everyone",
                "ResultantPolicy": policy_metadata("Permit users"),
                "IssuanceTransformRules": ldap_claims("Send email", &[EMAIL], "mail"),
            })
        ),
        rp(
            "Legacy Timesheets",
            &["urn:contoso:timesheets"],
            json!({
                "Enabled": false,
                "AlwaysRequireAuthentication": true,
                "AdditionalAuthenticationRules": mfa_rule(&format!("c:[Type == \"{GROUP_SID}\", Value == \"{}\"]", g.payroll_admins)),
                // A rule typed by hand long ago: missing its closing parenthesis.
                "IssuanceTransformRules": format!("c:[Type == \"{UPN}\"]\n => issue(Type = \"{NAME}\", Value = c.Value;"),
            })
        ),
    ]);

    let global = json!({
        "AdditionalAuthenticationProvider": ["AzureMfaServerAuthentication", "AzureMfaAuthentication"],
        "DeviceAuthenticationEnabled": false,
        "DeviceAuthenticationMethod": 3,
        "PrimaryExtranetAuthenticationProvider": ["FormsAuthentication"],
        "PrimaryIntranetAuthenticationProvider": ["WindowsAuthentication", "FormsAuthentication"],
        "WindowsIntegratedFallbackEnabled": true,
        "ClientAuthenticationMethods": 15
    });
    let global_rule = format!("{}\n{}\n", extranet_mfa(), route(&g.migrated, false));
    let provider = |name: &str, admin: &str, additional: bool, custom: bool| {
        json!({"AdminName": admin, "AllowedForPrimaryExtranet": !additional,
            "AllowedForPrimaryIntranet": !additional, "AllowedForAdditionalAuthentication": additional,
            "AuthenticationMethods": [], "Descriptions": {}, "DisplayNames": {}, "Name": name,
            "IdentityClaims": [], "IsCustom": custom, "RequiresIdentity": additional})
    };
    let providers = json!([
        provider("FormsAuthentication", "Forms Authentication", false, false),
        provider(
            "WindowsAuthentication",
            "Windows Authentication",
            false,
            false
        ),
        provider(
            "CertificateAuthentication",
            "Certificate Authentication",
            true,
            false
        ),
        provider(
            "AzureMfaServerAuthentication",
            "Azure Multi-Factor Authentication Server",
            true,
            true
        ),
        provider("AzureMfaAuthentication", "Azure MFA", true, false),
    ]);
    let acp = |name: &str, summary: &str, used: usize| {
        json!({"Name": name, "Identifier": name.replace(' ', ""), "IsBuiltIn": true,
            "RpUsageCount": used, "LastUpdateTime": UPDATED, "Description": null,
            "PolicyMetadata": policy_metadata(summary), "AssignedTo": []})
    };
    let acps = json!([
        acp("Permit everyone", "Permit users", 1),
        acp(
            "Permit everyone and require MFA",
            "Permit users\n  and require multi-factor authentication",
            1
        ),
        acp(
            "Permit everyone and require MFA from extranet access",
            "Permit users\n  and require multi-factor authentication when the request is from extranet",
            1
        ),
        acp(
            "Permit everyone for intranet access",
            "Permit users from intranet",
            0
        ),
    ]);
    let farm = json!({
        "CurrentFarmBehavior": level,
        "FarmNodes": [
            {"FQDN": format!("adfs01.{DOMAIN}"), "BehaviorLevel": level, "HeartbeatTmeUtc": UPDATED, "NodeType": "PrimaryComputer"},
            {"FQDN": format!("adfs02.{DOMAIN}"), "BehaviorLevel": level, "HeartbeatTmeUtc": UPDATED, "NodeType": "SecondaryComputer"}
        ]
    });

    let nps_client = |tag: &str, name: &str, address: &str, vendor: u32, secret_label: &str| {
        format!(
            "<{tag} name=\"{name}\"><Properties>\n\
             <IP_Address dt:dt=\"string\">{address}</IP_Address>\n\
             <NAS_Manufacturer dt:dt=\"int\">{vendor}</NAS_Manufacturer>\n\
             <Radius_Client_Enabled dt:dt=\"boolean\">1</Radius_Client_Enabled>\n\
             <Require_Signature dt:dt=\"boolean\">0</Require_Signature>\n\
             <Shared_Secret dt:dt=\"string\">{}</Shared_Secret>\n\
             </Properties></{tag}>\n",
            secret(seed, secret_label)
        )
    };
    let remote = |tag: &str, host: &str, secret_label: &str| {
        format!(
            "<{tag} name=\"{host}\"><Properties>\n\
             <Server_Address dt:dt=\"string\">{host}</Server_Address>\n\
             <Authentication_Port dt:dt=\"int\">1812</Authentication_Port>\n\
             <Authentication_Secret dt:dt=\"string\">{}</Authentication_Secret>\n\
             </Properties></{tag}>\n",
            secret(seed, secret_label)
        )
    };
    let nps_xml = format!(
        "<?xml version=\"1.0\"?>\n<Root xmlns:dt=\"urn:schemas-microsoft-com:datatypes\"><Children>\n\
         <Microsoft_Internet_Authentication_Service name=\"Microsoft_Internet_Authentication_Service\"><Children>\n\
         <Protocols name=\"Protocols\"><Children>\n\
         <Microsoft_Radius_Protocol name=\"Microsoft_Radius_Protocol\"><Children>\n\
         <Clients name=\"Clients\"><Children>\n{}{}{}{}</Children></Clients>\n\
         </Children></Microsoft_Radius_Protocol>\n</Children></Protocols>\n\
         <RADIUS_Server_Groups name=\"RADIUS_Server_Groups\"><Children>\n\
         <MFA_Servers name=\"MFA Servers\"><Properties><Description dt:dt=\"string\">MFA Server for RD Gateway</Description></Properties><Children>\n{}{}\
         </Children></MFA_Servers>\n</Children></RADIUS_Server_Groups>\n\
         </Children></Microsoft_Internet_Authentication_Service>\n</Children></Root>\n",
        nps_client(
            "VPN_concentrator",
            "VPN concentrator",
            &vpn_address,
            9,
            "vpn"
        ),
        nps_client(
            "RD_Gateway",
            "RD Gateway",
            &format!("rdgw.{DOMAIN}"),
            311,
            "rdgw"
        ),
        nps_client(
            "MFA01",
            "MFA01",
            &format!("mfa01.{DOMAIN}"),
            0,
            "mfa01-client"
        ),
        nps_client(
            "Wireless_Controller",
            "Wireless Controller",
            &format!("10.{net}.20.11"),
            0,
            "wlc"
        ),
        remote("mfa01", &format!("mfa01.{DOMAIN}"), "mfa01-server"),
        remote("mfa02", &format!("mfa02.{DOMAIN}"), "mfa02-server"),
    );
    let nps_json = json!({
        "Name": "Branch VPN (nps02)",
        "Address": format!("10.{net}.40.2"),
        "AuthAttributeRequired": false,
        "SharedSecret": secret(seed, "branch"),
        "VendorName": "RADIUS Standard",
        "Enabled": true
    });

    let pretty = |v: &Value| {
        let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
        s.push_str("\r\n");
        s.into_bytes()
    };
    // `Get-AdfsAdditionalAuthenticationRule > rule.txt` in Windows PowerShell 5.1 writes
    // UTF-16 LE with a BOM and CRLF line ends.
    let mut rule_bytes = vec![0xFF, 0xFE];
    for u in global_rule.replace('\n', "\r\n").encode_utf16() {
        rule_bytes.extend(u.to_le_bytes());
    }
    vec![
        ("adfs-relying-parties.json", pretty(&rps)),
        ("adfs-global-policy.json", pretty(&global)),
        ("adfs-global-rule.txt", rule_bytes),
        ("adfs-providers.json", pretty(&providers)),
        ("adfs-access-control-policies.json", pretty(&acps)),
        ("adfs-farm.json", pretty(&farm)),
        ("nps-export.xml", nps_xml.into_bytes()),
        ("nps-clients.json", pretty(&nps_json)),
    ]
}

const AUTHN_METHODS_REFERENCES_TYPE: &str = super::rule_checks::AUTHN_METHODS_REFERENCES;

/// Which exports are AD FS's and which NPS's (for `--adfs` / `--nps`).
pub fn is_nps_file(name: &str) -> bool {
    name.starts_with("nps")
}

/// Write the demo's exports into `dir` (created if missing, mode 0700), each file new
/// with mode 0600 (an existing file of the same name is replaced; a symlink is refused).
/// Returns the paths written, AD FS files first.
pub fn write_exports(dir: &Path, seed: u64) -> std::io::Result<Vec<PathBuf>> {
    crate::config::ensure_private_dir(dir)?;
    let pop = Population::new(seed, 0);
    let mut out = Vec::new();
    for (name, bytes) in exports(&pop) {
        let path = dir.join(name);
        write_new_private(&path, &bytes)?;
        out.push(path);
    }
    Ok(out)
}

/// Write `bytes` to a new file at `path` with mode 0600. An existing regular file is
/// replaced; a symlink there is refused, never followed.
pub fn write_new_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("{} is a symlink; not following it", path.display()),
            ));
        }
        Ok(_) => std::fs::remove_file(path)?,
        Err(_) => {}
    }
    let mut opts = std::fs::OpenOptions::new();
    // `create_new` fails on any existing path, a symlink planted since included.
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}
