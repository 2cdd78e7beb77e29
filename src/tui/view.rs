//! Drawing the whole screen: header, tabs, the body (the tab's pane or a global view),
//! popups and footer. A pure read of [`App`]: no awaits, no I/O, no engine calls,
//! nothing mutated.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::action::{Action, Context};
use super::app::{App, InputLine, Modal, Overlay, QuitState};
use super::effect::Level;
use super::tab::Tab;
use super::widgets::{thousands, truncate, wrap_words};

/// Rows a footer message may take (a long message wraps instead of being cut).
const FOOTER_ROWS: usize = 6;

/// Where everything goes on this screen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Areas {
    pub frame: Rect,
    pub header: Rect,
    pub tabs: Rect,
    pub body: Rect,
    pub footer: Rect,
}

fn flash_text(level: Level, text: &str) -> String {
    let prefix = match level {
        Level::Info => "",
        Level::Warn => "! ",
        Level::Error => "✗ ",
    };
    format!("{prefix}{}", crate::safe_text::terminal(text))
}

/// The footer message's rows at `width`.
fn flash_rows(app: &App, width: u16) -> Vec<String> {
    match (&app.input, &app.flash) {
        (None, Some(f)) => {
            let mut rows = wrap_words(&flash_text(f.level, &f.text), width.max(1) as usize);
            if rows.len() > FOOTER_ROWS {
                rows.truncate(FOOTER_ROWS);
                if let Some(last) = rows.last_mut() {
                    *last = truncate(
                        &format!("{last} … (:messages shows it whole)"),
                        width as usize,
                    );
                }
            }
            rows
        }
        _ => Vec::new(),
    }
}

/// The layout for the app's screen size (update and draw both use it).
pub fn areas(app: &App) -> Areas {
    let frame = app.size;
    let inner = if app.core.opts.production {
        Block::default().borders(Borders::ALL).inner(frame)
    } else {
        frame
    };
    // A message may take a few rows, never more than a third of the screen.
    let footer = (flash_rows(app, inner.width).len().max(1) as u16).min((inner.height / 3).max(1));
    let [header, tabs, body, footer] = Layout::vertical([
        Constraint::Length(u16::from(app.header)),
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(footer),
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
    if app.core.opts.production {
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
    match app.overlay {
        Some(Overlay::Activity) => app.activity.render(frame, a.body, &env, focused),
        Some(Overlay::Settings) => app.settings_pane.render(
            frame,
            a.body,
            &app.core.settings,
            app.core.sync_interval,
            app.core.opts.config_file.as_deref(),
            &env,
        ),
        None => app.pane().render(frame, a.body, &env, focused),
    }
    match &app.modal {
        Some(Modal::Help(s)) | Some(Modal::Text(s)) => {
            let popup = super::widgets::menu::centered(a.body, 96, a.body.height);
            s.draw(frame, popup, t);
        }
        Some(Modal::Actions(m)) => m.draw(frame, t),
        Some(Modal::Choose { menu, .. }) => menu.draw(frame, t),
        Some(Modal::Confirm(c, _)) => c.render(frame, a.body, t),
        None => {}
    }
    footer(app, frame, a);
}

fn header_line(app: &App, width: u16) -> Line<'static> {
    let env = app.env();
    let t = env.theme;
    let sep = || Span::styled(" │ ", t.dim());
    let mut segs: Vec<(u8, Vec<Span<'static>>)> = Vec::new();
    let block = app.write_block();
    segs.push((
        0,
        vec![match block {
            None => Span::styled(" WRITE ", t.badge_write()),
            Some(_) => Span::styled(" READ-ONLY ", t.badge_read_only()),
        }],
    ));
    if app.core.engine_stopped {
        segs.push((
            0,
            vec![Span::raw(" "), Span::styled("ENGINE STOPPED", t.error())],
        ));
    }
    match &app.core.session {
        None => segs.push((0, vec![sep(), Span::styled("not signed in yet", t.dim())])),
        Some(session) => {
            let id = &session.identity;
            if id.simulated {
                segs.push((1, vec![Span::raw(" "), Span::styled("SIMULATED", t.warn())]));
            }
            // Why READ-ONLY, in a few words (the whole reason and what to do: the
            // actions menu, help, :messages).
            if block.is_some() && !app.core.engine_stopped {
                let caps = &session.capabilities;
                let why = if !caps.write_store.is_available() {
                    "store held elsewhere"
                } else if !caps.write_methods.is_available() {
                    "no write permission"
                } else {
                    ":readonly is on"
                };
                segs.push((1, vec![sep(), Span::styled(why, t.warn())]));
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
            if let Some(host) = &app.core.opts.graph_host {
                segs.push((
                    1,
                    vec![
                        sep(),
                        Span::styled(
                            format!("Graph {}", crate::safe_text::terminal(host)),
                            t.warn(),
                        ),
                    ],
                ));
            }
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
                    vec![Span::styled(
                        format!(" [{}]", crate::safe_text::terminal(&id.roles.join(", "))),
                        t.dim(),
                    )],
                ));
            }
            if let Some(d) = &session.delegated {
                segs.push((
                    2,
                    vec![
                        sep(),
                        Span::styled(
                            format!(
                                "+ admin {} (delegated)",
                                crate::safe_text::terminal(&d.account)
                            ),
                            t.accent(),
                        ),
                    ],
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
        }
    }
    let l = &app.core.load;
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
    let t = app.core.opts.theme;
    let mut spans = Vec::new();
    let view = match app.overlay {
        Some(Overlay::Activity) => Some("activity log"),
        Some(Overlay::Settings) => Some("settings"),
        None => app.pane().view_name(),
    };
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
                if view.is_none() {
                    t.active_tab()
                } else {
                    t.heading()
                },
            )
        } else {
            Span::styled(text, t.dim())
        });
    }
    if let Some(name) = view {
        spans.push(Span::styled(format!(" ▸ {name}"), t.title()));
    }
    Line::from(spans)
}

/// Footer labels: the few actions worth a hint in each place.
fn hints(app: &App) -> Vec<Action> {
    use Action as A;
    match (&app.modal, app.overlay) {
        (Some(Modal::Confirm(..)), _) => vec![A::DialogNext, A::DialogPress, A::DialogCancel],
        (Some(Modal::Help(_)) | Some(Modal::Text(_)), _) => {
            vec![A::MoveDown, A::PageDown, A::Close]
        }
        (Some(_), _) => vec![A::MoveDown, A::Open, A::Close],
        (None, Some(Overlay::Activity)) => vec![A::Back, A::Open, A::Filter, A::Follow, A::Help],
        (None, Some(Overlay::Settings)) => vec![A::Open, A::Back, A::Help],
        (None, None) => app.pane().hints(),
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
        A::NextUser => "next user",
        A::PrevUser => "previous",
        A::SwitchLog => "writes/changes",
        A::Refresh => "reload",
        A::ReverseSort => "reverse",
        A::EndState => "end state",
        A::RollbackPlan => "rollback plan",
        A::RunRollback => "roll back",
        other => other.name(),
    }
}

fn footer(app: &App, frame: &mut Frame<'_>, a: Areas) {
    let t = &app.core.opts.theme;
    let area = a.footer;
    if let Some(input) = &app.input {
        match input {
            InputLine::Command(c) => {
                let list = super::commands::list(c.input.value(), t);
                c.render(frame, area, a.body, list, t)
            }
            InputLine::Text(tl) => {
                let list = app.suggestion_lines();
                let h = (list.len() as u16).min(a.body.height);
                if h > 0 {
                    let popup = Rect {
                        y: a.body.bottom() - h,
                        height: h,
                        ..a.body
                    };
                    frame.render_widget(ratatui::widgets::Clear, popup);
                    frame.render_widget(Paragraph::new(list), popup);
                }
                tl.input.render(frame, area, &tl.ask.label, t.key(), true)
            }
        }
        return;
    }
    if let Some(f) = &app.flash {
        let style = match f.level {
            Level::Info => t.base(),
            Level::Warn => t.warn(),
            Level::Error => t.error(),
        };
        let rows: Vec<Line<'static>> = flash_rows(app, area.width)
            .into_iter()
            .map(|r| Line::styled(r, style))
            .collect();
        frame.render_widget(Paragraph::new(rows), area);
        return;
    }
    if app.quit_state() == QuitState::Stopping {
        frame.render_widget(Paragraph::new("stopping…"), area);
        return;
    }
    let stack: &[Context] = app.stack();
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut width = 0usize;
    for action in hints(app) {
        if !app.available(action).is_available() {
            continue;
        }
        let Some(key) = app.core.opts.keymap.keys(stack, action).first() else {
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
