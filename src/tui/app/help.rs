//! Help (`?`), generated from the live keymap and each action's availability, with the
//! current pane's own section; and the text popups the app shows whole: a Graph call, a
//! device code, this session's messages, the data file's row problems. Untrusted text
//! goes through `safe_text`.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use ratatui::text::{Line, Span};

use super::{App, Level, Overlay};
use crate::datafile::DataSet;
use crate::graph::CallRecord;
use crate::graph::auth::DeviceCodePrompt;
use crate::safe_text::terminal;
use crate::tui::action::{Action, Availability, Context, Tier};
use crate::tui::commands;
use crate::tui::keymap::Key;
use crate::tui::theme::Theme;
use crate::tui::widgets::menu::Scroll;
use crate::tui::widgets::thousands;

/// Row problems listed at most (the rest: `mfa-cutover inspect`).
const PROBLEMS_SHOWN: usize = 2_000;

fn join_keys(keys: &[Key]) -> String {
    keys.iter()
        .map(Key::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

fn kv(key: &str, value: String, t: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("  {key:<18}"), t.dim()),
        Span::raw(value),
    ])
}

impl App {
    pub(super) fn help(&self) -> Scroll {
        let t = &self.core.opts.theme;
        let km = &self.core.opts.keymap;
        let mut lines: Vec<Line<'static>> = Vec::new();
        let section = |lines: &mut Vec<Line<'static>>, title: &str| {
            if !lines.is_empty() {
                lines.push(Line::raw(""));
            }
            lines.push(Line::styled(title.to_string(), t.heading()));
        };
        let entry = |lines: &mut Vec<Line<'static>>, keys: String, a: Action| {
            let mut spans = vec![
                Span::styled(format!("  {keys:<16}"), t.key()),
                Span::raw(a.description().to_string()),
            ];
            if a.tier() >= Tier::One {
                spans.push(Span::styled(
                    format!(" [asks: tier {}+]", a.tier().number()),
                    t.dim(),
                ));
            }
            if let Availability::Unavailable(why) = self.available(a) {
                spans.push(Span::styled(format!(" ✗ {why}"), t.dim()));
            }
            lines.push(Line::from(spans));
        };
        let stack = self.stack();
        section(&mut lines, "Keys of this view");
        for ctx in stack.iter().filter(|c| **c != Context::Global) {
            for (a, keys) in km.bound_in(*ctx) {
                entry(&mut lines, join_keys(keys), a);
            }
        }
        section(&mut lines, "Everywhere");
        for (a, keys) in km.bound_in(Context::Global) {
            entry(&mut lines, join_keys(keys), a);
        }
        for a in [Action::ReadOnly, Action::ToggleHeader] {
            if km.keys(&[Context::Global], a).is_empty()
                && let Some(c) = commands::command_for(a)
            {
                entry(&mut lines, format!(":{c}"), a);
            }
        }
        lines.push(Line::styled(
            "  :signin, :consent, :messages, :problems and more: type : and see the list",
            t.dim(),
        ));
        section(
            &mut lines,
            "Text fields (filter, :commands, prompts, typed confirmations)",
        );
        for (k, what) in [
            ("enter", "apply / run"),
            ("esc", "cancel; in the filter: clear it"),
            (
                "tab",
                "complete a :command, take the highlighted suggestion",
            ),
            ("up / down", "move through suggestions (the group picker)"),
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
        section(&mut lines, "Dialogs and confirmation tiers");
        for (a, keys) in km.bound_in(Context::Dialog) {
            entry(&mut lines, join_keys(keys), a);
        }
        for (tier, what) in [
            (
                "tier",
                "how much a tenant change asks before it runs, from its blast radius",
            ),
            ("  tier 0", "reads, filters, exports: nothing asked"),
            (
                "  tier 1",
                "a small write: a summary with counts and rule ids; focus starts on Cancel",
            ),
            (
                "  tier 2",
                "more than 50 users written, a production tenant or a forced interlock: \
                 type the count (or the group name)",
            ),
            (
                "  tier 3",
                "tenant-wide (federation cutover or rollback): type the domain name",
            ),
            (
                "blast radius",
                "what a write touches: users written (from a dry run), users verified, \
                 users left without a usable method",
            ),
        ] {
            lines.push(Line::from(vec![
                Span::styled(format!("  {tier:<18}"), t.key()),
                Span::raw(what),
            ]));
        }
        let env = self.core.env(tokio::time::Instant::now());
        if self.overlay.is_none() {
            let own = self.pane().help(&env);
            if !own.is_empty() {
                lines.push(Line::raw(""));
                lines.extend(own);
            }
        } else if self.overlay == Some(Overlay::Activity) {
            section(&mut lines, "Activity log");
            lines.push(Line::raw(
                "  Every Graph call the engine made, newest last. enter shows one whole: \
                 method, full path, status, duration, attempts, throttling.",
            ));
        }
        if !self.core.opts.about.is_empty() {
            section(&mut lines, "This session");
            for l in &self.core.opts.about {
                lines.push(Line::raw(format!("  {l}")));
            }
        }
        section(&mut lines, "Files");
        lines.push(Line::raw(format!(
            "  log: {}",
            self.core
                .opts
                .log_path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "(not logging to a file)".into())
        )));
        lines.push(Line::raw(format!("  keymap: {}", km.sources.join(" + "))));
        Scroll::new("Help", lines)
    }
}

/// The device code prompt: where to go and what to type.
pub(super) fn device_code_lines(p: &DeviceCodePrompt, t: &Theme) -> Vec<Line<'static>> {
    let mut l = vec![
        Line::raw("To sign in, open this page on any machine:"),
        Line::styled(format!("  {}", terminal(&p.verification_uri)), t.title()),
        Line::raw("and enter the code:"),
        Line::styled(format!("  {}", terminal(&p.user_code)), t.title()),
        Line::raw(format!(
            "The code is valid until {}. This closes by itself once you are signed in; \
             esc hides it (the sign-in goes on).",
            p.expires_at.format("%H:%M UTC")
        )),
    ];
    if let Some(m) = &p.message {
        l.push(Line::raw(""));
        l.push(Line::styled(terminal(m).into_owned(), t.dim()));
    }
    l
}

/// This session's footer messages, oldest first, whole.
pub(super) fn message_lines(
    messages: &VecDeque<(DateTime<Utc>, Level, String)>,
    t: &Theme,
) -> Vec<Line<'static>> {
    if messages.is_empty() {
        return vec![Line::styled("No message yet.", t.dim())];
    }
    messages
        .iter()
        .map(|(at, level, text)| {
            let (mark, style) = match level {
                Level::Info => ("  ", t.base()),
                Level::Warn => ("! ", t.warn()),
                Level::Error => ("✗ ", t.error()),
            };
            Line::from(vec![
                Span::styled(format!("{} ", at.format("%H:%M:%S")), t.dim()),
                Span::styled(format!("{mark}{}", terminal(text)), style),
            ])
        })
        .collect()
}

/// The data file's row problems: where, which field, what was wrong.
pub(super) fn problem_lines(data: Option<&DataSet>, t: &Theme) -> Vec<Line<'static>> {
    let Some(d) = data else {
        return vec![Line::styled("The data file is not read yet.", t.dim())];
    };
    if d.problems.is_empty() {
        return vec![Line::raw(
            "No row problem: every row of the data file was read whole.",
        )];
    }
    let mut l = vec![Line::raw(format!(
        "{} row problems. A field with a problem shows \"? see notes\" in the users list; \
         the user's detail view (d) lists its own.",
        thousands(d.problems.len())
    ))];
    for p in d.problems.iter().take(PROBLEMS_SHOWN) {
        let file = d
            .inputs
            .get(p.input)
            .map(|i| i.path.display().to_string())
            .unwrap_or_else(|| "?".into());
        let place = match p.row {
            Some(r) => format!("{} row {r}", terminal(&file)),
            None => terminal(&file).into_owned(),
        };
        l.push(Line::from(vec![
            Span::styled(format!("{place}: "), t.dim()),
            Span::raw(format!(
                "{}{} — {}: {}{}",
                p.user
                    .as_deref()
                    .map(|u| format!("{} ", terminal(u)))
                    .unwrap_or_default(),
                terminal(&p.field),
                crate::datafile::report::kind_label(p.kind),
                terminal(&p.reason),
                if p.set_aside { " (row set aside)" } else { "" }
            )),
        ]));
    }
    if d.problems.len() > PROBLEMS_SHOWN {
        l.push(Line::styled(
            format!(
                "… and {} more: `mfa-cutover inspect` lists every one",
                thousands(d.problems.len() - PROBLEMS_SHOWN)
            ),
            t.dim(),
        ));
    }
    l
}

/// One Graph call, whole.
pub(super) fn call_lines(c: &CallRecord, t: &Theme) -> Vec<Line<'static>> {
    vec![
        kv(
            "time",
            c.at.format("%Y-%m-%d %H:%M:%S%.3f UTC").to_string(),
            t,
        ),
        kv("method", terminal(&c.method).into_owned(), t),
        kv("path", terminal(&c.path).into_owned(), t),
        kv(
            "status",
            c.status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "no answer (timeout or connection error)".into()),
            t,
        ),
        kv("duration", format!("{} ms", c.duration_ms), t),
        kv(
            "attempt",
            format!(
                "{}{}",
                c.attempt,
                if c.attempt > 1 { " (retried)" } else { "" }
            ),
            t,
        ),
        kv(
            "batch items",
            if c.batch_items > 0 {
                c.batch_items.to_string()
            } else {
                "— (not a $batch)".into()
            },
            t,
        ),
        kv(
            "throttled (429)",
            if c.throttled > 0 {
                format!("{} time(s): waited as Retry-After said", c.throttled)
            } else {
                "no".into()
            },
            t,
        ),
        kv(
            "Graph error",
            c.error_code
                .as_deref()
                .map(|e| terminal(e).into_owned())
                .unwrap_or_else(|| "—".into()),
            t,
        ),
        kv("request id", terminal(&c.client_request_id).into_owned(), t),
    ]
}
