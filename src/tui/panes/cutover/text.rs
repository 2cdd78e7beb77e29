//! Styled lines of the Rollout and Federation panes and of their dialogs: findings with
//! their mark, rule and fix, a change report (from `rollout::show`, the words the
//! headless commands print), a refusal, the preflight report, readiness bars. Every
//! text from the tenant or the engine goes through `safe_text` here.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::capability::Capability;
use crate::engine::{ChangeReport, PreflightReport, Refusal, TokenKind};
use crate::finding::{Finding, Severity};
use crate::rollout::show::{self, Part};
use crate::rollout::{Gauge, Tone};
use crate::safe_text::terminal;
use crate::tui::theme::Theme;

pub fn severity_style(s: Severity, t: &Theme) -> Style {
    match s {
        Severity::Blocking => t.error(),
        Severity::Warning => t.warn(),
        Severity::Info => t.dim(),
    }
}

/// `✗ [R1] 7 of 50 users …` and, under it, `→ the fix`.
pub fn finding_lines(f: &Finding, t: &Theme) -> Vec<Line<'static>> {
    let style = severity_style(f.severity, t);
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{} ", show::mark(f.severity)), style),
        Span::styled(format!("[{}] ", terminal(f.rule.as_str())), t.key()),
        Span::styled(terminal(&f.text).into_owned(), style),
    ])];
    if let Some(fix) = &f.fix {
        lines.push(Line::styled(format!("    → {}", terminal(fix)), t.dim()));
    }
    lines
}

/// A change report as the confirmation and the refusal show it: the blast radius, every
/// finding, the exact writes, the propagation note.
pub fn change_lines(r: &ChangeReport, t: &Theme) -> Vec<Line<'static>> {
    let findings = r.verdict.refusals.iter().chain(r.verdict.findings.iter());
    let mut lines = Vec::new();
    for part in show::change_parts(&r.blast_line, findings, &r.planned, &r.confirmation) {
        match part {
            Part::Blast(b) => {
                lines.push(Line::styled(terminal(b).into_owned(), t.heading()));
            }
            Part::Finding(f) => lines.extend(finding_lines(f, t)),
            Part::Writes => lines.push(Line::styled("Exact writes:", t.heading())),
            Part::Write(w) => lines.push(Line::raw(format!("  {}", terminal(w)))),
            Part::Propagation => lines.push(Line::styled(show::PROPAGATION_NOTE, t.warn())),
        }
    }
    lines
}

/// A refusal: its message and each finding (rule, count, fix).
pub fn refusal_lines(r: &Refusal, t: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled(terminal(&r.message).into_owned(), t.error())];
    for f in &r.findings {
        lines.extend(finding_lines(f, t));
    }
    lines
}

/// A capability as a line: `✓ what`, `? what — unverified …`, `✗ what — why — fix`.
pub fn capability_line(what: &str, c: &Capability, t: &Theme) -> Line<'static> {
    match c {
        Capability::Available => Line::from(vec![
            Span::styled("✓ ", t.ok()),
            Span::raw(what.to_string()),
        ]),
        Capability::Unverified { note } => Line::from(vec![
            Span::styled("? ", t.warn()),
            Span::raw(format!("{what} — unverified: {}", terminal(note))),
        ]),
        Capability::Unavailable { reason, fix } => Line::from(vec![
            Span::styled("✗ ", t.error()),
            Span::raw(format!("{what} — {} — {}", terminal(reason), terminal(fix))),
        ]),
    }
}

/// The preflight report: who is signed in, what the sign-in can do, then every finding
/// (capabilities, the methods policy against what MFA Server users use, users whose
/// methods cannot be migrated here).
pub fn preflight_lines(p: &PreflightReport, t: &Theme) -> Vec<Line<'static>> {
    let mut l = Vec::new();
    let who = |label: &str, id: &crate::engine::Identity| -> Vec<Line<'static>> {
        let kind = match id.kind {
            TokenKind::Delegated => "delegated (an admin)",
            TokenKind::AppOnly => "app-only (an application)",
        };
        let list = |v: &[String]| {
            if v.is_empty() {
                "none in the token".to_string()
            } else {
                v.iter()
                    .map(|s| terminal(s).into_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        vec![
            Line::from(vec![
                Span::styled(format!("{label:<12}"), t.heading()),
                Span::raw(format!("{} · {kind}", terminal(&id.account))),
            ]),
            Line::raw(format!("{:<12}{}", "  roles", list(&id.roles))),
            Line::raw(format!("{:<12}{}", "  scopes", list(&id.permissions))),
        ]
    };
    l.extend(who("Signed in", &p.identity));
    if let Some(d) = &p.delegated {
        l.extend(who("Admin", d));
    }
    l.push(Line::raw(""));
    l.push(Line::styled("What this sign-in can do", t.heading()));
    let c = &p.capabilities;
    for (what, cap) in [
        ("migrate methods", &c.write_methods),
        ("read the methods policy", &c.read_policy),
        ("manage Staged Rollout", &c.manage_rollout),
        ("change federation", &c.manage_federation),
        ("record changes (state store)", &c.write_store),
    ] {
        l.push(capability_line(what, cap, t));
    }
    l.push(Line::raw(""));
    let blocking = p.findings.iter().filter(|f| f.is_blocking()).count();
    l.push(Line::styled(
        format!("Findings: {} ({} blocking)", p.findings.len(), blocking),
        t.heading(),
    ));
    if p.findings.is_empty() {
        l.push(Line::styled("✓ nothing stands in the way", t.ok()));
    }
    for f in &p.findings {
        l.extend(finding_lines(f, t));
    }
    l
}

/// `████░░░░` of `width` cells for a ratio 0–1.
pub fn bar(ratio: f64, width: usize) -> String {
    let full = ((ratio.clamp(0.0, 1.0) * width as f64).round() as usize).min(width);
    format!("{}{}", "█".repeat(full), "░".repeat(width - full))
}

pub fn tone_style(tone: Tone, t: &Theme) -> Style {
    match tone {
        Tone::Neutral => t.base(),
        Tone::Good => t.ok(),
        Tone::Warning => t.warn(),
        Tone::Bad => t.error(),
    }
}

/// A symbol with the colour, so meaning never rests on colour alone.
pub fn tone_mark(tone: Tone) -> &'static str {
    match tone {
        Tone::Neutral => " ",
        Tone::Good => "✓",
        Tone::Warning => "!",
        Tone::Bad => "✗",
    }
}

/// One readiness gauge: `✓ verified        ██████████ verified 50 of 50 (100%)`.
pub fn gauge_line(g: &Gauge, label_width: usize, bar_width: usize, t: &Theme) -> Line<'static> {
    let style = tone_style(g.tone, t);
    Line::from(vec![
        Span::styled(format!("{} ", tone_mark(g.tone)), style),
        Span::raw(format!("{:<label_width$} ", g.kind.label())),
        Span::styled(bar(g.ratio(), bar_width), style),
        Span::raw(format!(" {}", g.figures())),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::FindingSubject;

    #[test]
    fn bars_fill_by_ratio_and_findings_are_made_safe() {
        assert_eq!(bar(0.5, 4), "██░░");
        assert_eq!(bar(2.0, 3), "███");
        assert_eq!(bar(0.0, 2), "░░");
        let f = Finding::blocking(
            crate::rollout::Rule::R1,
            FindingSubject::Tenant,
            "eve\u{1b}[2J",
        )
        .with_fix("fix\u{7}");
        let lines = finding_lines(&f, &Theme::plain());
        let text: String = lines.iter().map(|l| l.to_string()).collect();
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text}"
        );
        assert!(text.starts_with("✗ [R1] eve"), "{text}");
    }
}
