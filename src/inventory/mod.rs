//! The dependency inventory (inventory.md): everything that still authenticates through
//! MFA Server or asks AD FS for on-premises MFA, why it matters, the recommended path,
//! and the admin's decision and status for each.
//!
//! - [`pwsh`]: PowerShell's JSON habits; [`claims`]: the AD FS claim rule language;
//!   [`rule_checks`]: what a rule means for the migration.
//! - [`adfs`], [`nps`]: the exports' records; [`sources`]: recognising each file by its
//!   content ([`sources::read_files`] is the only I/O here).
//! - [`classify`]: items from the data file and the exports; [`why`]: the chain of
//!   rules that sends one user to an MFA provider; [`report`]: CSV and Markdown.
//! - [`sample`]: the demo organisation's AD FS and NPS exports.
//!
//! Everything but `sources::read_files` and `sample::write_exports` is pure.

pub mod adfs;
pub mod claims;
pub mod classify;
pub mod model;
pub mod nps;
pub mod pwsh;
pub mod report;
pub mod rule_checks;
pub mod sample;
pub mod sources;
pub mod why;

use serde::Serialize;

pub use classify::{Farm, Input, Options};
pub use model::{
    Decision, Dependence, InvRule, Item, ItemId, ItemKind, Origin, PathKind, Progress, QuotedRule,
    Readiness, Status,
};
pub use rule_checks::Subject;
pub use sources::{ExportError, ExportFile, Exports, Hint, read_files};
pub use why::{Chain, Outcome, UnknownRelyingParty};

use crate::datafile::{DataSet, Known};
use crate::finding::{Finding, FindingSubject, Severity};

/// The inventory: every item, the farm's facts, and inventory-wide notes.
#[derive(Debug, Clone, Serialize)]
pub struct Inventory {
    pub items: Vec<Item>,
    pub files: Vec<ExportFile>,
    pub farm: Farm,
    /// Findings about the inputs rather than one item (a truncated export).
    pub notes: Vec<Finding>,
    /// Whether the data file carried `auth_services` and `settings`.
    pub data_file_services: bool,
    pub data_file_settings: bool,
    #[serde(skip)]
    exports: Exports,
}

impl Inventory {
    /// Classify everything (pure).
    pub fn build(input: &Input<'_>) -> Inventory {
        let (items, farm, notes) = classify::classify(input);
        Inventory {
            items,
            files: input.exports.files.clone(),
            farm,
            notes,
            data_file_services: input.services.is_some(),
            data_file_settings: input.settings.is_some(),
            exports: input.exports.clone(),
        }
    }

    /// The inventory of a loaded data set and its exports.
    pub fn from_data(set: Option<&DataSet>, exports: Exports, options: Options) -> Inventory {
        let services = set.and_then(|s| match &s.services {
            Known::Known(v) => Some(v.as_slice()),
            Known::Unknown => None,
        });
        let settings = set.and_then(|s| match &s.settings {
            Known::Known(v) => Some(v),
            Known::Unknown => None,
        });
        let servers = set.and_then(|s| match &s.servers {
            Known::Known(v) => Some(v.as_slice()),
            Known::Unknown => None,
        });
        Inventory::build(&Input {
            services,
            settings,
            servers,
            exports: &exports,
            options,
        })
    }

    pub fn item(&self, id: &ItemId) -> Option<&Item> {
        self.items.iter().find(|i| &i.id == id)
    }

    /// Attach the admin's decisions. Returns the ids that match no item (the exports
    /// changed since): kept by the store, shown as stale, never silently lost.
    pub fn apply_decisions(&mut self, decisions: &[Decision]) -> Vec<ItemId> {
        let mut unknown = Vec::new();
        for d in decisions {
            match self.items.iter_mut().find(|i| i.id == d.item) {
                Some(item) => item.decision = Some(d.clone()),
                None => unknown.push(d.item.clone()),
            }
        }
        unknown
    }

    /// Counts over the items that need a decision.
    pub fn progress(&self) -> Progress {
        let mut p = Progress::default();
        for i in self.items.iter().filter(|i| i.needs_decision()) {
            p.total += 1;
            if i.decision.is_some() {
                p.decided += 1;
            }
            match i.status() {
                Status::Pending => p.pending += 1,
                Status::InProgress => p.in_progress += 1,
                Status::Done => p.done += 1,
                Status::WontDo => p.wont_do += 1,
            }
        }
        p
    }

    /// What keeps (or may keep) users on MFA Server while they are meant to be on Entra:
    /// relying parties whose access control policy or rules ask AD FS for MFA with MFA
    /// Server among the providers, routing rules that pick MFA Server, the adapter in
    /// the global policy. Items already done or won't-do are left out. For Staged
    /// Rollout's R1 and the federation preflight F1 to warn with.
    pub fn keeps_users_on_mfa_server(&self) -> Vec<Finding> {
        let keep = [
            InvRule::Acp,
            InvRule::RpMfaRule,
            InvRule::GlobalMfaRule,
            InvRule::RouteToServer,
            InvRule::Adapter,
            InvRule::UserChooses,
            InvRule::Fbl,
        ];
        let mut out = Vec::new();
        for item in &self.items {
            if item.status().is_closed() || item.dependence == Dependence::No {
                continue;
            }
            if !matches!(
                item.kind,
                ItemKind::RelyingParty | ItemKind::AdfsGlobalPolicy | ItemKind::AdfsAdapter
            ) {
                continue;
            }
            for f in &item.findings {
                if keep.iter().any(|r| f.rule.as_str() == r.id()) && f.severity >= Severity::Warning
                {
                    out.push(f.clone());
                }
            }
        }
        out
    }

    /// The chain of rules that decides `relying_party`'s MFA provider for `subject`.
    pub fn why(
        &self,
        relying_party: &str,
        subject: &Subject,
    ) -> Result<Chain, UnknownRelyingParty> {
        why::chain(&self.exports, &self.farm, relying_party, subject)
    }

    /// Whether anything was read: the data file's services or an export. With neither,
    /// nothing can be said about dependencies (F1 says so).
    pub fn has_sources(&self) -> bool {
        self.data_file_services || !self.files.is_empty()
    }

    /// One blocking finding under `rule` per dependency that is not done (nor won't do):
    /// what the federation switch (F1) and the checklist's `fin.dependencies` wait for.
    pub fn not_done(&self, rule: &crate::finding::RuleId) -> Vec<Finding> {
        self.items
            .iter()
            .filter(|i| i.needs_decision() && !i.status().is_closed())
            .map(|i| {
                let decided = match &i.decision {
                    Some(d) => format!("{}: {}", d.status.label(), d.path.label()),
                    None => format!("undecided; recommended: {}", i.path.label()),
                };
                Finding::blocking(
                    rule.clone(),
                    Inventory::subject(i),
                    format!(
                        "{} \"{}\" still depends on MFA Server ({decided})",
                        i.kind.label(),
                        i.name
                    ),
                )
                .with_fix("finish it and mark it done in Dependencies (`s`), or decide won't do")
            })
            .collect()
    }

    /// Items that need a decision and have none.
    pub fn undecided(&self) -> impl Iterator<Item = &Item> {
        self.items
            .iter()
            .filter(|i| i.needs_decision() && i.decision.is_none())
    }

    /// Every finding of every item, then the notes.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.items
            .iter()
            .flat_map(|i| i.findings.iter())
            .chain(self.notes.iter())
    }

    /// The subject a finding about `item` names.
    pub fn subject(item: &Item) -> FindingSubject {
        FindingSubject::Dependency {
            id: item.id.0.clone(),
            name: item.name.clone(),
        }
    }
}
