//! The one place that makes untrusted text (anything read from a data file, an export,
//! Graph or a token) safe for where it is shown: a terminal, a CSV a spreadsheet will
//! open, or a Markdown report.
//!
//! A terminal obeys control sequences in what it prints: `ESC[2J` clears the screen,
//! `ESC]0;…BEL` retitles the window, `ESC]52;…` writes the clipboard. Bidirectional
//! overrides reorder what the admin reads. So every control character (C0, DEL, C1) and
//! every bidi control is shown as a visible escape (`\x1b`, `\u{202e}`) instead of being
//! sent. Printable text, including non-Latin scripts and emoji, passes unchanged.

use std::borrow::Cow;
use std::fmt;

/// Bidirectional formatting characters (Unicode's "Trojan Source" set): embeddings,
/// overrides, isolates, and the marks that flip neighbouring text.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn needs_escape(c: char, keep_newlines: bool) -> bool {
    if keep_newlines && (c == '\n' || c == '\t') {
        return false;
    }
    c.is_control() || is_bidi_control(c)
}

fn escape_into(out: &mut String, c: char) {
    use std::fmt::Write as _;
    let n = c as u32;
    let _ = if n < 0x80 {
        write!(out, "\\x{n:02x}")
    } else {
        write!(out, "\\u{{{n:x}}}")
    };
}

fn escaped(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    if !s.chars().any(|c| needs_escape(c, keep_newlines)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if needs_escape(c, keep_newlines) {
            escape_into(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One line of untrusted text for a terminal: every control character (line ends too)
/// and bidi control shown as an escape.
pub fn terminal(s: &str) -> Cow<'_, str> {
    escaped(s, false)
}

/// Untrusted text that may span lines (an error message, a claim rule): line ends and
/// tabs kept, every other control character escaped.
pub fn terminal_lines(s: &str) -> Cow<'_, str> {
    escaped(s, true)
}

/// Display adapter: `format!("{}", Safe(&name))` prints [`terminal`]`(name)`.
#[derive(Debug, Clone, Copy)]
pub struct Safe<'a>(pub &'a str);

impl fmt::Display for Safe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&terminal(self.0))
    }
}

/// Display adapter for text that may span lines ([`terminal_lines`]).
#[derive(Debug, Clone, Copy)]
pub struct SafeLines<'a>(pub &'a str);

impl fmt::Display for SafeLines<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&terminal_lines(self.0))
    }
}

/// A CSV cell a spreadsheet will not run: a leading `=`, `+`, `-`, `@`, tab or carriage
/// return (OWASP's CSV injection list) gets a `'` in front so the cell is text, and
/// control characters are escaped as for a terminal (CSV files get `cat`ed too). The
/// CSV writer still does the quoting.
pub fn csv_cell(s: &str) -> Cow<'_, str> {
    let formula = s
        .chars()
        .next()
        .is_some_and(|c| matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r'));
    let body = terminal(s);
    if formula {
        Cow::Owned(format!("'{body}"))
    } else {
        body
    }
}

/// Untrusted text inside a Markdown report (a table cell or a line): terminal-safe, on
/// one line, with Markdown's own syntax characters escaped so a name cannot become a
/// link, an image, HTML or a new table column.
pub fn markdown(s: &str) -> String {
    let one_line = terminal(s);
    let mut out = String::with_capacity(one_line.len() + 8);
    for c in one_line.chars() {
        if matches!(
            c,
            '\\' | '`'
                | '*'
                | '_'
                | '{'
                | '}'
                | '['
                | ']'
                | '<'
                | '>'
                | '('
                | ')'
                | '#'
                | '+'
                | '!'
                | '|'
                | '~'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_every_control_and_bidi_character() {
        assert_eq!(terminal("alice@contoso.com"), "alice@contoso.com");
        assert!(matches!(terminal("plain"), Cow::Borrowed(_)));
        assert_eq!(terminal("a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(terminal("\x1b]0;pwned\x07"), "\\x1b]0;pwned\\x07");
        assert_eq!(terminal("x\u{9b}31m"), "x\\u{9b}31m");
        assert_eq!(terminal("x\u{7f}"), "x\\x7f");
        assert_eq!(terminal("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(terminal("a\nb\tc"), "a\\x0ab\\x09c");
        assert_eq!(terminal("Zoë 山田 🙂"), "Zoë 山田 🙂");
    }

    #[test]
    fn lines_keep_line_ends_only() {
        assert_eq!(terminal_lines("a\nb\tc\x1b"), "a\nb\tc\\x1b");
        assert_eq!(format!("{}", SafeLines("x\r\ny")), "x\\x0d\ny");
        assert_eq!(format!("[{:<6}]", Safe("a\x07")), "[a\\x07 ]");
    }

    #[test]
    fn csv_cells_cannot_start_a_formula() {
        assert_eq!(
            csv_cell("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("+1 4255550100"), "'+1 4255550100");
        assert_eq!(csv_cell("-2"), "'-2");
        assert_eq!(csv_cell("\tx"), "'\\x09x");
        assert_eq!(csv_cell("iPhone"), "iPhone");
        assert_eq!(csv_cell("a\x1b[31m"), "a\\x1b[31m");
    }

    #[test]
    fn markdown_cannot_break_out_of_its_cell() {
        assert_eq!(markdown("a|b"), "a\\|b");
        assert_eq!(markdown("[x](http://evil)"), "\\[x\\]\\(http://evil\\)");
        assert_eq!(markdown("<script>"), "\\<script\\>");
        assert_eq!(markdown("line\nbreak"), "line\\\\x0abreak");
    }
}
