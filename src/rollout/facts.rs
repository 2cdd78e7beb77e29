//! What the rollout and federation rules decide from: the facts the services read from
//! Graph and the state store, in plain types of their own so the rules stay pure (no
//! Graph client, no store, no clock) and each service fills them from whatever it read.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::graph::model::{
    DirectoryObject, Domain, DomainFederation, FederatedIdpMfaBehavior, Group, MemberKind,
    RolloutPolicy,
};

/// Where a user stands in the migration, as the state store records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MigrationState {
    /// Never migrated (or skipped: nothing to migrate).
    #[default]
    NotMigrated,
    /// Every attempt failed before anything was written and verified.
    Failed,
    /// Written, not (or no longer) verified: a read-back mismatch, an interrupted run, or
    /// a later attempt that failed after an earlier migration.
    Migrated,
    /// Written and proven by reading back (rule C4).
    Verified,
}

impl MigrationState {
    /// From the store's `status` and `migrated_at` of a user (`None`: no row).
    pub fn from_store(status: Option<&str>, migrated_at: Option<&str>) -> MigrationState {
        match status.map(str::trim) {
            Some(s) if s.eq_ignore_ascii_case("verified") => MigrationState::Verified,
            Some(s)
                if s.eq_ignore_ascii_case("mismatch") || s.eq_ignore_ascii_case("interrupted") =>
            {
                MigrationState::Migrated
            }
            Some(s) if s.eq_ignore_ascii_case("failed") => {
                if migrated_at.is_some() {
                    MigrationState::Migrated
                } else {
                    MigrationState::Failed
                }
            }
            _ if migrated_at.is_some() => MigrationState::Migrated,
            _ => MigrationState::NotMigrated,
        }
    }

    /// Written at least once.
    pub fn is_migrated(self) -> bool {
        matches!(self, MigrationState::Migrated | MigrationState::Verified)
    }
}

/// One user as the rules see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFacts {
    pub id: String,
    pub upn: String,
    /// `onPremisesSyncEnabled == true`. Staged Rollout applies only to users synced from
    /// on-premises by Entra Connect, "it doesn't apply to cloud-only users"
    /// (entra-docs how-to-connect-staged-rollout.md, Supported scenarios).
    pub synced: bool,
    pub migration: MigrationState,
    /// At least one usable Entra method now (rollout-federation.md, "Usable method"):
    /// the one usable-method rule of `migrate` decides it; the service passes its answer.
    pub has_usable_method: bool,
}

/// A group, by id and display name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GroupRef {
    pub id: String,
    pub name: String,
}

impl GroupRef {
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> GroupRef {
        GroupRef {
            id: id.into(),
            name: name.into(),
        }
    }

    /// The same group: ids compare without case (GUIDs).
    pub fn is(&self, other: &GroupRef) -> bool {
        self.id.eq_ignore_ascii_case(&other.id)
    }

    /// Whether `key` (an id or a display name, as a wave names it) names this group.
    pub fn named_by(&self, key: &str) -> bool {
        let key = key.trim();
        self.id.eq_ignore_ascii_case(key) || self.name.trim().eq_ignore_ascii_case(key)
    }
}

/// A group's own properties (graph-api.md §3.3, §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInfo {
    pub group: GroupRef,
    /// `groupTypes` holds `DynamicMembership`: Staged Rollout refuses it.
    pub dynamic: bool,
}

impl GroupInfo {
    /// From Graph's group (read with `groupTypes`).
    pub fn from_graph(g: &Group) -> GroupInfo {
        GroupInfo {
            group: GroupRef::new(g.id.clone(), g.display_name.clone().unwrap_or_default()),
            dynamic: g.is_dynamic(),
        }
    }
}

/// A direct member of a group, by its `@odata.type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Member {
    User(UserFacts),
    /// A nested group: Staged Rollout does not expand it, so its members stay out of
    /// scope. `users`: its (transitive) user count, when read.
    Group {
        group: GroupRef,
        users: Option<u64>,
    },
    /// An organisational contact: Entra refuses a group holding one.
    Contact {
        id: String,
        name: String,
    },
    Device {
        id: String,
    },
    /// Anything else (a service principal, a type this build does not know).
    Other {
        id: String,
    },
}

impl Member {
    /// From a direct member as Graph lists it (`group_direct_members`). For a user,
    /// `migration` comes from the state store and `has_usable_method` from the
    /// usable-method rule; for a nested group, `nested_users` is its user count when read.
    pub fn from_graph(
        o: &DirectoryObject,
        migration: MigrationState,
        has_usable_method: bool,
        nested_users: Option<u64>,
    ) -> Member {
        let name = || {
            o.display_name
                .clone()
                .or_else(|| o.user_principal_name.clone())
                .unwrap_or_default()
        };
        match o.kind() {
            MemberKind::User => Member::User(UserFacts {
                id: o.id.clone(),
                upn: o.user_principal_name.clone().unwrap_or_else(name),
                synced: o.on_premises_sync_enabled == Some(true),
                migration,
                has_usable_method,
            }),
            MemberKind::Group => Member::Group {
                group: GroupRef::new(o.id.clone(), name()),
                users: nested_users,
            },
            MemberKind::Contact => Member::Contact {
                id: o.id.clone(),
                name: name(),
            },
            MemberKind::Device => Member::Device { id: o.id.clone() },
            MemberKind::ServicePrincipal | MemberKind::Other => Member::Other { id: o.id.clone() },
        }
    }
}

/// The Staged Rollout policy for `multiFactorAuthentication`, as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RolloutPolicyFacts {
    pub id: String,
    pub display_name: String,
    pub enabled: bool,
    /// `appliesTo`, in Graph's order.
    pub groups: Vec<GroupRef>,
}

impl RolloutPolicyFacts {
    /// From Graph's policy (read with `$expand=appliesTo`).
    pub fn from_graph(p: &RolloutPolicy) -> RolloutPolicyFacts {
        RolloutPolicyFacts {
            id: p.id.clone(),
            display_name: p.display_name.clone().unwrap_or_default(),
            enabled: p.is_enabled.unwrap_or(false),
            groups: p
                .applies_to
                .iter()
                .map(|o| GroupRef::new(o.id.clone(), o.display_name.clone().unwrap_or_default()))
                .collect(),
        }
    }

    pub fn targets(&self, group: &GroupRef) -> bool {
        self.groups.iter().any(|g| g.is(group))
    }
}

/// A value of `federatedIdpMfaBehavior` (graph-api.md §6).
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MfaBehavior {
    /// Entra accepts the federation server's MFA, else performs MFA itself.
    #[serde(rename = "acceptIfMfaDoneByFederatedIdp")]
    AcceptIfMfaDoneByFederatedIdp,
    /// Entra accepts the federation server's MFA, else sends the user back to it: MFA
    /// stays on premises. The rollback value.
    #[serde(rename = "enforceMfaByFederatedIdp")]
    EnforceMfaByFederatedIdp,
    /// Entra always performs MFA itself: the final cutover value.
    #[serde(rename = "rejectMfaByFederatedIdp")]
    RejectMfaByFederatedIdp,
}

impl MfaBehavior {
    pub const ALL: [MfaBehavior; 3] = [
        MfaBehavior::AcceptIfMfaDoneByFederatedIdp,
        MfaBehavior::EnforceMfaByFederatedIdp,
        MfaBehavior::RejectMfaByFederatedIdp,
    ];

    /// Graph's spelling.
    pub fn graph_name(self) -> &'static str {
        match self {
            MfaBehavior::AcceptIfMfaDoneByFederatedIdp => "acceptIfMfaDoneByFederatedIdp",
            MfaBehavior::EnforceMfaByFederatedIdp => "enforceMfaByFederatedIdp",
            MfaBehavior::RejectMfaByFederatedIdp => "rejectMfaByFederatedIdp",
        }
    }

    /// Graph's spelling, without case; also the short words `accept`, `enforce`,
    /// `reject` a command line takes.
    pub fn parse(text: &str) -> Option<MfaBehavior> {
        let t = text.trim();
        MfaBehavior::ALL
            .into_iter()
            .find(|b| b.graph_name().eq_ignore_ascii_case(t) || b.short().eq_ignore_ascii_case(t))
    }

    pub fn short(self) -> &'static str {
        match self {
            MfaBehavior::AcceptIfMfaDoneByFederatedIdp => "accept",
            MfaBehavior::EnforceMfaByFederatedIdp => "enforce",
            MfaBehavior::RejectMfaByFederatedIdp => "reject",
        }
    }

    /// Where MFA happens for federated users with this value.
    pub fn meaning(self) -> &'static str {
        match self {
            MfaBehavior::AcceptIfMfaDoneByFederatedIdp => {
                "Entra accepts MFA done by the federation server, else performs MFA itself"
            }
            MfaBehavior::EnforceMfaByFederatedIdp => {
                "MFA at the federation server (MFA Server): the rollback value"
            }
            MfaBehavior::RejectMfaByFederatedIdp => {
                "every MFA in Entra, whatever Staged Rollout says: the final cutover"
            }
        }
    }

    pub fn to_graph(self) -> FederatedIdpMfaBehavior {
        FederatedIdpMfaBehavior::from_wire(self.graph_name())
    }
}

impl fmt::Display for MfaBehavior {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.graph_name())
    }
}

/// `federatedIdpMfaBehavior` of a federated domain as read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FederationValue {
    /// Never set: Entra honours the legacy `SupportsMfa` if that is set, else behaves as
    /// `acceptIfMfaDoneByFederatedIdp` (internaldomainfederation resource page).
    Unset,
    Set(MfaBehavior),
    /// A value this build does not know (`unknownFutureValue` or newer).
    Unknown(String),
}

impl FederationValue {
    /// From Graph's federation configuration (`None` when the property is absent or
    /// `null`).
    pub fn from_graph(v: Option<&FederatedIdpMfaBehavior>) -> FederationValue {
        match v {
            None => FederationValue::Unset,
            Some(b) => match MfaBehavior::parse(b.as_str()) {
                Some(b) => FederationValue::Set(b),
                None => FederationValue::Unknown(b.as_str().to_string()),
            },
        }
    }

    /// What Entra does with it: unset means `acceptIfMfaDoneByFederatedIdp` (when the
    /// legacy `SupportsMfa` is not set either).
    pub fn effective(&self) -> Option<MfaBehavior> {
        match self {
            FederationValue::Unset => Some(MfaBehavior::AcceptIfMfaDoneByFederatedIdp),
            FederationValue::Set(b) => Some(*b),
            FederationValue::Unknown(_) => None,
        }
    }

    /// How the audit log and drift checks record it.
    pub fn audit_text(&self) -> String {
        match self {
            FederationValue::Unset => "unset".to_string(),
            FederationValue::Set(b) => b.graph_name().to_string(),
            FederationValue::Unknown(s) => s.clone(),
        }
    }

    /// The reverse of [`FederationValue::audit_text`].
    pub fn from_audit(text: &str) -> FederationValue {
        let t = text.trim();
        if t.is_empty() || t.eq_ignore_ascii_case("unset") || t.eq_ignore_ascii_case("null") {
            return FederationValue::Unset;
        }
        match MfaBehavior::parse(t) {
            Some(b) => FederationValue::Set(b),
            None => FederationValue::Unknown(t.to_string()),
        }
    }
}

impl fmt::Display for FederationValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FederationValue::Unset => f.write_str("unset (acts as acceptIfMfaDoneByFederatedIdp)"),
            FederationValue::Set(b) => f.write_str(b.graph_name()),
            FederationValue::Unknown(s) => write!(f, "{s} (unknown to this build)"),
        }
    }
}

/// A domain of the tenant with what the federation rules need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DomainFacts {
    pub name: String,
    /// `authenticationType == Federated`; a managed domain has no federation setting.
    pub federated: bool,
    /// Id of its `internalDomainFederation` (the PATCH needs it), when read.
    pub federation_id: Option<String>,
    pub value: FederationValue,
    /// Users of the domain whose MFA the setting decides, when counted.
    pub users: Option<u64>,
}

impl DomainFacts {
    /// From a domain and, for a federated one, its federation configuration as read.
    pub fn from_graph(
        d: &Domain,
        federation: Option<&DomainFederation>,
        users: Option<u64>,
    ) -> Self {
        DomainFacts {
            name: d.id.clone(),
            federated: d.is_federated(),
            federation_id: federation.map(|f| f.id.clone()),
            value: FederationValue::from_graph(
                federation.and_then(|f| f.federated_idp_mfa_behavior.as_ref()),
            ),
            users,
        }
    }
}

/// Serialised as the audit log writes it: the Graph value, or `unset`.
impl Serialize for FederationValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.audit_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_status_maps_to_migration_state() {
        use MigrationState::*;
        assert_eq!(MigrationState::from_store(None, None), NotMigrated);
        assert_eq!(
            MigrationState::from_store(Some("verified"), Some("t")),
            Verified
        );
        assert_eq!(MigrationState::from_store(Some("mismatch"), None), Migrated);
        assert_eq!(MigrationState::from_store(Some("failed"), None), Failed);
        assert_eq!(
            MigrationState::from_store(Some("failed"), Some("t")),
            Migrated
        );
        assert!(Verified.is_migrated() && !Failed.is_migrated());
    }

    #[test]
    fn federation_values_read_and_round_trip() {
        assert_eq!(FederationValue::from_graph(None), FederationValue::Unset);
        let g = FederatedIdpMfaBehavior::RejectMfaByFederatedIdp;
        let v = FederationValue::from_graph(Some(&g));
        assert_eq!(
            v,
            FederationValue::Set(MfaBehavior::RejectMfaByFederatedIdp)
        );
        assert_eq!(FederationValue::from_audit(&v.audit_text()), v);
        assert_eq!(
            FederationValue::Unset.effective(),
            Some(MfaBehavior::AcceptIfMfaDoneByFederatedIdp)
        );
        let odd = FederatedIdpMfaBehavior::from_wire("unknownFutureValue");
        assert!(matches!(
            FederationValue::from_graph(Some(&odd)),
            FederationValue::Unknown(_)
        ));
        assert_eq!(
            MfaBehavior::parse("ENFORCE"),
            Some(MfaBehavior::EnforceMfaByFederatedIdp)
        );
        assert_eq!(
            MfaBehavior::EnforceMfaByFederatedIdp.to_graph(),
            FederatedIdpMfaBehavior::EnforceMfaByFederatedIdp
        );
    }

    #[test]
    fn graph_members_become_facts() {
        let parse =
            |json: &str| -> DirectoryObject { serde_json::from_str(json).unwrap_or_default() };
        let u = parse(
            r##"{"@odata.type":"#microsoft.graph.user","id":"u1","userPrincipalName":"a@contoso.com","onPremisesSyncEnabled":true}"##,
        );
        let Member::User(f) = Member::from_graph(&u, MigrationState::Verified, true, None) else {
            panic!("a user")
        };
        assert!(f.synced && f.has_usable_method);
        let cloud = parse(
            r##"{"@odata.type":"#microsoft.graph.user","id":"u2","onPremisesSyncEnabled":null}"##,
        );
        assert!(matches!(
            Member::from_graph(&cloud, MigrationState::NotMigrated, false, None),
            Member::User(UserFacts { synced: false, .. })
        ));
        let g =
            parse(r##"{"@odata.type":"#microsoft.graph.group","id":"g","displayName":"Branch"}"##);
        assert_eq!(
            Member::from_graph(&g, MigrationState::NotMigrated, false, Some(4)),
            Member::Group {
                group: GroupRef::new("g", "Branch"),
                users: Some(4)
            }
        );
        let c = parse(
            r##"{"@odata.type":"#microsoft.graph.orgContact","id":"c","displayName":"Desk"}"##,
        );
        assert!(matches!(
            Member::from_graph(&c, MigrationState::NotMigrated, false, None),
            Member::Contact { .. }
        ));
    }

    #[test]
    fn groups_are_named_by_id_or_name() {
        let g = GroupRef::new("8A7C1B52-1F9B-4F37-9C6E-3A2D1C0B9E88", "MFA Rollout Wave 1");
        assert!(g.named_by("8a7c1b52-1f9b-4f37-9c6e-3a2d1c0b9e88"));
        assert!(g.named_by(" mfa rollout wave 1 "));
        assert!(!g.named_by("MFA Rollout Wave 2"));
    }
}
