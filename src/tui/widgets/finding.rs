//! A finding ([`crate::finding::Finding`]) as lines for the screen: a mark that reads
//! without colour (`✗` blocks, `!` warns, `·` notes), the rule id, the text, and the fix
//! under it. Text made safe for a terminal; any pane may show findings this way.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::finding::{Finding, Severity};
use crate::safe_text::terminal;
use crate::tui::theme::Theme;

/// The mark and style of a severity.
pub fn mark(s: Severity, t: &Theme) -> (&'static str, Style) {
    match s {
        Severity::Blocking => ("✗", t.error()),
        Severity::Warning => ("!", t.warn()),
        Severity::Info => ("·", t.dim()),
    }
}

/// `  ✗ [RULE] text` and, when there is one, `      → fix`.
pub fn lines(f: &Finding, indent: usize, t: &Theme) -> Vec<Line<'static>> {
    let (m, style) = mark(f.severity, t);
    let pad = " ".repeat(indent);
    let mut out = vec![Line::from(vec![
        Span::raw(pad.clone()),
        Span::styled(format!("{m} [{}] ", f.rule), style),
        Span::raw(terminal(&f.text).into_owned()),
    ])];
    if let Some(fix) = &f.fix {
        out.push(Line::from(vec![
            Span::raw(format!("{pad}    ")),
            Span::styled(format!("→ {}", terminal(fix)), t.dim()),
        ]));
    }
    out
}
