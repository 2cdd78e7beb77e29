//! The one confirmation-tier rule of ux.md, shared by the TUI's dialogs and the headless
//! commands' questions: from a change's blast radius (the users it will *write*, not the
//! users it targets), whether the tenant is marked production, whether an interlock is
//! forced, and whether the change is tenant-wide, to the tier and what the admin types.
//!
//! | tier | when | asks |
//! |---|---|---|
//! | 0 | nothing is written | nothing |
//! | 1 | a small write | a summary, focus on Cancel (TUI) / `y/N` (CLI) |
//! | 2 | more than [`LARGE`] users written, a production tenant, or forced | the count typed |
//! | 3 | tenant-wide (federation cutover or rollback) | the domain name typed |
//!
//! Pure: no I/O, no terminal. An action may carry a floor of its own (an automatic sync
//! writes again every cycle, so it never asks less than tier 1): [`Ask::at_least`].

use serde::Serialize;

/// Above this many users written, the admin types the count (tier 2).
pub const LARGE: usize = 50;

/// Confirmation tiers, lowest first: a higher tier may be asked at run time, never a
/// lower one than the rule gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Tier {
    /// Read, filter, export, local notes: no dialog.
    Zero,
    /// Small reversible tenant write: a summary, focus on Cancel.
    One,
    /// Broad or overriding: type the count or the group name.
    Two,
    /// Tenant-wide: type the domain name.
    Three,
}

impl Tier {
    pub fn number(self) -> u8 {
        match self {
            Tier::Zero => 0,
            Tier::One => 1,
            Tier::Two => 2,
            Tier::Three => 3,
        }
    }
}

/// What a change would do, as far as the tier is concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Blast {
    /// Users the change writes (from a dry run's plans: users whose plan has writes).
    pub users_written: usize,
    /// `production = true` in the config.
    pub production: bool,
    /// An interlock is overridden (`--force`).
    pub forced: bool,
    /// The change is tenant-wide (a domain's federation setting): the domain's name.
    pub tenant_wide: Option<String>,
    /// For a tier 2 that is not about a count (a rollout group): the name to type
    /// instead of the count.
    pub name: Option<String>,
}

/// The confirmation to ask: the tier and, from tier 2, the text to type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ask {
    pub tier: Tier,
    pub type_text: Option<String>,
}

/// The rule.
pub fn ask(b: &Blast) -> Ask {
    if let Some(domain) = &b.tenant_wide {
        return Ask {
            tier: Tier::Three,
            type_text: Some(domain.clone()),
        };
    }
    let tier = if b.forced || (b.production && b.users_written > 0) || b.users_written > LARGE {
        Tier::Two
    } else if b.users_written > 0 {
        Tier::One
    } else {
        Tier::Zero
    };
    Ask {
        tier,
        type_text: (tier == Tier::Two).then(|| {
            b.name
                .clone()
                .unwrap_or_else(|| b.users_written.to_string())
        }),
    }
}

impl Ask {
    /// Never below `floor` (the action's own tier): raised to it with nothing to type
    /// below tier 2, the count at tier 2.
    pub fn at_least(self, floor: Tier, users_written: usize) -> Ask {
        if self.tier >= floor {
            return self;
        }
        Ask {
            tier: floor,
            type_text: match floor {
                Tier::Two => Some(users_written.to_string()),
                _ => None,
            },
        }
    }
}

impl Ask {
    /// The higher of two asks (this one when they are equal): a change's own tier and
    /// the rule's for its blast radius, so neither can lower the other.
    pub fn higher(self, other: Ask) -> Ask {
        if other.tier > self.tier { other } else { self }
    }
}

/// What a Staged Rollout or federation change asks, in both front ends: the verdict's own
/// tier, raised by the rule for the users it moves (tier 2 above [`LARGE`] users, in
/// production, or forced) — for a group, its name is what is typed.
pub fn for_change(
    verdict: &crate::rollout::Verdict,
    decision: &crate::rollout::Decision,
    confirmation: &crate::rollout::Confirmation,
    production: bool,
) -> Ask {
    use crate::rollout::{Change, Direction};
    let own = Ask::from(confirmation);
    let moved = match verdict.blast.direction {
        Direction::Nowhere => 0,
        Direction::ToEntra | Direction::ToMfaServer => verdict.blast.users.unwrap_or(0),
    };
    let name = match &verdict.change {
        Change::AddGroup { group, .. } | Change::RemoveGroup { group } => Some(group.name.clone()),
        _ => None,
    };
    let rule = ask(&Blast {
        users_written: usize::try_from(moved).unwrap_or(usize::MAX),
        production,
        forced: decision.forced(),
        tenant_wide: None,
        name,
    });
    own.higher(rule)
}

/// The rollout and federation verdicts' confirmation in this rule's terms.
impl From<&crate::rollout::Confirmation> for Ask {
    fn from(c: &crate::rollout::Confirmation) -> Ask {
        use crate::rollout::Confirmation as C;
        match c {
            C::Tier1 => Ask {
                tier: Tier::One,
                type_text: None,
            },
            C::Tier2 { type_text } => Ask {
                tier: Tier::Two,
                type_text: Some(type_text.clone()),
            },
            C::Tier3 { type_text } => Ask {
                tier: Tier::Three,
                type_text: Some(type_text.clone()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(n: usize) -> Blast {
        Blast {
            users_written: n,
            ..Default::default()
        }
    }

    #[test]
    fn the_tier_follows_the_users_written() {
        assert_eq!(ask(&written(0)).tier, Tier::Zero);
        assert_eq!(ask(&written(1)).tier, Tier::One);
        assert_eq!(ask(&written(LARGE)).tier, Tier::One);
        let large = ask(&written(LARGE + 1));
        assert_eq!(large.tier, Tier::Two);
        assert_eq!(large.type_text.as_deref(), Some("51"));
    }

    #[test]
    fn production_and_force_raise_a_small_write_to_tier_2() {
        let p = ask(&Blast {
            users_written: 3,
            production: true,
            ..Default::default()
        });
        assert_eq!((p.tier, p.type_text.as_deref()), (Tier::Two, Some("3")));
        // Nothing written is nothing to confirm, production or not.
        let none = ask(&Blast {
            production: true,
            ..Default::default()
        });
        assert_eq!(none.tier, Tier::Zero);
        let forced = ask(&Blast {
            forced: true,
            name: Some("Wave 1".into()),
            ..Default::default()
        });
        assert_eq!(
            (forced.tier, forced.type_text.as_deref()),
            (Tier::Two, Some("Wave 1"))
        );
    }

    #[test]
    fn tenant_wide_is_tier_3_with_the_domain_typed() {
        let a = ask(&Blast {
            tenant_wide: Some("contoso.com".into()),
            ..Default::default()
        });
        assert_eq!(
            (a.tier, a.type_text.as_deref()),
            (Tier::Three, Some("contoso.com"))
        );
    }

    #[test]
    fn the_higher_ask_wins() {
        let one = Ask {
            tier: Tier::One,
            type_text: None,
        };
        let two = ask(&Blast {
            users_written: 80,
            name: Some("MFA Rollout Wave 2".into()),
            ..Default::default()
        });
        assert_eq!(one.clone().higher(two.clone()), two);
        assert_eq!(two.clone().higher(one), two);
    }

    #[test]
    fn an_actions_floor_raises_never_lowers() {
        assert_eq!(ask(&written(0)).at_least(Tier::One, 0).tier, Tier::One);
        let two = ask(&written(80)).at_least(Tier::One, 80);
        assert_eq!(
            (two.tier, two.type_text.as_deref()),
            (Tier::Two, Some("80"))
        );
    }
}
