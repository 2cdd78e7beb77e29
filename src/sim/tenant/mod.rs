//! The simulated tenant's own model: users with their authentication methods, groups,
//! contacts, the hardware OATH inventory, the methods policy, Staged Rollout policies and
//! domains — and the rules Entra enforces on them (graph-api.md §4–§6 and §14).
//!
//! Every change goes through a method here that checks the rules and returns Graph's
//! refusal ([`ApiError`]) when one is broken; the API layer only parses and serialises.

pub(crate) mod admin;
pub(crate) mod generate;
mod index;
pub(crate) mod view;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::error::{ApiError, ApiResult};
use super::otp;
use super::phone_format;
use view::{WriteOp, WriteRecord};

pub(crate) use index::{KeyIndex, ieq};

/// A directory object id (a GUID).
pub(crate) type Oid = u128;

pub(crate) fn fmt_oid(o: Oid) -> String {
    uuid::Uuid::from_u128(o).hyphenated().to_string()
}

pub(crate) fn parse_oid(s: &str) -> Option<Oid> {
    // Only the hyphenated form: anything else is a UPN or a name.
    if s.len() != 36 {
        return None;
    }
    uuid::Uuid::parse_str(s).ok().map(|u| u.as_u128())
}

/// A random version-4 GUID from `rng`.
pub(crate) fn new_oid(rng: &mut ChaCha8Rng) -> Oid {
    let mut b = [0u8; 16];
    rng.fill_bytes(&mut b);
    uuid::Builder::from_random_bytes(b).into_uuid().as_u128()
}

/// A phone method's type; each has a fixed method id (graph-api.md §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PhoneType {
    Mobile,
    AlternateMobile,
    Office,
}

impl PhoneType {
    pub const ALL: [PhoneType; 3] = [
        PhoneType::Mobile,
        PhoneType::AlternateMobile,
        PhoneType::Office,
    ];

    pub fn graph_name(self) -> &'static str {
        match self {
            PhoneType::Mobile => "mobile",
            PhoneType::AlternateMobile => "alternateMobile",
            PhoneType::Office => "office",
        }
    }

    pub fn from_graph(s: &str) -> Option<PhoneType> {
        PhoneType::ALL
            .into_iter()
            .find(|t| t.graph_name().eq_ignore_ascii_case(s))
    }

    /// The fixed id of this type's phone method.
    pub fn method_id(self) -> &'static str {
        match self {
            PhoneType::Mobile => "3179e48a-750b-4051-897c-87b9720928f7",
            PhoneType::AlternateMobile => "b6332ec1-7057-4abe-9331-3d72feddfe41",
            PhoneType::Office => "e37fc753-ff3b-4958-9484-eaa9425c82bc",
        }
    }

    pub fn from_method_id(id: &str) -> Option<PhoneType> {
        PhoneType::ALL
            .into_iter()
            .find(|t| t.method_id().eq_ignore_ascii_case(id))
    }

    pub(crate) fn slot(self) -> usize {
        self as usize
    }
}

/// `userPreferredMethodForSecondaryAuthentication` (graph-api.md §4.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DefaultMethod {
    Push,
    Oath,
    VoiceMobile,
    VoiceAlternateMobile,
    VoiceOffice,
    Sms,
}

impl DefaultMethod {
    pub const ALL: [DefaultMethod; 6] = [
        DefaultMethod::Push,
        DefaultMethod::Oath,
        DefaultMethod::VoiceMobile,
        DefaultMethod::VoiceAlternateMobile,
        DefaultMethod::VoiceOffice,
        DefaultMethod::Sms,
    ];

    pub fn graph_name(self) -> &'static str {
        match self {
            DefaultMethod::Push => "push",
            DefaultMethod::Oath => "oath",
            DefaultMethod::VoiceMobile => "voiceMobile",
            DefaultMethod::VoiceAlternateMobile => "voiceAlternateMobile",
            DefaultMethod::VoiceOffice => "voiceOffice",
            DefaultMethod::Sms => "sms",
        }
    }

    pub fn from_graph(s: &str) -> Option<DefaultMethod> {
        DefaultMethod::ALL
            .into_iter()
            .find(|m| m.graph_name().eq_ignore_ascii_case(s))
    }

    /// The phone this default calls or texts, which therefore cannot be deleted.
    pub fn phone(self) -> Option<PhoneType> {
        match self {
            DefaultMethod::Sms | DefaultMethod::VoiceMobile => Some(PhoneType::Mobile),
            DefaultMethod::VoiceAlternateMobile => Some(PhoneType::AlternateMobile),
            DefaultMethod::VoiceOffice => Some(PhoneType::Office),
            DefaultMethod::Push | DefaultMethod::Oath => None,
        }
    }
}

/// A hardware token's state in the inventory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceStatus {
    Available,
    Assigned,
    Activated,
    FailedActivation,
}

impl DeviceStatus {
    pub fn graph_name(self) -> &'static str {
        match self {
            DeviceStatus::Available => "available",
            DeviceStatus::Assigned => "assigned",
            DeviceStatus::Activated => "activated",
            DeviceStatus::FailedActivation => "failedActivation",
        }
    }
}

/// `perUserMfaState` (graph-api.md §4.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PerUserMfa {
    #[default]
    Disabled,
    Enabled,
    Enforced,
}

impl PerUserMfa {
    pub fn graph_name(self) -> &'static str {
        match self {
            PerUserMfa::Disabled => "disabled",
            PerUserMfa::Enabled => "enabled",
            PerUserMfa::Enforced => "enforced",
        }
    }

    pub fn from_graph(s: &str) -> Option<PerUserMfa> {
        [
            PerUserMfa::Disabled,
            PerUserMfa::Enabled,
            PerUserMfa::Enforced,
        ]
        .into_iter()
        .find(|m| m.graph_name().eq_ignore_ascii_case(s))
    }
}

/// The methods of the authentication methods policy the simulation knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MethodConfigId {
    Fido2,
    MicrosoftAuthenticator,
    Sms,
    Voice,
    SoftwareOath,
    HardwareOath,
    TemporaryAccessPass,
    Email,
}

impl MethodConfigId {
    pub const ALL: [MethodConfigId; 8] = [
        MethodConfigId::Fido2,
        MethodConfigId::MicrosoftAuthenticator,
        MethodConfigId::Sms,
        MethodConfigId::Voice,
        MethodConfigId::SoftwareOath,
        MethodConfigId::HardwareOath,
        MethodConfigId::TemporaryAccessPass,
        MethodConfigId::Email,
    ];

    /// The configuration's `id` in Graph.
    pub fn graph_id(self) -> &'static str {
        match self {
            MethodConfigId::Fido2 => "Fido2",
            MethodConfigId::MicrosoftAuthenticator => "MicrosoftAuthenticator",
            MethodConfigId::Sms => "Sms",
            MethodConfigId::Voice => "Voice",
            MethodConfigId::SoftwareOath => "SoftwareOath",
            MethodConfigId::HardwareOath => "HardwareOath",
            MethodConfigId::TemporaryAccessPass => "TemporaryAccessPass",
            MethodConfigId::Email => "Email",
        }
    }

    pub fn from_graph(s: &str) -> Option<MethodConfigId> {
        MethodConfigId::ALL
            .into_iter()
            .find(|m| m.graph_id().eq_ignore_ascii_case(s))
    }

    pub(crate) fn odata_type(self) -> &'static str {
        match self {
            MethodConfigId::Fido2 => "#microsoft.graph.fido2AuthenticationMethodConfiguration",
            MethodConfigId::MicrosoftAuthenticator => {
                "#microsoft.graph.microsoftAuthenticatorAuthenticationMethodConfiguration"
            }
            MethodConfigId::Sms => "#microsoft.graph.smsAuthenticationMethodConfiguration",
            MethodConfigId::Voice => "#microsoft.graph.voiceAuthenticationMethodConfiguration",
            MethodConfigId::SoftwareOath => {
                "#microsoft.graph.softwareOathAuthenticationMethodConfiguration"
            }
            MethodConfigId::HardwareOath => {
                "#microsoft.graph.hardwareOathAuthenticationMethodConfiguration"
            }
            MethodConfigId::TemporaryAccessPass => {
                "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration"
            }
            MethodConfigId::Email => "#microsoft.graph.emailAuthenticationMethodConfiguration",
        }
    }

    /// Hardware OATH's configuration is served in beta only.
    pub(crate) fn beta_only(self) -> bool {
        self == MethodConfigId::HardwareOath
    }
}

/// The Staged Rollout features (`stagedFeatureName`); the last two come after
/// `unknownFutureValue` in the evolvable enum (graph-api.md §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Feature {
    PassthroughAuthentication,
    SeamlessSso,
    PasswordHashSync,
    EmailAsAlternateId,
    CertificateBasedAuthentication,
    MultiFactorAuthentication,
}

impl Feature {
    const ALL: [Feature; 6] = [
        Feature::PassthroughAuthentication,
        Feature::SeamlessSso,
        Feature::PasswordHashSync,
        Feature::EmailAsAlternateId,
        Feature::CertificateBasedAuthentication,
        Feature::MultiFactorAuthentication,
    ];

    pub fn graph_name(self) -> &'static str {
        match self {
            Feature::PassthroughAuthentication => "passthroughAuthentication",
            Feature::SeamlessSso => "seamlessSso",
            Feature::PasswordHashSync => "passwordHashSync",
            Feature::EmailAsAlternateId => "emailAsAlternateId",
            Feature::CertificateBasedAuthentication => "certificateBasedAuthentication",
            Feature::MultiFactorAuthentication => "multiFactorAuthentication",
        }
    }

    pub fn from_graph(s: &str) -> Option<Feature> {
        Feature::ALL
            .into_iter()
            .find(|f| f.graph_name().eq_ignore_ascii_case(s))
    }

    /// Members after `unknownFutureValue`: read back as `unknownFutureValue` unless the
    /// client sends `Prefer: include-unknown-enum-members`.
    pub fn evolvable(self) -> bool {
        matches!(
            self,
            Feature::CertificateBasedAuthentication | Feature::MultiFactorAuthentication
        )
    }
}

/// `federatedIdpMfaBehavior` (graph-api.md §6); the variants keep Graph's names.
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum MfaBehavior {
    AcceptIfMfaDoneByFederatedIdp,
    EnforceMfaByFederatedIdp,
    RejectMfaByFederatedIdp,
}

impl MfaBehavior {
    pub fn graph_name(self) -> &'static str {
        match self {
            MfaBehavior::AcceptIfMfaDoneByFederatedIdp => "acceptIfMfaDoneByFederatedIdp",
            MfaBehavior::EnforceMfaByFederatedIdp => "enforceMfaByFederatedIdp",
            MfaBehavior::RejectMfaByFederatedIdp => "rejectMfaByFederatedIdp",
        }
    }

    pub fn from_graph(s: &str) -> Option<MfaBehavior> {
        [
            MfaBehavior::AcceptIfMfaDoneByFederatedIdp,
            MfaBehavior::EnforceMfaByFederatedIdp,
            MfaBehavior::RejectMfaByFederatedIdp,
        ]
        .into_iter()
        .find(|b| b.graph_name() == s)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Authenticator {
    pub id: Oid,
    pub display_name: Box<str>,
    pub phone_app_version: Box<str>,
}

#[derive(Debug, Clone)]
pub(crate) struct User {
    pub id: Oid,
    pub upn: Box<str>,
    pub display_name: Box<str>,
    pub given_name: Box<str>,
    pub surname: Box<str>,
    pub mail: Box<str>,
    pub employee_id: Box<str>,
    /// Set for users synced from on-premises only.
    pub sam: Option<Box<str>>,
    pub sid: Option<Box<str>>,
    pub synced: bool,
    pub enabled: bool,
    /// Graph-format numbers by [`PhoneType::slot`].
    pub phones: [Option<Box<str>>; 3],
    pub authenticators: Vec<Authenticator>,
    pub software_oath: Vec<Oid>,
    /// Ids of the hardware tokens assigned to the user (the method id is the device id).
    pub hardware: Vec<Oid>,
    pub preferred: Option<DefaultMethod>,
    pub system_preferred: bool,
    pub per_user_mfa: PerUserMfa,
}

impl User {
    pub fn phone(&self, t: PhoneType) -> Option<&str> {
        self.phones[t.slot()].as_deref()
    }

    /// Authenticator instances + software OATH + hardware OATH: at most five (§4.7).
    pub fn device_count(&self) -> usize {
        self.authenticators.len() + self.software_oath.len() + self.hardware.len()
    }

    pub fn on_premises_domain(&self) -> Option<&str> {
        self.synced
            .then(|| self.upn.rsplit_once('@').map(|(_, d)| d))
            .flatten()
    }
}

/// How a group gets its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GroupKind {
    Assigned,
    /// A dynamic group: Staged Rollout refuses it.
    Dynamic {
        rule: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Member {
    User(u32),
    Group(u32),
    Contact(u32),
}

#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub id: Oid,
    pub display_name: String,
    pub description: String,
    pub kind: GroupKind,
    pub members: Vec<Member>,
    pub synced: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Contact {
    pub id: Oid,
    pub display_name: String,
    pub mail: String,
}

/// A hardware OATH token in the inventory.
#[derive(Debug, Clone)]
pub(crate) struct HwDevice {
    pub id: Oid,
    pub serial: String,
    pub manufacturer: String,
    pub model: String,
    pub display_name: Option<String>,
    /// The decoded secret: kept to check codes, never returned (`secretKey` is null).
    pub secret: Vec<u8>,
    pub step: u32,
    pub hash: otp::Hash,
    /// Set for event-based tokens (only the admin hook makes them: Graph's resource is
    /// time-based); the next expected counter.
    pub hotp_counter: Option<u64>,
    pub status: DeviceStatus,
    pub assigned_to: Option<u32>,
    pub assigned_at: Option<DateTime<Utc>>,
    pub last_used: Option<DateTime<Utc>>,
    /// Uploaded through the legacy CSV: listed under its user, not by the inventory
    /// search (Entra docs, how-to-mfa-manage-oath-tokens).
    pub legacy_csv: bool,
}

/// What `POST …/hardwareOathDevices` carries.
#[derive(Debug, Clone)]
pub(crate) struct NewDevice {
    pub serial: String,
    pub manufacturer: String,
    pub model: String,
    pub display_name: Option<String>,
    pub secret: Vec<u8>,
    pub step: u32,
    pub hash: otp::Hash,
    pub hotp_counter: Option<u64>,
    pub assign_to: Option<u32>,
}

#[derive(Debug, Clone)]
pub(crate) struct RolloutPolicy {
    pub id: Oid,
    pub display_name: String,
    pub description: Option<String>,
    pub feature: Feature,
    pub is_enabled: bool,
    pub applied_to_org: bool,
    /// Group numbers, in the order added.
    pub applies_to: Vec<u32>,
}

/// Staged Rollout takes at most this many groups per policy (graph-api.md §5).
pub(crate) const MAX_ROLLOUT_GROUPS: usize = 10;

#[derive(Debug, Clone)]
pub(crate) struct Federation {
    pub id: Oid,
    pub display_name: String,
    pub issuer_uri: String,
    pub metadata_exchange_uri: String,
    pub passive_sign_in_uri: String,
    pub active_sign_in_uri: String,
    pub sign_out_uri: String,
    pub signing_certificate: String,
    pub next_signing_certificate: Option<String>,
    pub preferred_authentication_protocol: String,
    pub prompt_login_behavior: String,
    pub is_signed_authentication_request_required: bool,
    pub mfa_behavior: Option<MfaBehavior>,
}

#[derive(Debug, Clone)]
pub(crate) struct Domain {
    pub name: String,
    pub is_default: bool,
    pub is_initial: bool,
    pub verified: bool,
    /// `Some` for a federated domain.
    pub federation: Option<Federation>,
}

/// A method's target: all users, or a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    AllUsers,
    Group(u32),
}

#[derive(Debug, Clone)]
pub(crate) struct MethodConfig {
    pub id: MethodConfigId,
    pub enabled: bool,
    pub include: Vec<Target>,
    pub exclude: Vec<Target>,
}

/// Per-request context the tenant needs for its write log.
#[derive(Debug, Clone)]
pub(crate) struct WriteContext<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub in_batch: bool,
}

pub(crate) struct Tenant {
    pub id: Oid,
    pub seed: u64,
    pub initial_domain: String,
    pub users: Vec<User>,
    pub groups: Vec<Group>,
    pub contacts: Vec<Contact>,
    objects: HashMap<Oid, Member>,
    by_upn: KeyIndex,
    by_sid: KeyIndex,
    by_mail: KeyIndex,
    by_employee_id: KeyIndex,
    by_sam: KeyIndex,
    by_group_name: KeyIndex,
    /// Slots stay put when a device is deleted, so listings can page by position.
    devices: Vec<Option<HwDevice>>,
    device_by_id: HashMap<Oid, usize>,
    device_by_serial: HashMap<String, usize>,
    pub rollout: Vec<RolloutPolicy>,
    pub domains: Vec<Domain>,
    pub policy: Vec<MethodConfig>,
    pub write_log: Vec<WriteRecord>,
    /// Ids of objects created after generation.
    ids: ChaCha8Rng,
    /// Flattened memberships; memberships change only through the admin hook.
    transitive: Mutex<HashMap<u32, Arc<Vec<Member>>>>,
}

/// Which user index a lookup found, by which key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UserKey {
    Upn,
    Sid,
    Mail,
    EmployeeId,
    Sam,
}

impl Tenant {
    pub(crate) fn empty(id: Oid, seed: u64, ids: ChaCha8Rng, capacity: usize) -> Tenant {
        Tenant {
            id,
            seed,
            initial_domain: String::new(),
            users: Vec::with_capacity(capacity),
            groups: Vec::new(),
            contacts: Vec::new(),
            objects: HashMap::with_capacity(capacity + 16),
            by_upn: KeyIndex::with_capacity(capacity),
            by_sid: KeyIndex::with_capacity(capacity),
            by_mail: KeyIndex::with_capacity(capacity),
            by_employee_id: KeyIndex::with_capacity(capacity),
            by_sam: KeyIndex::with_capacity(capacity),
            by_group_name: KeyIndex::default(),
            devices: Vec::new(),
            device_by_id: HashMap::new(),
            device_by_serial: HashMap::new(),
            rollout: Vec::new(),
            domains: Vec::new(),
            policy: Vec::new(),
            write_log: Vec::new(),
            ids,
            transitive: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn next_id(&mut self) -> Oid {
        new_oid(&mut self.ids)
    }

    // ---------------------------------------------------------------------------------
    // Objects and lookups
    // ---------------------------------------------------------------------------------

    pub(crate) fn push_user(&mut self, u: User) -> u32 {
        let idx = self.users.len() as u32;
        self.by_upn.insert(&u.upn, idx);
        self.by_mail.insert(&u.mail, idx);
        self.by_employee_id.insert(&u.employee_id, idx);
        if let Some(s) = &u.sid {
            self.by_sid.insert(s, idx);
        }
        if let Some(s) = &u.sam {
            self.by_sam.insert(s, idx);
        }
        self.objects.insert(u.id, Member::User(idx));
        self.users.push(u);
        idx
    }

    pub(crate) fn push_group(&mut self, g: Group) -> u32 {
        let idx = self.groups.len() as u32;
        self.by_group_name.insert(&g.display_name, idx);
        self.objects.insert(g.id, Member::Group(idx));
        self.groups.push(g);
        self.invalidate_memberships();
        idx
    }

    pub(crate) fn push_contact(&mut self, c: Contact) -> u32 {
        let idx = self.contacts.len() as u32;
        self.objects.insert(c.id, Member::Contact(idx));
        self.contacts.push(c);
        idx
    }

    pub(crate) fn object(&self, id: Oid) -> Option<Member> {
        self.objects.get(&id).copied()
    }

    /// A user by object id or UPN (case-insensitive), as `/users/{id | upn}` takes them.
    pub(crate) fn find_user(&self, key: &str) -> Option<u32> {
        if let Some(oid) = parse_oid(key) {
            return match self.object(oid) {
                Some(Member::User(i)) => Some(i),
                _ => None,
            };
        }
        self.users_by(UserKey::Upn, key).first().copied()
    }

    /// Users whose `key` property equals `value` (case-insensitive).
    pub(crate) fn users_by(&self, key: UserKey, value: &str) -> Vec<u32> {
        let ix = match key {
            UserKey::Upn => &self.by_upn,
            UserKey::Sid => &self.by_sid,
            UserKey::Mail => &self.by_mail,
            UserKey::EmployeeId => &self.by_employee_id,
            UserKey::Sam => &self.by_sam,
        };
        let mut v: Vec<u32> = ix
            .candidates(value)
            .iter()
            .copied()
            .filter(|&i| {
                let u = &self.users[i as usize];
                let field = match key {
                    UserKey::Upn => Some(&*u.upn),
                    UserKey::Sid => u.sid.as_deref(),
                    UserKey::Mail => Some(&*u.mail),
                    UserKey::EmployeeId => Some(&*u.employee_id),
                    UserKey::Sam => u.sam.as_deref(),
                };
                field.is_some_and(|f| ieq(f, value))
            })
            .collect();
        v.sort_unstable();
        v
    }

    pub(crate) fn groups_named(&self, name: &str) -> Vec<u32> {
        let mut v: Vec<u32> = self
            .by_group_name
            .candidates(name)
            .iter()
            .copied()
            .filter(|&i| ieq(&self.groups[i as usize].display_name, name))
            .collect();
        v.sort_unstable();
        v
    }

    pub(crate) fn find_group(&self, key: &str) -> Option<u32> {
        match parse_oid(key).and_then(|o| self.object(o)) {
            Some(Member::Group(i)) => Some(i),
            _ => None,
        }
    }

    pub(crate) fn invalidate_memberships(&self) {
        self.transitive
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Every object reachable through membership: the direct members first, then the
    /// members of each nested group in turn, each object once.
    pub(crate) fn transitive_members(&self, group: u32) -> Arc<Vec<Member>> {
        if let Some(v) = self
            .transitive
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&group)
        {
            return v.clone();
        }
        let mut seen_users = vec![false; self.users.len()];
        let mut seen_groups = vec![false; self.groups.len()];
        let mut seen_contacts = vec![false; self.contacts.len()];
        let mut out = Vec::new();
        let mut queue = std::collections::VecDeque::from([group]);
        if let Some(s) = seen_groups.get_mut(group as usize) {
            *s = true;
        }
        while let Some(g) = queue.pop_front() {
            let Some(grp) = self.groups.get(g as usize) else {
                continue;
            };
            for &m in &grp.members {
                let seen = match m {
                    Member::User(i) => seen_users.get_mut(i as usize),
                    Member::Group(i) => seen_groups.get_mut(i as usize),
                    Member::Contact(i) => seen_contacts.get_mut(i as usize),
                };
                match seen {
                    Some(s) if !*s => *s = true,
                    _ => continue,
                }
                out.push(m);
                if let Member::Group(i) = m {
                    queue.push_back(i);
                }
            }
        }
        let v = Arc::new(out);
        self.transitive
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(group, v.clone());
        v
    }

    // ---------------------------------------------------------------------------------
    // Phones (graph-api.md §4.2)
    // ---------------------------------------------------------------------------------

    pub(crate) fn add_phone(&mut self, u: u32, t: PhoneType, number: &str) -> ApiResult<()> {
        phone_format::check(number).map_err(ApiError::invalid)?;
        let user = self.user_mut(u)?;
        if user.phone(t).is_some() {
            return Err(ApiError::invalid(format!(
                "The user already has a phone of type '{}'; a user has at most one phone per type. Update it instead.",
                t.graph_name()
            )));
        }
        if t == PhoneType::AlternateMobile && user.phone(PhoneType::Mobile).is_none() {
            return Err(ApiError::invalid(
                "An alternateMobile phone needs a mobile phone: add the mobile phone first.",
            ));
        }
        user.phones[t.slot()] = Some(number.into());
        Ok(())
    }

    pub(crate) fn update_phone(&mut self, u: u32, t: PhoneType, number: &str) -> ApiResult<()> {
        phone_format::check(number).map_err(ApiError::invalid)?;
        let user = self.user_mut(u)?;
        let slot = user.phones[t.slot()]
            .as_mut()
            .ok_or_else(|| no_method(t.method_id()))?;
        *slot = number.into();
        Ok(())
    }

    pub(crate) fn delete_phone(&mut self, u: u32, t: PhoneType) -> ApiResult<()> {
        let user = self.user_mut(u)?;
        if user.phone(t).is_none() {
            return Err(no_method(t.method_id()));
        }
        if let Some(d) = user.preferred
            && d.phone() == Some(t)
        {
            return Err(ApiError::invalid(format!(
                "The {} phone is the user's default sign-in method ('{}'); change the default first.",
                t.graph_name(),
                d.graph_name()
            )));
        }
        if t == PhoneType::Mobile && user.phone(PhoneType::AlternateMobile).is_some() {
            return Err(ApiError::invalid(
                "The mobile phone cannot be deleted while an alternateMobile phone exists: update the mobile number, or delete the alternateMobile phone first.",
            ));
        }
        user.phones[t.slot()] = None;
        Ok(())
    }

    // ---------------------------------------------------------------------------------
    // Authenticator and software OATH: read and delete only (§4.3, §4.4)
    // ---------------------------------------------------------------------------------

    pub(crate) fn delete_authenticator(&mut self, u: u32, id: Oid) -> ApiResult<()> {
        let user = self.user_mut(u)?;
        let pos = user
            .authenticators
            .iter()
            .position(|a| a.id == id)
            .ok_or_else(|| no_method(&fmt_oid(id)))?;
        user.authenticators.remove(pos);
        Ok(())
    }

    pub(crate) fn delete_software_oath(&mut self, u: u32, id: Oid) -> ApiResult<()> {
        let user = self.user_mut(u)?;
        let pos = user
            .software_oath
            .iter()
            .position(|&a| a == id)
            .ok_or_else(|| no_method(&fmt_oid(id)))?;
        user.software_oath.remove(pos);
        Ok(())
    }

    // ---------------------------------------------------------------------------------
    // Hardware OATH (beta; §4.5)
    // ---------------------------------------------------------------------------------

    pub(crate) fn devices(&self) -> impl Iterator<Item = (usize, &HwDevice)> {
        self.devices
            .iter()
            .enumerate()
            .filter_map(|(i, d)| d.as_ref().map(|d| (i, d)))
    }

    pub(crate) fn device_slots(&self) -> usize {
        self.devices.len()
    }

    pub(crate) fn device_at(&self, slot: usize) -> Option<&HwDevice> {
        self.devices.get(slot).and_then(Option::as_ref)
    }

    pub(crate) fn device_by_id(&self, id: Oid) -> Option<usize> {
        self.device_by_id.get(&id).copied()
    }

    pub(crate) fn device_by_serial(&self, serial: &str) -> Option<usize> {
        self.device_by_serial
            .get(&serial.to_ascii_uppercase())
            .copied()
    }

    fn device_mut(&mut self, slot: usize) -> ApiResult<&mut HwDevice> {
        self.devices
            .get_mut(slot)
            .and_then(Option::as_mut)
            .ok_or_else(|| ApiError::new(404, "itemNotFound", "The hardware token does not exist."))
    }

    fn check_device_limit(&self, u: u32) -> ApiResult<()> {
        let user = self.user(u)?;
        if user.device_count() >= 5 {
            return Err(ApiError::invalid(format!(
                "The user already has {} authenticator, software OATH and hardware OATH devices; Entra allows at most five.",
                user.device_count()
            )));
        }
        Ok(())
    }

    pub(crate) fn create_device(&mut self, d: NewDevice) -> ApiResult<usize> {
        if self.device_by_serial(&d.serial).is_some() {
            return Err(ApiError::invalid(format!(
                "A hardware token with serial number '{}' already exists in the tenant.",
                d.serial
            )));
        }
        if let Some(u) = d.assign_to {
            self.check_device_limit(u)?;
        }
        let id = self.next_id();
        let slot = self.devices.len();
        let now = Utc::now();
        self.device_by_serial
            .insert(d.serial.to_ascii_uppercase(), slot);
        self.device_by_id.insert(id, slot);
        self.devices.push(Some(HwDevice {
            id,
            serial: d.serial,
            manufacturer: d.manufacturer,
            model: d.model,
            display_name: d.display_name,
            secret: d.secret,
            step: d.step,
            hash: d.hash,
            hotp_counter: d.hotp_counter,
            status: if d.assign_to.is_some() {
                DeviceStatus::Assigned
            } else {
                DeviceStatus::Available
            },
            assigned_to: d.assign_to,
            assigned_at: d.assign_to.map(|_| now),
            last_used: None,
            legacy_csv: false,
        }));
        if let Some(u) = d.assign_to {
            self.user_mut(u)?.hardware.push(id);
        }
        Ok(slot)
    }

    pub(crate) fn update_device(
        &mut self,
        slot: usize,
        display_name: Option<String>,
        manufacturer: Option<String>,
        model: Option<String>,
    ) -> ApiResult<()> {
        let d = self.device_mut(slot)?;
        if let Some(v) = display_name {
            d.display_name = Some(v);
        }
        if let Some(v) = manufacturer {
            d.manufacturer = v;
        }
        if let Some(v) = model {
            d.model = v;
        }
        Ok(())
    }

    /// Delete from the inventory: the token needs to be unassigned first.
    pub(crate) fn delete_device(&mut self, slot: usize) -> ApiResult<String> {
        let d = self.device_mut(slot)?;
        if d.assigned_to.is_some() {
            return Err(ApiError::invalid(
                "The hardware token is assigned to a user: unassign it first.",
            ));
        }
        let (id, serial) = (d.id, d.serial.clone());
        self.devices[slot] = None;
        self.device_by_id.remove(&id);
        self.device_by_serial.remove(&serial.to_ascii_uppercase());
        Ok(serial)
    }

    /// The slot of the device that is user `u`'s hardware method `id`.
    pub(crate) fn user_device(&self, u: u32, id: Oid) -> ApiResult<usize> {
        let user = self.user(u)?;
        if !user.hardware.contains(&id) {
            return Err(no_method(&fmt_oid(id)));
        }
        self.device_by_id(id).ok_or_else(|| no_method(&fmt_oid(id)))
    }

    pub(crate) fn assign_device(&mut self, u: u32, slot: usize) -> ApiResult<()> {
        let d = self.device_at(slot).ok_or_else(no_device)?;
        if d.status != DeviceStatus::Available || d.assigned_to.is_some() {
            return Err(ApiError::invalid(format!(
                "The hardware token '{}' is already assigned.",
                d.serial
            )));
        }
        self.check_device_limit(u)?;
        let id = d.id;
        let now = Utc::now();
        let d = self.device_mut(slot)?;
        d.status = DeviceStatus::Assigned;
        d.assigned_to = Some(u);
        d.assigned_at = Some(now);
        self.user_mut(u)?.hardware.push(id);
        Ok(())
    }

    /// Check `code` against the device; HOTP moves its counter on success.
    fn code_ok(d: &mut HwDevice, code: &str, unix_secs: u64) -> bool {
        match d.hotp_counter {
            Some(counter) => match otp::hotp_match(d.hash, &d.secret, counter, code) {
                Some(next) => {
                    d.hotp_counter = Some(next);
                    true
                }
                None => false,
            },
            None => otp::totp_matches(d.hash, &d.secret, d.step, unix_secs, code),
        }
    }

    pub(crate) fn activate_device(
        &mut self,
        u: u32,
        slot: usize,
        code: &str,
        display_name: Option<String>,
        unix_secs: u64,
    ) -> ApiResult<()> {
        let d = self.device_mut(slot)?;
        if d.assigned_to != Some(u) {
            return Err(no_method(&fmt_oid(d.id)));
        }
        if d.status == DeviceStatus::Activated {
            return Err(ApiError::invalid(format!(
                "The hardware token '{}' is already activated.",
                d.serial
            )));
        }
        if !Self::code_ok(d, code, unix_secs) {
            d.status = DeviceStatus::FailedActivation;
            return Err(bad_code(&d.serial));
        }
        d.status = DeviceStatus::Activated;
        d.last_used = Some(Utc::now());
        if display_name.is_some() {
            d.display_name = display_name;
        }
        Ok(())
    }

    /// Assign and activate at once: nothing changes when the code is wrong.
    pub(crate) fn assign_and_activate(
        &mut self,
        u: u32,
        slot: usize,
        code: &str,
        display_name: Option<String>,
        unix_secs: u64,
    ) -> ApiResult<()> {
        let d = self.device_at(slot).ok_or_else(no_device)?;
        if d.assigned_to.is_some() {
            return Err(ApiError::invalid(format!(
                "The hardware token '{}' is already assigned.",
                d.serial
            )));
        }
        self.check_device_limit(u)?;
        let d = self.device_mut(slot)?;
        let mut trial = d.hotp_counter;
        let ok = match d.hotp_counter {
            Some(c) => match otp::hotp_match(d.hash, &d.secret, c, code) {
                Some(next) => {
                    trial = Some(next);
                    true
                }
                None => false,
            },
            None => otp::totp_matches(d.hash, &d.secret, d.step, unix_secs, code),
        };
        if !ok {
            return Err(bad_code(&d.serial));
        }
        let now = Utc::now();
        d.hotp_counter = trial;
        d.status = DeviceStatus::Activated;
        d.assigned_to = Some(u);
        d.assigned_at = Some(now);
        d.last_used = Some(now);
        if display_name.is_some() {
            d.display_name = display_name;
        }
        let id = d.id;
        self.user_mut(u)?.hardware.push(id);
        Ok(())
    }

    pub(crate) fn deactivate_device(&mut self, u: u32, slot: usize) -> ApiResult<()> {
        let d = self.device_mut(slot)?;
        if d.assigned_to != Some(u) {
            return Err(no_method(&fmt_oid(d.id)));
        }
        d.status = DeviceStatus::Assigned;
        Ok(())
    }

    /// Unassign: the token stays in the inventory, available again.
    pub(crate) fn unassign_device(&mut self, u: u32, slot: usize) -> ApiResult<()> {
        let d = self.device_mut(slot)?;
        if d.assigned_to != Some(u) {
            return Err(no_method(&fmt_oid(d.id)));
        }
        let id = d.id;
        d.status = DeviceStatus::Available;
        d.assigned_to = None;
        d.assigned_at = None;
        self.user_mut(u)?.hardware.retain(|&h| h != id);
        Ok(())
    }

    // ---------------------------------------------------------------------------------
    // signInPreferences and requirements (beta; §4.8, §4.9, §14)
    // ---------------------------------------------------------------------------------

    /// Whether the user has registered what `m` needs (§14).
    pub(crate) fn has_registered(&self, user: &User, m: DefaultMethod) -> bool {
        match m {
            DefaultMethod::Push => !user.authenticators.is_empty(),
            DefaultMethod::Oath => {
                !user.software_oath.is_empty()
                    || user.hardware.iter().any(|&id| {
                        self.device_by_id(id)
                            .and_then(|s| self.device_at(s))
                            .is_some_and(|d| d.status == DeviceStatus::Activated)
                    })
            }
            _ => m.phone().is_some_and(|t| user.phone(t).is_some()),
        }
    }

    pub(crate) fn set_sign_in_preferences(
        &mut self,
        u: u32,
        preferred: Option<Option<DefaultMethod>>,
        system_preferred: Option<bool>,
    ) -> ApiResult<()> {
        let user = self.user(u)?;
        if let Some(Some(m)) = preferred
            && !self.has_registered(user, m)
        {
            let needs = match m {
                DefaultMethod::Push => "a Microsoft Authenticator registration",
                DefaultMethod::Oath => "an activated hardware or a software OATH token",
                DefaultMethod::Sms | DefaultMethod::VoiceMobile => "a mobile phone",
                DefaultMethod::VoiceAlternateMobile => "an alternateMobile phone",
                DefaultMethod::VoiceOffice => "an office phone",
            };
            return Err(ApiError::invalid(format!(
                "The user has not registered the method '{}': it needs {needs}.",
                m.graph_name()
            )));
        }
        let user = self.user_mut(u)?;
        if let Some(p) = preferred {
            user.preferred = p;
        }
        if let Some(s) = system_preferred {
            user.system_preferred = s;
        }
        Ok(())
    }

    // ---------------------------------------------------------------------------------
    // Staged Rollout (§5)
    // ---------------------------------------------------------------------------------

    pub(crate) fn rollout_index(&self, id: &str) -> ApiResult<usize> {
        parse_oid(id)
            .and_then(|o| self.rollout.iter().position(|p| p.id == o))
            .ok_or_else(|| ApiError::no_object(id))
    }

    pub(crate) fn create_rollout(
        &mut self,
        display_name: String,
        description: Option<String>,
        feature: Feature,
        is_enabled: bool,
        applied_to_org: bool,
    ) -> ApiResult<usize> {
        if self.rollout.iter().any(|p| p.feature == feature) {
            return Err(ApiError::bad_request(format!(
                "A feature rollout policy for feature '{}' already exists; a feature has one policy.",
                feature.graph_name()
            )));
        }
        let id = self.next_id();
        self.rollout.push(RolloutPolicy {
            id,
            display_name,
            description,
            feature,
            is_enabled,
            applied_to_org,
            applies_to: Vec::new(),
        });
        Ok(self.rollout.len() - 1)
    }

    /// Add a group to a policy: groups only, not dynamic, no contacts among the members,
    /// at most ten, each once (§5, rollout-federation.md R2).
    pub(crate) fn add_rollout_group(&mut self, p: usize, object: &str) -> ApiResult<u32> {
        let oid = parse_oid(object).ok_or_else(|| {
            ApiError::bad_request(format!("'{object}' is not a directory object id."))
        })?;
        let g = match self.object(oid) {
            None => return Err(ApiError::no_object(object)),
            Some(Member::Group(g)) => g,
            Some(_) => {
                return Err(ApiError::bad_request(
                    "Only groups can be added to a feature rollout policy.",
                ));
            }
        };
        let group = &self.groups[g as usize];
        if let GroupKind::Dynamic { .. } = group.kind {
            return Err(ApiError::bad_request(format!(
                "The group '{}' is a dynamic group; Staged Rollout takes assigned groups only.",
                group.display_name
            )));
        }
        if group
            .members
            .iter()
            .any(|m| matches!(m, Member::Contact(_)))
        {
            return Err(ApiError::bad_request(format!(
                "The group '{}' holds contact objects; Staged Rollout refuses groups with contacts.",
                group.display_name
            )));
        }
        let policy = self
            .rollout
            .get(p)
            .ok_or_else(|| ApiError::no_object(object))?;
        if policy.applies_to.contains(&g) {
            return Err(ApiError::bad_request(
                "One or more added object references already exist for the following modified properties: 'appliesTo'.",
            ));
        }
        if policy.applies_to.len() >= MAX_ROLLOUT_GROUPS {
            return Err(ApiError::bad_request(format!(
                "The policy already targets {MAX_ROLLOUT_GROUPS} groups, the most a feature rollout policy takes."
            )));
        }
        if let Some(policy) = self.rollout.get_mut(p) {
            policy.applies_to.push(g);
        }
        Ok(g)
    }

    pub(crate) fn remove_rollout_group(&mut self, p: usize, object: &str) -> ApiResult<u32> {
        let g = self.find_group(object);
        let policy = self
            .rollout
            .get_mut(p)
            .ok_or_else(|| ApiError::no_object(object))?;
        let pos = g
            .and_then(|g| policy.applies_to.iter().position(|&x| x == g))
            .ok_or_else(|| ApiError::no_object(object))?;
        Ok(policy.applies_to.remove(pos))
    }

    // ---------------------------------------------------------------------------------
    // Domains (§6)
    // ---------------------------------------------------------------------------------

    pub(crate) fn domain_index(&self, name: &str) -> ApiResult<usize> {
        self.domains
            .iter()
            .position(|d| d.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| ApiError::no_object(name))
    }

    // ---------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------

    pub(crate) fn user(&self, u: u32) -> ApiResult<&User> {
        self.users
            .get(u as usize)
            .ok_or_else(|| ApiError::no_object(&u.to_string()))
    }

    pub(crate) fn user_mut(&mut self, u: u32) -> ApiResult<&mut User> {
        self.users
            .get_mut(u as usize)
            .ok_or_else(|| ApiError::no_object(&u.to_string()))
    }

    pub(crate) fn record(&mut self, ctx: &WriteContext<'_>, user: Option<u32>, op: WriteOp) {
        let user = user
            .and_then(|u| self.users.get(u as usize))
            .map(|u| fmt_oid(u.id));
        self.write_log.push(WriteRecord {
            at: Utc::now(),
            method: ctx.method.to_string(),
            path: ctx.path.to_string(),
            user,
            op,
            in_batch: ctx.in_batch,
        });
    }

    pub(crate) fn method_config(&self, id: MethodConfigId) -> Option<&MethodConfig> {
        self.policy.iter().find(|c| c.id == id)
    }

    pub(crate) fn method_config_mut(&mut self, id: MethodConfigId) -> Option<&mut MethodConfig> {
        self.policy.iter_mut().find(|c| c.id == id)
    }
}

fn no_method(id: &str) -> ApiError {
    ApiError::new(
        404,
        "itemNotFound",
        format!("The authentication method '{id}' does not exist for this user."),
    )
}

fn no_device() -> ApiError {
    ApiError::new(404, "itemNotFound", "The hardware token does not exist.")
}

fn bad_code(serial: &str) -> ApiError {
    ApiError::invalid(format!(
        "The verification code is not valid for the hardware token '{serial}'."
    ))
}
