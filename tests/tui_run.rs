//! The real `App::run` loop on TestBackend, driven by a scripted input stream, with a
//! feeder on the engine's end of an `EngineHandle::pair` that plays engine events (group,
//! member pages, methods, statuses) and records every command the app sends.

mod common;

use std::time::Duration;

use futures::Stream;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::Event as TermEvent;
use ratatui::layout::Rect;
use tokio::sync::mpsc;

use common::fixture as fx;
use common::harness::{index_of, options};
use mfa_cutover::engine::{
    Answer, Command, DirectoryCommand, DirectoryEvent, EngineEnd, EngineHandle, Event,
    MigrationCommand, MigrationEvent, Progress, Reply, RequestId, Scope, UserStatus,
};
use mfa_cutover::tui::App;
use mfa_cutover::tui::app::QuitState;
use mfa_cutover::tui::keymap::Key;

type Screen = Terminal<TestBackend>;

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

/// The feeder's side: records commands, answers methods reads as they come.
struct Feeder {
    end: EngineEnd,
    log: Vec<Command>,
    /// The id of the last command `next` returned.
    last: Option<RequestId>,
}

impl Feeder {
    async fn send(&self, ev: Event) {
        self.end
            .events
            .send(ev)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// Answer the last command `next` returned.
    async fn reply(&self, answer: Answer) {
        let request = self.last.unwrap_or_else(|| panic!("nothing to answer"));
        self.send(Event::Reply(Reply {
            request,
            outcome: Ok(answer),
        }))
        .await;
    }

    /// The next command that is not a methods read (reads are answered on the way) nor
    /// the checklist's read.
    async fn next(&mut self) -> Command {
        loop {
            let r = tokio::time::timeout(Duration::from_secs(10), self.end.requests.recv())
                .await
                .unwrap_or_else(|_| panic!("no command within 10 s; so far: {:?}", self.log))
                .unwrap_or_else(|| panic!("command channel closed; so far: {:?}", self.log));
            let c = r.command;
            self.log.push(c.clone());
            self.last = Some(r.id);
            if let Command::Directory(DirectoryCommand::ReadMethods { users }) = c {
                for u in users {
                    let i = index_of(&u);
                    self.send(Event::Directory(DirectoryEvent::Methods {
                        user: u,
                        methods: Ok(Box::new(fx::user_methods(i))),
                    }))
                    .await;
                }
                continue;
            }
            // The Checklist tab reads the checklist once the data is in: not this test's
            // concern (left unanswered, it keeps saying "reading").
            if matches!(c, Command::Checklist(_)) {
                continue;
            }
            return c;
        }
    }

    async fn pages(&self, n: usize) {
        let g = fx::group().id;
        for start in (0..n).step_by(1000) {
            let end = (start + 1000).min(n);
            self.send(Event::Directory(DirectoryEvent::Members {
                group_id: g.clone(),
                page: fx::members(start..end),
                loaded: end,
                done: end == n,
            }))
            .await;
        }
    }
}

fn start(
    w: u16,
    h: u16,
) -> (
    Feeder,
    mpsc::UnboundedSender<TermEvent>,
    tokio::task::JoinHandle<(App, Screen)>,
) {
    let (link, end) = EngineHandle::pair(64);
    let (tx, keys) = input();
    let mut opts = options();
    opts.group = Some("MFA Migration Wave 1".into());
    let app = App::new(opts, Rect::new(0, 0, w, h));
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap_or_else(|e| panic!("{e}"));
    let ui = tokio::spawn(async move {
        let app = app
            .run(&mut term, keys, link)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        (app, term)
    });
    (
        Feeder {
            end,
            log: Vec::new(),
            last: None,
        },
        tx,
        ui,
    )
}

#[tokio::test]
async fn plan_then_migrate_marked_users_then_quit() {
    let (mut f, keys, ui) = start(80, 24);
    f.send(fx::session(true)).await;
    f.send(Event::Data(fx::dataset(3001))).await;
    assert!(matches!(
        f.next().await,
        Command::Directory(DirectoryCommand::FindGroup { query }) if query == "MFA Migration Wave 1"
    ));
    f.reply(Answer::Groups(vec![fx::group()])).await;
    f.send(Event::Directory(DirectoryEvent::Loading {
        group: fx::group(),
    }))
    .await;
    assert!(matches!(
        f.next().await,
        Command::Directory(DirectoryCommand::LoadMembers { .. })
    ));
    f.pages(3000).await;
    // The coalesced methods read for the visible rows goes out after a short delay.
    tokio::time::sleep(Duration::from_millis(200)).await;

    press(&keys, &["space", "space", "p"]);
    let Command::Migration(MigrationCommand::Plan {
        scope: Scope::Users(ids),
        include_unchanged: false,
    }) = f.next().await
    else {
        panic!("{:?}", f.log)
    };
    assert_eq!(ids, vec![fx::id(0), fx::id(1)]);
    f.send(Event::Migration(MigrationEvent::Started {
        dry_run: true,
        targeted: 2,
    }))
    .await;
    for i in 0..2 {
        f.send(Event::Migration(MigrationEvent::UserStatus {
            user: fx::id(i),
            status: UserStatus::Planned { plan: fx::plan(i) },
        }))
        .await;
    }
    let end = mfa_cutover::engine::RunEnd {
        dry_run: true,
        progress: Progress {
            targeted: 2,
            done: 2,
            ..Default::default()
        },
        cancelled: false,
    };
    f.send(Event::Migration(MigrationEvent::Finished(end.clone())))
        .await;
    f.reply(Answer::Run(end)).await;

    // From the plan preview: M (the dry run of these users stands, so it asks at once),
    // move to the confirm button, press it.
    press(&keys, &["M", "tab", "enter"]);
    let Command::Migration(MigrationCommand::Migrate {
        scope: Scope::Users(ids),
        ..
    }) = f.next().await
    else {
        panic!("{:?}", f.log)
    };
    assert_eq!(ids.len(), 2);
    f.send(Event::Migration(MigrationEvent::Started {
        dry_run: false,
        targeted: 2,
    }))
    .await;
    for i in 0..2 {
        for s in [UserStatus::Writing { done: 1, of: 2 }, UserStatus::Verified] {
            f.send(Event::Migration(MigrationEvent::UserStatus {
                user: fx::id(i),
                status: s,
            }))
            .await;
        }
    }
    f.send(Event::Migration(MigrationEvent::Finished(
        mfa_cutover::engine::RunEnd {
            dry_run: false,
            progress: Progress {
                targeted: 2,
                done: 2,
                verified: 2,
                writes: 4,
                ..Default::default()
            },
            cancelled: false,
        },
    )))
    .await;

    press(&keys, &["q"]);
    assert!(matches!(f.next().await, Command::Shutdown));
    f.send(Event::Stopped).await;
    let (app, term) = tokio::time::timeout(Duration::from_secs(10), ui)
        .await
        .unwrap_or_else(|_| panic!("run did not return"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(app.quit_state(), QuitState::Done);
    assert_eq!(app.users().rows.len(), 3000);
    for i in 0..2 {
        assert!(matches!(
            app.users().rows.get(i).and_then(|r| r.status.clone()),
            Some(UserStatus::Verified)
        ));
    }
    // Methods were asked for the visible rows only, never for the whole group.
    let read: usize = f
        .log
        .iter()
        .map(|c| match c {
            Command::Directory(DirectoryCommand::ReadMethods { users }) => users.len(),
            _ => 0,
        })
        .sum();
    assert!(read > 0 && read <= 40, "{read} methods reads");
    let screen = term.backend().to_string();
    assert!(screen.contains("✓ verified"), "{screen}");
    assert!(screen.contains("Migration finished 2/2"), "{screen}");
}

#[tokio::test]
async fn input_stays_responsive_while_members_stream() {
    let (mut f, keys, ui) = start(80, 24);
    f.send(fx::session(true)).await;
    f.next().await; // FindGroup
    f.reply(Answer::Groups(vec![fx::group()])).await;
    f.send(Event::Directory(DirectoryEvent::Loading {
        group: fx::group(),
    }))
    .await;
    f.next().await; // LoadMembers
    // 100 pages of 1,000 while 50 keys arrive among them.
    let g = fx::group().id;
    for p in 0..100 {
        f.send(Event::Directory(DirectoryEvent::Members {
            group_id: g.clone(),
            page: fx::members(p * 1000..(p + 1) * 1000),
            loaded: (p + 1) * 1000,
            done: p == 99,
        }))
        .await;
        if p % 2 == 0 {
            press(&keys, &["j"]);
        }
    }
    press(&keys, &["q"]);
    assert!(matches!(f.next().await, Command::Shutdown));
    f.send(Event::Stopped).await;
    let (app, _) = tokio::time::timeout(Duration::from_secs(30), ui)
        .await
        .unwrap_or_else(|_| panic!("run did not return"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(app.users().rows.len(), 100_000);
    assert_eq!(app.users().cursor.selected, 50, "every key was handled");
}

#[tokio::test]
async fn the_end_of_input_shuts_the_engine_down() {
    let (mut f, keys, ui) = start(80, 24);
    f.next().await; // FindGroup
    drop(keys);
    assert!(matches!(f.next().await, Command::Shutdown));
    let (app, _) = tokio::time::timeout(Duration::from_secs(10), ui)
        .await
        .unwrap_or_else(|_| panic!("run did not return"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(app.quit_state(), QuitState::Stopping);
}

#[tokio::test]
async fn an_engine_that_goes_away_is_reported_and_quitting_needs_no_wait() {
    let (mut f, keys, ui) = start(80, 24);
    f.next().await; // FindGroup
    drop(f);
    tokio::time::sleep(Duration::from_millis(50)).await;
    press(&keys, &["q"]);
    let (app, term) = tokio::time::timeout(Duration::from_secs(10), ui)
        .await
        .unwrap_or_else(|_| panic!("run did not return"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(app.quit_state(), QuitState::Done);
    assert!(term.backend().to_string().contains("ENGINE STOPPED"));
}

/// An input stream that, like crossterm's `EventStream`, remembers one waker and wakes
/// it once: the loop must poll it with its own waker every time, or keys after the
/// first burst would never be read.
mod one_waker {
    use std::collections::VecDeque;
    use std::pin::Pin;
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll, Waker};

    use futures::Stream;
    use ratatui::crossterm::event::Event as TermEvent;

    #[derive(Default)]
    struct Shared {
        queue: VecDeque<TermEvent>,
        /// Set once per "waiting thread", like crossterm's wake task.
        waker: Option<Waker>,
        closed: bool,
    }

    #[derive(Clone, Default)]
    pub struct Keys(Arc<Mutex<Shared>>);

    impl Keys {
        pub fn push(&self, e: TermEvent) {
            let waker = self.0.lock().ok().and_then(|mut s| {
                s.queue.push_back(e);
                s.waker.take()
            });
            if let Some(w) = waker {
                w.wake();
            }
        }
    }

    impl Stream for Keys {
        type Item = TermEvent;
        fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<TermEvent>> {
            let Ok(mut s) = self.0.lock() else {
                return Poll::Ready(None);
            };
            if let Some(e) = s.queue.pop_front() {
                return Poll::Ready(Some(e));
            }
            if s.closed {
                return Poll::Ready(None);
            }
            // Keep the first waker until it is used, as a waiting thread would.
            if s.waker.is_none() {
                s.waker = Some(cx.waker().clone());
            }
            Poll::Pending
        }
    }
}

#[tokio::test]
async fn keys_after_the_first_burst_are_read_from_a_one_waker_stream() {
    let (link, mut end) = EngineHandle::pair(64);
    let keys = one_waker::Keys::default();
    let app = App::new(options(), Rect::new(0, 0, 80, 24));
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap_or_else(|e| panic!("{e}"));
    let stream = keys.clone();
    let ui = tokio::spawn(async move {
        app.run(&mut term, stream, link)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    });
    let key = |k: &str| TermEvent::Key(Key::parse(k).unwrap_or_else(|e| panic!("{e}")).to_event());
    for k in ["?", "esc", "x", "esc"] {
        keys.push(key(k));
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    keys.push(key("q"));
    let cmd = tokio::time::timeout(Duration::from_secs(5), end.requests.recv())
        .await
        .unwrap_or_else(|_| panic!("q was never read: the loop lost the stream's waker"));
    assert!(matches!(cmd.map(|r| r.command), Some(Command::Shutdown)));
    end.events
        .send(Event::Stopped)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let app = tokio::time::timeout(Duration::from_secs(5), ui)
        .await
        .unwrap_or_else(|_| panic!("run did not return"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(app.quit_state(), QuitState::Done);
}
