//! The application: what is global (header, tabs, modals, text fields, the activity log,
//! settings, footer messages, quitting) and the routing between keys, engine events and
//! the panes. Each tab's pane implements the contract of `pane.rs`; the app hands it the
//! actions that pass its `available()`, every engine event, and the replies to its own
//! requests, and carries out the [`Effects`] it returns. Nothing here blocks, awaits or
//! does I/O: commands for the engine are queued in `outbox`, the runtime sends them.

mod help;
mod keys;

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ratatui::crossterm::event::Event as TermEvent;
use ratatui::layout::Rect;
use ratatui::text::Line;
use tokio::time::Instant;

use super::action::Action;
use super::clock::Clock;
use super::effect::{Effect, Effects, Level, Suggestion, TextAsk, TextEdit};
use super::keymap::Keymap;
use super::pane::{Env, Pane};
use super::panes::activity::ActivityLog;
use super::panes::checklist::ChecklistPane;
use super::panes::cutover::{FederationPane, RolloutPane};
use super::panes::dependencies::DependenciesPane;
use super::panes::journal::JournalPane;
use super::panes::settings::SettingsPane;
use super::panes::users::UsersPane;
use super::tab::Tab;
use super::theme::Theme;
use super::widgets::command_line::CommandLine;
use super::widgets::confirm::Confirm;
use super::widgets::menu::{Menu, MenuItem, Scroll};
use super::widgets::text_input::TextInput;
use super::widgets::thousands;
use crate::datafile::DataSet;
use crate::engine::{
    Answer, Command, EngineError, EngineLoad, Event, MigrationCommand, MigrationEvent, Reply,
    Request, RequestId, RequestIds, SessionInfo,
};
use crate::migrate::MigrationSettings;

/// How long a footer message stays.
const FLASH: Duration = Duration::from_secs(6);
/// The header's token countdown is refreshed this often while signed in.
const HEADER_REFRESH: Duration = Duration::from_secs(30);
/// Messages kept for `:messages`.
const MESSAGES: usize = 200;

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
    /// Lines about this session that help shows (the demo: what is simulated).
    pub about: Vec<String>,
    /// The Graph host, when it is not the cloud's own (`--graph-url`): the header says
    /// where the token goes.
    pub graph_host: Option<String>,
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
            about: Vec::new(),
            graph_host: None,
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

/// Global views opened on top of a tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    Activity,
    Settings,
}

/// Who asked for something: the app itself or a tab's pane (replies, text, choices and
/// confirmations go back there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    App,
    Tab(Tab),
}

#[derive(Debug, Clone)]
pub enum Modal {
    Help(Scroll),
    /// Text shown whole (an entry, a call, messages, a device code).
    Text(Scroll),
    Actions(Menu<Action>),
    Choose {
        origin: Origin,
        field: &'static str,
        menu: Menu<String>,
    },
    Confirm(Box<Confirm>, Origin),
}

/// A text field taking the keyboard.
#[derive(Debug, Clone)]
pub enum InputLine {
    Command(CommandLine),
    Text(TextLine),
}

/// A line of text asked for by a pane or the app, with its suggestions.
#[derive(Debug, Clone)]
pub struct TextLine {
    pub origin: Origin,
    pub ask: TextAsk,
    pub input: TextInput,
    pub suggestions: Vec<Suggestion>,
    pub note: Option<String>,
    /// The suggestion `tab` takes (moved with up and down).
    pub selected: usize,
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

/// What is shared by every pane's [`Env`].
pub(crate) struct Core {
    pub(crate) opts: AppOptions,
    pub(crate) session: Option<SessionInfo>,
    pub(crate) data: Option<Arc<DataSet>>,
    pub(crate) load: EngineLoad,
    pub(crate) read_only: bool,
    pub(crate) settings: MigrationSettings,
    pub(crate) sync_interval: Duration,
    pub(crate) engine_stopped: bool,
    pub(crate) ids: RequestIds,
}

impl Core {
    /// Why the tenant cannot be written now, if it cannot.
    pub(crate) fn write_block(&self) -> Option<String> {
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

    pub(crate) fn env(&self, instant: Instant) -> Env<'_> {
        Env {
            theme: &self.opts.theme,
            keymap: &self.opts.keymap,
            data: self.data.as_deref(),
            settings: &self.settings,
            session: self.session.as_ref(),
            now: self.opts.clock.now(),
            instant,
            ids: &self.ids,
            write_block: self.write_block(),
            engine_stopped: self.engine_stopped,
            production: self.opts.production,
            sync_interval: self.sync_interval,
            export_dir: &self.opts.export_dir,
        }
    }
}

/// The tabs' panes, one per tab.
pub struct Panes {
    pub checklist: ChecklistPane,
    pub users: UsersPane,
    pub rollout: RolloutPane,
    pub federation: FederationPane,
    pub dependencies: DependenciesPane,
    pub journal: JournalPane,
}

impl Panes {
    fn new() -> Panes {
        Panes {
            checklist: ChecklistPane::new(),
            users: UsersPane::new(),
            rollout: RolloutPane::new(),
            federation: FederationPane::new(),
            dependencies: DependenciesPane::new(),
            journal: JournalPane::new(),
        }
    }

    pub fn get(&self, tab: Tab) -> &dyn Pane {
        match tab {
            Tab::Checklist => &self.checklist,
            Tab::Users => &self.users,
            Tab::Rollout => &self.rollout,
            Tab::Federation => &self.federation,
            Tab::Dependencies => &self.dependencies,
            Tab::Journal => &self.journal,
        }
    }

    pub fn get_mut(&mut self, tab: Tab) -> &mut dyn Pane {
        match tab {
            Tab::Checklist => &mut self.checklist,
            Tab::Users => &mut self.users,
            Tab::Rollout => &mut self.rollout,
            Tab::Federation => &mut self.federation,
            Tab::Dependencies => &mut self.dependencies,
            Tab::Journal => &mut self.journal,
        }
    }
}

/// The whole TUI state.
pub struct App {
    pub(crate) core: Core,
    pub(crate) panes: Panes,
    pub(crate) size: Rect,
    pub(crate) header: bool,
    pub(crate) tab: Tab,
    pub(crate) overlay: Option<Overlay>,
    pub(crate) modal: Option<Modal>,
    pub(crate) input: Option<InputLine>,
    pub activity: ActivityLog,
    pub(crate) settings_pane: SettingsPane,
    pub(crate) flash: Option<Flash>,
    /// This session's footer messages, newest last (`:messages`).
    pub(crate) messages: VecDeque<(chrono::DateTime<chrono::Utc>, Level, String)>,
    pub last_error: Option<EngineError>,
    pub(crate) quit: QuitState,
    pub(crate) outbox: Vec<Request>,
    /// Who sent each request still waiting for its reply.
    routes: HashMap<RequestId, Origin>,
    pub(crate) dirty: bool,
    /// The change came from the keyboard: draw without waiting for the frame interval.
    pub(crate) urgent: bool,
    header_due: Option<Instant>,
    /// The admin has pressed a key: a late `Effect::FirstTab` no longer moves them.
    pub(crate) touched: bool,
}

impl App {
    pub fn new(opts: AppOptions, size: Rect) -> App {
        let settings = opts.settings.clone();
        let sync_interval = opts.sync_interval;
        let group = opts.group.clone();
        let mut app = App {
            core: Core {
                opts,
                session: None,
                data: None,
                load: EngineLoad::default(),
                read_only: false,
                settings,
                sync_interval,
                engine_stopped: false,
                ids: RequestIds::default(),
            },
            panes: Panes::new(),
            size,
            header: true,
            tab: Tab::Users,
            overlay: None,
            modal: None,
            input: None,
            activity: ActivityLog::default(),
            settings_pane: SettingsPane::new(),
            flash: None,
            messages: VecDeque::new(),
            last_error: None,
            quit: QuitState::Running,
            outbox: Vec::new(),
            routes: HashMap::new(),
            dirty: true,
            urgent: false,
            header_due: None,
            touched: false,
        };
        if let Some(group) = group {
            let now = Instant::now();
            let env = app.core.env(now);
            let fx = app.panes.users.find_group(group, &env);
            app.run_effects(Origin::Tab(Tab::Users), fx, now);
        }
        app
    }

    /// Requests waiting to be sent, oldest first.
    pub fn take_requests(&mut self) -> Vec<Request> {
        std::mem::take(&mut self.outbox)
    }

    /// Stamp requests with the engine client's ids from now on. Requests queued before
    /// (the configured group's look-up, at start) keep theirs: the client's counter is
    /// moved past them, so no two requests share an id and the panes' records of what
    /// they wait for stay true.
    pub fn set_request_ids(&mut self, ids: RequestIds) {
        let used = self.core.ids.next();
        while ids.next() < used {}
        self.core.ids = ids;
    }

    /// `command` stamped with the next request id, not queued.
    pub fn request(&self, command: Command) -> Request {
        self.core.ids.request(command)
    }

    /// Queue a request of the app's own.
    fn send(&mut self, command: Command) -> RequestId {
        let req = self.core.ids.request(command);
        let id = req.id;
        self.routes.insert(id, Origin::App);
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
        if !self.core.engine_stopped {
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

    pub fn overlay(&self) -> Option<Overlay> {
        self.overlay
    }

    pub fn modal(&self) -> Option<&Modal> {
        self.modal.as_ref()
    }

    pub fn input(&self) -> Option<&InputLine> {
        self.input.as_ref()
    }

    pub fn flash_text(&self) -> Option<&str> {
        self.flash.as_ref().map(|f| f.text.as_str())
    }

    pub fn users(&self) -> &UsersPane {
        &self.panes.users
    }

    pub fn users_mut(&mut self) -> &mut UsersPane {
        &mut self.panes.users
    }

    pub fn journal(&self) -> &JournalPane {
        &self.panes.journal
    }

    pub fn dependencies(&self) -> &DependenciesPane {
        &self.panes.dependencies
    }

    pub fn checklist(&self) -> &ChecklistPane {
        &self.panes.checklist
    }

    pub fn checklist_mut(&mut self) -> &mut ChecklistPane {
        &mut self.panes.checklist
    }

    pub fn panes(&self) -> &Panes {
        &self.panes
    }

    pub fn settings(&self) -> &MigrationSettings {
        &self.core.settings
    }

    pub fn session(&self) -> Option<&SessionInfo> {
        self.core.session.as_ref()
    }

    pub fn options(&self) -> &AppOptions {
        &self.core.opts
    }

    /// What panes read, now.
    pub fn env(&self) -> Env<'_> {
        self.core.env(Instant::now())
    }

    /// Why the tenant cannot be written now, if it cannot.
    pub fn write_block(&self) -> Option<String> {
        self.core.write_block()
    }

    /// The pane of the current tab.
    pub fn pane(&self) -> &dyn Pane {
        self.panes.get(self.tab)
    }

    /// The earliest timer due.
    pub fn deadline(&self) -> Option<Instant> {
        Tab::ALL
            .iter()
            .filter_map(|t| self.panes.get(*t).deadline())
            .chain(self.flash.as_ref().and_then(|f| f.until))
            .chain(self.header_due)
            .min()
    }

    fn say(&mut self, level: Level, text: impl Into<String>, now: Instant) {
        let text = text.into();
        match level {
            Level::Error => tracing::error!("{text}"),
            Level::Warn => tracing::warn!("{text}"),
            Level::Info => tracing::info!("{text}"),
        }
        if self.messages.len() == MESSAGES {
            self.messages.pop_front();
        }
        self.messages
            .push_back((self.core.opts.clock.now(), level, text.clone()));
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
            Msg::Terminal(TermEvent::Key(k)) => {
                self.touched = true;
                self.on_key(k, now)
            }
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
        for tab in Tab::ALL {
            if self.panes.get(tab).deadline().is_some_and(|d| d <= now) {
                let env = self.core.env(now);
                let fx = self.panes.get_mut(tab).tick(&env);
                self.run_effects(Origin::Tab(tab), fx, now);
                changed = true;
            }
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
        match &ev {
            Event::Reply(r) => {
                self.on_reply(r, now);
                return;
            }
            Event::Session(info) => {
                if let Some(why) = info.capabilities.can_migrate().why() {
                    self.say(Level::Warn, format!("READ-ONLY: {why}"), now);
                }
                // An admin signed in beside the application (whoever asked): the device
                // code is done with.
                let newly_delegated = info.delegated.is_some()
                    && self
                        .core
                        .session
                        .as_ref()
                        .is_some_and(|s| s.delegated.is_none());
                if newly_delegated
                    && matches!(self.modal, Some(Modal::Text(ref s)) if s.title == "Sign in")
                {
                    self.modal = None;
                }
                self.core.session = Some((**info).clone());
                self.header_due = Some(now + HEADER_REFRESH);
            }
            Event::DeviceCode(p) => {
                self.modal = Some(Modal::Text(Scroll::new(
                    "Sign in",
                    help::device_code_lines(p, &self.core.opts.theme),
                )));
            }
            Event::Data(ds) => self.core.data = Some(Arc::clone(ds)),
            Event::Activity(rec) => self.activity.push(rec.clone()),
            Event::Load(l) => self.core.load = l.clone(),
            Event::Error(e) => {
                self.say(Level::Error, format!("{}: {}", e.context, e.message), now);
                self.last_error = Some(e.clone());
            }
            Event::Stopped => {
                self.core.engine_stopped = true;
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
            Event::Migration(MigrationEvent::Finished(end)) => {
                let p = &end.progress;
                let what = if end.dry_run { "dry run" } else { "migration" };
                let text = format!(
                    "{what} {}: {}/{} done, {} verified, {} skipped, {} failed",
                    if end.cancelled {
                        "cancelled"
                    } else {
                        "finished"
                    },
                    thousands(p.done),
                    thousands(p.targeted),
                    thousands(p.verified),
                    thousands(p.skipped),
                    thousands(p.failed),
                );
                let level = if p.failed > 0 {
                    Level::Warn
                } else {
                    Level::Info
                };
                self.say(level, text, now);
            }
            Event::Migration(MigrationEvent::Reconciled(r)) if r.open > 0 => {
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
            _ => {}
        }
        for tab in Tab::ALL {
            let env = self.core.env(now);
            let fx = self.panes.get_mut(tab).on_event(&ev, &env);
            self.run_effects(Origin::Tab(tab), fx, now);
        }
        // The quit dialog reads live progress.
        self.refresh_quit_dialog();
    }

    fn on_reply(&mut self, r: &Reply, now: Instant) {
        match self.routes.remove(&r.request) {
            Some(Origin::Tab(tab)) => {
                let env = self.core.env(now);
                let fx = self.panes.get_mut(tab).on_reply(r, &env);
                self.run_effects(Origin::Tab(tab), fx, now);
            }
            _ => match &r.outcome {
                Ok(Answer::SignedIn(info)) => {
                    if matches!(self.modal, Some(Modal::Text(ref s)) if s.title == "Sign in") {
                        self.modal = None;
                    }
                    let who = info
                        .delegated
                        .as_ref()
                        .unwrap_or(&info.identity)
                        .account
                        .clone();
                    self.say(
                        Level::Info,
                        format!(
                            "signed in as {} beside the application",
                            crate::safe_text::terminal(&who)
                        ),
                        now,
                    );
                    self.core.session = Some((**info).clone());
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(request = %r.request, "refused: {e}");
                    self.say(Level::Error, e.to_string(), now);
                }
            },
        }
    }

    /// Carry out a pane's (or the app's) effects.
    pub(crate) fn run_effects(&mut self, origin: Origin, fx: Effects, now: Instant) {
        for e in fx.0 {
            match e {
                Effect::Send(req) => {
                    self.routes.insert(req.id, origin);
                    self.outbox.push(req);
                }
                Effect::Say(level, text) => self.say(level, text, now),
                Effect::Confirm(c) => self.modal = Some(Modal::Confirm(c, origin)),
                Effect::Show(s) => self.modal = Some(Modal::Text(s)),
                Effect::Ask(ask) => {
                    self.input = Some(InputLine::Text(TextLine {
                        origin,
                        input: TextInput::new(&ask.initial),
                        ask,
                        suggestions: Vec::new(),
                        note: None,
                        selected: 0,
                    }))
                }
                Effect::Suggest { field, items, note } => {
                    if let Some(InputLine::Text(t)) = &mut self.input
                        && t.origin == origin
                        && t.ask.field == field
                    {
                        t.suggestions = items;
                        t.note = note;
                        t.selected = 0;
                    }
                }
                Effect::Choose {
                    field,
                    title,
                    items,
                } => {
                    let items = items
                        .into_iter()
                        .map(|(label, value)| MenuItem {
                            key: String::new(),
                            label,
                            unavailable: None,
                            value,
                        })
                        .collect();
                    self.modal = Some(Modal::Choose {
                        origin,
                        field,
                        menu: Menu::new(title, items),
                    });
                }
                Effect::Tab(tab) => self.go(tab),
                Effect::FirstTab(tab) if !self.touched => self.go(tab),
                Effect::FirstTab(_) => {}
                Effect::Quit => self.begin_quit(),
            }
        }
    }

    /// Hand text to whoever asked for it.
    fn text_edit(&mut self, origin: Origin, field: &str, edit: TextEdit<'_>, now: Instant) {
        match origin {
            Origin::Tab(tab) => {
                let env = self.core.env(now);
                let fx = self.panes.get_mut(tab).on_text(field, edit, &env);
                self.run_effects(origin, fx, now);
            }
            Origin::App => self.app_text(field, edit, now),
        }
    }

    fn go(&mut self, tab: Tab) {
        let changed = tab != self.tab;
        self.tab = tab;
        self.overlay = None;
        if changed {
            let now = Instant::now();
            let env = self.core.env(now);
            let fx = self.panes.get_mut(tab).on_show(&env);
            self.run_effects(Origin::Tab(tab), fx, now);
        }
    }

    fn begin_quit(&mut self) {
        if self.core.engine_stopped {
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

    /// What quitting now would interrupt, across the panes.
    fn in_flight(&self) -> Vec<String> {
        Tab::ALL
            .iter()
            .filter_map(|t| self.panes.get(*t).in_flight())
            .collect()
    }

    fn quit_lines(&self) -> Vec<Line<'static>> {
        let busy = self.in_flight();
        let mut lines: Vec<Line<'static>> = busy.into_iter().map(Line::raw).collect();
        if lines.is_empty() {
            lines.push(Line::raw(
                "Nothing is in flight any more: quitting interrupts nothing.",
            ));
        } else {
            lines.push(Line::raw(
                "Quitting stops queued work; writes in flight finish and are journaled (C5). \
                 Run it again later to continue.",
            ));
        }
        lines
    }

    fn refresh_quit_dialog(&mut self) {
        let lines = match &self.modal {
            Some(Modal::Confirm(c, Origin::App))
                if matches!(c.on_confirm.as_slice(), [Effect::Quit]) =>
            {
                self.quit_lines()
            }
            _ => return,
        };
        if let Some(Modal::Confirm(c, _)) = &mut self.modal {
            c.lines = lines;
        }
    }

    // ------------------------------------------------------------------ app's text

    fn app_text(&mut self, field: &str, edit: TextEdit<'_>, now: Instant) {
        use super::panes::settings;
        match (field, edit) {
            ("activity-filter", TextEdit::Changed(v)) => self.activity.set_filter(v),
            ("activity-filter", TextEdit::Cancelled) => self.activity.set_filter(""),
            ("setting:match_attribute", TextEdit::Submitted(v)) => {
                match settings::parse_match_attribute(v) {
                    Ok(m) => {
                        let mut s = self.core.settings.clone();
                        s.match_attribute = m;
                        self.set_settings(s, now);
                    }
                    Err(e) => self.say(Level::Warn, e, now),
                }
            }
            ("setting:sync_interval", TextEdit::Submitted(v)) => {
                match settings::parse_interval(v) {
                    Ok(d) => {
                        self.core.sync_interval = d;
                        if self.panes.users.run.auto_sync {
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
                }
            }
            _ => {}
        }
    }

    pub(crate) fn set_settings(&mut self, s: MigrationSettings, now: Instant) {
        self.core.settings = s.clone();
        self.send(Command::Migration(MigrationCommand::SetSettings(s)));
        self.say(
            Level::Info,
            "settings sent to the engine for this session",
            now,
        );
    }

    // ------------------------------------------------------------------ layout

    /// Fit cursors to the screen and format what became visible. Runs after every
    /// update, so drawing stays a pure read.
    fn prepare(&mut self, now: Instant) {
        let areas = super::view::areas(self);
        let body = areas.body;
        match self.overlay {
            Some(Overlay::Activity) => self.activity.fit(body),
            Some(Overlay::Settings) => {}
            None => {
                let env = self.core.env(now);
                self.panes.get_mut(self.tab).prepare(body, &env);
            }
        }
        match &mut self.modal {
            Some(Modal::Help(s)) => {
                s.fit(body);
            }
            Some(Modal::Text(s)) => {
                s.fit_wrapped(body);
            }
            Some(Modal::Actions(m)) => {
                m.fit(body);
            }
            Some(Modal::Choose { menu, .. }) => {
                menu.fit(body);
            }
            _ => {}
        }
    }
}
