//! Drawing the whole screen: header, tabs, the body (tab or view), popups and footer.
//! A pure read of [`App`]: no awaits, no I/O, no engine calls, nothing mutated.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::action::{Action, Context};
use super::app::{App, InputLine, Level, Modal, PromptKind, QuitState, View};
use super::panes::later::{self, Tab};
use super::panes::settings::Field;
use super::panes::thousands;

/// Where everything goes on this screen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Areas {
    pub frame: Rect,
    pub header: Rect,
    pub tabs: Rect,
    pub body: Rect,
    pub footer: Rect,
}

/// The layout for the app's screen size (update and draw both use it).
pub fn areas(app: &App) -> Areas {
    let frame = app.size;
    let inner = if app.opts.production {
        Block::default().borders(Borders::ALL).inner(frame)
    } else {
        frame
    };
    let [header, tabs, body, footer] = Layout::vertical([
        Constraint::Length(u16::from(app.header)),
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(inner);
    Areas {
        frame,
        header,
        tabs,
        body,
        footer,
    }
}

/// Draw a frame of `app`.
pub fn render(app: &App, frame: &mut Frame<'_>) {
    let a = areas(app);
    let env = app.env();
    let t = env.theme;
    if app.opts.production {
        frame.render_widget(
            Block::default()
                .borders(Borders::ALL)
                .border_style(t.production())
                .title(Span::styled(" PRODUCTION ", t.production())),
            a.frame,
        );
    }
    if a.header.height > 0 {
        frame.render_widget(Paragraph::new(header_line(app, a.header.width)), a.header);
    }
    frame.render_widget(Paragraph::new(tabs_line(app)), a.tabs);
    let focused = app.modal.is_none() && app.input.is_none();
    match &app.view {
        Some(View::Detail(d)) => match app.users.rows.get(d.row) {
            Some(row) => d.render(frame, a.body, row, &env),
            None => frame.render_widget(Paragraph::new("That user is no longer loaded."), a.body),
        },
        Some(View::Plan) => app.plan.render(frame, a.body, &app.users, &env),
        Some(View::Activity) => app.activity.render(frame, a.body, &env, focused),
        Some(View::Settings) => app.settings_pane.render(
            frame,
            a.body,
            &app.settings,
            app.sync_interval,
            app.opts.config_file.as_deref(),
            &env,
        ),
        None => match app.tab {
            Tab::Users => app.users.render(frame, a.body, &env, focused),
            other => later::render(frame, a.body, other, &env),
        },
    }
    match &app.modal {
        Some(Modal::Help(s)) => {
            let popup = super::widgets::menu::centered(a.body, 96, a.body.height);
            s.draw(frame, popup, t);
        }
        Some(Modal::Actions(m)) => {
            let popup = super::widgets::menu::centered(a.body, 76, m.items.len() as u16 + 2);
            m.draw(frame, popup, t);
        }
        Some(Modal::Groups(m)) => {
            let popup = super::widgets::menu::centered(a.body, 76, m.items.len() as u16 + 2);
            m.draw(frame, popup, t);
        }
        Some(Modal::Confirm(c)) => c.render(frame, a.body, t),
        None => {}
    }
    footer(app, frame, a);
}

fn header_line(app: &App, width: u16) -> Line<'static> {
    let env = app.env();
    let t = env.theme;
    let sep = || Span::styled(" │ ", t.dim());
    let mut segs: Vec<(u8, Vec<Span<'static>>)> = Vec::new();
    segs.push((
        0,
        vec![match app.write_block() {
            None => Span::styled(" WRITE ", t.badge_write()),
            Some(_) => Span::styled(" READ-ONLY ", t.badge_read_only()),
        }],
    ));
    if app.engine_stopped {
        segs.push((
            0,
            vec![Span::raw(" "), Span::styled("ENGINE STOPPED", t.error())],
        ));
    }
    match &app.session {
        None => segs.push((0, vec![sep(), Span::styled("not signed in yet", t.dim())])),
        Some(session) => {
            let id = &session.identity;
            if id.simulated {
                segs.push((1, vec![Span::raw(" "), Span::styled("SIMULATED", t.warn())]));
            }
            segs.push((
                0,
                vec![
                    sep(),
                    Span::styled(
                        crate::safe_text::terminal(
                            id.tenant_name.as_deref().unwrap_or(id.tenant_id.as_str()),
                        )
                        .into_owned(),
                        t.title(),
                    ),
                ],
            ));
            segs.push((
                5,
                vec![Span::styled(format!(" ({})", id.cloud.name()), t.dim())],
            ));
            segs.push((
                2,
                vec![
                    sep(),
                    Span::raw(crate::safe_text::terminal(&id.account).into_owned()),
                ],
            ));
            if !id.roles.is_empty() {
                segs.push((
                    6,
                    vec![Span::styled(format!(" [{}]", id.roles.join(", ")), t.dim())],
                ));
            }
            if let Some(exp) = id.expires_at {
                let left = (exp - env.now).num_minutes();
                let span = if left <= 0 {
                    Span::styled("token expired", t.error())
                } else if left < 60 {
                    Span::styled(
                        format!("token {left}m"),
                        if left < 10 { t.warn() } else { t.base() },
                    )
                } else {
                    Span::raw(format!("token {}h{:02}m", left / 60, left % 60))
                };
                segs.push((1, vec![sep(), span]));
            }
            if let Some(d) = &session.delegated {
                segs.push((
                    6,
                    vec![
                        sep(),
                        Span::styled(
                            format!("admin {}", crate::safe_text::terminal(&d.account)),
                            t.dim(),
                        ),
                    ],
                ));
            }
            if !session.capabilities.can_migrate().is_available() {
                let what = if session.capabilities.write_store.is_available() {
                    "no write permission"
                } else {
                    "store held elsewhere"
                };
                segs.push((1, vec![sep(), Span::styled(what, t.warn())]));
            }
        }
    }
    let l = &app.load;
    segs.push((
        3,
        vec![sep(), Span::raw(format!("{:.1} req/s", l.requests_per_sec))],
    ));
    let throttled = format!(" {}×429", l.throttled_recent);
    segs.push((
        3,
        vec![if l.throttled_recent > 0 {
            Span::styled(throttled, t.warn())
        } else {
            Span::raw(throttled)
        }],
    ));
    segs.push((
        4,
        vec![Span::raw(format!(
            " {} in flight {} queued",
            l.in_flight,
            thousands(l.queued as usize)
        ))],
    ));
    super::widgets::fit_line(segs, width)
}

fn tabs_line(app: &App) -> Line<'static> {
    let t = app.opts.theme;
    let mut spans = Vec::new();
    for (i, tab) in Tab::ALL.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" "));
        }
        let text = format!(" {} {} ", tab.number(), tab.title());
        spans.push(if tab == app.tab {
            // Reverse video (not colour) marks the current tab; a view on top of it
            // keeps it underlined.
            Span::styled(
                text,
                if app.view.is_none() {
                    t.active_tab()
                } else {
                    t.heading()
                },
            )
        } else {
            Span::styled(text, t.dim())
        });
    }
    if let Some(v) = &app.view {
        let name = match v {
            View::Detail(_) => "detail",
            View::Plan => "plan preview",
            View::Activity => "activity log",
            View::Settings => "settings",
        };
        spans.push(Span::styled(format!(" ▸ {name}"), t.title()));
    }
    Line::from(spans)
}

/// Footer labels: the few actions worth a hint in each place.
fn hints(app: &App) -> &'static [Action] {
    use Action as A;
    match (&app.modal, &app.view, app.tab) {
        (Some(Modal::Confirm(_)), _, _) => &[A::DialogNext, A::DialogPress, A::DialogCancel],
        (Some(Modal::Help(_)), _, _) => &[A::MoveDown, A::PageDown, A::Close],
        (Some(_), _, _) => &[A::MoveDown, A::Open, A::Close],
        (None, Some(View::Plan), _) => &[A::Back, A::PageDown, A::Migrate, A::CancelRun, A::Help],
        (None, Some(View::Activity), _) => &[A::Back, A::Filter, A::Follow, A::Help],
        (None, Some(View::Settings), _) => &[A::Open, A::Back, A::Help],
        (None, Some(View::Detail(_)), _) => &[A::Back, A::MoveDown, A::Help],
        (None, None, Tab::Users) => &[
            A::Help,
            A::PickGroup,
            A::Filter,
            A::Mark,
            A::ShowDetail,
            A::Plan,
            A::Migrate,
            A::ActionsMenu,
            A::Quit,
        ],
        (None, None, _) => &[A::TabUsers, A::NextTab, A::CommandMode, A::Help, A::Quit],
    }
}

fn short(a: Action) -> &'static str {
    use Action as A;
    match a {
        A::Help => "help",
        A::PickGroup => "group",
        A::Filter => "filter",
        A::Mark => "mark",
        A::ShowDetail => "detail",
        A::Plan => "plan",
        A::Migrate => "migrate",
        A::ActionsMenu => "actions",
        A::Quit => "quit",
        A::Back => "back",
        A::PageDown => "page",
        A::CancelRun => "cancel run",
        A::Follow => "follow",
        A::Open => "open",
        A::MoveDown => "down",
        A::Close => "close",
        A::DialogNext => "switch",
        A::DialogPress => "press",
        A::DialogCancel => "cancel",
        A::TabUsers => "users",
        A::NextTab => "next tab",
        A::CommandMode => "command",
        other => other.name(),
    }
}

fn footer(app: &App, frame: &mut Frame<'_>, a: super::view::Areas) {
    let t = &app.opts.theme;
    let area = a.footer;
    if let Some(input) = &app.input {
        match input {
            InputLine::Filter { input, .. } => input.render(frame, area, "/", t.key(), true),
            InputLine::Command(c) => c.render(frame, area, a.body, t),
            InputLine::Prompt { kind, input } => {
                let label = match kind {
                    PromptKind::Group => "Migration group (name or object id): ",
                    PromptKind::Setting(Field::MatchAttribute) => {
                        "match_attribute (key=property, empty: none): "
                    }
                    PromptKind::Setting(Field::SyncInterval) => "sync_interval (e.g. 15m, 1h): ",
                    PromptKind::Setting(_) => "value: ",
                };
                input.render(frame, area, label, t.key(), true);
            }
        }
        return;
    }
    if let Some(f) = &app.flash {
        let (prefix, style) = match f.level {
            Level::Info => ("", t.base()),
            Level::Warn => ("! ", t.warn()),
            Level::Error => ("✗ ", t.error()),
        };
        frame.render_widget(
            Paragraph::new(Line::styled(format!("{prefix}{}", f.text), style)),
            area,
        );
        return;
    }
    if app.quit_state() == QuitState::Stopping {
        frame.render_widget(Paragraph::new("stopping…"), area);
        return;
    }
    let stack: &[Context] = app.stack();
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut width = 0usize;
    for &action in hints(app) {
        if !app.available(action).is_available() {
            continue;
        }
        let Some(key) = app.opts.keymap.keys(stack, action).first() else {
            continue;
        };
        let key = key.to_string();
        let label = short(action);
        let w = key.chars().count() + label.len() + 3;
        if width + w > area.width as usize {
            break;
        }
        width += w;
        spans.push(Span::styled(key, t.key()));
        spans.push(Span::raw(format!(" {label}  ")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
