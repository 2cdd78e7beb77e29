//! The Dependencies (5) and Checklist (1) tabs on TestBackend against the real engine and
//! the simulated tenant on loopback, started exactly as `mfa-cutover demo` starts them —
//! with the demo organisation's AD FS and NPS exports as the config's `[inventory]`. The
//! app is driven key by key; every request it sends goes to the engine and the test waits
//! for each reply (with a deadline), so screens are taken when the engine has answered.
//! Snapshots at 80x24 and 160x48; decisions and ticks are checked in the audit log; the
//! rollback plan shows its writes and, confirmed, makes them; `enter` jumps to the tab
//! that does a step; no RADIUS shared secret reaches the screen.

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use tokio::sync::mpsc;
use tokio::time::Instant;

use mfa_cutover::cli::demo::{self, DemoArgs, DemoTenant};
use mfa_cutover::clock::ManualClock;
use mfa_cutover::config::{Config, FileConfig, Overrides};
use mfa_cutover::engine::store::AuditFilter;
use mfa_cutover::engine::{
    Access, Answer, Command, EngineClient, Event, RecordsCommand, RequestId, SignIn, StartOptions,
};
use mfa_cutover::sim::Sim;
use mfa_cutover::tui::app::Modal;
use mfa_cutover::tui::keymap::Key;
use mfa_cutover::tui::{App, Clock, Keymap, Msg, Tab, Theme};

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];
/// The longest wait for one reply of the engine.
const REPLY: Duration = Duration::from_secs(120);

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0)
        .single()
        .unwrap_or_default()
}

fn snap(name: &str, w: u16, h: u16, screen: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"/tmp/[^\s\x22]*", "[TMP]");
    // The data file's time on disk and hash (written at the test's start).
    settings.add_filter(r"modified \d{4}-\d\d-\d\d \d\d:\d\d UTC", "modified [TIME]");
    // The simulated tenant's port and its token's lifetime (real time).
    settings.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]");
    settings.add_filter(r"token \d+h ?\d*m?", "token [TTL]");
    settings.set_snapshot_suffix(format!("{w}x{h}"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(name, screen));
}

/// The app, the engine it talks to, and the simulated tenant.
struct Live {
    app: App,
    term: Terminal<TestBackend>,
    client: EngineClient,
    events: mpsc::Receiver<Event>,
    /// Requests sent and not answered yet.
    open: HashSet<RequestId>,
    /// Replies to requests the test sent itself.
    answers: Vec<(RequestId, Result<Answer, String>)>,
    sim: Sim,
    config: Config,
    _dir: Option<tempfile::TempDir>,
}

async fn engine(
    config: &Config,
    session: mfa_cutover::graph::auth::Session,
) -> mfa_cutover::engine::Running {
    let mut start = StartOptions::new(
        config.clone(),
        SignIn::Ready(session),
        Access::Write {
            command: "demo".into(),
        },
    );
    start.name_tenant = true;
    start.clock = Arc::new(ManualClock::new(at()));
    mfa_cutover::engine::start(start)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

impl Live {
    /// The demo's tenant, data, exports and engine, in `dir` (a new temp dir if none).
    async fn start(w: u16, h: u16, dir: Option<&Path>) -> Live {
        let (owned, path) = match dir {
            Some(p) => (None, p.to_path_buf()),
            None => {
                let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
                let p = d.path().to_path_buf();
                (Some(d), p)
            }
        };
        let base = Config::resolve(None, FileConfig::default(), &Overrides::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let mut config = demo::config(base, &path, None);
        let args = DemoArgs {
            users: 120,
            seed: 1,
            latency_ms: 0,
        };
        let tenant = DemoTenant::start(&args, &mut config)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let DemoTenant { sim, session, .. } = tenant;
        let running = engine(&config, session).await;
        let (client, events) = running.engine.split();
        let keymap = Keymap::builtin("default").unwrap_or_else(|e| panic!("{e}"));
        let mut opts = mfa_cutover::tui::options(&config, keymap, None);
        opts.theme = Theme::plain();
        opts.clock = Clock::Fixed(at());
        let mut app = App::new(opts, Rect::new(0, 0, w, h));
        app.set_request_ids(client.ids());
        let term = Terminal::new(TestBackend::new(w, h)).unwrap_or_else(|e| panic!("{e}"));
        let mut live = Live {
            app,
            term,
            client,
            events,
            open: HashSet::new(),
            answers: Vec::new(),
            sim,
            config,
            _dir: owned,
        };
        live.settle().await;
        live
    }

    /// Send what the app queued and feed it events until every request is answered.
    /// Activity and load figures are left out: they change with timing, not with what
    /// the test does.
    async fn settle(&mut self) {
        loop {
            for req in self.app.take_requests() {
                self.open.insert(req.id);
                self.client
                    .send_request(req)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
            }
            if self.open.is_empty() {
                // Timers the app set (a read of what became visible) run now.
                if self.app.deadline().is_some_and(|d| d <= Instant::now()) {
                    self.app.update(Msg::Tick, Instant::now());
                    continue;
                }
                return;
            }
            let ev = tokio::time::timeout(REPLY, self.events.recv())
                .await
                .unwrap_or_else(|_| {
                    panic!("no reply within {REPLY:?}; waiting for {:?}", self.open)
                })
                .unwrap_or_else(|| panic!("the engine stopped"));
            if let Event::Reply(r) = &ev {
                self.open.remove(&r.request);
                if let Some(pos) = self.answers.iter().position(|(id, _)| *id == r.request) {
                    self.answers[pos].1 = r.outcome.clone().map_err(|e| e.to_string());
                    continue;
                }
            }
            if matches!(ev, Event::Activity(_) | Event::Load(_)) {
                continue;
            }
            self.app.update(Msg::Engine(ev), Instant::now());
        }
    }

    /// Ask the engine directly (what another front end would do), wait for the answer.
    async fn ask(&mut self, command: Command) -> Answer {
        let id = self
            .client
            .send(command)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        self.open.insert(id);
        self.answers.push((id, Err("no answer".into())));
        self.settle().await;
        let pos = self
            .answers
            .iter()
            .position(|(i, _)| *i == id)
            .unwrap_or_else(|| panic!("lost the answer"));
        let (_, a) = self.answers.remove(pos);
        a.unwrap_or_else(|e| panic!("refused: {e}"))
    }

    async fn keys(&mut self, keys: &[&str]) {
        for k in keys {
            let key = Key::parse(k).unwrap_or_else(|e| panic!("{k}: {e}"));
            self.app.update(
                Msg::Terminal(TermEvent::Key(key.to_event())),
                Instant::now(),
            );
            self.settle().await;
        }
    }

    async fn text(&mut self, s: &str) {
        for c in s.chars() {
            self.app.update(
                Msg::Terminal(TermEvent::Key(KeyEvent::new(
                    KeyCode::Char(c),
                    KeyModifiers::NONE,
                ))),
                Instant::now(),
            );
        }
        self.settle().await;
    }

    fn screen(&mut self) -> String {
        let app = &self.app;
        self.term
            .draw(|f| mfa_cutover::tui::view::render(app, f))
            .unwrap_or_else(|e| panic!("{e}"));
        format!("{}", self.term.backend())
    }

    /// The audit log's entries of `action`, newest first.
    async fn audit(&mut self, action: &str) -> Vec<mfa_cutover::engine::store::AuditEntry> {
        let Answer::Audit { entries, .. } = self
            .ask(Command::Records(RecordsCommand::Audit {
                filter: AuditFilter::default(),
                before: None,
                limit: 500,
            }))
            .await
        else {
            panic!("not an audit page")
        };
        entries
            .into_iter()
            .map(|(_, e)| e)
            .filter(|e| e.action == action)
            .collect()
    }

    async fn stop(mut self) {
        let _ = self.client.send(Command::Shutdown).await;
        while tokio::time::timeout(Duration::from_secs(30), self.events.recv())
            .await
            .ok()
            .flatten()
            .is_some()
        {}
        self.sim.shutdown().await;
    }
}

/// Every line of the text shown whole (not only what fits the screen).
fn modal_text(app: &App) -> String {
    match app.modal() {
        Some(Modal::Text(scroll)) => scroll.lines.iter().map(|l| format!("{l}\n")).collect(),
        _ => String::new(),
    }
}

/// The RADIUS shared secrets the demo's NPS exports hold (the readers drop them).
fn shared_secrets(config: &Config) -> Vec<String> {
    let mut out = Vec::new();
    for p in &config.inventory.nps {
        let text = std::fs::read_to_string(p).unwrap_or_default();
        for cap in text.split("SharedSecret").skip(1) {
            // XML: SharedSecret ...>VALUE<; JSON: "SharedSecret": "VALUE"
            let v: String = cap
                .trim_start_matches(|c: char| !c.is_ascii_hexdigit() || c.is_ascii_uppercase())
                .chars()
                .take_while(|c| c.is_ascii_hexdigit())
                .collect();
            if v.len() >= 12 {
                out.push(v);
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dependencies_list_the_demo_exports_with_evidence_and_no_secret() {
    for (w, h) in SIZES {
        let mut t = Live::start(w, h, None).await;
        assert!(!t.config.inventory.adfs.is_empty() && !t.config.inventory.nps.is_empty());
        assert_eq!(t.app.tab(), Tab::Users, "nothing has begun: the users tab");
        t.keys(&["5"]).await;
        assert_eq!(t.app.tab(), Tab::Dependencies);
        let screen = t.screen();
        assert!(screen.contains("need a decision"), "{screen}");
        assert!(
            screen.contains("Microsoft Office 365 Identity Platform")
                || screen.contains("Office 365"),
            "{screen}"
        );
        snap("deps_list", w, h, &screen);
        let secrets = shared_secrets(&t.config);
        assert!(
            !secrets.is_empty(),
            "the demo's NPS exports hold shared secrets"
        );

        // Every item's evidence, one after the other: no secret anywhere.
        let n = t.app.dependencies().len();
        for i in 0..n {
            t.keys(&["enter"]).await;
            let s = t.screen();
            assert!(
                matches!(t.app.modal(), Some(Modal::Text(_))),
                "item {i}: {s}"
            );
            for secret in &secrets {
                assert!(
                    !s.contains(secret.as_str()),
                    "a shared secret on screen:\n{s}"
                );
            }
            // The whole text, not only what fits.
            let all = modal_text(&t.app);
            for secret in &secrets {
                assert!(
                    !all.contains(secret.as_str()),
                    "a shared secret in the evidence"
                );
            }
            t.keys(&["esc", "j"]).await;
        }

        // An NPS client's evidence (Get-NpsRadiusClient, which carried a shared secret):
        // its record, the secret dropped.
        t.keys(&["/"]).await;
        t.text("nps02").await;
        t.keys(&["enter", "enter"]).await;
        let s = t.screen();
        assert!(
            s.contains("Source record") && s.contains("Branch VPN (nps02)"),
            "{s}"
        );
        assert!(!s.contains("SharedSecret"), "{s}");
        snap("deps_evidence_radius", w, h, &s);
        t.keys(&["esc", "esc"]).await;

        // A relying party: the why-chain, rule by rule.
        t.keys(&["/"]).await;
        t.text("Office 365").await;
        t.keys(&["enter", "enter"]).await;
        let s = t.screen();
        let all = modal_text(&t.app);
        assert!(
            all.contains("Why would a migrated user still reach MFA Server?"),
            "{all}"
        );
        assert!(all.contains("AzureMfaServerAuthentication"), "{all}");
        snap("deps_evidence_relying_party", w, h, &s);
        t.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_made_in_the_pane_is_stored_and_audited() {
    let mut t = Live::start(120, 36, None).await;
    t.keys(&["5"]).await;
    let Some(id) = t.app.dependencies().selected_id().cloned() else {
        panic!("no item selected:\n{}", t.screen())
    };
    // Help: this tab's keys from the keymap, then what its columns and rules mean.
    t.keys(&["?"]).await;
    let help = match t.app.modal() {
        Some(Modal::Help(s)) => s.lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
        _ => panic!("no help:\n{}", t.screen()),
    };
    assert!(help.contains("set the item's status"), "{help}");
    assert!(
        help.contains("Dependencies: what the columns say"),
        "{help}"
    );
    assert!(help.contains("INV-ACP"), "{help}");
    t.keys(&["esc"]).await;
    // s → the status menu (pending, in progress, done, won't do): done.
    t.keys(&["s"]).await;
    assert!(
        matches!(t.app.modal(), Some(Modal::Choose { .. })),
        "{}",
        t.screen()
    );
    t.keys(&["j", "j", "enter"]).await;
    t.text("moved to the NPS extension, CHG-1042").await;
    t.keys(&["enter"]).await;
    let item = t
        .app
        .dependencies()
        .report()
        .and_then(|r| r.inventory.item(&id).cloned())
        .unwrap_or_else(|| panic!("the item went away"));
    let d = item.decision.unwrap_or_else(|| panic!("no decision shown"));
    assert_eq!(d.status, mfa_cutover::inventory::Status::Done);
    assert_eq!(d.note, "moved to the NPS extension, CHG-1042");
    // The audit log has it, with who and what.
    let entries = t.audit("inventory.decide").await;
    let e = entries
        .iter()
        .find(|e| e.target.id == id.0)
        .unwrap_or_else(|| panic!("not audited: {entries:?}"));
    assert!(e.after.as_deref().unwrap_or("").contains("done"), "{e:?}");
    assert!(
        e.after.as_deref().unwrap_or("").contains("CHG-1042"),
        "{e:?}"
    );
    // And the store: a new read of the inventory has it.
    let Answer::Inventory(r) = t
        .ask(Command::Inventory(
            mfa_cutover::engine::InventoryCommand::Status,
        ))
        .await
    else {
        panic!("not an inventory")
    };
    assert_eq!(
        r.inventory
            .item(&id)
            .and_then(|i| i.decision.as_ref())
            .map(|d| d.status),
        Some(mfa_cutover::inventory::Status::Done)
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checklist_with_its_end_state_a_tick_and_enter_jumping_to_the_tab() {
    for (w, h) in SIZES {
        let mut t = Live::start(w, h, None).await;
        t.keys(&["1"]).await;
        let s = t.screen();
        assert!(s.contains("End state not chosen"), "{s}");
        snap("checklist_fresh", w, h, &s);
        // e → 1..3; the first.
        t.keys(&["e"]).await;
        t.keys(&["enter"]).await;
        let s = t.screen();
        assert!(s.contains("End state 1"), "{s}");
        // A manual step ticked with a note.
        assert!(t.app.panes().checklist.report().is_some());
        assert!(t.app_select("fin.portal"), "no step fin.portal");
        t.keys(&["t"]).await;
        t.text("portal redirected to aka.ms/mfasetup").await;
        t.keys(&["enter"]).await;
        let r = t
            .app
            .checklist()
            .report()
            .cloned()
            .unwrap_or_else(|| panic!("no report"));
        let step = r
            .checklist
            .step("fin.portal")
            .unwrap_or_else(|| panic!("no fin.portal"));
        assert_eq!(step.state, mfa_cutover::checklist::StepState::Done);
        let tick = step.tick.clone().unwrap_or_else(|| panic!("no tick"));
        assert_eq!(
            tick.note.as_deref(),
            Some("portal redirected to aka.ms/mfasetup")
        );
        let audited = t.audit("checklist.tick").await;
        assert!(
            audited.iter().any(|e| e.target.id == "fin.portal"),
            "{audited:?}"
        );
        let s = t.screen();
        assert!(s.contains("redirected to aka.ms/mfasetup"), "{s}");
        snap("checklist_ticked", w, h, &s);

        // enter jumps to the tab that does the step.
        for (id, tab) in [
            ("mig.users", Tab::Users),
            ("prep.dependencies", Tab::Dependencies),
            ("mig.rollout", Tab::Rollout),
            ("fin.federation", Tab::Federation),
        ] {
            t.keys(&["1"]).await;
            assert!(t.app_select(id));
            t.keys(&["enter"]).await;
            assert_eq!(t.app.tab(), tab, "{id}");
        }
        t.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rollback_plan_shows_its_writes_then_rolls_back_after_typing_the_domain() {
    for (w, h) in SIZES {
        let mut t = Live::start(w, h, None).await;
        t.keys(&["1", "r"]).await;
        assert!(t.app.checklist().rollback_open());
        let s = t.screen();
        let plan = t
            .app
            .checklist()
            .plan()
            .report
            .clone()
            .unwrap_or_else(|| panic!("no plan:\n{s}"));
        assert!(!plan.planned.is_empty(), "{s}");
        assert!(s.contains("enforceMfaByFederatedIdp"), "{s}");
        assert!(s.contains("not copied back"), "{s}");
        snap("checklist_rollback_plan", w, h, &s);
        if (w, h) != (160, 48) {
            t.stop().await;
            continue;
        }
        // B: the tier-3 confirmation; the domain typed, then confirmed.
        t.keys(&["B"]).await;
        let s = t.screen();
        assert!(matches!(t.app.modal(), Some(Modal::Confirm(..))), "{s}");
        assert!(s.contains("tier 3"), "{s}");
        snap("checklist_rollback_confirm", w, h, &s);
        t.text("contoso.com").await;
        t.keys(&["tab", "enter"]).await;
        let s = t.screen();
        assert!(s.contains("Rolled back"), "{s}");
        let after = t.sim.inspect(|x| x.write_log().len());
        assert!(after > 0, "the tenant was written");
        let audited = t.audit("federation.set").await;
        let rollback = t.audit("federation.rollback").await;
        assert!(
            !audited.is_empty() || !rollback.is_empty(),
            "the rollback is in the audit log"
        );
        t.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_the_cutover_has_begun_the_app_opens_on_the_checklist() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut t = Live::start(80, 24, Some(dir.path())).await;
    assert_eq!(t.app.tab(), Tab::Users);
    t.ask(Command::Checklist(
        mfa_cutover::engine::ChecklistCommand::SetEndState(
            mfa_cutover::checklist::EndState::MfaServerOnly,
        ),
    ))
    .await;
    t.stop().await;
    // The next start, same state store: the checklist is where the admin left off.
    let t = Live::start(80, 24, Some(dir.path())).await;
    assert_eq!(t.app.tab(), Tab::Checklist);
    t.stop().await;
}

impl Live {
    fn app_select(&mut self, id: &str) -> bool {
        self.app.checklist_mut().select(id)
    }
}

/// The demo walked from the tabs: migrate the pilot (Users), put its rollout group in
/// Staged Rollout (the engine's rollout service, as the Rollout tab does), decide every
/// dependency (one through the pane, the rest as the CLI would), and the checklist shows
/// the progress when its tab is shown again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_walks_from_pilot_to_dependencies_done_and_the_checklist_follows() {
    use mfa_cutover::checklist::StepState;
    use mfa_cutover::engine::{InventoryCommand, RolloutCommand};
    use mfa_cutover::inventory::Status;

    let mut t = Live::start(120, 36, None).await;
    t.keys(&["1"]).await;
    let before = t
        .app
        .checklist()
        .report()
        .cloned()
        .unwrap_or_else(|| panic!("no checklist"));
    assert!(!before.checklist.begun);

    // The pilot, migrated from the Users tab.
    t.keys(&["2", ":"]).await;
    t.text("group MFA Pilot").await;
    t.keys(&["enter"]).await;
    t.keys(&["M"]).await;
    assert!(
        matches!(t.app.modal(), Some(Modal::Confirm(..))),
        "{}",
        t.screen()
    );
    t.keys(&["tab", "enter"]).await;
    let s = t.screen();
    assert!(s.contains("Migration finished"), "{s}");

    // Its rollout group in Staged Rollout, the policy on (forced past R1 for the pilot's
    // users who hold no method at all: audited).
    for c in [
        RolloutCommand::AddGroup {
            group: "MFA Rollout Pilot".into(),
            force: true,
            apply: true,
        },
        RolloutCommand::Enable {
            force: true,
            apply: true,
        },
    ] {
        t.ask(Command::Rollout(c)).await;
    }

    // One dependency decided through the pane, the rest as `inventory --decide` would.
    t.keys(&["5", "s", "j", "j", "enter"]).await;
    t.text("done in the change window").await;
    t.keys(&["enter"]).await;
    let items: Vec<String> = t
        .app
        .dependencies()
        .report()
        .map(|r| {
            r.inventory
                .items
                .iter()
                .filter(|i| i.needs_decision() && !i.status().is_closed())
                .map(|i| i.id.0.clone())
                .collect()
        })
        .unwrap_or_default();
    assert!(!items.is_empty());
    for item in items {
        t.ask(Command::Inventory(InventoryCommand::Decide {
            item,
            path: None,
            status: Status::Done,
            note: None,
        }))
        .await;
    }
    let s = t.screen();
    assert!(s.contains("28 done"), "{s}");

    // The checklist, shown again, reads the new state.
    t.keys(&["1"]).await;
    let r = t
        .app
        .checklist()
        .report()
        .cloned()
        .unwrap_or_else(|| panic!("no checklist"));
    assert!(r.checklist.begun);
    let state = |id: &str| r.checklist.step(id).map(|s| s.state);
    assert_eq!(state("prep.dependencies"), Some(StepState::Done));
    assert_eq!(state("fin.dependencies"), Some(StepState::Done));
    let users = r
        .checklist
        .step("mig.users")
        .unwrap_or_else(|| panic!("no mig.users"));
    assert!(
        users.figures.iter().any(|f| f.starts_with("Pilot:")),
        "{:?}",
        users.figures
    );
    let s = t.screen();
    assert!(s.contains("Preparations [##########] 5/5"), "{s}");
    assert!(
        r.rollback.as_ref().is_some_and(|p| p.planned.len() == 2),
        "the rollback now turns Staged Rollout off too: {:?}",
        r.rollback.as_ref().map(|p| &p.planned)
    );
    t.stop().await;
}

/// One pilot user's phones, default method and hardware tokens, as the tenant holds them.
type UserState = (Vec<String>, Option<String>, Vec<String>);

fn user_state(sim: &Sim, upn: &str) -> UserState {
    sim.inspect(|t| {
        let u = t
            .user(upn)
            .unwrap_or_else(|| panic!("{upn} not in the tenant"));
        let mut phones: Vec<String> = u
            .phones()
            .iter()
            .map(|(k, n)| format!("{k:?} {n}"))
            .collect();
        phones.sort();
        let mut tokens: Vec<String> = u
            .hardware_tokens()
            .iter()
            .map(|(s, st)| format!("{s} {st:?}"))
            .collect();
        tokens.sort();
        (phones, u.default_method().map(|d| format!("{d:?}")), tokens)
    })
}

/// A pilot reset from the Users tab: the marked users' migration undone from the journal.
/// `U` asks the engine for a what-if whose report (each undo write with the rules of the
/// write it undoes) fills a tier-2 confirmation; typed, it is applied, audited, and every
/// user whose writes could all be undone is exactly as before the migration.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marked_users_are_undone_from_the_users_tab_as_a_pilot_reset() {
    use mfa_cutover::engine::MigrationCommand;

    let mut t = Live::start(120, 36, None).await;
    t.keys(&["2", ":"]).await;
    t.text("group MFA Migration Wave 1").await;
    t.keys(&["enter"]).await;
    let upns: Vec<String> = t
        .app
        .users()
        .rows
        .all()
        .iter()
        .map(|r| r.upn().to_string())
        .collect();
    assert!(!upns.is_empty());
    let before: Vec<UserState> = upns.iter().map(|u| user_state(&t.sim, u)).collect();

    // Nothing marked: undo is greyed with the reason, never a whole group by accident.
    let why = t
        .app
        .pane()
        .available(mfa_cutover::tui::action::Action::Undo, &t.app.env());
    assert!(!why.is_available());

    t.keys(&["M"]).await;
    t.keys(&["tab", "enter"]).await;
    assert!(t.screen().contains("Migration finished"), "{}", t.screen());
    let migrated: Vec<usize> = (0..upns.len())
        .filter(|&i| user_state(&t.sim, &upns[i]) != before[i])
        .collect();
    assert!(!migrated.is_empty(), "the pilot's migration wrote nothing");

    // Which users' writes can all be undone (the engine's own what-if, as the CLI asks).
    let Answer::Undo(preview) = t
        .ask(Command::Migration(MigrationCommand::Undo {
            users: migrated.iter().map(|&i| upns[i].clone()).collect(),
            apply: false,
        }))
        .await
    else {
        panic!("not an undo report")
    };
    let clean: Vec<String> = preview
        .users
        .iter()
        .filter(|u| {
            u.state
                .plan()
                .is_some_and(|p| p.left.is_empty() && !p.ops.is_empty())
        })
        .filter_map(|u| u.upn.clone())
        .collect();
    assert!(
        !clean.is_empty(),
        "no pilot user whose writes can all be undone"
    );

    // Mark every pilot user and press U: the confirmation holds the report.
    let writes = t.sim.stats().writes;
    t.keys(&["a", "U"]).await;
    let Some(Modal::Confirm(c, _)) = t.app.modal() else {
        panic!("no confirmation:\n{}", t.screen())
    };
    let text: String = c.lines.iter().map(|l| format!("{l}\n")).collect();
    assert!(text.contains("would undo: "), "{text}");
    assert!(text.contains("] (journal "), "{text}");
    let typed = c
        .typed
        .clone()
        .unwrap_or_else(|| panic!("tier 2 types the count"));
    assert_eq!(t.sim.stats().writes, writes, "the what-if writes nothing");
    t.text(&typed).await;
    t.keys(&["tab", "enter"]).await;
    assert!(t.sim.stats().writes > writes, "{}", t.screen());
    let shown = modal_text(&t.app);
    assert!(shown.contains("write(s) made"), "{shown}");

    // Audited with who, before and after; every fully undoable user is as before.
    let mut audited = 0;
    for action in [
        "undo.phone.delete",
        "undo.phone.restore",
        "undo.default_method.restore",
        "undo.hardware_oath.unassign",
        "undo.hardware_oath.delete",
    ] {
        audited += t.audit(action).await.len();
    }
    assert!(audited > 0, "no undo in the audit log");
    for upn in &clean {
        let i = upns
            .iter()
            .position(|u| u == upn)
            .unwrap_or_else(|| panic!("{upn}"));
        assert_eq!(user_state(&t.sim, upn), before[i], "{upn}");
    }
    // Undone users are no longer shown as migrated.
    for upn in &clean {
        let row = t
            .app
            .users()
            .rows
            .all()
            .iter()
            .find(|r| r.upn() == upn)
            .unwrap_or_else(|| panic!("{upn}"));
        assert!(row.status.is_none(), "{upn}: {:?}", row.status);
    }
    t.stop().await;
}
