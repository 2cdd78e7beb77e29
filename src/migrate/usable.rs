//! Which authentication methods a user can use in Entra: the one place the tenant's
//! authentication methods policy is evaluated, for rule D3 (the default method must be
//! usable), `Plan::usable`, rollout readiness (R1: "holds a usable Entra method") and the
//! preflight's "methods the policy leaves disabled" (F1).
//!
//! - **Enabled for a user**: the method's configuration is enabled, the user is in one of
//!   its include targets (`all_users` or a group they belong to) and in none of its
//!   exclude targets ([`MethodRule::enabled_for`]).
//! - **`policyMigrationState`**: until it is `migrationComplete`, Entra still honours the
//!   legacy MFA and SSPR policies, which Graph does not show. A method the methods policy
//!   leaves off may then still be usable through them: that is "may be usable through the
//!   legacy policy" ([`Allowance::MaybeLegacy`]), never "disabled" (Graph docs:
//!   `authenticationMethodsPolicy` resource, `policyMigrationState`).
//! - **`isOfficePhoneAllowed`** on the Voice configuration: when false, office phones
//!   cannot be used, so `voiceOffice` is never usable (Graph docs:
//!   `voiceAuthenticationMethodConfiguration`).
//! - **Usable** = allowed and registered: `push` an Authenticator registration; `oath` a
//!   software OATH token or an *activated* hardware token; `sms` and `voiceMobile` a
//!   mobile phone; `voiceAlternateMobile` an alternate phone; `voiceOffice` an office
//!   phone ([`usable`], [`usable_now`]).
//!
//! Pure: facts in ([`PolicyFacts`], [`Registered`]), verdicts and [`Finding`]s out.

use serde::{Deserialize, Serialize};

use super::entra::{EntraMethods, HardwareStatus, MethodSet, PreferredMethod};
use crate::finding::{Finding, FindingSubject, RuleId};

/// `policyMigrationState` of the authentication methods policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyMigration {
    /// The methods policy is used for authentication only; the legacy policies are
    /// respected.
    PreMigration,
    /// The methods policy is used for authentication and SSPR; the legacy policies are
    /// respected.
    MigrationInProgress,
    /// The legacy policies are ignored: the methods policy alone decides.
    #[default]
    MigrationComplete,
    /// Graph did not say (an older API version): the legacy policies may be in force.
    NotReported,
    /// A value this build does not know (an evolvable enum's newer member).
    Other,
}

impl PolicyMigration {
    /// From Graph's value. The docs spell it `preMigration` in the enum and
    /// `premigration` in the description: compared case-insensitively.
    pub fn from_graph(value: Option<&str>) -> PolicyMigration {
        let Some(v) = value.map(str::trim) else {
            return PolicyMigration::NotReported;
        };
        [
            PolicyMigration::PreMigration,
            PolicyMigration::MigrationInProgress,
            PolicyMigration::MigrationComplete,
        ]
        .into_iter()
        .find(|m| m.graph_name().eq_ignore_ascii_case(v))
        .unwrap_or(PolicyMigration::Other)
    }

    pub fn graph_name(self) -> &'static str {
        match self {
            PolicyMigration::PreMigration => "preMigration",
            PolicyMigration::MigrationInProgress => "migrationInProgress",
            PolicyMigration::MigrationComplete => "migrationComplete",
            PolicyMigration::NotReported => "not reported",
            PolicyMigration::Other => "a value this tool does not know",
        }
    }

    /// Entra may still honour the legacy MFA and SSPR policies.
    pub fn legacy_in_force(self) -> bool {
        self != PolicyMigration::MigrationComplete
    }
}

impl std::fmt::Display for PolicyMigration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.graph_name())
    }
}

/// The method configurations of the policy the migration rules look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PolicyMethod {
    Sms,
    Voice,
    MicrosoftAuthenticator,
    SoftwareOath,
    HardwareOath,
}

impl PolicyMethod {
    pub const ALL: [PolicyMethod; 5] = [
        PolicyMethod::Sms,
        PolicyMethod::Voice,
        PolicyMethod::MicrosoftAuthenticator,
        PolicyMethod::SoftwareOath,
        PolicyMethod::HardwareOath,
    ];

    /// The configuration's `id` in Graph.
    pub fn graph_id(self) -> &'static str {
        match self {
            PolicyMethod::Sms => "Sms",
            PolicyMethod::Voice => "Voice",
            PolicyMethod::MicrosoftAuthenticator => "MicrosoftAuthenticator",
            PolicyMethod::SoftwareOath => "SoftwareOath",
            PolicyMethod::HardwareOath => "HardwareOath",
        }
    }

    pub fn from_graph_id(id: &str) -> Option<PolicyMethod> {
        PolicyMethod::ALL
            .into_iter()
            .find(|m| m.graph_id().eq_ignore_ascii_case(id.trim()))
    }
}

/// An include or exclude target of a method configuration.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum PolicyTarget {
    AllUsers,
    /// A group, by object id.
    Group(String),
}

impl PolicyTarget {
    /// From a target's `id`: `all_users` or a group id.
    pub fn from_graph_id(id: &str) -> PolicyTarget {
        if id.trim().eq_ignore_ascii_case("all_users") {
            PolicyTarget::AllUsers
        } else {
            PolicyTarget::Group(id.trim().to_string())
        }
    }

    fn covers(&self, is_member: &dyn Fn(&str) -> bool) -> bool {
        match self {
            PolicyTarget::AllUsers => true,
            PolicyTarget::Group(g) => is_member(g),
        }
    }
}

/// One method configuration of the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodRule {
    pub method: PolicyMethod,
    /// `state` is `enabled`.
    pub enabled: bool,
    pub include: Vec<PolicyTarget>,
    pub exclude: Vec<PolicyTarget>,
}

impl MethodRule {
    /// The one rule: enabled, the user in an include target, in no exclude target.
    pub fn enabled_for(&self, is_member: &dyn Fn(&str) -> bool) -> bool {
        self.enabled
            && self.include.iter().any(|t| t.covers(is_member))
            && !self.exclude.iter().any(|t| t.covers(is_member))
    }
}

/// The tenant's authentication methods policy as the rules see it (the Graph client
/// converts its wire type into this).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PolicyFacts {
    pub migration: PolicyMigration,
    /// The configurations the tenant lists; a method it does not list allows nobody.
    pub rules: Vec<MethodRule>,
    /// `isOfficePhoneAllowed` of the Voice configuration (absent: allowed, the default).
    pub office_phone_allowed: bool,
}

impl PolicyFacts {
    pub fn rule(&self, m: PolicyMethod) -> Option<&MethodRule> {
        self.rules.iter().find(|r| r.method == m)
    }

    /// The policy evaluated for one user, whose group memberships `is_member` answers.
    pub fn for_user(&self, is_member: &dyn Fn(&str) -> bool) -> AllowedMethods {
        let on = |m| self.rule(m).is_some_and(|r| r.enabled_for(is_member));
        AllowedMethods {
            sms: on(PolicyMethod::Sms),
            voice: on(PolicyMethod::Voice),
            authenticator: on(PolicyMethod::MicrosoftAuthenticator),
            hardware_oath: on(PolicyMethod::HardwareOath),
            software_oath: on(PolicyMethod::SoftwareOath),
            office_phone: self.office_phone_allowed,
            migration: self.migration,
        }
    }

    /// Group ids any configuration targets (membership of these alone is needed).
    pub fn target_groups(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .rules
            .iter()
            .flat_map(|r| r.include.iter().chain(&r.exclude))
            .filter_map(|t| match t {
                PolicyTarget::Group(g) => Some(g.clone()),
                PolicyTarget::AllUsers => None,
            })
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// What the policy means for a migration, tenant-wide: the same words for the plan,
    /// the TUI header's policy line and the preflight.
    pub fn findings(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        if self.migration.legacy_in_force() {
            out.push(
                Finding::warning(
                    RuleId::from(super::Rule::D3),
                    FindingSubject::Tenant,
                    format!(
                        "the authentication methods policy migration is not complete \
                         (policyMigrationState: {}): Entra still honours the legacy MFA and \
                         SSPR policies, which Graph does not show, so a method the methods \
                         policy leaves off may still be usable through them",
                        self.migration
                    ),
                )
                .with_fix(
                    "compare the legacy MFA service settings and SSPR methods with the \
                     authentication methods policy, then set Manage migration to \"Migration \
                     Complete\" (Entra admin centre › Protection › Authentication methods)",
                ),
            );
        }
        if !self.office_phone_allowed {
            out.push(
                Finding::warning(
                    RuleId::from(super::Rule::D3),
                    FindingSubject::Method {
                        name: PolicyMethod::Voice.graph_id().to_string(),
                    },
                    "office phones are not allowed (Voice configuration: isOfficePhoneAllowed \
                     is false): office numbers from MFA Server are stored but cannot be called, \
                     and no user gets voiceOffice as default method",
                )
                .with_fix(
                    "allow office phones in the Voice call method's settings if users need them",
                ),
            );
        }
        for m in [
            PolicyMethod::Sms,
            PolicyMethod::Voice,
            PolicyMethod::MicrosoftAuthenticator,
            PolicyMethod::HardwareOath,
        ] {
            let off = self
                .rule(m)
                .is_none_or(|r| !r.enabled || r.include.is_empty());
            if !off {
                continue;
            }
            let subject = FindingSubject::Method {
                name: m.graph_id().to_string(),
            };
            let finding = if self.migration.legacy_in_force() {
                Finding::info(
                    RuleId::from(super::Rule::D3),
                    subject,
                    format!(
                        "{} is off in the authentication methods policy; it may still be usable \
                         through the legacy MFA or SSPR policy until the policy migration is \
                         complete",
                        m.graph_id()
                    ),
                )
            } else {
                Finding::warning(
                    RuleId::from(super::Rule::D3),
                    subject,
                    format!(
                        "{} is off in the authentication methods policy: migrated methods of \
                         this kind cannot be used",
                        m.graph_id()
                    ),
                )
                .with_fix(format!(
                    "enable {} for the migrated users in the authentication methods policy",
                    m.graph_id()
                ))
            };
            out.push(finding);
        }
        out
    }
}

/// The methods policy evaluated for one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowedMethods {
    pub sms: bool,
    pub voice: bool,
    pub authenticator: bool,
    pub hardware_oath: bool,
    pub software_oath: bool,
    /// Voice's `isOfficePhoneAllowed`.
    #[serde(default = "allowed_by_default")]
    pub office_phone: bool,
    /// Whether the legacy MFA and SSPR policies still count.
    #[serde(default)]
    pub migration: PolicyMigration,
}

fn allowed_by_default() -> bool {
    true
}

impl AllowedMethods {
    /// Everything enabled, office phones allowed, the policy migration complete.
    pub const ALL: AllowedMethods = AllowedMethods {
        sms: true,
        voice: true,
        authenticator: true,
        hardware_oath: true,
        software_oath: true,
        office_phone: true,
        migration: PolicyMigration::MigrationComplete,
    };

    fn state(self, enabled: bool) -> Allowance {
        if enabled {
            Allowance::Enabled
        } else if self.migration.legacy_in_force() {
            Allowance::MaybeLegacy
        } else {
            Allowance::Disabled(Disabled::NotInPolicy)
        }
    }

    /// How the policy stands on `m` for this user, whatever is registered. For `oath`
    /// the better of software and hardware OATH.
    pub fn allowance(self, m: PreferredMethod) -> Allowance {
        match m {
            PreferredMethod::Push => self.state(self.authenticator),
            PreferredMethod::Oath => self.state(self.software_oath || self.hardware_oath),
            PreferredMethod::Sms => self.state(self.sms),
            PreferredMethod::VoiceMobile | PreferredMethod::VoiceAlternateMobile => {
                self.state(self.voice)
            }
            PreferredMethod::VoiceOffice if !self.office_phone => {
                Allowance::Disabled(Disabled::OfficePhonesNotAllowed)
            }
            PreferredMethod::VoiceOffice => self.state(self.voice),
        }
    }
}

impl Default for AllowedMethods {
    fn default() -> Self {
        AllowedMethods::ALL
    }
}

/// How the methods policy stands on one method for one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Allowance {
    Enabled,
    /// Off in the methods policy, but the policy migration is not complete: the legacy MFA
    /// or SSPR policy (which Graph does not show) may allow it.
    MaybeLegacy,
    Disabled(Disabled),
}

/// Why a method is disabled for a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disabled {
    /// Not enabled for the user by the methods policy (and the legacy policies no longer
    /// count).
    NotInPolicy,
    /// Voice's `isOfficePhoneAllowed` is false.
    OfficePhonesNotAllowed,
}

/// What the user has registered (now, or after a plan).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Registered {
    pub authenticator: bool,
    pub software_oath: bool,
    /// An activated hardware token (an assigned-only one does not count).
    pub hardware_oath: bool,
    pub mobile: bool,
    pub alternate_mobile: bool,
    pub office: bool,
}

impl Registered {
    /// What Entra shows now. A masked or unparsed phone still counts: it is there.
    pub fn of(m: &EntraMethods) -> Registered {
        Registered {
            authenticator: !m.authenticators.is_empty(),
            software_oath: !m.software_oath.is_empty(),
            hardware_oath: m
                .hardware_oath
                .iter()
                .any(|h| h.status == HardwareStatus::Activated),
            mobile: m.mobile.is_some(),
            alternate_mobile: m.alternate_mobile.is_some(),
            office: m.office.is_some(),
        }
    }

    /// Whether what `m` needs is registered.
    pub fn has(self, m: PreferredMethod) -> bool {
        match m {
            PreferredMethod::Push => self.authenticator,
            PreferredMethod::Oath => self.software_oath || self.hardware_oath,
            PreferredMethod::Sms | PreferredMethod::VoiceMobile => self.mobile,
            PreferredMethod::VoiceAlternateMobile => self.alternate_mobile,
            PreferredMethod::VoiceOffice => self.office,
        }
    }
}

/// The methods a user can use: surely (allowed by the methods policy and registered),
/// and maybe (registered, off in the methods policy, possibly allowed by the legacy
/// policies while the policy migration is not complete).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Usable {
    pub sure: MethodSet,
    pub via_legacy: MethodSet,
}

impl Usable {
    /// At least one method surely usable.
    pub fn any(self) -> bool {
        !self.sure.is_empty()
    }

    /// Nothing surely usable, but something may be through the legacy policies.
    pub fn only_maybe(self) -> bool {
        self.sure.is_empty() && !self.via_legacy.is_empty()
    }

    /// The most secure method, surely usable first, else one that may be (D3's ranking).
    pub fn most_secure(self) -> Option<(PreferredMethod, Allowance)> {
        self.sure
            .most_secure()
            .map(|m| (m, Allowance::Enabled))
            .or_else(|| {
                self.via_legacy
                    .most_secure()
                    .map(|m| (m, Allowance::MaybeLegacy))
            })
    }

    /// How `m` stands: `Enabled` when surely usable, `MaybeLegacy` when it may be,
    /// `None` when not.
    pub fn of(self, m: PreferredMethod) -> Option<Allowance> {
        if self.sure.contains(m) {
            Some(Allowance::Enabled)
        } else if self.via_legacy.contains(m) {
            Some(Allowance::MaybeLegacy)
        } else {
            None
        }
    }
}

/// Which methods a user with `registered` can use under `allowed`.
pub fn usable(registered: Registered, allowed: AllowedMethods) -> Usable {
    let mut out = Usable::default();
    for m in PreferredMethod::RANKED {
        if !registered.has(m) {
            continue;
        }
        let allowance = match m {
            // Each kind of OATH token is allowed by its own configuration.
            PreferredMethod::Oath => {
                let software = registered
                    .software_oath
                    .then(|| allowed.state(allowed.software_oath));
                let hardware = registered
                    .hardware_oath
                    .then(|| allowed.state(allowed.hardware_oath));
                best(software, hardware)
            }
            m => allowed.allowance(m),
        };
        match allowance {
            Allowance::Enabled => out.sure.insert(m),
            Allowance::MaybeLegacy => out.via_legacy.insert(m),
            Allowance::Disabled(_) => {}
        }
    }
    out
}

fn best(a: Option<Allowance>, b: Option<Allowance>) -> Allowance {
    let rank = |x: Option<Allowance>| match x {
        Some(Allowance::Enabled) => 2,
        Some(Allowance::MaybeLegacy) => 1,
        _ => 0,
    };
    let pick = if rank(a) >= rank(b) { a } else { b };
    pick.unwrap_or(Allowance::Disabled(Disabled::NotInPolicy))
}

/// Which methods a user can use with what Entra shows now (rollout readiness, R1).
pub fn usable_now(methods: &EntraMethods, allowed: AllowedMethods) -> Usable {
    usable(Registered::of(methods), allowed)
}

/// Why `m` is not surely usable for a user, in words for a D3 note.
pub fn why_not(m: PreferredMethod, registered: Registered, allowed: AllowedMethods) -> String {
    let policy = match allowed.allowance(m) {
        Allowance::Disabled(Disabled::OfficePhonesNotAllowed) => {
            return "not usable: office phones are not allowed (Voice configuration: \
                    isOfficePhoneAllowed is false)"
                .to_string();
        }
        a => a,
    };
    if !registered.has(m) {
        return "not registered after the plan".to_string();
    }
    match policy {
        Allowance::MaybeLegacy => format!(
            "not enabled for the user by the authentication methods policy, but the policy \
             migration is not complete (policyMigrationState: {}): the legacy MFA or SSPR \
             policy, which Graph does not show, may allow it",
            allowed.migration
        ),
        _ => "not enabled for the user by the authentication methods policy".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::{EntraAuthenticator, EntraHardwareToken, EntraPhone};

    fn rule(m: PolicyMethod, enabled: bool, include: &[&str], exclude: &[&str]) -> MethodRule {
        MethodRule {
            method: m,
            enabled,
            include: include
                .iter()
                .map(|t| PolicyTarget::from_graph_id(t))
                .collect(),
            exclude: exclude
                .iter()
                .map(|t| PolicyTarget::from_graph_id(t))
                .collect(),
        }
    }

    #[test]
    fn include_minus_exclude_for_each_user() {
        let facts = PolicyFacts {
            migration: PolicyMigration::MigrationComplete,
            rules: vec![
                rule(PolicyMethod::Sms, true, &["all_users"], &[]),
                rule(PolicyMethod::Voice, false, &["all_users"], &[]),
                rule(
                    PolicyMethod::MicrosoftAuthenticator,
                    true,
                    &["pilot"],
                    &["blocked"],
                ),
                rule(PolicyMethod::HardwareOath, true, &[], &[]),
            ],
            office_phone_allowed: true,
        };
        let none = facts.for_user(&|_| false);
        assert!(none.sms && !none.voice && !none.authenticator && !none.hardware_oath);
        assert!(!none.software_oath, "not listed: nobody");
        assert!(facts.for_user(&|g| g == "pilot").authenticator);
        assert!(
            !facts
                .for_user(&|g| g == "pilot" || g == "blocked")
                .authenticator
        );
        assert_eq!(facts.target_groups(), ["blocked", "pilot"]);
    }

    #[test]
    fn migration_state_reads_both_spellings() {
        assert_eq!(
            PolicyMigration::from_graph(Some("premigration")),
            PolicyMigration::PreMigration
        );
        assert_eq!(
            PolicyMigration::from_graph(Some("preMigration")),
            PolicyMigration::PreMigration
        );
        assert_eq!(
            PolicyMigration::from_graph(Some("migrationComplete")),
            PolicyMigration::MigrationComplete
        );
        assert_eq!(
            PolicyMigration::from_graph(Some("unknownFutureValue")),
            PolicyMigration::Other
        );
        assert_eq!(
            PolicyMigration::from_graph(None),
            PolicyMigration::NotReported
        );
        assert!(PolicyMigration::NotReported.legacy_in_force());
        assert!(!PolicyMigration::MigrationComplete.legacy_in_force());
    }

    #[test]
    fn a_method_off_in_the_policy_is_maybe_while_legacy_counts() {
        let methods = EntraMethods {
            mobile: Some(EntraPhone::from_graph("+1 4255550100")),
            office: Some(EntraPhone::from_graph("+1 4255550101x12")),
            authenticators: vec![EntraAuthenticator {
                id: "a".into(),
                display_name: None,
            }],
            ..Default::default()
        };
        let complete = AllowedMethods {
            sms: false,
            authenticator: false,
            ..AllowedMethods::ALL
        };
        let u = usable_now(&methods, complete);
        assert_eq!(u.sure.to_string(), "voiceMobile, voiceOffice");
        assert!(u.via_legacy.is_empty());

        let pre = AllowedMethods {
            migration: PolicyMigration::PreMigration,
            ..complete
        };
        let u = usable_now(&methods, pre);
        assert_eq!(u.sure.to_string(), "voiceMobile, voiceOffice");
        assert_eq!(u.via_legacy.to_string(), "push, sms");
        assert_eq!(
            u.most_secure(),
            Some((PreferredMethod::VoiceMobile, Allowance::Enabled))
        );
        assert_eq!(u.of(PreferredMethod::Sms), Some(Allowance::MaybeLegacy));
        assert!(why_not(PreferredMethod::Sms, Registered::of(&methods), pre).contains("legacy"));
    }

    #[test]
    fn office_phones_not_allowed_is_never_usable() {
        let methods = EntraMethods {
            office: Some(EntraPhone::from_graph("+1 4255550101x12")),
            ..Default::default()
        };
        let allowed = AllowedMethods {
            office_phone: false,
            migration: PolicyMigration::PreMigration,
            ..AllowedMethods::ALL
        };
        let u = usable_now(&methods, allowed);
        assert_eq!(u, Usable::default());
        let why = why_not(
            PreferredMethod::VoiceOffice,
            Registered::of(&methods),
            allowed,
        );
        assert!(why.contains("isOfficePhoneAllowed"), "{why}");
    }

    #[test]
    fn oath_counts_each_kind_by_its_own_configuration_and_only_activated_hardware() {
        let mut methods = EntraMethods {
            hardware_oath: vec![EntraHardwareToken {
                id: "h".into(),
                device_id: None,
                serial: Some("T1".into()),
                status: HardwareStatus::Assigned,
            }],
            ..Default::default()
        };
        let only_software = AllowedMethods {
            hardware_oath: false,
            ..AllowedMethods::ALL
        };
        assert!(usable_now(&methods, AllowedMethods::ALL).sure.is_empty());
        methods.hardware_oath[0].status = HardwareStatus::Activated;
        assert!(
            usable_now(&methods, AllowedMethods::ALL)
                .sure
                .contains(PreferredMethod::Oath)
        );
        assert!(usable_now(&methods, only_software).sure.is_empty());
        methods.software_oath.push("s".into());
        assert!(
            usable_now(&methods, only_software)
                .sure
                .contains(PreferredMethod::Oath)
        );
    }

    #[test]
    fn findings_name_the_policy_state_the_setting_and_disabled_methods() {
        let facts = PolicyFacts {
            migration: PolicyMigration::MigrationInProgress,
            rules: vec![
                rule(PolicyMethod::Sms, true, &["all_users"], &[]),
                rule(PolicyMethod::Voice, true, &["all_users"], &[]),
                rule(
                    PolicyMethod::MicrosoftAuthenticator,
                    true,
                    &["all_users"],
                    &[],
                ),
                rule(PolicyMethod::HardwareOath, false, &["all_users"], &[]),
            ],
            office_phone_allowed: false,
        };
        let f = facts.findings();
        let text: Vec<String> = f.iter().map(ToString::to_string).collect();
        assert_eq!(f.len(), 3, "{text:#?}");
        assert!(text[0].contains("migrationInProgress"), "{}", text[0]);
        assert!(text[1].contains("isOfficePhoneAllowed"), "{}", text[1]);
        assert!(
            text[2].contains("HardwareOath") && text[2].contains("legacy"),
            "{}",
            text[2]
        );
        let done = PolicyFacts {
            migration: PolicyMigration::MigrationComplete,
            office_phone_allowed: true,
            ..facts
        };
        let f = done.findings();
        assert_eq!(f.len(), 1);
        assert!(f[0].fix.is_some());
    }
}
