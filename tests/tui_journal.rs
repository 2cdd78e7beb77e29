//! The Journal tab (6) on TestBackend: both logs from the state store's records service
//! (played here), newest first, one entry whole, filters that reach the store, and a
//! virtual list that reads only the pages it shows — hundreds of thousands of entries
//! cost a few pages of memory. Snapshots at 80x24 and 160x48.

mod common;

use common::fixture as fx;
use common::harness::Harness;
use mfa_cutover::engine::store::TargetKind;
use mfa_cutover::engine::{
    Answer, Command, Event, MigrationEvent, Progress, RecordsCommand, Reply, RunEnd,
};
use mfa_cutover::tui::Tab;
use mfa_cutover::tui::app::Modal;
use mfa_cutover::tui::panes::journal::pages::KEEP;

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn snap(name: &str, w: u16, h: u16, screen: String) {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"/tmp/[^\s\x22]+", "[TMP]");
    settings.set_snapshot_suffix(format!("{w}x{h}"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(name, screen));
}

/// The users tab loaded, then the Journal tab with a store of `writes` journal entries
/// and `changes` audit entries.
fn journal(w: u16, h: u16, writes: usize, changes: usize) -> Harness {
    let mut t = Harness::loaded(w, h, 10);
    t.keys(&["6"]);
    assert_eq!(t.app.tab(), Tab::Journal);
    t.answer_records(writes, changes);
    t
}

fn records(t: &Harness) -> Vec<RecordsCommand> {
    t.history
        .iter()
        .filter_map(|r| match &r.command {
            Command::Records(c) => Some(c.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn both_logs_newest_first_and_one_entry_whole() {
    for (w, h) in SIZES {
        let mut t = journal(w, h, 1_234, 56);
        let screen = t.screen();
        assert!(screen.contains("1,234 entries, newest first"), "{screen}");
        snap("journal_writes", w, h, screen);
        t.keys(&["v"]);
        t.answer_records(1_234, 56);
        snap("journal_changes", w, h, t.screen());
        t.keys(&["v", "j", "j", "j", "j", "j", "j", "enter"]);
        assert!(matches!(t.app.modal(), Some(Modal::Text(s)) if s.title == "Write #1228"));
        snap("journal_entry", w, h, t.screen());
    }
}

#[test]
fn an_empty_store_says_what_will_appear() {
    for (w, h) in SIZES {
        let mut t = journal(w, h, 0, 0);
        let screen = t.screen();
        assert!(screen.contains("No write yet"), "{screen}");
        snap("journal_empty", w, h, screen);
    }
}

#[test]
fn a_filter_by_user_kind_and_time_reaches_the_store() {
    let mut t = journal(80, 24, 300, 0);
    t.keys(&["/"]);
    t.text("user:ann since:7d");
    t.keys(&["enter"]);
    let Some(RecordsCommand::Journal { filter, before, .. }) = records(&t).last().cloned() else {
        panic!("no journal read after the filter")
    };
    assert_eq!(filter.kind, Some(TargetKind::UserMethod));
    assert_eq!(filter.target.as_deref(), Some("ann"));
    assert_eq!(
        filter.since,
        fx::now().checked_sub_signed(chrono::Duration::days(7))
    );
    assert_eq!(before, None, "a new filter reads from the newest entry");
    t.answer_records(12, 0);
    let screen = t.screen();
    assert!(screen.contains("/user:ann since:7d"), "{screen}");
    assert!(screen.contains("12 entries"), "{screen}");
    // A wrong term is refused, saying what is expected; the filter stays as it was.
    t.keys(&["/", "ctrl+u"]);
    t.text("kind:mailbox");
    t.keys(&["enter"]);
    let flash = t.app.flash_text().unwrap_or_default().to_string();
    assert!(flash.contains("kind:user, policy, group"), "{flash}");
    // esc clears it.
    let n = records(&t).len();
    t.keys(&["esc"]);
    assert!(records(&t).len() > n);
    assert!(matches!(
        records(&t).last(),
        Some(RecordsCommand::Journal { filter, .. }) if filter.kind.is_none()
    ));
}

#[test]
fn hundreds_of_thousands_of_entries_are_read_a_few_pages_at_a_time() {
    let mut t = journal(80, 24, 200_000, 0);
    let first = records(&t).len();
    assert!(first <= 2, "{first} reads for the first screen");
    t.keys(&["G"]);
    t.answer_records(200_000, 0);
    let n = records(&t).len();
    assert!(n < 40, "{n} reads to reach the oldest entry");
    assert_eq!(t.app.journal().selected(), 199_999);
    let screen = t.screen();
    assert!(screen.contains("200,000 entries"), "{screen}");
    assert!(t.app.journal().held_pages() <= KEEP);
    // The oldest entry is #1: open it.
    t.keys(&["enter"]);
    assert!(matches!(t.app.modal(), Some(Modal::Text(s)) if s.title == "Write #1"));
    // Back to the top: read again by key, a page or two.
    t.keys(&["esc", "g"]);
    t.answer_records(200_000, 0);
    assert!(t.screen().contains("#") || t.screen().contains("phone"));
    assert!(records(&t).len() <= n + 2);
}

#[test]
fn a_migration_that_ends_marks_the_journal_for_a_reload() {
    let mut t = journal(80, 24, 40, 0);
    t.migration(MigrationEvent::Finished(RunEnd {
        dry_run: false,
        progress: Progress::default(),
        cancelled: false,
    }));
    let screen = t.screen();
    assert!(
        screen.contains("written to since: ctrl+r reloads"),
        "{screen}"
    );
    t.keys(&["ctrl+r"]);
    t.answer_records(45, 0);
    let screen = t.screen();
    assert!(screen.contains("45 entries"), "{screen}");
    assert!(!screen.contains("written to since"), "{screen}");
}

#[test]
fn untrusted_text_from_the_store_reaches_the_screen_made_safe() {
    let mut t = Harness::loaded(120, 30, 10);
    t.keys(&["6"]);
    let req = t
        .history
        .iter()
        .rev()
        .find(|r| matches!(r.command, Command::Records(RecordsCommand::Journal { .. })))
        .map(|r| r.id)
        .unwrap_or_else(|| panic!("no journal read"));
    let mut e = fx::journal_entry(1);
    e.target.name = "eve\u{1b}[2J\u{1b}]0;pwned\u{7}@contoso.com".into();
    e.error = Some("bad\u{1b}[31m red".into());
    t.engine(Event::Reply(Reply {
        request: req,
        outcome: Ok(Answer::Journal {
            entries: vec![e],
            total: 1,
        }),
    }));
    t.keys(&["enter"]);
    let screen = t.screen();
    assert!(!screen.contains('\u{1b}'), "{screen}");
    assert!(screen.contains("eve"), "{screen}");
}

#[test]
fn a_taller_screen_reads_the_rows_it_now_shows() {
    let mut t = journal(80, 24, 5_000, 0);
    let before = records(&t).len();
    t.resize(160, 480);
    t.wait(std::time::Duration::from_millis(1));
    t.answer_records(5_000, 0);
    assert!(records(&t).len() > before, "the new rows were read");
    let screen = t.screen();
    assert!(!screen.contains("\"…"), "no row left unread:\n{screen}");
}
