//! The pane contract: what every tab's pane does, and what the app does for all of them.
//!
//! A pane owns its state and decides about its own actions. The app keeps only what is
//! global (header, tabs, modals, text fields, the activity log, settings, footer
//! messages, quitting) and routes: keys become actions through the keymap contexts the
//! pane names ([`Pane::stack`]); every action is checked with [`Pane::available`] — the
//! same answer the footer, help and the actions menu show, so a key cannot work while it
//! is shown greyed — and then handed to [`Pane::dispatch`]. Engine events go to every
//! pane ([`Pane::on_event`]); the reply to a request goes to the pane that sent it
//! ([`Pane::on_reply`]: requests are stamped by the pane through [`Effects::send`], so it
//! knows their ids). A pane answers with [`Effects`] (requests, a confirmation carrying
//! the requests it will send, a message, text to show, a tab switch) and never touches
//! the app.
//!
//! Drawing is a pure read: [`Pane::prepare`] runs after every update with the area the
//! pane will get (fit cursors, format the visible rows), [`Pane::render`] only draws.
//!
//! ## Adding a pane
//!
//! 1. Its actions: add variants to `action.rs` (description, help group, the keymap
//!    context they may be bound in, their confirmation tier) and default keys to
//!    `keymaps/default.toml` and `keymaps/arrows.toml`; a new context goes in
//!    `Context` with its stack (most specific first).
//! 2. The pane: a type implementing [`Pane`] in `panes/`, with `stack()` naming its
//!    context, `available()` for each of its actions (with the reason when not), and
//!    `dispatch()` doing them. Tenant writes confirm through
//!    [`crate::confirm_tier`] and a [`Confirm`](super::widgets::confirm::Confirm)
//!    carrying the requests it will send.
//! 3. The tab: give it a field in `Panes` (`app.rs`) and a `Tab` variant.
//!    Help, the footer and the actions menu follow from the keymap and `available()`.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use tokio::time::Instant;

use super::action::{Action, Availability, Context};
use super::effect::{Effects, TextEdit};
use super::keymap::Keymap;
use super::tab::Tab;
use super::theme::Theme;
use crate::datafile::DataSet;
use crate::engine::{Event, Reply, RequestIds, SessionInfo};
use crate::migrate::MigrationSettings;

/// What panes read besides their own state: built by the app for each call.
pub struct Env<'a> {
    pub theme: &'a Theme,
    pub keymap: &'a Keymap,
    pub data: Option<&'a DataSet>,
    pub settings: &'a MigrationSettings,
    pub session: Option<&'a SessionInfo>,
    /// Display time (token expiry, timestamps, export names): injected, so snapshots are
    /// stable.
    pub now: DateTime<Utc>,
    /// Monotonic time for timers.
    pub instant: Instant,
    /// Stamps requests (shared with the engine client: ids are unique).
    pub ids: &'a RequestIds,
    /// Why the tenant cannot be written now (the sign-in's capabilities, READ-ONLY, the
    /// engine stopped), if it cannot.
    pub write_block: Option<String>,
    pub engine_stopped: bool,
    /// `production = true` in the config.
    pub production: bool,
    pub sync_interval: Duration,
    /// Where exports go unless the admin names a path.
    pub export_dir: &'a Path,
}

impl Env<'_> {
    /// How to trigger `action` here: its first key, else its command.
    pub fn key(&self, ctx: Context, action: Action) -> String {
        match self.keymap.keys(ctx.stack(), action).first() {
            Some(k) => k.to_string(),
            None => match super::commands::command_for(action) {
                Some(cmd) => format!(":{cmd}"),
                None => format!("({})", action.name()),
            },
        }
    }
}

/// One tab's pane. See the module documentation for the contract and for adding one.
pub trait Pane: Send {
    /// The tab it fills.
    fn tab(&self) -> Tab;

    /// The keymap contexts live while it has the focus, most specific first (a view open
    /// on top of its list may name others).
    fn stack(&self) -> &'static [Context];

    /// The view open on top of the tab's list, for the tab line (`detail`).
    fn view_name(&self) -> Option<&'static str> {
        None
    }

    /// Whether `action` can run now, and why not. Tenant writes are also refused by the
    /// app while [`Env::write_block`] says so.
    fn available(&self, action: Action, env: &Env<'_>) -> Availability;

    /// Run an action that passed [`Pane::available`].
    fn dispatch(&mut self, action: Action, env: &Env<'_>) -> Effects;

    /// The pane's tab became the current one (read what it shows, if it reads lazily).
    fn on_show(&mut self, _env: &Env<'_>) -> Effects {
        Effects::none()
    }

    /// Every engine event (replies excepted) reaches every pane.
    fn on_event(&mut self, _event: &Event, _env: &Env<'_>) -> Effects {
        Effects::none()
    }

    /// The reply to a request this pane sent.
    fn on_reply(&mut self, _reply: &Reply, _env: &Env<'_>) -> Effects {
        Effects::none()
    }

    /// A text field this pane asked for (`Effect::Ask`), or a choice (`Effect::Choose`).
    fn on_text(&mut self, _field: &str, _edit: TextEdit<'_>, _env: &Env<'_>) -> Effects {
        Effects::none()
    }

    /// Fit to `area` and format what is visible; runs after every update, before
    /// drawing.
    fn prepare(&mut self, area: Rect, env: &Env<'_>);

    /// Draw: a pure read of the state `prepare` left.
    fn render(&self, frame: &mut Frame<'_>, area: Rect, env: &Env<'_>, focused: bool);

    /// The actions worth a footer hint here, most useful first (shown when available
    /// and bound).
    fn hints(&self) -> Vec<Action>;

    /// The actions the actions menu (`x`) lists here, besides the global ones.
    fn menu(&self) -> Vec<Action> {
        self.stack()
            .iter()
            .filter(|c| !matches!(c, Context::Global | Context::Navigation))
            .flat_map(|c| Action::in_context(*c))
            .collect()
    }

    /// Its section of help (`?`): what its words, marks and columns mean.
    fn help(&self, _env: &Env<'_>) -> Vec<Line<'static>> {
        Vec::new()
    }

    /// The earliest timer it waits for.
    fn deadline(&self) -> Option<Instant> {
        None
    }

    /// Timers that are due.
    fn tick(&mut self, _env: &Env<'_>) -> Effects {
        Effects::none()
    }

    /// What quitting now would interrupt (a migration running), in words for the quit
    /// dialog; `None` when nothing is in flight.
    fn in_flight(&self) -> Option<String> {
        None
    }
}
