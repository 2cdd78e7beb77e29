//! Rule ids of migration-rules.md. Every operation, skip and note in a plan names them.

use serde::{Deserialize, Serialize};

/// One rule of migration-rules.md; `Display` prints the id (`P1`, `D3`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Rule {
    T1,
    M1,
    M2,
    M3,
    M4,
    P1,
    P2,
    P3,
    P4,
    P5,
    P6,
    B1,
    B2,
    B3,
    B4,
    A1,
    A2,
    A3,
    H1,
    H2,
    H3,
    L1,
    D1,
    D2,
    D3,
    D4,
    C1,
    C2,
    C3,
    C4,
    C5,
}

impl Rule {
    /// Every rule, in the order migration-rules.md gives them.
    pub const ALL: [Rule; 31] = [
        Rule::T1,
        Rule::M1,
        Rule::M2,
        Rule::M3,
        Rule::M4,
        Rule::P1,
        Rule::P2,
        Rule::P3,
        Rule::P4,
        Rule::P5,
        Rule::P6,
        Rule::B1,
        Rule::B2,
        Rule::B3,
        Rule::B4,
        Rule::A1,
        Rule::A2,
        Rule::A3,
        Rule::H1,
        Rule::H2,
        Rule::H3,
        Rule::L1,
        Rule::D1,
        Rule::D2,
        Rule::D3,
        Rule::D4,
        Rule::C1,
        Rule::C2,
        Rule::C3,
        Rule::C4,
        Rule::C5,
    ];

    /// The id as migration-rules.md spells it.
    pub fn id(self) -> &'static str {
        match self {
            Rule::T1 => "T1",
            Rule::M1 => "M1",
            Rule::M2 => "M2",
            Rule::M3 => "M3",
            Rule::M4 => "M4",
            Rule::P1 => "P1",
            Rule::P2 => "P2",
            Rule::P3 => "P3",
            Rule::P4 => "P4",
            Rule::P5 => "P5",
            Rule::P6 => "P6",
            Rule::B1 => "B1",
            Rule::B2 => "B2",
            Rule::B3 => "B3",
            Rule::B4 => "B4",
            Rule::A1 => "A1",
            Rule::A2 => "A2",
            Rule::A3 => "A3",
            Rule::H1 => "H1",
            Rule::H2 => "H2",
            Rule::H3 => "H3",
            Rule::L1 => "L1",
            Rule::D1 => "D1",
            Rule::D2 => "D2",
            Rule::D3 => "D3",
            Rule::D4 => "D4",
            Rule::C1 => "C1",
            Rule::C2 => "C2",
            Rule::C3 => "C3",
            Rule::C4 => "C4",
            Rule::C5 => "C5",
        }
    }

    /// One line of what the rule says, for help, plan previews and reports.
    pub fn summary(self) -> &'static str {
        match self {
            Rule::T1 => "the migration targets one Entra group, nested members included",
            Rule::M1 => "matched by UPN",
            Rule::M2 => "matched by on-premises SID",
            Rule::M3 => "matched by the configured AD attribute",
            Rule::M4 => "disabled in MFA Server: skipped unless include_disabled",
            Rule::P1 => "phone without extension → mobile",
            Rule::P2 => "phone with extension → office, extension kept",
            Rule::P3 => "default is text message → extension dropped, mobile",
            Rule::P4 => "slot already holds the number → no write; different → update",
            Rule::P5 => "number cannot be normalised → phone skipped",
            Rule::P6 => {
                "the China cloud cannot update a phone: a different number is left (Graph limit)"
            }
            Rule::B1 => "backup phone without extension → alternateMobile",
            Rule::B2 => "backup phone with extension → office",
            Rule::B3 => "phone and backup phone both with extension → backup skipped",
            Rule::B4 => {
                "no mobile exists or is planned → backup phone becomes mobile (Graph limit)"
            }
            Rule::A1 => "devices with the same name: newest activation kept",
            Rule::A2 => "newest first, at most 5 devices (4 with a hardware token)",
            Rule::A3 => "Graph cannot create Authenticator registrations (Graph limit)",
            Rule::H1 => "token serial already assigned: present, or owned by another user",
            Rule::H2 => "create the token with its secret, then assign and activate",
            Rule::H3 => "hardware OATH exists in the global cloud only (Graph limit)",
            Rule::L1 => "at most five devices per user in Entra",
            Rule::D1 => "MFA Server default → Entra preferred method",
            Rule::D2 => "default_method setting: always / if-not-set / most-secure-if-not-set",
            Rule::D3 => "the default must be usable, else the most secure usable method",
            Rule::D4 => "the default is written after the methods it needs",
            Rule::C1 => "unchanged users are skipped on later runs",
            Rule::C2 => "planning right after applying yields no operations",
            Rule::C3 => "write order: mobile, alternateMobile/office, OATH tokens, default",
            Rule::C4 => "read back and compare with the expected state",
            Rule::C5 => "every write journaled before and after; unknown outcomes read back",
        }
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::Rule;

    #[test]
    fn all_lists_every_rule_once_in_declaration_order() {
        assert_eq!(Rule::ALL.len(), Rule::C5 as usize + 1);
        for (i, r) in Rule::ALL.iter().enumerate() {
            assert_eq!(*r as usize, i, "{r} out of place");
        }
    }
}
