//! Keys and commands: a key becomes an action through the keymap of the contexts live
//! now; every action goes through [`App::available`] (the answer the footer, help and
//! the actions menu show) and then to the app (global actions, overlays, menus) or the
//! current tab's pane. Text fields and dialogs take raw keys.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind};
use ratatui::text::{Line, Span};
use tokio::time::Instant;

use super::{App, InputLine, Level, Modal, Origin, Overlay, QuitState, help};
use crate::confirm_tier::{Ask, Tier};
use crate::engine::{Command, SessionCommand, TokenKind};
use crate::tui::action::{Action, Availability, Context};
use crate::tui::commands::{self, Cmd};
use crate::tui::effect::{Effect, TextAsk, TextEdit};
use crate::tui::keymap::Key;
use crate::tui::pane::Pane;
use crate::tui::panes::settings::{self, Change, Field};
use crate::tui::tab::Tab;
use crate::tui::widgets::command_line::CommandLine;
use crate::tui::widgets::confirm::{Confirm, Focus};
use crate::tui::widgets::menu::{Menu, MenuItem, Scroll};
use crate::tui::widgets::text_input::Edit;

impl App {
    /// The keymap contexts live now, most specific first.
    pub fn stack(&self) -> &'static [Context] {
        match (&self.modal, self.overlay) {
            (Some(Modal::Confirm(..)), _) => Context::Dialog.stack(),
            (Some(_), _) => Context::Menu.stack(),
            (None, Some(Overlay::Activity)) => Context::Activity.stack(),
            (None, Some(Overlay::Settings)) => Context::Navigation.stack(),
            (None, None) => self.pane().stack(),
        }
    }

    pub(super) fn on_key(&mut self, key: KeyEvent, now: Instant) -> bool {
        if key.kind == KeyEventKind::Release {
            return false;
        }
        if self.input.is_some() {
            return self.on_input_key(key, now);
        }
        let Some(k) = Key::from_event(&key) else {
            return false;
        };
        if let Some(Modal::Confirm(..)) = &self.modal {
            return self.on_dialog_key(k, key, now);
        }
        match self.core.opts.keymap.action(self.stack(), k) {
            Some(action) => {
                self.dispatch(action, now);
                true
            }
            None => false,
        }
    }

    fn on_dialog_key(&mut self, k: Key, raw: KeyEvent, now: Instant) -> bool {
        let action = self.core.opts.keymap.action(Context::Dialog.stack(), k);
        let Some(Modal::Confirm(c, _)) = &mut self.modal else {
            return false;
        };
        match action {
            Some(Action::DialogNext) | Some(Action::DialogPrev) => c.toggle_focus(),
            Some(Action::DialogCancel) => self.modal = None,
            Some(Action::DialogPress) => match c.focus {
                Focus::Cancel => self.modal = None,
                Focus::Confirm if c.armed() => {
                    if let Some(Modal::Confirm(c, origin)) = self.modal.take() {
                        self.confirmed(*c, origin, now);
                    }
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

    /// A confirmation was confirmed: check again that it can run (the dialog may have
    /// stayed open while things changed), then carry out what it holds.
    fn confirmed(&mut self, c: Confirm, origin: Origin, now: Instant) {
        if let Some(a) = c.recheck
            && let Availability::Unavailable(why) = self.available(a)
        {
            self.say(
                Level::Warn,
                format!("not done: {}: {why}", a.description()),
                now,
            );
            return;
        }
        self.run_effects(origin, crate::tui::effect::Effects(c.on_confirm), now);
    }

    fn on_input_key(&mut self, key: KeyEvent, now: Instant) -> bool {
        let Some(input) = &mut self.input else {
            return false;
        };
        match input {
            InputLine::Command(cmd) => match cmd.input.handle(&key) {
                Edit::Changed | Edit::Moved => cmd.edited(),
                Edit::Complete => {
                    let value = cmd.input.value().to_string();
                    cmd.complete(commands::candidates(&value), commands::takes_arg);
                }
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
            InputLine::Text(t) => {
                // Up and down pick a suggestion; tab takes it.
                match key.code {
                    KeyCode::Up if !t.suggestions.is_empty() => {
                        t.selected = t.selected.saturating_sub(1);
                        return true;
                    }
                    KeyCode::Down if !t.suggestions.is_empty() => {
                        t.selected = (t.selected + 1).min(t.suggestions.len() - 1);
                        return true;
                    }
                    _ => {}
                }
                let (origin, field, live) = (t.origin, t.ask.field, t.ask.live);
                match t.input.handle(&key) {
                    Edit::Changed => {
                        if live {
                            let v = t.input.value().to_string();
                            self.text_edit(origin, field, TextEdit::Changed(&v), now);
                        }
                    }
                    Edit::Complete => {
                        if let Some(s) = t.suggestions.get(t.selected) {
                            let v = s.value.clone();
                            t.input.set(&v);
                            if live {
                                self.text_edit(origin, field, TextEdit::Changed(&v), now);
                            }
                        }
                    }
                    Edit::Submit => {
                        let v = t.input.value().to_string();
                        self.input = None;
                        self.text_edit(origin, field, TextEdit::Submitted(&v), now);
                    }
                    Edit::Cancel => {
                        self.input = None;
                        self.text_edit(origin, field, TextEdit::Cancelled, now);
                    }
                    Edit::Moved => {}
                    Edit::Ignored => return false,
                }
            }
        }
        true
    }

    fn run_command(&mut self, line: &str, now: Instant) {
        match commands::parse(line) {
            Err(e) => self.say(Level::Warn, e, now),
            Ok(Cmd::Run(a)) => self.dispatch(a, now),
            Ok(Cmd::Group(q)) => {
                if let Availability::Unavailable(r) = self
                    .panes
                    .users
                    .available(Action::PickGroup, &self.core.env(now))
                {
                    self.say(Level::Warn, format!("group: {r}"), now);
                } else {
                    self.go(Tab::Users);
                    let env = self.core.env(now);
                    let fx = self.panes.users.find_group(q, &env);
                    self.run_effects(Origin::Tab(Tab::Users), fx, now);
                }
            }
            Ok(Cmd::Export(path)) => {
                if let Availability::Unavailable(r) = self
                    .panes
                    .users
                    .available(Action::Export, &self.core.env(now))
                {
                    self.say(Level::Warn, format!("export: {r}"), now);
                } else {
                    let env = self.core.env(now);
                    let fx = self.panes.users.export(path, &env);
                    self.run_effects(Origin::Tab(Tab::Users), fx, now);
                }
            }
            Ok(Cmd::Sort(key, desc)) => {
                let text = self.panes.users.sort_by(key, desc);
                self.say(Level::Info, text, now);
            }
            Ok(Cmd::Rollback) => {
                self.go(Tab::Federation);
                self.dispatch(Action::Rollback, now);
            }
            Ok(Cmd::SignIn) => match self.core.session.as_ref() {
                None => self.say(Level::Warn, "signin: not signed in yet", now),
                Some(s) if s.identity.kind != TokenKind::AppOnly => self.say(
                    Level::Info,
                    "signin: the session is already an admin's (delegated): nothing to add",
                    now,
                ),
                Some(_) => {
                    self.send(Command::Session(SessionCommand::SignInDelegated));
                    self.say(
                        Level::Info,
                        "signing an admin in beside the application: a device code follows",
                        now,
                    );
                }
            },
            Ok(Cmd::Consent(c)) => {
                self.send(Command::Session(SessionCommand::Consent(c)));
                self.say(
                    Level::Info,
                    "asking Entra for the permissions: a device code may follow",
                    now,
                );
            }
            Ok(Cmd::Messages) => {
                let lines = help::message_lines(&self.messages, &self.core.opts.theme);
                self.modal = Some(Modal::Text(Scroll::new("Messages", lines)));
            }
            Ok(Cmd::Problems) => {
                let lines = help::problem_lines(self.core.data.as_deref(), &self.core.opts.theme);
                self.modal = Some(Modal::Text(Scroll::new("Row problems", lines)));
            }
        }
    }

    /// Whether `action` can run now; the footer, help and actions menu show the same.
    pub fn available(&self, action: Action) -> Availability {
        use Action as A;
        if action.writes_tenant()
            && let Some(why) = self.core.write_block()
        {
            return Availability::Unavailable(why);
        }
        let env = self.core.env(Instant::now());
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
            | A::ToggleHeader
            | A::Close
            | A::DialogNext
            | A::DialogPrev
            | A::DialogPress
            | A::DialogCancel => Availability::Available,
            A::ReadOnly => match self
                .core
                .session
                .as_ref()
                .and_then(|s| s.capabilities.can_migrate().why())
            {
                Some(why) => Availability::Unavailable(format!("READ-ONLY stays on: {why}")),
                None => Availability::Available,
            },
            A::Back if self.overlay.is_some() => Availability::Available,
            A::MoveUp | A::MoveDown | A::PageUp | A::PageDown | A::Top | A::Bottom
                if self.modal.is_some() =>
            {
                let len = match &self.modal {
                    Some(Modal::Help(s)) | Some(Modal::Text(s)) => s.lines.len(),
                    Some(Modal::Actions(m)) => m.items.len(),
                    Some(Modal::Choose { menu, .. }) => menu.items.len(),
                    _ => 0,
                };
                if len == 0 {
                    Availability::no("the list is empty")
                } else {
                    Availability::Available
                }
            }
            A::Open if self.modal.is_some() => match &self.modal {
                Some(Modal::Actions(_)) | Some(Modal::Choose { .. }) => Availability::Available,
                _ => Availability::no("nothing to open here"),
            },
            _ => match self.overlay {
                Some(Overlay::Activity) => self.activity.available(action),
                Some(Overlay::Settings) => match action {
                    A::MoveUp | A::MoveDown | A::PageUp | A::PageDown | A::Top | A::Bottom => {
                        Availability::Available
                    }
                    A::Open => Availability::Available,
                    A::Refresh | A::Export => self.pane().available(action, &env),
                    _ => Availability::no("close the settings first (esc)"),
                },
                None => self.pane().available(action, &env),
            },
        }
    }

    /// Run an action that passed the keymap: check, then do it here or in the pane.
    pub fn dispatch(&mut self, action: Action, now: Instant) {
        tracing::debug!(action = action.name(), "dispatch");
        if let Availability::Unavailable(why) = self.available(action) {
            self.say(Level::Warn, format!("{}: {why}", action.description()), now);
            return;
        }
        use Action as A;
        match action {
            A::Quit => {
                if self.overlay.is_some() {
                    self.overlay = None;
                } else if self.pane().view_name().is_some() {
                    self.pass_to_pane(A::Back, now);
                } else if !self.in_flight().is_empty() {
                    let c = Confirm::new(
                        "Quit while writes are in flight?",
                        Ask {
                            tier: Tier::One,
                            type_text: None,
                        },
                        self.quit_lines(),
                        "Quit",
                        vec![Effect::Quit],
                    );
                    self.modal = Some(Modal::Confirm(Box::new(c), Origin::App));
                } else {
                    self.begin_quit();
                }
            }
            A::ForceQuit => {
                self.send(Command::Shutdown);
                self.quit = QuitState::Done;
            }
            A::Back => {
                if self.overlay.is_some() {
                    self.overlay = None;
                } else {
                    self.pass_to_pane(A::Back, now);
                }
            }
            A::Help => self.modal = Some(Modal::Help(self.help())),
            A::CommandMode => self.input = Some(InputLine::Command(CommandLine::new(""))),
            A::ActionsMenu => self.modal = Some(Modal::Actions(self.actions_menu())),
            A::ActivityLog => {
                self.overlay = match self.overlay {
                    Some(Overlay::Activity) => None,
                    _ => Some(Overlay::Activity),
                }
            }
            A::Settings => self.overlay = Some(Overlay::Settings),
            A::TabChecklist => self.go(Tab::Checklist),
            A::TabUsers => self.go(Tab::Users),
            A::TabRollout => self.go(Tab::Rollout),
            A::TabFederation => self.go(Tab::Federation),
            A::TabDependencies => self.go(Tab::Dependencies),
            A::TabJournal => self.go(Tab::Journal),
            A::NextTab => self.go(self.tab.next()),
            A::PrevTab => self.go(self.tab.prev()),
            A::ToggleHeader => self.header = !self.header,
            A::ReadOnly => {
                self.core.read_only = !self.core.read_only;
                let text = if self.core.read_only {
                    "READ-ONLY on: no tenant write until :readonly again"
                } else {
                    "READ-ONLY off: tenant writes possible (each still asks first)"
                };
                self.say(Level::Info, text, now);
            }
            A::Close => self.modal = None,
            A::DialogNext | A::DialogPrev | A::DialogPress | A::DialogCancel => {}
            A::MoveUp | A::MoveDown | A::PageUp | A::PageDown | A::Top | A::Bottom | A::Open
                if self.modal.is_some() =>
            {
                self.modal_action(action, now)
            }
            _ => match self.overlay {
                Some(Overlay::Activity) if action != A::Refresh && action != A::Export => {
                    self.activity_action(action, now)
                }
                Some(Overlay::Settings) if action != A::Refresh && action != A::Export => {
                    self.settings_action(action, now)
                }
                _ => self.pass_to_pane(action, now),
            },
        }
    }

    fn pass_to_pane(&mut self, action: Action, now: Instant) {
        let env = self.core.env(now);
        let fx = self.panes.get_mut(self.tab).dispatch(action, &env);
        self.run_effects(Origin::Tab(self.tab), fx, now);
    }

    fn modal_action(&mut self, action: Action, now: Instant) {
        use Action as A;
        let step = |c: &mut crate::tui::widgets::virtual_table::Cursor| match action {
            A::MoveUp => c.up(1),
            A::MoveDown => c.down(1),
            A::PageUp => c.page_up(),
            A::PageDown => c.page_down(),
            A::Top => c.top(),
            A::Bottom => c.bottom(),
            _ => {}
        };
        match &mut self.modal {
            Some(Modal::Help(s)) | Some(Modal::Text(s)) => {
                let h = s.cursor.height.max(1) as isize;
                let delta = match action {
                    A::MoveUp => -1,
                    A::MoveDown => 1,
                    A::PageUp => -h,
                    A::PageDown => h,
                    A::Top => isize::MIN / 2,
                    A::Bottom => isize::MAX / 2,
                    _ => 0,
                };
                let off = s.cursor.offset as isize + delta;
                s.scroll(off.max(0) as usize);
            }
            Some(Modal::Actions(m)) => {
                if action == A::Open {
                    if let Some(item) = m.selected() {
                        let a = item.value;
                        self.modal = None;
                        self.dispatch(a, now);
                    }
                } else {
                    step(&mut m.cursor);
                }
            }
            Some(Modal::Choose { menu, .. }) => {
                if action == A::Open {
                    if let Some(Modal::Choose {
                        origin,
                        field,
                        menu,
                    }) = self.modal.take()
                        && let Some(item) = menu.selected()
                    {
                        self.text_edit(origin, field, TextEdit::Submitted(&item.value), now);
                    }
                } else {
                    step(&mut menu.cursor);
                }
            }
            _ => {}
        }
    }

    fn activity_action(&mut self, action: Action, now: Instant) {
        use Action as A;
        match action {
            A::Filter => {
                self.input = Some(InputLine::Text(super::TextLine {
                    origin: Origin::App,
                    input: crate::tui::widgets::text_input::TextInput::new(&self.activity.filter),
                    ask: TextAsk {
                        field: "activity-filter",
                        label: "/".into(),
                        initial: self.activity.filter.clone(),
                        live: true,
                    },
                    suggestions: Vec::new(),
                    note: None,
                    selected: 0,
                }));
            }
            A::Open => {
                if let Some(call) = self.activity.selected() {
                    let lines = help::call_lines(call, &self.core.opts.theme);
                    self.modal = Some(Modal::Text(Scroll::new("Graph call", lines)));
                }
            }
            _ => self.activity.act(action),
        }
        let _ = now;
    }

    fn settings_action(&mut self, action: Action, now: Instant) {
        use Action as A;
        match action {
            A::Open => {
                let field = self.settings_pane.field();
                match settings::change(field, &self.core.settings, self.core.sync_interval) {
                    Change::Set(s) => self.set_settings(s, now),
                    Change::Edit(f, current) => {
                        let (name, label) = match f {
                            Field::MatchAttribute => (
                                "setting:match_attribute",
                                "match_attribute (key=property, empty: none): ",
                            ),
                            _ => ("setting:sync_interval", "sync_interval (e.g. 15m, 1h): "),
                        };
                        self.input = Some(InputLine::Text(super::TextLine {
                            origin: Origin::App,
                            input: crate::tui::widgets::text_input::TextInput::new(&current),
                            ask: TextAsk {
                                field: name,
                                label: label.into(),
                                initial: current,
                                live: false,
                            },
                            suggestions: Vec::new(),
                            note: None,
                            selected: 0,
                        }));
                    }
                    Change::Fixed(why) => self.say(Level::Info, why, now),
                }
            }
            A::MoveUp => self.settings_pane.cursor.up(1),
            A::MoveDown => self.settings_pane.cursor.down(1),
            A::PageUp | A::Top => self.settings_pane.cursor.top(),
            A::PageDown | A::Bottom => self.settings_pane.cursor.bottom(),
            _ => {}
        }
    }

    // ------------------------------------------------------------------ menus

    fn menu_actions(&self) -> Vec<Action> {
        let mut out: Vec<Action> = match self.overlay {
            Some(Overlay::Activity) => {
                vec![Action::Open, Action::Filter, Action::Follow]
            }
            Some(Overlay::Settings) => vec![Action::Open],
            None => {
                let mut v = self.pane().menu();
                for a in [Action::Open, Action::Filter] {
                    if !v.contains(&a) {
                        v.push(a);
                    }
                }
                v
            }
        };
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

    pub(super) fn key_text(&self, action: Action) -> String {
        let stack = self.stack();
        match self.core.opts.keymap.describe(stack, action) {
            Some(k) => k,
            None => commands::command_for(action)
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

    /// Lines of a text field's suggestions (drawn above it).
    pub fn suggestion_lines(&self) -> Vec<Line<'static>> {
        let t = &self.core.opts.theme;
        match &self.input {
            Some(InputLine::Text(tl)) => {
                let mut lines: Vec<Line<'static>> = tl
                    .suggestions
                    .iter()
                    .enumerate()
                    .map(|(i, s)| {
                        let l = Line::from(vec![Span::raw(" "), Span::raw(s.label.clone())]);
                        if i == tl.selected {
                            l.style(t.selected())
                        } else {
                            l
                        }
                    })
                    .collect();
                if let Some(n) = &tl.note {
                    lines.push(Line::styled(format!(" {n}"), t.dim()));
                }
                lines
            }
            _ => Vec::new(),
        }
    }
}
