//! The Users tab: the migration group's members streaming in page by page, each matched
//! to its MFA Server user (M1–M4), MFA Server methods beside current Entra methods,
//! filter, sort, marks, and the state of the current dry run or migration.
//!
//! Rows stay data ([`rows`]); [`index`] keeps the shown order; only the visible window
//! is formatted ([`cells`]) — when it changes, not per frame — and drawn. Entra methods
//! are read for the visible rows only, one coalesced request at most every
//! [`READ_EVERY`] while the admin scrolls.

pub mod cells;
pub mod index;
pub mod rows;

use std::collections::HashSet;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row as TableRow};
use tokio::time::Instant;

use self::cells::{Col, RowCells};
use self::index::{SortKey, ViewIndex};
use self::rows::{EntraState, Row, Rows};
use super::{Env, thousands};
use crate::datafile::{DataSet, Known, OathKind};
use crate::engine::{Command, DirectoryCommand, GroupInfo, Member, Progress, Scope, UserStatus};
use crate::migrate::summary::BlastRadius;
use crate::migrate::{Match, MigrationSettings, MobileAppHandling, UserSkip};
use crate::tui::action::{Action, Availability, Context};
use crate::tui::widgets::{progress, virtual_table};

/// At most one `ReadMethods` per this interval while the visible window changes.
pub const READ_EVERY: Duration = Duration::from_millis(80);
/// A status sort or a status-word filter is redone at most this often during a run.
pub const RESORT_EVERY: Duration = Duration::from_millis(250);

/// Where loading the group stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Load {
    NoGroup,
    Finding { query: String },
    NotFound { query: String },
    Loading { loaded: usize },
    Loaded { loaded: usize },
}

/// The current (or last) dry run or migration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunState {
    pub running: bool,
    pub dry_run: bool,
    pub progress: Progress,
    /// Set when the run ended: (dry run, cancelled).
    pub finished: Option<(bool, bool)>,
    pub auto_sync: bool,
    pub auto_sync_next: Option<DateTime<Utc>>,
    pub exported: Option<(PathBuf, usize)>,
}

/// What a write would touch, shown before it runs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Blast {
    pub users: usize,
    pub matched: usize,
    pub unmatched: usize,
    pub conflicts: usize,
    pub disabled: usize,
    /// Already verified by an earlier run.
    pub verified: usize,
    /// Will still have no usable Entra method afterwards (nothing to migrate).
    pub no_usable: usize,
    /// Entra methods not read yet, so usability is not known.
    pub usable_unknown: usize,
    /// The users' latest plans (a dry run), summed by the planner's own rules.
    pub planned: BlastRadius,
}

#[derive(Debug, Default)]
pub struct UsersPane {
    pub group: Option<GroupInfo>,
    pub load: Option<Load>,
    pub rows: Rows,
    pub view: ViewIndex,
    pub cursor: virtual_table::Cursor,
    pub include_unchanged: bool,
    pub run: RunState,
    /// Rows in the order their dry-run result came (the plan preview lists them).
    pub dry_run_rows: Vec<u32>,
    dry_run_seen: HashSet<u32>,
    failed_retryable: usize,
    cols: Vec<(Col, u16)>,
    cols_key: (u16, usize),
    window: Vec<RowCells>,
    window_key: Option<(Range<usize>, u64)>,
    /// Bumped by every change that can alter a formatted cell.
    generation: u64,
    reads_due: Option<Instant>,
    last_read: Vec<u32>,
    resort_due: Option<Instant>,
    area: Rect,
}

impl UsersPane {
    pub fn new() -> UsersPane {
        UsersPane {
            load: Some(Load::NoGroup),
            ..Default::default()
        }
    }

    pub fn load(&self) -> &Load {
        self.load.as_ref().unwrap_or(&Load::NoGroup)
    }

    fn touch(&mut self) {
        self.generation = self.generation.wrapping_add(1);
    }

    pub fn selected_row(&self) -> Option<u32> {
        self.view.visible().get(self.cursor.selected).copied()
    }

    pub fn row(&self, i: u32) -> Option<&Row> {
        self.rows.get(i)
    }

    pub fn loaded(&self) -> bool {
        matches!(self.load(), Load::Loaded { .. })
    }

    pub fn failed_retryable(&self) -> usize {
        self.failed_retryable
    }

    // ----------------------------------------------------------------- engine events

    /// A group lookup started (`:group`, the config's group, the picker).
    pub fn finding(&mut self, query: String) {
        self.load = Some(Load::Finding { query });
    }

    pub fn not_found(&mut self, query: String) {
        self.load = Some(Load::NotFound { query });
    }

    /// The engine began loading `group`'s members. The same group again (a sync cycle,
    /// a refresh) keeps its rows, marks and selection, and pages update them in place;
    /// another group starts afresh.
    pub fn loading(&mut self, group: GroupInfo) {
        if self.group.as_ref().is_some_and(|g| g.id == group.id) {
            self.load = Some(Load::Loading {
                loaded: self.rows.len(),
            });
            self.group = Some(group);
            self.touch();
        } else {
            let _ = self.begin(group);
        }
    }

    /// Start loading `group`: everything of the previous group goes.
    pub fn begin(&mut self, group: GroupInfo) -> Command {
        let id = group.id.clone();
        self.group = Some(group);
        self.load = Some(Load::Loading { loaded: 0 });
        self.rows.clear();
        self.view.clear();
        self.cursor = virtual_table::Cursor {
            height: self.cursor.height,
            ..Default::default()
        };
        self.dry_run_rows.clear();
        self.dry_run_seen.clear();
        self.failed_retryable = 0;
        self.last_read.clear();
        self.reads_due = None;
        self.touch();
        Command::Directory(DirectoryCommand::LoadMembers { group_id: id })
    }

    pub fn members(
        &mut self,
        group_id: &str,
        page: Vec<Member>,
        loaded: usize,
        done: bool,
        data: Option<&DataSet>,
    ) {
        if self.group.as_ref().is_none_or(|g| g.id != group_id) {
            return; // a page of a group replaced since
        }
        let keep = self.selected_row();
        let first = self.rows.push_page(page, data);
        self.view.rows_added(first, &self.rows);
        self.cursor.set_len(self.view.visible().len());
        // Rows sorted in before the selection must not move it to someone else.
        if let Some(pos) = keep.and_then(|r| self.view.position(&self.rows, r)) {
            self.cursor.select(pos);
        }
        let loaded = loaded.max(self.rows.len());
        self.load = Some(if done {
            Load::Loaded { loaded }
        } else {
            Load::Loading { loaded }
        });
        self.touch();
    }

    pub fn methods(
        &mut self,
        user: &str,
        methods: Result<Box<crate::engine::UserMethods>, String>,
        data: Option<&DataSet>,
    ) {
        if let Some(i) = self.rows.find(user) {
            self.rows.update(i, data, |r| {
                r.entra = match methods {
                    Ok(m) => EntraState::Read(m),
                    Err(e) => EntraState::Failed(e),
                }
            });
            self.touch();
        }
    }

    pub fn status(&mut self, user: &str, status: UserStatus, data: Option<&DataSet>, now: Instant) {
        let Some(i) = self.rows.find(user) else {
            return;
        };
        let dry = self.run.running && self.run.dry_run;
        if dry
            && matches!(
                status,
                UserStatus::Planned { .. } | UserStatus::Skipped { .. } | UserStatus::Failed { .. }
            )
            && self.dry_run_seen.insert(i)
        {
            self.dry_run_rows.push(i);
        }
        let mut delta: isize = 0;
        self.rows.update(i, data, |r| {
            if matches!(
                r.status,
                Some(UserStatus::Failed {
                    retryable: true,
                    ..
                })
            ) {
                delta -= 1;
            }
            if matches!(
                status,
                UserStatus::Failed {
                    retryable: true,
                    ..
                }
            ) {
                delta += 1;
            }
            if let UserStatus::Planned { plan } = &status {
                r.plan = Some(Arc::clone(plan));
            }
            r.status = Some(status);
        });
        self.failed_retryable = self.failed_retryable.saturating_add_signed(delta);
        self.view.row_changed();
        self.schedule_resort(now);
        self.touch();
    }

    pub fn run_started(&mut self, dry_run: bool, targeted: usize) {
        self.run.running = true;
        self.run.dry_run = dry_run;
        self.run.finished = None;
        self.run.progress = Progress {
            targeted,
            queued: targeted,
            ..Default::default()
        };
        if dry_run {
            self.dry_run_rows.clear();
            self.dry_run_seen.clear();
        }
    }

    pub fn run_finished(&mut self, dry_run: bool, progress: Progress, cancelled: bool) {
        self.run.running = false;
        self.run.dry_run = dry_run;
        self.run.progress = progress;
        self.run.finished = Some((dry_run, cancelled));
    }

    /// The MFA Server data arrived or changed: usernames, disabled flags, cells.
    pub fn data_changed(&mut self, data: Option<&DataSet>) {
        self.rows.rebuild_derived(data);
        self.rebuild_view();
        self.touch();
    }

    // ----------------------------------------------------------------- view upkeep

    fn schedule_resort(&mut self, now: Instant) {
        if self.view.is_stale() && self.resort_due.is_none() {
            self.resort_due = Some(now + RESORT_EVERY);
        }
    }

    /// Redo order and filter, keeping the same row selected.
    pub fn rebuild_view(&mut self) {
        let keep = self.selected_row();
        self.view.rebuild(&self.rows);
        self.reselect(keep);
    }

    fn reselect(&mut self, keep: Option<u32>) {
        self.cursor.set_len(self.view.visible().len());
        if let Some(pos) = keep.and_then(|r| self.view.position(&self.rows, r)) {
            self.cursor.select(pos);
        }
        self.touch();
    }

    pub fn set_filter(&mut self, text: &str) {
        let keep = self.selected_row();
        if self.view.set_filter(text, &self.rows) {
            self.reselect(keep);
        }
    }

    pub fn set_sort(&mut self, sort: SortKey) {
        let keep = self.selected_row();
        self.view.set_sort(sort, &self.rows);
        self.reselect(keep);
    }

    /// The earliest timer this pane waits for.
    pub fn deadline(&self) -> Option<Instant> {
        match (self.reads_due, self.resort_due) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Timers that are due: a coalesced methods read, a throttled re-sort.
    pub fn tick(&mut self, now: Instant, out: &mut Vec<Command>) {
        if self.resort_due.is_some_and(|d| d <= now) {
            self.resort_due = None;
            if self.view.is_stale() {
                self.rebuild_view();
            }
        }
        if self.reads_due.is_some_and(|d| d <= now) {
            self.reads_due = None;
            if let Some(cmd) = self.take_reads() {
                out.push(cmd);
            }
        }
    }

    /// Ask for the methods of visible rows not read yet. A new request replaces the
    /// queued part of the previous one in the engine, so rows of that one that scrolled
    /// away go back to "not read".
    fn take_reads(&mut self) -> Option<Command> {
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

    /// The rows of the table area: title, progress when a run is known, header, rows.
    fn split(&self, area: Rect) -> [Rect; 3] {
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

    /// Fit the window to `area` and format what became visible. Called after every
    /// update, before drawing; does nothing when nothing moved.
    pub fn prepare(&mut self, area: Rect, env: &Env<'_>, now: Instant) {
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
                    .map(|r| cells::format_row(i, r, &self.cols, env.data, env.theme))
            })
            .collect();
        self.window_key = Some(wkey);
        let unread = self.window.iter().any(|c| {
            self.rows
                .get(c.row)
                .is_some_and(|r| r.entra == EntraState::NotRead)
        });
        if unread && self.reads_due.is_none() {
            self.reads_due = Some(now + READ_EVERY);
        }
    }

    // ----------------------------------------------------------------- actions

    pub fn available(&self, action: Action) -> Availability {
        let empty = self.view.visible().is_empty();
        let need_rows = || {
            if empty {
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
        };
        let need_group = || match self.load() {
            Load::Loaded { .. } => Availability::Available,
            Load::Loading { loaded } => Availability::no(format!(
                "members are still loading ({} so far)",
                thousands(*loaded)
            )),
            _ => Availability::no("no migration group picked yet"),
        };
        let idle = || {
            if self.run.running {
                Availability::no(if self.run.dry_run {
                    "a dry run is in progress"
                } else {
                    "a migration is in progress"
                })
            } else {
                Availability::Available
            }
        };
        let both = |a: Availability, b: Availability| if a.is_available() { b } else { a };
        match action {
            Action::Mark | Action::MarkAll | Action::ShowDetail | Action::Sort => need_rows(),
            Action::UnmarkAll => {
                if self.rows.marked() == 0 {
                    Availability::no("no user is marked")
                } else {
                    Availability::Available
                }
            }
            Action::Plan | Action::Migrate => both(need_group(), idle()),
            Action::AutoSync => need_group(),
            Action::IncludeUnchanged => Availability::Available,
            Action::RetryFailed => {
                if self.failed_retryable == 0 {
                    Availability::no("no user failed with a retryable error")
                } else {
                    idle()
                }
            }
            Action::CancelRun => {
                if self.run.running {
                    Availability::Available
                } else {
                    Availability::no("nothing is running")
                }
            }
            Action::PickGroup => {
                if self.run.running && !self.run.dry_run {
                    Availability::no("a migration of this group is in progress")
                } else {
                    Availability::Available
                }
            }
            _ => Availability::no("not an action of the users list"),
        }
    }

    /// Marked rows, or every row when none is marked.
    pub fn scope(&self) -> (Scope, Vec<u32>) {
        if self.rows.marked() == 0 {
            (Scope::Group, (0..self.rows.len() as u32).collect())
        } else {
            let rows: Vec<u32> = (0..self.rows.len() as u32)
                .filter(|&i| self.rows.get(i).is_some_and(|r| r.marked))
                .collect();
            let ids = rows
                .iter()
                .filter_map(|&i| self.rows.get(i).map(|r| r.member.entra.id.clone()))
                .collect();
            (Scope::Users(ids), rows)
        }
    }

    pub fn blast(
        &self,
        rows: &[u32],
        data: Option<&DataSet>,
        settings: &MigrationSettings,
    ) -> Blast {
        let mut b = Blast {
            users: rows.len(),
            ..Default::default()
        };
        for &i in rows {
            let Some(row) = self.rows.get(i) else {
                continue;
            };
            match &row.member.matched {
                Match::Matched { user, .. } => {
                    b.matched += 1;
                    if data
                        .and_then(|d| d.user(*user))
                        .is_some_and(|u| u.enabled() == Known::Known(false))
                    {
                        b.disabled += 1;
                    }
                }
                Match::NotInMfaServer => b.unmatched += 1,
                Match::Conflict { .. } => b.conflicts += 1,
            }
            if matches!(row.status, Some(UserStatus::Verified)) {
                b.verified += 1;
            }
            match usable_after(row, data, settings) {
                Some(true) => {}
                Some(false) => b.no_usable += 1,
                None => b.usable_unknown += 1,
            }
            if let Some(plan) = &row.plan {
                b.planned.add(plan);
            }
        }
        b
    }

    /// Handle a list action; returns a message for the footer when there is one.
    pub fn act(&mut self, action: Action, data: Option<&DataSet>) -> Option<String> {
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
                self.set_sort(next);
                return Some(format!("sorted by {}", next.name()));
            }
            _ => {}
        }
        None
    }

    // ----------------------------------------------------------------- drawing

    pub fn render(&self, frame: &mut Frame<'_>, area: Rect, env: &Env<'_>, focused: bool) {
        let [title, prog, table] = self.split(area);
        frame.render_widget(Paragraph::new(self.title_line(env)), title);
        if prog.height > 0 {
            progress::render(frame, prog, &self.run, env);
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
            Load::Finding { query } => {
                Some(vec![Line::from(format!("Looking up group {query:?}…"))])
            }
            Load::NotFound { query } => Some(vec![
                Line::styled(format!("No group named or with id {query:?}."), t.warn()),
                Line::from(vec![
                    Span::raw("Press "),
                    Span::styled(env.key(Context::Users, Action::PickGroup), t.key()),
                    Span::raw(" to try another."),
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
                    format!("No user matches {:?}.", self.view.filter_text()),
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
                spans.push(Span::styled(g.display_name.clone(), t.title()));
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
                    self.view.filter_text(),
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
        if self.view.sort() != SortKey::Arrival {
            spans.push(sep());
            spans.push(Span::raw(format!("sort {}", self.view.sort().name())));
        }
        if self.include_unchanged {
            spans.push(sep());
            spans.push(Span::styled("+unchanged", t.warn()));
        }
        Line::from(spans)
    }
}

/// Whether the user will have a usable Entra method after a migration: the plan's
/// answer when there is a plan (`Plan::usable`, rule D3); else `Some(true)` when Entra
/// already shows one or MFA Server holds something a migration writes, `Some(false)`
/// when neither and Entra's methods are known, `None` when they are not read yet.
pub fn usable_after(
    row: &Row,
    data: Option<&DataSet>,
    settings: &MigrationSettings,
) -> Option<bool> {
    // The engine's verdict under the methods policy (the one usable-method rule).
    if let EntraState::Read(m) = &row.entra
        && let Some(u) = m.usable
        && u.any()
    {
        return Some(true);
    }
    // The planner knows best: the methods policy and what the plan registers (D3).
    if let Some(plan) = &row.plan {
        return Some(plan.has_usable_method());
    }
    if let Match::Matched { user, .. } = &row.member.matched
        && let Some(u) = data.and_then(|d| d.user(*user))
    {
        let enabled = u.enabled() != Known::Known(false) || settings.include_disabled;
        if enabled {
            if u.phone().value().is_some() || u.backup_phone().value().is_some() {
                return Some(true);
            }
            if settings.hardware_oath_available {
                if let Some(mut tokens) = u.tokens().known()
                    && tokens.any(|t| t.secret().is_some() && t.kind() == OathKind::Totp)
                {
                    return Some(true);
                }
                if settings.mobile_app == MobileAppHandling::OathAsHardwareToken
                    && let Some(mut devices) = u.devices().known()
                    && devices.any(|d| d.oath_secret().is_some())
                {
                    return Some(true);
                }
            }
        }
    }
    match &row.entra {
        // Read, and the policy known: nothing usable. Policy unknown: cannot say.
        EntraState::Read(m) if m.usable.is_some() => Some(false),
        _ => None,
    }
}

/// Skip reasons in words, for detail and plan views.
pub fn skip_text(skip: &UserSkip) -> String {
    match skip {
        UserSkip::NotInMfaServer => "not in MFA Server (M1–M3 found no user)".into(),
        UserSkip::Conflict { mfa_users } => format!(
            "conflict: {} MFA Server users match (none migrated)",
            mfa_users.len()
        ),
        UserSkip::DisabledInMfaServer { .. } => "disabled in MFA Server (M4)".into(),
        UserSkip::Unchanged { .. } => "unchanged since the last migration (C1)".into(),
    }
}
