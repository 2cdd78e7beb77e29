//! The AD FS exports, read from `ConvertTo-Json` output into the few properties the
//! classification needs. Property names are the cmdlets' own (`Get-AdfsRelyingPartyTrust`,
//! `Get-AdfsGlobalAuthenticationPolicy`, `Get-AdfsAuthenticationProvider`,
//! `Get-AdfsAccessControlPolicy`, `Get-AdfsFarmInformation`); every one is optional
//! (AD FS 2012 R2 has no access control policies), and a property cut off by `-Depth`
//! is recorded as unknown rather than guessed.

use serde::Serialize;
use serde_json::{Map, Value};

use super::claims::RuleSet;
use super::pwsh::{self, JsonPath, ShapeError};

/// One relying party trust.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelyingParty {
    pub name: String,
    pub identifiers: Vec<String>,
    pub enabled: bool,
    pub access_control_policy: Option<String>,
    /// `ResultantPolicy.Summary`: the policy in words, when the export went deep enough.
    pub resultant_summary: Option<String>,
    pub additional_authentication: RuleSet,
    pub issuance_authorization: RuleSet,
    pub issuance_transform: RuleSet,
    pub delegation_authorization: RuleSet,
    pub impersonation_authorization: RuleSet,
    /// `None`: cut off by `-Depth`.
    pub claims_providers: Option<Vec<String>>,
    pub allowed_authentication_class_references: Option<Vec<String>>,
    pub additional_wsfed_endpoints: Option<Vec<String>>,
    pub always_require_authentication: bool,
    pub auto_update_enabled: bool,
    pub monitoring_enabled: bool,
    pub encrypted_name_id_required: bool,
    pub has_encryption_certificate: bool,
    pub not_before_skew: i64,
    pub token_lifetime: i64,
    pub request_mfa_from_claims_providers: bool,
    pub signed_saml_requests_required: bool,
    pub wsfed_endpoint: Option<String>,
    pub metadata_url: Option<String>,
    /// Properties that were depth-truncated type names.
    pub truncated: Vec<String>,
}

/// `Get-AdfsGlobalAuthenticationPolicy`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GlobalPolicy {
    /// `AdditionalAuthenticationProvider`: the MFA providers offered; `None` when cut off.
    pub additional_providers: Option<Vec<String>>,
    pub primary_intranet: Vec<String>,
    pub primary_extranet: Vec<String>,
}

/// One row of `Get-AdfsAuthenticationProvider`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuthProvider {
    pub name: String,
    pub admin_name: Option<String>,
    pub allowed_for_additional: Option<bool>,
    pub is_custom: Option<bool>,
}

/// One `Get-AdfsAccessControlPolicy`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessControlPolicy {
    pub name: String,
    pub is_built_in: Option<bool>,
    /// `PolicyMetadata.Summary`, when the export went deep enough.
    pub summary: Option<String>,
    pub assigned_to: Vec<String>,
}

/// `Get-AdfsFarmInformation`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FarmInfo {
    /// `CurrentFarmBehavior`: 1 = 2012 R2, 3 = 2016, 4 = 2019, 5 = 2022.
    pub behavior_level: Option<i64>,
    pub nodes: Vec<String>,
}

// ---------------------------------------------------------------------------------------
// MFA provider names
// ---------------------------------------------------------------------------------------

/// Names MFA Server's AD FS adapter registers under (older and newer builds), per the
/// MFA Server upgrade docs: "WindowsAzureMultiFactorAuthentication" or
/// "AzureMfaServerAuthentication".
pub const MFA_SERVER_ADAPTERS: [&str; 2] = [
    "WindowsAzureMultiFactorAuthentication",
    "AzureMfaServerAuthentication",
];
/// Entra MFA's adapter built into AD FS 2016 and later.
pub const ENTRA_ADAPTER: &str = "AzureMfaAuthentication";

/// Which MFA service a provider is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    MfaServer,
    Entra,
    Other,
}

/// Classify a provider by its name, and by its admin name when the provider list has it
/// (a renamed registration still says "Multi-Factor Authentication Server").
pub fn provider_kind(name: &str, admin_name: Option<&str>) -> ProviderKind {
    if MFA_SERVER_ADAPTERS
        .iter()
        .any(|n| n.eq_ignore_ascii_case(name.trim()))
        || admin_name.is_some_and(|a| {
            let a = a.to_ascii_lowercase();
            a.contains("multi-factor authentication server") || a.contains("mfa server")
        })
    {
        ProviderKind::MfaServer
    } else if name.trim().eq_ignore_ascii_case(ENTRA_ADAPTER) {
        ProviderKind::Entra
    } else {
        ProviderKind::Other
    }
}

/// Whether an access control policy requires MFA, from its summary when known, else its
/// name (the built-in ones say "… and require MFA …"). `None`: cannot tell.
pub fn acp_requires_mfa(name: &str, summary: Option<&str>) -> Option<bool> {
    let says_mfa = |s: &str| {
        let s = s.to_ascii_lowercase();
        s.contains("multi-factor") || s.contains("multifactor") || s.contains("mfa")
    };
    if let Some(s) = summary {
        return Some(says_mfa(s));
    }
    if says_mfa(name) {
        return Some(true);
    }
    // A built-in policy without MFA in its name never requires it.
    let lower = name.to_ascii_lowercase();
    if lower.starts_with("permit everyone") || lower.starts_with("permit specific group") {
        return Some(false);
    }
    None
}

// ---------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------

/// Reads one record's properties, collecting the names of truncated ones.
struct Fields<'a> {
    obj: &'a Map<String, Value>,
    at: JsonPath,
    truncated: Vec<String>,
}

impl<'a> Fields<'a> {
    fn new(v: &'a Value, at: JsonPath, what: &str) -> Result<Fields<'a>, ShapeError> {
        match v {
            Value::Object(obj) => Ok(Fields {
                obj,
                at,
                truncated: Vec::new(),
            }),
            other => Err(ShapeError::new(&at, other, what)),
        }
    }

    fn text(&self, name: &str) -> Result<String, ShapeError> {
        pwsh::text(self.obj, name, &self.at)
    }

    fn opt_text(&mut self, name: &str) -> Result<Option<String>, ShapeError> {
        let t = pwsh::opt_text(self.obj, name, &self.at)?;
        if t.as_deref().is_some_and(pwsh::is_type_name) {
            self.truncated.push(name.to_string());
            return Ok(None);
        }
        Ok(t)
    }

    fn list(&mut self, name: &str) -> Result<Option<Vec<String>>, ShapeError> {
        let l = pwsh::text_list(self.obj, name, &self.at)?;
        if l.is_none() {
            self.truncated.push(name.to_string());
        }
        Ok(l)
    }

    fn flag(&self, name: &str) -> Result<bool, ShapeError> {
        Ok(pwsh::opt_bool(self.obj, name, &self.at)?.unwrap_or(false))
    }

    fn int(&self, name: &str) -> Result<i64, ShapeError> {
        Ok(pwsh::opt_int(self.obj, name, &self.at)?.unwrap_or(0))
    }

    fn rules(&mut self, name: &str) -> Result<RuleSet, ShapeError> {
        Ok(RuleSet::parse(
            self.opt_text(name)?.as_deref().unwrap_or(""),
        ))
    }

    /// `Outer.Summary` when `Outer` is an object (it is a type name when cut off).
    fn nested_text(&mut self, outer: &str, inner: &str) -> Result<Option<String>, ShapeError> {
        match pwsh::get(self.obj, outer) {
            Some(Value::Object(o)) => pwsh::opt_text(o, inner, &self.at.key(outer)),
            Some(Value::String(s)) if pwsh::is_type_name(s) => {
                self.truncated.push(outer.to_string());
                Ok(None)
            }
            _ => Ok(None),
        }
    }
}

pub fn relying_party(v: &Value, at: JsonPath) -> Result<RelyingParty, ShapeError> {
    let mut f = Fields::new(v, at, "a relying party trust object")?;
    let name = f.text("Name")?;
    let rp = RelyingParty {
        identifiers: f.list("Identifier")?.unwrap_or_default(),
        enabled: pwsh::opt_bool(f.obj, "Enabled", &f.at)?.unwrap_or(true),
        access_control_policy: f.opt_text("AccessControlPolicyName")?,
        resultant_summary: f.nested_text("ResultantPolicy", "Summary")?,
        additional_authentication: f.rules("AdditionalAuthenticationRules")?,
        issuance_authorization: f.rules("IssuanceAuthorizationRules")?,
        issuance_transform: f.rules("IssuanceTransformRules")?,
        delegation_authorization: f.rules("DelegationAuthorizationRules")?,
        impersonation_authorization: f.rules("ImpersonationAuthorizationRules")?,
        claims_providers: f.list("ClaimsProviderName")?,
        allowed_authentication_class_references: f.list("AllowedAuthenticationClassReferences")?,
        additional_wsfed_endpoints: f.list("AdditionalWSFedEndpoint")?,
        always_require_authentication: f.flag("AlwaysRequireAuthentication")?,
        auto_update_enabled: f.flag("AutoUpdateEnabled")?,
        monitoring_enabled: f.flag("MonitoringEnabled")?,
        encrypted_name_id_required: f.flag("EncryptedNameIdRequired")?,
        has_encryption_certificate: !matches!(
            pwsh::get(f.obj, "EncryptionCertificate"),
            None | Some(Value::Null)
        ),
        not_before_skew: f.int("NotBeforeSkew")?,
        token_lifetime: f.int("TokenLifetime")?,
        request_mfa_from_claims_providers: f.flag("RequestMFAFromClaimsProviders")?,
        signed_saml_requests_required: f.flag("SignedSamlRequestsRequired")?,
        wsfed_endpoint: f.opt_text("WSFedEndpoint")?,
        metadata_url: f.opt_text("MetadataUrl")?,
        truncated: Vec::new(),
        name,
    };
    // Dates are read only to prove they are dates: a malformed one is a shape error.
    pwsh::opt_date(f.obj, "LastUpdateTime", &f.at)?;
    Ok(RelyingParty {
        truncated: f.truncated,
        ..rp
    })
}

pub fn global_policy(v: &Value, at: JsonPath) -> Result<GlobalPolicy, ShapeError> {
    let mut f = Fields::new(v, at, "a global authentication policy object")?;
    Ok(GlobalPolicy {
        additional_providers: f.list("AdditionalAuthenticationProvider")?,
        primary_intranet: f
            .list("PrimaryIntranetAuthenticationProvider")?
            .unwrap_or_default(),
        primary_extranet: f
            .list("PrimaryExtranetAuthenticationProvider")?
            .unwrap_or_default(),
    })
}

pub fn auth_provider(v: &Value, at: JsonPath) -> Result<AuthProvider, ShapeError> {
    let mut f = Fields::new(v, at, "an authentication provider object")?;
    Ok(AuthProvider {
        name: f.text("Name")?,
        admin_name: f.opt_text("AdminName")?,
        allowed_for_additional: pwsh::opt_bool(f.obj, "AllowedForAdditionalAuthentication", &f.at)?,
        is_custom: pwsh::opt_bool(f.obj, "IsCustom", &f.at)?,
    })
}

pub fn access_control_policy(v: &Value, at: JsonPath) -> Result<AccessControlPolicy, ShapeError> {
    let mut f = Fields::new(v, at, "an access control policy object")?;
    Ok(AccessControlPolicy {
        name: f.text("Name")?,
        is_built_in: pwsh::opt_bool(f.obj, "IsBuiltIn", &f.at)?,
        summary: f.nested_text("PolicyMetadata", "Summary")?,
        assigned_to: f.list("AssignedTo")?.unwrap_or_default(),
    })
}

pub fn farm_info(v: &Value, at: JsonPath) -> Result<FarmInfo, ShapeError> {
    let mut f = Fields::new(v, at, "a farm information object")?;
    let behavior_level = match pwsh::opt_enum(f.obj, "CurrentFarmBehavior", &f.at)? {
        None => None,
        Some(v) => Some(behavior_level(&v).ok_or_else(|| {
            ShapeError {
                place: f.at.key("CurrentFarmBehavior"),
                found: format!("\"{v}\""),
                expected: "a farm behavior level: a number (1, 3, 4, 5…) or a name (Win2012R2, \
                       Win2016, Win2019, Win2022)"
                    .into(),
            }
        })?),
    };
    Ok(FarmInfo {
        behavior_level,
        nodes: f.list("FarmNodes")?.unwrap_or_default(),
    })
}

/// A farm behavior level written as a number or as its enum name.
fn behavior_level(v: &str) -> Option<i64> {
    if let Ok(n) = v.trim().parse::<i64>() {
        return Some(n);
    }
    match v.trim().to_ascii_lowercase().as_str() {
        "win2012r2" => Some(1),
        "win2016" => Some(3),
        "win2019" => Some(4),
        "win2022" | "win2025" => Some(5),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_relying_party_in_powershell_5_shape() {
        let v = json!({
            "Name": "Contoso Expenses",
            "Identifier": "https://expenses.contoso.com/",
            "Enabled": "True",
            "AccessControlPolicyName": "Permit everyone and require MFA",
            "ResultantPolicy": "Microsoft.IdentityServer.PolicyModel.Configuration.PolicyTemplate.PolicyMetadata",
            "AdditionalAuthenticationRules": null,
            "TokenLifetime": 5,
            "ClaimsProviderName": [],
            "LastUpdateTime": "/Date(1700000000000)/"
        });
        let rp = relying_party(&v, JsonPath::root()).expect("reads");
        assert_eq!(rp.identifiers, vec!["https://expenses.contoso.com/"]);
        assert!(rp.enabled);
        assert_eq!(rp.truncated, vec!["ResultantPolicy"]);
        assert_eq!(rp.token_lifetime, 5);
        assert!(rp.additional_authentication.is_empty());
    }

    #[test]
    fn a_nameless_record_names_its_place() {
        let v = json!({"Identifier": ["x"]});
        let e = relying_party(&v, JsonPath::root().index(2)).expect_err("refused");
        assert_eq!(e.place.as_str(), "$[2].Name");
        assert!(e.expected.contains("text"), "{e:?}");
    }

    #[test]
    fn farm_behavior_as_a_number_or_a_name() {
        let level = |v: Value| farm_info(&v, JsonPath::root()).map(|f| f.behavior_level);
        assert_eq!(level(json!({"CurrentFarmBehavior": 3})), Ok(Some(3)));
        assert_eq!(
            level(json!({"CurrentFarmBehavior": "Win2019"})),
            Ok(Some(4))
        );
        assert_eq!(level(json!({"FarmNodes": []})), Ok(None));
        let e = level(json!({"CurrentFarmBehavior": "soon"})).expect_err("refused");
        assert_eq!(e.place.as_str(), "$.CurrentFarmBehavior");
    }

    #[test]
    fn providers_by_name_and_admin_name() {
        assert_eq!(
            provider_kind("AzureMfaServerAuthentication", None),
            ProviderKind::MfaServer
        );
        assert_eq!(
            provider_kind(
                "CustomMfa",
                Some("Azure Multi-Factor Authentication Server")
            ),
            ProviderKind::MfaServer
        );
        assert_eq!(
            provider_kind("AzureMfaAuthentication", None),
            ProviderKind::Entra
        );
        assert_eq!(
            provider_kind("CertificateAuthentication", None),
            ProviderKind::Other
        );
    }

    #[test]
    fn access_control_policies_by_summary_then_name() {
        assert_eq!(
            acp_requires_mfa("Permit everyone and require MFA", None),
            Some(true)
        );
        assert_eq!(acp_requires_mfa("Permit everyone", None), Some(false));
        assert_eq!(acp_requires_mfa("Finance policy", None), None);
        assert_eq!(
            acp_requires_mfa(
                "Finance policy",
                Some("Permit users and require multi-factor authentication")
            ),
            Some(true)
        );
    }
}
