//! A cursor over a long list — selection and scroll offset — and the drawing of only
//! its visible window. Rows stay data elsewhere; this never sees more than a screenful.

use std::ops::Range;

use ratatui::Frame;
use ratatui::layout::{Constraint, Position, Rect};
use ratatui::style::Style;
use ratatui::widgets::{Row, Table, TableState};

/// Selection and scroll position in a list of `len` items shown `height` at a time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    pub selected: usize,
    pub offset: usize,
    pub height: usize,
    pub len: usize,
}

impl Cursor {
    pub fn set_len(&mut self, len: usize) {
        self.len = len;
        self.clamp();
    }

    pub fn set_height(&mut self, height: usize) {
        self.height = height;
        self.clamp();
    }

    fn clamp(&mut self) {
        if self.len == 0 {
            self.selected = 0;
            self.offset = 0;
            return;
        }
        self.selected = self.selected.min(self.len - 1);
        let h = self.height.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + h {
            self.offset = self.selected + 1 - h;
        }
        // No empty space below the last row when the list could fill the window.
        self.offset = self.offset.min(self.len.saturating_sub(h));
    }

    pub fn select(&mut self, i: usize) {
        self.selected = i;
        self.clamp();
    }

    pub fn up(&mut self, n: usize) {
        self.select(self.selected.saturating_sub(n));
    }

    pub fn down(&mut self, n: usize) {
        self.select(self.selected.saturating_add(n));
    }

    pub fn page_up(&mut self) {
        self.up(self.height.max(1));
    }

    pub fn page_down(&mut self) {
        self.down(self.height.max(1));
    }

    pub fn top(&mut self) {
        self.select(0);
    }

    pub fn bottom(&mut self) {
        self.select(self.len.saturating_sub(1));
    }

    pub fn at_bottom(&self) -> bool {
        self.len == 0 || self.selected + 1 >= self.len
    }

    /// Indices shown now.
    pub fn window(&self) -> Range<usize> {
        let end = (self.offset + self.height).min(self.len);
        self.offset.min(end)..end
    }
}

/// The rows of a window, already built, with their header and column widths.
pub struct Window<'a> {
    pub header: Row<'a>,
    pub rows: Vec<Row<'a>>,
    pub widths: &'a [u16],
}

/// Draw a window; the terminal cursor goes to the start of the selected row when the
/// table has the focus (screen readers follow it).
pub fn draw(
    frame: &mut Frame<'_>,
    area: Rect,
    window: Window<'_>,
    cursor: &Cursor,
    selected_style: Style,
    focused: bool,
) {
    if area.height == 0 {
        return;
    }
    let Window {
        header,
        rows,
        widths,
    } = window;
    let constraints: Vec<Constraint> = widths.iter().map(|w| Constraint::Length(*w)).collect();
    let selected = (cursor.len > 0).then(|| cursor.selected.saturating_sub(cursor.offset));
    let table = Table::new(rows, constraints)
        .header(header)
        .column_spacing(1)
        .row_highlight_style(selected_style);
    let mut state = TableState::default().with_selected(selected);
    frame.render_stateful_widget(table, area, &mut state);
    if focused && let Some(sel) = selected {
        let y = area.y + 1 + sel as u16;
        if y < area.bottom() {
            frame.set_cursor_position(Position::new(area.x, y));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_selection_in_view() {
        let mut c = Cursor::default();
        c.set_height(10);
        c.set_len(1000);
        c.down(15);
        assert_eq!((c.selected, c.offset), (15, 6));
        c.page_down();
        assert_eq!((c.selected, c.offset), (25, 16));
        c.bottom();
        assert_eq!((c.selected, c.offset), (999, 990));
        assert_eq!(c.window(), 990..1000);
        c.set_len(5);
        assert_eq!((c.selected, c.offset), (4, 0));
        c.top();
        c.up(3);
        assert_eq!((c.selected, c.offset), (0, 0));
        c.set_len(0);
        assert_eq!(c.window(), 0..0);
    }
}
