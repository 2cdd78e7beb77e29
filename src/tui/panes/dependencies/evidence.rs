//! What `enter` shows for one item: where the tool saw it (the source record, secrets
//! already dropped by the readers), what MFA Server does for it, the path and the reason,
//! the findings with their fixes, the claim rules quoted, the admin's decision, and for a
//! relying party the chain that answers "why would a migrated user still reach MFA
//! Server?" (the inventory's own text rendering, reused). Every piece of text read from
//! an export goes through `safe_text`.

use ratatui::text::{Line, Span};

use super::rows::path_label;
use crate::inventory::{Chain, Dependence, Item};
use crate::safe_text::terminal;
use crate::tui::theme::Theme;
use crate::tui::widgets::finding;

/// Text that may hold several lines (rules, JSON), one screen line each, made safe;
/// tabs become spaces (a terminal would expand them unpredictably).
pub fn text_lines(text: &str, indent: usize) -> Vec<Line<'static>> {
    let pad = " ".repeat(indent);
    text.replace("\r\n", "\n")
        .split('\n')
        .map(|l| Line::raw(format!("{pad}{}", terminal(&l.replace('\t', "    ")))))
        .collect()
}

fn field(t: &Theme, name: &str, value: &str) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{name:<20}"), t.key()),
        Span::raw(terminal(value).into_owned()),
    ])
}

/// Every line of an item's evidence; `chain`: the why-chain of a relying party, or why
/// it could not be given.
pub fn lines(item: &Item, chain: Option<&Result<Chain, String>>, t: &Theme) -> Vec<Line<'static>> {
    let mut l = vec![
        field(t, "kind", item.kind.label()),
        field(t, "name", &item.name),
        field(t, "id", item.id.as_str()),
        field(
            t,
            "uses MFA Server",
            match item.dependence {
                Dependence::Yes => "yes",
                Dependence::Possibly => "possibly (the exports cannot decide it)",
                Dependence::No => "no: listed for completeness, needs no decision",
            },
        ),
    ];
    if let Some(u) = &item.uses_mfa_server_for {
        l.push(field(t, "for", u));
    }
    l.push(field(t, "recommended path", item.path.label()));
    l.push(field(t, "because", &item.reason));
    if !item.flags.is_empty() {
        l.push(field(t, "what bites", &item.flags.join("; ")));
    }
    if let Some(r) = item.readiness {
        l.push(field(t, "move to Entra as is", r.label()));
    }
    if !item.providers.is_empty() {
        l.push(field(t, "MFA providers", &item.providers.join(", ")));
    }
    match &item.decision {
        None => l.push(field(t, "decision", "none yet (pending)")),
        Some(d) => {
            l.push(field(
                t,
                "decision",
                &format!("{} · {}", d.status.label(), path_label(item)),
            ));
            if !d.note.is_empty() {
                l.push(field(t, "note", &d.note));
            }
        }
    }
    if !item.findings.is_empty() {
        l.push(Line::raw(""));
        l.push(Line::styled("Findings", t.heading()));
        for f in &item.findings {
            l.extend(finding::lines(f, 0, t));
        }
    }
    if !item.rules.is_empty() {
        l.push(Line::raw(""));
        l.push(Line::styled(
            "The rules that produced it, as written",
            t.heading(),
        ));
        for r in &item.rules {
            l.push(Line::from(vec![
                Span::styled(format!("{} rule {}", terminal(&r.set), r.index), t.key()),
                Span::styled(format!(" — {}", terminal(&r.why)), t.dim()),
            ]));
            l.extend(text_lines(&r.text, 2));
        }
    }
    match chain {
        None => {}
        Some(Err(e)) => {
            l.push(Line::raw(""));
            l.push(Line::styled(
                "Why would a migrated user still reach MFA Server?",
                t.heading(),
            ));
            l.push(Line::styled(
                format!("not answered: {}", terminal(e)),
                t.warn(),
            ));
        }
        Some(Ok(c)) => {
            l.push(Line::raw(""));
            l.push(Line::styled(
                "Why would a migrated user still reach MFA Server? The rules in the order AD FS applies them",
                t.heading(),
            ));
            // The inventory's rendering is already made safe for a terminal.
            l.extend(
                c.render_text()
                    .trim_end()
                    .split('\n')
                    .map(|s| Line::raw(s.replace('\t', "    "))),
            );
        }
    }
    l.push(Line::raw(""));
    l.push(Line::styled("Source record", t.heading()));
    let mut at = item.origin.source.clone();
    if let Some(f) = &item.origin.file {
        at.push_str(&format!(" · {f}"));
    }
    at.push_str(&format!(" · {}", item.origin.place));
    l.push(Line::styled(terminal(&at).into_owned(), t.dim()));
    let record = serde_json::to_string_pretty(&item.record).unwrap_or_default();
    l.extend(text_lines(&record, 2));
    l
}
