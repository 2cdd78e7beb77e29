//! The activity log (`@`): every Graph call the engine made — method, path, status,
//! duration, attempt, batch size, 429s, Graph error code — newest last, following the
//! newest unless the admin scrolls up; `enter` shows the selected call whole. Keeps the
//! last [`KEEP`] calls. A global view of the app, not a tab's pane.

use std::collections::VecDeque;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row};

use super::{Env, thousands};
use crate::graph::CallRecord;
use crate::tui::action::{Action, Availability};
use crate::tui::widgets::virtual_table::{self, Cursor};

pub const KEEP: usize = 5_000;

#[derive(Debug, Clone)]
pub struct ActivityLog {
    pub calls: VecDeque<CallRecord>,
    /// Calls seen in total (the log keeps the last KEEP).
    pub total: u64,
    pub throttled: u64,
    pub failed: u64,
    pub follow: bool,
    pub filter: String,
    /// Indices into `calls` that the filter lets through.
    shown: Vec<usize>,
    pub cursor: Cursor,
}

impl Default for ActivityLog {
    fn default() -> Self {
        ActivityLog {
            calls: VecDeque::with_capacity(256),
            total: 0,
            throttled: 0,
            failed: 0,
            follow: true,
            filter: String::new(),
            shown: Vec::new(),
            cursor: Cursor::default(),
        }
    }
}

fn matches(c: &CallRecord, f: &str) -> bool {
    if f.is_empty() {
        return true;
    }
    let status = c
        .status
        .map(|s| s.to_string())
        .unwrap_or_else(|| "timeout".into());
    c.path.to_lowercase().contains(f)
        || c.method.to_lowercase().contains(f)
        || status.contains(f)
        || c.error_code
            .as_deref()
            .is_some_and(|e| e.to_lowercase().contains(f))
        || (f == "429" && c.throttled > 0)
}

impl ActivityLog {
    pub fn push(&mut self, c: CallRecord) {
        self.total += 1;
        self.throttled += u64::from(c.throttled);
        if c.status.is_none_or(|s| s >= 400) {
            self.failed += 1;
        }
        if self.calls.len() == KEEP {
            self.calls.pop_front();
            // Indices shift by one; drop the one that fell out.
            self.shown.retain(|&i| i > 0);
            for i in &mut self.shown {
                *i -= 1;
            }
        }
        let f = self.filter.to_lowercase();
        if matches(&c, &f) {
            self.shown.push(self.calls.len());
        }
        self.calls.push_back(c);
        self.cursor.set_len(self.shown.len());
        if self.follow {
            self.cursor.bottom();
        }
    }

    pub fn set_filter(&mut self, f: &str) {
        self.filter = f.to_string();
        let f = f.to_lowercase();
        self.shown = (0..self.calls.len())
            .filter(|&i| self.calls.get(i).is_some_and(|c| matches(c, &f)))
            .collect();
        self.cursor.set_len(self.shown.len());
        self.cursor.bottom();
    }

    /// The selected call.
    pub fn selected(&self) -> Option<&CallRecord> {
        self.shown
            .get(self.cursor.selected)
            .and_then(|&i| self.calls.get(i))
    }

    pub fn available(&self, action: Action) -> Availability {
        use Action as A;
        match action {
            A::MoveUp | A::MoveDown | A::PageUp | A::PageDown | A::Top | A::Bottom => {
                if self.shown.is_empty() {
                    Availability::no("the list is empty")
                } else {
                    Availability::Available
                }
            }
            A::Open => {
                if self.selected().is_some() {
                    Availability::Available
                } else {
                    Availability::no("no call to open")
                }
            }
            A::Filter | A::Follow | A::Back => Availability::Available,
            _ => Availability::no("close the activity log first (esc)"),
        }
    }

    /// Move, or follow the newest call on/off.
    pub fn act(&mut self, action: Action) {
        use Action as A;
        match action {
            A::MoveUp => self.cursor.up(1),
            A::MoveDown => self.cursor.down(1),
            A::PageUp => self.cursor.page_up(),
            A::PageDown => self.cursor.page_down(),
            A::Top => self.cursor.top(),
            A::Bottom => self.cursor.bottom(),
            A::Follow => {
                self.follow = !self.follow;
                if self.follow {
                    self.cursor.bottom();
                }
                return;
            }
            _ => return,
        }
        self.moved();
    }

    /// Moving off the newest row stops following; reaching it again resumes.
    pub fn moved(&mut self) {
        self.follow = self.cursor.at_bottom();
    }

    pub fn fit(&mut self, area: Rect) {
        self.cursor
            .set_height(area.height.saturating_sub(2) as usize);
        self.cursor.set_len(self.shown.len());
    }

    pub fn render(&self, frame: &mut Frame<'_>, area: Rect, env: &Env<'_>, focused: bool) {
        let t = env.theme;
        let [title, table] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
        let mut spans = vec![
            Span::styled("Activity log", t.title()),
            Span::raw(format!(
                " · {} calls · {} failed · {} throttled (429)",
                thousands(self.total as usize),
                thousands(self.failed as usize),
                thousands(self.throttled as usize)
            )),
        ];
        if !self.filter.is_empty() {
            spans.push(Span::styled(
                format!(" · /{} → {}", self.filter, self.shown.len()),
                t.accent(),
            ));
        }
        spans.push(Span::styled(
            if self.follow {
                " · following"
            } else {
                " · paused"
            },
            t.dim(),
        ));
        frame.render_widget(Paragraph::new(Line::from(spans)), title);
        if self.calls.is_empty() {
            frame.render_widget(
                Paragraph::new(Line::styled("  No Graph call yet.", t.dim())),
                Rect {
                    y: table.y.saturating_add(1).min(table.bottom()),
                    height: table.height.saturating_sub(1),
                    ..table
                },
            );
            return;
        }
        // Fixed columns, then the error code and the path share what is left.
        let widths = [12u16, 6, 7, 5, 3, 5, 3];
        let fixed: u16 = widths.iter().sum::<u16>() + widths.len() as u16 + 1;
        let rest = table.width.saturating_sub(fixed);
        let error_w = (rest / 3).clamp(7, 28);
        let path_w = rest.saturating_sub(error_w).max(10);
        let mut all: Vec<u16> = widths.to_vec();
        all.push(error_w);
        all.push(path_w);
        let header = Row::new(
            [
                "TIME", "METHOD", "STATUS", "MS", "TRY", "BATCH", "429", "ERROR", "PATH",
            ]
            .map(Cell::from),
        )
        .style(t.heading());
        let rows: Vec<Row<'_>> = self.shown[self.cursor.window()]
            .iter()
            .filter_map(|&i| self.calls.get(i))
            .map(|c| {
                let (status, style) = match c.status {
                    None => ("timeout".to_string(), t.error()),
                    Some(s) if s == 429 => (s.to_string(), t.warn()),
                    Some(s) if s >= 400 => (s.to_string(), t.error()),
                    Some(s) => (s.to_string(), t.ok()),
                };
                Row::new(vec![
                    Cell::from(c.at.format("%H:%M:%S%.3f").to_string()),
                    Cell::from(crate::safe_text::terminal(&c.method).into_owned()),
                    Cell::from(Span::styled(status, style)),
                    Cell::from(c.duration_ms.to_string()),
                    Cell::from(c.attempt.to_string()),
                    Cell::from(if c.batch_items > 0 {
                        c.batch_items.to_string()
                    } else {
                        String::new()
                    }),
                    Cell::from(if c.throttled > 0 {
                        c.throttled.to_string()
                    } else {
                        String::new()
                    }),
                    Cell::from(
                        c.error_code
                            .as_deref()
                            .map(|e| crate::safe_text::terminal(e).into_owned())
                            .unwrap_or_default(),
                    ),
                    // Cut with "…": enter shows the whole path.
                    Cell::from(crate::tui::widgets::truncate(
                        &crate::safe_text::terminal(&c.path),
                        path_w as usize,
                    )),
                ])
            })
            .collect();
        let window = virtual_table::Window {
            header,
            rows,
            widths: &all,
        };
        virtual_table::draw(frame, table, window, &self.cursor, t.selected(), focused);
    }
}
