//! What the Checklist tab says, as lines (pure): the end state, a progress bar per phase
//! (the checklist's own `bar`), where the cutover stands and what blocks the next step,
//! each step's state word, and one step whole (what it is for, the check's figures, its
//! findings, ticks with who, when and the note, what is done by hand).

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::checklist::{CheckKind, Phase, StepState, StepStatus, Where, bar};
use crate::engine::ChecklistReport;
use crate::safe_text::terminal;
use crate::tui::tab::Tab;
use crate::tui::theme::Theme;
use crate::tui::widgets::finding;

/// The tab that does a step (`None`: this one).
pub fn tab_of(w: Where) -> Option<Tab> {
    match w {
        Where::Checklist => None,
        Where::Dependencies => Some(Tab::Dependencies),
        Where::Users => Some(Tab::Users),
        Where::Rollout => Some(Tab::Rollout),
        Where::Federation => Some(Tab::Federation),
        Where::Journal => Some(Tab::Journal),
    }
}

/// Whether the step is waiting on a tick by hand.
pub fn needs_tick(s: &StepStatus) -> bool {
    s.state != StepState::Done
        && s.state != StepState::NotApplicable
        && (s.check == CheckKind::Manual || s.state == StepState::Unknown)
}

/// A step's state in a word and a mark that reads without colour: done, not done,
/// blocked (the federation switch's gate is shut), manual (a tick by hand decides),
/// cannot tell, not in this end state.
pub fn state_word(s: &StepStatus, r: &ChecklistReport, t: &Theme) -> (String, Style) {
    match s.state {
        StepState::Done => ("✓ done".into(), t.ok()),
        StepState::NotApplicable => ("- n/a".into(), t.dim()),
        _ if s.id == "fin.federation" && !r.gate.is_empty() => ("⊘ blocked".into(), t.error()),
        _ if s.check == CheckKind::Manual => ("☐ manual".into(), t.accent()),
        StepState::Unknown => ("? can't tell".into(), t.warn()),
        StepState::NotDone => ("✗ not done".into(), t.warn()),
    }
}

/// Where a step is done, in a word.
pub fn where_word(w: Where) -> &'static str {
    match tab_of(w) {
        None => "here",
        Some(t) => t.title(),
    }
}

/// The end state line.
pub fn end_state(r: &ChecklistReport, key: &str, t: &Theme) -> Line<'static> {
    match r.checklist.end_state {
        Some(e) => Line::from(vec![
            Span::styled(format!("End state {}", e.number()), t.title()),
            Span::styled(format!(" ({key} changes it): "), t.dim()),
            Span::raw(e.label().to_string()),
        ]),
        None => Line::from(vec![
            Span::styled("End state not chosen: ", t.warn()),
            Span::raw(format!(
                "{key} chooses 1, 2 or 3 (it adds or removes steps; choosing it begins the checklist)"
            )),
        ]),
    }
}

/// Each phase with its bar, on one line (short names when narrow).
pub fn phases(r: &ChecklistReport, wide: bool, t: &Theme) -> Line<'static> {
    let mut spans = Vec::new();
    for (i, p) in r.checklist.phases.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(if wide { "   " } else { "  " }, t.dim()));
        }
        let style = if p.total > 0 && p.done == p.total {
            t.ok()
        } else {
            t.base()
        };
        let name = match (wide, p.phase) {
            (true, phase) => phase.label(),
            (false, Phase::Preparations) => "Prep",
            (false, Phase::Migrations) => "Migr",
            (false, Phase::Finalize) => "Final",
        };
        spans.push(Span::styled(format!("{name} "), t.heading()));
        spans.push(Span::styled(bar(p.done, p.total), style));
    }
    Line::from(spans)
}

/// `line` on one row of `width` cells: cut with `…` when longer.
pub fn clip(line: &Line<'static>, width: usize) -> Line<'static> {
    let rows = crate::tui::widgets::wrap_line(line, width.max(2), 0);
    let mut first = rows.into_iter().next().unwrap_or_default();
    if line.width() > first.width() {
        if first.width() >= width
            && let Some(last) = first.spans.last_mut()
        {
            let mut text = last.content.to_string();
            text.pop();
            last.content = text.into();
        }
        first.spans.push(Span::raw("…"));
    }
    first
}

/// Where the cutover stands: the next step, where it is done, what blocks it; the
/// federation switch's gate.
pub fn next(r: &ChecklistReport, open_key: &str, t: &Theme) -> Vec<Line<'static>> {
    let c = &r.checklist;
    let mut l = Vec::new();
    match c.next.and_then(|id| c.step(id)) {
        None => l.push(Line::styled(
            "Every step is done: MFA Server can be decommissioned.",
            t.ok(),
        )),
        Some(s) => {
            let mut spans = vec![
                Span::styled("Next: ", t.title()),
                Span::styled(format!("{} ", s.id), t.key()),
                Span::raw(s.title.to_string()),
            ];
            if let Some(tab) = tab_of(s.pane) {
                spans.push(Span::styled(
                    format!(" · in {} ({open_key})", tab.title()),
                    t.dim(),
                ));
            }
            l.push(Line::from(spans));
            if let Some(f) = s.findings.iter().find(|f| f.is_blocking()) {
                l.push(Line::from(vec![
                    Span::styled("  blocks it: ", t.warn()),
                    Span::raw(terminal(&f.text).into_owned()),
                ]));
            }
        }
    }
    if !r.gate.is_empty() && c.next != Some("fin.federation") {
        l.push(Line::styled(
            format!(
                "  fin.federation waits for {} earlier step{}",
                r.gate.len(),
                if r.gate.len() == 1 { "" } else { "s" }
            ),
            t.dim(),
        ));
    }
    l
}

/// The rollback line: always there, one key away.
pub fn rollback(r: &ChecklistReport, key: &str, t: &Theme) -> Line<'static> {
    let what = match (&r.rollback, &r.rollback_error) {
        (Some(p), _) if p.planned.is_empty() => "nothing to write in the tenant now".to_string(),
        (Some(p), _) => {
            let n = p.planned.len();
            let mut s = format!("{n} write{}", if n == 1 { "" } else { "s" });
            if let Some(u) = p.verdict.blast.users {
                s.push_str(&format!(
                    ", {} users back to MFA Server",
                    crate::tui::widgets::thousands(u as usize)
                ));
            }
            s
        }
        (None, e) => format!(
            "cannot be planned now ({})",
            terminal(e.as_deref().unwrap_or("unknown"))
        ),
    };
    Line::from(vec![
        Span::styled("Rollback: ", t.title()),
        Span::styled(format!("{key} shows the plan"), t.key()),
        Span::styled(format!(" — {what}"), t.dim()),
    ])
}

/// One step whole.
pub fn step(s: &StepStatus, r: &ChecklistReport, tick_key: &str, t: &Theme) -> Vec<Line<'static>> {
    let mut l = Vec::new();
    let (word, style) = state_word(s, r, t);
    l.push(Line::from(vec![
        Span::styled(format!("{} ", s.id), t.key()),
        Span::styled(format!("{word} · "), style),
        Span::raw(s.title.to_string()),
    ]));
    l.push(Line::styled(format!("For: {}", s.purpose), t.dim()));
    for f in &s.figures {
        l.push(Line::raw(format!("  {}", terminal(f))));
    }
    for f in &s.findings {
        l.extend(finding::lines(f, 2, t));
    }
    if s.id == "fin.federation" {
        for f in &r.gate {
            l.extend(finding::lines(f, 2, t));
        }
    }
    for m in &s.manual {
        let done = m.tick.as_ref().is_some_and(|x| x.done);
        let mut spans = vec![
            Span::raw(format!("  [{}] ", if done { "x" } else { " " })),
            Span::raw(m.text.to_string()),
            Span::styled(format!(" ({})", m.id), t.dim()),
        ];
        if let Some(x) = &m.tick {
            spans.push(Span::styled(format!(" — {}", tick_text(x)), t.dim()));
        }
        l.push(Line::from(spans));
    }
    if let Some(x) = &s.tick {
        l.push(Line::styled(
            format!(
                "  {} {}",
                if x.done { "ticked" } else { "unticked" },
                tick_text(x)
            ),
            t.dim(),
        ));
    }
    let mut by_hand = format!("By hand: {}", s.by_hand);
    if needs_tick(s) || s.id == "mig.validate" {
        by_hand.push_str(&format!(" — {tick_key} ticks it"));
    }
    l.push(Line::styled(by_hand, t.dim()));
    l
}

/// `by admin@contoso.com at 2026-01-05 10:00 UTC: note`.
pub fn tick_text(x: &crate::checklist::Tick) -> String {
    let mut s = format!(
        "by {} at {}",
        terminal(&x.actor),
        x.at.format("%Y-%m-%d %H:%M UTC")
    );
    if x.forced {
        s.push_str(" (forced)");
    }
    if let Some(n) = &x.note {
        s.push_str(&format!(": {}", terminal(n)));
    }
    s
}
