//! Readiness: how many of a group's members Staged Rollout would send to Entra MFA and
//! how ready they are (migrated, verified, holding a usable Entra method, neither), as
//! gauge data per group and per wave, and the next suggested step of each wave.
//!
//! A group's members are folded one at a time ([`GroupReadiness::add`]), so a service
//! can stream a 50,000-member group page by page without holding it.
//!
//! For a rollout group, pass its **direct** members: Staged Rollout does not expand
//! nested groups, their members are not in scope (featureRolloutPolicy resource page:
//! "no nested groups"; entra-docs how-to-connect-staged-rollout.md: "Nested groups aren't
//! supported"). For a migration group, pass its transitive users: the migration expands
//! nesting.

use std::fmt;

use serde::Serialize;

use super::facts::{GroupInfo, GroupRef, Member, MigrationState, RolloutPolicyFacts, UserFacts};
use super::text;
use super::wave::Wave;

/// How many not-ready users a tally remembers by name (for findings and the pane).
const SAMPLE: usize = 5;

/// Counts of users by readiness. `in_scope` users (synced from on-premises) split
/// exactly into `verified + usable_only + neither`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Every user counted.
    pub users: u64,
    /// Synced from on-premises: the users Staged Rollout affects.
    pub in_scope: u64,
    /// Cloud-only: Staged Rollout does not apply to them.
    pub cloud_only: u64,
    /// In scope and written at least once (verified included).
    pub migrated: u64,
    /// In scope, written and proven by reading back.
    pub verified: u64,
    /// In scope, every migration attempt failed.
    pub failed: u64,
    /// In scope and holding a usable Entra method (verified or not).
    pub usable: u64,
    /// In scope, not verified, but holding a usable Entra method.
    pub usable_only: u64,
    /// In scope, neither verified nor holding a usable Entra method: sent to Entra MFA
    /// they would be locked out or forced to register (rule R1 blocks on them).
    pub neither: u64,
    /// The first few of `neither`, by UPN.
    pub not_ready_sample: Vec<String>,
}

impl Tally {
    pub fn add_user(&mut self, u: &UserFacts) {
        self.users += 1;
        if !u.synced {
            self.cloud_only += 1;
            return;
        }
        self.in_scope += 1;
        if u.migration.is_migrated() {
            self.migrated += 1;
        }
        if u.migration == MigrationState::Failed {
            self.failed += 1;
        }
        if u.has_usable_method {
            self.usable += 1;
        }
        if u.migration == MigrationState::Verified {
            self.verified += 1;
        } else if u.has_usable_method {
            self.usable_only += 1;
        } else {
            self.neither += 1;
            if self.not_ready_sample.len() < SAMPLE {
                self.not_ready_sample.push(u.upn.clone());
            }
        }
    }

    pub fn of<'a>(users: impl IntoIterator<Item = &'a UserFacts>) -> Tally {
        let mut t = Tally::default();
        for u in users {
            t.add_user(u);
        }
        t
    }

    /// Add another tally (users counted in both are counted twice).
    pub fn merge(&mut self, o: &Tally) {
        self.users += o.users;
        self.in_scope += o.in_scope;
        self.cloud_only += o.cloud_only;
        self.migrated += o.migrated;
        self.verified += o.verified;
        self.failed += o.failed;
        self.usable += o.usable;
        self.usable_only += o.usable_only;
        self.neither += o.neither;
        for u in &o.not_ready_sample {
            if self.not_ready_sample.len() < SAMPLE {
                self.not_ready_sample.push(u.clone());
            }
        }
    }

    /// In scope and ready for Entra MFA: verified, or holding a usable method.
    pub fn ready(&self) -> u64 {
        self.verified + self.usable_only
    }

    /// The names of not-ready users, for a finding: "a@x, b@x and 5 more".
    pub fn not_ready_names(&self) -> String {
        text::sample(&self.not_ready_sample, self.neither)
    }
}

/// A nested group found among a group's direct members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NestedGroup {
    pub group: GroupRef,
    pub users: Option<u64>,
}

/// One group's readiness.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupReadiness {
    pub group: GroupRef,
    pub dynamic: bool,
    /// Every member counted, of any kind.
    pub members: u64,
    pub tally: Tally,
    pub nested: Vec<NestedGroup>,
    pub contacts: u64,
    pub devices: u64,
    pub other: u64,
}

impl GroupReadiness {
    pub fn new(info: GroupInfo) -> GroupReadiness {
        GroupReadiness {
            group: info.group,
            dynamic: info.dynamic,
            members: 0,
            tally: Tally::default(),
            nested: Vec::new(),
            contacts: 0,
            devices: 0,
            other: 0,
        }
    }

    /// Fold one member in.
    pub fn add(&mut self, m: &Member) {
        self.members += 1;
        match m {
            Member::User(u) => self.tally.add_user(u),
            Member::Group { group, users } => self.nested.push(NestedGroup {
                group: group.clone(),
                users: *users,
            }),
            Member::Contact { .. } => self.contacts += 1,
            Member::Device { .. } => self.devices += 1,
            Member::Other { .. } => self.other += 1,
        }
    }

    pub fn of<'a>(info: GroupInfo, members: impl IntoIterator<Item = &'a Member>) -> Self {
        let mut g = GroupReadiness::new(info);
        for m in members {
            g.add(m);
        }
        g
    }

    /// Users of nested groups, which Staged Rollout leaves out (those whose count is
    /// known; a user may be counted in two of them).
    pub fn nested_users(&self) -> u64 {
        self.nested.iter().filter_map(|n| n.users).sum()
    }

    /// Gauge data for the pane: each a count out of a total, with a tone.
    pub fn gauges(&self, in_policy: bool) -> Vec<Gauge> {
        let t = &self.tally;
        vec![
            Gauge::new(GaugeKind::Members, t.users, t.users),
            Gauge::new(GaugeKind::Migrated, t.migrated, t.in_scope),
            Gauge::new(GaugeKind::Verified, t.verified, t.in_scope),
            Gauge::new(GaugeKind::UsableMethod, t.usable, t.in_scope),
            Gauge::new(GaugeKind::Neither, t.neither, t.in_scope),
            Gauge::new(GaugeKind::CloudOnly, t.cloud_only, t.users),
            Gauge::new(
                GaugeKind::NestedOutOfScope,
                self.nested_users(),
                t.users + self.nested_users(),
            ),
            Gauge::new(GaugeKind::InPolicy, u64::from(in_policy), 1),
        ]
    }
}

/// What a gauge measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GaugeKind {
    Members,
    Migrated,
    Verified,
    UsableMethod,
    Neither,
    CloudOnly,
    NestedOutOfScope,
    InPolicy,
}

impl GaugeKind {
    pub fn label(self) -> &'static str {
        match self {
            GaugeKind::Members => "members",
            GaugeKind::Migrated => "migrated",
            GaugeKind::Verified => "verified",
            GaugeKind::UsableMethod => "usable method",
            GaugeKind::Neither => "neither",
            GaugeKind::CloudOnly => "cloud-only",
            GaugeKind::NestedOutOfScope => "nested (out of scope)",
            GaugeKind::InPolicy => "in rollout policy",
        }
    }
}

/// How a gauge should read: good news, something to look at, or a blocker. A front end
/// shows it with a word or symbol as well as a colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tone {
    Neutral,
    Good,
    Warning,
    Bad,
}

/// One gauge: `value` of `of`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Gauge {
    pub kind: GaugeKind,
    pub value: u64,
    pub of: u64,
    pub tone: Tone,
}

impl Gauge {
    fn new(kind: GaugeKind, value: u64, of: u64) -> Gauge {
        let full = value >= of;
        let tone = match kind {
            GaugeKind::Members => Tone::Neutral,
            GaugeKind::Migrated | GaugeKind::Verified | GaugeKind::UsableMethod => {
                if full {
                    Tone::Good
                } else {
                    Tone::Warning
                }
            }
            GaugeKind::Neither => {
                if value == 0 {
                    Tone::Good
                } else {
                    Tone::Bad
                }
            }
            GaugeKind::CloudOnly | GaugeKind::NestedOutOfScope => {
                if value == 0 {
                    Tone::Neutral
                } else {
                    Tone::Warning
                }
            }
            GaugeKind::InPolicy => Tone::Neutral,
        };
        Gauge {
            kind,
            value,
            of,
            tone,
        }
    }

    /// Whole percent, 100 only when complete.
    pub fn percent(&self) -> u8 {
        text::percent(self.value, self.of)
    }

    /// 0.0–1.0 for a bar.
    pub fn ratio(&self) -> f64 {
        if self.of == 0 {
            if self.kind == GaugeKind::Neither {
                0.0
            } else {
                1.0
            }
        } else {
            (self.value.min(self.of) as f64) / (self.of as f64)
        }
    }
}

impl Gauge {
    /// The figures alone, for a view that prints the label beside the bar: "20 of 85
    /// (23%)", "85", "yes".
    pub fn figures(&self) -> String {
        match self.kind {
            GaugeKind::Members => text::count(self.value),
            GaugeKind::InPolicy => (if self.value > 0 { "yes" } else { "no" }).to_string(),
            _ => format!(
                "{} of {} ({}%)",
                text::count(self.value),
                text::count(self.of),
                self.percent()
            ),
        }
    }
}

impl fmt::Display for Gauge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            GaugeKind::Members => write!(f, "{} members", text::count(self.value)),
            GaugeKind::InPolicy => f.write_str(if self.value > 0 {
                "in rollout policy"
            } else {
                "not in rollout policy"
            }),
            k => write!(
                f,
                "{} {} of {} ({}%)",
                k.label(),
                text::count(self.value),
                text::count(self.of),
                self.percent()
            ),
        }
    }
}

/// The next step the tool suggests for a wave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum NextStep {
    /// A group of the wave was not found in the tenant.
    FindGroup { group: String },
    /// Members of the rollout group are not ready: migrate the migration group.
    Migrate { group: String, not_ready: u64 },
    /// Everyone in scope is ready and the rollout group is not in the policy.
    AddToRollout { group: String },
    /// The rollout group is in the policy, but the policy is off.
    EnablePolicy,
    /// In rollout, but members without a usable method joined since.
    FixInRollout {
        group: String,
        migrate: String,
        not_ready: u64,
    },
    /// In rollout and everyone is ready.
    Done,
}

/// A wave's groups, readiness and next step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaveReadiness {
    pub wave: Wave,
    /// `None`: the migration group was not found.
    pub migrate: Option<GroupReadiness>,
    /// `None`: the rollout group was not found.
    pub rollout: Option<GroupReadiness>,
    pub in_policy: bool,
    pub policy_enabled: bool,
    pub next: NextStep,
}

impl WaveReadiness {
    /// Share of the rollout group's in-scope users verified (the migration group's when
    /// the rollout group has none in scope).
    pub fn verified_percent(&self) -> u8 {
        let t = match (&self.rollout, &self.migrate) {
            (Some(r), _) if r.tally.in_scope > 0 => &r.tally,
            (_, Some(m)) => &m.tally,
            (Some(r), None) => &r.tally,
            (None, None) => return 0,
        };
        text::percent(t.verified, t.in_scope)
    }

    /// "Wave 2: 100% verified, not in rollout → add MFA Rollout Wave 2"
    pub fn suggestion(&self) -> String {
        let place = if !self.in_policy {
            "not in rollout"
        } else if self.policy_enabled {
            "in rollout"
        } else {
            "in rollout (policy off)"
        };
        let action = match &self.next {
            NextStep::FindGroup { group } => {
                format!("group \"{group}\" not found: check the wave's groups")
            }
            NextStep::Migrate { group, not_ready } => {
                format!("migrate {group} ({} not ready)", text::users(*not_ready))
            }
            NextStep::AddToRollout { group } => format!("add {group}"),
            NextStep::EnablePolicy => "enable Staged Rollout".to_string(),
            NextStep::FixInRollout {
                migrate, not_ready, ..
            } => format!(
                "{} without a usable method: migrate {migrate}",
                text::users(*not_ready)
            ),
            NextStep::Done => "done (changes take up to 24 hours)".to_string(),
        };
        format!(
            "{}: {}% verified, {place} → {action}",
            self.wave.name,
            self.verified_percent()
        )
    }
}

/// A wave's readiness from its groups' readiness and the policy.
pub fn wave_readiness(
    wave: &Wave,
    migrate: Option<GroupReadiness>,
    rollout: Option<GroupReadiness>,
    policy: Option<&RolloutPolicyFacts>,
) -> WaveReadiness {
    let in_policy = match (&rollout, policy) {
        (Some(r), Some(p)) => p.targets(&r.group),
        _ => false,
    };
    let policy_enabled = policy.is_some_and(|p| p.enabled);
    let next = match (&migrate, &rollout) {
        (None, _) => NextStep::FindGroup {
            group: wave.migrate.clone(),
        },
        (_, None) => NextStep::FindGroup {
            group: wave.rollout.clone(),
        },
        (Some(m), Some(r)) => {
            let not_ready = r.tally.neither;
            if in_policy {
                if not_ready > 0 {
                    NextStep::FixInRollout {
                        group: r.group.name.clone(),
                        migrate: m.group.name.clone(),
                        not_ready,
                    }
                } else if !policy_enabled {
                    NextStep::EnablePolicy
                } else {
                    NextStep::Done
                }
            } else if not_ready > 0 {
                NextStep::Migrate {
                    group: m.group.name.clone(),
                    not_ready,
                }
            } else {
                NextStep::AddToRollout {
                    group: r.group.name.clone(),
                }
            }
        }
    };
    WaveReadiness {
        wave: wave.clone(),
        migrate,
        rollout,
        in_policy,
        policy_enabled,
        next,
    }
}

/// The wave to work on next: the first whose step is not done.
pub fn next_wave(waves: &[WaveReadiness]) -> Option<&WaveReadiness> {
    waves.iter().find(|w| w.next != NextStep::Done)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::rollout::facts::MigrationState;

    pub(crate) fn user(i: u64, synced: bool, m: MigrationState, usable: bool) -> UserFacts {
        UserFacts {
            id: format!("u{i}"),
            upn: format!("user{i}@contoso.com"),
            synced,
            migration: m,
            has_usable_method: usable,
        }
    }

    /// A group of `verified` verified users, `usable_only` not migrated with a usable
    /// method, `neither` with nothing, `cloud` cloud-only users.
    pub(crate) fn group(
        name: &str,
        verified: u64,
        usable_only: u64,
        neither: u64,
        cloud: u64,
    ) -> GroupReadiness {
        let mut members = Vec::new();
        let mut i = 0;
        let mut push = |n: u64, synced, m, usable| {
            for _ in 0..n {
                i += 1;
                members.push(Member::User(user(i, synced, m, usable)));
            }
        };
        push(verified, true, MigrationState::Verified, true);
        push(usable_only, true, MigrationState::NotMigrated, true);
        push(neither, true, MigrationState::Failed, false);
        push(cloud, false, MigrationState::NotMigrated, false);
        GroupReadiness::of(
            GroupInfo {
                group: GroupRef::new(format!("id-{name}"), name),
                dynamic: false,
            },
            &members,
        )
    }

    #[test]
    fn a_tally_splits_in_scope_users_exactly() {
        let g = group("G", 10, 3, 2, 4);
        let t = &g.tally;
        assert_eq!((t.users, t.in_scope, t.cloud_only), (19, 15, 4));
        assert_eq!(t.verified + t.usable_only + t.neither, t.in_scope);
        assert_eq!(
            (t.verified, t.usable_only, t.neither, t.failed),
            (10, 3, 2, 2)
        );
        assert_eq!(t.usable, 13);
        assert_eq!(t.ready(), 13);
        assert_eq!(
            t.not_ready_names(),
            "user14@contoso.com, user15@contoso.com"
        );
    }

    #[test]
    fn nested_groups_contacts_and_devices_are_counted_apart() {
        let members = vec![
            Member::User(user(1, true, MigrationState::Verified, true)),
            Member::Group {
                group: GroupRef::new("n1", "Branch"),
                users: Some(40),
            },
            Member::Contact {
                id: "c".into(),
                name: "Desk".into(),
            },
            Member::Device { id: "d".into() },
        ];
        let g = GroupReadiness::of(
            GroupInfo {
                group: GroupRef::new("g", "G"),
                dynamic: false,
            },
            &members,
        );
        assert_eq!(
            (g.members, g.tally.users, g.contacts, g.devices),
            (4, 1, 1, 1)
        );
        assert_eq!(g.nested_users(), 40);
        let gauges = g.gauges(false);
        let nested = gauges
            .iter()
            .find(|x| x.kind == GaugeKind::NestedOutOfScope)
            .expect("nested gauge");
        assert_eq!(
            (nested.value, nested.of, nested.tone),
            (40, 41, Tone::Warning)
        );
        assert_eq!(gauges[2].to_string(), "verified 1 of 1 (100%)");
        assert_eq!(gauges[7].to_string(), "not in rollout policy");
    }

    fn policy(groups: &[&GroupReadiness], enabled: bool) -> RolloutPolicyFacts {
        RolloutPolicyFacts {
            id: "p".into(),
            display_name: "MFA rollout policy".into(),
            enabled,
            groups: groups.iter().map(|g| g.group.clone()).collect(),
        }
    }

    #[test]
    fn the_next_step_follows_the_wave() {
        let w = Wave::new("Wave 2", "MFA Migration Wave 2", "MFA Rollout Wave 2");
        let m = group("MFA Migration Wave 2", 100, 0, 0, 3);
        let ready = group("MFA Rollout Wave 2", 100, 0, 0, 0);
        let r = wave_readiness(&w, Some(m.clone()), Some(ready.clone()), None);
        assert_eq!(
            r.suggestion(),
            "Wave 2: 100% verified, not in rollout → add MFA Rollout Wave 2"
        );

        let not_ready = group("MFA Rollout Wave 2", 90, 5, 5, 0);
        let r = wave_readiness(&w, Some(m.clone()), Some(not_ready.clone()), None);
        assert_eq!(
            r.next,
            NextStep::Migrate {
                group: "MFA Migration Wave 2".into(),
                not_ready: 5
            }
        );
        assert_eq!(
            r.suggestion(),
            "Wave 2: 90% verified, not in rollout → migrate MFA Migration Wave 2 (5 users not ready)"
        );

        let p = policy(&[&ready], false);
        let r = wave_readiness(&w, Some(m.clone()), Some(ready.clone()), Some(&p));
        assert_eq!(r.next, NextStep::EnablePolicy);
        let p = policy(&[&ready], true);
        let r = wave_readiness(&w, Some(m.clone()), Some(ready.clone()), Some(&p));
        assert_eq!(r.next, NextStep::Done);
        let p = policy(&[&not_ready], true);
        let r2 = wave_readiness(&w, Some(m.clone()), Some(not_ready), Some(&p));
        assert!(matches!(
            r2.next,
            NextStep::FixInRollout { not_ready: 5, .. }
        ));
        let missing = wave_readiness(&w, Some(m), None, None);
        assert!(
            missing
                .suggestion()
                .contains("\"MFA Rollout Wave 2\" not found")
        );
        let all = [r, r2];
        assert_eq!(next_wave(&all).map(|w| &w.next), Some(&all[1].next));
    }
}
