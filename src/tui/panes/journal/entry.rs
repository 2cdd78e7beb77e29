//! One journal or audit entry in words: the short forms the list shows and the whole
//! entry `enter` opens. Everything from the store is untrusted text: it goes through
//! `safe_text`.

use ratatui::text::{Line, Span};

use super::Change;
use crate::engine::store::{JournalEntry, OutcomeKind, TargetKind};
use crate::migrate::Op;
use crate::safe_text::terminal;
use crate::tui::theme::Theme;

pub fn kind_word(k: TargetKind) -> &'static str {
    match k {
        TargetKind::UserMethod => "user",
        TargetKind::RolloutPolicy => "policy",
        TargetKind::RolloutGroup => "group",
        TargetKind::DomainFederation => "domain",
        TargetKind::InventoryItem => "item",
        TargetKind::ChecklistStep => "step",
    }
}

/// A journaled operation in the planner's words when it is a user's method write, else
/// the stored text.
pub fn op_text(op: &str) -> String {
    match serde_json::from_str::<Op>(op) {
        Ok(o) => terminal(&o.to_string()).into_owned(),
        Err(_) => terminal(op).into_owned(),
    }
}

pub fn outcome_word(e: &JournalEntry) -> (&'static str, fn(&Theme) -> ratatui::style::Style) {
    match e.outcome {
        None => ("open", Theme::warn),
        Some(OutcomeKind::Ok) => ("✓ ok", Theme::ok),
        Some(OutcomeKind::Failed) => ("✗ failed", Theme::error),
        Some(OutcomeKind::ReconciledDone) => ("↺ done", Theme::ok),
        Some(OutcomeKind::ReconciledNotDone) => ("↺ not done", Theme::warn),
    }
}

fn kv(key: &str, value: String, t: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{key:<16}"), t.dim()),
        Span::raw(value),
    ])
}

fn opt(v: Option<&str>) -> String {
    v.map(|s| terminal(s).into_owned())
        .unwrap_or_else(|| "—".into())
}

/// One write, whole.
pub fn write_lines(e: &JournalEntry, t: &Theme) -> Vec<Line<'static>> {
    let mut l = vec![
        kv("entry", format!("#{}", e.id.0), t),
        kv(
            "run",
            e.run
                .map(|r| format!("#{}", r.0))
                .unwrap_or_else(|| "—".into()),
            t,
        ),
        kv(
            "target",
            format!(
                "{} {} ({})",
                kind_word(e.target.kind),
                terminal(&e.target.name),
                terminal(&e.target.id)
            ),
            t,
        ),
        kv(
            "intent",
            format!(
                "{} — recorded before the write was sent",
                e.intent_at.format("%Y-%m-%d %H:%M:%S UTC")
            ),
            t,
        ),
        kv("write", op_text(&e.op), t),
        kv(
            "outcome",
            match e.outcome {
                None => "none recorded: sent with no known outcome; the next start reads it \
                         back and closes it (C5)"
                    .to_string(),
                Some(OutcomeKind::Ok) => "ok".into(),
                Some(OutcomeKind::Failed) => "failed".into(),
                Some(OutcomeKind::ReconciledDone) => {
                    "outcome unknown, read back: Entra shows it applied (C5)".into()
                }
                Some(OutcomeKind::ReconciledNotDone) => {
                    "outcome unknown, read back: Entra does not show it; a later run plans it \
                     again (C5)"
                        .into()
                }
            },
            t,
        ),
        kv(
            "outcome at",
            e.outcome_at
                .map(|a| a.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                .unwrap_or_else(|| "—".into()),
            t,
        ),
        kv(
            "HTTP status",
            e.http_status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "—".into()),
            t,
        ),
        kv("error", opt(e.error.as_deref()), t),
        kv("request id", opt(e.client_request_id.as_deref()), t),
        Line::raw(""),
        Line::styled("As stored:", t.dim()),
    ];
    let pretty = serde_json::from_str::<serde_json::Value>(&e.op)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| e.op.clone());
    l.extend(
        crate::safe_text::terminal_lines(&pretty)
            .lines()
            .map(|s| Line::raw(format!("  {s}"))),
    );
    l
}

/// One tenant change, whole.
pub fn change_lines(c: &Change, t: &Theme) -> Vec<Line<'static>> {
    let e = &c.entry;
    vec![
        kv("entry", format!("#{}", c.id), t),
        kv("time", e.at.format("%Y-%m-%d %H:%M:%S UTC").to_string(), t),
        kv("who", terminal(&e.actor).into_owned(), t),
        kv("what", terminal(&e.action).into_owned(), t),
        kv(
            "target",
            format!(
                "{} {} ({})",
                kind_word(e.target.kind),
                terminal(&e.target.name),
                terminal(&e.target.id)
            ),
            t,
        ),
        kv("before", opt(e.before.as_deref()), t),
        kv("after", opt(e.after.as_deref()), t),
        kv("detail", opt(e.detail.as_deref()), t),
        kv(
            "forced",
            if e.forced {
                "yes: an interlock was overridden (--force)".into()
            } else {
                "no".into()
            },
            t,
        ),
    ]
}
