//! Command mode (`:`): the commands, their parsing, and Tab completion. A command either
//! runs an action (through the same availability check and confirmation as its key) or
//! carries an argument (`:group NAME`, `:export PATH`, `:sort KEY`).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::text_input::TextInput;
use crate::tui::action::Action;
use crate::tui::panes::users::index::SortKey;
use crate::tui::theme::Theme;

/// What a command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmd {
    Run(Action),
    Group(String),
    Export(Option<String>),
    Sort(Option<SortKey>),
    Rollback,
}

#[derive(Debug, Clone, Copy)]
pub struct CommandSpec {
    pub names: &'static [&'static str],
    pub arg: Option<&'static str>,
    pub description: &'static str,
    action: Option<Action>,
}

const fn run(
    names: &'static [&'static str],
    action: Action,
    description: &'static str,
) -> CommandSpec {
    CommandSpec {
        names,
        arg: None,
        description,
        action: Some(action),
    }
}

pub const COMMANDS: &[CommandSpec] = &[
    run(
        &["users"],
        Action::TabUsers,
        "users of the migration group (tab 2)",
    ),
    run(
        &["checklist", "check"],
        Action::TabChecklist,
        "cutover checklist (tab 1)",
    ),
    run(&["rollout"], Action::TabRollout, "Staged Rollout (tab 3)"),
    run(
        &["federation", "fed"],
        Action::TabFederation,
        "federation (tab 4)",
    ),
    run(
        &["dependencies", "deps"],
        Action::TabDependencies,
        "MFA Server dependencies (tab 5)",
    ),
    run(
        &["journal"],
        Action::TabJournal,
        "journal and audit log (tab 6)",
    ),
    run(
        &["activity", "log"],
        Action::ActivityLog,
        "every Graph call",
    ),
    run(&["settings"], Action::Settings, "migration settings"),
    run(&["help"], Action::Help, "keys, glossary, log file"),
    run(
        &["plan"],
        Action::Plan,
        "dry run for marked users, or the group",
    ),
    run(
        &["migrate"],
        Action::Migrate,
        "migrate marked users, or the group (asks first)",
    ),
    run(
        &["retry"],
        Action::RetryFailed,
        "retry failed users (asks first)",
    ),
    run(&["cancel"], Action::CancelRun, "stop queued work"),
    run(
        &["sync"],
        Action::AutoSync,
        "automatic sync on/off (asks first)",
    ),
    run(
        &["unchanged"],
        Action::IncludeUnchanged,
        "include unchanged users on/off",
    ),
    run(&["readonly"], Action::ReadOnly, "READ-ONLY on/off"),
    run(&["header"], Action::ToggleHeader, "show or hide the header"),
    run(&["refresh"], Action::Refresh, "reload from the tenant"),
    CommandSpec {
        names: &["group"],
        arg: Some("NAME|ID"),
        description: "pick the migration group",
        action: None,
    },
    CommandSpec {
        names: &["export"],
        arg: Some("[PATH]"),
        description: "write the \"must re-register the app\" list (CSV)",
        action: Some(Action::Export),
    },
    CommandSpec {
        names: &["sort"],
        arg: Some("[arrival|upn|status|match]"),
        description: "sort the users list",
        action: Some(Action::Sort),
    },
    CommandSpec {
        names: &["rollback"],
        arg: None,
        description: "federation rollback (tab 4)",
        action: None,
    },
    run(
        &["quit", "q"],
        Action::Quit,
        "quit (asks while writes are in flight)",
    ),
    run(&["q!"], Action::ForceQuit, "quit now"),
];

/// The command that runs `action` without arguments, for hints of unbound actions.
pub fn command_for(action: Action) -> Option<&'static str> {
    COMMANDS
        .iter()
        .find(|c| c.action == Some(action))
        .and_then(|c| c.names.first().copied())
}

fn find(name: &str) -> Option<&'static CommandSpec> {
    COMMANDS.iter().find(|c| c.names.contains(&name))
}

/// Parse a command line (without the `:`); the error says what was expected.
pub fn parse(line: &str) -> Result<Cmd, String> {
    let line = line.trim();
    let (name, arg) = match line.split_once(char::is_whitespace) {
        Some((n, a)) => (n, a.trim()),
        None => (line, ""),
    };
    let Some(spec) = find(name) else {
        return Err(format!(
            "unknown command {name:?}: expected one of {}",
            COMMANDS
                .iter()
                .map(|c| c.names[0])
                .collect::<Vec<_>>()
                .join(", ")
        ));
    };
    match spec.names[0] {
        "group" if arg.is_empty() => Err("group: expected a group name or object id".into()),
        "group" => Ok(Cmd::Group(arg.to_string())),
        "export" => Ok(Cmd::Export((!arg.is_empty()).then(|| arg.to_string()))),
        "sort" if arg.is_empty() => Ok(Cmd::Sort(None)),
        "sort" => SortKey::from_name(arg)
            .map(|k| Cmd::Sort(Some(k)))
            .ok_or_else(|| format!("sort {arg:?}: expected arrival, upn, status or match")),
        "rollback" => Ok(Cmd::Rollback),
        _ if !arg.is_empty() => Err(format!("{name} takes no argument (got {arg:?})")),
        _ => spec
            .action
            .map(Cmd::Run)
            .ok_or_else(|| format!("{name}: nothing to run")),
    }
}

/// Candidates for the word being typed: command names, or sort keys after `sort `.
fn candidates(value: &str) -> Vec<String> {
    if let Some(rest) = value.strip_prefix("sort ") {
        return SortKey::ALL
            .iter()
            .map(|k| k.name())
            .filter(|n| n.starts_with(rest.trim_start()))
            .map(|n| format!("sort {n}"))
            .collect();
    }
    if value.contains(char::is_whitespace) {
        return Vec::new();
    }
    COMMANDS
        .iter()
        .flat_map(|c| c.names.iter())
        .filter(|n| n.starts_with(value))
        .map(|n| n.to_string())
        .collect()
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

/// The command line being typed, with completion state.
#[derive(Debug, Clone, Default)]
pub struct CommandLine {
    pub input: TextInput,
    /// Candidates being cycled by repeated Tab, and the position.
    cycle: Option<(Vec<String>, usize)>,
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

    /// Tab: complete the unique candidate, else the common prefix, else cycle.
    pub fn complete(&mut self) {
        if let Some((items, pos)) = &mut self.cycle {
            *pos = (*pos + 1) % items.len().max(1);
            if let Some(v) = items.get(*pos) {
                let v = v.clone();
                self.input.set(&v);
            }
            return;
        }
        let value = self.input.value().to_string();
        let items = candidates(&value);
        match items.as_slice() {
            [] => {}
            [one] => {
                let takes_arg = find(one).is_some_and(|c| c.arg.is_some());
                let v = if takes_arg {
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

    /// Lines of the completion list for the text typed so far.
    fn hints(&self, theme: &Theme) -> Vec<Line<'static>> {
        let value = self.input.value();
        let word = value.split_whitespace().next().unwrap_or("");
        let typed_arg = value.contains(char::is_whitespace);
        COMMANDS
            .iter()
            .filter(|c| {
                if typed_arg {
                    c.names.contains(&word)
                } else {
                    c.names.iter().any(|n| n.starts_with(word))
                }
            })
            .map(|c| {
                let mut name = c.names.join("|");
                if let Some(a) = c.arg {
                    name.push(' ');
                    name.push_str(a);
                }
                Line::from(vec![
                    Span::styled(format!(" :{name:<30}"), theme.key()),
                    Span::raw(c.description),
                ])
            })
            .collect()
    }

    /// The line at `area` and the completion list just above it.
    pub fn render(&self, frame: &mut Frame<'_>, area: Rect, above: Rect, theme: &Theme) {
        let hints = self.hints(theme);
        let h = (hints.len() as u16).min(8).min(above.height);
        if h > 0 {
            let popup = Rect {
                y: above.bottom() - h,
                height: h,
                ..above
            };
            frame.render_widget(Clear, popup);
            frame.render_widget(Paragraph::new(hints).style(theme.base()), popup);
        }
        self.input.render(frame, area, ":", theme.key(), true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_and_arguments() {
        assert_eq!(parse("users"), Ok(Cmd::Run(Action::TabUsers)));
        assert_eq!(parse("fed"), Ok(Cmd::Run(Action::TabFederation)));
        assert_eq!(parse("q"), Ok(Cmd::Run(Action::Quit)));
        assert_eq!(
            parse("group MFA Wave 1"),
            Ok(Cmd::Group("MFA Wave 1".into()))
        );
        assert_eq!(
            parse("export /tmp/x.csv"),
            Ok(Cmd::Export(Some("/tmp/x.csv".into())))
        );
        assert_eq!(parse("export"), Ok(Cmd::Export(None)));
        assert_eq!(parse("sort upn"), Ok(Cmd::Sort(Some(SortKey::Upn))));
        assert!(parse("sort size").is_err_and(|e| e.contains("arrival, upn")));
        assert!(parse("group").is_err());
        assert!(parse("users now").is_err());
        assert!(parse("frobnicate").is_err_and(|e| e.contains("unknown command")));
    }

    #[test]
    fn tab_completes_unique_then_common_prefix_then_cycles() {
        let mut c = CommandLine::new("se");
        c.complete();
        assert_eq!(c.input.value(), "settings");
        let mut c = CommandLine::new("gr");
        c.complete();
        assert_eq!(c.input.value(), "group ");
        let mut c = CommandLine::new("re");
        c.complete(); // readonly, refresh, retry: nothing in common beyond "re"
        assert_eq!(c.input.value(), "retry");
        c.complete();
        assert_eq!(c.input.value(), "readonly");
        let mut c = CommandLine::new("sort s");
        c.complete();
        assert_eq!(c.input.value(), "sort status");
    }

    #[test]
    fn every_bindable_action_without_a_key_has_a_command() {
        for a in [Action::ReadOnly, Action::ToggleHeader] {
            assert!(command_for(a).is_some(), "{a:?}");
        }
    }
}
