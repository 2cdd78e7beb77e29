//! The Staged Rollout interlocks R1–R4 (rollout-federation.md): pure checks of adding or
//! removing a group and of turning the MFA rollout policy on or off, each answering a
//! [`Verdict`]. Everything R2 refuses is decided here from facts read beforehand, so a
//! refused change never reaches a Graph write.

use super::facts::{DomainFacts, GroupRef, MfaBehavior, RolloutPolicyFacts};
use super::readiness::{GroupReadiness, Tally};
use super::rules::Rule;
use super::text;
use super::verdict::{BlastRadius, Change, Confirmation, Verdict};
use super::wave::Wave;
use crate::finding::{Finding, FindingSubject};

/// At most 10 groups per Staged Rollout feature (featureRolloutPolicy resource page;
/// entra-docs how-to-connect-staged-rollout.md: "a maximum of 10 groups per feature").
pub const MAX_GROUPS: usize = 10;

/// "Group size is currently limited to 50,000 users" (how-to-connect-staged-rollout.md,
/// Supported scenarios); the MFA migration guide: at most 500,000 users, 10 groups of
/// 50,000.
pub const MAX_GROUP_USERS: u64 = 50_000;

/// Display name of the policy the tool creates: the migration guide's example body.
pub const POLICY_NAME: &str = "MFA rollout policy";

fn subject(g: &GroupRef) -> FindingSubject {
    FindingSubject::Group {
        id: g.id.clone(),
        name: g.name.clone(),
    }
}

/// Everything checked before a group joins the MFA rollout policy.
#[derive(Debug, Clone)]
pub struct AddGroup<'a> {
    /// The group's own properties and its direct members, folded.
    pub group: &'a GroupReadiness,
    /// The MFA rollout policy; `None` when the tenant has none yet (it is created first).
    pub policy: Option<&'a RolloutPolicyFacts>,
    /// The configured waves (R3 looks for the group among their migration groups).
    pub waves: &'a [Wave],
    /// The inventory's warnings about users Staged Rollout does not actually move: AD FS
    /// access control policies requiring MFA keep users on MFA Server even while in
    /// Staged Rollout (MicrosoftDocs/azure-docs#101551), and routing the MFA provider by
    /// group needs AD FS farm behavior level 4 (the migration-with-federation guide).
    /// Passed through as they are.
    pub inventory: Vec<Finding>,
}

/// R1, R2, R3 for adding a group.
pub fn check_add_group(input: AddGroup<'_>) -> Verdict {
    let g = input.group;
    let t = &g.tally;
    let s = || subject(&g.group);
    let policy_on = input.policy.is_none_or(|p| p.enabled);
    let blast = if policy_on {
        BlastRadius::to_entra(t)
    } else {
        BlastRadius::nowhere()
    };
    let mut v = Verdict::new(
        Change::AddGroup {
            group: g.group.clone(),
            create_policy: input.policy.is_none(),
        },
        blast,
        Confirmation::Tier1,
    );

    if let Some(p) = input.policy
        && p.targets(&g.group)
    {
        v.nothing_to_do = true;
        v.note(Finding::info(
            Rule::R2,
            s(),
            "already in the MFA rollout policy: nothing to add",
        ));
        return v;
    }

    // R2: what Entra refuses, refused here first.
    if let Some(p) = input.policy
        && p.groups.len() >= MAX_GROUPS
    {
        v.refuse(
            Finding::blocking(
                Rule::R2,
                s(),
                format!(
                    "the policy already targets {} groups, the most Staged Rollout takes per feature",
                    p.groups.len()
                ),
            )
            .with_fix(
                "remove a group whose wave is done, or put the users into an existing rollout \
                 group (up to 50,000 users each)",
            ),
        );
    }
    if g.dynamic {
        v.refuse(
            Finding::blocking(
                Rule::R2,
                s(),
                "a dynamic membership group: Staged Rollout does not take dynamic groups",
            )
            .with_fix("use an assigned group holding the same users"),
        );
    }
    if g.contacts > 0 {
        v.refuse(
            Finding::blocking(
                Rule::R2,
                s(),
                format!(
                    "holds {} contact{}: contact objects in a group block it from Staged Rollout",
                    text::count(g.contacts),
                    if g.contacts == 1 { "" } else { "s" }
                ),
            )
            .with_fix("remove the contacts from the group, or use another group"),
        );
    }

    // R2: what Entra takes but ignores.
    if !g.nested.is_empty() {
        let users = g.nested_users();
        let names: Vec<String> = g.nested.iter().map(|n| n.group.name.clone()).collect();
        v.note(
            Finding::warning(
                Rule::R2,
                s(),
                format!(
                    "{} nested group{} ({}{}) stay out of scope: Staged Rollout does not expand \
                     nested groups",
                    g.nested.len(),
                    if g.nested.len() == 1 { "" } else { "s" },
                    text::sample(&names, g.nested.len() as u64),
                    if users > 0 {
                        format!(", {}", text::users(users))
                    } else {
                        String::new()
                    }
                ),
            )
            .with_fix("add their users to the rollout group directly"),
        );
    }
    if t.in_scope > MAX_GROUP_USERS {
        v.note(
            Finding::warning(
                Rule::R2,
                s(),
                format!(
                    "{} in scope: Staged Rollout groups are limited to {} users",
                    text::users(t.in_scope),
                    text::count(MAX_GROUP_USERS)
                ),
            )
            .with_fix("split the group into groups of at most 50,000 users"),
        );
    }
    if t.cloud_only > 0 {
        v.note(
            Finding::warning(
                Rule::R2,
                s(),
                format!(
                    "{} cloud-only member{} not affected: Staged Rollout applies only to users \
                     synced from on-premises",
                    text::count(t.cloud_only),
                    if t.cloud_only == 1 { " is" } else { "s are" }
                ),
            )
            .with_fix("cloud-only users already do MFA in Entra; nothing to do for them here"),
        );
    }
    if t.in_scope == 0 {
        v.note(Finding::warning(
            Rule::R2,
            s(),
            "no direct member is synced from on-premises: adding the group moves nobody",
        ));
    }

    // R3: the migration group as the rollout group.
    if let Some(w) = input.waves.iter().find(|w| g.group.named_by(&w.migrate)) {
        v.note(
            Finding::warning(
                Rule::R3,
                s(),
                format!(
                    "is the migration group of {}: users would be sent to Entra MFA as soon as \
                     they join it, before their data is migrated",
                    w.name
                ),
            )
            .with_fix("use a separate rollout group, as the migration guide recommends"),
        );
    }

    // R1: readiness of the direct members in scope.
    if t.neither > 0 {
        v.note(
            Finding::blocking(
                Rule::R1,
                s(),
                format!(
                    "{} of {} in scope {} neither migrated and verified nor holding a usable \
                     Entra method ({}): sent to Entra MFA they would be locked out or forced \
                     to register",
                    text::count(t.neither),
                    text::users(t.in_scope),
                    if t.neither == 1 { "is" } else { "are" },
                    t.not_ready_names()
                ),
            )
            .with_fix("migrate them first, or override with --force (audited)"),
        );
    }
    if t.usable_only > 0 {
        v.note(Finding::info(
            Rule::R1,
            s(),
            format!(
                "{} not migrated and verified but holding a usable Entra method: their MFA \
                 Server methods are not in Entra yet",
                text::users(t.usable_only)
            ),
        ));
    }
    v.findings.extend(input.inventory);

    match input.policy {
        None => v.note(Finding::info(
            Rule::R1,
            FindingSubject::Tenant,
            format!(
                "the tenant has no Staged Rollout policy for MFA: \"{POLICY_NAME}\" is created \
                 (enabled) before the group is added"
            ),
        )),
        Some(p) if !p.enabled => v.note(Finding::info(
            Rule::R1,
            FindingSubject::Tenant,
            "the MFA rollout policy is off: adding the group moves nobody until it is enabled",
        )),
        Some(_) => {}
    }
    v.note(Finding::info(
        Rule::R1,
        s(),
        "membership changes of Staged Rollout can take up to 24 hours to apply",
    ));
    v
}

/// Domains at `rejectMfaByFederatedIdp` decide MFA for all their users whatever Staged
/// Rollout says (graph-api.md §6).
fn cutover_note(domains: &[DomainFacts]) -> Option<Finding> {
    let cut: Vec<&str> = domains
        .iter()
        .filter(|d| {
            d.federated && d.value.effective() == Some(MfaBehavior::RejectMfaByFederatedIdp)
        })
        .map(|d| d.name.as_str())
        .collect();
    (!cut.is_empty()).then(|| {
        Finding::info(
            Rule::R4,
            FindingSubject::Tenant,
            format!(
                "{} {} at rejectMfaByFederatedIdp: their users keep Entra MFA whatever Staged \
                 Rollout says",
                cut.join(", "),
                if cut.len() == 1 { "is" } else { "are" }
            ),
        )
    })
}

/// R4 for removing a group. `also_elsewhere`: users of the group who are also direct
/// members of another group of the policy (they stay in Staged Rollout).
pub fn check_remove_group(
    group: &GroupReadiness,
    policy: Option<&RolloutPolicyFacts>,
    domains: &[DomainFacts],
    also_elsewhere: u64,
) -> Verdict {
    let back = group.tally.in_scope.saturating_sub(also_elsewhere);
    let on = policy.is_some_and(|p| p.enabled);
    let blast = if on {
        BlastRadius::to_mfa_server(Some(back))
    } else {
        BlastRadius::nowhere()
    };
    let mut v = Verdict::new(
        Change::RemoveGroup {
            group: group.group.clone(),
        },
        blast,
        Confirmation::Tier2 {
            type_text: group.group.name.clone(),
        },
    );
    let s = subject(&group.group);
    if !policy.is_some_and(|p| p.targets(&group.group)) {
        v.nothing_to_do = true;
        v.note(Finding::info(
            Rule::R4,
            s,
            "not in the MFA rollout policy: nothing to remove",
        ));
        return v;
    }
    if on {
        v.note(
            Finding::warning(
                Rule::R4,
                s,
                format!(
                    "{} go back to MFA Server (on-premises MFA) for their second factor{}; \
                     this can take up to 24 hours",
                    text::users(back),
                    if also_elsewhere > 0 {
                        format!(
                            " ({} stay in Staged Rollout through another group)",
                            text::count(also_elsewhere)
                        )
                    } else {
                        String::new()
                    }
                ),
            )
            .with_fix("MFA Server must still be running and hold their current methods"),
        );
    } else {
        v.note(Finding::info(
            Rule::R4,
            s,
            "the MFA rollout policy is off: removing the group moves nobody",
        ));
    }
    if let Some(f) = cutover_note(domains) {
        v.note(f);
    }
    v
}

/// The union of the policy's groups, for enabling and disabling.
fn total(groups: &[GroupReadiness]) -> Tally {
    let mut t = Tally::default();
    for g in groups {
        t.merge(&g.tally);
    }
    t
}

/// Enabling the policy sends every group's users to Entra MFA at once: R1 over all of
/// them, R2 for what Entra ignores. `groups`: the policy's groups (users in two groups
/// are counted twice).
pub fn check_enable(
    policy: Option<&RolloutPolicyFacts>,
    groups: &[GroupReadiness],
    inventory: Vec<Finding>,
) -> Verdict {
    let t = total(groups);
    let mut v = Verdict::new(
        Change::EnablePolicy,
        BlastRadius::to_entra(&t),
        Confirmation::Tier2 {
            type_text: t.in_scope.to_string(),
        },
    );
    let Some(p) = policy else {
        v.refuse(
            Finding::blocking(
                Rule::R1,
                FindingSubject::Tenant,
                "the tenant has no Staged Rollout policy for MFA",
            )
            .with_fix("add a rollout group first: the policy is created with it"),
        );
        return v;
    };
    if p.enabled {
        v.nothing_to_do = true;
        v.note(Finding::info(
            Rule::R1,
            FindingSubject::Tenant,
            "Staged Rollout for MFA is already on",
        ));
        return v;
    }
    for g in groups {
        let s = subject(&g.group);
        if g.tally.neither > 0 {
            v.note(
                Finding::blocking(
                    Rule::R1,
                    s.clone(),
                    format!(
                        "{} of {} in scope neither migrated and verified nor holding a usable \
                         Entra method ({})",
                        text::count(g.tally.neither),
                        text::users(g.tally.in_scope),
                        g.tally.not_ready_names()
                    ),
                )
                .with_fix("migrate them first, or override with --force (audited)"),
            );
        }
        if !g.nested.is_empty() {
            v.note(Finding::warning(
                Rule::R2,
                s,
                format!(
                    "{} nested group{} stay out of scope",
                    g.nested.len(),
                    if g.nested.len() == 1 { "" } else { "s" }
                ),
            ));
        }
    }
    if groups.is_empty() {
        v.note(Finding::warning(
            Rule::R2,
            FindingSubject::Tenant,
            "the policy targets no group: enabling it moves nobody",
        ));
    }
    v.findings.extend(inventory);
    v.note(Finding::info(
        Rule::R1,
        FindingSubject::Tenant,
        "Staged Rollout changes can take up to 24 hours to apply",
    ));
    v
}

/// R4 for turning the policy off: every group's users go back to MFA Server.
pub fn check_disable(
    policy: Option<&RolloutPolicyFacts>,
    groups: &[GroupReadiness],
    domains: &[DomainFacts],
) -> Verdict {
    let t = total(groups);
    let mut v = Verdict::new(
        Change::DisablePolicy,
        BlastRadius::to_mfa_server(Some(t.in_scope)),
        Confirmation::Tier2 {
            type_text: t.in_scope.to_string(),
        },
    );
    match policy {
        None => {
            v.nothing_to_do = true;
            v.blast = BlastRadius::nowhere();
            v.note(Finding::info(
                Rule::R4,
                FindingSubject::Tenant,
                "the tenant has no Staged Rollout policy for MFA: nothing to turn off",
            ));
            return v;
        }
        Some(p) if !p.enabled => {
            v.nothing_to_do = true;
            v.blast = BlastRadius::nowhere();
            v.note(Finding::info(
                Rule::R4,
                FindingSubject::Tenant,
                "Staged Rollout for MFA is already off",
            ));
            return v;
        }
        Some(_) => {}
    }
    v.note(
        Finding::warning(
            Rule::R4,
            FindingSubject::Tenant,
            format!(
                "{} in {} group{} go back to MFA Server (on-premises MFA) for their second \
                 factor; this can take up to 24 hours",
                text::users(t.in_scope),
                groups.len(),
                if groups.len() == 1 { "" } else { "s" }
            ),
        )
        .with_fix("MFA Server must still be running and hold their current methods"),
    );
    if let Some(f) = cutover_note(domains) {
        v.note(f);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::RuleId;
    use crate::rollout::facts::{FederationValue, GroupInfo, Member};
    use crate::rollout::readiness::tests::group;
    use crate::rollout::verdict::Decision;

    fn policy(groups: usize, enabled: bool) -> RolloutPolicyFacts {
        RolloutPolicyFacts {
            id: "p".into(),
            display_name: POLICY_NAME.into(),
            enabled,
            groups: (0..groups)
                .map(|i| GroupRef::new(format!("g{i}"), format!("Group {i}")))
                .collect(),
        }
    }

    fn add<'a>(g: &'a GroupReadiness, p: Option<&'a RolloutPolicyFacts>) -> AddGroup<'a> {
        AddGroup {
            group: g,
            policy: p,
            waves: &[],
            inventory: Vec::new(),
        }
    }

    fn has(v: &Verdict, rule: Rule, needle: &str) -> bool {
        v.all_findings()
            .any(|f| f.rule == RuleId::from(rule) && f.text.contains(needle))
    }

    #[test]
    fn r1_blocks_members_without_a_usable_method_and_force_overrides() {
        let g = group("MFA Rollout Wave 3", 4790, 15, 7, 0);
        let p = policy(2, true);
        let v = check_add_group(add(&g, Some(&p)));
        assert_eq!(
            v.decide(false),
            Decision::Blocked {
                by: vec![RuleId::from(Rule::R1)]
            }
        );
        assert!(has(&v, Rule::R1, "7 of 4,812 users in scope are neither"));
        assert_eq!(
            v.blast_line(false),
            "adds MFA Rollout Wave 3 → 4,812 users to Entra MFA: 4,790 verified, 15 usable \
             method only, 7 with no usable method — blocked by R1"
        );
        let forced = v.decide(true);
        assert_eq!(
            forced,
            Decision::Forced {
                past: vec![RuleId::from(Rule::R1)]
            }
        );
        assert!(forced.writes());
        assert_eq!(
            v.confirmation_for(true),
            Confirmation::Tier2 {
                type_text: "MFA Rollout Wave 3".into()
            }
        );
        assert_eq!(v.confirmation_for(false), Confirmation::Tier1);
        assert!(v.blast_line(true).ends_with("— forced past R1"));
    }

    #[test]
    fn r1_passes_when_every_member_is_verified_or_usable() {
        let g = group("MFA Rollout Wave 1", 50, 2, 0, 0);
        let v = check_add_group(add(&g, None));
        assert_eq!(v.decide(false), Decision::Proceed);
        assert!(has(&v, Rule::R1, "2 users not migrated"));
        assert!(has(&v, Rule::R1, "is created"));
        assert!(matches!(
            v.change,
            Change::AddGroup {
                create_policy: true,
                ..
            }
        ));
    }

    #[test]
    fn r1_carries_the_inventory_warnings() {
        let g = group("W", 5, 0, 0, 0);
        let mut input = add(&g, None);
        input.inventory = vec![Finding::warning(
            crate::finding::RuleId::new("INV-ACP"),
            FindingSubject::Tenant,
            "an access control policy requires MFA on 'Payroll'",
        )];
        let v = check_add_group(input);
        assert!(v.all_findings().any(|f| f.rule.as_str() == "INV-ACP"));
        assert_eq!(v.decide(false), Decision::Proceed);
    }

    #[test]
    fn r2_refuses_an_eleventh_group_even_when_forced() {
        let g = group("Eleventh", 5, 0, 0, 0);
        let p = policy(10, true);
        let v = check_add_group(add(&g, Some(&p)));
        assert_eq!(
            v.decide(true),
            Decision::Refused {
                by: vec![RuleId::from(Rule::R2)]
            }
        );
        assert!(has(&v, Rule::R2, "already targets 10 groups"));
        assert!(v.blast_line(true).ends_with("— refused by R2"));
    }

    #[test]
    fn r2_refuses_dynamic_groups_and_groups_with_contacts() {
        let info = |dynamic| GroupInfo {
            group: GroupRef::new("d", "All Employees (dynamic)"),
            dynamic,
        };
        let g = GroupReadiness::of(info(true), &[]);
        let v = check_add_group(add(&g, None));
        assert!(matches!(v.decide(true), Decision::Refused { .. }));
        assert!(has(&v, Rule::R2, "dynamic"));

        let members = [Member::Contact {
            id: "c".into(),
            name: "Desk".into(),
        }];
        let g = GroupReadiness::of(info(false), &members);
        let v = check_add_group(add(&g, None));
        assert!(matches!(v.decide(true), Decision::Refused { .. }));
        assert!(has(&v, Rule::R2, "holds 1 contact:"));
    }

    #[test]
    fn r2_warns_for_nested_groups_big_groups_and_cloud_only_members() {
        let mut g = group("W", 3, 0, 0, 2);
        g.add(&Member::Group {
            group: GroupRef::new("n", "Branch offices"),
            users: Some(12),
        });
        g.tally.in_scope = MAX_GROUP_USERS + 1;
        let v = check_add_group(add(&g, None));
        assert_eq!(v.decide(false), Decision::Proceed, "warnings do not block");
        assert!(has(
            &v,
            Rule::R2,
            "1 nested group (Branch offices, 12 users)"
        ));
        assert!(has(&v, Rule::R2, "limited to 50,000 users"));
        assert!(has(&v, Rule::R2, "2 cloud-only members are not affected"));
        let empty = group("E", 0, 0, 0, 3);
        let v = check_add_group(add(&empty, None));
        assert!(has(&v, Rule::R2, "moves nobody"));
    }

    #[test]
    fn r2_an_existing_group_is_nothing_to_do() {
        let g = group("Group 1", 1, 0, 0, 0);
        let mut p = policy(1, true);
        p.groups[0] = g.group.clone();
        let v = check_add_group(add(&g, Some(&p)));
        assert_eq!(v.decide(false), Decision::NothingToDo);
        assert!(!v.decide(true).writes());
    }

    #[test]
    fn r3_warns_when_the_rollout_group_is_a_migration_group() {
        let g = group("MFA Pilot", 3, 0, 0, 0);
        let waves = [Wave::new("Pilot", "MFA Pilot", "MFA Pilot")];
        let mut input = add(&g, None);
        input.waves = &waves;
        let v = check_add_group(input);
        assert!(has(&v, Rule::R3, "migration group of Pilot"));
        assert_eq!(v.decide(false), Decision::Proceed, "R3 warns only");
    }

    #[test]
    fn r4_says_how_many_go_back_on_remove_and_disable() {
        let g = group("Group 0", 100, 0, 0, 5);
        let mut p = policy(1, true);
        p.groups[0] = g.group.clone();
        let v = check_remove_group(&g, Some(&p), &[], 10);
        assert!(has(&v, Rule::R4, "90 users go back to MFA Server"));
        assert!(has(&v, Rule::R4, "10 stay in Staged Rollout"));
        assert_eq!(v.decide(false), Decision::Proceed);
        assert_eq!(
            v.blast_line(false),
            "removes Group 0 → 90 users back to MFA Server (on-premises MFA)"
        );
        assert_eq!(
            v.confirmation,
            Confirmation::Tier2 {
                type_text: "Group 0".into()
            }
        );
        let other = group("Other", 1, 0, 0, 0);
        assert_eq!(
            check_remove_group(&other, Some(&p), &[], 0).decide(false),
            Decision::NothingToDo
        );

        let domains = [DomainFacts {
            name: "contoso.com".into(),
            federated: true,
            federation_id: Some("f".into()),
            value: FederationValue::Set(MfaBehavior::RejectMfaByFederatedIdp),
            users: None,
        }];
        let v = check_disable(Some(&p), std::slice::from_ref(&g), &domains);
        assert!(has(&v, Rule::R4, "100 users in 1 group go back"));
        assert!(has(
            &v,
            Rule::R4,
            "contoso.com is at rejectMfaByFederatedIdp"
        ));
        assert_eq!(v.decide(false), Decision::Proceed);
        let off = policy(1, false);
        assert_eq!(
            check_disable(Some(&off), &[], &[]).decide(false),
            Decision::NothingToDo
        );
    }

    fn any_user() -> impl proptest::strategy::Strategy<Value = crate::rollout::UserFacts> {
        use proptest::prelude::*;
        (any::<bool>(), 0u8..4, any::<bool>()).prop_map(|(synced, m, usable)| {
            crate::rollout::UserFacts {
                id: "u".into(),
                upn: "u@contoso.com".into(),
                synced,
                migration: match m {
                    0 => crate::rollout::MigrationState::NotMigrated,
                    1 => crate::rollout::MigrationState::Failed,
                    2 => crate::rollout::MigrationState::Migrated,
                    _ => crate::rollout::MigrationState::Verified,
                },
                has_usable_method: usable,
            }
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 128, ..Default::default() })]

        /// For any members: the in-scope users split exactly into verified, usable only
        /// and neither; R1 blocks exactly when some are neither, and --force passes it;
        /// the blast radius counts what the tally counts; tallies add up.
        #[test]
        fn r1_blocks_exactly_the_unready_and_the_counts_add_up(
            a in proptest::collection::vec(any_user(), 0..60),
            b in proptest::collection::vec(any_user(), 0..60),
        ) {
            let members: Vec<Member> = a.iter().cloned().map(Member::User).collect();
            let info = GroupInfo { group: GroupRef::new("g", "G"), dynamic: false };
            let g = GroupReadiness::of(info, &members);
            let t = &g.tally;
            proptest::prop_assert_eq!(t.verified + t.usable_only + t.neither, t.in_scope);
            proptest::prop_assert_eq!(t.in_scope + t.cloud_only, a.len() as u64);
            proptest::prop_assert!(t.verified <= t.migrated);
            let v = check_add_group(add(&g, None));
            let blocked = matches!(v.decide(false), Decision::Blocked { .. });
            proptest::prop_assert_eq!(blocked, t.neither > 0);
            proptest::prop_assert!(v.decide(true).writes());
            proptest::prop_assert_eq!(v.blast.users, Some(t.in_scope));
            proptest::prop_assert_eq!(v.blast.neither, t.neither);

            let mut merged = Tally::of(&a);
            merged.merge(&Tally::of(&b));
            let all = Tally::of(a.iter().chain(&b));
            proptest::prop_assert_eq!(
                (merged.users, merged.in_scope, merged.verified, merged.usable_only, merged.neither),
                (all.users, all.in_scope, all.verified, all.usable_only, all.neither)
            );
        }
    }

    #[test]
    fn enabling_checks_r1_over_every_group() {
        let a = group("A", 10, 0, 0, 0);
        let b = group("B", 10, 0, 3, 0);
        let p = policy(2, false);
        let v = check_enable(Some(&p), &[a.clone(), b], Vec::new());
        assert!(matches!(v.decide(false), Decision::Blocked { .. }));
        assert!(v.decide(true).forced());
        assert!(
            v.blast_line(false)
                .starts_with("enables Staged Rollout for MFA → 23 users to Entra MFA: 20 verified")
        );
        let v = check_enable(Some(&p), &[a], Vec::new());
        assert_eq!(v.decide(false), Decision::Proceed);
        assert!(matches!(
            check_enable(None, &[], Vec::new()).decide(true),
            Decision::Refused { .. }
        ));
    }
}
