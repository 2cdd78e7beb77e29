//! The plan preview (`p`): what a dry run found for each user — operations, skips and
//! notes, each with the rules behind it — under a summary of the whole run. Users are
//! listed in the order their result came; only the lines on screen are built, found
//! through a running line count per user.

use std::collections::BTreeMap;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::users::cells::status_text;
use super::users::rows::Row;
use super::users::{UsersPane, skip_text};
use super::{Env, thousands};
use crate::engine::UserStatus;
use crate::migrate::{Action as Write, Match, Plan, Rule, UserSkip};
use crate::tui::widgets::virtual_table::Cursor;

fn rules(r: &[Rule]) -> String {
    r.iter().map(Rule::to_string).collect::<Vec<_>>().join(" ")
}

/// One write in the planner's words (the CLI prints the same), marked `+` when it adds
/// and `~` when it changes what Entra has.
pub fn op_text(a: &Write) -> String {
    let mark = match a {
        Write::UpdatePhone { .. } | Write::SetDefaultMethod { .. } => '~',
        _ => '+',
    };
    format!("{mark} {a}")
}

fn op_kind(a: &Write) -> &'static str {
    match a {
        Write::AddPhone { .. } => "add phone",
        Write::UpdatePhone { .. } => "update phone",
        Write::CreateHardwareToken { .. } => "create token",
        Write::AssignHardwareToken { .. } => "assign token",
        Write::SetDefaultMethod { .. } => "set default",
    }
}

/// `text` then its rule ids in an aligned column; long text is cut, rules never.
fn with_rules(text: String, r: String, width: u16, env: &Env<'_>) -> Line<'static> {
    let col = (width as usize).saturating_sub(4 + 1 + 9).clamp(20, 64);
    let text = crate::tui::widgets::truncate(&text, col);
    Line::from(vec![
        Span::raw(format!("    {text:<col$}")),
        Span::styled(format!(" {r}"), env.theme.dim()),
    ])
}

/// A plan's operations, skips and notes, each naming its rules, fitted to `width`.
pub fn plan_lines(plan: &Plan, env: &Env<'_>, width: u16) -> Vec<Line<'static>> {
    let mut l = Vec::new();
    for op in &plan.ops {
        l.push(with_rules(
            op_text(&op.action),
            rules(&op.rules),
            width,
            env,
        ));
    }
    for s in &plan.skips {
        l.push(with_rules(
            format!("− skip {}: {}", s.subject, s.reason),
            s.rule.to_string(),
            width,
            env,
        ));
    }
    for n in &plan.notes {
        l.push(with_rules(
            format!("· {}: {}", n.subject, n.text),
            n.rule.to_string(),
            width,
            env,
        ));
    }
    if l.is_empty() {
        l.push(Line::styled("    no change needed", env.theme.dim()));
    }
    l
}

fn block_len(row: &Row) -> usize {
    1 + match (&row.status, &row.plan) {
        (Some(UserStatus::Skipped { .. }) | Some(UserStatus::Failed { .. }), _) => 0,
        (_, Some(p)) => (p.ops.len() + p.skips.len() + p.notes.len()).max(1),
        _ => 0,
    }
}

fn block(row: &Row, env: &Env<'_>, width: u16) -> Vec<Line<'static>> {
    let t = env.theme;
    let by = match &row.member.matched {
        Match::Matched { by, .. } => format!(" ({by})"),
        _ => String::new(),
    };
    let mut head = vec![Span::styled(
        format!("{}{by}", row.member.entra.upn),
        t.title(),
    )];
    match &row.status {
        Some(UserStatus::Skipped { skip }) => {
            head.push(Span::styled(
                format!("  skipped: {} ", skip_text(skip)),
                t.warn(),
            ));
            return vec![Line::from(head)];
        }
        Some(UserStatus::Failed { error, .. }) => {
            head.push(Span::styled(format!("  ✗ failed: {error}"), t.error()));
            return vec![Line::from(head)];
        }
        Some(s) if !matches!(s, UserStatus::Planned { .. }) => {
            head.push(Span::styled(format!("  {}", status_text(Some(s))), t.dim()));
        }
        _ => {}
    }
    let mut l = vec![Line::from(head)];
    if let Some(p) = &row.plan {
        l.extend(plan_lines(p, env, width));
    }
    l
}

/// Totals of the dry run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub users: usize,
    pub with_ops: usize,
    pub no_change: usize,
    pub failed: usize,
    pub skipped: BTreeMap<&'static str, usize>,
    pub ops: BTreeMap<&'static str, usize>,
    pub reregister: usize,
}

impl Summary {
    fn add(&mut self, row: &Row) {
        self.users += 1;
        match &row.status {
            Some(UserStatus::Skipped { skip }) => {
                let k = match skip {
                    UserSkip::NotInMfaServer => "not in MFA Server",
                    UserSkip::Conflict { .. } => "conflict",
                    UserSkip::DisabledInMfaServer { .. } => "disabled",
                    UserSkip::Unchanged { .. } => "unchanged",
                };
                *self.skipped.entry(k).or_default() += 1;
                return;
            }
            Some(UserStatus::Failed { .. }) => {
                self.failed += 1;
                return;
            }
            _ => {}
        }
        if let Some(p) = &row.plan {
            if p.ops.is_empty() {
                self.no_change += 1;
            } else {
                self.with_ops += 1;
            }
            for op in &p.ops {
                *self.ops.entry(op_kind(&op.action)).or_default() += 1;
            }
            if p.must_reregister_app() {
                self.reregister += 1;
            }
        }
    }
}

/// State of the plan preview.
#[derive(Debug, Clone, Default)]
pub struct PlanView {
    pub scroll: Cursor,
    /// First line of each listed user; one more entry for the end.
    starts: Vec<usize>,
    /// Users of `dry_run_rows` counted so far.
    built: usize,
    pub summary: Summary,
}

const SUMMARY_LINES: u16 = 4;

impl PlanView {
    /// Count lines of users that arrived since the last call.
    pub fn update(&mut self, users: &UsersPane) {
        let rows = &users.dry_run_rows;
        if rows.len() < self.built || self.starts.is_empty() {
            self.starts = vec![0];
            self.built = 0;
            self.summary = Summary::default();
        }
        for &i in &rows[self.built..] {
            let n = users.row(i).map(block_len).unwrap_or(1);
            let last = self.starts.last().copied().unwrap_or(0);
            self.starts.push(last + n);
            if let Some(r) = users.row(i) {
                self.summary.add(r);
            }
        }
        self.built = rows.len();
        let total = self.starts.last().copied().unwrap_or(0);
        self.scroll.len = total;
    }

    pub fn fit(&mut self, area: Rect) {
        self.scroll.height = area.height.saturating_sub(SUMMARY_LINES + 1) as usize;
        self.scroll_by(0);
    }

    pub fn scroll_by(&mut self, delta: isize) {
        let max = self.scroll.len.saturating_sub(self.scroll.height.max(1));
        self.scroll.offset = self.scroll.offset.saturating_add_signed(delta).min(max);
        self.scroll.selected = self.scroll.offset;
    }

    pub fn render(&self, frame: &mut Frame<'_>, area: Rect, users: &UsersPane, env: &Env<'_>) {
        let t = env.theme;
        let block_w = Block::default()
            .borders(Borders::TOP)
            .border_style(t.border())
            .title(Span::styled(
                " Plan preview (dry run: nothing written) ",
                t.title(),
            ));
        let inner = block_w.inner(area);
        frame.render_widget(block_w, area);
        let [head, body] =
            Layout::vertical([Constraint::Length(SUMMARY_LINES), Constraint::Min(0)]).areas(inner);
        frame.render_widget(Paragraph::new(self.summary_lines(users, env)), head);
        if users.dry_run_rows.is_empty() {
            let msg = if users.run.running && users.run.dry_run {
                "Planning… results appear here as users are planned."
            } else {
                "No dry run yet: press the plan key on the Users tab (marked users, or the group)."
            };
            frame.render_widget(Paragraph::new(Line::styled(msg, t.dim())), body);
            return;
        }
        let off = self.scroll.offset;
        // The user whose block holds the first visible line.
        let first = self.starts.partition_point(|&s| s <= off).saturating_sub(1);
        let mut lines = Vec::with_capacity(body.height as usize);
        let mut skip = off.saturating_sub(self.starts.get(first).copied().unwrap_or(0));
        for &i in users.dry_run_rows.iter().skip(first) {
            let Some(row) = users.row(i) else { continue };
            for line in block(row, env, body.width) {
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                lines.push(line);
            }
            if lines.len() >= body.height as usize {
                break;
            }
        }
        lines.truncate(body.height as usize);
        frame.render_widget(Paragraph::new(lines), body);
    }

    fn summary_lines(&self, users: &UsersPane, env: &Env<'_>) -> Vec<Line<'static>> {
        let t = env.theme;
        let s = &self.summary;
        let ops: usize = s.ops.values().sum();
        let skipped: usize = s.skipped.values().sum();
        let progress = if users.run.running && users.run.dry_run {
            format!(
                " (planning: {}/{})",
                thousands(users.run.progress.done),
                thousands(users.run.progress.targeted)
            )
        } else {
            String::new()
        };
        let join = |m: &BTreeMap<&'static str, usize>| {
            if m.is_empty() {
                "none".to_string()
            } else {
                m.iter()
                    .map(|(k, v)| format!("{k} {}", thousands(*v)))
                    .collect::<Vec<_>>()
                    .join(" · ")
            }
        };
        vec![
            Line::from(vec![
                Span::styled(format!("{} users", thousands(s.users)), t.title()),
                Span::raw(format!(
                    ": {} with writes ({} ops) · {} no change · {} skipped · ",
                    thousands(s.with_ops),
                    thousands(ops),
                    thousands(s.no_change),
                    thousands(skipped)
                )),
                Span::styled(
                    format!("✗ {} failed", thousands(s.failed)),
                    if s.failed > 0 { t.error() } else { t.base() },
                ),
                Span::styled(progress, t.accent()),
            ]),
            Line::raw(format!("Writes: {}", join(&s.ops))),
            Line::raw(format!("Skipped: {}", join(&s.skipped))),
            Line::from(vec![
                Span::raw(format!(
                    "Must re-register the app (A3): {}",
                    thousands(s.reregister)
                )),
                Span::styled(
                    " (Graph cannot create Authenticator registrations)",
                    t.dim(),
                ),
            ]),
        ]
    }
}
