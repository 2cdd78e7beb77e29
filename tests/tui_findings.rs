//! What a new admin met first (issue 14), each held where the admin meets it: the TUI on
//! TestBackend driven by keys and engine events, through the same `update` and drawing
//! the terminal gets. One test per finding, named for what must hold.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::fixture as fx;
use common::harness::{Harness, options};
use mfa_cutover::engine::{
    Answer, Capabilities, Command, DirectoryCommand, DirectoryEvent, EngineError, Event, GroupInfo,
    MigrationCommand, MigrationEvent, Progress, Refusal, RefusalKind, Reply, RunEnd,
    SessionCommand, SessionInfo, UserMethods, UserStatus,
};
use mfa_cutover::migrate::{EntraDefault, PreferredMethod, UserSkip};
use mfa_cutover::tui::Tab;
use mfa_cutover::tui::app::Modal;
use mfa_cutover::tui::keymap::Keymap;

/// The screen's text without its quotes, spaces, frame and line ends: a value wrapped
/// over rows reads whole again.
fn flat(screen: &str) -> String {
    screen
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '"' && *c != '│')
        .collect()
}

/// `s` as [`flat`] leaves it.
fn squeeze(s: &str) -> String {
    flat(s)
}

fn sent_migration(t: &mut Harness) -> Vec<MigrationCommand> {
    t.take_sent()
        .into_iter()
        .filter_map(|c| match c {
            Command::Migration(m) => Some(m),
            _ => None,
        })
        .collect()
}

fn dialog_text(t: &Harness) -> String {
    t.confirm()
        .map(|c| {
            c.lines
                .iter()
                .map(|l| l.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

/// Signed in, a data file with notes and services, 40 members loaded.
fn loaded_with_notes(w: u16, h: u16) -> Harness {
    let mut t = Harness::new(w, h);
    t.engine(fx::session(true));
    t.engine(Event::Data(fx::dataset_with_notes(41)));
    t.group_found(fx::group());
    t.engine(Event::Directory(DirectoryEvent::Members {
        group_id: fx::group().id,
        page: fx::members(0..40),
        loaded: 40,
        done: true,
    }));
    t.wait(Duration::from_millis(100));
    t.answer_reads();
    t.take_sent();
    t
}

// ----------------------------------------------------------------------- bugs

/// Bug 1: `S` then sync cycles reloading the group: "361 members" never becomes 722.
#[test]
fn automatic_sync_cycles_update_members_in_place_never_twice() {
    let mut t = Harness::loaded(80, 24, 40);
    t.keys(&["S"]);
    t.dry_run();
    t.keys(&["tab", "enter"]);
    t.reply(
        |c| matches!(c, Command::Migration(MigrationCommand::SetAutoSync { .. })),
        Ok(Answer::AutoSync {
            next_run: Some(fx::now() + chrono::Duration::minutes(15)),
        }),
    );
    for _cycle in 0..3 {
        t.engine(Event::Directory(DirectoryEvent::Loading {
            group: fx::group(),
        }));
        t.engine(Event::Directory(DirectoryEvent::Members {
            group_id: fx::group().id,
            page: fx::members(0..40),
            loaded: 40,
            done: true,
        }));
    }
    assert_eq!(t.app.users().rows.len(), 40);
    let screen = t.screen();
    assert!(screen.contains("· 40 members"), "{screen}");
    assert_eq!(screen.matches("ann.smith0@").count(), 1, "{screen}");
    assert!(screen.contains("auto-sync on"), "{screen}");
}

/// Bug 2: `ctrl+s` writes to `<state dir>/exports` by default, and says what it wrote or
/// why it could not.
#[test]
fn export_goes_to_the_exports_folder_by_default_and_the_answer_is_shown() {
    let mut t = Harness::loaded(80, 24, 10);
    t.keys(&["ctrl+s", "enter"]);
    let path = match sent_migration(&mut t).as_slice() {
        [MigrationCommand::ExportReregister { path }] => path.clone(),
        other => panic!("{other:?}"),
    };
    assert!(
        path.starts_with("/srv/mfa-cutover/exports")
            && path
                .to_string_lossy()
                .ends_with("must-reregister-app-20261123-020000.csv"),
        "{path:?}"
    );
    t.reply(
        |c| {
            matches!(
                c,
                Command::Migration(MigrationCommand::ExportReregister { .. })
            )
        },
        Ok(Answer::Exported {
            path: path.clone(),
            users: 7,
        }),
    );
    let screen = t.screen();
    assert!(
        flat(&screen).contains(&squeeze(&format!("wrote 7 users to {}", path.display()))),
        "{screen}"
    );
    // A refusal is shown with its message, never silently.
    t.keys(&["ctrl+s", "enter"]);
    t.reply(
        |c| {
            matches!(
                c,
                Command::Migration(MigrationCommand::ExportReregister { .. })
            )
        },
        Err(Refusal::new(
            RefusalKind::BadInput,
            "/srv/mfa-cutover/exports is a file, not a folder: name another path",
        )),
    );
    let screen = t.screen();
    assert!(
        screen.contains("is a file, not a folder: name another path"),
        "{screen}"
    );
}

// ----------------------------------------------------------------------- item 5

/// A SID is never cut silently: it wraps in the detail view and reads whole.
#[test]
fn sids_wrap_in_the_detail_view_and_read_whole() {
    let mut t = Harness::loaded(60, 30, 10);
    t.keys(&["d"]);
    t.answer_reads();
    let screen = t.screen();
    let sid = "S-1-5-21-1004336348-1177238915-682003330-1000";
    assert!(flat(&screen).contains(&format!("sid{sid}")), "{screen}");
    assert!(!screen.contains("S-1-5-21-1004336348-1177238915-682003330-1…"));
}

/// The "+N more" marker of ENTRA PHONE stands apart from the number.
#[test]
fn more_phones_read_as_a_marker_not_as_digits() {
    let mut t = Harness::loaded(80, 24, 10);
    let screen = t.screen();
    assert!(screen.contains("+1 4255550005[+1]"), "{screen}");
    assert!(!screen.contains("4255550005+1"), "{screen}");
}

/// Plan reasons use the width there is and wrap beyond it: nothing stops at 64
/// characters.
#[test]
fn plan_reasons_are_whole_even_when_long() {
    let mut t = Harness::loaded(200, 40, 10);
    t.keys(&["p"]);
    t.migration(MigrationEvent::Started {
        dry_run: true,
        targeted: 1,
    });
    let long = "the phone number 425 555 0100 ext 88 and the backup phone 425 555 0101 ext 89 \
                both carry an extension, which Entra cannot store on a mobile phone: the backup \
                phone is left out and the extension of the first is dropped (B3)";
    let mut plan = (*fx::plan(0)).clone();
    plan.skips[0].reason = long.into();
    t.migration(MigrationEvent::UserStatus {
        user: fx::id(0),
        status: UserStatus::Planned {
            plan: Arc::new(plan),
        },
    });
    // The rule id stands in its column on the reason's first row: read around it.
    let whole = |screen: &str| {
        flat(screen)
            .replace("B3", "")
            .contains(&squeeze(long).replace("B3", ""))
    };
    let screen = t.screen();
    assert!(whole(&screen), "{screen}");
    // And at 80 columns too.
    t.resize(80, 40);
    let screen = t.screen();
    assert!(whole(&screen), "{screen}");
}

/// The actions menu says the whole "why" of the selected action, not a cut one.
#[test]
fn the_actions_menu_shows_the_whole_why_of_the_selected_action() {
    let mut t = Harness::new(80, 24);
    t.engine(fx::session(false));
    t.engine(Event::Data(fx::dataset(41)));
    t.group_found(fx::group());
    t.engine(Event::Directory(DirectoryEvent::Members {
        group_id: fx::group().id,
        page: fx::members(0..40),
        loaded: 40,
        done: true,
    }));
    // Let the READ-ONLY message of the sign-in leave the footer first.
    t.wait(Duration::from_secs(15));
    t.keys(&["x", "j", "j", "j", "j", "j"]);
    let screen = t.screen();
    assert!(
        flat(&screen).contains(&squeeze(
            "✗ READ-ONLY: the token carries no permission that writes authentication methods \
             — grant UserAuthenticationMethod.ReadWrite.All (delegated: with the Authentication \
             Administrator role) and sign in again"
        )),
        "{screen}"
    );
}

/// An engine error keeps its advice: the footer wraps it, `:messages` shows it whole.
#[test]
fn a_long_error_keeps_its_advice() {
    let mut t = Harness::loaded(80, 24, 10);
    let message = "Graph 401 InvalidAuthenticationToken: Lifetime validation failed, the token is \
                   expired. Sign in again (mfa-cutover --auth device-code), or renew the \
                   certificate the application signs in with";
    t.engine(Event::Error(EngineError {
        request: None,
        context: "reading the members of \"MFA Migration Wave 1\"".into(),
        message: message.into(),
    }));
    let screen = t.screen();
    assert!(flat(&screen).contains(&squeeze(message)), "{screen}");
    t.keys(&[":"]);
    t.text("messages");
    t.keys(&["enter"]);
    assert!(matches!(t.app.modal(), Some(Modal::Text(s)) if s.title == "Messages"));
    let screen = t.screen();
    assert!(flat(&screen).contains(&squeeze(message)), "{screen}");
}

/// The `:` list says when more commands exist than it shows.
#[test]
fn the_command_list_says_more_commands_exist() {
    let mut t = Harness::loaded(80, 24, 10);
    t.keys(&[":"]);
    let screen = t.screen();
    assert!(
        screen.contains("more: keep typing, tab completes"),
        "{screen}"
    );
}

// ----------------------------------------------------------------------- item 6

/// After a migration, ENTRA DEF and the detail view show what Entra holds now: the
/// users it wrote are read again.
#[test]
fn written_users_are_read_again_when_a_migration_ends() {
    let mut t = Harness::loaded(160, 48, 40);
    let screen = t.screen();
    assert!(screen.contains("bob.smith1@contoso.com"), "{screen}");
    t.migration(MigrationEvent::Started {
        dry_run: false,
        targeted: 3,
    });
    for i in 0..3 {
        for s in [UserStatus::Writing { done: 1, of: 2 }, UserStatus::Verified] {
            t.migration(MigrationEvent::UserStatus {
                user: fx::id(i),
                status: s,
            });
        }
    }
    t.migration(MigrationEvent::Finished(RunEnd {
        dry_run: false,
        progress: Progress {
            targeted: 3,
            done: 3,
            verified: 3,
            writes: 6,
            ..Default::default()
        },
        cancelled: false,
    }));
    t.wait(Duration::from_millis(100));
    let asked: Vec<String> = t
        .take_sent()
        .into_iter()
        .filter_map(|c| match c {
            Command::Directory(DirectoryCommand::ReadMethods { users }) => Some(users),
            _ => None,
        })
        .flatten()
        .collect();
    for i in 0..3 {
        assert!(asked.contains(&fx::id(i)), "{i} not read again: {asked:?}");
    }
    // Bob's default was text (sms); the migration set it to call (voiceMobile).
    let mut methods = fx::methods(1);
    methods.default = EntraDefault::Set(PreferredMethod::VoiceMobile);
    t.engine(Event::Directory(DirectoryEvent::Methods {
        user: fx::id(1),
        methods: Ok(Box::new(UserMethods {
            methods,
            usable: None,
        })),
    }));
    let screen = t.screen();
    let bob = screen
        .lines()
        .find(|l| l.contains("bob.smith1@"))
        .unwrap_or_default();
    assert!(bob.contains(" call "), "{bob}");
}

/// The quit dialog reads live progress, and says so when the run ended meanwhile.
#[test]
fn the_quit_dialog_follows_the_run() {
    let mut t = Harness::loaded(80, 24, 10);
    t.migration(MigrationEvent::Started {
        dry_run: false,
        targeted: 10,
    });
    t.keys(&["q"]);
    assert!(dialog_text(&t).contains("0/10 done"), "{}", dialog_text(&t));
    t.migration(MigrationEvent::Progress(Progress {
        targeted: 10,
        done: 6,
        queued: 4,
        ..Default::default()
    }));
    assert!(
        dialog_text(&t).contains("6/10 done, 4 queued"),
        "{}",
        dialog_text(&t)
    );
    t.migration(MigrationEvent::Finished(RunEnd {
        dry_run: false,
        progress: Progress {
            targeted: 10,
            done: 10,
            ..Default::default()
        },
        cancelled: false,
    }));
    let text = dialog_text(&t);
    assert!(text.contains("Nothing is in flight any more"), "{text}");
    assert!(!text.contains("is running"), "{text}");
}

/// Picking another group clears the old group's run line.
#[test]
fn another_group_starts_without_the_old_groups_finished_line() {
    let mut t = Harness::loaded(80, 24, 10);
    t.migration(MigrationEvent::Started {
        dry_run: false,
        targeted: 10,
    });
    t.migration(MigrationEvent::Finished(RunEnd {
        dry_run: false,
        progress: Progress {
            targeted: 10,
            done: 10,
            verified: 10,
            ..Default::default()
        },
        cancelled: false,
    }));
    assert!(t.screen().contains("Migration finished"));
    t.keys(&["o"]);
    t.text("MFA Migration Wave 2");
    t.keys(&["enter"]);
    let wave2 = GroupInfo {
        id: "22222222-2222-4333-8444-555555555555".into(),
        display_name: "MFA Migration Wave 2".into(),
        dynamic: false,
        members: Some(1200),
    };
    t.groups(vec![wave2]);
    let screen = t.screen();
    assert!(!screen.contains("Migration finished"), "{screen}");
    assert!(screen.contains("Group MFA Migration Wave 2"), "{screen}");
}

/// A group name that matches nothing keeps the group on screen and says so.
#[test]
fn a_typo_in_the_group_keeps_the_current_group() {
    let mut t = Harness::loaded(80, 24, 40);
    t.keys(&["o"]);
    t.text("MFA Migratoin Wave 1");
    t.keys(&["enter"]);
    t.groups(vec![]);
    let screen = t.screen();
    assert!(
        screen.contains("Group MFA Migration Wave 1 · 40 members"),
        "{screen}"
    );
    assert!(screen.contains("still showing"), "{screen}");
    assert_eq!(t.app.users().rows.len(), 40);
}

// ----------------------------------------------------------------------- items 7, 17

/// The ETA comes from the writes left at the measured write rate, both shown.
#[test]
fn the_eta_is_the_writes_left_at_the_write_rate() {
    let mut t = Harness::loaded(160, 48, 40);
    t.migration(MigrationEvent::Started {
        dry_run: false,
        targeted: 1308,
    });
    t.migration(MigrationEvent::Progress(Progress {
        targeted: 1308,
        done: 200,
        queued: 1100,
        writes: 400,
        writes_left: 2000,
        writes_per_sec: 22.0,
        eta_secs: Some(91),
        ..Default::default()
    }));
    let screen = t.screen();
    assert!(screen.contains("22.0 writes/s"), "{screen}");
    assert!(screen.contains("2,000 writes left"), "{screen}");
    assert!(screen.contains("ETA 1m31s"), "{screen}");
}

/// A dry run shows its progress, its pace, and where the time goes.
#[test]
fn a_dry_run_says_how_far_it_is_and_where_the_time_goes() {
    let mut t = Harness::loaded(160, 48, 40);
    t.keys(&["p", "esc"]);
    t.migration(MigrationEvent::Started {
        dry_run: true,
        targeted: 9623,
    });
    t.wait(Duration::from_secs(2));
    t.migration(MigrationEvent::Progress(Progress {
        targeted: 9623,
        done: 1200,
        queued: 8423,
        ..Default::default()
    }));
    let screen = t.screen();
    assert!(screen.contains("Dry run 1,200/9,623"), "{screen}");
    assert!(screen.contains("600.0 users/s"), "{screen}");
    assert!(screen.contains("ETA 15s"), "{screen}");
    assert!(
        screen.contains("reads at Graph's read quota: the floor of a dry run"),
        "{screen}"
    );
}

// ----------------------------------------------------------------------- item 8

/// A keymap binding a key the terminal sends as another is refused before the screen is
/// taken, naming the file, the line and why.
#[test]
fn a_keymap_binding_ctrl_m_is_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("keymap.toml");
    std::fs::write(&path, "[users]\nmark = [\"ctrl+m\"]\n").unwrap_or_else(|e| panic!("{e}"));
    let e = Keymap::load(Some(&path.display().to_string()), None)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains(&format!("{}:2", path.display())), "{e}");
    assert!(e.contains("a terminal sends ctrl+m as enter"), "{e}");
}

// ----------------------------------------------------------------------- item 9

/// The migration's button counts users it writes; "Already verified" counts users
/// verified before and unchanged since (C1).
#[test]
fn the_confirmation_counts_users_written_and_users_already_verified() {
    let mut t = Harness::loaded(80, 30, 12);
    t.keys(&["M"]);
    let req = t
        .history
        .iter()
        .rev()
        .find(|r| matches!(r.command, Command::Migration(MigrationCommand::Plan { .. })))
        .map(|r| r.id)
        .unwrap_or_else(|| panic!("no dry run"));
    t.migration(MigrationEvent::Started {
        dry_run: true,
        targeted: 12,
    });
    for i in 0..12 {
        let status = match i {
            0..3 => UserStatus::Planned { plan: fx::plan(i) },
            3..8 => UserStatus::Skipped {
                skip: UserSkip::Unchanged {
                    mfa_user: mfa_cutover::datafile::UserIdx(i as u32),
                },
            },
            _ => {
                let mut p = (*fx::plan(i)).clone();
                p.ops.clear();
                UserStatus::Planned { plan: Arc::new(p) }
            }
        };
        t.migration(MigrationEvent::UserStatus {
            user: fx::id(i),
            status,
        });
    }
    let end = RunEnd {
        dry_run: true,
        progress: Progress {
            targeted: 12,
            done: 12,
            ..Default::default()
        },
        cancelled: false,
    };
    t.migration(MigrationEvent::Finished(end.clone()));
    t.engine(Event::Reply(Reply {
        request: req,
        outcome: Ok(Answer::Run(end)),
    }));
    let c = t.confirm().unwrap_or_else(|| panic!("no confirmation"));
    assert_eq!(c.confirm_label, "Migrate 3 users");
    assert_eq!(c.tier.number(), 1);
    let text = dialog_text(&t);
    assert!(text.contains("Writes to Entra for 3 users"), "{text}");
    assert!(
        text.contains("Of 12 targeted: 4 with nothing to write"),
        "{text}"
    );
    assert!(text.contains("Already verified: 5"), "{text}");
}

// ----------------------------------------------------------------------- item 11

/// Every tab advertises no key that does nothing and no spec path, and shows what exists:
/// the data file's services (Dependencies, with no export read), the sign-in's capability
/// (Rollout, with a sign-in that cannot change it).
#[test]
fn cutover_tabs_show_what_exists_and_no_dead_keys() {
    let mut t = loaded_with_notes(80, 24);
    t.keys(&["5"]);
    t.answer_inventory(&fx::dataset_with_notes(41));
    for (key, tab) in [
        ("1", Tab::Checklist),
        ("3", Tab::Rollout),
        ("4", Tab::Federation),
        ("5", Tab::Dependencies),
    ] {
        t.keys(&[key]);
        assert_eq!(t.app.tab(), tab);
        let screen = t.screen();
        assert!(!screen.contains(".md"), "a spec path on {tab:?}:\n{screen}");
        for a in t.app.pane().hints() {
            let footer = screen.lines().nth(23).unwrap_or_default();
            // A hint is `key label`, hints two spaces apart.
            if let Some(k) = t.app.options().keymap.keys(t.app.stack(), a).first()
                && (footer.starts_with(&format!("{k} ")) || footer.contains(&format!("  {k} ")))
                && !t.app.available(a).is_available()
            {
                panic!("{a:?} shown but does nothing on {tab:?}");
            }
        }
        t.keys(&["x"]);
        let menu = t.screen();
        assert!(!menu.contains("mark"), "{menu}");
        t.keys(&["esc"]);
    }
    t.keys(&["5"]);
    let screen = t.screen();
    assert!(screen.contains("VPN concentrator"), "{screen}");
    assert!(
        screen.contains("No AD FS or NPS export is read"),
        "{screen}"
    );
    t.keys(&["/"]);
    t.text("VPN");
    t.keys(&["enter", "enter"]);
    let screen = t.screen();
    assert!(screen.contains("10.0.4.20"), "{screen}");
    // The Rollout tab says why this sign-in cannot change Staged Rollout.
    t.keys(&["esc", "3"]);
    let screen = t.screen();
    assert!(
        screen.contains("Staged Rollout cannot be changed"),
        "{screen}"
    );
}

// ----------------------------------------------------------------------- item 12

/// "?" no longer hides bad input: the cell says "see notes", the detail view and
/// `:problems` show the row problem with the value the file carried.
#[test]
fn a_bad_value_in_the_file_is_shown_with_its_row_problem() {
    let mut t = loaded_with_notes(120, 36);
    let screen = t.screen();
    let farid = screen
        .lines()
        .find(|l| l.contains("farid.smith5@"))
        .unwrap_or_default();
    assert!(farid.contains("? see notes"), "{farid}");
    t.keys(&["j", "j", "j", "j", "j", "d"]);
    t.answer_reads();
    let screen = t.screen();
    assert!(
        screen.contains("NOTES (the data file's row problems)"),
        "{screen}"
    );
    assert!(
        flat(&screen).contains(&squeeze(
            "phone: bad phone — \"555-0199\" has no country code (row 7)"
        )),
        "{screen}"
    );
    t.keys(&["esc", ":"]);
    t.text("problems");
    t.keys(&["enter"]);
    let screen = t.screen();
    assert!(
        screen.contains("\"555-0199\" has no country code"),
        "{screen}"
    );
}

// ----------------------------------------------------------------------- item 13

/// One vocabulary: both default columns in the same words, the Graph value in the
/// detail view, "tier" defined in help, the MATCH column in the glossary.
#[test]
fn one_vocabulary_for_methods_tiers_and_matches() {
    let mut t = Harness::loaded(160, 48, 10);
    let screen = t.screen();
    let bob = screen
        .lines()
        .find(|l| l.contains("bob.smith1@"))
        .unwrap_or_default();
    // MFA Server's text message and Entra's sms: both "text".
    assert_eq!(bob.matches(" text ").count(), 2, "{bob}");
    assert!(!screen.contains(" sms "), "{screen}");
    t.keys(&["j", "d"]);
    t.answer_reads();
    let screen = t.screen();
    assert!(screen.contains("text (Graph: sms)"), "{screen}");
    t.keys(&["esc", "?"]);
    let mut help = String::new();
    for _ in 0..12 {
        help.push_str(&t.screen());
        t.keys(&["pgdn"]);
    }
    assert!(help.contains("tier 2"), "{help}");
    assert!(help.contains("more than 50 users written"), "{help}");
    assert!(help.contains("MATCH"), "{help}");
    assert!(!help.contains("column BY"), "{help}");
}

// ----------------------------------------------------------------------- item 15

/// `o` lists the tenant's groups as the name is typed, with member counts; tab takes
/// the highlighted one; enter looks it up.
#[test]
fn the_group_picker_lists_groups_as_you_type() {
    let mut t = Harness::loaded(80, 24, 10);
    t.keys(&["o"]);
    t.text("MFA");
    assert!(t.take_sent().is_empty(), "no search per key");
    t.wait(Duration::from_millis(200));
    assert!(matches!(
        t.take_sent().as_slice(),
        [Command::Directory(DirectoryCommand::SearchGroups { prefix })] if prefix == "MFA"
    ));
    let wave2 = GroupInfo {
        id: "22222222-2222-4333-8444-555555555555".into(),
        display_name: "MFA Migration Wave 2".into(),
        dynamic: false,
        members: Some(1200),
    };
    let mut wave1 = fx::group();
    wave1.members = Some(10);
    t.reply(
        |c| matches!(c, Command::Directory(DirectoryCommand::SearchGroups { .. })),
        Ok(Answer::Groups(vec![wave1, wave2])),
    );
    let screen = t.screen();
    assert!(
        screen.contains("MFA Migration Wave 1 · 10 members"),
        "{screen}"
    );
    assert!(
        screen.contains("MFA Migration Wave 2 · 1,200 members"),
        "{screen}"
    );
    t.keys(&["down", "tab", "enter"]);
    assert!(matches!(
        t.take_sent().as_slice(),
        [Command::Directory(DirectoryCommand::FindGroup { query })] if query == "MFA Migration Wave 2"
    ));
}

// ----------------------------------------------------------------------- item 16

/// `/` filters the plan preview.
#[test]
fn the_plan_preview_filters() {
    let mut t = Harness::loaded(80, 40, 40);
    t.keys(&["p"]);
    t.dry_run();
    t.keys(&["/"]);
    t.text("bob");
    let screen = t.screen();
    assert!(screen.contains("/bob → 5"), "{screen}");
    assert!(screen.contains("bob.smith1@"), "{screen}");
    assert!(!screen.contains("ann.smith0@"), "{screen}");
    t.keys(&["esc"]);
    assert!(t.screen().contains("ann.smith0@"));
}

/// The detail view steps to the next and previous user of the list.
#[test]
fn the_detail_view_steps_through_users() {
    let mut t = Harness::loaded(80, 24, 10);
    t.keys(&["d", "]"]);
    assert!(t.screen().contains(" bob.smith1@contoso.com "));
    t.keys(&["]", "["]);
    assert!(t.screen().contains(" bob.smith1@contoso.com "));
    assert_eq!(t.app.users().detail().map(|d| d.row), Some(1));
    t.keys(&["esc"]);
    assert_eq!(t.app.users().cursor.selected, 1, "the list follows");
}

/// `enter` in the activity log opens the call whole.
#[test]
fn enter_on_a_call_shows_it_whole() {
    let mut t = Harness::loaded(80, 24, 10);
    t.keys(&["@"]);
    for n in 0..60 {
        t.engine(Event::Activity(fx::call(n)));
    }
    t.keys(&["enter"]);
    let screen = t.screen();
    assert!(screen.contains("Graph call"), "{screen}");
    assert!(
        flat(&screen).contains(&format!(
            "/v1.0/users/{}/authentication/phoneMethods",
            fx::id(59)
        )),
        "{screen}"
    );
    assert!(screen.contains("throttled (429)"), "{screen}");
}

/// The sort reverses.
#[test]
fn the_sort_reverses() {
    let mut t = Harness::loaded(80, 24, 10);
    t.keys(&["s", "r"]);
    let screen = t.screen();
    let first = screen.lines().nth(4).unwrap_or_default();
    assert!(first.contains("hugo.smith7@"), "{screen}");
    assert!(screen.contains("sort upn ↓"), "{screen}");
    t.keys(&[":"]);
    t.text("sort upn");
    t.keys(&["enter"]);
    let first = t.screen().lines().nth(4).unwrap_or_default().to_string();
    assert!(first.contains("ann.o'neil8@"), "{first}");
}

// ----------------------------------------------------------------------- header, sign-in

/// The header names a Graph host that is not the cloud's own, and an admin signed in
/// beside an application.
#[test]
fn the_header_names_a_custom_graph_host_and_a_delegated_admin() {
    let mut opts = options();
    opts.graph_host = Some("graph.contoso-proxy.example".into());
    let mut t = Harness::with(opts, 160, 20);
    t.engine(fx::session(true));
    let screen = t.screen();
    assert!(
        screen.contains("Graph graph.contoso-proxy.example"),
        "{screen}"
    );
}

/// `:signin` in an app-only session: the device code is shown in a dialog, and the
/// admin appears in the header once signed in.
#[test]
fn signin_shows_the_device_code_and_then_the_admin() {
    let mut t = Harness::new(160, 30);
    let mut app = fx::identity(true);
    app.kind = mfa_cutover::engine::TokenKind::AppOnly;
    app.account = "mfa-cutover (app)".into();
    app.roles.clear();
    let info = |delegated: Option<mfa_cutover::graph::Identity>| SessionInfo {
        capabilities: Capabilities::of(&app, delegated.as_ref(), None),
        identity: app.clone(),
        delegated,
    };
    t.engine(Event::Session(Box::new(info(None))));
    t.keys(&["3"]);
    assert!(
        t.screen()
            .contains("Staged Rollout refuses app-only tokens")
    );
    // The tab read its status; only the sign-in matters here.
    t.take_sent();
    t.keys(&[":"]);
    t.text("signin");
    t.keys(&["enter"]);
    assert!(matches!(
        t.take_sent().as_slice(),
        [Command::Session(SessionCommand::SignInDelegated)]
    ));
    t.engine(Event::DeviceCode(
        mfa_cutover::graph::auth::DeviceCodePrompt {
            verification_uri: "https://microsoft.com/devicelogin".into(),
            user_code: "HX4K-29QP".into(),
            message: None,
            expires_at: fx::now() + chrono::Duration::minutes(15),
        },
    ));
    let screen = t.screen();
    assert!(
        screen.contains("https://microsoft.com/devicelogin"),
        "{screen}"
    );
    assert!(screen.contains("HX4K-29QP"), "{screen}");
    t.reply(
        |c| matches!(c, Command::Session(SessionCommand::SignInDelegated)),
        Ok(Answer::SignedIn(Box::new(info(Some(fx::identity(true)))))),
    );
    assert!(t.app.modal().is_none());
    let screen = t.screen();
    assert!(
        screen.contains("+ admin admin@contoso.com (delegated)"),
        "{screen}"
    );
    assert!(
        screen.contains("signed in as admin@contoso.com beside the application"),
        "{screen}"
    );
}

/// The Graph host the header names comes from the configuration: only a host that is
/// not the cloud's own.
#[test]
fn the_graph_host_is_named_only_when_it_is_not_the_clouds() {
    use mfa_cutover::config::{Config, FileConfig, Overrides};
    let config = |url: Option<&str>| {
        let o = Overrides {
            graph_url: url.map(str::to_string),
            ..Default::default()
        };
        Config::resolve(None, FileConfig::default(), &o).unwrap_or_else(|e| panic!("{e}"))
    };
    assert_eq!(mfa_cutover::tui::graph_host(&config(None)), None);
    assert_eq!(
        mfa_cutover::tui::graph_host(&config(Some("https://graph.microsoft.com"))),
        None
    );
    assert_eq!(
        mfa_cutover::tui::graph_host(&config(Some("http://127.0.0.1:41234"))).as_deref(),
        Some("127.0.0.1:41234")
    );
}
