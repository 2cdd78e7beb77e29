//! The application state and `update`: engine events and keys in, commands out.
//!
//! A key becomes an [`Action`] through the keymap of the focused context; every action
//! goes through [`App::available`] (the same answer the footer, help and actions menu
//! show) and, for tenant changes, a confirmation of the action's tier. Commands for the
//! engine are queued in `outbox`; the runtime sends them. Nothing here blocks, awaits
//! or does I/O.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ratatui::crossterm::event::{Event as TermEvent, KeyEvent, KeyEventKind};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use tokio::time::Instant;

use super::action::{Action, Availability, Context, Group, Tier};
use super::clock::Clock;
use super::keymap::{Key, Keymap};
use super::panes::Env;
use super::panes::activity::ActivityLog;
use super::panes::detail::Detail;
use super::panes::later::Tab;
use super::panes::plan::PlanView;
use super::panes::settings::{self, Change, Field, SettingsPane};
use super::panes::thousands;
use super::panes::users::UsersPane;
use super::theme::Theme;
use super::widgets::command_line::{self, Cmd, CommandLine};
use super::widgets::confirm::{Confirm, Focus, Pending};
use super::widgets::menu::{Menu, MenuItem, Scroll};
use super::widgets::plural;
use super::widgets::text_input::{Edit, TextInput};
use crate::datafile::DataSet;
use crate::engine::{
    Answer, Command, DirectoryCommand, DirectoryEvent, EngineError, EngineLoad, Event, GroupInfo,
    MigrationCommand, MigrationEvent, Reply, Request, RequestId, RequestIds, Scope, SessionInfo,
};
use crate::migrate::{MigrationSettings, Rule};

/// How long a footer message stays.
const FLASH: Duration = Duration::from_secs(6);
/// The header's token countdown is refreshed this often while signed in.
const HEADER_REFRESH: Duration = Duration::from_secs(30);

/// Everything the app is started with.
#[derive(Debug, Clone)]
pub struct AppOptions {
    pub keymap: Keymap,
    pub theme: Theme,
    pub clock: Clock,
    pub settings: MigrationSettings,
    pub sync_interval: Duration,
    /// `production = true` in the config: red frame, tier 2 for every migration.
    pub production: bool,
    /// The migration group from the config, looked up at start.
    pub group: Option<String>,
    pub log_path: Option<PathBuf>,
    /// Where exports go unless the admin names a path.
    pub export_dir: PathBuf,
    pub config_file: Option<PathBuf>,
    /// Runs over this many users ask for the count to be typed (tier 2).
    pub large_run: usize,
    /// Lines about this session that help shows (the demo: what is simulated).
    pub about: Vec<String>,
}

impl AppOptions {
    pub fn new(keymap: Keymap) -> AppOptions {
        AppOptions {
            keymap,
            theme: Theme::from_env(),
            clock: Clock::System,
            settings: MigrationSettings::default(),
            sync_interval: Duration::from_secs(15 * 60),
            production: false,
            group: None,
            log_path: None,
            export_dir: PathBuf::from("."),
            config_file: None,
            large_run: 500,
            about: Vec::new(),
        }
    }
}

/// One input to `update`.
#[derive(Debug, Clone)]
pub enum Msg {
    Engine(Event),
    Terminal(TermEvent),
    /// A timer the app asked for is due.
    Tick,
}

/// Views opened on top of a tab.
#[derive(Debug, Clone)]
pub enum View {
    Detail(Detail),
    Plan,
    Activity,
    Settings,
}

#[derive(Debug, Clone)]
pub enum Modal {
    Help(Scroll),
    Actions(Menu<Action>),
    Groups(Menu<GroupInfo>),
    Confirm(Box<Confirm>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterTarget {
    Users,
    Activity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Group,
    Setting(Field),
}

/// A text field taking the keyboard.
#[derive(Debug, Clone)]
pub enum InputLine {
    Filter {
        target: FilterTarget,
        input: TextInput,
    },
    Command(CommandLine),
    Prompt {
        kind: PromptKind,
        input: TextInput,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone)]
pub struct Flash {
    pub text: String,
    pub level: Level,
    /// `None`: stays (the engine stopped).
    pub until: Option<Instant>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuitState {
    Running,
    /// `Shutdown` sent; waiting for `Stopped`.
    Stopping,
    Done,
}

/// The whole TUI state.
pub struct App {
    pub(crate) opts: AppOptions,
    pub(crate) size: Rect,
    pub(crate) session: Option<SessionInfo>,
    pub(crate) data: Option<Arc<DataSet>>,
    pub(crate) load: EngineLoad,
    pub(crate) read_only: bool,
    pub(crate) header: bool,
    pub(crate) tab: Tab,
    pub(crate) view: Option<View>,
    pub(crate) modal: Option<Modal>,
    pub(crate) input: Option<InputLine>,
    pub users: UsersPane,
    pub(crate) plan: PlanView,
    pub activity: ActivityLog,
    pub(crate) settings_pane: SettingsPane,
    pub settings: MigrationSettings,
    pub(crate) sync_interval: Duration,
    pub(crate) flash: Option<Flash>,
    pub last_error: Option<EngineError>,
    pub(crate) engine_stopped: bool,
    pub(crate) quit: QuitState,
    pub(crate) outbox: Vec<Request>,
    ids: RequestIds,
    /// Requests whose answer the app acts on.
    waiting: std::collections::HashMap<RequestId, Waiting>,
    pub(crate) dirty: bool,
    /// The change came from the keyboard: draw without waiting for the frame interval.
    pub(crate) urgent: bool,
    header_due: Option<Instant>,
}

/// What the app waits to hear back about.
#[derive(Debug, Clone)]
enum Waiting {
    /// A group look-up (`:group`, the picker, the config's group).
    FindGroup(String),
}

impl App {
    pub fn new(opts: AppOptions, size: Rect) -> App {
        let settings = opts.settings.clone();
        let sync_interval = opts.sync_interval;
        let mut app = App {
            opts,
            size,
            session: None,
            data: None,
            load: EngineLoad::default(),
            read_only: false,
            header: true,
            tab: Tab::Users,
            view: None,
            modal: None,
            input: None,
            users: UsersPane::new(),
            plan: PlanView::default(),
            activity: ActivityLog::default(),
            settings_pane: SettingsPane::new(),
            settings,
            sync_interval,
            flash: None,
            last_error: None,
            engine_stopped: false,
            quit: QuitState::Running,
            outbox: Vec::new(),
            ids: RequestIds::default(),
            waiting: std::collections::HashMap::new(),
            dirty: true,
            urgent: false,
            header_due: None,
        };
        if let Some(group) = app.opts.group.clone() {
            app.find_group(group);
        }
        app
    }

    /// Requests waiting to be sent, oldest first.
    pub fn take_requests(&mut self) -> Vec<Request> {
        std::mem::take(&mut self.outbox)
    }

    /// Stamp requests with the engine client's ids. Requests queued before (the
    /// configured group's look-up, at start) are stamped again, and what the app waits
    /// for follows them.
    pub fn set_request_ids(&mut self, ids: RequestIds) {
        self.ids = ids;
        for req in &mut self.outbox {
            let new = self.ids.next();
            if let Some(w) = self.waiting.remove(&req.id) {
                self.waiting.insert(new, w);
            }
            req.id = new;
        }
    }

    /// `command` stamped with the next request id, not queued.
    pub fn request(&self, command: Command) -> Request {
        self.ids.request(command)
    }

    /// Queue a command for the engine; its request id.
    pub(crate) fn send(&mut self, command: Command) -> RequestId {
        let req = self.ids.request(command);
        let id = req.id;
        self.outbox.push(req);
        id
    }

    pub fn has_commands(&self) -> bool {
        !self.outbox.is_empty()
    }

    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Whether the pending change came from the admin (keys, resize).
    pub fn is_urgent(&self) -> bool {
        self.urgent
    }

    pub fn drawn(&mut self) {
        self.dirty = false;
        self.urgent = false;
    }

    /// The engine's event channel closed.
    pub fn engine_gone(&mut self, now: Instant) {
        if !self.engine_stopped {
            self.on_engine(Event::Stopped, now);
        }
        self.dirty = true;
    }

    pub fn quit_state(&self) -> QuitState {
        self.quit
    }

    pub fn tab(&self) -> Tab {
        self.tab
    }

    pub fn view(&self) -> Option<&View> {
        self.view.as_ref()
    }

    pub fn modal(&self) -> Option<&Modal> {
        self.modal.as_ref()
    }

    pub fn flash_text(&self) -> Option<&str> {
        self.flash.as_ref().map(|f| f.text.as_str())
    }

    pub fn env(&self) -> Env<'_> {
        Env {
            theme: &self.opts.theme,
            keymap: &self.opts.keymap,
            data: self.data.as_deref(),
            settings: &self.settings,
            now: self.opts.clock.now(),
        }
    }

    /// The earliest timer due.
    pub fn deadline(&self) -> Option<Instant> {
        [
            self.users.deadline(),
            self.flash.as_ref().and_then(|f| f.until),
            self.header_due,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn say(&mut self, level: Level, text: impl Into<String>, now: Instant) {
        let text = text.into();
        match level {
            Level::Error => tracing::error!("{text}"),
            Level::Warn => tracing::warn!("{text}"),
            Level::Info => tracing::info!("{text}"),
        }
        self.flash = Some(Flash {
            text,
            level,
            until: Some(
                now + if level == Level::Error {
                    FLASH * 2
                } else {
                    FLASH
                },
            ),
        });
    }

    // ------------------------------------------------------------------ update

    pub fn update(&mut self, msg: Msg, now: Instant) {
        let is_input = matches!(msg, Msg::Terminal(_));
        let changed = match msg {
            Msg::Engine(ev) => {
                self.on_engine(ev, now);
                true
            }
            Msg::Terminal(TermEvent::Key(k)) => self.on_key(k, now),
            Msg::Terminal(TermEvent::Resize(w, h)) => {
                self.size = Rect::new(0, 0, w, h);
                true
            }
            Msg::Terminal(TermEvent::FocusGained) => true,
            Msg::Terminal(_) => false,
            Msg::Tick => self.on_tick(now),
        };
        if changed {
            self.dirty = true;
            self.urgent |= is_input;
            self.prepare(now);
        }
    }

    fn on_tick(&mut self, now: Instant) -> bool {
        let mut changed = false;
        if self.users.deadline().is_some_and(|d| d <= now) {
            let mut cmds = Vec::new();
            self.users.tick(now, &mut cmds);
            for c in cmds {
                self.send(c);
            }
            changed = true;
        }
        if self
            .flash
            .as_ref()
            .and_then(|f| f.until)
            .is_some_and(|u| u <= now)
        {
            self.flash = None;
            changed = true;
        }
        if self.header_due.is_some_and(|d| d <= now) {
            self.header_due = Some(now + HEADER_REFRESH);
            changed = true;
        }
        changed
    }

    fn on_engine(&mut self, ev: Event, now: Instant) {
        match ev {
            Event::Session(info) => {
                if let Some(why) = info.capabilities.can_migrate().why() {
                    self.say(Level::Warn, format!("READ-ONLY: {why}"), now);
                }
                self.session = Some(*info);
                self.header_due = Some(now + HEADER_REFRESH);
            }
            Event::DeviceCode(p) => {
                self.flash = Some(Flash {
                    text: format!(
                        "To sign in, open {} and enter the code {} (valid until {})",
                        p.verification_uri,
                        p.user_code,
                        p.expires_at.format("%H:%M UTC")
                    ),
                    level: Level::Warn,
                    until: None,
                });
            }
            Event::Reply(r) => self.on_reply(r, now),
            // The Rollout and Federation panes read these (they come next).
            Event::Cutover(_) => {}
            Event::Data(ds) => {
                self.users.data_changed(Some(&ds));
                self.data = Some(ds);
            }
            Event::Activity(rec) => self.activity.push(rec),
            Event::Load(l) => self.load = l,
            Event::Directory(d) => self.on_directory(d, now),
            Event::Migration(m) => self.on_migration(m, now),
            Event::Error(e) => {
                self.say(Level::Error, format!("{}: {}", e.context, e.message), now);
                self.last_error = Some(e);
            }
            Event::Stopped => {
                self.engine_stopped = true;
                if self.quit == QuitState::Stopping {
                    self.quit = QuitState::Done;
                } else {
                    tracing::error!("the engine stopped");
                    self.flash = Some(Flash {
                        text: "The engine stopped: nothing more can be read or written. Quit and see the log.".into(),
                        level: Level::Error,
                        until: None,
                    });
                }
            }
        }
    }

    fn on_reply(&mut self, r: Reply, now: Instant) {
        let waiting = self.waiting.remove(&r.request);
        match (waiting, r.outcome) {
            (Some(Waiting::FindGroup(query)), Ok(Answer::Groups(groups))) => {
                self.groups_found(query, groups, now)
            }
            (Some(Waiting::FindGroup(query)), Err(e)) => {
                self.users.not_found(query);
                self.say(Level::Error, e.to_string(), now);
            }
            (_, Ok(Answer::Exported { path, users })) => {
                self.say(
                    Level::Info,
                    format!("wrote {} users to {}", thousands(users), path.display()),
                    now,
                );
                self.users.run.exported = Some((path, users));
            }
            (_, Err(e)) => {
                tracing::warn!(request = %r.request, "refused: {e}");
                self.say(Level::Error, e.to_string(), now);
            }
            (_, Ok(_)) => {}
        }
    }

    fn groups_found(&mut self, query: String, mut groups: Vec<GroupInfo>, now: Instant) {
        match groups.len() {
            0 => {
                self.say(
                    Level::Warn,
                    format!("no group named or with id {query:?}"),
                    now,
                );
                self.users.not_found(query);
            }
            1 => {
                if let Some(g) = groups.pop() {
                    self.load_group(g);
                }
            }
            _ => {
                let candidates = groups;
                let items = candidates
                    .into_iter()
                    .map(|g| MenuItem {
                        key: String::new(),
                        label: format!(
                            "{}{}  {}",
                            g.display_name,
                            if g.dynamic { " (dynamic)" } else { "" },
                            g.id
                        ),
                        unavailable: None,
                        value: g,
                    })
                    .collect();
                self.modal = Some(Modal::Groups(Menu::new(
                    format!("Several groups are named {query:?}: pick one"),
                    items,
                )));
            }
        }
    }

    /// Load a group's members into the users pane.
    fn load_group(&mut self, g: GroupInfo) {
        self.close_row_views();
        let cmd = self.users.begin(g);
        self.send(cmd);
    }

    fn on_directory(&mut self, d: DirectoryEvent, _now: Instant) {
        let data = self.data.clone();
        let data = data.as_deref();
        match d {
            DirectoryEvent::Loading { group } => self.users.loading(group),
            DirectoryEvent::Members {
                group_id,
                page,
                loaded,
                done,
            } => self.users.members(&group_id, page, loaded, done, data),
            DirectoryEvent::Methods { user, methods } => self.users.methods(&user, methods, data),
        }
    }

    fn on_migration(&mut self, m: MigrationEvent, now: Instant) {
        let data = self.data.clone();
        match m {
            MigrationEvent::Started { dry_run, targeted } => {
                self.users.run_started(dry_run, targeted);
                if dry_run {
                    self.plan = PlanView::default();
                }
            }
            MigrationEvent::UserStatus { user, status } => {
                self.users.status(&user, status, data.as_deref(), now);
            }
            MigrationEvent::Progress(p) => self.users.run.progress = p,
            MigrationEvent::Finished(end) => {
                let (dry_run, progress, cancelled) = (end.dry_run, end.progress, end.cancelled);
                let what = if dry_run { "dry run" } else { "migration" };
                let text = format!(
                    "{what} {}: {}/{} done, {} verified, {} skipped, {} failed",
                    if cancelled { "cancelled" } else { "finished" },
                    thousands(progress.done),
                    thousands(progress.targeted),
                    thousands(progress.verified),
                    thousands(progress.skipped),
                    thousands(progress.failed),
                );
                let level = if progress.failed > 0 {
                    Level::Warn
                } else {
                    Level::Info
                };
                self.users.run_finished(dry_run, progress, cancelled);
                self.say(level, text, now);
            }
            MigrationEvent::AutoSync { next_run } => {
                self.users.run.auto_sync = next_run.is_some();
                self.users.run.auto_sync_next = next_run;
            }
            MigrationEvent::Reconciled(r) => {
                if r.open > 0 {
                    let level = if r.unresolved > 0 {
                        Level::Warn
                    } else {
                        Level::Info
                    };
                    self.say(
                        level,
                        format!(
                            "an earlier run was interrupted: {} open writes read back ({} applied, \
                             {} not applied, {} still open)",
                            thousands(r.open),
                            thousands(r.done),
                            thousands(r.not_done),
                            thousands(r.unresolved)
                        ),
                        now,
                    );
                }
            }
        }
    }

    // ------------------------------------------------------------------ keys

    /// The keymap contexts live now, most specific first.
    pub fn stack(&self) -> &'static [Context] {
        match (&self.modal, &self.view, self.tab) {
            (Some(Modal::Confirm(_)), _, _) => Context::Dialog.stack(),
            (Some(_), _, _) => Context::Menu.stack(),
            (None, Some(View::Plan), _) => Context::Plan.stack(),
            (None, Some(View::Activity), _) => Context::Activity.stack(),
            (None, Some(_), _) => Context::Navigation.stack(),
            (None, None, Tab::Users) => Context::Users.stack(),
            (None, None, _) => Context::Navigation.stack(),
        }
    }

    fn on_key(&mut self, key: KeyEvent, now: Instant) -> bool {
        if key.kind == KeyEventKind::Release {
            return false;
        }
        if self.input.is_some() {
            return self.on_input_key(key, now);
        }
        let Some(k) = Key::from_event(&key) else {
            return false;
        };
        if let Some(Modal::Confirm(_)) = &self.modal {
            return self.on_dialog_key(k, key, now);
        }
        match self.opts.keymap.action(self.stack(), k) {
            Some(action) => {
                self.dispatch(action, now);
                true
            }
            None => false,
        }
    }

    fn on_dialog_key(&mut self, k: Key, raw: KeyEvent, now: Instant) -> bool {
        let action = self.opts.keymap.action(Context::Dialog.stack(), k);
        let Some(Modal::Confirm(c)) = &mut self.modal else {
            return false;
        };
        match action {
            Some(Action::DialogNext) | Some(Action::DialogPrev) => c.toggle_focus(),
            Some(Action::DialogCancel) => self.modal = None,
            Some(Action::DialogPress) => match c.focus {
                Focus::Cancel => self.modal = None,
                Focus::Confirm if c.armed() => {
                    let pending = c.pending.clone();
                    self.modal = None;
                    self.run_pending(pending, now);
                }
                Focus::Confirm => {
                    let want = c.typed.clone().unwrap_or_default();
                    self.say(Level::Warn, format!("type {want} first"), now);
                }
            },
            _ => {
                if c.typed.is_some() {
                    return c.input.handle(&raw) != Edit::Ignored;
                }
                return false;
            }
        }
        true
    }

    fn on_input_key(&mut self, key: KeyEvent, now: Instant) -> bool {
        let Some(input) = &mut self.input else {
            return false;
        };
        match input {
            InputLine::Filter { target, input } => {
                let target = *target;
                match input.handle(&key) {
                    Edit::Changed => {
                        let v = input.value().to_string();
                        self.apply_filter(target, &v);
                    }
                    Edit::Submit => self.input = None,
                    Edit::Cancel => {
                        self.apply_filter(target, "");
                        self.input = None;
                    }
                    Edit::Moved | Edit::Complete => {}
                    Edit::Ignored => return false,
                }
            }
            InputLine::Command(cmd) => match cmd.input.handle(&key) {
                Edit::Changed | Edit::Moved => cmd.edited(),
                Edit::Complete => cmd.complete(),
                Edit::Cancel => self.input = None,
                Edit::Submit => {
                    let line = cmd.input.value().to_string();
                    self.input = None;
                    if !line.trim().is_empty() {
                        self.run_command(&line, now);
                    }
                }
                Edit::Ignored => return false,
            },
            InputLine::Prompt { kind, input } => {
                let kind = *kind;
                match input.handle(&key) {
                    Edit::Submit => {
                        let v = input.value().to_string();
                        self.input = None;
                        self.submit_prompt(kind, &v, now);
                    }
                    Edit::Cancel => self.input = None,
                    Edit::Ignored => return false,
                    _ => {}
                }
            }
        }
        true
    }

    fn apply_filter(&mut self, target: FilterTarget, text: &str) {
        match target {
            FilterTarget::Users => self.users.set_filter(text),
            FilterTarget::Activity => self.activity.set_filter(text),
        }
    }

    fn run_command(&mut self, line: &str, now: Instant) {
        match command_line::parse(line) {
            Err(e) => self.say(Level::Warn, e, now),
            Ok(Cmd::Run(a)) => self.dispatch(a, now),
            Ok(Cmd::Group(q)) => {
                if let Availability::Unavailable(r) = self.available(Action::PickGroup) {
                    self.say(Level::Warn, format!("group: {r}"), now);
                } else {
                    self.find_group(q);
                }
            }
            Ok(Cmd::Export(path)) => self.export(path, now),
            Ok(Cmd::Sort(None)) => self.dispatch(Action::Sort, now),
            Ok(Cmd::Sort(Some(k))) => {
                self.users.set_sort(k);
                self.say(Level::Info, format!("sorted by {}", k.name()), now);
            }
            Ok(Cmd::Rollback) => self.say(
                Level::Warn,
                "rollback: the Federation tab (4) is not built yet; see its plan there",
                now,
            ),
        }
    }

    fn submit_prompt(&mut self, kind: PromptKind, value: &str, now: Instant) {
        match kind {
            PromptKind::Group => {
                let q = value.trim();
                if !q.is_empty() {
                    self.find_group(q.to_string());
                }
            }
            PromptKind::Setting(Field::MatchAttribute) => {
                match settings::parse_match_attribute(value) {
                    Ok(m) => {
                        let mut s = self.settings.clone();
                        s.match_attribute = m;
                        self.set_settings(s, now);
                    }
                    Err(e) => self.say(Level::Warn, e, now),
                }
            }
            PromptKind::Setting(Field::SyncInterval) => match settings::parse_interval(value) {
                Ok(d) => {
                    self.sync_interval = d;
                    if self.users.run.auto_sync {
                        self.send(Command::Migration(MigrationCommand::SetAutoSync {
                            interval: Some(d),
                        }));
                    }
                    self.say(
                        Level::Info,
                        format!("sync interval {}", humantime::format_duration(d)),
                        now,
                    );
                }
                Err(e) => self.say(Level::Warn, e, now),
            },
            PromptKind::Setting(_) => {}
        }
    }

    fn set_settings(&mut self, s: MigrationSettings, now: Instant) {
        self.settings = s.clone();
        self.send(Command::Migration(MigrationCommand::SetSettings(s)));
        self.users.data_changed(self.data.clone().as_deref());
        self.say(
            Level::Info,
            "settings sent to the engine for this session",
            now,
        );
    }

    fn find_group(&mut self, query: String) {
        self.users.finding(query.clone());
        let id = self.send(Command::Directory(DirectoryCommand::FindGroup {
            query: query.clone(),
        }));
        self.waiting.insert(id, Waiting::FindGroup(query));
        self.tab = Tab::Users;
        self.view = None;
    }

    fn export(&mut self, path: Option<String>, now: Instant) {
        if let Availability::Unavailable(r) = self.available(Action::Export) {
            self.say(Level::Warn, format!("export: {r}"), now);
            return;
        }
        let path = path
            .map(PathBuf::from)
            .unwrap_or_else(|| self.default_export_path());
        self.send(Command::Migration(MigrationCommand::ExportReregister {
            path: path.clone(),
        }));
        self.say(
            Level::Info,
            format!("exporting to {}…", path.display()),
            now,
        );
    }

    fn default_export_path(&self) -> PathBuf {
        let stamp = self.opts.clock.now().format("%Y%m%d-%H%M%S");
        self.opts
            .export_dir
            .join(format!("must-reregister-app-{stamp}.csv"))
    }

    // ------------------------------------------------------------------ actions

    /// Why the tenant cannot be written now, if it cannot.
    pub fn write_block(&self) -> Option<String> {
        if self.engine_stopped {
            return Some("the engine stopped".into());
        }
        match &self.session {
            None => Some("not signed in yet".into()),
            Some(s) => match s.capabilities.can_migrate().why() {
                Some(why) => Some(format!("READ-ONLY: {why}")),
                None if self.read_only => Some("READ-ONLY is on (:readonly)".into()),
                None => None,
            },
        }
    }

    fn list_len(&self) -> usize {
        match (&self.modal, &self.view) {
            (Some(Modal::Help(s)), _) => s.lines.len(),
            (Some(Modal::Actions(m)), _) => m.items.len(),
            (Some(Modal::Groups(m)), _) => m.items.len(),
            (Some(Modal::Confirm(_)), _) => 0,
            (None, Some(View::Detail(d))) => d.scroll.len,
            (None, Some(View::Plan)) => self.plan.scroll.len,
            (None, Some(View::Activity)) => self.activity.cursor.len,
            (None, Some(View::Settings)) => Field::ALL.len(),
            (None, None) if self.tab == Tab::Users => self.users.view.visible().len(),
            (None, None) => 0,
        }
    }

    /// Whether `action` can run now; the footer, help and actions menu show the same.
    pub fn available(&self, action: Action) -> Availability {
        use Action as A;
        if action.writes_tenant()
            && let Some(why) = self.write_block()
        {
            return Availability::Unavailable(why);
        }
        let on_users = self.view.is_none() && self.tab == Tab::Users && self.modal.is_none();
        match action {
            A::Quit
            | A::ForceQuit
            | A::Help
            | A::CommandMode
            | A::ActionsMenu
            | A::ActivityLog
            | A::Settings
            | A::TabChecklist
            | A::TabUsers
            | A::TabRollout
            | A::TabFederation
            | A::TabDependencies
            | A::TabJournal
            | A::NextTab
            | A::PrevTab
            | A::ToggleHeader => Availability::Available,
            A::ReadOnly => match self
                .session
                .as_ref()
                .and_then(|s| s.capabilities.can_migrate().why())
            {
                Some(why) => Availability::Unavailable(format!("READ-ONLY stays on: {why}")),
                None => Availability::Available,
            },
            A::Back => {
                if self.view.is_some() || (on_users && self.users.view.is_filtered()) {
                    Availability::Available
                } else {
                    Availability::no("nothing to go back to")
                }
            }
            A::Refresh => {
                if self.engine_stopped {
                    Availability::no("the engine stopped")
                } else if self.users.group.is_none() {
                    Availability::no("no migration group picked yet")
                } else if self.users.run.running && !self.users.run.dry_run {
                    Availability::no("a migration is in progress")
                } else {
                    Availability::Available
                }
            }
            A::Export => {
                if self.engine_stopped {
                    Availability::no("the engine stopped")
                } else {
                    Availability::Available
                }
            }
            A::MoveUp | A::MoveDown | A::PageUp | A::PageDown | A::Top | A::Bottom => {
                if self.list_len() == 0 {
                    Availability::no("the list is empty")
                } else {
                    Availability::Available
                }
            }
            A::Open => match (&self.modal, &self.view) {
                (Some(Modal::Help(_)), _) => Availability::no("help has nothing to open"),
                (Some(_), _) => Availability::Available,
                (None, Some(View::Settings)) => Availability::Available,
                (None, Some(_)) => Availability::no("nothing to open here"),
                (None, None) if self.tab == Tab::Users => self.users.available(A::ShowDetail),
                (None, None) => Availability::no("this tab is not built yet"),
            },
            A::Filter => match (&self.modal, &self.view) {
                (None, Some(View::Activity)) => Availability::Available,
                (None, None) if self.tab == Tab::Users => {
                    if self.users.rows.is_empty() {
                        Availability::no("no users to filter yet")
                    } else {
                        Availability::Available
                    }
                }
                _ => Availability::no("nothing to filter here"),
            },
            A::Follow => Availability::Available,
            A::Close => Availability::Available,
            A::DialogNext | A::DialogPrev | A::DialogPress | A::DialogCancel => {
                Availability::Available
            }
            // The users list's actions; migrate, retry and cancel also work in the plan
            // preview.
            A::Mark
            | A::MarkAll
            | A::UnmarkAll
            | A::ShowDetail
            | A::Plan
            | A::Migrate
            | A::AutoSync
            | A::IncludeUnchanged
            | A::RetryFailed
            | A::CancelRun
            | A::PickGroup
            | A::Sort => {
                if self.engine_stopped && matches!(action, A::Plan | A::PickGroup | A::CancelRun) {
                    return Availability::no("the engine stopped");
                }
                self.users.available(action)
            }
        }
    }

    /// Run an action that passed the keymap: check, confirm by tier, execute.
    pub fn dispatch(&mut self, action: Action, now: Instant) {
        tracing::debug!(action = action.name(), "dispatch");
        if let Availability::Unavailable(why) = self.available(action) {
            self.say(Level::Warn, format!("{}: {why}", action.description()), now);
            return;
        }
        use Action as A;
        match action {
            A::Quit => {
                if self.view.is_some() {
                    self.view = None;
                } else if self.users.run.running && !self.users.run.dry_run {
                    let p = &self.users.run.progress;
                    let c = Confirm::new(
                        "Quit while migrating?",
                        Tier::One,
                        vec![
                            Line::raw(format!(
                                "A migration is running: {}/{} done, {} queued.",
                                thousands(p.done),
                                thousands(p.targeted),
                                thousands(p.queued)
                            )),
                            Line::raw(
                                "Quitting stops queued work; writes in flight finish and are \
                                 journaled (C5). Run it again later to continue.",
                            ),
                        ],
                        "Quit",
                        Pending::Quit,
                    );
                    self.modal = Some(Modal::Confirm(Box::new(c)));
                } else {
                    self.begin_quit();
                }
            }
            A::ForceQuit => {
                self.send(Command::Shutdown);
                self.quit = QuitState::Done;
            }
            A::Back => {
                if self.view.is_some() {
                    self.view = None;
                } else {
                    self.users.set_filter("");
                }
            }
            A::Help => self.modal = Some(Modal::Help(self.help())),
            A::CommandMode => self.input = Some(InputLine::Command(CommandLine::new(""))),
            A::ActionsMenu => self.modal = Some(Modal::Actions(self.actions_menu())),
            A::ActivityLog => {
                self.view = match self.view {
                    Some(View::Activity) => None,
                    _ => Some(View::Activity),
                }
            }
            A::Settings => self.view = Some(View::Settings),
            A::TabChecklist => self.go(Tab::Checklist),
            A::TabUsers => self.go(Tab::Users),
            A::TabRollout => self.go(Tab::Rollout),
            A::TabFederation => self.go(Tab::Federation),
            A::TabDependencies => self.go(Tab::Dependencies),
            A::TabJournal => self.go(Tab::Journal),
            A::NextTab => self.go(self.tab.next()),
            A::PrevTab => self.go(self.tab.prev()),
            A::Refresh => {
                if let Some(g) = self.users.group.clone() {
                    self.load_group(g);
                    self.say(Level::Info, "reloading members from the tenant", now);
                }
            }
            A::Export => {
                let default = self.default_export_path();
                self.input = Some(InputLine::Command(CommandLine::new(&format!(
                    "export {}",
                    default.display()
                ))));
            }
            A::ToggleHeader => self.header = !self.header,
            A::ReadOnly => {
                self.read_only = !self.read_only;
                let text = if self.read_only {
                    "READ-ONLY on: no tenant write until :readonly again"
                } else {
                    "READ-ONLY off: tenant writes possible (each still asks first)"
                };
                self.say(Level::Info, text, now);
            }
            A::MoveUp | A::MoveDown | A::PageUp | A::PageDown | A::Top | A::Bottom => {
                self.navigate(action)
            }
            A::Open => self.open(now),
            A::Filter => {
                let (target, current) = match self.view {
                    Some(View::Activity) => (FilterTarget::Activity, self.activity.filter.clone()),
                    _ => (
                        FilterTarget::Users,
                        self.users.view.filter_text().to_string(),
                    ),
                };
                self.input = Some(InputLine::Filter {
                    target,
                    input: TextInput::new(&current),
                });
            }
            A::Follow => {
                self.activity.follow = !self.activity.follow;
                if self.activity.follow {
                    self.activity.cursor.bottom();
                }
            }
            A::Close => self.modal = None,
            A::DialogNext | A::DialogPrev | A::DialogPress | A::DialogCancel => {}
            A::Mark | A::MarkAll | A::UnmarkAll | A::IncludeUnchanged | A::Sort => {
                let data = self.data.clone();
                if let Some(msg) = self.users.act(action, data.as_deref()) {
                    self.say(Level::Info, msg, now);
                }
            }
            A::ShowDetail => self.open_detail(),
            A::Plan => {
                let (scope, rows) = self.users.scope();
                self.send(Command::Migration(MigrationCommand::Plan {
                    scope: scope.clone(),
                    include_unchanged: self.users.include_unchanged,
                }));
                self.plan = PlanView::default();
                self.view = Some(View::Plan);
                let whom = match scope {
                    Scope::Group => "the whole group".to_string(),
                    Scope::Users(_) => format!("{} marked users", thousands(rows.len())),
                };
                self.say(
                    Level::Info,
                    format!("dry run of {whom}: nothing is written"),
                    now,
                );
            }
            A::Migrate => self.confirm_migrate(),
            A::AutoSync => {
                if self.users.run.auto_sync {
                    self.send(Command::Migration(MigrationCommand::SetAutoSync {
                        interval: None,
                    }));
                    self.users.run.auto_sync = false;
                    self.say(Level::Info, "automatic sync off", now);
                } else {
                    let every = humantime::format_duration(self.sync_interval).to_string();
                    let group = self
                        .users
                        .group
                        .as_ref()
                        .map(|g| g.display_name.clone())
                        .unwrap_or_default();
                    let c = Confirm::new(
                        "Turn automatic sync on?",
                        Tier::One,
                        vec![
                            Line::raw(format!(
                                "Every {every}, users of {group:?} whose MFA Server data changed \
                                 since their last migration (C1) are planned and written to Entra."
                            )),
                            Line::raw(
                                "Each run writes only what the rules (P1–D4) call for; every write \
                                 is journaled (C5). S again turns it off.",
                            ),
                        ],
                        format!("Sync every {every}"),
                        Pending::AutoSyncOn(self.sync_interval),
                    );
                    self.modal = Some(Modal::Confirm(Box::new(c)));
                }
            }
            A::RetryFailed => {
                let n = self.users.failed_retryable();
                let c = Confirm::new(
                    "Retry failed users?",
                    Tier::One,
                    vec![Line::raw(format!(
                        "{} users failed with a retryable error. Each is read back first (C5) \
                             so nothing is written twice, then planned and written again.",
                        thousands(n)
                    ))],
                    format!("Retry {}", thousands(n)),
                    Pending::RetryFailed,
                );
                self.modal = Some(Modal::Confirm(Box::new(c)));
            }
            A::CancelRun => {
                self.send(Command::Migration(MigrationCommand::Cancel));
                self.say(
                    Level::Info,
                    "cancelling: queued work stops, writes in flight finish",
                    now,
                );
            }
            A::PickGroup => {
                self.input = Some(InputLine::Prompt {
                    kind: PromptKind::Group,
                    input: TextInput::default(),
                });
            }
        }
    }

    /// Row indices are about to mean other users (a reload): views holding one close.
    fn close_row_views(&mut self) {
        if matches!(self.view, Some(View::Detail(_))) {
            self.view = None;
        }
    }

    fn go(&mut self, tab: Tab) {
        self.tab = tab;
        self.view = None;
    }

    fn begin_quit(&mut self) {
        if self.engine_stopped {
            self.quit = QuitState::Done;
        } else {
            self.send(Command::Shutdown);
            self.quit = QuitState::Stopping;
            self.flash = Some(Flash {
                text: "stopping: the engine finishes writes in flight… (ctrl+c leaves now)".into(),
                level: Level::Info,
                until: None,
            });
        }
    }

    fn run_pending(&mut self, p: Pending, now: Instant) {
        match p {
            Pending::Migrate {
                scope,
                include_unchanged,
            } => {
                // The dialog may have stayed open while things changed.
                if let Availability::Unavailable(why) = self.available(Action::Migrate) {
                    self.say(Level::Warn, format!("not migrating: {why}"), now);
                    return;
                }
                self.send(Command::Migration(MigrationCommand::Migrate {
                    scope,
                    include_unchanged,
                }));
                self.view = None;
                self.say(Level::Info, "migration started", now);
            }
            Pending::RetryFailed => {
                if let Availability::Unavailable(why) = self.available(Action::RetryFailed) {
                    self.say(Level::Warn, format!("not retrying: {why}"), now);
                    return;
                }
                self.send(Command::Migration(MigrationCommand::RetryFailed));
            }
            Pending::AutoSyncOn(d) => {
                if let Availability::Unavailable(why) = self.available(Action::AutoSync) {
                    self.say(Level::Warn, format!("automatic sync stays off: {why}"), now);
                    return;
                }
                self.send(Command::Migration(MigrationCommand::SetAutoSync {
                    interval: Some(d),
                }));
                self.users.run.auto_sync = true;
            }
            Pending::Quit => self.begin_quit(),
        }
    }

    fn confirm_migrate(&mut self) {
        let (scope, rows) = self.users.scope();
        let b = self
            .users
            .blast(&rows, self.data.as_deref(), &self.settings);
        let large = b.users > self.opts.large_run;
        let tier = if large || self.opts.production {
            Tier::Two
        } else {
            Tier::One
        };
        let t = &self.opts.theme;
        let group = self
            .users
            .group
            .as_ref()
            .map(|g| g.display_name.clone())
            .unwrap_or_default();
        let whom = match &scope {
            Scope::Group => "the whole group".to_string(),
            Scope::Users(_) => "the marked users".to_string(),
        };
        let mut lines = vec![
            Line::from(vec![
                Span::raw("Writes MFA Server methods into Entra for "),
                Span::styled(plural(b.users, "user", "users"), t.title()),
                Span::raw(format!(" of {group:?} ({whom}).")),
            ]),
            Line::raw(format!(
                "Matched {} · skipped: {} not in MFA Server, {} conflicts, {} disabled (M4{}).",
                thousands(b.matched),
                thousands(b.unmatched),
                thousands(b.conflicts),
                thousands(b.disabled),
                if self.settings.include_disabled {
                    ": included"
                } else {
                    ""
                }
            )),
            Line::raw(format!(
                "Already verified: {}. Unchanged users are {} (C1).",
                thousands(b.verified),
                if self.users.include_unchanged {
                    "included"
                } else {
                    "skipped"
                }
            )),
        ];
        if b.planned.users > 0 {
            let p = &b.planned;
            lines.push(Line::raw(format!(
                "Dry run: {} writes ({} phones, {} tokens, {} defaults) for {}; {} must \
                 re-register the app (A3).",
                thousands(p.writes),
                thousands(p.phone_writes),
                thousands(p.token_writes),
                thousands(p.default_writes),
                plural(p.users_with_writes, "user", "users"),
                thousands(p.must_reregister)
            )));
        } else {
            lines.push(Line::styled(
                "No dry run yet: the plan preview (p) shows every write first.",
                t.warn(),
            ));
        }
        lines.push(Line::from(vec![
            Span::styled(
                plural(b.no_usable, "user", "users"),
                if b.no_usable > 0 { t.warn() } else { t.base() },
            ),
            Span::raw(
                " will still have no usable Entra method (nothing to migrate): they block \
                 Staged Rollout until they register.",
            ),
        ]));
        if b.usable_unknown > 0 {
            lines.push(Line::styled(
                format!(
                    "{}: Entra methods not read yet, usability unknown.",
                    plural(b.usable_unknown, "user", "users")
                ),
                t.dim(),
            ));
        }
        lines.push(Line::styled(
            "Sends no one to Entra MFA by itself: Staged Rollout (tab 3) does that.",
            t.dim(),
        ));
        if self.opts.production {
            lines.push(Line::styled("PRODUCTION tenant.", t.production()));
        }
        let mut c = Confirm::new(
            "Migrate",
            tier,
            lines,
            format!("Migrate {} users", thousands(b.users)),
            Pending::Migrate {
                scope,
                include_unchanged: self.users.include_unchanged,
            },
        );
        if tier >= Tier::Two {
            c = c.typing(b.users.to_string());
        }
        self.modal = Some(Modal::Confirm(Box::new(c)));
    }

    fn navigate(&mut self, action: Action) {
        use Action as A;
        let step = |c: &mut super::widgets::virtual_table::Cursor| match action {
            A::MoveUp => c.up(1),
            A::MoveDown => c.down(1),
            A::PageUp => c.page_up(),
            A::PageDown => c.page_down(),
            A::Top => c.top(),
            A::Bottom => c.bottom(),
            _ => {}
        };
        let delta = |height: usize| -> isize {
            let h = height.max(1) as isize;
            match action {
                A::MoveUp => -1,
                A::MoveDown => 1,
                A::PageUp => -h,
                A::PageDown => h,
                A::Top => isize::MIN / 2,
                A::Bottom => isize::MAX / 2,
                _ => 0,
            }
        };
        match (&mut self.modal, &mut self.view) {
            (Some(Modal::Help(s)), _) => {
                let off = s.cursor.offset as isize + delta(s.cursor.height);
                s.scroll(off.max(0) as usize);
            }
            (Some(Modal::Actions(m)), _) => step(&mut m.cursor),
            (Some(Modal::Groups(m)), _) => step(&mut m.cursor),
            (Some(Modal::Confirm(_)), _) => {}
            (None, Some(View::Detail(d))) => {
                let h = d.scroll.height;
                d.scroll_by(delta(h));
            }
            (None, Some(View::Plan)) => {
                let h = self.plan.scroll.height;
                self.plan.scroll_by(delta(h));
            }
            (None, Some(View::Activity)) => {
                step(&mut self.activity.cursor);
                self.activity.moved();
            }
            (None, Some(View::Settings)) => step(&mut self.settings_pane.cursor),
            (None, None) => {
                let data = self.data.clone();
                self.users.act(action, data.as_deref());
            }
        }
    }

    fn open(&mut self, now: Instant) {
        match &self.modal {
            Some(Modal::Actions(m)) => {
                if let Some(item) = m.selected() {
                    let a = item.value;
                    self.modal = None;
                    self.dispatch(a, now);
                }
                return;
            }
            Some(Modal::Groups(m)) => {
                if let Some(item) = m.selected() {
                    let g = item.value.clone();
                    self.modal = None;
                    self.load_group(g);
                }
                return;
            }
            Some(_) => return,
            None => {}
        }
        match &self.view {
            Some(View::Settings) => {
                let field = self.settings_pane.field();
                match settings::change(field, &self.settings, self.sync_interval) {
                    Change::Set(s) => self.set_settings(s, now),
                    Change::Edit(f, current) => {
                        self.input = Some(InputLine::Prompt {
                            kind: PromptKind::Setting(f),
                            input: TextInput::new(&current),
                        });
                    }
                    Change::Fixed(why) => self.say(Level::Info, why, now),
                }
            }
            None if self.tab == Tab::Users => self.open_detail(),
            _ => {}
        }
    }

    fn open_detail(&mut self) {
        if let Some(i) = self.users.selected_row() {
            if let Some(cmd) = self.users.read_one(i) {
                self.send(cmd);
            }
            self.view = Some(View::Detail(Detail::new(i)));
        }
    }

    // ------------------------------------------------------------------ menus

    fn menu_actions(&self) -> Vec<Action> {
        let mut out: Vec<Action> = Vec::new();
        let pane = self.stack().first().copied();
        if let Some(ctx) =
            pane.filter(|c| matches!(c, Context::Users | Context::Plan | Context::Activity))
        {
            out.extend(Action::in_context(ctx));
        }
        if self.view.is_none() && self.tab == Tab::Users {
            out.push(Action::Open);
            out.push(Action::Filter);
        }
        out.extend([
            Action::Refresh,
            Action::Export,
            Action::ActivityLog,
            Action::Settings,
            Action::ReadOnly,
            Action::ToggleHeader,
            Action::CommandMode,
            Action::Help,
            Action::Quit,
        ]);
        out
    }

    fn key_text(&self, action: Action) -> String {
        let stack = self.stack();
        match self.opts.keymap.describe(stack, action) {
            Some(k) => k,
            None => command_line::command_for(action)
                .map(|c| format!(":{c}"))
                .unwrap_or_default(),
        }
    }

    fn actions_menu(&self) -> Menu<Action> {
        let items = self
            .menu_actions()
            .into_iter()
            .map(|a| MenuItem {
                key: self.key_text(a),
                label: a.description().to_string(),
                unavailable: self.available(a).reason().map(str::to_string),
                value: a,
            })
            .collect();
        Menu::new("Actions", items)
    }

    fn help(&self) -> Scroll {
        let t = &self.opts.theme;
        let km = &self.opts.keymap;
        let mut lines: Vec<Line<'static>> = Vec::new();
        let section = |lines: &mut Vec<Line<'static>>, title: &str| {
            if !lines.is_empty() {
                lines.push(Line::raw(""));
            }
            lines.push(Line::styled(title.to_string(), t.heading()));
        };
        let stack = self.stack();
        let entry = |lines: &mut Vec<Line<'static>>, keys: String, a: Action| {
            let mut spans = vec![
                Span::styled(format!("  {keys:<16}"), t.key()),
                Span::raw(a.description().to_string()),
            ];
            if a.tier() >= Tier::One {
                spans.push(Span::styled(
                    format!(" [asks, tier {}]", a.tier().number()),
                    t.dim(),
                ));
            }
            if let Availability::Unavailable(why) = self.available(a) {
                spans.push(Span::styled(format!(" ✗ {why}"), t.dim()));
            }
            lines.push(Line::from(spans));
        };
        let here: Vec<Context> = stack
            .iter()
            .copied()
            .filter(|c| *c != Context::Global)
            .collect();
        section(&mut lines, "Keys of this view");
        for ctx in &here {
            for (a, keys) in km.bound_in(*ctx) {
                entry(&mut lines, join_keys(keys), a);
            }
        }
        section(&mut lines, "Everywhere");
        let mut group = None;
        for (a, keys) in km.bound_in(Context::Global) {
            if group != Some(a.group()) && a.group() != Group::General {
                group = Some(a.group());
            }
            entry(&mut lines, join_keys(keys), a);
        }
        for a in [Action::ReadOnly, Action::ToggleHeader] {
            if km.keys(&[Context::Global], a).is_empty()
                && let Some(c) = command_line::command_for(a)
            {
                entry(&mut lines, format!(":{c}"), a);
            }
        }
        section(
            &mut lines,
            "Text fields (filter, :commands, prompts, typed confirmations)",
        );
        for (k, what) in [
            ("enter", "apply / run"),
            ("esc", "cancel; in the filter: clear it"),
            ("tab", "complete a :command"),
            (
                "ctrl+u / ctrl+w",
                "delete the line / the word before the cursor",
            ),
        ] {
            lines.push(Line::from(vec![
                Span::styled(format!("  {k:<18}"), t.key()),
                Span::raw(what),
            ]));
        }
        section(&mut lines, "Dialogs");
        for (a, keys) in km.bound_in(Context::Dialog) {
            entry(&mut lines, join_keys(keys), a);
        }
        lines.push(Line::styled(
            "  The focus starts on Cancel. Tier 2 asks for the count, tier 3 for the domain.",
            t.dim(),
        ));
        section(&mut lines, "Glossary");
        for (w, what) in [
            (
                "matched",
                "the Entra member has one MFA Server user (rule in column BY)",
            ),
            ("unmatched", "no MFA Server user: nothing to migrate"),
            ("conflict", "two MFA Server users match: none is migrated"),
            (
                "disabled",
                "disabled in MFA Server: skipped unless include_disabled (M4)",
            ),
            ("✓ verified", "written and read back as planned (C4)"),
            ("≠ mismatch", "read back differently from the plan (C4)"),
            ("✗ failed", "a write failed; (retry) means R can retry it"),
            (
                "?",
                "the input does not carry this field (not the same as none)",
            ),
            ("—", "none"),
            ("…", "not read yet"),
            ("✓ (first column)", "marked"),
        ] {
            lines.push(Line::from(vec![
                Span::styled(format!("  {w:<18}"), t.key()),
                Span::raw(what),
            ]));
        }
        lines.push(Line::raw(
            "  Filter words: matched unmatched conflict disabled marked queued planned",
        ));
        lines.push(Line::raw(
            "  skipped writing verified mismatch failed unchanged reregister",
        ));
        section(&mut lines, "Migration rules");
        for r in Rule::ALL {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<4}", r.to_string()), t.key()),
                Span::raw(r.summary()),
            ]));
        }
        if !self.opts.about.is_empty() {
            section(&mut lines, "This session");
            for l in &self.opts.about {
                lines.push(Line::raw(format!("  {l}")));
            }
        }
        section(&mut lines, "Files");
        lines.push(Line::raw(format!(
            "  log: {}",
            self.opts
                .log_path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "(not logging to a file)".into())
        )));
        lines.push(Line::raw(format!("  keymap: {}", km.sources.join(" + "))));
        Scroll::new("Help", lines)
    }

    // ------------------------------------------------------------------ layout

    /// Fit cursors to the screen and format what became visible. Runs after every
    /// update, so drawing stays a pure read.
    fn prepare(&mut self, now: Instant) {
        let areas = super::view::areas(self);
        let body = areas.body;
        if self.view.is_none() && self.tab == Tab::Users {
            let env = Env {
                theme: &self.opts.theme,
                keymap: &self.opts.keymap,
                data: self.data.as_deref(),
                settings: &self.settings,
                now: self.opts.clock.now(),
            };
            self.users.prepare(body, &env, now);
        }
        match &mut self.view {
            Some(View::Detail(d)) => {
                let env = Env {
                    theme: &self.opts.theme,
                    keymap: &self.opts.keymap,
                    data: self.data.as_deref(),
                    settings: &self.settings,
                    now: self.opts.clock.now(),
                };
                if let Some(row) = self.users.rows.get(d.row) {
                    d.fit(row, &env, body);
                }
            }
            Some(View::Plan) => {
                self.plan.update(&self.users);
                self.plan.fit(body);
            }
            Some(View::Activity) => self.activity.fit(body),
            _ => {}
        }
        match &mut self.modal {
            Some(Modal::Help(s)) => {
                s.fit(body);
            }
            Some(Modal::Actions(m)) => {
                m.fit(body);
            }
            Some(Modal::Groups(m)) => {
                m.fit(body);
            }
            _ => {}
        }
    }
}

fn join_keys(keys: &[Key]) -> String {
    keys.iter()
        .map(Key::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}
