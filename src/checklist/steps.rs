//! The steps of checklist.md, in order, with what each is for, what the admin does by
//! hand, which end states it belongs to and which pane does it. The ids are the spec's.

use serde::{Deserialize, Serialize};

/// The cutover's end state (checklist.md "End state"): asked once, changeable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndState {
    /// 1. Decommission MFA Server only: users keep federation; apps keep AD FS.
    MfaServerOnly,
    /// 2. Also move user authentication to Entra (PHS or PTA, seamless SSO).
    CloudAuthentication,
    /// 3. Also decommission AD FS: applications move to Entra first.
    DecommissionAdfs,
}

impl EndState {
    pub const ALL: [EndState; 3] = [
        EndState::MfaServerOnly,
        EndState::CloudAuthentication,
        EndState::DecommissionAdfs,
    ];

    /// The number the spec gives it (the store keeps it).
    pub fn number(self) -> u8 {
        match self {
            EndState::MfaServerOnly => 1,
            EndState::CloudAuthentication => 2,
            EndState::DecommissionAdfs => 3,
        }
    }

    pub fn from_number(n: u8) -> Option<EndState> {
        EndState::ALL.into_iter().find(|e| e.number() == n)
    }

    pub fn label(self) -> &'static str {
        match self {
            EndState::MfaServerOnly => {
                "decommission MFA Server only (users keep federation, apps keep AD FS)"
            }
            EndState::CloudAuthentication => {
                "also move user authentication to Entra (password hash sync or pass-through, \
                 seamless SSO)"
            }
            EndState::DecommissionAdfs => {
                "also decommission AD FS (applications move to Entra first)"
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Preparations,
    Migrations,
    Finalize,
}

impl Phase {
    pub const ALL: [Phase; 3] = [Phase::Preparations, Phase::Migrations, Phase::Finalize];

    pub fn label(self) -> &'static str {
        match self {
            Phase::Preparations => "Preparations",
            Phase::Migrations => "Migrations",
            Phase::Finalize => "Finalize",
        }
    }
}

/// The pane that does a step (`enter` jumps there).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Where {
    Checklist,
    Dependencies,
    Users,
    Rollout,
    Federation,
    Journal,
}

/// Whether the tool can check a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    /// The tool checks it against live state.
    Automated,
    /// Only the admin can say: ticked by hand.
    Manual,
}

/// One step of the checklist as checklist.md defines it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepDef {
    pub id: &'static str,
    pub phase: Phase,
    pub title: &'static str,
    /// What the step is for.
    pub purpose: &'static str,
    /// What the admin must do by hand.
    pub by_hand: &'static str,
    pub check: CheckKind,
    /// The end states it belongs to; every one when empty.
    pub only: &'static [EndState],
    pub pane: Where,
}

impl StepDef {
    pub fn applies(&self, end: Option<EndState>) -> bool {
        self.only.is_empty() || end.is_some_and(|e| self.only.contains(&e))
    }
}

/// The guide's five checks of the end-user experience for pilot users ("Validate and
/// test"), ticked by hand under `mig.validate`.
pub const VALIDATE_CHECKS: [(&str, &str); 5] = [
    (
        "mig.validate.methods",
        "users see their methods in aka.ms/mfasetup",
    ),
    (
        "mig.validate.phone",
        "users receive phone calls and text messages",
    ),
    (
        "mig.validate.sign_in",
        "users authenticate successfully with those methods",
    ),
    (
        "mig.validate.push",
        "users receive and approve Authenticator notifications, and sign in",
    ),
    (
        "mig.validate.oath",
        "users authenticate with hardware OATH tokens",
    ),
];

/// Every step, in the spec's order.
pub const STEPS: [StepDef; 16] = [
    StepDef {
        id: "prep.dependencies",
        phase: Phase::Preparations,
        title: "Identify MFA Server dependencies (RADIUS, LDAP, AD FS, IIS, SDK)",
        purpose: "MFA Server cannot be switched off while anything still authenticates through it",
        by_hand: "export the AD FS and NPS configuration, load it, decide a path for every item",
        check: CheckKind::Automated,
        only: &[],
        pane: Where::Dependencies,
    },
    StepDef {
        id: "prep.backup",
        phase: Phase::Preparations,
        title: "Back up the data file; keep the installer of the current version",
        purpose: "the rollback restores this backup and reinstalls this version",
        by_hand: "copy PhoneFactor.pfdata and the current installer somewhere safe",
        check: CheckKind::Automated,
        only: &[],
        pane: Where::Checklist,
    },
    StepDef {
        id: "prep.update",
        phase: Phase::Preparations,
        title: "Install the MFA Server update that the migration needs",
        purpose: "the migration utility and its data need MFA Server 8.1 or later",
        by_hand: "install the latest MFA Server build on every server",
        check: CheckKind::Automated,
        only: &[],
        pane: Where::Checklist,
    },
    StepDef {
        id: "prep.access",
        phase: Phase::Preparations,
        title: "Set up Graph access (app with certificate, or delegated admin)",
        purpose: "methods, Staged Rollout and federation are changed through Microsoft Graph",
        by_hand: "register the app or sign in as an admin with the roles the header lists",
        check: CheckKind::Automated,
        only: &[],
        pane: Where::Checklist,
    },
    StepDef {
        id: "prep.methods",
        phase: Phase::Preparations,
        title: "Enable in Entra the methods that MFA Server users use",
        purpose: "a migrated method the policy disables cannot be used to sign in",
        by_hand: "enable them in the authentication methods policy for the users",
        check: CheckKind::Automated,
        only: &[],
        pane: Where::Checklist,
    },
    StepDef {
        id: "mig.users",
        phase: Phase::Migrations,
        title: "Migrate user data (repeat per wave)",
        purpose: "users keep their phones and tokens when their MFA moves to Entra",
        by_hand: "migrate each wave's group from the Users pane",
        check: CheckKind::Automated,
        only: &[],
        pane: Where::Users,
    },
    StepDef {
        id: "mig.validate",
        phase: Phase::Migrations,
        title: "Validate and test with pilot users",
        purpose: "prove the end-user experience before moving more users",
        by_hand: "add the pilot's rollout group to Staged Rollout; check the five points with \
                  pilot users",
        check: CheckKind::Automated,
        only: &[],
        pane: Where::Rollout,
    },
    StepDef {
        id: "mig.rollout",
        phase: Phase::Migrations,
        title: "Staged Rollout of migrated groups",
        purpose: "send migrated users to Entra MFA, group by group",
        by_hand: "add each wave's rollout group once its users are migrated",
        check: CheckKind::Automated,
        only: &[],
        pane: Where::Rollout,
    },
    StepDef {
        id: "mig.educate",
        phase: Phase::Migrations,
        title: "Educate users; export who must re-register the mobile app",
        purpose: "Graph cannot copy MFA Server app registrations: those users register again",
        by_hand: "export the list (ctrl+s in Users) and tell the users before their wave",
        check: CheckKind::Automated,
        only: &[],
        pane: Where::Users,
    },
    StepDef {
        id: "mig.complete",
        phase: Phase::Migrations,
        title: "Complete user migration",
        purpose: "nobody may be left on MFA Server when the federation switch is made",
        by_hand: "repeat migrate and validate until every wave is done",
        check: CheckKind::Automated,
        only: &[],
        pane: Where::Users,
    },
    StepDef {
        id: "fin.dependencies",
        phase: Phase::Finalize,
        title: "Migrate MFA Server dependencies",
        purpose: "RADIUS, LDAP, AD FS and SDK users keep working after MFA Server goes",
        by_hand: "carry out each item's path and mark it done",
        check: CheckKind::Automated,
        only: &[],
        pane: Where::Dependencies,
    },
    StepDef {
        id: "fin.apps",
        phase: Phase::Finalize,
        title: "Move applications from AD FS to Entra",
        purpose: "AD FS can go only when no relying party needs it",
        by_hand: "move each relying party to Entra and mark it done",
        check: CheckKind::Automated,
        only: &[EndState::DecommissionAdfs],
        pane: Where::Dependencies,
    },
    StepDef {
        id: "fin.auth",
        phase: Phase::Finalize,
        title: "Move to cloud authentication",
        purpose: "users sign in with Entra instead of the federation server",
        by_hand: "enable password hash sync or pass-through authentication and seamless SSO \
                  (Staged Rollout), then convert the domains to managed",
        check: CheckKind::Automated,
        only: &[EndState::CloudAuthentication, EndState::DecommissionAdfs],
        pane: Where::Federation,
    },
    StepDef {
        id: "fin.federation",
        phase: Phase::Finalize,
        title: "Update domain federation settings",
        purpose: "Entra stops sending MFA to the federation server: MFA Server is out of the path",
        by_hand: "set rejectMfaByFederatedIdp on every federated domain",
        check: CheckKind::Automated,
        only: &[],
        pane: Where::Federation,
    },
    StepDef {
        id: "fin.portal",
        phase: Phase::Finalize,
        title: "Disable the MFA Server user portal, or redirect it to aka.ms/mfasetup",
        purpose: "users manage their methods in Entra from now on",
        by_hand: "redirect the portal URL to aka.ms/mfasetup, or clear \"Allow users to log in\"",
        check: CheckKind::Manual,
        only: &[],
        pane: Where::Checklist,
    },
    StepDef {
        id: "fin.decommission",
        phase: Phase::Finalize,
        title: "Decommission MFA Server",
        purpose: "nothing authenticates through it any more",
        by_hand: "follow the normal server retirement practice; nothing is needed in Entra",
        check: CheckKind::Manual,
        only: &[],
        pane: Where::Checklist,
    },
];

/// The step of `id`, or of the manual check `id` belongs to.
pub fn step(id: &str) -> Option<&'static StepDef> {
    STEPS.iter().find(|s| s.id == id)
}

/// Whether `id` names a step or one of the five validate checks.
pub fn is_known(id: &str) -> bool {
    step(id).is_some() || VALIDATE_CHECKS.iter().any(|(c, _)| *c == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ids_are_the_specs_in_its_order() {
        let ids: Vec<&str> = STEPS.iter().map(|s| s.id).collect();
        assert_eq!(
            ids,
            [
                "prep.dependencies",
                "prep.backup",
                "prep.update",
                "prep.access",
                "prep.methods",
                "mig.users",
                "mig.validate",
                "mig.rollout",
                "mig.educate",
                "mig.complete",
                "fin.dependencies",
                "fin.apps",
                "fin.auth",
                "fin.federation",
                "fin.portal",
                "fin.decommission",
            ]
        );
    }

    #[test]
    fn the_end_state_adds_and_removes_steps() {
        let count = |e| STEPS.iter().filter(|s| s.applies(Some(e))).count();
        assert_eq!(count(EndState::MfaServerOnly), 14);
        assert_eq!(count(EndState::CloudAuthentication), 15);
        assert_eq!(count(EndState::DecommissionAdfs), 16);
        assert!(!step("fin.apps").is_some_and(|s| s.applies(None)));
        for e in EndState::ALL {
            assert_eq!(EndState::from_number(e.number()), Some(e));
        }
        assert!(is_known("mig.validate.oath") && !is_known("mig.nothing"));
    }
}
