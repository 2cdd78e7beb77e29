//! The users list itself: the visible window formatted when it changes, the coalesced
//! methods read of the rows it shows, list actions (move, mark, sort), and drawing the
//! title, the run line and the table.

use std::collections::HashSet;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row as TableRow};

use super::index::SortKey;
use super::rows::EntraState;
use super::{Load, READ_EVERY, UsersPane, cells};
use crate::datafile::DataSet;
use crate::engine::{Command, DirectoryCommand};
use crate::tui::action::{Action, Availability, Context};
use crate::tui::pane::Env;
use crate::tui::widgets::{progress, thousands, virtual_table};

impl UsersPane {
    /// Ask for the methods of visible rows not read yet. A new request replaces the
    /// queued part of the previous one in the engine, so rows of that one that scrolled
    /// away go back to "not read".
    pub(super) fn take_reads(&mut self) -> Option<Command> {
        let window = self.cursor.window();
        let want: Vec<u32> = self.view.visible()[window]
            .iter()
            .copied()
            .filter(|&i| {
                self.rows
                    .get(i)
                    .is_some_and(|r| matches!(r.entra, EntraState::NotRead | EntraState::Requested))
            })
            .collect();
        if want.is_empty() || want == self.last_read {
            return None;
        }
        let wanted: HashSet<u32> = want.iter().copied().collect();
        for &i in &self.last_read {
            if !wanted.contains(&i) {
                self.rows.update(i, None, |r| {
                    if r.entra == EntraState::Requested {
                        r.entra = EntraState::NotRead;
                    }
                });
            }
        }
        let mut users = Vec::with_capacity(want.len());
        for &i in &want {
            self.rows.update(i, None, |r| {
                r.entra = EntraState::Requested;
                users.push(r.member.entra.id.clone());
            });
        }
        self.last_read = want;
        Some(Command::Directory(DirectoryCommand::ReadMethods { users }))
    }

    /// Ask for one row's methods now (the detail view).
    pub fn read_one(&mut self, i: u32) -> Option<Command> {
        let row = self.rows.get(i)?;
        if !matches!(row.entra, EntraState::NotRead) {
            return None;
        }
        let id = row.member.entra.id.clone();
        self.rows
            .update(i, None, |r| r.entra = EntraState::Requested);
        self.last_read.push(i);
        Some(Command::Directory(DirectoryCommand::ReadMethods {
            users: vec![id],
        }))
    }

    /// The rows of the table area: title, the run line when a run is known, the table.
    pub(super) fn split(&self, area: Rect) -> [Rect; 3] {
        let progress =
            u16::from(self.run.running || self.run.finished.is_some() || self.run.auto_sync);
        let [title, prog, table] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(progress),
            Constraint::Min(0),
        ])
        .areas(area);
        [title, prog, table]
    }

    /// Fit the window to `area` and format what became visible; does nothing when
    /// nothing moved.
    pub(super) fn prepare_list(&mut self, area: Rect, env: &Env<'_>) {
        self.area = area;
        let [_, _, table] = self.split(area);
        self.cursor
            .set_height(table.height.saturating_sub(1) as usize);
        self.cursor.set_len(self.view.visible().len());
        let key = (table.width, self.rows.max_upn);
        if key != self.cols_key || self.cols.is_empty() {
            self.cols = cells::layout(table.width, self.rows.max_upn);
            self.cols_key = key;
            self.window_key = None;
        }
        let window = self.cursor.window();
        let wkey = (window.clone(), self.generation);
        if self.window_key.as_ref() == Some(&wkey) {
            return;
        }
        self.window = self.view.visible()[window.clone()]
            .iter()
            .filter_map(|&i| {
                self.rows
                    .get(i)
                    .map(|r| cells::format_row(i, r, &self.cols, env.data, &self.notes, env.theme))
            })
            .collect();
        self.window_key = Some(wkey);
        let unread = self.window.iter().any(|c| {
            self.rows
                .get(c.row)
                .is_some_and(|r| r.entra == EntraState::NotRead)
        });
        if unread && self.reads_due.is_none() {
            self.reads_due = Some(env.instant + READ_EVERY);
        }
    }

    pub(super) fn need_rows(&self) -> Availability {
        if self.view.visible().is_empty() {
            Availability::no(match self.load() {
                Load::Loaded { .. } | Load::Loading { .. } if self.view.is_filtered() => {
                    "no user matches the filter"
                }
                Load::Loaded { .. } => "the group has no members",
                Load::Loading { .. } => "members are still loading",
                _ => "no migration group picked yet",
            })
        } else {
            Availability::Available
        }
    }

    /// A list action; returns a message for the footer when there is one.
    pub(super) fn list_action(&mut self, action: Action, data: Option<&DataSet>) -> Option<String> {
        match action {
            Action::MoveUp => self.cursor.up(1),
            Action::MoveDown => self.cursor.down(1),
            Action::PageUp => self.cursor.page_up(),
            Action::PageDown => self.cursor.page_down(),
            Action::Top => self.cursor.top(),
            Action::Bottom => self.cursor.bottom(),
            Action::Mark => {
                if let Some(i) = self.selected_row() {
                    self.rows.update(i, data, |r| r.marked = !r.marked);
                    self.view.row_changed();
                    self.cursor.down(1);
                    self.touch();
                }
            }
            Action::MarkAll => {
                let shown = self.view.visible().to_vec();
                for i in &shown {
                    self.rows.update(*i, data, |r| r.marked = true);
                }
                self.view.row_changed();
                self.touch();
                return Some(format!("{} marked", thousands(self.rows.marked())));
            }
            Action::UnmarkAll => {
                for i in 0..self.rows.len() as u32 {
                    if self.rows.get(i).is_some_and(|r| r.marked) {
                        self.rows.update(i, data, |r| r.marked = false);
                    }
                }
                self.view.row_changed();
                self.touch();
                return Some("all unmarked".into());
            }
            Action::IncludeUnchanged => {
                self.include_unchanged = !self.include_unchanged;
                return Some(if self.include_unchanged {
                    "plans and migrations include unchanged users (C1 off)".into()
                } else {
                    "unchanged users are skipped (C1)".into()
                });
            }
            Action::Sort => {
                let next = self.view.sort().next();
                return Some(self.sort_by(Some(next), self.view.descending()));
            }
            Action::ReverseSort => {
                let desc = !self.view.descending();
                return Some(self.sort_by(None, desc));
            }
            _ => {}
        }
        None
    }

    // ----------------------------------------------------------------- drawing

    pub(super) fn render_list(
        &self,
        frame: &mut Frame<'_>,
        area: Rect,
        env: &Env<'_>,
        focused: bool,
    ) {
        let [title, prog, table] = self.split(area);
        frame.render_widget(Paragraph::new(self.title_line(env)), title);
        if prog.height > 0 {
            progress::render(frame, prog, &self.run.line(), env.theme);
        }
        let t = env.theme;
        let empty_msg = match self.load() {
            Load::NoGroup => Some(vec![
                Line::from("No migration group picked."),
                Line::from(vec![
                    Span::raw("Press "),
                    Span::styled(env.key(Context::Users, Action::PickGroup), t.key()),
                    Span::raw(" to pick one by name or object id, or type "),
                    Span::styled(":group NAME", t.key()),
                    Span::raw("."),
                ]),
                Line::from(""),
                Line::styled(
                    "Rule T1: a migration targets one Entra group, nested members included.",
                    t.dim(),
                ),
            ]),
            Load::Finding { query } => Some(vec![Line::from(format!(
                "Looking up group {:?}…",
                crate::safe_text::terminal(query)
            ))]),
            Load::NotFound { query } => Some(vec![
                Line::styled(
                    format!(
                        "No group named or with id {:?}.",
                        crate::safe_text::terminal(query)
                    ),
                    t.warn(),
                ),
                Line::from(vec![
                    Span::raw("Press "),
                    Span::styled(env.key(Context::Users, Action::PickGroup), t.key()),
                    Span::raw(" to try another: the list of groups follows what you type."),
                ]),
            ]),
            Load::Loading { .. } if self.rows.is_empty() => {
                Some(vec![Line::from("Loading members…")])
            }
            Load::Loaded { .. } if self.rows.is_empty() => {
                Some(vec![Line::from("The group has no user members.")])
            }
            _ => None,
        };
        if let Some(lines) = empty_msg {
            let inner = Rect {
                y: table.y.saturating_add(1).min(table.bottom()),
                height: table.height.saturating_sub(1),
                x: table.x.saturating_add(2).min(table.right()),
                width: table.width.saturating_sub(2),
            };
            frame.render_widget(Paragraph::new(lines), inner);
            return;
        }
        let header =
            TableRow::new(self.cols.iter().map(|(c, _)| Cell::from(c.title()))).style(t.heading());
        let rows: Vec<TableRow<'_>> = self
            .window
            .iter()
            .map(|rc| {
                TableRow::new(
                    rc.texts
                        .iter()
                        .zip(&rc.styles)
                        .map(|(text, style)| Cell::from(Span::styled(text.as_str(), *style))),
                )
            })
            .collect();
        let widths: Vec<u16> = self.cols.iter().map(|(_, w)| *w).collect();
        let window = virtual_table::Window {
            header,
            rows,
            widths: &widths,
        };
        virtual_table::draw(frame, table, window, &self.cursor, t.selected(), focused);
        if self.view.visible().is_empty() {
            let msg = Rect {
                y: table.y.saturating_add(2).min(table.bottom()),
                height: 1.min(table.height.saturating_sub(2)),
                ..table
            };
            frame.render_widget(
                Paragraph::new(Line::styled(
                    format!(
                        "No user matches {:?}.",
                        crate::safe_text::terminal(self.view.filter_text())
                    ),
                    t.warn(),
                )),
                msg,
            );
        }
    }

    fn title_line(&self, env: &Env<'_>) -> Line<'static> {
        let t = env.theme;
        let mut spans = vec![Span::styled("Group ", t.dim())];
        match &self.group {
            Some(g) => {
                spans.push(Span::styled(
                    crate::safe_text::terminal(&g.display_name).into_owned(),
                    t.title(),
                ));
                if g.dynamic {
                    spans.push(Span::styled(" (dynamic)", t.dim()));
                }
            }
            None => spans.push(Span::styled("none", t.dim())),
        }
        let sep = || Span::styled(" · ", t.dim());
        match self.load() {
            Load::Loading { loaded } => {
                spans.push(sep());
                spans.push(Span::styled(
                    format!("loading… {}", thousands(*loaded)),
                    t.accent(),
                ));
            }
            Load::Loaded { loaded } => {
                spans.push(sep());
                spans.push(Span::raw(format!("{} members", thousands(*loaded))));
            }
            _ => {}
        }
        if self.view.is_filtered() {
            spans.push(sep());
            spans.push(Span::styled(
                format!(
                    "/{} → {}",
                    crate::safe_text::terminal(self.view.filter_text()),
                    thousands(self.view.visible().len())
                ),
                t.accent(),
            ));
        }
        if self.rows.marked() > 0 {
            spans.push(sep());
            spans.push(Span::styled(
                format!("{} marked", thousands(self.rows.marked())),
                t.accent(),
            ));
        }
        if self.view.sort() != SortKey::Arrival || self.view.descending() {
            spans.push(sep());
            spans.push(Span::raw(format!(
                "sort {}{}",
                self.view.sort().name(),
                if self.view.descending() { " ↓" } else { "" }
            )));
        }
        if self.include_unchanged {
            spans.push(sep());
            spans.push(Span::styled("+unchanged", t.warn()));
        }
        Line::from(spans)
    }
}
