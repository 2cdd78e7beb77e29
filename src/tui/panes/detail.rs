//! One user, MFA Server beside Entra — the migration utility's "View": every attribute
//! and method on both sides, how they matched, and the latest plan or status with its
//! rule ids. Secrets are never shown, only whether one is there.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::Env;
use super::users::cells::{entra_default_text, method_text, phone_text, status_text};
use super::users::rows::{EntraState, Row};
use super::users::skip_text;
use crate::datafile::{Known, OathKind, User};
use crate::engine::UserStatus;
use crate::migrate::{EntraPhone, Match, PhoneSlot};
use crate::tui::widgets::virtual_table::Cursor;

/// Narrower than this, the two sides are stacked instead of side by side.
const SIDE_BY_SIDE: u16 = 100;

/// The detail view of one row.
#[derive(Debug, Clone)]
pub struct Detail {
    pub row: u32,
    pub scroll: Cursor,
}

fn kv(key: &str, value: impl Into<String>, env: &Env<'_>) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{key:<16}"), env.theme.dim()),
        Span::raw(value.into()),
    ])
}

fn yes_no(k: Known<bool>) -> &'static str {
    match k {
        Known::Known(true) => "yes",
        Known::Known(false) => "no",
        Known::Unknown => "? (not in the input)",
    }
}

fn opt(v: Option<&str>) -> String {
    v.map(str::to_string).unwrap_or_else(|| "—".into())
}

fn mode<T: std::fmt::Debug>(k: Known<Option<T>>) -> String {
    match k {
        Known::Unknown => "?".into(),
        Known::Known(None) => "—".into(),
        Known::Known(Some(v)) => format!("{v:?}").to_lowercase(),
    }
}

pub fn mfa_lines(user: Option<User<'_>>, row: &Row, env: &Env<'_>) -> Vec<Line<'static>> {
    let t = env.theme;
    let mut l = vec![Line::styled("MFA SERVER", t.heading())];
    let Some(u) = user else {
        l.push(Line::styled(
            match (&row.member.matched, env.data) {
                (Match::NotInMfaServer, _) => "no MFA Server user matches (M1–M3)".to_string(),
                (Match::Conflict { users, by }, _) => {
                    format!(
                        "{} MFA Server users match by {by}: none is migrated",
                        users.len()
                    )
                }
                (Match::Matched { .. }, None) => "data file not loaded yet".to_string(),
                (Match::Matched { .. }, Some(_)) => "user index not in the data file".to_string(),
            },
            t.warn(),
        ));
        return l;
    };
    l.push(kv("username", u.username(), env));
    l.push(kv("upn", opt(u.upn()), env));
    l.push(kv("sid", opt(u.sid()), env));
    l.push(kv("email", opt(u.email()), env));
    l.push(kv("enabled", yes_no(u.enabled()), env));
    l.push(kv("phone", phone_text(u.phone()), env));
    l.push(kv("backup phone", phone_text(u.backup_phone()), env));
    l.push(kv("default", method_text(u.default_method()), env));
    l.push(kv("call mode", mode(u.phone_call_mode()), env));
    l.push(kv("text mode", mode(u.text_message_mode()), env));
    l.push(kv("app mode", mode(u.mobile_app_mode()), env));
    l.push(kv("language", opt(u.language()), env));
    l.push(kv(
        "changed",
        u.changed_at()
            .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_else(|| "—".into()),
        env,
    ));
    for (k, v) in u.ad_attributes() {
        l.push(kv(&format!("ad {k}"), v, env));
    }
    match u.devices().known() {
        None => l.push(kv("mobile apps", "? (not in the input)", env)),
        Some(devices) => {
            l.push(kv("mobile apps", devices.len().to_string(), env));
            for d in devices {
                let when = d
                    .activated_at()
                    .map(|a| a.format("%Y-%m-%d").to_string())
                    .unwrap_or_else(|| "?".into());
                let codes = if d.oath_secret().is_some() {
                    "codes: yes"
                } else {
                    "codes: no"
                };
                l.push(Line::raw(format!(
                    "  {} · activated {when} · {codes}",
                    d.name()
                )));
            }
        }
    }
    match u.tokens().known() {
        None => l.push(kv("OATH tokens", "? (not in the input)", env)),
        Some(tokens) => {
            l.push(kv("OATH tokens", tokens.len().to_string(), env));
            for tk in tokens {
                let kind = match tk.kind() {
                    OathKind::Totp => format!("TOTP {}s", tk.time_step().secs()),
                    OathKind::Hotp => "HOTP".to_string(),
                };
                let secret = if tk.secret().is_some() {
                    "secret: yes"
                } else {
                    "secret: none (seed file?)"
                };
                l.push(Line::raw(format!(
                    "  {} · {kind} · {} {} · {secret}",
                    tk.serial(),
                    tk.manufacturer().unwrap_or("?"),
                    tk.model().unwrap_or("")
                )));
            }
        }
    }
    l
}

pub fn entra_lines(row: &Row, env: &Env<'_>) -> Vec<Line<'static>> {
    let t = env.theme;
    let e = &row.member.entra;
    let yn = |b: Option<bool>| b.map(|b| if b { "yes" } else { "no" }).unwrap_or("?");
    let mut l = vec![Line::styled("ENTRA", t.heading())];
    l.push(kv("upn", e.upn.clone(), env));
    l.push(kv("display name", opt(e.display_name.as_deref()), env));
    l.push(kv("object id", e.id.clone(), env));
    l.push(kv("on-prem SID", opt(e.on_premises_sid.as_deref()), env));
    l.push(kv("synced", yn(e.on_premises_sync_enabled), env));
    l.push(kv("enabled", yn(e.account_enabled), env));
    for (k, v) in &e.attributes {
        l.push(kv(k, v.clone(), env));
    }
    l.push(kv(
        "matched",
        match &row.member.matched {
            Match::Matched { by, .. } => format!("{by}: {}", by.summary()),
            Match::NotInMfaServer => "not in MFA Server".into(),
            Match::Conflict { by, .. } => format!("conflict ({by})"),
        },
        env,
    ));
    match &row.entra {
        EntraState::NotRead | EntraState::Requested => {
            l.push(Line::styled("methods: reading…", t.dim()));
        }
        EntraState::Failed(err) => {
            l.push(Line::styled(
                format!("methods could not be read: {err}"),
                t.error(),
            ));
        }
        EntraState::Read(read) => {
            let m = &read.methods;
            for slot in PhoneSlot::ALL {
                let v = match m.phone(slot) {
                    None => "—".to_string(),
                    Some(EntraPhone::Masked(s)) => format!("{s} (masked)"),
                    Some(p) => p.to_string(),
                };
                l.push(kv(slot.graph_name(), v, env));
            }
            l.push(kv(
                "authenticators",
                m.authenticators.len().to_string(),
                env,
            ));
            for a in &m.authenticators {
                l.push(Line::raw(format!(
                    "  {}",
                    a.display_name.as_deref().unwrap_or("(no name)")
                )));
            }
            l.push(kv("software OATH", m.software_oath.len().to_string(), env));
            l.push(kv("hardware OATH", m.hardware_oath.len().to_string(), env));
            for h in &m.hardware_oath {
                l.push(Line::raw(format!(
                    "  {} · {:?}",
                    h.serial.as_deref().unwrap_or("?"),
                    h.status
                )));
            }
            if !m.other.is_empty() {
                l.push(kv("other", m.other.join(", "), env));
            }
            l.push(kv(
                "devices",
                format!("{} of 5 (L1)", m.device_count()),
                env,
            ));
            l.push(kv("default", entra_default_text(&m.default), env));
            l.push(kv(
                "system-pref.",
                m.system_preferred_enabled
                    .map(|b| if b { "on" } else { "off" })
                    .unwrap_or("?"),
                env,
            ));
        }
    }
    l
}

/// The user's status and latest plan with rule ids.
pub fn status_lines(row: &Row, env: &Env<'_>, width: u16) -> Vec<Line<'static>> {
    let t = env.theme;
    let mut l = Vec::new();
    match &row.status {
        None => l.push(Line::styled(
            "No dry run or migration yet for this user.",
            t.dim(),
        )),
        Some(UserStatus::Skipped { skip }) => {
            l.push(Line::from(vec![
                Span::styled("skipped: ", t.warn()),
                Span::raw(skip_text(skip)),
                Span::styled(format!("  {}", skip.rule()), t.dim()),
            ]));
        }
        Some(UserStatus::Failed { error, retryable }) => {
            l.push(Line::styled(
                format!(
                    "✗ failed{}: {error}",
                    if *retryable { " (retryable)" } else { "" }
                ),
                t.error(),
            ));
        }
        Some(UserStatus::Mismatch { differences }) => {
            l.push(Line::styled(
                "≠ read-back differs from the plan (C4):",
                t.error(),
            ));
            for d in differences {
                l.push(Line::raw(format!("  {d}")));
            }
        }
        Some(s) => l.push(Line::raw(format!("status: {}", status_text(Some(s))))),
    }
    if let Some(plan) = &row.plan {
        l.extend(super::plan::plan_lines(plan, env, width));
    }
    l
}

impl Detail {
    pub fn new(row: u32) -> Detail {
        Detail {
            row,
            scroll: Cursor::default(),
        }
    }

    fn columns(
        &self,
        row: &Row,
        env: &Env<'_>,
        width: u16,
    ) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
        let user = match &row.member.matched {
            Match::Matched { user, .. } => env.data.and_then(|d| d.user(*user)),
            _ => None,
        };
        let mut left = mfa_lines(user, row, env);
        let mut right = entra_lines(row, env);
        if width < SIDE_BY_SIDE {
            left.push(Line::raw(""));
            left.append(&mut right);
        }
        (left, right)
    }

    /// Fit the scroll range to the lines the view holds.
    pub fn fit(&mut self, row: &Row, env: &Env<'_>, area: Rect) {
        let (left, right) = self.columns(row, env, area.width);
        let len = left.len().max(right.len()) + status_lines(row, env, area.width).len() + 2;
        self.scroll.height = area.height.saturating_sub(1) as usize;
        self.scroll.len = len;
        self.scroll_by(0);
    }

    /// Scroll by lines (positive: down).
    pub fn scroll_by(&mut self, delta: isize) {
        let max = self.scroll.len.saturating_sub(self.scroll.height.max(1));
        self.scroll.offset = self.scroll.offset.saturating_add_signed(delta).min(max);
        self.scroll.selected = self.scroll.offset;
    }

    pub fn render(&self, frame: &mut Frame<'_>, area: Rect, row: &Row, env: &Env<'_>) {
        let t = env.theme;
        let block = Block::default()
            .borders(Borders::TOP)
            .border_style(t.border())
            .title(Span::styled(
                format!(" {} ", row.member.entra.upn),
                t.title(),
            ));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let (mut left, right) = self.columns(row, env, inner.width);
        let mut status = vec![Line::raw(""), Line::styled("MIGRATION", t.heading())];
        status.extend(status_lines(row, env, inner.width));
        let off = self.scroll.offset as u16;
        if inner.width < SIDE_BY_SIDE {
            left.extend(status);
            frame.render_widget(Paragraph::new(left).scroll((off, 0)), inner);
            return;
        }
        // Both sides in two columns, then the migration block across the full width;
        // one scroll offset runs through both parts.
        let top = left.len().max(right.len()) as u16;
        let top_shown = top.saturating_sub(off).min(inner.height);
        let [cols, below] =
            Layout::vertical([Constraint::Length(top_shown), Constraint::Min(0)]).areas(inner);
        let [a, b] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
            .spacing(2)
            .areas(cols);
        frame.render_widget(Paragraph::new(left).scroll((off, 0)), a);
        frame.render_widget(Paragraph::new(right).scroll((off, 0)), b);
        frame.render_widget(
            Paragraph::new(status).scroll((off.saturating_sub(top), 0)),
            below,
        );
    }
}
