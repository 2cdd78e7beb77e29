//! Documented variants of Graph's behaviour that the simulated tenant can serve instead
//! of its defaults, so the client is tested against each shape real tenants show
//! (`mfa-cutover sim --device-list-shape wrapped`, `--fed-patch-status 200`, …). The
//! defaults are the simulation's usual answers.

use std::fmt;
use std::str::FromStr;

/// How `GET …/hardwareOathDevices` lists the inventory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceListShape {
    /// Each item is the device (`serialNumber` at the top level), as the resource page
    /// describes it.
    #[default]
    Flat,
    /// Each item is a `hardwareOathAuthenticationMethod` with the device under `device`,
    /// as every example response of the list page shows.
    Wrapped,
}

/// What the federation `PATCH` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FedPatchStatus {
    /// 204 No Content (the current docs).
    #[default]
    NoContent,
    /// 200 OK with the updated object (the older docs).
    OkWithBody,
}

/// `policyMigrationState` of the authentication methods policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PolicyMigrationState {
    PreMigration,
    MigrationInProgress,
    #[default]
    MigrationComplete,
}

impl PolicyMigrationState {
    pub fn graph_name(self) -> &'static str {
        match self {
            PolicyMigrationState::PreMigration => "preMigration",
            PolicyMigrationState::MigrationInProgress => "migrationInProgress",
            PolicyMigrationState::MigrationComplete => "migrationComplete",
        }
    }
}

/// The national cloud the tenant lives in: what its Graph does not offer is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SimCloud {
    #[default]
    Global,
    /// US Government (L4 or L5): no hardware OATH.
    UsGov,
    /// China (21Vianet): no phone update or delete, no Staged Rollout, no hardware OATH.
    China,
}

impl SimCloud {
    /// The tool's cloud of the same name (`sim` takes the global `--cloud`).
    pub fn of(cloud: crate::cloud::Cloud) -> SimCloud {
        match cloud {
            crate::cloud::Cloud::Global => SimCloud::Global,
            crate::cloud::Cloud::Usgov | crate::cloud::Cloud::UsgovDod => SimCloud::UsGov,
            crate::cloud::Cloud::China => SimCloud::China,
        }
    }
}

/// How the token endpoint refuses a scope the tenant does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScopeRefusalCode {
    /// AADSTS70011 `invalid_scope`.
    #[default]
    InvalidScope,
    /// AADSTS650053: the scope does not exist on the resource.
    NotOnResource,
    /// AADSTS65001: not consented.
    NotConsented,
}

impl ScopeRefusalCode {
    pub fn code(self) -> u32 {
        match self {
            ScopeRefusalCode::InvalidScope => 70011,
            ScopeRefusalCode::NotOnResource => 650053,
            ScopeRefusalCode::NotConsented => 65001,
        }
    }
}

/// Every switch, defaults as the simulation usually answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variants {
    pub device_list_shape: DeviceListShape,
    pub fed_patch_status: FedPatchStatus,
    pub policy_migration_state: PolicyMigrationState,
    /// `isOfficePhoneAllowed` of the Voice configuration.
    pub office_phone_allowed: bool,
    /// Delegated scopes this tenant does not know: a token request naming one is
    /// refused at the token endpoint with `scope_refusal`'s code.
    pub unknown_scopes: Vec<String>,
    pub scope_refusal: ScopeRefusalCode,
    pub cloud: SimCloud,
}

impl Default for Variants {
    fn default() -> Self {
        Variants {
            device_list_shape: DeviceListShape::default(),
            fed_patch_status: FedPatchStatus::default(),
            policy_migration_state: PolicyMigrationState::default(),
            office_phone_allowed: true,
            unknown_scopes: Vec::new(),
            scope_refusal: ScopeRefusalCode::default(),
            cloud: SimCloud::default(),
        }
    }
}

impl Variants {
    /// Whether `scope` (with or without a resource prefix) is one this tenant does not
    /// know.
    pub(crate) fn is_unknown_scope(&self, scope: &str) -> bool {
        let name = scope.rsplit('/').next().unwrap_or(scope);
        self.unknown_scopes
            .iter()
            .any(|u| u.rsplit('/').next().unwrap_or(u).eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Variants {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = Variants::default();
        let mut parts: Vec<String> = Vec::new();
        if self.device_list_shape != d.device_list_shape {
            parts.push("hardware token lists wrapped".into());
        }
        if self.fed_patch_status != d.fed_patch_status {
            parts.push("federation PATCH answers 200 with the object".into());
        }
        if self.policy_migration_state != d.policy_migration_state {
            parts.push(format!(
                "policyMigrationState {}",
                self.policy_migration_state.graph_name()
            ));
        }
        if !self.office_phone_allowed {
            parts.push("office phones not allowed".into());
        }
        if !self.unknown_scopes.is_empty() {
            parts.push(format!(
                "unknown scopes {} (AADSTS{})",
                self.unknown_scopes.join(", "),
                self.scope_refusal.code()
            ));
        }
        match self.cloud {
            SimCloud::Global => {}
            SimCloud::UsGov => parts.push("US Government cloud refusals".into()),
            SimCloud::China => parts.push("China cloud refusals".into()),
        }
        if parts.is_empty() {
            f.write_str("no variants")
        } else {
            f.write_str(&parts.join("; "))
        }
    }
}

fn one_of<T: Copy>(s: &str, what: &str, options: &[(&[&str], T)]) -> Result<T, String> {
    let v = s.trim();
    options
        .iter()
        .find(|(names, _)| names.iter().any(|n| n.eq_ignore_ascii_case(v)))
        .map(|(_, t)| *t)
        .ok_or_else(|| {
            let expected: Vec<&str> = options.iter().map(|(n, _)| n[0]).collect();
            format!("{what} {v:?}: expected one of {}", expected.join(", "))
        })
}

impl FromStr for DeviceListShape {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        one_of(
            s,
            "device list shape",
            &[
                (&["flat"], DeviceListShape::Flat),
                (&["wrapped"], DeviceListShape::Wrapped),
            ],
        )
    }
}

impl FromStr for FedPatchStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        one_of(
            s,
            "federation PATCH status",
            &[
                (&["204"], FedPatchStatus::NoContent),
                (&["200"], FedPatchStatus::OkWithBody),
            ],
        )
    }
}

impl FromStr for PolicyMigrationState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        one_of(
            s,
            "policy migration state",
            &[
                (
                    &["pre-migration", "preMigration"],
                    PolicyMigrationState::PreMigration,
                ),
                (
                    &["migration-in-progress", "migrationInProgress"],
                    PolicyMigrationState::MigrationInProgress,
                ),
                (
                    &["migration-complete", "migrationComplete"],
                    PolicyMigrationState::MigrationComplete,
                ),
            ],
        )
    }
}

impl FromStr for SimCloud {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        one_of(
            s,
            "cloud",
            &[
                (&["global"], SimCloud::Global),
                (&["usgov", "usgov-dod"], SimCloud::UsGov),
                (&["china"], SimCloud::China),
            ],
        )
    }
}

impl FromStr for ScopeRefusalCode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        one_of(
            s.trim().trim_start_matches("AADSTS"),
            "scope refusal code",
            &[
                (&["70011"], ScopeRefusalCode::InvalidScope),
                (&["650053"], ScopeRefusalCode::NotOnResource),
                (&["65001"], ScopeRefusalCode::NotConsented),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switches_parse_and_refuse_with_the_choices() {
        assert_eq!("wrapped".parse(), Ok(DeviceListShape::Wrapped));
        assert_eq!("200".parse(), Ok(FedPatchStatus::OkWithBody));
        assert_eq!(
            "preMigration".parse(),
            Ok(PolicyMigrationState::PreMigration)
        );
        assert_eq!("china".parse(), Ok(SimCloud::China));
        assert_eq!("AADSTS650053".parse(), Ok(ScopeRefusalCode::NotOnResource));
        let err = "nested".parse::<DeviceListShape>().unwrap_err();
        assert!(err.contains("flat, wrapped"), "{err}");
        let v = Variants {
            unknown_scopes: vec!["Policy.ReadWrite.HybridAuthentication".into()],
            ..Variants::default()
        };
        assert!(
            v.is_unknown_scope("https://graph.microsoft.com/Policy.ReadWrite.HybridAuthentication")
        );
        assert!(!v.is_unknown_scope("User.Read.All"));
        assert_eq!(Variants::default().to_string(), "no variants");
    }
}
