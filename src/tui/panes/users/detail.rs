//! One user, MFA Server beside Entra — the migration utility's "View": every attribute
//! and method on both sides in one vocabulary (with the Graph value of each default), how
//! they matched and what that means, the data file's row problems for the user, and the
//! latest plan or status with its rule ids. Long values wrap; nothing is cut. Secrets are
//! never shown, only whether one is there. Lines are built for the width in `fit`;
//! drawing only reads them.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::notes::Notes;
use super::rows::{EntraState, Row};
use super::words;
use crate::datafile::{Known, OathKind, User};
use crate::engine::UserStatus;
use crate::migrate::{EntraPhone, Match, PhoneSlot};
use crate::safe_text::terminal;
use crate::tui::pane::Env;
use crate::tui::widgets::virtual_table::Cursor;
use crate::tui::widgets::wrap_line;

/// Narrower than this, the two sides are stacked instead of side by side.
const SIDE_BY_SIDE: u16 = 100;
/// Width of the key column.
const KEY: usize = 16;

/// The detail view of one row.
#[derive(Debug, Clone)]
pub struct Detail {
    pub row: u32,
    pub scroll: Cursor,
    left: Vec<Line<'static>>,
    right: Vec<Line<'static>>,
    status: Vec<Line<'static>>,
    side_by_side: bool,
}

/// Lines under construction, wrapped to a width as they are added.
struct Lines<'e, 'a> {
    out: Vec<Line<'static>>,
    width: usize,
    env: &'e Env<'a>,
}

impl Lines<'_, '_> {
    fn kv(&mut self, key: &str, value: impl Into<String>) {
        let line = Line::from(vec![
            Span::styled(format!("{key:<KEY$}"), self.env.theme.dim()),
            Span::raw(value.into()),
        ]);
        self.out.extend(wrap_line(&line, self.width, KEY));
    }

    fn line(&mut self, line: Line<'static>, indent: usize) {
        self.out.extend(wrap_line(&line, self.width, indent));
    }
}

fn yes_no(k: Known<bool>) -> &'static str {
    match k {
        Known::Known(true) => "yes",
        Known::Known(false) => "no",
        Known::Unknown => "? (not in the input)",
    }
}

fn opt(v: Option<&str>) -> String {
    v.map(|s| terminal(s).into_owned())
        .unwrap_or_else(|| "—".into())
}

fn mode<T: std::fmt::Debug>(k: Known<Option<T>>) -> String {
    match k {
        Known::Unknown => "?".into(),
        Known::Known(None) => "—".into(),
        Known::Known(Some(v)) => format!("{v:?}").to_lowercase(),
    }
}

fn mfa_lines(
    user: Option<User<'_>>,
    row: &Row,
    notes: &Notes,
    env: &Env<'_>,
    width: usize,
) -> Vec<Line<'static>> {
    let t = env.theme;
    let mut l = Lines {
        out: vec![Line::styled("MFA SERVER", t.heading())],
        width,
        env,
    };
    let Some(u) = user else {
        let text = match (&row.member.matched, env.data) {
            (Match::NotInMfaServer, _) => "no MFA Server user matches (M1–M3)".to_string(),
            (Match::Conflict { users, by }, _) => {
                format!(
                    "{} MFA Server users match by {by}: none is migrated",
                    users.len()
                )
            }
            (Match::Matched { .. }, None) => "data file not loaded yet".to_string(),
            (Match::Matched { .. }, Some(_)) => "user index not in the data file".to_string(),
        };
        l.line(Line::styled(text, t.warn()), 0);
        return l.out;
    };
    let problems: Vec<_> = notes.of_user(env.data, u.username()).collect();
    let noted = |fields: &[&str]| {
        problems
            .iter()
            .any(|p| fields.iter().any(|f| p.field.eq_ignore_ascii_case(f)))
    };
    l.kv("username", terminal(u.username()).into_owned());
    l.kv("upn", opt(u.upn()));
    l.kv("sid", opt(u.sid()));
    l.kv("email", opt(u.email()));
    l.kv("enabled", yes_no(u.enabled()));
    l.kv(
        "phone",
        super::cells::phone_text(u.phone(), noted(&["phone", "country_code", "extension"])),
    );
    l.kv(
        "backup phone",
        super::cells::phone_text(
            u.backup_phone(),
            noted(&["backup_phone", "backup_country_code", "backup_extension"]),
        ),
    );
    l.kv(
        "default",
        match u.default_method() {
            Known::Unknown if noted(&["default_method"]) => "? see notes".to_string(),
            m => words::mfa_default_graph(m),
        },
    );
    l.kv("call mode", mode(u.phone_call_mode()));
    l.kv("text mode", mode(u.text_message_mode()));
    l.kv("app mode", mode(u.mobile_app_mode()));
    l.kv("language", opt(u.language()));
    l.kv(
        "changed",
        u.changed_at()
            .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_else(|| "—".into()),
    );
    for (k, v) in u.ad_attributes() {
        l.kv(&format!("ad {}", terminal(k)), terminal(v).into_owned());
    }
    match u.devices().known() {
        None => l.kv("mobile apps", "? (not in the input)"),
        Some(devices) => {
            l.kv("mobile apps", devices.len().to_string());
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
                l.line(
                    Line::raw(format!(
                        "  {} · activated {when} · {codes}",
                        terminal(d.name())
                    )),
                    4,
                );
            }
        }
    }
    match u.tokens().known() {
        None => l.kv("OATH tokens", "? (not in the input)"),
        Some(tokens) => {
            l.kv("OATH tokens", tokens.len().to_string());
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
                l.line(
                    Line::raw(format!(
                        "  {} · {kind} · {} {} · {secret}",
                        terminal(tk.serial()),
                        terminal(tk.manufacturer().unwrap_or("?")),
                        terminal(tk.model().unwrap_or(""))
                    )),
                    4,
                );
            }
        }
    }
    if !problems.is_empty() {
        l.out.push(Line::raw(""));
        l.out.push(Line::styled(
            "NOTES (the data file's row problems)",
            t.heading(),
        ));
        for p in problems {
            let place = p.row.map(|r| format!(" (row {r})")).unwrap_or_default();
            l.line(
                Line::from(vec![
                    Span::styled(format!("{}: ", terminal(&p.field)), t.warn()),
                    Span::raw(format!(
                        "{} — {}{place}{}",
                        crate::datafile::report::kind_label(p.kind),
                        terminal(&p.reason),
                        if p.set_aside { ", row set aside" } else { "" }
                    )),
                ]),
                2,
            );
        }
    }
    l.out
}

fn entra_lines(row: &Row, env: &Env<'_>, width: usize) -> Vec<Line<'static>> {
    let t = env.theme;
    let e = &row.member.entra;
    let yn = |b: Option<bool>| b.map(|b| if b { "yes" } else { "no" }).unwrap_or("?");
    let mut l = Lines {
        out: vec![Line::styled("ENTRA", t.heading())],
        width,
        env,
    };
    l.kv("upn", terminal(&e.upn).into_owned());
    l.kv("display name", opt(e.display_name.as_deref()));
    l.kv("object id", terminal(&e.id).into_owned());
    l.kv("on-prem SID", opt(e.on_premises_sid.as_deref()));
    l.kv("synced", yn(e.on_premises_sync_enabled));
    l.kv("enabled", yn(e.account_enabled));
    for (k, v) in &e.attributes {
        l.kv(&terminal(k), terminal(v).into_owned());
    }
    l.kv(
        "matched",
        match &row.member.matched {
            Match::Matched { by, .. } => format!("{by}: {}", words::match_meaning(*by)),
            Match::NotInMfaServer => "not in MFA Server (M1–M3 found no user)".into(),
            Match::Conflict { by, users } => format!(
                "conflict ({by}): {} MFA Server users match, none is migrated",
                users.len()
            ),
        },
    );
    match &row.entra {
        EntraState::NotRead | EntraState::Requested => {
            l.out.push(Line::styled("methods: reading…", t.dim()));
        }
        EntraState::Failed(err) => {
            l.line(
                Line::styled(
                    format!("methods could not be read: {}", terminal(err)),
                    t.error(),
                ),
                2,
            );
        }
        EntraState::Read(read) => {
            let m = &read.methods;
            for slot in PhoneSlot::ALL {
                let v = match m.phone(slot) {
                    None => "—".to_string(),
                    Some(EntraPhone::Masked(s)) => format!("{} (masked)", terminal(s)),
                    Some(p) => terminal(&p.to_string()).into_owned(),
                };
                l.kv(slot.graph_name(), v);
            }
            l.kv("authenticators", m.authenticators.len().to_string());
            for a in &m.authenticators {
                l.line(
                    Line::raw(format!(
                        "  {}",
                        terminal(a.display_name.as_deref().unwrap_or("(no name)"))
                    )),
                    4,
                );
            }
            l.kv("software OATH", m.software_oath.len().to_string());
            l.kv("hardware OATH", m.hardware_oath.len().to_string());
            for h in &m.hardware_oath {
                l.line(
                    Line::raw(format!(
                        "  {} · {:?}",
                        terminal(h.serial.as_deref().unwrap_or("?")),
                        h.status
                    )),
                    4,
                );
            }
            if !m.other.is_empty() {
                l.kv("other", terminal(&m.other.join(", ")).into_owned());
            }
            l.kv("devices", format!("{} of 5 (L1)", m.device_count()));
            l.kv("default", words::entra_default_graph(&m.default));
            l.kv(
                "system-pref.",
                m.system_preferred_enabled
                    .map(|b| if b { "on" } else { "off" })
                    .unwrap_or("?"),
            );
            l.kv(
                "usable now",
                match read.usable {
                    None => "? (the methods policy could not be read)".to_string(),
                    Some(u) if u.any() => {
                        let ms: Vec<&str> = crate::migrate::PreferredMethod::RANKED
                            .into_iter()
                            .filter(|m| u.sure.contains(*m))
                            .map(words::entra_method)
                            .collect();
                        format!("{} (D3)", ms.join(", "))
                    }
                    Some(u) if u.only_maybe() => {
                        "none surely: some only through the legacy policy (D3)".into()
                    }
                    Some(_) => "none (D3): would have to register first".into(),
                },
            );
        }
    }
    l.out
}

/// The user's status and latest plan with rule ids, wrapped to `width`.
fn status_lines(row: &Row, env: &Env<'_>, width: usize) -> Vec<Line<'static>> {
    let t = env.theme;
    let mut l = Lines {
        out: Vec::new(),
        width,
        env,
    };
    match &row.status {
        None => l.out.push(Line::styled(
            "No dry run or migration yet for this user.",
            t.dim(),
        )),
        Some(UserStatus::Skipped { skip }) => l.line(
            Line::from(vec![
                Span::styled("skipped: ", t.warn()),
                Span::raw(words::skip_text(skip)),
                Span::styled(format!("  {}", skip.rule()), t.dim()),
            ]),
            2,
        ),
        Some(UserStatus::Failed { error, retryable }) => l.line(
            Line::styled(
                format!(
                    "✗ failed{}: {}",
                    if *retryable { " (retryable)" } else { "" },
                    terminal(error)
                ),
                t.error(),
            ),
            2,
        ),
        Some(UserStatus::Mismatch { differences }) => {
            l.out.push(Line::styled(
                "≠ read-back differs from the plan (C4):",
                t.error(),
            ));
            for d in differences {
                l.line(Line::raw(format!("  {}", terminal(d))), 4);
            }
        }
        Some(s) => l.out.push(Line::raw(format!(
            "status: {}",
            words::status_text(Some(s))
        ))),
    }
    if let Some(plan) = &row.plan {
        l.out
            .extend(super::plan::plan_lines(plan, env, width as u16));
    }
    l.out
}

impl Detail {
    pub fn new(row: u32) -> Detail {
        Detail {
            row,
            scroll: Cursor::default(),
            left: Vec::new(),
            right: Vec::new(),
            status: Vec::new(),
            side_by_side: false,
        }
    }

    /// Show another row (next or previous user): from the top.
    pub fn show(&mut self, row: u32) {
        self.row = row;
        self.scroll.offset = 0;
        self.scroll.selected = 0;
    }

    /// Build the lines for `area` (the block's inside) and fit the scroll range.
    pub fn fit(&mut self, row: &Row, notes: &Notes, env: &Env<'_>, area: Rect) {
        let inner = Block::default().borders(Borders::TOP).inner(area);
        let user = match &row.member.matched {
            Match::Matched { user, .. } => env.data.and_then(|d| d.user(*user)),
            _ => None,
        };
        self.side_by_side = inner.width >= SIDE_BY_SIDE;
        let col = if self.side_by_side {
            let [a, b] =
                Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                    .spacing(2)
                    .areas(inner);
            a.width.min(b.width) as usize
        } else {
            inner.width as usize
        };
        self.left = mfa_lines(user, row, notes, env, col);
        self.right = entra_lines(row, env, col);
        if !self.side_by_side {
            self.left.push(Line::raw(""));
            self.left.append(&mut self.right);
        }
        self.status = vec![
            Line::raw(""),
            Line::styled("MIGRATION", env.theme.heading()),
        ];
        self.status
            .extend(status_lines(row, env, inner.width as usize));
        let len = self.left.len().max(self.right.len()) + self.status.len();
        self.scroll.height = inner.height as usize;
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
                format!(" {} ", terminal(&row.member.entra.upn)),
                t.title(),
            ));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let off = self.scroll.offset as u16;
        if !self.side_by_side {
            let mut all = self.left.clone();
            all.extend(self.status.iter().cloned());
            frame.render_widget(Paragraph::new(all).scroll((off, 0)), inner);
            return;
        }
        // Both sides in two columns, then the migration block across the full width;
        // one scroll offset runs through both parts.
        let top = self.left.len().max(self.right.len()) as u16;
        let top_shown = top.saturating_sub(off).min(inner.height);
        let [cols, below] =
            Layout::vertical([Constraint::Length(top_shown), Constraint::Min(0)]).areas(inner);
        let [a, b] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
            .spacing(2)
            .areas(cols);
        frame.render_widget(Paragraph::new(self.left.clone()).scroll((off, 0)), a);
        frame.render_widget(Paragraph::new(self.right.clone()).scroll((off, 0)), b);
        frame.render_widget(
            Paragraph::new(self.status.clone()).scroll((off.saturating_sub(top), 0)),
            below,
        );
    }
}
