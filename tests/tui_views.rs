//! Every TUI view drawn on ratatui's TestBackend at 80x24 and 160x48 and compared with
//! its insta snapshot. The clock, ids and paths come from the fixture; a filter catches
//! temporary paths anyway. Behaviour tests live in `tui_keys.rs`.

mod common;

use common::fixture as fx;
use common::harness::{Harness, options};
use mfa_cutover::datafile::UserIdx;
use mfa_cutover::engine::{DirectoryEvent, Event, MigrationEvent, Progress, UserStatus};
use mfa_cutover::migrate::UserSkip;

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn snap(name: &str, w: u16, h: u16, screen: String) {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"/tmp/[^\s\x22]+", "[TMP]");
    settings.set_snapshot_suffix(format!("{w}x{h}"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(name, screen));
}

/// Statuses of a run in progress on the first rows.
fn with_statuses(t: &mut Harness) {
    t.migration(MigrationEvent::Started {
        dry_run: false,
        targeted: 40,
    });
    let statuses = [
        UserStatus::Verified,
        UserStatus::Writing { done: 1, of: 3 },
        UserStatus::Failed {
            error: "Graph 400 invalidPhoneNumber".into(),
            retryable: false,
        },
        UserStatus::Queued,
        UserStatus::Skipped {
            skip: UserSkip::Unchanged {
                mfa_user: UserIdx(4),
            },
        },
        UserStatus::Failed {
            error: "Graph 503 after 4 attempts".into(),
            retryable: true,
        },
        UserStatus::Planned { plan: fx::plan(6) },
    ];
    for (i, s) in statuses.into_iter().enumerate() {
        t.migration(MigrationEvent::UserStatus {
            user: fx::id(i),
            status: s,
        });
    }
    t.migration(MigrationEvent::Progress(Progress {
        targeted: 40,
        done: 7,
        verified: 1,
        skipped: 1,
        failed: 2,
        queued: 33,
        writes: 12,
        writes_per_sec: 18.5,
        throttled: 2,
        eta_secs: Some(95),
        ..Default::default()
    }));
}

#[test]
fn users_no_group() {
    for (w, h) in SIZES {
        let mut t = Harness::new(w, h);
        snap("users_no_group", w, h, t.screen());
    }
}

#[test]
fn users_loading() {
    for (w, h) in SIZES {
        let mut t = Harness::new(w, h);
        t.engine(fx::session(true));
        t.group_found(fx::group());
        t.engine(Event::Directory(DirectoryEvent::Members {
            group_id: fx::group().id,
            page: fx::members(0..999),
            loaded: 999,
            done: false,
        }));
        snap("users_loading", w, h, t.screen());
    }
}

#[test]
fn users_loaded() {
    for (w, h) in SIZES {
        let mut t = Harness::loaded(w, h, 2500);
        t.keys(&["j", "space", "space", "j"]);
        snap("users_loaded", w, h, t.screen());
    }
}

#[test]
fn users_migrating() {
    for (w, h) in SIZES {
        let mut t = Harness::loaded(w, h, 40);
        with_statuses(&mut t);
        snap("users_migrating", w, h, t.screen());
    }
}

#[test]
fn users_filtered() {
    for (w, h) in SIZES {
        let mut t = Harness::loaded(w, h, 40);
        with_statuses(&mut t);
        t.keys(&["/"]);
        t.text("failed");
        snap("users_filter_typing", w, h, t.screen());
        t.keys(&["enter"]);
        snap("users_filtered", w, h, t.screen());
    }
}

#[test]
fn detail() {
    for (w, h) in SIZES {
        let mut t = Harness::loaded(w, h, 40);
        with_statuses(&mut t);
        t.keys(&["j", "j", "j", "j", "j", "j", "d"]);
        t.answer_reads();
        snap("detail", w, h, t.screen());
    }
}

#[test]
fn plan_preview() {
    for (w, h) in SIZES {
        let mut t = Harness::loaded(w, h, 40);
        t.keys(&["space", "space", "space", "space", "p"]);
        t.migration(MigrationEvent::Started {
            dry_run: true,
            targeted: 4,
        });
        for i in 0..3 {
            t.migration(MigrationEvent::UserStatus {
                user: fx::id(i),
                status: UserStatus::Planned { plan: fx::plan(i) },
            });
        }
        t.migration(MigrationEvent::UserStatus {
            user: fx::id(3),
            status: UserStatus::Skipped {
                skip: UserSkip::DisabledInMfaServer {
                    mfa_user: UserIdx(3),
                },
            },
        });
        t.migration(MigrationEvent::Finished(mfa_cutover::engine::RunEnd {
            dry_run: true,
            progress: Progress {
                targeted: 4,
                done: 4,
                skipped: 1,
                ..Default::default()
            },
            cancelled: false,
        }));
        snap("plan_preview", w, h, t.screen());
    }
}

#[test]
fn confirm_tiers() {
    for (w, h) in SIZES {
        let mut t = Harness::loaded(w, h, 40);
        t.keys(&["space", "space", "M"]);
        t.dry_run();
        snap("confirm_migrate_tier1", w, h, t.screen());
        t.keys(&["esc"]);
        let mut opts = options();
        opts.production = true;
        let mut p = Harness::loaded_with(opts, w, h, 40);
        p.keys(&["M"]);
        p.dry_run();
        p.text("3");
        snap("confirm_migrate_tier2_production", w, h, p.screen());
    }
}

#[test]
fn help_and_menus() {
    for (w, h) in SIZES {
        let mut t = Harness::loaded(w, h, 40);
        t.keys(&["?"]);
        snap("help", w, h, t.screen());
        t.keys(&["esc", "x"]);
        snap("actions_menu", w, h, t.screen());
        t.keys(&["esc", ":"]);
        t.text("re");
        snap("command_mode", w, h, t.screen());
    }
}

#[test]
fn read_only_actions_menu() {
    for (w, h) in SIZES {
        let mut t = Harness::new(w, h);
        t.engine(fx::session(false));
        t.engine(Event::Data(fx::dataset(41)));
        t.group_found(fx::group());
        t.engine(Event::Directory(DirectoryEvent::Members {
            group_id: fx::group().id,
            page: fx::members(0..40),
            loaded: 40,
            done: true,
        }));
        t.keys(&["x"]);
        snap("read_only_actions_menu", w, h, t.screen());
    }
}

#[test]
fn settings_and_activity() {
    for (w, h) in SIZES {
        let mut t = Harness::loaded(w, h, 40);
        t.keys(&[","]);
        snap("settings", w, h, t.screen());
        t.keys(&["esc", "@"]);
        for n in 0..60 {
            t.engine(Event::Activity(fx::call(n)));
        }
        snap("activity_log", w, h, t.screen());
    }
}

#[test]
fn later_tabs() {
    for (w, h) in SIZES {
        let mut t = Harness::loaded(w, h, 10);
        for (key, name) in [
            ("1", "tab_checklist"),
            ("3", "tab_rollout"),
            ("4", "tab_federation"),
            ("5", "tab_dependencies"),
            ("6", "tab_journal"),
        ] {
            t.keys(&[key]);
            snap(name, w, h, t.screen());
        }
    }
}

#[test]
fn group_picker() {
    for (w, h) in SIZES {
        let mut t = Harness::new(w, h);
        t.engine(fx::session(true));
        let mut b = fx::group();
        b.id = "99999999-2222-4333-8444-555555555555".into();
        b.dynamic = true;
        t.keys(&[":"]);
        t.text("group MFA Migration Wave 1");
        t.keys(&["enter"]);
        t.groups(vec![fx::group(), b]);
        snap("group_picker", w, h, t.screen());
    }
}

#[test]
fn no_color_keeps_meaning_in_words() {
    // With colour off, states still read: words and symbols, reverse video.
    let mut t = Harness::loaded(80, 24, 40);
    with_statuses(&mut t);
    let screen = t.screen();
    assert!(screen.contains("✓ verified"), "{screen}");
    assert!(screen.contains("✗ failed"), "{screen}");
    assert!(screen.contains("WRITE"), "{screen}");
    let buf = t.term.backend().buffer();
    assert!(
        buf.content
            .iter()
            .all(|c| c.fg == ratatui::style::Color::Reset && c.bg == ratatui::style::Color::Reset),
        "a colour was used with NO_COLOR"
    );
}

#[test]
fn group_prompt_and_finished_run_with_auto_sync() {
    for (w, h) in SIZES {
        let mut t = Harness::loaded(w, h, 40);
        t.keys(&["o"]);
        t.text("MFA Migration Wave 2");
        snap("group_prompt", w, h, t.screen());
        t.keys(&["esc"]);
        with_statuses(&mut t);
        t.migration(MigrationEvent::Finished(mfa_cutover::engine::RunEnd {
            dry_run: false,
            progress: Progress {
                targeted: 40,
                done: 40,
                verified: 36,
                skipped: 2,
                failed: 2,
                writes: 97,
                ..Default::default()
            },
            cancelled: false,
        }));
        t.migration(MigrationEvent::AutoSync {
            next_run: Some(fx::now() + chrono::Duration::minutes(15)),
        });
        snap("users_run_finished_auto_sync", w, h, t.screen());
    }
}

#[test]
fn dependencies_list_what_the_data_file_holds() {
    for (w, h) in SIZES {
        let mut t = Harness::new(w, h);
        t.engine(fx::session(true));
        let data = fx::dataset_with_notes(41);
        t.engine(Event::Data(data.clone()));
        t.keys(&["5"]);
        t.answer_inventory(&data);
        snap("tab_dependencies_services", w, h, t.screen());
    }
}

#[test]
fn group_picker_lists_groups_as_you_type() {
    for (w, h) in SIZES {
        let mut t = Harness::loaded(w, h, 40);
        t.keys(&["o"]);
        t.text("MFA Mig");
        t.wait(std::time::Duration::from_millis(200));
        let mut wave1 = fx::group();
        wave1.members = Some(40);
        let wave2 = mfa_cutover::engine::GroupInfo {
            id: "22222222-2222-4333-8444-555555555555".into(),
            display_name: "MFA Migration Wave 2".into(),
            dynamic: true,
            members: Some(12_408),
        };
        t.reply(
            |c| {
                matches!(
                    c,
                    mfa_cutover::engine::Command::Directory(
                        mfa_cutover::engine::DirectoryCommand::SearchGroups { .. }
                    )
                )
            },
            Ok(mfa_cutover::engine::Answer::Groups(vec![wave1, wave2])),
        );
        snap("group_picker_typing", w, h, t.screen());
    }
}

#[test]
fn device_code_dialog() {
    for (w, h) in SIZES {
        let mut t = Harness::loaded(w, h, 10);
        t.engine(Event::DeviceCode(
            mfa_cutover::graph::auth::DeviceCodePrompt {
                verification_uri: "https://microsoft.com/devicelogin".into(),
                user_code: "HX4K-29QP".into(),
                message: None,
                expires_at: fx::now() + chrono::Duration::minutes(15),
            },
        ));
        snap("sign_in_device_code", w, h, t.screen());
    }
}

#[test]
fn a_user_whose_file_row_has_a_problem() {
    for (w, h) in SIZES {
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
        t.wait(std::time::Duration::from_millis(100));
        t.answer_reads();
        t.keys(&["j", "j", "j", "j", "j", "d"]);
        t.answer_reads();
        snap("detail_with_notes", w, h, t.screen());
    }
}
