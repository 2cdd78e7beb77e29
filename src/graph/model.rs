//! Graph's wire types for exactly the resources the tool uses (graph-api.md §3–§8).
//!
//! Parsing is tolerant by design: unknown fields are ignored, enums keep members this
//! build does not know (`Other(String)`, e.g. `unknownFutureValue` or a newer value),
//! polymorphic lists keep unknown `@odata.type`s, `null` collections read as empty, and
//! the documented quirks (a single object wrapped in `value`, PATCH answering 200 with a
//! body or 204 without) parse. Secrets never live here: `secretKey` is not even read.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::migrate::usable::MethodRule;
use crate::migrate::{
    DeviceOwner, EntraAuthenticator, EntraDefault, EntraHardwareToken, EntraMethods, EntraPhone,
    EntraUser, HardwareStatus, InventoryDevice, PhoneSlot, PolicyFacts, PolicyMethod,
    PolicyMigration, PolicyTarget, PreferredMethod,
};

/// An enum Graph may extend ("evolvable enumerations"): known members by name, anything
/// else kept verbatim. Matching is exact first, then case-insensitive.
macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A member this build does not know.
            Other(String),
        }

        impl $name {
            /// Graph's spelling.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)+
                    $name::Other(s) => s,
                }
            }

            pub fn from_wire(s: &str) -> $name {
                match s {
                    $($wire => $name::$variant,)+
                    other => {
                        $(if other.eq_ignore_ascii_case($wire) {
                            return $name::$variant;
                        })+
                        $name::Other(other.to_string())
                    }
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                let s = String::deserialize(d)?;
                Ok($name::from_wire(&s))
            }
        }
    };
}

/// `null` and absent both read as the default (Graph sends `null` collections).
fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// One page of a collection.
#[derive(Debug, Clone, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct Page<T> {
    #[serde(rename = "@odata.context", default)]
    pub context: Option<String>,
    /// Only on the first page, only with `$count=true`.
    #[serde(rename = "@odata.count", default)]
    pub count: Option<u64>,
    #[serde(rename = "@odata.nextLink", default)]
    pub next_link: Option<String>,
    #[serde(default = "Vec::new", deserialize_with = "null_default")]
    pub value: Vec<T>,
}

/// A single object as it comes; failing that, the same object wrapped in `value` (as one
/// docs example shows for `GET …/federationConfiguration/{id}`) or a one-element `value`
/// list.
pub(crate) fn parse_single<T: DeserializeOwned>(body: &[u8]) -> Result<T, serde_json::Error> {
    let v: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        serde_json::from_slice(body)?
    };
    let direct = T::deserialize(&v);
    if direct.is_ok() {
        return direct;
    }
    if let Value::Object(map) = &v {
        let only_value = map
            .keys()
            .filter(|k| !k.starts_with("@odata."))
            .all(|k| k == "value");
        if only_value {
            match map.get("value") {
                Some(Value::Array(items)) if items.len() == 1 => {
                    return T::deserialize(&items[0]);
                }
                Some(inner @ Value::Object(_)) => return T::deserialize(inner),
                _ => {}
            }
        }
    }
    direct
}

// ---------------------------------------------------------------------------------
// Users, groups, directory objects (§3)
// ---------------------------------------------------------------------------------

/// The properties read for every user: on-premises attributes need `$select` (§3.1).
pub const USER_SELECT: &[&str] = &[
    "id",
    "userPrincipalName",
    "displayName",
    "mail",
    "employeeId",
    "accountEnabled",
    "onPremisesSecurityIdentifier",
    "onPremisesSamAccountName",
    "onPremisesDomainName",
    "onPremisesUserPrincipalName",
    "onPremisesSyncEnabled",
];

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    #[serde(default)]
    pub user_principal_name: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub mail: Option<String>,
    #[serde(default)]
    pub employee_id: Option<String>,
    #[serde(default)]
    pub account_enabled: Option<bool>,
    #[serde(default)]
    pub on_premises_security_identifier: Option<String>,
    #[serde(default)]
    pub on_premises_sam_account_name: Option<String>,
    #[serde(default)]
    pub on_premises_domain_name: Option<String>,
    #[serde(default)]
    pub on_premises_user_principal_name: Option<String>,
    #[serde(default)]
    pub on_premises_sync_enabled: Option<bool>,
    /// Further selected properties (`extensionAttribute…`, custom matching attributes).
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

impl User {
    /// The planner's view: named properties plus every further string property, nested
    /// objects flattened as `parent.child` (`onPremisesExtensionAttributes.extensionAttribute1`).
    pub fn into_entra(self) -> EntraUser {
        let mut attributes = BTreeMap::new();
        let mut put = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                attributes.insert(k.to_string(), v.clone());
            }
        };
        put("mail", &self.mail);
        put("employeeId", &self.employee_id);
        put(
            "onPremisesSamAccountName",
            &self.on_premises_sam_account_name,
        );
        put("onPremisesDomainName", &self.on_premises_domain_name);
        put(
            "onPremisesUserPrincipalName",
            &self.on_premises_user_principal_name,
        );
        for (k, v) in &self.other {
            if k.starts_with('@') {
                continue;
            }
            match v {
                Value::String(s) => {
                    attributes.insert(k.clone(), s.clone());
                }
                Value::Object(inner) => {
                    for (ik, iv) in inner {
                        if let Value::String(s) = iv {
                            attributes.insert(format!("{k}.{ik}"), s.clone());
                        }
                    }
                }
                Value::Number(n) => {
                    attributes.insert(k.clone(), n.to_string());
                }
                Value::Bool(b) => {
                    attributes.insert(k.clone(), b.to_string());
                }
                _ => {}
            }
        }
        EntraUser {
            id: self.id,
            upn: self.user_principal_name.unwrap_or_default(),
            display_name: self.display_name,
            on_premises_sid: self.on_premises_security_identifier,
            on_premises_sync_enabled: self.on_premises_sync_enabled,
            account_enabled: self.account_enabled,
            attributes,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub group_types: Vec<String>,
    #[serde(default)]
    pub membership_rule: Option<String>,
    #[serde(default)]
    pub security_enabled: Option<bool>,
    #[serde(default)]
    pub mail_enabled: Option<bool>,
    #[serde(default)]
    pub on_premises_sync_enabled: Option<bool>,
}

impl Group {
    pub const SELECT: &'static str = "id,displayName,groupTypes,membershipRule,securityEnabled,mailEnabled,onPremisesSyncEnabled";

    /// Dynamic membership (`groupTypes` holds `DynamicMembership`): Staged Rollout
    /// refuses these (R2).
    pub fn is_dynamic(&self) -> bool {
        self.group_types
            .iter()
            .any(|t| t.eq_ignore_ascii_case("DynamicMembership"))
    }
}

/// What a member of a group is, from its `@odata.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberKind {
    User,
    Group,
    /// An organisational contact: a group holding one cannot join Staged Rollout.
    Contact,
    Device,
    ServicePrincipal,
    Other,
}

/// A polymorphic directory object (group members, `appliesTo`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryObject {
    #[serde(rename = "@odata.type", default)]
    pub odata_type: Option<String>,
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub user_principal_name: Option<String>,
    /// `true` for users (and groups) synced from on-premises; `null` or absent for
    /// cloud-only ones. Staged Rollout affects synced users only.
    #[serde(default)]
    pub on_premises_sync_enabled: Option<bool>,
}

impl DirectoryObject {
    pub fn kind(&self) -> MemberKind {
        let t = self
            .odata_type
            .as_deref()
            .unwrap_or_default()
            .trim_start_matches('#')
            .trim_start_matches("microsoft.graph.");
        match t {
            "user" => MemberKind::User,
            "group" => MemberKind::Group,
            "orgContact" | "contact" => MemberKind::Contact,
            "device" => MemberKind::Device,
            "servicePrincipal" => MemberKind::ServicePrincipal,
            _ => MemberKind::Other,
        }
    }
}

// ---------------------------------------------------------------------------------
// Authentication methods (§4)
// ---------------------------------------------------------------------------------

open_enum! {
    /// `phoneType`.
    PhoneType {
        Mobile = "mobile",
        AlternateMobile = "alternateMobile",
        Office = "office",
    }
}

impl PhoneType {
    pub fn slot(&self) -> Option<PhoneSlot> {
        match self {
            PhoneType::Mobile => Some(PhoneSlot::Mobile),
            PhoneType::AlternateMobile => Some(PhoneSlot::AlternateMobile),
            PhoneType::Office => Some(PhoneSlot::Office),
            PhoneType::Other(_) => None,
        }
    }
}

open_enum! {
    /// `smsSignInState`.
    SmsSignInState {
        NotSupported = "notSupported",
        NotAllowedByPolicy = "notAllowedByPolicy",
        NotEnabled = "notEnabled",
        PhoneNumberNotUnique = "phoneNumberNotUnique",
        Ready = "ready",
        NotConfigured = "notConfigured",
    }
}

/// `phoneAuthenticationMethod`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneMethod {
    pub id: String,
    #[serde(default)]
    pub phone_number: Option<String>,
    #[serde(default)]
    pub phone_type: Option<PhoneType>,
    #[serde(default)]
    pub sms_sign_in_state: Option<SmsSignInState>,
}

impl PhoneMethod {
    /// The slot, by `phoneType`, else by the fixed method id.
    pub fn slot(&self) -> Option<PhoneSlot> {
        self.phone_type
            .as_ref()
            .and_then(PhoneType::slot)
            .or_else(|| {
                PhoneSlot::ALL
                    .into_iter()
                    .find(|s| s.method_id().eq_ignore_ascii_case(&self.id))
            })
    }

    /// The number as the planner compares it (masked numbers stay masked).
    pub fn entra_phone(&self) -> Option<EntraPhone> {
        self.phone_number.as_deref().map(EntraPhone::from_graph)
    }
}

/// Body of `POST …/phoneMethods` (no `smsSignInState`, §4.2).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewPhone<'a> {
    pub phone_number: String,
    pub phone_type: &'a str,
}

/// `microsoftAuthenticatorAuthenticationMethod`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticatorMethod {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub device_tag: Option<String>,
    #[serde(default)]
    pub phone_app_version: Option<String>,
    #[serde(default)]
    pub created_date_time: Option<String>,
}

/// `softwareOathAuthenticationMethod` (`secretKey` is always null and never read).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SoftwareOathMethod {
    pub id: String,
}

open_enum! {
    /// `hashFunction` of a hardware token.
    HashFunction {
        HmacSha1 = "hmacsha1",
        HmacSha256 = "hmacsha256",
    }
}

open_enum! {
    /// `status` of a hardware token in the inventory.
    HardwareDeviceStatus {
        Available = "available",
        Assigned = "assigned",
        Activated = "activated",
        FailedActivation = "failedActivation",
    }
}

impl HardwareDeviceStatus {
    pub fn to_entra(&self) -> HardwareStatus {
        match self {
            HardwareDeviceStatus::Available => HardwareStatus::Available,
            HardwareDeviceStatus::Assigned => HardwareStatus::Assigned,
            HardwareDeviceStatus::Activated => HardwareStatus::Activated,
            HardwareDeviceStatus::FailedActivation => HardwareStatus::FailedActivation,
            HardwareDeviceStatus::Other(_) => HardwareStatus::Unknown,
        }
    }
}

/// An `identity` reference (`assignedTo`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityRef {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
}

/// `hardwareOathTokenAuthenticationMethodDevice` (beta). `secretKey` is never read.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HardwareDevice {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub serial_number: Option<String>,
    #[serde(default)]
    pub manufacturer: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub time_interval_in_seconds: Option<u32>,
    #[serde(default)]
    pub hash_function: Option<HashFunction>,
    #[serde(default)]
    pub status: Option<HardwareDeviceStatus>,
    #[serde(default)]
    pub assigned_to: Option<IdentityRef>,
    #[serde(default)]
    pub last_used_date_time: Option<String>,
}

impl HardwareDevice {
    pub fn entra_status(&self) -> HardwareStatus {
        self.status
            .as_ref()
            .map_or(HardwareStatus::Unknown, HardwareDeviceStatus::to_entra)
    }

    /// The inventory view the planner uses (rule H1).
    pub fn to_inventory(&self) -> InventoryDevice {
        InventoryDevice {
            id: self.id.clone(),
            serial: self.serial_number.clone().unwrap_or_default(),
            owner: match self.assigned_to.as_ref().and_then(|a| a.id.clone()) {
                Some(id) if !id.trim().is_empty() => DeviceOwner::User(id),
                _ => DeviceOwner::Unassigned,
            },
            status: self.entra_status(),
        }
    }
}

/// One item of `GET /directory/authenticationMethodDevices/hardwareOathDevices`, in
/// either documented shape: the device itself (`serialNumber` at the top level, as the
/// resource page has it), or — as every example response of the list page shows — a
/// `hardwareOathAuthenticationMethod` with the device under `device` (Graph docs,
/// authenticationmethoddevice-list-hardwareoathdevices).
#[derive(Debug, Clone, PartialEq)]
pub struct InventoryItem(pub HardwareDevice);

impl<'de> Deserialize<'de> for InventoryItem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<InventoryItem, D::Error> {
        let v = Value::deserialize(d)?;
        let wrapped =
            v.get("serialNumber").is_none() && v.get("device").is_some_and(Value::is_object);
        let device = if wrapped {
            v.get("device").unwrap_or(&Value::Null)
        } else {
            &v
        };
        HardwareDevice::deserialize(device)
            .map(InventoryItem)
            .map_err(serde::de::Error::custom)
    }
}

impl InventoryItem {
    pub fn into_device(self) -> HardwareDevice {
        self.0
    }
}

impl std::ops::Deref for InventoryItem {
    type Target = HardwareDevice;
    fn deref(&self) -> &HardwareDevice {
        &self.0
    }
}

/// `hardwareOathAuthenticationMethod` (beta): a user's token.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HardwareOathMethod {
    pub id: String,
    #[serde(default)]
    pub created_date_time: Option<String>,
    #[serde(default)]
    pub device: Option<HardwareDevice>,
}

impl HardwareOathMethod {
    pub fn to_entra(&self) -> EntraHardwareToken {
        EntraHardwareToken {
            id: self.id.clone(),
            device_id: self.device.as_ref().map(|d| d.id.clone()),
            serial: self.device.as_ref().and_then(|d| d.serial_number.clone()),
            status: self
                .device
                .as_ref()
                .map_or(HardwareStatus::Unknown, HardwareDevice::entra_status),
        }
    }
}

/// One entry of `GET …/authentication/methods`, by `@odata.type` (§4.6).
#[derive(Debug, Clone, PartialEq)]
pub enum AuthMethod {
    Phone(PhoneMethod),
    MicrosoftAuthenticator(AuthenticatorMethod),
    SoftwareOath(SoftwareOathMethod),
    HardwareOath(HardwareOathMethod),
    /// Password, FIDO2, Windows Hello, email, TAP, passkeys, and types to come.
    Other {
        /// Short type name, e.g. `fido2AuthenticationMethod`.
        odata_type: String,
        id: Option<String>,
    },
}

impl<'de> Deserialize<'de> for AuthMethod {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<AuthMethod, D::Error> {
        let v = Value::deserialize(d)?;
        let odata_type = v
            .get("@odata.type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim_start_matches('#')
            .trim_start_matches("microsoft.graph.")
            .to_string();
        let parsed = match odata_type.as_str() {
            "phoneAuthenticationMethod" => PhoneMethod::deserialize(&v).ok().map(AuthMethod::Phone),
            "microsoftAuthenticatorAuthenticationMethod" => AuthenticatorMethod::deserialize(&v)
                .ok()
                .map(AuthMethod::MicrosoftAuthenticator),
            "softwareOathAuthenticationMethod" => SoftwareOathMethod::deserialize(&v)
                .ok()
                .map(AuthMethod::SoftwareOath),
            "hardwareOathAuthenticationMethod" => HardwareOathMethod::deserialize(&v)
                .ok()
                .map(AuthMethod::HardwareOath),
            _ => None,
        };
        Ok(parsed.unwrap_or_else(|| AuthMethod::Other {
            id: v.get("id").and_then(Value::as_str).map(str::to_string),
            odata_type: if odata_type.is_empty() {
                "unknown".to_string()
            } else {
                odata_type
            },
        }))
    }
}

open_enum! {
    /// `userPreferredMethodForSecondaryAuthentication` (beta signInPreferences).
    UserDefaultMethod {
        Push = "push",
        Oath = "oath",
        VoiceMobile = "voiceMobile",
        VoiceAlternateMobile = "voiceAlternateMobile",
        VoiceOffice = "voiceOffice",
        Sms = "sms",
        UnknownFutureValue = "unknownFutureValue",
    }
}

impl UserDefaultMethod {
    pub fn from_preferred(m: PreferredMethod) -> UserDefaultMethod {
        UserDefaultMethod::from_wire(m.graph_name())
    }
}

/// `signInPreferences` (beta, §4.8).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInPreferences {
    #[serde(default)]
    pub is_system_preferred_authentication_method_enabled: Option<bool>,
    #[serde(default)]
    pub user_preferred_method_for_secondary_authentication: Option<UserDefaultMethod>,
    /// Read-only, seen in the wild, not in the resource page (§13.10).
    #[serde(default)]
    pub system_preferred_authentication_method: Option<String>,
}

impl SignInPreferences {
    pub fn entra_default(&self) -> EntraDefault {
        match &self.user_preferred_method_for_secondary_authentication {
            None => EntraDefault::NotSet,
            Some(m) => match PreferredMethod::from_graph(m.as_str()) {
                Some(p) => EntraDefault::Set(p),
                None => EntraDefault::Other(m.as_str().to_string()),
            },
        }
    }
}

/// Assemble the planner's view of a user's methods from the polymorphic list, the
/// hardware tokens (beta) and the sign-in preferences (beta).
pub fn entra_methods(
    methods: &[AuthMethod],
    hardware: &[HardwareOathMethod],
    preferences: Option<&SignInPreferences>,
) -> EntraMethods {
    let mut out = EntraMethods::default();
    for m in methods {
        match m {
            AuthMethod::Phone(p) => {
                if let Some(slot) = p.slot() {
                    *out.phone_mut(slot) = p.entra_phone();
                }
            }
            AuthMethod::MicrosoftAuthenticator(a) => out.authenticators.push(EntraAuthenticator {
                id: a.id.clone(),
                display_name: a.display_name.clone(),
            }),
            AuthMethod::SoftwareOath(s) => out.software_oath.push(s.id.clone()),
            AuthMethod::HardwareOath(h) => {
                if !hardware.iter().any(|x| x.id == h.id) {
                    out.hardware_oath.push(h.to_entra());
                }
            }
            AuthMethod::Other { odata_type, .. } => {
                let short = odata_type
                    .trim_end_matches("AuthenticationMethod")
                    .to_string();
                if short != "password" && !out.other.contains(&short) {
                    out.other.push(short);
                }
            }
        }
    }
    out.hardware_oath
        .extend(hardware.iter().map(HardwareOathMethod::to_entra));
    if let Some(p) = preferences {
        out.default = p.entra_default();
        out.system_preferred_enabled = p.is_system_preferred_authentication_method_enabled;
    }
    out
}

// ---------------------------------------------------------------------------------
// Authentication methods policy (§4.10)
// ---------------------------------------------------------------------------------

open_enum! {
    /// `state` of a method configuration.
    MethodState {
        Enabled = "enabled",
        Disabled = "disabled",
    }
}

/// An include or exclude target: `all_users` or a group id.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MethodTarget {
    #[serde(default)]
    pub target_type: Option<String>,
    #[serde(default)]
    pub id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MethodConfiguration {
    #[serde(rename = "@odata.type", default)]
    pub odata_type: Option<String>,
    pub id: String,
    #[serde(default)]
    pub state: Option<MethodState>,
    #[serde(default, deserialize_with = "null_default")]
    pub include_targets: Vec<MethodTarget>,
    #[serde(default, deserialize_with = "null_default")]
    pub exclude_targets: Vec<MethodTarget>,
    /// Voice only: whether office phones may be used (Graph docs,
    /// voiceAuthenticationMethodConfiguration).
    #[serde(default)]
    pub is_office_phone_allowed: Option<bool>,
}

impl MethodConfiguration {
    /// The rules' view of this configuration, when it is one they look at.
    pub fn to_rule(&self) -> Option<MethodRule> {
        let targets = |list: &[MethodTarget]| {
            list.iter()
                .map(|t| PolicyTarget::from_graph_id(&t.id))
                .collect::<Vec<_>>()
        };
        Some(MethodRule {
            method: PolicyMethod::from_graph_id(&self.id)?,
            enabled: self.state == Some(MethodState::Enabled),
            include: targets(&self.include_targets),
            exclude: targets(&self.exclude_targets),
        })
    }
}

open_enum! {
    /// `policyMigrationState` (evolvable; the docs spell the first `premigration` in
    /// one place, so matching is case-insensitive).
    PolicyMigrationState {
        PreMigration = "preMigration",
        MigrationInProgress = "migrationInProgress",
        MigrationComplete = "migrationComplete",
        UnknownFutureValue = "unknownFutureValue",
    }
}

/// `authenticationMethodsPolicy`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MethodsPolicy {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    /// Until `migrationComplete`, Entra still honours the legacy MFA and SSPR policies
    /// (Graph docs, authenticationMethodsPolicy resource).
    #[serde(default)]
    pub policy_migration_state: Option<PolicyMigrationState>,
    #[serde(default, deserialize_with = "null_default")]
    pub authentication_method_configurations: Vec<MethodConfiguration>,
}

impl MethodsPolicy {
    pub fn configuration(&self, id: &str) -> Option<&MethodConfiguration> {
        self.authentication_method_configurations
            .iter()
            .find(|c| c.id.eq_ignore_ascii_case(id))
    }

    /// The policy as the migration rules evaluate it (`migrate::usable`).
    pub fn to_facts(&self) -> PolicyFacts {
        PolicyFacts {
            migration: PolicyMigration::from_graph(
                self.policy_migration_state
                    .as_ref()
                    .map(PolicyMigrationState::as_str),
            ),
            rules: self
                .authentication_method_configurations
                .iter()
                .filter_map(MethodConfiguration::to_rule)
                .collect(),
            office_phone_allowed: self
                .configuration(PolicyMethod::Voice.graph_id())
                .and_then(|c| c.is_office_phone_allowed)
                .unwrap_or(true),
        }
    }
}

// ---------------------------------------------------------------------------------
// Staged Rollout (§5)
// ---------------------------------------------------------------------------------

open_enum! {
    /// `stagedFeatureName`. Without `Prefer: include-unknown-enum-members` Graph reads
    /// `multiFactorAuthentication` back as `unknownFutureValue`.
    StagedFeature {
        PassthroughAuthentication = "passthroughAuthentication",
        SeamlessSso = "seamlessSso",
        PasswordHashSync = "passwordHashSync",
        EmailAsAlternateId = "emailAsAlternateId",
        UnknownFutureValue = "unknownFutureValue",
        CertificateBasedAuthentication = "certificateBasedAuthentication",
        MultiFactorAuthentication = "multiFactorAuthentication",
    }
}

/// `featureRolloutPolicy`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutPolicy {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub feature: Option<StagedFeature>,
    #[serde(default)]
    pub is_enabled: Option<bool>,
    #[serde(default)]
    pub is_applied_to_organization: Option<bool>,
    /// Present with `$expand=appliesTo`.
    #[serde(default, deserialize_with = "null_default")]
    pub applies_to: Vec<DirectoryObject>,
}

impl RolloutPolicy {
    pub fn is_mfa(&self) -> bool {
        self.feature == Some(StagedFeature::MultiFactorAuthentication)
    }
}

/// Body of `POST /policies/featureRolloutPolicies`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewRolloutPolicy {
    pub display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub feature: StagedFeature,
    pub is_enabled: bool,
    pub is_applied_to_organization: bool,
}

/// Body of `PATCH /policies/featureRolloutPolicies/{id}` (`feature` is not updatable).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutPolicyPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_applied_to_organization: Option<bool>,
}

// ---------------------------------------------------------------------------------
// Domains and federation (§6)
// ---------------------------------------------------------------------------------

open_enum! {
    /// `authenticationType` of a domain.
    DomainAuthentication {
        Managed = "Managed",
        Federated = "Federated",
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Domain {
    pub id: String,
    #[serde(default)]
    pub authentication_type: Option<DomainAuthentication>,
    #[serde(default)]
    pub is_verified: Option<bool>,
    #[serde(default)]
    pub is_default: Option<bool>,
}

impl Domain {
    pub fn is_federated(&self) -> bool {
        self.authentication_type == Some(DomainAuthentication::Federated)
    }
}

open_enum! {
    /// `federatedIdpMfaBehavior`.
    FederatedIdpMfaBehavior {
        /// Entra accepts the IdP's MFA, else does MFA itself (the default when unset).
        AcceptIfMfaDoneByFederatedIdp = "acceptIfMfaDoneByFederatedIdp",
        /// MFA at the federation server (the rollback value).
        EnforceMfaByFederatedIdp = "enforceMfaByFederatedIdp",
        /// All MFA in Entra (the final cutover value).
        RejectMfaByFederatedIdp = "rejectMfaByFederatedIdp",
        UnknownFutureValue = "unknownFutureValue",
    }
}

open_enum! {
    /// `preferredAuthenticationProtocol`.
    AuthenticationProtocol {
        WsFed = "wsFed",
        Saml = "saml",
        UnknownFutureValue = "unknownFutureValue",
    }
}

/// `internalDomainFederation`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainFederation {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub issuer_uri: Option<String>,
    #[serde(default)]
    pub metadata_exchange_uri: Option<String>,
    #[serde(default)]
    pub passive_sign_in_uri: Option<String>,
    #[serde(default)]
    pub active_sign_in_uri: Option<String>,
    #[serde(default)]
    pub sign_out_uri: Option<String>,
    #[serde(default)]
    pub preferred_authentication_protocol: Option<AuthenticationProtocol>,
    #[serde(default)]
    pub prompt_login_behavior: Option<String>,
    #[serde(default)]
    pub is_signed_authentication_request_required: Option<bool>,
    /// `None` when never set: Graph then behaves as `acceptIfMfaDoneByFederatedIdp`
    /// (unless the legacy `SupportsMfa` is set).
    #[serde(default)]
    pub federated_idp_mfa_behavior: Option<FederatedIdpMfaBehavior>,
}

// ---------------------------------------------------------------------------------
// $batch (§8)
// ---------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
pub(crate) struct BatchEnvelope<'a> {
    pub requests: Vec<BatchRequestWire<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BatchRequestWire<'a> {
    pub id: String,
    pub method: &'a str,
    pub url: &'a str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<&'a str, &'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<&'a Value>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct BatchAnswer {
    #[serde(default, deserialize_with = "null_default")]
    pub responses: Vec<BatchResponseWire>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct BatchResponseWire {
    pub id: String,
    pub status: u16,
    #[serde(default, deserialize_with = "null_default")]
    pub headers: BTreeMap<String, Value>,
    #[serde(default)]
    pub body: Option<Value>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn parse<T: DeserializeOwned>(json: &str) -> T {
        match serde_json::from_str(json) {
            Ok(v) => v,
            Err(e) => panic!("{e}: {json}"),
        }
    }

    #[test]
    fn open_enums_keep_unknown_members() {
        assert_eq!(
            StagedFeature::from_wire("multiFactorAuthentication"),
            StagedFeature::MultiFactorAuthentication
        );
        assert_eq!(
            parse::<StagedFeature>("\"unknownFutureValue\""),
            StagedFeature::UnknownFutureValue
        );
        assert_eq!(
            parse::<StagedFeature>("\"brandNewFeature\""),
            StagedFeature::Other("brandNewFeature".into())
        );
        assert_eq!(
            parse::<DomainAuthentication>("\"federated\""),
            DomainAuthentication::Federated
        );
        assert_eq!(
            serde_json::to_string(&FederatedIdpMfaBehavior::RejectMfaByFederatedIdp).ok(),
            Some("\"rejectMfaByFederatedIdp\"".into())
        );
        assert_eq!(
            serde_json::to_string(&PhoneType::Other("satellite".into())).ok(),
            Some("\"satellite\"".into())
        );
    }

    #[test]
    fn pages_with_context_count_next_link_empty_and_null() {
        let p: Page<User> = parse(
            r#"{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users",
                "@odata.count":2,
                "@odata.nextLink":"https://graph.microsoft.com/v1.0/users?$skiptoken=X",
                "value":[{"id":"1","userPrincipalName":"a@x"},{"id":"2","unknownField":{"deep":[1,2]}}]}"#,
        );
        assert_eq!(p.count, Some(2));
        assert_eq!(p.value.len(), 2);
        assert!(p.next_link.is_some());
        let empty: Page<User> = parse(r#"{"value":[],"@odata.nextLink":"https://x/y"}"#);
        assert!(empty.value.is_empty() && empty.next_link.is_some());
        let null: Page<User> = parse(r#"{"value":null}"#);
        assert!(null.value.is_empty());
        let absent: Page<User> = parse(r#"{"@odata.context":"x"}"#);
        assert!(absent.value.is_empty());
    }

    #[test]
    fn user_into_entra_keeps_attributes() {
        let u: User = parse(
            r##"{"id":"u1","userPrincipalName":"ann@contoso.com","displayName":"Ann",
                "mail":"ann@contoso.com","employeeId":"E042","accountEnabled":true,
                "onPremisesSecurityIdentifier":"S-1-5-21-1-2-3-1001",
                "onPremisesSamAccountName":"ann","onPremisesSyncEnabled":true,
                "onPremisesExtensionAttributes":{"extensionAttribute1":"X1","extensionAttribute2":null},
                "costCenter":"CC7","@odata.type":"#microsoft.graph.user"}"##,
        );
        let e = u.into_entra();
        assert_eq!(e.upn, "ann@contoso.com");
        assert_eq!(e.on_premises_sid.as_deref(), Some("S-1-5-21-1-2-3-1001"));
        assert_eq!(e.on_premises_sync_enabled, Some(true));
        assert_eq!(e.attribute("employeeid"), Some("E042"));
        assert_eq!(e.attribute("onPremisesSamAccountName"), Some("ann"));
        assert_eq!(
            e.attribute("onPremisesExtensionAttributes.extensionAttribute1"),
            Some("X1")
        );
        assert_eq!(e.attribute("costCenter"), Some("CC7"));
        assert_eq!(e.attribute("@odata.type"), None);
    }

    #[test]
    fn groups_members_and_kinds() {
        let g: Group = parse(
            r#"{"id":"g","displayName":"All Employees (dynamic)","groupTypes":["DynamicMembership"],
                "membershipRule":"user.accountEnabled -eq true"}"#,
        );
        assert!(g.is_dynamic());
        let g2: Group = parse(r#"{"id":"g","groupTypes":null}"#);
        assert!(!g2.is_dynamic());
        let members: Page<DirectoryObject> = parse(
            r##"{"value":[{"@odata.type":"#microsoft.graph.user","id":"u"},
                          {"@odata.type":"#microsoft.graph.group","id":"g"},
                          {"@odata.type":"#microsoft.graph.orgContact","id":"c"},
                          {"@odata.type":"#microsoft.graph.device","id":"d"},
                          {"id":"x"}]}"##,
        );
        let kinds: Vec<MemberKind> = members.value.iter().map(DirectoryObject::kind).collect();
        assert_eq!(
            kinds,
            [
                MemberKind::User,
                MemberKind::Group,
                MemberKind::Contact,
                MemberKind::Device,
                MemberKind::Other
            ]
        );
    }

    #[test]
    fn phone_methods_by_type_or_fixed_id_and_masked() {
        let p: Page<PhoneMethod> = parse(
            r#"{"value":[
              {"id":"3179e48a-750b-4051-897c-87b9720928f7","phoneNumber":"+1 2065555555","phoneType":"mobile","smsSignInState":"ready"},
              {"id":"b6332ec1-7057-4abe-9331-3d72feddfe41","phoneNumber":"+1 XXXXXXXX55","smsSignInState":"someNewState"},
              {"id":"e37fc753-ff3b-4958-9484-eaa9425c82bc","phoneNumber":"+1 4255550100x123","phoneType":"office"}]}"#,
        );
        let slots: Vec<Option<PhoneSlot>> = p.value.iter().map(PhoneMethod::slot).collect();
        assert_eq!(
            slots,
            [
                Some(PhoneSlot::Mobile),
                Some(PhoneSlot::AlternateMobile),
                Some(PhoneSlot::Office)
            ]
        );
        assert!(matches!(
            p.value[1].entra_phone(),
            Some(EntraPhone::Masked(_))
        ));
        assert_eq!(
            p.value[1].sms_sign_in_state,
            Some(SmsSignInState::Other("someNewState".into()))
        );
        let office = p.value[2].entra_phone().and_then(|e| e.number());
        assert_eq!(office.map(|n| n.graph()), Some("+1 4255550100x123".into()));
    }

    #[test]
    fn polymorphic_methods_and_assembly() {
        let p: Page<AuthMethod> = parse(
            r##"{"value":[
              {"@odata.type":"#microsoft.graph.passwordAuthenticationMethod","id":"28c10230","password":null},
              {"@odata.type":"#microsoft.graph.phoneAuthenticationMethod","id":"3179e48a-750b-4051-897c-87b9720928f7","phoneNumber":"+44 7700900123","phoneType":"mobile"},
              {"@odata.type":"#microsoft.graph.microsoftAuthenticatorAuthenticationMethod","id":"a1","displayName":"Pixel 8","deviceTag":"SoftwareTokenActivated","phoneAppVersion":"6.2"},
              {"@odata.type":"#microsoft.graph.softwareOathAuthenticationMethod","id":"s1","secretKey":null},
              {"@odata.type":"#microsoft.graph.fido2AuthenticationMethod","id":"f1","model":"YubiKey"},
              {"@odata.type":"#microsoft.graph.platformCredentialAuthenticationMethod","id":"p1"},
              {"@odata.type":"#microsoft.graph.phoneAuthenticationMethod"},
              {"id":"typeless"}]}"##,
        );
        assert_eq!(p.value.len(), 8);
        assert!(
            matches!(&p.value[2], AuthMethod::MicrosoftAuthenticator(a) if a.display_name.as_deref() == Some("Pixel 8"))
        );
        assert!(
            matches!(&p.value[6], AuthMethod::Other { odata_type, id: None } if odata_type == "phoneAuthenticationMethod")
        );
        let hw: Page<HardwareOathMethod> = parse(
            r#"{"value":[{"id":"h1","device":{"id":"d1","serialNumber":"TOTP123456","status":"activated","secretKey":null,
                 "assignedTo":{"id":"u1","displayName":"Ann"}}}]}"#,
        );
        let prefs: SignInPreferences = parse(
            r#"{"isSystemPreferredAuthenticationMethodEnabled":false,
                "userPreferredMethodForSecondaryAuthentication":"sms"}"#,
        );
        let m = entra_methods(&p.value, &hw.value, Some(&prefs));
        assert!(m.mobile.is_some());
        assert_eq!(m.authenticators.len(), 1);
        assert_eq!(m.software_oath, ["s1"]);
        assert_eq!(m.hardware_oath.len(), 1);
        assert_eq!(m.hardware_oath[0].serial.as_deref(), Some("TOTP123456"));
        assert_eq!(m.hardware_oath[0].status, HardwareStatus::Activated);
        assert_eq!(m.device_count(), 3);
        assert_eq!(m.default, EntraDefault::Set(PreferredMethod::Sms));
        assert_eq!(m.system_preferred_enabled, Some(false));
        assert_eq!(m.other, ["fido2", "platformCredential", "phone", "unknown"]);
    }

    #[test]
    fn sign_in_preferences_unknown_and_unset() {
        let unset: SignInPreferences =
            parse(r#"{"userPreferredMethodForSecondaryAuthentication":null}"#);
        assert_eq!(unset.entra_default(), EntraDefault::NotSet);
        let future: SignInPreferences = parse(
            r#"{"userPreferredMethodForSecondaryAuthentication":"unknownFutureValue",
                "systemPreferredAuthenticationMethod":"push"}"#,
        );
        assert_eq!(
            future.entra_default(),
            EntraDefault::Other("unknownFutureValue".into())
        );
        assert_eq!(
            UserDefaultMethod::from_preferred(PreferredMethod::VoiceAlternateMobile),
            UserDefaultMethod::VoiceAlternateMobile
        );
    }

    #[test]
    fn hardware_device_never_keeps_the_secret() {
        let d: HardwareDevice = parse(
            r#"{"id":"d","serialNumber":"S1","manufacturer":"Contoso","model":"H1","secretKey":"JBSWY3DPEHPK3PXP",
                "timeIntervalInSeconds":30,"hashFunction":"hmacsha1","status":"available","assignedTo":null}"#,
        );
        assert!(!format!("{d:?}").contains("JBSWY3DP"));
        let inv = d.to_inventory();
        assert_eq!(inv.serial, "S1");
        assert_eq!(inv.owner, DeviceOwner::Unassigned);
        assert_eq!(inv.status, HardwareStatus::Available);
        assert_eq!(d.hash_function, Some(HashFunction::HmacSha1));
    }

    #[test]
    fn inventory_lists_read_in_both_documented_shapes() {
        // The resource page's shape, then the list page's example responses.
        let page: Page<InventoryItem> = parse(
            r##"{"value":[
              {"id":"d1","serialNumber":"TOTP123456","status":"available","assignedTo":null},
              {"@odata.type":"#microsoft.graph.hardwareOathAuthenticationMethod","id":"d2",
               "device":{"id":"d2","displayName":"Amy Masters Token 1","serialNumber":"TOTP654321",
                 "manufacturer":"Contoso","model":"Hardware Token 1000","secretKey":null,
                 "timeIntervalInSeconds":30,"status":"activated","hashFunction":"hmacsha1",
                 "assignedTo":{"id":"0cadbf92","displayName":"Amy Masters"}}}]}"##,
        );
        let inv: Vec<InventoryDevice> = page
            .value
            .into_iter()
            .map(|i| i.into_device().to_inventory())
            .collect();
        assert_eq!(inv[0].serial, "TOTP123456");
        assert_eq!(inv[0].owner, DeviceOwner::Unassigned);
        assert_eq!(inv[1].serial, "TOTP654321");
        assert_eq!(inv[1].id, "d2");
        assert_eq!(inv[1].owner, DeviceOwner::User("0cadbf92".into()));
        assert_eq!(inv[1].status, HardwareStatus::Activated);
    }

    #[test]
    fn methods_policy_allows_by_target() {
        let p: MethodsPolicy = parse(
            r##"{"id":"authenticationMethodsPolicy","authenticationMethodConfigurations":[
              {"@odata.type":"#microsoft.graph.smsAuthenticationMethodConfiguration","id":"Sms","state":"enabled",
               "includeTargets":[{"targetType":"group","id":"all_users","isUsableForSignIn":true}]},
              {"@odata.type":"#microsoft.graph.voiceAuthenticationMethodConfiguration","id":"Voice","state":"disabled",
               "includeTargets":[{"targetType":"group","id":"all_users"}]},
              {"@odata.type":"#microsoft.graph.microsoftAuthenticatorAuthenticationMethodConfiguration","id":"MicrosoftAuthenticator","state":"enabled",
               "includeTargets":[{"targetType":"group","id":"pilot","authenticationMode":"any"}],
               "excludeTargets":[{"targetType":"group","id":"blocked"}]},
              {"id":"HardwareOath","state":"enabled","includeTargets":null},
              {"id":"Fido2","state":"enabled","includeTargets":[{"targetType":"group","id":"all_users"}]}]}"##,
        );
        let facts = p.to_facts();
        let none = facts.for_user(&|_| false);
        assert!(none.sms && !none.voice && !none.authenticator && !none.hardware_oath);
        assert!(!none.software_oath, "not listed: not allowed");
        let pilot = facts.for_user(&|g| g == "pilot");
        assert!(pilot.authenticator);
        let blocked = facts.for_user(&|g| g == "pilot" || g == "blocked");
        assert!(!blocked.authenticator);
        assert_eq!(facts.target_groups(), ["blocked", "pilot"]);
        assert_eq!(facts.migration, PolicyMigration::NotReported);
        assert!(facts.office_phone_allowed);
        let migrating: MethodsPolicy = parse(
            r##"{"policyMigrationState":"premigration","authenticationMethodConfigurations":[
              {"@odata.type":"#microsoft.graph.voiceAuthenticationMethodConfiguration","id":"Voice",
               "state":"enabled","isOfficePhoneAllowed":false,
               "includeTargets":[{"targetType":"group","id":"all_users"}]}]}"##,
        );
        let facts = migrating.to_facts();
        assert_eq!(facts.migration, PolicyMigration::PreMigration);
        assert!(!facts.office_phone_allowed);
        assert!(!facts.for_user(&|_| false).office_phone);
    }

    #[test]
    fn rollout_policies_expanded_and_unknown_feature() {
        let p: Page<RolloutPolicy> = parse(
            r##"{"value":[{"id":"r1","displayName":"MFA rollout policy","feature":"unknownFutureValue",
                 "isEnabled":true,"isAppliedToOrganization":false,
                 "appliesTo":[{"@odata.type":"#microsoft.graph.group","id":"g1","displayName":"MFA Pilot"}]},
                {"id":"r2","feature":"multiFactorAuthentication","appliesTo":null}]}"##,
        );
        assert!(!p.value[0].is_mfa());
        assert_eq!(p.value[0].applies_to.len(), 1);
        assert!(p.value[1].is_mfa());
        assert!(p.value[1].applies_to.is_empty());
        let body = NewRolloutPolicy {
            display_name: "MFA rollout policy".into(),
            description: None,
            feature: StagedFeature::MultiFactorAuthentication,
            is_enabled: true,
            is_applied_to_organization: false,
        };
        assert_eq!(
            serde_json::to_string(&body).ok().as_deref(),
            Some(
                r#"{"displayName":"MFA rollout policy","feature":"multiFactorAuthentication","isEnabled":true,"isAppliedToOrganization":false}"#
            )
        );
        let patch = RolloutPolicyPatch {
            is_enabled: Some(false),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_string(&patch).ok().as_deref(),
            Some(r#"{"isEnabled":false}"#)
        );
    }

    #[test]
    fn federation_shapes_incl_wrapped_single_object() {
        let list: Page<DomainFederation> = parse(
            r##"{"@odata.context":"x","value":[{"@odata.type":"#microsoft.graph.internalDomainFederation",
                "id":"6601d14b","issuerUri":"http://contoso.com/adfs/services/trust",
                "preferredAuthenticationProtocol":"wsFed","promptLoginBehavior":"nativeSupport",
                "federatedIdpMfaBehavior":null,"signingCertificateUpdateStatus":{"certificateUpdateResult":"success"}}]}"##,
        );
        assert_eq!(list.value[0].federated_idp_mfa_behavior, None);
        let wrapped = br#"{"@odata.context":"x","value":{"id":"f1","federatedIdpMfaBehavior":"enforceMfaByFederatedIdp"}}"#;
        let f: DomainFederation = parse_single(wrapped).unwrap();
        assert_eq!(
            f.federated_idp_mfa_behavior,
            Some(FederatedIdpMfaBehavior::EnforceMfaByFederatedIdp)
        );
        let plain = br#"{"id":"f1","federatedIdpMfaBehavior":"rejectMfaByFederatedIdp"}"#;
        assert!(parse_single::<DomainFederation>(plain).is_ok());
        let one = br#"{"value":[{"id":"f1"}]}"#;
        assert_eq!(
            parse_single::<DomainFederation>(one).map(|f| f.id).ok(),
            Some("f1".into())
        );
        let domains: Page<Domain> = parse(
            r#"{"value":[{"id":"contoso.com","authenticationType":"Federated","isVerified":true,"isDefault":true},
                         {"id":"contoso.onmicrosoft.com","authenticationType":"Managed","isVerified":true}]}"#,
        );
        assert!(domains.value[0].is_federated());
        assert!(!domains.value[1].is_federated());
    }
}
