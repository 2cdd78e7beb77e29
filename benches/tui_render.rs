//! TUI figures with 500,000 members (`cargo bench --bench tui_render`):
//!
//! 1. drawing the users pane on a 160x48 TestBackend (target ≤ 2 ms per frame);
//! 2. filtering 500,000 rows (target ≤ 30 ms);
//! 3. input-to-frame latency while member pages stream through the real `App::run`
//!    (target < 16 ms).
//!
//! Prints figures; asserts nothing (targets are read, not enforced, here).

#[path = "../tests/common/fixture.rs"]
mod fixture;
#[path = "../tests/common/harness.rs"]
#[allow(unused)]
mod harness;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::crossterm::event::Event as TermEvent;
use ratatui::layout::{Position, Rect, Size};

use mfa_cutover::engine::{
    Command, DirectoryEvent, EngineHandle, Event, MigrationEvent, UserStatus,
};
use mfa_cutover::tui::keymap::Key;
use mfa_cutover::tui::{App, Msg};

const USERS: usize = 500_000;

fn stats(name: &str, mut v: Vec<Duration>) {
    v.sort();
    let n = v.len().max(1);
    let mean = v.iter().sum::<Duration>() / n as u32;
    let pct = |p: f64| v[((v.len() as f64 * p) as usize).min(v.len() - 1)];
    println!(
        "{name:<44} n={:<5} mean {:>8.3} ms  p50 {:>8.3} ms  p99 {:>8.3} ms  max {:>8.3} ms",
        v.len(),
        mean.as_secs_f64() * 1e3,
        pct(0.5).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        v.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
}

fn key(k: &str) -> TermEvent {
    TermEvent::Key(Key::parse(k).unwrap_or_else(|e| panic!("{e}")).to_event())
}

fn loaded_app(w: u16, h: u16) -> App {
    let mut app = App::new(harness::options(), Rect::new(0, 0, w, h));
    let now = tokio::time::Instant::now();
    let t = Instant::now();
    app.update(Msg::Engine(fixture::session(true)), now);
    app.update(Msg::Engine(Event::Data(fixture::dataset(USERS + 1))), now);
    app.update(
        Msg::Engine(Event::Directory(DirectoryEvent::Loading {
            group: fixture::group(),
        })),
        now,
    );
    let g = fixture::group().id;
    let built = t.elapsed();
    let t = Instant::now();
    for start in (0..USERS).step_by(999) {
        let end = (start + 999).min(USERS);
        app.update(
            Msg::Engine(Event::Directory(DirectoryEvent::Members {
                group_id: g.clone(),
                page: fixture::members(start..end),
                loaded: end,
                done: end == USERS,
            })),
            now,
        );
    }
    println!(
        "setup: data set {:.2} s, {} members through update() {:.2} s",
        built.as_secs_f64(),
        USERS,
        t.elapsed().as_secs_f64()
    );
    // Methods for the first rows, and a run's statuses on some users.
    for i in 0..60 {
        app.update(
            Msg::Engine(Event::Directory(DirectoryEvent::Methods {
                user: fixture::id(i),
                methods: Ok(Box::new(fixture::user_methods(i))),
            })),
            now,
        );
    }
    app.update(
        Msg::Engine(Event::Migration(MigrationEvent::Started {
            dry_run: false,
            targeted: USERS,
        })),
        now,
    );
    for i in (0..USERS).step_by(97) {
        app.update(
            Msg::Engine(Event::Migration(MigrationEvent::UserStatus {
                user: fixture::id(i),
                status: if i % 2 == 0 {
                    UserStatus::Verified
                } else {
                    UserStatus::Failed {
                        error: "503".into(),
                        retryable: true,
                    }
                },
            })),
            now,
        );
    }
    app.take_requests();
    app
}

fn bench_draw(app: &mut App) {
    let mut term = Terminal::new(TestBackend::new(160, 48)).unwrap_or_else(|e| panic!("{e}"));
    let now = tokio::time::Instant::now();
    let mut draw = Vec::new();
    let mut update_and_draw = Vec::new();
    // Move through the list (each frame shows other rows), jumping pages too.
    let keys = ["j", "j", "pgdn", "k", "pgdn", "G", "g", "j"];
    for n in 0..400 {
        let t = Instant::now();
        app.update(Msg::Terminal(key(keys[n % keys.len()])), now);
        let t_draw = Instant::now();
        term.draw(|f| mfa_cutover::tui::view::render(app, f))
            .unwrap_or_else(|e| panic!("{e}"));
        draw.push(t_draw.elapsed());
        update_and_draw.push(t.elapsed());
    }
    stats("draw users pane, 500k members, 160x48", draw);
    stats("key + update + draw, 500k members, 160x48", update_and_draw);
}

fn bench_filter(app: &mut App) {
    for term in ["garcia", "kowalski42", "ann.", "failed", "zzz-no-hit", "a"] {
        let mut v = Vec::new();
        for _ in 0..15 {
            app.users_mut().set_filter("");
            let t = Instant::now();
            app.users_mut().set_filter(term);
            v.push(t.elapsed());
        }
        let shown = app.users().view.visible().len();
        stats(&format!("filter 500k rows by {term:?} ({shown} shown)"), v);
    }
    // Typing one more character narrows what is shown instead of rescanning.
    let mut v = Vec::new();
    for _ in 0..15 {
        app.users_mut().set_filter("garci");
        let t = Instant::now();
        app.users_mut().set_filter("garcia");
        v.push(t.elapsed());
    }
    stats("narrow \"garci\" -> \"garcia\"", v);
    app.users_mut().set_filter("");
    let t = Instant::now();
    app.users_mut()
        .set_sort(mfa_cutover::tui::panes::users::index::SortKey::Upn);
    println!(
        "sort 500k rows by UPN: {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    app.users_mut()
        .set_sort(mfa_cutover::tui::panes::users::index::SortKey::Arrival);
}

/// A TestBackend that notes when each frame reaches the terminal and where the cursor
/// was put.
struct Timing {
    inner: TestBackend,
    cursor: Position,
    frames: Arc<Mutex<Vec<(Instant, Position)>>>,
}

impl Backend for Timing {
    type Error = std::convert::Infallible;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content)
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        let p = position.into();
        self.cursor = p;
        self.inner.set_cursor_position(p)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }
    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(clear_type)
    }
    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }
    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        if let Ok(mut f) = self.frames.lock() {
            f.push((Instant::now(), self.cursor));
        }
        self.inner.flush()
    }
}

fn bench_latency() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    rt.block_on(async {
        let (link, end) = EngineHandle::pair(64);
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<TermEvent>();
        let input = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|e| (e, rx)) });
        let frames = Arc::new(Mutex::new(Vec::new()));
        let backend = Timing {
            inner: TestBackend::new(160, 48),
            cursor: Position::default(),
            frames: frames.clone(),
        };
        let mut term = Terminal::new(backend).unwrap_or_else(|e| panic!("{e}"));
        let app = App::new(harness::options(), Rect::new(0, 0, 160, 48));
        let ui = tokio::spawn(async move {
            app.run(&mut term, input, link)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        });
        end.events
            .send(Event::Directory(DirectoryEvent::Loading {
                group: fixture::group(),
            }))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        // Answer commands in the background (methods reads), record nothing.
        let mut commands = end.requests;
        let drain = tokio::spawn(async move {
            while let Some(r) = commands.recv().await {
                if matches!(r.command, Command::Shutdown) {
                    break;
                }
            }
        });
        let g = fixture::group().id;
        // Pre-build the pages so the feeder only sends.
        let pages: Vec<_> = (0..USERS)
            .step_by(1000)
            .map(|s| fixture::members(s..(s + 1000).min(USERS)))
            .collect();
        let events = end.events.clone();
        let feeder = tokio::spawn(async move {
            let n = pages.len();
            for (p, page) in pages.into_iter().enumerate() {
                let loaded = ((p + 1) * 1000).min(USERS);
                if events
                    .send(Event::Directory(DirectoryEvent::Members {
                        group_id: g.clone(),
                        page,
                        loaded,
                        done: p + 1 == n,
                    }))
                    .await
                    .is_err()
                {
                    break;
                }
                // Pages keep coming for the whole time keys are pressed.
                tokio::time::sleep(Duration::from_millis(8)).await;
            }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        // j and k in turn: the cursor alternates between two rows.
        let mut sent = Vec::new();
        let row0 = 4u16; // header, tabs, title, table header
        for n in 0..150 {
            let (k, y) = if n % 2 == 0 { ("j", row0 + 1) } else { ("k", row0) };
            sent.push((Instant::now(), y));
            tx.send(key(k)).unwrap_or_else(|e| panic!("{e}"));
            tokio::time::sleep(Duration::from_millis(23)).await;
        }
        let streamed = feeder.is_finished();
        let _ = feeder.await;
        tx.send(key("q")).unwrap_or_else(|e| panic!("{e}"));
        let _ = drain.await;
        drop(end.events);
        let _ = ui.await;
        let frames = frames.lock().map(|f| f.clone()).unwrap_or_default();
        let mut lat = Vec::new();
        for (at, y) in &sent {
            if let Some((t, _)) = frames.iter().find(|(t, p)| t >= at && p.y == *y) {
                lat.push(*t - *at);
            }
        }
        println!(
            "latency sample: {} keys, {} answered by a frame, {} frames drawn, members {} while keys were sent",
            sent.len(),
            lat.len(),
            frames.len(),
            if streamed { "had finished streaming" } else { "were still streaming" }
        );
        stats("key -> frame while 500k members stream", lat);
    });
}

fn main() {
    // `cargo test --benches` runs this with --test-ish flags: stay quick then.
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    let mut app = loaded_app(160, 48);
    bench_draw(&mut app);
    bench_filter(&mut app);
    drop(app);
    bench_latency();
}
