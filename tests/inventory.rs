//! The inventory's classification rules, one named test each, on fixtures written from
//! the cmdlets' documented property names (`Get-AdfsRelyingPartyTrust`,
//! `Get-AdfsGlobalAuthenticationPolicy`, `Get-AdfsAuthenticationProvider`,
//! `Get-AdfsAccessControlPolicy`, `Get-AdfsFarmInformation`, `netsh nps export`), with
//! relying parties and policies modelled on the AD FS app-migration module's samples.

use mfa_cutover::datafile::{AuthService, Server, ServerRole, ServiceKind, Settings};
use mfa_cutover::inventory::{
    Decision, Dependence, Exports, Hint, Input, Inventory, Item, ItemId, ItemKind, Options,
    PathKind, Readiness, Status, Subject,
};
use serde_json::{Value, json};

const AUTHN: &str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/authenticationmethod";
const MULTI: &str = "http://schemas.microsoft.com/claims/multipleauthn";
const GSID: &str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groupsid";
const PROVIDERS: &str = "http://schemas.microsoft.com/claims/authnmethodsproviders";
const MIGRATED: &str = "S-1-5-21-1111-2222-3333-5001";

fn routing(group: &str) -> String {
    format!(
        "c:[Type == \"{GSID}\", Value == \"{group}\"] => issue(Type = \"{PROVIDERS}\", Value = \"AzureMfaAuthentication\");\n\
         not exists([Type == \"{GSID}\", Value==\"{group}\"]) => issue(Type = \"{PROVIDERS}\", Value = \"AzureMfaServerAuthentication\");"
    )
}

fn extranet_mfa() -> String {
    format!(
        "c:[Type == \"http://schemas.microsoft.com/ws/2012/01/insidecorporatenetwork\", Value == \"false\"] => issue(Type = \"{AUTHN}\", Value = \"{MULTI}\");"
    )
}

fn rp(name: &str, extra: Value) -> Value {
    let mut v = json!({
        "Name": name,
        "Identifier": [format!("https://{}.contoso.com/", name.to_lowercase().replace(' ', ""))],
        "Enabled": true,
        "ClaimsProviderName": ["Active Directory"],
        "AdditionalAuthenticationRules": null,
        "IssuanceAuthorizationRules": "@RuleTemplate = \"AllowAllAuthzRule\"\n => issue(Type = \"http://schemas.microsoft.com/authorization/claims/permit\", Value = \"true\");",
        "IssuanceTransformRules": "@RuleTemplate = \"LdapClaims\"\n@RuleName = \"UPN\"\nc:[Type == \"http://schemas.microsoft.com/ws/2008/06/identity/claims/windowsaccountname\", Issuer == \"AD AUTHORITY\"]\n => issue(store = \"Active Directory\", types = (\"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn\"), query = \";userPrincipalName;{0}\", param = c.Value);",
        "AccessControlPolicyName": null,
        "TokenLifetime": 0,
        "LastUpdateTime": "/Date(1736496000000)/"
    });
    if let (Value::Object(m), Value::Object(e)) = (&mut v, extra) {
        m.extend(e);
    }
    v
}

fn providers(with_server: bool) -> Value {
    let mut v = vec![
        json!({"Name": "FormsAuthentication", "AdminName": "Forms Authentication", "AllowedForAdditionalAuthentication": false, "IsCustom": false}),
        json!({"Name": "AzureMfaAuthentication", "AdminName": "Azure MFA", "AllowedForAdditionalAuthentication": true, "IsCustom": false}),
    ];
    if with_server {
        v.push(json!({"Name": "AzureMfaServerAuthentication", "AdminName": "Azure Multi-Factor Authentication Server", "AllowedForAdditionalAuthentication": true, "IsCustom": true}));
    }
    Value::Array(v)
}

fn global(list: &[&str]) -> Value {
    json!({"AdditionalAuthenticationProvider": list,
        "PrimaryIntranetAuthenticationProvider": ["WindowsAuthentication"],
        "PrimaryExtranetAuthenticationProvider": ["FormsAuthentication"]})
}

/// A farm: the relying parties, the provider list with MFA Server's adapter, the global
/// policy offering it, at behavior level `level`.
struct Farm {
    files: Vec<(String, Vec<u8>, Hint)>,
}

impl Farm {
    fn new(rps: Vec<Value>) -> Farm {
        let mut f = Farm { files: Vec::new() };
        f.json("rp.json", Value::Array(rps));
        f.json("providers.json", providers(true));
        f.json("global.json", global(&["AzureMfaServerAuthentication"]));
        f
    }

    fn json(&mut self, name: &str, v: Value) -> &mut Farm {
        self.files
            .push((name.into(), v.to_string().into_bytes(), Hint::Adfs));
        self
    }

    fn text(&mut self, name: &str, t: &str, hint: Hint) -> &mut Farm {
        self.files.push((name.into(), t.as_bytes().to_vec(), hint));
        self
    }

    fn replace(&mut self, name: &str, v: Value) -> &mut Farm {
        self.files.retain(|(n, ..)| n != name);
        self.json(name, v)
    }

    fn exports(&self) -> Exports {
        let mut e = Exports::default();
        for (name, bytes, hint) in &self.files {
            e.read_export(name, bytes, *hint)
                .unwrap_or_else(|err| panic!("{name}: {err}"));
        }
        e
    }

    fn inventory(&self) -> Inventory {
        self.inventory_with(None, None, Options::default())
    }

    fn inventory_with(
        &self,
        services: Option<&[AuthService]>,
        settings: Option<&Settings>,
        options: Options,
    ) -> Inventory {
        let servers = [Server {
            name: "MFA01.contoso.com".into(),
            role: ServerRole::Primary,
            version: None,
            last_seen_at: None,
        }];
        Inventory::build(&Input {
            services,
            settings,
            servers: Some(&servers),
            exports: &self.exports(),
            options,
        })
    }
}

fn item<'i>(inv: &'i Inventory, name: &str) -> &'i Item {
    inv.items
        .iter()
        .find(|i| i.name == name)
        .unwrap_or_else(|| {
            panic!(
                "no item {name}: {:?}",
                inv.items.iter().map(|i| &i.name).collect::<Vec<_>>()
            )
        })
}

fn rules(item: &Item) -> Vec<&str> {
    item.findings.iter().map(|f| f.rule.as_str()).collect()
}

fn service(
    kind: ServiceKind,
    name: &str,
    address: &str,
    detail: Value,
    enabled: bool,
) -> AuthService {
    AuthService {
        kind,
        name: name.into(),
        address: Some(address.into()),
        detail: match detail {
            Value::Object(m) => m,
            _ => serde_json::Map::new(),
        },
        enabled,
    }
}

// ---------------------------------------------------------------------------------------
// AD FS relying parties
// ---------------------------------------------------------------------------------------

#[test]
fn inv_acp_an_access_control_policy_requiring_mfa_keeps_users_on_mfa_server() {
    let inv = Farm::new(vec![rp(
        "Expenses",
        json!({"AccessControlPolicyName": "Permit everyone and require MFA"}),
    )])
    .inventory();
    let i = item(&inv, "Expenses");
    assert_eq!(i.dependence, Dependence::Yes);
    assert!(rules(i).contains(&"INV-ACP"), "{:?}", i.findings);
    assert_eq!(i.providers, vec!["AzureMfaServerAuthentication"]);
    let keeps = inv.keeps_users_on_mfa_server();
    assert!(keeps.iter().any(|f| f.rule.as_str() == "INV-ACP"));
}

#[test]
fn inv_acp_a_custom_policy_is_judged_by_its_exported_summary() {
    let mut farm = Farm::new(vec![rp(
        "Finance",
        json!({"AccessControlPolicyName": "Finance only"}),
    )]);
    assert_eq!(
        item(&farm.inventory(), "Finance").dependence,
        Dependence::Possibly
    );
    farm.json(
        "acp.json",
        json!([{"Name": "Finance only", "IsBuiltIn": false, "RpUsageCount": 1,
            "PolicyMetadata": {"IsParameterized": false, "Summary": "Permit users in Finance\n and require multi-factor authentication"}}]),
    );
    assert_eq!(
        item(&farm.inventory(), "Finance").dependence,
        Dependence::Yes
    );
}

#[test]
fn inv_acp_on_the_entra_relying_party_says_staged_rollout_does_not_help() {
    let inv = Farm::new(vec![rp(
        "Microsoft Office 365 Identity Platform",
        json!({"Identifier": ["urn:federation:MicrosoftOnline"], "AccessControlPolicyName": "Permit everyone and require MFA"}),
    )])
    .inventory();
    let i = item(&inv, "Microsoft Office 365 Identity Platform");
    assert_eq!(i.path, PathKind::StagedRolloutAndFederation);
    let acp = i
        .findings
        .iter()
        .find(|f| f.rule.as_str() == "INV-ACP")
        .expect("INV-ACP");
    assert!(acp.text.contains("Staged Rollout"), "{}", acp.text);
}

#[test]
fn inv_rp_mfa_additional_rules_require_mfa_on_premises() {
    let inv = Farm::new(vec![rp(
        "Tableau",
        json!({"AdditionalAuthenticationRules": extranet_mfa()}),
    )])
    .inventory();
    let i = item(&inv, "Tableau");
    assert_eq!(i.dependence, Dependence::Yes);
    assert!(rules(i).contains(&"INV-RP-MFA"));
    assert!(
        i.rules.iter().any(|q| q.why.contains("requires MFA")),
        "the rule is quoted: {:?}",
        i.rules
    );
}

#[test]
fn inv_rp_an_app_without_mfa_is_listed_but_needs_no_decision() {
    let inv = Farm::new(vec![rp(
        "Wiki",
        json!({"AccessControlPolicyName": "Permit everyone"}),
    )])
    .inventory();
    let i = item(&inv, "Wiki");
    assert_eq!(i.dependence, Dependence::No);
    assert_eq!(i.path, PathKind::NoAction);
    assert!(!i.needs_decision());
}

#[test]
fn inv_rp_mfa_only_from_entra_is_no_dependency() {
    let mut farm = Farm::new(vec![rp(
        "Tableau",
        json!({"AdditionalAuthenticationRules": extranet_mfa()}),
    )]);
    farm.replace("global.json", global(&["AzureMfaAuthentication"]));
    let i = farm.inventory();
    let t = item(&i, "Tableau");
    assert_eq!(t.dependence, Dependence::No, "{t:#?}");
    assert_eq!(t.providers, vec!["AzureMfaAuthentication"]);
}

#[test]
fn inv_global_mfa_rules_make_every_relying_party_ask_for_mfa() {
    let mut farm = Farm::new(vec![rp("Wiki", json!({}))]);
    farm.text("rule.txt", &extranet_mfa(), Hint::Adfs);
    let inv = farm.inventory();
    assert_eq!(item(&inv, "Wiki").dependence, Dependence::Yes);
    let g = item(&inv, "AD FS global authentication policy");
    let f = g
        .findings
        .iter()
        .find(|f| f.rule.as_str() == "INV-GLOBAL-MFA")
        .expect("INV-GLOBAL-MFA");
    assert!(
        f.text.contains("idpinitiatedsignon.aspx?loginToRp="),
        "{}",
        f.text
    );
}

#[test]
fn inv_route_a_rule_sending_users_to_mfa_server_is_flagged_with_the_real_provider_name() {
    let mut farm = Farm::new(vec![rp(
        "Payroll",
        json!({"AdditionalAuthenticationRules": format!("{}\n{}", extranet_mfa(), routing(MIGRATED))}),
    )]);
    farm.replace(
        "global.json",
        global(&["AzureMfaServerAuthentication", "AzureMfaAuthentication"]),
    );
    let inv = farm.inventory();
    let i = item(&inv, "Payroll");
    assert!(rules(i).contains(&"INV-ROUTE"), "{:?}", i.findings);
    assert_eq!(
        i.providers,
        vec!["AzureMfaAuthentication", "AzureMfaServerAuthentication"]
    );
}

#[test]
fn inv_adapter_registered_and_offered_by_the_global_policy() {
    let inv = Farm::new(vec![]).inventory();
    let a = item(&inv, "AzureMfaServerAuthentication");
    assert_eq!(a.kind, ItemKind::AdfsAdapter);
    assert_eq!(a.path, PathKind::ReplaceAdapter);
    assert!(a.flags.iter().any(|f| f.contains("global policy")));
    let g = item(&inv, "AD FS global authentication policy");
    assert!(rules(g).contains(&"INV-ADAPTER"));
}

#[test]
fn inv_adapter_is_found_by_its_admin_name_when_renamed() {
    let mut farm = Farm::new(vec![]);
    farm.replace(
        "providers.json",
        json!([{"Name": "ContosoMfa", "AdminName": "Azure Multi-Factor Authentication Server", "AllowedForAdditionalAuthentication": true}]),
    );
    let inv = farm.inventory();
    assert_eq!(item(&inv, "ContosoMfa").kind, ItemKind::AdfsAdapter);
}

#[test]
fn inv_choose_two_providers_and_no_routing_means_users_pick() {
    let mut farm = Farm::new(vec![]);
    farm.replace(
        "global.json",
        global(&["AzureMfaServerAuthentication", "AzureMfaAuthentication"]),
    );
    let g = farm.inventory();
    assert!(rules(item(&g, "AD FS global authentication policy")).contains(&"INV-CHOOSE"));
}

#[test]
fn inv_provider_a_rule_naming_an_unregistered_provider() {
    let rule = format!(
        "c:[] => issue(Type = \"{PROVIDERS}\", Value = \"DuoAdfsAdapter\");\n{}",
        extranet_mfa()
    );
    let inv = Farm::new(vec![rp(
        "App",
        json!({"AdditionalAuthenticationRules": rule}),
    )])
    .inventory();
    assert!(rules(item(&inv, "App")).contains(&"INV-PROVIDER"));
}

#[test]
fn inv_https_claim_types_never_fire_and_are_flagged() {
    let rule = routing(MIGRATED).replace("http://schemas", "https://schemas");
    let inv = Farm::new(vec![rp(
        "Payroll",
        json!({"AdditionalAuthenticationRules": format!("{}\n{rule}", extranet_mfa())}),
    )])
    .inventory();
    let i = item(&inv, "Payroll");
    assert_eq!(rules(i).iter().filter(|r| **r == "INV-HTTPS").count(), 2);
    assert!(
        !rules(i).contains(&"INV-ROUTE"),
        "a rule that never fires routes nobody"
    );
    let chain = inv.why("Payroll", &Subject::default()).expect("found");
    assert!(chain.steps.iter().any(|s| s.effect.contains("never fires")));
}

#[test]
fn inv_unparsed_a_rule_that_does_not_parse_is_kept_and_shown() {
    let bad = "c:[Type == \"http://x\"] => issue(Type = \"http://y\", Value = c.Value;";
    let inv = Farm::new(vec![rp("Old", json!({"IssuanceTransformRules": bad}))]).inventory();
    let i = item(&inv, "Old");
    let f = i
        .findings
        .iter()
        .find(|f| f.rule.as_str() == "INV-UNPARSED")
        .expect("INV-UNPARSED");
    assert!(f.text.contains("line 1, column"), "{}", f.text);
    assert!(
        i.rules.iter().any(|q| q.text == bad),
        "quoted as written: {:?}",
        i.rules
    );
}

#[test]
fn inv_fbl_below_4_is_flagged_when_routing_is_planned_or_present() {
    let mut farm = Farm::new(vec![]);
    farm.json(
        "farm.json",
        json!({"CurrentFarmBehavior": 3, "FarmNodes": [{"FQDN": "adfs01.contoso.com"}]}),
    );
    let quiet = farm.inventory();
    assert!(!rules(item(&quiet, "AD FS global authentication policy")).contains(&"INV-FBL"));
    let planned = farm.inventory_with(
        None,
        None,
        Options {
            group_routing_planned: true,
        },
    );
    assert!(rules(item(&planned, "AD FS global authentication policy")).contains(&"INV-FBL"));
    farm.text("rule.txt", &routing(MIGRATED), Hint::Adfs);
    let present = farm.inventory();
    assert!(rules(item(&present, "AD FS global authentication policy")).contains(&"INV-FBL"));
    farm.replace("farm.json", json!({"CurrentFarmBehavior": 4}));
    assert!(
        !rules(item(
            &farm.inventory(),
            "AD FS global authentication policy"
        ))
        .contains(&"INV-FBL")
    );
}

#[test]
fn inv_move_each_failing_test_of_the_app_migration_module() {
    let cases: [(&str, Value, &str); 7] = [
        (
            "wsfed",
            json!({"AdditionalWSFedEndpoint": ["https://a/", "https://b/"]}),
            "WS-Federation",
        ),
        (
            "acr",
            json!({"AllowedAuthenticationClassReferences": ["urn:oasis:names:tc:SAML:2.0:ac:classes:Kerberos"]}),
            "AllowedAuthenticationClassReferences",
        ),
        (
            "always",
            json!({"AlwaysRequireAuthentication": true}),
            "AlwaysRequireAuthentication",
        ),
        (
            "cps",
            json!({"ClaimsProviderName": ["Active Directory", "Fabrikam"]}),
            "2 claims providers",
        ),
        (
            "cp",
            json!({"ClaimsProviderName": ["Fabrikam"]}),
            "other than Active Directory",
        ),
        (
            "nameid",
            json!({"EncryptedNameIdRequired": true, "EncryptionCertificate": {"Thumbprint": "AB"}}),
            "encrypted NameID",
        ),
        ("lifetime", json!({"TokenLifetime": 5}), "under 10"),
    ];
    for (name, extra, needle) in cases {
        let mut extra = extra;
        if let Value::Object(m) = &mut extra {
            m.insert(
                "AdditionalAuthenticationRules".into(),
                json!(extranet_mfa()),
            );
        }
        let inv = Farm::new(vec![rp(name, extra)]).inventory();
        let i = item(&inv, name);
        assert_eq!(i.readiness, Some(Readiness::AdditionalSteps), "{name}");
        assert_eq!(i.path, PathKind::KeepAdfsWithEntraMfa, "{name}");
        assert!(
            i.findings
                .iter()
                .any(|f| f.rule.as_str() == "INV-MOVE" && f.text.contains(needle)),
            "{name}: {:?}",
            i.findings
        );
    }
}

#[test]
fn inv_move_review_warnings_and_rule_codes_with_the_rule_quoted() {
    let transform = "c:[Type == \"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn\"] => add(Type = \"urn:x:sam\", Value = RegexReplace(c.Value, \"@.*\", \"\"));\n\
                     c:[Type == \"urn:x:sam\"] => issue(store = \"HR SQL\", types = (\"urn:x:cc\"), query = \"q\", param = c.Value);";
    let inv = Farm::new(vec![rp(
        "HR",
        json!({"AdditionalAuthenticationRules": extranet_mfa(), "IssuanceTransformRules": transform,
            "AutoUpdateEnabled": true, "MonitoringEnabled": "True", "NotBeforeSkew": 2,
            "SignedSamlRequestsRequired": 1, "RequestMFAFromClaimsProviders": true}),
    )])
    .inventory();
    let i = item(&inv, "HR");
    assert_eq!(i.readiness, Some(Readiness::NeedsReview));
    let quoted: Vec<&str> = i.rules.iter().map(|q| q.why.as_str()).collect();
    assert!(
        quoted
            .iter()
            .any(|w| w.contains("UNSUPPORTED_ISSUANCE_CLASS")
                && w.contains("UNSUPPORTED_ISSUANCE_TRANSFORMATION")),
        "{quoted:?}"
    );
    assert!(
        quoted
            .iter()
            .any(|w| w.contains("EXTERNAL_ATTRIBUTE_STORE")),
        "{quoted:?}"
    );
    let texts: Vec<&str> = i.findings.iter().map(|f| f.text.as_str()).collect();
    for needle in [
        "AutoUpdateEnabled",
        "MonitoringEnabled",
        "NotBeforeSkew",
        "SignedSamlRequestsRequired",
        "RequestMFAFromClaimsProviders",
    ] {
        assert!(
            texts.iter().any(|t| t.contains(needle)),
            "{needle}: {texts:?}"
        );
    }
}

#[test]
fn inv_move_a_ready_app_is_recommended_to_move() {
    let inv = Farm::new(vec![rp(
        "Tableau",
        json!({"AdditionalAuthenticationRules": extranet_mfa()}),
    )])
    .inventory();
    let i = item(&inv, "Tableau");
    assert_eq!(i.readiness, Some(Readiness::Ready));
    assert_eq!(i.path, PathKind::MoveAppToEntra);
}

#[test]
fn inv_idle_a_disabled_relying_party_is_to_be_removed() {
    let inv = Farm::new(vec![rp(
        "Old",
        json!({"Enabled": false, "AdditionalAuthenticationRules": extranet_mfa()}),
    )])
    .inventory();
    let i = item(&inv, "Old");
    assert_eq!(i.path, PathKind::Remove);
    assert_eq!(i.dependence, Dependence::No);
    assert!(rules(i).contains(&"INV-IDLE"));
}

#[test]
fn inv_depth_a_truncated_export_is_noted_not_guessed() {
    let inv = Farm::new(vec![rp(
        "Cut",
        json!({"ClaimsProviderName": "System.Object[]", "ResultantPolicy": "Microsoft.IdentityServer.PolicyModel.Configuration.PolicyTemplate.PolicyMetadata"}),
    )])
    .inventory();
    assert!(
        inv.notes
            .iter()
            .any(|n| n.rule.as_str() == "INV-DEPTH" && n.text.contains("ClaimsProviderName"))
    );
}

#[test]
fn one_object_instead_of_an_array_dates_and_enums_are_read() {
    let mut farm = Farm { files: Vec::new() };
    farm.json(
        "rp.json",
        rp("Solo", json!({"SamlResponseSignature": 2, "LastUpdateTime": {"value": "/Date(1736496000000)/", "DateTime": "Friday"}})),
    );
    let e = farm.exports();
    assert_eq!(e.relying_parties.len(), 1);
    assert_eq!(e.relying_parties[0].origin.place, "$");
}

// ---------------------------------------------------------------------------------------
// Data file services, NPS, settings
// ---------------------------------------------------------------------------------------

#[test]
fn inv_radius_a_client_without_modern_auth_goes_to_the_nps_extension_with_what_bites() {
    let s = [service(
        ServiceKind::Radius,
        "Wireless",
        "10.0.20.10",
        json!({"application_name": "Aruba controller"}),
        true,
    )];
    let inv = Farm { files: Vec::new() }.inventory_with(Some(&s), None, Options::default());
    let i = item(&inv, "Wireless");
    assert_eq!(i.path, PathKind::NpsExtension);
    assert!(rules(i).contains(&"INV-RADIUS"));
    for flag in ["registered first", "default method", "MSCHAPv2"] {
        assert!(
            i.flags.iter().any(|f| f.contains(flag)),
            "{flag}: {:?}",
            i.flags
        );
    }
}

#[test]
fn inv_radius_a_saml_capable_vpn_is_federated_instead() {
    let s = [service(
        ServiceKind::Radius,
        "VPN",
        "10.0.10.5",
        json!({"application_name": "Cisco ASA"}),
        true,
    )];
    let inv = Farm { files: Vec::new() }.inventory_with(Some(&s), None, Options::default());
    assert_eq!(item(&inv, "VPN").path, PathKind::FederateWithEntra);
}

const NPS_XML: &str = r#"<?xml version="1.0"?>
<Root xmlns:dt="urn:schemas-microsoft-com:datatypes"><Children>
<Microsoft_Internet_Authentication_Service name="Microsoft_Internet_Authentication_Service"><Children>
<Protocols name="Protocols"><Children><Microsoft_Radius_Protocol name="Microsoft_Radius_Protocol"><Children>
<Clients name="Clients"><Children>
<VPN name="VPN"><Properties><IP_Address dt:dt="string">10.0.10.5</IP_Address><Shared_Secret dt:dt="string">nps-secret-1</Shared_Secret></Properties></VPN>
<RDG name="RD Gateway"><Properties><IP_Address dt:dt="string">rdgw.contoso.com</IP_Address><Shared_Secret dt:dt="string">nps-secret-2</Shared_Secret></Properties></RDG>
<MFA01 name="MFA01"><Properties><IP_Address dt:dt="string">mfa01.contoso.com</IP_Address></Properties></MFA01>
</Children></Clients></Children></Microsoft_Radius_Protocol></Children></Protocols>
<RADIUS_Server_Groups name="RADIUS_Server_Groups"><Children>
<Group name="Second factor"><Children>
<S1 name="mfa01"><Properties><Server_Address dt:dt="string">MFA01.contoso.com</Server_Address><Authentication_Secret dt:dt="string">nps-secret-3</Authentication_Secret></Properties></S1>
</Children></Group></Children></RADIUS_Server_Groups>
</Children></Microsoft_Internet_Authentication_Service></Children></Root>"#;

#[test]
fn inv_nps_forwarding_to_mfa_server_and_mfa_server_as_a_client() {
    let s = [service(
        ServiceKind::Radius,
        "VPN concentrator",
        "10.0.10.5",
        json!({"application_name": "Sonicwall"}),
        true,
    )];
    let mut farm = Farm { files: Vec::new() };
    farm.text("nps.xml", NPS_XML, Hint::Nps);
    let inv = farm.inventory_with(Some(&s), None, Options::default());
    let fwd = inv
        .items
        .iter()
        .find(|i| i.kind == ItemKind::NpsRemoteServer)
        .expect("forwarding");
    assert!(rules(fwd).contains(&"INV-NPS"));
    assert_eq!(
        item(&inv, "MFA01").dependence,
        Dependence::Yes,
        "MFA Server as a RADIUS client of NPS"
    );
    assert_eq!(item(&inv, "RD Gateway").path, PathKind::NpsExtension);
    // The VPN is the data file's client: one item, with the NPS cross-check on it.
    assert!(inv.items.iter().all(|i| i.name != "VPN"));
    assert!(rules(item(&inv, "VPN concentrator")).contains(&"INV-XCHECK"));
    let all = serde_json::to_string(&inv).expect("json");
    let debug = format!("{inv:?}");
    for secret in ["nps-secret-1", "nps-secret-2", "nps-secret-3"] {
        assert!(!all.contains(secret) && !debug.contains(secret), "{secret}");
    }
}

#[test]
fn inv_xcheck_an_adapter_in_the_data_file_but_not_in_the_provider_list() {
    let s = [service(
        ServiceKind::Adfs,
        "AD FS adapter",
        "https://sts.contoso.com/adfs",
        json!({}),
        true,
    )];
    let mut farm = Farm::new(vec![]);
    farm.replace("providers.json", providers(false));
    let inv = farm.inventory_with(Some(&s), None, Options::default());
    let i = item(&inv, "AD FS adapter");
    assert!(rules(i).contains(&"INV-XCHECK"));
    assert_eq!(i.path, PathKind::Remove);
}

#[test]
fn every_service_kind_gets_its_path() {
    let s = [
        service(ServiceKind::Ldap, "HR app", "dc01:389", json!({}), true),
        service(
            ServiceKind::Ldap,
            "Password changer",
            "dc01:389",
            json!({"purpose": "password changes"}),
            true,
        ),
        service(ServiceKind::Iis, "OWA", "https://mail/owa", json!({}), true),
        service(
            ServiceKind::Windows,
            "Remote Desktop gateway",
            "rdgw",
            json!({"application": "Terminal Services"}),
            true,
        ),
        service(
            ServiceKind::UserPortal,
            "Portal",
            "https://mfa/portal",
            json!({}),
            true,
        ),
        service(
            ServiceKind::MobileAppWebService,
            "MAWS",
            "https://mfa/maws",
            json!({}),
            true,
        ),
        service(
            ServiceKind::WebServiceSdk,
            "SDK",
            "https://mfa/sdk",
            json!({}),
            true,
        ),
        service(
            ServiceKind::Radius,
            "Old Wi-Fi",
            "10.0.0.9",
            json!({}),
            false,
        ),
    ];
    let inv = Farm { files: Vec::new() }.inventory_with(Some(&s), None, Options::default());
    let want = [
        ("HR app", PathKind::FederateWithEntra),
        ("Password changer", PathKind::EntraSspr),
        ("OWA", PathKind::ApplicationProxy),
        ("Remote Desktop gateway", PathKind::NpsExtension),
        ("Portal", PathKind::RedirectPortal),
        ("MAWS", PathKind::FindCallers),
        ("SDK", PathKind::FindCallers),
        ("Old Wi-Fi", PathKind::Remove),
    ];
    for (name, path) in want {
        let i = item(&inv, name);
        assert_eq!(i.path, path, "{name}");
        assert!(
            !i.reason.is_empty() && i.uses_mfa_server_for.is_some(),
            "{name}"
        );
    }
    assert!(rules(item(&inv, "Old Wi-Fi")).contains(&"INV-IDLE"));
}

#[test]
fn inv_setting_company_and_portal_settings_follow_the_guides_tables() {
    let mut settings = Settings::default();
    for (k, v) in [
        ("phone_call_mode", "pin"),
        ("mobile_app_mode", "pin"),
        ("text_message_mode", "two_way"),
        ("language", "de"),
    ] {
        settings.company.insert(k.into(), v.into());
    }
    for (k, v) in [
        ("allow_one_time_bypass", "true"),
        ("use_security_questions", "true"),
        ("allow_enrollment", "false"),
    ] {
        settings.user_portal.insert(k.into(), v.into());
    }
    let inv = Farm { files: Vec::new() }.inventory_with(None, Some(&settings), Options::default());
    assert!(
        item(&inv, "company.phone_call_mode")
            .reason
            .contains("voice one-time")
    );
    assert!(
        item(&inv, "company.mobile_app_mode")
            .reason
            .contains("number matching")
    );
    let sms = item(&inv, "company.text_message_mode");
    assert!(
        rules(sms).contains(&"INV-SETTING")
            && sms.flags.iter().any(|f| f.contains("no Entra equivalent"))
    );
    assert_eq!(item(&inv, "company.language").path, PathKind::NoAction);
    assert!(
        item(&inv, "user_portal.allow_one_time_bypass")
            .reason
            .contains("Temporary Access Pass")
    );
    assert!(rules(item(&inv, "user_portal.use_security_questions")).contains(&"INV-SETTING"));
    assert_eq!(
        item(&inv, "user_portal.allow_enrollment").dependence,
        Dependence::No
    );
}

// ---------------------------------------------------------------------------------------
// Tracking, exports
// ---------------------------------------------------------------------------------------

#[test]
fn decisions_persist_by_id_across_a_reload_and_drive_progress() {
    let farm = Farm::new(vec![rp(
        "Expenses",
        json!({"AccessControlPolicyName": "Permit everyone and require MFA"}),
    )]);
    let first = farm.inventory();
    let id = item(&first, "Expenses").id.clone();
    assert_eq!(id, ItemId::new("adfs-rp", "EXPENSES"));
    let mut again = farm.inventory();
    let total = again.progress().total;
    let decisions: Vec<Decision> = again
        .items
        .iter()
        .filter(|i| i.needs_decision())
        .map(|i| Decision {
            item: i.id.clone(),
            path: i.path,
            status: Status::Done,
            note: "change 4711".into(),
        })
        .chain([Decision {
            item: ItemId::new("adfs-rp", "gone"),
            path: PathKind::Remove,
            status: Status::Pending,
            note: String::new(),
        }])
        .collect();
    let stale = again.apply_decisions(&decisions);
    assert_eq!(stale, vec![ItemId::new("adfs-rp", "gone")]);
    let p = again.progress();
    assert_eq!((p.total, p.decided, p.done), (total, total, total));
    assert!(p.all_decided() && p.all_closed());
    assert!(
        again.keeps_users_on_mfa_server().is_empty(),
        "done items no longer warn"
    );
}

#[test]
fn csv_and_markdown_neutralise_hostile_names() {
    let inv = Farm::new(vec![rp(
        "=HYPERLINK(\"http://evil\")|[x](y)\u{1b}[2J",
        json!({"AccessControlPolicyName": "Permit everyone and require MFA"}),
    )])
    .inventory();
    let csv = inv.to_csv().expect("csv");
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    assert!(!csv.contains('\u{1b}'));
    let md = inv.to_markdown();
    assert!(md.contains("\\|\\[x\\]\\(y\\)"), "{md}");
    assert!(!md.contains('\u{1b}'));
    assert!(!inv.render_text().contains('\u{1b}'));
}

#[test]
fn the_same_relying_party_in_two_farms_gets_two_ids() {
    let mut farm = Farm::new(vec![rp(
        "Expenses",
        json!({"AccessControlPolicyName": "Permit everyone and require MFA"}),
    )]);
    farm.json("rp-farm2.json", json!([rp("Expenses", json!({}))]));
    let inv = farm.inventory();
    let ids: Vec<&str> = inv
        .items
        .iter()
        .filter(|i| i.name == "Expenses")
        .map(|i| i.id.as_str())
        .collect();
    assert_eq!(ids, vec!["adfs-rp:expenses", "adfs-rp:expenses#2"]);
}

#[test]
fn an_empty_global_rule_file_is_an_empty_export() {
    let mut e = Exports::default();
    // What `Get-AdfsAdditionalAuthenticationRule > rule.txt` writes with no global rule.
    let kind = e.read_export("rule.txt", &[0xFF, 0xFE, b'\r', 0, b'\n', 0], Hint::Adfs);
    assert!(kind.is_ok(), "{kind:?}");
    assert!(e.global_rules.is_empty());
}

#[test]
fn every_inventory_rule_has_a_named_test_here() {
    let source = include_str!("inventory.rs");
    for rule in mfa_cutover::inventory::InvRule::ALL {
        let slug = rule
            .id()
            .trim_start_matches("INV-")
            .to_lowercase()
            .replace('-', "_");
        assert!(
            source.contains(&format!("fn inv_{slug}_")),
            "no test named inv_{slug}_… for {}",
            rule.id()
        );
    }
}
