//! A key driver for the TUI: an [`App`] on ratatui's `TestBackend`, fed engine events
//! and keys, drawn on demand. Time is passed in explicitly, so timers (the coalesced
//! methods read) run when the test says.
#![allow(dead_code)]

use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use tokio::time::Instant;

use mfa_cutover::engine::{
    Answer, Command, DirectoryCommand, DirectoryEvent, Event, GroupInfo, MigrationCommand,
    MigrationEvent, Progress, RecordsCommand, Refusal, Reply, Request, RunEnd, Scope, UserStatus,
};
use mfa_cutover::migrate::{Match, UserSkip};
use mfa_cutover::tui::keymap::Key;
use mfa_cutover::tui::{App, AppOptions, Clock, Keymap, Msg, Theme};

use super::fixture as fx;

pub struct Harness {
    pub app: App,
    pub term: Terminal<TestBackend>,
    pub now: Instant,
    pub sent: Vec<Command>,
    /// Every request the app sent, for answering them.
    pub history: Vec<Request>,
}

pub fn options() -> AppOptions {
    let keymap = Keymap::builtin("default").unwrap_or_else(|e| panic!("{e}"));
    let mut o = AppOptions::new(keymap);
    o.theme = Theme::plain();
    o.clock = Clock::Fixed(fx::now());
    o.log_path = Some("/var/log/mfa-cutover/mfa-cutover.log".into());
    o.export_dir = "/srv/mfa-cutover/exports".into();
    o.config_file = Some("/etc/mfa-cutover/config.toml".into());
    o
}

impl Harness {
    pub fn new(w: u16, h: u16) -> Harness {
        Harness::with(options(), w, h)
    }

    pub fn with(opts: AppOptions, w: u16, h: u16) -> Harness {
        let term = Terminal::new(TestBackend::new(w, h)).unwrap_or_else(|e| panic!("{e}"));
        let app = App::new(opts, ratatui::layout::Rect::new(0, 0, w, h));
        let mut h = Harness {
            app,
            term,
            now: Instant::now(),
            sent: Vec::new(),
            history: Vec::new(),
        };
        h.collect();
        h
    }

    fn collect(&mut self) {
        let reqs = self.app.take_requests();
        self.sent.extend(reqs.iter().map(|r| r.command.clone()));
        self.history.extend(reqs);
    }

    /// Answer the newest request that `matches`.
    pub fn reply(&mut self, matches: impl Fn(&Command) -> bool, outcome: Result<Answer, Refusal>) {
        let req = self
            .history
            .iter()
            .rev()
            .find(|r| matches(&r.command))
            .unwrap_or_else(|| panic!("no such request in {:?}", self.history));
        let ev = Event::Reply(Reply {
            request: req.id,
            outcome,
        });
        self.engine(ev);
    }

    /// The newest group look-up found these groups.
    pub fn groups(&mut self, groups: Vec<GroupInfo>) {
        self.reply(
            |c| matches!(c, Command::Directory(DirectoryCommand::FindGroup { .. })),
            Ok(Answer::Groups(groups)),
        );
    }

    /// The newest group look-up found `g` (or, with none asked for, the engine began
    /// loading it); its members start loading.
    pub fn group_found(&mut self, g: GroupInfo) {
        let asked = self.history.iter().any(|r| {
            matches!(
                r.command,
                Command::Directory(DirectoryCommand::FindGroup { .. })
            )
        });
        if asked {
            self.groups(vec![g.clone()]);
        }
        self.engine(Event::Directory(DirectoryEvent::Loading { group: g }));
    }

    pub fn engine(&mut self, ev: Event) {
        self.app.update(Msg::Engine(ev), self.now);
        self.collect();
    }

    pub fn key_event(&mut self, k: KeyEvent) {
        self.app.update(Msg::Terminal(TermEvent::Key(k)), self.now);
        self.collect();
    }

    /// Press keys in keymap syntax: `j`, `space`, `M`, `shift+tab`, `ctrl+s`.
    pub fn keys(&mut self, keys: &[&str]) {
        for k in keys {
            let key = Key::parse(k).unwrap_or_else(|e| panic!("{k}: {e}"));
            self.key_event(key.to_event());
        }
    }

    /// Type text into a field.
    pub fn text(&mut self, s: &str) {
        for c in s.chars() {
            self.key_event(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
    }

    pub fn resize(&mut self, w: u16, h: u16) {
        self.term.backend_mut().resize(w, h);
        self.app
            .update(Msg::Terminal(TermEvent::Resize(w, h)), self.now);
    }

    /// Let time pass and run the timers that came due.
    pub fn wait(&mut self, d: Duration) {
        self.now += d;
        self.app.update(Msg::Tick, self.now);
        self.collect();
    }

    pub fn take_sent(&mut self) -> Vec<Command> {
        std::mem::take(&mut self.sent)
    }

    /// The screen as text, one quoted line per row, and where the cursor is.
    pub fn screen(&mut self) -> String {
        let app = &self.app;
        self.term
            .draw(|f| mfa_cutover::tui::view::render(app, f))
            .unwrap_or_else(|e| panic!("{e}"));
        let b = self.term.backend();
        let cursor = if b.cursor_visible() {
            let p = b.cursor_position();
            format!("cursor: ({}, {})", p.x, p.y)
        } else {
            "cursor: hidden".into()
        };
        format!("{b}{cursor}\n")
    }

    /// Answer every `ReadMethods` sent so far with the fixture's methods.
    pub fn answer_reads(&mut self) -> usize {
        let mut n = 0;
        for c in self.take_sent() {
            if let Command::Directory(DirectoryCommand::ReadMethods { users }) = c {
                for u in users {
                    let i = index_of(&u);
                    n += 1;
                    self.engine(Event::Directory(DirectoryEvent::Methods {
                        user: u,
                        methods: Ok(Box::new(fx::user_methods(i))),
                    }));
                }
            } else {
                self.sent.push(c);
            }
        }
        n
    }

    /// Signed in, data file read, group found, `n` members loaded in pages of 999,
    /// methods of the visible rows read.
    pub fn loaded(w: u16, h: u16, n: usize) -> Harness {
        Harness::loaded_with(options(), w, h, n)
    }

    pub fn loaded_with(opts: AppOptions, w: u16, h: u16, n: usize) -> Harness {
        let mut t = Harness::with(opts, w, h);
        t.engine(fx::session(true));
        t.engine(Event::Data(fx::dataset(n + 1)));
        t.group_found(fx::group());
        let g = fx::group().id;
        let mut start = 0;
        while start < n {
            let end = (start + 999).min(n);
            t.engine(Event::Directory(DirectoryEvent::Members {
                group_id: g.clone(),
                page: fx::members(start..end),
                loaded: end,
                done: end == n,
            }));
            start = end;
        }
        if n == 0 {
            t.engine(Event::Directory(DirectoryEvent::Members {
                group_id: g,
                page: Vec::new(),
                loaded: 0,
                done: true,
            }));
        }
        t.wait(Duration::from_millis(100));
        t.answer_reads();
        t.take_sent();
        t
    }

    pub fn migration(&mut self, ev: MigrationEvent) {
        self.engine(Event::Migration(ev));
    }

    /// Play the engine's part in the newest dry run the app asked for: every user of its
    /// scope planned (fixture plans) or skipped as the fixture's match says, then the run's
    /// end and the reply. Returns how many users were planned.
    pub fn dry_run(&mut self) -> usize {
        let Some(req) = self
            .history
            .iter()
            .rev()
            .find(|r| matches!(r.command, Command::Migration(MigrationCommand::Plan { .. })))
            .cloned()
        else {
            panic!("no dry run asked for in {:?}", self.history)
        };
        let Command::Migration(MigrationCommand::Plan { scope, .. }) = &req.command else {
            unreachable!()
        };
        let users: Vec<usize> = match scope {
            Scope::Group => (0..self.app.users().rows.len()).collect(),
            Scope::Users(ids) => ids.iter().map(|u| index_of(u)).collect(),
        };
        self.migration(MigrationEvent::Started {
            dry_run: true,
            targeted: users.len(),
        });
        let mut planned = 0;
        let mut skipped = 0;
        for &i in &users {
            let status = match fx::member(i).matched {
                Match::NotInMfaServer => {
                    skipped += 1;
                    UserStatus::Skipped {
                        skip: UserSkip::NotInMfaServer,
                    }
                }
                Match::Conflict { users, .. } => {
                    skipped += 1;
                    UserStatus::Skipped {
                        skip: UserSkip::Conflict { mfa_users: users },
                    }
                }
                Match::Matched { .. } => {
                    planned += 1;
                    UserStatus::Planned { plan: fx::plan(i) }
                }
            };
            self.migration(MigrationEvent::UserStatus {
                user: fx::id(i),
                status,
            });
        }
        let end = RunEnd {
            dry_run: true,
            progress: Progress {
                targeted: users.len(),
                done: users.len(),
                skipped,
                ..Default::default()
            },
            cancelled: false,
        };
        self.migration(MigrationEvent::Finished(end.clone()));
        self.engine(Event::Reply(Reply {
            request: req.id,
            outcome: Ok(Answer::Run(end)),
        }));
        planned
    }

    /// Answer every journal and audit page asked for so far from a log of `writes` and
    /// `changes` entries (fixture), newest first, until nothing more is asked.
    pub fn answer_records(&mut self, writes: usize, changes: usize) -> usize {
        let mut answered = 0;
        loop {
            let open: Vec<Request> = self
                .history
                .iter()
                .filter(|r| matches!(r.command, Command::Records(_)))
                .skip(answered)
                .cloned()
                .collect();
            if open.is_empty() {
                return answered;
            }
            for r in open {
                answered += 1;
                let outcome = match &r.command {
                    Command::Records(RecordsCommand::Journal { before, limit, .. }) => {
                        let from = before.map(|b| b.0 - 1).unwrap_or(writes as i64);
                        let entries = (1..=from)
                            .rev()
                            .take(*limit)
                            .map(fx::journal_entry)
                            .collect();
                        Answer::Journal {
                            entries,
                            total: writes as u64,
                        }
                    }
                    Command::Records(RecordsCommand::Audit { before, limit, .. }) => {
                        let from = before.map(|b| b - 1).unwrap_or(changes as i64);
                        let entries = (1..=from)
                            .rev()
                            .take(*limit)
                            .map(|id| (id, fx::audit_entry(id)))
                            .collect();
                        Answer::Audit {
                            entries,
                            total: changes as u64,
                        }
                    }
                    _ => continue,
                };
                self.engine(Event::Reply(Reply {
                    request: r.id,
                    outcome: Ok(outcome),
                }));
            }
        }
    }

    /// Answer the newest inventory read with what the engine would build from `data`
    /// alone (no AD FS or NPS export): the same pure classification.
    pub fn answer_inventory(&mut self, data: &mfa_cutover::datafile::DataSet) {
        use mfa_cutover::engine::{InventoryCommand, InventoryReport};
        use mfa_cutover::inventory::{Exports, Inventory, Options};
        let inventory = Inventory::from_data(Some(data), Exports::default(), Options::default());
        let report = InventoryReport {
            progress: inventory.progress(),
            keeps_users_on_mfa_server: inventory.keeps_users_on_mfa_server(),
            stale_decisions: Vec::new(),
            inventory,
        };
        self.reply(
            |c| {
                matches!(
                    c,
                    Command::Inventory(InventoryCommand::Status | InventoryCommand::Reload)
                )
            },
            Ok(Answer::Inventory(std::sync::Arc::new(report))),
        );
    }

    /// The confirmation dialog open, if one is.
    pub fn confirm(&self) -> Option<&mfa_cutover::tui::widgets::confirm::Confirm> {
        match self.app.modal() {
            Some(mfa_cutover::tui::app::Modal::Confirm(c, _)) => Some(c),
            _ => None,
        }
    }
}

/// The fixture index of an Entra object id.
pub fn index_of(id: &str) -> usize {
    let hex = id.rsplit('-').next().unwrap_or("0");
    usize::from_str_radix(hex, 16).unwrap_or(0)
}
