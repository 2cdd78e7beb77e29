//! A command line (`:`): the text field, Tab completion over the candidates the caller
//! gives, and a list of matching commands drawn above it that says when more exist. What
//! the commands are and mean lives in `tui::commands`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::text_input::TextInput;
use crate::tui::theme::Theme;

/// Lines of the list above the command line at most (one more says how many are left).
pub const LIST_ROWS: usize = 8;

/// The command line being typed, with completion state.
#[derive(Debug, Clone, Default)]
pub struct CommandLine {
    pub input: TextInput,
    /// Candidates being cycled by repeated Tab, and the position.
    cycle: Option<(Vec<String>, usize)>,
}

fn common_prefix(items: &[String]) -> String {
    let Some(first) = items.first() else {
        return String::new();
    };
    let mut end = first.len();
    for s in &items[1..] {
        end = end.min(
            first
                .char_indices()
                .zip(s.chars())
                .take_while(|((_, a), b)| a == b)
                .last()
                .map(|((i, c), _)| i + c.len_utf8())
                .unwrap_or(0),
        );
    }
    first[..end].to_string()
}

impl CommandLine {
    pub fn new(value: &str) -> CommandLine {
        CommandLine {
            input: TextInput::new(value),
            cycle: None,
        }
    }

    pub fn edited(&mut self) {
        self.cycle = None;
    }

    /// Tab: complete the unique candidate (with a space after it when `takes_arg` says
    /// it takes one), else the common prefix, else cycle through the candidates.
    pub fn complete(&mut self, candidates: Vec<String>, takes_arg: impl Fn(&str) -> bool) {
        if let Some((items, pos)) = &mut self.cycle {
            *pos = (*pos + 1) % items.len().max(1);
            if let Some(v) = items.get(*pos) {
                let v = v.clone();
                self.input.set(&v);
            }
            return;
        }
        let value = self.input.value().to_string();
        match candidates.as_slice() {
            [] => {}
            [one] => {
                let v = if takes_arg(one) {
                    format!("{one} ")
                } else {
                    one.clone()
                };
                self.input.set(&v);
            }
            many => {
                let prefix = common_prefix(many);
                if prefix.len() > value.len() {
                    self.input.set(&prefix);
                } else {
                    let first = many[0].clone();
                    self.input.set(&first);
                    self.cycle = Some((many.to_vec(), 0));
                }
            }
        }
    }

    /// The line at `area` and `list` just above it: at most [`LIST_ROWS`] lines, and a
    /// last line saying how many more match when some are left out.
    pub fn render(
        &self,
        frame: &mut Frame<'_>,
        area: Rect,
        above: Rect,
        list: Vec<Line<'static>>,
        theme: &Theme,
    ) {
        let mut list = list;
        let rows = LIST_ROWS.min(above.height as usize);
        if list.len() > rows && rows > 0 {
            let more = list.len() - (rows - 1);
            list.truncate(rows - 1);
            list.push(Line::styled(
                format!(" … {more} more: keep typing, tab completes"),
                theme.dim(),
            ));
        }
        let h = list.len().min(rows) as u16;
        if h > 0 {
            let popup = Rect {
                y: above.bottom() - h,
                height: h,
                ..above
            };
            frame.render_widget(Clear, popup);
            frame.render_widget(Paragraph::new(list).style(theme.base()), popup);
        }
        self.input.render(frame, area, ":", theme.key(), true);
    }
}

/// One entry of a command list: the names (and argument) then the description.
pub fn entry(names: &str, description: &str, theme: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!(" :{names:<30}"), theme.key()),
        Span::raw(description.to_string()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn tab_completes_unique_then_common_prefix_then_cycles() {
        let mut c = CommandLine::new("se");
        c.complete(names(&["settings"]), |_| false);
        assert_eq!(c.input.value(), "settings");
        let mut c = CommandLine::new("gr");
        c.complete(names(&["group"]), |n| n == "group");
        assert_eq!(c.input.value(), "group ");
        let mut c = CommandLine::new("re");
        c.complete(names(&["retry", "readonly", "refresh"]), |_| false);
        assert_eq!(c.input.value(), "retry");
        c.complete(Vec::new(), |_| false);
        assert_eq!(c.input.value(), "readonly");
    }
}
