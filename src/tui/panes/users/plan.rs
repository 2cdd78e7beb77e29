//! The plan preview (`p`): what a dry run found for each user — how the user matched
//! (M1–M3, and that a SID or attribute match means the UPN differs), operations, skips
//! and notes, each with the rules behind it — under a summary of the whole run. Users
//! are listed in the order their result came, `/` filters them; long reasons wrap, rule
//! ids stay in their column. Only the lines on screen are built, found through a running
//! line count per user (recounted when the width or the filter changes).

use std::collections::BTreeMap;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::rows::{Row, Rows, word_mask};
use super::words;
use crate::engine::UserStatus;
use crate::migrate::{Action as Write, Match, Plan, Rule, UserSkip};
use crate::safe_text::terminal;
use crate::tui::pane::Env;
use crate::tui::widgets::virtual_table::Cursor;
use crate::tui::widgets::{thousands, wrap_words};

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

/// `text` then its rule ids in an aligned column; long text wraps under itself, the
/// rules stay on its first row.
fn with_rules(text: &str, r: String, width: u16, env: &Env<'_>) -> Vec<Line<'static>> {
    let rules_w = r.chars().count().max(9);
    // The rules stay near the text on a wide screen; longer text wraps under itself.
    let col = (width as usize)
        .saturating_sub(4 + 1 + rules_w)
        .clamp(16, 96);
    let rows = wrap_words(&terminal(text), col);
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.into_iter().enumerate() {
        if i == 0 {
            out.push(Line::from(vec![
                Span::raw(format!("    {row:<col$}")),
                Span::styled(format!(" {r}"), env.theme.dim()),
            ]));
        } else {
            out.push(Line::raw(format!("      {row}")));
        }
    }
    out
}

/// A plan's operations, skips and notes, each naming its rules, fitted to `width`.
pub fn plan_lines(plan: &Plan, env: &Env<'_>, width: u16) -> Vec<Line<'static>> {
    let mut l = Vec::new();
    for op in &plan.ops {
        l.extend(with_rules(
            &op_text(&op.action),
            rules(&op.rules),
            width,
            env,
        ));
    }
    for s in &plan.skips {
        l.extend(with_rules(
            &format!("− skip {}: {}", s.subject, s.reason),
            s.rule.to_string(),
            width,
            env,
        ));
    }
    for n in &plan.notes {
        l.extend(with_rules(
            &format!("· {}: {}", n.subject, n.text),
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

/// How the user matched, for the block's head: the rule, and for a SID or attribute
/// match the MFA Server name (the UPN differs).
fn match_head(row: &Row) -> String {
    match (&row.member.matched, &row.plan) {
        (Match::Matched { by: Rule::M1, .. }, _) => "  M1 upn".into(),
        (
            Match::Matched {
                by: Rule::M2 | Rule::M3,
                ..
            },
            Some(p),
        ) => format!(
            "  {} · MFA Server: {} (the UPN differs)",
            words::match_short(&row.member.matched),
            terminal(&p.user.mfa_username)
        ),
        (m @ Match::Matched { .. }, _) => format!("  {}", words::match_short(m)),
        _ => String::new(),
    }
}

fn block(row: &Row, env: &Env<'_>, width: u16) -> Vec<Line<'static>> {
    let t = env.theme;
    let mut head = vec![
        Span::styled(terminal(&row.member.entra.upn).into_owned(), t.title()),
        Span::styled(match_head(row), t.dim()),
    ];
    let whole = |head: Vec<Span<'static>>| {
        crate::tui::widgets::wrap_line(&Line::from(head), width as usize, 4)
    };
    match &row.status {
        Some(UserStatus::Skipped { skip }) => {
            head.push(Span::styled(
                format!("  skipped: {}", words::skip_text(skip)),
                t.warn(),
            ));
            return whole(head);
        }
        Some(UserStatus::Failed { error, .. }) => {
            head.push(Span::styled(
                format!("  ✗ failed: {}", terminal(error)),
                t.error(),
            ));
            return whole(head);
        }
        Some(s) if !matches!(s, UserStatus::Planned { .. }) => {
            head.push(Span::styled(
                format!("  {}", words::status_text(Some(s))),
                t.dim(),
            ));
        }
        _ => {}
    }
    let mut l = whole(head);
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
    /// The dry run's rows the filter lets through, in arrival order.
    shown: Vec<u32>,
    /// Dry-run rows looked at so far.
    built: usize,
    width: u16,
    filter: String,
    /// Counted again from scratch at the next update (the filter changed).
    stale: bool,
    pub summary: Summary,
}

const SUMMARY_LINES: u16 = 4;

fn matches(rows: &Rows, i: u32, terms: &[String]) -> bool {
    terms
        .iter()
        .all(|t| rows.bits(i) & word_mask(t) != 0 || rows.hay(i).contains(t.as_str()))
}

impl PlanView {
    pub fn filter(&self) -> &str {
        &self.filter
    }

    pub fn set_filter(&mut self, text: &str) {
        if text != self.filter {
            self.filter = text.to_string();
            self.stale = true;
            self.scroll.offset = 0;
        }
    }

    /// Count the lines of users that arrived since the last call (all of them again when
    /// the width or the filter changed).
    pub fn update(&mut self, rows: &Rows, dry_run_rows: &[u32], env: &Env<'_>, width: u16) {
        if dry_run_rows.len() < self.built
            || self.starts.is_empty()
            || width != self.width
            || self.stale
        {
            self.starts = vec![0];
            self.shown.clear();
            self.built = 0;
            self.width = width;
            self.stale = false;
            self.summary = Summary::default();
        }
        let terms: Vec<String> = self
            .filter
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        for &i in &dry_run_rows[self.built..] {
            let Some(r) = rows.get(i) else { continue };
            self.summary.add(r);
            if !matches(rows, i, &terms) {
                continue;
            }
            let n = block(r, env, width).len();
            let last = self.starts.last().copied().unwrap_or(0);
            self.starts.push(last + n);
            self.shown.push(i);
        }
        self.built = dry_run_rows.len();
        self.scroll.len = self.starts.last().copied().unwrap_or(0);
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

    /// `running`: a dry run is in progress, with (done, targeted).
    pub fn render(
        &self,
        frame: &mut Frame<'_>,
        area: Rect,
        rows: &Rows,
        any: bool,
        running: Option<(usize, usize)>,
        env: &Env<'_>,
    ) {
        let t = env.theme;
        let mut title = vec![Span::styled(
            " Plan preview (dry run: nothing written) ",
            t.title(),
        )];
        if !self.filter.is_empty() {
            title.push(Span::styled(
                format!(
                    "/{} → {} ",
                    terminal(&self.filter),
                    thousands(self.shown.len())
                ),
                t.accent(),
            ));
        }
        let block_w = Block::default()
            .borders(Borders::TOP)
            .border_style(t.border())
            .title(Line::from(title));
        let inner = block_w.inner(area);
        frame.render_widget(block_w, area);
        let [head, body] =
            Layout::vertical([Constraint::Length(SUMMARY_LINES), Constraint::Min(0)]).areas(inner);
        frame.render_widget(Paragraph::new(self.summary_lines(running, env)), head);
        if !any {
            let msg = if running.is_some() {
                "Planning… results appear here as users are planned."
            } else {
                "No dry run yet: press the plan key on the Users tab (marked users, or the group)."
            };
            frame.render_widget(Paragraph::new(Line::styled(msg, t.dim())), body);
            return;
        }
        if self.shown.is_empty() {
            frame.render_widget(
                Paragraph::new(Line::styled(
                    format!("No user of the dry run matches {:?}.", self.filter),
                    t.warn(),
                )),
                body,
            );
            return;
        }
        let off = self.scroll.offset;
        // The user whose block holds the first visible line.
        let first = self.starts.partition_point(|&s| s <= off).saturating_sub(1);
        let mut lines = Vec::with_capacity(body.height as usize);
        let mut skip = off.saturating_sub(self.starts.get(first).copied().unwrap_or(0));
        for &i in self.shown.iter().skip(first) {
            let Some(row) = rows.get(i) else { continue };
            for line in block(row, env, self.width) {
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

    fn summary_lines(&self, running: Option<(usize, usize)>, env: &Env<'_>) -> Vec<Line<'static>> {
        let t = env.theme;
        let s = &self.summary;
        let ops: usize = s.ops.values().sum();
        let skipped: usize = s.skipped.values().sum();
        let progress = match running {
            Some((done, of)) => format!(" (planning: {}/{})", thousands(done), thousands(of)),
            None => String::new(),
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
