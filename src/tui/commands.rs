//! Command mode (`:`): the commands, their parsing and completion candidates. A command
//! either runs an action (through the same availability check and confirmation as its
//! key) or carries an argument (`:group NAME`, `:export PATH`, `:sort KEY desc`).

use ratatui::text::Line;

use super::action::Action;
use super::panes::users::index::SortKey;
use super::theme::Theme;
use super::widgets::command_line;
use crate::graph::auth::Capability;

/// What a command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmd {
    Run(Action),
    Group(String),
    Export(Option<String>),
    /// A sort key (none: the next one) and whether descending.
    Sort(Option<SortKey>, bool),
    Rollback,
    /// Sign an admin in beside an app-only session (device code).
    SignIn,
    /// Ask Entra for the scopes of a capability the sign-in did not ask for.
    Consent(Capability),
    /// The footer's messages of this session, whole.
    Messages,
    /// The data file's row problems.
    Problems,
}

#[derive(Debug, Clone, Copy)]
pub struct CommandSpec {
    pub names: &'static [&'static str],
    pub arg: Option<&'static str>,
    pub description: &'static str,
    action: Option<Action>,
    /// Words the argument completes to.
    args: &'static [&'static str],
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
        args: &[],
    }
}

const fn with_arg(
    names: &'static [&'static str],
    arg: &'static str,
    description: &'static str,
    action: Option<Action>,
    args: &'static [&'static str],
) -> CommandSpec {
    CommandSpec {
        names,
        arg: Some(arg),
        description,
        action,
        args,
    }
}

const SORT_ARGS: &[&str] = &[
    "arrival",
    "upn",
    "status",
    "match",
    "arrival desc",
    "upn desc",
    "status desc",
    "match desc",
];

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
        "every write and tenant change (tab 6)",
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
    with_arg(&["group"], "NAME|ID", "pick the migration group", None, &[]),
    with_arg(
        &["export"],
        "[PATH]",
        "write the \"must re-register the app\" list (CSV)",
        Some(Action::Export),
        &[],
    ),
    with_arg(
        &["sort"],
        "[KEY] [desc]",
        "sort the users list: arrival, upn, status, match",
        Some(Action::Sort),
        SORT_ARGS,
    ),
    CommandSpec {
        names: &["signin"],
        arg: None,
        description: "sign an admin in beside an app-only session (device code)",
        action: None,
        args: &[],
    },
    with_arg(
        &["consent"],
        "rollout|federation",
        "ask Entra for the permissions of a capability",
        None,
        &["rollout", "federation"],
    ),
    CommandSpec {
        names: &["messages"],
        arg: None,
        description: "this session's messages, whole",
        action: None,
        args: &[],
    },
    CommandSpec {
        names: &["problems"],
        arg: None,
        description: "the data file's row problems",
        action: None,
        args: &[],
    },
    CommandSpec {
        names: &["rollback"],
        arg: None,
        description: "federation rollback (tab 4)",
        action: None,
        args: &[],
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

/// Whether the command `name` takes an argument (completion adds a space).
pub fn takes_arg(name: &str) -> bool {
    find(name).is_some_and(|c| c.arg.is_some())
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
        "sort" => parse_sort(arg),
        "consent" => match arg {
            "rollout" => Ok(Cmd::Consent(Capability::Rollout)),
            "federation" => Ok(Cmd::Consent(Capability::Federation)),
            other => Err(format!("consent {other:?}: expected rollout or federation")),
        },
        _ if !arg.is_empty() => Err(format!("{name} takes no argument (got {arg:?})")),
        "rollback" => Ok(Cmd::Rollback),
        "signin" => Ok(Cmd::SignIn),
        "messages" => Ok(Cmd::Messages),
        "problems" => Ok(Cmd::Problems),
        _ => spec
            .action
            .map(Cmd::Run)
            .ok_or_else(|| format!("{name}: nothing to run")),
    }
}

fn parse_sort(arg: &str) -> Result<Cmd, String> {
    let mut words = arg.split_whitespace();
    let (key, dir) = (words.next(), words.next());
    let bad = || format!("sort {arg:?}: expected arrival, upn, status or match, then asc or desc");
    if words.next().is_some() {
        return Err(bad());
    }
    let (key, dir) = match (key, dir) {
        (Some("desc" | "asc"), None) => (None, key),
        (k, d) => (k, d),
    };
    let key = match key {
        None => None,
        Some(k) => Some(SortKey::from_name(k).ok_or_else(bad)?),
    };
    let desc = match dir {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(bad()),
    };
    Ok(Cmd::Sort(key, desc))
}

/// Candidates for the word being typed: command names, or a command's arguments.
pub fn candidates(value: &str) -> Vec<String> {
    if let Some((name, rest)) = value.split_once(' ')
        && let Some(spec) = find(name)
    {
        let rest = rest.trim_start();
        return spec
            .args
            .iter()
            .filter(|a| a.starts_with(rest))
            .map(|a| format!("{name} {a}"))
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

/// The commands matching what is typed, one line each, for the list above the line.
pub fn list(value: &str, theme: &Theme) -> Vec<Line<'static>> {
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
            command_line::entry(&name, c.description, theme)
        })
        .collect()
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
        assert_eq!(parse("sort upn"), Ok(Cmd::Sort(Some(SortKey::Upn), false)));
        assert_eq!(
            parse("sort status desc"),
            Ok(Cmd::Sort(Some(SortKey::Status), true))
        );
        assert_eq!(parse("sort desc"), Ok(Cmd::Sort(None, true)));
        assert!(parse("sort size").is_err_and(|e| e.contains("arrival, upn")));
        assert!(parse("sort upn sideways").is_err());
        assert_eq!(parse("signin"), Ok(Cmd::SignIn));
        assert_eq!(
            parse("consent rollout"),
            Ok(Cmd::Consent(Capability::Rollout))
        );
        assert!(parse("consent mail").is_err());
        assert!(parse("group").is_err());
        assert!(parse("users now").is_err());
        assert!(parse("frobnicate").is_err_and(|e| e.contains("unknown command")));
    }

    #[test]
    fn candidates_of_names_and_arguments() {
        assert_eq!(candidates("se"), ["settings"]);
        assert_eq!(candidates("sort s"), ["sort status", "sort status desc"]);
        assert_eq!(candidates("consent f"), ["consent federation"]);
        assert!(candidates("group Wa").is_empty());
        assert!(takes_arg("group"));
        assert!(!takes_arg("users"));
    }

    #[test]
    fn every_bindable_action_without_a_key_has_a_command() {
        for a in [Action::ReadOnly, Action::ToggleHeader] {
            assert!(command_for(a).is_some(), "{a:?}");
        }
    }
}
