//! What the planner knows of Entra: the engine reads Graph and fills these; the planner
//! never sees Graph's wire types (so it stays pure and the wire can change alone).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::phone::PhoneNumber;

/// An Entra user as the migration group lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntraUser {
    /// Object id.
    pub id: String,
    pub upn: String,
    pub display_name: Option<String>,
    /// `onPremisesSecurityIdentifier` (rule M2).
    pub on_premises_sid: Option<String>,
    /// `onPremisesSyncEnabled`: only synced users are in Staged Rollout's scope.
    pub on_premises_sync_enabled: Option<bool>,
    pub account_enabled: Option<bool>,
    /// Further properties read for matching (rule M3) and display, by Graph name:
    /// `mail`, `employeeId`, `onPremisesSamAccountName`,
    /// `onPremisesExtensionAttributes.extensionAttribute1`, …
    pub attributes: BTreeMap<String, String>,
}

impl EntraUser {
    /// A property by its Graph name, case-insensitively.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Graph's three phone slots (`phoneType`); each has a fixed method id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PhoneSlot {
    Mobile,
    AlternateMobile,
    Office,
}

impl PhoneSlot {
    pub const ALL: [PhoneSlot; 3] = [
        PhoneSlot::Mobile,
        PhoneSlot::AlternateMobile,
        PhoneSlot::Office,
    ];

    /// Graph's `phoneType` value.
    pub fn graph_name(self) -> &'static str {
        match self {
            PhoneSlot::Mobile => "mobile",
            PhoneSlot::AlternateMobile => "alternateMobile",
            PhoneSlot::Office => "office",
        }
    }

    /// The fixed phone method id of this slot (graph-api.md §4.2).
    pub fn method_id(self) -> &'static str {
        match self {
            PhoneSlot::Mobile => "3179e48a-750b-4051-897c-87b9720928f7",
            PhoneSlot::AlternateMobile => "b6332ec1-7057-4abe-9331-3d72feddfe41",
            PhoneSlot::Office => "e37fc753-ff3b-4958-9484-eaa9425c82bc",
        }
    }
}

/// A phone number as Entra shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum EntraPhone {
    Number(PhoneNumber),
    /// An Authentication Administrator sees masked numbers (`+1 XXXXXXXX00`): present,
    /// but not comparable.
    Masked(String),
    /// Text Graph returned that is not in its own documented format.
    Unparsed(String),
}

impl EntraPhone {
    /// Classify Graph's `phoneNumber`.
    pub fn from_graph(text: &str) -> EntraPhone {
        if text.contains(['X', '*', '•']) && !text.contains('x') {
            return EntraPhone::Masked(text.to_string());
        }
        match PhoneNumber::from_graph(text) {
            Ok(p) => EntraPhone::Number(p),
            Err(_) => EntraPhone::Unparsed(text.to_string()),
        }
    }

    pub fn number(&self) -> Option<PhoneNumber> {
        match self {
            EntraPhone::Number(p) => Some(*p),
            _ => None,
        }
    }
}

impl std::fmt::Display for EntraPhone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EntraPhone::Number(p) => write!(f, "{p}"),
            EntraPhone::Masked(t) | EntraPhone::Unparsed(t) => f.write_str(t),
        }
    }
}

/// Entra's `userPreferredMethodForSecondaryAuthentication` values (beta signInPreferences).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PreferredMethod {
    Push,
    Oath,
    VoiceMobile,
    VoiceAlternateMobile,
    VoiceOffice,
    Sms,
}

impl PreferredMethod {
    /// Most secure first (rule D3).
    pub const RANKED: [PreferredMethod; 6] = [
        PreferredMethod::Push,
        PreferredMethod::Oath,
        PreferredMethod::Sms,
        PreferredMethod::VoiceMobile,
        PreferredMethod::VoiceAlternateMobile,
        PreferredMethod::VoiceOffice,
    ];

    pub fn graph_name(self) -> &'static str {
        match self {
            PreferredMethod::Push => "push",
            PreferredMethod::Oath => "oath",
            PreferredMethod::VoiceMobile => "voiceMobile",
            PreferredMethod::VoiceAlternateMobile => "voiceAlternateMobile",
            PreferredMethod::VoiceOffice => "voiceOffice",
            PreferredMethod::Sms => "sms",
        }
    }

    pub fn from_graph(name: &str) -> Option<PreferredMethod> {
        PreferredMethod::RANKED
            .into_iter()
            .find(|m| m.graph_name() == name)
    }
}

impl std::fmt::Display for PreferredMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.graph_name())
    }
}

/// The user's default MFA method in Entra.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum EntraDefault {
    #[default]
    NotSet,
    Set(PreferredMethod),
    /// A value this build does not know (`unknownFutureValue` or newer): counts as set.
    Other(String),
}

/// Hardware OATH status (`hardwareOathTokenAuthenticationMethodDevice.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum HardwareStatus {
    Available,
    Assigned,
    Activated,
    FailedActivation,
    Unknown,
}

/// A Microsoft Authenticator registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntraAuthenticator {
    pub id: String,
    pub display_name: Option<String>,
}

/// A hardware OATH method of the user (beta `hardwareOathMethods`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntraHardwareToken {
    /// Method id under the user.
    pub id: String,
    pub device_id: Option<String>,
    pub serial: Option<String>,
    pub status: HardwareStatus,
}

/// Who holds a serial of the tenant's hardware OATH inventory (rule H1).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum DeviceOwner {
    /// In the inventory, assigned to nobody.
    Unassigned,
    /// Assigned to the user with this object id.
    User(String),
    /// Entra refused to create the serial because it exists, yet the inventory search
    /// does not show it and it is not among this user's tokens: a token uploaded through
    /// the legacy CSV is listed only under the user it was uploaded for (Entra docs,
    /// how-to-mfa-manage-oath-tokens). Someone else holds it; who cannot be read.
    NotVisible,
}

/// A device of the tenant's hardware OATH inventory, looked up by serial (rule H1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryDevice {
    /// Device id; empty for a [`DeviceOwner::NotVisible`] serial (nothing to assign).
    pub id: String,
    pub serial: String,
    pub owner: DeviceOwner,
    pub status: HardwareStatus,
}

impl InventoryDevice {
    /// Object id of the user it is assigned to, when visible.
    pub fn assigned_to(&self) -> Option<&str> {
        match &self.owner {
            DeviceOwner::User(id) => Some(id),
            DeviceOwner::Unassigned | DeviceOwner::NotVisible => None,
        }
    }

    /// A serial known to exist that nobody visible holds and the inventory does not
    /// list (see [`DeviceOwner::NotVisible`]).
    pub fn not_visible(serial: &str) -> InventoryDevice {
        InventoryDevice {
            id: String::new(),
            serial: serial.trim().to_string(),
            owner: DeviceOwner::NotVisible,
            status: HardwareStatus::Unknown,
        }
    }
}

/// Everything Entra holds for one user that the rules look at.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntraMethods {
    pub mobile: Option<EntraPhone>,
    pub alternate_mobile: Option<EntraPhone>,
    pub office: Option<EntraPhone>,
    pub authenticators: Vec<EntraAuthenticator>,
    /// Software OATH method ids (they count toward the five-device limit).
    pub software_oath: Vec<String>,
    pub hardware_oath: Vec<EntraHardwareToken>,
    /// Other method types present (`fido2`, `windowsHelloForBusiness`, …), for display.
    pub other: Vec<String>,
    pub default: EntraDefault,
    pub system_preferred_enabled: Option<bool>,
}

impl EntraMethods {
    pub fn phone(&self, slot: PhoneSlot) -> Option<&EntraPhone> {
        match slot {
            PhoneSlot::Mobile => self.mobile.as_ref(),
            PhoneSlot::AlternateMobile => self.alternate_mobile.as_ref(),
            PhoneSlot::Office => self.office.as_ref(),
        }
    }

    pub fn phone_mut(&mut self, slot: PhoneSlot) -> &mut Option<EntraPhone> {
        match slot {
            PhoneSlot::Mobile => &mut self.mobile,
            PhoneSlot::AlternateMobile => &mut self.alternate_mobile,
            PhoneSlot::Office => &mut self.office,
        }
    }

    /// Devices counted by the five-device limit (rule L1).
    pub fn device_count(&self) -> usize {
        self.authenticators.len() + self.software_oath.len() + self.hardware_oath.len()
    }
}

/// A set of [`PreferredMethod`]s (the methods a user can use after a plan), as one byte.
/// Serialises as the list of Graph names, most secure first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MethodSet(u8);

impl MethodSet {
    pub const EMPTY: MethodSet = MethodSet(0);

    fn bit(m: PreferredMethod) -> u8 {
        1 << (m as u8)
    }

    pub fn insert(&mut self, m: PreferredMethod) {
        self.0 |= Self::bit(m);
    }

    pub fn with(mut self, m: PreferredMethod) -> MethodSet {
        self.insert(m);
        self
    }

    pub fn contains(self, m: PreferredMethod) -> bool {
        self.0 & Self::bit(m) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// Members, most secure first (rule D3's ranking).
    pub fn iter(self) -> impl Iterator<Item = PreferredMethod> {
        PreferredMethod::RANKED
            .into_iter()
            .filter(move |m| self.contains(*m))
    }

    /// The most secure member (rule D3).
    pub fn most_secure(self) -> Option<PreferredMethod> {
        self.iter().next()
    }
}

impl FromIterator<PreferredMethod> for MethodSet {
    fn from_iter<I: IntoIterator<Item = PreferredMethod>>(iter: I) -> Self {
        let mut s = MethodSet::EMPTY;
        for m in iter {
            s.insert(m);
        }
        s
    }
}

impl std::fmt::Display for MethodSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_empty() {
            return f.write_str("none");
        }
        for (i, m) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(m.graph_name())?;
        }
        Ok(())
    }
}

impl Serialize for MethodSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for MethodSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Vec::<PreferredMethod>::deserialize(d)?;
        Ok(v.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_sets_rank_and_round_trip() -> Result<(), serde_json::Error> {
        let s: MethodSet = [PreferredMethod::VoiceOffice, PreferredMethod::Oath]
            .into_iter()
            .collect();
        assert_eq!(s.most_secure(), Some(PreferredMethod::Oath));
        assert_eq!(s.len(), 2);
        let json = serde_json::to_string(&s)?;
        assert_eq!(json, r#"["oath","voiceOffice"]"#);
        assert_eq!(serde_json::from_str::<MethodSet>(&json)?, s);
        assert_eq!(MethodSet::EMPTY.most_secure(), None);
        Ok(())
    }

    #[test]
    fn graph_phone_text_is_classified() {
        assert!(matches!(
            EntraPhone::from_graph("+1 XXXXXXXX00"),
            EntraPhone::Masked(_)
        ));
        assert!(matches!(
            EntraPhone::from_graph("+1 4255550100x12"),
            EntraPhone::Number(_)
        ));
        assert!(matches!(
            EntraPhone::from_graph("425 555 0100"),
            EntraPhone::Unparsed(_)
        ));
    }
}
