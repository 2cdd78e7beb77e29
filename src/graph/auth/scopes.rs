//! Which delegated scopes a sign-in asks for, by capability, and what a refused scope
//! costs.
//!
//! Entra refuses a whole token request when one requested scope is unknown to it or not
//! consented (AADSTS70011, AADSTS650053, AADSTS65001). So a command asks only for what it
//! needs — migration: methods and directory reads; Staged Rollout and federation only
//! when used, through incremental consent — and a refused scope costs its capability,
//! never the sign-in: the tool signs in again without it and says which capability is
//! unavailable and why ([`RefusedCapability`]). An organisation's own app registration
//! asks for `.default` (its consented permissions); the capabilities are then read from
//! the token.

use std::fmt;

use serde::Serialize;

use crate::cloud::Cloud;
use crate::finding::{Finding, FindingSubject, RuleId};

/// What the signed-in admin can do with the tool, as far as Graph permissions go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// Read users, groups and the methods policy; write users' methods, defaults and
    /// hardware tokens.
    Migration,
    /// Manage Staged Rollout for MFA (delegated sign-in only).
    Rollout,
    /// Read and change a domain's `federatedIdpMfaBehavior`.
    Federation,
}

impl Capability {
    pub const ALL: [Capability; 3] = [
        Capability::Migration,
        Capability::Rollout,
        Capability::Federation,
    ];

    /// The delegated scopes asked for by name (least privileged that cover the calls).
    pub fn scopes(self) -> &'static [&'static str] {
        match self {
            Capability::Migration => &[
                "User.Read.All",
                "GroupMember.Read.All",
                "UserAuthenticationMethod.ReadWrite.All",
                "Policy.ReadWrite.AuthenticationMethod",
                "Policy.Read.All",
            ],
            // Least privileged to add a group; the docs list it as the higher permission
            // for creating a policy, whose least privileged is Directory.ReadWrite.All
            // (Graph docs, featurerolloutpolicies-post, featurerolloutpolicy-post-appliesto).
            Capability::Rollout => &["Policy.ReadWrite.HybridAuthentication"],
            Capability::Federation => {
                &["Domain.Read.All", "Domain-InternalFederation.ReadWrite.All"]
            }
        }
    }

    /// What the token must carry: for each need, any one of the permissions that
    /// satisfy it (delegated scopes or application roles).
    fn needs(self) -> &'static [&'static [&'static str]] {
        match self {
            Capability::Migration => &[
                &[
                    "User.Read.All",
                    "User.ReadWrite.All",
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                ],
                &[
                    "GroupMember.Read.All",
                    "GroupMember.ReadWrite.All",
                    "Group.Read.All",
                    "Group.ReadWrite.All",
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                ],
                &["UserAuthenticationMethod.ReadWrite.All"],
                &[
                    "Policy.Read.AuthenticationMethod",
                    "Policy.ReadWrite.AuthenticationMethod",
                    "Policy.Read.All",
                ],
            ],
            Capability::Rollout => &[&[
                "Policy.ReadWrite.HybridAuthentication",
                "Directory.ReadWrite.All",
            ]],
            Capability::Federation => &[&[
                "Domain-InternalFederation.ReadWrite.All",
                "Domain.ReadWrite.All",
            ]],
        }
    }

    /// Whether a token carrying `permissions` has what this capability needs.
    pub fn granted_by(self, permissions: &[String]) -> bool {
        self.needs().iter().all(|any| {
            any.iter()
                .any(|p| permissions.iter().any(|q| q.eq_ignore_ascii_case(p)))
        })
    }

    /// Staged Rollout refuses app-only tokens (graph-api.md §5).
    pub fn delegated_only(self) -> bool {
        self == Capability::Rollout
    }

    /// The capability in words.
    pub fn describe(self) -> &'static str {
        match self {
            Capability::Migration => "migrating users' methods",
            Capability::Rollout => "managing Staged Rollout",
            Capability::Federation => "changing the domain's federation MFA setting",
        }
    }

    pub(crate) fn owns(self, scope: &str) -> bool {
        let name = scope.rsplit('/').next().unwrap_or(scope);
        self.scopes().iter().any(|s| s.eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Capability::Migration => "migration",
            Capability::Rollout => "rollout",
            Capability::Federation => "federation",
        })
    }
}

/// A set of capabilities, in [`Capability::ALL`] order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CapabilitySet(u8);

impl CapabilitySet {
    pub const EMPTY: CapabilitySet = CapabilitySet(0);
    pub const ALL: CapabilitySet = CapabilitySet(0b111);

    fn bit(c: Capability) -> u8 {
        1 << (c as u8)
    }

    pub fn only(c: Capability) -> CapabilitySet {
        CapabilitySet(Self::bit(c))
    }

    pub fn with(mut self, c: Capability) -> CapabilitySet {
        self.0 |= Self::bit(c);
        self
    }

    pub fn without(mut self, c: Capability) -> CapabilitySet {
        self.0 &= !Self::bit(c);
        self
    }

    pub fn contains(self, c: Capability) -> bool {
        self.0 & Self::bit(c) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Capability> {
        Capability::ALL
            .into_iter()
            .filter(move |c| self.contains(*c))
    }

    /// The capability the command cannot do without: the first one asked for.
    pub fn required(self) -> Option<Capability> {
        self.iter().next()
    }
}

impl FromIterator<Capability> for CapabilitySet {
    fn from_iter<I: IntoIterator<Item = Capability>>(iter: I) -> Self {
        iter.into_iter()
            .fold(CapabilitySet::EMPTY, CapabilitySet::with)
    }
}

/// The scopes a sign-in for `caps` asks for by name, on `cloud`'s Graph, plus
/// `offline_access` for the refresh token.
pub fn scopes_for(caps: CapabilitySet, cloud: Cloud) -> Vec<String> {
    let mut scopes: Vec<String> = Vec::new();
    for c in caps.iter() {
        for s in c.scopes() {
            let full = format!("{}/{s}", cloud.graph_root());
            if !scopes.contains(&full) {
                scopes.push(full);
            }
        }
    }
    scopes.push("offline_access".to_string());
    scopes
}

/// Why Entra would not issue a token with a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeRefusal {
    /// AADSTS70011: the scope is not valid (this tenant or cloud does not know it).
    InvalidScope,
    /// AADSTS650053: the application asked for a scope that does not exist on Graph here.
    NotOnResource,
    /// AADSTS65001: nobody consented to the scope for this application.
    NotConsented,
    /// The token came without it (the app registration does not have the permission).
    NotGranted,
    /// Staged Rollout accepts delegated sign-ins only; this one is app-only.
    AppOnly,
}

impl ScopeRefusal {
    /// From an AADSTS error code, when it is one of the scope refusals.
    pub fn from_code(code: u32) -> Option<ScopeRefusal> {
        match code {
            70011 => Some(ScopeRefusal::InvalidScope),
            650053 => Some(ScopeRefusal::NotOnResource),
            65001 => Some(ScopeRefusal::NotConsented),
            _ => None,
        }
    }

    /// Entra's code, when there is one.
    pub fn code(self) -> Option<u32> {
        match self {
            ScopeRefusal::InvalidScope => Some(70011),
            ScopeRefusal::NotOnResource => Some(650053),
            ScopeRefusal::NotConsented => Some(65001),
            ScopeRefusal::NotGranted | ScopeRefusal::AppOnly => None,
        }
    }

    fn explain(self) -> &'static str {
        match self {
            ScopeRefusal::InvalidScope => "Entra does not accept the scope here (AADSTS70011)",
            ScopeRefusal::NotOnResource => {
                "Graph in this tenant's cloud has no such scope (AADSTS650053)"
            }
            ScopeRefusal::NotConsented => "nobody has consented to it for this app (AADSTS65001)",
            ScopeRefusal::NotGranted => "the token does not carry the permission",
            ScopeRefusal::AppOnly => "it accepts a delegated (signed-in admin) sign-in only",
        }
    }
}

/// A capability the sign-in could not get, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefusedCapability {
    pub capability: Capability,
    pub reason: ScopeRefusal,
    /// The scopes concerned (those Entra named, else the capability's own).
    pub scopes: Vec<String>,
    /// Entra's own words (first line), when it said any.
    pub detail: Option<String>,
}

impl RefusedCapability {
    /// What to grant or do, for the admin.
    pub fn fix(&self) -> String {
        let scopes = self.capability.scopes().join(", ");
        match self.reason {
            ScopeRefusal::AppOnly => "sign in with `--auth device-code` as a Hybrid Identity \
                                      Administrator"
                .to_string(),
            ScopeRefusal::NotConsented | ScopeRefusal::NotGranted => {
                format!("grant the delegated permission {scopes} to the app and give admin consent")
            }
            ScopeRefusal::InvalidScope | ScopeRefusal::NotOnResource => format!(
                "this tenant's Graph does not offer {scopes}: {} is not possible here",
                self.capability.describe()
            ),
        }
    }

    /// The same words as a finding, for the header, the plan and the preflight.
    pub fn finding(&self) -> Finding {
        Finding::warning(
            RuleId::new("sign-in"),
            FindingSubject::Tenant,
            self.to_string(),
        )
        .with_fix(self.fix())
    }
}

impl RefusedCapability {
    /// Why, without naming the capability (for a line that already names it).
    pub fn reason_text(&self) -> String {
        let mut s = format!("{} ({})", self.reason.explain(), self.scopes.join(", "));
        if let Some(d) = &self.detail {
            s.push_str(&format!("; Entra said: {d}"));
        }
        s
    }
}

impl fmt::Display for RefusedCapability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is unavailable: {}",
            self.capability.describe(),
            self.reason_text()
        )
    }
}

/// Which requested capabilities a refusal costs: the one owning a scope Entra named;
/// when Entra names none (AADSTS65001 never does), every optional one — it cannot be
/// told which, and blaming one at random would say something false. Empty when the
/// required capability itself is refused (the sign-in fails then).
pub(crate) fn capabilities_to_drop(asked: CapabilitySet, named: &[String]) -> Vec<Capability> {
    let Some(required) = asked.required() else {
        return Vec::new();
    };
    let by_name: Vec<Capability> = asked
        .iter()
        .filter(|c| named.iter().any(|s| c.owns(s)))
        .collect();
    if by_name.contains(&required) {
        return Vec::new();
    }
    if !by_name.is_empty() {
        return by_name;
    }
    asked.iter().filter(|c| *c != required).collect()
}

/// Scopes of `asked` that a refusal text names: Entra quotes them (`'…'`), with or
/// without the resource prefix.
pub(crate) fn named_scopes(asked: CapabilitySet, text: &str) -> Vec<String> {
    text.split(['\'', '"', ' ', ','])
        .map(|w| w.trim_matches(|c: char| c == '.' || c == ':' || c == ';'))
        .filter(|w| !w.is_empty())
        .filter(|w| asked.iter().any(|c| c.owns(w)))
        .map(|w| w.rsplit('/').next().unwrap_or(w).to_string())
        .fold(Vec::new(), |mut out, s| {
            if !out.contains(&s) {
                out.push(s);
            }
            out
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_by_capability_on_the_cloud() {
        let migration = scopes_for(CapabilitySet::only(Capability::Migration), Cloud::Usgov);
        assert!(migration.contains(&"https://graph.microsoft.us/User.Read.All".to_string()));
        assert!(!migration.iter().any(|s| s.contains("HybridAuthentication")));
        assert_eq!(migration.last().map(String::as_str), Some("offline_access"));
        let all = scopes_for(CapabilitySet::ALL, Cloud::Global);
        assert!(
            all.iter()
                .any(|s| s.ends_with("/Policy.ReadWrite.HybridAuthentication"))
        );
        assert!(
            all.iter()
                .any(|s| s.ends_with("/Domain-InternalFederation.ReadWrite.All"))
        );
    }

    #[test]
    fn a_refusal_costs_the_named_or_every_optional_capability() {
        let asked = CapabilitySet::ALL;
        let named = named_scopes(
            asked,
            "AADSTS650053: The application 'x' asked for scope \
             'Policy.ReadWrite.HybridAuthentication' that doesn't exist on the resource",
        );
        assert_eq!(named, ["Policy.ReadWrite.HybridAuthentication"]);
        assert_eq!(capabilities_to_drop(asked, &named), [Capability::Rollout]);
        assert_eq!(
            capabilities_to_drop(asked, &[]),
            [Capability::Rollout, Capability::Federation],
            "unnamed: every optional one, none blamed alone"
        );
        let only = CapabilitySet::only(Capability::Migration);
        assert!(capabilities_to_drop(only, &[]).is_empty());
        let named = named_scopes(
            asked,
            "scope 'https://graph.microsoft.com/User.Read.All' is not valid",
        );
        assert!(
            capabilities_to_drop(asked, &named).is_empty(),
            "the required one is never dropped"
        );
    }

    #[test]
    fn capabilities_are_read_from_the_token() {
        let perms: Vec<String> = [
            "User.Read.All",
            "GroupMember.Read.All",
            "UserAuthenticationMethod.ReadWrite.All",
            "Policy.ReadWrite.AuthenticationMethod",
            "Directory.ReadWrite.All",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert!(Capability::Migration.granted_by(&perms));
        assert!(
            Capability::Rollout.granted_by(&perms),
            "the higher permission counts"
        );
        assert!(!Capability::Federation.granted_by(&perms));
        let refused = RefusedCapability {
            capability: Capability::Rollout,
            reason: ScopeRefusal::InvalidScope,
            scopes: vec!["Policy.ReadWrite.HybridAuthentication".into()],
            detail: None,
        };
        let f = refused.finding().to_string();
        assert!(f.contains("managing Staged Rollout is unavailable"), "{f}");
        assert!(f.contains("AADSTS70011"), "{f}");
    }
}
