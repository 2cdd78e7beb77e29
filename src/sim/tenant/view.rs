//! Read-only views of the simulated tenant for tests and the `sim` summary: what a user
//! holds (phones, authenticators, hardware tokens, default method), the hardware
//! inventory, groups, rollout policies, federation, and the log of every write that
//! succeeded — so a test can prove, for example, that nothing was created twice.

use std::fmt;

use chrono::{DateTime, Utc};

use super::{
    DefaultMethod, DeviceStatus, GroupKind, HwDevice, Member, MethodConfigId, PerUserMfa,
    PhoneType, Tenant, User, fmt_oid,
};

/// One successful write, as the tenant applied it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteRecord {
    pub at: DateTime<Utc>,
    /// `POST`, `PATCH`, `DELETE`.
    pub method: String,
    /// The request path as sent, version included (`/beta/users/…/hardwareOathMethods`).
    pub path: String,
    /// Object id of the user the write changed, when it changed a user.
    pub user: Option<String>,
    pub op: WriteOp,
    /// Whether it came inside a `$batch`.
    pub in_batch: bool,
}

/// What a write did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOp {
    AddPhone(PhoneType),
    UpdatePhone(PhoneType),
    DeletePhone(PhoneType),
    DeleteAuthenticator,
    DeleteSoftwareOath,
    CreateHardwareDevice { serial: String, assigned: bool },
    UpdateHardwareDevice { serial: String },
    DeleteHardwareDevice { serial: String },
    AssignHardwareToken { serial: String },
    ActivateHardwareToken { serial: String },
    AssignAndActivateHardwareToken { serial: String },
    DeactivateHardwareToken { serial: String },
    UnassignHardwareToken { serial: String },
    SetSignInPreferences,
    SetRequirements,
    UpdateMethodConfiguration { id: String },
    CreateRolloutPolicy { id: String },
    UpdateRolloutPolicy { id: String },
    DeleteRolloutPolicy { id: String },
    AddRolloutGroup { policy: String, group: String },
    RemoveRolloutGroup { policy: String, group: String },
    UpdateFederation { domain: String },
}

/// The tenant, read-only.
pub struct TenantView<'a> {
    t: &'a Tenant,
}

impl<'a> TenantView<'a> {
    pub(crate) fn new(t: &'a Tenant) -> TenantView<'a> {
        TenantView { t }
    }

    pub fn tenant_id(&self) -> String {
        fmt_oid(self.t.id)
    }

    /// The seed the tenant was generated from.
    pub fn seed(&self) -> u64 {
        self.t.seed
    }

    pub fn user_count(&self) -> usize {
        self.t.users.len()
    }

    /// A user by object id or UPN (case-insensitive).
    pub fn user(&self, id_or_upn: &str) -> Option<UserView<'a>> {
        let i = self.t.find_user(id_or_upn)?;
        self.t
            .users
            .get(i as usize)
            .map(|u| UserView { t: self.t, u })
    }

    pub fn users(&self) -> impl Iterator<Item = UserView<'a>> + 'a {
        let t = self.t;
        t.users.iter().map(move |u| UserView { t, u })
    }

    /// A hardware token by serial number (case-insensitive).
    pub fn hardware_device(&self, serial: &str) -> Option<DeviceView<'a>> {
        let slot = self.t.device_by_serial(serial)?;
        self.t.device_at(slot).map(|d| DeviceView { t: self.t, d })
    }

    pub fn hardware_devices(&self) -> impl Iterator<Item = DeviceView<'a>> + 'a {
        let t = self.t;
        t.devices().map(move |(_, d)| DeviceView { t, d })
    }

    /// Every successful write, oldest first.
    pub fn write_log(&self) -> &'a [WriteRecord] {
        &self.t.write_log
    }

    /// A group by display name (the first if several share it).
    pub fn group(&self, name: &str) -> Option<GroupView<'a>> {
        let i = *self.t.groups_named(name).first()?;
        Some(GroupView { t: self.t, g: i })
    }

    pub fn groups(&self) -> impl Iterator<Item = GroupView<'a>> + 'a {
        let t = self.t;
        (0..t.groups.len() as u32).map(move |g| GroupView { t, g })
    }

    pub fn rollout_policies(&self) -> impl Iterator<Item = RolloutView<'a>> + 'a {
        let t = self.t;
        t.rollout.iter().map(move |p| RolloutView { t, p })
    }

    /// `federatedIdpMfaBehavior` of a federated domain: `Some(None)` when unset, `None`
    /// for a managed or unknown domain.
    pub fn federation_mfa_behavior(&self, domain: &str) -> Option<Option<&'static str>> {
        let d = self
            .t
            .domains
            .iter()
            .find(|d| d.name.eq_ignore_ascii_case(domain))?;
        d.federation
            .as_ref()
            .map(|f| f.mfa_behavior.map(|b| b.graph_name()))
    }

    /// Whether a method is enabled in the authentication methods policy.
    pub fn method_enabled(&self, id: MethodConfigId) -> bool {
        self.t.method_config(id).is_some_and(|c| c.enabled)
    }

    pub fn summary(&self) -> TenantSummary {
        let t = self.t;
        let mut s = TenantSummary {
            tenant_id: fmt_oid(t.id),
            users: t.users.len(),
            ..TenantSummary::default()
        };
        for u in &t.users {
            s.synced += usize::from(u.synced);
            s.with_phone += usize::from(u.phones.iter().any(Option::is_some));
            s.with_authenticator += usize::from(!u.authenticators.is_empty());
            s.with_default += usize::from(u.preferred.is_some());
            s.without_methods +=
                usize::from(u.phones.iter().all(Option::is_none) && u.device_count() == 0);
        }
        s.groups = (0..t.groups.len() as u32)
            .map(|g| {
                let v = GroupView { t, g };
                (v.name().to_string(), v.kind_label(), v.user_count())
            })
            .collect();
        s.domains = t
            .domains
            .iter()
            .map(|d| {
                (
                    d.name.clone(),
                    if d.federation.is_some() {
                        "Federated"
                    } else {
                        "Managed"
                    },
                )
            })
            .collect();
        s.hardware_devices = t.devices().count();
        s
    }
}

/// One user, read-only.
#[derive(Clone, Copy)]
pub struct UserView<'a> {
    t: &'a Tenant,
    u: &'a User,
}

impl<'a> UserView<'a> {
    pub fn id(&self) -> String {
        fmt_oid(self.u.id)
    }

    pub fn upn(&self) -> &'a str {
        &self.u.upn
    }

    pub fn display_name(&self) -> &'a str {
        &self.u.display_name
    }

    pub fn sid(&self) -> Option<&'a str> {
        self.u.sid.as_deref()
    }

    pub fn sam_account_name(&self) -> Option<&'a str> {
        self.u.sam.as_deref()
    }

    pub fn employee_id(&self) -> &'a str {
        &self.u.employee_id
    }

    pub fn mail(&self) -> &'a str {
        &self.u.mail
    }

    pub fn synced(&self) -> bool {
        self.u.synced
    }

    pub fn account_enabled(&self) -> bool {
        self.u.enabled
    }

    /// The Graph-format number of a phone type.
    pub fn phone(&self, t: PhoneType) -> Option<&'a str> {
        self.u.phone(t)
    }

    pub fn phones(&self) -> Vec<(PhoneType, &'a str)> {
        PhoneType::ALL
            .into_iter()
            .filter_map(|t| self.u.phone(t).map(|n| (t, n)))
            .collect()
    }

    /// Display names of the Microsoft Authenticator registrations.
    pub fn authenticators(&self) -> Vec<&'a str> {
        self.u
            .authenticators
            .iter()
            .map(|a| &*a.display_name)
            .collect()
    }

    pub fn software_oath_count(&self) -> usize {
        self.u.software_oath.len()
    }

    /// Serial number and status of each hardware token assigned to the user.
    pub fn hardware_tokens(&self) -> Vec<(&'a str, DeviceStatus)> {
        self.u
            .hardware
            .iter()
            .filter_map(|&id| self.t.device_by_id(id).and_then(|s| self.t.device_at(s)))
            .map(|d| (d.serial.as_str(), d.status))
            .collect()
    }

    /// Authenticators + software OATH + hardware OATH (at most five).
    pub fn device_count(&self) -> usize {
        self.u.device_count()
    }

    pub fn default_method(&self) -> Option<DefaultMethod> {
        self.u.preferred
    }

    pub fn system_preferred_enabled(&self) -> bool {
        self.u.system_preferred
    }

    pub fn per_user_mfa(&self) -> PerUserMfa {
        self.u.per_user_mfa
    }
}

impl fmt::Debug for UserView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserView")
            .field("upn", &self.upn())
            .field("phones", &self.phones())
            .field("authenticators", &self.authenticators())
            .field("hardware", &self.hardware_tokens())
            .field("default", &self.default_method())
            .finish()
    }
}

/// One hardware token of the inventory, read-only (never its secret).
#[derive(Clone, Copy)]
pub struct DeviceView<'a> {
    t: &'a Tenant,
    d: &'a HwDevice,
}

impl<'a> DeviceView<'a> {
    pub fn id(&self) -> String {
        fmt_oid(self.d.id)
    }

    pub fn serial(&self) -> &'a str {
        &self.d.serial
    }

    pub fn status(&self) -> DeviceStatus {
        self.d.status
    }

    /// UPN of the user it is assigned to.
    pub fn assigned_to(&self) -> Option<&'a str> {
        self.d
            .assigned_to
            .and_then(|u| self.t.users.get(u as usize))
            .map(|u| &*u.upn)
    }

    pub fn display_name(&self) -> Option<&'a str> {
        self.d.display_name.as_deref()
    }
}

impl fmt::Debug for DeviceView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceView")
            .field("serial", &self.serial())
            .field("status", &self.status())
            .field("assigned_to", &self.assigned_to())
            .finish()
    }
}

/// One group, read-only.
#[derive(Clone, Copy)]
pub struct GroupView<'a> {
    t: &'a Tenant,
    g: u32,
}

impl<'a> GroupView<'a> {
    fn group(&self) -> &'a super::Group {
        &self.t.groups[self.g as usize]
    }

    pub fn id(&self) -> String {
        fmt_oid(self.group().id)
    }

    pub fn name(&self) -> &'a str {
        &self.group().display_name
    }

    pub fn is_dynamic(&self) -> bool {
        matches!(self.group().kind, GroupKind::Dynamic { .. })
    }

    pub fn has_contacts(&self) -> bool {
        self.group()
            .members
            .iter()
            .any(|m| matches!(m, Member::Contact(_)))
    }

    /// Direct members that are groups.
    pub fn nested_groups(&self) -> Vec<&'a str> {
        self.group()
            .members
            .iter()
            .filter_map(|m| match m {
                Member::Group(g) => Some(self.t.groups[*g as usize].display_name.as_str()),
                _ => None,
            })
            .collect()
    }

    /// UPNs of the direct user members.
    pub fn direct_users(&self) -> Vec<&'a str> {
        self.group()
            .members
            .iter()
            .filter_map(|m| match m {
                Member::User(u) => Some(&*self.t.users[*u as usize].upn),
                _ => None,
            })
            .collect()
    }

    /// UPNs of all user members, nested ones included.
    pub fn transitive_users(&self) -> Vec<&'a str> {
        self.t
            .transitive_members(self.g)
            .iter()
            .filter_map(|m| match m {
                Member::User(u) => Some(&*self.t.users[*u as usize].upn),
                _ => None,
            })
            .collect()
    }

    /// How many users are members, nested ones included.
    pub fn user_count(&self) -> usize {
        self.t
            .transitive_members(self.g)
            .iter()
            .filter(|m| matches!(m, Member::User(_)))
            .count()
    }

    fn kind_label(&self) -> &'static str {
        if self.is_dynamic() {
            "dynamic"
        } else if self.has_contacts() {
            "with a contact"
        } else if !self.nested_groups().is_empty() {
            "nested"
        } else {
            "assigned"
        }
    }
}

impl fmt::Debug for GroupView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupView")
            .field("name", &self.name())
            .field("users", &self.user_count())
            .finish()
    }
}

/// One Staged Rollout policy, read-only.
#[derive(Clone, Copy)]
pub struct RolloutView<'a> {
    t: &'a Tenant,
    p: &'a super::RolloutPolicy,
}

impl<'a> RolloutView<'a> {
    pub fn id(&self) -> String {
        fmt_oid(self.p.id)
    }

    pub fn display_name(&self) -> &'a str {
        &self.p.display_name
    }

    /// The feature's name, always in full (`multiFactorAuthentication`).
    pub fn feature(&self) -> &'static str {
        self.p.feature.graph_name()
    }

    pub fn is_enabled(&self) -> bool {
        self.p.is_enabled
    }

    /// Names of the groups it applies to, in the order added.
    pub fn groups(&self) -> Vec<&'a str> {
        self.p
            .applies_to
            .iter()
            .map(|&g| self.t.groups[g as usize].display_name.as_str())
            .collect()
    }
}

impl fmt::Debug for RolloutView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RolloutView")
            .field("feature", &self.feature())
            .field("enabled", &self.is_enabled())
            .field("groups", &self.groups())
            .finish()
    }
}

/// What `mfa-cutover sim` prints about the tenant it generated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantSummary {
    pub tenant_id: String,
    pub users: usize,
    pub synced: usize,
    pub with_phone: usize,
    pub with_authenticator: usize,
    pub with_default: usize,
    pub without_methods: usize,
    /// (name, kind, users including nested members)
    pub groups: Vec<(String, &'static str, usize)>,
    /// (name, `Federated` | `Managed`)
    pub domains: Vec<(String, &'static str)>,
    pub hardware_devices: usize,
}

impl fmt::Display for TenantSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "  tenant   {}", self.tenant_id)?;
        let domains: Vec<String> = self
            .domains
            .iter()
            .map(|(n, k)| format!("{n} ({})", k.to_lowercase()))
            .collect();
        writeln!(f, "  domains  {}", domains.join(", "))?;
        writeln!(
            f,
            "  users    {} ({} synced): {} with a phone, {} with Microsoft Authenticator, {} with a default method, {} with no method",
            self.users,
            self.synced,
            self.with_phone,
            self.with_authenticator,
            self.with_default,
            self.without_methods
        )?;
        writeln!(f, "  groups")?;
        let width = self.groups.iter().map(|g| g.0.len()).max().unwrap_or(0);
        for (name, kind, users) in &self.groups {
            writeln!(f, "    {name:<width$}  {users:>7} users  {kind}")?;
        }
        write!(
            f,
            "  hardware OATH inventory: {} tokens",
            self.hardware_devices
        )
    }
}
