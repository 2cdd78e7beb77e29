//! The inventory's items: what depends on MFA Server, where the tool saw it, what to do
//! with it and why, and how far the admin has got with it.

use serde::{Deserialize, Serialize};

use crate::finding::{Finding, RuleId};

/// A stable id, derived from the kind of source and the item's name (never from a file
/// path), so a decision recorded against it still applies after the exports are read
/// again: `radius:vpn concentrator`, `adfs-rp:microsoft office 365 identity platform`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ItemId(pub String);

impl ItemId {
    pub fn new(prefix: &str, name: &str) -> ItemId {
        let name: String = name
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        ItemId(format!("{prefix}:{name}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ItemId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What kind of dependency an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// A RADIUS client of MFA Server (data file).
    RadiusClient,
    /// A RADIUS client configured on an NPS server (NPS export).
    NpsRadiusClient,
    /// An NPS remote RADIUS server that is an MFA Server (NPS forwards to it).
    NpsRemoteServer,
    Ldap,
    Iis,
    WindowsAuth,
    /// MFA Server's AD FS adapter (provider list or data file).
    AdfsAdapter,
    /// The AD FS global authentication policy and global additional authentication rules.
    AdfsGlobalPolicy,
    RelyingParty,
    UserPortal,
    MobileAppWebService,
    WebServiceSdk,
    CompanySetting,
    UserPortalSetting,
}

impl ItemKind {
    pub fn label(self) -> &'static str {
        match self {
            ItemKind::RadiusClient => "RADIUS client",
            ItemKind::NpsRadiusClient => "NPS RADIUS client",
            ItemKind::NpsRemoteServer => "NPS forwarding",
            ItemKind::Ldap => "LDAP",
            ItemKind::Iis => "IIS",
            ItemKind::WindowsAuth => "Windows auth",
            ItemKind::AdfsAdapter => "AD FS adapter",
            ItemKind::AdfsGlobalPolicy => "AD FS global policy",
            ItemKind::RelyingParty => "AD FS relying party",
            ItemKind::UserPortal => "User portal",
            ItemKind::MobileAppWebService => "Mobile app web service",
            ItemKind::WebServiceSdk => "Web service SDK",
            ItemKind::CompanySetting => "Company setting",
            ItemKind::UserPortalSetting => "User portal setting",
        }
    }
}

/// The recommended path (inventory.md's table: the first that fits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PathKind {
    /// Federate the application with Entra (SAML / OpenID Connect).
    FederateWithEntra,
    /// NPS with the Entra MFA NPS extension.
    NpsExtension,
    /// Entra Domain Services.
    EntraDomainServices,
    /// Entra self-service password reset (LDAP used for password changes).
    EntraSspr,
    /// Publish through Entra application proxy, or federate.
    ApplicationProxy,
    /// Entra ID / Office 365: Staged Rollout, then the federation switch.
    StagedRolloutAndFederation,
    /// Move the application's relying party to Entra.
    MoveAppToEntra,
    /// Keep it on AD FS 2016+ with the Entra MFA adapter.
    KeepAdfsWithEntraMfa,
    /// Install the Entra MFA adapter, route migrated users to it, then remove MFA Server's.
    ReplaceAdapter,
    /// Redirect the user portal to aka.ms/mfasetup, then disable it.
    RedirectPortal,
    /// Find the callers, move them, decommission.
    FindCallers,
    /// Reproduce the setting in Entra.
    ReproduceInEntra,
    /// Nothing to do in Entra for this setting.
    NoAction,
    /// Disabled or unused: confirm and remove.
    Remove,
}

impl PathKind {
    pub fn label(self) -> &'static str {
        match self {
            PathKind::FederateWithEntra => "federate the app with Entra (SAML/OIDC)",
            PathKind::NpsExtension => "NPS + Entra MFA NPS extension",
            PathKind::EntraDomainServices => "Entra Domain Services",
            PathKind::EntraSspr => "Entra self-service password reset",
            PathKind::ApplicationProxy => "publish through Entra application proxy",
            PathKind::StagedRolloutAndFederation => "Staged Rollout, then the federation switch",
            PathKind::MoveAppToEntra => "move the app to Entra",
            PathKind::KeepAdfsWithEntraMfa => "keep on AD FS 2016+ with Entra MFA",
            PathKind::ReplaceAdapter => "Entra MFA adapter in AD FS, then remove MFA Server's",
            PathKind::RedirectPortal => "redirect to aka.ms/mfasetup, then disable",
            PathKind::FindCallers => "find callers, move them, decommission",
            PathKind::ReproduceInEntra => "reproduce in Entra",
            PathKind::NoAction => "no action needed",
            PathKind::Remove => "confirm unused, then remove",
        }
    }
}

/// Whether an item keeps something on MFA Server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dependence {
    /// It authenticates through MFA Server (or asks AD FS for MFA Server) today.
    Yes,
    /// It may: the exports cannot decide it (a rule depends on the network, a provider
    /// is chosen by the user, a property was cut off by `-Depth`).
    Possibly,
    /// Listed for completeness (an RP that never asks for MFA, a setting with nothing to
    /// do); needs no decision.
    No,
}

/// Where an item came from: the kind of source, the file, and the place in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    /// `data file auth_services`, `Get-AdfsRelyingPartyTrust`, `netsh nps export`, …
    pub source: String,
    /// The file it was read from (absent for the data file's tables).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// JSON path, XML path or table row: `$[3]`, `/Root/…/Clients/Children/VPN`.
    pub place: String,
}

/// A claim rule that produced (part of) an item, quoted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotedRule {
    /// Which rule set: `AdditionalAuthenticationRules`, `IssuanceTransformRules`,
    /// `global additional authentication rules`, `access control policy`…
    pub set: String,
    /// 1-based position in its set.
    pub index: usize,
    pub text: String,
    /// Why it is quoted.
    pub why: String,
}

/// Can a relying party move to Entra as it is (the activity report's three states)?
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Readiness {
    /// Every test passed.
    Ready,
    /// Some settings need review (warnings).
    NeedsReview,
    /// Entra does not support some settings as they are (failures).
    AdditionalSteps,
}

impl Readiness {
    pub fn label(self) -> &'static str {
        match self {
            Readiness::Ready => "ready to migrate",
            Readiness::NeedsReview => "needs review",
            Readiness::AdditionalSteps => "additional steps required",
        }
    }
}

/// The admin's progress with an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    Pending,
    InProgress,
    Done,
    WontDo,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Pending,
        Status::InProgress,
        Status::Done,
        Status::WontDo,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::InProgress => "in progress",
            Status::Done => "done",
            Status::WontDo => "won't do",
        }
    }

    /// Whether nothing is left to do (done, or deliberately not done).
    pub fn is_closed(self) -> bool {
        matches!(self, Status::Done | Status::WontDo)
    }
}

/// What the admin decided for one item: the path taken (the recommended one or another),
/// the status, and a note. Persisted by the state store; applied with
/// [`Inventory::apply_decisions`](super::Inventory::apply_decisions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub item: ItemId,
    pub path: PathKind,
    pub status: Status,
    #[serde(default)]
    pub note: String,
}

/// One item of the inventory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    pub id: ItemId,
    pub kind: ItemKind,
    pub name: String,
    pub origin: Origin,
    /// The source record with secrets dropped: the evidence `enter` shows.
    pub record: serde_json::Value,
    pub dependence: Dependence,
    /// What MFA Server does for it ("MFA for VPN sign-ins over RADIUS").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uses_mfa_server_for: Option<String>,
    pub path: PathKind,
    pub reason: String,
    /// Short labels for what bites ("users must be registered first").
    pub flags: Vec<String>,
    pub findings: Vec<Finding>,
    /// The claim rules that produced the classification, quoted.
    pub rules: Vec<QuotedRule>,
    /// Relying parties: can the app move to Entra as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness: Option<Readiness>,
    /// Relying parties: the MFA providers its users would reach, in the provider list's
    /// own names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub providers: Vec<String>,
    /// The admin's decision, once made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
}

impl Item {
    /// The status: the decision's, or pending.
    pub fn status(&self) -> Status {
        self.decision.as_ref().map(|d| d.status).unwrap_or_default()
    }

    /// Whether the item needs a decision at all.
    pub fn needs_decision(&self) -> bool {
        self.dependence != Dependence::No
    }
}

/// The inventory's own rules, each with a one-line summary for help. Findings name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum InvRule {
    /// An access control policy requires MFA on premises.
    Acp,
    /// A relying party's additional authentication rules require MFA on premises.
    RpMfaRule,
    /// The global additional authentication rules require MFA.
    GlobalMfaRule,
    /// A provider-routing rule sends users to MFA Server.
    RouteToServer,
    /// MFA Server's adapter is registered or in the global policy.
    Adapter,
    /// Several MFA providers and no routing: users pick one at sign-in.
    UserChooses,
    /// A rule names a provider the provider list does not have.
    UnknownProvider,
    /// A claim type or value written with `https://`.
    Https,
    /// A claim rule that could not be read.
    Unparsed,
    /// Farm behavior level below 4 while group-based provider routing is planned.
    Fbl,
    /// A test of moving the relying party to Entra failed or warned.
    MoveTest,
    /// RADIUS on the NPS extension: what bites.
    Radius,
    /// NPS forwards RADIUS requests to MFA Server.
    NpsForward,
    /// A company or portal setting with no Entra equivalent.
    Setting,
    /// The data file and the exports disagree.
    CrossCheck,
    /// An export was cut off by `ConvertTo-Json -Depth`.
    Truncated,
    /// Disabled, or decided won't do: nothing moves it.
    Idle,
}

impl InvRule {
    pub const ALL: [InvRule; 17] = [
        InvRule::Acp,
        InvRule::RpMfaRule,
        InvRule::GlobalMfaRule,
        InvRule::RouteToServer,
        InvRule::Adapter,
        InvRule::UserChooses,
        InvRule::UnknownProvider,
        InvRule::Https,
        InvRule::Unparsed,
        InvRule::Fbl,
        InvRule::MoveTest,
        InvRule::Radius,
        InvRule::NpsForward,
        InvRule::Setting,
        InvRule::CrossCheck,
        InvRule::Truncated,
        InvRule::Idle,
    ];

    pub fn id(self) -> &'static str {
        match self {
            InvRule::Acp => "INV-ACP",
            InvRule::RpMfaRule => "INV-RP-MFA",
            InvRule::GlobalMfaRule => "INV-GLOBAL-MFA",
            InvRule::RouteToServer => "INV-ROUTE",
            InvRule::Adapter => "INV-ADAPTER",
            InvRule::UserChooses => "INV-CHOOSE",
            InvRule::UnknownProvider => "INV-PROVIDER",
            InvRule::Https => "INV-HTTPS",
            InvRule::Unparsed => "INV-UNPARSED",
            InvRule::Fbl => "INV-FBL",
            InvRule::MoveTest => "INV-MOVE",
            InvRule::Radius => "INV-RADIUS",
            InvRule::NpsForward => "INV-NPS",
            InvRule::Setting => "INV-SETTING",
            InvRule::CrossCheck => "INV-XCHECK",
            InvRule::Truncated => "INV-DEPTH",
            InvRule::Idle => "INV-IDLE",
        }
    }

    /// One line for help.
    pub fn summary(self) -> &'static str {
        match self {
            InvRule::Acp => {
                "an AD FS access control policy requires MFA on premises: migrated users still reach MFA Server, even in Staged Rollout"
            }
            InvRule::RpMfaRule => {
                "a relying party's additional authentication rules require MFA on premises"
            }
            InvRule::GlobalMfaRule => {
                "the global additional authentication rules require MFA; they also decide idpinitiatedsignon.aspx?loginToRp= sign-ins"
            }
            InvRule::RouteToServer => "a provider-routing rule sends users to MFA Server's adapter",
            InvRule::Adapter => {
                "MFA Server's AD FS adapter is still registered or in the global policy"
            }
            InvRule::UserChooses => {
                "several additional providers and no routing rule: users pick MFA Server or Entra at sign-in"
            }
            InvRule::UnknownProvider => {
                "a rule names an MFA provider the provider list does not have"
            }
            InvRule::Https => {
                "a claim type written with https://: AD FS compares exactly, so the rule never fires"
            }
            InvRule::Unparsed => "a claim rule that could not be read; shown as written",
            InvRule::Fbl => {
                "AD FS farm behavior level below 4: group-based provider routing does not work"
            }
            InvRule::MoveTest => {
                "a test of moving the relying party to Entra as is failed or needs review"
            }
            InvRule::Radius => {
                "RADIUS on the NPS extension: users must be registered first, the default method is used, MSCHAPv2 cannot carry a code"
            }
            InvRule::NpsForward => "NPS forwards RADIUS requests to MFA Server",
            InvRule::Setting => "a setting with no Entra equivalent",
            InvRule::CrossCheck => "the data file and the AD FS / NPS exports disagree",
            InvRule::Truncated => {
                "an export was cut off by ConvertTo-Json -Depth; some properties are unknown"
            }
            InvRule::Idle => "disabled: confirm it is unused, then remove it",
        }
    }
}

impl From<InvRule> for RuleId {
    fn from(r: InvRule) -> RuleId {
        RuleId::new(r.id())
    }
}

/// Counts for the checklist ("is every dependency decided / done?").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// Items that need a decision.
    pub total: usize,
    pub decided: usize,
    pub pending: usize,
    pub in_progress: usize,
    pub done: usize,
    pub wont_do: usize,
}

impl Progress {
    /// Checklist `prep.dependencies`: every dependency has a decision.
    pub fn all_decided(&self) -> bool {
        self.decided == self.total
    }

    /// Checklist `fin.dependencies`: every dependency is done (or won't do).
    pub fn all_closed(&self) -> bool {
        self.done + self.wont_do == self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_ignore_case_and_spacing() {
        assert_eq!(
            ItemId::new("radius", "  VPN   Concentrator "),
            ItemId::new("radius", "vpn concentrator")
        );
        assert_eq!(ItemId::new("radius", "VPN").as_str(), "radius:vpn");
    }

    #[test]
    fn rule_ids_are_unique() {
        let mut ids: Vec<_> = InvRule::ALL.iter().map(|r| r.id()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), InvRule::ALL.len());
        assert!(InvRule::ALL.iter().all(|r| !r.summary().is_empty()));
    }
}
