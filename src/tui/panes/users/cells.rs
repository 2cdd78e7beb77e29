//! Columns of the users table and the text of each cell: MFA Server methods and current
//! Entra methods side by side, in one vocabulary (`words`). Cells are formatted for the
//! visible window when it changes, and kept; a frame only copies them into the table.
//! Nothing is cut silently: a cut value ends in "…", a field the file carried a bad
//! value for says "? see notes", a phone column with more phones says "[+N]" apart from
//! the number.

use ratatui::style::Style;

use super::notes::Notes;
use super::rows::{EntraState, Row};
use super::words;
use crate::datafile::{DataSet, Known};
use crate::engine::UserStatus;
use crate::migrate::{EntraMethods, Match, PhoneSlot};
use crate::phone::PhoneNumber;
use crate::tui::theme::Theme;
use crate::tui::widgets::truncate;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    Mark,
    Status,
    Upn,
    MfaPhone,
    MfaBackup,
    MfaDefault,
    MfaApps,
    MfaTokens,
    EntraPhones,
    EntraApps,
    EntraDefault,
    Migration,
}

impl Col {
    /// Display order.
    pub const ALL: [Col; 12] = [
        Col::Mark,
        Col::Status,
        Col::Upn,
        Col::MfaPhone,
        Col::MfaBackup,
        Col::MfaDefault,
        Col::MfaApps,
        Col::MfaTokens,
        Col::EntraPhones,
        Col::EntraApps,
        Col::EntraDefault,
        Col::Migration,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Col::Mark => "",
            Col::Status => "MATCH",
            Col::Upn => "ENTRA UPN",
            Col::MfaPhone => "MFA PHONE",
            Col::MfaBackup => "MFA BACKUP",
            Col::MfaDefault => "MFA DEF",
            Col::MfaApps => "APPS",
            Col::MfaTokens => "TOK",
            Col::EntraPhones => "ENTRA PHONE",
            Col::EntraApps => "AUTH",
            Col::EntraDefault => "ENTRA DEF",
            Col::Migration => "MIGRATION",
        }
    }

    /// Fixed width (the UPN takes what is left, at least its minimum).
    fn width(self) -> u16 {
        match self {
            Col::Mark => 1,
            Col::Status => 9,
            Col::Upn => 18,
            Col::MfaPhone | Col::MfaBackup => 14,
            // Room for a number and its "[+N]" marker.
            Col::EntraPhones => 17,
            Col::MfaDefault => 7,
            Col::MfaApps => 4,
            Col::MfaTokens => 3,
            Col::EntraApps => 4,
            Col::EntraDefault => 11,
            Col::Migration => 14,
        }
    }

    /// Lower goes in first when the terminal is narrow.
    fn priority(self) -> u8 {
        match self {
            Col::Mark | Col::Upn => 0,
            Col::Status | Col::Migration => 1,
            Col::MfaPhone => 2,
            Col::EntraPhones => 3,
            Col::MfaDefault => 5,
            Col::EntraDefault => 6,
            Col::MfaBackup => 7,
            Col::EntraApps => 8,
            Col::MfaApps => 9,
            Col::MfaTokens => 10,
        }
    }
}

pub const SPACING: u16 = 1;

/// The columns that fit `width`, with their widths, in display order.
pub fn layout(width: u16, max_upn: usize) -> Vec<(Col, u16)> {
    let mut by_prio: Vec<Col> = Col::ALL.to_vec();
    by_prio.sort_by_key(|c| c.priority());
    let mut chosen: Vec<Col> = Vec::new();
    let mut used = 0u16;
    for c in by_prio {
        let need = c.width() + if chosen.is_empty() { 0 } else { SPACING };
        if used + need <= width || c.priority() == 0 {
            used = used.saturating_add(need);
            chosen.push(c);
        }
    }
    let spare = width.saturating_sub(used);
    let upn_want = (max_upn as u16).max(Col::Upn.width());
    let upn = (Col::Upn.width() + spare).min(upn_want.max(Col::Upn.width() + spare / 2));
    let mut out: Vec<(Col, u16)> = Col::ALL
        .into_iter()
        .filter(|c| chosen.contains(c))
        .map(|c| (c, if c == Col::Upn { upn } else { c.width() }))
        .collect();
    // Leftover space goes to the migration status, which has the longest texts.
    let total: u16 =
        out.iter().map(|(_, w)| w).sum::<u16>() + SPACING * (out.len() as u16).saturating_sub(1);
    if let Some((_, w)) = out.iter_mut().find(|(c, _)| *c == Col::Migration) {
        *w += width.saturating_sub(total).min(16);
    }
    out
}

/// Formatted cells of one row.
#[derive(Debug, Clone)]
pub struct RowCells {
    pub row: u32,
    pub texts: Vec<String>,
    pub styles: Vec<Style>,
}

/// A phone as a cell: `?` when the input does not carry it, `? see notes` when the file
/// carried a value that could not be read (a row problem says what).
pub fn phone_text(p: Known<Option<PhoneNumber>>, noted: bool) -> String {
    match p {
        Known::Unknown if noted => "? see notes".into(),
        Known::Unknown => "?".into(),
        Known::Known(None) => "—".into(),
        Known::Known(Some(n)) => n.graph(),
    }
}

/// The first Entra phone (mobile, alternate, office) and how many more, fitted to
/// `width`: the marker `[+N]` stays whole, bracketed apart from the number (never read as
/// its digits), and the number is cut with "…" when both do not fit.
pub fn entra_phones_text(m: &EntraMethods, width: usize) -> String {
    let present: Vec<String> = PhoneSlot::ALL
        .iter()
        .filter_map(|s| m.phone(*s))
        .map(|p| crate::safe_text::terminal(&p.to_string()).into_owned())
        .collect();
    match present.as_slice() {
        [] => "—".into(),
        [one] => truncate(one, width),
        [first, rest @ ..] => {
            let marker = format!("[+{}]", rest.len());
            let room = width.saturating_sub(marker.chars().count());
            format!("{}{marker}", truncate(first, room))
        }
    }
}

fn status_style(s: Option<&UserStatus>, theme: &Theme) -> Style {
    match s {
        Some(UserStatus::Verified) => theme.ok(),
        Some(UserStatus::Failed { .. }) | Some(UserStatus::Mismatch { .. }) => theme.error(),
        Some(UserStatus::Skipped { .. }) => theme.dim(),
        Some(UserStatus::Writing { .. }) | Some(UserStatus::Reading) => theme.accent(),
        _ => theme.base(),
    }
}

/// How a row matched (the rule, or why not) and its style.
pub fn match_word(row: &Row, data: Option<&DataSet>, theme: &Theme) -> (&'static str, Style) {
    match &row.member.matched {
        Match::Matched { user, .. } => {
            let disabled = data
                .and_then(|d| d.user(*user))
                .is_some_and(|u| u.enabled() == Known::Known(false));
            if disabled {
                ("disabled", theme.warn())
            } else {
                (words::match_short(&row.member.matched), theme.base())
            }
        }
        Match::NotInMfaServer => ("unmatched", theme.warn()),
        Match::Conflict { .. } => ("conflict", theme.error()),
    }
}

pub fn format_row(
    i: u32,
    row: &Row,
    cols: &[(Col, u16)],
    data: Option<&DataSet>,
    notes: &Notes,
    theme: &Theme,
) -> RowCells {
    let user = match &row.member.matched {
        Match::Matched { user, .. } => data.and_then(|d| d.user(*user)),
        _ => None,
    };
    let matched = matches!(row.member.matched, Match::Matched { .. });
    let noted = |fields: &[&str]| {
        user.as_ref()
            .is_some_and(|u| notes.has(data, u.username(), fields))
    };
    // MFA Server side: "…" while the data file is not loaded, blank when no user matched.
    let mfa = |f: &dyn Fn(&crate::datafile::User<'_>) -> String| -> String {
        match (&user, matched, data) {
            (Some(u), _, _) => f(u),
            (None, true, None) => "…".into(),
            _ => String::new(),
        }
    };
    let entra = |f: &dyn Fn(&EntraMethods) -> String| -> String {
        match &row.entra {
            EntraState::NotRead | EntraState::Requested => "…".into(),
            EntraState::Read(m) => f(&m.methods),
            EntraState::Failed(_) => "error".into(),
        }
    };
    let mut texts = Vec::with_capacity(cols.len());
    let mut styles = Vec::with_capacity(cols.len());
    for (col, width) in cols {
        let w = *width as usize;
        let (text, style) = match col {
            Col::Mark => (
                if row.marked { "✓" } else { " " }.to_string(),
                theme.accent(),
            ),
            Col::Status => {
                let (w, s) = match_word(row, data, theme);
                (w.to_string(), s)
            }
            Col::Upn => (
                crate::safe_text::terminal(&row.member.entra.upn).into_owned(),
                theme.base(),
            ),
            Col::MfaPhone => {
                let n = noted(&["phone", "country_code", "extension"]);
                (mfa(&|u| phone_text(u.phone(), n)), theme.base())
            }
            Col::MfaBackup => {
                let n = noted(&["backup_phone", "backup_country_code", "backup_extension"]);
                (mfa(&|u| phone_text(u.backup_phone(), n)), theme.base())
            }
            Col::MfaDefault => {
                let n = noted(&["default_method"]);
                (
                    mfa(&|u| match u.default_method() {
                        Known::Unknown if n => "? notes".into(),
                        m => words::mfa_default(m).into(),
                    }),
                    theme.base(),
                )
            }
            Col::MfaApps => (
                mfa(&|u| match u.devices().known() {
                    Some(d) => d.len().to_string(),
                    None => "?".into(),
                }),
                theme.base(),
            ),
            Col::MfaTokens => (
                mfa(&|u| match u.tokens().known() {
                    Some(t) => t.len().to_string(),
                    None => "?".into(),
                }),
                theme.base(),
            ),
            Col::EntraPhones => (entra(&|m| entra_phones_text(m, w)), theme.base()),
            Col::EntraApps => (entra(&|m| m.authenticators.len().to_string()), theme.base()),
            Col::EntraDefault => (entra(&|m| words::entra_default(&m.default)), theme.base()),
            Col::Migration => (
                words::status_text(row.status.as_ref()),
                status_style(row.status.as_ref(), theme),
            ),
        };
        texts.push(truncate(&text, w));
        styles.push(style);
    }
    RowCells {
        row: i,
        texts,
        styles,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_terminals_keep_both_sides() {
        let cols: Vec<Col> = layout(78, 30).into_iter().map(|(c, _)| c).collect();
        for c in [
            Col::Mark,
            Col::Status,
            Col::Upn,
            Col::MfaPhone,
            Col::EntraPhones,
            Col::Migration,
        ] {
            assert!(cols.contains(&c), "{c:?} missing at 78: {cols:?}");
        }
        let upn = layout(78, 30)
            .iter()
            .find(|(c, _)| *c == Col::Upn)
            .map(|(_, w)| *w);
        assert!(upn >= Some(18), "{upn:?}");
        let wide = layout(158, 30);
        assert_eq!(wide.len(), Col::ALL.len());
        let m = EntraMethods {
            mobile: Some(crate::migrate::EntraPhone::Masked("+1 4255550001".into())),
            office: Some(crate::migrate::EntraPhone::Masked("+1 4255550002".into())),
            ..Default::default()
        };
        assert_eq!(entra_phones_text(&m, 17), "+1 4255550001[+1]");
        // Narrow: the number is cut with "…", the marker stays whole and apart.
        assert_eq!(entra_phones_text(&m, 12), "+1 4255…[+1]");
        let total: u16 = wide.iter().map(|(_, w)| w).sum::<u16>() + (wide.len() as u16 - 1);
        assert!(total <= 158, "{total}");
    }
}
