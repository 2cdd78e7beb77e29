//! The TUI driven by keys and engine events on TestBackend: what each key does, which
//! commands reach the engine, what is refused and why.

mod common;

use std::time::Duration;

use common::fixture as fx;
use common::harness::{Harness, index_of, options};
use mfa_cutover::engine::{
    Command, DirectoryCommand, DirectoryEvent, Event, MigrationCommand, MigrationEvent, Progress,
    Scope, UserStatus,
};
use mfa_cutover::migrate::DefaultMethodMode;
use mfa_cutover::tui::Tab;
use mfa_cutover::tui::app::Modal;

fn reads(cmds: &[Command]) -> Vec<Vec<String>> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Directory(DirectoryCommand::ReadMethods { users }) => Some(users.clone()),
            _ => None,
        })
        .collect()
}

fn migration_cmds(cmds: &[Command]) -> Vec<&MigrationCommand> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Migration(m) => Some(m),
            _ => None,
        })
        .collect()
}

#[test]
fn group_from_config_is_looked_up_then_loaded() {
    let mut opts = options();
    opts.group = Some("MFA Migration Wave 1".into());
    let mut t = Harness::with(opts, 80, 24);
    assert!(matches!(
        t.take_sent().as_slice(),
        [Command::Directory(DirectoryCommand::FindGroup { query })] if query == "MFA Migration Wave 1"
    ));
    t.group_found(fx::group());
    assert!(matches!(
        t.take_sent().as_slice(),
        [Command::Directory(DirectoryCommand::LoadMembers { group_id })] if *group_id == fx::group().id
    ));
}

#[test]
fn pick_group_prompt_sends_find_group_and_not_found_says_so() {
    let mut t = Harness::new(80, 24);
    t.keys(&["o"]);
    t.text("Wave 9");
    t.keys(&["enter"]);
    assert!(matches!(
        t.take_sent().as_slice(),
        [Command::Directory(DirectoryCommand::FindGroup { query })] if query == "Wave 9"
    ));
    t.groups(vec![]);
    let screen = t.screen();
    assert!(
        screen.contains("No group named or with id \"Wave 9\""),
        "{screen}"
    );
}

#[test]
fn methods_are_read_for_visible_rows_only_and_coalesced() {
    let mut t = Harness::with(options(), 80, 24);
    t.engine(fx::session(true));
    t.group_found(fx::group());
    t.take_sent();
    for start in (0..5000).step_by(1000) {
        t.engine(Event::Directory(DirectoryEvent::Members {
            group_id: fx::group().id,
            page: fx::members(start..start + 1000),
            loaded: start + 1000,
            done: start + 1000 == 5000,
        }));
    }
    // Nothing before the timer: pages arriving do not each trigger a read.
    assert!(reads(&t.take_sent()).is_empty());
    t.wait(Duration::from_millis(100));
    let first = reads(&t.take_sent());
    assert_eq!(first.len(), 1);
    let visible = t.app.users().cursor.height;
    assert_eq!(first[0].len(), visible, "one request for the visible rows");
    assert!(visible < 25);
    // Scrolling a page down several times within the interval: one request, for the
    // rows then visible, not one per key.
    t.keys(&["pgdn", "pgdn", "pgdn"]);
    assert!(reads(&t.take_sent()).is_empty());
    t.wait(Duration::from_millis(100));
    let second = reads(&t.take_sent());
    assert_eq!(second.len(), 1);
    assert_eq!(t.app.users().cursor.selected, 3 * visible);
    let first_shown = index_of(&second[0][0]);
    assert_eq!(first_shown, t.app.users().cursor.offset);
    assert_eq!(second[0].len(), visible);
    // Answered rows are not asked again; the rows of the first request that were never
    // answered go back to "not read" and are asked again when shown.
    for u in &second[0] {
        t.engine(Event::Directory(DirectoryEvent::Methods {
            user: u.clone(),
            methods: Ok(Box::new(fx::user_methods(index_of(u)))),
        }));
    }
    t.wait(Duration::from_millis(100));
    assert!(reads(&t.take_sent()).is_empty());
    t.keys(&["g"]);
    t.wait(Duration::from_millis(100));
    let again = reads(&t.take_sent());
    assert_eq!(again.len(), 1);
    assert_eq!(index_of(&again[0][0]), 0);
}

#[test]
fn cursor_follows_the_selected_row() {
    let mut t = Harness::loaded(80, 24, 200);
    let y0 = cursor_y(&mut t);
    t.keys(&["j", "j"]);
    assert_eq!(cursor_y(&mut t), y0 + 2);
    t.keys(&["G"]);
    let screen = t.screen();
    assert!(screen.contains("smith199@"), "{screen}");
    assert_eq!(t.app.users().cursor.selected, 199);
}

fn cursor_y(t: &mut Harness) -> u16 {
    t.screen();
    t.term.backend().cursor_position().y
}

#[test]
fn marks_scope_and_plan_command() {
    let mut t = Harness::loaded(80, 24, 40);
    t.keys(&["space", "space", "j", "space"]);
    assert_eq!(t.app.users().rows.marked(), 3);
    t.keys(&["p"]);
    let sent = t.take_sent();
    let cmds = migration_cmds(&sent);
    let Some(MigrationCommand::Plan {
        scope: Scope::Users(ids),
        include_unchanged: false,
    }) = cmds.first()
    else {
        panic!("{sent:?}")
    };
    assert_eq!(ids, &vec![fx::id(0), fx::id(1), fx::id(3)]);
    assert!(t.app.users().plan_open());
    // Back to the list; unmark all: the next plan covers the group.
    t.keys(&["esc", "u", "i", "p"]);
    let sent = t.take_sent();
    assert!(matches!(
        migration_cmds(&sent).first(),
        Some(MigrationCommand::Plan {
            scope: Scope::Group,
            include_unchanged: true
        })
    ));
}

#[test]
fn mark_all_marks_the_filtered_rows_only() {
    let mut t = Harness::loaded(80, 24, 100);
    t.keys(&["/"]);
    t.text("unmatched");
    t.keys(&["enter", "a"]);
    // Members 12, 25, 38, 51, 64, 77, 90 are not in MFA Server.
    assert_eq!(t.app.users().rows.marked(), 7);
    t.keys(&["esc"]);
    assert_eq!(
        t.app.users().view.visible().len(),
        100,
        "esc cleared the filter"
    );
}

#[test]
fn migrate_asks_with_focus_on_cancel() {
    let mut t = Harness::loaded(80, 24, 40);
    t.keys(&["space", "space", "M"]);
    // No dry run of these users yet: one runs first, and the confirmation opens with its
    // blast radius when it ends.
    assert!(t.app.modal().is_none());
    assert!(matches!(
        migration_cmds(&t.take_sent()).as_slice(),
        [MigrationCommand::Plan { scope: Scope::Users(ids), .. }] if ids.len() == 2
    ));
    assert!(
        t.app.users().plan_open(),
        "the plan shows behind the dialog"
    );
    t.dry_run();
    assert!(matches!(t.app.modal(), Some(Modal::Confirm(..))));
    // Enter on the initial focus cancels.
    t.keys(&["enter"]);
    assert!(t.app.modal().is_none());
    assert!(migration_cmds(&t.take_sent()).is_empty());
    // The dry run still stands: M asks at once. Tab to the button, enter: migrate.
    t.keys(&["M", "tab", "enter"]);
    let sent = t.take_sent();
    assert!(
        matches!(
            migration_cmds(&sent).as_slice(),
            [MigrationCommand::Migrate { scope: Scope::Users(ids), include_unchanged: false }] if ids.len() == 2
        ),
        "{sent:?}"
    );
}

#[test]
fn large_or_production_runs_need_the_count_typed() {
    // More than 50 users written: tier 2, the count of users written typed.
    let mut t = Harness::loaded(80, 24, 80);
    t.keys(&["M"]);
    let planned = t.dry_run();
    assert!(planned > 50, "{planned}");
    let typed = t.confirm().and_then(|c| c.typed.clone());
    assert_eq!(
        typed,
        Some(planned.to_string()),
        "the users written, not targeted"
    );
    t.take_sent();
    t.keys(&["tab", "enter"]);
    assert!(migration_cmds(&t.take_sent()).is_empty(), "not armed yet");
    assert!(matches!(t.app.modal(), Some(Modal::Confirm(..))));
    t.text("80");
    t.keys(&["enter"]);
    assert!(migration_cmds(&t.take_sent()).is_empty(), "wrong count");
    t.keys(&["backspace", "backspace"]);
    t.text(&planned.to_string());
    t.keys(&["enter"]);
    let sent = t.take_sent();
    assert!(matches!(
        migration_cmds(&sent).as_slice(),
        [MigrationCommand::Migrate {
            scope: Scope::Group,
            ..
        }]
    ));
    // A production tenant asks the count even for two users.
    let mut opts = options();
    opts.production = true;
    let mut p = Harness::loaded_with(opts, 80, 24, 40);
    p.keys(&["space", "space", "M"]);
    p.dry_run();
    assert_eq!(p.confirm().and_then(|c| c.typed.clone()), Some("2".into()));
}

#[test]
fn read_only_makes_tenant_writes_unavailable_with_the_reason() {
    let mut t = Harness::loaded(80, 24, 40);
    t.keys(&[":"]);
    t.text("readonly");
    t.keys(&["enter", "M"]);
    assert!(t.app.modal().is_none(), "no dialog in READ-ONLY");
    let flash = t.app.flash_text().unwrap_or_default().to_string();
    assert!(flash.contains("READ-ONLY is on"), "{flash}");
    let screen = t.screen();
    assert!(screen.contains("READ-ONLY"), "{screen}");
    assert!(
        !screen.contains("M migrate"),
        "footer hides what cannot run: {screen}"
    );
    // A token without write permission: READ-ONLY cannot be turned off.
    let mut t = Harness::loaded(80, 24, 10);
    t.engine(fx::session(false));
    t.keys(&[":"]);
    t.text("readonly");
    t.keys(&["enter"]);
    let flash = t.app.flash_text().unwrap_or_default().to_string();
    assert!(flash.contains("READ-ONLY stays on"), "{flash}");
    assert!(flash.contains("no permission that writes"), "{flash}");
}

#[test]
fn statuses_progress_and_retry() {
    let mut t = Harness::loaded(80, 24, 40);
    t.migration(MigrationEvent::Started {
        dry_run: false,
        targeted: 40,
    });
    assert!(
        !t.app
            .available(mfa_cutover::tui::action::Action::Plan)
            .is_available()
    );
    t.migration(MigrationEvent::UserStatus {
        user: fx::id(3),
        status: UserStatus::Failed {
            error: "503".into(),
            retryable: true,
        },
    });
    t.migration(MigrationEvent::UserStatus {
        user: fx::id(4),
        status: UserStatus::Verified,
    });
    t.migration(MigrationEvent::Finished(mfa_cutover::engine::RunEnd {
        dry_run: false,
        progress: Progress {
            targeted: 40,
            done: 40,
            verified: 39,
            failed: 1,
            ..Default::default()
        },
        cancelled: false,
    }));
    assert_eq!(t.app.users().failed_retryable(), 1);
    t.keys(&["R"]);
    assert!(matches!(t.app.modal(), Some(Modal::Confirm(..))));
    t.keys(&["tab", "enter"]);
    assert!(matches!(
        migration_cmds(&t.take_sent()).as_slice(),
        [MigrationCommand::RetryFailed]
    ));
    // The retried user succeeds: nothing left to retry.
    t.migration(MigrationEvent::UserStatus {
        user: fx::id(3),
        status: UserStatus::Verified,
    });
    assert_eq!(t.app.users().failed_retryable(), 0);
    t.keys(&["R"]);
    assert!(t.app.modal().is_none());
}

#[test]
fn status_filter_follows_changes() {
    let mut t = Harness::loaded(80, 24, 40);
    t.keys(&["/"]);
    t.text("fail");
    t.keys(&["enter"]);
    assert!(t.app.users().view.visible().is_empty());
    t.migration(MigrationEvent::UserStatus {
        user: fx::id(7),
        status: UserStatus::Failed {
            error: "x".into(),
            retryable: false,
        },
    });
    // Re-filtering on status changes is throttled, then catches up.
    t.wait(Duration::from_millis(300));
    assert_eq!(t.app.users().view.visible(), [7]);
}

#[test]
fn quitting_during_a_migration_asks_and_shuts_the_engine_down() {
    let mut t = Harness::loaded(80, 24, 10);
    t.migration(MigrationEvent::Started {
        dry_run: false,
        targeted: 10,
    });
    t.keys(&["q"]);
    assert!(matches!(t.app.modal(), Some(Modal::Confirm(..))));
    t.keys(&["esc"]);
    assert!(t.take_sent().is_empty());
    t.keys(&["q", "tab", "enter"]);
    assert!(matches!(t.take_sent().as_slice(), [Command::Shutdown]));
    t.engine(Event::Stopped);
    assert_eq!(t.app.quit_state(), mfa_cutover::tui::app::QuitState::Done);
}

#[test]
fn export_asks_for_the_path_then_the_engine_writes_it() {
    let mut t = Harness::loaded(80, 24, 10);
    t.keys(&["ctrl+s"]);
    let screen = t.screen();
    assert!(
        screen.contains("/srv/mfa-cutover/exports/must-reregister-app-20261123-020000.csv"),
        "{screen}"
    );
    assert!(
        screen.contains("The \"must re-register the app\" list (CSV)"),
        "{screen}"
    );
    t.keys(&["enter"]);
    assert!(matches!(
        migration_cmds(&t.take_sent()).as_slice(),
        [MigrationCommand::ExportReregister { path }]
            if path.ends_with("must-reregister-app-20261123-020000.csv")
    ));
    t.reply(
        |c| {
            matches!(
                c,
                Command::Migration(MigrationCommand::ExportReregister { .. })
            )
        },
        Ok(mfa_cutover::engine::Answer::Exported {
            path: "/srv/x.csv".into(),
            users: 120,
        }),
    );
    assert_eq!(t.app.flash_text(), Some("wrote 120 users to /srv/x.csv"));
}

#[test]
fn settings_view_changes_settings_for_the_session() {
    let mut t = Harness::loaded(80, 24, 10);
    t.keys(&[",", "enter"]);
    let sent = t.take_sent();
    let Some(MigrationCommand::SetSettings(s)) = migration_cmds(&sent).first().copied() else {
        panic!("{sent:?}")
    };
    assert_eq!(s.default_method, DefaultMethodMode::MostSecureIfNotSet);
    assert_eq!(
        t.app.settings().default_method,
        DefaultMethodMode::MostSecureIfNotSet
    );
    // match_attribute is edited as text; a bad value is refused with what is expected.
    t.keys(&["j", "j", "j", "enter"]);
    t.text("employeeID");
    t.keys(&["enter"]);
    let flash = t.app.flash_text().unwrap_or_default().to_string();
    assert!(
        flash.contains("expected mfa_server_key=entraProperty"),
        "{flash}"
    );
    t.keys(&["enter"]);
    t.text("employeeID=employeeId");
    t.keys(&["enter"]);
    let sent = t.take_sent();
    let Some(MigrationCommand::SetSettings(s)) = migration_cmds(&sent).first().copied() else {
        panic!("{sent:?}")
    };
    assert_eq!(
        s.match_attribute.as_ref().map(|m| m.entra.as_str()),
        Some("employeeId")
    );
    // Turning automatic sync on plans the group first (what its first cycle writes),
    // asks, then sends the interval from the settings.
    t.keys(&["esc", "S"]);
    assert!(matches!(
        migration_cmds(&t.take_sent()).as_slice(),
        [MigrationCommand::Plan {
            scope: Scope::Group,
            include_unchanged: false
        }]
    ));
    t.dry_run();
    let lines = t
        .confirm()
        .map(|c| {
            c.lines
                .iter()
                .map(|l| l.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    assert!(
        lines.contains("The first cycle would write now:"),
        "{lines}"
    );
    t.keys(&["tab", "enter"]);
    assert!(matches!(
        migration_cmds(&t.take_sent()).as_slice(),
        [MigrationCommand::SetAutoSync { interval: Some(d) }] if *d == Duration::from_secs(900)
    ));
    t.reply(
        |c| matches!(c, Command::Migration(MigrationCommand::SetAutoSync { .. })),
        Ok(mfa_cutover::engine::Answer::AutoSync {
            next_run: Some(fx::now() + chrono::Duration::minutes(15)),
        }),
    );
    assert_eq!(
        t.app.flash_text(),
        Some("automatic sync on: next cycle at 02:15 UTC")
    );
    t.keys(&["S"]);
    let sent = t.take_sent();
    assert!(
        matches!(
            migration_cmds(&sent).as_slice(),
            [MigrationCommand::SetAutoSync { interval: None }]
        ),
        "{sent:?}"
    );
}

#[test]
fn tabs_command_mode_and_completion() {
    let mut t = Harness::loaded(80, 24, 10);
    t.keys(&["4"]);
    assert_eq!(t.app.tab(), Tab::Federation);
    t.keys(&["tab"]);
    assert_eq!(t.app.tab(), Tab::Dependencies);
    t.keys(&[":"]);
    t.text("us");
    t.keys(&["tab", "enter"]);
    assert_eq!(t.app.tab(), Tab::Users);
    t.keys(&[":"]);
    t.text("sort upn");
    t.keys(&["enter"]);
    assert_eq!(t.app.users().view.sort().name(), "upn");
    t.keys(&[":"]);
    t.text("frobnicate");
    t.keys(&["enter"]);
    let flash = t.app.flash_text().unwrap_or_default().to_string();
    assert!(flash.contains("unknown command \"frobnicate\""), "{flash}");
}

#[test]
fn detail_view_reads_that_users_methods_and_scrolls() {
    let mut t = Harness::loaded(80, 24, 10);
    t.keys(&["j", "j", "d"]);
    assert!(matches!(t.app.users().detail(), Some(d) if d.row == 2));
    t.keys(&["j", "j", "G", "g", "q"]);
    assert!(t.app.users().detail().is_none(), "q goes back from a view");
    assert_ne!(t.app.quit_state(), mfa_cutover::tui::app::QuitState::Done);
}

#[test]
fn pages_of_another_group_are_ignored_and_selection_survives_streaming() {
    let mut t = Harness::loaded(80, 24, 100);
    t.keys(&["j", "j", "j"]);
    t.engine(Event::Directory(DirectoryEvent::Members {
        group_id: "someone-else".into(),
        page: fx::members(100..200),
        loaded: 200,
        done: true,
    }));
    assert_eq!(t.app.users().rows.len(), 100);
    t.keys(&["s"]); // sort by UPN
    let selected = t.app.users().selected_row();
    t.engine(Event::Directory(DirectoryEvent::Members {
        group_id: fx::group().id,
        page: fx::members(100..300),
        loaded: 300,
        done: true,
    }));
    assert_eq!(t.app.users().rows.len(), 300);
    assert_eq!(
        t.app.users().selected_row(),
        selected,
        "same user still selected"
    );
}

#[test]
fn works_at_any_size_and_on_resize() {
    let mut t = Harness::loaded(80, 24, 50);
    for (w, h) in [(160, 48), (40, 10), (20, 5), (1, 1), (80, 24)] {
        t.resize(w, h);
        t.keys(&["?"]);
        t.screen();
        t.keys(&["esc", "d"]);
        t.screen();
        t.keys(&["esc", "M"]);
        t.screen();
        t.keys(&["esc"]);
    }
    let screen = t.screen();
    assert!(screen.contains("MATCH"), "{screen}");
}

#[test]
fn engine_errors_are_shown_and_a_stopped_engine_blocks_writes() {
    let mut t = Harness::loaded(80, 24, 10);
    t.engine(Event::Error(mfa_cutover::engine::EngineError {
        request: None,
        context: "loading members of \"Wave 1\"".into(),
        message: "Graph 403 Authorization_RequestDenied".into(),
    }));
    assert!(t.screen().contains("Authorization_RequestDenied"));
    t.engine(Event::Stopped);
    t.keys(&["M"]);
    assert!(t.app.modal().is_none());
    assert!(t.screen().contains("ENGINE STOPPED"));
    t.keys(&["q"]);
    assert_eq!(t.app.quit_state(), mfa_cutover::tui::app::QuitState::Done);
}

#[test]
fn refresh_keeps_rows_marks_and_the_detail_view_and_says_when_it_finished() {
    let mut t = Harness::loaded(80, 24, 10);
    t.keys(&["space", "d", "ctrl+r"]);
    assert!(t.app.users().detail().is_some(), "rows keep their meaning");
    assert!(matches!(
        t.take_sent().as_slice(),
        [Command::Directory(DirectoryCommand::LoadMembers { .. })]
    ));
    // The engine reloads the same group: rows are updated in place, never doubled.
    t.engine(Event::Directory(DirectoryEvent::Loading {
        group: fx::group(),
    }));
    t.engine(Event::Directory(DirectoryEvent::Members {
        group_id: fx::group().id,
        page: fx::members(0..10),
        loaded: 10,
        done: true,
    }));
    assert_eq!(t.app.users().rows.len(), 10);
    assert_eq!(t.app.users().rows.marked(), 1, "marks kept");
    t.reply(
        |c| matches!(c, Command::Directory(DirectoryCommand::LoadMembers { .. })),
        Ok(mfa_cutover::engine::Answer::Members {
            group: fx::group(),
            loaded: 10,
        }),
    );
    assert_eq!(
        t.app.flash_text(),
        Some("refreshed from the tenant: 10 members, marks kept")
    );
}
