//! Migration settings that change what a plan contains (config `[migration]`, flags, the
//! TUI's settings view). They enter each user's fingerprint (rule C1).

use serde::{Deserialize, Serialize};

use crate::cloud::Cloud;

/// Rule D2: when to write the default method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DefaultMethodMode {
    Always,
    #[default]
    IfNotSet,
    MostSecureIfNotSet,
}

impl DefaultMethodMode {
    /// The name in the config file and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            DefaultMethodMode::Always => "always",
            DefaultMethodMode::IfNotSet => "if-not-set",
            DefaultMethodMode::MostSecureIfNotSet => "most-secure-if-not-set",
        }
    }
}

/// Rule A3: what to do with mobile app devices that Graph cannot create.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MobileAppHandling {
    /// No write; the user is listed "must re-register the app".
    #[default]
    Report,
    /// A device with an OATH secret becomes a hardware OATH token (codes work, push does not).
    OathAsHardwareToken,
}

impl MobileAppHandling {
    /// The name in the config file and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            MobileAppHandling::Report => "report",
            MobileAppHandling::OathAsHardwareToken => "oath-as-hardware-token",
        }
    }
}

/// Rule M3: an MFA Server `ad_attributes` key matched to an Entra property.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MatchAttribute {
    /// Key in MFA Server `ad_attributes`, e.g. `employeeID`.
    pub mfa_server: String,
    /// Graph property, e.g. `employeeId`, `onPremisesSamAccountName`,
    /// `onPremisesExtensionAttributes.extensionAttribute1`.
    pub entra: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MigrationSettings {
    pub default_method: DefaultMethodMode,
    pub mobile_app: MobileAppHandling,
    pub include_disabled: bool,
    pub match_attribute: Option<MatchAttribute>,
    /// False outside the global cloud (rule H3).
    pub hardware_oath_available: bool,
    /// False in the China cloud (21Vianet), whose Graph cannot update a phone method
    /// (rule P6).
    #[serde(default = "available")]
    pub phone_update_available: bool,
}

fn available() -> bool {
    true
}

impl MigrationSettings {
    /// What the cloud signed in to allows (H3, P6): these follow the cloud, never a
    /// setting.
    pub fn set_cloud(&mut self, cloud: Cloud) {
        self.hardware_oath_available = cloud.has_hardware_oath();
        self.phone_update_available = cloud.has_phone_update();
    }

    /// Keep the cloud-given values of `current` (new settings from a front end).
    pub fn keep_cloud_of(&mut self, current: &MigrationSettings) {
        self.hardware_oath_available = current.hardware_oath_available;
        self.phone_update_available = current.phone_update_available;
    }
}

impl Default for MigrationSettings {
    fn default() -> Self {
        MigrationSettings {
            default_method: DefaultMethodMode::default(),
            mobile_app: MobileAppHandling::default(),
            include_disabled: false,
            match_attribute: None,
            hardware_oath_available: true,
            phone_update_available: true,
        }
    }
}
