//! The Federation tab (4): every domain with its authentication type and
//! `federatedIdpMfaBehavior` (unset shown as the default it means), the value this tool
//! last wrote, drift and the propagation clock; under the list, the selected domain in
//! full. Setting a value (accept, enforce, reject: F1's what-if first) and the rollback
//! (F2, one action: its exact writes and the users affected shown) both confirm at tier 3
//! with the domain name typed.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row as TableRow};

use super::flow::{Ask, Flow};
use super::text::finding_lines;
use super::{Shared, blocked_by};
use crate::engine::{
    Answer, Command, DomainStatus, Event, FederationCommand, FederationStatus, Reply, RequestId,
};
use crate::rollout::{FederationValue, MfaBehavior, Rule};
use crate::safe_text::terminal;
use crate::tui::action::{Action, Availability, Context};
use crate::tui::effect::{Effect, Effects, TextEdit};
use crate::tui::pane::{Env, Pane};
use crate::tui::tab::Tab;
use crate::tui::widgets::virtual_table::{self, Cursor, Window};
use crate::tui::widgets::{thousands, truncate, wrap_line};

const CHOOSE_FIELD: &str = "federation-behavior";

#[derive(Debug, Clone, Default)]
enum Load {
    #[default]
    NotAsked,
    Ready(Box<FederationStatus>),
    Failed(String),
}

#[derive(Default)]
pub struct FederationPane {
    load: Load,
    reading: Option<RequestId>,
    cursor: Cursor,
    flow: Flow,
    shared: Shared,
    /// The domain a value is being chosen for.
    choosing: Option<String>,
    top: Vec<Line<'static>>,
    table: Vec<TableRow<'static>>,
    widths: Vec<u16>,
    detail: Vec<Line<'static>>,
}

/// `unset → acceptIfMfaDoneByFederatedIdp`: the value as read and what it means.
fn value_text(v: &FederationValue) -> String {
    match v {
        FederationValue::Unset => "unset (= acceptIfMfaDoneByFederatedIdp)".into(),
        FederationValue::Set(b) => b.graph_name().into(),
        FederationValue::Unknown(s) => format!("{} (unknown to this build)", terminal(s)),
    }
}

impl FederationPane {
    pub fn new() -> FederationPane {
        FederationPane::default()
    }

    pub fn status(&self) -> Option<&FederationStatus> {
        match &self.load {
            Load::Ready(s) => Some(s),
            _ => None,
        }
    }

    fn read(&mut self, env: &Env<'_>) -> Effects {
        let mut fx = Effects::none();
        if self.reading.is_none() {
            self.reading = Some(fx.send(env, Command::Federation(FederationCommand::Status)));
        }
        fx
    }

    fn set(&mut self, s: FederationStatus) {
        self.cursor.set_len(s.domains.len());
        // Start on the first federated domain: the one there is something to do with.
        if matches!(self.load, Load::NotAsked)
            && let Some(i) = s.domains.iter().position(|d| d.domain.federated)
        {
            self.cursor.select(i);
        }
        self.load = Load::Ready(Box::new(s));
    }

    fn selected(&self) -> Option<&DomainStatus> {
        self.status()?.domains.get(self.cursor.selected)
    }

    fn can_change(&self, env: &Env<'_>) -> Result<&FederationStatus, String> {
        if let Some(why) = blocked_by(env, Context::Federation, |c| &c.manage_federation) {
            return Err(why);
        }
        if let Some(busy) = self.flow.busy() {
            return Err(format!("{busy}: wait for its answer"));
        }
        self.status()
            .ok_or_else(|| "the domains are not read yet (ctrl+r)".to_string())
    }

    fn top_lines(&self, env: &Env<'_>) -> Vec<Line<'static>> {
        let t = env.theme;
        let mut l = Vec::new();
        if let Some(why) = blocked_by(env, Context::Federation, |c| &c.manage_federation) {
            l.push(Line::from(vec![
                Span::styled("✗ ", t.error()),
                Span::styled(
                    format!(
                        "The federation setting cannot be changed: {}",
                        terminal(&why)
                    ),
                    t.warn(),
                ),
            ]));
        }
        if let Some(busy) = self.flow.busy() {
            l.push(Line::styled(format!("… {busy}"), t.accent()));
        }
        match &self.load {
            Load::NotAsked if self.reading.is_some() => l.push(Line::styled(
                "Reading the domains from the tenant…",
                t.dim(),
            )),
            Load::NotAsked => l.push(Line::styled(
                format!(
                    "Not read yet: {} reads the domains.",
                    env.key(Context::Federation, Action::Refresh)
                ),
                t.dim(),
            )),
            Load::Failed(e) => l.push(Line::styled(
                format!("The domains could not be read: {}", terminal(e)),
                t.error(),
            )),
            Load::Ready(s) => {
                let federated = s.domains.iter().filter(|d| d.domain.federated).count();
                let mut head = vec![Span::styled(
                    format!(
                        "{} domains, {} federated: federatedIdpMfaBehavior decides where their \
                         users do MFA",
                        s.domains.len(),
                        federated
                    ),
                    t.heading(),
                )];
                if self.reading.is_some() {
                    head.push(Span::styled("  (reading…)", t.dim()));
                }
                l.push(Line::from(head));
                for f in &s.findings {
                    l.extend(finding_lines(f, t));
                }
            }
        }
        l
    }

    fn widths(width: u16) -> Vec<u16> {
        // DOMAIN, AUTH, VALUE, TOOL WROTE, CHANGED
        let value = 42u16;
        if width >= 120 {
            let rest = width.saturating_sub(10 + value + 5);
            let domain = (rest / 3).max(20);
            let wrote = (rest.saturating_sub(domain) / 2).max(12);
            vec![
                domain,
                10,
                value,
                wrote,
                rest.saturating_sub(domain + wrote),
            ]
        } else {
            let domain = width.saturating_sub(10 + value + 3).max(12);
            vec![domain, 10, value.min(width.saturating_sub(domain + 12))]
        }
    }

    fn table_row(d: &DomainStatus, widths: &[u16], env: &Env<'_>) -> TableRow<'static> {
        let t = env.theme;
        let cut = |s: &str, i: usize| truncate(s, *widths.get(i).unwrap_or(&8) as usize);
        let mut cells = vec![Cell::from(cut(&terminal(&d.domain.name), 0))];
        if d.domain.federated {
            cells.push(Cell::from("federated"));
            let style = if d.drift.is_some() {
                t.warn()
            } else {
                t.base()
            };
            let mark = if d.drift.is_some() { "! " } else { "" };
            cells.push(Cell::from(Span::styled(
                cut(&format!("{mark}{}", value_text(&d.domain.value)), 2),
                style,
            )));
        } else {
            cells.push(Cell::from(Span::styled("managed", t.dim())));
            cells.push(Cell::from(Span::styled(
                "— (no federation setting)",
                t.dim(),
            )));
        }
        if widths.len() > 3 {
            cells.push(Cell::from(cut(
                &d.last_written
                    .as_ref()
                    .map(|v| v.audit_text())
                    .unwrap_or_default(),
                3,
            )));
            // "changed 2 h ago" here; the whole clock is in the detail.
            cells.push(Cell::from(cut(
                &d.last_change
                    .as_ref()
                    .map(|c| {
                        let text = terminal(&c.text);
                        text.split(" · ").next().unwrap_or_default().to_string()
                    })
                    .unwrap_or_default(),
                4,
            )));
        }
        TableRow::new(cells)
    }

    fn detail_lines(&self, env: &Env<'_>) -> Vec<Line<'static>> {
        let t = env.theme;
        let Some(d) = self.selected() else {
            return Vec::new();
        };
        let name = terminal(&d.domain.name).into_owned();
        let mut l = vec![Line::styled(
            format!(
                "{name} — {}",
                if d.domain.federated {
                    "federated"
                } else {
                    "managed: Entra does its MFA; nothing to set"
                }
            ),
            t.heading(),
        )];
        if !d.domain.federated {
            return l;
        }
        l.push(Line::raw(format!(
            "federatedIdpMfaBehavior  {}",
            value_text(&d.domain.value)
        )));
        if let Some(b) = d.domain.value.effective() {
            l.push(Line::styled(format!("    {}", b.meaning()), t.dim()));
        }
        l.push(Line::raw(format!(
            "last written by this tool  {}",
            d.last_written
                .as_ref()
                .map_or("nothing yet".to_string(), |v| v.audit_text())
        )));
        if let Some(c) = &d.last_change {
            l.push(Line::from(vec![
                Span::styled(
                    if c.settled { "✓ " } else { "◷ " },
                    if c.settled { t.ok() } else { t.warn() },
                ),
                Span::raw(terminal(&c.text).into_owned()),
            ]));
        }
        if let Some(users) = d.domain.users {
            l.push(Line::raw(format!(
                "users whose MFA it decides  {}",
                thousands(users as usize)
            )));
        }
        match &d.drift {
            Some(f) => l.extend(finding_lines(f, t)),
            None if d.last_written.is_some() => l.push(Line::styled(
                "✓ no drift: the tenant says what this tool wrote",
                t.ok(),
            )),
            None => {}
        }
        l.push(Line::styled(
            format!(
                "{} sets a value (F1 what-if first) · {} rolls back (F2: enforce on every \
                 federated domain and Staged Rollout off) · {} preflight",
                env.key(Context::Federation, Action::SetFederation),
                env.key(Context::Federation, Action::Rollback),
                env.key(Context::Federation, Action::Preflight),
            ),
            t.dim(),
        ));
        l
    }
}

impl Pane for FederationPane {
    fn tab(&self) -> Tab {
        Tab::Federation
    }

    fn stack(&self) -> &'static [Context] {
        Context::Federation.stack()
    }

    fn available(&self, action: Action, env: &Env<'_>) -> Availability {
        use Action as A;
        if let Some(a) = self.shared.available(action, env) {
            return a;
        }
        match action {
            A::Refresh => {
                if self.reading.is_some() {
                    Availability::no("the domains are being read")
                } else {
                    Availability::Available
                }
            }
            A::MoveUp | A::MoveDown | A::PageUp | A::PageDown | A::Top | A::Bottom => {
                if self.status().is_none_or(|s| s.domains.is_empty()) {
                    Availability::no("no domain to move to")
                } else {
                    Availability::Available
                }
            }
            A::SetFederation => match self.can_change(env) {
                Err(why) => Availability::no(why),
                Ok(_) => match self.selected() {
                    None => Availability::no("no domain selected"),
                    Some(d) if !d.domain.federated => Availability::no(format!(
                        "{} is managed: it has no federation setting",
                        terminal(&d.domain.name)
                    )),
                    Some(_) => Availability::Available,
                },
            },
            A::Rollback => match self.can_change(env) {
                Err(why) => Availability::no(why),
                Ok(s) if !s.domains.iter().any(|d| d.domain.federated) => {
                    Availability::no("no federated domain: nothing to roll back")
                }
                Ok(_) => Availability::Available,
            },
            _ => Availability::no("not on the Federation tab"),
        }
    }

    fn dispatch(&mut self, action: Action, env: &Env<'_>) -> Effects {
        use Action as A;
        if let Some(fx) = self.shared.dispatch(action, env) {
            return fx;
        }
        match action {
            A::Refresh => return self.read(env),
            A::MoveUp => self.cursor.up(1),
            A::MoveDown => self.cursor.down(1),
            A::PageUp => self.cursor.page_up(),
            A::PageDown => self.cursor.page_down(),
            A::Top => self.cursor.top(),
            A::Bottom => self.cursor.bottom(),
            A::SetFederation => {
                let Some(d) = self.selected() else {
                    return Effects::none();
                };
                let domain = d.domain.name.clone();
                let current = d.domain.value.clone();
                self.choosing = Some(domain.clone());
                // The cutover value first: it is what this tab is for.
                let order = [
                    MfaBehavior::RejectMfaByFederatedIdp,
                    MfaBehavior::EnforceMfaByFederatedIdp,
                    MfaBehavior::AcceptIfMfaDoneByFederatedIdp,
                ];
                let items = order
                    .iter()
                    .map(|b| {
                        let now = if current == FederationValue::Set(*b) {
                            " (now)"
                        } else {
                            ""
                        };
                        (
                            format!("{:<8} {}{now} — {}", b.short(), b.graph_name(), b.meaning()),
                            b.short().to_string(),
                        )
                    })
                    .collect();
                return Effect::Choose {
                    field: CHOOSE_FIELD,
                    title: format!("federatedIdpMfaBehavior of {}", terminal(&domain)),
                    items,
                }
                .into();
            }
            A::Rollback => return self.flow.start(Ask::Rollback, env),
            _ => {}
        }
        Effects::none()
    }

    fn on_text(&mut self, field: &str, edit: TextEdit<'_>, env: &Env<'_>) -> Effects {
        if field != CHOOSE_FIELD {
            return Effects::none();
        }
        let Some(domain) = self.choosing.take() else {
            return Effects::none();
        };
        match edit {
            TextEdit::Submitted(v) => match MfaBehavior::parse(v) {
                Some(behavior) => self
                    .flow
                    .start(Ask::SetFederation { domain, behavior }, env),
                None => {
                    let mut fx = Effects::none();
                    fx.warn(format!(
                        "\"{}\": expected accept, enforce or reject",
                        terminal(v)
                    ));
                    fx
                }
            },
            TextEdit::Changed(_) => {
                self.choosing = Some(domain);
                Effects::none()
            }
            TextEdit::Cancelled => Effects::none(),
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
                Answer::Federation(s) => {
                    self.set((**s).clone());
                    Effects::none()
                }
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
                Ok(Answer::Federation(s)) => self.set((**s).clone()),
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
        self.widths = FederationPane::widths(width);
        let top_h = (self.top.len() as u16).min(inner.height / 2);
        let room = inner.height.saturating_sub(top_h + 2);
        let len = self.status().map_or(0, |s| s.domains.len());
        self.cursor.set_len(len);
        self.cursor
            .set_height((len as u16).min((room / 3).max(2)) as usize);
        let window = self.cursor.window();
        self.table = match self.status() {
            None => Vec::new(),
            Some(s) => s.domains[window]
                .iter()
                .map(|d| FederationPane::table_row(d, &self.widths, env))
                .collect(),
        };
        self.detail = self
            .detail_lines(env)
            .iter()
            .flat_map(|l| wrap_line(l, width as usize, 4))
            .collect();
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, env: &Env<'_>, focused: bool) {
        let t = env.theme;
        let block = Block::default()
            .borders(Borders::TOP)
            .border_style(t.border())
            .title(Span::styled(" 4 Federation ", t.title()));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let top_h = (self.top.len() as u16).min(inner.height / 2);
        let list_h = if self.table.is_empty() {
            0
        } else {
            self.cursor.height as u16 + 1
        };
        let [top, _, list, _, detail] = Layout::vertical([
            Constraint::Length(top_h),
            Constraint::Length(u16::from(list_h > 0)),
            Constraint::Length(list_h),
            Constraint::Length(u16::from(list_h > 0)),
            Constraint::Min(0),
        ])
        .areas(inner);
        frame.render_widget(Paragraph::new(self.top.clone()), top);
        if list_h > 0 {
            let mut header = vec!["DOMAIN", "AUTH", "federatedIdpMfaBehavior"];
            if self.widths.len() > 3 {
                header.extend(["TOOL WROTE", "CHANGED"]);
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
            Action::SetFederation,
            Action::Rollback,
            Action::Preflight,
            Action::SignIn,
            Action::Refresh,
            Action::Help,
            Action::Quit,
        ]
    }

    fn help(&self, env: &Env<'_>) -> Vec<Line<'static>> {
        let t = env.theme;
        let mut l = vec![Line::styled("Federation rules", t.heading())];
        for r in [Rule::F1, Rule::F2, Rule::Drift] {
            l.push(Line::from(vec![
                Span::styled(format!("  {:<6}", r.id()), t.key()),
                Span::raw(r.summary()),
            ]));
        }
        for b in MfaBehavior::ALL {
            l.push(Line::raw(format!("  {:<8}{}", b.short(), b.meaning())));
        }
        l.push(Line::raw(
            "  unset behaves as acceptIfMfaDoneByFederatedIdp; once set, the legacy \
             SupportsMfa is ignored, so roll back to enforce, never to unset.",
        ));
        l
    }
}
