//! The confirmation dialog of ux.md's tiers: tier 1 shows the summary and starts with
//! the focus on Cancel; tiers 2 and 3 also need the count, group or domain typed before
//! the confirm button works. What confirming runs is data — the effects (requests,
//! already stamped) decided when the dialog opened — so the dialog cannot be talked into
//! something else, and it knows nothing of what they mean.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::text_input::TextInput;
use crate::confirm_tier::{Ask, Tier};
use crate::tui::action::Action;
use crate::tui::effect::Effect;
use crate::tui::theme::Theme;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Cancel,
    Confirm,
}

#[derive(Debug, Clone)]
pub struct Confirm {
    pub title: String,
    pub tier: Tier,
    pub lines: Vec<Line<'static>>,
    /// Tiers 2–3: the text to type.
    pub typed: Option<String>,
    pub input: TextInput,
    pub focus: Focus,
    pub confirm_label: String,
    /// Asked again on confirm: the dialog may have stayed open while things changed.
    pub recheck: Option<Action>,
    /// What confirming carries out.
    pub on_confirm: Vec<Effect>,
}

impl Confirm {
    pub fn new(
        title: impl Into<String>,
        ask: Ask,
        lines: Vec<Line<'static>>,
        confirm_label: impl Into<String>,
        on_confirm: Vec<Effect>,
    ) -> Confirm {
        Confirm {
            title: title.into(),
            tier: ask.tier,
            lines,
            typed: ask.type_text,
            input: TextInput::default(),
            focus: Focus::Cancel,
            confirm_label: confirm_label.into(),
            recheck: None,
            on_confirm,
        }
    }

    /// Check `action`'s availability again when confirmed.
    pub fn recheck(mut self, action: Action) -> Confirm {
        self.recheck = Some(action);
        self
    }

    /// The confirm button works: nothing to type, or typed exactly.
    pub fn armed(&self) -> bool {
        match &self.typed {
            None => true,
            Some(t) => self.input.value().trim() == t,
        }
    }

    pub fn toggle_focus(&mut self) {
        self.focus = match self.focus {
            Focus::Cancel => Focus::Confirm,
            Focus::Confirm => Focus::Cancel,
        };
    }

    pub fn render(&self, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
        let width = area.width.min(72);
        let typed_rows = if self.typed.is_some() { 3 } else { 0 };
        let inner_w = width.saturating_sub(4).max(1);
        // Rows: borders 2, text, the typed field, a blank and the buttons.
        let text_rows: u16 = self
            .lines
            .iter()
            .map(|l| super::wrapped_rows(&l.to_string(), inner_w as usize) as u16)
            .sum();
        let height = (text_rows + typed_rows + 4).min(area.height);
        let popup = Rect {
            x: area.x + (area.width - width) / 2,
            y: area.y + (area.height - height) / 2,
            width,
            height,
        };
        frame.render_widget(Clear, popup);
        let title = format!(" {} · tier {} ", self.title, self.tier.number());
        let block = Block::default()
            .borders(Borders::ALL)
            .title(Span::styled(title, theme.title()))
            .border_style(if self.tier >= Tier::Two {
                theme.warn()
            } else {
                theme.border()
            });
        let inner = block.inner(popup);
        frame.render_widget(block, popup);
        let inner = Rect {
            x: inner.x + 1,
            width: inner.width.saturating_sub(2),
            ..inner
        };
        let [body, typed, buttons] = Layout::vertical([
            Constraint::Min(1),
            Constraint::Length(typed_rows),
            Constraint::Length(2),
        ])
        .areas(inner);
        frame.render_widget(
            Paragraph::new(self.lines.clone()).wrap(Wrap { trim: false }),
            body,
        );
        if let Some(t) = &self.typed {
            let [label, field, _] = Layout::vertical([Constraint::Length(1); 3]).areas(typed);
            frame.render_widget(
                Paragraph::new(Line::from(vec![
                    Span::raw("Type "),
                    Span::styled(t.clone(), theme.key()),
                    Span::raw(" to enable the button:"),
                ])),
                label,
            );
            self.input.render(frame, field, "> ", theme.key(), true);
        }
        let armed = self.armed();
        let confirm = if armed {
            format!("[ {} ]", self.confirm_label)
        } else {
            format!("[ {} (type first) ]", self.confirm_label)
        };
        let line = Line::from(vec![
            Span::styled(
                "[ Cancel ]",
                theme.button(self.focus == Focus::Cancel, true),
            ),
            Span::raw("   "),
            Span::styled(confirm, theme.button(self.focus == Focus::Confirm, armed)),
        ]);
        let [_, row] =
            Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(buttons);
        frame.render_widget(Paragraph::new(line), row);
        // The terminal cursor sits on the focused button (the typed field has it
        // while there is something to type).
        if self.typed.is_none() || self.armed() {
            let x = match self.focus {
                Focus::Cancel => row.x,
                Focus::Confirm => row.x + 13,
            };
            frame.set_cursor_position((x.min(row.right().saturating_sub(1)), row.y));
        }
    }
}
