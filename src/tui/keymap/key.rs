//! One key with its modifiers, as keymap files write it (`j`, `ctrl+r`, `shift+tab`,
//! `pgdn`, `space`) and as the terminal reports it.
//!
//! Terminals disagree on how they report a shifted character (`M` alone, or `m` with
//! SHIFT, or `M` with SHIFT), and on `shift+tab` (BackTab, or Tab with SHIFT); both are
//! normalised here so a binding matches whatever the terminal sends.

use std::fmt;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// A normalised key: characters carry their own case, SHIFT only with named keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    code: KeyName,
    ctrl: bool,
    alt: bool,
    shift: bool,
}

/// The keys a binding can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyName {
    Char(char),
    Enter,
    Esc,
    Tab,
    Backspace,
    Delete,
    Insert,
    Home,
    End,
    PageUp,
    PageDown,
    Up,
    Down,
    Left,
    Right,
    F(u8),
}

/// Named keys: the canonical name first, then accepted aliases.
const NAMES: &[(KeyName, &[&str])] = &[
    (KeyName::Char(' '), &["space"]),
    (KeyName::Enter, &["enter", "return"]),
    (KeyName::Esc, &["esc", "escape"]),
    (KeyName::Tab, &["tab"]),
    (KeyName::Backspace, &["backspace", "bs"]),
    (KeyName::Delete, &["delete", "del"]),
    (KeyName::Insert, &["insert", "ins"]),
    (KeyName::Home, &["home"]),
    (KeyName::End, &["end"]),
    (KeyName::PageUp, &["pgup", "pageup", "page_up"]),
    (KeyName::PageDown, &["pgdn", "pagedown", "page_down"]),
    (KeyName::Up, &["up"]),
    (KeyName::Down, &["down"]),
    (KeyName::Left, &["left"]),
    (KeyName::Right, &["right"]),
];

/// What a key in a keymap file may look like (for "expected" in problem reports).
pub const KEY_SYNTAX: &str = "a key such as \"j\", \"M\", \"?\", \"space\", \"enter\", \"esc\", \
     \"tab\", \"shift+tab\", \"up\", \"pgdn\", \"home\", \"f5\", \"ctrl+r\" \
     (modifiers ctrl, alt, shift joined with +)";

impl Key {
    pub fn char(c: char) -> Key {
        Key::new(KeyName::Char(c), false, false, false)
    }

    pub fn ctrl(c: char) -> Key {
        Key::new(KeyName::Char(c), true, false, false)
    }

    pub fn named(code: KeyName) -> Key {
        Key::new(code, false, false, false)
    }

    /// Build and normalise: a character takes SHIFT into its case.
    pub fn new(code: KeyName, ctrl: bool, alt: bool, shift: bool) -> Key {
        match code {
            KeyName::Char(c) if shift => {
                let upper = if c.is_ascii_lowercase() {
                    c.to_ascii_uppercase()
                } else {
                    c
                };
                Key {
                    code: KeyName::Char(upper),
                    ctrl,
                    alt,
                    shift: false,
                }
            }
            _ => Key {
                code,
                ctrl,
                alt,
                shift,
            },
        }
    }

    pub fn code(&self) -> KeyName {
        self.code
    }

    /// The key of a terminal event; `None` for releases and keys no binding can name.
    /// Press and Repeat count (Windows also reports Release; holding a key repeats).
    pub fn from_event(ev: &KeyEvent) -> Option<Key> {
        if ev.kind == KeyEventKind::Release {
            return None;
        }
        let m = ev.modifiers;
        let ctrl = m.contains(KeyModifiers::CONTROL);
        let alt = m.contains(KeyModifiers::ALT) || m.contains(KeyModifiers::META);
        let shift = m.contains(KeyModifiers::SHIFT);
        let code = match ev.code {
            KeyCode::Char(c) => KeyName::Char(c),
            KeyCode::Enter => KeyName::Enter,
            KeyCode::Esc => KeyName::Esc,
            KeyCode::Tab => KeyName::Tab,
            // Most terminals send shift+tab as BackTab (CSI Z), some as Tab+SHIFT.
            KeyCode::BackTab => return Some(Key::new(KeyName::Tab, ctrl, alt, true)),
            KeyCode::Backspace => KeyName::Backspace,
            KeyCode::Delete => KeyName::Delete,
            KeyCode::Insert => KeyName::Insert,
            KeyCode::Home => KeyName::Home,
            KeyCode::End => KeyName::End,
            KeyCode::PageUp => KeyName::PageUp,
            KeyCode::PageDown => KeyName::PageDown,
            KeyCode::Up => KeyName::Up,
            KeyCode::Down => KeyName::Down,
            KeyCode::Left => KeyName::Left,
            KeyCode::Right => KeyName::Right,
            KeyCode::F(n) => KeyName::F(n),
            _ => return None,
        };
        Some(Key::new(code, ctrl, alt, shift))
    }

    /// The crossterm event this key is (tests and the key driver use it).
    pub fn to_event(self) -> KeyEvent {
        let mut m = KeyModifiers::NONE;
        if self.ctrl {
            m |= KeyModifiers::CONTROL;
        }
        if self.alt {
            m |= KeyModifiers::ALT;
        }
        let code = match self.code {
            KeyName::Char(c) => {
                if c.is_ascii_uppercase() {
                    m |= KeyModifiers::SHIFT;
                }
                KeyCode::Char(c)
            }
            KeyName::Tab if self.shift => {
                return KeyEvent::new(KeyCode::BackTab, m | KeyModifiers::SHIFT);
            }
            KeyName::Enter => KeyCode::Enter,
            KeyName::Esc => KeyCode::Esc,
            KeyName::Tab => KeyCode::Tab,
            KeyName::Backspace => KeyCode::Backspace,
            KeyName::Delete => KeyCode::Delete,
            KeyName::Insert => KeyCode::Insert,
            KeyName::Home => KeyCode::Home,
            KeyName::End => KeyCode::End,
            KeyName::PageUp => KeyCode::PageUp,
            KeyName::PageDown => KeyCode::PageDown,
            KeyName::Up => KeyCode::Up,
            KeyName::Down => KeyCode::Down,
            KeyName::Left => KeyCode::Left,
            KeyName::Right => KeyCode::Right,
            KeyName::F(n) => KeyCode::F(n),
        };
        if self.shift {
            m |= KeyModifiers::SHIFT;
        }
        KeyEvent::new(code, m)
    }

    /// Parse keymap syntax; the error says what was wrong.
    pub fn parse(text: &str) -> Result<Key, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("empty key".into());
        }
        // The last `+`-separated part is the key; `+` itself is a key (`+`, `ctrl++`).
        let (mods, key) = if t == "+" {
            ("", "+")
        } else if let Some(m) = t.strip_suffix("++") {
            (m, "+")
        } else {
            match t.rsplit_once('+') {
                Some((m, k)) => (m, k),
                None => ("", t),
            }
        };
        let (mut ctrl, mut alt, mut shift) = (false, false, false);
        if !mods.is_empty() {
            for m in mods.split('+') {
                match m.to_ascii_lowercase().as_str() {
                    "ctrl" | "control" => ctrl = true,
                    "alt" | "meta" | "option" => alt = true,
                    "shift" => shift = true,
                    "" => return Err("empty modifier (two + in a row?)".into()),
                    other => {
                        return Err(format!(
                            "unknown modifier {other:?} (ctrl, alt or shift expected)"
                        ));
                    }
                }
            }
        }
        let mut code = parse_name(key)?;
        // Terminals cannot tell ctrl+R from ctrl+r without a shift: read `ctrl+R` as
        // the key the admin can actually press.
        if let KeyName::Char(c) = code
            && (ctrl || alt)
            && !shift
            && c.is_ascii_uppercase()
        {
            code = KeyName::Char(c.to_ascii_lowercase());
        }
        if let KeyName::Char(c) = code
            && ctrl
            && let Some((same, byte)) = same_as_named(c)
        {
            return Err(format!(
                "a terminal sends ctrl+{} as {same} (both are byte {byte}), so the two cannot be \
                 told apart: bind \"{same}\" itself, or another key",
                c.to_ascii_lowercase()
            ));
        }
        if let KeyName::Char(c) = code
            && shift
            && !c.is_ascii_alphabetic()
            && c != ' '
        {
            return Err(format!(
                "shift+{c} cannot be typed as such: write the shifted character itself"
            ));
        }
        Ok(Key::new(code, ctrl, alt, shift))
    }

    /// Keys that tmux/screen prefixes, Windows Terminal, browser consoles or SSH
    /// clients often swallow: never the only binding of an action (ux.md).
    pub fn is_risky(&self) -> bool {
        self.alt
            || matches!(self.code, KeyName::F(_))
            || (self.ctrl
                && matches!(
                    self.code,
                    KeyName::Char('a') | KeyName::Char('b') | KeyName::Char(' ') | KeyName::Tab
                ))
    }
}

/// The named key a terminal sends for ctrl+`c` (legacy terminal input has one byte for
/// both), and that byte: ctrl+m is enter (13), ctrl+i is tab (9), ctrl+[ is esc (27).
pub fn same_as_named(c: char) -> Option<(&'static str, u8)> {
    match c.to_ascii_lowercase() {
        'm' => Some(("enter", 13)),
        'i' => Some(("tab", 9)),
        '[' => Some(("esc", 27)),
        _ => None,
    }
}

fn parse_name(key: &str) -> Result<KeyName, String> {
    let lower = key.to_ascii_lowercase();
    for (code, names) in NAMES {
        if names.contains(&lower.as_str()) {
            return Ok(*code);
        }
    }
    if let Some(n) = lower.strip_prefix('f')
        && !n.is_empty()
        && n.bytes().all(|b| b.is_ascii_digit())
    {
        return match n.parse::<u8>() {
            Ok(n @ 1..=24) => Ok(KeyName::F(n)),
            _ => Err(format!("{key:?}: function keys go from f1 to f24")),
        };
    }
    let mut chars = key.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if !c.is_control() => Ok(KeyName::Char(c)),
        _ => Err(format!("{key:?} is not a key name")),
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl+")?;
        }
        if self.alt {
            f.write_str("alt+")?;
        }
        if let KeyName::Char(c) = self.code
            && (self.ctrl || self.alt)
            && c.is_ascii_uppercase()
        {
            // `ctrl+shift+r` reads better than `ctrl+R` and parses back the same.
            return write!(f, "shift+{}", c.to_ascii_lowercase());
        }
        if self.shift {
            f.write_str("shift+")?;
        }
        match self.code {
            KeyName::F(n) => write!(f, "f{n}"),
            KeyName::Char(c) if c != ' ' => write!(f, "{c}"),
            code => {
                let name = NAMES
                    .iter()
                    .find(|(k, _)| *k == code)
                    .and_then(|(_, names)| names.first())
                    .copied()
                    .unwrap_or("?");
                f.write_str(name)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalises() -> Result<(), String> {
        assert_eq!(Key::parse("j")?, Key::char('j'));
        assert_eq!(Key::parse("shift+m")?, Key::char('M'));
        assert_eq!(Key::parse("M")?, Key::char('M'));
        assert_eq!(Key::parse("ctrl+r")?, Key::ctrl('r'));
        assert_eq!(Key::parse("Ctrl+R")?, Key::ctrl('r'));
        assert_eq!(
            Key::parse("ctrl+shift+r")?,
            Key::new(KeyName::Char('R'), true, false, false)
        );
        assert_eq!(Key::parse("space")?, Key::char(' '));
        assert_eq!(Key::parse("+")?, Key::char('+'));
        assert_eq!(Key::parse("ctrl++")?, Key::ctrl('+'));
        assert_eq!(Key::parse("PgDn")?, Key::named(KeyName::PageDown));
        assert_eq!(Key::parse("shift+tab")?.to_string(), "shift+tab");
        assert!(Key::parse("ctrl+").is_err());
        assert!(Key::parse("hyper+x").is_err());
        assert!(Key::parse("f99").is_err());
        assert!(Key::parse("jj").is_err());
        assert!(Key::parse("shift+?").is_err());
        Ok(())
    }

    #[test]
    fn terminal_variants_of_one_key_are_equal() {
        let plain = KeyEvent::new(KeyCode::Char('M'), KeyModifiers::NONE);
        let shifted = KeyEvent::new(KeyCode::Char('M'), KeyModifiers::SHIFT);
        let lower_shift = KeyEvent::new(KeyCode::Char('m'), KeyModifiers::SHIFT);
        let want = Some(Key::char('M'));
        assert_eq!(Key::from_event(&plain), want);
        assert_eq!(Key::from_event(&shifted), want);
        assert_eq!(Key::from_event(&lower_shift), want);
        let backtab = KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT);
        let tab_shift = KeyEvent::new(KeyCode::Tab, KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&backtab), Key::from_event(&tab_shift));
        let mut release = KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE);
        release.kind = KeyEventKind::Release;
        assert_eq!(Key::from_event(&release), None);
        let mut repeat = release;
        repeat.kind = KeyEventKind::Repeat;
        assert_eq!(Key::from_event(&repeat), Some(Key::char('j')));
    }

    /// Every key a binding can name: display then parse gives it back, and so does the
    /// terminal event it stands for.
    #[test]
    fn display_and_parse_round_trip_for_every_key() -> Result<(), String> {
        let mut codes: Vec<KeyName> = NAMES.iter().map(|(k, _)| *k).collect();
        codes.extend((1..=24).map(KeyName::F));
        codes.extend((0x21u8..0x7f).map(|b| KeyName::Char(b as char)));
        codes.extend(['é', 'ß', '€', '你'].map(KeyName::Char));
        let mut n = 0;
        for code in codes {
            for (ctrl, alt, shift) in [
                (false, false, false),
                (true, false, false),
                (false, true, false),
                (true, true, false),
                (false, false, true),
                (true, false, true),
            ] {
                let is_char = matches!(code, KeyName::Char(c) if c != ' ');
                if shift && is_char && !matches!(code, KeyName::Char(c) if c.is_ascii_alphabetic())
                {
                    continue; // not a key a keyboard makes; parse refuses it (tested above)
                }
                if ctrl && matches!(code, KeyName::Char(c) if same_as_named(c).is_some()) {
                    continue; // a key terminals cannot send: parse refuses it (tested below)
                }
                let key = Key::new(code, ctrl, alt, shift);
                let shown = key.to_string();
                assert_eq!(Key::parse(&shown)?, key, "{shown}");
                assert_eq!(Key::from_event(&key.to_event()), Some(key), "{shown}");
                n += 1;
            }
        }
        assert!(n > 600);
        Ok(())
    }

    #[test]
    fn keys_a_terminal_sends_as_enter_tab_or_esc_are_refused_with_the_reason() {
        for (k, same) in [
            ("ctrl+m", "enter"),
            ("ctrl+M", "enter"),
            ("ctrl+shift+m", "enter"),
            ("ctrl+i", "tab"),
            ("ctrl+alt+i", "tab"),
            ("ctrl+[", "esc"),
        ] {
            let err = Key::parse(k).err().unwrap_or_default();
            assert!(err.contains(&format!("as {same}")), "{k}: {err}");
            assert!(err.contains("cannot be told apart"), "{k}: {err}");
        }
        assert!(Key::parse("ctrl+n").is_ok());
        assert!(Key::parse("m").is_ok());
        assert!(Key::parse("alt+m").is_ok());
    }

    #[test]
    fn risky_keys() -> Result<(), String> {
        for k in ["ctrl+a", "ctrl+b", "ctrl+space", "alt+x", "f5", "ctrl+tab"] {
            assert!(Key::parse(k)?.is_risky(), "{k}");
        }
        for k in ["ctrl+r", "j", "?", "shift+tab", "esc"] {
            assert!(!Key::parse(k)?.is_risky(), "{k}");
        }
        Ok(())
    }
}
