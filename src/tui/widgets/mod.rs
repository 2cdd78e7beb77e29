//! Widgets the panes share: the virtual table, text input, command line, confirmation
//! dialog, popup menus, progress line, and text helpers (numbers with separators, cutting
//! with "…", wrapping). Widgets know no pane: they take plain data.

pub mod command_line;
pub mod confirm;
pub mod finding;
pub mod menu;
pub mod progress;
pub mod text_input;
pub mod virtual_table;

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

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
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// `12,345`.
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `text` word-wrapped to `width` cells (a word longer than a row is cut across rows);
/// at least one row.
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
    wrap_line(&Line::raw(text.to_string()), width, 0)
        .into_iter()
        .map(|l| l.to_string())
        .collect()
}

/// `line` wrapped to `width` cells, styles kept: rows break after the last space that
/// fits, else inside the word; rows after the first start with `indent` spaces. Nothing
/// is dropped.
pub fn wrap_line(line: &Line<'_>, width: usize, indent: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    let indent = if indent + 4 > width { 0 } else { indent };
    let cells: Vec<(char, Style)> = line
        .spans
        .iter()
        .flat_map(|s| {
            let style = line.style.patch(s.style);
            s.content.chars().map(move |c| (c, style))
        })
        .collect();
    let cw = |c: char| c.width().unwrap_or(0);
    let total: usize = cells.iter().map(|(c, _)| cw(*c)).sum();
    if total <= width {
        return vec![to_line(&cells, 0)];
    }
    let mut rows = Vec::new();
    let mut start = 0;
    let mut first = true;
    while start < cells.len() {
        let room = if first { width } else { width - indent };
        let mut w = 0;
        let mut end = start;
        let mut last_space = None;
        while end < cells.len() {
            let c = cells[end].0;
            if w + cw(c) > room {
                break;
            }
            if c == ' ' {
                last_space = Some(end);
            }
            w += cw(c);
            end += 1;
        }
        if end < cells.len() {
            // Break after the last space, unless the word it would move down does not
            // fit a whole row either (a SID, a path): then cut inside it.
            if let Some(sp) = last_space.filter(|&sp| sp > start) {
                let word: usize = cells[sp + 1..]
                    .iter()
                    .take_while(|(c, _)| *c != ' ')
                    .map(|(c, _)| cw(*c))
                    .sum();
                if word <= width - indent {
                    end = sp + 1;
                }
            }
            if end == start {
                end = start + 1; // a character wider than the row: never loop
            }
        }
        let mut cut = end;
        while end < cells.len() && cut > start && cells[cut - 1].0 == ' ' {
            cut -= 1; // trailing spaces at a break carry nothing
        }
        rows.push(to_line(&cells[start..cut], if first { 0 } else { indent }));
        start = end;
        // Leading spaces of a continuation row: the indent stands for them.
        while start < cells.len() && cells[start].0 == ' ' {
            start += 1;
        }
        first = false;
    }
    rows
}

fn to_line(cells: &[(char, Style)], indent: usize) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    if indent > 0 {
        spans.push(Span::raw(" ".repeat(indent)));
    }
    let mut cur = String::new();
    let mut style = None;
    for (c, s) in cells {
        if style.is_some_and(|st| st != *s) {
            spans.push(Span::styled(
                std::mem::take(&mut cur),
                style.unwrap_or_default(),
            ));
        }
        style = Some(*s);
        cur.push(*c);
    }
    if !cur.is_empty() {
        spans.push(Span::styled(cur, style.unwrap_or_default()));
    }
    Line::from(spans)
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

    #[test]
    fn wrapping_keeps_every_character_and_breaks_at_spaces() {
        let rows = super::wrap_words("the quick brown fox jumps", 10);
        assert_eq!(rows, ["the quick", "brown fox", "jumps"]);
        // A word longer than a row is cut across rows, nothing dropped.
        let sid = "S-1-5-21-1004336348-1177238915-682003330-1042";
        let rows = super::wrap_words(sid, 16);
        assert_eq!(rows.concat(), sid);
        assert!(rows.iter().all(|r| r.chars().count() <= 16));
        // Continuation rows take the indent.
        let line = ratatui::text::Line::raw("sid             S-1-5-21-1004336348-1177238915");
        let rows = super::wrap_line(&line, 30, 16);
        assert_eq!(rows.len(), 3, "{rows:?}");
        assert!(rows[1].to_string().starts_with(&" ".repeat(16)));
        assert_eq!(super::wrap_words("", 5), [""]);
    }
}
