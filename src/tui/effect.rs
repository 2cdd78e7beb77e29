//! What a pane asks of the app: requests for the engine (stamped by the pane, so it knows
//! their ids and the app can route each reply back to it), a message for the footer, a
//! confirmation, text to show whole, a line of text to ask for, choices, a tab switch.
//! Panes never touch the app; they return [`Effects`] and the app carries them out.

use ratatui::text::Line;

use super::pane::Env;
use super::tab::Tab;
use super::widgets::confirm::Confirm;
use super::widgets::menu::Scroll;
use crate::engine::{Command, Request, RequestId};

/// How a footer message reads (and how it is logged).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// A line of text a pane asks for; what is typed comes back through
/// [`Pane::on_text`](super::pane::Pane::on_text) under `field`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextAsk {
    /// The pane's own name for the field (it matches on it).
    pub field: &'static str,
    /// Shown before the text, e.g. `Migration group (name or object id): `.
    pub label: String,
    pub initial: String,
    /// Every change is reported (`TextEdit::Changed`), not just the submitted value.
    pub live: bool,
}

/// One suggestion under a text field: `tab` puts `value` in the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub label: String,
    pub value: String,
}

/// What happened to a text field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEdit<'a> {
    Changed(&'a str),
    Submitted(&'a str),
    Cancelled,
}

/// One thing for the app to do.
#[derive(Debug, Clone)]
pub enum Effect {
    /// A request for the engine; its reply goes to whoever sent it.
    Send(Request),
    /// A footer message (logged too).
    Say(Level, String),
    /// A confirmation dialog; confirming carries out its effects.
    Confirm(Box<Confirm>),
    /// Text shown whole in a popup (an entry, a call, a long reason).
    Show(Scroll),
    /// Ask for a line of text.
    Ask(TextAsk),
    /// Suggestions for the text field `field`, if it is still being typed.
    Suggest {
        field: &'static str,
        items: Vec<Suggestion>,
        /// A line under the suggestions (e.g. "12 more: keep typing").
        note: Option<String>,
    },
    /// Pick one of these; the value chosen comes back as `TextEdit::Submitted` of
    /// `field`.
    Choose {
        field: &'static str,
        title: String,
        items: Vec<(String, String)>,
    },
    /// Switch to a tab.
    Tab(Tab),
    /// Open on this tab instead of the one the app starts on, unless the admin has
    /// already pressed a key (a pane that learns late what the first tab should be).
    FirstTab(Tab),
    /// Quit (what the quit confirmation runs).
    Quit,
}

/// The effects of one call into a pane, in order.
#[derive(Debug, Clone, Default)]
pub struct Effects(pub Vec<Effect>);

impl Effects {
    pub fn none() -> Effects {
        Effects::default()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn push(&mut self, e: Effect) {
        self.0.push(e);
    }

    pub fn extend(&mut self, other: Effects) {
        self.0.extend(other.0);
    }

    /// Stamp `command` with the next request id and queue it; the id its reply carries.
    pub fn send(&mut self, env: &Env<'_>, command: Command) -> RequestId {
        let req = env.ids.request(command);
        let id = req.id;
        self.0.push(Effect::Send(req));
        id
    }

    pub fn say(&mut self, level: Level, text: impl Into<String>) {
        self.0.push(Effect::Say(level, text.into()));
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.say(Level::Info, text);
    }

    pub fn warn(&mut self, text: impl Into<String>) {
        self.say(Level::Warn, text);
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.say(Level::Error, text);
    }

    pub fn confirm(&mut self, c: Confirm) {
        self.0.push(Effect::Confirm(Box::new(c)));
    }

    pub fn show(&mut self, title: impl Into<String>, lines: Vec<Line<'static>>) {
        self.0.push(Effect::Show(Scroll::new(title, lines)));
    }

    pub fn ask(&mut self, ask: TextAsk) {
        self.0.push(Effect::Ask(ask));
    }

    pub fn tab(&mut self, tab: Tab) {
        self.0.push(Effect::Tab(tab));
    }
}

impl From<Effect> for Effects {
    fn from(e: Effect) -> Effects {
        Effects(vec![e])
    }
}
