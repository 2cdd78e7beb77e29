//! The Users tab: the migration group's members streaming in page by page, each matched
//! to its MFA Server user (M1–M4), MFA Server methods beside current Entra methods,
//! filter, sort, marks, and the state of the current dry run or migration; with its two
//! views on top, a user's detail ([`detail`]) and the plan preview ([`plan`]).
//!
//! Rows stay data ([`rows`]); [`index`] keeps the shown order; only the visible window
//! is formatted ([`cells`]) — when it changes, not per frame — and drawn. Entra methods
//! are read for the visible rows only, one coalesced request at most every
//! [`READ_EVERY`] while the admin scrolls.
//!
//! Every tenant write shows its blast radius first: `M` (and `S`) without a dry run of
//! the same users under the same settings runs one, and the confirmation opens when it
//! ends, its tier from [`crate::confirm_tier`] ([`run`]).

pub mod cells;
pub mod detail;
mod group;
pub mod index;
mod list;
pub mod notes;
pub mod plan;
pub mod rows;
mod run;
mod undo;
pub mod words;

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use tokio::time::Instant;

use self::cells::{Col, RowCells};
use self::detail::Detail;
use self::index::{SortKey, ViewIndex};
use self::notes::Notes;
use self::plan::PlanView;
use self::rows::{EntraState, Rows};
pub use self::run::{DryRun, RunState};
use crate::datafile::DataSet;
use crate::engine::{
    Command, DirectoryCommand, DirectoryEvent, Event, GroupInfo, Member, MigrationCommand,
    MigrationEvent, Reply, RequestId, Scope, UserStatus,
};
use crate::migrate::Rule;
use crate::tui::action::{Action, Availability, Context};
use crate::tui::effect::{Effects, TextAsk, TextEdit};
use crate::tui::pane::{Env, Pane};
use crate::tui::tab::Tab;
use crate::tui::widgets::{thousands, virtual_table};

pub use self::words::skip_text;

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

/// A view open on top of the list.
#[derive(Debug, Clone)]
pub enum Open {
    Detail(Detail),
    Plan,
}

/// What a request this pane sent was for (its reply is handled accordingly).
#[derive(Debug, Clone)]
enum Waiting {
    FindGroup(String),
    SearchGroups(String),
    Load,
    Refresh,
    Plan,
    Migrate,
    Retry,
    Export,
    AutoSync,
    Cancel,
    UndoPlan,
    Undo,
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
    /// The dry run whose plans the rows hold, while they still stand.
    pub dry: Option<DryRun>,
    /// Rows a migration wrote or tried to: read from Entra again when it ends.
    run_rows: Vec<u32>,
    run_seen: HashSet<u32>,
    failed_retryable: usize,
    /// A view on top of the list.
    pub open: Option<Open>,
    pub plan: PlanView,
    notes: Notes,
    waiting: HashMap<RequestId, Waiting>,
    /// Groups sharing the name looked up last (the picker's choice).
    candidates: Vec<GroupInfo>,
    /// The group picker's text, and when to search for it.
    search: String,
    search_due: Option<Instant>,
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

    pub fn row(&self, i: u32) -> Option<&rows::Row> {
        self.rows.get(i)
    }

    pub fn loaded(&self) -> bool {
        matches!(self.load(), Load::Loaded { .. })
    }

    pub fn failed_retryable(&self) -> usize {
        self.failed_retryable
    }

    /// The detail view open, if it is.
    pub fn detail(&self) -> Option<&Detail> {
        match &self.open {
            Some(Open::Detail(d)) => Some(d),
            _ => None,
        }
    }

    pub fn plan_open(&self) -> bool {
        matches!(self.open, Some(Open::Plan))
    }

    // ----------------------------------------------------------------- engine events

    /// The engine began loading `group`'s members. The same group again (a sync cycle,
    /// a refresh) keeps its rows, marks and selection, and pages update them in place;
    /// another group starts afresh.
    pub fn loading(&mut self, group: GroupInfo) {
        if self.group.as_ref().is_some_and(|g| g.id == group.id) {
            self.load = Some(Load::Loading {
                loaded: self.rows.len(),
            });
            self.group = Some(group);
            // Members may have changed: plans of the last dry run no longer stand.
            self.dry = None;
            self.touch();
        } else {
            self.begin(group);
        }
    }

    /// Start on `group`: everything of the previous group goes, its run line too.
    pub fn begin(&mut self, group: GroupInfo) {
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
        self.run_rows.clear();
        self.run_seen.clear();
        self.dry = None;
        self.failed_retryable = 0;
        self.last_read.clear();
        self.reads_due = None;
        self.open = None;
        self.plan = PlanView::default();
        self.run = RunState {
            auto_sync: self.run.auto_sync,
            auto_sync_next: self.run.auto_sync_next,
            running: self.run.running,
            dry_run: self.run.dry_run,
            ..Default::default()
        };
        self.touch();
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
        if !dry
            && matches!(
                status,
                UserStatus::Writing { .. }
                    | UserStatus::Verified
                    | UserStatus::Mismatch { .. }
                    | UserStatus::Failed { .. }
            )
            && self.run_seen.insert(i)
        {
            self.run_rows.push(i);
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

    /// The MFA Server data arrived or changed: usernames, disabled flags, notes, cells.
    pub fn data_changed(&mut self, data: Option<&DataSet>) {
        self.rows.rebuild_derived(data);
        self.notes = Notes::of(data);
        self.dry = None;
        self.rebuild_view();
        self.touch();
    }

    /// A run ended: users it wrote are read from Entra again (ENTRA DEF and the detail
    /// view must not show the state before it).
    fn reread_written(&mut self, env: &Env<'_>, fx: &mut Effects) {
        let rows = std::mem::take(&mut self.run_rows);
        self.run_seen.clear();
        if rows.is_empty() {
            return;
        }
        for &i in &rows {
            self.rows.update(i, None, |r| r.entra = EntraState::NotRead);
        }
        self.last_read.clear();
        self.touch();
        if let Some(Open::Detail(d)) = &self.open {
            let r = d.row;
            if let Some(cmd) = self.read_one(r) {
                fx.send(env, cmd);
            }
        }
        self.reads_due.get_or_insert(env.instant + READ_EVERY);
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
        self.view
            .set_order(sort, self.view.descending(), &self.rows);
        self.reselect(keep);
    }

    /// Sort by `key` (none: the current one), descending or not; the footer's message.
    pub fn sort_by(&mut self, key: Option<SortKey>, desc: bool) -> String {
        let keep = self.selected_row();
        let key = key.unwrap_or(self.view.sort());
        self.view.set_order(key, desc, &self.rows);
        self.reselect(keep);
        format!(
            "sorted by {}{}",
            key.name(),
            if desc { ", descending" } else { "" }
        )
    }

    // ----------------------------------------------------------------- actions

    fn need_group(&self) -> Availability {
        match self.load() {
            Load::Loaded { .. } => Availability::Available,
            Load::Loading { loaded } => Availability::no(format!(
                "members are still loading ({} so far)",
                thousands(*loaded)
            )),
            _ if self.group.is_some() => Availability::Available,
            _ => Availability::no("no migration group picked yet"),
        }
    }

    fn idle(&self) -> Availability {
        if self.run.running {
            Availability::no(if self.run.dry_run {
                "a dry run is in progress"
            } else {
                "a migration is in progress"
            })
        } else {
            Availability::Available
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

    fn open_detail(&mut self, env: &Env<'_>, fx: &mut Effects) {
        if let Some(i) = self.selected_row() {
            if let Some(cmd) = self.read_one(i) {
                fx.send(env, cmd);
            }
            self.open = Some(Open::Detail(Detail::new(i)));
        }
    }

    /// The next (`forward`) or previous user of the list, in its shown order.
    fn step_detail(&mut self, forward: bool, env: &Env<'_>, fx: &mut Effects) {
        let Some(Open::Detail(d)) = &self.open else {
            return;
        };
        let Some(pos) = self.view.position(&self.rows, d.row) else {
            return;
        };
        let next = if forward {
            pos + 1
        } else {
            pos.saturating_sub(1)
        };
        if let Some(&r) = self.view.visible().get(next) {
            self.cursor.select(next);
            if let Some(Open::Detail(d)) = &mut self.open {
                d.show(r);
            }
            if let Some(cmd) = self.read_one(r) {
                fx.send(env, cmd);
            }
        }
    }

    fn ask_filter(&self, fx: &mut Effects) {
        let (field, current) = match self.open {
            Some(Open::Plan) => ("plan-filter", self.plan.filter().to_string()),
            _ => ("filter", self.view.filter_text().to_string()),
        };
        fx.ask(TextAsk {
            field,
            label: "/".into(),
            initial: current,
            live: true,
        });
    }

    /// Where the "must re-register the app" list goes unless the admin names a path.
    pub fn default_export_path(env: &Env<'_>) -> PathBuf {
        let stamp = env.now.format("%Y%m%d-%H%M%S");
        env.export_dir
            .join(format!("must-reregister-app-{stamp}.csv"))
    }

    /// Export the "must re-register the app" list (`ctrl+s`, `:export`).
    pub fn export(&mut self, path: Option<String>, env: &Env<'_>) -> Effects {
        let mut fx = Effects::none();
        let path = path
            .map(|p| PathBuf::from(p.trim()))
            .unwrap_or_else(|| Self::default_export_path(env));
        let id = fx.send(
            env,
            Command::Migration(MigrationCommand::ExportReregister { path: path.clone() }),
        );
        self.waiting.insert(id, Waiting::Export);
        fx.info(format!("exporting to {}…", path.display()));
        fx
    }

    fn refresh(&mut self, env: &Env<'_>) -> Effects {
        let mut fx = Effects::none();
        if let Some(g) = &self.group {
            let id = fx.send(
                env,
                Command::Directory(DirectoryCommand::LoadMembers {
                    group_id: g.id.clone(),
                }),
            );
            self.waiting.insert(id, Waiting::Refresh);
            // Entra methods are read again too, as rows come into view.
            for i in 0..self.rows.len() as u32 {
                self.rows.update(i, None, |r| r.entra = EntraState::NotRead);
            }
            self.last_read.clear();
            self.touch();
            fx.info("reloading members and their methods from the tenant; marks are kept");
        }
        fx
    }
}

impl Pane for UsersPane {
    fn tab(&self) -> Tab {
        Tab::Users
    }

    fn stack(&self) -> &'static [Context] {
        match self.open {
            None => Context::Users.stack(),
            Some(Open::Plan) => Context::Plan.stack(),
            Some(Open::Detail(_)) => Context::Detail.stack(),
        }
    }

    fn view_name(&self) -> Option<&'static str> {
        match self.open {
            None => None,
            Some(Open::Plan) => Some("plan preview"),
            Some(Open::Detail(_)) => Some("detail"),
        }
    }

    fn available(&self, action: Action, env: &Env<'_>) -> Availability {
        use Action as A;
        let both = |a: Availability, b: Availability| if a.is_available() { b } else { a };
        let stopped = || {
            if env.engine_stopped {
                Availability::no("the engine stopped")
            } else {
                Availability::Available
            }
        };
        match action {
            A::MoveUp | A::MoveDown | A::PageUp | A::PageDown | A::Top | A::Bottom => {
                match &self.open {
                    Some(Open::Detail(_)) => Availability::Available,
                    Some(Open::Plan) if self.plan.scroll.len == 0 => {
                        Availability::no("the plan preview is empty")
                    }
                    Some(Open::Plan) => Availability::Available,
                    None => self.need_rows(),
                }
            }
            A::Open => match &self.open {
                None => self.need_rows(),
                Some(_) => Availability::no("nothing to open here: long text wraps"),
            },
            A::Filter => match &self.open {
                Some(Open::Detail(_)) => Availability::no("nothing to filter in a detail view"),
                Some(Open::Plan) if self.dry_run_rows.is_empty() => {
                    Availability::no("no dry-run result to filter yet")
                }
                Some(Open::Plan) => Availability::Available,
                None if self.rows.is_empty() => Availability::no("no users to filter yet"),
                None => Availability::Available,
            },
            A::Back => match &self.open {
                Some(_) => Availability::Available,
                None if self.view.is_filtered() => Availability::Available,
                None => Availability::no("nothing to go back to"),
            },
            A::NextUser | A::PrevUser => match &self.open {
                Some(Open::Detail(d)) => {
                    let pos = self.view.position(&self.rows, d.row);
                    let end = if action == A::NextUser {
                        pos.is_none_or(|p| p + 1 >= self.view.visible().len())
                    } else {
                        pos.is_none_or(|p| p == 0)
                    };
                    if end {
                        Availability::no(if action == A::NextUser {
                            "this is the last user of the list"
                        } else {
                            "this is the first user of the list"
                        })
                    } else {
                        Availability::Available
                    }
                }
                _ => Availability::no("only in a user's detail view"),
            },
            A::Refresh => {
                if env.engine_stopped {
                    Availability::no("the engine stopped")
                } else if self.group.is_none() {
                    Availability::no("no migration group picked yet")
                } else if self.run.running && !self.run.dry_run {
                    Availability::no("a migration is in progress")
                } else {
                    Availability::Available
                }
            }
            A::Export => both(stopped(), self.need_group()),
            A::Mark | A::MarkAll | A::ShowDetail | A::Sort | A::ReverseSort => self.need_rows(),
            A::UnmarkAll => {
                if self.rows.marked() == 0 {
                    Availability::no("no user is marked")
                } else {
                    Availability::Available
                }
            }
            A::Plan => both(stopped(), both(self.need_group(), self.idle())),
            A::Migrate => both(self.need_group(), self.idle()),
            A::AutoSync => self.need_group(),
            A::IncludeUnchanged => Availability::Available,
            A::RetryFailed => {
                if self.failed_retryable == 0 {
                    Availability::no("no user failed with a retryable error")
                } else {
                    self.idle()
                }
            }
            A::Undo => both(stopped(), self.undo_available()),
            A::CancelRun => {
                if env.engine_stopped {
                    Availability::no("the engine stopped")
                } else if self.run.running {
                    Availability::Available
                } else {
                    Availability::no("nothing is running")
                }
            }
            A::PickGroup => {
                if env.engine_stopped {
                    Availability::no("the engine stopped")
                } else if self.run.running && !self.run.dry_run {
                    Availability::no("a migration of this group is in progress")
                } else {
                    Availability::Available
                }
            }
            _ => Availability::no("not an action of the users tab"),
        }
    }

    fn dispatch(&mut self, action: Action, env: &Env<'_>) -> Effects {
        use Action as A;
        let mut fx = Effects::none();
        match action {
            A::MoveUp | A::MoveDown | A::PageUp | A::PageDown | A::Top | A::Bottom => {
                let delta = |h: usize| -> isize {
                    let h = h.max(1) as isize;
                    match action {
                        A::MoveUp => -1,
                        A::MoveDown => 1,
                        A::PageUp => -h,
                        A::PageDown => h,
                        A::Top => isize::MIN / 2,
                        _ => isize::MAX / 2,
                    }
                };
                match &mut self.open {
                    Some(Open::Detail(d)) => {
                        let h = d.scroll.height;
                        d.scroll_by(delta(h));
                    }
                    Some(Open::Plan) => {
                        let h = self.plan.scroll.height;
                        self.plan.scroll_by(delta(h));
                    }
                    None => {
                        self.list_action(action, env.data);
                    }
                }
            }
            A::Open | A::ShowDetail => self.open_detail(env, &mut fx),
            A::NextUser => self.step_detail(true, env, &mut fx),
            A::PrevUser => self.step_detail(false, env, &mut fx),
            A::Filter => self.ask_filter(&mut fx),
            A::Back => match self.open {
                Some(_) => self.open = None,
                None => self.set_filter(""),
            },
            A::Mark
            | A::MarkAll
            | A::UnmarkAll
            | A::IncludeUnchanged
            | A::Sort
            | A::ReverseSort => {
                if let Some(msg) = self.list_action(action, env.data) {
                    fx.info(msg);
                }
            }
            A::Refresh => fx.extend(self.refresh(env)),
            A::Export => {
                fx.ask(TextAsk {
                    field: "export",
                    label: "Export to: ".into(),
                    initial: Self::default_export_path(env).display().to_string(),
                    live: false,
                });
                fx.push(crate::tui::effect::Effect::Suggest {
                    field: "export",
                    items: Vec::new(),
                    note: Some(
                        "The \"must re-register the app\" list (CSV) of every member the \
                         store knows must re-register: enter writes it, esc cancels"
                            .into(),
                    ),
                });
            }
            A::Plan => fx.extend(self.plan_action(env)),
            A::Migrate => fx.extend(self.migrate_action(env)),
            A::AutoSync => fx.extend(self.auto_sync_action(env)),
            A::RetryFailed => fx.extend(self.retry_action(env)),
            A::Undo => fx.extend(self.undo_action(env)),
            A::CancelRun => {
                let id = fx.send(env, Command::Migration(MigrationCommand::Cancel));
                self.waiting.insert(id, Waiting::Cancel);
                fx.info("cancelling: queued work stops, writes in flight finish");
            }
            A::PickGroup => fx.ask(TextAsk {
                field: "group",
                label: "Migration group (name or object id): ".into(),
                initial: String::new(),
                live: true,
            }),
            _ => {}
        }
        fx
    }

    fn on_event(&mut self, event: &Event, env: &Env<'_>) -> Effects {
        let mut fx = Effects::none();
        let data = env.data;
        match event {
            Event::Data(_) => self.data_changed(data),
            Event::Directory(DirectoryEvent::Loading { group }) => self.loading(group.clone()),
            Event::Directory(DirectoryEvent::Members {
                group_id,
                page,
                loaded,
                done,
            }) => self.members(group_id, page.clone(), *loaded, *done, data),
            Event::Directory(DirectoryEvent::Methods { user, methods }) => {
                self.methods(user, methods.clone(), data)
            }
            Event::Migration(m) => self.on_migration(m, env, &mut fx),
            _ => {}
        }
        fx
    }

    fn on_reply(&mut self, reply: &Reply, env: &Env<'_>) -> Effects {
        let mut fx = Effects::none();
        let Some(w) = self.waiting.remove(&reply.request) else {
            if let Err(e) = &reply.outcome {
                fx.error(e.to_string());
            }
            return fx;
        };
        self.on_answer(w, reply, env, &mut fx);
        fx
    }

    fn on_text(&mut self, field: &str, edit: TextEdit<'_>, env: &Env<'_>) -> Effects {
        let mut fx = Effects::none();
        match (field, edit) {
            ("filter", TextEdit::Changed(v)) => self.set_filter(v),
            ("filter", TextEdit::Cancelled) => self.set_filter(""),
            ("plan-filter", TextEdit::Changed(v)) => self.plan.set_filter(v),
            ("plan-filter", TextEdit::Cancelled) => self.plan.set_filter(""),
            ("export", TextEdit::Submitted(p)) if !p.trim().is_empty() => {
                fx.extend(self.export(Some(p.to_string()), env))
            }
            ("group", TextEdit::Changed(v)) => fx.extend(self.group_typed(v, env)),
            ("group", TextEdit::Submitted(v)) => {
                self.search_due = None;
                let q = v.trim();
                if !q.is_empty() {
                    fx.extend(self.find_group(q.to_string(), env));
                }
            }
            ("group", TextEdit::Cancelled) => self.search_due = None,
            ("group-pick", TextEdit::Submitted(id)) => {
                if let Some(g) = self.candidates.iter().find(|g| g.id == id).cloned() {
                    fx.extend(self.load_group(g, env));
                }
            }
            _ => {}
        }
        fx
    }

    fn prepare(&mut self, area: Rect, env: &Env<'_>) {
        match &mut self.open {
            None => self.prepare_list(area, env),
            Some(Open::Detail(d)) => {
                if let Some(row) = self.rows.get(d.row) {
                    d.fit(row, &self.notes, env, area);
                }
            }
            Some(Open::Plan) => {
                let inner = ratatui::widgets::Block::default()
                    .borders(ratatui::widgets::Borders::TOP)
                    .inner(area);
                self.plan
                    .update(&self.rows, &self.dry_run_rows, env, inner.width);
                self.plan.fit(inner);
            }
        }
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, env: &Env<'_>, focused: bool) {
        match &self.open {
            None => self.render_list(frame, area, env, focused),
            Some(Open::Detail(d)) => match self.rows.get(d.row) {
                Some(row) => d.render(frame, area, row, env),
                None => frame.render_widget(Paragraph::new("That user is no longer loaded."), area),
            },
            Some(Open::Plan) => {
                let running = (self.run.running && self.run.dry_run)
                    .then_some((self.run.progress.done, self.run.progress.targeted));
                self.plan.render(
                    frame,
                    area,
                    &self.rows,
                    !self.dry_run_rows.is_empty(),
                    running,
                    env,
                )
            }
        }
    }

    fn hints(&self) -> Vec<Action> {
        use Action as A;
        match self.open {
            None => vec![
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
            Some(Open::Plan) => vec![
                A::Back,
                A::Filter,
                A::PageDown,
                A::Migrate,
                A::CancelRun,
                A::Help,
            ],
            Some(Open::Detail(_)) => vec![A::Back, A::NextUser, A::PrevUser, A::MoveDown, A::Help],
        }
    }

    fn help(&self, env: &Env<'_>) -> Vec<Line<'static>> {
        let t = env.theme;
        let mut lines = vec![Line::styled("Users: columns and words", t.heading())];
        let word = |w: &str, what: &str| {
            Line::from(vec![
                Span::styled(format!("  {w:<18}"), t.key()),
                Span::raw(what.to_string()),
            ])
        };
        for (w, what) in [
            (
                "MATCH",
                "how the Entra member found its MFA Server user: M1 upn, M2 sid, M3 attr",
            ),
            (
                "  M2 sid, M3 attr",
                "the UPN differs from MFA Server's: check the plan preview and the detail view",
            ),
            ("unmatched", "no MFA Server user: nothing to migrate"),
            ("conflict", "two MFA Server users match: none is migrated"),
            (
                "disabled",
                "disabled in MFA Server: skipped unless include_disabled (M4)",
            ),
            (
                "MFA DEF, ENTRA DEF",
                "the default method on each side, in the same words: call, call alt, call \
                 office, text, app, oath (the detail view gives the Graph value)",
            ),
            (
                "ENTRA PHONE [+N]",
                "N more phones in Entra than the one shown: the detail view lists them",
            ),
            ("✓ verified", "written and read back as planned (C4)"),
            ("≠ mismatch", "read back differently from the plan (C4)"),
            ("✗ failed", "a write failed; ·retry means R can retry it"),
            (
                "skip unmatched",
                "not in MFA Server; skip unchanged: verified earlier, unchanged since (C1)",
            ),
            (
                "?",
                "the input does not carry this field (not the same as none)",
            ),
            (
                "? see notes",
                "the file carried a value that could not be read: :problems lists all, the \
                 detail view the user's own",
            ),
            ("—", "none"),
            (
                "…",
                "not read yet; at the end of a value: cut, enter or d shows it",
            ),
            ("✓ (first column)", "marked"),
        ] {
            lines.push(word(w, what));
        }
        lines.push(Line::raw(
            "  Filter words: matched unmatched conflict disabled marked queued planned",
        ));
        lines.push(Line::raw(
            "  skipped writing verified mismatch failed unchanged reregister",
        ));
        lines.push(Line::raw(""));
        lines.push(Line::styled("Migration rules", t.heading()));
        for r in Rule::ALL {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<4}", r.to_string()), t.key()),
                Span::raw(r.summary()),
            ]));
        }
        lines
    }

    fn deadline(&self) -> Option<Instant> {
        [self.reads_due, self.resort_due, self.search_due]
            .into_iter()
            .flatten()
            .min()
    }

    /// Timers that are due: a coalesced methods read, a throttled re-sort, the group
    /// picker's search.
    fn tick(&mut self, env: &Env<'_>) -> Effects {
        let now = env.instant;
        let mut fx = Effects::none();
        if self.resort_due.is_some_and(|d| d <= now) {
            self.resort_due = None;
            if self.view.is_stale() {
                self.rebuild_view();
            }
        }
        if self.reads_due.is_some_and(|d| d <= now) {
            self.reads_due = None;
            if let Some(cmd) = self.take_reads() {
                fx.send(env, cmd);
            }
        }
        if self.search_due.is_some_and(|d| d <= now) {
            self.search_due = None;
            fx.extend(self.search_groups(env));
        }
        fx
    }

    fn in_flight(&self) -> Option<String> {
        (self.run.running && !self.run.dry_run).then(|| {
            let p = &self.run.progress;
            format!(
                "A migration is running: {}/{} done, {} queued.",
                thousands(p.done),
                thousands(p.targeted),
                thousands(p.queued)
            )
        })
    }
}

impl UsersPane {
    fn on_migration(&mut self, m: &MigrationEvent, env: &Env<'_>, fx: &mut Effects) {
        let data = env.data;
        match m {
            MigrationEvent::Started { dry_run, targeted } => {
                self.run.started(*dry_run, *targeted, env.instant);
                if *dry_run {
                    self.dry_run_rows.clear();
                    self.dry_run_seen.clear();
                    self.plan = PlanView::default();
                } else {
                    // A migration changes what the last dry run planned against.
                    self.dry = None;
                    self.run_rows.clear();
                    self.run_seen.clear();
                    if self.waiting.values().any(|w| matches!(w, Waiting::Migrate))
                        && matches!(self.open, Some(Open::Plan))
                    {
                        self.open = None;
                    }
                }
            }
            MigrationEvent::UserStatus { user, status } => {
                self.status(user, status.clone(), data, env.instant);
            }
            MigrationEvent::Progress(p) => self.run.progressed(p.clone(), env.instant),
            MigrationEvent::Finished(end) => {
                self.run
                    .finished(end.dry_run, end.progress.clone(), end.cancelled);
                if !end.dry_run {
                    self.reread_written(env, fx);
                }
            }
            MigrationEvent::AutoSync { next_run } => {
                self.run.auto_sync = next_run.is_some();
                self.run.auto_sync_next = *next_run;
            }
            MigrationEvent::Reconciled(_) => {}
        }
    }
}
