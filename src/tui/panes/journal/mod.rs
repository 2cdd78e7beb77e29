//! The Journal tab (6): every write the tool made (its intent, outcome and any
//! reconciliation, from the write journal) and every tenant change (time, who, what,
//! before, after, forced, from the audit log), newest first, read from the state store
//! through the engine's records service. `v` switches between the two; `/` filters by
//! user, group, kind and time ([`filter`]); `enter` shows one entry whole. The list is
//! virtual ([`pages`]): only the pages on screen are read, by keyset, so hundreds of
//! thousands of entries cost a few pages of memory. Untrusted text goes through
//! `safe_text`.

mod entry;
pub mod filter;
pub mod pages;

use std::collections::HashMap;
use std::ops::Range;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row};

use self::entry::{change_lines, kind_word, op_text, outcome_word, write_lines};
use self::filter::Filter;
use self::pages::{Keyed, Pages, Want};
use crate::engine::store::{AuditEntry, JournalEntry, JournalId};
use crate::engine::{Answer, Command, Event, MigrationEvent, RecordsCommand, Reply, RequestId};
use crate::safe_text::terminal;
use crate::tui::action::{Action, Availability, Context};
use crate::tui::effect::{Effects, TextAsk, TextEdit};
use crate::tui::pane::{Env, Pane};
use crate::tui::tab::Tab;
use crate::tui::theme::Theme;
use crate::tui::widgets::virtual_table::{self, Cursor};
use crate::tui::widgets::{thousands, truncate};

impl Keyed for JournalEntry {
    type Key = JournalId;
    fn key(&self) -> JournalId {
        self.id
    }
}

/// An audit row and its id (the audit log's keyset key).
#[derive(Debug, Clone)]
pub struct Change {
    pub id: i64,
    pub entry: AuditEntry,
}

impl Keyed for Change {
    type Key = i64;
    fn key(&self) -> i64 {
        self.id
    }
}

/// Which log is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Log {
    /// The write journal: every write's intent and outcome.
    #[default]
    Writes,
    /// The audit log: every tenant change, who made it, before and after.
    Changes,
}

/// A request out, and what it was for.
#[derive(Debug, Clone, Copy)]
enum Asked {
    Writes(Want<JournalId>, u64),
    Changes(Want<i64>, u64),
}

#[derive(Debug, Default)]
pub struct JournalPane {
    log: Log,
    filter_text: String,
    filter: Filter,
    writes: Pages<JournalEntry>,
    changes: Pages<Change>,
    cursor: Cursor,
    /// Bumped by a new filter or a reload: answers of an older one are dropped.
    generation: u64,
    waiting: HashMap<RequestId, Asked>,
    /// Something was written since the list was read (a run ended).
    stale: bool,
    /// The last refusal or failure reading the store.
    error: Option<String>,
    /// The screen grew or moved without a key (a resize): read what it now shows.
    fetch_due: Option<tokio::time::Instant>,
}

impl JournalPane {
    pub fn new() -> JournalPane {
        JournalPane::default()
    }

    pub fn log(&self) -> Log {
        self.log
    }

    pub fn len(&self) -> usize {
        match self.log {
            Log::Writes => self.writes.len(),
            Log::Changes => self.changes.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Pages held in memory, both logs (the list is virtual: a few, whatever its length).
    pub fn held_pages(&self) -> usize {
        self.writes.held() + self.changes.held()
    }

    pub fn selected(&self) -> usize {
        self.cursor.selected
    }

    fn read(&self) -> bool {
        match self.log {
            Log::Writes => self.writes.read(),
            Log::Changes => self.changes.read(),
        }
    }

    fn window(&self) -> Range<usize> {
        let w = self.cursor.window();
        if w.is_empty() {
            self.cursor.offset..self.cursor.offset + self.cursor.height.max(1)
        } else {
            w
        }
    }

    /// Ask for what the screen needs and is not held (one request at a time).
    fn fetch(&mut self, env: &Env<'_>) -> Effects {
        let mut fx = Effects::none();
        let window = self.window();
        match self.log {
            Log::Writes => {
                if let Some(w) = self.writes.want(window) {
                    let id = fx.send(
                        env,
                        Command::Records(RecordsCommand::Journal {
                            filter: self.filter.journal(),
                            before: w.before,
                            limit: w.limit,
                        }),
                    );
                    self.writes.in_flight = true;
                    self.waiting.insert(id, Asked::Writes(w, self.generation));
                }
            }
            Log::Changes => {
                if let Some(w) = self.changes.want(window) {
                    let id = fx.send(
                        env,
                        Command::Records(RecordsCommand::Audit {
                            filter: self.filter.audit(),
                            before: w.before,
                            limit: w.limit,
                        }),
                    );
                    self.changes.in_flight = true;
                    self.waiting.insert(id, Asked::Changes(w, self.generation));
                }
            }
        }
        fx
    }

    /// Read both logs again from the newest entry.
    fn reload(&mut self, env: &Env<'_>) -> Effects {
        self.generation += 1;
        self.writes.clear();
        self.changes.clear();
        self.waiting.clear();
        self.stale = false;
        self.error = None;
        self.cursor = Cursor {
            height: self.cursor.height,
            ..Default::default()
        };
        self.fetch(env)
    }

    fn selected_lines(&self, t: &Theme) -> Option<(String, Vec<Line<'static>>)> {
        let i = self.cursor.selected;
        match self.log {
            Log::Writes => self
                .writes
                .row(i)
                .map(|e| (format!("Write #{}", e.id.0), write_lines(e, t))),
            Log::Changes => self
                .changes
                .row(i)
                .map(|c| (format!("Tenant change #{}", c.id), change_lines(c, t))),
        }
    }

    fn title(&self, env: &Env<'_>) -> Line<'static> {
        let t = env.theme;
        let (name, other) = match self.log {
            Log::Writes => ("Writes (journal)", "tenant changes"),
            Log::Changes => ("Tenant changes (audit log)", "writes"),
        };
        let mut spans = vec![Span::styled(name.to_string(), t.title())];
        let sep = || Span::styled(" · ", t.dim());
        if self.read() {
            spans.push(sep());
            spans.push(Span::raw(format!(
                "{} entries, newest first",
                thousands(self.len())
            )));
        } else {
            spans.push(sep());
            spans.push(Span::styled("reading the state store…", t.accent()));
        }
        if !self.filter_text.is_empty() {
            spans.push(sep());
            spans.push(Span::styled(
                format!("/{}", terminal(&self.filter_text)),
                t.accent(),
            ));
        }
        if self.stale {
            spans.push(sep());
            spans.push(Span::styled(
                format!(
                    "written to since: {} reloads",
                    env.key(Context::Journal, Action::Refresh)
                ),
                t.warn(),
            ));
        }
        spans.push(sep());
        spans.push(Span::styled(
            format!(
                "{} shows {other}",
                env.key(Context::Journal, Action::SwitchLog)
            ),
            t.dim(),
        ));
        Line::from(spans)
    }

    fn render_writes(&self, t: &Theme, width: u16) -> (Row<'static>, Vec<Row<'static>>, Vec<u16>) {
        // Narrow: the kind and the HTTP status give way (enter shows them).
        let wide = width >= 100;
        let fixed: u16 = if wide { 14 + 6 + 10 + 4 } else { 14 + 10 };
        let cols: u16 = if wide { 6 } else { 4 };
        let rest = width.saturating_sub(fixed + cols - 1);
        let target_w = (rest * 2 / 5).clamp(8, 44);
        let write_w = rest.saturating_sub(target_w).max(8);
        let (titles, widths): (Vec<&str>, Vec<u16>) = if wide {
            (
                vec!["TIME", "KIND", "TARGET", "WRITE", "OUTCOME", "HTTP"],
                vec![14, 6, target_w, write_w, 10, 4],
            )
        } else {
            (
                vec!["TIME", "TARGET", "WRITE", "OUTCOME"],
                vec![14, target_w, write_w, 10],
            )
        };
        let header = Row::new(titles.into_iter().map(Cell::from)).style(t.heading());
        let rows = self.cursor.window().map(|i| match self.writes.row(i) {
            None => Row::new(vec![Cell::from(Span::styled("…", t.dim()))]),
            Some(e) => {
                let (word, style) = outcome_word(e);
                let mut cells = vec![Cell::from(e.intent_at.format("%m-%d %H:%M:%S").to_string())];
                if wide {
                    cells.push(Cell::from(kind_word(e.target.kind)));
                }
                cells.push(Cell::from(truncate(
                    &terminal(&e.target.name),
                    target_w as usize,
                )));
                cells.push(Cell::from(truncate(&op_text(&e.op), write_w as usize)));
                cells.push(Cell::from(Span::styled(word, style(t))));
                if wide {
                    cells.push(Cell::from(
                        e.http_status.map(|s| s.to_string()).unwrap_or_default(),
                    ));
                }
                Row::new(cells)
            }
        });
        (header, rows.collect(), widths)
    }

    fn render_changes(&self, t: &Theme, width: u16) -> (Row<'static>, Vec<Row<'static>>, Vec<u16>) {
        let fixed = [14u16, 16, 6];
        let rest = width.saturating_sub(fixed.iter().sum::<u16>() + 5);
        let who_w = (rest / 4).clamp(10, 28);
        let target_w = (rest / 4).clamp(10, 36);
        let change_w = rest.saturating_sub(who_w + target_w).max(8);
        let widths = vec![14, who_w, 16, target_w, change_w, 6];
        let header =
            Row::new(["TIME", "WHO", "WHAT", "TARGET", "BEFORE → AFTER", "FORCED"].map(Cell::from))
                .style(t.heading());
        let rows = self.cursor.window().map(|i| match self.changes.row(i) {
            None => Row::new(vec![Cell::from(Span::styled("…", t.dim()))]),
            Some(c) => {
                let e = &c.entry;
                let change = format!(
                    "{} → {}",
                    e.before.as_deref().map(terminal).unwrap_or("—".into()),
                    e.after.as_deref().map(terminal).unwrap_or("—".into())
                );
                Row::new(vec![
                    Cell::from(e.at.format("%m-%d %H:%M:%S").to_string()),
                    Cell::from(truncate(&terminal(&e.actor), who_w as usize)),
                    Cell::from(truncate(&terminal(&e.action), 16)),
                    Cell::from(truncate(&terminal(&e.target.name), target_w as usize)),
                    Cell::from(truncate(&change, change_w as usize)),
                    Cell::from(if e.forced {
                        Span::styled("forced", t.warn())
                    } else {
                        Span::raw("")
                    }),
                ])
            }
        });
        (header, rows.collect(), widths)
    }
}

impl Pane for JournalPane {
    fn tab(&self) -> Tab {
        Tab::Journal
    }

    fn stack(&self) -> &'static [Context] {
        Context::Journal.stack()
    }

    fn available(&self, action: Action, env: &Env<'_>) -> Availability {
        use Action as A;
        match action {
            A::MoveUp | A::MoveDown | A::PageUp | A::PageDown | A::Top | A::Bottom => {
                if self.is_empty() {
                    Availability::no("no entry")
                } else {
                    Availability::Available
                }
            }
            A::Open => match self.selected_lines(env.theme) {
                Some(_) => Availability::Available,
                None if self.is_empty() => Availability::no("no entry"),
                None => Availability::no("the entry is still being read"),
            },
            A::Filter | A::SwitchLog => Availability::Available,
            A::Refresh => {
                if env.engine_stopped {
                    Availability::no("the engine stopped")
                } else {
                    Availability::Available
                }
            }
            A::Back => {
                if self.filter_text.is_empty() {
                    Availability::no("nothing to go back to")
                } else {
                    Availability::Available
                }
            }
            A::Export => Availability::no(
                "the journal is not exported from here yet: `mfa-cutover journal --json` and \
                 `audit --json` print it",
            ),
            _ => Availability::no("not an action of the journal"),
        }
    }

    fn dispatch(&mut self, action: Action, env: &Env<'_>) -> Effects {
        use Action as A;
        let mut fx = Effects::none();
        match action {
            A::MoveUp => self.cursor.up(1),
            A::MoveDown => self.cursor.down(1),
            A::PageUp => self.cursor.page_up(),
            A::PageDown => self.cursor.page_down(),
            A::Top => self.cursor.top(),
            A::Bottom => self.cursor.bottom(),
            A::Open => {
                if let Some((title, lines)) = self.selected_lines(env.theme) {
                    fx.show(title, lines);
                }
                return fx;
            }
            A::Filter => {
                fx.ask(TextAsk {
                    field: "filter",
                    label: "/".into(),
                    initial: self.filter_text.clone(),
                    live: false,
                });
                return fx;
            }
            A::SwitchLog => {
                self.log = match self.log {
                    Log::Writes => Log::Changes,
                    Log::Changes => Log::Writes,
                };
                self.cursor = Cursor {
                    height: self.cursor.height,
                    ..Default::default()
                };
            }
            A::Refresh => return self.reload(env),
            A::Back => {
                self.filter_text.clear();
                self.filter = Filter::default();
                return self.reload(env);
            }
            _ => return fx,
        }
        self.cursor.set_len(self.len());
        fx.extend(self.fetch(env));
        fx
    }

    fn on_show(&mut self, env: &Env<'_>) -> Effects {
        if !self.read() || self.stale {
            self.reload(env)
        } else {
            self.fetch(env)
        }
    }

    fn on_event(&mut self, event: &Event, _env: &Env<'_>) -> Effects {
        if let Event::Migration(MigrationEvent::Finished(end)) = event
            && !end.dry_run
            && self.writes.read()
        {
            self.stale = true;
        }
        Effects::none()
    }

    fn on_reply(&mut self, reply: &Reply, env: &Env<'_>) -> Effects {
        let Some(asked) = self.waiting.remove(&reply.request) else {
            return Effects::none();
        };
        let keep = Pages::<JournalEntry>::keep_for(&self.window());
        match (asked, &reply.outcome) {
            (Asked::Writes(w, g), Ok(Answer::Journal { entries, total }))
                if g == self.generation =>
            {
                self.writes.fill(w, entries.clone(), *total, keep);
            }
            (Asked::Changes(w, g), Ok(Answer::Audit { entries, total }))
                if g == self.generation =>
            {
                let rows = entries
                    .iter()
                    .map(|(id, e)| Change {
                        id: *id,
                        entry: e.clone(),
                    })
                    .collect();
                self.changes.fill(w, rows, *total, keep);
            }
            (Asked::Writes(_, g) | Asked::Changes(_, g), Err(e)) if g == self.generation => {
                self.writes.in_flight = false;
                self.changes.in_flight = false;
                self.error = Some(e.to_string());
                let mut fx = Effects::none();
                fx.error(format!("journal: {e}"));
                return fx;
            }
            _ => return Effects::none(),
        }
        self.cursor.set_len(self.len());
        self.fetch(env)
    }

    fn on_text(&mut self, field: &str, edit: TextEdit<'_>, env: &Env<'_>) -> Effects {
        match (field, edit) {
            ("filter", TextEdit::Submitted(v)) => match Filter::parse(v, env.now) {
                Ok(f) => {
                    self.filter = f;
                    self.filter_text = v.trim().to_string();
                    self.reload(env)
                }
                Err(e) => {
                    let mut fx = Effects::none();
                    fx.warn(format!("filter {e}; {}", filter::SYNTAX));
                    fx
                }
            },
            _ => Effects::none(),
        }
    }

    fn prepare(&mut self, area: Rect, env: &Env<'_>) {
        let inner = Block::default().borders(Borders::TOP).inner(area);
        let [_, table] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
        self.cursor
            .set_height(table.height.saturating_sub(1) as usize);
        self.cursor.set_len(self.len());
        let missing = match self.log {
            Log::Writes => self.writes.read() && self.writes.want(self.window()).is_some(),
            Log::Changes => self.changes.read() && self.changes.want(self.window()).is_some(),
        };
        if missing && self.fetch_due.is_none() {
            self.fetch_due = Some(env.instant);
        }
    }

    fn deadline(&self) -> Option<tokio::time::Instant> {
        self.fetch_due
    }

    fn tick(&mut self, env: &Env<'_>) -> Effects {
        self.fetch_due = None;
        self.fetch(env)
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, env: &Env<'_>, focused: bool) {
        let t = env.theme;
        let block = Block::default()
            .borders(Borders::TOP)
            .border_style(t.border())
            .title(Span::styled(" 6 Journal ", t.title()));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [title, table] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
        frame.render_widget(Paragraph::new(self.title(env)), title);
        let body = Rect {
            y: table.y.saturating_add(1).min(table.bottom()),
            height: table.height.saturating_sub(1),
            ..table
        };
        if let Some(e) = &self.error {
            frame.render_widget(
                Paragraph::new(vec![
                    Line::styled("The state store could not be read:", t.error()),
                    Line::raw(terminal(e).into_owned()),
                ])
                .wrap(ratatui::widgets::Wrap { trim: false }),
                body,
            );
            return;
        }
        if self.read() && self.is_empty() {
            let msg = if self.filter_text.is_empty() {
                match self.log {
                    Log::Writes => {
                        "No write yet: migrations, retries and automatic sync journal \
                                    every write here (intent before, outcome after)."
                    }
                    Log::Changes => {
                        "No tenant change yet: each one the tool makes is recorded \
                                     here with who, before and after."
                    }
                }
                .to_string()
            } else {
                format!(
                    "No entry matches /{}. esc clears the filter.",
                    terminal(&self.filter_text)
                )
            };
            frame.render_widget(
                Paragraph::new(Line::styled(msg, t.dim()))
                    .wrap(ratatui::widgets::Wrap { trim: false }),
                body,
            );
            return;
        }
        let (header, rows, widths) = match self.log {
            Log::Writes => self.render_writes(t, table.width),
            Log::Changes => self.render_changes(t, table.width),
        };
        virtual_table::draw(
            frame,
            table,
            virtual_table::Window {
                header,
                rows,
                widths: &widths,
            },
            &self.cursor,
            t.selected(),
            focused,
        );
    }

    fn hints(&self) -> Vec<Action> {
        vec![
            Action::Open,
            Action::SwitchLog,
            Action::Filter,
            Action::Refresh,
            Action::Help,
            Action::Quit,
        ]
    }

    fn menu(&self) -> Vec<Action> {
        vec![Action::SwitchLog]
    }

    fn help(&self, env: &Env<'_>) -> Vec<Line<'static>> {
        let t = env.theme;
        let mut l = vec![Line::styled("Journal: what the columns say", t.heading())];
        for (w, what) in [
            (
                "writes",
                "the write journal: each write recorded before it is sent and after it returns (C5)",
            ),
            (
                "tenant changes",
                "the audit log: time, who, what, before, after, forced (A1)",
            ),
            ("✓ ok / ✗ failed", "how the write ended"),
            (
                "open",
                "sent with no known outcome (the process stopped): read back at the next start",
            ),
            (
                "↺ done / not done",
                "an open write read back: Entra shows it applied, or not (planned again)",
            ),
            ("forced", "an interlock was overridden"),
            ("filter", filter::SYNTAX),
        ] {
            l.push(Line::from(vec![
                Span::styled(format!("  {w:<18}"), t.key()),
                Span::raw(what.to_string()),
            ]));
        }
        l
    }
}
