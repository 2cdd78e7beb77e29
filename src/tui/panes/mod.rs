//! The panes: users (with its detail view and plan preview), settings, the activity log,
//! and the tabs whose pane comes later. Each pane owns its state, answers
//! `available(action)` for its actions, and renders as a pure read of that state.

pub mod activity;
pub mod detail;
pub mod later;
pub mod plan;
pub mod settings;
pub mod users;

use chrono::{DateTime, Utc};

use super::action::{Action, Context};
use super::keymap::Keymap;
use super::theme::Theme;
use crate::datafile::DataSet;
use crate::migrate::MigrationSettings;

/// What panes read besides their own state.
#[derive(Clone, Copy)]
pub struct Env<'a> {
    pub theme: &'a Theme,
    pub keymap: &'a Keymap,
    pub data: Option<&'a DataSet>,
    pub settings: &'a MigrationSettings,
    pub now: DateTime<Utc>,
}

impl Env<'_> {
    /// How to trigger `action` here: its first key, else its command.
    pub fn key(&self, ctx: Context, action: Action) -> String {
        match self.keymap.keys(ctx.stack(), action).first() {
            Some(k) => k.to_string(),
            None => match super::widgets::command_line::command_for(action) {
                Some(cmd) => format!(":{cmd}"),
                None => format!("({})", action.name()),
            },
        }
    }
}

/// `12,345`.
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1000), "1,000");
        assert_eq!(super::thousands(500000), "500,000");
        assert_eq!(super::thousands(1234567), "1,234,567");
    }
}
