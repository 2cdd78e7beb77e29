//! Popup lists: the actions menu (every action here with its key; unavailable ones greyed
//! *and* saying why), the group picker, and scrollable text (help).

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
}

impl<T> Menu<T> {
    pub fn new(title: impl Into<String>, items: Vec<MenuItem<T>>) -> Menu<T> {
        let mut cursor = Cursor::default();
        cursor.set_len(items.len());
        Menu {
            title: title.into(),
            items,
            cursor,
        }
    }

    pub fn selected(&self) -> Option<&MenuItem<T>> {
        self.items.get(self.cursor.selected)
    }

    /// Draw without changing state (the cursor was fitted by `fit`).
    pub fn draw(&self, frame: &mut Frame<'_>, popup: Rect, theme: &Theme) {
        frame.render_widget(Clear, popup);
        let mut block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border())
            .title(Span::styled(format!(" {} ", self.title), theme.title()));
        // The selected entry's reason in full, whatever the width of its row.
        if let Some(why) = self.selected().and_then(|i| i.unavailable.as_deref()) {
            let text = super::truncate(
                &format!(" unavailable: {why} "),
                popup.width.saturating_sub(4) as usize,
            );
            block = block.title_bottom(Span::styled(text, theme.warn()));
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
        let lines: Vec<Line<'_>> = self.items[self.cursor.window()]
            .iter()
            .enumerate()
            .map(|(n, item)| {
                let selected = self.cursor.offset + n == self.cursor.selected;
                let mut spans = vec![
                    Span::styled(format!(" {:<kw$}  ", item.key), theme.key()),
                    Span::raw(item.label.clone()),
                ];
                if let Some(why) = &item.unavailable {
                    spans[1].style = theme.dim();
                    spans.push(Span::styled(format!(" ✗ {why}"), theme.dim()));
                }
                let line = Line::from(spans);
                if selected {
                    line.style(theme.selected())
                } else {
                    line
                }
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), inner);
        if !self.items.is_empty() {
            let y = inner.y + (self.cursor.selected - self.cursor.offset) as u16;
            if y < inner.bottom() {
                frame.set_cursor_position(Position::new(inner.x, y));
            }
        }
    }

    /// Fit the cursor to the popup this menu gets in `area`.
    pub fn fit(&mut self, area: Rect) -> Rect {
        let popup = centered(area, 76, self.items.len() as u16 + 2);
        self.cursor
            .set_height(popup.height.saturating_sub(2) as usize);
        popup
    }
}

/// Scrollable text in a popup (help).
#[derive(Debug, Clone)]
pub struct Scroll {
    pub title: String,
    pub lines: Vec<Line<'static>>,
    pub cursor: Cursor,
}

impl Scroll {
    pub fn new(title: impl Into<String>, lines: Vec<Line<'static>>) -> Scroll {
        let mut cursor = Cursor::default();
        cursor.set_len(lines.len());
        Scroll {
            title: title.into(),
            lines,
            cursor,
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
