//! Migration settings (config `[migration]`, flags, and this view): default-method mode,
//! match attribute, mobile-app handling, disabled users, automatic-sync interval. A
//! change goes to the engine for this session; the config file is the place to keep it.

use std::path::Path;
use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::Env;
use crate::migrate::{DefaultMethodMode, MatchAttribute, MigrationSettings, MobileAppHandling};
use crate::tui::widgets::virtual_table::Cursor;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    DefaultMethod,
    MobileApp,
    IncludeDisabled,
    MatchAttribute,
    SyncInterval,
    HardwareOath,
}

impl Field {
    pub const ALL: [Field; 6] = [
        Field::DefaultMethod,
        Field::MobileApp,
        Field::IncludeDisabled,
        Field::MatchAttribute,
        Field::SyncInterval,
        Field::HardwareOath,
    ];

    fn label(self) -> &'static str {
        match self {
            Field::DefaultMethod => "default_method",
            Field::MobileApp => "mobile_app",
            Field::IncludeDisabled => "include_disabled",
            Field::MatchAttribute => "match_attribute",
            Field::SyncInterval => "sync_interval",
            Field::HardwareOath => "hardware OATH",
        }
    }

    fn rule(self) -> &'static str {
        match self {
            Field::DefaultMethod => "D2",
            Field::MobileApp => "A3",
            Field::IncludeDisabled => "M4",
            Field::MatchAttribute => "M3",
            Field::SyncInterval => "C1",
            Field::HardwareOath => "H3",
        }
    }

    fn help(self) -> &'static str {
        match self {
            Field::DefaultMethod => {
                "always / if-not-set / most-secure-if-not-set (when Entra has none)"
            }
            Field::MobileApp => {
                "report: list who must re-register · oath-as-hardware-token: codes only"
            }
            Field::IncludeDisabled => "also migrate users disabled in MFA Server",
            Field::MatchAttribute => "after UPN and SID: mfa_server_key=entraProperty, empty = off",
            Field::SyncInterval => "how often automatic sync migrates changed users (15m, 1h)",
            Field::HardwareOath => "hardware OATH APIs exist in the global cloud only",
        }
    }
}

pub fn default_method_name(m: DefaultMethodMode) -> &'static str {
    match m {
        DefaultMethodMode::Always => "always",
        DefaultMethodMode::IfNotSet => "if-not-set",
        DefaultMethodMode::MostSecureIfNotSet => "most-secure-if-not-set",
    }
}

pub fn mobile_app_name(m: MobileAppHandling) -> &'static str {
    match m {
        MobileAppHandling::Report => "report",
        MobileAppHandling::OathAsHardwareToken => "oath-as-hardware-token",
    }
}

/// Parse `key=property` (empty: none).
pub fn parse_match_attribute(text: &str) -> Result<Option<MatchAttribute>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    match t.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() && !v.trim().is_empty() => Ok(Some(MatchAttribute {
            mfa_server: k.trim().to_string(),
            entra: v.trim().to_string(),
        })),
        _ => Err(format!(
            "match attribute {t:?}: expected mfa_server_key=entraProperty, e.g. employeeID=employeeId"
        )),
    }
}

pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(text.trim()).map_err(|e| {
        format!("sync interval {text:?}: expected a duration such as 15m or 1h ({e})")
    })?;
    if d < Duration::from_secs(60) {
        return Err(format!("sync interval {text:?}: expected at least 1m"));
    }
    Ok(d)
}

/// What pressing `open` on a field does.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Set(MigrationSettings),
    /// Ask for text, starting from the current value.
    Edit(Field, String),
    Fixed(&'static str),
}

/// The change `open` makes on `field`: cycle a choice, toggle, or edit text.
pub fn change(field: Field, s: &MigrationSettings, interval: Duration) -> Change {
    let mut next = s.clone();
    match field {
        Field::DefaultMethod => {
            next.default_method = match s.default_method {
                DefaultMethodMode::Always => DefaultMethodMode::IfNotSet,
                DefaultMethodMode::IfNotSet => DefaultMethodMode::MostSecureIfNotSet,
                DefaultMethodMode::MostSecureIfNotSet => DefaultMethodMode::Always,
            };
            Change::Set(next)
        }
        Field::MobileApp => {
            next.mobile_app = match s.mobile_app {
                MobileAppHandling::Report => MobileAppHandling::OathAsHardwareToken,
                MobileAppHandling::OathAsHardwareToken => MobileAppHandling::Report,
            };
            Change::Set(next)
        }
        Field::IncludeDisabled => {
            next.include_disabled = !s.include_disabled;
            Change::Set(next)
        }
        Field::MatchAttribute => Change::Edit(
            field,
            s.match_attribute
                .as_ref()
                .map(|m| format!("{}={}", m.mfa_server, m.entra))
                .unwrap_or_default(),
        ),
        Field::SyncInterval => {
            Change::Edit(field, humantime::format_duration(interval).to_string())
        }
        Field::HardwareOath => Change::Fixed("set by the cloud (--cloud): rule H3"),
    }
}

#[derive(Debug, Clone, Default)]
pub struct SettingsPane {
    pub cursor: Cursor,
}

impl SettingsPane {
    pub fn new() -> SettingsPane {
        let mut cursor = Cursor::default();
        cursor.set_len(Field::ALL.len());
        cursor.set_height(Field::ALL.len());
        SettingsPane { cursor }
    }

    pub fn field(&self) -> Field {
        Field::ALL
            .get(self.cursor.selected)
            .copied()
            .unwrap_or(Field::DefaultMethod)
    }

    pub fn render(
        &self,
        frame: &mut Frame<'_>,
        area: Rect,
        s: &MigrationSettings,
        interval: Duration,
        config_file: Option<&Path>,
        env: &Env<'_>,
    ) {
        let t = env.theme;
        let block = Block::default()
            .borders(Borders::TOP)
            .border_style(t.border())
            .title(Span::styled(" Migration settings ", t.title()));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let mut lines = Vec::new();
        let mut cursor_y = None;
        for (i, f) in Field::ALL.into_iter().enumerate() {
            let value = match f {
                Field::DefaultMethod => default_method_name(s.default_method).to_string(),
                Field::MobileApp => mobile_app_name(s.mobile_app).to_string(),
                Field::IncludeDisabled => if s.include_disabled { "on" } else { "off" }.into(),
                Field::MatchAttribute => s
                    .match_attribute
                    .as_ref()
                    .map(|m| format!("{} = {}", m.mfa_server, m.entra))
                    .unwrap_or_else(|| "none".into()),
                Field::SyncInterval => humantime::format_duration(interval).to_string(),
                Field::HardwareOath => if s.hardware_oath_available {
                    "available"
                } else {
                    "not in this cloud"
                }
                .into(),
            };
            let selected = i == self.cursor.selected;
            if selected {
                cursor_y = Some(inner.y + lines.len() as u16);
            }
            let line = Line::from(vec![
                Span::raw(format!(" {:<18}", f.label())),
                Span::styled(format!("{value:<24}"), t.key()),
                Span::styled(format!(" {}", f.rule()), t.dim()),
            ]);
            lines.push(if selected {
                line.style(t.selected())
            } else {
                line
            });
            lines.push(Line::styled(format!("   {}", f.help()), t.dim()));
        }
        lines.push(Line::raw(""));
        lines.push(Line::from(vec![
            Span::raw(" Press "),
            Span::styled(
                env.key(
                    crate::tui::action::Context::Navigation,
                    crate::tui::action::Action::Open,
                ),
                t.key(),
            ),
            Span::raw(" to change. Changes apply to this session;"),
        ]));
        lines.push(Line::raw(format!(
            " keep them in [migration] of {}.",
            config_file
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "the config file".into())
        )));
        lines.push(Line::styled(
            " Settings enter each user's fingerprint (C1): a change makes users \"changed\".",
            t.dim(),
        ));
        frame.render_widget(Paragraph::new(lines), inner);
        if let Some(y) = cursor_y
            && y < inner.bottom()
        {
            frame.set_cursor_position((inner.x, y));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_edits_and_cycles_choices() {
        assert_eq!(parse_match_attribute(""), Ok(None));
        assert_eq!(
            parse_match_attribute(" employeeID = employeeId "),
            Ok(Some(MatchAttribute {
                mfa_server: "employeeID".into(),
                entra: "employeeId".into()
            }))
        );
        assert!(parse_match_attribute("employeeID").is_err());
        assert_eq!(parse_interval("15m"), Ok(Duration::from_secs(900)));
        assert!(parse_interval("5s").is_err());
        assert!(parse_interval("soon").is_err());
        let s = MigrationSettings::default();
        let Change::Set(n) = change(Field::DefaultMethod, &s, Duration::from_secs(900)) else {
            panic!()
        };
        assert_eq!(n.default_method, DefaultMethodMode::MostSecureIfNotSet);
        assert!(matches!(
            change(Field::HardwareOath, &s, Duration::ZERO),
            Change::Fixed(_)
        ));
    }
}
