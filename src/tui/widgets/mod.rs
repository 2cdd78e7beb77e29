//! Widgets the panes share: the virtual table, text input, command line, confirmation
//! dialog, popup menus, progress line.

pub mod command_line;
pub mod confirm;
pub mod menu;
pub mod progress;
pub mod text_input;
pub mod virtual_table;

use ratatui::text::{Line, Span};

/// One line from segments that each have a priority (0 = keep longest): the least
/// important segments are left out until the line fits `width`, order kept.
pub fn fit_line(segments: Vec<(u8, Vec<Span<'static>>)>, width: u16) -> Line<'static> {
    let w = |s: &Vec<Span<'static>>| s.iter().map(Span::width).sum::<usize>();
    let mut keep: Vec<bool> = vec![true; segments.len()];
    let mut total: usize = segments.iter().map(|(_, s)| w(s)).sum();
    let mut order: Vec<usize> = (0..segments.len()).collect();
    // Highest priority number first; among equals, the rightmost first.
    order.sort_by(|&a, &b| segments[b].0.cmp(&segments[a].0).then(b.cmp(&a)));
    for i in order {
        if total <= width as usize {
            break;
        }
        if segments[i].0 == 0 {
            continue;
        }
        keep[i] = false;
        total -= w(&segments[i].1);
    }
    Line::from(
        segments
            .into_iter()
            .zip(keep)
            .filter(|(_, k)| *k)
            .flat_map(|((_, s), _)| s)
            .collect::<Vec<_>>(),
    )
}

/// `1 user`, `2 users`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!(
        "{} {}",
        crate::tui::panes::thousands(n),
        if n == 1 { one } else { many }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_line_drops_least_important_first() {
        let seg = |p: u8, t: &'static str| (p, vec![Span::raw(t)]);
        let line = fit_line(vec![seg(0, "aaaa"), seg(2, "bbbb"), seg(1, "cccc")], 8);
        assert_eq!(line.to_string(), "aaaacccc");
        let line = fit_line(vec![seg(0, "aaaa"), seg(2, "bbbb"), seg(1, "cccc")], 12);
        assert_eq!(line.to_string(), "aaaabbbbcccc");
        assert_eq!(plural(1, "user", "users"), "1 user");
        assert_eq!(plural(1200, "user", "users"), "1,200 users");
    }
}

/// `s` cut to `width` terminal cells, with `…` when cut.
pub fn truncate(s: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let total: usize = s.chars().map(|c| c.width().unwrap_or(0)).sum();
    if total <= width {
        return s.to_string();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw + 1 > width {
            break;
        }
        out.push(c);
        w += cw;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// Rows `text` takes when word-wrapped at `width` (at least 1).
pub fn wrapped_rows(text: &str, width: usize) -> usize {
    use unicode_width::UnicodeWidthStr;
    if width == 0 {
        return 1;
    }
    let mut rows = 1;
    let mut col = 0;
    for word in text.split(' ') {
        let w = word.width();
        let need = if col == 0 { w } else { w + 1 };
        if col + need <= width {
            col += need;
        } else if w > width {
            rows += (col > 0) as usize + (w - 1) / width;
            col = w % width;
        } else {
            rows += 1;
            col = w;
        }
    }
    rows
}

#[cfg(test)]
mod text_tests {
    #[test]
    fn truncate_and_wrap() {
        assert_eq!(super::truncate("abcdef", 10), "abcdef");
        assert_eq!(super::truncate("abcdef", 4), "abc…");
        assert_eq!(super::wrapped_rows("aaa bbb ccc", 7), 2);
        assert_eq!(super::wrapped_rows("aaa bbb ccc", 11), 1);
        assert_eq!(super::wrapped_rows("", 5), 1);
    }
}
