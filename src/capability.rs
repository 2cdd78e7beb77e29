//! What the current sign-in can do, read once from the token's claims (never the token):
//! write users' methods, read the methods policy, manage Staged Rollout, manage the
//! federation setting, and whether this process may write the state store. Pure: the
//! engine computes it at start-up; the TUI's header and every pane's `available()`,
//! `whoami`, `preflight` (`rollout::preflight`) and the CLI all ask this one place, so
//! they never disagree about who can write.
//!
//! The token says what was *granted*; Graph still decides. Where a token does not carry
//! the directory roles (some tokens omit `wids`), a capability is `Unverified` rather than
//! guessed either way.

use serde::Serialize;

use crate::cloud::Cloud;
use crate::graph::auth::{Capability as Scoped, RefusedCapability};
use crate::graph::{Identity, TokenKind};

/// One capability of the session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Capability {
    Available,
    /// Granted as far as the token shows; its roles are not in the token, so Graph decides.
    Unverified {
        note: String,
    },
    /// Not possible with this sign-in (or cloud, or process): why, and what to do.
    Unavailable {
        reason: String,
        fix: String,
    },
}

impl Capability {
    pub fn is_available(&self) -> bool {
        !matches!(self, Capability::Unavailable { .. })
    }

    /// `why — fix` of an unavailable capability.
    pub fn why(&self) -> Option<String> {
        match self {
            Capability::Unavailable { reason, fix } => Some(format!("{reason} — {fix}")),
            _ => None,
        }
    }

    fn unavailable(reason: impl Into<String>, fix: impl Into<String>) -> Capability {
        Capability::Unavailable {
            reason: reason.into(),
            fix: fix.into(),
        }
    }
}

/// Everything the session can and cannot do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// Create and change users' authentication methods (migration writes).
    pub write_methods: Capability,
    /// Read the authentication methods policy (rule D3, preflight).
    pub read_policy: Capability,
    /// Add and remove groups in Staged Rollout, turn it on and off.
    pub manage_rollout: Capability,
    /// Change a domain's `federatedIdpMfaBehavior`.
    pub manage_federation: Capability,
    /// Write the state store: every tenant change is journaled there first, so without it
    /// nothing is written.
    pub write_store: Capability,
}

const METHOD_WRITE_ROLES: &[&str] = &[
    "Global Administrator",
    "Authentication Administrator",
    "Privileged Authentication Administrator",
];
const POLICY_READ_ROLES: &[&str] = &[
    "Global Administrator",
    "Global Reader",
    "Authentication Policy Administrator",
    "Security Administrator",
    "Security Reader",
];
/// Staged Rollout: Hybrid Identity Administrator (graph-api.md §5).
const ROLLOUT_ROLES: &[&str] = &["Global Administrator", "Hybrid Identity Administrator"];
/// internalDomainFederation update's delegated roles (graph-api.md §6).
const FEDERATION_ROLES: &[&str] = &[
    "Global Administrator",
    "Domain Name Administrator",
    "External Identity Provider Administrator",
    "Hybrid Identity Administrator",
    "Security Administrator",
];

fn has_permission(id: &Identity, accepted: &[&str]) -> bool {
    id.permissions
        .iter()
        .any(|p| accepted.iter().any(|a| p.eq_ignore_ascii_case(a)))
}

/// A permission that writes authentication methods: the broad one or a granular
/// `UserAuthMethod-*.ReadWrite*` (graph-api.md §2).
fn writes_methods(id: &Identity) -> bool {
    id.permissions.iter().any(|p| {
        let p = p.to_ascii_lowercase();
        p.starts_with("userauthenticationmethod.readwrite")
            || (p.starts_with("userauthmethod-") && p.contains(".readwrite"))
    })
}

/// For a delegated token: the admin must also hold one of `roles`.
fn role_check(id: &Identity, roles: &[&str], what: &str) -> Capability {
    if id.kind == TokenKind::AppOnly {
        return Capability::Available;
    }
    if id.roles.is_empty() {
        return Capability::Unverified {
            note: format!(
                "the token does not list the admin's directory roles; {what} needs one of: {}",
                roles.join(", ")
            ),
        };
    }
    if id.roles.iter().any(|r| roles.contains(&r.as_str())) {
        Capability::Available
    } else {
        Capability::unavailable(
            format!(
                "{} holds none of the roles {what} needs",
                crate::safe_text::terminal(&id.account)
            ),
            format!("assign one of: {}", roles.join(", ")),
        )
    }
}

impl Capabilities {
    /// From the session's identity (and the delegated one signed in beside an app-only
    /// session, which the domains that refuse apps use), and whether this process holds
    /// the state store (`None`) or only reads it (`Some(why)`).
    pub fn of(identity: &Identity, delegated: Option<&Identity>, read_only: Option<&str>) -> Self {
        Capabilities::with_refusals(identity, delegated, read_only, &[])
    }

    /// As [`Capabilities::of`], with what the sign-in asked for and Entra refused: a
    /// refused capability says Entra's reason and what to grant.
    pub fn with_refusals(
        identity: &Identity,
        delegated: Option<&Identity>,
        read_only: Option<&str>,
        refused: &[RefusedCapability],
    ) -> Self {
        let admin = delegated.unwrap_or(identity);
        let refusal = |c: Scoped| {
            refused
                .iter()
                .find(|r| r.capability == c)
                .map(|r| Capability::unavailable(r.reason_text(), r.fix()))
        };
        let mut caps = Capabilities::from_token(identity, admin, read_only);
        if let Some(r) = refusal(Scoped::Migration) {
            caps.write_methods = r;
        }
        if let Some(r) = refusal(Scoped::Rollout) {
            caps.manage_rollout = r;
        }
        if let Some(r) = refusal(Scoped::Federation) {
            caps.manage_federation = r;
        }
        caps
    }

    fn from_token(identity: &Identity, admin: &Identity, read_only: Option<&str>) -> Self {
        Capabilities {
            write_methods: if writes_methods(identity) {
                role_check(identity, METHOD_WRITE_ROLES, "writing other users' methods")
            } else {
                Capability::unavailable(
                    "the token carries no permission that writes authentication methods",
                    "grant UserAuthenticationMethod.ReadWrite.All (delegated: with the \
                     Authentication Administrator role) and sign in again",
                )
            },
            read_policy: if has_permission(
                identity,
                &[
                    "Policy.Read.AuthenticationMethod",
                    "Policy.ReadWrite.AuthenticationMethod",
                    "Policy.Read.All",
                ],
            ) {
                role_check(identity, POLICY_READ_ROLES, "reading the methods policy")
            } else {
                Capability::unavailable(
                    "the token cannot read the authentication methods policy",
                    "grant Policy.Read.AuthenticationMethod and sign in again",
                )
            },
            manage_rollout: rollout(identity.cloud, admin),
            manage_federation: federation(admin),
            write_store: match read_only {
                None => Capability::Available,
                Some(why) => Capability::unavailable(
                    why.to_string(),
                    "wait for the other process to finish, or stop it; this one reads only",
                ),
            },
        }
    }

    /// Writing the tenant needs both the permission and the journal.
    pub fn can_migrate(&self) -> Capability {
        match (&self.write_store, &self.write_methods) {
            (Capability::Unavailable { .. }, _) => self.write_store.clone(),
            (_, c) => c.clone(),
        }
    }
}

fn rollout(cloud: Cloud, admin: &Identity) -> Capability {
    // featureRolloutPolicy is not offered in the China cloud (graph-api.md §5, §11).
    if cloud == Cloud::China {
        return Capability::unavailable(
            "Staged Rollout cannot be managed through Graph in the China cloud (21Vianet)",
            "manage Staged Rollout in the Entra admin center of the 21Vianet cloud",
        );
    }
    // Every featureRolloutPolicy page: "Application: Not supported" (graph-api.md §5).
    if admin.kind == TokenKind::AppOnly {
        return Capability::unavailable(
            "Staged Rollout refuses app-only tokens (Graph documents delegated sign-in only)",
            "sign in as a Hybrid Identity Administrator with a device code (`:signin` in the \
             TUI, or --auth device-code)",
        );
    }
    if !has_permission(
        admin,
        &[
            "Policy.ReadWrite.HybridAuthentication",
            "Directory.ReadWrite.All",
        ],
    ) {
        return Capability::unavailable(
            "the admin's token lacks Policy.ReadWrite.HybridAuthentication (to add groups) and \
             Directory.ReadWrite.All (to create the policy)",
            "consent to Policy.ReadWrite.HybridAuthentication (and Directory.ReadWrite.All to \
             create the policy) and sign in again",
        );
    }
    role_check(admin, ROLLOUT_ROLES, "Staged Rollout")
}

fn federation(admin: &Identity) -> Capability {
    if !has_permission(
        admin,
        &[
            "Domain-InternalFederation.ReadWrite.All",
            "Domain.ReadWrite.All",
            "Directory.AccessAsUser.All",
        ],
    ) {
        return Capability::unavailable(
            "the token cannot change a domain's federation settings",
            "grant Domain-InternalFederation.ReadWrite.All and sign in again",
        );
    }
    role_check(admin, FEDERATION_ROLES, "changing the federation setting")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(kind: TokenKind, roles: &[&str], permissions: &[&str]) -> Identity {
        Identity {
            tenant_id: "t".into(),
            tenant_name: None,
            cloud: Cloud::Global,
            account: "admin@contoso.com".into(),
            kind,
            roles: roles.iter().map(|r| r.to_string()).collect(),
            permissions: permissions.iter().map(|r| r.to_string()).collect(),
            expires_at: None,
            simulated: false,
        }
    }

    #[test]
    fn an_app_writes_methods_but_cannot_manage_rollout_until_an_admin_signs_in() {
        let app = identity(
            TokenKind::AppOnly,
            &[],
            &["UserAuthenticationMethod.ReadWrite.All", "Policy.Read.All"],
        );
        let c = Capabilities::of(&app, None, None);
        assert_eq!(c.write_methods, Capability::Available);
        assert!(
            c.manage_rollout
                .why()
                .is_some_and(|w| w.contains("app-only"))
        );
        let admin = identity(
            TokenKind::Delegated,
            &["Hybrid Identity Administrator"],
            &["Policy.ReadWrite.HybridAuthentication"],
        );
        let c = Capabilities::of(&app, Some(&admin), None);
        assert_eq!(c.manage_rollout, Capability::Available);
        assert_eq!(c.write_methods, Capability::Available, "still the app's");
    }

    #[test]
    fn a_delegated_admin_needs_the_role_as_well_as_the_scope() {
        let reader = identity(
            TokenKind::Delegated,
            &["Global Reader"],
            &["UserAuthenticationMethod.ReadWrite.All"],
        );
        let c = Capabilities::of(&reader, None, None);
        let why = c.write_methods.why().unwrap_or_default();
        assert!(why.contains("Authentication Administrator"), "{why}");
        let unknown = identity(
            TokenKind::Delegated,
            &[],
            &["UserAuthenticationMethod.ReadWrite.All"],
        );
        assert!(matches!(
            Capabilities::of(&unknown, None, None).write_methods,
            Capability::Unverified { .. }
        ));
    }

    #[test]
    fn a_read_only_store_blocks_migration_whatever_the_token() {
        let admin = identity(
            TokenKind::Delegated,
            &["Authentication Administrator"],
            &["UserAuthenticationMethod.ReadWrite.All"],
        );
        let c = Capabilities::of(&admin, None, Some("held by pid 42"));
        assert!(c.write_methods.is_available());
        assert!(c.can_migrate().why().is_some_and(|w| w.contains("pid 42")));
    }

    #[test]
    fn china_has_no_staged_rollout_api() {
        let mut admin = identity(
            TokenKind::Delegated,
            &["Hybrid Identity Administrator"],
            &["Policy.ReadWrite.HybridAuthentication"],
        );
        admin.cloud = Cloud::China;
        let c = Capabilities::of(&admin, None, None);
        assert!(c.manage_rollout.why().is_some_and(|w| w.contains("China")));
    }
}
