//! Typed calls for exactly the endpoints the tool uses (graph-api.md §1), as methods on
//! [`GraphClient`](super::GraphClient), one module per area. Each names the access it
//! needs, so a 403 says what to grant.

pub mod directory;
pub mod federation;
pub mod hardware;
pub mod methods;
pub mod policy;
pub mod rollout;

use super::error::Access;

const AUTH_ADMINS: &[&str] = &[
    "Authentication Administrator",
    "Privileged Authentication Administrator",
];

/// Reading users with their on-premises attributes (§3).
pub const USERS_READ: Access = Access {
    delegated: "User.Read.All",
    application: "User.Read.All",
    roles: &[],
    higher: &[],
    known_issue: None,
};

/// Finding groups and expanding their members (§3.3).
pub const GROUPS_READ: Access = Access {
    delegated: "GroupMember.Read.All",
    application: "GroupMember.Read.All",
    roles: &[],
    higher: &[],
    known_issue: None,
};

/// Reading other users' authentication methods (§4).
pub const METHODS_READ: Access = Access {
    delegated: "UserAuthenticationMethod.Read.All",
    application: "UserAuthenticationMethod.Read.All",
    roles: &[
        "Authentication Administrator",
        "Privileged Authentication Administrator",
        "Global Reader",
    ],
    higher: &[],
    known_issue: None,
};

/// Writing other users' authentication methods, their default and their hardware
/// token assignments (§4.2, §4.5, §4.8).
pub const METHODS_WRITE: Access = Access {
    delegated: "UserAuthenticationMethod.ReadWrite.All",
    application: "UserAuthenticationMethod.ReadWrite.All",
    roles: AUTH_ADMINS,
    higher: &[],
    known_issue: None,
};

/// The hardware OATH inventory (§4.5).
pub const HARDWARE_INVENTORY: Access = Access {
    delegated: "Policy.ReadWrite.AuthenticationMethod",
    application: "Policy.ReadWrite.AuthenticationMethod",
    roles: &["Authentication Policy Administrator"],
    higher: &[],
    known_issue: None,
};

/// The tenant's authentication methods policy (§4.10).
pub const POLICY_READ: Access = Access {
    delegated: "Policy.Read.AuthenticationMethod",
    application: "Policy.Read.AuthenticationMethod",
    roles: &["Authentication Policy Administrator", "Global Reader"],
    higher: &[],
    known_issue: None,
};

/// Staged Rollout, read: delegated only (§5).
pub const ROLLOUT_READ: Access = Access {
    delegated: "Policy.Read.HybridAuthentication",
    application: "",
    roles: &["Hybrid Identity Administrator"],
    higher: &[
        "Policy.ReadWrite.HybridAuthentication",
        "Directory.ReadWrite.All",
    ],
    known_issue: None,
};

/// Staged Rollout, creating a policy: delegated only. The docs list
/// `Directory.ReadWrite.All` as least privileged and `Policy.ReadWrite.HybridAuthentication`
/// as higher (Graph docs, featurerolloutpolicies-post).
pub const ROLLOUT_CREATE: Access = Access {
    delegated: "Directory.ReadWrite.All",
    application: "",
    roles: &["Hybrid Identity Administrator"],
    higher: &["Policy.ReadWrite.HybridAuthentication"],
    known_issue: None,
};

/// Staged Rollout, changing a policy and its groups: delegated only. The docs list
/// `Policy.ReadWrite.HybridAuthentication` as least privileged to add a group and
/// `Directory.ReadWrite.All` as higher (Graph docs, featurerolloutpolicy-post-appliesto).
pub const ROLLOUT_WRITE: Access = Access {
    delegated: "Policy.ReadWrite.HybridAuthentication",
    application: "",
    roles: &["Hybrid Identity Administrator"],
    higher: &["Directory.ReadWrite.All"],
    known_issue: None,
};

/// Listing domains (§14).
pub const DOMAINS_READ: Access = Access {
    delegated: "Domain.Read.All",
    application: "Domain.Read.All",
    roles: &[],
    higher: &[],
    known_issue: None,
};

/// Reading a domain's federation configuration (§6).
pub const FEDERATION_READ: Access = Access {
    delegated: "Domain-InternalFederation.Read.All",
    application: "Domain-InternalFederation.Read.All",
    roles: &["Hybrid Identity Administrator", "Global Reader"],
    higher: &[],
    known_issue: None,
};

/// Changing `federatedIdpMfaBehavior` (§6).
pub const FEDERATION_WRITE: Access = Access {
    delegated: "Domain-InternalFederation.ReadWrite.All",
    application: "Domain-InternalFederation.ReadWrite.All",
    roles: &[
        "Hybrid Identity Administrator",
        "Domain Name Administrator",
        "External Identity Provider Administrator",
        "Security Administrator",
    ],
    higher: &["Domain.ReadWrite.All"],
    // Graph docs, internaldomainfederation-update (older versions): "Known issue".
    known_issue: Some(
        "with a delegated sign-in the update may also need consent to \
         Directory.AccessAsUser.All (documented on internalDomainFederation update)",
    ),
};

/// Every delegated scope a sign-in may ask for by name: the union of the capabilities'
/// scopes (`auth::Capability::scopes`, which decide what a command asks for).
pub const DELEGATED_SCOPES: &[&str] = &[
    "User.Read.All",
    "GroupMember.Read.All",
    "UserAuthenticationMethod.ReadWrite.All",
    "Policy.ReadWrite.AuthenticationMethod",
    "Policy.Read.All",
    "Policy.ReadWrite.HybridAuthentication",
    "Domain.Read.All",
    "Domain-InternalFederation.ReadWrite.All",
];

#[cfg(test)]
mod tests {
    use super::super::auth::Capability;
    use super::DELEGATED_SCOPES;

    #[test]
    fn the_scope_list_is_the_capabilities_scopes() {
        let mut union: Vec<&str> = Capability::ALL
            .iter()
            .flat_map(|c| c.scopes().iter().copied())
            .collect();
        union.dedup();
        assert_eq!(union, DELEGATED_SCOPES);
    }
}
