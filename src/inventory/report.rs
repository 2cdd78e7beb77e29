//! The inventory as CSV (one row per item, for a spreadsheet), Markdown (for the change
//! board) and a terminal table. Every piece of text read from an input goes through
//! `safe_text` for where it is shown.

use std::fmt::Write as _;

use super::Inventory;
use super::model::{Dependence, Item};
use super::why::Chain;
use crate::safe_text::{Safe, SafeLines, csv_cell, markdown, terminal_lines};

fn depends(d: Dependence) -> &'static str {
    match d {
        Dependence::Yes => "yes",
        Dependence::Possibly => "possibly",
        Dependence::No => "no",
    }
}

fn rule_ids(item: &Item) -> String {
    let mut ids: Vec<&str> = item.findings.iter().map(|f| f.rule.as_str()).collect();
    ids.dedup();
    ids.join(" ")
}

const CSV_HEADER: [&str; 17] = [
    "id",
    "kind",
    "name",
    "depends_on_mfa_server",
    "uses_mfa_server_for",
    "recommended_path",
    "reason",
    "flags",
    "findings",
    "readiness",
    "providers",
    "source",
    "file",
    "place",
    "decided_path",
    "status",
    "note",
];

impl Inventory {
    /// One row per item; cells made safe for a spreadsheet.
    pub fn to_csv(&self) -> Result<String, csv::Error> {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        w.write_record(CSV_HEADER)?;
        for i in &self.items {
            let cells: [String; 17] = [
                i.id.0.clone(),
                i.kind.label().into(),
                i.name.clone(),
                depends(i.dependence).into(),
                i.uses_mfa_server_for.clone().unwrap_or_default(),
                i.path.label().into(),
                i.reason.clone(),
                i.flags.join("; "),
                rule_ids(i),
                i.readiness.map(|r| r.label()).unwrap_or("").into(),
                i.providers.join(" "),
                i.origin.source.clone(),
                i.origin.file.clone().unwrap_or_default(),
                i.origin.place.clone(),
                i.decision
                    .as_ref()
                    .map(|d| d.path.label())
                    .unwrap_or("")
                    .into(),
                i.status().label().into(),
                i.decision
                    .as_ref()
                    .map(|d| d.note.clone())
                    .unwrap_or_default(),
            ];
            w.write_record(cells.iter().map(|c| csv_cell(c).into_owned()))?;
        }
        let bytes = w.into_inner().map_err(|e| e.into_error())?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// A Markdown report: progress, the items that need a decision, the rest, and every
    /// finding.
    pub fn to_markdown(&self) -> String {
        let p = self.progress();
        let mut s = String::new();
        let _ = writeln!(s, "# MFA Server dependency inventory\n");
        let _ = writeln!(
            s,
            "{} dependencies: {} decided, {} done, {} in progress, {} won't do, {} pending.\n",
            p.total, p.decided, p.done, p.in_progress, p.wont_do, p.pending
        );
        if !self.files.is_empty() {
            let _ = writeln!(s, "Exports read:\n");
            for f in &self.files {
                let _ = writeln!(
                    s,
                    "- {} ({}, {} records)",
                    markdown(&f.file),
                    f.kind.source(),
                    f.records
                );
            }
            s.push('\n');
        }
        let _ = writeln!(s, "## Dependencies\n");
        let _ = writeln!(
            s,
            "| status | kind | name | uses MFA Server for | recommended path | reason | flags | note |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|---|---|---|");
        let row = |s: &mut String, i: &Item| {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                i.status().label(),
                i.kind.label(),
                markdown(&i.name),
                markdown(i.uses_mfa_server_for.as_deref().unwrap_or("")),
                markdown(
                    i.decision
                        .as_ref()
                        .map(|d| d.path)
                        .unwrap_or(i.path)
                        .label()
                ),
                markdown(&i.reason),
                markdown(&i.flags.join("; ")),
                markdown(i.decision.as_ref().map(|d| d.note.as_str()).unwrap_or("")),
            );
        };
        for i in self.items.iter().filter(|i| i.needs_decision()) {
            row(&mut s, i);
        }
        let others: Vec<&Item> = self.items.iter().filter(|i| !i.needs_decision()).collect();
        if !others.is_empty() {
            let _ = writeln!(
                s,
                "\n## Listed for completeness (no MFA Server dependency)\n"
            );
            let _ = writeln!(s, "| kind | name | reason |");
            let _ = writeln!(s, "|---|---|---|");
            for i in others {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} |",
                    i.kind.label(),
                    markdown(&i.name),
                    markdown(&i.reason)
                );
            }
        }
        let findings: Vec<_> = self.findings().collect();
        if !findings.is_empty() {
            let _ = writeln!(s, "\n## Findings\n");
            for f in findings {
                let _ = writeln!(s, "- {}", markdown(&f.to_string()));
            }
        }
        s
    }

    /// A table for a terminal: one line per item, then the warnings (one line per rule
    /// and text, naming every item it concerns) and the counts.
    pub fn render_text(&self) -> String {
        let mut s = String::new();
        let p = self.progress();
        let _ = writeln!(
            s,
            "{:<11} {:<22} {:<34} {:<8} PATH",
            "STATUS", "KIND", "NAME", "MFA SRV"
        );
        for i in &self.items {
            let _ = writeln!(
                s,
                "{:<11} {:<22} {:<34} {:<8} {}",
                if i.needs_decision() {
                    i.status().label()
                } else {
                    "-"
                },
                i.kind.label(),
                Safe(&clip(&i.name, 34)),
                depends(i.dependence),
                i.decision
                    .as_ref()
                    .map(|d| d.path)
                    .unwrap_or(i.path)
                    .label()
            );
        }
        let mut groups: Vec<(&crate::finding::Finding, Vec<String>)> = Vec::new();
        for f in self
            .findings()
            .filter(|f| f.severity >= crate::finding::Severity::Warning)
        {
            let about = match &f.subject {
                crate::finding::FindingSubject::Dependency { name, .. } => name.clone(),
                other => other.to_string(),
            };
            match groups
                .iter_mut()
                .find(|(g, _)| g.rule == f.rule && g.text == f.text)
            {
                Some((_, names)) => names.push(about),
                None => groups.push((f, vec![about])),
            }
        }
        if !groups.is_empty() {
            let _ = writeln!(s, "\nWarnings:");
            for (f, names) in groups {
                let _ = writeln!(
                    s,
                    "  [{}] {}: {}",
                    f.rule,
                    Safe(&names.join(", ")),
                    Safe(&f.text)
                );
                if let Some(fix) = &f.fix {
                    let _ = writeln!(s, "      fix: {}", Safe(fix));
                }
            }
        }
        let _ = writeln!(
            s,
            "\n{} dependencies ({} decided, {} done); {} items listed; {} export files read.",
            p.total,
            p.decided,
            p.done,
            self.items.len(),
            self.files.len()
        );
        if !self.data_file_services {
            let _ = writeln!(
                s,
                "No data file carried auth_services (an Export Users CSV cannot): RADIUS, LDAP, \
                 IIS and SDK dependencies come only from the exports and the MFA Server console."
            );
        }
        let undecided = self.undecided().count();
        if undecided > 0 {
            let _ = writeln!(
                s,
                "{undecided} need a decision: the TUI's Dependencies tab (`s`) records one."
            );
        }
        s
    }
}

/// At most `n` characters, with `…` when cut.
fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

impl Chain {
    /// The chain for a terminal.
    pub fn render_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "Relying party: {}", Safe(&self.relying_party));
        for (n, step) in self.steps.iter().enumerate() {
            let applies = match step.applies {
                super::rule_checks::Tri::Yes => "applies",
                super::rule_checks::Tri::No => "does not apply",
                super::rule_checks::Tri::Depends => "depends",
            };
            let _ = writeln!(
                s,
                "\n{}. {} — {} ({applies})\n{}",
                n + 1,
                Safe(&step.source),
                Safe(&step.effect),
                indent(&terminal_lines(&step.text.replace("\r\n", "\n")))
            );
        }
        for note in &self.notes {
            let _ = writeln!(s, "\nNote: {}", SafeLines(note));
        }
        let _ = writeln!(s, "\n{}", SafeLines(&self.summary));
        s
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("   {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
