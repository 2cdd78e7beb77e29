//! Tabs whose pane is not built yet. Each says plainly that it is not built and what it
//! will hold (from the specs) — never made-up data.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::Env;

/// The numbered tabs of ux.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Checklist,
    Users,
    Rollout,
    Federation,
    Dependencies,
    Journal,
}

impl Tab {
    pub const ALL: [Tab; 6] = [
        Tab::Checklist,
        Tab::Users,
        Tab::Rollout,
        Tab::Federation,
        Tab::Dependencies,
        Tab::Journal,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Checklist => "Checklist",
            Tab::Users => "Users",
            Tab::Rollout => "Rollout",
            Tab::Federation => "Federation",
            Tab::Dependencies => "Dependencies",
            Tab::Journal => "Journal",
        }
    }

    pub fn number(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0) + 1
    }

    pub fn next(self) -> Tab {
        Tab::ALL[self.number() % Tab::ALL.len()]
    }

    pub fn prev(self) -> Tab {
        Tab::ALL[(self.number() + Tab::ALL.len() - 2) % Tab::ALL.len()]
    }

    /// What the tab will hold, for tabs not built yet: the spec it follows, and lines.
    fn plan(self) -> (&'static str, &'static [&'static str]) {
        match self {
            Tab::Users => ("", &[]),
            Tab::Checklist => (
                "checklist.md",
                &[
                    "• The migration guide's phases as steps, each with its automated check and its live result.",
                    "• Preparations: dependencies identified, data file backed up (SHA-256, size, time), MFA Server update installed, Graph access set up, methods enabled in Entra.",
                    "• Migrations: user data migrated per wave, pilot validated, Staged Rollout of migrated groups, users educated (the \"must re-register the app\" export), migration complete.",
                    "• Finalize: dependencies moved, applications off AD FS, cloud authentication, federation at rejectMfaByFederatedIdp, user portal disabled, MFA Server decommissioned.",
                    "• t ticks a manual step (with a note); r shows the rollback plan, which stays on screen.",
                ],
            ),
            Tab::Rollout => (
                "rollout-federation.md",
                &[
                    "• Staged Rollout for MFA: the policy's groups (at most 10) and each member's readiness: migrated and verified, or holding a usable Entra method.",
                    "• d member readiness · A add a group (R1: every member ready, or a typed confirmation naming the count) · D remove a group (R4: how many go back to MFA Server) · T policy on/off.",
                    "• Refuses what Entra would refuse (an 11th group, dynamic groups, groups with contacts); warns for nested groups, groups over 50,000 users, cloud-only members.",
                    "• Changes can take up to 24 hours to apply; managing the policy needs a delegated sign-in.",
                ],
            ),
            Tab::Federation => (
                "rollout-federation.md",
                &[
                    "• Each federated domain's federatedIdpMfaBehavior.",
                    "• d preflight (F1: users in scope not migrated, dependencies not done, methods the policy leaves disabled).",
                    "• C cutover to rejectMfaByFederatedIdp and B rollback (F2: enforceMfaByFederatedIdp and Staged Rollout off): tier 3, type the domain name.",
                    "• A change can take up to 24 hours to apply.",
                ],
            ),
            Tab::Dependencies => (
                "inventory.md",
                &[
                    "• Everything that still authenticates through MFA Server: RADIUS clients, LDAP, the AD FS adapter and relying parties, IIS and Windows authentication, the user portal, the mobile app web service, the web service SDK, company settings.",
                    "• Read from the data file, AD FS exports and NPS exports; each with the recommended path, the reason, flags, and the admin's decision and status. s sets them.",
                ],
            ),
            Tab::Journal => (
                "migration-rules.md C5, rollout-federation.md A1",
                &[
                    "• The write journal: every write recorded before it is sent and after it returns.",
                    "• The audit log of every tenant change: time, who, what, before and after.",
                ],
            ),
        }
    }
}

pub fn render(frame: &mut Frame<'_>, area: Rect, tab: Tab, env: &Env<'_>) {
    let t = env.theme;
    let (spec, lines) = tab.plan();
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(t.border())
        .title(Span::styled(
            format!(" {} {} ", tab.number(), tab.title()),
            t.title(),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut out = vec![
        Line::styled("Not built yet.", t.warn()),
        Line::styled(format!("This tab will hold (spec: {spec}):"), t.dim()),
        Line::raw(""),
    ];
    out.extend(lines.iter().map(|l| Line::raw(*l)));
    frame.render_widget(Paragraph::new(out).wrap(Wrap { trim: false }), inner);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabs_cycle() {
        assert_eq!(Tab::Users.number(), 2);
        assert_eq!(Tab::Journal.next(), Tab::Checklist);
        assert_eq!(Tab::Checklist.prev(), Tab::Journal);
        assert_eq!(Tab::Users.prev(), Tab::Checklist);
    }
}
