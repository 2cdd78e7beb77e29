//! The Rollout tab (3): Staged Rollout for MFA wave by wave. At the top the policy (on or
//! off, its groups of the ten Entra takes), the propagation clock of the last change,
//! drift and other findings, and the next suggested step; then the waves from the config
//! with the policy's other groups, each with its readiness; under them the selected
//! row's gauges (members, migrated, verified, usable method, neither, cloud-only, nested
//! out of scope, in the policy). Adding the selected wave's rollout group, removing a
//! group and turning the policy on or off each go through the what-if first
//! (`flow.rs`). Everything shown comes from the engine's `RolloutStatus`, whoever asked
//! for it (`Event::Cutover`).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row as TableRow};

use super::flow::{Ask, Flow};
use super::text::{bar, finding_lines, gauge_line, tone_mark};
use super::{Shared, blocked_by};
use crate::engine::{Answer, Command, Event, Reply, RequestId, RolloutCommand, RolloutStatus};
use crate::rollout::{GroupReadiness, Rule, Tone, WaveReadiness, show};
use crate::safe_text::terminal;
use crate::tui::action::{Action, Availability, Context};
use crate::tui::effect::Effects;
use crate::tui::pane::{Env, Pane};
use crate::tui::tab::Tab;
use crate::tui::theme::Theme;
use crate::tui::widgets::virtual_table::{self, Cursor, Window};
use crate::tui::widgets::{thousands, truncate, wrap_line};

/// A row of the list: a configured wave, or a group of the policy no wave names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Row {
    Wave(usize),
    Group(usize),
}

/// What was read, and whether a read is out.
#[derive(Debug, Clone, Default)]
enum Load {
    /// Not asked yet (the tab was never shown).
    #[default]
    NotAsked,
    Ready(Box<RolloutStatus>),
    Failed(String),
}

#[derive(Default)]
pub struct RolloutPane {
    load: Load,
    reading: Option<RequestId>,
    rows: Vec<Row>,
    cursor: Cursor,
    flow: Flow,
    shared: Shared,
    // Prepared for drawing.
    top: Vec<Line<'static>>,
    table: Vec<TableRow<'static>>,
    widths: Vec<u16>,
    detail: Vec<Line<'static>>,
}

impl RolloutPane {
    pub fn new() -> RolloutPane {
        RolloutPane::default()
    }

    pub fn status(&self) -> Option<&RolloutStatus> {
        match &self.load {
            Load::Ready(s) => Some(s),
            _ => None,
        }
    }

    fn read(&mut self, env: &Env<'_>) -> Effects {
        let mut fx = Effects::none();
        if self.reading.is_none() {
            self.reading = Some(fx.send(env, Command::Rollout(RolloutCommand::Status)));
        }
        fx
    }

    fn set(&mut self, s: RolloutStatus) {
        let mut rows: Vec<Row> = (0..s.waves.len()).map(Row::Wave).collect();
        for (i, g) in s.groups.iter().enumerate() {
            let in_wave = s
                .waves
                .iter()
                .any(|w| w.rollout.as_ref().is_some_and(|r| r.group.is(&g.group)));
            if !in_wave {
                rows.push(Row::Group(i));
            }
        }
        self.rows = rows;
        self.cursor.set_len(self.rows.len());
        self.load = Load::Ready(Box::new(s));
    }

    fn selected(&self) -> Option<Row> {
        self.rows.get(self.cursor.selected).copied()
    }

    /// The selected row's group as the policy sees it: (group, in the policy).
    fn selected_group(&self) -> Option<(&GroupReadiness, bool)> {
        let s = self.status()?;
        match self.selected()? {
            Row::Wave(i) => {
                let w = s.waves.get(i)?;
                w.rollout.as_ref().map(|g| (g, w.in_policy))
            }
            Row::Group(i) => s.groups.get(i).map(|g| (g, true)),
        }
    }

    /// Whether a change can be asked now at all.
    fn can_change(&self, env: &Env<'_>) -> Result<&RolloutStatus, String> {
        if let Some(why) = blocked_by(env, Context::Rollout, |c| &c.manage_rollout) {
            return Err(why);
        }
        if let Some(busy) = self.flow.busy() {
            return Err(format!("{busy}: wait for its answer"));
        }
        self.status()
            .ok_or_else(|| "Staged Rollout is not read yet (ctrl+r)".to_string())
    }

    fn top_lines(&self, env: &Env<'_>) -> Vec<Line<'static>> {
        let t = env.theme;
        let mut l = Vec::new();
        let blocked = blocked_by(env, Context::Rollout, |c| &c.manage_rollout);
        if let Some(why) = &blocked {
            l.push(Line::from(vec![
                Span::styled("✗ ", t.error()),
                Span::styled(
                    format!("Staged Rollout cannot be changed: {}", terminal(why)),
                    t.warn(),
                ),
            ]));
        }
        if let Some(busy) = self.flow.busy() {
            l.push(Line::styled(format!("… {busy}"), t.accent()));
        }
        match &self.load {
            Load::NotAsked if self.reading.is_some() => l.push(Line::styled(
                "Reading Staged Rollout from the tenant…",
                t.dim(),
            )),
            Load::NotAsked => l.push(Line::styled(
                format!(
                    "Not read yet: {} reads the policy and every wave.",
                    env.key(Context::Rollout, Action::Refresh)
                ),
                t.dim(),
            )),
            Load::Failed(e) => {
                l.push(Line::styled(
                    format!("Staged Rollout could not be read: {}", terminal(e)),
                    t.error(),
                ));
            }
            Load::Ready(s) => {
                let mut policy = vec![Span::styled(
                    terminal(&show::policy_line(s.policy.as_ref())).into_owned(),
                    t.heading(),
                )];
                if self.reading.is_some() {
                    policy.push(Span::styled("  (reading…)", t.dim()));
                }
                l.push(Line::from(policy));
                if let Some(c) = &s.last_change {
                    l.push(Line::from(vec![
                        Span::styled(
                            if c.settled { "✓ " } else { "◷ " },
                            if c.settled { t.ok() } else { t.warn() },
                        ),
                        Span::raw(format!(
                            "last change {}: {}",
                            terminal(&c.action),
                            terminal(&c.text)
                        )),
                    ]));
                }
                // The sign-in's refusal is said once, by the line above, with its key.
                let access = crate::finding::RuleId::from(Rule::Access);
                for f in s
                    .findings
                    .iter()
                    .filter(|f| blocked.is_none() || f.rule != access)
                {
                    l.extend(finding_lines(f, t));
                }
                if let Some(n) = &s.next {
                    l.push(Line::from(vec![
                        Span::styled("Next: ", t.heading()),
                        Span::raw(terminal(n).into_owned()),
                    ]));
                }
            }
        }
        l
    }

    fn widths(width: u16) -> Vec<u16> {
        // WAVE, GROUP, POLICY, USERS, READY, NEITHER [, NEXT]
        let fixed = [8u16, 0, 6, 7, 13, 7];
        let gaps = if width >= 120 { 6 } else { 5 };
        let used: u16 = fixed.iter().sum::<u16>() + gaps;
        if width >= 120 {
            let rest = width.saturating_sub(used);
            let group = (rest / 3).max(16);
            vec![8, group, 6, 7, 13, 7, rest.saturating_sub(group)]
        } else {
            vec![8, width.saturating_sub(used).max(10), 6, 7, 13, 7]
        }
    }

    fn table_row(
        wave: Option<&WaveReadiness>,
        name: &str,
        g: Option<&GroupReadiness>,
        in_policy: bool,
        widths: &[u16],
        t: &Theme,
    ) -> TableRow<'static> {
        let cut = |s: &str, i: usize| truncate(&terminal(s), *widths.get(i).unwrap_or(&8) as usize);
        let mut cells = vec![
            Cell::from(cut(wave.map_or("—", |w| w.wave.name.as_str()), 0)),
            Cell::from(cut(name, 1)),
            if in_policy {
                Cell::from(Span::styled("✓ in", t.ok()))
            } else {
                Cell::from(Span::styled("· out", t.dim()))
            },
        ];
        match g {
            Some(g) => {
                let tl = &g.tally;
                let ready = crate::rollout::Gauge {
                    kind: crate::rollout::GaugeKind::UsableMethod,
                    value: tl.ready(),
                    of: tl.in_scope,
                    tone: Tone::Neutral,
                };
                let tone = if tl.neither == 0 {
                    Tone::Good
                } else {
                    Tone::Bad
                };
                cells.push(Cell::from(format!(
                    "{:>7}",
                    thousands(tl.in_scope as usize)
                )));
                cells.push(Cell::from(Span::styled(
                    format!("{} {:>3}%", bar(ready.ratio(), 8), ready.percent()),
                    super::text::tone_style(tone, t),
                )));
                cells.push(Cell::from(Span::styled(
                    format!("{}{:>6}", tone_mark(tone), thousands(tl.neither as usize)),
                    super::text::tone_style(tone, t),
                )));
            }
            None => {
                cells.push(Cell::from(""));
                cells.push(Cell::from(Span::styled("not found", t.error())));
                cells.push(Cell::from(""));
            }
        }
        if widths.len() > 6 {
            let next = wave.map(|w| w.suggestion()).unwrap_or_default();
            cells.push(Cell::from(cut(&next, 6)));
        }
        TableRow::new(cells)
    }

    fn detail_lines(&self, env: &Env<'_>, width: u16) -> Vec<Line<'static>> {
        let t = env.theme;
        let Some(s) = self.status() else {
            return Vec::new();
        };
        let mut l = Vec::new();
        let (group, in_policy, wave) = match self.selected() {
            Some(Row::Wave(i)) => match s.waves.get(i) {
                Some(w) => (w.rollout.as_ref(), w.in_policy, Some(w)),
                None => return l,
            },
            Some(Row::Group(i)) => (s.groups.get(i), true, None),
            None => {
                l.push(Line::styled(
                    "No wave is configured and the policy has no group: add [[waves]] to the \
                     config file (name, migrate, rollout).",
                    t.dim(),
                ));
                return l;
            }
        };
        if let Some(w) = wave {
            l.push(Line::from(vec![
                Span::styled("Next: ", t.heading()),
                Span::raw(terminal(&w.suggestion()).into_owned()),
            ]));
        }
        let Some(g) = group else {
            if let Some(w) = wave {
                l.push(Line::styled(
                    format!(
                        "The rollout group \"{}\" is not in the tenant.",
                        terminal(&w.wave.rollout)
                    ),
                    t.error(),
                ));
            }
            return l;
        };
        l.push(Line::styled(
            format!(
                "{}: direct members{}",
                terminal(&g.group.name),
                if g.dynamic { " · dynamic" } else { "" }
            ),
            t.heading(),
        ));
        let gauges = g.gauges(in_policy);
        if width >= 120 {
            // Two columns of labelled bars.
            let col = (width / 2) as usize;
            // Mark, label and figures take up to ~50 columns: the bar gets the rest.
            let bar_width = col.saturating_sub(50).clamp(6, 16);
            for pair in gauges.chunks(2) {
                let mut spans: Vec<Span<'static>> = Vec::new();
                for (k, gauge) in pair.iter().enumerate() {
                    let line = gauge_line(gauge, 21, bar_width, t);
                    let w: usize = line.spans.iter().map(Span::width).sum();
                    spans.extend(line.spans);
                    if k == 0 {
                        spans.push(Span::raw(" ".repeat(col.saturating_sub(w).max(1))));
                    }
                }
                l.push(Line::from(spans));
            }
        } else {
            // Two columns of short bars: the left one wider (it holds "nested (out of
            // scope)"), so eight gauges take four rows of a small screen.
            let left = (width as usize * 11 / 20).max(20);
            let right = (width as usize).saturating_sub(left).max(10);
            for pair in gauges.chunks(2) {
                let mut spans: Vec<Span<'static>> = Vec::new();
                for (k, gauge) in pair.iter().enumerate() {
                    let style = super::text::tone_style(gauge.tone, t);
                    let cell = if k == 0 { left } else { right };
                    let text = truncate(&gauge.to_string(), cell.saturating_sub(8));
                    let used = 2 + 4 + 1 + text.chars().count();
                    spans.push(Span::styled(format!("{} ", tone_mark(gauge.tone)), style));
                    spans.push(Span::styled(bar(gauge.ratio(), 4), style));
                    spans.push(Span::raw(format!(" {text}")));
                    if k == 0 {
                        spans.push(Span::raw(" ".repeat(cell.saturating_sub(used).max(1))));
                    }
                }
                l.push(Line::from(spans));
            }
        }
        if g.contacts > 0 || g.devices > 0 || g.other > 0 {
            l.push(Line::styled(
                format!(
                    "also {} contacts, {} devices, {} other objects",
                    g.contacts, g.devices, g.other
                ),
                t.warn(),
            ));
        }
        if let Some(m) = wave.and_then(|w| w.migrate.as_ref()) {
            let mt = &m.tally;
            l.push(Line::raw(format!(
                "Migration group {}: {} users, {} migrated, {} verified, {} neither",
                terminal(&m.group.name),
                thousands(mt.users as usize),
                thousands(mt.migrated as usize),
                thousands(mt.verified as usize),
                thousands(mt.neither as usize)
            )));
        }
        if g.tally.neither > 0 {
            l.push(Line::styled(
                format!("Not ready: {}", terminal(&g.tally.not_ready_names())),
                t.dim(),
            ));
        }
        l
    }
}

impl Pane for RolloutPane {
    fn tab(&self) -> Tab {
        Tab::Rollout
    }

    fn stack(&self) -> &'static [Context] {
        Context::Rollout.stack()
    }

    fn available(&self, action: Action, env: &Env<'_>) -> Availability {
        use Action as A;
        if let Some(a) = self.shared.available(action, env) {
            return a;
        }
        match action {
            A::Refresh => {
                if self.reading.is_some() {
                    Availability::no("Staged Rollout is being read")
                } else {
                    Availability::Available
                }
            }
            A::MoveUp | A::MoveDown | A::PageUp | A::PageDown | A::Top | A::Bottom => {
                if self.rows.is_empty() {
                    Availability::no("no wave or group to move to")
                } else {
                    Availability::Available
                }
            }
            A::AddGroup => match self.can_change(env) {
                Err(why) => Availability::no(why),
                Ok(s) => match self.selected() {
                    None => Availability::no("no wave is configured ([[waves]] in the config)"),
                    Some(Row::Group(_)) => Availability::no("this group is already in the policy"),
                    Some(Row::Wave(i)) => match s.waves.get(i) {
                        Some(w) if w.rollout.is_none() => Availability::no(format!(
                            "the rollout group \"{}\" is not in the tenant",
                            terminal(&w.wave.rollout)
                        )),
                        Some(w) if w.in_policy => Availability::no(format!(
                            "{} is already in the policy",
                            terminal(&w.wave.rollout)
                        )),
                        Some(_) => Availability::Available,
                        None => Availability::no("no wave selected"),
                    },
                },
            },
            A::RemoveGroup => match self.can_change(env) {
                Err(why) => Availability::no(why),
                Ok(_) => match self.selected_group() {
                    Some((_, true)) => Availability::Available,
                    Some((g, false)) => Availability::no(format!(
                        "{} is not in the policy",
                        terminal(&g.group.name)
                    )),
                    None => Availability::no("no group selected"),
                },
            },
            A::ToggleRollout => match self.can_change(env) {
                Err(why) => Availability::no(why),
                Ok(s) if s.policy.is_none() => {
                    Availability::no("there is no policy yet: adding a group creates it (on)")
                }
                Ok(_) => Availability::Available,
            },
            _ => Availability::no("not on the Rollout tab"),
        }
    }

    fn dispatch(&mut self, action: Action, env: &Env<'_>) -> Effects {
        use Action as A;
        if let Some(fx) = self.shared.dispatch(action, env) {
            return fx;
        }
        match action {
            A::Refresh => self.read(env),
            A::MoveUp => {
                self.cursor.up(1);
                Effects::none()
            }
            A::MoveDown => {
                self.cursor.down(1);
                Effects::none()
            }
            A::PageUp => {
                self.cursor.page_up();
                Effects::none()
            }
            A::PageDown => {
                self.cursor.page_down();
                Effects::none()
            }
            A::Top => {
                self.cursor.top();
                Effects::none()
            }
            A::Bottom => {
                self.cursor.bottom();
                Effects::none()
            }
            A::AddGroup | A::RemoveGroup => {
                let Some((g, _)) = self.selected_group() else {
                    return Effects::none();
                };
                let (id, name) = (g.group.id.clone(), g.group.name.clone());
                let ask = if action == A::AddGroup {
                    Ask::AddGroup { id, name }
                } else {
                    Ask::RemoveGroup { id, name }
                };
                self.flow.start(ask, env)
            }
            A::ToggleRollout => {
                let on = self
                    .status()
                    .and_then(|s| s.policy.as_ref())
                    .is_some_and(|p| p.enabled);
                self.flow
                    .start(if on { Ask::Disable } else { Ask::Enable }, env)
            }
            _ => Effects::none(),
        }
    }

    fn on_show(&mut self, env: &Env<'_>) -> Effects {
        match self.load {
            Load::NotAsked => self.read(env),
            _ => Effects::none(),
        }
    }

    fn on_event(&mut self, event: &Event, env: &Env<'_>) -> Effects {
        match event {
            Event::Cutover(answer) => match answer.as_ref() {
                Answer::Rollout(s) => {
                    self.set((**s).clone());
                    Effects::none()
                }
                // A change was written (here, on the Federation tab, by the checklist):
                // read again what it changed, if this tab was ever read.
                Answer::Change(r) if !r.applied.is_empty() => match self.load {
                    Load::NotAsked => Effects::none(),
                    _ => self.read(env),
                },
                _ => Effects::none(),
            },
            _ => Effects::none(),
        }
    }

    fn on_reply(&mut self, reply: &Reply, env: &Env<'_>) -> Effects {
        if let Some(h) = self.flow.on_reply(reply, env) {
            let mut fx = h.effects;
            if h.written {
                fx.extend(self.read(env));
            }
            return fx;
        }
        if let Some((mut fx, signed_in)) = self.shared.on_reply(reply, env) {
            if signed_in {
                fx.extend(self.read(env));
            }
            return fx;
        }
        if self.reading == Some(reply.request) {
            self.reading = None;
            match &reply.outcome {
                Ok(Answer::Rollout(s)) => self.set((**s).clone()),
                Ok(_) => {}
                Err(r) => self.load = Load::Failed(r.message.clone()),
            }
        }
        Effects::none()
    }

    fn prepare(&mut self, area: Rect, env: &Env<'_>) {
        let inner = Block::default().borders(Borders::TOP).inner(area);
        let width = inner.width.max(1);
        self.top = self
            .top_lines(env)
            .iter()
            .flat_map(|l| wrap_line(l, width as usize, 4))
            .collect();
        self.widths = RolloutPane::widths(width);
        let t = env.theme;
        let top_h = (self.top.len() as u16).min(inner.height / 2);
        let room = inner.height.saturating_sub(top_h + 1);
        // The list keeps at least its rows up to a third of the screen; the rest is the
        // selected row's gauges.
        let list_h = (self.rows.len() as u16).min((room / 3).max(2));
        self.cursor.set_height(list_h as usize);
        self.table = match self.status() {
            None => Vec::new(),
            Some(s) => self.rows[self.cursor.window()]
                .iter()
                .map(|r| match *r {
                    Row::Wave(i) => {
                        let w = &s.waves[i];
                        RolloutPane::table_row(
                            Some(w),
                            w.rollout
                                .as_ref()
                                .map_or(w.wave.rollout.as_str(), |g| g.group.name.as_str()),
                            w.rollout.as_ref(),
                            w.in_policy,
                            &self.widths,
                            t,
                        )
                    }
                    Row::Group(i) => {
                        let g = &s.groups[i];
                        RolloutPane::table_row(None, &g.group.name, Some(g), true, &self.widths, t)
                    }
                })
                .collect(),
        };
        self.detail = self
            .detail_lines(env, width)
            .iter()
            .flat_map(|l| wrap_line(l, width as usize, 4))
            .collect();
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, env: &Env<'_>, focused: bool) {
        let t = env.theme;
        let block = Block::default()
            .borders(Borders::TOP)
            .border_style(t.border())
            .title(Span::styled(" 3 Rollout ", t.title()));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let top_h = (self.top.len() as u16).min(inner.height / 2);
        let list_h = if self.table.is_empty() {
            0
        } else {
            self.cursor.height as u16 + 1
        };
        let [top, gap, list, gap2, detail] = Layout::vertical([
            Constraint::Length(top_h),
            Constraint::Length(u16::from(list_h > 0)),
            Constraint::Length(list_h),
            Constraint::Length(u16::from(list_h > 0)),
            Constraint::Min(0),
        ])
        .areas(inner);
        let _ = (gap, gap2);
        frame.render_widget(Paragraph::new(self.top.clone()), top);
        if list_h > 0 {
            let mut header = vec![
                "WAVE",
                "ROLLOUT GROUP",
                "POLICY",
                "  USERS",
                "READY",
                "NEITHER",
            ];
            if self.widths.len() > 6 {
                header.push("NEXT");
            }
            virtual_table::draw(
                frame,
                list,
                Window {
                    header: TableRow::new(header).style(t.heading()),
                    rows: self.table.clone(),
                    widths: &self.widths,
                },
                &self.cursor,
                t.selected(),
                focused,
            );
        }
        frame.render_widget(Paragraph::new(self.detail.clone()), detail);
    }

    fn hints(&self) -> Vec<Action> {
        vec![
            Action::AddGroup,
            Action::RemoveGroup,
            Action::ToggleRollout,
            Action::Preflight,
            Action::SignIn,
            Action::Refresh,
            Action::Help,
            Action::Quit,
        ]
    }

    fn help(&self, env: &Env<'_>) -> Vec<Line<'static>> {
        let t = env.theme;
        let mut l = vec![Line::styled("Staged Rollout rules", t.heading())];
        for r in [Rule::R1, Rule::R2, Rule::R3, Rule::R4, Rule::Drift] {
            l.push(Line::from(vec![
                Span::styled(format!("  {:<6}", r.id()), t.key()),
                Span::raw(r.summary()),
            ]));
        }
        l.push(Line::raw(
            "  READY: in scope (synced) users verified or holding a usable Entra method; \
             NEITHER: would be locked out or forced to register.",
        ));
        l
    }
}
