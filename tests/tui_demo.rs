//! The real `App::run` loop against the real engine and the simulated tenant, started
//! exactly as `mfa-cutover demo` starts them (`cli::demo::config`, `DemoTenant::start`,
//! `engine::start`): TestBackend for the screen, a scripted input stream for the
//! keys. Members stream in, `d` shows both sides of a user, `p` previews the plan with
//! its rule ids, `M` and the confirmation migrate, and every planned user reaches
//! "verified" in Entra — checked on screen and in the tenant. Every wait has a deadline.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::Stream;
use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::crossterm::event::Event as TermEvent;
use ratatui::layout::{Position, Rect, Size};
use tokio::sync::mpsc;

use mfa_cutover::cli::demo::{self, DemoArgs, DemoTenant};
use mfa_cutover::config::{Config, FileConfig, Overrides};
use mfa_cutover::engine::{Access, SignIn, StartOptions};
use mfa_cutover::tui::app::QuitState;
use mfa_cutover::tui::keymap::Key;
use mfa_cutover::tui::{App, Keymap, Theme};

/// A TestBackend the test reads while the app draws on it.
#[derive(Clone)]
struct Shared(Arc<Mutex<TestBackend>>);

impl Shared {
    fn new(w: u16, h: u16) -> Shared {
        Shared(Arc::new(Mutex::new(TestBackend::new(w, h))))
    }

    fn with<R>(&self, f: impl FnOnce(&mut TestBackend) -> R) -> R {
        let mut b = self.0.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut b)
    }

    /// The screen, one line per row.
    fn text(&self) -> String {
        self.with(|b| {
            let buf = b.buffer();
            let w = buf.area.width as usize;
            let mut out = String::new();
            for row in buf.content.chunks(w.max(1)) {
                for c in row {
                    out.push_str(c.symbol());
                }
                out.push('\n');
            }
            out
        })
    }
}

impl Backend for Shared {
    type Error = <TestBackend as Backend>::Error;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.with(|b| b.draw(content))
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.with(|b| b.hide_cursor())
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.with(|b| b.show_cursor())
    }
    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.with(|b| b.get_cursor_position())
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        let p = position.into();
        self.with(|b| b.set_cursor_position(p))
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        self.with(|b| b.clear())
    }
    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.with(|b| b.clear_region(clear_type))
    }
    fn size(&self) -> Result<Size, Self::Error> {
        self.with(|b| b.size())
    }
    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.with(|b| b.window_size())
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        self.with(|b| b.flush())
    }
}

fn input() -> (
    mpsc::UnboundedSender<TermEvent>,
    impl Stream<Item = TermEvent>,
) {
    let (tx, rx) = mpsc::unbounded_channel();
    let stream =
        futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|e| (e, rx)) });
    (tx, stream)
}

fn press(tx: &mpsc::UnboundedSender<TermEvent>, keys: &[&str]) {
    for k in keys {
        let key = Key::parse(k).unwrap_or_else(|e| panic!("{k}: {e}"));
        tx.send(TermEvent::Key(key.to_event()))
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

/// Wait until the screen satisfies `ok`; on timeout fail with the screen.
async fn wait_screen(s: &Shared, what: &str, secs: u64, ok: impl Fn(&str) -> bool) -> String {
    let end = Instant::now() + Duration::from_secs(secs);
    loop {
        let text = s.text();
        if ok(&text) {
            return text;
        }
        if Instant::now() >= end {
            panic!("{what}: not within {secs} s; screen:\n{text}");
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The member count of a loaded group (`Group … · 55 members`).
fn members(screen: &str) -> Option<usize> {
    let line = screen.lines().find(|l| l.starts_with("Group "))?;
    let head = &line[..line.find(" members")?];
    let digits: String = head
        .rsplit(' ')
        .next()?
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// A line naming a write and the rule behind it (P phones, D default, H hardware tokens).
fn has_write_rule(screen: &str) -> bool {
    screen.lines().any(|l| {
        l.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| {
            w.len() == 2
                && matches!(w.as_bytes()[0], b'P' | b'D' | b'H')
                && w.as_bytes()[1].is_ascii_digit()
        })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_members_detail_plan_and_a_migration_verified() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let base = Config::resolve(None, FileConfig::default(), &Overrides::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut config = demo::config(base, dir.path(), None);
    let args = DemoArgs {
        users: 300,
        seed: 1,
        latency_ms: 5,
    };
    let tenant = DemoTenant::start(&args, &mut config)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let DemoTenant { sim, session, .. } = tenant;
    assert!(session.identity.simulated);
    let mut start = StartOptions::new(
        config.clone(),
        SignIn::Ready(session),
        Access::Write {
            command: "demo".into(),
        },
    );
    start.name_tenant = true;
    let started = mfa_cutover::engine::start(start)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        started.session.identity.tenant_name.as_deref(),
        Some("contoso.com")
    );

    let keymap = Keymap::builtin("default").unwrap_or_else(|e| panic!("{e}"));
    let mut opts = mfa_cutover::tui::options(&config, keymap, None);
    opts.theme = Theme::plain();
    let screen = Shared::new(120, 36);
    let mut term = Terminal::new(screen.clone()).unwrap_or_else(|e| panic!("{e}"));
    let (tx, keys) = input();
    let app = App::new(opts, Rect::new(0, 0, 120, 36));
    let ui = tokio::spawn(async move {
        app.run(&mut term, keys, started.engine)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    });

    // Members stream in at once: the demo group is chosen, the header says SIMULATED.
    let s = wait_screen(&screen, "the demo group's members", 60, |s| {
        members(s).is_some_and(|n| n > 0)
    })
    .await;
    assert!(s.contains("SIMULATED"), "{s}");
    assert!(s.contains("contoso.com"), "{s}");
    assert!(s.contains(demo::GROUP), "{s}");
    let n = members(&s).unwrap_or(0);
    let in_tenant = sim.inspect(|t| t.group(demo::GROUP).map(|g| g.id()));
    assert!(in_tenant.is_some(), "the sim has the demo group");

    // Detail of the first user: MFA Server and Entra side by side.
    press(&tx, &["d"]);
    let s = wait_screen(&screen, "the detail view", 20, |s| {
        s.contains("MFA SERVER") && s.contains("ENTRA") && s.contains("MIGRATION")
    })
    .await;
    assert!(s.contains("No dry run or migration yet"), "{s}");
    press(&tx, &["esc"]);
    wait_screen(&screen, "back to the list", 20, |s| {
        !s.contains("MFA SERVER")
    })
    .await;

    // Plan preview: a dry run of the whole group, operations with their rule ids.
    press(&tx, &["p"]);
    let s = wait_screen(&screen, "the dry run", 60, |s| {
        s.contains("Plan preview") && s.contains("dry run finished")
    })
    .await;
    assert!(s.contains(&format!("{n} users")), "{s}");
    let mut found = has_write_rule(&s);
    for _ in 0..40 {
        if found {
            break;
        }
        press(&tx, &["pgdn"]);
        tokio::time::sleep(Duration::from_millis(60)).await;
        found = has_write_rule(&screen.text());
    }
    assert!(
        found,
        "no operation with its rule id in the preview:\n{}",
        screen.text()
    );
    let writes_before = sim.inspect(|t| t.write_log().len());
    assert_eq!(writes_before, 0, "a dry run writes nothing");
    press(&tx, &["esc"]);
    wait_screen(&screen, "back to the list", 20, |s| {
        !s.contains("Plan preview")
    })
    .await;

    // Migrate: the confirmation starts on Cancel; tab to the button, enter.
    press(&tx, &["M"]);
    let s = wait_screen(&screen, "the confirmation", 30, |s| {
        s.contains("[ Cancel ]")
    })
    .await;
    assert!(s.contains("Migrate"), "{s}");
    press(&tx, &["tab", "enter"]);
    let s = wait_screen(&screen, "the migration to finish", 180, |s| {
        s.contains("Migration finished")
    })
    .await;
    assert!(s.contains("✗ 0 failed"), "{s}");
    // Every member is verified or skipped (not in MFA Server, disabled): none left.
    let line = s
        .lines()
        .find(|l| l.contains("Migration finished"))
        .unwrap_or_default();
    let count = |label: &str| -> usize {
        let head = &line[..line.find(label).unwrap_or(0)];
        head.trim_end()
            .rsplit(' ')
            .next()
            .and_then(|w| w.parse().ok())
            .unwrap_or(0)
    };
    let (verified, skipped) = (count(" verified"), count(" skipped"));
    assert!(verified > 0, "{line}");
    assert_eq!(verified + skipped, n, "{line}");
    assert!(s.contains("✓ verified"), "rows show verified users:\n{s}");
    let writes = sim.inspect(|t| t.write_log().len());
    assert!(writes > 0, "the migration wrote to the tenant");

    // Quit: nothing in flight, so no question; the engine stops and the loop ends.
    press(&tx, &["q"]);
    let app = tokio::time::timeout(Duration::from_secs(30), ui)
        .await
        .unwrap_or_else(|_| panic!("the app did not stop within 30 s:\n{}", screen.text()))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(app.quit_state(), QuitState::Done);
    assert!(app.last_error.is_none(), "{:?}", app.last_error);
    sim.shutdown().await;
}
