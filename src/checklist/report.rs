//! The change board's report (checklist.md "Report"): steps with their checks and
//! figures, who ticked what and when, a progress bar per phase, the tenant changes from
//! the audit log with their propagation clocks, open risks and the rollback plan.
//! Markdown; every untrusted piece of text escaped.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::evaluate::{Checklist, StepState};
use super::steps::Phase;
use crate::safe_text::markdown as md;

/// A tenant change as the report lists it (from the audit log).
#[derive(Debug, Clone, Serialize)]
pub struct ChangeLine {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub forced: bool,
    pub detail: Option<String>,
}

/// What the report is written from.
pub struct ReportInput<'a> {
    pub tenant: &'a str,
    pub generated_at: DateTime<Utc>,
    pub checklist: &'a Checklist,
    /// Tenant changes, newest first.
    pub changes: &'a [ChangeLine],
    /// The rollback's exact writes now (a what-if), and the users they move.
    pub rollback_writes: &'a [String],
    pub rollback_users: Option<u64>,
}

/// `[######----] 3/5`
pub fn bar(done: usize, total: usize) -> String {
    let width = 10;
    let filled = if total == 0 {
        width
    } else {
        (done * width).div_ceil(total).min(width)
    };
    format!(
        "[{}{}] {done}/{total}",
        "#".repeat(filled),
        "-".repeat(width - filled)
    )
}

pub fn render(r: &ReportInput<'_>) -> String {
    let c = r.checklist;
    let mut out = String::new();
    out.push_str("# MFA Server cutover: checklist report\n\n");
    out.push_str(&format!(
        "- Tenant: {}\n- Generated: {}\n",
        md(r.tenant),
        r.generated_at.format("%Y-%m-%d %H:%M UTC")
    ));
    match c.end_state {
        Some(e) => out.push_str(&format!("- End state: {} — {}\n", e.number(), e.label())),
        None => out.push_str("- End state: not chosen yet\n"),
    }
    if let Some(s) = c.started_at {
        out.push_str(&format!("- Begun: {}\n", s.format("%Y-%m-%d %H:%M UTC")));
    }
    if let Some(n) = c.next.and_then(|id| c.step(id)) {
        out.push_str(&format!("- Next: `{}` {}\n", n.id, md(n.title)));
    }
    out.push_str("\n## Progress\n\n");
    for p in &c.phases {
        out.push_str(&format!(
            "- {}: `{}`\n",
            p.phase.label(),
            bar(p.done, p.total)
        ));
    }
    for phase in Phase::ALL {
        out.push_str(&format!("\n## {}\n", phase.label()));
        for s in c.steps.iter().filter(|s| s.phase == phase) {
            let mark = match s.state {
                StepState::Done => "[x]",
                StepState::NotApplicable => "[-]",
                _ => "[ ]",
            };
            out.push_str(&format!(
                "\n### {mark} `{}` {}\n\n*{}*\n\n",
                s.id,
                md(s.title),
                s.state.label()
            ));
            for f in &s.figures {
                out.push_str(&format!("- {}\n", md(f)));
            }
            for f in &s.findings {
                out.push_str(&format!(
                    "- **{}** [{}] {}",
                    f.severity.word(),
                    f.rule,
                    md(&f.text)
                ));
                if let Some(fix) = &f.fix {
                    out.push_str(&format!(" — fix: {}", md(fix)));
                }
                out.push('\n');
            }
            for m in &s.manual {
                let (mark, who) = match &m.tick {
                    Some(t) if t.done => ("[x]", format!(" — {}", tick_text(t))),
                    _ => ("[ ]", String::new()),
                };
                out.push_str(&format!("- {mark} {}{who}\n", md(m.text)));
            }
            if let Some(t) = &s.tick {
                out.push_str(&format!(
                    "- {} {}\n",
                    if t.done { "ticked" } else { "unticked" },
                    tick_text(t)
                ));
            }
        }
    }
    out.push_str("\n## Tenant changes\n\n");
    if r.changes.is_empty() {
        out.push_str("None recorded.\n");
    } else {
        out.push_str(
            "| When (UTC) | Who | What | Target | Before | After | Forced | Applies by |\n",
        );
        out.push_str("|---|---|---|---|---|---|---|---|\n");
        for ch in r.changes {
            let applies = if ch.action.starts_with("rollout.")
                || ch.action.starts_with("federation.")
                || ch.action == "reconcile"
            {
                (ch.at + chrono::Duration::hours(24))
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            } else {
                "—".into()
            };
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
                ch.at.format("%Y-%m-%d %H:%M"),
                md(&ch.actor),
                md(&ch.action),
                md(&ch.target),
                md(ch.before.as_deref().unwrap_or("—")),
                md(ch.after.as_deref().unwrap_or("—")),
                if ch.forced { "**yes**" } else { "no" },
                applies
            ));
        }
    }
    out.push_str("\n## Open risks\n\n");
    if c.risks.is_empty() {
        out.push_str("None found.\n");
    }
    for f in &c.risks {
        out.push_str(&format!(
            "- **{}** [{}] {}\n",
            f.severity.word(),
            f.rule,
            md(&f.text)
        ));
    }
    out.push_str("\n## Rollback plan\n\n");
    if r.rollback_writes.is_empty() {
        out.push_str("1. Nothing to write in the tenant now (Staged Rollout is off and no domain is past enforceMfaByFederatedIdp).\n");
    } else {
        for (i, w) in r.rollback_writes.iter().enumerate() {
            out.push_str(&format!("{}. `{}`\n", i + 1, md(w)));
        }
    }
    if let Some(n) = r.rollback_users {
        out.push_str(&format!("\nUsers moved back to MFA Server: {n}.\n"));
    }
    out.push_str("\nBy hand:\n\n");
    for step in &c.rollback_by_hand {
        out.push_str(&format!("- {}\n", md(step)));
    }
    out
}

fn tick_text(t: &super::facts::Tick) -> String {
    let mut s = format!(
        "by {} at {}",
        md(&t.actor),
        t.at.format("%Y-%m-%d %H:%M UTC")
    );
    if t.forced {
        s.push_str(" (forced)");
    }
    if let Some(n) = &t.note {
        s.push_str(&format!(": {}", md(n)));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_fills_by_share() {
        assert_eq!(bar(0, 5), "[----------] 0/5");
        assert_eq!(bar(5, 5), "[##########] 5/5");
        assert_eq!(bar(1, 3), "[####------] 1/3");
        assert_eq!(bar(0, 0), "[##########] 0/0");
    }
}
