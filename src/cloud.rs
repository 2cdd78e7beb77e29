//! National clouds: each has its own login host and Graph host, and tokens do not cross
//! between them (graph-api.md §11); and what each cloud's Graph cannot do (rules H3, P6,
//! Staged Rollout), as findings said before any write.

use serde::{Deserialize, Serialize};

use crate::finding::{Finding, FindingSubject, RuleId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cloud {
    #[default]
    Global,
    /// US Government L4 (GCC High).
    Usgov,
    /// US Government L5 (DoD).
    UsgovDod,
    /// China (21Vianet).
    China,
}

impl Cloud {
    pub const ALL: [Cloud; 4] = [Cloud::Global, Cloud::Usgov, Cloud::UsgovDod, Cloud::China];

    /// The name used on the command line and in the config file.
    pub fn name(self) -> &'static str {
        match self {
            Cloud::Global => "global",
            Cloud::Usgov => "usgov",
            Cloud::UsgovDod => "usgov-dod",
            Cloud::China => "china",
        }
    }

    pub fn from_name(name: &str) -> Option<Cloud> {
        Cloud::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(name.trim()))
    }

    /// Entra token endpoint host (authority host).
    pub fn login_host(self) -> &'static str {
        match self {
            Cloud::Global => "https://login.microsoftonline.com",
            Cloud::Usgov | Cloud::UsgovDod => "https://login.microsoftonline.us",
            Cloud::China => "https://login.chinacloudapi.cn",
        }
    }

    /// Graph root, without the version segment.
    pub fn graph_root(self) -> &'static str {
        match self {
            Cloud::Global => "https://graph.microsoft.com",
            Cloud::Usgov => "https://graph.microsoft.us",
            Cloud::UsgovDod => "https://dod-graph.microsoft.us",
            Cloud::China => "https://microsoftgraph.chinacloudapi.cn",
        }
    }

    /// The `.default` scope of this cloud's Graph: tokens must name their own cloud.
    pub fn graph_scope(self) -> String {
        format!("{}/.default", self.graph_root())
    }

    /// Hardware OATH APIs exist in the global cloud only (rule H3; every hardware OATH
    /// page of the Graph docs includes `global-only`).
    pub fn has_hardware_oath(self) -> bool {
        self == Cloud::Global
    }

    /// Updating (and deleting) a phone method: not in the China cloud (rule P6; Graph
    /// docs, phoneauthenticationmethod-update and -delete: national-cloud include
    /// `global-us`).
    pub fn has_phone_update(self) -> bool {
        self != Cloud::China
    }

    /// The Staged Rollout API (create a policy, add or remove groups): not in the China
    /// cloud (Graph docs, featurerolloutpolicies-post and featurerolloutpolicy-post-appliesto:
    /// China ❌).
    pub fn has_staged_rollout(self) -> bool {
        self != Cloud::China
    }

    /// What this cloud's Graph cannot do, said before any write: the same words for the
    /// plan, the panes and the preflight.
    pub fn findings(self) -> Vec<Finding> {
        let mut out = Vec::new();
        let subject = || FindingSubject::Tenant;
        if !self.has_hardware_oath() {
            out.push(Finding::warning(
                RuleId::new("H3"),
                subject(),
                format!(
                    "hardware OATH tokens cannot be migrated: Graph's hardware OATH API exists in \
                     the global cloud only, not in {}; tokens are skipped",
                    self.label()
                ),
            ));
        }
        if !self.has_phone_update() {
            out.push(
                Finding::warning(
                    RuleId::new("P6"),
                    subject(),
                    format!(
                        "phone numbers cannot be changed: Graph in {} cannot update or delete a \
                         phone method; a slot that holds a different number is skipped",
                        self.label()
                    ),
                )
                .with_fix("change those numbers in the Entra admin centre"),
            );
        }
        if !self.has_staged_rollout() {
            out.push(Finding::warning(
                RuleId::new("R2"),
                subject(),
                format!(
                    "Staged Rollout cannot be managed: Graph in {} has no Staged Rollout API \
                     (create a policy, add or remove groups); cut over with the federation \
                     setting alone",
                    self.label()
                ),
            ));
        }
        out
    }

    /// The cloud in words.
    pub fn label(self) -> &'static str {
        match self {
            Cloud::Global => "the global cloud",
            Cloud::Usgov => "the US Government cloud (GCC High)",
            Cloud::UsgovDod => "the US Government DoD cloud",
            Cloud::China => "the China cloud (21Vianet)",
        }
    }
}

impl std::fmt::Display for Cloud {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Cloud {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cloud::from_name(s).ok_or_else(|| {
            format!("unknown cloud {s:?}: expected one of global, usgov, usgov-dod, china")
        })
    }
}
