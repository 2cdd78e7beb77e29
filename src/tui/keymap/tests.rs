//! Keymap tests: the shipped maps parse and are complete; overrides merge per action;
//! every problem kind is reported with file, line, value and what was expected.

use super::*;

fn layers(user: &str) -> Vec<Layer> {
    let (_, text) = BUILTIN[0];
    vec![
        Layer {
            file: "default.toml".into(),
            text: text.to_string(),
        },
        Layer {
            file: "user.toml".into(),
            text: user.to_string(),
        },
    ]
}

fn problems(user: &str) -> Vec<KeymapProblem> {
    match Keymap::from_layers(&layers(user)) {
        Ok(_) => Vec::new(),
        Err(p) => p,
    }
}

fn one(user: &str, kind: ProblemKind) -> KeymapProblem {
    let ps = problems(user);
    assert_eq!(ps.len(), 1, "{ps:#?}");
    let Some(p) = ps.into_iter().next() else {
        panic!("no problem reported")
    };
    assert_eq!(p.kind, kind, "{p}");
    p
}

#[test]
fn shipped_keymaps_parse_and_bind_every_action_that_has_a_default() {
    for (name, _) in BUILTIN {
        let km = Keymap::builtin(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        for info in super::super::action::ACTIONS {
            // toggle_header and read_only live in command mode only.
            if matches!(info.action, Action::ToggleHeader | Action::ReadOnly) {
                continue;
            }
            let ctx = info.contexts[0];
            assert!(
                !km.keys(&[ctx], info.action).is_empty(),
                "{name}: {} has no key in [{}]",
                info.name,
                ctx.name()
            );
        }
    }
}

#[test]
fn arrows_keymap_has_no_vim_movement() -> Result<(), KeymapError> {
    let km = Keymap::builtin("arrows")?;
    let nav = Context::Navigation.stack();
    assert_eq!(km.action(nav, Key::char('j')), None);
    assert_eq!(
        km.action(nav, Key::named(KeyName::Down)),
        Some(Action::MoveDown)
    );
    Ok(())
}

#[test]
fn overrides_merge_per_action_and_empty_list_unbinds() -> Result<(), Vec<KeymapProblem>> {
    let km = Keymap::from_layers(&layers(
        "[users]\nmark = [\"m\"]\n[navigation]\nfilter = []\n",
    ))?;
    let users = Context::Users.stack();
    assert_eq!(km.action(users, Key::char('m')), Some(Action::Mark));
    // The old key of `mark` is gone; other users actions keep their defaults.
    assert_eq!(km.action(users, Key::char(' ')), None);
    assert_eq!(km.action(users, Key::char('a')), Some(Action::MarkAll));
    assert_eq!(km.action(users, Key::char('/')), None);
    assert_eq!(km.describe(users, Action::Filter), None);
    assert_eq!(km.sources, ["default.toml", "user.toml"]);
    Ok(())
}

#[test]
fn syntax_error_names_the_line() {
    let p = one("[users]\nmark = [\"m\"\n", ProblemKind::Syntax);
    assert_eq!(p.origin.file, "user.toml");
    assert_eq!(p.origin.line, 2);
    assert!(p.to_string().starts_with("user.toml:2:"), "{p}");
}

#[test]
fn unknown_table_lists_the_tables() {
    let p = one("\n[userz]\nmark = [\"m\"]\n", ProblemKind::UnknownContext);
    assert_eq!(p.origin.line, 2);
    assert_eq!(p.value, "userz");
    assert!(p.expected.contains("users"), "{p}");
}

#[test]
fn table_that_is_not_a_table() {
    let p = one("users = 3\n", ProblemKind::NotATable);
    assert_eq!(p.origin.line, 1);
}

#[test]
fn unknown_action_lists_the_actions_of_its_table() {
    let p = one(
        "[users]\n\nmigrate_all = [\"Z\"]\n",
        ProblemKind::UnknownAction,
    );
    assert_eq!(p.origin.line, 3);
    assert_eq!(p.value, "migrate_all");
    assert!(p.expected.contains("migrate"), "{p}");
    assert!(p.expected.contains("[users]"), "{p}");
}

#[test]
fn action_in_the_wrong_table_says_where_it_belongs() {
    let p = one("[global]\nmark = [\"m\"]\n", ProblemKind::WrongContext);
    assert!(p.expected.contains("`mark` in [users]"), "{p}");
}

#[test]
fn value_that_is_not_a_list_of_keys() {
    let p = one("[users]\nmark = 3\n", ProblemKind::NotAList);
    assert_eq!(p.value, "3");
    assert!(p.expected.contains("[\"j\", \"down\"]"), "{p}");
    let p = one("[users]\nmark = [\"m\", 4]\n", ProblemKind::NotAList);
    assert_eq!(p.origin.line, 2);
}

#[test]
fn a_single_string_is_one_key() -> Result<(), Vec<KeymapProblem>> {
    let km = Keymap::from_layers(&layers("[users]\nmark = \"m\"\n"))?;
    assert_eq!(
        km.action(Context::Users.stack(), Key::char('m')),
        Some(Action::Mark)
    );
    Ok(())
}

#[test]
fn unparseable_key_quotes_it_and_shows_the_syntax() {
    let p = one(
        "[users]\nmark = [\"m\",\n  \"hyper+m\"]\n",
        ProblemKind::BadKey,
    );
    assert_eq!(p.origin.line, 3);
    assert_eq!(p.value, "hyper+m");
    assert!(p.expected.contains("ctrl+r"), "{p}");
    assert!(p.expected.contains("unknown modifier"), "{p}");
}

#[test]
fn a_binding_a_terminal_cannot_send_is_refused_with_the_reason() {
    // ctrl+m reaches the app as enter: bound to mark, it would never mark.
    let p = one("[users]\nmark = [\"ctrl+m\"]\n", ProblemKind::BadKey);
    assert_eq!((p.origin.file.as_str(), p.origin.line), ("user.toml", 2));
    assert_eq!(p.value, "ctrl+m");
    assert!(p.expected.contains("sends ctrl+m as enter"), "{p}");
    let ps = problems("[users]\nmark = [\"ctrl+i\"]\nsort = [\"ctrl+[\"]\n");
    assert_eq!(ps.len(), 2, "{ps:#?}");
    assert!(ps[0].expected.contains("as tab"), "{}", ps[0]);
    assert!(ps[1].expected.contains("as esc"), "{}", ps[1]);
}

#[test]
fn conflict_is_reported_at_the_users_line_naming_both_actions() {
    // `a` is mark_all by default; binding it to mark too is ambiguous.
    let p = one("[users]\nmark = [\"a\"]\n", ProblemKind::Conflict);
    assert_eq!(p.origin.file, "user.toml");
    assert_eq!(p.origin.line, 2);
    assert_eq!(p.value, "a");
    assert!(p.expected.contains("`mark`"), "{p}");
    assert!(p.expected.contains("`mark_all`"), "{p}");
    assert!(p.expected.contains("default.toml:"), "{p}");
}

#[test]
fn conflict_across_live_contexts_but_not_across_modal_ones() {
    // `q` quits (global); binding it in [users] shadows quit while the list is shown.
    let p = one("[users]\nsort = [\"q\"]\n", ProblemKind::Conflict);
    assert!(p.expected.contains("`quit`"), "{p}");
    // `esc` closes menus and cancels dialogs: they never run together.
    assert!(problems("[dialog]\ndialog_cancel = [\"esc\", \"q\"]\n").is_empty());
}

#[test]
fn risky_only_bindings_are_refused() {
    let p = one("[global]\nhelp = [\"f1\"]\n", ProblemKind::RiskyOnly);
    assert!(p.expected.contains("tmux"), "{p}");
    assert!(problems("[global]\nhelp = [\"f1\", \"?\"]\n").is_empty());
}

#[test]
fn every_problem_is_reported_not_just_the_first() {
    let ps = problems("[users]\nmark = [\"hyper+m\"]\nfrobnicate = [\"z\"]\n[nope]\n");
    let kinds: Vec<ProblemKind> = ps.iter().map(|p| p.kind).collect();
    assert!(kinds.contains(&ProblemKind::BadKey), "{kinds:?}");
    assert!(kinds.contains(&ProblemKind::UnknownAction), "{kinds:?}");
    assert!(kinds.contains(&ProblemKind::UnknownContext), "{kinds:?}");
    let text = KeymapError::Problems(ps).to_string();
    assert!(text.contains("3 problem(s)"), "{text}");
}

#[test]
fn load_picks_builtin_names_and_user_files() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join(USER_FILE), "[users]\nmark = [\"m\"]\n")?;
    let km = Keymap::load(Some("arrows"), Some(dir.path()))?;
    assert_eq!(
        km.action(Context::Users.stack(), Key::char('m')),
        Some(Action::Mark)
    );
    assert!(km.sources[0].contains("arrows"));
    let file = dir.path().join("mine.toml");
    std::fs::write(&file, "[users]\nmark = [\"v\"]\n")?;
    let km = Keymap::load(file.to_str(), Some(dir.path()))?;
    assert_eq!(
        km.action(Context::Users.stack(), Key::char('v')),
        Some(Action::Mark)
    );
    // The config dir's file does not apply on top of an explicit file.
    assert_eq!(km.action(Context::Users.stack(), Key::char('m')), None);
    match Keymap::load(Some("emacs"), None) {
        Err(KeymapError::UnknownName { expected, .. }) => assert!(expected.contains("arrows")),
        other => panic!("{other:?}"),
    }
    match Keymap::load(Some("/no/such/keymap.toml"), None) {
        Err(KeymapError::Read { .. }) => {}
        other => panic!("{other:?}"),
    }
    // No user file: the default alone.
    let empty = tempfile::tempdir()?;
    assert!(Keymap::load(None, Some(empty.path())).is_ok());
    Ok(())
}
