//! Tabs whose pane is not built yet (Checklist, Rollout, Federation, Dependencies), on the
//! pane contract like any other: each says plainly that it is not built, what it will
//! hold, and shows what already exists — the sign-in's capability for the tab's domain,
//! the dependencies the data file lists — never made-up data, and no key that does
//! nothing (the only keys are scrolling, when the text is longer than the screen).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::Env;
use crate::datafile::Known;
use crate::engine::Capability;
use crate::safe_text::terminal;
use crate::tui::action::{Action, Availability, Context};
use crate::tui::effect::Effects;
use crate::tui::pane::Pane;
use crate::tui::tab::Tab;
use crate::tui::widgets::virtual_table::Cursor;
use crate::tui::widgets::{thousands, wrap_line};

/// A tab's placeholder pane.
#[derive(Debug, Clone)]
pub struct Placeholder {
    tab: Tab,
    scroll: Cursor,
    lines: Vec<Line<'static>>,
}

fn capability_line(what: &str, c: Option<&Capability>, env: &Env<'_>) -> Line<'static> {
    let t = env.theme;
    match c {
        None => Line::styled(format!("{what}: not signed in yet."), t.dim()),
        Some(Capability::Available) => Line::from(vec![
            Span::raw(format!("{what}: ")),
            Span::styled("possible with this sign-in.", t.ok()),
        ]),
        Some(Capability::Unverified { note }) => Line::from(vec![
            Span::raw(format!("{what}: ")),
            Span::styled(format!("unverified — {}", terminal(note)), t.warn()),
        ]),
        Some(Capability::Unavailable { reason, fix }) => Line::from(vec![
            Span::raw(format!("{what}: ")),
            Span::styled(
                format!("not possible — {}. {}", terminal(reason), terminal(fix)),
                t.warn(),
            ),
        ]),
    }
}

impl Placeholder {
    pub fn new(tab: Tab) -> Placeholder {
        Placeholder {
            tab,
            scroll: Cursor::default(),
            lines: Vec::new(),
        }
    }

    /// What the tab will hold, and what exists now.
    fn text(&self, env: &Env<'_>) -> Vec<Line<'static>> {
        let t = env.theme;
        let caps = env.session.map(|s| &s.capabilities);
        let mut l = vec![Line::styled("Not built yet.", t.warn()), Line::raw("")];
        let bullets = |l: &mut Vec<Line<'static>>, items: &[&str]| {
            for i in items {
                l.push(Line::raw(format!("• {i}")));
            }
        };
        match self.tab {
            Tab::Checklist => {
                l.push(Line::styled("This tab will hold:", t.heading()));
                bullets(
                    &mut l,
                    &[
                        "the migration guide's phases as steps, each with its automated check and what it found;",
                        "preparations (dependencies, data file backed up, Graph access, methods enabled in Entra), migrations per wave, Staged Rollout, and the final switch of federation;",
                        "manual steps ticked with a note, and the rollback plan.",
                    ],
                );
                l.push(Line::raw(""));
                l.push(Line::styled("What exists now:", t.heading()));
                bullets(
                    &mut l,
                    &[
                        "tab 2 Users: dry runs, migrations, automatic sync, the \"must re-register the app\" export;",
                        "tab 6 Journal: every write and every tenant change recorded so far;",
                        "tab 5 Dependencies: what the data file lists as still using MFA Server.",
                    ],
                );
            }
            Tab::Rollout => {
                l.push(Line::styled("This tab will hold:", t.heading()));
                bullets(
                    &mut l,
                    &[
                        "Staged Rollout for MFA: the policy's groups and each member's readiness (migrated and verified, or holding a usable Entra method);",
                        "adding and removing groups and turning the policy on and off, each refused or confirmed by its interlocks (R1–R4).",
                    ],
                );
                l.push(Line::raw(""));
                l.push(Line::styled("What exists now:", t.heading()));
                l.push(capability_line(
                    "Managing Staged Rollout",
                    caps.map(|c| &c.manage_rollout),
                    env,
                ));
            }
            Tab::Federation => {
                l.push(Line::styled("This tab will hold:", t.heading()));
                bullets(
                    &mut l,
                    &[
                        "each federated domain's federatedIdpMfaBehavior, with a preflight (F1);",
                        "the cutover to rejectMfaByFederatedIdp and its rollback, tenant-wide (tier 3: the domain name typed).",
                    ],
                );
                l.push(Line::raw(""));
                l.push(Line::styled("What exists now:", t.heading()));
                l.push(capability_line(
                    "Changing the federation setting",
                    caps.map(|c| &c.manage_federation),
                    env,
                ));
            }
            Tab::Dependencies => {
                l.push(Line::styled("This tab will hold:", t.heading()));
                bullets(
                    &mut l,
                    &[
                        "everything that still authenticates through MFA Server (from the data file, AD FS and NPS exports), with the recommended path, and the admin's decision and status.",
                    ],
                );
                l.push(Line::raw(""));
                l.push(Line::styled(
                    "What the data file lists now (auth_services):",
                    t.heading(),
                ));
                match env.data.map(|d| &d.services) {
                    None => l.push(Line::styled("The data file is not read yet.", t.dim())),
                    Some(Known::Unknown) => l.push(Line::raw(
                        "The input does not carry the services (an Export Users CSV or a seed \
                         file): a snapshot or the pfdata file does.",
                    )),
                    Some(Known::Known(services)) if services.is_empty() => {
                        l.push(Line::raw("None."))
                    }
                    Some(Known::Known(services)) => {
                        l.push(Line::raw(format!(
                            "{} services:",
                            thousands(services.len())
                        )));
                        for s in services {
                            l.push(Line::from(vec![
                                Span::styled(format!("  {:<24}", format!("{:?}", s.kind)), t.key()),
                                Span::raw(terminal(&s.name).into_owned()),
                                Span::styled(
                                    format!(
                                        "{}{}",
                                        s.address
                                            .as_deref()
                                            .map(|a| format!(" · {}", terminal(a)))
                                            .unwrap_or_default(),
                                        if s.enabled { "" } else { " · disabled" }
                                    ),
                                    t.dim(),
                                ),
                            ]));
                        }
                    }
                }
                l.push(Line::raw(""));
                l.push(Line::styled(
                    "`mfa-cutover inventory` classifies these with AD FS and NPS exports.",
                    t.dim(),
                ));
            }
            Tab::Users | Tab::Journal => {}
        }
        l
    }

    fn scrollable(&self) -> bool {
        self.lines.len() > self.scroll.height
    }
}

impl Pane for Placeholder {
    fn tab(&self) -> Tab {
        self.tab
    }

    fn stack(&self) -> &'static [Context] {
        Context::Navigation.stack()
    }

    fn available(&self, action: Action, _env: &Env<'_>) -> Availability {
        use Action as A;
        match action {
            A::MoveUp | A::MoveDown | A::PageUp | A::PageDown | A::Top | A::Bottom => {
                if self.scrollable() {
                    Availability::Available
                } else {
                    Availability::no("everything is on screen")
                }
            }
            _ => Availability::no(format!("the {} tab is not built yet", self.tab.title())),
        }
    }

    fn dispatch(&mut self, action: Action, _env: &Env<'_>) -> Effects {
        use Action as A;
        let max = self.lines.len().saturating_sub(self.scroll.height.max(1));
        let h = self.scroll.height.max(1);
        let off = self.scroll.offset;
        self.scroll.offset = match action {
            A::MoveUp => off.saturating_sub(1),
            A::MoveDown => off + 1,
            A::PageUp => off.saturating_sub(h),
            A::PageDown => off + h,
            A::Top => 0,
            A::Bottom => max,
            _ => off,
        }
        .min(max);
        Effects::none()
    }

    fn prepare(&mut self, area: Rect, env: &Env<'_>) {
        let inner = Block::default().borders(Borders::TOP).inner(area);
        let width = inner.width.max(1) as usize;
        self.lines = self
            .text(env)
            .iter()
            .flat_map(|l| wrap_line(l, width, 2))
            .collect();
        self.scroll.height = inner.height as usize;
        let max = self.lines.len().saturating_sub(self.scroll.height.max(1));
        self.scroll.offset = self.scroll.offset.min(max);
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, env: &Env<'_>, _focused: bool) {
        let t = env.theme;
        let block = Block::default()
            .borders(Borders::TOP)
            .border_style(t.border())
            .title(Span::styled(
                format!(" {} {} ", self.tab.number(), self.tab.title()),
                t.title(),
            ));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        frame.render_widget(
            Paragraph::new(self.lines.clone()).scroll((self.scroll.offset as u16, 0)),
            inner,
        );
    }

    fn hints(&self) -> Vec<Action> {
        vec![
            Action::TabUsers,
            Action::NextTab,
            Action::PageDown,
            Action::CommandMode,
            Action::Help,
            Action::Quit,
        ]
    }

    fn menu(&self) -> Vec<Action> {
        Vec::new()
    }
}
