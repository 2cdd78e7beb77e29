//! A one-line text field over `tui-input`: the filter, command mode, prompts and typed
//! confirmations. It takes raw keys (never actions), so every character can be typed.

use ratatui::Frame;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind};
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

/// What a key did to the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    Changed,
    /// Cursor moved, nothing else.
    Moved,
    Submit,
    Cancel,
    /// Tab: completion, where there is one.
    Complete,
    Ignored,
}

#[derive(Debug, Clone, Default)]
pub struct TextInput {
    input: Input,
}

impl TextInput {
    pub fn new(value: &str) -> TextInput {
        TextInput {
            input: Input::new(value.to_string()),
        }
    }

    pub fn value(&self) -> &str {
        self.input.value()
    }

    pub fn set(&mut self, value: &str) {
        self.input = Input::new(value.to_string());
    }

    pub fn handle(&mut self, key: &KeyEvent) -> Edit {
        if key.kind == KeyEventKind::Release {
            return Edit::Ignored;
        }
        match key.code {
            KeyCode::Enter => return Edit::Submit,
            KeyCode::Esc => return Edit::Cancel,
            KeyCode::Tab | KeyCode::BackTab => return Edit::Complete,
            _ => {}
        }
        match self.input.handle_event(&Event::Key(*key)) {
            Some(change) if change.value => Edit::Changed,
            Some(_) => Edit::Moved,
            None => Edit::Ignored,
        }
    }

    /// Draw `prefix` then the text, scrolled so the cursor stays visible; the terminal
    /// cursor goes where typing lands.
    pub fn render(
        &self,
        frame: &mut Frame<'_>,
        area: Rect,
        prefix: &str,
        prefix_style: Style,
        focused: bool,
    ) {
        if area.width == 0 || area.height == 0 {
            return;
        }
        let pw = prefix.chars().count() as u16;
        let width = area.width.saturating_sub(pw + 1) as usize;
        let scroll = self.input.visual_scroll(width);
        let shown: String = self
            .input
            .value()
            .chars()
            .skip(scroll)
            .take(width)
            .collect();
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled(prefix.to_string(), prefix_style),
                Span::raw(shown),
            ])),
            area,
        );
        if focused {
            let x = area.x + pw + (self.input.visual_cursor().saturating_sub(scroll)) as u16;
            frame.set_cursor_position(Position::new(x.min(area.right().saturating_sub(1)), area.y));
        }
    }
}
