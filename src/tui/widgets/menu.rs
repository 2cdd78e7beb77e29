//! Popup lists: the actions menu (every action here with its key; unavailable ones greyed
//! *and* saying why — the selected one's reason in full under the list, wrapped), pickers,
//! and scrollable text (help, an entry shown whole).

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::virtual_table::Cursor;
use crate::tui::theme::Theme;

#[derive(Debug, Clone)]
pub struct MenuItem<T> {
    pub key: String,
    pub label: String,
    /// Why it cannot run now; `None` when it can.
    pub unavailable: Option<String>,
    pub value: T,
}

#[derive(Debug, Clone)]
pub struct Menu<T> {
    pub title: String,
    pub items: Vec<MenuItem<T>>,
    pub cursor: Cursor,
    /// Where it is drawn (set by `fit`).
    pub popup: Rect,
    /// The selected item's reason, wrapped to the popup (set by `fit`).
    why: Vec<String>,
}

/// The widest a menu popup gets.
const WIDTH: u16 = 76;

impl<T> Menu<T> {
    pub fn new(title: impl Into<String>, items: Vec<MenuItem<T>>) -> Menu<T> {
        let mut cursor = Cursor::default();
        cursor.set_len(items.len());
        Menu {
            title: title.into(),
            items,
            cursor,
            popup: Rect::default(),
            why: Vec::new(),
        }
    }

    pub fn selected(&self) -> Option<&MenuItem<T>> {
        self.items.get(self.cursor.selected)
    }

    /// Fit the popup to `area`: the list, and under it the selected item's reason whole.
    pub fn fit(&mut self, area: Rect) -> Rect {
        let width = WIDTH.min(area.width);
        let inner_w = width.saturating_sub(4).max(1) as usize;
        self.why = match self.selected().and_then(|i| i.unavailable.as_deref()) {
            Some(why) => super::wrap_words(&format!("✗ {why}"), inner_w),
            None => Vec::new(),
        };
        let why_rows = self.why.len() as u16;
        let want = self.items.len() as u16 + 2 + why_rows + u16::from(why_rows > 0);
        self.popup = centered(area, width, want);
        let list_rows = self
            .popup
            .height
            .saturating_sub(2 + why_rows + u16::from(why_rows > 0));
        self.cursor.set_height(list_rows.max(1) as usize);
        self.popup
    }

    /// Draw without changing state (the cursor was fitted by `fit`).
    pub fn draw(&self, frame: &mut Frame<'_>, theme: &Theme) {
        let popup = self.popup;
        frame.render_widget(Clear, popup);
        let mut block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border())
            .title(Span::styled(format!(" {} ", self.title), theme.title()));
        let below = self
            .items
            .len()
            .saturating_sub(self.cursor.offset + self.cursor.height);
        if below > 0 {
            block = block.title_bottom(Span::styled(format!(" ↓ {below} more "), theme.dim()));
        }
        let inner = block.inner(popup);
        frame.render_widget(block, popup);
        let kw = self
            .items
            .iter()
            .map(|i| i.key.chars().count())
            .max()
            .unwrap_or(0)
            .min(14);
        let row_w = inner.width as usize;
        let mut lines: Vec<Line<'_>> = self.items[self.cursor.window()]
            .iter()
            .enumerate()
            .map(|(n, item)| {
                let selected = self.cursor.offset + n == self.cursor.selected;
                let head = format!(" {:<kw$}  ", item.key);
                let used = head.chars().count() + item.label.chars().count();
                let mut spans = vec![
                    Span::styled(head, theme.key()),
                    Span::raw(item.label.clone()),
                ];
                if let Some(why) = &item.unavailable {
                    spans[1].style = theme.dim();
                    // Cut with "…": the whole reason is under the list when selected.
                    let room = row_w.saturating_sub(used + 1);
                    spans.push(Span::styled(
                        format!(" {}", super::truncate(&format!("✗ {why}"), room)),
                        theme.dim(),
                    ));
                }
                let line = Line::from(spans);
                if selected {
                    line.style(theme.selected())
                } else {
                    line
                }
            })
            .collect();
        if !self.why.is_empty() {
            let shown = lines.len();
            let pad = (self.cursor.height).saturating_sub(shown);
            lines.extend(std::iter::repeat_n(Line::raw(""), pad));
            lines.push(Line::styled("─".repeat(row_w), theme.border()));
            lines.extend(
                self.why
                    .iter()
                    .map(|l| Line::styled(l.clone(), theme.warn())),
            );
        }
        frame.render_widget(Paragraph::new(lines), inner);
        if !self.items.is_empty() {
            let y = inner.y + (self.cursor.selected - self.cursor.offset) as u16;
            if y < inner.bottom() {
                frame.set_cursor_position(Position::new(inner.x, y));
            }
        }
    }
}

/// Scrollable text in a popup (help).
#[derive(Debug, Clone)]
pub struct Scroll {
    pub title: String,
    pub lines: Vec<Line<'static>>,
    pub cursor: Cursor,
    /// The lines as given, before wrapping (`fit_wrapped`).
    source: Option<Vec<Line<'static>>>,
    wrapped_at: usize,
}

impl Scroll {
    pub fn new(title: impl Into<String>, lines: Vec<Line<'static>>) -> Scroll {
        let mut cursor = Cursor::default();
        cursor.set_len(lines.len());
        Scroll {
            title: title.into(),
            lines,
            cursor,
            source: None,
            wrapped_at: 0,
        }
    }

    /// Scrolling moves the view, not a selection: keep `selected` at the window's top.
    pub fn scroll(&mut self, to_offset: usize) {
        let max = self.lines.len().saturating_sub(self.cursor.height.max(1));
        self.cursor.offset = to_offset.min(max);
        self.cursor.selected = self.cursor.offset;
    }

    pub fn fit(&mut self, area: Rect) -> Rect {
        let popup = centered(area, 96, area.height);
        self.cursor.height = popup.height.saturating_sub(2) as usize;
        let off = self.cursor.offset;
        self.scroll(off);
        popup
    }

    /// Wrap long lines to the popup's width (text shown whole: nothing is cut), then fit.
    pub fn fit_wrapped(&mut self, area: Rect) -> Rect {
        let popup = centered(area, 96, area.height);
        let width = popup.width.saturating_sub(2).max(1) as usize;
        if self.wrapped_at != width {
            let source = self.source.get_or_insert_with(|| self.lines.clone());
            self.lines = source
                .iter()
                .flat_map(|l| super::wrap_line(l, width, hanging_indent(&l.to_string(), width)))
                .collect();
            self.wrapped_at = width;
            self.cursor.set_len(self.lines.len());
        }
        self.fit(area)
    }

    pub fn draw(&self, frame: &mut Frame<'_>, popup: Rect, theme: &Theme) {
        frame.render_widget(Clear, popup);
        let more = if self.cursor.offset + self.cursor.height < self.lines.len() {
            " ↓ more "
        } else {
            ""
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border())
            .title(Span::styled(format!(" {} ", self.title), theme.title()))
            .title_bottom(Span::styled(more, theme.dim()));
        let inner = block.inner(popup);
        frame.render_widget(block, popup);
        let end = (self.cursor.offset + inner.height as usize).min(self.lines.len());
        let start = self.cursor.offset.min(end);
        frame.render_widget(Paragraph::new(self.lines[start..end].to_vec()), inner);
    }
}

/// Where a wrapped line's continuation rows start: under the value of a `key   value`
/// line (after the first run of two or more spaces), else two past its own indent.
fn hanging_indent(text: &str, width: usize) -> usize {
    let lead = text.len() - text.trim_start().len();
    let rest = &text[lead..];
    let at = rest.find("  ").map(|gap| {
        let after = &rest[gap..];
        lead + gap + (after.len() - after.trim_start().len())
    });
    // Byte offsets to columns.
    let cols = |b: usize| text.get(..b).map_or(0, |s| s.chars().count());
    at.map(cols).unwrap_or(cols(lead) + 2).min(width / 2)
}

/// A rectangle of at most `w` x `h`, centred in `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let width = w.min(area.width);
    let height = h.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}
